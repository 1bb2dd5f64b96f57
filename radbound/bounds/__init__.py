r"""Bounds as explainable objects: numbers -> :class:`~radbound.results.Bound`.

Every function returns a :class:`~radbound.results.Bound` with its value, named terms, constants,
reference (down to the theorem), status (``"paper"``, ``"derived"`` or ``"unverified"``, as in
:doc:`/theory/index`) and a sympy formula (built on demand; ``Bound.evaluate_formula()``
substitutes the bound's own inputs and reproduces its value, ``Bound.latex()`` renders it).

Binary linear classes (:doc:`/theory/binary_linear`)
    :func:`adversarial_linear_upper_bound`, :func:`adversarial_linear_lower_bound`,
    :func:`adversarial_linear_sandwich`, :func:`linear_rademacher_bound` (Massart / Frobenius),
    :func:`linear_rademacher_lower_bound` (Khintchine), :func:`dimension_factor`,
    :func:`expected_abs_sign_sum`.
Multi-class linear classes (section 3)
    :func:`multiclass_natural_bound`, :func:`multiclass_adversarial_bound`,
    :func:`multiclass_ramp_lower_estimate`; the estimator is :func:`radbound.multiclass_rademacher`.
Generalization (section 6)
    :func:`generalization`, :func:`mc_deviation`.
Sample complexity
    :func:`sample_complexity`.
"""

from ._symbols import dimension_factor, expected_abs_sign_sum
from .generalization import generalization, mc_deviation
from .linear import (
    LinearSandwich,
    adversarial_linear_lower_bound,
    adversarial_linear_sandwich,
    adversarial_linear_upper_bound,
    linear_rademacher_bound,
    linear_rademacher_lower_bound,
)
from .multiclass import (
    LEADING_CONSTANT,
    multiclass_adversarial_bound,
    multiclass_natural_bound,
    multiclass_ramp_lower_estimate,
)
from .sample_complexity import SampleComplexity, sample_complexity

__all__ = [
    "LEADING_CONSTANT",
    "LinearSandwich",
    "SampleComplexity",
    "adversarial_linear_lower_bound",
    "adversarial_linear_sandwich",
    "adversarial_linear_upper_bound",
    "dimension_factor",
    "expected_abs_sign_sum",
    "generalization",
    "linear_rademacher_bound",
    "linear_rademacher_lower_bound",
    "mc_deviation",
    "multiclass_adversarial_bound",
    "multiclass_natural_bound",
    "multiclass_ramp_lower_estimate",
    "sample_complexity",
]
