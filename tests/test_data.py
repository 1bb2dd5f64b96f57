"""Tests of radbound.data: IDX / npz loaders on files written here, downloads (local mirror), rescaling."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest

import radbound.data._download as dl
from radbound.data import Dataset, load_mnist, read_idx, resampling_matrix, rescale_images
from radbound.data._idx import write_idx
from radbound.data.mnist import BUNDLED_COUNTS, ENV_VAR

N_TRAIN, N_TEST = 7, 5


def _fake_mnist(seed: int = 0):
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, size=(N_TRAIN, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(N_TEST, 28, 28), dtype=np.uint8)
    x_train[0, 0, 0], x_train[0, 0, 1] = 0, 255  # range endpoints present
    y_train = rng.integers(0, 10, size=N_TRAIN, dtype=np.uint8)
    y_test = rng.integers(0, 10, size=N_TEST, dtype=np.uint8)
    return x_train, y_train, x_test, y_test


def _write_idx_dir(directory, *, gz: bool, seed: int = 0):
    x_train, y_train, x_test, y_test = _fake_mnist(seed)
    suffix = ".gz" if gz else ""
    write_idx(directory / f"train-images-idx3-ubyte{suffix}", x_train)
    write_idx(directory / f"train-labels-idx1-ubyte{suffix}", y_train)
    write_idx(directory / f"t10k-images-idx3-ubyte{suffix}", x_test)
    write_idx(directory / f"t10k-labels-idx1-ubyte{suffix}", y_test)
    return x_train, y_train, x_test, y_test


def _expected(x, y):
    return x.reshape(len(x), 784).astype(np.float64) / 255.0, y.astype(np.int64)


# --- IDX format ------------------------------------------------------------------------------


def test_idx_header_bytes_match_the_mnist_spec(tmp_path):
    """Hand-built file: magic 0x00000803, big-endian dims 2 x 28 x 28 -> the reader's array."""
    pixels = np.arange(2 * 784, dtype=np.uint64) % 256
    raw = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + bytes(pixels.tolist())
    (tmp_path / "a").write_bytes(raw)
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    for name in ("a", "a.gz"):
        arr = read_idx(tmp_path / name)
        assert arr.dtype == np.uint8 and arr.shape == (2, 28, 28)
        np.testing.assert_array_equal(arr.ravel(), pixels)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, dtype, gz):
    a = (np.arange(60).reshape(3, 4, 5) - 20).astype(dtype)
    path = write_idx(tmp_path / ("f.gz" if gz else "f"), a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_idx_big_endian_multibyte(tmp_path):
    """An int16 IDX stores 258 as bytes 01 02."""
    raw = bytes([0, 0, 0x0B, 1]) + (1).to_bytes(4, "big") + bytes([1, 2])
    (tmp_path / "s").write_bytes(raw)
    assert read_idx(tmp_path / "s").tolist() == [258]


def test_idx_bad_magic(tmp_path):
    (tmp_path / "bad").write_bytes(bytes([1, 2, 8, 3]) + bytes(20))
    with pytest.raises(ValueError, match="bad IDX magic number 0x01020803"):
        read_idx(tmp_path / "bad")
    (tmp_path / "badtype").write_bytes(bytes([0, 0, 7, 1]) + bytes(8))
    with pytest.raises(ValueError, match="magic"):
        read_idx(tmp_path / "badtype")


def test_idx_truncated_and_trailing(tmp_path):
    good = write_idx(tmp_path / "g", np.zeros((4, 28, 28), np.uint8)).read_bytes()
    (tmp_path / "short").write_bytes(good[:-1])
    with pytest.raises(ValueError, match="truncated IDX file"):
        read_idx(tmp_path / "short")
    (tmp_path / "header").write_bytes(good[:9])
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(tmp_path / "header")
    (tmp_path / "long").write_bytes(good + b"\0")
    with pytest.raises(ValueError, match="1 trailing bytes"):
        read_idx(tmp_path / "long")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(good)[:-10])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(tmp_path / "cut.gz")


# --- load_mnist from files -------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_directory(tmp_path, gz):
    x_train, y_train, x_test, y_test = _write_idx_dir(tmp_path, gz=gz)
    Xtr, ytr = _expected(x_train, y_train)
    Xte, yte = _expected(x_test, y_test)
    train = load_mnist(tmp_path, subset="train")
    test = load_mnist(str(tmp_path), subset="test")
    both = load_mnist(tmp_path)
    np.testing.assert_array_equal(train.X, Xtr)
    np.testing.assert_array_equal(train.y, ytr)
    np.testing.assert_array_equal(test.X, Xte)
    np.testing.assert_array_equal(both.X, np.concatenate([Xtr, Xte]))
    np.testing.assert_array_equal(both.y, np.concatenate([ytr, yte]))
    assert both.X.dtype == np.float64 and both.y.dtype == np.int64
    assert both.X.min() == 0.0 and both.X.max() == 1.0
    assert len(both) == N_TRAIN + N_TEST and both.n_features == 784
    assert train.name == "mnist-train" and str(tmp_path) in both.source


def test_load_only_needs_the_files_of_the_subset(tmp_path):
    _write_idx_dir(tmp_path, gz=True)
    for f in tmp_path.glob("train-*"):
        f.unlink()
    assert len(load_mnist(tmp_path, subset="test")) == N_TEST
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path, subset="train")


def test_torchvision_layout_and_dotted_names(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    x_train, y_train, *_ = _write_idx_dir(raw, gz=False)
    (raw / "train-images-idx3-ubyte").rename(raw / "train-images.idx3-ubyte")
    ds = load_mnist(tmp_path, subset="train")
    np.testing.assert_array_equal(ds.X, _expected(x_train, y_train)[0])


def test_missing_files_message(tmp_path):
    (tmp_path / "unrelated.txt").write_text("hello")
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    msg = str(info.value)
    for needle in ("t10k-labels-idx1-ubyte", "unrelated.txt", "RADBOUND_MNIST", "download=True", "path"):
        assert needle in msg
    with pytest.raises(FileNotFoundError, match="does not exist.*RADBOUND_MNIST"):
        load_mnist(tmp_path / "nowhere")


def test_wrong_kind_of_idx_is_rejected(tmp_path):
    _write_idx_dir(tmp_path, gz=False)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((N_TEST, 10), np.uint8))
    with pytest.raises(ValueError, match=r"uint8 of shape \(n, 28, 28\)"):
        load_mnist(tmp_path, subset="test")
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((N_TEST + 1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="labels must have shape"):
        load_mnist(tmp_path, subset="test")


def test_load_npz_keras_and_xy(tmp_path):
    x_train, y_train, x_test, y_test = _fake_mnist(1)
    keras = tmp_path / "mnist.npz"
    np.savez(keras, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    Xte, yte = _expected(x_test, y_test)
    ds = load_mnist(keras, subset="test")
    np.testing.assert_array_equal(ds.X, Xte)
    np.testing.assert_array_equal(ds.y, yte)
    assert len(load_mnist(keras)) == N_TRAIN + N_TEST
    assert len(load_mnist(tmp_path, subset="train")) == N_TRAIN  # directory holding only mnist.npz

    flat = tmp_path / "flat.npz"
    np.savez(flat, x=x_test.reshape(N_TEST, 784).astype(np.float32) / 255, y=y_test)
    ds = load_mnist(flat)
    np.testing.assert_allclose(ds.X, Xte, rtol=0, atol=np.finfo(np.float32).eps)
    with pytest.raises(ValueError, match="only x and y"):
        load_mnist(flat, subset="train")

    bad = tmp_path / "bad.npz"
    np.savez(bad, images=x_test)
    with pytest.raises(ValueError, match="must hold keys"):
        load_mnist(bad)
    np.savez(bad, x=x_test, y=y_test + 10)
    with pytest.raises(ValueError, match="0..9"):
        load_mnist(bad)
    np.savez(bad, x=x_test.astype(np.float64), y=y_test)  # floats in 0..255, not [0, 1]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        load_mnist(bad)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="directory with the MNIST IDX files or an .npz"):
        load_mnist(tmp_path / "notes.txt")


def test_env_var_path(tmp_path, monkeypatch):
    x_train, y_train, *_ = _write_idx_dir(tmp_path, gz=True, seed=3)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    ds = load_mnist(subset="train")
    np.testing.assert_array_equal(ds.y, y_train.astype(np.int64))
    assert ds.source == str(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="environment variable RADBOUND_MNIST"):
        load_mnist()


def test_argument_validation(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ValueError, match=r"subset must be one of \['all', 'train', 'test'\], got 'val'"):
        load_mnist(subset="val")
    with pytest.raises(ValueError, match="no official train/test"):
        load_mnist(subset="train")
    with pytest.raises(TypeError, match="download must be a bool"):
        load_mnist(download="yes")
    with pytest.raises(ValueError, match="cache_dir is only used with download=True"):
        load_mnist(cache_dir="/tmp")


# --- bundled data ----------------------------------------------------------------------------


def test_bundled_digits(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    ds = load_mnist()
    assert ds.X.shape == (10000, 784) and ds.X.dtype == np.float64
    assert ds.y.shape == (10000,) and ds.y.dtype == np.int64
    assert tuple(np.bincount(ds.y, minlength=10).tolist()) == BUNDLED_COUNTS
    assert BUNDLED_COUNTS == (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978)
    assert ds.X.min() == 0.0 and ds.X.max() == 1.0
    np.testing.assert_array_equal(np.round(ds.X * 255) / 255, ds.X)  # exactly k/255
    assert np.all(np.diff(ds.y) >= 0)  # grouped by label, as documented
    assert ds.name == "mnist10k" and "mnist10k.npz" in ds.source
    assert "mnist10k" in repr(ds) and "n=10000" in repr(ds)


# --- Dataset -------------------------------------------------------------------------------


def _toy(n=50, d=3):
    X = np.arange(n * d, dtype=np.float64).reshape(n, d)
    return Dataset(X, np.arange(n) % 10, source="toy", name="toy")


@pytest.mark.parametrize("test_size, n_test", [(0.2, 10), (0.21, 11), (7, 7), (np.int64(3), 3)])
def test_split_sizes_disjoint_and_deterministic(test_size, n_test):
    ds = _toy()
    train, test = ds.split(test_size, seed=5)
    assert len(test) == n_test and len(train) == len(ds) - n_test
    rows_tr, rows_te = train.X[:, 0] // 3, test.X[:, 0] // 3  # row ids
    assert set(rows_tr.tolist()).isdisjoint(rows_te.tolist())
    assert sorted(rows_tr.tolist() + rows_te.tolist()) == list(range(len(ds)))
    np.testing.assert_array_equal(train.y, ds.y[rows_tr.astype(int)])  # X and y stay paired
    again_tr, again_te = ds.split(test_size, seed=5)
    np.testing.assert_array_equal(again_te.X, test.X)
    np.testing.assert_array_equal(again_tr.X, train.X)
    _, other = ds.split(test_size, seed=6)
    assert not np.array_equal(other.X, test.X)
    assert train.name == "toy/train" and test.name == "toy/test" and test.source == "toy"


def test_split_with_generator_matches_permutation():
    ds = _toy(10)
    _, test = ds.split(4, seed=np.random.default_rng(9))
    perm = np.random.default_rng(9).permutation(10)
    np.testing.assert_array_equal(test.X, ds.X[perm[:4]])


@pytest.mark.parametrize(
    "bad, err",
    [
        (0, ValueError),
        (50, ValueError),
        (1.0, ValueError),
        (0.0, ValueError),
        (-0.1, ValueError),
        ("0.2", TypeError),
        (True, TypeError),
    ],
)
def test_split_rejects_bad_test_size(bad, err):
    with pytest.raises(err, match="test_size"):
        _toy().split(bad, seed=0)


def test_subset_and_binary():
    ds = _toy(20)
    sub = ds.subset(np.array([3, 1]))
    np.testing.assert_array_equal(sub.y, [3, 1])
    assert len(ds.subset(ds.y == 0)) == 2
    assert len(ds.subset([])) == 0
    with pytest.raises(ValueError, match="indices must lie in"):
        ds.subset([20])
    with pytest.raises(ValueError, match="boolean mask"):
        ds.subset(np.ones(3, bool))
    with pytest.raises(TypeError, match="indices must be integers"):
        ds.subset([0.5])
    b = ds.binary((7, 2))
    assert b.y.dtype == np.float64 and set(b.y.tolist()) == {-1.0, 1.0}
    np.testing.assert_array_equal(b.y, np.where(ds.y[(ds.y == 7) | (ds.y == 2)] == 7, 1.0, -1.0))
    assert len(b) == 4 and b.name == "toy 7 vs 2"
    with pytest.raises(ValueError, match="two different"):
        ds.binary((1, 1))
    with pytest.raises(ValueError, match="present in y"):
        ds.binary((1, 11))
    with pytest.raises(TypeError, match="pair"):
        ds.binary(3)


def test_dataset_is_frozen_and_validated():
    ds = _toy()
    with pytest.raises(AttributeError):
        ds.X = None
    with pytest.raises(ValueError, match="y must have length n_samples=2"):
        Dataset(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="X must be 2-D"):
        Dataset(np.zeros(3), np.zeros(3))


# --- rescaling -------------------------------------------------------------------------------


@pytest.mark.parametrize("side", [14, 28, 56])
def test_rescale_preserves_l2_norm(side):
    X = np.random.default_rng(0).random((6, 784))
    Z = rescale_images(X, side)
    assert Z.shape == (6, side * side) and Z.dtype == np.float64
    # a sum of 784 squares in float64 carries a relative error of at most ~784 * eps
    np.testing.assert_allclose(
        np.linalg.norm(Z, axis=1), np.linalg.norm(X, axis=1), rtol=784 * np.finfo(float).eps, atol=0
    )


def test_rescale_values():
    img = np.arange(784, dtype=np.float64).reshape(28, 28)
    X = img.reshape(1, 784)
    small = rescale_images(X, 14).reshape(14, 14)
    block = img[2:4, 4:6]
    assert small[1, 2] == np.sqrt((block**2).sum())
    big = rescale_images(X, 56).reshape(56, 56)
    np.testing.assert_array_equal(big[6:8, 10:12], np.full((2, 2), img[3, 5] / 2))
    same = rescale_images(X, 28)
    np.testing.assert_array_equal(same, X)
    assert same is not X


def test_rescale_bad_input():
    with pytest.raises(ValueError, match=r"side must be one of \[14, 28, 56\], got 7"):
        rescale_images(np.zeros((1, 784)), 7)
    with pytest.raises(ValueError, match="784 = 28\\*28 columns"):
        rescale_images(np.zeros((1, 100)), 14)


def test_rescale_torch_matches_numpy():
    torch = pytest.importorskip("torch")
    X = np.random.default_rng(1).random((3, 784))
    for side in (14, 28, 56):
        Z = rescale_images(torch.from_numpy(X), side)
        assert isinstance(Z, torch.Tensor) and Z.dtype == torch.float64
        np.testing.assert_allclose(Z.numpy(), rescale_images(X, side), rtol=1e-15, atol=0)


@pytest.mark.parametrize("method", ["bilinear", "lanczos"])
@pytest.mark.parametrize("side", [14, 20, 28, 56])
def test_resampling_matrix_matches_pillow(method, side):
    """R x R^T equals Pillow's float-image resize with the same filter (an independent implementation).

    Pillow resamples mode "F" images in two float32 passes; each output is a weighted sum with
    sum |weights| <= 1.3^2 per pass pair, so its rounding error stays below a few float32 ulps of
    max |x|: atol = 8 * eps_float32 * max |x|.
    """
    PIL = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) is the oracle")
    from radbound.data._rescale import resampling_matrix

    img = np.random.default_rng(side).random((28, 28)).astype(np.float32)
    flt = {"bilinear": PIL.Resampling.BILINEAR, "lanczos": PIL.Resampling.LANCZOS}[method]
    ref = np.asarray(PIL.fromarray(img).resize((side, side), flt), dtype=np.float64)
    R = resampling_matrix(28, side, method=method)
    ours = R @ img.astype(np.float64) @ R.T
    np.testing.assert_allclose(ours, ref, rtol=0, atol=8 * np.finfo(np.float32).eps * img.max())


@pytest.mark.parametrize("method", ["bilinear", "lanczos"])
@pytest.mark.parametrize("side", [14, 28, 56])
def test_interpolated_rescale_keeps_norm_and_is_not_a_block_copy(method, side):
    X = np.random.default_rng(2).random((5, 784))
    Z = rescale_images(X, side, method=method)
    assert Z.shape == (5, side * side) and Z.dtype == np.float64
    np.testing.assert_allclose(
        np.linalg.norm(Z, axis=1), np.linalg.norm(X, axis=1), rtol=784 * np.finfo(float).eps, atol=0
    )
    if side == 28:  # same size: the kernels interpolate at the pixel centres, an identity
        np.testing.assert_allclose(resampling_matrix(28, 28, method=method), np.eye(28), rtol=0, atol=1e-15)
        np.testing.assert_array_equal(Z, X)
    if side == 56:  # the 2 x 2 blocks are not constant, unlike the paper's block copy
        blocks = Z.reshape(5, 28, 2, 28, 2)
        assert np.abs(blocks - blocks.mean(axis=(2, 4), keepdims=True)).max() > 1e-3


def test_interpolated_rescale_of_zero_and_constant_images():
    X = np.zeros((2, 784))
    X[1] = 0.5
    Z = rescale_images(X, 56, method="bilinear")
    assert np.all(Z[0] == 0.0)  # a zero image stays zero (no 0/0)
    # a constant image stays constant (rows of R sum to 1), at the value keeping the norm: 0.5 * 28 / 56
    np.testing.assert_allclose(Z[1], 0.25, rtol=1e-14)


def test_interpolated_rescale_torch_matches_numpy():
    torch = pytest.importorskip("torch", reason="the torch path is optional")
    X = np.random.default_rng(3).random((3, 784))
    for method in ("bilinear", "lanczos"):
        for side in (14, 56):
            Z = rescale_images(torch.from_numpy(X), side, method=method)
            assert isinstance(Z, torch.Tensor) and Z.dtype == torch.float64
            np.testing.assert_allclose(
                Z.numpy(), rescale_images(X, side, method=method), rtol=1e-13, atol=1e-15
            )


def test_rescale_bad_method_and_side():
    with pytest.raises(
        ValueError, match=r"method must be one of \['block', 'bilinear', 'lanczos'\], got 'cubic'"
    ):
        rescale_images(np.zeros((1, 784)), 56, method="cubic")
    with pytest.raises(ValueError, match="side must be an integer >= 1, got 0"):
        rescale_images(np.zeros((1, 784)), 0, method="bilinear")


def test_block_upsampling_turns_dimension_into_eps():
    """The block copy makes the d = 3136 problem the d = 784 problem at 2 eps.

    A block-constant weight u (each 784-weight copied to its 2 x 2 block) acts on the block copy
    x' = x/2 per pixel as <w', x'> = 2 <u, x>, and ||u_a - u_b||_1 over 3136 entries is 4 times the
    784 one: the model w' at radius eps equals the 784-model V = 2u at radius 2 eps. SGD from zero
    keeps w' block-constant (the worst case and hence every gradient is block-constant) and moves
    V = 2u by exactly the 784-step (a quarter of the gradient per copy, times 2). So, with lam = 0 and
    the same batches, the trained models agree (up to float64 rounding of sums in a different
    order; 200 steps of sums over at most 3136 terms, each with relative rounding <= 3136 * 2^-53,
    stay below 1e-10 of the weights' scale) and so do the exact robust accuracies.
    """
    from radbound.attacks import linear_robust_accuracy
    from radbound.train.sgd import fit_sgd_attack

    ds = load_mnist()
    X, y = ds.X[:300], ds.y[:300]
    Xt, yt = ds.X[300:600], ds.y[300:600]
    X56, Xt56 = rescale_images(X, 56), rescale_images(Xt, 56)
    for rule, eps in (("paper", 0.006), ("exact", 0.015)):
        kw = dict(n_steps=200, batch_size=50, seed=1, rule=rule, n_classes=10)
        big = fit_sgd_attack(X56, y, eps=eps, **kw)
        small = fit_sgd_attack(X, y, eps=2 * eps, **kw)
        W = np.asarray(big.W).reshape(10, 28, 2, 28, 2)
        assert np.abs(W - W[:, :, :1, :, :1]).max() < 1e-12  # block-constant
        V = 2 * W[:, :, 0, :, 0].reshape(10, 784)
        np.testing.assert_allclose(V, small.W, rtol=0, atol=1e-10 * np.abs(small.W).max())
        np.testing.assert_allclose(big.b, small.b, rtol=0, atol=1e-10 * np.abs(small.b).max())
        for big_X, small_X, labels in ((X56, X, y), (Xt56, Xt, yt)):
            acc_big = linear_robust_accuracy(big.W, big.b, big_X, labels, eps=eps)
            assert acc_big == linear_robust_accuracy(small.W, small.b, small_X, labels, eps=2 * eps)


# --- download --------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request log on stderr
        pass


@pytest.fixture
def http_mirror(tmp_path):
    """A local HTTP server (127.0.0.1, a free port) serving a folder; stopped after the test."""
    src = tmp_path / "mirror"
    src.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(src))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield src, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just freed): connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def mirror(http_mirror, monkeypatch):
    """Tiny gz IDX files on a local HTTP mirror behind a dead one, the checksums pointed at them."""
    src, url = http_mirror
    arrays = _write_idx_dir(src, gz=True, seed=4)
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.glob("*.gz")}
    assert set(sums) == set(dl.SHA256)
    monkeypatch.setattr(dl, "SHA256", sums)
    monkeypatch.setattr(dl, "MIRRORS", (_dead_url(), url))
    monkeypatch.setattr(dl, "RETRIES", 0)  # no waiting between attempts in the tests
    monkeypatch.delenv(ENV_VAR, raising=False)
    return src, arrays


def test_download_from_http_mirror(mirror, tmp_path):
    src, (x_train, y_train, x_test, y_test) = mirror
    cache = tmp_path / "cache"
    ds = load_mnist(download=True, cache_dir=cache)
    np.testing.assert_array_equal(ds.y, np.concatenate([y_train, y_test]).astype(np.int64))
    assert sorted(p.name for p in cache.iterdir()) == sorted(dl.SHA256)  # no leftover temporary files
    # second call: files present and verified, no mirror needed
    shutil.rmtree(src)
    assert len(load_mnist(download=True, cache_dir=cache, subset="test")) == N_TEST


def test_download_into_path_directory(mirror, tmp_path):
    target = tmp_path / "data"
    ds = load_mnist(target, subset="train", download=True)
    assert len(ds) == N_TRAIN
    assert sorted(p.name for p in target.iterdir()) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]


def test_download_checksum_mismatch(mirror, tmp_path, monkeypatch):
    bad = dict(dl.SHA256, **{"t10k-labels-idx1-ubyte.gz": "0" * 64})
    monkeypatch.setattr(dl, "SHA256", bad)
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match="sha256 mismatch") as info:
        load_mnist(download=True, cache_dir=cache, subset="test")
    assert "0" * 64 in str(info.value) and "RADBOUND_MNIST" in str(info.value)
    assert not (cache / "t10k-labels-idx1-ubyte.gz").exists()  # bad download discarded
    assert [p.name for p in cache.iterdir()] == ["t10k-images-idx3-ubyte.gz"]


def test_corrupt_cached_file_is_fetched_again(mirror, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    assert len(load_mnist(download=True, cache_dir=cache, subset="test")) == N_TEST
    assert dl.sha256_file(cache / "t10k-labels-idx1-ubyte.gz") == dl.SHA256["t10k-labels-idx1-ubyte.gz"]


def test_killed_download_leaves_no_temporary_file_behind(mirror, tmp_path):
    """Temporary files of a killed download (old) are removed; one still being written (fresh) is not."""
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = [cache / "tmpk1ll3d", cache / "t10k-images-idx3-ubyte.gz.abc.part"]
    fresh = cache / "tmpgrowing"
    for path in [*stale, fresh]:
        path.write_bytes(b"half a download")
    old = time.time() - 2 * dl.STALE_SECONDS
    for path in stale:
        os.utime(path, (old, old))
    load_mnist(download=True, cache_dir=cache, subset="test")
    assert not any(p.exists() for p in stale)
    assert fresh.exists()


def test_download_offline_message(tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "MIRRORS", (_dead_url(),))
    monkeypatch.setattr(dl, "RETRIES", 0)
    with pytest.raises(OSError) as info:
        dl.download_mnist(tmp_path / "cache", subset="train")
    msg = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz" in msg
    assert "RADBOUND_MNIST" in msg and "load_mnist(path=DIR)" in msg


def test_download_rejects_bad_options(tmp_path):
    with pytest.raises(ValueError, match="timeout"):
        dl.download_mnist(tmp_path, timeout=0)
    with pytest.raises(TypeError, match="progress must be a bool"):
        dl.download_mnist(tmp_path, progress="yes")


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert dl.default_cache_dir() == tmp_path / "radbound" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert dl.default_cache_dir().parts[-3:] == (".cache", "radbound", "mnist")
