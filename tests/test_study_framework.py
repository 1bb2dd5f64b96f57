"""The study framework: discovery, resumable CSV/JSON runs, seeds, joblib and dask, the CLI.

Every test runs a toy study written to a temporary studies folder (``--studies-dir``), loaded
by path as one's own studies are; the packaged figures are run by ``tests/test_studies.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from radbound.study import (
    Study,
    cell_seed,
    config_from_dict,
    config_to_dict,
    find_studies,
    load_study,
    load_study_file,
    read_rows,
    run_study,
    studies_dir,
)

TOY = textwrap.dedent(
    '''
    """A toy study: row value = index * scale + one normal draw from the cell seed."""
    import os
    import signal
    from dataclasses import dataclass

    import numpy as np

    from radbound.study import Study


    @dataclass(frozen=True)
    class ToyConfig:
        n_cells: int = 6
        scale: float = 1.0
        seed: int = 0

        def __post_init__(self):
            if self.n_cells < 1:
                raise ValueError(f"n_cells must be an integer >= 1, got {self.n_cells!r}")
            if not self.scale > 0:
                raise ValueError(f"scale must be > 0, got {self.scale!r}")


    def cells(cfg):
        return [{"i": i, "tag": "even" if i % 2 == 0 else "odd"} for i in range(cfg.n_cells)]


    def compute_cell(cfg, cell, seed):
        if os.environ.get("RADBOUND_TOY_DIE_AT") == str(cell["i"]):
            os.kill(os.getpid(), signal.SIGKILL)
        log = os.environ.get("RADBOUND_TOY_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(f"{cell['i']}\\n")
        rng = np.random.default_rng(seed)
        return [{"rep": r, "value": cell["i"] * cfg.scale + float(rng.normal())} for r in range(2)]


    def plot(rows, cfg):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.plot([r["i"] for r in rows], [r["value"] for r in rows], "o")
        return fig


    def check(rows, cfg):
        assert len(rows) == 2 * cfg.n_cells


    STUDY = Study(name="toy", config=ToyConfig, quick=ToyConfig(n_cells=3), full=ToyConfig(),
                  cells=cells, compute_cell=compute_cell, plot=plot, check=check,
                  description="toy", data_note="none")
    '''
)


@pytest.fixture
def sdir(tmp_path):
    d = tmp_path / "studies"
    d.mkdir()
    (d / "toy.py").write_text(TOY)
    return d


@pytest.fixture
def toy(sdir):
    return load_study("toy", sdir)


def _values(rows):
    return [(r["cell_key"], r["rep"], r["value"], r["cell_seed"]) for r in rows]


def _cli(argv):
    from radbound.cli import _study

    parser = argparse.ArgumentParser(prog="radbound")
    sub = parser.add_subparsers(dest="command")
    _study.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


# ---------------------------------------------------------------- seeds and configs
def test_cell_seed_is_a_function_of_seed_and_index():
    """Same (seed, index) -> same seed; distinct over a grid; distinct across master seeds."""
    seeds = [cell_seed(7, i) for i in range(200)]
    assert seeds == [cell_seed(7, i) for i in range(200)]
    assert len(set(seeds)) == 200
    assert not set(seeds) & {cell_seed(8, i) for i in range(200)}
    assert all(0 <= s < 2**63 for s in seeds)
    # reference: the SeedSequence rule itself
    hi, lo = np.random.SeedSequence([7, 3]).generate_state(2, np.uint32)
    assert seeds[3] == ((int(hi) << 32) | int(lo)) & (2**63 - 1)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        cell_seed(-1, 0)


def test_config_round_trip_and_bad_grid_values(toy):
    cfg = toy.make_config(seed=5, scale=2.5)
    assert config_from_dict(toy.config, json.loads(json.dumps(config_to_dict(cfg)))) == cfg
    with pytest.raises(ValueError, match="scale must be > 0"):
        toy.make_config(scale=-1.0)
    with pytest.raises(ValueError, match="no config field"):
        toy.make_config(nope=1)


# ---------------------------------------------------------------- a run and its files
def test_run_writes_rows_record_and_figure(toy, tmp_path):
    run = run_study(toy, quick=True, out=tmp_path / "o", progress=False, check=True)
    assert run.n_cells == 3 and run.n_computed == 3 and len(run.rows) == 6
    assert run.png.stat().st_size > 0
    assert read_rows(run.csv) == run.rows
    assert [r["cell_index"] for r in run.rows] == [0, 0, 1, 1, 2, 2]
    assert [r["cell_seed"] for r in run.rows[::2]] == [cell_seed(0, i) for i in range(3)]
    rec = json.loads(run.json.read_text())
    assert rec["study"] == "toy" and rec["status"] == "complete" and rec["cells_done"] == 3
    assert rec["config"] == {"n_cells": 3, "scale": 1.0, "seed": 0} and rec["seed"] == 0
    assert len(rec["sessions"]) == 1 and rec["wall_time_s"] > 0
    session = rec["sessions"][0]
    assert session["versions"]["numpy"] == np.__version__ and session["versions"]["radbound"]
    assert session["command"] and session["cells_computed"] == 3
    # the values are what compute_cell returns for the derived seed
    expected = 2 * 1.0 + float(np.random.default_rng(cell_seed(0, 2)).normal())
    assert run.rows[4]["value"] == expected


def test_rows_depend_only_on_config_and_seed(toy, tmp_path):
    a = run_study(toy, quick=True, out=tmp_path / "a", progress=False, plot=False)
    b = run_study(toy, quick=True, out=tmp_path / "b", progress=False, plot=False)
    c = run_study(toy, toy.make_config(quick=True, seed=1), out=tmp_path / "c", progress=False, plot=False)
    assert _values(a.rows) == _values(b.rows)
    assert [r["value"] for r in a.rows] != [r["value"] for r in c.rows]


# ---------------------------------------------------------------- resume
def test_resume_after_an_exception_recomputes_nothing(toy, tmp_path):
    calls = []

    def flaky(cfg, cell, seed):
        if len(calls) == 3:
            raise RuntimeError("interrupted")
        calls.append(cell["i"])
        return toy.compute_cell(cfg, cell, seed)

    out = tmp_path / "o"
    with pytest.raises(RuntimeError, match="interrupted"):
        run_study(dataclasses.replace(toy, compute_cell=flaky), out=out, progress=False, plot=False)
    assert json.loads((out / "toy.json").read_text())["status"] == "interrupted"
    assert len({r["cell_key"] for r in read_rows(out / "toy.csv")}) == 3
    calls.clear()

    def counting(cfg, cell, seed):
        calls.append(cell["i"])
        return toy.compute_cell(cfg, cell, seed)

    run = run_study(dataclasses.replace(toy, compute_cell=counting), out=out, progress=False, plot=False)
    assert sorted(calls) == [3, 4, 5] and run.n_computed == 3
    clean = run_study(toy, out=tmp_path / "clean", progress=False, plot=False)
    assert _values(run.rows) == _values(clean.rows)
    rec = json.loads((out / "toy.json").read_text())
    assert rec["status"] == "complete" and [s["cells_computed"] for s in rec["sessions"]] == [3, 3]


def test_killed_run_resumes_without_recomputing(sdir, tmp_path):
    """SIGKILL a real ``radbound study`` process midway, rerun, count every compute_cell call."""
    out, log = tmp_path / "o", tmp_path / "calls.log"
    env = dict(os.environ, RADBOUND_TOY_DIE_AT="4", RADBOUND_TOY_LOG=str(log), MPLBACKEND="Agg")
    code = "import sys; from radbound.cli import _study; " + _CLI_SNIPPET
    argv = ["study", "toy", "--studies-dir", str(sdir), "--out", str(out), "--no-progress"]
    proc = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    assert log.read_text().split() == ["0", "1", "2", "3"]
    # a torn last line (killed in the middle of a write) is dropped on resume
    with open(out / "toy.csv", "a") as fh:
        fh.write("4,123,partial")
    os.environ["RADBOUND_TOY_LOG"] = str(log)
    try:
        assert _cli(argv) == 0
    finally:
        del os.environ["RADBOUND_TOY_LOG"]
    assert sorted(log.read_text().split()) == [str(i) for i in range(6)]  # each cell computed exactly once
    clean = run_study(load_study("toy", sdir), out=tmp_path / "clean", progress=False, plot=False)
    assert _values(read_rows(out / "toy.csv")) == _values(clean.rows)


_CLI_SNIPPET = (
    "import argparse; p = argparse.ArgumentParser(); s = p.add_subparsers(); _study.register(s); "
    "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))"
)


def test_rerun_with_another_config_is_refused(toy, tmp_path):
    run_study(toy, quick=True, out=tmp_path, progress=False, plot=False)
    with pytest.raises(ValueError, match="use another --out folder"):
        run_study(toy, toy.make_config(quick=True, seed=3), out=tmp_path, progress=False, plot=False)


# ---------------------------------------------------------------- parallel and distributed
def test_joblib_two_jobs_equals_serial(toy, tmp_path):
    serial = run_study(toy, out=tmp_path / "s", progress=False, plot=False)
    parallel = run_study(toy, out=tmp_path / "p", jobs=2, progress=False, plot=False)
    assert _values(parallel.rows) == _values(serial.rows)
    assert json.loads(parallel.json.read_text())["sessions"][0]["jobs"] == 2


def test_dask_local_cluster_equals_serial(toy, tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = run_study(toy, out=tmp_path / "s", progress=False, plot=False)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = run_study(toy, out=tmp_path / "d", scheduler=client, progress=False, plot=False)
        by_address = run_study(toy, out=tmp_path / "a", scheduler=cluster.scheduler_address, progress=False)
    assert _values(remote.rows) == _values(serial.rows) == _values(by_address.rows)


# ---------------------------------------------------------------- plot-only
def test_plot_only_reads_only_the_files(toy, tmp_path):
    run = run_study(toy, quick=True, out=tmp_path, progress=False)
    run.png.unlink()

    def boom(*args):
        raise AssertionError("plot-only must not compute")

    broken = dataclasses.replace(toy, cells=boom, compute_cell=boom, validate=boom)
    again = run_study(broken, out=tmp_path, plot_only=True, progress=False)
    assert again.png.exists() and again.rows == run.rows and again.config == toy.quick
    with pytest.raises(FileNotFoundError, match="run the study first"):
        run_study(toy, out=tmp_path / "empty", plot_only=True)


# ---------------------------------------------------------------- discovery and bad input
def test_discovery_order_and_requires(sdir, tmp_path, monkeypatch, caplog):
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("RADBOUND_STUDIES", str(other))
    assert studies_dir() == other and studies_dir(sdir) == sdir
    monkeypatch.delenv("RADBOUND_STUDIES")
    assert studies_dir() is None  # the packaged figures of radbound.studies
    assert "linear_l1" in find_studies() and "common" not in find_studies()
    # a study needing a missing module: skipped by 'all', an error by name
    (sdir / "needs.py").write_text(
        TOY.replace('name="toy"', 'name="needs", requires=("no_such_module_radbound",)')
    )
    (sdir / "_helper.py").write_text("x = 1\n")
    assert list(find_studies(sdir)) == ["needs", "toy"]
    assert load_study("needs", sdir).missing == ("no_such_module_radbound",)
    assert (
        _cli(
            [
                "study",
                "all",
                "--quick",
                "--studies-dir",
                str(sdir),
                "--out",
                str(tmp_path / "o"),
                "--no-progress",
            ]
        )
        == 0
    )
    err = caplog.text  # a warning record of the logger radbound.cli (on stderr when run by main())
    assert "skipping needs" in err and "no_such_module_radbound" in err
    assert (tmp_path / "o" / "toy.png").exists() and not (tmp_path / "o" / "needs.csv").exists()
    with pytest.raises(ValueError, match="needs no_such_module_radbound, which is not installed"):
        _cli(["study", "needs", "--studies-dir", str(sdir), "--out", str(tmp_path / "o2")])


def test_bad_input_fails_before_any_work(sdir, tmp_path):
    out = tmp_path / "o"
    base = ["--studies-dir", str(sdir), "--out", str(out)]
    with pytest.raises(ValueError, match=r"known studies \[toy\].*'nope'"):
        _cli(["study", "nope", *base])
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="out must be a writable directory"):
        _cli(["study", "toy", "--studies-dir", str(sdir), "--out", str(blocker / "sub")])
    with pytest.raises(ValueError, match="--data does not apply to study 'toy'"):
        _cli(["study", "toy", "--data", str(tmp_path), *base])
    with pytest.raises(SystemExit):
        _cli(["study", "toy", "--jobs", "0", *base])
    toy = load_study("toy", sdir)
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        run_study(toy, out=out, jobs=0)
    with pytest.raises(TypeError, match="cfg must be a ToyConfig"):
        run_study(toy, {"n_cells": 2}, out=out)
    assert not out.exists() or not any(out.glob("toy.*"))
    (sdir / "broken.py").write_text("X = 1\n")
    with pytest.raises(ValueError, match="must define STUDY"):
        load_study_file(sdir / "broken.py")
    with pytest.raises(FileNotFoundError, match="studies folder must be an existing directory"):
        studies_dir(tmp_path / "missing")


def test_study_validates_its_fields():
    @dataclasses.dataclass(frozen=True)
    class NoSeed:
        n: int = 1

    with pytest.raises(ValueError, match="must have a 'seed' field"):
        Study(
            name="x", config=NoSeed, quick=NoSeed(), full=NoSeed(), cells=list, compute_cell=list, plot=list
        )
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        Study(
            name="a-b", config=NoSeed, quick=NoSeed(), full=NoSeed(), cells=list, compute_cell=list, plot=list
        )


def test_demo_runs_the_demo_studies_and_prints_the_pngs(sdir, tmp_path, capsys):
    """``radbound demo`` runs the demo configs of the paper-figure studies it finds and lists the PNGs."""
    for name in ("linear_l1", "linear_dimension"):
        (sdir / f"{name}.py").write_text(TOY.replace('name="toy"', f'name="{name}"'))
    out = tmp_path / "demo"
    assert _cli(["demo", "--studies-dir", str(sdir), "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    printed = capsys.readouterr().out.split("Figures written:")[1].split()
    assert printed == [str(out / "linear_l1.png"), str(out / "linear_dimension.png")]
    assert all(Path(p).exists() for p in printed)
    assert json.loads((out / "linear_l1.json").read_text())["config"]["n_cells"] == 3  # demo = quick here


def test_study_list_prints_every_study(sdir, capsys):
    assert _cli(["study", "list", "--studies-dir", str(sdir)]) == 0
    assert capsys.readouterr().out.startswith("toy: toy")


def test_all_skips_a_study_whose_config_cannot_run_here(sdir, tmp_path, caplog):
    """'all' skips (with its reason) a study whose validate() refuses the config; alone it is an error."""
    blocked = TOY.replace('name="toy"', 'name="blocked"').replace(
        'description="toy"', 'description="toy", validate=_refuse'
    )
    blocked = blocked.replace(
        "STUDY = Study(",
        'def _refuse(cfg):\n    raise ValueError("needs the full MNIST files")\n\n\nSTUDY = Study(',
    )
    (sdir / "blocked.py").write_text(blocked)
    out = tmp_path / "out"
    assert (
        _cli(["study", "all", "--quick", "--studies-dir", str(sdir), "--out", str(out), "--no-progress"]) == 0
    )
    err = caplog.text  # a warning record of the logger radbound.cli (on stderr when run by main())
    assert "skipping blocked: needs the full MNIST files" in err
    assert (out / "toy.csv").exists() and not (out / "blocked.csv").exists()
    with pytest.raises(ValueError, match="needs the full MNIST files"):
        _cli(["study", "blocked", "--quick", "--studies-dir", str(sdir), "--out", str(out), "--no-progress"])


# ---------------------------------------------------------------- command-line conventions
def test_set_overrides_fields_of_the_config(sdir, tmp_path):
    out = tmp_path / "o"
    argv = ["study", "toy", "--studies-dir", str(sdir), "--out", str(out), "--no-progress"]
    assert _cli([*argv, "--set", "scale=2.5", "--set", "n_cells=2"]) == 0
    assert json.loads((out / "toy.json").read_text())["config"] == {"n_cells": 2, "scale": 2.5, "seed": 0}
    with pytest.raises(ValueError, match=r"has no config field 'scal'.*did you mean 'scale'\?"):
        _cli([*argv, "--set", "scal=2"])
    with pytest.raises(ValueError, match="scale must be > 0"):
        _cli([*argv, "--set", "scale=-1"])
    with pytest.raises(ValueError, match="--set applies to one named study"):
        _cli(["study", "all", "--studies-dir", str(sdir), "--out", str(out), "--set", "scale=2"])
    with pytest.raises(SystemExit):
        _cli([*argv, "--set", "scale"])


def test_set_parses_tuples_numbers_and_strings():
    from radbound.cli._study import parse_setting

    assert parse_setting("[0, 0.01]", (0.0,)) == (0, 0.01)
    assert parse_setting("0,0.01", (0.0,)) == (0, 0.01)
    assert parse_setting("0.5", (0.0,)) == (0.5,)
    assert parse_setting("fast", "sgd-attack") == "fast"
    assert parse_setting("null", None) is None and parse_setting("true", False) is True


def test_a_misspelt_study_name_gets_a_suggestion(sdir, tmp_path):
    with pytest.raises(ValueError, match=r"got 'tyo'; did you mean 'toy'\?"):
        _cli(["study", "tyo", "--studies-dir", str(sdir), "--out", str(tmp_path)])
    with pytest.raises(ValueError, match=r"got 'linear_ll'; did you mean 'linear_l1'\?"):
        _cli(["study", "linear_ll", "--out", str(tmp_path)])


def test_study_list_json(sdir, capsys):
    assert _cli(["study", "list", "--json", "--studies-dir", str(sdir)]) == 0
    (info,) = json.loads(capsys.readouterr().out)
    assert info["name"] == "toy" and info["available"] and info["cells"] == {"quick": 3, "full": 6}
    assert info["config"]["quick"] == {"n_cells": 3, "scale": 1.0, "seed": 0}
    assert _cli(["study", "list", "--json"]) == 0
    names = [s["name"] for s in json.loads(capsys.readouterr().out)]
    assert {"linear_l1", "complexity_dimension"} <= set(names)


def test_progress_bar_only_on_a_terminal(toy, tmp_path, capsys):
    """The default (progress=None) draws a bar only when stderr is a terminal (not under capture)."""
    run_study(toy, out=tmp_path / "a", plot=False)
    assert "cell" not in capsys.readouterr().err
    run_study(toy, out=tmp_path / "b", plot=False, progress=True)
    assert "6/6" in capsys.readouterr().err


def test_jobs_defaults_are_the_documented_ones():
    from radbound.cli import build_parser
    from radbound.cli._study import DEMO_JOBS

    parser = build_parser()
    assert parser.parse_args(["study", "x"]).jobs == 1
    assert parser.parse_args(["demo"]).jobs == DEMO_JOBS == min(2, os.cpu_count() or 1)
    docs = (Path(__file__).resolve().parents[1] / "docs" / "studies.md").read_text()
    assert "`--jobs N` (default 1" in docs and "`radbound demo` uses min(2, cores)" in docs


def test_a_failed_claim_is_one_line_and_exit_1(sdir, tmp_path, capsys):
    bad = TOY.replace('name="toy"', 'name="liar"').replace(
        "def check(rows, cfg):\n    assert len(rows) == 2 * cfg.n_cells",
        "def check(rows, cfg):\n    from radbound.study import claim\n    claim(False, 'too much')",
    )
    (sdir / "liar.py").write_text(bad)
    argv = ["study", "liar", "--studies-dir", str(sdir), "--out", str(tmp_path), "--no-progress", "--check"]
    assert _cli(argv) == 1
    assert "figure claim failed: too much" in capsys.readouterr().err


def test_named_presets_beside_quick_and_full(sdir, tmp_path, capsys):
    """A study's ``presets`` are chosen by name (API and CLI), recorded in the JSON, and listed."""
    (sdir / "mid.py").write_text(
        TOY.replace('name="toy"', 'name="mid", presets={"medium": ToyConfig(n_cells=2, scale=3.0)}')
    )
    study = load_study("mid", sdir)
    assert study.preset_names == ("quick", "medium", "full")
    assert study.make_config(preset="medium") == study.presets["medium"]
    assert study.preset_of(study.make_config(preset="medium", seed=4)) is None
    with pytest.raises(
        ValueError, match=r"preset must be one of \['quick', 'medium', 'full'\].*'meduim'.*'medium'"
    ):
        study.make_config(preset="meduim")
    with pytest.raises(ValueError, match="presets must be named by identifiers other than"):
        dataclasses.replace(study, presets={"quick": study.quick})
    out = tmp_path / "o"
    argv = ["study", "mid", "--studies-dir", str(sdir), "--out", str(out), "--no-progress"]
    assert _cli([*argv, "--preset", "medium"]) == 0
    rec = json.loads((out / "mid.json").read_text())
    assert rec["preset"] == "medium" and rec["config"]["n_cells"] == 2 and rec["config"]["scale"] == 3.0
    with pytest.raises(ValueError, match="--quick and --preset medium both given"):
        _cli([*argv, "--preset", "medium", "--quick"])
    assert _cli(["study", "list", "--studies-dir", str(sdir)]) == 0
    assert "[presets: medium]" in capsys.readouterr().out
    assert _cli(["study", "list", "--json", "--studies-dir", str(sdir)]) == 0
    info = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert info["mid"]["presets"] == ["quick", "medium", "full"] and info["mid"]["cells"]["medium"] == 2


def test_each_session_and_replot_records_its_command_and_versions(toy, tmp_path, monkeypatch):
    out = tmp_path / "o"
    monkeypatch.setattr(sys, "argv", ["/somewhere/bin/radbound", "study", "toy", "--out", "first"])
    calls = {"n": 0}

    def stop_after_two(cfg, cell, seed):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("stop")
        return toy.compute_cell(cfg, cell, seed)

    with pytest.raises(RuntimeError):
        run_study(dataclasses.replace(toy, compute_cell=stop_after_two), out=out, progress=False, plot=False)
    monkeypatch.setattr(sys, "argv", ["/x/radbound/__main__.py", "study", "toy", "--out", "second"])
    run_study(toy, out=out, progress=False)
    run_study(toy, out=out, plot_only=True)
    rec = json.loads((out / "toy.json").read_text())
    assert [s["command"] for s in rec["sessions"]] == [
        "radbound study toy --out first",
        "python -m radbound study toy --out second",
    ]
    assert all(s["versions"]["numpy"] == np.__version__ for s in rec["sessions"])
    assert [s["cells_computed"] for s in rec["sessions"]] == [2, 4]
    (replot,) = rec["replots"]
    assert (
        replot["command"] == "python -m radbound study toy --out second" and replot["versions"]["matplotlib"]
    )
    assert "versions" not in rec and "command" not in rec


def test_a_record_of_the_older_layout_is_upgraded(toy, tmp_path):
    """Older records kept one run-wide command (the first run's) and versions (the last run's)."""
    out = tmp_path / "o"
    run_study(toy, out=out, progress=False)
    rec = json.loads((out / "toy.json").read_text())
    old = {k: v for k, v in rec.items() if k not in ("config_id", "preset")}
    old["command"] = "/abs/path/radbound/__main__.py study toy --out tmpdir"
    old["versions"] = old["sessions"][0].pop("versions")
    del old["sessions"][0]["command"]
    (out / "toy.json").write_text(json.dumps(old))
    run_study(toy, out=out, plot_only=True)
    new = json.loads((out / "toy.json").read_text())
    assert new["sessions"][0]["command"] == "python -m radbound study toy --out tmpdir"
    assert new["sessions"][0]["versions"] == old["versions"] and "versions" not in new


def test_a_bad_option_shows_the_subcommand_usage_and_a_suggestion(capsys):
    from radbound.cli import main

    with pytest.raises(SystemExit) as info:
        main(["study", "linear_l1", "--jbos", "2"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.startswith("usage: radbound study") and "did you mean '--jobs'?" in err
    with pytest.raises(SystemExit):
        main(["demo", "--nope"])
    assert capsys.readouterr().err.startswith("usage: radbound demo")
