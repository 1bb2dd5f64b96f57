"""l2-preserving rescaling of 28 x 28 images to 14 x 14 and 56 x 56 (:doc:`/theory/experiments`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int, check_matrix, is_torch_tensor

__all__ = ["rescale_images"]

_SIDES = (14, 28, 56)


def rescale_images(X: Any, side: int) -> Any:
    r"""Rescale flattened 28 x 28 images to ``side`` x ``side`` keeping each image's l2 norm.

    With :math:`x \in \mathbb R^{28 \times 28}` an image (rows of ``X`` are its row-major
    flattening):

    * ``side = 14``: each 2 x 2 block becomes its l2 norm,
      :math:`x'_{ij} = \big(\sum_{a, b \in \{0, 1\}} x_{2i+a,\,2j+b}^2\big)^{1/2}`;
    * ``side = 56``: each pixel becomes a 2 x 2 block of value half the pixel,
      :math:`x'_{2i+a,\,2j+b} = x_{ij} / 2`;
    * ``side = 28``: a copy.

    In every case :math:`\|x'\|_2 = \|x\|_2` (the squares of a block add up to the square of its
    norm; four copies of :math:`x_{ij}/2` have squared sum :math:`x_{ij}^2`), so only the
    dimension :math:`d \in \{196, 784, 3136\}` changes. This is the protocol of the "dimension"
    experiment on linear classifiers of Yin, Ramchandran & Bartlett (2019), as in their public code.

    Parameters
    ----------
    X : array of shape (n, 784)
        numpy array (returned as float64) or torch tensor (kept on its device and dtype).
    side : {14, 28, 56}

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
    """
    side = check_int(side, "side")
    if side not in _SIDES:
        raise ValueError(f"side must be one of {list(_SIDES)}, got {side}")
    X = check_matrix(X, "X")
    n, d = X.shape
    if d != 784:
        raise ValueError(f"X must have 784 = 28*28 columns (flattened 28x28 images), got {d}")
    if is_torch_tensor(X):
        if side == 28:
            return X.clone()
        if side == 14:
            return X.reshape(n, 14, 2, 14, 2).square().sum(dim=(2, 4)).sqrt().reshape(n, 196)
        img = X.reshape(n, 28, 28).repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)
        return (img / 2).reshape(n, 3136)
    if side == 28:
        return X.copy()
    if side == 14:
        return np.sqrt(np.square(X.reshape(n, 14, 2, 14, 2)).sum(axis=(2, 4))).reshape(n, 196)
    img = X.reshape(n, 28, 28) / 2.0
    return img.repeat(2, axis=1).repeat(2, axis=2).reshape(n, 3136)
