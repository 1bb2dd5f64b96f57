"""Paper figure: l1 regularisation and the adversarial generalisation gap of a convolutional network.

Yin, Ramchandran & Bartlett (2019), experiments on neural networks; protocol in
docs/theory/experiments.md. The paper's 4-layer network (conv 5x5/32 SAME, ReLU, 2x2 max-pool; conv
5x5/64 SAME, ReLU, 2x2 max-pool; FC 3136 -> 1024, ReLU; FC 1024 -> 10) is trained with PGD l_inf
adversarial training (eps = 0.05, 40 steps of 0.01, random start; Adam 1e-4, batch 50, 100,000
steps) and a penalty lam * sum_h ||A_h||_1 on all weights (or the first kernel).

Measured, for every eps (training radius = evaluation radius) and lam, over repetitions (each a
different training sample): robust training and test accuracy under a PGD attack STRONGER than the
training one (``eval_pgd_steps`` steps and ``eval_restarts`` random starts, the lowest margin kept,
against ``pgd_steps`` steps and one start in training; radbound.attacks.pgd) and their difference,
the adversarial generalisation gap; the robust training accuracy under the training attack itself
(``adv_train_acc_train_attack``); certified robust accuracies (radbound.certify.certified_margins,
interval bound propagation and CROWN) on the first ``n_certify`` training and test images, which
are LOWER bounds of the true robust accuracy where PGD gives an UPPER estimate; and the model's
complexity measures (columns ``m_*``, radbound.studies.common.measures), among them the network
bounds of radbound.networks (Bartlett et al. spectral, Golowich et al. Frobenius, Neyshabur et al.
l_{1,inf}) on the Rademacher complexity of the natural ramp loss at margin gamma, the 10th percentile
of the positive training margins, on ``n_bound`` training images ((2,1) norms relative to the
initial weights). The paper's adversarial lower bound is not computed: its theorem covers fully
connected ReLU networks with a scalar output, not this 10-class CNN (radbound.networks refuses it).

Configurations: ``FULL`` is the paper's protocol (meant for a GPU: ``device="auto"`` picks CUDA when
available; only CPU runs were exercised in this project) over an eps grid containing the paper's
0.05 and a lam grid chosen here (the paper's text does not record its values). ``MEDIUM`` runs on a
2-core CPU in under 40 minutes with two jobs: the same architecture with 8 and 16 channels and 128
hidden units, n = 1,000, 1,000 Adam steps of 1e-3, PGD-5 training, evaluated by PGD-20 with 3
restarts. ``QUICK`` is the CI smoke test (seconds; its figure is stamped "smoke test, not a
result").
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

import numpy as np

from radbound.studies.common.linear import check_grid, check_grid_of_choices
from radbound.studies.common.mnist import check_data, mnist_split, training_sample
from radbound.study import Study, claim

CERTIFY_METHODS = ("ibp", "crown")


@dataclass(frozen=True)
class NetworkL1Config:
    """Protocol of the network figure (defaults: the paper's training protocol; grids chosen here).

    PGD step sizes are relative to eps (``pgd_rel_step * eps`` per step): the paper's 40 steps of
    0.01 at eps = 0.05 are 0.2 eps.
    """

    lam: tuple = (0.0, 1e-6, 1e-5, 1e-4)
    eps: tuple = (0.0, 0.025, 0.05, 0.1)
    penalty: str = "all"
    n_reps: int = 1
    n_train: int = 55_000
    test_size: int = 3000
    n_eval: int = 10_000
    n_eval_train: int = 10_000
    n_bound: int = 1000
    n_certify: int = 1000
    certify: tuple = CERTIFY_METHODS
    n_steps: int = 100_000
    batch_size: int = 50
    lr: float = 1e-4
    pgd_steps: int = 40
    pgd_rel_step: float = 0.2
    eval_pgd_steps: int = 100
    eval_rel_step: float = 0.05
    eval_restarts: int = 3
    channels: tuple = (32, 64)
    hidden: int = 1024
    device: str = "auto"
    torch_threads: int = 0
    smoke_test: bool = False
    data: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "lam", check_grid(self.lam, "lam"))
        object.__setattr__(self, "eps", check_grid(self.eps, "eps"))
        certify = tuple(self.certify) if isinstance(self.certify, (tuple, list)) else self.certify
        if certify:  # an empty tuple: no certificates (e.g. where CROWN would be too slow)
            certify = check_grid_of_choices(certify, "certify", CERTIFY_METHODS)
        elif certify != ():
            raise ValueError(
                f"certify must be a tuple of {list(CERTIFY_METHODS)} (possibly empty), got {certify!r}"
            )
        object.__setattr__(self, "certify", certify)
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        if len(self.channels) != 2 or min(self.channels) < 1:
            raise ValueError(f"channels must be two positive integers, got {self.channels!r}")
        for name in ("n_reps", "n_train", "test_size", "n_eval", "n_eval_train", "n_bound", "n_certify"):
            _check_int(self, name, 1)
        for name in ("batch_size", "hidden", "eval_restarts"):
            _check_int(self, name, 1)
        for name in ("n_steps", "pgd_steps", "eval_pgd_steps", "torch_threads"):
            _check_int(self, name, 0)
        for name in ("lr", "pgd_rel_step", "eval_rel_step"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (math.isfinite(value) and value > 0)
            ):
                raise ValueError(f"{name} must be finite and > 0, got {value!r}")
        if self.penalty not in ("all", "first"):
            raise ValueError(f"penalty must be one of ['all', 'first'], got {self.penalty!r}")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not str(self.device).startswith("cuda:"):
            raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {self.device!r}")
        if not isinstance(self.smoke_test, bool):
            raise ValueError(f"smoke_test must be True or False, got {self.smoke_test!r}")
        if self.batch_size > self.n_train:
            raise ValueError(f"batch_size must be <= n_train={self.n_train}, got {self.batch_size}")
        for name in ("n_bound", "n_eval_train"):
            if getattr(self, name) > self.n_train:
                raise ValueError(f"{name} must be <= n_train={self.n_train}, got {getattr(self, name)}")


def _check_int(cfg: NetworkL1Config, name: str, minimum: int) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


QUICK = NetworkL1Config(
    lam=(0.0, 0.003),
    eps=(0.0, 0.1),
    n_train=200,
    n_eval=200,
    n_eval_train=200,
    n_bound=200,
    n_certify=50,
    n_steps=40,
    lr=1e-3,
    pgd_steps=3,
    pgd_rel_step=0.4,
    eval_pgd_steps=5,
    eval_rel_step=0.25,
    eval_restarts=2,
    channels=(4, 8),
    hidden=32,
    device="cpu",
    torch_threads=1,
    smoke_test=True,
)
MEDIUM = NetworkL1Config(
    lam=(0.0, 1e-4, 2e-4),
    eps=(0.0, 0.05, 0.1, 0.15),
    n_reps=3,
    n_train=1000,
    n_eval=1000,
    n_eval_train=1000,
    n_bound=1000,
    n_certify=300,
    n_steps=1000,
    lr=1e-3,
    pgd_steps=5,
    pgd_rel_step=0.5,
    eval_pgd_steps=20,
    eval_rel_step=0.125,
    eval_restarts=3,
    channels=(8, 16),
    hidden=128,
    device="cpu",
    torch_threads=1,
)
FULL = NetworkL1Config()


def cells(cfg: NetworkL1Config) -> list[dict]:
    return [
        {"lam": lam, "eps": eps, "rep": rep}
        for rep in range(cfg.n_reps)
        for lam in cfg.lam
        for eps in cfg.eps
    ]


@contextlib.contextmanager
def _threads(n: int):
    import torch

    old = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


class _Clock:
    """Wall and CPU seconds of the blocks of a cell (``with clock("fit"): ...``)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.times[f"{name}_time_s"] = round(time.perf_counter() - wall, 3)
            self.times[f"{name}_cpu_s"] = round(time.process_time() - cpu, 3)


def compute_cell(cfg: NetworkL1Config, cell: dict, seed: int) -> list[dict]:
    from radbound.studies.common.measures import network_measures
    from radbound.train.network import fit_network, l1_penalty, network_margins

    pool, test, note = mnist_split(cfg.data, test_size=cfg.test_size, seed=cfg.seed)
    train = training_sample(pool, cfg.n_train, seed=cfg.seed, rep=cell["rep"])
    n_te, n_tr = min(cfg.n_eval, len(test)), cfg.n_eval_train
    splits = {"train": (train.X[:n_tr], train.y[:n_tr]), "test": (test.X[:n_te], test.y[:n_te])}
    eps, seed = float(cell["eps"]), int(seed) % (2**31)
    clock = _Clock()
    row: dict = {"lam": cell["lam"], "eps": eps, "rep": cell["rep"]}
    with _threads(cfg.torch_threads):
        with clock("fit"):
            fit = fit_network(
                train.X,
                train.y,
                eps=eps,
                lam=cell["lam"],
                penalty=cfg.penalty,
                n_steps=cfg.n_steps,
                batch_size=cfg.batch_size,
                lr=cfg.lr,
                pgd_steps=cfg.pgd_steps,
                pgd_step_size=max(cfg.pgd_rel_step * eps, 1e-12),
                channels=cfg.channels,
                hidden=cfg.hidden,
                seed=seed,
                device=_device(cfg.device),
            )
        model = fit.model.eval()
        margins = {}
        with clock("eval"):
            for split, (X, y) in splits.items():
                nat = network_margins(model, X, y)
                strong = network_margins(
                    model,
                    X,
                    y,
                    eps=eps,
                    pgd_steps=cfg.eval_pgd_steps,
                    pgd_step_size=max(cfg.eval_rel_step * eps, 1e-12),
                    restarts=cfg.eval_restarts,
                    seed=seed + 1,
                )
                margins[split] = (nat, strong)
                row[f"nat_{split}_acc"] = float(np.mean(nat > 0))
                row[f"adv_{split}_acc"] = float(np.mean(strong > 0))
            weak = network_margins(
                model,
                *splits["train"],
                eps=eps,
                pgd_steps=cfg.pgd_steps,
                pgd_step_size=max(cfg.pgd_rel_step * eps, 1e-12),
                seed=seed + 2,
            )
            row["adv_train_acc_train_attack"] = float(np.mean(weak > 0))
        row["gap"] = row["adv_train_acc"] - row["adv_test_acc"]
        row["nat_gap"] = row["nat_train_acc"] - row["nat_test_acc"]
        row["l1_all"] = float(l1_penalty(model, "all").detach())
        row["l1_first"] = float(l1_penalty(model, "first").detach())
    net = fit.network(reference=True)
    with clock("certify"):
        row.update(_certified(net, splits, eps, cfg, margins))
    with clock("measures"):
        row.update(
            network_measures(
                net,
                train.X,
                margins=margins["train"][0],
                margins_adv=margins["train"][1],
                eps=eps,
                n_bound=cfg.n_bound,
            )
        )
    row["final_loss"] = float(fit.history["loss"][-1]) if len(fit.history["loss"]) else math.nan
    row.update(clock.times)
    row["data"] = note
    return [row]


def _certified(net, splits: dict, eps: float, cfg: NetworkL1Config, margins: dict) -> dict:
    """Certified robust accuracy (fraction of certified margins > 0) per method and split."""
    out = {}
    for split, (X, y) in splits.items():
        k = min(cfg.n_certify, len(y))
        for method in cfg.certify:
            if eps == 0.0:  # nothing to certify: the natural margins
                value = float(np.mean(margins[split][0][:k] > 0))
            else:
                from radbound.certify import certified_margins

                value = float(np.mean(certified_margins(net, X[:k], y[:k], eps=eps, method=method) > 0))
            out[f"cert_{method}_{split}_acc"] = value
        out[f"adv_{split}_acc_certified_subset"] = float(np.mean(margins[split][1][:k] > 0))
    return out


def validate(cfg: NetworkL1Config) -> dict:
    return check_data(cfg.data, test_size=cfg.test_size, seed=cfg.seed, n_train=cfg.n_train)


def _mean(rows: list[dict], col: str, **where) -> float:
    vals = [float(r[col]) for r in rows if all(r[k] == v for k, v in where.items())]
    return sum(vals) / len(vals) if vals else math.nan


def plot(rows: list[dict], cfg: NetworkL1Config):
    from matplotlib.lines import Line2D

    from radbound import plot as rplot

    fig, axes = rplot.subplots(2, 3, panel=(3.8, 3.1))
    lam_label = lambda lam: rf"$\lambda$ = {lam:g}"  # noqa: E731
    xlabel = r"$\epsilon$ ($\ell_\infty$ radius, train = test)"
    styles = lambda labels: [Line2D([], [], color="0.3", ls=ls, label=t) for ls, t in labels]  # noqa: E731
    with rplot.style():
        top = (
            ("gap", "adversarial gap (train − test robust acc.)"),
            ("adv_train_acc", "robust training accuracy (PGD)"),
            ("adv_test_acc", "robust test accuracy (PGD)"),
        )
        for ax, (col, ylabel) in zip(axes[:3], top):
            rplot.errorbar_curves(ax, rows, x="eps", y=col, group="lam", label=lam_label, cmap="viridis")
            ax.set_ylabel(ylabel)
        axes[0].legend(loc="upper left")
        rplot.errorbar_curves(
            axes[1],
            rows,
            x="eps",
            y="adv_train_acc_train_attack",
            group="lam",
            label=lam_label,
            cmap="viridis",
            ls="--",
            alpha=0.8,
        )
        axes[1].legend(
            handles=styles(
                [
                    ("-", f"evaluation: PGD-{cfg.eval_pgd_steps}, {cfg.eval_restarts} starts"),
                    ("--", f"training attack: PGD-{cfg.pgd_steps}, 1 start"),
                ]
            ),
            loc="lower left",
        )
        for ax, split in zip(axes[3:5], ("train", "test")):
            rplot.errorbar_curves(
                ax,
                rows,
                x="eps",
                y=f"adv_{split}_acc_certified_subset",
                group="lam",
                label=lam_label,
                cmap="viridis",
            )
            for method, ls in zip(cfg.certify, ("--", ":")):
                rplot.errorbar_curves(
                    ax,
                    rows,
                    x="eps",
                    y=f"cert_{method}_{split}_acc",
                    group="lam",
                    label=lam_label,
                    cmap="viridis",
                    ls=ls,
                )
            ax.set_ylabel(f"robust {split} accuracy, first {cfg.n_certify:,} images")
            ax.legend(
                handles=styles(
                    [("-", "PGD (upper estimate)")]
                    + [
                        (ls, f"certified, {m.upper()} (lower bound)")
                        for m, ls in zip(cfg.certify, ("--", ":"))
                    ]
                ),
                loc="lower left",
            )
        bounds = (("m_spectral_bound", "-", "spectral"), ("m_golowich_bound", "--", "Frobenius"),
                  ("m_neyshabur_bound", ":", r"$\ell_{1,\infty}$"))  # fmt: skip
        for col, ls, _ in bounds:
            rplot.errorbar_curves(
                axes[5], rows, x="eps", y=col, group="lam", label=lam_label, cmap="viridis", ls=ls
            )
        axes[5].set_yscale("log")
        axes[5].set_ylabel(r"bound on $\hat{\mathfrak{R}}_S$ (ramp loss, margin $\gamma$)")
        axes[5].legend(handles=styles([(ls, name) for _, ls, name in bounds]), loc="best")
        for ax in axes:
            ax.set_xlabel(xlabel)
        title = (
            r"$\ell_1$ regularisation and the adversarial generalisation gap of a CNN "
            "(Yin, Ramchandran & Bartlett 2019)"
        )
        fig.suptitle(("SMOKE TEST, NOT A RESULT: " if cfg.smoke_test else "") + title, fontsize=10)
        fig.tight_layout()
        if cfg.smoke_test:
            fig.text(
                0.5,
                0.5,
                "smoke test, not a result",
                transform=fig.transFigure,
                ha="center",
                va="center",
                rotation=20,
                fontsize=44,
                color="red",
                alpha=0.3,
            )
        rplot.caption(fig, _caption(rows, cfg), width=160)
    return fig


def _caption(rows: list[dict], cfg: NetworkL1Config) -> str:
    c1, c2 = cfg.channels
    reps = f"{cfg.n_reps} repetition{'s' if cfg.n_reps > 1 else ''}"
    penalty = r"$\lambda \sum_h \|A_h\|_1$" + (
        " (all weights)" if cfg.penalty == "all" else " (first kernel)"
    )
    text = (
        f"CNN conv5x5/{c1}-ReLU-maxpool2-conv5x5/{c2}-ReLU-maxpool2-FC{cfg.hidden}-ReLU-FC10 on MNIST, "
        rf"trained with PGD $\ell_\infty$ adversarial training (PGD-{cfg.pgd_steps}, step "
        rf"${cfg.pgd_rel_step:g}\epsilon$, random start) and penalty {penalty}; Adam {cfg.lr:g}, batch "
        f"{cfg.batch_size}, {cfg.n_steps:,} steps, n = {cfg.n_train:,}. Robust accuracies under a STRONGER "
        rf"attack than training: PGD-{cfg.eval_pgd_steps} (step ${cfg.eval_rel_step:g}\epsilon$) with "
        f"{cfg.eval_restarts} random starts, the lowest margin kept, no clipping; mean $\\pm$ s.e. over "
        f"{reps}; "
        f"{cfg.n_eval_train:,} training and {min(cfg.n_eval, cfg.test_size):,} test images. "
        f"Data: {rows[0]['data']}."
    )
    eps_pos = sorted(e for e in cfg.eps if e > 0)
    if eps_pos:
        drop = max(
            _mean(rows, "adv_train_acc_train_attack", eps=e) - _mean(rows, "adv_train_acc", eps=e)
            for e in eps_pos
        )
        text += (
            f"\nThe evaluation attack breaks up to {drop:.3f} more of the training set than the training "
            r"attack (mean over $\lambda$ and repetitions, per $\epsilon$)."
        )
        if cfg.certify:
            methods = ", ".join(m.upper() for m in cfg.certify)
            e1 = eps_pos[0]
            parts = [f"{m.upper()} {_mean(rows, f'cert_{m}_test_acc', eps=e1):.3f}" for m in cfg.certify]
            pgd = _mean(rows, "adv_test_acc_certified_subset", eps=e1)
            text += (
                f" Bottom: certified robust accuracy on the first {cfg.n_certify:,} images "
                f"(radbound.certify: {methods}; a certificate is a lower bound, PGD an upper estimate, of "
                rf"the true robust accuracy); at $\epsilon = {e1:g}$ (test, mean over $\lambda$): "
                f"PGD {pgd:.3f}, " + ", ".join(parts) + "."
            )
        else:
            text += " No certificates were computed (certify = ())."
    text += (
        r" Right: the network bounds of radbound.networks on the Rademacher complexity of the NATURAL "
        r"ramp loss at margin $\gamma$ = the 10th percentile of the positive training margins (on "
        f"{cfg.n_bound:,} training images; (2,1) norms relative to the initial weights), post-hoc: at the "
        r"trained network's norms rounded up and $\gamma$ rounded down to geometric grids (radbound.bounds, "
        "posthoc=True; the union-bound price enters the generalisation bound, not the complexity drawn). "
        "The paper's adversarial lower bound is not drawn: its theorem covers fully connected ReLU "
        "networks with a scalar output, not this 10-class CNN."
    )
    if not cfg.smoke_test and (cfg.channels, cfg.hidden) != (FULL.channels, FULL.hidden):
        text += (
            f"\nDiffers from the paper: {c1}/{c2} channels and {cfg.hidden} hidden units (paper "
            f"32/64, 1024); n = {cfg.n_train:,} of the bundled digits (paper 55,000 of the full MNIST); "
            f"{cfg.n_steps:,} Adam steps of {cfg.lr:g} (paper 100,000 of 1e-4); PGD-{cfg.pgd_steps} "
            r"training (paper PGD-40); a grid of $\epsilon$ (paper: 0.05)."
        )
    return text


def check(rows: list[dict], cfg: NetworkL1Config) -> None:
    """Always: every cell ran, accuracies in [0, 1], the penalty shrinks ||A||_1, and no certified
    accuracy exceeds the PGD accuracy on the same images (CROWN >= IBP). With 1,000+ steps and
    3+ repetitions (the medium and paper configurations) also the paper's claims: without penalty the
    adversarial gap at every eps > 0 exceeds the gap at eps = 0, and the largest lam gives a smaller
    gap than lam = 0 at every eps > 0."""
    claim(
        len(rows) == len(cfg.lam) * len(cfg.eps) * cfg.n_reps,
        f"expected {len(cfg.lam) * len(cfg.eps) * cfg.n_reps} rows, got {len(rows)}",
    )
    for r in rows:
        for key in ("nat_train_acc", "nat_test_acc", "adv_train_acc", "adv_test_acc"):
            claim(0.0 <= float(r[key]) <= 1.0, f"{key} = {r[key]} not in [0, 1]")
        for split in ("train", "test"):
            pgd = float(r[f"adv_{split}_acc_certified_subset"])
            for method in cfg.certify:
                cert = float(r[f"cert_{method}_{split}_acc"])
                claim(
                    cert <= pgd,
                    f"{method} certified {split} accuracy {cert} above the PGD accuracy {pgd}: {r}",
                )
            if set(CERTIFY_METHODS) <= set(cfg.certify):
                claim(
                    float(r[f"cert_crown_{split}_acc"]) >= float(r[f"cert_ibp_{split}_acc"]),
                    f"CROWN certified fewer {split} images than IBP: {r}",
                )
    lams = sorted(cfg.lam)
    if len(lams) > 1 and cfg.n_steps > 0:
        col = "l1_all" if cfg.penalty == "all" else "l1_first"
        l1_lo, l1_hi = _mean(rows, col, lam=lams[0]), _mean(rows, col, lam=lams[-1])
        claim(
            l1_hi < l1_lo, f"l1 norm with lam={lams[-1]} ({l1_hi:.4g}) not below lam={lams[0]} ({l1_lo:.4g})"
        )
    if cfg.n_steps >= 1000 and cfg.n_reps >= 3 and 0.0 in cfg.eps:
        g0 = _mean(rows, "gap", lam=lams[0], eps=0.0)
        for e in (e for e in cfg.eps if e > 0):
            g = _mean(rows, "gap", lam=lams[0], eps=e)
            claim(g > g0, f"lam={lams[0]}: gap at eps={e} ({g:.4f}) not above the gap at eps=0 ({g0:.4f})")
            if len(lams) > 1:
                g1 = _mean(rows, "gap", lam=lams[-1], eps=e)
                claim(
                    g1 < g, f"eps={e}: gap with lam={lams[-1]} ({g1:.4f}) not below lam={lams[0]} ({g:.4f})"
                )


STUDY = Study(
    name="network_l1",
    config=NetworkL1Config,
    quick=QUICK,
    full=FULL,
    presets={"medium": MEDIUM},
    cells=cells,
    compute_cell=compute_cell,
    plot=plot,
    check=check,
    validate=validate,
    requires=("torch",),
    description=(
        "Adversarial generalisation gap, PGD and certified robust accuracy and norm-based bounds of an "
        "l1-regularised CNN vs eps, one curve per lam (paper figure; MEDIUM: a 2-core CPU in < 40 min)."
    ),
    data_note="Bundled 10,000 MNIST digits, seeded split into pool / 3,000 test (full MNIST with --data: "
    "the 60,000 training images as pool, the 10,000 test images).",
)
