"""Complexity measures of trained models and their rank correlation with the gap
(radbound.studies.common.measures, the ``measures`` figure).

Oracles: Kendall's tau_b by
its definition (concordant minus discordant pairs over the tie-corrected pair counts, O(n^2));
norms and bounds of a linear model against numpy and the package's bound functions called
directly; the figure end to end on a quick run of ``linear_l1``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU
from radbound.studies.common.measures import (
    MEASURES,
    PREFIX,
    linear_measures,
    margin_level,
    network_measures,
    rank_correlations,
)


def test_path_norm_measures_use_the_package_path_norm_and_skip_max_pooling():
    from radbound.networks import path_norm

    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(2, 3))]
    mlp = Network.from_arrays(weights)
    m = network_measures(mlp, rng.random((5, 4)), margins=np.ones(5), margins_adv=np.ones(5), eps=0.1)
    assert m["m_l1_path"] == path_norm(mlp, p=1) and m["m_l2_path"] == path_norm(mlp, p=2)
    k, v = np.abs(rng.normal(size=(1, 1, 3, 3))), rng.normal(size=(2, 4))
    pooled = Network((Conv2d(k, padding=1), ReLU(), MaxPool2d(2), Flatten(), Dense(v)), (1, 4, 4))
    m = network_measures(pooled, rng.random((5, 16)), margins=np.ones(5), margins_adv=np.ones(5), eps=0.1)
    assert math.isnan(m["m_l1_path"]) and math.isnan(m["m_l2_path"])  # not defined with max-pooling
    assert m["m_l1"] == pytest.approx(k.sum() + np.abs(v).sum(), rel=1e-13)
    assert m["m_l1_over_margin"] == pytest.approx(m["m_l1"])  # every margin 1


def test_margin_level_is_the_quantile_of_the_positive_margins():
    assert margin_level([-5.0, 0.0, 1.0, 2.0, 3.0], quantile=0.5) == 2.0
    assert math.isnan(margin_level([-1.0, 0.0]))


def _tau_b(a: list[float], b: list[float]) -> float:
    """Kendall's tau_b from its definition: (C - D) / sqrt((P - T_a)(P - T_b))."""
    n = len(a)
    conc = disc = ties_a = ties_b = 0
    for i in range(n):
        for j in range(i + 1, n):
            da, db = np.sign(a[i] - a[j]), np.sign(b[i] - b[j])
            ties_a += da == 0
            ties_b += db == 0
            if da * db > 0:
                conc += 1
            elif da * db < 0:
                disc += 1
    pairs = n * (n - 1) / 2
    return (conc - disc) / math.sqrt((pairs - ties_a) * (pairs - ties_b))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), ties=st.booleans())
def test_rank_correlations_match_the_definition(seed, ties):
    rng = np.random.default_rng(seed)
    rows = []
    for eps, lam, rep in itertools.product((0.0, 0.1, 0.2), (0.0, 1e-3), (0, 1)):
        gap = float(rng.integers(0, 3) if ties else rng.normal())
        rows.append({"eps": eps, "lam": lam, "rep": rep, "gap": gap, "m_x": float(rng.integers(0, 4))})
    rows.append({"eps": 0.3, "lam": 0.0, "rep": 0, "gap": math.nan, "m_x": 1.0})  # dropped: no gap
    out = {r.over: r for r in rank_correlations(rows, source="t", measures=["x"], hyper=["eps", "lam"])}
    clean = rows[:-1]

    def tau_or_nan(group):
        a, b = [r["m_x"] for r in group], [r["gap"] for r in group]
        return math.nan if len(set(a)) < 2 or len(set(b)) < 2 else _tau_b(a, b)

    overall = tau_or_nan(clean)
    assert out["all"].n_models == 12
    assert (math.isnan(overall) and math.isnan(out["all"].tau)) or out["all"].tau == pytest.approx(
        overall, abs=1e-12
    )
    psis = []
    for h, others in (("eps", ("lam", "rep")), ("lam", ("eps", "rep"))):
        groups = {}
        for r in clean:
            groups.setdefault(tuple(r[k] for k in others), []).append(r)
        taus = [t for t in (tau_or_nan(g) for g in groups.values()) if math.isfinite(t)]
        assert out[h].n_groups == len(taus) and out[h].n_undefined == len(groups) - len(taus)
        if taus:
            assert out[h].tau == pytest.approx(np.mean(taus), abs=1e-12)
            psis.append(np.mean(taus))
        else:
            assert math.isnan(out[h].tau)
    if psis:
        assert out["mean"].tau == pytest.approx(np.mean(psis), abs=1e-12)


def test_linear_measures_agree_with_numpy_and_the_bound_functions():
    from radbound.bounds import multiclass_adversarial_bound
    from radbound.complexity import multiclass_rademacher
    from radbound.networks import golowich_bound, neyshabur_bound, spectral_bound

    rng = np.random.default_rng(5)
    X, y = rng.random((60, 8)), np.arange(60) % 3
    W, b = rng.normal(size=(3, 8)), rng.normal(size=3)
    margins, margins_adv = rng.normal(1.0, 1.0, 60), rng.normal(0.5, 1.0, 60)
    m = linear_measures(W, b, X, y, eps=0.05, margins=margins, margins_adv=margins_adv, n_classes=3)
    assert set(m) == {PREFIX + spec.name for spec in MEASURES}
    g, ge = margin_level(margins), margin_level(margins_adv)
    spec = np.linalg.norm(W, 2)
    assert m["m_l1"] == pytest.approx(np.abs(W).sum(), rel=1e-13)
    assert m["m_log_prod_fro"] == pytest.approx(np.log(np.linalg.norm(W)), rel=1e-12)
    assert m["m_log_prod_spec"] == pytest.approx(np.log(spec), rel=1e-7)
    assert m["m_spec_over_margin_adv"] == pytest.approx(spec / ge, rel=1e-7)
    assert m["m_l2_path"] == pytest.approx(np.linalg.norm(W), rel=1e-13)
    assert m["m_inv_margin"] == pytest.approx(1 / g)
    net = Network.from_arrays([W], biases=[b])
    assert m["m_spectral_bound"] == pytest.approx(spectral_bound(net, X, margin=g).value, rel=1e-7)
    assert m["m_golowich_bound"] == pytest.approx(golowich_bound(net, X, margin=g).value, rel=1e-7)
    assert m["m_neyshabur_bound"] == pytest.approx(neyshabur_bound(net, X, margin=g).value, rel=1e-7)
    for p, name in ((1.0, "m_adv_bound_l1"), (2.0, "m_adv_bound_l2")):
        radius = np.max(np.linalg.norm(W, ord=p, axis=1))
        est = multiclass_rademacher(X, y, p=p, radius=1.0, n_classes=3, n_draws=500, seed=0)
        direct = multiclass_adversarial_bound(
            X, y, margin=ge, eps=0.05, p=p, radius=radius, n_classes=3, complexity=est
        )
        assert m[name] == pytest.approx(direct.value, rel=1e-12)


def test_network_measures_without_a_positive_margin_are_nan():
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    m = network_measures(
        Network.from_arrays([W]), np.eye(2), margins=[-1.0, -2.0], margins_adv=[-1.0, 0.0], eps=0.1
    )
    assert math.isnan(m["m_inv_margin"]) and math.isnan(m["m_spectral_bound"])
    assert m["m_l1"] == 2.0


def test_measures_figure_ranks_a_quick_run(tmp_path):
    from radbound.study import load_study, run_study

    run_study(load_study("linear_l1"), quick=True, out=tmp_path / "src", progress=False)
    study = load_study("measures")
    cfg = study.make_config(quick=True, folder=str(tmp_path / "src"), sources=("linear_l1",))
    run = run_study(study, cfg, out=tmp_path / "out", progress=False, check=True)
    names = {r["measure"] for r in run.rows}
    assert {"l1", "spec_over_margin_adv", "adv_bound_l1", "pacbayes_kl"} <= names
    assert {r["over"] for r in run.rows} == {"all", "eps", "lam", "rule", "mean"}
    assert all(r["n_models"] == 8 for r in run.rows if r["measure"] == "l1")
    assert run.png.stat().st_size > 10_000
    # a missing source fails before any work, naming the command that makes it
    bad = study.make_config(folder=str(tmp_path / "src"), sources=("linear_dimension",))
    with pytest.raises(FileNotFoundError, match="run radbound study linear_dimension --out"):
        run_study(study, bad, out=tmp_path / "out2", progress=False)
