r"""``fit_linear``: l1-regularised adversarial training of linear classifiers, three solvers.

.. math::
    \min_{W, b}\ \frac1n \sum_{i=1}^n \max_{\|x_i' - x_i\|_r \le \epsilon} \ell(W x_i' + b, y_i)
    + \lambda \|W\|_1

(for the softmax loss the inner maximum is replaced by its convex pairwise upper bound; see
:mod:`radbound.train._losses`). Yin, Ramchandran & Bartlett (ICML 2019), experiments, and their
public code; :doc:`/theory/multiclass` and :doc:`/theory/experiments`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import as_real_array, check_choice
from ._model import LinearModel
from ._problem import TrainingProblem
from .cvx import check_cvxpy_options, get_program
from .fast import check_fast_options, fit_fast

__all__ = ["fit_linear", "fit_path", "SOLVERS"]

#: Solvers of the convex training problem.
SOLVERS = ("fast", "cvxpy")


def _check_solver(solver: Any) -> str:
    if solver == "sgd-attack":
        raise ValueError(
            "solver='sgd-attack' is not a solver of fit_linear: the paper's SGD protocol minimises a "
            "different objective (the cross-entropy at a single-target worst case, not the convex "
            "problem); call radbound.train.fit_sgd_attack for it"
        )
    return check_choice(solver, "solver", SOLVERS)


def _split_options(options: dict[str, Any], checker: Any, solver: str) -> dict[str, Any]:
    """Validate the solver options with ``checker`` (whose keywords are the allowed options)."""
    allowed = sorted(inspect.signature(checker).parameters)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"unknown option(s) {unknown} for solver={solver!r}; allowed: {allowed}")
    return checker(**options)


def fit_linear(
    X: Any,
    y: Any,
    *,
    eps: float,
    lam: float,
    loss: str,
    solver: str = "fast",
    attack_norm: float = math.inf,
    fit_intercept: bool = True,
    n_classes: int | None = None,
    **options: Any,
) -> LinearModel:
    r"""Train a linear classifier by l1-regularised adversarial training.

    .. math::
        \min_{W, b}\ F(W, b) = \frac1n \sum_{i=1}^n \ell_i(W, b) + \lambda \sum_{k, j} |W_{kj}|

    with the EXACT adversarial loss of an :math:`\ell_r` attack of radius :math:`\epsilon`
    (closed form for linear models, :doc:`/theory/binary_linear` and :doc:`/theory/multiclass`);
    :math:`r = \infty` by default, in which case the attack costs :math:`\epsilon\|w\|_1` (binary) or
    :math:`\epsilon\|w_y - w_k\|_1` (class pair). The bias is not penalised.

    Losses: ``"logistic"`` :math:`\log(1 + e^{-m})` and ``"hinge"`` :math:`(1 - m)_+` of the
    adversarial margin :math:`m = y(\langle w, x\rangle + b) - \epsilon\|w\|_{r^*}` (y in {-1, +1});
    ``"multiclass-hinge"`` the Crammer–Singer hinge :math:`\max(0, \max_{k\ne y} 1 - m_k)` of the
    adversarial pairwise margins :math:`m_k = (w_y - w_k)^\top x + b_y - b_k - \epsilon\|w_y - w_k\|_{r^*}`
    (exact); ``"softmax"`` :math:`\log\sum_k e^{-m_k}` (:math:`m_y = 0`), the convex upper bound of the
    adversarial cross-entropy (labels 0..K-1). Definitions and proofs: :mod:`radbound.train._losses`.

    Parameters
    ----------
    X : array (n, d)
    y : array (n,)
        {-1, +1} for binary losses; integers 0..K-1 for multi-class losses.
    eps : float
        Attack radius, >= 0.
    lam : float
        l1 penalty weight, >= 0.
    loss : {"logistic", "hinge", "multiclass-hinge", "softmax"}
    solver : {"fast", "cvxpy"}
        ``"fast"`` (default): :mod:`radbound.train.fast` — L-BFGS-B on a split (logistic), smoothing +
        cone-restricted L-BFGS-B (softmax), sparse LP by HiGHS (hinge losses), each with a duality-gap
        certificate; l_inf attacks only. ``"cvxpy"``: the reference program
        (:class:`radbound.train.cvx.CvxpyLinearProgram`, cached per data set so that eps/lam sweeps
        reuse the compiled problem); any ``attack_norm``, with the same certificate. The paper's
        SGD protocol, which minimises another objective, is :func:`radbound.train.fit_sgd_attack`.
    attack_norm : float
        r in [1, inf].
    fit_intercept : bool
        Fit the bias b (default True); otherwise b = 0.
    n_classes : int, optional
        K for multi-class losses. By default the classes are the labels present (any integers;
        ``model.classes`` maps the rows of W to them); a declared K needs labels in ``0..K-1``
        (absent classes allowed) and at most n_samples classes.
    **options
        cvxpy: ``cvxpy_solver`` ("CLARABEL"), ``on_inaccurate`` ("warn" | "raise"), ``check_rtol``,
        ``gap_rtol``, ``verbose``, ``solver_options`` (dict for ``problem.solve``).
        fast: ``warm_start`` (a LinearModel), ``tol`` (target relative duality gap, 1e-7),
        ``max_iter``, ``gtol``, ``on_inaccurate``, ``time_limit`` (hinge LPs, seconds), ``blas_threads``
        (1 by default; None leaves BLAS alone). Every option is validated before any work.

    Returns
    -------
    LinearModel
        ``objective`` is the convex objective recomputed from ``(W, b)``
        (``objective_kind="convex"``, equal to :func:`radbound.train.objective`); ``certificate``
        is its duality gap; ``diagnostics`` holds the status, ``certified`` (True only when the
        duality gap, or at ``lam = 0`` the fast solver's KKT residual, confirms optimality), time
        and iterations.

    Raises
    ------
    ValueError, TypeError
        Bad shapes, labels, eps < 0, lam < 0, unknown loss, solver or option, a bad option value,
        or a problem too large for memory (:data:`radbound.train._problem.MEMORY_LIMIT_BYTES`).
    NotImplementedError
        ``solver="fast"`` with an attack norm other than inf.
    radbound.train.SolverError
        A solver failed, or its reported objective does not match the returned solution.

    Warns
    -----
    radbound.train.NonOptimalWarning
        Inaccurate solver status or a duality gap above tolerance (``on_inaccurate="warn"``).

    References
    ----------
    Yin, Ramchandran & Bartlett, "Rademacher Complexity for Adversarially Robust Generalization",
    ICML 2019, experiments (l1 regularisation); :doc:`/theory/multiclass` and :doc:`/theory/experiments`.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.train import fit_linear
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 5)); y = np.where(X[:, 0] + 0.3 * rng.normal(size=40) > 0, 1, -1)
    >>> fast = fit_linear(X, y, eps=0.05, lam=0.01, loss="logistic")
    >>> ref = fit_linear(X, y, eps=0.05, lam=0.01, loss="logistic", solver="cvxpy")
    >>> bool(abs(fast.objective - ref.objective) <= 1e-6 * ref.objective)
    True
    """
    solver = _check_solver(solver)
    opts = _split_options(options, check_fast_options if solver == "fast" else check_cvxpy_options, solver)
    problem = TrainingProblem.build(
        X,
        y,
        eps=eps,
        lam=lam,
        loss=loss,
        attack_norm=attack_norm,
        fit_intercept=fit_intercept,
        n_classes=n_classes,
    )
    if solver == "fast":
        return fit_fast(problem, **opts)
    return get_program(problem).solve(problem.eps, problem.lam, **opts)


def fit_path(
    X: Any,
    y: Any,
    *,
    eps: float | Sequence[float],
    lam: float | Sequence[float],
    loss: str,
    solver: str = "fast",
    attack_norm: float = math.inf,
    **options: Any,
) -> list[LinearModel]:
    r"""Fit along a path of ``(eps, lam)`` values, reusing work between consecutive fits.

    ``eps`` and ``lam`` are scalars or 1-D sequences broadcast to a common length. With
    ``solver="fast"`` each fit is warm-started from the previous model; with ``solver="cvxpy"``
    all fits share one compiled parametrised program. Returns the models in path order.

    Parameters
    ----------
    X : array of shape (n, d)
        Training inputs.
    y : array of shape (n,)
        Labels, as in :func:`fit_linear`.
    eps : float or sequence of float
        Attack radii, >= 0.
    lam : float or sequence of float
        l1 penalty weights, >= 0 (broadcast against ``eps``).
    loss : {"logistic", "hinge", "multiclass-hinge", "softmax"}
        The convex loss of every fit.
    solver : {"fast", "cvxpy"}, default "fast"
        As in :func:`fit_linear`.
    attack_norm : float, default inf
        r in [1, inf] of the :math:`\ell_r` attack.
    **options
        Passed to every :func:`fit_linear` call (``fit_intercept``, ``n_classes``, solver options);
        with ``solver="fast"`` an explicit ``warm_start`` replaces the previous model.

    Returns
    -------
    list of LinearModel
        One model per point of the path, in path order.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.train import fit_path
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(40, 4)); y = np.where(X[:, 1] > 0, 1, -1)
    >>> models = fit_path(X, y, eps=0.1, lam=[0.1, 0.03, 0.01], loss="logistic")
    >>> norms = [np.abs(m.W).sum() for m in models]
    >>> bool(norms[0] <= norms[1] <= norms[2])   # less penalty, larger weights
    True
    """
    solver = _check_solver(solver)
    e = np.atleast_1d(np.asarray(as_real_array(eps, "eps"), dtype=np.float64))
    lam_arr = np.atleast_1d(np.asarray(as_real_array(lam, "lam"), dtype=np.float64))
    if e.size == 0 or lam_arr.size == 0:
        raise ValueError(f"eps and lam must hold at least one value each, got {e.size} and {lam_arr.size}")
    if e.ndim != 1 or lam_arr.ndim != 1:
        raise ValueError(
            f"eps and lam must be scalars or 1-D sequences, got shapes {e.shape}, {lam_arr.shape}"
        )
    try:
        e, lam_arr = np.broadcast_arrays(e, lam_arr)
    except ValueError as exc:
        raise ValueError(
            f"eps and lam must have the same length (or be scalars), got {e.size} and {lam_arr.size}"
        ) from exc
    models: list[LinearModel] = []
    for ei, li in zip(e, lam_arr):
        opts = dict(options)
        if solver == "fast" and models and "warm_start" not in options:
            opts["warm_start"] = models[-1]
        models.append(
            fit_linear(
                X, y, eps=float(ei), lam=float(li), loss=loss, solver=solver, attack_norm=attack_norm, **opts
            )
        )
    return models
