"""Path norms (radbound.networks.path_norm) and the PAC-Bayes spectral margin bound of Neyshabur,
Bhojanapalli & Srebro (2018) (radbound.pacbayes.pac_bayes_spectral_bound).

Oracles: enumeration of every path of tiny networks; the unrolled matrix of a convolution; the
rescaling invariance of ReLU networks; an independent re-implementation of the bound's formula with
numpy's SVD; a Monte-Carlo check of the perturbation condition behind the constant 42.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU, path_norm, unrolled_matrix
from radbound.pacbayes import pac_bayes_spectral_bound
from radbound.pacbayes.margin import MARGIN_GRID, _fold_biases


def _brute_force(weights, p=1.0, biases=None):
    """Sum over every path, input -> output, of prod |w_e|^p; biases are edges from a constant unit
    (a path may start at the bias of any layer)."""
    widths = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    total = 0.0
    for path in itertools.product(*(range(k) for k in widths)):
        prod = 1.0
        for h, w in enumerate(weights):
            prod *= abs(w[path[h + 1], path[h]]) ** p
        total += prod
    if biases is not None:
        for start, b in enumerate(biases):  # paths beginning at the bias of layer `start`
            for path in itertools.product(*(range(k) for k in widths[start + 1 :])):
                prod = abs(b[path[0]]) ** p
                for h in range(start + 1, len(weights)):
                    prod *= abs(weights[h][path[h - start], path[h - start - 1]]) ** p
                total += prod
    return total ** (1.0 / p)


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("widths", [(3, 2), (2, 3, 2), (3, 2, 2, 3)])
def test_path_norm_matches_path_enumeration(widths, p):
    rng = np.random.default_rng(len(widths) + int(10 * p))
    weights = [rng.normal(size=(widths[i + 1], widths[i])) for i in range(len(widths) - 1)]
    biases = [rng.normal(size=w.shape[0]) for w in weights]
    net = Network.from_arrays(weights, biases=biases)
    assert path_norm(net, p=p) == pytest.approx(_brute_force(weights, p), rel=1e-12)
    assert path_norm(net, p=p, bias=True) == pytest.approx(_brute_force(weights, p, biases), rel=1e-12)


def test_path_norm_of_a_convolution_uses_its_operator():
    rng = np.random.default_rng(0)
    for mode in ("zeros", "circular"):
        conv = Conv2d(rng.normal(size=(2, 1, 3, 3)), padding="same", padding_mode=mode)
        dense = Dense(rng.normal(size=(3, 2 * 5 * 5)))
        net = Network((conv, ReLU(), Flatten(), dense), (1, 5, 5))
        A1 = unrolled_matrix(conv, (1, 5, 5))
        assert path_norm(net) == pytest.approx(
            np.abs(dense.weight).sum(0) @ np.abs(A1) @ np.ones(25), rel=1e-12
        )


def test_path_norm_is_invariant_under_relu_rescaling():
    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    c = rng.uniform(0.1, 10.0, size=4)  # per hidden unit: (c A_1, A_2 / c) is the same function
    a = Network.from_arrays([w1, w2])
    b = Network.from_arrays([c[:, None] * w1, w2 / c[None, :]])
    X = rng.normal(size=(5, 3))
    assert np.allclose(a.forward(X), b.forward(X))
    assert path_norm(a) == pytest.approx(path_norm(b), rel=1e-12)
    assert path_norm(a, p=2) == pytest.approx(path_norm(b, p=2), rel=1e-12)


def test_path_norm_rejects_what_it_cannot_measure():
    net = Network((Conv2d(np.ones((1, 1, 2, 2))), MaxPool2d(2), Flatten(), Dense(np.ones((2, 4)))), (1, 5, 5))
    with pytest.raises(ValueError, match="max-pooling has no path decomposition"):
        path_norm(net)
    with pytest.raises(ValueError, match="p must be in \\[1, inf\\)"):
        path_norm(Network.from_arrays([np.ones((2, 2))]), p=0.5)
    with pytest.raises(TypeError, match="net must be a radbound.networks.Network"):
        path_norm([np.ones((2, 2))])


# ----------------------------------------------------------------------------- the spectral PAC-Bayes bound
def _reference_bound(weights, X, y, B, gamma, delta, J_gamma):
    """The bound re-implemented from its statement with numpy's SVD (no bias)."""
    m = X.shape[0]
    d = len(weights)
    h = max(max(w.shape) for w in weights)
    s = np.array([np.linalg.norm(w, 2) for w in weights])
    F = np.array([np.linalg.norm(w) for w in weights])
    beta = np.prod(s) ** (1 / d)
    out = X
    for w in weights[:-1]:
        out = np.maximum(out @ w.T, 0)
    out = out @ weights[-1].T
    top = out[np.arange(m), y]
    out[np.arange(m), y] = -np.inf
    emp = np.mean(top - out.max(1) <= gamma)
    J_beta = math.floor(math.log(math.sqrt(m)) / (d * math.log(1 + 1 / d))) + 1
    grid = (gamma / (2 * B)) ** (1 / d) * (1 + 1 / d) ** np.arange(J_beta)
    below = grid[grid <= beta]
    bt = below.max() if below.size and beta <= grid[-1] * (1 + 1 / d) else beta
    kl = 42**2 * d**2 * B**2 * h * math.log(4 * h * d) * bt ** (2 * d - 2) * beta**2 * np.sum((F / s) ** 2)
    kl /= 2 * gamma**2
    return emp + 4 * math.sqrt((kl + math.log(6 * m * J_beta * J_gamma / delta)) / (m - 1))


def test_spectral_bound_matches_an_independent_implementation():
    rng = np.random.default_rng(2)
    weights = [rng.normal(size=(6, 4)) * 0.5, rng.normal(size=(5, 6)), rng.normal(size=(3, 5))]
    net = Network.from_arrays(weights)
    X, y = rng.normal(size=(300, 4)), rng.integers(0, 3, 300)
    B = float(np.linalg.norm(X, axis=1).max())
    for gamma in (0.05, 1.0, 30.0):
        b = pac_bayes_spectral_bound(net, X, y, input_radius=B, margin=gamma, delta=0.1)
        assert b.value == pytest.approx(_reference_bound(weights, X, y, B, gamma, 0.1, 1), rel=1e-10)
        assert b.evaluate_formula() == pytest.approx(b.value, rel=1e-10)
        assert sum(b.terms.values()) == pytest.approx(b.value)
    best = pac_bayes_spectral_bound(net, X, y, input_radius=B, delta=0.1)
    per_grid = [_reference_bound(weights, X, y, B, g, 0.1, len(MARGIN_GRID)) for g in MARGIN_GRID]
    assert best.value == pytest.approx(min(per_grid), rel=1e-10)
    assert best.status == "derived" and best.constants["J_gamma"] == len(MARGIN_GRID)


def test_spectral_bound_is_invariant_under_layer_rescaling_and_folds_biases():
    rng = np.random.default_rng(3)
    w1, w2, b1, b2 = rng.normal(size=(5, 3)), rng.normal(size=(2, 5)), rng.normal(size=5), rng.normal(size=2)
    X, y = rng.normal(size=(100, 3)), rng.integers(0, 2, 100)
    a = pac_bayes_spectral_bound(Network.from_arrays([w1, w2]), X, y, input_radius=5.0, margin=0.5)
    b = pac_bayes_spectral_bound(Network.from_arrays([3 * w1, w2 / 3]), X, y, input_radius=5.0, margin=0.5)
    assert a.value == pytest.approx(b.value, rel=1e-9)
    folded, did = _fold_biases([w1, w2], [b1, b2])
    assert did and folded[0].shape == (6, 4) and folded[1].shape == (2, 6)
    Xa = np.hstack([X, np.ones((100, 1))])
    f = Network.from_arrays([w1, w2], biases=[b1, b2]).forward(X)
    assert np.allclose(Network.from_arrays(folded).forward(Xa), f, atol=1e-12)
    c = pac_bayes_spectral_bound(
        Network.from_arrays([w1, w2], biases=[b1, b2]), X, y, input_radius=5.0, margin=0.5
    )
    assert c.inputs["B"] == pytest.approx(math.sqrt(26.0)) and "biases folded" in c.notes


def test_spectral_bound_is_trivial_outside_the_grid():
    """Tiny weights: every margin is below gamma, so L_gamma = 1 and the bound (>= 1) holds trivially."""
    rng = np.random.default_rng(4)
    net = Network.from_arrays([rng.normal(size=(4, 3)) * 1e-4, rng.normal(size=(2, 4)) * 1e-4])
    X, y = rng.normal(size=(50, 3)), rng.integers(0, 2, 50)
    b = pac_bayes_spectral_bound(net, X, y, input_radius=4.0, margin=1.0)
    assert b.terms["empirical margin loss"] == 1.0 and b.value >= 1.0
    assert "holds trivially" in b.notes


def test_perturbation_of_the_proof_moves_outputs_by_less_than_a_quarter_margin():
    """The proof's sigma = gamma / (42 d B beta^(d-1) sqrt(h log(4hd))) on balanced weights: with
    probability >= 1/2 over u ~ N(0, sigma^2 I) every output moves by < gamma/4 (checked on inputs of norm
    B; 200 draws)."""
    rng = np.random.default_rng(5)
    d_in, width, k, B, gamma = 6, 8, 3, 2.0, 0.3
    ws = [rng.normal(size=(width, d_in)), rng.normal(size=(width, width)), rng.normal(size=(k, width))]
    d = len(ws)
    s = np.array([np.linalg.norm(w, 2) for w in ws])
    beta = np.prod(s) ** (1 / d)
    ws = [beta * w / si for w, si in zip(ws, s)]
    h = max(width, d_in, k)
    sigma = gamma / (42 * d * B * beta ** (d - 1) * math.sqrt(h * math.log(4 * h * d)))
    X = rng.normal(size=(500, d_in))
    X *= B / np.linalg.norm(X, axis=1, keepdims=True)

    def forward(weights):
        out = X
        for w in weights[:-1]:
            out = np.maximum(out @ w.T, 0)
        return out @ weights[-1].T

    base = forward(ws)
    ok = [
        np.abs(forward([w + sigma * rng.normal(size=w.shape) for w in ws]) - base).max() < gamma / 4
        for _ in range(200)
    ]
    assert np.mean(ok) >= 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(input_radius=0.1), "input_radius must bound every input norm"),
        (dict(input_radius=10.0, margin=-1.0), "margin must be finite and > 0"),
        (dict(input_radius=10.0, delta=0.0), "delta must be in"),
    ],
)
def test_spectral_bound_rejects_bad_input(kwargs, match):
    net = Network.from_arrays([np.ones((3, 2)), np.ones((2, 3))])
    with pytest.raises(ValueError, match=match):
        pac_bayes_spectral_bound(net, np.ones((4, 2)), [0, 1, 0, 1], **kwargs)


def test_spectral_bound_rejects_other_architectures():
    conv = Network((Conv2d(np.ones((1, 1, 2, 2))), ReLU(), Flatten(), Dense(np.ones((2, 16)))), (1, 5, 5))
    with pytest.raises(ValueError, match="fully connected ReLU network"):
        pac_bayes_spectral_bound(conv, np.ones((3, 25)), [0, 1, 0], input_radius=10.0)
    with pytest.raises(ValueError, match="at least 2 outputs"):
        pac_bayes_spectral_bound(
            Network.from_arrays([np.ones((1, 2))]), np.ones((3, 2)), [0, 0, 0], input_radius=5.0
        )
