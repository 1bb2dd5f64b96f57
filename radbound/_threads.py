"""One BLAS-thread limiter for the whole package (threadpoolctl, a required dependency).

Routines whose work is many small matrix products or small LAPACK calls (the SGD loop on batches,
the fast linear solvers, the layer norms of a network, the cells of a study) run with
:data:`SMALL_WORK_THREADS` BLAS thread(s): there, extra threads only add synchronisation, and on a
machine whose cores are busy they cost an order of magnitude. Measured on a 2-core machine under
load (``benchmarks/bench_threads.py``): all network bounds of the paper's CNN took 0.64 s with one
BLAS thread and 9.0 s with the default threads. The limit is chosen inside those routines; users
need no flag. It changes timing only: each routine gives the same numbers with any thread count
up to floating-point summation order.

References
----------
threadpoolctl (https://github.com/joblib/threadpoolctl): ``threadpool_limits``.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

__all__ = ["SMALL_WORK_THREADS", "limit_blas_threads", "small_work"]

#: BLAS/LAPACK threads used by routines made of many small products.
SMALL_WORK_THREADS = 1

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def limit_blas_threads(limit: int | None | str = "auto") -> Iterator[None]:
    """Run the block with at most ``limit`` BLAS/LAPACK threads, restored on exit.

    Parameters
    ----------
    limit : int, None or "auto"
        Maximum number of threads of every BLAS/LAPACK library loaded (OpenBLAS, MKL, BLIS,
        Accelerate); ``"auto"`` (default) is :data:`SMALL_WORK_THREADS`, read when the block is
        entered; ``None`` leaves the settings alone.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound._threads import limit_blas_threads
    >>> with limit_blas_threads(1):
    ...     bool((np.eye(3) @ np.eye(3) == np.eye(3)).all())
    True
    """
    if isinstance(limit, str):
        if limit != "auto":
            raise ValueError(f"limit must be an int >= 1, None or 'auto', got {limit!r}")
        limit = SMALL_WORK_THREADS
    if limit is None:
        yield
        return
    # "at most limit": more threads than cores is never asked of the library (older OpenBLAS builds
    # crash when told to use more threads than they were compiled for)
    with threadpool_limits(limits=max(1, min(int(limit), os.cpu_count() or 1)), user_api="blas"):
        yield


def small_work(func: F) -> F:
    """Decorate a routine made of many small products: it runs with :data:`SMALL_WORK_THREADS`.

    Parameters
    ----------
    func : callable
        The routine; its signature and docstring are kept (``functools.wraps``).

    Returns
    -------
    callable

    Examples
    --------
    >>> from radbound._threads import small_work
    >>> @small_work
    ... def f(x):
    ...     return x + 1
    >>> f(1)
    2
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with limit_blas_threads():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
