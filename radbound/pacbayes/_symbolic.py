r"""The kl-inverse as a sympy function that evaluates itself with mpmath at any precision.

``klinv(q, c)`` renders as :math:`\mathrm{kl}^{-1}(q, c)` in LaTeX and ``evalf`` computes the root of
:math:`\mathrm{kl}(q\|p) = c` on :math:`[q, 1]` by bisection in mpmath at the requested precision, so a
:class:`radbound.Bound` built on it reproduces its value through ``Bound.evaluate_formula()``, and the
float implementation :func:`radbound.pacbayes.kl_inv` has an independent high-precision reference
(:func:`kl_inv_mpmath`). sympy and mpmath are imported only here, on first use.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["kl_inv_mpmath", "kl_inv_lower_mpmath", "klinv_function"]


def _kl_mp(mp: Any, q: Any, p: Any) -> Any:
    if (p <= 0 and q > 0) or (p >= 1 and q < 1):
        return mp.inf
    t1 = q * mp.log(q / p) if q > 0 else mp.mpf(0)
    t2 = (1 - q) * mp.log((1 - q) / (1 - p)) if q < 1 else mp.mpf(0)
    return t1 + t2


def _bisect_mp(mp: Any, q: Any, c: Any, upper: bool) -> Any:
    lo, hi = (q, mp.mpf(1)) if upper else (mp.mpf(0), q)
    # enough halvings to reach the working precision relative to the root's scale
    for _ in range(mp.prec + 40):
        mid = (lo + hi) / 2
        beyond = _kl_mp(mp, q, mid) > c
        if beyond == upper:
            hi = mid
        else:
            lo = mid
    return hi if upper else lo


def kl_inv_mpmath(q: Any, c: Any, *, dps: int = 50) -> Any:
    r""":math:`\mathrm{kl}^{-1}(q, c)` (upper) as an ``mpmath.mpf`` with ``dps`` decimal digits.

    Independent of the float routine: plain bisection of :math:`\mathrm{kl}(q\|p) - c` on
    :math:`[q, 1]` in multiple precision.

    Examples
    --------
    >>> from radbound.pacbayes._symbolic import kl_inv_mpmath
    >>> import math
    >>> math.isclose(float(kl_inv_mpmath(0.0, 1.0)), 1 - math.exp(-1.0), rel_tol=1e-15)
    True
    """
    import mpmath

    with mpmath.workdps(dps):
        q, c = mpmath.mpf(q), mpmath.mpf(c)
        if c == 0:
            return +q
        if q == 1 or c == mpmath.inf:
            return mpmath.mpf(1)
        if q == 0:
            return -mpmath.expm1(-c)
        return +_bisect_mp(mpmath.mp, q, c, upper=True)


def kl_inv_lower_mpmath(q: Any, c: Any, *, dps: int = 50) -> Any:
    r""":math:`\mathrm{kl}^{-1}_{\mathrm{low}}(q, c)` as an ``mpmath.mpf`` (bisection on :math:`[0, q]`).

    Examples
    --------
    >>> from radbound.pacbayes._symbolic import kl_inv_lower_mpmath
    >>> import math
    >>> math.isclose(float(kl_inv_lower_mpmath(1.0, 2.0)), math.exp(-2.0), rel_tol=1e-15)
    True
    """
    import mpmath

    with mpmath.workdps(dps):
        q, c = mpmath.mpf(q), mpmath.mpf(c)
        if c == 0:
            return +q
        if q == 0 or c == mpmath.inf:
            return mpmath.mpf(0)
        if q == 1:
            return mpmath.exp(-c)
        return +_bisect_mp(mpmath.mp, q, c, upper=False)


@functools.lru_cache(maxsize=1)
def klinv_function() -> Any:
    r"""The sympy function class ``klinv(q, c)`` (created once; imports sympy)."""
    import mpmath
    import sympy

    class klinv(sympy.Function):  # noqa: N801 - sympy function names are lower case
        r""":math:`\mathrm{kl}^{-1}(q, c) = \sup\{p \in [q, 1] : \mathrm{kl}(q\|p) \le c\}`."""

        nargs = 2

        def _eval_evalf(self, prec: int) -> Any:
            q, c = (sympy.sympify(a).evalf(prec) for a in self.args)
            if not (q.is_Number and c.is_Number):
                return None
            dps = max(int(prec * 0.30103) + 5, 20)
            value = kl_inv_mpmath(mpmath.mpf(str(q)), mpmath.mpf(str(c)), dps=dps)
            return sympy.Float(mpmath.nstr(value, dps), dps)

        def _latex(self, printer: Any) -> str:
            q, c = (printer._print(a) for a in self.args)
            return rf"\mathrm{{kl}}^{{-1}}\left({q}, {c}\right)"

    return klinv
