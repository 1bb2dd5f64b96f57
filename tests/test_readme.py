"""The README's Python snippets run, in order, in one namespace (as a reader would paste them)."""

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    first = _blocks("bash")[0].strip().splitlines()
    assert text.index("```bash") < 40
    assert [line.split()[:2] for line in first] == [["make", "demo"], ["make", "test"]]


def test_readme_python_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    blocks = _blocks("python")
    assert len(blocks) >= 5
    for block in blocks:
        if "import torch" in block and importlib.util.find_spec("torch") is None:
            continue
        exec(compile(block, str(README), "exec"), namespace)
    # the snippets' own claims
    assert namespace["small"].is_exact and namespace["small"].stderr == 0.0
    s = namespace["s"]
    assert s.lower.value <= s.estimate.value <= s.upper.value


def test_readme_cli_examples_parse():
    from radbound.cli import build_parser

    parser = build_parser()
    for block in _blocks("bash"):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if line.startswith(".venv/bin/radbound "):
                args = parser.parse_args(line.split()[1:])
                assert callable(args.func), line


def test_readme_cli_complexity_example_runs(capsys):
    from radbound.cli import main

    line = next(
        ln for b in _blocks("bash") for ln in b.splitlines() if ln.startswith(".venv/bin/radbound complexity")
    )
    assert main(line.split()[1:]) == 0
    assert "adversarial R_S(F~)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "path", ["docs/notation.md", "docs/reproduce.md", "radbound/studies/README.md", "LICENSE"]
)
def test_readme_links_exist(path):
    assert (README.parent / path).exists()
