"""Running a study: grid cells -> CSV rows (resumable, verified) -> JSON record -> PNG.

Cells run serially, in worker processes (``jobs``) or on a dask.distributed cluster
(``scheduler``). Each finished cell's rows are appended to ``NAME.csv`` in one write,
flushed, with the cell's row count and checksum (see :mod:`radbound.study._io`); a rerun
counts a cell as done only when all its rows are on disk and verified, and computes the others.
Lines that cannot be trusted (a write cut short, a garbage or short line, a repeated header, a
row of an unknown cell, a second copy of a cell) are named with their line numbers; the file as
it was is kept as ``NAME.csv.damaged-N`` and the CSV rewritten with the trusted cells only. A
damaged ``NAME.json`` is kept aside the same way and rebuilt (the rows carry their config's id,
so none is lost). ``NAME.json`` records the config, seed, and for every session its command,
versions and wall time; a rerun whose config differs from the record is refused (the message
lists the fields that differ). One process at a time runs a study into a folder (an OS lock on
``OUT/.NAME.lock``); a second one stops at once with an error naming the first.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as _dt
import importlib
import os
import platform
import signal
import socket
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
from urllib.parse import urlsplit

from .._threads import limit_blas_threads
from ._core import Study, cell_key, cell_seed, config_from_dict, config_to_dict
from ._discovery import load_study_source
from ._io import (
    META_COLUMNS,
    CsvScan,
    DamagedFileError,
    StudyFileWarning,
    append_cell,
    cell_lines,
    config_id,
    quarantine,
    read_record,
    rewrite_csv,
    row_values,
    scan_csv,
    versions,
    write_record,
)
from ._lock import StudyLockedError, study_lock

__all__ = ["run_study", "StudyRun", "StudyInterrupted", "check_output_dir", "preflight", "config_diff"]


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
        All rows, in grid order (one copy of each verified cell).
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


class StudyInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM after saving what it finished.

    Attributes
    ----------
    name : str
        The study.
    n_saved, n_cells : int
        Cells on disk (verified) and cells in the grid.
    csv : Path
        The results file; rerunning the same command resumes from it.
    """

    def __init__(self, name: str, n_saved: int, n_cells: int, csv: Path) -> None:
        self.name, self.n_saved, self.n_cells, self.csv = name, n_saved, n_cells, csv
        super().__init__(f"{n_saved} of {n_cells} cells saved; rerun to resume")


def check_output_dir(out: str | os.PathLike) -> Path:
    """Create ``out`` if needed and check that files can be written in it.

    Parameters
    ----------
    out : str or os.PathLike
        The output folder of a run.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    ValueError
        If ``out`` is a file or cannot be written to.

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


def config_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """The fields in which two config dicts differ, as ``"field: A there, B here"``.

    Parameters
    ----------
    old, new : mapping
        Two configurations as dicts (``old`` the one on disk, ``new`` the one asked for); a field
        missing from one of them is shown as ``(absent)``.

    Returns
    -------
    str
        The differing fields, sorted and joined by ``"; "`` (empty when the configs agree).

    Examples
    --------
    >>> config_diff({"eps": [0.0], "seed": 0, "n": 1}, {"eps": [0.0], "seed": 1, "n": 1})
    'seed: 0 there, 1 here'
    """
    parts = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k, "(absent)"), new.get(k, "(absent)")
        if a != b:
            parts.append(f"{k}: {a!r} there, {b!r} here")
    return "; ".join(parts)


def _rows_of(study: Study, raw: Any, cell: Mapping[str, Any], index: int, seed: int) -> list[dict]:
    where = f"study {study.name!r} compute_cell"
    if isinstance(raw, Mapping) or not isinstance(raw, (list, tuple)):
        raise TypeError(f"{where} must return a list of dicts, got {type(raw).__name__}")
    if not raw:
        raise ValueError(f"{where} must return at least one row, got none for cell {dict(cell)}")
    meta = {"cell_index": index, "cell_seed": seed, "cell_key": cell_key(cell)}
    rows = [{**meta, **cell, **row_values(r, where)} for r in raw]
    clash = sorted(set(META_COLUMNS) & {k for r in raw for k in r})
    if clash:
        raise ValueError(f"{where} must not return the reserved column(s) {clash}")
    return rows


def _terminate_as_interrupt() -> Any:
    """Turn SIGTERM into KeyboardInterrupt (main thread only), so a killed run records its state."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    return signal.signal(signal.SIGTERM, handler)


def _compute(study: Study, cfg: Any, cell: dict, seed: int) -> Any:
    with limit_blas_threads():  # cells are the unit of parallelism: BLAS single-threaded inside
        return study.compute_cell(cfg, dict(cell), seed)


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the parent process is gone (killed with SIGKILL, say).

    ``os.getppid`` changes when a process is re-parented, so a worker whose run was killed
    exits within a second instead of living on.
    """
    if os.getppid() != parent:  # pragma: no cover - the parent died during the start-up
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="radbound-parent-watch", daemon=True).start()
    # Ctrl-C reaches the whole process group: the parent handles it and stops the workers
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


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


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Raise ValueError unless a TCP connection to the scheduler ``address`` opens within ``timeout``."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or parts.hostname is None:
        return  # inproc://, ucx://...: left to distributed (bounded by the Client timeout)
    try:
        port = parts.port or 8786
    except ValueError:
        raise ValueError(f"scheduler must be an address like tcp://host:8786, got {address!r}") from None
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ValueError(
            f"scheduler: cannot reach a dask scheduler at {address!r} ({reason}); "
            "start one (dask scheduler) or check the address"
        ) from None


def _connect(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` for ``scheduler`` (an address or a Client) and whether we own it."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    _reachable(scheduler)
    try:
        return Client(scheduler, timeout=10), True
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"scheduler: cannot connect to {scheduler!r} ({exc})") from None


@contextlib.contextmanager
def _results(
    study: Study, cfg: Any, pending: list[tuple[int, dict, int]], jobs: int, client: Any
) -> Iterator[Iterator[tuple[int, Any]]]:
    """``(index, raw rows)`` of the pending cells as they finish; workers are stopped on exit."""
    if client is None and jobs == 1:
        yield ((i, _compute(study, cfg, c, s)) for i, c, s in pending)
        return
    ref, cfg_dict = _study_ref(study), config_to_dict(cfg)
    if client is not None:
        token = uuid.uuid4().hex[:8]
        futures = [
            client.submit(_execute, ref, cfg_dict, i, c, s, pure=False, key=f"{study.name}-{i}-{token}")
            for i, c, s in pending
        ]
        from distributed import as_completed

        try:
            yield (fut.result() for fut in as_completed(futures))
        finally:
            with contextlib.suppress(Exception):
                client.cancel(futures)
        return
    from joblib.externals.loky import ProcessPoolExecutor

    n = min(os.cpu_count() or 1, len(pending)) if jobs == -1 else min(jobs, len(pending))
    executor = ProcessPoolExecutor(max_workers=max(n, 1), initializer=_watch_parent, initargs=(os.getpid(),))
    futures = [executor.submit(_execute, ref, cfg_dict, i, c, s) for i, c, s in pending]
    finished = False
    try:
        yield (fut.result() for fut in concurrent.futures.as_completed(futures))
        finished = True
    finally:
        # no Future.cancel() here: loky fails the pending futures itself when it kills the workers, and a
        # future cancelled beforehand makes its manager thread die (InvalidStateError) with the workers alive
        if not finished:
            _quiet_executor_manager()
        executor.shutdown(wait=finished, kill_workers=not finished)


def _quiet_executor_manager() -> None:
    """Keep loky's manager thread from printing a traceback while an interrupted run kills its workers.

    Tearing the pool down mid-queue can race inside loky (a ``KeyError`` on a work item already
    failed); the workers are killed all the same, and the user was told how to resume.
    """
    previous = threading.excepthook
    if getattr(previous, "_radbound_quiet", False):
        return

    def hook(args: Any) -> None:
        if args.thread is not None and args.thread.name == "ExecutorManagerThread":
            return
        previous(args)

    hook._radbound_quiet = True  # type: ignore[attr-defined]
    threading.excepthook = hook


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
    fd, tmp = tempfile.mkstemp(dir=png.parent, prefix=f".{png.stem}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=130, bbox_inches="tight")
        os.replace(tmp, png)
    finally:
        plt.close(fig)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return png


def _plot_only(study: Study, csv: Path, js: Path, png: Path, check: bool) -> StudyRun:
    start = time.perf_counter()
    try:
        record = read_record(js)
    except DamagedFileError as exc:
        raise DamagedFileError(f"{exc}; rerun the study (without --plot-only) to rebuild it") from None
    if record.get("study") != study.name:
        raise ValueError(f"{js} must record study {study.name!r}, got {record.get('study')!r}")
    cfg = config_from_dict(study.config, record["config"])
    if not csv.exists():
        raise FileNotFoundError(f"no results file {str(csv)!r}: run the study first (without --plot-only)")
    scan = scan_csv(csv, cfg_id=config_id(record["config"]))
    if scan.problems:
        warnings.warn(f"skipping untrusted lines of {scan.report()}", StudyFileWarning, stacklevel=3)
    rows = scan.rows()
    if not rows:
        raise ValueError(f"{csv} holds no rows: run the study first (without --plot-only)")
    done = len(scan.cells)
    if record.get("status") != "complete" or done < record.get("n_cells", done):
        warnings.warn(
            f"study {study.name!r}: plotting a partial run ({done} of {record.get('n_cells')} cells)",
            stacklevel=3,
        )
    _save_figure(study, rows, cfg, png)
    _record_replot(study, js)
    if check and study.check is not None:
        study.check(rows, cfg)
    n = record.get("n_cells", done)
    return StudyRun(study.name, cfg, rows, csv, js, png, n, 0, time.perf_counter() - start)


def _record_replot(study: Study, js: Path) -> None:
    """Add the replot (when, command, versions) to the record, unless a run holds the folder."""
    try:
        with study_lock(js.parent, study.name):
            record = _upgrade_record(read_record(js))
            all_versions = versions()
            record.setdefault("replots", []).append(
                {
                    "when": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    "command": _command(),
                    "versions": {k: all_versions.get(k) for k in ("python", "radbound", "matplotlib")},
                }
            )
            write_record(js, record)
    except StudyLockedError:
        pass  # a run is writing this record: the figure is saved, the replot is not recorded


def _existing_record(js: Path, *, repair: bool) -> dict | None:
    try:
        return read_record(js) if js.exists() else None
    except DamagedFileError as exc:
        if repair:
            kept = quarantine(js)
            warnings.warn(
                f"{exc}: kept as {kept.name} and rebuilt (the rows carry their config's id)",
                StudyFileWarning,
                stacklevel=4,
            )
        return None


def preflight(
    study: Study, cfg: Any, out: str | os.PathLike, *, repair: bool = False
) -> tuple[list[dict], dict, dict | None]:
    """Every check of a run before any work: config type, grid, resources, output folder.

    Returns ``(grid, resources, record)`` where ``record`` is the existing JSON record of a run
    with the same config in ``out`` (to resume), or None. A record of another config is an error
    listing the fields that differ. A damaged record counts as absent (with ``repair``, it is
    also moved aside with a warning naming the file and line).
    """
    if study.missing:
        raise ImportError(f"study {study.name!r} needs {', '.join(study.missing)}, which cannot be imported")
    if not isinstance(cfg, study.config):
        raise TypeError(f"cfg must be a {study.config.__name__} instance, got {cfg!r}")
    out_dir = check_output_dir(out)
    js = out_dir / f"{study.name}.json"
    cfg_dict = config_to_dict(cfg)
    grid = study.grid(cfg)
    record = _existing_record(js, repair=repair)
    if record is not None:
        if record.get("study") != study.name:
            raise ValueError(
                f"{js} records a run of {record.get('study')!r}, not {study.name!r}: use another --out folder"
            )
        if record.get("config") != cfg_dict:
            raise ValueError(
                f"out {str(out_dir)!r} holds a run of {study.name} with another config "
                f"({config_diff(record.get('config', {}), cfg_dict)}): use another --out folder, "
                f"or delete {js.name} and {study.name}.csv"
            )
    resources = dict(study.validate(cfg) or {}) if study.validate is not None else {}
    return grid, resources, record


def _program(argv0: str) -> str:
    """``radbound`` for the console script, ``python -m radbound`` for ``__main__.py``: no local paths."""
    path = Path(argv0)
    return f"python -m {path.parent.name}" if path.name == "__main__.py" else path.name


def _command() -> str:
    if not sys.argv or not sys.argv[0]:
        return ""
    return " ".join([_program(sys.argv[0]), *sys.argv[1:]])


def _new_record(study: Study, cfg_dict: dict, n_cells: int) -> dict:
    return {
        "study": study.name,
        "description": study.description,
        "data_note": study.data_note,
        "config": cfg_dict,
        "config_id": config_id(cfg_dict),
        "seed": cfg_dict["seed"],
        "seed_rule": "cell i uses SeedSequence([seed, i]) (radbound.study.cell_seed)",
        "n_cells": n_cells,
        "cells_done": 0,
        "status": "running",
        "wall_time_s": 0.0,
        "sessions": [],
    }


def _upgrade_record(record: dict) -> dict:
    """Move a record's run-wide ``command`` / ``versions`` (older layout) into its sessions."""
    sessions = record.setdefault("sessions", [])
    command, vers = record.pop("command", None), record.pop("versions", None)
    if sessions and command is not None and "command" not in sessions[0]:
        first, _, rest = str(command).partition(" ")
        sessions[0]["command"] = f"{_program(first)} {rest}".strip()  # the run that made the folder
    if sessions and vers is not None and "versions" not in sessions[-1]:
        sessions[-1]["versions"] = vers  # overwritten by each resume: the last session's
    record.setdefault("config_id", config_id(record["config"]))
    return record


def _trusted_cells(csv: Path, scan: CsvScan, record: dict | None, n_cells: int) -> CsvScan:
    """The cells a run may keep; untrusted lines are reported and the CSV rewritten without them."""
    if scan.header is None and not scan.problems:
        return scan
    if scan.legacy:
        complete = (
            scan.clean
            and record is not None
            and record.get("status") == "complete"
            and len(scan.cells) == n_cells
        )
        if complete:
            return scan
        kept = quarantine(csv)
        warnings.warn(
            f"{csv} was written without per-cell records and is incomplete or damaged"
            f"{': ' + scan.report() if scan.problems else ''}; kept as {kept.name}, every cell is recomputed",
            StudyFileWarning,
            stacklevel=4,
        )
        return CsvScan(csv, None, {}, [])
    if scan.problems:
        kept = quarantine(csv, copy=True)  # the file as it was, kept aside
        rewrite_csv(csv, scan)
        warnings.warn(
            f"untrusted lines in {scan.report()}: not counted (the file as it was is kept as "
            f"{kept.name}); {n_cells - len(scan.cells)} of {n_cells} cells will be computed",
            StudyFileWarning,
            stacklevel=4,
        )
    return scan


def run_study(
    study: Study,
    cfg: Any = None,
    *,
    out: str | os.PathLike,
    quick: bool = False,
    jobs: int = 1,
    scheduler: Any = None,
    progress: bool | None = None,
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
        different config is refused. One run per study and folder at a time.
    quick : bool
        Use the quick config when ``cfg`` is None.
    jobs : int
        Worker processes (``-1``: all cores); ``1`` runs in this process.
    scheduler : str or distributed.Client, optional
        Run the cells on this dask.distributed cluster instead.
    progress : bool or None
        Show a tqdm bar (cells done, time left) on stderr: None (default) when stderr is a
        terminal, True always, False never.
    plot : bool
        Write the PNG after the cells are done.
    plot_only : bool
        Read the existing CSV and JSON (their config, not ``cfg``), compute
        nothing, write the PNG.
    check : bool
        Run ``study.check`` on the rows (raises :class:`~radbound.study.FigureClaimError` if the
        figure does not show what it should).

    Returns
    -------
    StudyRun

    Raises
    ------
    StudyInterrupted
        On Ctrl-C or SIGTERM, after saving the finished cells and the record.
    StudyLockedError
        When another process runs the same study into ``out``.

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
    cfg = study.make_config(quick=quick) if cfg is None else cfg
    with study_lock(out_dir, study.name):
        return _run_locked(study, cfg, out_dir, csv, js, png, jobs, scheduler, progress, plot, check)


def _run_locked(
    study: Study,
    cfg: Any,
    out_dir: Path,
    csv: Path,
    js: Path,
    png: Path,
    jobs: int,
    scheduler: Any,
    progress: bool | None,
    plot: bool,
    check: bool,
) -> StudyRun:
    start = time.perf_counter()
    grid, resources, record = preflight(study, cfg, out_dir, repair=True)
    cfg_dict = config_to_dict(cfg)
    cid = config_id(cfg_dict)
    keys = {cell_key(c): i for i, c in enumerate(grid)}
    scan = _trusted_cells(csv, scan_csv(csv, cfg_id=cid, grid=keys), record, len(grid))
    record = _new_record(study, cfg_dict, len(grid)) if record is None else _upgrade_record(record)
    done = set(scan.cells)
    seed = int(cfg_dict["seed"])
    pending = [(i, c, cell_seed(seed, i)) for i, c in enumerate(grid) if cell_key(c) not in done]
    header = scan.header if scan.cells else None

    session = {
        "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": _command(),
        "versions": versions(study.requires),
        "jobs": jobs,
        "scheduler": None if scheduler is None else str(getattr(scheduler, "scheduler", scheduler)),
        "host": platform.node(),
        "cells_computed": 0,
        "wall_time_s": 0.0,
    }
    record.update(
        preset=study.preset_of(cfg),
        status="running",
        cells_done=len(done),
        resources=resources,
        files={"csv": csv.name, "png": png.name},
    )
    if pending:
        record["sessions"].append(session)
    client, own_client = (None, False) if scheduler is None or not pending else _connect(scheduler)
    write_record(js, record)

    from tqdm.auto import tqdm

    previous_handler = _terminate_as_interrupt()
    show = (progress is None and sys.stderr.isatty()) or progress is True
    bar = tqdm(total=len(grid), initial=len(done), desc=study.name, unit="cell", disable=not show)
    seeds = {i: s for i, _, s in pending}
    computed = 0
    interrupted = False
    try:
        with _results(study, cfg, pending, jobs, client) as results:
            for index, raw in results:
                rows = _rows_of(study, raw, grid[index], index, seeds[index])
                new_file = header is None
                if header is None:
                    data_columns = [
                        k for k in dict.fromkeys(k for r in rows for k in r) if k not in META_COLUMNS
                    ]
                    header = [*META_COLUMNS, *data_columns]
                append_cell(csv, cell_lines(rows, header, cfg_id=cid), header if new_file else None)
                computed += 1
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
        if own_client and client is not None:
            with contextlib.suppress(Exception):
                client.close()
        session.update(cells_computed=computed, wall_time_s=round(time.perf_counter() - start, 3))
        record["wall_time_s"] = round(sum(s.get("wall_time_s", 0.0) for s in record["sessions"]), 3)
        # what is on disk and verified, not a counter (an interruption may fall between the two)
        record["cells_done"] = len(scan_csv(csv, cfg_id=cid, grid=keys).cells)
        record["status"] = "complete" if record["cells_done"] >= len(grid) else "interrupted"
        write_record(js, record)
    if interrupted:
        raise StudyInterrupted(study.name, record["cells_done"], len(grid), csv) from None

    final = scan_csv(csv, cfg_id=cid, grid=keys)
    if final.problems:  # pragma: no cover - only if something else wrote into the file meanwhile
        warnings.warn(f"skipping untrusted lines of {final.report()}", StudyFileWarning, stacklevel=3)
    rows = final.rows()
    if plot:  # the figure first: a failing check must not cost the figure
        _save_figure(study, rows, cfg, png)
    if check and study.check is not None:
        study.check(rows, cfg)
    wall = time.perf_counter() - start
    session["wall_time_s"] = round(wall, 3)
    record["wall_time_s"] = round(sum(s.get("wall_time_s", 0.0) for s in record["sessions"]), 3)
    write_record(js, record)
    return StudyRun(study.name, cfg, rows, csv, js, png if plot else None, len(grid), computed, wall)
