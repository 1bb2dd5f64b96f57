"""Binary linear bounds (docs/theory/binary_linear.md): sandwich, sharp forms, l_r factor, closed forms."""

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import radbound as rb
from radbound._lp import dual_exponent
from radbound.bounds import (
    adversarial_linear_lower_bound,
    adversarial_linear_sandwich,
    adversarial_linear_upper_bound,
    dimension_factor,
    expected_abs_sign_sum,
    linear_rademacher_bound,
    linear_rademacher_lower_bound,
)

P_VALUES = [1.0, 1.5, 2.0, 3.0, math.inf]
REL = 1e-9  # float64 rounding of sums of at most 2^9 terms, with margin


def _attack_norms(p):
    """Supported (p, r) pairs of the exact estimator: r = inf (any p) and r* = p (r = q)."""
    return sorted({math.inf, dual_exponent(p)})


def _leq(a, b):
    return a <= b + REL * max(1.0, abs(b))


@pytest.mark.parametrize("n", range(1, 13))
def test_expected_abs_sign_sum_matches_enumeration(n):
    signs = np.array(list(itertools.product([-1, 1], repeat=n)))
    assert math.isclose(expected_abs_sign_sum(n), np.abs(signs.sum(axis=1)).mean(), rel_tol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 7, 100, 10_001])
def test_expected_abs_sign_sum_khintchine_range(n):
    v = expected_abs_sign_sum(n)
    assert math.sqrt(n / 2) - 1e-12 <= v <= math.sqrt(n) + 1e-12


@pytest.mark.parametrize(
    "d, p, r, expected",
    [
        (4, 2, math.inf, 2.0),  # ||w||_1 <= sqrt(d) ||w||_2
        (4, 1, math.inf, 1.0),  # ||w||_1 on the l1 ball
        (4, math.inf, math.inf, 4.0),  # ||w||_1 <= d ||w||_inf
        (9, math.inf, 2, 3.0),  # ||w||_2 <= sqrt(d) ||w||_inf
        (9, 2, 2, 1.0),  # r* = p: no dimension factor
        (8, 2, 1, 1.0),  # ||w||_inf <= ||w||_2
    ],
)
def test_dimension_factor_is_the_largest_dual_norm(d, p, r, expected):
    assert math.isclose(dimension_factor(d, p, r), expected)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    n=st.integers(1, 9),
    d=st.integers(1, 4),
    eps=st.floats(0, 2),
    radius=st.floats(0.1, 3),
    p=st.sampled_from(P_VALUES),
    use_dual_attack=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_exact_value_is_sandwiched(n, d, eps, radius, p, use_dual_attack, seed):
    """lower <= exact <= upper for every form, p and supported attack norm (exact enumeration)."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.choice([-1.0, 1.0], size=n)
    r = dual_exponent(p) if use_dual_attack else math.inf
    s = adversarial_linear_sandwich(X, y, eps=eps, p=p, radius=radius, attack_norm=r, method="exact")
    exact = s.estimate.value
    kw = {"eps": eps, "p": p, "radius": radius, "attack_norm": r}
    nat = rb.linear_rademacher(X, p=p, radius=radius, method="exact")
    uppers = [
        adversarial_linear_upper_bound(X, form=f, complexity=nat, **kw) for f in ("sharp", "sharp-sqrt")
    ]
    uppers.append(adversarial_linear_upper_bound(X, form="paper", complexity=nat, **kw))
    uppers.append(adversarial_linear_upper_bound(X, form="sharp", complexity="closed-form", **kw))
    lowers = [adversarial_linear_lower_bound(X, form=f, complexity=nat, **kw) for f in ("paper", "sharp")]
    lowers.append(adversarial_linear_lower_bound(X, form="sharp", complexity="closed-form", **kw))
    assert s.holds
    for b in uppers:
        assert _leq(exact, b.value), b
    for b in lowers:
        assert _leq(b.value, exact), b
    # the chain of the derived forms: sharp <= sharp-sqrt <= paper, and the paper lower <= the sharp lower
    assert _leq(uppers[0].value, uppers[1].value) and _leq(uppers[1].value, uppers[2].value)
    assert _leq(lowers[0].value, lowers[1].value)
    # eps = 0 limit, and the natural value is always below
    assert _leq(nat.value, exact)


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("antithetic_seed", [0, 1])
def test_sandwich_holds_exactly_on_antithetic_monte_carlo_draws(p, antithetic_seed):
    """With antithetic pairs the sharp sandwich holds for the MC values themselves (binary_linear.md)."""
    rng = np.random.default_rng(10 + antithetic_seed)
    X, y = rng.normal(size=(40, 6)), rng.choice([-1.0, 1.0], size=40)
    s = adversarial_linear_sandwich(
        X, y, eps=0.5, p=p, method="monte-carlo", n_draws=64, seed=antithetic_seed, form="sharp"
    )
    assert not s.estimate.is_exact and s.estimate.antithetic
    assert s.holds, (s.lower.value, s.estimate.value, s.upper.value)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(n=st.integers(1, 10), d=st.integers(1, 6), p=st.sampled_from(P_VALUES), seed=st.integers(0, 2**16))
def test_closed_form_natural_bounds_bracket_the_exact_value(n, d, p, seed):
    X = np.random.default_rng(seed).normal(size=(n, d))
    exact = rb.linear_rademacher(X, p=p, radius=1.5, method="exact").value
    forms = ["frobenius", "max-row"] + (["massart"] if p == 1.0 else [])
    for form in forms:
        assert _leq(exact, linear_rademacher_bound(X, p=p, radius=1.5, form=form).value), form
    assert _leq(
        linear_rademacher_bound(X, p=p, radius=1.5, form="frobenius").value,
        linear_rademacher_bound(X, p=p, radius=1.5, form="max-row").value,
    )
    assert _leq(linear_rademacher_lower_bound(X, p=p, radius=1.5).value, exact)


def _all_bounds():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(7, 3)), rng.choice([-1.0, 1.0], size=7)
    exact = rb.adversarial_linear_rademacher(X, y, eps=0.2, p=2, method="exact")
    mc = rb.adversarial_linear_rademacher(X, y, eps=0.2, p=2, method="monte-carlo", n_draws=40, seed=0)
    out = []
    for p, r in [(2.0, math.inf), (1.0, math.inf), (math.inf, math.inf), (3.0, 1.5), (2.0, 2.0)]:
        kw = {"eps": 0.2, "p": p, "attack_norm": r}
        for comp in ("exact", "closed-form"):
            for form in ("paper", "sharp", "sharp-sqrt"):
                out.append(adversarial_linear_upper_bound(X, form=form, complexity=comp, **kw))
            for form in ("paper", "sharp"):
                out.append(adversarial_linear_lower_bound(X, form=form, complexity=comp, **kw))
    for est in (exact, mc):
        for form in ("paper", "sharp"):
            out.append(adversarial_linear_upper_bound(X, eps=0.2, p=2, form=form, complexity=est))
            out.append(adversarial_linear_lower_bound(X, eps=0.2, p=2, form=form, complexity=est))
    for form in ("massart", "frobenius", "max-row", "auto"):
        out.append(linear_rademacher_bound(X, p=1, form=form))
    out.append(linear_rademacher_lower_bound(X, p=3))
    return out


def test_formula_reproduces_value_for_every_bound():
    bounds = _all_bounds()
    assert len(bounds) > 50
    for b in bounds:
        assert math.isclose(b.evaluate_formula(), b.value, rel_tol=1e-9), (
            b.name,
            b.evaluate_formula(),
            b.value,
        )


def test_latex_of_the_paper_upper_bound():
    X = np.eye(4)
    b = adversarial_linear_upper_bound(X, eps=0.1, complexity="exact")
    assert b.latex() == r"R_{S} + \frac{W d^{\frac{1}{q}} \epsilon}{\sqrt{n}}"


def test_statuses_follow_theory_md():
    X = np.random.default_rng(0).normal(size=(6, 3))
    kw = {"eps": 0.1, "complexity": "exact"}
    assert adversarial_linear_upper_bound(X, form="paper", **kw).status == "paper"
    assert adversarial_linear_upper_bound(X, form="paper", attack_norm=2, **kw).status == "derived"
    assert adversarial_linear_upper_bound(X, form="sharp", **kw).status == "derived"
    assert adversarial_linear_lower_bound(X, form="paper", **kw).status == "derived"  # c is derived
    with pytest.warns(UserWarning, match="exceeds the proved constant"):
        b = adversarial_linear_lower_bound(X, form="paper", c=0.9, **kw)
    assert b.status == "unverified"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adversarial_linear_lower_bound(X, form="paper", c=0.1, **kw)


def test_paper_constant_is_valid_and_the_paper_upper_is_looser():
    """c = 1/(2 sqrt 2): the paper lower term never exceeds the sharp one (E|s| >= sqrt(n/2))."""
    for n in (1, 2, 3, 10, 101):
        X = np.ones((n, 1))
        a = adversarial_linear_lower_bound(X, eps=1.0, form="paper", complexity="closed-form")
        b = adversarial_linear_lower_bound(X, eps=1.0, form="sharp", complexity="closed-form")
        assert a.terms["adversarial term"] <= b.terms["adversarial term"] * (1 + 1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"eps": -0.1}, "eps must be finite and >= 0"),
        ({"eps": 0.1, "p": 0.5}, "p must be in"),
        ({"eps": 0.1, "attack_norm": 0.0}, "attack_norm must be in"),
        ({"eps": 0.1, "radius": -1.0}, "radius must be"),
        ({"eps": 0.1, "form": "tight"}, "form must be one of"),
        ({"eps": 0.1, "complexity": "guess"}, "complexity must be one of"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        adversarial_linear_upper_bound(np.eye(3), **kwargs)


def test_lower_bound_rejects_an_upper_complexity_bound():
    X = np.eye(3)
    with pytest.raises(ValueError, match="lower Bound"):
        adversarial_linear_lower_bound(X, eps=0.1, complexity=linear_rademacher_bound(X))
    with pytest.raises(ValueError, match="form='massart' needs p == 1"):
        linear_rademacher_bound(X, p=2, form="massart")
