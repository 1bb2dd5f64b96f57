"""Paper figure: l1 regularisation and the adversarial generalisation gap of a convolutional network.

Yin, Ramchandran & Bartlett (2019), experiments on neural networks; protocol in docs/theory/experiments.md.
The paper's 4-layer network (conv 5x5/32 SAME, ReLU, 2x2 max-pool; conv 5x5/64 SAME, ReLU, 2x2
max-pool; FC 3136 -> 1024, ReLU; FC 1024 -> 10) is trained with PGD l_inf adversarial training
(eps = 0.05, 40 steps of 0.01, random start; Adam 1e-4, batch 50, 100,000 steps) and a penalty
lam * sum_h ||A_h||_1 on all weights (or the first kernel). Measured for each lam: PGD-adversarial
train and test accuracy and their difference (the adversarial generalisation gap), the natural
gap, and the norm-based bounds of radbound.networks (Bartlett et al. spectral, Golowich et al.,
Neyshabur et al., and the paper's adversarial lower bound) evaluated on the trained network and
``n_bound`` training images (margin ``margin``; (2,1) norms relative to the initial weights).

The FULL configuration is the paper's and is meant for a GPU (``device="auto"`` picks CUDA when
available; only CPU runs were exercised in this project). The lam grid is chosen here (the paper's
text does not record its values). The QUICK configuration shrinks the network (4 and 8
channels, 32 hidden units), the data and the number of steps so that it runs on a 2-core CPU in
well under a minute; it exercises the same code path but is not expected to show the paper's
finding (larger lam, smaller adversarial gap), which :func:`check` asserts only for runs of at
least 10,000 steps.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np

from radbound.studies.common.mnist import check_data, mnist_split, training_sample
from radbound.study import Study, claim


@dataclass(frozen=True)
class NetworkL1Config:
    """Protocol of the network figure (defaults: the paper's; ``lam`` chosen here)."""

    lam: tuple = (0.0, 1e-6, 1e-5, 1e-4)
    eps: float = 0.05
    penalty: str = "all"
    n_reps: int = 1
    n_train: int = 55_000
    test_size: int = 3000
    n_eval: int = 10_000
    n_bound: int = 1000
    n_steps: int = 100_000
    batch_size: int = 50
    lr: float = 1e-4
    pgd_steps: int = 40
    pgd_step_size: float = 0.01
    eval_pgd_steps: int = 40
    channels: tuple = (32, 64)
    hidden: int = 1024
    margin: float = 1.0
    device: str = "auto"
    torch_threads: int = 0
    data: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        lam = tuple(float(v) for v in self.lam)
        if not lam or any(not (math.isfinite(v) and v >= 0) for v in lam) or len(set(lam)) != len(lam):
            raise ValueError(
                f"lam must be a non-empty tuple of distinct finite values >= 0, got {self.lam!r}"
            )
        object.__setattr__(self, "lam", lam)
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        if len(self.channels) != 2 or min(self.channels) < 1:
            raise ValueError(f"channels must be two positive integers, got {self.channels!r}")
        for name in ("n_reps", "n_train", "test_size", "n_eval", "n_bound", "batch_size", "hidden"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        for name in ("n_steps", "pgd_steps", "eval_pgd_steps", "torch_threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        for name in ("eps", "pgd_step_size"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {getattr(self, name)!r}")
        for name in ("lr", "margin"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise ValueError(f"{name} must be finite and > 0, got {getattr(self, name)!r}")
        if self.penalty not in ("all", "first"):
            raise ValueError(f"penalty must be one of ['all', 'first'], got {self.penalty!r}")
        if self.batch_size > self.n_train:
            raise ValueError(f"batch_size must be <= n_train={self.n_train}, got {self.batch_size}")
        if self.n_bound > self.n_train:
            raise ValueError(f"n_bound must be <= n_train={self.n_train}, got {self.n_bound}")


QUICK = NetworkL1Config(
    lam=(0.0, 0.003),
    eps=0.1,
    n_train=200,
    n_eval=200,
    n_bound=200,
    n_steps=40,
    lr=1e-3,
    pgd_steps=3,
    pgd_step_size=0.04,
    eval_pgd_steps=3,
    channels=(4, 8),
    hidden=32,
    device="cpu",
    torch_threads=1,
)
FULL = NetworkL1Config()


def cells(cfg: NetworkL1Config) -> list[dict]:
    return [{"lam": lam, "rep": rep} for rep in range(cfg.n_reps) for lam in cfg.lam]


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


def compute_cell(cfg: NetworkL1Config, cell: dict, seed: int) -> list[dict]:
    from radbound.networks import network_bounds
    from radbound.train.network import fit_network, l1_penalty, network_accuracy

    pool, test, note = mnist_split(cfg.data, test_size=cfg.test_size, seed=cfg.seed)
    train = training_sample(pool, cfg.n_train, seed=cfg.seed, rep=cell["rep"])
    n_eval = min(cfg.n_eval, len(test))
    Xte, yte = test.X[:n_eval], test.y[:n_eval]
    seed = int(seed) % (2**31)
    with _threads(cfg.torch_threads):
        fit = fit_network(
            train.X,
            train.y,
            eps=cfg.eps,
            lam=cell["lam"],
            penalty=cfg.penalty,
            n_steps=cfg.n_steps,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            pgd_steps=cfg.pgd_steps,
            pgd_step_size=cfg.pgd_step_size,
            channels=cfg.channels,
            hidden=cfg.hidden,
            seed=seed,
            device=_device(cfg.device),
        )
        model = fit.model.eval()
        Xtr, ytr = train.X[: cfg.n_eval], train.y[: cfg.n_eval]
        acc = {}
        for split, (X, y) in {"train": (Xtr, ytr), "test": (Xte, yte)}.items():
            acc[f"nat_{split}_acc"] = network_accuracy(model, X, y, eps=0.0)
            acc[f"adv_{split}_acc"] = network_accuracy(
                model,
                X,
                y,
                eps=cfg.eps,
                pgd_steps=cfg.eval_pgd_steps,
                pgd_step_size=cfg.pgd_step_size,
                seed=seed,
            )
        l1_all = float(l1_penalty(model, "all").detach())
        l1_first = float(l1_penalty(model, "first").detach())
    net = fit.network(reference=True)
    bounds = network_bounds(net, train.X[: cfg.n_bound], eps=cfg.eps, margin=cfg.margin, seed=0)
    norms = bounds.norms
    return [
        {
            "lam": cell["lam"],
            "rep": cell["rep"],
            **acc,
            "adv_gap": acc["adv_train_acc"] - acc["adv_test_acc"],
            "nat_gap": acc["nat_train_acc"] - acc["nat_test_acc"],
            "l1_all": l1_all,
            "l1_first": l1_first,
            "prod_spectral": float(np.prod(norms.spectral)),
            "spectral_bound": bounds.spectral.value,
            "golowich_bound": bounds.golowich.value,
            "neyshabur_bound": bounds.neyshabur.value,
            "final_loss": float(fit.history["loss"][-1]) if len(fit.history["loss"]) else float("nan"),
            "data": note,
        }
    ]


def validate(cfg: NetworkL1Config) -> dict:
    return check_data(cfg.data, test_size=cfg.test_size, seed=cfg.seed, n_train=cfg.n_train)


def _mean_se(rows: list[dict], key: str, lams: tuple) -> tuple[np.ndarray, np.ndarray]:
    means, ses = [], []
    for lam in lams:
        vals = np.array([r[key] for r in rows if float(r["lam"]) == lam], dtype=float)
        means.append(vals.mean())
        ses.append(vals.std(ddof=1) / math.sqrt(len(vals)) if len(vals) > 1 else 0.0)
    return np.array(means), np.array(ses)


def plot(rows: list[dict], cfg: NetworkL1Config):
    import matplotlib.pyplot as plt

    lams = tuple(sorted({float(r["lam"]) for r in rows}))
    pos = np.arange(len(lams))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
    for key, label, color in (("adv_gap", "adversarial gap", "C3"), ("nat_gap", "natural gap", "C0")):
        m, se = _mean_se(rows, key, lams)
        ax1.errorbar(pos, m, yerr=se, marker="o", capsize=3, label=label, color=color)
    ax1.set_xticks(pos, [f"{lam:g}" for lam in lams])
    ax1.set_xlabel(
        r"$\lambda$ (penalty on $\sum_h \|A_h\|_1$" + (", first layer)" if cfg.penalty == "first" else ")")
    )
    ax1.set_ylabel("train accuracy - test accuracy")
    ax1.set_title(f"Generalisation gaps (PGD, eps = {cfg.eps:g})")
    ax1.axhline(0, color="grey", lw=0.5)
    ax1.legend()
    for key, label in (
        ("spectral_bound", "spectral (Bartlett et al.)"),
        ("golowich_bound", "Frobenius (Golowich et al.)"),
        ("neyshabur_bound", r"$\ell_{1,\infty}$ (Neyshabur et al.)"),
    ):
        m, _ = _mean_se(rows, key, lams)
        ax2.plot(pos, m, marker="o", label=label)
    ax2.set_yscale("log")
    ax2.set_xticks(pos, [f"{lam:g}" for lam in lams])
    ax2.set_xlabel(r"$\lambda$")
    ax2.set_ylabel(f"bound on the Rademacher complexity (margin {cfg.margin:g})")
    ax2.set_title("Norm-based bounds of the trained network")
    ax2.legend(fontsize=8)
    c1, c2 = cfg.channels
    fig.suptitle(
        "l1 regularisation and adversarial generalisation of a CNN (Yin, Ramchandran & Bartlett 2019)"
    )
    fig.text(
        0.01,
        0.01,
        f"Net conv5x5/{c1}-pool-conv5x5/{c2}-pool-FC{cfg.hidden}-FC10; PGD training "
        f"({cfg.pgd_steps} steps of {cfg.pgd_step_size:g}), Adam {cfg.lr:g}, batch {cfg.batch_size}, "
        f"{cfg.n_steps:,} steps, n = {cfg.n_train:,}; "
        f"{cfg.n_reps} rep(s). Data: {rows[0]['data']}.",
        fontsize=7,
        wrap=True,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return fig


def check(rows: list[dict], cfg: NetworkL1Config) -> None:
    """Every cell ran; accuracies in [0, 1]; bounds positive and finite; the penalty shrinks ||A||_1
    and the l1-based bound. With 10,000+ steps (the paper's scale) also: the largest lam gives a
    smaller adversarial gap than the smallest."""
    claim(
        len(rows) == len(cfg.lam) * cfg.n_reps, f"expected {len(cfg.lam) * cfg.n_reps} rows, got {len(rows)}"
    )
    for r in rows:
        for key in ("nat_train_acc", "nat_test_acc", "adv_train_acc", "adv_test_acc"):
            claim(0.0 <= float(r[key]) <= 1.0, f"{key} = {r[key]} not in [0, 1]")
        for key in ("spectral_bound", "golowich_bound", "neyshabur_bound"):
            claim(math.isfinite(float(r[key])) and float(r[key]) > 0, f"{key} = {r[key]} not finite and > 0")
        claim(float(r["adv_train_acc"]) <= float(r["nat_train_acc"]) + 0.05, "PGD raised the train accuracy")
    lams = tuple(sorted(cfg.lam))
    if len(lams) > 1 and cfg.n_steps > 0:
        l1, _ = _mean_se(rows, "l1_all" if cfg.penalty == "all" else "l1_first", lams)
        ney, _ = _mean_se(rows, "neyshabur_bound", lams)
        claim(
            l1[-1] < l1[0],
            f"l1 norm with lam={lams[-1]} ({l1[-1]:.4g}) not below lam={lams[0]} ({l1[0]:.4g})",
        )
        if cfg.penalty == "all":
            claim(ney[-1] < ney[0], f"l1,inf bound with lam={lams[-1]} not below lam={lams[0]}")
        if cfg.n_steps >= 10_000 and cfg.eps > 0:
            gap, _ = _mean_se(rows, "adv_gap", lams)
            claim(
                gap[-1] < gap[0],
                f"adversarial gap with lam={lams[-1]} ({gap[-1]:.4f}) not below lam=0 ({gap[0]:.4f})",
            )


STUDY = Study(
    name="network_l1",
    config=NetworkL1Config,
    quick=QUICK,
    full=FULL,
    cells=cells,
    compute_cell=compute_cell,
    plot=plot,
    check=check,
    validate=validate,
    requires=("torch",),
    description="Adversarial generalisation gap and norm-based bounds of an l1-regularised CNN vs lam.",
    data_note="Bundled 10,000 MNIST digits, seeded split into pool / 3,000 test (full MNIST with --data: "
    "55,000 of the 60,000 training images, 10,000 test images).",
)
