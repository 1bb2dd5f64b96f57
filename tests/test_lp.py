"""The l_p toolkit (radbound._lp) against independent oracles: closed forms, cvxpy, brute force.

Every primitive is checked at r = 1, 1 < r < inf, r = inf and at extreme exponents
(1 + 1e-9 and 1e9), where a naive |v|**q overflows.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radbound._lp import clipped_room, dual_exponent, norm, project_ball, ramp, unit_maximiser
from radbound.attacks import adversarial_margins

EXPONENTS = [1.0, 1.5, 2.0, 3.0, 7.0, math.inf]
EXTREME = [1.0 + 1e-9, 1e9]
EPS64 = np.finfo(np.float64).eps


def brute_norm(v: np.ndarray, q: float) -> float:
    """The definition, in Python floats scaled by max |v| (an independent evaluation)."""
    a = [abs(float(x)) for x in v]
    m = max(a)
    if m == 0.0:
        return 0.0
    if math.isinf(q):
        return m
    return m * math.fsum((x / m) ** q for x in a) ** (1.0 / q)


# ------------------------------------------------------------------------------ dual exponent
@pytest.mark.parametrize("p", [1.0 + 1e-12, 1.0 + 1e-9, 1.5, 2.0, 3.0, 1e9, 1e300])
def test_dual_exponent_is_the_hoelder_conjugate(p):
    q = dual_exponent(p)
    assert math.isfinite(q) and q >= 1.0
    assert math.isclose(1.0 / p + 1.0 / q, 1.0, rel_tol=1e-15, abs_tol=1e-15)
    if p < 1e10:  # involution, up to the rounding of p - 1 (q rounds to 1 for larger p)
        assert math.isclose(dual_exponent(q), p, rel_tol=1e-6)


def test_dual_exponent_ends():
    assert dual_exponent(1.0) == math.inf and dual_exponent(math.inf) == 1.0 and dual_exponent(2.0) == 2.0


# ------------------------------------------------------------------------------ norms
@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    v=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=8),
    q=st.sampled_from(EXPONENTS + EXTREME),
)
def test_norm_matches_the_definition(v, q):
    v = np.array(v)
    assert math.isclose(float(norm(v, q)), brute_norm(v, q), rel_tol=1e-13, abs_tol=0.0)


@pytest.mark.parametrize("q", EXPONENTS)
def test_norm_matches_numpy_rowwise(q):
    V = np.random.default_rng(0).normal(size=(5, 6, 4))
    np.testing.assert_allclose(norm(V, q), np.linalg.norm(V.reshape(-1, 4), ord=q, axis=1).reshape(5, 6))
    np.testing.assert_allclose(norm(V, q, axis=1), np.linalg.norm(V, ord=q, axis=1))


@pytest.mark.parametrize("scale", [1e-200, 1e200, 1e300])
@pytest.mark.parametrize("q", [1.5, 3.0, 7.0, 1e9, 1.0 + 1e-9])
def test_norm_has_no_overflow_or_underflow(scale, q):
    """A naive sum |v|**q over- or underflows here; the norm is homogeneous: ||c v|| = c ||v||."""
    v = np.array([3.0, -1.0, 2.0, 0.0])
    out = float(norm(scale * v, q))
    assert math.isfinite(out)
    assert math.isclose(out, scale * brute_norm(v, q), rel_tol=1e-12)


def test_norm_extreme_exponents_are_sandwiched():
    """||v||_inf <= ||v||_q <= d^(1/q) ||v||_inf and ||v||_q <= ||v||_1 <= d^(1 - 1/q) ||v||_q."""
    v = np.random.default_rng(1).normal(size=(20, 9))
    big = norm(v, 1e9)
    inf = np.abs(v).max(axis=1)
    assert np.all(inf <= big * (1 + 4 * EPS64)) and np.all(big <= inf * 9**1e-9 * (1 + 4 * EPS64))
    near1 = norm(v, 1.0 + 1e-9)
    l1 = np.abs(v).sum(axis=1)
    assert np.all(near1 <= l1 * (1 + 4 * EPS64)) and np.all(
        l1 <= near1 * 9 ** (1e-9 / (1 + 1e-9)) * (1 + 1e-12)
    )


def test_norm_of_a_zero_row_is_zero():
    assert norm(np.zeros((2, 3)), 3.0).tolist() == [0.0, 0.0]


# ------------------------------------------------------------------------------ unit maximiser
def cvxpy_max_linear(v: np.ndarray, r: float) -> float:
    """max <v, d> over ||d||_r <= 1 with cvxpy (Clarabel)."""
    d = cp.Variable(v.size)
    prob = cp.Problem(cp.Maximize(v @ d), [cp.norm(d, r) <= 1])
    prob.solve(solver=cp.CLARABEL)
    return float(prob.value)


@pytest.mark.parametrize("r", EXPONENTS)
def test_unit_maximiser_attains_the_cvxpy_optimum(r):
    rng = np.random.default_rng(2)
    for _ in range(4):
        v = rng.normal(size=6)
        u = unit_maximiser(v, r)
        ref = cvxpy_max_linear(v, r)
        assert float(norm(u, r)) <= 1.0 + 1e-12  # feasible
        assert abs(float(u @ v) - ref) <= 1e-7 * (1 + abs(ref))  # Clarabel's accuracy
        assert math.isclose(float(u @ v), float(norm(v, dual_exponent(r))), rel_tol=1e-12)  # Hoelder


@pytest.mark.parametrize("r", EXPONENTS + EXTREME)
def test_unit_maximiser_rows_odd_and_zero(r):
    V = np.random.default_rng(3).normal(size=(7, 5))
    U = unit_maximiser(V, r)
    np.testing.assert_array_equal(unit_maximiser(-V, r), -U)
    np.testing.assert_array_equal(unit_maximiser(np.zeros((2, 5)), r), np.zeros((2, 5)))
    assert np.isfinite(U).all()
    assert np.all(norm(U, r) <= 1.0 + 1e-9)
    # Hoelder's equality case, row by row
    np.testing.assert_allclose(np.einsum("ij,ij->i", U, V), norm(V, dual_exponent(r)), rtol=1e-7)


def test_unit_maximiser_r1_is_a_signed_coordinate_at_the_largest_entry():
    V = np.array([[0.5, -3.0, 2.0], [1.0, 1.0, -1.0]])
    assert unit_maximiser(V, 1.0).tolist() == [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]  # ties: first index


def test_unit_maximiser_works_along_the_last_axis_of_any_shape():
    V = np.random.default_rng(4).normal(size=(2, 3, 4))
    for r in (1.0, 3.0, math.inf):
        np.testing.assert_array_equal(
            unit_maximiser(V, r), unit_maximiser(V.reshape(6, 4), r).reshape(V.shape)
        )


def test_issue_example_margin_at_extreme_attack_norm_is_finite():
    """||(2, 0)||_q = 2 for every q: the margin is y(<w, x> + b) - eps ||w||_q = 0 - 2."""
    for r in (1.0 + 1e-9, 1e9, 1.0 + 1e-15):
        m = adversarial_margins([2.0, 0.0], 0.0, [[0.0, 0.0]], [1], eps=1, attack_norm=r)
        assert m.tolist() == [-2.0]


# ------------------------------------------------------------------------------ projections
def cvxpy_projection(d: np.ndarray, r: float, radius: float) -> np.ndarray:
    z = cp.Variable(d.size)
    cp.Problem(cp.Minimize(cp.sum_squares(z - d)), [cp.norm(z, r) <= radius]).solve(solver=cp.CLARABEL)
    return np.asarray(z.value)


def projection_certificate(d: np.ndarray, z: np.ndarray, r: float, radius: float) -> float:
    r"""Relative violation of the optimality of z = Proj(d): z is optimal iff ||z||_r <= rho and
    <d - z, w - z> <= 0 for every w of the ball, i.e. rho ||d - z||_{r*} <= <d - z, z>."""
    g = d - z
    gap = radius * float(norm(g, dual_exponent(r))) - float(g @ z)
    return max(gap, float(norm(z, r)) - radius) / (1.0 + float(np.abs(d).max()) ** 2)


@pytest.mark.parametrize("r", EXPONENTS)
def test_projection_matches_cvxpy(r):
    rng = np.random.default_rng(5)
    for radius in (0.3, 1.0):
        for _ in range(3):
            d = 2.0 * rng.normal(size=6)
            z = project_ball(d[None, :], r, radius)[0]
            ref = cvxpy_projection(d, r, radius)
            # Clarabel's accuracy on the distance; our point carries its own optimality certificate
            assert np.abs(z - ref).max() <= 1e-5 * (1 + np.abs(d).max())
            assert projection_certificate(d, z, r, radius) <= 1e-12


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**16),
    d=st.integers(1, 7),
    r=st.sampled_from([1.0, 1.2, 1.5, 2.0, 2.5, 4.0, 10.0, 50.0, math.inf]),
    radius=st.floats(0.01, 10.0),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
)
def test_projection_is_optimal_feasible_and_idempotent(seed, d, r, radius, scale):
    D = scale * np.random.default_rng(seed).normal(size=(4, d))
    Z = project_ball(D, r, radius)
    for row_d, row_z in zip(D, Z):
        assert projection_certificate(row_d, row_z, r, radius) <= 1e-10
    assert np.all(norm(Z, r) <= radius * (1 + 1e-12))
    np.testing.assert_allclose(project_ball(Z, r, radius), Z, rtol=1e-9, atol=1e-12 * radius)
    inside = norm(D, r) <= radius
    np.testing.assert_array_equal(Z[inside], D[inside])


@pytest.mark.parametrize("r, limit", [(1.0 + 1e-9, 1.0), (1e9, math.inf)])
def test_projection_at_extreme_exponents_is_finite_feasible_and_near_the_limit(r, limit):
    D = 3.0 * np.random.default_rng(6).normal(size=(5, 8))
    Z = project_ball(D, r, 1.0)
    assert np.isfinite(Z).all() and np.all(norm(Z, r) <= 1.0 + 1e-12)
    np.testing.assert_allclose(Z, project_ball(D, limit, 1.0), atol=1e-6)


def test_projection_keeps_shape_and_zero_radius():
    D = np.random.default_rng(7).normal(size=(2, 3, 4))
    assert project_ball(D, 1.5, 0.5).shape == D.shape
    assert not project_ball(D, 3.0, 0.0).any()


# ------------------------------------------------------------------------------ ramp and room
def test_ramp_against_its_pieces():
    t = np.linspace(-2, 3, 101)
    gamma = 0.7
    brute = [1.0 if x <= 0 else (0.0 if x >= gamma else 1 - x / gamma) for x in t.tolist()]
    np.testing.assert_allclose(ramp(t, gamma), brute, rtol=0, atol=1e-15)
    assert np.all(ramp(t, gamma) >= (t <= 0))  # above the 0-1 loss


def test_clipped_room_is_the_box_intersection():
    rng = np.random.default_rng(8)
    X = rng.uniform(0, 1, size=(30, 4))
    down, up = clipped_room(X, 0.2, 0.0, 1.0)
    np.testing.assert_allclose(X - down, np.maximum(X - 0.2, 0.0))
    np.testing.assert_allclose(X + up, np.minimum(X + 0.2, 1.0))
    assert (down >= 0).all() and (up >= 0).all()


# ------------------------------------------------------------------------------ torch follows numpy
def test_torch_inputs_give_the_numpy_numbers():
    torch = pytest.importorskip("torch")
    V = np.random.default_rng(9).normal(size=(6, 5))
    T = torch.as_tensor(V)
    for q in EXPONENTS + EXTREME:
        out = norm(T, q)
        assert isinstance(out, torch.Tensor) and out.dtype == T.dtype
        np.testing.assert_allclose(out.numpy(), norm(V, q), rtol=1e-13)
        np.testing.assert_allclose(unit_maximiser(T, q).numpy(), unit_maximiser(V, q), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ramp(T, 0.5).numpy(), ramp(V, 0.5))
