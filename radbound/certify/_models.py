"""Turn the models the certify functions accept into a :class:`~radbound.networks.Network`.

Accepted: a ``Network``; a :class:`radbound.train.LinearModel`; a pair ``(W, b)`` (``W`` of shape
``(d,)`` for a binary model with labels in {-1, +1}, ``(K, d)`` for K classes); a torch
``nn.Sequential`` of Linear / Conv2d / ReLU / MaxPool2d / Flatten layers (extracted with
:meth:`radbound.networks.Network.from_torch`, the input shape read from ``X``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import is_torch_tensor
from ..networks.layers import Dense, MaxPool2d, Network, ReLU

__all__ = ["as_network", "is_affine", "prepare_inputs", "model_labels", "model_classes", "real_array"]


def _to_numpy(a: Any) -> Any:
    return a.detach().cpu().numpy() if is_torch_tensor(a) else a


def real_array(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as a float64 numpy array, refusing (by name) ragged, string, object and complex input."""
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be an array of real numbers, got {type(X).__name__}")
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array of real numbers: {exc}") from None
    if arr.dtype == object and isinstance(X, (list, tuple)):  # numpy < 1.24 makes ragged lists object arrays
        try:
            np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be a rectangular array of real numbers: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    return np.asarray(arr, dtype=np.float64)


def as_network(model: Any, sample_shape: tuple[int, ...] | None = None, name: str = "net") -> Network:
    """A :class:`Network` for ``model`` (see the module docstring); ``sample_shape`` is ``X.shape[1:]``."""
    if isinstance(model, Network):
        return model
    try:
        if hasattr(model, "W") and hasattr(model, "b") and hasattr(model, "decision_function"):
            return _linear_network(model.W, model.b, name)
        if isinstance(model, tuple) and len(model) == 2:
            return _linear_network(model[0], model[1], name)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        raise type(exc)(message if message.startswith(name) else f"{name}: {message}") from None
    if type(model).__module__.startswith("torch"):
        if sample_shape is None:
            raise ValueError(f"{name}: a torch module needs X to fix its input shape")
        return Network.from_torch(model, tuple(sample_shape))
    raise TypeError(
        f"{name} must be a radbound.networks.Network, a LinearModel, a pair (W, b) or a torch "
        f"nn.Sequential, got {type(model).__name__}"
    )


def _linear_network(W: Any, b: Any, name: str) -> Network:
    W = real_array(_to_numpy(W), "W")
    if W.ndim == 1:
        b0 = 0.0 if b is None else float(np.asarray(_to_numpy(b), dtype=np.float64).reshape(()))
        return Network((Dense(W[None, :], np.array([b0])),), (W.shape[0],))
    if W.ndim != 2:
        raise ValueError(f"{name}: W must have shape (d,) or (K, d), got {W.shape}")
    bias: np.ndarray | None = None
    if b is not None:
        bias = real_array(_to_numpy(b), "b").reshape(-1)
        if bias.shape == (1,) and W.shape[0] > 1:
            bias = np.full(W.shape[0], float(bias[0]))
        if bias.shape != (W.shape[0],):
            raise ValueError(f"b must have {W.shape[0]} entries (one per row of W), got shape {bias.shape}")
    return Network((Dense(W, bias),), (W.shape[1],))


def model_labels(model: Any, y: Any) -> Any:
    """Labels as row indices of the model: a LinearModel maps its ``classes`` (``class_index``)."""
    if hasattr(model, "class_index") and hasattr(model, "classes") and not isinstance(model, Network):
        return model.class_index(_to_numpy(y))
    return y


def model_classes(model: Any) -> np.ndarray | None:
    """The label of each output row of a multi-class LinearModel (None for other models)."""
    if hasattr(model, "class_index") and hasattr(model, "classes") and np.ndim(model.W) == 2:
        return np.asarray(model.classes)
    return None


def is_affine(net: Network) -> bool:
    """True when ``net`` has no ReLU / MaxPool2d (an affine map: every certificate is exact)."""
    return not any(isinstance(layer, (ReLU, MaxPool2d)) for layer in net.layers)


def prepare_inputs(net: Network, X: Any, name: str = "X") -> tuple[Any, int]:
    """Check the shape of ``X`` (numpy or torch) and return it as ``(n, *input_shape)`` and n."""
    shape = tuple(X.shape) if hasattr(X, "shape") else np.shape(X)
    if len(shape) < 2:
        raise ValueError(
            f"{name} must have shape (n, {net.input_dim}) or (n, *{net.input_shape}), got {shape}"
        )
    n = int(shape[0])
    if n == 0:
        raise ValueError(f"{name} must be non-empty, got shape {shape}")
    if tuple(shape[1:]) == net.input_shape:
        return X, n
    if len(shape) == 2 and shape[1] == net.input_dim:
        return X.reshape((n, *net.input_shape)), n
    raise ValueError(f"{name} must have shape (n, {net.input_dim}) or (n, *{net.input_shape}), got {shape}")
