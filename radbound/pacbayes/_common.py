r"""Pieces shared by the linear and network certificates: the split record, the prior-scale grid,
seed streams, the training objectives and their derivatives, an Adam step (numpy)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_random_state
from ._kl import kl_inv

__all__ = ["SampleSplit", "TrainingSummary", "PRIOR_STD_GRID", "OBJECTIVES"]

#: The grid of prior standard deviations, fixed before any data are seen: 2^(k/8), k = -160..40
#: (about 1e-6 to 32, ratio 1.09). A certificate whose prior scale was learned pays log(J) for it.
PRIOR_STD_GRID = tuple(2.0 ** (k / 8.0) for k in range(-160, 41))

#: Differentiable PAC-Bayes training objectives.
OBJECTIVES = ("quad", "kl", "classic")


@dataclass(frozen=True)
class SampleSplit:
    r"""How a certificate used its sample: a part to choose the prior, the rest to evaluate the bound.

    Attributes
    ----------
    n : int
        Size of the whole sample.
    n_prior : int
        Examples used to learn the prior (:math:`S_P`); 0 for a data-free prior.
    n_bound : int
        Examples the bound is evaluated on (:math:`S \setminus S_P`), the :math:`n` of the bound.
    prior_indices, bound_indices : ndarray
        Row indices into the sample (disjoint, together all rows).
    seed_entropy : int or None
        Entropy of the seed sequence that drew the split (reproducibility).
    """

    n: int
    n_prior: int
    n_bound: int
    prior_indices: np.ndarray = field(repr=False, compare=False)
    bound_indices: np.ndarray = field(repr=False, compare=False)
    seed_entropy: int | None = field(default=None, repr=False)

    @property
    def prior_fraction(self) -> float:
        """``n_prior / n``."""
        return self.n_prior / self.n


@dataclass(frozen=True)
class TrainingSummary:
    r"""What the posterior optimisation did.

    Attributes
    ----------
    objective : str
        ``"quad"``, ``"kl"`` or ``"classic"`` (see :func:`radbound.pacbayes.linear_certificate`).
    n_steps : int
    final_objective : float
        The training objective (surrogate loss, PAC-Bayes form) averaged over the last tenth of the steps.
    final_surrogate : float
        The bounded surrogate loss over the same steps.
    prior_std : float
        The grid value of the prior standard deviation used by the certificate.
    learned_prior_std : float
        The value the optimisation reached before rounding to the grid.
    seconds : float
        Wall time of prior and posterior training.
    """

    objective: str
    n_steps: int
    final_objective: float
    final_surrogate: float
    prior_std: float
    learned_prior_std: float
    seconds: float


#: Largest number of per-draw losses held in memory (one float64 each: 1 GiB).
MAX_DRAWS = 2**27


def check_draws(n_draws: int, examples_per_draw: int, names: tuple[str, str]) -> None:
    """Refuse Monte-Carlo budgets whose arrays cannot be held in memory (before any work)."""
    if n_draws > MAX_DRAWS:
        raise ValueError(
            f"{names[0]} must be <= {MAX_DRAWS:,} (2**27: one float64 loss per draw is held in memory, "
            f"1 GiB), got {n_draws:,}"
        )
    if n_draws * examples_per_draw > MAX_DRAWS:
        raise ValueError(
            f"{names[1]} * {names[0]} must be <= {MAX_DRAWS:,} (2**27 example indices held in memory), "
            f"got {examples_per_draw:,} * {n_draws:,}"
        )


def check_trained(arrays: dict[str, Any], culprits: str) -> None:
    """Raise FloatingPointError naming ``culprits`` when training left non-finite parameters."""
    bad = [name for name, a in arrays.items() if not np.isfinite(np.asarray(a, dtype=np.float64)).all()]
    if bad:
        raise FloatingPointError(
            f"training diverged: non-finite {', '.join(bad)} ({culprits}); use a smaller learning rate "
            "or a less extreme scale"
        )


def streams(seed: Any, k: int) -> list[np.random.Generator]:
    """``k`` independent Generators split from ``seed`` with ``SeedSequence.spawn``."""
    if isinstance(seed, np.random.Generator):
        entropy = [int(v) for v in seed.integers(0, 2**63 - 1, size=2, dtype=np.int64)]
        ss = np.random.SeedSequence(entropy)
    else:
        check_random_state(seed)  # validates type and sign
        ss = np.random.SeedSequence(None if seed is None else int(seed))
    return [np.random.default_rng(c) for c in ss.spawn(k)]


def seed_entropy(seed: Any) -> int | None:
    """The int seed, if one was given (recorded for reproducibility)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return None
    return int(seed)


def split_sample(n: int, prior_fraction: float, rng: np.random.Generator, entropy: int | None) -> SampleSplit:
    """A seeded random split into ``floor(prior_fraction n)`` prior rows and the rest."""
    n_prior = int(math.floor(prior_fraction * n))
    perm = rng.permutation(n)
    prior_idx = np.sort(perm[:n_prior])
    bound_idx = np.sort(perm[n_prior:])
    prior_idx.setflags(write=False)
    bound_idx.setflags(write=False)
    return SampleSplit(n, n_prior, n - n_prior, prior_idx, bound_idx, entropy)


def nearest_grid_std(value: float) -> tuple[float, int]:
    """The grid value of :data:`PRIOR_STD_GRID` nearest to ``value`` in log scale, and its index."""
    logs = np.log(np.asarray(PRIOR_STD_GRID))
    j = int(np.argmin(np.abs(logs - math.log(value))))
    return PRIOR_STD_GRID[j], j


def objective_and_grads(
    name: str, loss: float, kl_value: float, n: int, log_term: float
) -> tuple[float, float, float]:
    r"""A PAC-Bayes training objective :math:`f(L, \mathrm{KL})` and its partial derivatives.

    With :math:`c = (\mathrm{KL} + \log(2\sqrt n J/\delta))/n` (``log_term`` is the logarithm):

    * ``"quad"``: :math:`(\sqrt{L + c/2} + \sqrt{c/2})^2` (Pérez-Ortiz et al. 2021, ``f_quad``);
    * ``"kl"``: :math:`\mathrm{kl}^{-1}(L, c)`, derivatives by implicit differentiation of
      :math:`\mathrm{kl}(L\|p) = c`: :math:`\partial p/\partial c = 1/\partial_p\mathrm{kl}`,
      :math:`\partial p/\partial L = -\partial_q\mathrm{kl}/\partial_p\mathrm{kl}` with
      :math:`\partial_p \mathrm{kl}(q\|p) = (p - q)/(p(1-p))` and
      :math:`\partial_q \mathrm{kl}(q\|p) = \log\frac{q(1-p)}{p(1-q)}`;
    * ``"classic"``: :math:`L + \sqrt{c/2}` (McAllester's form, ``f_classic``).

    Returns ``(f, df/dL, df/dKL)``.
    """
    c = (kl_value + log_term) / n
    if name == "quad":
        a = math.sqrt(loss + c / 2.0)
        b = math.sqrt(c / 2.0)
        f = (a + b) ** 2
        dfdl = (a + b) / a
        dfdc = (a + b) * (1.0 / a + 1.0 / b) / 2.0
        return f, dfdl, dfdc / n
    if name == "classic":
        b = math.sqrt(c / 2.0)
        return loss + b, 1.0, 1.0 / (4.0 * b) / n
    # "kl"
    q = min(max(loss, 1e-12), 1.0 - 1e-12)
    p = kl_inv(q, c)
    p = min(max(p, q + 1e-15), 1.0 - 1e-15)
    dkl_dp = (p - q) / (p * (1.0 - p))
    dkl_dq = math.log(q * (1.0 - p) / (p * (1.0 - q)))
    if dkl_dp <= 0:
        return p, 1.0, 0.0
    return p, -dkl_dq / dkl_dp, 1.0 / dkl_dp / n


class Adam:
    """Adam (Kingma & Ba 2015) on a list of numpy arrays, in place."""

    def __init__(self, params: list[np.ndarray], lr: float, betas: tuple[float, float] = (0.9, 0.999)):
        self.params = params
        self.lr = lr
        self.b1, self.b2 = betas
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray], lrs: list[float] | None = None) -> None:
        self.t += 1
        c1 = 1.0 - self.b1**self.t
        c2 = 1.0 - self.b2**self.t
        for k, (p, g, m, v) in enumerate(zip(self.params, grads, self.m, self.v)):
            m *= self.b1
            m += (1.0 - self.b1) * g
            v *= self.b2
            v += (1.0 - self.b2) * g * g
            lr = self.lr if lrs is None else lrs[k]
            p -= lr * (m / c1) / (np.sqrt(v / c2) + 1e-8)
