r"""The adversarial training problem of a linear model as one validated object.

:class:`TrainingProblem` holds the data and the parameters of

.. math::
    \min_{W, b}\ F(W, b) = \frac1n \sum_{i=1}^n \ell_i(W, b) + \lambda \|W\|_1

(see :mod:`radbound.train._losses`), so that the solvers, the certificate and the cvxpy program
receive one object instead of ten positional arguments. It is built by
:meth:`TrainingProblem.build`, which validates everything before any work is done: the
parameters, the shapes, the labels (binary losses: :math:`\{-1, +1\}`; multi-class losses: the
classes are the labels present, or ``0..n_classes-1`` when ``n_classes`` is declared) and the
memory the solvers would need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .._validation import (
    check_binary_labels,
    check_choice,
    check_exponent,
    check_matrix,
    check_nonnegative,
    encode_class_labels,
    is_torch_tensor,
)
from ._constants import BINARY_LOSSES, LOSSES, SolverError

__all__ = [
    "MEMORY_LIMIT_BYTES",
    "TrainingProblem",
    "check_model_point",
    "check_unscaled_weights",
    "check_working_memory",
    "encode_class_labels",
    "working_memory_bytes",
]

#: Largest working memory (bytes) a linear training problem may need before it is refused.
MEMORY_LIMIT_BYTES = 2 * 1024**3


def working_memory_bytes(n: int, d: int, n_classes: int | None) -> int:
    r"""Peak working memory (bytes) of the linear training solvers, up to a small constant factor.

    Binary: a few copies of the data, :math:`8 \cdot 4 n d`. Multi-class with K classes: the
    pairwise tables of the softmax and Crammer–Singer solvers hold about :math:`6 K^2 d` numbers,
    the scores :math:`4 n K`, the sparse sample rows of the Crammer–Singer LP :math:`2 n K d`
    (values and column indices).
    """
    if n_classes is None:
        return 8 * 4 * n * d
    K = n_classes
    return 8 * (6 * K * K * d + 4 * n * K + 2 * n * K * d + 4 * n * d)


def check_working_memory(n: int, d: int, n_classes: int | None, limit: int = MEMORY_LIMIT_BYTES) -> None:
    """ValueError when :func:`working_memory_bytes` exceeds ``limit`` (checked before any work)."""
    need = working_memory_bytes(n, d, n_classes)
    if need > limit:
        raise ValueError(
            f"the training problem (n={n}, d={d}, K={n_classes}) would need about {need / 2**30:.1f} GiB of "
            f"working memory, above the limit of {limit / 2**30:.1f} GiB; use fewer classes, samples or "
            "features"
        )


@dataclass(frozen=True, eq=False)
class TrainingProblem:
    r"""One instance of the l1-regularised adversarial training problem (validated).

    Attributes
    ----------
    X : ndarray (n, d)
        float64 inputs.
    y : ndarray (n,)
        float64 in {-1, +1} (binary losses) or int64 class indices ``0..K-1`` (multi-class).
    eps : float
        Attack radius :math:`\epsilon \ge 0`.
    lam : float
        l1 weight :math:`\lambda \ge 0`.
    loss : str
        One of :data:`radbound.train.LOSSES`.
    fit_intercept : bool
        Whether the bias is a variable (else b = 0).
    attack_norm : float
        :math:`r \in [1, \infty]`.
    classes : ndarray
        The label of each row of W: ``[-1, 1]`` (binary) or the K class labels.

    Examples
    --------
    >>> import numpy as np
    >>> prob = TrainingProblem.build(np.eye(3), [5, 9, 5], eps=0.1, lam=0.01, loss="softmax")
    >>> prob.K, prob.classes.tolist(), prob.y.tolist()
    (2, [5, 9], [0, 1, 0])
    """

    X: np.ndarray
    y: np.ndarray
    eps: float
    lam: float
    loss: str
    fit_intercept: bool = True
    attack_norm: float = math.inf
    classes: np.ndarray = field(default_factory=lambda: np.array([-1, 1]))

    @classmethod
    def build(
        cls,
        X: Any,
        y: Any,
        *,
        eps: Any,
        lam: Any,
        loss: Any,
        attack_norm: Any = math.inf,
        fit_intercept: Any = True,
        n_classes: Any = None,
        memory_limit: int = MEMORY_LIMIT_BYTES,
    ) -> TrainingProblem:
        """Validate the inputs of a training problem (each error names the parameter, rule and value)."""
        loss = check_choice(loss, "loss", LOSSES)
        eps = check_nonnegative(eps, "eps")
        lam = check_nonnegative(lam, "lam")
        attack_norm = check_exponent(attack_norm, "attack_norm")
        if not isinstance(fit_intercept, (bool, np.bool_)):
            raise TypeError(
                f"fit_intercept must be a bool, got {type(fit_intercept).__name__} {fit_intercept!r}"
            )
        if is_torch_tensor(X):
            X = X.detach().cpu().numpy()
        X = check_matrix(X, "X", allow_torch=False)
        n, d = X.shape
        if loss in BINARY_LOSSES:
            if n_classes is not None and n_classes != 2:
                raise ValueError(
                    f"n_classes must be None or 2 for the binary loss {loss!r}, got {n_classes!r}"
                )
            yv = check_binary_labels(y, n, "y")
            if np.unique(yv).size < 2:
                raise ValueError(f"y must contain both labels -1 and +1, got only {np.unique(yv).tolist()}")
            classes = np.array([-1, 1], dtype=np.int64)
            K = None
        else:
            yv, classes = encode_class_labels(y, n, n_classes, "y")
            K = classes.size
        check_working_memory(n, d, K, memory_limit)
        return cls(
            X=X,
            y=yv,
            eps=eps,
            lam=lam,
            loss=loss,
            fit_intercept=bool(fit_intercept),
            attack_norm=attack_norm,
            classes=classes,
        )

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        """Number of features."""
        return int(self.X.shape[1])

    @property
    def binary(self) -> bool:
        """True for the binary losses (W of shape (d,))."""
        return self.loss in BINARY_LOSSES

    @property
    def n_classes(self) -> int | None:
        """K for multi-class losses, None for binary ones."""
        return None if self.binary else int(self.classes.size)

    @property
    def K(self) -> int:
        """Number of rows of W of a multi-class problem (the number of classes); 2 for binary ones."""
        return int(self.classes.size)

    @cached_property
    def onehot(self) -> np.ndarray:
        """(n, K) indicator of the labels (multi-class only)."""
        K = self.K
        out = np.zeros((self.n, K))
        out[np.arange(self.n), self.y] = 1.0
        return out

    @cached_property
    def data_scale(self) -> float:
        r"""A power of two :math:`s \ge \max|X_{ij}|` when that maximum lies outside
        :math:`[2^{-20}, 2^{20}]`, else 1 (see :meth:`reduction`); at the top of the float range,
        where :math:`2^{1024}` does not exist, :math:`s = 2^{1023} > \max|X_{ij}| / 2`."""
        amax = float(np.abs(self.X).max())
        if amax > 0.0 and not (2.0**-20 <= amax <= 2.0**20):
            return math.ldexp(1.0, min(math.frexp(amax)[1], 1023))
        return 1.0

    @cached_property
    def zero_weight_thresholds(self) -> tuple[float, float]:
        r"""``(eps_zero, lam_zero) = (max_i ||x_i||_1, max_ij |X_ij|)``: above either, W = 0 is
        optimal (see :meth:`reduction`)."""
        with np.errstate(over="ignore"):  # inf near the top of the float range: no eps reaches it
            return float(np.abs(self.X).sum(axis=1).max()), float(np.abs(self.X).max())

    def reduction(self) -> tuple[TrainingProblem, float, bool]:
        r"""The problem a solver should see: ``(reduced, scale, zero_weights)``.

        Two exact reductions keep extreme but valid inputs inside the range where the solvers
        work; ordinary data (entries of X between :math:`2^{-20}` and :math:`2^{20}` in magnitude,
        ``eps`` and ``lam`` below the thresholds below) get the problem itself back.

        * Scale. With :math:`s` a power of two near :math:`\max|X_{ij}|` (used only when that
          maximum lies outside :math:`[2^{-20}, 2^{20}]`),
          :math:`F(W; X, \epsilon, \lambda) = F(sW; X/s, \epsilon/s, \lambda/s)`: the margins are
          unchanged, so a solution :math:`V` of the scaled problem gives :math:`W = V/s`, and dual
          points carry over. Dividing by a power of two is exact.
        * Zero weights. If :math:`\epsilon > \max_i \|x_i\|_1 \ge \max_i \|x_i\|_r`, every margin
          at :math:`(W, b)` is at most the margin at :math:`(0, b)`
          (:math:`|\langle w, x\rangle| \le \|w\|_{r^*}\|x\|_r`) and the losses decrease in the
          margins, so :math:`F(0, b) \le F(W, b)` for every b. If :math:`\lambda > \max_{ij}|X_{ij}|`,
          the data term has a subgradient at :math:`W = 0` with entries at most
          :math:`\max|X|` in magnitude (the losses are 1-Lipschitz in the margins), so by convexity
          :math:`F(W, b) \ge F(0, b) + (\lambda - \max|X|)\|W\|_1 \ge F(0, b)`. Either way W = 0 is
          optimal and the optimal value does not depend on :math:`\epsilon` or :math:`\lambda`
          beyond the thresholds; the reduced problem is solved at the thresholds (its dual points
          stay feasible for the original, whose dual feasible set is larger) and its weights are
          set to 0.
        """
        scale = self.data_scale
        eps_zero, lam_zero = self.zero_weight_thresholds
        zero = lam_zero == 0.0 or self.eps > eps_zero or self.lam > lam_zero
        if scale == 1.0 and not zero:
            return self, 1.0, False
        eps = min(self.eps, eps_zero) / scale
        lam = min(self.lam, lam_zero) / scale
        return (
            TrainingProblem(
                X=self.X / scale if scale != 1.0 else self.X,
                y=self.y,
                eps=eps,
                lam=lam,
                loss=self.loss,
                fit_intercept=self.fit_intercept,
                attack_norm=self.attack_norm,
                classes=self.classes,
            ),
            scale,
            zero,
        )

    def at(self, *, eps: float, lam: float) -> TrainingProblem:
        """The same data at other (validated) ``eps`` and ``lam``."""
        return TrainingProblem(
            X=self.X,
            y=self.y,
            eps=check_nonnegative(eps, "eps"),
            lam=check_nonnegative(lam, "lam"),
            loss=self.loss,
            fit_intercept=self.fit_intercept,
            attack_norm=self.attack_norm,
            classes=self.classes,
        )


def check_unscaled_weights(W: np.ndarray, scale: float, eps: float, lam: float) -> None:
    """SolverError when the weights of a rescaled problem do not fit in float64 once scaled back.

    Happens only for data of extreme scale together with a (nearly) unregularised problem whose
    optimal weights grow without bound.
    """
    if not np.isfinite(W).all():
        raise SolverError(
            f"the optimal weights overflow float64 once the data scale {scale:.3g} is undone, at eps={eps}, "
            f"lam={lam}: the problem has (nearly) no regularisation for data of this scale; raise lam"
        )


def check_model_point(
    X: Any, y: Any, W: Any, b: Any, *, loss: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Validate data and a point ``(W, b)`` of the training problem of ``loss``.

    ``W`` has shape (d,) and ``b`` is a real number for binary losses (labels in {-1, +1});
    ``W`` has shape (K, d) and ``b`` shape (K,) for multi-class losses, whose labels are the row
    indices ``0..K-1`` of ``W``. Returns float64 arrays ``(X, y, W, b)`` (``y`` int64 for
    multi-class losses).
    """
    loss = check_choice(loss, "loss", LOSSES)
    if is_torch_tensor(X):
        X = X.detach().cpu().numpy()
    X = check_matrix(X, "X", allow_torch=False)
    n, d = X.shape
    Wa = np.asarray(W.detach().cpu().numpy() if is_torch_tensor(W) else W)
    if Wa.dtype == object or not np.issubdtype(Wa.dtype, np.number) or np.iscomplexobj(Wa):
        raise TypeError(f"W must be a real array, got dtype {Wa.dtype}")
    Wa = Wa.astype(np.float64)
    ba = np.asarray(b.detach().cpu().numpy() if is_torch_tensor(b) else b)
    if ba.dtype == object or not np.issubdtype(ba.dtype, np.number) or np.iscomplexobj(ba):
        raise TypeError(f"b must be real, got dtype {ba.dtype}")
    ba = ba.astype(np.float64)
    if loss in BINARY_LOSSES:
        if Wa.shape != (d,):
            raise ValueError(
                f"W must have shape (n_features,) = ({d},) for the binary loss {loss!r}, got {Wa.shape}"
            )
        if ba.size != 1:
            raise ValueError(f"b must be a real number for the binary loss {loss!r}, got shape {ba.shape}")
        bv: Any = float(ba.reshape(()))
        yv = check_binary_labels(y, n, "y")
    else:
        if Wa.ndim != 2 or Wa.shape[1] != d or Wa.shape[0] < 2:
            raise ValueError(
                f"W must have shape (K, n_features) = (K, {d}) with K >= 2 for the loss {loss!r}, "
                f"got {Wa.shape}"
            )
        K = Wa.shape[0]
        if ba.shape != (K,):
            raise ValueError(f"b must have shape ({K},) for W of shape {Wa.shape}, got {ba.shape}")
        bv = ba
        yv, _ = encode_class_labels(y, n, K, "y", limit_to_n=False)
    if not (np.isfinite(Wa).all() and np.isfinite(ba).all()):
        raise ValueError("W and b must contain only finite values (found NaN or inf)")
    return X, yv, Wa, bv
