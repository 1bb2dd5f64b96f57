"""The generic estimator empirical_rademacher: exact enumeration, Monte Carlo, errors."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import radbound as rb
from radbound._concentration import expected_abs_sign_sum, mcdiarmid_half_width
from radbound.complexity._engine import (
    AUTO_EXACT_MAX_N,
    DEFAULT_N_DRAWS,
    EXACT_MAX_N,
    _resolve_method,
)
from radbound.complexity._signs import draw_signs, signs_from_codes


def abs_sum(signs):
    return np.abs(signs.sum(axis=1))


def all_signs(n):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=n)))


# ---------------------------------------------------------------- sign vectors
def test_codes_enumerate_every_sign_vector_once():
    S = signs_from_codes(np.arange(2**5), 5)
    assert len({tuple(r) for r in S.tolist()}) == 32
    assert set(np.unique(S)) == {-1.0, 1.0}


def test_draws_do_not_depend_on_chunking():
    a = draw_signs(np.random.default_rng(3), 7, 130)
    rng = np.random.default_rng(3)
    b = np.vstack([draw_signs(rng, 3, 130), draw_signs(rng, 4, 130)])
    assert (a == b).all()
    # each sign is +-1 with frequency close to 1/2 (binomial s.e. 1/(2 sqrt(N)) with N = 910)
    assert abs((a == 1).mean() - 0.5) < 4 * 0.5 / math.sqrt(a.size)


def test_expected_abs_sign_sum_matches_enumeration():
    for n in range(1, 13):
        assert math.isclose(expected_abs_sign_sum(n), np.abs(all_signs(n).sum(axis=1)).mean(), rel_tol=1e-13)


# ---------------------------------------------------------------- exact
@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_exact_average_of_abs_sum_is_the_closed_form(n):
    est = rb.empirical_rademacher(abs_sum, n, method="exact")
    assert est.is_exact and est.stderr == 0.0 and est.interval is None and est.n_draws == 2**n
    assert math.isclose(est.value, expected_abs_sign_sum(n) / n, rel_tol=1e-13)


def test_exact_does_not_depend_on_chunk_size():
    a = np.random.default_rng(0).standard_normal(9)

    def sup(signs):
        return np.abs(signs @ a) ** 1.5

    ref = np.mean(np.abs(all_signs(9) @ a) ** 1.5) / 9
    for chunk in (1, 7, 64, 10_000):
        est = rb.empirical_rademacher(sup, 9, method="exact", chunk_size=chunk)
        assert math.isclose(est.value, ref, rel_tol=1e-13)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    a=st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=8),
    power=st.sampled_from([1.0, 2.0, 3.0]),
)
def test_exact_equals_brute_force_enumeration(a, power):
    """Any oracle: the engine's exact value is the plain average over itertools.product."""
    a = np.array(a)
    n = a.size

    def sup(signs):
        return np.abs(signs @ a) ** power

    ref = np.mean(sup(all_signs(n))) / n
    est = rb.empirical_rademacher(sup, n, method="exact")
    assert abs(est.value - ref) <= 1e-13 * (1 + abs(ref))


# ---------------------------------------------------------------- Monte Carlo
def test_monte_carlo_within_four_standard_errors_of_exact():
    a = np.random.default_rng(1).standard_normal(14)

    def sup(signs):
        return np.abs(signs @ a) + 0.1 * signs[:, 0]

    exact = rb.empirical_rademacher(sup, 14, method="exact").value
    for antithetic in (True, False):
        mc = rb.empirical_rademacher(
            sup, 14, method="monte-carlo", n_draws=4000, seed=2, antithetic=antithetic
        )
        assert mc.method == "monte-carlo" and mc.n_draws == 4000 and mc.antithetic is antithetic
        assert mc.stderr > 0
        assert abs(mc.value - exact) < 4 * mc.stderr


def test_monte_carlo_is_reproducible_and_chunk_independent():
    kw = dict(method="monte-carlo", n_draws=600, seed=11)
    for antithetic in (True, False):
        ref = rb.empirical_rademacher(abs_sum, 25, antithetic=antithetic, **kw)
        for chunk in (2, 50, 1000):
            est = rb.empirical_rademacher(abs_sum, 25, antithetic=antithetic, chunk_size=chunk, **kw)
            assert est.value == ref.value and est.stderr == ref.stderr
    gen = rb.empirical_rademacher(
        abs_sum, 25, seed=np.random.default_rng(11), method="monte-carlo", n_draws=600
    )
    assert gen.value == rb.empirical_rademacher(abs_sum, 25, **kw).value


def test_antithetic_stderr_comes_from_pair_means():
    """sup(sigma) = sum(sigma) is odd: every pair mean is 0, so value and stderr are exactly 0."""
    est = rb.empirical_rademacher(lambda s: s.sum(axis=1), 12, method="monte-carlo", n_draws=200, seed=0)
    assert est.value == 0.0 and est.stderr == 0.0
    iid = rb.empirical_rademacher(
        lambda s: s.sum(axis=1), 12, method="monte-carlo", n_draws=200, seed=0, antithetic=False
    )
    assert iid.stderr > 0


def test_iid_stderr_is_the_sample_standard_error():
    rng = np.random.default_rng(5)
    S = draw_signs(rng, 300, 10)
    vals = np.abs(S.sum(axis=1))
    est = rb.empirical_rademacher(abs_sum, 10, method="monte-carlo", n_draws=300, seed=5, antithetic=False)
    assert math.isclose(est.value, vals.mean() / 10, rel_tol=1e-14)
    assert math.isclose(est.stderr, vals.std(ddof=1) / math.sqrt(300) / 10, rel_tol=1e-12)


def test_mcdiarmid_interval():
    c = np.full(10, 2.0 / 10)  # |s| moves by at most 2 when one sign flips; divided by n
    est = rb.empirical_rademacher(
        abs_sum, 10, method="monte-carlo", n_draws=1000, seed=4, bounded_differences=c, delta=0.01
    )
    hw = math.sqrt(np.sum(c**2) * math.log(2 / 0.01) / 1000)  # antithetic: m/2 pairs, c doubled
    assert math.isclose(est.interval[1] - est.value, hw, rel_tol=1e-12)
    assert math.isclose(est.value - est.interval[0], hw, rel_tol=1e-12)
    assert est.interval[0] <= expected_abs_sign_sum(10) / 10 <= est.interval[1]
    assert est.delta == 0.01
    iid = rb.empirical_rademacher(
        abs_sum, 10, method="monte-carlo", n_draws=1000, seed=4, bounded_differences=c, antithetic=False
    )
    assert math.isclose(
        iid.interval[1] - iid.value, mcdiarmid_half_width(c, 1000, 0.05, antithetic=False), rel_tol=1e-12
    )
    assert math.isclose(
        mcdiarmid_half_width(c, 1000, 0.05, antithetic=False), math.sqrt(0.4 * math.log(40) / 2000)
    )
    assert rb.empirical_rademacher(abs_sum, 10, method="monte-carlo", seed=0).interval is None


def test_auto_switches_at_the_documented_n():
    assert AUTO_EXACT_MAX_N == 20 and EXACT_MAX_N == 30 and DEFAULT_N_DRAWS % 2 == 0
    assert _resolve_method("auto", AUTO_EXACT_MAX_N) == "exact"
    assert _resolve_method("auto", AUTO_EXACT_MAX_N + 1) == "monte-carlo"
    assert rb.empirical_rademacher(abs_sum, 6).is_exact
    est = rb.empirical_rademacher(abs_sum, 21, seed=0)
    assert est.method == "monte-carlo" and est.n_draws == DEFAULT_N_DRAWS


# ---------------------------------------------------------------- bad input
def test_exact_beyond_thirty_states_the_cost():
    with pytest.raises(ValueError, match=r"2\*\*31 = 2,147,483,648 sign vectors.*monte-carlo"):
        rb.empirical_rademacher(abs_sum, 31, method="exact")


@pytest.mark.parametrize(
    "sup, match",
    [
        (
            lambda s: s.sum(axis=1)[:, None],
            r"sup must return an array of shape \(\d+,\).*got shape \(\d+, 1\)",
        ),
        (lambda s: s.sum(axis=1)[:-1], r"sup must return an array of shape"),
        (lambda s: np.full(s.shape[0], np.nan), r"sup must return finite values, got nan"),
        (lambda s: np.where(s[:, 0] > 0, np.inf, 0.0), r"sup must return finite values, got inf"),
        (lambda s: ["a"] * s.shape[0], r"sup must return \d+ real values"),
    ],
)
def test_bad_oracle_is_named(sup, match):
    with pytest.raises(ValueError, match=match):
        rb.empirical_rademacher(sup, 4, method="exact")
    with pytest.raises(ValueError, match=match):
        rb.empirical_rademacher(sup, 4, method="monte-carlo", n_draws=10, seed=0)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(n_draws=1), ValueError, r"n_draws must be an integer >= 2, got 1"),
        (dict(n_draws=7), ValueError, r"n_draws must be even when antithetic=True.*got 7"),
        (dict(n_draws=2.5), TypeError, r"n_draws must be an integer"),
        (
            dict(method="mc"),
            ValueError,
            r"method must be one of \['auto', 'exact', 'monte-carlo'\], got 'mc'",
        ),
        (dict(delta=1.5), ValueError, r"delta must be in \(0, 1\), got 1.5"),
        (
            dict(bounded_differences=[1.0, 2.0]),
            ValueError,
            r"bounded_differences must have shape \(n,\) = \(4,\)",
        ),
        (dict(bounded_differences=[1, 1, 1, -1]), ValueError, r"bounded_differences must be finite and >= 0"),
        (dict(chunk_size=0), ValueError, r"chunk_size must be an integer >= 1, got 0"),
        (dict(seed="x"), TypeError, r"seed must be None, an int or a numpy Generator"),
        (dict(backend="jax"), ValueError, r"backend must be None, 'numpy' or 'torch'"),
        (dict(antithetic="yes"), TypeError, r"antithetic must be True or False"),
    ],
)
def test_bad_options_are_named(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        rb.empirical_rademacher(abs_sum, 4, **{"method": "monte-carlo", **kwargs})


def test_bad_sup_and_n():
    with pytest.raises(TypeError, match="sup must be callable"):
        rb.empirical_rademacher(3.0, 4)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        rb.empirical_rademacher(abs_sum, 0)
