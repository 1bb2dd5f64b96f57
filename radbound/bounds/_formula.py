r"""One formula, two readings: the number (``math``) and the symbolic expression (sympy).

Every bound of radbound is written ONCE, as a function ``terms(m, **inputs)`` of a maths namespace
``m`` that returns the named terms of the bound. Called with :data:`NUM` (floats, :mod:`math`) it
gives the values; called with the sympy namespace and a symbol per input it gives the formula, so the
two can never disagree (the unity cvxpy gets from an atom's numeric value and its canonical form).

A namespace provides ``sqrt``, ``log``, ``Max``, ``frac(a, b)`` (an exact ratio in sympy), ``prod``,
``binomial``, ``floor``, ``expected_abs_sign_sum`` (log-gamma in floats, the binomial closed form in
sympy) and ``klinv(q, c)`` (the upper inverse of the binary kl divergence of the PAC-Bayes bounds:
:func:`radbound.pacbayes.kl_inv` in floats, a sympy function evaluated by mpmath bisection); inputs
may be numbers or sequences of numbers (one symbol per entry, ``name_1, name_2, ...``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..results import Bound

__all__ = ["NUM", "Part", "sympy_namespace", "build_bound", "confidence_terms", "merge_inputs", "Terms"]

#: The type of a bound written once: ``terms(m, **inputs) -> {name: value or expression}``.
Terms = Callable[..., Mapping[str, Any]]


class _Numeric:
    """The float reading of a formula (:mod:`math`)."""

    sqrt = staticmethod(math.sqrt)
    log = staticmethod(math.log)
    floor = staticmethod(math.floor)
    pi = math.pi

    @staticmethod
    def Max(*args: float) -> float:  # noqa: N802 - the sympy name
        return max(args)

    @staticmethod
    def frac(a: int, b: int) -> float:
        return a / b

    @staticmethod
    def prod(values: Sequence[float]) -> float:
        return math.prod(values)

    @staticmethod
    def binomial(n: float, k: float) -> float:
        return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1))

    @staticmethod
    def expected_abs_sign_sum(n: float) -> float:
        """E|sum of n signs| through log-gamma (no overflow for large n)."""
        from .._concentration import expected_abs_sign_sum

        return expected_abs_sign_sum(int(round(n)))

    @staticmethod
    def klinv(q: float, c: float) -> float:
        """The upper kl-inverse (:func:`radbound.pacbayes.kl_inv`)."""
        from ..pacbayes._kl import kl_inv

        return float(kl_inv(q, c))


#: The numeric namespace.
NUM = _Numeric()


class _Symbolic:
    """The sympy reading of a formula (imports sympy on creation)."""

    def __init__(self) -> None:
        import sympy

        self._sp = sympy
        self.sqrt = sympy.sqrt
        self.log = sympy.log
        self.floor = sympy.floor
        self.Max = sympy.Max
        self.binomial = sympy.binomial
        self.pi = sympy.pi

    def frac(self, a: int, b: int) -> Any:
        return self._sp.Rational(a, b)

    def prod(self, values: Sequence[Any]) -> Any:
        return self._sp.Mul(*values)

    def expected_abs_sign_sum(self, n: Any) -> Any:
        """E|sum of n signs| = n C(n-1, floor((n-1)/2)) / 2^(n-1) (de Moivre)."""
        sp = self._sp
        return n * sp.binomial(n - 1, sp.floor((n - 1) / 2)) / 2 ** (n - 1)

    def klinv(self, q: Any, c: Any) -> Any:
        r""":math:`\mathrm{kl}^{-1}(q, c)`, a sympy function that evaluates itself with mpmath."""
        from ..pacbayes._symbolic import klinv_function

        return klinv_function()(q, c)


def sympy_namespace() -> _Symbolic:
    """The symbolic namespace (imports sympy)."""
    return _Symbolic()


#: Symbols that are positive integers (the sample size, counts of layers and classes).
_INTEGER_SYMBOLS = ("n", "L", "K", "d", "d_max")


def _symbol(name: str) -> Any:
    import sympy

    if name in _INTEGER_SYMBOLS:
        return sympy.Symbol(name, positive=True, integer=True)
    return sympy.Symbol(name, positive=True)


def _flatten(inputs: Mapping[str, Any], zero_based: tuple[str, ...] = ()) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in inputs.items():
        if isinstance(value, (list, tuple)):
            base = 0 if name in zero_based else 1
            for i, v in enumerate(value):
                out[f"{name}_{i + base}"] = float(v)
        else:
            out[name] = float(value)
    return out


def symbols_for(inputs: Mapping[str, Any], zero_based: tuple[str, ...] = ()) -> dict[str, Any]:
    """A sympy symbol for each scalar input and a list of symbols ``name_i`` for each sequence
    (``i`` from 1, or from 0 for the names in ``zero_based``)."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, (list, tuple)):
            base = 0 if name in zero_based else 1
            out[name] = [_symbol(f"{name}_{i + base}") for i in range(len(value))]
        else:
            out[name] = _symbol(name)
    return out


@dataclass(frozen=True)
class Part:
    """A sub-formula entering another formula: its value, the values of its symbols, its sympy builder."""

    value: float
    inputs: Mapping[str, float]
    builder: Callable[[], Any]

    @classmethod
    def symbol(cls, name: str, value: float) -> Part:
        """A part that is a bare symbol ``name`` with value ``value``."""
        return cls(float(value), {name: float(value)}, lambda: _symbol(name))

    @classmethod
    def of(cls, bound: Bound, fallback: str = "R_S") -> Part:
        """The formula of ``bound`` (or a bare symbol ``fallback`` when it has none)."""
        if bound.formula_builder is None:
            return cls.symbol(fallback, bound.value)
        return cls(bound.value, dict(bound.inputs), bound.formula_builder)


def merge_inputs(*mappings: Mapping[str, float]) -> dict[str, float]:
    """Merge symbol values, refusing a symbol with two different values."""
    out: dict[str, float] = {}
    for mapping in mappings:
        for key, value in mapping.items():
            value = float(value)
            if key in out and not math.isclose(out[key], value, rel_tol=1e-12, abs_tol=0.0):
                raise ValueError(
                    f"symbol {key!r} has two different values ({out[key]!r} and {value!r}) in chained bounds"
                )
            out[key] = value
    return out


#: The parameter of the public functions that each formula symbol comes from (symbols computed from the
#: data, such as norms of X, are reported as coming from X).
SYMBOL_PARAMETERS = {
    "W": "radius",
    "gamma": "margin",
    "delta": "delta",
    "eps": "eps",
    "n": "n",
    "c": "c",
    "C": "leading_constant",
    "K": "n_classes",
    "d": "the dimension of X",
    "B": "X or loss_range",
    "lambda": "lam",
    "KL": "kl",
    "R_S": "empirical_risk",
    "Y_m": "empirical_risk",
    "m": "n_draws",
    "delta_mc": "delta_mc",
    "J": "n_grid",
}


def _beyond_float_range(name: str, inputs: Mapping[str, Any], parts: Mapping[str, Part], cause: str) -> None:
    """Raise the OverflowError of a bound whose value leaves the float range, naming the inputs at
    the extremes of the range (by the parameter they come from) as the cause."""
    flat = merge_inputs(*(p.inputs for p in parts.values()), _flatten(inputs))
    extreme = []
    for key, value in flat.items():
        if not math.isfinite(value) or abs(value) > 1e100 or 0.0 < abs(value) < 1e-100:
            base = key.split("_")[0]
            origin = SYMBOL_PARAMETERS.get(key, SYMBOL_PARAMETERS.get(base, "X"))
            extreme.append(f"{key} = {value:.3g} (from {origin})")
    which = "; ".join(extreme) if extreme else "no single input is extreme; their combination is"
    raise OverflowError(
        f"bound {name!r} is beyond the float range ({cause}): inputs too large or too small: {which}"
    )


def build_bound(
    terms: Terms,
    inputs: Mapping[str, Any],
    *,
    literals: Mapping[str, Any] | None = None,
    parts: Mapping[str, Part] | None = None,
    combine: str = "sum",
    zero_based: tuple[str, ...] = (),
    **bound_fields: Any,
) -> Bound:
    """Evaluate ``terms`` with :data:`NUM` and make a :class:`Bound` whose formula is the same function
    read with sympy.

    Parameters
    ----------
    terms : callable
        ``terms(m, **inputs, **literals, **parts) -> {name: term}``.
    inputs : mapping
        The bound's inputs: each becomes a symbol (a sequence becomes ``name_1, name_2, ...``) and its
        value is recorded in ``Bound.inputs``, so ``evaluate_formula()`` reproduces the value.
    literals : mapping, optional
        Arguments passed as they are to both readings (integers, choices of form, constants written
        into the formula as numbers).
    parts : mapping of Part, optional
        Sub-formulas (for example the complexity bound a generalization bound is built on): their
        value in the numeric reading, their own formula in the symbolic one; their inputs join
        ``Bound.inputs`` (a symbol with two different values is an error).
    combine : {"sum", "max"}
    zero_based : tuple of str
        Sequence inputs whose symbols count from 0 (``E_0, E_1, ...`` for classes 0..K-1).
    **bound_fields
        The other fields of :class:`~radbound.results.Bound` (reference, status, kind, name, ...).
    """
    literals = dict(literals or {})
    parts = dict(parts or {})
    try:
        values = terms(NUM, **inputs, **literals, **{k: p.value for k, p in parts.items()})
        named = {k: float(v) for k, v in values.items()}
        total = sum(named.values()) if combine == "sum" else max(named.values())
    except (OverflowError, ZeroDivisionError) as exc:
        _beyond_float_range(bound_fields.get("name", ""), inputs, parts, str(exc))
    except ValueError as exc:
        if "math domain error" not in str(exc):
            raise
        _beyond_float_range(bound_fields.get("name", ""), inputs, parts, str(exc))
    if not all(math.isfinite(v) for v in named.values()) or not math.isfinite(total):
        bad = ", ".join(f"{k} = {v!r}" for k, v in named.items() if not math.isfinite(v))
        _beyond_float_range(bound_fields.get("name", ""), inputs, parts, bad)

    def formula() -> Any:
        import sympy

        subs = {k: p.builder() for k, p in parts.items()}
        out = terms(sympy_namespace(), **symbols_for(inputs, zero_based), **literals, **subs)
        exprs = [sympy.sympify(v) for v in out.values()]
        return sympy.Add(*exprs) if combine == "sum" else sympy.Max(*exprs)

    all_inputs = merge_inputs(*(p.inputs for p in parts.values()), _flatten(inputs, zero_based))
    return Bound(total, named, combine=combine, inputs=all_inputs, formula_builder=formula, **bound_fields)


def confidence_terms(
    m: Any, *, B: Any, n: Any, delta: Any, P: Any = None, log_arg: Any = 2
) -> dict[str, Any]:
    r"""The confidence term :math:`3B\sqrt{\log(a/\delta)/(2n)}` of a uniform-convergence bound and,
    when a post-hoc log price :math:`P` is paid (union bound over a grid), the named extra term

    .. math::
        3B\sqrt{\frac{\log(a/\delta) + P}{2n}} - 3B\sqrt{\frac{\log(a/\delta)}{2n}} ,

    so that the two add up to the confidence term at :math:`\delta e^{-P}` (:ref:`theory-post-hoc`).
    ``log_arg`` is :math:`a` (2, or 4 when half of :math:`\delta` goes to a Monte-Carlo deviation).
    """
    base = 3 * B * m.sqrt(m.log(log_arg / delta) / (2 * n))
    out = {"confidence": base}
    if P is not None:
        out["post-hoc price"] = 3 * B * m.sqrt((m.log(log_arg / delta) + P) / (2 * n)) - base
    return out
