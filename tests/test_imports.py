"""Import hygiene: light top-level import, and every module importable on its own.

Each check runs in a fresh interpreter (``sys.executable -c ...``) so that modules imported by
other tests in this process cannot hide a missing import or an eager heavy import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Optional / heavy dependencies that must be imported lazily, inside the functions using them.
HEAVY = ("torch", "cvxpy", "sympy", "matplotlib", "tqdm", "joblib", "dask")
#: Stricter subset for the numerical modules that must stay light.
HEAVY_FOR_CORE = ("torch", "cvxpy", "sympy", "matplotlib")

#: Every top-level module and subpackage of radbound (the subpackages listed in its docstring).
MODULES = (
    "radbound.data",
    "radbound.complexity",
    "radbound.bounds",
    "radbound.attacks",
    "radbound.train",
    "radbound.networks",
    "radbound.certify",
    "radbound.study",
    "radbound.studies",
    "radbound.studies.common.mnist",
    "radbound.studies.common.linear",
    "radbound.cli",
    "radbound.plot",
    "radbound.pacbayes",
)
LIGHT_MODULES = (
    "radbound.bounds",
    "radbound.attacks",
    "radbound.data",
    "radbound.pacbayes",
    "radbound.certify",
)

_PROBE = """
import importlib, json, sys
importlib.import_module({module!r})
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def _heavy_after_import(module: str) -> list[str]:
    """Import ``module`` alone in a fresh interpreter; return the heavy packages then in sys.modules."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.pop("PYTHONSTARTUP", None)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module, heavy=HEAVY)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"`import {module}` in a fresh interpreter failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_radbound_loads_no_heavy_dependency():
    """``import radbound`` loads numpy and scipy only (the package docstring and README say so)."""
    loaded = _heavy_after_import("radbound")
    assert loaded == [], f"`import radbound` imported {loaded}; import them inside the functions using them"


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_alone(module):
    """Each module imports in a fresh interpreter; the core numerical ones stay light."""
    loaded = _heavy_after_import(module)
    if module in LIGHT_MODULES:
        bad = [name for name in loaded if name in HEAVY_FOR_CORE]
        assert bad == [], f"`import {module}` imported {bad}; import them inside the functions using them"


_NO_FIGURE_PROBE = """
import json, sys
import radbound.study, radbound.cli
from radbound.study import find_studies
names = sorted(find_studies())
print(json.dumps([names, sorted(m for m in sys.modules if m.startswith("radbound.studies."))]))
"""


def test_finding_the_studies_imports_no_figure():
    """The framework lists the packaged figures without importing any of them."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-c", _NO_FIGURE_PROBE],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    names, imported = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "linear_l1" in names and imported == []


def _figures() -> list[str]:
    from radbound.study import find_studies

    return [f"radbound.studies.{name}" for name in find_studies()]


@pytest.mark.parametrize("module", _figures())
def test_each_figure_imports_alone(module):
    """Each packaged figure imports in a fresh interpreter, without torch (imported where used)."""
    assert "torch" not in _heavy_after_import(module)
