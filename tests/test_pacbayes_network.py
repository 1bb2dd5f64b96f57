"""radbound.pacbayes.network: stochastic ReLU networks and their certificates.

Oracles: explicit weight draws against the layer-by-layer exact law (the same distribution of losses);
a one-layer network against GaussianLinear (the same classifier); the IBP training bound against
radbound.certify's IBP (an independent implementation) and against exhaustive corners of the box.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from radbound.pacbayes import DiagonalGaussian, GaussianLinear, GaussianNetwork, RiskCertificate


def _random_posterior(seed=0, widths=(4, 6, 5, 3), std=0.3):
    rng = np.random.default_rng(seed)
    Ws = tuple(
        DiagonalGaussian(rng.normal(size=(widths[h + 1], widths[h])), std) for h in range(len(widths) - 1)
    )
    bs = tuple(DiagonalGaussian(rng.normal(size=widths[h + 1]) * 0.3, std) for h in range(len(widths) - 1))
    return GaussianNetwork(Ws, bs)


def test_layer_by_layer_law_matches_explicit_draws():
    """Both sampling paths estimate the same stochastic risk (within 5 combined standard errors)."""
    q = _random_posterior()
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    local = q.sampled_risk(X, y, n_draws=200_000, seed=2)
    draws = q.sampled_risk(X, y, n_draws=4000, examples_per_draw=40, seed=3)
    assert abs(local.value - draws.value) <= 5 * math.hypot(local.stderr, draws.stderr)
    assert local.method.startswith("layer-by-layer") and draws.method == "exact scores per draw"


def test_one_layer_network_is_the_linear_classifier():
    rng = np.random.default_rng(4)
    M, S = rng.normal(size=(3, 5)), rng.uniform(0.1, 0.5, size=(3, 5))
    net_q = GaussianNetwork((DiagonalGaussian(M[:, :4], S[:, :4]),), (DiagonalGaussian(M[:, 4], S[:, 4]),))
    lin_q = GaussianLinear(DiagonalGaussian(M, S))
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    a = net_q.sampled_risk(X, y, n_draws=100_000, seed=5)
    b = lin_q.sampled_risk(X, y, n_draws=100_000, seed=6)
    assert abs(a.value - b.value) <= 5 * math.hypot(a.stderr, b.stderr)
    assert net_q.kl(net_q) == 0.0


def test_gaussian_network_structure_and_kl():
    q = _random_posterior(std=0.2)
    p = _random_posterior(seed=9, std=0.5)
    expected = sum(a.kl(b) for a, b in zip(q.weights, p.weights)) + sum(
        a.kl(b) for a, b in zip(q.biases, p.biases)
    )
    assert q.kl(p) == pytest.approx(expected)
    net = q.sample(seed=0)
    assert net.input_dim == 4 and net.output_dim == 3 and len(net.weighted_layers) == 3
    X = np.random.default_rng(0).normal(size=(7, 4))
    assert q.mean_network.forward(X).shape == (7, 3)
    one = (DiagonalGaussian(np.zeros((3, 4)), 1.0),), (DiagonalGaussian(np.zeros(3), 1.0),)
    img = GaussianNetwork(*one, (1, 2, 2))
    assert img.sample(seed=0).input_shape == (1, 2, 2)
    with pytest.raises(ValueError, match="layer 1: expects 5 inputs"):
        GaussianNetwork(
            (DiagonalGaussian(np.zeros((4, 3)), 1.0), DiagonalGaussian(np.zeros((2, 5)), 1.0)),
            (DiagonalGaussian(np.zeros(4), 1.0), DiagonalGaussian(np.zeros(2), 1.0)),
        )


@pytest.mark.torch
def test_ibp_training_bound_is_sound():
    """The IBP lower bounds of z_y - z_k used for training lie below the margins at every corner of the
    l_inf box (exhaustive in d = 3) and equal radbound.certify's IBP when it is installed."""
    torch = pytest.importorskip("torch", reason="training needs torch")
    from radbound.pacbayes.network import _robust_logits

    rng = np.random.default_rng(7)
    Ws = [rng.normal(size=(5, 3)), rng.normal(size=(4, 5)), rng.normal(size=(3, 4))]
    bs = [rng.normal(size=5), rng.normal(size=4), rng.normal(size=3)]
    X, y, eps = rng.normal(size=(10, 3)), rng.integers(0, 3, 10), 0.2
    tW = [torch.tensor(w) for w in Ws]
    tb = [torch.tensor(b) for b in bs]
    lower = -_robust_logits(torch, tW, tb, torch.tensor(X), torch.tensor(y), eps, 1.0).numpy()
    corners = np.array(np.meshgrid(*[[-1.0, 1.0]] * 3)).reshape(3, -1).T * eps
    for i in range(10):
        Z = X[i] + corners
        for W, b in zip(Ws[:-1], bs[:-1]):
            Z = np.maximum(Z @ W.T + b, 0.0)
        Z = Z @ Ws[-1].T + bs[-1]
        assert np.all(lower[i] <= (Z[:, [y[i]]] - Z).min(axis=0) + 1e-12)
    certify = pytest.importorskip("radbound.certify", reason="radbound.certify provides the independent IBP")
    from radbound.networks import Network

    cm = certify.certify(Network.from_arrays(Ws, biases=bs), X, y, eps=eps, method="ibp")
    pair = np.asarray(cm.pairwise)
    mask = ~np.eye(3, dtype=bool)[y]
    assert np.allclose(lower[mask], pair[mask], rtol=1e-10, atol=1e-10)


@pytest.mark.torch
def test_network_certificate_natural_runs_and_is_reproducible():
    pytest.importorskip("torch", reason="training needs torch")
    from radbound.pacbayes import network_certificate

    rng = np.random.default_rng(8)
    y = rng.integers(0, 3, 300)
    X = np.eye(3)[y] * 2.0 + rng.normal(size=(300, 3))
    kw = dict(hidden=(6,), n_steps=60, prior_steps=60, n_posterior_draws=20_000, seed=3)
    cert = network_certificate(X, y, **kw)
    assert isinstance(cert, RiskCertificate) and isinstance(cert.posterior, GaussianNetwork)
    assert cert.split.n_bound == 150 and cert.empirical.n_examples == 150
    assert cert.empirical.value <= cert.value < 1.0
    assert cert.kl == pytest.approx(cert.posterior.kl(cert.prior))
    again = network_certificate(X, y, **kw)
    assert again.value == cert.value


@pytest.mark.torch
def test_network_certificate_adversarial_uses_certified_margins():
    pytest.importorskip("torch", reason="training needs torch")
    pytest.importorskip("radbound.certify", reason="per-draw adversarial losses come from radbound.certify")
    from radbound.pacbayes import network_certificate

    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 200)
    X = np.eye(2)[y] * 2.0 + rng.normal(size=(200, 2))
    cert = network_certificate(
        X, y, hidden=(4,), eps=0.1, n_steps=40, prior_steps=40, n_posterior_draws=50, seed=0
    )
    assert cert.empirical.eps == 0.1 and "certified margins" in cert.empirical.method
    assert "CROWN certified margins" in cert.notes


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(prior_fraction=1.0), "prior_fraction must be in"),
        (dict(certifier="pgd"), "certifier must be one of"),
        (dict(certifier="sdp", hidden=(3, 3)), "certifier='sdp' needs one hidden layer"),
        (dict(hidden=(0,)), "hidden must be an integer >= 1"),
        (dict(objective="x"), "objective must be one of"),
    ],
)
def test_network_certificate_rejects_bad_input_before_training(kwargs, match):
    from radbound.pacbayes import network_certificate

    with pytest.raises(ValueError, match=match):
        network_certificate(np.zeros((10, 2)), [0, 1] * 5, **kwargs)
