r"""The duality-gap certificate of l1-regularised adversarial training (any attack norm).

Each adversarial loss is a supremum of affine functions of :math:`(W, b)` (see
:mod:`radbound.train._losses`; :math:`\|v\|_{r^*} = \sup_{\|s\|_r \le 1} \langle s, v\rangle`),
which gives the Fenchel dual. Binary, with :math:`g = \frac1n \sum_i a_i y_i x_i` and
:math:`\bar a = \frac1n \sum_i a_i`:

.. math::
    \max_{a \in [0,1]^n}\ \frac1n \sum_i h(a_i) \quad\text{s.t.}\quad \sum_i a_i y_i = 0, \quad
    g \in \lambda B_\infty + \epsilon\, \bar a\, B_r ,

(:math:`B_r` the unit :math:`\ell_r` ball), i.e. :math:`\|(|g| - \lambda)_+\|_r \le \epsilon\bar a`,
because the soft-threshold :math:`\operatorname{clip}(g, -\lambda, \lambda)` is the point of
:math:`\lambda B_\infty` nearest to :math:`g` in every :math:`\ell_r` norm.

Multi-class, with :math:`\pi_{ik} \ge 0` (:math:`k \ne y_i`, :math:`\sum_k \pi_{ik} \le 1`): the
flows :math:`E_{jk} = \sum_{i: y_i = j} \pi_{ik}` form a circulation (bias), and
:math:`G = \frac1n \tilde\Pi^\top X` must lie in
:math:`\lambda B_\infty + \{ \sum_{j<k} (e_j - e_k) \phi_{jk}^\top : \|\phi_{jk}\|_r \le \epsilon C_{jk} \}`,
:math:`C = (E + E^\top)/n`. For :math:`r = \infty` the flows separate by feature
(:math:`|F_{jk,f}| \le \epsilon C_{jk}`).

A dual-feasible point is built from the solution -- :math:`a = -\ell'(m)` or the softmax
probabilities (or the LP duals for the hinge losses) -- by (i) balancing the classes (binary:
scale one class; multi-class: the largest circulation below E, a small LP), then (ii) scaling by
the largest :math:`\theta \in [0, 1]` that makes it feasible: :math:`\theta = \min(1, \lambda/\rho)`
with :math:`\rho` the smallest achievable :math:`\ell_\infty` residual (binary :math:`r = \infty`:
:math:`\|g\|_\infty - \epsilon\bar a`; binary other :math:`r`: bisection on the threshold;
multi-class: an LP over the flows for :math:`r = \infty`, a small conic program (cvxpy, Clarabel)
for other :math:`r`, whose flows are then scaled into their balls in numpy so that the point is
feasible whatever the conic solver's accuracy).

Weak duality makes ``gap = F(W, b) - D`` an upper bound on :math:`F(W,b) - F^*`; it is zero at
the optimum (up to the solver's accuracy) and large at a perturbed point. ``rel_gap`` is
``gap / max(1, |F|)``. With ``lam = 0`` step (ii) gives :math:`\theta = 0` unless the point is
exactly feasible, so the gap is valid but loose there (``informative`` is False).

References
----------
Fenchel duality: Borwein & Lewis (2006), "Convex Analysis and Nonlinear Optimization", 2nd ed.,
Springer; weak duality and duality gaps as optimality certificates: Boyd & Vandenberghe (2004),
"Convex Optimization", Cambridge University Press, ch. 5. The dual of this problem is derived in
this module (:doc:`/theory/binary_linear` for the inner supremum :math:`\epsilon\|w\|_{r^*}` of the
:math:`\ell_r` attack).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.special import expit, softmax

from .._lp import dual_exponent, norm
from .._validation import as_real_array, check_exponent, check_nonnegative
from ._losses import (
    binary_margins,
    check_finite_objective,
    dual_entropy,
    multiclass_scores,
    training_objective,
)
from ._problem import TrainingProblem, check_model_point

__all__ = ["DualityGap", "certify", "duality_gap"]

_LP_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


@dataclass(frozen=True)
class DualityGap:
    r"""A duality-gap certificate at a point ``(W, b)`` of the training problem.

    Attributes
    ----------
    primal : float
        :math:`F(W, b)`.
    dual : float
        A dual objective value :math:`D \le F^*` (weak duality).
    gap : float
        ``primal - dual``, an upper bound on :math:`F(W, b) - F^*`.
    rel_gap : float
        ``gap / max(1, |primal|)``.
    theta : float
        The feasibility scaling of the dual point, in [0, 1].
    bias_residual : float
        Class-balance residual left by the balancing step (~1e-12 when the bias is fitted).
    informative : bool
        False when ``lam = 0`` and the dual point had to be scaled to 0 (the gap is then valid but
        equals the primal value).
    """

    primal: float
    dual: float
    gap: float
    rel_gap: float
    theta: float
    bias_residual: float
    informative: bool


# ---------------------------------------------------------------------------- dual points
def _binary_dual_point(prob: TrainingProblem, W, b, dual):
    if dual is not None:
        return np.clip(np.asarray(dual, dtype=np.float64).reshape(-1), 0.0, 1.0)
    m = binary_margins(prob.X, prob.y, W, b, prob.eps, dual_exponent(prob.attack_norm))
    if prob.loss == "logistic":
        return expit(-m)
    return np.where(m < 1.0, 1.0, 0.0) + np.where(m == 1.0, 0.5, 0.0)


def _multiclass_dual_point(prob: TrainingProblem, W, b, dual):
    n, y = prob.n, prob.y
    if dual is not None:
        P = np.clip(np.asarray(dual, dtype=np.float64), 0.0, 1.0).copy()
    else:
        A = multiclass_scores(prob.X, y, W, b, prob.eps, dual_exponent(prob.attack_norm))
        if prob.loss == "softmax":
            P = softmax(A, axis=1)
        else:
            A = A + 1.0
            A[np.arange(n), y] = 0.0
            P = np.zeros_like(A)
            k = np.argmax(A, axis=1)
            P[np.arange(n), k] = 1.0
    P[np.arange(n), y] = 0.0
    s = P.sum(axis=1)
    over = s > 1.0
    P[over] /= s[over, None]
    return P


def _max_circulation(E: np.ndarray) -> np.ndarray:
    """The largest circulation E' with 0 <= E' <= E (elementwise; an LP)."""
    K = E.shape[0]
    off = ~np.eye(K, dtype=bool)
    net = E.sum(axis=0) - E.sum(axis=1)
    if np.abs(net).max() <= 1e-14 * max(1.0, E.sum()):
        return E.copy()
    jj, kk = np.nonzero(off)
    m = jj.size
    A_eq = np.zeros((K, m))
    A_eq[kk, np.arange(m)] += 1.0  # inflow into k
    A_eq[jj, np.arange(m)] -= 1.0  # outflow from j
    scale = float(E.max())
    res = linprog(
        -np.ones(m),
        A_eq=A_eq,
        b_eq=np.zeros(K),
        bounds=list(zip(np.zeros(m), E[jj, kk] / scale)),
        method="highs",
        options=_LP_OPTIONS,
    )
    out = np.zeros_like(E)
    if res.status == 0:
        out[jj, kk] = np.clip(res.x * scale, 0.0, E[jj, kk])
    return out


def _pair_incidence(K: int) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The pairs j < k and the (K, M) incidence matrix (+1 at j, -1 at k)."""
    pairs = [(j, k) for j in range(K) for k in range(j + 1, K)]
    inc = np.zeros((K, len(pairs)))
    for p, (j, k) in enumerate(pairs):
        inc[j, p] = 1.0
        inc[k, p] = -1.0
    return pairs, inc


def _flow_residual_inf(G: np.ndarray, cap: np.ndarray, lam: float) -> float:
    r"""min over antisymmetric flows |F_jk| <= cap_jk of max_{c, f} |G_cf + sum_k F_ck,f| (an LP)."""
    K, d = G.shape
    base = np.abs(G).max(axis=0)
    if not np.any(cap > 0):
        return float(base.max())
    cand = np.nonzero(base > lam)[0]
    rest = float(base[np.setdiff1d(np.arange(d), cand)].max()) if cand.size < d else 0.0
    if cand.size == 0:
        return rest
    pairs, inc = _pair_incidence(K)
    M = len(pairs)
    caps = np.array([cap[j, k] for j, k in pairs])
    m = cand.size
    Gc = G[:, cand]
    scale = float(np.abs(Gc).max())
    AF = sp.kron(sp.csr_matrix(inc), sp.identity(m, format="csr"), format="csr")  # (K m, M m)
    ub = np.repeat(caps, m)
    # normalised LP: flows F = ub * phi with phi in [-1, 1]; residuals in units of max |G|
    AFn = (AF @ sp.diags(ub / scale)).tocsr()
    ones = sp.csr_matrix(-np.ones((K * m, 1)))
    A_ub = sp.vstack([sp.hstack([AFn, ones]), sp.hstack([-AFn, ones])], format="csr")
    b_ub = np.concatenate([-Gc.ravel(), Gc.ravel()]) / scale
    bounds = np.column_stack(
        [np.concatenate([-np.ones(M * m), [0.0]]), np.concatenate([np.ones(M * m), [np.inf]])]
    )
    cost = np.zeros(M * m + 1)
    cost[-1] = 1.0
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs", options=_LP_OPTIONS)
    if res.status != 0 or res.x is None:
        F = np.zeros(M * m)
    else:
        F = np.clip(res.x[:-1], -1.0, 1.0) * ub
    resid = np.abs(Gc.ravel() + AF @ F).max()
    return float(max(resid, rest))


def _flow_residual_general(G: np.ndarray, cap: np.ndarray, lam: float, r: float) -> float:
    r"""The smallest residual :math:`\max |G - \sum_{j<k} (e_j - e_k)\phi_{jk}^\top|` over bounded flows.

    The flows satisfy :math:`\|\phi_{jk}\|_r \le` ``cap[j, k]``.

    Solved by cvxpy (Clarabel) on the features whose residual exceeds ``lam`` without flows
    (zero flows elsewhere lose nothing), then made exactly feasible in numpy: each flow is
    scaled into its ball and the residual is recomputed from the scaled flows.
    """
    K, d = G.shape
    base = np.abs(G).max(axis=0)
    cand = np.nonzero(base > lam)[0]
    rest = float(base[np.setdiff1d(np.arange(d), cand)].max()) if cand.size < d else 0.0
    if cand.size == 0 or not np.any(cap > 0):
        return float(base.max())
    import cvxpy as cp

    from .cvx import row_norms

    pairs, inc = _pair_incidence(K)
    caps = np.array([cap[j, k] for j, k in pairs])
    Gc = G[:, cand]
    scale = float(np.abs(Gc).max())
    Phi = cp.Variable((len(pairs), cand.size))
    t = cp.Variable()
    norms, cons = row_norms(Phi, r)
    cons += [norms <= caps / scale, cp.abs(Gc / scale + inc @ Phi) <= t]
    problem = cp.Problem(cp.Minimize(t), cons)
    try:
        problem.solve(solver="CLARABEL")
    except cp.error.SolverError:  # pragma: no cover - the zero flow below is still valid
        pass
    F = np.zeros((len(pairs), cand.size)) if Phi.value is None else np.asarray(Phi.value) * scale
    nrm = norm(F, r, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(nrm > caps, caps / np.where(nrm > 0, nrm, 1.0), 1.0)
    F = F * shrink[:, None]
    resid = float(np.abs(Gc + inc @ F).max())
    return max(resid, rest)


def _feasible_scaling(rho: float, lam: float) -> float:
    """The largest theta in [0, 1] with theta * rho <= lam."""
    if rho <= lam:
        return 1.0
    return lam / rho if rho > 0 else 1.0


def _binary_scaling(g: np.ndarray, abar: float, eps: float, lam: float, r: float) -> float:
    r"""The largest :math:`\theta \le 1` with :math:`\|(\theta|g| - \lambda)_+\|_r \le \epsilon\theta\bar a`.

    Bisection on the threshold :math:`\tau = \lambda/\theta`, whose excess is decreasing; the
    returned :math:`\theta` is on the feasible side.
    """
    if math.isinf(r):
        return _feasible_scaling(float(np.abs(g).max() - eps * abar), lam)
    absg = np.abs(g)
    budget = eps * abar

    def excess(tau: float) -> float:  # ||(|g| - tau)_+||_r - eps abar, decreasing in tau
        return float(norm(np.maximum(absg - tau, 0.0), r)) - budget

    if excess(lam) <= 0.0:
        return 1.0
    if lam <= 0.0:
        return 0.0
    lo, hi = lam, float(absg.max())  # excess(lo) > 0 >= excess(hi)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if excess(mid) <= 0.0:
            hi = mid
        else:
            lo = mid
    return lam / hi


# ---------------------------------------------------------------------------- the certificate
def certify(prob: TrainingProblem, W: np.ndarray, b: Any, dual: np.ndarray | None = None) -> DualityGap:
    """The duality gap of ``prob`` at ``(W, b)`` (inputs already validated; see :func:`duality_gap`)."""
    X, y, n, eps, lam = prob.X, prob.y, prob.n, prob.eps, prob.lam
    r = prob.attack_norm
    q = dual_exponent(r)
    primal = training_objective(X, y, W, b, eps=eps, lam=lam, loss=prob.loss, q=q)
    if prob.binary:
        a = _binary_dual_point(prob, W, b, dual)
        resid = 0.0
        if prob.fit_intercept:
            pos = y > 0
            sp_, sm_ = a[pos].sum(), a[~pos].sum()
            if sp_ > sm_:
                a = np.where(pos, a * (sm_ / sp_), a)
            elif sm_ > sp_:
                a = np.where(~pos, a * (sp_ / sm_), a)
            resid = abs(float((a * y).sum())) / n
        g = X.T @ (a * y) / n
        theta = _binary_scaling(g, float(a.mean()), eps, lam, r)
        dval = float(dual_entropy(theta * a, prob.loss).mean())
    else:
        onehot = prob.onehot
        P = _multiclass_dual_point(prob, W, b, dual)
        E = onehot.T @ P
        np.fill_diagonal(E, 0.0)
        if prob.fit_intercept:
            E2 = _max_circulation(E)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(E > 0, E2 / np.where(E > 0, E, 1.0), 0.0)
            P = P * ratio[y]
            E = onehot.T @ P
            np.fill_diagonal(E, 0.0)
            resid = float(np.abs(E.sum(axis=0) - E.sum(axis=1)).max()) / n
        else:
            resid = 0.0
        Pt = P - onehot * P.sum(axis=1, keepdims=True)
        G = Pt.T @ X / n
        C = (E + E.T) / n
        # some optimal flow carries at most the total |G| (per feature, hence in every l_r norm),
        # so capacities far above it are cut: the LP stays well scaled for huge eps, and ordinary
        # problems (capacities below it) are untouched
        cap = np.minimum(eps * C, 1e3 * float(np.abs(G).sum()))
        if math.isinf(r):
            rho = _flow_residual_inf(G, cap, lam)
        else:
            rho = _flow_residual_general(G, cap, lam, r)
        theta = _feasible_scaling(rho, lam)
        dval = float(dual_entropy(theta * P, prob.loss).mean())
    gap = primal - dval
    return DualityGap(
        primal=primal,
        dual=dval,
        gap=gap,
        rel_gap=gap / max(1.0, abs(primal)),
        theta=theta,
        bias_residual=resid,
        informative=bool(lam > 0 or theta == 1.0),
    )


def duality_gap(
    X: Any,
    y: Any,
    W: Any,
    b: Any,
    *,
    eps: float,
    lam: float,
    loss: str,
    attack_norm: float = math.inf,
    fit_intercept: bool = True,
    dual: Any = None,
) -> DualityGap:
    r"""A duality gap of the l1-regularised adversarial training problem at ``(W, b)``.

    .. math::
        0 \le F(W, b) - F^* \le F(W, b) - D(a) = \text{gap}

    for the dual point :math:`a` built from ``(W, b)`` (module docstring of
    :mod:`radbound.train._certificate`), where :math:`F` is the objective of
    :func:`radbound.train.objective` (``kind="convex"``) and :math:`D(a) \le F^*` by weak duality:
    a certificate of suboptimality that needs no knowledge of :math:`F^*`.

    Parameters
    ----------
    X : array (n, d)
    y : array (n,)
        {-1, +1} (binary losses) or class indices ``0..K-1`` (rows of ``W``).
    W : array (d,) or (K, d)
    b : float or array (K,)
        The bias (0 when the problem has none: pass ``fit_intercept=False``).
    eps : float
        Attack radius, >= 0.
    lam : float
        l1 weight, >= 0.
    loss : {"logistic", "hinge", "multiclass-hinge", "softmax"}
    attack_norm : float
        r in [1, inf]. For multi-class losses and finite r the flows are found by a small conic
        program (cvxpy, imported on use).
    fit_intercept : bool
        Whether the bias is a variable of the problem (adds the class-balance constraint).
    dual : array, optional
        The dual point to start from (binary: (n,) in [0, 1]; multi-class: (n, K)), e.g. the
        dual values of a hinge LP; by default it is built from ``(W, b)``.

    Returns
    -------
    DualityGap

    References
    ----------
    Borwein & Lewis (2006), "Convex Analysis and Nonlinear Optimization", 2nd ed., Springer
    (Fenchel duality); Boyd & Vandenberghe (2004), "Convex Optimization", ch. 5 (weak duality,
    duality gaps as certificates). The dual of this problem: module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [-1.0]]); y = np.array([1.0, -1.0])
    >>> # w = 0, b = 0 is optimal when lam >= |mean(a y x)| = 1/2 with a = 1/2 (logistic, eps = 0)
    >>> c = duality_gap(X, y, np.zeros(1), 0.0, eps=0.0, lam=0.6, loss="logistic")
    >>> bool(abs(c.gap) < 1e-12)
    True
    """
    eps = check_nonnegative(eps, "eps")
    lam = check_nonnegative(lam, "lam")
    r = check_exponent(attack_norm, "attack_norm")
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool, got {type(fit_intercept).__name__} {fit_intercept!r}")
    X, yv, Wv, bv = check_model_point(X, y, W, b, loss=loss)
    binary = Wv.ndim == 1
    if not fit_intercept and np.any(np.asarray(bv) != 0):
        raise ValueError("b must be 0 when fit_intercept is False")
    classes = np.array([-1, 1]) if binary else np.arange(Wv.shape[0])
    prob = TrainingProblem(
        X=X,
        y=yv,
        eps=eps,
        lam=lam,
        loss=loss,
        fit_intercept=bool(fit_intercept),
        attack_norm=r,
        classes=classes,
    )
    if dual is not None:
        dv = np.asarray(as_real_array(dual, "dual"), dtype=np.float64)
        shape = (prob.n,) if binary else (prob.n, Wv.shape[0])
        if dv.shape != shape or not np.isfinite(dv).all():
            raise ValueError(f"dual must be a finite array of shape {shape}, got shape {dv.shape}")
        dual = dv
    with np.errstate(over="ignore", invalid="ignore"):
        cert = certify(prob, Wv, bv, dual)
    check_finite_objective(cert.primal, X, Wv, eps, lam)
    if not math.isfinite(cert.dual):  # pragma: no cover - the dual entropy is bounded by log K
        raise OverflowError("the dual value of the certificate is not finite")
    return cert
