"""The old home of the network bounds: they live in :mod:`radbound.bounds.network` (this module
re-exports them, so ``from radbound.networks.bounds import spectral_bound`` keeps working)."""

from ..bounds.network import (  # noqa: F401
    ADVERSARIAL_LOWER_C,
    NetworkBounds,
    adversarial_lower_bound,
    check_lower_bound_architecture,
    golowich_bound,
    network_bounds,
    neyshabur_bound,
    spectral_bound,
    surrogate_margin_bound,
)

__all__: list[str] = []  # nothing new here: the public names are those of radbound.bounds.network
