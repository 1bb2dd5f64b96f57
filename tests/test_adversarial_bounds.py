"""Which empirical terms and complexities make an adversarial generalization bound a theorem, and the
attack-free adversarial bound of networks (the Lipschitz-shifted ramp) tested against ground truth.

The theorem R_adv <= R_adv,n + 2 R_S(adversarial loss class) + conf pairs an empirical ADVERSARIAL
term with the complexity of the ADVERSARIAL loss class at the same eps and attack norm. Every other
pairing is refused with an error saying what would be valid; each accepted pairing is checked to
record what it states. Ground truth: radbound.data.GaussianMixture gives the exact adversarial risk
of a linear classifier, here written as a network (one Dense layer, or a ReLU network equal to the
linear map everywhere), so the coverage of the post-hoc bound over independent samples is counted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from radbound import Bound, LossClass, MarginLipschitz
from radbound.attacks import ramp_risk
from radbound.bounds import (
    DEFAULT_GRID,
    adversarial_linear_upper_bound,
    generalization,
    golowich_bound,
    linear_rademacher_bound,
    model_generalization,
    multiclass_adversarial_bound,
    multiclass_natural_bound,
    neyshabur_bound,
    spectral_bound,
    surrogate_margin_bound,
)
from radbound.bounds.generalization import LIPSCHITZ_EMPIRICAL
from radbound.certify import certified_risk
from radbound.data import GaussianMixture
from radbound.networks import Network

INF = math.inf
NATURAL = {"spectral": spectral_bound, "golowich": golowich_bound, "neyshabur": neyshabur_bound}


def _net_and_sample(seed=0, K=3, hidden=8, d=4, n=14):
    rng = np.random.default_rng(seed)
    net = Network.from_arrays([rng.normal(size=(hidden, d)), rng.normal(size=(K, hidden))])
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, n) if K > 1 else rng.choice([-1.0, 1.0], n)
    return net, X, y


# --------------------------------------------------------------------------------------------------
# every Bound of radbound.bounds says which loss class it is about
# --------------------------------------------------------------------------------------------------
def test_bounds_record_their_loss_class():
    net, X, y = _net_and_sample()
    for name, fn in NATURAL.items():
        lc = fn(net, X, margin=1.0).loss_class
        assert lc.loss == "natural" and lc.statement == "complexity" and lc.lipschitz is not None, name
        assert lc.lipschitz.input_dim == 4
    assert spectral_bound(net, X).loss_class.lipschitz.norm == 2.0
    assert neyshabur_bound(net, X).loss_class.lipschitz.norm == INF
    adv = multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1, attack_norm=2, complexity="exact")
    assert adv.loss_class == LossClass("adversarial", eps=0.1, attack_norm=2.0)
    assert multiclass_natural_bound(X, y, margin=1.0).loss_class.loss == "natural"
    lin = adversarial_linear_upper_bound(X, eps=0.2, complexity="closed-form")
    assert lin.loss_class.loss == "adversarial" and lin.loss_class.eps == 0.2
    assert linear_rademacher_bound(X).loss_class.loss == "natural"
    g = generalization(0.1, adv, 14)
    assert (
        g.loss_class.statement == "risk"
        and g.loss_class.eps == 0.1
        and g.name == "generalization-adversarial"
    )


def test_class_lipschitz_constants_match_the_class_norms():
    """Spectral: c_K rho prod s_h^J (c_K = sqrt 2 for K >= 2, 1 for one output); Golowich: 2 prod F_h^J
    (last: largest row norm); Neyshabur: 2 prod a_h^J in l_inf. Grid values from Bound.posthoc."""
    for K in (1, 3):
        net, X, _ = _net_and_sample(K=K)
        for name, c in (("spectral", math.sqrt(2)), ("golowich", 2.0), ("neyshabur", 2.0)):
            b = NATURAL[name](net, X, margin=1.0)
            norms = [pt.grid_value for pt in b.posthoc.points if pt.name[0] in "sFa"]
            assert b.loss_class.lipschitz.value == pytest.approx((1.0 if K == 1 else c) * math.prod(norms))


# --------------------------------------------------------------------------------------------------
# refused pairings
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["ibp", "crown"])
@pytest.mark.parametrize("bound", sorted(NATURAL))
def test_certified_term_with_a_natural_class_is_refused(method, bound):
    """The reproducer: a CROWN/IBP certified risk with a spectral (natural) complexity."""
    net, X, y = _net_and_sample()
    cr = certified_risk(net, X, y, eps=0.01, method=method, margin=1.0)
    with pytest.raises(
        ValueError, match="NATURAL loss class.*multiclass_adversarial_bound.*model_generalization"
    ):
        generalization(cr, NATURAL[bound](net, X, margin=1.0), 14)


def test_sdp_certified_term_and_the_sdp_surrogate_bound_are_refused():
    pytest.importorskip("cvxpy")
    net, X, y = _net_and_sample(K=2, hidden=3, d=3, n=12)
    cr = certified_risk(net, X, y, eps=0.05, method="sdp", margin=1.0)
    with pytest.raises(ValueError, match="SDP-certified.*NATURAL loss class"):
        generalization(cr, spectral_bound(net, X, margin=1.0), 12)
    surrogate = surrogate_margin_bound(net, X, y, eps=0.05, margin=1.0)
    assert surrogate.loss_class == LossClass("sdp-surrogate", "risk", eps=0.05)
    for empirical in (cr, 0.1):  # a risk bound is never a complexity, whatever the empirical term
        with pytest.raises(ValueError, match="surrogate loss itself"):
            generalization(empirical, surrogate, 12)


def test_natural_linear_class_and_wrong_threats_are_refused():
    rng = np.random.default_rng(1)
    W, X, y = rng.normal(size=(3, 4)), rng.normal(size=(14, 4)), rng.integers(0, 3, 14)
    cr = certified_risk((W, None), X, y, eps=0.1, method="crown", margin=1.0)
    with pytest.raises(ValueError, match="NATURAL loss class"):
        generalization(cr, multiclass_natural_bound(X, y, margin=1.0, complexity="exact"), 14)
    other_eps = multiclass_adversarial_bound(X, y, margin=1.0, eps=0.2, complexity="exact")
    other_norm = multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1, attack_norm=2, complexity="exact")
    for comp in (other_eps, other_norm):
        with pytest.raises(ValueError, match="same threat"):
            generalization(cr, comp, 14)
    clipped = certified_risk((W, None), np.clip(X, 0, 1), y, eps=0.1, method="ibp", margin=1.0, clip=(0, 1))
    same = multiclass_adversarial_bound(np.clip(X, 0, 1), y, margin=1.0, eps=0.1, complexity="exact")
    with pytest.raises(ValueError, match="clipped threat"):
        generalization(clipped, same, 14)
    risk_bound = generalization(0.1, same, 14)
    with pytest.raises(ValueError, match="bound on a risk"):
        generalization(cr, risk_bound, 14)
    hand = Bound(0.2, {"complexity": 0.2}, reference="by hand")
    with pytest.raises(ValueError, match="does not record which loss class"):
        generalization(cr, hand, 14, margin=1.0)


def test_float_empirical_terms_must_match_the_class_they_are_paired_with():
    net, X, y = _net_and_sample()
    with pytest.raises(ValueError, match="risk='adversarial'.*NATURAL loss class"):
        generalization(0.1, spectral_bound(net, X, margin=1.0), 14, risk="adversarial")
    adv = multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1, complexity="exact")
    with pytest.raises(ValueError, match="risk='natural'"):
        generalization(0.1, adv, 14, risk="natural")
    # the defaults follow the class
    assert generalization(0.1, adv, 14).name == "generalization-adversarial"
    assert generalization(0.1, spectral_bound(net, X, margin=1.0), 14).name == "generalization-natural"


def test_lipschitz_certificate_below_the_class_shift_is_refused():
    """The network's own (certified) constant is below the post-hoc class's: its margins are larger than
    the class's shifted margins, so its ramp risk does not bound the class loss."""
    net, X, y = _net_and_sample()
    for name, fn in NATURAL.items():
        comp = fn(net, X, margin=1.0)
        own = certified_risk(net, X, y, eps=0.01, method="lipschitz", margin=1.0)
        assert own.shift < comp.loss_class.lipschitz.shift(0.01, INF), name
        with pytest.raises(ValueError, match="below the shift.*lipschitz=bound.loss_class.lipschitz"):
            generalization(own, comp, 14)
    lin = multiclass_natural_bound(X, y, margin=1.0, complexity="exact")
    with pytest.raises(ValueError, match="Lipschitz certificate.*NATURAL loss class"):
        generalization(certified_risk(net, X, y, eps=0.01, method="lipschitz", margin=1.0), lin, 14)


# --------------------------------------------------------------------------------------------------
# accepted pairings
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["ibp", "crown", "lipschitz"])
def test_certified_term_with_the_adversarial_class(method):
    """Linear models: IBP/CROWN certified margins are the exact adversarial margins; the Lipschitz ones
    are lower, still a valid upper bound on the empirical adversarial ramp risk."""
    rng = np.random.default_rng(2)
    W, X, y = rng.normal(size=(3, 4)), rng.normal(size=(14, 4)), rng.integers(0, 3, 14)
    comp = multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1, complexity="exact")
    cr = certified_risk((W, None), X, y, eps=0.1, method=method, margin=1.0)
    exact = ramp_risk(W, None, X, y, margin=1.0, eps=0.1)
    assert cr.value >= exact - 1e-12 and (
        method == "lipschitz" or cr.value == pytest.approx(exact, abs=1e-12)
    )
    g = generalization(cr, comp, 14)
    assert g.name == "generalization-adversarial-certified" and g.terms["empirical risk"] == cr.value
    assert g.loss_class == LossClass("adversarial", "risk", eps=0.1, attack_norm=INF)
    assert g.value == pytest.approx(generalization(cr.value, comp, 14).value)  # the same theorem


@pytest.mark.parametrize("bound", sorted(NATURAL))
def test_lipschitz_certificate_at_the_class_constant_pairs_with_a_natural_class(bound):
    net, X, y = _net_and_sample()
    comp = NATURAL[bound](net, X, margin=1.0)
    lip = comp.loss_class.lipschitz
    cr = certified_risk(net, X, y, eps=0.01, method="lipschitz", margin=1.0, lipschitz=lip)
    g = generalization(cr, comp, 14)
    assert g.terms[LIPSCHITZ_EMPIRICAL] == cr.value and "empirical risk" not in g.terms
    assert g.constants["lipschitz_shift"] == pytest.approx(lip.shift(0.01, INF))
    assert g.status in ("derived", "unverified") and "Lipschitz route" in g.notes
    assert g.loss_class.loss == "adversarial" and g.loss_class.eps == 0.01
    assert g.value == pytest.approx(cr.value + sum(v for k, v in g.terms.items() if k != LIPSCHITZ_EMPIRICAL))
    # a certificate at eps = 0 is the natural margin: fine with the natural class
    zero = certified_risk(net, X, y, eps=0.0, method="crown", margin=1.0)
    assert generalization(zero, comp, 14).terms["empirical risk"] == zero.value


def test_a_number_is_the_callers_assertion():
    net, X, y = _net_and_sample()
    cr = certified_risk(net, X, y, eps=0.05, method="crown", margin=1.0)
    g = generalization(cr, 0.2, 14, margin=1.0)
    assert "ADVERSARIAL loss class at the certificate's eps" in g.notes


@pytest.mark.parametrize("bound", sorted(NATURAL))
@pytest.mark.parametrize("K", [1, 3])
def test_model_generalization_is_the_lipschitz_route(bound, K):
    """model_generalization(net, eps > 0) = generalization(Lipschitz certificate at the class constant,
    the natural-class bound) at the same grid margin; the spectral class uses certified norms."""
    net, X, y = _net_and_sample(K=K)
    b = model_generalization(net, X, y, margin=0.9, eps=0.02, attack_norm=2.0, bound=bound)
    gamma = DEFAULT_GRID.down("gamma", 0.9).grid_value
    options = {"rigorous": True} if bound == "spectral" else {}
    comp = NATURAL[bound](net, X, margin=gamma, **options)
    cr = certified_risk(
        net,
        X,
        y,
        eps=0.02,
        attack_norm=2,
        method="lipschitz",
        margin=gamma,
        lipschitz=comp.loss_class.lipschitz,
    )
    manual = generalization(cr, comp, 14)
    assert b.value == pytest.approx(manual.value, rel=1e-12)
    assert b.terms[LIPSCHITZ_EMPIRICAL] == pytest.approx(cr.value, rel=1e-12)
    natural = model_generalization(net, X, y, margin=0.9, bound=bound)
    assert b.terms["complexity"] == pytest.approx(
        natural.terms["complexity"], rel=1e-9 if bound != "spectral" else 1e-6
    )
    assert b.value >= natural.value - 1e-12


# --------------------------------------------------------------------------------------------------
# ground truth: the exact adversarial risk of a linear classifier written as a network
# --------------------------------------------------------------------------------------------------
GM = GaussianMixture(np.array([1.5, 0.0, 0.0]), scale=1.0)


def _networks(w):
    """The linear map x -> <w, x> as one Dense layer and as a ReLU network [w; -w] -> [1, -1]."""
    return {
        "dense": Network.from_arrays([w[None, :]]),
        "relu": Network.from_arrays([np.vstack([w, -w]), np.array([[1.0, -1.0]])]),
    }


@pytest.mark.parametrize("attack_norm", [INF, 2.0])
def test_lipschitz_bound_covers_the_exact_adversarial_risk(attack_norm):
    """Over 15 independent samples (n = 300), the trained model w = mean(y_i x_i) written as a network:
    the bound is at least the exact true adversarial risk and the exact true ramp risk at the bound's
    margin in >= 1 - delta of them (here in all); its empirical term is at least the exact empirical
    adversarial ramp risk (closed form), and for the dense network under an l2 attack its shift is the
    exact one up to the grid ratio."""
    eps, delta, n = 0.1, 0.05, 300
    covered, total = 0, 0
    for seed in range(15):
        S = GM.sample(n, seed=seed)
        w = (S.y[:, None] * S.X).mean(axis=0)
        true = GM.risk(w, 0.0, eps=eps, attack_norm=attack_norm)
        for kind, net in _networks(w).items():
            b = model_generalization(
                net, S.X, S.y, margin="auto", eps=eps, attack_norm=attack_norm, bound="golowich"
            )
            gamma = b.inputs["gamma"]
            true_ramp = GM.risk(w, 0.0, eps=eps, attack_norm=attack_norm, margin=gamma)
            covered += (true <= b.value) and (true_ramp <= b.value)
            total += 1
            emp = b.terms[LIPSCHITZ_EMPIRICAL]
            exact_emp = ramp_risk(w, 0.0, S.X, S.y, margin=gamma, eps=eps, attack_norm=attack_norm)
            assert emp >= exact_emp - 1e-12, (seed, kind)
            if kind == "dense" and attack_norm == 2.0:
                ratio = b.constants["lipschitz_shift"] / (eps * np.linalg.norm(w))
                assert 1.0 <= ratio <= DEFAULT_GRID.ratio * (1 + 1e-12)
    assert covered / total >= 1 - delta
    print(f"l_{attack_norm:g}: true adversarial risk <= bound in {covered} of {total} samples")


def test_lipschitz_bound_is_not_vacuous_on_the_linear_ground_truth():
    """A sanity figure: with n = 2000 the dense-network bound is informative (below 1)."""
    S = GM.sample(2000, seed=99)
    w = (S.y[:, None] * S.X).mean(axis=0)
    b = model_generalization(_networks(w)["dense"], S.X, S.y, margin="auto", eps=0.05, bound="golowich")
    assert GM.risk(w, 0.0, eps=0.05) < b.value < 1.0


def test_margin_lipschitz_and_loss_class_validate_their_fields():
    with pytest.raises(ValueError, match="norm must be 2 or inf"):
        MarginLipschitz(1.0, 1.0, 3)
    with pytest.raises(ValueError, match="value must be"):
        MarginLipschitz(-1.0, 2.0, 3)
    with pytest.raises(ValueError, match="loss must be"):
        LossClass("robust")
    with pytest.raises(ValueError, match="statement must be"):
        LossClass("natural", "bound")
    assert MarginLipschitz(2.0, INF, 100).shift(0.1, 2.0) == pytest.approx(0.2)  # ||d||_inf <= ||d||_2
    assert MarginLipschitz(2.0, 2.0, 100).shift(0.1, 1.0) == pytest.approx(0.2)  # ||d||_2 <= ||d||_1
    assert MarginLipschitz(2.0, 2.0, 100).shift(0.1, INF) == pytest.approx(2.0)  # sqrt(100) eps
