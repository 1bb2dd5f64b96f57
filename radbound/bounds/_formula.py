r"""One formula, two readings: the number (``math``) and the symbolic expression (sympy).

Every bound of radbound is written ONCE, as a function ``terms(m, **inputs)`` of a maths namespace
``m`` that returns the named terms of the bound. Called with :data:`NUM` (floats, :mod:`math`) it
gives the values; called with the sympy namespace and a symbol per input it gives the formula, so the
two can never disagree (the unity cvxpy gets from an atom's numeric value and its canonical form).

A namespace provides ``sqrt``, ``log``, ``Max``, ``frac(a, b)`` (an exact ratio in sympy), ``prod``,
``binomial`` and ``floor``; inputs may be numbers or sequences of numbers (one symbol per entry,
``name_1, name_2, ...``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..results import Bound

__all__ = ["NUM", "sympy_namespace", "build_bound", "confidence_terms", "Terms"]

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


def _flatten(inputs: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in inputs.items():
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                out[f"{name}_{i + 1}"] = float(v)
        else:
            out[name] = float(value)
    return out


def symbols_for(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A sympy symbol for each scalar input and a list of symbols ``name_i`` for each sequence."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, (list, tuple)):
            out[name] = [_symbol(f"{name}_{i + 1}") for i in range(len(value))]
        else:
            out[name] = _symbol(name)
    return out


def build_bound(
    terms: Terms,
    inputs: Mapping[str, Any],
    *,
    literals: Mapping[str, Any] | None = None,
    combine: str = "sum",
    **bound_fields: Any,
) -> Bound:
    """Evaluate ``terms`` with :data:`NUM` and make a :class:`Bound` whose formula is the same function
    read with sympy.

    Parameters
    ----------
    terms : callable
        ``terms(m, **inputs, **literals) -> {name: term}``.
    inputs : mapping
        The bound's inputs: each becomes a symbol (a sequence becomes ``name_1, name_2, ...``) and its
        value is recorded in ``Bound.inputs``, so ``evaluate_formula()`` reproduces the value.
    literals : mapping, optional
        Arguments passed as they are to both readings (integers, choices of form, constants written
        into the formula as numbers).
    combine : {"sum", "max"}
    **bound_fields
        The other fields of :class:`~radbound.results.Bound` (reference, status, kind, name, ...).
    """
    literals = dict(literals or {})
    values = terms(NUM, **inputs, **literals)
    named = {k: float(v) for k, v in values.items()}
    total = sum(named.values()) if combine == "sum" else max(named.values())

    def formula() -> Any:
        import sympy

        parts = terms(sympy_namespace(), **symbols_for(inputs), **literals)
        exprs = [sympy.sympify(v) for v in parts.values()]
        return sympy.Add(*exprs) if combine == "sum" else sympy.Max(*exprs)

    return Bound(
        total, named, combine=combine, inputs=_flatten(inputs), formula_builder=formula, **bound_fields
    )


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
