r"""Reference convex programs (cvxpy) for l1-regularised adversarial training of linear models.

:class:`CvxpyLinearProgram` builds the exact convex program of :mod:`radbound.train._losses`
once for a data set, with :math:`\epsilon` and :math:`\lambda` as non-negative cvxpy
``Parameter`` objects. The program is DPP-compliant, so a sweep over eps and lam compiles it
once and then only re-solves (``n_compilations`` counts the compilations).

Norms of the attack: :math:`\|v\|_{r^*}` is written exactly for every :math:`r \in [1, \infty]`
(:func:`row_norms`): ``norm1``, the second-order cone and the max for :math:`r^* \in \{1, 2, \infty\}`,
otherwise the power-cone epigraph :math:`|v_j| \le s_j^{1/p} t^{1 - 1/p}`, :math:`\sum_j s_j = t`,
which needs no rational approximation of the exponent (cvxpy's ``pnorm`` rounds it to a fraction
of denominator at most 1024 and fails for exponents near 1 or above a few thousand). The dual
exponent is computed stably (:math:`r = 1 + 10^{-9}` gives :math:`r^* \approx 10^9`).

Every solution is verified: the solver status is checked (``"optimal"`` passes; an inaccurate
or user-limited status warns or raises, per ``on_inaccurate``; anything else raises
:class:`~radbound.train._losses.SolverError`), the objective is RECOMPUTED in numpy from the
returned ``(W, b)`` and compared with the solver's value (a mismatch beyond the solver's
accuracy raises), and the duality gap of :mod:`radbound.train._certificate` is computed for
every attack norm (for the hinge losses from the program's own dual variables). A solver that
reports "optimal" with a wrong point is caught by one of the two; ``certified`` is True only
when the gap confirms the point (with ``lam = 0`` the gap is not informative and the result is
reported uncertified).
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
from .._validation import check_choice, check_positive
from ._certificate import certify
from ._losses import NonOptimalWarning, SolverError, training_objective
from ._model import LinearModel
from ._problem import TrainingProblem, check_unscaled_weights

__all__ = ["CvxpyLinearProgram", "get_program", "check_cvxpy_options", "row_norms", "DEFAULT_RTOL"]

#: Relative tolerance |F_solver - F_numpy| / (1 + |F_numpy|) accepted per solver (from its accuracy).
DEFAULT_RTOL = {"CLARABEL": 1e-6, "ECOS": 1e-6, "MOSEK": 1e-6, "HIGHS": 1e-7, "SCS": 1e-3, "OSQP": 1e-3}
_ACCEPTED = ("optimal",)
_INACCURATE = ("optimal_inaccurate", "user_limit")


def row_norms(V: Any, p: float) -> tuple[Any, list[Any]]:
    r"""Exact cvxpy form of the :math:`\ell_p` norms of the rows of a 2-D expression, any :math:`p \ge 1`.

    Returns ``(norms, constraints)``: ``norms`` is an (M,) expression equal to the row norms for
    :math:`p \in \{1, 2, \infty\}`; for other :math:`p` it is an epigraph variable :math:`t` with
    :math:`t_m \ge \|v_m\|_p` enforced by ``constraints`` (power cones
    :math:`|v_{mj}| \le s_{mj}^{1/p} t_m^{1-1/p}`, :math:`\sum_j s_{mj} = t_m`), exact wherever
    the program pushes :math:`t` down (a convex increasing use, or a constraint :math:`t \le c`).

    Examples
    --------
    >>> import cvxpy as cp, numpy as np
    >>> V = cp.Variable((1, 3)); norms, cons = row_norms(V, 3.0)
    >>> prob = cp.Problem(cp.Minimize(norms[0]), cons + [V == np.array([[1.0, -2.0, 2.0]])])
    >>> _ = prob.solve(solver="CLARABEL")
    >>> bool(abs(prob.value - 17 ** (1 / 3)) < 1e-6)
    True
    """
    import cvxpy as cp

    p = float(p)
    if p == 1.0:
        return cp.sum(cp.abs(V), axis=1), []
    if math.isinf(p):
        return cp.max(cp.abs(V), axis=1), []
    if p == 2.0:
        return cp.norm(V, 2, axis=1), []
    M, d = V.shape
    t = cp.Variable(M)
    S = cp.Variable((M, d))
    T = cp.reshape(t, (M, 1), order="C") @ np.ones((1, d))
    cone = cp.constraints.PowCone3D(cp.vec(S, order="C"), cp.vec(T, order="C"), cp.vec(V, order="C"), 1.0 / p)
    return t, [cone, cp.sum(S, axis=1) == t]


def check_cvxpy_options(
    *,
    cvxpy_solver: Any = "CLARABEL",
    on_inaccurate: Any = "warn",
    check_rtol: Any = None,
    gap_rtol: Any = 1e-3,
    verbose: Any = False,
    solver_options: Any = None,
) -> dict[str, Any]:
    """Validate the options of :meth:`CvxpyLinearProgram.solve` (each error names the option and value)."""
    if not isinstance(cvxpy_solver, str) or not cvxpy_solver:
        raise TypeError(
            f"cvxpy_solver must be a solver name (str), got {type(cvxpy_solver).__name__} {cvxpy_solver!r}"
        )
    if not isinstance(verbose, (bool, np.bool_)):
        raise TypeError(f"verbose must be a bool, got {type(verbose).__name__} {verbose!r}")
    if solver_options is not None and not isinstance(solver_options, dict):
        raise TypeError(f"solver_options must be None or a dict, got {type(solver_options).__name__}")
    return {
        "solver": cvxpy_solver.upper(),
        "on_inaccurate": check_choice(on_inaccurate, "on_inaccurate", ("warn", "raise")),
        "check_rtol": None if check_rtol is None else check_positive(check_rtol, "check_rtol"),
        "gap_rtol": check_positive(gap_rtol, "gap_rtol"),
        "verbose": bool(verbose),
        "solver_options": dict(solver_options or {}),
    }


class CvxpyLinearProgram:
    r"""The adversarial training problem of a fixed data set as a parametrised cvxpy program.

    .. math::
        \min_{W, b}\ \frac1n \sum_i \ell_i(W, b; \epsilon) + \lambda \|W\|_1

    with the losses of :mod:`radbound.train._losses` written in disciplined convex form:
    ``cp.logistic`` for the logistic loss, an epigraph variable for the hinge losses (so that
    their dual variables are available), ``cp.log_sum_exp`` for the softmax bound, and the
    pairwise distances :math:`\|w_j - w_k\|_{r^*}` as one vector of M = K(K-1)/2 norms
    (:func:`row_norms`) scattered into the (n, K) score matrix by a constant sparse matrix.

    Parameters
    ----------
    X : array (n, d)
    y : array (n,)
        {-1, +1} for binary losses; class labels for multi-class losses (the labels present, or
        ``0..n_classes-1``).
    loss : str
    attack_norm : float
        r in [1, inf]; the program uses its dual exponent r*.
    fit_intercept : bool
    n_classes : int, optional
        K for multi-class losses (default: the labels present).

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
        X: Any,
        y: Any,
        *,
        loss: str,
        attack_norm: float = math.inf,
        fit_intercept: bool = True,
        n_classes: int | None = None,
    ) -> None:
        problem = TrainingProblem.build(
            X,
            y,
            eps=0.0,
            lam=0.0,
            loss=loss,
            attack_norm=attack_norm,
            fit_intercept=fit_intercept,
            n_classes=n_classes,
        )
        self._build(problem)

    @classmethod
    def from_problem(cls, problem: TrainingProblem) -> CvxpyLinearProgram:
        """The program of a validated :class:`~radbound.train.TrainingProblem` (eps, lam unused)."""
        prog = cls.__new__(cls)
        prog._build(problem)
        return prog

    def _build(self, problem: TrainingProblem) -> None:
        import cvxpy as cp
        import scipy.sparse as sp

        self.problem_data = problem
        self.X = problem.X
        self.y = problem.y
        # the program sees X / scale (a power of two, 1 for ordinary data; TrainingProblem.reduction)
        self.scale = problem.data_scale
        Xm = self.X / self.scale if self.scale != 1.0 else self.X
        self.loss = problem.loss
        self.attack_norm = problem.attack_norm
        self.q = dual_exponent(self.attack_norm)
        self.fit_intercept = problem.fit_intercept
        self.n_compilations = 0
        self.n_solves = 0
        n, d = self.X.shape
        self.eps = cp.Parameter(nonneg=True, name="eps")
        self.lam = cp.Parameter(nonneg=True, name="lam")
        self._dual_constraint = None
        constraints: list[Any] = []
        if problem.binary:
            yb = self.y.astype(np.float64)
            self.W = cp.Variable(d, name="w")
            self.b = cp.Variable(name="b") if self.fit_intercept else None
            score = (yb[:, None] * Xm) @ self.W
            if self.b is not None:
                score = score + yb * self.b
            if self.q == 1.0:
                w_norm = cp.norm1(self.W)
            else:
                norms, cons = row_norms(cp.reshape(self.W, (1, d), order="C"), self.q)
                w_norm = norms[0]
                constraints += cons
            margin = score - self.eps * w_norm
            if self.loss == "logistic":
                data_term = cp.sum(cp.logistic(-margin)) / n
            else:
                xi = cp.Variable(n, nonneg=True, name="xi")
                con = xi >= 1 - margin
                constraints.append(con)
                self._dual_constraint = con
                data_term = cp.sum(xi) / n
            penalty = self.lam * cp.norm1(self.W)
        else:
            K = problem.K
            self.n_classes = K
            yi = self.y.astype(np.int64)
            onehot = problem.onehot
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
            pair_norms, cons = row_norms(sp.csr_matrix(inc) @ self.W, self.q)  # (M,)
            constraints += cons
            rows, cols = [], []
            for i in range(n):
                for k in range(K):
                    if k != yi[i]:
                        rows.append(i * K + k)
                        cols.append(index[(yi[i], k)])
            scatter = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n * K, M))
            dist = cp.reshape(scatter @ pair_norms, (n, K), order="C")
            Z = Xm @ self.W.T
            if self.b is not None:
                Z = Z + np.ones((n, 1)) @ cp.reshape(self.b, (1, K), order="C")
            zy = cp.sum(cp.multiply(Z, onehot), axis=1)
            A = Z - cp.reshape(zy, (n, 1), order="C") @ np.ones((1, K)) + self.eps * dist
            if self.loss == "softmax":
                data_term = cp.sum(cp.log_sum_exp(A, axis=1)) / n
            else:
                xi = cp.Variable(n, name="xi")
                con = cp.reshape(xi, (n, 1), order="C") @ np.ones((1, K)) >= A + (1.0 - onehot)
                constraints.append(con)
                self._dual_constraint = con
                data_term = cp.sum(xi) / n
            penalty = self.lam * cp.sum(cp.abs(self.W))
        self.problem = cp.Problem(cp.Minimize(data_term + penalty), constraints)
        if not self.problem.is_dcp(dpp=True):  # type: ignore[call-arg]  # pragma: no cover - by construction
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
            hinge LPs with the l_inf attack, ... if installed).
        on_inaccurate : {"warn", "raise"}
            What to do when the relative duality gap exceeds ``gap_rtol`` (or, when the gap is not
            informative, the status is ``optimal_inaccurate``/``user_limit``).
        check_rtol : float, optional
            Accepted |F_solver - F_numpy| / (1 + |F_numpy|); default from :data:`DEFAULT_RTOL`
            (1e-6 for Clarabel, 1e-3 for SCS). A larger mismatch raises ``SolverError``
            (10x looser for inaccurate statuses).
        gap_rtol : float
            Tolerance on the relative duality gap of the returned point (default 1e-3: it flags a
            grossly wrong "optimal" answer; the gap is built from the primal point, or the hinge
            constraints' duals, and at Clarabel's accuracy its sensitivity grows like 1/lam).
        verbose : bool
            Print the solver's log.
        solver_options : dict, optional
            Passed to ``problem.solve`` (e.g. ``{"max_iter": 50}`` for Clarabel).

        Returns
        -------
        LinearModel
            ``objective`` recomputed in numpy at the exact attack norm; ``certificate`` the
            duality gap; ``diagnostics["certified"]`` True only when the gap is informative and
            within ``gap_rtol`` (the solver's own ``status`` is reported as it is: a point that the
            solver calls inaccurate but the gap certifies is certified).
        """
        import cvxpy as cp

        opts = check_cvxpy_options(
            cvxpy_solver=solver,
            on_inaccurate=on_inaccurate,
            check_rtol=check_rtol,
            gap_rtol=gap_rtol,
            verbose=verbose,
            solver_options=solver_options,
        )
        solver = opts["solver"]
        at = self.problem_data.at(eps=eps, lam=lam)
        eps, lam = at.eps, at.lam
        # extreme data scale, eps or lam: the program solves the reduced problem
        # (TrainingProblem.reduction; its data scale is the program's)
        reduced, scale, zero = at.reduction()
        self.eps.value = reduced.eps
        self.lam.value = reduced.lam
        before = getattr(self.problem._cache, "param_prog", None)
        t0 = time.perf_counter()
        try:
            self.problem.solve(solver=solver, verbose=opts["verbose"], **opts["solver_options"])
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
        V = np.array(W, dtype=np.float64)
        b = (
            (float(np.asarray(self.b.value)) if V.ndim == 1 else np.array(self.b.value, dtype=np.float64))
            if self.b is not None
            else (0.0 if V.ndim == 1 else np.zeros(V.shape[0]))
        )
        f_numpy = training_objective(
            reduced.X, self.y, V, b, eps=reduced.eps, lam=reduced.lam, loss=self.loss, q=self.q
        )
        f_solver = float(self.problem.value)
        rtol = opts["check_rtol"] if opts["check_rtol"] is not None else DEFAULT_RTOL.get(solver, 1e-5)
        if inaccurate:
            rtol *= 10.0
        mismatch = abs(f_solver - f_numpy) / (1.0 + abs(f_numpy))
        if not mismatch <= rtol:
            raise SolverError(
                f"cvxpy solver {solver} reported objective {f_solver!r} (status {status!r}) but the "
                f"returned (W, b) has objective {f_numpy!r} (relative mismatch {mismatch:.3g} > {rtol:.3g}) "
                f"at eps={eps}, lam={lam}"
            )
        dual = None
        if self._dual_constraint is not None and self._dual_constraint.dual_value is not None:
            dual = np.asarray(self._dual_constraint.dual_value, dtype=np.float64) * self.X.shape[0]
        if zero:  # W = 0 is optimal (TrainingProblem.reduction)
            W = np.zeros_like(V)
            cert = certify(at, W, b, dual)
        else:  # a rescaled problem has the original's margins, objective and certificate
            cert = certify(reduced, V, b, dual)
            W = V / scale if scale != 1.0 else V
            check_unscaled_weights(W, scale, eps, lam)
        f_numpy = cert.primal if (zero or reduced is not at) else f_numpy
        # the certificate decides when it is informative (whatever the solver's own status says);
        # without it (lam = 0) only an inaccurate status is known to be a problem
        certified = cert.informative and cert.rel_gap <= opts["gap_rtol"]
        if (cert.informative and not certified) or (not cert.informative and inaccurate):
            msg = (
                f"cvxpy solver {solver} status {status!r}, relative duality gap "
                f"{cert.rel_gap:.3g} at eps={eps}, lam={lam}: solution not certified optimal"
            )
            if opts["on_inaccurate"] == "raise":
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
            "certified": certified,
            "certified_by": "duality-gap" if certified else "none",
        }
        if reduced is not at:
            diagnostics["reduction"] = f"scale {scale:g}" + (", zero weights" if zero else "")
        return LinearModel(
            W=W,
            b=b,
            loss=self.loss,
            eps=eps,
            lam=lam,
            attack_norm=self.attack_norm,
            objective=f_numpy,
            solver="cvxpy",
            diagnostics=diagnostics,
            objective_kind="convex",
            classes=self.problem_data.classes,
            certificate=cert,
        )


# ---------------------------------------------------------------------- cache
_CACHE: OrderedDict[tuple, CvxpyLinearProgram] = OrderedDict()
_CACHE_SIZE = 4


def _fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(np.ascontiguousarray(X).data)
    h.update(np.ascontiguousarray(y).astype(np.float64).data)
    h.update(repr(X.shape).encode())
    return h.hexdigest()


def get_program(problem: TrainingProblem) -> CvxpyLinearProgram:
    """A cached :class:`CvxpyLinearProgram` for the data and options of ``problem``: sweeps reuse one program.

    The cache key holds a hash of ``X`` and ``y``, their shapes, the loss, the attack norm, the
    intercept flag and the classes; the last few programs are kept (least recently used first out).
    """
    key = (
        _fingerprint(problem.X, problem.y),
        problem.loss,
        float(problem.attack_norm),
        problem.fit_intercept,
        tuple(problem.classes.tolist()),
    )
    prog = _CACHE.get(key)
    if prog is None:
        prog = CvxpyLinearProgram.from_problem(problem)
        _CACHE[key] = prog
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return prog
