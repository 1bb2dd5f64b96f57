"""One writer per study and output folder: an exclusive lock held for the whole run.

The lock is an OS lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on the file
``OUT/.NAME.lock``, so the operating system releases it when the process ends, however it ends
(a killed run never leaves a stale lock). The file holds the owner's process id, host, start
time and command, which the error of a second run names.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["StudyLockedError", "study_lock", "lock_path"]


class StudyLockedError(RuntimeError):
    """Another process is running the same study into the same output folder."""


def lock_path(out_dir: Path, name: str) -> Path:
    """The lock file of study ``name`` in ``out_dir``."""
    return Path(out_dir) / f".{name}.lock"


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owner(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return (
        f"process {info.get('pid')} on {info.get('host')} (started {info.get('started')}: "
        f"{info.get('command')})"
    )


@contextlib.contextmanager
def study_lock(out_dir: Path, name: str) -> Iterator[Path]:
    """Hold the exclusive lock of study ``name`` in ``out_dir``; raise at once if another run has it.

    Raises
    ------
    StudyLockedError
        Naming the process that holds the lock.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with study_lock(pathlib.Path(tmp), "toy"):
    ...         try:
    ...             with study_lock(pathlib.Path(tmp), "toy"):
    ...                 pass
    ...         except StudyLockedError as exc:
    ...             print("is running toy" in str(exc))
    True
    """
    path = lock_path(out_dir, name)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            os.close(fd)
            raise StudyLockedError(
                f"{_owner(path)} is running {name} into {str(out_dir)!r}; wait for it to finish "
                f"(a rerun then resumes) or use another --out folder"
            )
        # the file may have been removed by its previous owner between our open and our lock
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        info = {
            "pid": os.getpid(),
            "host": platform.node(),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "",
        }
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)
