"""New figure: which complexity measure predicts the adversarial generalisation gap?

The figures ``linear_l1``, ``linear_dimension`` and ``network_l1`` train hundreds of models and
record, for each, its measured adversarial gap (robust training minus robust test accuracy) and the
complexity measures of radbound.studies.common.measures computed at training time: norms of the
weights (l1, Frobenius and spectral products, (2,1) distance from the initial weights, l1 and l2
path norms), the same divided by the margin scale gamma (natural training margins) or gamma_eps
(training margins under the attack), and the package's bounds (Bartlett et al., Golowich et al.,
Neyshabur et al. network bounds; for linear models the paper's adversarial multi-class bound).

This figure reads their CSVs (``folder``/NAME.csv, as written by ``radbound study NAME``; nothing is
retrained) and ranks the measures by Kendall's rank correlation with the gap across the models of
each figure: overall (tau) and granulated, one hyper-parameter at a time with the others and the
training sample held fixed (psi_i), and their mean (Psi) - the protocol of Jiang, Neyshabur,
Mobahi, Krishnan & Bengio (2020), "Fantastic generalization measures and where to find them", ICLR,
used for the robust gap by Kim, Na, Kim & Yoon (2023), "Fantastic robustness measures", NeurIPS.
A measure that only tracks the hyper-parameter the gap depends on most has a high tau and a low psi
for the others. The table is the CSV (one row per source, measure and granulation).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from radbound.studies.common.linear import check_grid_of_choices
from radbound.studies.common.measures import MEASURES, PREFIX, rank_correlations
from radbound.study import Study, claim

#: The figures whose models are ranked, with their hyper-parameter columns.
HYPER = {
    "linear_l1": ("eps", "lam", "rule"),
    "linear_dimension": ("eps", "d", "method"),
    "network_l1": ("eps", "lam"),
}
SOURCE_TITLES = {
    "linear_l1": "linear models, l1 figure",
    "linear_dimension": "linear models, dimension figure",
    "network_l1": "CNN, network figure",
}


@dataclass(frozen=True)
class MeasuresConfig:
    """Which runs to read (``folder``/NAME.csv for NAME in ``sources``) and what to predict."""

    sources: tuple = ("linear_l1", "linear_dimension", "network_l1")
    folder: str = "figures"
    target: str = "gap"
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", check_grid_of_choices(self.sources, "sources", tuple(HYPER)))
        if not isinstance(self.folder, str) or not self.folder:
            raise ValueError(f"folder must be a non-empty path string, got {self.folder!r}")
        if self.target not in ("gap", "nat_gap"):
            raise ValueError(f"target must be one of ['gap', 'nat_gap'], got {self.target!r}")


QUICK = MeasuresConfig(sources=("linear_l1", "linear_dimension"), folder="runs/quick")
FULL = MeasuresConfig()


def cells(cfg: MeasuresConfig) -> list[dict]:
    return [{"source": s} for s in cfg.sources]


def _source_rows(cfg: MeasuresConfig, source: str) -> tuple[list[dict], str]:
    from radbound.study import read_record, read_rows

    csv = Path(cfg.folder) / f"{source}.csv"
    record = read_record(Path(cfg.folder) / f"{source}.json")
    if record.get("status") != "complete":
        raise ValueError(
            f"{csv} must hold a complete run of {source!r} (status {record.get('status')!r}): "
            f"finish it with radbound study {source} --out {cfg.folder}"
        )
    return read_rows(csv), hashlib.sha256(csv.read_bytes()).hexdigest()


def compute_cell(cfg: MeasuresConfig, cell: dict, seed: int) -> list[dict]:
    source = cell["source"]
    rows, digest = _source_rows(cfg, source)
    names = [m.name for m in MEASURES if PREFIX + m.name in rows[0]]
    family = {m.name: m.family for m in MEASURES}
    out = []
    for r in rank_correlations(rows, source=source, measures=names, hyper=HYPER[source], target=cfg.target):
        out.append(
            {
                "measure": r.measure,
                "family": family[r.measure],
                "over": r.over,
                "tau": r.tau,
                "n_models": r.n_models,
                "n_groups": r.n_groups,
                "n_undefined": r.n_undefined,
                "source_sha256": digest,
            }
        )
    return out


def validate(cfg: MeasuresConfig) -> dict:
    inputs = {}
    for source in cfg.sources:
        csv = Path(cfg.folder) / f"{source}.csv"
        if not csv.exists():
            raise FileNotFoundError(
                f"sources needs {str(csv)!r}: run radbound study {source} --out {cfg.folder} first"
            )
        rows, digest = _source_rows(cfg, source)
        if not any(k.startswith(PREFIX) for k in rows[0]):
            raise ValueError(f"{csv} has no measure columns ({PREFIX}*): rerun {source} with this radbound")
        inputs[source] = {"csv": str(csv), "sha256": digest, "n_rows": len(rows)}
    return {"inputs": inputs}


def plot(rows: list[dict], cfg: MeasuresConfig):
    from matplotlib.lines import Line2D

    from radbound import plot as rplot

    sources = [s for s in cfg.sources if any(r["source"] == s for r in rows)]
    labels = {m.name: m.label for m in MEASURES}
    order = [m.name for m in MEASURES]
    fig, axes = rplot.subplots(1, len(sources), panel=(4.2, 6.4), sharey=False)
    with rplot.style():
        for ax, source in zip(axes, sources):
            sub = [r for r in rows if r["source"] == source]
            names = [n for n in order if any(r["measure"] == n for r in sub)]
            hyper = HYPER[source]
            colors = rplot.colors(len(hyper), "tab10" if len(hyper) <= 10 else "viridis")
            for i, name in enumerate(names):
                y = len(names) - 1 - i
                get = {r["over"]: r["tau"] for r in sub if r["measure"] == name}
                for h, c in zip(hyper, colors):
                    if math.isfinite(get.get(h, math.nan)):
                        ax.plot(get[h], y, "o", ms=4, color=c, alpha=0.8)
                if math.isfinite(get.get("mean", math.nan)):
                    ax.plot(get["mean"], y, "D", ms=6, mfc="none", mec="C3", mew=1.5)
                if math.isfinite(get.get("all", math.nan)):
                    ax.plot(get["all"], y, "s", ms=6, color="k")
            ax.set_yticks(range(len(names)), [labels[n] for n in reversed(names)], fontsize=7)
            ax.axvline(0, color="0.5", lw=0.8)
            ax.set_xlim(-1.05, 1.05)
            ax.set_xlabel(r"Kendall's $\tau$ with the adversarial gap")
            n_models = max(r["n_models"] for r in sub)
            ax.set_title(f"{SOURCE_TITLES[source]} ({n_models} models)", fontsize=9)
            handles = [Line2D([], [], ls="none", marker="s", color="k", label=r"overall $\tau$")]
            handles.append(
                Line2D(
                    [], [], ls="none", marker="D", mfc="none", mec="C3", label=r"$\Psi$ (mean of $\psi_i$)"
                )
            )
            handles += [
                Line2D([], [], ls="none", marker="o", color=c, label=rf"$\psi$: only {h} varies")
                for h, c in zip(hyper, colors)
            ]
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09), fontsize=7, ncol=2)
        fig.suptitle("Which measure predicts the adversarial generalisation gap?", fontsize=10)
        fig.tight_layout()
        rplot.caption(fig, _caption(rows, cfg), width=40 * len(sources) + 30)
    return fig


def _best(rows: list[dict], source: str, over: str) -> tuple[str, float]:
    sub = [r for r in rows if r["source"] == source and r["over"] == over and math.isfinite(r["tau"])]
    if not sub:
        return "-", math.nan
    top = max(sub, key=lambda r: r["tau"])
    return top["measure"], top["tau"]


def _caption(rows: list[dict], cfg: MeasuresConfig) -> str:
    text = (
        "Kendall's rank correlation between each measure (computed from the trained model and its "
        "training set only) and the measured adversarial gap, over the models of each figure read from "
        rf"{cfg.folder}/. Black squares: $\tau$ over all models; circles: $\psi_i$, only hyper-parameter "
        r"$i$ varies (the others and the training sample fixed; mean over the groups); red diamonds: "
        r"$\Psi$, the mean of the $\psi_i$ (Jiang et al. 2020). $\gamma$: the 10th percentile of the "
        r"positive natural training margins; $\gamma_\epsilon$: of the margins under the attack (exact "
        "for linear models, PGD for the CNN). Path norms are not defined for the max-pooling CNN; the "
        "PAC-Bayes and adversarial-bound measures are computed for linear models only."
    )
    for source in sorted({r["source"] for r in rows}, key=list(HYPER).index):
        m_all, t_all = _best(rows, source, "all")
        m_psi, t_psi = _best(rows, source, "mean")
        text += (
            f"\n{SOURCE_TITLES[source]}: best overall {m_all} ($\\tau$ = {t_all:.2f}); "
            f"best $\\Psi$: {m_psi} ({t_psi:.2f})."
        )
    return text


def check(rows: list[dict], cfg: MeasuresConfig) -> None:
    """Every source was ranked, every tau lies in [-1, 1], and each source has a measure with a
    defined overall tau (the table is not empty of information)."""
    for source in cfg.sources:
        sub = [r for r in rows if r["source"] == source]
        claim(bool(sub), f"no rankings for {source}")
        for r in sub:
            claim(math.isnan(r["tau"]) or -1.0 - 1e-12 <= r["tau"] <= 1.0 + 1e-12, f"tau out of [-1, 1]: {r}")
        claim(
            any(r["over"] == "all" and math.isfinite(r["tau"]) for r in sub),
            f"{source}: no measure has a defined overall tau",
        )


STUDY = Study(
    name="measures",
    config=MeasuresConfig,
    quick=QUICK,
    full=FULL,
    cells=cells,
    compute_cell=compute_cell,
    plot=plot,
    check=check,
    validate=validate,
    description=(
        "Kendall's tau (overall and granulated) between complexity measures and the adversarial gap "
        "across the trained models of linear_l1, linear_dimension and network_l1 (new figure)."
    ),
    data_note="The CSVs of the source figures (folder/NAME.csv); nothing is retrained.",
)
