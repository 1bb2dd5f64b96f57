"""Paper figure: the adversarial generalisation gap of linear classifiers grows with the dimension.

Yin, Ramchandran & Bartlett (2019), experiments, Figure "linear classifiers, dimension"; protocol in
docs/theory/experiments.md: the l1 figure's protocol with lam = 0 and the images rescaled to 14 x 14,
28 x 28 and 56 x 56 (d = 196, 784, 3136) by the l2-preserving rescaling
(:func:`radbound.data.rescale_images`: 2 x 2 blocks -> their l2 norm; a pixel -> a 2 x 2 block of
half its value), so that only d changes. The theory (adversarial Rademacher complexity ~ eps d^{1/q}
/ sqrt(n) for l_p-bounded weights) predicts a gap growing with d for eps > 0. Plotted beside the
gap: robust training and test accuracy, because at large d and eps robust training accuracy
itself falls (the model cannot fit the adversarial training set), which a gap-only plot hides.
"""

from __future__ import annotations

import functools
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

SIDES = (14, 28, 56)


@dataclass(frozen=True)
class LinearDimensionConfig:
    """Grid and protocol of the dimension figure (defaults: the paper's)."""

    side: tuple = SIDES
    eps: tuple = (0.0, 0.006, 0.012, 0.018, 0.024, 0.03)
    lam: float = 0.0
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
        object.__setattr__(self, "side", check_grid(self.side, "side", integer=True, allowed=SIDES))
        object.__setattr__(self, "eps", check_grid(self.eps, "eps"))
        check_grid((self.lam,), "lam")
        check_protocol(self)


QUICK = LinearDimensionConfig(eps=(0.0, 0.03), n_reps=1, n_train=300, n_steps=300)
DEMO = LinearDimensionConfig(eps=(0.0, 0.012, 0.024, 0.03), n_reps=2, n_steps=2000)
FULL = LinearDimensionConfig()


@functools.lru_cache(maxsize=3)
def _test_set(data, test_size, seed, side):
    from radbound.data import rescale_images

    _, test, _ = mnist_split(data, test_size=test_size, seed=seed)
    return rescale_images(test.X, side), test.y


def cells(cfg: LinearDimensionConfig) -> list[dict]:
    return [{"side": s, "eps": e, "rep": r} for r in range(cfg.n_reps) for s in cfg.side for e in cfg.eps]


def compute_cell(cfg: LinearDimensionConfig, cell: dict, seed: int) -> list[dict]:
    from radbound.data import rescale_images

    pool, _, note = mnist_split(cfg.data, test_size=cfg.test_size, seed=cfg.seed)
    train = training_sample(pool, cfg.n_train, seed=cfg.seed, rep=cell["rep"])
    Xt, yt = _test_set(cfg.data, cfg.test_size, cfg.seed, cell["side"])
    X = rescale_images(train.X, cell["side"])
    row = fit_and_score(
        (X, train.y), (Xt, yt), eps=cell["eps"], lam=cfg.lam, cfg=cfg, seed=seed, n_classes=pool.classes.size
    )
    return [{**row, "data": note}]


def validate(cfg: LinearDimensionConfig) -> dict:
    return check_data(cfg.data, test_size=cfg.test_size, seed=cfg.seed, n_train=cfg.n_train)


def plot(rows: list[dict], cfg: LinearDimensionConfig):
    protocol = (
        f"SGD on batches replaced by their l_inf worst case ({cfg.n_steps:,} steps, lr {cfg.lr}, batch "
        f"{cfg.batch_size}, {cfg.dtype})"
        if cfg.solver == "sgd-attack"
        else f"exact convex fit (solver '{cfg.solver}', loss '{cfg.loss}')"
    )
    text = (
        "Softmax linear classifier on MNIST rescaled to 14x14, 28x28, 56x56 (l2 norm of each image "
        "kept, so only "
        f"d changes), trained against l_inf attacks of radius eps (lam = {cfg.lam:g}) by {protocol}; robust "
        f"accuracies under the exact l_inf attack, no clipping. Mean ± s.e. over {cfg.n_reps} repetitions of "
        f"n = {cfg.n_train:,} training images. Data: {rows[0]['data']}; training sets drawn from "
        "the pool per "
        f"repetition (seed {cfg.seed}), the same images for every d."
    )
    return plot_gap_panels(
        rows,
        group="d",
        label=lambda d: f"d = {d}",
        title="Dimension and the adversarial generalisation gap (Yin, Ramchandran & Bartlett 2019)",
        caption_text=text,
        cmap="plasma",
    )


def check(rows: list[dict], cfg: LinearDimensionConfig) -> None:
    """At d = 196 and 784 the gap grows with eps; at the largest eps robust training accuracy falls with d."""
    lo, hi = min(cfg.eps), max(cfg.eps)
    ds = sorted({r["d"] for r in rows})
    for d in [d for d in ds if d <= 784]:
        g_lo, g_hi = gap_at(rows, d=d, eps=lo), gap_at(rows, d=d, eps=hi)
        claim(g_hi > g_lo, f"d={d}: gap at eps={hi} ({g_hi:.4f}) not above gap at eps={lo} ({g_lo:.4f})")
    if hi > 0 and len(ds) > 1:
        acc = [
            sum(r["adv_train_acc"] for r in rows if r["d"] == d and r["eps"] == hi) for d in (ds[0], ds[-1])
        ]
        claim(acc[1] < acc[0], f"eps={hi}: robust train accuracy at d={ds[-1]} not below d={ds[0]}")


STUDY = Study(
    name="linear_dimension",
    config=LinearDimensionConfig,
    quick=QUICK,
    full=FULL,
    demo=DEMO,
    cells=cells,
    compute_cell=compute_cell,
    plot=plot,
    check=check,
    validate=validate,
    description="Adversarial gap of linear classifiers vs eps for d = 196, 784, 3136 (paper figure).",
    data_note="Bundled MNIST digits: seeded split 7,000 pool / 3,000 test, rescaled (--data: full MNIST).",
)
