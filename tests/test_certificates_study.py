"""The certificates study (radbound/studies/certificates.py): its quick run shows what the figure claims."""

from __future__ import annotations

import json

import pytest

from radbound.study import find_studies, load_study, run_study


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    study = load_study("certificates")
    return run_study(study, quick=True, out=tmp_path_factory.mktemp("cert"), progress=False, check=True)


def test_certificates_study_is_discovered():
    files = find_studies()
    assert "certificates" in files and files["certificates"].module == "radbound.studies.certificates"
    study = load_study("certificates")
    assert study.description and study.data_note and study.check is not None
    assert len(study.grid(study.quick)) <= 8


def test_quick_run_certifies_and_covers(quick):
    from radbound.studies.certificates import coverage_fraction

    assert quick.png.stat().st_size > 10_000
    rec = json.loads(quick.json.read_text())
    assert rec["status"] == "complete" and rec["resources"]["n_pool"] == 7000
    mnist = [r for r in quick.rows if r["kind"] == "mnist"]
    assert {r["eps"] for r in mnist} == {0.0, 0.01}
    for r in mnist:
        total = r["empirical"] + r["mc_correction"] + r["kl_term"] + r["confidence_term"]
        assert total == pytest.approx(r["certificate"], rel=1e-9)
        assert r["certificate"] < 1.0 < r["rademacher"]
        assert r["n_bound"] == 500 and "bundled MNIST" in r["data"]
    frac, n = coverage_fraction(quick.rows)
    assert n == 8 and frac >= 0.94
    cover = [r for r in quick.rows if r["kind"] == "coverage"]
    assert all(r["holds"] == (r["certificate"] >= r["true_risk"]) for r in cover)


def test_config_rejects_bad_values():
    from radbound.studies.certificates import CertificatesConfig

    with pytest.raises(ValueError, match="models must hold"):
        CertificatesConfig(models=("cnn",))
    with pytest.raises(ValueError, match="delta \\+ delta_mc must be < 1"):
        CertificatesConfig(delta=0.6, delta_mc=0.5)


def test_network_baseline_is_the_priced_post_hoc_bound():
    """The network's Rademacher baseline is model_generalization (norms and margin paid for by the grid),
    best of the three norm bounds at delta / 3 each: never the unpriced bound at the network's own norms."""
    import math

    import numpy as np

    from radbound.bounds import model_generalization
    from radbound.networks import Network
    from radbound.studies.certificates import QUICK, _network_rademacher

    rng = np.random.default_rng(0)
    net = Network.from_arrays([rng.normal(size=(6, 4)), rng.normal(size=(3, 6))])
    X, y = rng.normal(size=(200, 4)), rng.integers(0, 3, 200)
    value, name = _network_rademacher(net, X, y, QUICK)
    priced = {
        b: model_generalization(net, X, y, margin="auto", bound=b, delta=QUICK.delta / 3)
        for b in ("spectral", "golowich", "neyshabur")
    }
    assert all(b.terms["post-hoc price"] > 0 for b in priced.values())
    assert math.isclose(value, min(b.value for b in priced.values()), rel_tol=1e-12)
    assert "priced" in name
