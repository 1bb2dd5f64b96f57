r"""Generic optimisation kernels of the fast linear solvers (nothing here knows the training problem).

* :func:`lbfgsb` -- scipy's L-BFGS-B with the settings the solvers share;
* :func:`projected_gradient` -- the KKT residual :math:`\|z - P(z - g)\|_\infty` of a function
  minimised over :math:`z \ge \text{lower}`;
* :func:`projected_newton` -- projected Newton-CG with Bertsekas' :math:`\epsilon`-active sets for
  a smooth convex function over :math:`z \ge \text{lower}`, matrix-free through the Hessian-vector
  products of a :class:`SmoothObjective`.

References
----------
Byrd, Lu, Nocedal & Zhu (1995), "A limited memory algorithm for bound constrained optimization",
SIAM J. Sci. Comput. 16(5) (L-BFGS-B, scipy's ``minimize(method="L-BFGS-B")``); Bertsekas (1982),
"Projected Newton methods for optimization problems with simple constraints", SIAM J. Control
Optim. 20(2) (the active-set rule); Nocedal & Wright (2006), "Numerical Optimization", 2nd ed.,
Springer, ch. 7 (truncated Newton-CG).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from scipy.optimize import OptimizeResult, minimize

__all__ = ["SmoothObjective", "lbfgsb", "projected_gradient", "projected_newton"]


class SmoothObjective(Protocol):
    """A smooth convex function with value-and-gradient and Hessian-vector products.

    ``hvp(v)`` is taken at the point of the last call of ``fun``.
    """

    def fun(self, z: np.ndarray) -> tuple[float, np.ndarray]: ...  # pragma: no cover

    def hvp(self, v: np.ndarray) -> np.ndarray: ...  # pragma: no cover


def lbfgsb(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    z0: np.ndarray,
    bounds: Any,
    max_iter: int,
    gtol: float,
) -> OptimizeResult:
    """L-BFGS-B from ``z0`` (value-and-gradient ``fun``; ``bounds`` as for scipy, or None)."""
    return minimize(
        fun,
        z0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "maxfun": 2 * max_iter, "ftol": 1e-16, "gtol": gtol, "maxcor": 30},
    )


def projected_gradient(z: np.ndarray, g: np.ndarray, lower: np.ndarray) -> float:
    """inf-norm of the projected gradient step z - P(z - g) for bounds z >= lower (-inf = free)."""
    step = z - np.maximum(z - g, lower)
    return float(np.abs(step).max()) if step.size else 0.0


def _cg(hvp: Callable[[np.ndarray], np.ndarray], g: np.ndarray, free: np.ndarray, max_iter: int, rtol: float):
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


def projected_newton(
    prob: SmoothObjective,
    z: np.ndarray,
    lower: np.ndarray,
    *,
    max_newton: int = 40,
    cg_iter: int = 200,
    kkt_tol: float = 1e-13,
) -> tuple[np.ndarray, float, np.ndarray, int]:
    """Projected Newton-CG (Bertsekas' eps-active sets) for a smooth convex function with z >= lower.

    Returns ``(z, value, gradient, iterations)``; stops at a projected-gradient norm of
    ``kkt_tol``, after ``max_newton`` steps, or when a backtracking line search fails to decrease
    the value (the last accepted point is returned).
    """
    val, g = prob.fun(z)
    it = 0
    for it in range(1, max_newton + 1):  # noqa: B007
        kkt = projected_gradient(z, g, lower)
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
