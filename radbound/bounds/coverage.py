r"""Test a bound like a theorem: how often does the true risk exceed it over independent samples?

A generalization bound at confidence :math:`1 - \delta` promises that, over the draw of the training
sample, the true risk of the returned model is at most the bound with probability at least
:math:`1 - \delta`. On a distribution whose true risks are closed forms
(:class:`radbound.data.GaussianMixture`) this promise can be checked directly: draw many independent
samples, train, evaluate the bound, compute the exact true risk, and count (:doc:`/theory/ground_truth`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_int, check_nonnegative, check_probability, check_random_state
from .model import model_generalization

__all__ = ["Coverage", "coverage"]


@dataclass(frozen=True)
class Coverage:
    r"""The outcome of :func:`coverage` over ``n_samples`` independent training samples.

    Attributes
    ----------
    n, n_samples : int
        Training-set size and number of independent samples.
    eps, delta : float
    covered : float
        Fraction of samples with true 0-1 risk (adversarial at ``eps``) at most the bound.
    covered_ramp : float
        Fraction with the true RAMP risk at the bound's grid margin at most the bound (the quantity
        the theorem bounds; at least the 0-1 risk, so ``covered_ramp <= covered``).
    mean_bound, mean_risk, mean_ramp_risk : float
        Averages of the bound, of the true 0-1 risk and of the true ramp risk.
    non_vacuous : float
        Fraction of bounds below 1.
    bounds, risks : ndarray
        Per-sample bound and true 0-1 risk.
    """

    n: int
    n_samples: int
    eps: float
    delta: float
    covered: float
    covered_ramp: float
    mean_bound: float
    mean_risk: float
    mean_ramp_risk: float
    non_vacuous: float
    bounds: np.ndarray
    risks: np.ndarray

    @property
    def holds(self) -> bool:
        """Whether the bound held in at least a :math:`1 - \\delta` fraction of the samples."""
        return self.covered_ramp >= 1.0 - self.delta

    def __repr__(self) -> str:
        return (
            f"Coverage(n={self.n}, eps={self.eps:g}: true risk <= bound in {self.covered:.3f} of "
            f"{self.n_samples} samples (ramp risk: {self.covered_ramp:.3f}; need >= {1 - self.delta:g}); "
            f"mean bound {self.mean_bound:.3f}, mean true risk {self.mean_risk:.3f}, "
            f"non-vacuous {self.non_vacuous:.2f})"
        )


def coverage(
    distribution: Any,
    fit: Callable[[np.ndarray, np.ndarray, np.random.Generator], Any],
    n: int,
    *,
    n_samples: int = 100,
    eps: float = 0.0,
    attack_norm: float = math.inf,
    margin: float | str = "auto",
    delta: float = 0.05,
    p: float = 2.0,
    n_draws: int | None = None,
    seed: Any = None,
) -> Coverage:
    r"""Draw ``n_samples`` training sets of size ``n``, train, and check the post-hoc bound against the truth.

    For each independent sample :math:`S_t \sim D^n`: :math:`f_t = ` ``fit(X, y, rng)``, the bound
    :math:`B_t` = :func:`model_generalization` (post-hoc valid, ``margin="auto"`` by default) and the
    exact true risks of ``distribution`` (:math:`R_\epsilon(f_t)`, and the ramp risk at the bound's grid
    margin, which is what the theorem bounds). The theorem says
    :math:`P(R(f_t) > B_t) \le \delta`; the returned fractions estimate :math:`P(R(f_t) \le B_t)`.

    Parameters
    ----------
    distribution : object with ``sample(n, seed=)`` and ``risk(W, b, eps=, attack_norm=, margin=)``
        e.g. :class:`radbound.data.GaussianMixture` (binary).
    fit : callable
        ``fit(X, y, rng) -> model`` with ``model.W`` of shape ``(d,)`` and ``model.b`` (a LinearModel).
    n : int
        Training-set size.
    n_samples : int, default 100
    eps, attack_norm, margin, delta, p, n_draws
        As in :func:`model_generalization`.
    seed : int, Generator, SeedSequence or None
        Split with ``SeedSequence.spawn`` into one stream per sample (data, training and Monte Carlo).

    Returns
    -------
    Coverage

    References
    ----------
    The bound: :func:`model_generalization` (:ref:`theory-post-hoc`); the exact risks:
    :doc:`/theory/ground_truth`.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import coverage
    >>> from radbound.data import GaussianMixture
    >>> gm = GaussianMixture(np.array([1.5, 0.0]))
    >>> fit = lambda X, y, rng: (np.linalg.lstsq(X, y, rcond=None)[0], 0.0)   # least squares, no bias
    >>> cov = coverage(gm, fit, 200, n_samples=5, seed=0)
    >>> cov.covered == 1.0 and cov.n_samples == 5
    True
    """
    if not (
        callable(getattr(distribution, "sample", None)) and callable(getattr(distribution, "risk", None))
    ):
        raise TypeError(
            "distribution must have sample(n, seed=) and risk(W, b, ...) methods (e.g. a "
            f"radbound.data.GaussianMixture), got {type(distribution).__name__}"
        )
    if not callable(fit):
        raise TypeError(
            f"fit must be a callable fit(X, y, rng) -> (W, b) or a LinearModel, got {type(fit).__name__}"
        )
    n = check_int(n, "n", minimum=2)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    eps = check_nonnegative(eps, "eps")
    delta = check_probability(delta, "delta")
    if isinstance(seed, np.random.Generator):
        root = np.random.SeedSequence([int(v) for v in seed.integers(0, 2**63 - 1, size=2)])
    elif isinstance(seed, np.random.SeedSequence):
        root = seed
    else:
        check_random_state(seed)  # validates the type
        root = np.random.SeedSequence(seed)
    bounds, risks, ramps = [], [], []
    for child in root.spawn(n_samples):
        data_seed, fit_seed, mc_seed = child.spawn(3)
        S = distribution.sample(n, seed=np.random.default_rng(data_seed))
        model = fit(S.X, S.y, np.random.default_rng(fit_seed))
        if hasattr(model, "W") and hasattr(model, "b"):
            W, b = model.W, model.b
        elif isinstance(model, (tuple, list)) and len(model) == 2:
            W, b = model
        else:
            raise TypeError(f"fit must return a pair (W, b) or a LinearModel, got {type(model).__name__}")
        try:
            bd = model_generalization(
                (W, b),
                S.X,
                S.y,
                margin=margin,
                eps=eps,
                attack_norm=attack_norm,
                p=p,
                delta=delta,
                n_draws=n_draws,
                seed=np.random.default_rng(mc_seed),
            )
        except (ValueError, TypeError) as exc:
            if "model" not in str(exc):
                raise
            raise type(exc)(f"fit returned a model that cannot be bounded: {exc}") from None
        gamma = bd.inputs["gamma"]  # the margin the bound was evaluated at
        bounds.append(bd.value)
        risks.append(distribution.risk(W, b, eps=eps, attack_norm=attack_norm))
        ramps.append(distribution.risk(W, b, eps=eps, attack_norm=attack_norm, margin=gamma))
    B, R, Rr = np.array(bounds), np.array(risks), np.array(ramps)
    return Coverage(
        n=n,
        n_samples=n_samples,
        eps=eps,
        delta=delta,
        covered=float(np.mean(R <= B)),
        covered_ramp=float(np.mean(Rr <= B)),
        mean_bound=float(B.mean()),
        mean_risk=float(R.mean()),
        mean_ramp_risk=float(Rr.mean()),
        non_vacuous=float(np.mean(B < 1.0)),
        bounds=B,
        risks=R,
    )
