"""The paper's SGD protocol with worst-case batches (radbound.train.sgd).

Oracles: the fast kernels (which never form the adversarial batch) against the
reference attack of radbound.attacks; gradients against finite differences of the
loss at the fixed adversarial batch; the recomputed objective against an
independent computation; determinism; samplers against their definitions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from radbound.attacks import linear_robust_accuracy, linear_worst_case
from radbound.train._model import LinearModel
from radbound.train.sgd import (
    _adversarial_logits,
    _EpochSampler,
    _logistic_loss_grad,
    _Pairs,
    _PaperSampler,
    _softmax_loss_grad,
    fit_sgd_attack,
)


def _data(n=300, d=12, K=4, seed=0):
    """Separable-ish K-class data in [0, 1]^d: class k lights up features k and k + K."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, size=n)
    X = 0.3 * rng.uniform(size=(n, d))
    X[np.arange(n), y] += 0.6
    X[np.arange(n), (y + K) % d] += 0.3
    return X, y


def _cross_entropy(Z, y):
    return float(np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]))


@pytest.mark.parametrize("rule", ["paper", "exact"])
@pytest.mark.parametrize("r", [math.inf, 1.0, 2.0, 3.0])
def test_kernel_logits_equal_reference_attack(rule, r):
    """The fast kernel's logits equal W x_adv + b with x_adv from linear_worst_case."""
    rng = np.random.default_rng(1)
    X, y = _data(50, 7, 5)
    W, b = rng.normal(size=(5, 7)), rng.normal(size=5)
    Z, _, _ = _adversarial_logits(W, b, X, y, 0.2, r, rule, _Pairs(5, 7, np.float64))
    wc = linear_worst_case(W, b, X, y, eps=0.2, attack_norm=r, rule=rule)
    np.testing.assert_allclose(Z, wc.X_adv @ W.T + b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rule", ["paper", "exact"])
@pytest.mark.parametrize("r", [math.inf, 2.0])
def test_softmax_gradient_matches_finite_differences(rule, r):
    """Gradient of the mean cross-entropy at the FIXED adversarial batch (as in the paper's graph)."""
    rng = np.random.default_rng(2)
    X, y = _data(30, 5, 3)
    W, b = rng.normal(size=(3, 5)), rng.normal(size=3)
    _, gW, gb = _softmax_loss_grad(W, b, X, y, 0.1, r, rule, _Pairs(3, 5, np.float64))
    Xa = linear_worst_case(W, b, X, y, eps=0.1, attack_norm=r, rule=rule).X_adv

    def f(Wv, bv):
        return _cross_entropy(Xa @ Wv.T + bv, y)

    h = 1e-6
    num_W = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        num_W[idx] = (f(W + E, b) - f(W - E, b)) / (2 * h)
    num_b = np.array([(f(W, b + h * e) - f(W, b - h * e)) / (2 * h) for e in np.eye(3)])
    # central differences: truncation O(h^2) ~ 1e-12, rounding ~ 1e-16 / h = 1e-10
    np.testing.assert_allclose(gW, num_W, atol=1e-8)
    np.testing.assert_allclose(gb, num_b, atol=1e-8)


def test_logistic_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(40, 6))
    y = rng.choice([-1.0, 1.0], size=40)
    w, b = rng.normal(size=6), 0.3
    loss, gw, gb = _logistic_loss_grad(w, b, X, y, 0.1, math.inf)
    Xa = linear_worst_case(w, b, X, y, eps=0.1).X_adv

    def f(wv, bv):
        return float(np.mean(np.logaddexp(0.0, -y * (Xa @ wv + bv))))

    assert loss == pytest.approx(f(w, b), abs=1e-14)
    h = 1e-6
    num = np.array([(f(w + h * e, b) - f(w - h * e, b)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(gw, num, atol=1e-8)
    assert gb == pytest.approx((f(w, b + h) - f(w, b - h)) / (2 * h), abs=1e-8)


@pytest.mark.parametrize("sampling", ["paper", "epoch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_deterministic_for_a_seed(sampling, dtype):
    X, y = _data()
    kw = dict(eps=0.05, lam=0.001, n_steps=200, batch_size=32, seed=7, sampling=sampling, dtype=dtype)
    a, b = fit_sgd_attack(X, y, **kw), fit_sgd_attack(X, y, **kw)
    assert a.W.dtype == dtype
    assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b) and a.objective == b.objective
    c = fit_sgd_attack(X, y, **(kw | {"seed": 8}))
    assert not np.array_equal(a.W, c.W)


def test_training_reduces_the_adversarial_objective_and_reports_it():
    X, y = _data()
    eps, lam = 0.05, 0.001
    m = fit_sgd_attack(X, y, eps=eps, lam=lam, n_steps=300, seed=0, batch_size=50)
    assert isinstance(m, LinearModel) and m.solver == "sgd-attack" and m.loss == "softmax"
    # at the zero initialisation the objective is log K
    assert m.objective < 0.5 * math.log(4)
    # the objective is recomputed independently: adversarial mean loss (training rule) + lam ||W||_1
    Xa = linear_worst_case(m.W, m.b, X, y, eps=eps, rule="paper").X_adv
    ref = _cross_entropy(Xa @ m.W.T + m.b, y) + lam * np.abs(m.W).sum()
    assert m.objective == pytest.approx(ref, rel=1e-12)
    d = m.diagnostics
    assert d["steps"] == 300 and d["time"] > 0 and d["time_per_step"] == pytest.approx(d["time"] / 300)
    assert d["train_adv_accuracy"] == linear_robust_accuracy(m.W, m.b, X, y, eps=eps)
    assert d["train_adv_accuracy"] <= d["train_adv_accuracy_rule"] <= 1.0
    assert d["train_accuracy"] >= d["train_adv_accuracy"] > 0.5


def test_exact_rule_and_other_norms_train():
    X, y = _data()
    for r in (math.inf, 2.0, 1.0):
        m = fit_sgd_attack(X, y, eps=0.05, n_steps=150, seed=0, rule="exact", attack_norm=r, batch_size=50)
        Xa = linear_worst_case(m.W, m.b, X, y, eps=0.05, attack_norm=r).X_adv
        assert m.objective == pytest.approx(_cross_entropy(Xa @ m.W.T + m.b, y), rel=1e-12)
        assert m.objective < 0.5 * math.log(4) and m.attack_norm == r


def test_l1_penalty_shrinks_weights():
    X, y = _data()
    m0 = fit_sgd_attack(X, y, eps=0.02, lam=0.0, n_steps=300, seed=0, batch_size=50)
    m1 = fit_sgd_attack(X, y, eps=0.02, lam=0.01, n_steps=300, seed=0, batch_size=50)
    assert np.abs(m1.W).sum() < 0.8 * np.abs(m0.W).sum()


def test_eps_zero_is_natural_training():
    X, y = _data()
    m = fit_sgd_attack(X, y, eps=0.0, n_steps=300, seed=0, batch_size=50)
    assert m.objective == pytest.approx(_cross_entropy(X @ m.W.T + m.b, y), rel=1e-12)
    assert m.diagnostics["train_accuracy"] == m.diagnostics["train_adv_accuracy"] > 0.9


def test_logistic_binary_model():
    X, y = _data(K=2)
    ypm = 2.0 * y - 1.0
    m = fit_sgd_attack(X, ypm, eps=0.05, lam=0.001, loss="logistic", n_steps=300, seed=0, batch_size=50)
    assert m.is_binary and isinstance(m.b, float) and m.loss == "logistic"
    Xa = linear_worst_case(m.W, m.b, X, ypm, eps=0.05).X_adv
    ref = np.mean(np.logaddexp(0.0, -ypm * (Xa @ m.W + m.b))) + 0.001 * np.abs(m.W).sum()
    assert m.objective == pytest.approx(ref, rel=1e-12)
    assert m.objective < 0.5 * math.log(2)
    assert m.diagnostics["train_adv_accuracy"] > 0.8


def test_zero_init_and_warm_start():
    X, y = _data()
    # one step from zero with eps > 0: the attack is void (W = 0), so the step equals natural training's
    a = fit_sgd_attack(X, y, eps=0.1, n_steps=1, seed=0, batch_size=50)
    n = fit_sgd_attack(X, y, eps=0.0, n_steps=1, seed=0, batch_size=50)
    assert np.array_equal(a.W, n.W)
    # warm start: 100 + 100 steps from a model == continuing (the sampler is reseeded, so compare objectives)
    m = fit_sgd_attack(X, y, eps=0.05, n_steps=100, seed=0, batch_size=50)
    w = fit_sgd_attack(X, y, eps=0.05, n_steps=100, seed=1, batch_size=50, init=m)
    w2 = fit_sgd_attack(X, y, eps=0.05, n_steps=100, seed=1, batch_size=50, init=(m.W, m.b))
    assert np.array_equal(w.W, w2.W) and w.objective < m.objective


def test_divergence_is_an_error():
    X, y = _data()
    with (
        np.errstate(over="ignore", invalid="ignore"),
        pytest.raises(FloatingPointError, match="SGD diverged"),
    ):
        fit_sgd_attack(1e200 * X, y, eps=0.0, n_steps=20, seed=0, batch_size=50, lr=1e200)


def test_samplers():
    rng = np.random.default_rng(0)
    ep = _EpochSampler(10, 3, rng)
    draws = np.concatenate([ep() for _ in range(10)])  # 30 indices = 3 full epochs
    for e in range(3):
        assert sorted(draws[10 * e : 10 * e + 10]) == list(range(10))
    pa = _PaperSampler(10, 7, np.random.default_rng(0))
    for _ in range(20):
        batch = pa()
        assert len(set(batch.tolist())) == 7 and batch.min() >= 0 and batch.max() < 10


def test_progress_bar_reports_the_steps_and_changes_nothing(capsys):
    """progress=True draws a tqdm bar (on stderr) that counts the steps, and the fit is bitwise the
    one without a bar (the bar only wraps the step range)."""
    pytest.importorskip("tqdm")
    X, y = _data(n=60)
    kw = dict(eps=0.01, lam=0.001, n_steps=5, batch_size=10, seed=0)
    quiet = fit_sgd_attack(X, y, **kw)
    capsys.readouterr()
    m = fit_sgd_attack(X, y, progress=True, **kw)
    err = capsys.readouterr().err
    assert "sgd-attack eps=0.01 lam=0.001" in err and "5/5" in err
    assert np.array_equal(m.W, quiet.W) and np.array_equal(m.b, quiet.b) and m.objective == quiet.objective
    assert m.diagnostics["steps"] == 5


def test_models_record_classes_and_objective_kind():
    """Labels that are not 0..K-1 give one row per label present; the model's objective is the
    single-target one of its rule, reproduced by radbound.train.objective."""
    from radbound.train import objective

    X, y = _data(n=120, K=3)
    labels = np.array([3, 5, 9])[y]
    m = fit_sgd_attack(X, labels, eps=0.05, lam=0.001, n_steps=50, batch_size=20, seed=0)
    ref = fit_sgd_attack(X, y, eps=0.05, lam=0.001, n_steps=50, batch_size=20, seed=0)
    assert m.classes.tolist() == [3, 5, 9] and np.array_equal(m.W, ref.W)
    assert set(m.predict(X).tolist()) <= {3, 5, 9}
    assert m.objective_kind == "single-target-paper"
    val = objective(X, y, m.W, m.b, eps=0.05, lam=0.001, loss="softmax", kind=m.objective_kind)
    assert val == pytest.approx(m.objective, rel=1e-12)


@pytest.mark.parametrize(
    "kw, exc, match",
    [
        ({"eps": -1.0}, ValueError, "eps must be finite and >= 0"),
        ({"lam": -0.1}, ValueError, "lam must be finite and >= 0"),
        ({"loss": "hinge"}, ValueError, "loss must be one of"),
        ({"rule": "pgd"}, ValueError, "rule must be one of"),
        ({"sampling": "cyclic"}, ValueError, "sampling must be one of"),
        ({"lr": 0.0}, ValueError, "lr must be finite and > 0"),
        ({"batch_size": 1000}, ValueError, "batch_size must be <= n_samples=300"),
        ({"n_steps": -1}, ValueError, "n_steps must be an integer >= 0"),
        ({"attack_norm": 0.0}, ValueError, r"attack_norm must be in \[1, inf\]"),
        ({"dtype": np.int32}, ValueError, "dtype must be float32 or float64"),
        ({"init": (np.zeros((3, 12)), np.zeros(3))}, ValueError, r"init W must have shape \(4, 12\)"),
        ({"init": "zeros"}, TypeError, "init must be None, a LinearModel or a pair"),
        ({"loss": "logistic"}, ValueError, r"y must have entries in \{-1, \+1\}"),
    ],
)
def test_bad_input(kw, exc, match):
    X, y = _data()
    with pytest.raises(exc, match=match):
        fit_sgd_attack(X, y, **({"eps": 0.1, "n_steps": 2} | kw))
