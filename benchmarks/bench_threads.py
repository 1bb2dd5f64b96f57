"""BLAS threads: all network bounds of the paper's CNN with radbound's choice against the default.

``radbound.networks.network_bounds`` (and the other routines made of many small products: the SGD
loop, the fast linear solvers, study cells) run with ``radbound._threads.SMALL_WORK_THREADS`` BLAS
thread(s), chosen inside. Baseline in the same process: the same call with the BLAS library's
default thread count (``SMALL_WORK_THREADS = None``). Both give the same bound values (checked).

Target: radbound's choice is never slower than the default by more than 10% (ratio default / ours
>= 0.9); on a machine whose cores are busy it is much faster (the figure to quote). Exits non-zero
when the target is missed.

Run: ``python benchmarks/bench_threads.py [--repeats 3] [--n 1000]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_info

import radbound._threads as threads
from radbound.data import load_mnist
from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU, network_bounds


def _init(rng, *shape):
    bound = 1.0 / np.sqrt(np.prod(shape[1:]))
    return rng.uniform(-bound, bound, size=shape)


def paper_cnn(seed):
    """conv 5x5/32 SAME, ReLU, pool; conv 5x5/64 SAME, ReLU, pool; FC 3136 -> 1024, ReLU; FC -> 10."""
    rng = np.random.default_rng(seed)
    layers = (
        Conv2d(_init(rng, 32, 1, 5, 5), padding="same"),
        ReLU(),
        MaxPool2d(2),
        Conv2d(_init(rng, 64, 32, 5, 5), padding="same"),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Dense(_init(rng, 1024, 3136)),
        ReLU(),
        Dense(_init(rng, 10, 1024)),
    )
    return Network(layers, (1, 28, 28))


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args(argv)
    X = load_mnist().X[: args.n]
    net = paper_cnn(0).with_reference(paper_cnn(1))
    default = sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; BLAS default threads {default}")
    chosen = threads.SMALL_WORK_THREADS
    results = {}
    for label, limit in (("radbound's choice", chosen), ("BLAS default", None)):
        threads.SMALL_WORK_THREADS = limit
        try:
            network_bounds(net, X, eps=0.1)  # warm up
            results[label] = timed(lambda: network_bounds(net, X, eps=0.1), args.repeats)
        finally:
            threads.SMALL_WORK_THREADS = chosen
    (t_ours, ours), (t_base, base) = results["radbound's choice"], results["BLAS default"]
    same = all(np.isclose(a.value, b.value, rtol=1e-9) for (_, a), (_, b) in zip(ours, base))
    ratio = t_base / t_ours
    print(f"paper CNN, all network bounds on {X.shape[0]} images (best of {args.repeats}):")
    print(f"  radbound's choice ({chosen} BLAS thread): {t_ours:7.2f} s")
    print(f"  BLAS default threads:                 {t_base:7.2f} s")
    print(f"  ratio default / ours: {ratio:.1f}x (target >= 0.9); same bound values: {same}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    ok = ratio >= 0.9 and same
    print("ALL TARGETS MET" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
