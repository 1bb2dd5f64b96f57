"""Linear classes: closed forms, enumeration with an independent cvxpy supremum, limits, sandwich."""

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import radbound as rb
from radbound._concentration import expected_abs_sign_sum

P_VALUES = [1.0, 1.5, 2.0, 3.0, math.inf]


def dual(p):
    return math.inf if p == 1 else (1.0 if math.isinf(p) else p / (p - 1))


def all_signs(n):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=n)))


def sandwich_ok(est, n, radius, eps, tol=1e-12):
    """docs/theory/binary_linear.md on the SAME sign vectors: max(R, a) <= R~ <= R + a.

    Here a = eps W kappa mean|s| / (2n).
    """
    a = eps * radius * est.dim_factor * est.mean_abs_s / (2 * n)
    slack = tol * (1 + abs(est.value))
    return max(est.natural, a) <= est.value + slack and est.value <= est.natural + a + slack


# ---------------------------------------------------------------- independent suprema
def cvxpy_sup(u, lam, p, rstar, radius):
    """max <w,u> - lam ||w||_{r*} over ||w||_p <= W, for lam >= 0 (a concave program)."""
    import cvxpy as cp

    w = cp.Variable(u.size)
    prob = cp.Problem(cp.Maximize(u @ w - lam * cp.norm(w, rstar)), [cp.norm(w, p) <= radius])
    prob.solve(solver=cp.CLARABEL)
    assert prob.status == cp.OPTIMAL, prob.status
    wv = w.value
    # recompute the objective at the returned (feasible up to solver tolerance) point
    return float(u @ wv - lam * np.linalg.norm(wv, rstar)), np.linalg.norm(wv, p)


def sphere_grid_sup(u, lam, p, rstar, radius, m=200_001):
    """max over a fine grid of the l_p sphere in d = 2 (for lam < 0 the max of a convex function is on it)."""
    th = np.concatenate([np.linspace(0, 2 * np.pi, m), np.arange(8) * np.pi / 4])
    V = np.stack([np.cos(th), np.sin(th)], axis=1)
    V = np.concatenate([V, np.array([[1, 1], [1, -1], [-1, 1], [-1, -1], [1, 0], [0, 1], [-1, 0], [0, -1]])])
    W = radius * V / np.linalg.norm(V, ord=p, axis=1)[:, None]
    return float(np.max(W @ u - lam * np.linalg.norm(W, ord=rstar, axis=1)))


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("attack", ["inf", "dual"])
def test_exact_matches_enumeration_with_an_independent_supremum(p, attack):
    """Average over the 16 sign vectors of sup_w (1/n) sum_i sigma_i (y_i<w,x_i> - eps ||w||_{r*})."""
    rng = np.random.default_rng(int(10 * min(p, 9)) + (attack == "dual"))
    n, d, eps, radius = 4, 2, 0.3, 1.7
    X = rng.standard_normal((n, d))
    y = rng.choice([-1.0, 1.0], size=n)
    r = math.inf if attack == "inf" else dual(p)
    rstar = dual(r)
    vals = []
    for sigma in all_signs(n):
        u, lam = (sigma * y) @ X, eps * sigma.sum()
        if lam >= 0:
            v, wnorm = cvxpy_sup(u, lam, p, rstar, radius)
            assert wnorm <= radius * (1 + 1e-6)
        else:
            v = sphere_grid_sup(u, lam, p, rstar, radius)
        vals.append(v)
    ref = np.mean(vals) / n
    est = rb.adversarial_linear_rademacher(X, y, eps=eps, p=p, radius=radius, attack_norm=r, method="exact")
    # cvxpy (Clarabel) solves to ~1e-8; the grid's error is O(h^2) ~ 1e-9 away from the included vertices
    assert abs(est.value - ref) <= 1e-6 * (1 + abs(ref))
    nat = np.mean([radius * np.linalg.norm(sigma @ X, ord=dual(p)) for sigma in all_signs(n)]) / n
    assert math.isclose(est.natural, nat, rel_tol=1e-13)
    assert math.isclose(rb.linear_rademacher(X, p=p, radius=radius, method="exact").value, nat, rel_tol=1e-13)


@pytest.mark.parametrize("p", P_VALUES)
def test_inner_supremum_against_cvxpy_in_three_dimensions(p):
    """The closed form W ||(|u| - lam)_+||_q (lam >= 0) versus cvxpy, d = 3."""
    rng = np.random.default_rng(7)
    q = dual(p)
    for lam in (0.0, 0.2, 0.9):
        u = rng.standard_normal(3)
        ref, _ = cvxpy_sup(u, lam, p, 1.0, 1.3)
        closed = 1.3 * np.linalg.norm(np.maximum(np.abs(u) - lam, 0), ord=q)
        assert abs(closed - ref) <= 1e-6 * (1 + abs(ref))


# ---------------------------------------------------------------- closed forms
def test_closed_forms_on_the_identity():
    X = np.eye(2)
    assert math.isclose(rb.linear_rademacher(X, method="exact").value, math.sqrt(2) / 2, rel_tol=1e-15)
    assert math.isclose(rb.linear_rademacher(X, p=1, method="exact").value, 0.5, rel_tol=1e-15)
    assert math.isclose(rb.linear_rademacher(X, p=math.inf, method="exact").value, 1.0, rel_tol=1e-15)


@pytest.mark.parametrize("p", P_VALUES)
def test_single_point_is_its_dual_norm(p):
    x = np.array([[3.0, -4.0, 1.0]])
    est = rb.linear_rademacher(x, p=p, radius=2.0, method="exact")
    assert math.isclose(est.value, 2.0 * np.linalg.norm(x[0], ord=dual(p)), rel_tol=1e-15)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
def test_repeated_rows_give_mean_abs_s_times_norm(p):
    """All rows equal x: u = s x, so R = W ||x||_q E|s| / n. Exercises the Gram guard (s = 0 cancels)."""
    n = 13
    x = np.array([0.1, -0.7, 0.3])
    est = rb.linear_rademacher(np.tile(x, (n, 1)), p=p, method="exact")
    assert math.isclose(
        est.value, np.linalg.norm(x, ord=dual(p)) * expected_abs_sign_sum(n) / n, rel_tol=1e-12
    )
    # rows x and -x alternate: u = (number of + minus number of -) x, same law
    X = np.array([x if i % 2 else -x for i in range(n)])
    est = rb.linear_rademacher(X, p=p, method="exact")
    assert math.isclose(
        est.value, np.linalg.norm(x, ord=dual(p)) * expected_abs_sign_sum(n) / n, rel_tol=1e-12
    )


def test_exact_mean_abs_s_is_the_closed_form():
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 12):
        X, y = rng.standard_normal((n, 3)), rng.choice([-1.0, 1.0], size=n)
        for eps in (0.0, 0.4):
            est = rb.adversarial_linear_rademacher(X, y, eps=eps, method="exact")
            assert math.isclose(est.mean_abs_s, expected_abs_sign_sum(n), rel_tol=1e-13)


# ---------------------------------------------------------------- limits and invariances
@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("method", ["exact", "monte-carlo", "iid"])
def test_eps_zero_is_exactly_the_natural_complexity(p, method):
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((9, 6)), rng.choice([-1.0, 1.0], size=9)
    kw = (
        dict(method=method, n_draws=400, seed=8)
        if method != "iid"
        else dict(method="monte-carlo", n_draws=400, seed=8, antithetic=False)
    )
    if method == "exact":
        kw = dict(method="exact")
    nat = rb.linear_rademacher(X, p=p, radius=1.5, **kw)
    for r in {math.inf, dual(p)}:
        adv = rb.adversarial_linear_rademacher(X, y, eps=0.0, p=p, radius=1.5, attack_norm=r, **kw)
        assert adv.value == nat.value and adv.stderr == nat.stderr
        assert adv.natural == nat.value


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_radius_scales_linearly(p):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((8, 4)), rng.choice([-1.0, 1.0], size=8)
    one = rb.adversarial_linear_rademacher(X, y, eps=0.2, p=p, method="exact")
    three = rb.adversarial_linear_rademacher(X, y, eps=0.2, p=p, radius=3.0, method="exact")
    assert math.isclose(three.value, 3 * one.value, rel_tol=1e-14)
    assert math.isclose(three.natural, 3 * one.natural, rel_tol=1e-14)
    mc1 = rb.linear_rademacher(X, p=p, method="monte-carlo", n_draws=100, seed=1)
    mc3 = rb.linear_rademacher(X, p=p, radius=3.0, method="monte-carlo", n_draws=100, seed=1)
    assert math.isclose(mc3.value, 3 * mc1.value, rel_tol=1e-14)
    assert math.isclose(mc3.stderr, 3 * mc1.stderr, rel_tol=1e-12)


@pytest.mark.parametrize("p", P_VALUES)
def test_zero_rows_scale_by_n_over_n_plus_k(p):
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((7, 5)), rng.choice([-1.0, 1.0], size=7)
    base = rb.linear_rademacher(X, p=p, method="exact").value
    for k in (1, 4):
        Xp = np.vstack([X, np.zeros((k, 5))])
        padded = rb.linear_rademacher(Xp, p=p, method="exact").value
        assert math.isclose(padded, base * 7 / (7 + k), rel_tol=1e-13)
        adv0 = rb.adversarial_linear_rademacher(Xp, np.r_[y, np.ones(k)], eps=0.0, p=p, method="exact").value
        assert math.isclose(adv0, base * 7 / (7 + k), rel_tol=1e-13)


# ---------------------------------------------------------------- Monte Carlo and the sandwich
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("antithetic", [True, False])
def test_monte_carlo_within_four_standard_errors(p, antithetic):
    rng = np.random.default_rng(9)
    X, y = rng.standard_normal((14, 6)), rng.choice([-1.0, 1.0], size=14)
    kw = dict(method="monte-carlo", n_draws=4000, seed=10, antithetic=antithetic)
    for exact, mc in (
        (rb.linear_rademacher(X, p=p, method="exact"), rb.linear_rademacher(X, p=p, **kw)),
        (
            rb.adversarial_linear_rademacher(X, y, eps=0.25, p=p, method="exact"),
            rb.adversarial_linear_rademacher(X, y, eps=0.25, p=p, **kw),
        ),
    ):
        assert abs(mc.value - exact.value) < 4 * mc.stderr
        assert mc.interval[0] <= exact.value <= mc.interval[1]


def test_monte_carlo_does_not_depend_on_chunk_size():
    rng = np.random.default_rng(12)
    X, y = rng.standard_normal((40, 7)), rng.choice([-1.0, 1.0], size=40)
    kw = dict(eps=0.1, method="monte-carlo", n_draws=300, seed=3, antithetic=False)
    ref = rb.adversarial_linear_rademacher(X, y, **kw)
    other = rb.adversarial_linear_rademacher(X, y, chunk_size=16, **kw)
    assert math.isclose(other.value, ref.value, rel_tol=1e-13)
    assert other.mean_abs_s == ref.mean_abs_s


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("attack", ["inf", "dual"])
def test_sandwich_holds_exactly_on_antithetic_draws(p, attack):
    rng = np.random.default_rng(13)
    n = 60
    X, y = rng.uniform(0, 1, (n, 10)), rng.choice([-1.0, 1.0], size=n)
    r = math.inf if attack == "inf" else dual(p)
    for eps in (0.01, 0.3, 5.0):
        for seed in range(3):
            est = rb.adversarial_linear_rademacher(
                X, y, eps=eps, p=p, attack_norm=r, radius=2.0, method="monte-carlo", n_draws=100, seed=seed
            )
            assert sandwich_ok(est, n, 2.0, eps)
    exact = rb.adversarial_linear_rademacher(X[:10], y[:10], eps=0.3, p=p, attack_norm=r, method="exact")
    assert sandwich_ok(exact, 10, 1.0, 0.3)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    n=st.integers(1, 9),
    d=st.integers(1, 5),
    eps=st.floats(0, 2),
    p=st.sampled_from(P_VALUES),
    seed=st.integers(0, 2**16),
)
def test_properties_of_the_exact_adversarial_complexity(n, d, eps, p, seed):
    """Sandwich; monotone in eps; invariant under y -> -y and under permutations of the sample."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.choice([-1.0, 1.0], size=n)
    est = rb.adversarial_linear_rademacher(X, y, eps=eps, p=p, method="exact")
    assert sandwich_ok(est, n, 1.0, eps)
    more = rb.adversarial_linear_rademacher(X, y, eps=eps + 0.1, p=p, method="exact")
    assert more.value >= est.value - 1e-12 * (1 + est.value)
    flipped = rb.adversarial_linear_rademacher(X, -y, eps=eps, p=p, method="exact")
    assert math.isclose(flipped.value, est.value, rel_tol=1e-12, abs_tol=1e-14)
    perm = rng.permutation(n)
    permuted = rb.adversarial_linear_rademacher(X[perm], y[perm], eps=eps, p=p, method="exact")
    assert math.isclose(permuted.value, est.value, rel_tol=1e-12, abs_tol=1e-14)


def test_structured_exact_equals_the_plain_engine():
    """The structured enumeration (blocks, symmetry, Gram) equals the generic engine on the same oracle."""
    rng = np.random.default_rng(14)
    n = 15
    X, y = rng.standard_normal((n, 40)), rng.choice([-1.0, 1.0], size=n)

    def sup_adv(signs):
        u, s = signs @ (y[:, None] * X), signs.sum(axis=1)
        return np.linalg.norm(np.maximum(np.abs(u) - 0.05 * s[:, None], 0), axis=1)

    plain = rb.empirical_rademacher(sup_adv, n, method="exact").value
    assert math.isclose(
        rb.adversarial_linear_rademacher(X, y, eps=0.05, method="exact").value, plain, rel_tol=1e-12
    )
    plain = rb.empirical_rademacher(lambda s: np.linalg.norm(s @ X, axis=1), n, method="exact").value
    assert math.isclose(rb.linear_rademacher(X, method="exact").value, plain, rel_tol=1e-12)


# ---------------------------------------------------------------- bad input and light imports
def test_unsupported_attack_pair_names_the_supported_ones():
    X, y = np.eye(3), np.array([1.0, -1.0, 1.0])
    with pytest.raises(
        NotImplementedError, match=r"attack_norm=inf for every p.*dual exponent.*radbound.bounds"
    ):
        rb.adversarial_linear_rademacher(X, y, eps=0.1, p=2, attack_norm=1)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: rb.linear_rademacher(np.ones(3)), ValueError, r"X must be 2-D"),
        (lambda: rb.linear_rademacher(np.array([[1.0, np.nan]])), ValueError, r"X must contain only finite"),
        (lambda: rb.linear_rademacher("abc"), TypeError, r"X must be a 2-D array"),
        (lambda: rb.linear_rademacher(np.eye(2), p=0.5), ValueError, r"p must be in \[1, inf\], got 0.5"),
        (
            lambda: rb.linear_rademacher(np.eye(2), radius=0),
            ValueError,
            r"radius must be finite and > 0, got 0.0",
        ),
        (lambda: rb.linear_rademacher(np.eye(2), method="fast"), ValueError, r"method must be one of"),
        (
            lambda: rb.linear_rademacher(np.eye(2), method="monte-carlo", n_draws=1),
            ValueError,
            r"n_draws must be",
        ),
        (
            lambda: rb.linear_rademacher(np.ones((31, 2)), method="exact"),
            ValueError,
            r"2\*\*31 .*monte-carlo",
        ),
        (
            lambda: rb.adversarial_linear_rademacher(np.eye(2), [1, 1, 1], eps=0.1),
            ValueError,
            r"y must have length",
        ),
        (
            lambda: rb.adversarial_linear_rademacher(np.eye(2), [1, 0], eps=0.1),
            ValueError,
            r"y must have entries in",
        ),
        (
            lambda: rb.adversarial_linear_rademacher(np.eye(2), [1, -1], eps=-1),
            ValueError,
            r"eps must be finite",
        ),
        (
            lambda: rb.adversarial_linear_rademacher(np.eye(2), [1, -1], eps=0.1, attack_norm=0),
            ValueError,
            r"attack_norm must be in \[1, inf\]",
        ),
    ],
)
def test_bad_input_messages(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_numpy_calls_never_import_torch():
    code = (
        "import sys, numpy as np, radbound as rb\n"
        "X = np.random.default_rng(0).standard_normal((25, 4)); y = np.sign(X[:, 0]) + (X[:, 0] == 0)\n"
        "rb.linear_rademacher(X[:8], method='exact'); rb.linear_rademacher(X, n_draws=10, seed=0)\n"
        "rb.adversarial_linear_rademacher(X, y, eps=0.1, n_draws=10, seed=0)\n"
        "rb.empirical_rademacher(lambda s: s.sum(axis=1), 4)\n"
        "assert 'torch' not in sys.modules and 'cvxpy' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
