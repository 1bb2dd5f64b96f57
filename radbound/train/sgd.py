r"""The paper's training protocol: SGD on batches replaced by their exact linear worst case.

Yin, Ramchandran & Bartlett (2019) train their linear MNIST classifiers
(:doc:`/theory/experiments`; their public code ``linear_classifier/
mnist_softmax_adversarial_train_lambda.py``) with

* a softmax linear model :math:`z = W x + b`, :math:`W \in \mathbb R^{K\times d}`
  and :math:`b` initialised to **zero** (``tf.zeros``);
* plain SGD, learning rate 0.5, batch 100, 10,000 steps; each batch is a fresh
  draw of 100 distinct indices out of the n training samples
  (``np.random.choice(n, 100, replace=False)`` at every step);
* before each step every sample of the batch is replaced by its linear worst
  case: :math:`x - \epsilon \operatorname{sign}(w_y - w_{k^*})` with the paper's
  target :math:`k^* = \arg\max_{k\ne y} (W x)_k + \epsilon\|w_y - w_k\|_1`
  (see :func:`radbound.attacks.linear_worst_case`, ``rule="paper"``);
* loss: mean softmax cross-entropy on the adversarial batch plus
  :math:`\lambda \sum_{jk} |W_{jk}|` (``lmda * tf.norm(W, ord=1)`` on the
  flattened matrix; TF's subgradient of :math:`|t|` at 0 is 0, i.e. ``sign``);
  the bias is not penalised. The attack is treated as a constant input (it is
  fed to the graph), so the gradient is that of the loss at the fixed
  adversarial batch.

:func:`fit_sgd_attack` reproduces this in vectorised numpy (no per-sample loop)
and adds options: the exact target rule (bias included), any attack norm, a
binary logistic model, epoch-wise sampling, float32.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .._lp import dual_exponent, norm, unit_maximiser
from .._threads import limit_blas_threads
from .._validation import (
    check_binary_labels,
    check_bool,
    check_choice,
    check_exponent,
    check_int,
    check_matrix,
    check_nonnegative,
    check_positive,
    check_random_state,
)
from ._model import LinearModel
from ._problem import check_working_memory, encode_class_labels

__all__ = ["fit_sgd_attack"]

_LOSSES = ("softmax", "logistic")
_RULES = ("paper", "exact")
_SAMPLING = ("paper", "epoch")


# ---------------------------------------------------------------------------
# batch samplers
# ---------------------------------------------------------------------------


class _PaperSampler:
    """Each step: ``batch_size`` distinct indices drawn afresh (the paper's code)."""

    def __init__(self, n: int, batch_size: int, rng: np.random.Generator) -> None:
        self.n, self.bs, self.rng = n, batch_size, rng

    def __call__(self) -> np.ndarray:
        return self.rng.choice(self.n, self.bs, replace=False)


class _EpochSampler:
    """TF's ``DataSet.next_batch``: shuffle, walk through the epoch, and when fewer than
    ``batch_size`` samples remain, join the rest to the start of a freshly shuffled epoch."""

    def __init__(self, n: int, batch_size: int, rng: np.random.Generator) -> None:
        self.n, self.bs, self.rng = n, batch_size, rng
        self.perm = rng.permutation(n)
        self.pos = 0

    def __call__(self) -> np.ndarray:
        start, bs = self.pos, self.bs
        if start + bs > self.n:
            rest = self.perm[start:]
            self.perm = self.rng.permutation(self.n)
            self.pos = bs - rest.size
            return np.concatenate([rest, self.perm[: self.pos]])
        self.pos = start + bs
        return self.perm[start : self.pos]


# ---------------------------------------------------------------------------
# worst-case batches (fast numpy kernels; the public reference is radbound.attacks)
# ---------------------------------------------------------------------------


class _Pairs:
    r"""Antisymmetric pair tables of a K-class model.

    The unit maximisers :math:`u_{jk} = u_r(w_j - w_k)` are odd (:math:`u_{kj} = -u_{jk}`),
    so only the :math:`K(K-1)/2` pairs :math:`j < k` are considered, and of those only the
    pairs a batch actually uses get their direction formed (``U``, one row per used pair).
    ``UW = U W^T`` gives the change of the logits caused by the perturbation, so that the
    adversarial batch :math:`X - \epsilon\, s_i u_{p_i}` is never formed: its logits are
    :math:`Z - \epsilon\, s_i UW_{p_i}` and its gradient term is
    :math:`E^\top X - \epsilon\, (\sum_{i: p_i = p} s_i E_i)^\top U`.
    """

    def __init__(self, K: int, d: int, dtype: np.dtype) -> None:
        self.K = K
        iu, ju = np.triu_indices(K, 1)
        self.iu, self.ju = iu, ju
        self.P = iu.size
        pidx = np.zeros((K, K), dtype=np.intp)
        psign = np.zeros((K, K), dtype=dtype)
        pidx[iu, ju], pidx[ju, iu] = np.arange(self.P), np.arange(self.P)
        psign[iu, ju], psign[ju, iu] = 1.0, -1.0
        self.pidx, self.psign = pidx, psign
        self.diff = np.empty((self.P, d), dtype=dtype)
        self.starts = np.concatenate([[0], np.cumsum(np.arange(K - 1, 0, -1))])

    def norms(self, W: np.ndarray, r: float) -> np.ndarray:
        """Store the differences w_j - w_k (j < k) and return the table D_jk = ||w_j - w_k||_{r*}."""
        diff = self.diff
        for j in range(self.K - 1):
            np.subtract(W[j], W[j + 1 :], out=diff[self.starts[j] : self.starts[j + 1]])
        dh = norm(diff, dual_exponent(r))
        D = np.zeros((self.K, self.K), dtype=W.dtype)
        D[self.iu, self.ju] = dh
        D[self.ju, self.iu] = dh
        return D

    def directions(self, W: np.ndarray, p: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
        """Directions of the used pairs: stores ``U`` (m, d) and returns ``UW = U W^T`` (m, K)
        and ``inv`` with ``p == used[inv]``."""
        used_mask = np.zeros(self.P, dtype=bool)
        used_mask[p] = True
        used = np.flatnonzero(used_mask)
        remap = np.cumsum(used_mask) - 1
        self.U = unit_maximiser(self.diff[used], r)
        return self.U @ W.T, remap[p]


def _adversarial_logits(
    W: np.ndarray,
    b: np.ndarray,
    Xb: np.ndarray,
    yb: np.ndarray,
    eps: float,
    r: float,
    rule: str,
    pairs: _Pairs,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Logits W x_adv + b of the worst-case batch, the used-pair index of each sample and its sign."""
    Z = Xb @ W.T
    if eps == 0.0:
        Z += b
        return Z, None, None
    D = pairs.norms(W, r)
    rows = np.arange(Xb.shape[0])
    if rule == "paper":  # argmax_{k != y} (W x)_k + eps ||w_y - w_k||  (bias left out)
        score = Z + eps * D[yb]
        score[rows, yb] = -np.inf
        target = np.argmax(score, axis=1)
        Z += b
    else:  # argmin_{k != y} margin_k (bias included)
        Z += b
        M = Z[rows, yb][:, None] - Z - eps * D[yb]
        M[rows, yb] = np.inf
        target = np.argmin(M, axis=1)
    UW, inv = pairs.directions(W, pairs.pidx[yb, target], r)
    s = pairs.psign[yb, target]
    Z -= (eps * s)[:, None] * UW[inv]
    return Z, inv, s


def _softmax_loss_grad(
    W: np.ndarray,
    b: np.ndarray,
    Xb: np.ndarray,
    yb: np.ndarray,
    eps: float,
    r: float,
    rule: str,
    pairs: _Pairs,
    with_grad: bool = True,
    with_loss: bool = True,
) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Mean cross-entropy at the worst-case batch and its gradient (perturbation held fixed);
    the loss is NaN when ``with_loss`` is False (the training loop does not need it)."""
    n = Xb.shape[0]
    rows = np.arange(n)
    Z, p, s = _adversarial_logits(W, b, Xb, yb, eps, r, rule, pairs)
    Z -= Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    tot = E.sum(axis=1)
    loss = float(np.mean(np.log(tot) - Z[rows, yb])) if with_loss else math.nan
    if not with_grad:
        return loss, None, None
    E /= tot[:, None]
    E[rows, yb] -= 1.0
    E /= n
    gW = E.T @ Xb
    if p is not None:
        S = np.zeros((pairs.U.shape[0], n), dtype=E.dtype)
        S[p, rows] = s
        gW -= eps * ((S @ E).T @ pairs.U)
    return loss, gW, E.sum(axis=0)


def _logistic_loss_grad(
    w: np.ndarray, b: float, Xb: np.ndarray, yb: np.ndarray, eps: float, r: float, with_grad: bool = True
) -> tuple[float, np.ndarray | None, float | None]:
    r"""Mean :math:`\log(1 + e^{-m})` at the worst case and its gradient.

    :math:`m = y(\langle w, x\rangle + b) - \epsilon\|w\|_{r^*}`; the perturbation
    :math:`-\epsilon y u_r(w)` is held fixed."""
    from scipy.special import expit

    u = unit_maximiser(w, r) if eps > 0 else None
    m = yb * (Xb @ w + b)
    if u is not None:
        m -= eps * float(u @ w)
    loss = float(np.mean(np.logaddexp(0.0, -m)))
    if not with_grad:
        return loss, None, None
    g = -expit(-m) / m.shape[0]  # d loss / d m_i
    gw = (g * yb) @ Xb
    if u is not None:
        gw -= (eps * float(g.sum())) * u  # sum_i g_i y_i (-eps y_i u), y_i^2 = 1
    return loss, gw, float((g * yb).sum())


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def _run_logistic(
    W: np.ndarray,
    b: float,
    Xd: np.ndarray,
    yv: np.ndarray,
    steps: Any,
    sampler: Any,
    *,
    eps: float,
    r: float,
    lam: float,
    lr: float,
) -> tuple[np.ndarray, float]:
    """The SGD loop of the binary logistic model (in place on ``W``)."""
    lr_d = W.dtype.type(lr)
    for _ in steps:
        idx = sampler()
        Xb = Xd[idx]  # (np.take with out= is slower)
        _, gW, gb = _logistic_loss_grad(W, b, Xb, yv[idx], eps, r)
        if gW is None or gb is None:  # pragma: no cover - with_grad=True returns both
            raise RuntimeError("internal error: the logistic kernel returned no gradient")
        if lam > 0:
            gW += lam * np.sign(W)
        W -= lr_d * gW
        b = float(b - lr * gb)
    return W, b


def _run_softmax(
    W: np.ndarray,
    b: np.ndarray,
    Xd: np.ndarray,
    yv: np.ndarray,
    steps: Any,
    sampler: Any,
    *,
    eps: float,
    r: float,
    rule: str,
    pairs: _Pairs,
    lam: float,
    lr: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The SGD loop of the softmax model (in place on ``W`` and ``b``)."""
    lr_d = W.dtype.type(lr)
    lam_lr = W.dtype.type(lr * lam)
    for _ in steps:
        idx = sampler()
        Xb = Xd[idx]  # (np.take with out= is slower)
        _, gW, gb = _softmax_loss_grad(W, b, Xb, yv[idx], eps, r, rule, pairs, with_loss=False)
        gW *= lr_d
        if lam > 0:
            gW += lam_lr * np.sign(W)
        W -= gW
        b -= lr_d * gb
    return W, b


def _check_init(init: Any, binary: bool, K: int, d: int, dtype: Any) -> tuple[np.ndarray, Any]:
    if init is None:
        if binary:
            return np.zeros(d, dtype=dtype), 0.0
        return np.zeros((K, d), dtype=dtype), np.zeros(K, dtype=dtype)
    if isinstance(init, LinearModel):
        W0, b0 = init.W, init.b
    else:
        try:
            W0, b0 = init
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"init must be None, a LinearModel or a pair (W, b), got {type(init).__name__}"
            ) from exc
    shape = (d,) if binary else (K, d)
    W0 = np.array(W0, dtype=dtype)
    if W0.shape != shape:
        raise ValueError(f"init W must have shape {shape}, got {W0.shape}")
    if binary:
        b0 = float(np.asarray(b0, dtype=np.float64).reshape(()))
    else:
        b0 = np.array(np.zeros(K) if b0 is None else b0, dtype=dtype)
        if b0.shape != (K,):
            raise ValueError(f"init b must have shape ({K},), got {b0.shape}")
    if not (np.isfinite(W0).all() and np.isfinite(b0).all()):
        raise ValueError("init must contain only finite values (found NaN or inf)")
    return W0, b0


def fit_sgd_attack(
    X: Any,
    y: Any,
    *,
    eps: float,
    lam: float = 0.0,
    loss: str = "softmax",
    attack_norm: float = math.inf,
    lr: float = 0.5,
    batch_size: int = 100,
    n_steps: int = 10_000,
    rule: str = "paper",
    seed: Any = None,
    progress: bool = False,
    init: Any = None,
    sampling: str = "paper",
    dtype: Any = np.float64,
    n_classes: int | None = None,
) -> LinearModel:
    r"""Adversarial training of a linear classifier by the paper's SGD protocol.

    Minimises, by plain stochastic (sub)gradient descent,

    .. math::
        \frac1n \sum_{i=1}^n \ell\big(W x_i^{\mathrm{adv}} + b, y_i\big) + \lambda \sum_{j,k} |W_{jk}|,
        \qquad x_i^{\mathrm{adv}} = x_i - \epsilon\, u_r(w_{y_i} - w_{k^*_i}),

    where at each step a batch is drawn, every sample is replaced by its worst
    case under the current model (``rule="paper"``: the paper's target
    :math:`k^* = \arg\max_{k\ne y} (Wx)_k + \epsilon\|w_y - w_k\|_{r^*}`, bias left
    out; ``rule="exact"``: the exact minimiser of the margin, see
    :func:`radbound.attacks.linear_worst_case`), and the step is
    :math:`W \leftarrow W - \eta\,(\nabla_W \hat L_{\mathrm{batch}} + \lambda \operatorname{sign}(W))`,
    :math:`b \leftarrow b - \eta \nabla_b \hat L_{\mathrm{batch}}`, the
    perturbation being held fixed (as in the paper's TF graph, where the
    adversarial batch is an input). :math:`\ell` is the softmax cross-entropy
    (K classes, labels 0..K-1) or, with ``loss="logistic"``, the binary logistic
    loss :math:`\log(1 + e^{-y(\langle w, x\rangle + b)})` (labels :math:`\pm 1`,
    worst case :math:`x - \epsilon y u_r(w)`). ``W`` and ``b`` start at zero (the
    paper's ``tf.zeros``) unless ``init`` is given.

    Batches (``sampling``): ``"paper"`` (default) draws ``batch_size`` distinct
    indices afresh at every step, exactly as the paper's code
    (``np.random.choice(n, batch_size, replace=False)``); ``"epoch"`` follows
    TensorFlow's ``mnist.train.next_batch`` (shuffle, walk through the epoch,
    reshuffle; a batch straddling two epochs joins the rest of one to the start of
    the next). Both are driven by ``seed`` only, so two runs with the same seed
    are bitwise identical (on the same machine and BLAS).

    Parameters
    ----------
    X : array of shape (n, d)
        Training inputs (numpy; MNIST pixels in [0, 1], no clipping of the attack).
    y : array of shape (n,)
        Integer class labels (softmax) or labels in {-1, +1} (logistic).
    eps : float
        Training attack radius (``>= 0``).
    lam : float
        Weight of the l1 penalty :math:`\lambda\|W\|_1` (sum of absolute entries).
    loss : {"softmax", "logistic"}
    attack_norm : float
        Attack norm r in [1, inf] (the paper: inf).
    lr : float
        Learning rate (the paper: 0.5).
    batch_size : int
        Batch size (the paper: 100); at most n.
    n_steps : int
        Number of SGD steps (the paper: 10,000).
    rule : {"paper", "exact"}
        Target-class rule of the training attack (multi-class only).
    seed : int, numpy Generator or None
        Seed of the batch sampler.
    progress : bool
        Show a tqdm progress bar.
    init : LinearModel, (W, b) or None
        Starting point (default: zeros).
    sampling : {"paper", "epoch"}
        Batch sampler (see above).
    dtype : numpy float dtype
        Arithmetic precision: float64 (default) or float32 (about 1.5-2x faster,
        the precision of the paper's TF code; results then differ from float64 in
        the last digits).
    n_classes : int or None
        Number of classes K. By default the classes are the labels present (any integers;
        ``model.classes`` maps the rows of W to them); a declared K needs labels in ``0..K-1``
        (absent classes allowed) and at most n classes.

    Returns
    -------
    LinearModel
        ``solver="sgd-attack"``; ``objective`` is the training objective recomputed
        at the end: the mean loss over the whole training set, each sample replaced
        by its worst case under the training ``rule``, plus :math:`\lambda\|W\|_1`.
        For a softmax model this is the cross-entropy at a single-target worst case,
        not the convex objective of :func:`radbound.train.fit_linear` (which bounds
        the adversarial cross-entropy from above through all pairs), so
        ``objective_kind`` is ``"single-target-paper"`` or ``"single-target-exact"``
        and ``radbound.train.objective(..., kind=model.objective_kind)`` reproduces it;
        the logistic model's objective is the exact adversarial one
        (``objective_kind="convex"``).
        ``diagnostics``: ``steps``, ``time`` (s), ``time_per_step`` (s),
        ``train_adv_accuracy`` (exact attack, :func:`radbound.attacks.linear_robust_accuracy`),
        ``train_adv_accuracy_rule`` (accuracy under the training rule's attack, the
        paper's own metric), ``train_accuracy`` (natural), ``rule``, ``sampling``,
        ``seed``, ``lr``, ``batch_size``, ``dtype``.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, experiments on linear
    classifiers and their public code; :doc:`/theory/experiments`.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.train.sgd import fit_sgd_attack
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(200, 5)); y = (X[:, 0] > X[:, 1]).astype(int)
    >>> m1 = fit_sgd_attack(X, y, eps=0.01, n_steps=50, batch_size=20, seed=3)
    >>> m2 = fit_sgd_attack(X, y, eps=0.01, n_steps=50, batch_size=20, seed=3)
    >>> bool(np.array_equal(m1.W, m2.W)), m1.solver
    (True, 'sgd-attack')
    """
    eps = check_nonnegative(eps, "eps")
    lam = check_nonnegative(lam, "lam")
    loss = check_choice(loss, "loss", _LOSSES)
    r = check_exponent(attack_norm, "attack_norm")
    lr = check_positive(lr, "lr")
    rule = check_choice(rule, "rule", _RULES)
    sampling = check_choice(sampling, "sampling", _SAMPLING)
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    progress = check_bool(progress, "progress")
    dtype_arg = dtype
    try:
        dtype = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        dtype = None
    if dtype is None or dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype_arg!r}")
    X = check_matrix(X, "X", allow_torch=False)
    n, d = X.shape
    if batch_size > n:
        raise ValueError(f"batch_size must be <= n_samples={n}, got {batch_size}")
    binary = loss == "logistic"
    if binary:
        yv = check_binary_labels(y, n).astype(dtype)
        K = 2
        classes = np.array([-1, 1])
    else:
        yv, classes = encode_class_labels(y, n, n_classes)
        K = classes.size
    check_working_memory(n, d, None if binary else K)
    rng = check_random_state(seed)
    Xd = np.ascontiguousarray(X, dtype=dtype)
    W, b = _check_init(init, binary, K, d, dtype)
    sampler = (_PaperSampler if sampling == "paper" else _EpochSampler)(n, batch_size, rng)

    steps = range(n_steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=f"sgd-attack eps={eps:g} lam={lam:g}")

    # small batch products: one BLAS thread (radbound._threads); a diverging run overflows, so
    # numpy's warnings are silenced here and the result is checked below
    with limit_blas_threads(), np.errstate(over="ignore", invalid="ignore"):
        t0 = time.perf_counter()
        if binary:
            W, b = _run_logistic(W, float(b), Xd, yv, steps, sampler, eps=eps, r=r, lam=lam, lr=lr)
        else:
            pairs = _Pairs(K, d, dtype)
            W, b = _run_softmax(
                W, b, Xd, yv, steps, sampler, eps=eps, r=r, rule=rule, pairs=pairs, lam=lam, lr=lr
            )
        elapsed = time.perf_counter() - t0
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise FloatingPointError(
            f"SGD diverged: non-finite weights after {n_steps} steps with lr={lr!r}, eps={eps!r}, "
            f"lam={lam!r} and X up to {float(np.max(np.abs(X))):.3g} in size; "
            "lower lr, or rescale X, eps and lam"
        )

    from ..attacks import linear_robust_accuracy, linear_worst_case

    Wf = W.astype(np.float64)
    bf: Any
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        if binary:
            bf = float(b)
            y_eval = yv.astype(np.float64)
            data_loss = _logistic_loss_grad(Wf, bf, X, y_eval, eps, r, with_grad=False)[0]
        else:
            bf = np.asarray(b, dtype=np.float64)
            y_eval = yv
            data_loss = _softmax_loss_grad(
                Wf, bf, X, yv, eps, r, rule, _Pairs(K, d, np.dtype(np.float64)), with_grad=False
            )[0]
        objective = data_loss + lam * float(np.abs(Wf).sum())
    if not math.isfinite(objective):
        raise FloatingPointError(
            f"SGD diverged: the training objective overflows after {n_steps} steps with lr={lr!r} and "
            f"lam={lam!r} (lr * lam = {lr * lam:.3g}), eps={eps!r}, X up to {float(np.max(np.abs(X))):.3g} "
            "in size; lower lr or lam, or rescale X and eps"
        )
    acc_exact = linear_robust_accuracy(Wf, bf, X, y_eval, eps=eps, attack_norm=r)
    acc_rule = float(
        np.mean(linear_worst_case(Wf, bf, X, y_eval, eps=eps, attack_norm=r, rule=rule).margins > 0)
    )
    acc_nat = linear_robust_accuracy(Wf, bf, X, y_eval, eps=0.0)
    diagnostics = {
        "status": "completed",
        "steps": n_steps,
        "time": elapsed,
        "time_per_step": elapsed / n_steps if n_steps else 0.0,
        "data_loss": data_loss,
        "train_adv_accuracy": acc_exact,
        "train_adv_accuracy_rule": acc_rule,
        "train_accuracy": acc_nat,
        "rule": rule,
        "sampling": sampling,
        "seed": seed if not isinstance(seed, np.random.Generator) else "Generator",
        "lr": lr,
        "batch_size": batch_size,
        "dtype": dtype.name,
        "n_classes": K,
    }
    return LinearModel(
        W=W,
        b=float(b) if binary else b,
        loss=loss,
        eps=eps,
        lam=lam,
        attack_norm=r,
        objective=objective,
        solver="sgd-attack",
        diagnostics=diagnostics,
        objective_kind="convex" if binary else f"single-target-{rule}",
        classes=classes,
    )
