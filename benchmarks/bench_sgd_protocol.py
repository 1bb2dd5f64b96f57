"""Per-step cost of the paper's SGD protocol: vectorised (radbound) vs a per-sample loop.

The protocol (docs/theory/experiments.md): softmax linear model on MNIST, plain SGD (lr 0.5, batch 100),
every batch replaced by its linear worst case under an l_inf attack of radius eps before the step.
The paper's code perturbs the batch one image at a time (a Python loop over the 100 images, each
choosing its target class k* = argmax_{k != y} (W x)_k + eps ||w_y - w_k||_1). Here both are run in
the SAME process on the same data and batches:

- ``vectorised``: :func:`radbound.train.sgd.fit_sgd_attack` (float64 and float32);
- ``per-sample loop``: the same protocol with the attack written image by image (float64).

The two float64 runs must end at the same weights (checked), so the comparison is of one protocol.
Printed: time per step, the ratio, and the projected time of the full l1 figure (6 eps x 3 lam x 10
repetitions x 10,000 steps = 180 trainings) on 2 workers. Timings on a shared machine are noisy:
compare the ratios. Targets (CPU time per step against the loop): float64 >= 4x faster, float32 (the
studies' precision) >= 6x faster, same float64 weights; the script exits with status 1 if one is
missed.

Run: ``python benchmarks/bench_sgd_protocol.py [--steps 300]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread per worker, as in the studies
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

FULL_TRAININGS = 6 * 3 * 10
FULL_STEPS = 10_000
WORKERS = 2


def per_sample_loop_fit(X, y, *, eps, lam, n_steps, seed, lr=0.5, batch_size=100, K=10):
    """The paper's protocol with the attack written one image at a time (its code's structure)."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    W, b = np.zeros((K, d)), np.zeros(K)
    for _ in range(n_steps):
        idx = rng.choice(n, batch_size, replace=False)
        Xb, yb = X[idx], y[idx]
        Xa = np.empty_like(Xb)
        for i in range(batch_size):  # one image at a time
            x, t = Xb[i], yb[i]
            if eps == 0.0:
                Xa[i] = x
                continue
            z = W @ x
            best, target = -np.inf, -1
            for k in range(K):
                if k == t:
                    continue
                score = z[k] + eps * np.abs(W[t] - W[k]).sum()
                if score > best:
                    best, target = score, k
            Xa[i] = x - eps * np.sign(W[t] - W[target])
        Z = Xa @ W.T + b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        P[np.arange(batch_size), yb] -= 1.0
        P /= batch_size
        gW, gb = P.T @ Xa, P.sum(axis=0)
        W -= lr * (gW + lam * np.sign(W))
        b -= lr * gb
    return W, b


def main(argv=None) -> int:
    from radbound.data import load_mnist
    from radbound.train.sgd import fit_sgd_attack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="SGD steps timed per variant")
    parser.add_argument("--eps", type=float, default=0.03)
    parser.add_argument("--lam", type=float, default=0.001)
    args = parser.parse_args(argv)

    pool, _ = load_mnist().split(3000, seed=0)
    idx = np.random.default_rng(0).choice(len(pool), 1000, replace=False)
    X, y = pool.X[idx], pool.y[idx]
    common = {"eps": args.eps, "lam": args.lam, "n_steps": args.steps, "seed": 1}

    def timed(fn):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        return out, (cpu / args.steps, wall / args.steps)

    fit_sgd_attack(X, y, eps=args.eps, n_steps=20, seed=0)  # warm-up
    m64, t64 = timed(lambda: fit_sgd_attack(X, y, n_classes=10, **common))
    m32, t32 = timed(lambda: fit_sgd_attack(X, y, n_classes=10, dtype=np.float32, **common))
    (W_loop, b_loop), t_loop = timed(lambda: per_sample_loop_fit(X, y, **common))
    same = np.allclose(m64.W, W_loop, rtol=1e-9, atol=1e-12) and np.allclose(
        m64.b, b_loop, rtol=1e-9, atol=1e-12
    )

    def project(t):
        return t * FULL_STEPS * FULL_TRAININGS / WORKERS / 60

    print(
        f"paper SGD protocol, MNIST d=784, K=10, n=1000, batch 100, eps={args.eps}, lam={args.lam}, "
        f"{args.steps} steps per variant (one process)"
    )
    print(f"  same weights (vectorised float64 vs per-sample loop): {same}")
    print(
        f"  {'variant':<40}{'CPU ms/step':>12}{'wall ms/step':>13}{'vs loop (CPU)':>15}{'full l1 figure':>16}"
    )
    for name, (cpu, wall) in (
        ("per-sample loop (float64)", t_loop),
        ("vectorised radbound (float64)", t64),
        ("vectorised radbound (float32, studies)", t32),
    ):
        ratio = t_loop[0] / cpu
        print(f"  {name:<40}{cpu * 1e3:>12.3f}{wall * 1e3:>13.3f}{ratio:>14.1f}x{project(cpu):>12.1f} min")
    print(
        f"  (full figure = {FULL_TRAININGS} trainings x {FULL_STEPS:,} steps on {WORKERS} dedicated cores, "
        "from the CPU time per step; wall time is longer on a shared machine; evaluation adds ~1 s/training)"
    )
    targets = {
        "same float64 weights as the loop": same,
        "float64 >= 4x faster than the loop (CPU)": t_loop[0] / t64[0] >= 4.0,
        "float32 >= 6x faster than the loop (CPU)": t_loop[0] / t32[0] >= 6.0,
    }
    for name, met in targets.items():
        print(f"  target: {name} -> {'met' if met else 'MISSED'}")
    ok = all(targets.values())
    print("ALL TARGETS MET" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
