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
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import get_backend
from ._lp import clipped_room, dual_exponent, norm, project_ball, ramp, unit_maximiser
from ._validation import (
    check_binary_labels,
    check_choice,
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


def _check_clip(clip: Any) -> tuple[float, float] | None:
    if clip is None:
        return None
    try:
        lo, hi = clip
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"clip must be None or a pair (lo, hi) of real numbers, got {clip!r}") from exc
    if not (lo <= hi) or not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"clip must be a pair (lo, hi) of finite numbers with lo <= hi, got {clip!r}")
    return lo, hi


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
    if not bool((W == W).all()) or not bool(nx.abs(W).max() < math.inf):
        raise ValueError("W must contain only finite values (found NaN or inf)")
    binary = W.ndim == 1
    yv: Any  # float +-1 (binary) or int labels; numpy or torch
    if binary:
        if b is None:
            b = 0.0
        b_arr = np.asarray(b.detach().cpu().numpy() if is_torch_tensor(b) else b, dtype=np.float64)
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
            b_np = np.asarray(b.detach().cpu().numpy() if is_torch_tensor(b) else b, dtype=np.float64)
            if b_np.shape != (k,):
                raise ValueError(
                    f"b must have shape (K,)=({k},) to match W of shape {tuple(W.shape)}, got {b_np.shape}"
                )
            if not np.isfinite(b_np).all():
                raise ValueError("b must contain only finite values (found NaN or inf)")
            b = nx.asarray(b if is_torch_tensor(b) else b_np, dtype=X.dtype)
        yv, _ = check_multiclass_labels(y, n, n_classes=k)
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
    with np.errstate(invalid="ignore"):  # inf * 0 in a bad X: reported just below
        Z = X @ ext
    if not np.isfinite(Z[:, -1]).all() and not np.isfinite(X).all():
        raise ValueError("X must contain only finite values (found NaN or inf)")
    Z = Z[:, :-1]
    Z += P.b
    return Z[:, 0] if P.binary else Z


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
    if P.binary:
        m = P.y * Z
        if eps > 0:
            m = m - eps * norm(P.W, q)
        return m
    return _exact_multiclass(P, Z, eps, q)[0]


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
    box = _check_clip(clip)
    P = _prepare(W, b, X, y, finite_X=False)
    nx = P.nx
    Z = _logits(P)
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
    if margins is None:
        margins = _margins_from_logits(P, _logits(P, X_adv))
    return WorstCase(X_adv=X_adv, margins=margins, target=target, exact=exact, rule=rule)


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
    r"""Projected (sub)gradient descent on the margin of a linear model (numpy).

    A baseline, not the recommended attack: it finds a feasible point, hence an
    upper bound on the exact adversarial margin of :func:`adversarial_margins`.
    Each step moves along the steepest-descent direction of the current margin
    for the attack norm, :math:`x' \leftarrow x' - \alpha\, u_r(\nabla_{x'} M)` with
    :math:`\nabla_{x'} M = w_y - w_{k(x')}` (:math:`y w` for a binary model),
    :math:`k(x')` the current runner-up class, then projects onto
    :math:`B_r(x,\epsilon)` (the Euclidean projection of :func:`radbound._lp.project_ball`,
    exact for every r). The best iterate of each sample is kept.

    Parameters
    ----------
    W, b, X, y, eps, attack_norm
        As in :func:`adversarial_margins` (numpy arrays; tensors are converted).
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
    >>> pgd = pgd_linear(W, None, X, y, eps=0.3, seed=0)
    >>> bool(np.all(adversarial_margins(W, None, X, y, eps=0.3) <= pgd.margins + 1e-12))
    True
    """
    eps = check_nonnegative(eps, "eps")
    r = check_exponent(attack_norm, "attack_norm")
    steps = check_int(steps, "steps", minimum=0)
    if step_size is None:
        step_size = 2.5 * eps / max(steps, 1)
    else:
        step_size = check_positive(step_size, "step_size")
    rng = check_random_state(seed)

    def _np(a: Any) -> Any:
        return a.detach().cpu().numpy() if is_torch_tensor(a) else a

    P = _prepare(_np(W), _np(b), _np(X), _np(y), finite_X=True)
    X = P.X
    n, d = X.shape
    if random_start and eps > 0:
        if math.isinf(r):
            delta = rng.uniform(-eps, eps, size=(n, d))
        else:
            g = rng.standard_normal((n, d))
            g /= norm(g, r)[:, None]
            delta = g * (eps * rng.uniform(size=(n, 1)))
    else:
        delta = np.zeros_like(X)
    rows = np.arange(n)

    def evaluate(Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        Z = _logits(P, Xc)
        if P.binary:
            return P.y * Z, None
        Zo = Z.copy()
        Zo[rows, P.y] = -np.inf
        k = np.argmax(Zo, axis=1)
        return Z[rows, P.y] - Zo[rows, k], k

    best_X = X + delta
    best_m, best_k = evaluate(best_X)
    cur, k = best_X.copy(), best_k
    for _ in range(steps):
        grad = P.y[:, None] * P.W[None, :] if P.binary else P.W[P.y] - P.W[k]
        step = unit_maximiser(grad, r)
        cur = X + project_ball(cur - step_size * step - X, r, eps)
        m, k = evaluate(cur)
        better = m < best_m
        best_m = np.where(better, m, best_m)
        best_X[better] = cur[better]
        if best_k is not None and k is not None:
            best_k = np.where(better, k, best_k)
    return WorstCase(X_adv=best_X, margins=best_m, target=best_k, exact=False, rule="pgd")
