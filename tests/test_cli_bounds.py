"""The ``radbound complexity`` and ``radbound bound`` sub-commands, run in-process."""

import json
import math

import numpy as np
import pytest

import radbound as rb
from radbound.attacks import ramp_risk
from radbound.cli import main


def _main(argv):
    """Run the ``radbound`` command line in-process."""
    return main(argv)


@pytest.fixture
def sample(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = np.array([3, 8] * 6)
    path = tmp_path / "sample.npz"
    np.savez(path, x=X, y=y)
    return path, X, y


def _json(capsys, argv):
    assert _main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_complexity_binary_json_matches_the_library(sample, capsys):
    path, X, y = sample
    out = _json(
        capsys,
        [
            "complexity",
            "--data",
            str(path),
            "--classes",
            "3",
            "8",
            "--eps",
            "0.1",
            "--method",
            "exact",
            "--json",
        ],
    )
    assert out["problem"] == "binary" and out["n"] == 12 and out["d"] == 3
    nat, adv = out["results"]
    yb = np.where(y == 3, 1.0, -1.0)
    assert math.isclose(nat["value"], rb.linear_rademacher(X, method="exact").value)
    assert math.isclose(adv["value"], rb.adversarial_linear_rademacher(X, yb, eps=0.1, method="exact").value)
    assert nat["stderr"] == 0.0 and nat["method"] == "exact"


def test_complexity_monte_carlo_and_table(sample, capsys):
    path, _, _ = sample
    argv = ["complexity", "--data", str(path), "--classes", "3", "8", "--method", "monte-carlo"]
    argv += ["--n-draws", "100", "--seed", "0"]
    out = _json(capsys, argv + ["--json"])
    assert out["results"][0]["stderr"] > 0 and out["results"][0]["interval"] is not None
    assert _main(argv) == 0
    text = capsys.readouterr().out
    assert "natural R_S(F)" in text and "95% interval" in text


def test_bound_linear_adversarial_sandwich(sample, capsys):
    path, _, _ = sample
    out = _json(
        capsys,
        [
            "bound",
            "linear-adversarial",
            "--data",
            str(path),
            "--classes",
            "3",
            "8",
            "--eps",
            "0.2",
            "--form",
            "sharp",
            "--method",
            "exact",
            "--json",
        ],
    )
    est, lower, upper = out["results"]
    assert lower["value"] <= est["value"] <= upper["value"]
    assert set(upper["terms"]) == {"natural complexity", "adversarial term"}
    assert "Yin, Ramchandran & Bartlett" in upper["reference"] and upper["status"] == "derived"


def test_bound_multiclass_and_generalization_with_a_model(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(15, 4)), np.arange(15) % 3
    data = tmp_path / "mc.npz"
    np.savez(data, x=X, y=y)
    Wm = 0.3 * rng.normal(size=(3, 4))
    model = tmp_path / "model.npz"
    np.savez(model, W=Wm)
    radius = float(np.linalg.norm(Wm, axis=1).max())
    common = [
        "--data",
        str(data),
        "--margin",
        "1",
        "--eps",
        "0.1",
        "--radius",
        str(radius),
        "--method",
        "exact",
    ]
    out = _json(capsys, ["bound", "multiclass-adversarial", *common, "--json"])
    b = rb.bounds.multiclass_adversarial_bound(X, y, margin=1.0, eps=0.1, radius=radius, complexity="exact")
    assert math.isclose(out["results"][0]["value"], b.value)
    out = _json(
        capsys, ["bound", "generalization", *common, "--risk", "adversarial", "--model", str(model), "--json"]
    )
    mb, g = out["results"]
    risk = ramp_risk(Wm, None, X, y, margin=1.0, eps=0.1)
    assert math.isclose(g["terms"]["empirical risk"], risk)
    fixed = rb.bounds.generalization(risk, b, 15, risk="adversarial")
    # post-hoc by default: the margin 1 is the grid point j = 0 (weight 1/2), paid as a named term
    assert math.isclose(g["value"] - g["terms"]["post-hoc price"], fixed.value)
    price = 3 * math.sqrt((math.log(2 / 0.05) + math.log(2)) / 30) - 3 * math.sqrt(math.log(2 / 0.05) / 30)
    assert math.isclose(g["terms"]["post-hoc price"], price)
    assert g["name"] == "generalization-adversarial"
    with pytest.warns(UserWarning, match="NOT valid"):
        out = _json(
            capsys,
            [
                "bound",
                "generalization",
                *common,
                "--risk",
                "adversarial",
                "--model",
                str(model),
                "--no-posthoc",
            ]
            + ["--json"],
        )
    assert math.isclose(out["results"][-1]["value"], fixed.value)


def test_generalization_of_a_saved_model_with_radius_auto(tmp_path, capsys):
    """`--model` with a LinearModel file and the default --radius auto: the bound of
    radbound.bounds.model_generalization (the model's own radius and margin paid for)."""
    from radbound.train import LinearModel, fit_linear

    rng = np.random.default_rng(2)
    X = rng.normal(size=(12, 3))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=12) > 0, 1.0, -1.0)
    data, path = tmp_path / "d.npz", tmp_path / "m.npz"
    np.savez(data, x=X, y=y)
    model = fit_linear(X, y, eps=0.1, lam=0.01, loss="logistic")
    model.save(path)
    argv = ["bound", "generalization", "--data", str(data), "--model", str(path), "--margin", "auto"]
    out = _json(capsys, argv + ["--eps", "0.1", "--risk", "adversarial", "--method", "exact", "--json"])
    (g,) = out["results"]
    loaded = LinearModel.load(path)
    ref = rb.bounds.model_generalization(loaded, X, y, margin="auto", eps=0.1, complexity="exact")
    assert math.isclose(g["value"], ref.value) and "post-hoc price" in g["terms"]
    assert [pt["name"] for pt in g["posthoc"]["points"]] == ["scale"]
    assert math.isclose(g["posthoc"]["log_price"], ref.posthoc.log_price)
    assert (
        _main(
            ["bound", "generalization", "--data", str(data), "--empirical-risk", "0.1"] + ["--margin", "auto"]
        )
        == 2
    )
    assert "--margin auto needs `bound generalization --model" in capsys.readouterr().err


def test_labels_in_pm_one_keep_their_sign(tmp_path, capsys):
    """Regression: with labels already in {-1, +1} the CLI once sorted them and mapped -1 to +1,
    flipping every label (ramp risk 0.997 instead of the library's 0.077 on the same model)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 3))
    w = np.array([1.0, -0.5, 0.25])
    y = np.where(X @ w + 0.3 * rng.normal(size=40) >= 0, 1.0, -1.0)
    data, model = tmp_path / "pm.npz", tmp_path / "w.npz"
    np.savez(data, x=X, y=y)
    np.savez(model, W=w)
    radius = float(np.linalg.norm(w))
    out = _json(
        capsys,
        ["bound", "generalization", "--data", str(data), "--model", str(model), "--margin", "1"]
        + ["--radius", str(2 * radius), "--method", "exact", "--n", "12", "--json"],
    )
    sample_ss, _ = np.random.SeedSequence(0).spawn(2)  # --seed 0: the subsample's stream
    idx = np.sort(np.random.default_rng(sample_ss).permutation(40)[:12])
    risk = ramp_risk(w, None, X[idx], y[idx], margin=1.0)
    assert math.isclose(out["results"][-1]["terms"]["empirical risk"], risk)
    assert risk < 0.5  # the model fits its own labels: a flipped labelling would give > 0.5


def test_empirical_ramp_risk_uses_the_exact_adversarial_margin():
    """Binary: margin y<w,x> - eps ||w||_1; ramp at gamma = 1."""
    w = np.array([1.0, -2.0])
    X, y = np.array([[1.0, 0.0], [0.0, -1.0]]), np.array([1.0, 1.0])
    # margins 1 - 0.3 = 0.7 and 2 - 0.3 = 1.7 -> ramp 0.3 and 0
    assert math.isclose(ramp_risk(w, None, X, y, margin=1.0, eps=0.1), 0.15)


def test_cli_errors_name_the_parameter(sample, capsys):
    path, _, _ = sample
    assert _main(["bound", "multiclass-natural", "--data", str(path), "--classes", "3", "8"]) == 2
    assert "margin is required" in capsys.readouterr().err
    assert _main(["complexity", "--data", str(path)]) == 2  # labels 3, 8: which one is +1?
    assert "pass --classes POS NEG" in capsys.readouterr().err
    assert (
        _main(
            [
                "bound",
                "generalization",
                "--data",
                str(path),
                "--classes",
                "3",
                "8",
                "--margin",
                "1",
                "--empirical-risk",
                "0.1",
                "--delta",
                "1.5",
            ]
        )
        == 2
    )
    assert "delta must be in (0, 1)" in capsys.readouterr().err
    assert _main(["complexity", "--data", str(path), "--classes", "3"]) == 2
    assert "at least two classes" in capsys.readouterr().err
    assert _main(["complexity", "--data", str(path), "--classes", "3", "5"]) == 2
    assert "do not occur" in capsys.readouterr().err


@pytest.mark.slow
def test_mnist_from_the_cli(capsys):
    out = _json(
        capsys,
        [
            "complexity",
            "--mnist",
            "--classes",
            "3",
            "8",
            "--n",
            "200",
            "--eps",
            "0.1",
            "--method",
            "monte-carlo",
            "--n-draws",
            "200",
            "--seed",
            "0",
            "--json",
        ],
    )
    assert out["n"] == 200 and out["d"] == 784
    nat, adv = out["results"]
    assert adv["value"] >= nat["value"] - 4 * (adv["stderr"] + nat["stderr"])


def test_seed_is_split_between_the_subsample_and_the_sign_draws(capsys):
    """--seed s draws the subsample from SeedSequence(s).spawn(2)[0] and the signs from [1]."""
    out = _json(
        capsys,
        [
            "complexity",
            "--mnist",
            "--classes",
            "3",
            "8",
            "--n",
            "40",
            "--method",
            "monte-carlo",
            "--n-draws",
            "60",
            "--seed",
            "7",
            "--json",
        ],
    )
    sample_ss, draws_ss = np.random.SeedSequence(7).spawn(2)
    ds = rb.data.load_mnist()
    keep = np.isin(ds.y, [3, 8])
    X, y = ds.X[keep], ds.y[keep]
    idx = np.sort(np.random.default_rng(sample_ss).permutation(X.shape[0])[:40])
    X, y = X[idx], np.where(y[idx] == 3, 1.0, -1.0)
    nat = rb.linear_rademacher(X, method="monte-carlo", n_draws=60, seed=np.random.default_rng(draws_ss))
    assert out["results"][0]["value"] == nat.value
    same = rb.linear_rademacher(X, method="monte-carlo", n_draws=60, seed=7)  # the old, shared stream
    assert same.value != nat.value
