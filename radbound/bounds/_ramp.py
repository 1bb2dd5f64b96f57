r"""Heuristic supremum over multi-class linear models of a signed ramp-loss sum.

For fixed sign vectors :math:`\sigma` this module maximises, over
:math:`\mathcal W = \{W \in \mathbb R^{K\times d} : \max_k \|w_k\|_p \le \rho\}`,

.. math::
    J_\sigma(W) = \frac1n \sum_i \sigma_i\, \phi_\gamma\big(M_i(W)\big),\qquad
    M_i(W) = \min_{k \ne y_i} (w_{y_i} - w_k)^\top x_i - \epsilon \|w_{y_i} - w_k\|_{r^*},

the (exact, :math:`\ell_r`, no clipping) adversarial margin of :doc:`/theory/multiclass` (natural for
:math:`\epsilon = 0`). The optimiser is projected Adam ascent on a smoothed objective (soft-min over
classes, soft ramp) with an annealed temperature and several restarts, vectorised over all sign
vectors and restarts at once. Every reported value is the EXACT :math:`J_\sigma` of a FEASIBLE
iterate, so it never exceeds the true supremum: averaged over sign vectors it is a lower estimate of
the Rademacher complexity of the ramp-loss class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lp import dual_exponent, norm, project_ball, ramp, unit_maximiser

__all__ = ["ramp_sup_lower"]


def _margins(Wb, X, y, eps, s, mask):
    Z = np.einsum("bkd,nd->bnk", Wb, X)
    n = X.shape[0]
    zy = Z[:, np.arange(n), y]
    m = zy[:, :, None] - Z
    V = None
    if eps > 0:
        V = Wb[:, y, None, :] - Wb[:, None, :, :]  # (B, n, K, d): w_{y_i} - w_k
        m = m - eps * norm(V, s)
    m = np.where(mask, np.inf, m)
    return m, V


def _ramp_values(m, gamma):
    return ramp(m.min(axis=-1), gamma)


def _exact_objective(m, sigma, gamma):
    return (sigma * _ramp_values(m, gamma)).mean(axis=-1)


def _sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * t))


#: Largest number of float64 entries of one restart array of :func:`ramp_sup_lower` (128 MiB).
BATCH_ELEMENTS = 2**24


def ramp_sup_lower(
    X: np.ndarray,
    y: np.ndarray,
    signs: np.ndarray,
    *,
    n_classes: int,
    margin: float,
    p: float,
    radius: float,
    eps: float,
    attack_norm: float,
    n_restarts: int,
    n_steps: int,
    n_pool: int = 4000,
    rng: np.random.Generator,
) -> np.ndarray:
    """Heuristic ``n * sup_W J_sigma(W)`` for each row of ``signs`` (returns shape (m,)).

    Sign vectors are processed in batches whose restart arrays, ``(batch * R, K, d)``, hold at most
    :data:`BATCH_ELEMENTS` numbers, so the working memory does not grow with the number of rows.
    """
    signs = np.asarray(signs, dtype=np.float64)
    per_row = max(int(n_restarts), 3) * n_classes * (X.shape[1] + signs.shape[1])
    rows = max(1, BATCH_ELEMENTS // per_row)
    if signs.shape[0] > rows:
        kw: dict[str, Any] = dict(
            n_classes=n_classes,
            margin=margin,
            p=p,
            radius=radius,
            eps=eps,
            attack_norm=attack_norm,
            n_restarts=n_restarts,
            n_steps=n_steps,
            n_pool=n_pool,
            rng=rng,
        )
        return np.concatenate(
            [ramp_sup_lower(X, y, signs[i : i + rows], **kw) for i in range(0, signs.shape[0], rows)]
        )
    m_signs, n = signs.shape
    K, d = n_classes, X.shape[1]
    R = max(int(n_restarts), 3)
    s = dual_exponent(attack_norm)
    sigma = np.repeat(signs, R, axis=0)  # (B, n), restarts grouped by sign vector
    B = sigma.shape[0]
    onehot = np.eye(K)[y]  # (n, K)
    mask = onehot.astype(bool)[None]

    # A shared pool of random feasible models, scored for every sign vector at once (J = sigma . phi).
    pool = rng.normal(size=(n_pool, K, d))
    pool = radius * pool / np.maximum(norm(pool, p)[..., None], 1e-300)
    pool = project_ball(pool * rng.uniform(0.0, 1.0, size=(n_pool, 1, 1)) ** 0.5, p, radius)
    pool_phi = _ramp_values(_margins(pool, X, y, eps, s, mask)[0], margin)  # (P, n)
    pool_J = signs @ pool_phi.T / n  # (m, P)
    top = np.argsort(-pool_J, axis=1)[:, : R - 2]  # best pool members per sign vector
    # starts: 0 (value mean(sigma)), the linearised-ascent direction, the best pool members
    G = np.einsum("bn,nk,nd->bkd", -sigma, onehot - (1.0 - onehot) / max(K - 1, 1), X)
    Wb = np.empty((B, K, d))
    Wb.reshape(m_signs, R, K, d)[:, 0] = 0.0
    Wb.reshape(m_signs, R, K, d)[:, 1] = (radius * unit_maximiser(G, p)).reshape(m_signs, R, K, d)[:, 1]
    Wb.reshape(m_signs, R, K, d)[:, 2:] = pool[top]

    best = _exact_objective(_margins(Wb, X, y, eps, s, mask)[0], sigma, margin)
    mom, vel = np.zeros_like(Wb), np.zeros_like(Wb)
    lr0 = 0.1 * radius
    b1, b2 = 0.9, 0.999
    for t in range(1, n_steps + 1):
        frac = t / n_steps
        tau = margin * (0.3 * (0.01 / 0.3) ** frac)
        m, V = _margins(Wb, X, y, eps, s, mask)
        best = np.maximum(best, _exact_objective(m, sigma, margin))
        # soft-min over k != y_i
        mmin = m.min(axis=-1, keepdims=True)
        w = np.exp(-(m - mmin) / tau)
        w = np.where(mask, 0.0, w)
        zsum = w.sum(axis=-1, keepdims=True)
        a = w / zsum
        Ms = mmin[..., 0] - tau * np.log(zsum[..., 0])
        dphi = -(_sigmoid(Ms / tau) - _sigmoid((Ms - margin) / tau)) / margin
        coef = sigma * dphi / n  # dJ/dM_i, (B, n)
        Gw = coef[..., None] * a  # (B, n, K)
        if eps > 0:
            H = Gw[..., None] * (X[None, :, None, :] - eps * unit_maximiser(V, dual_exponent(s)))
        else:
            H = Gw[..., None] * X[None, :, None, :]
        grad = -H.sum(axis=1) + np.einsum("bnd,nk->bkd", H.sum(axis=2), onehot)
        mom = b1 * mom + (1 - b1) * grad
        vel = b2 * vel + (1 - b2) * grad * grad
        step = (mom / (1 - b1**t)) / (np.sqrt(vel / (1 - b2**t)) + 1e-12)
        lr = lr0 * (1.0 - 0.9 * frac)
        Wb = project_ball(Wb + lr * step, p, radius)
    m, _ = _margins(Wb, X, y, eps, s, mask)
    best = np.maximum(best, _exact_objective(m, sigma, margin))
    return n * np.maximum(best.reshape(m_signs, R).max(axis=1), pool_J.max(axis=1))
