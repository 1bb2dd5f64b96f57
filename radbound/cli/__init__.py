"""The ``radbound`` console script.

Sub-commands are registered by small modules, each with ``register(subparsers)``:

- ``radbound complexity`` / ``radbound bound`` (:mod:`radbound.cli._complexity`);
- ``radbound study`` / ``radbound demo`` (:mod:`radbound.cli._study`);
- ``radbound certify`` (:mod:`radbound.cli._certify`).

Run ``radbound --help`` or ``radbound COMMAND --help``.

Results go to standard output; information, progress of long computations and warnings go to
standard error through :mod:`logging` (logger ``radbound``): ``-q`` keeps only warnings and errors,
``-qq`` only errors, ``-v`` adds debugging records. The options are accepted before or after the
command (``radbound -q study ...`` or ``radbound study ... -q``).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import linecache
import logging
import os
import sys
from collections.abc import Iterator, Sequence

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level argument parser with every sub-command registered."""
    from .. import __version__
    from . import _certify, _complexity, _study

    parser = argparse.ArgumentParser(
        prog="radbound",
        description="Rademacher complexities, bounds and paper figures for adversarially robust learning.",
    )
    parser.add_argument("--version", action="version", version=f"radbound {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_complexity, _study, _certify):
        module.register(sub)
    _add_verbosity(parser, default=0)
    for command in _subparsers(parser):
        _add_verbosity(command, default=argparse.SUPPRESS)  # the top-level count stays unless given
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below ``parser`` (sub-commands and theirs), each once."""
    found: dict[int, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                for p in (command, *_subparsers(command)):
                    found.setdefault(id(p), p)
    return list(found.values())


def _add_verbosity(parser: argparse.ArgumentParser, *, default: object) -> None:
    group = parser.add_argument_group("output on standard error")
    group.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=default,
        help="less on stderr: -q only warnings and errors (no progress), -qq only errors",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="more on stderr: -v adds debugging records",
    )


@contextlib.contextmanager
def _logging(args: argparse.Namespace) -> Iterator[None]:
    """Records of the ``radbound`` loggers on stderr while a command runs, at the level of -q/-v."""
    level = logging.INFO + 10 * (getattr(args, "quiet", 0) - getattr(args, "verbose", 0))
    logger = logging.getLogger("radbound")
    handler = logging.StreamHandler(sys.stderr)  # the stderr of this call (tests capture it)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(min(max(level, logging.DEBUG), logging.CRITICAL))
    logger.propagate = False  # shown once, here, whatever the root logger does
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _unrecognized(parser: argparse.ArgumentParser, command: str | None, extra: list[str]) -> None:
    """Exit with the usage of the sub-command (not the top-level one) and a "did you mean"."""
    target = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            target = action.choices[command]
    options = [o for action in target._actions for o in action.option_strings]
    hint = ""
    for word in extra:
        if word.startswith("-"):
            close = difflib.get_close_matches(word.split("=", 1)[0], options, n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean {close[0]!r}?"
                break
    target.error(f"unrecognized arguments: {' '.join(extra)}{hint}")


#: Errors that report a problem with the user's input or files: printed as one line.
_USER_ERRORS = (
    ValueError,
    FileNotFoundError,
    NotImplementedError,
    OverflowError,
    IsADirectoryError,
    PermissionError,
)


def _raised_by_radbound(exc: BaseException) -> bool:
    """True when the innermost frame of ``exc`` is a ``raise`` statement in radbound's own code: a
    deliberate refusal (e.g. a validation helper's TypeError), not a bug surfacing from a call."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.abspath(filename).startswith(package + os.sep):
        return False
    return linecache.getline(filename, tb.tb_lineno).lstrip().startswith("raise ")


def _is_user_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the user's (one line, exit 2) or a bug of the library (its traceback).

    ValueError, FileNotFoundError, NotImplementedError, OverflowError and unreadable paths are about
    the input. A TypeError counts only when radbound raised it deliberately; an ImportError only when
    an optional dependency is missing (``ModuleNotFoundError`` for a package other than radbound, or
    one raised deliberately with installation advice).
    """
    if isinstance(exc, _USER_ERRORS):
        return True
    if isinstance(exc, TypeError):
        return _raised_by_radbound(exc)
    if isinstance(exc, ModuleNotFoundError):
        return not (exc.name or "radbound").startswith("radbound") or _raised_by_radbound(exc)
    if isinstance(exc, ImportError):
        return _raised_by_radbound(exc)
    return False


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``radbound ... | head``): stop quietly, as ``cat`` does."""
    try:  # Python flushes stdout at exit: point it at devnull so that flush cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - stdout without a descriptor
        pass
    return 141  # 128 + SIGPIPE, the status of a Unix tool stopped by a closed pipe


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse ``argv`` (default ``sys.argv[1:]``) and run the sub-command.

    Errors in the user's input are printed as one line on stderr with exit code 2: ``ValueError``,
    ``FileNotFoundError``, ``NotImplementedError``, ``OverflowError``, an unreadable path, a
    ``TypeError`` raised by radbound's own checks and a missing optional dependency. Any other
    exception is a bug and keeps its traceback. A closed output pipe (``radbound ... | head``)
    ends quietly with status 141.
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        _unrecognized(parser, getattr(args, "command", None), extra)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 1
    try:
        with _logging(args):
            status = int(func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return status
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except (ValueError, TypeError, OSError, OverflowError, NotImplementedError, ImportError) as exc:
        if not _is_user_error(exc):
            raise
        print(f"radbound {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
