r"""Bounds as explainable objects: numbers -> :class:`~radbound.results.Bound`.

Where a bound lives: EVERY theorem that returns a :class:`~radbound.results.Bound` lives in this
package -- linear classes, multi-class linear classes, networks, the SDP surrogate, generalization.
The packages below it compute the numbers a bound reads (:mod:`radbound.complexity`: Rademacher
complexities; :mod:`radbound.networks`: layers, operator norms, the SDP certificate;
:mod:`radbound.attacks`: exact and PGD attacks, which live in one place, ``attacks``). A bound is
never defined there. Each formula is written once, as a function of a maths namespace, so the same
code gives the value and the sympy formula (:mod:`radbound.bounds._formula`).

Every function returns a :class:`~radbound.results.Bound` with its value, named terms, constants,
reference (down to the theorem), status (``"paper"``, ``"derived"`` or ``"unverified"``, as in
the theory chapter) and a sympy formula (built on demand; ``Bound.evaluate_formula()`` substitutes
the bound's own inputs and reproduces its value, ``Bound.latex()`` renders it).

Binary linear classes (:doc:`/theory/binary_linear`)
    :func:`adversarial_linear_upper_bound`, :func:`adversarial_linear_lower_bound`,
    :func:`adversarial_linear_sandwich`, :func:`linear_rademacher_bound` (Massart / Frobenius),
    :func:`linear_rademacher_lower_bound` (Khintchine), :func:`dimension_factor`,
    :func:`expected_abs_sign_sum`.
Multi-class linear classes (:doc:`/theory/multiclass`)
    :func:`multiclass_natural_bound`, :func:`multiclass_adversarial_bound`,
    :func:`multiclass_ramp_lower_estimate`; the estimator is :func:`radbound.multiclass_rademacher`.
Networks (:doc:`/theory/networks`, :doc:`/theory/sdp`)
    :func:`spectral_bound`, :func:`golowich_bound`, :func:`neyshabur_bound`,
    :func:`adversarial_lower_bound`, :func:`network_bounds`, :func:`surrogate_margin_bound`.
Generalization (:doc:`/theory/generalization`)
    :func:`generalization`, :func:`mc_deviation`; for a trained model (post-hoc valid by default,
    paying for its own norms and margin with a union bound over a grid): :func:`model_generalization`,
    :class:`Grid`, :class:`PosthocWarning`; checked against exact true risks over independent
    samples by :func:`coverage` (with :class:`radbound.data.GaussianMixture`).
Sample complexity
    :func:`sample_complexity`.
"""

from ._posthoc import DEFAULT_GRID, Grid, PosthocWarning
from ._symbols import dimension_factor, expected_abs_sign_sum
from .coverage import Coverage, coverage
from .generalization import generalization, mc_deviation
from .linear import (
    LinearSandwich,
    adversarial_linear_lower_bound,
    adversarial_linear_sandwich,
    adversarial_linear_upper_bound,
    linear_rademacher_bound,
    linear_rademacher_lower_bound,
)
from .model import model_generalization
from .multiclass import (
    LEADING_CONSTANT,
    multiclass_adversarial_bound,
    multiclass_natural_bound,
    multiclass_ramp_lower_estimate,
)
from .network import (
    ADVERSARIAL_LOWER_C,
    SPECTRAL_CONSTANTS,
    NetworkBounds,
    adversarial_lower_bound,
    check_lower_bound_architecture,
    golowich_bound,
    network_bounds,
    neyshabur_bound,
    spectral_bound,
    surrogate_margin_bound,
)
from .sample_complexity import SampleComplexity, sample_complexity

__all__ = [
    "ADVERSARIAL_LOWER_C",
    "DEFAULT_GRID",
    "Grid",
    "NetworkBounds",
    "PosthocWarning",
    "SPECTRAL_CONSTANTS",
    "adversarial_lower_bound",
    "check_lower_bound_architecture",
    "golowich_bound",
    "network_bounds",
    "neyshabur_bound",
    "spectral_bound",
    "surrogate_margin_bound",
    "model_generalization",
    "Coverage",
    "coverage",
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
