"""Every bound against a value computed by brute force, without the code under test.

* Linear classes: the adversarial Rademacher complexity of the l2 ball in R^2 by enumerating every
  sign vector and, for each, the supremum over the disc worked out quadrant by quadrant (a
  trigonometric maximum, not the package's closed form). Every upper bound must be above it, every
  lower bound below.
* The Monte-Carlo deviation term of generalization(): over many independent Monte-Carlo estimates,
  the exact complexity exceeds estimate + deviation at most a delta fraction of the time.
* Networks: upper bounds against a lower estimate of the ramp-loss class complexity (feasible networks
  found by random search, for every sign vector); the adversarial lower bound against an explicit
  family of networks of the class (the embedded linear maps), evaluated through Network.forward on
  the vertices of the l_inf box.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import radbound as rb
from radbound.bounds import (
    adversarial_linear_lower_bound,
    adversarial_linear_upper_bound,
    adversarial_lower_bound,
    golowich_bound,
    linear_rademacher_bound,
    linear_rademacher_lower_bound,
    mc_deviation,
    neyshabur_bound,
    spectral_bound,
)
from radbound.networks import Network

pytestmark = pytest.mark.filterwarnings("ignore::radbound.bounds.PosthocWarning")

SIGNS = {n: np.array(list(itertools.product([-1.0, 1.0], repeat=n))) for n in range(1, 9)}


def _sup_l2_disc(U: np.ndarray, s: np.ndarray, eps: float, radius: float, n: int) -> np.ndarray:
    """For each row u of U (and sign sum s): sup over ||w||_2 <= radius of (<w, u> - eps s ||w||_1) / n,
    by hand, quadrant by quadrant.

    The objective is positively homogeneous, so the sup is radius * max(0, max_theta a(theta)) with
    v = (cos theta, sin theta) and a(theta) = (<v, u> - eps s ||v||_1) / n. On the quadrant where
    (cos, sin) have signs (c, t), ||v||_1 = c cos + t sin, so a = (A cos + B sin) / n with
    A = u_1 - eps s c, B = u_2 - eps s t: its maximum on the quadrant is hypot(A, B) if the angle
    atan2(B, A) lies in it, else the larger endpoint value."""
    out = np.zeros(len(U))
    for q, (c, t) in enumerate(((1, 1), (-1, 1), (-1, -1), (1, -1))):
        lo_angle = q * np.pi / 2
        A = U[:, 0] - eps * s * c
        B = U[:, 1] - eps * s * t
        phi = np.mod(np.arctan2(B, A), 2 * np.pi)
        inside = (phi >= lo_angle) & (phi <= lo_angle + np.pi / 2)
        ends = np.maximum(
            A * np.cos(lo_angle) + B * np.sin(lo_angle),
            A * np.cos(lo_angle + np.pi / 2) + B * np.sin(lo_angle + np.pi / 2),
        )
        out = np.maximum(out, np.where(inside, np.hypot(A, B), ends))
    return radius * out / n


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("eps", [0.0, 0.3, 1.5])
def test_linear_bounds_bracket_the_brute_force_value(seed, eps):
    rng = np.random.default_rng(seed)
    n = 3 + seed % 5
    X, y = rng.normal(size=(n, 2)), rng.choice([-1.0, 1.0], size=n)
    radius = 0.5 + seed
    S = SIGNS[n]
    U = (S * y) @ X  # u(sigma) = sum_i sigma_i y_i x_i
    s = S.sum(axis=1)
    exact_bf = float(_sup_l2_disc(U, s, eps, radius, n).mean())
    natural_bf = float(_sup_l2_disc(S @ X, np.zeros(len(S)), 0.0, radius, n).mean())
    tol = 1e-12 * (1 + exact_bf)
    nat = rb.linear_rademacher(X, p=2, radius=radius, method="exact")
    kw = {"eps": eps, "p": 2, "radius": radius}
    for form in ("paper", "sharp", "sharp-sqrt"):
        for comp in (nat, "closed-form"):
            assert adversarial_linear_upper_bound(X, form=form, complexity=comp, **kw).value >= exact_bf - tol
    for form in ("paper", "sharp"):
        for comp in (nat, "closed-form"):
            assert adversarial_linear_lower_bound(X, form=form, complexity=comp, **kw).value <= exact_bf + tol
    for form in ("frobenius", "max-row"):
        assert linear_rademacher_bound(X, p=2, radius=radius, form=form).value >= natural_bf - tol
    assert linear_rademacher_lower_bound(X, p=2, radius=radius).value <= natural_bf + tol
    # and the package's own exact engine agrees with the brute force
    exact = rb.adversarial_linear_rademacher(X, y, eps=eps, radius=radius, method="exact").value
    assert exact == pytest.approx(exact_bf, rel=1e-10, abs=1e-14)


def test_monte_carlo_deviation_covers_the_exact_value():
    """P(exact > MC estimate + deviation(delta)) <= delta, estimated from 1,500 independent estimates
    (binomial tolerance: 3 standard errors). A deviation of 0 would fail here about half of the time."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3))
    exact = rb.linear_rademacher(X, method="exact").value
    delta, reps = 0.2, 1500
    seeds = np.random.SeedSequence(1).spawn(reps)
    misses, zero_misses = 0, 0
    for sd in seeds:
        est = rb.linear_rademacher(X, method="monte-carlo", n_draws=8, seed=np.random.default_rng(sd))
        misses += exact > est.value + mc_deviation(est, delta)
        zero_misses += exact > est.value
    assert misses / reps <= delta + 3 * math.sqrt(delta * (1 - delta) / reps)
    assert zero_misses / reps > 0.3  # the check has power: without the deviation it fails


def _ramp(t, gamma):
    return np.clip(1.0 - t / gamma, 0.0, 1.0)


def _random_networks(rng, count, widths, scale):
    """``count`` random weight lists for a Dense-ReLU network with the given widths."""
    return [
        [rng.normal(size=(widths[h + 1], widths[h])) * scale for h in range(len(widths) - 1)]
        for _ in range(count)
    ]


def _margins(out, y):
    """y f(x) for one output; f_y(x) - max_{k != y} f_k(x) for several."""
    if out.shape[1] == 1:
        return y * out[:, 0]
    rows = np.arange(len(y))
    other = out.copy()
    other[rows, y] = -np.inf
    return out[rows, y] - other.max(axis=1)


def _forward(As, X):
    H = X
    for A in As[:-1]:
        H = np.maximum(H @ A.T, 0.0)
    return H @ As[-1].T


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("K", [1, 3])
def test_network_upper_bounds_exceed_a_brute_force_lower_estimate(seed, K):
    """For every sign vector, the best of many networks INSIDE the class of each bound (norms at most
    the reference network's) gives a lower estimate of the exact ramp-loss class complexity; each
    upper bound (fixed class at the reference norms) must exceed it. A large margin keeps the ramp in
    its linear part, so the complexity is far from its trivial maximum of 1."""
    rng = np.random.default_rng(seed)
    n, d, widths = 5, 2, (2, 3, K)
    X = rng.normal(size=(n, d))
    y = rng.choice([-1.0, 1.0], size=n) if K == 1 else rng.integers(0, K, size=n)
    ref = [rng.normal(size=(widths[h + 1], widths[h])) for h in range(2)]
    net = Network.from_arrays(ref)
    gamma = 20.0 * float(np.abs(_forward(ref, X)).max())
    bounds = {
        "spectral": (spectral_bound(net, X, margin=gamma, posthoc=False), "spectral"),
        "golowich": (golowich_bound(net, X, margin=gamma, posthoc=False), "fro"),
        "neyshabur": (neyshabur_bound(net, X, margin=gamma, posthoc=False), "l1inf"),
    }
    candidates = _random_networks(rng, 1000, widths, 1.0)

    def norms(As, kind):
        """Per layer, the norms the bound constrains (one row per layer)."""
        if kind == "spectral":
            return np.array([[np.linalg.norm(A, 2), np.linalg.norm(A, axis=1).sum()] for A in As])
        if kind == "fro":  # K outputs: the last layer enters through its largest row norm
            last = np.linalg.norm(As[-1]) if K == 1 else np.linalg.norm(As[-1], axis=1).max()
            return np.array([[np.linalg.norm(A)] for A in As[:-1]] + [[last]])
        return np.array([[np.abs(A).sum(axis=1).max()] for A in As])

    S = SIGNS[n]
    for name, (bound, kind) in bounds.items():
        limit = norms(ref, kind)
        inside = [ref]
        for As in candidates:  # scale each layer into the class (every norm is homogeneous of degree 1)
            scale = (limit / norms(As, kind)).min(axis=1)
            inside.append([A * c for A, c in zip(As, scale)])
        assert all(np.all(norms(As, kind) <= limit * (1 + 1e-12)) for As in inside)
        losses = np.array([_ramp(_margins(_forward(As, X), y), gamma) for As in inside])  # (m, n)
        lower_estimate = float(np.mean(np.max(S @ losses.T, axis=1))) / n
        assert bound.value >= lower_estimate, (name, bound.value, lower_estimate)
        assert lower_estimate > 0


@pytest.mark.parametrize("eps", [0.0, 0.2, 1.0])
def test_adversarial_lower_bound_below_an_explicit_family_of_the_class(eps):
    """Networks [w; -w] -> ReLU -> [1, -1] with ||w||_2 = r/2 lie in {prod ||A_h||_sigma <= r}; for every
    sign vector the best of 720 directions, with the l_inf worst case found by evaluating the network at
    every vertex of the box (exact for these networks, which are linear), is at most the supremum; its
    average must exceed the lower bound."""
    rng = np.random.default_rng(1)
    n, d, r = 6, 2, 1.7
    X, y = rng.normal(size=(n, d)), rng.choice([-1.0, 1.0], size=n)
    vertices = np.array(list(itertools.product([-1.0, 1.0], repeat=d)))
    theta = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    worst = np.empty((len(theta), n))
    for t, th in enumerate(theta):
        w = r / 2 * np.array([np.cos(th), np.sin(th)])
        net = Network.from_arrays([np.stack([w, -w]), np.array([[1.0, -1.0]])])
        assert np.prod([np.linalg.norm(A, 2) for A in (np.stack([w, -w]), np.array([[1.0, -1.0]]))]) <= r * (
            1 + 1e-12
        )
        for i in range(n):
            out = net.forward(X[i] + eps * vertices).ravel()
            worst[t, i] = float((y[i] * out).min())
    S = SIGNS[n]
    estimate = float(np.mean(np.max(S @ worst.T, axis=1))) / n
    lb = adversarial_lower_bound(
        Network.from_arrays([np.ones((2, d)), np.ones((1, 2))]), X, eps=eps, radius=r
    )
    assert lb.value <= estimate, (lb.value, estimate)
