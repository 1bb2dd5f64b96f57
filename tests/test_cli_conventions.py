"""Command-line conventions: help text on every option, -q/-v through logging, progress of long
exact enumerations (on stderr, never on stdout, never from the library unless asked)."""

from __future__ import annotations

import argparse
import logging
import re

import numpy as np
import pytest

from radbound import _progress
from radbound.cli import build_parser, main


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """``(command path, action, help of the sub-command or None)`` for every action of every parser."""
    for action in parser._actions:
        yield path, action
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), helps.get(name)
                yield from _walk(sub, (*path, name))


def test_every_option_and_command_has_help():
    missing = []
    for path, item in _walk(build_parser()):
        if isinstance(item, argparse.Action):
            if isinstance(item, argparse._SubParsersAction):
                continue
            if not item.help or item.help == argparse.SUPPRESS:
                missing.append(f"radbound {' '.join(path)} {'/'.join(item.option_strings) or item.dest}")
        elif not item:
            missing.append(f"radbound {' '.join(path)} (the command)")
    assert missing == []


#: Arguments a command needs before it parses at all.
_REQUIRED = {
    "bound": ["generalization"],
    "study": ["list"],
    "certify": ["--model", "m.npz", "--eps", "0.1", "--mnist"],
}


def test_every_command_takes_quiet_and_verbose():
    commands = [path for path, item in _walk(build_parser()) if not isinstance(item, argparse.Action)]
    assert len(commands) >= 5
    for path in [(), *commands]:
        argv = [*path, *_REQUIRED.get(path[0] if path else "", []), "-q", "-q", "-v"]
        args, extra = build_parser().parse_known_args(argv if path else ["-qqv"])
        assert extra == [] and args.quiet == 2 and args.verbose == 1, path


def test_top_level_count_survives_a_command_that_does_not_repeat_it():
    args = build_parser().parse_args(["-qq", "study", "list"])
    assert args.quiet == 2 and args.verbose == 0
    args = build_parser().parse_args(["study", "list", "-v"])
    assert args.quiet == 0 and args.verbose == 1


EXACT = ["complexity", "--mnist", "--classes", "3", "8", "--n", "12", "--eps", "0.1", "--method", "exact"]


@pytest.fixture
def every_step(monkeypatch):
    """Progress records from the first step on, at every step (the defaults wait for seconds)."""
    monkeypatch.setattr(_progress, "START_AFTER", 0.0)
    monkeypatch.setattr(_progress, "EVERY", 0.0)


def test_exact_enumeration_progress_on_stderr_and_quiet_hides_it(every_step, capsys):
    assert main(EXACT) == 0
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.startswith("exact enumeration, n = 12")]
    assert lines and re.search(r"4096 of 4096 sign vectors \(100 %\)", "\n".join(lines)), err
    assert "exact enumeration" not in out  # results only on stdout

    for quiet in (["-q", *EXACT], [*EXACT, "-q"]):
        assert main(quiet) == 0
        out_q, err_q = capsys.readouterr()
        assert "exact enumeration" not in err_q
        assert out_q == out  # the same results, whatever goes to stderr


def test_verbose_and_quiet_set_the_level_of_the_radbound_logger(capsys, monkeypatch):
    seen = []
    from radbound.cli import _complexity

    real = _complexity._run_complexity

    def spy(args):
        seen.append(logging.getLogger("radbound").getEffectiveLevel())
        return real(args)

    monkeypatch.setattr(_complexity, "_run_complexity", spy)  # registered when main() builds the parser
    for flags in ([], ["-q"], ["-qq"], ["-v"], ["-q", "-v"]):
        assert main([*flags, *EXACT[:-2], "--method", "monte-carlo", "--n-draws", "20"]) == 0
    capsys.readouterr()
    assert seen == [logging.INFO, logging.WARNING, logging.ERROR, logging.DEBUG, logging.INFO]
    # and the logger is left as it was found
    assert logging.getLogger("radbound").handlers == []


@pytest.mark.parametrize(
    ("call", "n"),
    [
        ("natural p=2 (Gram path)", 11),
        ("natural p=1 (tile path)", 11),
        ("adversarial (tile path)", 11),
        ("any oracle (generic path)", 10),
    ],
)
def test_each_enumeration_path_counts_every_sign_vector(every_step, caplog, capsys, call, n):
    import radbound as rb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 5))
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    caplog.set_level(logging.INFO, logger="radbound.complexity")
    if call.startswith("natural p=2"):
        rb.linear_rademacher(X, p=2, method="exact")
    elif call.startswith("natural p=1"):
        rb.linear_rademacher(X, p=1, method="exact")
    elif call.startswith("adversarial"):
        rb.adversarial_linear_rademacher(X, y, eps=0.1, p=2, method="exact")
    else:
        rb.empirical_rademacher(lambda s: np.abs(s @ X).sum(axis=1), n, method="exact")
    messages = [r.getMessage() for r in caplog.records if r.name == "radbound.complexity"]
    assert any(f"{2**n} of {2**n} sign vectors (100 %)" in m for m in messages), messages
    assert messages[-1].startswith(f"exact enumeration, n = {n}: done in")
    assert capsys.readouterr() == ("", "")  # the library logs; it never prints


def test_progress_waits_then_reports_at_most_every_interval(caplog, monkeypatch):
    monkeypatch.setattr(_progress, "START_AFTER", 5.0)
    monkeypatch.setattr(_progress, "EVERY", 15.0)
    now = [0.0]
    caplog.set_level(logging.INFO, logger="radbound.test")
    log = logging.getLogger("radbound.test")
    p = _progress.Progress(log, "work", 100, unit="items", clock=lambda: now[0])
    for t in (1, 4, 6, 10, 20, 21, 22):  # seconds at which ten more items are done
        now[0] = float(t)
        p.advance(10)
    now[0] = 30.0
    p.finish()
    messages = [r.getMessage() for r in caplog.records]
    # first record after 5 s (at 6 s: 30 done), next one 15 s later (at 21 s: 60 done)
    assert messages == [
        "work: 30 of 100 items (30 %), 6 s elapsed, about 14 s left",
        "work: 60 of 100 items (60 %), 21 s elapsed, about 14 s left",
        "work: done in 30 s",
    ]


def test_a_short_computation_logs_nothing(caplog):
    caplog.set_level(logging.INFO, logger="radbound.test")
    p = _progress.Progress(logging.getLogger("radbound.test"), "work", 10, clock=lambda: 0.0)
    p.advance(10)
    p.finish()
    assert caplog.records == []
