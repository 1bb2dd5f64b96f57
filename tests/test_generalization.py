"""Generalization bounds (docs/theory/generalization.md), with the Monte-Carlo deviation term."""

import math

import numpy as np
import pytest

import radbound as rb
from radbound.bounds import (
    adversarial_linear_upper_bound,
    generalization,
    linear_rademacher_bound,
    mc_deviation,
    multiclass_adversarial_bound,
)
from radbound.results import Estimate


def test_closed_form_value_and_terms():
    b = generalization(0.1, 0.05, 1000, loss_range=2.0, delta=0.01)
    conf = 3 * 2.0 * math.sqrt(math.log(2 / 0.01) / 2000)
    assert math.isclose(b.value, 0.1 + 2 * 0.05 + conf)
    assert list(b.terms) == ["empirical risk", "complexity", "confidence"]
    assert b.status == "paper" and b.kind == "upper"
    assert math.isclose(b.evaluate_formula(), b.value, rel_tol=1e-9)


def test_margin_applies_contraction():
    b = generalization(0.0, 0.2, 50, margin=0.5)
    assert math.isclose(b.terms["complexity"], 2 * 0.2 / 0.5)
    with pytest.raises(ValueError, match="loss_range must be 1 with margin"):
        generalization(0.0, 0.2, 50, margin=0.5, loss_range=2.0)


def test_monte_carlo_estimate_adds_a_named_deviation_and_splits_delta():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), rng.choice([-1.0, 1.0], size=30)
    est = rb.adversarial_linear_rademacher(X, y, eps=0.1, method="monte-carlo", n_draws=200, seed=0)
    assert est.interval is not None
    b = generalization(0.05, est, 30, margin=1.0, delta=0.05, risk="adversarial")
    half = est.interval[1] - est.value
    # one-sided at delta/2 = two-sided at delta when the estimate's level is delta
    assert math.isclose(
        b.terms["Monte-Carlo deviation"], 2 * half * math.sqrt(math.log(2 / 0.05) / math.log(2 / est.delta))
    )
    assert math.isclose(b.terms["confidence"], 3 * math.sqrt(math.log(4 / 0.05) / 60))
    assert b.status == "derived" and b.name == "generalization-adversarial"
    assert math.isclose(b.evaluate_formula(), b.value, rel_tol=1e-9)
    exact = rb.adversarial_linear_rademacher(X[:10], y[:10], eps=0.1, method="exact")
    assert "Monte-Carlo deviation" not in generalization(0.05, exact, 10, margin=1.0).terms


def test_mc_deviation_hoeffding_route_and_errors():
    e = Estimate(0.3, 0.01, "monte-carlo", 100, antithetic=True)
    assert math.isclose(mc_deviation(e, 0.1, value_range=2.0), 2.0 * math.sqrt(2 * math.log(10) / 50))
    with pytest.raises(ValueError, match="mc_range"):
        generalization(0.1, e, 100)
    assert generalization(0.1, e, 100, mc_range=1.0).terms["Monte-Carlo deviation"] > 0


def test_the_deviation_covers_the_exact_value():
    """The one-sided deviation at level delta/2 exceeds the actual Monte-Carlo error (here)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(16, 3))
    exact = rb.multiclass_rademacher(X, np.arange(16) % 3, method="exact").value
    for seed in range(5):
        mc = rb.multiclass_rademacher(X, np.arange(16) % 3, method="monte-carlo", n_draws=50, seed=seed)
        assert exact <= mc.value + mc_deviation(mc, 0.025)


def test_chaining_a_bound_substitutes_its_formula():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 3)), np.array([0, 1, 2] * 4)
    mb = multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1, complexity="exact")
    g = generalization(0.2, mb, 12, risk="adversarial")
    assert math.isclose(g.terms["complexity"], 2 * mb.value)
    assert "E_0" in {s.name for s in g.formula.free_symbols}
    assert math.isclose(g.evaluate_formula(), g.value, rel_tol=1e-9)
    assert g.status == "derived"  # the weakest of its parts
    mcb = multiclass_adversarial_bound(
        X,
        y,
        margin=1.0,
        eps=0.1,
        complexity=rb.multiclass_rademacher(X, y, method="monte-carlo", n_draws=40, seed=0),
    )
    gm = generalization(0.2, mcb, 12)
    assert gm.terms["Monte-Carlo deviation"] > 0 and math.isclose(
        gm.evaluate_formula(), gm.value, rel_tol=1e-9
    )
    lin = adversarial_linear_upper_bound(X, eps=0.1, complexity="closed-form")
    gl = generalization(0.0, lin, 12, margin=0.5)
    assert math.isclose(gl.evaluate_formula(), gl.value, rel_tol=1e-9)
    with pytest.raises(ValueError, match="already includes the margin"):
        generalization(0.2, mb, 12, margin=1.0)
    with pytest.raises(ValueError, match="does not match"):
        generalization(0.2, mb, 13)
    with pytest.raises(ValueError, match="upper Bound"):
        generalization(0.2, rb.bounds.linear_rademacher_lower_bound(X), 12)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((0.1, 0.1, 10), {"delta": 0.0}, "delta must be in"),
        ((0.1, 0.1, 10), {"delta": 1.0}, "delta must be in"),
        ((0.1, 0.1, 10), {"margin": 0.0}, "margin must be"),
        ((0.1, 0.1, 10), {"margin": -2.0}, "margin must be"),
        ((0.1, 0.1, 10), {"risk": "robust"}, "risk must be one of"),
        ((1.5, 0.1, 10), {}, "empirical_risk must be in"),
        ((0.1, 0.1, 0), {}, "n must be"),
        ((0.1, -0.1, 10), {}, "complexity must be >= 0"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generalization(*args, **kwargs)


def test_sample_bound_on_frobenius_complexity_formula():
    X = np.random.default_rng(2).normal(size=(20, 5))
    b = generalization(0.1, linear_rademacher_bound(X, form="max-row"), 20, margin=1.0)
    assert {"X_row", "W", "gamma", "delta"} <= {s.name for s in b.formula.free_symbols}
    assert math.isclose(b.evaluate_formula(), b.value, rel_tol=1e-9)
