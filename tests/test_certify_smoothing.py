"""Randomized smoothing against a classifier whose smoothed version is known in closed form.

For a binary linear classifier f(x) = sign(w^T x + b) and Gaussian noise N(0, sigma^2 I),
w^T (x + delta) + b ~ N(w^T x + b, sigma^2 ||w||^2), so the smoothed classifier is f itself, its top
class has probability p_A = Phi(|w^T x + b| / (sigma ||w||)) and its exact l2 robustness radius is
|w^T x + b| / ||w|| = sigma Phi^{-1}(p_A). Each CERTIFY answer is wrong (p_lower > p_A, i.e. radius
above the exact one, or a wrong class) with probability at most alpha; over N independent samples
the number of wrong answers is stochastically below Binomial(N, alpha), and the tests allow its
1 - 1e-6 quantile.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, norm

from radbound.certify import certify_smoothed, clopper_pearson_lower, predict_smoothed
from radbound.networks import Network


def linear_problem(N, seed):
    rng = np.random.default_rng(seed)
    w, b = rng.normal(size=4), 0.3
    X = rng.normal(size=(N, 4)) * 0.5
    s = X @ w + b
    return w, b, X, np.where(s >= 0, 1.0, -1.0), np.abs(s) / np.linalg.norm(w)


def test_clopper_pearson_covers_at_the_nominal_rate():
    """P(lower > p) <= alpha for every p, exactly: the bound is a quantile of the Beta posterior."""
    n, alpha = 50, 0.05
    for p in (0.1, 0.5, 0.77, 0.99):
        k = np.arange(n + 1)
        miss = clopper_pearson_lower(k, n, alpha) > p
        assert binom.pmf(k[miss], n, p).sum() <= alpha + 1e-12
    assert clopper_pearson_lower(0, 10, 0.05) == 0.0
    for k, n, match in (
        (11, 10, "k must hold integer counts"),
        (1.5, 10, "k must hold"),
        (1, 0, "n must be"),
    ):
        with pytest.raises(ValueError, match=match):
            clopper_pearson_lower(k, n, 0.05)
    with pytest.raises(ValueError, match="alpha must be in"):
        clopper_pearson_lower(1, 10, 1.5)


def test_certified_radius_is_below_the_exact_radius_at_the_nominal_rate():
    N, alpha, sigma = 300, 0.05, 0.4
    w, b, X, cls, exact_radius = linear_problem(N, 0)
    cert = certify_smoothed((w, b), X, cls, sigma=sigma, n0=50, n=500, alpha=alpha, seed=1)
    pA = norm.cdf(exact_radius / sigma)
    wrong = (~cert.abstain) & ((cert.prediction != cls) | (cert.radius > exact_radius))
    allowed = binom.ppf(1 - 1e-6, N, alpha)
    assert wrong.sum() <= allowed
    assert np.sum(cert.p_lower[cert.prediction == cls] > pA[cert.prediction == cls]) <= allowed
    # the bound is not vacuous: with 500 draws p_lower is within a few standard errors of p_A
    kept = ~cert.abstain
    assert np.median(pA[kept] - cert.p_lower[kept]) < 4 * np.sqrt(0.25 / 500)
    assert cert.certified_accuracy() == float(np.mean(cert.correct & (cert.radius > 0)))
    assert np.all(cert.radius[cert.abstain] == 0) and np.all(cert.prediction[cert.abstain] == 0)


def test_counts_follow_the_closed_form_probability():
    """Estimation counts of the top class are Binomial(n, p_A): compare mean with 6 standard errors."""
    N, n, sigma = 200, 400, 0.5
    w, b, X, cls, exact_radius = linear_problem(N, 2)
    cert = certify_smoothed((w, b), X, cls, sigma=sigma, n0=20, n=n, alpha=0.01, seed=3)
    pA = norm.cdf(exact_radius / sigma)
    top = np.where(cls > 0, cert.counts[:, 1], cert.counts[:, 0]) / n
    se = np.sqrt(np.sum(pA * (1 - pA) / n)) / N
    assert abs(top.mean() - pA.mean()) < 6 * se


def test_predict_is_wrong_at_most_at_the_nominal_rate():
    N, alpha = 300, 0.05
    w, b, X, cls, _ = linear_problem(N, 4)
    out = predict_smoothed((w, b), X, cls, sigma=0.5, n=200, alpha=alpha, seed=5)
    wrong = (~out.abstain) & (out.prediction != cls)
    assert wrong.sum() <= binom.ppf(1 - 1e-6, N, alpha)
    assert out.abstain.mean() < 0.5 and out.procedure == "predict" and np.all(np.isnan(out.p_lower))


def test_multiclass_network_seeds_and_batches():
    rng = np.random.default_rng(6)
    net = Network.from_arrays([rng.normal(size=(8, 5)), rng.normal(size=(3, 8))])
    X, y = rng.normal(size=(4, 5)), rng.integers(0, 3, 4)
    a = certify_smoothed(net, X, y, sigma=0.25, n0=30, n=300, alpha=0.01, seed=7)
    b = certify_smoothed(net, X, y, sigma=0.25, n0=30, n=300, alpha=0.01, seed=7, batch_size=7)
    assert np.array_equal(a.counts, b.counts) and np.array_equal(a.radius, b.radius)
    assert a.counts.shape == (4, 3) and np.all(a.counts.sum(axis=1) == 300)
    assert np.all((a.prediction == -1) == a.abstain)
    c = certify_smoothed(net.forward, X, y, sigma=0.25, n0=30, n=300, alpha=0.01, seed=7)  # a callable
    assert np.array_equal(a.counts, c.counts)
    torch = pytest.importorskip("torch")
    module = torch.nn.Sequential(
        torch.nn.Linear(5, 8, bias=False), torch.nn.ReLU(), torch.nn.Linear(8, 3, bias=False)
    )
    module = module.double()
    with torch.no_grad():
        module[0].weight.copy_(torch.tensor(net.layers[0].weight))
        module[2].weight.copy_(torch.tensor(net.layers[2].weight))
    d = certify_smoothed(module, X, y, sigma=0.25, n0=30, n=300, alpha=0.01, seed=7)
    assert np.array_equal(a.counts, d.counts)


def test_linear_model_classes_label_the_predictions():
    from radbound.train import LinearModel

    W = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    model = LinearModel(W, np.zeros(3), "softmax", 0.0, 0.0, np.inf, 0.0, "fast", classes=[4, 7, 9])
    X = np.array([[3.0, 0.0], [0.0, 3.0], [-3.0, -3.0]])
    cert = certify_smoothed(model, X, [4, 7, 9], sigma=0.1, n0=20, n=200, alpha=0.01, seed=0)
    assert cert.prediction.tolist() == [4, 7, 9] and cert.correct.all()


def test_unpacks_as_prediction_and_radius_with_documented_abstentions():
    """``prediction, radius = certify_smoothed(...)``; abstentions: -1 (multi-class), 0 (binary), radius 0.

    The points on a decision boundary have p_A = 1/2 exactly (closed form), so the upper-bounded
    p_lower cannot exceed 1/2 except with probability alpha: CERTIFY abstains there.
    """
    w = np.array([1.0, 0.0])
    X = np.array([[2.0, 0.3], [0.0, 0.5], [-2.0, 1.0]])  # the middle point lies on the hyperplane
    prediction, radius = certify_smoothed(
        (w, 0.0), X, [1, 1, -1], sigma=0.5, n0=50, n=500, alpha=0.001, seed=0
    )
    cert = certify_smoothed((w, 0.0), X, [1, 1, -1], sigma=0.5, n0=50, n=500, alpha=0.001, seed=0)
    assert np.array_equal(prediction, cert.prediction) and np.array_equal(radius, cert.radius)
    assert prediction.tolist() == [1.0, 0.0, -1.0] and cert.abstain.tolist() == [False, True, False]
    assert radius[1] == 0 and np.all(radius[[0, 2]] > 0) and np.all(radius[[0, 2]] < 2.0)
    W = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, -5.0]])  # classes 0 and 1 tie on x_1 = 0
    prediction, radius = certify_smoothed(
        (W, None), X[:2], None, sigma=0.5, n0=50, n=500, alpha=0.001, seed=0
    )
    assert prediction.tolist() == [0, -1] and radius[1] == 0 and radius[0] > 0
    # a Generator seed: the same streams as the int seed it was made from
    again = certify_smoothed((W, None), X[:2], sigma=0.5, n0=50, n=500, seed=np.random.default_rng(0))
    assert np.array_equal(
        again.counts, certify_smoothed((W, None), X[:2], sigma=0.5, n0=50, n=500, seed=0).counts
    )


def test_bad_input_is_refused_clearly():
    w = np.ones(2)
    X = np.zeros((2, 2))
    with pytest.raises(ValueError, match="sigma must be finite and > 0"):
        certify_smoothed((w, 0.0), X, sigma=0.0)
    with pytest.raises(ValueError, match="alpha must be in"):
        certify_smoothed((w, 0.0), X, sigma=1.0, alpha=1.5)
    with pytest.raises(ValueError, match="n0 must be an integer >= 1"):
        certify_smoothed((w, 0.0), X, sigma=1.0, n0=0)
    with pytest.raises(ValueError, match="finite"):
        certify_smoothed((w, 0.0), np.full((2, 2), np.nan), sigma=1.0)
    with pytest.raises(TypeError, match="model must be"):
        certify_smoothed("model", X, sigma=1.0)
    with pytest.raises(ValueError, match="n0 must be at most"):
        certify_smoothed((w, 0.0), X, sigma=1.0, n0=10**9)
    with pytest.raises(TypeError, match="X must be real"):
        certify_smoothed((w, 0.0), X + 1j, sigma=1.0)
    with pytest.raises(ValueError, match="X must have shape"):
        certify_smoothed(Network.from_arrays([np.ones((3, 2)), np.ones((2, 3))]), np.zeros((2, 3)), sigma=1.0)
    with pytest.raises(ValueError, match="^model: "):
        certify_smoothed((np.full((2, 2), np.nan), None), X, sigma=1.0)
    with pytest.raises(ValueError, match="b must have 2 entries"):
        certify_smoothed((np.ones((2, 2)), np.ones(3)), X, sigma=1.0)


def test_radius_stays_finite_when_the_lower_bound_rounds_to_one():
    """alpha near 1 and every draw in class A: p_lower = alpha^(1/n) rounds to 1 in float64, while
    1 - p_lower = -expm1(log(alpha) / n) does not; the radius is sigma Phi^{-1}(p_lower) from it."""
    w, X = np.array([1.0, 0.0]), np.array([[50.0, 0.0]])
    alpha, n, sigma = 1 - 1e-15, 100, 0.5
    cert = certify_smoothed((w, 0.0), X, sigma=sigma, n0=10, n=n, alpha=alpha, seed=0)
    assert cert.counts[0, 1] == n and np.isfinite(cert.radius[0])
    assert cert.radius[0] == pytest.approx(sigma * norm.isf(-np.expm1(np.log(alpha) / n)), rel=1e-6)
