"""The ``radbound`` console script.

Sub-commands are registered by small modules, each with ``register(subparsers)``:

- ``radbound complexity`` / ``radbound bound`` (:mod:`radbound.cli._complexity`);
- ``radbound study`` / ``radbound demo`` (:mod:`radbound.cli._study`);
- ``radbound certify`` (:mod:`radbound.cli._certify`).

Run ``radbound --help`` or ``radbound COMMAND --help``.
"""

from __future__ import annotations

import argparse
import difflib
import linecache
import os
import sys
from collections.abc import Sequence

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
    return parser


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
