"""radbound: Rademacher complexity and generalization bounds for adversarially robust learning.

The reference implementation of the quantities in Yin, Ramchandran & Bartlett,
"Rademacher Complexity for Adversarially Robust Generalization", ICML 2019.

``import radbound`` loads numpy and scipy only; the subpackages that need
cvxpy, sympy, matplotlib or torch import them when they are used.

Top-level names
---------------
Estimate, AdversarialEstimate, MulticlassEstimate, LowerEstimate, Bound, GridPoint, PosthocPrice
    Result objects (:mod:`radbound.results`).
empirical_rademacher
    The generic exact / Monte-Carlo engine.
linear_rademacher, adversarial_linear_rademacher, multiclass_rademacher
    Complexities of linear classes.

Subpackages (imported on first attribute access): ``bounds``, ``attacks``,
``train``, ``networks``, ``certify`` (certified robustness), ``data``, ``plot``, ``study``,
``pacbayes`` (PAC-Bayes risk certificates).

Every attack lives in ``radbound.attacks``: the exact attacks on linear models and the one PGD
(:func:`radbound.attacks.pgd`) for linear models and torch networks alike (torch is imported only
when a torch module is attacked); trainers and studies call it, they do not carry their own.
"""

from __future__ import annotations

import importlib
from typing import Any

from .complexity import (
    adversarial_linear_rademacher,
    empirical_rademacher,
    linear_rademacher,
    multiclass_rademacher,
)
from .results import (
    AdversarialEstimate,
    Bound,
    Estimate,
    GridPoint,
    LossClass,
    LowerEstimate,
    MarginLipschitz,
    MulticlassEstimate,
    PosthocPrice,
)

__version__ = "0.1.0"

__all__ = [
    "AdversarialEstimate",
    "Bound",
    "Estimate",
    "GridPoint",
    "PosthocPrice",
    "LossClass",
    "MarginLipschitz",
    "LowerEstimate",
    "MulticlassEstimate",
    "adversarial_linear_rademacher",
    "empirical_rademacher",
    "linear_rademacher",
    "multiclass_rademacher",
    "__version__",
]

_SUBMODULES = (
    "bounds",
    "attacks",
    "train",
    "networks",
    "certify",
    "data",
    "plot",
    "study",
    "complexity",
    "cli",
    "pacbayes",
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'radbound' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(_SUBMODULES) | set(globals()))
