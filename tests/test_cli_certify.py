"""``radbound certify``: the numbers printed are those of radbound.certify.certify."""

from __future__ import annotations

import json

import numpy as np
import pytest

from radbound.attacks import linear_robust_accuracy
from radbound.certify import certified_margins, certify
from radbound.cli import main
from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU


@pytest.fixture()
def files(tmp_path):
    rng = np.random.default_rng(0)
    net = Network(
        [
            Conv2d(rng.normal(size=(2, 1, 3, 3)) / 3, rng.normal(size=2) / 10, padding="same"),
            ReLU(),
            MaxPool2d(2),
            Flatten(),
            Dense(rng.normal(size=(3, 18)) / 4),
        ],
        (1, 6, 6),
    )
    X, y = rng.uniform(0, 1, size=(40, 36)), rng.integers(0, 3, 40)
    net.save_npz(tmp_path / "net.npz")
    np.savez(tmp_path / "data.npz", x=X, y=y)
    W = rng.normal(size=(3, 36))
    np.savez(tmp_path / "lin.npz", W=W)
    return tmp_path, net, X, y, W


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_certify_network_json_matches_the_api(files, capsys):
    path, net, X, y, _ = files
    out = run_json(
        capsys,
        [
            "certify",
            "--model",
            str(path / "net.npz"),
            "--data",
            str(path / "data.npz"),
            "--eps",
            "0.02",
            "--clip",
            "0",
            "1",
            "--json",
        ],
    )
    assert out["n"] == 40 and out["clip"] == [0.0, 1.0]
    rows = {r["method"]: r for r in out["results"]}
    for method in ("ibp", "crown"):
        cm = certify(net, X, y, eps=0.02, method=method, clip=(0, 1))
        assert rows[method]["certified_accuracy"] == cm.certified_accuracy
        assert rows[method]["mean_margin"] == pytest.approx(float(np.mean(cm.margins)), rel=1e-12)
    assert rows["natural (eps = 0)"]["certified_accuracy"] == float(
        np.mean(certified_margins(net, X, y, eps=0.0) > 0)
    )


def test_certify_linear_model_is_exact(files, capsys):
    path, _, X, y, W = files
    out = run_json(
        capsys,
        [
            "certify",
            "--model",
            str(path / "lin.npz"),
            "--data",
            str(path / "data.npz"),
            "--eps",
            "0.05",
            "--method",
            "ibp",
            "--json",
        ],
    )
    row = out["results"][1]
    assert row["exact"] and row["certified_accuracy"] == linear_robust_accuracy(W, None, X, y, eps=0.05)
    assert (
        main(["certify", "--model", str(path / "net.npz"), "--data", str(path / "data.npz"), "--eps", "0.1"])
        == 0
    )
    assert "certified accuracy" in capsys.readouterr().out


def test_certify_reports_bad_input(files, capsys):
    path, *_ = files
    np.savez(path / "bad.npz", V=np.ones(3))
    code = main(
        ["certify", "--model", str(path / "bad.npz"), "--data", str(path / "data.npz"), "--eps", "0.1"]
    )
    assert code == 2 and "--model must be a Network" in capsys.readouterr().err
    code = main(
        ["certify", "--model", str(path / "net.npz"), "--data", str(path / "data.npz"), "--eps", "-1"]
    )
    assert code == 2 and "eps must be finite and >= 0" in capsys.readouterr().err


def test_certify_a_saved_linear_model_with_its_classes(tmp_path, capsys):
    from radbound.train import LinearModel

    rng = np.random.default_rng(5)
    W, b = rng.normal(size=(3, 6)), rng.normal(size=3)
    model = LinearModel(W, b, "softmax", 0.0, 0.0, np.inf, 0.0, "fast", classes=[3, 8, 9])
    model.save(tmp_path / "model.npz")
    X, y = rng.normal(size=(30, 6)), rng.choice([3, 8, 9], 30)
    np.savez(tmp_path / "d.npz", x=X, y=y)
    out = run_json(
        capsys,
        [
            "certify",
            "--model",
            str(tmp_path / "model.npz"),
            "--data",
            str(tmp_path / "d.npz"),
            "--eps",
            "0.1",
            "--method",
            "crown",
            "--json",
        ],
    )
    expected = linear_robust_accuracy(W, b, X, model.class_index(y), eps=0.1)
    assert out["results"][1]["certified_accuracy"] == expected and out["results"][1]["exact"]
