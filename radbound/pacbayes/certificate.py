r"""The result of a trained certificate: a :class:`radbound.Bound` that carries its posterior."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from ..results import Bound
from ._common import SampleSplit, TrainingSummary
from .bounds import SampledRisk

__all__ = ["RiskCertificate"]


@dataclass(frozen=True, repr=False, eq=False, kw_only=True)
class RiskCertificate(Bound):
    r"""A PAC-Bayes risk certificate: a :class:`radbound.Bound` on the true (natural or adversarial) risk
    of a stochastic classifier, with that classifier attached.

    It *is* a :class:`~radbound.results.Bound` (``value``, ``terms``, ``reference``, ``status``, ...;
    the terms are ``"empirical risk"``, ``"Monte-Carlo correction"``, ``"KL/n"``, ``"confidence"``), with
    typed fields for what produced it.

    Attributes
    ----------
    posterior : GaussianLinear or GaussianNetwork
        The stochastic classifier :math:`Q` whose risk :math:`R(Q) = \mathbb E_{h\sim Q} R(h)` is bounded
        (measure its test error with its ``sampled_risk`` method).
    prior : GaussianLinear or GaussianNetwork
        The prior :math:`P` (learned on ``split.prior_indices`` only).
    split : SampleSplit
        Which rows chose the prior and which evaluated the bound.
    empirical : SampledRisk
        The Monte-Carlo estimate of the stochastic empirical risk on the bound rows.
    kl : float
        :math:`\mathrm{KL}(Q\|P)` in nats.
    eps : float
        Attack radius (0: natural risk).
    attack_norm : float
        The attack's norm :math:`r`.
    certified : bool
        True when the per-draw loss is the exact or certified adversarial 0-1 loss, so the value bounds
        the adversarial risk against every attack in the threat set; False when it only reflects the attack
        used (then the bound is a statement about that attack).
    training : TrainingSummary
        What the optimisation did.
    """

    posterior: Any
    prior: Any
    split: SampleSplit
    empirical: SampledRisk
    kl: float
    eps: float = 0.0
    attack_norm: float = math.inf
    certified: bool = True
    training: TrainingSummary

    @classmethod
    def from_bound(cls, bound: Bound, **extra: Any) -> RiskCertificate:
        """A certificate with the fields of ``bound`` and ``extra``."""
        base = {f.name: getattr(bound, f.name) for f in fields(Bound)}
        return cls(**base, **extra)

    @property
    def confidence(self) -> float:
        r""":math:`1 - \delta - \delta'`, the probability with which the bound holds."""
        return float(self.constants["confidence"])
