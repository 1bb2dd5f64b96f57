r"""``fit_linear``: l1-regularised adversarial training of linear classifiers, three solvers.

.. math::
    \min_{W, b}\ \frac1n \sum_{i=1}^n \max_{\|x_i' - x_i\|_r \le \epsilon} \ell(W x_i' + b, y_i)
    + \lambda \|W\|_1

(for the softmax loss the inner maximum is replaced by its convex pairwise upper bound; see
:mod:`radbound.train._losses`). Yin, Ramchandran & Bartlett (ICML 2019), experiments, and their
public code; :doc:`/theory/multiclass` and :doc:`/theory/experiments`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import (
    check_binary_labels,
    check_choice,
    check_exponent,
    check_matrix,
    check_multiclass_labels,
    check_nonnegative,
    is_torch_tensor,
)
from ._losses import BINARY_LOSSES, LOSSES
from ._model import LinearModel

__all__ = ["fit_linear", "fit_path", "SOLVERS"]

SOLVERS = ("fast", "cvxpy", "sgd-attack")
_CVXPY_OPTIONS = ("cvxpy_solver", "on_inaccurate", "check_rtol", "gap_rtol", "verbose", "solver_options")
_FAST_OPTIONS = ("warm_start", "tol", "max_iter", "gtol", "on_inaccurate", "time_limit", "blas_threads")


def _validate(X, y, eps, lam, loss, solver, attack_norm, n_classes):
    loss = check_choice(loss, "loss", LOSSES)
    solver = check_choice(solver, "solver", SOLVERS)
    eps = check_nonnegative(eps, "eps")
    lam = check_nonnegative(lam, "lam")
    attack_norm = check_exponent(attack_norm, "attack_norm")
    if is_torch_tensor(X):
        X = X.detach().cpu().numpy()
    X = check_matrix(X, "X", allow_torch=False)
    n = X.shape[0]
    if loss in BINARY_LOSSES:
        if n_classes not in (None, 2):
            raise ValueError(f"n_classes must be None or 2 for the binary loss {loss!r}, got {n_classes!r}")
        y = check_binary_labels(y, n, "y")
        if np.unique(y).size < 2:
            raise ValueError(f"y must contain both labels -1 and +1, got only {np.unique(y).tolist()}")
        K = None
    else:
        y, K = check_multiclass_labels(y, n, n_classes, "y")
    return X, y, eps, lam, loss, solver, attack_norm, K


def _split_options(options: dict[str, Any], allowed: tuple[str, ...], solver: str) -> dict[str, Any]:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"unknown option(s) {unknown} for solver={solver!r}; allowed: {sorted(allowed)}")
    return options


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
    solver : {"fast", "cvxpy", "sgd-attack"}
        ``"fast"`` (default): :mod:`radbound.train.fast` — L-BFGS-B on a split (logistic), smoothing +
        cone-restricted L-BFGS-B (softmax), sparse LP by HiGHS (hinge losses), each with a duality-gap
        certificate; l_inf attacks only. ``"cvxpy"``: the reference program
        (:class:`radbound.train.cvx.CvxpyLinearProgram`, cached per data set so that eps/lam sweeps
        reuse the compiled problem); any ``attack_norm``. ``"sgd-attack"``: the paper's protocol
        (:func:`radbound.train.sgd.fit_sgd_attack`; options forwarded).
    attack_norm : float
        r in [1, inf].
    fit_intercept : bool
        Fit the bias b (default True); otherwise b = 0.
    n_classes : int, optional
        K for multi-class losses (default ``max(y) + 1``).
    **options
        cvxpy: ``cvxpy_solver`` ("CLARABEL"), ``on_inaccurate`` ("warn" | "raise"), ``check_rtol``,
        ``gap_rtol``, ``verbose``, ``solver_options`` (dict for ``problem.solve``).
        fast: ``warm_start`` (a LinearModel), ``tol`` (target relative duality gap, 1e-7),
        ``max_iter``, ``gtol``, ``on_inaccurate``, ``time_limit`` (hinge LPs, seconds), ``blas_threads``
        (1 by default; None leaves BLAS alone).
        sgd-attack: the keyword arguments of ``fit_sgd_attack``.

    Returns
    -------
    LinearModel
        ``objective`` is recomputed from ``(W, b)``; ``diagnostics`` holds the status, time and the
        certificate (``duality_gap``, ``rel_gap``; ``kkt_residual`` for the smooth fast solvers).

    Raises
    ------
    ValueError, TypeError
        Bad shapes, labels, eps < 0, lam < 0, unknown loss, solver or option.
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
    X, y, eps, lam, loss, solver, attack_norm, K = _validate(
        X, y, eps, lam, loss, solver, attack_norm, n_classes
    )
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool, got {type(fit_intercept).__name__} {fit_intercept!r}")
    if solver == "cvxpy":
        from .cvx import get_program

        opts = _split_options(options, _CVXPY_OPTIONS, solver)
        prog = get_program(
            X, y, loss=loss, attack_norm=attack_norm, fit_intercept=bool(fit_intercept), n_classes=K
        )
        kw = dict(opts)
        cvx_solver = kw.pop("cvxpy_solver", "CLARABEL")
        return prog.solve(eps, lam, solver=cvx_solver, **kw)
    if solver == "fast":
        if attack_norm != math.inf:
            raise NotImplementedError(
                "solver='fast' supports attack_norm=inf only (the paper's l_inf attack), "
                f"got {attack_norm!r}; "
                "use solver='cvxpy' for other attack norms"
            )
        from .fast import fit_fast

        opts = _split_options(options, _FAST_OPTIONS, solver)
        return fit_fast(
            X, y, eps=eps, lam=lam, loss=loss, n_classes=K, fit_intercept=bool(fit_intercept), **opts
        )
    from .sgd import fit_sgd_attack

    if not fit_intercept:
        raise ValueError("fit_intercept=False is not supported by solver='sgd-attack'")
    if n_classes is not None:
        options = {"n_classes": n_classes, **options}
    return fit_sgd_attack(X, y, eps=eps, lam=lam, loss=loss, attack_norm=attack_norm, **options)


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
    e = np.atleast_1d(np.asarray(eps, dtype=np.float64))
    lam_arr = np.atleast_1d(np.asarray(lam, dtype=np.float64))
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
