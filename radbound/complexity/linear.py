r"""Empirical Rademacher complexities of binary linear classes, natural and adversarial.

Classes (:doc:`/theory/binary_linear`): :math:`\mathcal F = \{x \mapsto \langle w, x\rangle :
\|w\|_p \le W\}` and its adversarial version under an :math:`\ell_r` attack of radius
:math:`\epsilon`, :math:`\tilde{\mathcal F} = \{(x, y) \mapsto \min_{\|x'-x\|_r \le \epsilon}
y \langle w, x'\rangle\} = \{(x,y) \mapsto y\langle w, x\rangle - \epsilon\|w\|_{r^*}\}`.
Both are computed through the engine of :mod:`radbound.complexity._engine` with the
closed-form inner suprema of :mod:`radbound.complexity._linear_kernels`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import get_backend
from .._lp import dual_exponent, norm
from .._validation import (
    check_binary_labels,
    check_exponent,
    check_matrix,
    check_nonnegative,
    check_positive,
)
from ..results import AdversarialEstimate, Estimate
from ._engine import _estimate_fields, _run
from ._linear_kernels import LinearOracle

__all__ = ["linear_rademacher", "adversarial_linear_rademacher", "SUPPORTED_ATTACKS"]

#: The (p, attack_norm) pairs with an exact closed-form inner supremum.
SUPPORTED_ATTACKS = (
    "attack_norm=inf for every p in [1, inf], or attack_norm equal to the dual exponent q of p"
)


def _prepare(X: Any, backend: str | None, y: Any = None) -> tuple[Any, Any]:
    X = check_matrix(X, "X")
    nx = get_backend(X, y, backend=backend)
    return (nx.asarray(X) if nx.name == "torch" else X), nx


def _row_norms(X: Any, nx: Any, q: float) -> np.ndarray:
    """``||x_i||_q`` of every row, as float64 numpy (for the bounded differences)."""
    return norm(np.asarray(nx.to_numpy(X), dtype=np.float64), q)


def linear_rademacher(
    X: Any,
    *,
    p: float = 2.0,
    radius: float = 1.0,
    method: str = "auto",
    n_draws: int | None = None,
    seed: Any = None,
    antithetic: bool = True,
    delta: float = 0.05,
    chunk_size: int | None = None,
    backend: str | None = None,
) -> Estimate:
    r"""Empirical Rademacher complexity of the :math:`\ell_p`-ball linear class.

    .. math::
        \hat{\mathfrak R}_S(\mathcal F) = \mathbb E_\sigma \sup_{\|w\|_p \le W}
        \frac1n \sum_{i=1}^n \sigma_i \langle w, x_i\rangle
        = \frac{W}{n}\, \mathbb E_\sigma \Big\| \sum_{i=1}^n \sigma_i x_i \Big\|_q,
        \qquad \frac1p + \frac1q = 1 .

    Convention: factor :math:`1/n`, no absolute value inside the supremum.

    Parameters
    ----------
    X : array of shape (n, d)
        The sample, one row per point (numpy, or a torch tensor: computed in torch
        on its device).
    p : float in [1, inf]
        Weight norm: the class is :math:`\{x \mapsto \langle w, x\rangle : \|w\|_p \le W\}`.
    radius : float > 0
        :math:`W`, the radius of the weight ball (default 1). The complexity is linear in it.
    method, n_draws, seed, antithetic, delta, chunk_size, backend
        As in :func:`radbound.empirical_rademacher` (exact for ``n <= 20`` by
        default). Monte Carlo reports the McDiarmid interval with
        :math:`c_i = 2W\|x_i\|_q / n`; ``chunk_size`` is the number of draws per
        batch (exact enumeration uses its own cache-sized tiles). For this class
        :math:`\sigma` and :math:`-\sigma` give the same value, so antithetic pairs
        halve the cost but not the variance per pair.

    Returns
    -------
    Estimate

    Notes
    -----
    Exact enumeration uses the symmetry :math:`\sigma \leftrightarrow -\sigma`
    (:math:`2^{n-1}` vectors), sums of precomputed high- and low-block partial sums
    instead of a product per sign vector, and for :math:`p = 2` the Gram matrix:
    :math:`\|\sum_i \sigma_i x_i\|_2^2 = \sigma^\top XX^\top \sigma`.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), "Rademacher Complexity for Adversarially Robust
    Generalization", ICML, binary linear classifiers; :doc:`/theory/binary_linear`.

    Examples
    --------
    >>> import numpy as np, radbound as rb
    >>> est = rb.linear_rademacher(np.eye(2), method="exact")   # all four signs give sqrt(2)
    >>> bool(np.isclose(est.value, np.sqrt(2) / 2)), est.stderr
    (True, 0.0)
    >>> est1 = rb.linear_rademacher(np.eye(2), p=1, method="exact")  # ||.||_inf = 1 always
    >>> bool(np.isclose(est1.value, 1 / 2))
    True
    """
    X, nx = _prepare(X, backend)
    p = check_exponent(p, "p")
    q = dual_exponent(p)
    radius = check_positive(radius, "radius")
    n = int(X.shape[0])
    oracle = LinearOracle(X, None, q=q, eps=0.0, mode="natural", radius=radius, nx=nx)
    c = 2.0 * oracle.scale * _row_norms(oracle.X, nx, q) / n  # in the oracle's units (column_exp2)
    sampling = dict(
        method=method, n_draws=n_draws, seed=seed, antithetic=antithetic, delta=delta, chunk_size=chunk_size
    )
    est, _ = _run(oracle, c, **sampling)
    return est


def adversarial_linear_rademacher(
    X: Any,
    y: Any,
    *,
    eps: float,
    p: float = 2.0,
    radius: float = 1.0,
    attack_norm: float = math.inf,
    method: str = "auto",
    n_draws: int | None = None,
    seed: Any = None,
    antithetic: bool = True,
    delta: float = 0.05,
    chunk_size: int | None = None,
    backend: str | None = None,
) -> AdversarialEstimate:
    r"""Exact adversarial Rademacher complexity of the binary :math:`\ell_p`-ball linear class.

    .. math::
        \hat{\mathfrak R}_S(\tilde{\mathcal F}) = \mathbb E_\sigma \sup_{\|w\|_p \le W}
        \frac1n \sum_{i=1}^n \sigma_i \Big( y_i\langle w, x_i\rangle - \epsilon \|w\|_{r^*}\Big)
        = \frac1n\, \mathbb E_\sigma \sup_{\|w\|_p\le W} \big(\langle w, u\rangle - \lambda \|w\|_{r^*}\big),

    with :math:`u = \sum_i \sigma_i y_i x_i`, :math:`s = \sum_i \sigma_i` and
    :math:`\lambda = \epsilon s` (any sign). The inner supremum has a closed form
    (:doc:`/theory/binary_linear`, [derived]; :math:`\lambda` of either sign):

    * ``attack_norm=inf`` (:math:`r^* = 1`), any :math:`p`:
      :math:`W\,\|(|u| - \lambda)_+\|_q`;
    * ``attack_norm`` equal to the dual :math:`q` of :math:`p` (:math:`r^* = p`):
      :math:`W\,(\|u\|_q - \lambda)_+`.

    Other pairs raise ``NotImplementedError`` (use the bounds of :mod:`radbound.bounds`).
    Convention: factor :math:`1/n`, no absolute value. With ``eps=0`` the result is
    exactly :func:`linear_rademacher` of ``X`` (same sign vectors, same arithmetic).

    Parameters
    ----------
    X : array of shape (n, d)
    y : array of shape (n,) with entries in {-1, +1}
    eps : float >= 0
        Attack radius :math:`\epsilon`.
    p : float in [1, inf]
        Weight norm of the class.
    radius : float > 0
        :math:`W`, the radius of the weight ball :math:`\|w\|_p \le W` (default 1).
    attack_norm : float
        :math:`r`; ``inf`` (the paper's case) or the dual exponent of ``p``.
    method, n_draws, seed, antithetic, delta, chunk_size, backend
        As in :func:`radbound.empirical_rademacher`. Monte Carlo reports the McDiarmid
        interval with :math:`c_i = 2W(\|x_i\|_q + \epsilon\kappa)/n`, where
        :math:`\kappa = d^{1/q}` for ``attack_norm=inf`` and 1 for the dual pair.

    Returns
    -------
    AdversarialEstimate
        With, computed on the SAME sign vectors: ``natural`` (the
        natural complexity :math:`\hat{\mathfrak R}_S(\mathcal F)`), ``mean_abs_s``
        (the average of :math:`|\sum_i\sigma_i|`), and ``dim_factor``
        (:math:`\kappa`). With
        antithetic draws (or exact enumeration) the section-2 sandwich
        :math:`\max(\mathfrak R, \epsilon W\kappa\,\overline{|s|}/(2n)) \le \tilde{\mathfrak R}
        \le \mathfrak R + \epsilon W\kappa\,\overline{|s|}/(2n)` holds exactly for these numbers.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, theorem on binary linear classifiers (the class and its
    bounds, r = inf); :doc:`/theory/binary_linear` (closed forms and sharper constants, derived).

    Examples
    --------
    >>> import numpy as np, radbound as rb
    >>> X, y = np.eye(2), np.array([1.0, -1.0])
    >>> nat = rb.linear_rademacher(X, method="exact")
    >>> adv = rb.adversarial_linear_rademacher(X, y, eps=0.0, method="exact")
    >>> adv.value == nat.value
    True
    >>> adv = rb.adversarial_linear_rademacher(X, y, eps=0.5, method="exact")
    >>> # s = 0 twice (value sqrt 2 each); s = 2 gives 0; s = -2 gives ||(1, 1) + 1||_2 = 2 sqrt 2
    >>> bool(np.isclose(adv.value, (2 * np.sqrt(2) + 2 * np.sqrt(2)) / 4 / 2))
    True
    """
    X, nx = _prepare(X, backend, y)
    n, d = int(X.shape[0]), int(X.shape[1])
    y = check_binary_labels(y, n, "y")
    eps = check_nonnegative(eps, "eps")
    p = check_exponent(p, "p")
    q = dual_exponent(p)
    radius = check_positive(radius, "radius")
    r = check_exponent(attack_norm, "attack_norm")
    if math.isinf(r):
        mode, kappa = "inf", float(d) ** (1.0 / q)
    elif math.isclose(r, q, rel_tol=1e-12):
        mode, kappa = "dual", 1.0
    else:
        raise NotImplementedError(
            f"adversarial_linear_rademacher has an exact closed form only for {SUPPORTED_ATTACKS} "
            f"(here q={q!r}); got p={p!r}, attack_norm={r!r}. For other pairs use the bounds of "
            "radbound.bounds (docs/theory/binary_linear.md: d^(1/q) replaced by max(d^(1 - 1/r - 1/p), 1))."
        )
    oracle = LinearOracle(X, y, q=q, eps=eps, mode=mode, radius=radius, nx=nx)
    c = 2.0 * oracle.scale * (_row_norms(oracle.X, nx, q) + oracle.eps * kappa) / n  # oracle units
    sampling = dict(
        method=method, n_draws=n_draws, seed=seed, antithetic=antithetic, delta=delta, chunk_size=chunk_size
    )
    est, means = _run(oracle, c, **sampling)
    return AdversarialEstimate(
        **_estimate_fields(est), natural=means["natural"] / n, mean_abs_s=means["abs_s"], dim_factor=kappa
    )
