"""Robust training of linear classifiers: l1-regularised adversarial training with three solvers.

``fit_linear(X, y, *, eps, lam, loss, solver="fast")`` returns a :class:`LinearModel`; the
reference convex programs live in :mod:`radbound.train.cvx` (cvxpy, imported on use), the fast
solvers and their duality-gap certificate in :mod:`radbound.train.fast`, the paper's SGD protocol
in :mod:`radbound.train.sgd`; the paper's network and PGD training (torch) in
:mod:`radbound.train.network`.
"""

from __future__ import annotations

from typing import Any

from ._losses import LOSSES, NonOptimalWarning, SolverError, objective
from ._model import LinearModel
from .fast import duality_gap
from .fit import SOLVERS, fit_linear, fit_path

__all__ = [
    "LOSSES",
    "SOLVERS",
    "LinearModel",
    "NonOptimalWarning",
    "SolverError",
    "duality_gap",
    "fit_linear",
    "fit_path",
    "fit_sgd_attack",
    "objective",
]


def __getattr__(name: str) -> Any:
    # Imported on first access: .sgd pulls in the attacks, .network needs torch.
    if name == "fit_sgd_attack":
        from .sgd import fit_sgd_attack

        return fit_sgd_attack
    if name == "fit_network":
        from . import network

        return getattr(network, name)
    raise AttributeError(f"module 'radbound.train' has no attribute {name!r}")
