r"""Complexity measures of trained models, and how well they rank the adversarial generalisation gap.

A *measure* is a number computed from a trained model and its training sample only: norms of the
weights, margins on the training set, the package's generalisation bounds. The figures that train
models (``linear_l1``, ``linear_dimension``, ``network_l1``) compute the measures of this module at
training time and store each in their CSV as a column ``m_<name>`` (the weights themselves are not
kept); the ``measures`` figure reads those CSVs and asks which measure orders the models as their
measured adversarial gap does.

Ranking (Jiang, Neyshabur, Mobahi, Krishnan & Bengio 2019, section 2.3): with models indexed by
hyper-parameters :math:`\theta = (\theta_1, \dots, \theta_m) \in \Theta_1 \times \dots \times \Theta_m`,

.. math::
    \tau = \tau_b\big(\{(\mu(\theta), g(\theta))\}_\theta\big), \qquad
    \psi_i = \frac{1}{|\Theta_{-i}|} \sum_{\theta_{-i}} \tau_b\big(\{(\mu(\theta_i, \theta_{-i}),
    g(\theta_i, \theta_{-i}))\}_{\theta_i \in \Theta_i}\big), \qquad
    \Psi = \frac1m \sum_i \psi_i,

with :math:`\mu` the measure, :math:`g` the gap and :math:`\tau_b` Kendall's rank correlation.
:math:`\tau` is the overall rank correlation; :math:`\psi_i` asks whether the measure follows the
gap when only hyper-parameter :math:`i` changes (the repetition, i.e. the training sample, is held
fixed with the other hyper-parameters), which tells a measure that predicts the gap from one that
only tracks the hyper-parameter the gap depends on most. Groups in which the measure or the gap is
constant have no :math:`\tau_b` and are left out (and counted in the result).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "PREFIX",
    "MeasureSpec",
    "MEASURES",
    "RankCorrelation",
    "margin_level",
    "network_measures",
    "linear_measures",
    "pacbayes_measures",
    "rank_correlations",
]

#: Column prefix of a measure in a figure's CSV.
PREFIX = "m_"


@dataclass(frozen=True)
class MeasureSpec:
    """A measure: its column name (without :data:`PREFIX`), plot label, family and definition."""

    name: str
    label: str
    family: str
    definition: str


_NAT = "margin-normalised"
_ADV = "robust-margin-normalised"

#: Every measure the figures record, in display order.
MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("l1", r"$\|A\|_1$ (all weights)", "norm", "sum of absolute weights (the l1 penalty)"),
    MeasureSpec("log_prod_fro", r"$\log\prod_h\|A_h\|_F$", "norm", "log of the product of Frobenius norms"),
    MeasureSpec(
        "log_prod_spec", r"$\log\prod_h\|A_h\|_\sigma$", "norm", "log of the product of spectral norms"
    ),
    MeasureSpec(
        "l21_dist",
        r"(2,1) distance from init",
        "norm",
        "(2,1) distance from the initial weights",
    ),
    MeasureSpec(
        "l1_path",
        r"$\ell_1$ path norm",
        "norm",
        "radbound.networks.path_norm, p = 1 (NaN for max-pooling networks, where it is not defined)",
    ),
    MeasureSpec(
        "l2_path",
        r"$\ell_2$ path norm",
        "norm",
        "radbound.networks.path_norm, p = 2 (NaN for max-pooling networks)",
    ),
    MeasureSpec("inv_margin", r"$1/\gamma$", _NAT, "inverse margin scale gamma (training margins)"),
    MeasureSpec(
        "spec_over_margin", r"$\prod_h\|A_h\|_\sigma/\gamma$", _NAT, "product of spectral norms / gamma"
    ),
    MeasureSpec("fro_over_margin", r"$\prod_h\|A_h\|_F/\gamma$", _NAT, "product of Frobenius norms / gamma"),
    MeasureSpec("l1_over_margin", r"$\|A\|_1/\gamma$", _NAT, "sum of absolute weights / gamma"),
    MeasureSpec(
        "inv_margin_adv",
        r"$1/\gamma_\epsilon$",
        _ADV,
        "inverse robust margin scale (adversarial training margins)",
    ),
    MeasureSpec(
        "spec_over_margin_adv",
        r"$\prod_h\|A_h\|_\sigma/\gamma_\epsilon$",
        _ADV,
        "product of spectral norms / gamma_eps",
    ),
    MeasureSpec(
        "l1_over_margin_adv", r"$\|A\|_1/\gamma_\epsilon$", _ADV, "sum of absolute weights / gamma_eps"
    ),
    MeasureSpec(
        "spectral_bound",
        "spectral bound (Bartlett et al.)",
        "bound",
        "radbound.networks.spectral_bound, margin gamma",
    ),
    MeasureSpec(
        "golowich_bound",
        "Frobenius bound (Golowich et al.)",
        "bound",
        "radbound.networks.golowich_bound, margin gamma",
    ),
    MeasureSpec(
        "neyshabur_bound",
        r"$\ell_{1,\infty}$ bound (Neyshabur et al.)",
        "bound",
        "radbound.networks.neyshabur_bound, margin gamma",
    ),
    MeasureSpec(
        "pacbayes_flatness",
        r"PAC-Bayes flatness $1/\sigma_\epsilon^2$",
        "pac-bayes",
        "1/sigma^2 for the largest weight noise sigma keeping the adversarial training error within 0.1",
    ),
    MeasureSpec(
        "pacbayes_kl",
        r"PAC-Bayes $\mathrm{KL}/n$",
        "pac-bayes",
        "KL(N(theta, sigma^2) || N(0, sigma^2)) / n at that sigma (linear models)",
    ),
    MeasureSpec(
        "pacbayes_bound",
        "PAC-Bayes-kl bound, stochastic adversarial risk",
        "pac-bayes",
        "Seeger/Maurer bound on the adversarial risk of N(theta, sigma^2), grid price paid (linear models)",
    ),
    MeasureSpec(
        "adv_bound_l1",
        r"adversarial bound, $\ell_1$ rows (Yin et al.)",
        "bound",
        "Yin et al. multi-class adversarial bound, p = 1, radius max_k ||w_k||_1, margin gamma_eps",
    ),
    MeasureSpec(
        "adv_bound_l2",
        r"adversarial bound, $\ell_2$ rows (Yin et al.)",
        "bound",
        "Yin et al. multi-class adversarial bound, p = 2, radius max_k ||w_k||_2, margin gamma_eps",
    ),
)


@dataclass(frozen=True)
class RankCorrelation:
    """Kendall's tau between one measure and the gap, over all models or granulated.

    Attributes
    ----------
    measure : str
        The measure's name (see :data:`MEASURES`).
    source : str
        The figure whose models were ranked.
    over : str
        ``"all"`` (overall tau), a hyper-parameter name (granulated :math:`\\psi_i`) or ``"mean"``
        (:math:`\\Psi`, the mean of the defined :math:`\\psi_i`).
    tau : float
        NaN when no group had a defined tau.
    n_models : int
        Models with a finite measure and gap.
    n_groups : int
        Groups averaged (1 for ``"all"``; hyper-parameters with a defined psi for ``"mean"``).
    n_undefined : int
        Groups (or hyper-parameters) left out because the measure or the gap was constant there.
    """

    measure: str
    source: str
    over: str
    tau: float
    n_models: int
    n_groups: int
    n_undefined: int


def margin_level(margins: Any, *, quantile: float = 0.1) -> float:
    r"""The margin scale :math:`\gamma`: the ``quantile`` of the POSITIVE training margins (NaN if none).

    Jiang et al. take the 10th percentile of the training margins of models that fit their
    training sets; the models here do not always (robust training accuracy falls well below 1 at
    large :math:`\epsilon`), so the quantile is taken over the correctly classified points, which
    keeps :math:`\gamma > 0`.

    Parameters
    ----------
    margins : array of shape (n,)
        Margins :math:`z_y - \max_{k \ne y} z_k` on the training set (natural, or at the attack).
    quantile : float
        In (0, 1).

    Returns
    -------
    float

    Examples
    --------
    >>> margin_level([-1.0, 1.0, 2.0, 3.0, 4.0, 5.0], quantile=0.5)
    3.0
    """
    m = np.asarray(margins, dtype=float)
    m = m[m > 0]
    return float(np.quantile(m, quantile)) if m.size else math.nan


def _over(value: float, gamma: float) -> float:
    return value / gamma if math.isfinite(gamma) and gamma > 0 else math.nan


def network_measures(
    net: Any, X: Any, *, margins: Any, margins_adv: Any, eps: float, n_bound: int | None = None
) -> dict[str, float]:
    r"""The norm, margin and bound measures of one trained network, as CSV columns ``m_<name>``.

    :math:`\gamma` and :math:`\gamma_\epsilon` are :func:`margin_level` of ``margins`` (natural
    training margins) and ``margins_adv`` (at the attack of radius ``eps``); the bounds of
    :func:`radbound.networks.network_bounds` (post-hoc form: norms and margin on geometric grids) are
    evaluated at margin :math:`\gamma` on the first
    ``n_bound`` rows of ``X`` (all by default). Measures that need a margin are NaN when there is
    no positive margin. Linear-model-only measures (``adv_bound_*``) are not included.

    Parameters
    ----------
    net : radbound.networks.Network
        The trained network (its ``reference`` weights, e.g. the initial ones, enter the (2,1)
        distance and the spectral bound).
    X : array
        Training inputs.
    margins, margins_adv : arrays of shape (n,)
        Training margins, natural and under attack.
    eps : float
        Attack radius.
    n_bound : int or None
        Rows of ``X`` used by the bounds.

    Returns
    -------
    dict
        ``{"m_l1": ..., ...}``.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> W = np.array([[2.0, 0.0], [0.0, -1.0]])
    >>> X = np.eye(2)
    >>> m = network_measures(Network.from_arrays([W]), X, margins=[2.0, 1.0], margins_adv=[1.0, 0.5], eps=0.1)
    >>> bool(m["m_l1"] == 3.0 and np.isclose(m["m_spec_over_margin"], 2.0 / np.quantile([2.0, 1.0], 0.1)))
    True
    """
    from radbound.networks import MaxPool2d, network_bounds, path_norm

    X = np.asarray(X, dtype=np.float64)
    gamma, gamma_adv = margin_level(margins), margin_level(margins_adv)
    Xb = X if n_bound is None else X[:n_bound]
    bounds = network_bounds(net, Xb, eps=eps, margin=gamma if math.isfinite(gamma) else 1.0)
    norms = bounds.norms
    spec = float(np.prod(norms.spectral))
    fro = float(np.prod(norms.frobenius))
    l1 = float(sum(np.abs(layer.weight).sum() for _, layer in net.weighted_layers))
    pooled = any(isinstance(layer, MaxPool2d) for layer in net.layers)  # no path decomposition
    values = {
        "l1": l1,
        "log_prod_fro": float(np.sum(np.log(norms.frobenius))),
        "log_prod_spec": float(np.sum(np.log(norms.spectral))),
        "l21_dist": float(np.sum(norms.l21)),
        "l1_path": math.nan if pooled else path_norm(net, p=1),
        "l2_path": math.nan if pooled else path_norm(net, p=2),
        "inv_margin": _over(1.0, gamma),
        "spec_over_margin": _over(spec, gamma),
        "fro_over_margin": _over(fro, gamma),
        "l1_over_margin": _over(l1, gamma),
        "inv_margin_adv": _over(1.0, gamma_adv),
        "spec_over_margin_adv": _over(spec, gamma_adv),
        "l1_over_margin_adv": _over(l1, gamma_adv),
    }
    for name in ("spectral", "golowich", "neyshabur"):
        value = getattr(bounds, name).value
        values[f"{name}_bound"] = float(value) if math.isfinite(gamma) else math.nan
    return {PREFIX + k: v for k, v in values.items()}


_COMPLEXITY: dict[tuple, Any] = {}


def _complexity(X: np.ndarray, y: np.ndarray, p: float, n_classes: int) -> Any:
    """``multiclass_rademacher`` at radius 1 (seed 0), cached per training set within a process."""
    from radbound.complexity import multiclass_rademacher

    key = (hashlib.sha1(X.tobytes() + y.astype(np.int64).tobytes()).hexdigest(), p, n_classes)
    if key not in _COMPLEXITY:
        if len(_COMPLEXITY) >= 64:
            _COMPLEXITY.clear()
        _COMPLEXITY[key] = multiclass_rademacher(
            X, y, p=p, radius=1.0, n_classes=n_classes, n_draws=500, seed=0
        )
    return _COMPLEXITY[key]


def linear_measures(
    W: Any, b: Any, X: Any, y: Any, *, eps: float, margins: Any, margins_adv: Any, n_classes: int
) -> dict[str, float]:
    r"""The measures of a multi-class linear model :math:`x \mapsto Wx + b`, as CSV columns ``m_<name>``.

    The model as a one-layer :class:`radbound.networks.Network` gives every measure of
    :func:`network_measures`; the linear class adds the paper's adversarial multi-class bound
    (:func:`radbound.bounds.multiclass_adversarial_bound`) for :math:`\ell_1` and :math:`\ell_2`
    bounded rows (radius :math:`\max_k \|w_k\|_p`, margin :math:`\gamma_\epsilon`), whose
    :math:`\epsilon`-term makes it the one measure here that sees the attack. The per-class sign
    sums :math:`\mathbb E\|\sum_{i: y_i = k}\sigma_i x_i\|_q` depend on the training set only and are
    computed once per set (Monte Carlo, 500 draws, seed 0) and cached.

    Parameters
    ----------
    W, b : arrays of shape (K, d) and (K,)
    X, y : training inputs and labels
    eps : float
        Attack radius of training and evaluation.
    margins, margins_adv : arrays of shape (n,)
        Natural and exact adversarial training margins.
    n_classes : int

    Returns
    -------
    dict

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.random((40, 5)), np.arange(40) % 3
    >>> W, b = rng.normal(size=(3, 5)), np.zeros(3)
    >>> m = linear_measures(W, b, X, y, eps=0.1, margins=np.ones(40), margins_adv=np.ones(40), n_classes=3)
    >>> bool(np.isclose(m["m_l1"], np.abs(W).sum()) and np.isclose(m["m_l1_path"], np.abs(W).sum()))
    True
    """
    from radbound.bounds import multiclass_adversarial_bound
    from radbound.networks import Network

    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    net = Network.from_arrays([W], biases=[b])
    out = network_measures(net, X, margins=margins, margins_adv=margins_adv, eps=eps)
    gamma_adv = margin_level(margins_adv)
    for p, name in ((1.0, "adv_bound_l1"), (2.0, "adv_bound_l2")):
        if not math.isfinite(gamma_adv):
            out[PREFIX + name] = math.nan
            continue
        est = _complexity(X, y, p, int(n_classes))
        radius = float(np.max(np.sum(np.abs(W) ** p, axis=1) ** (1.0 / p)))
        bound = multiclass_adversarial_bound(
            X, y, margin=gamma_adv, eps=eps, p=p, radius=radius, n_classes=n_classes, complexity=est
        )
        out[PREFIX + name] = float(bound.value)
    error = float(np.mean(np.asarray(margins_adv) <= 0))
    out.update(pacbayes_measures(W, b, X, y, eps=eps, error=error))
    return out


def pacbayes_measures(
    W: Any,
    b: Any,
    X: Any,
    y: Any,
    *,
    eps: float,
    error: float,
    deviation: float = 0.1,
    n_draws: int = 16,
    delta: float = 0.05,
    seed: int = 0,
) -> dict[str, float]:
    r"""PAC-Bayes measures of a linear model: how much weight noise its adversarial training error tolerates.

    With :math:`\theta = [W \mid b]`, :math:`Q_\sigma = \mathcal N(\theta, \sigma^2 I)` and the prior
    :math:`P_\sigma = \mathcal N(0, \sigma^2 I)` (the SGD protocol starts from zero),
    :math:`\sigma_\epsilon` is the largest :math:`\sigma` of the grid
    :data:`radbound.pacbayes.PRIOR_STD_GRID` (201 values; found by bisection, assuming the noisy error
    grows with :math:`\sigma`) whose stochastic adversarial training error
    :math:`\hat R_\epsilon(Q_\sigma)` (exact attack per draw, ``n_draws`` draws on the whole
    sample, common random numbers across :math:`\sigma`) stays within ``deviation`` of the model's own
    ``error`` (Jiang et al.'s "flatness" protocol, with the adversarial error as in Kim et al.). Then

    .. math::
        \texttt{pacbayes\_flatness} = \sigma_\epsilon^{-2}, \qquad
        \texttt{pacbayes\_kl} = \frac{\mathrm{KL}(Q_{\sigma_\epsilon} \| P_{\sigma_\epsilon})}{n}
        = \frac{\|\theta\|_2^2}{2 \sigma_\epsilon^2 n},

    and ``pacbayes_bound`` is :func:`radbound.pacbayes.pac_bayes_kl_bound` at
    :math:`\hat R_\epsilon(Q_{\sigma_\epsilon})` with :math:`\mathrm{KL} + \log 201` (the choice of
    :math:`\sigma` on the grid paid by a union bound): a bound on the adversarial risk of the STOCHASTIC
    classifier :math:`Q_{\sigma_\epsilon}`, valid up to the Monte-Carlo error of the sampled risk (which
    :func:`radbound.pacbayes.pac_bayes_certificate` would add; as a measure it is left out).

    Parameters
    ----------
    W, b : arrays of shape (K, d) and (K,)
    X, y : training inputs and labels
    eps : float
        Attack radius.
    error : float
        The model's adversarial training error (exact attack).
    deviation : float
        Tolerated increase of the error.
    n_draws : int
        Posterior draws per evaluation.
    delta : float
        Confidence of the bound.
    seed : int
        Seeds the draws.

    Returns
    -------
    dict
        ``{"m_pacbayes_flatness": ..., "m_pacbayes_kl": ..., "m_pacbayes_bound": ...}``.

    References
    ----------
    Jiang, Neyshabur, Mobahi, Krishnan & Bengio (2020), ICLR (PAC-Bayes flatness measures); Kim, Na,
    Kim & Yoon (2023), NeurIPS (their adversarial versions); Seeger (2002) and Maurer (2004) (the bound).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.random((50, 4)), np.arange(50) % 2
    >>> W, b = np.array([[3.0, -3.0, 0.0, 0.0], [-3.0, 3.0, 0.0, 0.0]]), np.zeros(2)
    >>> m = pacbayes_measures(W, b, X, y, eps=0.0, error=0.0)
    >>> bool(0 < m["m_pacbayes_bound"] <= 1 and m["m_pacbayes_kl"] > 0)
    True
    """
    from radbound.pacbayes import PRIOR_STD_GRID, GaussianLinear, pac_bayes_kl_bound

    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    grid = np.asarray(PRIOR_STD_GRID)

    def risk(j: int) -> float:
        q = GaussianLinear.from_arrays(W, b, grid[j], grid[j])
        return float(q.sampled_risk(X, y, eps=eps, n_draws=n_draws, examples_per_draw=n, seed=seed).value)

    lo, hi = 0, len(grid) - 1  # invariant: the answer is in [lo, hi]; lo is feasible unless none is
    if risk(hi) <= error + deviation:
        lo = hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if risk(mid) <= error + deviation:
            lo = mid
        else:
            hi = mid
    sigma = float(grid[lo])
    theta2 = float(np.sum(W**2) + np.sum(b**2))
    kl = theta2 / (2.0 * sigma**2)
    bound = pac_bayes_kl_bound(min(risk(lo), 1.0), kl + math.log(len(grid)), n, delta=delta)
    return {
        PREFIX + "pacbayes_flatness": 1.0 / sigma**2,
        PREFIX + "pacbayes_kl": kl / n,
        PREFIX + "pacbayes_bound": float(bound.value),
    }


def rank_correlations(
    rows: Sequence[Mapping[str, Any]],
    *,
    source: str,
    measures: Sequence[str],
    hyper: Sequence[str],
    fixed: Sequence[str] = ("rep",),
    target: str = "gap",
) -> list[RankCorrelation]:
    r"""Kendall's :math:`\tau_b` of each measure with ``target``, over all rows and granulated.

    For each measure: one :class:`RankCorrelation` with ``over="all"``, one per hyper-parameter in
    ``hyper`` (:math:`\psi_i`: rows grouped by every other hyper-parameter and the ``fixed``
    columns, :math:`\tau_b` within each group, averaged over the groups where it is defined) and one
    with ``over="mean"`` (:math:`\Psi`). Rows whose measure or target is missing or not finite are
    dropped first. :math:`\tau_b` is :func:`scipy.stats.kendalltau`, which accounts for ties.

    Parameters
    ----------
    rows : sequence of dict
        One row per model, with the hyper-parameter columns, ``target`` and ``m_<measure>``.
    source : str
        Recorded in the results.
    measures : sequence of str
        Measure names (without :data:`PREFIX`).
    hyper : sequence of str
        The hyper-parameter columns.
    fixed : sequence of str
        Columns held fixed in every group (the repetition).
    target : str
        The column to predict.

    Returns
    -------
    list of RankCorrelation

    References
    ----------
    Jiang, Neyshabur, Mobahi, Krishnan & Bengio (2020), "Fantastic generalization measures and where
    to find them", ICLR (section 2.3, the granulated Kendall coefficient); Kim, Na, Kim & Yoon (2023),
    "Fantastic robustness measures: the secrets of robust generalization", NeurIPS (the same ranking
    for the robust gap of adversarially trained networks).

    Examples
    --------
    >>> rows = [{"eps": e, "lam": l, "rep": 0, "gap": e - l, "m_a": e - l, "m_b": l}
    ...         for e in (0.0, 0.1, 0.2) for l in (0.0, 0.05)]
    >>> out = {(r.measure, r.over): r.tau for r in rank_correlations(
    ...     rows, source="toy", measures=["a", "b"], hyper=["eps", "lam"])}
    >>> bool(np.isclose(out[("a", "all")], 1.0) and out[("a", "mean")] == 1.0 and out[("b", "lam")] == -1.0)
    True
    """
    from scipy.stats import kendalltau

    def tau(pairs: list[tuple[float, float]]) -> float:
        if len(pairs) < 2:
            return math.nan
        a, g = zip(*pairs)
        if len(set(a)) < 2 or len(set(g)) < 2:
            return math.nan
        return float(kendalltau(a, g)[0])

    def finite(value: Any) -> bool:
        return value is not None and math.isfinite(float(value))

    out = []
    for name in measures:
        col = PREFIX + name
        clean = [r for r in rows if finite(r.get(col)) and finite(r.get(target))]
        pairs = [(float(r[col]), float(r[target])) for r in clean]
        overall = tau(pairs)
        out.append(
            RankCorrelation(name, source, "all", overall, len(clean), 1, int(not math.isfinite(overall)))
        )
        psis = []
        for h in hyper:
            others = [k for k in (*hyper, *fixed) if k != h]
            groups: dict[tuple, list[tuple[float, float]]] = {}
            for r, pair in zip(clean, pairs):
                groups.setdefault(tuple(r[k] for k in others), []).append(pair)
            taus = [tau(g) for g in groups.values()]
            good = [t for t in taus if math.isfinite(t)]
            psi = float(np.mean(good)) if good else math.nan
            out.append(RankCorrelation(name, source, h, psi, len(clean), len(good), len(taus) - len(good)))
            if good:
                psis.append(psi)
        mean = float(np.mean(psis)) if psis else math.nan
        out.append(RankCorrelation(name, source, "mean", mean, len(clean), len(psis), len(hyper) - len(psis)))
    return out
