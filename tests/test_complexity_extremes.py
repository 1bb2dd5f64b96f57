"""Extreme but valid inputs give finite, correct complexities (no silent inf/NaN).

Oracle: positive homogeneity. Every supremum is homogeneous of degree 1 in (X, eps) jointly, so
scaling the data by c (a power of ten far from 1) must scale the estimate by c, up to rounding.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import radbound as rb

P_VALUES = [1.0, 2.0, 3.0, math.inf]


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(0)
    return rng.normal(size=(10, 3)), np.where(rng.normal(size=10) > 0, 1.0, -1.0)


@pytest.mark.parametrize("c", [1e-250, 1e160, 1e250])
@pytest.mark.parametrize("p", P_VALUES)
def test_exact_complexities_are_homogeneous_at_extreme_scales(sample, c, p):
    X, y = sample
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow/underflow warning either
        nat = rb.linear_rademacher(c * X, p=p, method="exact").value
        adv = rb.adversarial_linear_rademacher(c * X, y, eps=0.3 * c, p=p, method="exact")
    ref = rb.adversarial_linear_rademacher(X, y, eps=0.3, p=p, method="exact")
    assert math.isclose(nat / c, rb.linear_rademacher(X, p=p, method="exact").value, rel_tol=1e-12)
    assert math.isclose(adv.value / c, ref.value, rel_tol=1e-12)
    assert math.isclose(adv.natural / c, ref.natural, rel_tol=1e-12)


@pytest.mark.parametrize("c", [1e-200, 1e160])
def test_monte_carlo_estimates_and_intervals_are_homogeneous(sample, c):
    X, y = sample
    kw = dict(method="monte-carlo", n_draws=100, seed=0)
    big = rb.adversarial_linear_rademacher(c * X, y, eps=0.1 * c, **kw)
    ref = rb.adversarial_linear_rademacher(X, y, eps=0.1, **kw)
    for a, b in ((big.value, ref.value), (big.stderr, ref.stderr), *zip(big.interval, ref.interval)):
        assert math.isfinite(a) and math.isclose(a / c, b, rel_tol=1e-12)
    m = rb.multiclass_rademacher(c * X, np.arange(10) % 3, **kw)
    m_ref = rb.multiclass_rademacher(X, np.arange(10) % 3, **kw)
    assert math.isclose(m.value / c, m_ref.value, rel_tol=1e-12)


def test_huge_attack_radius_gives_a_finite_value(sample):
    """eps = 1e300: the value is about eps W d^(1/q) E(-s)_+ / n, finite (it was inf)."""
    X, y = sample
    est = rb.adversarial_linear_rademacher(X, y, eps=1e300, method="exact")
    small = rb.adversarial_linear_rademacher(X, y, eps=1e300 * 2.0**-600, method="exact")
    assert math.isfinite(est.value) and est.value == small.value * 2.0**600


@pytest.mark.parametrize("p", [1.0 + 1e-9, 1e9])
def test_extreme_exponents_match_their_limits(sample, p):
    """p -> 1 gives q -> inf and p -> inf gives q -> 1: the complexities converge to those limits."""
    X, _ = sample
    est = rb.linear_rademacher(X, p=p, method="exact").value
    limit = rb.linear_rademacher(X, p=1.0 if p < 2 else math.inf, method="exact").value
    assert math.isfinite(est) and math.isclose(est, limit, rel_tol=1e-6)
