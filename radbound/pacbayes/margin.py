r"""The PAC-Bayes spectrally-normalised margin bound of Neyshabur, Bhojanapalli & Srebro (2018).

For a ReLU network :math:`f_w(x) = W_d\,\rho(W_{d-1} \cdots \rho(W_1 x))` on inputs of norm
:math:`\|x\|_2 \le B`, a margin :math:`\gamma > 0` and a sample of size :math:`m`, with probability
:math:`\ge 1 - \delta`, for every :math:`w`,

.. math::
    L_0(f_w) \le \hat L_\gamma(f_w) + 4\sqrt{\frac{\mathrm{KL} + \log(6 m J/\delta)}{m - 1}},
    \qquad
    \mathrm{KL} = \frac{42^2\, d^2 B^2 h \log(4hd)\, \tilde\beta^{2d-2}\,\beta^2}{2\gamma^2}
    \sum_{i=1}^d \frac{\|W_i\|_F^2}{\|W_i\|_2^2},

with :math:`L_0` the 0-1 risk, :math:`\hat L_\gamma` the fraction of the sample with margin
:math:`f(x)_y - \max_{j\ne y} f(x)_j \le \gamma`, :math:`\beta = (\prod_i\|W_i\|_2)^{1/d}`,
:math:`\tilde\beta` the point of a fixed grid just below :math:`\beta` and :math:`J` the size of the
grid (and of a margin grid when :math:`\gamma` is chosen after training). Up to its constants this is the
paper's main theorem (its :math:`O(\cdot)`, :math:`B^2 d^2 h \ln(dh) \prod_i\|W_i\|_2^2 \sum_i
\|W_i\|_F^2/\|W_i\|_2^2 / \gamma^2`); the constants are those of its proof, made explicit here
(:ref:`theory-pac-bayes-spectral`), status ``"derived"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import (
    as_real_array,
    check_matrix,
    check_multiclass_labels,
    check_positive,
    check_probability,
)
from ..bounds._formula import NUM, build_bound
from ..results import Bound

__all__ = ["pac_bayes_spectral_bound", "MARGIN_GRID"]

#: Margins fixed in advance for ``margin=None``: 2^(k/4), k = -80..40 (about 1e-6 to 1024).
MARGIN_GRID = tuple(2.0 ** (k / 4.0) for k in range(-80, 41))

#: sigma = gamma / (42 d B beta~^(d-1) sqrt(h log(4 h d))): 42 >= 4 e^2 sqrt(2) = 41.8.
C_SIGMA = 42


def _spectral_terms(
    ns: Any,
    *,
    L_gamma: Any,
    d: Any,
    B: Any,
    h: Any,
    beta_t: Any,
    beta: Any,
    gamma: Any,
    R: Any,
    m: Any,
    J: Any,
    delta: Any,
) -> dict[str, Any]:
    """The bound, written once (read with floats for the value and with sympy for the formula)."""
    kl = (
        C_SIGMA**2
        * d**2
        * B**2
        * h
        * ns.log(4 * h * d)
        * beta_t ** (2 * d - 2)
        * beta**2
        * R
        / (2 * gamma**2)
    )
    comp = 4 * ns.sqrt(kl / (m - 1))
    full = 4 * ns.sqrt((kl + ns.log(6 * m * J / delta)) / (m - 1))
    return {"empirical margin loss": L_gamma, "KL": comp, "confidence": full - comp}


def _dense_weights(net: Any) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    from ..networks.layers import Dense, Flatten, Network, ReLU

    if not isinstance(net, Network):
        raise TypeError(f"net must be a radbound.networks.Network, got {type(net).__name__}")
    layers = list(net.layers)
    if layers and isinstance(layers[0], Flatten):
        layers = layers[1:]
    ok = len(layers) % 2 == 1 and all(
        isinstance(layer, Dense) if k % 2 == 0 else isinstance(layer, ReLU) for k, layer in enumerate(layers)
    )
    if not ok:
        raise ValueError(
            "net must be a fully connected ReLU network [Dense, ReLU, ..., Dense] (optionally after a "
            "Flatten): the theorem perturbs dense weight matrices"
        )
    dense = layers[0::2]
    return [lay.weight for lay in dense], [lay.bias for lay in dense]


def _fold_biases(weights: list[np.ndarray], biases: list[np.ndarray | None]) -> tuple[list[np.ndarray], bool]:
    r"""An equivalent bias-free network on :math:`[x; 1]`: each hidden layer gets a constant unit.

    :math:`\tilde W_i = \begin{pmatrix} W_i & b_i \\ 0 & 1 \end{pmatrix}` for :math:`i < d` and
    :math:`\tilde W_d = (W_d \;\; b_d)`: the constant unit stays 1 through every ReLU, so
    :math:`\tilde f([x; 1]) = f(x)`.
    """
    if all(b is None or not np.any(b) for b in biases):
        return [np.asarray(w, dtype=np.float64) for w in weights], False
    out = []
    d = len(weights)
    for i, (w, b) in enumerate(zip(weights, biases)):
        b = np.zeros(w.shape[0]) if b is None else np.asarray(b, dtype=np.float64)
        top = np.hstack([w, b[:, None]])
        if i < d - 1:
            row = np.zeros((1, top.shape[1]))
            row[0, -1] = 1.0
            top = np.vstack([top, row])
        out.append(top)
    return out, True


def pac_bayes_spectral_bound(
    net: Any,
    X: Any,
    y: Any,
    *,
    input_radius: float,
    margin: float | None = None,
    delta: float = 0.05,
) -> Bound:
    r"""Neyshabur, Bhojanapalli & Srebro's PAC-Bayes margin bound on the 0-1 risk of a ReLU network.

    .. math::
        L_0(f_w) \le \hat L_\gamma(f_w) + 4\sqrt{\frac{\mathrm{KL} + \log(6 m J_\beta J_\gamma/\delta)}{m-1}},
        \quad
        \mathrm{KL} = \frac{42^2 d^2 B^2 h \log(4hd)\,\tilde\beta^{2d-2}\beta^2}{2\gamma^2}
        \sum_{i=1}^d\frac{\|W_i\|_F^2}{\|W_i\|_2^2},

    with probability :math:`\ge 1-\delta` over the sample, for every weight setting. :math:`d` layers,
    :math:`h` the largest width (input and output included), :math:`B` a bound on :math:`\|x\|_2` over
    the input domain, :math:`\beta = (\prod_i \|W_i\|_2)^{1/d}`, :math:`\tilde\beta` the largest point
    below :math:`\beta` of the grid :math:`\beta_0 (1 + 1/d)^j`, :math:`j = 0..J_\beta - 1`,
    :math:`\beta_0 = (\gamma/(2B))^{1/d}`, :math:`J_\beta = \lfloor \log\sqrt m / (d\log(1+1/d))\rfloor + 1`
    (it covers :math:`\beta^d \le \gamma\sqrt m/(2B)`; outside that range the bound exceeds 1 and holds
    trivially, and :math:`\tilde\beta = \beta` is used). ``margin=None`` takes the best :math:`\gamma` of
    :data:`MARGIN_GRID` (:math:`J_\gamma = 121`, a union bound); a given ``margin`` must have been fixed
    before seeing the sample (:math:`J_\gamma = 1`).

    Biases are folded in exactly: the network equals a bias-free one on :math:`[x; 1]` whose hidden
    layers carry a constant unit (:math:`\tilde W_i = (W_i\ b_i;\ 0\ 1)`), and :math:`B` becomes
    :math:`\sqrt{B^2 + 1}`; the norms are those of the folded matrices.

    Parameters
    ----------
    net : Network
        ``[Dense, ReLU, ..., Dense]`` (optionally after a Flatten), at least 2 outputs.
    X : array of shape ``(m, n)`` or ``(m, *input_shape)``
    y : array of shape (m,)
        Labels 0..k-1.
    input_radius : float
        :math:`B`: every input of the domain has :math:`\|x\|_2 \le B` (e.g. :math:`\sqrt{784} = 28` for
        images in :math:`[0, 1]^{784}`). The sample is checked against it.
    margin : float or None
        :math:`\gamma`, or None for the grid.
    delta : float

    Returns
    -------
    Bound
        Terms ``"empirical margin loss"`` (:math:`\hat L_\gamma`), ``"KL"``
        (:math:`4\sqrt{\mathrm{KL}/(m-1)}`) and ``"confidence"`` (the rest); status ``"derived"``.

    Notes
    -----
    Constants from the proof (:ref:`theory-pac-bayes-spectral`): the margin PAC-Bayes lemma
    (:math:`4\sqrt{(\mathrm{KL} + \ln(6m/\delta))/(m-1)}` for a perturbation that moves every output by less
    than :math:`\gamma/4` with probability :math:`\ge 1/2`), the perturbation lemma
    (:math:`|f_{w+u}(x) - f_w(x)|_2 \le e B \prod_i\|W_i\|_2 \sum_i \|U_i\|_2/\|W_i\|_2` when
    :math:`\|U_i\|_2 \le \|W_i\|_2/d`), the Gaussian matrix tail
    :math:`P(\|U\|_2 \ge t) \le (h_1 + h_2) e^{-t^2/(2\sigma^2\max(h_1, h_2))} \le 2h e^{-t^2/(2h\sigma^2)}`
    (Tropp 2012) and :math:`\sigma = \gamma/(42\, d B \tilde\beta^{d-1}\sqrt{h\log(4hd)})`, for which
    :math:`e^2 \sqrt 2/42 < 1/4`; the KL divergence of :math:`\mathcal N(\tilde w, \sigma^2 I)` from
    :math:`\mathcal N(0, \sigma^2 I)` is :math:`|\tilde w|^2/(2\sigma^2)` with the layer-balanced weights
    :math:`\tilde W_i = \beta W_i/\|W_i\|_2` (the same function).

    References
    ----------
    Neyshabur, Bhojanapalli & Srebro (2018), "A PAC-Bayesian approach to spectrally-normalized margin
    bounds for neural networks", ICLR (main theorem and its two lemmas); Tropp (2012), "User-friendly tail
    bounds for sums of random matrices", Found. Comput. Math. 12 (Gaussian series); McAllester (2003),
    "Simplified PAC-Bayesian margin bounds", COLT.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> from radbound.pacbayes import pac_bayes_spectral_bound
    >>> rng = np.random.default_rng(0)
    >>> net = Network.from_arrays([rng.normal(size=(8, 5)), rng.normal(size=(3, 8))])
    >>> X, y = rng.normal(size=(200, 5)), rng.integers(0, 3, 200)
    >>> b = pac_bayes_spectral_bound(net, X, y, input_radius=6.0)
    >>> bool(b.value > 1.0), b.status             # vacuous at this size, like every norm bound
    (True, 'derived')
    """
    from ..networks.norms import network_norms

    weights, biases = _dense_weights(net)
    arr = as_real_array(X.detach().cpu().numpy() if hasattr(X, "detach") else X, "X")
    if arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    X = check_matrix(arr, "X", allow_torch=False)
    if X.shape[1] != net.input_dim:
        raise ValueError(
            f"X must have {net.input_dim} columns (the network's input dimension), got {X.shape[1]}"
        )
    m = X.shape[0]
    if m < 2:
        raise ValueError(f"X must hold at least 2 samples (the bound divides by m - 1), got {m}")
    k_out = weights[-1].shape[0]
    if k_out < 2:
        raise ValueError(f"the network must have at least 2 outputs (classes), got {k_out}")
    labels, _ = check_multiclass_labels(y, m, n_classes=k_out, limit_to_n=False)
    B = check_positive(input_radius, "input_radius")
    largest = float(np.sqrt(np.einsum("ij,ij->i", X, X).max()))
    if largest > B * (1 + 1e-12):
        raise ValueError(
            f"input_radius must bound every input norm: the sample has ||x||_2 = {largest!r} > {B!r}"
        )
    delta = check_probability(delta, "delta")
    if margin is not None:
        margins_grid = (check_positive(margin, "margin"),)
    else:
        margins_grid = MARGIN_GRID

    folded, was_folded = _fold_biases(weights, biases)
    B_eff = math.sqrt(B * B + 1.0) if was_folded else B
    from ..networks.layers import Network

    norms = network_norms(Network.from_arrays(folded))
    s = norms.spectral
    F = norms.frobenius
    d = len(folded)
    h = max(max(w.shape) for w in folded)
    if np.any(s <= 0):
        raise ValueError("every weight matrix must be non-zero (a zero layer makes the network constant)")
    log_beta = float(np.mean(np.log(s)))
    beta = math.exp(log_beta)
    ratio = float(np.sum((F / s) ** 2))
    J_beta = int(math.floor(math.log(math.sqrt(m)) / (d * math.log1p(1.0 / d)))) + 1
    J_gamma = len(margins_grid)

    out = net.forward(X)
    rows = np.arange(m)
    true = out[rows, labels]
    others = out.copy()
    others[rows, labels] = -np.inf
    M = true - others.max(axis=1)

    best: tuple[float, dict[str, float], bool] | None = None
    for gamma in margins_grid:
        try:
            beta0 = (gamma / (2.0 * B_eff)) ** (1.0 / d)
            step = math.log1p(1.0 / d)
            j = math.floor((log_beta - math.log(beta0)) / step)
        except (OverflowError, ZeroDivisionError, ValueError):  # this margin is beyond the float range
            continue
        in_range = 0 <= j <= J_beta - 1
        cand = {
            "L_gamma": float(np.mean(M <= gamma)),
            "d": float(d),
            "B": B_eff,
            "h": float(h),
            "beta_t": beta0 * math.exp(j * step) if in_range else beta,
            "beta": beta,
            "gamma": gamma,
            "R": ratio,
            "m": float(m),
            "J": float(J_beta * J_gamma),
            "delta": delta,
        }
        try:
            total = sum(_spectral_terms(NUM, **cand).values())
        except (OverflowError, ZeroDivisionError, ValueError):
            continue
        if math.isfinite(total) and (best is None or total < best[0]):
            best = (total, cand, in_range)
    if best is None:
        raise OverflowError(
            f"the bound is beyond the float range at every margin {list(margins_grid)[:5]} with "
            f"input_radius={input_radius!r} and delta={delta!r}: input_radius or margin too large or too "
            "small, or delta too small"
        )
    _, inputs, in_range = best

    notes = [
        f"Bounds the natural 0-1 risk of the deterministic network; d = {d} layers, h = {h}, "
        f"B = {B_eff:.6g}" + (" (biases folded: sqrt(B^2 + 1))" if was_folded else ""),
        f"beta grid of J_beta = {J_beta} points"
        + ("" if in_range else "; beta outside the grid's range: the bound exceeds 1 and holds trivially"),
        "margin chosen from a grid of 121 fixed values (union bound)"
        if margin is None
        else "the margin must have been fixed before seeing the sample",
        "constants made explicit from the paper's proof (derived)",
    ]
    return build_bound(
        _spectral_terms,
        inputs,
        constants={
            "c_sigma": float(C_SIGMA),
            "c_lemma": 4.0,
            "J_beta": float(J_beta),
            "J_gamma": float(J_gamma),
        },
        reference=(
            "Neyshabur, Bhojanapalli & Srebro (2018), ICLR, PAC-Bayesian spectrally-normalized margin bound "
            "(constants from its proof)"
        ),
        status="derived",
        kind="upper",
        name="pac-bayes-spectral",
        notes="; ".join(notes),
    )
