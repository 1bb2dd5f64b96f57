"""Benchmark: exact vectorised attack on a 10-class linear MNIST model, and the SGD step.

Run: ``python benchmarks/bench_attacks.py`` (about half a minute; bundled MNIST, offline).

1. Train a 10-class linear model quickly by the paper's protocol
   (``fit_sgd_attack``, n = 1,000, eps = 0.03, lam = 0.001, a few hundred steps) and print
   the SGD per-step time (float64 and float32).
2. Robust accuracy on the 10,000 bundled images (eps = 0.03, l_inf):
   - the floor: the bare logits product ``X @ W.T``;
   - ``linear_robust_accuracy`` (exact, vectorised) and ``linear_worst_case`` (with ``X_adv``);
   - the paper code's approach: a Python loop perturbing one image at a time
     (``gen_adversary_ex``, then the logits of the perturbed image).
   Targets: vectorised >= 20x faster than the loop, and within 2x of the floor (exits 1 if missed).

Times are the best of several repeats, measured in the same process (the machine is shared:
compare ratios, not absolute times).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from radbound.attacks import linear_robust_accuracy, linear_worst_case
from radbound.data import load_mnist
from radbound.train.sgd import fit_sgd_attack

EPS, LAM = 0.03, 0.001


def best_time(fn, repeat: int = 15) -> float:
    """Best wall time of ``repeat`` calls."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def paper_loop_accuracy(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray, eps: float) -> float:
    """The paper code's evaluation: perturb one image at a time (``gen_adversary_ex``), then classify."""
    correct = 0
    for x, label in zip(X, y):
        diff = W[label] - W  # (K, d)
        score = W @ x + eps * np.abs(diff).sum(axis=1)
        score[label] = -np.inf
        k = int(np.argmax(score))
        x_adv = x - eps * np.sign(diff[k])
        correct += int(np.argmax(W @ x_adv + b) == label)
    return correct / len(y)


def main() -> int:
    data = load_mnist()
    _, train = data.split(1000, seed=0)  # n = 1,000 training images; evaluation on all 10,000
    X, y = np.ascontiguousarray(data.X), data.y
    print(f"data: {data.name}, X {X.shape} {X.dtype}, train n = {len(train)}")

    # 1. SGD per-step time -------------------------------------------------------------------
    for dtype in (np.float64, np.float32):
        m = fit_sgd_attack(train.X, train.y, eps=EPS, lam=LAM, n_steps=500, seed=0, dtype=dtype)
        dg = m.diagnostics
        print(
            f"fit_sgd_attack {np.dtype(dtype).name}: 500 steps (batch 100, d 784, K 10) "
            f"in {dg['time']:.2f} s "
            f"= {1e3 * dg['time_per_step']:.3f} ms/step; train adv. acc {dg['train_adv_accuracy']:.3f}, "
            f"objective {m.objective:.4f}"
        )
    model = fit_sgd_attack(train.X, train.y, eps=EPS, lam=LAM, n_steps=500, seed=0)
    W, b = model.W, model.b

    # 2. robust accuracy on 10,000 images ----------------------------------------------------
    t_floor = best_time(lambda: X @ W.T)
    t_vec = best_time(lambda: linear_robust_accuracy(W, b, X, y, eps=EPS))
    t_floor = min(t_floor, best_time(lambda: X @ W.T))  # interleaved, against drifting load
    t_wc = best_time(lambda: linear_worst_case(W, b, X, y, eps=EPS), repeat=5)
    t0 = time.perf_counter()
    acc_loop = paper_loop_accuracy(W, b, X, y, EPS)
    t_loop = time.perf_counter() - t0

    acc_exact = linear_robust_accuracy(W, b, X, y, eps=EPS)
    acc_paper = float(np.mean(linear_worst_case(W, b, X, y, eps=EPS, rule="paper").margins > 0))
    print(
        f"robust accuracy (eps={EPS}): exact {acc_exact:.4f}; paper rule vectorised {acc_paper:.4f}, "
        f"paper per-sample loop {acc_loop:.4f}"
    )
    print(f"  bare logits X @ W.T (floor)         {1e3 * t_floor:8.2f} ms")
    print(f"  linear_robust_accuracy (exact)      {1e3 * t_vec:8.2f} ms")
    print(f"  linear_worst_case (with X_adv)      {1e3 * t_wc:8.2f} ms")
    print(f"  per-sample Python loop (paper code) {1e3 * t_loop:8.2f} ms")
    speedup, over_floor = t_loop / t_vec, t_vec / t_floor
    print(f"  speed-up vs loop: {speedup:.0f}x  (target >= 20x: {'met' if speedup >= 20 else 'MISSED'})")
    print(f"  time / floor:     {over_floor:.2f}x (target <= 2x: {'met' if over_floor <= 2 else 'MISSED'})")
    if abs(acc_paper - acc_loop) > 1e-12:
        raise SystemExit("the vectorised paper rule disagrees with the per-sample loop")
    ok = speedup >= 20 and over_floor <= 2
    print("ALL TARGETS MET" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
