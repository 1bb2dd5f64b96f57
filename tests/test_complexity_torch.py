"""The torch backend gives the numpy numbers (float64, relative 1e-10), on the tensor's device."""

import math

import numpy as np
import pytest

import radbound as rb

torch = pytest.importorskip("torch")

P_VALUES = [1.0, 1.5, 2.0, 3.0, math.inf]
RTOL = 1e-10


def dual(p):
    return math.inf if p == 1 else (1.0 if math.isinf(p) else p / (p - 1))


def close(a, b):
    return abs(a - b) <= RTOL * max(abs(a), abs(b), 1e-300)


def same(est_t, est_n):
    assert est_t.method == est_n.method and est_t.n_draws == est_n.n_draws
    assert close(est_t.value, est_n.value) and close(est_t.stderr, est_n.stderr)
    assert type(est_t) is type(est_n)
    if isinstance(est_n, rb.AdversarialEstimate):
        assert close(est_t.natural, est_n.natural) and close(est_t.mean_abs_s, est_n.mean_abs_s)
    if est_n.interval is not None:
        assert all(close(a, b) for a, b in zip(est_t.interval, est_n.interval))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((11, 30))
    y = rng.choice([-1.0, 1.0], size=11)
    return X, y


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize(
    "kw",
    [
        dict(method="exact"),
        dict(method="monte-carlo", n_draws=300, seed=4),
        dict(method="monte-carlo", n_draws=300, seed=4, antithetic=False),
    ],
    ids=["exact", "antithetic", "iid"],
)
def test_torch_equals_numpy(data, p, kw):
    X, y = data
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    same(rb.linear_rademacher(Xt, p=p, **kw), rb.linear_rademacher(X, p=p, **kw))
    for r in {math.inf, dual(p)}:
        for eps in (0.0, 0.2):
            t = rb.adversarial_linear_rademacher(Xt, yt, eps=eps, p=p, attack_norm=r, **kw)
            n = rb.adversarial_linear_rademacher(X, y, eps=eps, p=p, attack_norm=r, **kw)
            same(t, n)


def test_backend_torch_with_numpy_inputs(data):
    X, y = data
    same(rb.linear_rademacher(X, backend="torch", method="exact"), rb.linear_rademacher(X, method="exact"))
    same(
        rb.adversarial_linear_rademacher(
            X, y, eps=0.1, backend="torch", n_draws=200, seed=1, method="monte-carlo"
        ),
        rb.adversarial_linear_rademacher(X, y, eps=0.1, n_draws=200, seed=1, method="monte-carlo"),
    )


def test_gram_guard_in_torch():
    x = np.array([0.1, -0.7, 0.3])
    X = np.tile(x, (13, 1))
    same(rb.linear_rademacher(torch.from_numpy(X), method="exact"), rb.linear_rademacher(X, method="exact"))


def test_generic_engine_hands_tensors_to_the_oracle():
    seen = []

    def sup(signs):
        seen.append(type(signs))
        return signs.sum(dim=1).abs()

    est = rb.empirical_rademacher(sup, 6, method="exact", backend="torch")
    ref = rb.empirical_rademacher(lambda s: np.abs(s.sum(axis=1)), 6, method="exact")
    assert close(est.value, ref.value) and seen and all(t is torch.Tensor for t in seen)
    mc = rb.empirical_rademacher(sup, 6, method="monte-carlo", n_draws=100, seed=2, backend="torch")
    ref = rb.empirical_rademacher(
        lambda s: np.abs(s.sum(axis=1)), 6, method="monte-carlo", n_draws=100, seed=2
    )
    assert close(mc.value, ref.value) and close(mc.stderr, ref.stderr)


def test_float32_tensors_stay_float32_and_agree_to_single_precision(data):
    X, y = data
    est = rb.adversarial_linear_rademacher(torch.from_numpy(X).float(), y, eps=0.2, method="exact")
    ref = rb.adversarial_linear_rademacher(X, y, eps=0.2, method="exact")
    assert abs(est.value - ref.value) <= 1e-5 * ref.value


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_the_tensors_device(data):  # pragma: no cover - CI has no GPU
    X, y = data
    Xt = torch.from_numpy(X).cuda()
    same(
        rb.adversarial_linear_rademacher(Xt, y, eps=0.2, method="exact"),
        rb.adversarial_linear_rademacher(X, y, eps=0.2, method="exact"),
    )


def test_numpy_backend_with_tensors_is_refused(data):
    X, _ = data
    with pytest.raises(ValueError, match="backend='numpy' was requested but the inputs are torch tensors"):
        rb.linear_rademacher(torch.from_numpy(X), backend="numpy")
