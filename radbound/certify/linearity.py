r"""The local linearity measure of Qin et al. (2019): how far a loss is from its tangent plane on a ball.

.. math::
    g(\delta; x) = \big|\ell(x + \delta) - \ell(x) - \delta^\top \nabla_x \ell(x)\big|, \qquad
    \gamma(\epsilon, x) = \max_{\|\delta\|_r \le \epsilon} g(\delta; x).

A small :math:`\gamma` means the loss is nearly linear on the ball, so the first-order (one-step)
attack is nearly optimal and a gradient attack is trustworthy; a large one means gradient masking
is possible. For networks :math:`\gamma` is estimated from below by projected gradient ascent on
:math:`g`; for linear models it has closed forms (:func:`local_linearity`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import get_backend
from .._lp import dual_exponent, norm
from .._validation import (
    check_binary_labels,
    check_choice,
    check_exponent,
    check_int,
    check_multiclass_labels,
    check_nonnegative,
    check_positive,
    check_random_state,
    is_torch_tensor,
)
from ..attacks import check_ball
from ..networks.layers import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU
from ._layers import LayerOps
from ._models import as_network, is_affine, model_labels, prepare_inputs, real_array

__all__ = ["LocalLinearity", "local_linearity"]

_LOSSES = ("softmax", "margin")


@dataclass(frozen=True)
class LocalLinearity:
    r"""Local linearity :math:`\gamma(\epsilon, x_i)` of a loss, per sample.

    Attributes
    ----------
    values : ndarray of shape (n,)
        :math:`\gamma(\epsilon, x_i)` (exact) or the largest :math:`g` found by the ascent (a lower
        bound on it).
    loss : str
        ``"softmax"`` (cross-entropy) or ``"margin"`` (:math:`f_y - \max_{k\ne y} f_k`, or
        :math:`y f` for one output).
    eps : float
    attack_norm : float
    exact : bool
        True for the closed forms of linear models.
    method : str
        ``"closed-form"`` or ``"projected gradient ascent"``.
    steps : int
        Ascent steps per restart (0 for closed forms).
    step_size : float
    restarts : int
    """

    values: np.ndarray
    loss: str
    eps: float
    attack_norm: float
    exact: bool
    method: str
    steps: int
    step_size: float
    restarts: int

    @property
    def mean(self) -> float:
        """The average :math:`\\gamma` over the sample (a measure for ranking models)."""
        return float(np.mean(self.values))


# ---------------------------------------------------------------------------------------------------
# losses of the outputs and their gradients
# ---------------------------------------------------------------------------------------------------
def _loss_and_grad(Z: np.ndarray, y: np.ndarray, loss: str, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """Loss per row of the outputs ``Z`` ``(m, K)`` and its gradient in Z."""
    m = Z.shape[0]
    rows = np.arange(m)
    if binary:
        t = y * Z[:, 0]
        if loss == "margin":
            return t, y[:, None] * np.ones((m, 1))
        val = np.logaddexp(0.0, -t)
        return val, (-y / (1.0 + np.exp(t)))[:, None]
    if loss == "margin":
        other = Z.copy()
        other[rows, y] = -np.inf
        k = other.argmax(axis=1)
        G = np.zeros_like(Z)
        G[rows, y] = 1.0
        G[rows, k] -= 1.0
        return Z[rows, y] - Z[rows, k], G
    top = Z.max(axis=1, keepdims=True)
    E = np.exp(Z - top)
    S = E.sum(axis=1, keepdims=True)
    P = E / S
    val = (np.log(S[:, 0]) + top[:, 0]) - Z[rows, y]
    G = P.copy()
    G[rows, y] -= 1.0
    return val, G


def _numpy_loss_grad(ops: LayerOps, X: np.ndarray, y: np.ndarray, loss: str, binary: bool):
    """Loss and input gradient of a Network on a batch (numpy backpropagation)."""
    net = ops.net
    acts = [X]
    for i in range(len(net.layers)):
        acts.append(ops.apply(i, acts[-1]))
    val, G = _loss_and_grad(acts[-1].reshape(X.shape[0], -1), y, loss, binary)
    g = G.reshape(acts[-1].shape)
    for i in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[i]
        if isinstance(layer, Flatten):
            g = g.reshape(acts[i].shape)
        elif isinstance(layer, (Dense, Conv2d)):
            g = ops.adjoint(i, g)
        elif isinstance(layer, ReLU):
            g = g * (acts[i] > 0)
        elif isinstance(layer, MaxPool2d):
            choice = ops.pool_windows(i, acts[i]).argmax(axis=-1)
            g = ops.pool_scatter(i, g, choice)
    return val, g


def _torch_loss_grad(ops: LayerOps, X: Any, y: Any, loss: str, binary: bool):
    import torch

    Xg = X.detach().clone().requires_grad_(True)
    Z = ops.forward(Xg)
    rows = torch.arange(Z.shape[0], device=Z.device)
    if binary:
        t = y * Z[:, 0]
        val = t if loss == "margin" else torch.nn.functional.softplus(-t)
    elif loss == "margin":
        other = Z.clone()
        other[rows, y] = -math.inf
        val = Z[rows, y] - other.max(dim=1).values
    else:
        val = torch.logsumexp(Z, dim=1) - Z[rows, y]
    (g,) = torch.autograd.grad(val.sum(), Xg)
    return val.detach(), g


# ---------------------------------------------------------------------------------------------------
# closed forms for linear models
# ---------------------------------------------------------------------------------------------------
def _linear_closed_form(
    net: Network, X: np.ndarray, y: np.ndarray, loss: str, binary: bool, eps: float, q: float
):
    layer = [la for la in net.layers if isinstance(la, Dense)][0]
    W = layer.weight
    Z = net.forward(X)
    rows = np.arange(X.shape[0])
    if binary:
        if loss == "margin":
            return np.zeros(X.shape[0]), True
        v = float(norm(W[0], q))
        t = y * Z[:, 0]
        return _softplus_gap(t, eps * v), True
    K = W.shape[0]
    other = Z.copy()
    other[rows, y] = -np.inf
    kstar = other.argmax(axis=1)
    if loss == "margin":
        # g = max_k [z_k - z_k* + <w_k - w_k*, delta>]_+ (k != y), maximised over the ball
        D = np.stack([norm(W - W[j], q, axis=1) for j in range(K)])  # D[j, k]
        gain = Z - Z[rows, kstar][:, None] + eps * D[kstar]
        gain[rows, y] = -np.inf
        return np.maximum(gain.max(axis=1), 0.0), True
    if K == 2:  # softmax of two classes: the logistic loss of the margin z_y - z_o
        o = 1 - y
        v = norm(W[y] - W[o], q, axis=1)
        return _softplus_gap(Z[rows, y] - Z[rows, o], eps * v), True
    return None, False


def _softplus_gap(t: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    r"""The maximum over :math:`|s| \le r` of :math:`\phi(t + s) - \phi(t) - \phi'(t) s`.

    Here :math:`\phi(t) = \log(1 + e^{-t})`.

    :math:`\phi` is convex, so the gap is convex in s and maximal at :math:`s = \pm r`.
    """
    phi = np.logaddexp(0.0, -t)
    dphi = -1.0 / (1.0 + np.exp(t))
    up = np.logaddexp(0.0, -(t + r)) - phi - dphi * r
    down = np.logaddexp(0.0, -(t - r)) - phi + dphi * r
    return np.maximum(up, down)


# ---------------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------------
def local_linearity(
    model: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    attack_norm: float = math.inf,
    loss: str = "softmax",
    steps: int = 20,
    step_size: float | None = None,
    restarts: int = 1,
    seed: Any = None,
) -> LocalLinearity:
    r"""The local linearity measure :math:`\gamma(\epsilon, x)` of Qin et al. (2019), per sample.

    .. math::
        \gamma(\epsilon, x) = \max_{\|\delta\|_r \le \epsilon}
        \big|\ell(x + \delta) - \ell(x) - \delta^\top \nabla_x \ell(x)\big|,

    :math:`\ell` the cross-entropy of the softmax (``loss="softmax"``) or the margin
    :math:`f_y - \max_{k \ne y} f_k` (``"margin"``; :math:`y f` for one output).

    * Linear models, closed forms (``exact=True``): the margin of a binary model is linear, so
      :math:`\gamma = 0`; a K-class margin gives
      :math:`\gamma = \max_{k \ne y} (z_k - z_{k^*} + \epsilon\|w_k - w_{k^*}\|_{r^*})_+`
      (:math:`k^*` the runner-up class at x); the softmax loss of two classes (or the logistic loss
      of one output) is a convex function :math:`\phi` of the margin :math:`t` moving by at most
      :math:`\rho = \epsilon\|v\|_{r^*}`, so
      :math:`\gamma = \max_{s = \pm\rho} \phi(t + s) - \phi(t) - \phi'(t) s`. The softmax loss of
      K > 2 classes has no closed form and goes to the ascent below.
    * Otherwise: projected gradient ascent on :math:`g` from the two points
      :math:`\pm\epsilon\, u_r(\nabla_x \ell(x))` (the steepest directions of the tangent plane) and
      ``restarts`` random points of the ball (steepest-ascent steps for the norm: sign steps for
      :math:`\ell_\infty`, normalised gradient steps for :math:`\ell_2`; projection on the ball),
      keeping the best :math:`g` of each sample:
      a lower bound on :math:`\gamma`. Gradients by backpropagation in numpy, or by torch autograd
      when ``X`` is a tensor (same numbers).

    Parameters
    ----------
    model : Network, LinearModel, (W, b) or torch nn.Sequential
    X : array or Tensor, shape ``(n, d)`` or ``(n, *input_shape)``
    y : array of shape (n,)
    eps : float
        Radius :math:`\epsilon \ge 0`.
    attack_norm : {2, inf}
        The norm r of the ball.
    loss : {"softmax", "margin"}
    steps : int
        Ascent steps per restart.
    step_size : float or None
        Default :math:`2.5\epsilon/\text{steps}`.
    restarts : int
        Random starts, besides the two steepest directions.
    seed : int, Generator or None
        Random starts.

    Returns
    -------
    LocalLinearity

    References
    ----------
    Qin, Martens, Gowal, Krishnan, Dvijotham, Fawzi, De, Stanforth & Kohli (2019), "Adversarial
    robustness through local linearization", NeurIPS (the measure :math:`\gamma(\epsilon, x)`).
    Closed forms: :doc:`/theory/certified`.

    Examples
    --------
    The margin of a binary linear model is linear, so its local linearity is 0:

    >>> import numpy as np
    >>> from radbound.certify import local_linearity
    >>> w, X = np.array([1.0, -2.0]), np.array([[0.3, 0.1], [1.0, 1.0]])
    >>> ll = local_linearity((w, 0.5), X, [1, -1], eps=0.1, loss="margin")
    >>> bool(ll.exact and np.all(ll.values == 0))
    True
    """
    eps = check_nonnegative(eps, "eps")
    if not math.isfinite(2.0 * eps):
        raise ValueError(
            f"eps must be below {np.finfo(np.float64).max / 2:.3g} (the ball's diameter overflows), "
            f"got {eps!r}"
        )
    r = check_exponent(attack_norm, "attack_norm")
    if r not in (2.0, math.inf):
        raise ValueError(f"attack_norm must be 2 or inf, got {attack_norm!r}")
    loss = check_choice(loss, "loss", _LOSSES)
    steps = check_int(steps, "steps", minimum=0)
    restarts = check_int(restarts, "restarts", minimum=1)
    step_size = 2.5 * eps / max(steps, 1) if step_size is None else check_positive(step_size, "step_size")
    use_torch = is_torch_tensor(X)
    sample_shape = tuple(X.shape[1:]) if hasattr(X, "shape") else None
    y = model_labels(model, y)
    net = as_network(model, sample_shape, "model")
    if not use_torch:
        X = real_array(X, "X")
        if not np.isfinite(X).all():
            raise ValueError("X must contain only finite values (found NaN or inf)")
        check_ball(X, eps)
    Xb, n = prepare_inputs(net, X)
    binary = net.output_dim == 1
    if binary:
        y_np = check_binary_labels(y, n)
    else:
        y_np, _ = check_multiclass_labels(y, n, n_classes=net.output_dim, limit_to_n=False)
    q = dual_exponent(r)
    if is_affine(net) and not use_torch and sum(isinstance(la, Dense) for la in net.layers) == 1:
        Xf = np.asarray(Xb).reshape(n, -1)
        if np.isfinite(Xf).all():
            values, ok = _linear_closed_form(net, Xf, y_np, loss, binary, eps, q)
            if ok:
                _check_finite(values, eps, Xf)
                return LocalLinearity(values, loss, eps, r, True, "closed-form", 0, 0.0, 1)
    nx = get_backend(Xb if use_torch else None)
    ops = LayerOps(net, nx)
    if use_torch:
        import torch

        x0 = nx.asarray(Xb)
        yt = torch.as_tensor(y_np, device=x0.device)
        yt = yt.to(x0.dtype) if binary else yt.long()

        def loss_grad(Z: Any) -> tuple[Any, Any]:
            return _torch_loss_grad(ops, Z, yt, loss, binary)
    else:
        x0 = Xb
        if not np.isfinite(x0).all():
            raise ValueError("X must contain only finite values (found NaN or inf)")

        def loss_grad(Z: Any) -> tuple[Any, Any]:
            return _numpy_loss_grad(ops, Z, y_np, loss, binary)

    rng = check_random_state(seed)
    l0, g0 = loss_grad(x0)
    to_np = nx.to_numpy
    best = np.zeros(n)

    def flat_dot(a: Any, b: Any) -> Any:
        return (a * b).reshape(n, -1).sum(-1)

    def project(delta: Any) -> Any:
        if math.isinf(r):
            return nx.clip(delta, -eps, eps)
        size = norm(delta.reshape(n, -1), 2.0, axis=-1).reshape(n, *([1] * (delta.ndim - 1)))
        return delta * nx.minimum(1.0, eps / nx.maximum(size, 1e-300))

    # starts: the two steepest directions of the tangent plane, then random points of the ball
    steep = to_np(g0).reshape(n, -1)
    if math.isinf(r):
        steep = eps * np.sign(steep)
    else:
        steep = eps * steep / np.maximum(np.linalg.norm(steep, axis=1, keepdims=True), 1e-300)
    starts: list[Any] = [steep, -steep] + [None] * restarts
    for start in starts:
        if start is not None:
            start = start.reshape(tuple(x0.shape))
        elif math.isinf(r):
            start = rng.uniform(-eps, eps, size=tuple(x0.shape))
        else:
            g = rng.standard_normal(tuple(x0.shape)).reshape(n, -1)
            g *= (eps * rng.uniform(size=(n, 1)) ** (1.0 / g.shape[1])) / np.linalg.norm(
                g, axis=1, keepdims=True
            )
            start = g.reshape(tuple(x0.shape))
        delta = nx.asarray(start) if use_torch else start
        for t in range(steps + 1):
            lv, gv = loss_grad(x0 + delta)
            gap = lv - l0 - flat_dot(delta, g0)
            best = np.maximum(best, np.abs(to_np(gap)))
            if t == steps:
                break
            sgn = nx.sign(gap).reshape(n, *([1] * (delta.ndim - 1)))
            ascent = sgn * (gv - g0)
            if math.isinf(r):
                step = nx.sign(ascent)
            else:
                nrm = norm(ascent.reshape(n, -1), 2.0, axis=-1).reshape(n, *([1] * (delta.ndim - 1)))
                step = ascent / nx.maximum(nrm, 1e-300)
            delta = project(delta + step_size * step)
    _check_finite(best, eps, to_np(x0))
    return LocalLinearity(best, loss, eps, r, False, "projected gradient ascent", steps, step_size, restarts)


def _check_finite(values: np.ndarray, eps: float, X: Any) -> None:
    """Refuse values that overflowed (NaN or inf from huge ``eps`` or inputs): never return them."""
    if not np.isfinite(values).all():
        raise OverflowError(
            f"the local linearity overflows the floating-point range (eps={eps:g}, "
            f"max |X| = {float(np.abs(np.asarray(X)).max()):g}): use a smaller eps or rescale X and the model"
        )
