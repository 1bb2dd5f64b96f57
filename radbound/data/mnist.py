"""MNIST: the bundled 10,000 digits, the standard IDX / npz files, and their download.

Resolution order of :func:`load_mnist`: an explicit ``path``; else the environment variable
``RADBOUND_MNIST``; else, with ``download=True``, the cache directory (files fetched when
missing); else the 10,000 digits bundled with radbound (``mnist10k.npz``, see ``NOTICE.md``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .._validation import check_choice, check_path, read_npz
from ._dataset import Dataset
from ._download import FILES, HOW_TO_SUPPLY, download_mnist
from ._idx import read_idx

__all__ = ["load_mnist", "BUNDLED_PATH", "BUNDLED_SHA256", "ENV_VAR"]

#: The bundled file (10,000 digits as uint8, rows grouped by label).
BUNDLED_PATH = Path(__file__).with_name("mnist10k.npz")
#: Its SHA-256, checked on first use.
BUNDLED_SHA256 = "f5c5d9d75a48e7ea9a81b7ff155b21051e8b9511eab90f5078cf59216e4d0a8f"
#: Environment variable naming a directory (or npz file) with the full MNIST.
ENV_VAR = "RADBOUND_MNIST"
#: Number of bundled digits of each label 0..9.
BUNDLED_COUNTS = (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978)

_SUBSETS = ("all", "train", "test")
_bundled_checked = False


def _as_images(x: np.ndarray, where: str) -> np.ndarray:
    """(n, 28, 28) or (n, 784) integer 0..255 or float [0, 1] -> (n, 784) float64 in [0, 1]."""
    if x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(x.shape[0], 784)
    if x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"{where}: MNIST images must have shape (n, 28, 28) or (n, 784), got {x.shape}")
    if np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise ValueError(f"{where}: integer pixels must lie in 0..255, got {x.min()}..{x.max()}")
        return x.astype(np.float64) / 255.0
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
        if not np.isfinite(x).all() or (x.size and (x.min() < 0.0 or x.max() > 1.0)):
            raise ValueError(f"{where}: float pixels must lie in [0, 1], got range [{x.min()}, {x.max()}]")
        return x
    raise TypeError(f"{where}: images must be numeric, got dtype {x.dtype}")


def _as_labels(y: np.ndarray, n: int, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{where}: labels must have shape ({n},) to match the images, got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) and not (
        np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0)
    ):
        raise ValueError(f"{where}: labels must be integers 0..9, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() > 9):
        raise ValueError(f"{where}: labels must lie in 0..9, got {y.min()}..{y.max()}")
    return y


def _load_bundled(subset: str) -> Dataset:
    global _bundled_checked
    if subset != "all":
        raise ValueError(
            f"subset must be 'all' for the bundled 10,000 digits (they carry no official train/test "
            f"split), got {subset!r}; use Dataset.split(test_size, seed=...) or supply the full MNIST. "
            + HOW_TO_SUPPLY
        )
    if not BUNDLED_PATH.is_file():
        raise FileNotFoundError(f"the bundled MNIST file is missing: {BUNDLED_PATH} (reinstall radbound)")
    if not _bundled_checked:
        got = hashlib.sha256(BUNDLED_PATH.read_bytes()).hexdigest()
        if got != BUNDLED_SHA256:
            raise ValueError(
                f"the bundled MNIST file {BUNDLED_PATH} is corrupt: sha256 {got}, expected {BUNDLED_SHA256} "
                "(reinstall radbound, or rebuild it with radbound/data/rebuild_mnist10k.py)"
            )
        _bundled_checked = True
    with np.load(BUNDLED_PATH, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    X = _as_images(x, str(BUNDLED_PATH))
    return Dataset(
        X,
        _as_labels(y, X.shape[0], str(BUNDLED_PATH)),
        source=f"bundled:{BUNDLED_PATH.name}",
        name="mnist10k",
    )


def _load_npz(path: Path, subset: str) -> Dataset:
    f = read_npz(path, "MNIST file")
    keys = set(f)
    if {"x_train", "y_train", "x_test", "y_test"} <= keys:
        parts = ("train", "test") if subset == "all" else (subset,)
        xs, ys = [], []
        for part in parts:
            X = _as_images(f[f"x_{part}"], f"{path}[x_{part}]")
            xs.append(X)
            ys.append(_as_labels(f[f"y_{part}"], X.shape[0], f"{path}[y_{part}]"))
        X, y = np.concatenate(xs), np.concatenate(ys)
    elif {"x", "y"} <= keys:
        if subset != "all":
            raise ValueError(
                f"subset={subset!r} needs an npz with keys x_train, y_train, x_test, y_test; "
                f"{path} has only x and y (use subset='all' and Dataset.split)"
            )
        X = _as_images(f["x"], f"{path}[x]")
        y = _as_labels(f["y"], X.shape[0], f"{path}[y]")
    else:
        raise ValueError(
            f"{path}: an MNIST npz must hold keys x, y or x_train, y_train, x_test, y_test "
            f"(as keras' mnist.npz), got {sorted(keys)}"
        )
    name = "mnist" if subset == "all" else f"mnist-{subset}"
    return Dataset(X, y, source=str(path), name=name)


def _find(directory: Path, stem: str) -> Path | None:
    """The file for ``stem`` in ``directory``: plain or ``.gz``; also ``train-images.idx3-ubyte`` naming."""
    dotted = stem.replace("-idx", ".idx")
    for folder in (directory, directory / "MNIST" / "raw"):
        for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def _load_idx_dir(directory: Path, subset: str) -> Dataset:
    parts = ("train", "test") if subset == "all" else (subset,)
    stems = [stem for part in parts for stem in FILES[part]]
    found = {stem: _find(directory, stem) for stem in stems}
    missing = [stem for stem, p in found.items() if p is None]
    if missing:
        npz = directory / "mnist.npz"
        if npz.is_file():
            return _load_npz(npz, subset)
        listing = sorted(p.name for p in directory.iterdir())[:20] if directory.is_dir() else []
        raise FileNotFoundError(
            f"{directory} does not hold MNIST for subset={subset!r}: missing "
            + ", ".join(f"{s}[.gz]" for s in missing)
            + f" (found: {listing or 'nothing'}). "
            + "Pass download=True to fetch them, or: "
            + HOW_TO_SUPPLY
        )
    paths = {stem: p for stem, p in found.items() if p is not None}  # all present (checked above)
    xs, ys = [], []
    for part in parts:
        img_path, lab_path = (paths[stem] for stem in FILES[part])
        images, labels = read_idx(img_path), read_idx(lab_path)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(
                f"{img_path}: MNIST images must be uint8 of shape (n, 28, 28) (magic 0x00000803), "
                f"got {images.dtype} {images.shape}"
            )
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise ValueError(
                f"{lab_path}: MNIST labels must be uint8 of shape (n,) (magic 0x00000801), "
                f"got {labels.dtype} {labels.shape}"
            )
        X = _as_images(images, str(img_path))
        xs.append(X)
        ys.append(_as_labels(labels, X.shape[0], str(lab_path)))
    name = "mnist" if subset == "all" else f"mnist-{subset}"
    return Dataset(np.concatenate(xs), np.concatenate(ys), source=str(directory), name=name)


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    subset: str = "all",
    download: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> Dataset:
    r"""Load MNIST as a :class:`Dataset` of float64 images in [0, 1] and int64 labels 0..9.

    Each image :math:`x \in [0, 1]^{784}` is the 28 x 28 grey image, row-major, with
    :math:`x_j = b_j / 255` for the stored byte :math:`b_j \in \{0, \dots, 255\}`.

    Where the data come from:

    1. ``path`` given: a directory holding the standard IDX files
       (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
       ``t10k-labels-idx1-ubyte``, each gzipped or not; also found under ``DIR/MNIST/raw`` as
       torchvision stores them, or a ``DIR/mnist.npz``), or an ``.npz`` file with keys ``x, y``
       or ``x_train, y_train, x_test, y_test`` (keras' ``mnist.npz``);
    2. else the environment variable ``RADBOUND_MNIST``, read the same way;
    3. else, with ``download=True``, ``cache_dir`` (default ``~/.cache/radbound/mnist``), where
       missing files are downloaded and every file's SHA-256 is checked;
    4. else the 10,000 digits bundled with radbound (``name="mnist10k"``; labels grouped, shuffle
       with :meth:`Dataset.split`; provenance and licences in ``radbound/data/NOTICE.md``).

    With ``download=True`` and a ``path`` (or ``RADBOUND_MNIST``) directory, missing files are
    downloaded into that directory.

    Parameters
    ----------
    path : path-like, optional
    subset : {"all", "train", "test"}
        ``"train"`` = the 60,000 training images, ``"test"`` = the 10,000 test images, ``"all"``
        = both, training first (70,000). The bundled data accept only ``"all"``.
    download : bool
        Fetch the four standard files when missing (needs network access).
    cache_dir : path-like, optional
        Where ``download=True`` stores the files when no ``path`` is given.

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError
        ``path`` missing, or a directory without the files the subset needs (the message says how
        to supply them).
    ValueError
        A malformed file (bad IDX magic number, truncated file, wrong shapes or keys).
    OSError
        ``download=True`` without network access or with a checksum mismatch.

    References
    ----------
    Y. LeCun, C. Cortes and C. J. C. Burges, *The MNIST database of handwritten digits* (CC BY-SA 3.0).

    Examples
    --------
    >>> from radbound.data import load_mnist
    >>> ds = load_mnist()  # the bundled 10,000 digits (unless RADBOUND_MNIST is set)
    >>> ds.n_features, ds.X.dtype.name, ds.y.dtype.name
    (784, 'float64', 'int64')
    >>> bool(ds.X.min() == 0.0 and ds.X.max() == 1.0)
    True
    """
    check_choice(subset, "subset", _SUBSETS)
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool, got {type(download).__name__} {download!r}")
    if cache_dir is not None and not download:
        raise ValueError(
            "cache_dir is only used with download=True; to load files already there pass path=cache_dir"
        )
    from_env = ""
    if path is None:
        from_env = os.environ.get(ENV_VAR, "").strip()
        if from_env:
            path = from_env
    if path is None:
        if not download:
            return _load_bundled(subset)
        path = download_mnist(cache_dir, subset=subset)
        return _load_idx_dir(Path(path), subset)
    try:
        return _load_path(Path(check_path(path, "path")).expanduser(), subset, download)
    except (FileNotFoundError, ValueError) as exc:
        if from_env:
            raise type(exc)(f"(path from the environment variable {ENV_VAR}={from_env!r}) {exc}") from exc
        raise


def _load_path(path: Path, subset: str, download: bool) -> Dataset:
    if path.is_file():
        if path.suffix != ".npz":
            raise ValueError(
                f"path must be a directory with the MNIST IDX files or an .npz file, got the file {path}"
            )
        return _load_npz(path, subset)
    if download:
        download_mnist(path, subset=subset)
    elif not path.exists():
        raise FileNotFoundError(f"path {path} does not exist. " + HOW_TO_SUPPLY)
    return _load_idx_dir(path, subset)
