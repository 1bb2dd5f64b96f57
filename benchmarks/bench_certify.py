"""Certified margins of the paper's CNN on 1,000 MNIST images at l_inf eps = 0.1: IBP and CROWN.

The network: conv 5x5/32 SAME, ReLU, 2x2 max-pool; conv 5x5/64 SAME, ReLU, 2x2 max-pool;
FC 3136 -> 1024, ReLU; FC 1024 -> 10, weights drawn like torch's default initialisation (seeded,
untrained: the timing does not depend on the weights, and an untrained net certifies nothing at
this eps, which the script prints). CROWN here bounds the hidden layers by IBP (``"auto"`` chooses
it for these layers: a backward pass per hidden unit would cost ~10^10 multiply-adds per image)
and relaxes the ReLUs and max-pooling windows in one backward pass from the nine margin
specifications of each image.

Goals: CROWN under 60 s, IBP under 2 s, on 2 CPU cores. The machine is shared by several
processes, so wall-clock time measures the load as much as the code: the goal is checked on the
process CPU time (all threads), which bounds the wall time of the same run on 2 dedicated cores
from above (two busy threads finish in at most their summed CPU time). Both are printed, with the
ratio against a baseline run in the same process: one numpy forward pass of the network on the
same images. Peak resident memory is printed (the computation is chunked over images).

Checks printed (and failing the script when violated): CROWN >= IBP on every image, and both below
the natural margin (eps = 0).

Both backends are timed when torch is installed (numpy in float64, torch in float32, the dtype of
the tensors given), torch also on one thread (``torch.set_num_threads(1)``): on a loaded machine a
second thread mostly spins and waits, which counts as CPU time, and one thread's CPU time is the
wall time of the same run on one dedicated core, so it bounds the 2-core time from above too. A
goal is met when the fastest configuration meets it, and every figure is printed.

Run: ``python benchmarks/bench_certify.py [--n 1000]``; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from radbound.certify import certified_margins, certify
from radbound.data import load_mnist
from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU

GOALS = {"ibp": 2.0, "crown": 60.0}


def _init(rng, *shape):
    bound = 1.0 / np.sqrt(np.prod(shape[1:]))
    return rng.uniform(-bound, bound, size=shape)


def _bias(rng, n, fan_in):
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=n)


def paper_cnn(seed: int = 0) -> Network:
    rng = np.random.default_rng(seed)
    layers = (
        Conv2d(_init(rng, 32, 1, 5, 5), _bias(rng, 32, 25), padding="same"),
        ReLU(),
        MaxPool2d(2),
        Conv2d(_init(rng, 64, 32, 5, 5), _bias(rng, 64, 800), padding="same"),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Dense(_init(rng, 1024, 3136), _bias(rng, 1024, 3136)),
        ReLU(),
        Dense(_init(rng, 10, 1024), _bias(rng, 10, 1024)),
    )
    return Network(layers, (1, 28, 28))


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--eps", type=float, default=0.1)
    args = parser.parse_args()
    ds = load_mnist()
    X, y = ds.X[: args.n].astype(np.float64), ds.y[: args.n]
    net = paper_cnn(0)
    print(f"paper CNN ({net.n_parameters:,} parameters), {args.n} MNIST images, l_inf eps = {args.eps}")
    _, fw_wall, fw_cpu = timed(lambda: net.forward(X))
    print(f"baseline: one numpy forward pass  wall {fw_wall:7.2f} s   cpu {fw_cpu:7.2f} s")
    nat = certified_margins(net, X, y, eps=0.0, method="ibp")
    backends = [("numpy float64", X, y)]
    try:
        import torch

        Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
        backends.append(("torch float32", Xt, yt))
        backends.append(("torch float32, 1 thread", Xt, yt))
    except ImportError:
        print("torch is not installed: the numpy backend alone is timed")
    best = {m: np.inf for m in GOALS}
    results = {}
    for label, Xb, yb in backends:
        threads = torch.get_num_threads() if label.endswith("1 thread") else None
        if threads is not None:
            torch.set_num_threads(1)
        for method in GOALS:
            cm, wall, cpu = timed(lambda m=method, a=Xb, b=yb: certify(net, a, b, eps=args.eps, method=m))
            margins = cm.margins.double().numpy() if hasattr(cm.margins, "double") else cm.margins
            results[(label, method)] = margins
            best[method] = min(best[method], cpu)
            print(
                f"{method:>5} ({label}): wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
                f"({cpu / fw_cpu:5.1f}x the forward pass);  certified {cm.certified_accuracy:.3f}, "
                f"hidden-layer bounds {cm.intermediate}"
            )
        if threads is not None:
            torch.set_num_threads(threads)
    ibp, crown = results[("numpy float64", "ibp")], results[("numpy float64", "crown")]
    sound = bool(np.all(crown >= ibp) and np.all(crown <= nat + 1e-9 * (1 + np.abs(nat))))
    print(
        f"checks (float64): CROWN >= IBP and both <= natural margin on every image: {sound}; "
        f"mean CROWN - IBP = {float(np.mean(crown - ibp)):.4g} (mean IBP margin {float(np.mean(ibp)):.4g})"
    )
    if len(backends) > 1:
        for method in GOALS:
            diff = np.max(np.abs(results[("torch float32", method)] - results[("numpy float64", method)]))
            print(f"{method}: max |float32 - float64| margin {diff:.2g}")
    ok = sound
    for method, goal in GOALS.items():
        status = "met" if best[method] <= goal else "MISSED"
        ok &= best[method] <= goal
        print(f"goal {method} cpu <= {goal:g} s (fastest configuration): {best[method]:.2f} s  {status}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MiB")
    print("ALL GOALS MET" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
