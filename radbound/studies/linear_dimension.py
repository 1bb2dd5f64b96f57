"""Paper figure: the adversarial generalisation gap of linear classifiers against the dimension.

Yin, Ramchandran & Bartlett (2019), experiments, the figure varying the input dimension of linear
classifiers; protocol in docs/theory/experiments.md: the l1 figure's protocol with lam = 0 and the
images rescaled to 14 x 14, 28 x 28 and 56 x 56 (d = 196, 784, 3136) keeping each image's l2 norm,
so that only d changes. The theory (adversarial Rademacher complexity ~ eps d^{1/q} / sqrt(n) for
l_p-bounded weights) predicts a gap growing with d for eps > 0.

Two rescalings (config field ``methods``, one row of panels each; radbound.data.rescale_images):

- ``"block"``, the paper's: 2 x 2 blocks -> their l2 norm (14 x 14); a pixel -> a 2 x 2 block of
  half its value (56 x 56). The block copy has a catch (docs/theory/experiments.md, "The block copy
  turns d into eps"): SGD from zero keeps the 3136 weights block-constant, and the model trained at
  d = 3136 and radius eps IS the d = 784 model trained at radius 2 eps. The paper's d = 3136 curve is
  its d = 784 curve at twice the radius; the figure says so and :func:`check` verifies it.
- ``"lanczos"`` (or ``"bilinear"``): interpolation, then each image scaled back to its norm; the
  56 x 56 images are not block copies, so the 3136 coordinates of the attack are not a 784-pixel
  attack in disguise, and the figure shows what the dimension alone does. (At 28 x 28 both
  rescalings are the identity: the d = 784 curve is computed once and drawn in both rows.)

Plotted beside the gap: robust training and test accuracy (exact attack; dashed: under the paper
target rule's attack the model trained against), because at large d and eps robust training
accuracy falls, which a gap-only plot hides. Every row also carries the model's complexity
measures (columns ``m_*``) for the ``measures`` figure.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from radbound.studies.common.linear import (
    check_grid,
    check_grid_of_choices,
    check_protocol,
    fit_and_score,
    gap_at,
    plot_gap_panels,
)
from radbound.studies.common.mnist import check_data, mnist_split, training_sample
from radbound.study import Study, claim

SIDES = (14, 28, 56)
METHODS = ("block", "bilinear", "lanczos")
METHOD_TITLES = {
    "block": (
        r"paper's rescaling: $2\times2$ block $\ell_2$ norms ($d = 196$), "
        r"$2\times2$ block copies ($d = 3136$)"
    ),
    "bilinear": r"bilinear interpolation, $\ell_2$ norm kept",
    "lanczos": r"Lanczos-3 interpolation, $\ell_2$ norm kept",
}


@dataclass(frozen=True)
class LinearDimensionConfig:
    """Grid and protocol of the dimension figure (defaults: the paper's)."""

    side: tuple = SIDES
    methods: tuple = ("block", "lanczos")
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
        object.__setattr__(self, "methods", check_grid_of_choices(self.methods, "methods", METHODS))
        check_grid((self.lam,), "lam")
        check_protocol(self)


QUICK = LinearDimensionConfig(side=(28, 56), eps=(0.0, 0.03), n_reps=1, n_train=300, n_steps=300)
DEMO = LinearDimensionConfig(eps=(0.0, 0.012, 0.024, 0.03), n_reps=2, n_steps=2000, methods=("block",))
FULL = LinearDimensionConfig()


@functools.lru_cache(maxsize=6)
def _test_set(data, test_size, seed, side, method):
    from radbound.data import rescale_images

    _, test, _ = mnist_split(data, test_size=test_size, seed=seed)
    return rescale_images(test.X, side, method=method), test.y


def _sides(cfg: LinearDimensionConfig, method: str) -> tuple:
    """The sides computed for ``method``: 28 x 28 is the identity for every rescaling, computed once."""
    if method == cfg.methods[0]:
        return cfg.side
    return tuple(s for s in cfg.side if s != 28)


def cells(cfg: LinearDimensionConfig) -> list[dict]:
    return [
        {"method": m, "side": s, "eps": e, "rep": r}
        for m in cfg.methods
        for r in range(cfg.n_reps)
        for s in _sides(cfg, m)
        for e in cfg.eps
    ]


def compute_cell(cfg: LinearDimensionConfig, cell: dict, seed: int) -> list[dict]:
    from radbound.data import rescale_images

    pool, _, note = mnist_split(cfg.data, test_size=cfg.test_size, seed=cfg.seed)
    train = training_sample(pool, cfg.n_train, seed=cfg.seed, rep=cell["rep"])
    Xt, yt = _test_set(cfg.data, cfg.test_size, cfg.seed, cell["side"], cell["method"])
    X = rescale_images(train.X, cell["side"], method=cell["method"])
    row = fit_and_score(
        (X, train.y), (Xt, yt), eps=cell["eps"], lam=cfg.lam, cfg=cfg, seed=seed, n_classes=pool.classes.size
    )
    return [{**row, "data": note}]


def validate(cfg: LinearDimensionConfig) -> dict:
    return check_data(cfg.data, test_size=cfg.test_size, seed=cfg.seed, n_train=cfg.n_train)


def _with_shared_784(rows: list[dict], cfg: LinearDimensionConfig) -> list[dict]:
    """Rows of every method, the d = 784 rows (computed once, under the first method) copied to the others."""
    first = cfg.methods[0]
    out = list(rows)
    for m in cfg.methods[1:]:
        out += [{**r, "method": m} for r in rows if r["method"] == first and r["side"] == 28]
    return sorted(out, key=lambda r: cfg.methods.index(r["method"]))


def plot(rows: list[dict], cfg: LinearDimensionConfig):
    protocol = (
        r"SGD on batches replaced by their $\ell_\infty$ worst case under the paper's target rule "
        f"({cfg.n_steps:,} steps, learning rate {cfg.lr}, batch {cfg.batch_size}, {cfg.dtype})"
        if cfg.solver == "sgd-attack"
        else f"an exact convex fit (solver '{cfg.solver}', loss '{cfg.loss}')"
    )
    reps = f"{cfg.n_reps} repetition{'s' if cfg.n_reps > 1 else ''}"
    text = (
        r"Softmax linear classifier on MNIST rescaled to $14\times14$, $28\times28$, $56\times56$ (the "
        r"$\ell_2$ norm of each image kept, so only $d$ changes), trained against $\ell_\infty$ attacks of "
        rf"radius $\epsilon$ ($\lambda = {cfg.lam:g}$) by {protocol}; robust accuracies under the exact "
        r"$\ell_\infty$ attack (dashed: under the training rule's attack), no clipping. Mean $\pm$ s.e. "
        f"over {reps} of n = {cfg.n_train:,} training images. Data: {rows[0]['data']}; training sets "
        f"drawn from the pool per repetition (seed {cfg.seed}), the same images for every $d$. Differs "
        "from the paper: its data (1,000 of the 55,000 MNIST training images, 10,000 test images), and "
        "the interpolated second row, which the paper does not have."
    )
    pairs = [(e, 2 * e) for e in cfg.eps if 2 * e in cfg.eps]
    if "block" in cfg.methods and 56 in cfg.side and 28 in cfg.side and pairs:
        diff = max(
            abs(gap_at(rows, method="block", side=56, eps=e) - gap_at(rows, method="block", side=28, eps=e2))
            for e, e2 in pairs
        )
        listed = ", ".join(f"{e:g}" for e, _ in pairs)
        text += (
            "\nPaper's block rescaling: a model trained from zero on the block-copied $56\\times56$ images "
            r"stays block-constant and is the $28\times28$ model trained at twice the radius, so its "
            r"$d = 3136$ curve is the $d = 784$ curve at $2\epsilon$ (crosses; largest difference of the "
            rf"mean gaps over $\epsilon \in \{{{listed}\}}$: {diff:.1e}, float32 rounding): 'the gap grows "
            "with d' is there the same statement as 'the gap grows with the radius'."
        )
        others = [m for m in cfg.methods if m != "block"]
        if others:
            text += (
                f" The second row ({METHOD_TITLES[others[0]].split(',')[0]}) is not block-constant: "
                "the effect of the dimension alone."
            )
    fig = plot_gap_panels(
        _with_shared_784(rows, cfg),
        group="d",
        label=lambda d: f"$d = {d}$",
        title="Dimension and the adversarial generalisation gap (Yin, Ramchandran & Bartlett 2019)",
        caption_text=text,
        cmap="plasma",
        panel_rows="method",
        row_title=lambda m: METHOD_TITLES[m],
        dashed="adv_train_acc_rule",
        dashed_label="training rule's attack",
    )
    if cfg.methods[0] == "block" and 28 in cfg.side and pairs:
        from radbound import plot as rplot

        ax = fig.axes[0]  # the gap panel of the block row
        xs = [e for e, _ in pairs]
        ys = [gap_at(rows, method="block", side=28, eps=e2) for _, e2 in pairs]
        ax.plot(xs, ys, ls="none", marker="x", ms=7, color="0.35", label=r"$d = 784$ at $2\epsilon$")
        with rplot.style():
            ax.legend(loc="upper left")
    return fig


def check(rows: list[dict], cfg: LinearDimensionConfig) -> None:
    """For every rescaling: at d = 196 and 784 the gap grows with eps; at the largest eps robust
    training accuracy falls with d. Block rescaling: the d = 3136 mean gap equals the d = 784 mean gap
    at twice the radius, up to twice the binomial standard error of a gap (float32 rounding)."""
    lo, hi = min(cfg.eps), max(cfg.eps)
    full = _with_shared_784(rows, cfg)
    for method in cfg.methods:
        sub = [r for r in full if r["method"] == method]
        ds = sorted({r["d"] for r in sub})
        for d in [d for d in ds if d <= 784]:
            g_lo, g_hi = gap_at(sub, d=d, eps=lo), gap_at(sub, d=d, eps=hi)
            claim(
                g_hi > g_lo,
                f"{method}, d={d}: gap at eps={hi} ({g_hi:.4f}) not above gap at eps={lo} ({g_lo:.4f})",
            )
        if hi > 0 and len(ds) > 1:
            acc = [
                sum(r["adv_train_acc"] for r in sub if r["d"] == d and r["eps"] == hi)
                for d in (ds[0], ds[-1])
            ]
            claim(
                acc[1] < acc[0],
                f"{method}, eps={hi}: robust train accuracy at d={ds[-1]} not below d={ds[0]}",
            )
    if "block" in cfg.methods and 56 in cfg.side and 28 in cfg.side:
        for e in (e for e in cfg.eps if 2 * e in cfg.eps):
            big = [r for r in full if r["method"] == "block" and r["side"] == 56 and r["eps"] == e]
            small = [r for r in full if r["method"] == "block" and r["side"] == 28 and r["eps"] == 2 * e]
            diff = abs(gap_at(big) - gap_at(small))
            tol = 2 * _gap_noise(small)
            claim(
                diff <= tol,
                f"block: the mean gap at d=3136, eps={e} differs from d=784, eps={2 * e} by {diff:.4f}, "
                f"more than twice the binomial standard error of a gap ({tol:.4f})",
            )


def _gap_noise(rows: list[dict]) -> float:
    """Binomial standard error of one gap, sqrt(p(1-p)/n_train + q(1-q)/n_test), at the mean accuracies.

    The block identity is exact in exact arithmetic (and to float64 rounding: tests/test_data.py);
    in the float32 protocol the rounding of sums over 784 vs 3136 terms moves a few images, a
    difference the figure's claim bounds by twice this sampling scale.
    """
    p = sum(r["adv_train_acc"] for r in rows) / len(rows)
    q = sum(r["adv_test_acc"] for r in rows) / len(rows)
    return math.sqrt(p * (1 - p) / rows[0]["n_train"] + q * (1 - q) / rows[0]["n_test"])


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
    description=(
        "Adversarial gap of linear classifiers vs eps for d = 196, 784, 3136, by the paper's block "
        "rescaling and by interpolation (paper figure)."
    ),
    data_note="Bundled MNIST digits: seeded split 7,000 pool / 3,000 test, rescaled (--data: full MNIST).",
)
