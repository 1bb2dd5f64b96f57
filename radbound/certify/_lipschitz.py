r"""The Lipschitz certificate: a global margin Lipschitz constant turns natural margins into certified ones.

If :math:`|\mathcal M(f(x), y) - \mathcal M(f(x'), y)| \le L \|x - x'\|_s` for every :math:`x, x', y`
and an :math:`\ell_r` perturbation of radius :math:`\epsilon` has :math:`\ell_s` norm at most
:math:`\epsilon D`, :math:`D = \max(1, d^{1/s - 1/r})`, then

.. math::
    \min_{\|x' - x\|_r \le \epsilon} \mathcal M(f(x'), y) \;\ge\; \mathcal M(f(x), y) - \tau,
    \qquad \tau = L \epsilon D .

The same shift holds for each pairwise specification :math:`f_y - f_k` (whose constant in the outputs
is :math:`\|e_y - e_k\|_2 = \sqrt 2` in :math:`\ell_2`, :math:`\|e_y - e_k\|_1 = 2` in
:math:`\ell_\infty`, at most the margin's). Constants of one network (:doc:`/theory/certified`):

* :math:`\ell_2`: every ReLU / Flatten is 1-Lipschitz, a max-pooling :math:`\sqrt N`-Lipschitz
  (product :math:`\rho`), a linear layer :math:`\|A_h\|_\sigma`-Lipschitz (certified upper values of
  :func:`radbound.networks.network_norms`), and the margin :math:`\sqrt 2`-Lipschitz in the outputs
  (1 for one output): :math:`L_2 = c_K \rho \prod_h s_h`. For :math:`K \ge 2` outputs also
  :math:`|\mathcal M(u) - \mathcal M(v)| \le 2\max_k |u_k - v_k|` and
  :math:`|f_k(x) - f_k(x')| \le \|a_k\|_2\, \rho \prod_{h < L} s_h \|x - x'\|_2` (:math:`a_k` the rows
  of the last layer; ReLU and max-pooling after it do not increase a coordinatewise difference), so
  :math:`L_2 = \rho \prod_{h<L} s_h \min(\sqrt 2 s_L, 2\max_k\|a_k\|_2)`.
* :math:`\ell_\infty`: :math:`\|A_h\|_{1,\infty}` (largest row :math:`\ell_1` norm) is the
  :math:`\ell_\infty \to \ell_\infty` operator norm, ReLU and max-pooling are 1-Lipschitz, and the
  margin is 2-Lipschitz (1 for one output): :math:`L_\infty = c_K \prod_h \|A_h\|_{1,\infty}`; every
  :math:`\ell_r` perturbation has :math:`\|\delta\|_\infty \le \epsilon` (:math:`D = 1`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..networks.layers import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU
from ..networks.norms import NetworkNorms, network_norms, row_norms
from ..results import MarginLipschitz

__all__ = ["network_margin_lipschitz", "check_lipschitz", "lipschitz_margins", "LIPSCHITZ_ROUNDING"]

#: Relative allowance when a given Lipschitz constant is compared with the network's certified one
#: (float64 rounding of products of norms; the certified spectral norms carry their own 1e-12).
LIPSCHITZ_ROUNDING = 1e-10


def _tail_is_coordinatewise(net: Network) -> bool:
    """True when the layers after the last weighted layer are ReLU / MaxPool2d / Flatten only."""
    i_last = net.weighted_layers[-1][0]
    return all(isinstance(layer, (ReLU, MaxPool2d, Flatten)) for layer in net.layers[i_last + 1 :])


def network_margin_lipschitz(
    net: Network, norm: float = 2.0, norms: NetworkNorms | None = None
) -> MarginLipschitz:
    r"""A certified Lipschitz constant of :math:`x \mapsto \mathcal M(f(x), y)` in :math:`\ell_2` or
    :math:`\ell_\infty` for one network (see the module docstring)."""
    if not net.weighted_layers:  # pragma: no cover - a Network always has a weighted layer
        raise ValueError("the network has no weighted layer")
    norms = network_norms(net) if norms is None else norms
    K = net.output_dim
    if math.isinf(norm):
        value = (1.0 if K == 1 else 2.0) * norms.lipschitz_linf * math.prod(norms.l1inf.tolist())
        return MarginLipschitz(value, math.inf, net.input_dim)
    s = norms.spectral_upper.tolist()
    body = norms.lipschitz_l2 * math.prod(s[:-1])
    last = s[-1]
    if K > 1:
        last = math.sqrt(2.0) * s[-1]
        if _tail_is_coordinatewise(net):
            i, layer = net.weighted_layers[-1]
            assert isinstance(layer, (Dense, Conv2d))
            rows = float(row_norms(layer, net.shapes[i]).max())
            last = min(last, 2.0 * rows)
    return MarginLipschitz(body * last, 2.0, net.input_dim)


def check_lipschitz(lipschitz: Any, net: Network, norms: NetworkNorms) -> MarginLipschitz:
    """A given constant: a MarginLipschitz of this input dimension, not below the network's own."""
    if not isinstance(lipschitz, MarginLipschitz):
        raise TypeError(
            "lipschitz must be None or a radbound.MarginLipschitz (e.g. bound.loss_class.lipschitz of a "
            f"spectral / golowich / neyshabur bound), got {type(lipschitz).__name__}"
        )
    if lipschitz.input_dim != net.input_dim:
        raise ValueError(
            f"lipschitz is for inputs of dimension {lipschitz.input_dim}, the network's is {net.input_dim}"
        )
    own = network_margin_lipschitz(net, lipschitz.norm, norms)
    if lipschitz.value < own.value * (1.0 - LIPSCHITZ_ROUNDING):
        s = "inf" if math.isinf(lipschitz.norm) else f"{lipschitz.norm:g}"
        raise ValueError(
            f"lipschitz={lipschitz.value!r} (l_{s}) is below the network's certified margin "
            "Lipschitz constant "
            f"{own.value!r}: it is not provably a Lipschitz constant of this network (a class built from "
            "estimated spectral norms may miss the network; build the bound with rigorous=True)"
        )
    return lipschitz


def lipschitz_margins(
    net: Network, X: np.ndarray, y: np.ndarray, binary: bool, eps: float, r: float, lipschitz: Any
) -> tuple[np.ndarray, np.ndarray, MarginLipschitz, float]:
    """(margins, pairwise, constant used, shift) on numpy float64 inputs ``X`` ``(n, *input_shape)``."""
    norms = network_norms(net)
    if lipschitz is None:  # the smaller shift of the two routes
        routes = [network_margin_lipschitz(net, nrm, norms) for nrm in (2.0, math.inf)]
        lip = min(routes, key=lambda c: c.shift(eps, r) if eps > 0 else c.value)
    else:
        lip = check_lipschitz(lipschitz, net, norms)
    tau = lip.shift(eps, r)
    out = net.forward(X)
    n = out.shape[0]
    if binary:
        pair = (y * out[:, 0] - tau)[:, None]
        return pair[:, 0], pair, lip, tau
    rows = np.arange(n)
    pair = out[rows, y][:, None] - out - tau
    pair[rows, y] = np.inf
    return pair.min(axis=1), pair, lip, tau
