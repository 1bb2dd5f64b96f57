"""``radbound study NAME|all|list`` and ``radbound demo``.

``study`` runs (or resumes, or replots) the figures of :mod:`radbound.studies`
(or of a folder of one's own studies, ``--studies-dir``); ``demo`` runs the quick
versions of the paper's figures and prints the paths of the PNG files.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "DEMO_STUDIES"]

DEMO_STUDIES = ("linear_l1", "linear_dimension", "complexity_dimension")


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


def register(subparsers: Any) -> None:
    """Add the ``study`` and ``demo`` sub-commands to an argparse ``subparsers``."""
    p = subparsers.add_parser(
        "study",
        help="run, resume or replot a figure study (NAME, 'all' or 'list')",
        description=(
            "Run a figure study (the modules of radbound.studies): grid cells are appended to "
            "OUT/NAME.csv as they finish "
            "(an interrupted run resumes), OUT/NAME.json records config, seed, versions and wall time, "
            "OUT/NAME.png is the figure. 'radbound study list' lists the studies."
        ),
    )
    p.add_argument("name", help="a study name, 'all', or 'list'")
    p.add_argument("--quick", action="store_true", help="the quick configuration (seconds)")
    p.add_argument(
        "--jobs", type=_positive_int, default=1, metavar="N", help="joblib workers (-1: all cores)"
    )
    p.add_argument(
        "--seed", type=_seed, default=None, metavar="S", help="master seed (default: the config's)"
    )
    p.add_argument(
        "--out", default=None, metavar="DIR", help="output folder (default runs/full or runs/quick)"
    )
    p.add_argument(
        "--plot-only", action="store_true", help="replot from OUT/NAME.csv and .json, compute nothing"
    )
    p.add_argument("--scheduler", default=None, metavar="ADDR", help="dask.distributed scheduler address")
    p.add_argument(
        "--data", default=None, metavar="PATH", help="folder with the MNIST idx files (full MNIST)"
    )
    p.add_argument(
        "--studies-dir",
        default=None,
        metavar="DIR",
        help="a folder of one's own study modules, used instead of the packaged figures",
    )
    p.add_argument("--check", action="store_true", help="assert what each figure is meant to show")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_study_command)

    d = subparsers.add_parser(
        "demo",
        help="quick versions of the paper's figures (1-2 minutes); prints the PNG paths",
        description="Run the quick versions of the paper's linear figures and print the paths of the PNGs.",
    )
    d.add_argument(
        "--out", default="radbound-demo", metavar="DIR", help="output folder (default ./radbound-demo)"
    )
    d.add_argument("--jobs", type=_positive_int, default=min(2, os.cpu_count() or 1), metavar="N")
    d.add_argument(
        "--studies-dir",
        default=None,
        metavar="DIR",
        help="a folder of one's own study modules, used instead of the packaged figures",
    )
    d.add_argument("--no-progress", action="store_true", help="no progress bar")
    d.set_defaults(func=_demo_command)


def _configure(study: Any, args: argparse.Namespace, *, named: bool, demo: bool = False) -> Any:
    fields = {f.name for f in dataclasses.fields(study.config)}
    overrides: dict[str, Any] = {"seed": getattr(args, "seed", None)}
    data = getattr(args, "data", None)
    if data is not None:
        if "data" in fields:
            overrides["data"] = str(Path(data).expanduser().resolve())
        elif named:
            raise ValueError(f"--data does not apply to study {study.name!r}: it does not read MNIST")
    return study.make_config(quick=getattr(args, "quick", False), demo=demo, **overrides)


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
            print(f"skipping {name}: {msg}", file=sys.stderr)
            continue
        out.append(study)
    return out


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
                    print(f"skipping {study.name}: {exc}", file=sys.stderr)
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
            progress=not args.no_progress,
            plot_only=getattr(args, "plot_only", False),
            check=getattr(args, "check", False),
        )
        print(
            f"{run.name}: {run.n_cells} cells ({run.n_computed} computed now) in {run.wall_time_s:.1f} s "
            f"-> {run.png}",
            file=sys.stderr,
        )
        runs.append(run)
    return runs


def _study_command(args: argparse.Namespace) -> int:
    from ..study import check_output_dir, find_studies
    from ..study._discovery import unknown_study_message

    files = find_studies(args.studies_dir)
    if args.name == "list":
        for name, location in files.items():
            study = location.load()
            req = f" (needs {', '.join(study.requires)})" if study.requires else ""
            print(f"{name}{req}: {study.description}")
        return 0
    if args.name != "all" and args.name not in files:
        raise ValueError(unknown_study_message(args.name, list(files), extra=", 'all' or 'list'"))
    named = args.name != "all"
    names = [args.name] if named else list(files)
    out = check_output_dir(args.out or Path("runs") / ("quick" if args.quick else "full"))
    studies = _load(names, args.studies_dir, named=named)
    cfgs = [_configure(s, args, named=named) for s in studies]
    _run_all(studies, cfgs, args, out)
    return 0


def _demo_command(args: argparse.Namespace) -> int:
    from ..study import check_output_dir, find_studies

    files = find_studies(args.studies_dir)
    names = [n for n in DEMO_STUDIES if n in files]
    if not names:
        raise FileNotFoundError(f"none of the demo studies {list(DEMO_STUDIES)} found in the studies folder")
    out = check_output_dir(args.out)
    studies = _load(names, args.studies_dir, named=False)
    cfgs = [_configure(s, args, named=False, demo=True) for s in studies]
    args.plot_only, args.check = False, False
    runs = _run_all(studies, cfgs, args, out)
    print("Figures written:")
    for run in runs:
        print(f"  {run.png}")
    return 0
