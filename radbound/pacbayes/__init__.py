r"""PAC-Bayes risk certificates: bounds that are not vacuous, natural and adversarial.

Maths: :doc:`/theory/pac_bayes`.

The binary kl and its inverses
    :func:`kl`, :func:`kl_inv` (upper), :func:`kl_inv_lower`.
Bounds as :class:`radbound.Bound` objects
    :func:`pac_bayes_kl_bound` (Seeger / Maurer), :func:`pac_bayes_quadratic_bound`,
    :func:`pac_bayes_lambda_bound` (the relaxations of Pérez-Ortiz et al. 2021),
    :func:`sample_convergence_bound` (Langford & Caruana's Monte-Carlo correction) and
    :func:`pac_bayes_certificate` (the two chained); :class:`SampledRisk`.
Gaussian posteriors and priors
    :class:`DiagonalGaussian`, :func:`gaussian_kl` (closed form); :class:`GaussianLinear` over linear
    classifiers.
Norm-based PAC-Bayes margin bound
    :func:`pac_bayes_spectral_bound` (Neyshabur, Bhojanapalli & Srebro 2018), beside the Rademacher
    bounds of :mod:`radbound.networks`.
Trained certificates
    :func:`linear_certificate` (numpy and scipy only) returns a :class:`RiskCertificate`: a Bound on the
    true risk of the stochastic classifier it trains, with the classifier attached;
    :func:`network_certificate` (training needs torch) does the same for a stochastic ReLU network
    (:class:`GaussianNetwork`), its adversarial losses bounded by certified margins.

Only numpy and scipy are imported; sympy/mpmath when a formula is asked for.
"""

from ._common import PRIOR_STD_GRID as PRIOR_STD_GRID
from ._common import SampleSplit, TrainingSummary
from ._kl import kl, kl_inv, kl_inv_lower
from .bounds import (
    SampledRisk,
    pac_bayes_certificate,
    pac_bayes_kl_bound,
    pac_bayes_lambda_bound,
    pac_bayes_quadratic_bound,
    sample_convergence_bound,
)
from .certificate import RiskCertificate
from .gaussian import DiagonalGaussian, gaussian_kl
from .linear import GaussianLinear, linear_certificate
from .margin import pac_bayes_spectral_bound
from .network import GaussianNetwork, network_certificate

__all__ = [
    "DiagonalGaussian",
    "GaussianLinear",
    "GaussianNetwork",
    "RiskCertificate",
    "SampleSplit",
    "SampledRisk",
    "TrainingSummary",
    "gaussian_kl",
    "kl",
    "kl_inv",
    "kl_inv_lower",
    "linear_certificate",
    "network_certificate",
    "pac_bayes_certificate",
    "pac_bayes_kl_bound",
    "pac_bayes_lambda_bound",
    "pac_bayes_quadratic_bound",
    "pac_bayes_spectral_bound",
    "sample_convergence_bound",
]
