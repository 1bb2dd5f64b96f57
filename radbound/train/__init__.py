"""Robust training of linear classifiers: l1-regularised adversarial training, and the paper's protocol.

``fit_linear(X, y, *, eps, lam, loss, solver="fast")`` solves the convex training problem
(:func:`objective`, ``kind="convex"``) and returns a :class:`LinearModel` with its duality-gap
certificate (:class:`DualityGap`); ``fit_sgd_attack`` runs the paper's SGD protocol, which
minimises another objective (the cross-entropy at a single-target worst case; the model records it
in ``objective_kind``). The reference convex programs live in :mod:`radbound.train.cvx` (cvxpy,
imported on use), the fast solvers in :mod:`radbound.train.fast`, the certificate in
:mod:`radbound.train._certificate`, the SGD protocol in :mod:`radbound.train.sgd`; the paper's
network and PGD training (torch) in :mod:`radbound.train.network`.
"""

from __future__ import annotations

from typing import Any

from ._certificate import DualityGap, duality_gap
from ._constants import LOSSES, OBJECTIVE_KINDS
from ._losses import NonOptimalWarning, SolverError, objective
from ._model import LinearModel
from ._problem import TrainingProblem
from .fit import SOLVERS, fit_linear, fit_path
from .sgd import fit_sgd_attack

__all__ = [
    "LOSSES",
    "OBJECTIVE_KINDS",
    "SOLVERS",
    "DualityGap",
    "LinearModel",
    "NonOptimalWarning",
    "SolverError",
    "TrainingProblem",
    "duality_gap",
    "fit_linear",
    "fit_path",
    "fit_sgd_attack",
    "objective",
]


def __getattr__(name: str) -> Any:
    # Imported on first access: .network needs torch.
    if name == "fit_network":
        from . import network

        return getattr(network, name)
    raise AttributeError(f"module 'radbound.train' has no attribute {name!r}")
