"""Reader and writer for the IDX format of the MNIST distribution.

An IDX file is a header followed by a C-ordered array stored big-endian:

* bytes 0-1: zero;
* byte 2: the element type, ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32,
  ``0x0D`` float32, ``0x0E`` float64;
* byte 3: the number of dimensions ``k``;
* then ``k`` big-endian uint32 sizes, then the data.

So the MNIST image files start with the magic number ``0x00000803`` (2051: uint8, three
dimensions n x 28 x 28) and the label files with ``0x00000801`` (2049: uint8, one dimension n).
Files may be gzip-compressed; compression is recognised from the content (bytes ``1f 8b``),
not from the file name.

Reference: Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of handwritten digits",
the file-format section of the original web page (yann.lecun.com/exdb/mnist).
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .._validation import check_path

__all__ = ["read_idx", "write_idx"]

_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not an IDX file")
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ValueError(f"{path}: corrupt or truncated gzip file ({exc})") from exc


def read_idx(path: str | os.PathLike) -> np.ndarray:
    r"""Read an IDX file (gzip-compressed or not) into a native-endian numpy array.

    The header is checked byte by byte: two zero bytes, a known type code, a dimension count,
    and a data section of exactly :math:`\prod_j n_j` elements (a short file is reported as
    truncated, a long one as having trailing bytes).

    Parameters
    ----------
    path : str or path-like
        The file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_1, ..., n_k)``, dtype the native-endian version of the stored type.

    Raises
    ------
    ValueError
        Bad magic number, unknown type code, truncated file or trailing bytes.

    References
    ----------
    LeCun, Cortes & Burges, *The MNIST database*, section "File formats for the MNIST database".

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from radbound.data._idx import read_idx, write_idx
    >>> a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = write_idx(os.path.join(d, "a-idx3-ubyte.gz"), a)
    ...     bool(np.array_equal(read_idx(f), a))
    True
    """
    path = Path(check_path(path, "path"))
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(raw)} bytes, a header needs at least 4)")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or type_code not in _IDX_TYPES:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{raw[:4].hex()} (expected 0x0000TTDD with type TT in "
            f"{{08, 09, 0b, 0c, 0d, 0e}}, e.g. 0x00000803 for MNIST images, 0x00000801 for labels)"
        )
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise ValueError(
            f"{path}: truncated IDX header ({len(raw)} bytes, need {header_len} for {ndim} dims)"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header_len])
    dtype = _IDX_TYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no int64 overflow for huge headers
    found = len(raw) - header_len
    if found < expected:
        raise ValueError(
            f"{path}: truncated IDX file: shape {shape} needs {expected} data bytes, found {found}"
        )
    if found > expected:
        raise ValueError(
            f"{path}: IDX file has {found - expected} trailing bytes after the data of shape {shape}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``.

    The inverse of :func:`read_idx`; used to build small test files.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from radbound.data._idx import read_idx, write_idx
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = write_idx(os.path.join(d, "labels-idx1-ubyte"), np.array([3, 1, 4], dtype=np.uint8))
    ...     open(f, "rb").read(4) == bytes([0, 0, 8, 1])
    True
    """
    arr = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in _IDX_TYPES.items()}
    native = arr.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(
            f"array dtype must be one of uint8, int8, int16, int32, float32, float64, got {arr.dtype}"
        )
    if arr.ndim > 255:
        raise ValueError(f"array must have at most 255 dimensions, got {arr.ndim}")
    code = codes[native]
    payload = (
        struct.pack(">HBB", 0, code, arr.ndim)
        + struct.pack(f">{arr.ndim}I", *arr.shape)
        + np.ascontiguousarray(arr, dtype=_IDX_TYPES[code]).tobytes()
    )
    path = Path(path)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path
