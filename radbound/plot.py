r"""Shared plotting helpers for the studies: one style, mean ± s.e. curves, captions.

matplotlib is imported inside the functions that draw, so ``import radbound.plot``
costs nothing. Aggregation is plain numpy: the standard error of the mean of
:math:`k` repetitions :math:`v_1, \dots, v_k` is :math:`s / \sqrt k` with
:math:`s` the sample standard deviation (``ddof=1``; 0 when :math:`k = 1`).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "STYLE",
    "style",
    "subplots",
    "mean_sem",
    "aggregate",
    "errorbar_curves",
    "caption",
    "wrap_caption",
    "colors",
]

STYLE: dict[Any, Any] = {
    "figure.dpi": 110,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 4,
    "errorbar.capsize": 2.5,
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context manager applying :data:`STYLE` (matplotlib ``rc_context``)."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def subplots(nrows: int = 1, ncols: int = 1, *, panel: tuple[float, float] = (3.8, 3.0), **kwargs: Any):
    """``plt.subplots`` with the house style and a figure size of ``panel`` per axes.

    Parameters
    ----------
    nrows, ncols : int, default 1
        Grid of panels.
    panel : (float, float), default (3.8, 3.0)
        Width and height of one panel in inches.
    **kwargs
        Passed to ``matplotlib.pyplot.subplots`` (e.g. ``sharey=True``).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray
        The axes, always a flat array.
    """
    import matplotlib.pyplot as plt

    with style():
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), squeeze=False, **kwargs
        )
    return fig, np.asarray(axes).ravel()


def mean_sem(values: Sequence[float]) -> tuple[float, float]:
    r"""Mean and standard error :math:`s/\sqrt k` (sample std, ``ddof=1``; 0 for one value).

    Parameters
    ----------
    values : sequence of float
        :math:`k \ge 1` numbers.

    Returns
    -------
    mean, sem : float

    Examples
    --------
    >>> m, se = mean_sem([1.0, 2.0, 3.0])
    >>> bool(np.isclose(m, 2.0) and np.isclose(se, 1 / np.sqrt(3)))
    True
    """
    v = np.asarray([float(x) for x in values], dtype=float)
    if v.size == 0:
        raise ValueError("values must be non-empty")
    se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
    return float(v.mean()), se


def aggregate(rows: Sequence[Mapping[str, Any]], value: str, by: Sequence[str]) -> list[dict[str, Any]]:
    """Group ``rows`` by the columns ``by`` and return mean, s.e. and count of ``value``.

    Groups come out sorted by their ``by`` values. Each output dict holds the
    ``by`` columns and ``mean``, ``sem``, ``n``.

    Parameters
    ----------
    rows : sequence of mappings
        Records (e.g. the rows of a study's CSV); rows where ``value`` is missing or None are skipped.
    value : str
        The column averaged.
    by : sequence of str
        The columns that define a group.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> rows = [{"eps": 0.0, "gap": 1.0}, {"eps": 0.0, "gap": 3.0}, {"eps": 0.1, "gap": 5.0}]
    >>> agg = aggregate(rows, "gap", ["eps"])
    >>> [(g["eps"], g["mean"], g["n"]) for g in agg] == [(0.0, 2.0, 2), (0.1, 5.0, 1)]
    True
    """
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        if r.get(value) is None:
            continue
        groups.setdefault(tuple(r[b] for b in by), []).append(float(r[value]))
    out = []
    for key in sorted(groups):
        m, se = mean_sem(groups[key])
        out.append({**dict(zip(by, key)), "mean": m, "sem": se, "n": len(groups[key])})
    return out


def colors(n: int, cmap: str = "viridis") -> list:
    """``n`` colours spread over a colormap (darkest first, the end avoided for contrast).

    Parameters
    ----------
    n : int
        Number of colours.
    cmap : str, default "viridis"
        A matplotlib colormap name.

    Returns
    -------
    list of RGBA tuples

    Examples
    --------
    >>> cs = colors(3)
    >>> len(cs) == 3 and all(len(c) == 4 for c in cs)
    True
    """
    import matplotlib

    cm = matplotlib.colormaps[cmap]
    return [cm(t) for t in np.linspace(0.0, 0.85, max(n, 1))][:n]


def errorbar_curves(
    ax: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    x: str,
    y: str,
    group: str | None = None,
    label: Callable[[Any], str] | str = "{}",
    cmap: str = "viridis",
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Plot mean ± s.e. of ``y`` against ``x``, one curve per value of ``group``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    rows : sequence of mappings
        The records.
    x, y : str
        Columns of the horizontal axis and of the averaged value.
    group : str, optional
        Column whose values give one curve each (one curve in all when omitted).
    label : str or callable, default "{}"
        Legend label of a curve: a format string or a function of the group value.
    cmap : str, default "viridis"
        Colormap of the curves (:func:`colors`).
    **kwargs
        Passed to ``ax.errorbar``.

    Returns
    -------
    list of dict
        The aggregated points (see :func:`aggregate`).
    """
    by = [group, x] if group else [x]
    agg = aggregate(rows, y, by)
    keys = sorted({a[group] for a in agg}) if group else [None]
    for key, color in zip(keys, colors(len(keys), cmap)):
        pts = [a for a in agg if group is None or a[group] == key]
        text = (label(key) if callable(label) else label.format(key)) if group else None
        ax.errorbar(
            [a[x] for a in pts],
            [a["mean"] for a in pts],
            yerr=[a["sem"] for a in pts],
            marker="o",
            color=color,
            label=text,
            **kwargs,
        )
    return agg


_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")
_TOKEN = re.compile(r"(?:(?<!\\)\$.*?(?<!\\)\$|\S)+")


def _shown_length(token: str) -> int:
    """Roughly how many characters ``token`` takes once rendered (mathtext commands count as one)."""
    if "$" not in token:
        return len(token)
    shown = _MATH.sub(
        lambda m: re.sub(r"\\[A-Za-z]+|[{}^_$\\]", lambda c: "x" if len(c.group(0)) > 1 else "", m.group(0)),
        token,
    )
    return len(shown)


def wrap_caption(text: str, width: int = 120) -> str:
    r"""Wrap ``text`` at about ``width`` rendered characters, never splitting a ``$...$`` span.

    Each paragraph (separated by ``"\n"``) is wrapped on its own; a mathtext span counts as the
    characters it shows (``\epsilon`` as one), not as its source.

    Parameters
    ----------
    text : str
        The caption; ``"\n"`` separates paragraphs.
    width : int, default 120
        Line length in rendered characters.

    Returns
    -------
    str
        The wrapped text.

    Examples
    --------
    >>> out = wrap_caption(r"radius $\epsilon \le 0.1$ here", width=10)
    >>> r"$\epsilon \le 0.1$" in out
    True
    """
    lines = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0
        for token in _TOKEN.findall(paragraph):
            n = _shown_length(token)
            if line and used + 1 + n > width:
                lines.append(" ".join(line))
                line, used = [], 0
            used += n + (1 if line else 0)
            line.append(token)
        lines.append(" ".join(line))
    return "\n".join(lines)


def caption(fig: Any, text: str, *, width: int = 120, fontsize: float = 7.5) -> None:
    """Put a wrapped caption under the figure (kept by ``savefig(bbox_inches="tight")``).

    ``$...$`` spans are matplotlib mathtext and are never split across lines (:func:`wrap_caption`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    text : str
        The caption.
    width : int, default 120
        Line length in rendered characters.
    fontsize : float, default 7.5
        Font size in points.
    """
    fig.text(0.01, -0.01, wrap_caption(text, width), ha="left", va="top", fontsize=fontsize, color="0.25")
