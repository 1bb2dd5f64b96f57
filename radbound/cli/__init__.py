"""The ``radbound`` console script.

Sub-commands are registered by small modules, each with ``register(subparsers)``:

- ``radbound complexity`` / ``radbound bound`` (:mod:`radbound.cli._complexity`);
- ``radbound study`` / ``radbound demo`` (:mod:`radbound.cli._study`);
- ``radbound certify`` (:mod:`radbound.cli._certify`).

Run ``radbound --help`` or ``radbound COMMAND --help``.
"""

from __future__ import annotations

import argparse
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse ``argv`` (default ``sys.argv[1:]``) and run the sub-command.

    Errors in the user's input (``ValueError``, ``TypeError``, ``FileNotFoundError``,
    ``NotImplementedError``, ``ImportError``) are printed as one line on stderr with exit code 2.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
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
