r"""From a Rademacher complexity to a generalization bound (:doc:`/theory/generalization`)."""

from __future__ import annotations

import math
from typing import Any

from .._concentration import hoeffding_half_width, rescale_half_width
from .._validation import check_choice, check_int, check_nonnegative, check_positive, check_probability
from ..results import Bound, Estimate, LowerEstimate
from ._symbols import YIN_2019, check_estimate_or_number, merge_inputs, n_symbol, sym, weakest_status

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
    delta = check_probability(delta, "delta")
    if est.is_exact:
        return 0.0
    if est.interval is not None and est.delta is not None:
        return est.half_width(delta, two_sided=False)
    if value_range is None:
        raise ValueError(
            "complexity is a Monte-Carlo Estimate without a McDiarmid interval: pass mc_range (a bound on "
            "|sup(sigma)/n| per draw) or an Estimate computed with bounded_differences"
        )
    R = check_nonnegative(value_range, "mc_range")
    n_draws = check_int(est.n_draws, "the Estimate's n_draws", minimum=2)
    units = n_draws // 2 if est.antithetic else n_draws
    return hoeffding_half_width(2.0 * R, units, delta, two_sided=False)  # values in [-R, R]


def generalization(
    empirical_risk: float,
    complexity: Any,
    n: int,
    *,
    loss_range: float = 1.0,
    delta: float = 0.05,
    margin: float | None = None,
    risk: str = "natural",
    mc_range: float | None = None,
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
      :func:`multiclass_adversarial_bound`). With ``margin`` :math:`\gamma`, it is instead the
      complexity of the margin class :math:`\{(x,y) \mapsto y f(x)\}` (binary: equal to
      :math:`\hat{\mathfrak R}_S(\mathcal F)`, or :math:`\hat{\mathfrak R}_S(\tilde{\mathcal F})` for
      the adversarial class) and the ramp loss (:math:`B = 1`, :math:`1/\gamma`-Lipschitz) gives
      :math:`\hat{\mathfrak R}_S(l_{\mathcal F}) \le \hat{\mathfrak R}_S/\gamma` (Ledoux-Talagrand
      contraction).
    - **Monte Carlo.** When the complexity is a Monte-Carlo Estimate (or a Bound built from one, which
      records ``constants["mc_half_width"]`` and ``constants["mc_delta"]``), :math:`\delta` is split:
      :math:`\delta/2` for the statement above (so :math:`\log(4/\delta)`) and :math:`\delta/2` for
      the one-sided deviation :math:`\Delta_{MC}` of the estimate (:func:`mc_deviation`), added to the
      complexity and named ``"Monte-Carlo deviation"`` in ``terms``. Status then ``"derived"``.

    Parameters
    ----------
    empirical_risk : float
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
    risk : {"natural", "adversarial"}
        Which risk is bounded (a label for the statement).
    mc_range : float, optional
        Bound on :math:`|\sup(\sigma)/n|` for a Monte-Carlo Estimate without interval (Hoeffding).

    Returns
    -------
    Bound
        Terms ``"empirical risk"``, ``"complexity"``, [``"Monte-Carlo deviation"``], ``"confidence"``.

    References
    ----------
    Mohri, Rostamizadeh & Talwalkar (2018), Foundations of Machine Learning, 2nd ed., Thm 3.3
    (empirical-complexity form); Bartlett & Mendelson (2002), JMLR;
    Yin, Ramchandran & Bartlett (2019), ICML (the same bound with adversarial risks).

    Examples
    --------
    >>> import math
    >>> from radbound.bounds import generalization
    >>> b = generalization(0.1, 0.05, 1000, delta=0.05)
    >>> math.isclose(b.value, 0.1 + 2 * 0.05 + 3 * math.sqrt(math.log(2 / 0.05) / 2000))
    True
    """
    R_n = check_nonnegative(empirical_risk, "empirical_risk")
    n = check_int(n, "n", minimum=1)
    B = check_positive(loss_range, "loss_range")
    delta = check_probability(delta, "delta")
    risk = check_choice(risk, "risk", ("natural", "adversarial"))
    if R_n > B:
        raise ValueError(f"empirical_risk must be in [0, loss_range={B!r}], got {R_n!r}")
    gamma = None
    if margin is not None:
        gamma = check_positive(margin, "margin")
        if B != 1.0:
            raise ValueError(f"loss_range must be 1 with margin (ramp loss), got {B!r}")
    complexity = check_estimate_or_number(complexity, "complexity")

    # the complexity term, its formula and its Monte-Carlo half-width (at level mc_delta)
    status = "paper"
    c_inputs: dict[str, float]
    c_builder: Any
    deviation = 0.0
    note = ""
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
        if complexity.formula_builder is not None:
            c_inputs, c_builder = dict(complexity.inputs), complexity.formula_builder
        else:
            c_inputs, c_builder = {"R_S": c_value}, (lambda: sym("R_S"))
        if "monte_carlo" in complexity.constants and "mc_half_width" not in complexity.constants:
            raise ValueError(
                f"complexity Bound {complexity.name!r} comes from a Monte-Carlo estimate without a deviation "
                "bound; recompute it from an Estimate with bounded_differences or use an exact complexity"
            )
        if "mc_half_width" in complexity.constants:
            h, de = complexity.constants["mc_half_width"], complexity.constants["mc_delta"]
            deviation = rescale_half_width(h, de, delta / 2.0, two_sided=False)
        note = f"Complexity from the bound {complexity.name!r}."
    elif isinstance(complexity, LowerEstimate):
        raise TypeError(
            "complexity must be an upper estimate or bound, got a LowerEstimate (a lower estimate of the "
            "complexity cannot give an upper bound on the risk)"
        )
    elif isinstance(complexity, Estimate):
        c_value = complexity.value
        c_inputs, c_builder = {"R_S": c_value}, (lambda: sym("R_S"))
        if not complexity.is_exact:
            deviation = mc_deviation(complexity, delta / 2.0, value_range=mc_range)
        note = f"Complexity {complexity!r}."
    else:
        c_value = float(complexity)
        c_inputs, c_builder = {"R_S": c_value}, (lambda: sym("R_S"))
    if c_value < 0:
        raise ValueError(f"complexity must be >= 0, got {c_value!r}")
    mc = (isinstance(complexity, Estimate) and not complexity.is_exact) or (
        isinstance(complexity, Bound) and "monte_carlo" in complexity.constants
    )
    if mc:
        status = weakest_status(status, "derived")
    scale = 1.0 / gamma if gamma is not None else 1.0
    log_arg = 4.0 / delta if mc else 2.0 / delta
    conf = 3.0 * B * math.sqrt(math.log(log_arg) / (2.0 * n))
    terms = {"empirical risk": R_n, "complexity": 2.0 * scale * c_value}
    if mc:
        terms["Monte-Carlo deviation"] = 2.0 * scale * deviation
    terms["confidence"] = conf

    def formula() -> Any:
        import sympy

        n_ = n_symbol()
        comp = c_builder() + (sym("Delta_MC") if mc else 0)
        if gamma is not None:
            comp = comp / sym("gamma")
        d_ = sym("delta")
        log_term = sympy.log(4 / d_) if mc else sympy.log(2 / d_)
        return sym("R_n") + 2 * comp + 3 * sym("B") * sympy.sqrt(log_term / (2 * n_))

    inputs = merge_inputs(c_inputs, {"R_n": R_n, "n": float(n), "delta": delta, "B": B})
    if gamma is not None:
        inputs = merge_inputs(inputs, {"gamma": gamma})
    if mc:
        inputs["Delta_MC"] = deviation
    notes = [
        f"Bounds the {risk} risk R(f) for every f in the class, with probability >= 1 - delta.",
        "R_S is the complexity of the loss class"
        + (" after contraction by 1/gamma (ramp loss)." if gamma else "."),
        note,
    ]
    if mc:
        notes.append("delta split: delta/2 for uniform convergence, delta/2 for the Monte-Carlo deviation.")
    label = "adversarial" if risk == "adversarial" else "natural"
    return Bound(
        sum(terms.values()),
        terms,
        constants={"B": B, "delta": delta} | ({"gamma": gamma} if gamma is not None else {}),
        reference=f"Mohri, Rostamizadeh & Talwalkar (2018), Thm 3.3; as used in {YIN_2019} ({label} risk)",
        status=status,
        name=f"generalization-{label}",
        inputs=inputs,
        notes=" ".join(s for s in notes if s),
        formula_builder=formula,
    )
