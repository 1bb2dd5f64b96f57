"""Progress of long computations, reported through :mod:`logging`.

radbound never prints: long loops log ``INFO`` records on a logger under ``radbound`` (for
example ``radbound.complexity``). A script sees them after ``logging.basicConfig(level="INFO")``;
the ``radbound`` command line shows them on standard error unless ``-q`` is given.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["Progress"]

#: Seconds before the first record: computations shorter than this log nothing.
START_AFTER = 5.0
#: Seconds between two records.
EVERY = 15.0


def _seconds(t: float) -> str:
    return f"{t:.0f} s" if t < 120 else f"{t / 60:.1f} min"


class Progress:
    """Log ``WHAT: DONE of TOTAL UNIT (P %), T elapsed, about T left`` while a loop runs.

    Records are written at ``INFO`` on ``logger``, the first after :data:`START_AFTER` seconds and
    then at most every :data:`EVERY` seconds; a final record gives the total time if any record was
    written. The time left is extrapolated linearly from the fraction done.

    Parameters
    ----------
    logger : logging.Logger
        Where the records go (a logger under ``radbound``).
    what : str
        What is being done, e.g. ``"exact enumeration"``.
    total : int
        Units of work in all (at least 1).
    unit : str, optional
        Name of a unit of work, e.g. ``"sign vectors"``.
    clock : callable, optional
        Returns the time in seconds (default :func:`time.monotonic`); tests pass a fake clock.

    Examples
    --------
    >>> import logging
    >>> p = Progress(logging.getLogger("radbound.example"), "counting", 10, unit="items")
    >>> for _ in range(10):
    ...     p.advance(1)
    >>> p.done == 10
    True
    """

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        total: int,
        *,
        unit: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.what = what
        self.total = max(int(total), 1)
        self.unit = f" {unit}" if unit else ""
        self.clock = clock
        self.done = 0
        self.start = clock()
        self.last: float | None = None

    def advance(self, k: int) -> None:
        """Count ``k`` more units done; log if it is time to."""
        self.done += int(k)
        now = self.clock()
        elapsed = now - self.start
        due = elapsed >= START_AFTER if self.last is None else now - self.last >= EVERY
        if not due or not self.logger.isEnabledFor(logging.INFO):
            return
        self.last = now
        frac = min(self.done / self.total, 1.0)
        left = elapsed * (1 - frac) / frac if frac > 0 else float("inf")
        self.logger.info(
            "%s: %d of %d%s (%.0f %%), %s elapsed, about %s left",
            self.what,
            self.done,
            self.total,
            self.unit,
            100 * frac,
            _seconds(elapsed),
            _seconds(left),
        )

    def finish(self) -> None:
        """Log the total time if any progress record was written."""
        if self.last is not None:
            self.logger.info("%s: done in %s", self.what, _seconds(self.clock() - self.start))
