r"""The layers of a :class:`~radbound.networks.Network` as operators on one backend (numpy or torch).

Bound propagation needs, for every layer, the linear map of a Dense / Conv2d layer, its transpose
(the backward pass of linear relaxations) and its absolute value (interval arithmetic), and for
max-pooling the windows of its input. :class:`LayerOps` builds them once per network and backend:

* numpy: the layers' own forward and adjoint (:meth:`radbound.networks.Conv2d.adjoint`);
* torch: ``conv2d`` / ``conv_transpose2d`` on the padded input, with the same padding rules
  (TensorFlow's SAME, zero or circular padding), in the dtype and on the device of the inputs.

Both give the same numbers to rounding (tested). Every array here carries a leading batch axis;
bound propagation flattens (samples x specifications) into it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lp import norm
from ..networks.layers import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU, conv_geometry
from ..networks.norms import row_norms

__all__ = ["LayerOps"]


class LayerOps:
    """Per-layer operators of ``net`` on backend ``nx`` (see the module docstring)."""

    def __init__(self, net: Network, nx: Any) -> None:
        self.net = net
        self.nx = nx
        self.torch = nx.name == "torch"
        self.shapes = net.shapes
        self._params: list[dict[str, Any]] = []
        for i, layer in enumerate(net.layers):
            p: dict[str, Any] = {}
            if isinstance(layer, (Dense, Conv2d)):
                p["W"] = nx.asarray(np.array(layer.weight))
                p["absW"] = nx.asarray(np.abs(layer.weight))
                p["b"] = None if layer.bias is None else nx.asarray(np.array(layer.bias))
                if isinstance(layer, Conv2d):
                    p["geom"] = conv_geometry(layer, self.shapes[i])
                    if not self.torch:
                        p["abs_layer"] = Conv2d(
                            np.abs(layer.weight),
                            None,
                            stride=layer.stride,
                            padding=layer.padding,
                            padding_mode=layer.padding_mode,
                        )
            self._params.append(p)

    # ------------------------------------------------------------------ linear layers
    def linear(self, i: int, x: Any, *, bias: bool = True, absolute: bool = False) -> Any:
        """Layer ``i`` (Dense or Conv2d) on a batch ``x`` of shape ``(N, *shapes[i])``."""
        layer, p = self.net.layers[i], self._params[i]
        W = p["absW"] if absolute else p["W"]
        b = p["b"] if bias else None
        if self.torch:
            import torch

            if isinstance(layer, Dense):
                return torch.nn.functional.linear(x, W, b)
            return self._torch_conv(x, W, b, p["geom"])
        if isinstance(layer, Dense):
            out = x @ W.T
            if b is not None:
                out += b
            return out
        out = (p["abs_layer"] if absolute else layer).forward(x, linear_only=True)
        if b is not None:
            out += b[:, None, None]
        return out

    def adjoint(self, i: int, y: Any) -> Any:
        """The transpose of the linear part of layer ``i`` on ``y`` of shape ``(N, *shapes[i + 1])``."""
        layer, p = self.net.layers[i], self._params[i]
        if isinstance(layer, Dense):
            return y @ p["W"]
        if self.torch:
            return self._torch_conv_adjoint(y, p["W"], p["geom"])
        return layer.adjoint(y, self.shapes[i])

    def bias_dot(self, i: int, lam: Any) -> Any:
        """The sum of ``lam * b`` over the output of layer ``i`` for ``lam`` of shape ``(B, S, *out)``."""
        layer, b = self.net.layers[i], self._params[i]["b"]
        if b is None:
            return 0.0
        if isinstance(layer, Dense):
            return lam @ b
        return (lam.sum(-1).sum(-1)) @ b

    def row_norms(self, i: int, q: float) -> Any | None:
        r"""Exact :math:`\ell_q` norms of the rows of layer ``i`` (shape ``shapes[i + 1]``), or None.

        Dense layers: any q. Conv2d: q in {1, 2} (:func:`radbound.networks.norms.row_norms`, which
        adds taps that wrap onto one pixel first); None otherwise (callers then use interval
        arithmetic on the box that encloses the ball, which is sound but not exact).
        """
        layer = self.net.layers[i]
        if isinstance(layer, Dense):
            return self.nx.asarray(norm(layer.weight, q, axis=1))
        if q in (1.0, 2.0):
            return self.nx.asarray(row_norms(layer, self.shapes[i], ord=int(q)))
        return None

    # ------------------------------------------------------------------ torch convolutions
    def _torch_pad(self, x: Any, g: dict[str, Any]) -> Any:
        import torch

        pt, pb, pl, pr = g["pads"]
        _, h, w = g["input_shape"]
        if g["mode"] == "circular":
            ih = torch.as_tensor((np.arange(h + pt + pb) - pt) % h, device=x.device)
            iw = torch.as_tensor((np.arange(w + pl + pr) - pl) % w, device=x.device)
            return x.index_select(2, ih).index_select(3, iw)
        return torch.nn.functional.pad(x, (pl, pr, pt, pb))

    def _torch_conv(self, x: Any, W: Any, b: Any, g: dict[str, Any]) -> Any:
        import torch

        pt, pb, pl, pr = g["pads"]
        if g["mode"] == "zeros" and pt == pb and pl == pr:  # torch pads symmetrically itself
            return torch.nn.functional.conv2d(x, W, b, stride=g["stride"], padding=(pt, pl))
        return torch.nn.functional.conv2d(self._torch_pad(x, g), W, b, stride=g["stride"])

    def _torch_conv_adjoint(self, y: Any, W: Any, g: dict[str, Any]) -> Any:
        import torch

        pt, pb, pl, pr = g["pads"]
        _, h, w = g["input_shape"]
        gp = torch.nn.functional.conv_transpose2d(y, W, stride=g["stride"])
        hp, wp = h + pt + pb, w + pl + pr
        gp = torch.nn.functional.pad(gp, (0, wp - gp.shape[3], 0, hp - gp.shape[2]))
        if g["mode"] == "circular":
            ih = torch.as_tensor((np.arange(hp) - pt) % h, device=y.device)
            iw = torch.as_tensor((np.arange(wp) - pl) % w, device=y.device)
            folded = gp.new_zeros((gp.shape[0], gp.shape[1], h, wp)).index_add_(2, ih, gp)
            return folded.new_zeros((gp.shape[0], gp.shape[1], h, w)).index_add_(3, iw, folded)
        return gp[:, :, pt : pt + h, pl : pl + w]

    # ------------------------------------------------------------------ max-pooling
    def _tiled(self, i: int) -> bool:
        """True when the windows of pooling layer ``i`` do not overlap (stride = kernel)."""
        layer = self.net.layers[i]
        return layer.stride == layer.kernel_size

    def pool_windows(self, i: int, x: Any) -> Any:
        """The windows of max-pooling layer ``i``: ``(N, C, oh, ow, kh * kw)`` from ``(N, C, H, W)``.

        Entry ``a * kw + b`` of a window is the input at offset ``(a, b)`` from its corner.
        """
        layer = self.net.layers[i]
        (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
        _, oh, ow = self.shapes[i + 1]
        if self._tiled(i):
            n, c = x.shape[0], x.shape[1]
            t = x[:, :, : oh * kh, : ow * kw].reshape(n, c, oh, kh, ow, kw)
            return (
                t.permute(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)
                if self.torch
                else (t.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw))
            )
        views = [
            x[:, :, a : a + sh * (oh - 1) + 1 : sh, b : b + sw * (ow - 1) + 1 : sw]
            for a in range(kh)
            for b in range(kw)
        ]
        return self.nx.stack(views, axis=-1)

    def pool_max(self, i: int, x: Any) -> Any:
        """Max-pooling layer ``i`` on a batch ``(N, C, H, W)``."""
        layer = self.net.layers[i]
        if self.torch:
            import torch

            return torch.nn.functional.max_pool2d(x, layer.kernel_size, layer.stride)
        return layer.forward(x)

    def pool_scatter(self, i: int, coef: Any, choice: Any) -> Any:
        """Route ``coef`` ``(N, C, oh, ow)`` of pooling layer ``i`` to the window entry ``choice``.

        ``choice`` (same shape) holds the entry index ``a * kw + b``; overlapping windows add up.
        Returns ``(N, C, H, W)``.
        """
        layer = self.net.layers[i]
        (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
        _, oh, ow = self.shapes[i + 1]
        c, h, w = self.shapes[i]
        n = coef.shape[0]
        out = self.nx.zeros((n, c, h, w), dtype=coef.dtype)
        if self._tiled(i):
            entries = self.nx.arange(kh * kw).reshape(1, 1, 1, 1, kh * kw)
            spread = self.nx.where(choice[..., None] == entries, coef[..., None], 0.0)
            spread = spread.reshape(n, c, oh, ow, kh, kw)
            spread = spread.permute(0, 1, 2, 4, 3, 5) if self.torch else spread.transpose(0, 1, 2, 4, 3, 5)
            out[:, :, : oh * kh, : ow * kw] = spread.reshape(n, c, oh * kh, ow * kw)
            return out
        for a in range(kh):
            for b in range(kw):
                mask = choice == a * kw + b
                out[:, :, a : a + sh * (oh - 1) + 1 : sh, b : b + sw * (ow - 1) + 1 : sw] += self.nx.where(
                    mask, coef, 0.0
                )
        return out

    # ------------------------------------------------------------------ forward pass
    def forward(self, x: Any) -> Any:
        """The network's outputs ``(N, K)`` on ``x`` of shape ``(N, *input_shape)``."""
        for i in range(len(self.net.layers)):
            x = self.apply(i, x)
        return x.reshape(x.shape[0], -1)

    def apply(self, i: int, x: Any) -> Any:
        """Layer ``i`` (any kind) on a batch."""
        layer = self.net.layers[i]
        if isinstance(layer, (Dense, Conv2d)):
            return self.linear(i, x)
        if isinstance(layer, ReLU):
            return self.nx.maximum(x, 0.0)
        if isinstance(layer, Flatten):
            return x.reshape(x.shape[0], -1)
        if isinstance(layer, MaxPool2d):
            return self.pool_max(i, x)
        raise TypeError(f"unsupported layer {type(layer).__name__}")  # pragma: no cover
