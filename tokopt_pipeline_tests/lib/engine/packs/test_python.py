"""The python pack on real mypy, ruff, flake8, pre-commit, unittest, pip, Sphinx and pytest
output (bench/ecosystems/python.sh)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.events import EventGrouper
from tokopt_pipeline.lib.engine.packs import python
from tokopt_pipeline.lib.engine.priority import Level, tag_levels, validate_regex
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline.lib.engine.testresults import RunTotals
from tokopt_pipeline_tests.conftest import TESTS

DATA = TESTS / "data" / "ecosystems"
CASES = ["python-mypy", "python-lint", "python-precommit", "python-pip", "python-sphinx", "pytest-matrix"]
PROFILES = ["generic", "github-actions"]
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")

# Passing results: unittest's "... ok", pytest's "PASSED", pre-commit's "Passed"/"Skipped".
PASSING = re.compile(r" \.\.\. (ok|skipped .*)$|\.py::\S.* (PASSED|SKIPPED)( +\[ *\d+%\])?$|\.{3,}(\([^)]*\))?(Passed|Skipped)$")


@cache
def _case(name: str) -> tuple[list[str], dict]:
    d = DATA / name
    text = ANSI.sub("", (d / "job.log").read_text(encoding="utf-8"))  # the reader strips colours
    return text.split("\n"), json.loads((d / "truth.json").read_text(encoding="utf-8"))


@cache
def _all_levels(profile: str) -> dict[str, list[Level]]:
    """The level of every line of every case, tagged in one pass per profile."""
    every = [line for name in CASES for line in _case(name)[0]]
    levels = [Level(v) for v in tag_levels(pl.Series(every, dtype=pl.Utf8), get_profile(profile).all_rules()).to_list()]
    out, at = {}, 0
    for name in CASES:
        n = len(_case(name)[0])
        out[name], at = levels[at:at + n], at + n
    return out


def _levels(name: str, profile: str) -> list[Level]:
    return _all_levels(profile)[name]


def _candidates(lines: list[str], pattern: str) -> list[str]:
    """The lines a polars regex selects (what the engine hands to the Python readers)."""
    s = pl.Series(lines, dtype=pl.Utf8)
    return s.filter(s.str.contains(pattern)).to_list()


def test_patterns_compile_in_python_and_polars():
    for rule in python.RULES:
        validate_regex(rule.pattern)
    for t in python.TESTS + python.TOTALS:
        re.compile(t.pattern)
        validate_regex(t.pattern)
        if isinstance(t, packs.TotalsLine) and t.failed:
            re.compile(t.failed)
    for b in python.BLOCK_STARTS + python.CONTINUES:
        re.compile(b)
        validate_regex(b)
    validate_regex(python.PACK.detect)
    assert 5 <= len(python.RULES) <= 15


@pytest.mark.parametrize("name", CASES)
def test_truth_is_in_the_log(name):
    lines, truth = _case(name)
    text = "\n".join(lines)
    for key in ("failing_tests", "error_locations", "error_codes", "totals"):
        for s in truth[key]:
            assert s in text, (key, s)


@pytest.mark.parametrize("name", CASES)
def test_every_failing_test_is_found(name):
    lines, truth = _case(name)
    found = {}
    for line in _candidates(lines, packs.test_candidate()):
        hit = packs.failing_test(line)
        if hit is not None:
            found.setdefault(hit.test_id, hit)
    missing = [t for t in truth["failing_tests"] if t not in found]
    assert not missing, missing
    # nothing that is not a failing test: every id found is in the truth
    assert set(found) <= set(truth["failing_tests"]), sorted(set(found) - set(truth["failing_tests"]))


def test_kinds_of_failing_tests():
    lines, _ = _case("pytest-matrix")
    kinds = {}
    for line in _candidates(lines, packs.test_candidate()):
        hit = packs.failing_test(line)
        if hit is not None:
            kinds[hit.test_id] = (hit.kind, hit.file)
    errors = [k for k, (kind, _) in kinds.items() if kind == "error"]
    assert errors and all("test_inventory.py" in k for k in errors)  # the fixture that fails at setup
    assert all(f.startswith("tests/test_") and f.endswith(".py") for _, f in kinds.values())
    hit = packs.failing_test("test_read_items_without_location_column (tests.test_csvio.CsvTest.test_read_items_without_location_column) ... ERROR")
    assert (hit.test_id, hit.name, hit.kind) == ("tests.test_csvio.CsvTest.test_read_items_without_location_column",
                                                 "test_read_items_without_location_column", "error")
    hit = packs.failing_test("mypy.....................................................................Failed")
    assert (hit.pack, hit.test_id) == ("python", "mypy")


def _passing_totals(text: str) -> bool:
    return bool(re.match(r"^\d+ passed in |^\d+ passed and 0 failed\.$|^Success: |^All checks passed|^build succeeded", text))


@pytest.mark.parametrize("name", CASES)
def test_totals_are_read_with_their_outcome(name):
    lines, truth = _case(name)
    by_text = {}
    for line in _candidates(lines, packs.totals_candidate()):
        hit = packs.totals(line)
        if hit is not None:
            by_text.setdefault(hit.text, hit)
    for text in truth["totals"]:
        assert text in by_text, text
        hit = by_text[text]
        assert RunTotals(0, hit.pack, hit.text, hit.failed).failed is not _passing_totals(text), text


def test_passing_totals():
    for line in ("Success: no issues found in 3 source files", "All checks passed!", "12 files already formatted",
                 "Found 3 errors (3 fixed, 0 remaining).", "build succeeded.", "3 passed and 0 failed.",
                 "===== 772 passed in 1.97s ====="):
        hit = packs.totals(line)
        assert hit is not None and hit.failed is False, line
    for line in ("Found 3 errors (2 fixed, 1 remaining).", "2 files would be reformatted, 5 files would be left unchanged.",
                 "FAILED (errors=1)", "=== 1 failed, 3 passed in 0.12s ==="):
        hit = packs.totals(line)
        assert hit is not None and hit.failed is True, line


# What each kind of line of the fixtures must become, in every profile.
EXPECT = [
    # failures that decide the run
    (r"\.{3,}Failed$", {Level.CRITICAL}),
    (r"^(FAIL|ERROR): \w+ \(", {Level.CRITICAL}),
    (r"^\w+ \([\w.]+\) \.\.\. (FAIL|ERROR)$", {Level.CRITICAL}),
    (r"^FAILED \((failures|errors)=", {Level.CRITICAL}),
    (r"^(FAILED|ERROR) tests/\S+::", {Level.CRITICAL}),
    (r"^=+ \d+ failed.* in [\d.]+s =+$", {Level.CRITICAL}),
    (r"^Found \d+ errors? in \d+ files? \(checked", {Level.CRITICAL}),
    (r"^Found \d+ errors?\.$", {Level.CRITICAL}),
    (r"^\d+ files? would be reformatted", {Level.CRITICAL}),
    (r"^ERROR: (No matching distribution|Could not install packages due to an OSError|ResolutionImpossible|Failed to build)", {Level.CRITICAL}),
    (r"^build finished with problems", {Level.CRITICAL}),
    (r"^Warning, treated as error:$", {Level.CRITICAL}),
    (r"^\*\*\*Test Failed\*\*\*|^\d+ passed and [1-9]\d* failed\.$", {Level.CRITICAL}),
    # diagnostics
    (r"^\S+\.py:\d+: error: ", {Level.HIGH}),
    (r"^\S+\.py:\d+:\d+: [A-Z]+\d+ ", {Level.HIGH}),
    (r"^[A-Z]+\d+ (\[\*\] )?[A-Z`a-z]|^invalid-syntax: |^unformatted: File would be reformatted$", {Level.HIGH}),
    (r"\.rst:\d+: WARNING: |:docstring of \S+:\d+: WARNING: |\.rst: WARNING: ", {Level.HIGH}),
    (r"^/\S+:docstring of \S+:\d+:[A-Z]", {Level.HIGH}),  # Sphinx 7's location line after "treated as error"
    (r"^\s*error: subprocess-exited-with-error$|^\s*× |^Failed example:$|^ERROR: Could not find a version", {Level.HIGH}),
    (r"^E {3,}\S", {Level.HIGH}),
    # context and noise
    (r"^\S+\.pyi?:\d+: note: ", {Level.LOW}),
    (r"^\s*note: This error originates from a subprocess|^\s*╰─> |^- (hook id|duration): |^\[\*\] \d+ fixable", {Level.LOW}),
    (r"^\d+ passed and 0 failed\.$|^Success: no issues found", {Level.LOW}),
    (r"^\s*(Processing|Requirement already satisfied:|Installing collected packages:) ", {Level.VERBOSE}),
    (r"^\s*(Installing build dependencies|Getting requirements to build \w+): finished with status 'done'$", {Level.VERBOSE}),
    (r"^(reading sources|writing output)\.\.\. \[", {Level.VERBOSE}),
]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", CASES)
def test_levels_of_key_lines(name, profile):
    lines, _ = _case(name)
    df = pl.DataFrame({"line": lines, "level": [int(v) for v in _levels(name, profile)]})
    seen = 0
    for pattern, allowed in EXPECT:
        ok = set(allowed)
        if profile == "github-actions" and Level.VERBOSE in ok:
            ok.add(Level.LOW)  # the pytest profile's own rules call passing lines low
        hits = df.filter(pl.col("line").str.contains(pattern))
        seen += hits.height
        bad = hits.filter(~pl.col("level").is_in([int(v) for v in ok]))
        assert bad.height == 0, (pattern, [(r["line"], Level(r["level"]).name) for r in bad.head(3).iter_rows(named=True)])
    assert seen >= 5


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", CASES)
def test_passing_lines_stay_low_even_when_named_error(name, profile):
    lines, _ = _case(name)
    levels = _levels(name, profile)
    passing = [(line, level) for line, level in zip(lines, levels, strict=False) if PASSING.search(line)]
    if name in ("python-pip", "python-sphinx", "pytest-matrix"):  # no per-test result lines
        assert not passing
        return
    assert passing
    assert any(re.search(r"(?i)error|fail", line) for line, _ in passing)  # the point of the check
    bad = [(line, level) for line, level in passing if level not in (Level.LOW, Level.VERBOSE)]
    assert not bad, bad[:5]


def test_failures_are_a_small_part_of_the_logs():
    for name in CASES:
        lines, _ = _case(name)
        levels = _levels(name, "generic")
        high = sum(level <= Level.HIGH for level in levels)
        assert high < len(lines) * 0.5, (name, high, len(lines))
    assert max(len("\n".join(_case(n)[0])) for n in CASES) > 150_000


def _truth_of(d: Path) -> dict:
    p = d / "truth.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def test_other_ecosystems_are_not_read_as_python_failing_tests():
    """The pack's failing-test patterns find nothing in the other ecosystems' logs but the
    failing tests those logs really hold."""
    own = [re.compile(t.pattern) for t in python.TESTS]
    checked = 0
    for d in sorted(DATA.iterdir()):
        if d.name in CASES or not (d / "job.log").exists():
            continue
        lines = ANSI.sub("", (d / "job.log").read_text(encoding="utf-8", errors="replace")).split("\n")
        allowed = set(_truth_of(d).get("failing_tests", []))
        union = "|".join(f"(?:{re.sub(r'[(][?]P<[a-z]+>', '(?:', t.pattern)})" for t in python.TESTS)
        for line in _candidates(lines, union):
            for rx in own:
                m = rx.search(line)
                if m:
                    assert m.group("id").strip() in allowed, (d.name, line)
        checked += 1
    assert checked >= 1


def test_block_starts_split_indented_diagnostics():
    rx = re.compile(packs.block_start())
    assert rx.search("  /src/pkg/a.py:319:14 - error: \"X\" is not exported from module \"y\"")
    assert rx.search("    src/pkg/a.py:12: error: Incompatible return value type")
    assert not rx.search("  --> src/invkit/events.py:23:5")


def _event_of(name: str, needle: str) -> list[str]:
    lines, _ = _case(name)
    ids = EventGrouper().assign(pl.Series(lines, dtype=pl.Utf8))["event_id"].to_list()
    at = next(i for i, line in enumerate(lines) if needle in line)
    return [line for line, i in zip(lines, ids, strict=False) if i == ids[at]]


def test_events_keep_a_diagnostic_with_its_details():
    # mypy --pretty: the wrapped error code and the source lines stay with the error
    ev = _event_of("python-mypy", "tools/release.py:14: error:")
    assert ev[1] == "[union-attr]" and len(ev) == 4
    # mypy notes stay with their error; the next error opens its own event
    ev = _event_of("python-mypy", "src/invkit/pricing.py:28: error:")
    assert len(ev) == 5 and all(": note: " in line for line in ev[1:])
    # pre-commit: the hook's id and exit code stay with its result line
    ev = _event_of("python-precommit", "ruff check....")
    assert ev[1:] == ["- hook id: ruff", "- exit code: 1"]
    # Sphinx 7: the warning made an error stays with "Warning, treated as error:"
    ev = _event_of("python-sphinx", "Warning, treated as error:")
    assert len(ev) == 2 and ":docstring of invkit.units.convert:1:" in ev[1]
