"""Result objects shared by the whole package: :class:`Estimate` (and its typed kinds) and :class:`Bound`.

All are small frozen dataclasses. An :class:`Estimate` is a number with its
uncertainty (exact enumeration or Monte Carlo); :class:`AdversarialEstimate`,
:class:`MulticlassEstimate` and :class:`LowerEstimate` add the named quantities other
modules read back (typed fields, so that a renamed field fails at import, not at run
time); a :class:`Bound` is a number with its named terms, constants, source and a
symbolic formula (sympy, built lazily so that ``import radbound`` never imports sympy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ._concentration import rescale_half_width
from ._lp import norm_ratio
from ._validation import check_choice, check_exponent, check_int, check_nonnegative

__all__ = [
    "Estimate",
    "AdversarialEstimate",
    "MulticlassEstimate",
    "LowerEstimate",
    "Bound",
    "GridPoint",
    "PosthocPrice",
    "MarginLipschitz",
    "LossClass",
]


def _freeze(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Estimate:
    r"""The value of an expectation over Rademacher signs, exact or Monte Carlo.

    Attributes
    ----------
    value : float
        The estimate of :math:`\mathbb E_\sigma[\cdot]` (exact when ``method == "exact"``).
    stderr : float
        Standard error of ``value``; ``0.0`` when exact.
    method : str
        ``"exact"`` or ``"monte-carlo"``.
    n_draws : int or None
        Number of sign vectors averaged (``2**n`` for exact enumeration).
    interval : tuple of float or None
        A ``1 - delta`` confidence interval (McDiarmid) when the bounded
        differences are known, else ``None``; always ``None`` when exact.
    delta : float or None
        The failure probability of ``interval``.
    antithetic : bool
        Whether Monte-Carlo draws came in antithetic pairs ``(sigma, -sigma)``.

    Monte-Carlo uncertainty is carried forward in one style: the two-sided interval at level
    ``delta`` is stored, and :meth:`half_width` gives the half-width at any other level, one- or
    two-sided (the McDiarmid variance proxy is the same; see
    :func:`radbound._concentration.rescale_half_width`).

    Examples
    --------
    >>> from radbound import Estimate
    >>> e = Estimate(0.5, 0.0, "exact", 4)
    >>> e.value, e.is_exact
    (0.5, True)
    """

    value: float
    stderr: float
    method: str
    n_draws: int | None
    interval: tuple[float, float] | None = None
    delta: float | None = None
    antithetic: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "stderr", float(self.stderr))
        if self.interval is not None:
            lo, hi = self.interval
            object.__setattr__(self, "interval", (float(lo), float(hi)))

    @property
    def is_exact(self) -> bool:
        """True when the value is an exact average over all sign vectors."""
        return self.method == "exact"

    def half_width(self, delta: float | None = None, *, two_sided: bool = True) -> float:
        r"""Half-width of the McDiarmid interval at level ``delta`` (default: this estimate's own).

        .. math::
            t = h \sqrt{\log(k/\delta) / \log(2/\delta_e)}, \qquad k = 2 \text{ (two-sided)},
            \ 1 \text{ (one-sided)},

        with :math:`h` the half-width of ``interval`` at its level :math:`\delta_e` = ``self.delta``.
        ``two_sided=False`` gives the one-sided deviation :math:`t` with
        :math:`P(\text{true value} > \text{value} + t) \le \delta`. 0 for an exact estimate.

        Parameters
        ----------
        delta : float, optional
            Failure probability in (0, 1); default ``self.delta``.
        two_sided : bool
            Two-sided half-width (default) or one-sided deviation.

        Returns
        -------
        float

        Raises
        ------
        ValueError
            For a Monte-Carlo estimate without interval (computed without bounded differences).

        Examples
        --------
        >>> import math
        >>> from radbound import Estimate
        >>> e = Estimate(0.3, 0.01, "monte-carlo", 100, interval=(0.2, 0.4), delta=0.1)
        >>> math.isclose(e.half_width(), 0.1), math.isclose(e.half_width(0.05, two_sided=False), 0.1)
        (True, True)
        """
        if self.is_exact:
            return 0.0
        if self.interval is None or self.delta is None:
            raise ValueError(
                "this Monte-Carlo Estimate has no McDiarmid interval (it was computed without "
                "bounded differences), so it has no half-width"
            )
        h = self.interval[1] - self.value
        if delta is None and two_sided:
            return h
        return rescale_half_width(h, self.delta, self.delta if delta is None else delta, two_sided=two_sided)

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        if self.is_exact:
            return f"{type(self).__name__}({self.value:.6g}, exact over {self.n_draws} sign vectors)"
        name = type(self).__name__
        s = f"{name}({self.value:.6g} ± {self.stderr:.2g} s.e., {self.method}, {self.n_draws} draws"
        if self.antithetic:
            s += ", antithetic"
        if self.interval is not None and self.delta is not None:
            lo, hi = self.interval
            s += f"; {100 * (1 - self.delta):.4g}% interval [{lo:.6g}, {hi:.6g}]"
        return s + ")"


@dataclass(frozen=True, kw_only=True, repr=False)
class AdversarialEstimate(Estimate):
    r"""The adversarial complexity of a binary linear class, with its natural part on the SAME draws.

    Returned by :func:`radbound.adversarial_linear_rademacher`; read by the linear bounds
    (:func:`radbound.bounds.adversarial_linear_upper_bound` and the lower bound), which then hold
    exactly for these numbers.

    Attributes
    ----------
    value, stderr, method, n_draws, interval, delta, antithetic
        As in :class:`Estimate` (of :math:`\hat{\mathfrak R}_S(\tilde{\mathcal F})`).
    natural : float
        :math:`\hat{\mathfrak R}_S(\mathcal F)`, averaged over the same sign vectors.
    mean_abs_s : float
        The average of :math:`|\sum_i \sigma_i|` over the same sign vectors.
    dim_factor : float
        :math:`\kappa`: :math:`d^{1/q}` for an :math:`\ell_\infty` attack, 1 for the dual pair.

    Examples
    --------
    >>> import numpy as np, radbound as rb
    >>> est = rb.adversarial_linear_rademacher(np.eye(2), np.array([1.0, -1.0]), eps=0.0, method="exact")
    >>> est.natural == est.value, est.mean_abs_s          # E|s| = 1 for n = 2
    (True, 1.0)
    """

    natural: float
    mean_abs_s: float
    dim_factor: float

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("natural", "mean_abs_s", "dim_factor"):
            object.__setattr__(self, name, float(getattr(self, name)))


@dataclass(frozen=True, kw_only=True, repr=False)
class MulticlassEstimate(Estimate):
    r"""Per-class Rademacher expectations of a multi-class linear class (same sign vectors).

    Returned by :func:`radbound.multiclass_rademacher`; read by the multi-class bounds. The value is
    :math:`\frac Wn \sum_k E_k`; the raw expectations carry no :math:`W` and no :math:`1/n`.

    Attributes
    ----------
    value, stderr, method, n_draws, interval, delta, antithetic
        As in :class:`Estimate`.
    per_class : tuple of float
        :math:`E_k = \mathbb E\|\sum_{i: y_i = k} \sigma_i x_i\|_q`, :math:`k = 0..K-1`
        (0 for a class absent from the sample).
    full : float
        :math:`\mathbb E\|\sum_{i=1}^n \sigma_i x_i\|_q` (enters the natural bound).
    class_sizes : tuple of int
        :math:`|\{i : y_i = k\}|`.
    p : float
        The weight norm (row norms :math:`\max_k \|w_k\|_p \le W`).
    radius : float
        :math:`W`.
    classes : tuple of int
        The label of each class, in the order of ``per_class`` (the labels present, sorted, or
        ``0..K-1`` for a declared class count); empty when not recorded.

    Examples
    --------
    >>> import numpy as np, radbound as rb
    >>> est = rb.multiclass_rademacher(np.eye(3), np.array([0, 1, 1]), method="exact")
    >>> est.class_sizes, bool(np.isclose(est.full, np.sqrt(3)))
    ((1, 2), True)
    """

    per_class: tuple[float, ...]
    full: float
    class_sizes: tuple[int, ...]
    p: float
    radius: float
    classes: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "per_class", tuple(float(v) for v in self.per_class))
        object.__setattr__(self, "class_sizes", tuple(int(v) for v in self.class_sizes))
        object.__setattr__(self, "full", float(self.full))
        object.__setattr__(self, "p", float(self.p))
        object.__setattr__(self, "radius", float(self.radius))
        object.__setattr__(self, "classes", tuple(int(v) for v in self.classes))

    @property
    def n_classes(self) -> int:
        """:math:`K`, the number of classes."""
        return len(self.per_class)


@dataclass(frozen=True, kw_only=True, repr=False)
class LowerEstimate(Estimate):
    r"""An estimate of a LOWER bound on a Rademacher complexity (a feasible point per sign vector).

    Returned by :func:`radbound.bounds.multiclass_ramp_lower_estimate`: for each sign vector a
    heuristic search reports the objective at one feasible model, which is at most the supremum.
    It is not an upper estimate, so generalization bounds refuse it.

    Attributes
    ----------
    value, stderr, method, n_draws, interval, delta, antithetic
        As in :class:`Estimate`.
    margin : float
        :math:`\gamma` of the ramp loss.
    eps : float
        Attack radius (0 for the natural class).
    n_classes : int
        :math:`K`.
    """

    margin: float
    eps: float
    n_classes: int


@dataclass(frozen=True)
class GridPoint:
    r"""Where one data-dependent quantity of a bound was placed on its geometric grid.

    Attributes
    ----------
    name : str
        The quantity (``"radius"``, ``"margin"``, ``"s_1"``, ...).
    value : float
        Its value at the model.
    grid_value : float
        The grid point used in the bound: the smallest point :math:`\ge` ``value`` for a norm (the
        class must contain the model), the largest point :math:`\le` ``value`` for a margin.
    index : int
        :math:`j` in :math:`\theta_j = \theta_0 \rho^j`.
    log_price : float
        :math:`\log(1/w_j)`, the share of the confidence budget given up for this grid point.

    Examples
    --------
    >>> from radbound import GridPoint
    >>> GridPoint("margin", 1.0, 1.0, 0, 0.6931).index
    0
    """

    name: str
    value: float
    grid_value: float
    index: int
    log_price: float


@dataclass(frozen=True)
class PosthocPrice:
    r"""The price a bound pays to hold for a model whose norms (and margin) were chosen from the sample.

    The fixed-class bound holds with probability :math:`1 - \delta w` for each point of a product of
    geometric grids, with prior weights :math:`w = \prod_q w_{j_q}` summing to 1 over the grid; a
    union bound makes all of them hold at once with probability :math:`1 - \delta`, and the bound is
    then applied at the grid point of the model. The price is :math:`\log(1/w)`, added to
    :math:`\log(1/\delta)` in the confidence term (see :ref:`theory-post-hoc`).

    Attributes
    ----------
    points : tuple of GridPoint
        One per data-dependent quantity.
    ratio, anchor : float
        The grid :math:`\theta_j = \text{anchor}\cdot\text{ratio}^j`, :math:`j \in \mathbb Z`.

    Examples
    --------
    >>> import math
    >>> from radbound import GridPoint, PosthocPrice
    >>> p = PosthocPrice((GridPoint("margin", 1.0, 1.0, 0, math.log(2)),), 2.0, 1.0)
    >>> math.isclose(p.log_price, math.log(2)), math.isclose(p.delta_factor, 0.5)
    (True, True)
    """

    points: tuple[GridPoint, ...]
    ratio: float
    anchor: float

    @property
    def log_price(self) -> float:
        r""":math:`\sum_q \log(1/w_{j_q})`."""
        return float(sum(pt.log_price for pt in self.points))

    @property
    def delta_factor(self) -> float:
        r""":math:`w = \prod_q w_{j_q}`: the bound at this grid point holds with probability
        :math:`1 - \delta w`."""
        return math.exp(-self.log_price)

    def merge(self, other: PosthocPrice) -> PosthocPrice:
        """The price of two stratifications of different quantities, paid together."""
        names = {pt.name for pt in self.points}
        clash = sorted(names & {pt.name for pt in other.points})
        if clash:
            raise ValueError(f"quantities {clash} are stratified twice")
        if (self.ratio, self.anchor) != (other.ratio, other.anchor):
            raise ValueError("post-hoc prices on different grids cannot be merged")
        return PosthocPrice(self.points + other.points, self.ratio, self.anchor)


@dataclass(frozen=True)
class MarginLipschitz:
    r"""A Lipschitz constant of the margin map :math:`x \mapsto \mathcal M(f(x), y)` in one input norm.

    For every label :math:`y` and inputs :math:`x, x'`,

    .. math::
        |\mathcal M(f(x), y) - \mathcal M(f(x'), y)| \le L\, \|x - x'\|_s ,

    for one network :math:`f` (a certificate) or for every network of a class (a complexity bound),
    with :math:`\mathcal M(z, y) = z_y - \max_{k \ne y} z_k` (one output: :math:`y z`). An
    :math:`\ell_r` perturbation of radius :math:`\epsilon` has :math:`\ell_s` norm at most
    :math:`\epsilon D`, :math:`D = \max(1, d^{1/s - 1/r})` (Hölder), so the adversarial margin is at
    least :math:`\mathcal M(f(x), y) - \tau` with the shift :math:`\tau = L \epsilon D`
    (:ref:`theory-lipschitz-adversarial`).

    Attributes
    ----------
    value : float
        :math:`L \ge 0`.
    norm : float
        The input norm :math:`s`: 2 or ``inf``.
    input_dim : int
        :math:`d`, the (flattened) input dimension.

    Examples
    --------
    >>> import math
    >>> from radbound import MarginLipschitz
    >>> lip = MarginLipschitz(3.0, 2.0, 16)               # l_inf attack: ||delta||_2 <= sqrt(16) eps
    >>> math.isclose(lip.shift(0.1, math.inf), 3.0 * 0.1 * 4.0)
    True
    """

    value: float
    norm: float
    input_dim: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_nonnegative(self.value, "value"))
        norm = check_exponent(self.norm, "norm")
        if norm not in (2.0, math.inf):
            raise ValueError(f"norm must be 2 or inf, got {norm!r}")
        object.__setattr__(self, "norm", norm)
        object.__setattr__(self, "input_dim", check_int(self.input_dim, "input_dim", minimum=1))

    def dimension_factor(self, attack_norm: float) -> float:
        r""":math:`D = \sup_{\|\delta\|_r \le 1} \|\delta\|_s = \max(1, d^{1/s - 1/r})`.

        Parameters
        ----------
        attack_norm : float
            The attack norm :math:`r \in [1, \infty]`.

        Returns
        -------
        float
        """
        return norm_ratio(self.input_dim, check_exponent(attack_norm, "attack_norm"), self.norm)

    def shift(self, eps: float, attack_norm: float) -> float:
        r"""The margin shift :math:`\tau = L \epsilon D` of an :math:`\ell_r` attack of radius ``eps``.

        Parameters
        ----------
        eps : float
            The attack radius :math:`\epsilon \ge 0`.
        attack_norm : float
            The attack norm :math:`r \in [1, \infty]`.

        Returns
        -------
        float
            0 when ``eps == 0``.
        """
        eps = check_nonnegative(eps, "eps")
        return self.value * eps * self.dimension_factor(attack_norm) if eps > 0 else 0.0


@dataclass(frozen=True)
class LossClass:
    r"""Which loss class a :class:`Bound` is about, so that only theorems get chained.

    :func:`radbound.bounds.generalization` reads it from a complexity Bound to decide which empirical
    term and which risk the bound may state (:ref:`theory-pairing`).

    Attributes
    ----------
    loss : str
        ``"natural"``: the ramp loss of the natural margin :math:`\phi_\gamma(\mathcal M(f(x), y))`
        (or the margin class itself); ``"adversarial"``: the ramp loss of the adversarial margin
        :math:`\phi_\gamma(\min_{\|x'-x\|_r \le \epsilon} \mathcal M(f(x'), y))` (or the
        adversarial margin class); ``"sdp-surrogate"``: the SDP surrogate loss of a one-hidden-layer
        network (:doc:`/theory/sdp`).
    statement : str
        ``"complexity"`` (an upper bound on the Rademacher complexity of that class) or ``"risk"`` (a
        bound on the true risk of that loss: a generalization bound, not a complexity).
    eps : float or None
        Attack radius of an adversarial class (0 for the natural class; None when unknown).
    attack_norm : float
        The attack norm :math:`r`.
    lipschitz : MarginLipschitz or None
        For a natural class of networks: a Lipschitz constant of the margin map shared by every
        member of the class (at the grid values of a post-hoc bound). With it the class also bounds
        the adversarial risk through the shifted ramp :math:`\phi_\gamma(\mathcal M - \tau)`
        (:ref:`theory-lipschitz-adversarial`).

    Examples
    --------
    >>> from radbound import LossClass
    >>> LossClass("adversarial", "complexity", eps=0.1).is_adversarial
    True
    """

    loss: str
    statement: str = "complexity"
    eps: float | None = 0.0
    attack_norm: float = math.inf
    lipschitz: MarginLipschitz | None = None

    def __post_init__(self) -> None:
        check_choice(self.loss, "loss", ("natural", "adversarial", "sdp-surrogate"))
        check_choice(self.statement, "statement", ("complexity", "risk"))
        if self.eps is not None:
            object.__setattr__(self, "eps", check_nonnegative(self.eps, "eps"))
        object.__setattr__(self, "attack_norm", check_exponent(self.attack_norm, "attack_norm"))
        if self.lipschitz is not None and not isinstance(self.lipschitz, MarginLipschitz):
            raise TypeError(
                f"lipschitz must be None or a MarginLipschitz, got {type(self.lipschitz).__name__}"
            )

    @property
    def is_adversarial(self) -> bool:
        """True for an adversarial (or surrogate) class with a positive or unknown attack radius."""
        return self.loss != "natural" and (self.eps is None or self.eps > 0)

    def describe(self) -> str:
        """The class in words (used in error messages and notes)."""
        if self.loss == "natural":
            return "the natural (margin) loss class"
        r = "inf" if math.isinf(self.attack_norm) else f"{self.attack_norm:g}"
        at = "" if self.eps is None else f" at eps={self.eps:g}, l_{r}"
        name = "the SDP surrogate loss" if self.loss == "sdp-surrogate" else "the adversarial loss class"
        return name + at


@dataclass(frozen=True)
class Bound:
    r"""A computed bound that keeps where its number comes from.

    Attributes
    ----------
    value : float
        The bound.
    terms : Mapping[str, float]
        Named parts, in order, whose combination (``combine``) gives ``value``.
    combine : str
        ``"sum"`` (value = sum of terms) or ``"max"`` (value = max of terms).
    constants : Mapping[str, float]
        Named constants used (e.g. ``{"c": 0.3535}``).
    reference : str
        The source, down to the theorem (e.g.
        ``"Yin, Ramchandran & Bartlett (2019), ICML, theorem on binary linear classifiers"``).
    status : str
        ``"paper"`` (as the paper states it), ``"derived"`` (proved for this
        project) or ``"unverified"`` (constant not checked against the source).
    kind : str
        ``"upper"`` or ``"lower"``.
    name : str
        A short name of the bound.
    inputs : Mapping[str, float]
        Values of the symbols of ``formula``: substituting them reproduces ``value``.
    notes : str
        Free text (conventions, caveats).
    posthoc : PosthocPrice or None
        For a bound evaluated at a trained model's own norms: the grid points used and the price
        of the union bound over the grid (None for a bound on a class fixed before the sample).
    loss_class : LossClass or None
        Which loss class the bound is about and whether it bounds its complexity or a risk (None:
        not recorded, e.g. a Bound made by hand).

    The sympy expression is available as :attr:`formula` (built on first use,
    so that sympy is imported only when asked for) and :meth:`latex` renders it.

    Examples
    --------
    >>> from radbound import Bound
    >>> b = Bound(0.3, {"complexity": 0.1, "confidence": 0.2}, reference="textbook")
    >>> b.value
    0.3
    """

    value: float
    terms: Mapping[str, float]
    combine: str = "sum"
    constants: Mapping[str, float] = field(default_factory=dict)
    reference: str = ""
    status: str = "paper"
    kind: str = "upper"
    name: str = ""
    inputs: Mapping[str, float] = field(default_factory=dict, repr=False)
    notes: str = field(default="", repr=False)
    formula_builder: Callable[[], Any] | None = field(default=None, repr=False, compare=False)
    posthoc: PosthocPrice | None = field(default=None, repr=False)
    loss_class: LossClass | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "terms", _freeze({k: float(v) for k, v in self.terms.items()}))
        object.__setattr__(self, "constants", _freeze(self.constants))
        object.__setattr__(self, "inputs", _freeze(self.inputs))
        if self.combine not in ("sum", "max"):
            raise ValueError(f"combine must be 'sum' or 'max', got {self.combine!r}")
        if self.status not in ("paper", "derived", "unverified"):
            raise ValueError(f"status must be 'paper', 'derived' or 'unverified', got {self.status!r}")
        if self.kind not in ("upper", "lower"):
            raise ValueError(f"kind must be 'upper' or 'lower', got {self.kind!r}")
        if not math.isfinite(self.value):
            raise ValueError(f"value must be finite, got {self.value!r}")
        if self.terms:
            vals = list(self.terms.values())
            combined = sum(vals) if self.combine == "sum" else max(vals)
            if not math.isclose(combined, self.value, rel_tol=1e-9, abs_tol=1e-12):
                raise ValueError(
                    f"terms must combine ({self.combine}) to value {self.value!r}, got {combined!r}"
                )

    @property
    def formula(self) -> Any:
        """The bound as a sympy expression in its symbols (imports sympy)."""
        if self.formula_builder is None:
            raise AttributeError(f"bound {self.name or self.reference!r} has no symbolic formula")
        return self.formula_builder()

    def latex(self) -> str:
        """LaTeX source of :attr:`formula`."""
        import sympy

        return sympy.latex(self.formula)

    def evaluate_formula(self) -> float:
        """Substitute :attr:`inputs` into :attr:`formula` and return a float."""
        expr = self.formula
        subs = {s: self.inputs[s.name] for s in expr.free_symbols if s.name in self.inputs}
        missing = sorted(s.name for s in expr.free_symbols if s.name not in self.inputs)
        if missing:
            raise ValueError(f"formula symbols {missing} have no value in inputs")
        return float(expr.subs(subs).evalf(30))

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        joiner = " + " if self.combine == "sum" else ", "
        parts = joiner.join(f"{k} {v:.4g}" for k, v in self.terms.items())
        body = f"{self.value:.4g} = {parts}" if self.combine == "sum" else f"{self.value:.4g} = max({parts})"
        ref = f"; {self.reference}" if self.reference else ""
        return f"Bound({body}{ref})"
