"""Layer norms as operators: each equals the same norm of the explicitly unrolled matrix on small inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radbound.networks import (
    Conv2d,
    ConvergenceWarning,
    Dense,
    Flatten,
    MaxPool2d,
    Network,
    ReLU,
    dense_spectral_norm,
    frobenius_norm,
    l1inf_norm,
    l21_norm,
    lipschitz,
    network_norms,
    row_norms,
    spectral_norm,
    unrolled_matrix,
)

RNG = np.random.default_rng(7)
# Iterative methods stop at a relative residual ||A^T A v - theta v|| <= tol * theta = 1e-12; the Rayleigh
# quotient is then accurate to far better than 1e-9 (error ~ residual^2 / gap); 1e-9 leaves room for rounding.
RTOL = 1e-9


def exact_norm(A):
    return np.linalg.svd(A, compute_uv=False)[0]


@pytest.mark.parametrize("mode", ["zeros", "circular"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["same", "valid", 1])
@pytest.mark.parametrize("method", ["auto", "lanczos", "power"])
def test_conv_spectral_norm_equals_unrolled(mode, stride, padding, method):
    conv = Conv2d(RNG.normal(size=(3, 2, 3, 3)), stride=stride, padding=padding, padding_mode=mode)
    shape = (2, 6, 5)
    exact = exact_norm(unrolled_matrix(conv, shape))
    s = spectral_norm(conv, shape, method=method, tol=1e-12, max_iter=50_000)
    assert s.converged
    assert s.value == pytest.approx(exact, rel=RTOL)
    # the certificate: lower is ||A v|| for a unit v, upper the norm of a circular convolution containing A
    assert s.lower <= exact * (1 + 1e-12) and s.upper >= exact * (1 - 1e-12)


def test_circular_same_size_is_exact_by_fft():
    conv = Conv2d(RNG.normal(size=(4, 3, 3, 3)), padding="same", padding_mode="circular")
    s = spectral_norm(conv, (3, 5, 7))
    assert s.method == "fft" and s.lower == s.value and s.value < s.upper <= s.value * (1 + 2e-12)
    assert s.value == pytest.approx(exact_norm(unrolled_matrix(conv, (3, 5, 7))), rel=1e-12)


def test_circular_padding_larger_than_kernel_counts_repeated_rows():
    """Regression: 1x1 kernel, circular padding 1 on a 3x3 image: the 5x5 output repeats input pixels
    (rows of the operator repeat), so the norm is 2 (= sqrt(2 * 2), the largest repetition count per
    axis), not the circular value 1; the certificate once returned upper = 1.997."""
    conv = Conv2d(np.ones((1, 1, 1, 1)), padding=1, padding_mode="circular")
    A = unrolled_matrix(conv, (1, 3, 3))
    assert exact_norm(A) == pytest.approx(2.0, rel=1e-14)  # A^T A = diag(4, 2, 2, 2, 1, 1, 2, 1, 1)
    for method in ("power", "lanczos", "auto"):
        s = spectral_norm(conv, (1, 3, 3), method=method, tol=1e-12)
        assert s.lower <= 2.0 <= s.upper and s.value == pytest.approx(2.0, rel=1e-9)


def test_circular_uniform_repetition_is_exact_by_fft():
    """Every residue hit twice per axis (1x1 kernel, padding 1 on 2x2): A^T A = 4 C^T C exactly."""
    conv = Conv2d(RNG.normal(size=(2, 3, 1, 1)), padding=1, padding_mode="circular")
    s = spectral_norm(conv, (3, 2, 2))
    assert s.method == "fft"
    assert s.value == pytest.approx(exact_norm(unrolled_matrix(conv, (3, 2, 2))), rel=1e-12)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    c_in=st.integers(1, 2),
    c_out=st.integers(1, 3),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.one_of(st.sampled_from(["same", "valid"]), st.tuples(st.integers(0, 4), st.integers(0, 4))),
    mode=st.sampled_from(["zeros", "circular"]),
    method=st.sampled_from(["auto", "lanczos", "power"]),
)
def test_spectral_certificate_brackets_the_unrolled_norm(
    c_in, c_out, kh, kw, h, w, stride, padding, mode, method
):
    """lower <= ||A||_sigma <= upper against an SVD of the unrolled matrix, for every padding mode,
    stride and padding (including circular paddings larger than the kernel, whose outputs wrap onto
    the same input pixels). Conv2d has no dilation, so there is none to vary."""
    conv = Conv2d(RNG.normal(size=(c_out, c_in, kh, kw)), stride=stride, padding=padding, padding_mode=mode)
    try:
        conv.output_shape((c_in, h, w))
    except ValueError:  # the kernel does not fit this input: nothing to check
        return
    exact = exact_norm(unrolled_matrix(conv, (c_in, h, w)))
    s = spectral_norm(conv, (c_in, h, w), method=method, tol=1e-12, max_iter=50_000)
    # lower = ||A v|| for a unit v: below the exact norm up to float64 rounding of one product
    assert s.lower <= exact * (1 + 1e-12)
    assert s.upper >= exact
    if s.converged:
        assert s.value == pytest.approx(exact, rel=1e-7)


def test_kernel_larger_than_circular_input_wraps():
    """Taps landing on the same pixel add up (5x5 kernel on a 3x3 circular image)."""
    conv = Conv2d(RNG.normal(size=(2, 2, 5, 5)), padding="same", padding_mode="circular")
    A = unrolled_matrix(conv, (2, 3, 3))
    assert spectral_norm(conv, (2, 3, 3)).value == pytest.approx(exact_norm(A), rel=1e-12)
    np.testing.assert_allclose(row_norms(conv, (2, 3, 3)).ravel(), np.linalg.norm(A, axis=1), rtol=1e-12)


def test_method_fft_refuses_zero_padding():
    with pytest.raises(ValueError, match="method='fft' is exact only"):
        spectral_norm(Conv2d(np.ones((1, 1, 3, 3)), padding=1), (1, 4, 4), method="fft")


def test_non_convergence_warns_and_returns_certified_lower_value():
    conv = Conv2d(RNG.normal(size=(3, 2, 3, 3)), padding=1)
    exact = exact_norm(unrolled_matrix(conv, (2, 6, 6)))
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        s = spectral_norm(conv, (2, 6, 6), method="power", max_iter=2)
    assert not s.converged and s.lower <= exact <= s.upper


def test_bad_options():
    conv = Conv2d(np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="input_shape is required"):
        spectral_norm(conv)
    with pytest.raises(ValueError, match="method must be one of"):
        spectral_norm(conv, (1, 4, 4), method="svd")
    with pytest.raises(ValueError, match="tol must be"):
        spectral_norm(conv, (1, 4, 4), tol=0)
    with pytest.raises(ValueError, match="ord must be 1 or 2"):
        row_norms(conv, (1, 4, 4), ord=3)
    with pytest.raises(ValueError, match="reference must have"):
        l21_norm(conv, (1, 4, 4), reference=np.ones((1, 1, 2, 2)))


@pytest.mark.parametrize("shape", [(30, 70), (70, 30), (1, 5)])
def test_dense_spectral_norm_is_exact(shape):
    A = RNG.normal(size=shape)
    assert dense_spectral_norm(A) == pytest.approx(exact_norm(A), rel=1e-12)
    s = spectral_norm(Dense(A))
    assert s.method == "exact" and s.lower == s.upper == s.value


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    h=st.integers(4, 7),
    w=st.integers(4, 7),
    stride=st.integers(1, 3),
    padding=st.sampled_from(["same", "valid", 0, 1, 2]),
    mode=st.sampled_from(["zeros", "circular"]),
)
def test_row_norms_equal_unrolled(c_in, c_out, kh, kw, h, w, stride, padding, mode):
    """(2,1), Frobenius and (1,inf) norms of A - M from the squared / absolute kernel equal unrolled ones."""
    rng = np.random.default_rng([c_in, c_out, kh, kw, h, w, stride])
    K, M = rng.normal(size=(c_out, c_in, kh, kw)), rng.normal(size=(c_out, c_in, kh, kw))
    conv = Conv2d(K, stride=stride, padding=padding, padding_mode=mode)
    shape = (c_in, h, w)
    A = unrolled_matrix(conv, shape)
    A0 = unrolled_matrix(Conv2d(M, stride=stride, padding=padding, padding_mode=mode), shape)
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        l21_norm(conv, shape, reference=M), np.linalg.norm(A - A0, axis=1).sum(), **tol
    )
    np.testing.assert_allclose(l21_norm(conv, shape), np.linalg.norm(A, axis=1).sum(), **tol)
    np.testing.assert_allclose(frobenius_norm(conv, shape), np.linalg.norm(A), **tol)
    np.testing.assert_allclose(l1inf_norm(conv, shape), np.abs(A).sum(axis=1).max(), **tol)
    np.testing.assert_allclose(row_norms(conv, shape, ord=1).ravel(), np.abs(A).sum(axis=1), **tol)


def test_dense_l21_is_sum_of_row_norms_of_the_difference():
    A, M = RNG.normal(size=(4, 6)), RNG.normal(size=(4, 6))
    assert l21_norm(Dense(A), reference=M) == pytest.approx(np.linalg.norm(A - M, axis=1).sum(), rel=1e-14)


def test_overlapping_maxpool_lipschitz_constant_holds():
    """||pool(x) - pool(x')||_2 <= sqrt(ceil(k/s)^2) ||x - x'||_2; attained (one pixel lies in 4 windows)."""
    pool = MaxPool2d(3, 2)
    L = lipschitz(pool)
    assert L == 2.0
    x = RNG.normal(size=(200, 1, 7, 7))
    xp = x + 0.1 * RNG.normal(size=x.shape)
    ratio = np.linalg.norm((pool.forward(x) - pool.forward(xp)).reshape(200, -1), axis=1) / np.linalg.norm(
        (x - xp).reshape(200, -1), axis=1
    )
    assert ratio.max() <= L
    e = np.zeros((1, 1, 7, 7))
    e[0, 0, 2, 2] = 1.0  # pixel (2, 2) lies in 4 windows
    assert np.linalg.norm(pool.forward(e)) == pytest.approx(L)


def test_network_norms_collects_every_layer():
    net = Network(
        (
            Conv2d(RNG.normal(size=(2, 1, 3, 3)), padding="same"),
            ReLU(),
            MaxPool2d(2),
            Flatten(),
            Dense(RNG.normal(size=(3, 8))),
        ),
        (1, 4, 4),
    )
    norms = network_norms(net)
    assert [lay.index for lay in norms.layers] == [0, 4]
    A = unrolled_matrix(net.layers[0], (1, 4, 4))
    assert norms.spectral[0] == pytest.approx(exact_norm(A), rel=RTOL)
    assert norms.l21[1] == pytest.approx(np.linalg.norm(net.layers[4].weight, axis=1).sum())
    assert norms.lipschitz_l2 == 1.0 and norms.lipschitz_linf == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        network_norms(net, method="power", max_iter=20_000)
