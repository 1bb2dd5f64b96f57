r"""Adversarial training objectives of linear classifiers, their gradients and conjugates (numpy).

The training objective of every linear trainer of :mod:`radbound.train` is

.. math::
    F(W, b) = \frac1n \sum_{i=1}^n \ell_i(W, b) + \lambda \|W\|_1 ,
    \qquad \|W\|_1 = \sum_{k,j} |W_{kj}| \ \text{(bias not penalised)},

where :math:`\ell_i` is the adversarial loss of sample :math:`i` under an
:math:`\ell_r` attack of radius :math:`\epsilon` (``attack_norm`` :math:`= r`,
:math:`r^*` its dual exponent; the paper's case :math:`r = \infty`, :math:`r^* = 1`).
The attack on a linear model is solved in closed form (:doc:`/theory/binary_linear` and
:doc:`/theory/multiclass`):
:math:`\min_{\|x'-x\|_r \le \epsilon} y\langle w, x'\rangle = y\langle w, x\rangle - \epsilon\|w\|_{r^*}`.

Losses (``loss=``)
------------------
``"logistic"`` (binary, :math:`y \in \{-1, +1\}`, margin :math:`m_i = y_i(\langle w, x_i\rangle + b)
- \epsilon\|w\|_{r^*}`): :math:`\log(1 + e^{-m_i})` — the exact adversarial logistic loss.

``"hinge"`` (binary): :math:`(1 - m_i)_+` — the exact adversarial hinge loss.

``"multiclass-hinge"`` (:math:`y \in \{0..K-1\}`): the Crammer–Singer hinge in its max form,
exact under attack,

.. math::
    \ell_i = \max\Big(0,\ \max_{k \ne y_i} 1 + A_{ik}\Big), \qquad
    A_{ik} = z_{ik} - z_{iy_i} + \epsilon \|w_k - w_{y_i}\|_{r^*}, \quad z_i = W x_i + b .

Since :math:`\min_{x'} [(w_y - w_k)^\top x' + b_y - b_k] = -A_{ik}` separately for every
:math:`k`, and the max over :math:`k` commutes with the max over :math:`x'`, this is exactly
:math:`\max_{x'} \max(0, \max_{k\ne y} 1 - (z'_y - z'_k))`.

``"softmax"``: the convex upper bound of the adversarial cross-entropy through pairwise distances,

.. math::
    \ell_i = \log \sum_{k} \exp(A_{ik}) \qquad (A_{iy_i} = 0).

It bounds the adversarial cross-entropy :math:`\max_{x'} \log\sum_k e^{z'_k - z'_y}` from above
because the maximum of a sum of increasing functions of separate terms is at most the sum of their
separate maxima: :math:`\max_{x'} \sum_k e^{(w_k - w_y)^\top x' + b_k - b_y} \le \sum_k e^{A_{ik}}`.
It is convex (log-sum-exp is convex and increasing in each argument; each :math:`A_{ik}` is convex)
and equals the exact adversarial cross-entropy when :math:`\epsilon = 0` or :math:`K = 2`.

Dual representation (used by the certificate of :mod:`radbound.train._certificate`)
-----------------------------------------------------------------------------------
Binary: :math:`\ell(m) = \sup_{a \in [0,1]} -a m + h(a)` with :math:`h(a) = -a\log a - (1-a)\log(1-a)`
(logistic) or :math:`h(a) = a` (hinge). Multi-class: :math:`\ell_i = \sup_{\pi \ge 0, \sum_k \pi_k \le 1}
\sum_{k\ne y_i}\pi_k A_{ik} + h(\pi)` with :math:`h` the entropy of :math:`(\pi, 1 - \sum\pi)` (softmax)
or :math:`h(\pi) = \sum_k \pi_k` (Crammer–Singer hinge).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import expit, logsumexp, xlogy

from .._lp import dual_exponent, norm
from .._validation import check_choice, check_exponent, check_nonnegative
from ._constants import (
    BINARY_LOSSES,
    LOSSES,
    MULTICLASS_LOSSES,
    OBJECTIVE_KINDS,
    NonOptimalWarning,
    SolverError,
)
from ._problem import check_model_point

__all__ = [
    "BINARY_LOSSES",
    "MULTICLASS_LOSSES",
    "LOSSES",
    "OBJECTIVE_KINDS",
    "SolverError",
    "NonOptimalWarning",
    "objective",
    "training_objective",
    "pairwise_distances",
    "binary_margins",
    "multiclass_scores",
    "loss_values",
    "dual_entropy",
]


def pairwise_distances(W: np.ndarray, q: float = 1.0) -> np.ndarray:
    r"""The (K, K) matrix :math:`N_{jk} = \|w_j - w_k\|_q` of the rows of ``W``."""
    return norm(W[:, None, :] - W[None, :, :], q)


def binary_margins(X, y, w, b, eps: float, q: float = 1.0) -> np.ndarray:
    r"""Exact adversarial margins :math:`y_i(\langle w, x_i\rangle + b) - \epsilon \|w\|_q`."""
    return y * (X @ w + b) - eps * float(norm(w, q))


def multiclass_scores(X, y, W, b, eps: float, q: float = 1.0) -> np.ndarray:
    r"""The (n, K) matrix :math:`A_{ik} = z_{ik} - z_{iy_i} + \epsilon\|w_k - w_{y_i}\|_q` (0 at k = y_i)."""
    Z = X @ W.T + b
    n = Z.shape[0]
    return Z - Z[np.arange(n), y][:, None] + eps * pairwise_distances(W, q)[y]


def loss_values(X, y, W, b, *, eps: float, loss: str, q: float = 1.0) -> np.ndarray:
    """Per-sample adversarial losses (length n)."""
    if loss in BINARY_LOSSES:
        m = binary_margins(X, y, W, b, eps, q)
        if loss == "logistic":
            return np.logaddexp(0.0, -m)
        return np.maximum(0.0, 1.0 - m)
    A = multiclass_scores(X, y, W, b, eps, q)
    if loss == "softmax":
        return logsumexp(A, axis=1)
    n = A.shape[0]
    A = A + 1.0
    A[np.arange(n), y] = 0.0
    return A.max(axis=1)


def training_objective(X, y, W, b, *, eps: float, lam: float, loss: str, q: float = 1.0) -> float:
    r"""The training objective :math:`F(W,b)` on validated inputs (``q`` the dual exponent :math:`r^*`).

    The solvers' kernel of :func:`objective` (no validation).
    """
    vals = loss_values(X, y, W, b, eps=eps, loss=loss, q=q)
    return float(vals.mean() + lam * np.abs(W).sum())


def _single_target_objective(X, y, W, b, *, eps: float, lam: float, attack_norm: float, rule: str) -> float:
    """Mean cross-entropy at the single-target worst case of ``rule``, plus lam ||W||_1."""
    from ..attacks import linear_worst_case

    Xa = linear_worst_case(W, b, X, y, eps=eps, attack_norm=attack_norm, rule=rule).X_adv
    Z = Xa @ W.T + b
    data = float(np.mean(logsumexp(Z, axis=1) - Z[np.arange(X.shape[0]), y]))
    return data + lam * float(np.abs(W).sum())


def objective(
    X: Any,
    y: Any,
    W: Any,
    b: Any,
    *,
    eps: float,
    lam: float,
    loss: str,
    attack_norm: float = math.inf,
    kind: str = "convex",
) -> float:
    r"""A training objective of l1-regularised adversarial training at ``(W, b)``.

    ``kind="convex"`` (default) gives the objective every solver of
    :func:`radbound.train.fit_linear` minimises (module docstring),

    .. math::
        F(W, b) = \frac1n \sum_{i=1}^n \ell_i(W, b) + \lambda \sum_{k,j} |W_{kj}| ,

    with :math:`\ell_i` the exact adversarial loss of an :math:`\ell_r` attack of radius
    :math:`\epsilon` (``r = attack_norm``) for the logistic, hinge and Crammer–Singer losses, and
    the pairwise convex upper bound of the adversarial cross-entropy for ``"softmax"``.

    ``kind="single-target-paper"`` or ``"single-target-exact"`` (softmax only) gives the objective
    of the paper's protocol (:func:`radbound.train.fit_sgd_attack`): the mean cross-entropy at the
    single-target worst case :math:`x_i - \epsilon u_r(w_{y_i} - w_{k^*_i})` of the rule (see
    :func:`radbound.attacks.linear_worst_case`), plus :math:`\lambda\|W\|_1`. It lies below the
    convex objective (the pairwise bound is an upper bound of every single-target loss), so the
    two differ on the same ``W``; a model records which one it holds in
    :attr:`radbound.train.LinearModel.objective_kind`.

    Parameters
    ----------
    X : array (n, d)
    y : array (n,)
        {-1, +1} for the binary losses; class indices ``0..K-1`` (rows of ``W``) otherwise.
    W : array (d,) or (K, d)
    b : float or array (K,)
    eps : float
        Attack radius, >= 0.
    lam : float
        l1 weight, >= 0.
    loss : {"logistic", "hinge", "multiclass-hinge", "softmax"}
    attack_norm : float
        r in [1, inf] (the paper's l_inf attack by default).
    kind : {"convex", "single-target-paper", "single-target-exact"}

    Returns
    -------
    float

    Raises
    ------
    ValueError, TypeError
        Bad shapes, labels, values or names (each message names the parameter).
    OverflowError
        The objective exceeds the float64 range at these inputs.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, experiments (the l1-regularised robust training
    problem and the single-target protocol of their code); the closed-form attack on linear
    models: :doc:`/theory/binary_linear` and :doc:`/theory/multiclass`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([1.0, -1.0]); w = np.array([1.0, -1.0])
    >>> # margins 1 - 0.5 * 2 = 0 for both samples: logistic loss log 2, plus 0.1 * ||w||_1 = 0.2
    >>> bool(np.isclose(objective(X, y, w, 0.0, eps=0.5, lam=0.1, loss="logistic"), np.log(2) + 0.2))
    True
    """
    eps = check_nonnegative(eps, "eps")
    lam = check_nonnegative(lam, "lam")
    r = check_exponent(attack_norm, "attack_norm")
    kind = check_choice(kind, "kind", OBJECTIVE_KINDS)
    X, y, W, b = check_model_point(X, y, W, b, loss=loss)
    if kind != "convex" and loss != "softmax":
        raise ValueError(f"kind={kind!r} is defined for loss='softmax' only, got loss={loss!r}")
    with np.errstate(over="ignore", invalid="ignore"):
        if kind == "convex":
            value = training_objective(X, y, W, b, eps=eps, lam=lam, loss=loss, q=dual_exponent(r))
        else:
            rule = kind.rsplit("-", 1)[1]
            value = _single_target_objective(X, y, W, b, eps=eps, lam=lam, attack_norm=r, rule=rule)
    check_finite_objective(value, X, W, eps, lam)
    return value


def check_finite_objective(value: float, X: np.ndarray, W: np.ndarray, eps: float, lam: float) -> None:
    """OverflowError naming the inputs when an objective does not fit in float64."""
    if not math.isfinite(value):
        raise OverflowError(
            f"the training objective overflows float64 at these inputs (max|X| = {np.abs(X).max():.3g}, "
            f"||W||_1 = {np.abs(W).sum():.3g}, eps = {eps:.3g}, lam = {lam:.3g}); rescale X or W"
        )


# --------------------------------------------------------------------------- smooth pieces


def binary_logistic_split(z: np.ndarray, X, y, eps: float, lam: float, fit_intercept: bool):
    r"""Value and gradient of the binary logistic objective on the split :math:`w = u - v`, u, v >= 0.

    With :math:`t = \sum_j (u_j + v_j) \ge \|w\|_1` the function
    :math:`\frac1n\sum_i \log(1 + e^{-(y_i(x_i^\top(u-v) + b) - \epsilon t)}) + \lambda t` is smooth,
    convex, and equals :math:`F` wherever :math:`u \odot v = 0` (in particular at its minimisers when
    :math:`\lambda + \epsilon > 0`). ``z = [u, v, b]`` (b omitted when ``fit_intercept`` is False).
    """
    n, d = X.shape
    u, v = z[:d], z[d : 2 * d]
    b = z[2 * d] if fit_intercept else 0.0
    t = u.sum() + v.sum()
    m = y * (X @ (u - v) + b) - eps * t
    val = np.logaddexp(0.0, -m).mean() + lam * t
    r = -expit(-m) / n  # d loss_i / d m_i, divided by n
    gx = X.T @ (r * y)
    rs = r.sum()
    g = np.empty_like(z)
    g[:d] = gx - eps * rs + lam
    g[d : 2 * d] = -gx - eps * rs + lam
    if fit_intercept:
        g[2 * d] = (r * y).sum()
    return val, g


def softmax_core(X, y, onehot, W, b, N, eps: float, return_probs: bool = False):
    r"""Value and gradients of :math:`\frac1n\sum_i \mathrm{lse}(A_i)` with the pair matrix ``N`` given.

    Returns ``(value, G_W, G_b, G_N)`` where ``G_N[j, k]`` is the derivative with respect to
    ``N[j, k]`` taken as an independent variable (so that callers choose how N depends on W).
    """
    n = X.shape[0]
    Z = X @ W.T + b
    A = Z - Z[np.arange(n), y][:, None] + eps * N[y]
    lse = logsumexp(A, axis=1)
    P = np.exp(A - lse[:, None])
    GZ = (P - onehot) / n
    GW = GZ.T @ X
    Gb = GZ.sum(axis=0)
    GN = (eps / n) * (onehot.T @ P)
    np.fill_diagonal(GN, 0.0)
    if return_probs:
        return float(lse.mean()), GW, Gb, GN, P
    return float(lse.mean()), GW, Gb, GN


def dual_entropy(a: np.ndarray, loss: str) -> np.ndarray:
    r"""Per-sample dual values :math:`h` (see module docstring); ``a`` is (n,) binary or (n, K) masked."""
    if loss == "logistic":
        return -xlogy(a, a) - xlogy(1.0 - a, 1.0 - a)
    if loss == "hinge":
        return a
    if loss == "softmax":
        s = a.sum(axis=1)
        return -xlogy(a, a).sum(axis=1) - xlogy(1.0 - s, np.maximum(1.0 - s, 0.0))
    return a.sum(axis=1)
