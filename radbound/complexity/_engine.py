r"""The estimation engine: exact enumeration and Monte Carlo over Rademacher signs.

Every function class supplies a vectorised supremum ("oracle"); this module turns
it into an :class:`~radbound.results.Estimate` of

.. math::
    \mathbb E_\sigma \frac{\operatorname{sup}(\sigma)}{n}, \qquad
    \sigma \sim \mathrm{Unif}\{-1, +1\}^n .

Public entry point: :func:`empirical_rademacher` (any callable oracle). Function
classes with structure (see :mod:`radbound.complexity.linear`) subclass the private
:class:`_Oracle` and override :meth:`_Oracle.exact_sums` (structured enumeration)
and :meth:`_Oracle.pair_means` (antithetic pairs sharing work).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._backend import Backend, get_backend
from .._concentration import mcdiarmid_half_width
from .._progress import Progress
from .._validation import check_choice, check_int, check_probability, check_random_state, is_torch_tensor
from ..results import Estimate
from ._signs import draw_signs, signs_from_codes

__all__ = [
    "empirical_rademacher",
    "AUTO_EXACT_MAX_N",
    "EXACT_MAX_N",
    "DEFAULT_N_DRAWS",
    "METHODS",
    "MAX_N",
    "MAX_SIGN_ENTRIES",
]

#: ``method="auto"`` enumerates all sign vectors exactly when ``n <= AUTO_EXACT_MAX_N``.
AUTO_EXACT_MAX_N = 20
#: ``method="exact"`` refuses ``n > EXACT_MAX_N`` (2**31 sign vectors and more).
EXACT_MAX_N = 30
#: Number of sign vectors drawn by Monte Carlo when ``n_draws`` is None (1000 antithetic pairs).
DEFAULT_N_DRAWS = 2000
#: Accepted values of ``method``.
METHODS = ("auto", "exact", "monte-carlo")
#: Rough throughput used to state the cost of an infeasible enumeration (sign vectors per second).
_ASSUMED_RATE = 1e7
#: Default budget of array elements held per chunk (about 16 MB of float64).
_CHUNK_ELEMENTS = 2**21
#: Largest sample size: one sign vector handed to ``sup`` holds ``n`` float64 values (1 GiB at most).
MAX_N = 2**27
#: Largest Monte-Carlo work ``n_draws * n`` (sign entries): that of the largest exact enumeration.
MAX_SIGN_ENTRIES = 2**EXACT_MAX_N * EXACT_MAX_N
#: Long exact enumerations log their progress here (INFO; see :mod:`radbound._progress`).
logger = logging.getLogger("radbound.complexity")


def _enumeration_progress(n: int) -> Progress:
    """Progress of an exact enumeration over the ``2**n`` sign vectors (counted in sign vectors)."""
    return Progress(logger, f"exact enumeration, n = {n}", 2**n, unit="sign vectors")


class _Oracle:
    """Internal oracle protocol: values of named columns on batches of sign vectors.

    Column 0 is the supremum whose mean divided by ``n`` is the estimate; further
    columns are auxiliary quantities averaged on the SAME sign vectors.
    """

    columns: tuple[str, ...] = ("value",)
    #: Column ``j`` is computed in units of ``2**column_exp2[j]`` (None: no scaling). An oracle on
    #: data far from unit size works on data scaled by a power of two; the engine scales the
    #: averages (and the standard error and interval of column 0) back at the end, exactly.
    column_exp2: tuple[int, ...] | None = None
    #: The inputs to name when a scaled-back result leaves the float64 range.
    overflow_names: str = "the inputs"

    def __init__(self, n: int, nx: Backend) -> None:
        self.n = n
        self.nx = nx

    def default_chunk(self) -> int:
        """Sign vectors per chunk when the caller gives no ``chunk_size``."""
        return max(1, min(2**16, _CHUNK_ELEMENTS // max(self.n, 1)))

    def values(self, signs: Any) -> np.ndarray:
        """``(m, len(columns))`` float64 numpy values at the rows of ``signs``."""
        raise NotImplementedError

    def pair_means(self, signs: Any) -> np.ndarray:
        """``(m, len(columns))`` values averaged over each pair ``(sigma, -sigma)``."""
        m = signs.shape[0]
        both = self.values(self.nx.concatenate([signs, -signs], axis=0))
        return 0.5 * (both[:m] + both[m:])

    def draw(self, rng: np.random.Generator, m: int, antithetic: bool) -> np.ndarray:
        """Values of ``m`` fresh draws (``m`` pair means when ``antithetic``), from ``draw_signs``."""
        signs = self.nx.asarray(draw_signs(rng, m, self.n))
        return self.pair_means(signs) if antithetic else self.values(signs)

    def exact_sums(self, chunk: int) -> np.ndarray:
        """Sums of the columns over all ``2**n`` sign vectors (chunks of codes)."""
        total = np.zeros(len(self.columns))
        size = 2**self.n
        progress = _enumeration_progress(self.n)
        for start in range(0, size, chunk):
            codes = np.arange(start, min(size, start + chunk), dtype=np.int64)
            signs = self.nx.asarray(signs_from_codes(codes, self.n))
            total += self.values(signs).sum(axis=0)
            progress.advance(codes.size)
        progress.finish()
        return total


class _CallableOracle(_Oracle):
    """Wraps a user's ``sup(signs) -> values`` and checks what it returns."""

    def __init__(self, sup: Callable[[Any], Any], n: int, nx: Backend) -> None:
        super().__init__(n, nx)
        self.sup = sup

    def values(self, signs: Any) -> np.ndarray:
        m = signs.shape[0]
        out = self.sup(signs)
        if is_torch_tensor(out):
            out = out.detach().cpu().numpy()
        if np.iscomplexobj(out):
            raise ValueError(
                f"sup must return real values, got complex values for signs of shape ({m}, {self.n})"
            )
        try:
            arr = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"sup must return {m} real values for signs of shape ({m}, {self.n}), "
                f"got {type(out).__name__}: {exc}"
            ) from exc
        if arr.shape != (m,):
            raise ValueError(
                f"sup must return an array of shape ({m},) for signs of shape ({m}, {self.n}), "
                f"got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            bad = int(np.argmin(np.isfinite(arr)))
            raise ValueError(
                f"sup must return finite values, got {float(arr[bad])!r} at row {bad} of the batch"
            )
        return arr[:, None]


def _format_seconds(t: float) -> str:
    for unit, size in (("years", 3.15e7), ("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if t >= size:
            return f"{t / size:.3g} {unit}"
    return f"{t:.3g} seconds"


def _format_power(log10_value: float, unit: str) -> str:
    """``10**log10_value`` units, in plain digits when small enough, else as a power of ten."""
    if log10_value < 15:
        return f"{10.0**log10_value:.3g} {unit}"
    return f"10^{log10_value:.0f} {unit}"


def _format_log_seconds(log10_seconds: float) -> str:
    if log10_seconds < 15:
        return _format_seconds(10.0**log10_seconds)
    return f"10^{log10_seconds - math.log10(3.15e7):.0f} years"


def _exact_cost_error(n: int) -> ValueError:
    """The refusal of an enumeration over ``2**n`` sign vectors, with its cost (log space: any n)."""
    log10_count = n * math.log10(2.0)
    count = f"{2**n:,}" if n <= 64 else f"about 10^{log10_count:.0f}"
    seconds = _format_log_seconds(log10_count - math.log10(_ASSUMED_RATE))
    gib = _format_power(log10_count + math.log10(n) - 30 * math.log10(2.0), "GiB")
    return ValueError(
        f"method='exact' needs n <= {EXACT_MAX_N}, got n={n}: it would average over 2**{n} = "
        f"{count} sign vectors (about {seconds} at {_ASSUMED_RATE:.0e} sign vectors per second, and "
        f"{gib} if the sign matrix were held as int8 at once); use method='monte-carlo' "
        f"(e.g. n_draws={DEFAULT_N_DRAWS}) instead"
    )


def check_sample_size(n: int, name: str = "n") -> int:
    """``n`` if a sign vector of length ``n`` can be handed to a supremum (``n <= MAX_N``), else raise."""
    if n > MAX_N:
        raise ValueError(
            f"{name} must be <= {MAX_N:,} (2**27): each sign vector of length {name} holds {name} float64 "
            f"values, {_format_power(math.log10(n) + math.log10(8) - 30 * math.log10(2.0), 'GiB')} "
            f"for {name}={n}"
        )
    return n


def _resolve_method(method: Any, n: int) -> str:
    method = check_choice(method, "method", METHODS)
    if method == "auto":
        return "exact" if n <= AUTO_EXACT_MAX_N else "monte-carlo"
    if method == "exact" and n > EXACT_MAX_N:
        raise _exact_cost_error(n)
    return method


def _check_n_draws(n_draws: Any, antithetic: bool, n: int) -> int:
    if n_draws is None:
        return DEFAULT_N_DRAWS
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    if antithetic and n_draws % 2:
        raise ValueError(f"n_draws must be even when antithetic=True (pairs sigma, -sigma), got {n_draws!r}")
    if antithetic and n_draws < 4:  # one pair has no spread: its standard error is undefined
        raise ValueError(
            f"n_draws must be >= 4 when antithetic=True (two pairs sigma, -sigma), got {n_draws!r}"
        )
    if n_draws * n > MAX_SIGN_ENTRIES:
        log10_seconds = math.log10(n_draws) - math.log10(_ASSUMED_RATE)
        raise ValueError(
            f"n_draws={n_draws:,} sign vectors of length n={n} is more work than the largest exact "
            f"enumeration allowed (2**{EXACT_MAX_N} sign vectors of length {EXACT_MAX_N}): about "
            f"{_format_log_seconds(log10_seconds)} at {_ASSUMED_RATE:.0e} sign vectors per second; "
            f"use n_draws <= {MAX_SIGN_ENTRIES // n:,}"
        )
    return n_draws


def _check_bounded_differences(c: Any, n: int) -> np.ndarray | None:
    if c is None:
        return None
    if is_torch_tensor(c):
        c = c.detach().cpu().numpy()
    raw = np.asarray(c)
    if raw.dtype == bool or raw.dtype.kind not in "iuf":
        raise TypeError(f"bounded_differences must be real numbers, got dtype {raw.dtype}")
    arr = raw.astype(np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"bounded_differences must have shape (n,) = ({n},), got shape {arr.shape}")
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"bounded_differences must be finite and >= 0, got {arr[i]!r} at index {i}")
    return arr


def _check_chunk(chunk_size: Any, default: int) -> int:
    if chunk_size is None:
        return default
    return check_int(chunk_size, "chunk_size", minimum=1)


def _std(values: np.ndarray) -> float:
    """Sample standard deviation (ddof=1); values beyond 2**+-200 are scaled by an exact power of two
    first, so that the squares neither overflow nor underflow."""
    top = float(np.max(np.abs(values))) if values.size else 0.0
    e = math.frexp(top)[1] if (top > 2.0**200 or 0.0 < top < 2.0**-200) else 0
    return math.ldexp(float(np.ldexp(values, -e).std(ddof=1)), e)


def _estimate_fields(est: Estimate) -> dict[str, Any]:
    """The fields of a plain Estimate, to build a typed subclass from it."""
    return {f.name: getattr(est, f.name) for f in dataclasses.fields(Estimate)}


def _run(
    oracle: _Oracle, bounded_differences: Any = None, **sampling: Any
) -> tuple[Estimate, dict[str, float]]:
    """Estimate ``E[column]`` for every column; the Estimate is of ``E[column 0] / n``.

    ``sampling`` holds the public estimators' shared options (``method``, ``n_draws``, ``seed``,
    ``antithetic``, ``delta``, ``chunk_size``; see :func:`empirical_rademacher`), passed on as
    received. Returns the Estimate and the means of all columns (raw, on the same sign vectors).
    """
    return _estimate(oracle, bounded_differences=bounded_differences, **sampling)


def _estimate(
    oracle: _Oracle,
    *,
    method: str,
    n_draws: Any = None,
    seed: Any = None,
    antithetic: bool = True,
    bounded_differences: Any = None,
    delta: float = 0.05,
    chunk_size: Any = None,
) -> tuple[Estimate, dict[str, float]]:
    n = oracle.n
    method = _resolve_method(method, n)  # refuses an infeasible enumeration first, with its cost
    check_sample_size(n)
    delta = check_probability(delta, "delta")
    if not isinstance(antithetic, (bool, np.bool_)):
        raise TypeError(f"antithetic must be True or False, got {antithetic!r}")
    antithetic = bool(antithetic)
    n_draws = _check_n_draws(n_draws, antithetic, n)
    c = _check_bounded_differences(bounded_differences, n)
    chunk = _check_chunk(chunk_size, oracle.default_chunk())
    rng = check_random_state(seed)  # validated even when the enumeration is exact and does not use it

    exp2 = oracle.column_exp2 or (0,) * len(oracle.columns)

    def unscale(x: float, j: int = 0) -> float:
        return _unscale(x, exp2[j], oracle.overflow_names)

    if method == "exact":
        sums = np.asarray(oracle.exact_sums(chunk), dtype=np.float64)
        means = sums / 2.0**n
        est = Estimate(unscale(means[0] / n), 0.0, "exact", 2**n)
        return est, {col: unscale(float(v), j) for j, (col, v) in enumerate(zip(oracle.columns, means))}

    per_draw = 2 if antithetic else 1
    n_units = n_draws // per_draw  # pairs, or single draws
    step = max(1, chunk // per_draw)
    parts = []
    for start in range(0, n_units, step):
        parts.append(oracle.draw(rng, min(step, n_units - start), antithetic))
    # one contiguous vector per column: the same summation order whatever the other columns
    cols = [
        np.ascontiguousarray(np.concatenate([part[:, j] for part in parts]))
        for j in range(len(oracle.columns))
    ]
    means = np.array([col.mean() for col in cols])
    stderr = unscale(_std(cols[0]) / math.sqrt(n_units) / n)
    value = unscale(means[0] / n)
    interval = None
    if c is not None:
        hw = unscale(mcdiarmid_half_width(c, n_draws, delta, antithetic=antithetic))
        interval = (value - hw, value + hw)
        if not (math.isfinite(interval[0]) and math.isfinite(interval[1])):
            raise OverflowError(
                f"the McDiarmid interval {value!r} +- {hw!r} leaves the float64 range: "
                f"{oracle.overflow_names} too large"
            )
    est = Estimate(
        value,
        stderr,
        "monte-carlo",
        n_draws,
        interval=interval,
        delta=delta if interval is not None else None,
        antithetic=antithetic,
    )
    return est, {col: unscale(float(v), j) for j, (col, v) in enumerate(zip(oracle.columns, means))}


def _unscale(x: float, exp2: int, names: str) -> float:
    """``x * 2**exp2``, or an OverflowError naming ``names`` when it leaves the float64 range."""
    try:
        out = math.ldexp(float(x), exp2)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise OverflowError(
            f"the estimate is about {float(x):.3g} * 2**{exp2}, beyond the float64 range "
            f"(max {np.finfo(np.float64).max:.4g}): {names} too large"
        )
    return out


def empirical_rademacher(
    sup: Callable[[Any], Any],
    n: int,
    *,
    method: str = "auto",
    n_draws: int | None = None,
    seed: Any = None,
    antithetic: bool = True,
    bounded_differences: Any = None,
    delta: float = 0.05,
    chunk_size: int | None = None,
    backend: str | None = None,
) -> Estimate:
    r"""Empirical Rademacher average of a vectorised supremum, exact or Monte Carlo.

    .. math::
        \hat{\mathfrak R} = \mathbb E_\sigma \frac{\operatorname{sup}(\sigma)}{n},
        \qquad \operatorname{sup}(\sigma) = \sup_{f \in \mathcal F} \sum_{i=1}^n \sigma_i f(z_i),

    with :math:`\sigma` uniform on :math:`\{-1,+1\}^n`. Convention: factor
    :math:`1/n`, no absolute value inside the supremum (Yin, Ramchandran &
    Bartlett 2019); ``sup`` is whatever the caller's class needs.

    Parameters
    ----------
    sup : callable
        ``sup(signs)`` maps an ``(m, n)`` array of :math:`\pm 1` (float64 numpy,
        or a torch tensor with ``backend="torch"``) to ``m`` finite values.
    n : int
        Length of the sign vectors (the sample size).
    method : {"auto", "exact", "monte-carlo"}
        ``"exact"`` averages over all :math:`2^n` sign vectors in chunks of
        ``chunk_size`` (refused for ``n > EXACT_MAX_N = 30``, with the cost);
        ``"monte-carlo"`` averages ``n_draws`` random sign vectors; ``"auto"``
        is exact for ``n <= AUTO_EXACT_MAX_N = 20``, Monte Carlo above.
    n_draws : int, optional
        Number of sign vectors for Monte Carlo (default ``DEFAULT_N_DRAWS = 2000``;
        even when ``antithetic``). Not used by exact enumeration.
    seed : None, int or numpy.random.Generator
        Source of the Monte-Carlo draws (reproducible; independent of ``chunk_size``
        and of the backend).
    antithetic : bool
        Draw pairs :math:`(\sigma, -\sigma)`; the standard error is then computed
        from the ``n_draws/2`` pair means, which are independent.
    bounded_differences : array of shape (n,), optional
        :math:`c_i` such that changing :math:`\sigma_i` moves
        :math:`\operatorname{sup}(\sigma)/n` by at most :math:`c_i`. When given,
        Monte Carlo reports the McDiarmid interval
        :math:`\pm\sqrt{\sum_i c_i^2 \log(2/\delta) / (2 m')}` with :math:`m'`
        the number of independent units (draws, or pairs with a doubled
        :math:`c_i`, see :func:`radbound._concentration.mcdiarmid_half_width`).
    delta : float
        Failure probability of the interval.
    chunk_size : int, optional
        Sign vectors per batch handed to ``sup`` (bounded memory).
    backend : {None, "numpy", "torch"}
        ``"torch"`` hands ``sup`` float64 CPU tensors.

    Returns
    -------
    Estimate
        ``stderr = 0`` and ``interval = None`` when exact.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, definition of the empirical
    Rademacher complexity; McDiarmid (1989), bounded-differences inequality.

    Examples
    --------
    >>> import numpy as np, radbound as rb
    >>> est = rb.empirical_rademacher(lambda s: np.abs(s.sum(axis=1)), 3, method="exact")
    >>> bool(np.isclose(est.value, 1.5 / 3))   # E|s_1 + s_2 + s_3| = 3/2
    True
    >>> mc = rb.empirical_rademacher(lambda s: np.abs(s.sum(axis=1)), 3, method="monte-carlo",
    ...                              n_draws=4000, seed=0, bounded_differences=np.full(3, 2 / 3))
    >>> bool(abs(mc.value - 0.5) < 4 * mc.stderr), mc.interval[0] < 0.5 < mc.interval[1]
    (True, True)
    """
    if not callable(sup):
        raise TypeError(f"sup must be callable (signs -> values), got {type(sup).__name__}")
    n = check_int(n, "n", minimum=1)
    nx = get_backend(backend=backend)
    sampling = dict(
        method=method, n_draws=n_draws, seed=seed, antithetic=antithetic, delta=delta, chunk_size=chunk_size
    )
    est, _ = _run(_CallableOracle(sup, n, nx), bounded_differences, **sampling)
    return est
