"""The shell runner pack on real bash, dash, timeout, bats and ShellCheck output.

Fixture: tokopt_pipeline_tests/data/ecosystems/shell-script (made by bench/ecosystems/shell.sh:
a CI script run under ``bash -x`` in a memory cgroup; its truth comes from bash's own $? and
$LINENO, bats' JUnit reports and ShellCheck's JSON).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import shell
from tokopt_pipeline.lib.engine.priority import Level, tag_levels, validate_regex
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline_tests.conftest import TESTS
from tokopt_pipeline_tests.lib.engine.packs.fixture import assert_examples, fixture_lines, levels, lines, tagged, truth

DATA = TESTS / "data" / "ecosystems"
CASE = "shell-script"
PROFILES = ["generic", "github-actions"]
C, H, M, L, V = Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW, Level.VERBOSE


def assert_levels(profile: str, pattern: str, allowed: set[Level], case: str = CASE) -> None:
    wrong = [(lv.name, line) for line, lv in tagged(case, profile, pattern) if lv not in allowed]
    assert not wrong, f"{case} ({profile}): {pattern!r} -> {wrong[:5]}"


# --- the patterns themselves ----------------------------------------------------------

def test_patterns_compile_in_python_and_polars():
    for rule in shell.PACK.rules:
        validate_regex(rule.pattern)
    for p in [t.pattern for t in shell.PACK.tests] + [t.pattern for t in shell.PACK.totals] + list(shell.PACK.block_starts):
        re.compile(p)
        validate_regex(p)
    for t in shell.PACK.tests:
        assert "(?P<id>" in t.pattern and t.kind in ("failed", "error")
    for t in shell.PACK.totals:
        re.compile(t.failed)
        validate_regex(t.failed)
    validate_regex(shell.PACK.detect)
    assert 5 <= len(shell.PACK.rules) <= 15


def test_fixture_truth_occurs_verbatim():
    text = (DATA / CASE / "job.log").read_text()
    t = truth(CASE)
    for key in ("failing_tests", "error_locations", "error_codes", "totals", "error_messages"):
        for s in t[key]:
            assert s in text, (key, s)
    assert t["failing_tests"] and t["totals"] and t["error_codes"]
    statuses = {e["status"] for e in t["exit_codes"]}
    assert {126, 127, 137, 139} <= statuses  # permission denied, not found, OOM kill, segfault


# --- failing tests and totals -----------------------------------------------------------

def test_every_failing_test_is_found():
    found = {}
    for line in lines(CASE):
        hit = packs.failing_test(line)
        if hit is not None:
            assert hit.pack == "shell", (line, hit)
            found[hit.test_id] = hit
    assert set(truth(CASE)["failing_tests"]) == set(found)


def test_test_ids_from_tap_and_pretty_lines():
    cases = {
        "not ok 9 manifest lists files in sorted order # in 117 ms": "manifest lists files in sorted order",
        "not ok 83 parse_version rejects 1.x": "parse_version rejects 1.x",
        "not ok 3 - handles empty input": "handles empty input",
        "   install uses PREFIX 7/12 ✗ install uses PREFIX": "install uses PREFIX",
        " ✗ config file is written": "config file is written",
    }
    for line, test_id in cases.items():
        hit = packs.failing_test(line)
        assert hit is not None and hit.test_id == test_id and hit.pack == "shell", (line, hit)
    for line in ("ok 12 slugify reports error on empty input # in 30 ms", "not ok 4 parse later # TODO not yet",
                 "ok 6 skipped on ci # skip needs network", "   help lists the commands 1/12 ✓ help lists the commands",
                 "1..84", "# (in test file test/unit/manifest.bats, line 11)"):
        hit = packs.failing_test(line)
        assert hit is None or hit.pack != "shell", line


def test_totals_lines_are_read():
    for text in truth(CASE)["totals"]:
        hits = [packs.totals(line) for line in lines(CASE) if line.strip() == text]
        assert hits and all(h is not None and h.pack == "shell" and h.text == text for h in hits), text
        assert hits[0].failed is bool(re.search(r"\b[1-9]\d* failures?\b", text))
    examples = {
        "12 tests, 1 failure, 1 skipped": True,
        "84 tests, 3 failures": True,
        "40 tests, 0 failures": False,
        "6 tests, 0 failures, 2 skipped in 3 seconds": False,
        "1 test, 1 failure": True,
    }
    for text, failed in examples.items():
        hit = packs.totals(text)
        assert hit is not None and hit.pack == "shell" and hit.failed is failed, text


# --- levels ---------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
def test_levels_of_shell_failures(profile):
    # a command killed by a signal (segfault, the OOM killer), timeout's core dump, the step's end
    assert_levels(profile, r"^\./ci\.sh: line \d+: +\d+ (Segmentation fault|Killed) ", {C})
    assert_levels(profile, r"^timeout: the monitored command dumped core$", {C})
    assert_levels(profile, r"^ERROR: Job failed: exit code 2$", {C})
    # bash and dash errors with their location, and the other error lines the job printed
    assert_levels(profile, r"^\./ci\.sh: line \d+: (cd|semver|\./scripts/deploy\.sh): ", {H})
    assert_levels(profile, r"^sh: 1: checkbashisms: not found$", {H})
    for message in truth(CASE)["error_messages"]:
        assert_levels(profile, "^" + re.escape(message) + "$", {C, H})


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_of_bats_and_shellcheck(profile):
    assert_levels(profile, r"^not ok \d+ ", {C})
    assert_levels(profile, r" ✗ ", {C})
    assert_levels(profile, r"^\d+ tests, 1 failure", {C})
    assert_levels(profile, r"\(in test file \S+, line \d+\)$", {H})
    assert_levels(profile, r"^(#|\s+)\s+`@test .*' failed$", {H})
    assert_levels(profile, r"SC\d{4} \(error\): ", {H})
    assert_levels(profile, r"SC\d{4} \(warning\): ", {M})
    assert_levels(profile, r"SC\d{4} \(info\): ", {L})
    # a finding's header is its location, whatever its severity (any finding fails the step)
    assert_levels(profile, r"^In \S+ line \d+:$", {H})


@pytest.mark.parametrize("profile", PROFILES)
def test_passing_lines_stay_low_even_when_named_error_or_fail(profile):
    assert_levels(profile, r"^ok \d+ ", {V})
    assert_levels(profile, r"^ok \d+ .*(error|fail)", {V})
    assert_levels(profile, r" ✓ .*(error|fail)", {V})
    # xtrace lines: the words of a command do not lift it (the annotation it prints does)
    assert_levels(profile, r"^\+ grep -c error ", {L})
    assert_levels(profile, r"^\+ echo '(::error|##\[error\])", {L})
    assert_levels(profile, r"^\+ ", {L, V})


@pytest.mark.parametrize("profile", PROFILES)
def test_workflow_commands_are_left_to_the_annotation_rules(profile):
    # the echoed "::error ..." and "##[error]" lines: the shell rules leave them alone
    assert_levels(profile, r"^::error file=", {H})
    assert_levels(profile, r"^##\[error\]", {H})


def test_each_located_error_is_kept():
    by_line = dict(zip(lines(CASE), levels(CASE, "generic"), strict=False))
    for where in truth(CASE)["error_locations"]:
        hits = [lv for line, lv in by_line.items() if where in line]
        assert hits, where
        # bash's and bats' own locations are the error lines; ShellCheck's is the header of a finding
        floor = M if re.fullmatch(r"\S+ line \d+", where) else H
        assert min(hits) <= floor, (where, hits)


def test_level_examples():
    examples = {
        "bash: line 3: foo: command not found": H,
        "/usr/bin/bash: line 1: cd: /nope: No such file or directory": H,
        "./ci.sh: 5: cd: can't cd to /nope": H,
        "Killed": C,
        "Segmentation fault (core dumped)": C,
        "./run.sh: line 12:  4242 Aborted                 (core dumped) ./a.out": C,
        "ERROR: script returned exit code 1": C,
        "scripts/x.sh:3:8: error: Couldn't parse this test expression. [SC1073]": H,
        "scripts/x.sh:7:3: note: Double quote to prevent globbing and word splitting. [SC2086]": L,
        "++ git rev-parse --verify refs/heads/fail-fast": L,
        "40 tests, 0 failures": L,
    }
    assert_examples(examples)


def test_block_starts():
    rx = re.compile(packs.block_start())
    for line in ("./ci.sh: line 40: 29958 Segmentation fault      (core dumped) ./x", "not ok 9 manifest lists files",
                 "In scripts/deploy.sh line 6:", "+ make -j2 all"):
        assert rx.search(line), line


# --- other ecosystems ------------------------------------------------------------------------

def other_fixtures() -> list[Path]:
    return sorted(p for p in DATA.glob("*/job.log") if not p.parent.name.startswith("shell-"))


def test_other_ecosystems_fixtures_hold_no_shell_failures():
    candidate = f"(?:{packs.test_candidate()})|(?:{packs.totals_candidate()})"
    for path in other_fixtures():
        series = fixture_lines(path)
        for line in series.filter(series.str.contains(candidate)).to_list():
            for hit in (packs.failing_test(line), packs.totals(line)):
                # TAP's "not ok N" is shared by several producers; any other hit is a misreading
                assert hit is None or hit.pack != "shell" or line.startswith("not ok "), f"{path.parent.name}: {line!r}"


def test_shell_rules_raise_no_line_of_other_fixtures():
    rules = get_profile("generic").all_rules()
    own = {id(r) for r in shell.PACK.rules}
    without = [r for r in rules if id(r) not in own]
    any_own = "|".join(f"(?:{r.pattern})" for r in shell.PACK.rules)
    cases, text = [], []
    for path in other_fixtures():
        series = fixture_lines(path)
        found = series.filter(series.str.contains(any_own)).to_list()  # only these can change
        cases += [path.parent.name] * len(found)
        text += found
    series = pl.Series(text, dtype=pl.Utf8)
    for case, line, a, b in zip(cases, text, tag_levels(series, rules).to_list(), tag_levels(series, without).to_list(), strict=False):
        if a < b:  # raised
            assert re.match(r"^ERROR: (Job failed: |script returned exit code)|^not ok \d+ ", line), (
                f"{case}: the shell rules raise {line!r}")
