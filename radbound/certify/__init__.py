r"""Certified robustness: lower bounds on adversarial margins that no attack can break.

* :func:`certified_margins` -- interval bound propagation (IBP), CROWN and the SDP certificate
  for :class:`~radbound.networks.Network` objects and linear models (exact there);
  :class:`CertifiedMargins`.

numpy throughout (the torch-free install certifies); torch tensors as inputs run the same
computation in torch (device-agnostic; only CPU runs are tested here).
"""

from .margins import AUTO_CROWN_BUDGET, CertifiedMargins, certified_margins

__all__ = ["AUTO_CROWN_BUDGET", "CertifiedMargins", "certified_margins"]
