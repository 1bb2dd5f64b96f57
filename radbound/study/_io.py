r"""Files of a study run: the tidy CSV (one verified record per cell) and the JSON record.

The CSV holds one line per row, its first columns saying which cell the row belongs to and
letting a reader verify the cell as a whole:

- ``cell_index``, ``cell_seed``, ``cell_key``: the cell (its grid position, seed and canonical key);
- ``cell_rows``: how many rows the cell has;
- ``cell_crc``: a checksum of the cell's lines (SHA-256 of every field of every row of the cell
  but this one, first 16 hex digits);
- ``config_id``: the configuration the rows were computed with (SHA-256 of the config's JSON,
  first 12 hex digits).

A cell's rows are written in one append (all bytes, flushed to disk) after the cell finished. On
reading, a cell counts only when its lines are all there, consecutive, and match ``cell_rows``
and ``cell_crc``; any other line (a write cut short, a garbage or short line, a repeated header,
a row of a cell that is not in the grid or of another configuration, a second copy of a cell) is
reported with its file and line number and never counted. CSVs written before these columns
existed (``cell_index``, ``cell_seed``, ``cell_key`` only) are read with their first copy of each
cell, unverified.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import platform
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "StudyFileWarning",
    "DamagedFileError",
    "CsvScan",
    "scan_csv",
    "read_rows",
    "cell_lines",
    "append_cell",
    "rewrite_csv",
    "quarantine",
    "read_record",
    "write_record",
    "atomic_write",
    "versions",
    "row_values",
    "config_id",
]

CELL_COLUMNS = ("cell_index", "cell_seed", "cell_key")
META_COLUMNS = (*CELL_COLUMNS, "cell_rows", "cell_crc", "config_id")
_INT = re.compile(r"^[+-]?\d+$")
_DEPENDENCIES = ("numpy", "scipy", "cvxpy", "matplotlib", "joblib", "tqdm", "dask", "distributed")


class StudyFileWarning(UserWarning):
    """A study's CSV or JSON holds lines that cannot be trusted; they are named and not counted."""


class DamagedFileError(ValueError):
    """A study's file cannot be read at all (names the file, the line and what is wrong)."""


def row_values(row: Any, where: str) -> dict[str, Any]:
    """Check one tidy row: a dict of scalars (numpy scalars become Python scalars)."""
    if not isinstance(row, Mapping):
        raise TypeError(f"{where} must return a list of dicts, got an item {type(row).__name__} {row!r}")
    out = {}
    for k, v in row.items():
        if isinstance(v, np.generic):
            v = v.item()
        if not (v is None or isinstance(v, (bool, int, float, str))):
            raise TypeError(f"{where}: row value {k!r} must be a scalar (number, str, bool, None), got {v!r}")
        out[str(k)] = v
    return out


def config_id(cfg_dict: Mapping[str, Any]) -> str:
    """The short identifier of a configuration written on every row (12 hex digits).

    Examples
    --------
    >>> config_id({"seed": 0, "eps": [0.0, 0.1]}) == config_id({"eps": [0.0, 0.1], "seed": 0})
    True
    """
    text = json.dumps(dict(cfg_dict), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _parse(text: str) -> Any:
    if text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    if _INT.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def _crc(lines: Sequence[Sequence[str]], crc_at: int) -> str:
    h = hashlib.sha256()
    for fields in lines:
        h.update(
            "\x1f".join(f for i, f in enumerate(fields) if i != crc_at).encode("utf-8", "surrogateescape")
        )
        h.update(b"\n")
    return h.hexdigest()[:16]


def cell_lines(rows: Sequence[Mapping[str, Any]], header: Sequence[str], *, cfg_id: str) -> list[list[str]]:
    """The CSV fields of one cell's rows, with ``cell_rows``, ``config_id`` and ``cell_crc`` set."""
    crc_at = list(header).index("cell_crc")
    lines = []
    for row in rows:
        extra = set(row) - set(header)
        if extra:
            raise ValueError(
                f"rows must all have the columns {list(header)}; got new column(s) {sorted(extra)}"
            )
        full = {**row, "cell_rows": len(rows), "config_id": cfg_id, "cell_crc": ""}
        lines.append([_format(full.get(k)) for k in header])
    crc = _crc(lines, crc_at)
    for fields in lines:
        fields[crc_at] = crc
    return lines


def _csv_bytes(lines: Iterable[Sequence[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(lines)
    return buf.getvalue().encode("utf-8", "surrogateescape")


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a regular file may take fewer bytes per call)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(f"write returned {written} with {len(view)} bytes left")
        view = view[written:]


def append_cell(path: Path, lines: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> None:
    """Append one cell's lines (and the header first, when given) in one write, flushed to disk."""
    data = _csv_bytes(([list(header)] if header is not None else []) + [list(f) for f in lines])
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a uniquely named temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        _write_all(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclasses.dataclass(frozen=True)
class CsvScan:
    """What a study CSV holds, checked cell by cell.

    Attributes
    ----------
    path : Path
        The file.
    header : list of str or None
        Its column names (None when the file is missing, empty or has no usable header).
    cells : dict
        ``cell_key -> list of raw field lists``: the first complete, verified copy of each cell.
    problems : list of str
        One entry per untrusted line or block: ``"line N: what is wrong"``.
    legacy : bool
        The file predates the per-cell records (no ``cell_rows`` / ``cell_crc`` columns).
    """

    path: Path
    header: list[str] | None
    cells: dict[str, list[list[str]]]
    problems: list[str]
    legacy: bool = False

    @property
    def clean(self) -> bool:
        """True when every line of the file belongs to a trusted cell."""
        return not self.problems

    def rows(self) -> list[dict[str, Any]]:
        """The trusted rows, typed, in grid order (by ``cell_index``; file order within a cell)."""
        if self.header is None:
            return []
        out: list[dict[str, Any]] = []
        for lines in self.cells.values():
            out.extend({k: _parse(v) for k, v in zip(self.header, fields)} for fields in lines)
        out.sort(key=lambda r: r["cell_index"])
        return out

    def report(self, limit: int = 8) -> str:
        """The problems as one message naming the file."""
        shown = "; ".join(self.problems[:limit])
        more = f"; and {len(self.problems) - limit} more" if len(self.problems) > limit else ""
        return f"{self.path}: {shown}{more}"


def scan_csv(
    path: str | os.PathLike,
    *,
    cfg_id: str | None = None,
    grid: Mapping[str, int] | None = None,
) -> CsvScan:
    """Read a study CSV and sort its lines into verified cells and named problems.

    Parameters
    ----------
    path : path
        The CSV (a missing or empty file holds no cells and no problems).
    cfg_id : str, optional
        The :func:`config_id` the rows must carry (rows of another configuration are problems).
    grid : mapping, optional
        ``cell_key -> cell_index`` of the grid: a row of a cell not in it, or at another index,
        is a problem.

    Returns
    -------
    CsvScan

    Examples
    --------
    >>> import tempfile, pathlib
    >>> header = [*META_COLUMNS, "x"]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "s.csv"
    ...     cell = {"cell_index": 0, "cell_seed": 1, "cell_key": '{"i":0}'}
    ...     rows = [{**cell, "x": 0.5}, {**cell, "x": 1.5}]
    ...     append_cell(p, cell_lines(rows, header, cfg_id="abc"), header)
    ...     with open(p, "a") as fh:
    ...         _ = fh.write("garbage\\n")
    ...     scan = scan_csv(p, cfg_id="abc")
    >>> [r["x"] for r in scan.rows()] == [0.5, 1.5] and scan.problems == ["line 4: 1 field(s), expected 7"]
    True
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return CsvScan(path, None, {}, [])
    data = path.read_bytes()
    problems: list[str] = []
    # NUL bytes: Python < 3.11's csv module refuses the whole rest of the file ("line contains NUL");
    # replaced, a damaged line is read as one bad line like any other
    text = data.decode("utf-8", "surrogateescape").replace("\x00", "\ufffd")
    partial_tail = not text.endswith("\n")
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for fields in reader:
            records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(f"line {start}: unreadable ({exc}); the rest of the file is ignored")
    if partial_tail and records:
        line, _ = records.pop()
        problems.append(f"line {line}: incomplete last line (a write cut short)")
    if not records:
        return CsvScan(path, None, {}, problems or ["line 1: no header"])
    first_line, header = records[0]
    legacy = not set(META_COLUMNS) <= set(header)
    if not set(CELL_COLUMNS) <= set(header) or len(set(header)) != len(header):
        problems.insert(0, f"line {first_line}: not a study CSV header (needs columns {list(META_COLUMNS)})")
        return CsvScan(path, None, {}, problems)
    col = {name: i for i, name in enumerate(header)}
    width = len(header)
    cells: dict[str, list[list[str]]] = {}

    def bad(line: int, why: str) -> None:
        problems.append(f"line {line}: {why}")

    block: list[tuple[int, list[str]]] = []

    def close_block() -> None:
        if not block:
            return
        lines = [f for _, f in block]
        first, last = block[0][0], block[-1][0]
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        key, index = lines[0][col["cell_key"]], lines[0][col["cell_index"]]
        if not legacy:
            expected = int(lines[0][col["cell_rows"]])
            if len(lines) != expected:
                problems.append(f"{where}: cell {index} has {len(lines)} of its {expected} rows")
                return
            if _crc(lines, col["cell_crc"]) != lines[0][col["cell_crc"]]:
                problems.append(f"{where}: cell {index} fails its checksum")
                return
        if key in cells:
            problems.append(f"{where}: a second copy of cell {index}, not counted")
            return
        cells[key] = lines

    for line, fields in records[1:]:
        if fields == header:
            close_block()
            block = []
            bad(line, "a repeated header")
            continue
        if len(fields) != width:
            close_block()
            block = []
            bad(line, f"{len(fields)} field(s), expected {width}")
            continue
        key = fields[col["cell_key"]]
        index = fields[col["cell_index"]]
        why = None
        if not _INT.match(index) or not _INT.match(fields[col["cell_seed"]]):
            why = "cell_index and cell_seed must be integers"
        elif not legacy and not (_INT.match(fields[col["cell_rows"]]) and int(fields[col["cell_rows"]]) > 0):
            why = "cell_rows must be a positive integer"
        elif not legacy and cfg_id is not None and fields[col["config_id"]] != cfg_id:
            why = f"a row of another configuration (config_id {fields[col['config_id']]!r})"
        elif grid is not None and grid.get(key) != int(index):
            why = f"a row of a cell that is not in the grid (cell_index {index}, cell_key {key})"
        if why is not None:
            close_block()
            block = []
            bad(line, why)
            continue
        same = block and block[0][1][col["cell_key"]] == key
        if not legacy and same:
            same = block[0][1][col["cell_crc"]] == fields[col["cell_crc"]] and len(block) < int(
                block[0][1][col["cell_rows"]]
            )
        if not same:
            close_block()
            block = []
        block.append((line, fields))
    close_block()
    return CsvScan(path, header, cells, problems, legacy)


def read_rows(path: str | os.PathLike, *, config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Read a study CSV back into typed rows (ints, floats, bools, None, str), one copy per cell.

    Rows are returned in grid order (by ``cell_index``, in file order within a cell). Only
    complete, verified cells are returned; every other line is named in a
    :class:`StudyFileWarning` (file and line number) and skipped.

    Parameters
    ----------
    path : path
        The CSV.
    config : mapping, optional
        The run's config (as in its JSON): rows of another configuration are skipped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> header = [*META_COLUMNS, "x"]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "s.csv"
    ...     for i, x in ((1, 0.1), (0, None)):
    ...         cell = {"cell_index": i, "cell_seed": 7, "cell_key": f'{{"i":{i}}}', "x": x}
    ...         append_cell(p, cell_lines([cell], header, cfg_id="c"), header if i == 1 else None)
    ...     [(r["cell_index"], r["x"]) for r in read_rows(p)] == [(0, None), (1, 0.1)]
    True
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no results file {str(path)!r}: run the study first (without --plot-only)")
    scan = scan_csv(path, cfg_id=None if config is None else config_id(config))
    if scan.problems:
        warnings.warn(f"skipping untrusted lines of {scan.report()}", StudyFileWarning, stacklevel=2)
    return scan.rows()


def rewrite_csv(path: Path, scan: CsvScan) -> None:
    """Replace ``path`` by the header and the trusted cells of ``scan`` (atomically)."""
    if scan.header is None or not scan.cells:
        path.unlink(missing_ok=True)
        return
    lines = [scan.header] + [fields for cell in scan.cells.values() for fields in cell]
    atomic_write(path, _csv_bytes(lines))


def quarantine(path: Path, *, copy: bool = False) -> Path:
    """Move (or ``copy``) a damaged file aside as ``NAME.ext.damaged-N`` (a new N each time)."""
    for n in range(1, 10_000):
        target = path.with_name(f"{path.name}.damaged-{n}")
        if not target.exists():
            if copy:
                shutil.copyfile(path, target)
            else:
                os.replace(path, target)
            return target
    raise OSError(f"too many quarantined copies of {path}")  # pragma: no cover


def read_record(path: Path) -> dict[str, Any]:
    """Load a run's JSON record; a damaged file is a :class:`DamagedFileError` naming file and line.

    Parameters
    ----------
    path : pathlib.Path
        The ``NAME.json`` written by a run.

    Returns
    -------
    dict
        The record (``config``, ``seed``, ``sessions``, ...).
    """
    if not path.exists():
        raise FileNotFoundError(f"no run record {str(path)!r}: run the study first (without --plot-only)")
    text = path.read_bytes().decode("utf-8", "replace")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DamagedFileError(
            f"{path} is damaged: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
        raise DamagedFileError(f"{path} is damaged: line 1: not a study run record (no 'config' object)")
    return record


def write_record(path: Path, record: Mapping[str, Any]) -> None:
    """Write the JSON record atomically (a uniquely named temporary file, then a rename)."""
    atomic_write(path, (json.dumps(record, indent=2, sort_keys=False) + "\n").encode())


def versions(extra: Iterable[str] = ()) -> dict[str, str | None]:
    """Versions of Python, radbound and the dependencies (None when not installed)."""
    from importlib import metadata

    from .. import __version__

    out: dict[str, str | None] = {"python": platform.python_version(), "radbound": __version__}
    for name in (*_DEPENDENCIES, *extra):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
