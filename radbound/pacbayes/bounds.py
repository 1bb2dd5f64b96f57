r"""PAC-Bayes bounds as :class:`radbound.Bound` objects (:doc:`/theory/pac_bayes`).

Setting: a prior :math:`P` chosen without the sample :math:`S` of size :math:`n`, a loss in
:math:`[0, 1]`, any posterior :math:`Q`; :math:`\hat R_S(Q) = \mathbb E_{h\sim Q} \frac1n\sum_i
\ell(h, z_i)` the stochastic (Gibbs) empirical risk and :math:`R(Q) = \mathbb E_{h\sim Q}\mathbb E_z
\ell(h, z)` the stochastic true risk. With probability at least :math:`1 - \delta` over :math:`S`,
simultaneously for every :math:`Q` (Maurer 2004; Seeger 2002):

.. math::
    \mathrm{kl}\big(\hat R_S(Q) \,\|\, R(Q)\big) \le \frac{\mathrm{KL}(Q\|P) + \log(2\sqrt n/\delta)}{n}
    =: c_n(Q).

* :func:`pac_bayes_kl_bound` -- :math:`R(Q) \le \mathrm{kl}^{-1}(\hat R_S(Q), c_n(Q))`, the tightest;
* :func:`pac_bayes_quadratic_bound` -- :math:`\big(\sqrt{\hat R_S + c_n/2} + \sqrt{c_n/2}\big)^2`;
* :func:`pac_bayes_lambda_bound` -- :math:`\hat R_S/(1-\lambda/2) + c_n/(\lambda(1-\lambda/2))`,
  :math:`\lambda \in (0, 2)`;

the last two are the relaxations Pérez-Ortiz et al. (2021) train with (``f_quad`` and ``f_lambda``);
both follow from the first through :math:`\mathrm{kl}(q\|p) \ge (p - q)^2/(2p)` for :math:`q \le p`, so
they hold on the same event, for every :math:`\lambda` at once, and are never below it.

* :func:`sample_convergence_bound` -- the Monte-Carlo correction of Langford & Caruana (2002):
  :math:`\hat R_S(Q)` is an expectation over :math:`Q`; from :math:`m` independent draws whose losses
  average to :math:`\hat R_m`, with probability :math:`\ge 1 - \delta'` over the draws,
  :math:`\hat R_S(Q) \le \mathrm{kl}^{-1}(\hat R_m, \log(2/\delta')/m)`.
* :func:`pac_bayes_certificate` -- the two chained, confidence :math:`1 - \delta - \delta'`, with the
  terms "empirical risk", "Monte-Carlo correction", "KL/n", "confidence".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .._concentration import log_ratio
from .._validation import check_int, check_nonnegative, check_probability
from ..bounds._formula import build_bound
from ..results import Bound

__all__ = [
    "SampledRisk",
    "pac_bayes_kl_bound",
    "pac_bayes_quadratic_bound",
    "pac_bayes_lambda_bound",
    "sample_convergence_bound",
    "pac_bayes_certificate",
    "MAURER_SEEGER",
    "LANGFORD_CARUANA",
    "PEREZ_ORTIZ_2021",
]

MAURER_SEEGER = "PAC-Bayes-kl: Seeger (2002), JMLR 3; Maurer (2004), arXiv:cs/0411099"
LANGFORD_CARUANA = "sample convergence: Langford & Caruana (2002), NeurIPS 14"
PEREZ_ORTIZ_2021 = "Pérez-Ortiz, Rivasplata, Shawe-Taylor & Szepesvári (2021), JMLR 22"


@dataclass(frozen=True)
class SampledRisk:
    r"""A Monte-Carlo estimate of a stochastic (Gibbs) empirical risk :math:`\hat R_S(Q)`.

    ``n_draws`` independent posterior draws :math:`h_j \sim Q`; draw :math:`j` is evaluated on
    ``examples_per_draw`` examples :math:`I_j` chosen uniformly at random without replacement from the
    ``n_examples`` of the sample, independently of everything else, and contributes
    :math:`Y_j = \frac{1}{|I_j|}\sum_{i \in I_j} \ell(h_j, z_i) \in [0, 1]`. The :math:`Y_j` are i.i.d. with
    mean exactly :math:`\hat R_S(Q)`, so the sample convergence bound applies to :math:`\bar Y`
    (:meth:`upper`) with :math:`m` = ``n_draws``. ``examples_per_draw = n_examples`` is the classical
    scheme (every draw on the whole sample).

    Attributes
    ----------
    value : float
        :math:`\bar Y = \frac1m \sum_j Y_j`.
    stderr : float
        Standard error of ``value`` (sample standard deviation of the :math:`Y_j` over :math:`\sqrt m`).
    n_draws : int
        :math:`m`.
    examples_per_draw : int
    n_examples : int
    eps : float
        Attack radius of the loss (0: natural 0-1 loss).
    attack_norm : float
    loss_kind : str
        ``"exact"`` when each :math:`\ell(h_j, z_i)` is the exact (natural or adversarial) 0-1 loss of the
        draw; ``"certified"`` when it is an upper bound on the adversarial 0-1 loss from a certified margin
        (the estimate then targets an upper bound of the adversarial risk, and a bound built on it still
        holds). Losses from an attack, which bound the adversarial loss from below, are never used.
    method : str
        How the draws were evaluated (e.g. ``"local reparameterization"``, ``"exact linear attack"``).
    """

    value: float
    stderr: float
    n_draws: int
    examples_per_draw: int
    n_examples: int
    eps: float = 0.0
    attack_norm: float = math.inf
    loss_kind: str = "exact"
    method: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "stderr", float(self.stderr))
        if not (0.0 <= self.value <= 1.0):
            raise ValueError(f"value must lie in [0, 1], got {self.value!r}")
        check_int(self.n_draws, "n_draws", minimum=1)
        if self.loss_kind not in ("exact", "certified"):
            raise ValueError(f"loss_kind must be 'exact' or 'certified', got {self.loss_kind!r}")

    def upper(self, delta: float) -> float:
        r""":math:`\mathrm{kl}^{-1}(\bar Y, \log(2/\delta')/m)`: holds for :math:`\hat R_S(Q)` with
        probability :math:`\ge 1 - \delta'` over the draws (:func:`sample_convergence_bound`)."""
        return sample_convergence_bound(self.value, self.n_draws, delta=delta).value

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        risk = "natural" if self.eps == 0 else f"adversarial (eps={self.eps:g})"
        return (
            f"SampledRisk({self.value:.6g} ± {self.stderr:.2g} s.e., {risk}, {self.n_draws} draws x "
            f"{self.examples_per_draw} of {self.n_examples} examples)"
        )


def _check_risk(value: Any, name: str = "empirical_risk") -> float:
    value = check_nonnegative(value, name)
    if value > 1.0:
        raise ValueError(f"{name} must lie in [0, 1] (a loss in [0, 1]), got {value!r}")
    return value


def _level_value(kl: float, n: int, delta: float) -> tuple[float, float]:
    """``(c, log_term)`` with c = (KL + log(2 sqrt(n) / delta)) / n."""
    log_term = log_ratio(2.0 * math.sqrt(n), delta)
    return (kl + log_term) / n, log_term


def _common(empirical_risk: Any, kl: Any, n: Any, delta: Any) -> tuple[float, float, int, float]:
    r = _check_risk(empirical_risk)
    kl = check_nonnegative(kl, "kl")
    n = check_int(n, "n", minimum=1)
    delta = check_probability(delta, "delta")
    return r, kl, n, delta


# ----------------------------------------------------------------------------- the formulas, written once
# Each ``*_terms(ns, **inputs)`` is read with floats (radbound.bounds._formula.NUM) for the value and with
# sympy for Bound.formula(): the two readings cannot disagree. ``ns.klinv`` is the upper kl-inverse.
def _level(ns: Any, KL: Any, n: Any, delta: Any, J: Any = 1) -> Any:
    """c = (KL + log(2 sqrt(n) J / delta)) / n."""
    return (KL + ns.log(2 * ns.sqrt(n) * J / delta)) / n


def _kl_terms(ns: Any, *, R_S: Any, KL: Any, n: Any, delta: Any) -> dict[str, Any]:
    full = ns.klinv(R_S, _level(ns, KL, n, delta))
    mid = ns.klinv(R_S, KL / n)
    return {"empirical risk": R_S, "KL/n": mid - R_S, "confidence": full - mid}


def _quadratic_terms(ns: Any, *, R_S: Any, KL: Any, n: Any, delta: Any) -> dict[str, Any]:
    def quad(level: Any) -> Any:
        return (ns.sqrt(R_S + level / 2) + ns.sqrt(level / 2)) ** 2

    full, mid = quad(_level(ns, KL, n, delta)), quad(KL / n)
    return {"empirical risk": R_S, "KL/n": mid - R_S, "confidence": full - mid}


def _lambda_terms(ns: Any, *, R_S: Any, KL: Any, n: Any, delta: Any, **lam: Any) -> dict[str, Any]:
    L = lam["lambda"]  # "lambda" is the symbol's name (a Python keyword, hence the mapping)
    scale = 1 - L / 2
    return {
        "empirical risk": R_S / scale,
        "KL/n": KL / (n * L * scale),
        "confidence": ns.log(2 * ns.sqrt(n) / delta) / (n * L * scale),
    }


def _sample_terms(ns: Any, *, Y_m: Any, m: Any, delta_mc: Any) -> dict[str, Any]:
    up = ns.klinv(Y_m, ns.log(2 / delta_mc) / m)
    return {"sample mean": Y_m, "Monte-Carlo correction": up - Y_m}


def _certificate_terms(
    ns: Any, *, Y_m: Any, KL: Any, n: Any, delta: Any, J: Any, sampled: bool, **mc: Any
) -> dict[str, Any]:
    up = ns.klinv(Y_m, ns.log(2 / mc["delta_mc"]) / mc["m"]) if sampled else Y_m
    mid = ns.klinv(up, KL / n)
    full = ns.klinv(up, _level(ns, KL, n, delta, J))
    return {
        "empirical risk": Y_m,
        "Monte-Carlo correction": up - Y_m,
        "KL/n": mid - up,
        "confidence": full - mid,
    }


def pac_bayes_kl_bound(empirical_risk: float, kl: float, n: int, *, delta: float = 0.05) -> Bound:
    r"""PAC-Bayes-kl bound (Seeger 2002; Maurer 2004) on the stochastic true risk.

    .. math::
        R(Q) \le \mathrm{kl}^{-1}\Big(\hat R_S(Q),\ \frac{\mathrm{KL}(Q\|P) + \log(2\sqrt n/\delta)}{n}\Big)

    with probability :math:`\ge 1 - \delta` over the sample, for all posteriors :math:`Q` at once, for a
    prior :math:`P` chosen without the sample and a loss in :math:`[0, 1]`.

    Parameters
    ----------
    empirical_risk : float
        :math:`\hat R_S(Q)` in [0, 1] (exact; see :func:`pac_bayes_certificate` for a sampled one).
    kl : float
        :math:`\mathrm{KL}(Q\|P) \ge 0` in nats.
    n : int
        Sample size the empirical risk is computed on.
    delta : float
        In (0, 1).

    Returns
    -------
    Bound
        Terms ``"empirical risk"`` (:math:`\hat R_S`), ``"KL/n"``
        (:math:`\mathrm{kl}^{-1}(\hat R_S, \mathrm{KL}/n) - \hat R_S`) and ``"confidence"`` (the rest): an
        attribution of the increase, in that order, since the inverse is not additive. Status ``"paper"``.

    References
    ----------
    Seeger (2002), "PAC-Bayesian generalisation error bounds for Gaussian process classification",
    JMLR 3; Maurer (2004), "A note on the PAC Bayesian theorem", arXiv:cs/0411099. Maurer's theorem has
    :math:`\xi(n) = \sum_{k=0}^n \binom nk (k/n)^k (1-k/n)^{n-k}` where :math:`2\sqrt n` stands; he
    shows :math:`\xi(n) \le 2\sqrt n` for :math:`n \ge 8`, and direct evaluation shows it for
    :math:`n \le 7` (a test), so the form above holds for every :math:`n \ge 1`.

    Examples
    --------
    >>> import math
    >>> from radbound.pacbayes import kl, pac_bayes_kl_bound
    >>> b = pac_bayes_kl_bound(0.1, 5.0, 1000, delta=0.05)
    >>> c = (5.0 + math.log(2 * math.sqrt(1000) / 0.05)) / 1000
    >>> math.isclose(kl(0.1, b.value), c, rel_tol=1e-10)
    True
    """
    r, kl, n, delta = _common(empirical_risk, kl, n, delta)
    c, log_term = _level_value(kl, n, delta)
    return build_bound(
        _kl_terms,
        {"R_S": r, "KL": kl, "n": n, "delta": delta},
        constants={"delta": delta, "log_term": log_term, "c": c},
        reference=MAURER_SEEGER,
        status="paper",
        name="pac-bayes-kl",
        notes=(
            "Bounds the stochastic (Gibbs) true risk R(Q); prior chosen without the sample; loss in [0, 1]. "
            "Terms attribute kl^{-1}(R_S, (KL + log(2 sqrt(n)/delta))/n) - R_S to KL/n first, "
            "then confidence."
        ),
    )


def pac_bayes_quadratic_bound(empirical_risk: float, kl: float, n: int, *, delta: float = 0.05) -> Bound:
    r"""PAC-Bayes-quadratic bound (the ``f_quad`` objective of Pérez-Ortiz et al. 2021).

    .. math::
        R(Q) \le \Bigg(\sqrt{\hat R_S(Q) + \frac{\mathrm{KL}(Q\|P) + \log(2\sqrt n/\delta)}{2n}}
        + \sqrt{\frac{\mathrm{KL}(Q\|P) + \log(2\sqrt n/\delta)}{2n}}\Bigg)^2 .

    Derivation from :func:`pac_bayes_kl_bound` (so it holds on the same event): for :math:`q \le p`,
    :math:`\mathrm{kl}(q\|p) \ge (p - q)^2/(2p)`, hence :math:`(p - q)^2 \le 2 p c` with
    :math:`c = c_n(Q)`, whose largest root is :math:`p = q + c + \sqrt{c^2 + 2qc}
    = (\sqrt{q + c/2} + \sqrt{c/2})^2`. It is therefore never below the kl bound.

    Parameters
    ----------
    empirical_risk, kl, n, delta
        As in :func:`pac_bayes_kl_bound`.

    Returns
    -------
    Bound
        Terms ``"empirical risk"``, ``"KL/n"`` (the bound at :math:`\delta`-free level :math:`\mathrm{KL}/n`
        minus :math:`\hat R_S`), ``"confidence"``. Status ``"paper"``.

    References
    ----------
    Pérez-Ortiz, Rivasplata, Shawe-Taylor & Szepesvári (2021), "Tighter risk certificates for neural
    networks", JMLR 22 (PAC-Bayes-quadratic bound, training objective ``f_quad``; constants as in their
    public code, ``pbb/bounds.py``).

    Examples
    --------
    >>> import math
    >>> from radbound.pacbayes import pac_bayes_kl_bound, pac_bayes_quadratic_bound
    >>> quad = pac_bayes_quadratic_bound(0.1, 5.0, 1000).value
    >>> c = (5.0 + math.log(2 * math.sqrt(1000) / 0.05)) / 1000
    >>> math.isclose(quad, (math.sqrt(0.1 + c / 2) + math.sqrt(c / 2)) ** 2)
    True
    >>> quad >= pac_bayes_kl_bound(0.1, 5.0, 1000).value
    True
    """
    r, kl, n, delta = _common(empirical_risk, kl, n, delta)
    c, log_term = _level_value(kl, n, delta)
    return build_bound(
        _quadratic_terms,
        {"R_S": r, "KL": kl, "n": n, "delta": delta},
        constants={"delta": delta, "log_term": log_term, "c": c},
        reference=f"{PEREZ_ORTIZ_2021}, PAC-Bayes-quadratic bound (f_quad); from {MAURER_SEEGER}",
        status="paper",
        name="pac-bayes-quadratic",
        notes="A relaxation of the PAC-Bayes-kl bound: never below it, valid on the same event.",
    )


def pac_bayes_lambda_bound(
    empirical_risk: float, kl: float, n: int, *, delta: float = 0.05, lam: float | None = None
) -> Bound:
    r"""PAC-Bayes-:math:`\lambda` bound (Thiemann et al. 2017; the ``f_lambda`` of Pérez-Ortiz et al. 2021).

    .. math::
        R(Q) \le \frac{\hat R_S(Q)}{1 - \lambda/2}
        + \frac{\mathrm{KL}(Q\|P) + \log(2\sqrt n/\delta)}{n\,\lambda\,(1 - \lambda/2)},
        \qquad \lambda \in (0, 2),

    for all :math:`\lambda` and :math:`Q` simultaneously with probability :math:`\ge 1 - \delta`: from
    :math:`(p - q)^2 \le 2pc` (see :func:`pac_bayes_quadratic_bound`) and
    :math:`\sqrt{2pc} \le \lambda p/2 + c/\lambda`. ``lam=None`` takes the minimiser
    :math:`\lambda^* = 2/(\sqrt{2n\hat R_S/(\mathrm{KL} + \log(2\sqrt n/\delta)) + 1} + 1)`, at which the
    value equals the quadratic bound.

    Parameters
    ----------
    empirical_risk, kl, n, delta
        As in :func:`pac_bayes_kl_bound`.
    lam : float or None
        :math:`\lambda` in (0, 2); None for :math:`\lambda^*`.

    Returns
    -------
    Bound
        Terms ``"empirical risk"`` (:math:`\hat R_S/(1-\lambda/2)`), ``"KL/n"``
        (:math:`\mathrm{KL}/(n\lambda(1-\lambda/2))`), ``"confidence"``; ``constants["lambda"]``.

    References
    ----------
    Thiemann, Igel, Wintenberger & Seldin (2017), "A strongly quasiconvex PAC-Bayesian bound", ALT;
    Pérez-Ortiz, Rivasplata, Shawe-Taylor & Szepesvári (2021), JMLR 22 (``f_lambda``).

    Examples
    --------
    >>> import math
    >>> from radbound.pacbayes import pac_bayes_lambda_bound, pac_bayes_quadratic_bound
    >>> quad = pac_bayes_quadratic_bound(0.1, 5.0, 1000).value
    >>> math.isclose(pac_bayes_lambda_bound(0.1, 5.0, 1000).value, quad)
    True
    >>> pac_bayes_lambda_bound(0.1, 5.0, 1000, lam=1.0).value > quad
    True
    """
    r, kl, n, delta = _common(empirical_risk, kl, n, delta)
    c, log_term = _level_value(kl, n, delta)
    if lam is None:
        lam = 2.0 / (math.sqrt(2.0 * n * r / (kl + log_term) + 1.0) + 1.0)
    else:
        lam = float(check_nonnegative(lam, "lam"))
        if not (0.0 < lam < 2.0):
            raise ValueError(f"lam must be in (0, 2), got {lam!r}")
    return build_bound(
        _lambda_terms,
        {"R_S": r, "KL": kl, "n": n, "delta": delta, "lambda": lam},
        constants={"delta": delta, "lambda": lam, "log_term": log_term},
        reference=(
            "Thiemann, Igel, Wintenberger & Seldin (2017), ALT (PAC-Bayes-lambda); "
            f"{PEREZ_ORTIZ_2021} (f_lambda)"
        ),
        status="paper",
        name="pac-bayes-lambda",
        notes="Holds for every lambda in (0, 2) at once (a relaxation of the PAC-Bayes-kl bound).",
    )


def sample_convergence_bound(empirical_mean: float, n_draws: int, *, delta: float = 0.01) -> Bound:
    r"""Langford & Caruana's bound on an expectation over the posterior from :math:`m` draws.

    If :math:`Y_1, \dots, Y_m \in [0, 1]` are i.i.d. with mean :math:`\mu` (here: losses of independent
    posterior draws, mean :math:`\hat R_S(Q)`), then with probability :math:`\ge 1 - \delta'`

    .. math::
        \mu \le \mathrm{kl}^{-1}\Big(\bar Y,\ \frac{\log(2/\delta')}{m}\Big).

    (The Chernoff bound :math:`P(\bar Y \le \mu - t) \le e^{-m\,\mathrm{kl}(\mu - t\|\mu)}` for variables
    in [0, 1] (Hoeffding 1963) gives the one-sided statement with :math:`\log(1/\delta')`; the
    :math:`\log(2/\delta')` of Langford & Caruana and Pérez-Ortiz et al. is kept, a slightly larger bound.)

    Parameters
    ----------
    empirical_mean : float
        :math:`\bar Y` in [0, 1].
    n_draws : int
        :math:`m \ge 1`.
    delta : float
        :math:`\delta'` in (0, 1).

    Returns
    -------
    Bound
        Terms ``"sample mean"`` and ``"Monte-Carlo correction"``. Status ``"paper"``.

    References
    ----------
    Langford & Caruana (2002), "(Not) bounding the true error", NeurIPS 14; as used by Pérez-Ortiz et al.
    (2021), JMLR 22; Hoeffding (1963), "Probability inequalities for sums of bounded random variables",
    JASA 58.

    Examples
    --------
    >>> import math
    >>> from radbound.pacbayes import kl, sample_convergence_bound
    >>> b = sample_convergence_bound(0.2, 10_000, delta=0.01)
    >>> math.isclose(kl(0.2, b.value), math.log(2 / 0.01) / 10_000, rel_tol=1e-10)
    True
    """
    mean = _check_risk(empirical_mean, "empirical_mean")
    m = check_int(n_draws, "n_draws", minimum=1)
    delta = check_probability(delta, "delta")
    level = log_ratio(2.0, delta) / m
    return build_bound(
        _sample_terms,
        {"Y_m": mean, "m": m, "delta_mc": delta},
        constants={"delta_mc": delta, "level": level},
        reference=LANGFORD_CARUANA,
        status="paper",
        name="sample-convergence",
        notes="Upper confidence bound on the mean of i.i.d. [0, 1] variables (probability over the draws).",
    )


def pac_bayes_certificate(
    empirical_risk: SampledRisk | float,
    kl: float,
    n: int,
    *,
    delta: float = 0.05,
    delta_mc: float = 0.01,
    n_grid: int = 1,
    reference: str | None = None,
    name: str = "pac-bayes-certificate",
    notes: str = "",
) -> Bound:
    r"""PAC-Bayes-kl bound with a sampled empirical risk: the risk certificate.

    .. math::
        R(Q) \le \mathrm{kl}^{-1}\Big(\hat R^+,\ \frac{\mathrm{KL}(Q\|P) + \log(2\sqrt n\, J/\delta)}{n}\Big),
        \qquad
        \hat R^+ = \mathrm{kl}^{-1}\Big(\hat R_m,\ \frac{\log(2/\delta')}{m}\Big),

    with probability :math:`\ge 1 - \delta - \delta'` (over the sample and the posterior draws):
    :func:`sample_convergence_bound` gives :math:`\hat R_S(Q) \le \hat R^+` with probability
    :math:`\ge 1-\delta'`, and :math:`\mathrm{kl}^{-1}(\cdot, c)` is increasing in its first argument, so
    :func:`pac_bayes_kl_bound` at :math:`\hat R^+` holds on the intersection of the two events.
    :math:`J` (``n_grid``) is the size of a finite grid of priors fixed in advance among which the prior was
    chosen after seeing the sample (union bound, :math:`\delta/J` each; :ref:`theory-post-hoc`); the
    :math:`\delta` of the returned bound is the total over the grid.

    Parameters
    ----------
    empirical_risk : SampledRisk or float
        A :class:`SampledRisk` (Monte-Carlo estimate; :math:`m` = its ``n_draws``) or an exact value (no
        correction, :math:`\delta'` unused).
    kl : float
        :math:`\mathrm{KL}(Q\|P)` in nats.
    n : int
        Size of the sample the risk is evaluated on (excluding any part used to choose the prior).
    delta, delta_mc : float
        :math:`\delta` and :math:`\delta'`.
    n_grid : int
        :math:`J \ge 1`.
    reference, name, notes : str
        Override the defaults of the returned bound.

    Returns
    -------
    Bound
        Terms, in order: ``"empirical risk"`` (:math:`\hat R_m`), ``"Monte-Carlo correction"``
        (:math:`\hat R^+ - \hat R_m`), ``"KL/n"`` (:math:`\mathrm{kl}^{-1}(\hat R^+, \mathrm{KL}/n) -
        \hat R^+`) and ``"confidence"`` (the rest). Status ``"paper"`` for :math:`J = 1`, ``"derived"``
        otherwise (union bound). ``constants`` hold ``delta``, ``delta_mc``, ``confidence``
        (:math:`1 - \delta - \delta'`), ``n_grid``.

    References
    ----------
    Maurer (2004); Seeger (2002); Langford & Caruana (2002), NeurIPS 14; the chaining as in Pérez-Ortiz,
    Rivasplata, Shawe-Taylor & Szepesvári (2021), JMLR 22.

    Examples
    --------
    >>> import math
    >>> from radbound.pacbayes import SampledRisk, pac_bayes_certificate, kl_inv
    >>> r = SampledRisk(0.1, 0.001, 20_000, 1, 5000)
    >>> b = pac_bayes_certificate(r, 3.0, 5000, delta=0.025, delta_mc=0.01)
    >>> up = kl_inv(0.1, math.log(2 / 0.01) / 20_000)
    >>> math.isclose(b.value, kl_inv(up, (3.0 + math.log(2 * math.sqrt(5000) / 0.025)) / 5000))
    True
    >>> list(b.terms)
    ['empirical risk', 'Monte-Carlo correction', 'KL/n', 'confidence']
    """
    kl = check_nonnegative(kl, "kl")
    n = check_int(n, "n", minimum=1)
    delta = check_probability(delta, "delta")
    J = check_int(n_grid, "n_grid", minimum=1)
    for text, label in ((reference, "reference"), (name, "name"), (notes, "notes")):
        if not (isinstance(text, str) or (label == "reference" and text is None)):
            raise TypeError(f"{label} must be a str, got {type(text).__name__} {text!r}")
    if isinstance(empirical_risk, SampledRisk):
        delta_mc = check_probability(delta_mc, "delta_mc")
        if delta + delta_mc >= 1.0:
            raise ValueError(f"delta + delta_mc must be < 1, got {delta!r} + {delta_mc!r}")
        mean = empirical_risk.value
        m = empirical_risk.n_draws
        sampled = True
    else:
        mean = _check_risk(empirical_risk)
        m = 0
        sampled = False
    inputs: dict[str, Any] = {"Y_m": mean, "KL": kl, "n": n, "delta": delta, "J": J}
    if sampled:
        inputs.update({"m": m, "delta_mc": delta_mc})
    total = 1.0 - delta - (delta_mc if sampled else 0.0)
    base_notes = (
        f"Bounds the stochastic true risk R(Q) with probability >= {total:.6g} "
        f"(delta = {delta:g} for the PAC-Bayes-kl bound"
        + (f", split over a grid of J = {J} priors" if J > 1 else "")
        + (
            f"; delta' = {delta_mc:g} for the Monte-Carlo correction over m = {m} draws)."
            if sampled
            else ")."
        )
    )
    return build_bound(
        _certificate_terms,
        inputs,
        literals={"sampled": sampled},
        constants={
            "delta": delta,
            "delta_mc": delta_mc if sampled else 0.0,
            "confidence": total,
            "n_grid": float(J),
            "kl": kl,
            "n": float(n),
        },
        reference=reference or f"{MAURER_SEEGER}; {LANGFORD_CARUANA}",
        status="paper" if J == 1 else "derived",
        name=name,
        notes=" ".join(s for s in (base_notes, notes) if s),
    )
