"""An exact worst-case margin for tiny ReLU / max-pooling networks, independent of radbound.certify.

On each activation pattern (the sign of every ReLU input and the arg-max of every pooling window)
the network is affine and the pattern is a polyhedron of inputs; the worst-case margin is the
minimum, over feasible patterns and classes k != y, of a linear program (l_inf ball, with or
without a clip box: scipy's HiGHS) or a second-order cone program (l2 ball: cvxpy). Patterns are
enumerated depth first, a branch being dropped as soon as its polyhedron misses the threat set.
Exponential in the number of units: tiny networks only.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linprog

from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, ReLU, unrolled_matrix


def _bounds(x, eps, clip):
    lo, hi = x - eps, x + eps
    if clip is not None:
        lo, hi = np.maximum(lo, clip[0]), np.minimum(hi, clip[1])
    return list(zip(lo, hi))


class ExactMargin:
    def __init__(self, net, x, eps, *, norm=math.inf, clip=None):
        self.net, self.x, self.eps, self.norm, self.clip = net, np.asarray(x, float).ravel(), eps, norm, clip
        self.d = self.x.size
        self.box = _bounds(self.x, eps, clip)
        self.n_lp = 0

    # -- convex programs over the threat set intersected with {G x <= h}
    def _solve(self, c, G, h):
        """min c^T x over the set and G x <= h; None when infeasible."""
        self.n_lp += 1
        if math.isinf(self.norm):
            res = linprog(
                c,
                A_ub=G if len(G) else None,
                b_ub=h if len(h) else None,
                bounds=self.box,
                method="highs",
            )
            if res.status == 2:
                return None
            assert res.status == 0, res.message
            return float(res.fun)
        import cvxpy as cp

        v = cp.Variable(self.d)
        cons = [cp.norm(v - self.x, self.norm) <= self.eps]
        if self.clip is not None:
            cons += [v >= self.clip[0], v <= self.clip[1]]
        if len(G):
            cons.append(G @ v <= h + 1e-9)
        prob = cp.Problem(cp.Minimize(c @ v), cons)
        prob.solve(solver="CLARABEL")
        if prob.status in ("infeasible", "infeasible_inaccurate"):
            return None
        assert prob.status in ("optimal", "optimal_inaccurate"), prob.status
        return float(prob.value)

    def _feasible(self, G, h):
        return self._solve(np.zeros(self.d), G, h) is not None

    def margin(self, y):
        """min over the threat set of f_y - max_{k != y} f_k (binary: y f)."""
        self.best = math.inf
        self.y = y
        self._walk(0, np.eye(self.d), np.zeros(self.d), np.zeros((0, self.d)), np.zeros(0))
        return self.best

    def _walk(self, i, A, c, G, h):
        layers = self.net.layers
        if i == len(layers):
            K = A.shape[0]
            if K == 1:
                cands = [(self.y * A[0], self.y * c[0])]
            else:
                cands = [(A[self.y] - A[k], c[self.y] - c[k]) for k in range(K) if k != self.y]
            for a, a0 in cands:
                val = self._solve(a, G, h)
                if val is not None:
                    self.best = min(self.best, val + a0)
            return
        layer = layers[i]
        shape = self.net.shapes[i]
        if isinstance(layer, (Dense, Conv2d)):
            M = unrolled_matrix(layer, shape)
            b = (
                np.zeros(M.shape[0])
                if layer.bias is None
                else (
                    layer.bias
                    if isinstance(layer, Dense)
                    else np.repeat(layer.bias, M.shape[0] // layer.bias.size)
                )
            )
            self._walk(i + 1, M @ A, M @ c + b, G, h)
        elif isinstance(layer, Flatten):
            self._walk(i + 1, A, c, G, h)
        elif isinstance(layer, ReLU):
            self._relu(i, 0, A.copy(), c.copy(), G, h)
        elif isinstance(layer, MaxPool2d):
            self._pool(i, A, c, G, h)
        else:  # pragma: no cover
            raise TypeError(layer)

    def _relu(self, i, j, A, c, G, h):
        if j == A.shape[0]:
            self._walk(i + 1, A, c, G, h)
            return
        lo = self._solve(A[j], G, h)
        if lo is None:
            return
        lo += c[j]
        hi = -self._solve(-A[j], G, h) + c[j]
        if lo >= 0:
            self._relu(i, j + 1, A, c, G, h)
            return
        if hi <= 0:
            A2, c2 = A.copy(), c.copy()
            A2[j], c2[j] = 0.0, 0.0
            self._relu(i, j + 1, A2, c2, G, h)
            return
        # active branch: A_j x + c_j >= 0
        self._relu(i, j + 1, A, c, np.vstack([G, -A[j]]), np.append(h, c[j]))
        A2, c2 = A.copy(), c.copy()
        G2, h2 = np.vstack([G, A[j]]), np.append(h, -c[j])
        A2[j], c2[j] = 0.0, 0.0
        self._relu(i, j + 1, A2, c2, G2, h2)

    def _pool(self, i, A, c, G, h):
        layer = self.net.layers[i]
        C, H, W = self.net.shapes[i]
        _, oh, ow = self.net.shapes[i + 1]
        (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
        idx = np.arange(C * H * W).reshape(C, H, W)
        windows = []
        for ch in range(C):
            for a in range(oh):
                for b in range(ow):
                    windows.append(idx[ch, a * sh : a * sh + kh, b * sw : b * sw + kw].ravel())
        self._pool_rec(i, windows, 0, [], A, c, G, h)

    def _pool_rec(self, i, windows, w, chosen, A, c, G, h):
        if w == len(windows):
            rows = np.array(chosen)
            self._walk(i + 1, A[rows], c[rows], G, h)
            return
        win = windows[w]
        for j in win:
            others = [t for t in win if t != j]
            Gn = np.vstack([G] + [A[t] - A[j] for t in others]) if others else G
            hn = np.concatenate([h, [c[j] - c[t] for t in others]]) if others else h
            if self._feasible(Gn, hn):
                self._pool_rec(i, windows, w + 1, chosen + [j], A, c, Gn, hn)


def exact_margins(net, X, y, eps, *, norm=math.inf, clip=None):
    """Exact worst-case margins of each row of X (flat inputs)."""
    X = np.asarray(X, float).reshape(len(X), -1)
    return np.array([ExactMargin(net, x, eps, norm=norm, clip=clip).margin(yi) for x, yi in zip(X, y)])
