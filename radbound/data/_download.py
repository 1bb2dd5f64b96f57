"""Download of the four standard MNIST files with pooch, each checked against its SHA-256.

The checksums are those of the gzip files as distributed by Y. LeCun's page and mirrored by
PyTorch (``ossci-datasets`` S3 bucket, used by torchvision) and TensorFlow (``cvdf-datasets``
Google Storage bucket, used by ``tf.keras``/TFDS); the same four values appear in many
independent projects' download scripts. Sizes: 9,912,422 / 28,881 / 1,648,877 / 4,542 bytes.

pooch (Uieda et al., JOSS 2020) does the work: known hashes, retries, a progress bar on a
terminal, downloads into a temporary file that is moved into place only when its hash matches.
radbound adds the mirror list (each file is tried on every mirror in turn), the operating
system's cache folder as default destination, and the clean-up of temporary files left behind by
a download that was killed (they are removed once they are older than :data:`STALE_SECONDS`).
Nothing here runs unless asked: ``load_mnist()`` uses the bundled digits, offline.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

__all__ = [
    "MIRRORS",
    "SHA256",
    "FILES",
    "RETRIES",
    "STALE_SECONDS",
    "default_cache_dir",
    "download_mnist",
    "sha256_file",
]

#: Base URLs tried in order (each must end with "/"); the file name is appended.
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",  # often refuses automated downloads
)

#: SHA-256 of each gzip file.
SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: The (images, labels) file stems of each part of MNIST.
FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: Extra attempts per mirror after a failed download (pooch waits between attempts).
RETRIES = 2

#: A temporary download file untouched for this long (seconds) belongs to a killed download.
STALE_SECONDS = 3600.0

HOW_TO_SUPPLY = (
    "To use the full MNIST without network access, copy the four standard files "
    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz; gzipped or not) or a keras-style mnist.npz into a directory and pass "
    "load_mnist(path=DIR) or set the environment variable RADBOUND_MNIST=DIR. "
    "load_mnist() with neither uses the bundled 10,000 digits."
)


def default_cache_dir() -> Path:
    """The operating system's cache folder for radbound's MNIST files (``pooch.os_cache``).

    ``$XDG_CACHE_HOME/radbound/mnist`` or ``~/.cache/radbound/mnist`` on Linux, the usual
    per-user cache folders on macOS and Windows.
    """
    import pooch

    return Path(pooch.os_cache("radbound")) / "mnist"


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks (``pooch.file_hash``)."""
    import pooch

    return pooch.file_hash(str(path), alg="sha256")


def _remove_stale_temporaries(directory: Path, now: float | None = None) -> list[Path]:
    """Delete temporary files of killed downloads: pooch's ``tmp*`` and older ``*.part`` files.

    Only files untouched for :data:`STALE_SECONDS` go, so that a download running in another
    process (whose file is still growing) is left alone.
    """
    now = time.time() if now is None else now
    removed = []
    for path in [*directory.glob("tmp*"), *directory.glob("*.part")]:
        try:
            if path.is_file() and now - path.stat().st_mtime > STALE_SECONDS:
                path.unlink()
                removed.append(path)
        except OSError:  # removed meanwhile by its own process
            continue
    return removed


def download_mnist(
    directory: str | os.PathLike | None = None,
    *,
    subset: str = "all",
    timeout: float = 60.0,
    progress: bool | None = None,
) -> Path:
    """Download the standard MNIST files into ``directory`` and verify their SHA-256.

    Files already present with the right checksum are kept (no network access); a present file
    with a wrong checksum is downloaded again. Each file is tried on every mirror of
    :data:`MIRRORS` in turn, each with :data:`RETRIES` retries; a download whose SHA-256 differs
    from :data:`SHA256` is discarded. Temporary files of earlier, killed downloads are removed.

    Parameters
    ----------
    directory : path-like, optional
        Default :func:`default_cache_dir` (the operating system's cache folder).
    subset : {"all", "train", "test"}
        Which files to fetch.
    timeout : float
        Seconds per connection attempt.
    progress : bool, optional
        Show a progress bar (tqdm); default: when standard error is a terminal.

    Returns
    -------
    pathlib.Path
        The directory holding the files.

    Raises
    ------
    OSError
        When a file cannot be obtained with the right checksum from any mirror; the message lists
        each mirror's failure and says how to supply the files by hand.
    """
    from .._validation import check_choice, check_positive

    check_choice(subset, "subset", ("all", "train", "test"))
    timeout = check_positive(timeout, "timeout")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool or None, got {progress!r}")
    import pooch

    progress = sys.stderr.isatty() if progress is None else progress
    directory = default_cache_dir() if directory is None else Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(directory)
    parts = ("train", "test") if subset == "all" else (subset,)
    registry = {name: f"sha256:{digest}" for name, digest in SHA256.items()}
    downloader = pooch.HTTPDownloader(
        progressbar=progress, timeout=timeout, headers={"User-Agent": "radbound"}
    )
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch announces every download at INFO level
    try:
        for part in parts:
            for stem in FILES[part]:
                _fetch_from_mirrors(pooch, stem + ".gz", directory, registry, downloader)
    finally:
        logger.setLevel(level)
    return directory


def _fetch_from_mirrors(pooch, fname: str, directory: Path, registry: dict, downloader) -> None:
    failures = []
    for base in MIRRORS:
        fetcher = pooch.create(path=directory, base_url=base, registry=registry, retry_if_failed=RETRIES)
        try:
            fetcher.fetch(fname, downloader=downloader)
            return
        except ValueError as exc:  # pooch: the downloaded file's hash differs from the known one
            failures.append(f"  {base}{fname}: sha256 mismatch, expected {SHA256[fname]} ({exc})")
        except Exception as exc:  # network errors (requests' exceptions), refused connections, ...
            failures.append(f"  {base}{fname}: {type(exc).__name__}: {exc}")
    raise OSError(
        f"could not download {fname} with sha256 {SHA256[fname]} from any mirror:\n"
        + "\n".join(failures)
        + "\n"
        + HOW_TO_SUPPLY
    )
