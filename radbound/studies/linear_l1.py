"""Paper figure: l1 regularisation shrinks the adversarial generalisation gap of linear classifiers.

Yin, Ramchandran & Bartlett (2019), experiments, Figure "linear classifiers, l1 regularisation";
protocol in docs/theory/experiments.md. A softmax linear model (W: 10 x 784, b) is trained by the
paper's protocol: plain SGD (lr 0.5, batch 100, 10,000 steps, W = b = 0 at start), every batch
replaced by its linear worst case under the l_inf attack of radius eps before the step, penalty
lam * ||W||_1. Measured: adversarial train and test accuracy under the exact l_inf attack (no
clipping) and their difference, the adversarial generalisation gap; eps in {0, 0.006, ..., 0.03},
lam in {0, 0.001, 0.002}, 10 repetitions with n = 1,000 training images. solver="fast" or
"cvxpy" replaces SGD by an exact convex fit (radbound.train.fit_linear).
"""

from __future__ import annotations

from dataclasses import dataclass

from radbound.studies.common.linear import (
    check_grid,
    check_protocol,
    fit_and_score,
    gap_at,
    plot_gap_panels,
)
from radbound.studies.common.mnist import check_data, mnist_split, training_sample
from radbound.study import Study, claim


@dataclass(frozen=True)
class LinearL1Config:
    """Grid and protocol of the l1 figure (defaults: the paper's)."""

    eps: tuple = (0.0, 0.006, 0.012, 0.018, 0.024, 0.03)
    lam: tuple = (0.0, 0.001, 0.002)
    n_reps: int = 10
    n_train: int = 1000
    solver: str = "sgd-attack"
    n_steps: int = 10_000
    lr: float = 0.5
    batch_size: int = 100
    rule: str = "paper"
    dtype: str = "float32"
    loss: str = "softmax"
    test_size: int = 3000
    data: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps", check_grid(self.eps, "eps"))
        object.__setattr__(self, "lam", check_grid(self.lam, "lam"))
        check_protocol(self)


QUICK = LinearL1Config(eps=(0.0, 0.03), lam=(0.0, 0.002), n_reps=1, n_train=300, n_steps=300)
DEMO = LinearL1Config(lam=(0.0, 0.002), n_reps=2, n_steps=3000)
FULL = LinearL1Config()


def cells(cfg: LinearL1Config) -> list[dict]:
    return [
        {"lam": lam, "eps": eps, "rep": rep}
        for rep in range(cfg.n_reps)
        for lam in cfg.lam
        for eps in cfg.eps
    ]


def compute_cell(cfg: LinearL1Config, cell: dict, seed: int) -> list[dict]:
    pool, test, note = mnist_split(cfg.data, test_size=cfg.test_size, seed=cfg.seed)
    train = training_sample(pool, cfg.n_train, seed=cfg.seed, rep=cell["rep"])
    row = fit_and_score(
        (train.X, train.y),
        (test.X, test.y),
        eps=cell["eps"],
        lam=cell["lam"],
        cfg=cfg,
        seed=seed,
        n_classes=pool.classes.size,
    )
    return [{**row, "data": note}]


def validate(cfg: LinearL1Config) -> dict:
    return check_data(cfg.data, test_size=cfg.test_size, seed=cfg.seed, n_train=cfg.n_train)


def plot(rows: list[dict], cfg: LinearL1Config):
    protocol = (
        f"SGD on batches replaced by their l_inf worst case ({cfg.n_steps:,} steps, lr {cfg.lr}, "
        f"batch {cfg.batch_size}, "
        f"{cfg.dtype}, target rule '{cfg.rule}')"
        if cfg.solver == "sgd-attack"
        else f"exact convex fit (solver '{cfg.solver}', loss '{cfg.loss}')"
    )
    text = (
        "Softmax linear classifier on MNIST (d = 784), trained against l_inf attacks of radius eps "
        "with penalty "
        f"lam ||W||_1 by {protocol}; robust accuracies under the exact l_inf attack, no clipping. "
        "Mean ± s.e. "
        f"over {cfg.n_reps} repetitions of n = {cfg.n_train:,} training images. Data: {rows[0]['data']}; "
        f"training sets drawn from the pool per repetition (seed {cfg.seed})."
    )
    return plot_gap_panels(
        rows,
        group="lam",
        label=lambda lam: rf"$\lambda$ = {lam:g}",
        title="l1 regularisation vs the adversarial generalisation gap (Yin, Ramchandran & Bartlett 2019)",
        caption_text=text,
        cmap="viridis",
    )


def check(rows: list[dict], cfg: LinearL1Config) -> None:
    """Without regularisation the gap grows with eps; with 5+ repetitions, the largest lam shrinks it
    at every eps > 0 (the paper's two claims). For lam > 0 the gap is nearly flat in eps here: no claim."""
    lo, hi = min(cfg.eps), max(cfg.eps)
    lam0 = min(cfg.lam)
    g_lo, g_hi = gap_at(rows, lam=lam0, eps=lo), gap_at(rows, lam=lam0, eps=hi)
    claim(g_hi > g_lo, f"lam={lam0}: gap at eps={hi} ({g_hi:.4f}) not above gap at eps={lo} ({g_lo:.4f})")
    if cfg.n_reps >= 5 and len(cfg.lam) > 1:
        for eps in (e for e in cfg.eps if e > 0):
            g0, g1 = gap_at(rows, lam=lam0, eps=eps), gap_at(rows, lam=max(cfg.lam), eps=eps)
            claim(
                g1 < g0, f"eps={eps}: gap with lam={max(cfg.lam)} ({g1:.4f}) not below lam={lam0} ({g0:.4f})"
            )


STUDY = Study(
    name="linear_l1",
    config=LinearL1Config,
    quick=QUICK,
    full=FULL,
    demo=DEMO,
    cells=cells,
    compute_cell=compute_cell,
    plot=plot,
    check=check,
    validate=validate,
    description="Adversarial generalisation gap of l1-regularised linear classifiers vs eps (paper figure).",
    data_note="Bundled 10,000 MNIST digits: seeded split 7,000 pool / 3,000 test (--data: full MNIST).",
)
