"""Sample complexity: solving a Bound's formula for n."""

import math

import numpy as np
import pytest

from radbound.bounds import (
    adversarial_linear_upper_bound,
    generalization,
    linear_rademacher_bound,
    sample_complexity,
)


@pytest.mark.filterwarnings("ignore::radbound.bounds.PosthocWarning")
def test_closed_form_generalization_gap():
    """gap(n) = 2 W r / (gamma sqrt n) + 3 sqrt(log(2/delta)/(2n)) = t.

    Hence sqrt(n) = (2 W r / gamma + 3 sqrt(log(2/delta)/2)) / t, with r = max_i ||x_i||_2.
    """
    X = np.random.default_rng(0).normal(size=(50, 4))
    comp = linear_rademacher_bound(X, p=2, radius=2.0, form="max-row")  # W r / sqrt(n), r = max ||x_i||
    b = generalization(0.1, comp, 50, margin=0.5, delta=0.05, posthoc=False)  # a class fixed in advance
    r = float(np.linalg.norm(X, axis=1).max())
    target = 0.3
    expected = ((2 * 2.0 * r / 0.5 + 3 * math.sqrt(math.log(2 / 0.05) / 2)) / target) ** 2
    sc = sample_complexity(b, target, part="gap")
    assert sc.method == "symbolic" and sc.part == "gap"
    assert math.isclose(sc.n, expected, rel_tol=1e-9)
    assert sc.n_min == math.ceil(expected)
    # the whole bound: the empirical risk 0.1 uses part of the target
    expected_v = ((2 * 2.0 * r / 0.5 + 3 * math.sqrt(math.log(2 / 0.05) / 2)) / (target - 0.1)) ** 2
    assert math.isclose(sample_complexity(b, target).n, expected_v, rel_tol=1e-9)


def test_numeric_route_agrees_with_direct_evaluation():
    """The sharp form has E|s| = n C(n-1, floor((n-1)/2)) / 2^(n-1): no polynomial, brentq instead."""
    X = np.random.default_rng(1).normal(size=(30, 3))
    b = adversarial_linear_upper_bound(X, eps=0.5, form="sharp", complexity="closed-form")
    target = 0.5 * b.terms["adversarial term"]
    sc = sample_complexity(b, b.terms["natural complexity"] + target)
    assert sc.method == "numeric"
    # X_F is held fixed (scaling=None), so both terms decrease in n; check n_min by direct evaluation
    f = lambda n: float(sc.expression.subs(next(iter(sc.expression.free_symbols)), n))  # noqa: E731
    assert f(sc.n_min) <= b.terms["natural complexity"] + target + 1e-12
    assert f(sc.n_min - 1) > b.terms["natural complexity"] + target


def test_scaling_and_unreachable_targets():
    b = generalization(0.2, 0.1, 100)  # R_S held fixed: the bound never goes below 0.4
    with pytest.raises(ValueError, match="never reached|not reached"):
        sample_complexity(b, 0.39)
    sc = sample_complexity(b, 0.39, scaling="sqrt-n")  # R_S = 0.1 sqrt(100 / n)
    c = 2 * 0.1 * 10 + 3 * math.sqrt(math.log(40) / 2)
    assert math.isclose(sc.n, (c / 0.19) ** 2, rel_tol=1e-9)
    with pytest.raises(ValueError, match="part='gap'"):
        sample_complexity(linear_rademacher_bound(np.eye(3)), 0.1, part="gap")
    with pytest.raises(ValueError, match="target must be"):
        sample_complexity(b, -1.0)
    with pytest.raises(TypeError, match="bound must be a Bound"):
        sample_complexity(0.3, 0.1)


def test_spectral_bound_last_crossing_not_the_log_dip():
    """Regression: the spectral bound is 4 at n = 1 (log 1 = 0), rises, then decreases; below 10 for
    good only near n = 900. The answer is the last crossing, checked by direct evaluation around it."""
    from radbound.networks import Network, spectral_bound

    b = spectral_bound(Network.from_arrays([np.eye(2), np.ones((1, 2))]), np.eye(2).repeat(10, 0))
    assert b.value > 100
    sc = sample_complexity(b, 10.0)
    f = lambda n: float(sc.expression.subs(next(iter(sc.expression.free_symbols)), n))  # noqa: E731
    assert 100 < sc.n_min < 10_000
    assert f(sc.n_min) <= 10.0 < f(sc.n_min - 1)
    # and it stays below beyond: a dense geometric check up to 1e12
    assert all(f(n) <= 10.0 for n in np.geomspace(sc.n_min, 1e12, 200))


def test_target_beyond_n_max_is_an_error():
    b = generalization(0.0, 0.0, 100, delta=0.05)
    with pytest.raises(ValueError, match="not reached for n <= n_max"):
        sample_complexity(b, 1e-3, n_max=1e4)
    with pytest.raises(ValueError, match="n_max must be >= 2"):
        sample_complexity(b, 0.1, n_max=1.5)
