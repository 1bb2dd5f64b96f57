"""Ground truth for the post-hoc generalization bound: how often does the true risk exceed it?

On ``radbound.data.GaussianMixture`` (two Gaussian classes, mean +-(1.5, 0), identity covariance,
equal priors; its true natural and adversarial risks are closed forms), for each training-set size
n in {100, 1000} and attack radius eps in {0, 0.05} (l_inf), the script draws ``--samples``
independent training sets, trains a binary linear model on each with

* the paper's SGD protocol (``radbound.train.sgd.fit_sgd_attack``, logistic loss, learning rate 0.5,
  batch 100, every batch replaced by its exact worst case; ``--steps`` steps, 1,000 by default,
  the paper ran 10,000 on MNIST), and
* ``radbound.train.fit_linear`` (robust logistic regression, l1 penalty 0.01, fast solver),

evaluates ``radbound.bounds.model_generalization`` (post-hoc valid: the model's own radius and the
margin, chosen as the best grid margin, are paid for by a union bound; delta = 0.05) and counts the
fraction of samples whose exact true risk is at most the bound. The theorem requires at least
1 - delta = 0.95; the script exits non-zero when a fraction is below that (a violated theorem is a
bug). It also prints the mean bound, the mean true risk and the fraction of non-vacuous bounds.

This is a check of validity, not of tightness: the bounds are loose (a coverage of 1.0 is expected).

Run: ``python benchmarks/bench_bound_coverage.py [--samples 200] [--steps 1000] [--seed 0]``
(about 5 minutes with the defaults on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from radbound.bounds import coverage
from radbound.data import GaussianMixture
from radbound.train import fit_linear
from radbound.train.sgd import fit_sgd_attack

DELTA = 0.05


def trainers(eps: float, steps: int) -> dict:
    def sgd(X, y, rng):
        return fit_sgd_attack(
            X, y, eps=eps, loss="logistic", lr=0.5, batch_size=min(100, len(y)), n_steps=steps, seed=rng
        )

    def convex(X, y, rng):
        return fit_linear(X, y, eps=eps, lam=0.01, loss="logistic")

    return {"fit_sgd_attack": sgd, "fit_linear": convex}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200, help="independent training sets per cell")
    ap.add_argument("--steps", type=int, default=1000, help="SGD steps of the paper's protocol")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    gm = GaussianMixture(np.array([1.5, 0.0]), scale=1.0)
    print(f"distribution: {gm!r}; delta = {DELTA}; {args.samples} samples per cell")
    print(
        f"{'trainer':>15} {'n':>5} {'eps':>5} {'covered':>8} {'(ramp)':>7} {'mean bound':>11} "
        f"{'mean risk':>10} {'non-vacuous':>12} {'time':>6}"
    )
    ok = True
    seeds = np.random.SeedSequence(args.seed).spawn(8)
    k = 0
    for n in (100, 1000):
        for eps in (0.0, 0.05):
            for name, fit in trainers(eps, args.steps).items():
                t0 = time.perf_counter()
                cov = coverage(gm, fit, n, n_samples=args.samples, eps=eps, delta=DELTA, seed=seeds[k])
                k += 1
                dt = time.perf_counter() - t0
                ok &= cov.covered >= 1 - DELTA and cov.covered_ramp >= 1 - DELTA
                print(
                    f"{name:>15} {n:>5} {eps:>5g} {cov.covered:>8.3f} {cov.covered_ramp:>7.3f} "
                    f"{cov.mean_bound:>11.3f} {cov.mean_risk:>10.4f} {cov.non_vacuous:>12.2f} {dt:>5.0f}s"
                )
    print("ALL COVERAGES >= 1 - delta" if ok else "COVERAGE BELOW 1 - delta: a bound failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
