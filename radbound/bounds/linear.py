r"""Bounds for binary linear classes and their adversarial versions (:doc:`/theory/binary_linear`).

The class is :math:`\mathcal F = \{x \mapsto \langle w, x\rangle : \|w\|_p \le W\}` and its
adversarial version under an :math:`\ell_r` attack of radius :math:`\epsilon` is
:math:`\tilde{\mathcal F} = \{(x, y) \mapsto y\langle w, x\rangle - \epsilon \|w\|_{r^*}\}`.
All complexities use the convention
:math:`\hat{\mathfrak R}_S(\mathcal G) = \mathbb E_\sigma \sup_{g} \frac1n \sum_i \sigma_i g(z_i)`
(factor :math:`1/n`, no absolute value).

With :math:`D = \max(d^{1-1/r-1/p}, 1)` (:math:`= d^{1/q}` for :math:`r = \infty`):

- paper (Yin, Ramchandran & Bartlett 2019, binary linear classifiers, :math:`r = \infty`):
  :math:`\max\{\hat{\mathfrak R}_S(\mathcal F), c\,\epsilon W D/\sqrt n\}
  \le \hat{\mathfrak R}_S(\tilde{\mathcal F})
  \le \hat{\mathfrak R}_S(\mathcal F) + \epsilon W D/\sqrt n`;
- derived (this project): :math:`\hat{\mathfrak R}_S(\tilde{\mathcal F}) \le \hat{\mathfrak R}_S(\mathcal F)
  + \epsilon W D\, \mathbb E|s|/(2n) \le \hat{\mathfrak R}_S(\mathcal F) + \epsilon W D/(2\sqrt n)` and
  :math:`\hat{\mathfrak R}_S(\tilde{\mathcal F}) \ge \epsilon W D\,\mathbb E|s|/(2n)
  \ge \epsilon W D/(2\sqrt2\sqrt n)`, with :math:`s = \sum_i \sigma_i`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._concentration import mcdiarmid_half_width
from .._lp import dual_exponent as _dual
from .._lp import norm
from .._validation import (
    check_choice,
    check_exponent,
    check_int,
    check_matrix,
    check_nonnegative,
    check_positive,
)
from ..complexity import adversarial_linear_rademacher, linear_rademacher
from ..results import AdversarialEstimate, Bound, Estimate, LossClass, LowerEstimate
from ._formula import NUM, Part, build_bound
from ._symbols import (
    C_LOWER,
    YIN_2019,
    dimension_factor,
    dimension_inputs,
    estimate_note,
    sym,
    weakest_status,
)

__all__ = [
    "linear_rademacher_bound",
    "linear_rademacher_lower_bound",
    "adversarial_linear_upper_bound",
    "adversarial_linear_lower_bound",
    "adversarial_linear_sandwich",
    "LinearSandwich",
]

_UPPER_FORMS = ("paper", "sharp", "sharp-sqrt")
_LOWER_FORMS = ("paper", "sharp")
_COMPLEXITY_METHODS = ("auto", "exact", "monte-carlo", "closed-form")
#: The loss class of the natural linear bounds (the class F itself: no margin, no attack).
_NATURAL = LossClass("natural")


def _to_numpy(X: Any) -> np.ndarray:
    X = check_matrix(X, "X")
    if not isinstance(X, np.ndarray):  # torch tensor
        X = X.detach().cpu().numpy().astype(np.float64)
    return X


# --------------------------------------------------------------------------------------------------
# Data-dependent bounds on R_S(F)
# --------------------------------------------------------------------------------------------------
def _massart_terms(m, *, W, X_col, d, n):
    return {"natural complexity": W * X_col * m.sqrt(2 * m.log(2 * d)) / n}


def _frobenius_terms(m, *, W, d, q, n, X_F=None, X_row=None):
    factor = m.Max(1, d ** (1 / q - m.frac(1, 2)))
    if X_row is not None:
        return {"natural complexity": W * factor * X_row / m.sqrt(n)}
    return {"natural complexity": W * factor * X_F / n}


def _khintchine_terms(m, *, W, X_cq, n):
    return {"natural complexity": W * X_cq / (m.sqrt(2) * n)}


def _massart(X: np.ndarray, radius: float) -> Bound:
    n, d = X.shape
    return build_bound(
        _massart_terms,
        {"W": radius, "X_col": float(np.linalg.norm(X, axis=0).max()), "d": d, "n": n},
        reference="Massart's finite-class lemma (Massart 2000) applied to the 2d vectors +-X[:, j]",
        status="derived",
        name="massart",
        loss_class=_NATURAL,
        notes=(
            "R_S(F) <= W max_j ||X[:, j]||_2 sqrt(2 log 2d) / n for p = 1 (q = inf). X_col = max column norm."
        ),
    )


def _frobenius(X: np.ndarray, radius: float, p: float, rows: bool) -> Bound:
    n, d = X.shape
    if rows:
        stat = {"X_row": float(np.linalg.norm(X, axis=1).max())}
    else:
        stat = {"X_F": float(np.linalg.norm(X))}
    what = "max_i ||x_i||_2 sqrt(n)" if rows else "||X||_F"
    return build_bound(
        _frobenius_terms,
        {"W": radius, "d": d, "q": _dual(p), "n": n, **stat},
        reference="Jensen: E||sum_i sigma_i x_i||_2 <= ||X||_F (e.g. Kakade, Sridharan & Tewari 2008)",
        status="derived",
        name="max-row" if rows else "frobenius",
        loss_class=_NATURAL,
        notes=(
            f"R_S(F) <= W max(d^(1/q - 1/2), 1) {what} / n; the factor is 1 for p <= 2 "
            "(||v||_q <= ||v||_2 when q >= 2)."
        ),
    )


def linear_rademacher_bound(X: Any, *, p: Any = 2.0, radius: float = 1.0, form: str = "auto") -> Bound:
    r"""Closed-form (data-dependent) upper bound on :math:`\hat{\mathfrak R}_S(\mathcal F)`.

    For :math:`\mathcal F = \{x \mapsto \langle w, x\rangle : \|w\|_p \le W\}`, whose exact value
    is :math:`\frac Wn \mathbb E_\sigma\|\sum_i \sigma_i x_i\|_q`:

    .. math::
        \text{massart } (p = 1):\quad
        \hat{\mathfrak R}_S(\mathcal F) \le \frac{W \max_j \|X_{:,j}\|_2 \sqrt{2\log(2d)}}{n},

        \text{frobenius}:\quad
        \hat{\mathfrak R}_S(\mathcal F) \le \frac{W \max(d^{1/q - 1/2}, 1)\, \|X\|_F}{n}
        \;\le\; \text{max-row}: \frac{W \max(d^{1/q - 1/2}, 1) \max_i \|x_i\|_2}{\sqrt n}.

    Convention: factor 1/n, no absolute value inside the supremum.

    Parameters
    ----------
    X : array of shape (n, d)
    p : float, default 2
        Weight norm, in [1, inf].
    radius : float, default 1
        :math:`W`.
    form : {"auto", "massart", "frobenius", "max-row"}
        ``"massart"`` needs ``p == 1``; ``"auto"`` returns the smallest valid form.

    Returns
    -------
    Bound
        Status ``"derived"`` (standard results, checked numerically here).

    References
    ----------
    Massart (2000), finite-class lemma; :doc:`/theory/binary_linear`.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import linear_rademacher_bound
    >>> b = linear_rademacher_bound(np.eye(4), p=2, form="frobenius")   # W ||I||_F / n = 2 / 4
    >>> bool(np.isclose(b.value, 0.5)) and bool(np.isclose(b.evaluate_formula(), b.value))
    True
    """
    X = _to_numpy(X)
    p = check_exponent(p, "p")
    radius = check_nonnegative(radius, "radius")
    form = check_choice(form, "form", ("auto", "massart", "frobenius", "max-row"))
    if form == "massart" and p != 1.0:
        raise ValueError(f"form='massart' needs p == 1, got p={p!r}")
    if form == "massart":
        return _massart(X, radius)
    if form in ("frobenius", "max-row"):
        return _frobenius(X, radius, p, rows=form == "max-row")
    candidates = [_frobenius(X, radius, p, rows=False), _frobenius(X, radius, p, rows=True)]
    if p == 1.0:
        candidates.append(_massart(X, radius))
    return min(candidates, key=lambda b: b.value)


def linear_rademacher_lower_bound(X: Any, *, p: Any = 2.0, radius: float = 1.0) -> Bound:
    r"""Closed-form lower bound on :math:`\hat{\mathfrak R}_S(\mathcal F)` (Khintchine).

    .. math::
        \hat{\mathfrak R}_S(\mathcal F) = \frac Wn \mathbb E\Big\|\sum_i \sigma_i x_i\Big\|_q
        \ge \frac Wn \big\| \big(\mathbb E|\textstyle\sum_i \sigma_i X_{ij}|\big)_j \big\|_q
        \ge \frac{W \|(\|X_{:,j}\|_2)_j\|_q}{\sqrt 2\, n},

    by Jensen (the norm of :math:`|v|` is convex) and Szarek's optimal Khintchine constant
    :math:`\mathbb E|\sum_i \sigma_i a_i| \ge \|a\|_2/\sqrt 2`. Status ``"derived"``.

    Parameters
    ----------
    X : array of shape (n, d)
        The sample.
    p : float in [1, inf], default 2
        Weight norm of the class; :math:`q` is its dual exponent.
    radius : float >= 0, default 1
        :math:`W`, the radius of the weight ball.

    Returns
    -------
    Bound
        A lower bound (``kind="lower"``) with its formula.

    References
    ----------
    Szarek (1976), "On the best constants in the Khinchin inequality", Studia Mathematica 58 (the
    optimal constant :math:`1/\sqrt 2` of the :math:`L_1` Khintchine inequality); the chain with
    Jensen is derived (see :doc:`/theory/binary_linear`).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import linear_rademacher_lower_bound
    >>> b = linear_rademacher_lower_bound(np.eye(2), p=2)   # exact value is sqrt(2)/2
    >>> bool(b.value <= np.sqrt(2) / 2) and bool(np.isclose(b.value, 0.5))
    True
    """
    X = _to_numpy(X)
    p = check_exponent(p, "p")
    radius = check_nonnegative(radius, "radius")
    n, d = X.shape
    q = _dual(p)
    stat = float(norm(np.linalg.norm(X, axis=0), q))
    return build_bound(
        _khintchine_terms,
        {"W": radius, "X_cq": stat, "n": n},
        reference="Jensen + Khintchine inequality with Szarek's constant 1/sqrt(2) (Szarek 1976)",
        status="derived",
        kind="lower",
        name="khintchine",
        loss_class=_NATURAL,
        notes="X_cq = || (||X[:, j]||_2)_j ||_q, the q-norm of the column norms.",
    )


# --------------------------------------------------------------------------------------------------
# The natural term: exact / Monte Carlo / closed form, as the caller chooses
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Natural:
    value: float
    inputs: dict
    builder: Any  # zero-arg callable -> sympy expression of R_S(F)
    status: str
    note: str
    mean_abs_s: float | None = None  # average |s| over the estimator's draws (exact sandwich)
    mc: dict | None = None  # Monte-Carlo half-width of R_S (McDiarmid) and its level
    estimate: Estimate | None = None

    def constants(self) -> dict:
        return dict(self.mc or {})


def _natural_mc(
    X: np.ndarray, p: float, radius: float, est: Estimate, delta: float = 0.05, extra: float = 0.0
) -> dict:
    """McDiarmid half-width of a Monte-Carlo estimate of R_S(F), at level delta, on the estimate's draws.

    Changing sigma_i moves the per-draw value by at most c_i = 2 W ||x_i||_q / n (+ ``extra``).
    """
    if est.is_exact:
        return {}
    c = 2.0 * radius * norm(X, _dual(p)) / X.shape[0] + extra
    n_draws = check_int(est.n_draws, "the Estimate's n_draws", minimum=2)
    h = mcdiarmid_half_width(c, n_draws, delta, antithetic=est.antithetic)
    return {"monte_carlo": 1.0, "mc_half_width": h, "mc_delta": delta}


def _natural_term(X, p, radius, complexity, n_draws, seed, lower: bool) -> _Natural:
    if isinstance(complexity, LowerEstimate):
        raise TypeError("complexity must be an estimate of R_S(F), got a LowerEstimate (a lower estimate)")
    if isinstance(complexity, AdversarialEstimate):
        return _Natural(
            complexity.natural,
            {"R_S": complexity.natural},
            lambda: sym("R_S"),
            "paper",
            estimate_note(complexity, "R_S (natural complexity on the adversarial estimator's sign vectors)"),
            complexity.mean_abs_s,
            _natural_mc(X, p, radius, complexity),
            complexity,
        )
    if isinstance(complexity, Estimate):
        return _Natural(
            complexity.value,
            {"R_S": complexity.value},
            lambda: sym("R_S"),
            "paper",
            estimate_note(complexity, "R_S"),
            None,
            _natural_mc(X, p, radius, complexity),
            complexity,
        )
    if isinstance(complexity, Bound):
        b = complexity
        if lower and b.kind != "lower":
            raise ValueError(
                "complexity must be a lower Bound on R_S(F) for a lower bound, got an upper Bound"
            )
        if not lower and b.kind != "upper":
            raise ValueError(
                "complexity must be an upper Bound on R_S(F) for an upper bound, got a lower Bound"
            )
        if b.formula_builder is None:
            return _Natural(b.value, {"R_S": b.value}, lambda: sym("R_S"), b.status, f"R_S from {b.name}.")
        return _Natural(b.value, dict(b.inputs), b.formula_builder, b.status, f"R_S(F) bounded by {b.name}.")
    method = check_choice(complexity, "complexity", _COMPLEXITY_METHODS)
    if method == "closed-form":
        b = (
            linear_rademacher_lower_bound(X, p=p, radius=radius)
            if lower
            else linear_rademacher_bound(X, p=p, radius=radius)
        )
        return _Natural(
            b.value, dict(b.inputs), b.formula_builder, b.status, f"R_S(F) replaced by its {b.name} bound."
        )
    natural = linear_rademacher(X, p=p, radius=radius, method=method, n_draws=n_draws, seed=seed)
    return _natural_term(X, p, radius, natural, n_draws, seed, lower)


def _check_common(X, eps, p, radius, attack_norm):
    X = _to_numpy(X)
    eps = check_nonnegative(eps, "eps")
    p = check_exponent(p, "p")
    radius = check_nonnegative(radius, "radius")
    r = check_exponent(attack_norm, "attack_norm")
    return X, eps, p, radius, r


def _dim_note(d: int, p: float, r: float) -> str:
    if math.isinf(r):
        return f"D = d^(1/q) = {dimension_factor(d, p, r):.6g} (l_inf attack, q = {_dual(p):g})."
    return (
        f"D = max(d^(1 - 1/r - 1/p), 1) = {dimension_factor(d, p, r):.6g} for the l_{r:g} attack "
        "(Awasthi, Frank & Mohri 2020 form; derived)."
    )


# --------------------------------------------------------------------------------------------------
# The two bounds, each written once (value with math, formula with sympy: radbound.bounds._formula)
# --------------------------------------------------------------------------------------------------
def _dim(m: Any, d: Any, q: Any = None, p: Any = None, r: Any = None) -> Any:
    """D = d^(1/q) (l_inf attack, inputs d, q) or max(d^(1 - 1/r - 1/p), 1) (inputs d, p, r)."""
    if q is not None:
        return d ** (1 / q)
    return m.Max(1, d ** (1 - 1 / r - 1 / p))


def _rate(m: Any, form: str, n: Any, S_abs: Any = None, c: Any = None) -> Any:
    """The n-dependence A_n (upper) or a_n (lower) of the adversarial term."""
    if form == "paper":
        return (c if c is not None else 1) / m.sqrt(n)
    if form == "sharp-sqrt":
        return 1 / (2 * m.sqrt(n))
    return (S_abs if S_abs is not None else m.expected_abs_sign_sum(n)) / (2 * n)


def _upper_terms(m, *, nat, epsilon, W, n, form, d, q=None, p=None, r=None, S_abs=None):
    return {
        "natural complexity": nat,
        "adversarial term": epsilon * W * _dim(m, d, q, p, r) * _rate(m, form, n, S_abs),
    }


def _lower_terms(m, *, nat, epsilon, W, n, form, d, q=None, p=None, r=None, S_abs=None, c=None):
    return {
        "natural complexity": nat,
        "adversarial term": epsilon * W * _dim(m, d, q, p, r) * _rate(m, form, n, S_abs, c),
    }


def _a_n(form: str, n: int, mean_abs_s: float | None, *, c: float = 1.0, lower: bool = False) -> float:
    """The numeric rate, for the Bound's constants (the same function, read with math)."""
    return float(_rate(NUM, form, n, mean_abs_s, c if lower else None))


def adversarial_linear_upper_bound(
    X: Any,
    *,
    eps: float,
    p: Any = 2.0,
    radius: float = 1.0,
    attack_norm: Any = math.inf,
    form: str = "paper",
    complexity: Any = "auto",
    n_draws: int | None = None,
    seed: Any = None,
) -> Bound:
    r"""Upper bound on the adversarial Rademacher complexity of a binary linear class.

    .. math::
        \hat{\mathfrak R}_S(\tilde{\mathcal F}) \le \hat{\mathfrak R}_S(\mathcal F) + \epsilon W D\, A_n,
        \qquad D = \max(d^{1 - 1/r - 1/p}, 1)\ (= d^{1/q} \text{ for } r = \infty),

    with :math:`A_n = 1/\sqrt n` (``form="paper"``, Yin et al. 2019, binary linear classifiers; status
    ``"paper"`` for :math:`r = \infty`, ``"derived"`` otherwise), :math:`A_n = \mathbb E|s|/(2n)`
    (``"sharp"``) or :math:`A_n = 1/(2\sqrt n)` (``"sharp-sqrt"``), both ``"derived"``, where
    :math:`s = \sum_i \sigma_i` and :math:`\mathbb E|s| \le \sqrt n` (:func:`expected_abs_sign_sum`).

    Proof of the sharp form: :math:`\sup_w \langle w,u\rangle - \epsilon s\|w\|_{r^*} \le
    \sup_w \langle w,u\rangle + \epsilon W D (-s)_+` and :math:`\mathbb E(-s)_+ = \mathbb E|s|/2`.

    Convention: factor 1/n, no absolute value inside the supremum.

    Parameters
    ----------
    X : array of shape (n, d)
        The sample (labels do not enter the bound).
    eps : float
        Attack radius :math:`\epsilon \ge 0`.
    p : float, default 2
        Weight norm; :math:`\|w\|_p \le W`.
    radius : float, default 1
        :math:`W`.
    attack_norm : float, default inf
        :math:`r`.
    form : {"paper", "sharp", "sharp-sqrt"}
    complexity : {"auto", "exact", "monte-carlo", "closed-form"} or Estimate or Bound
        How :math:`\hat{\mathfrak R}_S(\mathcal F)` enters: computed by
        :func:`radbound.linear_rademacher` with that ``method`` (symbol ``R_S`` in the formula), its
        closed-form bound (:func:`linear_rademacher_bound`, whose formula is substituted), a given
        Estimate, or a given upper Bound. An :class:`radbound.AdversarialEstimate` (from
        :func:`radbound.adversarial_linear_rademacher`, with ``natural`` and ``mean_abs_s``) provides both
        the natural value and, for ``form="sharp"``, the average :math:`|s|` on the SAME sign vectors;
        with antithetic draws the inequality then holds exactly for the Monte-Carlo values.
    n_draws, seed
        Passed to the estimator.

    Returns
    -------
    Bound
        Terms ``"natural complexity"`` and ``"adversarial term"`` (sum).

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, theorem on binary linear classifiers;
    Awasthi, Frank & Mohri (2020), ICML (l_r attacks); :doc:`/theory/binary_linear`.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import adversarial_linear_upper_bound
    >>> X = np.eye(4)                       # R_S(F) = (1/4) E||sigma||_2 = 1/2 exactly
    >>> b = adversarial_linear_upper_bound(X, eps=0.1, p=2, complexity="exact")
    >>> bool(np.isclose(b.value, 0.5 + 0.1 * 2 / 2))   # eps W d^(1/2) / sqrt(n)
    True
    """
    X, eps, p, radius, r = _check_common(X, eps, p, radius, attack_norm)
    form = check_choice(form, "form", _UPPER_FORMS)
    n, d = X.shape
    nat = _natural_term(X, p, radius, complexity, n_draws, seed, lower=False)
    D = dimension_factor(d, p, r)
    draws = nat.estimate if isinstance(nat.estimate, AdversarialEstimate) else None
    use_draws = form == "sharp" and draws is not None
    inputs: dict[str, float] = {"epsilon": eps, "W": radius, "n": n, **dimension_inputs(d, p, r)}
    if draws is not None and use_draws:
        inputs["S_abs"] = draws.mean_abs_s
    b = build_bound(
        _upper_terms,
        inputs,
        literals={"form": form},
        parts={"nat": Part(nat.value, nat.inputs, nat.builder)},
        reference=f"{YIN_2019}, theorem on binary linear classifiers"
        + ("" if form == "paper" else " (sharpened: docs/theory/binary_linear.md, derived)"),
        status=weakest_status("paper" if (form == "paper" and math.isinf(r)) else "derived", nat.status),
        kind="upper",
        name=f"adversarial-linear-upper-{form}",
        loss_class=LossClass("adversarial", eps=eps, attack_norm=r),
        notes=" ".join(
            [nat.note, _dim_note(d, p, r)]
            + (
                ["S_abs = average |sum_i sigma_i| over the estimator's sign vectors (exact for their draws)."]
                if use_draws
                else []
            )
        ),
    )
    mc = nat.constants()
    if draws is not None and use_draws:
        # the per-draw value R + eps W D (-s)_+ / n also moves by 2 eps W D / n when sigma_i flips
        mc = _natural_mc(X, p, radius, draws, extra=2.0 * eps * radius * D / n)
    a_n = _a_n(form, n, draws.mean_abs_s if draws is not None and use_draws else None)
    return replace(b, constants={"D": D, "A_n": a_n} | mc)


def adversarial_linear_lower_bound(
    X: Any,
    *,
    eps: float,
    p: Any = 2.0,
    radius: float = 1.0,
    attack_norm: Any = math.inf,
    form: str = "paper",
    c: float = C_LOWER,
    complexity: Any = "auto",
    n_draws: int | None = None,
    seed: Any = None,
) -> Bound:
    r"""Lower bound on the adversarial Rademacher complexity of a binary linear class.

    .. math::
        \hat{\mathfrak R}_S(\tilde{\mathcal F}) \ge \max\Big\{ \hat{\mathfrak R}_S(\mathcal F),\;
        \epsilon W D\, a_n \Big\},
        \qquad D = \max(d^{1 - 1/r - 1/p}, 1),

    with :math:`a_n = c/\sqrt n` (``form="paper"``) or :math:`a_n = \mathbb E|s|/(2n)`
    (``form="sharp"``, derived). The paper (Yin et al. 2019, binary linear classifiers) states the first
    form with "a universal constant c in (0, 1)" and no value; the default :math:`c = 1/(2\sqrt2)` is proved
    valid here (``status="derived"``) because
    :math:`\mathbb E|s|/(2n) \ge \sqrt{n/2}/(2n) = 1/(2\sqrt2\sqrt n)` (Szarek). A larger ``c`` is
    accepted with ``status="unverified"`` and a warning.

    Proof: choosing :math:`\pm w` gives :math:`\sup_w \ge \epsilon W D (-s)_+`; and
    :math:`t \mapsto \sup_w \langle w, u\rangle + t\|w\|_{r^*}` is convex, so pairing
    :math:`\sigma` with :math:`-\sigma` gives the natural term. Both hold draw by draw on
    antithetic pairs, hence exactly for antithetic Monte-Carlo estimates.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, theorem on binary linear classifiers (lower bound,
    :math:`r = \infty`, :math:`c` unspecified); the constant :math:`c = 1/(2\sqrt2)` and the sharp form
    are derived (see :doc:`/theory/binary_linear`), with Szarek (1976), Studia Mathematica 58, for
    :math:`\mathbb E|s| \ge \sqrt{n/2}`;
    Awasthi, Frank & Mohri (2020), ICML, for the :math:`\ell_r` factor :math:`D`.

    Parameters
    ----------
    X, eps, p, radius, attack_norm, n_draws, seed
        As in :func:`adversarial_linear_upper_bound`.
    form : {"paper", "sharp"}
    c : float, default 1/(2 sqrt 2)
        The constant of the paper form.
    complexity : {"auto", "exact", "monte-carlo", "closed-form"} or Estimate or Bound
        As in :func:`adversarial_linear_upper_bound`; ``"closed-form"`` uses the Khintchine lower
        bound :func:`linear_rademacher_lower_bound`, and a Bound must be a lower bound.

    Returns
    -------
    Bound
        ``combine="max"`` of ``"natural complexity"`` and ``"adversarial term"``.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import adversarial_linear_lower_bound
    >>> b = adversarial_linear_lower_bound(np.eye(4), eps=2.0, p=2, form="sharp", complexity="exact")
    >>> bool(np.isclose(b.value, 2.0 * 2 * 1.5 / 8))   # eps W sqrt(d) E|s| / (2n), E|s| = 3/2 for n = 4
    True
    """
    X, eps, p, radius, r = _check_common(X, eps, p, radius, attack_norm)
    form = check_choice(form, "form", _LOWER_FORMS)
    c = check_positive(c, "c")
    n, d = X.shape
    nat = _natural_term(X, p, radius, complexity, n_draws, seed, lower=True)
    D = dimension_factor(d, p, r)
    draws = nat.estimate if isinstance(nat.estimate, AdversarialEstimate) else None
    use_draws = form == "sharp" and draws is not None
    status = "derived"
    if form == "paper" and c > C_LOWER * (1 + 1e-12):
        status = "unverified"
        warnings.warn(
            f"c={c!r} exceeds the proved constant 1/(2 sqrt 2) = {C_LOWER:.6f}; the bound is unverified",
            stacklevel=2,
        )
    inputs: dict[str, float] = {"epsilon": eps, "W": radius, "n": n, **dimension_inputs(d, p, r)}
    if form == "paper":
        inputs["c"] = c
    if draws is not None and use_draws:
        inputs["S_abs"] = draws.mean_abs_s
    notes = [nat.note, _dim_note(d, p, r)]
    if form == "paper":
        notes.append(
            "The paper gives c only as a universal constant; c = 1/(2 sqrt 2) is the derived valid value."
        )
    a_n = _a_n(form, n, draws.mean_abs_s if draws is not None and use_draws else None, c=c, lower=True)
    constants: dict[str, float] = {"D": D, "a_n": a_n} | ({"c": c} if form == "paper" else {})
    return build_bound(
        _lower_terms,
        inputs,
        literals={"form": form},
        parts={"nat": Part(nat.value, nat.inputs, nat.builder)},
        combine="max",
        constants=constants,
        reference=(
            f"{YIN_2019}, theorem on binary linear classifiers "
            "(lower bound; constant c derived, docs/theory/binary_linear.md)"
        ),
        status=weakest_status(status, nat.status),
        kind="lower",
        name=f"adversarial-linear-lower-{form}",
        loss_class=LossClass("adversarial", eps=eps, attack_norm=r),
        notes=" ".join(notes),
    )


@dataclass(frozen=True)
class LinearSandwich:
    """The exact (or Monte-Carlo) adversarial complexity with its lower and upper bounds.

    Attributes
    ----------
    lower : Bound
    estimate : Estimate
        :func:`radbound.adversarial_linear_rademacher` on the sample.
    upper : Bound
    """

    lower: Bound
    estimate: Estimate
    upper: Bound

    @property
    def holds(self) -> bool:
        """``lower <= estimate <= upper`` up to float rounding (1e-9 relative)."""
        tol = 1e-9 * max(1.0, abs(self.estimate.value))
        return self.lower.value <= self.estimate.value + tol and self.estimate.value <= self.upper.value + tol


def adversarial_linear_sandwich(
    X: Any,
    y: Any,
    *,
    eps: float,
    p: Any = 2.0,
    radius: float = 1.0,
    attack_norm: Any = math.inf,
    form: str = "sharp",
    c: float = C_LOWER,
    method: str = "auto",
    n_draws: int | None = None,
    seed: Any = None,
) -> LinearSandwich:
    r"""Compute :math:`\hat{\mathfrak R}_S(\tilde{\mathcal F})` once and both bounds on the same draws.

    Calls :func:`radbound.adversarial_linear_rademacher` (exact inner supremum) and builds
    :func:`adversarial_linear_lower_bound` and :func:`adversarial_linear_upper_bound` from its
    fields ``natural`` and ``mean_abs_s`` (natural value and average :math:`|s|` on the same sign
    vectors), so that with
    ``form="sharp"`` and antithetic Monte-Carlo draws ``lower <= estimate <= upper`` holds exactly.
    ``form="paper"`` uses the paper's forms (upper with :math:`1/\sqrt n`, lower with ``c``).

    Parameters
    ----------
    X : array of shape (n, d)
        The sample.
    y : array of shape (n,) with entries in {-1, +1}
        Binary labels (they enter the adversarial complexity, not the bounds' closed-form terms).
    eps : float >= 0
        Attack radius :math:`\epsilon`.
    p : float in [1, inf], default 2
        Weight norm of the class :math:`\|w\|_p \le W`.
    radius : float > 0, default 1
        :math:`W`.
    attack_norm : float, default inf
        :math:`r` of the :math:`\ell_r` attack: ``inf`` (the paper's case) or the dual exponent of ``p``.
    form : {"sharp", "paper"}, default "sharp"
        Constants of both bounds, as in :func:`adversarial_linear_upper_bound` and
        :func:`adversarial_linear_lower_bound`.
    c : float, default 1/(2 sqrt 2)
        The constant of the paper's lower bound (used with ``form="paper"``).
    method : {"auto", "exact", "monte-carlo"}, default "auto"
        How the complexity is computed (:func:`radbound.adversarial_linear_rademacher`).
    n_draws : int, optional
        Monte-Carlo sign vectors (default of the estimator).
    seed : int or numpy.random.Generator, optional
        Seed of the Monte-Carlo draws.

    Returns
    -------
    LinearSandwich
        ``lower``, ``estimate`` and ``upper`` (and ``holds``: ``lower <= estimate <= upper``).

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, theorem on binary linear classifiers (the sandwich for
    :math:`r = \infty`); the sharp
    constants and their draw-by-draw validity on antithetic pairs are derived (see
    :doc:`/theory/binary_linear` and :doc:`/theory/oracles`).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import adversarial_linear_sandwich
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(8, 3)), np.array([1, -1] * 4)
    >>> adversarial_linear_sandwich(X, y, eps=0.3, method="exact").holds
    True
    """
    est = adversarial_linear_rademacher(
        X, y, eps=eps, p=p, radius=radius, attack_norm=attack_norm, method=method, n_draws=n_draws, seed=seed
    )
    common = {"eps": eps, "p": p, "radius": radius, "attack_norm": attack_norm, "complexity": est}
    lower = adversarial_linear_lower_bound(X, form=form, c=c, **common)
    upper = adversarial_linear_upper_bound(X, form=form, **common)
    return LinearSandwich(lower, est, upper)
