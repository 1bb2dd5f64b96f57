r"""Exact worst-case attacks on linear classifiers, and a PGD baseline.

For a linear model the inner minimisation of an adversarial margin over an
:math:`\ell_r` ball has a closed form (:doc:`/theory/binary_linear` and :doc:`/theory/multiclass`), so robust
accuracy is computed exactly, vectorised, with no attack loop:

* binary, :math:`f(x) = \langle w, x\rangle + b`, labels :math:`y \in \{-1, +1\}`:

  .. math::
      \min_{\|x' - x\|_r \le \epsilon} y\,(\langle w, x'\rangle + b)
      = y\,(\langle w, x\rangle + b) - \epsilon \|w\|_{r^*},

  attained at :math:`x' = x - \epsilon\, y\, u_r(w)`;
* K classes, :math:`f(x) = W x + b`, labels :math:`y \in \{0, \dots, K-1\}`,
  margin :math:`M(z, y) = z_y - \max_{k \ne y} z_k`:

  .. math::
      \min_{\|x' - x\|_r \le \epsilon} M(W x' + b, y)
      = \min_{k \ne y}\; (w_y - w_k)^\top x + b_y - b_k - \epsilon \|w_y - w_k\|_{r^*},

  attained at :math:`x' = x - \epsilon\, u_r(w_y - w_{k^*})` for the minimising
  class :math:`k^*` (the *target*).

Here :math:`r^*` is the dual exponent (:math:`1/r + 1/r^* = 1`) and
:math:`u_r(v) = \arg\max_{\|\delta\|_r \le 1} \langle v, \delta\rangle` is the
unit maximiser: :math:`\operatorname{sign}(v)` for :math:`r = \infty`, a signed
coordinate vector at :math:`\arg\max_j |v_j|` for :math:`r = 1`, and
:math:`\operatorname{sign}(v)\,|v|^{r^*-1} / \|v\|_{r^*}^{r^*-1}` for :math:`1 < r < \infty`.

The multi-class formula needs only the logits :math:`X W^\top + b` and the
:math:`K \times K` table of pairwise dual norms :math:`\|w_j - w_k\|_{r^*}`
(:math:`K^2 d` work, computed once): no ``(n, K, d)`` array is ever formed, so
the cost is that of one logits product.

Pixel clipping is not part of the paper's threat model (:doc:`/theory/conventions`);
it is offered as an option (``clip=(lo, hi)``), see :func:`linear_worst_case`.

References
----------
Yin, Ramchandran & Bartlett (2019), "Rademacher Complexity for Adversarially
Robust Generalization", ICML: section 4 (binary linear classifiers, closed form
of the adversarial function class) and section 5 (multi-class linear
classifiers); the multi-class margin formula above is derived for this project
(:doc:`/theory/multiclass`). Madry et al. (2018), ICLR: projected gradient descent.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import get_backend
from ._lp import clipped_room, dual_exponent, norm, project_ball, ramp, unit_maximiser
from ._validation import (
    as_real_array,
    check_binary_labels,
    check_bool,
    check_choice,
    check_clip,
    check_exponent,
    check_int,
    check_matrix,
    check_multiclass_labels,
    check_nonnegative,
    check_positive,
    check_random_state,
    is_torch_tensor,
)

__all__ = [
    "ramp_risk",
    "WorstCase",
    "linear_worst_case",
    "adversarial_margins",
    "linear_robust_accuracy",
    "pgd",
    "pgd_linear",
]

_RULES = ("exact", "paper")


@dataclass(frozen=True)
class WorstCase:
    r"""Worst-case inputs of a linear model and their margins.

    Attributes
    ----------
    X_adv : ndarray or Tensor
        Perturbed inputs, shape ``(n, d)`` (same array type, dtype and device as the inputs).
    margins : ndarray or Tensor
        Margins at ``X_adv``, shape ``(n,)``: :math:`y(\langle w, x'\rangle + b)`
        (binary) or :math:`M(W x' + b, y) = z_y - \max_{k\ne y} z_k` (multi-class).
        A sample is robustly correct iff its margin is ``> 0``.
    target : ndarray or Tensor or None
        Multi-class: the class :math:`k^*` the input was moved towards, shape ``(n,)``;
        ``None`` for a binary model.
    exact : bool
        True when ``margins`` are the exact minimum over the threat set (see
        :func:`linear_worst_case` for when they are only an upper bound).
    rule : str
        ``"exact"``, ``"paper"`` or ``"pgd"``.
    """

    X_adv: Any
    margins: Any
    target: Any = None
    exact: bool = True
    rule: str = "exact"


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def _float_matrix(X: Any) -> np.ndarray:
    """numpy X as a 2-D float array (float32 kept); finiteness is checked later through the logits."""
    return check_matrix(X, "X", allow_torch=False, check_finite=False, keep_float_dtype=True)


@dataclass(frozen=True)
class _Problem:
    nx: Any  # backend
    W: Any  # (d,) or (K, d)
    b: Any  # 0-d / scalar (binary) or (K,)
    X: Any  # (n, d)
    y: Any  # binary: float +-1; multi-class: int64 (numpy) / long (torch)
    binary: bool
    n_classes: int
    torch: bool


def _prepare(W: Any, b: Any, X: Any, y: Any, *, finite_X: bool) -> _Problem:
    """Validate and convert (W, b, X, y) to one backend; X finiteness is left to the caller
    when ``finite_X`` is False (numpy only: it is then checked through the logits)."""
    use_torch = any(is_torch_tensor(a) for a in (W, b, X, y))
    if use_torch:
        import torch

        Xt = X if is_torch_tensor(X) else torch.as_tensor(_float_matrix(X))
        Xt = check_matrix(Xt, "X")
        nx = get_backend(Xt, W if is_torch_tensor(W) else None)
        X = nx.asarray(Xt)
        if is_torch_tensor(W):
            W = nx.asarray(W if W.is_floating_point() else W.to(torch.float64))
        else:
            W = nx.asarray(np.asarray(W, dtype=np.float64))
        if W.dtype != X.dtype:
            W = W.to(X.dtype)
    else:
        nx = get_backend()
        X = _float_matrix(X) if not finite_X else check_matrix(X, "X")
        W = np.asarray(W)
        if W.dtype == object or not np.issubdtype(W.dtype, np.number) or np.iscomplexobj(W):
            raise TypeError(f"W must be an array of real numbers, got dtype {W.dtype}")
        if not np.issubdtype(W.dtype, np.floating):
            W = W.astype(np.float64)
        dt = np.result_type(X.dtype, W.dtype)
        X = X.astype(dt, copy=False)
        W = W.astype(dt, copy=False)
    n, d = X.shape
    if W.ndim not in (1, 2):
        raise ValueError(f"W must have shape (d,) (binary) or (K, d) (multi-class), got {tuple(W.shape)}")
    if W.shape[-1] != d:
        raise ValueError(
            f"W must have d={d} columns to match X of shape {tuple(X.shape)}, got W of shape {tuple(W.shape)}"
        )
    if W.shape[0] == 0:
        raise ValueError(f"W must be non-empty, got shape {tuple(W.shape)}")
    if not bool((W == W).all()) or not bool(nx.abs(W).max() < math.inf):
        raise ValueError("W must contain only finite values (found NaN or inf)")
    binary = W.ndim == 1
    yv: Any  # float +-1 (binary) or int labels; numpy or torch
    if binary:
        if b is None:
            b = 0.0
        b_in = b.detach().cpu().numpy() if is_torch_tensor(b) else b
        b_arr = np.asarray(as_real_array(b_in, "b"), dtype=np.float64)
        if b_arr.size != 1:
            raise ValueError(
                f"b must be a scalar for a binary model (W of shape (d,)), got shape {b_arr.shape}"
            )
        bval = float(b_arr.reshape(()))
        if not math.isfinite(bval):
            raise ValueError(f"b must be finite, got {bval!r}")
        b = bval
        yv = check_binary_labels(y, n)
        k = 2
        yv = nx.asarray(yv, dtype=X.dtype)
    else:
        k = W.shape[0]
        if k < 2:
            raise ValueError(f"W must have at least 2 rows (classes), got shape {tuple(W.shape)}")
        if b is None:
            b = nx.zeros(k, dtype=X.dtype)
        else:
            b_np = np.asarray(
                as_real_array(b.detach().cpu().numpy() if is_torch_tensor(b) else b, "b"), dtype=np.float64
            )
            if b_np.shape != (k,):
                raise ValueError(
                    f"b must have shape (K,)=({k},) to match W of shape {tuple(W.shape)}, got {b_np.shape}"
                )
            if not np.isfinite(b_np).all():
                raise ValueError("b must contain only finite values (found NaN or inf)")
            b = nx.asarray(b if is_torch_tensor(b) else b_np, dtype=X.dtype)
        yv, _ = check_multiclass_labels(y, n, n_classes=k, limit_to_n=False)
        if use_torch:
            import torch

            yv = torch.as_tensor(yv, dtype=torch.long, device=X.device)
    return _Problem(nx, W, b, X, yv, binary, k, use_torch)


# ---------------------------------------------------------------------------
# maths helpers (numpy or torch)
# ---------------------------------------------------------------------------


def _pairwise_dual_norms(nx: Any, W: Any, q: float) -> Any:
    r"""The K x K table :math:`D_{jk} = \|w_j - w_k\|_q` (K^2 d work, O(K d) memory)."""
    return nx.stack([norm(W[j] - W, q) for j in range(W.shape[0])], axis=0)


def _logits(P: _Problem, X: Any | None = None) -> Any:
    """Scores X W^T + b. For numpy inputs whose finiteness is not yet checked, the product
    carries one extra column of ones: the row sums of X are finite iff X is (one pass over X)."""
    X = P.X if X is None else X
    if P.torch:
        return X @ P.W.T + P.b if not P.binary else X @ P.W + P.b
    Wt = P.W[:, None] if P.binary else P.W.T
    ext = np.empty((Wt.shape[0], Wt.shape[1] + 1), dtype=Wt.dtype)
    ext[:, :-1] = Wt
    ext[:, -1] = 1.0
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 in a bad X, overflow: reported below
        Z = X @ ext
    if not np.isfinite(Z[:, -1]).all() and not np.isfinite(X).all():
        raise ValueError("X must contain only finite values (found NaN or inf)")
    Z = Z[:, :-1]
    with np.errstate(over="ignore"):
        Z += P.b
    if not np.isfinite(Z).all():
        _overflow(Z.dtype, "the scores X W^T + b")
    return Z[:, 0] if P.binary else Z


def check_ball(X: np.ndarray, eps: float) -> None:
    """OverflowError naming eps and X when points of the attack ball around X leave the float range."""
    top = float(np.max(np.abs(X))) if X.size else 0.0
    with np.errstate(over="ignore"):
        if not (math.isfinite(2.0 * eps) and math.isfinite(top + eps)):
            raise OverflowError(
                f"eps too large: the attack ball of radius eps={eps!r} around X (largest |X| entry "
                f"{top:.3g}) leaves the float range"
            )


def _overflow(dtype: Any, what: str) -> None:
    """Raise the OverflowError of finite inputs whose result leaves the float range of ``dtype``."""
    hint = " (pass float64 arrays)" if np.dtype(dtype) != np.float64 else ""
    raise OverflowError(
        f"X, W or b too large: {what} overflow {np.dtype(dtype).name} "
        f"(beyond {np.finfo(dtype).max:.3g}){hint}"
    )


def _finite_margins(P: _Problem, m: Any) -> Any:
    """``m`` when finite; otherwise the margins of finite inputs overflowed: a named OverflowError."""
    if not P.torch and not np.isfinite(m).all():
        _overflow(m.dtype, "the margins (score differences and eps times the weight norms)")
    return m


def _margins_from_logits(P: _Problem, Z: Any) -> Any:
    """Natural margins: y f(x) (binary) or z_y - max_{k!=y} z_k."""
    nx = P.nx
    if P.binary:
        return P.y * Z
    rows = nx.arange(Z.shape[0])
    zy = Z[rows, P.y]
    other = nx.copy(Z)
    other[rows, P.y] = -math.inf
    return zy - nx.max(other, axis=1)


def _exact_multiclass(P: _Problem, Z: Any, eps: float, q: float) -> tuple[Any, Any]:
    """Exact adversarial margins and targets from logits Z (with bias) — no X_adv."""
    nx = P.nx
    n = Z.shape[0]
    rows = nx.arange(n)
    D = _pairwise_dual_norms(nx, P.W, q)  # (K, K)
    M = Z[rows, P.y][:, None] - Z
    if eps > 0:
        M -= eps * D[P.y]
    M[rows, P.y] = math.inf
    target = nx.argmin(M, axis=1)
    return M[rows, target], target


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def adversarial_margins(W: Any, b: Any, X: Any, y: Any, *, eps: float, attack_norm: float = math.inf) -> Any:
    r"""Exact adversarial margins of a linear model (no perturbed inputs formed).

    .. math::
        m_i = \min_{\|x' - x_i\|_r \le \epsilon} M(f(x'), y_i) =
        \begin{cases}
        y_i(\langle w, x_i\rangle + b) - \epsilon\|w\|_{r^*} & \text{binary},\\
        \min_{k\ne y_i} (w_{y_i} - w_k)^\top x_i + b_{y_i} - b_k - \epsilon\|w_{y_i} - w_k\|_{r^*}
        & K \text{ classes.}
        \end{cases}

    This is the fastest path: one logits product :math:`X W^\top` plus
    :math:`O(nK + K^2 d)` work. No pixel clipping (use :func:`linear_worst_case`).

    Parameters
    ----------
    W : array of shape (d,) or (K, d)
        Weights (binary or K-class model). numpy or torch (then all computation
        happens in torch on the tensor's device and a tensor is returned; the
        margins are differentiable in ``W`` and ``b`` by autograd).
    b : float, array of shape (K,), or None
        Bias (``None`` means zero).
    X : array of shape (n, d)
        Inputs.
    y : array of shape (n,)
        Labels: in {-1, +1} (binary) or 0..K-1.
    eps : float
        Attack radius, ``>= 0``.
    attack_norm : float
        The attack norm r in [1, inf] (default inf, the paper's case).

    Returns
    -------
    ndarray or Tensor of shape (n,)

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, binary linear classifiers (closed form);
    :doc:`/theory/multiclass` (multi-class, derived).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.attacks import adversarial_margins
    >>> w, x = np.array([1.0, -2.0]), np.array([[1.0, 0.0]])
    >>> m = adversarial_margins(w, 0.5, x, [1], eps=0.1)   # 1.5 - 0.1 * ||w||_1
    >>> bool(np.isclose(m[0], 1.5 - 0.3))
    True
    """
    eps = check_nonnegative(eps, "eps")
    r = check_exponent(attack_norm, "attack_norm")
    q = dual_exponent(r)
    P = _prepare(W, b, X, y, finite_X=False)
    Z = _logits(P)
    with np.errstate(over="ignore"):
        if P.binary:
            m = P.y * Z
            if eps > 0:
                m = m - eps * norm(P.W, q)
            return _finite_margins(P, m)
        return _finite_margins(P, _exact_multiclass(P, Z, eps, q)[0])


def linear_worst_case(
    W: Any,
    b: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    attack_norm: float = math.inf,
    clip: tuple[float, float] | None = None,
    rule: str = "exact",
) -> WorstCase:
    r"""Worst-case inputs of a linear model over an :math:`\ell_r` ball, and their margins.

    ``rule="exact"`` (default) returns the exact minimiser of the margin
    (module docstring):

    .. math::
        x'_i = x_i - \epsilon\, u_r(w_{y_i} - w_{k^*_i}),\qquad
        k^*_i = \arg\min_{k\ne y_i} (w_{y_i} - w_k)^\top x_i + b_{y_i} - b_k
        - \epsilon\|w_{y_i} - w_k\|_{r^*}

    (binary: :math:`x'_i = x_i - \epsilon y_i u_r(w)`).

    ``rule="paper"`` reproduces the target choice of the paper's code
    (``gen_adversary_ex`` in Yin et al.'s ``mnist_softmax_adversarial_train_lambda.py``):

    .. math::
        k^*_i = \arg\max_{k\ne y_i} (W x_i)_k + \epsilon \|w_{y_i} - w_k\|_{r^*},

    which **leaves the bias b out**; the perturbation is the same
    :math:`x_i - \epsilon u_r(w_{y_i} - w_{k^*})` (:math:`\operatorname{sign}` for
    :math:`r = \infty`, the paper's case; other r generalise it with the dual norm).
    When all :math:`b_k` are equal (e.g. ``b = 0``) both rules give the same
    margins; with a trained bias the paper's attack can be weaker. The returned
    margins are the true margins at ``X_adv`` (``exact=False``). Binary models
    have no target choice: both rules coincide.

    Pixel clipping (``clip=(lo, hi)``), not part of the paper's threat model:
    the threat set becomes :math:`B_r(x, \epsilon) \cap [lo, hi]^d` and ``X`` must
    lie in the box. For :math:`r = \infty` the exact clipped worst case is
    computed: for a fixed target k the margin is linear in :math:`x'` over the
    box :math:`\prod_j [\max(x_j - \epsilon, lo), \min(x_j + \epsilon, hi)]`, so its
    minimum is coordinate-wise (move coordinate j down if :math:`(w_y - w_k)_j > 0`,
    up if :math:`< 0`), and the clipped worst case is the minimum over k of these
    per-k minima (``exact=True``). For other r (and for ``rule="paper"``) the
    unclipped worst input is clipped to the box — a feasible point, since
    coordinate-wise clipping never moves a point away from an ``x`` inside the
    box — and its margins are only upper bounds on the clipped worst case
    (``exact=False``).

    Parameters
    ----------
    W, b, X, y, eps, attack_norm
        As in :func:`adversarial_margins`.
    clip : (float, float) or None
        Box ``[lo, hi]`` for the perturbed inputs (e.g. ``(0, 1)`` for pixels).
    rule : {"exact", "paper"}
        Target-class choice (multi-class only).

    Returns
    -------
    WorstCase
        ``X_adv`` (n, d), ``margins`` (n,), ``target`` (n,) or None, ``exact``, ``rule``.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, linear classifiers, and their
    public code (linear_classifier/); :doc:`/theory/multiclass` (derived multi-class formula).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.attacks import linear_worst_case
    >>> rng = np.random.default_rng(0)
    >>> W, X, y = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), np.array([0, 1, 2, 0, 1])
    >>> wc = linear_worst_case(W, None, X, y, eps=0.2)
    >>> Z = wc.X_adv @ W.T                                   # margins are attained at X_adv
    >>> m = Z[np.arange(5), y] - np.where(np.eye(3, dtype=bool)[y], -np.inf, Z).max(1)
    >>> bool(np.allclose(m, wc.margins)), bool(np.abs(wc.X_adv - X).max() <= 0.2 + 1e-12)
    (True, True)
    """
    eps = check_nonnegative(eps, "eps")
    r = check_exponent(attack_norm, "attack_norm")
    q = dual_exponent(r)
    rule = check_choice(rule, "rule", _RULES)
    box = check_clip(clip)
    P = _prepare(W, b, X, y, finite_X=False)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by name below
        return _worst_case(P, _logits(P), eps, r, q, rule, box)


def _worst_case(P: _Problem, Z: Any, eps: float, r: float, q: float, rule: str, box: Any) -> WorstCase:
    """The body of :func:`linear_worst_case` (inputs validated, logits ``Z`` computed)."""
    nx = P.nx
    X = P.X
    n = X.shape[0]
    if box is not None:
        lo, hi = box
        if bool(X.min() < lo) or bool(X.max() > hi):
            raise ValueError(
                f"X must lie in the clip box [{lo}, {hi}], got values in [{float(X.min())}, {float(X.max())}]"
            )
    if box is not None and math.isinf(r) and (rule == "exact" or P.binary):
        return _clipped_linf(P, Z, eps, box, rule)
    exact = box is None
    if P.binary:
        U = unit_maximiser(P.W[None, :], r)  # (1, d)
        X_adv = X - (eps * P.y)[:, None] * U
        target = None
        margins = P.y * Z - eps * norm(P.W, q)
    else:
        rows = nx.arange(n)
        if rule == "exact":
            margins, target = _exact_multiclass(P, Z, eps, q)
        else:
            D = _pairwise_dual_norms(nx, P.W, q)
            score = Z - P.b  # the paper's code scores W x without the bias
            if eps > 0:
                score = score + eps * D[P.y]
            score[rows, P.y] = -math.inf
            target = nx.argmax(score, axis=1)
            exact = False
        K, d = P.W.shape
        if K * K <= n:  # the (K, K, d) table of directions is smaller than X_adv: gather from it
            Upairs = unit_maximiser(P.W[:, None, :] - P.W[None, :, :], r)
            step = Upairs[P.y, target]
            if rule == "paper" and box is None:  # logits at X_adv without a second pass over X
                UW = Upairs.reshape(K * K, d) @ P.W.T  # (K^2, K)
                shift = UW.reshape(K, K, K)[P.y, target]
                margins = _margins_from_logits(P, Z - eps * shift)
        else:
            step = unit_maximiser(P.W[P.y] - P.W[target], r)
            margins = None if rule == "paper" else margins
        step *= -eps
        step += X
        X_adv = step
    if box is not None:
        X_adv = nx.clip(X_adv, box[0], box[1])
        margins = None
    if not P.torch and not np.isfinite(X_adv).all():
        raise OverflowError(
            f"X or eps too large: the worst-case inputs X - eps u leave the float range (eps={eps!r}, "
            f"largest |X| entry {float(np.max(np.abs(P.X))):.3g})"
        )
    if margins is None:
        margins = _margins_from_logits(P, _logits(P, X_adv))
    return WorstCase(X_adv=X_adv, margins=_finite_margins(P, margins), target=target, exact=exact, rule=rule)


def _clipped_linf(P: _Problem, Z: Any, eps: float, box: tuple[float, float], rule: str) -> WorstCase:
    r"""Exact worst case over :math:`B_\infty(x,\epsilon)\cap[lo,hi]^d` (coordinate-wise per target)."""
    nx = P.nx
    lo, hi = box
    X = P.X
    down, up = clipped_room(X, eps, lo, hi)  # room to move down and up, >= 0
    n = X.shape[0]
    if P.binary:
        pos = nx.maximum(P.W, 0.0)
        neg = nx.maximum(-P.W, 0.0)
        # y = +1: decrease <w, x'> (down where w > 0, up where w < 0); y = -1: the reverse.
        dp, dn = down @ pos, down @ neg
        up_p, up_n = up @ pos, up @ neg
        plus = P.y > 0
        penalty = nx.where(plus, dp + up_n, dn + up_p)
        margins = P.y * Z - penalty
        V = P.y[:, None] * P.W[None, :]
        X_adv = X - nx.where(V > 0, down, 0.0) + nx.where(V < 0, up, 0.0)
        return WorstCase(X_adv=X_adv, margins=margins, target=None, exact=True, rule=rule)
    rows = nx.arange(n)
    M = Z[rows, P.y][:, None] - Z
    y_np = P.y.detach().cpu().numpy() if P.torch else P.y
    for c in np.unique(y_np):
        idx: Any = np.flatnonzero(y_np == c)
        if P.torch:
            import torch

            idx = torch.as_tensor(idx, device=X.device)
        Vc = P.W[int(c)] - P.W  # (K, d)
        pen = down[idx] @ nx.maximum(Vc, 0.0).T + up[idx] @ nx.maximum(-Vc, 0.0).T  # (n_c, K)
        M[idx] = M[idx] - pen
    M[rows, P.y] = math.inf
    target = nx.argmin(M, axis=1)
    margins = M[rows, target]
    V = P.W[P.y] - P.W[target]
    X_adv = X - nx.where(V > 0, down, 0.0) + nx.where(V < 0, up, 0.0)
    return WorstCase(X_adv=X_adv, margins=margins, target=target, exact=True, rule="exact")


def linear_robust_accuracy(
    W: Any,
    b: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    attack_norm: float = math.inf,
    clip: tuple[float, float] | None = None,
) -> float:
    r"""Exact robust accuracy of a linear model: the fraction of samples whose
    adversarial margin is positive,

    .. math::
        \mathrm{acc}_\epsilon = \frac1n \sum_i
        \mathbf 1\Big[\min_{x' \in B_r(x_i,\epsilon)} M(f(x'), y_i) > 0\Big].

    Ties (margin exactly 0) count as errors. With ``clip`` the threat set is
    intersected with the box (exact for ``attack_norm=inf``, an upper bound on
    the accuracy otherwise; see :func:`linear_worst_case`).

    Parameters
    ----------
    W, b, X, y, eps, attack_norm, clip
        As in :func:`linear_worst_case`.

    Returns
    -------
    float

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML (adversarial 0-1 error).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.attacks import linear_robust_accuracy
    >>> W = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> X, y = np.array([[1.0, 0.0], [0.6, 0.4]]), np.array([0, 0])
    >>> linear_robust_accuracy(W, None, X, y, eps=0.15)   # margins 1 - 0.3 and 0.2 - 0.3
    0.5
    """
    if clip is None:
        m = adversarial_margins(W, b, X, y, eps=eps, attack_norm=attack_norm)
    else:
        m = linear_worst_case(W, b, X, y, eps=eps, attack_norm=attack_norm, clip=clip).margins
    return float((m > 0).sum()) / m.shape[0]


def ramp_risk(
    W: Any,
    b: Any,
    X: Any,
    y: Any,
    *,
    margin: float,
    eps: float = 0.0,
    attack_norm: float = math.inf,
) -> float:
    r"""Empirical ramp risk of a linear model under the exact worst-case attack.

    .. math::
        \hat R_{\gamma,\epsilon} = \frac1n \sum_i \phi_\gamma\Big(\min_{x' \in B_r(x_i,\epsilon)}
        M(f(x'), y_i)\Big), \qquad
        \phi_\gamma(t) = \min\{1, \max\{0, 1 - t/\gamma\}\},

    the empirical term of the margin bounds (:doc:`/theory/multiclass` and
    :doc:`/theory/generalization`); ``eps = 0`` gives the natural ramp risk. The adversarial margin
    is :func:`adversarial_margins` (exact, no clipping).

    Parameters
    ----------
    W, b, X, y, eps, attack_norm
        As in :func:`adversarial_margins`.
    margin : float
        The ramp width :math:`\gamma > 0`.

    Returns
    -------
    float
        A number in [0, 1], at least the adversarial 0-1 error.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML (ramp loss, margin bounds).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.attacks import ramp_risk
    >>> w, X, y = np.array([1.0, 0.0]), np.array([[0.5, 0.0], [2.0, 0.0]]), np.array([1.0, 1.0])
    >>> bool(np.isclose(ramp_risk(w, None, X, y, margin=1.0, eps=0.1), ((1 - 0.4) + 0.0) / 2))
    True
    """
    margin = check_positive(margin, "margin")
    m = adversarial_margins(W, b, X, y, eps=eps, attack_norm=attack_norm)
    nx = get_backend(m)
    return float(np.mean(ramp(nx.to_numpy(m), margin)))


# ---------------------------------------------------------------------------
# PGD: one loop, two gradient oracles (closed form for linear models, autograd for torch modules)
# ---------------------------------------------------------------------------

_PGD_LOSSES = ("cross_entropy", "margin")
_PGD_KEEP = ("best", "last")


def _is_torch_module(model: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


class _LinearOracle:
    r"""Margins and loss gradients of a linear model at given inputs, in closed form.

    Multi-class: :math:`M = z_y - \max_{k\ne y} z_k`; :math:`\nabla_x(-M) = w_k - w_y`;
    :math:`\nabla_x \mathrm{CE} = W^\top(\mathrm{softmax}(z) - e_y)`. Binary: :math:`M = y z`,
    :math:`\nabla_x(-M) = -y w`, :math:`\nabla_x \log(1 + e^{-yz}) = -y\,\sigma(-yz)\, w`.
    """

    def __init__(self, P: _Problem, loss: str) -> None:
        self.P, self.loss = P, loss

    def __call__(self, Xc: Any, idx: Any, grad: bool) -> tuple[Any, Any, Any]:
        P, nx = self.P, self.P.nx
        y = P.y[idx]
        Z = _logits(P, Xc)
        if P.binary:
            m = y * Z
            if not grad:
                return m, None, None
            if self.loss == "margin":
                coef = -y
            else:
                coef = -y / (1.0 + nx.exp(m))  # -y sigma(-y z), no overflow for large |m|
            return m, coef[:, None] * P.W[None, :], None
        rows = nx.arange(Z.shape[0])
        Zo = nx.where(nx.arange(P.n_classes)[None, :] == y[:, None], -math.inf, Z)
        k = nx.argmax(Zo, axis=1)
        m = Z[rows, y] - Zo[rows, k]
        if not grad:
            return m, None, k
        if self.loss == "margin":
            return m, P.W[k] - P.W[y], k
        E = nx.exp(Z - nx.max(Z, axis=1, keepdims=True))
        G = E / nx.sum(E, axis=1, keepdims=True)
        G[rows, y] -= 1.0
        return m, G @ P.W, k


class _TorchOracle:
    """Margins and loss gradients of a torch module (autograd), parameters left without gradient."""

    def __init__(self, model: Any, y: Any, loss: str) -> None:
        self.model, self.y, self.loss = model, y, loss

    def __call__(self, Xc: Any, idx: Any, grad: bool) -> tuple[Any, Any, Any]:
        import torch

        y = self.y[idx]
        with torch.set_grad_enabled(grad):
            x = Xc.detach().requires_grad_(grad)
            Z = self.model(x)
            if Z.dim() != 2 or Z.shape[0] != x.shape[0] or Z.shape[1] < 2:
                raise ValueError(f"model must return logits of shape (n, K >= 2), got {tuple(Z.shape)}")
            rows = torch.arange(Z.shape[0], device=Z.device)
            Zo = Z.masked_fill(torch.nn.functional.one_hot(y, Z.shape[1]).bool(), -math.inf)
            other, k = Zo.max(dim=1)
            m = Z[rows, y] - other
            if not grad:
                return m.detach(), None, k
            if self.loss == "margin":
                total = -m.sum()
            else:
                total = torch.nn.functional.cross_entropy(Z, y, reduction="sum")
            (g,) = torch.autograd.grad(total, x)
        return m.detach(), g, k


def _torch_generator(seed: Any, device: Any) -> Any:
    import torch

    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator(device=device)
    gen.manual_seed(int(check_random_state(seed).integers(2**63 - 1)))
    return gen


def _check_model(model: Any) -> tuple[str, Any]:
    """``("torch", module)`` or ``("linear", (W, b))`` from a torch module, a LinearModel or (W, b)."""
    if _is_torch_module(model):
        return "torch", model
    if hasattr(model, "W") and hasattr(model, "b"):
        return "linear", (model.W, model.b)
    if isinstance(model, (tuple, list)) and len(model) == 2:
        return "linear", tuple(model)
    raise TypeError(
        f"model must be a torch.nn.Module, a LinearModel or a pair (W, b), got {type(model).__name__}"
    )


def pgd(
    model: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    attack_norm: float = math.inf,
    steps: int = 40,
    step_size: float | None = None,
    restarts: int = 1,
    random_start: bool = True,
    clip: tuple[float, float] | None = None,
    loss: str = "cross_entropy",
    keep: str = "best",
    seed: Any = None,
) -> WorstCase:
    r"""Projected gradient ascent on a loss in the :math:`\ell_r` ball, for linear models and networks.

    The attack of Madry et al. (2018), written once for every model radbound attacks. From
    :math:`x^0 = x + \delta_0` (``random_start``: :math:`\delta_0` uniform in the
    :math:`\ell_\infty` box, or uniform radius times a random direction of the :math:`\ell_r`
    sphere; else :math:`\delta_0 = 0`),

    .. math::
        x^{t+1} = \Pi\Big(x^t + \alpha\, u_r\big(\nabla_{x} L(f(x^t), y)\big)\Big),

    where :math:`u_r(g) = \arg\max_{\|\delta\|_r \le 1}\langle g, \delta\rangle` is the steepest-ascent
    direction (:math:`\operatorname{sign} g` for :math:`r = \infty`), :math:`\Pi` the projection on
    :math:`B_r(x, \epsilon)` followed by the box ``clip`` (the exact projection on their intersection
    for :math:`r = \infty`, a feasible point otherwise), and :math:`L` the cross-entropy or the
    negative margin :math:`-M(z, y) = \max_{k\ne y} z_k - z_y`. The margin :math:`M` is evaluated at
    every iterate; ``keep="best"`` returns, per sample, the iterate with the lowest margin over all
    steps and ``restarts`` (a new random start each; a restart attacks only the samples whose margin
    is still positive), ``keep="last"`` the final iterate (the training rule of Madry et al.).

    PGD finds a feasible point, so its margin is an UPPER bound on the worst-case margin and the
    robust accuracy it reports (``margins > 0``) an upper estimate of the true one. For a linear model
    the exact worst case is :func:`linear_worst_case`; there the gradients are taken in closed form
    (numpy or torch arrays, no torch needed), for a torch module by autograd (its parameters receive
    no gradient; it is used in whatever train/eval mode the caller left it).

    Parameters
    ----------
    model : torch.nn.Module, LinearModel or (W, b)
        A module mapping a batch of inputs (the shape of ``X``) to logits ``(n, K)``, or a linear
        model (``W`` of shape ``(d,)`` binary with labels in {-1, +1}, or ``(K, d)``).
    X : array or tensor, shape (n, ...)
        Inputs. For a module: converted to a float tensor on the device and dtype of its parameters.
    y : array or tensor of shape (n,)
        Labels (0..K-1; {-1, +1} for a binary linear model).
    eps : float
        Radius :math:`\epsilon \ge 0`.
    attack_norm : float
        :math:`r \in [1, \infty]` (rows of ``X`` flattened).
    steps : int
        Number of steps :math:`T \ge 0`.
    step_size : float or None
        :math:`\alpha > 0`; default :math:`2.5\,\epsilon / T` (Madry et al.).
    restarts : int
        Number of random starts (>= 1); more than one needs ``keep="best"``.
    random_start : bool
        Start from a random point of the ball (else from ``X``).
    clip : (lo, hi) or None
        Box of valid inputs (e.g. pixels in (0, 1)); None: the paper's threat model, no box.
    loss : {"cross_entropy", "margin"}
        The loss ascended (binary linear models: the logistic loss for ``"cross_entropy"``).
    keep : {"best", "last"}
        Which iterate to return (see above).
    seed : int, numpy Generator, torch.Generator or None
        Random starts. A torch ``Generator`` (torch modules only) is used as is, so that a training
        loop keeps one stream.

    Returns
    -------
    WorstCase
        ``X_adv`` (shape and array type of the input, for a module a tensor on its device),
        ``margins`` :math:`M` at ``X_adv``, ``target`` (the runner-up class there; None for a binary
        model), ``exact=False``, ``rule="pgd"``.

    References
    ----------
    Madry, Makelov, Schmidt, Tsipras & Vladu (2018), "Towards Deep Learning Models Resistant to
    Adversarial Attacks", ICLR (PGD with random start and restarts); Goodfellow, Shlens & Szegedy (2015),
    "Explaining and Harnessing Adversarial Examples", ICLR (the signed-gradient step); Carlini &
    Wagner (2017), IEEE S&P (the margin loss).

    Examples
    --------
    For a binary linear model the first :math:`\ell_\infty` step of length :math:`\epsilon` from
    :math:`x` lands on the exact worst case :math:`x - \epsilon\,y\,\mathrm{sign}(w)`:

    >>> import numpy as np
    >>> from radbound.attacks import pgd, adversarial_margins
    >>> w, X, y = np.array([1.0, -2.0]), np.array([[0.5, 0.1], [0.0, 1.0]]), np.array([1.0, -1.0])
    >>> wc = pgd((w, 0.0), X, y, eps=0.1, steps=1, step_size=0.1, random_start=False)
    >>> bool(np.allclose(wc.margins, adversarial_margins(w, 0.0, X, y, eps=0.1)))
    True
    """
    kind, obj = _check_model(model)
    eps = check_nonnegative(eps, "eps")
    r = check_exponent(attack_norm, "attack_norm")
    steps = check_int(steps, "steps", minimum=0)
    restarts = check_int(restarts, "restarts", minimum=1)
    random_start = check_bool(random_start, "random_start")
    check_choice(loss, "loss", _PGD_LOSSES)
    check_choice(keep, "keep", _PGD_KEEP)
    if keep == "last" and restarts > 1:
        raise ValueError(f"restarts must be 1 with keep='last' (which restart is 'last'?), got {restarts}")
    if step_size is None:
        step_size = 2.5 * eps / max(steps, 1)
    else:
        step_size = check_positive(step_size, "step_size")
    box = check_clip(clip)

    if kind == "linear":
        W, b = obj
        P = _prepare(W, b, X, y, finite_X=True)
        nx, X0 = P.nx, P.X
        if not P.torch:
            check_ball(X0, eps)
        oracle: Any = _LinearOracle(P, loss)
        draw = _numpy_or_torch_noise(nx, seed, X0)
    else:
        import torch

        module = obj
        param = next(iter(module.parameters()), None)
        device = param.device if param is not None else (X.device if is_torch_tensor(X) else "cpu")
        dtype = param.dtype if param is not None else torch.float32
        X0 = (X if is_torch_tensor(X) else torch.as_tensor(np.asarray(X))).to(device=device, dtype=dtype)
        X0 = X0.detach()
        if X0.dim() < 2 or X0.shape[0] == 0:
            raise ValueError(f"X must be a non-empty batch (n, ...), got shape {tuple(X0.shape)}")
        if not bool(torch.isfinite(X0).all()):
            raise ValueError("X must contain only finite values (found NaN or inf)")
        yt = y if is_torch_tensor(y) else torch.as_tensor(np.asarray(y))
        if yt.dim() != 1 or yt.shape[0] != X0.shape[0]:
            raise ValueError(
                f"y must be a 1-D array of length n_samples={X0.shape[0]}, got {tuple(yt.shape)}"
            )
        yt = yt.to(device=device, dtype=torch.long)
        nx = get_backend(X0)
        oracle = _TorchOracle(module, yt, loss)
        draw = _numpy_or_torch_noise(nx, seed, X0)
    flags = [p.requires_grad for p in obj.parameters()] if kind == "torch" else []
    if kind == "torch":
        for p in obj.parameters():
            p.requires_grad_(False)
    try:
        return _pgd_loop(oracle, nx, X0, eps, r, steps, step_size, restarts, random_start, box, keep, draw)
    finally:
        if kind == "torch":
            for p, flag in zip(obj.parameters(), flags):
                p.requires_grad_(flag)


def _numpy_or_torch_noise(nx: Any, seed: Any, like: Any) -> Any:
    """``draw(shape, kind)``: uniform [0, 1) (``kind="uniform"``) or standard normal draws."""
    if nx.name == "torch":
        import torch

        gen = _torch_generator(seed, like.device)

        def draw(shape: tuple, kind: str) -> Any:
            fn = torch.rand if kind == "uniform" else torch.randn
            return fn(shape, generator=gen, device=like.device, dtype=like.dtype)

        return draw
    rng = check_random_state(seed)

    def draw_np(shape: tuple, kind: str) -> Any:
        out = rng.uniform(size=shape) if kind == "uniform" else rng.standard_normal(shape)
        return out.astype(like.dtype, copy=False)

    return draw_np


def _project(nx: Any, D: Any, r: float, eps: float) -> Any:
    """Rows of D (flattened) projected on the l_r ball of radius eps (device kept)."""
    if math.isinf(r):
        return nx.clip(D, -eps, eps)
    flat = D.reshape(D.shape[0], -1)
    out = project_ball(nx.to_numpy(flat).astype(np.float64), r, eps)
    return nx.asarray(out, dtype=D.dtype).reshape(D.shape)


def _start(nx: Any, X0: Any, eps: float, r: float, random_start: bool, draw: Any) -> Any:
    if not (random_start and eps > 0):
        return nx.copy(X0)
    if math.isinf(r):
        return X0 + (2.0 * draw(tuple(X0.shape), "uniform") - 1.0) * eps
    n = X0.shape[0]
    g = draw((n, int(np.prod(X0.shape[1:]))), "normal")
    g = g / norm(g, r)[:, None]
    radius = eps * draw((n, 1), "uniform")
    return X0 + (g * radius).reshape(X0.shape)


def _pgd_loop(
    oracle: Any,
    nx: Any,
    X0: Any,
    eps: float,
    r: float,
    steps: int,
    step_size: float,
    restarts: int,
    random_start: bool,
    box: tuple[float, float] | None,
    keep: str,
    draw: Any,
) -> WorstCase:
    n = X0.shape[0]
    all_idx = nx.arange(n)
    best_X: Any = nx.copy(X0)
    best_m: Any = None  # set at the first iterate
    best_k: Any = None

    def clamp(Z: Any) -> Any:
        return Z if box is None else nx.clip(Z, box[0], box[1])

    for restart in range(restarts):
        idx = all_idx if restart == 0 else all_idx[best_m > 0]
        if restart > 0 and idx.shape[0] == 0:
            break
        Xs = X0[idx]
        cur = clamp(_start(nx, Xs, eps, r, random_start, draw))
        for t in range(steps + 1):
            last = t == steps
            m, g, k = oracle(cur, idx, grad=not last and eps > 0)
            if keep == "best" or last:
                if best_m is None:
                    best_X, best_m, best_k = nx.copy(cur), m, k
                else:
                    better = m < best_m[idx]
                    sel = idx[better]
                    best_X[sel] = cur[better]
                    best_m[sel] = m[better]
                    if best_k is not None:
                        best_k[sel] = k[better]
            if last or eps == 0:
                break
            flat = g.reshape(g.shape[0], -1)
            step = unit_maximiser(flat, r).reshape(cur.shape)
            cur = clamp(Xs + _project(nx, cur + step_size * step - Xs, r, eps))
        if eps == 0:
            break
    return WorstCase(X_adv=best_X, margins=best_m, target=best_k, exact=False, rule="pgd")


def pgd_linear(
    W: Any,
    b: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    attack_norm: float = math.inf,
    steps: int = 40,
    step_size: float | None = None,
    seed: Any = None,
    random_start: bool = True,
) -> WorstCase:
    r"""PGD on the margin of a linear model: :func:`pgd` with ``loss="margin"`` and ``keep="best"``.

    A baseline, not the recommended attack: it finds a feasible point, hence an
    upper bound on the exact adversarial margin of :func:`adversarial_margins`.
    Each step moves along the steepest-descent direction of the current margin
    for the attack norm, :math:`x' \leftarrow x' - \alpha\, u_r(\nabla_{x'} M)` with
    :math:`\nabla_{x'} M = w_y - w_{k(x')}` (:math:`y w` for a binary model),
    :math:`k(x')` the current runner-up class, then projects onto
    :math:`B_r(x,\epsilon)` (the Euclidean projection of :func:`radbound._lp.project_ball`,
    exact for every r). The best iterate of each sample is kept. Equivalent to
    ``pgd((W, b), X, y, loss="margin", ...)``, kept for its signature, which matches the
    other linear attacks of this module.

    Parameters
    ----------
    W, b, X, y, eps, attack_norm
        As in :func:`adversarial_margins` (numpy arrays or torch tensors).
    steps : int
        Number of steps (default 40, the paper's network attack).
    step_size : float or None
        Step length alpha; default ``2.5 * eps / steps`` (Madry et al.).
    seed : int, Generator or None
        Random start.
    random_start : bool
        Start from a uniform point of the l_inf box (r = inf) or a random point of the ball.

    Returns
    -------
    WorstCase
        ``exact=False``, ``rule="pgd"``.

    References
    ----------
    Madry, Makelov, Schmidt, Tsipras & Vladu (2018), "Towards Deep Learning
    Models Resistant to Adversarial Attacks", ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.attacks import pgd_linear, adversarial_margins
    >>> rng = np.random.default_rng(1)
    >>> W, X, y = rng.normal(size=(3, 5)), rng.normal(size=(20, 5)), rng.integers(0, 3, 20)
    >>> wc = pgd_linear(W, None, X, y, eps=0.3, seed=0)
    >>> bool(np.all(adversarial_margins(W, None, X, y, eps=0.3) <= wc.margins + 1e-12))
    True
    """
    return pgd(
        (W, b),
        X,
        y,
        eps=eps,
        attack_norm=attack_norm,
        steps=steps,
        step_size=step_size,
        random_start=random_start,
        loss="margin",
        keep="best",
        seed=seed,
    )
