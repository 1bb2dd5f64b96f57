r"""The certified empirical adversarial risk: the empirical term of a bound that needs no attack.

A generalization bound on the adversarial risk starts from the empirical adversarial risk of the
sample. For a network it cannot be computed exactly; an attack (PGD) gives a value that is too
small. Certified margins :math:`m_i \le \min_{x' \in \mathcal S_i} M(f(x'), y_i)` give one that is
too large, which is the safe side: the loss is non-increasing in the margin, so

.. math::
    \hat R^{\,\mathrm{adv}}_n = \frac1n \sum_i \ell\big(\min_{x' \in \mathcal S_i} M(f(x'), y_i)\big)
    \le \frac1n \sum_i \ell(m_i) =: \hat R^{\,\mathrm{cert}}_n

for the 0-1 loss :math:`\ell(t) = \mathbb 1[t \le 0]` and for the ramp loss
:math:`\phi_\gamma(t) = \min\{1, \max\{0, 1 - t/\gamma\}\}`. Any bound
:math:`R^{\mathrm{adv}} \le \hat R^{\,\mathrm{adv}}_n + \text{complexity} + \text{confidence}` stays a
theorem with :math:`\hat R^{\,\mathrm{cert}}_n` in place of the empirical term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lp import ramp
from .._validation import check_choice, check_positive
from ..results import MarginLipschitz
from .margins import CertifiedMargins, certify

__all__ = ["CertifiedRisk", "certified_risk"]


@dataclass(frozen=True)
class CertifiedRisk:
    r"""An upper bound on the empirical adversarial risk of a sample, from certified margins.

    Attributes
    ----------
    value : float
        :math:`\frac1n\sum_i \ell(m_i) \in [0, 1]`, at least the empirical adversarial risk.
    loss : str
        ``"zero-one"`` or ``"ramp"``.
    margin : float or None
        The ramp width :math:`\gamma` (``None`` for the 0-1 loss).
    n : int
        Sample size.
    method : str
        The certificate: ``"ibp"``, ``"crown"``, ``"sdp"`` or ``"lipschitz"``.
    eps : float
    attack_norm : float
    clip : (float, float) or None
    exact : bool
        True when the margins were exact (affine models): the value is then the empirical
        adversarial risk itself.
    lipschitz : MarginLipschitz or None
        ``"lipschitz"`` only: the margin Lipschitz constant the margins were shifted with.
    shift : float or None
        ``"lipschitz"`` only: the shift :math:`\tau` subtracted from every natural margin.
    """

    value: float
    loss: str
    margin: float | None
    n: int
    method: str
    eps: float
    attack_norm: float
    clip: tuple[float, float] | None
    exact: bool
    lipschitz: MarginLipschitz | None = None
    shift: float | None = None

    def describe(self) -> str:
        """One line saying which certificate gave the value."""
        r = "inf" if math.isinf(self.attack_norm) else f"{self.attack_norm:g}"
        loss = "0-1 loss" if self.loss == "zero-one" else f"ramp loss, gamma={self.margin:g}"
        clip = "" if self.clip is None else f", clip [{self.clip[0]:g}, {self.clip[1]:g}]"
        how = "exact worst case" if self.exact else f"certified by {self.method.upper()}"
        if self.method == "lipschitz" and self.lipschitz is not None and self.shift is not None:
            s = "inf" if math.isinf(self.lipschitz.norm) else f"{self.lipschitz.norm:g}"
            how += f" (L={self.lipschitz.value:.6g} in l_{s}, margins shifted by tau={self.shift:.6g})"
        return f"{how}, eps={self.eps:g}, l_{r}{clip}, {loss}, n={self.n}"

    def __float__(self) -> float:
        return self.value

    @classmethod
    def from_margins(cls, cm: CertifiedMargins, *, margin: float | None = None) -> CertifiedRisk:
        """The certified risk of a :class:`CertifiedMargins` (0-1 loss, or the ramp with ``margin``)."""
        m = cm.margins
        m = m.detach().cpu().numpy() if hasattr(m, "detach") else np.asarray(m)
        m = np.asarray(m, dtype=np.float64)
        if margin is None:
            value, loss = float(np.mean(m <= 0)), "zero-one"
        else:
            margin = check_positive(margin, "margin")
            value, loss = float(np.mean(ramp(m, margin))), "ramp"
        return cls(
            value,
            loss,
            margin,
            int(m.shape[0]),
            cm.method,
            cm.eps,
            cm.attack_norm,
            cm.clip,
            cm.exact,
            cm.lipschitz,
            cm.shift,
        )


def certified_risk(
    net: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    attack_norm: float = math.inf,
    method: str = "crown",
    margin: float | None = None,
    clip: tuple[float, float] | None = None,
    **options: Any,
) -> CertifiedRisk:
    r"""The certified empirical adversarial risk (0-1 or ramp loss) of ``net`` on a sample.

    .. math::
        \hat R^{\,\mathrm{cert}}_n = \frac1n \sum_{i=1}^n \ell(m_i) \;\ge\;
        \frac1n \sum_{i=1}^n \ell\Big(\min_{x' \in \mathcal S_i} M(f(x'), y_i)\Big),

    :math:`m_i` the certified margins of :func:`certified_margins`,
    :math:`\ell(t) = \mathbb 1[t \le 0]` (``margin=None``: the fraction of samples not certified)
    or the ramp :math:`\phi_\gamma` (``margin=gamma``). The inequality holds because both losses are
    non-increasing; it is an equality for affine models. Use the value as the empirical term of a
    bound on the true adversarial risk (:func:`radbound.bounds.generalization`).

    Parameters
    ----------
    net, X, y, eps, attack_norm, method, clip
        As in :func:`certified_margins`.
    margin : float or None
        The ramp width :math:`\gamma > 0`; ``None`` for the 0-1 loss.
    **options
        Further keywords of :func:`certify` (``intermediate``, ``chunk_size``, ``lipschitz``, ...).

    Returns
    -------
    CertifiedRisk

    References
    ----------
    Wong & Kolter (2018), ICML, and Gowal et al. (2018): the certified error as an upper bound on the
    adversarial error. :doc:`/theory/certified` (the inequality above).

    Examples
    --------
    On a linear model the certified 0-1 risk is the exact adversarial error:

    >>> import numpy as np
    >>> from radbound.attacks import linear_robust_accuracy
    >>> from radbound.certify import certified_risk
    >>> rng = np.random.default_rng(0)
    >>> W, X, y = rng.normal(size=(3, 5)), rng.normal(size=(50, 5)), rng.integers(0, 3, 50)
    >>> cr = certified_risk((W, None), X, y, eps=0.1, method="ibp")
    >>> bool(np.isclose(cr.value, 1 - linear_robust_accuracy(W, None, X, y, eps=0.1)))
    True
    """
    check_choice(method, "method", ("crown", "ibp", "sdp", "lipschitz"))
    if margin is not None:
        margin = check_positive(margin, "margin")
    cm = certify(net, X, y, eps=eps, attack_norm=attack_norm, method=method, clip=clip, **options)
    return CertifiedRisk.from_margins(cm, margin=margin)
