"""GaussianMixture: closed-form true risks against scipy.stats, quadrature and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from radbound.attacks import adversarial_margins
from radbound.data import Dataset, GaussianMixture


def _ramp(t: np.ndarray, g: float) -> np.ndarray:
    return np.clip(1.0 - t / g, 0.0, 1.0)


def _scipy_risk(gm: GaussianMixture, w, b, eps, q, margin=None) -> float:
    """Reference from scipy.stats: the margin given y is N(<w,mu> + y b - eps ||w||_q, w' Sigma w);
    the ramp risk by adaptive quadrature of phi_g against that normal density."""
    cov = (
        gm.scale**2 * np.eye(gm.n_features)
        if gm.cov is None
        else np.diag(gm.cov)
        if gm.cov.ndim == 1
        else gm.cov
    )
    s = math.sqrt(w @ cov @ w)
    total = 0.0
    for y, py in ((1.0, gm.prior), (-1.0, 1.0 - gm.prior)):
        loc = w @ gm.mean + y * b - eps * np.linalg.norm(w, ord=q)
        law = stats.norm(loc=loc, scale=s)
        if margin is None:
            total += py * law.cdf(0.0)
        else:
            # phi_g = 1 on (-inf, 0], linear on (0, g), 0 beyond
            inner, _ = integrate.quad(
                lambda t, law=law: (1.0 - t / margin) * law.pdf(t), 0.0, margin, epsabs=1e-13
            )
            total += py * (law.cdf(0.0) + inner)
    return total


CASES = [
    # (mean, scale, cov, prior)
    (np.array([1.0, -0.5, 0.25]), 0.7, None, 0.5),
    (np.array([0.3, 0.0, 2.0]), 1.0, np.array([0.5, 2.0, 0.1]), 0.3),
    (np.array([0.5, 0.5, -1.0]), 1.0, np.array([[1.0, 0.4, 0.0], [0.4, 0.8, -0.2], [0.0, -0.2, 0.5]]), 0.8),
]


@pytest.mark.parametrize("mean, scale, cov, prior", CASES)
@pytest.mark.parametrize("eps, r", [(0.0, math.inf), (0.1, math.inf), (0.2, 2.0), (0.15, 1.0)])
@pytest.mark.parametrize("margin", [None, 0.3])
def test_risk_matches_scipy(mean, scale, cov, prior, eps, r, margin):
    """Closed form (erfc and the ramp antiderivative) against scipy.stats.norm and quad, to 1e-10."""
    gm = GaussianMixture(mean, scale=scale, cov=cov, prior=prior)
    rng = np.random.default_rng(0)
    q = {math.inf: 1.0, 2.0: 2.0, 1.0: math.inf}[r]
    for _ in range(5):
        w, b = rng.normal(size=3), float(rng.normal(scale=0.3))
        got = gm.risk(w, b, eps=eps, attack_norm=r, margin=margin)
        assert got == pytest.approx(_scipy_risk(gm, w, b, eps, q, margin), abs=1e-10)


@pytest.mark.parametrize("mean, scale, cov, prior", CASES)
def test_risk_matches_monte_carlo(mean, scale, cov, prior):
    """Against 200,000 samples from gm.sample scored by the exact attack of radbound.attacks:
    within 5 standard errors (0-1: sqrt(p(1-p)/N); ramp: sample std / sqrt(N))."""
    gm = GaussianMixture(mean, scale=scale, cov=cov, prior=prior)
    N = 200_000
    ds = gm.sample(N, seed=1)
    w, b = np.array([0.8, -0.3, 0.5]), 0.1
    for eps in (0.0, 0.1):
        m = adversarial_margins(w, b, ds.X, ds.y, eps=eps)
        err = (m <= 0).astype(float)
        p = gm.risk(w, b, eps=eps)
        assert abs(err.mean() - p) <= 5 * math.sqrt(p * (1 - p) / N) + 1e-12
        ramp = _ramp(m, 0.4)
        pr = gm.risk(w, b, eps=eps, margin=0.4)
        assert abs(ramp.mean() - pr) <= 5 * ramp.std() / math.sqrt(N)
        assert pr >= p


def test_sample_moments_and_labels():
    """Sample mean of y x and covariance of x - y mu within 5 standard errors; labels in {-1, +1}."""
    mean = np.array([0.5, -1.0])
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    gm = GaussianMixture(mean, cov=cov, prior=0.25)
    N = 100_000
    ds = gm.sample(N, seed=3)
    assert isinstance(ds, Dataset) and ds.X.shape == (N, 2) and ds.y.dtype == np.float64
    assert set(np.unique(ds.y).tolist()) == {-1.0, 1.0}
    p_hat = (ds.y > 0).mean()
    assert abs(p_hat - 0.25) <= 5 * math.sqrt(0.25 * 0.75 / N)
    Z = ds.X - ds.y[:, None] * mean
    assert np.all(np.abs(Z.mean(0)) <= 5 * np.sqrt(np.diag(cov) / N))
    emp = Z.T @ Z / N
    # Var(Z_i Z_j) = S_ii S_jj + S_ij^2 for a Gaussian
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / N)
    assert np.all(np.abs(emp - cov) <= 5 * se)


def test_sample_is_seeded_and_nested():
    gm = GaussianMixture(np.ones(3), scale=0.5)
    a, b = gm.sample(10, seed=7), gm.sample(25, seed=7)
    assert np.array_equal(a.X, b.X[:10]) and np.array_equal(a.y, b.y[:10])
    c = gm.sample(10, seed=np.random.default_rng(7))
    d = gm.sample(10, seed=np.random.default_rng(7))
    assert np.array_equal(c.X, d.X)
    assert not np.array_equal(gm.sample(10, seed=8).X, a.X)


def test_vectorised_over_weight_vectors():
    gm = GaussianMixture(np.array([1.0, 2.0]), scale=1.5, prior=0.4)
    rng = np.random.default_rng(2)
    W, b = rng.normal(size=(6, 2)), rng.normal(size=6)
    for kw in ({}, {"eps": 0.2}, {"eps": 0.2, "margin": 0.5, "attack_norm": 2.0}):
        many = gm.risk(W, b, **kw)
        assert many.shape == (6,)
        assert np.allclose(many, [gm.risk(W[i], b[i], **kw) for i in range(6)], rtol=0, atol=1e-15)
    assert np.allclose(gm.risk(W, 0.3), [gm.risk(w, 0.3) for w in W], rtol=0, atol=1e-15)


def test_degenerate_margin_is_a_point_mass():
    """w = 0: the margin is y b, constant given y; ties count as errors."""
    gm = GaussianMixture(np.array([1.0, 1.0]), prior=0.3)
    assert gm.risk(np.zeros(2), 1.0) == pytest.approx(0.7)  # y = -1 errs
    assert gm.risk(np.zeros(2), 0.0) == 1.0
    assert gm.risk(np.zeros(2), 0.5, margin=1.0) == pytest.approx(0.3 * 0.5 + 0.7 * 1.0)
    # a degenerate covariance along w: the margin is <w, mu> +- b exactly
    gm2 = GaussianMixture(np.array([1.0, 0.0]), cov=np.array([0.0, 1.0]))
    assert gm2.risk(np.array([1.0, 0.0]), 0.0, eps=0.4, margin=1.0) == pytest.approx(0.4)


def test_extreme_margins_stay_in_range():
    gm = GaussianMixture(np.array([1.0]), scale=1e-3)
    assert gm.risk([1.0], 0.0) == 0.0 and gm.risk([-1.0], 0.0) == 1.0
    assert gm.risk([1.0], 0.0, margin=0.5) == pytest.approx(0.0, abs=1e-300)
    assert gm.risk([-1.0], 0.0, margin=0.5) == 1.0
    assert gm.risk([1.0], 0.0, margin=2.0) == pytest.approx(0.5, abs=1e-12)  # margin 1 sharp: 1 - 1/2


def test_bayes_risk_is_the_fisher_classifier():
    gm = GaussianMixture(np.array([1.0, 0.5]), cov=np.array([[1.0, 0.3], [0.3, 2.0]]))
    w = np.linalg.solve(gm.cov, gm.mean)
    assert gm.bayes_risk() == pytest.approx(gm.risk(w, 0.0), abs=1e-15)
    rng = np.random.default_rng(0)
    assert all(gm.risk(rng.normal(size=2), 0.0) >= gm.bayes_risk() - 1e-15 for _ in range(50))
    with pytest.raises(ValueError, match="prior 0.5"):
        GaussianMixture(np.ones(2), prior=0.3).bayes_risk()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    w=st.lists(st.floats(-3, 3), min_size=2, max_size=2),
    b=st.floats(-2, 2),
    eps=st.floats(0, 1),
    g=st.floats(0.01, 5),
    scale=st.floats(0.05, 3),
)
def test_risk_orderings(w, b, eps, g, scale):
    """0-1 <= ramp; monotone in eps and in the ramp width; in [0, 1]."""
    gm = GaussianMixture(np.array([0.7, -0.2]), scale=scale, prior=0.6)
    w = np.array(w)
    r0, r1 = gm.risk(w, b), gm.risk(w, b, eps=eps)
    ramp = gm.risk(w, b, eps=eps, margin=g)
    ramp2 = gm.risk(w, b, eps=eps, margin=2 * g)
    tol = 1e-12
    assert 0.0 <= r0 <= r1 + tol <= 1.0 + 2 * tol
    assert r1 <= ramp + tol <= ramp2 + 2 * tol <= 1.0 + 3 * tol


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"mean": np.zeros((2, 2))}, "mean must be a non-empty 1-D"),
        ({"mean": [1.0, np.nan]}, "mean must contain only finite"),
        ({"mean": [1.0], "scale": 0.0}, "scale must be finite and > 0"),
        ({"mean": [1.0], "prior": 1.0}, "prior must be in"),
        ({"mean": [1.0, 2.0], "cov": np.eye(3)}, "cov must have shape"),
        ({"mean": [1.0, 2.0], "cov": [[1.0, 2.0], [2.0, 1.0]]}, "positive semi-definite"),
        ({"mean": [1.0, 2.0], "cov": [[1.0, 0.5], [0.0, 1.0]]}, "symmetric"),
        ({"mean": [1.0, 2.0], "cov": [1.0, -1.0]}, "diagonal must be >= 0"),
    ],
)
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(**kwargs)


def test_bad_risk_and_sample_inputs():
    gm = GaussianMixture(np.ones(2))
    with pytest.raises(ValueError, match=r"W must have shape \(2,\) or \(m, 2\)"):
        gm.risk(np.ones(3))
    with pytest.raises(ValueError, match="b must be a scalar or have shape"):
        gm.risk(np.ones((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="eps must be finite and >= 0"):
        gm.risk(np.ones(2), eps=-1.0)
    with pytest.raises(ValueError, match="margin must be finite and > 0"):
        gm.risk(np.ones(2), margin=0.0)
    with pytest.raises(ValueError, match="attack_norm must be in"):
        gm.risk(np.ones(2), attack_norm=0.5)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        gm.sample(0)
    with pytest.raises(TypeError, match="seed must be"):
        gm.sample(3, seed="x")
