"""Time to evaluate every network bound of radbound.networks on 1,000 MNIST images.

Two networks (weights drawn like torch's default initialisation, seeded; the (2,1) norms are taken
relative to a second, independent initialisation):

* the paper's 4-layer CNN: conv 5x5/32 SAME, ReLU, 2x2 max-pool; conv 5x5/64 SAME, ReLU, 2x2 max-pool;
  FC 3136 -> 1024, ReLU; FC 1024 -> 10 (3.27 M weights);
* a 784-1024-1024-10 ReLU MLP.

``network_bounds`` computes every layer norm once (spectral with certificate, Frobenius, (2,1), (1,inf))
and the bounds (Bartlett et al., Golowich et al., Neyshabur et al.; post-hoc by default; Yin et al.'s
adversarial lower bound applies to neither network: 10 outputs, and convolutions for the CNN).
Target: under 5 s each on 2 CPU cores. Baselines measured in the same process, for the ratio: a
full SVD (``np.linalg.svd``, with vectors) of every dense matrix, and, for the CNN, materialising the
first convolution as a dense matrix and taking its SVD (the second conv's 12,544 x 6,272 matrix,
630 MB, is not materialised).

Timings on a shared machine are noisy. ``network_bounds`` chooses its BLAS thread count itself (one
thread, see ``benchmarks/bench_threads.py`` for the comparison with the default threads). Exits
non-zero when a network misses the target.

Run: ``python benchmarks/bench_networks.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from radbound.data import load_mnist
from radbound.networks import (
    Conv2d,
    Dense,
    Flatten,
    MaxPool2d,
    Network,
    ReLU,
    network_bounds,
    unrolled_matrix,
)


def _init(rng, *shape):
    bound = 1.0 / np.sqrt(np.prod(shape[1:]))
    return rng.uniform(-bound, bound, size=shape)


def paper_cnn(seed):
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


def mlp(seed):
    rng = np.random.default_rng(seed)
    return Network.from_arrays([_init(rng, 1024, 784), _init(rng, 1024, 1024), _init(rng, 10, 1024)])


def _time(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def naive_dense(net):
    for _, layer in net.weighted_layers:
        if isinstance(layer, Dense):
            np.linalg.svd(layer.weight)  # full SVD with vectors
            np.linalg.norm(layer.weight, axis=1).sum()


def naive_first_conv(net):
    A = unrolled_matrix(net.layers[0], net.input_shape)
    return np.linalg.norm(A, 2), np.linalg.norm(A, axis=1).sum()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args(argv)
    X = load_mnist().X[: args.n]
    print(f"data: {X.shape[0]} bundled MNIST images, d = {X.shape[1]}")
    rows = []
    for name, build in (("paper CNN", paper_cnn), ("MLP 784-1024-1024-10", mlp)):
        net = build(0).with_reference(build(1))
        t, bounds = _time(lambda net=net: network_bounds(net, X, eps=0.1), args.repeats)
        rows.append((name, net.n_parameters, t))
        print(f"\n{name}: {net.n_parameters:,} weights, all bounds in {t:.2f} s (median of {args.repeats})")
        for key, bound in bounds:
            print(f"  {key:18s} {bound.value:.4g}  [{bound.status}]")
        for lay in bounds.norms.layers:
            s = lay.spectral
            print(
                f"  layer {lay.index} {lay.kind:6s} spectral {s.value:.6g} ({s.method}, certified in "
                f"[{s.lower:.6g}, {s.upper:.6g}], {s.n_iter} products)"
            )
        t_dense, _ = _time(lambda net=net: naive_dense(net), 1)
        print(f"  baseline: full SVD of the dense layers {t_dense:.2f} s")
        if name == "paper CNN":
            t_conv, _ = _time(lambda net=net: naive_first_conv(net), 1)
            print(
                f"  baseline: materialise conv1 (25,088 x 784) + its SVD {t_conv:.2f} s "
                "(conv2 would need 630 MB)"
            )
            print(
                f"  ratio baseline / radbound: {(t_dense + t_conv) / t:.1f}x (baseline covers 3 of 4 layers)"
            )
        else:
            print(f"  ratio baseline / radbound: {t_dense / t:.1f}x")
    print("\nsummary (target < 5 s each):")
    ok = True
    for name, n_par, t in rows:
        ok &= t < 5
        print(f"  {name:22s} {n_par:>10,} weights  {t:6.2f} s  {'OK' if t < 5 else 'MISSED'}")
    print("ALL TARGETS MET" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
