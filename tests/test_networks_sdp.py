"""The SDP certificate for one-hidden-layer networks, checked against brute force on tiny networks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from radbound.networks import (
    Dense,
    Network,
    ReLU,
    sdp_certificate,
    sdp_matrix,
    surrogate_adversarial_loss,
    surrogate_margin_bound,
)

# Clarabel solves to ~1e-8 relative accuracy; the certified value is built from the dual and is an
# upper bound up to the rounding of one symmetric eigenvalue computation.
ATOL = 1e-9


def brute_force_change(W, b, v, x, eps, points=41):
    """max over a fine grid of the eps-box (vertices included) of c^T f(x') - c^T f(x), with v = V^T c."""
    d = W.shape[1]
    grid = np.array(list(itertools.product(np.linspace(-eps, eps, points), repeat=d)))
    f = lambda Z: np.maximum(Z @ W.T + b, 0.0) @ v  # noqa: E731
    return float((f(x + grid) - f(x[None])).max())


def transposed_q(v, W):
    """The circulating wrong variant: the constant paired with the m-block through D W 1_d."""
    m, d = W.shape
    Q = np.zeros((1 + d + m, 1 + d + m))
    DW = v[:, None] * W
    Q[0, 1 + d :] = Q[1 + d :, 0] = DW.sum(axis=1)
    Q[1 + d :, 1 : 1 + d] = DW
    Q[1 : 1 + d, 1 + d :] = DW.T
    return Q


def test_q_encodes_the_bilinear_form_on_all_vertices():
    rng = np.random.default_rng(0)
    v, W = rng.normal(size=4), rng.normal(size=(4, 3))
    Q = sdp_matrix(v, W)
    assert np.array_equal(Q, Q.T) and Q.shape == (8, 8)
    for s in itertools.product((-1.0, 1.0), repeat=3):
        for beta in itertools.product((-1.0, 1.0), repeat=4):
            z = np.concatenate([[1.0], s, beta])
            t = (1 + np.array(beta)) / 2
            assert z @ Q @ z == pytest.approx(4 * t @ (v[:, None] * W) @ np.array(s), abs=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_certificate_bounds_brute_force_change(seed):
    rng = np.random.default_rng(seed)
    d, m = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    W, b, v = rng.normal(size=(m, d)), rng.normal(size=m), rng.normal(size=m)
    x, eps = rng.normal(size=d), 0.5
    Q = sdp_matrix(v, W)
    cert = sdp_certificate(Q)
    assert cert.status == "optimal"
    # 0 <= SDP <= sum |Q_ij| <= 4 sum_j |v_j| ||w_j||_1
    assert -ATOL <= cert.value <= cert.certified + ATOL
    assert cert.certified <= cert.cheap + ATOL
    assert cert.cheap <= 4 * np.sum(np.abs(v) * np.abs(W).sum(axis=1)) + 1e-12
    change = brute_force_change(W, b, v, x, eps)
    assert eps / 4 * cert.certified >= change - ATOL


def test_transposed_variant_fails_the_brute_force_check():
    """The oracle has teeth: the transposed Q is not a certificate on some random instance."""
    failures = 0
    for seed in range(30):
        rng = np.random.default_rng(1000 + seed)
        d, m = 3, 5
        W, b, v = rng.normal(size=(m, d)), rng.normal(size=m), rng.normal(size=m)
        x = rng.normal(size=d)
        value = sdp_certificate(transposed_q(v, W)).certified
        if 0.5 / 4 * value < brute_force_change(W, b, v, x, 0.5, points=11) - 1e-6:
            failures += 1
    assert failures > 0


def test_scs_agrees_with_clarabel():
    rng = np.random.default_rng(3)
    Q = sdp_matrix(rng.normal(size=4), rng.normal(size=(4, 3)))
    a, b = sdp_certificate(Q), sdp_certificate(Q, solver="SCS", eps=1e-7)
    assert abs(a.value - b.value) <= 1e-4 * (1 + abs(a.value))  # SCS: first-order, ~1e-5 relative here
    assert b.certified >= a.value - 1e-6


def test_bad_q():
    with pytest.raises(ValueError, match="symmetric"):
        sdp_certificate(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="solver must be one of"):
        sdp_certificate(np.eye(2), solver="MOSEK")
    with pytest.raises(ValueError, match="v must have length m=3"):
        sdp_matrix(np.ones(2), np.ones((3, 2)))


def tiny_classifier(seed=0, d=2, m=4, K=3):
    rng = np.random.default_rng(seed)
    return Network(
        (Dense(rng.normal(size=(m, d)), rng.normal(size=m)), ReLU(), Dense(rng.normal(size=(K, m)))), (d,)
    )


def test_surrogate_loss_upper_bounds_adversarial_error():
    """Wherever a grid attack in the eps-box flips the prediction, the surrogate loss is 1."""
    net = tiny_classifier()
    rng = np.random.default_rng(5)
    X = rng.normal(size=(15, 2))
    y = net.forward(X).argmax(axis=1)
    eps = 0.3
    sur = surrogate_adversarial_loss(net, X, y, eps=eps, margin=0.5)
    assert sur.sdp_values.shape == (3, 2) and sur.penalty == pytest.approx(eps / 2 * sur.sdp_values.max())
    grid = np.array(list(itertools.product(np.linspace(-eps, eps, 31), repeat=2)))
    for i in range(len(X)):
        out = net.forward(X[i] + grid)
        attacked = np.any(out.argmax(axis=1) != y[i])
        if attacked:
            assert sur.losses[i] == 1.0
        assert 0.0 <= sur.losses[i] <= 1.0
    assert sur.value == pytest.approx(sur.losses.mean())


def test_surrogate_margin_bound_terms_and_formula():
    net = tiny_classifier(1)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 2))
    y = rng.integers(0, 3, size=20)
    b = surrogate_margin_bound(net, X, y, eps=0.1, margin=1.0)
    assert b.status == "unverified"
    assert set(b.terms) == {"empirical", "complexity", "confidence", "post-hoc price"}
    assert b.evaluate_formula() == pytest.approx(b.value, rel=1e-10)
    assert b.terms["confidence"] == pytest.approx(3 * np.sqrt(np.log(2 / 0.05) / 40))
    # the price: the confidence at delta * w, w the grid weight of (s, t, gamma)
    P = b.posthoc.log_price
    assert {pt.name for pt in b.posthoc.points} == {"s", "t", "gamma"}
    total = 3 * np.sqrt((np.log(2 / 0.05) + P) / 40)
    assert b.terms["confidence"] + b.terms["post-hoc price"] == pytest.approx(total, rel=1e-12)
    with pytest.warns(UserWarning, match="NOT valid"):
        fixed = surrogate_margin_bound(net, X, y, eps=0.1, margin=1.0, posthoc=False)
    assert set(fixed.terms) == {"empirical", "complexity", "confidence"} and fixed.value < b.value


def test_surrogate_needs_one_hidden_layer():
    net = Network(
        (Dense(np.ones((2, 2))), ReLU(), Dense(np.ones((2, 2))), ReLU(), Dense(np.ones((2, 2)))), (2,)
    )
    with pytest.raises(ValueError, match="one-hidden-layer"):
        surrogate_adversarial_loss(net, np.ones((2, 2)), [0, 1], eps=0.1)
