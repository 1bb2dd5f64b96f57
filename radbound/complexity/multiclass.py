r"""Multi-class linear classes: the per-class Rademacher expectations (:doc:`/theory/multiclass`).

A new class is a new oracle, not a new estimator: this module only supplies the vectorised
supremum (and auxiliary columns averaged on the same sign vectors) to the engine of
:mod:`radbound.complexity._engine`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import get_backend
from .._lp import dual_exponent, norm
from .._validation import (
    check_exponent,
    check_matrix,
    check_positive,
    encode_class_labels,
)
from ..results import MulticlassEstimate
from ._engine import _estimate_fields, _Oracle, _run
from ._linear_kernels import times_pow2

__all__ = ["multiclass_rademacher"]


class _MulticlassOracle(_Oracle):
    """Columns: radius * sum_k ||sum_{i in I_k} sigma_i x_i||_q, ||sum_i sigma_i x_i||_q, then one per class.

    Each class's sum uses only its own rows (``S[:, I_k] @ X[I_k]``), so the work of one batch is
    that of two products ``S @ X`` whatever the number of classes, and absent classes cost nothing.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, K: int, q: float, radius: float, nx: Any) -> None:
        super().__init__(X.shape[0], nx)
        # data far from unit size is scaled by an exact power of two and the radius split as m * 2**e
        # (the engine scales the averages back: column_exp2), so finite answers stay finite
        top = float(np.max(np.abs(X)))
        x_exp2 = math.frexp(top)[1] if (top > 2.0**200 or 0.0 < top < 2.0**-200) else 0
        self.X, self.q = times_pow2(X, -x_exp2), q
        self.radius_mantissa, w_exp2 = math.frexp(radius)
        self.members = [np.flatnonzero(y == k) for k in range(K)]
        self.columns = ("value", "full") + tuple(f"E_{k}" for k in range(K))
        self.column_exp2 = (x_exp2 + w_exp2,) + (x_exp2,) * (K + 1)
        self.overflow_names = "X or radius"

    def default_chunk(self) -> int:
        d = self.X.shape[1]
        return max(1, min(2**16, 2**21 // max(self.n + d + len(self.columns), 1)))

    def values(self, signs: Any) -> np.ndarray:
        S = np.asarray(self.nx.to_numpy(signs), dtype=np.float64)
        out = np.zeros((S.shape[0], len(self.columns)))
        out[:, 1] = norm(S @ self.X, self.q)
        for k, rows in enumerate(self.members):
            if rows.size:
                out[:, 2 + k] = norm(S[:, rows] @ self.X[rows], self.q)
        out[:, 0] = self.radius_mantissa * out[:, 2:].sum(axis=1)
        return out


def multiclass_rademacher(
    X: Any,
    y: Any,
    *,
    p: Any = 2.0,
    radius: float = 1.0,
    n_classes: int | None = None,
    method: str = "auto",
    n_draws: int | None = None,
    seed: Any = None,
    antithetic: bool = True,
    delta: float = 0.05,
    chunk_size: int | None = None,
) -> MulticlassEstimate:
    r"""Per-class Rademacher expectations of a multi-class linear class, exact or Monte Carlo.

    With :math:`I_k = \{i : y_i = k\}`, :math:`q` the dual of :math:`p` and :math:`W` = ``radius``,
    the returned value is

    .. math::
        \frac Wn \sum_{k=0}^{K-1} \mathbb E_\sigma \Big\| \sum_{i \in I_k} \sigma_i x_i \Big\|_q
        = \mathbb E_\sigma \sup_{\max_k \|w_k\|_p \le W}
        \frac1n \sum_{i=1}^n \sigma_i \langle w_{y_i}, x_i\rangle ,

    the empirical Rademacher complexity of the label-selected score class
    :math:`(x, y) \mapsto \langle w_y, x\rangle` (factor :math:`1/n`, no absolute value). It is the data
    term of the paper's adversarial multi-class bound (:doc:`/theory/multiclass`), which multiplies it by
    :math:`2K/\gamma` (:func:`radbound.bounds.multiclass_adversarial_bound`).

    The result also carries (raw expectations, no :math:`W`, no :math:`1/n`; on the same sign vectors):

    - ``per_class``: tuple of :math:`E_k = \mathbb E\|\sum_{i \in I_k} \sigma_i x_i\|_q`, ``k = 0..K-1``
      (0 for a class absent from the sample);
    - ``full``: :math:`\mathbb E\|\sum_{i=1}^n \sigma_i x_i\|_q` (enters the natural bound);
    - ``class_sizes``, ``p``, ``radius``, ``classes`` (see :class:`radbound.MulticlassEstimate`).

    Parameters
    ----------
    X : array of shape (n, d)
    y : array of shape (n,)
        Integer class labels. The classes are the labels present (sorted; ``per_class[k]`` belongs
        to ``classes[k]``), so one stray label such as ``10**6`` is one more class, not a million.
    p : float, default 2
        Row norm of the weight matrix, :math:`\max_k \|w_k\|_p \le W`
        (the paper's :math:`\|W^\top\|_{p,\infty}`).
    radius : float, default 1
        :math:`W`.
    n_classes : int, optional
        A declared :math:`K` (at most ``n``): the labels must then lie in ``0..K-1`` and absent
        classes get :math:`E_k = 0`. Default: the labels present (at least two).
    method, n_draws, seed, antithetic, delta, chunk_size
        As in :func:`radbound.empirical_rademacher`. Monte Carlo reports the McDiarmid interval with
        bounded differences :math:`c_i = 2W\|x_i\|_q/n`.

    Returns
    -------
    MulticlassEstimate

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, multi-class linear classifiers (the theorem and its proof).

    Examples
    --------
    >>> import numpy as np, radbound as rb
    >>> X, y = np.eye(3), np.array([0, 1, 1])
    >>> est = rb.multiclass_rademacher(X, y, method="exact")   # E_0 = 1, E_1 = E||(s1, s2)||_2 = sqrt 2
    >>> bool(np.isclose(est.value, (1 + np.sqrt(2)) / 3)), bool(np.isclose(est.full, np.sqrt(3)))
    (True, True)
    """
    Xn = check_matrix(X, "X")
    if not isinstance(Xn, np.ndarray):
        Xn = Xn.detach().cpu().numpy().astype(np.float64)
    n = Xn.shape[0]
    yk, classes = encode_class_labels(y, n, n_classes, "y")
    K = int(classes.size)
    p = check_exponent(p, "p")
    radius = check_positive(radius, "radius")
    q = dual_exponent(p)
    nx = get_backend(backend="numpy")
    oracle = _MulticlassOracle(Xn, yk, K, q, radius, nx)
    c = 2.0 * oracle.radius_mantissa * norm(oracle.X, q) / n  # in the oracle's units (column_exp2)
    sampling = dict(
        method=method, n_draws=n_draws, seed=seed, antithetic=antithetic, delta=delta, chunk_size=chunk_size
    )
    est, means = _run(oracle, c, **sampling)
    return MulticlassEstimate(
        **_estimate_fields(est),
        per_class=tuple(means[f"E_{k}"] for k in range(K)),
        full=means["full"],
        class_sizes=tuple(int((yk == k).sum()) for k in range(K)),
        p=p,
        radius=radius,
        classes=tuple(classes.tolist()),
    )
