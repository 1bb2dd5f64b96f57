"""Finding and loading the study modules: the packaged figures, or the ``*.py`` files of a folder.

The figures that come with radbound are the modules of the :mod:`radbound.studies` package,
listed with :mod:`importlib.resources` (so an installed wheel finds them exactly as a checkout
does) and imported by module name only when one is loaded: importing :mod:`radbound.study`
imports no figure. A folder of one's own studies (``--studies-dir DIR`` on the command line, or
the ``RADBOUND_STUDIES`` environment variable) replaces the packaged set; its modules are loaded
by file path (the file's text compiled under its own filename into a fresh module), so the folder
needs no ``__init__.py`` and need not be on ``sys.path``, and worker processes can rebuild such a
study from the text shipped with each task.

A study module defines a module-level ``STUDY`` (a :class:`~radbound.study.Study`) whose ``name``
is the module's name.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib
import importlib.resources
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import cast

from ._core import Study

__all__ = [
    "PACKAGE",
    "StudyLocation",
    "find_studies",
    "studies_dir",
    "load_study",
    "load_study_file",
    "load_study_source",
    "unknown_study_message",
]

#: The package holding the figure definitions that come with radbound.
PACKAGE = "radbound.studies"
ENV_VAR = "RADBOUND_STUDIES"
_MODULE_PREFIX = "_radbound_studies"
_SOURCE_CACHE: dict[tuple[str, str], Study] = {}


@dataclass(frozen=True)
class StudyLocation:
    """Where the study ``name`` is defined: a module of :mod:`radbound.studies`, or a file.

    Attributes
    ----------
    name : str
        The study's name (the module's name).
    module : str or None
        The importable module (``"radbound.studies.NAME"``) of a packaged figure, else None.
    path : Path or None
        The module file of a study in a studies folder, else None.
    """

    name: str
    module: str | None = None
    path: Path | None = None

    def __post_init__(self) -> None:
        if (self.module is None) == (self.path is None):
            raise ValueError(f"a study location must have exactly one of module and path, got {self!r}")

    @property
    def where(self) -> str:
        """The module name or the file path, for messages."""
        return self.module if self.module is not None else str(self.path)

    def load(self) -> Study:
        """Import the module (or load the file) and return its ``STUDY``."""
        if self.path is not None:
            return load_study_file(self.path)
        name = cast(str, self.module)  # a study has a path or a module name
        module = importlib.import_module(name)
        study = _study_of(module, self.name, name)
        return dataclasses.replace(study, module=self.module, source=module.__file__)


def studies_dir(path: str | os.PathLike | None = None) -> Path | None:
    """The folder of one's own study modules, or None for the packaged figures.

    In order: ``path`` (the CLI's ``--studies-dir``), the ``RADBOUND_STUDIES``
    environment variable; when neither is given, None (the modules of :mod:`radbound.studies`).

    Parameters
    ----------
    path : str or os.PathLike, optional
        The folder given by the caller.

    Returns
    -------
    pathlib.Path or None

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     studies_dir(tmp) == Path(tmp)
    True
    """
    if path is not None:
        where, how = Path(path), "--studies-dir"
    elif os.environ.get(ENV_VAR):
        where, how = Path(os.environ[ENV_VAR]), f"the {ENV_VAR} environment variable"
    else:
        return None
    if not where.is_dir():
        raise FileNotFoundError(
            f"studies folder must be an existing directory, got {str(where)!r} (from {how})"
        )
    return where


def _is_study_name(filename: str) -> bool:
    return filename.endswith(".py") and not filename.startswith("_") and filename[:-3].isidentifier()


def find_studies(path: str | os.PathLike | None = None) -> dict[str, StudyLocation]:
    """Map study name -> :class:`StudyLocation`, sorted by name, without importing any study.

    Default: every module directly in :mod:`radbound.studies` whose name does not start with
    ``_`` (found through :mod:`importlib.resources`; subpackages such as
    :mod:`radbound.studies.common` are not studies). With a folder (see :func:`studies_dir`):
    its ``*.py`` files instead.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A folder of one's own study modules (default: the packaged figures).

    Returns
    -------
    dict of str to StudyLocation

    Examples
    --------
    >>> "linear_l1" in find_studies() and find_studies()["linear_l1"].module
    'radbound.studies.linear_l1'
    """
    folder = studies_dir(path)
    if folder is None:
        root = importlib.resources.files(PACKAGE)
        names = sorted(e.name[:-3] for e in root.iterdir() if e.is_file() and _is_study_name(e.name))
        return {n: StudyLocation(n, module=f"{PACKAGE}.{n}") for n in names}
    files = sorted(f for f in folder.glob("*.py") if _is_study_name(f.name))
    return {f.stem: StudyLocation(f.stem, path=f) for f in files}


def unknown_study_message(name: str, known: list[str] | tuple[str, ...], *, extra: str = "") -> str:
    """``study must be one of ...`` with a "did you mean" suggestion for a misspelt name.

    Examples
    --------
    >>> msg = unknown_study_message("linear_ll", ["linear_l1", "bound_vs_gap"])
    >>> msg.endswith("got 'linear_ll'; did you mean 'linear_l1'?")
    True
    """
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(known) or "(none)"
    return f"study must be one of the known studies [{listed}]{extra}, got {name!r}{hint}"


def _exec_module(name: str, filename: str, source: str) -> ModuleType:
    module_name = f"{_MODULE_PREFIX}.{name}"
    module = ModuleType(module_name)
    module.__file__ = filename
    # dataclasses look the module up in sys.modules while the class body runs
    previous = sys.modules.get(module_name)
    sys.modules[module_name] = module
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    except BaseException:
        if previous is None:
            sys.modules.pop(module_name, None)
        else:
            sys.modules[module_name] = previous
        raise
    return module


def _study_of(module: ModuleType, name: str, where: str) -> Study:
    study = getattr(module, "STUDY", None)
    if not isinstance(study, Study):
        raise ValueError(f"study module {where} must define STUDY = Study(...), got {study!r}")
    if study.name != name:
        raise ValueError(f"study module {where} must define a study named {name!r}, got {study.name!r}")
    return study


def load_study_source(name: str, filename: str, source: str) -> Study:
    """Load a study from its source text (cached on ``(filename, sha256(source))``).

    Worker processes (joblib, dask) use this for a study of a studies folder: the task carries
    the module text, so the workers need ``radbound`` but not the folder.
    """
    key = (filename, hashlib.sha256(source.encode()).hexdigest())
    if key not in _SOURCE_CACHE:
        module = _exec_module(name, filename, source)
        study = _study_of(module, name, filename)
        _SOURCE_CACHE[key] = dataclasses.replace(study, source=str(filename), module=None)
    return _SOURCE_CACHE[key]


def load_study_file(path: str | os.PathLike) -> Study:
    """Load the study defined in the module file ``path`` (its name is the file stem).

    Parameters
    ----------
    path : str or os.PathLike
        A Python file defining ``STUDY``.

    Returns
    -------
    Study
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"study file must exist, got {str(path)!r}")
    return load_study_source(path.stem, str(path.resolve()), path.read_text())


def load_study(name: str, path: str | os.PathLike | None = None) -> Study:
    """Load the study ``name``: a packaged figure, or a module of the folder ``path``.

    An unknown name is a ``ValueError`` listing the known ones (and the closest, if any).

    Parameters
    ----------
    name : str
        The study's name (its module name).
    path : str or os.PathLike, optional
        A folder of one's own study modules (default: the packaged figures).

    Returns
    -------
    Study

    Examples
    --------
    >>> load_study("linear_l1").name
    'linear_l1'
    >>> try:
    ...     load_study("linear_ll")
    ... except ValueError as exc:
    ...     print("did you mean 'linear_l1'?" in str(exc))
    True
    """
    found = find_studies(path)
    if name not in found:
        raise ValueError(unknown_study_message(name, list(found)))
    return found[name].load()
