"""Data: the bundled MNIST digits, loaders for the standard MNIST files, l2-preserving rescaling.

``load_mnist()`` works offline: it returns the 10,000 real MNIST digits shipped with radbound
(provenance and licences in ``NOTICE.md``). The full 70,000-image MNIST loads from the standard
IDX or npz files given by a path or the ``RADBOUND_MNIST`` environment variable, or is downloaded
(SHA-256 checked) with ``download=True``.

Names
-----
GaussianMixture
    Synthetic binary Gaussian classes with closed-form true natural, adversarial and ramp risks
    of linear classifiers (ground truth for bounds).
Dataset
    Frozen container ``(X, y, source, name)`` with ``split``, ``subset``, ``binary``.
load_mnist
    Bundled digits, IDX / npz files, or download.
download_mnist
    Fetch the four standard files into a directory (checksums verified).
rescale_images
    28 x 28 -> 14 x 14 or 56 x 56 (or any side by interpolation) keeping each image's l2 norm.
resampling_matrix
    The 1-D bilinear / Lanczos resampling matrix behind the interpolating rescaling.
read_idx
    Parser of the IDX file format.
"""

from __future__ import annotations

from ._dataset import Dataset
from ._download import download_mnist
from ._gaussian import GaussianMixture
from ._idx import read_idx
from ._rescale import resampling_matrix, rescale_images
from .mnist import load_mnist

__all__ = [
    "Dataset",
    "GaussianMixture",
    "download_mnist",
    "load_mnist",
    "read_idx",
    "resampling_matrix",
    "rescale_images",
]
