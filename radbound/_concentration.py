r"""Concentration toolkit: :math:`\mathbb E|\sum_i \sigma_i|`, McDiarmid and Hoeffding half-widths.

The one home of these formulas (complexity estimators, bounds and the CLI import them):

* :func:`expected_abs_sign_sum` -- :math:`\mathbb E|\sum_{i=1}^n \sigma_i|` for every :math:`n \ge 1`,
  exact below :data:`EXACT_MAX_N`, an asymptotic series above (relative error below :math:`10^{-16}`);
* :func:`mcdiarmid_half_width` -- the half-width of the McDiarmid interval of a Monte-Carlo mean
  over Rademacher draws, one- or two-sided;
* :func:`rescale_half_width` -- the same interval at another level, from its width at one level;
* :func:`hoeffding_half_width` -- the Hoeffding half-width of a mean of bounded variables.

Monte-Carlo uncertainty is carried forward in one style: an estimate keeps the two-sided interval
at its level :math:`\delta_e` (``Estimate.interval``, ``Estimate.delta``), and whoever needs another
level or a one-sided deviation calls ``Estimate.half_width`` (or :func:`rescale_half_width`).

References
----------
McDiarmid (1989), "On the method of bounded differences", Surveys in Combinatorics, LMS Lecture Note
Series 141; Hoeffding (1963), "Probability inequalities for sums of bounded random variables", JASA 58.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from ._validation import check_int, check_probability

__all__ = [
    "log_ratio",
    "expected_abs_sign_sum",
    "mcdiarmid_half_width",
    "rescale_half_width",
    "hoeffding_half_width",
    "EXACT_MAX_N",
]

#: :func:`expected_abs_sign_sum` is evaluated exactly (rational arithmetic) for ``n <= EXACT_MAX_N``.
EXACT_MAX_N = 1000

#: Coefficients of :math:`\binom{2K}{K} 4^{-K} \sqrt{\pi K} = \sum_j a_j K^{-j}`, the expansion of
#: :math:`\sqrt K\,\Gamma(K + 1/2) / \Gamma(K + 1)`: the exponential of the difference of the
#: Stirling series :math:`\log\Gamma(K + a) \sim (K + a - 1/2)\log K - K + \log(2\pi)/2
#: + \sum_{k \ge 1} (-1)^{k+1} B_{k+1}(a) / (k(k+1) K^k)` at :math:`a = 1/2` and :math:`a = 1`
#: (:math:`B_k` the Bernoulli polynomials), expanded in :math:`1/K` with sympy; the test suite checks
#: the truncation error against mpmath at 60 digits.
_CENTRAL_SERIES = (
    Fraction(1),
    Fraction(-1, 8),
    Fraction(1, 128),
    Fraction(5, 1024),
    Fraction(-21, 32768),
    Fraction(-399, 262144),
    Fraction(869, 4194304),
    Fraction(39325, 33554432),
)


def expected_abs_sign_sum(n: Any) -> float:
    r"""Expected absolute value of a sum of ``n`` independent Rademacher signs.

    .. math::
        \mathbb E \Big| \sum_{i=1}^n \sigma_i \Big|
        = \frac{n \binom{n-1}{\lfloor (n-1)/2 \rfloor}}{2^{n-1}}
        = \sqrt{\frac{2N}{\pi}}\Big(1 - \frac1{4N} + \frac1{32N^2} + \frac5{128N^3} - \dots\Big)
        \;\in\; \Big[\sqrt{n/2},\ \sqrt n\Big],

    with :math:`N = 2\lceil n/2\rceil` (an odd :math:`n` has the value of :math:`n + 1`). For
    :math:`n \le` :data:`EXACT_MAX_N` the closed form is evaluated exactly in rational arithmetic
    and rounded once; above, the series of the central binomial coefficient
    :math:`\binom{2K}{K}4^{-K} = (\pi K)^{-1/2}\sum_{j} a_j K^{-j}` (:math:`K = N/2`, eight terms,
    truncation error below :math:`10^{-25}` there) with :math:`\sqrt{N}` from an exact integer
    square root, so any integer :math:`n` whose result is a finite float is accurate to a few
    units in the last place (:math:`n = 2^{63}`, :math:`n = 10^{300}`).

    Parameters
    ----------
    n : int
        Number of signs, ``n >= 1`` (Python or numpy integer, or an integral float).

    Returns
    -------
    float

    Notes
    -----
    :math:`s = \sum_i \sigma_i = n - 2k` with :math:`k \sim \mathrm{Binomial}(n, 1/2)`, and summing
    :math:`|n - 2k| \binom nk / 2^n` telescopes to the central binomial term above (the mean absolute
    deviation of a symmetric binomial, de Moivre's formula). The lower end :math:`\sqrt{n/2}` is
    Szarek's optimal Khintchine constant, the upper end is Jensen's inequality.

    References
    ----------
    Closed form: derived (:doc:`/theory/binary_linear`). Lower end: Szarek (1976), "On the best constants
    in the Khinchin inequality", Studia Mathematica 58. Series: the asymptotic expansion of
    :math:`\Gamma(K+1/2)/\Gamma(K+1)` (e.g. Graham, Knuth & Patashnik, *Concrete Mathematics*, 2nd ed.,
    section 9.3, exercise 9.60).

    Examples
    --------
    >>> from radbound.bounds import expected_abs_sign_sum
    >>> import math
    >>> math.isclose(expected_abs_sign_sum(3), (2 * 3 + 6 * 1) / 8)   # s = +-3 w.p. 1/4, +-1 w.p. 3/4
    True
    >>> big = 2**63
    >>> math.sqrt(big / 2) <= expected_abs_sign_sum(big) <= math.sqrt(big)
    True
    """
    n = check_int(n, "n", minimum=1)
    if n <= EXACT_MAX_N:
        m = (n - 1) // 2
        return float(Fraction(n * math.comb(n - 1, m), 2 ** (n - 1)))
    N = n + (n & 1)
    K = N // 2
    # sqrt(2N / pi) = 2 sqrt(K) / sqrt(pi); sqrt(K) from an exact integer square root beyond 2**52
    shift = (K.bit_length() - 128) & ~1  # even; K * 2**-shift has 127-128 bits
    scaled = K >> shift if shift >= 0 else K << -shift
    try:  # sqrt(K) = isqrt(K * 2**-shift) * 2**(shift/2), ~64 correct bits before rounding
        sqrt_k = math.ldexp(float(math.isqrt(scaled)), shift // 2)
    except OverflowError:
        raise OverflowError(f"expected_abs_sign_sum(n) is above the float range for n={n!r}") from None
    inv = Fraction(1, K)
    series = float(sum(a * inv**j for j, a in enumerate(_CENTRAL_SERIES)))
    value = 2.0 * sqrt_k / math.sqrt(math.pi) * series
    if not math.isfinite(value):
        raise OverflowError(f"expected_abs_sign_sum(n) is above the float range for n={n!r}")
    return value


def log_ratio(k: float, delta: float) -> float:
    """:math:`\\log(k/\\delta)`, also when :math:`k/\\delta` overflows (a subnormal ``delta``)."""
    ratio = k / delta
    return math.log(ratio) if math.isfinite(ratio) else math.log(k) - math.log(delta)


def mcdiarmid_half_width(
    c: Any, n_draws: int, delta: float, *, antithetic: bool = False, two_sided: bool = True
) -> float:
    r"""Half-width of the McDiarmid interval of a Monte-Carlo mean over Rademacher draws.

    Each draw's value changes by at most :math:`c_i` when :math:`\sigma_i` flips. With :math:`m'`
    independent units (the ``n_draws`` draws, or ``n_draws / 2`` antithetic pairs whose members
    both move, i.e. by :math:`2c_i` per pair mean over :math:`m/2` units), McDiarmid's inequality
    gives

    .. math::
        t = \sqrt{\frac{\sum_i c_i^2 \,\log(k/\delta)}{2m'}}, \qquad
        k = 2 \text{ (two-sided)},\ k = 1 \text{ (one-sided)} .

    Parameters
    ----------
    c : array of shape (n,)
        Bounded differences :math:`c_i \ge 0` of one draw's value.
    n_draws : int
        Number of sign vectors averaged.
    delta : float
        Failure probability, in (0, 1).
    antithetic : bool
        Draws came in pairs :math:`(\sigma, -\sigma)`.
    two_sided : bool
        Half-width of the two-sided interval (default) or the one-sided deviation.

    Returns
    -------
    float

    References
    ----------
    McDiarmid (1989), Surveys in Combinatorics, LMS Lecture Note Series 141.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound._concentration import mcdiarmid_half_width
    >>> bool(np.isclose(mcdiarmid_half_width(np.ones(2), 8, 0.5), np.sqrt(2 * np.log(4) / 16)))
    True
    """
    units = n_draws / 2 if antithetic else n_draws
    c = np.asarray(c, dtype=np.float64)
    scale = float(np.max(c)) if c.size else 0.0
    if scale == 0.0:
        return 0.0
    ss = float(np.sum((c / scale) ** 2))  # no overflow of c**2 for huge c
    k = 2.0 if two_sided else 1.0
    return scale * math.sqrt(ss * log_ratio(k, delta) / (2.0 * units))


def rescale_half_width(
    half_width: float, from_delta: float, delta: float, *, two_sided: bool = True
) -> float:
    r"""A McDiarmid (or Hoeffding) half-width at another level, from the two-sided one at ``from_delta``.

    Both are :math:`\sqrt{V \log(k/\delta)}` with the same variance proxy :math:`V`; the two-sided
    interval at :math:`\delta_e` fixes :math:`V = h^2/\log(2/\delta_e)`, so

    .. math::
        t = h \sqrt{\frac{\log(k/\delta)}{\log(2/\delta_e)}}, \qquad k = 2 \text{ or } 1 .

    Parameters
    ----------
    half_width : float
        :math:`h`, the two-sided half-width at level ``from_delta``.
    from_delta : float
        :math:`\delta_e`.
    delta : float
        The new level.
    two_sided : bool
        Two-sided half-width (default) or one-sided deviation at ``delta``.

    Returns
    -------
    float

    Examples
    --------
    >>> import math
    >>> from radbound._concentration import rescale_half_width
    >>> math.isclose(rescale_half_width(0.1, 0.1, 0.05, two_sided=False), 0.1)  # one-sided at 0.05
    True
    """
    delta = check_probability(delta, "delta")
    k = 2.0 if two_sided else 1.0
    return float(half_width) * math.sqrt(log_ratio(k, delta) / math.log(2.0 / from_delta))


def hoeffding_half_width(value_range: float, n_units: int, delta: float, *, two_sided: bool = True) -> float:
    r"""Hoeffding half-width of a mean of :math:`m` independent variables in an interval of length :math:`L`.

    .. math::
        t = L\sqrt{\frac{\log(k/\delta)}{2m}}, \qquad k = 2 \text{ (two-sided)},\ 1 \text{ (one-sided)} .

    Parameters
    ----------
    value_range : float
        :math:`L` (e.g. :math:`2R` for values in :math:`[-R, R]`).
    n_units : int
        :math:`m`.
    delta : float
        Failure probability, in (0, 1).
    two_sided : bool
        Two-sided half-width (default) or one-sided deviation.

    Returns
    -------
    float

    References
    ----------
    Hoeffding (1963), JASA 58, Theorem 2.

    Examples
    --------
    >>> import math
    >>> from radbound._concentration import hoeffding_half_width
    >>> math.isclose(hoeffding_half_width(1.0, 50, 0.05), math.sqrt(math.log(40) / 100))
    True
    """
    delta = check_probability(delta, "delta")
    n_units = check_int(n_units, "n_units", minimum=1)
    k = 2.0 if two_sided else 1.0
    return float(value_range) * math.sqrt(log_ratio(k, delta) / (2.0 * n_units))
