"""Study fault tests: short writes, concurrent runs, damaged files, interrupted and killed runs.

Each test damages a run of a toy study the way a crash, a second process or a stray edit would,
and checks the three promises of the study files: a cell is counted only when all its rows are on
disk and verified; nothing is ever counted twice; whatever cannot be trusted is named (file and
line), kept aside and recomputed, so that the final rows equal those of an undisturbed run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest

from radbound.study import (
    DamagedFileError,
    StudyFileWarning,
    StudyInterrupted,
    StudyLockedError,
    load_study,
    read_rows,
    run_study,
    scan_csv,
)
from radbound.study import _io as study_io
from radbound.study._lock import study_lock

TOY = textwrap.dedent(
    '''
    """Toy study for the fault tests: three rows per cell, optional sleep and call log."""
    import os
    import time
    from dataclasses import dataclass

    import numpy as np

    from radbound.study import Study, claim


    @dataclass(frozen=True)
    class FaultConfig:
        n_cells: int = 6
        seed: int = 0


    def cells(cfg):
        return [{"i": i} for i in range(cfg.n_cells)]


    def compute_cell(cfg, cell, seed):
        log = os.environ.get("RADBOUND_FAULT_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(f"{cell['i']}\\n")
        time.sleep(float(os.environ.get("RADBOUND_FAULT_SLEEP", "0")))
        rng = np.random.default_rng(seed)
        return [{"r": r, "value": float(rng.normal()), "label": f"row {r}"} for r in range(3)]


    def plot(rows, cfg):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.plot([r["value"] for r in rows])
        return fig


    def check(rows, cfg):
        claim(len(rows) == 3 * cfg.n_cells, f"expected {3 * cfg.n_cells} rows, got {len(rows)}")


    STUDY = Study(name="fault", config=FaultConfig, quick=FaultConfig(n_cells=4), full=FaultConfig(),
                  cells=cells, compute_cell=compute_cell, plot=plot, check=check,
                  description="fault-test toy", data_note="none")
    '''
)

ON_LINUX = sys.platform.startswith("linux")


@pytest.fixture
def sdir(tmp_path):
    d = tmp_path / "studies"
    d.mkdir()
    (d / "fault.py").write_text(TOY)
    return d


@pytest.fixture
def fault(sdir):
    return load_study("fault", sdir)


@pytest.fixture
def clean_rows(fault, tmp_path):
    """The rows of an undisturbed run (not logged as calls)."""
    log = os.environ.pop("RADBOUND_FAULT_LOG", None)
    try:
        return _values(run_study(fault, out=tmp_path / "clean", progress=False, plot=False).rows)
    finally:
        if log is not None:
            os.environ["RADBOUND_FAULT_LOG"] = log


@pytest.fixture
def calls(tmp_path, monkeypatch):
    """The cells computed (the toy appends each cell index to a log file)."""
    log = tmp_path / "calls.log"
    monkeypatch.setenv("RADBOUND_FAULT_LOG", str(log))

    def read() -> list[int]:
        got = sorted(int(x) for x in log.read_text().split()) if log.exists() else []
        log.unlink(missing_ok=True)
        return got

    return read


def _values(rows):
    return [(r["cell_key"], r["r"], r["value"], r["label"]) for r in rows]


def _run(study, out, **kw):
    return run_study(study, out=out, progress=False, plot=False, **kw)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def _cli(sdir: Path, *args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    code = "import sys; from radbound.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, "study", "fault", "--studies-dir", str(sdir), "--no-progress", *args]
    return subprocess.Popen(
        argv,
        env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


# ---------------------------------------------------------------- short writes
def test_a_write_returning_fewer_bytes_is_completed(fault, tmp_path, monkeypatch, clean_rows):
    """``os.write`` may take fewer bytes than given: the writer loops until every byte is written."""
    real = os.write
    sizes = []

    def stingy(fd, data):
        sizes.append(len(data))
        return real(fd, bytes(data[:7]))

    monkeypatch.setattr(study_io.os, "write", stingy)
    run = _run(fault, tmp_path / "o")
    monkeypatch.undo()
    assert max(sizes) > 7  # cells are longer than one call's worth
    assert _values(run.rows) == clean_rows and scan_csv(run.csv).clean


def test_a_write_cut_short_is_recomputed(fault, tmp_path, monkeypatch, calls, clean_rows):
    """A cell whose write fails halfway (disk full, a crash) is not counted: the rerun recomputes it."""
    real = os.write
    state = {"writes": 0}

    def failing(fd, data):
        if bytes(data[:1]) != b"{":  # CSV writes (the JSON record starts with "{")
            state["writes"] += 1
        if state["writes"] == 3 and bytes(data[:1]) != b"{":  # the third cell: half, then disk full
            real(fd, bytes(data[: len(data) // 2]))
            raise OSError(28, "No space left on device")
        return real(fd, data)

    out = tmp_path / "o"
    monkeypatch.setattr(study_io.os, "write", failing)
    with pytest.raises(OSError, match="No space left"):
        _run(fault, out)
    monkeypatch.setattr(study_io.os, "write", real)
    assert calls() == [0, 1, 2]
    assert json.loads((out / "fault.json").read_text())["status"] == "interrupted"
    with pytest.warns(StudyFileWarning, match=r"fault\.csv: .*incomplete last line"):
        run = _run(fault, out)
    assert calls() == [2, 3, 4, 5] and run.n_computed == 4
    assert _values(run.rows) == clean_rows


def test_dropping_the_last_lines_recomputes_the_incomplete_cell(fault, tmp_path, calls, clean_rows):
    """The reported case: drop the last 3 CSV lines of a complete run, rerun -> that cell again."""
    out = tmp_path / "o"
    _run(fault, out)
    calls()
    csv = out / "fault.csv"
    lines = _lines(csv)
    csv.write_text("".join(lines[:-2]))  # cell 5 keeps 1 of its 3 rows
    with pytest.warns(StudyFileWarning, match=r"line 17: cell 5 has 1 of its 3 rows"):
        run = _run(fault, out)
    assert calls() == [5] and run.n_computed == 1 and len(run.rows) == 18
    assert _values(run.rows) == clean_rows
    rec = json.loads((out / "fault.json").read_text())
    assert rec["status"] == "complete" and rec["cells_done"] == 6
    assert (out / "fault.csv.damaged-1").read_text() == "".join(lines[:-2])  # kept as it was


def test_the_cli_reproduction_recomputes_and_counts_each_cell_once(sdir, tmp_path):
    """The command-line version: complete run, drop 3 lines, rerun: every row there, status complete."""
    out = tmp_path / "d"
    first = _cli(sdir, "--out", str(out))
    assert first.wait(120) == 0, first.stderr.read()
    csv = out / "fault.csv"
    csv.write_text("".join(_lines(csv)[:-4]))  # cell 5 gone, cell 4 keeps 2 of its 3 rows
    again = _cli(sdir, "--out", str(out))
    assert again.wait(120) == 0
    err = again.stderr.read()
    assert "untrusted lines in" in err and "cell 4 has 2 of its 3 rows" in err and "2 computed now" in err
    assert "Traceback" not in err
    assert len(read_rows(csv)) == 18 and json.loads((out / "fault.json").read_text())["status"] == "complete"


# ---------------------------------------------------------------- concurrent runs
def test_a_second_run_into_the_same_folder_is_refused_naming_the_first(fault, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    with study_lock(out, "fault"):
        with pytest.raises(StudyLockedError, match=rf"process {os.getpid()} on .* is running fault"):
            _run(fault, out)
    assert not (out / "fault.csv").exists()
    _run(fault, out)  # the lock is released with its holder
    assert not (out / ".fault.lock").exists()


def test_two_processes_started_together_never_double_a_cell(sdir, tmp_path):
    """Two `radbound study` processes into one folder: one runs, the other stops at once (exit 2,
    naming the first); every cell is on disk exactly once."""
    out = tmp_path / "o"
    env = {"RADBOUND_FAULT_SLEEP": "0.3"}
    a = _cli(sdir, "--out", str(out), env=env)
    time.sleep(0.05)
    b = _cli(sdir, "--out", str(out), env=env)
    codes = sorted([a.wait(120), b.wait(120)])
    errs = a.stderr.read() + b.stderr.read()
    assert codes == [0, 2], errs
    assert "is running fault into" in errs and "Traceback" not in errs
    scan = scan_csv(out / "fault.csv")
    assert scan.clean and len(scan.cells) == 6 and len(scan.rows()) == 18


def test_a_duplicated_cell_is_counted_once(fault, tmp_path, calls, clean_rows):
    """A second copy of a cell (e.g. left by two runs of an older version) is read once, named,
    and dropped from the file on the next run without recomputing anything."""
    out = tmp_path / "o"
    _run(fault, out)
    calls()
    csv = out / "fault.csv"
    lines = _lines(csv)
    csv.write_text("".join(lines + lines[4:7]))  # cell 1 again at the end
    with pytest.warns(StudyFileWarning, match=r"lines 20-22: a second copy of cell 1, not counted"):
        rows = read_rows(csv)
    assert _values(rows) == clean_rows
    with pytest.warns(StudyFileWarning, match="second copy"):
        run = _run(fault, out)
    assert calls() == [] and run.n_computed == 0 and _values(run.rows) == clean_rows
    assert scan_csv(csv).clean


def test_records_are_written_through_unique_temporary_files(tmp_path):
    """Concurrent writers of the same JSON never collide on a temporary name."""
    target = tmp_path / "r.json"
    errors = []

    def writer(k):
        try:
            for i in range(100):
                study_io.write_record(target, {"config": {"k": k, "i": i}})
        except Exception as exc:  # pragma: no cover - what the test guards against
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and study_io.read_record(target)["config"]["i"] == 99
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


# ---------------------------------------------------------------- damaged files
def _header_copy(lines):
    return lines[0]


def _garbage(lines):
    return "\x00\x7fgarbage;;not a row\n"


def _short(lines):
    return ",".join(lines[5].split(",")[:-3]) + "\n"


def _unknown_cell(lines):
    return lines[5].replace('"{""i"":1}"', '"{""i"":99}"')


@pytest.mark.parametrize(
    ("damage", "at", "message", "recomputed"),
    [
        (_garbage, 5, r"line 6: 1 field\(s\), expected 10", [1]),
        (_header_copy, 5, "line 6: a repeated header", [1]),
        (_short, 5, r"line 6: 7 field\(s\), expected 10", [1]),
        (_unknown_cell, 19, "line 20: a row of a cell that is not in the grid", []),
    ],
    ids=["garbage line", "duplicated header", "short line", "row of an unknown cell"],
)
def test_a_damaged_line_is_named_kept_aside_and_recomputed(
    fault, tmp_path, calls, clean_rows, damage, at, message, recomputed
):
    out = tmp_path / "o"
    _run(fault, out)
    calls()
    csv = out / "fault.csv"
    lines = _lines(csv)
    damaged = lines[:at] + [damage(lines)] + lines[at:]
    csv.write_text("".join(damaged))
    with pytest.warns(StudyFileWarning, match=rf"line {at + 1}"):
        plotted = read_rows(csv)  # reading alone never fails on a damaged line
    assert len(plotted) == 18 - 3 * len(recomputed)
    with pytest.warns(StudyFileWarning, match=rf"fault\.csv: .*{message}"):
        run = _run(fault, out)
    assert calls() == recomputed and _values(run.rows) == clean_rows
    assert scan_csv(csv).clean
    assert (out / "fault.csv.damaged-1").read_text() == "".join(damaged)


def test_a_corrupted_value_fails_its_cell_checksum(fault, tmp_path, calls, clean_rows):
    out = tmp_path / "o"
    _run(fault, out)
    calls()
    csv = out / "fault.csv"
    lines = _lines(csv)
    lines[8] = lines[8].replace("row 1", "row 9")
    csv.write_text("".join(lines))
    with pytest.warns(StudyFileWarning, match="lines 8-10: cell 2 fails its checksum"):
        run = _run(fault, out)
    assert calls() == [2] and _values(run.rows) == clean_rows


def test_a_damaged_header_quarantines_the_whole_file(fault, tmp_path, calls, clean_rows):
    out = tmp_path / "o"
    _run(fault, out)
    calls()
    csv = out / "fault.csv"
    csv.write_text("!!" + csv.read_text())
    with pytest.warns(StudyFileWarning, match="line 1: not a study CSV header"):
        run = _run(fault, out)
    assert calls() == [0, 1, 2, 3, 4, 5] and _values(run.rows) == clean_rows


def test_a_truncated_json_is_named_rebuilt_and_loses_no_cell(fault, tmp_path, calls, clean_rows):
    out = tmp_path / "o"
    _run(fault, out)
    calls()
    js = out / "fault.json"
    text = js.read_text()
    js.write_text(text[: len(text) // 2])
    with pytest.raises(DamagedFileError, match=r"fault\.json is damaged: line \d+, column \d+"):
        run_study(fault, out=out, plot_only=True)
    with pytest.warns(
        StudyFileWarning, match=r"fault\.json is damaged: line \d+, column \d+.*kept as fault\.json"
    ):
        run = _run(fault, out)
    assert calls() == [] and _values(run.rows) == clean_rows
    rec = json.loads(js.read_text())
    assert rec["status"] == "complete" and rec["cells_done"] == 6
    assert (out / "fault.json.damaged-1").read_text() == text[: len(text) // 2]


def test_rows_of_another_configuration_are_not_counted(fault, tmp_path, calls):
    """Without its JSON, a folder's rows are matched to the config by the id they carry."""
    out = tmp_path / "o"
    _run(fault, out)
    (out / "fault.json").unlink()
    calls()
    with pytest.warns(StudyFileWarning, match="a row of another configuration"):
        run = _run(fault, out, cfg=fault.make_config(seed=1))
    assert calls() == [0, 1, 2, 3, 4, 5] and run.n_computed == 6


def test_a_config_mismatch_lists_only_the_fields_that_differ(fault, tmp_path):
    out = tmp_path / "o"
    _run(fault, out)
    with pytest.raises(ValueError, match=r"another config \(seed: 0 there, 3 here\): use another --out"):
        _run(fault, out, cfg=fault.make_config(seed=3))


# ---------------------------------------------------------------- interruption and killed runs
def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(p)
    return alive


@pytest.mark.skipif(not ON_LINUX, reason="reads worker processes from /proc (Linux)")
@pytest.mark.parametrize(
    ("sig", "n_cells"),
    [(signal.SIGTERM, 6), (signal.SIGINT, 6), (signal.SIGKILL, 6), (signal.SIGTERM, 60)],
    ids=["TERM", "INT", "KILL", "TERM with many cells waiting"],
)
def test_killing_a_two_job_run_leaves_no_worker_behind(sdir, tmp_path, sig, n_cells):
    out = tmp_path / "o"
    args = ["--out", str(out), "--jobs", "2", "--set", f"n_cells={n_cells}"]
    proc = _cli(sdir, *args, env={"RADBOUND_FAULT_SLEEP": "1.0"})
    csv, deadline = out / "fault.csv", time.monotonic() + 120
    while time.monotonic() < deadline and not (csv.exists() and len(_lines(csv)) >= 4):
        time.sleep(0.05)  # a first cell is saved: the workers are running
    workers = _children(proc.pid)
    assert len(workers) >= 2, proc.stderr.read() if proc.poll() is not None else workers
    proc.send_signal(sig)
    code = proc.wait(60)
    err = proc.stderr.read()
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(workers) == set(), f"workers left behind after {sig.name}"
    if sig != signal.SIGKILL:
        assert code == 130 and "Traceback" not in err, err
        assert "cells of fault saved in" in err and "rerun to resume" in err
    # whatever was saved is trusted and the rerun completes
    rerun = _cli(sdir, "--out", str(out), "--set", f"n_cells={n_cells}")
    assert rerun.wait(120) == 0, rerun.stderr.read()
    assert len(read_rows(out / "fault.csv")) == 3 * n_cells


@pytest.mark.skipif(not ON_LINUX, reason="signals a subprocess (POSIX)")
def test_ctrl_c_reports_the_saved_cells_and_exits_130(sdir, tmp_path):
    out = tmp_path / "o"
    proc = _cli(sdir, "--out", str(out), env={"RADBOUND_FAULT_SLEEP": "0.5"})
    deadline = time.monotonic() + 60
    csv = out / "fault.csv"
    while time.monotonic() < deadline and (not csv.exists() or len(_lines(csv)) < 7):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(60)
    err = proc.stderr.read()
    assert code == 130 and "Traceback" not in err, err
    saved = len(scan_csv(csv).cells)
    assert f"interrupted: {saved} of 6 cells of fault saved in {csv}; rerun to resume" in err, err
    assert json.loads((out / "fault.json").read_text())["status"] == "interrupted"


def test_interrupting_run_study_raises_study_interrupted_after_saving(fault, tmp_path):
    def ctrl_c_at_third(cfg, cell, seed):
        if cell["i"] == 2:
            raise KeyboardInterrupt
        return fault.compute_cell(cfg, cell, seed)

    import dataclasses

    with pytest.raises(StudyInterrupted) as info:
        _run(dataclasses.replace(fault, compute_cell=ctrl_c_at_third), tmp_path / "o")
    assert (info.value.n_saved, info.value.n_cells) == (2, 6)
    assert str(info.value) == "2 of 6 cells saved; rerun to resume"


def test_an_unreachable_scheduler_fails_fast_with_one_line(sdir, tmp_path):
    pytest.importorskip("distributed")
    # baseline in the same test: the same CLI start-up with a usage error (no scheduler involved)
    start = time.monotonic()
    assert _cli(sdir, "--out", str(tmp_path / "b"), "--jobs", "0").wait(120) == 2
    startup = time.monotonic() - start
    start = time.monotonic()
    proc = _cli(sdir, "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9")
    code = proc.wait(120)
    err = proc.stderr.read()
    # fails fast: the start-up plus at most the 5 s connection probe (a refused port answers at once),
    # not distributed's own connection timeout
    assert code == 2 and time.monotonic() - start < 2 * startup + 10
    assert "cannot reach a dask scheduler at 'tcp://127.0.0.1:9'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_file_warnings_do_not_break_plot_only(fault, tmp_path):
    out = tmp_path / "o"
    _run(fault, out)
    csv = out / "fault.csv"
    csv.write_text(csv.read_text() + "junk\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = run_study(fault, out=out, plot_only=True)
    assert run.png.exists() and len(run.rows) == 18
    assert any("line 20" in str(w.message) for w in caught)
