r"""Certified lower bounds on the adversarial margin of a network: IBP, CROWN and the SDP certificate.

For a network :math:`f` with :math:`K` outputs, a sample :math:`(x, y)` and the threat set
:math:`\mathcal S = B_r(x, \epsilon)` (optionally intersected with a box :math:`[lo, hi]^d`), every
function here returns a number :math:`m` with

.. math::
    m \;\le\; \min_{x' \in \mathcal S} \Big( f_y(x') - \max_{k \ne y} f_k(x') \Big),

so :math:`m > 0` *certifies* that no perturbation in :math:`\mathcal S` changes the prediction.
A network with one output is a binary classifier with labels in {-1, +1} and margin
:math:`y f(x')`. The margin specification :math:`c_k = e_y - e_k` is folded into the last linear
layer (elision, Gowal et al. 2018), so an affine model is certified exactly by every method.

Methods (:doc:`/theory/certified`):

* ``"ibp"`` -- interval bound propagation: boxes pushed through the layers by interval arithmetic
  (the first linear layer is bounded exactly on :math:`\mathcal S`).
* ``"crown"`` -- backward propagation of linear bounds (Zhang et al. 2018): each ReLU with
  pre-activation bounds :math:`l < 0 < u` is enclosed between :math:`\alpha z` and
  :math:`u (z - l)/(u - l)`, max-pooling between one window entry and a linear or constant upper
  bound, and the resulting linear function of :math:`x'` is minimised over :math:`\mathcal S` in
  closed form. Pre-activation bounds come from CROWN itself or from IBP (``intermediate``).
  The reported margin is the larger of the CROWN and the IBP bound (both are sound), so CROWN is
  never looser than IBP.
* ``"sdp"`` -- the Raghunathan-Steinhardt-Liang certificate (:mod:`radbound.networks.sdp`) for
  one-hidden-layer networks, one SDP per pair of classes.
* ``"lipschitz"`` -- the natural margin minus :math:`\tau = L\epsilon D`, :math:`L` a certified
  Lipschitz constant of the margin map (from the certified norms of the layers), any architecture.
  Loose, but the same shift for every sample: the certificate that pairs with the natural-class
  network bounds (:ref:`theory-lipschitz-adversarial`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._backend import get_backend
from .._lp import dual_exponent, norm
from .._validation import (
    check_binary_labels,
    check_choice,
    check_clip,
    check_exponent,
    check_int,
    check_multiclass_labels,
    check_nonnegative,
    is_torch_tensor,
)
from ..attacks import check_ball
from ..networks.layers import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU
from ..results import MarginLipschitz
from ._layers import LayerOps
from ._lipschitz import lipschitz_margins
from ._models import as_network, is_affine, model_labels, prepare_inputs, real_array

__all__ = ["CertifiedMargins", "certify", "certified_margins"]

_METHODS = ("crown", "ibp", "sdp", "lipschitz")
_INTERMEDIATE = ("auto", "crown", "ibp")
_SLOPES = ("adaptive", "zero", "parallel")
#: "auto" runs CROWN on a pre-activation layer when its backward passes cost at most this many
#: multiply-adds per sample (2 x units x the cost of the layers below), IBP otherwise.
AUTO_CROWN_BUDGET = 5e7
#: memory budget (bytes) of the largest coefficient array of one chunk of samples
_MEMORY_BUDGET = 256 * 2**20


@dataclass(frozen=True)
class CertifiedMargins:
    r"""Certified lower bounds on the adversarial margins of a sample: the result of :func:`certify`.

    Attributes
    ----------
    margins : ndarray or Tensor, shape (n,)
        :math:`m_i \le \min_{x' \in \mathcal S_i} M(f(x'), y_i)`; ``m_i > 0`` certifies sample i.
    pairwise : ndarray or Tensor, shape (n, K)
        Lower bounds on :math:`f_{y_i}(x') - f_k(x')` for each class k (``+inf`` at :math:`k = y_i`);
        binary models: shape (n, 1), the bound on :math:`y_i f(x')`.
    method : str
        ``"ibp"``, ``"crown"``, ``"sdp"`` or ``"lipschitz"``.
    eps : float
        Attack radius :math:`\epsilon`.
    attack_norm : float
        The attack norm r.
    clip : (float, float) or None
        The box intersected with the ball, if any.
    exact : bool
        True when the margins are the exact worst case (affine models, every method).
    intermediate : tuple of str
        For each pre-activation layer (input of a ReLU / max-pooling fed by a linear layer), how its
        bounds were obtained: ``"first-layer"`` (exact on the threat set), ``"ibp"`` or ``"crown"``.
    lower_slope : str or None
        The CROWN ReLU lower slope rule (None for other methods).
    lipschitz : MarginLipschitz or None
        ``"lipschitz"`` only: the Lipschitz constant of the margin map used (value, input norm).
    shift : float or None
        ``"lipschitz"`` only: :math:`\tau = L\epsilon D`, subtracted from every natural margin.
    """

    margins: Any
    pairwise: Any = field(repr=False)
    method: str
    eps: float
    attack_norm: float
    clip: tuple[float, float] | None
    exact: bool
    intermediate: tuple[str, ...] = ()
    lower_slope: str | None = None
    lipschitz: MarginLipschitz | None = None
    shift: float | None = None

    @property
    def certified(self) -> Any:
        """Boolean mask of the certified samples (margin > 0)."""
        return self.margins > 0

    @property
    def certified_accuracy(self) -> float:
        """Fraction of certified samples: a lower bound on the robust accuracy on this sample."""
        return float((self.margins > 0).sum()) / int(self.margins.shape[0])

    @property
    def statement(self) -> str:
        """What was certified, in words."""
        r = "inf" if math.isinf(self.attack_norm) else f"{self.attack_norm:g}"
        where = f"||x' - x_i||_{r} <= {self.eps:g}"
        if self.clip is not None:
            where += f" and x' in [{self.clip[0]:g}, {self.clip[1]:g}]^d"
        how = "exactly" if self.exact else f"by {self.method.upper()}"
        return f"for every sample i and every x' with {where}: margin(x', y_i) >= margins[i] ({how})"

    def __len__(self) -> int:
        return int(self.margins.shape[0])

    def __repr__(self) -> str:
        r = "inf" if math.isinf(self.attack_norm) else f"{self.attack_norm:g}"
        return (
            f"CertifiedMargins({self.method}, eps={self.eps:g}, l_{r}"
            f"{'' if self.clip is None else f', clip={self.clip}'}: "
            f"{self.certified_accuracy:.4g} certified of {len(self)}{', exact' if self.exact else ''})"
        )


# ---------------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------------


def _labels(net: Network, y: Any, n: int) -> tuple[np.ndarray, bool]:
    K = net.output_dim
    if K == 1:
        return check_binary_labels(y, n), True
    if K < 2:  # pragma: no cover - output_dim >= 1 always
        raise ValueError(f"net must have at least one output, got {K}")
    labels, _ = check_multiclass_labels(y, n, n_classes=K, limit_to_n=False)
    return labels, False


# ---------------------------------------------------------------------------------------------------
# the threat set
# ---------------------------------------------------------------------------------------------------
class _ThreatSet:
    r""":math:`B_r(x_0, \epsilon) \cap [lo, hi]^d` for a chunk of centres ``x0`` ``(B, *input_shape)``."""

    def __init__(self, nx: Any, x0: Any, eps: float, p: float, clip: tuple[float, float] | None) -> None:
        self.nx, self.x0, self.eps, self.p, self.q = nx, x0, eps, p, dual_exponent(p)
        lo, hi = x0 - eps, x0 + eps  # the box that encloses every l_p ball of radius eps
        if clip is not None:
            lo, hi = nx.maximum(lo, clip[0]), nx.minimum(hi, clip[1])
        self.lo, self.hi = lo, hi
        self.use_ball = not math.isinf(p)
        self.use_box = math.isinf(p) or clip is not None
        self.uniform = clip is None  # the box is x0 +- eps

    def concretize(self, lam: Any, const: Any) -> Any:
        r"""Lower bound of :math:`\langle \Lambda_s, x\rangle + c_s` over the set, ``lam`` ``(B, S, *in)``.

        The box alone is exact for :math:`r = \infty`; the ball alone for :math:`r < \infty` without
        clip; with both, the larger of the two lower bounds (each valid on the intersection).
        """
        nx = self.nx
        B, S = lam.shape[0], lam.shape[1]
        A = lam.reshape(B, S, -1)
        best = None
        if self.use_ball:
            x0 = self.x0.reshape(B, -1, 1)
            best = (A @ x0)[..., 0] - self.eps * norm(A, self.q, axis=-1)
        if self.use_box:
            mid = ((self.lo + self.hi) / 2).reshape(B, -1, 1)
            rad = ((self.hi - self.lo) / 2).reshape(B, -1, 1)
            box = (A @ mid)[..., 0] - (nx.abs(A) @ rad)[..., 0]
            best = box if best is None else nx.maximum(best, box)
        return best + const


def _interval_concretize(nx: Any, lam: Any, const: Any, lo: Any, hi: Any) -> Any:
    """Lower bound of <lam, h> + const over the box lo <= h <= hi (interval arithmetic)."""
    B, S = lam.shape[0], lam.shape[1]
    A = lam.reshape(B, S, -1)
    mid = ((lo + hi) / 2).reshape(B, -1, 1)
    rad = ((hi - lo) / 2).reshape(B, -1, 1)
    return (A @ mid)[..., 0] - (nx.abs(A) @ rad)[..., 0] + const


# ---------------------------------------------------------------------------------------------------
# bound propagation on one chunk of samples
# ---------------------------------------------------------------------------------------------------
class _Propagation:
    """IBP forward sweep, CROWN backward passes and their relaxations for one chunk of samples."""

    def __init__(self, ops: LayerOps, tset: _ThreatSet, *, intermediate: tuple[str, ...], slope: str):
        self.ops, self.nx, self.tset = ops, ops.nx, tset
        self.layers = ops.net.layers
        self.shapes = ops.shapes
        self.B = tset.x0.shape[0]
        self.slope = slope
        self.pre: dict[int, tuple[Any, Any]] = {}  # input bounds of each ReLU / MaxPool2d layer
        self.relax: dict[int, tuple[Any, ...]] = {}
        self.box_at: list[Any] = []  # input bounds of every layer ("input" for the threat set)
        self._forward(intermediate)

    # -- forward sweep ------------------------------------------------------------------------------
    def _first_linear(self, i: int) -> tuple[Any, Any]:
        """Exact per-unit bounds of linear layer ``i`` applied to the threat set."""
        ops, nx, ts = self.ops, self.nx, self.tset
        centre = ops.linear(i, ts.x0)
        lo = hi = None
        # without clip the box is the l_inf ball: its exact bound uses the row l1 norms (no second
        # pass over the data); the ball of another norm uses the dual norm of each row.
        q = ts.q if ts.use_ball else (1.0 if ts.uniform else None)
        norms = ops.row_norms(i, q) if q is not None else None
        if norms is not None:
            lo, hi = centre - ts.eps * norms, centre + ts.eps * norms
        if (ts.use_box and not ts.uniform) or norms is None:
            l2, u2 = self._interval_linear(i, ts.lo, ts.hi)
            lo = l2 if lo is None else nx.maximum(lo, l2)
            hi = u2 if hi is None else nx.minimum(hi, u2)
        return lo, hi

    def _interval_linear(self, i: int, lo: Any, hi: Any) -> tuple[Any, Any]:
        """Interval arithmetic: centre through the layer, radius through its absolute value."""
        centre = lo + hi
        centre *= 0.5
        radius = hi - lo
        radius *= 0.5
        mid = self.ops.linear(i, centre)
        rad = self.ops.linear(i, radius, bias=False, absolute=True)
        low = mid - rad
        mid += rad  # in place: mid is a fresh array
        return low, mid

    def _forward(self, intermediate: tuple[str, ...]) -> None:
        nx = self.nx
        state: Any = "input"
        k = 0  # index into intermediate
        self.intermediate: list[str] = []
        prev_linear_from_input = False
        prev_kind = None
        for i, layer in enumerate(self.layers):
            self.box_at.append(state)
            if isinstance(layer, Flatten):
                if state != "input":
                    state = (state[0].reshape(self.B, -1), state[1].reshape(self.B, -1))
                continue
            if isinstance(layer, (Dense, Conv2d)):
                prev_linear_from_input = state == "input"
                state = self._first_linear(i) if state == "input" else self._interval_linear(i, *state)
                prev_kind = "linear"
                continue
            # ReLU or MaxPool2d
            if state == "input":
                state = (self.tset.lo, self.tset.hi)
            elif prev_kind == "linear":
                if prev_linear_from_input:
                    how = "first-layer"
                else:
                    how, k = intermediate[k], k + 1
                if how == "crown":
                    lc, uc = self._crown_bounds(i)
                    state = (nx.maximum(state[0], lc), nx.minimum(state[1], uc))
                self.intermediate.append(how)
            self.pre[i] = state
            if isinstance(layer, ReLU):
                state = (nx.maximum(state[0], 0.0), nx.maximum(state[1], 0.0))
            else:
                state = (self.ops.pool_max(i, state[0]), self.ops.pool_max(i, state[1]))
            prev_kind = "nonlinear"
        self.box_at.append(state)

    def _crown_bounds(self, i: int) -> tuple[Any, Any]:
        """CROWN bounds on the input of layer ``i`` (identity specifications, chunked)."""
        nx = self.nx
        shape = self.shapes[i]
        N = int(np.prod(shape))
        width = max(int(np.prod(s)) for s in self.shapes[: i + 1])
        item = 8
        chunk = max(1, min(2 * N, _MEMORY_BUDGET // (6 * item * width * self.B)))
        lows: list[Any] = []
        highs: list[Any] = []
        for sign, out in ((1.0, lows), (-1.0, highs)):
            for start in range(0, N, chunk):
                stop = min(N, start + chunk)
                eye = nx.zeros((stop - start, N))
                eye[nx.arange(stop - start), nx.arange(stop - start) + start] = sign
                lam = self._broadcast(eye.reshape(stop - start, *shape))
                out.append(sign * self._backward(lam, i - 1))
        lo = nx.concatenate(lows, axis=1).reshape(self.B, *shape)
        hi = nx.concatenate(highs, axis=1).reshape(self.B, *shape)
        return lo, hi

    def _broadcast(self, spec: Any) -> Any:
        """A specification ``(S, *shape)`` repeated for every sample of the chunk: ``(B, S, *shape)``."""
        nx = self.nx
        rep = nx.zeros((self.B, *spec.shape), dtype=spec.dtype if hasattr(spec, "dtype") else None)
        rep[...] = spec
        return rep

    # -- relaxations ---------------------------------------------------------------------------------
    def _relaxation(self, i: int) -> tuple[Any, ...]:
        if i not in self.relax:
            self._relax(i)
        return self.relax[i]

    def _relax(self, i: int) -> None:
        nx = self.nx
        lo, hi = self.pre[i]
        if isinstance(self.layers[i], ReLU):
            unstable = (lo < 0) & (hi > 0)
            active = _as_float(nx, lo >= 0, lo)
            denom = nx.where(unstable, hi - lo, 1.0)
            s_up = nx.where(unstable, hi / denom, active)
            t_up = nx.where(unstable, -s_up * lo, 0.0)
            if self.slope == "adaptive":
                a_unstable = _as_float(nx, hi >= -lo, lo)
            elif self.slope == "zero":
                a_unstable = nx.zeros(lo.shape, dtype=lo.dtype)
            else:  # parallel: the upper slope
                a_unstable = s_up
            alpha = nx.where(unstable, a_unstable, active)
            self.relax[i] = (alpha, s_up, t_up)
            return
        # MaxPool2d: y >= z_j, j the window entry with the largest lower bound (DeepPoly); above,
        # y <= max_i u_i or y <= z_j + (max_{i != j} u_i - l_j)_+, whichever has the smaller mean
        # over [l_j, u_j] ("zero": the constant unless the slope-one bound is exact, gap 0).
        L = self.ops.pool_windows(i, lo)
        U = self.ops.pool_windows(i, hi)
        j = nx.argmax(L, axis=-1)
        jj = j[..., None]
        l_j = nx.take_along_axis(L, jj, axis=-1)[..., 0]
        u_j = nx.take_along_axis(U, jj, axis=-1)[..., 0]
        T = L.shape[-1]
        if T > 1:
            onehot = jj == nx.arange(T).reshape(*([1] * (U.ndim - 1)), T)
            M = nx.max(nx.where(onehot, -math.inf, U), axis=-1)
            gap = nx.maximum(M - l_j, 0.0)
            const = nx.max(U, axis=-1)
        else:
            gap = nx.zeros(l_j.shape, dtype=l_j.dtype)
            const = u_j
        if self.slope == "zero":
            use_slope = gap <= 0
        else:
            use_slope = (l_j + u_j) / 2 + gap <= const
        s_up = _as_float(nx, use_slope, gap)
        t_up = nx.where(use_slope, gap, const)
        self.relax[i] = (j, s_up, t_up)

    # -- backward pass -------------------------------------------------------------------------------
    def _backward(self, lam: Any, start: int) -> Any:
        r"""Lower bounds ``(B, S)`` of :math:`\langle\Lambda_s, h_{start+1}\rangle` over the threat set.

        ``lam`` ``(B, S, *shapes[start + 1])`` is pushed back through layers ``start, ..., 0``.
        """
        nx, ops = self.nx, self.ops
        B, S = lam.shape[0], lam.shape[1]
        const = nx.zeros((B, S), dtype=lam.dtype)
        for i in range(start, -1, -1):
            layer = self.layers[i]
            if isinstance(layer, Flatten):
                lam = lam.reshape(B, S, *self.shapes[i])
            elif isinstance(layer, (Dense, Conv2d)):
                const = const + ops.bias_dot(i, lam)
                lam = ops.adjoint(i, lam.reshape(B * S, *self.shapes[i + 1])).reshape(B, S, *self.shapes[i])
            elif isinstance(layer, ReLU):
                alpha, s_up, t_up = self._relaxation(i)
                const = const + self._dot_negative(lam, t_up)
                lam = nx.where(lam >= 0, alpha[:, None], s_up[:, None]) * lam
            else:  # MaxPool2d
                j, s_up, t_up = self._relaxation(i)
                const = const + self._dot_negative(lam, t_up)
                coef = nx.where(lam >= 0, 1.0, s_up[:, None]) * lam
                choice = self._repeat(j, S)
                coef = coef.reshape(B * S, *self.shapes[i + 1])
                lam = ops.pool_scatter(i, coef, choice).reshape(B, S, *self.shapes[i])
        return self.tset.concretize(lam, const)

    def _dot_negative(self, lam: Any, t: Any) -> Any:
        """``sum_units min(lam, 0) * t`` per sample and specification: ``(B, S)``."""
        B, S = lam.shape[0], lam.shape[1]
        neg = self.nx.minimum(lam, 0.0).reshape(B, S, -1)
        return (neg @ t.reshape(B, -1, 1))[..., 0]

    def _repeat(self, a: Any, S: int) -> Any:
        """``a`` ``(B, *shape)`` repeated for S specifications: ``(B * S, *shape)``."""
        nx = self.nx
        if nx.name == "torch":
            return a.repeat_interleave(S, dim=0)
        return np.repeat(a, S, axis=0)

    # -- the margin specification ----------------------------------------------------------------------
    def crown(self, C: Any) -> Any:
        """CROWN lower bounds ``(B, S)`` of ``C f(x')`` for ``C`` ``(B, S, K)``."""
        return self._backward(C.reshape(self.B, C.shape[1], *self.shapes[-1]), len(self.layers) - 1)

    def ibp(self, C: Any) -> Any:
        """IBP lower bounds ``(B, S)`` of ``C f(x')`` with ``C`` folded into the last linear layer."""
        nx, ops = self.nx, self.ops
        B, S = self.B, C.shape[1]
        lam = C.reshape(B, S, *self.shapes[-1])
        const = nx.zeros((B, S), dtype=lam.dtype)
        i = len(self.layers) - 1
        while i >= 0 and isinstance(self.layers[i], Flatten):
            lam = lam.reshape(B, S, *self.shapes[i])
            i -= 1
        if i >= 0 and isinstance(self.layers[i], (Dense, Conv2d)):
            const = const + ops.bias_dot(i, lam)
            lam = ops.adjoint(i, lam.reshape(B * S, *self.shapes[i + 1])).reshape(B, S, *self.shapes[i])
            box = self.box_at[i]
        else:
            box = self.box_at[i + 1]
        if box == "input":
            return self.tset.concretize(lam, const)
        return _interval_concretize(nx, lam, const, box[0], box[1])


def _as_float(nx: Any, mask: Any, like: Any) -> Any:
    """A boolean mask as 0.0 / 1.0 in the dtype of ``like``."""
    return mask.to(like.dtype) if nx.name == "torch" else mask.astype(like.dtype)


def _plan_intermediate(net: Network, intermediate: str) -> tuple[str, ...]:
    """The bound method of every pre-activation layer that is not the first linear layer's output."""
    plan = []
    cost = 0.0
    at_input, from_input = True, False
    prev = None
    for i, layer in enumerate(net.layers):
        size = int(np.prod(net.shapes[i + 1]))
        if isinstance(layer, Dense):
            cost += layer.weight.size
        elif isinstance(layer, Conv2d):
            cost += size * layer.weight[0].size
        else:
            cost += size
        if isinstance(layer, (ReLU, MaxPool2d)):
            if prev == "linear" and not from_input:
                units = int(np.prod(net.shapes[i]))
                if intermediate == "auto":
                    plan.append("crown" if 2 * units * cost <= AUTO_CROWN_BUDGET else "ibp")
                else:
                    plan.append(intermediate)
            at_input = False
            prev = "nonlinear"
        elif isinstance(layer, (Dense, Conv2d)):
            from_input, at_input = at_input, False
            prev = "linear"
    return tuple(plan)


def _specifications(nx: Any, y: Any, K: int, binary: bool, dtype: Any) -> tuple[Any, Any]:
    """Rows ``e_y - e_k`` (k != y) per sample, ``(B, K - 1, K)``, and the classes k ``(B, K - 1)``."""
    B = y.shape[0]
    if binary:
        return nx.asarray(y, dtype=dtype).reshape(B, 1, 1), None
    eye = np.eye(K)
    others = np.array([[k for k in range(K) if k != int(c)] for c in y], dtype=np.int64).reshape(B, K - 1)
    C = eye[y][:, None, :] - eye[others]
    return nx.asarray(C, dtype=dtype), others


# ---------------------------------------------------------------------------------------------------
# the SDP route
# ---------------------------------------------------------------------------------------------------
def _sdp_margins(net: Network, Xf: np.ndarray, y: np.ndarray, binary: bool, eps: float, solver: str):
    from ..networks.sdp import _one_hidden, sdp_certificate, sdp_matrix

    W, _, V, _ = _one_hidden(net)
    out = net.forward(Xf)
    n = Xf.shape[0]
    cache: dict[Any, float] = {}

    def penalty(c: np.ndarray) -> float:
        key = tuple(np.round(c, 12))
        if key not in cache:
            cache[key] = sdp_certificate(sdp_matrix(-(V.T @ c), W), solver=solver).certified
        return cache[key]

    if binary:
        pair = np.array([[y[i] * out[i, 0] - eps / 4 * penalty(np.array([y[i]]))] for i in range(n)])
        return pair[:, 0], pair
    K = V.shape[0]
    pair = np.full((n, K), np.inf)
    eye = np.eye(K)
    for i in range(n):
        for k in range(K):
            if k != y[i]:
                c = eye[y[i]] - eye[k]
                pair[i, k] = c @ out[i] - eps / 4 * penalty(c)
    return pair.min(axis=1), pair


# ---------------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------------
def certify(
    net: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    attack_norm: float = math.inf,
    method: str = "crown",
    clip: tuple[float, float] | None = None,
    intermediate: str = "auto",
    lower_slope: str = "adaptive",
    chunk_size: int | None = None,
    solver: str = "auto",
    lipschitz: MarginLipschitz | None = None,
) -> CertifiedMargins:
    r"""Certified lower bounds on the adversarial margin of each sample (IBP, CROWN or SDP).

    .. math::
        m_i \le \min_{x' \in \mathcal S_i} \Big( f_{y_i}(x') - \max_{k \ne y_i} f_k(x') \Big),
        \qquad \mathcal S_i = \{x' : \|x' - x_i\|_r \le \epsilon\} \; [\cap\, [lo, hi]^d],

    one bound per sample; :math:`m_i > 0` certifies that no :math:`x' \in \mathcal S_i` changes the
    prediction, :math:`m_i \le 0` certifies nothing. Binary models (one output, labels in {-1, +1}):
    the margin is :math:`y_i f(x')`. For each class :math:`k \ne y_i` the specification
    :math:`(e_{y_i} - e_k)^\top f` is folded into the last linear layer, bounded from below, and
    :math:`m_i` is the smallest of these bounds (``pairwise`` keeps them all).
    :func:`certified_margins` returns the margins :math:`m_i` alone; this function returns them
    with what was certified and how (a :class:`CertifiedMargins`).

    * ``"ibp"`` (Gowal et al. 2018): boxes through the layers; the first linear layer is bounded
      exactly on :math:`\mathcal S_i`, later ones by interval arithmetic
      (:math:`W` on the centre, :math:`|W|` on the radius), ReLU and max-pooling are monotone.
    * ``"crown"`` (Zhang et al. 2018): linear bounds pushed backward from the specification to the
      input; an unstable ReLU (:math:`l < 0 < u`) is enclosed by
      :math:`\alpha z \le \rho(z) \le \frac{u}{u - l}(z - l)`, with :math:`\alpha = \mathbb 1[u \ge -l]`
      (``lower_slope="adaptive"``), 0 (``"zero"``) or :math:`u/(u-l)` (``"parallel"``, the LP
      relaxation's slope, Wong & Kolter 2018); a max-pooling window by :math:`z_j \le \max_i z_i`
      (j the entry with the largest lower bound) and, above, by :math:`\max_i u_i` or
      :math:`z_j + (\max_{i\ne j} u_i - l_j)_+`, the one with the smaller mean over
      :math:`[l_j, u_j]` (``"zero"``: the constant unless the second is exact). With ``"zero"`` and
      IBP pre-activation bounds every backward step can only tighten the interval bound, so
      that CROWN provably dominates IBP. The linear function of :math:`x'` obtained is
      minimised over :math:`\mathcal S_i` in closed form
      (:math:`\langle a, x\rangle - \epsilon\|a\|_{r^*}` on the ball, the box rule on a box; with
      ``clip`` and :math:`r < \infty` the larger of the two). Pre-activation bounds: ``intermediate``.
      The returned bound is the larger of the CROWN and the IBP bound of each specification.
    * ``"sdp"``: :math:`f = V\rho(Wx + b_1) + b_2` only;
      :math:`c^\top f(x') \ge c^\top f(x) - \frac\epsilon4 \mathrm{SDP}(Q(-V^\top c, W))` with the
      solver's certified (dual) value, valid on the :math:`\ell_\infty` ball, hence on every smaller
      set (any :math:`r`, with or without clip).
    * ``"lipschitz"``: :math:`m_i = \mathcal M(f(x_i), y_i) - \tau`, :math:`\tau = L\epsilon D`, with
      :math:`L` a Lipschitz constant of the margin map in :math:`\ell_s` (:math:`s = 2`:
      :math:`c_K\rho\prod_h s_h` from the certified upper spectral norms, :math:`c_1 = 1`,
      :math:`c_K = \sqrt 2`, or :math:`2\max_k\|a_k\|_2` for the last layer when smaller;
      :math:`s = \infty`: :math:`c_K\prod_h\|A_h\|_{1,\infty}`, :math:`c_K = 2`) and
      :math:`D = \max(1, d^{1/s - 1/r})`; by default the route with the smaller shift, or the given
      ``lipschitz`` (which must not be below the network's own constant in its norm). Any architecture;
      one shift for all samples; not exact on affine models. It holds on the whole ball (``clip`` is
      accepted and ignored; the result records ``clip=None``).

    On affine models (a :class:`~radbound.train.LinearModel`, a pair ``(W, b)``, or a network without
    ReLU / max-pooling) every method returns the exact worst-case margin
    (:func:`radbound.attacks.adversarial_margins` without clip).

    Parameters
    ----------
    net : Network, LinearModel, (W, b) or torch nn.Sequential
        The classifier (see :mod:`radbound.certify`); layers Dense, Conv2d (zero or circular
        padding, any stride), ReLU, MaxPool2d (IBP and CROWN) and Flatten.
    X : array or Tensor, shape ``(n, d)`` or ``(n, *input_shape)``
        The centres :math:`x_i`. A torch tensor runs the computation in torch in its dtype on its
        device and returns tensors; numpy runs in float64.
    y : array of shape (n,)
        Labels 0..K-1 (the output rows), or {-1, +1} for a one-output network; a LinearModel's
        own class labels (its ``classes``) are mapped to rows.
    eps : float
        Attack radius :math:`\epsilon \ge 0`.
    attack_norm : float, default inf
        The attack norm r in [1, inf]. Conv2d first layers are exact for r in {1, 2, inf} and use
        the enclosing box (sound, looser) otherwise.
    method : {"crown", "ibp", "sdp", "lipschitz"}
    clip : (float, float) or None
        Intersect the ball with the box :math:`[lo, hi]^d` (e.g. ``(0, 1)`` for pixels); X must lie
        in the box.
    intermediate : {"auto", "crown", "ibp"}
        CROWN only: how pre-activation bounds of the hidden layers are obtained. ``"crown"`` runs a
        backward pass per hidden unit (the original CROWN; costly on convolutional layers),
        ``"ibp"`` uses IBP (CROWN-IBP), ``"auto"`` uses CROWN for a layer when that costs at most
        :data:`AUTO_CROWN_BUDGET` multiply-adds per sample and IBP otherwise. Bounds from CROWN are
        intersected with IBP's. The result records the choice per layer.
    lower_slope : {"adaptive", "zero", "parallel"}
        CROWN's ReLU lower slope, and the max-pooling upper bound (above).
    chunk_size : int or None
        Samples per chunk (default: what keeps the largest coefficient array near 256 MiB).
    solver : str
        SDP solver (see :func:`radbound.networks.sdp_certificate`).
    lipschitz : MarginLipschitz, optional
        ``"lipschitz"`` only: the constant to use, e.g. ``bound.loss_class.lipschitz`` of a
        :func:`radbound.bounds.spectral_bound` (the class's constant, so that the certified risk pairs
        with that bound in :func:`radbound.bounds.generalization`). Default: the network's own.

    Returns
    -------
    CertifiedMargins
        ``.margins`` (shape (n,), float64 for numpy inputs, a tensor for tensor inputs), the per-class
        bounds ``.pairwise``, ``.certified_accuracy``, ``.statement``, ``.exact`` and the bound method
        of each hidden layer ``.intermediate``.

    See Also
    --------
    certified_margins : the margins alone.

    References
    ----------
    Gowal, Dvijotham, Stanforth, Bunel, Qin, Uesato, Arandjelovic, Mann & Kohli (2018), "On the
    effectiveness of interval bound propagation for training verifiably robust models",
    arXiv:1810.12715 (IBP, elision of the last layer). Zhang, Weng, Chen, Hsieh & Daniel (2018),
    "Efficient neural network robustness certification with general activation functions", NeurIPS
    (CROWN, adaptive lower slope). Wong & Kolter (2018), "Provable defenses against adversarial
    examples via the convex outer adversarial polytope", ICML (the LP-dual view). Singh, Gehr, Püschel
    & Vechev (2019), "An abstract domain for certifying neural networks", POPL (max-pooling
    relaxation); Boopathy, Weng, Chen, Liu & Daniel (2019), "CNN-Cert", AAAI. Zhang, Chen, Xiao,
    Gowal, Stanforth, Li, Boning & Hsieh (2020), ICLR (CROWN-IBP). Raghunathan, Steinhardt & Liang
    (2018), ICLR (SDP). The Lipschitz certificate: Szegedy et al. (2014), ICLR (layer-wise operator
    norms), Tsuzuku, Sato & Sugiyama (2018), NeurIPS (the margin's :math:`\sqrt 2`). Derivations:
    :doc:`/theory/certified`.

    Examples
    --------
    On a linear model every method is exact:

    >>> import numpy as np
    >>> from radbound.attacks import adversarial_margins
    >>> from radbound.certify import certify
    >>> rng = np.random.default_rng(0)
    >>> W, b, X, y = rng.normal(size=(3, 5)), rng.normal(size=3), rng.normal(size=(4, 5)), [0, 1, 2, 0]
    >>> cm = certify((W, b), X, y, eps=0.1, method="ibp")
    >>> bool(np.allclose(cm.margins, adversarial_margins(W, b, X, y, eps=0.1), rtol=0, atol=1e-12))
    True
    >>> cm.exact, cm.pairwise.shape
    (True, (4, 3))
    """
    method = check_choice(method, "method", _METHODS)
    check_choice(solver, "solver", ("auto", "CLARABEL", "SCS"))
    eps = check_nonnegative(eps, "eps")
    p = check_exponent(attack_norm, "attack_norm")
    box = check_clip(clip)
    check_choice(intermediate, "intermediate", _INTERMEDIATE)
    check_choice(lower_slope, "lower_slope", _SLOPES)
    if chunk_size is not None:
        chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    if lipschitz is not None and method != "lipschitz":
        raise ValueError(f"lipschitz is an option of method='lipschitz', got method={method!r}")
    if lipschitz is not None and not isinstance(lipschitz, MarginLipschitz):
        raise TypeError(
            "lipschitz must be None or a radbound.MarginLipschitz (e.g. bound.loss_class.lipschitz), got "
            f"{type(lipschitz).__name__}"
        )
    check_choice(solver, "solver", ("auto", "CLARABEL", "SCS"))
    sample_shape = tuple(X.shape[1:]) if hasattr(X, "shape") else None
    y = model_labels(net, y)
    net = as_network(net, sample_shape)
    affine = is_affine(net)
    if method == "sdp" and not affine:
        layers = net.layers
        if not (
            len(layers) == 3
            and isinstance(layers[0], Dense)
            and isinstance(layers[1], ReLU)
            and isinstance(layers[2], Dense)
        ):
            raise ValueError(
                "method='sdp' needs a one-hidden-layer network [Dense, ReLU, Dense] on flat inputs "
                f"(use 'crown' or 'ibp' for other architectures), got {net!r}"
            )
    use_torch = is_torch_tensor(X) or is_torch_tensor(y)
    nx = get_backend(X if is_torch_tensor(X) else None, y if is_torch_tensor(y) else None)
    if not is_torch_tensor(X):
        X = real_array(X, "X")
    Xb, n = prepare_inputs(net, X)
    y_np, binary = _labels(net, y, n)
    if use_torch:
        Xt = nx.asarray(Xb)
        import torch

        if not bool(torch.isfinite(Xt).all()):
            raise ValueError("X must contain only finite values (found NaN or inf)")
    else:
        Xt = Xb
        if not np.isfinite(Xt).all():
            raise ValueError("X must contain only finite values (found NaN or inf)")
        check_ball(Xt, eps)
    if box is not None and (bool((Xt < box[0]).any()) or bool((Xt > box[1]).any())):
        raise ValueError(
            f"X must lie in the clip box [{box[0]}, {box[1]}], got values in "
            f"[{float(Xt.min())}, {float(Xt.max())}]"
        )
    K = net.output_dim
    if not binary and K < 2:  # pragma: no cover
        raise ValueError(f"net must have at least 2 outputs for class labels, got {K}")

    if method == "lipschitz":
        Xn = np.asarray(nx.to_numpy(Xt), dtype=np.float64)
        m, pair, lip, tau = lipschitz_margins(net, Xn, y_np, binary, eps, p, lipschitz)
        if use_torch:
            m, pair = nx.asarray(m, dtype=Xt.dtype), nx.asarray(pair, dtype=Xt.dtype)
        return CertifiedMargins(m, pair, "lipschitz", eps, p, None, eps == 0.0, (), None, lip, tau)

    if method == "sdp" and not affine:
        Xf = nx.to_numpy(Xt).reshape(n, -1)
        m, pair = _sdp_margins(net, Xf, y_np, binary, eps, solver)
        _check_finite(m, eps, Xf)
        if use_torch:
            m, pair = nx.asarray(m), nx.asarray(pair)
        return CertifiedMargins(m, pair, "sdp", eps, p, box, False, (), None)

    plan = _plan_intermediate(net, intermediate if method == "crown" else "ibp")
    S = 1 if binary else K - 1
    width = max(net.widths)
    if chunk_size is None:
        item = Xt.element_size() if use_torch else 8
        # CROWN holds ~6 coefficient arrays (S specifications) of the widest layer; IBP ~4 boxes
        per_sample = item * width * (6 * S if method == "crown" and not affine else 4)
        chunk_size = max(1, min(n, _MEMORY_BUDGET // per_sample))
    margins, pairs = [], []
    used: tuple[str, ...] = ()

    def run() -> None:
        nonlocal used
        ops = LayerOps(net, nx)
        for start in range(0, n, chunk_size):
            stop = min(n, start + chunk_size)
            x0 = Xt[start:stop]
            tset = _ThreatSet(nx, x0, eps, p, box)
            prop = _Propagation(ops, tset, intermediate=plan, slope=lower_slope)
            used = tuple(prop.intermediate)
            C, others = _specifications(nx, y_np[start:stop], K, binary, x0.dtype)
            low = prop.ibp(C)
            if method == "crown" and not affine:
                low = nx.maximum(low, prop.crown(C))
            if binary:
                pair = low
            else:
                pair = nx.asarray(np.full((stop - start, K), np.inf), dtype=x0.dtype)
                idx = others if nx.name == "numpy" else _torch_index(others, x0)
                pair = pair.scatter(1, idx, low) if nx.name == "torch" else _put(pair, idx, low)
            pairs.append(pair)
            margins.append(nx.min(low, axis=1))

    if use_torch:
        import torch

        with torch.no_grad():
            run()
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, by name
            run()
    m = nx.concatenate(margins, axis=0)
    pair = nx.concatenate(pairs, axis=0)
    _check_finite(m, eps, Xt)
    return CertifiedMargins(
        m, pair, method, eps, p, box, affine, used, lower_slope if method == "crown" else None
    )


def _check_finite(m: Any, eps: float, X: Any) -> None:
    """Refuse margins that overflowed (NaN or inf from huge ``eps`` or inputs): never return them."""
    if is_torch_tensor(m):
        m, X = m.detach().cpu().numpy(), X.detach().cpu().numpy()
    if not np.isfinite(m).all():
        size = float(np.abs(X).max())
        raise OverflowError(
            f"X or eps too large: the certified margins overflow the floating-point range (eps={eps!r}, "
            f"largest |X| entry {size:.3g}): use a smaller eps or rescale X and the network"
        )


def _torch_index(a: np.ndarray, like: Any) -> Any:
    import torch

    return torch.as_tensor(a, device=like.device)


def _put(pair: np.ndarray, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
    np.put_along_axis(pair, idx, values, axis=1)
    return pair


def certified_margins(
    net: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    attack_norm: float = math.inf,
    method: str = "crown",
    clip: tuple[float, float] | None = None,
    **options: Any,
) -> Any:
    r"""One certified lower bound per sample on the adversarial margin (IBP, CROWN, SDP or Lipschitz).

    .. math::
        m_i \le \min_{x' \in \mathcal S_i} \Big( f_{y_i}(x') - \max_{k \ne y_i} f_k(x') \Big),
        \qquad \mathcal S_i = \{x' : \|x' - x_i\|_r \le \epsilon\} \; [\cap\, [lo, hi]^d];

    :math:`m_i > 0` certifies that no :math:`x' \in \mathcal S_i` changes the prediction of sample
    i; :math:`m_i \le 0` (negative) certifies nothing. Convention: a network with one output is a
    binary classifier with labels in {-1, +1} and margin :math:`y_i f(x')`. On affine models (a
    :class:`~radbound.train.LinearModel`, a pair ``(W, b)``) every method returns the exact
    worst-case margin. The methods, their relaxations and the further options are those of
    :func:`certify`, which returns the same margins with what was certified and how
    (``certified_margins(...)`` is ``certify(...).margins``).

    Parameters
    ----------
    net : Network, LinearModel, (W, b) or torch nn.Sequential
        The classifier: Dense, Conv2d (zero or circular padding, any stride), ReLU, MaxPool2d (IBP
        and CROWN) and Flatten layers.
    X : array or Tensor, shape ``(n, d)`` or ``(n, *input_shape)``
        The centres :math:`x_i`.
    y : array of shape (n,)
        Labels 0..K-1 (the output rows), {-1, +1} for a one-output network, or a LinearModel's own
        class labels.
    eps : float
        Attack radius :math:`\epsilon \ge 0`.
    attack_norm : float, default inf
        The attack norm r in [1, inf].
    method : {"crown", "ibp", "sdp", "lipschitz"}
        Interval bound propagation, CROWN (never looser than IBP), the SDP certificate of
        one-hidden-layer networks, or the natural margin minus a certified Lipschitz shift.
    clip : (float, float) or None
        Intersect the ball with the box :math:`[lo, hi]^d` (e.g. ``(0, 1)`` for pixels).
    **options
        Further keywords of :func:`certify` (``intermediate``, ``lower_slope``, ``chunk_size``,
        ``solver``, ``lipschitz``).

    Returns
    -------
    ndarray of shape (n,) or Tensor
        The certified margins :math:`m_i`: float64 for numpy inputs; a tensor (dtype and device of
        ``X``) when ``X`` or ``y`` is a torch tensor.

    See Also
    --------
    certify : the same margins in a :class:`CertifiedMargins` (per-class bounds, statement, method).

    References
    ----------
    Gowal et al. (2018), arXiv:1810.12715 (IBP); Zhang, Weng, Chen, Hsieh & Daniel (2018), NeurIPS
    (CROWN); Raghunathan, Steinhardt & Liang (2018), ICLR (SDP). Derivations:
    :doc:`/theory/certified`.

    Examples
    --------
    On a linear model the certified margins are the exact worst-case margins:

    >>> import numpy as np
    >>> from radbound.attacks import adversarial_margins
    >>> from radbound.certify import certified_margins
    >>> rng = np.random.default_rng(0)
    >>> W, b, X, y = rng.normal(size=(3, 5)), rng.normal(size=3), rng.normal(size=(4, 5)), [0, 1, 2, 0]
    >>> m = certified_margins((W, b), X, y, eps=0.1, method="crown")
    >>> m.shape, m.dtype
    ((4,), dtype('float64'))
    >>> bool(np.allclose(m, adversarial_margins(W, b, X, y, eps=0.1), rtol=0, atol=1e-12))
    True
    """
    return certify(net, X, y, eps=eps, attack_norm=attack_norm, method=method, clip=clip, **options).margins
