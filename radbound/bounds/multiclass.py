r"""Multi-class linear classes with the ramp loss: the paper's bounds and a lower estimate.

:math:`f_W(x) = W x` with :math:`W \in \mathbb R^{K \times d}`, rows :math:`w_k`,
:math:`\max_k \|w_k\|_p \le W` (the symbol :math:`W` is also the radius, as in the paper),
margin :math:`M(z, y) = z_y - \max_{k\ne y} z_k`, ramp loss :math:`\phi_\gamma`
(1 for :math:`t \le 0`, :math:`1 - t/\gamma` on :math:`(0,\gamma)`, 0 for :math:`t \ge \gamma`).
The loss classes are :math:`l_{\mathcal F} = \{\phi_\gamma(M(f_W(x), y))\}` and
:math:`\tilde l_{\mathcal F} = \{\phi_\gamma(\min_{x' \in B_r(x,\epsilon)} M(f_W(x'), y))\}`
(:doc:`/theory/multiclass`). Convention: factor :math:`1/n`, no absolute value.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._validation import (
    check_exponent,
    check_int,
    check_matrix,
    check_multiclass_labels,
    check_nonnegative,
    check_positive,
    spawn_generators,
)
from ..complexity import empirical_rademacher, multiclass_rademacher
from ..results import Bound, Estimate, LossClass, LowerEstimate, MulticlassEstimate
from ._formula import build_bound
from ._ramp import BATCH_ELEMENTS, ramp_sup_lower
from ._symbols import (
    YIN_2019,
    dimension_factor,
    dimension_inputs,
    estimate_note,
)

__all__ = [
    "multiclass_natural_bound",
    "multiclass_adversarial_bound",
    "multiclass_ramp_lower_estimate",
    "LEADING_CONSTANT",
]

#: Safe leading constant of the multi-class bounds: the factor is ``LEADING_CONSTANT * W K / gamma``.
#: The bound is also printed with ``W K / gamma`` (constant 1, unchecked); a pairwise derivation
#: gives ``2 W (K - 1) / gamma`` on the data term, so ``2`` is the safe choice (:doc:`/theory/multiclass`).
LEADING_CONSTANT = 2.0


def _prepare(X, y, n_classes, margin, p, radius):
    X = check_matrix(X, "X")
    if not isinstance(X, np.ndarray):
        X = X.detach().cpu().numpy().astype(np.float64)
    n = X.shape[0]
    y, K = check_multiclass_labels(y, n, n_classes, "y")
    gamma = check_positive(margin, "margin")
    p = check_exponent(p, "p")
    radius = check_nonnegative(radius, "radius")
    return X, y, K, gamma, p, radius


def _check_leading(c: Any) -> tuple[float, str]:
    c = check_positive(c, "leading_constant")
    if c < LEADING_CONSTANT:
        warnings.warn(
            f"leading_constant={c!r} is below the safe value {LEADING_CONSTANT}; the bound is unverified",
            stacklevel=3,
        )
        return c, "unverified"
    return c, "paper"


def _mc_constants(est: Estimate, factor: float) -> dict[str, float]:
    """Half-width (at level mc_delta) that the estimate's McDiarmid interval implies on the bound.

    ``factor`` maps the estimate's value (at its own radius) to the bound's term."""
    if est.is_exact:
        return {}
    if est.interval is None or est.delta is None:
        return {"monte_carlo": 1.0}
    return {"monte_carlo": 1.0, "mc_half_width": factor * est.half_width(), "mc_delta": est.delta}


def _rescale(radius: float, est: MulticlassEstimate) -> float:
    """The estimate's value is (radius/n) sum_k E_k at its own radius; the bound uses radius W."""
    if est.radius > 0:
        return radius / est.radius
    if est.is_exact:
        return 0.0
    raise ValueError("complexity: a Monte-Carlo MulticlassEstimate computed at radius 0 cannot be rescaled")


def _complexity_estimate(X, y, K, p, radius, complexity, n_draws, seed) -> MulticlassEstimate:
    if isinstance(complexity, Estimate):
        if not isinstance(complexity, MulticlassEstimate):
            raise TypeError(
                "complexity must be a MulticlassEstimate (from radbound.multiclass_rademacher) or a "
                f"method name, got {type(complexity).__name__}"
            )
        if complexity.n_classes != K:
            raise ValueError(
                f"complexity was computed for K={complexity.n_classes} classes, "
                f"but n_classes/labels give K={K}"
            )
        sizes = tuple(int((y == k).sum()) for k in range(K))
        if complexity.class_sizes != sizes:
            raise ValueError(f"complexity class sizes {complexity.class_sizes} do not match y's {sizes}")
        if complexity.p != p:
            raise ValueError(f"complexity was computed with p={complexity.p!r}, not p={p!r}")
        return complexity
    if complexity not in ("auto", "exact", "monte-carlo"):
        raise ValueError(
            f"complexity must be one of ['auto', 'exact', 'monte-carlo'] or an Estimate, got {complexity!r}"
        )
    return multiclass_rademacher(
        X, y, p=p, radius=radius, n_classes=K, method=complexity, n_draws=n_draws, seed=seed
    )


# --------------------------------------------------------------------------------------------------
# The two bounds, each written once (value with math, formula with sympy: radbound.bounds._formula)
# --------------------------------------------------------------------------------------------------
def _natural_terms(m, *, C, K, W, E_S, gamma, n):
    return {"complexity": C * K * W * E_S / (gamma * n)}


def _adversarial_terms(m, *, C, K, W, gamma, epsilon, n, E, d, q=None, p=None, r=None):
    factor = C * W * K / gamma
    D = d ** (1 / q) if q is not None else m.Max(1, d ** (1 - 1 / r - 1 / p))
    return {
        "adversarial term": factor * epsilon * m.sqrt(K) * D / m.sqrt(n),
        "data term": factor * sum(E) / n,
    }


def multiclass_natural_bound(
    X: Any,
    y: Any,
    *,
    margin: float,
    p: Any = 2.0,
    radius: float = 1.0,
    n_classes: int | None = None,
    leading_constant: float = LEADING_CONSTANT,
    complexity: Any = "auto",
    n_draws: int | None = None,
    seed: Any = None,
) -> Bound:
    r"""The paper's bound on the Rademacher complexity of the multi-class ramp-loss class.

    .. math::
        \hat{\mathfrak R}_S(l_{\mathcal F}) \le \frac{C\, K W}{\gamma\, n}\,
        \mathbb E_\sigma \Big\| \sum_{i=1}^n \sigma_i x_i \Big\|_q, \qquad C = 2 .

    The expectation (symbol ``E_S``) is computed by :func:`radbound.multiclass_rademacher`
    (its ``full`` field), exactly or by Monte Carlo. Convention: factor 1/n, no absolute value.

    Parameters
    ----------
    X : array of shape (n, d)
    y : array of shape (n,)
        Labels in ``0..K-1``.
    margin : float
        :math:`\gamma > 0`.
    p, radius
        :math:`\max_k \|w_k\|_p \le W`.
    n_classes : int, optional
        :math:`K` (default ``max(y) + 1``); labels must lie below it.
    leading_constant : float, default 2
        :math:`C`; values below 2 give ``status="unverified"`` and a warning.
    complexity : {"auto", "exact", "monte-carlo"} or Estimate
        A method for :func:`radbound.multiclass_rademacher`, or its result.
    n_draws, seed
        Passed to the estimator.

    Returns
    -------
    Bound
        Status ``"paper"``.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, theorem on multi-class linear classifiers (natural part);
    :doc:`/theory/multiclass`.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import multiclass_natural_bound
    >>> b = multiclass_natural_bound(np.eye(4), [0, 1, 2, 0], margin=1.0, complexity="exact")
    >>> bool(np.isclose(b.value, 2 * 3 * 1 * 2 / 4))          # E||sigma||_2 = 2 for 4 orthonormal rows
    True
    """
    X, y, K, gamma, p, radius = _prepare(X, y, n_classes, margin, p, radius)
    C, status = _check_leading(leading_constant)
    n = X.shape[0]
    est = _complexity_estimate(X, y, K, p, radius, complexity, n_draws, seed)
    return build_bound(
        _natural_terms,
        {"C": C, "K": K, "W": radius, "E_S": est.full, "gamma": gamma, "n": n},
        constants={"C": C} | _mc_constants(est, C * K / gamma * _rescale(radius, est)),
        reference=f"{YIN_2019}, theorem on multi-class linear classifiers (natural bound)",
        status=status,
        name="multiclass-natural",
        loss_class=LossClass("natural"),
        notes=(
            "Bounds R_S of the ramp-loss class. E_S = E||sum_i sigma_i x_i||_q. " + estimate_note(est, "E_S")
        ),
    )


def multiclass_adversarial_bound(
    X: Any,
    y: Any,
    *,
    margin: float,
    eps: float,
    p: Any = 2.0,
    radius: float = 1.0,
    attack_norm: Any = math.inf,
    n_classes: int | None = None,
    leading_constant: float = LEADING_CONSTANT,
    complexity: Any = "auto",
    n_draws: int | None = None,
    seed: Any = None,
) -> Bound:
    r"""The paper's bound on the Rademacher complexity of the adversarial multi-class ramp-loss class.

    .. math::
        \hat{\mathfrak R}_S(\tilde l_{\mathcal F}) \le \frac{C\, W K}{\gamma} \Big[
        \frac{\epsilon \sqrt K D}{\sqrt n}
        + \frac1n \sum_{k=1}^K \mathbb E_\sigma \Big\| \sum_{i: y_i = k} \sigma_i x_i \Big\|_q \Big],
        \qquad D = \max(d^{1-1/r-1/p}, 1)\ (= d^{1/q} \text{ for } r = \infty).

    **The leading constant.** The bound is also printed with :math:`W K/\gamma` (unchecked); a pairwise
    derivation gives :math:`2 W (K-1)/\gamma` on the data term, so :math:`C = 2` (factor
    :math:`2WK/\gamma`) is the safe, valid choice used by default (:doc:`/theory/multiclass`). ``C`` is a
    parameter: values below 2 are marked ``"unverified"`` with a warning. Status with :math:`C \ge 2`
    is ``"derived"`` (the paper's form with the derived safe constant); non-:math:`\ell_\infty`
    attacks use the derived factor :math:`D`.

    The per-class expectations (symbols ``E_0 .. E_{K-1}``) come from
    :func:`radbound.multiclass_rademacher` (its ``per_class`` field).

    Parameters
    ----------
    X, y, margin, p, radius, n_classes, leading_constant, complexity, n_draws, seed
        As in :func:`multiclass_natural_bound`.
    eps : float
        Attack radius :math:`\epsilon \ge 0`.
    attack_norm : float, default inf
        :math:`r`.

    Returns
    -------
    Bound
        Terms ``"adversarial term"`` and ``"data term"`` (sum).

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, theorem on multi-class linear classifiers (adversarial bound);
    :doc:`/theory/multiclass`.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import multiclass_adversarial_bound
    >>> b = multiclass_adversarial_bound(np.eye(2), [0, 1], margin=1.0, eps=0.0, complexity="exact")
    >>> bool(np.isclose(b.value, 2 * 1 * 2 / 1 * (1 + 1) / 2))   # E_0 = E_1 = 1
    True
    """
    X, y, K, gamma, p, radius = _prepare(X, y, n_classes, margin, p, radius)
    eps = check_nonnegative(eps, "eps")
    r = check_exponent(attack_norm, "attack_norm")
    C, status = _check_leading(leading_constant)
    if status == "paper":
        status = "derived"
    n, d = X.shape
    est = _complexity_estimate(X, y, K, p, radius, complexity, n_draws, seed)
    D = dimension_factor(d, p, r)
    return build_bound(
        _adversarial_terms,
        {
            "C": C,
            "K": K,
            "W": radius,
            "gamma": gamma,
            "epsilon": eps,
            "n": n,
            **dimension_inputs(d, p, r),
            "E": list(est.per_class),
        },
        constants={"C": C, "D": D} | _mc_constants(est, C * K / gamma * _rescale(radius, est)),
        reference=(
            f"{YIN_2019}, theorem on multi-class linear classifiers (adversarial bound; "
            "leading constant 2WK/gamma, docs/theory/multiclass.md)"
        ),
        status=status,
        name="multiclass-adversarial",
        loss_class=LossClass("adversarial", eps=eps, attack_norm=r),
        notes=(
            "Bounds R_S of the adversarial ramp-loss class. E_k = E||sum_{i: y_i = k} sigma_i x_i||_q. "
            + estimate_note(est, "E_k")
        ),
        zero_based=("E",),
    )


def multiclass_ramp_lower_estimate(
    X: Any,
    y: Any,
    *,
    margin: float,
    p: Any = 2.0,
    radius: float = 1.0,
    eps: float = 0.0,
    attack_norm: Any = math.inf,
    n_classes: int | None = None,
    method: str = "auto",
    n_draws: int | None = None,
    seed: Any = None,
    n_restarts: int = 8,
    n_steps: int = 300,
    n_pool: int = 4000,
) -> LowerEstimate:
    r"""Lower estimate of the Rademacher complexity of the (adversarial) ramp-loss class.

    .. math::
        \hat{\mathfrak R}_S(\tilde l_{\mathcal F}) = \mathbb E_\sigma \sup_{\max_k\|w_k\|_p \le W}
        \frac1n \sum_i \sigma_i\, \phi_\gamma\Big(\min_{k\ne y_i} (w_{y_i} - w_k)^\top x_i
        - \epsilon\|w_{y_i} - w_k\|_{r^*}\Big)

    (the exact linear adversarial margin of :doc:`/theory/multiclass`; :math:`\epsilon = 0` gives the
    natural class). The supremum is replaced by the best of a heuristic search for each sign vector:
    a shared pool of ``n_pool`` random feasible models scored on every sign vector, then
    ``n_restarts`` runs of projected Adam ascent (``n_steps`` steps) on a smoothed objective (soft-min,
    soft ramp, annealed temperature), started at 0, at the linearised ascent direction and at the best
    pool members. Each reported value is the exact objective of a feasible model, hence at most the
    supremum: with ``method="exact"`` (all :math:`2^n` sign vectors) the value is a certified LOWER
    bound on the complexity up to rounding; with Monte Carlo it is an estimate of one. Convention:
    factor 1/n, no absolute value.

    Parameters
    ----------
    X, y, margin, p, radius, n_classes
        As in :func:`multiclass_natural_bound`.
    eps, attack_norm
        The attack (``eps=0`` for the natural class).
    method, n_draws, seed
        As in :func:`radbound.empirical_rademacher` (the engine enumerates or draws the signs).
        ``seed`` is split (``SeedSequence.spawn``) into one stream for the sign vectors and one for
        the search, so the effort options below never change the sign vectors.
    n_restarts, n_steps, n_pool
        Effort of the heuristic search.

    Returns
    -------
    LowerEstimate
        With ``margin``, ``eps`` and ``n_classes``; not an upper estimate (generalization bounds refuse it).

    Notes
    -----
    Why a lower bound: for each sign vector :math:`\sigma` the search returns
    :math:`\frac1n\sum_i\sigma_i\phi_\gamma(\cdot)` at one feasible :math:`W`, which is
    :math:`\le` the supremum; averaging over all :math:`2^n` sign vectors keeps the inequality. It is
    the companion of the upper bounds :func:`multiclass_natural_bound` and
    :func:`multiclass_adversarial_bound`, to show how loose they are.

    References
    ----------
    The class: Yin, Ramchandran & Bartlett (2019), ICML, the setting of its theorem on multi-class
    linear classifiers; the exact adversarial margin is derived (see :doc:`/theory/multiclass`); the search
    uses Adam (Kingma & Ba 2015, ICLR).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import multiclass_ramp_lower_estimate
    >>> # n = 1, x = 1, K = 2: R = (1 - (1 - 2W/gamma)_+) / 2 = 1/4 for radius W = 1/4, gamma = 1
    >>> est = multiclass_ramp_lower_estimate([[1.0]], [0], n_classes=2, margin=1.0, radius=0.25, seed=0)
    >>> bool(np.isclose(est.value, 0.25))
    True
    """
    X, y, K, gamma, p, radius = _prepare(X, y, n_classes, margin, p, radius)
    eps = check_nonnegative(eps, "eps")
    r = check_exponent(attack_norm, "attack_norm")
    n_restarts = check_int(n_restarts, "n_restarts", minimum=1)
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    n_pool = check_int(n_pool, "n_pool", minimum=1)
    n, d = X.shape
    if max(n_restarts, 3) * K * (d + n) > BATCH_ELEMENTS:
        raise ValueError(
            f"n_restarts={n_restarts:,} restarts of {K} x {d} weights for one sign vector need more than "
            f"{BATCH_ELEMENTS:,} numbers in memory; use fewer restarts"
        )
    if n_pool * K * d > 8 * BATCH_ELEMENTS:
        raise ValueError(
            f"n_pool={n_pool:,} pooled models of {K} x {d} weights need more than {8 * BATCH_ELEMENTS:,} "
            "numbers (1 GiB) in memory; use a smaller pool"
        )
    sign_rng, search_rng = spawn_generators(seed, 2)  # raising the search effort keeps the signs

    def sup(signs: Any) -> np.ndarray:
        return ramp_sup_lower(
            X,
            y,
            np.asarray(signs, dtype=np.float64),
            n_classes=K,
            margin=gamma,
            p=p,
            radius=radius,
            eps=eps,
            attack_norm=r,
            n_restarts=n_restarts,
            n_steps=n_steps,
            n_pool=n_pool,
            rng=search_rng,
        )

    try:
        est = empirical_rademacher(sup, X.shape[0], method=method, n_draws=n_draws, seed=sign_rng)
    except ValueError as exc:
        if "sup must return finite values" not in str(exc):
            raise
        raise OverflowError(
            f"the ramp-loss search leaves the float range (X up to {float(np.max(np.abs(X))):.3g}, "
            f"radius={radius!r}, eps={eps!r}, margin={gamma!r}): X, radius or eps too large, or margin "
            "too small"
        ) from None
    return LowerEstimate(
        value=est.value,
        stderr=est.stderr,
        method=est.method,
        n_draws=est.n_draws,
        antithetic=est.antithetic,
        margin=gamma,
        eps=eps,
        n_classes=K,
    )
