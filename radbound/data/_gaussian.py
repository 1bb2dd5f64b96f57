r"""A synthetic binary distribution whose true risks are known in closed form.

Ground truth for bounds: a bound on the true (natural or adversarial) risk of a linear classifier
can be checked draw by draw on :class:`GaussianMixture`, because the risk it bounds is a normal
CDF, not an estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from .._lp import dual_exponent, norm, ramp
from .._validation import (
    check_exponent,
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_random_state,
)
from ._dataset import Dataset

__all__ = ["GaussianMixture"]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _norm_cdf(u: np.ndarray) -> np.ndarray:
    r""":math:`\Phi(u)`, accurate in both tails (``erfc`` form), ``u`` may be +-inf."""
    return 0.5 * special.erfc(-u / _SQRT2)


def _norm_pdf(u: np.ndarray) -> np.ndarray:
    r""":math:`\varphi(u)`; 0 at +-inf."""
    return _INV_SQRT_2PI * np.exp(-0.5 * u * u)


def _streams(seed: Any, k: int) -> list[np.random.Generator]:
    """``k`` independent Generators split from ``seed`` with ``SeedSequence.spawn`` (a Generator
    seed gives the entropy of the parent sequence)."""
    if isinstance(seed, np.random.Generator):
        entropy = [int(v) for v in seed.integers(0, 2**63 - 1, size=2, dtype=np.int64)]
        ss = np.random.SeedSequence(entropy)
    else:
        check_random_state(seed)  # validates the type and sign
        ss = np.random.SeedSequence(None if seed is None else int(seed))
    return [np.random.default_rng(c) for c in ss.spawn(k)]


def _ramp_antiderivative(u: np.ndarray) -> np.ndarray:
    r""":math:`G(u) = u\Phi(u) + \varphi(u)` (so :math:`G' = \Phi`), evaluated through
    :math:`G(u) = u + G(-u)` for ``u > 0``."""
    v = -np.abs(u)
    small = v * _norm_cdf(v) + _norm_pdf(v)
    return np.where(u > 0, u + small, small)


def _gaussian_ramp(mean: np.ndarray, std: np.ndarray, margin: float) -> np.ndarray:
    r""":math:`\mathbb E\,\phi_\gamma(m)` for :math:`m \sim N(\mu, s^2)` (``s = 0``: a point mass).

    :math:`\phi_\gamma(t) = \gamma^{-1}\int_0^\gamma \mathbf 1[t \le u]\,du`, so
    :math:`\mathbb E\,\phi_\gamma(m) = \gamma^{-1}\int_0^\gamma \Phi((u-\mu)/s)\,du
    = (s/\gamma)\,[G(b) - G(a)]` with :math:`G(u) = u\Phi(u) + \varphi(u)`,
    :math:`a = -\mu/s`, :math:`b = (\gamma-\mu)/s`.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = np.where(std > 0, std, 1.0)
        a = -mean / s
        b = (margin - mean) / s
        pos = (std > 0) & np.isfinite(a) & np.isfinite(b)  # else s is negligible: a point mass
        # G(u) = u + G(-u): evaluate G on the side where Phi is small, so that G(b) - G(a) loses no
        # absolute accuracy when the margin is far from 0 on either side.
        g_a = _ramp_antiderivative(a)
        g_b = _ramp_antiderivative(b)
        smooth = (s / margin) * (g_b - g_a)
        # a margin tiny against s: G(b) - G(a) cancels (and s / margin may overflow), while the
        # midpoint rule Phi((margin / 2 - mu) / s) is exact up to (margin / s)**2 / 24 * max|phi'|,
        # below 1e-12 for margin / s < 1e-5
        step = margin < 1e-5 * s
        smooth = np.where(step, _norm_cdf((0.5 * margin - mean) / s), smooth)
    point = ramp(mean, margin)
    return np.clip(np.where(pos, smooth, point), 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    r"""Two Gaussian classes: :math:`y = +1` with probability :math:`\pi`, else :math:`-1`, and
    :math:`x \mid y \sim N(y\,\mu, \Sigma)`.

    The true risks of a linear classifier :math:`x \mapsto \operatorname{sign}(\langle w, x\rangle + b)`
    are closed forms (:meth:`risk`), natural and under an :math:`\ell_r` attack of radius
    :math:`\epsilon`: with :math:`z = x - y\mu \sim N(0, \Sigma)` the exact adversarial margin
    (attacks module, no clipping)

    .. math::
        m_\epsilon(x, y) = y(\langle w, x\rangle + b) - \epsilon\|w\|_{r^*}
        = \langle w, \mu\rangle + y\,b - \epsilon\|w\|_{r^*} + y\langle w, z\rangle

    is, given :math:`y`, normal with mean :math:`\mu_y = \langle w,\mu\rangle + y b - \epsilon\|w\|_{r^*}`
    and standard deviation :math:`s = \sqrt{w^\top \Sigma w}`. Hence the adversarial 0-1 risk
    :math:`P(m_\epsilon \le 0) = \sum_y \pi_y \Phi(-\mu_y / s)` and the ramp risk
    :math:`\mathbb E\,\phi_\gamma(m_\epsilon) = \sum_y \pi_y (s/\gamma)[G((\gamma-\mu_y)/s) - G(-\mu_y/s)]`,
    :math:`G(u) = u\Phi(u) + \varphi(u)` (derived in :doc:`/theory/ground_truth`).

    Parameters
    ----------
    mean : array_like, shape (d,)
        The class mean :math:`\mu` (class :math:`-1` has mean :math:`-\mu`).
    scale : float, default 1.0
        Isotropic standard deviation: :math:`\Sigma = \text{scale}^2 I`. Ignored when ``cov`` is given.
    cov : array_like, optional
        Shape ``(d,)``: the diagonal of :math:`\Sigma` (variances); shape ``(d, d)``: a full symmetric
        positive semi-definite :math:`\Sigma`.
    prior : float, default 0.5
        :math:`\pi = P(y = +1)`, in (0, 1).
    name : str, default "gaussian-mixture"
        Name given to sampled :class:`Dataset` objects.

    Notes
    -----
    Binary only. For K > 2 classes the risk of a linear classifier is the Gaussian measure of a
    union of K - 1 half-spaces (an orthant probability of dimension K - 1), which has no closed form;
    it is not offered rather than approximated. Ties (margin exactly 0) count as errors, as in
    :func:`radbound.attacks.linear_robust_accuracy`; they have probability 0 unless :math:`s = 0`.

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML: the closed form of the adversarial margin of a
    linear classifier (the function class of their binary linear results).
    Schmidt, Santurkar, Tsipras, Talwar & Madry (2018), "Adversarially robust generalization
    requires more data", NeurIPS: the Gaussian class-conditional model as a testbed.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from radbound.data import GaussianMixture
    >>> gm = GaussianMixture(np.array([1.0, 0.0]), scale=0.5)
    >>> w = np.array([1.0, 1.0])                 # <w, mu> = 1, ||w||_1 = 2, s = 0.5 sqrt(2)
    >>> r = gm.risk(w, 0.0, eps=0.1)
    >>> bool(np.isclose(r, norm.cdf(-(1 - 0.2) / (0.5 * np.sqrt(2)))))
    True
    >>> len(gm.sample(5, seed=0)), sorted(set(gm.sample(50, seed=0).y.tolist()))
    (5, [-1.0, 1.0])
    """

    mean: np.ndarray
    scale: float = 1.0
    cov: np.ndarray | None = None
    prior: float = 0.5
    name: str = "gaussian-mixture"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {type(self.name).__name__} {self.name!r}")
        mu = np.asarray(self.mean)
        if mu.dtype == object or not np.issubdtype(mu.dtype, np.number) or np.iscomplexobj(mu):
            raise TypeError(f"mean must be a 1-D array of real numbers, got dtype {mu.dtype}")
        if mu.ndim != 1 or mu.size == 0:
            raise ValueError(f"mean must be a non-empty 1-D array, got shape {mu.shape}")
        mu = mu.astype(np.float64)
        if not np.isfinite(mu).all():
            raise ValueError("mean must contain only finite values (found NaN or inf)")
        d = mu.size
        object.__setattr__(self, "mean", mu)
        object.__setattr__(self, "prior", check_probability(self.prior, "prior"))
        if self.cov is None:
            object.__setattr__(self, "scale", check_positive(self.scale, "scale"))
            return
        cov = np.asarray(self.cov)
        if cov.dtype == object or not np.issubdtype(cov.dtype, np.number) or np.iscomplexobj(cov):
            raise TypeError(f"cov must be an array of real numbers, got dtype {cov.dtype}")
        cov = cov.astype(np.float64)
        if not np.isfinite(cov).all():
            raise ValueError("cov must contain only finite values (found NaN or inf)")
        if cov.shape == (d,):
            if (cov < 0).any():
                raise ValueError(f"cov as a diagonal must be >= 0, got {float(cov.min())!r}")
        elif cov.shape == (d, d):
            if not np.allclose(cov, cov.T, rtol=0.0, atol=1e-12 * (1.0 + np.abs(cov).max())):
                raise ValueError("cov must be symmetric")
            cov = 0.5 * (cov + cov.T)
            lam_min = float(np.linalg.eigvalsh(cov)[0])
            if lam_min < -1e-10 * (1.0 + np.abs(cov).max()):
                raise ValueError(f"cov must be positive semi-definite, got smallest eigenvalue {lam_min!r}")
        else:
            raise ValueError(
                f"cov must have shape ({d},) or ({d}, {d}) for mean of length {d}, got {cov.shape}"
            )
        object.__setattr__(self, "cov", cov)

    # ------------------------------------------------------------------ properties
    @property
    def n_features(self) -> int:
        """The dimension ``d``."""
        return int(self.mean.size)

    def __repr__(self) -> str:
        if self.cov is None:
            noise = f"scale={self.scale:g}"
        else:
            noise = "cov=diag" if self.cov.ndim == 1 else "cov=full"
        return (
            f"GaussianMixture(d={self.n_features}, ||mean||_2={np.linalg.norm(self.mean):.4g}, "
            f"{noise}, prior={self.prior:g})"
        )

    def _sqrt_cov(self) -> np.ndarray:
        """A factor L with L L^T = Sigma for a full covariance (eigen-decomposition: PSD allowed)."""
        vals, vecs = np.linalg.eigh(np.asarray(self.cov))
        return vecs * np.sqrt(np.clip(vals, 0.0, None))

    def _quadratic_form(self, W: np.ndarray) -> np.ndarray:
        r""":math:`w^\top \Sigma w` for each row of W."""
        if self.cov is None:
            return self.scale**2 * np.einsum("ij,ij->i", W, W)
        if self.cov.ndim == 1:
            return np.einsum("ij,j,ij->i", W, self.cov, W)
        return np.einsum("ij,jk,ik->i", W, self.cov, W)

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, *, seed: Any = None) -> Dataset:
        r"""Draw ``n`` iid pairs :math:`(x_i, y_i)`.

        Parameters
        ----------
        n : int
            Number of samples, >= 1.
        seed : int, numpy Generator or None
            Randomness (None draws fresh entropy). The labels and the noise come from two streams
            split from ``seed`` with ``SeedSequence.spawn``, so ``sample(n + k, seed=s)`` extends
            ``sample(n, seed=s)`` (for an int ``seed``).

        Returns
        -------
        Dataset
            ``X`` of shape ``(n, d)`` (float64), ``y`` in {-1.0, +1.0} (float64), the same type as
            :func:`radbound.data.load_mnist` returns.

        Examples
        --------
        >>> import numpy as np
        >>> from radbound.data import GaussianMixture
        >>> ds = GaussianMixture(np.ones(3), scale=1e-9).sample(4, seed=1)   # x ~ y * mean
        >>> bool(np.allclose(ds.X, ds.y[:, None] * np.ones(3)))
        True
        """
        n = check_int(n, "n", minimum=1)
        if n * (self.n_features + 2) * 8 > 2 * 1024**3:
            raise ValueError(
                f"n={n:,} samples of {self.n_features} features would need "
                f"{n * (self.n_features + 2) * 8 / 2**30:.3g} GiB, above the limit of 2 GiB; draw fewer"
            )
        label_rng, noise_rng = _streams(seed, 2)
        y = np.where(label_rng.random(n) < self.prior, 1.0, -1.0)
        d = self.n_features
        Z = noise_rng.standard_normal((n, d))
        if self.cov is None:
            Z *= self.scale
        elif self.cov.ndim == 1:
            Z *= np.sqrt(self.cov)
        else:
            Z = Z @ self._sqrt_cov().T
        X = y[:, None] * self.mean + Z
        return Dataset(X, y, source=repr(self), name=self.name)

    # ------------------------------------------------------------------ risks
    def margin_distribution(
        self, W: Any, b: Any = 0.0, *, eps: float = 0.0, attack_norm: float = math.inf
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Parameters of the (adversarial) margin's law given each label.

        Returns ``(mean_pos, mean_neg, std)``, each of shape ``(m,)`` for ``m`` weight vectors:
        given :math:`y = \pm 1`, :math:`m_\epsilon \sim N(\mu_{\pm}, s^2)` with
        :math:`\mu_\pm = \langle w, \mu\rangle \pm b - \epsilon\|w\|_{r^*}`, :math:`s^2 = w^\top\Sigma w`.

        Parameters
        ----------
        W, b, eps, attack_norm
            As in :meth:`risk`.

        Examples
        --------
        >>> import numpy as np
        >>> from radbound.data import GaussianMixture
        >>> mp, mn, s = GaussianMixture(np.array([2.0]), scale=3.0).margin_distribution([1.0], 0.5)
        >>> bool(np.allclose([mp[0], mn[0], s[0]], [2.5, 1.5, 3.0]))
        True
        """
        W2, b2, _ = self._check_model(W, b)
        eps = check_nonnegative(eps, "eps")
        r = check_exponent(attack_norm, "attack_norm")
        loc = W2 @ self.mean
        if eps > 0:
            loc = loc - eps * norm(W2, dual_exponent(r))
        std = np.sqrt(np.maximum(self._quadratic_form(W2), 0.0))
        return loc + b2, loc - b2, std

    def _check_model(self, W: Any, b: Any) -> tuple[np.ndarray, np.ndarray, bool]:
        d = self.n_features
        arr = np.asarray(W)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise TypeError(f"W must be an array of real numbers, got dtype {arr.dtype}")
        if arr.ndim not in (1, 2) or arr.shape[-1] != d:
            raise ValueError(
                f"W must have shape ({d},) or (m, {d}) (several binary weight vectors), got {arr.shape}"
            )
        single = arr.ndim == 1
        W2 = np.atleast_2d(arr.astype(np.float64))
        if not np.isfinite(W2).all():
            raise ValueError("W must contain only finite values (found NaN or inf)")
        m = W2.shape[0]
        if b is None:
            b = 0.0
        barr = np.asarray(b)
        if barr.dtype == object or not np.issubdtype(barr.dtype, np.number) or np.iscomplexobj(barr):
            raise TypeError(
                f"b must be a real number or an array of {m} real numbers, got dtype {barr.dtype}"
            )
        barr = barr.astype(np.float64)
        if barr.ndim == 0 or barr.shape == (1,):
            barr = np.full(m, float(barr.reshape(-1)[0]))
        elif barr.shape != (m,):
            raise ValueError(f"b must be a scalar or have shape ({m},) to match W, got {barr.shape}")
        if not np.isfinite(barr).all():
            raise ValueError("b must contain only finite values (found NaN or inf)")
        return W2, barr, single

    def risk(
        self,
        W: Any,
        b: Any = 0.0,
        *,
        eps: float = 0.0,
        attack_norm: float = math.inf,
        margin: float | None = None,
    ) -> Any:
        r"""Exact true risk of the binary linear classifier :math:`\mathrm{sign}(\langle w, x\rangle + b)`.

        .. math::
            R_\epsilon(w, b) = P\Big(\min_{\|x'-x\|_r \le \epsilon} y(\langle w, x'\rangle + b) \le 0\Big)
            = \pi\,\Phi\!\Big(-\frac{\mu_+}{s}\Big) + (1-\pi)\,\Phi\!\Big(-\frac{\mu_-}{s}\Big),

        :math:`\mu_\pm = \langle w,\mu\rangle \pm b - \epsilon\|w\|_{r^*}`, :math:`s = \sqrt{w^\top\Sigma w}`
        (natural risk at ``eps = 0``). With ``margin`` :math:`=\gamma` the ramp risk
        :math:`\mathbb E\,\phi_\gamma(m_\epsilon)`,
        :math:`\phi_\gamma(t) = \min\{1, \max\{0, 1 - t/\gamma\}\}`, the quantity the margin bounds
        bound (it is at least the 0-1 risk):

        .. math::
            \mathbb E\,\phi_\gamma(m_\epsilon) = \sum_{\pm} \pi_\pm \frac{s}{\gamma}
            \Big[G\Big(\frac{\gamma-\mu_\pm}{s}\Big) - G\Big(-\frac{\mu_\pm}{s}\Big)\Big],
            \qquad G(u) = u\,\Phi(u) + \varphi(u).

        When :math:`s = 0` (``w = 0`` or a degenerate :math:`\Sigma`) the margin is constant and the
        risk is its loss. Convention: ties count as errors.

        Parameters
        ----------
        W : array_like, shape (d,) or (m, d)
            One weight vector, or ``m`` of them (one risk each).
        b : float or array_like of shape (m,), default 0.0
            Bias (None means 0).
        eps : float, default 0.0
            Attack radius :math:`\epsilon \ge 0` (no pixel clipping).
        attack_norm : float, default inf
            The attack's norm r; the dual norm :math:`r^*` of ``w`` enters.
        margin : float, optional
            Ramp width :math:`\gamma > 0`; None gives the 0-1 risk.

        Returns
        -------
        float or ndarray
            A float for one ``w``, an array of shape ``(m,)`` otherwise.

        References
        ----------
        Yin, Ramchandran & Bartlett (2019), ICML: the adversarial margin of a linear classifier.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy.stats import norm
        >>> from radbound.data import GaussianMixture
        >>> gm = GaussianMixture(np.array([1.0, -1.0]), scale=2.0, prior=0.3)
        >>> w, b = np.array([1.0, 0.0]), 0.5           # mu_+ = 1.5, mu_- = 0.5, s = 2
        >>> exact = 0.3 * norm.cdf(-1.5 / 2) + 0.7 * norm.cdf(-0.5 / 2)
        >>> bool(np.isclose(gm.risk(w, b), exact))
        True
        >>> bool(gm.risk(w, b, margin=0.1) >= gm.risk(w, b))
        True
        """
        single = np.ndim(W) == 1
        if margin is not None:
            margin = check_positive(margin, "margin")
        mp, mn, s = self.margin_distribution(W, b, eps=eps, attack_norm=attack_norm)
        if margin is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                pos = s > 0
                safe = np.where(pos, s, 1.0)
                rp = np.where(pos, _norm_cdf(-mp / safe), (mp <= 0).astype(float))
                rn = np.where(pos, _norm_cdf(-mn / safe), (mn <= 0).astype(float))
        else:
            rp = _gaussian_ramp(mp, s, margin)
            rn = _gaussian_ramp(mn, s, margin)
        out = self.prior * rp + (1.0 - self.prior) * rn
        return float(out[0]) if single else out

    def bayes_risk(self) -> float:
        r"""Natural risk of the best linear classifier when :math:`\pi = 1/2`:
        :math:`\Phi(-\sqrt{\mu^\top\Sigma^{-1}\mu})` (Fisher's discriminant; pseudo-inverse for a
        singular :math:`\Sigma`, 0 when :math:`\mu` leaves its range).

        Raises ``ValueError`` for an unequal prior (the optimal bias then depends on the noise).

        Examples
        --------
        >>> import numpy as np
        >>> from scipy.stats import norm
        >>> from radbound.data import GaussianMixture
        >>> gm = GaussianMixture(np.array([3.0, 4.0]), scale=5.0)
        >>> bool(np.isclose(gm.bayes_risk(), norm.cdf(-1.0)))
        True
        """
        if self.prior != 0.5:
            raise ValueError(
                f"bayes_risk needs prior 0.5 (the optimal bias is then 0), got prior={self.prior!r}"
            )
        if self.cov is None:
            w = self.mean / self.scale**2
        elif self.cov.ndim == 1:
            with np.errstate(divide="ignore"):
                if np.any((self.cov == 0) & (self.mean != 0)):
                    return 0.0
                w = np.where(self.cov > 0, self.mean / np.where(self.cov > 0, self.cov, 1.0), 0.0)
        else:
            w = np.linalg.pinv(self.cov, hermitian=True) @ self.mean
            if not np.allclose(self.cov @ w, self.mean, atol=1e-9 * (1.0 + np.abs(self.mean).max())):
                return 0.0
        return float(_norm_cdf(-np.array(math.sqrt(max(float(w @ self.mean), 0.0)))))
