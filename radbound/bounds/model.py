r"""The generalization bound of a trained model, valid although the model was chosen from the sample.

:func:`model_generalization` is the one call for "how large can the true (natural or adversarial)
risk of THIS model be?". It reads the model's own data-dependent quantities (the radius
:math:`W = \|w\|_p` of a linear model, or every layer norm of a network, and the margin), places them
on a geometric grid fixed in advance, and pays for that choice with a union bound over the grid
(:ref:`theory-post-hoc`), so that the statement is a theorem for a model trained on the same sample.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._lp import norm, ramp
from .._validation import (
    as_real_array,
    check_binary_labels,
    check_bool,
    check_choice,
    check_exponent,
    check_matrix,
    check_multiclass_labels,
    check_nonnegative,
    check_positive,
    check_probability,
    is_torch_tensor,
)
from ..networks.layers import Network
from ..results import Bound, MulticlassEstimate
from ._posthoc import Grid, check_grid, warn_fixed_class

__all__ = ["model_generalization"]

_LINEAR_COMPLEXITY = ("auto", "exact", "monte-carlo", "closed-form")
_NETWORK_BOUNDS = ("spectral", "golowich", "neyshabur", "surrogate")


def _linear_parts(model: Any) -> tuple[np.ndarray, np.ndarray | float]:
    """``(W, b)`` of a LinearModel (duck-typed: attributes ``W`` and ``b``), a pair, or a bare array."""
    if hasattr(model, "W") and hasattr(model, "b"):
        W, b = model.W, model.b
    elif isinstance(model, tuple) and len(model) == 2:
        W, b = model
    else:
        W, b = model, None
    if is_torch_tensor(W):
        W = W.detach().cpu().numpy()
    W = np.asarray(as_real_array(W, "model"), dtype=np.float64)
    if W.ndim not in (1, 2) or W.size == 0 or not np.isfinite(W).all():
        raise ValueError(f"the model's W must be a finite array of shape (d,) or (K, d), got shape {W.shape}")
    if b is None:
        b = 0.0 if W.ndim == 1 else np.zeros(W.shape[0])
    b = np.asarray(
        as_real_array(b.detach().cpu().numpy() if is_torch_tensor(b) else b, "model"), dtype=np.float64
    )
    if W.ndim == 1 and b.size != 1 or W.ndim == 2 and b.shape not in ((W.shape[0],), ()):
        raise ValueError(f"the model's bias must match W of shape {W.shape}, got shape {b.shape}")
    if not np.isfinite(b).all():
        raise ValueError("the model's bias must be finite")
    return W, (float(b.reshape(-1)[0]) if W.ndim == 1 else np.broadcast_to(b, (W.shape[0],)).copy())


def model_generalization(
    model: Any,
    X: Any,
    y: Any,
    *,
    margin: float | str,
    eps: float = 0.0,
    attack_norm: Any = math.inf,
    p: Any = 2.0,
    delta: float = 0.05,
    complexity: str = "auto",
    bound: str = "spectral",
    n_draws: int | None = None,
    seed: Any = None,
    posthoc: bool = True,
    grid: Grid | None = None,
) -> Bound:
    r"""Post-hoc valid generalization bound of a trained model on its own training sample.

    With probability at least :math:`1 - \delta` over the sample, simultaneously for every model the
    learner could have returned,

    .. math::
        R_\epsilon(f) \le \hat R^{\gamma_J}_{n,\epsilon}(f) + 2\,\hat{\mathfrak R}_S(l_{\mathcal F_J})
        + 3\sqrt{\frac{\log(2/\delta) + P_J}{2n}} \;[+\ \text{Monte-Carlo deviation}],

    where :math:`\mathcal F_J` is the class of the grid point :math:`J` of the model (linear models: the
    scale :math:`\rho = \|w\|_p/\gamma` rounded up; networks: each norm rounded up and the margin
    :math:`\gamma` down, on ``grid``), :math:`\hat R^{\gamma_J}_{n,\epsilon}` the
    empirical ramp risk at margin :math:`\gamma_J` under the exact attack of radius :math:`\epsilon`
    (:math:`\epsilon = 0`: natural), and :math:`P_J` the log price of the grid point
    (:ref:`theory-post-hoc`). The terms ``"confidence"`` and ``"post-hoc price"`` split the last term.

    **Linear models** (``W`` of shape ``(d,)``, labels :math:`\pm 1`, or ``(K, d)``, labels
    ``0..K-1``; a LinearModel, a pair ``(W, b)`` or a bare ``W``): the ramp loss and the complexity
    depend on the weights and the margin only through the scale :math:`\rho = \|w\|_p/\gamma`
    (:math:`\max_k \|w_k\|_p/\gamma` for :math:`K` classes), so ONE grid over :math:`\rho` pays for
    both: :math:`\rho` is rounded up to :math:`\rho_J` and the bound is evaluated at the model's radius
    with the margin :math:`\|w\|_p/\rho_J \le \gamma` (the class of the :math:`\ell_p` ball at scale
    :math:`\rho_J` contains the model). A non-zero
    bias is folded in as a constant feature 1 that the attack may also move (a stronger adversary, so
    the bound still holds for the real one). Binary: the complexity is the exact (or Monte-Carlo)
    adversarial Rademacher complexity of the class (``complexity="closed-form"``: its sharp closed-form
    upper bound, also used when the attack/norm pair has no exact form); multi-class: the paper's
    adversarial (or natural) margin bound on the loss class (:func:`multiclass_adversarial_bound`).

    **Networks** (:class:`radbound.networks.Network`), ``bound`` one of ``"spectral"``,
    ``"golowich"``, ``"neyshabur"``: natural risk (``eps=0``) with the empirical ramp risk of the
    network's own margins. Adversarial risk (``eps > 0``), for any depth and without an attack: every
    network of the grid class :math:`\mathcal F_J` has a margin map that is :math:`L_J`-Lipschitz
    (spectral: :math:`\ell_2`, :math:`L_J = c_K\,\rho\prod_h s_h^J` with :math:`c_1 = 1`,
    :math:`c_K = \sqrt 2`; Golowich: the same with the Frobenius norms, :math:`c_K = 2` with the
    largest row norm of the last layer; Neyshabur: :math:`\ell_\infty`, :math:`L_J = c_K
    \rho_\infty\prod_h a_h^J`, :math:`c_K = 2`), so its adversarial margin is at least
    :math:`\mathcal M(f(x), y) - \tau_J`, :math:`\tau_J = L_J\,\epsilon\, D` with
    :math:`D = \max(1, d^{1/s - 1/r})` the size of an :math:`\ell_r` perturbation in the norm
    :math:`s` of :math:`L_J`. The adversarial 0-1 loss is then at most
    :math:`\phi_{\gamma_J}(\mathcal M - \tau_J)`, a loss class with the complexity of the natural
    margin class (contraction; :ref:`theory-lipschitz-adversarial`):

    .. math::
        R_\epsilon(f) \le \frac1n\sum_i \phi_{\gamma_J}\big(\mathcal M(f(x_i), y_i) - \tau_J\big)
        + 2\,\hat{\mathfrak R}_S(l_{\mathcal F_J}) + 3\sqrt{\frac{\log(2/\delta) + P_J}{2n}} .

    The empirical term is named ``"empirical risk (Lipschitz-certified)"``; the spectral class uses the
    certified upper spectral norms (so that it provably contains the network). Status ``"derived"``
    (``"unverified"`` with the Golowich and Neyshabur constants). ``bound="surrogate"``: Yin et al.'s
    SDP surrogate bound for a one-hidden-layer network (:func:`surrogate_margin_bound`).

    Parameters
    ----------
    model : LinearModel, (W, b), array or Network
    X : array, shape (n, d)
        The training sample the model was fitted on.
    y : array, shape (n,)
    margin : float or "auto"
        :math:`\gamma > 0` of the ramp loss (lowered to the grid, see above). ``"auto"`` (with
        ``posthoc=True``) returns the smallest bound over the grid margins between
        :math:`2^{-10} m_{\max}` and :math:`m_{\max}`, :math:`m_{\max}` the largest absolute natural
        margin of the model on the sample: the union bound already covers every grid point, so the
        choice costs nothing more than each grid point's own price.
    eps : float, default 0
        Attack radius (0: natural risk).
    attack_norm : float, default inf
    p : float, default 2
        Linear models: the norm of the weight class (the radius is the model's own :math:`\ell_p` norm).
    delta : float, default 0.05
    complexity : {"auto", "exact", "monte-carlo", "closed-form"} or MulticlassEstimate
        Linear models: how the Rademacher complexity is obtained. A multi-class model also accepts a
        precomputed :class:`radbound.MulticlassEstimate` of the same sample (with a non-zero bias: of
        the sample with a column of ones appended), at any radius: the bound rescales it.
    bound : {"spectral", "golowich", "neyshabur", "surrogate"}
        Networks: which complexity bound.
    n_draws, seed
        Monte-Carlo options.
    posthoc : bool, default True
        ``False``: the fixed-class bound at the model's own values, with a
        :class:`~radbound.bounds.PosthocWarning` (not valid for a model trained on this sample).
    grid : Grid, optional
        Default :data:`~radbound.bounds.DEFAULT_GRID`.

    Returns
    -------
    Bound
        A generalization bound; ``posthoc`` lists the grid points paid for.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML (adversarial margin bounds for linear classes); Bartlett,
    Foster & Telgarsky (2017), NeurIPS (the union bound over a grid of classes; the spectral class);
    derived for radbound: :ref:`theory-post-hoc`, :ref:`theory-lipschitz-adversarial` (networks,
    ``eps > 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.bounds import model_generalization
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = np.where(X[:, 0] > 0, 1.0, -1.0)
    >>> b = model_generalization(np.array([2.0, 0.0, 0.0]), X, y, margin=0.5, eps=0.05)
    >>> [pt.name for pt in b.posthoc.points], "post-hoc price" in b.terms
    (['scale'], True)

    A network under an :math:`\ell_\infty` attack, without any attack computed:

    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([rng.normal(size=(8, 3)), rng.normal(size=(1, 8))])
    >>> nb = model_generalization(net, X, y, margin=1.0, eps=0.01)
    >>> nb.name, "empirical risk (Lipschitz-certified)" in nb.terms
    ('generalization-adversarial-certified', True)
    """
    posthoc = check_bool(posthoc, "posthoc")
    check_choice(bound, "bound", _NETWORK_BOUNDS)
    if isinstance(margin, str):
        check_choice(margin, "margin", ("auto",))
        if not posthoc:
            raise ValueError("margin='auto' chooses the margin from the sample: it needs posthoc=True")
    else:
        margin = check_positive(margin, "margin")
    eps = check_nonnegative(eps, "eps")
    r = check_exponent(attack_norm, "attack_norm")
    delta = check_probability(delta, "delta")
    grid = check_grid(grid)
    if isinstance(model, Network):
        return _network(
            model, X, y, margin=margin, eps=eps, r=r, delta=delta, bound=bound, posthoc=posthoc, grid=grid
        )
    p = check_exponent(p, "p")
    if isinstance(complexity, str):
        check_choice(complexity, "complexity", _LINEAR_COMPLEXITY)
    elif not (isinstance(complexity, MulticlassEstimate) and np.ndim(getattr(model, "W", model)) != 1):
        raise TypeError(
            "complexity must be one of "
            f"{list(_LINEAR_COMPLEXITY)}, or a MulticlassEstimate for a multi-class model, got {complexity!r}"
        )
    return _linear(
        model,
        X,
        y,
        margin=margin,
        eps=eps,
        r=r,
        p=p,
        delta=delta,
        complexity=complexity,
        n_draws=n_draws,
        seed=seed,
        posthoc=posthoc,
        grid=grid,
    )


def _candidate_margins(margin: Any, natural_margins: np.ndarray, grid: Grid, posthoc: bool) -> list[float]:
    """The margins to try: the given one, or (``"auto"``) the grid points in [2^-10 m_max, m_max]."""
    if margin != "auto":
        return [grid.down("gamma", margin).grid_value if posthoc else float(margin)]
    m_max = float(np.abs(natural_margins).max())
    if not m_max > 0:
        raise ValueError("margin='auto' needs a model with a non-zero margin on some sample")
    hi = grid.down("gamma", m_max)
    lo = grid.up("gamma", m_max * 2.0**-10)
    return [grid.point(j) for j in range(lo.index, hi.index + 1)]


def _candidate_scales(
    margin: Any, w_norm: float, natural_margins: np.ndarray, grid: Grid, posthoc: bool
) -> list[tuple[float, Any]]:
    """(margin used, grid point of the scale rho = ||w|| / gamma) pairs to evaluate.

    The ramp loss and the complexity of a linear class depend on (w, gamma) only through w / gamma, so
    one grid over the scale rho covers both: rho is rounded UP (the class of scale rho_j contains the
    model) and the margin used is ||w|| / rho_j <= gamma. ``"auto"``: every grid scale from
    ||w|| / m_max to 1024 ||w|| / m_max."""
    if not posthoc:
        return [(float(margin), None)]
    if w_norm == 0.0:  # the zero model: nothing is data-dependent but the (irrelevant) margin
        pt = grid.up("scale", 0.0)
        return [(1.0 if margin == "auto" else float(margin), pt)]
    if margin != "auto":
        scale = w_norm / margin
        if not math.isfinite(scale):
            raise OverflowError(
                f"margin={margin!r} too small for a model of norm {w_norm:.3g}: the scale ||w|| / margin "
                "exceeds the float range"
            )
        pt = grid.up("scale", scale)
        return [(w_norm / pt.grid_value, pt)]
    m_max = float(np.abs(natural_margins).max())
    if not m_max > 0:
        raise ValueError("margin='auto' needs a model with a non-zero margin on some sample")
    lo, hi = grid.up("scale", w_norm / m_max), grid.up("scale", 1024.0 * w_norm / m_max)
    out = []
    for j in range(lo.index, hi.index + 1):
        pt = grid.up("scale", grid.point(j))
        out.append((w_norm / pt.grid_value, pt))
    return out


def _best(bounds: list[Bound], auto: bool) -> Bound:
    best = min(bounds, key=lambda bd: bd.value)
    if not auto:
        return best
    from dataclasses import replace

    return replace(best, notes=best.notes + f" Margin chosen as the best of {len(bounds)} grid margins.")


def _linear(model, X, y, *, margin, eps, r, p, delta, complexity, n_draws, seed, posthoc, grid) -> Bound:
    from ..attacks import adversarial_margins, ramp_risk
    from ..complexity import adversarial_linear_rademacher, multiclass_rademacher
    from .generalization import _generalization
    from .linear import adversarial_linear_upper_bound
    from .multiclass import multiclass_adversarial_bound, multiclass_natural_bound

    W, b = _linear_parts(model)
    X = check_matrix(X.detach().cpu().numpy() if is_torch_tensor(X) else X, "X", allow_torch=False)
    n, d = X.shape
    if W.shape[-1] != d:
        raise ValueError(f"the model's W has {W.shape[-1]} columns but X has d={d}")
    binary = W.ndim == 1
    if binary:
        y = check_binary_labels(y, n, "y")
    else:
        y, K = check_multiclass_labels(y, n, W.shape[0], "y", limit_to_n=False)
    has_bias = bool(np.any(np.asarray(b) != 0))
    if has_bias:  # fold the bias into a constant feature (the attack may move it: a stronger adversary)
        X = np.hstack([X, np.ones((n, 1))])
        W = np.append(W, b) if binary else np.hstack([W, np.asarray(b)[:, None]])
    w_norm = float(norm(W, p)) if binary else float(norm(W, p).max())
    if w_norm == 0.0:
        raise ValueError(
            "model: the weights and bias are all zero, so every margin is 0 and the ramp risk is 1 at any "
            "margin: there is nothing to bound"
        )
    radius = w_norm
    scales = _candidate_scales(margin, w_norm, adversarial_margins(W, None, X, y, eps=0.0), grid, posthoc)
    adversarial = eps > 0
    risk = "adversarial" if adversarial else "natural"
    notes = [
        f"linear model, ||w||_p = {w_norm:.6g} (p = {p:g})"
        + (", bias folded in as a constant feature the attack may move" if has_bias else "")
    ]
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one warning below, for the whole call
        if binary:
            comp: Any = None
            if complexity != "closed-form":
                try:
                    comp = adversarial_linear_rademacher(
                        X,
                        y,
                        eps=eps,
                        p=p,
                        radius=radius,
                        attack_norm=r,
                        method=complexity,
                        n_draws=n_draws,
                        seed=seed,
                    )
                    notes.append(
                        "complexity: the exact adversarial Rademacher complexity of the class"
                        + ("" if comp.is_exact else " (Monte Carlo, with its deviation term)")
                    )
                except NotImplementedError:
                    if complexity != "auto":
                        raise
            if comp is None:
                comp = adversarial_linear_upper_bound(
                    X, eps=eps, p=p, radius=radius, attack_norm=r, form="sharp", complexity="closed-form"
                )
                notes.append("complexity: the sharp closed-form upper bound")
            for gamma, pt in scales:
                R_n = ramp_risk(W, None, X, y, margin=gamma, eps=eps, attack_norm=r)
                results.append(
                    _generalization(
                        R_n,
                        comp,
                        n,
                        loss_range=1.0,
                        delta=delta,
                        margin=gamma,
                        risk=risk,
                        mc_range=None,
                        posthoc=posthoc,
                        grid=grid,
                        extra_price=grid.price([pt]) if pt is not None else None,
                        extra_notes="; ".join(notes),
                        stratify_margin=False,
                    )
                )
        else:
            if complexity == "closed-form":
                raise ValueError(
                    "complexity='closed-form' is not available for multi-class models; use 'auto'"
                )
            if isinstance(complexity, str):
                est = multiclass_rademacher(
                    X, y, p=p, radius=radius, n_classes=K, method=complexity, n_draws=n_draws, seed=seed
                )
            else:  # a MulticlassEstimate of this (bias-folded) sample: the bounds rescale it to the radius
                est = complexity
            for gamma, pt in scales:
                if adversarial:
                    comp = multiclass_adversarial_bound(
                        X,
                        y,
                        margin=gamma,
                        eps=eps,
                        p=p,
                        radius=radius,
                        attack_norm=r,
                        n_classes=K,
                        complexity=est,
                    )
                else:
                    comp = multiclass_natural_bound(
                        X, y, margin=gamma, p=p, radius=radius, n_classes=K, complexity=est
                    )
                R_n = ramp_risk(W, None, X, y, margin=gamma, eps=eps, attack_norm=r)
                price = grid.price([pt]) if pt is not None else None
                results.append(
                    _generalization(
                        R_n,
                        comp,
                        n,
                        loss_range=1.0,
                        delta=delta,
                        margin=None,
                        risk=risk,
                        mc_range=None,
                        posthoc=posthoc,
                        grid=grid,
                        extra_price=price,
                        extra_notes="; ".join(notes),
                    )
                )
    if not posthoc:
        warn_fixed_class("the radius and the margin")
    return _best(results, margin == "auto")


def _network(net, X, y, *, margin, eps, r, delta, bound, posthoc, grid) -> Bound:
    from ..networks.norms import network_norms
    from .generalization import LipschitzShiftedRisk, _generalization
    from .network import _data, golowich_bound, neyshabur_bound, spectral_bound, surrogate_margin_bound

    check_choice(bound, "bound", _NETWORK_BOUNDS)
    if bound == "surrogate":
        if not math.isinf(r):
            raise ValueError(f"bound='surrogate' is for the l_inf attack, got attack_norm={r!r}")
        if margin == "auto":
            raise ValueError(
                "margin='auto' is not available with bound='surrogate' (one SDP solve per margin)"
            )
        return surrogate_margin_bound(
            net, X, y, eps=eps, margin=margin, delta=delta, posthoc=posthoc, grid=grid
        )
    X = _data(net, X)
    n = X.shape[0]
    out = net.forward(X)
    if net.output_dim == 1:
        yb = check_binary_labels(y, n, "y")
        margins = yb * out.reshape(-1)
    else:
        yk, _ = check_multiclass_labels(y, n, net.output_dim, "y", limit_to_n=False)
        rows = np.arange(n)
        other = out.copy()
        other[rows, yk] = -np.inf
        margins = out[rows, yk] - other.max(axis=1)
    fn = {"spectral": spectral_bound, "golowich": golowich_bound, "neyshabur": neyshabur_bound}[bound]
    norms = network_norms(net)
    adversarial = eps > 0
    # eps > 0: the class must provably contain the network, so the spectral norms are the certified
    # upper values (the class's Lipschitz constant then bounds the network's)
    options: dict[str, Any] = {"rigorous": True} if adversarial and bound == "spectral" else {}
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for gamma in _candidate_margins(margin, margins, grid, posthoc):
            comp = fn(net, X, margin=gamma, posthoc=posthoc, grid=grid, norms=norms, **options)
            empirical: Any
            if adversarial:
                lip = comp.loss_class.lipschitz if comp.loss_class is not None else None
                if lip is None:  # pragma: no cover - every network bound records its class constant
                    raise RuntimeError(f"the {bound} bound did not record its margin Lipschitz constant")
                tau = lip.shift(eps, r)
                g = float(comp.inputs["gamma"])
                empirical = LipschitzShiftedRisk(
                    float(np.mean(ramp(margins - tau, g))), g, n, eps, r, tau, lip
                )
                note = (
                    f"network, {bound} bound; adversarial risk without an attack: the network's own margins "
                    f"shifted by the class's Lipschitz shift tau = {tau:.6g}"
                )
            else:
                empirical = float(np.mean(ramp(margins, gamma)))
                note = f"network, {bound} bound; empirical ramp risk from the network's own margins"
            results.append(
                _generalization(
                    empirical,
                    comp,
                    n,
                    loss_range=1.0,
                    delta=delta,
                    margin=None,
                    risk="adversarial" if adversarial else "natural",
                    mc_range=None,
                    posthoc=posthoc,
                    grid=grid,
                    extra_price=None,
                    extra_notes=note,
                )
            )
    if not posthoc:
        warn_fixed_class("the layer norms and the margin")
    return _best(results, margin == "auto")
