r"""Neural networks: layer descriptions, operator norms, norm-based bounds and the SDP surrogate.

Theory: :doc:`/theory/networks` and :doc:`/theory/sdp`.

* :mod:`~radbound.networks.layers` -- :class:`Network` of :class:`Dense`, :class:`Conv2d`,
  :class:`ReLU`, :class:`MaxPool2d`, :class:`Flatten` (numpy; npz files; torch extractor).
* :mod:`~radbound.networks.norms` -- spectral norms of dense and convolution operators (exact, FFT,
  Lanczos/power with a certificate), (2,1), Frobenius and (1,inf) norms without materialising.
* :mod:`~radbound.networks.bounds` -- Bartlett et al. (spectral), Golowich et al. (Frobenius),
  Neyshabur et al. (l1,inf) upper bounds and Yin et al.'s adversarial lower bound, as
  :class:`radbound.Bound` objects; :func:`network_bounds` evaluates them all.
* :mod:`~radbound.networks.paths` -- :math:`\ell_p` path norms of ReLU networks (measures).
* :mod:`~radbound.networks.sdp` -- the Raghunathan et al. SDP certificate for one-hidden-layer
  networks, its cheap bound, and Yin et al.'s surrogate adversarial loss.

torch is imported only by :meth:`Network.from_torch`; cvxpy only by the SDP solver; sympy only
when a bound's formula is asked for.
"""

from .bounds import (
    NetworkBounds,
    adversarial_lower_bound,
    golowich_bound,
    network_bounds,
    neyshabur_bound,
    spectral_bound,
)
from .layers import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU, conv_geometry, unrolled_matrix
from .norms import (
    CertificateError,
    ConvergenceWarning,
    LayerNorms,
    NetworkNorms,
    SpectralNorm,
    dense_spectral_norm,
    frobenius_norm,
    l1inf_norm,
    l21_norm,
    lipschitz,
    network_norms,
    row_norms,
    spectral_norm,
)
from .paths import path_norm
from .sdp import (
    SDPCertificate,
    SurrogateLoss,
    sdp_certificate,
    sdp_matrix,
    surrogate_adversarial_loss,
    surrogate_margin_bound,
)

__all__ = [
    "Network",
    "Dense",
    "Conv2d",
    "ReLU",
    "MaxPool2d",
    "Flatten",
    "conv_geometry",
    "unrolled_matrix",
    "CertificateError",
    "ConvergenceWarning",
    "SpectralNorm",
    "LayerNorms",
    "NetworkNorms",
    "dense_spectral_norm",
    "spectral_norm",
    "row_norms",
    "l21_norm",
    "frobenius_norm",
    "l1inf_norm",
    "lipschitz",
    "network_norms",
    "path_norm",
    "NetworkBounds",
    "network_bounds",
    "spectral_bound",
    "golowich_bound",
    "neyshabur_bound",
    "adversarial_lower_bound",
    "SDPCertificate",
    "SurrogateLoss",
    "sdp_matrix",
    "sdp_certificate",
    "surrogate_adversarial_loss",
    "surrogate_margin_bound",
]
