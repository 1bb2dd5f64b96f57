"""A small array backend that follows the inputs (numpy, or torch for tensors).

Modelled on POT's ``nx`` object: :func:`get_backend` looks at the arrays it is
given and returns a backend whose methods create new arrays with the dtype and
device of those inputs. torch is imported only when the caller brought a tensor
or asked for ``backend="torch"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import is_torch_tensor

__all__ = ["Backend", "NumpyBackend", "TorchBackend", "get_backend"]

#: How to install torch, for the messages of everything that needs it. A plain ``pip install torch``
#: from the default index is the CUDA build on Linux (several GB), so the CPU build is named first.
TORCH_INSTALL = (
    "CPU build: pip install torch --index-url https://download.pytorch.org/whl/cpu ; "
    "GPU (CUDA) build: pip install torch (or pip install 'radbound[torch]'). "
    "From a checkout: make setup TORCH=cpu (or TORCH=cuda)."
)


class Backend:
    """The array operations radbound's numerical code uses, declared once (numpy and torch implement them).

    Obtained from the inputs with :func:`get_backend`; new arrays take the backend's ``dtype`` and
    ``device``. Every method below is an operation of the interface; :class:`NumpyBackend` and
    :class:`TorchBackend` implement all of them.
    """

    name = "abstract"
    dtype: Any = None
    device: Any = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def asarray(self, a: Any, dtype: Any = None) -> Any:
        """``a`` as an array of this backend (default dtype: the backend's; same device)."""
        raise NotImplementedError

    def to_numpy(self, a: Any) -> np.ndarray:
        """``a`` as a numpy array (copied to the host for tensors)."""
        raise NotImplementedError

    def zeros(self, shape: Any, dtype: Any = None) -> Any:
        """A new array of zeros."""
        raise NotImplementedError

    def ones(self, shape: Any, dtype: Any = None) -> Any:
        """A new array of ones."""
        raise NotImplementedError

    def empty(self, shape: Any, dtype: Any = None) -> Any:
        """A new uninitialised array."""
        raise NotImplementedError

    def arange(self, n: int) -> Any:
        """``0, 1, ..., n - 1`` (integers, on the backend's device)."""
        raise NotImplementedError

    def abs(self, a: Any) -> Any:
        """Elementwise absolute value."""
        raise NotImplementedError

    def sqrt(self, a: Any) -> Any:
        """Elementwise square root."""
        raise NotImplementedError

    def exp(self, a: Any) -> Any:
        """Elementwise exponential."""
        raise NotImplementedError

    def log1p(self, a: Any) -> Any:
        """Elementwise ``log(1 + a)``."""
        raise NotImplementedError

    def sign(self, a: Any) -> Any:
        """Elementwise sign (0 at 0)."""
        raise NotImplementedError

    def maximum(self, a: Any, b: Any) -> Any:
        """Elementwise maximum (``b`` may be a scalar)."""
        raise NotImplementedError

    def minimum(self, a: Any, b: Any) -> Any:
        """Elementwise minimum (``b`` may be a scalar)."""
        raise NotImplementedError

    def clip(self, a: Any, lo: Any, hi: Any) -> Any:
        """``a`` clipped to ``[lo, hi]``."""
        raise NotImplementedError

    def where(self, c: Any, a: Any, b: Any) -> Any:
        """``a`` where ``c`` holds, else ``b`` (either may be a scalar)."""
        raise NotImplementedError

    def sum(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        """Sum along ``axis`` (all axes when None)."""
        raise NotImplementedError

    def mean(self, a: Any, axis: Any = None) -> Any:
        """Mean along ``axis`` (all axes when None)."""
        raise NotImplementedError

    def max(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        """Maximum along ``axis`` (all axes when None)."""
        raise NotImplementedError

    def min(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        """Minimum along ``axis`` (all axes when None)."""
        raise NotImplementedError

    def argmax(self, a: Any, axis: Any = None) -> Any:
        """Index of the maximum along ``axis`` (first on ties)."""
        raise NotImplementedError

    def argmin(self, a: Any, axis: Any = None) -> Any:
        """Index of the minimum along ``axis`` (first on ties)."""
        raise NotImplementedError

    def matmul(self, a: Any, b: Any) -> Any:
        """Matrix product ``a @ b``."""
        raise NotImplementedError

    def concatenate(self, arrays: Any, axis: int = 0) -> Any:
        """Join arrays along an existing axis."""
        raise NotImplementedError

    def stack(self, arrays: Any, axis: int = 0) -> Any:
        """Join arrays along a new axis."""
        raise NotImplementedError

    def take_along_axis(self, a: Any, idx: Any, axis: int) -> Any:
        """Entries of ``a`` at ``idx`` along ``axis``."""
        raise NotImplementedError

    def copy(self, a: Any) -> Any:
        """A copy of ``a``."""
        raise NotImplementedError

    def item(self, a: Any) -> float:
        """A one-element array (or a number) as a Python float."""
        raise NotImplementedError

    def add_out(self, a: Any, b: Any, out: Any) -> Any:
        """``out = a + b`` (broadcasting), written into ``out``."""
        raise NotImplementedError

    def abs_(self, a: Any) -> Any:
        """In-place absolute value."""
        raise NotImplementedError

    def sub_(self, a: Any, b: Any) -> Any:
        """In-place ``a -= b`` (broadcasting ``b``)."""
        raise NotImplementedError

    def relu_(self, a: Any) -> Any:
        """In-place ``max(a, 0)``."""
        raise NotImplementedError

    def rowdot(self, a: Any) -> Any:
        """Sum of squares of each row of a 2-D array."""
        raise NotImplementedError

    def rowsum(self, a: Any) -> Any:
        """Sum of each row of a 2-D array."""
        raise NotImplementedError

    def rowmax(self, a: Any) -> Any:
        """Maximum of each row of a 2-D array."""
        raise NotImplementedError

    def rowpow(self, a: Any, q: float) -> Any:
        """``sum_j |a_ij|**q`` for each row (``a`` is overwritten)."""
        raise NotImplementedError

    def transpose(self, a: Any) -> Any:
        """The transpose of a 2-D array."""
        raise NotImplementedError


class NumpyBackend(Backend):
    """numpy implementation (float64 by default)."""

    name = "numpy"
    dtype = np.float64
    device = "cpu"

    def asarray(self, a: Any, dtype: Any = None) -> np.ndarray:
        return np.asarray(a, dtype=self.dtype if dtype is None else dtype)

    def to_numpy(self, a: Any) -> np.ndarray:
        return np.asarray(a)

    def zeros(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.zeros(shape, dtype=self.dtype if dtype is None else dtype)

    def ones(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.ones(shape, dtype=self.dtype if dtype is None else dtype)

    def arange(self, n: int) -> np.ndarray:
        return np.arange(n)

    def abs(self, a: Any) -> Any:
        return np.abs(a)

    def sqrt(self, a: Any) -> Any:
        return np.sqrt(a)

    def exp(self, a: Any) -> Any:
        return np.exp(a)

    def log1p(self, a: Any) -> Any:
        return np.log1p(a)

    def sign(self, a: Any) -> Any:
        return np.sign(a)

    def maximum(self, a: Any, b: Any) -> Any:
        return np.maximum(a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return np.minimum(a, b)

    def clip(self, a: Any, lo: Any, hi: Any) -> Any:
        return np.clip(a, lo, hi)

    def where(self, c: Any, a: Any, b: Any) -> Any:
        return np.where(c, a, b)

    def sum(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return np.sum(a, axis=axis, keepdims=keepdims)

    def mean(self, a: Any, axis: Any = None) -> Any:
        return np.mean(a, axis=axis)

    def max(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return np.max(a, axis=axis, keepdims=keepdims)

    def min(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return np.min(a, axis=axis, keepdims=keepdims)

    def argmax(self, a: Any, axis: Any = None) -> Any:
        return np.argmax(a, axis=axis)

    def argmin(self, a: Any, axis: Any = None) -> Any:
        return np.argmin(a, axis=axis)

    def matmul(self, a: Any, b: Any) -> Any:
        return a @ b

    def concatenate(self, arrays: Any, axis: int = 0) -> Any:
        return np.concatenate(arrays, axis=axis)

    def stack(self, arrays: Any, axis: int = 0) -> Any:
        return np.stack(arrays, axis=axis)

    def take_along_axis(self, a: Any, idx: Any, axis: int) -> Any:
        return np.take_along_axis(a, idx, axis=axis)

    def copy(self, a: Any) -> Any:
        return np.array(a, copy=True)

    def item(self, a: Any) -> float:
        return float(a)

    # --- in-place and row-wise kernels (used by the complexity engine) ---
    def empty(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.empty(shape, dtype=self.dtype if dtype is None else dtype)

    def add_out(self, a: Any, b: Any, out: Any) -> Any:
        """``out = a + b`` (broadcasting), written into ``out``."""
        return np.add(a, b, out=out)

    def abs_(self, a: Any) -> Any:
        """In-place absolute value."""
        return np.abs(a, out=a)

    def sub_(self, a: Any, b: Any) -> Any:
        """In-place ``a -= b`` (broadcasting ``b``)."""
        return np.subtract(a, b, out=a)

    def relu_(self, a: Any) -> Any:
        """In-place ``max(a, 0)``."""
        return np.maximum(a, 0.0, out=a)

    def rowdot(self, a: Any) -> Any:
        """Sum of squares of each row of a 2-D array."""
        return np.einsum("ij,ij->i", a, a)

    def rowsum(self, a: Any) -> Any:
        """Sum of each row of a 2-D array."""
        return a.sum(axis=1)

    def rowmax(self, a: Any) -> Any:
        """Maximum of each row of a 2-D array."""
        return a.max(axis=1)

    def rowpow(self, a: Any, q: float) -> Any:
        """``sum_j |a_ij|**q`` for each row (``a`` is overwritten)."""
        np.abs(a, out=a)
        np.power(a, q, out=a)
        return a.sum(axis=1)

    def transpose(self, a: Any) -> Any:
        return a.T


class TorchBackend(Backend):
    """torch implementation; new arrays follow the dtype and device of a reference tensor."""

    name = "torch"

    def __init__(self, like: Any = None, device: Any = None, dtype: Any = None) -> None:
        import torch

        self.torch = torch
        if like is not None:
            self.device = like.device
            self.dtype = like.dtype if like.is_floating_point() else torch.float64
        else:
            self.device = torch.device(device if device is not None else "cpu")
            self.dtype = torch.float64
        if dtype is not None:
            self.dtype = dtype

    def __repr__(self) -> str:
        return f"<TorchBackend device={self.device} dtype={self.dtype}>"

    def asarray(self, a: Any, dtype: Any = None) -> Any:
        dt = self.dtype if dtype is None else dtype
        if is_torch_tensor(a):
            return a.to(device=self.device, dtype=dt)
        return self.torch.as_tensor(np.asarray(a), dtype=dt, device=self.device)

    def to_numpy(self, a: Any) -> np.ndarray:
        if is_torch_tensor(a):
            return a.detach().cpu().numpy()
        return np.asarray(a)

    def zeros(self, shape: Any, dtype: Any = None) -> Any:
        return self.torch.zeros(shape, dtype=self.dtype if dtype is None else dtype, device=self.device)

    def ones(self, shape: Any, dtype: Any = None) -> Any:
        return self.torch.ones(shape, dtype=self.dtype if dtype is None else dtype, device=self.device)

    def arange(self, n: int) -> Any:
        return self.torch.arange(n, device=self.device)

    def abs(self, a: Any) -> Any:
        return self.torch.abs(a)

    def sqrt(self, a: Any) -> Any:
        return self.torch.sqrt(a)

    def exp(self, a: Any) -> Any:
        return self.torch.exp(a)

    def log1p(self, a: Any) -> Any:
        return self.torch.log1p(a)

    def sign(self, a: Any) -> Any:
        return self.torch.sign(a)

    def _t(self, b: Any, like: Any) -> Any:
        return b if is_torch_tensor(b) else self.torch.as_tensor(b, dtype=like.dtype, device=like.device)

    def maximum(self, a: Any, b: Any) -> Any:
        return self.torch.maximum(a, self._t(b, a))

    def minimum(self, a: Any, b: Any) -> Any:
        return self.torch.minimum(a, self._t(b, a))

    def clip(self, a: Any, lo: Any, hi: Any) -> Any:
        return self.torch.clamp(a, lo, hi)

    def where(self, c: Any, a: Any, b: Any) -> Any:
        like = a if is_torch_tensor(a) else b
        return self.torch.where(c, self._t(a, like), self._t(b, like))

    def sum(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return a.sum() if axis is None else a.sum(dim=axis, keepdim=keepdims)

    def mean(self, a: Any, axis: Any = None) -> Any:
        return a.mean() if axis is None else a.mean(dim=axis)

    def max(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return a.max() if axis is None else a.amax(dim=axis, keepdim=keepdims)

    def min(self, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return a.min() if axis is None else a.amin(dim=axis, keepdim=keepdims)

    def argmax(self, a: Any, axis: Any = None) -> Any:
        return self.torch.argmax(a, dim=axis)

    def argmin(self, a: Any, axis: Any = None) -> Any:
        return self.torch.argmin(a, dim=axis)

    def matmul(self, a: Any, b: Any) -> Any:
        return a @ b

    def concatenate(self, arrays: Any, axis: int = 0) -> Any:
        return self.torch.cat(list(arrays), dim=axis)

    def stack(self, arrays: Any, axis: int = 0) -> Any:
        return self.torch.stack(list(arrays), dim=axis)

    def take_along_axis(self, a: Any, idx: Any, axis: int) -> Any:
        return self.torch.take_along_dim(a, idx, dim=axis)

    def copy(self, a: Any) -> Any:
        return a.clone()

    def item(self, a: Any) -> float:
        return float(a.item()) if is_torch_tensor(a) else float(a)

    # --- in-place and row-wise kernels (used by the complexity engine) ---
    def empty(self, shape: Any, dtype: Any = None) -> Any:
        return self.torch.empty(shape, dtype=self.dtype if dtype is None else dtype, device=self.device)

    def add_out(self, a: Any, b: Any, out: Any) -> Any:
        """``out = a + b`` (broadcasting), written into ``out``."""
        return self.torch.add(a, b, out=out)

    def abs_(self, a: Any) -> Any:
        """In-place absolute value."""
        return a.abs_()

    def sub_(self, a: Any, b: Any) -> Any:
        """In-place ``a -= b`` (broadcasting ``b``)."""
        return a.sub_(b)

    def relu_(self, a: Any) -> Any:
        """In-place ``max(a, 0)``."""
        return a.clamp_(min=0.0)

    def rowdot(self, a: Any) -> Any:
        """Sum of squares of each row of a 2-D tensor."""
        return self.torch.einsum("ij,ij->i", a, a)

    def rowsum(self, a: Any) -> Any:
        """Sum of each row of a 2-D tensor."""
        return a.sum(dim=1)

    def rowmax(self, a: Any) -> Any:
        """Maximum of each row of a 2-D tensor."""
        return a.amax(dim=1)

    def rowpow(self, a: Any, q: float) -> Any:
        """``sum_j |a_ij|**q`` for each row (``a`` is overwritten)."""
        return a.abs_().pow_(q).sum(dim=1)

    def transpose(self, a: Any) -> Any:
        return a.T


_NUMPY = NumpyBackend()


def get_backend(*arrays: Any, backend: str | None = None, device: Any = None) -> Backend:
    """Return the backend of ``arrays``: torch if any is a tensor, else numpy.

    Parameters
    ----------
    *arrays
        Inputs; ``None`` entries are ignored.
    backend : {None, "numpy", "torch"}
        Force a backend. ``"torch"`` with numpy inputs converts them to float64
        tensors on ``device`` (default CPU).
    device : str or torch.device, optional
        Device for ``backend="torch"`` when no tensor input fixes it.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound._backend import get_backend
    >>> get_backend(np.zeros(3)).name
    'numpy'
    """
    tensors = [a for a in arrays if a is not None and is_torch_tensor(a)]
    if backend not in (None, "numpy", "torch"):
        raise ValueError(f"backend must be None, 'numpy' or 'torch', got {backend!r}")
    if tensors:
        if backend == "numpy":
            raise ValueError("backend='numpy' was requested but the inputs are torch tensors")
        devices = {str(t.device) for t in tensors}
        if len(devices) > 1:
            raise ValueError(f"all tensor inputs must be on one device, got {sorted(devices)}")
        float_tensors = [t for t in tensors if t.is_floating_point()]
        return TorchBackend(like=float_tensors[0] if float_tensors else tensors[0])
    if backend == "torch":
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                f"backend='torch' needs PyTorch, which is not installed. {TORCH_INSTALL}"
            ) from exc
        return TorchBackend(device=device)
    return _NUMPY
