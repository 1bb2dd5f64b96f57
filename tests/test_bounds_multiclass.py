"""Multi-class linear classes (docs/theory/multiclass.md): estimator, bounds, ramp-loss lower estimate."""

import itertools
import math
import warnings

import numpy as np
import pytest

import radbound as rb
from radbound._lp import dual_exponent
from radbound.bounds import (
    multiclass_adversarial_bound,
    multiclass_natural_bound,
    multiclass_ramp_lower_estimate,
)


def _enumerate(X, y, K, q):
    """Independent oracle by enumeration: E||sum_{i in I_k} sigma_i x_i||_q and the full-sample one."""
    n = X.shape[0]
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    per = [np.linalg.norm((signs * (y == k)) @ X, ord=q, axis=1).mean() for k in range(K)]
    return per, np.linalg.norm(signs @ X, ord=q, axis=1).mean()


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
def test_multiclass_rademacher_matches_enumeration(p):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), np.array([0, 1, 2, 0, 1, 2, 0, 3])
    est = rb.multiclass_rademacher(X, y, p=p, radius=0.7, method="exact")
    per, full = _enumerate(X, y, 4, dual_exponent(p))
    np.testing.assert_allclose(est.per_class, per, rtol=1e-12)
    assert math.isclose(est.full, full, rel_tol=1e-12)
    assert math.isclose(est.value, 0.7 * sum(per) / 8, rel_tol=1e-12)
    assert est.class_sizes == (3, 2, 2, 1)


def test_multiclass_rademacher_monte_carlo_within_standard_errors():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(14, 4)), rng.integers(0, 3, size=14)
    y[:3] = [0, 1, 2]
    exact = rb.multiclass_rademacher(X, y, method="exact")
    mc = rb.multiclass_rademacher(X, y, method="monte-carlo", n_draws=4000, seed=3)
    assert abs(mc.value - exact.value) < 4 * mc.stderr
    lo, hi = mc.interval
    assert lo < exact.value < hi
    # two classes with equal labels structure: sum over classes of the one-class linear complexities
    lin = sum(rb.linear_rademacher(X[y == k], method="exact").value * (y == k).sum() / 14 for k in range(3))
    assert math.isclose(exact.value, lin, rel_tol=1e-12)


def test_class_absent_from_sample_contributes_zero():
    est = rb.multiclass_rademacher(np.eye(4), [0, 1, 1, 0], n_classes=4, method="exact")
    assert est.per_class[2:] == (0.0, 0.0)


CASES = [
    # (seed, n, d, K, p, radius, margin, eps)
    (0, 5, 2, 3, 2.0, 0.3, 1.0, 0.0),
    (1, 5, 2, 3, 1.0, 0.5, 1.0, 0.0),
    (2, 5, 3, 2, math.inf, 0.2, 1.0, 0.0),
    (3, 5, 2, 3, 2.0, 0.3, 1.0, 0.4),
    (4, 5, 2, 2, 1.0, 0.5, 0.5, 0.3),
    (5, 5, 3, 3, math.inf, 0.2, 1.0, 0.2),
]


@pytest.mark.parametrize("seed, n, d, K, p, radius, margin, eps", CASES)
def test_each_multiclass_bound_exceeds_the_optimised_lower_estimate(seed, n, d, K, p, radius, margin, eps):
    """A heuristic sup over W on ALL sign vectors is a certified lower bound: the bound must exceed it."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), np.arange(n) % K
    lower = multiclass_ramp_lower_estimate(
        X, y, margin=margin, p=p, radius=radius, eps=eps, method="exact", seed=seed, n_steps=120, n_pool=1500
    )
    assert lower.is_exact and isinstance(lower, rb.LowerEstimate)
    kw = {"margin": margin, "p": p, "radius": radius, "complexity": "exact"}
    bound = (
        multiclass_natural_bound(X, y, **kw)
        if eps == 0
        else multiclass_adversarial_bound(X, y, eps=eps, **kw)
    )
    assert lower.value > 0.02  # the search finds something: the check is not vacuous
    assert bound.value >= lower.value, (bound, lower)
    # and the test has teeth: a bound 20 times smaller would be caught
    assert bound.value / 20 < lower.value
    if eps == 0:  # the adversarial bound at eps = 0 also bounds the natural class
        assert multiclass_adversarial_bound(X, y, eps=0.0, **kw).value >= lower.value


def test_ramp_lower_estimate_closed_form_n1():
    """n = 1, x = 1, K = 2: R = (1 - (1 - 2W(1 - eps)/gamma)_+)/2 (half the range of the ramp loss)."""
    for eps in (0.0, 0.3):
        est = multiclass_ramp_lower_estimate(
            [[1.0]], [0], n_classes=2, margin=1.0, radius=0.25, eps=eps, seed=0
        )
        assert math.isclose(est.value, 0.5 * (1 - max(0.0, 1 - 2 * 0.25 * (1 - eps))), rel_tol=1e-9)


def test_adversarial_lower_estimate_grows_with_eps_and_natural_limit():
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(4, 2)), np.array([0, 1, 0, 1])
    kw = {"margin": 1.0, "radius": 0.5, "method": "exact", "seed": 0, "n_steps": 80, "n_pool": 800}
    nat = multiclass_ramp_lower_estimate(X, y, **kw)
    b0 = multiclass_adversarial_bound(X, y, margin=1.0, radius=0.5, eps=0.0, complexity="exact")
    b1 = multiclass_adversarial_bound(X, y, margin=1.0, radius=0.5, eps=0.5, complexity="exact")
    assert b1.value > b0.value >= nat.value
    assert b0.terms["adversarial term"] == 0.0


def _bounds():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(9, 4)), np.array([0, 1, 2] * 3)
    mc = rb.multiclass_rademacher(X, y, p=1, method="monte-carlo", n_draws=100, seed=0)
    out = [
        multiclass_natural_bound(X, y, margin=0.5, complexity="exact"),
        multiclass_natural_bound(X, y, margin=0.5, p=1, complexity=mc),
        multiclass_adversarial_bound(X, y, margin=0.5, eps=0.1, complexity="exact"),
        multiclass_adversarial_bound(X, y, margin=0.5, eps=0.1, p=1, complexity=mc),
        multiclass_adversarial_bound(X, y, margin=0.5, eps=0.1, p=3, attack_norm=2, complexity="exact"),
    ]
    return out


def test_formula_reproduces_value_for_every_multiclass_bound():
    for b in _bounds():
        assert math.isclose(b.evaluate_formula(), b.value, rel_tol=1e-9), b.name


def test_statuses_and_leading_constant():
    X, y = np.eye(3), [0, 1, 2]
    assert multiclass_natural_bound(X, y, margin=1.0).status == "paper"
    adv = multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1)
    assert adv.status == "derived" and adv.constants["C"] == 2.0
    with pytest.warns(UserWarning, match="below the safe value"):
        half = multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1, leading_constant=1.0)
    assert half.status == "unverified" and math.isclose(half.value, adv.value / 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1, leading_constant=3.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"margin": 0.0}, "margin must be finite and > 0"),
        ({"margin": -1.0}, "margin must be finite and > 0"),
        ({"margin": 1.0, "n_classes": 2}, "n_classes=2"),
        ({"margin": 1.0, "p": 0.0}, "p must be in"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        multiclass_natural_bound(np.eye(3), [0, 1, 2], **kwargs)


def test_fewer_than_two_classes_and_mismatched_estimates():
    with pytest.raises(ValueError, match="at least two classes"):
        rb.multiclass_rademacher(np.eye(3), [1, 1, 1])
    with pytest.raises(ValueError, match="at least two classes"):
        multiclass_adversarial_bound(np.eye(3), [0, 0, 0], margin=1.0, eps=0.1)
    est = rb.multiclass_rademacher(np.eye(3), [0, 1, 1], method="exact")
    with pytest.raises(ValueError, match="K=2 classes"):
        multiclass_natural_bound(np.eye(3), [0, 1, 2], margin=1.0, complexity=est)
    with pytest.raises(ValueError, match="class sizes"):
        multiclass_natural_bound(np.eye(3), [0, 0, 1], margin=1.0, complexity=est)
    with pytest.raises(ValueError, match="eps must be"):
        multiclass_adversarial_bound(np.eye(3), [0, 1, 2], margin=1.0, eps=-1.0)


def test_search_effort_does_not_change_the_sign_vectors(monkeypatch):
    """The seed is split into a sign stream and a search stream: more restarts or steps, same signs."""
    import radbound.bounds.multiclass as mc

    seen = {}
    original = mc.ramp_sup_lower

    def recording(X, y, signs, **kw):
        seen.setdefault(kw["n_restarts"], []).append(np.array(signs))
        return original(X, y, signs, **kw)

    monkeypatch.setattr(mc, "ramp_sup_lower", recording)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(24, 3)), np.arange(24) % 3
    for restarts, steps in ((3, 5), (8, 40)):
        mc.multiclass_ramp_lower_estimate(
            X,
            y,
            margin=1.0,
            method="monte-carlo",
            n_draws=20,
            seed=11,
            n_restarts=restarts,
            n_steps=steps,
            n_pool=50,
        )
    np.testing.assert_array_equal(np.vstack(seen[3]), np.vstack(seen[8]))
    # and the sign stream is the one a Generator spawned from the seed gives the engine
    sign_rng, _ = rb._validation.spawn_generators(11, 2)
    ref = []
    rb.empirical_rademacher(
        lambda s: ref.append(np.array(s)) or np.zeros(s.shape[0]),
        24,
        method="monte-carlo",
        n_draws=20,
        seed=sign_rng,
    )
    np.testing.assert_array_equal(np.vstack(seen[3]), np.vstack(ref))
