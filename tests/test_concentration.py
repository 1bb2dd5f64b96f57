"""The concentration toolkit (radbound._concentration) against independent oracles.

E|sum of n signs|: exhaustive enumeration (small n), mpmath at high precision (every n up to
10**300), the Khintchine sandwich sqrt(n/2) <= E|s| <= sqrt(n) and monotonicity (hypothesis).
McDiarmid / Hoeffding: closed forms, and the coverage of the interval under the ground-truth
distribution of a Monte-Carlo estimate whose exact value is known.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import radbound as rb
from radbound._concentration import (
    EXACT_MAX_N,
    expected_abs_sign_sum,
    hoeffding_half_width,
    mcdiarmid_half_width,
    rescale_half_width,
)

#: a few units in the last place of a float64
ULPS = 4 * np.finfo(np.float64).eps


def mp_expected_abs_sign_sum(n: int) -> mpmath.mpf:
    """E|s| = 2K Gamma(K + 1/2) / (sqrt(pi) Gamma(K + 1)), K = ceil(n / 2), with mpmath log-gamma
    at enough digits that the difference of the two log-gammas keeps 30 correct digits."""
    K = (n + 1) // 2
    with mpmath.workdps(len(str(n)) + 40):
        return (
            2
            * K
            * mpmath.exp(mpmath.loggamma(K + mpmath.mpf(1) / 2) - mpmath.loggamma(K + 1))
            / mpmath.sqrt(mpmath.pi)
        )


def test_small_n_by_exhaustive_enumeration():
    for n in range(1, 15):
        signs = np.array(list(itertools.product([-1, 1], repeat=n)))
        assert expected_abs_sign_sum(n) == pytest.approx(np.abs(signs.sum(axis=1)).mean(), rel=1e-15)


def test_closed_form_and_mpmath_agree_where_both_are_exact():
    """The rational closed form (n <= EXACT_MAX_N) against mpmath's binomial at 50 digits."""
    with mpmath.workdps(50):
        for n in (1, 2, 3, 10, 100, 999, EXACT_MAX_N):
            m = (n - 1) // 2
            ref = n * mpmath.binomial(n - 1, m) / mpmath.mpf(2) ** (n - 1)
            assert abs(expected_abs_sign_sum(n) - ref) <= ULPS * ref


@pytest.mark.parametrize(
    "n",
    [
        EXACT_MAX_N + 1,
        EXACT_MAX_N + 2,
        4096,
        10**6 + 1,
        10**12,
        104808994886807,  # the example (lgamma gave 1.8e7)
        10**16,  # lgamma gave 9.9e42 (above sqrt(n) = 1e8)
        10**18,  # lgamma overflowed
        2**53 + 1,
        2**63 - 1,
        2**63,
        2**64 + 1,
        10**100,
        10**300,
    ],
)
def test_large_n_against_mpmath(n):
    value = expected_abs_sign_sum(n)
    ref = mp_expected_abs_sign_sum(n)
    assert abs(value - ref) <= ULPS * ref
    assert math.sqrt(n / 2) * (1 - ULPS) <= value <= math.sqrt(n) * (1 + ULPS)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(n=st.integers(1, 2**70))
def test_khintchine_sandwich_and_monotone(n):
    """sqrt(n/2) <= E|s| <= sqrt(n) (Szarek; Jensen), E|s_n| <= E|s_{n+1}|, equal for odd n."""
    v, w = expected_abs_sign_sum(n), expected_abs_sign_sum(n + 1)
    assert math.sqrt(n / 2) * (1 - ULPS) <= v <= math.sqrt(n) * (1 + ULPS)
    assert v <= w * (1 + ULPS)
    if n % 2:
        assert math.isclose(v, w, rel_tol=ULPS)


def test_input_types_and_errors():
    assert expected_abs_sign_sum(np.int64(1000)) == expected_abs_sign_sum(1000)
    assert expected_abs_sign_sum(1e12) == expected_abs_sign_sum(10**12)
    with pytest.raises(ValueError, match=r"n must be an integer >= 1, got 0"):
        expected_abs_sign_sum(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        expected_abs_sign_sum(2.5)
    with pytest.raises(OverflowError, match="above the float range"):
        expected_abs_sign_sum(10**700)


def test_bounds_reexport_is_the_same_function():
    assert rb.bounds.expected_abs_sign_sum is expected_abs_sign_sum


# ----------------------------------------------------------------------------- half-widths
def test_mcdiarmid_closed_form():
    c = np.array([0.1, 0.2, 0.0, 0.3])
    ss = float(np.sum(c**2))
    assert math.isclose(mcdiarmid_half_width(c, 100, 0.05), math.sqrt(ss * math.log(40) / 200), rel_tol=1e-15)
    assert math.isclose(
        mcdiarmid_half_width(c, 100, 0.05, two_sided=False), math.sqrt(ss * math.log(20) / 200), rel_tol=1e-15
    )
    assert math.isclose(  # antithetic pairs: 50 units
        mcdiarmid_half_width(c, 100, 0.05, antithetic=True), math.sqrt(ss * math.log(40) / 100), rel_tol=1e-15
    )
    assert mcdiarmid_half_width(np.zeros(3), 10, 0.1) == 0.0
    assert math.isfinite(mcdiarmid_half_width(np.full(4, 1e200), 10, 0.1))  # no overflow of c**2


def test_rescale_is_consistent_with_the_closed_form():
    c = np.array([0.5, 0.25])
    h = mcdiarmid_half_width(c, 40, 0.1)
    for delta in (0.01, 0.2):
        for two in (True, False):
            assert math.isclose(
                rescale_half_width(h, 0.1, delta, two_sided=two),
                mcdiarmid_half_width(c, 40, delta, two_sided=two),
                rel_tol=1e-14,
            )


def test_hoeffding_closed_form():
    assert math.isclose(
        hoeffding_half_width(2.0, 50, 0.1), 2.0 * math.sqrt(math.log(20) / 100), rel_tol=1e-15
    )
    assert math.isclose(
        hoeffding_half_width(2.0, 50, 0.1, two_sided=False),
        2.0 * math.sqrt(math.log(10) / 100),
        rel_tol=1e-15,
    )


def test_mcdiarmid_interval_covers_under_the_true_distribution():
    """200 Monte-Carlo estimates of E|s_1 + ... + s_10| / 10 (exact value known): the two-sided interval
    at delta = 0.2 must miss at most 0.2 of the time (up to 3 binomial standard deviations), and the
    one-sided deviation at delta must be exceeded at most a delta fraction."""
    n, delta, reps = 10, 0.2, 200
    truth = expected_abs_sign_sum(n) / n
    c = np.full(n, 2.0 / n)
    miss_two = miss_one = 0
    for seed in range(reps):
        est = rb.empirical_rademacher(
            lambda s: np.abs(s.sum(axis=1)),
            n,
            method="monte-carlo",
            n_draws=20,
            seed=seed,
            bounded_differences=c,
            delta=delta,
        )
        miss_two += not (est.interval[0] <= truth <= est.interval[1])
        miss_one += truth > est.value + est.half_width(delta, two_sided=False)
    slack = 3 * math.sqrt(delta * (1 - delta) / reps)
    assert miss_two / reps <= delta + slack and miss_one / reps <= delta + slack
