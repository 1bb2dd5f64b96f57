r"""New figure: a bound that is not vacuous. PAC-Bayes certificates of stochastic classifiers on the digits,
natural and adversarial, beside their measured test errors and the best Rademacher bound of the package.

Left: for a stochastic linear 10-class classifier and a stochastic ReLU network (784-100-10) trained on the
7,000-digit pool, and eps in {0, 0.01, 0.03} (l_inf), the PAC-Bayes certificate of the true risk
(:func:`radbound.pacbayes.linear_certificate`, :func:`radbound.pacbayes.network_certificate`; probability
>= 1 - delta - delta'), the measured test error of the same stochastic classifier on the 3,000 test digits
(natural; adversarial: exact per draw for the linear model, CROWN-certified per draw for the network, an
upper bound on its adversarial error), and the best Rademacher-complexity bound the package computes for the
deterministic mean model:

* linear: the multi-class adversarial bound of Yin et al.
  (:func:`radbound.bounds.multiclass_adversarial_bound`, leading constant 2WK/gamma) through
  :func:`radbound.bounds.generalization`, bias folded into the weights, union bound over the 35 margin
  scales W/gamma = 2^(j/2) of the ``bound_vs_gap`` figure, n = 7,000, best of p in {1, 2};
* network, natural risk: the best of the spectral (Bartlett et al.), Frobenius (Golowich et al.) and l1
  (Neyshabur et al. 2015) generalization bounds of the trained network,
  :func:`radbound.bounds.model_generalization` (``margin="auto"``): post-hoc valid, the network's own norms
  and the margin are paid for by a union bound over a geometric grid, and delta / 3 for each of the three
  bounds. The PAC-Bayes spectral bound of Neyshabur, Bhojanapalli & Srebro (2018) is reported too.
* network, adversarial risk: the package has no Rademacher upper bound for this network at this size (the
  SDP surrogate of Yin et al. needs 2K semidefinite programs of order 885): not plotted.

Right: the certificates hold. On :class:`radbound.data.GaussianMixture` (d = 10, true risk of every linear
classifier in closed form) independent samples of n = 1,000 are certified (natural and l_inf eps = 0.1), and
each certificate is compared with the exact risk of its stochastic classifier, E_theta risk(theta) averaged
over 40,000 posterior draws (standard error printed); the fraction of samples where the certificate holds is
printed (figure legend, caption) and must be >= 1 - delta - delta'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from radbound._lp import norm, ramp
from radbound.studies.common.linear import check_count, check_grid
from radbound.studies.common.mnist import check_data, mnist_split, training_sample
from radbound.study import Study, claim

#: Margin scales W / gamma = 2^(j/2) of the linear Rademacher bound (as in the bound_vs_gap figure).
RHO_EXPONENTS = tuple(range(-10, 25))
#: The network norm bounds compared (radbound.bounds.model_generalization, post-hoc valid).
NET_BOUNDS = ("spectral", "golowich", "neyshabur")
#: The ground-truth distribution of the coverage panel: d = 10, mean (0.6, 0.3, 0, ..., 0), unit noise.
COVERAGE_MEAN = (0.6, 0.3) + (0.0,) * 8

COLUMNS = (
    "kind",
    "model",
    "eps",
    "rep",
    "certificate",
    "empirical",
    "mc_correction",
    "kl_term",
    "confidence_term",
    "kl",
    "n_bound",
    "n_draws",
    "examples_per_draw",
    "prior_std",
    "confidence",
    "test_err",
    "test_err_se",
    "test_err_kind",
    "mean_model_test_err",
    "rademacher",
    "rademacher_name",
    "pac_bayes_spectral",
    "true_risk",
    "true_risk_se",
    "holds",
    "seconds",
    "data",
)


def _row(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {k: math.nan for k in COLUMNS}
    out.update(
        {"kind": "", "model": "", "rademacher_name": "", "test_err_kind": "", "data": "", "holds": False}
    )
    out.update(kw)
    return out


@dataclass(frozen=True)
class CertificatesConfig:
    """Which certificates, on how much data, with how many draws."""

    eps: tuple = (0.0, 0.01, 0.03)
    models: tuple = ("linear", "network")
    hidden: int = 100
    n_train: int = 7000
    delta: float = 0.05
    delta_mc: float = 0.01
    prior_fraction: float = 0.5
    linear_steps: int = 2000
    network_steps: int = 3000
    natural_draws: int = 1_000_000
    linear_adv_draws: int = 10_000
    network_adv_draws: int = 2000
    test_draws_adv: int = 200
    rademacher_draws: int = 2000
    coverage_eps: tuple = (0.0, 0.1)
    coverage_blocks: int = 10
    coverage_per_block: int = 10
    coverage_n: int = 1000
    coverage_steps: int = 500
    test_size: int = 3000
    data: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps", check_grid(self.eps, "eps"))
        object.__setattr__(self, "coverage_eps", check_grid(self.coverage_eps, "coverage_eps"))
        models = tuple(self.models)
        if (
            not models
            or any(m not in ("linear", "network") for m in models)
            or len(set(models)) != len(models)
        ):
            raise ValueError(
                f"models must hold distinct names among 'linear', 'network', got {self.models!r}"
            )
        object.__setattr__(self, "models", models)
        for name in (
            "hidden",
            "n_train",
            "linear_steps",
            "network_steps",
            "natural_draws",
            "linear_adv_draws",
            "network_adv_draws",
            "test_draws_adv",
            "rademacher_draws",
            "coverage_per_block",
            "coverage_n",
            "coverage_steps",
        ):
            check_count(getattr(self, name), name, minimum=1)
        check_count(self.coverage_blocks, "coverage_blocks", minimum=0)
        for name in ("delta", "delta_mc", "prior_fraction"):
            v = getattr(self, name)
            if not (isinstance(v, float) and 0 <= v < 1) or (name != "prior_fraction" and v == 0):
                raise ValueError(f"{name} must be a float in (0, 1), got {v!r}")
        if self.delta + self.delta_mc >= 1:
            raise ValueError(f"delta + delta_mc must be < 1, got {self.delta!r} + {self.delta_mc!r}")


QUICK = CertificatesConfig(
    eps=(0.0, 0.01),
    models=("linear",),
    n_train=1000,
    linear_steps=200,
    natural_draws=50_000,
    linear_adv_draws=300,
    test_draws_adv=20,
    rademacher_draws=100,
    coverage_blocks=1,
    coverage_per_block=4,
    coverage_n=600,
    coverage_steps=150,
)
FULL = CertificatesConfig()


def cells(cfg: CertificatesConfig) -> list[dict]:
    mnist = [{"kind": "mnist", "model": m, "eps": e, "block": 0} for m in cfg.models for e in cfg.eps]
    cover = [
        {"kind": "coverage", "model": "linear", "eps": e, "block": k}
        for e in cfg.coverage_eps
        for k in range(cfg.coverage_blocks)
    ]
    return mnist + cover


# ----------------------------------------------------------------------------- Rademacher comparisons
def _ramp(m: np.ndarray, gamma: float) -> float:
    return float(np.mean(ramp(m, gamma)))


def _linear_rademacher(W, b, X, y, eps, cfg, seed) -> tuple[float, str]:
    """Best bound over p in {1, 2} and the 35 scales (union bound over the scales, delta / J each)."""
    from radbound import multiclass_rademacher
    from radbound.attacks import adversarial_margins
    from radbound.bounds import generalization, multiclass_adversarial_bound

    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    Wa = np.hstack([W, b[:, None]])
    K = Wa.shape[0]
    margins = np.asarray(adversarial_margins(Wa, np.zeros(K), Xa, y, eps=eps), dtype=np.float64)
    n, J = X.shape[0], len(RHO_EXPONENTS)
    best, name = math.inf, ""
    for p in (1.0, 2.0):
        R = float(np.max(norm(Wa, p)))
        est = multiclass_rademacher(
            Xa, y, p=p, radius=R, n_classes=K, method="monte-carlo", n_draws=cfg.rademacher_draws, seed=seed
        )
        for j in RHO_EXPONENTS:
            gamma = R / 2.0 ** (j / 2)
            comp = multiclass_adversarial_bound(
                Xa, y, margin=gamma, eps=eps, p=p, radius=R, n_classes=K, complexity=est
            )
            bound = generalization(_ramp(margins, gamma), comp, n, delta=cfg.delta / J, risk="adversarial")
            if bound.value < best:
                best, name = bound.value, f"Yin et al. multi-class adversarial, p={p:g}"
    return best, name


def _network_rademacher(net, X, y, cfg) -> tuple[float, str]:
    """Best of the post-hoc valid spectral / Frobenius / l1 norm bounds of the trained network.

    :func:`radbound.bounds.model_generalization` prices the network's own norms and the margin (union
    bound over a geometric grid, the best grid margin); each of the three bounds is a theorem at level
    delta on its own, so the best of the three is paid by a union over them: delta / 3 each.
    """
    from radbound.bounds import model_generalization

    best, name = math.inf, ""
    for label in NET_BOUNDS:
        bound = model_generalization(net, X, y, margin="auto", bound=label, delta=cfg.delta / len(NET_BOUNDS))
        if bound.value < best:
            gamma = bound.inputs.get("gamma", math.nan)
            best, name = bound.value, f"{label} (post-hoc: norms and margin {gamma:.3g} priced)"
    return best, name


# ----------------------------------------------------------------------------- cells
def _mnist_cell(cfg: CertificatesConfig, cell: dict, seed: int) -> list[dict]:
    import time

    from radbound.pacbayes import linear_certificate, network_certificate

    pool, test, note = mnist_split(cfg.data, test_size=cfg.test_size, seed=cfg.seed)
    train = pool if cfg.n_train >= len(pool) else training_sample(pool, cfg.n_train, seed=cfg.seed, rep=0)
    eps, model = float(cell["eps"]), cell["model"]
    t0 = time.perf_counter()
    common: dict[str, Any] = dict(
        eps=eps, delta=cfg.delta, delta_mc=cfg.delta_mc, prior_fraction=cfg.prior_fraction, seed=seed
    )
    if model == "linear":
        draws = cfg.natural_draws if eps == 0 else cfg.linear_adv_draws
        cert = linear_certificate(
            train.X,
            train.y,
            n_steps=cfg.linear_steps,
            prior_steps=cfg.linear_steps,
            n_posterior_draws=draws,
            **common,
        )
    else:
        draws = cfg.natural_draws if eps == 0 else cfg.network_adv_draws
        cert = network_certificate(
            train.X,
            train.y,
            hidden=(cfg.hidden,),
            n_steps=cfg.network_steps,
            prior_steps=cfg.network_steps,
            n_posterior_draws=draws,
            **common,
        )
    seconds = time.perf_counter() - t0
    q = cert.posterior
    if eps == 0:
        te = q.sampled_risk(test.X, test.y, n_draws=cfg.natural_draws, seed=seed + 1)
        kind = "natural (exact per draw)"
    else:
        te = q.sampled_risk(
            test.X, test.y, eps=eps, n_draws=cfg.test_draws_adv, examples_per_draw=len(test), seed=seed + 1
        )
        kind = "adversarial, exact per draw" if model == "linear" else "adversarial, CROWN-certified per draw"
    if model == "linear":
        from radbound.attacks import linear_robust_accuracy

        W, b = q.mean_model
        mean_err = 1.0 - linear_robust_accuracy(W, b, test.X, test.y, eps=eps)
        rad, rad_name = _linear_rademacher(W, b, train.X, train.y, eps, cfg, seed)
        spectral = math.nan
    else:
        from radbound.pacbayes import pac_bayes_spectral_bound

        net = q.mean_network
        if eps == 0:
            out = net.forward(test.X)
            mean_err = float(np.mean(out.argmax(axis=1) != test.y))
            rad, rad_name = _network_rademacher(net, train.X, train.y, cfg)
            spectral = pac_bayes_spectral_bound(
                net, train.X, train.y, input_radius=math.sqrt(train.X.shape[1]), delta=cfg.delta
            ).value
        else:
            from radbound.certify import certified_margins
            from radbound.pacbayes.network import _margin_array

            margins = _margin_array(certified_margins(net, test.X, test.y, eps=eps, method="crown"))
            mean_err = float(np.mean(margins <= 0))
            rad, rad_name, spectral = (
                math.nan,
                "none at this size (SDP surrogate: 2K SDPs of order 885)",
                math.nan,
            )
    t = cert.terms
    return [
        _row(
            kind="mnist",
            model=model,
            eps=eps,
            rep=0,
            certificate=cert.value,
            empirical=t["empirical risk"],
            mc_correction=t["Monte-Carlo correction"],
            kl_term=t["KL/n"],
            confidence_term=t["confidence"],
            kl=cert.kl,
            n_bound=cert.split.n_bound,
            n_draws=cert.empirical.n_draws,
            examples_per_draw=cert.empirical.examples_per_draw,
            prior_std=cert.training.prior_std,
            confidence=cert.confidence,
            test_err=te.value,
            test_err_se=te.stderr,
            test_err_kind=kind,
            mean_model_test_err=mean_err,
            rademacher=rad,
            rademacher_name=rad_name,
            pac_bayes_spectral=spectral,
            seconds=seconds,
            data=note,
        )
    ]


def _coverage_cell(cfg: CertificatesConfig, cell: dict, seed: int) -> list[dict]:
    from radbound.data import GaussianMixture
    from radbound.pacbayes import linear_certificate

    gm = GaussianMixture(np.array(COVERAGE_MEAN), scale=1.0)
    eps = float(cell["eps"])
    rows = []
    ss = np.random.SeedSequence([seed, 7])
    for k, child in enumerate(ss.spawn(cfg.coverage_per_block)):
        sample_seed, cert_seed, risk_seed = (int(s.generate_state(1)[0]) for s in child.spawn(3))
        ds = gm.sample(cfg.coverage_n, seed=sample_seed)
        cert = linear_certificate(
            ds.X,
            ds.y,
            eps=eps,
            delta=cfg.delta,
            delta_mc=cfg.delta_mc,
            n_steps=cfg.coverage_steps,
            prior_steps=cfg.coverage_steps,
            n_posterior_draws=None if eps == 0 else 3000,
            seed=cert_seed,
        )
        theta = cert.posterior.weights.sample(40_000, seed=risk_seed)
        risks = gm.risk(theta[:, :-1], theta[:, -1], eps=eps)
        true, se = float(risks.mean()), float(risks.std(ddof=1) / math.sqrt(risks.size))
        t = cert.terms
        rows.append(
            _row(
                kind="coverage",
                model="linear",
                eps=eps,
                rep=cell["block"] * cfg.coverage_per_block + k,
                certificate=cert.value,
                empirical=t["empirical risk"],
                mc_correction=t["Monte-Carlo correction"],
                kl_term=t["KL/n"],
                confidence_term=t["confidence"],
                kl=cert.kl,
                n_bound=cert.split.n_bound,
                n_draws=cert.empirical.n_draws,
                examples_per_draw=cert.empirical.examples_per_draw,
                prior_std=cert.training.prior_std,
                confidence=cert.confidence,
                true_risk=true,
                true_risk_se=se,
                holds=bool(cert.value >= true),
                data=repr(gm),
            )
        )
    return rows


def compute_cell(cfg: CertificatesConfig, cell: dict, seed: int) -> list[dict]:
    if cell["kind"] == "mnist":
        return _mnist_cell(cfg, cell, seed)
    return _coverage_cell(cfg, cell, seed)


def validate(cfg: CertificatesConfig) -> dict:
    import importlib.util

    if "network" in cfg.models and importlib.util.find_spec("torch") is None:
        from radbound._backend import TORCH_INSTALL

        raise ImportError(f"models=('network', ...) needs torch; use models=('linear',). {TORCH_INSTALL}")
    if (
        "network" in cfg.models
        and any(e > 0 for e in cfg.eps)
        and importlib.util.find_spec("radbound.certify") is None
    ):
        raise ImportError("adversarial network certificates need radbound.certify")
    return check_data(cfg.data, test_size=cfg.test_size, seed=cfg.seed, n_train=min(cfg.n_train, 7000))


def coverage_fraction(rows: list[dict], eps: float | None = None) -> tuple[float, int]:
    """Fraction of the coverage samples (at ``eps``, or all) whose certificate is above the true risk."""
    sel = [r for r in rows if r["kind"] == "coverage" and (eps is None or r["eps"] == eps)]
    if not sel:
        return math.nan, 0
    return float(np.mean([bool(r["holds"]) for r in sel])), len(sel)


# ----------------------------------------------------------------------------- plot and check
def plot(rows: list[dict], cfg: CertificatesConfig):
    from radbound import plot as rplot

    mnist = [r for r in rows if r["kind"] == "mnist"]
    cover = [r for r in rows if r["kind"] == "coverage"]
    fig, axes = rplot.subplots(1, 2, panel=(5.4, 3.6))
    left, right = axes
    with rplot.style():
        labels, x = [], 0.0
        cols = rplot.colors(3, "viridis")
        for model in cfg.models:
            for eps in cfg.eps:
                sel = [r for r in mnist if r["model"] == model and r["eps"] == eps]
                if not sel:
                    continue
                r = sel[0]
                vals = [r["test_err"], r["certificate"], r["rademacher"]]
                for k, (v, c) in enumerate(zip(vals, cols)):
                    if v == v:  # not NaN
                        left.bar(x + 0.27 * (k - 1), v, width=0.26, color=c)
                        left.text(x + 0.27 * (k - 1), v * 1.08, f"{v:.2g}", ha="center", fontsize=5.5)
                labels.append((x, f"{model}\n$\\epsilon$ = {eps:g}"))
                x += 1.0
        left.axhline(1.0, color="r", lw=1, ls="--")
        left.set_yscale("log")
        left.set_xticks([p for p, _ in labels])
        left.set_xticklabels([s for _, s in labels], fontsize=7)
        left.set_ylabel("risk (log scale)")
        from matplotlib.patches import Patch

        names = ("measured test error (stochastic)", "PAC-Bayes certificate", "best Rademacher bound")
        handles = [Patch(facecolor=c, label=name) for c, name in zip(cols, names)]
        left.legend(handles=handles, fontsize=6.5, loc="upper left")
        left.set_title("Certificates vs measurement (red: risk 1)")
        for eps, marker in zip(cfg.coverage_eps, ("o", "s", "^", "v")):
            sel = [r for r in cover if r["eps"] == eps]
            if not sel:
                continue
            frac, n = coverage_fraction(rows, eps)
            right.scatter(
                [r["true_risk"] for r in sel],
                [r["certificate"] for r in sel],
                s=10,
                marker=marker,
                label=f"$\\epsilon$ = {eps:g}: certificate $\\geq$ true risk in {frac:.3f} of {n}",
            )
        if cover:
            lo = min(r["true_risk"] for r in cover) * 0.9
            hi = max(r["certificate"] for r in cover) * 1.05
            right.plot([lo, hi], [lo, hi], "k-", lw=1, label="certificate = true risk")
        right.set_xlabel(r"exact risk of the stochastic classifier, $\mathbb{E}_\theta\, R(\theta)$")
        right.set_ylabel("PAC-Bayes certificate")
        right.legend(fontsize=6.5, loc="upper left")
        right.set_title("Ground truth: GaussianMixture (d = 10, n = 1,000)")
        fig.tight_layout()
        data = mnist[0]["data"] if mnist else ""
        conf = 1 - cfg.delta - cfg.delta_mc
        frac, n_cover = coverage_fraction(rows)
        held = sum(bool(r["holds"]) for r in cover)
        coverage = (
            f"the certificate held in {held} of {n_cover} samples (fraction {frac:.3f}; "
            f"required $\\geq 1 - \\delta - \\delta'$ = {conf:.2f})"
            if n_cover
            else "no coverage samples in this run"
        )
        text = " ".join(
            [
                f"Left: stochastic classifiers trained on {cfg.n_train:,} digits (linear 10-class;",
                f"ReLU network 784-{cfg.hidden}-10), prior mean on half, posterior and certificate on",
                f"the other half; certificates hold with probability $\\geq$ {conf:.2f}",
                f"($\\delta$ = {cfg.delta:g}, $\\delta'$ = {cfg.delta_mc:g}). Test error of the stochastic",
                "classifier on the 3,000 test digits: natural exact per draw; adversarial ($\\ell_\\infty$)",
                "exact per draw for the linear model, CROWN-certified per draw for the network (an",
                "upper bound on its adversarial error). Best Rademacher bound of the deterministic",
                "mean model: linear, Yin et al.'s multi-class adversarial bound with a union bound",
                "over 35 margin scales; network (natural only), best of the spectral / Frobenius /",
                "$\\ell_1$ bounds, post-hoc valid (norms and margin priced by a union bound over a grid).",
                "Right: independent samples from a Gaussian mixture, each certified and compared",
                f"with the exact risk of its stochastic classifier: {coverage}. Data: {data}.",
            ]
        )
        rplot.caption(
            fig,
            text,
            width=150,
        )
    return fig


def check(rows: list[dict], cfg: CertificatesConfig) -> None:
    """Certificates are not vacuous, lie above the measured test error (within 4 s.e.), below the
    Rademacher bounds, and hold on the ground-truth distribution in at least 1 - delta - delta' of samples."""
    for r in rows:
        if r["kind"] != "mnist":
            continue
        what = f"{r['model']} eps={r['eps']:g}"
        claim(r["certificate"] < 1.0, f"{what}: the certificate {r['certificate']:.3g} is vacuous")
        claim(
            r["certificate"] >= r["test_err"] - 4 * r["test_err_se"],
            f"{what}: certificate {r['certificate']:.4g} below the measured test error {r['test_err']:.4g}",
        )
        if r["rademacher"] == r["rademacher"]:
            claim(r["rademacher"] > r["certificate"], f"{what}: a Rademacher bound beats the certificate")
    frac, n = coverage_fraction(rows)
    if n:
        level = min(r["confidence"] for r in rows if r["kind"] == "coverage")
        claim(
            frac >= level,
            f"the certificate held in only {frac:.3f} of {n} ground-truth samples (< {level:.3f})",
        )


STUDY = Study(
    name="certificates",
    config=CertificatesConfig,
    quick=QUICK,
    full=FULL,
    cells=cells,
    compute_cell=compute_cell,
    plot=plot,
    check=check,
    validate=validate,
    description=(
        "New: PAC-Bayes risk certificates (natural and adversarial) of stochastic linear and network "
        "classifiers beside their test errors and the best Rademacher bound; coverage on a ground-truth "
        "distribution."
    ),
    data_note="Bundled 10,000 MNIST digits: seeded split 7,000 pool / 3,000 test (--data: full MNIST); "
    "GaussianMixture samples for the coverage panel.",
)
