r"""Fast solvers for l1-regularised adversarial training of linear models, with a duality-gap certificate.

The problem (see :mod:`radbound.train._losses`) is, for the l_inf attack (:math:`r^* = 1`),

.. math::
    \min_{W, b}\ F(W, b) = \frac1n \sum_i \ell_i(W, b) + \lambda \|W\|_1 .

Algorithms (``solver="fast"``)
------------------------------
* ``"logistic"``: L-BFGS-B on the split :math:`w = u - v`, :math:`u, v \ge 0`. With
  :math:`t = \mathbf 1^\top(u + v)` in place of :math:`\|w\|_1` (both inside the loss and in the
  penalty) the objective is smooth and convex in :math:`(u, v, b)` and has the same minimum, since
  it is increasing in :math:`t \ge \|u - v\|_1`.
* ``"softmax"``: (1) L-BFGS on a smoothed objective, :math:`|t| \approx \sqrt{t^2 + \mu^2} - \mu`,
  with continuation in :math:`\mu`, which only serves to find the ORDER of the K class weights and 0
  in every feature; (2) in the cone of matrices consistent with that order (ties allowed), every
  :math:`|W_{kj}|` and :math:`|W_{kj} - W_{lj}|` is linear, so the EXACT objective is smooth there:
  it is minimised by L-BFGS-B over the non-negative gaps between consecutive sorted values. The cone
  contains the optimum as soon as the strict inequalities of the optimal order are respected (ties at
  the optimum may be ordered arbitrarily); the certificate below checks it, and the continuation
  goes on with a smaller :math:`\mu` if it does not certify.
* ``"hinge"`` and ``"multiclass-hinge"``: the problem is a linear program; it is solved by HiGHS's
  interior-point method with crossover (``scipy.optimize.linprog(method="highs-ipm")``) on a sparse
  formulation (epigraph variables for |W| and for the pairwise distances); its dual values give the
  certificate.

Optimality certificate (``diagnostics["duality_gap"]``)
--------------------------------------------------------
Each loss is a supremum of affine functions (see :mod:`radbound.train._losses`), which gives the
Fenchel dual. Binary:

.. math::
    \max_{a \in [0,1]^n}\ \frac1n \sum_i h(a_i) \quad\text{s.t.}\quad \sum_i a_i y_i = 0, \quad
    \Big\| \frac1n \sum_i a_i y_i x_i \Big\|_\infty \le \lambda + \epsilon\, \bar a .

Multi-class, with :math:`\pi_{ik} \ge 0` (:math:`k \ne y_i`, :math:`\sum_k \pi_{ik} \le 1`): the
flows :math:`E_{jk} = \sum_{i: y_i = j} \pi_{ik}` form a circulation (bias), and for every feature
j the vector :math:`G_{:j}`, :math:`G = \frac1n \tilde\Pi^\top X`, lies in
:math:`\lambda B_\infty + \epsilon\,\{ \sum_k F_{ck} : F = -F^\top, |F_{ck}| \le C_{ck} \}`,
:math:`C = (E + E^\top)/n`. A dual-feasible point is built from the solution — :math:`a = -\ell'(m)`
or the softmax probabilities (or the LP duals for the hinge losses) — by (i) balancing the classes
(binary: scale one class; multi-class: the largest circulation below E, a small LP), then (ii)
scaling by :math:`\theta = \min(1, \lambda/\rho)` where :math:`\rho` is the smallest achievable
l_inf residual (binary: :math:`\|g\|_\infty - \epsilon\bar a`; multi-class: an LP over the flows F).
Weak duality makes ``duality_gap = F(W, b) - D`` an upper bound on :math:`F(W,b) - F^*`; it is zero
at the optimum (up to the solver's accuracy) and large at a perturbed point. ``rel_gap`` is
``gap / max(1, |F|)``. With ``lam = 0`` step (ii) gives :math:`\theta = 0` unless the point is
exactly feasible, so the gap is a valid but loose bound there (``gap_informative`` is False) and
the solution is judged by ``kkt_residual`` (the projected-gradient norm of the smooth reformulation,
<= 1e-9) or, for the hinge LPs, by HiGHS's optimal status. ``kkt_residual`` is reported for the smooth
losses in every case.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy.optimize import linprog, minimize
from scipy.special import expit, softmax

from ._losses import (
    NonOptimalWarning,
    SolverError,
    binary_logistic_split,
    binary_margins,
    dual_entropy,
    multiclass_scores,
    objective,
    softmax_core,
)
from ._model import LinearModel

__all__ = ["duality_gap", "fit_fast"]

_LP_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


# ============================================================================ certificate
def _binary_dual_point(X, y, W, b, eps, loss, dual):
    if dual is not None:
        return np.clip(np.asarray(dual, dtype=np.float64).reshape(-1), 0.0, 1.0)
    m = binary_margins(X, y, W, b, eps)
    if loss == "logistic":
        return expit(-m)
    return np.where(m < 1.0, 1.0, 0.0) + np.where(m == 1.0, 0.5, 0.0)


def _multiclass_dual_point(X, y, W, b, eps, loss, dual):
    n = X.shape[0]
    if dual is not None:
        P = np.clip(np.asarray(dual, dtype=np.float64), 0.0, 1.0).copy()
    else:
        A = multiclass_scores(X, y, W, b, eps)
        if loss == "softmax":
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


def _flow_residual(G: np.ndarray, cap: np.ndarray, lam: float) -> float:
    r"""min over antisymmetric flows |F_jk| <= cap_jk of max_{c, f} |G_cf + sum_k F_ck,f| (an LP)."""
    K, d = G.shape
    base = np.abs(G).max(axis=0)
    if not np.any(cap > 0):
        return float(base.max())
    cand = np.nonzero(base > lam)[0]
    rest = float(base[np.setdiff1d(np.arange(d), cand)].max()) if cand.size < d else 0.0
    if cand.size == 0:
        return rest
    import scipy.sparse as sp

    pairs = [(j, k) for j in range(K) for k in range(j + 1, K)]
    M = len(pairs)
    inc = np.zeros((K, M))
    for p, (j, k) in enumerate(pairs):
        inc[j, p] = 1.0
        inc[k, p] = -1.0
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


def duality_gap(
    X: np.ndarray,
    y: np.ndarray,
    W: np.ndarray,
    b: Any,
    *,
    eps: float,
    lam: float,
    loss: str,
    fit_intercept: bool = True,
    dual: np.ndarray | None = None,
) -> dict[str, float]:
    r"""A duality gap of the l_inf adversarial training problem at ``(W, b)`` (see module docstring).

    Returns a dict with ``primal`` (F(W, b)), ``dual`` (a dual objective value D <= F*),
    ``duality_gap`` (F - D >= F(W, b) - F*), ``rel_gap`` (``gap / max(1, |F|)``), ``theta`` (the
    feasibility scaling) and ``bias_residual`` (the class-balance residual left by the LP, ~1e-12).
    ``dual`` optionally gives the dual point (binary: (n,) in [0, 1]; multi-class: (n, K)).

    Notes
    -----
    Each adversarial loss is a supremum of affine functions of :math:`(W, b)` (with
    :math:`\|w\|_1 = \sup_{\|s\|_\infty \le 1} \langle s, w\rangle`; see
    :mod:`radbound.train._losses`), so exchanging min and max gives the Fenchel dual of the module
    docstring. Any dual-FEASIBLE point :math:`a` has
    :math:`D(a) \le F^*` (weak duality), hence

    .. math::
        0 \le F(W, b) - F^* \le F(W, b) - D(a) = \text{duality\_gap},

    a certificate that needs no knowledge of :math:`F^*`. The point is built from the primal
    solution (:math:`a = -\ell'(m)`, the softmax probabilities, or LP duals), made feasible by
    balancing the classes (bias constraint) and scaling by :math:`\theta = \min(1, \lambda/\rho)`
    (the :math:`\ell_\infty` constraint); at the optimum and with exact arithmetic the gap is 0.

    References
    ----------
    Fenchel duality: Borwein & Lewis (2006), "Convex Analysis and Nonlinear Optimization", 2nd ed.,
    Springer; weak duality and duality gaps as optimality certificates: Boyd & Vandenberghe (2004),
    "Convex Optimization", Cambridge University Press, ch. 5. The dual of this problem is derived for
    this project (module docstring; :doc:`/theory/binary_linear` for the inner supremum
    :math:`\epsilon\|w\|_1` of the :math:`\ell_\infty` attack).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [-1.0]]); y = np.array([1.0, -1.0])
    >>> # w = 0, b = 0 is optimal when lam >= |mean(a y x)| = 1/2 with a = 1/2 (logistic, eps = 0)
    >>> c = duality_gap(X, y, np.zeros(1), 0.0, eps=0.0, lam=0.6, loss="logistic")
    >>> bool(abs(c["duality_gap"]) < 1e-12)
    True
    """
    n = X.shape[0]
    primal = objective(X, y, W, b, eps=eps, lam=lam, loss=loss)
    if np.ndim(W) == 1:
        a = _binary_dual_point(X, y, W, b, eps, loss, dual)
        resid = 0.0
        if fit_intercept:
            pos = y > 0
            sp_, sm_ = a[pos].sum(), a[~pos].sum()
            if sp_ > sm_:
                a = np.where(pos, a * (sm_ / sp_), a)
            elif sm_ > sp_:
                a = np.where(~pos, a * (sp_ / sm_), a)
            resid = abs(float((a * y).sum())) / n
        g = X.T @ (a * y) / n
        rho = float(np.abs(g).max() - eps * a.mean())
        theta = 1.0 if rho <= lam else (lam / rho if rho > 0 else 1.0)
        dval = float(dual_entropy(theta * a, loss).mean())
    else:
        K = W.shape[0]
        P = _multiclass_dual_point(X, y, W, b, eps, loss, dual)
        onehot = np.zeros((n, K))
        onehot[np.arange(n), y] = 1.0
        E = onehot.T @ P
        np.fill_diagonal(E, 0.0)
        if fit_intercept:
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
        rho = _flow_residual(G, eps * C, lam)
        theta = 1.0 if rho <= lam else (lam / rho if rho > 0 else 1.0)
        dval = float(dual_entropy(theta * P, loss).mean())
    gap = primal - dval
    return {
        "primal": primal,
        "dual": dval,
        "duality_gap": gap,
        "rel_gap": gap / max(1.0, abs(primal)),
        "theta": theta,
        "bias_residual": resid,
        "gap_informative": bool(lam > 0 or theta == 1.0),
    }


# ============================================================================ binary logistic
def _lbfgsb(fun, z0, bounds, max_iter, gtol):
    res = minimize(
        fun,
        z0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "maxfun": 2 * max_iter, "ftol": 1e-16, "gtol": gtol, "maxcor": 30},
    )
    return res


def _projected_gradient(z, g, lower):
    """inf-norm of the projected gradient step z - P(z - g) for bounds z >= lower (-inf = free)."""
    step = z - np.maximum(z - g, lower)
    return float(np.abs(step).max()) if step.size else 0.0


class _SplitLogistic:
    """The split binary logistic objective (smooth, convex in z = [u, v, b]) with Hessian-vector products."""

    def __init__(self, X, y, eps, lam, fit_intercept):
        self.X, self.y, self.eps, self.lam, self.fit_intercept = X, y, eps, lam, fit_intercept
        self._curv = None

    def fun(self, z):
        X, y, eps = self.X, self.y, self.eps
        d = X.shape[1]
        b = z[2 * d] if self.fit_intercept else 0.0
        m = y * (X @ (z[:d] - z[d : 2 * d]) + b) - eps * (z[: 2 * d].sum())
        s = expit(m)
        self._curv = s * (1.0 - s)
        return binary_logistic_split(z, X, y, eps, self.lam, self.fit_intercept)

    def hvp(self, v):
        X, y, eps = self.X, self.y, self.eps
        n, d = X.shape
        db = v[2 * d] if self.fit_intercept else 0.0
        dm = y * (X @ (v[:d] - v[d : 2 * d]) + db) - eps * v[: 2 * d].sum()
        w = self._curv * dm / n
        gx = X.T @ (w * y)
        ws = w.sum()
        out = np.empty_like(v)
        out[:d] = gx - eps * ws
        out[d : 2 * d] = -gx - eps * ws
        if self.fit_intercept:
            out[2 * d] = (w * y).sum()
        return out


def _fit_logistic(X, y, eps, lam, fit_intercept, W0, b0, max_iter, gtol):
    n, d = X.shape
    z0 = np.concatenate([np.maximum(W0, 0), np.maximum(-W0, 0), [b0] if fit_intercept else []])
    lower = np.concatenate([np.zeros(2 * d), [-np.inf] if fit_intercept else []])
    bounds = [(0.0, None)] * (2 * d) + ([(None, None)] if fit_intercept else [])
    prob = _SplitLogistic(X, y, eps, lam, fit_intercept)
    res = _lbfgsb(prob.fun, z0, bounds, max_iter, gtol)
    z, _, g, nit = _projected_newton(prob, res.x, lower, max_newton=min(40, max_iter))
    W = z[:d] - z[d : 2 * d]
    b = float(z[2 * d]) if fit_intercept else 0.0
    info = {
        "iterations": int(res.nit) + nit,
        "lbfgs_iterations": int(res.nit),
        "newton_iterations": int(nit),
        "message": "split L-BFGS-B + projected Newton-CG: " + str(res.message),
        "kkt_residual": _projected_gradient(z, g, lower),
    }
    return W, b, info, None


# ============================================================================ softmax
def _unpack(z, K, d, fit_intercept):
    W = z[: K * d].reshape(K, d)
    b = z[K * d :] if fit_intercept else np.zeros(K)
    return W, b


def _smoothed_softmax(z, X, y, onehot, eps, lam, mu, K, d, fit_intercept):
    W, b = _unpack(z, K, d, fit_intercept)
    D = W[:, None, :] - W[None, :, :]
    S = np.sqrt(D * D + mu * mu)
    N = (S - mu).sum(axis=2)
    val, GW, Gb, GN = softmax_core(X, y, onehot, W, b, N, eps)
    Gs = GN + GN.T
    GW = GW + np.einsum("ck,ckf->cf", Gs, D / S)
    SW = np.sqrt(W * W + mu * mu)
    val += lam * float((SW - mu).sum())
    GW = GW + lam * W / SW
    return val, np.concatenate([GW.ravel(), Gb if fit_intercept else []])


class _Cone:
    """The cone of (K, d) matrices whose columns, with 0 appended, follow fixed orders (ties allowed)."""

    def __init__(self, W: np.ndarray):
        K, d = W.shape
        vals = np.vstack([W, np.zeros((1, d))])
        self.perm = np.argsort(vals, axis=0, kind="stable")  # item at each position
        self.pos = np.empty_like(self.perm)
        np.put_along_axis(self.pos, self.perm, np.arange(K + 1)[:, None].repeat(d, axis=1), axis=0)
        self.anchor = self.pos[K]  # (d,) position of the zero
        cpos = self.pos[:K]
        self.pair_sign = np.sign(cpos[:, None, :] - cpos[None, :, :]).astype(np.float64)
        self.abs_sign = np.sign(cpos - self.anchor[None, :]).astype(np.float64)
        self.below = np.arange(K)[:, None] < self.anchor[None, :]  # (K, d) gap l lies below the zero
        self.K, self.d = K, d
        self.delta0 = np.diff(np.take_along_axis(vals, self.perm, axis=0), axis=0)

    def matrix(self, delta: np.ndarray) -> np.ndarray:
        c = np.vstack([np.zeros((1, self.d)), np.cumsum(delta, axis=0)])
        v = c - c[self.anchor, np.arange(self.d)][None, :]
        return np.take_along_axis(v, self.pos[: self.K], axis=0)

    def pullback(self, GW: np.ndarray) -> np.ndarray:
        K, d = self.K, self.d
        gv = np.zeros((K + 1, d))
        np.put_along_axis(gv, self.pos[:K], GW, axis=0)
        total = gv.sum(axis=0)
        above = total[None, :] - np.cumsum(gv, axis=0)[:K]  # sum over positions m > l
        return above - self.below * total[None, :]


class _ConeProblem:
    """The exact softmax objective restricted to a cone (smooth there), with Hessian-vector products."""

    def __init__(self, cone, X, y, onehot, eps, lam, fit_intercept):
        self.cone, self.X, self.y, self.onehot = cone, X, y, onehot
        self.eps, self.lam, self.fit_intercept = eps, lam, fit_intercept
        self.K, self.d = cone.K, cone.d
        self._P = None

    def fun(self, z):
        K, d = self.K, self.d
        cone, X, y = self.cone, self.X, self.y
        delta = z[: K * d].reshape(K, d)
        b = z[K * d :] if self.fit_intercept else np.zeros(K)
        W = cone.matrix(delta)
        N = np.einsum("jkf,jkf->jk", cone.pair_sign, W[:, None, :] - W[None, :, :])
        val, GW, Gb, GN, P = softmax_core(X, y, self.onehot, W, b, N, self.eps, return_probs=True)
        self._P = P
        GW = GW + np.einsum("ck,ckf->cf", GN + GN.T, cone.pair_sign) + self.lam * cone.abs_sign
        val += self.lam * float((cone.abs_sign * W).sum())
        return val, np.concatenate([cone.pullback(GW).ravel(), Gb if self.fit_intercept else []])

    def hvp(self, v):
        """Hessian-vector product at the point of the last call of :meth:`fun`."""
        K, d = self.K, self.d
        cone, X, y, P = self.cone, self.X, self.y, self._P
        n = X.shape[0]
        dW = cone.matrix(v[: K * d].reshape(K, d))
        dN = np.einsum("jkf,jkf->jk", cone.pair_sign, dW[:, None, :] - dW[None, :, :])
        dZ = X @ dW.T
        if self.fit_intercept:
            dZ = dZ + v[K * d :]
        dA = dZ - dZ[np.arange(n), y][:, None] + self.eps * dN[y]
        u = P * dA
        w = (u - P * u.sum(axis=1, keepdims=True)) / n
        w[np.arange(n), y] = 0.0
        GZ = w - self.onehot * w.sum(axis=1, keepdims=True)
        GN = self.eps * (self.onehot.T @ w)
        np.fill_diagonal(GN, 0.0)
        GW = GZ.T @ X + np.einsum("ck,ckf->cf", GN + GN.T, cone.pair_sign)
        return np.concatenate([cone.pullback(GW).ravel(), GZ.sum(axis=0) if self.fit_intercept else []])


def _cg(hvp, g, free, max_iter, rtol):
    """Conjugate gradients for H_ff s = -g_f (matrix-free; stops on negative curvature)."""
    s = np.zeros_like(g)
    r = -g * free
    p = r.copy()
    rr = float(r @ r)
    stop = (rtol**2) * rr
    for _ in range(max_iter):
        Hp = hvp(p) * free
        curv = float(p @ Hp)
        if curv <= 1e-30 * float(p @ p):
            break
        alpha = rr / curv
        s += alpha * p
        r -= alpha * Hp
        rr_new = float(r @ r)
        if rr_new <= stop:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return s if np.any(s) else -g * free


def _projected_newton(prob, z, lower, *, max_newton=40, cg_iter=200, kkt_tol=1e-13):
    """Projected Newton-CG (Bertsekas' eps-active sets) for a smooth convex function with z >= lower."""
    val, g = prob.fun(z)
    it = 0
    for it in range(1, max_newton + 1):  # noqa: B007
        kkt = _projected_gradient(z, g, lower)
        if kkt <= kkt_tol:
            break
        active = (z - lower <= min(1e-8, kkt)) & (g > 0)
        free = (~active).astype(np.float64)
        gf = g * free
        rtol = min(0.1, math.sqrt(float(np.abs(gf).max())))
        s = _cg(prob.hvp, g, free, cg_iter, rtol)
        t = 1.0
        improved = False
        for _ in range(30):
            z_new = np.maximum(z + t * s, lower)
            v_new, g_new = prob.fun(z_new)
            if v_new <= val + 1e-4 * float(g @ (z_new - z)) or (v_new <= val and t < 1e-3):
                improved = v_new <= val
                break
            t *= 0.5
        if not improved:
            prob.fun(z)  # restore the cached point
            break
        z, val, g = z_new, v_new, g_new
    return z, val, g, it


def _fit_softmax(X, y, K, eps, lam, fit_intercept, W0, b0, max_iter, gtol, tol, warm):
    n, d = X.shape
    onehot = np.zeros((n, K))
    onehot[np.arange(n), y] = 1.0
    z = np.concatenate([W0.ravel(), b0 if fit_intercept else []])
    mus = [1e-4, 1e-5, 1e-6, 1e-7] if warm else [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7]
    first_cone = 0 if warm else 2
    smooth_iter = min(max_iter, 400)
    lower = np.concatenate([np.zeros(K * d), np.full(K if fit_intercept else 0, -np.inf)])
    bounds = [(0.0, None)] * (K * d) + [(None, None)] * (K if fit_intercept else 0)
    counts = {"lbfgs": 0, "newton": 0}
    best = None
    rounds = 0
    for r, mu in enumerate(mus):
        res = _lbfgsb(
            lambda t, mu=mu: _smoothed_softmax(t, X, y, onehot, eps, lam, mu, K, d, fit_intercept),
            z,
            None,
            smooth_iter,
            1e-3 * mu,
        )
        z = res.x
        counts["lbfgs"] += res.nit
        if r < first_cone:
            continue
        rounds += 1
        W, b = _unpack(z, K, d, fit_intercept)
        prob = _ConeProblem(_Cone(W), X, y, onehot, eps, lam, fit_intercept)
        zc = np.concatenate([prob.cone.delta0.ravel(), b if fit_intercept else []])
        rc = _lbfgsb(prob.fun, zc, bounds, min(max_iter, 300), gtol)
        counts["lbfgs"] += rc.nit
        zc, _, gc, nit = _projected_newton(prob, rc.x, lower, max_newton=min(40, max_iter))
        counts["newton"] += nit
        Wc = prob.cone.matrix(zc[: K * d].reshape(K, d))
        bc = zc[K * d :].copy() if fit_intercept else np.zeros(K)
        cert = duality_gap(X, y, Wc, bc, eps=eps, lam=lam, loss="softmax", fit_intercept=fit_intercept)
        cand = (cert["rel_gap"], Wc, bc, _projected_gradient(zc, gc, lower), mu)
        if best is None or cand[0] < best[0]:
            best = cand
        if cert["rel_gap"] <= tol:
            break
    _, W, b, kkt, mu = best
    info = {
        "iterations": int(counts["lbfgs"] + counts["newton"]),
        "lbfgs_iterations": int(counts["lbfgs"]),
        "newton_iterations": int(counts["newton"]),
        "message": "smoothing + cone L-BFGS-B + projected Newton-CG",
        "kkt_residual": kkt,
        "smoothing_mu": mu,
        "cone_rounds": rounds,
    }
    return W, b, info, None


# ============================================================================ hinge LPs
def _fit_hinge_lp(X, y, K, eps, lam, fit_intercept, time_limit):
    """Binary hinge (K is None) or Crammer-Singer hinge as a sparse LP solved by HiGHS."""
    import scipy.sparse as sp

    n, d = X.shape
    opts = {"time_limit": time_limit} if time_limit is not None else {}
    if K is None:
        # variables: w (d, free), t (d) >= |w|, b (free), xi (n) >= 0
        nb = 1 if fit_intercept else 0
        nv = 2 * d + nb + n
        Yx = y[:, None] * X
        # xi_i >= 1 - y_i x_i^T w - y_i b + eps sum t  <=>  -Yx w - y b + eps 1^T t - xi <= -1
        rows = [sp.csr_matrix(-Yx), sp.csr_matrix(np.full((n, d), eps))]
        if nb:
            rows.append(sp.csr_matrix(-y[:, None]))
        rows.append(-sp.identity(n, format="csr"))
        A1 = sp.hstack(rows, format="csr")
        Id = sp.identity(d, format="csr")
        Z = sp.csr_matrix((d, nb + n))
        A2 = sp.vstack([sp.hstack([Id, -Id, Z]), sp.hstack([-Id, -Id, Z])], format="csr")
        A_ub = sp.vstack([A1, A2], format="csr")
        b_ub = np.concatenate([-np.ones(n), np.zeros(2 * d)])
        c = np.concatenate([np.zeros(d), np.full(d, lam), np.zeros(nb), np.full(n, 1.0 / n)])
        bounds = np.array(
            [(-np.inf, np.inf)] * d + [(0, np.inf)] * d + [(-np.inf, np.inf)] * nb + [(0, np.inf)] * n
        )
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs-ipm", options=opts)
        if res.x is None:
            raise SolverError(f"HiGHS failed on the hinge LP: {res.message}")
        W = res.x[:d].copy()
        b = float(res.x[2 * d]) if nb else 0.0
        dual = -res.ineqlin.marginals[:n] * n
        return (
            W,
            b,
            {"iterations": int(res.nit), "message": str(res.message), "lp_status": int(res.status)},
            dual,
        )
    # multi-class: W (K d free), T (K d) >= |W|, E (M d) >= |W_j - W_k|, s (M) = sum_f E, b (K), xi (n)
    pairs = [(j, k) for j in range(K) for k in range(j + 1, K)]
    M = len(pairs)
    index = {}
    for p, (j, k) in enumerate(pairs):
        index[(j, k)] = (p, 1.0)
        index[(k, j)] = (p, -1.0)
    nb = K if fit_intercept else 0
    oW, oT, oE, oS = 0, K * d, 2 * K * d, 2 * K * d + M * d
    oB = oS + M
    oX = oB + nb
    nv = oX + n
    # sample rows: (w_k - w_y)^T x_i + b_k - b_y + eps s_{yk} - xi_i <= -1, for k != y_i
    ii = np.repeat(np.arange(n), K)
    kk = np.tile(np.arange(K), n)
    keep = kk != y[ii]
    ii, kk = ii[keep], kk[keep]
    yy = y[ii]
    R = ii.size
    r_idx = np.arange(R)
    cols = [oW + kk[:, None] * d + np.arange(d)[None, :], oW + yy[:, None] * d + np.arange(d)[None, :]]
    vals = [X[ii], -X[ii]]
    pidx = np.array([index[(int(a), int(c))][0] for a, c in zip(yy, kk)])
    rr = [np.repeat(r_idx, d), np.repeat(r_idx, d), r_idx, r_idx]
    cc = [cols[0].ravel(), cols[1].ravel(), oS + pidx, oX + ii]
    vv = [vals[0].ravel(), vals[1].ravel(), np.full(R, eps), -np.ones(R)]
    if nb:
        rr += [r_idx, r_idx]
        cc += [oB + kk, oB + yy]
        vv += [np.ones(R), -np.ones(R)]
    A1 = sp.csr_matrix((np.concatenate(vv), (np.concatenate(rr), np.concatenate(cc))), shape=(R, nv))
    # |W| rows: W - T <= 0, -W - T <= 0
    Kd = K * d
    e = np.arange(Kd)
    A2 = sp.csr_matrix(
        (
            np.concatenate([np.ones(Kd), -np.ones(Kd), -np.ones(Kd), -np.ones(Kd)]),
            (np.concatenate([e, e, Kd + e, Kd + e]), np.concatenate([oW + e, oT + e, oW + e, oT + e])),
        ),
        shape=(2 * Kd, nv),
    )
    # pair rows: +-(W_j - W_k) - E_p <= 0, and sum_f E_pf - s_p <= 0
    rows, cols_, vals_ = [], [], []
    r = 0
    for p, (j, k) in enumerate(pairs):
        f = np.arange(d)
        for sgn in (1.0, -1.0):
            rr_ = r + f
            rows += [rr_, rr_, rr_]
            cols_ += [oW + j * d + f, oW + k * d + f, oE + p * d + f]
            vals_ += [np.full(d, sgn), np.full(d, -sgn), -np.ones(d)]
            r += d
    for p in range(M):
        rows += [np.full(d, r), np.array([r])]
        cols_ += [oE + p * d + np.arange(d), np.array([oS + p])]
        vals_ += [np.ones(d), np.array([-1.0])]
        r += 1
    A3 = sp.csr_matrix((np.concatenate(vals_), (np.concatenate(rows), np.concatenate(cols_))), shape=(r, nv))
    A_ub = sp.vstack([A1, A2, A3], format="csr")
    b_ub = np.concatenate([-np.ones(R), np.zeros(2 * Kd + r)])
    c = np.zeros(nv)
    c[oT : oT + Kd] = lam
    c[oX:] = 1.0 / n
    lo = np.zeros(nv)
    lo[oW : oW + Kd] = -np.inf
    lo[oB : oB + nb] = -np.inf
    bounds = np.column_stack([lo, np.full(nv, np.inf)])
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs-ipm", options=opts)
    if res.x is None:
        raise SolverError(f"HiGHS failed on the multi-class hinge LP: {res.message}")
    W = res.x[:Kd].reshape(K, d).copy()
    b = res.x[oB : oB + nb].copy() if nb else np.zeros(K)
    dual = np.zeros((n, K))
    dual[ii, kk] = -res.ineqlin.marginals[:R] * n
    return W, b, {"iterations": int(res.nit), "message": str(res.message), "lp_status": int(res.status)}, dual


# ============================================================================ driver
@contextlib.contextmanager
def _blas_threads(limit: int | None) -> Iterator[None]:
    """Limit BLAS threads with threadpoolctl when installed (``None``: leave them alone)."""
    if limit is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        yield
        return
    with threadpool_limits(limits=limit, user_api="blas"):
        yield


def fit_fast(
    X: np.ndarray,
    y: np.ndarray,
    *,
    eps: float,
    lam: float,
    loss: str,
    n_classes: int | None = None,
    fit_intercept: bool = True,
    warm_start: LinearModel | None = None,
    tol: float = 1e-7,
    max_iter: int = 20_000,
    gtol: float = 1e-11,
    on_inaccurate: str = "warn",
    time_limit: float | None = None,
    blas_threads: int | None = 1,
) -> LinearModel:
    r"""Solve the l_inf adversarial training problem with the fast solver of ``loss`` (module docstring).

    Inputs are assumed validated (see :func:`radbound.train.fit_linear`). ``tol`` is the target
    relative duality gap; if it is not reached, a :class:`NonOptimalWarning` is issued (or
    ``SolverError`` raised with ``on_inaccurate="raise"``). ``diagnostics`` holds ``duality_gap``,
    ``rel_gap``, ``kkt_residual`` (smooth losses), iterations and time. ``blas_threads`` limits
    BLAS threads during the solve (default 1: the products are small, n x d x K, and threads only
    add synchronisation — on a loaded machine they slowed the solver down 20-fold here; ``None``
    leaves the BLAS settings alone).
    """
    with _blas_threads(blas_threads):
        return _fit_fast(
            X,
            y,
            eps=eps,
            lam=lam,
            loss=loss,
            n_classes=n_classes,
            fit_intercept=fit_intercept,
            warm_start=warm_start,
            tol=tol,
            max_iter=max_iter,
            gtol=gtol,
            on_inaccurate=on_inaccurate,
            time_limit=time_limit,
        )


def _fit_fast(
    X,
    y,
    *,
    eps,
    lam,
    loss,
    n_classes,
    fit_intercept,
    warm_start,
    tol,
    max_iter,
    gtol,
    on_inaccurate,
    time_limit,
):
    t0 = time.perf_counter()
    n, d = X.shape
    binary = loss in ("logistic", "hinge")
    K = None if binary else int(n_classes)
    if warm_start is not None:
        W0 = np.array(warm_start.W, dtype=np.float64)
        b0 = np.array(warm_start.b, dtype=np.float64)
        expected = (d,) if binary else (K, d)
        if W0.shape != expected:
            raise ValueError(f"warm_start.W must have shape {expected}, got {W0.shape}")
    else:
        W0 = np.zeros(d) if binary else np.zeros((K, d))
        if binary:
            frac = np.clip((y > 0).mean(), 1e-3, 1 - 1e-3)
            b0 = np.array(math.log(frac / (1 - frac)))
        else:
            freq = np.clip(np.bincount(y, minlength=K) / n, 1e-3, None)
            b0 = np.log(freq) - np.log(freq).mean()
    if not fit_intercept:
        b0 = np.zeros_like(b0)
    if loss == "logistic":
        W, b, info, dual = _fit_logistic(X, y, eps, lam, fit_intercept, W0, float(b0), max_iter, gtol)
    elif loss == "softmax":
        W, b, info, dual = _fit_softmax(
            X, y, K, eps, lam, fit_intercept, W0, b0, max_iter, gtol, tol, warm_start is not None
        )
    else:
        W, b, info, dual = _fit_hinge_lp(X, y, K, eps, lam, fit_intercept, time_limit)
    cert = duality_gap(X, y, W, b, eps=eps, lam=lam, loss=loss, fit_intercept=fit_intercept, dual=dual)
    elapsed = time.perf_counter() - t0
    certified = cert["rel_gap"] <= tol
    if not cert["gap_informative"]:
        # lam = 0: the scaled dual point is infeasible-by-rounding, so the gap is loose; judge by
        # the KKT residual of the smooth reformulation or by the LP status
        certified = info.get("kkt_residual", np.inf) <= 1e-9 or info.get("lp_status", 1) == 0
    if not certified:
        msg = (
            f"fast solver ({loss}) stopped with relative duality gap {cert['rel_gap']:.3g} > tol={tol:g} "
            f"at eps={eps}, lam={lam} ({info.get('message', '')})"
        )
        if on_inaccurate == "raise":
            raise SolverError(msg)
        warnings.warn(msg, NonOptimalWarning, stacklevel=4)
    diagnostics = {
        "status": "optimal" if certified else "inaccurate",
        "time": elapsed,
        "certified": certified,
    }
    diagnostics.update(info)
    diagnostics.update(cert)
    return LinearModel(
        W=W,
        b=b,
        loss=loss,
        eps=eps,
        lam=lam,
        attack_norm=math.inf,
        objective=cert["primal"],
        solver="fast",
        diagnostics=diagnostics,
    )
