r"""Shared pieces of the linear-classifier figures: grid checks, train + score, the 3-panel figure.

The measured quantity (:doc:`/theory/experiments`) is the adversarial generalisation gap

.. math::
    \mathrm{gap} = \mathrm{acc}^{\mathrm{adv}}_{\mathrm{train}} - \mathrm{acc}^{\mathrm{adv}}_{\mathrm{test}},

the robust accuracies computed under the exact :math:`\ell_\infty` attack on the
linear model (:func:`radbound.attacks.linear_robust_accuracy`; no pixel clipping).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "SOLVERS",
    "DTYPES",
    "check_grid",
    "check_choice_field",
    "check_count",
    "check_grid_of_choices",
    "check_protocol",
    "fit_and_score",
    "plot_gap_panels",
    "gap_at",
]

SOLVERS = ("sgd-attack", "fast", "cvxpy")
DTYPES = ("float32", "float64")


def check_grid(values: Any, name: str, *, integer: bool = False, allowed: Sequence | None = None) -> tuple:
    """A grid field of a config, checked: a non-empty tuple of distinct finite values >= 0.

    Parameters
    ----------
    values : sequence of numbers
        The grid (e.g. the ``eps`` field of a config).
    name : str
        The field's name, for the error message.
    integer : bool
        Require integers (returned as ``int``); otherwise values are returned as ``float``.
    allowed : sequence, optional
        The only values accepted.

    Returns
    -------
    tuple
        The values, as ``float`` (or ``int``).

    Raises
    ------
    ValueError
        Naming the field, the rule and the value.

    Examples
    --------
    >>> check_grid([0, 0.01], "eps") == (0.0, 0.01)
    True
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of numbers, got {values!r}")
    out = []
    for v in values:
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        if not ok or not math.isfinite(float(v)) or float(v) < 0 or (integer and float(v) != int(v)):
            kind = "integers" if integer else "finite numbers"
            raise ValueError(f"{name} must hold {kind} >= 0, got {v!r} in {values!r}")
        if allowed is not None and v not in allowed:
            raise ValueError(f"{name} must hold values in {list(allowed)}, got {v!r}")
        out.append(int(v) if integer else float(v))
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must hold distinct values, got {values!r}")
    return tuple(out)


def check_choice_field(value: Any, name: str, choices: Sequence[str]) -> None:
    """ValueError (naming the field ``name``) unless ``value`` is one of ``choices``.

    Parameters
    ----------
    value : object
        The field's value.
    name : str
        The field's name.
    choices : sequence of str
        The accepted values.

    Examples
    --------
    >>> check_choice_field("fast", "solver", SOLVERS) is None
    True
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def check_grid_of_choices(values: Any, name: str, choices: Sequence[str]) -> tuple:
    """A grid field of strings, checked: a non-empty tuple of distinct entries of ``choices``.

    Parameters
    ----------
    values : sequence of str
        The field's value.
    name : str
        The field's name.
    choices : sequence of str
        The allowed entries.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> check_grid_of_choices(["paper", "exact"], "rules", ("paper", "exact"))
    ('paper', 'exact')
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of {list(choices)}, got {values!r}")
    for v in values:
        check_choice_field(v, name, choices)
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must hold distinct values, got {values!r}")
    return tuple(values)


def check_count(value: Any, name: str, minimum: int = 1) -> None:
    """ValueError (naming the field ``name``) unless ``value`` is an int >= ``minimum``.

    Parameters
    ----------
    value : object
        The field's value.
    name : str
        The field's name.
    minimum : int
        The smallest accepted value.

    Examples
    --------
    >>> check_count(3, "n_reps") is None
    True
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_protocol(cfg: Any, *, solvers: Sequence[str] = SOLVERS) -> None:
    """Validate the training-protocol fields shared by the linear studies' configs.

    The fields are those of the paper's SGD protocol (:doc:`/theory/experiments`): ``n_reps``, ``n_train``,
    ``n_steps`` (>= 0), ``batch_size`` (<= ``n_train``), ``test_size``, ``lr`` (> 0), ``solver``
    (one of ``solvers``), ``rule`` ("paper" or "exact"; a config with a tuple field ``rules`` has
    each of its entries checked instead) and ``dtype``; each error names the field.

    Parameters
    ----------
    cfg : config dataclass instance
        A config with the fields above.
    solvers : sequence of str
        The solvers the figure accepts.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> cfg = SimpleNamespace(n_reps=1, n_train=300, n_steps=300, batch_size=100, test_size=3000,
    ...                       lr=0.5, solver="sgd-attack", rule="paper", dtype="float32")
    >>> check_protocol(cfg) is None
    True
    """
    for name in ("n_reps", "n_train", "n_steps", "batch_size", "test_size"):
        check_count(getattr(cfg, name), name, minimum=0 if name == "n_steps" else 1)
    if cfg.batch_size > cfg.n_train:
        raise ValueError(f"batch_size must be <= n_train={cfg.n_train}, got {cfg.batch_size}")
    if not (isinstance(cfg.lr, (int, float)) and cfg.lr > 0):
        raise ValueError(f"lr must be > 0, got {cfg.lr!r}")
    check_choice_field(cfg.solver, "solver", solvers)
    rules = getattr(cfg, "rules", None)
    if rules is None:
        check_choice_field(cfg.rule, "rule", ("paper", "exact"))
    else:
        check_grid_of_choices(rules, "rules", ("paper", "exact"))
    check_choice_field(cfg.dtype, "dtype", DTYPES)


def fit_and_score(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    eps: float,
    lam: float,
    cfg: Any,
    seed: int,
    n_classes: int,
    rule: str | None = None,
    measures: bool = True,
) -> dict[str, Any]:
    r"""Train one multi-class linear model (``cfg.solver``) and measure its robust accuracies.

    The row's ``gap`` is :math:`\mathrm{acc}^{\mathrm{adv}}_{\mathrm{train}} -
    \mathrm{acc}^{\mathrm{adv}}_{\mathrm{test}}` under the exact :math:`\ell_\infty` attack of
    radius ``eps`` (:func:`radbound.attacks.adversarial_margins`, no pixel clipping).
    ``adv_train_acc_rule`` is the robust training accuracy under the attack the SGD protocol
    trained against (:func:`radbound.attacks.linear_worst_case` with the training ``rule``; the
    paper's rule leaves the bias out of the target choice, so its accuracy can exceed the exact
    one). With ``measures`` the row also holds every measure of
    :func:`radbound.studies.common.measures.linear_measures` (columns ``m_*``).

    Parameters
    ----------
    train, test : (X, y) pairs
        Training and test sets; labels are integers in ``[0, n_classes)``.
    eps : float
        Attack radius (training and evaluation).
    lam : float
        The l1 penalty weight.
    cfg : config dataclass instance
        Provides ``solver``, ``n_steps``, ``lr``, ``batch_size``, ``rule``, ``dtype``
        (sgd-attack) and ``loss`` (exact convex fits).
    seed : int
        Seed of the SGD batches.
    n_classes : int
        The number of classes K (the model has K rows; a class absent from a small training
        sample still gets its row).
    rule : {"paper", "exact"} or None
        The SGD protocol's target rule; None: ``cfg.rule``.
    measures : bool
        Add the measure columns.

    Returns
    -------
    dict
        The row's measurements: robust and natural accuracies, gaps, ``w_l1``, sizes, fit times.
    """
    from radbound.attacks import adversarial_margins, linear_worst_case

    X, y = train
    Xt, yt = test
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    for label, labels in (("train", y), ("test", yt)):
        labels = np.asarray(labels)
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(
                f"{label} labels must lie in [0, n_classes={n_classes}), got {labels.min()}..{labels.max()}"
            )
    rule = cfg.rule if rule is None else rule
    check_choice_field(rule, "rule", ("paper", "exact"))
    start, cpu = time.perf_counter(), time.process_time()
    if cfg.solver == "sgd-attack":
        from radbound.train.sgd import fit_sgd_attack

        model = fit_sgd_attack(
            X,
            y,
            eps=eps,
            lam=lam,
            lr=cfg.lr,
            batch_size=cfg.batch_size,
            n_steps=cfg.n_steps,
            rule=rule,
            seed=seed,
            dtype=np.dtype(cfg.dtype),
            n_classes=int(n_classes),
        )
    else:
        from radbound.train import fit_linear

        model = fit_linear(X, y, eps=eps, lam=lam, loss=cfg.loss, solver=cfg.solver, n_classes=int(n_classes))
    fit_time, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    W = np.asarray(model.W, dtype=np.float64)
    b = np.asarray(model.b, dtype=np.float64)
    margins_adv = adversarial_margins(W, b, X, y, eps=eps)
    margins = adversarial_margins(W, b, X, y, eps=0.0)
    adv_train = float(np.mean(margins_adv > 0))
    adv_test = float(np.mean(adversarial_margins(W, b, Xt, yt, eps=eps) > 0))
    nat_train = float(np.mean(np.argmax(X @ W.T + b, axis=1) == y))
    nat_test = float(np.mean(np.argmax(Xt @ W.T + b, axis=1) == yt))
    trained_against = rule if cfg.solver == "sgd-attack" else "exact"
    adv_train_rule = float(np.mean(linear_worst_case(W, b, X, y, eps=eps, rule=trained_against).margins > 0))
    row: dict[str, Any] = {
        "adv_train_acc": adv_train,
        "adv_train_acc_rule": adv_train_rule,
        "adv_test_acc": adv_test,
        "gap": adv_train - adv_test,
        "nat_train_acc": nat_train,
        "nat_test_acc": nat_test,
        "nat_gap": nat_train - nat_test,
        "w_l1": float(np.abs(W).sum()),
        "n_train": int(X.shape[0]),
        "n_test": int(Xt.shape[0]),
        "d": int(X.shape[1]),
        "fit_time_s": round(fit_time, 4),
        "fit_cpu_s": round(fit_cpu, 4),
    }
    if measures:
        from .measures import linear_measures

        row.update(
            linear_measures(
                W, b, X, y, eps=eps, margins=margins, margins_adv=margins_adv, n_classes=n_classes
            )
        )
    return row


def gap_at(rows: Sequence[dict], **where: Any) -> float:
    """Mean ``gap`` over the rows matching ``where`` (NaN when none).

    Parameters
    ----------
    rows : sequence of dict
        A figure's rows.
    **where
        Column values the rows must have (e.g. ``lam=0.0, eps=0.03``).

    Examples
    --------
    >>> rows = [{"eps": 0.0, "gap": 0.1}, {"eps": 0.0, "gap": 0.3}, {"eps": 0.1, "gap": 1.0}]
    >>> abs(gap_at(rows, eps=0.0) - 0.2) < 1e-15
    True
    """
    vals = [r["gap"] for r in rows if all(r[k] == v for k, v in where.items())]
    return float(np.mean(vals)) if vals else math.nan


def plot_gap_panels(
    rows: Sequence[dict],
    *,
    group: str,
    label: Any,
    title: str,
    caption_text: str,
    cmap: str = "viridis",
    panel_rows: str | None = None,
    row_title: Any = None,
    dashed: str | None = None,
    dashed_label: str = "",
) -> Any:
    """Three panels against eps, one curve per ``group`` value, mean ± s.e. over repetitions.

    The panels: the adversarial gap, the robust training accuracy, the robust test accuracy; with
    ``panel_rows``, one such row of panels per value of that column (e.g. the training rule).

    Parameters
    ----------
    rows : sequence of dict
        Rows with ``eps``, ``gap``, ``adv_train_acc``, ``adv_test_acc`` and the ``group`` column.
    group : str
        The column giving one curve per value (e.g. ``"lam"``).
    label : callable or str
        The legend label of a group value (a format string or a function).
    title, caption_text : str
        The figure's title and the caption under it.
    cmap : str
        The colormap of the curves.
    panel_rows : str or None
        A column whose values each get a row of panels (in order of first appearance; None: one row).
    row_title : callable or None
        The title of a row from its ``panel_rows`` value (put above its first panel).
    dashed : str or None
        A second robust-training-accuracy column drawn dashed in the same colours, in the rows
        where it differs from ``adv_train_acc`` (e.g. the accuracy under the training attack).
    dashed_label : str
        Its legend entry.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D

    from radbound import plot as rplot

    keys = [None] if panel_rows is None else list(dict.fromkeys(r[panel_rows] for r in rows))
    fig, axes = rplot.subplots(len(keys), 3, panel=(3.7, 3.1))
    axes = axes.reshape(len(keys), 3)
    panels = (
        ("gap", "adversarial gap (train − test robust acc.)"),
        ("adv_train_acc", "robust training accuracy"),
        ("adv_test_acc", "robust test accuracy"),
    )
    with rplot.style():
        for row_axes, key in zip(axes, keys):
            sub = list(rows) if key is None else [r for r in rows if r[panel_rows] == key]
            for ax, (col, ylabel) in zip(row_axes, panels):
                rplot.errorbar_curves(ax, sub, x="eps", y=col, group=group, label=label, cmap=cmap)
                ax.set_xlabel(r"$\epsilon$ ($\ell_\infty$ radius, train = test)")
                ax.set_ylabel(ylabel)
            row_axes[0].legend(loc="upper left")
            if dashed is not None and any(r.get(dashed) != r["adv_train_acc"] for r in sub):
                rplot.errorbar_curves(
                    row_axes[1],
                    sub,
                    x="eps",
                    y=dashed,
                    group=group,
                    label=label,
                    cmap=cmap,
                    ls="--",
                    alpha=0.8,
                )
                handles = [
                    Line2D([], [], color="0.3", ls="-", label="exact attack"),
                    Line2D([], [], color="0.3", ls="--", label=dashed_label),
                ]
                row_axes[1].legend(handles=handles, loc="lower left")
            if key is not None and row_title is not None:
                row_axes[0].set_title(row_title(key), loc="left", fontsize=9, fontweight="bold")
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        rplot.caption(fig, caption_text, width=150)
    return fig
