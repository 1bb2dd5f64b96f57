r"""A network description that needs no torch: layers, shapes, a numpy forward pass, npz files.

A :class:`Network` is a tuple of layers applied in order to inputs of a fixed shape:

* :class:`Dense` -- :math:`x \mapsto A x + b`, weight of shape ``(out, in)`` (torch's convention);
* :class:`Conv2d` -- 2-D cross-correlation (torch's ``nn.Conv2d``), weight ``(c_out, c_in, kh, kw)``,
  a stride, a padding (``"same"``, ``"valid"``, an int or a pair) and a padding mode
  (``"zeros"`` or ``"circular"``); inputs are ``(C, H, W)`` images;
* :class:`ReLU`, :class:`MaxPool2d` (no padding, floor mode) and :class:`Flatten` (channel-major,
  as ``torch.flatten``).

The shapes are chained when the network is built and every mismatch is reported with the index
of the offending layer. A linear layer *is* a linear operator :math:`A_h` on the flattened
activations; :func:`unrolled_matrix` materialises it (small inputs only: tests and baselines),
while :mod:`radbound.networks.norms` computes its norms without materialising it.

Reference weights :math:`M_h` (zero, or the weights at initialisation) are kept with the network
(``reference``) for the :math:`(2,1)` norms :math:`\|A_h^\top - M_h^\top\|_{2,1}` of the
spectral bound (Bartlett, Foster & Telgarsky 2017).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import as_real_array, read_npz

__all__ = [
    "Dense",
    "Conv2d",
    "ReLU",
    "MaxPool2d",
    "Flatten",
    "Network",
    "conv_geometry",
    "unrolled_matrix",
]


# ----------------------------------------------------------------------------- validation helpers
def _finite_array(a: Any, name: str, ndim: int) -> np.ndarray:
    if a is None or isinstance(a, (str, bytes)):
        raise TypeError(f"{name} must be a {ndim}-D array of real numbers, got {type(a).__name__}")
    if type(a).__module__.startswith("torch") and hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a {ndim}-D array of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must be non-empty, got shape {arr.shape}")
    arr = np.array(arr, dtype=np.float64)  # a private copy: layers are immutable values
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    arr.setflags(write=False)
    return arr


def _pair(value: Any, name: str, *, minimum: int) -> tuple[int, int]:
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {tuple(value)!r}")
    return int(value[0]), int(value[1])


def _shape_tuple(shape: Any, name: str = "input_shape") -> tuple[int, ...]:
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)) or len(shape) not in (1, 3):
        raise ValueError(f"{name} must be (d,) or (C, H, W), got {shape!r}")
    if not all(
        isinstance(s, (numbers.Integral, np.integer)) and not isinstance(s, bool) and int(s) >= 1
        for s in shape
    ):
        raise ValueError(f"{name} must hold positive integers, got {shape!r}")
    return tuple(int(s) for s in shape)


# ----------------------------------------------------------------------------- layers
@dataclass(frozen=True, eq=False)
class Dense:
    r"""A fully connected layer :math:`x \mapsto A x + b` with :math:`A` of shape ``(out, in)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(np.ones((3, 2)))
    >>> layer.output_shape((2,)) == (3,)
    True
    """

    weight: np.ndarray
    bias: np.ndarray | None = None

    def __post_init__(self) -> None:
        w = _finite_array(self.weight, "Dense weight", 2)
        object.__setattr__(self, "weight", w)
        if self.bias is not None:
            b = _finite_array(self.bias, "Dense bias", 1)
            if b.shape[0] != w.shape[0]:
                raise ValueError(f"Dense bias must have length out={w.shape[0]}, got {b.shape[0]}")
            object.__setattr__(self, "bias", b)

    has_weight = True

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) != 1:
            raise ValueError(
                f"Dense expects a flat input of size {self.weight.shape[1]}, got shape {shape}; add Flatten()"
            )
        if shape[0] != self.weight.shape[1]:
            raise ValueError(
                f"Dense weight has in={self.weight.shape[1]} columns, but the input has size {shape[0]}"
            )
        return (self.weight.shape[0],)

    def forward(self, x: np.ndarray, *, linear_only: bool = False) -> np.ndarray:
        out = x @ self.weight.T
        if self.bias is not None and not linear_only:
            out = out + self.bias
        return out

    def describe(self) -> dict[str, Any]:
        return {"type": "Dense"}

    def __repr__(self) -> str:
        return (
            f"Dense({self.weight.shape[1]} -> {self.weight.shape[0]}{'' if self.bias is None else ', bias'})"
        )


@dataclass(frozen=True, eq=False)
class Conv2d:
    r"""A 2-D convolution (cross-correlation, as torch) on ``(C, H, W)`` inputs.

    .. math::
        y_{o,i,j} = b_o + \sum_{c,a,b} K_{o,c,a,b}\, \tilde x_{c,\, s_h i + a,\, s_w j + b},

    where :math:`\tilde x` is the input padded by :math:`(p_t, p_b, p_l, p_r)` zeros
    (``padding_mode="zeros"``) or periodically (``"circular"``). ``padding="same"`` pads
    :math:`\max((\lceil H/s\rceil - 1) s + k - H, 0)` in total, the smaller half before (TensorFlow's
    SAME, equal to torch's ``padding="same"`` at stride 1); ``"valid"`` pads nothing; an int or a
    pair pads symmetrically. Dilation and groups are not supported.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2d(np.ones((4, 1, 5, 5)), padding="same")
    >>> conv.output_shape((1, 28, 28)) == (4, 28, 28)
    True
    """

    weight: np.ndarray
    bias: np.ndarray | None = None
    stride: Any = 1
    padding: Any = "valid"
    padding_mode: str = "zeros"

    has_weight = True

    def __post_init__(self) -> None:
        w = _finite_array(self.weight, "Conv2d weight", 4)
        object.__setattr__(self, "weight", w)
        if self.bias is not None:
            b = _finite_array(self.bias, "Conv2d bias", 1)
            if b.shape[0] != w.shape[0]:
                raise ValueError(f"Conv2d bias must have length c_out={w.shape[0]}, got {b.shape[0]}")
            object.__setattr__(self, "bias", b)
        object.__setattr__(self, "stride", _pair(self.stride, "Conv2d stride", minimum=1))
        pad = self.padding
        if isinstance(pad, str):
            if pad not in ("same", "valid"):
                raise ValueError(
                    f"Conv2d padding must be 'same', 'valid', an int or a pair of ints, got {pad!r}"
                )
        else:
            pad = _pair(pad, "Conv2d padding", minimum=0)
        object.__setattr__(self, "padding", pad)
        if self.padding_mode not in ("zeros", "circular"):
            raise ValueError(
                f"Conv2d padding_mode must be one of ['zeros', 'circular'] (reflect and replicate are "
                f"not linear operators of the supported kind), got {self.padding_mode!r}"
            )

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return conv_geometry(self, shape)["output_shape"]

    def forward(self, x: np.ndarray, *, linear_only: bool = False) -> np.ndarray:
        g = conv_geometry(self, x.shape[1:])
        out = _conv_forward(x, self.weight, g)
        if self.bias is not None and not linear_only:
            out = out + self.bias[None, :, None, None]
        return out

    def adjoint(self, y: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
        """The transpose of the linear part applied to a batch ``y`` of shape ``(n, *output_shape)``."""
        return _conv_adjoint(y, self.weight, conv_geometry(self, input_shape))

    def describe(self) -> dict[str, Any]:
        return {
            "type": "Conv2d",
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "padding_mode": self.padding_mode,
        }

    def __repr__(self) -> str:
        o, c, kh, kw = self.weight.shape
        return (
            f"Conv2d({c} -> {o}, {kh}x{kw}, stride={self.stride}, padding={self.padding!r}, "
            f"mode={self.padding_mode!r}{'' if self.bias is None else ', bias'})"
        )


@dataclass(frozen=True)
class ReLU:
    r"""Element-wise :math:`\rho(t) = \max(t, 0)`: 1-Lipschitz in every :math:`\ell_p` norm."""

    has_weight = False

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape

    def forward(self, x: np.ndarray, **_: Any) -> np.ndarray:
        return np.maximum(x, 0.0)

    def describe(self) -> dict[str, Any]:
        return {"type": "ReLU"}


@dataclass(frozen=True)
class Flatten:
    """Flatten ``(C, H, W)`` to ``(C*H*W,)`` channel-major (as ``torch.flatten(x, 1)``): an isometry."""

    has_weight = False

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (int(np.prod(shape)),)

    def forward(self, x: np.ndarray, **_: Any) -> np.ndarray:
        return x.reshape(x.shape[0], -1)

    def describe(self) -> dict[str, Any]:
        return {"type": "Flatten"}


@dataclass(frozen=True)
class MaxPool2d:
    r"""Max-pooling over ``kernel_size`` windows with ``stride`` (default: the kernel), no padding.

    Lipschitz constants: 1 in :math:`\ell_\infty`; in :math:`\ell_2` at most
    :math:`\sqrt{\lceil k_h/s_h\rceil \lceil k_w/s_w\rceil}` (each input lies in at most that many
    windows), which is 1 for non-overlapping windows such as the paper's 2x2 pooling.
    """

    kernel_size: Any = 2
    stride: Any = None

    has_weight = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel_size", _pair(self.kernel_size, "MaxPool2d kernel_size", minimum=1))
        stride = self.kernel_size if self.stride is None else self.stride
        object.__setattr__(self, "stride", _pair(stride, "MaxPool2d stride", minimum=1))

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) != 3:
            raise ValueError(f"MaxPool2d expects a (C, H, W) input, got shape {shape}")
        c, h, w = shape
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if kh > h or kw > w:
            raise ValueError(f"MaxPool2d kernel {self.kernel_size} is larger than the input {(h, w)}")
        return (c, (h - kh) // sh + 1, (w - kw) // sw + 1)

    def lipschitz(self) -> float:
        """The :math:`\\ell_2` Lipschitz constant bound sqrt(ceil(kh/sh) ceil(kw/sw))."""
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        return math.sqrt(math.ceil(kh / sh) * math.ceil(kw / sw))

    def forward(self, x: np.ndarray, **_: Any) -> np.ndarray:
        c, h, w = x.shape[1:]
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        _c, oh, ow = self.output_shape((c, h, w))
        out = np.full((x.shape[0], c, oh, ow), -np.inf)
        for a in range(kh):
            for b in range(kw):
                out = np.maximum(out, x[:, :, a : a + sh * (oh - 1) + 1 : sh, b : b + sw * (ow - 1) + 1 : sw])
        return out

    def describe(self) -> dict[str, Any]:
        return {"type": "MaxPool2d", "kernel_size": list(self.kernel_size), "stride": list(self.stride)}


# ----------------------------------------------------------------------------- conv geometry and kernels
def conv_geometry(layer: Conv2d, input_shape: Sequence[int]) -> dict[str, Any]:
    r"""Paddings and output shape of ``layer`` on inputs of shape ``(C, H, W)``.

    Returns a dict with ``pads`` :math:`(p_t, p_b, p_l, p_r)`, ``stride``, ``kernel``,
    ``input_shape`` and ``output_shape`` :math:`(c_{out}, \lfloor (H + p_t + p_b - k_h)/s_h\rfloor + 1,
    \dots)`.

    Parameters
    ----------
    layer : Conv2d
        The convolution (its weight shape, stride and padding rule are read).
    input_shape : sequence of 3 ints
        ``(C, H, W)`` of one input; ``C`` must equal the layer's input channels.

    Returns
    -------
    dict
        Keys ``pads``, ``stride``, ``kernel``, ``input_shape``, ``output_shape``.

    Examples
    --------
    >>> import numpy as np
    >>> g = conv_geometry(Conv2d(np.ones((2, 1, 5, 5)), padding="same"), (1, 28, 28))
    >>> g["pads"] == (2, 2, 2, 2) and g["output_shape"] == (2, 28, 28)
    True
    """
    if not isinstance(layer, Conv2d):
        raise TypeError(f"layer must be a Conv2d, got {type(layer).__name__}")
    shape = _shape_tuple(input_shape)
    c_out, c_in, kh, kw = layer.weight.shape
    if len(shape) != 3:
        raise ValueError(f"Conv2d expects a (C, H, W) input, got shape {shape}")
    c, h, w = shape
    if c != c_in:
        raise ValueError(f"Conv2d weight has c_in={c_in} input channels, but the input has {c} channels")
    sh, sw = layer.stride
    pads: tuple[int, ...]
    if layer.padding == "valid":
        pads = (0, 0, 0, 0)
    elif layer.padding == "same":
        halves: list[int] = []
        for n_, k, s in ((h, kh, sh), (w, kw, sw)):
            total = max((-(-n_ // s) - 1) * s + k - n_, 0)
            halves += [total // 2, total - total // 2]
        pads = tuple(halves)
    else:
        ph, pw = layer.padding
        pads = (ph, ph, pw, pw)
    oh = (h + pads[0] + pads[1] - kh) // sh + 1
    ow = (w + pads[2] + pads[3] - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(
            f"Conv2d kernel {(kh, kw)} does not fit the padded input {(h, w)} with paddings {pads}"
        )
    return {
        "pads": pads,
        "stride": (sh, sw),
        "kernel": (kh, kw),
        "input_shape": shape,
        "output_shape": (c_out, oh, ow),
        "mode": layer.padding_mode,
    }


def _pad(x: np.ndarray, g: dict[str, Any]) -> np.ndarray:
    pt, pb, pl, pr = g["pads"]
    _, h, w = g["input_shape"]
    if g["mode"] == "circular":
        ih = (np.arange(h + pt + pb) - pt) % h
        iw = (np.arange(w + pl + pr) - pl) % w
        return x[:, :, ih][:, :, :, iw]
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def _conv_forward(x: np.ndarray, weight: np.ndarray, g: dict[str, Any], *, block: int = 2**22) -> np.ndarray:
    """Linear part of a convolution as one matrix product per block of samples (im2col).

    The patches of ``block`` floats at most are gathered as rows ``(n, oh, ow, kh * kw * c_in)``
    and multiplied by the kernel reshaped to ``(kh * kw * c_in, c_out)``: one large product instead
    of ``kh * kw`` thin ones (about 9x faster for a single input channel).
    """
    xp = _pad(x, g)
    n, c = xp.shape[0], xp.shape[1]
    (kh, kw), (sh, sw) = g["kernel"], g["stride"]
    c_out, oh, ow = g["output_shape"]
    xt = np.ascontiguousarray(xp.transpose(0, 2, 3, 1))  # (n, Hp, Wp, c_in)
    kernel = weight.transpose(2, 3, 1, 0).reshape(kh * kw * c, c_out)
    out = np.empty((n, oh, ow, c_out), dtype=np.result_type(x.dtype, weight.dtype))
    step = max(1, block // (oh * ow * kh * kw * c))
    buffer = np.empty((min(step, n), oh, ow, kh, kw, c), dtype=out.dtype)  # reused: no new pages per block
    for start in range(0, n, step):
        stop = min(n, start + step)
        cols = buffer[: stop - start]
        for a in range(kh):
            for b in range(kw):
                cols[:, :, :, a, b, :] = xt[
                    start:stop, a : a + sh * (oh - 1) + 1 : sh, b : b + sw * (ow - 1) + 1 : sw
                ]
        np.matmul(cols.reshape(-1, kh * kw * c), kernel, out=out[start:stop].reshape(-1, c_out))
    return out.transpose(0, 3, 1, 2)


def _conv_adjoint(y: np.ndarray, weight: np.ndarray, g: dict[str, Any]) -> np.ndarray:
    pt, pb, pl, pr = g["pads"]
    c, h, w = g["input_shape"]
    (kh, kw), (sh, sw) = g["kernel"], g["stride"]
    _, oh, ow = g["output_shape"]
    yt = y.transpose(0, 2, 3, 1)  # (n, oh, ow, c_out)
    gp = np.zeros((y.shape[0], h + pt + pb, w + pl + pr, c))
    for a in range(kh):
        for b in range(kw):
            gp[:, a : a + sh * (oh - 1) + 1 : sh, b : b + sw * (ow - 1) + 1 : sw] += yt @ weight[:, :, a, b]
    gp = gp.transpose(0, 3, 1, 2)
    if g["mode"] == "circular":
        fold_h = np.zeros((h, h + pt + pb))
        fold_h[(np.arange(h + pt + pb) - pt) % h, np.arange(h + pt + pb)] = 1.0
        fold_w = np.zeros((w, w + pl + pr))
        fold_w[(np.arange(w + pl + pr) - pl) % w, np.arange(w + pl + pr)] = 1.0
        return np.einsum("hp,ncpq,wq->nchw", fold_h, gp, fold_w, optimize=True)
    return gp[:, :, pt : pt + h, pl : pl + w]


def unrolled_matrix(layer: Dense | Conv2d, input_shape: Sequence[int]) -> np.ndarray:
    r"""The matrix of the linear part of ``layer`` on flattened inputs (materialised: small inputs only).

    Column :math:`j` is the layer applied to the :math:`j`-th basis vector, so
    ``unrolled_matrix(layer, s) @ x.ravel() == layer.forward(x[None], linear_only=True).ravel()``.

    Parameters
    ----------
    layer : Dense or Conv2d
        The layer; its bias is left out (the linear part only).
    input_shape : sequence of ints
        Shape of one input of the layer (``(d,)`` for Dense, ``(C, H, W)`` for Conv2d).

    Returns
    -------
    numpy.ndarray of shape (output size, input size)
        The matrix, float64.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2d(np.arange(4.0).reshape(1, 1, 2, 2))
    >>> A = unrolled_matrix(conv, (1, 3, 3))
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> bool(np.allclose(A @ x.ravel(), conv.forward(x).ravel()))
    True
    """
    shape = _shape_tuple(input_shape)
    if isinstance(layer, Dense):
        layer.output_shape(shape)
        return np.array(layer.weight)
    if not isinstance(layer, Conv2d):
        raise TypeError(f"layer must be Dense or Conv2d, got {type(layer).__name__}")
    d = math.prod(shape)
    out_size = math.prod(layer.output_shape(shape))
    if d * (d + out_size) > 2**28:  # the identity basis and the unrolled matrix, float64
        raise ValueError(
            f"input_shape={shape}: the unrolled matrix ({out_size:,} x {d:,}) and its construction need "
            f"{d * (d + out_size) * 8 / 2**30:.3g} GiB, above the limit of 2 GiB"
        )
    basis = np.eye(d).reshape(d, *shape)
    return layer.forward(basis, linear_only=True).reshape(d, -1).T


# ----------------------------------------------------------------------------- the network
@dataclass(frozen=True, eq=False)
class Network:
    r"""A feed-forward network: ``layers`` applied in order to inputs of shape ``input_shape``.

    Parameters
    ----------
    layers : sequence of Dense, Conv2d, ReLU, MaxPool2d, Flatten
    input_shape : tuple
        ``(d,)`` or ``(C, H, W)``; data are passed as ``(n, d)`` rows (reshaped) or ``(n, *input_shape)``.
    reference : sequence of arrays or None
        Reference weights :math:`M_h`, one per weighted layer (same shapes), for the :math:`(2,1)`
        norms; ``None`` means :math:`M_h = 0`.

    Examples
    --------
    >>> import numpy as np
    >>> net = Network([Dense(np.eye(3)), ReLU(), Dense(np.ones((1, 3)))], (3,))
    >>> bool(np.allclose(net.forward(np.array([[1.0, -2.0, 3.0]])), 4.0))
    True
    """

    layers: tuple
    input_shape: tuple
    reference: Sequence[Any] | None = None
    shapes: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.layers, (list, tuple)):
            raise TypeError(f"layers must be a sequence of layers, got {type(self.layers).__name__}")
        layers = tuple(self.layers)
        if not layers:
            raise ValueError("layers must hold at least one layer, got an empty sequence")
        shape = _shape_tuple(self.input_shape)
        object.__setattr__(self, "input_shape", shape)
        shapes = [shape]
        for i, layer in enumerate(layers):
            if not isinstance(layer, (Dense, Conv2d, ReLU, MaxPool2d, Flatten)):
                raise TypeError(
                    f"layers[{i}] must be Dense, Conv2d, ReLU, MaxPool2d or Flatten, "
                    f"got {type(layer).__name__}"
                )
            try:
                shape = layer.output_shape(shape)
            except ValueError as exc:
                raise ValueError(f"layers[{i}] ({type(layer).__name__}) does not chain: {exc}") from None
            shapes.append(shape)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "shapes", tuple(shapes))
        if self.reference is not None:
            if not isinstance(self.reference, (list, tuple)):
                raise TypeError(
                    f"reference must be None or a sequence of arrays, got {type(self.reference).__name__}"
                )
            refs = tuple(self.reference)
            weighted = self.weighted_layers
            if len(refs) != len(weighted):
                raise ValueError(
                    f"reference must hold one array per weighted layer ({len(weighted)}), got {len(refs)}"
                )
            checked = []
            for (i, layer), ref in zip(weighted, refs):
                r = _finite_array(ref, f"reference for layers[{i}]", layer.weight.ndim)
                if r.shape != layer.weight.shape:
                    raise ValueError(
                        f"reference for layers[{i}] must have shape {layer.weight.shape}, got {r.shape}"
                    )
                checked.append(r)
            object.__setattr__(self, "reference", tuple(checked))

    # -- structure
    @property
    def weighted_layers(self) -> list[tuple[int, Dense | Conv2d]]:
        """``(index, layer)`` for each Dense / Conv2d layer, in order."""
        return [(i, layer) for i, layer in enumerate(self.layers) if layer.has_weight]

    @property
    def input_dim(self) -> int:
        """The input dimension d (product of ``input_shape``)."""
        return int(np.prod(self.input_shape))

    @property
    def output_dim(self) -> int:
        return int(np.prod(self.shapes[-1]))

    @property
    def widths(self) -> tuple[int, ...]:
        """Number of units of the input and of every layer's output."""
        return tuple(int(np.prod(s)) for s in self.shapes)

    @property
    def n_parameters(self) -> int:
        total = 0
        for _, layer in self.weighted_layers:
            total += layer.weight.size + (0 if layer.bias is None else layer.bias.size)
        return total

    def reference_weights(self) -> list[np.ndarray | None]:
        """The reference :math:`M_h` of each weighted layer (None for zero)."""
        if self.reference is None:
            return [None] * len(self.weighted_layers)
        return list(self.reference)

    def with_reference(self, reference: Network | Sequence[Any] | None) -> Network:
        """A copy with reference weights (another network of the same architecture, arrays, or None)."""
        if isinstance(reference, Network):
            reference = [layer.weight for _, layer in reference.weighted_layers]
        return Network(self.layers, self.input_shape, reference=reference)

    # -- evaluation
    def _as_batch(self, X: Any) -> np.ndarray:
        arr = np.asarray(as_real_array(X, "X"), dtype=np.float64)
        if arr.ndim < 2 or arr.shape[0] == 0:
            raise ValueError(f"X must have shape (n, ...) with n >= 1 samples, got {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("X must contain only finite values (found NaN or inf)")
        if arr.ndim == 2 and arr.shape[1] == self.input_dim:
            arr = arr.reshape(arr.shape[0], *self.input_shape)
        if arr.shape[1:] != self.input_shape:
            raise ValueError(
                f"X must have shape (n, {self.input_dim}) or (n, *{self.input_shape}), got {np.shape(X)}"
            )
        return arr

    def forward(self, X: Any) -> np.ndarray:
        """Outputs of the network (numpy, float64) on a batch ``X``; returns ``(n, output_dim)``."""
        out = self._as_batch(X)
        with np.errstate(over="ignore", invalid="ignore"):  # reported just below
            for layer in self.layers:
                out = layer.forward(out)
        if not np.isfinite(out).all():
            raise OverflowError(
                f"X too large for this network: its outputs leave the float range (largest |X| entry "
                f"{float(np.max(np.abs(X))):.3g})"
            )
        return out.reshape(out.shape[0], -1)

    __call__ = forward

    # -- io
    def save_npz(self, path: Any) -> None:
        """Write the network to an ``.npz`` file (arrays plus a JSON description; no pickle)."""
        arrays: dict[str, Any] = {}
        spec = {"input_shape": list(self.input_shape), "layers": []}
        for i, layer in enumerate(self.layers):
            spec["layers"].append(layer.describe())
            if layer.has_weight:
                arrays[f"weight_{i}"] = layer.weight
                if layer.bias is not None:
                    arrays[f"bias_{i}"] = layer.bias
        if self.reference is not None:
            for (i, _), ref in zip(self.weighted_layers, self.reference):
                arrays[f"reference_{i}"] = ref
        arrays["spec"] = np.array(json.dumps(spec))
        np.savez(path, **arrays)

    @classmethod
    def from_npz(cls, path: Any) -> Network:
        """Read a network written by :meth:`save_npz`.

        Nothing is unpickled. A missing file raises ``FileNotFoundError``; a directory, a damaged
        archive (truncated, bad CRC) or a file that is not a complete :meth:`save_npz` file (a
        missing array, a broken layer description) raises ``ValueError`` naming the file.

        Parameters
        ----------
        path : str, path-like or binary file object
            The ``.npz`` file.

        Returns
        -------
        Network

        Examples
        --------
        >>> import io, numpy as np
        >>> net = Network([Dense(np.eye(2)), ReLU()], (2,))
        >>> buf = io.BytesIO(); net.save_npz(buf); _ = buf.seek(0)
        >>> bool(np.array_equal(Network.from_npz(buf).layers[0].weight, np.eye(2)))
        True
        """
        data = read_npz(path, "network file")
        name = repr(getattr(path, "name", "<file object>")) if hasattr(path, "read") else repr(str(path))
        if "spec" not in data:
            raise ValueError(
                f"network file {name} has no 'spec' entry: it was not written by Network.save_npz "
                f"(arrays found: {sorted(data)})"
            )
        try:
            return cls._from_spec(data)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            missing = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"network file {name} is not a valid Network file: {missing}") from exc

    @classmethod
    def _from_spec(cls, data: dict[str, np.ndarray]) -> Network:
        """Build the network from the arrays of a :meth:`save_npz` file (any defect raises)."""
        spec = json.loads(str(data["spec"]))
        layers: list[Any] = []
        refs: list[np.ndarray] = []
        for i, desc in enumerate(spec["layers"]):
            kind = desc["type"]
            if kind in ("Dense", "Conv2d"):
                w = data[f"weight_{i}"]
                b = data.get(f"bias_{i}")
                if f"reference_{i}" in data:
                    refs.append(data[f"reference_{i}"])
                if kind == "Dense":
                    layers.append(Dense(w, b))
                else:
                    pad = desc["padding"]
                    layers.append(
                        Conv2d(
                            w,
                            b,
                            stride=tuple(desc["stride"]),
                            padding=pad if isinstance(pad, str) else tuple(pad),
                            padding_mode=desc["padding_mode"],
                        )
                    )
            elif kind == "ReLU":
                layers.append(ReLU())
            elif kind == "Flatten":
                layers.append(Flatten())
            elif kind == "MaxPool2d":
                layers.append(MaxPool2d(tuple(desc["kernel_size"]), tuple(desc["stride"])))
            else:
                raise ValueError(f"unknown layer type {kind!r} in the npz spec")
        return cls(tuple(layers), tuple(spec["input_shape"]), reference=refs or None)

    @classmethod
    def from_arrays(
        cls, weights: Sequence[Any], input_shape: Any = None, *, biases: Sequence[Any] | None = None
    ) -> Network:
        r"""A ReLU MLP :math:`A_L \rho(\cdots \rho(A_1 x))` from a list of ``(out, in)`` weight matrices.

        Examples
        --------
        >>> import numpy as np
        >>> net = Network.from_arrays([np.ones((4, 3)), np.ones((2, 4))])
        >>> net.widths == (3, 4, 4, 2)
        True
        """
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights must be a sequence of weight matrices, got {type(weights).__name__}")
        weights = list(weights)
        if not weights:
            raise ValueError("weights must hold at least one matrix, got an empty sequence")
        if biases is not None and not isinstance(biases, (list, tuple)):
            raise TypeError(f"biases must be None or a sequence of vectors, got {type(biases).__name__}")
        biases = [None] * len(weights) if biases is None else list(biases)
        if len(biases) != len(weights):
            raise ValueError(f"biases must have one entry per weight ({len(weights)}), got {len(biases)}")
        layers: list[Any] = []
        for h, (w, b) in enumerate(zip(weights, biases)):
            layers.append(Dense(w, b))
            if h < len(weights) - 1:
                layers.append(ReLU())
        if input_shape is None:
            input_shape = (layers[0].weight.shape[1],)
        return cls(tuple(layers), input_shape)

    @classmethod
    def from_torch(cls, module: Any, input_shape: Any, *, reference: Any = None) -> Network:
        """Extract a network from a torch ``nn.Sequential`` (Linear, Conv2d, ReLU, MaxPool2d, Flatten).

        Nested ``nn.Sequential`` containers are flattened; ``nn.Identity`` and ``nn.Dropout`` (the
        identity at evaluation) are skipped. ``reference`` may be another module of the same
        architecture (e.g. the network at initialisation) or a ``state_dict``.
        """
        from torch import nn

        def leaves(m: Any) -> list[Any]:
            if isinstance(m, nn.Sequential):
                return [leaf for child in m for leaf in leaves(child)]
            return [m]

        def arr(t: Any) -> np.ndarray:
            return t.detach().cpu().double().numpy()

        layers: list[Any] = []
        for m in leaves(module):
            if isinstance(m, nn.Linear):
                layers.append(Dense(arr(m.weight), None if m.bias is None else arr(m.bias)))
            elif isinstance(m, nn.Conv2d):
                if tuple(m.dilation) != (1, 1) or m.groups != 1:
                    raise ValueError(
                        f"unsupported Conv2d: dilation must be 1 and groups 1, got dilation={m.dilation}, "
                        f"groups={m.groups}"
                    )
                if m.padding_mode not in ("zeros", "circular"):
                    raise ValueError(
                        f"unsupported Conv2d padding_mode {m.padding_mode!r}: use 'zeros' or 'circular'"
                    )
                layers.append(
                    Conv2d(
                        arr(m.weight),
                        None if m.bias is None else arr(m.bias),
                        stride=tuple(m.stride),
                        padding=m.padding if isinstance(m.padding, str) else tuple(m.padding),
                        padding_mode=m.padding_mode,
                    )
                )
            elif isinstance(m, nn.ReLU):
                layers.append(ReLU())
            elif isinstance(m, nn.MaxPool2d):
                pad = m.padding if isinstance(m.padding, tuple) else (m.padding, m.padding)
                dil = m.dilation if isinstance(m.dilation, tuple) else (m.dilation, m.dilation)
                if tuple(pad) != (0, 0) or tuple(dil) != (1, 1) or m.ceil_mode:
                    raise ValueError(
                        "unsupported MaxPool2d: padding must be 0, dilation 1 and ceil_mode False"
                    )
                layers.append(MaxPool2d(m.kernel_size, m.stride))
            elif isinstance(m, nn.Flatten):
                if m.start_dim != 1 or m.end_dim != -1:
                    raise ValueError(f"unsupported Flatten(start_dim={m.start_dim}, end_dim={m.end_dim})")
                layers.append(Flatten())
            elif isinstance(m, (nn.Identity, nn.Dropout)):
                continue
            else:
                raise TypeError(
                    f"unsupported torch module {type(m).__name__}: "
                    "use Linear, Conv2d, ReLU, MaxPool2d, Flatten"
                )
        net = cls(tuple(layers), input_shape)
        if reference is not None:
            if isinstance(reference, nn.Module):
                reference = cls.from_torch(reference, input_shape)
            elif isinstance(reference, dict):
                keys = [k for k in reference if k.endswith("weight")]
                reference = [arr(reference[k]) for k in keys]
            net = net.with_reference(reference)
        return net

    def __repr__(self) -> str:
        inner = ", ".join(
            repr(layer) if layer.has_weight else type(layer).__name__ + "()" for layer in self.layers
        )
        return f"Network(input {self.input_shape}: {inner})"
