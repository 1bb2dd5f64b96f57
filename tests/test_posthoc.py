"""Post-hoc validity: the grid, its price in generalization(), model_generalization, certified terms."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import radbound as rb
from radbound.attacks import ramp_risk
from radbound.bounds import (
    Grid,
    PosthocWarning,
    generalization,
    model_generalization,
    spectral_bound,
)
from radbound.networks import Network

RNG = np.random.default_rng(5)


def test_grid_weights_sum_to_one():
    """sum_j w_j over Z: the k-th weight 1/((k+1)(k+2)) telescopes to 1 (2000 terms leave 1/2001)."""
    g = Grid()
    total = sum(math.exp(-g.log_price(j)) for j in range(-1000, 1000))
    assert total == pytest.approx(1 - 1 / 2001, rel=1e-12)
    assert g.log_price(0) == pytest.approx(math.log(2)) and g.log_price(-1) == pytest.approx(math.log(6))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(value=st.floats(1e-8, 1e8), k=st.integers(1, 8), anchor=st.floats(0.01, 100))
def test_grid_rounds_up_and_down_by_at_most_one_ratio(value, k, anchor):
    g = Grid(steps_per_doubling=k, anchor=anchor)
    up, down = g.up("x", value), g.down("x", value)
    assert value <= up.grid_value < value * g.ratio * (1 + 1e-12)
    assert value / g.ratio * (1 - 1e-12) < down.grid_value <= value
    assert up.grid_value == g.point(up.index) and down.index <= up.index <= down.index + 1


def test_grid_exact_powers_and_zero():
    g = Grid()
    assert g.down("gamma", 0.5).grid_value == 0.5 and g.up("r", 8.0).grid_value == 8.0
    zero = g.up("r", 0.0)
    assert zero.grid_value == 1.0 and zero.index == 0
    with pytest.raises(ValueError, match="steps_per_doubling must be an integer >= 1"):
        Grid(steps_per_doubling=0)
    with pytest.raises(ValueError, match="gamma must be finite and > 0"):
        g.down("gamma", 0.0)


def test_generalization_pays_the_margin_price_as_a_named_term():
    grid = Grid(steps_per_doubling=1)
    b = generalization(0.1, 0.05, 1000, margin=0.3, grid=grid)  # 0.3 -> 0.25 = 2^-2: j = -2, k = 3
    P = math.log(4 * 5)
    assert b.inputs["gamma"] == 0.25 and b.posthoc.log_price == pytest.approx(P)
    conf = 3 * math.sqrt(math.log(2 / 0.05) / 2000)
    assert b.terms["complexity"] == pytest.approx(2 * 0.05 / 0.25)
    assert b.terms["confidence"] == pytest.approx(conf)
    assert b.terms["post-hoc price"] == pytest.approx(3 * math.sqrt((math.log(40) + P) / 2000) - conf)
    assert b.evaluate_formula() == pytest.approx(b.value, rel=1e-12)
    assert b.status == "derived"
    with pytest.warns(PosthocWarning, match="the margin"):
        fixed = generalization(0.1, 0.05, 1000, margin=0.3, posthoc=False)
    assert fixed.posthoc is None and "post-hoc price" not in fixed.terms
    assert fixed.terms["complexity"] == pytest.approx(2 * 0.05 / 0.3)


def test_a_post_hoc_complexity_bound_carries_its_price_into_generalization():
    net = Network.from_arrays([RNG.normal(size=(3, 2)), RNG.normal(size=(1, 3))])
    X = RNG.normal(size=(50, 2))
    comp = spectral_bound(net, X, margin=2.0)
    g = generalization(0.2, comp, 50)
    assert g.posthoc == comp.posthoc and "post-hoc price" in g.terms
    assert g.evaluate_formula() == pytest.approx(g.value, rel=1e-10)
    with pytest.raises(ValueError, match="was built post-hoc"):
        generalization(0.2, comp, 50, posthoc=False)


@dataclass(frozen=True)
class _Certified:
    """The shape of radbound.certify's CertifiedRisk (duck-typed by generalization)."""

    value: float
    loss: str
    margin: float | None
    method: str
    eps: float

    def describe(self) -> str:
        return f"certified by {self.method}, eps={self.eps:g}"


def test_certified_empirical_term_is_recorded():
    cr = _Certified(0.12, "ramp", 1.0, "CROWN", 0.1)
    g = generalization(cr, 0.05, 200, margin=1.0)
    assert g.name == "generalization-adversarial-certified" and g.terms["empirical risk"] == 0.12
    assert "certified by CROWN" in g.notes and g.constants["certified_eps"] == 0.1
    with pytest.raises(ValueError, match="risk must be 'adversarial'"):
        generalization(cr, 0.05, 200, margin=1.0, risk="natural")
    with pytest.raises(ValueError, match="loss='ramp'"):
        generalization(_Certified(0.1, "zero-one", None, "IBP", 0.1), 0.05, 200, margin=1.0)
    with pytest.raises(ValueError, match="below the bound's margin"):
        generalization(_Certified(0.1, "ramp", 0.5, "IBP", 0.1), 0.05, 200, margin=1.0)


def _binary_sample(n=120, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.where(X @ np.arange(1.0, d + 1) + 0.5 * rng.normal(size=n) >= 0, 1.0, -1.0)
    return X, y


def test_model_generalization_binary_equals_its_parts():
    """Binary linear model: one grid over the scale rho = ||w||_2 / gamma, rounded up; the bound is
    generalization() at the model's radius and the margin ||w|| / rho_j, with the exact adversarial
    complexity, and the scale's grid point is paid."""
    X, y = _binary_sample(n=10)
    w = np.array([0.7, -0.2, 1.1])
    grid = Grid(steps_per_doubling=2)
    b = model_generalization(w, X, y, margin=0.8, eps=0.1, grid=grid, complexity="exact")
    (pt,) = b.posthoc.points
    norm = np.linalg.norm(w)
    assert pt.name == "scale" and pt.value == pytest.approx(norm / 0.8) and pt.grid_value >= norm / 0.8
    g_j = norm / pt.grid_value
    assert g_j <= 0.8 and b.inputs["gamma"] == pytest.approx(g_j)
    est = rb.adversarial_linear_rademacher(X, y, eps=0.1, radius=norm, method="exact")
    R_n = ramp_risk(w, None, X, y, margin=g_j, eps=0.1)
    hand = R_n + 2 * est.value / g_j + 3 * math.sqrt((math.log(2 / 0.05) + pt.log_price) / 20)
    assert b.value == pytest.approx(hand, rel=1e-12)
    assert b.evaluate_formula() == pytest.approx(b.value, rel=1e-10)
    # the bound depends on (w, gamma) only through w / gamma: scaling both changes nothing
    b2 = model_generalization(3 * w, X, y, margin=2.4, eps=0.1, grid=grid, complexity="exact")
    assert b2.value == pytest.approx(b.value, rel=1e-12)
    with pytest.warns(PosthocWarning):
        fixed = model_generalization(w, X, y, margin=0.8, eps=0.1, complexity="exact", posthoc=False)
    assert fixed.posthoc is None and "post-hoc price" not in fixed.terms


def test_model_generalization_auto_margin_is_the_best_grid_scale():
    X, y = _binary_sample()
    w = np.array([1.0, 2.0, 3.0])
    auto = model_generalization(w, X, y, margin="auto", eps=0.05, complexity="closed-form")
    gamma = auto.inputs["gamma"]
    grid, norm = Grid(), float(np.linalg.norm(w))
    m_max = float(np.abs(X @ w * y).max())
    for j in range(grid.up("s", norm / m_max).index, grid.up("s", 1024 * norm / m_max).index + 1):
        other = model_generalization(w, X, y, margin=norm / grid.point(j), eps=0.05, complexity="closed-form")
        assert auto.value <= other.value + 1e-12
    same = model_generalization(w, X, y, margin=gamma, eps=0.05, complexity="closed-form")
    assert same.value == pytest.approx(auto.value, rel=1e-12)
    with pytest.raises(ValueError, match="needs posthoc=True"):
        model_generalization(w, X, y, margin="auto", posthoc=False)


def test_model_generalization_folds_a_bias_and_handles_multiclass_and_networks():
    X, y = _binary_sample()
    b = model_generalization((np.array([1.0, 2.0, 3.0]), 0.5), X, y, margin=1.0)
    assert "bias folded in" in b.notes
    scale = next(pt.value for pt in b.posthoc.points if pt.name == "scale")
    assert scale == pytest.approx(math.sqrt(1 + 4 + 9 + 0.25))  # ||(w, b)||_2 / gamma, gamma = 1
    yk = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    W = np.stack([-X.T @ (yk == 0), X.T @ (yk == 1) * 0.1, X.T @ (yk == 2)]) / 100
    mc = model_generalization(W, X, yk, margin=1.0, eps=0.05, n_draws=200, seed=0)
    assert [pt.name for pt in mc.posthoc.points] == ["scale"] and mc.name == "generalization-adversarial"
    # a precomputed MulticlassEstimate (at any radius) gives the same bound
    est = rb.multiclass_rademacher(X, yk, p=2, radius=1.0, method="monte-carlo", n_draws=200, seed=0)
    same = model_generalization(W, X, yk, margin=1.0, eps=0.05, complexity=est)
    assert same.value == pytest.approx(mc.value, rel=1e-12)
    net = Network.from_arrays([RNG.normal(size=(4, 3)), RNG.normal(size=(3, 4))])
    nb = model_generalization(net, X, yk, margin=1.0, bound="golowich")
    assert "F_1" in {pt.name for pt in nb.posthoc.points}
    adv = model_generalization(net, X, yk, margin=1.0, eps=0.1)  # the Lipschitz-shifted ramp
    assert adv.name == "generalization-adversarial-certified" and adv.value >= nb.value


def test_fixed_class_warning_is_emitted_once_per_call():
    X, y = _binary_sample()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        model_generalization(np.ones(3), X, y, margin=1.0, posthoc=False)
    assert [issubclass(w.category, PosthocWarning) for w in rec] == [True]
