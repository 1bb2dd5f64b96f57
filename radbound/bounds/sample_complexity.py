r"""Sample complexity: the n at which a bound (or its gap term) reaches a target."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_choice, check_positive
from ..results import Bound

__all__ = ["sample_complexity", "SampleComplexity", "SQRT_N_SCALING", "GRID_RATIO"]

#: ``scaling="sqrt-n"``: how the data statistics of the formulas grow with n for i.i.d. data
#: (exponent a in value * (n / n0)^a). Complexities and deviations shrink as n^{-1/2}; norms of sums
#: of n signed vectors (E_S, E_k, X_F, X_col, X_cq, S_abs) grow as n^{1/2}.
SQRT_N_SCALING: Mapping[str, float] = {
    "R_S": -0.5,
    "Delta_MC": -0.5,
    "E_S": 0.5,
    "X_F": 0.5,
    "X_col": 0.5,
    "X_cq": 0.5,
    "S_abs": 0.5,
}


@dataclass(frozen=True)
class SampleComplexity:
    """The sample size at which a bound reaches a target.

    Attributes
    ----------
    n : float
        The real solution :math:`n^\\ast` of ``expression(n) = target`` (the largest one).
    n_min : int
        The smallest integer :math:`\\ge n^\\ast` at which the expression is ``<= target``
        (checked by evaluation).
    target : float
    method : str
        ``"symbolic"`` (sympy: polynomial in :math:`\\sqrt n`, solved exactly) or ``"numeric"``
        (scipy ``brentq`` on the lambdified expression).
    part : str
        ``"value"`` or ``"gap"``.
    expression : sympy expression
        The solved expression in the symbol ``n`` (other symbols substituted).
    """

    n: float
    n_min: int
    target: float
    method: str
    part: str
    expression: Any = field(repr=False, compare=False, default=None)


def _expr_in_n(bound: Bound, part: str, scaling: Mapping[str, float]) -> tuple[Any, Any]:
    import sympy

    expr = bound.formula
    syms = {s.name: s for s in expr.free_symbols}
    if "n" not in syms:
        raise ValueError(f"bound {bound.name!r} has no symbol n in its formula")
    n_sym = syms["n"]
    n0 = float(bound.inputs["n"])
    if part == "gap":
        if "R_n" not in syms:
            raise ValueError(
                f"part='gap' needs a generalization bound (symbol R_n), got bound {bound.name!r}"
            )
        expr = expr.subs(syms["R_n"], 0)
    subs = {}
    for name, s in syms.items():
        if name == "n" or (name == "R_n" and part == "gap"):
            continue
        value = sympy.sympify(bound.inputs[name])
        a = scaling.get(name)
        if a is None and name.startswith("E_") and name[2:].isdigit() and "E_S" in scaling:
            a = scaling["E_S"]
        subs[s] = value if a is None else value * (n_sym / sympy.Float(n0)) ** sympy.Float(a)
    return expr.subs(subs), n_sym


def _symbolic_roots(expr: Any, n_sym: Any, target: float) -> list[float] | None:
    """Real roots n > 0 when expr - target is a rational function of sqrt(n) with numerator degree <= 4."""
    import sympy

    t = sympy.Symbol("t", positive=True)
    g = sympy.together(expr.subs(n_sym, t**2) - sympy.Float(target))
    num, _ = sympy.fraction(g)
    try:
        poly = sympy.Poly(sympy.expand(num), t)
    except sympy.PolynomialError:
        return None
    if poly.degree() < 1 or poly.degree() > 4 or not all(c.is_number for c in poly.all_coeffs()):
        return None
    roots = []
    for r in sympy.solve(poly.as_expr(), t):
        r = complex(sympy.N(r, 30))
        if abs(r.imag) <= 1e-12 * max(1.0, abs(r.real)) and r.real > 0:
            roots.append(r.real**2)
    return roots


#: Ratio of the geometric search grid of :func:`sample_complexity` (8 points per doubling of n).
GRID_RATIO = 2.0**0.125


def _last_crossing(f: Any, lo: float, hi: float, points: int = 65) -> tuple[float, float]:
    """Narrow a bracket ``f(lo) > 0 >= f(hi)`` to the LAST sign change on a finer geometric sub-grid."""
    sub = np.geomspace(lo, hi, points)
    vals = [f(x) for x in sub]
    i = max(k for k in range(points - 1) if vals[k] > 0)
    return float(sub[i]), float(sub[i + 1])


def sample_complexity(
    bound: Bound,
    target: float,
    *,
    part: str = "value",
    scaling: str | Mapping[str, float] | None = None,
    n_max: float = 1e15,
) -> SampleComplexity:
    r"""The sample size beyond which a Bound's formula stays below ``target``.

    The formula :math:`B(n;\theta)` is taken with every symbol other than :math:`n` fixed at the
    bound's ``inputs`` (``scaling=None``), or rescaled as :math:`\theta (n/n_0)^{a}` with the exponents
    of ``scaling`` (``"sqrt-n"`` = :data:`SQRT_N_SCALING`: complexities shrink as :math:`n^{-1/2}`,
    norms of signed sums grow as :math:`n^{1/2}`). ``part="gap"`` drops the empirical risk
    :math:`R_n` of a generalization bound (the gap term).

    The answer is the LAST crossing: :math:`B` is evaluated on the geometric grid
    :math:`n_k = 2^{k/8}`, :math:`1 \le n_k \le n_{\max}`; the last grid interval where :math:`B`
    goes from above the target to at most the target is narrowed on a finer sub-grid and refined,
    exactly by sympy when :math:`B - \text{target}` is a rational function of :math:`\sqrt n` whose
    numerator has degree at most 4 (``method="symbolic"``), else by scipy's ``brentq``
    (``method="numeric"``). So a bound that dips below the target at small :math:`n` (for example
    through a :math:`\log n` factor that vanishes at :math:`n = 1`) and rises again is not mistaken
    for one that is already below it.

    Parameters
    ----------
    bound : Bound
        Any bound with a formula containing ``n``.
    target : float
        The value to reach (> 0).
    part : {"value", "gap"}
    scaling : None, "sqrt-n" or mapping of symbol name to exponent
    n_max : float, default 1e15
        The end of the search grid; a bound still above the target there raises ``ValueError``.

    Returns
    -------
    SampleComplexity
        A small frozen dataclass (``n`` real, ``n_min`` integer, ``method``).

    Raises
    ------
    ValueError
        When the bound is above ``target`` at ``n_max`` (e.g. the target is below the limit of the
        bound as :math:`n \to \infty`, or beyond ``n_max``).

    Notes
    -----
    A computational helper: it inverts a formula, it adds no mathematics. "Stays below" is checked on
    the grid (ratio :math:`2^{1/8}`) and on the sub-grid of the last crossing (65 points); the
    formulas of the package are sums of terms :math:`c\, n^{a} (\log n)^{b}`, which cannot cross the
    target twice between neighbouring grid points unless they are within rounding of it there. With
    :math:`t = \sqrt n` such terms (without logarithms) make :math:`B - \text{target}` a rational
    function of :math:`t`; a numerator of degree :math:`\le 4` has roots in radicals (Ferrari /
    Cardano), which sympy returns exactly, then :math:`n = t^2`. Other formulas go to Brent's method
    (Brent 1973, "Algorithms for Minimization without Derivatives", as ``scipy.optimize.brentq``).
    ``n_min`` is the smallest integer :math:`\ge n^\ast` where the formula is at most the target,
    checked by evaluation, not trusted from the root.

    Examples
    --------
    >>> import math
    >>> from radbound.bounds import generalization, sample_complexity
    >>> b = generalization(0.0, 0.0, 100, delta=0.05)      # 3 sqrt(log(40) / (2n))
    >>> sc = sample_complexity(b, 0.1)
    >>> math.isclose(sc.n, 9 * math.log(40) / (2 * 0.01)), sc.method
    (True, 'symbolic')
    """
    import sympy

    if not isinstance(bound, Bound):
        raise TypeError(f"bound must be a Bound, got {type(bound).__name__}")
    target = check_positive(target, "target")
    part = check_choice(part, "part", ("value", "gap"))
    n_max = check_positive(n_max, "n_max")
    if n_max < 2.0:
        raise ValueError(f"n_max must be >= 2, got {n_max!r}")
    if scaling is None:
        scaling = {}
    elif isinstance(scaling, str):
        check_choice(scaling, "scaling", ("sqrt-n",))
        scaling = SQRT_N_SCALING
    elif not isinstance(scaling, Mapping):
        raise TypeError(
            "scaling must be None, 'sqrt-n' or a mapping of symbol name to exponent, "
            f"got {type(scaling).__name__}"
        )
    expr, n_sym = _expr_in_n(bound, part, scaling)
    f_mp = sympy.lambdify(n_sym, expr, modules="mpmath")

    def f(x: float) -> float:
        value = complex(f_mp(x))
        return value.real - target

    grid = np.geomspace(1.0, n_max, max(2, math.ceil(math.log(n_max) / math.log(GRID_RATIO)) + 1))
    values = np.array([f(x) for x in grid])
    if not np.isfinite(values).all():
        bad = grid[~np.isfinite(values)][0]
        raise ValueError(f"the {part} of bound {bound.name!r} is not finite at n = {bad:.6g}")
    if values[-1] > 0:
        raise ValueError(
            f"target={target!r} is not reached for n <= n_max={n_max:.3g}: the {part} of bound "
            f"{bound.name!r} is {values[-1] + target:.6g} there (it may never go below the target)"
        )
    above = np.flatnonzero(values > 0)
    method = "numeric"
    if above.size == 0:
        n_star = 1.0  # at most the target on the whole grid, from n = 1 on
    else:
        lo, hi = _last_crossing(f, float(grid[above[-1]]), float(grid[above[-1] + 1]))
        try:
            roots = _symbolic_roots(expr, n_sym, target)
        except (NotImplementedError, TypeError, ValueError):  # pragma: no cover - sympy edge cases
            roots = None
        inside = [r for r in roots or [] if lo * (1 - 1e-12) <= r <= hi * (1 + 1e-12)]
        if inside:
            n_star, method = max(inside), "symbolic"
        else:
            from scipy.optimize import brentq

            n_star = brentq(f, lo, hi, xtol=1e-12, rtol=1e-14, maxiter=500)
    n_min = max(1, math.ceil(n_star - 1e-9 * n_star))
    tol = 1e-12 * max(target, 1.0)
    if f(n_min) > tol:  # the root was rounded below the crossing: the next integer is beyond it
        n_min += 1
        if f(n_min) > tol:
            raise RuntimeError(  # pragma: no cover - would mean a second crossing within one unit of n
                f"the {part} of bound {bound.name!r} crosses target={target!r} more than once near "
                f"n = {n_star:.6g}; no integer sample size could be certified there"
            )
    return SampleComplexity(float(n_star), int(n_min), target, method, part, expr)
