"""The teaching notebooks: sources in sync, committed executed, and their stored outputs current.

Each ``notebooks/NN_name.py`` (jupytext percent format) is the source of ``NN_name.ipynb``, which
is committed EXECUTED (outputs and plots stored, so that it renders on a code host); ``make
notebooks`` syncs (jupytext) and executes (nbclient) them. Here every notebook is re-executed in a
fresh ``python3`` kernel of this interpreter, with matplotlib's headless inline backend so that
every figure is really drawn, and the numbers it prints are compared with the stored ones: a change
of the library that moves a printed number fails here until the notebooks are re-executed.
No wall-clock assertion: each cell has a generous timeout instead, so a hang fails, a busy machine
does not.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
jupytext = pytest.importorskip("jupytext")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [
    "01_rademacher_basics",
    "02_adversarial_linear",
    "03_training_and_gaps",
    "04_neural_network_bounds",
    "05_sample_complexity",
    "06_certified_robustness",
]
#: nbclient's per-cell timeout (seconds): a hung cell fails the test instead of blocking CI.
CELL_TIMEOUT = 300
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
HOW_TO_FIX = "run `make notebooks` (syncs the .ipynb from its .py source and executes it)"


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_notebook_is_present():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED
    assert sorted(p.stem for p in NB_DIR.glob("[0-9][0-9]_*.py")) == EXPECTED


def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ()))) for c in nb.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_in_sync_with_its_source(path):
    """Editing the .py source without `make notebooks` (or the .ipynb without its source) fails here."""
    source = jupytext.read(path.with_suffix(".py"))
    assert _cells(source) == _cells(_read(path)), f"{path.name} differs from its source: {HOW_TO_FIX}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_executed(path):
    """Outputs stored: every code cell ran, in order, in one kernel, with no error; plots are PNGs."""
    nb = _read(path)
    nbformat.validate(nb)
    cells = _code_cells(nb)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), f"{path.name}: {HOW_TO_FIX}"
    outputs = [o for c in cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 1, f"{path.name} stores no figure"


_PRIVATE = re.compile(r"\bradbound(?:\.[A-Za-z]\w*)*\._\w+")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_layout(path):
    """Prose first; a first cell limiting BLAS threads; a SCALE knob; public names only; no torch."""
    nb = _read(path)
    code = [c.source for c in _code_cells(nb)]
    text = "\n".join(code)
    assert nb.cells[0].cell_type == "markdown", f"{path.name} must open with prose"
    assert "threadpool_limits(1)" in code[0], f"{path.name}: the first code cell must limit BLAS threads"
    assert re.search(r"^SCALE = 1\b", code[1], flags=re.M), f"{path.name}: 2nd code cell must set SCALE = 1"
    assert not _PRIVATE.search(text), f"{path.name} uses a private name: {_PRIVATE.search(text).group(0)}"
    assert not re.search(r"^\s*(import|from)\s+torch\b", text, flags=re.M), f"{path.name} imports torch"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_exercises_with_hidden_solutions(path):
    nb = _read(path)
    assert any(c.cell_type == "markdown" and "## Exercise" in c.source for c in nb.cells)
    solutions = [c for c in _code_cells(nb) if "solution" in c.metadata.get("tags", ())]
    assert solutions, f"{path.name}: no solution cell"
    for cell in solutions:
        # collapsed in Jupyter (source_hidden) and behind a toggle on the documentation site (hide-input)
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True
        assert "hide-input" in cell.metadata["tags"]
        assert cell.outputs, "a solution shows its result"


_HEX = re.compile(r"0x[0-9a-fA-F]+")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?")


def _numbers(text: str) -> list[tuple[float, float]]:
    """The numbers printed in ``text``, each with the size of one unit of its last printed digit."""
    out = []
    for m in _NUMBER.finditer(_HEX.sub("", text)):
        value = float(m.group(0).replace(",", ""))
        decimals = len(m.group(1) or "")
        exponent = int(m.group(2) or 0)
        out.append((value, 10.0 ** (exponent - decimals)))
    return out


def _printed(cell) -> str:
    parts = []
    for o in cell.outputs:
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            data = o.get("data", {})
            text = data.get("text/markdown") or ("" if "image/png" in data else data.get("text/plain", ""))
            parts.append(text)
    return "\n".join(parts)


def test_number_comparison_has_the_tolerance_of_the_printed_digits():
    expected = [(181587.0, 1.0), (4.0, 0.01), (1.06e-4, 1e-6)]
    assert _numbers("n* = 181,587 (4.00 x); 1.06e-04 at 0x7f3a") == expected
    assert _numbers("d = 14, 28") == [(14.0, 1.0), (28.0, 1.0)]


_PREAMBLE = """\
import sys as _sys
assert _sys.prefix == {prefix!r}, f"kernel runs {{_sys.executable}}, not the interpreter of the tests"
del _sys
"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_are_current(path, monkeypatch):
    """Re-execute the notebook and compare every printed number with the stored one.

    Numbers agree to one unit of their last printed digit (so a value that rounds differently on
    another platform passes, a changed result does not); the same number of figures is drawn.
    """
    monkeypatch.setenv("MPLBACKEND", INLINE_BACKEND)
    stored = _read(path)
    nb = _read(path)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_PREAMBLE.format(prefix=sys.prefix)))
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}}
    )
    client.execute()  # raises CellExecutionError with the traceback of the failing cell
    fresh = _code_cells(nb)[1:]
    old = _code_cells(stored)
    assert len(fresh) == len(old)
    for i, (a, b) in enumerate(zip(old, fresh, strict=True)):
        na, nb_ = _numbers(_printed(a)), _numbers(_printed(b))
        where = f"{path.name}, code cell {i + 1}"
        assert len(na) == len(nb_), f"{where}: printed {_printed(b)!r}, stored {_printed(a)!r}; {HOW_TO_FIX}"
        for (x, unit), (y, unit2) in zip(na, nb_, strict=True):
            tol = max(unit, unit2) * 1.001 + 1e-12 * max(abs(x), abs(y))
            assert math.isclose(x, y, abs_tol=tol), f"{where}: {y} now, {x} stored; {HOW_TO_FIX}"
        png = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in (a, b)]
        assert png[0] == png[1], f"{where}: {png[1]} figures now, {png[0]} stored"
