"""Certified margins (IBP, CROWN, SDP) against exact worst cases, attacks and each other.

Oracles: the closed form of linear models (radbound.attacks, itself tested against cvxpy);
an exact worst-case margin of tiny networks by enumeration of activation patterns with one
linear / cone program per pattern (tests/_exact_margins.py, scipy HiGHS and cvxpy, independent of
radbound.certify); feasible points (box vertices, random points, PGD), whose margins are upper
bounds on the worst case.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from _exact_margins import exact_margins

from radbound.attacks import adversarial_margins, linear_worst_case
from radbound.certify import certified_margins, certify
from radbound.certify._layers import LayerOps
from radbound.certify.margins import _Propagation, _specifications, _ThreatSet
from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU
from radbound.train import LinearModel

INF = math.inf


def natural_margins(net, X, y):
    Z = net.forward(X)
    if Z.shape[1] == 1:
        return np.asarray(y) * Z[:, 0]
    rows = np.arange(len(y))
    other = Z.copy()
    other[rows, y] = -np.inf
    return Z[rows, y] - other.max(axis=1)


def tol(ref):
    """float64 rounding of sums of a few hundred terms, relative to the size of the reference."""
    return 1e-9 * (1.0 + np.abs(ref))


def mlp(rng, d, widths, K, bias=True):
    layers, prev = [], d
    for w in widths:
        layers += [Dense(rng.normal(size=(w, prev)), rng.normal(size=w) if bias else None), ReLU()]
        prev = w
    layers.append(Dense(rng.normal(size=(K, prev)), rng.normal(size=K) if bias else None))
    return Network(layers, (d,))


def tiny_cnn(rng, mode="zeros", pool=(2, 2), K=3):
    conv = Conv2d(rng.normal(size=(2, 1, 2, 2)), rng.normal(size=2), padding=1, stride=2, padding_mode=mode)
    net = Network([conv, ReLU(), MaxPool2d(*pool)], (1, 3, 3))
    out = int(np.prod(net.shapes[-1]))
    return Network([*net.layers, Flatten(), Dense(rng.normal(size=(K, out)), rng.normal(size=K))], (1, 3, 3))


# --------------------------------------------------------------------------------------------------
# linear models: every method is exact
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["ibp", "crown", "sdp"])
@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0, INF])
def test_linear_models_are_certified_exactly(method, p):
    rng = np.random.default_rng(0)
    for K in (2, 3, 7):
        W, b = rng.normal(size=(K, 6)), rng.normal(size=K)
        X, y = rng.normal(size=(9, 6)), rng.integers(0, K, 9)
        ref = adversarial_margins(W, b, X, y, eps=0.3, attack_norm=p)
        cm = certify((W, b), X, y, eps=0.3, attack_norm=p, method=method)
        assert cm.exact
        assert np.all(np.abs(cm.margins - ref) <= tol(ref))
    w, b0 = rng.normal(size=6), 0.4  # binary: labels in {-1, +1}, margin y f(x')
    yb = rng.choice([-1.0, 1.0], 9)
    ref = adversarial_margins(w, b0, X, yb, eps=0.3, attack_norm=p)
    cm = certify((w, b0), X, yb, eps=0.3, attack_norm=p, method=method)
    assert np.all(np.abs(cm.margins - ref) <= tol(ref))


def test_linear_model_classes_are_mapped_to_rows():
    rng = np.random.default_rng(3)
    W, b = rng.normal(size=(3, 5)), rng.normal(size=3)
    model = LinearModel(W, b, "softmax", 0.0, 0.0, INF, 0.0, "fast", classes=[2, 5, 9])
    X, labels = rng.normal(size=(8, 5)), rng.choice([2, 5, 9], 8)
    rows = model.class_index(labels)
    ref = adversarial_margins(W, b, X, rows, eps=0.1)
    cm = certify(model, X, labels, eps=0.1)
    assert np.all(np.abs(cm.margins - ref) <= tol(ref))
    with pytest.raises(ValueError, match="classes"):
        certify(model, X, np.zeros(8, int), eps=0.1)


def test_linear_model_object_and_clip_box_are_exact():
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(4, 8)), rng.normal(size=4)
    model = LinearModel(W, b, "softmax", 0.0, 0.0, INF, 0.0, "fast")
    X, y = rng.uniform(0, 1, size=(20, 8)), rng.integers(0, 4, 20)
    ref = linear_worst_case(W, b, X, y, eps=0.2, clip=(0, 1)).margins  # exact for l_inf with clip
    for method in ("ibp", "crown"):
        cm = certify(model, X, y, eps=0.2, clip=(0, 1), method=method)
        assert np.all(np.abs(cm.margins - ref) <= tol(ref))
    # a conv layer without nonlinearity is affine too: exact, equal to its unrolled matrix
    conv = Conv2d(rng.normal(size=(3, 1, 3, 3)), rng.normal(size=3), padding="same", padding_mode="circular")
    net = Network([conv, Flatten()], (1, 4, 4))
    A = net.forward(np.eye(16)) - net.forward(np.zeros((1, 16)))
    bias = net.forward(np.zeros((1, 16)))[0]
    Xc, yc = rng.normal(size=(5, 16)), rng.integers(0, 48, 5)
    for p in (2.0, INF):
        ref = adversarial_margins(A.T, bias, Xc, yc, eps=0.1, attack_norm=p)
        cm = certify(net, Xc, yc, eps=0.1, attack_norm=p, method="ibp")
        assert cm.exact and np.all(np.abs(cm.margins - ref) <= tol(ref))


def test_eps_zero_gives_the_natural_margin():
    rng = np.random.default_rng(2)
    net = mlp(rng, 4, [6, 5], 3)
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, 7)
    nat = natural_margins(net, X, y)
    for method in ("ibp", "crown"):
        cm = certify(net, X, y, eps=0.0, method=method)
        assert np.all(np.abs(cm.margins - nat) <= tol(nat))


# --------------------------------------------------------------------------------------------------
# tiny networks: certified <= exact (pattern enumeration), and the oracle <= feasible points
# --------------------------------------------------------------------------------------------------
def vertex_margins(net, X, y, eps):
    d = X.shape[1]
    grid = np.array(list(itertools.product((-eps, eps), repeat=d)))
    return np.array([natural_margins(net, x + grid, np.full(len(grid), yi)).min() for x, yi in zip(X, y)])


@pytest.mark.parametrize("seed", range(6))
def test_mlp_certificates_below_exact_worst_case_linf(seed):
    rng = np.random.default_rng(seed)
    net = mlp(rng, 3, [5, 4], 3)
    X, y = rng.normal(size=(2, 3)), rng.integers(0, 3, 2)
    eps = 0.4
    exact = exact_margins(net, X, y, eps)
    assert np.all(exact <= vertex_margins(net, X, y, eps) + 1e-9)  # the oracle is a minimum
    for method, inter, slope in itertools.product(
        ("ibp", "crown"), ("crown", "ibp"), ("adaptive", "zero", "parallel")
    ):
        cm = certify(net, X, y, eps=eps, method=method, intermediate=inter, lower_slope=slope)
        assert np.all(cm.margins <= exact + tol(exact)), (method, inter, slope)


@pytest.mark.parametrize("seed", range(3))
def test_mlp_certificates_below_exact_worst_case_clipped_and_binary(seed):
    rng = np.random.default_rng(10 + seed)
    net = mlp(rng, 3, [4, 4], 1)  # one output: binary, labels +-1
    X, y = rng.uniform(0, 1, size=(2, 3)), rng.choice([-1.0, 1.0], 2)
    exact = exact_margins(net, X, y, 0.3, clip=(0, 1))
    for method in ("ibp", "crown"):
        cm = certify(net, X, y, eps=0.3, clip=(0, 1), method=method)
        assert np.all(cm.margins <= exact + tol(exact))
        unclipped = certify(net, X, y, eps=0.3, method=method)
        assert np.all(unclipped.margins <= cm.margins + tol(cm.margins))  # a larger set certifies less


@pytest.mark.parametrize("seed", range(2))
def test_mlp_certificates_below_exact_worst_case_l2(seed):
    rng = np.random.default_rng(20 + seed)
    net = mlp(rng, 3, [4], 3)
    X, y = rng.uniform(0, 1, size=(1, 3)), rng.integers(0, 3, 1)
    exact = exact_margins(net, X, y, 0.5, norm=2.0)
    # cvxpy/Clarabel solves each cone program to ~1e-8
    for method in ("ibp", "crown"):
        cm = certify(net, X, y, eps=0.5, attack_norm=2, method=method)
        assert np.all(cm.margins <= exact + 1e-7 * (1 + np.abs(exact)))
    clipped = exact_margins(net, X, y, 0.5, norm=2.0, clip=(0, 1))
    cm = certify(net, X, y, eps=0.5, attack_norm=2, clip=(0, 1))
    assert np.all(cm.margins <= clipped + 1e-7 * (1 + np.abs(clipped)))


@pytest.mark.parametrize("mode", ["zeros", "circular"])
@pytest.mark.parametrize("seed", range(3))
def test_conv_maxpool_certificates_below_exact_worst_case(mode, seed):
    rng = np.random.default_rng(30 + seed)
    for pool in ((2, 2), (2, 1)):  # tiled and overlapping windows
        net = tiny_cnn(rng, mode, pool)
        X, y = rng.normal(size=(1, 9)), rng.integers(0, 3, 1)
        exact = exact_margins(net, X, y, 0.15)
        for method in ("ibp", "crown"):
            cm = certify(net, X, y, eps=0.15, method=method, intermediate="crown")
            assert np.all(cm.margins <= exact + tol(exact)), (pool, method)


@pytest.mark.parametrize("seed", range(4))
def test_maxpool_relaxation_on_the_input_box(seed):
    """Pooling read straight from the input: the CROWN window relaxation alone decides the bound."""
    rng = np.random.default_rng(40 + seed)
    net = Network([MaxPool2d(2, 1), Flatten(), Dense(rng.normal(size=(3, 4)), rng.normal(size=3))], (1, 3, 3))
    X, y = rng.normal(size=(2, 9)), rng.integers(0, 3, 2)
    exact = exact_margins(net, X, y, 0.5)
    crown = certify(net, X, y, eps=0.5, method="crown")
    assert np.all(crown.margins <= exact + tol(exact))


def test_one_hidden_layer_sdp_below_exact_worst_case():
    pytest.importorskip("cvxpy")
    rng = np.random.default_rng(50)
    net = mlp(rng, 2, [3], 3)
    X, y = rng.normal(size=(3, 2)), np.array([0, 1, 2])
    exact = exact_margins(net, X, y, 0.3)
    cm = certify(net, X, y, eps=0.3, method="sdp")
    assert cm.method == "sdp" and not cm.exact
    assert np.all(cm.margins <= exact + 1e-7 * (1 + np.abs(exact)))  # certified dual value of the SDP
    with pytest.raises(TypeError, match="X must be real"):
        certified_margins(net, X + 0j, y, eps=0.1)
    with pytest.raises(TypeError, match="X must be an array of real numbers"):
        certified_margins(net, np.full(X.shape, "a"), y, eps=0.1)
    with pytest.raises(ValueError, match="X must be a rectangular array"):
        certified_margins(net, [[0.0] * 144, [0.0]], y[:2], eps=0.1)
    with pytest.raises(ValueError, match="solver must be one of"):
        certified_margins(net, X, y, eps=0.1, solver="mosek")
    with pytest.raises((OverflowError, ValueError), match="eps too large|overflow"):
        certified_margins(net, X, y, eps=1e308)
    with pytest.raises(ValueError, match="net: b must have 3 entries"):
        certified_margins((np.ones((3, 2)), np.ones(2)), np.zeros((1, 2)), [0], eps=0.1)
    binary = mlp(rng, 2, [3], 1)
    yb = np.array([1.0, -1.0, 1.0])
    ex_b = exact_margins(binary, X, yb, 0.3)
    cb = certify(binary, X, yb, eps=0.3, method="sdp")
    assert np.all(cb.margins <= ex_b + 1e-7 * (1 + np.abs(ex_b)))


# --------------------------------------------------------------------------------------------------
# CROWN against IBP
# --------------------------------------------------------------------------------------------------
def _raw_bounds(net, X, y, eps, slope):
    """CROWN (no IBP maximum) and IBP lower bounds of every specification, from the internals."""
    from radbound._backend import get_backend

    nx = get_backend()
    ops = LayerOps(net, nx)
    x0 = np.asarray(X, float).reshape(len(X), *net.input_shape)
    prop = _Propagation(ops, _ThreatSet(nx, x0, eps, INF, None), intermediate=("ibp",) * 8, slope=slope)
    C, _ = _specifications(nx, np.asarray(y), net.output_dim, net.output_dim == 1, x0.dtype)
    return prop.crown(C), prop.ibp(C)


@pytest.mark.parametrize("seed", range(8))
def test_crown_is_never_looser_than_ibp(seed):
    rng = np.random.default_rng(60 + seed)
    net = mlp(rng, 5, [8, 8, 6], 4) if seed % 2 else tiny_cnn(rng, "zeros", (2, 1), K=4)
    X, y = rng.normal(size=(10, net.input_dim)), rng.integers(0, 4, 10)
    for eps in (0.01, 0.1, 0.5):
        ibp = certify(net, X, y, eps=eps, method="ibp").margins
        crown = certify(net, X, y, eps=eps, method="crown").margins
        assert np.all(crown >= ibp)
        # with lower slope 0 and IBP pre-activation bounds, CROWN dominates IBP on every
        # specification by construction (each backward step only tightens an interval bound)
        raw, ibp_spec = _raw_bounds(net, X, y, eps, "zero")
        assert np.all(raw >= ibp_spec - tol(ibp_spec))


def test_crown_is_tighter_than_ibp_on_a_deep_mlp():
    rng = np.random.default_rng(70)
    net = mlp(rng, 10, [20, 20, 20], 5)
    X, y = rng.normal(size=(30, 10)), rng.integers(0, 5, 30)
    ibp = certify(net, X, y, eps=0.05, method="ibp").margins
    crown = certify(net, X, y, eps=0.05, method="crown").margins
    assert np.mean(crown - ibp) > 0.1 * np.mean(np.abs(ibp))


# --------------------------------------------------------------------------------------------------
# larger networks: never above a feasible point (random points and PGD)
# --------------------------------------------------------------------------------------------------
def small_cnn(rng):
    return Network(
        [
            Conv2d(rng.normal(size=(4, 1, 3, 3)) / 3, rng.normal(size=4) / 10, padding="same"),
            ReLU(),
            MaxPool2d(2),
            Conv2d(rng.normal(size=(6, 4, 3, 3)) / 6, rng.normal(size=6) / 10, padding="same"),
            ReLU(),
            MaxPool2d(2),
            Flatten(),
            Dense(rng.normal(size=(16, 54)) / 7, rng.normal(size=16) / 10),
            ReLU(),
            Dense(rng.normal(size=(10, 16)) / 4),
        ],
        (1, 12, 12),
    )


def test_certificates_below_random_feasible_points_on_a_cnn():
    rng = np.random.default_rng(80)
    net = small_cnn(rng)
    X, y = rng.uniform(0, 1, size=(6, 144)), rng.integers(0, 10, 6)
    eps = 0.02
    for method in ("ibp", "crown"):
        cm = certify(net, X, y, eps=eps, method=method, clip=(0, 1))
        for i in range(len(X)):
            pts = np.clip(X[i] + rng.choice([-eps, eps], size=(500, 144)), 0, 1)
            pts = np.vstack([pts, np.clip(X[i] + rng.uniform(-eps, eps, size=(500, 144)), 0, 1)])
            assert cm.margins[i] <= natural_margins(net, pts, np.full(len(pts), y[i])).min() + 1e-9


def margin_pgd(net, X, y, eps, steps=40, clip=(0.0, 1.0), seed=0):
    """Signed-gradient descent on the margin from a random start (Madry et al. 2018), best iterate.

    Gradients by the numpy backpropagation of radbound.certify.linearity (checked against finite
    differences in test_certify_linearity.py); every iterate is a feasible point, so its margin,
    recomputed by Network.forward, is an upper bound on the worst case whatever the gradients.
    """
    from radbound._backend import get_backend
    from radbound.certify.linearity import _numpy_loss_grad

    ops = LayerOps(net, get_backend())
    rng = np.random.default_rng(seed)
    x0 = X.reshape(len(X), *net.input_shape)
    x = np.clip(x0 + rng.uniform(-eps, eps, size=x0.shape), *clip)
    best = natural_margins(net, x.reshape(len(X), -1), y)
    for _ in range(steps):
        _, g = _numpy_loss_grad(ops, x, y, "margin", False)
        x = np.clip(np.clip(x - eps / 4 * np.sign(g), x0 - eps, x0 + eps), *clip)
        best = np.minimum(best, natural_margins(net, x.reshape(len(X), -1), y))
    return best


def test_certificates_below_pgd_on_a_cnn():
    rng = np.random.default_rng(81)
    net = small_cnn(rng)
    X, y = rng.uniform(0, 1, size=(20, 144)), rng.integers(0, 10, 20)
    for eps in (0.01, 0.05):
        pgd = margin_pgd(net, X, y, eps)
        assert np.all(pgd <= natural_margins(net, X, y))
        for method in ("ibp", "crown"):
            cm = certify(net, X, y, eps=eps, method=method, clip=(0, 1))
            assert np.all(cm.margins <= pgd + 1e-9)


# --------------------------------------------------------------------------------------------------
# backends, chunks, results
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["zeros", "circular"])
def test_numpy_and_torch_give_equal_numbers(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(90)
    layers = [
        Conv2d(rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3), padding=1, stride=2, padding_mode=mode),
        ReLU(),
        MaxPool2d(2, 1),
        Conv2d(rng.normal(size=(2, 3, 2, 2)), rng.normal(size=2), padding="same", padding_mode=mode),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Dense(rng.normal(size=(4, 2)), rng.normal(size=4)),
    ]
    net = Network(layers, (2, 6, 6))
    X, y = rng.uniform(0, 1, size=(7, 72)), rng.integers(0, 4, 7)
    for method, p, clip in itertools.product(("ibp", "crown"), (2.0, INF), (None, (0.0, 1.0))):
        a = certify(net, X, y, eps=0.05, attack_norm=p, clip=clip, method=method, intermediate="crown")
        b = certify(
            net,
            torch.tensor(X),
            torch.tensor(y),
            eps=0.05,
            attack_norm=p,
            clip=clip,
            method=method,
            intermediate="crown",
        )
        assert isinstance(b.margins, torch.Tensor) and b.margins.dtype == torch.float64
        assert np.allclose(b.margins.numpy(), a.margins, rtol=1e-10, atol=1e-10)
        assert np.allclose(b.pairwise.numpy(), a.pairwise, rtol=1e-10, atol=1e-10)


def test_chunking_does_not_change_the_numbers():
    rng = np.random.default_rng(91)
    net = small_cnn(rng)
    X, y = rng.uniform(0, 1, size=(9, 144)), rng.integers(0, 10, 9)
    a = certify(net, X, y, eps=0.01, method="crown")
    b = certify(net, X, y, eps=0.01, method="crown", chunk_size=2)
    assert np.allclose(a.margins, b.margins, rtol=1e-12, atol=1e-12)


def test_result_reports_what_was_certified():
    rng = np.random.default_rng(92)
    net = small_cnn(rng)
    X, y = rng.uniform(0, 1, size=(4, 144)), rng.integers(0, 10, 4)
    cm = certify(net, X, y, eps=0.0, method="crown", clip=(0, 1))
    assert cm.intermediate == ("first-layer", "crown", "crown")
    assert cm.lower_slope == "adaptive" and cm.method == "crown" and not cm.exact
    assert len(cm) == 4 and cm.pairwise.shape == (4, 10)
    assert np.all(np.isinf(cm.pairwise[np.arange(4), y]))
    assert np.array_equal(cm.margins, cm.pairwise.min(axis=1))
    assert cm.certified_accuracy == float(np.mean(natural_margins(net, X, y) > 0))
    assert "||x' - x_i||_inf <= 0" in cm.statement and "[0, 1]^d" in cm.statement
    assert "crown" in repr(cm)
    ibp_plan = certify(net, X, y, eps=0.1, method="crown", intermediate="ibp").intermediate
    assert ibp_plan == ("first-layer", "ibp", "ibp")


def test_torch_module_is_accepted():
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    net = Network.from_torch(model, (3,))
    X, y = np.random.default_rng(0).normal(size=(5, 3)), np.array([0, 1, 0, 1, 1])
    a = certify(model, X, y, eps=0.1)
    b = certify(net, X, y, eps=0.1)
    assert np.array_equal(a.margins, b.margins)


# --------------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------------
# the return values: certified_margins gives the margins alone, certify the typed result
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["ibp", "crown", "sdp"])
def test_certified_margins_returns_one_float64_bound_per_sample(method):
    rng = np.random.default_rng(95)
    net = mlp(rng, 4, [6], 3)
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, 7)
    m = certified_margins(net, X, y, eps=0.05, method=method)
    assert isinstance(m, np.ndarray) and m.shape == (7,) and m.dtype == np.float64
    assert np.array_equal(m, certify(net, X, y, eps=0.05, method=method).margins)
    nat = natural_margins(net, X, y)
    assert np.all(m <= nat + tol(nat))  # a lower bound on the margin at x itself
    with pytest.raises(TypeError):  # options are keywords
        certified_margins(net, X, y, 0.05)


def test_certified_margins_of_tensors_is_a_tensor():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(96)
    net = small_cnn(rng)
    X, y = rng.uniform(0, 1, size=(3, 144)), rng.integers(0, 10, 3)
    for dtype in (torch.float64, torch.float32):
        m = certified_margins(net, torch.tensor(X, dtype=dtype), torch.tensor(y), eps=0.01, method="crown")
        assert isinstance(m, torch.Tensor) and m.shape == (3,) and m.dtype == dtype
    ref = certified_margins(net, X, y, eps=0.01, method="crown")
    assert np.allclose(m.double().numpy(), ref, rtol=1e-4, atol=1e-4)  # float32 rounding of O(1) margins


# bad input: named errors before any work
# --------------------------------------------------------------------------------------------------
def test_bad_input_is_refused_clearly():
    rng = np.random.default_rng(93)
    net = small_cnn(rng)
    X, y = rng.uniform(0, 1, size=(3, 144)), np.array([1, 2, 3])
    with pytest.raises(ValueError, match="method must be one of"):
        certified_margins(net, X, y, eps=0.1, method="lp")
    with pytest.raises(ValueError, match="method='sdp' needs a one-hidden-layer network"):
        certified_margins(net, X, y, eps=0.1, method="sdp")
    with pytest.raises(ValueError, match="eps must be finite and >= 0"):
        certified_margins(net, X, y, eps=-0.1)
    with pytest.raises(ValueError, match="attack_norm must be in"):
        certified_margins(net, X, y, eps=0.1, attack_norm=0.5)
    with pytest.raises(ValueError, match="X must lie in the clip box"):
        certified_margins(net, X + 1, y, eps=0.1, clip=(0, 1))
    with pytest.raises(ValueError, match="X must have shape"):
        certified_margins(net, X[:, :100], y, eps=0.1)
    with pytest.raises(ValueError, match="y must hold labels in 0..9"):
        certified_margins(net, X, np.array([1, 2, 10]), eps=0.1)
    with pytest.raises(ValueError, match="finite"):
        certified_margins(net, np.where(X > 0.5, np.nan, X), y, eps=0.1)
    with pytest.raises(ValueError, match="intermediate must be one of"):
        certified_margins(net, X, y, eps=0.1, intermediate="lp")
    with pytest.raises(TypeError, match="net must be"):
        certified_margins("net", X, y, eps=0.1)
    with pytest.raises(TypeError, match="clip must be None or a pair"):
        certified_margins(net, X, y, eps=0.1, clip=1.0)
    with pytest.raises(TypeError, match="X must be real"):
        certified_margins(net, X + 0j, y, eps=0.1)
    with pytest.raises(TypeError, match="X must be an array of real numbers"):
        certified_margins(net, np.full(X.shape, "a"), y, eps=0.1)
    with pytest.raises(ValueError, match="X must be a rectangular array"):
        certified_margins(net, [[0.0] * 144, [0.0]], y[:2], eps=0.1)
    with pytest.raises(ValueError, match="solver must be one of"):
        certified_margins(net, X, y, eps=0.1, solver="mosek")
    with pytest.raises((OverflowError, ValueError), match="eps too large|overflow"):
        certified_margins(net, X, y, eps=1e308)
    with pytest.raises(ValueError, match="net: b must have 3 entries"):
        certified_margins((np.ones((3, 2)), np.ones(2)), np.zeros((1, 2)), [0], eps=0.1)
    binary = mlp(rng, 2, [3], 1)
    with pytest.raises(ValueError, match=r"y must have entries in \{-1, \+1\}"):
        certified_margins(binary, np.zeros((2, 2)), np.array([0, 1]), eps=0.1)
