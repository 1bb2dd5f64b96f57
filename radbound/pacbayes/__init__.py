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
Trained certificates
    :func:`linear_certificate` (numpy and scipy only) returns a :class:`RiskCertificate`: a Bound on the
    true risk of the stochastic classifier it trains, with the classifier attached.

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

__all__ = [
    "DiagonalGaussian",
    "GaussianLinear",
    "RiskCertificate",
    "SampleSplit",
    "SampledRisk",
    "TrainingSummary",
    "gaussian_kl",
    "kl",
    "kl_inv",
    "kl_inv_lower",
    "linear_certificate",
    "pac_bayes_certificate",
    "pac_bayes_kl_bound",
    "pac_bayes_lambda_bound",
    "pac_bayes_quadratic_bound",
    "sample_convergence_bound",
]
