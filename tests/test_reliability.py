"""Inputs that must be refused before they cost anything, and numbers that stay true at the edges.

Each test reproduces a failure once seen in the package (a stray class label that cost minutes and
gigabytes, an overflow while formatting a refusal, complex labels accepted, an overflow where the
answer is finite) and checks the fixed behaviour against an independent value: the relabelled
problem, an exact power-of-two rescaling, or the closed form.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import radbound as rb
from radbound import bounds
from radbound._validation import check_multiclass_labels, encode_class_labels

X6 = np.random.default_rng(0).normal(size=(6, 3))
Y_BIN = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
STRAY = np.array([0, 1, 2, 0, 1, 10**6])
RELABELLED = np.array([0, 1, 2, 0, 1, 3])


def _fast(seconds: float = 5.0):
    """Context manager asserting that the body finishes within ``seconds``."""

    class _Timer:
        def __enter__(self):
            self.t0 = time.perf_counter()

        def __exit__(self, *exc):
            if exc[0] is None:
                elapsed = time.perf_counter() - self.t0
                assert elapsed < seconds, f"took {elapsed:.1f} s"

    return _Timer()


# ------------------------------------------------------------------------------------------ labels
def test_classes_are_the_labels_present():
    idx, classes = encode_class_labels(STRAY, 6)
    assert idx.tolist() == RELABELLED.tolist() and classes.tolist() == [0, 1, 2, 10**6]
    idx, K = check_multiclass_labels([5, -3, 5], 3)
    assert idx.tolist() == [1, 0, 1] and K == 2


@pytest.mark.parametrize("label", [10**6, 2**62])
def test_a_stray_label_costs_one_class(label):
    y = STRAY.copy()
    y[-1] = label
    with _fast():
        est = rb.multiclass_rademacher(X6, y, method="exact")
    ref = rb.multiclass_rademacher(X6, RELABELLED, method="exact")
    assert est.value == ref.value and est.per_class == ref.per_class
    assert est.classes == (0, 1, 2, label) and est.class_sizes == (2, 2, 1, 1)


@pytest.mark.parametrize("fn", [bounds.multiclass_natural_bound, bounds.multiclass_adversarial_bound])
def test_multiclass_bounds_with_a_stray_label_equal_the_relabelled_bound(fn):
    kw = {"margin": 1.0, "complexity": "exact"} | ({"eps": 0.1} if "adversarial" in fn.__name__ else {})
    with _fast():
        b = fn(X6, STRAY, **kw)
    assert b.value == fn(X6, RELABELLED, **kw).value


def test_ramp_lower_estimate_with_a_stray_label_is_cheap():
    kw = {"margin": 1.0, "n_restarts": 2, "n_steps": 20, "n_pool": 50, "seed": 0}
    with _fast():
        est = bounds.multiclass_ramp_lower_estimate(X6, STRAY, **kw)
    assert est.value == bounds.multiclass_ramp_lower_estimate(X6, RELABELLED, **kw).value


@pytest.mark.parametrize("n_classes", [7, 10**9, 2**62])
def test_declared_class_count_is_checked_against_n(n_classes):
    with _fast(1.0), pytest.raises(ValueError, match="n_classes must be <= n_samples=6"):
        rb.multiclass_rademacher(X6, RELABELLED, n_classes=n_classes)
    with _fast(1.0), pytest.raises(ValueError, match="n_classes must be <= n_samples=6"):
        bounds.multiclass_natural_bound(X6, RELABELLED, margin=1.0, n_classes=n_classes)


def test_absent_declared_class_contributes_zero():
    est = rb.multiclass_rademacher(X6, [0, 1, 0, 1, 0, 1], n_classes=3, method="exact")
    assert est.per_class[2] == 0.0 and est.classes == (0, 1, 2)


COMPLEX_CALLS = [
    ("adversarial_linear_rademacher", lambda y: rb.adversarial_linear_rademacher(X6, y, eps=0.1)),
    ("adversarial_linear_sandwich", lambda y: bounds.adversarial_linear_sandwich(X6, y, eps=0.1)),
    ("adversarial_margins", lambda y: rb.attacks.adversarial_margins(np.ones(3), 0.0, X6, y, eps=0.1)),
    ("ramp_risk", lambda y: rb.attacks.ramp_risk(np.ones(3), 0.0, X6, y, margin=1.0)),
    ("fit_linear", lambda y: rb.train.fit_linear(X6, y, eps=0.1, lam=0.01, loss="logistic")),
    ("objective", lambda y: rb.train.objective(X6, y, np.ones(3), 0.0, eps=0.1, lam=0.01, loss="logistic")),
]
COMPLEX_MULTI = [
    ("multiclass_rademacher", lambda y: rb.multiclass_rademacher(X6, y)),
    ("multiclass_natural_bound", lambda y: bounds.multiclass_natural_bound(X6, y, margin=1.0)),
    ("linear_worst_case", lambda y: rb.attacks.linear_worst_case(np.eye(3), None, X6, y, eps=0.1)),
    ("fit_linear softmax", lambda y: rb.train.fit_linear(X6, y, eps=0.1, lam=0.01, loss="softmax")),
]


@pytest.mark.parametrize("name, call", COMPLEX_CALLS, ids=[c[0] for c in COMPLEX_CALLS])
def test_complex_binary_labels_are_refused(name, call):
    with pytest.raises(TypeError, match="y must hold real labels"):
        call(Y_BIN + 0j)


@pytest.mark.parametrize("name, call", COMPLEX_MULTI, ids=[c[0] for c in COMPLEX_MULTI])
def test_complex_class_labels_are_refused(name, call):
    with pytest.raises(TypeError, match="y must hold real labels"):
        call(np.array([0, 1, 2, 0, 1, 2]) + 0j)


# ---------------------------------------------------------------------------------- the engine
def _abs_sum(s):
    return np.abs(s.sum(axis=1))


@pytest.mark.parametrize("n", [31, 10**6, 2**64, 10**30])
def test_exact_refusal_states_its_cost_for_any_n(n):
    with _fast(1.0), pytest.raises(ValueError, match=rf"method='exact' needs n <= 30, got n={n}: .*2\*\*{n}"):
        rb.empirical_rademacher(_abs_sum, n, method="exact")


@pytest.mark.parametrize("n", [2**27 + 1, 2**64, 10**30])
def test_sample_size_beyond_one_gib_sign_vector_is_refused(n):
    with _fast(1.0), pytest.raises(ValueError, match=r"n must be <= 134,217,728"):
        rb.empirical_rademacher(_abs_sum, n, method="monte-carlo", n_draws=4)


def test_monte_carlo_work_beyond_the_largest_enumeration_is_refused():
    with _fast(1.0), pytest.raises(ValueError, match=r"n_draws=4,611,686,018,427,387,904 .* use n_draws <="):
        rb.empirical_rademacher(_abs_sum, 6, method="monte-carlo", n_draws=2**62)


def test_complex_supremum_is_refused():
    with pytest.raises(ValueError, match="sup must return real values"):
        rb.empirical_rademacher(lambda s: s.sum(axis=1) * 1j, 4, method="exact")


@pytest.mark.parametrize("seed", [-1, 1.5, "abc"])
def test_seed_is_validated_even_when_the_enumeration_is_exact(seed):
    with pytest.raises((TypeError, ValueError), match="seed"):
        rb.linear_rademacher(X6, method="exact", seed=seed)


@pytest.mark.parametrize(
    "c, err", [(np.ones(6) + 0j, TypeError), ("c", TypeError), (np.r_[1.0, -1, 1, 1, 1, 1], ValueError)]
)
def test_bounded_differences_are_checked_with_a_short_message(c, err):
    with pytest.raises(err, match="bounded_differences"):
        rb.empirical_rademacher(_abs_sum, 6, method="monte-carlo", bounded_differences=c)


# ------------------------------------------------------------------------ scale at the edges
def _pow2(A, k):
    """A * 2**k exactly, for any k in [-2098, 2098]."""
    h = k // 2
    return (np.asarray(A, dtype=np.float64) * 2.0**h) * 2.0 ** (k - h)


#: Relative tolerance between a complexity on X and on 2**k X scaled back: both sides are means of at
#: most 200 suprema, each a q-norm of a sum of n = 6 rows in d = 3 coordinates accurate to about
#: (n + d + 4) ulp = 3e-15; data inside 2**+-200 is not rescaled by the engine, so the two sides
#: round differently by at most that much, and 1e-12 leaves a wide margin. Data outside that range
#: is computed on exactly rescaled data: then the two sides are equal to the last bit.
SCALE_RTOL = 1e-12


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    k=st.integers(-1000, 1020),
    method=st.sampled_from(["exact", "monte-carlo"]),
    p=st.sampled_from([1.0, 2.0, 3.0, math.inf]),
)
def test_complexities_scale_exactly_with_the_data(k, method, p):
    """Positive homogeneity: X, eps -> 2**k X, 2**k eps multiplies the complexity by 2**k, for data
    anywhere in the float64 range (no overflow, no underflow, no loss of accuracy)."""
    kw = {"method": method, "n_draws": 200, "seed": 0, "p": p}
    X = X6 / 4.0  # entries in [2**-10, 1): 2**k X is finite and normal (all bits kept) for k in [-1000, 1020]

    def same(a, b):
        return a == pytest.approx(math.ldexp(b, k), rel=SCALE_RTOL, abs=0.0)

    ref = rb.linear_rademacher(X, **kw)
    assert same(rb.linear_rademacher(_pow2(X, k), **kw).value, ref.value)
    adv_ref = rb.adversarial_linear_rademacher(X, Y_BIN, eps=0.1, **kw)
    adv = rb.adversarial_linear_rademacher(_pow2(X, k), Y_BIN, eps=math.ldexp(0.1, k), **kw)
    assert same(adv.value, adv_ref.value) and same(adv.natural, adv_ref.natural)
    mc_ref = rb.multiclass_rademacher(X, STRAY, **kw)
    mc = rb.multiclass_rademacher(_pow2(X, k), STRAY, **kw)
    assert same(mc.value, mc_ref.value)
    assert all(same(a, b) for a, b in zip(mc.per_class, mc_ref.per_class))
    if abs(k) > 210:  # 2**k X and 2**(k -+ 2) X are rescaled to the same data: equal to the last bit
        j = k - 2 if k > 0 else k + 2
        near = rb.linear_rademacher(_pow2(X, j), **kw).value
        assert rb.linear_rademacher(_pow2(X, k), **kw).value == math.ldexp(near, k - j)


@pytest.mark.parametrize("radius", [1e300, 2.0**1000, 1.0e-300])
def test_radius_far_from_one_scales_exactly(radius):
    m, e = math.frexp(radius)
    ref = rb.linear_rademacher(X6, method="monte-carlo", n_draws=100, seed=0, radius=m)
    est = rb.linear_rademacher(X6, method="monte-carlo", n_draws=100, seed=0, radius=radius)
    assert est.value == math.ldexp(ref.value, e)
    assert est.interval[1] == pytest.approx(math.ldexp(ref.interval[1], e), rel=1e-15)


def test_an_answer_beyond_float64_is_an_overflow_error_naming_the_inputs():
    with pytest.raises(OverflowError, match="X or radius too large"):
        rb.linear_rademacher(X6, radius=1.7976931348623157e308)
    with pytest.raises(OverflowError, match="X, eps or radius too large"):
        rb.adversarial_linear_rademacher(X6 * 1e300, Y_BIN, eps=1e308, radius=1e10)


# -------------------------------------------------------------------- margins at the float edges
def test_margin_with_an_attack_norm_near_one_is_finite():
    """The dual exponent of 1 + 1e-9 is about 1e9: the norm of (2, 0) is 2, not an overflow."""
    m = rb.attacks.adversarial_margins([2.0, 0.0], 0.0, [[0.0, 0.0]], [1], eps=1, attack_norm=1 + 1e-9)
    assert m.tolist() == [-2.0]


@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e20), (np.float64, 1e160)])
def test_scores_beyond_the_float_range_are_an_overflow_error(dtype, scale):
    """float32 scores of 1e40 used to come back as +-inf margins; finite inputs whose scores leave
    the float range of their dtype are refused by name, with the fix for float32."""
    W = (np.array([[1.0, 0, 0], [-1.0, 0, 0], [0, 0, 0]]) * scale).astype(dtype)
    X = (X6 * scale).astype(dtype)
    hint = r"\(pass float64 arrays\)" if dtype == np.float32 else "overflow float64"
    for call in (
        lambda: rb.attacks.adversarial_margins(W, np.zeros(3, dtype), X, [0, 1, 2, 0, 1, 2], eps=0.1),
        lambda: rb.attacks.adversarial_margins(W[0], 0.0, X, Y_BIN, eps=0.1),
    ):
        with pytest.raises(OverflowError, match=f"X, W or b too large: .*{hint}"):
            call()
    small = rb.attacks.adversarial_margins(
        W / scale, np.zeros(3, dtype), X / scale, [0, 1, 2, 0, 1, 2], eps=0.1
    )
    assert small.dtype == dtype and np.isfinite(small).all()


# ------------------------------------------------- refusals and finite answers at the extremes
def test_a_bound_beyond_the_float_range_names_its_extreme_inputs():
    with pytest.raises(OverflowError, match=r"gamma = 4.94e-324 \(from margin\)"):
        bounds.generalization(0.1, 0.05, 1000, margin=5e-324)
    # a margin at the top of the float range is a valid (if useless) margin: the grid copes
    net = rb.networks.Network.from_arrays([np.eye(3), np.ones((1, 3))])
    assert math.isfinite(bounds.spectral_bound(net, X6, margin=np.finfo(float).max).value)


@pytest.mark.parametrize("delta", [5e-324, 1e-310])
def test_subnormal_delta_gives_a_finite_bound_or_names_delta(delta):
    """log(k / delta) overflowed into "value must be finite, got inf"; now each bound is finite (the
    log computed as log(k) - log(delta)) or an OverflowError naming delta as the extreme input."""
    from radbound.pacbayes import pac_bayes_kl_bound, sample_convergence_bound

    for call in (
        lambda: pac_bayes_kl_bound(0.1, 5.0, 1000, delta=delta),
        lambda: sample_convergence_bound(0.2, 1000, delta=delta),
        lambda: bounds.generalization(0.1, 0.05, 1000, delta=delta),
    ):
        try:
            assert math.isfinite(call().value)
        except OverflowError as exc:
            assert re.search(r"delta(_mc)? = \S+ \(from delta", str(exc)), str(exc)


def test_monte_carlo_budgets_beyond_memory_are_refused_before_training():
    from radbound.pacbayes import linear_certificate

    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.arange(20) % 2 * 2.0 - 1
    with _fast(2.0), pytest.raises(ValueError, match=r"n_posterior_draws must be <= 134,217,728"):
        linear_certificate(X, y, n_posterior_draws=2**31, n_steps=5, prior_steps=5, seed=0)
    with _fast(2.0), pytest.raises(ValueError, match=r"examples_per_draw \* n_posterior_draws"):
        linear_certificate(X, y, n_posterior_draws=20, examples_per_draw=2**31, n_steps=5, seed=0)


@pytest.mark.parametrize("value", ["yes", 2, 0.5, None])
def test_flags_must_be_booleans(value):
    net = rb.networks.Network.from_arrays([np.eye(3), np.ones((1, 3))])
    with pytest.raises(TypeError, match="posthoc must be True or False"):
        bounds.spectral_bound(net, X6, posthoc=value)
    with pytest.raises(TypeError, match="random_start must be True or False"):
        rb.attacks.pgd((np.ones(3), 0.0), X6, Y_BIN, eps=0.1, random_start=value)


def test_options_and_models_are_checked_even_where_unused():
    with pytest.raises(ValueError, match="bound must be one of"):
        bounds.model_generalization(np.ones(3), X6, Y_BIN, margin=1.0, bound="bogus")
    with pytest.raises(ValueError, match="model: the weights and bias are all zero"):
        bounds.model_generalization(np.zeros(3), X6, Y_BIN, margin=1.0)
    with pytest.raises(TypeError, match="model must be an array of real numbers"):
        bounds.model_generalization(np.ones(3) + 0j, X6, Y_BIN, margin=1.0)
    with pytest.raises(TypeError, match="est must be a radbound.Estimate"):
        bounds.mc_deviation(0.3, 0.05)
    with pytest.raises(ValueError, match="mc_range must be finite and > 0"):
        bounds.generalization(0.1, 0.05, 1000, mc_range=float("nan"))


def test_path_norm_with_a_huge_exponent_is_an_overflow_error():
    net = rb.networks.Network.from_arrays([np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([[3.0, -1.0]])])
    assert rb.networks.path_norm(net) == pytest.approx(9.5)
    with pytest.raises(OverflowError, match="p=1000000000.0 too large"):
        rb.networks.path_norm(net, p=1e9)


@pytest.mark.parametrize("k", [700, -700])
def test_spectral_norm_and_sdp_scale_exactly_far_from_unit_size(k):
    from radbound.networks import dense_spectral_norm, sdp_certificate

    A = np.random.default_rng(0).normal(size=(4, 6))
    assert dense_spectral_norm(np.ldexp(A, k)) == math.ldexp(dense_spectral_norm(np.ldexp(A, 0)), k)
    Q = np.array([[0.0, 1.0, -2.0], [1.0, 0.0, 0.5], [-2.0, 0.5, 0.0]])
    # the largest |Q| entry is 2 = 0.5 * 2**2: the far call solves on 2**-(k + 2) (2**k Q) = Q / 4
    unit, far = sdp_certificate(np.ldexp(Q, -2)), sdp_certificate(np.ldexp(Q, k))
    assert far.certified == math.ldexp(unit.certified, k + 2) and far.cheap == math.ldexp(unit.cheap, k + 2)
    with pytest.raises(OverflowError, match="weight too large"):
        dense_spectral_norm(np.full((2, 3), np.finfo(float).max))


def test_network_forward_refuses_non_finite_input_and_overflow():
    net = rb.networks.Network.from_arrays([np.ones((4, 3)), np.ones((1, 4))])
    with pytest.raises(ValueError, match="X must contain only finite values"):
        net.forward(np.full((2, 3), np.nan))
    with pytest.raises(TypeError, match="X must be an array of real numbers"):
        net.forward(np.ones((2, 3)) + 0j)
    with pytest.raises(OverflowError, match="X too large for this network"):
        net.forward(np.full((2, 3), 1e308))


def test_clopper_pearson_checks_its_counts_and_level():
    from radbound.certify import clopper_pearson_lower

    for kwargs, match in (
        ({"k": 11, "n": 10, "alpha": 0.05}, r"k must hold integer counts in \[0, n=10\]"),
        ({"k": 2.5, "n": 10, "alpha": 0.05}, "k must hold integer counts"),
        ({"k": 5, "n": 0, "alpha": 0.05}, "n must be"),
        ({"k": 5, "n": 10, "alpha": 1.5}, "alpha must be"),
    ):
        with pytest.raises(ValueError, match=match):
            clopper_pearson_lower(**kwargs)


def test_smoothing_radius_stays_finite_when_the_lower_bound_rounds_to_one():
    """With alpha just below 1 and every vote for one class, p_lower = alpha**(1/n) rounds to 1.0 and
    Phi^-1(1) = inf; the radius is then sigma * Phi^-1 of the upper tail 1 - alpha**(1/n)."""
    from scipy.stats import norm

    from radbound.certify import certify_smoothed

    x = np.array([[5.0, 0.0, 0.0]])  # far from the boundary of w = (1, 0, 0): all 50 votes agree
    alpha = math.nextafter(1.0, 0.0)
    cert = certify_smoothed((np.array([1.0, 0.0, 0.0]), 0.0), x, sigma=0.5, n0=10, n=50, alpha=alpha, seed=0)
    assert cert.p_lower[0] == 1.0 and cert.counts[0].max() == 50
    expected = 0.5 * norm.isf(-math.expm1(math.log(alpha) / 50))
    assert cert.radius[0] == pytest.approx(expected, rel=1e-9)


def test_ramp_risk_of_a_gaussian_mixture_at_a_subnormal_margin_is_the_step_risk():
    gm = rb.data.GaussianMixture(np.array([1.0, 0.0]), scale=0.5)
    w = np.array([1.0, 1.0])
    step = gm.risk(w, 0.0)
    for margin in (5e-324, 1e-300, 1e-12):  # 1e-300 gave 0 (cancellation), 5e-324 NaN
        assert gm.risk(w, 0.0, margin=margin) == pytest.approx(step, rel=1e-9)
    # continuity across the switch to the midpoint rule at margin = 1e-5 s (s = 0.5 sqrt 2 here)
    s = 0.5 * math.sqrt(2)
    below, above = gm.risk(w, 0.0, margin=0.99e-5 * s), gm.risk(w, 0.0, margin=1.01e-5 * s)
    assert below == pytest.approx(above, abs=1e-7)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: rb.attacks.linear_worst_case(np.eye(3), None, X6, [0, 1, 2] * 2, eps=1.7e308),
            OverflowError,
            "eps",
        ),
        (
            lambda: __import__("radbound.certify", fromlist=["x"]).certified_margins(
                _NET3, np.sign(X6) * 1.7e308, [0, 1, 2] * 2, eps=0.1
            ),
            OverflowError,
            "X or eps too large",
        ),
        (lambda: rb.data.GaussianMixture(np.ones(3)).sample(2**31), ValueError, "n=2,147,483,648 samples"),
        (lambda: rb.data.resampling_matrix(2**31, 14), ValueError, "n_in \\* n_out"),
        (lambda: rb.networks.unrolled_matrix(_CONV, (1, 2**15, 2**15)), ValueError, "input_shape="),
        (lambda: rb.data.read_idx(3), TypeError, "path must be a str or a path-like"),
        (lambda: rb.data.load_mnist([1, 2]), TypeError, "path must be a str or a path-like"),
    ],
    ids=[
        "worst case",
        "certified margins",
        "mixture sample",
        "resampling",
        "unrolled",
        "idx path",
        "mnist path",
    ],
)
def test_extreme_requests_are_refused_fast_and_by_name(call, error, match):
    with _fast(2.0), pytest.raises(error, match=match):
        call()


_NET3 = rb.networks.Network.from_arrays([np.random.default_rng(3).normal(size=(4, 3)), np.ones((3, 4))])
_CONV = rb.networks.Conv2d(np.ones((2, 1, 2, 2)), padding=1)


def test_training_far_from_unit_scale_is_finite():
    """max|X| near the largest float: the data scale is 2**1023, not the overflowing 2**1024."""
    with pytest.warns(rb.train.NonOptimalWarning):
        m = rb.train.fit_linear(np.sign(X6) * np.finfo(float).max, Y_BIN, eps=0.1, lam=0.01, loss="logistic")
    assert np.isfinite(m.W).all()


def test_one_antithetic_pair_is_refused_as_it_has_no_standard_error():
    """n_draws=2 with antithetic pairs is one pair: its standard error was NaN and surfaced as "the
    estimate is about nan * 2**0, beyond the float64 range"."""
    with pytest.raises(ValueError, match=r"n_draws must be >= 4 when antithetic=True"):
        rb.empirical_rademacher(_abs_sum, 6, method="monte-carlo", n_draws=2)
    est = rb.empirical_rademacher(_abs_sum, 6, method="monte-carlo", n_draws=2, antithetic=False, seed=0)
    assert math.isfinite(est.stderr)


def test_a_margin_too_small_for_the_model_is_named():
    """margin=1e-323 made the grid scale ||w|| / margin infinite: "scale must be finite" named a
    quantity the caller never passed."""
    with pytest.raises(OverflowError, match=r"margin=1e-323 too small"):
        bounds.model_generalization(np.array([1.0, -2.0, 0.5]), X6, Y_BIN, margin=1e-323)
