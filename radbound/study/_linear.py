r"""Shared pieces of the linear-classifier studies: grid checks, train + score, the 3-panel figure.

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
    "check_grid",
    "check_choice_field",
    "check_protocol",
    "fit_and_score",
    "plot_gap_panels",
    "gap_at",
]

SOLVERS = ("sgd-attack", "fast", "cvxpy")
DTYPES = ("float32", "float64")


def check_grid(values: Any, name: str, *, integer: bool = False, allowed: Sequence | None = None) -> tuple:
    """A non-empty tuple of distinct finite values >= 0 (ints when ``integer``), else ValueError."""
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
    """ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def check_count(value: Any, name: str, minimum: int = 1) -> None:
    """ValueError unless ``value`` is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_protocol(cfg: Any, *, solvers: Sequence[str] = SOLVERS) -> None:
    """Validate the training-protocol fields shared by the linear studies' configs.

    The fields are those of the paper's SGD protocol (:doc:`/theory/experiments`): ``n_reps``, ``n_train``,
    ``n_steps`` (>= 0), ``batch_size`` (<= ``n_train``), ``test_size``, ``lr`` (> 0), ``solver``
    (one of ``solvers``), ``rule`` ("paper" or "exact") and ``dtype``; each error names the field.
    """
    for name in ("n_reps", "n_train", "n_steps", "batch_size", "test_size"):
        check_count(getattr(cfg, name), name, minimum=0 if name == "n_steps" else 1)
    if cfg.batch_size > cfg.n_train:
        raise ValueError(f"batch_size must be <= n_train={cfg.n_train}, got {cfg.batch_size}")
    if not (isinstance(cfg.lr, (int, float)) and cfg.lr > 0):
        raise ValueError(f"lr must be > 0, got {cfg.lr!r}")
    check_choice_field(cfg.solver, "solver", solvers)
    check_choice_field(cfg.rule, "rule", ("paper", "exact"))
    check_choice_field(cfg.dtype, "dtype", DTYPES)


def fit_and_score(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    eps: float,
    lam: float,
    cfg: Any,
    seed: int,
) -> dict[str, Any]:
    """Train one multi-class linear model (``cfg.solver``) and measure its robust accuracies.

    ``cfg`` provides ``solver``, ``n_steps``, ``lr``, ``batch_size``, ``rule``, ``dtype``
    (sgd-attack) and ``loss`` (exact convex fits). Returns the row's measurements.
    """
    from radbound.attacks import linear_robust_accuracy

    X, y = train
    Xt, yt = test
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
            rule=cfg.rule,
            seed=seed,
            dtype=np.dtype(cfg.dtype),
            n_classes=10,
        )
    else:
        from radbound.train import fit_linear

        model = fit_linear(X, y, eps=eps, lam=lam, loss=cfg.loss, solver=cfg.solver)
    fit_time, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    W = np.asarray(model.W, dtype=np.float64)
    b = np.asarray(model.b, dtype=np.float64)
    adv_train = float(linear_robust_accuracy(W, b, X, y, eps=eps))
    adv_test = float(linear_robust_accuracy(W, b, Xt, yt, eps=eps))
    nat_train = float(np.mean(np.argmax(X @ W.T + b, axis=1) == y))
    nat_test = float(np.mean(np.argmax(Xt @ W.T + b, axis=1) == yt))
    return {
        "adv_train_acc": adv_train,
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


def gap_at(rows: Sequence[dict], **where: Any) -> float:
    """Mean gap over the rows matching ``where`` (NaN when none)."""
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
) -> Any:
    """Three panels against eps, one curve per ``group`` value, mean ± s.e. over repetitions:
    the adversarial gap, the adversarial training accuracy, the adversarial test accuracy."""
    from radbound import plot as rplot

    fig, axes = rplot.subplots(1, 3, panel=(3.7, 3.1))
    panels = (
        ("gap", "adversarial gap (train − test robust acc.)"),
        ("adv_train_acc", "robust training accuracy"),
        ("adv_test_acc", "robust test accuracy"),
    )
    with rplot.style():
        for ax, (col, ylabel) in zip(axes, panels):
            rplot.errorbar_curves(ax, rows, x="eps", y=col, group=group, label=label, cmap=cmap)
            ax.set_xlabel(r"$\epsilon$ ($\ell_\infty$ radius, train = test)")
            ax.set_ylabel(ylabel)
        axes[0].legend(loc="upper left")
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        rplot.caption(fig, caption_text, width=150)
    return fig
