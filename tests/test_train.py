"""Tests of radbound.train: losses, the cvxpy reference program, the fast solvers and their certificate.

Oracle ladder: closed forms for the losses (brute force over the vertices of the eps-box for tiny d),
cvxpy (Clarabel) as the independent solver for every loss, weak duality for the certificate.
Tolerances: the fast solver targets a relative duality gap of 1e-7 and Clarabel's default accuracy
is ~1e-8, so objectives must agree to 1e-6 relative.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from radbound.train import (
    DualityGap,
    LinearModel,
    NonOptimalWarning,
    SolverError,
    duality_gap,
    fit_linear,
    fit_path,
    fit_sgd_attack,
    objective,
)

pytest.importorskip("cvxpy")

LOSSES = ["logistic", "hinge", "multiclass-hinge", "softmax"]


def _data(loss, n=50, d=8, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if loss in ("logistic", "hinge"):
        y = np.where(X[:, 0] - 0.5 * X[:, 1] + 0.7 * rng.normal(size=n) > 0, 1, -1)
    else:
        y = np.argmax(X[:, :K] + 0.7 * rng.normal(size=(n, K)), axis=1)
    return X, y


# ----------------------------------------------------------------------------- losses
@pytest.mark.parametrize("loss", LOSSES)
def test_loss_equals_brute_force_over_box_vertices(loss):
    """The closed-form adversarial loss equals the max over the 2^d vertices of the l_inf box
    (the max of a convex function of x' over the box is attained at a vertex); for softmax the
    closed form is an upper bound of the exact adversarial cross-entropy, equal when K = 2."""
    rng = np.random.default_rng(3)
    n, d, K, eps = 6, 3, 3, 0.3
    X = rng.normal(size=(n, d))
    vertices = np.array(list(itertools.product([-1.0, 1.0], repeat=d)))
    if loss in ("logistic", "hinge"):
        y = rng.choice([-1.0, 1.0], size=n)
        W, b = rng.normal(size=d), 0.2
    else:
        y = rng.integers(0, K, size=n)
        W, b = rng.normal(size=(K, d)), rng.normal(size=K)
    closed = objective(X, y, W, b, eps=eps, lam=0.0, loss=loss) * n
    brute = 0.0
    for i in range(n):
        Xp = X[i] + eps * vertices
        if loss == "logistic":
            vals = np.logaddexp(0, -y[i] * (Xp @ W + b))
        elif loss == "hinge":
            vals = np.maximum(0, 1 - y[i] * (Xp @ W + b))
        else:
            Z = Xp @ W.T + b
            marg = Z[:, [y[i]]] - Z
            if loss == "softmax":
                vals = np.log(np.exp(-marg).sum(axis=1))
            else:
                marg[:, y[i]] = np.inf
                vals = np.maximum(0, 1 - marg.min(axis=1))
        brute += vals.max()
    if loss == "softmax":
        assert closed >= brute - 1e-12
        # K = 2: the bound is exact
        W2, b2, y2 = W[:2], b[:2], y % 2
        exact2 = objective(X, y2, W2, b2, eps=eps, lam=0.0, loss=loss) * n
        brute2 = sum(
            np.log(np.exp((X[i] + eps * vertices) @ (W2 - W2[y2[i]]).T + b2 - b2[y2[i]]).sum(axis=1)).max()
            for i in range(n)
        )
        assert math.isclose(exact2, brute2, rel_tol=1e-12)
    else:
        assert math.isclose(closed, brute, rel_tol=1e-12)


def test_objective_penalty_and_eps_zero():
    X, y = _data("logistic", n=10, d=3)
    w = np.array([0.5, -1.0, 2.0])
    base = objective(X, y, w, 0.1, eps=0.0, lam=0.0, loss="logistic")
    assert math.isclose(base, np.mean(np.logaddexp(0, -y * (X @ w + 0.1))), rel_tol=1e-14)
    assert math.isclose(objective(X, y, w, 0.1, eps=0.0, lam=0.2, loss="logistic"), base + 0.2 * 3.5)


# ----------------------------------------------------------------------------- fast vs cvxpy
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("eps,lam", [(0.05, 0.01), (0.2, 0.002), (0.0, 0.03)])
def test_fast_matches_cvxpy(loss, eps, lam):
    X, y = _data(loss, n=48, d=10 if loss in ("logistic", "hinge") else 6)
    fast = fit_linear(X, y, eps=eps, lam=lam, loss=loss, on_inaccurate="raise")
    ref = fit_linear(X, y, eps=eps, lam=lam, loss=loss, solver="cvxpy")
    assert abs(fast.objective - ref.objective) <= 1e-6 * abs(ref.objective)
    # the fast solver's certificate: rigorous upper bound on its suboptimality, and small
    gap = fast.certificate.gap
    assert -1e-9 <= gap <= 1e-7 * max(1.0, fast.objective)
    assert fast.objective - gap <= ref.objective + 1e-9  # the dual value is a lower bound of F*
    # objectives are recomputed from (W, b)
    for m in (fast, ref):
        assert m.objective == objective(X, y, m.W, m.b, eps=eps, lam=lam, loss=loss)
        assert isinstance(m, LinearModel)


def test_shapes_and_model_fields():
    X, y = _data("softmax", n=40, d=5, K=3)
    m = fit_linear(X, y, eps=0.1, lam=0.01, loss="softmax")
    assert m.W.shape == (3, 5) and m.b.shape == (3,) and not m.is_binary
    assert m.solver == "fast" and m.loss == "softmax" and m.attack_norm == math.inf
    assert m.diagnostics["certified"] is True and m.diagnostics["certified_by"] == "duality-gap"
    assert m.classes.tolist() == [0, 1, 2] and m.objective_kind == "convex"
    assert isinstance(m.certificate, DualityGap) and m.certificate.primal == m.objective
    Xb, yb = _data("logistic", n=40, d=5)
    mb = fit_linear(Xb, yb, eps=0.1, lam=0.01, loss="hinge", fit_intercept=False)
    assert mb.W.shape == (5,) and mb.b == 0.0 and mb.is_binary
    ref = fit_linear(Xb, yb, eps=0.1, lam=0.01, loss="hinge", fit_intercept=False, solver="cvxpy")
    assert abs(mb.objective - ref.objective) <= 1e-6 * ref.objective


def test_cvxpy_objective_recomputed_equals_solver_value():
    X, y = _data("softmax", n=40, d=5)
    m = fit_linear(X, y, eps=0.1, lam=0.01, loss="softmax", solver="cvxpy")
    assert m.diagnostics["objective_mismatch"] <= 1e-6
    assert abs(m.diagnostics["objective_solver"] - m.objective) <= 1e-6 * (1 + m.objective)


def test_cvxpy_general_attack_norm_reduces_to_inf_and_one():
    """l_2 attack on a binary model: the margin uses ||w||_2; checked against the closed form."""
    X, y = _data("hinge", n=30, d=4)
    m = fit_linear(X, y, eps=0.1, lam=0.01, loss="logistic", solver="cvxpy", attack_norm=2)
    val = (
        np.mean(np.logaddexp(0, -(y * (X @ m.W + m.b) - 0.1 * np.linalg.norm(m.W))))
        + 0.01 * np.abs(m.W).sum()
    )
    assert math.isclose(m.objective, val, rel_tol=1e-12)
    with pytest.raises(NotImplementedError, match="attack_norm=inf"):
        fit_linear(X, y, eps=0.1, lam=0.01, loss="logistic", attack_norm=2)


# ----------------------------------------------------------------------------- parameter reuse
def test_cvxpy_sweep_reuses_compiled_program():
    X, y = _data("multiclass-hinge", n=30, d=4)
    m1 = fit_linear(X, y, eps=0.1, lam=0.01, loss="multiclass-hinge", solver="cvxpy")
    m2 = fit_linear(X, y, eps=0.2, lam=0.003, loss="multiclass-hinge", solver="cvxpy")
    assert m1.diagnostics["program_id"] == m2.diagnostics["program_id"]
    assert m1.diagnostics["compiled"] is True and m2.diagnostics["compiled"] is False
    assert m2.diagnostics["n_compilations"] == 1
    assert m1.objective != m2.objective  # the new parameter values were used
    from radbound.train.cvx import CvxpyLinearProgram

    prog = CvxpyLinearProgram(X, y, loss="multiclass-hinge")
    direct = prog.solve(0.2, 0.003)
    assert math.isclose(direct.objective, m2.objective, rel_tol=1e-6)


def test_fit_path_warm_starts_and_matches_cold():
    X, y = _data("softmax", n=40, d=5)
    path = fit_path(X, y, eps=[0.0, 0.05, 0.1], lam=0.01, loss="softmax")
    assert [m.eps for m in path] == [0.0, 0.05, 0.1]
    cold = fit_linear(X, y, eps=0.1, lam=0.01, loss="softmax")
    assert abs(path[-1].objective - cold.objective) <= 1e-7 * cold.objective
    # the robust objective grows with eps
    assert path[0].objective <= path[1].objective <= path[2].objective
    with pytest.raises(ValueError, match="same length"):
        fit_path(X, y, eps=[0.1, 0.2], lam=[0.1, 0.2, 0.3], loss="softmax")


# ----------------------------------------------------------------------------- certificate
@pytest.mark.parametrize("loss", LOSSES)
def test_certificate_small_at_optimum_large_at_perturbed_point(loss):
    X, y = _data(loss, n=40, d=6)
    m = fit_linear(X, y, eps=0.1, lam=0.01, loss=loss)
    assert m.certificate.rel_gap <= 1e-7
    rng = np.random.default_rng(5)
    W = m.W + 0.05 * rng.normal(size=np.shape(m.W))
    cert = duality_gap(X, y, W, m.b, eps=0.1, lam=0.01, loss=loss)
    assert cert.gap >= objective(X, y, W, m.b, eps=0.1, lam=0.01, loss=loss) - m.objective - 1e-9
    assert cert.rel_gap > 1e-4


# ----------------------------------------------------------------------------- small eps (softmax)
@pytest.fixture(scope="module")
def mnist_14x14_300():
    """The first 300 images of the package's MNIST training pool, rescaled to 14 x 14 (d = 196)."""
    from radbound.data import load_mnist, rescale_images

    pool, _ = load_mnist().split(3000, seed=0)
    return rescale_images(pool.X[:300], 14), pool.y[:300]


@pytest.mark.parametrize("eps,lam", [(0.0, 0.001), (0.0, 0.005), (0.001, 0.002)])
def test_softmax_certificate_at_small_eps(mnist_14x14_300, eps, lam):
    """At eps = 0 the order of two class weights costs nothing, so the smoothing cannot settle the
    ties of the cone solution; re-orienting the tied entries by the gradient certifies the fit.
    (eps = 0, lam = 0.001 on these 300 images stopped at relative gap 5.3e-5 before, "inaccurate",
    after four continuation rounds.) Weak duality makes the gap an upper bound on the
    suboptimality, so a gap <= 1e-7 is the independent check."""
    X, y = mnist_14x14_300
    m = fit_linear(X, y, eps=eps, lam=lam, loss="softmax", on_inaccurate="raise")
    assert m.diagnostics["certified"] and m.certificate.informative
    assert 0.0 <= m.certificate.rel_gap + 1e-15 and m.certificate.rel_gap <= 1e-7
    assert m.certificate.theta == 1.0 or m.certificate.rel_gap <= 1e-7
    if (eps, lam) == (0.0, 0.001):
        assert m.diagnostics["cone_reorientations"] >= 1 and m.diagnostics["cone_rounds"] == 1


# ----------------------------------------------------------------------------- any attack norm
@pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning")  # cvxpy's own note
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("attack_norm", [1.0, 1.5, 2.0, 3.0])
def test_cvxpy_certificate_for_every_attack_norm(loss, attack_norm):
    """Every cvxpy fit carries the duality gap at its own attack norm: small at the solution,
    large at a perturbed point, and an upper bound on the perturbed point's excess objective."""
    X, y = _data(loss, n=30, d=4)
    m = fit_linear(X, y, eps=0.1, lam=0.01, loss=loss, solver="cvxpy", attack_norm=attack_norm)
    assert isinstance(m.certificate, DualityGap) and m.certificate.informative
    assert m.diagnostics["certified"] and m.certificate.rel_gap <= 1e-3
    assert m.certificate.gap >= -1e-9
    W = m.W + 0.1 * np.random.default_rng(1).normal(size=np.shape(m.W))
    cert = duality_gap(X, y, W, m.b, eps=0.1, lam=0.01, loss=loss, attack_norm=attack_norm)
    F = objective(X, y, W, m.b, eps=0.1, lam=0.01, loss=loss, attack_norm=attack_norm)
    assert cert.primal == F and cert.gap >= F - m.objective - 1e-6 and cert.rel_gap > 1e-3


@pytest.mark.parametrize("loss", ["logistic", "softmax"])
@pytest.mark.parametrize("r,limit", [(1 + 1e-9, 1.0), (1e9, math.inf)])
def test_cvxpy_extreme_attack_norms_approach_their_limits(loss, r, limit):
    """r = 1 + 1e-9 and r = 1e9 are solved (no ZeroDivisionError, no DPP failure) and agree with
    the limiting norms: ||v||_q and ||v||_{q_limit} differ by a factor of at most d^{|1/q - 1/q_limit|}
    = 4^(1e-9), so the optimal values agree to the solver's accuracy."""
    X, y = _data(loss, n=30, d=4)
    m = fit_linear(X, y, eps=0.1, lam=0.01, loss=loss, solver="cvxpy", attack_norm=r)
    ref = fit_linear(X, y, eps=0.1, lam=0.01, loss=loss, solver="cvxpy", attack_norm=limit)
    assert m.attack_norm == r and m.diagnostics["certified"]
    assert abs(m.objective - ref.objective) <= 1e-6 * (1 + ref.objective)


@pytest.mark.parametrize("r", [1.0, 1.5, 2.0, 3.0, math.inf])
def test_binary_dual_scaling_is_the_largest_feasible(r):
    """theta from the bisection is feasible, and theta * (1 + 1e-9) is not (brute-force check of
    ||(theta |g| - lam)_+||_r <= eps theta abar)."""
    from radbound.train._certificate import _binary_scaling

    rng = np.random.default_rng(2)
    g, abar, eps, lam = rng.normal(size=6), 0.4, 0.3, 0.2

    def feasible(theta):
        excess = np.maximum(theta * np.abs(g) - lam, 0.0)
        value = excess.max() if math.isinf(r) else (excess**r).sum() ** (1 / r)
        return value <= eps * theta * abar * (1 + 1e-12) + 1e-15

    theta = _binary_scaling(g, abar, eps, lam, r)
    assert 0 < theta < 1 and feasible(theta) and not feasible(theta * (1 + 1e-9))


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"eps": -0.1}, ValueError, "eps must be finite and >= 0"),
        ({"eps": float("nan")}, ValueError, "eps must be finite and >= 0"),
        ({"lam": -1.0}, ValueError, "lam must be finite and >= 0"),
        ({"loss": "squared"}, ValueError, "loss must be one of"),
        ({"solver": "adam"}, ValueError, "solver must be one of"),
        ({"solver": "sgd-attack"}, ValueError, "fit_sgd_attack"),
        ({"attack_norm": 0.5}, ValueError, r"attack_norm must be in \[1, inf\]"),
        ({"bogus_option": 1}, TypeError, "unknown option"),
        ({"tol": -1e-7}, ValueError, "tol must be finite and > 0"),
        ({"tol": float("nan")}, ValueError, "tol must be finite and > 0"),
        ({"gtol": 0.0}, ValueError, "gtol must be finite and > 0"),
        ({"gtol": float("nan")}, ValueError, "gtol must be finite and > 0"),
        ({"max_iter": 0}, ValueError, "max_iter must be an integer >= 1"),
        ({"max_iter": -5}, ValueError, "max_iter must be an integer >= 1"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an integer"),
        ({"time_limit": -1.0}, ValueError, "time_limit must be finite and > 0"),
        ({"time_limit": float("nan")}, ValueError, "time_limit must be finite and > 0"),
        ({"on_inaccurate": "ignore"}, ValueError, "on_inaccurate must be one of"),
        ({"blas_threads": -3}, ValueError, "blas_threads must be an integer >= 1"),
        ({"warm_start": 1.0}, TypeError, "warm_start must be None or a LinearModel"),
        ({"fit_intercept": "yes"}, TypeError, "fit_intercept must be a bool"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    X, y = _data("logistic", n=20, d=3)
    args = {"eps": 0.1, "lam": 0.01, "loss": "logistic", **kwargs}
    with pytest.raises(exc, match=match):
        fit_linear(X, y, **args)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"gap_rtol": -1.0}, ValueError, "gap_rtol must be finite and > 0"),
        ({"gap_rtol": float("nan")}, ValueError, "gap_rtol must be finite and > 0"),
        ({"check_rtol": 0.0}, ValueError, "check_rtol must be finite and > 0"),
        ({"on_inaccurate": "ignore"}, ValueError, "on_inaccurate must be one of"),
        ({"cvxpy_solver": 3}, TypeError, "cvxpy_solver must be a solver name"),
        ({"solver_options": "fast"}, TypeError, "solver_options must be None or a dict"),
        ({"verbose": "no"}, TypeError, "verbose must be a bool"),
        ({"tol": 1e-7}, TypeError, "unknown option"),
    ],
)
def test_bad_cvxpy_options_are_refused_before_the_program_is_built(kwargs, exc, match, monkeypatch):
    import radbound.train.fit as fit_module

    def no_program(*args, **kwargs):  # pragma: no cover - reached only if validation came too late
        raise AssertionError("the cvxpy program was built before the options were checked")

    monkeypatch.setattr(fit_module, "get_program", no_program)
    X, y = _data("logistic", n=20, d=3)
    with pytest.raises(exc, match=match):
        fit_linear(X, y, eps=0.1, lam=0.01, loss="logistic", solver="cvxpy", **kwargs)


def test_bad_shapes_and_labels():
    X, y = _data("logistic", n=20, d=3)
    with pytest.raises(ValueError, match="y must have length n_samples=20"):
        fit_linear(X, y[:-1], eps=0.1, lam=0.01, loss="logistic")
    with pytest.raises(ValueError, match="X must be 2-D"):
        fit_linear(X[:, 0], y, eps=0.1, lam=0.01, loss="logistic")
    with pytest.raises(ValueError, match=r"entries in \{-1, \+1\}"):
        fit_linear(X, (y > 0).astype(int) * 2, eps=0.1, lam=0.01, loss="hinge")
    with pytest.raises(ValueError, match="both labels"):
        fit_linear(X, np.ones(20), eps=0.1, lam=0.01, loss="logistic")
    with pytest.raises(ValueError, match="at least two classes"):
        fit_linear(X, np.full(20, 3), eps=0.1, lam=0.01, loss="softmax")
    with pytest.raises(ValueError, match="integer class labels"):
        fit_linear(X, np.arange(20) + 0.5, eps=0.1, lam=0.01, loss="softmax")
    with pytest.raises(TypeError, match="y must hold real labels"):
        fit_linear(X, np.arange(20) + 0j, eps=0.1, lam=0.01, loss="softmax")
    with pytest.raises(ValueError, match=r"labels in 0..2"):
        fit_linear(X, np.arange(20) % 4, eps=0.1, lam=0.01, loss="softmax", n_classes=3)
    with pytest.raises(ValueError, match="finite"):
        fit_linear(np.full((20, 3), np.nan), y, eps=0.1, lam=0.01, loss="logistic")
    with pytest.raises(ValueError, match="warm_start.W must have shape"):
        bad = LinearModel(np.zeros(4), 0.0, "logistic", 0.1, 0.01, math.inf, 0.0, "fast")
        fit_linear(X, y, eps=0.1, lam=0.01, loss="logistic", warm_start=bad)


# ----------------------------------------------------------------------------- classes
def test_classes_are_the_labels_present():
    """One stray large label is one more class, not max(y) + 1 classes (the 6.8 GB reproducer)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X6 = rng.normal(size=(6, 3))
    labels = [0, 1, 2, 0, 1, 1000]
    tracemalloc.start()
    m = fit_linear(X6, labels, eps=0.1, lam=0.01, loss="softmax")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20  # a few MB, not gigabytes
    assert m.W.shape == (4, 3) and m.classes.tolist() == [0, 1, 2, 1000]
    # the same problem as the encoded labels 0..3, row for row
    ref = fit_linear(X6, [0, 1, 2, 0, 1, 3], eps=0.1, lam=0.01, loss="softmax")
    assert np.array_equal(m.W, ref.W) and m.objective == ref.objective
    assert set(m.predict(X6).tolist()) <= {0, 1, 2, 1000}
    assert m.class_index(labels).tolist() == [0, 1, 2, 0, 1, 3]
    with pytest.raises(ValueError, match="not one of the model's classes"):
        m.class_index([5])
    # the SGD protocol follows the same rule
    s = fit_sgd_attack(X6, labels, eps=0.1, n_steps=3, batch_size=6, seed=0)
    assert s.W.shape == (4, 3) and s.classes.tolist() == [0, 1, 2, 1000]


def test_declared_class_counts_are_checked_against_n_and_memory():
    X6 = np.random.default_rng(0).normal(size=(6, 3))
    with pytest.raises(ValueError, match=r"n_classes must be <= n_samples=6"):
        fit_linear(X6, [0, 1, 2, 0, 1, 1], eps=0.1, lam=0.01, loss="softmax", n_classes=10**6)
    with pytest.raises(ValueError, match=r"n_classes must be <= n_samples=6"):
        fit_sgd_attack(X6, [0, 1, 2, 0, 1, 1], eps=0.1, n_steps=1, batch_size=6, n_classes=10**6)
    # 3,000 distinct labels on 784 features: refused from the size estimate, nothing allocated
    X = np.zeros((3000, 784))
    with pytest.raises(ValueError, match="GiB of working memory"):
        fit_linear(X, np.arange(3000), eps=0.1, lam=0.01, loss="softmax")
    with pytest.raises(ValueError, match="GiB of working memory"):
        fit_sgd_attack(X, np.arange(3000), eps=0.1, n_steps=1)


# ----------------------------------------------------------------------------- objective kinds
def test_fit_linear_and_the_sgd_protocol_record_the_objective_they_hold():
    """fit_linear minimises the pairwise softmax bound; the paper's protocol the single-target
    cross-entropy. Each model's objective is reproduced by objective(kind=model.objective_kind),
    and the two differ on the same W (the pairwise bound is an upper bound of every single target)."""
    X, y = _data("softmax", n=60, d=5, K=3)
    eps, lam = 0.1, 0.01
    for rule in ("paper", "exact"):
        s = fit_sgd_attack(X, y, eps=eps, lam=lam, n_steps=200, batch_size=20, seed=0, rule=rule)
        assert s.objective_kind == f"single-target-{rule}"
        single = objective(X, y, s.W, s.b, eps=eps, lam=lam, loss="softmax", kind=s.objective_kind)
        assert math.isclose(single, s.objective, rel_tol=1e-12)
        convex = objective(X, y, s.W, s.b, eps=eps, lam=lam, loss="softmax")
        assert convex > s.objective + 1e-3
    f = fit_linear(X, y, eps=eps, lam=lam, loss="softmax")
    assert f.objective_kind == "convex"
    assert f.objective == objective(X, y, f.W, f.b, eps=eps, lam=lam, loss="softmax", kind="convex")
    # the binary logistic protocol has one target: its objective is the convex one
    Xb, yb = _data("logistic", n=60, d=4)
    sb = fit_sgd_attack(Xb, yb, eps=eps, lam=lam, loss="logistic", n_steps=100, batch_size=20, seed=0)
    assert sb.objective_kind == "convex"
    assert math.isclose(
        objective(Xb, yb, sb.W, sb.b, eps=eps, lam=lam, loss="logistic"), sb.objective, rel_tol=1e-12
    )


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"eps": float("nan")}, ValueError, "eps must be finite and >= 0"),
        ({"lam": -0.1}, ValueError, "lam must be finite and >= 0"),
        ({"loss": "bogus"}, ValueError, "loss must be one of"),
        ({"attack_norm": 0.5}, ValueError, r"attack_norm must be in \[1, inf\]"),
        ({"y": np.array([0, 1] * 5)}, ValueError, r"entries in \{-1, \+1\}"),
        ({"W": np.zeros(4)}, ValueError, r"W must have shape \(n_features,\) = \(3,\)"),
        ({"W": np.array([np.nan, 0.0, 0.0])}, ValueError, "finite"),
        ({"b": np.zeros(2)}, ValueError, "b must be a real number"),
        (
            {"W": np.zeros((2, 3)), "b": np.zeros(2), "loss": "softmax", "y": np.arange(10) % 3},
            ValueError,
            r"labels in 0..1",
        ),
        (
            {"W": np.zeros((2, 3)), "b": np.zeros(3), "loss": "softmax", "y": np.arange(10) % 2},
            ValueError,
            r"b must have shape \(2,\)",
        ),
    ],
)
def test_objective_and_duality_gap_validate_their_inputs(kwargs, exc, match):
    X = np.random.default_rng(0).normal(size=(10, 3))
    args = {
        "y": np.where(X[:, 0] > 0, 1.0, -1.0),
        "W": np.zeros(3),
        "b": 0.0,
        "eps": 0.1,
        "lam": 0.01,
        "loss": "logistic",
    }
    args.update(kwargs)
    y, W, b = args.pop("y"), args.pop("W"), args.pop("b")
    with pytest.raises(exc, match=match):
        objective(X, y, W, b, **args)
    with pytest.raises(exc, match=match):
        duality_gap(X, y, W, b, **args)


def test_objective_kind_is_checked():
    X, y = _data("logistic", n=10, d=3)
    with pytest.raises(ValueError, match="kind must be one of"):
        objective(X, y, np.zeros(3), 0.0, eps=0.1, lam=0.0, loss="logistic", kind="paper")
    with pytest.raises(ValueError, match="loss='softmax' only"):
        objective(X, y, np.zeros(3), 0.0, eps=0.1, lam=0.0, loss="logistic", kind="single-target-paper")


# ----------------------------------------------------------------------------- non-optimal status
@pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning")  # cvxpy's own note
def test_cvxpy_non_optimal_status_warns_or_raises():
    X, y = _data("softmax", n=40, d=5)
    opts = {"solver_options": {"max_iter": 3}, "check_rtol": 1.0}
    with pytest.raises(SolverError):
        fit_linear(X, y, eps=0.1, lam=0.01, loss="softmax", solver="cvxpy", on_inaccurate="raise", **opts)
    with pytest.warns(NonOptimalWarning):
        m = fit_linear(X, y, eps=0.1, lam=0.01, loss="softmax", solver="cvxpy", on_inaccurate="warn", **opts)
    assert m.diagnostics["certified"] is False


def test_cvxpy_objective_mismatch_raises(monkeypatch):
    """A solver that reports a value its returned point does not have is caught: simulated by
    shifting the recomputed objective by 1e-3."""
    import radbound.train.cvx as cvx

    X, y = _data("hinge", n=30, d=4)
    true_objective = cvx.training_objective
    monkeypatch.setattr(cvx, "training_objective", lambda *a, **k: true_objective(*a, **k) + 1e-3)
    with pytest.raises(SolverError, match="relative mismatch"):
        fit_linear(X, y, eps=0.1, lam=0.01, loss="hinge", solver="cvxpy")


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning")  # cvxpy's own note at r = 2
@pytest.mark.parametrize("attack_norm", [math.inf, 2.0, 3.0])
def test_cvxpy_solver_that_claims_optimality_at_zero_is_not_certified(attack_norm, monkeypatch):
    """A solver that reports "optimal" at W = 0 with the matching objective (log 2 for the
    logistic loss) is caught by the duality gap for every attack norm."""
    from radbound.train.cvx import CvxpyLinearProgram

    X, y = _data("logistic", n=40, d=4)
    ref = fit_linear(X, y, eps=0.1, lam=0.01, loss="logistic", solver="cvxpy", attack_norm=attack_norm)
    assert ref.diagnostics["certified"] and ref.objective < math.log(2) - 0.05
    prog = CvxpyLinearProgram(X, y, loss="logistic", attack_norm=attack_norm)

    def lying_solve(*args, **kwargs):
        prog.W.value = np.zeros(4)
        prog.b.value = np.array(0.0)
        prog.problem._status = "optimal"
        prog.problem._value = math.log(2)
        return math.log(2)

    monkeypatch.setattr(prog.problem, "solve", lying_solve)
    with pytest.warns(NonOptimalWarning, match="not certified"):
        m = prog.solve(0.1, 0.01)
    assert m.objective == pytest.approx(math.log(2), rel=1e-15)
    assert m.diagnostics["certified"] is False
    assert m.certificate.gap >= m.objective - ref.objective - 1e-6
    with pytest.raises(SolverError, match="not certified"):
        prog.solve(0.1, 0.01, on_inaccurate="raise")


def test_cvxpy_wrong_optimum_is_flagged_by_the_certificate():
    """An all-zero model reported as optimal (objective 1 for the hinge loss) has a large gap."""
    X, y = _data("hinge", n=30, d=4)
    cert = duality_gap(X, y, np.zeros(4), 0.0, eps=0.1, lam=0.01, loss="hinge")
    ref = fit_linear(X, y, eps=0.1, lam=0.01, loss="hinge", solver="cvxpy")
    assert cert.primal == 1.0 and cert.gap >= 1.0 - ref.objective


def test_fast_non_optimal_warns_or_raises():
    X, y = _data("logistic", n=40, d=5)
    with pytest.warns(NonOptimalWarning, match="duality gap"):
        m = fit_linear(X, y, eps=0.1, lam=0.01, loss="logistic", max_iter=1)
    assert m.diagnostics["certified"] is False and m.diagnostics["status"] == "inaccurate"
    with pytest.raises(SolverError):
        fit_linear(X, y, eps=0.1, lam=0.01, loss="logistic", max_iter=1, on_inaccurate="raise")


def test_multiclass_without_intercept_and_absent_class():
    """n_classes = 4 with class 3 absent from y, no intercept: still the same optimum as cvxpy."""
    X, y = _data("softmax", n=40, d=5, K=3)
    for loss in ("softmax", "multiclass-hinge"):
        fast = fit_linear(X, y, eps=0.1, lam=0.01, loss=loss, n_classes=4, fit_intercept=False)
        ref = fit_linear(X, y, eps=0.1, lam=0.01, loss=loss, n_classes=4, fit_intercept=False, solver="cvxpy")
        assert fast.W.shape == (4, 5) and np.all(fast.b == 0) and fast.classes.tolist() == [0, 1, 2, 3]
        assert abs(fast.objective - ref.objective) <= 1e-6 * ref.objective


@pytest.mark.parametrize("loss", ["logistic", "softmax"])
def test_lam_zero_is_judged_by_kkt(loss):
    """With lam = 0 the scaled dual point is loose; the fit is certified by its KKT residual."""
    X, y = _data(loss, n=40, d=4)
    fast = fit_linear(X, y, eps=0.2, lam=0.0, loss=loss, on_inaccurate="raise")
    assert fast.diagnostics["certified"] and fast.diagnostics["kkt_residual"] <= 1e-9
    assert fast.diagnostics["certified_by"] == "kkt-residual"
    ref = fit_linear(X, y, eps=0.2, lam=0.0, loss=loss, solver="cvxpy")
    assert abs(fast.objective - ref.objective) <= 1e-6 * ref.objective
    # the cvxpy result is certified by its gap only when the gap is informative
    assert ref.diagnostics["certified"] is (ref.certificate.informative and ref.certificate.rel_gap <= 1e-3)


def test_lam_zero_hinge_lp_is_reported_uncertified():
    """The LPs have no KKT residual of their own: at lam = 0 (uninformative gap) they say so."""
    X, y = _data("hinge", n=40, d=4)
    m = fit_linear(X, y, eps=0.2, lam=0.0, loss="hinge", on_inaccurate="raise")
    ref = fit_linear(X, y, eps=0.2, lam=0.0, loss="hinge", solver="cvxpy")
    assert abs(m.objective - ref.objective) <= 1e-6 * ref.objective
    if not m.certificate.informative:
        assert m.diagnostics["status"] == "uncertified" and m.diagnostics["certified"] is False
    else:  # an exactly feasible dual point certifies even at lam = 0
        assert m.diagnostics["certified"] is (m.certificate.rel_gap <= 1e-7)


def test_import_train_is_light():
    import subprocess
    import sys

    code = "import sys, radbound.train; print(any(m in sys.modules for m in ('cvxpy', 'torch')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- model files
def _same_model(a: LinearModel, b: LinearModel) -> None:
    assert np.array_equal(a.W, b.W) and np.array_equal(np.asarray(a.b), np.asarray(b.b))
    assert type(a.b) is type(b.b)
    assert np.array_equal(a.classes, b.classes)
    for name in ("loss", "eps", "lam", "attack_norm", "objective", "solver", "objective_kind"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.certificate == b.certificate
    assert dict(a.diagnostics).keys() == dict(b.diagnostics).keys()


def test_model_save_load_round_trip(tmp_path):
    """Every trainer's model survives save/load bit for bit (weights, classes, parameters,
    objective kind, certificate) and predicts the same labels."""
    X, y = _data("softmax", n=40, d=5, K=3)
    labels = np.array([7, 11, 42])[y]
    Xb, yb = _data("logistic", n=40, d=5)
    models = [
        fit_linear(X, labels, eps=0.1, lam=0.01, loss="softmax"),
        fit_linear(X, y, eps=0.1, lam=0.01, loss="multiclass-hinge", solver="cvxpy", attack_norm=2.0),
        fit_linear(Xb, yb, eps=0.1, lam=0.01, loss="hinge", fit_intercept=False),
        fit_sgd_attack(X, y, eps=0.1, lam=0.01, n_steps=20, batch_size=10, seed=0),
    ]
    for k, m in enumerate(models):
        path = tmp_path / f"model{k}.npz"
        m.save(path)
        back = LinearModel.load(path)
        _same_model(m, back)
        Xm = Xb if m.is_binary else X
        assert np.array_equal(back.predict(Xm), m.predict(Xm))
    assert models[0].classes.tolist() == [7, 11, 42]
    # the path is used as given, and a save replaces the file atomically
    models[0].save(tmp_path / "plain")
    assert (tmp_path / "plain").exists() and not (tmp_path / "plain.npz").exists()
    assert not list(tmp_path.glob(".tmp-*"))


def test_model_load_refuses_damaged_or_foreign_files(tmp_path):
    X, y = _data("softmax", n=30, d=4, K=3)
    m = fit_linear(X, y, eps=0.1, lam=0.01, loss="softmax")
    good = tmp_path / "good.npz"
    m.save(good)
    raw = good.read_bytes()
    arrays = dict(np.load(good, allow_pickle=False))

    def write(name, **changes):
        path = tmp_path / name
        np.savez(path, **{**arrays, **changes})
        return path

    cases = {
        "truncated": (tmp_path / "truncated.npz", raw[: len(raw) // 2]),
        "text": (tmp_path / "text.npz", b"W = [1, 2, 3]\n"),
    }
    for path, content in cases.values():
        path.write_bytes(content)
    # a member whose bytes are damaged: the CRC check fails when it is read
    member = raw.index(b"W.npy")
    damaged = bytearray(raw)
    start = member + 200
    damaged[start : start + 8] = bytes(8 * [0xFF])
    (tmp_path / "crc.npz").write_bytes(bytes(damaged))
    np.save(tmp_path / "array.npy", np.zeros(3))
    W_nan = arrays["W"].copy()
    W_nan[0, 0] = np.nan
    bad_files = [
        (tmp_path / "truncated.npz", "not a readable radbound model file"),
        (tmp_path / "text.npz", "not a readable radbound model file"),
        (tmp_path / "crc.npz", "not a readable radbound model file"),
        (tmp_path / "array.npy", "not an npz archive"),
        (tmp_path, "is a directory"),
        (write("format.npz", format=np.array("something else")), "format is"),
        (write("version.npz", format_version=np.array(99)), "format_version 99 is not supported"),
        (write("loss.npz", loss=np.array("squared")), "loss 'squared' is not one of"),
        (write("kind.npz", objective_kind=np.array("mystery")), "objective_kind 'mystery'"),
        (write("nan.npz", W=W_nan), "finite"),
        (write("shape.npz", b=np.zeros(7)), "b of shape"),
        (write("classes.npz", classes=np.array([0, 0, 1])), "classes must be distinct"),
        (write("diag.npz", diagnostics=np.array("{not json")), "not valid JSON"),
        (write("pickled.npz", W=np.array([object()], dtype=object)), "not a readable radbound model file"),
    ]
    missing = {k: v for k, v in arrays.items() if k != "W"}
    np.savez(tmp_path / "missing.npz", **missing)
    bad_files.append((tmp_path / "missing.npz", r"missing member\(s\) \['W'\]"))
    for path, match in bad_files:
        with pytest.raises(ValueError, match=match) as info:
            LinearModel.load(path)
        assert str(path) in str(info.value)
    with pytest.raises(FileNotFoundError, match="no model file"):
        LinearModel.load(tmp_path / "absent.npz")


# ----------------------------------------------------------------------------- extreme values
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("solver", ["fast", "cvxpy"])
def test_huge_eps_or_lam_give_zero_weights_with_a_certificate(loss, solver):
    """Above eps = max_i ||x_i||_1 or lam = max |X_ij| the optimum has W = 0 (TrainingProblem.reduction);
    eps = lam = 1e300 give that optimum, certified, with the objective of the best bias alone."""
    X, y = _data(loss, n=30, d=4)
    eps_zero = np.abs(X).sum(axis=1).max()
    at_threshold = fit_linear(X, y, eps=eps_zero, lam=0.01, loss=loss, solver=solver)
    for kw in ({"eps": 1e300, "lam": 0.01}, {"eps": 0.1, "lam": 1e300}):
        m = fit_linear(X, y, loss=loss, solver=solver, on_inaccurate="raise", **kw)
        assert (
            np.all(m.W == 0) and m.diagnostics["certified"] and "zero weights" in m.diagnostics["reduction"]
        )
        assert math.isfinite(m.objective) and m.certificate.rel_gap <= 1e-6
        assert abs(m.objective - at_threshold.objective) <= 1e-6 * (1 + at_threshold.objective)


@pytest.mark.parametrize("loss", LOSSES)
def test_data_of_extreme_scale_is_solved_by_exact_rescaling(loss):
    """F(W; s X, eps, lam) = F(W / s; X, eps / s, lam / s): data multiplied by 2^-80 are fitted as the
    scaled problem and give W * 2^80 (the division by a power of two is exact)."""
    X, y = _data(loss, n=30, d=4)
    s = 2.0**-80
    ref = fit_linear(X, y, eps=0.1, lam=0.01, loss=loss)
    m = fit_linear(X * s, y, eps=0.1 * s, lam=0.01 * s, loss=loss, on_inaccurate="raise")
    assert m.diagnostics["reduction"].startswith("scale")
    assert abs(m.objective - ref.objective) <= 1e-7 * (1 + ref.objective)
    np.testing.assert_allclose(m.W * s, ref.W, rtol=1e-4, atol=1e-6 * np.abs(ref.W).max())


def test_objective_that_overflows_is_an_error():
    X, y = _data("logistic", n=10, d=3)
    with pytest.raises(OverflowError, match="overflows float64"):
        objective(X, y, np.full(3, 1e300), 0.0, eps=1e300, lam=1.0, loss="logistic")
