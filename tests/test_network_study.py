"""The network figure (radbound/studies/network_l1.py): the quick smoke test runs end to end and passes
its own check; the medium configuration is the one the figure's claims need.

Skipped, with the reason listed by ``-ra``, when torch is not installed.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

torch = pytest.importorskip("torch", reason="the network study needs torch (pip install radbound[torch])")

from radbound.study import load_study, read_rows, run_study  # noqa: E402

TIMING = ("_time_s", "_cpu_s")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("network_l1")
    study = load_study("network_l1")
    return study, run_study(study, quick=True, out=out, progress=False, check=True), out


def test_quick_network_study_runs_and_checks(quick):
    study, run, out = quick
    cfg = study.quick
    rows = run.rows
    assert len(rows) == len(cfg.lam) * len(cfg.eps) * cfg.n_reps
    assert (out / "network_l1.csv").exists() and (out / "network_l1.png").exists()
    for r in rows:
        assert math.isclose(r["gap"], r["adv_train_acc"] - r["adv_test_acc"], abs_tol=1e-12)
        assert math.isclose(r["nat_gap"], r["nat_train_acc"] - r["nat_test_acc"], abs_tol=1e-12)
        assert r["adv_train_acc"] <= r["nat_train_acc"] and r["adv_test_acc"] <= r["nat_test_acc"]
        for split in ("train", "test"):
            for method in cfg.certify:  # a certificate never beats the attack on the same images
                assert r[f"cert_{method}_{split}_acc"] <= r[f"adv_{split}_acc_certified_subset"]
        if r["eps"] == 0:
            assert r["adv_train_acc"] == r["nat_train_acc"] and r["gap"] == r["nat_gap"]
        for name in ("m_l1", "m_l1_over_margin", "m_spectral_bound"):
            assert math.isfinite(r[name]) and r[name] > 0
        assert math.isnan(r["m_l1_path"])  # path norms are not defined with max-pooling
        assert all(r[k] >= 0 for k in r if k.endswith(TIMING))
    # the l1 measure is the penalised quantity
    assert all(math.isclose(r["m_l1"], r["l1_all"], rel_tol=1e-5) for r in rows)
    # the CSV holds what compute_cell returned (resume would read the same rows)
    saved = read_rows(out / "network_l1.csv")
    assert [(r["lam"], r["eps"]) for r in saved] == [(r["lam"], r["eps"]) for r in rows]


def test_smoke_test_figure_is_stamped(quick):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    study, run, _ = quick
    fig = study.plot(run.rows, study.quick)
    try:
        texts = [t.get_text() for t in fig.texts] + [fig._suptitle.get_text()]
        assert any("smoke test, not a result" in t.lower() for t in texts)
    finally:
        plt.close(fig)
    fig = study.plot(run.rows, dataclasses.replace(study.quick, smoke_test=False))
    try:
        assert not any("smoke test" in t.get_text().lower() for t in fig.texts)
    finally:
        plt.close(fig)


def test_quick_network_cell_is_seeded():
    """compute_cell is a pure function of (cfg, cell, seed): same inputs, same row (timings aside)."""
    study = load_study("network_l1")
    cfg = study.make_config(quick=True, n_steps=5, lam=(0.0,), eps=(0.1,), n_certify=10)
    cell = {"lam": 0.0, "eps": 0.1, "rep": 0}
    a, b = (study.compute_cell(cfg, cell, 123)[0] for _ in range(2))
    drop = lambda row: {k: v for k, v in row.items() if not k.endswith(TIMING)}  # noqa: E731
    assert drop(a) == drop(b)


def test_medium_configuration_is_the_figure_the_claims_need():
    """The CPU configuration: >= 4 eps including 0, >= 3 lam, 3 repetitions, an evaluation attack
    stronger than training (more steps and restarts), and the paper's claims checked on it."""
    from radbound.studies.network_l1 import MEDIUM

    assert 0.0 in MEDIUM.eps and len(MEDIUM.eps) >= 4 and len(MEDIUM.lam) >= 3 and MEDIUM.n_reps == 3
    assert MEDIUM.eval_pgd_steps > MEDIUM.pgd_steps and MEDIUM.eval_restarts > 1
    assert MEDIUM.channels == (8, 16) and MEDIUM.hidden == 128 and not MEDIUM.smoke_test
    assert set(MEDIUM.certify) == {"ibp", "crown"}
    study = load_study("network_l1")
    assert study.preset("medium") == MEDIUM and study.make_config(preset="medium") == MEDIUM
    assert len(study.grid(MEDIUM)) == 36
    # check() asserts the paper's claims on a configuration of this size: a contradicting row set fails
    rows = []
    for lam in MEDIUM.lam:
        for eps in MEDIUM.eps:
            for rep in range(3):
                row = {"lam": lam, "eps": eps, "rep": rep, "gap": 0.1 - eps, "l1_all": 1.0 - lam}
                for key in ("nat_train_acc", "nat_test_acc", "adv_train_acc", "adv_test_acc"):
                    row[key] = 0.5
                for split in ("train", "test"):
                    row[f"adv_{split}_acc_certified_subset"] = 0.5
                    row.update({f"cert_{m}_{split}_acc": 0.1 for m in MEDIUM.certify})
                rows.append(row)
    from radbound.study import FigureClaimError

    with pytest.raises(FigureClaimError, match=r"gap at eps=0.05 .* not above the gap at eps=0"):
        study.check(rows, MEDIUM)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("eps", (0.0, -0.1), "eps must hold finite numbers >= 0"),
        ("certify", ("lp",), r"certify must be one of \['ibp', 'crown'\]"),
        ("eval_restarts", 0, "eval_restarts must be an integer >= 1"),
        ("pgd_rel_step", 0.0, "pgd_rel_step must be finite and > 0"),
        ("n_eval_train", 10**6, "n_eval_train must be <= n_train"),
        ("device", "tpu", "device must be"),
    ],
)
def test_bad_network_config_values_are_rejected(field, value, match):
    study = load_study("network_l1")
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(study.quick, **{field: value})
