"""Release metadata: pyproject.toml (PEP 621 / 639), the tested dependency floors, CITATION.cff, CHANGELOG."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

import radbound

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else pytest.importorskip("tomli")


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_licence_expression_names_the_code_and_the_bundled_data(project):
    assert project["license"] == "BSD-3-Clause AND CC-BY-SA-3.0 AND MIT"
    notice = (ROOT / "radbound/data/NOTICE.md").read_text(encoding="utf-8")
    assert "CC BY-SA 3.0" in notice and "MIT" in notice
    for path in project["license-files"]:
        assert (ROOT / path).is_file(), path


def test_python_classifiers_cover_the_supported_versions(project):
    floor = re.fullmatch(r">=3\.(\d+)", project["requires-python"])
    assert floor, project["requires-python"]
    listed = {int(m) for c in project["classifiers"] for m in re.findall(r"Python :: 3\.(\d+)$", c)}
    assert listed == set(range(int(floor.group(1)), 14))
    assert "Typing :: Typed" in project["classifiers"]
    assert (ROOT / "radbound" / "py.typed").is_file()


def test_oldest_requirements_reads_what_tomllib_reads(project):
    spec = importlib.util.spec_from_file_location("_oldest", ROOT / "tools" / "oldest_requirements.py")
    oldest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oldest)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert oldest.requirements(text, ["dev", "dask"]) == (
        project["dependencies"]
        + project["optional-dependencies"]["dev"]
        + project["optional-dependencies"]["dask"]
    )
    pins = oldest.floors(text, [])
    assert len(pins) == len(project["dependencies"])  # every runtime dependency has a tested floor
    assert "joblib==1.4" in pins and "clarabel==0.8" in pins


def test_citation_and_changelog_match_the_version():
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf"^version: {re.escape(radbound.__version__)}$", cff, flags=re.M)
    assert "Rademacher Complexity for Adversarially Robust Generalization" in cff
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{radbound.__version__}]" in changelog
