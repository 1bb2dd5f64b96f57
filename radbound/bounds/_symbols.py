"""Shared pieces of the bounds: symbols, dimension factors, E|s|, statuses.

sympy is imported only inside the functions that build formulas, so that
``import radbound.bounds`` loads numpy and scipy only.
"""

from __future__ import annotations

import math
from typing import Any

from .._concentration import expected_abs_sign_sum
from .._lp import dual_exponent, norm_ratio
from .._validation import check_exponent, check_int
from ..results import Bound, Estimate

__all__ = ["expected_abs_sign_sum", "dimension_factor"]

#: The order of trust of the statuses: the weakest one wins when bounds are chained.
_STATUS_ORDER = ("paper", "derived", "unverified")

#: Valid constant of the paper's lower bound (:doc:`/theory/binary_linear`, [derived]).
C_LOWER = 1.0 / (2.0 * math.sqrt(2.0))

YIN_2019 = "Yin, Ramchandran & Bartlett (2019), ICML"


def weakest_status(*statuses: str) -> str:
    """The least trusted of ``statuses`` (paper < derived < unverified)."""
    return max(statuses, key=_STATUS_ORDER.index)


def dimension_factor(d: int, p: Any = 2.0, attack_norm: Any = math.inf) -> float:
    r"""The factor :math:`\sup_{\|w\|_p \le 1} \|w\|_{r^*}` that multiplies ``eps * W``.

    .. math::
        D = \max\big(d^{\,1 - 1/r - 1/p},\, 1\big),
        \qquad D = d^{1/q} \text{ for } r = \infty .

    It is the largest dual norm :math:`\|w\|_{r^*}` on the unit :math:`\ell_p`
    ball of :math:`\mathbb R^d` (Hoelder / norm comparison). The paper's case is
    :math:`r = \infty`; the general :math:`\ell_r` form follows Awasthi, Frank &
    Mohri (2020) (:doc:`/theory/binary_linear`, [derived]).

    Parameters
    ----------
    d : int >= 1
        Dimension of the inputs.
    p : float in [1, inf], default 2
        Weight norm of the class.
    attack_norm : float in [1, inf], default inf
        :math:`r` of the :math:`\ell_r` attack.

    Returns
    -------
    float
        :math:`D \ge 1`.

    Notes
    -----
    On :math:`\mathbb R^d`, :math:`\|w\|_{r^*} \le \|w\|_p` when :math:`r^* \ge p` and
    :math:`\|w\|_{r^*} \le d^{1/r^* - 1/p}\|w\|_p` when :math:`r^* < p` (Hoelder), both attained
    (by a basis vector, or by the all-equal vector); since :math:`1/r^* = 1 - 1/r` this is
    :math:`\max(d^{1 - 1/r - 1/p}, 1)`. Infinite exponents enter as :math:`1/\infty = 0`.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, theorem on binary linear classifiers (the factor
    :math:`d^{1/q}`, :math:`r = \infty`);
    Awasthi, Frank & Mohri (2020), "Adversarial learning guarantees for linear hypotheses and
    neural networks", ICML (general :math:`\ell_r` attacks); derived (see :doc:`/theory/binary_linear`).

    Examples
    --------
    >>> from radbound.bounds import dimension_factor
    >>> dimension_factor(4, p=2) == 2.0 and dimension_factor(4, p=1) == 1.0
    True
    >>> dimension_factor(9, p=2, attack_norm=2)
    1.0
    """
    d = check_int(d, "d", minimum=1)
    p = check_exponent(p, "p")
    r = check_exponent(attack_norm, "attack_norm")
    return norm_ratio(d, p, dual_exponent(r))  # sup of ||w||_{r*} on the unit l_p ball


def sym(name: str, **assumptions: Any) -> Any:
    """A sympy symbol (imports sympy); positive unless told otherwise."""
    import sympy

    assumptions.setdefault("positive", True)
    return sympy.Symbol(name, **assumptions)


def dimension_inputs(d: int, p: float, attack_norm: float) -> dict[str, float]:
    """Values of the symbols used by :func:`dimension_factor_expr`."""
    if math.isinf(attack_norm):
        return {"d": float(d), "q": dual_exponent(p)}
    return {"d": float(d), "p": p, "r": attack_norm}


def estimate_note(est: Estimate, what: str) -> str:
    """One sentence saying where an estimated symbol comes from."""
    if est.is_exact:
        return f"{what} is exact (enumeration over {est.n_draws} sign vectors)."
    s = f"{what} is a Monte-Carlo estimate ({est.n_draws} draws, stderr {est.stderr:.3g}"
    if est.antithetic:
        s += ", antithetic"
    return s + "); the bound is then an estimate of the bound, not a certificate."


def check_estimate_or_number(value: Any, name: str) -> Estimate | Bound | float:
    """Accept an Estimate, a Bound (its value) or a finite real number."""
    if isinstance(value, (Estimate, Bound)):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{name} must be a number, an Estimate or a Bound, got {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return x
