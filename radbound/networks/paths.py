r"""Path norms of ReLU networks (Neyshabur, Tomioka & Srebro 2015), as measures.

A *path* of a network :math:`A_L \rho(\cdots \rho(A_1 x))` goes from an input unit :math:`i_0`
through one unit per layer to an output unit :math:`i_L`, along the entries
:math:`(A_1)_{i_1 i_0}, (A_2)_{i_2 i_1}, \dots, (A_L)_{i_L i_{L-1}}` of the layer operators (for a
convolution: of its unrolled matrix). The :math:`\ell_p` path norm is

.. math::
    \phi_p(f) = \Big(\sum_{\text{paths}} \prod_{h=1}^L |(A_h)_{i_h i_{h-1}}|^p\Big)^{1/p}
    = \big(\mathbf 1^\top |A_L|^{\circ p} \cdots |A_1|^{\circ p}\, \mathbf 1\big)^{1/p},

(:math:`|A|^{\circ p}` entry-wise), computed by one forward pass of the all-ones input through the
network with its weights replaced by :math:`|A_h|^{\circ p}` and the ReLUs by identities: no path
is enumerated. It is invariant under the rescalings :math:`A_h \to c A_h`, :math:`A_{h+1} \to
A_{h+1}/c` (:math:`c > 0`) that leave a ReLU network's function unchanged, unlike products of layer
norms, which is why it is studied as a capacity measure: :math:`\phi_1` bounds the output,
:math:`|f(x)| \le \phi_1(f)\,\|x\|_\infty` for every output unit summed, and the :math:`\ell_1` path
norm controls the Rademacher complexity of ReLU networks (Neyshabur, Tomioka & Srebro 2015), the
:math:`\ell_1` geometry that the adversarial bounds of Yin, Ramchandran & Bartlett (2019) single out.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._validation import check_positive
from .layers import Conv2d, Dense, Flatten, Network, ReLU

__all__ = ["path_norm"]


def path_norm(net: Network, *, p: float = 1.0, bias: bool = False) -> float:
    r"""The :math:`\ell_p` path norm of a ReLU network.

    .. math::
        \phi_p(f) = \Big(\sum_{i_0, \dots, i_L} \prod_{h=1}^L |(A_h)_{i_h i_{h-1}}|^p\Big)^{1/p}
        = \big(\mathbf 1^\top |A_L|^{\circ p} \cdots |A_1|^{\circ p}\, \mathbf 1\big)^{1/p},

    the sum over all paths from an input unit to an output unit (all outputs summed), :math:`A_h` the
    operators of the weighted layers (a convolution as its unrolled matrix, so a kernel entry counts
    once per position it is applied at). With ``bias=True`` every bias :math:`b_{h,j}` is an edge from
    an always-on unit: :math:`v_h = |A_h|^{\circ p} v_{h-1} + |b_h|^{\circ p}`, :math:`v_0 = \mathbf 1`,
    :math:`\phi_p = (\mathbf 1^\top v_L)^{1/p}`.

    Parameters
    ----------
    net : Network
        Dense and Conv2d layers, ReLU and Flatten (max-pooling has no path decomposition: rejected).
    p : float
        :math:`p \ge 1` (default 1, the :math:`\ell_1` path norm).
    bias : bool
        Count the biases as paths (default False: the biases are left out).

    Returns
    -------
    float

    Notes
    -----
    Computed by one forward pass of :math:`\mathbf 1` through the network with weights
    :math:`|A_h|^{\circ p}` (``linear_only``, no activation): every intermediate vector is the sum over
    partial paths ending at each unit, so the cost is that of one inference, whatever the number of
    paths. Invariant under the positive rescalings of consecutive layers that leave a ReLU network's
    function unchanged.

    References
    ----------
    Neyshabur, Tomioka & Srebro (2015), "Norm-based capacity control in neural networks", COLT
    (path-regularizers, the :math:`\ell_p` path norm); Neyshabur, Salakhutdinov & Srebro (2015),
    "Path-SGD", NeurIPS (the forward-pass computation).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network, path_norm
    >>> net = Network.from_arrays([np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([[3.0, -1.0]])])
    >>> # paths: 3*1 + 3*2 + 1*0.5 + 1*0 = 9.5
    >>> bool(np.isclose(path_norm(net), 9.5))
    True
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a radbound.networks.Network, got {type(net).__name__}")
    p = check_positive(p, "p")
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a real number in [1, inf), got {type(p).__name__} {p!r}")
    p = float(p)
    if not (p >= 1.0) or math.isinf(p):
        raise ValueError(f"p must be in [1, inf), got {p!r}")
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    for h, layer in enumerate(net.layers):
        if not isinstance(layer, (Dense, Conv2d, ReLU, Flatten)):
            raise ValueError(
                f"net layer {h} is {type(layer).__name__}: path norms are defined for networks of Dense / "
                "Conv2d layers with ReLU (and Flatten); max-pooling has no path decomposition"
            )
    v = np.ones(net.input_shape)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # checked below
        v = _path_sums(net, v, p, bias)
    total = float(np.sum(v))
    if not math.isfinite(total) or (total == 0.0 and any(np.any(w != 0) for w in _weights(net))):
        raise OverflowError(
            f"p={p!r} too large for these weights: the path products |w|**p leave the float range "
            f"(their sum is {total!r}); use a smaller p"
        )
    return float(total ** (1.0 / p))


def _weights(net: Network) -> list[np.ndarray]:
    return [layer.weight for layer in net.layers if isinstance(layer, (Dense, Conv2d))]


def _path_sums(net: Network, v: np.ndarray, p: float, bias: bool) -> np.ndarray:
    """The forward pass of :func:`path_norm`: per output unit, the sum over paths of prod |w|**p."""
    for layer in net.layers:
        if isinstance(layer, Dense):
            v = (np.abs(layer.weight) ** p) @ v.reshape(-1)
            if bias and layer.bias is not None:
                v = v + np.abs(layer.bias) ** p
        elif isinstance(layer, Conv2d):
            abs_layer = dataclasses.replace(layer, weight=np.abs(layer.weight) ** p, bias=None)
            v = abs_layer.forward(v[None], linear_only=True)[0]
            if bias and layer.bias is not None:
                v = v + (np.abs(layer.bias) ** p)[:, None, None]
        elif isinstance(layer, Flatten):
            v = v.reshape(-1)
        # ReLU: paths pass through unchanged
    return v
