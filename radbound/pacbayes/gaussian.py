r"""Diagonal Gaussian distributions over weight arrays, and their KL divergence in closed form.

A :class:`DiagonalGaussian` is :math:`\mathcal N(\mu, \operatorname{diag}(\sigma^2))` over an array of
weights of any shape (a linear model's :math:`(K, d+1)` array, one layer of a network): ``mean`` and
``std`` have that shape, and a draw has it too. Priors and posteriors of :mod:`radbound.pacbayes` are
built from them.

.. math::
    \mathrm{KL}(Q \,\|\, P) = \sum_j \Big[\log\frac{\sigma_{P,j}}{\sigma_{Q,j}}
    + \frac{\sigma_{Q,j}^2 + (\mu_{Q,j} - \mu_{P,j})^2}{2\sigma_{P,j}^2} - \frac12\Big].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_int, check_random_state
from ._kl import _x_minus_log1p

__all__ = ["DiagonalGaussian", "gaussian_kl"]


def _weights(a: Any, name: str) -> np.ndarray:
    if type(a).__module__.startswith("torch") and hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    if a is None or isinstance(a, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got {type(a).__name__}")
    if isinstance(a, (bool, np.bool_)):
        raise TypeError(f"{name} must be an array of real numbers, got bool {a!r}")
    arr = np.asarray(a)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def _kl_terms(mq: np.ndarray, sq: np.ndarray, mp: np.ndarray, sp: np.ndarray) -> np.ndarray:
    r"""Per-coordinate :math:`\mathrm{KL}(N(m_q, s_q^2) \| N(m_p, s_p^2))` as a sum of non-negative terms.

    With :math:`t = (s_q - s_p)/s_p` (:math:`s_q/s_p = 1 + t`; the difference is exact when the two are
    close) and :math:`g(t) = t - \log(1 + t) \ge 0`:

    .. math::
        \log\frac{s_p}{s_q} + \frac{s_q^2 - s_p^2}{2 s_p^2} = \tfrac12 t^2 + g(t),

    so the divergence is :math:`\tfrac12 t^2 + g(t) + \tfrac12((m_q - m_p)/s_p)^2`: accurate to a few ulp
    however close :math:`Q` is to :math:`P` (no cancellation of the logarithm against the variances).
    """
    t = (sq - sp) / sp
    z = (mq - mp) / sp
    return 0.5 * t * t + _x_minus_log1p(t) + 0.5 * z * z


@dataclass(frozen=True, eq=False)
class DiagonalGaussian:
    r"""A Gaussian :math:`\mathcal N(\mu, \operatorname{diag}(\sigma^2))` over an array of weights.

    Attributes
    ----------
    mean : ndarray
        :math:`\mu`, any shape (read-only copy).
    std : ndarray
        :math:`\sigma > 0`, the shape of ``mean`` (a scalar is broadcast; read-only copy).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.pacbayes import DiagonalGaussian
    >>> q = DiagonalGaussian(np.zeros((2, 3)), 0.5)
    >>> q.sample(4, seed=0).shape, q.n_parameters
    ((4, 2, 3), 6)
    >>> bool(np.isclose(q.kl(DiagonalGaussian(np.zeros((2, 3)), 1.0)), 6 * (np.log(2) + 0.125 - 0.5)))
    True
    """

    mean: np.ndarray
    std: Any

    def __post_init__(self) -> None:
        mean = _weights(self.mean, "mean")
        if mean.size == 0:
            raise ValueError(f"mean must hold at least one weight, got shape {mean.shape}")
        std = _weights(self.std, "std")
        if std.shape != mean.shape:
            try:
                std = np.broadcast_to(std, mean.shape).copy()
            except ValueError as exc:
                raise ValueError(
                    f"std must be a scalar or have the shape of mean {mean.shape}, got {std.shape}"
                ) from exc
        bad = ~(std > 0)
        if bad.any():
            raise ValueError(f"std must be > 0 everywhere, got {std[bad].flat[0]!r}")
        mean.setflags(write=False)
        std.setflags(write=False)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one draw."""
        return self.mean.shape

    @property
    def n_parameters(self) -> int:
        """The number of weights (coordinates)."""
        return int(self.mean.size)

    def sample(self, size: int | None = None, *, seed: Any = None) -> np.ndarray:
        r"""Draws :math:`\mu + \sigma \odot \xi`, :math:`\xi \sim \mathcal N(0, I)`.

        Parameters
        ----------
        size : int or None
            Number of draws (a leading axis); None gives one draw of shape :attr:`shape`.
        seed : int, numpy Generator or None

        Returns
        -------
        ndarray
            Shape ``(size, *shape)`` or :attr:`shape`.
        """
        rng = check_random_state(seed)
        if size is None:
            return self.mean + self.std * rng.standard_normal(self.shape)
        size = check_int(size, "size", minimum=1)
        return self.mean + self.std * rng.standard_normal((size, *self.shape))

    def kl(self, other: DiagonalGaussian) -> float:
        r""":math:`\mathrm{KL}(\text{self}\|\text{other})` in nats (closed form, :func:`gaussian_kl`)."""
        return gaussian_kl(self, other)

    def __repr__(self) -> str:
        return (
            f"DiagonalGaussian(shape={self.shape}, |mean|_2={float(np.linalg.norm(self.mean)):.4g}, "
            f"std in [{float(self.std.min()):.3g}, {float(self.std.max()):.3g}])"
        )


def gaussian_kl(q: DiagonalGaussian, p: DiagonalGaussian) -> float:
    r"""KL divergence between two diagonal Gaussians of the same shape, in closed form.

    .. math::
        \mathrm{KL}(Q \,\|\, P) = \sum_j \Big[\log\frac{\sigma_{P,j}}{\sigma_{Q,j}}
        + \frac{\sigma_{Q,j}^2 + (\mu_{Q,j} - \mu_{P,j})^2}{2\sigma_{P,j}^2} - \frac12\Big]
        = \sum_j \Big[\frac{t_j^2}{2} + t_j - \log(1 + t_j)
        + \frac{(\mu_{Q,j} - \mu_{P,j})^2}{2\sigma_{P,j}^2}\Big],
        \qquad t_j = \frac{\sigma_{Q,j} - \sigma_{P,j}}{\sigma_{P,j}}.

    The second form (a sum of non-negative terms) is the one evaluated: it stays accurate when
    :math:`Q` is close to :math:`P`, the regime of a posterior trained from a data-dependent prior.
    Convention: natural logarithm (nats).

    Parameters
    ----------
    q, p : DiagonalGaussian
        Same shape.

    Returns
    -------
    float
        :math:`\ge 0`, zero iff :math:`Q = P`.

    References
    ----------
    Kullback & Leibler (1951), "On information and sufficiency", Ann. Math. Statist. 22; the Gaussian
    closed form e.g. in Bishop (2006), *Pattern Recognition and Machine Learning*, exercise 1.30 / 2.13.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.pacbayes import DiagonalGaussian, gaussian_kl
    >>> q, p = DiagonalGaussian([1.0], [1.0]), DiagonalGaussian([0.0], [2.0])
    >>> bool(np.isclose(gaussian_kl(q, p), np.log(2) + (1 + 1) / 8 - 0.5))
    True
    """
    if not isinstance(q, DiagonalGaussian) or not isinstance(p, DiagonalGaussian):
        raise TypeError(f"q and p must be DiagonalGaussian, got {type(q).__name__} and {type(p).__name__}")
    if q.shape != p.shape:
        raise ValueError(f"q and p must have the same shape, got {q.shape} and {p.shape}")
    return float(np.sum(_kl_terms(q.mean, q.std, p.mean, p.std)))
