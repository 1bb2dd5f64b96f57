"""The local linearity measure: closed forms of linear models against enumeration and the ascent.

For an affine model the cross-entropy is convex in x, so g(delta) = l(x + delta) - l(x) -
delta^T grad l(x) is convex and its maximum over the l_inf box is attained at a vertex: enumerating
the 2^d vertices of a small box is exact. The margin of an affine model is concave and piecewise
linear, and g = max_k [...] is a maximum of affine functions of delta: also maximal at a vertex.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from radbound.certify import local_linearity
from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU


def softmax_loss(Z, y):
    top = Z.max(axis=1, keepdims=True)
    return np.log(np.exp(Z - top).sum(axis=1)) + top[:, 0] - Z[np.arange(len(y)), y]


def margin_loss(Z, y):
    other = Z.copy()
    other[np.arange(len(y)), y] = -np.inf
    return Z[np.arange(len(y)), y] - other.max(axis=1)


def vertex_gamma(W, b, X, y, eps, loss):
    """max over the vertices of the box of |l(x+d) - l(x) - d^T grad l(x)| (exact: g is convex)."""
    d = X.shape[1]
    V = np.array(list(itertools.product((-eps, eps), repeat=d)))
    out = []
    for x, yi in zip(X, y):
        Z0 = (x @ W.T + b)[None]
        if loss == "softmax":
            P = np.exp(Z0 - Z0.max())
            P /= P.sum()
            gz = P[0].copy()
            gz[yi] -= 1.0
            l0 = softmax_loss(Z0, [yi])[0]
        else:
            other = Z0[0].copy()
            other[yi] = -np.inf
            gz = np.zeros(len(b))
            gz[yi], gz[other.argmax()] = 1.0, -1.0
            l0 = margin_loss(Z0, [yi])[0]
        gx = W.T @ gz
        Z = (x + V) @ W.T + b
        lv = (
            softmax_loss(Z, np.full(len(V), yi)) if loss == "softmax" else margin_loss(Z, np.full(len(V), yi))
        )
        out.append(np.abs(lv - l0 - V @ gx).max())
    return np.array(out)


@pytest.mark.parametrize("K", [2, 3, 5])
@pytest.mark.parametrize("loss", ["softmax", "margin"])
def test_linear_models_closed_form_or_ascent_equals_vertex_enumeration(K, loss):
    rng = np.random.default_rng(K)
    W, b = rng.normal(size=(K, 4)), rng.normal(size=K)
    X, y = rng.normal(size=(6, 4)), rng.integers(0, K, 6)
    exact = vertex_gamma(W, b, X, y, 0.3, loss)
    ll = local_linearity((W, b), X, y, eps=0.3, loss=loss, steps=60, restarts=3, seed=0)
    assert ll.exact == (loss == "margin" or K == 2)
    if ll.exact:
        assert np.allclose(ll.values, exact, rtol=1e-10, atol=1e-12)
    else:  # K > 2 softmax: the ascent is a lower bound (a convex function has local maxima)
        assert np.all(ll.values <= exact + 1e-12) and np.mean(ll.values) >= 0.9 * np.mean(exact)
    # the same affine model written as two Dense layers goes through the ascent: never above the
    # maximum, and for a loss of one direction (two classes) the steepest starts reach it
    two = Network([Dense(np.eye(4)), Dense(W, b)], (4,))
    asc = local_linearity(two, X, y, eps=0.3, loss=loss, steps=60, restarts=3, seed=0)
    assert not asc.exact and asc.steps == 60 and asc.restarts == 3
    assert np.all(asc.values <= exact + 1e-9)
    if K == 2:
        assert np.allclose(asc.values, exact, rtol=1e-9, atol=1e-12)
    else:
        assert np.mean(asc.values) >= 0.9 * np.mean(exact)


def test_binary_margin_is_linear_and_binary_logistic_has_a_closed_form():
    rng = np.random.default_rng(7)
    w, b = rng.normal(size=3), 0.2
    X, y = rng.normal(size=(5, 3)), rng.choice([-1.0, 1.0], 5)
    assert np.all(local_linearity((w, b), X, y, eps=0.5, loss="margin").values == 0)
    ll = local_linearity((w, b), X, y, eps=0.5, loss="softmax")
    V = np.array(list(itertools.product((-0.5, 0.5), repeat=3)))
    for i, (x, yi) in enumerate(zip(X, y)):
        t0 = yi * (x @ w + b)
        dphi = -1 / (1 + np.exp(t0))
        t = yi * ((x + V) @ w + b)
        g = np.logaddexp(0, -t) - np.logaddexp(0, -t0) - dphi * (t - t0)
        assert np.isclose(ll.values[i], g.max(), rtol=1e-10)
    l2 = local_linearity((w, b), X, y, eps=0.5, loss="softmax", attack_norm=2)
    assert np.all(l2.values <= ll.values + 1e-12)  # the l2 ball lies inside the l_inf ball
    # the ascent in l2 (the model written as two layers) starts at the maximiser +-eps w/||w||
    two = Network([Dense(np.eye(3)), Dense(w[None, :], np.array([b]))], (3,))
    asc = local_linearity(two, X, y, eps=0.5, loss="softmax", attack_norm=2, steps=5, seed=0)
    assert not asc.exact and np.allclose(asc.values, l2.values, rtol=1e-9, atol=1e-12)


def test_network_gradients_match_finite_differences_and_torch():
    rng = np.random.default_rng(8)
    net = Network(
        [
            Conv2d(rng.normal(size=(2, 1, 3, 3)), rng.normal(size=2), padding="same"),
            ReLU(),
            MaxPool2d(2),
            Flatten(),
            Dense(rng.normal(size=(3, 8)), rng.normal(size=3)),
        ],
        (1, 4, 4),
    )
    X, y = rng.normal(size=(3, 16)), np.array([0, 1, 2])
    from radbound._backend import get_backend
    from radbound.certify._layers import LayerOps
    from radbound.certify.linearity import _numpy_loss_grad

    ops = LayerOps(net, get_backend())
    x = X.reshape(3, 1, 4, 4)
    val, g = _numpy_loss_grad(ops, x, y, "softmax", False)
    h = 1e-6
    for j in range(16):
        e = np.zeros(16)
        e[j] = h
        up = _numpy_loss_grad(ops, x + e.reshape(1, 1, 4, 4), y, "softmax", False)[0]
        down = _numpy_loss_grad(ops, x - e.reshape(1, 1, 4, 4), y, "softmax", False)[0]
        # central difference: error O(h^2) away from kinks (random inputs: none within h)
        assert np.allclose((up - down) / (2 * h), g.reshape(3, 16)[:, j], atol=1e-6)
    a = local_linearity(net, X, y, eps=0.2, steps=10, seed=1)
    assert np.all(a.values >= 0) and a.method == "projected gradient ascent"
    assert np.all(local_linearity(net, X, y, eps=0.0, steps=3, seed=1).values == 0)
    torch = pytest.importorskip("torch")
    b = local_linearity(net, torch.tensor(X), y, eps=0.2, steps=10, seed=1)
    assert np.allclose(a.values, b.values, rtol=1e-9, atol=1e-12)


def test_bad_input_is_refused_clearly():
    w = np.ones(2)
    with pytest.raises(ValueError, match="loss must be one of"):
        local_linearity((w, 0.0), np.zeros((1, 2)), [1], eps=0.1, loss="hinge")
    with pytest.raises(ValueError, match="attack_norm must be 2 or inf"):
        local_linearity((w, 0.0), np.zeros((1, 2)), [1], eps=0.1, attack_norm=1)
    with pytest.raises(ValueError, match="eps must be finite"):
        local_linearity((w, 0.0), np.zeros((1, 2)), [1], eps=-1)


def test_malformed_and_overflowing_input_is_refused_by_name():
    w, X = np.array([1.0, -2.0]), np.array([[0.3, 0.1], [1.0, 1.0]])
    with pytest.raises(TypeError, match="X must be real"):
        local_linearity((w, 0.5), X + 0j, [1, -1], eps=0.1)
    with pytest.raises(TypeError, match="X must be an array of real numbers"):
        local_linearity((w, 0.5), X.astype(object), [1, -1], eps=0.1)
    with pytest.raises(ValueError, match="eps must be below"):
        local_linearity((w, 0.5), X, [1, -1], eps=1.7e308)
    with pytest.raises(OverflowError, match="overflows"), np.errstate(over="ignore", invalid="ignore"):
        net = Network.from_arrays([np.array([[1e300, 1e300], [1.0, -1.0]]), np.array([[1e300, -1e300]])])
        local_linearity(net, X * 1e300, [1, -1], eps=0.1, steps=2)
