"""Turn the models the certify functions accept into a :class:`~radbound.networks.Network`.

Accepted: a ``Network``; a :class:`radbound.train.LinearModel`; a pair ``(W, b)`` (``W`` of shape
``(d,)`` for a binary model with labels in {-1, +1}, ``(K, d)`` for K classes); a torch
``nn.Sequential`` of Linear / Conv2d / ReLU / MaxPool2d / Flatten layers (extracted with
:meth:`radbound.networks.Network.from_torch`, the input shape read from ``X``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_real_array, is_torch_tensor
from ..networks.layers import Dense, MaxPool2d, Network, ReLU

__all__ = ["as_network", "is_affine", "prepare_inputs"]


def _to_numpy(a: Any) -> Any:
    return a.detach().cpu().numpy() if is_torch_tensor(a) else a


def as_network(model: Any, sample_shape: tuple[int, ...] | None = None, name: str = "net") -> Network:
    """A :class:`Network` for ``model`` (see the module docstring); ``sample_shape`` is ``X.shape[1:]``."""
    if isinstance(model, Network):
        return model
    if hasattr(model, "W") and hasattr(model, "b") and hasattr(model, "decision_function"):
        return _linear_network(model.W, model.b, name)
    if isinstance(model, tuple) and len(model) == 2:
        return _linear_network(model[0], model[1], name)
    if type(model).__module__.startswith("torch"):
        if sample_shape is None:
            raise ValueError(f"{name}: a torch module needs X to fix its input shape")
        return Network.from_torch(model, tuple(sample_shape))
    raise TypeError(
        f"{name} must be a radbound.networks.Network, a LinearModel, a pair (W, b) or a torch "
        f"nn.Sequential, got {type(model).__name__}"
    )


def _linear_network(W: Any, b: Any, name: str) -> Network:
    try:
        return _build_linear_network(W, b, name)
    except (ValueError, TypeError) as exc:
        if str(exc).startswith(name):
            raise
        raise type(exc)(f"{name}: {exc}") from None


def _build_linear_network(W: Any, b: Any, name: str) -> Network:
    W = np.asarray(as_real_array(_to_numpy(W), f"{name}'s W"), dtype=np.float64)
    if W.ndim == 1:
        b0 = 0.0 if b is None else float(np.asarray(_to_numpy(b), dtype=np.float64).reshape(()))
        return Network((Dense(W[None, :], np.array([b0])),), (W.shape[0],))
    if W.ndim != 2:
        raise ValueError(f"{name}: W must have shape (d,) or (K, d), got {W.shape}")
    bias: np.ndarray | None = None
    if b is not None:
        bias = np.asarray(_to_numpy(b), dtype=np.float64).reshape(-1)
        if bias.shape == (1,) and W.shape[0] > 1:
            bias = np.full(W.shape[0], float(bias[0]))
    return Network((Dense(W, bias),), (W.shape[1],))


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
