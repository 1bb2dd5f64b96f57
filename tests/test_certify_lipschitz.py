"""The Lipschitz certificate (certified_margins(method="lipschitz")): sound against exact worst cases and
attacks, its constant against brute-force gradients, exact where the constant is attained.

Oracles: the closed form of a binary linear model under an l2 attack (the shift eps ||w||_2 IS the worst
case); the exact worst-case margin of tiny networks by activation-pattern enumeration
(tests/_exact_margins.py, independent of radbound.certify); PGD points (feasible, so upper bounds);
finite-difference gradients of the margin at many points (a piecewise-linear map is Lipschitz with the
largest dual norm of its gradient over the pieces, so every sampled gradient is a lower bound on the
constant).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _exact_margins import exact_margins
from test_certify_margins import margin_pgd, mlp, natural_margins, small_cnn, tiny_cnn, tol

from radbound import MarginLipschitz
from radbound.attacks import adversarial_margins
from radbound.certify import CertifiedRisk, certified_margins, certified_risk, certify
from radbound.certify._lipschitz import network_margin_lipschitz
from radbound.networks import Network

INF = math.inf


def test_binary_linear_model_under_l2_attack_is_exact():
    """One Dense row w, an l2 attack: L = ||w||_2 (spectral norm of a row), D = 1, so the certified margin
    y <w, x> - eps ||w||_2 equals the closed-form worst case."""
    rng = np.random.default_rng(0)
    w, X, y = rng.normal(size=6), rng.normal(size=(40, 6)), rng.choice([-1.0, 1.0], 40)
    net = Network.from_arrays([w[None, :]])
    cm = certify(net, X, y, eps=0.3, attack_norm=2, method="lipschitz")
    exact = adversarial_margins(w, None, X, y, eps=0.3, attack_norm=2)
    # the certified upper spectral norm carries a relative allowance of 1e-12
    np.testing.assert_allclose(cm.margins, exact, rtol=0, atol=1e-11 * (1 + np.abs(exact).max()))
    assert cm.lipschitz.norm == 2.0 and cm.shift == pytest.approx(0.3 * np.linalg.norm(w), rel=1e-11)
    assert np.all(cm.margins <= exact + 1e-12 * np.abs(exact).max())  # never above the truth
    assert not cm.exact and cm.method == "lipschitz" and cm.clip is None


@pytest.mark.parametrize("seed", range(4))
def test_below_exact_worst_case_linf_and_l2(seed):
    rng = np.random.default_rng(100 + seed)
    net = mlp(rng, 3, [5, 4], 3)
    X, y = rng.normal(size=(2, 3)), rng.integers(0, 3, 2)
    exact = exact_margins(net, X, y, 0.3)
    cm = certify(net, X, y, eps=0.3, method="lipschitz")
    assert np.all(cm.margins <= exact + tol(exact))
    assert cm.shift == pytest.approx(cm.lipschitz.shift(0.3, INF))
    # the pairwise bounds are the pairwise natural differences minus the same shift
    out = net.forward(X)
    for i in range(2):
        for k in range(3):
            if k != y[i]:
                assert cm.pairwise[i, k] == pytest.approx(out[i, y[i]] - out[i, k] - cm.shift, abs=1e-12)
    if seed >= 2:  # the l2 oracle solves one cone program per pattern: two seeds suffice
        return
    exact2 = exact_margins(net, X[:1], y[:1], 0.4, norm=2.0)  # Clarabel solves to ~1e-8
    cm2 = certify(net, X[:1], y[:1], eps=0.4, attack_norm=2, method="lipschitz")
    assert np.all(cm2.margins <= exact2 + 1e-7 * (1 + np.abs(exact2)))


@pytest.mark.parametrize("mode", ["zeros", "circular"])
def test_below_exact_worst_case_conv_maxpool_and_binary(mode):
    rng = np.random.default_rng(110)
    for pool in ((2, 2), (2, 1)):  # tiled and overlapping windows (l2 constant sqrt 2)
        net = tiny_cnn(rng, mode, pool)
        X, y = rng.normal(size=(1, 9)), rng.integers(0, 3, 1)
        exact = exact_margins(net, X, y, 0.15)
        cm = certify(net, X, y, eps=0.15, method="lipschitz")
        assert np.all(cm.margins <= exact + tol(exact)), pool
    net = mlp(rng, 3, [4, 4], 1)
    X, y = rng.uniform(0, 1, size=(2, 3)), rng.choice([-1.0, 1.0], 2)
    exact = exact_margins(net, X, y, 0.3, clip=(0, 1))
    cm = certify(net, X, y, eps=0.3, clip=(0, 1), method="lipschitz")  # the ball: clip ignored
    assert np.all(cm.margins <= exact + tol(exact)) and cm.clip is None


def test_below_pgd_on_a_cnn():
    rng = np.random.default_rng(81)
    net = small_cnn(rng)
    X, y = rng.uniform(0, 1, size=(20, 144)), rng.integers(0, 10, 20)
    for eps in (0.01, 0.05):
        pgd = margin_pgd(net, X, y, eps)
        cm = certify(net, X, y, eps=eps, method="lipschitz", clip=(0, 1))
        assert np.all(cm.margins <= pgd + 1e-9)
        ibp = certify(net, X, y, eps=eps, method="ibp", clip=(0, 1))
        assert cm.certified_accuracy <= 1.0 and np.isfinite(ibp.margins).all()


def _fd_gradients(net, points, label, h=1e-6):
    """Central finite differences of the margin for one label at each point ``(m, d)``."""
    m, d = points.shape
    grads = np.empty((m, d))
    for j in range(d):
        e = np.zeros(d)
        e[j] = h
        plus = natural_margins(net, points + e, np.full(m, label))
        minus = natural_margins(net, points - e, np.full(m, label))
        grads[:, j] = (plus - minus) / (2 * h)
    return grads


@pytest.mark.parametrize("seed", range(3))
def test_the_constant_is_above_every_sampled_gradient(seed):
    """|grad M|_{s*} at 4,000 points per label never exceeds L_s (s = 2: dual 2; s = inf: dual 1)."""
    rng = np.random.default_rng(120 + seed)
    for net in (mlp(rng, 2, [3], 3), mlp(rng, 3, [3, 3], 1), tiny_cnn(rng, "zeros", (2, 1))):
        d = net.input_dim
        pts = 2.0 * rng.normal(size=(4000, d))
        labels = [-1.0, 1.0] if net.output_dim == 1 else range(net.output_dim)
        l2 = network_margin_lipschitz(net, 2.0)
        linf = network_margin_lipschitz(net, INF)
        for label in labels:
            g = _fd_gradients(net, pts, label)
            # finite differences straddling a kink average two pieces: still at most the constant
            assert np.linalg.norm(g, axis=1).max() <= l2.value * (1 + 1e-6)
            assert np.abs(g).sum(axis=1).max() <= linf.value * (1 + 1e-6)


def test_the_default_route_is_the_smaller_shift_and_a_given_constant_is_checked():
    rng = np.random.default_rng(130)
    net = mlp(rng, 16, [8], 3)
    X, y = rng.normal(size=(5, 16)), rng.integers(0, 3, 5)
    l2, linf = network_margin_lipschitz(net, 2.0), network_margin_lipschitz(net, INF)
    for r in (INF, 2.0, 1.0):
        cm = certify(net, X, y, eps=0.1, attack_norm=r, method="lipschitz")
        assert cm.shift == pytest.approx(min(l2.shift(0.1, r), linf.shift(0.1, r)))
    bigger = MarginLipschitz(2 * l2.value, 2.0, 16)
    cm = certify(net, X, y, eps=0.1, method="lipschitz", lipschitz=bigger)
    assert cm.lipschitz == bigger and cm.shift == pytest.approx(2 * l2.value * 0.1 * 4.0)
    with pytest.raises(ValueError, match="below the network's certified"):
        certify(net, X, y, eps=0.1, method="lipschitz", lipschitz=MarginLipschitz(0.5 * l2.value, 2, 16))
    with pytest.raises(ValueError, match="dimension 15"):
        certify(net, X, y, eps=0.1, method="lipschitz", lipschitz=MarginLipschitz(1e9, 2, 15))
    with pytest.raises(TypeError, match="MarginLipschitz"):
        certify(net, X, y, eps=0.1, method="lipschitz", lipschitz=3.0)
    with pytest.raises(ValueError, match="option of method='lipschitz'"):
        certify(net, X, y, eps=0.1, method="crown", lipschitz=bigger)


def test_certified_risk_records_the_constant_and_eps_zero_is_the_natural_margin():
    rng = np.random.default_rng(140)
    net = mlp(rng, 4, [6], 3)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    cr = certified_risk(net, X, y, eps=0.05, method="lipschitz", margin=1.0)
    cm = certify(net, X, y, eps=0.05, method="lipschitz")
    assert CertifiedRisk.from_margins(cm, margin=1.0) == cr
    assert cr.shift == cm.shift and cr.lipschitz == cm.lipschitz and "tau=" in cr.describe()
    zero = certify(net, X, y, eps=0.0, method="lipschitz")
    assert zero.exact and zero.shift == 0.0
    np.testing.assert_array_equal(zero.margins, natural_margins(net, X, y))


def test_torch_inputs_give_equal_numbers():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(150)
    net = mlp(rng, 5, [7], 3)
    X, y = rng.normal(size=(6, 5)), rng.integers(0, 3, 6)
    ref = certify(net, X, y, eps=0.1, method="lipschitz")
    out = certify(net, torch.as_tensor(X), torch.as_tensor(y), eps=0.1, method="lipschitz")
    assert isinstance(out.margins, torch.Tensor) and out.margins.dtype == torch.float64
    np.testing.assert_array_equal(out.margins.numpy(), ref.margins)


def test_certified_margins_lipschitz_is_the_margin_array():
    rng = np.random.default_rng(11)
    net = Network.from_arrays([rng.normal(size=(5, 3)), rng.normal(size=(3, 5))])
    X, y = rng.normal(size=(4, 3)), rng.integers(0, 3, 4)
    m = certified_margins(net, X, y, eps=0.1, method="lipschitz")
    assert isinstance(m, np.ndarray) and m.shape == (4,) and m.dtype == np.float64
    assert np.array_equal(m, certify(net, X, y, eps=0.1, method="lipschitz").margins)


@pytest.mark.parametrize("attack_norm", [2.0, INF])
def test_the_margin_operator_constants_are_attained(attack_norm):
    """Two classes, f(x) = (x_1, -x_1): M = 2 y' x_1 is exactly 2-Lipschitz in l2 and in l_inf. The l2
    route gives sqrt 2 ||A||_sigma = sqrt 2 sqrt 2 = 2 and 2 max_k ||a_k||_2 = 2; the l_inf route
    2 ||A||_{1,inf} = 2: the sqrt 2 and the 2 of the margin operator cannot be lowered, and the
    certified margin is the closed-form worst case M(x) - 2 eps (a perturbation along e_1)."""
    A = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
    net = Network.from_arrays([A])
    assert network_margin_lipschitz(net, 2.0).value == pytest.approx(2.0, rel=1e-11)
    assert network_margin_lipschitz(net, INF).value == pytest.approx(2.0, rel=1e-15)
    rng = np.random.default_rng(160)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    cm = certify(net, X, y, eps=0.2, attack_norm=attack_norm, method="lipschitz")
    exact = np.where(y == 0, 2 * X[:, 0], -2 * X[:, 0]) - 2 * 0.2  # min over |delta_1| <= eps
    np.testing.assert_allclose(cm.margins, exact, rtol=0, atol=1e-11)
