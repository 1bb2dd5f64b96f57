"""Input validation at the public boundary.

Every check reads like the rule it enforces, and every message names the
parameter, the rule and the value: ``ValueError: p must be in [1, inf], got 0.5``.
No ``assert`` is used for user input (it vanishes under ``python -O``).
"""

from __future__ import annotations

import math
import numbers
import os
import zipfile
import zlib
from typing import Any

import numpy as np

__all__ = [
    "check_exponent",
    "check_nonnegative",
    "check_positive",
    "check_probability",
    "check_int",
    "check_choice",
    "check_matrix",
    "check_binary_labels",
    "check_multiclass_labels",
    "encode_class_labels",
    "check_random_state",
    "check_clip",
    "spawn_generators",
    "is_torch_tensor",
    "read_npz",
    "as_real_array",
    "check_path",
    "check_bool",
    "check_shape",
]


def is_torch_tensor(x: Any) -> bool:
    """True if ``x`` is a torch tensor, without importing torch."""
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def _as_real(value: Any, name: str) -> float:
    if is_torch_tensor(value) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    return float(value)


def check_exponent(p: Any, name: str = "p") -> float:
    """Return ``p`` as a float in ``[1, inf]`` (``"inf"`` accepted), else raise."""
    if isinstance(p, str):
        if p.lower() in ("inf", "infinity"):
            return math.inf
        raise TypeError(f"{name} must be a real number in [1, inf], got {p!r}")
    p = _as_real(p, name)
    if not (p >= 1.0):  # also rejects NaN
        raise ValueError(f"{name} must be in [1, inf], got {p!r}")
    return p


def check_nonnegative(x: Any, name: str) -> float:
    """Return ``x`` as a finite float ``>= 0``, else raise."""
    x = _as_real(x, name)
    if not (x >= 0.0) or not math.isfinite(x):
        raise ValueError(f"{name} must be finite and >= 0, got {x!r}")
    return x


def check_positive(x: Any, name: str) -> float:
    """Return ``x`` as a finite float ``> 0``, else raise."""
    x = _as_real(x, name)
    if not (x > 0.0) or not math.isfinite(x):
        raise ValueError(f"{name} must be finite and > 0, got {x!r}")
    return x


def check_probability(x: Any, name: str = "delta") -> float:
    """Return ``x`` as a float in the open interval (0, 1), else raise."""
    x = _as_real(x, name)
    if not (0.0 < x < 1.0):
        raise ValueError(f"{name} must be in (0, 1), got {x!r}")
    return x


def check_int(x: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``x`` as an int (``>= minimum`` when given), else raise."""
    if isinstance(x, bool) or not isinstance(x, (numbers.Integral, np.integer)):
        if isinstance(x, (float, np.floating)) and float(x).is_integer():
            x = int(x)
        else:
            raise TypeError(f"{name} must be an integer, got {type(x).__name__} {x!r}")
    x = int(x)
    if minimum is not None and x < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {x!r}")
    return x


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_matrix(
    X: Any,
    name: str = "X",
    *,
    allow_torch: bool = True,
    check_finite: bool = True,
    keep_float_dtype: bool = False,
) -> Any:
    """Return ``X`` as a finite 2-D float array (a torch tensor is kept as a tensor).

    numpy inputs are converted to float64 (``keep_float_dtype=True`` keeps float32/float16 inputs
    as they are); integer tensors to float64 tensors. ``check_finite=False`` skips the NaN/inf scan,
    for callers that detect non-finite values more cheaply downstream (e.g. through a product).
    """
    if is_torch_tensor(X):
        if not allow_torch:
            raise TypeError(f"{name} must be a numpy array, got a torch tensor")
        import torch

        if X.dim() != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {tuple(X.shape)}")
        if not X.is_floating_point():
            X = X.to(torch.float64)
        if X.numel() == 0:
            raise ValueError(f"{name} must be non-empty, got shape {tuple(X.shape)}")
        if check_finite and not bool(torch.isfinite(X).all()):
            raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
        return X
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be a 2-D array of real numbers, got {type(X).__name__}")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # pragma: no cover - numpy raises varied errors
        raise TypeError(f"{name} must be a 2-D array of real numbers: {exc}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a 2-D array of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must be non-empty, got shape {arr.shape}")
    if not (keep_float_dtype and np.issubdtype(arr.dtype, np.floating)):
        arr = np.asarray(arr, dtype=np.float64)
    if check_finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def _labels_to_numpy(y: Any, name: str) -> np.ndarray:
    if is_torch_tensor(y):
        y = y.detach().cpu().numpy()
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(f"{name} must be a 1-D array of labels, got {type(y).__name__}")
    try:
        arr = np.asarray(y)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"{name} must be a 1-D array of labels: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real labels, got dtype {arr.dtype}")
    return arr


def check_binary_labels(y: Any, n: int, name: str = "y") -> np.ndarray:
    """Return ``y`` as a float64 numpy vector of length ``n`` with entries in {-1, +1}.

    Complex, boolean, string and object labels are refused (a TypeError naming ``y``).
    """
    arr = _labels_to_numpy(y, name)
    if arr.shape[0] != n:
        raise ValueError(f"{name} must have length n_samples={n}, got {arr.shape[0]}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric with entries in {{-1, +1}}, got dtype {arr.dtype}")
    bad = ~np.isin(arr, (-1, 1))
    if bad.any():
        raise ValueError(
            f"{name} must have entries in {{-1, +1}}, got {arr[bad][0]!r} at index {int(np.argmax(bad))}"
        )
    return arr.astype(np.float64)


def encode_class_labels(
    y: Any, n: int, n_classes: int | None = None, name: str = "y", *, limit_to_n: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Class indices and class labels of multi-class labels ``y`` (the package's one rule).

    Without ``n_classes`` the classes are the distinct labels present, sorted (any integers,
    at least two of them); ``y`` is returned as their indices ``0..K-1``, so that one stray large
    label costs nothing (``[0, 1, 2, 10**6]`` is four classes, never ``10**6 + 1``). With a declared
    ``n_classes = K`` the labels must be integers in ``0..K-1`` (absent classes allowed) and the
    classes are ``0..K-1``; ``K`` may not exceed the number of samples (unless ``limit_to_n`` is
    False, for evaluating a given K-class model, whose ``K`` is already in memory, on a few samples).

    Parameters
    ----------
    y : array-like of shape (n,)
        Integer labels (integer-valued floats accepted; complex, boolean, string and object refused).
    n : int
        Number of samples (the length ``y`` must have).
    n_classes : int, optional
        Declared class count ``K``.
    name : str
        Name used in error messages.
    limit_to_n : bool
        Refuse a declared ``n_classes`` above ``max(n, 2)``.

    Returns
    -------
    (index, classes) : (ndarray of int64, shape (n,)), (ndarray of int64, shape (K,))

    Examples
    --------
    >>> idx, classes = encode_class_labels([3, 7, 3, 1000], 4)
    >>> idx.tolist(), classes.tolist()
    ([0, 1, 0, 2], [3, 7, 1000])
    """
    arr = _labels_to_numpy(y, name)
    if arr.shape[0] != n:
        raise ValueError(f"{name} must have length n_samples={n}, got {arr.shape[0]}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} must hold integer class labels, found NaN or inf")
        if not np.all(np.mod(arr, 1) == 0) or np.abs(arr).max() >= 2.0**53:
            raise ValueError(f"{name} must hold integer class labels, got non-integer values")
    elif arr.dtype == np.uint64 and arr.size and int(arr.max()) >= 2**63:
        raise ValueError(f"{name} must hold integer class labels below 2**63, got {int(arr.max())}")
    arr = arr.astype(np.int64)
    if n_classes is None:
        classes, index = np.unique(arr, return_inverse=True)
        if classes.size < 2:
            raise ValueError(f"{name} must contain at least two classes, got {classes.tolist()}")
        return index.astype(np.int64).reshape(-1), classes.astype(np.int64)
    K = check_int(n_classes, "n_classes", minimum=2)
    if limit_to_n and K > max(n, 2):
        raise ValueError(
            f"n_classes must be <= n_samples={n} (a declared class count above the sample size leaves "
            f"most classes without data), got {K}; omit n_classes to use the labels present"
        )
    if arr.min() < 0 or arr.max() >= K:
        bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
        raise ValueError(f"{name} must hold labels in 0..{K - 1} (n_classes={K}), got {bad}")
    return arr, np.arange(K, dtype=np.int64)


def check_multiclass_labels(
    y: Any, n: int, n_classes: int | None = None, name: str = "y", *, limit_to_n: bool = True
) -> tuple[np.ndarray, int]:
    """Return ``(index, K)``: the class index ``0..K-1`` of every label, and the class count.

    The rule of :func:`encode_class_labels`: without ``n_classes`` the classes are the labels
    present (sorted), with ``n_classes`` the labels must lie in ``0..n_classes-1`` (and
    ``n_classes <= n`` unless ``limit_to_n`` is False, for a model that fixes ``K``).

    Examples
    --------
    >>> idx, K = check_multiclass_labels([0, 1, 2, 0, 1, 10**6], 6)
    >>> idx.tolist(), K
    ([0, 1, 2, 0, 1, 3], 4)
    """
    index, classes = encode_class_labels(y, n, n_classes, name, limit_to_n=limit_to_n)
    return index, int(classes.size)


def check_clip(clip: Any, name: str = "clip") -> tuple[float, float] | None:
    """Return ``clip`` as a box ``(lo, hi)`` of finite floats with ``lo <= hi`` (or None), else raise."""
    if clip is None:
        return None
    try:
        lo, hi = clip
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be None or a pair (lo, hi) of real numbers, got {clip!r}") from exc
    if not (lo <= hi) or not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} must be a pair (lo, hi) of finite numbers with lo <= hi, got {clip!r}")
    return lo, hi


def spawn_generators(seed: Any, n: int) -> list[np.random.Generator]:
    """``n`` independent Generators split from ``seed`` (None, int or Generator) by ``SeedSequence.spawn``.

    An int gives the children of ``SeedSequence(seed)`` (reproducible); a Generator spawns children
    of its own seed sequence (its stream is left untouched); None gives fresh entropy.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        The entry point's seed.
    n : int
        Number of independent streams, ``>= 1``.

    Returns
    -------
    list of numpy.random.Generator

    Examples
    --------
    >>> a, b = spawn_generators(0, 2)
    >>> a2, _ = spawn_generators(0, 2)
    >>> bool(a.random() == a2.random()), bool(a.random() != b.random())
    (True, True)
    """
    n = check_int(n, "n", minimum=1)
    if isinstance(seed, np.random.Generator):
        return _spawn_from_generator(seed, n)
    check_random_state(seed)  # validates seed (type, sign) with the usual message
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def _spawn_from_generator(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """``rng.spawn(n)``, also on numpy < 1.25 (which has no ``Generator.spawn``).

    The fallback repeats numpy's own definition: children of the bit generator's ``SeedSequence``,
    each wrapped in a new bit generator of the same type, so the streams are the same on every numpy.
    """
    spawn = getattr(rng, "spawn", None)
    if spawn is not None:
        return list(spawn(n))
    return _spawn_via_seed_sequence(rng, n)


def _spawn_via_seed_sequence(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """numpy's ``Generator.spawn`` written out (children of the bit generator's ``SeedSequence``)."""
    bit_generator = rng.bit_generator
    seed_seq = getattr(bit_generator, "_seed_seq", None)
    if not isinstance(seed_seq, np.random.SeedSequence):
        raise ValueError("seed: this Generator has no SeedSequence to split; pass an int seed instead")
    return [np.random.Generator(type(bit_generator)(child)) for child in seed_seq.spawn(n)]


def check_random_state(seed: Any) -> np.random.Generator:
    """Turn ``seed`` (None, int, or numpy Generator) into a numpy Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (numbers.Integral, np.integer)) and not isinstance(seed, bool)):
        if seed is not None and int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer or a numpy Generator, got {seed!r}")
        return np.random.default_rng(None if seed is None else int(seed))
    raise TypeError(f"seed must be None, an int or a numpy Generator, got {type(seed).__name__} {seed!r}")


def read_npz(path: Any, what: str = "npz file") -> dict[str, np.ndarray]:
    """Every array of the npz archive ``path`` (a path or a binary file object), read at once.

    Nothing is unpickled. A missing file raises ``FileNotFoundError``; a directory, a truncated or
    corrupt archive (bad CRC, broken deflate stream), an ``.npy`` file instead of an archive, or a
    member numpy cannot read raise ``ValueError`` naming the file and the cause, so that a damaged
    file never surfaces as ``zipfile.BadZipFile`` or ``KeyError`` from deep inside numpy.

    Parameters
    ----------
    path : str, path-like or binary file object
        The archive.
    what : str
        How the file is called in messages, e.g. ``"--data file"`` or ``"network file"``.
    """
    is_file_object = hasattr(path, "read")
    name = repr(getattr(path, "name", "<file object>")) if is_file_object else repr(check_path(path, "path"))
    if not is_file_object:
        path = check_path(path, "path")
        if os.path.isdir(path):
            raise ValueError(f"{what} {name} is a directory, not an npz file")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{what} {name} does not exist")
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not an npz archive")
        with npz:
            return {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{what} {name} is not a readable npz file: {exc}") from exc


def as_real_array(x: Any, name: str) -> np.ndarray:
    """``np.asarray(x)`` for an array of real numbers (bool, integer or float), refused by name
    otherwise: a ragged nested list, strings, objects, complex values, None."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be an array of real numbers: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    return arr


def check_path(path: Any, name: str = "path") -> str:
    """``path`` as a string: a str or an ``os.PathLike`` (``pathlib.Path``), refused by name otherwise."""
    if isinstance(path, (str, os.PathLike)):
        return os.fspath(path)
    raise TypeError(f"{name} must be a str or a path-like object, got {type(path).__name__} {path!r}")


def check_bool(x: Any, name: str) -> bool:
    """``x`` as a bool: True/False (Python or numpy), refused by name otherwise ("yes", 2, 0.5, None)."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    raise TypeError(f"{name} must be True or False, got {type(x).__name__} {x!r}")


def check_shape(shape: Any, name: str = "input_shape") -> tuple[int, ...]:
    """``shape`` as a non-empty tuple of positive integers, refused by name otherwise."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(
            f"{name} must be a sequence of positive integers, got {type(shape).__name__} {shape!r}"
        )
    dims = tuple(shape)
    if not dims or not all(
        isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool) and int(v) >= 1
        for v in dims
    ):
        raise ValueError(f"{name} must be a non-empty sequence of positive integers, got {shape!r}")
    return tuple(int(v) for v in dims)
