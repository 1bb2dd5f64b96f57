r"""From a Rademacher complexity to a generalization bound (:doc:`/theory/generalization`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .._concentration import hoeffding_half_width, rescale_half_width
from .._validation import (
    check_bool,
    check_choice,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
)
from ..results import Bound, Estimate, LossClass, LowerEstimate, MarginLipschitz, PosthocPrice
from ._formula import Part, build_bound, confidence_terms
from ._posthoc import Grid, check_grid, warn_fixed_class
from ._symbols import YIN_2019, check_estimate_or_number, weakest_status

__all__ = ["generalization", "mc_deviation"]


def mc_deviation(est: Estimate, delta: float, *, value_range: float | None = None) -> float:
    r"""One-sided deviation :math:`t` with :math:`P(\hat{\mathfrak R}_S > \text{estimate} + t) \le \delta`.

    For a Monte-Carlo estimate over the signs (the data fixed). Two routes:

    - the estimate carries a McDiarmid interval of half-width :math:`h` at level :math:`\delta_e`,
      :math:`h = \sqrt{V \log(2/\delta_e)}` with :math:`V = \sum_i c_i^2/(2m')`; the one-sided
      McDiarmid inequality at level :math:`\delta` gives :math:`t = h \sqrt{\log(1/\delta)/\log(2/\delta_e)}`;
    - else, with ``value_range`` :math:`R \ge |\sup(\sigma)/n|` for every draw, Hoeffding over the
      :math:`m'` independent units (draws, or antithetic pairs) gives
      :math:`t = R\sqrt{2\log(1/\delta)/m'}`.

    Status: derived (McDiarmid 1989; Hoeffding 1963).

    Parameters
    ----------
    est : Estimate
        A Monte-Carlo (or exact) estimate of an empirical Rademacher complexity.
    delta : float in (0, 1)
        Probability that the deviation is exceeded.
    value_range : float, optional
        :math:`R`, a bound on the absolute value of every draw's :math:`\sup(\sigma)/n`; needed only
        when ``est`` carries no interval.

    Returns
    -------
    float
        :math:`t \ge 0` (0 for an exact estimate).

    Notes
    -----
    Both routes read the one-sided tail :math:`\exp(-t^2/V)` (bounded differences, :math:`V` as
    above) at level :math:`\delta`: :math:`t = \sqrt{V\log(1/\delta)}`, and the interval stored
    with the estimate fixes :math:`V = h^2/\log(2/\delta_e)`. Antithetic pairs count as one unit
    each (:math:`m' = m/2`). An exact Estimate has no deviation (:math:`t = 0`).

    References
    ----------
    McDiarmid (1989), "On the method of bounded differences", Surveys in Combinatorics, LMS Lecture
    Note Series 141; Hoeffding (1963), "Probability inequalities for sums of bounded random
    variables", JASA 58; derived (see :doc:`/theory/binary_linear` and :doc:`/theory/generalization`).

    Examples
    --------
    >>> from radbound import Estimate
    >>> from radbound.bounds import mc_deviation
    >>> e = Estimate(0.3, 0.01, "monte-carlo", 100, interval=(0.2, 0.4), delta=0.1)
    >>> import math; math.isclose(mc_deviation(e, 0.05), 0.1)   # one-sided at delta/2 = two-sided at delta
    True
    """
    if not isinstance(est, Estimate):
        raise TypeError(f"est must be a radbound.Estimate, got {type(est).__name__}")
    delta = check_probability(delta, "delta")
    if value_range is not None:
        value_range = check_positive(value_range, "value_range")
    if est.is_exact:
        return 0.0
    if est.interval is not None and est.delta is not None:
        return est.half_width(delta, two_sided=False)
    if value_range is None:
        raise ValueError(
            "complexity is a Monte-Carlo Estimate without a McDiarmid interval: pass mc_range (a bound on "
            "|sup(sigma)/n| per draw) or an Estimate computed with bounded_differences"
        )
    R = float(value_range)
    n_draws = check_int(est.n_draws, "the Estimate's n_draws", minimum=2)
    units = n_draws // 2 if est.antithetic else n_draws
    return hoeffding_half_width(2.0 * R, units, delta, two_sided=False)  # values in [-R, R]


#: The name of the empirical term when it is the Lipschitz-shifted ramp risk
#: (:ref:`theory-lipschitz-adversarial`).
LIPSCHITZ_EMPIRICAL = "empirical risk (Lipschitz-certified)"


def _generalization_terms(
    m, *, R_n, comp, n, delta, B, gamma=None, Delta_MC=None, P=None, mc=False, emp="empirical risk"
):
    scale = 1 / gamma if gamma is not None else 1
    out = {emp: R_n, "complexity": 2 * comp * scale}
    if mc:
        out["Monte-Carlo deviation"] = 2 * Delta_MC * scale
    out.update(confidence_terms(m, B=B, n=n, delta=delta, P=P, log_arg=4 if mc else 2))
    return out


def _is_certified(x: Any) -> bool:
    """A certified empirical term (duck-typed: radbound.certify's CertifiedRisk, or any object with
    ``value``, ``loss``, ``margin``, ``method`` and ``describe()``)."""
    return all(hasattr(x, a) for a in ("value", "loss", "margin", "method", "describe"))


@dataclass(frozen=True)
class LipschitzShiftedRisk:
    r"""The empirical ramp risk of the margins shifted by a class's Lipschitz shift :math:`\tau`.

    :math:`\frac1n \sum_i \phi_\gamma(\mathcal M(f(x_i), y_i) - \tau)`, an upper bound on the empirical
    adversarial ramp risk of every member of a class whose margin map is :math:`L`-Lipschitz, with
    :math:`\tau = L\epsilon D` (:ref:`theory-lipschitz-adversarial`). It has the attributes of a
    certified empirical term (``method == "lipschitz"``), so :func:`generalization` pairs it with the
    natural-class complexity of that class. Built by :func:`model_generalization`.
    """

    value: float
    margin: float
    n: int
    eps: float
    attack_norm: float
    shift: float
    lipschitz: MarginLipschitz
    loss: str = "ramp"
    method: str = "lipschitz"
    clip: tuple[float, float] | None = None
    exact: bool = False

    def describe(self) -> str:
        """One line saying how the empirical term was obtained."""
        r = "inf" if math.isinf(self.attack_norm) else f"{self.attack_norm:g}"
        s = "inf" if math.isinf(self.lipschitz.norm) else f"{self.lipschitz.norm:g}"
        return (
            f"certified by the class Lipschitz constant L={self.lipschitz.value:.6g} (l_{s}), "
            f"eps={self.eps:g}, "
            f"l_{r}: margins shifted by tau={self.shift:.6g}, ramp loss, gamma={self.margin:g}, n={self.n}"
        )


def _fmt_norm(r: float) -> str:
    return "inf" if math.isinf(r) else f"{r:g}"


def _certified_route(cert: Any, lc: LossClass, name: str) -> tuple[str, float | None]:
    """How a certified empirical term pairs with a complexity Bound of loss class ``lc``: ``"adversarial"``
    (the certificate bounds the empirical risk of the adversarial loss class the complexity is about) or
    ``"lipschitz"`` (a Lipschitz-shifted ramp risk with a natural class, returning the class's shift).
    Raises ValueError naming what would be valid for every other pairing."""
    eps = float(getattr(cert, "eps", math.nan))
    r = float(getattr(cert, "attack_norm", math.inf))
    method = str(cert.method)
    lip = getattr(cert, "lipschitz", None)
    shift = getattr(cert, "shift", None)
    threat = f"eps={eps:g}, l_{_fmt_norm(r)}"
    if lc.loss == "sdp-surrogate":  # pragma: no cover - a risk statement, refused before
        raise ValueError(f"complexity {name!r} is the SDP surrogate bound, not a complexity")
    if lc.loss == "adversarial" or eps == 0.0:
        if lc.loss == "adversarial":
            same_eps = lc.eps is not None and math.isclose(lc.eps, eps, rel_tol=1e-12, abs_tol=0.0)
            if not (same_eps and (eps == 0.0 or lc.attack_norm == r)):
                raise ValueError(
                    f"the certified empirical term is at {threat}, but the complexity {name!r} is of "
                    f"{lc.describe()}: the certificate and the complexity must be for the same threat "
                    "(the same eps and attack norm)"
                )
        clip = getattr(cert, "clip", None)
        if clip is not None and eps > 0:
            raise ValueError(
                f"the certificate holds on the ball intersected with the box {tuple(clip)}: it bounds the "
                "empirical risk of the clipped threat, while the complexity is of the unclipped adversarial "
                "loss class; certify without clip"
            )
        return "adversarial", None
    # a natural class and eps > 0
    if method == "lipschitz" and lip is not None and shift is not None and lc.lipschitz is not None:
        need = lc.lipschitz.shift(eps, r)
        if float(shift) >= need * (1.0 - 1e-12):
            return "lipschitz", need
        raise ValueError(
            f"the Lipschitz certificate shifts the margins by tau={float(shift):.6g}, below the shift "
            f"tau={need:.6g} of the class of {name!r} (its Lipschitz constant {lc.lipschitz.value:.6g} at "
            f"{threat}): its certified ramp risk does not bound the class's shifted ramp loss. "
            "Certify with the "
            "class constant, certified_risk(net, X, y, eps=..., method='lipschitz', margin=..., "
            "lipschitz=bound.loss_class.lipschitz), or use model_generalization(net, X, y, "
            "margin=..., eps=..., "
            "bound=...)"
        )
    what = "Lipschitz certificate" if method == "lipschitz" else f"{method.upper()}-certified empirical risk"
    raise ValueError(
        f"a {what} ({threat}) cannot be paired with {name!r}, a complexity of the NATURAL loss class: the "
        "theorem needs the complexity of the ADVERSARIAL loss class at the certificate's eps and "
        "attack norm. "
        "Valid pairings: an adversarial-class complexity (linear models: multiclass_adversarial_bound or "
        "adversarial_linear_upper_bound, where certified margins are exact anyway); for a network, the "
        "Lipschitz route, model_generalization(net, X, y, margin=..., eps=..., bound='spectral'|'golowich'|"
        "'neyshabur'), or certified_risk(..., method='lipschitz', lipschitz=bound.loss_class.lipschitz) with "
        "a spectral / golowich / neyshabur bound (docs/theory/generalization.md)"
    )


def _check_risk_label(risk: str | None, lc: LossClass, name: str) -> str:
    """The risk a float empirical term and a complexity of class ``lc`` can state (default: the class's)."""
    if risk is None:
        return "adversarial" if lc.is_adversarial else "natural"
    if risk == "natural" and lc.is_adversarial:
        raise ValueError(
            f"risk='natural' with {name!r}, a complexity of {lc.describe()}: that theorem bounds the "
            "adversarial risk by the empirical adversarial risk; pass risk='adversarial' (and the empirical "
            "adversarial risk), or a natural-class complexity"
        )
    if risk == "adversarial" and lc.loss == "natural":
        raise ValueError(
            f"risk='adversarial' with {name!r}, a complexity of the NATURAL loss class: the complexity term "
            "of an adversarial bound must be that of the ADVERSARIAL loss class (same eps and attack norm). "
            "Use an adversarial-class complexity (linear models: adversarial_linear_upper_bound, "
            "multiclass_adversarial_bound); for a network, model_generalization(net, X, y, "
            "margin=..., eps=..., "
            "bound=...) (the Lipschitz-shifted ramp, docs/theory/generalization.md)"
        )
    return risk


def generalization(
    empirical_risk: Any,
    complexity: Any,
    n: int,
    *,
    loss_range: float = 1.0,
    delta: float = 0.05,
    margin: float | None = None,
    risk: str | None = None,
    mc_range: float | None = None,
    posthoc: bool = True,
    grid: Grid | None = None,
) -> Bound:
    r"""Uniform generalization bound from an empirical Rademacher complexity.

    With a loss in :math:`[0, B]` and probability at least :math:`1 - \delta` over the sample, for every
    :math:`f \in \mathcal F`,

    .. math::
        R(f) \le R_n(f) + 2B\, \hat{\mathfrak R}_S(l_{\mathcal F}/B)
        + 3B\sqrt{\frac{\log(2/\delta)}{2n}},

    the same with adversarial risks :math:`\tilde R, \tilde R_n` and the adversarial loss class
    (``risk="adversarial"``; only the label changes). :math:`2B\,\hat{\mathfrak R}_S(l/B) =
    2\hat{\mathfrak R}_S(l)`.

    - ``complexity`` is :math:`\hat{\mathfrak R}_S(l_{\mathcal F})` of the LOSS class (a number, an
      Estimate, or an upper :class:`~radbound.results.Bound` whose formula is substituted, e.g.
      :func:`multiclass_adversarial_bound` or :func:`spectral_bound`). With ``margin`` :math:`\gamma`, it
      is instead the complexity of the margin class :math:`\{(x,y) \mapsto y f(x)\}` (binary: equal to
      :math:`\hat{\mathfrak R}_S(\mathcal F)`, or :math:`\hat{\mathfrak R}_S(\tilde{\mathcal F})` for
      the adversarial class) and the ramp loss (:math:`B = 1`, :math:`1/\gamma`-Lipschitz) gives
      :math:`\hat{\mathfrak R}_S(l_{\mathcal F}) \le \hat{\mathfrak R}_S/\gamma` (Ledoux-Talagrand
      contraction). A number or an Estimate is the complexity of a class fixed before the sample.
    - **Post-hoc validity** (:ref:`theory-post-hoc`). A complexity Bound built for a trained model
      (``bound.posthoc`` set, e.g. by :func:`spectral_bound` or :func:`model_generalization`) was
      evaluated on a grid of classes; its price :math:`P` is paid here: the confidence term becomes
      :math:`3B\sqrt{(\log(2/\delta) + P)/(2n)}`, split into ``"confidence"`` and the named term
      ``"post-hoc price"``. With ``posthoc=True`` (default) a ``margin`` given here is data-dependent
      too: it is rounded DOWN to ``grid`` (the ramp loss at a smaller margin is pointwise smaller, so the
      given empirical ramp risk still bounds it) and its grid point joins the price. ``posthoc=False``
      uses the margin as given, with a :class:`PosthocWarning`.
    - **Monte Carlo.** When the complexity is a Monte-Carlo Estimate (or a Bound built from one, which
      records ``constants["mc_half_width"]`` and ``constants["mc_delta"]``), :math:`\delta` is split:
      :math:`\delta/2` for the statement above (so :math:`\log(4/\delta)`) and :math:`\delta/2` for
      the one-sided deviation :math:`\Delta_{MC}` of the estimate (:func:`mc_deviation`), added to the
      complexity and named ``"Monte-Carlo deviation"`` in ``terms``. Status then ``"derived"``.
    - **Certified empirical term.** ``empirical_risk`` may be a certified empirical adversarial risk
      (e.g. ``radbound.certify.CertifiedRisk``: an object with ``value``, ``loss`` ("ramp" or
      "zero-one"), ``margin``, ``method``, ``eps`` and ``describe()``). Its value, the ramp risk of
      certified lower margins, bounds the empirical adversarial ramp risk from above
      (:ref:`theory-certified-empirical`); the bound is then about the adversarial risk, its name ends in
      ``"-certified"`` and its notes say which certificate gave the term. The complexity must be that of
      the ADVERSARIAL loss class at a margin at most the certificate's.
    - **Pairing rule** (:ref:`theory-pairing`). A complexity Bound records its loss class
      (``Bound.loss_class``); pairings that are not theorems raise ``ValueError`` naming a valid
      alternative: a certified (IBP, CROWN, SDP) term with a natural-class complexity,
      ``risk="adversarial"`` with a natural class (``risk="natural"`` with an adversarial one), a
      certificate and an adversarial class at different ``eps`` or attack norms, a clipped certificate,
      a complexity Bound without a recorded class next to a certified term, and a risk Bound (a
      generalization bound, :func:`surrogate_margin_bound`) used as a complexity. A Lipschitz
      certificate (``method="lipschitz"``) whose shift is at least the class's (``lipschitz=
      bound.loss_class.lipschitz``) pairs with a natural network class: the Lipschitz route of
      :ref:`theory-lipschitz-adversarial` (status at best ``"derived"``). A number or an Estimate
      is the caller's assertion about its class.

    Parameters
    ----------
    empirical_risk : float or certified risk
        :math:`R_n(f)` (e.g. the empirical ramp loss), in :math:`[0, B]`.
    complexity : float, Estimate or Bound
    n : int
        Sample size.
    loss_range : float, default 1
        :math:`B`; must be 1 with ``margin`` (ramp loss).
    delta : float, default 0.05
        In (0, 1).
    margin : float, optional
        :math:`\gamma > 0`; see above.
    risk : {"natural", "adversarial"}, optional
        Which risk is bounded; default: that of the complexity Bound's loss class (``"adversarial"``
        for an adversarial class at ``eps > 0`` or a certified empirical term, else ``"natural"``).
    mc_range : float, optional
        Bound on :math:`|\sup(\sigma)/n|` for a Monte-Carlo Estimate without interval (Hoeffding).
    posthoc : bool, default True
        Treat ``margin`` as data-dependent (grid and price). A complexity Bound carries its own choice.
    grid : Grid, optional
        The margin's grid (default :data:`DEFAULT_GRID`); ignored for a complexity Bound's own grid.

    Returns
    -------
    Bound
        Terms ``"empirical risk"``, ``"complexity"``, [``"Monte-Carlo deviation"``], ``"confidence"``,
        [``"post-hoc price"``]; ``posthoc`` holds the grid points paid for.

    References
    ----------
    Mohri, Rostamizadeh & Talwalkar (2018), Foundations of Machine Learning, 2nd ed., Thm 3.3
    (empirical-complexity form); Bartlett & Mendelson (2002), JMLR;
    Yin, Ramchandran & Bartlett (2019), ICML (the same bound with adversarial risks); the union bound
    over a grid of classes follows Bartlett, Foster & Telgarsky (2017), NeurIPS (derived here:
    :ref:`theory-post-hoc`).

    Examples
    --------
    >>> import math
    >>> from radbound.bounds import generalization
    >>> b = generalization(0.1, 0.05, 1000, delta=0.05)          # nothing data-dependent: no price
    >>> math.isclose(b.value, 0.1 + 2 * 0.05 + 3 * math.sqrt(math.log(2 / 0.05) / 2000))
    True
    >>> g = generalization(0.1, 0.05, 1000, margin=1.0)          # margin 1 = grid point j = 0, w = 1/2
    >>> math.isclose(g.value, 0.1 + 2 * 0.05 + 3 * math.sqrt((math.log(2 / 0.05) + math.log(2)) / 2000))
    True
    """
    return _generalization(
        empirical_risk,
        complexity,
        n,
        loss_range=loss_range,
        delta=delta,
        margin=margin,
        risk=risk,
        mc_range=mc_range,
        posthoc=posthoc,
        grid=grid,
        extra_price=None,
    )


def _generalization(
    empirical_risk: Any,
    complexity: Any,
    n: int,
    *,
    loss_range: float,
    delta: float,
    margin: float | None,
    risk: str | None,
    mc_range: float | None,
    posthoc: bool,
    grid: Grid | None,
    extra_price: PosthocPrice | None,
    name: str | None = None,
    extra_notes: str = "",
    stratify_margin: bool = True,
) -> Bound:
    """:func:`generalization`, with the price of grid points chosen by the caller (``extra_price``: e.g.
    the scale of a linear model) paid together with the margin's; ``stratify_margin=False`` when the
    caller's grid already covers the margin."""
    posthoc = check_bool(posthoc, "posthoc")
    if mc_range is not None:
        mc_range = check_positive(mc_range, "mc_range")
    certified = empirical_risk if _is_certified(empirical_risk) else None
    if certified is not None:
        if risk not in (None, "adversarial"):
            raise ValueError(f"risk must be 'adversarial' with a certified empirical risk, got {risk!r}")
        risk = "adversarial"
        R_n = check_nonnegative(certified.value, "empirical_risk.value")
    else:
        R_n = check_nonnegative(empirical_risk, "empirical_risk")
    if risk is not None:
        check_choice(risk, "risk", ("natural", "adversarial"))
    n = check_int(n, "n", minimum=1)
    B = check_positive(loss_range, "loss_range")
    delta = check_probability(delta, "delta")
    if R_n > B:
        raise ValueError(f"empirical_risk must be in [0, loss_range={B!r}], got {R_n!r}")
    grid = check_grid(grid)
    gamma = None
    if margin is not None:
        gamma = check_positive(margin, "margin")
        if B != 1.0:
            raise ValueError(f"loss_range must be 1 with margin (ramp loss), got {B!r}")
    complexity = check_estimate_or_number(complexity, "complexity")

    # which loss class the complexity is about, and which empirical terms and risks that allows
    lc = complexity.loss_class if isinstance(complexity, Bound) else None
    cname = complexity.name if isinstance(complexity, Bound) else ""
    if lc is not None and lc.statement == "risk":
        if lc.loss == "sdp-surrogate":
            raise ValueError(
                f"complexity {cname!r} is the SDP surrogate margin bound: it is already a bound on the "
                "adversarial risk, whose empirical term is the surrogate loss itself (not a certified or "
                "attacked risk) and whose complexity is that of the surrogate loss class; use it as it is"
            )
        raise ValueError(
            f"complexity {cname!r} is a bound on a risk (a generalization bound), not on a Rademacher "
            "complexity: pass the complexity bound it was built from"
        )
    route = "float"
    class_shift: float | None = None
    if certified is not None:
        if isinstance(complexity, Bound):
            if lc is None:
                raise ValueError(
                    f"complexity Bound {cname!r} does not record which loss class it bounds (loss_class is "
                    "None), so it cannot be checked against a certified empirical term; pass a Bound from "
                    "radbound.bounds for the adversarial loss class, or a number (your assertion)"
                )
            route, class_shift = _certified_route(certified, lc, cname)
        else:
            route = "asserted"
    elif lc is not None:
        risk = _check_risk_label(risk, lc, cname)
    risk = "natural" if risk is None else risk

    status = "paper"
    deviation = 0.0
    note = ""
    price: PosthocPrice | None = None
    if isinstance(complexity, Bound):
        if complexity.kind != "upper":
            raise ValueError("complexity must be an upper Bound, got a lower Bound")
        if gamma is not None and "gamma" in complexity.inputs:
            raise ValueError(
                "margin must be None when the complexity Bound already includes the margin gamma "
                f"(bound {complexity.name!r})"
            )
        if "n" in complexity.inputs and int(complexity.inputs["n"]) != n:
            raise ValueError(f"n={n} does not match the complexity Bound's n={int(complexity.inputs['n'])}")
        c_value = complexity.value
        status = weakest_status(status, complexity.status)
        comp_part = Part.of(complexity)
        if "monte_carlo" in complexity.constants and "mc_half_width" not in complexity.constants:
            raise ValueError(
                f"complexity Bound {complexity.name!r} comes from a Monte-Carlo estimate without a deviation "
                "bound; recompute it from an Estimate with bounded_differences or use an exact complexity"
            )
        if "mc_half_width" in complexity.constants:
            h, de = complexity.constants["mc_half_width"], complexity.constants["mc_delta"]
            deviation = rescale_half_width(h, de, delta / 2.0, two_sided=False)
        if complexity.posthoc is not None:
            if not posthoc:
                raise ValueError(
                    f"posthoc=False, but the complexity Bound {complexity.name!r} was built post-hoc (on a "
                    "grid); build it with posthoc=False for a fixed-class bound"
                )
            price = complexity.posthoc
        note = f"Complexity from the bound {complexity.name!r}."
    elif isinstance(complexity, LowerEstimate):
        raise TypeError(
            "complexity must be an upper estimate or bound, got a LowerEstimate (a lower estimate of the "
            "complexity cannot give an upper bound on the risk)"
        )
    elif isinstance(complexity, Estimate):
        c_value = complexity.value
        comp_part = Part.symbol("R_S", c_value)
        if not complexity.is_exact:
            deviation = mc_deviation(complexity, delta / 2.0, value_range=mc_range)
        note = f"Complexity {complexity!r}."
    else:
        c_value = float(complexity)
        comp_part = Part.symbol("R_S", c_value)
    if c_value < 0:
        raise ValueError(f"complexity must be >= 0, got {c_value!r}")
    mc = (isinstance(complexity, Estimate) and not complexity.is_exact) or (
        isinstance(complexity, Bound) and "monte_carlo" in complexity.constants
    )
    if mc:
        status = weakest_status(status, "derived")
    if gamma is not None and stratify_margin:
        if posthoc:
            pt = grid.down("gamma", gamma)
            gamma = pt.grid_value
            margin_price = grid.price([pt])
            price = margin_price if price is None else price.merge(margin_price)
        else:
            warn_fixed_class("the margin")
    if extra_price is not None:
        price = extra_price if price is None else price.merge(extra_price)
    if price is not None:
        status = weakest_status(status, "derived")
    if certified is not None:
        used = (
            gamma
            if gamma is not None
            else (complexity.inputs.get("gamma") if isinstance(complexity, Bound) else None)
        )
        if certified.loss != "ramp" or certified.margin is None:
            raise ValueError(
                "a certified empirical risk must be the ramp risk of the certified margins (loss='ramp') "
                f"for a margin bound, got loss={certified.loss!r}"
            )
        if used is None:
            raise ValueError(
                "a certified ramp risk needs the margin of the bound (margin=, or a complexity Bound "
                "with gamma)"
            )
        if float(certified.margin) < float(used) * (1 - 1e-12):
            raise ValueError(
                f"the certified ramp risk is at margin {certified.margin!r}, below the bound's margin "
                f"{used!r}: it does not bound the empirical ramp risk there"
            )

    inputs: dict[str, float] = {"R_n": R_n, "n": n, "delta": delta, "B": B}
    if gamma is not None:
        inputs["gamma"] = gamma
    if mc:
        inputs["Delta_MC"] = deviation
    if price is not None:
        inputs["P"] = price.log_price
    notes = [
        f"Bounds the {risk} risk R(f) for every f in the class, with probability >= 1 - delta.",
        "R_S is the complexity of the loss class"
        + (" after contraction by 1/gamma (ramp loss)." if gamma else "."),
        note,
    ]
    if mc:
        notes.append("delta split: delta/2 for uniform convergence, delta/2 for the Monte-Carlo deviation.")
    if price is not None:
        names = ", ".join(f"{pt.name} {pt.value:.4g} -> {pt.grid_value:.4g}" for pt in price.points)
        notes.append(f"Post-hoc: union bound over the grid ({names}); price P = {price.log_price:.4g} nats.")
    label = "adversarial" if risk == "adversarial" else "natural"
    constants: dict[str, float] = {"B": B, "delta": delta}
    if gamma is not None:
        constants["gamma"] = gamma
    emp = "empirical risk"
    risk_eps: float | None = 0.0 if label == "natural" else None
    risk_norm = math.inf
    if lc is not None and lc.loss == "adversarial" and label == "adversarial":
        risk_eps, risk_norm = lc.eps, lc.attack_norm
    if certified is not None:
        notes.append(f"Empirical term {certified.describe()}.")
        cert_eps = float(getattr(certified, "eps", float("nan")))
        constants["certified_eps"] = cert_eps
        risk_eps = cert_eps if math.isfinite(cert_eps) else None
        risk_norm = float(getattr(certified, "attack_norm", math.inf))
        if route == "lipschitz" and class_shift is not None and lc is not None and lc.lipschitz is not None:
            emp = LIPSCHITZ_EMPIRICAL
            status = weakest_status(status, "derived")
            constants["lipschitz_shift"] = class_shift
            constants["certified_shift"] = float(certified.shift)
            notes.append(
                "Lipschitz route (docs/theory/generalization.md): every f of the class has "
                "adversarial margin "
                f">= M(f(x), y) - tau with tau = L eps D = {class_shift:.6g} (L = "
                f"{lc.lipschitz.value:.6g}, the "
                "class's margin Lipschitz constant), so the adversarial 0-1 loss is at most "
                "phi_gamma(M - tau), "
                "a loss class with the complexity of the natural margin class (contraction); the empirical "
                "term is its ramp risk with a shift >= tau."
            )
        elif route == "asserted":
            notes.append(
                "The complexity was given as a number or an Estimate: it is taken as that of the ADVERSARIAL "
                "loss class at the certificate's eps and attack norm (an assertion radbound cannot check)."
            )
    return build_bound(
        _generalization_terms,
        inputs,
        literals={"mc": mc, "emp": emp},
        parts={"comp": comp_part},
        constants=constants,
        reference=f"Mohri, Rostamizadeh & Talwalkar (2018), Thm 3.3; as used in {YIN_2019} ({label} risk)"
        + (
            "; Lipschitz-shifted ramp derived in docs/theory/generalization.md"
            if route == "lipschitz"
            else ""
        ),
        status=status,
        name=name or (f"generalization-{label}" + ("-certified" if certified is not None else "")),
        notes=" ".join(s for s in [*notes, extra_notes] if s),
        posthoc=price,
        loss_class=LossClass(label, "risk", eps=risk_eps, attack_norm=risk_norm),
    )
