r"""The binary relative entropy and its two inverses, exact to the last bit or two of a float64.

.. math::
    \mathrm{kl}(q \,\|\, p) = q \log\frac qp + (1 - q) \log\frac{1 - q}{1 - p},
    \qquad 0 \log 0 = 0,

    \mathrm{kl}^{-1}(q, c) = \sup\{p \in [q, 1] : \mathrm{kl}(q\|p) \le c\},
    \qquad
    \mathrm{kl}^{-1}_{\mathrm{low}}(q, c) = \inf\{p \in [0, q] : \mathrm{kl}(q\|p) \le c\}.

:math:`p \mapsto \mathrm{kl}(q\|p)` is continuous and increasing on :math:`[q, 1]` (decreasing on
:math:`[0, q]`), so each inverse is the unique root of :math:`\mathrm{kl}(q\|p) = c` on its side, or the
end point (1, resp. 0) when the divergence stays below :math:`c`. The roots are found by bisection on the
*bit patterns* of float64 numbers: the int64 view of a non-negative float is increasing in the float, so at
most 64 halvings of the integer interval leave two adjacent floats around the root, whatever its size
(``1e-300`` as well as ``1 - 1e-16``). The upper inverse returns the upper float of the pair and the lower
inverse the lower one, so each errs on the safe side of a bound by at most one unit in the last place of
the root, plus what the rounding of :func:`kl` itself moves the root (analysed in :func:`kl_inv`).

:func:`kl` evaluates both terms through ``log1p`` of the relative difference, so that it keeps its
relative accuracy when :math:`p` is close to :math:`q` (where the two terms nearly cancel).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["kl", "kl_inv", "kl_inv_lower"]


def _as_float_array(x: Any, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {type(x).__name__}")
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a real number or an array of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _check_unit(x: np.ndarray, name: str) -> None:
    bad = ~((x >= 0.0) & (x <= 1.0))  # also catches NaN
    if bad.any():
        raise ValueError(f"{name} must lie in [0, 1], got {x[bad].flat[0]!r}")


def _check_level(c: np.ndarray, name: str = "c") -> None:
    bad = ~(c >= 0.0)  # NaN and negatives; +inf is allowed
    if bad.any():
        raise ValueError(f"{name} must be >= 0 (inf allowed), got {c[bad].flat[0]!r}")


def _x_minus_log1p(x: np.ndarray) -> np.ndarray:
    r""":math:`g(x) = x - \log(1 + x) \ge 0` for :math:`x > -1`, without cancellation near 0.

    For :math:`|x| \le 0.1` the series :math:`\sum_{k \ge 2} (-1)^k x^k / k` (terms to :math:`x^{18}`,
    truncation below :math:`10^{-17}` relative); elsewhere the direct difference, whose cancellation costs
    at most a factor :math:`|x|/g(x) \le 21` of the rounding unit.
    """
    small = np.abs(x) <= 0.1
    xs = np.where(small, x, 0.0)
    acc = np.zeros_like(xs)
    for k in range(18, 1, -1):  # Horner on sum_{k=2}^{18} (-1)^k x^k / k = x^2 (1/2 - x/3 + ...)
        acc = acc * xs + (1.0 if k % 2 == 0 else -1.0) / k
    series = acc * xs * xs
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = x - np.log1p(np.where(small, 0.0, x))
    return np.where(small, series, direct)


def _kl_unchecked(q: np.ndarray, p: np.ndarray) -> np.ndarray:
    r"""kl(q || p) on arrays already in [0, 1], broadcast; +inf where p is 0 or 1 and q differs.

    With :math:`d = p - q`, :math:`r = 1 - q` and :math:`g(x) = x - \log(1 + x) \ge 0`:

    .. math::
        q\log\frac qp = q\,g(d/q) - d, \qquad (1-q)\log\frac{1-q}{1-p} = r\,g(-d/r) + d .

    Near the diagonal (:math:`|d| \le q/2`, resp. :math:`|d| \le r/2`; :math:`d` is exact there,
    Sterbenz) each term uses its :math:`g` form, and when both do the linear parts cancel exactly: the
    divergence is a sum of two non-negative numbers, relatively accurate however small. Away from the
    diagonal a term is a difference of logarithms, with :math:`\log(1-p)` as ``log1p(-p)`` (or
    :math:`\log` of the exact :math:`1 - p` when :math:`p > 1/2`) so that :math:`p` near 1 keeps its
    information.
    """
    q, p = np.broadcast_arrays(q, p)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = p - q
        r = 1.0 - q
        s = 1.0 - p
        q_safe = np.where(q > 0, q, 1.0)
        r_safe = np.where(r > 0, r, 1.0)
        near1 = (np.abs(d) <= 0.5 * q) & (q > 0)
        near2 = (np.abs(d) <= 0.5 * r) & (r > 0)
        g1 = q * _x_minus_log1p(np.where(near1, d / q_safe, 0.0))
        far1 = q * (np.log(q_safe) - np.log(np.where(p > 0, p, 1.0)))
        t1 = np.where(near1, g1, np.where(q > 0, np.where(p > 0, far1, np.inf), 0.0))
        g2 = r * _x_minus_log1p(np.where(near2, -d / r_safe, 0.0))
        log_s = np.where(p > 0.5, np.log(np.where(s > 0, s, 1.0)), np.log1p(-np.minimum(p, 0.5)))
        far2 = r * (np.log(r_safe) - log_s)
        t2 = np.where(near2, g2, np.where(r > 0, np.where(s > 0, far2, np.inf), 0.0))
        carry = np.where(near1, -d, 0.0) + np.where(near2, d, 0.0)
        out = t1 + t2 + carry
    # kl >= 0; rounding can leave a few ulp below 0 away from the diagonal
    return np.maximum(out, 0.0)


def kl(q: Any, p: Any) -> Any:
    r"""Binary relative entropy :math:`\mathrm{kl}(q\|p)` (Bernoulli KL divergence), broadcasting.

    .. math::
        \mathrm{kl}(q \,\|\, p) = q \log\frac qp + (1 - q) \log\frac{1 - q}{1 - p}

    in nats, with :math:`0 \log 0 = 0`; :math:`+\infty` when :math:`p \in \{0, 1\}` and :math:`p \ne q`.

    Parameters
    ----------
    q, p : float or array_like
        Probabilities in [0, 1] (broadcast together).

    Returns
    -------
    float or ndarray
        A float when both inputs are scalars.

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., relative entropy of two Bernoulli laws.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.pacbayes import kl
    >>> bool(np.isclose(kl(0.5, 0.25), 0.5 * np.log(2) + 0.5 * np.log(2 / 3)))
    True
    """
    qa = _as_float_array(q, "q")
    pa = _as_float_array(p, "p")
    _check_unit(qa, "q")
    _check_unit(pa, "p")
    out = _kl_unchecked(qa, pa)
    return float(out) if out.ndim == 0 else out


_ONE_BITS = np.float64(1.0).view(np.int64)


def _bisect_bits(lo: np.ndarray, hi: np.ndarray, above: Any) -> tuple[np.ndarray, np.ndarray]:
    """Bisect on the int64 views of non-negative floats: ``above(p)`` is True to the right of the root.

    Invariant: ``above(lo)`` is False and ``above(hi)`` is True (or hi is the end point). Returns the
    final adjacent (or equal) pair ``(lo, hi)`` as floats.
    """
    lo_b = lo.view(np.int64).copy()
    hi_b = hi.view(np.int64).copy()
    for _ in range(70):  # 64 halvings suffice for any pair of non-negative floats
        gap = hi_b - lo_b
        active = gap > 1
        if not active.any():
            break
        mid_b = lo_b + gap // 2
        mid = mid_b.view(np.float64)
        go_left = above(mid) & active
        hi_b = np.where(go_left, mid_b, hi_b)
        lo_b = np.where(active & ~go_left, mid_b, lo_b)
    return lo_b.view(np.float64), hi_b.view(np.float64)


def kl_inv(q: Any, c: Any) -> Any:
    r"""Upper inverse of the binary kl: the largest :math:`p` with :math:`\mathrm{kl}(q\|p) \le c`.

    .. math::
        \mathrm{kl}^{-1}(q, c) = \sup\{p \in [q, 1] : \mathrm{kl}(q \,\|\, p) \le c\}.

    This is how every PAC-Bayes-kl bound is read: from :math:`\mathrm{kl}(\hat R \| R) \le c` follows
    :math:`R \le \mathrm{kl}^{-1}(\hat R, c)`. Closed forms at the edges: :math:`c = 0` gives :math:`q`;
    :math:`q = 0` gives :math:`1 - e^{-c}` (``-expm1(-c)``); :math:`q = 1` or :math:`c = \infty` gives 1.

    Parameters
    ----------
    q : float or array_like
        The empirical value, in [0, 1].
    c : float or array_like
        The level, :math:`\ge 0` (``inf`` allowed). Broadcast against ``q``.

    Returns
    -------
    float or ndarray
        In :math:`[q, 1]`; a float when both inputs are scalars.

    Notes
    -----
    Bisection on the bit patterns of floats (module docstring) returns the smaller of the two adjacent
    floats that bracket the root from above, i.e. the first float at which the computed
    :math:`\mathrm{kl}(q\|p)` exceeds :math:`c`: the result is never below the root of the computed
    divergence. The computed divergence has absolute error of a few units of :math:`10^{-16}\,\mathrm{kl}`
    (each ``log1p`` term is relatively accurate), so the root moves by about
    :math:`10^{-16}\,\mathrm{kl}/\partial_p \mathrm{kl}` with :math:`\partial_p\mathrm{kl} = (p-q)/(p(1-p))`,
    i.e. by at most a few units of :math:`10^{-16}\,p(1-p)\,\mathrm{kl}/(p-q)`: far below :math:`10^{-12}`
    (the tests compare with a 50-digit mpmath root).

    References
    ----------
    Seeger (2002), "PAC-Bayesian generalisation error bounds for Gaussian process classification",
    JMLR 3; Maurer (2004), "A note on the PAC Bayesian theorem", arXiv:cs/0411099 (the bound the inverse
    reads).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.pacbayes import kl, kl_inv
    >>> p = kl_inv(0.1, 0.05)
    >>> bool(p > 0.1 and np.isclose(kl(0.1, p), 0.05, rtol=1e-12))
    True
    >>> bool(np.isclose(kl_inv(0.0, 2.0), 1 - np.exp(-2.0)))
    True
    """
    qa = _as_float_array(q, "q")
    ca = _as_float_array(c, "c")
    _check_unit(qa, "q")
    _check_level(ca, "c")
    qa, ca = np.broadcast_arrays(qa, ca)
    qf = qa.ravel()
    cf = ca.ravel()
    out = np.ones(qf.shape)
    zero_q = qf == 0.0
    with np.errstate(over="ignore"):
        out[zero_q] = -np.expm1(-cf[zero_q])
    out[cf == 0.0] = qf[cf == 0.0]
    todo = (qf > 0.0) & (qf < 1.0) & (cf > 0.0) & np.isfinite(cf)
    if todo.any():
        qt, ct = qf[todo], cf[todo]
        # the end point 1 is the answer when kl(q || 1^-) stays <= c, i.e. never: kl -> inf as p -> 1.
        lo, hi = qt.copy(), np.ones_like(qt)
        lo, hi = _bisect_bits(lo, hi, lambda p: _kl_unchecked(qt, p) > ct)
        out[todo] = hi
    result = out.reshape(qa.shape)
    return float(result) if result.ndim == 0 else result


def kl_inv_lower(q: Any, c: Any) -> Any:
    r"""Lower inverse of the binary kl: the smallest :math:`p` with :math:`\mathrm{kl}(q\|p) \le c`.

    .. math::
        \mathrm{kl}^{-1}_{\mathrm{low}}(q, c) = \inf\{p \in [0, q] : \mathrm{kl}(q \,\|\, p) \le c\},

    the lower end of a kl confidence interval (:math:`R \ge \mathrm{kl}^{-1}_{\mathrm{low}}(\hat R, c)`).
    Symmetry: :math:`\mathrm{kl}^{-1}_{\mathrm{low}}(q, c) = 1 - \mathrm{kl}^{-1}(1 - q, c)` up to rounding;
    it is computed directly (bit bisection on :math:`[0, q]`, the lower float of the final pair) so that
    small values keep their relative accuracy. :math:`q = 1` gives :math:`e^{-c}`.

    Parameters
    ----------
    q : float or array_like
        In [0, 1].
    c : float or array_like
        :math:`\ge 0` (``inf`` allowed).

    Returns
    -------
    float or ndarray
        In :math:`[0, q]`.

    References
    ----------
    Seeger (2002), JMLR 3; Maurer (2004), arXiv:cs/0411099.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.pacbayes import kl, kl_inv_lower
    >>> p = kl_inv_lower(0.3, 0.02)
    >>> bool(p < 0.3 and np.isclose(kl(0.3, p), 0.02, rtol=1e-12))
    True
    """
    qa = _as_float_array(q, "q")
    ca = _as_float_array(c, "c")
    _check_unit(qa, "q")
    _check_level(ca, "c")
    qa, ca = np.broadcast_arrays(qa, ca)
    qf = qa.ravel()
    cf = ca.ravel()
    out = np.zeros(qf.shape)
    one_q = qf == 1.0
    with np.errstate(under="ignore"):
        out[one_q] = np.exp(-cf[one_q])
    out[cf == 0.0] = qf[cf == 0.0]
    todo = (qf > 0.0) & (qf < 1.0) & (cf > 0.0) & np.isfinite(cf)
    if todo.any():
        qt, ct = qf[todo], cf[todo]
        lo, hi = np.zeros_like(qt), qt.copy()
        # "above" the root means kl <= c (p closer to q): the answer is the lower float of the pair
        lo, hi = _bisect_bits(lo, hi, lambda p: _kl_unchecked(qt, p) <= ct)
        out[todo] = lo  # the last float at which kl > c: never above the root
    result = out.reshape(qa.shape)
    return float(result) if result.ndim == 0 else result
