"""MNIST for the figures: the documented pool/test split and per-repetition training sets.

Default data: the 10,000 digits bundled with radbound, split ONCE by a seeded
shuffle into a pool and a test set (``test_size`` images, 3,000 by default;
:meth:`radbound.data.Dataset.split` with the run's seed). With the full MNIST
(``data=PATH`` or the ``RADBOUND_MNIST`` environment variable), the pool is the
60,000 official training images and the test set the 10,000 official test
images, as in the paper. Repetition ``rep`` trains on ``n`` images drawn without
replacement from the pool by ``numpy.random.default_rng([seed, rep])``; every cell
of the same repetition (any eps, lam or d) sees the same images, so curves are
paired comparisons.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

__all__ = ["mnist_split", "training_sample", "check_data"]


@functools.lru_cache(maxsize=4)
def _split(data: str | None, env: str, test_size: int, seed: int) -> tuple[Any, Any, str]:
    from radbound.data import load_mnist

    if data is None and not env:
        pool, test = load_mnist().split(test_size, seed=seed)
        note = (
            f"bundled MNIST digits ({len(pool) + len(test):,}): seeded split (seed {seed}) into a pool of "
            f"{len(pool):,} and a test set of {len(test):,}"
        )
    else:
        pool, test = load_mnist(data, subset="train"), load_mnist(data, subset="test")
        where = data if data is not None else f"RADBOUND_MNIST={env}"
        note = f"full MNIST ({where}): pool = {len(pool):,} training images, test = {len(test):,} test images"
    for ds in (pool, test):
        ds.X.setflags(write=False)
    return pool, test, note


def mnist_split(data: str | None, *, test_size: int, seed: int) -> tuple[Any, Any, str]:
    """``(pool, test, note)``: the figures' documented split of MNIST (cached per process).

    Parameters
    ----------
    data : str or None
        None: the bundled digits split by ``seed`` (``test_size`` test images); a path (or the
        ``RADBOUND_MNIST`` environment variable): the official 60,000 / 10,000 split.
    test_size : int
        The number of test images of the bundled split.
    seed : int
        The seed of the bundled split.

    Returns
    -------
    pool, test : radbound.data.Dataset
        Read-only datasets.
    note : str
        One line saying which data this is (for captions and the rows).

    Raises
    ------
    FileNotFoundError, ValueError
        When ``data`` does not hold MNIST.

    Examples
    --------
    >>> pool, test, note = mnist_split(None, test_size=3000, seed=0)
    >>> (len(pool), len(test)) == (7000, 3000) and "seed 0" in note
    True
    """
    return _split(data, os.environ.get("RADBOUND_MNIST", "").strip(), int(test_size), int(seed))


def training_sample(pool: Any, n: int, *, seed: int, rep: int) -> Any:
    """The ``n`` training images of repetition ``rep``, drawn without replacement from ``pool``.

    Parameters
    ----------
    pool : radbound.data.Dataset
        The pool of :func:`mnist_split`.
    n : int
        The number of images (at most ``len(pool)``).
    seed, rep : int
        The draw uses ``numpy.random.default_rng([seed, rep])``: every cell of one repetition
        sees the same images.

    Examples
    --------
    >>> pool, _, _ = mnist_split(None, test_size=3000, seed=0)
    >>> a, b = training_sample(pool, 50, seed=0, rep=1), training_sample(pool, 50, seed=0, rep=1)
    >>> bool((a.X == b.X).all()) and len(a) == 50
    True
    """
    if n > len(pool):
        raise ValueError(f"n_train must be <= the pool size {len(pool)}, got {n}")
    idx = np.random.default_rng([int(seed), int(rep)]).choice(len(pool), n, replace=False)
    return pool.subset(np.sort(idx))


def check_data(data: str | None, *, test_size: int, seed: int, n_train: int) -> dict[str, Any]:
    """Load the data once before any work, so a bad path fails before any cell runs.

    Parameters
    ----------
    data : str or None
        As in :func:`mnist_split`.
    test_size, seed : int
        As in :func:`mnist_split`.
    n_train : int
        The training-set size a repetition draws from the pool.

    Returns
    -------
    dict
        What the run's JSON records: ``data`` (the note), ``data_source``, ``n_pool``, ``n_test``.

    Examples
    --------
    >>> rec = check_data(None, test_size=3000, seed=0, n_train=1000)
    >>> (rec["n_pool"], rec["n_test"]) == (7000, 3000)
    True
    """
    if data is not None and not os.path.exists(data):
        raise FileNotFoundError(
            f"data must be a path holding MNIST, got {data!r} (no such file or directory)"
        )
    pool, test, note = mnist_split(data, test_size=test_size, seed=seed)
    if n_train > len(pool):
        raise ValueError(f"n_train must be <= the pool size {len(pool)}, got {n_train}")
    return {"data": note, "data_source": pool.source, "n_pool": len(pool), "n_test": len(test)}
