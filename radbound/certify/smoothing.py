r"""Randomized smoothing (Cohen, Rosenfeld & Kolter 2019): PREDICT and CERTIFY.

The smoothed classifier of a base classifier :math:`f` is
:math:`g(x) = \arg\max_c \; P_{\delta \sim N(0, \sigma^2 I)}\big(f(x + \delta) = c\big)`. If the top
class has probability :math:`p_A \ge \underline{p_A} > 1/2`, then :math:`g(x + \Delta) = g(x)` for
every :math:`\|\Delta\|_2 < \sigma\,\Phi^{-1}(\underline{p_A})` (their Theorem 1 with
:math:`\overline{p_B} = 1 - \underline{p_A}`). :math:`\underline{p_A}` is a one-sided
Clopper-Pearson bound from Monte-Carlo counts, so each returned radius holds with probability at
least :math:`1 - \alpha` over the noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    check_binary_labels,
    check_int,
    check_multiclass_labels,
    check_positive,
    check_probability,
    is_torch_tensor,
    spawn_generators,
)
from ..networks.layers import Network
from ._models import as_network, model_classes, model_labels, real_array

#: most noise draws per sample (selection or estimation): more would run for hours on any model
MAX_DRAWS = 10**8

__all__ = ["SmoothedCertificate", "certify_smoothed", "predict_smoothed", "clopper_pearson_lower"]


@dataclass(frozen=True)
class SmoothedCertificate:
    r"""Predictions and certified :math:`\ell_2` radii of a smoothed classifier.

    Unpacks as the pair the procedures return, ``prediction, radius = certify_smoothed(...)``;
    the other fields are attributes.

    Attributes
    ----------
    prediction : ndarray of shape (n,)
        The class of the smoothed classifier (labels 0..K-1, a LinearModel's own ``classes``, or
        -1/+1 for a one-output model). Abstentions: ``-1`` for a multi-class model, ``0`` for a
        one-output model (whose classes are -1/+1); ``abstain`` marks them for every model (use it
        when -1 is one of a LinearModel's own class labels).
    radius : ndarray of shape (n,)
        :math:`\sigma\,\Phi^{-1}(\underline{p_A}) > 0` where CERTIFY answers; 0 where it abstains
        (and everywhere for PREDICT, which certifies no radius).
    p_lower : ndarray of shape (n,)
        The lower confidence bound :math:`\underline{p_A}` (CERTIFY; ``nan`` for PREDICT).
    counts : ndarray of shape (n, K)
        Class counts of the ``n`` estimation draws (K = 2 for a one-output model: -1, +1).
    abstain : ndarray of bool, shape (n,)
    correct : ndarray of bool, shape (n,)
        Not abstaining and ``prediction == y``.
    sigma : float
    n0 : int
        Selection draws (0 for PREDICT).
    n : int
        Estimation draws.
    alpha : float
        Each radius (or prediction) is wrong with probability at most alpha.
    procedure : str
        ``"certify"`` or ``"predict"``.
    """

    prediction: np.ndarray
    radius: np.ndarray
    p_lower: np.ndarray
    counts: np.ndarray
    abstain: np.ndarray
    correct: np.ndarray
    sigma: float
    n0: int
    n: int
    alpha: float
    procedure: str

    def certified_accuracy(self, radius: float = 0.0) -> float:
        r"""Fraction of samples predicted correctly with a certified radius at least ``radius``
        (:math:`> 0` for ``radius = 0``)."""
        r = float(radius)
        ok = self.correct & ((self.radius > r) if r == 0 else (self.radius >= r))
        return float(np.mean(ok))

    def __iter__(self) -> Iterator[np.ndarray]:
        """``prediction, radius = cert``: the predicted classes and the certified radii."""
        yield self.prediction
        yield self.radius


def clopper_pearson_lower(k: Any, n: int, alpha: float) -> np.ndarray:
    r"""One-sided Clopper-Pearson lower confidence bound of a binomial proportion.

    :math:`P(p < \underline p) \le \alpha` for :math:`k \sim \mathrm{Bin}(n, p)`, with
    :math:`\underline p = B^{-1}(\alpha; k, n - k + 1)` (a Beta quantile), 0 for k = 0.

    Parameters
    ----------
    k : int or array of ints in [0, n]
        Observed numbers of successes (vectorised).
    n : int >= 1
        Number of trials.
    alpha : float in (0, 1)
        Probability that the bound exceeds the true :math:`p`.

    Returns
    -------
    numpy.ndarray
        :math:`\underline p`, the shape of ``k``.

    References
    ----------
    Clopper & Pearson (1934), Biometrika 26: the exact binomial interval (its lower end at level
    :math:`2\alpha` is this one-sided bound at level :math:`\alpha`).

    Examples
    --------
    >>> from radbound.certify import clopper_pearson_lower
    >>> bool(abs(float(clopper_pearson_lower(100, 100, 0.05)) - 0.05 ** (1 / 100)) < 1e-12)
    True
    """
    from scipy.stats import beta

    n = check_int(n, "n", minimum=1)
    alpha = check_probability(alpha, "alpha")
    k = real_array(k, "k")
    if not np.isfinite(k).all() or np.any(k != np.round(k)) or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"k must hold integer counts in [0, n={n}], got {k.ravel()[:5].tolist()}")
    with np.errstate(invalid="ignore"):
        out = beta.ppf(alpha, k, n - k + 1)
    return np.where(k > 0, out, 0.0)


def _classifier(model: Any, sample_shape: tuple[int, ...]) -> tuple[Any, int, bool]:
    """``(classify, K, binary)``: classify maps a float64 batch ``(m, *shape)`` to class indices."""
    if type(model).__module__.startswith("torch") and hasattr(model, "parameters"):
        import torch

        params = list(model.parameters())
        dtype = params[0].dtype if params else torch.float64
        device = params[0].device if params else torch.device("cpu")
        with torch.no_grad():
            K = int(
                model(torch.zeros((1, *sample_shape), dtype=dtype, device=device)).reshape(1, -1).shape[1]
            )

        def classify_torch(Z: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                out = model(torch.as_tensor(Z, dtype=dtype, device=device)).reshape(Z.shape[0], -1)
            if K == 1:
                return (out[:, 0] >= 0).long().cpu().numpy()
            return out.argmax(dim=1).cpu().numpy()

        return classify_torch, max(K, 2), K == 1
    if callable(model) and not isinstance(model, Network) and not hasattr(model, "decision_function"):
        K = int(np.asarray(model(np.zeros((1, *sample_shape)))).reshape(1, -1).shape[1])

        def classify_callable(Z: np.ndarray) -> np.ndarray:
            out = np.asarray(model(Z), dtype=np.float64).reshape(Z.shape[0], -1)
            return (out[:, 0] >= 0).astype(np.int64) if K == 1 else out.argmax(axis=1)

        return classify_callable, max(K, 2), K == 1
    net = as_network(model, sample_shape, "model")
    if sample_shape != net.input_shape and sample_shape != (net.input_dim,):
        raise ValueError(
            f"X must have shape (n, {net.input_dim}) or (n, *{net.input_shape}) for this model, "
            f"got samples of shape {sample_shape} (model: inputs of dimension {net.input_dim})"
        )
    K = net.output_dim
    if net.input_dim != int(np.prod(sample_shape)):
        raise ValueError(
            f"X has samples of shape {sample_shape} ({int(np.prod(sample_shape))} values) but the model "
            f"takes {net.input_dim} inputs"
        )

    def classify(Z: np.ndarray) -> np.ndarray:
        out = net.forward(Z.reshape(Z.shape[0], *net.input_shape))
        return (out[:, 0] >= 0).astype(np.int64) if K == 1 else out.argmax(axis=1)

    return classify, max(K, 2), K == 1


def _counts(classify: Any, x: np.ndarray, m: int, sigma: float, K: int, rng: Any, batch: int) -> np.ndarray:
    counts = np.zeros(K, dtype=np.int64)
    done = 0
    while done < m:
        size = min(batch, m - done)
        noise = rng.standard_normal((size, x.size)).reshape(size, *x.shape)
        counts += np.bincount(classify(x[None] + sigma * noise), minlength=K)[:K]
        done += size
    return counts


def _prepare(model: Any, X: Any, y: Any, sigma: float, n: int, alpha: float, batch_size: Any):
    sigma = check_positive(sigma, "sigma")
    n = _check_draws(n, "n")
    alpha = check_probability(alpha, "alpha")
    if is_torch_tensor(X):
        X = X.detach().cpu().numpy()
    X = real_array(X, "X")
    if X.ndim < 2 or X.shape[0] == 0:
        raise ValueError(f"X must have shape (n_samples, ...) with n_samples >= 1, got {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X must contain only finite values (found NaN or inf)")
    if not np.isfinite(float(np.max(np.abs(X))) + 64.0 * sigma):  # noise draws stay below 40 sigma
        raise OverflowError(f"sigma={sigma!r} too large: the noisy copies x + sigma z leave the float range")
    classify, K, binary = _classifier(model, tuple(X.shape[1:]))
    labels = None
    if y is not None:
        y = model_labels(model, y)
        if binary:
            labels = check_binary_labels(y, X.shape[0])
        else:
            labels, _ = check_multiclass_labels(y, X.shape[0], n_classes=K, limit_to_n=False)
    d = int(np.prod(X.shape[1:]))
    batch = check_int(batch_size, "batch_size", minimum=1) if batch_size is not None else max(1, 2**21 // d)
    return classify, K, binary, X, labels, sigma, n, alpha, batch


def _check_draws(m: Any, name: str) -> int:
    m = check_int(m, name, minimum=1)
    if m > MAX_DRAWS:
        raise ValueError(f"{name} must be at most {MAX_DRAWS:.0e} noise draws per sample, got {m}")
    return m


def _finish(pred_idx, abstain, binary, labels, classes):
    """Predictions in the model's labels (abstain: 0 binary, -1 multi-class) and the correct mask."""
    if binary:
        prediction = np.where(abstain, 0.0, np.where(pred_idx == 1, 1.0, -1.0))
        correct = np.zeros(len(prediction), bool) if labels is None else (~abstain) & (prediction == labels)
        return prediction, correct
    correct = np.zeros(len(pred_idx), bool) if labels is None else (~abstain) & (pred_idx == labels)
    values = pred_idx if classes is None else classes[pred_idx]
    return np.where(abstain, -1, values).astype(np.int64), correct


def certify_smoothed(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    sigma: float,
    n0: int = 100,
    n: int = 10_000,
    alpha: float = 0.001,
    seed: Any = None,
    batch_size: int | None = None,
) -> SmoothedCertificate:
    r"""CERTIFY of Cohen, Rosenfeld & Kolter: the smoothed class and a certified :math:`\ell_2` radius.

    For each sample: draw ``n0`` noisy copies :math:`x + \delta`, :math:`\delta \sim N(0, \sigma^2 I)`,
    and take the most frequent class :math:`\hat c_A` of the base classifier; draw ``n`` fresh copies,
    count :math:`n_A` votes for :math:`\hat c_A`, and set

    .. math::
        \underline{p_A} = B^{-1}(\alpha;\, n_A,\, n - n_A + 1), \qquad
        R = \sigma\, \Phi^{-1}(\underline{p_A}) \quad \text{if } \underline{p_A} > \tfrac12,

    else abstain. With probability at least :math:`1 - \alpha` (over the noise) an answer that is not
    an abstention is the smoothed classifier's class at :math:`x` and holds on the open
    :math:`\ell_2` ball of radius :math:`R` around it.

    Parameters
    ----------
    model : Network, LinearModel, (W, b), torch module or callable
        The base classifier; a callable maps a float64 batch ``(m, *X.shape[1:])`` to scores
        ``(m, K)`` (or ``(m,)`` / ``(m, 1)`` for a binary model, class +1 where the score is >= 0).
    X : array, shape (n_samples, ...)
    y : array of shape (n_samples,), optional
        Labels, to fill ``correct``.
    sigma : float
        Noise level :math:`\sigma > 0`.
    n0, n : int
        Selection and estimation draws per sample (at most :data:`MAX_DRAWS` each).
    alpha : float
        Failure probability of each answer.
    seed : int, Generator or None
        One independent stream per sample (``SeedSequence.spawn``), each split into selection and
        estimation streams: results do not depend on ``batch_size``.
    batch_size : int, optional
        Noisy copies per forward pass (default: about 2**21 floats).

    Returns
    -------
    SmoothedCertificate
        Unpacks as ``prediction, radius``: the smoothed class of each sample (``-1`` where CERTIFY
        abstains, ``0`` for a one-output model with labels -1/+1) and its certified
        :math:`\ell_2` radius (0 where it abstains); also ``p_lower``, ``counts``, ``abstain``,
        ``correct`` and ``certified_accuracy(r)``.

    References
    ----------
    Cohen, Rosenfeld & Kolter (2019), "Certified adversarial robustness via randomized smoothing",
    ICML: Theorem 1 and the CERTIFY procedure (their Algorithm, with the one-sided Clopper-Pearson
    bound). Derivation and the closed form for linear models: :doc:`/theory/certified`.

    Examples
    --------
    A binary linear classifier is its own smoothed classifier, with exact radius
    :math:`|w^\top x + b| / \|w\|_2`; the certified radius lies below it:

    >>> import numpy as np
    >>> from radbound.certify import certify_smoothed
    >>> w, X = np.array([3.0, 4.0]), np.array([[0.5, 0.5]])
    >>> prediction, radius = certify_smoothed((w, 0.0), X, [1], sigma=0.5, n=2000, alpha=0.001, seed=0)
    >>> bool(0.5 < radius[0] < 3.5 / 5) and int(prediction[0]) == 1
    True
    """
    classify, K, binary, X, labels, sigma, n, alpha, batch = _prepare(
        model, X, y, sigma, n, alpha, batch_size
    )
    n0 = _check_draws(n0, "n0")
    from scipy.stats import beta, norm

    streams = spawn_generators(seed, X.shape[0])
    N = X.shape[0]
    pred_idx = np.zeros(N, dtype=np.int64)
    counts = np.zeros((N, K), dtype=np.int64)
    for i in range(N):
        select, estimate = spawn_generators(streams[i], 2)
        c0 = _counts(classify, X[i], n0, sigma, K, select, batch)
        pred_idx[i] = int(np.argmax(c0))
        counts[i] = _counts(classify, X[i], n, sigma, K, estimate, batch)
    nA = counts[np.arange(N), pred_idx]
    p_lower = clopper_pearson_lower(nA, n, alpha)
    abstain = ~(p_lower > 0.5)
    # Phi^{-1}(p_lower) = Phi^{-1}(1 - q) with q = 1 - p_lower computed as an upper Beta quantile, so
    # that a p_lower that rounds to 1 (alpha near 1, all draws in class A) keeps a finite radius
    with np.errstate(invalid="ignore"):
        q = beta.isf(alpha, n - nA + 1, np.maximum(nA, 1))
    radius = np.where(abstain, 0.0, sigma * norm.isf(np.where(abstain, 0.25, q)))
    if not np.isfinite(radius).all():
        raise OverflowError(f"sigma={sigma!r} too large: the certified radii exceed the float range")
    prediction, correct = _finish(pred_idx, abstain, binary, labels, model_classes(model))
    return SmoothedCertificate(
        prediction, radius, p_lower, counts, abstain, correct, sigma, n0, n, alpha, "certify"
    )


def predict_smoothed(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    sigma: float,
    n: int = 1000,
    alpha: float = 0.001,
    seed: Any = None,
    batch_size: int | None = None,
) -> SmoothedCertificate:
    r"""PREDICT of Cohen, Rosenfeld & Kolter: the smoothed class, or an abstention.

    Draw ``n`` noisy copies, let :math:`n_A \ge n_B` be the two largest class counts, and return the
    top class if the two-sided binomial test of :math:`n_A` successes in :math:`n_A + n_B` trials
    against :math:`p = 1/2` has p-value at most :math:`\alpha`, else abstain. The answer differs from
    the smoothed classifier's with probability at most :math:`\alpha`. ``radius`` is 0 and
    ``p_lower`` NaN (PREDICT certifies no radius).

    Parameters
    ----------
    model, X, y, sigma, n, alpha, seed, batch_size
        As in :func:`certify_smoothed`.

    Returns
    -------
    SmoothedCertificate

    References
    ----------
    Cohen, Rosenfeld & Kolter (2019), ICML: the PREDICT procedure and its guarantee.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.certify import predict_smoothed
    >>> W = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> out = predict_smoothed((W, None), np.array([[2.0, 0.0], [0.0, 0.0]]), sigma=0.1, n=200, seed=0)
    >>> out.prediction.tolist()                         # the second point sits on the boundary
    [0, -1]
    """
    from scipy.stats import binomtest

    classify, K, binary, X, labels, sigma, n, alpha, batch = _prepare(
        model, X, y, sigma, n, alpha, batch_size
    )
    streams = spawn_generators(seed, X.shape[0])
    N = X.shape[0]
    pred_idx = np.zeros(N, dtype=np.int64)
    counts = np.zeros((N, K), dtype=np.int64)
    abstain = np.zeros(N, dtype=bool)
    for i in range(N):
        counts[i] = _counts(classify, X[i], n, sigma, K, streams[i], batch)
        order = np.argsort(-counts[i], kind="stable")
        nA, nB = int(counts[i, order[0]]), int(counts[i, order[1]])
        pred_idx[i] = int(order[0])
        abstain[i] = binomtest(nA, nA + nB, 0.5).pvalue > alpha if nA + nB > 0 else True
    prediction, correct = _finish(pred_idx, abstain, binary, labels, model_classes(model))
    return SmoothedCertificate(
        prediction,
        np.zeros(N),
        np.full(N, math.nan),
        counts,
        abstain,
        correct,
        sigma,
        0,
        n,
        alpha,
        "predict",
    )
