r"""The SDP certificate of Raghunathan, Steinhardt & Liang for one-hidden-layer ReLU nets.

Theory: :doc:`/theory/sdp`.

For :math:`f(x) = V \rho(W x + b_1) + b_2`, :math:`W \in \mathbb R^{m\times d}`, an output direction
:math:`c`, :math:`v = V^\top c`, :math:`D = \operatorname{diag}(v)` and every
:math:`x' \in B_\infty(x, \epsilon)`: the ReLU has slopes in :math:`[0, 1]`, so

.. math::
    c^\top f(x') - c^\top f(x) \le \epsilon \max_{t\in[0,1]^m,\ s\in[-1,1]^d} t^\top D W s
    \le \frac{\epsilon}{4} \max_{P \succeq 0,\ \operatorname{diag}(P) \le 1} \langle Q(v, W), P\rangle,

with :math:`z = [1; s; \beta]`, :math:`t = (1+\beta)/2` (so :math:`4\, t^\top D W s = z^\top Q z`) and

.. math::
    Q(v, W) = \begin{pmatrix} 0 & \mathbf 1_m^\top D W & 0 \\ W^\top D \mathbf 1_m & 0 & W^\top D \\
    0 & D W & 0 \end{pmatrix} \quad \text{(blocks } 1 \mid d \mid m).

(A transposed variant of :math:`Q` circulates -- the ones vector of length :math:`d` pairing the
constant with the :math:`m`-block -- and it fails the brute-force check; this is the correct one.)
Since :math:`|P_{ij}| \le 1`, the SDP value lies in :math:`[0, \sum_{ij} |Q_{ij}|]`, and
:math:`\sum_{ij}|Q_{ij}| \le 4 \sum_j |v_j| \|w_j\|_1`: this is where the :math:`\ell_1` norm enters.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lp import ramp
from .._validation import (
    as_real_array,
    check_choice,
    check_matrix,
    check_multiclass_labels,
    check_nonnegative,
    check_positive,
    is_torch_tensor,
)
from .layers import Dense, Network, ReLU

__all__ = [
    "SDPCertificate",
    "SurrogateLoss",
    "sdp_matrix",
    "sdp_certificate",
    "surrogate_adversarial_loss",
]


def _vector(v: Any, name: str) -> np.ndarray:
    if is_torch_tensor(v):
        v = v.detach().cpu().numpy()
    arr = np.asarray(as_real_array(v, name), dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def sdp_matrix(v: Any, W: Any) -> np.ndarray:
    r"""The symmetric matrix :math:`Q(v, W)` of size :math:`1 + d + m` (blocks 1 | d | m).

    Parameters
    ----------
    v : array of shape (m,)
        :math:`v = V^\top c`, the output direction pulled back to the hidden units.
    W : array of shape (m, d)
        The hidden layer's weight matrix.

    Returns
    -------
    numpy.ndarray of shape (1 + d + m, 1 + d + m)
        :math:`Q(v, W)` as in the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> v, W = rng.normal(size=3), rng.normal(size=(3, 2))
    >>> s, beta = np.array([1.0, -1.0]), np.array([1.0, -1.0, 1.0])
    >>> z, t = np.concatenate([[1.0], s, beta]), (1 + beta) / 2
    >>> bool(np.isclose(z @ sdp_matrix(v, W) @ z, 4 * t @ np.diag(v) @ W @ s))
    True
    """
    v = _vector(v, "v")
    W = check_matrix(W.detach().cpu().numpy() if is_torch_tensor(W) else W, "W", allow_torch=False)
    m, d = W.shape
    if v.shape[0] != m:
        raise ValueError(f"v must have length m={m} (the rows of W), got {v.shape[0]}")
    DW = v[:, None] * W
    Q = np.zeros((1 + d + m, 1 + d + m))
    Q[0, 1 : 1 + d] = DW.sum(axis=0)
    Q[1 : 1 + d, 0] = DW.sum(axis=0)
    Q[1 + d :, 1 : 1 + d] = DW
    Q[1 : 1 + d, 1 + d :] = DW.T
    return Q


@dataclass(frozen=True)
class SDPCertificate:
    r"""Solution of :math:`\max \{\langle Q, P\rangle : P \succeq 0, \operatorname{diag}(P) \le 1\}`.

    Attributes
    ----------
    value : float
        :math:`\langle Q, P\rangle` recomputed at the solver's :math:`P` (projected to be feasible).
    certified : float
        A guaranteed upper bound on the SDP value: from the solver's dual :math:`\lambda`,
        :math:`\sum_i \lambda_i + N \max(\lambda_{\max}(Q - \operatorname{diag}\lambda), 0)`, capped by
        ``cheap``. Use it where a valid upper bound is needed.
    cheap : float
        :math:`\sum_{ij} |Q_{ij}|`.
    status : str
        The solver status.
    solver : str
    """

    value: float
    certified: float
    cheap: float
    status: str
    solver: str

    def __float__(self) -> float:
        return self.value


def sdp_certificate(Q: Any, *, solver: str = "auto", **solver_options: Any) -> SDPCertificate:
    r"""Solve the SDP :math:`\max_{P \succeq 0,\ \operatorname{diag}(P)\le 1} \langle Q, P\rangle` with cvxpy.

    The solver status is checked (``optimal``; ``optimal_inaccurate`` gives a warning; anything
    else an error), the objective is recomputed from a feasible projection of :math:`P`, and a
    certified upper value is built from the dual variables (see :class:`SDPCertificate`), so a
    first-order solver's modest accuracy costs only a slightly larger certificate.

    ``solver="auto"``: Clarabel (interior point, accurate) for :math:`N = 1 + d + m \le 40`, SCS
    (first order, much faster for larger :math:`N`) otherwise. Measured here on a busy 2-core
    machine: :math:`d = 49, m = 16` (7x7 images) Clarabel 16 s, SCS 1 s; :math:`d = 196, m = 8` (14x14)
    SCS about a minute per SDP.

    Parameters
    ----------
    Q : array of shape (N, N)
        A symmetric matrix, e.g. :func:`sdp_matrix`.
    solver : str, default "auto"
        A cvxpy solver name (``"CLARABEL"``, ``"SCS"``, ...), or ``"auto"`` as above.
    **solver_options
        Passed to ``cvxpy.Problem.solve`` (e.g. ``eps`` or ``max_iters`` for SCS).

    Returns
    -------
    SDPCertificate
        The recomputed value, the certified upper value (use it where a bound is needed) and
        :math:`\sum_{ij}|Q_{ij}|`.

    References
    ----------
    Raghunathan, Steinhardt & Liang (2018), "Certified defenses against adversarial examples", ICLR, Sec. 4.

    Examples
    --------
    >>> import numpy as np
    >>> cert = sdp_certificate(np.array([[0.0, 1.0], [1.0, 0.0]]))    # P = ones: <Q, P> = 2
    >>> bool(abs(cert.value - 2.0) < 1e-6 and cert.certified >= 2.0 - 1e-9 and cert.cheap == 2.0)
    True
    """
    import cvxpy as cp

    Q = check_matrix(Q, "Q", allow_torch=False)
    if Q.shape[0] != Q.shape[1] or not np.allclose(Q, Q.T, rtol=0, atol=1e-12 * (1 + np.abs(Q).max())):
        raise ValueError(f"Q must be a symmetric square matrix, got shape {Q.shape}")
    check_choice(solver, "solver", ("auto", "CLARABEL", "SCS"))
    top = float(np.abs(Q).max())
    if top > 2.0**100 or 0.0 < top < 2.0**-100:
        # every quantity is positively homogeneous in Q: solve on 2**-e Q (exact) and scale back
        e = math.frexp(top)[1]
        unit = sdp_certificate(np.ldexp(Q, -e), solver=solver, **solver_options)
        out = [math.ldexp(v, e) for v in (unit.value, unit.certified, unit.cheap)]
        if not all(math.isfinite(v) for v in out):
            raise OverflowError(
                f"Q too large: the certified value exceeds the float range (largest |Q| {top:.3g})"
            )
        return SDPCertificate(out[0], out[1], out[2], unit.status, unit.solver)
    N = Q.shape[0]
    if solver == "auto":
        solver = "CLARABEL" if N <= 40 else "SCS"
    cheap = float(np.abs(Q).sum())
    P = cp.Variable((N, N), PSD=True)
    box = cp.diag(P) <= 1
    problem = cp.Problem(cp.Maximize(cp.sum(cp.multiply(Q, P))), [box])
    problem.solve(solver=solver, **solver_options)
    status = str(problem.status)
    if status not in ("optimal", "optimal_inaccurate") or P.value is None:
        raise RuntimeError(f"the SDP solver {solver} returned status {status!r} (expected 'optimal')")
    if status == "optimal_inaccurate":
        warnings.warn(f"the SDP solver {solver} returned 'optimal_inaccurate'", UserWarning, stacklevel=2)
    # feasible projection of P: clip negative eigenvalues, then scale rows/cols so that diag <= 1.
    Pv = (P.value + P.value.T) / 2
    w, U = np.linalg.eigh(Pv)
    Pv = (U * np.maximum(w, 0.0)) @ U.T
    scale = 1.0 / np.sqrt(np.maximum(np.diag(Pv), 1.0))
    Pv = Pv * scale[:, None] * scale[None, :]
    value = float(np.sum(Q * Pv))
    lam = np.maximum(np.asarray(box.dual_value, dtype=np.float64).ravel(), 0.0)
    mu = float(np.linalg.eigvalsh(Q - np.diag(lam))[-1])
    # weak duality: <Q, P> <= sum(lam) + N max(lambda_max(Q - diag lam), 0) for every feasible P. The
    # eigenvalue is computed in float64 with an error below N * eps_mach * ||Q - diag lam||_F; the
    # certificate adds that allowance (with a factor 64) instead of trusting the rounded value.
    allowance = 64.0 * N * np.finfo(np.float64).eps * float(np.linalg.norm(Q - np.diag(lam)))
    certified = min(float(lam.sum()) + N * (max(mu, 0.0) + allowance), cheap)
    if value > certified * (1.0 + 1e-12) + allowance:
        from .norms import CertificateError

        raise CertificateError(
            f"SDP certificate violated: a feasible P gives <Q, P> = {value!r} above the certified upper "
            f"value {certified!r} (solver {solver}, status {status!r})"
        )
    return SDPCertificate(value, certified, cheap, status, solver)


def _one_hidden(net: Network) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    layers = net.layers if isinstance(net, Network) else None
    if (
        layers is None
        or len(layers) != 3
        or not isinstance(layers[0], Dense)
        or not isinstance(layers[1], ReLU)
        or not isinstance(layers[2], Dense)
    ):
        raise ValueError("net must be a one-hidden-layer network [Dense(W), ReLU(), Dense(V)] on flat inputs")
    return layers[0].weight, layers[0].bias, layers[2].weight, layers[2].bias


@dataclass(frozen=True)
class SurrogateLoss:
    r"""Yin et al.'s surrogate adversarial loss on a sample.

    Attributes
    ----------
    losses : ndarray
        :math:`\hat\ell(x_i, y_i)` per sample.
    value : float
        Their mean (the empirical surrogate risk).
    penalty : float
        :math:`(\epsilon/2) \max_{k, z=\pm1} \mathrm{SDP}(z Q(v_k, W))` (certified values).
    sdp_values : ndarray
        Shape ``(K, 2)``: certified SDP values for :math:`z = +1, -1` and each class :math:`k`.
    """

    losses: np.ndarray
    value: float
    penalty: float
    sdp_values: np.ndarray


def surrogate_adversarial_loss(
    net: Network, X: Any, y: Any, *, eps: float, margin: float = 1.0, solver: str = "auto"
) -> SurrogateLoss:
    r"""The surrogate adversarial loss of Yin et al. for a one-hidden-layer network (2K SDP solves).

    .. math::
        \hat\ell(x, y) = \phi_\gamma\Big(M(f(x), y) - \frac{\epsilon}{2}
        \max_{k,\ z \in \{\pm 1\}} \mathrm{SDP}\big(z\, Q(v_k, W)\big)\Big),

    :math:`v_k` the :math:`k`-th row of :math:`V`, :math:`M(u, y) = u_y - \max_{k\ne y} u_k`,
    :math:`\phi_\gamma` the ramp loss. It upper-bounds the adversarial 0-1 loss [derived]: for every
    :math:`k`, :math:`(f_y - f_k)(x') \ge (f_y - f_k)(x) - \frac\epsilon4 (\mathrm{SDP}(Q(v_k, W)) +
    \mathrm{SDP}(-Q(v_y, W)))`. The certified SDP values are used, so the inequality holds whatever
    the solver accuracy. Constants as in the paper's form; status unverified against its text.

    Parameters
    ----------
    net : Network
        A one-hidden-layer ReLU network ``Dense, ReLU, Dense`` with :math:`K \ge 2` outputs.
    X : array of shape (n, d)
        The sample.
    y : array of shape (n,)
        Class labels in ``0..K-1``.
    eps : float >= 0
        Radius :math:`\epsilon` of the :math:`\ell_\infty` attack.
    margin : float > 0, default 1
        :math:`\gamma` of the ramp loss.
    solver : str, default "auto"
        The cvxpy solver of each SDP (:func:`sdp_certificate`).

    Returns
    -------
    SurrogateLoss
        Per-sample losses, their mean, the penalty and the certified SDP values.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, surrogate adversarial loss for one-hidden-layer ReLU networks;
    Raghunathan, Steinhardt & Liang (2018), ICLR.
    """
    W, b1, V, b2 = _one_hidden(net)
    eps = check_nonnegative(eps, "eps")
    margin = check_positive(margin, "margin")
    X = check_matrix(X.detach().cpu().numpy() if is_torch_tensor(X) else X, "X", allow_torch=False)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X must have {W.shape[1]} columns, got {X.shape[1]}")
    K = V.shape[0]
    if K < 2:
        raise ValueError(f"the network must have at least 2 outputs (classes), got {K}")
    y, _ = check_multiclass_labels(y, X.shape[0], n_classes=K, limit_to_n=False)
    sdp = np.zeros((K, 2))
    for k in range(K):
        Q = sdp_matrix(V[k], W)
        for j, z in enumerate((1.0, -1.0)):
            sdp[k, j] = sdp_certificate(z * Q, solver=solver).certified
    penalty = eps / 2 * float(sdp.max())
    if not math.isfinite(penalty):
        raise OverflowError(
            f"eps={eps!r} too large: the surrogate's penalty eps/2 * max SDP value exceeds the float range"
        )
    out = net.forward(X)
    true = out[np.arange(len(y)), y]
    others = out.copy()
    others[np.arange(len(y)), y] = -np.inf
    margins = true - others.max(axis=1)
    losses = ramp(margins - penalty, margin)
    return SurrogateLoss(losses, float(losses.mean()), penalty, sdp)
