"""The figure studies of :mod:`radbound.studies`: each runs in --quick mode and shows what its figure claims.

Quick configs are small (a few hundred SGD steps, n = 10 for exact complexities) but the claims
checked by each study's ``check`` are the robust ones (e.g. the adversarial gap is larger at
eps = 0.03 than at eps = 0; the exact complexity lies inside the paper's bounds).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from radbound.study import find_studies, load_study, read_rows, run_study

MINE = ("linear_l1", "linear_dimension", "complexity_dimension", "bound_vs_gap")


def test_the_figure_studies_are_discovered():
    files = find_studies()
    assert set(MINE) <= set(files)
    assert all(files[n].module == f"radbound.studies.{n}" for n in MINE)
    for name in MINE:
        study = load_study(name)
        assert study.description and study.data_note and study.check is not None
        assert len(study.grid(study.quick)) <= 8  # quick means seconds


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """Quick runs, computed once per module (with their check)."""
    runs = {}

    def get(name):
        if name not in runs:
            out = tmp_path_factory.mktemp(name)
            runs[name] = run_study(load_study(name), quick=True, out=out, progress=False, check=True)
        return runs[name]

    return get


@pytest.mark.parametrize("name", MINE)
def test_quick_run_shows_what_the_figure_claims(name, quick_run):
    run = quick_run(name)
    assert run.png.stat().st_size > 10_000
    rec = json.loads(run.json.read_text())
    assert (
        rec["status"] == "complete"
        and rec["resources"]["n_pool"] == 7000
        and rec["resources"]["n_test"] == 3000
    )
    assert all("bundled MNIST" in r["data"] for r in run.rows)


def test_linear_l1_rows_are_consistent(quick_run):
    """Gap = adversarial train - test accuracy; robust accuracy <= natural accuracy; eps = 0 is natural."""
    rows = quick_run("linear_l1").rows
    for r in rows:
        assert r["gap"] == pytest.approx(r["adv_train_acc"] - r["adv_test_acc"], abs=1e-12)
        assert r["adv_train_acc"] <= r["nat_train_acc"] and r["adv_test_acc"] <= r["nat_test_acc"]
        assert r["n_train"] == 300 and r["n_test"] == 3000 and r["d"] == 784
        if r["eps"] == 0:
            assert r["adv_train_acc"] == r["nat_train_acc"] and r["adv_test_acc"] == r["nat_test_acc"]


def test_same_repetition_uses_the_same_training_images():
    from radbound.studies.common.mnist import mnist_split, training_sample

    pool, test, note = mnist_split(None, test_size=3000, seed=0)
    a = training_sample(pool, 100, seed=0, rep=1)
    b = training_sample(pool, 100, seed=0, rep=1)
    c = training_sample(pool, 100, seed=0, rep=2)
    assert np.array_equal(a.X, b.X) and not np.array_equal(a.X, c.X)
    assert len(pool) == 7000 and len(test) == 3000 and "seed 0" in note


def test_complexity_dimension_cap_follows_the_dimension_law(quick_run):
    """The derived cap eps W d^{1/q} E|s|/(2n) scales exactly as d^{1/q} (1 for p = 1)."""
    study = load_study("complexity_dimension")
    rows = read_rows(quick_run("complexity_dimension").csv)
    eps = max(study.quick.eps)
    for p, slope in ((1.0, 0.0), (2.0, 0.5), (np.inf, 1.0)):
        cap = {r["d"]: r["cap_sharp"] for r in rows if r["p"] == p and r["eps"] == eps and r["set"] == 0}
        assert cap[3136] / cap[196] == pytest.approx(16.0**slope, rel=1e-9)
        for r in rows:
            if r["p"] == p:
                assert r["increment"] <= r["cap_sharp"] * (1 + 1e-9) + 1e-12


@pytest.mark.parametrize(
    ("name", "field", "value", "match"),
    [
        ("linear_l1", "eps", (-0.1, 0.0), "eps must hold finite numbers >= 0"),
        ("linear_l1", "lam", (0.0, 0.0), "lam must hold distinct values"),
        ("linear_l1", "solver", "adam", "solver must be one of"),
        ("linear_l1", "batch_size", 5000, "batch_size must be <= n_train"),
        ("linear_dimension", "side", (20,), "side must hold values in"),
        ("complexity_dimension", "p", (0.5,), r"p must hold distinct exponents in \[1, inf\]"),
        ("complexity_dimension", "n", 30, "n must be <= 22 for method='exact'"),
        ("bound_vs_gap", "delta", 1.5, r"delta must be in \(0, 1\)"),
    ],
)
def test_bad_grid_values_are_rejected(name, field, value, match):
    study = load_study(name)
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(study.quick, **{field: value})


def test_a_data_path_without_mnist_fails_before_any_work(tmp_path):
    study = load_study("linear_l1")
    calls = []
    counting = dataclasses.replace(study, compute_cell=lambda *a: calls.append(a) or [{"x": 1}])
    with pytest.raises(FileNotFoundError, match="data must be a path holding MNIST"):
        run_study(counting, study.make_config(quick=True, data=str(tmp_path / "nope")), out=tmp_path / "o")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "readme.txt").write_text("not mnist")
    with pytest.raises(FileNotFoundError):
        run_study(counting, study.make_config(quick=True, data=str(tmp_path / "junk")), out=tmp_path / "o")
    assert calls == [] and not (tmp_path / "o" / "linear_l1.csv").exists()


_CLAIM_PROBE = """
import sys
from radbound.study import FigureClaimError, load_study
study = load_study("linear_l1")
cfg = study.quick
rows = [
    {"rule": rule, "lam": lam, "eps": eps, "rep": 0, "gap": 0.5 - eps}
    for rule in cfg.rules
    for lam in cfg.lam
    for eps in cfg.eps
]
try:
    study.check(rows, cfg)
except FigureClaimError as exc:
    print("raised:", exc)
    sys.exit(0)
sys.exit(1)
"""


def test_figure_claims_hold_under_python_O():
    """A figure's claims are real checks: under ``python -O`` (asserts stripped) a rows set that
    contradicts the claim still raises FigureClaimError, naming what failed."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-O", "-c", _CLAIM_PROBE], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "raised: rule=paper, lam=0.0: gap at eps=0.03" in proc.stdout
