"""The README and the docs pages, run as a reader would run them.

* Every Python block of the README runs, in order, in one namespace and one working folder; each
  docs page's Python blocks run in a namespace of their own, in the same folder. A block is skipped
  only when this machine cannot run it (no torch, no CUDA device), with that reason.
* Every number (and True/False) that a comment says a ``print(...)`` line prints, or that a
  bare expression shows, is compared with what the code prints: same order, within one unit of
  the comment's last digit.
* Every shell line of the README and of the docs pages (``docs/``, the studies' READMEs) either
  runs here, in process, in the same working folder (so ``--model W.npz`` reads the file that the
  README's script saved), or is excluded in ``EXCLUDED`` with the reason shown there. Figure
  studies run with ``--quick`` (the same code on a small grid); ``~/mnist`` is a stand-in folder
  holding the bundled digits in the layout of keras' ``mnist.npz``.
* Each block and line stays within a CPU-time budget, so that the examples stay quick.

``.ci/check_dist`` also runs this file with the radbound of a fresh venv holding only the built
wheel (and pytest): what a pip user gets.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib.util
import io
import json
import re
import shlex
import sys
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: The pages whose shell blocks are run (besides the README): the docs site and the studies' READMEs.
SHELL_PAGES = [
    README,
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "radbound" / "studies" / "README.md",
    ROOT / "studies" / "README.md",
]
SHELL_PAGES = [p for p in SHELL_PAGES if p.is_file() and "_build" not in p.parts]

#: Shell lines not run by this test, each with the reason (a regular expression on the command).
#: An entry that matches no line of the pages is stale and fails ``test_exclusions_are_used``.
EXCLUDED: dict[str, str] = {
    r"^make demo$": "sets up .venv and runs `radbound demo` (1-2 min); .ci/check_dist runs `radbound demo` "
    "from the built wheel in a fresh venv",
    r"^make test$": "the test suite itself (.ci/run runs it)",
    r"^pip install ": "installs from a package index; .ci/check_dist installs the built wheel into a fresh "
    "venv and runs these tests there",
    r"^(\.venv/bin/)?radbound demo$": "1-2 min; .ci/check_dist runs it from the built wheel in a fresh venv",
    r"^(\.venv/bin/)?radbound study all ": "every study in turn; each one's quick configuration runs in "
    "tests/test_studies.py",
    r"--scheduler tcp://": "needs a dask.distributed scheduler at that address; "
    "tests/test_study_framework.py runs a study on a local dask cluster",
}

#: What the output of a command must contain, besides a zero exit code (a regex on stdout + stderr).
EXPECTED_OUTPUT: dict[str, str] = {
    r"^complexity ": r"adversarial R_S\(F~\)",
    r"^bound generalization .*--model": r"post-hoc price",
    r"^study list$": r"linear_l1",
    r"^study (?!list)": r"-> \S+\.png",
}


# --------------------------------------------------------------------------------------------------
# reading the pages
# --------------------------------------------------------------------------------------------------
def _blocks(path: Path, langs: tuple[str, ...]) -> list[tuple[str, int, str]]:
    """``(lang, first line number, text)`` of the fenced blocks of ``path`` in those languages."""
    out = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.fullmatch(r"```(\w+)\s*", lines[i])
        if m:
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            if m.group(1) in langs:
                out.append((m.group(1), i + 2, "\n".join(lines[i + 1 : j]) + "\n"))
            i = j
        i += 1
    return out


@dataclass(frozen=True)
class ShellLine:
    page: str
    lineno: int
    command: str  # without its comment, continuation lines joined

    @property
    def id(self) -> str:
        return f"{self.page}:{self.lineno}"


def _shell_lines() -> list[ShellLine]:
    out = []
    for page in SHELL_PAGES:
        for _, start, text in _blocks(page, ("bash", "shell", "sh", "console")):
            pending, first = "", 0
            for k, raw in enumerate(text.splitlines()):
                if not pending:
                    first = start + k
                pending += raw.rstrip("\\").rstrip() + " " if raw.rstrip().endswith("\\") else raw
                if raw.rstrip().endswith("\\"):
                    continue
                words = shlex.split(pending, comments=True)
                pending = ""
                if words:
                    out.append(ShellLine(str(page.relative_to(ROOT)), first, shlex.join(words)))
    return out


LINES = _shell_lines()


def _exclusion(command: str) -> str | None:
    for pattern, reason in EXCLUDED.items():
        if re.search(pattern, command):
            return reason
    return None


def _argv(command: str, home: Path) -> list[str] | None:
    """The radbound arguments of a runnable line (``~`` is ``home``); None if it is no radbound call."""
    words = shlex.split(command)
    if words[0] not in ("radbound", ".venv/bin/radbound"):
        return None
    argv = [str(home) + w[1:] if w.startswith("~/") else w for w in words[1:]]
    if argv[:1] == ["study"] and argv[1] not in ("list",) and not {"--quick", "--plot-only"} & set(argv):
        argv.append("--quick")  # the full grid takes minutes to hours: same code, small grid
    return argv


RUNNABLE = [line for line in LINES if _exclusion(line.command) is None]


def test_the_pages_have_shell_lines():
    pages = {line.page for line in LINES}
    assert "README.md" in pages and "docs/reproduce.md" in pages
    assert len(RUNNABLE) >= 8


def test_every_shell_line_is_run_or_excluded_with_a_reason():
    """A shell line that is neither a radbound call (run here) nor excluded needs a decision."""
    undecided = [f"{ln.id}: {ln.command}" for ln in RUNNABLE if _argv(ln.command, Path("/h")) is None]
    assert undecided == [], "add them to EXCLUDED with a reason, or make them radbound calls"


def test_exclusions_are_used():
    unused = [p for p in EXCLUDED if not any(re.search(p, ln.command) for ln in LINES)]
    assert unused == []


def test_no_placeholder_in_a_shell_line():
    """``radbound study NAME`` cannot be pasted: the pages name real studies."""
    assert [ln.id for ln in LINES if re.search(r"\b[A-Z]{3,}\b", ln.command)] == []


# --------------------------------------------------------------------------------------------------
# one reader's session: the snippets and every runnable shell line, in one folder
# --------------------------------------------------------------------------------------------------
#: Pages whose Python blocks are run: the README (one namespace, in order with its shell lines) and
#: each docs page's examples (one namespace per page).
PYTHON_PAGES = [README, *[p for p in SHELL_PAGES if p != README and _blocks(p, ("python",))]]

#: CPU seconds (all threads of this process) allowed for one snippet or shell line, and for all of
#: them: the quick variants take a few seconds each; a line over budget has outgrown the suite.
ITEM_BUDGET_S = 60.0
TOTAL_BUDGET_S = 300.0


@dataclass
class Session:
    namespaces: dict[str, dict] = field(default_factory=dict)  # page -> namespace of its snippets
    printed: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (page, line) -> output
    skipped: dict[str, str] = field(default_factory=dict)  # block id -> reason
    errors: dict[str, str] = field(default_factory=dict)  # block id -> traceback
    results: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # id -> (exit, stdout, stderr)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # block or line id -> CPU time


def _stand_in_mnist(home: Path) -> None:
    """``~/mnist/mnist.npz`` in keras' layout, holding the bundled digits (7,000 train, 3,000 test)."""
    from radbound.data import load_mnist

    ds = load_mnist()
    train, test = ds.split(3000, seed=0)
    (home / "mnist").mkdir(parents=True)
    to_bytes = lambda X: np.round(X * 255).astype(np.uint8).reshape(-1, 28, 28)  # noqa: E731
    np.savez(
        home / "mnist" / "mnist.npz",
        x_train=to_bytes(train.X),
        y_train=train.y.astype(np.uint8),
        x_test=to_bytes(test.X),
        y_test=test.y.astype(np.uint8),
    )


def _skip_reason(block: str) -> str | None:
    """Why a block cannot run on this machine (None: it can)."""
    imports_torch = re.search(r"^\s*(import|from)\s.*\btorch\b", block, flags=re.M)
    if imports_torch and importlib.util.find_spec("torch") is None:
        return "needs torch (pip install torch; see the README's torch section)"
    code = "\n".join(line.split("#")[0] for line in block.splitlines())
    if "cuda" in code:
        import torch

        if not torch.cuda.is_available():
            return "needs a CUDA device (none on this machine; the GPU path is tested on CPU tensors)"
    return None


def _is_print(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "print"
    )


def _run_python(page: Path, block: str, first_line: int, session: Session) -> None:
    """Run ``block`` statement by statement, as a reader pasting it would see it.

    What ``print`` writes is recorded under the line of the call; the value of a bare expression
    statement (shown by an interactive interpreter) under the statement's first line.
    """
    name = str(page.relative_to(ROOT))
    filename = str(page)
    namespace = session.namespaces.setdefault(name, {})
    tree = ast.parse(block, filename=filename)
    ast.increment_lineno(tree, first_line - 1)

    def recording_print(*args, sep=" ", end="\n", file=None, flush=False):
        if file is None:
            caller = sys._getframe(1)
            if caller.f_code.co_filename == filename:
                session.printed.setdefault((name, caller.f_lineno), []).append(sep.join(map(str, args)))
        builtins.print(*args, sep=sep, end=end, file=file, flush=flush)

    namespace["print"] = recording_print
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and not _is_print(stmt):
            value = eval(compile(ast.Expression(stmt.value), filename, "eval"), namespace)
            if value is not None:
                session.printed.setdefault((name, stmt.lineno), []).append(repr(value))
        else:
            exec(compile(ast.Module([stmt], type_ignores=[]), filename, "exec"), namespace)


def _run_shell(line: ShellLine, home: Path) -> tuple[int, str, str]:
    from radbound.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(_argv(line.command, home))
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 1
    return int(code or 0), out.getvalue(), err.getvalue()


def _block_id(page: Path, start: int) -> str:
    return f"{page.relative_to(ROOT)}:{start}"


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Session:
    """Run everything once, in document order, in one temporary working folder."""
    import traceback

    work = tmp_path_factory.mktemp("reader")
    home = work / "home"
    mp = pytest.MonkeyPatch()
    mp.chdir(work)
    mp.setenv("HOME", str(home))
    mp.setenv("MPLBACKEND", "Agg")
    mp.delenv("RADBOUND_MNIST", raising=False)
    s = Session()
    try:
        if any("~/mnist" in ln.command for ln in RUNNABLE):
            _stand_in_mnist(home)
        events: list[tuple[str, int, str, object]] = []  # (page, line, kind, item): pages in order
        for page in PYTHON_PAGES:
            name = str(page.relative_to(ROOT))
            events += [(name, start, "python", (page, text)) for _, start, text in _blocks(page, ("python",))]
        events += [(ln.page, ln.lineno, "shell", ln) for ln in RUNNABLE]
        order = {str(p.relative_to(ROOT)): k for k, p in enumerate(SHELL_PAGES)}
        # the README first and in document order: its shell lines read files its scripts write
        for _page, start, kind, item in sorted(events, key=lambda e: (order[e[0]], e[1])):
            t0 = time.process_time()
            if kind == "python":
                page, text = item  # type: ignore[misc]
                bid = _block_id(page, start)
                reason = _skip_reason(text)
                if reason is not None:
                    s.skipped[bid] = reason
                    continue
                try:
                    _run_python(page, text, start, s)
                except Exception:  # reported by test_python_block_runs, with the page and line
                    s.errors[bid] = traceback.format_exc()
                s.cpu_seconds[bid] = time.process_time() - t0
            else:
                assert isinstance(item, ShellLine)
                s.results[item.id] = _run_shell(item, home)
                s.cpu_seconds[item.id] = time.process_time() - t0
    finally:
        mp.undo()
    return s


PYTHON_BLOCKS = [(page, start) for page in PYTHON_PAGES for _, start, _ in _blocks(page, ("python",))]


@pytest.mark.parametrize(("page", "start"), PYTHON_BLOCKS, ids=[_block_id(p, s) for p, s in PYTHON_BLOCKS])
def test_python_block_runs(session, page, start):
    bid = _block_id(page, start)
    if bid in session.skipped:
        pytest.skip(session.skipped[bid])
    assert bid not in session.errors, session.errors.get(bid)


@pytest.mark.parametrize("line", RUNNABLE, ids=[ln.id for ln in RUNNABLE])
def test_shell_line_runs(session, line):
    code, stdout, stderr = session.results[line.id]
    output = stdout + stderr
    assert code == 0, f"{line.command}\n{output[-2000:]}"
    argv = _argv(line.command, Path("~"))
    command = " ".join(argv)
    for pattern, expected in EXPECTED_OUTPUT.items():
        if re.search(pattern, command):
            assert re.search(expected, output), f"{line.command}: no {expected!r} in\n{output[-2000:]}"
    if "--json" in argv:
        json.loads(stdout)


def test_quick_variants_fit_the_time_budget(session):
    over = {k: round(t, 1) for k, t in session.cpu_seconds.items() if t > ITEM_BUDGET_S}
    assert over == {}, f"over {ITEM_BUDGET_S} CPU s each (make the example or its quick variant smaller)"
    assert sum(session.cpu_seconds.values()) <= TOTAL_BUDGET_S, session.cpu_seconds


# --------------------------------------------------------------------------------------------------
# the numbers in the comments
# --------------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"True|False|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
#: A comment on a bare expression states its value when it starts like a value does.
_VALUE_COMMENT = re.compile(r"\s*(True|False|[-+]?\.?\d|[A-Za-z_]\w*\()")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _unit(token: str) -> float:
    """One unit of the last digit written: 0.01 for '2.41', 1 for '2000', 1e-6 for '2.4e-5'."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def _matches(expected: str, printed: str) -> bool:
    if expected in ("True", "False") or printed in ("True", "False"):
        return expected == printed
    return abs(float(printed) - float(expected)) <= _unit(expected) * (1 + 1e-9)


def _comments_from(last: int, comment_on: dict[int, str], lines: list[str]) -> list[str]:
    """The comment of (1-based) line ``last`` and those of the comment-only lines right below it."""
    found = [comment_on[last]] if last in comment_on else []
    j = last  # 0-based index of the next line
    while j < len(lines) and lines[j].strip().startswith("#"):
        found.append(lines[j].strip()[1:])
        j += 1
    return found


def _output_comments(page: Path) -> list[tuple[int, str]]:
    """``(line, comment)`` of each statement whose comment says what it shows.

    A ``print(...)`` line's trailing comment (with the comment-only lines right below it) lists
    the numbers printed; so does the comment of a bare expression statement (the value an
    interactive interpreter shows) when it starts like a value: a number, True/False or ``Name(``.
    """
    out = []
    for _, start, text in _blocks(page, ("python",)):
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
        lines = text.splitlines()
        comment_on = {t.start[0]: t.string[1:] for t in toks if t.type == tokenize.COMMENT}

        for node in ast.walk(ast.parse(text)):
            if _is_print(node):
                assert isinstance(node, ast.Expr)
                one_line = node.lineno == node.end_lineno
                comments = _comments_from(node.lineno, comment_on, lines) if one_line else []
                if comments:
                    out.append((start + node.lineno - 1, " ".join(comments)))
        for stmt in ast.parse(text).body:
            if isinstance(stmt, ast.Expr) and not _is_print(stmt):
                comments = _comments_from(stmt.end_lineno or stmt.lineno, comment_on, lines)
                if comments and _VALUE_COMMENT.match(comments[0]):
                    out.append((start + stmt.lineno - 1, " ".join(comments)))
    return sorted(out)


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=[str(p.relative_to(ROOT)) for p in PYTHON_PAGES])
def test_comments_say_what_the_code_prints(session, page):
    """Every number (and True/False) of an output comment, up to its first ": " (after which the
    comment explains), is printed, in that order, within one unit of the comment's last digit."""
    name = str(page.relative_to(ROOT))
    checked = 0
    for lineno, comment in _output_comments(page):
        if (name, lineno) not in session.printed:
            block = max(b for b in (s for p, s in PYTHON_BLOCKS if p == page) if b <= lineno)
            if _block_id(page, block) in session.skipped:
                continue
            raise AssertionError(f"{name}:{lineno} printed nothing")
        output = "\n".join(session.printed[(name, lineno)])
        printed = _tokens(output)
        k = 0
        for expected in _tokens(comment.split(": ")[0]):  # after ": " the comment explains
            while k < len(printed) and not _matches(expected, printed[k]):
                k += 1
            assert k < len(printed), (
                f"{name}:{lineno}: the comment says {expected} where the code prints\n{output}"
            )
            k += 1
            checked += 1
    if page == README:
        assert checked >= 20


def test_readme_snippets_hold_their_claims(session):
    ns = session.namespaces["README.md"]
    assert ns["small"].is_exact and ns["small"].stderr == 0.0
    s = ns["s"]
    assert s.lower.value <= s.estimate.value <= s.upper.value
    assert ns["acc"] <= (ns["wc"].margins > 0).mean()  # the paper's attack can only be weaker
    assert "post-hoc price" in ns["bound"].terms


# --------------------------------------------------------------------------------------------------
# the first lines and the links
# --------------------------------------------------------------------------------------------------
def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    first = _blocks(README, ("bash",))[0][2].strip().splitlines()
    assert text.index("```bash") < 40
    assert [line.split()[:2] for line in first] == [["make", "demo"], ["make", "test"]]


def _relative_links(text: str) -> list[str]:
    links = re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text)
    return [t for t in links if "://" not in t and not t.startswith("mailto:")]


def test_readme_links_and_images_are_relative_and_exist():
    """Links work on a code host (relative to the README) and from a checkout."""
    text = README.read_text(encoding="utf-8")
    targets = _relative_links(text)
    assert any(t.endswith(".png") for t in targets)
    assert [t for t in targets if not (ROOT / t).exists()] == []


def test_readme_and_docs_name_every_notebook():
    names = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.py"))
    words = {5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}
    readme = README.read_text(encoding="utf-8")
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    notebooks_page = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    assert f"holds {words.get(len(names), len(names))} teaching notebooks" in readme
    for name in names:
        assert re.search(rf"\b{name[:2]} \w", readme), f"README does not describe notebook {name}"
        assert f"`{name}`" in index and f"notebooks/{name}" in notebooks_page, name
