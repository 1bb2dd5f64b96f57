r"""Stochastic ReLU networks and their PAC-Bayes risk certificates (training needs torch).

A :class:`GaussianNetwork` is a diagonal Gaussian over the weights and biases of a fully connected
ReLU network :math:`f_\theta(x) = W_L\rho(\cdots\rho(W_1 x + b_1)\cdots) + b_L` (a
:class:`radbound.networks.Network` of Dense and ReLU layers). The stochastic classifier draws a fresh
:math:`\theta \sim Q` per prediction; its risk is :math:`R(Q) = \mathbb E_{\theta\sim Q} R(\theta)`.

Per-draw losses:

* natural: exact. A draw evaluated on one example is sampled layer by layer from the exact law of the
  pre-activations (each weight is used once per example, so given the previous layer's output the
  next pre-activations are independent normals; Kingma, Salimans & Welling 2015): two small products
  per layer, no weight matrix drawn;
* adversarial: an upper bound from a certificate, never an attack: the draw's adversarial 0-1 loss is
  bounded by :math:`\mathbf 1[m \le 0]` with :math:`m` the certified margin lower bound of
  :func:`radbound.certify.certified_margins` (CROWN by default, IBP or the SDP), so the bound certifies
  the risk against every perturbation of the threat set.

:func:`network_certificate` trains :math:`Q` (torch; IBP robust cross-entropy for :math:`\epsilon > 0`,
Gowal et al. 2018) and certifies it with numpy (the certificate needs no torch).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._concentration import log_ratio
from .._lp import dual_exponent, norm
from .._threads import limit_blas_threads
from .._validation import (
    as_real_array,
    check_choice,
    check_exponent,
    check_int,
    check_matrix,
    check_multiclass_labels,
    check_nonnegative,
    check_positive,
    check_probability,
    check_random_state,
    check_shape,
    is_torch_tensor,
)
from ._common import (
    MAX_DRAWS,
    OBJECTIVES,
    PRIOR_STD_GRID,
    TrainingSummary,
    check_draws,
    check_trained,
    nearest_grid_std,
    seed_entropy,
    split_sample,
    streams,
)
from .bounds import LANGFORD_CARUANA, MAURER_SEEGER, PEREZ_ORTIZ_2021, SampledRisk, pac_bayes_certificate
from .certificate import RiskCertificate
from .gaussian import DiagonalGaussian

__all__ = ["GaussianNetwork", "network_certificate"]

CERTIFIERS = ("crown", "ibp", "sdp")


# ----------------------------------------------------------------------------- the distribution
@dataclass(frozen=True, eq=False)
class GaussianNetwork:
    r"""A diagonal Gaussian over the weights and biases of a fully connected ReLU network.

    Attributes
    ----------
    weights : tuple of DiagonalGaussian
        One per Dense layer, over its ``(out, in)`` weight matrix.
    biases : tuple of DiagonalGaussian
        One per Dense layer, over its bias vector.
    input_shape : tuple of int
        The input shape of the networks drawn (a leading Flatten is added for image shapes).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.pacbayes import DiagonalGaussian, GaussianNetwork
    >>> q = GaussianNetwork(
    ...     (DiagonalGaussian(np.ones((4, 3)), 0.1), DiagonalGaussian(np.ones((2, 4)), 0.1)),
    ...     (DiagonalGaussian(np.zeros(4), 0.1), DiagonalGaussian(np.zeros(2), 0.1)),
    ... )
    >>> q.sample(seed=0).widths, q.n_parameters
    ((3, 4, 4, 2), 26)
    """

    weights: tuple[DiagonalGaussian, ...]
    biases: tuple[DiagonalGaussian, ...]
    input_shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for label, seq in (("weights", self.weights), ("biases", self.biases)):
            if not isinstance(seq, (list, tuple)):
                raise TypeError(f"{label} must be a sequence of DiagonalGaussian, got {type(seq).__name__}")
        weights, biases = tuple(self.weights), tuple(self.biases)
        if not weights or len(weights) != len(biases):
            raise ValueError(
                "weights and biases must hold one DiagonalGaussian per layer, "
                f"got {len(weights)} and {len(biases)}"
            )
        prev = None
        for h, (w, b) in enumerate(zip(weights, biases)):
            if not isinstance(w, DiagonalGaussian) or not isinstance(b, DiagonalGaussian):
                raise TypeError(f"layer {h}: weights and biases must be DiagonalGaussian")
            if len(w.shape) != 2 or b.shape != (w.shape[0],):
                raise ValueError(
                    f"layer {h}: weight must be (out, in) and bias (out,), got {w.shape} and {b.shape}"
                )
            if prev is not None and w.shape[1] != prev:
                raise ValueError(f"layer {h}: expects {w.shape[1]} inputs, the previous layer gives {prev}")
            prev = w.shape[0]
        shape = (
            (weights[0].shape[1],)
            if self.input_shape is None
            else check_shape(self.input_shape, "input_shape")
        )
        if int(np.prod(shape)) != weights[0].shape[1]:
            raise ValueError(
                f"input_shape {shape} does not match the first layer's {weights[0].shape[1]} inputs"
            )
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "biases", biases)
        object.__setattr__(self, "input_shape", shape)

    @classmethod
    def from_network(cls, net: Any, std: float) -> GaussianNetwork:
        r"""A Gaussian centred at the weights and biases of ``net`` (Dense and ReLU layers, after an optional
        Flatten; missing biases are zero), with the same standard deviation ``std`` everywhere.

        Examples
        --------
        >>> import numpy as np
        >>> from radbound.networks import Network
        >>> from radbound.pacbayes import GaussianNetwork
        >>> q = GaussianNetwork.from_network(Network.from_arrays([np.ones((3, 2)), np.ones((2, 3))]), 0.1)
        >>> q.n_parameters, bool(np.all(q.mean_network.forward(np.ones((1, 2))) == 6.0))
        (17, True)
        """
        from .margin import _dense_weights

        std = check_positive(std, "std")
        weights, biases = _dense_weights(net)
        bs = [np.zeros(w.shape[0]) if b is None else b for w, b in zip(weights, biases)]
        return cls(
            tuple(DiagonalGaussian(w, std) for w in weights),
            tuple(DiagonalGaussian(b, std) for b in bs),
            net.input_shape,
        )

    @property
    def n_classes(self) -> int:
        """Number of outputs K."""
        return self.weights[-1].shape[0]

    @property
    def n_parameters(self) -> int:
        """Number of weights and biases."""
        return sum(w.n_parameters + b.n_parameters for w, b in zip(self.weights, self.biases))

    def _network(self, Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray]) -> Any:
        from ..networks.layers import Flatten, Network

        net = Network.from_arrays(list(Ws), biases=list(bs))
        shape = tuple(self.input_shape or ())  # always set by __post_init__
        if len(shape) > 1:
            net = Network((Flatten(), *net.layers), shape)
        return net

    @property
    def mean_network(self) -> Any:
        """The deterministic network at the mean weights (a :class:`radbound.networks.Network`)."""
        return self._network([w.mean for w in self.weights], [b.mean for b in self.biases])

    def sample(self, *, seed: Any = None) -> Any:
        """One draw :math:`\\theta \\sim Q`, as a :class:`radbound.networks.Network`."""
        rng = check_random_state(seed)
        return self._network(
            [w.sample(seed=rng) for w in self.weights], [b.sample(seed=rng) for b in self.biases]
        )

    def kl(self, other: GaussianNetwork) -> float:
        r""":math:`\mathrm{KL}(\text{self}\|\text{other})`: the sum over layers of the closed forms."""
        if not isinstance(other, GaussianNetwork) or len(other.weights) != len(self.weights):
            raise TypeError("other must be a GaussianNetwork of the same architecture")
        return float(
            sum(a.kl(b) for a, b in zip(self.weights, other.weights))
            + sum(a.kl(b) for a, b in zip(self.biases, other.biases))
        )

    def _check(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        arr = np.asarray(X.detach().cpu().numpy() if is_torch_tensor(X) else X)
        if arr.ndim > 2:
            arr = arr.reshape(arr.shape[0], -1)
        X = check_matrix(arr, "X", allow_torch=False)
        d = self.weights[0].shape[1]
        if X.shape[1] != d:
            raise ValueError(f"X must have {d} features (the network's input dimension), got {X.shape[1]}")
        labels, _ = check_multiclass_labels(y, X.shape[0], n_classes=self.n_classes, limit_to_n=False)
        return X, labels

    def sampled_risk(
        self,
        X: Any,
        y: Any,
        *,
        eps: float = 0.0,
        attack_norm: float = math.inf,
        n_draws: int = 100_000,
        examples_per_draw: int | None = None,
        certifier: str = "crown",
        seed: Any = None,
    ) -> SampledRisk:
        r"""Monte-Carlo estimate of the stochastic (adversarial) 0-1 risk on a sample, per-draw losses exact
        (natural) or certified (adversarial).

        .. math::
            \hat R_S(Q) = \mathbb E_{\theta\sim Q}\frac1n\sum_i \ell_\epsilon(\theta, x_i, y_i),

        :math:`\ell_0` the 0-1 loss (ties are errors) and, for :math:`\epsilon > 0`,
        :math:`\ell_\epsilon = \mathbf 1[m_i(\theta) \le 0]` with :math:`m_i(\theta)` the certified lower
        bound on the adversarial margin (:func:`radbound.certify.certified_margins`, ``certifier``): an
        upper bound on the adversarial 0-1 loss, so the estimate is of an upper bound on the adversarial
        risk. Draws and examples as in :meth:`radbound.pacbayes.GaussianLinear.sampled_risk`; with
        ``eps = 0`` and one example per draw (the default) the pre-activations are sampled layer by layer
        from their exact law.

        Parameters
        ----------
        X, y
            Sample (labels 0..K-1).
        eps, attack_norm
            The threat set :math:`B_r(x, \epsilon)`.
        n_draws : int
        examples_per_draw : int or None
            None: 1 when ``eps = 0``, else ``min(n, 64)``.
        certifier : {"crown", "ibp", "sdp"}
            Method of :func:`radbound.certify.certified_margins` (``"sdp"``: one hidden layer only, slow).
        seed : int, Generator or None

        Returns
        -------
        SampledRisk
            ``loss_kind`` is ``"exact"`` for the natural loss and ``"certified"`` for the adversarial one (an
            upper bound on the adversarial loss: the estimate targets an upper bound of the adversarial risk).

        Examples
        --------
        >>> import numpy as np
        >>> from radbound.pacbayes import DiagonalGaussian, GaussianNetwork
        >>> q = GaussianNetwork((DiagonalGaussian(np.eye(2), 1e-6), DiagonalGaussian(np.eye(2), 1e-6)),
        ...                     (DiagonalGaussian(np.zeros(2), 1e-6), DiagonalGaussian(np.zeros(2), 1e-6)))
        >>> r = q.sampled_risk([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]], [0, 1, 1], n_draws=3000, seed=0)
        >>> bool(abs(r.value - 1 / 3) < 5 * r.stderr + 1e-12)
        True
        """
        X, y = self._check(X, y)
        n = X.shape[0]
        eps = check_nonnegative(eps, "eps")
        r = check_exponent(attack_norm, "attack_norm")
        m = check_int(n_draws, "n_draws", minimum=1)
        certifier = check_choice(certifier, "certifier", CERTIFIERS)
        if examples_per_draw is None:
            b = 1 if eps == 0 else min(n, 64)
        else:
            b = check_int(examples_per_draw, "examples_per_draw", minimum=1)
        check_draws(m, b, ("n_draws", "examples_per_draw"))
        rng = check_random_state(seed)
        with limit_blas_threads():
            if eps == 0 and b == 1:
                losses = self._local_losses(X, y, m, rng)
                method = "layer-by-layer exact law of the pre-activations"
            else:
                losses = self._draw_losses(X, y, eps, r, m, b, certifier, rng)
                method = "exact scores per draw" if eps == 0 else f"certified margins per draw ({certifier})"
        value = float(losses.mean())
        stderr = float(losses.std(ddof=1) / math.sqrt(m)) if m > 1 else math.inf
        return SampledRisk(
            value,
            stderr,
            m,
            b,
            n,
            eps=eps,
            attack_norm=r,
            loss_kind="exact" if eps == 0 else "certified",
            method=method,
        )

    def _local_losses(self, X: np.ndarray, y: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
        W0, b0 = self.weights[0], self.biases[0]
        mu1 = X @ W0.mean.T + b0.mean
        sd1 = np.sqrt((X * X) @ (W0.std**2).T + b0.std**2)
        n = X.shape[0]
        out = np.empty(m)
        chunk = 1 << 14
        for start in range(0, m, chunk):
            k = min(chunk, m - start)
            idx = rng.integers(0, n, size=k)
            a = mu1[idx] + sd1[idx] * rng.standard_normal((k, mu1.shape[1]))
            for W, B in zip(self.weights[1:], self.biases[1:]):
                h = np.maximum(a, 0.0)
                mu = h @ W.mean.T + B.mean
                sd = np.sqrt((h * h) @ (W.std**2).T + B.std**2)
                a = mu + sd * rng.standard_normal(mu.shape)
            rows = np.arange(k)
            zy = a[rows, y[idx]]
            a[rows, y[idx]] = -np.inf
            out[start : start + k] = zy - a.max(axis=1) <= 0
        return out

    def _draw_losses(
        self,
        X: np.ndarray,
        y: np.ndarray,
        eps: float,
        r: float,
        m: int,
        b: int,
        certifier: str,
        rng: np.random.Generator,
    ) -> np.ndarray:
        n = X.shape[0]
        out = np.empty(m)
        if eps > 0:
            from ..certify import certified_margins
        for j in range(m):
            net = self.sample(seed=rng)
            idx = rng.integers(0, n, size=b)
            if eps == 0:
                Z = net.forward(X[idx])
                rows = np.arange(b)
                zy = Z[rows, y[idx]]
                Z[rows, y[idx]] = -np.inf
                margins = zy - Z.max(axis=1)
            else:
                margins = _margin_array(
                    certified_margins(net, X[idx], y[idx], eps=eps, attack_norm=r, method=certifier)
                )
            out[j] = np.count_nonzero(np.asarray(margins) <= 0) / b
        return out

    def __repr__(self) -> str:
        widths = [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]
        return f"GaussianNetwork(widths={tuple(widths)}, {self.n_parameters} parameters)"


def _margin_array(result: Any) -> np.ndarray:
    """The per-sample certified margins as a float array: ``certified_margins`` returns them as an array of
    shape (n,) (or, in older versions, a result with a ``.margins`` field)."""
    return np.asarray(getattr(result, "margins", result), dtype=np.float64)


# ----------------------------------------------------------------------------- training (torch)
@contextmanager
def _torch_threads(k: int) -> Iterator[None]:
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(k)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _robust_logits(torch: Any, Ws: list[Any], bs: list[Any], x: Any, y: Any, eps: float, q: float) -> Any:
    r"""Logits of the training loss: natural (``eps = 0``) or the IBP bound (Gowal et al. 2018).

    IBP: the first layer is bounded exactly on the ball (:math:`\epsilon\|w_j\|_{r^*}`), later layers by
    interval arithmetic (:math:`W` on the centre, :math:`|W|` on the radius), the specification
    :math:`e_y - e_k` folded into the last layer; returns :math:`-\underline{(z_y - z_k)}` (0 at
    :math:`k = y`), whose cross-entropy upper-bounds the worst-case cross-entropy.
    """
    if eps == 0:
        a = x
        for h, (W, b) in enumerate(zip(Ws, bs)):
            a = a @ W.T + b
            if h < len(Ws) - 1:
                a = torch.relu(a)
        return a
    W1 = Ws[0]
    mu = x @ W1.T + bs[0]
    rad = eps * norm(W1, q).expand_as(mu)
    for W, b in zip(Ws[1:-1], bs[1:-1]):
        lo, hi = torch.relu(mu - rad), torch.relu(mu + rad)
        mu, rad = (hi + lo) / 2, (hi - lo) / 2
        mu, rad = mu @ W.T + b, rad @ W.abs().T
    if len(Ws) > 1:
        lo, hi = torch.relu(mu - rad), torch.relu(mu + rad)
        mu, rad = (hi + lo) / 2, (hi - lo) / 2
        WL, bL = Ws[-1], bs[-1]
        C = WL[y][:, None, :] - WL[None, :, :]  # (B, K, width): w_y - w_k
        lower = (
            (C * mu[:, None, :]).sum(-1)
            - (C.abs() * rad[:, None, :]).sum(-1)
            + (bL[y][:, None] - bL[None, :])
        )
    else:  # no hidden layer: the exact worst case of a linear model
        z = x @ W1.T + bs[0]
        diff = W1[y][:, None, :] - W1[None, :, :]
        lower = z[torch.arange(x.shape[0]), y][:, None] - z - eps * norm(diff, q)
    return -lower


def _train_torch(
    XP: np.ndarray,
    yP: np.ndarray,
    XB: np.ndarray,
    yB: np.ndarray,
    widths: tuple[int, ...],
    *,
    eps: float,
    q: float,
    objective: str,
    n_bound: int,
    log_term: float,
    init_std: float,
    learn_prior_std: bool,
    cap: float,
    n_steps: int,
    prior_steps: int,
    batch_size: int,
    lr: float,
    prior_lr: float,
    seed: int,
    device: Any,
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], float, float, float]:
    """Prior mean on (XP, yP), then posterior on (XB, yB): numpy means and stds, prior std, objectives."""
    import torch

    from ._kl import kl_inv

    gen = torch.Generator(device="cpu").manual_seed(seed)
    dt = torch.float32
    dev = torch.device(device) if device is not None else torch.device("cpu")

    def tensor(a: np.ndarray, dtype: Any = dt) -> Any:
        return torch.as_tensor(a, dtype=dtype, device=dev)

    # He initialisation of the prior mean, then Adam on (a ramp to) the robust cross-entropy.
    Ms, Bs = [], []
    for h in range(len(widths) - 1):
        w = torch.randn(widths[h + 1], widths[h], generator=gen) * math.sqrt(2.0 / widths[h])
        Ms.append(w.to(dev).requires_grad_(True))
        Bs.append(torch.zeros(widths[h + 1], device=dev, requires_grad=True))
    xP, yPt = tensor(XP), tensor(yP, torch.long)
    if prior_steps > 0 and xP.shape[0] > 0:
        opt = torch.optim.Adam(Ms + Bs, lr=prior_lr)
        nP = xP.shape[0]
        for t in range(prior_steps):
            idx = torch.randint(0, nP, (min(batch_size, nP),), generator=gen).to(dev)
            ramp = min(1.0, 2.0 * (t + 1) / prior_steps) * eps  # eps ramped over the first half
            logits = _robust_logits(torch, Ms, Bs, xP[idx], yPt[idx], ramp, q)
            loss = torch.nn.functional.cross_entropy(logits, yPt[idx])
            if eps > 0:
                loss = 0.5 * loss + 0.5 * torch.nn.functional.cross_entropy(
                    _robust_logits(torch, Ms, Bs, xP[idx], yPt[idx], 0.0, q), yPt[idx]
                )
            opt.zero_grad()
            loss.backward()
            opt.step()
    prior_W = [m.detach().clone() for m in Ms]
    prior_b = [b.detach().clone() for b in Bs]

    # posterior: mean, log std per weight; log prior std (scalar)
    mW = [w.clone().requires_grad_(True) for w in prior_W]
    mb = [b.clone().requires_grad_(True) for b in prior_b]
    rW = [torch.full_like(w, math.log(init_std), requires_grad=True) for w in prior_W]
    rb = [torch.full_like(b, math.log(init_std), requires_grad=True) for b in prior_b]
    lsp = torch.tensor(math.log(init_std), device=dev, requires_grad=learn_prior_std)
    params = mW + mb + rW + rb + ([lsp] if learn_prior_std else [])
    opt = torch.optim.Adam(params, lr=lr)
    xB, yBt = tensor(XB), tensor(yB, torch.long)
    nB = xB.shape[0]
    tail = max(1, n_steps // 10)
    f_hist, l_hist = [], []
    for t in range(n_steps):
        idx = torch.randint(0, nB, (min(batch_size, nB),), generator=gen).to(dev)
        sp = torch.exp(lsp)
        Ws = [m + torch.exp(r) * torch.randn(m.shape, generator=gen).to(dev) for m, r in zip(mW, rW)]
        bs = [m + torch.exp(r) * torch.randn(m.shape, generator=gen).to(dev) for m, r in zip(mb, rb)]
        logits = _robust_logits(torch, Ws, bs, xB[idx], yBt[idx], eps, q)
        ce = torch.nn.functional.cross_entropy(logits, yBt[idx], reduction="none")
        loss = (torch.clamp(ce, max=cap) / cap).mean()
        kl: Any = 0.0
        for means, rhos, priors in ((mW, rW, prior_W), (mb, rb, prior_b)):
            for m_, r_, p_ in zip(means, rhos, priors):
                s = torch.exp(r_)
                kl = kl + torch.sum(torch.log(sp) - r_ + (s * s + (m_ - p_) ** 2) / (2 * sp * sp) - 0.5)
        c = (kl + log_term) / n_bound
        if objective == "quad":
            f = (torch.sqrt(loss + c / 2) + torch.sqrt(c / 2)) ** 2
        elif objective == "classic":
            f = loss + torch.sqrt(c / 2)
        else:  # "kl": implicit gradient of kl^{-1}(loss, c)
            qv = float(loss.detach().clamp(1e-12, 1 - 1e-12))
            cv = float(c.detach())
            p = min(max(kl_inv(qv, cv), qv + 1e-15), 1 - 1e-15)
            dkl_dp = (p - qv) / (p * (1 - p))
            dkl_dq = math.log(qv * (1 - p) / (p * (1 - qv)))
            f = p + (-dkl_dq / dkl_dp) * (loss - loss.detach()) + (1.0 / dkl_dp) * (c - c.detach())
        opt.zero_grad()
        f.backward()
        opt.step()
        if t >= n_steps - tail:
            f_hist.append(float(f.detach()))
            l_hist.append(float(loss.detach()))

    def np_(ts: list[Any]) -> list[np.ndarray]:
        return [a.detach().cpu().double().numpy() for a in ts]

    return (
        np_(prior_W + prior_b),
        np_(mW + mb),
        [np.exp(a) for a in np_(rW + rb)],
        float(math.exp(float(lsp.detach()))),
        float(np.mean(f_hist)),
        float(np.mean(l_hist)),
    )


def network_certificate(
    X: Any,
    y: Any,
    *,
    hidden: Sequence[int] = (100,),
    eps: float = 0.0,
    attack_norm: float = math.inf,
    delta: float = 0.05,
    delta_mc: float = 0.01,
    prior_fraction: float = 0.5,
    n_posterior_draws: int | None = None,
    examples_per_draw: int | None = None,
    certifier: str = "crown",
    objective: str = "quad",
    prior_std: float | None = None,
    init_std: float = 0.01,
    n_steps: int = 3000,
    prior_steps: int = 3000,
    batch_size: int = 256,
    learning_rate: float = 0.001,
    prior_learning_rate: float = 0.001,
    pmin: float = 1e-4,
    n_classes: int | None = None,
    seed: Any = None,
    device: Any = None,
) -> RiskCertificate:
    r"""Train a stochastic ReLU network (torch) and certify its true risk, natural or adversarial.

    The certificate and its procedure are those of :func:`radbound.pacbayes.linear_certificate` (split,
    prior mean on :math:`S_P`, posterior by a differentiable PAC-Bayes objective on :math:`S_B`, prior
    scale on the grid with a union bound, Monte-Carlo correction, PAC-Bayes-kl), with probability
    :math:`\ge 1 - \delta - \delta'`:

    .. math::
        R_\epsilon(Q) \le \mathrm{kl}^{-1}\Big(\hat R^+,\
        \frac{\mathrm{KL}(Q\|P) + \log(2\sqrt{n_B}\,J/\delta)}{n_B}\Big),
        \qquad \hat R^+ = \mathrm{kl}^{-1}\big(\hat R_m, \tfrac{\log(2/\delta')}{m}\big).

    For a network the per-draw adversarial loss is not available in closed form: each draw's loss is the
    upper bound :math:`\mathbf 1[m \le 0]` of a certified margin :math:`m`
    (:func:`radbound.certify.certified_margins`, ``certifier``), so :math:`\hat R_m` estimates an upper
    bound of the draws' adversarial risk and the certificate bounds the adversarial risk against every
    perturbation of the threat set (no attack is involved). Training: the prior mean is fitted on
    :math:`S_P` by Adam from a He initialisation (for :math:`\epsilon > 0`: half natural, half IBP
    cross-entropy with :math:`\epsilon` ramped up over the first half, Gowal et al. 2018); the posterior
    minimises the objective of the bounded natural or IBP cross-entropy, one weight draw per minibatch
    (reparameterization trick). torch runs on one thread (CPU; ``device`` for another torch device,
    not tested here: no GPU was available).

    Parameters
    ----------
    X : array of shape ``(n, d)`` or ``(n, *input_shape)``
    y : array of shape (n,)
        Labels 0..K-1.
    hidden : sequence of int
        Hidden widths of the ReLU network (default one layer of 100 units).
    eps, attack_norm, delta, delta_mc, prior_fraction, objective, prior_std, init_std, pmin, n_classes, seed
        As in :func:`radbound.pacbayes.linear_certificate`.
    n_posterior_draws : int or None
        :math:`m`; None: 1,000,000 natural (one example per draw, exact layer-by-layer law), 2,000
        adversarial.
    examples_per_draw : int or None
        None: 1 natural, 64 adversarial.
    certifier : {"crown", "ibp", "sdp"}
        Per-draw certificate of the adversarial loss.
    n_steps, prior_steps, batch_size, learning_rate, prior_learning_rate
        Adam settings (posterior, prior).
    device : str or torch.device, optional

    Returns
    -------
    RiskCertificate
        Its ``posterior`` and ``prior`` are :class:`GaussianNetwork`; a worked example is the
        ``certificates`` study and the notebook section "a bound that is not vacuous" (no doctest: it
        needs torch and trains a network).

    References
    ----------
    Pérez-Ortiz, Rivasplata, Shawe-Taylor & Szepesvári (2021), "Tighter risk certificates for neural
    networks", JMLR 22; Dziugaite & Roy (2017), UAI; Gowal et al. (2018), "On the effectiveness of interval
    bound propagation for training verifiably robust models", arXiv:1810.12715 (IBP training); Zhang,
    Weng, Chen, Hsieh & Daniel (2018), NeurIPS (CROWN); Kingma, Salimans & Welling (2015), NeurIPS (local
    reparameterization).

    """
    t0 = time.perf_counter()
    arr = as_real_array(X.detach().cpu().numpy() if is_torch_tensor(X) else X, "X")
    input_shape = tuple(arr.shape[1:]) if arr.ndim > 2 else None
    if arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    X = check_matrix(arr, "X", allow_torch=False)
    n, d = X.shape
    y, K = check_multiclass_labels(
        np.asarray(y.detach().cpu().numpy() if is_torch_tensor(y) else y), n, n_classes
    )
    hidden = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
    eps = check_nonnegative(eps, "eps")
    r = check_exponent(attack_norm, "attack_norm")
    delta = check_probability(delta, "delta")
    delta_mc = check_probability(delta_mc, "delta_mc")
    if delta + delta_mc >= 1.0:
        raise ValueError(f"delta + delta_mc must be < 1, got {delta!r} + {delta_mc!r}")
    prior_fraction = float(check_nonnegative(prior_fraction, "prior_fraction"))
    if not prior_fraction < 1.0:
        raise ValueError(f"prior_fraction must be in [0, 1), got {prior_fraction!r}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {list(OBJECTIVES)}, got {objective!r}")
    certifier = check_choice(certifier, "certifier", CERTIFIERS)
    if certifier == "sdp" and len(hidden) != 1:
        raise ValueError(f"certifier='sdp' needs one hidden layer, got hidden={hidden}")
    if prior_std is not None:
        prior_std = check_positive(prior_std, "prior_std")
    init_std = check_positive(init_std if prior_std is None else prior_std, "init_std")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    prior_steps = check_int(prior_steps, "prior_steps", minimum=0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    lr = check_positive(learning_rate, "learning_rate")
    prior_lr = check_positive(prior_learning_rate, "prior_learning_rate")
    pmin = check_probability(pmin, "pmin")
    natural_local = eps == 0 and examples_per_draw in (None, 1)
    if n_posterior_draws is None:
        n_posterior_draws = 1_000_000 if natural_local else 2000
    m = check_int(n_posterior_draws, "n_posterior_draws", minimum=1)
    if examples_per_draw is not None:
        check_int(examples_per_draw, "examples_per_draw", minimum=1)
    b_draw = (1 if eps == 0 else min(n, 64)) if examples_per_draw is None else int(examples_per_draw)
    check_draws(m, b_draw, ("n_posterior_draws", "examples_per_draw"))
    n_weights = sum((a + 1) * b for a, b in zip((d, *hidden), (*hidden, K)))
    if n_weights > MAX_DRAWS:
        raise ValueError(
            f"hidden={hidden} gives {n_weights:,} weights, more than {MAX_DRAWS:,} (2**27: 1 GiB per copy of "
            "the parameters; training holds several)"
        )
    for name, rate in (("learning_rate", lr), ("prior_learning_rate", prior_lr)):
        if rate > 1e30:  # torch's Adam stores the rate in float32
            raise ValueError(f"{name} must be <= 1e30 (Adam's float32 step), got {rate!r}")
    for name, std in (("prior_std", prior_std), ("init_std", init_std)):
        if std is not None and not 1e-30 <= std <= 1e30:  # trained in float32, through log(std)
            raise ValueError(f"{name} must be in [1e-30, 1e30] (torch float32 training), got {std!r}")
    if device is not None:
        import torch

        try:
            torch.empty(0, device=torch.device(device))
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device {device!r} is not a usable torch device here: {exc}") from None
    if eps > 0:
        import importlib.util

        if importlib.util.find_spec("radbound.certify") is None:
            raise ImportError("adversarial network certificates need radbound.certify (certified margins)")
    rng_split, rng_train, rng_mc = streams(seed, 3)
    split = split_sample(n, prior_fraction, rng_split, seed_entropy(seed))
    XP, yP = X[split.prior_indices], y[split.prior_indices]
    XB, yB = X[split.bound_indices], y[split.bound_indices]
    J = len(PRIOR_STD_GRID) if prior_std is None else 1
    log_term = log_ratio(2.0 * math.sqrt(split.n_bound) * J, delta)
    widths = (d, *hidden, K)
    with _torch_threads(1):
        prior_means, post_means, post_stds, sp, f_final, l_final = _train_torch(
            XP,
            yP,
            XB,
            yB,
            widths,
            eps=eps,
            q=dual_exponent(r),
            objective=objective,
            n_bound=split.n_bound,
            log_term=log_term,
            init_std=init_std,
            learn_prior_std=prior_std is None,
            cap=math.log(1.0 / pmin),
            n_steps=n_steps,
            prior_steps=prior_steps,
            batch_size=batch_size,
            lr=lr,
            prior_lr=prior_lr,
            seed=int(rng_train.integers(2**62)),
            device=device,
        )
    check_trained(
        {
            "prior means": np.concatenate([np.ravel(a) for a in prior_means]),
            "posterior means": np.concatenate([np.ravel(a) for a in post_means]),
            "posterior stds": np.concatenate([np.ravel(a) for a in post_stds]),
            "prior std": sp,
        },
        f"learning_rate={lr!r}, prior_learning_rate={prior_lr!r}, init_std={init_std!r}, "
        f"prior_std={prior_std!r}, eps={eps!r}, X up to {float(np.max(np.abs(X))):.3g}",
    )
    if prior_std is None:
        sp_grid, _ = nearest_grid_std(sp)
        post_stds = [s * (sp_grid / sp) for s in post_stds]
    else:
        sp_grid = prior_std
    L = len(widths) - 1
    posterior = GaussianNetwork(
        tuple(DiagonalGaussian(post_means[h], post_stds[h]) for h in range(L)),
        tuple(DiagonalGaussian(post_means[L + h], post_stds[L + h]) for h in range(L)),
        input_shape,
    )
    prior = GaussianNetwork(
        tuple(DiagonalGaussian(prior_means[h], sp_grid) for h in range(L)),
        tuple(DiagonalGaussian(prior_means[L + h], sp_grid) for h in range(L)),
        input_shape,
    )
    seconds = time.perf_counter() - t0
    kl_value = posterior.kl(prior)
    empirical = posterior.sampled_risk(
        XB,
        yB,
        eps=eps,
        attack_norm=r,
        n_draws=m,
        examples_per_draw=examples_per_draw,
        certifier=certifier,
        seed=rng_mc,
    )
    risk = "natural" if eps == 0 else f"adversarial (l_{attack_norm:g} attack, eps={eps:g})"
    how = (
        "exact per-draw losses"
        if eps == 0
        else f"per-draw losses bounded by {certifier.upper()} certified margins"
    )
    bound = pac_bayes_certificate(
        empirical,
        kl_value,
        split.n_bound,
        delta=delta,
        delta_mc=delta_mc,
        n_grid=J,
        reference=f"{MAURER_SEEGER}; {LANGFORD_CARUANA}; procedure of {PEREZ_ORTIZ_2021}",
        name=f"pac-bayes-network-{'natural' if eps == 0 else 'adversarial'}",
        notes=(
            f"Risk: {risk} 0-1 risk of the stochastic ReLU network Q (widths {widths}); {how}. Prior mean "
            f"fitted on {split.n_prior} examples, bound on the other {split.n_bound}; prior std {sp_grid:.4g}"
            + (" (learned, rounded to the grid)." if prior_std is None else " (fixed in advance).")
        ),
    )
    summary = TrainingSummary(objective, n_steps, f_final, l_final, sp_grid, sp, seconds)
    return RiskCertificate.from_bound(
        bound,
        posterior=posterior,
        prior=prior,
        split=split,
        empirical=empirical,
        kl=kl_value,
        eps=eps,
        attack_norm=r,
        certified=True,
        training=summary,
    )
