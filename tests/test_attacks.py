"""Exact attacks on linear models (radbound.attacks).

Oracle ladder: closed form on hand examples -> enumeration of the vertices of the
threat set (for a fixed runner-up class the margin is linear, so its minimum over a
polytope is at a vertex) -> PGD and random feasible points (upper bounds) ->
hypothesis properties (rule identities, binary = 2-class, torch = numpy).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radbound.attacks import (
    WorstCase,
    adversarial_margins,
    linear_robust_accuracy,
    linear_worst_case,
    pgd,
    pgd_linear,
)

NORMS = [1.0, 1.5, 2.0, 3.0, math.inf]


def _margin(W, b, X, y):
    """Reference margin at given points: y f(x) (binary) or z_y - max_{k != y} z_k."""
    W = np.asarray(W)
    if W.ndim == 1:
        return y * (X @ W + b)
    Z = X @ W.T + b
    other = np.where(np.eye(W.shape[0], dtype=bool)[y], -np.inf, Z)
    return Z[np.arange(len(y)), y] - other.max(axis=1)


def _tol(W, b, X, eps):
    """Rounding bound for sums of d products of size |W|(|x| + eps): 1e3 * unit roundoff * scale."""
    scale = 1.0 + np.abs(W).sum() * (np.abs(X).max() + eps) + np.abs(b).sum()
    return 1e3 * np.finfo(float).eps * scale


def _problem(rng, n, d, K, binary):
    X = rng.uniform(0.0, 1.0, size=(n, d))
    if binary:
        return rng.normal(size=d), float(rng.normal()), X, rng.choice([-1.0, 1.0], size=n)
    return rng.normal(size=(K, d)), rng.normal(size=K), X, rng.integers(0, K, size=n)


def _brute_force(W, b, X, y, eps, attack_norm, box=None):
    """Minimum margin over the vertices of the threat set (r = inf: the box; r = 1: +-eps e_j)."""
    n, d = X.shape
    best = np.full(n, np.inf)
    if math.isinf(attack_norm):
        lo = X - eps if box is None else np.maximum(X - eps, box[0])
        hi = X + eps if box is None else np.minimum(X + eps, box[1])
        for s in itertools.product([0, 1], repeat=d):
            s = np.array(s, dtype=bool)
            best = np.minimum(best, _margin(W, b, np.where(s, hi, lo), y))
    else:
        assert attack_norm == 1.0
        for j in range(d):
            for sgn in (-1.0, 1.0):
                Xv = X.copy()
                Xv[:, j] += sgn * eps
                best = np.minimum(best, _margin(W, b, Xv, y))
    return best


# ---------------------------------------------------------------------------
# closed form on hand examples
# ---------------------------------------------------------------------------


def test_binary_hand_example():
    w, b = np.array([1.0, -2.0, 0.0]), 0.5
    X, y = np.array([[1.0, 1.0, 3.0]]), np.array([-1.0])
    # y f(x) = -(1 - 2 + 0.5) = 0.5; ||w||_1 = 3, ||w||_2 = sqrt(5), ||w||_inf = 2
    for r, dual in [(math.inf, 3.0), (2.0, math.sqrt(5.0)), (1.0, 2.0)]:
        wc = linear_worst_case(w, b, X, y, eps=0.1, attack_norm=r)
        assert wc.margins[0] == pytest.approx(0.5 - 0.1 * dual, abs=1e-15)
        assert wc.target is None and wc.exact
    wc = linear_worst_case(w, b, X, y, eps=0.1)
    np.testing.assert_allclose(wc.X_adv, [[1.1, 0.9, 3.0]], atol=1e-15)  # x - eps y sign(w)


def test_multiclass_hand_example():
    W = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    b = np.array([0.0, -1.0, -0.5])
    X, y = np.array([[0.1, 0.0]]), np.array([0])
    # eps = 0.2; vs class 1: -0.1 + 1 - 0.2 ||(-1, 0)||_1 = 0.7; vs class 2: 0 + 0.5 - 0.2 = 0.3
    wc = linear_worst_case(W, b, X, y, eps=0.2)
    assert wc.margins[0] == pytest.approx(0.3, abs=1e-15)
    assert int(wc.target[0]) == 2
    np.testing.assert_allclose(wc.X_adv, [[0.1, 0.2]], atol=1e-15)  # x - eps sign(w_0 - w_2)
    # the paper's rule leaves b out: (W x)_k + eps ||w_0 - w_k||_1 = 0.3 (k = 1) > 0.2 (k = 2)
    wp = linear_worst_case(W, b, X, y, eps=0.2, rule="paper")
    assert int(wp.target[0]) == 1 and not wp.exact
    np.testing.assert_allclose(wp.X_adv, [[0.3, 0.0]], atol=1e-15)
    # at (0.3, 0): z = (0, -0.7, -0.5), margin 0.5 > 0.3: the paper's attack is weaker here
    assert wp.margins[0] == pytest.approx(0.5, abs=1e-15)


def test_eps_zero_gives_natural_margins_and_accuracy():
    rng = np.random.default_rng(0)
    W, b, X, y = _problem(rng, 50, 6, 4, binary=False)
    m = adversarial_margins(W, b, X, y, eps=0.0)
    np.testing.assert_allclose(m, _margin(W, b, X, y), atol=_tol(W, b, X, 0))
    acc = np.mean(np.argmax(X @ W.T + b, axis=1) == y)
    assert linear_robust_accuracy(W, b, X, y, eps=0.0) == acc


# ---------------------------------------------------------------------------
# enumeration of vertices
# ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    d=st.integers(1, 6),
    K=st.integers(2, 4),
    binary=st.booleans(),
    eps=st.floats(0.0, 1.0),
    r=st.sampled_from([1.0, math.inf]),
    seed=st.integers(0, 2**16),
)
def test_exact_equals_brute_force_over_vertices(d, K, binary, eps, r, seed):
    """Exact margins equal the minimum over all vertices (2^d for l_inf, 2d for l_1)."""
    rng = np.random.default_rng(seed)
    W, b, X, y = _problem(rng, 7, d, K, binary)
    wc = linear_worst_case(W, b, X, y, eps=eps, attack_norm=r)
    tol = _tol(W, b, X, eps)
    np.testing.assert_allclose(wc.margins, _brute_force(W, b, X, y, eps, r), rtol=0, atol=tol)
    np.testing.assert_allclose(adversarial_margins(W, b, X, y, eps=eps, attack_norm=r), wc.margins, atol=tol)
    # the worst input is feasible and attains the margin
    assert np.all(np.linalg.norm(wc.X_adv - X, ord=r, axis=1) <= eps * (1 + 1e-12) + 1e-15)
    np.testing.assert_allclose(_margin(W, b, wc.X_adv, y), wc.margins, atol=tol)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    d=st.integers(1, 6),
    K=st.integers(2, 4),
    binary=st.booleans(),
    eps=st.floats(0.0, 0.8),
    seed=st.integers(0, 2**16),
)
def test_clipped_linf_equals_brute_force(d, K, binary, eps, seed):
    """With clip=(0, 1) and r = inf the exact clipped worst case equals the vertex enumeration
    of the clipped box, and X_adv stays in the box and the ball."""
    rng = np.random.default_rng(seed)
    W, b, X, y = _problem(rng, 7, d, K, binary)
    X[0, 0] = 0.0  # a pixel on the boundary
    wc = linear_worst_case(W, b, X, y, eps=eps, clip=(0.0, 1.0))
    tol = _tol(W, b, X, eps)
    assert wc.exact
    np.testing.assert_allclose(wc.margins, _brute_force(W, b, X, y, eps, math.inf, (0.0, 1.0)), atol=tol)
    assert wc.X_adv.min() >= 0.0 and wc.X_adv.max() <= 1.0
    assert np.abs(wc.X_adv - X).max() <= eps + 1e-15
    np.testing.assert_allclose(_margin(W, b, wc.X_adv, y), wc.margins, atol=tol)
    # clipping can only make the attack weaker
    assert np.all(wc.margins >= adversarial_margins(W, b, X, y, eps=eps) - tol)


@pytest.mark.parametrize("r", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("rule", ["exact", "paper"])
def test_clip_other_norms_is_feasible_upper_bound(r, rule):
    rng = np.random.default_rng(1)
    W, b, X, y = _problem(rng, 40, 5, 3, binary=False)
    wc = linear_worst_case(W, b, X, y, eps=0.4, attack_norm=r, clip=(0.0, 1.0), rule=rule)
    assert not wc.exact
    assert wc.X_adv.min() >= 0.0 and wc.X_adv.max() <= 1.0
    assert np.all(np.linalg.norm(wc.X_adv - X, ord=r, axis=1) <= 0.4 * (1 + 1e-12))
    tol = _tol(W, b, X, 0.4)
    np.testing.assert_allclose(_margin(W, b, wc.X_adv, y), wc.margins, atol=tol)
    assert np.all(wc.margins >= adversarial_margins(W, b, X, y, eps=0.4, attack_norm=r) - tol)


# ---------------------------------------------------------------------------
# upper bounds: PGD and random feasible points never beat the exact attack
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("r", NORMS)
@pytest.mark.parametrize("binary", [True, False])
def test_exact_is_never_weaker_than_pgd(r, binary):
    rng = np.random.default_rng(2)
    W, b, X, y = _problem(rng, 200, 20, 5, binary)
    eps = 0.3
    exact = adversarial_margins(W, b, X, y, eps=eps, attack_norm=r)
    pgd = pgd_linear(W, b, X, y, eps=eps, attack_norm=r, steps=30, seed=0)
    tol = _tol(W, b, X, eps)
    assert isinstance(pgd, WorstCase) and pgd.rule == "pgd" and not pgd.exact
    assert np.all(np.linalg.norm(pgd.X_adv - X, ord=r, axis=1) <= eps * (1 + 1e-9))
    np.testing.assert_allclose(_margin(W, b, pgd.X_adv, y), pgd.margins, atol=tol)
    assert np.all(exact <= pgd.margins + tol)
    # and PGD is a sensible attack: it lowers the natural margin of most samples
    assert np.mean(pgd.margins < _margin(W, b, X, y) - tol) > 0.5


def test_pgd_reaches_exact_for_binary_linf():
    """For a binary model the l_inf steepest-descent step is the exact worst case."""
    rng = np.random.default_rng(3)
    W, b, X, y = _problem(rng, 50, 8, 2, binary=True)
    pgd = pgd_linear(W, b, X, y, eps=0.2, steps=5, step_size=0.2, random_start=False)
    np.testing.assert_allclose(pgd.margins, adversarial_margins(W, b, X, y, eps=0.2), atol=_tol(W, b, X, 0.2))


@pytest.mark.parametrize("loss", ["cross_entropy", "margin"])
@pytest.mark.parametrize("r", [2.0, math.inf])
def test_pgd_closed_form_gradients_match_autograd(loss, r):
    """One PGD, two gradient oracles: the closed-form linear gradients of (W, b) and torch autograd
    through an equal nn.Linear give the same iterates (float64; no random start, so no RNG)."""
    torch = pytest.importorskip("torch", reason="the autograd oracle needs torch")
    rng = np.random.default_rng(11)
    W, b, X, y = _problem(rng, 30, 6, 4, binary=False)
    lin = torch.nn.Linear(6, 4).double()
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(W))
        lin.bias.copy_(torch.from_numpy(b))
    kw = dict(eps=0.3, attack_norm=r, steps=6, step_size=0.1, random_start=False, loss=loss)
    ours = pgd((W, b), X, y, **kw)
    auto = pgd(lin, torch.from_numpy(X), torch.from_numpy(y), **kw)
    tol = _tol(W, b, X, 0.3)
    np.testing.assert_allclose(auto.X_adv.numpy(), ours.X_adv, rtol=0, atol=tol)
    np.testing.assert_allclose(auto.margins.numpy(), ours.margins, rtol=0, atol=tol)
    np.testing.assert_array_equal(auto.target.numpy(), ours.target)
    # torch arrays through the closed-form path: the same numbers again
    tens = pgd((torch.from_numpy(W), torch.from_numpy(b)), torch.from_numpy(X), torch.from_numpy(y), **kw)
    np.testing.assert_allclose(tens.X_adv.numpy(), ours.X_adv, rtol=0, atol=tol)


@pytest.mark.parametrize("binary", [True, False])
def test_pgd_restarts_and_cross_entropy_stay_above_exact(binary):
    rng = np.random.default_rng(12)
    W, b, X, y = _problem(rng, 100, 10, 3, binary)
    exact = adversarial_margins(W, b, X, y, eps=0.2)
    tol = _tol(W, b, X, 0.2)
    one = pgd((W, b), X, y, eps=0.2, steps=10, seed=3)
    more = pgd((W, b), X, y, eps=0.2, steps=10, restarts=4, seed=3, clip=(0.0, 1.0))
    for wc in (one, more):
        np.testing.assert_allclose(_margin(W, b, wc.X_adv, y), wc.margins, atol=tol)
        assert np.all(exact <= wc.margins + tol)
        assert np.abs(wc.X_adv - X).max() <= 0.2 * (1 + 1e-12)
    assert more.X_adv.min() >= 0.0 and more.X_adv.max() <= 1.0
    # restarts only attack the samples still correct, and never raise a margin of the first start
    free = pgd((W, b), X, y, eps=0.2, steps=10, restarts=4, seed=3)
    assert np.all(free.margins <= one.margins + tol)


def test_pgd_bad_model_and_options():
    W, b, X, y = _ok()
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, a LinearModel or a pair"):
        pgd("model", X, y, eps=0.1)
    with pytest.raises(ValueError, match="loss must be one of"):
        pgd((W, b), X, y, eps=0.1, loss="hinge")
    with pytest.raises(ValueError, match="restarts must be 1 with keep='last'"):
        pgd((W, b), X, y, eps=0.1, restarts=2, keep="last")
    with pytest.raises(ValueError, match="restarts must be an integer >= 1"):
        pgd((W, b), X, y, eps=0.1, restarts=0)


@pytest.mark.parametrize("r", [1.5, 2.0, 3.0])
def test_random_feasible_points_never_beat_exact(r):
    rng = np.random.default_rng(4)
    W, b, X, y = _problem(rng, 30, 4, 3, binary=False)
    eps = 0.5
    exact = adversarial_margins(W, b, X, y, eps=eps, attack_norm=r)
    tol = _tol(W, b, X, eps)
    for _ in range(200):
        g = rng.normal(size=X.shape)
        g *= eps / np.linalg.norm(g, ord=r, axis=1, keepdims=True)
        assert np.all(exact <= _margin(W, b, X + g, y) + tol)


# ---------------------------------------------------------------------------
# identities between rules and model types
# ---------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, derandomize=True)
@given(K=st.integers(2, 6), eps=st.floats(0.0, 1.0), r=st.sampled_from(NORMS), seed=st.integers(0, 2**16))
def test_paper_rule_equals_exact_when_bias_is_constant(K, eps, r, seed):
    """With b = c 1 the paper's target maximises (Wx)_k + eps||w_y - w_k|| = z_y - margin_k - c:
    the same class as the exact rule, hence the same point and margin."""
    rng = np.random.default_rng(seed)
    W, _, X, y = _problem(rng, 25, 5, K, binary=False)
    for b in (np.zeros(K), np.full(K, 0.7)):
        ex = linear_worst_case(W, b, X, y, eps=eps, attack_norm=r)
        pa = linear_worst_case(W, b, X, y, eps=eps, attack_norm=r, rule="paper")
        tol = _tol(W, b, X, eps)
        np.testing.assert_allclose(pa.margins, ex.margins, atol=tol)
        same = pa.target == ex.target  # ties aside (measure zero), the targets agree
        assert same.mean() == 1.0
        np.testing.assert_allclose(pa.X_adv, ex.X_adv, atol=1e-12)


def test_paper_rule_is_never_stronger_than_exact():
    rng = np.random.default_rng(5)
    W, b, X, y = _problem(rng, 500, 10, 6, binary=False)
    b *= 3.0
    ex = adversarial_margins(W, b, X, y, eps=0.2)
    pa = linear_worst_case(W, b, X, y, eps=0.2, rule="paper")
    assert np.all(pa.margins >= ex - _tol(W, b, X, 0.2))
    assert np.any(pa.margins > ex + 1e-6)  # with a large bias the paper's choice is sometimes wrong


@pytest.mark.parametrize("r", NORMS)
@pytest.mark.parametrize("clip", [None, (0.0, 1.0)])
def test_binary_equals_two_class(r, clip):
    """w, b, y in {-1,+1}  <->  W = [0; w], b = [0, b], class (y + 1) / 2."""
    rng = np.random.default_rng(6)
    w, b, X, y = _problem(rng, 60, 5, 2, binary=True)
    W2, b2, y2 = np.stack([np.zeros_like(w), w]), np.array([0.0, b]), ((y + 1) // 2).astype(int)
    wb = linear_worst_case(w, b, X, y, eps=0.3, attack_norm=r, clip=clip)
    w2 = linear_worst_case(W2, b2, X, y2, eps=0.3, attack_norm=r, clip=clip)
    tol = _tol(w, b, X, 0.3)
    np.testing.assert_allclose(wb.margins, w2.margins, atol=tol)
    np.testing.assert_allclose(wb.X_adv, w2.X_adv, atol=1e-12)
    assert linear_robust_accuracy(w, b, X, y, eps=0.3, attack_norm=r, clip=clip) == linear_robust_accuracy(
        W2, b2, X, y2, eps=0.3, attack_norm=r, clip=clip
    )


def test_robust_accuracy_is_fraction_of_positive_margins_and_decreases_in_eps():
    rng = np.random.default_rng(7)
    W, b, X, y = _problem(rng, 300, 8, 4, binary=False)
    accs = [linear_robust_accuracy(W, b, X, y, eps=e) for e in (0.0, 0.05, 0.1, 0.2, 0.5)]
    assert accs == sorted(accs, reverse=True)
    m = adversarial_margins(W, b, X, y, eps=0.1)
    assert accs[2] == np.mean(m > 0)


def test_no_bias_means_zero_bias():
    rng = np.random.default_rng(8)
    W, _, X, y = _problem(rng, 20, 4, 3, binary=False)
    np.testing.assert_array_equal(
        adversarial_margins(W, None, X, y, eps=0.1), adversarial_margins(W, np.zeros(3), X, y, eps=0.1)
    )


def test_float32_inputs_stay_float32():
    rng = np.random.default_rng(9)
    W, b, X, y = _problem(rng, 20, 4, 3, binary=False)
    m = adversarial_margins(W.astype(np.float32), b, X.astype(np.float32), y, eps=0.1)
    assert m.dtype == np.float32
    np.testing.assert_allclose(m, adversarial_margins(W, b, X, y, eps=0.1), atol=1e-5)


# ---------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("r", [1.0, 2.0, math.inf])
def test_torch_equals_numpy(binary, r):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    W, b, X, y = _problem(rng, 40, 6, 4, binary)
    Wt, Xt = torch.tensor(W), torch.tensor(X)
    bt = b if binary else torch.tensor(b)
    yt = torch.tensor(y)
    tol = _tol(W, b, X, 0.2)
    for kw in ({}, {"rule": "paper"}, {"clip": (0.0, 1.0)}):
        a = linear_worst_case(W, b, X, y, eps=0.2, attack_norm=r, **kw)
        t = linear_worst_case(Wt, bt, Xt, yt, eps=0.2, attack_norm=r, **kw)
        assert isinstance(t.margins, torch.Tensor) and isinstance(t.X_adv, torch.Tensor)
        assert t.margins.dtype == torch.float64 and t.exact == a.exact
        np.testing.assert_allclose(t.margins.numpy(), a.margins, atol=tol)
        np.testing.assert_allclose(t.X_adv.numpy(), a.X_adv, atol=1e-12)
        if not binary:
            np.testing.assert_array_equal(t.target.numpy(), a.target)
    m = adversarial_margins(Wt, bt, Xt, yt, eps=0.2, attack_norm=r)
    np.testing.assert_allclose(m.numpy(), adversarial_margins(W, b, X, y, eps=0.2, attack_norm=r), atol=tol)
    acc = linear_robust_accuracy(Wt, bt, Xt, yt, eps=0.2, attack_norm=r)
    assert isinstance(acc, float) and acc == linear_robust_accuracy(W, b, X, y, eps=0.2, attack_norm=r)


def test_torch_float32_and_mixed_inputs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    W, b, X, y = _problem(rng, 30, 5, 3, binary=False)
    m = adversarial_margins(W, b, torch.tensor(X, dtype=torch.float32), y, eps=0.1)
    assert m.dtype == torch.float32
    np.testing.assert_allclose(m.numpy(), adversarial_margins(W, b, X, y, eps=0.1), atol=1e-5)


def test_torch_margins_are_differentiable_in_W():
    """d/dW sum_i m_i: row y_i gets x_i - eps sign(v_i), row k*_i gets the opposite (v_i = w_y - w_k*)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    W, b, X, y = _problem(rng, 30, 5, 3, binary=False)
    Wg = torch.tensor(W, requires_grad=True)
    m = adversarial_margins(Wg, b, X, y, eps=0.1)
    np.testing.assert_allclose(m.detach().numpy(), adversarial_margins(W, b, X, y, eps=0.1), atol=1e-12)
    m.sum().backward()
    wc = linear_worst_case(W, b, X, y, eps=0.1)
    G = np.zeros_like(W)
    np.add.at(G, y, wc.X_adv)
    np.add.at(G, wc.target, -wc.X_adv)
    np.testing.assert_allclose(Wg.grad.numpy(), G, atol=1e-12)


def test_no_n_by_K_by_d_array_is_formed():
    """Peak extra memory of the exact attack stays far below an (n, K, d) array."""
    import tracemalloc

    rng = np.random.default_rng(14)
    n, d, K = 2000, 100, 10
    W, b, X, y = _problem(rng, n, d, K, binary=False)
    nkd = n * K * d * 8
    for fn in (adversarial_margins, linear_worst_case):
        tracemalloc.start()
        fn(W, b, X, y, eps=0.1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < nkd / 3, (fn.__name__, peak, nkd)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def _ok():
    rng = np.random.default_rng(12)
    return _problem(rng, 10, 3, 3, binary=False)


@pytest.mark.parametrize(
    "change, exc, match",
    [
        ({"eps": -0.1}, ValueError, "eps must be finite and >= 0"),
        ({"eps": float("nan")}, ValueError, "eps"),
        ({"attack_norm": 0.5}, ValueError, r"attack_norm must be in \[1, inf\]"),
        ({"attack_norm": "two"}, TypeError, "attack_norm"),
        ({"rule": "fgsm"}, ValueError, "rule must be one of"),
        ({"clip": (1.0, 0.0)}, ValueError, "clip must be a pair"),
        ({"clip": 1.0}, TypeError, "clip must be None or a pair"),
        ({"clip": (0.2, 0.5)}, ValueError, "X must lie in the clip box"),
    ],
)
def test_bad_options(change, exc, match):
    W, b, X, y = _ok()
    kw = {"eps": 0.1} | change
    with pytest.raises(exc, match=match):
        linear_worst_case(W, b, X, y, **kw)


def test_bad_shapes_and_values():
    W, b, X, y = _ok()
    with pytest.raises(ValueError, match="W must have d=3 columns"):
        adversarial_margins(W[:, :2], b, X, y, eps=0.1)
    with pytest.raises(ValueError, match=r"b must have shape \(K,\)"):
        adversarial_margins(W, b[:2], X, y, eps=0.1)
    with pytest.raises(ValueError, match="y must have length"):
        adversarial_margins(W, b, X, y[:5], eps=0.1)
    with pytest.raises(ValueError, match=r"labels in 0..2"):
        adversarial_margins(W, b, X, np.full(10, 3), eps=0.1)
    with pytest.raises(ValueError, match=r"entries in \{-1, \+1\}"):
        adversarial_margins(W[0], 0.0, X, np.zeros(10), eps=0.1)
    with pytest.raises(ValueError, match="b must be a scalar"):
        adversarial_margins(W[0], np.zeros(2), X, np.ones(10), eps=0.1)
    with pytest.raises(ValueError, match="X must be 2-D"):
        adversarial_margins(W, b, X[0], y, eps=0.1)
    with pytest.raises(ValueError, match="W must have shape"):
        adversarial_margins(W[None], b, X, y, eps=0.1)
    with pytest.raises(ValueError, match="at least 2 rows"):
        adversarial_margins(W[:1], b[:1], X, np.zeros(10, int), eps=0.1)
    with pytest.raises(TypeError, match="X must be a 2-D array of real numbers"):
        adversarial_margins(W, b, "X", y, eps=0.1)
    Wn = W.copy()
    Wn[0, 0] = np.nan
    with pytest.raises(ValueError, match="W must contain only finite values"):
        adversarial_margins(Wn, b, X, y, eps=0.1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("fn", [adversarial_margins, linear_worst_case, linear_robust_accuracy])
def test_non_finite_X_is_rejected(bad, fn):
    """Finiteness of X is checked through the extra column of the logits product."""
    W, b, X, y = _ok()
    X[3, 1] = bad
    W[:, 1] = 0.0  # a zero weight must not hide the bad pixel
    with pytest.raises(ValueError, match="X must contain only finite values"):
        fn(W, b, X, y, eps=0.1)


def test_pgd_bad_input():
    W, b, X, y = _ok()
    with pytest.raises(ValueError, match="step_size must be finite and > 0"):
        pgd_linear(W, b, X, y, eps=0.1, step_size=0.0)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        pgd_linear(W, b, X, y, eps=0.1, steps=-1)
