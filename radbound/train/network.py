r"""Adversarial training of the paper's convolutional network with an :math:`\ell_1` penalty (torch).

The network of Yin, Ramchandran & Bartlett (2019, :doc:`/theory/experiments`; their public code):
conv 5x5 with 32 channels (SAME), ReLU, 2x2 max-pool; conv 5x5 with 64 channels, ReLU, 2x2 max-pool;
fully connected 3136 -> 1024, ReLU; 1024 -> 10. Training minimises

.. math::
    \frac1B \sum_{i \in \text{batch}} \mathrm{CE}\big(f(\tilde x_i), y_i\big) + \lambda \sum_h \|A_h\|_1,

where :math:`\tilde x_i` is a PGD :math:`\ell_\infty` attack of radius :math:`\epsilon`
(:func:`radbound.attacks.pgd`: random start, signed-gradient steps on the cross-entropy, projection
on the box, the last iterate; no pixel clipping), and
:math:`\|A_h\|_1` the sum of absolute weights of every layer (``penalty="all"``) or of the first
kernel only (``penalty="first"``); Adam. The paper's run: eps = 0.05 (configs vary), 40 PGD steps of
0.01, Adam 1e-4, batch 50, 100,000 steps.

torch is imported inside the functions only. Everything runs on the device of the inputs (a torch
tensor's device) or ``device=``; CPU is the default. Only CPU runs are tested here; the same code
path runs on a GPU but has not been exercised on one in this project.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_nonnegative, check_positive, is_torch_tensor
from ..attacks import pgd

__all__ = [
    "NetworkFit",
    "paper_network",
    "network_margins",
    "l1_penalty",
    "fit_network",
    "network_accuracy",
]


def _int_seed(seed: Any) -> int:
    """A non-negative int for torch's generators from an int or a numpy Generator."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63 - 1))
    return check_int(seed, "seed", minimum=0)


def _torch():
    try:
        import torch
    except ModuleNotFoundError as exc:  # the optional backend: say how to get it
        from .._backend import TORCH_INSTALL

        raise ModuleNotFoundError(
            f"radbound.train.network needs torch, which is not installed. {TORCH_INSTALL}"
        ) from exc
    return torch


def paper_network(
    *,
    channels: Sequence[int] = (32, 64),
    hidden: int = 1024,
    n_classes: int = 10,
    image_size: int = 28,
    seed: int | None = 0,
) -> Any:
    r"""The paper's 4-layer network as a torch ``nn.Sequential`` (seeded initialisation).

    ``channels`` and ``hidden`` can be made smaller for quick runs; ``image_size`` must be divisible
    by 4 (two 2x2 poolings). Default initialisation of torch (Kaiming-uniform), drawn under
    ``torch.manual_seed(seed)`` inside a forked RNG (the global torch RNG is left untouched).

    Parameters
    ----------
    channels : (int, int), default (32, 64)
        Output channels of the two 5x5 convolutions.
    hidden : int, default 1024
        Width of the fully connected hidden layer.
    n_classes : int, default 10
        Number of outputs.
    image_size : int, default 28
        Side of the square one-channel input images (divisible by 4).
    seed : int or None, default 0
        Seed of the initialisation; None draws from torch's global RNG.

    Returns
    -------
    torch.nn.Sequential
        ``Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Flatten, Linear, ReLU, Linear``.

    Examples
    --------
    >>> import importlib.util
    >>> if importlib.util.find_spec("torch") is not None:
    ...     n_weights = sum(p.numel() for p in paper_network(seed=0).parameters())
    ... else:  # without torch: the count 832 + 51,264 + 3,212,288 + 10,250
    ...     n_weights = 3_274_634
    >>> n_weights == 3_274_634
    True
    """
    torch = _torch()
    from torch import nn

    c1, c2 = (check_int(c, "channels", minimum=1) for c in channels)
    hidden = check_int(hidden, "hidden", minimum=1)
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    image_size = check_int(image_size, "image_size", minimum=4)
    if image_size % 4:
        raise ValueError(f"image_size must be divisible by 4 (two 2x2 poolings), got {image_size}")
    side = image_size // 4
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(int(seed))
        return nn.Sequential(
            nn.Conv2d(1, c1, 5, padding="same"),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 5, padding="same"),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(c2 * side * side, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_classes),
        )


def l1_penalty(model: Any, which: str = "all") -> Any:
    r""":math:`\sum_h \|A_h\|_1` over the weights (no biases) of all Linear / Conv2d layers, or the first.

    Parameters
    ----------
    model : torch.nn.Module
        A network with at least one ``nn.Linear`` or ``nn.Conv2d`` layer.
    which : {"all", "first"}, default "all"
        Sum over every such layer, or take the first one only (in module order).

    Returns
    -------
    torch.Tensor
        A scalar, differentiable with respect to the weights.
    """
    from torch import nn

    check_choice(which, "which", ("all", "first"))
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    if not layers:
        raise ValueError("model has no Linear or Conv2d layer")
    if which == "first":
        layers = layers[:1]
    return sum(m.weight.abs().sum() for m in layers)


@dataclass(frozen=True)
class NetworkFit:
    """Result of :func:`fit_network`.

    Attributes
    ----------
    model : torch.nn.Module
        The trained network (on the training device).
    initial_state : dict
        ``state_dict`` at initialisation (CPU copies): the reference weights of the (2,1) norms.
    input_shape : tuple
        ``(1, side, side)``.
    history : dict
        ``"step"`` and ``"loss"`` (penalised training loss) every ``log_every`` steps.
    options : dict
        The training options.
    """

    model: Any
    initial_state: dict
    input_shape: tuple
    history: dict = field(repr=False)
    options: dict = field(default_factory=dict)

    def network(self, *, reference: bool = True) -> Any:
        """The trained network as a :class:`radbound.networks.Network` (reference = initial weights)."""
        from ..networks import Network

        return Network.from_torch(
            self.model, self.input_shape, reference=self.initial_state if reference else None
        )


def _device(X: Any, device: Any) -> Any:
    torch = _torch()
    if device is not None:
        return torch.device(device)
    if is_torch_tensor(X):
        return X.device
    return torch.device("cpu")


def _images(X: Any, side: int, device: Any, dtype: Any) -> Any:
    torch = _torch()
    t = X if is_torch_tensor(X) else torch.tensor(np.asarray(X))
    t = t.to(device=device, dtype=dtype)
    if t.dim() == 2:
        if t.shape[1] != side * side:
            raise ValueError(f"X must have {side * side} columns ({side}x{side} images), got {t.shape[1]}")
        t = t.reshape(-1, 1, side, side)
    if t.dim() != 4 or tuple(t.shape[1:]) != (1, side, side):
        raise ValueError(
            f"X must have shape (n, {side * side}) or (n, 1, {side}, {side}), got {tuple(t.shape)}"
        )
    if not bool(torch.isfinite(t).all()):
        raise ValueError("X must contain only finite values (found NaN or inf)")
    return t


def _labels(y: Any, n: int, device: Any) -> Any:
    torch = _torch()
    t = y if is_torch_tensor(y) else torch.tensor(np.asarray(y))
    if t.dim() != 1 or t.shape[0] != n:
        raise ValueError(f"y must be a 1-D array of length n_samples={n}, got shape {tuple(t.shape)}")
    return t.to(device=device, dtype=torch.long)


def fit_network(
    X: Any,
    y: Any,
    *,
    eps: float,
    lam: float = 0.0,
    penalty: str = "all",
    n_steps: int = 100_000,
    batch_size: int = 50,
    lr: float = 1e-4,
    pgd_steps: int = 40,
    pgd_step_size: float = 0.01,
    random_start: bool = True,
    channels: Sequence[int] = (32, 64),
    hidden: int = 1024,
    image_size: int = 28,
    seed: int | np.random.Generator = 0,
    device: Any = None,
    log_every: int = 100,
    progress: bool = False,
) -> NetworkFit:
    r"""PGD adversarial training of the paper's network with an :math:`\ell_1` penalty (Adam).

    Minimises :math:`\mathrm{CE}(f(\tilde x), y) + \lambda \sum_h \|A_h\|_1` over mini-batches
    (epoch-wise shuffling from ``seed``), :math:`\tilde x` = :func:`radbound.attacks.pgd` of the batch
    (``keep="last"``, one start; ``eps = 0``: natural training). Defaults are the paper's protocol
    (:doc:`/theory/experiments`).

    Parameters
    ----------
    X : array or tensor, shape (n, image_size**2) or (n, 1, s, s)
        Images in [0, 1]. A tensor fixes the device unless ``device`` is given.
    y : array or tensor of int labels 0..9
    eps, lam : float
        Attack radius and :math:`\ell_1` penalty weight.
    penalty : {"all", "first"}
        Penalise all weights or only the first convolution kernel.
    n_steps : int, default 100,000
        Adam steps (one mini-batch each).
    batch_size : int, default 50
        Mini-batch size.
    lr : float, default 1e-4
        Adam learning rate.
    pgd_steps : int, default 40
        PGD iterations per batch.
    pgd_step_size : float, default 0.01
        PGD step size.
    random_start : bool, default True
        Start PGD from a uniform point of the :math:`\ell_\infty` ball.
    channels : (int, int), default (32, 64)
        Convolution channels of :func:`paper_network`.
    hidden : int, default 1024
        Hidden width of :func:`paper_network`.
    image_size : int, default 28
        Side of the images (rows of ``X`` are reshaped to ``(1, image_size, image_size)``).
    seed : int or numpy Generator
        Seeds initialisation, batch order and PGD random starts (a Generator is asked
        for one int): same seed, same device -> same run.
    device : str or torch.device, optional
        Default: the device of ``X`` (CPU for numpy input).
    log_every : int, default 100
        Record the training loss every ``log_every`` steps (and at the last one) in ``history``.
    progress : bool, default False
        Show a tqdm progress bar of the steps.

    Returns
    -------
    NetworkFit
    """
    torch = _torch()
    eps = check_nonnegative(eps, "eps")
    lam = check_nonnegative(lam, "lam")
    check_choice(penalty, "penalty", ("all", "first"))
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    lr = check_positive(lr, "lr")
    seed = _int_seed(seed)
    log_every = check_int(log_every, "log_every", minimum=1)
    dev = _device(X, device)
    Xt = _images(X, image_size, dev, torch.float32)
    yt = _labels(y, Xt.shape[0], dev)
    n = Xt.shape[0]
    model = paper_network(channels=channels, hidden=hidden, image_size=image_size, seed=seed).to(dev)
    initial = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    order, pos = rng.permutation(n), 0
    steps, losses = [], []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_steps, desc="fit_network", leave=False)
    for step in range(1, n_steps + 1):
        if pos + batch_size > n:
            order, pos = rng.permutation(n), 0
        idx = torch.as_tensor(order[pos : pos + batch_size], device=dev)
        pos += batch_size
        xb, yb = Xt[idx], yt[idx]
        xa = pgd(
            model,
            xb,
            yb,
            eps=eps,
            steps=pgd_steps,
            step_size=pgd_step_size,
            random_start=random_start,
            keep="last",
            seed=gen,
        ).X_adv
        loss = torch.nn.functional.cross_entropy(model(xa), yb)
        if lam > 0:
            loss = loss + lam * l1_penalty(model, penalty)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % log_every == 0 or step == n_steps:
            steps.append(step)
            losses.append(float(loss.detach()))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    options = {
        "eps": eps,
        "lam": lam,
        "penalty": penalty,
        "n_steps": n_steps,
        "batch_size": batch_size,
        "lr": lr,
        "pgd_steps": pgd_steps,
        "pgd_step_size": pgd_step_size,
        "random_start": random_start,
        "channels": tuple(channels),
        "hidden": hidden,
        "seed": seed,
        "device": str(dev),
    }
    history = {"step": np.array(steps), "loss": np.array(losses)}
    return NetworkFit(model, initial, (1, image_size, image_size), history, options)


def network_margins(
    model: Any,
    X: Any,
    y: Any,
    *,
    eps: float = 0.0,
    pgd_steps: int = 40,
    pgd_step_size: float | None = None,
    restarts: int = 1,
    random_start: bool = True,
    image_size: int = 28,
    batch_size: int = 500,
    seed: int | np.random.Generator = 0,
    device: Any = None,
) -> np.ndarray:
    r"""Margins :math:`z_y - \max_{k \ne y} z_k` of ``model`` on :math:`(X, y)`, at the PGD point.

    ``eps = 0``: the natural margins. ``eps > 0``: the lowest margin :func:`radbound.attacks.pgd`
    finds in the :math:`\ell_\infty` ball (cross-entropy ascent, ``pgd_steps`` steps of
    ``pgd_step_size`` (default :math:`2.5\epsilon/T`), ``restarts`` random starts, best iterate
    kept), an UPPER bound on the worst-case margin. Batches of ``batch_size``; one seeded torch
    generator for all random starts.

    Parameters
    ----------
    model : torch.nn.Module
        A network mapping ``(n, 1, image_size, image_size)`` images to logits ``(n, K)``.
    X : array or tensor, shape (n, image_size**2) or (n, 1, s, s)
    y : array or tensor of int labels
    eps : float
        :math:`\ell_\infty` radius (no pixel clipping: the paper's threat model).
    pgd_steps, pgd_step_size, restarts, random_start
        The attack (see :func:`radbound.attacks.pgd`).
    image_size : int
        Side of the square images.
    batch_size : int
        Images attacked at once (memory).
    seed : int or numpy Generator
        Seeds the random starts.
    device : str or torch.device, optional
        Default: the device of the model's parameters.

    Returns
    -------
    ndarray of shape (n,), float64

    Examples
    --------
    At ``eps = 0`` the margins are those of the logits:

    >>> import importlib.util
    >>> import numpy as np
    >>> if importlib.util.find_spec("torch") is not None:
    ...     import torch
    ...     net = paper_network(channels=(2, 2), hidden=4, seed=0)
    ...     X, y = np.random.default_rng(0).random((5, 784)), np.array([0, 1, 2, 3, 4])
    ...     with torch.no_grad():
    ...         z = net(torch.tensor(X, dtype=torch.float32).reshape(5, 1, 28, 28)).double().numpy()
    ...     other = np.where(np.eye(10, dtype=bool)[y], -np.inf, z).max(axis=1)
    ...     ok = bool(np.allclose(network_margins(net, X, y), z[np.arange(5), y] - other))
    ... else:  # without torch there is no network
    ...     ok = True
    >>> ok
    True

    References
    ----------
    Madry, Makelov, Schmidt, Tsipras & Vladu (2018), "Towards Deep Learning Models Resistant to
    Adversarial Attacks", ICLR (PGD with restarts as an evaluation attack).
    """
    torch = _torch()
    eps = check_nonnegative(eps, "eps")
    restarts = check_int(restarts, "restarts", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if device is None:
        try:
            device = next(model.parameters()).device
        except StopIteration:  # pragma: no cover - a model without parameters
            device = None
    dev = _device(X, device)
    Xt = _images(X, image_size, dev, torch.float32)
    yt = _labels(y, Xt.shape[0], dev)
    gen = torch.Generator(device=dev)
    gen.manual_seed(_int_seed(seed))
    out = []
    for start in range(0, Xt.shape[0], batch_size):
        xb, yb = Xt[start : start + batch_size], yt[start : start + batch_size]
        wc = pgd(
            model,
            xb,
            yb,
            eps=eps,
            steps=pgd_steps,
            step_size=pgd_step_size,
            restarts=restarts,
            random_start=random_start,
            seed=gen,
        )
        out.append(wc.margins.detach().double().cpu().numpy())
    return np.concatenate(out)


def network_accuracy(
    model: Any,
    X: Any,
    y: Any,
    *,
    eps: float = 0.0,
    pgd_steps: int = 40,
    pgd_step_size: float | None = None,
    restarts: int = 1,
    random_start: bool = True,
    image_size: int = 28,
    batch_size: int = 500,
    seed: int | np.random.Generator = 0,
    device: Any = None,
) -> float:
    r"""Accuracy of ``model`` on :math:`(X, y)`, under a PGD :math:`\ell_\infty` attack of radius ``eps``.

    The fraction of samples whose :func:`network_margins` is positive. With ``eps = 0`` the natural
    accuracy (a tie between the top two logits counts as an error). PGD gives an upper estimate of
    the robust accuracy (an attack can miss the worst case); more steps and ``restarts`` tighten it.

    Parameters
    ----------
    model, X, y, eps, pgd_steps, pgd_step_size, restarts, random_start, image_size, batch_size, seed, device
        As in :func:`network_margins`.

    Returns
    -------
    float
        The fraction of samples with a positive margin.
    """
    m = network_margins(
        model,
        X,
        y,
        eps=eps,
        pgd_steps=pgd_steps,
        pgd_step_size=pgd_step_size,
        restarts=restarts,
        random_start=random_start,
        image_size=image_size,
        batch_size=batch_size,
        seed=seed,
        device=device,
    )
    return float(np.mean(m > 0))
