"""Damaged files and the command line: one named error, never a traceback from deep inside.

Each test builds the damaged file it needs (a truncated archive, a flipped byte in a member so its
CRC fails, a missing member, an IDX header whose sizes overflow 64 bits, a directory where a file is
expected) and checks the error names the file and the cause; the command-line tests check the
one-line error and exit status 2, strict JSON, a quiet exit on a closed pipe, and that a bug of the
library (an error radbound did not raise on purpose) keeps its traceback.
"""

from __future__ import annotations

import io
import json
import math
import struct

import numpy as np
import pytest

from radbound._validation import check_random_state, read_npz
from radbound.cli import _is_user_error, main
from radbound.cli._complexity import strict_json
from radbound.data import load_mnist, read_idx, rescale_images
from radbound.networks import Network


def _damaged(tmp_path, name, arrays, member):
    """``(good, truncated, crc)`` paths: an npz, its first half, and a copy with one byte of
    ``member``'s data flipped (numpy stores members uncompressed, so the CRC check fails)."""
    good = tmp_path / f"{name}.npz"
    np.savez(good, **arrays)
    raw = good.read_bytes()
    truncated = tmp_path / f"{name}-truncated.npz"
    truncated.write_bytes(raw[: len(raw) // 2])
    bad = bytearray(raw)
    bad[bad.find(f"{member}.npy".encode()) + 100] ^= 0xFF
    crc = tmp_path / f"{name}-crc.npz"
    crc.write_bytes(bytes(bad))
    return good, truncated, crc


# ------------------------------------------------------------------------------------ read_npz
def test_read_npz_names_the_file_for_every_kind_of_damage(tmp_path):
    good, truncated, crc = _damaged(tmp_path, "a", {"x": np.arange(100.0)}, "x")
    assert read_npz(good)["x"].tolist() == list(range(100))
    with pytest.raises(ValueError, match=r"data file '.*a-truncated.npz' is not a readable npz file"):
        read_npz(truncated, "data file")
    with pytest.raises(ValueError, match=r"a-crc.npz' is not a readable npz file: Bad CRC-32"):
        read_npz(crc)
    with pytest.raises(ValueError, match="is a directory"):
        read_npz(tmp_path)
    with pytest.raises(FileNotFoundError, match="missing.npz' does not exist"):
        read_npz(tmp_path / "missing.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ValueError, match="single .npy array, not an npz archive"):
        read_npz(tmp_path / "single.npy")


def test_load_mnist_reports_a_corrupt_member_by_file(tmp_path):
    x = np.zeros((3, 784), np.uint8)
    _, truncated, crc = _damaged(tmp_path, "mnist", {"x": x, "y": np.zeros(3, np.uint8)}, "x")
    for path in (truncated, crc):
        with pytest.raises(ValueError, match=rf"MNIST file '.*{path.name}' is not a readable npz file"):
            load_mnist(path)


def test_network_from_npz_reports_damage_and_missing_entries(tmp_path):
    net = Network.from_arrays([np.ones((4, 3)), np.ones((1, 4))])
    arrays = {}
    buf = io.BytesIO()
    net.save_npz(buf)
    buf.seek(0)
    with np.load(buf) as f:
        arrays = {k: f[k] for k in f.files}
    good, truncated, crc = _damaged(tmp_path, "net", arrays, "weight_2")
    assert Network.from_npz(good).widths == net.widths
    for path in (truncated, crc):
        with pytest.raises(ValueError, match=rf"network file '.*{path.name}' is not a readable npz file"):
            Network.from_npz(path)
    missing = dict(arrays)
    del missing["weight_2"]
    np.savez(tmp_path / "missing-weight.npz", **missing)
    with pytest.raises(
        ValueError, match=r"missing-weight.npz' is not a valid Network file: missing entry 'weight_2'"
    ):
        Network.from_npz(tmp_path / "missing-weight.npz")
    no_spec = {k: v for k, v in arrays.items() if k != "spec"}
    np.savez(tmp_path / "no-spec.npz", **no_spec)
    with pytest.raises(ValueError, match=r"no-spec.npz' has no 'spec' entry"):
        Network.from_npz(tmp_path / "no-spec.npz")
    with pytest.raises(ValueError, match="is a directory"):
        Network.from_npz(tmp_path)


def test_idx_header_with_overflowing_sizes_is_reported_as_truncated(tmp_path):
    """2**31 x 2**31 x 2**31 bytes overflow int64 (the product wrapped to 0 and the file was
    reported as having "trailing bytes"); the size is computed with Python integers."""
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">III", 2**31, 2**31, 2**31) + bytes(64))
    with pytest.raises(
        ValueError, match=rf"{path.name}: truncated IDX file: .* needs {2**93} data bytes, found 64"
    ):
        read_idx(path)
    with pytest.raises(ValueError, match="is a directory"):
        read_idx(tmp_path)


# ------------------------------------------------------------------------------ rescale_images
@pytest.mark.parametrize("method, side", [("block", 14), ("block", 56), ("bilinear", 14), ("lanczos", 56)])
@pytest.mark.parametrize("k", [700, -1000])
def test_rescaling_is_exactly_homogeneous_far_from_unit_scale(method, side, k):
    """Images scaled by 2**k (1e210 or 1e-301) rescale to the unit-scale answer times 2**k, to the
    last bit (the work is done in power-of-two units); before, 1e200 gave inf."""
    X = np.random.default_rng(0).random((3, 784))
    ref = rescale_images(X, side, method=method)
    out = rescale_images(np.ldexp(X, k), side, method=method)
    assert np.isfinite(out).all()
    assert np.array_equal(out, np.ldexp(ref, k))


def test_rescaling_beyond_the_float_range_is_an_overflow_naming_x():
    with pytest.raises(OverflowError, match="X too large"):
        rescale_images(np.full((2, 784), np.finfo(np.float64).max), 14)


# ----------------------------------------------------------------------------- command line
@pytest.fixture
def data_files(tmp_path):
    X = np.random.default_rng(0).normal(size=(6, 3))
    y = np.array([1.0, -1.0] * 3)
    good, truncated, crc = _damaged(tmp_path, "data", {"x": X, "y": y}, "x")
    files = {"truncated": truncated, "crc": crc, "directory": tmp_path}
    for name, arrays in {
        "lengths": {"x": X, "y": y[:-1]},
        "0-d": {"x": np.array(1.0), "y": y},
        "2-D y": {"x": X, "y": y.reshape(2, 3)},
        "strings": {"x": np.full((6, 3), "a"), "y": y},
    }.items():
        path = tmp_path / f"{name.replace(' ', '-')}.npz"
        np.savez(path, **arrays)
        files[name] = path
    return good, files


CLI_MESSAGES = {
    "truncated": "is not a readable npz file",
    "crc": "Bad CRC-32",
    "directory": "is a directory",
    "lengths": "x has 6 rows but y has 5 labels",
    "0-d": r"x must have shape \(n, d\)",
    "2-D y": r"y must have shape \(n,\), got shape \(2, 3\)",
    "strings": "must hold real numbers",
}


@pytest.mark.parametrize("case", sorted(CLI_MESSAGES))
@pytest.mark.parametrize("command", [["complexity"], ["bound", "linear-natural"]])
def test_cli_damaged_data_is_one_line_and_exit_2(data_files, case, command, capsys):
    _, files = data_files
    assert main([*command, "--data", str(files[case])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"radbound {command[0]}: error: --data file")
    assert pytest.importorskip("re").search(CLI_MESSAGES[case], err)


@pytest.mark.parametrize("case", ["truncated", "crc", "directory"])
def test_cli_damaged_model_is_one_line(data_files, case, capsys):
    good, files = data_files
    argv = ["bound", "generalization", "--data", str(good), "--margin", "1", "--model", str(files[case])]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--model file" in err


def test_cli_certify_damaged_model_is_one_line(data_files, capsys):
    good, files = data_files
    assert main(["certify", "--model", str(files["crc"]), "--data", str(good), "--eps", "0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Bad CRC-32" in err


def _strict_loads(text):
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_strict_json_has_no_infinity_or_nan():
    doc = strict_json(
        {"a": math.inf, "b": [-math.inf, np.float64("nan"), np.float32(1.5)], "c": np.arange(2)}
    )
    assert doc == {"a": "inf", "b": ["-inf", "nan", 1.5], "c": [0, 1]}
    assert _strict_loads(json.dumps(doc, allow_nan=False)) == doc


def test_cli_json_output_parses_with_a_strict_parser(data_files, capsys):
    good, _ = data_files
    assert main(["bound", "linear-adversarial", "--data", str(good), "--eps", "0.1", "--json"]) == 0
    out = _strict_loads(capsys.readouterr().out)
    assert out["attack_norm"] == "inf" and math.isfinite(out["results"][0]["value"])


class _ClosedPipe(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


def test_cli_closed_pipe_exits_quietly(data_files, monkeypatch, capsys):
    good, _ = data_files
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert main(["complexity", "--data", str(good), "--json"]) == 141
    assert capsys.readouterr().err == ""


def _raise(exc_factory):
    try:
        exc_factory()
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("no exception")


def test_only_deliberate_errors_count_as_user_errors():
    assert _is_user_error(_raise(lambda: check_random_state("abc")))  # radbound's own TypeError
    assert not _is_user_error(_raise(lambda: len(None)))  # a TypeError from a bug
    assert not _is_user_error(_raise(lambda: np.ones(3) @ "x"))
    assert _is_user_error(ModuleNotFoundError("No module named 'torch'", name="torch"))
    assert not _is_user_error(ImportError("cannot import name 'x' from 'radbound.bounds'"))
    assert not _is_user_error(ModuleNotFoundError("No module named 'radbound.nope'", name="radbound.nope"))
    assert not _is_user_error(KeyError("spec"))
    assert _is_user_error(ValueError("eps must be finite"))


def test_a_library_bug_keeps_its_traceback(data_files, monkeypatch):
    good, _ = data_files

    def buggy(*args, **kwargs):
        return len(None)

    monkeypatch.setattr("radbound.cli._complexity.linear_rademacher", buggy)
    with pytest.raises(TypeError, match="has no len"):
        main(["complexity", "--data", str(good)])
