r"""Reference convex programs (cvxpy) for l1-regularised adversarial training of linear models.

:class:`CvxpyLinearProgram` builds the exact convex program of :mod:`radbound.train._losses`
once for a data set, with :math:`\epsilon` and :math:`\lambda` as non-negative cvxpy
``Parameter`` objects. The program is DPP-compliant, so a sweep over eps and lam compiles it
once and then only re-solves (``n_compilations`` counts the compilations).

Every solution is verified: the solver status is checked (``"optimal"`` passes; an inaccurate
or user-limited status warns or raises, per ``on_inaccurate``; anything else raises
:class:`~radbound.train._losses.SolverError`), the objective is RECOMPUTED in numpy from the
returned ``(W, b)`` and compared with the solver's value (a mismatch beyond the solver's
accuracy raises), and a duality gap is computed by
:func:`radbound.train.fast.duality_gap` (for the hinge losses from the program's own dual
variables). A solver that reports "optimal" with a wrong point is caught by one of the two.
"""

from __future__ import annotations

import hashlib
import math
import time
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np

from .._lp import dual_exponent
from ._losses import BINARY_LOSSES, NonOptimalWarning, SolverError, objective
from ._model import LinearModel

__all__ = ["CvxpyLinearProgram", "get_program", "DEFAULT_RTOL"]

#: Relative tolerance |F_solver - F_numpy| / (1 + |F_numpy|) accepted per solver (from its accuracy).
DEFAULT_RTOL = {"CLARABEL": 1e-6, "ECOS": 1e-6, "MOSEK": 1e-6, "HIGHS": 1e-7, "SCS": 1e-3, "OSQP": 1e-3}
_ACCEPTED = ("optimal",)
_INACCURATE = ("optimal_inaccurate", "user_limit")


class CvxpyLinearProgram:
    r"""The adversarial training problem of a fixed data set as a parametrised cvxpy program.

    .. math::
        \min_{W, b}\ \frac1n \sum_i \ell_i(W, b; \epsilon) + \lambda \|W\|_1

    with the losses of :mod:`radbound.train._losses` written in disciplined convex form:
    ``cp.logistic`` for the logistic loss, an epigraph variable for the hinge losses (so that
    their dual variables are available), ``cp.log_sum_exp`` for the softmax bound, and the
    pairwise distances :math:`\|w_j - w_k\|_{r^*}` as one vector of M = K(K-1)/2 norms scattered
    into the (n, K) score matrix by a constant sparse matrix.

    Parameters
    ----------
    X : ndarray (n, d)
    y : ndarray (n,)
        {-1, +1} for binary losses, 0..K-1 for multi-class losses (already validated).
    loss : str
    attack_norm : float
        r in [1, inf]; the program uses its dual exponent r*.
    fit_intercept : bool
    n_classes : int, optional
        K for multi-class losses (default ``max(y) + 1``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 4)); y = np.sign(X[:, 0] + 0.1)
    >>> prog = CvxpyLinearProgram(X, y, loss="logistic")
    >>> m1 = prog.solve(0.1, 0.01); m2 = prog.solve(0.05, 0.02)
    >>> prog.n_compilations, m2.diagnostics["compiled"]
    (1, False)
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        loss: str,
        attack_norm: float = math.inf,
        fit_intercept: bool = True,
        n_classes: int | None = None,
    ) -> None:
        import cvxpy as cp
        import scipy.sparse as sp

        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y)
        self.loss = loss
        self.attack_norm = float(attack_norm)
        self.q = dual_exponent(self.attack_norm)
        self.fit_intercept = bool(fit_intercept)
        self.n_compilations = 0
        self.n_solves = 0
        n, d = self.X.shape
        self.eps = cp.Parameter(nonneg=True, name="eps")
        self.lam = cp.Parameter(nonneg=True, name="lam")
        self._dual_constraint = None

        def norm(expr, axis=None):
            if self.q == 1.0:
                return cp.sum(cp.abs(expr), axis=axis) if axis is not None else cp.norm1(expr)
            return cp.norm(expr, self.q, axis=axis) if axis is not None else cp.norm(expr, self.q)

        if loss in BINARY_LOSSES:
            yb = self.y.astype(np.float64)
            self.W = cp.Variable(d, name="w")
            self.b = cp.Variable(name="b") if self.fit_intercept else None
            score = (yb[:, None] * self.X) @ self.W
            if self.b is not None:
                score = score + yb * self.b
            margin = score - self.eps * norm(self.W)
            constraints = []
            if loss == "logistic":
                data_term = cp.sum(cp.logistic(-margin)) / n
            else:
                xi = cp.Variable(n, nonneg=True, name="xi")
                con = xi >= 1 - margin
                constraints.append(con)
                self._dual_constraint = con
                data_term = cp.sum(xi) / n
            penalty = self.lam * cp.norm1(self.W)
        else:
            K = int(n_classes) if n_classes is not None else int(self.y.max()) + 1
            self.n_classes = K
            yi = self.y.astype(np.int64)
            onehot = np.zeros((n, K))
            onehot[np.arange(n), yi] = 1.0
            self.W = cp.Variable((K, d), name="W")
            self.b = cp.Variable(K, name="b") if self.fit_intercept else None
            pairs = [(j, k) for j in range(K) for k in range(j + 1, K)]
            index = {}
            for p, (j, k) in enumerate(pairs):
                index[(j, k)] = index[(k, j)] = p
            M = len(pairs)
            inc = sp.lil_matrix((M, K))
            for p, (j, k) in enumerate(pairs):
                inc[p, j] = 1.0
                inc[p, k] = -1.0
            pair_norms = norm(sp.csr_matrix(inc) @ self.W, axis=1)  # (M,)
            rows, cols = [], []
            for i in range(n):
                for k in range(K):
                    if k != yi[i]:
                        rows.append(i * K + k)
                        cols.append(index[(yi[i], k)])
            scatter = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n * K, M))
            dist = cp.reshape(scatter @ pair_norms, (n, K), order="C")
            Z = self.X @ self.W.T
            if self.b is not None:
                Z = Z + np.ones((n, 1)) @ cp.reshape(self.b, (1, K), order="C")
            zy = cp.sum(cp.multiply(Z, onehot), axis=1)
            A = Z - cp.reshape(zy, (n, 1), order="C") @ np.ones((1, K)) + self.eps * dist
            constraints = []
            if loss == "softmax":
                data_term = cp.sum(cp.log_sum_exp(A, axis=1)) / n
            else:
                xi = cp.Variable(n, name="xi")
                con = cp.reshape(xi, (n, 1), order="C") @ np.ones((1, K)) >= A + (1.0 - onehot)
                constraints.append(con)
                self._dual_constraint = con
                data_term = cp.sum(xi) / n
            penalty = self.lam * cp.sum(cp.abs(self.W))
        self.problem = cp.Problem(cp.Minimize(data_term + penalty), constraints)
        if not self.problem.is_dcp(dpp=True):  # pragma: no cover - guarded by construction
            raise SolverError("internal error: the training program is not DPP")

    # ------------------------------------------------------------------ solving
    def solve(
        self,
        eps: float,
        lam: float,
        *,
        solver: str = "CLARABEL",
        on_inaccurate: str = "warn",
        check_rtol: float | None = None,
        gap_rtol: float = 1e-3,
        verbose: bool = False,
        solver_options: dict[str, Any] | None = None,
    ) -> LinearModel:
        r"""Solve at ``(eps, lam)`` and return a verified :class:`~radbound.train.LinearModel`.

        Parameters
        ----------
        eps, lam : float
            Attack radius and l1 weight (non-negative; set into the cvxpy parameters).
        solver : str
            A cvxpy solver name (``"CLARABEL"`` default; ``"SCS"``, ``"ECOS"``, ``"HIGHS"`` for the
            hinge LPs, ... if installed).
        on_inaccurate : {"warn", "raise"}
            What to do when the status is ``optimal_inaccurate``/``user_limit`` or the relative
            duality gap exceeds ``gap_rtol``.
        gap_rtol : float
            Tolerance on the relative duality gap of the returned point (default 1e-3: it flags a
            grossly wrong "optimal" answer; the gap is built from the primal point, or the hinge
            constraints' duals, and at Clarabel's accuracy its sensitivity grows like 1/lam).
        check_rtol : float, optional
            Accepted |F_solver - F_numpy| / (1 + |F_numpy|); default from :data:`DEFAULT_RTOL`
            (1e-6 for Clarabel, 1e-3 for SCS). A larger mismatch raises ``SolverError``
            (10x looser for inaccurate statuses).
        solver_options : dict, optional
            Passed to ``problem.solve`` (e.g. ``{"max_iter": 50}`` for Clarabel).
        """
        import cvxpy as cp

        from .fast import duality_gap

        if on_inaccurate not in ("warn", "raise"):
            raise ValueError(f"on_inaccurate must be one of ['warn', 'raise'], got {on_inaccurate!r}")
        solver = str(solver).upper()
        self.eps.value = float(eps)
        self.lam.value = float(lam)
        before = getattr(self.problem._cache, "param_prog", None)
        t0 = time.perf_counter()
        try:
            self.problem.solve(solver=solver, verbose=verbose, **(solver_options or {}))
        except cp.error.SolverError as exc:
            raise SolverError(f"cvxpy solver {solver} failed at eps={eps}, lam={lam}: {exc}") from exc
        elapsed = time.perf_counter() - t0
        after = getattr(self.problem._cache, "param_prog", None)
        compiled = after is not before
        self.n_compilations += int(compiled)
        self.n_solves += 1
        status = self.problem.status
        W = self.W.value
        if status not in _ACCEPTED + _INACCURATE or W is None:
            raise SolverError(f"cvxpy solver {solver} returned status {status!r} at eps={eps}, lam={lam}")
        inaccurate = status in _INACCURATE
        W = np.array(W, dtype=np.float64)
        b = (
            (float(self.b.value) if W.ndim == 1 else np.array(self.b.value, dtype=np.float64))
            if self.b is not None
            else (0.0 if W.ndim == 1 else np.zeros(W.shape[0]))
        )
        f_numpy = objective(self.X, self.y, W, b, eps=float(eps), lam=float(lam), loss=self.loss, q=self.q)
        f_solver = float(self.problem.value)
        rtol = check_rtol if check_rtol is not None else DEFAULT_RTOL.get(solver, 1e-5)
        if inaccurate:
            rtol *= 10.0
        mismatch = abs(f_solver - f_numpy) / (1.0 + abs(f_numpy))
        if not mismatch <= rtol:
            raise SolverError(
                f"cvxpy solver {solver} reported objective {f_solver!r} (status {status!r}) but the "
                f"returned (W, b) has objective {f_numpy!r} (relative mismatch {mismatch:.3g} > {rtol:.3g})"
            )
        dual = None
        if self._dual_constraint is not None and self._dual_constraint.dual_value is not None:
            dual = np.asarray(self._dual_constraint.dual_value, dtype=np.float64) * self.X.shape[0]
        cert: dict[str, Any] = {}
        if self.attack_norm == math.inf:
            cert = duality_gap(
                self.X,
                self.y,
                W,
                b,
                eps=float(eps),
                lam=float(lam),
                loss=self.loss,
                fit_intercept=self.fit_intercept,
                dual=dual,
            )
            if cert["gap_informative"] and cert["rel_gap"] > gap_rtol:
                inaccurate = True
        if inaccurate:
            msg = (
                f"cvxpy solver {solver} status {status!r}, relative duality gap "
                f"{cert.get('rel_gap', float('nan')):.3g} at eps={eps}, lam={lam}: "
                "solution not certified optimal"
            )
            if on_inaccurate == "raise":
                raise SolverError(msg)
            warnings.warn(msg, NonOptimalWarning, stacklevel=2)
        diagnostics = {
            "status": status,
            "cvxpy_solver": solver,
            "time": elapsed,
            "compiled": compiled,
            "n_compilations": self.n_compilations,
            "program_id": id(self),
            "objective_solver": f_solver,
            "objective_mismatch": mismatch,
            "certified": not inaccurate,
            **{k: v for k, v in cert.items() if k not in ("dual",)},
        }
        return LinearModel(
            W=W,
            b=b,
            loss=self.loss,
            eps=float(eps),
            lam=float(lam),
            attack_norm=self.attack_norm,
            objective=f_numpy,
            solver="cvxpy",
            diagnostics=diagnostics,
        )


# ---------------------------------------------------------------------- cache
_CACHE: OrderedDict[tuple, CvxpyLinearProgram] = OrderedDict()
_CACHE_SIZE = 4


def _fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(np.ascontiguousarray(X).view(np.uint8))
    h.update(np.ascontiguousarray(y).astype(np.float64).view(np.uint8))
    h.update(repr(X.shape).encode())
    return h.hexdigest()


def get_program(
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: str,
    attack_norm: float = math.inf,
    fit_intercept: bool = True,
    n_classes: int | None = None,
) -> CvxpyLinearProgram:
    """A cached :class:`CvxpyLinearProgram` for (data, loss, options): sweeps reuse one compiled program.

    The cache key holds a hash of ``X`` and ``y``, their shapes, the loss and the options; the
    last few programs are kept (least recently used first out).
    """
    key = (_fingerprint(X, y), loss, float(attack_norm), bool(fit_intercept), n_classes)
    prog = _CACHE.get(key)
    if prog is None:
        prog = CvxpyLinearProgram(
            X, y, loss=loss, attack_norm=attack_norm, fit_intercept=fit_intercept, n_classes=n_classes
        )
        _CACHE[key] = prog
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return prog
