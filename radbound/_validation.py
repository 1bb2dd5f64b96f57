"""Input validation at the public boundary.

Every check reads like the rule it enforces, and every message names the
parameter, the rule and the value: ``ValueError: p must be in [1, inf], got 0.5``.
No ``assert`` is used for user input (it vanishes under ``python -O``).
"""

from __future__ import annotations

import math
import numbers
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
    "check_random_state",
    "check_clip",
    "spawn_generators",
    "is_torch_tensor",
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
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def check_binary_labels(y: Any, n: int, name: str = "y") -> np.ndarray:
    """Return ``y`` as a float64 numpy vector of length ``n`` with entries in {-1, +1}."""
    arr = _labels_to_numpy(y, name)
    if arr.shape[0] != n:
        raise ValueError(f"{name} must have length n_samples={n}, got {arr.shape[0]}")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric with entries in {{-1, +1}}, got dtype {arr.dtype}")
    bad = ~np.isin(arr, (-1, 1))
    if bad.any():
        raise ValueError(
            f"{name} must have entries in {{-1, +1}}, got {arr[bad][0]!r} at index {int(np.argmax(bad))}"
        )
    return arr.astype(np.float64)


def check_multiclass_labels(
    y: Any, n: int, n_classes: int | None = None, name: str = "y"
) -> tuple[np.ndarray, int]:
    """Return ``(y, K)``: integer labels in ``0..K-1`` of length ``n``.

    When ``n_classes`` is None, ``K = max(y) + 1`` and at least two classes must
    occur; otherwise every label must be below ``n_classes``.
    """
    arr = _labels_to_numpy(y, name)
    if arr.shape[0] != n:
        raise ValueError(f"{name} must have length n_samples={n}, got {arr.shape[0]}")
    if not np.issubdtype(arr.dtype, np.number) or (
        np.issubdtype(arr.dtype, np.floating) and not np.all(np.mod(arr, 1) == 0)
    ):
        raise ValueError(f"{name} must hold integer class labels 0..K-1, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.min() < 0:
        raise ValueError(f"{name} must hold labels >= 0, got {int(arr.min())}")
    if n_classes is None:
        k = int(arr.max()) + 1
        if np.unique(arr).size < 2:
            raise ValueError(f"{name} must contain at least two classes, got {np.unique(arr).tolist()}")
    else:
        k = check_int(n_classes, "n_classes", minimum=2)
        if arr.max() >= k:
            raise ValueError(f"{name} must hold labels in 0..{k - 1} (n_classes={k}), got {int(arr.max())}")
    return arr, k


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
