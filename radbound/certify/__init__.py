r"""Certified robustness: lower bounds on adversarial margins that no attack can break.

* :func:`certified_margins` -- interval bound propagation (IBP), CROWN and the SDP certificate
  for :class:`~radbound.networks.Network` objects and linear models (exact there): one certified
  lower bound per sample on the adversarial margin; :func:`certify` returns the same margins with
  what was certified and how (:class:`CertifiedMargins`).
* :func:`certified_risk` -- the certified empirical adversarial risk (0-1 or ramp), the empirical
  term of a generalization bound that relies on no attack; :class:`CertifiedRisk`.
* :func:`certify_smoothed`, :func:`predict_smoothed` -- randomized smoothing (Cohen et al. 2019):
  smoothed class and certified :math:`\ell_2` radius; :class:`SmoothedCertificate`.
* :func:`local_linearity` -- the local linearity measure of Qin et al. (2019), closed forms for
  linear models; :class:`LocalLinearity`.

numpy throughout (the torch-free install certifies); torch tensors as inputs run the same
computation in torch (device-agnostic; only CPU runs are tested here). Theory:
:doc:`/theory/certified`.
"""

from .linearity import LocalLinearity, local_linearity
from .margins import AUTO_CROWN_BUDGET, CertifiedMargins, certified_margins, certify
from .risk import CertifiedRisk, certified_risk
from .smoothing import SmoothedCertificate, certify_smoothed, clopper_pearson_lower, predict_smoothed

__all__ = [
    "AUTO_CROWN_BUDGET",
    "CertifiedMargins",
    "certify",
    "certified_margins",
    "CertifiedRisk",
    "certified_risk",
    "SmoothedCertificate",
    "certify_smoothed",
    "predict_smoothed",
    "clopper_pearson_lower",
    "LocalLinearity",
    "local_linearity",
]
