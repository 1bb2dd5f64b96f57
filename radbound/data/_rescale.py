"""l2-preserving rescaling of 28 x 28 images, by the paper's block rules or by interpolation.

The paper's protocol is in :doc:`/theory/experiments`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_matrix, is_torch_tensor

__all__ = ["rescale_images", "resampling_matrix"]

_SIDES = (14, 28, 56)
_METHODS = ("block", "bilinear", "lanczos")
_SUPPORT = {"bilinear": 1.0, "lanczos": 3.0}


def _kernel(method: str, t: np.ndarray) -> np.ndarray:
    """The interpolation kernel: triangle (bilinear) or Lanczos-3, zero outside its support."""
    a = np.abs(t)
    if method == "bilinear":
        return np.maximum(1.0 - a, 0.0)
    return np.where(a < 3.0, np.sinc(t) * np.sinc(t / 3.0), 0.0)


def resampling_matrix(n_in: int, n_out: int, *, method: str = "bilinear") -> np.ndarray:
    r"""The 1-D resampling matrix :math:`R \in \mathbb R^{n_{out} \times n_{in}}` of an interpolation kernel.

    Output pixel :math:`i` is centred at :math:`c_i = (i + \tfrac12)\, s` in input coordinates,
    :math:`s = n_{in} / n_{out}`; with the kernel :math:`k` stretched by :math:`f = \max(s, 1)` (an
    antialiasing low-pass filter when shrinking),

    .. math::
        R_{ij} = \frac{k\big((j + \tfrac12 - c_i)/f\big)}{\sum_{j'} k\big((j' + \tfrac12 - c_i)/f\big)},
        \qquad j = 0, \dots, n_{in} - 1,

    so every row sums to 1 (pixels outside the image are left out and the rest renormalised).
    :math:`k(t) = \max(1 - |t|, 0)` for ``"bilinear"`` and
    :math:`k(t) = \mathrm{sinc}(t)\,\mathrm{sinc}(t/3)` on :math:`|t| < 3` for ``"lanczos"``
    (normalised sinc). This is the convention of Pillow's ``Image.resize`` (its ``BILINEAR`` and
    ``LANCZOS`` filters), which the tests use as an independent oracle. A 2-D image
    :math:`x \in \mathbb R^{n_{in} \times n_{in}}` is resampled as :math:`R x R^\top`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output lengths (>= 1).
    method : {"bilinear", "lanczos"}

    Returns
    -------
    ndarray of shape (n_out, n_in), float64

    References
    ----------
    Duchon (1979), "Lanczos filtering in one and two dimensions", Journal of Applied Meteorology 18
    (the Lanczos window); Pillow's ``Image.resize`` (``src/libImaging/Resample.c``) for the pixel-centre
    and antialiasing conventions.

    Examples
    --------
    >>> import numpy as np
    >>> R = resampling_matrix(28, 56, method="lanczos")
    >>> bool(R.shape == (56, 28) and np.allclose(R.sum(axis=1), 1.0))
    True
    >>> bool(np.allclose(resampling_matrix(28, 28, method="lanczos"), np.eye(28)))   # same size: identity
    True
    """
    n_in = check_int(n_in, "n_in", minimum=1)
    n_out = check_int(n_out, "n_out", minimum=1)
    check_choice(method, "method", tuple(_SUPPORT))
    if n_in * n_out > 2**27:  # the kernel table and the matrix, float64
        raise ValueError(
            f"n_in * n_out = {n_in:,} * {n_out:,} entries need {n_in * n_out * 16 / 2**30:.3g} GiB, "
            "above the limit of 2 GiB"
        )
    scale = n_in / n_out
    stretch = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale
    t = (np.arange(n_in)[None, :] + 0.5 - centres[:, None]) / stretch
    K = _kernel(method, t)
    # the kernel's support is |t| < support; rounding at the edge can leave a tiny negative weight
    K[np.abs(t) >= _SUPPORT[method]] = 0.0
    total = K.sum(axis=1, keepdims=True)
    if np.any(total <= 0):  # pragma: no cover - every centre lies inside the image, so weights exist
        raise ValueError(f"no input pixel under the {method} kernel for n_in={n_in}, n_out={n_out}")
    return K / total


def _row_exponents(X: Any) -> Any:
    """Per row, the power of two ``e`` that brings the row's largest entry into ``[1/2, 1)`` when that
    entry is so large (or small) that its square overflows (or underflows), else 0.

    Scaling a row by ``2**-e`` and the result back by ``2**e`` is exact, so rows of ordinary size give
    the same bits as without scaling, and rows near the ends of the float range give finite answers
    whenever the answer is finite (the norms are computed in the scaled units).
    """
    if is_torch_tensor(X):
        import torch

        info = torch.finfo(X.dtype)
        top = X.abs().amax(dim=1)
        e = torch.frexp(top).exponent
        hi, lo = 2.0 ** (math.log2(info.max) / 2 - 8), 2.0 ** (math.log2(info.tiny) / 2 + 8)
        return torch.where((top > hi) | ((top > 0) & (top < lo)), e, torch.zeros_like(e))
    finfo = np.finfo(X.dtype)
    top = np.max(np.abs(X), axis=1)
    e = np.frexp(top)[1]
    hi, lo = 2.0 ** (finfo.maxexp // 2 - 8), 2.0 ** (finfo.minexp // 2 + 8)
    return np.where((top > hi) | ((top > 0) & (top < lo)), e, 0)


def _ldexp_rows(A: Any, e: Any) -> Any:
    """``A * 2**e`` row by row (exact unless the result leaves the float range)."""
    if is_torch_tensor(A):
        import torch

        return torch.ldexp(A, e[:, None].to(A.dtype))
    with np.errstate(over="ignore"):  # an overflow is reported by the caller, naming X
        return np.ldexp(A, e[:, None])


def _scaled(transform: Any, X: Any, *args: Any) -> Any:
    """``transform`` (positively homogeneous of degree 1 per row) applied in power-of-two units."""
    e = _row_exponents(X)
    if not bool((e != 0).any()):
        return transform(X, *args)
    out = _ldexp_rows(transform(_ldexp_rows(X, -e), *args), e)
    finite = bool(out.isfinite().all()) if is_torch_tensor(out) else bool(np.isfinite(out).all())
    if not finite:
        raise OverflowError(
            "X too large: the rescaled images have entries beyond the float range "
            f"(largest |X| entry {float(abs(X).max()):.3g})"
        )
    return out


def _block(X: Any, n: int, side: int) -> Any:
    if side == 28:
        return X.clone() if is_torch_tensor(X) else X.copy()
    if is_torch_tensor(X):
        if side == 14:
            return X.reshape(n, 14, 2, 14, 2).square().sum(dim=(2, 4)).sqrt().reshape(n, 196)
        img = X.reshape(n, 28, 28).repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)
        return (img / 2).reshape(n, 3136)
    if side == 14:
        return np.sqrt(np.square(X.reshape(n, 14, 2, 14, 2)).sum(axis=(2, 4))).reshape(n, 196)
    img = X.reshape(n, 28, 28) / 2.0
    return img.repeat(2, axis=1).repeat(2, axis=2).reshape(n, 3136)


def _interpolate(X: Any, n: int, side: int, method: str) -> Any:
    R = resampling_matrix(28, side, method=method)
    img = X.reshape(n, 28, 28)
    if is_torch_tensor(X):
        import torch

        Rt = torch.as_tensor(R, dtype=X.dtype, device=X.device)
        out = (Rt @ img @ Rt.T).reshape(n, side * side)
        old = torch.linalg.vector_norm(X, dim=1, keepdim=True)
        new = torch.linalg.vector_norm(out, dim=1, keepdim=True)
        return out * torch.where(new > 0, old / torch.where(new > 0, new, torch.ones_like(new)), 0.0)
    out = (R @ img @ R.T).reshape(n, side * side)
    old = np.linalg.norm(X, axis=1, keepdims=True)
    new = np.linalg.norm(out, axis=1, keepdims=True)
    return out * np.where(new > 0, old / np.where(new > 0, new, 1.0), 0.0)


def rescale_images(X: Any, side: int, *, method: str = "block") -> Any:
    r"""Rescale flattened 28 x 28 images to ``side`` x ``side`` keeping each image's l2 norm.

    With :math:`x \in \mathbb R^{28 \times 28}` an image (rows of ``X`` are its row-major
    flattening):

    ``method="block"`` (the paper's rule; ``side`` in {14, 28, 56}):

    * ``side = 14``: each 2 x 2 block becomes its l2 norm,
      :math:`x'_{ij} = \big(\sum_{a, b \in \{0, 1\}} x_{2i+a,\,2j+b}^2\big)^{1/2}`;
    * ``side = 56``: each pixel becomes a 2 x 2 block of value half the pixel,
      :math:`x'_{2i+a,\,2j+b} = x_{ij} / 2`;
    * ``side = 28``: a copy.

    ``method="bilinear"`` or ``"lanczos"`` (any ``side >= 1``): interpolation followed by a rescaling
    to the original norm,

    .. math::
        x' = \frac{\|x\|_2}{\|R x R^\top\|_2}\; R x R^\top

    (:math:`x' = 0` when :math:`R x R^\top = 0`), with :math:`R` the :func:`resampling_matrix` of
    the kernel (antialiased when shrinking). At ``side = 28``, :math:`R` is the identity (both kernels
    interpolate: 1 at 0, 0 at the other integers) and the copy is returned exactly.

    In every case :math:`\|x'\|_2 = \|x\|_2`, so only the dimension :math:`d = \text{side}^2` changes.
    The block rule is the protocol of the "dimension" experiment on linear classifiers of Yin,
    Ramchandran & Bartlett (2019), as in their public code. Its 56 x 56 images are block-constant:
    a linear model trained on them from zero by the paper's SGD stays block-constant, and is then the
    28 x 28 model trained at twice the attack radius (:doc:`/theory/experiments`); interpolation gives images
    that are not block-constant, so the :math:`\ell_\infty` attack on 3136 pixels is not a 784-pixel
    attack in disguise.

    Parameters
    ----------
    X : array of shape (n, 784)
        numpy array (returned as float64) or torch tensor (kept on its device and dtype).
    side : int
        {14, 28, 56} for ``"block"``; any integer >= 1 for interpolation.
    method : {"block", "bilinear", "lanczos"}

    Returns
    -------
    array of shape (n, side * side)

    References
    ----------
    Yin, Ramchandran & Bartlett, "Rademacher Complexity for Adversarially Robust Generalization",
    ICML 2019, experiments on linear classifiers (the figure varying the input dimension).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.data import rescale_images
    >>> X = np.random.default_rng(0).random((3, 784))
    >>> norms = lambda A: np.linalg.norm(A, axis=1)
    >>> all(np.allclose(norms(rescale_images(X, s)), norms(X), rtol=1e-13) for s in (14, 28, 56))
    True
    >>> rescale_images(X, 56).shape
    (3, 3136)
    >>> bool(np.allclose(norms(rescale_images(X, 56, method="lanczos")), norms(X), rtol=1e-13))
    True
    """
    method = check_choice(method, "method", _METHODS)
    side = check_int(side, "side", minimum=1)
    if method == "block" and side not in _SIDES:
        raise ValueError(
            f"side must be one of {list(_SIDES)}, got {side} (method='block'; interpolation takes any side)"
        )
    X = check_matrix(X, "X")
    n, d = X.shape
    if d != 784:
        raise ValueError(f"X must have 784 = 28*28 columns (flattened 28x28 images), got {d}")
    if method == "block" or side == 28:  # the interpolation matrix at side 28 is the identity
        return _scaled(_block, X, n, side)
    return _scaled(_interpolate, X, n, side, method)
