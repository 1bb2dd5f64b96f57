"""Network bounds: each equals a hand computation of its formula; formula substitution equals the value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radbound import Bound
from radbound.bounds import Grid, PosthocWarning
from radbound.networks import (
    Conv2d,
    Dense,
    Flatten,
    Network,
    ReLU,
    adversarial_lower_bound,
    golowich_bound,
    network_bounds,
    neyshabur_bound,
    spectral_bound,
    unrolled_matrix,
)
from radbound.networks.bounds import ADVERSARIAL_LOWER_C

RNG = np.random.default_rng(11)
FIXED = pytest.mark.filterwarnings("ignore::radbound.bounds.PosthocWarning")
A1 = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0]])  # 3 -> 2
A2 = np.array([[2.0, -1.0]])  # 2 -> 1
M1 = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
X = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5], [0.0, -2.0, 1.0], [1.0, 1.0, 1.0]])
N, D = X.shape


def tiny(reference=None):
    return Network((Dense(A1), ReLU(), Dense(A2)), (3,), reference=reference)


@FIXED
def test_spectral_bound_by_hand():
    s = [np.linalg.norm(A1, 2), np.linalg.norm(A2, 2)]
    b = [np.linalg.norm(A1 - M1, axis=1).sum(), np.linalg.norm(A2, axis=1).sum()]  # rows of A - M
    d_max = 3
    xf = np.linalg.norm(X)
    for margin in (1.0, 0.25):
        hand = (
            4 / N**1.5
            + 26
            * math.log(N)
            * math.log(2 * d_max)
            / (margin * N)
            * xf
            * s[0]
            * s[1]
            * ((b[0] / s[0]) ** (2 / 3) + (b[1] / s[1]) ** (2 / 3)) ** 1.5
        )
        bound = spectral_bound(tiny([M1, np.zeros_like(A2)]), X, margin=margin, posthoc=False)
        assert bound.value == pytest.approx(hand, rel=1e-12)
        assert bound.evaluate_formula() == pytest.approx(bound.value, rel=1e-12)
        assert bound.terms["constant"] == pytest.approx(4 / N**1.5, rel=1e-15)
    sq = spectral_bound(tiny(), X, log_factor="sqrt", posthoc=False)
    lg = spectral_bound(tiny(), X, posthoc=False)
    ratio = sq.terms["complexity"] / lg.terms["complexity"]
    assert ratio == pytest.approx(math.sqrt(math.log(6)) / math.log(6), rel=1e-12)
    assert sq.evaluate_formula() == pytest.approx(sq.value, rel=1e-12)
    assert lg.status == "paper" and lg.kind == "upper" and lg.constants["c_1"] == 26.0


@FIXED
def test_golowich_bound_by_hand():
    hand = (
        np.linalg.norm(A1) * np.linalg.norm(A2) * (math.sqrt(2 * math.log(2) * 2) + 1) * np.linalg.norm(X) / N
    )
    b = golowich_bound(tiny(), X, margin=0.5, posthoc=False)
    assert b.value == pytest.approx(hand / 0.5, rel=1e-12)
    assert b.evaluate_formula() == pytest.approx(b.value, rel=1e-12)
    assert b.status == "unverified"


@FIXED
def test_neyshabur_bound_by_hand():
    l1 = np.abs(A1).sum(axis=1).max() * np.abs(A2).sum(axis=1).max()  # 3 * 3
    hand = 2**2 * l1 * math.sqrt(math.log(2 * D)) * np.abs(X).max() / math.sqrt(N)
    b = neyshabur_bound(tiny(), X, posthoc=False)
    assert b.value == pytest.approx(hand, rel=1e-12)
    assert b.evaluate_formula() == pytest.approx(b.value, rel=1e-12)


def test_adversarial_lower_bound_by_hand():
    r = np.linalg.norm(A1, 2) * np.linalg.norm(A2, 2)
    eps = 0.1
    hand = r / (8 * math.sqrt(2)) * (np.linalg.norm(X) / N + eps * math.sqrt(D / N))
    b = adversarial_lower_bound(tiny(), X, eps=eps)
    assert ADVERSARIAL_LOWER_C == pytest.approx(1 / (8 * math.sqrt(2)), rel=1e-15)
    assert b.value == pytest.approx(hand, rel=1e-12)
    assert b.kind == "lower" and b.status == "derived"
    assert b.evaluate_formula() == pytest.approx(b.value, rel=1e-12)
    assert adversarial_lower_bound(None, X, eps=eps, radius=r).value == pytest.approx(hand, rel=1e-12)
    # eps = 0 leaves the natural term only
    assert adversarial_lower_bound(tiny(), X, eps=0.0).terms["adversarial"] == 0.0


def test_network_bounds_collects_all_and_they_are_bounds():
    bs = network_bounds(tiny(), X, eps=0.1, margin=2.0)
    for name, bound in bs:
        assert isinstance(bound, Bound) and bound.value > 0, name
    assert bs.spectral.value == pytest.approx(spectral_bound(tiny(), X, margin=2.0).value, rel=1e-12)
    assert bs.adversarial_lower.value == pytest.approx(adversarial_lower_bound(tiny(), X, eps=0.1).value)


def test_conv_network_bounds_equal_those_of_its_unrolled_mlp():
    """A conv layer enters every bound as its operator: the same network written with unrolled dense
    matrices (same widths) gives the same values."""
    K1, K2 = RNG.normal(size=(2, 1, 3, 3)), RNG.normal(size=(2, 2, 2, 2))
    conv1 = Conv2d(K1, padding="same")
    conv2 = Conv2d(K2, stride=2, padding="valid", padding_mode="circular")
    W3 = RNG.normal(size=(3, 8))
    cnn = Network((conv1, ReLU(), conv2, ReLU(), Flatten(), Dense(W3)), (1, 5, 5))
    A1_, A2_ = unrolled_matrix(conv1, (1, 5, 5)), unrolled_matrix(conv2, (2, 5, 5))
    mlp = Network((Dense(A1_), ReLU(), Dense(A2_), ReLU(), Dense(W3)), (25,))
    Xc = RNG.uniform(size=(6, 25))
    b_cnn = network_bounds(cnn, Xc, eps=0.05)
    b_mlp = network_bounds(mlp, Xc, eps=0.05)
    assert cnn.widths[:2] == mlp.widths[:2] and max(cnn.widths) == max(mlp.widths)
    for (name, b1), (_, b2) in zip(b_cnn, b_mlp):
        assert b1.value == pytest.approx(b2.value, rel=1e-8), name


def test_rigorous_spectral_bound_is_not_smaller():
    conv = Conv2d(RNG.normal(size=(2, 1, 3, 3)), padding=1)
    net = Network((conv, ReLU(), Flatten(), Dense(RNG.normal(size=(2, 32)))), (1, 4, 4))
    Xc = RNG.uniform(size=(5, 16))
    assert spectral_bound(net, Xc, rigorous=True).value >= spectral_bound(net, Xc).value


def test_bias_is_reported_in_notes():
    net = Network((Dense(A1, np.ones(2)), ReLU(), Dense(A2)), (3,))
    assert "biases are ignored" in spectral_bound(net, X).notes


def test_bad_input():
    with pytest.raises(ValueError, match="X must have 3 columns"):
        spectral_bound(tiny(), np.ones((4, 2)))
    with pytest.raises(ValueError, match="finite"):
        golowich_bound(tiny(), np.array([[np.nan, 0, 0]]))
    with pytest.raises(ValueError, match="margin must be finite and > 0"):
        neyshabur_bound(tiny(), X, margin=0.0)
    with pytest.raises(ValueError, match="eps must be finite and >= 0"):
        adversarial_lower_bound(tiny(), X, eps=-0.1)
    with pytest.raises(ValueError, match="log_factor must be one of"):
        spectral_bound(tiny(), X, log_factor="ln")
    with pytest.raises(ValueError, match="radius is required"):
        adversarial_lower_bound(None, X, eps=0.1)
    with pytest.raises(TypeError, match="net must be"):
        spectral_bound([A1, A2], X)


def test_adversarial_lower_bound_refuses_architectures_outside_its_theorem():
    """Regression: the bound's proof embeds every linear map with ||w||_2 <= r/2, which needs fully
    connected ReLU layers, hidden widths >= 2 and one output. A Conv 1x1 -> ReLU -> MaxPool(28) ->
    Dense(4 -> 1) class on 56x56 inputs has exact adversarial complexity about 0.49 (eps 0) where the
    formula gave 0.90: such networks are refused, not bounded."""
    from radbound.networks import MaxPool2d

    cnn = Network(
        (
            Conv2d(RNG.normal(size=(1, 1, 1, 1))),
            ReLU(),
            MaxPool2d(28),
            Flatten(),
            Dense(RNG.normal(size=(1, 4))),
        ),
        (1, 56, 56),
    )
    Xc = RNG.uniform(size=(3, 56 * 56))
    with pytest.raises(ValueError, match="fully connected ReLU networks only"):
        adversarial_lower_bound(cnn, Xc, eps=0.3)
    ten = Network.from_arrays([RNG.normal(size=(4, 3)), RNG.normal(size=(10, 4))])
    with pytest.raises(ValueError, match="scalar-output"):
        adversarial_lower_bound(ten, X, eps=0.1)
    narrow = Network.from_arrays([RNG.normal(size=(1, 3)), RNG.normal(size=(1, 1))])
    with pytest.raises(ValueError, match="hidden width >= 2"):
        adversarial_lower_bound(narrow, X, eps=0.1)
    # network_bounds leaves it out instead of failing
    assert network_bounds(ten, X, eps=0.1).adversarial_lower is None
    assert "adversarial_lower" not in network_bounds(ten, X, eps=0.1).as_dict()


def ten_output():
    return Network((Dense(A1), ReLU(), Dense(RNG.normal(size=(10, 2)))), (3,))


@FIXED
def test_multi_output_constants():
    """K >= 2 outputs: the spectral constant is 36 (margin operator sqrt(2)-Lipschitz in l2), the
    Golowich and Neyshabur bounds carry the 2K of the vector-contraction reduction and read the largest
    row norm of the last layer (theory: Multi-output networks)."""
    net = ten_output()
    V = net.layers[2].weight
    one = spectral_bound(tiny(), X, posthoc=False)
    ten = spectral_bound(net, X, posthoc=False)
    assert one.constants["c_1"] == 26.0 and ten.constants["c_1"] == 36.0
    assert one.status == "paper" and ten.status == "derived"
    assert spectral_bound(tiny(), X, log_factor="sqrt", posthoc=False).status == "derived"
    s = [np.linalg.norm(A1, 2), np.linalg.norm(V, 2)]
    b = [np.linalg.norm(A1, axis=1).sum(), np.linalg.norm(V, axis=1).sum()]
    cross = (b[0] * s[1]) ** (2 / 3) + (b[1] * s[0]) ** (2 / 3)
    hand = 4 / N**1.5 + 36 * math.log(N) * math.log(2 * 10) / N * np.linalg.norm(X) * cross**1.5
    assert ten.value == pytest.approx(hand, rel=1e-12)
    g = golowich_bound(net, X, posthoc=False)
    hand_g = 20 * np.linalg.norm(A1) * np.linalg.norm(V, axis=1).max()
    hand_g *= (math.sqrt(2 * math.log(2) * 2) + 1) * np.linalg.norm(X) / N
    assert g.value == pytest.approx(hand_g, rel=1e-12) and g.constants["reduction"] == 20.0
    ney = neyshabur_bound(net, X, posthoc=False)
    hand_n = 20 * 4 * np.abs(A1).sum(1).max() * np.abs(V).sum(1).max() * math.sqrt(math.log(6))
    hand_n *= np.abs(X).max() / math.sqrt(N)
    assert ney.value == pytest.approx(hand_n, rel=1e-12)
    for bd in (ten, g, ney):
        assert bd.evaluate_formula() == pytest.approx(bd.value, rel=1e-12)


def test_posthoc_rounds_norms_up_and_the_margin_down():
    """Default posthoc=True: every norm on the grid at or above the network's value (at most one grid
    ratio above), the margin at or below; the price is the sum of the grid points' log(1/w)."""
    grid = Grid(steps_per_doubling=1, anchor=1.0)
    b = spectral_bound(tiny(), X, margin=0.3, grid=grid)
    with pytest.warns(PosthocWarning, match="NOT valid for a model trained"):
        fixed = spectral_bound(tiny(), X, margin=0.3, posthoc=False)
    assert b.posthoc is not None and fixed.posthoc is None
    pts = {pt.name: pt for pt in b.posthoc.points}
    assert set(pts) == {"s_1", "s_2", "b_1", "b_2", "gamma"}
    for name, pt in pts.items():
        if name == "gamma":
            assert pt.grid_value == 0.25 and pt.index == -2  # 2^-2 <= 0.3 < 2^-1
        else:
            assert pt.value <= pt.grid_value < 2 * pt.value
        assert pt.grid_value == 2.0**pt.index
        k = 2 * pt.index if pt.index >= 0 else -2 * pt.index - 1
        assert pt.log_price == pytest.approx(math.log((k + 1) * (k + 2)), rel=1e-14)
        assert b.inputs[name] == pt.grid_value  # the formula is evaluated at the grid point
    assert b.posthoc.log_price == pytest.approx(sum(pt.log_price for pt in pts.values()))
    assert b.value > fixed.value
    assert b.evaluate_formula() == pytest.approx(b.value, rel=1e-12)
    # all of network_bounds' upper bounds are post-hoc by default; the lower bound needs no price
    bs = network_bounds(tiny(), X, eps=0.1)
    assert all(bd.posthoc is not None for bd in (bs.spectral, bs.golowich, bs.neyshabur))
    assert bs.adversarial_lower.posthoc is None
    with pytest.warns(PosthocWarning):
        network_bounds(tiny(), X, eps=0.1, posthoc=False)
