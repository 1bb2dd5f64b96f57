"""radbound.pacbayes: the binary kl and its inverses, diagonal Gaussians, the PAC-Bayes bounds.

Oracles: a 50-digit mpmath bisection for kl^{-1} (an independent algorithm at high precision), the
defining identity kl(q, kl^{-1}(q, c)) = c, Pinsker's inequality, closed forms at the edges; the
Gaussian KL against Monte Carlo (within 5 standard errors) and against torch.distributions (an
independent library); the bounds against their defining inequalities and their own sympy formulas;
Langford & Caruana's bound against simulated Bernoulli draws.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radbound import Bound
from radbound.pacbayes import (
    DiagonalGaussian,
    SampledRisk,
    gaussian_kl,
    kl,
    kl_inv,
    kl_inv_lower,
    pac_bayes_certificate,
    pac_bayes_kl_bound,
    pac_bayes_lambda_bound,
    pac_bayes_quadratic_bound,
    sample_convergence_bound,
)
from radbound.pacbayes._symbolic import kl_inv_lower_mpmath, kl_inv_mpmath


def _kl_mp(q, p):
    mpmath.mp.dps = 60
    q, p = mpmath.mpf(q), mpmath.mpf(p)
    if (p == 0 and q > 0) or (p == 1 and q < 1):
        return mpmath.inf
    t1 = q * mpmath.log(q / p) if q > 0 else 0
    t2 = (1 - q) * mpmath.log((1 - q) / (1 - p)) if q < 1 else 0
    return t1 + t2


# ----------------------------------------------------------------------------- kl
def test_kl_matches_mpmath_including_near_the_diagonal():
    """Relative error below 1e-13 (float64 rounding), also where the two terms nearly cancel."""
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(600):
        q = rng.random() ** 2
        p = float(np.clip(q + rng.normal() * 10 ** rng.uniform(-12, 0), 0.0, 1.0))
        ref = _kl_mp(q, p)
        if ref in (0, mpmath.inf):
            continue
        worst = max(worst, float(abs(kl(q, p) - ref) / ref))
    assert worst < 1e-13


def test_kl_edges():
    assert kl(0.3, 0.3) == 0.0
    assert kl(0.0, 0.0) == 0.0 and kl(1.0, 1.0) == 0.0
    assert kl(0.2, 0.0) == math.inf and kl(0.2, 1.0) == math.inf
    assert math.isclose(kl(0.0, 0.5), math.log(2.0), rel_tol=1e-15)
    assert math.isclose(kl(1.0, 0.25), math.log(4.0), rel_tol=1e-15)
    assert isinstance(kl(0.1, 0.2), float)
    assert kl(np.array([0.1, 0.2]), 0.3).shape == (2,)


CASES = [
    (0.1, 0.05),
    (1e-10, 1e-3),
    (0.5, 1e-20),
    (0.999, 1e-5),
    (0.3, 50.0),
    (0.2, 1e-12),
    (1e-300, 1.0),
    (0.7, 1e-300),
    (0.9999999, 0.5),
    (1e-6, 1e-9),
]


@pytest.mark.parametrize("q, c", CASES)
def test_kl_inv_matches_50_digit_reference(q, c):
    """Absolute error below 1e-12 (the contract); measured: a few 1e-16."""
    p = kl_inv(q, c)
    ref = kl_inv_mpmath(q, c, dps=50)
    assert abs(mpmath.mpf(p) - ref) <= 1e-12 * max(1.0, float(ref))
    assert abs(mpmath.mpf(p) - ref) <= 4e-16 * float(ref) + 1e-300  # in fact a few ulp


def test_kl_inv_random_against_reference():
    rng = np.random.default_rng(1)
    q = rng.random(150) ** 3
    c = 10 ** rng.uniform(-15, 2, 150)
    p = kl_inv(q, c)
    err = max(abs(float(mpmath.mpf(pi) - kl_inv_mpmath(qi, ci, dps=40))) for pi, qi, ci in zip(p, q, c))
    assert err <= 1e-14


@pytest.mark.parametrize("q, c", [(0.3, 0.02), (0.5, 1e-9), (1e-3, 1e-4), (0.99, 2.0), (0.4, 700.0)])
def test_kl_inv_lower_matches_50_digit_reference(q, c):
    p = kl_inv_lower(q, c)
    ref = kl_inv_lower_mpmath(q, c, dps=50)
    assert abs(mpmath.mpf(p) - ref) <= 1e-12
    assert p <= q


def test_kl_inv_edge_cases():
    assert kl_inv(0.4, 0.0) == 0.4  # c = 0: q itself
    assert kl_inv(1.0, 0.3) == 1.0  # q = 1
    assert kl_inv(0.3, math.inf) == 1.0
    assert kl_inv(0.3, 1e300) == 1.0  # huge c: the root rounds to 1
    assert kl_inv(0.0, 2.0) == -math.expm1(-2.0)  # q = 0: closed form 1 - e^{-c}
    assert kl_inv(0.0, 1e-300) == 1e-300  # and keeps its relative accuracy
    assert kl_inv(0.0, 0.0) == 0.0
    assert kl_inv_lower(0.0, 1.0) == 0.0
    # q = 1: closed form e^{-c}; numpy's and libm's exp may differ in the last bit (2 ulp allowed)
    assert kl_inv_lower(1.0, 2.0) == pytest.approx(math.exp(-2.0), rel=2 * np.finfo(float).eps, abs=0)
    assert kl_inv_lower(0.6, 0.0) == 0.6
    assert isinstance(kl_inv(0.1, 0.1), float)


def test_kl_inv_broadcasts():
    q = np.array([[0.0], [0.1], [0.5]])
    c = np.array([0.0, 0.01, 1.0, np.inf])
    out = kl_inv(q, c)
    assert out.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert out[i, j] == kl_inv(float(q[i, 0]), float(c[j]))
    assert kl_inv_lower(q, c).shape == (3, 4)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(q=st.floats(0.0, 1.0), c=st.floats(0.0, 30.0))
def test_kl_inv_properties(q, c):
    """q <= p <= min(1, q + sqrt(c/2)) (Pinsker); p is the first float with kl > c (safe side)."""
    p = kl_inv(q, c)
    assert q <= p <= 1.0
    assert p <= min(1.0, q + math.sqrt(c / 2.0)) + 1e-15
    if 0.0 < q < 1.0 and c > 0 and p < 1.0:
        assert kl(q, p) >= c * (1 - 1e-12)
        below = float(np.nextafter(p, 0.0))
        assert kl(q, below) <= c * (1 + 1e-12) or below < q
    lo = kl_inv_lower(q, c)
    assert 0.0 <= lo <= q
    assert abs(lo - (1.0 - kl_inv(1.0 - q, c))) <= 1e-12  # symmetry of the binary kl


@settings(max_examples=60, deadline=None, derandomize=True)
@given(q=st.floats(0.0, 0.99), c1=st.floats(0.0, 5.0), c2=st.floats(0.0, 5.0))
def test_kl_inv_is_monotone(q, c1, c2):
    a, b = sorted((c1, c2))
    assert kl_inv(q, a) <= kl_inv(q, b)
    assert kl_inv_lower(q, a) >= kl_inv_lower(q, b)


@pytest.mark.parametrize(
    "args, match",
    [
        ((1.5, 0.1), "q must lie in"),
        ((math.nan, 0.1), "q must lie in"),
        ((-0.1, 0.1), "q must lie in"),
        ((0.1, -1.0), "c must be >= 0"),
        ((0.1, math.nan), "c must be >= 0"),
    ],
)
def test_kl_inv_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        kl_inv(*args)
    with pytest.raises(ValueError, match=match):
        kl_inv_lower(*args)


def test_kl_rejects_bad_input():
    with pytest.raises(ValueError, match="p must lie in"):
        kl(0.1, 2.0)
    with pytest.raises(TypeError, match="q must be a real number"):
        kl("a", 0.1)


# ----------------------------------------------------------------------------- Gaussian KL
def test_gaussian_kl_matches_monte_carlo():
    """KL(Q||P) = E_Q[log q - log p]: the closed form lies within 5 standard errors of 200,000 draws."""
    rng = np.random.default_rng(2)
    mq, sq = rng.normal(size=6), rng.uniform(0.2, 1.5, 6)
    mp, sp = rng.normal(size=6), rng.uniform(0.3, 2.0, 6)
    q, p = DiagonalGaussian(mq, sq), DiagonalGaussian(mp, sp)
    x = q.sample(200_000, seed=3)

    def logpdf(x, m, s):
        return np.sum(-0.5 * ((x - m) / s) ** 2 - np.log(s) - 0.5 * math.log(2 * math.pi), axis=-1)

    diff = logpdf(x, mq, sq) - logpdf(x, mp, sp)
    est, se = diff.mean(), diff.std(ddof=1) / math.sqrt(diff.size)
    assert abs(gaussian_kl(q, p) - est) <= 5 * se


def test_gaussian_kl_matches_torch():
    torch = pytest.importorskip("torch", reason="torch.distributions is the independent library")
    rng = np.random.default_rng(4)
    mq, sq, mp, sp = (
        rng.normal(size=(2, 3)),
        rng.uniform(0.1, 2, (2, 3)),
        rng.normal(size=(2, 3)),
        rng.uniform(0.1, 2, (2, 3)),
    )
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(torch.tensor(mq), torch.tensor(sq)),
        torch.distributions.Normal(torch.tensor(mp), torch.tensor(sp)),
    ).sum()
    val = gaussian_kl(DiagonalGaussian(mq, sq), DiagonalGaussian(mp, sp))
    assert math.isclose(val, float(ref), rel_tol=1e-12)


def test_gaussian_kl_is_accurate_when_q_is_close_to_p():
    """The h(u) = e^{2u} - 1 - 2u form keeps relative accuracy for tiny divergences (reference: mpmath)."""
    mpmath.mp.dps = 50
    for rel in (1e-3, 1e-6, 1e-9):
        q = DiagonalGaussian([0.1, -0.2], [0.3 * (1 + rel), 0.5])
        p = DiagonalGaussian([0.1 + 1e-9, -0.2], [0.3, 0.5 * (1 - rel)])
        ref = mpmath.mpf(0)
        for a, b, c, d in zip(q.mean, q.std, p.mean, p.std):
            a, b, c, d = (mpmath.mpf(float(v)) for v in (a, b, c, d))
            ref += mpmath.log(d / b) + (b**2 + (a - c) ** 2) / (2 * d**2) - mpmath.mpf(1) / 2
        assert abs(gaussian_kl(q, p) - float(ref)) <= 1e-12 * float(ref)
    assert gaussian_kl(q, q) == 0.0


def test_diagonal_gaussian_validation_and_sampling():
    g = DiagonalGaussian(np.zeros((2, 2)), 2.0)
    assert g.std.shape == (2, 2) and not g.mean.flags.writeable
    draws = g.sample(20_000, seed=0)
    assert draws.shape == (20_000, 2, 2)
    assert abs(draws.std() - 2.0) < 0.05
    assert np.array_equal(g.sample(3, seed=5), g.sample(3, seed=5))
    with pytest.raises(ValueError, match="std must be > 0"):
        DiagonalGaussian([0.0], [0.0])
    with pytest.raises(ValueError, match="mean must contain only finite"):
        DiagonalGaussian([np.nan], [1.0])
    with pytest.raises(ValueError, match="std must be a scalar or have the shape"):
        DiagonalGaussian(np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="same shape"):
        gaussian_kl(DiagonalGaussian(np.zeros(3), 1.0), DiagonalGaussian(np.zeros(2), 1.0))


# ----------------------------------------------------------------------------- bounds
def test_maurer_xi_is_below_two_sqrt_n():
    """xi(n) = sum_k C(n,k) (k/n)^k (1-k/n)^(n-k) <= 2 sqrt(n): the log(2 sqrt(n)/delta) term is valid for
    every n, including n < 8 where Maurer's proof does not apply (exact rational arithmetic via mpmath)."""
    mpmath.mp.dps = 30
    for n in range(1, 60):
        xi = mpmath.fsum(
            mpmath.binomial(n, k) * mpmath.mpf(k / n) ** k * mpmath.mpf(1 - k / n) ** (n - k)
            for k in range(n + 1)
        )
        assert xi <= 2 * mpmath.sqrt(n)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(r=st.floats(0.0, 1.0), k=st.floats(0.0, 500.0), n=st.integers(1, 100_000), delta=st.floats(1e-4, 0.5))
def test_bound_forms_are_ordered(r, k, n, delta):
    """kl bound <= quadratic == lambda(lambda*) <= lambda(any lambda); each the paper's formula."""
    b_kl = pac_bayes_kl_bound(r, k, n, delta=delta)
    b_quad = pac_bayes_quadratic_bound(r, k, n, delta=delta)
    b_lam = pac_bayes_lambda_bound(r, k, n, delta=delta)
    c = (k + math.log(2 * math.sqrt(n) / delta)) / n
    assert b_kl.value <= b_quad.value * (1 + 1e-12) + 1e-15
    assert math.isclose(b_quad.value, b_lam.value, rel_tol=1e-9)
    assert math.isclose(b_quad.value, (math.sqrt(r + c / 2) + math.sqrt(c / 2)) ** 2, rel_tol=1e-12)
    for lam in (0.1, 1.0, 1.9):
        other = pac_bayes_lambda_bound(r, k, n, delta=delta, lam=lam).value
        assert other >= b_quad.value * (1 - 1e-12)
        assert math.isclose(other, r / (1 - lam / 2) + c / (lam * (1 - lam / 2)), rel_tol=1e-12)
    if r < b_kl.value < 1.0:  # the root of kl(r, p) = c, bracketed by adjacent floats
        assert kl(r, b_kl.value) >= c * (1 - 1e-12)
        assert kl(r, float(np.nextafter(b_kl.value, 0.0))) <= c * (1 + 1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: pac_bayes_kl_bound(0.12, 7.5, 3500, delta=0.025),
        lambda: pac_bayes_quadratic_bound(0.12, 7.5, 3500, delta=0.025),
        lambda: pac_bayes_lambda_bound(0.12, 7.5, 3500, delta=0.025, lam=0.7),
        lambda: sample_convergence_bound(0.2, 5000, delta=0.01),
        lambda: pac_bayes_certificate(SampledRisk(0.15, 0.001, 10_000, 64, 3500), 3.0, 3500, n_grid=201),
        lambda: pac_bayes_certificate(0.15, 3.0, 3500),
    ],
)
def test_bounds_reproduce_their_value_from_their_formula(make):
    """Bound.evaluate_formula() substitutes the inputs into the sympy formula (kl^{-1} evaluated by
    mpmath at 30 digits): it reproduces the float value."""
    b = make()
    assert isinstance(b, Bound)
    assert math.isclose(b.evaluate_formula(), b.value, rel_tol=1e-12)
    assert sum(b.terms.values()) == pytest.approx(b.value, rel=1e-12)


def test_certificate_latex_shows_the_kl_inverse():
    b = pac_bayes_certificate(SampledRisk(0.1, 0.0, 100, 1, 50), 1.0, 50)
    assert r"\mathrm{kl}^{-1}" in b.latex()


def test_certificate_chains_the_two_inverses():
    r = SampledRisk(0.08, 0.001, 20_000, 1, 4000)
    b = pac_bayes_certificate(r, 12.0, 4000, delta=0.04, delta_mc=0.02, n_grid=10)
    up = kl_inv(0.08, math.log(2 / 0.02) / 20_000)
    assert math.isclose(b.terms["empirical risk"] + b.terms["Monte-Carlo correction"], up, rel_tol=1e-14)
    assert b.value == kl_inv(up, (12.0 + math.log(2 * math.sqrt(4000) * 10 / 0.04)) / 4000)
    assert b.constants["confidence"] == pytest.approx(1 - 0.04 - 0.02)
    assert b.status == "derived" and pac_bayes_certificate(r, 12.0, 4000).status == "paper"
    assert list(b.terms) == ["empirical risk", "Monte-Carlo correction", "KL/n", "confidence"]
    assert all(v >= 0 for v in b.terms.values())
    with pytest.raises(ValueError, match="delta \\+ delta_mc must be < 1"):
        pac_bayes_certificate(r, 1.0, 100, delta=0.6, delta_mc=0.5)


def test_sample_convergence_bound_covers_simulated_draws():
    """Bernoulli(p) losses: P(p > bound) <= delta' (2,000 simulated estimates of m = 200 draws)."""
    rng = np.random.default_rng(5)
    p, m, dmc = 0.2, 200, 0.2
    means = rng.binomial(m, p, size=2000) / m
    bounds = np.array([sample_convergence_bound(x, m, delta=dmc).value for x in np.unique(means)])
    lookup = dict(zip(np.unique(means), bounds))
    failures = np.mean([lookup[x] < p for x in means])
    assert failures <= dmc
    # and not absurdly loose: the bound at the true mean is within sqrt(2 p log(2/d)/m) + log(2/d)/m of p
    b = sample_convergence_bound(p, m, delta=dmc).value
    assert b - p <= math.sqrt(2 * p * math.log(2 / dmc) / m) + math.log(2 / dmc) / m


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: pac_bayes_kl_bound(1.2, 1.0, 10), "empirical_risk must lie in"),
        (lambda: pac_bayes_kl_bound(0.1, -1.0, 10), "kl must be finite and >= 0"),
        (lambda: pac_bayes_kl_bound(0.1, 1.0, 0), "n must be an integer >= 1"),
        (lambda: pac_bayes_kl_bound(0.1, 1.0, 10, delta=1.0), "delta must be in"),
        (lambda: pac_bayes_lambda_bound(0.1, 1.0, 10, lam=2.0), "lam must be in"),
        (lambda: sample_convergence_bound(0.1, 0), "n_draws must be an integer >= 1"),
        (lambda: SampledRisk(1.5, 0.0, 10, 1, 10), "value must lie in"),
    ],
)
def test_bounds_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
