"""Running a study: grid cells -> CSV rows (resumable) -> JSON record -> PNG.

Cells run serially, through joblib (``jobs``) or on a dask.distributed cluster
(``scheduler``). Each finished cell's rows are appended to ``NAME.csv`` at once
(one write, flushed), tagged with the cell's key; a rerun skips every cell whose
key is already there, so an interrupted run loses nothing. ``NAME.json`` records
the config, seed, versions and wall time; a rerun whose config differs from the
record is refused (use another output folder).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib
import os
import platform
import signal
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._core import Study, cell_key, cell_seed, config_from_dict, config_to_dict
from ._discovery import load_study_source
from ._io import (
    META_COLUMNS,
    append_rows,
    read_header,
    read_record,
    read_rows,
    row_values,
    versions,
    write_record,
)

__all__ = ["run_study", "StudyRun", "check_output_dir", "preflight"]


@dataclass(frozen=True)
class StudyRun:
    """What a study run produced.

    Attributes
    ----------
    name : str
        The study's name.
    config : object
        The config the rows were computed with.
    rows : list of dict
        All rows, in grid order.
    csv, json : Path
        The result files.
    png : Path or None
        The figure (None when plotting was skipped).
    n_cells, n_computed : int
        Grid size, and the cells computed by this call (the others were resumed).
    wall_time_s : float
        Wall time of this call, in seconds.
    """

    name: str
    config: Any
    rows: list[dict[str, Any]] = field(repr=False)
    csv: Path
    json: Path
    png: Path | None
    n_cells: int
    n_computed: int
    wall_time_s: float


def check_output_dir(out: str | os.PathLike) -> Path:
    """Create ``out`` if needed and check that files can be written in it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     check_output_dir(pathlib.Path(tmp) / "a" / "b").is_dir()
    True
    """
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ValueError(
            f"out must be a writable directory, got {str(path)!r} ({exc.strerror or exc})"
        ) from None
    return path


def _rows_of(study: Study, raw: Any, cell: Mapping[str, Any], index: int, seed: int) -> list[dict]:
    where = f"study {study.name!r} compute_cell"
    if isinstance(raw, Mapping) or not isinstance(raw, (list, tuple)):
        raise TypeError(f"{where} must return a list of dicts, got {type(raw).__name__}")
    if not raw:
        raise ValueError(f"{where} must return at least one row, got none for cell {dict(cell)}")
    meta = {"cell_index": index, "cell_seed": seed, "cell_key": cell_key(cell)}
    return [{**meta, **cell, **row_values(r, where)} for r in raw]


def _terminate_as_interrupt() -> Any:
    """Turn SIGTERM into KeyboardInterrupt (main thread only), so a killed run records its state."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    return signal.signal(signal.SIGTERM, handler)


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Cells are the unit of parallelism: BLAS runs single-threaded inside a cell.

    (Small matrix products with several BLAS threads on a busy machine can be 10-40x
    slower than with one.)
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with joblib
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _compute(study: Study, cfg: Any, cell: dict, seed: int) -> Any:
    with _one_blas_thread():
        return study.compute_cell(cfg, dict(cell), seed)


def _execute(ref: tuple, cfg_dict: dict, index: int, cell: dict, seed: int) -> tuple[int, Any]:
    """Worker task: (re)load the study, rebuild the config, compute one cell."""
    if ref[0] == "module":
        study = importlib.import_module(ref[1]).STUDY
    elif ref[0] == "source":
        _, name, filename, text = ref
        study = load_study_source(name, filename, text)
    else:
        study = ref[1]
    cfg = config_from_dict(study.config, cfg_dict)
    return index, _compute(study, cfg, cell, seed)


def _study_ref(study: Study) -> tuple:
    if study.module is not None:
        return ("module", study.module)
    if study.source and Path(study.source).is_file():
        return ("source", study.name, study.source, Path(study.source).read_text())
    return ("object", study)


def _results(
    study: Study, cfg: Any, pending: list[tuple[int, dict, int]], jobs: int, scheduler: Any
) -> Iterator[tuple[int, Any]]:
    if scheduler is None and jobs == 1:
        for index, cell, seed in pending:
            yield index, _compute(study, cfg, cell, seed)
        return
    ref, cfg_dict = _study_ref(study), config_to_dict(cfg)
    if scheduler is None:
        import joblib

        parallel = joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")
        yield from parallel(joblib.delayed(_execute)(ref, cfg_dict, i, c, s) for i, c, s in pending)
        return
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        token = uuid.uuid4().hex[:8]
        futures = [
            client.submit(_execute, ref, cfg_dict, i, c, s, pure=False, key=f"{study.name}-{i}-{token}")
            for i, c, s in pending
        ]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        if own:
            client.close()


def _check_parallel_options(jobs: Any, scheduler: Any) -> int:
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0 or jobs < -1:
        raise ValueError(f"jobs must be a positive integer or -1 (all cores), got {jobs!r}")
    if scheduler is not None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ImportError(
                "scheduler needs dask.distributed; install it with pip install 'radbound[dask]'"
            ) from None
        if not isinstance(scheduler, str) and type(scheduler).__name__ != "Client":
            raise TypeError(f"scheduler must be an address string or a distributed.Client, got {scheduler!r}")
    return jobs


def _save_figure(study: Study, rows: list[dict], cfg: Any, png: Path) -> Path:
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = study.plot(rows, cfg)
    if fig is None or not hasattr(fig, "savefig"):
        raise TypeError(f"study {study.name!r} plot must return a matplotlib Figure, got {fig!r}")
    try:
        fig.savefig(png, dpi=130, bbox_inches="tight")
    finally:
        plt.close(fig)
    return png


def _plot_only(study: Study, csv: Path, js: Path, png: Path, check: bool) -> StudyRun:
    start = time.perf_counter()
    record = read_record(js)
    if record.get("study") != study.name:
        raise ValueError(f"{js} must record study {study.name!r}, got {record.get('study')!r}")
    cfg = config_from_dict(study.config, record["config"])
    rows = read_rows(csv)
    if not rows:
        raise ValueError(f"{csv} holds no rows: run the study first (without --plot-only)")
    done = len({r["cell_key"] for r in rows})
    if record.get("status") != "complete" or done < record.get("n_cells", done):
        warnings.warn(
            f"study {study.name!r}: plotting a partial run ({done} of {record.get('n_cells')} cells)",
            stacklevel=3,
        )
    _save_figure(study, rows, cfg, png)
    if check and study.check is not None:
        study.check(rows, cfg)
    n = record.get("n_cells", done)
    return StudyRun(study.name, cfg, rows, csv, js, png, n, 0, time.perf_counter() - start)


def preflight(study: Study, cfg: Any, out: str | os.PathLike) -> tuple[list[dict], dict, dict | None]:
    """Every check of a run before any work: config type, grid, resources, output folder.

    Returns ``(grid, resources, record)`` where ``record`` is the existing JSON
    record of a run with the same config in ``out`` (to resume), or None.
    """
    if study.missing:
        raise ImportError(f"study {study.name!r} needs {', '.join(study.missing)}, which cannot be imported")
    if not isinstance(cfg, study.config):
        raise TypeError(f"cfg must be a {study.config.__name__} instance, got {cfg!r}")
    out_dir = check_output_dir(out)
    csv, js = out_dir / f"{study.name}.csv", out_dir / f"{study.name}.json"
    cfg_dict = config_to_dict(cfg)
    grid = study.grid(cfg)
    record = None
    if js.exists():
        record = read_record(js)
        if record.get("study") != study.name or record.get("config") != cfg_dict:
            raise ValueError(
                f"out {str(out_dir)!r} holds a run of {record.get('study')!r} "
                f"with config {record.get('config')}; "
                f"it differs from {cfg_dict}: use another --out folder or delete {js.name} and {csv.name}"
            )
    elif csv.exists() and csv.stat().st_size > 0:
        raise ValueError(f"{csv} exists without {js.name}: use another --out folder or delete it")
    resources = dict(study.validate(cfg) or {}) if study.validate is not None else {}
    return grid, resources, record


def run_study(
    study: Study,
    cfg: Any = None,
    *,
    out: str | os.PathLike,
    quick: bool = False,
    jobs: int = 1,
    scheduler: Any = None,
    progress: bool = True,
    plot: bool = True,
    plot_only: bool = False,
    check: bool = False,
) -> StudyRun:
    r"""Run (or resume) ``study`` and write ``NAME.csv``, ``NAME.json`` and ``NAME.png`` in ``out``.

    Cell :math:`i` of the grid gets the seed ``cell_seed(cfg.seed, i)`` (a
    SeedSequence of ``(seed, i)``), so rows do not depend on ``jobs``, on the
    scheduler, on the order cells finish in, or on resumption.

    Parameters
    ----------
    study : Study
        The study (see :func:`radbound.study.load_study`).
    cfg : config instance, optional
        Default: ``study.quick`` when ``quick`` else ``study.full``.
    out : path
        Output folder (created). A folder holding a run of the same study with a
        different config is refused.
    quick : bool
        Use the quick config when ``cfg`` is None.
    jobs : int
        joblib workers (``-1``: all cores); ``1`` runs in this process.
    scheduler : str or distributed.Client, optional
        Run the cells on this dask.distributed cluster instead.
    progress : bool
        Show a tqdm bar (cells done, time left) on stderr.
    plot : bool
        Write the PNG after the cells are done.
    plot_only : bool
        Read the existing CSV and JSON (their config, not ``cfg``), compute
        nothing, write the PNG.
    check : bool
        Run ``study.check`` on the rows (raises AssertionError if the figure does
        not show what it should).

    Returns
    -------
    StudyRun

    Examples
    --------
    >>> import tempfile
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Cfg:
    ...     n: int = 3
    ...     seed: int = 0
    >>> toy = Study(name="toy", config=Cfg, quick=Cfg(), full=Cfg(),
    ...             cells=lambda c: [{"i": i} for i in range(c.n)],
    ...             compute_cell=lambda c, cell, seed: [{"square": cell["i"] ** 2}],
    ...             plot=lambda rows, c: None)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     run = run_study(toy, out=tmp, plot=False, progress=False)
    ...     again = run_study(toy, out=tmp, plot=False, progress=False)   # resumes: nothing to do
    >>> [r["square"] for r in run.rows] == [0, 1, 4] and again.n_computed == 0
    True
    """
    if not isinstance(study, Study):
        raise TypeError(f"study must be a Study, got {type(study).__name__}")
    jobs = _check_parallel_options(jobs, scheduler)
    out_dir = check_output_dir(out)
    csv, js, png = (out_dir / f"{study.name}.{ext}" for ext in ("csv", "json", "png"))
    if plot_only:
        return _plot_only(study, csv, js, png, check)

    start = time.perf_counter()
    cfg = study.make_config(quick=quick) if cfg is None else cfg
    grid, resources, record = preflight(study, cfg, out_dir)
    cfg_dict = config_to_dict(cfg)
    if record is None:
        record = {
            "study": study.name,
            "description": study.description,
            "data_note": study.data_note,
            "config": cfg_dict,
            "seed": cfg_dict["seed"],
            "seed_rule": "cell i uses SeedSequence([seed, i]) (radbound.study.cell_seed)",
            "n_cells": len(grid),
            "wall_time_s": 0.0,
            "sessions": [],
        }
    done = {r["cell_key"] for r in read_rows(csv)} if csv.exists() else set()
    seed = int(cfg_dict["seed"])
    pending = [(i, c, cell_seed(seed, i)) for i, c in enumerate(grid) if cell_key(c) not in done]
    header = read_header(csv)

    session = {
        "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "jobs": jobs,
        "scheduler": None if scheduler is None else str(getattr(scheduler, "scheduler", scheduler)),
        "host": platform.node(),
        "cells_computed": 0,
        "wall_time_s": 0.0,
    }
    record.update(
        status="running",
        resources=resources,
        versions=versions(study.requires),
        command=" ".join(sys.argv),
        files={"csv": csv.name, "png": png.name},
    )
    if pending:
        record["sessions"].append(session)
    write_record(js, record)

    from tqdm.auto import tqdm

    previous_handler = _terminate_as_interrupt()

    bar = tqdm(
        total=len(grid), initial=len(grid) - len(pending), desc=study.name, unit="cell", disable=not progress
    )
    seeds = {i: s for i, _, s in pending}
    computed = 0
    try:
        for index, raw in _results(study, cfg, pending, jobs, scheduler):
            rows = _rows_of(study, raw, grid[index], index, seeds[index])
            if header is None:
                header = list(META_COLUMNS) + [
                    k for k in dict.fromkeys(k for r in rows for k in r) if k not in META_COLUMNS
                ]
            append_rows(csv, rows, header)
            computed += 1
            bar.update(1)
    finally:
        bar.close()
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
        elapsed = time.perf_counter() - start
        session.update(cells_computed=computed, wall_time_s=round(elapsed, 3))
        record["wall_time_s"] = round(sum(s["wall_time_s"] for s in record["sessions"]), 3)
        record["cells_done"] = len(done) + computed
        record["status"] = "complete" if record["cells_done"] >= len(grid) else "interrupted"
        write_record(js, record)

    rows = read_rows(csv)
    if plot:  # the figure first: a failing check must not cost the figure
        _save_figure(study, rows, cfg, png)
    if check and study.check is not None:
        study.check(rows, cfg)
    wall = time.perf_counter() - start
    session["wall_time_s"] = round(wall, 3)
    record["wall_time_s"] = round(sum(s["wall_time_s"] for s in record["sessions"]), 3)
    write_record(js, record)
    return StudyRun(study.name, cfg, rows, csv, js, png if plot else None, len(grid), computed, wall)
