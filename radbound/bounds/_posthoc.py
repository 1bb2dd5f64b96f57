r"""Post-hoc validity: a geometric grid over each data-dependent quantity and the price of a union bound.

Every bound of the package holds for a class fixed before the sample (radius :math:`W`, layer norms,
margin :math:`\gamma`). A model trained on the sample has norms chosen by the sample, so the bound at
those norms is not a theorem until a union bound over a grid of classes is paid (Bartlett, Foster &
Telgarsky 2017 do this in the proof of their main theorem). :class:`Grid` is that grid,
:math:`\theta_j = \theta_0 2^{j/k}` for every integer :math:`j`, with prior weights
:math:`w_j = 1/((k+1)(k+2))`, :math:`k = 2j` for :math:`j \ge 0` and :math:`k = -2j - 1` for
:math:`j < 0` (so :math:`\sum_{j\in\mathbb Z} w_j = \sum_{k\ge0} 1/((k+1)(k+2)) = 1`). A norm is
rounded UP to the grid (the grid class must contain the model), a margin DOWN (the ramp loss at a
smaller margin is pointwise smaller, so the empirical ramp risk at the model's margin still bounds it).
Derivation: :ref:`theory-post-hoc`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from .._validation import check_int, check_nonnegative, check_positive
from ..results import GridPoint, PosthocPrice

__all__ = ["Grid", "PosthocWarning", "DEFAULT_GRID", "warn_fixed_class"]


class PosthocWarning(UserWarning):
    """A bound was evaluated at a trained model's own norms without paying for the choice."""


@dataclass(frozen=True)
class Grid:
    r"""The geometric grid :math:`\theta_j = \theta_0\, 2^{j/k}`, :math:`j \in \mathbb Z` (ratio
    :math:`\rho = 2^{1/k}`).

    Prior weight of :math:`j`: :math:`w_j = 1/((i+1)(i+2))` with :math:`i = 2j` (:math:`j \ge 0`) or
    :math:`i = -2j-1` (:math:`j < 0`); the weights sum to 1, so paying :math:`\log(1/w_j)` per
    quantity makes a bound hold at every grid point at once (union bound). The price of a value
    :math:`\theta` is about :math:`2\log(2|\log_\rho(\theta/\theta_0)| + 2)`, and rounding to the grid
    costs at most a factor :math:`\rho` in that quantity.

    Parameters
    ----------
    steps_per_doubling : int, default 4
        :math:`k`: the grid has :math:`k` points per factor 2 (ratio :math:`2^{1/4} \approx 1.19` by
        default). Fixed before seeing the data (it is part of the statement).
    anchor : float, default 1.0
        :math:`\theta_0 > 0`, the cheapest grid point (weight 1/2).

    Examples
    --------
    >>> from radbound.bounds import Grid
    >>> g = Grid(steps_per_doubling=1)
    >>> g.up("radius", 3.0).grid_value, g.down("margin", 3.0).grid_value
    (4.0, 2.0)
    >>> import math; math.isclose(g.up("margin", 1.0).log_price, math.log(2))   # j = 0: weight 1/2
    True
    """

    steps_per_doubling: int = 4
    anchor: float = 1.0

    def __post_init__(self) -> None:
        k = check_int(self.steps_per_doubling, "steps_per_doubling", minimum=1)
        object.__setattr__(self, "steps_per_doubling", k)
        object.__setattr__(self, "anchor", check_positive(self.anchor, "anchor"))

    @property
    def ratio(self) -> float:
        """:math:`\rho = 2^{1/k}`."""
        return 2.0 ** (1.0 / self.steps_per_doubling)

    def point(self, j: int) -> float:
        r""":math:`\theta_j = \theta_0 2^{j/k}` (exact powers of two at multiples of :math:`k`)."""
        try:
            return self.anchor * 2.0 ** (int(j) / self.steps_per_doubling)
        except OverflowError:  # beyond the float range: no float is above it (values stay finite)
            return math.inf

    @staticmethod
    def log_price(j: int) -> float:
        r""":math:`\log(1/w_j) = \log((k+1)(k+2))`."""
        k = 2 * int(j) if j >= 0 else -2 * int(j) - 1
        return math.log(k + 1.0) + math.log(k + 2.0)

    def _index(self, value: float) -> int:
        return round(math.log2(value / self.anchor) * self.steps_per_doubling)

    def up(self, name: str, value: float) -> GridPoint:
        """The smallest grid point at least ``value`` (a norm; 0 goes to the anchor, the cheapest)."""
        value = check_nonnegative(value, name)
        if value == 0.0:
            return GridPoint(name, 0.0, self.anchor, 0, self.log_price(0))
        j = self._index(value)
        while self.point(j) < value:
            j += 1
        while self.point(j - 1) >= value:
            j -= 1
        return GridPoint(name, value, self.point(j), j, self.log_price(j))

    def down(self, name: str, value: float) -> GridPoint:
        """The largest grid point at most ``value`` (a margin, > 0)."""
        value = check_positive(value, name)
        j = self._index(value)
        while self.point(j) > value:
            j -= 1
        while self.point(j + 1) <= value:
            j += 1
        return GridPoint(name, value, self.point(j), j, self.log_price(j))

    def price(self, points: Iterable[GridPoint]) -> PosthocPrice:
        """The :class:`~radbound.results.PosthocPrice` of these grid points (one per quantity)."""
        pts = tuple(points)
        names = [pt.name for pt in pts]
        if len(set(names)) != len(names):
            raise ValueError(f"each quantity is stratified once, got {names}")
        return PosthocPrice(pts, self.ratio, self.anchor)


#: The grid used when none is given.
DEFAULT_GRID = Grid()


def check_grid(grid: Grid | None) -> Grid:
    """``grid`` or the default grid."""
    if grid is None:
        return DEFAULT_GRID
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a radbound.bounds.Grid, got {type(grid).__name__}")
    return grid


def warn_fixed_class(what: str, stacklevel: int = 3) -> None:
    """Warn that a bound evaluated at a model's own quantities was asked without the post-hoc price."""
    warnings.warn(
        f"posthoc=False: {what} are taken at the model's own values as if the class had been fixed "
        "before the sample; the bound is then NOT valid for a model trained on this sample (pass "
        "posthoc=True to pay for the choice with a union bound over a grid)",
        PosthocWarning,
        stacklevel=stacklevel,
    )
