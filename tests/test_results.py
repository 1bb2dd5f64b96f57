"""The result objects: Estimate and Bound contracts."""

import dataclasses
import math

import pytest

from radbound.results import AdversarialEstimate, Bound, Estimate, MulticlassEstimate


def test_estimate_is_frozen_and_readable():
    e = Estimate(0.25, 0.0, "exact", 16)
    assert e.is_exact and float(e) == 0.25
    assert "exact over 16 sign vectors" in repr(e)
    with pytest.raises(AttributeError):
        e.value = 1.0  # type: ignore[misc]


def test_estimate_monte_carlo_repr_shows_interval():
    e = Estimate(0.5, 0.01, "monte-carlo", 1000, interval=(0.4, 0.6), delta=0.05, antithetic=True)
    r = repr(e)
    assert "± 0.01" in r and "95% interval [0.4, 0.6]" in r and "antithetic" in r
    assert not e.is_exact


def test_typed_estimates_are_frozen_and_have_no_string_keyed_details():
    e = AdversarialEstimate(1.0, 0.0, "exact", 2, natural=0.5, mean_abs_s=1.0, dim_factor=2.0)
    assert e.natural == 0.5 and isinstance(e, Estimate) and not hasattr(e, "details")
    assert repr(e).startswith("AdversarialEstimate(")
    with pytest.raises(AttributeError):
        e.natural = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):  # the typed fields are required keywords
        AdversarialEstimate(1.0, 0.0, "exact", 2, natural=0.5)  # type: ignore[call-arg]
    m = MulticlassEstimate(1.0, 0.0, "exact", 4, per_class=[1, 2], full=3, class_sizes=[1, 1], p=2, radius=1)
    assert m.per_class == (1.0, 2.0) and m.class_sizes == (1, 1) and m.n_classes == 2
    assert {f.name for f in dataclasses.fields(Estimate)} == {
        "value",
        "stderr",
        "method",
        "n_draws",
        "interval",
        "delta",
        "antithetic",
    }


def test_half_width_one_and_two_sided_against_mcdiarmid():
    """h at delta_e rescales as sqrt(log(k/delta)/log(2/delta_e)) (same variance proxy V)."""
    V = 0.01
    h = math.sqrt(V * math.log(2 / 0.1))  # two-sided at delta_e = 0.1
    e = Estimate(0.5, 0.01, "monte-carlo", 100, interval=(0.5 - h, 0.5 + h), delta=0.1)
    assert math.isclose(e.half_width(), h, rel_tol=1e-12)
    assert math.isclose(e.half_width(0.01), math.sqrt(V * math.log(2 / 0.01)), rel_tol=1e-12)
    assert math.isclose(e.half_width(0.01, two_sided=False), math.sqrt(V * math.log(1 / 0.01)), rel_tol=1e-12)
    assert Estimate(0.5, 0.0, "exact", 4).half_width(0.01) == 0.0
    with pytest.raises(ValueError, match="no McDiarmid interval"):
        Estimate(0.5, 0.01, "monte-carlo", 100).half_width()
    with pytest.raises(ValueError, match=r"delta must be in \(0, 1\)"):
        e.half_width(1.5)


def test_bound_terms_must_combine_to_value():
    with pytest.raises(ValueError, match="terms must combine"):
        Bound(1.0, {"a": 0.3, "b": 0.3})
    b = Bound(0.6, {"a": 0.3, "b": 0.6}, combine="max", kind="lower")
    assert b.value == 0.6 and "max(" in repr(b)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"combine": "product"}, "combine must be"),
        ({"status": "folklore"}, "status must be"),
        ({"kind": "sideways"}, "kind must be"),
    ],
)
def test_bound_rejects_bad_labels(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Bound(1.0, {"a": 1.0}, **kwargs)


def test_bound_rejects_non_finite_value():
    with pytest.raises(ValueError, match="value must be finite"):
        Bound(math.inf, {})


def test_bound_formula_substitution_and_latex():
    def formula():
        import sympy

        R, eps, n = sympy.symbols("R_S epsilon n", positive=True)
        return R + eps / sympy.sqrt(n)

    b = Bound(
        0.1 + 0.5 / 10,
        {"complexity": 0.1, "adversarial": 0.05},
        inputs={"R_S": 0.1, "epsilon": 0.5, "n": 100},
        formula_builder=formula,
        reference="test",
    )
    assert math.isclose(b.evaluate_formula(), b.value, rel_tol=1e-12)
    assert b.latex() == r"R_{S} + \frac{\epsilon}{\sqrt{n}}"
    assert repr(b) == "Bound(0.15 = complexity 0.1 + adversarial 0.05; test)"


def test_bound_without_formula_says_so():
    with pytest.raises(AttributeError, match="no symbolic formula"):
        Bound(1.0, {"a": 1.0}, name="plain").formula
