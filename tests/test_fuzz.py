"""Fuzz every public function: malformed input is refused by name, extreme input gives a finite answer.

The harness (tests/fuzzing.py) enumerates the public ``__all__`` s of the package; every parameter
gets values from the declarative table of parameter kinds (invalid ones that must be refused with
a ValueError / TypeError naming the parameter, extreme ones that must give a finite result or such
an error), each call under a time and a memory budget in a worker process. Categories of failure:
unclear message, malformed accepted, crash deep inside, NaN/inf returned, hang, memory blow-up.

Here every public function gets its valid base call and all its invalid values, and all but the
slowest (:data:`fuzzing.SLOW_TARGETS`, which train or solve on every call) their extreme values and
a few drawn inputs; ``benchmarks/fuzz_public_api.py`` runs everything with a larger budget.
The selection is fixed (no randomness: hypothesis runs derandomized), so a failure reproduces.
"""

from __future__ import annotations

from collections import Counter

import pytest

pytest.importorskip("hypothesis")

import fuzzing  # noqa: E402  (tests/ is on sys.path under pytest's rootdir conftest)

#: Hypothesis examples per function in the suite's property phase.
SUITE_EXAMPLES = 3


def _report(records):
    counts = Counter(r["category"] for r in records)
    bad = [r for r in records if r["category"] != "ok"]
    lines = "\n".join(fuzzing.format_record(r) for r in bad[:80])
    summary = ", ".join(f"{c}: {counts.get(c, 0)}" for c in fuzzing.CATEGORIES if c != "ok")
    return f"{len(bad)} bad outcomes of {len(records)} calls ({summary}):\n{lines}"


def test_every_public_function_has_fuzz_values():
    """A new public function whose parameters the table does not know fails here, named."""
    problems = fuzzing.coverage_problems()
    assert not problems, "\n".join(problems)


def test_every_public_module_is_fuzzed_or_exempt_with_a_reason():
    problems = fuzzing.module_problems()
    assert not problems, "\n".join(problems)


def test_exemptions_name_existing_public_names():
    """An exemption for a name that no longer exists is stale (it would hide a new function)."""
    names = {fuzzing.short_name(q) for q in fuzzing.public_names()}
    stale = sorted(set(fuzzing.EXEMPT) - names)
    assert not stale, f"EXEMPT lists names that are not public: {stale}"
    assert set(fuzzing.SLOW_TARGETS) <= {fuzzing.short_name(t.name) for t in fuzzing.public_targets()}


@pytest.fixture(scope="module")
def table_records():
    return fuzzing.run("table", selection="suite")


def test_every_public_function_is_called(table_records):
    called = {r["target"] for r in table_records if r["tag"] == "base"}
    expected = {t.name for t in fuzzing.public_targets()}
    assert called == expected, f"not called: {sorted(expected - called)}"


@pytest.mark.parametrize("category", [c for c in fuzzing.CATEGORIES if c != "ok"])
def test_no_bad_outcome_of_each_category(table_records, category):
    bad = [r for r in table_records if r["category"] == category]
    assert not bad, _report(table_records)


def test_public_functions_stay_finite_on_drawn_extreme_data():
    records = fuzzing.run("property", selection="suite", examples=SUITE_EXAMPLES)
    assert records and all(r["category"] == "ok" for r in records), _report(records)
