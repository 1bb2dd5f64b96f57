"""The :class:`Study` object: one figure = config + grid + compute + plot + check."""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Study",
    "FigureClaimError",
    "claim",
    "cell_seed",
    "config_to_dict",
    "config_from_dict",
    "cell_key",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BUILTIN_PRESETS = ("quick", "full", "demo")


class FigureClaimError(Exception):
    """A figure does not show what its study says it shows (raised by a study's ``check``).

    A real exception, not an ``assert``: the checks hold under ``python -O`` too.
    """


def claim(condition: Any, message: str) -> None:
    """Raise :class:`FigureClaimError` with ``message`` unless ``condition`` is true.

    What a study's ``check(rows, cfg)`` uses for each claim of its figure.

    Parameters
    ----------
    condition : object
        Anything with a truth value (e.g. a comparison of two measured numbers).
    message : str
        The claim, as a reader of the figure would state it.

    Raises
    ------
    FigureClaimError
        When ``condition`` is false (unlike ``assert``, also under ``python -O``).

    Examples
    --------
    >>> claim(0.2 > 0.1, "the gap grows with eps")
    >>> try:
    ...     claim(0.1 > 0.2, "the gap grows with eps")
    ... except FigureClaimError as exc:
    ...     print(exc)
    the gap grows with eps
    """
    if not bool(condition):
        raise FigureClaimError(message)


def cell_seed(seed: int, index: int) -> int:
    r"""The seed of grid cell ``index`` of a study run with master seed ``seed``.

    .. math::
        s_i = \mathrm{SeedSequence}([s, i]).\mathrm{generate\_state}(2)\ \text{as a 63-bit integer},

    a deterministic function of ``(seed, index)`` only, so the same cell gets the
    same randomness whatever the order, the number of workers or the resumption.

    Parameters
    ----------
    seed : int
        The run's master seed :math:`s`.
    index : int
        The cell's position :math:`i` in the grid.

    Returns
    -------
    int
        A non-negative integer below :math:`2^{63}`.

    Examples
    --------
    >>> cell_seed(0, 3) == cell_seed(0, 3) != cell_seed(0, 4)
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"index must be a non-negative integer, got {index!r}")
    hi, lo = np.random.SeedSequence([int(seed), int(index)]).generate_state(2, np.uint32)
    return ((int(hi) << 32) | int(lo)) & ((1 << 63) - 1)


def _jsonable(value: Any, where: str) -> Any:
    """Plain-JSON copy of ``value`` (tuples become lists, numpy scalars Python scalars)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, where) for k, v in value.items()}
    raise TypeError(f"{where} must be JSON-serialisable, got {type(value).__name__} {value!r}")


def _tuplify(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuplify(v) for k, v in value.items()}
    return value


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """The config dataclass as a plain JSON-serialisable dict (tuples become lists).

    Parameters
    ----------
    cfg : dataclass instance
        A study's config.

    Returns
    -------
    dict

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Cfg:
    ...     eps: tuple = (0.0, 0.1)
    ...     seed: int = 0
    >>> config_to_dict(Cfg()) == {"eps": [0.0, 0.1], "seed": 0}
    True
    """
    if not dataclasses.is_dataclass(cfg) or isinstance(cfg, type):
        raise TypeError(f"config must be a dataclass instance, got {type(cfg).__name__}")
    return {
        f.name: _jsonable(getattr(cfg, f.name), f"config field {f.name!r}") for f in dataclasses.fields(cfg)
    }


def config_from_dict(config_cls: type, data: Mapping[str, Any]) -> Any:
    """Rebuild a config from :func:`config_to_dict` output (lists become tuples).

    Unknown keys are an error; missing keys take the dataclass defaults.

    Parameters
    ----------
    config_cls : type
        The study's frozen config dataclass.
    data : mapping
        Field name -> value (e.g. the ``config`` of a run's JSON record).

    Returns
    -------
    config_cls
        The config.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Cfg:
    ...     eps: tuple = (0.0, 0.1)
    ...     seed: int = 0
    >>> config_from_dict(Cfg, config_to_dict(Cfg(seed=3))) == Cfg(seed=3)
    True
    """
    names = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"config has no field(s) {unknown}; fields are {sorted(names)}")
    return config_cls(**{k: _tuplify(v) for k, v in data.items()})


def cell_key(cell: Mapping[str, Any]) -> str:
    """The canonical key of a grid cell: its JSON with sorted keys.

    Parameters
    ----------
    cell : mapping
        The cell's parameters (JSON-serialisable values).

    Returns
    -------
    str

    Examples
    --------
    >>> cell_key({"lam": 0.001, "eps": 0.0}) == cell_key({"eps": 0.0, "lam": 0.001})
    True
    """
    return json.dumps(_jsonable(dict(cell), "cell"), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Study:
    """One figure: a config, a grid of cells, a pure compute step, a plot and a check.

    Attributes
    ----------
    name : str
        The study's name; equal to its module's name (``radbound/studies/NAME.py``).
    config : type
        A frozen dataclass with JSON-serialisable fields, one of them ``seed``;
        bad grid values are rejected in its ``__post_init__``.
    quick, full : config instances
        The ``--quick`` configuration (seconds: the tests run it) and the paper's.
    cells : callable
        ``cells(cfg) -> list[dict]``: the grid, JSON-serialisable cells, distinct.
    compute_cell : callable
        ``compute_cell(cfg, cell, seed) -> list[dict]``: tidy rows of one cell, a pure
        function of its inputs (``seed`` is :func:`cell_seed` of the run seed and the
        cell index).
    plot : callable
        ``plot(rows, cfg) -> matplotlib.figure.Figure``, reading only the rows.
    check : callable or None
        ``check(rows, cfg) -> None``: checks what the figure is meant to show, raising
        :class:`FigureClaimError` (through :func:`claim`) when the rows do not show it.
    requires : tuple of str
        Optional modules the study needs (e.g. ``("torch",)``); a study whose
        requirements are missing is skipped with a message.
    description, data_note : str
        What the figure shows, and which data it used (for captions and README).
    validate : callable or None
        ``validate(cfg) -> dict | None``: checks resources (a data path...) before any
        work; the returned dict is recorded in the JSON (e.g. the data source).
    demo : config instance or None
        The configuration of ``radbound demo`` (default: ``quick``).
    presets : mapping of str to config instances
        Further named configurations (e.g. ``{"medium": MEDIUM}``: what a CPU runs in minutes),
        chosen with ``make_config(preset=...)`` or ``radbound study NAME --preset medium``.
    source : str or None
        Path of the module file (set by discovery).
    module : str or None
        The importable module defining the study (set by discovery for the packaged figures;
        worker processes import it; None for a study loaded from a file, which workers rebuild
        from its text).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Cfg:
    ...     n: int = 3
    ...     seed: int = 0
    >>> toy = Study(name="toy", config=Cfg, quick=Cfg(n=2), full=Cfg(),
    ...             cells=lambda c: [{"i": i} for i in range(c.n)],
    ...             compute_cell=lambda c, cell, seed: [{"value": cell["i"] ** 2}],
    ...             plot=lambda rows, c: None)
    >>> len(toy.cells(toy.quick)) == 2 and toy.available
    True
    """

    name: str
    config: type
    quick: Any
    full: Any
    cells: Callable[[Any], list[dict]]
    compute_cell: Callable[[Any, dict, int], list[dict]]
    plot: Callable[[list[dict], Any], Any]
    check: Callable[[list[dict], Any], None] | None = None
    requires: tuple[str, ...] = ()
    description: str = ""
    data_note: str = ""
    validate: Callable[[Any], Mapping[str, Any] | None] | None = None
    demo: Any = None
    source: str | None = field(default=None, compare=False, repr=False)
    module: str | None = field(default=None, compare=False, repr=False)
    presets: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"name must be a Python identifier, got {self.name!r}")
        if not (isinstance(self.config, type) and dataclasses.is_dataclass(self.config)):
            raise TypeError(f"config must be a dataclass type, got {self.config!r}")
        if "seed" not in {f.name for f in dataclasses.fields(self.config)}:
            raise ValueError(f"config {self.config.__name__} must have a 'seed' field")
        for label in ("quick", "full", "demo"):
            value = getattr(self, label)
            if value is None and label == "demo":
                continue
            if not isinstance(value, self.config):
                raise TypeError(f"{label} must be a {self.config.__name__} instance, got {value!r}")
        if not isinstance(self.presets, Mapping):
            raise TypeError(f"presets must be a mapping of names to configs, got {self.presets!r}")
        object.__setattr__(self, "presets", dict(self.presets))
        for label, value in self.presets.items():
            if not isinstance(label, str) or not _NAME.match(label) or label in _BUILTIN_PRESETS:
                raise ValueError(
                    f"presets must be named by identifiers other than {list(_BUILTIN_PRESETS)}, got {label!r}"
                )
            if not isinstance(value, self.config):
                raise TypeError(f"preset {label!r} must be a {self.config.__name__} instance, got {value!r}")
        for label in ("cells", "compute_cell", "plot"):
            if not callable(getattr(self, label)):
                raise TypeError(f"{label} must be callable, got {getattr(self, label)!r}")
        for label in ("check", "validate"):
            if getattr(self, label) is not None and not callable(getattr(self, label)):
                raise TypeError(f"{label} must be callable or None")
        if isinstance(self.requires, str):
            object.__setattr__(self, "requires", (self.requires,))
        object.__setattr__(self, "requires", tuple(self.requires))
        if not all(isinstance(r, str) for r in self.requires):
            raise TypeError(f"requires must be a tuple of module names, got {self.requires!r}")

    @property
    def missing(self) -> tuple[str, ...]:
        """The required modules that cannot be imported here."""
        return tuple(r for r in self.requires if importlib.util.find_spec(r) is None)

    @property
    def available(self) -> bool:
        """True when every module in ``requires`` can be imported."""
        return not self.missing

    @property
    def preset_names(self) -> tuple[str, ...]:
        """Every named configuration: ``quick``, the ``presets``, ``full`` (and ``demo`` if set)."""
        return ("quick", *self.presets, "full", *(("demo",) if self.demo is not None else ()))

    def preset(self, name: str) -> Any:
        """The configuration named ``name`` (see :attr:`preset_names`); a misspelt name gets a hint."""
        if name == "quick":
            return self.quick
        if name == "full":
            return self.full
        if name == "demo":
            return self.demo or self.quick
        if name in self.presets:
            return self.presets[name]
        close = difflib.get_close_matches(str(name), list(self.preset_names), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"preset must be one of {list(self.preset_names)} for study {self.name!r}, got {name!r}{hint}"
        )

    def preset_of(self, cfg: Any) -> str | None:
        """The name of the named configuration equal to ``cfg`` (None for a custom one)."""
        for name in self.preset_names:
            if self.preset(name) == cfg:
                return name
        return None

    def make_config(
        self, *, quick: bool = False, demo: bool = False, preset: str | None = None, **overrides: Any
    ) -> Any:
        """The quick, demo, full or a named (``preset``) config with some fields replaced.

        Overrides equal to ``None`` are ignored; an unknown field is an error.
        """
        if preset is not None:
            base = self.preset(preset)
        else:
            base = (self.demo or self.quick) if demo else (self.quick if quick else self.full)
        overrides = {k: v for k, v in overrides.items() if v is not None}
        names = {f.name for f in dataclasses.fields(self.config)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise ValueError(
                f"study {self.name!r} has no config field(s) {unknown}; fields are {sorted(names)}"
            )
        return dataclasses.replace(base, **overrides) if overrides else base

    def grid(self, cfg: Any) -> list[dict]:
        """``cells(cfg)`` checked: a non-empty list of distinct JSON-serialisable dicts."""
        cells = list(self.cells(cfg))
        if not cells:
            raise ValueError(f"study {self.name!r}: the grid is empty for config {cfg!r}")
        keys = []
        for c in cells:
            if not isinstance(c, Mapping):
                raise TypeError(f"study {self.name!r}: cells must be dicts, got {c!r}")
            keys.append(cell_key(c))
        if len(set(keys)) != len(keys):
            raise ValueError(f"study {self.name!r}: the grid has duplicate cells")
        return [dict(c) for c in cells]
