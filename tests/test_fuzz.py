"""Fuzz every public function: malformed input is refused by name, extreme input gives a finite answer.

The harness (tests/fuzzing.py) enumerates the public ``__all__`` s of the package; every parameter
gets values from the declarative table of parameter kinds (invalid ones that must be refused with
a ValueError / TypeError naming the parameter, extreme ones that must give a finite result or such
an error), each call under a time and a memory budget in a worker process. Categories of failure:
unclear message, malformed accepted, crash deep inside, NaN/inf returned, hang, memory blow-up.
``python tests/fuzzing.py`` prints the counts by category for the whole package.
"""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis")

import fuzzing  # noqa: E402  (tests/ is on sys.path under pytest's rootdir conftest)

#: Targets (regular expression on qualified names) whose fuzz cases run in the suite.
SUITE_TARGETS = (
    r"^radbound\.(empirical_rademacher|linear_rademacher|adversarial_linear_rademacher"
    r"|multiclass_rademacher)$"
)


def _report(records):
    bad = [r for r in records if r["category"] != "ok"]
    lines = "\n".join(fuzzing.format_record(r) for r in bad[:60])
    return f"{len(bad)} bad outcomes of {len(records)} calls:\n{lines}"


def test_every_public_function_has_fuzz_values():
    """A new public function whose parameters the table does not know fails here, named."""
    problems = fuzzing.coverage_problems()
    assert not problems, "\n".join(problems)


def test_public_functions_refuse_malformed_input_by_name():
    records = fuzzing.run("table", only=SUITE_TARGETS, time_budget=10.0)
    assert records and all(r["category"] == "ok" for r in records), _report(records)


def test_public_functions_stay_finite_on_drawn_extreme_data():
    records = fuzzing.run("property", only=SUITE_TARGETS, examples=15, time_budget=10.0)
    assert records and all(r["category"] == "ok" for r in records), _report(records)
