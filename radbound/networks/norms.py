r"""Norms of network layers as linear operators, without materialising large matrices.

For a weighted layer with linear part :math:`A` (a matrix, or the convolution operator on the
flattened activations) and a reference :math:`M` (zero or the weights at initialisation):

* :func:`spectral_norm` -- :math:`\|A\|_\sigma`, the largest singular value. Dense layers: exact
  (top eigenvalue of the smaller Gram matrix). Convolutions are operators, not reshaped kernels:
  circular padding at stride 1 is exact by FFT (Sedghi, Gupta & Long, ICLR 2019: the singular values
  are those of the :math:`c_{out}\times c_{in}` matrices :math:`\hat K(\omega)` over the DFT
  frequencies); other convolutions use Lanczos or power iteration on :math:`A^\top A` (conv and its
  adjoint) with a certificate :math:`\|A v\| \le \|A\|_\sigma \le` (upper), where the upper value comes
  from the exact FFT norm of a circular convolution: zero padding compresses the circular convolution
  on the padded grid (a sub-selection of its rows and columns); circular padding selects rows of the
  circular convolution on the input grid, repeating a row once per output position that wraps onto
  it, which multiplies the norm by at most the square root of the largest repetition count. A lower
  value above the upper one (beyond a documented float64 rounding allowance) raises
  :class:`CertificateError`.
* :func:`row_norms` -- the :math:`\ell_2` or :math:`\ell_1` norms of the rows of :math:`A - M`; for a
  convolution, the squared (or absolute) kernel summed over input channels and correlated with an
  all-ones input (zero padding cuts taps off at the border). Hence
  :func:`l21_norm` :math:`= \|A^\top - M^\top\|_{2,1} = \sum_{\text{rows}} \|(A - M)_{r\cdot}\|_2`,
  :func:`frobenius_norm` and :func:`l1inf_norm` :math:`= \max_r \|A_{r\cdot}\|_1`.

Layers without weights enter the bounds through their Lipschitz constants (:func:`lipschitz`):
ReLU and Flatten are 1-Lipschitz in every norm; max-pooling is 1-Lipschitz in :math:`\ell_\infty` and
:math:`\sqrt{\lceil k_h/s_h\rceil\lceil k_w/s_w\rceil}`-Lipschitz in :math:`\ell_2` (1 for
non-overlapping windows).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .._threads import limit_blas_threads
from .._validation import (
    as_real_array,
    check_choice,
    check_int,
    check_positive,
    check_random_state,
    check_shape,
)
from .layers import (
    Conv2d,
    Dense,
    Flatten,
    MaxPool2d,
    Network,
    ReLU,
    _conv_adjoint,
    _conv_forward,
    conv_geometry,
    unrolled_matrix,
)

__all__ = [
    "CertificateError",
    "ConvergenceWarning",
    "SpectralNorm",
    "LayerNorms",
    "NetworkNorms",
    "dense_spectral_norm",
    "spectral_norm",
    "row_norms",
    "l21_norm",
    "frobenius_norm",
    "l1inf_norm",
    "lipschitz",
    "network_norms",
]


class ConvergenceWarning(UserWarning):
    """An iterative norm computation stopped at its budget before meeting its tolerance."""


@dataclass(frozen=True)
class SpectralNorm:
    r"""A spectral norm with its certificate.

    Attributes
    ----------
    value : float
        The estimate of :math:`\|A\|_\sigma` (exact up to rounding for ``"exact"`` and ``"fft"``).
    lower, upper : float
        Certified bounds :math:`\text{lower} \le \|A\|_\sigma \le \text{upper}` (``upper`` includes a
        relative allowance of 1e-12 for float64 rounding).
    method : str
        ``"exact"`` (dense), ``"fft"`` (circular), ``"lanczos"`` or ``"power"``.
    converged : bool
        Whether the iteration met ``tol`` (always True for exact methods).
    n_iter : int
        Operator applications (:math:`A^\top A v`) used; 0 for exact methods.
    residual : float
        :math:`\|A^\top A v - \theta v\| / \theta` at the returned unit vector :math:`v`.
    """

    value: float
    lower: float
    upper: float
    method: str
    converged: bool = True
    n_iter: int = 0
    residual: float = 0.0

    def __float__(self) -> float:
        return self.value


# ----------------------------------------------------------------------------- dense
def dense_spectral_norm(weight: Any) -> float:
    r"""Exact spectral norm :math:`\|A\|_\sigma = \sqrt{\lambda_{\max}(A A^\top)}` of a matrix.

    The top eigenvalue of the smaller Gram matrix (LAPACK ``syevr`` restricted to one eigenvalue)
    is accurate to a relative :math:`O(\epsilon_{\text{mach}})`, and much cheaper than a full SVD.

    Parameters
    ----------
    weight : array of shape (m, k)
        The matrix :math:`A` (finite entries).

    Returns
    -------
    float
        :math:`\|A\|_\sigma`.

    Notes
    -----
    A computational helper. The singular values of :math:`A` are the square roots of the
    eigenvalues of :math:`A A^\top` (or of :math:`A^\top A`, which has the same nonzero ones), so the
    smaller of the two Gram matrices suffices. A symmetric eigensolver perturbs :math:`\lambda_{\max}`
    by :math:`O(\epsilon_{\text{mach}}\|A\|_\sigma^2)` (Weyl), a relative error that the square root
    halves. A tiny negative rounding of :math:`\lambda_{\max}` (only for :math:`A \approx 0`) is
    clipped to 0. See Golub & Van Loan (2013), "Matrix Computations", 4th ed., on the SVD and the
    symmetric eigenproblem.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).normal(size=(40, 70))
    >>> bool(np.isclose(dense_spectral_norm(A), np.linalg.norm(A, 2), rtol=1e-12))
    True
    """
    a = np.asarray(as_real_array(weight, "weight"), dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"weight must be 2-D, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"weight must be non-empty, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("weight must contain only finite values (found NaN or inf)")
    # entries whose squares overflow or underflow: work on 2**-e a (exact) and scale back by 2**e
    top_entry = float(np.max(np.abs(a)))
    e = math.frexp(top_entry)[1] if (top_entry > 2.0**500 or 0.0 < top_entry < 2.0**-500) else 0
    if e:
        a = np.ldexp(a, -e)
    gram = a @ a.T if a.shape[0] <= a.shape[1] else a.T @ a
    k = gram.shape[0]
    top = scipy.linalg.eigvalsh(gram, subset_by_index=[k - 1, k - 1], check_finite=False)[0]
    try:
        return float(math.ldexp(math.sqrt(max(top, 0.0)), e))
    except OverflowError:
        raise OverflowError(
            f"weight too large: its spectral norm exceeds the float range (largest entry {top_entry:.3g})"
        ) from None


# ----------------------------------------------------------------------------- convolutions
def _circular_norm(weight: np.ndarray, grid: tuple[int, int]) -> float:
    """Exact norm of the circular cross-correlation with ``weight`` on a ``grid`` (Sedghi et al. 2019)."""
    hn, wn = grid
    c_out, c_in, kh, kw = weight.shape
    wrapped = np.zeros((c_out, c_in, hn, wn))
    for a in range(kh):
        for b in range(kw):
            wrapped[:, :, a % hn, b % wn] += weight[:, :, a, b]
    # real kernel: the symbol at -omega is the conjugate of the one at omega (same singular values),
    # so the half-spectrum of rfft2 covers every frequency.
    symbol = np.fft.rfft2(wrapped, axes=(2, 3)).transpose(2, 3, 0, 1).reshape(-1, c_out, c_in)
    with limit_blas_threads():
        if c_out >= c_in:
            gram = np.conj(symbol.transpose(0, 2, 1)) @ symbol
        else:
            gram = symbol @ np.conj(symbol.transpose(0, 2, 1))
        top = np.linalg.eigvalsh(gram)[:, -1].max()
    return float(math.sqrt(max(top, 0.0)))


def _multiplicity(stride: int, n_out: int, n_in: int) -> np.ndarray:
    """How many of the ``n_out`` output positions of a circular convolution (stride ``stride``) read
    through each residue of ``Z_{n_in}``: output i uses row ``(stride * i) mod n_in`` of the stride-1
    circular operator."""
    return np.bincount((stride * np.arange(n_out)) % n_in, minlength=n_in)


def _conv_upper(layer: Conv2d, g: dict[str, Any]) -> tuple[float, bool]:
    r"""(certified upper bound, whether it is exact) for a conv operator.

    Circular padding: output :math:`(i, j)` reads the input through the taps of row
    :math:`(s_h i mod H, s_w j mod W)` of the stride-1 circular correlation :math:`C` on the
    :math:`H 	imes W` grid, so :math:`A = P C` with :math:`P` a row selection WITH repetition and
    :math:`P^	op P = \operatorname{diag}(m)`, :math:`m_{t} = m_h(t_1) m_w(t_2)` the number of output
    positions per residue. Hence :math:`\|A\|_\sigma \le \sqrt{\max m_h \max m_w}\,\|C\|_\sigma`, with
    equality when every residue is hit equally often (for instance stride 1 with output size = input
    size). Zero padding: :math:`A = S C E` with :math:`C` the circular correlation on the padded grid
    (no output wraps around), :math:`E` the zero embedding and :math:`S` a row selection without
    repetition: :math:`\|A\|_\sigma \le \|C\|_\sigma`. The FFT value of :math:`\|C\|_\sigma` is exact
    (Sedghi, Gupta & Long 2019). Derivation: :ref:`theory-conv-certificate`.
    """
    pt, pb, pl, pr = g["pads"]
    _, h, w = g["input_shape"]
    _, oh, ow = g["output_shape"]
    sh, sw = g["stride"]
    if g["mode"] == "circular":
        m_h, m_w = _multiplicity(sh, oh, h), _multiplicity(sw, ow, w)
        factor = math.sqrt(float(m_h.max()) * float(m_w.max()))
        exact = bool(m_h.min() == m_h.max() and m_w.min() == m_w.max())
        return factor * _circular_norm(layer.weight, (h, w)), exact
    # zero padding: A = S C E with C the circular correlation on the padded grid (no wrap-around).
    return _circular_norm(layer.weight, (h + pt + pb, w + pl + pr)), False


#: Relative allowance for floating-point rounding between the FFT upper value and the iterative
#: lower value (both computed in float64; their rounding errors are below 1e-14 relative for the
#: operator sizes of this package). A lower value above ``upper * (1 + _ROUNDING)`` is a violated
#: certificate: an error, never repaired.
_ROUNDING = 1e-12


class CertificateError(RuntimeError):
    """A certified bound was violated by an independent computation (a bug, never clipped away)."""


def _iterate(apply, adjoint, shape, *, method, tol, max_iter, rng) -> tuple[float, np.ndarray, int, bool]:
    """Top eigenpair of A^T A by Lanczos (ARPACK) or power iteration: (theta, v, n_iter, converged)."""
    n = int(np.prod(shape))

    def gram(v: np.ndarray) -> np.ndarray:
        return adjoint(apply(v.reshape(1, *shape))).ravel()

    v0 = rng.standard_normal(n)
    v0 /= np.linalg.norm(v0)
    if method == "lanczos" and n >= 3:
        import scipy.sparse.linalg as spla

        counter = {"n": 0}

        def matvec(v: np.ndarray) -> np.ndarray:
            counter["n"] += 1
            return gram(np.asarray(v, dtype=np.float64).ravel())

        op = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        ncv = min(n, 20)
        try:
            vals, vecs = spla.eigsh(op, k=1, which="LA", tol=tol, maxiter=max_iter, v0=v0, ncv=ncv)
            return float(vals[0]), vecs[:, 0], counter["n"], True
        except spla.ArpackNoConvergence as exc:
            if exc.eigenvectors is not None and exc.eigenvectors.shape[1] > 0:
                v = exc.eigenvectors[:, -1]
            else:
                v = v0
            v = v / np.linalg.norm(v)
            return float(v @ gram(v)), v, counter["n"], False
    v = v0
    theta = 0.0
    for it in range(1, max_iter + 1):
        u = gram(v)
        theta = float(v @ u)
        norm_u = float(np.linalg.norm(u))
        if norm_u == 0.0:
            return 0.0, v, it, True
        if np.linalg.norm(u - theta * v) <= tol * theta:
            return theta, v, it, True
        v = u / norm_u
    return theta, v, max_iter, False


def _conv_spectral_norm(
    layer: Conv2d, input_shape: Sequence[int], *, method: str, tol: float, max_iter: int, seed: Any
) -> SpectralNorm:
    g = conv_geometry(layer, input_shape)
    upper, exact = _conv_upper(layer, g)
    if method == "fft" and not exact:
        raise ValueError(
            "method='fft' is exact only for circular padding whose output positions hit every residue of "
            "the input grid equally often (e.g. stride 1 with output size = input size); "
            f"got padding_mode={layer.padding_mode!r}, stride={layer.stride}, pads={g['pads']}"
        )
    if method in ("auto", "fft") and exact:
        return SpectralNorm(upper, upper, upper * (1.0 + _ROUNDING), "fft")
    if method == "auto":
        method = "lanczos"
    weight = layer.weight

    def apply(x: np.ndarray) -> np.ndarray:
        return _conv_forward(x, weight, g)

    def adjoint(y: np.ndarray) -> np.ndarray:
        return _conv_adjoint(y, weight, g)

    rng = check_random_state(seed)
    shape = g["input_shape"]
    with limit_blas_threads():
        theta, v, n_iter, converged = _iterate(
            apply, adjoint, shape, method=method, tol=tol, max_iter=max_iter, rng=rng
        )
    v = v / np.linalg.norm(v)
    av = apply(v.reshape(1, *shape))
    lower = float(np.linalg.norm(av))
    u = adjoint(av).ravel()
    theta = lower**2
    residual = float(np.linalg.norm(u - theta * v) / theta) if theta > 0 else 0.0
    if not converged:
        warnings.warn(
            f"{method} iteration for the spectral norm of {layer!r} on input {tuple(shape)} did not reach "
            f"tol={tol:g} within max_iter={max_iter} (relative residual {residual:.2e}); returning the "
            f"certified lower value {lower:.6g} (upper certificate {upper:.6g})",
            ConvergenceWarning,
            stacklevel=3,
        )
    upper *= 1.0 + _ROUNDING
    if lower > upper:
        raise CertificateError(
            f"spectral-norm certificate violated for {layer!r} on input {tuple(shape)}: the iteration "
            f"found ||A v|| = {lower!r} above the certified upper value {upper!r} ({method})"
        )
    return SpectralNorm(lower, lower, upper, method, converged, n_iter, residual)


def spectral_norm(
    layer: Dense | Conv2d,
    input_shape: Sequence[int] | None = None,
    *,
    method: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 2000,
    seed: Any = 0,
) -> SpectralNorm:
    r"""Spectral norm :math:`\|A\|_\sigma = \max_{\|x\|_2 = 1} \|A x\|_2` of a layer's linear part.

    For a convolution, :math:`A` is the operator on the flattened ``input_shape`` (not the
    reshaped kernel).

    Parameters
    ----------
    layer : Dense or Conv2d
    input_shape : tuple
        ``(C, H, W)`` for a convolution (ignored for Dense).
    method : {"auto", "exact", "fft", "lanczos", "power"}
        ``"auto"``: exact for Dense, FFT for circular convolutions whose output positions hit every
        input residue equally often (e.g. stride 1, output size = input size), else Lanczos with the
        certified FFT upper value (:ref:`theory-conv-certificate`).
    tol : float
        Relative residual :math:`\|A^\top A v - \theta v\| \le \text{tol}\,\theta` to stop iterating.
    max_iter : int
        Budget: ARPACK restarts (Lanczos) or operator applications (power). When it is exhausted a
        :class:`ConvergenceWarning` is issued and the certified lower value is returned.
    seed : int or Generator
        Start vector of the iteration.

    Returns
    -------
    SpectralNorm
        ``value`` with certified ``lower``/``upper``.

    References
    ----------
    Sedghi, Gupta & Long (2019), "The singular values of convolutional layers", ICLR, Thm 6.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Conv2d, unrolled_matrix
    >>> conv = Conv2d(np.random.default_rng(0).normal(size=(3, 2, 3, 3)), padding=1)
    >>> s = spectral_norm(conv, (2, 6, 6))
    >>> bool(np.isclose(s.value, np.linalg.norm(unrolled_matrix(conv, (2, 6, 6)), 2), rtol=1e-8))
    True
    >>> bool(s.lower <= s.value <= s.upper)
    True
    """
    check_choice(method, "method", ("auto", "exact", "fft", "lanczos", "power"))
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    input_shape = _check_layer(layer, input_shape)
    check_random_state(seed)  # validated whatever the layer (a Dense layer does not draw)
    if isinstance(layer, Dense):
        s = dense_spectral_norm(layer.weight)
        return SpectralNorm(s, s, s, "exact")
    if not isinstance(layer, Conv2d):
        raise TypeError(f"layer must be Dense or Conv2d, got {type(layer).__name__}")
    if input_shape is None:
        raise ValueError("input_shape is required for a Conv2d layer (the operator depends on it)")
    if method == "exact":
        s = dense_spectral_norm(unrolled_matrix(layer, input_shape))
        return SpectralNorm(s, s, s, "exact")
    return _conv_spectral_norm(layer, input_shape, method=method, tol=tol, max_iter=max_iter, seed=seed)


# ----------------------------------------------------------------------------- row norms
def _check_layer(layer: Any, input_shape: Any) -> tuple[int, ...] | None:
    """The weighted-layer functions' common checks: a Dense or Conv2d layer, a valid input shape."""
    if not isinstance(layer, (Dense, Conv2d)):
        raise TypeError(f"layer must be Dense or Conv2d, got {type(layer).__name__}")
    return None if input_shape is None else check_shape(input_shape, "input_shape")


def _difference(layer: Dense | Conv2d, reference: Any) -> np.ndarray:
    w = layer.weight
    if reference is None:
        return w
    ref = np.asarray(as_real_array(reference, "reference"), dtype=np.float64)
    if ref.shape != w.shape:
        raise ValueError(f"reference must have the weight's shape {w.shape}, got {ref.shape}")
    if not np.isfinite(ref).all():
        raise ValueError("reference must contain only finite values (found NaN or inf)")
    return w - ref


def row_norms(
    layer: Dense | Conv2d, input_shape: Sequence[int] | None = None, *, ord: float = 2, reference: Any = None
) -> np.ndarray:
    r"""The :math:`\ell_{ord}` norms of the rows of :math:`A - M` (one per output unit), ord in {1, 2}.

    For a convolution the row of output unit :math:`(o, i, j)` holds the taps
    :math:`(K - M)_{o,c,a,b}` whose input position :math:`(s_h i + a - p_t, s_w j + b - p_l)` lies in
    the image (zero padding), so

    .. math::
        \|\text{row}_{o,i,j}\|_2^2 = \sum_{a,b} \mathbb 1_{\text{in}}(i,a)\, \mathbb 1_{\text{in}}(j,b)
        \sum_c (K - M)_{o,c,a,b}^2,

    the squared kernel correlated with an all-ones input. Circular padding wraps the taps instead
    (taps landing on the same pixel are added first). Returns an array of shape ``output_shape``.

    Parameters
    ----------
    layer : Dense or Conv2d
        The layer; for a convolution :math:`A` is its operator on flattened inputs.
    input_shape : sequence of 3 ints, optional
        ``(C, H, W)`` of the layer's input; required for a Conv2d, ignored for a Dense layer.
    ord : {1, 2}, default 2
        Norm of each row.
    reference : array, optional
        :math:`M`, of the weight's shape (a Dense matrix or a Conv2d kernel); default 0.

    Returns
    -------
    numpy.ndarray
        One norm per output unit: shape ``(m,)`` for Dense, the output shape ``(C', H', W')`` for Conv2d.

    Notes
    -----
    A computational helper: row :math:`r` of the unrolled operator holds each kernel tap once per
    input pixel it reads, so its norm needs only the taps and a border mask, never the
    :math:`(c_{out} h' w') \times (c_{in} h w)` matrix. With ``ord=1`` the same sum of
    :math:`|K - M|` gives the row :math:`\ell_1` norms. Dense layers: the row norms of
    :math:`A - M`. These rows are the columns of :math:`A^\top - M^\top` that enter the
    :math:`(2,1)` norm of Bartlett, Foster & Telgarsky (2017), NeurIPS (:doc:`/theory/networks`).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Conv2d, unrolled_matrix
    >>> conv = Conv2d(np.random.default_rng(1).normal(size=(2, 3, 3, 3)), stride=2, padding=1)
    >>> A = unrolled_matrix(conv, (3, 5, 5))
    >>> bool(np.allclose(row_norms(conv, (3, 5, 5)).ravel(), np.linalg.norm(A, axis=1)))
    True
    """
    input_shape = _check_layer(layer, input_shape)
    if (
        isinstance(ord, (bool, np.bool_))
        or not isinstance(ord, (numbers.Real, np.floating, np.integer))
        or ord not in (1, 2)
    ):
        raise ValueError(f"ord must be 1 or 2, got {ord!r}")
    diff = _difference(layer, reference)
    if isinstance(layer, Dense):
        return np.linalg.norm(diff, ord=ord, axis=1)
    if not isinstance(layer, Conv2d):
        raise TypeError(f"layer must be Dense or Conv2d, got {type(layer).__name__}")
    if input_shape is None:
        raise ValueError("input_shape is required for a Conv2d layer")
    g = conv_geometry(layer, input_shape)
    pt, pb, pl, pr = g["pads"]
    _, h, w = g["input_shape"]
    (kh, kw), (sh, sw) = g["kernel"], g["stride"]
    c_out, oh, ow = g["output_shape"]
    if g["mode"] == "circular":
        wrapped = np.zeros((c_out, diff.shape[1], h, w))
        for a in range(kh):
            for b in range(kw):
                wrapped[:, :, (a - pt) % h, (b - pl) % w] += diff[:, :, a, b]
        per_out = (np.abs(wrapped) ** ord).sum(axis=(1, 2, 3)) ** (1.0 / ord)
        return np.broadcast_to(per_out[:, None, None], (c_out, oh, ow)).copy()
    taps = (np.abs(diff) ** ord).sum(axis=1)  # (c_out, kh, kw)
    rows_h = sh * np.arange(oh)[:, None] + np.arange(kh)[None, :] - pt
    rows_w = sw * np.arange(ow)[:, None] + np.arange(kw)[None, :] - pl
    mask_h = ((rows_h >= 0) & (rows_h < h)).astype(np.float64)
    mask_w = ((rows_w >= 0) & (rows_w < w)).astype(np.float64)
    power = np.einsum("ia,oab,jb->oij", mask_h, taps, mask_w)
    return np.maximum(power, 0.0) ** (1.0 / ord)


def l21_norm(
    layer: Dense | Conv2d, input_shape: Sequence[int] | None = None, *, reference: Any = None
) -> float:
    r""":math:`\|A^\top - M^\top\|_{2,1} = \sum_r \|(A - M)_{r\cdot}\|_2`, the sum of the row norms of A - M.

    Parameters
    ----------
    layer : Dense or Conv2d
        The layer; for a convolution :math:`A` is its operator on flattened inputs.
    input_shape : sequence of 3 ints, optional
        ``(C, H, W)`` of the layer's input; required for a Conv2d, ignored for a Dense layer.
    reference : array, optional
        :math:`M`, of the weight's shape (a Dense matrix or a Conv2d kernel); default 0.

    Returns
    -------
    float

    Notes
    -----
    :math:`\|B\|_{2,1}` is the sum of the :math:`\ell_2` norms of the columns of :math:`B`; the
    columns of :math:`A^\top - M^\top` are the rows of :math:`A - M` (:doc:`/theory/networks`). For a
    convolution :math:`A` is the operator on the flattened input, its rows from :func:`row_norms`.

    References
    ----------
    Bartlett, Foster & Telgarsky (2017), "Spectrally-normalized margin bounds for neural networks",
    NeurIPS, Lemma A.8 (the norm :math:`\|A_h^\top - M_h^\top\|_{2,1}` of the spectral bound).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Dense
    >>> A = np.array([[3.0, 4.0], [0.0, 1.0]])
    >>> bool(np.isclose(l21_norm(Dense(A)), 6.0))
    True
    """
    return float(row_norms(layer, input_shape, ord=2, reference=reference).sum())


def frobenius_norm(
    layer: Dense | Conv2d, input_shape: Sequence[int] | None = None, *, reference: Any = None
) -> float:
    r"""Frobenius norm :math:`\|A - M\|_F` of the layer's operator (not of the kernel).

    Parameters
    ----------
    layer : Dense or Conv2d
        The layer; for a convolution :math:`A` is its operator on flattened inputs.
    input_shape : sequence of 3 ints, optional
        ``(C, H, W)`` of the layer's input; required for a Conv2d, ignored for a Dense layer.
    reference : array, optional
        :math:`M`, of the weight's shape (a Dense matrix or a Conv2d kernel); default 0.

    Returns
    -------
    float

    Notes
    -----
    :math:`\|A - M\|_F^2 = \sum_r \|(A - M)_{r\cdot}\|_2^2`, the sum of the squared row norms of
    :func:`row_norms`. For a convolution each tap counts once per output position where it reads
    inside the image, so the operator's norm differs from the kernel's (by about
    :math:`\sqrt{h' w'}` away from the border).

    References
    ----------
    Golowich, Rakhlin & Shamir (2018), "Size-independent sample complexity of neural networks", COLT
    (the product of Frobenius norms, :doc:`/theory/networks`).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Conv2d
    >>> conv = Conv2d(np.ones((1, 1, 3, 3)), padding="same")   # 4x4 image: 16 rows, border rows cut
    >>> bool(np.isclose(frobenius_norm(conv, (1, 4, 4)) ** 2, 4 * 4 + 8 * 6 + 4 * 9))
    True
    """
    return float(math.sqrt(float((row_norms(layer, input_shape, ord=2, reference=reference) ** 2).sum())))


def l1inf_norm(layer: Dense | Conv2d, input_shape: Sequence[int] | None = None) -> float:
    r"""Largest row :math:`\ell_1` norm :math:`\|A\|_{1,\infty} = \max_r \sum_c |A_{rc}|`.

    It is the :math:`\ell_\infty \to \ell_\infty` operator norm.

    Parameters
    ----------
    layer : Dense or Conv2d
        The layer; for a convolution :math:`A` is its operator on flattened inputs.
    input_shape : sequence of 3 ints, optional
        ``(C, H, W)`` of the layer's input; required for a Conv2d, ignored for a Dense layer.

    Returns
    -------
    float

    Notes
    -----
    :math:`\|A x\|_\infty = \max_r |\sum_c A_{rc} x_c| \le \max_r \|A_{r\cdot}\|_1 \|x\|_\infty`,
    with equality at :math:`x = \operatorname{sign}(A_{r\cdot})` for the maximising row. The row
    :math:`\ell_1` norms of a convolution come from :func:`row_norms` with ``ord=1``. No reference
    matrix: the bound that uses it is stated for :math:`A` itself.

    References
    ----------
    Neyshabur, Tomioka & Srebro (2015), "Norm-based capacity control in neural networks", COLT (the
    per-unit :math:`\ell_1` norm, :doc:`/theory/networks`).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Dense
    >>> bool(np.isclose(l1inf_norm(Dense(np.array([[1.0, -2.0], [0.5, 0.5]]))), 3.0))
    True
    """
    return float(row_norms(layer, input_shape, ord=1).max())


def lipschitz(layer: Any, *, norm: float = 2) -> float:
    r"""Lipschitz constant (bound) of a layer without weights in :math:`\ell_2` or :math:`\ell_\infty`.

    Parameters
    ----------
    layer : ReLU, Flatten or MaxPool2d
        A layer without weights.
    norm : {2, inf}, default 2
        The :math:`\ell_p` norm on inputs and outputs (any value other than 2 is read as
        :math:`\ell_\infty`).

    Returns
    -------
    float

    Notes
    -----
    ReLU acts coordinatewise with :math:`|\rho(a) - \rho(b)| \le |a - b|`, and Flatten only
    reshapes (an isometry): both are 1-Lipschitz in every :math:`\ell_p`. For max-pooling,
    :math:`|\max_{w} a - \max_{w} b| \le \max_{w} |a - b|` on each window :math:`w`, which gives 1 in
    :math:`\ell_\infty`; in :math:`\ell_2`, :math:`\sum_w \max_w |a - b|^2 \le \sum_w \|a_w - b_w\|_2^2
    \le N \|a - b\|_2^2` where :math:`N = \lceil k_h/s_h\rceil\lceil k_w/s_w\rceil` bounds the number
    of windows holding one pixel, so the constant is :math:`\sqrt N` (1 for non-overlapping windows).
    Derived for this project (a standard argument; see the module docstring).

    Examples
    --------
    >>> lipschitz(MaxPool2d(3, 2)) == 2.0 and lipschitz(MaxPool2d(3, 2), norm=float("inf")) == 1.0
    True
    """
    if (
        isinstance(norm, (bool, np.bool_))
        or not isinstance(norm, (numbers.Real, np.floating, np.integer))
        or (norm not in (2, math.inf))
    ):
        raise ValueError(f"norm must be 2 or inf, got {norm!r}")
    if isinstance(layer, (ReLU, Flatten)):
        return 1.0
    if isinstance(layer, MaxPool2d):
        return layer.lipschitz() if norm == 2 else 1.0
    raise TypeError(f"layer must be ReLU, Flatten or MaxPool2d, got {type(layer).__name__}")


# ----------------------------------------------------------------------------- a whole network
@dataclass(frozen=True)
class LayerNorms:
    """Norms of one weighted layer (index into ``Network.layers``)."""

    index: int
    kind: str
    spectral: SpectralNorm
    frobenius: float
    l21: float
    l1inf: float
    has_bias: bool


@dataclass(frozen=True)
class NetworkNorms:
    r"""Per-layer norms of a network and the Lipschitz constants of its weightless layers.

    ``lipschitz_l2`` / ``lipschitz_linf`` are the products over ReLU / MaxPool2d / Flatten layers.
    """

    layers: tuple[LayerNorms, ...]
    lipschitz_l2: float
    lipschitz_linf: float

    @property
    def spectral(self) -> np.ndarray:
        return np.array([lay.spectral.value for lay in self.layers])

    @property
    def spectral_upper(self) -> np.ndarray:
        return np.array([lay.spectral.upper for lay in self.layers])

    @property
    def l21(self) -> np.ndarray:
        return np.array([lay.l21 for lay in self.layers])

    @property
    def frobenius(self) -> np.ndarray:
        return np.array([lay.frobenius for lay in self.layers])

    @property
    def l1inf(self) -> np.ndarray:
        return np.array([lay.l1inf for lay in self.layers])


def network_norms(
    net: Network,
    *,
    method: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 2000,
    seed: Any = 0,
    blas_threads: int | None = None,
) -> NetworkNorms:
    r"""All layer norms of ``net`` (spectral with certificate, Frobenius, (2,1) vs the reference, (1,inf)).

    The computation runs with one BLAS/LAPACK thread (:mod:`radbound._threads`): it is made of
    many small products (per-frequency matrices, Lanczos steps), where threads only add
    synchronisation; on a busy 2-core machine all bounds of the paper's CNN took 0.64 s this way
    against 9.0 s with the default threads (``benchmarks/bench_threads.py``). ``blas_threads`` is
    deprecated (it overrides that choice, with a ``DeprecationWarning``) and will be removed.

    Parameters
    ----------
    net : Network
        The network (Dense / Conv2d layers with ReLU, MaxPool2d, Flatten between them).
    method : {"auto", "exact", "fft", "lanczos", "power"}, default "auto"
        How each spectral norm is computed, as in :func:`spectral_norm`.
    tol : float, default 1e-10
        Relative residual at which the spectral-norm iterations stop (:func:`spectral_norm`).
    max_iter : int, default 2000
        Iteration budget of each spectral norm (:func:`spectral_norm`).
    seed : int or numpy.random.Generator, default 0
        Start vectors of the iterations.
    blas_threads : int, optional
        Deprecated: a BLAS thread count overriding the internal choice of one thread.

    Returns
    -------
    NetworkNorms
        Per-layer :class:`LayerNorms` and the Lipschitz products of the weightless layers.

    Notes
    -----
    A computational helper collecting, per weighted layer :math:`h` with operator :math:`A_h` and
    reference :math:`M_h` (``net.reference_weights()``): :math:`\|A_h\|_\sigma` with its certificate
    (:func:`spectral_norm`), :math:`\|A_h\|_F`, :math:`\|A_h^\top - M_h^\top\|_{2,1}` and
    :math:`\|A_h\|_{1,\infty}`; and the products of the Lipschitz constants (:func:`lipschitz`) of
    the weightless layers, which multiply the products of norms in the bounds
    (:func:`radbound.networks.network_bounds`, :doc:`/theory/networks`).

    References
    ----------
    The norms are those of Bartlett, Foster & Telgarsky (2017), NeurIPS, Lemma A.8 (spectral and
    :math:`(2,1)`); Golowich, Rakhlin & Shamir (2018), COLT (Frobenius); Neyshabur, Tomioka & Srebro
    (2015), COLT (:math:`(1,\infty)`); convolutions as operators: Sedghi, Gupta & Long (2019), ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> net = Network.from_arrays([2 * np.eye(3), np.ones((1, 3))])
    >>> nn = network_norms(net)
    >>> bool(np.allclose(nn.spectral, [2.0, np.sqrt(3)]) and np.allclose(nn.l21, [6.0, np.sqrt(3)]))
    True
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a radbound.networks.Network, got {type(net).__name__}")
    limit: int | str = "auto"
    if blas_threads is not None:
        limit = check_int(blas_threads, "blas_threads", minimum=1)
        warnings.warn(
            "blas_threads is deprecated and will be removed: radbound chooses the BLAS thread count "
            "itself (one thread, the fastest for these small products)",
            DeprecationWarning,
            stacklevel=2,
        )
    with limit_blas_threads(limit):
        return _network_norms(net, method=method, tol=tol, max_iter=max_iter, seed=seed)


def _network_norms(net: Network, *, method: str, tol: float, max_iter: int, seed: Any) -> NetworkNorms:
    rng = check_random_state(seed)
    refs = net.reference_weights()
    out = []
    for (i, layer), ref in zip(net.weighted_layers, refs):
        shape = net.shapes[i]
        s = spectral_norm(layer, shape, method=method, tol=tol, max_iter=max_iter, seed=rng)
        out.append(
            LayerNorms(
                index=i,
                kind=type(layer).__name__,
                spectral=s,
                frobenius=frobenius_norm(layer, shape),
                l21=l21_norm(layer, shape, reference=ref),
                l1inf=l1inf_norm(layer, shape),
                has_bias=layer.bias is not None and bool(np.any(layer.bias != 0)),
            )
        )
    lip2 = lipinf = 1.0
    for layer in net.layers:
        if not layer.has_weight:
            lip2 *= lipschitz(layer, norm=2)
            lipinf *= lipschitz(layer, norm=math.inf)
    return NetworkNorms(tuple(out), lip2, lipinf)
