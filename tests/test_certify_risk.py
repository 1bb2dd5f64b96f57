"""The certified empirical adversarial risk: exact on linear models, above any attack on networks,
and accepted by radbound.bounds.generalization as the empirical term of an adversarial bound."""

from __future__ import annotations

import numpy as np
import pytest

from radbound.attacks import linear_robust_accuracy, ramp_risk
from radbound.bounds import generalization
from radbound.certify import CertifiedRisk, certified_risk, certify
from radbound.networks import Network


def test_linear_model_certified_risk_is_the_exact_adversarial_risk():
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(4, 6)), rng.normal(size=4)
    X, y = rng.normal(size=(200, 6)), rng.integers(0, 4, 200)
    zero_one = certified_risk((W, b), X, y, eps=0.1)
    assert zero_one.loss == "zero-one" and zero_one.exact
    assert zero_one.value == pytest.approx(1 - linear_robust_accuracy(W, b, X, y, eps=0.1), abs=1e-12)
    ramp = certified_risk((W, b), X, y, eps=0.1, margin=0.5)
    assert ramp.value == pytest.approx(ramp_risk(W, b, X, y, margin=0.5, eps=0.1), abs=1e-12)
    assert ramp.value >= zero_one.value  # the ramp is at least the 0-1 loss
    assert "exact worst case" in ramp.describe() and "gamma=0.5" in ramp.describe()


def test_network_certified_risk_is_above_the_risk_under_attack():
    from test_certify_margins import margin_pgd, small_cnn

    rng = np.random.default_rng(1)
    net = small_cnn(rng)
    X, y = rng.uniform(0, 1, size=(30, 144)), rng.integers(0, 10, 30)
    attacked = margin_pgd(net, X, y, 0.02)
    for method in ("ibp", "crown"):
        cr = certified_risk(net, X, y, eps=0.02, method=method, clip=(0, 1), margin=1.0)
        assert not cr.exact and cr.method == method and cr.n == 30
        assert cr.value >= float(np.mean(np.clip(1 - attacked / 1.0, 0, 1))) - 1e-12
        cm = certify(net, X, y, eps=0.02, method=method, clip=(0, 1))
        assert CertifiedRisk.from_margins(cm, margin=1.0) == cr


@pytest.mark.filterwarnings("ignore:posthoc=False")  # the fixed-class statement, used on purpose here
def test_generalization_takes_the_certified_term():
    rng = np.random.default_rng(2)
    net = Network.from_arrays([rng.normal(size=(8, 5)), rng.normal(size=(3, 8))])
    X, y = rng.normal(size=(100, 5)), rng.integers(0, 3, 100)
    cr = certified_risk(net, X, y, eps=0.05, method="crown", margin=1.0)
    bound = generalization(cr, 0.2, 100, margin=1.0, posthoc=False)
    assert bound.name.endswith("certified") and bound.terms["empirical risk"] == cr.value
    assert cr.describe() in bound.notes
    with pytest.raises(ValueError, match="ramp"):
        generalization(certified_risk(net, X, y, eps=0.05), 0.2, 100, margin=1.0, posthoc=False)
