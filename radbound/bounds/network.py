r"""Norm-based bounds for ReLU networks, as :class:`~radbound.results.Bound` objects.

Notation (:doc:`/theory/networks`): :math:`f_A(x) = A_L \rho(A_{L-1} \cdots \rho(A_1 x))`, :math:`n`
samples, :math:`X` the ``(n, d)`` data matrix, :math:`s_h = \|A_h\|_\sigma`,
:math:`b_h = \|A_h^\top - M_h^\top\|_{2,1}` (reference :math:`M_h`: zero or the initial weights),
:math:`d_{\max}` the largest width (input and output included), :math:`K` the number of outputs,
:math:`\gamma` the margin. Convolutions enter as operators (:mod:`radbound.networks.norms`).

**Which loss class.** Every upper bound here bounds the empirical Rademacher complexity of the ramp
loss class :math:`\{(x, y) \mapsto \phi_\gamma(\mathcal M(f(x), y))\}`: the margin
:math:`\mathcal M = y f(x)` for one output (labels :math:`\pm 1`) and
:math:`\mathcal M = f_y(x) - \max_{k \ne y} f_k(x)` for :math:`K \ge 2` outputs. The scalar-output
theorems need a multi-class reduction for :math:`K \ge 2` (derived in :ref:`theory-multi-output`):
the spectral bound pays :math:`\sqrt 2` inside its covering argument (constant 36 instead of 26),
the Golowich and Neyshabur bounds pay :math:`2K` through Maurer's vector contraction.

**Post-hoc validity.** A bound evaluated at the norms of a trained network is a theorem only after a
union bound over a grid of classes (:mod:`radbound.bounds._posthoc`). With ``posthoc=True`` (the
default) each data-dependent quantity (every layer norm, rounded up; the margin, rounded down) is
placed on a geometric :class:`~radbound.bounds.Grid`, the bound is computed at the grid values, and
the returned Bound carries the price in ``Bound.posthoc``; :func:`radbound.bounds.generalization`
adds it to the confidence term. ``posthoc=False`` gives the fixed-class bound at the network's own
values, with a :class:`~radbound.bounds.PosthocWarning`.

How layers without weights enter: every bound is proved for element-wise, 1-Lipschitz, positively
homogeneous activations (ReLU). Flatten is an isometry. A max-pooling layer is 1-Lipschitz in
:math:`\ell_\infty` and :math:`\sqrt{\lceil k_h/s_h\rceil\lceil k_w/s_w\rceil}`-Lipschitz in
:math:`\ell_2`; the product :math:`\rho` of these constants multiplies the product of layer norms
(Bartlett et al. allow any :math:`\rho_i`-Lipschitz activations, so the spectral bound covers
max-pooling; for the Golowich and Neyshabur bounds, which peel element-wise activations, networks
with max-pooling are outside the theorems' hypotheses and the bound's notes say so).
Biases are not part of the bounded classes; non-zero biases are reported in the notes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    as_real_array,
    check_bool,
    check_choice,
    check_matrix,
    check_multiclass_labels,
    check_nonnegative,
    check_positive,
    check_probability,
    is_torch_tensor,
)
from ..networks.layers import Dense, Flatten, MaxPool2d, Network
from ..networks.norms import NetworkNorms, network_norms, row_norms
from ..results import Bound, GridPoint, LossClass, MarginLipschitz, PosthocPrice
from ._formula import build_bound, confidence_terms
from ._posthoc import Grid, check_grid, warn_fixed_class
from ._symbols import weakest_status

__all__ = [
    "NetworkBounds",
    "spectral_bound",
    "golowich_bound",
    "neyshabur_bound",
    "adversarial_lower_bound",
    "network_bounds",
    "check_lower_bound_architecture",
    "surrogate_margin_bound",
    "ADVERSARIAL_LOWER_C",
    "SPECTRAL_CONSTANTS",
]

#: The constant c of the adversarial lower bound: 1/(8 sqrt 2) is valid [derived].
ADVERSARIAL_LOWER_C = 1.0 / (8.0 * math.sqrt(2.0))

#: The constant of the second term of the spectral bound: 26 for one output, 36 for K >= 2 outputs
#: (the margin operator is sqrt(2)-Lipschitz in l2), derived in :ref:`theory-multi-output`.
SPECTRAL_CONSTANTS: Mapping[str, float] = {"scalar": 26.0, "multiclass": 36.0}

BFT_2017 = "Bartlett, Foster & Telgarsky (2017), NeurIPS"
GRS_2018 = "Golowich, Rakhlin & Shamir (2018), COLT"
NTS_2015 = "Neyshabur, Tomioka & Srebro (2015), COLT"
MAURER_2016 = "Maurer (2016), ALT, vector-contraction inequality"


# --------------------------------------------------------------------------------------------------
# the formulas, each written once (read with math for the value, with sympy for the formula)
# --------------------------------------------------------------------------------------------------
def _spectral_terms(m, *, n, X_F, gamma, d_max, rho, s, b, c_1, log_factor):
    # prod_h s_h (sum_h (b_h/s_h)^{2/3})^{3/2} written as (sum_h (b_h prod_{j != h} s_j)^{2/3})^{3/2},
    # which is finite at s_h = 0.
    L = len(s)
    cross = [b[h] * m.prod([s[j] for j in range(L) if j != h]) for h in range(L)]
    capacity = sum(c ** m.frac(2, 3) for c in cross) ** m.frac(3, 2)
    ell = m.log(2 * d_max) if log_factor == "log" else m.sqrt(m.log(2 * d_max))
    return {
        "constant": 4 / n ** m.frac(3, 2),
        "complexity": c_1 * m.log(n) * ell / (gamma * n) * X_F * rho * capacity,
    }


def _golowich_terms(m, *, n, X_F, gamma, L, rho, F, reduction):
    return {"complexity": reduction * rho * m.prod(F) * (m.sqrt(2 * m.log(2) * L) + 1) * X_F / (gamma * n)}


def _neyshabur_terms(m, *, n, d, x_inf, gamma, L, rho_inf, a, reduction):
    return {
        "complexity": reduction
        * 2**L
        * m.prod(a)
        * rho_inf
        * m.sqrt(m.log(2 * d))
        * x_inf
        / (gamma * m.sqrt(n))
    }


def _lower_terms(m, *, c, r, X_F, n, eps, d):
    return {"natural": c * r * X_F / n, "adversarial": c * r * eps * m.sqrt(d / n)}


def _surrogate_terms(m, *, empirical, gamma, K, s, t, d, colsum, n, eps, delta, P=None):
    out = {
        "empirical": empirical,
        "complexity": 2
        / gamma
        * (2 * K * s * t * m.sqrt(2 * m.log(2 * d)) * colsum / n + eps * s * t / m.sqrt(n)),
        **confidence_terms(m, B=1, n=n, delta=delta, P=P),
    }
    return out


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
def _data(net: Network, X: Any) -> np.ndarray:
    if not isinstance(net, Network):
        raise TypeError(f"net must be a radbound.networks.Network, got {type(net).__name__}")
    if is_torch_tensor(X):
        X = X.detach().cpu().numpy()
    arr = as_real_array(X, "X")
    if arr.ndim == 1 + len(net.input_shape) and arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    arr = check_matrix(arr, "X", allow_torch=False)
    if arr.shape[1] != net.input_dim:
        raise ValueError(
            f"X must have {net.input_dim} columns (the network's input dimension), got {arr.shape[1]}"
        )
    return arr


def _norms(net: Network, norms: NetworkNorms | None, **kw: Any) -> NetworkNorms:
    if norms is None:
        return network_norms(net, **kw)
    if not isinstance(norms, NetworkNorms) or len(norms.layers) != len(net.weighted_layers):
        raise ValueError("norms must be the NetworkNorms of this network (from network_norms(net))")
    return norms


def _notes(net: Network, norms: NetworkNorms, *, elementwise: bool) -> list[str]:
    notes = []
    if any(lay.has_bias for lay in norms.layers):
        notes.append("non-zero biases are ignored (the bounded class has no biases)")
    if elementwise and any(isinstance(layer, MaxPool2d) for layer in net.layers):
        notes.append(
            "max-pooling is not an element-wise activation: the theorem's hypotheses do not cover it; its "
            "Lipschitz constant multiplies the product of norms"
        )
    return notes


class _Stratifier:
    """Places the data-dependent quantities of one bound on the grid (or keeps them, posthoc=False)."""

    def __init__(self, posthoc: bool, grid: Grid | None) -> None:
        self.posthoc = check_bool(posthoc, "posthoc")
        self.grid = check_grid(grid)
        self.points: list[GridPoint] = []

    def norm(self, name: str, value: float) -> float:
        if not self.posthoc:
            return float(value)
        pt = self.grid.up(name, float(value))
        self.points.append(pt)
        return pt.grid_value

    def norms(self, prefix: str, values: Sequence[float]) -> list[float]:
        return [self.norm(f"{prefix}_{h + 1}", v) for h, v in enumerate(values)]

    def margin(self, value: float) -> float:
        if not self.posthoc:
            return float(value)
        pt = self.grid.down("gamma", float(value))
        self.points.append(pt)
        return pt.grid_value

    def price(self) -> PosthocPrice | None:
        return self.grid.price(self.points) if self.posthoc else None

    def note(self) -> str:
        price = self.price()
        if price is None:
            return "fixed class at the network's own norms (posthoc=False): not valid for a trained network"
        return (
            f"post-hoc: norms rounded up and the margin down to the grid {self.grid.anchor:g} * "
            f"2^(j/{self.grid.steps_per_doubling}) (price {price.log_price:.4g} nats, paid in "
            "generalization())"
        )


def _multi(net: Network) -> int:
    return int(net.output_dim)


#: The Lipschitz constant of the margin M(z, y) in the outputs z: (one output, K >= 2 outputs) in l2 and
#: l_inf. |y u - y v| = |u - v|; |M(u) - M(v)| <= |u_y - v_y| + max_{k != y} |u_k - v_k|, which is at
#: most sqrt(2) ||u - v||_2 (two distinct coordinates, Cauchy-Schwarz) and 2 ||u - v||_inf.
MARGIN_LIPSCHITZ: Mapping[float, tuple[float, float]] = {2.0: (1.0, math.sqrt(2.0)), math.inf: (1.0, 2.0)}


def _natural_class(net: Network, value: float, norm: float) -> LossClass:
    """The natural margin class, with the margin Lipschitz constant ``value`` shared by the class."""
    return LossClass("natural", lipschitz=MarginLipschitz(value, norm, net.input_dim))


# --------------------------------------------------------------------------------------------------
# the bounds
# --------------------------------------------------------------------------------------------------
def spectral_bound(
    net: Network,
    X: Any,
    *,
    margin: float = 1.0,
    log_factor: str = "log",
    rigorous: bool = False,
    posthoc: bool = True,
    grid: Grid | None = None,
    norms: NetworkNorms | None = None,
    **norm_options: Any,
) -> Bound:
    r"""Spectrally-normalised bound of Bartlett, Foster & Telgarsky (2017) on the ramp-loss class.

    .. math::
        \hat{\mathfrak R}_S \le \frac{4}{n^{3/2}} + \frac{c_1 \log(n)\, \ell(d_{\max})}{\gamma\, n}
        \|X\|_F\, \rho \prod_h s_h \Big(\sum_h (b_h / s_h)^{2/3}\Big)^{3/2},

    with :math:`\ell = \log(2 d_{\max})` (``log_factor="log"``, the default, as Yin et al. state it) or
    :math:`\sqrt{\log(2 d_{\max})}` (``"sqrt"``, what the covering argument gives; smaller), :math:`\rho`
    the product of the Lipschitz constants of the weightless layers. :math:`c_1 = 26` for a scalar
    output (margin :math:`y f(x)`) and :math:`c_1 = 36` for :math:`K \ge 2` outputs (the margin
    operator is :math:`\sqrt2`-Lipschitz in :math:`\ell_2`); both derived from the covering-number bound
    of Bartlett et al. and Dudley's integral in :ref:`theory-multi-output`. Status: ``"paper"`` for the
    scalar ``"log"`` form, ``"derived"`` otherwise.

    The value is increasing in every :math:`s_h`, so ``rigorous=True`` -- using the certified upper
    spectral norms -- gives a bound that holds whatever the accuracy of the iterative norm
    computations. With ``posthoc=True`` every :math:`s_h`, :math:`b_h` is rounded up and
    :math:`\gamma` down to ``grid``, and ``Bound.posthoc`` records the price (see the module docstring).

    Convention: empirical Rademacher complexity with factor 1/n, no absolute value.

    Parameters
    ----------
    net : Network
    X : array, shape ``(n, d)`` or ``(n, *input_shape)``
    margin : float, default 1
        :math:`\gamma` of the ramp loss.
    log_factor : {"log", "sqrt"}
    rigorous : bool
        Use the certified upper spectral norms.
    posthoc : bool, default True
        Stratify the norms and the margin on ``grid`` (valid for a trained network).
    grid : Grid, optional
        Default :data:`radbound.bounds.DEFAULT_GRID`.
    norms : NetworkNorms, optional
        Precomputed :func:`radbound.networks.network_norms` of ``net``.
    **norm_options
        Passed to :func:`radbound.networks.network_norms`.

    Returns
    -------
    Bound
        Terms ``"constant"`` and ``"complexity"``.

    References
    ----------
    Bartlett, Foster & Telgarsky (2017), "Spectrally-normalized margin bounds for neural networks",
    NeurIPS (covering-number bound and margin bound, as stated by Yin, Ramchandran & Bartlett 2019);
    the multi-output constant is derived (:ref:`theory-multi-output`).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([np.eye(2), np.ones((1, 2))])
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> b = spectral_bound(net, X, posthoc=False)   # s = (1, sqrt 2), b = (2, sqrt 2), d_max = 2
    >>> hand = 4 / 2**1.5 + 26 * np.log(2) * np.log(4) / 2 * np.sqrt(2) * np.sqrt(2) * (2**(2/3) + 1) ** 1.5
    >>> bool(np.isclose(b.value, hand)) and bool(np.isclose(b.evaluate_formula(), b.value))
    True
    >>> spectral_bound(net, X).value >= b.value      # post-hoc: norms rounded up to the grid
    True
    """
    X = _data(net, X)
    margin = check_positive(margin, "margin")
    check_choice(log_factor, "log_factor", ("log", "sqrt"))
    norms = _norms(net, norms, **norm_options)
    n = X.shape[0]
    d_max = max(net.widths)
    if log_factor == "log" and d_max < 2:
        raise ValueError("log_factor='log' needs d_max >= 2 (log(2 d_max) >= 1); use log_factor='sqrt'")
    K = _multi(net)
    strat = _Stratifier(posthoc, grid)
    s = strat.norms(
        "s", (norms.spectral_upper if check_bool(rigorous, "rigorous") else norms.spectral).tolist()
    )
    b = strat.norms("b", norms.l21.tolist())
    gamma = strat.margin(margin)
    if not posthoc:
        warn_fixed_class("the spectral and (2,1) norms and the margin")
    c_1 = SPECTRAL_CONSTANTS["scalar" if K == 1 else "multiclass"]
    status = "paper" if (K == 1 and log_factor == "log") else "derived"
    notes = [
        f"{'one output, margin y f(x)' if K == 1 else f'{K} outputs, multi-class margin'}: c_1 = {c_1:g}",
        f"log factor {log_factor}(2 d_max); spectral norms "
        + ("certified upper values" if rigorous else "estimates"),
        strat.note(),
        *_notes(net, norms, elementwise=False),
    ]
    return build_bound(
        _spectral_terms,
        {
            "n": n,
            "X_F": float(np.linalg.norm(X)),
            "gamma": gamma,
            "d_max": d_max,
            "rho": norms.lipschitz_l2,
            "s": s,
            "b": b,
        },
        literals={"c_1": int(c_1), "log_factor": log_factor},
        constants={"c_0": 4.0, "c_1": c_1, "K": float(K)},
        reference=f"{BFT_2017}, covering-number and margin bound"
        + ("" if status == "paper" else " (constant derived: docs/theory/networks.md)"),
        status=status,
        kind="upper",
        name="spectral",
        notes="; ".join(filter(None, notes)),
        posthoc=strat.price(),
        # every member: ||f(x) - f(x')||_2 <= rho prod_h s_h ||x - x'||_2, then the margin's constant
        loss_class=_natural_class(net, MARGIN_LIPSCHITZ[2.0][K > 1] * norms.lipschitz_l2 * math.prod(s), 2.0),
    )


def golowich_bound(
    net: Network,
    X: Any,
    *,
    margin: float = 1.0,
    posthoc: bool = True,
    grid: Grid | None = None,
    norms: NetworkNorms | None = None,
    **norm_options: Any,
) -> Bound:
    r"""Size-independent bound of Golowich, Rakhlin & Shamir (2018) with Frobenius norms.

    .. math::
        \hat{\mathfrak R}_S \le C_K\,
        \frac{\rho \prod_h F_h \,(\sqrt{2 \log(2) L} + 1)\, \|X\|_F}{\gamma\, n},

    :math:`L` the number of weighted layers, :math:`F_h = \|A_h\|_F` the Frobenius norm of the operator
    (for a convolution: of the unrolled matrix, not the kernel). One output: :math:`C_1 = 1`, the
    scalar theorem with the :math:`1/\gamma`-Lipschitz ramp. :math:`K \ge 2` outputs: the multi-class
    margin reduction :math:`C_K = 2K` (Maurer's vector contraction with the :math:`\sqrt 2/\gamma`-
    Lipschitz ramp of the margin, then one scalar network per output, derived in
    :ref:`theory-multi-output`) and :math:`F_L = \max_k \|a_k\|_2`, the largest row norm of the last
    layer (each scalar network keeps one row). Status ``"unverified"`` (the scalar constant has not
    been checked against the source).

    Parameters
    ----------
    net, X, margin, posthoc, grid, norms, **norm_options
        As in :func:`spectral_bound`.

    Returns
    -------
    Bound
        Term ``"complexity"``.

    References
    ----------
    Golowich, Rakhlin & Shamir (2018), "Size-independent sample complexity of neural networks", COLT
    (scalar output, Frobenius norms); Maurer (2016), "A vector-contraction inequality for Rademacher
    complexities", ALT (the multi-output reduction).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([np.eye(2), np.ones((1, 2))])
    >>> X = np.eye(2)
    >>> hand = np.sqrt(2) * np.sqrt(2) * (np.sqrt(2 * np.log(2) * 2) + 1) * np.sqrt(2) / 2
    >>> bool(np.isclose(golowich_bound(net, X, posthoc=False).value, hand))
    True
    """
    X = _data(net, X)
    margin = check_positive(margin, "margin")
    norms = _norms(net, norms, **norm_options)
    n = X.shape[0]
    L = len(norms.layers)
    K = _multi(net)
    fro = norms.frobenius.tolist()
    if K > 1:  # the largest row norm of the last layer's operator
        i, last = net.weighted_layers[-1]
        fro[-1] = float(row_norms(last, net.shapes[i]).max())
    strat = _Stratifier(posthoc, grid)
    F = strat.norms("F", fro)
    gamma = strat.margin(margin)
    if not posthoc:
        warn_fixed_class("the Frobenius norms and the margin")
    reduction = 1 if K == 1 else 2 * K
    notes = [
        "one output, margin y f(x)"
        if K == 1
        else f"{K} outputs: multi-class reduction 2K = {reduction} (Maurer 2016), last F = max_k ||a_k||_2",
        strat.note(),
        *_notes(net, norms, elementwise=True),
    ]
    return build_bound(
        _golowich_terms,
        {"n": n, "X_F": float(np.linalg.norm(X)), "gamma": gamma, "L": L, "rho": norms.lipschitz_l2, "F": F},
        literals={"reduction": reduction},
        constants={"c": 1.0, "reduction": float(reduction)},
        reference=f"{GRS_2018}, Frobenius-norm bound" + ("" if K == 1 else f"; {MAURER_2016}"),
        status="unverified",
        kind="upper",
        name="golowich",
        notes="; ".join(filter(None, notes)),
        posthoc=strat.price(),
        # ||A_h||_sigma <= F_h; K >= 2: |M(u) - M(v)| <= 2 max_k |<a_k, g(x) - g(x')>|, F_L = max_k ||a_k||_2
        loss_class=_natural_class(net, (1.0 if K == 1 else 2.0) * norms.lipschitz_l2 * math.prod(F), 2.0),
    )


def neyshabur_bound(
    net: Network,
    X: Any,
    *,
    margin: float = 1.0,
    posthoc: bool = True,
    grid: Grid | None = None,
    norms: NetworkNorms | None = None,
    **norm_options: Any,
) -> Bound:
    r"""Bound of Neyshabur, Tomioka & Srebro (2015) with the largest row :math:`\ell_1` norms.

    .. math::
        \hat{\mathfrak R}_S \le C_K\,
        \frac{2^L \rho_\infty \prod_h a_h \sqrt{\log(2d)}\, \max_i \|x_i\|_\infty}{\gamma \sqrt n},

    :math:`a_h = \|A_h\|_{1,\infty} = \max_r \sum_c |A_{rc}|` (of the operator for a convolution),
    :math:`d` the input dimension, :math:`\rho_\infty` the :math:`\ell_\infty` Lipschitz constants of
    the weightless layers (max-pooling: 1). :math:`C_1 = 1` for one output; :math:`C_K = 2K` for
    :math:`K \ge 2` (the multi-class reduction of :func:`golowich_bound`; :math:`a_L` is already the
    largest row norm of the last layer). Status ``"unverified"``.

    Parameters
    ----------
    net, X, margin, posthoc, grid, norms, **norm_options
        As in :func:`spectral_bound`.

    Returns
    -------
    Bound
        Term ``"complexity"``.

    References
    ----------
    Neyshabur, Tomioka & Srebro (2015), "Norm-based capacity control in neural networks", COLT, the
    per-unit :math:`\ell_1` case (theorem number not verified); Maurer (2016), ALT (multi-output reduction).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([np.array([[1.0, -2.0], [0.0, 1.0]]), np.ones((1, 2))])
    >>> X = np.array([[0.5, -1.0], [0.25, 0.0]])
    >>> hand = 4 * 3 * 2 * np.sqrt(np.log(4)) * 1.0 / np.sqrt(2)
    >>> bool(np.isclose(neyshabur_bound(net, X, posthoc=False).value, hand))
    True
    """
    X = _data(net, X)
    margin = check_positive(margin, "margin")
    norms = _norms(net, norms, **norm_options)
    n, d = X.shape
    L = len(norms.layers)
    K = _multi(net)
    strat = _Stratifier(posthoc, grid)
    a = strat.norms("a", norms.l1inf.tolist())
    gamma = strat.margin(margin)
    if not posthoc:
        warn_fixed_class("the (1,inf) norms and the margin")
    reduction = 1 if K == 1 else 2 * K
    notes = [
        "one output, margin y f(x)"
        if K == 1
        else f"{K} outputs: multi-class reduction 2K = {reduction} (Maurer 2016)",
        strat.note(),
        *_notes(net, norms, elementwise=True),
    ]
    return build_bound(
        _neyshabur_terms,
        {
            "n": n,
            "d": d,
            "x_inf": float(np.abs(X).max()),
            "gamma": gamma,
            "L": L,
            "rho_inf": norms.lipschitz_linf,
            "a": a,
        },
        literals={"reduction": reduction},
        constants={"c": 2.0, "reduction": float(reduction)},
        reference=f"{NTS_2015}, per-unit l1 constraints" + ("" if K == 1 else f"; {MAURER_2016}"),
        status="unverified",
        kind="upper",
        name="neyshabur",
        notes="; ".join(filter(None, notes)),
        posthoc=strat.price(),
        # ||A_h||_{1,inf} is the l_inf -> l_inf operator norm; the margin is 2-Lipschitz in l_inf (K >= 2)
        loss_class=_natural_class(
            net, MARGIN_LIPSCHITZ[math.inf][K > 1] * norms.lipschitz_linf * math.prod(a), math.inf
        ),
    )


def check_lower_bound_architecture(net: Network) -> None:
    r"""Raise ``ValueError`` unless ``net`` has the architecture of the adversarial lower bound.

    The proof needs the class to contain every linear map :math:`x \mapsto \langle w, x\rangle` with
    :math:`\|w\|_2 \le r/2`, which holds for fully connected ReLU networks (Dense and ReLU layers
    alternating, Flatten allowed) with every hidden width at least 2 and one output: write
    :math:`\langle w, x\rangle = \rho(\langle w, x\rangle) - \rho(-\langle w, x\rangle)` with first layer
    :math:`[w; -w]`, identities between, last layer :math:`[1, -1]` (product of spectral norms
    :math:`2\|w\|_2`). Convolutions, max-pooling and several outputs break that embedding
    (:ref:`theory-network-lower-scope`).

    Parameters
    ----------
    net : Network

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, lower bound for neural networks (widths at least 2); the
    embedding and the scope are derived (:ref:`theory-network-lower-scope`).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> check_lower_bound_architecture(Network.from_arrays([np.ones((2, 3)), np.ones((1, 2))])) is None
    True
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a radbound.networks.Network, got {type(net).__name__}")
    kinds = [type(layer).__name__ for layer in net.layers if not isinstance(layer, Flatten)]
    pattern_ok = (
        len(kinds) >= 1
        and kinds[0] == "Dense"
        and kinds[-1] == "Dense"
        and all(k == ("Dense" if i % 2 == 0 else "ReLU") for i, k in enumerate(kinds))
    )
    if not pattern_ok:
        names = [type(layer).__name__ for layer in net.layers]
        raise ValueError(
            "adversarial_lower_bound holds for fully connected ReLU networks only (Dense and ReLU layers "
            f"alternating, starting and ending with Dense); got layers {names}"
        )
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    hidden = [layer.weight.shape[0] for layer in dense[:-1]]
    if any(h < 2 for h in hidden):
        raise ValueError(f"adversarial_lower_bound needs every hidden width >= 2, got hidden widths {hidden}")
    if dense[-1].weight.shape[0] != 1:
        raise ValueError(
            "adversarial_lower_bound needs a scalar-output network (one output unit), got "
            f"{dense[-1].weight.shape[0]} outputs"
        )


def adversarial_lower_bound(
    net: Network | None,
    X: Any,
    *,
    eps: float,
    radius: float | None = None,
    norms: NetworkNorms | None = None,
    **norm_options: Any,
) -> Bound:
    r"""Yin et al.'s lower bound on the adversarial complexity of spectrally bounded ReLU networks.

    For :math:`\mathcal F = \{f_A : \prod_h \|A_h\|_\sigma \le r\}` (fully connected ReLU networks with
    hidden widths :math:`\ge 2` and one output) and the :math:`\ell_\infty` attack of radius
    :math:`\epsilon`,

    .. math::
        \hat{\mathfrak R}_S(\tilde{\mathcal F})
        \ge c\, r \Big(\frac{\|X\|_F}{n} + \epsilon \sqrt{\frac dn}\Big),
        \qquad c = \frac{1}{8\sqrt 2}\ \text{(a valid constant, derived)}.

    It bounds the *class* at radius :math:`r`; by default :math:`r = \prod_h \|A_h\|_\sigma` of ``net``
    (pass ``radius`` to choose it, and ``net=None`` then needs no network). The :math:`\epsilon\sqrt{d/n}`
    term is the unavoidable dimension dependence. A lower bound on a class's complexity involves no
    union bound, so it has no ``posthoc`` option.

    The proof embeds every linear map with :math:`\|w\|_2 \le r/2` in the class (see
    :func:`check_lower_bound_architecture`), so a network outside that architecture (convolutions,
    max-pooling, several outputs, a hidden width 1) raises ``ValueError``: for such classes the
    inequality can fail (a Conv 1x1 -> ReLU -> MaxPool -> Dense(4 -> 1) class on 56x56 inputs has
    exact adversarial complexity about 0.5, below this expression).

    Parameters
    ----------
    net : Network or None
    X : array, shape (n, d)
    eps : float
        :math:`\ell_\infty` attack radius.
    radius : float, optional
        :math:`r`; default the product of the network's spectral norms.
    norms, **norm_options
        As in :func:`spectral_bound`.

    Returns
    -------
    Bound
        ``kind="lower"``, terms ``"natural"`` and ``"adversarial"`` (sum).

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, lower bound for neural networks (the paper leaves c
    unspecified); the value of c and the architectures it covers are derived
    (:ref:`theory-network-lower-scope`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[3.0, 4.0], [0.0, 0.0]])
    >>> b = adversarial_lower_bound(None, X, eps=0.5, radius=2.0)
    >>> bool(np.isclose(b.value, 2.0 / (8 * np.sqrt(2)) * (5.0 / 2 + 0.5)))
    True
    """
    eps = check_nonnegative(eps, "eps")
    if net is not None:
        check_lower_bound_architecture(net)
    if net is None:
        if radius is None:
            raise ValueError("radius is required when net is None")
        X = check_matrix(X.detach().cpu().numpy() if is_torch_tensor(X) else X, "X", allow_torch=False)
    else:
        X = _data(net, X)
    if radius is None and net is not None:  # (net is None requires a radius, checked above)
        norms = _norms(net, norms, **norm_options)
        radius = float(np.prod(norms.spectral))
    radius = check_nonnegative(radius, "radius")
    n, d = X.shape
    c = ADVERSARIAL_LOWER_C
    return build_bound(
        _lower_terms,
        {"c": c, "r": radius, "X_F": float(np.linalg.norm(X)), "n": n, "eps": eps, "d": d},
        constants={"c": c},
        reference="Yin, Ramchandran & Bartlett (2019), ICML, lower bound for neural networks",
        status="derived",
        kind="lower",
        name="adversarial-lower",
        loss_class=LossClass("adversarial", eps=eps, attack_norm=math.inf),
        notes="lower bound for the class {prod_h ||A_h||_sigma <= r} of fully connected ReLU networks with "
        "hidden widths >= 2 and one output; c = 1/(8 sqrt 2) derived",
    )


@dataclass(frozen=True)
class NetworkBounds:
    """All bounds of :func:`network_bounds` on one network and sample, with the norms they used.

    ``adversarial_lower`` is None when the network is outside the lower bound's theorem (see
    :func:`check_lower_bound_architecture`).
    """

    spectral: Bound
    golowich: Bound
    neyshabur: Bound
    adversarial_lower: Bound | None
    norms: NetworkNorms

    def as_dict(self) -> dict[str, Bound]:
        """``{"spectral": ..., "golowich": ..., "neyshabur": ..., "adversarial_lower": ...}`` (the last
        only when it applies)."""
        out = {"spectral": self.spectral, "golowich": self.golowich, "neyshabur": self.neyshabur}
        if self.adversarial_lower is not None:
            out["adversarial_lower"] = self.adversarial_lower
        return out

    def __iter__(self) -> Iterator[tuple[str, Bound]]:
        return iter(self.as_dict().items())


def network_bounds(
    net: Network,
    X: Any,
    *,
    eps: float,
    margin: float = 1.0,
    log_factor: str = "log",
    rigorous: bool = False,
    posthoc: bool = True,
    grid: Grid | None = None,
    method: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 2000,
    seed: Any = 0,
    blas_threads: int | None = None,
) -> NetworkBounds:
    r"""Evaluate every bound of this module on one network and one sample (norms computed once).

    Parameters
    ----------
    net : Network
    X : array, shape ``(n, d)`` or ``(n, *input_shape)``
    eps : float
        :math:`\ell_\infty` attack radius of the adversarial lower bound.
    margin : float
        :math:`\gamma` of the upper bounds.
    log_factor, rigorous
        See :func:`spectral_bound`.
    posthoc, grid
        Post-hoc validity of the upper bounds (default on; see the module docstring).
    method, tol, max_iter, seed
        Options of :func:`radbound.networks.spectral_norm`.
    blas_threads : int, optional
        Deprecated (see :func:`radbound.networks.network_norms`, which chooses the thread count).

    Returns
    -------
    NetworkBounds
        ``spectral``, ``golowich``, ``neyshabur`` (upper bounds for the ramp loss of margin
        :math:`\gamma`) and ``adversarial_lower`` (a lower bound; None for architectures outside its
        theorem, see :func:`adversarial_lower_bound`), each a :class:`radbound.Bound` carrying its own
        reference, constants, status and (upper bounds, ``posthoc=True``) post-hoc price, plus the
        shared ``norms``.

    Notes
    -----
    With :math:`s_h, b_h` as in the module docstring, :math:`\rho` the product of the Lipschitz
    constants of the weightless layers in :math:`\ell_2` (:math:`\rho_\infty` in :math:`\ell_\infty`),
    :math:`c_1 = 26` (one output) or 36 (:math:`K \ge 2`) and :math:`C_K = 1` or :math:`2K`
    (:doc:`/theory/networks`):

    .. math::
        \text{spectral:}\quad \frac{4}{n^{3/2}} + \frac{c_1 \log n \log(2 d_{\max})}{\gamma n}
        \|X\|_F\, \rho \prod_h s_h \Big(\sum_h (b_h/s_h)^{2/3}\Big)^{3/2},

    .. math::
        \text{Golowich:}\quad C_K\frac{\rho \prod_h F_h\, (\sqrt{2\log(2) L} + 1)\, \|X\|_F}{\gamma n},
        \qquad
        \text{Neyshabur:}\quad C_K\frac{2^L \rho_\infty \prod_h \|A_h\|_{1,\infty} \sqrt{\log(2d)}\,
        \max_i\|x_i\|_\infty}{\gamma \sqrt n},

    .. math::
        \text{adversarial lower:}\quad
        \hat{\mathfrak R}_S(\tilde{\mathcal F})
        \ge c\, r \Big(\frac{\|X\|_F}{n} + \epsilon\sqrt{\frac dn}\Big),
        \quad r = \prod_h \|A_h\|_\sigma,\ c = \frac{1}{8\sqrt2}.

    Convention: factor :math:`1/n`, no absolute value.

    References
    ----------
    Bartlett, Foster & Telgarsky (2017), NeurIPS (spectral bound, as stated by Yin, Ramchandran &
    Bartlett 2019); Golowich, Rakhlin & Shamir (2018), COLT (Frobenius); Neyshabur, Tomioka & Srebro
    (2015), COLT (per-unit l1); Maurer (2016), ALT (multi-output reduction); Yin, Ramchandran &
    Bartlett (2019), ICML, lower bound for neural networks (constant derived).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([np.eye(3), np.ones((1, 3))])
    >>> bs = network_bounds(net, np.eye(3), eps=0.1)
    >>> sorted(bs.as_dict()) == ["adversarial_lower", "golowich", "neyshabur", "spectral"]
    True
    """
    X = _data(net, X)
    with warnings.catch_warnings():  # the deprecation is reported once, here, with the caller's line
        warnings.simplefilter("ignore", DeprecationWarning)
        norms = network_norms(
            net, method=method, tol=tol, max_iter=max_iter, seed=seed, blas_threads=blas_threads
        )
    if blas_threads is not None:
        warnings.warn(
            "blas_threads is deprecated and will be removed: radbound chooses the BLAS thread count itself",
            DeprecationWarning,
            stacklevel=2,
        )
    try:
        check_lower_bound_architecture(net)
        lower_ok = True
    except ValueError:
        lower_ok = False
    with warnings.catch_warnings():
        if not posthoc:  # one warning for the three bounds, at the caller's line
            warnings.simplefilter("ignore")
        out = NetworkBounds(
            spectral=spectral_bound(
                net,
                X,
                margin=margin,
                log_factor=log_factor,
                rigorous=rigorous,
                posthoc=posthoc,
                grid=grid,
                norms=norms,
            ),
            golowich=golowich_bound(net, X, margin=margin, posthoc=posthoc, grid=grid, norms=norms),
            neyshabur=neyshabur_bound(net, X, margin=margin, posthoc=posthoc, grid=grid, norms=norms),
            adversarial_lower=adversarial_lower_bound(net, X, eps=eps, norms=norms) if lower_ok else None,
            norms=norms,
        )
    if not posthoc:
        warn_fixed_class("the layer norms and the margin")
    return out


def surrogate_margin_bound(
    net: Network,
    X: Any,
    y: Any,
    *,
    eps: float,
    margin: float = 1.0,
    delta: float = 0.05,
    solver: str = "auto",
    surrogate: Any = None,
    posthoc: bool = True,
    grid: Grid | None = None,
) -> Bound:
    r"""Margin bound on the adversarial 0-1 risk through the surrogate loss (one hidden layer).

    For the class :math:`\{x \mapsto V\rho(Wx) : \|v_k\|_1 \le s,\ \|w_j\|_1 \le t\}`, with probability
    :math:`\ge 1-\delta`,

    .. math::
        P\{\exists x' \in B_\infty(x,\epsilon): M(f(x'), y) \le 0\} \le \frac1n \sum_i \hat\ell(x_i, y_i)
        + \frac{2}{\gamma}\Big(\frac{2 K s t \sqrt{2\log(2d)}}{n} \sum_{c=1}^K \max_j \|X_{S_c, j}\|_2
        + \frac{\epsilon s t}{\sqrt n}\Big) + 3\sqrt{\frac{\log(2/\delta)}{2n}},

    :math:`S_c` the samples of class :math:`c`, :math:`\hat\ell` the surrogate loss
    (:func:`radbound.networks.surrogate_adversarial_loss`). Derivation (for this project; the paper
    proves a bound of this shape with its own constants, not checked here -- status ``"unverified"``):
    contraction of the :math:`1/\gamma`-Lipschitz ramp; the margin operator costs :math:`K \sum_c` of the
    per-class complexities; an :math:`\ell_1`-bounded output layer and ReLU contraction reduce each to
    :math:`2 s t\, \mathbb E\|\sum_{i \in S_c}\sigma_i x_i\|_\infty / n` (Massart); the data-independent
    shift :math:`(\epsilon/2)\,\mathrm{SDP} \in [0, 2\epsilon s t]` costs :math:`\epsilon s t/\sqrt n`.

    With ``posthoc=True`` (default) :math:`s`, :math:`t` are rounded up and :math:`\gamma` down to
    ``grid``, the surrogate loss is evaluated at the grid margin, and :math:`\delta` becomes
    :math:`\delta w` (term ``"post-hoc price"``); ``posthoc=False`` takes the network's own values
    (with a warning: not valid for a trained network).

    Parameters
    ----------
    net : Network
        ``[Dense(W), ReLU(), Dense(V)]``.
    X, y : arrays
    eps, margin, delta : float
    solver : str
        SDP solver (see :func:`radbound.networks.sdp_certificate`).
    surrogate : SurrogateLoss, optional
        Precomputed surrogate loss AT THE MARGIN USED (the grid margin when ``posthoc=True``).
    posthoc : bool, default True
    grid : Grid, optional

    Returns
    -------
    Bound
        Terms ``"empirical"``, ``"complexity"``, ``"confidence"`` [, ``"post-hoc price"``].

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, margin bound for the surrogate adversarial loss
    (one-hidden-layer ReLU networks); Raghunathan, Steinhardt & Liang (2018), ICLR (the SDP).
    """
    from ..networks.sdp import SurrogateLoss, _one_hidden, surrogate_adversarial_loss

    W, _, V, _ = _one_hidden(net)
    eps = check_nonnegative(eps, "eps")
    margin = check_positive(margin, "margin")
    delta = check_probability(delta, "delta")
    X = check_matrix(X.detach().cpu().numpy() if is_torch_tensor(X) else X, "X", allow_torch=False)
    K = V.shape[0]
    y, _ = check_multiclass_labels(y, X.shape[0], n_classes=K, limit_to_n=False)
    strat = _Stratifier(posthoc, grid)
    s = strat.norm("s", float(np.abs(V).sum(axis=1).max()))
    t = strat.norm("t", float(np.abs(W).sum(axis=1).max()))
    gamma = strat.margin(margin)
    if not posthoc:
        warn_fixed_class("the l1 norms s, t and the margin")
    if surrogate is None:
        surrogate = surrogate_adversarial_loss(net, X, y, eps=eps, margin=gamma, solver=solver)
    elif not isinstance(surrogate, SurrogateLoss):
        raise TypeError(
            "surrogate must be None or the SurrogateLoss of surrogate_adversarial_loss, "
            f"got {type(surrogate).__name__}"
        )
    n, d = X.shape
    col = sum(float(np.linalg.norm(X[y == c], axis=0).max()) if np.any(y == c) else 0.0 for c in range(K))
    price = strat.price()
    inputs = {
        "empirical": surrogate.value,
        "gamma": gamma,
        "K": K,
        "s": s,
        "t": t,
        "d": d,
        "colsum": col,
        "n": n,
        "eps": eps,
        "delta": delta,
    }
    if price is not None:
        inputs["P"] = price.log_price
    b = build_bound(
        _surrogate_terms,
        inputs,
        constants={"c_margin": 2.0, "c_shift": 1.0, "c_conf": 3.0},
        reference="Yin, Ramchandran & Bartlett (2019), ICML, margin bound for the surrogate adversarial loss",
        status=weakest_status("unverified", "derived" if posthoc else "unverified"),
        kind="upper",
        name="sdp-surrogate",
        notes="; ".join(filter(None, ["certified SDP values", strat.note()])),
        posthoc=price,
        loss_class=LossClass("sdp-surrogate", "risk", eps=eps, attack_norm=math.inf),
    )
    return b
