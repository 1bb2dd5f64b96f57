"""``radbound study NAME|all|list`` and ``radbound demo``.

``study`` runs (or resumes, or replots) the figures of :mod:`radbound.studies`
(or of a folder of one's own studies, ``--studies-dir``); ``demo`` runs the quick
versions of the paper's figures and prints the paths of the PNG files.

Exit codes: 0 done; 1 a figure does not show what it claims (``--check``); 2 bad input, or
another run holds the output folder; 130 interrupted (Ctrl-C or SIGTERM: the finished cells are
saved and the same command resumes).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import json
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["register", "DEMO_STUDIES", "parse_setting"]

#: Information and skipped studies are logged (stderr; -q hides information); results are printed.
logger = logging.getLogger("radbound.cli")

DEMO_STUDIES = ("linear_l1", "linear_dimension", "complexity_dimension")
#: ``radbound demo`` runs its three small studies with this many workers by default.
DEMO_JOBS = min(2, os.cpu_count() or 1)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"must be a positive integer or -1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {value}")
    return value


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_setting(text: str, default: Any) -> Any:
    """The value of ``--set KEY=TEXT`` for a config field whose default is ``default``.

    ``TEXT`` is read as JSON (``3``, ``0.5``, ``true``, ``null``, ``[0, 0.01]``), else as a
    string; for a tuple field, ``0,0.01`` and a single number are accepted too.

    Examples
    --------
    >>> parse_setting("[0, 0.01]", (0.0,)) == (0, 0.01) and parse_setting("0,0.01", (0.0,)) == (0, 0.01)
    True
    >>> parse_setting("fast", "sgd-attack") == "fast" and parse_setting("3", 10) == 3
    True
    """
    if isinstance(default, tuple):
        if text.startswith("[") or text.startswith("("):
            value = _value("[" + text[1:-1] + "]") if text.startswith("(") else _value(text)
        else:
            value = [_value(t.strip()) for t in text.split(",") if t.strip()]
        return tuple(value) if isinstance(value, list) else (value,)
    return _value(text)


def register(subparsers: Any) -> None:
    """Add the ``study`` and ``demo`` sub-commands to an argparse ``subparsers``."""
    p = subparsers.add_parser(
        "study",
        help="run, resume or replot a figure study (NAME, 'all' or 'list')",
        description=(
            "Run a figure study (the modules of radbound.studies): grid cells are appended to "
            "OUT/NAME.csv as they finish, each with its row count and checksum (an interrupted run "
            "resumes; damaged lines are named and recomputed), OUT/NAME.json records config, seed and, "
            "per session, command, versions and wall time; OUT/NAME.png is the figure. "
            "'radbound study list' lists the studies."
        ),
    )
    p.add_argument("name", help="a study name, 'all', or 'list'")
    p.add_argument("--quick", action="store_true", help="the quick configuration (seconds)")
    p.add_argument(
        "--preset",
        default=None,
        metavar="NAME",
        help="a named configuration of the study (see 'radbound study list', e.g. medium); "
        "--quick is --preset quick",
    )
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker processes (default 1: cells run in this process; -1: all cores)",
    )
    p.add_argument(
        "--seed", type=_seed, default=None, metavar="S", help="master seed (default: the config's)"
    )
    p.add_argument(
        "--set",
        dest="settings",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field of the study's config (repeatable), e.g. --set n_reps=3 --set eps=0,0.01",
    )
    p.add_argument(
        "--out", default=None, metavar="DIR", help="output folder (default runs/full or runs/quick)"
    )
    p.add_argument(
        "--plot-only", action="store_true", help="replot from OUT/NAME.csv and .json, compute nothing"
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="dask.distributed scheduler address (tcp://host:port)",
    )
    p.add_argument(
        "--data", default=None, metavar="PATH", help="folder with the MNIST idx files (full MNIST)"
    )
    p.add_argument(
        "--studies-dir",
        default=None,
        metavar="DIR",
        help="a folder of one's own study modules, used instead of the packaged figures",
    )
    p.add_argument(
        "--check", action="store_true", help="check what each figure claims (exit 1 if a claim fails)"
    )
    p.add_argument("--json", action="store_true", help="with 'list': print the studies as JSON")
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (default: a bar when stderr is a terminal)",
    )
    p.set_defaults(func=_study_command)

    d = subparsers.add_parser(
        "demo",
        help="quick versions of the paper's figures (1-2 minutes); prints the PNG paths",
        description="Run the quick versions of the paper's linear figures and print the paths of the PNGs.",
    )
    d.add_argument(
        "--out", default="radbound-demo", metavar="DIR", help="output folder (default ./radbound-demo)"
    )
    d.add_argument(
        "--jobs",
        type=_positive_int,
        default=DEMO_JOBS,
        metavar="N",
        help=f"worker processes (default {DEMO_JOBS}: min(2, cores); -1: all cores)",
    )
    d.add_argument(
        "--studies-dir",
        default=None,
        metavar="DIR",
        help="a folder of one's own study modules, used instead of the packaged figures",
    )
    d.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (default: a bar when stderr is a terminal)",
    )
    d.set_defaults(func=_demo_command)


def _configure(study: Any, args: argparse.Namespace, *, named: bool, demo: bool = False) -> Any:
    fields = {f.name: f for f in dataclasses.fields(study.config)}
    overrides: dict[str, Any] = {"seed": getattr(args, "seed", None)}
    data = getattr(args, "data", None)
    if data is not None:
        if "data" in fields:
            overrides["data"] = str(Path(data).expanduser().resolve())
        elif named:
            raise ValueError(f"--data does not apply to study {study.name!r}: it does not read MNIST")
    preset = getattr(args, "preset", None)
    if preset is not None and not named:
        raise ValueError("--preset applies to one named study, not to 'all'")
    base = study.make_config(quick=getattr(args, "quick", False), demo=demo, preset=preset)
    for key, text in getattr(args, "settings", []):
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"--set {key}=...: study {study.name!r} has no config field {key!r}; "
                f"fields are {sorted(fields)}{hint}"
            )
        if key in ("seed", "data") and overrides.get(key) is not None:
            raise ValueError(f"--set {key}=... and --{key} both given: use one")
        overrides[key] = parse_setting(text, getattr(base, key))
    explicit = {key for key, _ in getattr(args, "settings", [])}
    overrides = {k: v for k, v in overrides.items() if v is not None or k in explicit}
    return dataclasses.replace(base, **overrides) if overrides else base


def _load(names: list[str], studies_dir: str | None, *, named: bool) -> list[Any]:
    from ..study import find_studies

    found = find_studies(studies_dir)
    out = []
    for name in names:
        study = found[name].load()
        if study.missing:
            msg = f"study {name!r} needs {', '.join(study.missing)}, which is not installed"
            if named:
                raise ValueError(msg)
            logger.warning("skipping %s: %s", name, msg)
            continue
        out.append(study)
    return out


@contextlib.contextmanager
def _file_warnings_as_lines(prog: str) -> Iterator[None]:
    """Study-file warnings (damaged lines, partial runs) as one line on stderr, no source echo."""
    from ..study import StudyFileWarning

    previous = warnings.showwarning

    def show(
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        if issubclass(category, (StudyFileWarning, UserWarning)):
            print(f"{prog}: warning: {message}", file=sys.stderr)
        else:  # pragma: no cover - other warnings keep their usual form
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def _run_all(studies: list[Any], cfgs: list[Any], args: argparse.Namespace, out: Path) -> list[Any]:
    from ..study import run_study
    from ..study._runner import preflight

    if not args.plot_only:  # every bad input is reported before any work
        if getattr(args, "name", None) == "all":
            # A study whose configuration cannot run on this data (e.g. the network study's paper
            # grid needs the full MNIST files) is skipped with its reason, as a study whose
            # requirements are missing is; named alone, the same check is an error.
            kept = []
            for study, cfg in zip(studies, cfgs):
                try:
                    if study.validate is not None:
                        study.validate(cfg)
                except ValueError as exc:
                    logger.warning("skipping %s: %s", study.name, exc)
                    continue
                kept.append((study, cfg))
            studies, cfgs = [s for s, _ in kept], [c for _, c in kept]
        for study, cfg in zip(studies, cfgs):
            preflight(study, cfg, out)
    runs = []
    for study, cfg in zip(studies, cfgs):
        run = run_study(
            study,
            cfg,
            out=out,
            jobs=args.jobs,
            scheduler=getattr(args, "scheduler", None),
            progress=False if args.no_progress else None,
            plot_only=getattr(args, "plot_only", False),
            check=getattr(args, "check", False),
        )
        logger.info(
            "%s: %d cells (%d computed now) in %.1f s -> %s",
            run.name,
            run.n_cells,
            run.n_computed,
            run.wall_time_s,
            run.png,
        )
        runs.append(run)
    return runs


def _guarded(prog: str, body: Any) -> int:
    """Run ``body()``; interruption, a failed claim and a held lock become one line and an exit code."""
    from ..study import FigureClaimError, StudyInterrupted, StudyLockedError

    try:
        with _file_warnings_as_lines(prog):
            return int(body() or 0)
    except StudyInterrupted as exc:
        print(
            f"{prog}: interrupted: {exc.n_saved} of {exc.n_cells} cells of {exc.name} saved in {exc.csv}; "
            "rerun to resume",
            file=sys.stderr,
        )
        return 130
    except KeyboardInterrupt:
        print(f"{prog}: interrupted before any cell was computed; rerun to resume", file=sys.stderr)
        return 130
    except FigureClaimError as exc:
        print(f"{prog}: figure claim failed: {exc}", file=sys.stderr)
        return 1
    except StudyLockedError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2


def _study_info(name: str, location: Any) -> dict[str, Any]:
    from ..study import config_to_dict

    study = location.load()
    return {
        "name": name,
        "description": study.description,
        "data_note": study.data_note,
        "requires": list(study.requires),
        "available": study.available,
        "where": location.where,
        "presets": list(study.preset_names),
        "cells": {name: len(study.cells(study.preset(name))) for name in study.preset_names},
        "config": {name: config_to_dict(study.preset(name)) for name in study.preset_names},
    }


def _study_command(args: argparse.Namespace) -> int:
    from ..study import check_output_dir, find_studies
    from ..study._discovery import unknown_study_message

    files = find_studies(args.studies_dir)
    if args.name == "list":
        if args.json:
            print(json.dumps([_study_info(n, loc) for n, loc in files.items()], indent=2))
            return 0
        for name, location in files.items():
            study = location.load()
            req = f" (needs {', '.join(study.requires)})" if study.requires else ""
            extra = f" [presets: {', '.join(study.presets)}]" if study.presets else ""
            print(f"{name}{req}: {study.description}{extra}")
        return 0
    if args.json:
        raise ValueError("--json applies to 'radbound study list' only")
    if args.name != "all" and args.name not in files:
        raise ValueError(unknown_study_message(args.name, list(files), extra=", 'all' or 'list'"))
    named = args.name != "all"
    if args.settings and not named:
        raise ValueError("--set applies to one named study, not to 'all'")
    if args.settings and args.plot_only:
        raise ValueError(
            "--set does not apply with --plot-only (the config is the one recorded in OUT/NAME.json)"
        )
    if args.quick and args.preset is not None and args.preset != "quick":
        raise ValueError(f"--quick and --preset {args.preset} both given: use one")
    names = [args.name] if named else list(files)
    default_out = Path("runs") / (args.preset or ("quick" if args.quick else "full"))
    out = check_output_dir(args.out or default_out)
    studies = _load(names, args.studies_dir, named=named)
    cfgs = [_configure(s, args, named=named) for s in studies]

    def body() -> int:
        _run_all(studies, cfgs, args, out)
        return 0

    return _guarded("radbound study", body)


def _demo_command(args: argparse.Namespace) -> int:
    from ..study import check_output_dir, find_studies

    files = find_studies(args.studies_dir)
    names = [n for n in DEMO_STUDIES if n in files]
    if not names:
        raise FileNotFoundError(f"none of the demo studies {list(DEMO_STUDIES)} found in the studies folder")
    out = check_output_dir(args.out)
    studies = _load(names, args.studies_dir, named=False)
    cfgs = [_configure(s, args, named=False, demo=True) for s in studies]
    args.plot_only, args.check, args.settings = False, False, []

    def body() -> int:
        runs = _run_all(studies, cfgs, args, out)
        print("Figures written:")
        for run in runs:
            print(f"  {run.png}")
        return 0

    return _guarded("radbound demo", body)
