"""The package type-checks: mypy (configured in pyproject.toml) reports zero errors on radbound/."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_reports_no_errors():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install 'radbound[dev]')")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-20000:] + proc.stderr[-5000:]
