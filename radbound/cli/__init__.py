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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse ``argv`` (default ``sys.argv[1:]``) and run the sub-command.

    Errors in the user's input (``ValueError``, ``TypeError``, ``FileNotFoundError``,
    ``NotImplementedError``, ``ImportError``) are printed as one line on stderr with exit code 2.
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
        return int(func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, NotImplementedError, ImportError) as exc:
        print(f"radbound {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
