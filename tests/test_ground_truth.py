"""A bound tested like a theorem: over independent samples from a distribution with exact true risks,
the post-hoc generalization bound of the trained model must hold in at least a 1 - delta fraction.

The full version (n in {100, 1000}, eps in {0, 0.05}, 200 samples per cell) is
benchmarks/bench_bound_coverage.py; this is its small version."""

from __future__ import annotations

import numpy as np
import pytest

from radbound.bounds import coverage
from radbound.data import GaussianMixture
from radbound.train import fit_linear
from radbound.train.sgd import fit_sgd_attack

GM = GaussianMixture(np.array([1.5, 0.0]), scale=1.0)


@pytest.mark.parametrize("eps", [0.0, 0.05])
@pytest.mark.parametrize("trainer", ["sgd", "fit_linear"])
def test_post_hoc_bound_covers_the_true_risk(eps, trainer):
    def fit(X, y, rng):
        if trainer == "sgd":  # the paper's protocol, fewer steps
            return fit_sgd_attack(
                X, y, eps=eps, loss="logistic", lr=0.5, batch_size=100, n_steps=200, seed=rng
            )
        return fit_linear(X, y, eps=eps, lam=0.01, loss="logistic")

    cov = coverage(GM, fit, 1000, n_samples=12, eps=eps, delta=0.05, n_draws=500, seed=7)
    print(cov)
    assert cov.holds and cov.covered >= 0.95
    # the bound is informative here (below 1) and above the truth by a clear but finite amount
    assert cov.non_vacuous == 1.0 and cov.mean_risk < cov.mean_bound < 1.0


def test_the_coverage_check_has_power():
    """The same count fails for a 'bound' that is not one: the empirical 0-1 risk of an over-fitted
    model (d = 40 dimensions, n = 30 samples, weak signal) is below its true risk in most samples."""
    gm = GaussianMixture(np.full(40, 0.1), scale=1.0)
    misses = 0
    for seed in range(10):
        S = gm.sample(30, seed=seed)
        w = np.linalg.lstsq(S.X, S.y, rcond=None)[0]  # interpolates: empirical risk 0
        empirical = float(np.mean(S.y * (S.X @ w) <= 0))
        misses += gm.risk(w, 0.0) > empirical
    assert misses >= 8
