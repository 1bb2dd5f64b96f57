r"""Vectorised suprema of binary linear classes, and their structured exact enumeration.

With :math:`u(\tau) = \sum_i \tau_i x_i` and :math:`s(\tau) = \sum_i \tau_i y_i`
(the substitution :math:`\tau_i = \sigma_i y_i` leaves the uniform law of the
signs unchanged, so the natural and adversarial classes are evaluated on the
SAME vectors :math:`u`), the per-sign-vector suprema are (:doc:`/theory/binary_linear`)

* natural: :math:`W \|u\|_q`;
* :math:`\ell_\infty` attack, any :math:`p`: :math:`W \|(|u| - \epsilon s)_+\|_q`;
* attack norm dual to :math:`p` (:math:`r^* = p`): :math:`W (\|u\|_q - \epsilon s)_+`.

Structure used by the exact enumeration:

* symmetry: :math:`\tau` and :math:`-\tau` share :math:`|u|` and have opposite
  :math:`s`, so only the :math:`2^{n-1}` vectors with :math:`\tau_n = +1` are
  formed; for each, ``plus`` (value at :math:`\lambda = \epsilon|s|`) and
  ``minus`` (at :math:`-\epsilon|s|`) are computed from one :math:`|u|`, the
  latter in closed form for :math:`q \in \{1, 2, \infty\}`;
* blocks: the :math:`2^k` partial sums of a low block of rows are formed with one
  matrix product, and every :math:`u` is the sum of a high-block and a low-block
  partial sum (no product per sign vector), processed in cache-sized tiles;
* :math:`q = 2` natural class: :math:`\|u\|_2^2 = \tau^\top G \tau` with the Gram
  matrix :math:`G = XX^\top`, split into high/low blocks, so the whole
  enumeration costs matrix products of size :math:`2^{n-1} \times k`; entries
  whose cancellation could cost accuracy are recomputed directly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import Backend, TorchBackend
from .._lp import row_power_norm_
from ._engine import _CHUNK_ELEMENTS, _enumeration_progress, _Oracle
from ._signs import draw_packed, signs_from_codes, unpack_signs

#: Elements of ``u`` processed per tile in the exact enumeration (fits in L2 cache).
_TILE_ELEMENTS = 2**17
#: Elements allowed for the precomputed low-block partial sums.
_LOW_BLOCK_ELEMENTS = 2**21
#: Gram entries whose value is below ``_GRAM_GUARD * sum|G|`` are recomputed directly
#: (keeps the relative error of each norm below ~1e-11 despite cancellation).
_GRAM_GUARD = 1e-3


def times_pow2(A: Any, k: int) -> Any:
    """``A * 2**k`` for a numpy array or tensor, exactly (two factors, so ``|k|`` up to 2098 is fine)."""
    if k == 0:
        return A
    h = k // 2
    return (A * 2.0**h) * 2.0 ** (k - h)


def _rows(nx: Backend, signs_np: np.ndarray, A: Any) -> Any:
    """``signs @ A`` on the backend (``A`` may have zero rows)."""
    if signs_np.shape[1] == 0:
        return nx.zeros((signs_np.shape[0],) + tuple(A.shape[1:]))
    return nx.matmul(nx.asarray(signs_np), A)


def _high_signs(codes: np.ndarray, h: int) -> np.ndarray:
    """Signs of the high block: ``h`` free bits, then the last sign fixed to +1."""
    free = signs_from_codes(codes, h)
    return np.concatenate([free, np.ones((free.shape[0], 1))], axis=1)


class LinearOracle(_Oracle):
    """Suprema of the natural or adversarial binary linear class.

    Parameters
    ----------
    X : backend array (n, d)
    y : numpy array (n,) of +-1, or None for the natural class
    q : dual exponent of ``p``
    eps : attack radius (ignored when ``y`` is None)
    mode : "natural", "inf" (l_inf attack) or "dual" (attack norm dual to p)
    radius : W
    """

    def __init__(
        self, X: Any, y: np.ndarray | None, *, q: float, eps: float, mode: str, radius: float, nx: Backend
    ) -> None:
        super().__init__(X.shape[0], nx)
        # The suprema are positively homogeneous in (X, eps): data far from 1 in magnitude is scaled
        # by an exact power of two (so squares and power sums neither overflow nor underflow) and the
        # results scaled back; ordinary data (within 2**+-200) is used as it is.
        # The radius is split the same way, radius = scale * 2**e with scale in [0.5, 1): the columns
        # are computed in units of 2**(exp2 + e) and the engine scales the averages back
        # (column_exp2), so a finite answer is finite whatever the scale of X, eps and radius.
        top = max(nx.item(nx.max(nx.abs(X))), float(eps))
        self.exp2 = math.frexp(top)[1] if (top > 2.0**200 or 0.0 < top < 2.0**-200) else 0
        self.X = times_pow2(X, -self.exp2)
        self.d = int(X.shape[1])
        self.q = q
        self.eps = math.ldexp(float(eps), -self.exp2)
        self.mode = mode
        self.radius = float(radius)
        self.scale, radius_exp2 = math.frexp(self.radius)  # multiplies the suprema of the scaled data
        self.adversarial = y is not None
        e = self.exp2 + radius_exp2
        self.column_exp2 = (e, e, 0) if self.adversarial else (e,)
        self.overflow_names = "X, eps or radius" if self.adversarial else "X or radius"
        # set exactly when the class is adversarial (y given): typed Any so the adversarial paths index them
        self.y: Any = None if y is None else nx.asarray(y)
        self.y_np: Any = None if y is None else np.asarray(y, dtype=np.float64)
        self.columns = ("value", "natural", "abs_s") if self.adversarial else ("value",)

    # ------------------------------------------------------------------ per-row maths
    def default_chunk(self) -> int:
        # u of the chunk holds <= _CHUNK_ELEMENTS floats; its packed signs take <= 8 * _CHUNK_ELEMENTS bytes
        return max(2, min(_CHUNK_ELEMENTS // self.d, 64 * _CHUNK_ELEMENTS // self.n))

    def _natural(self, U: Any) -> Any:
        """``||u||_q`` for each row (``U`` may be overwritten)."""
        nx, q = self.nx, self.q
        if q == 2.0:
            return nx.sqrt(nx.rowdot(U))
        if math.isinf(q):
            return nx.rowmax(nx.abs_(U))
        if q == 1.0:
            return nx.rowsum(nx.abs_(U))
        return row_power_norm_(nx, U, q)

    def _pair(self, U: Any, a: Any) -> tuple[Any, Any, Any]:
        """``(natural, plus, minus)`` per row: values at lam = +a and lam = -a (a >= 0).

        ``U`` (the rows of u) is overwritten.
        """
        nx, q, d = self.nx, self.q, self.d
        if self.mode == "dual":
            nat = self._natural(U)
            return nat, nx.maximum(nat - a, 0.0), nat + a
        nx.abs_(U)
        if math.isinf(q):
            nat = nx.rowmax(U)
            return nat, nx.maximum(nat - a, 0.0), nat + a
        if q == 1.0:
            nat = nx.rowsum(U)
            nx.relu_(nx.sub_(U, a[:, None]))
            return nat, nx.rowsum(U), nat + d * a
        if q == 2.0:
            l1 = nx.rowsum(U)
            sq = nx.rowdot(U)
            nx.relu_(nx.sub_(U, a[:, None]))
            plus = nx.sqrt(nx.rowdot(U))
            minus = nx.sqrt(sq + a * (2.0 * l1 + d * a))
            return nx.sqrt(sq), plus, minus
        nat = row_power_norm_(nx, nx.copy(U), q)
        minus = row_power_norm_(nx, U + a[:, None], q)
        nx.relu_(nx.sub_(U, a[:, None]))
        plus = row_power_norm_(nx, U, q)
        return nat, plus, minus

    def _columns_np(self, cols: list[Any]) -> np.ndarray:
        out = np.stack([np.asarray(self.nx.to_numpy(c), dtype=np.float64) for c in cols], axis=1)
        out[:, 0] *= self.scale
        if self.adversarial:
            out[:, 1] *= self.scale
        return out

    # ------------------------------------------------------------------ Monte Carlo
    def _finish(self, U: Any, s: Any, antithetic: bool) -> np.ndarray:
        """Columns from the rows ``u`` (overwritten) and ``s`` of a batch of draws."""
        nx = self.nx
        if not self.adversarial:
            return self._columns_np([self._natural(U)])
        abs_s = nx.abs(s)
        if self.eps == 0.0:
            nat = self._natural(U)
            return self._columns_np([nat, nat, abs_s])
        nat, plus, minus = self._pair(U, self.eps * abs_s)
        value = 0.5 * (plus + minus) if antithetic else nx.where(s >= 0, plus, minus)
        return self._columns_np([value, nat, abs_s])

    def values(self, signs: Any) -> np.ndarray:
        s = self.nx.matmul(signs, self.y) if self.adversarial else None
        return self._finish(self.nx.matmul(signs, self.X), s, False)

    def pair_means(self, signs: Any) -> np.ndarray:
        s = self.nx.matmul(signs, self.y) if self.adversarial else None
        return self._finish(self.nx.matmul(signs, self.X), s, True)

    def draw(self, rng: np.random.Generator, m: int, antithetic: bool) -> np.ndarray:
        """``u`` and ``s`` of ``m`` draws, accumulated over blocks of columns of the sign matrix.

        The draws are packed bits (n/8 bytes each); only an ``(m, nb)`` block of
        signs is unpacked at a time, so memory stays ``O(m (d + nb) + m n / 8)``
        while each product is a large, efficient matrix product.
        """
        nx, n = self.nx, self.n
        packed = draw_packed(rng, m, n)
        nb = max(8, (_CHUNK_ELEMENTS // m) // 8 * 8)
        U = s = None
        for b0 in range(0, n, nb):
            b1 = min(n, b0 + nb)
            Sb = nx.asarray(unpack_signs(packed, b0, b1))
            part = nx.matmul(Sb, self.X[b0:b1])
            U = part if U is None else nx.add_out(U, part, U)
            if self.adversarial:
                sp = nx.matmul(Sb, self.y[b0:b1])
                s = sp if s is None else s + sp
            del Sb, part
        return self._finish(U, s, antithetic)

    # ------------------------------------------------------------------ exact enumeration
    def exact_sums(self, chunk: int) -> np.ndarray:
        """Column sums over all 2**n sign vectors, from the 2**(n-1) representatives."""
        natural_only = not self.adversarial or self.eps == 0.0
        if natural_only and self.q == 2.0:
            nat_total = self._gram_natural_total()
        elif natural_only:
            nat_total = self._tile_totals()[0]
        if not self.adversarial:
            return np.array([2.0 * nat_total * self.scale])
        if natural_only:
            abs_s_total = self._abs_s_total()
            tot = np.array([nat_total, nat_total, abs_s_total]) * 2.0
        else:
            nat_total, pair_total, abs_s_total = self._tile_totals()
            tot = np.array([pair_total, 2.0 * nat_total, 2.0 * abs_s_total])
        tot[:2] *= self.scale
        return tot

    def _split(self, budget: int) -> tuple[int, int]:
        """Low and high free bits: k with 2**k * d <= budget, and h = n - 1 - k."""
        nr = self.n - 1
        k = min(nr, max(0, int(math.floor(math.log2(max(budget // self.d, 1))))))
        return k, nr - k

    def _abs_s_total(self) -> float:
        """Sum of |s| over the representatives (tau_n = +1), chunked."""
        y = self.y_np
        k = min(self.n - 1, 16)
        h = self.n - 1 - k
        sL = signs_from_codes(np.arange(2**k), k) @ y[:k] if k else np.zeros(1)
        total = 0.0
        step = max(1, 2**20 // sL.shape[0])
        for start in range(0, 2**h, step):
            codes = np.arange(start, min(2**h, start + step))
            sH = _high_signs(codes, h) @ y[k:]
            total += float(np.abs(sH[:, None] + sL[None, :]).sum())
        return total

    def _tile_totals(self) -> tuple[float, float, float]:
        """(sum of natural, sum of plus+minus, sum of |s|) over the representatives."""
        nx, d = self.nx, self.d
        k, h = self._split(_LOW_BLOCK_ELEMENTS)
        L = 2**k
        SL = signs_from_codes(np.arange(L), k)
        UL = _rows(nx, SL, self.X[:k])
        adversarial = self.adversarial and self.eps != 0.0
        if adversarial:
            sL = nx.asarray(SL @ self.y_np[:k])
        rows = max(1, _TILE_ELEMENTS // d)
        hb, lb = (1, rows) if L >= rows else (max(1, rows // L), L)
        buf = nx.empty((hb * lb, d))
        hchunk = max(hb, (_LOW_BLOCK_ELEMENTS // d) // hb * hb)
        nat_t = pair_t = abs_t = 0.0
        progress = _enumeration_progress(self.n)
        for hstart in range(0, 2**h, hchunk):
            SH = _high_signs(np.arange(hstart, min(2**h, hstart + hchunk)), h)
            progress.advance(2 * SH.shape[0] * L)  # each representative stands for two sign vectors
            UH = _rows(nx, SH, self.X[k:])
            if adversarial:
                sH = nx.asarray(SH @ self.y_np[k:])
            for h0 in range(0, SH.shape[0], hb):
                h1 = min(h0 + hb, SH.shape[0])
                for l0 in range(0, L, lb):
                    l1 = min(l0 + lb, L)
                    m = (h1 - h0) * (l1 - l0)
                    tile = buf[:m].reshape(h1 - h0, l1 - l0, d)
                    nx.add_out(UH[h0:h1, None, :], UL[None, l0:l1, :], tile)
                    U = tile.reshape(m, d)
                    if not adversarial:
                        nat_t += nx.item(nx.sum(self._natural(U)))
                        continue
                    s = nx.abs((sH[h0:h1, None] + sL[None, l0:l1]).reshape(m))
                    nat, plus, minus = self._pair(U, self.eps * s)
                    nat_t += nx.item(nx.sum(nat))
                    pair_t += nx.item(nx.sum(plus + minus))
                    abs_t += nx.item(nx.sum(s))
        progress.finish()
        return nat_t, pair_t, abs_t

    def _gram_natural_total(self) -> float:
        """Sum of ||u||_2 over the representatives via the Gram matrix, guarded against cancellation."""
        nx, X = self.nx, self.X
        nr = self.n - 1
        G = nx.matmul(X, nx.transpose(X))
        scale = nx.item(nx.sum(nx.abs(G)))
        k = min(nr, max(0, (nr + 1) // 2), 16)
        h = nr - k
        L = 2**k
        SL_np = signs_from_codes(np.arange(L), k)
        SL = nx.asarray(SL_np)
        Gll, Ghl, Ghh = G[:k, :k], G[k:, :k], G[k:, k:]
        qL = nx.rowsum(nx.matmul(SL, Gll) * SL) if k else nx.zeros(1)
        SLt = nx.transpose(SL)
        step = max(1, 2**20 // L)
        total = 0.0
        progress = _enumeration_progress(self.n)
        for start in range(0, 2**h, step):
            SH_np = _high_signs(np.arange(start, min(2**h, start + step)), h)
            progress.advance(2 * SH_np.shape[0] * L)  # each representative stands for two sign vectors
            SH = nx.asarray(SH_np)
            qH = nx.rowsum(nx.matmul(SH, Ghh) * SH)
            Q = qH[:, None] + qL[None, :]
            if k:
                Q = Q + 2.0 * nx.matmul(nx.matmul(SH, Ghl), SLt)
            risky = Q < _GRAM_GUARD * scale
            if bool(risky.any()):
                Q = self._recompute(Q, risky, SH_np, SL_np, k)
            total += nx.item(nx.sum(nx.sqrt(nx.maximum(Q, 0.0))))
        progress.finish()
        return total

    def _recompute(self, Q: Any, risky: Any, SH_np: np.ndarray, SL_np: np.ndarray, k: int) -> Any:
        """Replace the risky Gram entries by directly computed squared norms."""
        nx = self.nx
        rows_h, rows_l = (np.asarray(i) for i in np.nonzero(nx.to_numpy(risky)))
        vals = np.empty(rows_h.shape[0])
        step = max(1, _LOW_BLOCK_ELEMENTS // self.d)
        for a in range(0, rows_h.shape[0], step):
            b = min(a + step, rows_h.shape[0])
            signs = np.concatenate([SL_np[rows_l[a:b]], SH_np[rows_h[a:b]]], axis=1)
            U = nx.matmul(nx.asarray(signs), self.X)
            vals[a:b] = nx.to_numpy(nx.rowdot(U))
        Q = nx.copy(Q)
        if isinstance(nx, TorchBackend):
            rows_h, rows_l = (nx.torch.as_tensor(i, device=nx.device) for i in (rows_h, rows_l))
        Q[rows_h, rows_l] = nx.asarray(vals)
        return Q
