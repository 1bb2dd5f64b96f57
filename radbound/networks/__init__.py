r"""Neural networks: layer descriptions, operator norms and the SDP certificate.

Theory: :doc:`/theory/networks` and :doc:`/theory/sdp`. Where things live: this package holds what is
computed FOR a network (its layers, the norms of its operators, the SDP certificate and the surrogate
loss built on it); every theorem that turns those numbers into a :class:`radbound.Bound` lives in
:mod:`radbound.bounds` (network bounds in :mod:`radbound.bounds.network`). The bound functions are
re-exported here under their old names (``radbound.networks.spectral_bound`` is
``radbound.bounds.spectral_bound``).

* :mod:`~radbound.networks.layers` -- :class:`Network` of :class:`Dense`, :class:`Conv2d`,
  :class:`ReLU`, :class:`MaxPool2d`, :class:`Flatten` (numpy; npz files; torch extractor).
* :mod:`~radbound.networks.norms` -- spectral norms of dense and convolution operators (exact, FFT,
  Lanczos/power with a certificate), (2,1), Frobenius and (1,inf) norms without materialising.
* :mod:`~radbound.networks.paths` -- :math:`\ell_p` path norms of ReLU networks (measures).
* :mod:`~radbound.networks.sdp` -- the Raghunathan et al. SDP certificate for one-hidden-layer
  networks, its cheap bound, and Yin et al.'s surrogate adversarial loss.

torch is imported only by :meth:`Network.from_torch`; cvxpy only by the SDP solver; sympy only
when a bound's formula is asked for.
"""

import importlib
from typing import Any

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
)

#: Bound functions that live in radbound.bounds.network, re-exported lazily under their old names
#: (an eager import would be circular: radbound.bounds.network imports the layers and norms above).
_FROM_BOUNDS = (
    "NetworkBounds",
    "network_bounds",
    "spectral_bound",
    "golowich_bound",
    "neyshabur_bound",
    "adversarial_lower_bound",
    "surrogate_margin_bound",
)


def __getattr__(name: str) -> Any:
    if name in _FROM_BOUNDS:
        return getattr(importlib.import_module("radbound.bounds.network"), name)
    raise AttributeError(f"module 'radbound.networks' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FROM_BOUNDS))


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
    "SDPCertificate",
    "SurrogateLoss",
    "sdp_matrix",
    "sdp_certificate",
    "surrogate_adversarial_loss",
]
