"""Reproducible studies: one module per figure, run cell by cell, resumable.

A study (a module of :mod:`radbound.studies`, one per figure, or a file of one's own
studies folder) defines ``STUDY = Study(...)``:
a frozen config dataclass with a quick and a full instance, ``cells(cfg)`` (the
grid), ``compute_cell(cfg, cell, seed)`` (tidy rows of one cell, a pure function),
``plot(rows, cfg)`` (reads only the rows) and ``check(rows, cfg)`` (raises
:class:`FigureClaimError` when the rows do not show what the figure claims).
:func:`run_study` writes ``NAME.csv`` (each cell's rows appended in one write when it
finishes, with the cell's row count and checksum, so a killed run resumes where it stopped and
a damaged line is found, named and recomputed), ``NAME.json`` (config, seed, and per session the
command, versions and wall time) and ``NAME.png``; cells run serially, in worker processes or on
a dask cluster, with per-cell seeds ``SeedSequence([seed, cell_index])``. One run at a time
writes a study into a folder (an OS lock).

The command line is ``radbound study NAME|all [--quick] [--jobs N] ...``.
"""

from ._core import FigureClaimError, Study, cell_key, cell_seed, claim, config_from_dict, config_to_dict
from ._discovery import (
    PACKAGE,
    StudyLocation,
    find_studies,
    load_study,
    load_study_file,
    studies_dir,
)
from ._io import DamagedFileError, StudyFileWarning, read_record, read_rows, scan_csv
from ._lock import StudyLockedError
from ._runner import StudyInterrupted, StudyRun, check_output_dir, config_diff, run_study

__all__ = [
    "Study",
    "StudyRun",
    "FigureClaimError",
    "claim",
    "StudyInterrupted",
    "StudyLockedError",
    "StudyFileWarning",
    "DamagedFileError",
    "scan_csv",
    "config_diff",
    "run_study",
    "load_study",
    "load_study_file",
    "find_studies",
    "StudyLocation",
    "PACKAGE",
    "studies_dir",
    "read_rows",
    "read_record",
    "cell_seed",
    "cell_key",
    "config_to_dict",
    "config_from_dict",
    "check_output_dir",
]
