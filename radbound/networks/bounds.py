r"""Norm-based Rademacher bounds for ReLU networks, as :class:`radbound.Bound` objects.

Theory: :doc:`/theory/networks`.

Notation: :math:`f_A(x) = A_L \rho(A_{L-1} \cdots \rho(A_1 x))`, :math:`n` samples, :math:`X` the
``(n, d)`` data matrix, :math:`s_h = \|A_h\|_\sigma`, :math:`b_h = \|A_h^\top - M_h^\top\|_{2,1}`
(reference :math:`M_h`: zero or the initial weights), :math:`d_{\max}` the largest width (input and
output included), :math:`\gamma` the margin. Convolutions enter as operators (see
:mod:`radbound.networks.norms`).

How layers without weights enter: every bound here is proved for element-wise, 1-Lipschitz,
positively homogeneous activations (ReLU). Flatten is an isometry. A max-pooling layer is
1-Lipschitz in :math:`\ell_\infty` and :math:`\sqrt{\lceil k_h/s_h\rceil\lceil k_w/s_w\rceil}`-Lipschitz
in :math:`\ell_2`; the product :math:`\rho` of these constants multiplies the product of layer norms
(Bartlett et al. allow any :math:`\rho_i`-Lipschitz activations, so the spectral bound covers
max-pooling; for the Golowich and Neyshabur bounds, which peel element-wise activations, networks
with max-pooling are outside the theorems' hypotheses and this is said in the bound's notes).
Biases are not part of the bounded classes; non-zero biases are reported in the notes.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_matrix, check_nonnegative, check_positive, is_torch_tensor
from ..results import Bound
from .layers import Dense, Flatten, MaxPool2d, Network
from .norms import NetworkNorms, network_norms

__all__ = [
    "NetworkBounds",
    "spectral_bound",
    "golowich_bound",
    "neyshabur_bound",
    "adversarial_lower_bound",
    "network_bounds",
    "check_lower_bound_architecture",
    "ADVERSARIAL_LOWER_C",
]

#: The constant c of the adversarial lower bound: 1/(8 sqrt 2) is valid [derived].
ADVERSARIAL_LOWER_C = 1.0 / (8.0 * math.sqrt(2.0))


def _data(net: Network, X: Any) -> np.ndarray:
    if not isinstance(net, Network):
        raise TypeError(f"net must be a radbound.networks.Network, got {type(net).__name__}")
    if is_torch_tensor(X):
        X = X.detach().cpu().numpy()
    arr = np.asarray(X) if not isinstance(X, (str, bytes)) and X is not None else X
    if isinstance(arr, np.ndarray) and arr.ndim == 1 + len(net.input_shape) and arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    arr = check_matrix(arr, "X", allow_torch=False)
    if arr.shape[1] != net.input_dim:
        raise ValueError(
            f"X must have {net.input_dim} columns (the network's input dimension), got {arr.shape[1]}"
        )
    return arr


def _norms(net: Network, norms: NetworkNorms | None, **kw: Any) -> NetworkNorms:
    if norms is None:
        return network_norms(net, **kw)
    if not isinstance(norms, NetworkNorms) or len(norms.layers) != len(net.weighted_layers):
        raise ValueError("norms must be the NetworkNorms of this network (from network_norms(net))")
    return norms


def _notes(net: Network, norms: NetworkNorms, *, elementwise: bool) -> str:
    notes = []
    if any(lay.has_bias for lay in norms.layers):
        notes.append("non-zero biases are ignored (the bounded class has no biases)")
    if elementwise and any(isinstance(layer, MaxPool2d) for layer in net.layers):
        notes.append(
            "max-pooling is not an element-wise activation: the theorem's hypotheses do not cover it; its "
            "Lipschitz constant multiplies the product of norms"
        )
    return "; ".join(notes)


def _symbols(prefix: str, count: int) -> list[Any]:
    import sympy

    return [sympy.Symbol(f"{prefix}_{h + 1}", positive=True) for h in range(count)]


def spectral_bound(
    net: Network,
    X: Any,
    *,
    margin: float = 1.0,
    log_factor: str = "log",
    rigorous: bool = False,
    norms: NetworkNorms | None = None,
    **norm_options: Any,
) -> Bound:
    r"""Spectrally-normalised bound of Bartlett, Foster & Telgarsky (2017), Lemma A.8 form.

    .. math::
        \hat{\mathfrak R}_S \le \frac{4}{n^{3/2}} + \frac{26 \log(n)\, \ell(d_{\max})}{\gamma\, n}
        \|X\|_F\, \rho \prod_h s_h \Big(\sum_h (b_h / s_h)^{2/3}\Big)^{3/2},

    with :math:`\ell = \log(2 d_{\max})` (``log_factor="log"``, the larger form, the default) or
    :math:`\sqrt{\log(2 d_{\max})}` (``"sqrt"``, what a derivation gives; smaller, so the default is
    the safe one), :math:`\rho` the product of the Lipschitz constants of the weightless layers.
    The margin :math:`\gamma` divides the second term (ramp loss). The value is increasing in every
    :math:`s_h` (its derivative in :math:`s_h` is :math:`\prod_{j\ne h} s_j (\sum_j (b_j/s_j)^{2/3})^{1/2}
    \ge 0`), so ``rigorous=True`` -- using the certified upper spectral norms -- gives a bound that holds
    whatever the accuracy of the iterative norm computations.

    Convention: empirical Rademacher complexity with factor 1/n, no absolute value.

    References
    ----------
    Bartlett, Foster & Telgarsky (2017), NeurIPS, Lemma A.8 (as stated by Yin, Ramchandran & Bartlett 2019).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([np.eye(2), np.ones((1, 2))])
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> b = spectral_bound(net, X)    # s = (1, sqrt 2), b = (2, sqrt 2), d_max = 2, n = 2
    >>> hand = 4 / 2**1.5 + 26 * np.log(2) * np.log(4) / 2 * np.sqrt(2) * np.sqrt(2) * (2**(2/3) + 1) ** 1.5
    >>> bool(np.isclose(b.value, hand))
    True
    """
    X = _data(net, X)
    margin = check_positive(margin, "margin")
    check_choice(log_factor, "log_factor", ("log", "sqrt"))
    norms = _norms(net, norms, **norm_options)
    n = X.shape[0]
    s = norms.spectral_upper if rigorous else norms.spectral
    b = norms.l21
    rho = norms.lipschitz_l2
    d_max = max(net.widths)
    x_f = float(np.linalg.norm(X))
    ell = math.log(2 * d_max) if log_factor == "log" else math.sqrt(math.log(2 * d_max))
    # prod_h s_h (sum_h (b_h/s_h)^{2/3})^{3/2} = (sum_h (b_h prod_{j != h} s_j)^{2/3})^{3/2}:
    # the right-hand side is finite at s_h = 0.
    cross = [b[h] * float(np.prod(np.delete(s, h))) for h in range(len(s))]
    capacity = float(sum(c ** (2.0 / 3.0) for c in cross) ** 1.5)
    first = 4.0 / n**1.5
    second = 26.0 * math.log(n) * ell / (margin * n) * x_f * rho * capacity
    L = len(s)
    inputs = {"n": n, "X_F": x_f, "gamma": margin, "d_max": d_max, "rho": rho}
    inputs.update({f"s_{h + 1}": float(s[h]) for h in range(L)})
    inputs.update({f"b_{h + 1}": float(b[h]) for h in range(L)})

    def formula() -> Any:
        import sympy

        n_, xf, g, dm, r = sympy.symbols("n X_F gamma d_max rho", positive=True)
        ss, bb = _symbols("s", L), _symbols("b", L)
        lg = sympy.log(2 * dm) if log_factor == "log" else sympy.sqrt(sympy.log(2 * dm))
        total = sum((bh / sh) ** sympy.Rational(2, 3) for bh, sh in zip(bb, ss))
        return 4 / n_ ** sympy.Rational(3, 2) + 26 * sympy.log(n_) * lg / (g * n_) * xf * r * sympy.Mul(
            *ss
        ) * total ** sympy.Rational(3, 2)

    return Bound(
        first + second,
        {"constant": first, "complexity": second},
        constants={"c_0": 4.0, "c_1": 26.0},
        reference="Bartlett, Foster & Telgarsky (2017), Lemma A.8",
        status="paper",
        kind="upper",
        name="spectral",
        inputs=inputs,
        notes="; ".join(
            filter(
                None,
                [
                    f"log factor {log_factor}(2 d_max); spectral norms "
                    + ("certified upper values" if rigorous else "estimates"),
                    _notes(net, norms, elementwise=False),
                ],
            )
        ),
        formula_builder=formula,
    )


def golowich_bound(
    net: Network, X: Any, *, margin: float = 1.0, norms: NetworkNorms | None = None, **norm_options: Any
) -> Bound:
    r"""Size-independent bound of Golowich, Rakhlin & Shamir (2018) with Frobenius norms.

    .. math::
        \hat{\mathfrak R}_S \le
        \frac{\rho \prod_h \|A_h\|_F \,(\sqrt{2 \log(2) L} + 1)\, \|X\|_F}{\gamma\, n},

    :math:`L` the number of weighted layers, :math:`\|A_h\|_F` the Frobenius norm of the operator
    (for a convolution: of the unrolled matrix, not the kernel). Status ``"unverified"``: the
    constant has not been checked against the source.

    References
    ----------
    Golowich, Rakhlin & Shamir (2018), COLT, Theorem 1.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([np.eye(2), np.ones((1, 2))])
    >>> X = np.eye(2)
    >>> hand = np.sqrt(2) * np.sqrt(2) * (np.sqrt(2 * np.log(2) * 2) + 1) * np.sqrt(2) / 2
    >>> bool(np.isclose(golowich_bound(net, X).value, hand))
    True
    """
    X = _data(net, X)
    margin = check_positive(margin, "margin")
    norms = _norms(net, norms, **norm_options)
    n = X.shape[0]
    L = len(norms.layers)
    fro = norms.frobenius
    rho = norms.lipschitz_l2
    x_f = float(np.linalg.norm(X))
    value = rho * float(np.prod(fro)) * (math.sqrt(2 * math.log(2) * L) + 1) * x_f / (margin * n)
    inputs = {"n": n, "X_F": x_f, "gamma": margin, "L": L, "rho": rho}
    inputs.update({f"F_{h + 1}": float(fro[h]) for h in range(L)})

    def formula() -> Any:
        import sympy

        n_, xf, g, l_, r = sympy.symbols("n X_F gamma L rho", positive=True)
        ff = _symbols("F", L)
        return r * sympy.Mul(*ff) * (sympy.sqrt(2 * sympy.log(2) * l_) + 1) * xf / (g * n_)

    return Bound(
        value,
        {"complexity": value},
        constants={"c": 1.0},
        reference="Golowich, Rakhlin & Shamir (2018), Theorem 1",
        status="unverified",
        kind="upper",
        name="golowich",
        inputs=inputs,
        notes=_notes(net, norms, elementwise=True),
        formula_builder=formula,
    )


def neyshabur_bound(
    net: Network, X: Any, *, margin: float = 1.0, norms: NetworkNorms | None = None, **norm_options: Any
) -> Bound:
    r"""Bound of Neyshabur, Tomioka & Srebro (2015) with the largest row :math:`\ell_1` norms.

    .. math::
        \hat{\mathfrak R}_S \le \frac{2^L \prod_h \|A_h\|_{1,\infty} \sqrt{\log(2d)}\, \max_i \|x_i\|_\infty}
        {\gamma \sqrt n},

    :math:`\|A\|_{1,\infty} = \max_r \sum_c |A_{rc}|` (of the operator for a convolution), :math:`d`
    the input dimension. Max-pooling is 1-Lipschitz in :math:`\ell_\infty`. Status ``"unverified"``.

    References
    ----------
    Neyshabur, Tomioka & Srebro (2015), COLT, "Norm-based capacity control in neural networks",
    Sec. 3, the per-unit :math:`\ell_1` (:math:`\gamma_{1,\infty}`) case; the theorem number is not verified.

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([np.array([[1.0, -2.0], [0.0, 1.0]]), np.ones((1, 2))])
    >>> X = np.array([[0.5, -1.0], [0.25, 0.0]])
    >>> hand = 4 * 3 * 2 * np.sqrt(np.log(4)) * 1.0 / np.sqrt(2)
    >>> bool(np.isclose(neyshabur_bound(net, X).value, hand))
    True
    """
    X = _data(net, X)
    margin = check_positive(margin, "margin")
    norms = _norms(net, norms, **norm_options)
    n, d = X.shape
    L = len(norms.layers)
    l1 = norms.l1inf
    x_inf = float(np.abs(X).max())
    value = (
        2.0**L
        * float(np.prod(l1))
        * norms.lipschitz_linf
        * math.sqrt(math.log(2 * d))
        * x_inf
        / (margin * math.sqrt(n))
    )
    inputs = {"n": n, "d": d, "x_inf": x_inf, "gamma": margin, "L": L, "rho_inf": norms.lipschitz_linf}
    inputs.update({f"a_{h + 1}": float(l1[h]) for h in range(L)})

    def formula() -> Any:
        import sympy

        n_, d_, xi, g, l_, r = sympy.symbols("n d x_inf gamma L rho_inf", positive=True)
        aa = _symbols("a", L)
        return 2**l_ * sympy.Mul(*aa) * r * sympy.sqrt(sympy.log(2 * d_)) * xi / (g * sympy.sqrt(n_))

    return Bound(
        value,
        {"complexity": value},
        constants={"c": 2.0},
        reference="Neyshabur, Tomioka & Srebro (2015), Sec. 3 (per-unit l1 constraints)",
        status="unverified",
        kind="upper",
        name="neyshabur",
        inputs=inputs,
        notes=_notes(net, norms, elementwise=True),
        formula_builder=formula,
    )


def check_lower_bound_architecture(net: Network) -> None:
    r"""Raise ``ValueError`` unless ``net`` has the architecture of the adversarial lower bound.

    The proof needs the class to contain every linear map :math:`x \mapsto \langle w, x\rangle` with
    :math:`\|w\|_2 \le r/2`, which holds for fully connected ReLU networks (Dense and ReLU layers
    alternating, Flatten allowed) with every hidden width at least 2 and one output: write
    :math:`\langle w, x\rangle = \rho(\langle w, x\rangle) - \rho(-\langle w, x\rangle)` with first layer
    :math:`[w; -w]`, identities between, last layer :math:`[1, -1]` (product of spectral norms
    :math:`2\|w\|_2`). Convolutions, max-pooling and several outputs break that embedding.
    """
    kinds = [type(layer).__name__ for layer in net.layers if not isinstance(layer, Flatten)]
    pattern_ok = (
        len(kinds) >= 1
        and kinds[0] == "Dense"
        and kinds[-1] == "Dense"
        and all(k == ("Dense" if i % 2 == 0 else "ReLU") for i, k in enumerate(kinds))
    )
    if not pattern_ok:
        names = [type(layer).__name__ for layer in net.layers]
        raise ValueError(
            "adversarial_lower_bound holds for fully connected ReLU networks only (Dense and ReLU layers "
            f"alternating, starting and ending with Dense); got layers {names}"
        )
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    hidden = [layer.weight.shape[0] for layer in dense[:-1]]
    if any(h < 2 for h in hidden):
        raise ValueError(f"adversarial_lower_bound needs every hidden width >= 2, got hidden widths {hidden}")
    if dense[-1].weight.shape[0] != 1:
        raise ValueError(
            "adversarial_lower_bound needs a scalar-output network (one output unit), got "
            f"{dense[-1].weight.shape[0]} outputs"
        )


def adversarial_lower_bound(
    net: Network | None,
    X: Any,
    *,
    eps: float,
    radius: float | None = None,
    norms: NetworkNorms | None = None,
    **norm_options: Any,
) -> Bound:
    r"""Yin et al.'s lower bound on the adversarial complexity of spectrally bounded ReLU networks.

    For :math:`\mathcal F = \{f_A : \prod_h \|A_h\|_\sigma \le r\}` (fully connected ReLU networks with
    hidden widths :math:`\ge 2` and one output) and the :math:`\ell_\infty` attack of radius
    :math:`\epsilon`,

    .. math::
        \hat{\mathfrak R}_S(\tilde{\mathcal F})
        \ge c\, r \Big(\frac{\|X\|_F}{n} + \epsilon \sqrt{\frac dn}\Big),
        \qquad c = \frac{1}{8\sqrt 2}\ \text{(a valid constant, derived)}.

    It bounds the *class* at radius :math:`r`; by default :math:`r = \prod_h \|A_h\|_\sigma` of ``net``
    (pass ``radius`` to choose it, and ``net=None`` then needs no network). The :math:`\epsilon\sqrt{d/n}`
    term is the unavoidable dimension dependence.

    The proof embeds every linear map with :math:`\|w\|_2 \le r/2` in the class (see
    :func:`check_lower_bound_architecture`), so a network outside that architecture (convolutions,
    max-pooling, several outputs, a hidden width 1) raises ``ValueError``: for such classes the
    inequality can fail (a Conv 1x1 -> ReLU -> MaxPool -> Dense(4 -> 1) class on 56x56 inputs has
    exact adversarial complexity about 0.5, below this expression).

    References
    ----------
    Yin, Ramchandran & Bartlett (2019), ICML, lower bound for neural networks (the paper leaves c
    unspecified); the value of c is derived for this project (:doc:`/theory/networks`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[3.0, 4.0], [0.0, 0.0]])
    >>> b = adversarial_lower_bound(None, X, eps=0.5, radius=2.0)
    >>> bool(np.isclose(b.value, 2.0 / (8 * np.sqrt(2)) * (5.0 / 2 + 0.5)))
    True
    """
    eps = check_nonnegative(eps, "eps")
    if net is not None:
        check_lower_bound_architecture(net)
    if net is None:
        if radius is None:
            raise ValueError("radius is required when net is None")
        X = check_matrix(X.detach().cpu().numpy() if is_torch_tensor(X) else X, "X", allow_torch=False)
    else:
        X = _data(net, X)
    if radius is None and net is not None:  # (net is None requires a radius, checked above)
        norms = _norms(net, norms, **norm_options)
        radius = float(np.prod(norms.spectral))
    radius = check_nonnegative(radius, "radius")
    n, d = X.shape
    x_f = float(np.linalg.norm(X))
    c = ADVERSARIAL_LOWER_C
    natural = c * radius * x_f / n
    adversarial = c * radius * eps * math.sqrt(d / n)

    def formula() -> Any:
        import sympy

        c_, r, xf, n_, e, d_ = sympy.symbols("c r X_F n eps d", nonnegative=True)
        return c_ * r * (xf / n_ + e * sympy.sqrt(d_ / n_))

    return Bound(
        natural + adversarial,
        {"natural": natural, "adversarial": adversarial},
        constants={"c": c},
        reference="Yin, Ramchandran & Bartlett (2019), ICML, lower bound for neural networks",
        status="derived",
        kind="lower",
        name="adversarial-lower",
        inputs={"c": c, "r": radius, "X_F": x_f, "n": n, "eps": eps, "d": d},
        notes="lower bound for the class {prod_h ||A_h||_sigma <= r}, widths >= 2; c = 1/(8 sqrt 2) derived",
        formula_builder=formula,
    )


@dataclass(frozen=True)
class NetworkBounds:
    """All bounds of :func:`network_bounds` on one network and sample, with the norms they used.

    ``adversarial_lower`` is None when the network is outside the lower bound's theorem (see
    :func:`check_lower_bound_architecture`).
    """

    spectral: Bound
    golowich: Bound
    neyshabur: Bound
    adversarial_lower: Bound | None
    norms: NetworkNorms

    def as_dict(self) -> dict[str, Bound]:
        """``{"spectral": ..., "golowich": ..., "neyshabur": ..., "adversarial_lower": ...}`` (the last
        only when it applies)."""
        out = {"spectral": self.spectral, "golowich": self.golowich, "neyshabur": self.neyshabur}
        if self.adversarial_lower is not None:
            out["adversarial_lower"] = self.adversarial_lower
        return out

    def __iter__(self):
        return iter(self.as_dict().items())


def network_bounds(
    net: Network,
    X: Any,
    *,
    eps: float,
    margin: float = 1.0,
    log_factor: str = "log",
    rigorous: bool = False,
    method: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 2000,
    seed: Any = 0,
    blas_threads: int | None = None,
) -> NetworkBounds:
    r"""Evaluate every bound of this module on one network and one sample (norms computed once).

    Parameters
    ----------
    net : Network
    X : array, shape ``(n, d)`` or ``(n, *input_shape)``
    eps : float
        :math:`\ell_\infty` attack radius of the adversarial lower bound.
    margin : float
        :math:`\gamma` of the upper bounds.
    log_factor, rigorous
        See :func:`spectral_bound`.
    method, tol, max_iter, seed
        Options of :func:`radbound.networks.spectral_norm`.
    blas_threads : int, optional
        Deprecated (see :func:`radbound.networks.network_norms`, which chooses the thread count).

    Returns
    -------
    NetworkBounds
        ``spectral``, ``golowich``, ``neyshabur`` (upper bounds for the ramp loss of margin
        :math:`\gamma`) and ``adversarial_lower`` (a lower bound; None for architectures outside its
        theorem, see :func:`adversarial_lower_bound`), each a :class:`radbound.Bound`
        carrying its own reference, constants and status, plus the shared ``norms``.

    Notes
    -----
    With :math:`s_h, b_h` as in the module docstring and :math:`\rho` the product of the Lipschitz
    constants of the weightless layers in :math:`\ell_2` (:math:`\rho_\infty` in :math:`\ell_\infty`;
    :doc:`/theory/networks`):

    .. math::
        \text{spectral:}\quad \frac{4}{n^{3/2}} + \frac{26 \log n \log(2 d_{\max})}{\gamma n}
        \|X\|_F\, \rho \prod_h s_h \Big(\sum_h (b_h/s_h)^{2/3}\Big)^{3/2},

    .. math::
        \text{Golowich:}\quad \frac{\rho \prod_h \|A_h\|_F\, (\sqrt{2\log(2) L} + 1)\, \|X\|_F}{\gamma n},
        \qquad
        \text{Neyshabur:}\quad \frac{2^L \rho_\infty \prod_h \|A_h\|_{1,\infty} \sqrt{\log(2d)}\,
        \max_i\|x_i\|_\infty}{\gamma \sqrt n},

    .. math::
        \text{adversarial lower:}\quad
        \hat{\mathfrak R}_S(\tilde{\mathcal F})
        \ge c\, r \Big(\frac{\|X\|_F}{n} + \epsilon\sqrt{\frac dn}\Big),
        \quad r = \prod_h \|A_h\|_\sigma,\ c = \frac{1}{8\sqrt2}.

    Convention: factor :math:`1/n`, no absolute value. The norms are computed once
    (:func:`radbound.networks.network_norms`) and shared by the four bounds.

    References
    ----------
    Bartlett, Foster & Telgarsky (2017), "Spectrally-normalized margin bounds for neural networks",
    NeurIPS, Lemma A.8 (spectral bound, as stated by Yin, Ramchandran & Bartlett 2019; it feeds the
    margin bound of Bartlett, Foster & Telgarsky's Thm 1.1);
    Golowich, Rakhlin & Shamir (2018), "Size-independent sample complexity of neural networks", COLT,
    Theorem 1 (constant unverified, :doc:`/theory/networks`); Neyshabur, Tomioka & Srebro (2015),
    "Norm-based capacity control in neural networks", COLT, Sec. 3; Yin, Ramchandran & Bartlett (2019), ICML,
    lower bound for neural networks (adversarial; the constant :math:`c` is derived, see
    :doc:`/theory/networks`).

    Examples
    --------
    >>> import numpy as np
    >>> from radbound.networks import Network
    >>> net = Network.from_arrays([np.eye(3), np.ones((1, 3))])
    >>> bs = network_bounds(net, np.eye(3), eps=0.1)
    >>> sorted(bs.as_dict()) == ["adversarial_lower", "golowich", "neyshabur", "spectral"]
    True
    """
    X = _data(net, X)
    with warnings.catch_warnings():  # the deprecation is reported once, here, with the caller's line
        warnings.simplefilter("ignore", DeprecationWarning)
        norms = network_norms(
            net, method=method, tol=tol, max_iter=max_iter, seed=seed, blas_threads=blas_threads
        )
    if blas_threads is not None:
        warnings.warn(
            "blas_threads is deprecated and will be removed: radbound chooses the BLAS thread count itself",
            DeprecationWarning,
            stacklevel=2,
        )
    try:
        check_lower_bound_architecture(net)
        lower_ok = True
    except ValueError:
        lower_ok = False
    return NetworkBounds(
        spectral=spectral_bound(net, X, margin=margin, log_factor=log_factor, rigorous=rigorous, norms=norms),
        golowich=golowich_bound(net, X, margin=margin, norms=norms),
        neyshabur=neyshabur_bound(net, X, margin=margin, norms=norms),
        adversarial_lower=adversarial_lower_bound(net, X, eps=eps, norms=norms) if lower_ok else None,
        norms=norms,
    )
