"""Names shared by the linear trainers: losses, objective kinds, and the solvers' error and warning."""

from __future__ import annotations

__all__ = [
    "BINARY_LOSSES",
    "MULTICLASS_LOSSES",
    "LOSSES",
    "OBJECTIVE_KINDS",
    "NonOptimalWarning",
    "SolverError",
]

#: Losses of binary models (labels in {-1, +1}, W of shape (d,)).
BINARY_LOSSES = ("logistic", "hinge")
#: Losses of K-class models (W of shape (K, d)).
MULTICLASS_LOSSES = ("multiclass-hinge", "softmax")
LOSSES = BINARY_LOSSES + MULTICLASS_LOSSES

#: What ``LinearModel.objective`` holds: ``"convex"``, the objective of ``fit_linear`` (exact
#: adversarial loss; the pairwise bound for softmax), or the cross-entropy at the single-target
#: worst case of the paper's protocol under its target rule (``fit_sgd_attack``, softmax).
OBJECTIVE_KINDS = ("convex", "single-target-paper", "single-target-exact")


class SolverError(RuntimeError):
    """A solver failed, or returned a solution that does not pass verification."""


class NonOptimalWarning(RuntimeWarning):
    """A solver stopped before certified optimality; the returned model is usable but inexact."""
