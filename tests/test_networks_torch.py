"""torch side: the paper's network, the extractor, PGD and seeded adversarial training (CPU only here)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch (pip install radbound[torch])")

from torch import nn  # noqa: E402

from radbound.attacks import pgd  # noqa: E402
from radbound.networks import Network, network_bounds  # noqa: E402
from radbound.train.network import (  # noqa: E402
    fit_network,
    l1_penalty,
    network_accuracy,
    network_margins,
    paper_network,
)


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: much faster than two on a shared 2-core machine; restored afterwards."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_paper_network_has_the_papers_size_and_extracts_exactly():
    net = paper_network(seed=0)
    assert sum(p.numel() for p in net.parameters()) == 3_274_634  # 832 + 51,264 + 3,212,288 + 10,250
    ours = Network.from_torch(net, (1, 28, 28))
    assert ours.widths[-1] == 10 and max(ours.widths) == 32 * 28 * 28
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = net(x).double().numpy()
    # float32 torch vs float64 numpy: agreement to float32 rounding of the activations
    np.testing.assert_allclose(ours.forward(x.double().numpy()), ref, rtol=1e-4, atol=1e-5)


def test_extractor_handles_stride_padding_modes_and_reference():
    g = torch.Generator().manual_seed(1)
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1, padding_mode="circular")
    model = nn.Sequential(
        conv, nn.ReLU(), nn.Sequential(nn.MaxPool2d(2), nn.Flatten()), nn.Dropout(0.5), nn.Linear(12, 4)
    )
    model.eval()
    init = nn.Sequential(*[m for m in model])  # same modules: reference equal to the weights
    ours = Network.from_torch(model, (2, 8, 8), reference=init)
    x = torch.rand(2, 2, 8, 8, generator=g, dtype=torch.float64)
    with torch.no_grad():
        ref = model.double()(x).numpy()
    np.testing.assert_allclose(ours.forward(x.numpy()), ref, rtol=1e-12, atol=1e-12)
    assert all(np.array_equal(r, lay.weight) for r, (_, lay) in zip(ours.reference, ours.weighted_layers))


def test_extractor_rejects_unsupported_modules():
    with pytest.raises(TypeError, match="unsupported torch module Tanh"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), (2,))
    with pytest.raises(ValueError, match="dilation"):
        Network.from_torch(nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2)), (1, 8, 8))
    with pytest.raises(ValueError, match="padding_mode"):
        Network.from_torch(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")), (1, 8, 8))


def test_pgd_stays_in_the_ball_and_raises_the_loss():
    model = paper_network(channels=(2, 4), hidden=8, seed=0)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(16, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (16,), generator=g)
    xa = pgd(model, x, y, eps=0.1, steps=5, step_size=0.03, keep="last", seed=g).X_adv
    assert float((xa - x).abs().max()) <= 0.1 + 1e-6
    ce = nn.functional.cross_entropy
    with torch.no_grad():
        assert float(ce(model(xa), y)) >= float(ce(model(x), y))
    assert all(p.requires_grad for p in model.parameters())  # restored after the attack
    assert torch.equal(pgd(model, x, y, eps=0.0).X_adv, x)


def test_pgd_margins_are_the_models_margins_and_restarts_only_lower_them():
    model = paper_network(channels=(2, 4), hidden=8, seed=1)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(40, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (40,), generator=g)
    one = pgd(model, x, y, eps=0.05, steps=3, seed=7, clip=(0.0, 1.0))
    three = pgd(model, x, y, eps=0.05, steps=3, restarts=3, seed=7, clip=(0.0, 1.0))
    for wc in (one, three):
        assert float((wc.X_adv - x).abs().max()) <= 0.05 + 1e-6
        assert float(wc.X_adv.min()) >= 0.0 and float(wc.X_adv.max()) <= 1.0
        with torch.no_grad():
            z = model(wc.X_adv)
        other = z.masked_fill(nn.functional.one_hot(y, 10).bool(), -float("inf")).max(dim=1).values
        torch.testing.assert_close(wc.margins, z[torch.arange(40), y] - other)
        torch.testing.assert_close(
            wc.target, z.masked_fill(nn.functional.one_hot(y, 10).bool(), -float("inf")).argmax(1)
        )
    # the first restart draws the same start as the single run; later restarts can only lower a margin
    assert bool((three.margins <= one.margins).all())
    m = network_margins(model, x.reshape(40, 784), y, eps=0.05, pgd_steps=3, restarts=2, batch_size=15)
    assert m.shape == (40,) and m.dtype == np.float64
    assert network_accuracy(model, x.reshape(40, 784), y) == float(
        np.mean(network_margins(model, x.reshape(40, 784), y) > 0)
    )


def test_training_is_seeded_and_the_penalty_shrinks_l1():
    rng = np.random.default_rng(0)
    X, y = rng.uniform(size=(60, 784)), rng.integers(0, 10, size=60)
    opts = dict(
        eps=0.1, n_steps=4, batch_size=20, lr=1e-2, pgd_steps=2, pgd_step_size=0.05, channels=(2, 4), hidden=8
    )
    a = fit_network(X, y, lam=0.0, seed=3, **opts)
    b = fit_network(X, y, lam=0.0, seed=3, **opts)
    c = fit_network(X, y, lam=0.05, seed=3, **opts)
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(va, vb), k
    assert float(l1_penalty(c.model).detach()) < float(l1_penalty(a.model).detach())
    assert a.options["device"] == "cpu" and a.history["loss"].shape == (1,)
    net = a.network()
    assert net.reference is not None and len(net.reference) == 4
    bs = network_bounds(net, X[:10], eps=0.1)
    assert bs.spectral.value > 0
    acc = network_accuracy(a.model, X, y, eps=0.1, pgd_steps=2, pgd_step_size=0.05)
    assert 0.0 <= acc <= network_accuracy(a.model, X, y) + 0.1


def test_device_follows_tensor_inputs():
    X = torch.rand(20, 784, dtype=torch.float64)
    y = torch.randint(0, 10, (20,))
    fit = fit_network(X, y, eps=0.0, n_steps=1, batch_size=10, channels=(1, 1), hidden=4, seed=0)
    assert next(fit.model.parameters()).device == X.device


def test_bad_training_input():
    with pytest.raises(ValueError, match="lam must be finite and >= 0"):
        fit_network(np.zeros((4, 784)), np.zeros(4, int), eps=0.1, lam=-1.0, n_steps=1)
    with pytest.raises(ValueError, match="X must have 784 columns"):
        fit_network(np.zeros((4, 10)), np.zeros(4, int), eps=0.1, n_steps=1)
    with pytest.raises(ValueError, match="image_size must be divisible by 4"):
        paper_network(image_size=30)
