r"""The :math:`\ell_p` toolkit: every piece of :math:`\ell_p` maths of the package, written once.

Kept at module level so that attacks, training, complexities and bounds reuse one implementation
(as ``scipy.stats`` keeps ``_norm_pdf`` for reuse). Every function works along the LAST axis of
its input and accepts any leading shape; :func:`norm` and :func:`unit_maximiser` follow the
input's array library (numpy, or torch for tensors, through :mod:`radbound._backend`).

* :func:`dual_exponent` -- the Hoelder conjugate :math:`q` of :math:`p`, :math:`1/p + 1/q = 1`;
* :func:`norm_ratio` -- :math:`\sup_{\|v\|_r \le 1} \|v\|_s = \max(1, d^{1/s - 1/r})` on
  :math:`\mathbb R^d` (comparison of two :math:`\ell_p` norms);
* :func:`norm` -- :math:`\|v\|_q`, stable for every :math:`q \in [1, \infty]` (no overflow for
  :math:`q = 10^9`, no underflow of tiny entries);
* :func:`unit_maximiser` -- :math:`u_r(v) = \arg\max_{\|\delta\|_r \le 1} \langle v, \delta\rangle`,
  with :math:`\langle v, u_r(v)\rangle = \|v\|_{r^*}`; it is also a subgradient of
  :math:`\|\cdot\|_{r^*}` at :math:`v`;
* :func:`project_ball` -- the Euclidean projection onto :math:`\{\|\delta\|_r \le \rho\}`;
* :func:`ramp` -- the ramp loss :math:`\phi_\gamma(t) = \min\{1, \max\{0, 1 - t/\gamma\}\}`;
* :func:`clipped_room` -- how far each coordinate may move inside
  :math:`B_\infty(x, \epsilon) \cap [lo, hi]^d`.

Numerical conventions: at :math:`v = 0` the maximiser returns 0 (any point of the ball is a
maximiser); ties of :math:`|v_j|` for :math:`r = 1` go to the first index.

References
----------
Hoelder's inequality and its equality case (e.g. Hardy, Littlewood & Polya, *Inequalities*,
1952, section 2.7); Duchi, Shalev-Shwartz, Singer & Chandra (2008), "Efficient projections onto
the l1-ball for learning in high dimensions", ICML (the :math:`\ell_1` projection); the KKT system
of the general :math:`\ell_p` projection is that of Liu & Ye (2010), "Efficient L1/Lq norm
regularization", arXiv:1009.4766, section 4.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._backend import get_backend

__all__ = [
    "dual_exponent",
    "norm_ratio",
    "norm",
    "row_power_norm_",
    "unit_maximiser",
    "project_ball",
    "ramp",
    "clipped_room",
]

#: Below this sum of |v|**q (or above its reciprocal) the direct formula may lose accuracy to
#: underflow (or overflow): those rows are recomputed with the max-scaled formula.
_SAFE_POWER_SUM = 1e-280


def dual_exponent(p: float) -> float:
    r"""The Hoelder conjugate :math:`q` of :math:`p`: :math:`1/p + 1/q = 1` (1 and :math:`\infty` swap).

    Computed as :math:`1 + 1/(p - 1)`, which is exact for :math:`p = 2` and finite for every
    :math:`p > 1` (e.g. :math:`p = 1 + 10^{-9}` gives :math:`q \approx 10^9 + 1`).

    Parameters
    ----------
    p : float
        An exponent in :math:`[1, \infty]` (not validated here: use
        :func:`radbound._validation.check_exponent` at the public boundary).

    Returns
    -------
    float

    Examples
    --------
    >>> from radbound._lp import dual_exponent
    >>> dual_exponent(1.0), dual_exponent(2.0), dual_exponent(float("inf")), dual_exponent(3.0)
    (inf, 2.0, 1.0, 1.5)
    """
    p = float(p)
    if p == 1.0:
        return math.inf
    if math.isinf(p):
        return 1.0
    return p / (p - 1.0)


def norm_ratio(d: int, r: float, s: float) -> float:
    r"""The largest :math:`\ell_s` norm on the unit :math:`\ell_r` ball of :math:`\mathbb R^d`.

    .. math::
        \sup_{\|v\|_r \le 1} \|v\|_s = \max\big(1,\ d^{\,1/s - 1/r}\big),

    with :math:`1/\infty = 0`: :math:`\|v\|_s \le \|v\|_r` when :math:`s \ge r` (attained at a basis
    vector) and :math:`\|v\|_s \le d^{1/s - 1/r}\|v\|_r` when :math:`s < r` (Hoelder, attained at
    the all-equal vector).

    Parameters
    ----------
    d : int
        The dimension (not validated here).
    r, s : float
        Exponents in :math:`[1, \infty]`: the ball's norm and the measured norm.

    Returns
    -------
    float

    Examples
    --------
    >>> from radbound._lp import norm_ratio
    >>> norm_ratio(16, float("inf"), 2.0), norm_ratio(16, 1.0, 2.0), norm_ratio(16, 2.0, float("inf"))
    (4.0, 1.0, 1.0)
    """
    exponent = (0.0 if math.isinf(s) else 1.0 / s) - (0.0 if math.isinf(r) else 1.0 / r)
    return max(float(d) ** exponent, 1.0)


def _power_norm(nx: Any, A: Any, q: float, axis: int) -> Any:
    """``(sum |a|**q)**(1/q)`` for ``A >= 0``, rescaled by the max where the power sum is unsafe."""
    with np.errstate(over="ignore", under="ignore"):  # unsafe rows are recomputed below
        if q == 2.0 and nx.name == "numpy" and axis in (-1, A.ndim - 1):
            s = np.einsum("...i,...i->...", A, A)
        else:
            s = nx.sum(A**q, axis=axis)
    bad = ~((s > _SAFE_POWER_SUM) & (s < 1.0 / _SAFE_POWER_SUM))
    out = s ** (1.0 / q)
    if bool(bad.any()):
        m = nx.max(A, axis=axis, keepdims=True)
        safe_m = nx.where(m > 0, m, 1.0)
        scaled = nx.sum((A / safe_m) ** q, axis=axis) ** (1.0 / q) * nx.sum(safe_m, axis=axis)
        out = nx.where(bad, scaled, out)
    return out


def row_power_norm_(nx: Any, U: Any, q: float) -> Any:
    r""":math:`\|u\|_q` of every row of a 2-D array for :math:`1 < q < \infty`, overwriting ``U``.

    The in-place kernel of the complexity engine (``nx`` a :mod:`radbound._backend` backend): the
    power sum :math:`\sum_j |u_j|^q` is formed in ``U``'s memory; rows whose power sum could
    overflow or underflow (:math:`m^q \notin (10^{-280}, 10^{280}/d)`, :math:`m = \max_j |u_j|`)
    are computed first with the max-scaled form of :func:`norm`.
    """
    m = nx.rowmax(nx.abs(U))
    with np.errstate(over="ignore", under="ignore"):  # risky rows are computed separately
        top = m**q
        risky = ~((top > _SAFE_POWER_SUM) & (top * U.shape[1] < 1.0 / _SAFE_POWER_SUM)) & (m > 0)
        fixed = _power_norm(nx, nx.abs(U[risky]), q, -1) if bool(risky.any()) else None
        out = nx.rowpow(U, q) ** (1.0 / q)
    if fixed is not None:
        out[risky] = fixed
    return out


def norm(V: Any, q: float, *, axis: int = -1) -> Any:
    r"""The :math:`\ell_q` norm :math:`\|v\|_q = (\sum_j |v_j|^q)^{1/q}` along ``axis``, any :math:`q \ge 1`.

    numpy arrays give numpy, torch tensors give tensors (same dtype and device). For
    :math:`1 < q < \infty` (other than 2) the direct power sum is used where it is safe and the
    max-scaled form :math:`m (\sum_j (|v_j|/m)^q)^{1/q}`, :math:`m = \max_j |v_j|`, where the power
    sum would overflow or underflow, so the result is finite and accurate for every finite input
    (e.g. :math:`q = 10^9`, or entries of size :math:`10^{-200}` with :math:`q = 2`).

    Parameters
    ----------
    V : array
        Vectors along ``axis`` (any leading shape).
    q : float
        The exponent, in :math:`[1, \infty]`.
    axis : int
        The axis holding the coordinates.

    Returns
    -------
    array
        ``V`` with ``axis`` removed.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound._lp import norm
    >>> v = np.array([[3.0, -4.0], [2.0, 0.0]])
    >>> norm(v, 2).tolist(), norm(v, 1).tolist(), norm(v, np.inf).tolist()
    ([5.0, 2.0], [7.0, 2.0], [4.0, 2.0])
    >>> bool(norm(np.array([2.0, 0.0]), 1e9) == 2.0)      # no overflow of 2**1e9
    True
    """
    q = float(q)
    nx = get_backend(V)
    if math.isinf(q):
        return nx.max(nx.abs(V), axis=axis)
    if q == 1.0:
        return nx.sum(nx.abs(V), axis=axis)
    return _power_norm(nx, nx.abs(V), q, axis)


def unit_maximiser(V: Any, r: float) -> Any:
    r"""Row-wise maximiser of a linear function over the unit :math:`\ell_r` ball.

    .. math::
        u_r(v) = \arg\max_{\|\delta\|_r \le 1} \langle v, \delta\rangle =
        \begin{cases}
        \operatorname{sign}(v) & r = \infty,\\
        \operatorname{sign}(v_{j^*})\, e_{j^*},\ j^* = \arg\max_j |v_j| & r = 1,\\
        \operatorname{sign}(v)\, |v|^{r^*-1} / \|v\|_{r^*}^{r^*-1} & 1 < r < \infty,
        \end{cases}

    so that :math:`\langle v, u_r(v)\rangle = \|v\|_{r^*}` (Hoelder's equality case). It is odd
    in :math:`v`, and a subgradient of :math:`\|\cdot\|_{r^*}` at :math:`v`. For
    :math:`1 < r < \infty` it is evaluated as
    :math:`\operatorname{sign}(v)\,(|v|/m)^{r^*-1} / S^{1/r}` with :math:`m = \max_j |v_j|` and
    :math:`S = \sum_j (|v_j|/m)^{r^*} \in [1, d]`, which has no overflow and no loss of accuracy
    for extreme exponents (:math:`r = 1 + 10^{-9}` or :math:`r = 10^9`). Zero rows give zero.

    Parameters
    ----------
    V : array
        Rows ``v`` along the last axis (numpy, or torch: the result follows the input).
    r : float
        The ball's exponent, in :math:`[1, \infty]`.

    Returns
    -------
    array
        Same shape as ``V``.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound._lp import unit_maximiser, norm
    >>> v = np.array([1.0, -2.0, 2.0])
    >>> unit_maximiser(v, np.inf).tolist(), unit_maximiser(v, 1).tolist()
    ([1.0, -1.0, 1.0], [0.0, -1.0, 0.0])
    >>> u = unit_maximiser(v, 2)
    >>> bool(np.isclose(u @ v, norm(v, 2)) and np.isclose(norm(u, 2), 1.0))
    True
    """
    r = float(r)
    nx = get_backend(V)
    if math.isinf(r):
        return nx.sign(V)
    A = nx.abs(V)
    if r == 1.0:
        idx = nx.argmax(A, axis=-1)
        cols = nx.arange(V.shape[-1])
        return nx.where(cols == idx[..., None], nx.sign(V), 0.0)
    if r == 2.0:
        n2 = norm(V, 2.0)[..., None]
        return V / nx.where(n2 > 0, n2, 1.0)
    q = dual_exponent(r)
    m = nx.max(A, axis=-1, keepdims=True)
    safe = nx.where(m > 0, m, 1.0)
    R = A / safe  # in [0, 1]
    S = nx.sum(R**q, axis=-1, keepdims=True)  # in [1, d] (or 0 for a zero row)
    S = nx.where(S > 0, S, 1.0)
    return nx.sign(V) * R ** (q - 1.0) / S ** (1.0 / r)


# ----------------------------------------------------------------------------------- projections
def _project_l1(A: np.ndarray, radius: float) -> np.ndarray:
    """Projection of non-negative rows ``A`` (all outside the ball) onto the l1 ball (sort-based)."""
    u = -np.sort(-A, axis=-1)
    css = np.cumsum(u, axis=-1) - radius
    ks = np.arange(1, A.shape[-1] + 1)
    cond = u - css / ks > 0
    rho = cond.shape[-1] - 1 - np.argmax(cond[..., ::-1], axis=-1)  # last index where cond holds
    theta = np.take_along_axis(css, rho[..., None], axis=-1) / (rho[..., None] + 1.0)
    return np.maximum(A - theta, 0.0)


def _coordinate_roots(A: np.ndarray, c: np.ndarray, p: float, z: np.ndarray | None) -> np.ndarray:
    r"""Solve :math:`z + c z^{p-1} = a` for :math:`z \in [0, \min(a, 1)]`, elementwise.

    The left side is increasing in :math:`z`; safeguarded Newton (bisection when a Newton step
    leaves the bracket) on :math:`z` for :math:`p \ge 2` and on :math:`w = z^{p-1}` for
    :math:`p < 2`, where the equation is convex in the unknown.
    """
    lo = np.zeros_like(A)
    if p >= 2.0:
        hi = np.minimum(A, 1.0)
        x = hi.copy() if z is None else np.clip(z, lo, hi)
        g_at = lambda x: x + c * x ** (p - 1.0) - A  # noqa: E731
        dg_at = lambda x: 1.0 + c * (p - 1.0) * x ** (p - 2.0)  # noqa: E731
    else:
        k = 1.0 / (p - 1.0)
        hi = np.minimum(A, 1.0) ** (p - 1.0)
        x = hi.copy() if z is None else np.clip(z ** (p - 1.0), lo, hi)
        g_at = lambda x: x**k + c * x - A  # noqa: E731
        dg_at = lambda x: k * x ** (k - 1.0) + c  # noqa: E731
    for _ in range(200):
        g = g_at(x)
        pos = g > 0
        hi = np.where(pos, x, hi)
        lo = np.where(pos, lo, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = x - g / dg_at(x)
        inside = (step > lo) & (step < hi) & np.isfinite(step)
        new = np.where(inside, step, 0.5 * (lo + hi))
        done = np.abs(new - x) <= 4e-16 * np.maximum(np.abs(x), 1e-300)
        x = new
        if done.all():
            break
    return x if p >= 2.0 else x**k


def _project_lp_unit(A: np.ndarray, p: float) -> np.ndarray:
    r"""Projection of non-negative rows ``A`` (each with :math:`\|a\|_p > 1`) onto the unit
    :math:`\ell_p` ball, :math:`1 < p < \infty`.

    KKT: :math:`z_j + c\, z_j^{p-1} = a_j` (:math:`c = \lambda p > 0`) with :math:`\|z\|_p = 1`;
    :math:`\sum_j z_j(c)^p` decreases in :math:`c`, so :math:`c` is found by bisection on
    :math:`\log c` between brackets that hold for every row.
    """
    q = dual_exponent(p)

    def over(log_c: np.ndarray, z: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Roots at c = exp(log_c) and whether ||z(c)||_p > 1 (a root above 1 counts as over)."""
        c = np.exp(log_c)
        z = _coordinate_roots(A, c, p, z)
        return z, (norm(z, p) > 1.0) | (A > 1.0 + c).any(axis=-1)

    # upper bracket: z_j <= (a_j / c)^(1/(p-1)) gives sum z^p <= (||a||_q / c)^q < 1 at c = e ||a||_q
    hi = np.log(np.maximum(norm(A, q), 1e-300))[:, None] + 1.0
    lo = hi - 80.0
    for _ in range(25):  # lower bracket: c small enough that the norm is still above 1
        z, above = over(lo, None)
        if above.all():
            break
        lo = np.where(above[:, None], lo, lo - 80.0)
    for _ in range(64):  # bisection on log c: relative precision ~ width / 2**64
        mid = 0.5 * (lo + hi)
        z, above = over(mid, z)
        lo = np.where(above[:, None], mid, lo)
        hi = np.where(above[:, None], hi, mid)
    z = _coordinate_roots(A, np.exp(hi), p, z)  # the feasible side of the bracket
    nz = norm(z, p)[:, None]
    return np.where(nz > 1.0, z / np.where(nz > 0, nz, 1.0), z)


def project_ball(D: Any, r: float, radius: float) -> np.ndarray:
    r"""Euclidean projection of the rows of ``D`` onto the :math:`\ell_r` ball of radius :math:`\rho`.

    .. math::
        \Pi(d) = \arg\min_{\|z\|_r \le \rho} \|z - d\|_2 .

    Exact for every :math:`r \in [1, \infty]`: clipping for :math:`r = \infty`, radial scaling for
    :math:`r = 2`, the sort-based threshold of Duchi et al. (2008) for :math:`r = 1`, and for other
    :math:`r` the KKT system :math:`z_j + c\,z_j^{r-1} = |d_j|`, :math:`\|z\|_r = \rho` (Liu & Ye
    2010), solved by bisection on :math:`\log c` with safeguarded Newton per coordinate (about
    ``64 * 10`` elementwise passes). Rows already inside the ball are returned unchanged. For
    extreme exponents (:math:`r < 1 + 10^{-6}` or :math:`r > 10^6`) the projection is computed
    for the limiting ball (:math:`r = 1` or :math:`\infty`) and then scaled onto the
    :math:`\ell_r` ball, a feasible point within rounding of the exact projection there.

    Parameters
    ----------
    D : array of shape (..., d)
        Points to project (numpy; tensors are converted).
    r : float
        Exponent of the ball, in :math:`[1, \infty]`.
    radius : float
        :math:`\rho \ge 0`.

    Returns
    -------
    ndarray
        Same shape as ``D``, every row with :math:`\|z\|_r \le \rho` (up to rounding).

    References
    ----------
    Duchi, Shalev-Shwartz, Singer & Chandra (2008), ICML; Liu & Ye (2010), arXiv:1009.4766.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound._lp import project_ball
    >>> project_ball(np.array([[3.0, 1.0]]), 1, 2.0).tolist()    # threshold 1: (2, 0)
    [[2.0, 0.0]]
    >>> project_ball(np.array([[3.0, -4.0]]), 2, 1.0).tolist()
    [[0.6, -0.8]]
    """
    D = np.asarray(get_backend(D).to_numpy(D), dtype=np.float64) if not isinstance(D, np.ndarray) else D
    r, radius = float(r), float(radius)
    if math.isinf(r):
        return np.clip(D, -radius, radius)
    shape = D.shape
    flat = D.reshape(-1, shape[-1]) if D.ndim != 2 else D
    out = flat.copy()
    if radius == 0.0:
        return np.zeros_like(D)
    norms = norm(flat, r)
    over = norms > radius
    if not over.any():
        return out.reshape(shape)
    rows = flat[over]
    if r == 2.0:
        out[over] = rows * (radius / norms[over])[:, None]
        return out.reshape(shape)
    A = np.abs(rows)
    if r == 1.0 or r < 1.0 + 1e-6:
        Z = _project_l1(A, radius)
    elif r > 1e6:
        Z = np.minimum(A, radius)
    else:
        Z = radius * _project_lp_unit(A / radius, r)
    nz = norm(Z, r)
    Z = np.where((nz > radius)[:, None], Z * (radius / np.where(nz > 0, nz, 1.0))[:, None], Z)
    out[over] = np.sign(rows) * Z
    return out.reshape(shape)


# ------------------------------------------------------------------------------------ the ramp
def ramp(t: Any, margin: float) -> Any:
    r"""The ramp loss :math:`\phi_\gamma(t) = \min\{1, \max\{0, 1 - t/\gamma\}\}`.

    1 for :math:`t \le 0`, :math:`1 - t/\gamma` on :math:`(0, \gamma)`, 0 for :math:`t \ge \gamma`;
    :math:`1/\gamma`-Lipschitz and at least the 0-1 loss :math:`\mathbf 1[t \le 0]`. Evaluated as
    :math:`1 - \operatorname{clip}(t, 0, \gamma)/\gamma`, exactly 0 and 1 at the ends.

    Parameters
    ----------
    t : array
        Margins (numpy or torch).
    margin : float
        :math:`\gamma > 0`.

    Returns
    -------
    array
        Same shape as ``t``, values in :math:`[0, 1]`.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML (ramp loss of the margin bounds).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound._lp import ramp
    >>> ramp(np.array([-1.0, 0.0, 0.25, 1.0, 3.0]), 0.5).tolist()
    [1.0, 1.0, 0.5, 0.0, 0.0]
    """
    nx = get_backend(t)
    return 1.0 - nx.clip(t, 0.0, margin) / margin


def clipped_room(X: Any, eps: float, lo: float, hi: float) -> tuple[Any, Any]:
    r"""Room to move each coordinate down and up inside :math:`B_\infty(x, \epsilon) \cap [lo, hi]^d`.

    .. math::
        \text{down}_j = \min(x_j - lo, \epsilon), \qquad \text{up}_j = \min(hi - x_j, \epsilon),

    both :math:`\ge 0` for :math:`x` in the box; the set is the box
    :math:`\prod_j [x_j - \text{down}_j, x_j + \text{up}_j]`.

    Parameters
    ----------
    X : array of shape (n, d)
        Points inside the box (numpy or torch).
    eps : float
        :math:`\ell_\infty` radius.
    lo, hi : float
        The box.

    Returns
    -------
    (down, up) : arrays like ``X``

    Examples
    --------
    >>> import numpy as np
    >>> from radbound._lp import clipped_room
    >>> down, up = clipped_room(np.array([[0.05, 0.5]]), 0.1, 0.0, 1.0)
    >>> bool(np.allclose(down, [[0.05, 0.1]]) and np.allclose(up, [[0.1, 0.1]]))
    True
    """
    nx = get_backend(X)
    return nx.minimum(X - lo, eps), nx.minimum(hi - X, eps)
