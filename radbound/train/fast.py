r"""Fast solvers for l1-regularised adversarial training of linear models (l_inf attacks).

The problem (see :mod:`radbound.train._losses`) is, for the l_inf attack (:math:`r^* = 1`),

.. math::
    \min_{W, b}\ F(W, b) = \frac1n \sum_i \ell_i(W, b) + \lambda \|W\|_1 .

Algorithms (``solver="fast"``)
------------------------------
* ``"logistic"``: L-BFGS-B on the split :math:`w = u - v`, :math:`u, v \ge 0`, then projected
  Newton-CG. With :math:`t = \mathbf 1^\top(u + v)` in place of :math:`\|w\|_1` (both inside the
  loss and in the penalty) the objective is smooth and convex in :math:`(u, v, b)` and has the same
  minimum, since it is increasing in :math:`t \ge \|u - v\|_1`.
* ``"softmax"``: (1) L-BFGS on a smoothed objective, :math:`|t| \approx \sqrt{t^2 + \mu^2} - \mu`,
  with continuation in :math:`\mu`, which only serves to find the ORDER of the K class weights and 0
  in every feature; (2) in the cone of matrices consistent with that order (ties allowed), every
  :math:`|W_{kj}|` and :math:`|W_{kj} - W_{lj}|` is linear, so the EXACT objective is smooth there:
  it is minimised by L-BFGS-B and projected Newton-CG over the non-negative gaps between
  consecutive sorted values. The cone contains the optimum as soon as the strict inequalities of the
  optimal order are respected. Where the cone's solution has TIED values (a gap at 0), the order
  of the tied entries was guessed; if the certificate fails, the cone is rebuilt with the ties
  ordered by the gradient of the exact objective (entries that decrease it by moving up placed
  above; at most a few such re-orientations), which lets tied entries separate — at
  :math:`\epsilon = 0` the order of two class weights costs nothing, so their ties are exactly the
  guesses the smoothing cannot settle. Then the continuation goes on with a smaller :math:`\mu`
  if needed.
* ``"hinge"`` and ``"multiclass-hinge"``: linear programs, solved by HiGHS's interior-point method
  with crossover (``scipy.optimize.linprog(method="highs-ipm")``) on sparse formulations
  (epigraph variables for |W| and for the pairwise distances); their dual values give the
  certificate.

Certificate
-----------
Every fit is checked by the duality gap of :mod:`radbound.train._certificate` (``tol`` is the
target relative gap, 1e-7 by default). With ``lam = 0`` the gap is not informative; the smooth
solvers are then judged by the KKT residual of their smooth reformulation (<= 1e-9), and the LPs
are reported as uncertified (``certified=False``, status ``"uncertified"``, no warning).

References
----------
Byrd, Lu, Nocedal & Zhu (1995), SIAM J. Sci. Comput. 16(5) (L-BFGS-B); Bertsekas (1982), SIAM J.
Control Optim. 20(2) (projected Newton); Huangfu & Hall (2018), "Parallelizing the dual revised
simplex method", Math. Prog. Comp. 10 (HiGHS); Crammer & Singer (2001), JMLR 2 (the multi-class
hinge).
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.special import expit

from .._threads import limit_blas_threads
from .._validation import check_choice, check_int, check_positive
from ._certificate import DualityGap, certify
from ._kernels import lbfgsb, projected_gradient, projected_newton
from ._losses import NonOptimalWarning, SolverError, binary_logistic_split, pairwise_distances, softmax_core
from ._model import LinearModel
from ._problem import TrainingProblem, check_unscaled_weights

__all__ = ["fit_fast", "KKT_TOL"]

#: KKT residual (projected-gradient norm of the smooth reformulation) accepted as optimality at lam = 0.
KKT_TOL = 1e-9
#: Re-orientations of the softmax cone per continuation round (see the module docstring).
_REORIENTATIONS = 3


@dataclass
class _Fit:
    """What a solver returns: the point, its diagnostics, and the LP duals when it has them."""

    W: np.ndarray
    b: Any
    info: dict[str, Any] = field(default_factory=dict)
    dual: np.ndarray | None = None
    cert: DualityGap | None = None


# ============================================================================ binary logistic
class _SplitLogistic:
    """The split binary logistic objective (smooth, convex in z = [u, v, b]) with Hessian-vector products."""

    def __init__(self, prob: TrainingProblem) -> None:
        self.prob = prob
        self._curv: np.ndarray | None = None

    def fun(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        p = self.prob
        d = p.d
        b = z[2 * d] if p.fit_intercept else 0.0
        m = p.y * (p.X @ (z[:d] - z[d : 2 * d]) + b) - p.eps * (z[: 2 * d].sum())
        s = expit(m)
        self._curv = s * (1.0 - s)
        return binary_logistic_split(z, p.X, p.y, p.eps, p.lam, p.fit_intercept)

    def hvp(self, v: np.ndarray) -> np.ndarray:
        p = self.prob
        X, y, eps = p.X, p.y, p.eps
        n, d = X.shape
        db = v[2 * d] if p.fit_intercept else 0.0
        dm = y * (X @ (v[:d] - v[d : 2 * d]) + db) - eps * v[: 2 * d].sum()
        w = self._curv * dm / n
        gx = X.T @ (w * y)
        ws = w.sum()
        out = np.empty_like(v)
        out[:d] = gx - eps * ws
        out[d : 2 * d] = -gx - eps * ws
        if p.fit_intercept:
            out[2 * d] = (w * y).sum()
        return out


def _fit_logistic(prob: TrainingProblem, W0: np.ndarray, b0: float, max_iter: int, gtol: float) -> _Fit:
    d, fi = prob.d, prob.fit_intercept
    z0 = np.concatenate([np.maximum(W0, 0), np.maximum(-W0, 0), [b0] if fi else []])
    lower = np.concatenate([np.zeros(2 * d), [-np.inf] if fi else []])
    bounds = [(0.0, None)] * (2 * d) + ([(None, None)] if fi else [])
    obj = _SplitLogistic(prob)
    res = lbfgsb(obj.fun, z0, bounds, max_iter, gtol)
    z, _, g, nit = projected_newton(obj, res.x, lower, max_newton=min(40, max_iter))
    W = z[:d] - z[d : 2 * d]
    b = float(z[2 * d]) if fi else 0.0
    info = {
        "iterations": int(res.nit) + nit,
        "lbfgs_iterations": int(res.nit),
        "newton_iterations": int(nit),
        "message": "split L-BFGS-B + projected Newton-CG: " + str(res.message),
        "kkt_residual": projected_gradient(z, g, lower),
    }
    return _Fit(W, b, info)


# ============================================================================ softmax
def _unpack(z: np.ndarray, prob: TrainingProblem) -> tuple[np.ndarray, np.ndarray]:
    K, d = prob.K, prob.d
    W = z[: K * d].reshape(K, d)
    b = z[K * d :] if prob.fit_intercept else np.zeros(K)
    return W, b


def _smoothed_softmax(z: np.ndarray, prob: TrainingProblem, mu: float) -> tuple[float, np.ndarray]:
    W, b = _unpack(z, prob)
    D = W[:, None, :] - W[None, :, :]
    S = np.sqrt(D * D + mu * mu)
    N = (S - mu).sum(axis=2)
    val, GW, Gb, GN = softmax_core(prob.X, prob.y, prob.onehot, W, b, N, prob.eps)
    Gs = GN + GN.T
    GW = GW + np.einsum("ck,ckf->cf", Gs, D / S)
    SW = np.sqrt(W * W + mu * mu)
    val += prob.lam * float((SW - mu).sum())
    GW = GW + prob.lam * W / SW
    return val, np.concatenate([GW.ravel(), Gb if prob.fit_intercept else []])


def _free_gradient(prob: TrainingProblem, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Gradient in W of the exact softmax objective with the kinks at ties left out (sign 0 there).

    Used to order tied entries: an entry with a negative value here decreases the objective by
    moving up, whatever the order of the entries tied with it.
    """
    N = pairwise_distances(W, 1.0)
    _, GW, _, GN = softmax_core(prob.X, prob.y, prob.onehot, W, b, N, prob.eps)
    S = np.sign(W[:, None, :] - W[None, :, :])
    return GW + np.einsum("ck,ckf->cf", GN + GN.T, S) + prob.lam * np.sign(W)


class _Cone:
    """The cone of (K, d) matrices whose columns, with 0 appended, follow fixed orders (ties allowed).

    The order is that of the values of ``W``; ties are broken by ``tie_key`` (ascending, the zero
    row's key being 0) when given, else by position.
    """

    def __init__(self, W: np.ndarray, tie_key: np.ndarray | None = None) -> None:
        K, d = W.shape
        vals = np.vstack([W, np.zeros((1, d))])
        if tie_key is None:
            self.perm = np.argsort(vals, axis=0, kind="stable")  # item at each position
        else:
            keys = np.vstack([tie_key, np.zeros((1, d))])
            self.perm = np.lexsort((keys, vals), axis=0)
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

    def __init__(self, cone: _Cone, prob: TrainingProblem) -> None:
        self.cone, self.prob = cone, prob
        self.K, self.d = cone.K, cone.d
        self._P: np.ndarray | None = None

    def fun(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        K, d, cone, p = self.K, self.d, self.cone, self.prob
        delta = z[: K * d].reshape(K, d)
        b = z[K * d :] if p.fit_intercept else np.zeros(K)
        W = cone.matrix(delta)
        N = np.einsum("jkf,jkf->jk", cone.pair_sign, W[:, None, :] - W[None, :, :])
        val, GW, Gb, GN, P = softmax_core(p.X, p.y, p.onehot, W, b, N, p.eps, return_probs=True)
        self._P = P
        GW = GW + np.einsum("ck,ckf->cf", GN + GN.T, cone.pair_sign) + p.lam * cone.abs_sign
        val += p.lam * float((cone.abs_sign * W).sum())
        return val, np.concatenate([cone.pullback(GW).ravel(), Gb if p.fit_intercept else []])

    def hvp(self, v: np.ndarray) -> np.ndarray:
        """Hessian-vector product at the point of the last call of :meth:`fun`."""
        K, d, cone, p = self.K, self.d, self.cone, self.prob
        X, y, P = p.X, p.y, self._P
        n = X.shape[0]
        dW = cone.matrix(v[: K * d].reshape(K, d))
        dN = np.einsum("jkf,jkf->jk", cone.pair_sign, dW[:, None, :] - dW[None, :, :])
        dZ = X @ dW.T
        if p.fit_intercept:
            dZ = dZ + v[K * d :]
        dA = dZ - dZ[np.arange(n), y][:, None] + p.eps * dN[y]
        u = P * dA
        w = (u - P * u.sum(axis=1, keepdims=True)) / n
        w[np.arange(n), y] = 0.0
        GZ = w - p.onehot * w.sum(axis=1, keepdims=True)
        GN = p.eps * (p.onehot.T @ w)
        np.fill_diagonal(GN, 0.0)
        GW = GZ.T @ X + np.einsum("ck,ckf->cf", GN + GN.T, cone.pair_sign)
        return np.concatenate([cone.pullback(GW).ravel(), GZ.sum(axis=0) if p.fit_intercept else []])


@dataclass
class _ConeSolution:
    W: np.ndarray
    b: np.ndarray
    cert: DualityGap
    kkt: float
    cone: _Cone


def _solve_in_cone(
    prob: TrainingProblem, cone: _Cone, b: np.ndarray, max_iter: int, gtol: float, counts: dict[str, int]
) -> _ConeSolution:
    """Minimise the exact softmax objective over ``cone`` from its own starting point, and certify."""
    K, d = prob.K, prob.d
    lower = np.concatenate([np.zeros(K * d), np.full(K if prob.fit_intercept else 0, -np.inf)])
    bounds = [(0.0, None)] * (K * d) + [(None, None)] * (K if prob.fit_intercept else 0)
    obj = _ConeProblem(cone, prob)
    zc = np.concatenate([cone.delta0.ravel(), b if prob.fit_intercept else []])
    rc = lbfgsb(obj.fun, zc, bounds, min(max_iter, 300), gtol)
    counts["lbfgs"] += rc.nit
    zc, _, gc, nit = projected_newton(obj, rc.x, lower, max_newton=min(40, max_iter))
    counts["newton"] += nit
    Wc = cone.matrix(zc[: K * d].reshape(K, d))
    bc = zc[K * d :].copy() if prob.fit_intercept else np.zeros(K)
    return _ConeSolution(Wc, bc, certify(prob, Wc, bc), projected_gradient(zc, gc, lower), cone)


def _better(best, sol: _ConeSolution, mu: float) -> tuple[float, _ConeSolution, float]:
    """The better (smaller relative gap; the earlier on ties) of ``best`` and ``sol``."""
    if best is None or sol.cert.rel_gap < best[0]:
        return (sol.cert.rel_gap, sol, mu)
    return best


def _fit_softmax(
    prob: TrainingProblem, W0: np.ndarray, b0: np.ndarray, max_iter: int, gtol: float, tol: float, warm: bool
) -> _Fit:
    z = np.concatenate([W0.ravel(), b0 if prob.fit_intercept else []])
    mus = [1e-4, 1e-5, 1e-6, 1e-7] if warm else [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7]
    first_cone = 0 if warm else 2
    smooth_iter = min(max_iter, 400)
    counts = {"lbfgs": 0, "newton": 0}
    best: tuple[float, _ConeSolution, float] | None = None
    rounds = reorientations = 0
    for r, mu in enumerate(mus):
        res = lbfgsb(functools.partial(_smoothed_softmax, prob=prob, mu=mu), z, None, smooth_iter, 1e-3 * mu)
        z = res.x
        counts["lbfgs"] += res.nit
        if r < first_cone:
            continue
        rounds += 1
        W, b = _unpack(z, prob)
        sol = _solve_in_cone(prob, _Cone(W), b, max_iter, gtol, counts)
        best = _better(best, sol, mu)
        for _ in range(_REORIENTATIONS):
            if sol.cert.rel_gap <= tol:
                break
            cone = _Cone(sol.W, tie_key=-_free_gradient(prob, sol.W, sol.b))
            if np.array_equal(cone.perm, sol.cone.perm):
                break
            reorientations += 1
            sol = _solve_in_cone(prob, cone, sol.b, max_iter, gtol, counts)
            best = _better(best, sol, mu)
        if best[0] <= tol:
            break
    if best is None:  # pragma: no cover - every schedule has a cone round
        raise SolverError("internal error: no cone round was run")
    _, sol, mu = best
    info = {
        "iterations": int(counts["lbfgs"] + counts["newton"]),
        "lbfgs_iterations": int(counts["lbfgs"]),
        "newton_iterations": int(counts["newton"]),
        "message": "smoothing + cone L-BFGS-B + projected Newton-CG",
        "kkt_residual": sol.kkt,
        "smoothing_mu": mu,
        "cone_rounds": rounds,
        "cone_reorientations": reorientations,
    }
    return _Fit(sol.W, sol.b, info, cert=sol.cert)


# ============================================================================ hinge LPs
def _lp_options(time_limit: float | None) -> dict[str, Any]:
    return {"time_limit": time_limit} if time_limit is not None else {}


def _fit_binary_hinge_lp(prob: TrainingProblem, time_limit: float | None) -> _Fit:
    r"""Binary adversarial hinge as a sparse LP (HiGHS).

    Variables :math:`w` (free), :math:`t \ge |w|`, :math:`b` (free), :math:`\xi \ge 0`:
    minimise :math:`\frac1n \sum_i \xi_i + \lambda \mathbf 1^\top t` subject to
    :math:`\xi_i \ge 1 - y_i(x_i^\top w + b) + \epsilon \mathbf 1^\top t`.
    """
    X, y, eps, lam = prob.X, prob.y, prob.eps, prob.lam
    n, d = X.shape
    nb = 1 if prob.fit_intercept else 0
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
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs-ipm", options=_lp_options(time_limit))
    if res.x is None:
        raise SolverError(f"HiGHS failed on the hinge LP: {res.message}")
    W = res.x[:d].copy()
    b = float(res.x[2 * d]) if nb else 0.0
    dual = -res.ineqlin.marginals[:n] * n
    info = {"iterations": int(res.nit), "message": str(res.message), "lp_status": int(res.status)}
    return _Fit(W, b, info, dual)


def _fit_crammer_singer_lp(prob: TrainingProblem, time_limit: float | None) -> _Fit:
    r"""Adversarial Crammer–Singer hinge as a sparse LP (HiGHS).

    Variables: W (K d, free), T (K d) >= |W|, E (M d) >= |W_j - W_k| for the M = K(K-1)/2 pairs,
    s (M) = sum_f E, b (K, free), xi (n); rows
    :math:`(w_k - w_{y_i})^\top x_i + b_k - b_{y_i} + \epsilon s_{y_i k} - \xi_i \le -1` for
    :math:`k \ne y_i`; objective :math:`\frac1n\sum_i \xi_i + \lambda \mathbf 1^\top T`.
    """
    X, y, eps, lam, K = prob.X, prob.y, prob.eps, prob.lam, prob.K
    n, d = X.shape
    pairs = [(j, k) for j in range(K) for k in range(j + 1, K)]
    M = len(pairs)
    index = {}
    for p, (j, k) in enumerate(pairs):
        index[(j, k)] = (p, 1.0)
        index[(k, j)] = (p, -1.0)
    nb = K if prob.fit_intercept else 0
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
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs-ipm", options=_lp_options(time_limit))
    if res.x is None:
        raise SolverError(f"HiGHS failed on the multi-class hinge LP: {res.message}")
    W = res.x[:Kd].reshape(K, d).copy()
    b = res.x[oB : oB + nb].copy() if nb else np.zeros(K)
    dual = np.zeros((n, K))
    dual[ii, kk] = -res.ineqlin.marginals[:R] * n
    info = {"iterations": int(res.nit), "message": str(res.message), "lp_status": int(res.status)}
    return _Fit(W, b, info, dual)


# ============================================================================ driver
def _starting_point(prob: TrainingProblem, warm_start: LinearModel | None) -> tuple[np.ndarray, Any]:
    n, d, K = prob.n, prob.d, prob.K
    if warm_start is not None:
        W0 = np.array(warm_start.W, dtype=np.float64)
        b0 = np.array(warm_start.b, dtype=np.float64)
        expected = (d,) if prob.binary else (K, d)
        if W0.shape != expected:
            raise ValueError(f"warm_start.W must have shape {expected}, got {W0.shape}")
        if b0.shape != expected[:-1]:
            raise ValueError(f"warm_start.b must have shape {expected[:-1]}, got {b0.shape}")
        if not (np.isfinite(W0).all() and np.isfinite(b0).all()):
            raise ValueError("warm_start must have finite W and b")
    elif prob.binary:
        W0 = np.zeros(d)
        frac = np.clip((prob.y > 0).mean(), 1e-3, 1 - 1e-3)
        b0 = np.array(math.log(frac / (1 - frac)))
    else:
        W0 = np.zeros((K, d))
        freq = np.clip(np.bincount(prob.y, minlength=K) / n, 1e-3, None)
        b0 = np.log(freq) - np.log(freq).mean()
    if not prob.fit_intercept:
        b0 = np.zeros_like(b0)
    return W0, b0


def check_fast_options(
    *,
    warm_start: Any = None,
    tol: Any = 1e-7,
    max_iter: Any = 20_000,
    gtol: Any = 1e-11,
    on_inaccurate: Any = "warn",
    time_limit: Any = None,
    blas_threads: Any = 1,
) -> dict[str, Any]:
    """Validate the options of :func:`fit_fast` (each error names the option, rule and value)."""
    if warm_start is not None and not isinstance(warm_start, LinearModel):
        raise TypeError(
            f"warm_start must be None or a LinearModel, got {type(warm_start).__name__} {warm_start!r}"
        )
    return {
        "warm_start": warm_start,
        "tol": check_positive(tol, "tol"),
        "max_iter": check_int(max_iter, "max_iter", minimum=1),
        "gtol": check_positive(gtol, "gtol"),
        "on_inaccurate": check_choice(on_inaccurate, "on_inaccurate", ("warn", "raise")),
        "time_limit": None if time_limit is None else check_positive(time_limit, "time_limit"),
        "blas_threads": None if blas_threads is None else check_int(blas_threads, "blas_threads", minimum=1),
    }


def fit_fast(
    problem: TrainingProblem,
    *,
    warm_start: LinearModel | None = None,
    tol: float = 1e-7,
    max_iter: int = 20_000,
    gtol: float = 1e-11,
    on_inaccurate: str = "warn",
    time_limit: float | None = None,
    blas_threads: int | None = 1,
) -> LinearModel:
    r"""Solve an l_inf adversarial training problem with the fast solver of its loss (module docstring).

    Parameters
    ----------
    problem : TrainingProblem
        The validated problem (:meth:`radbound.train.TrainingProblem.build`; the usual entry point
        is :func:`radbound.train.fit_linear`). Its attack norm must be inf.
    warm_start : LinearModel, optional
        Starting point (same shapes).
    tol : float
        Target relative duality gap (> 0).
    max_iter : int
        Iteration cap of L-BFGS-B (>= 1).
    gtol : float
        Projected-gradient tolerance of L-BFGS-B (> 0).
    on_inaccurate : {"warn", "raise"}
        What to do when the certificate misses ``tol``: a :class:`NonOptimalWarning` or a
        :class:`SolverError`.
    time_limit : float, optional
        Seconds allowed to HiGHS (hinge LPs).
    blas_threads : int or None
        BLAS threads during the solve (default 1: the products are small, n x d x K, and threads
        only add synchronisation — on a loaded machine they slowed the solver down 20-fold here;
        ``None`` leaves the BLAS settings alone).

    Returns
    -------
    LinearModel
        ``certificate`` holds the duality gap; ``diagnostics`` the status (``"optimal"``,
        ``"inaccurate"`` or ``"uncertified"``), ``certified``, ``certified_by``, iterations, time
        and ``kkt_residual`` (smooth losses).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.train import TrainingProblem
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 3)); y = np.where(X[:, 0] > 0, 1, -1)
    >>> m = fit_fast(TrainingProblem.build(X, y, eps=0.1, lam=0.01, loss="logistic"))
    >>> m.diagnostics["certified"], bool(m.certificate.rel_gap <= 1e-7)
    (True, True)
    """
    opts = check_fast_options(
        warm_start=warm_start,
        tol=tol,
        max_iter=max_iter,
        gtol=gtol,
        on_inaccurate=on_inaccurate,
        time_limit=time_limit,
        blas_threads=blas_threads,
    )
    if problem.attack_norm != math.inf:
        raise NotImplementedError(
            "solver='fast' supports attack_norm=inf only (the paper's l_inf attack), "
            f"got {problem.attack_norm!r}; use solver='cvxpy' for other attack norms"
        )
    if not isinstance(problem, TrainingProblem):
        raise TypeError(f"problem must be a TrainingProblem, got {type(problem).__name__}")
    tol, max_iter, gtol = opts["tol"], opts["max_iter"], opts["gtol"]
    with limit_blas_threads(opts["blas_threads"]):
        t0 = time.perf_counter()
        solved, scale, zero = problem.reduction()
        W0, b0 = _starting_point(problem, opts["warm_start"])
        if scale != 1.0:
            W0 = W0 * scale
        if solved.loss == "logistic":
            fit = _fit_logistic(solved, W0, float(b0), max_iter, gtol)
        elif solved.loss == "softmax":
            fit = _fit_softmax(solved, W0, b0, max_iter, gtol, tol, opts["warm_start"] is not None)
        elif solved.loss == "hinge":
            fit = _fit_binary_hinge_lp(solved, opts["time_limit"])
        else:
            fit = _fit_crammer_singer_lp(solved, opts["time_limit"])
        if zero:  # back to the original problem (see TrainingProblem.reduction)
            fit.W = np.zeros_like(fit.W)
            cert = certify(problem, fit.W, fit.b, fit.dual)
        else:  # the certificate of a rescaled problem is that of the original (same margins)
            cert = fit.cert if fit.cert is not None else certify(solved, fit.W, fit.b, fit.dual)
            if scale != 1.0:
                fit.W = fit.W / scale
                check_unscaled_weights(fit.W, scale, problem.eps, problem.lam)
        if solved is not problem:
            fit.info["reduction"] = f"scale {scale:g}" + (", zero weights" if zero else "")
        elapsed = time.perf_counter() - t0
    kkt = fit.info.get("kkt_residual")
    if cert.informative:
        certified, by = cert.rel_gap <= tol, "duality-gap"
        status = "optimal" if certified else "inaccurate"
    elif kkt is not None:
        # lam = 0: the scaled dual point is infeasible-by-rounding, so the gap is loose; the
        # KKT residual of the smooth reformulation decides
        certified, by = kkt <= KKT_TOL, "kkt-residual"
        status = "optimal" if certified else "inaccurate"
    else:
        certified, by, status = False, "none", "uncertified"
    if status == "inaccurate":
        what = (
            f"relative duality gap {cert.rel_gap:.3g} > tol={tol:g}"
            if by == "duality-gap"
            else (f"KKT residual {kkt:.3g} > {KKT_TOL:g}")
        )
        msg = (
            f"fast solver ({problem.loss}) stopped with {what} at eps={problem.eps}, lam={problem.lam} "
            f"({fit.info.get('message', '')})"
        )
        if opts["on_inaccurate"] == "raise":
            raise SolverError(msg)
        warnings.warn(msg, NonOptimalWarning, stacklevel=3)
    diagnostics = {"status": status, "time": elapsed, "certified": certified, "certified_by": by, **fit.info}
    return LinearModel(
        W=fit.W,
        b=fit.b,
        loss=problem.loss,
        eps=problem.eps,
        lam=problem.lam,
        attack_norm=math.inf,
        objective=cert.primal,
        solver="fast",
        diagnostics=diagnostics,
        objective_kind="convex",
        classes=problem.classes,
        certificate=cert,
    )
