"""Fuzz every public function of radbound with a large budget and count the bad outcomes by category.

The harness is ``tests/fuzzing.py`` (the same one ``tests/test_fuzz.py`` runs on a small, fixed
selection inside the test suite). Every callable of the public ``__all__`` of ``radbound``,
``radbound.complexity``, ``bounds``, ``attacks``, ``train``, ``networks``, ``data``, ``pacbayes`` and
``certify`` (plus the methods the user calls directly, such as ``Network.from_npz``) is called

* in the *table* phase: once with a valid base call, then with each parameter replaced in turn by
  values that must be refused (wrong type, shape, NaN, inf, out of range, complex, ragged, damaged
  files ...) and by extreme valid values (``2**-1074`` to ``1.8e308`` scales, float32 and float16
  data, huge class labels, huge ``n`` and counts, attack norms near 1 and at 1e9 ...);
* in the *property* phase: with whole inputs drawn by hypothesis (``derandomize=True``, so the run is
  reproducible): data of random shape, dtype and scale and the scalar parameters at random points of
  their ranges;

each call in a worker process under a time budget (an interval timer, and a watchdog that kills a
worker stuck in C code) and a memory budget (``tracemalloc`` peak and an address-space limit). An
outcome is ``ok`` (a finite result, or a ValueError / TypeError / OverflowError ... whose message
names the parameter or a related one) or one of the bad categories:

    unclear message, malformed accepted, crash deep inside, NaN/inf returned, hang, memory blow-up
    (and "base call failed" when the valid base call itself does not work: a harness defect).

The script prints the counts per category and every bad outcome, and EXITS NON-ZERO when any bad
category is non-zero, or when a public function has no fuzz entry.

Run: ``python benchmarks/fuzz_public_api.py [--examples 60] [--time-budget 10] [--json out.json]``
(about 15-25 minutes on 2 cores; ``--only REGEX`` restricts the targets, ``--phase table``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections import Counter
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "tests" / "fuzzing.py"


def _harness():
    spec = importlib.util.spec_from_file_location("fuzzing", HARNESS)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzzing"] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", choices=("table", "property", "both"), default="both")
    parser.add_argument("--examples", type=int, default=60, help="hypothesis examples per target")
    parser.add_argument("--time-budget", type=float, default=None, help="seconds per call (default 10)")
    parser.add_argument("--only", default=None, help="regular expression on target names")
    parser.add_argument("--json", default=None, help="write every record to this file")
    args = parser.parse_args(argv)
    fz = _harness()
    budget = args.time_budget if args.time_budget is not None else fz.TIME_BUDGET
    problems = fz.coverage_problems()
    for p in problems:
        print("NOT COVERED:", p)
    n_targets = len(fz.public_targets())
    print(f"{n_targets} public functions and methods fuzzed ({len(fz.EXEMPT)} exempt, each with a reason)")
    phases = ("table", "property") if args.phase == "both" else (args.phase,)
    records = []
    t0 = time.perf_counter()
    for phase in phases:
        recs = fz.run(phase, only=args.only, examples=args.examples, time_budget=budget)
        for r in recs:
            r["phase"] = phase
        records += recs
        if args.json:  # after each phase, so a later failure keeps what was measured
            Path(args.json).write_text(json.dumps(records, indent=1))
        counts = Counter(r["category"] for r in recs)
        print(
            f"phase {phase}: {len(recs)} calls, "
            + ", ".join(f"{c}: {counts.get(c, 0)}" for c in fz.CATEGORIES)
        )
    bad = [r for r in records if r["category"] != "ok"]
    for r in bad:
        print(fz.format_record(r))
    counts = Counter(r["category"] for r in records)
    print(f"\ntotal: {len(records)} calls in {time.perf_counter() - t0:.0f} s")
    for c in fz.CATEGORIES:
        print(f"  {c:>20}: {counts.get(c, 0)}")
    if bad or problems:
        print(f"FAIL: {len(bad)} bad outcomes, {len(problems)} functions without fuzz values")
        return 1
    print("OK: every call ended in a finite result or an error naming its parameter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
