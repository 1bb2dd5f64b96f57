"""The BLAS-thread limiter (radbound._threads) and the routines that choose their thread count."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import radbound._threads as threads
from radbound.networks import Network, network_bounds, network_norms


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


needs_blas = pytest.mark.skipif(not blas_threads(), reason="no BLAS library reports its threads")


@needs_blas
def test_limit_is_applied_and_restored():
    before = blas_threads()
    with threads.limit_blas_threads(1):
        assert blas_threads() == {1}
    with threads.limit_blas_threads(None):
        assert blas_threads() == before
    assert blas_threads() == before


def test_limit_rejects_unknown_strings():
    with pytest.raises(ValueError, match="limit must be an int >= 1, None or 'auto'"):
        with threads.limit_blas_threads("many"):
            pass


@needs_blas
def test_network_norms_run_with_the_small_work_thread_count(monkeypatch):
    """The count is chosen inside: no flag, and the routine sees SMALL_WORK_THREADS."""
    import radbound.networks.norms as norms

    seen = []
    original = norms.spectral_norm

    def recording(*args, **kwargs):
        seen.append(blas_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(norms, "spectral_norm", recording)
    network_norms(Network.from_arrays([np.eye(3), np.ones((2, 3))]))
    assert seen and all(s == {threads.SMALL_WORK_THREADS} for s in seen)


def test_blas_threads_keyword_is_deprecated_and_numbers_do_not_change():
    net = Network.from_arrays([2 * np.eye(3), np.ones((2, 3))])
    X = np.eye(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ref = network_bounds(net, X, eps=0.1)
    with pytest.warns(DeprecationWarning, match="blas_threads is deprecated"):
        old = network_bounds(net, X, eps=0.1, blas_threads=2)
    assert [b.value for _, b in old] == [b.value for _, b in ref]
    with pytest.warns(DeprecationWarning, match="blas_threads is deprecated"):
        network_norms(net, blas_threads=1)
