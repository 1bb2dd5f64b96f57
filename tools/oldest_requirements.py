"""Print the oldest versions radbound declares, one ``name==version`` a line (a pip constraints file).

Reads the ``>=`` floors of ``[project] dependencies`` in ``pyproject.toml`` (and of the optional
dependency groups named on the command line), so that ``make test-min`` installs exactly the
versions the package claims to support and runs the suite on them. Runs on Python 3.10 (no
``tomllib`` there): the two arrays are read with a regular expression, which is enough for the
one-string-a-line layout of radbound's own ``pyproject.toml`` (a test checks it against tomllib).

Usage::

    python tools/oldest_requirements.py [extra ...] > constraints.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
_FLOOR = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9.]*)\s*(?:,.*)?$")


def _array(text: str, key: str) -> list[str]:
    m = re.search(rf"^{re.escape(key)}\s*=\s*\[(.*?)\]\s*$", text, flags=re.M | re.S)
    if m is None:
        raise SystemExit(f"pyproject.toml: no array {key!r}")
    return re.findall(r'"([^"]+)"', m.group(1))


def requirements(text: str, extras: list[str]) -> list[str]:
    """The requirement strings of the dependencies and of the named optional groups."""
    reqs = _array(text, "dependencies")
    for extra in extras:
        reqs += _array(text, extra)
    return reqs


def floors(text: str, extras: list[str]) -> list[str]:
    """``name==version`` for every requirement with a ``>=`` floor."""
    pins: dict[str, str] = {}
    for req in requirements(text, extras):
        m = _FLOOR.match(req.strip())
        if m:
            pins.setdefault(m.group(1).lower(), f"{m.group(1)}=={m.group(2)}")
    return sorted(pins.values(), key=str.lower)


if __name__ == "__main__":
    print("\n".join(floors(PYPROJECT.read_text(encoding="utf-8"), sys.argv[1:])))
