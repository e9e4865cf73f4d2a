"""The C/C++ pack on real output of gcc, clang, ld, make, ninja, CMake, ctest,
GoogleTest, cmocka and meson (fixtures made by bench/ecosystems/cc.sh)."""

from __future__ import annotations

import json
import re
from functools import cache

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.events import EventGrouper
from tokopt_pipeline.lib.engine.packs import cc
from tokopt_pipeline.lib.engine.priority import Level, tag_levels, validate_regex
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline_tests.conftest import TESTS

DATA = TESTS / "data" / "ecosystems"
CASES = ["ctest", "ctest-verbose", "gtest", "make", "clang", "ninja", "configure", "meson", "meson-werror", "pass"]
PROFILES = ["generic", "github-actions"]
CMAKE_FRAME = re.compile(r"^\s+\S+:\d+ \(\w+\)$")
C, H, M, L, V = Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW, Level.VERBOSE


@cache
def lines(case: str) -> tuple[str, ...]:
    return tuple((DATA / f"cc-{case}" / "job.log").read_text(encoding="utf-8").splitlines())


@cache
def truth(case: str) -> dict:
    return json.loads((DATA / f"cc-{case}" / "truth.json").read_text(encoding="utf-8"))


@cache
def _levels_of_all(profile: str) -> dict[str, tuple[Level, ...]]:
    """Every fixture's levels under a profile, tagged in one pass."""
    every = [ln for case in CASES for ln in lines(case)]
    got = [Level(v) for v in tag_levels(pl.Series(every, dtype=pl.Utf8), get_profile(profile).all_rules()).to_list()]
    out, start = {}, 0
    for case in CASES:
        out[case] = tuple(got[start:start + len(lines(case))])
        start += len(lines(case))
    return out


def levels(case: str, profile: str) -> tuple[Level, ...]:
    return _levels_of_all(profile)[case]


@cache
def events(case: str, profile: str) -> tuple[Level, ...]:
    """Each line's event level: the worst level of the event it belongs to."""
    ids = EventGrouper().assign(pl.Series(lines(case), dtype=pl.Utf8))["event_id"].to_list()
    worst: dict[int, Level] = {}
    for i, lv in zip(ids, levels(case, profile), strict=False):
        worst[i] = min(worst.get(i, Level.VERBOSE), lv)
    return tuple(worst[i] for i in ids)


@cache
def hits(case: str) -> tuple[tuple[packs.TestHit | None, packs.TotalsHit | None], ...]:
    """Each line's failing test and totals, read as the engine does: the few candidate
    lines that the packs' union regexes find, then the Python readers."""
    frame = pl.DataFrame({"line": lines(case)}).select(
        pl.col("line").str.contains(packs.test_candidate()).alias("t"),
        pl.col("line").str.contains(packs.totals_candidate()).alias("s"),
    )
    return tuple(
        (packs.failing_test(ln) if t else None, packs.totals(ln) if s else None)
        for ln, t, s in zip(lines(case), frame["t"], frame["s"], strict=False)
    )


def tagged(case: str, profile: str, pattern: str) -> list[tuple[str, Level]]:
    """The lines of a fixture that ``pattern`` finds, with their levels."""
    rx = re.compile(pattern)
    out = [(ln, lv) for ln, lv in zip(lines(case), levels(case, profile), strict=False) if rx.search(ln)]
    assert out, f"cc-{case}: no line matches {pattern!r}"
    return out


def assert_levels(case: str, profile: str, pattern: str, allowed: set[Level]) -> None:
    for ln, lv in tagged(case, profile, pattern):
        assert lv in allowed, f"cc-{case} [{profile}]: {ln!r} is {lv.label}, want {sorted(l.label for l in allowed)}"


# --- the pack's patterns ------------------------------------------------------------
def test_patterns_compile_in_both_engines():
    for rule in cc.PACK.rules:
        validate_regex(rule.pattern)
    for p in [t.pattern for t in cc.PACK.tests] + [t.pattern for t in cc.PACK.totals] + list(cc.PACK.block_starts) + [cc.PACK.detect]:
        assert "(?-u:" not in p
        re.compile(p)
        validate_regex(p)
    for t in cc.PACK.totals:
        re.compile(t.failed)
        validate_regex(t.failed)
    assert 5 <= len(cc.PACK.rules) <= 15
    assert cc.PACK in packs.PACKS


def test_fixtures_hold_their_truth():
    total = 0
    for case in CASES:
        folder = DATA / f"cc-{case}"
        log = (folder / "job.log").read_text(encoding="utf-8")
        t = truth(case)
        assert set(t) == {"tool", "command", "failing_tests", "error_locations", "error_codes", "totals"}
        for key in ("failing_tests", "error_locations", "error_codes", "totals"):
            for s in t[key]:
                assert s in log, f"cc-{case}: {key} {s!r}"
        assert t["command"] in log
        total += sum(f.stat().st_size for f in folder.iterdir())
        assert len(log) < 400_000
    assert len("\n".join(lines("gtest"))) > 150_000  # a log that a budget of 8,000 tokens must cut
    assert total < 1_500_000


# --- failing tests and totals ---------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_every_failing_test_is_found(case):
    found: dict[str, packs.TestHit] = {}
    for ln, (hit, _) in zip(lines(case), hits(case), strict=False):
        if hit:
            assert hit.pack == "cc", (ln, hit)
            found.setdefault(hit.test_id, hit)
    want = truth(case)["failing_tests"]
    assert [t for t in want if t not in found] == []
    # and nothing else: "4 tests, listed below:" or a passing test is no failing test
    assert sorted(found) == sorted(want)


def test_failing_test_ids_and_names():
    hit = packs.failing_test("[  FAILED  ] Range/ClampTest.StaysInBounds/298, where GetParam() = 298 (0 ms)")
    assert hit and hit.test_id == "Range/ClampTest.StaysInBounds/298"
    hit = packs.failing_test("36/42 calc:parse_nested_parens      FAIL            0.05s   exit status 1")
    assert hit and (hit.test_id, hit.file, hit.name) == ("calc:parse_nested_parens", "calc", "parse_nested_parens")
    hit = packs.failing_test("29/35 Test #29: csv_quoted_fields .................Subprocess aborted***Exception:   0.00 sec")
    assert hit and hit.test_id == "csv_quoted_fields"
    hit = packs.failing_test("\t 32 - stream_slow_reader (Timeout)")
    assert hit and hit.test_id == "stream_slow_reader"
    assert packs.failing_test("12: [  FAILED  ] CommasTest.Negative (0 ms)").test_id == "CommasTest.Negative"
    for passing in ("[  FAILED  ] 4 tests, listed below:", " 3 FAILED TEST(S)", "[       OK ] ParserTest.ReportsErrorOnGarbage (0 ms)",
                    "30/35 Test #30: csv_error_on_unterminated_quote ...   Passed    0.00 sec",
                    "37/42 calc:error_paths              OK              0.07s", "\t  7 - t_skip (Skipped)"):
        assert packs.failing_test(passing) is None, passing


def _expected_failed(case: str, text: str) -> bool:
    """Whether a totals line says the run failed, from the machine-readable report."""
    if case.startswith("meson"):
        report = json.loads((DATA / f"cc-{case}" / "testlog.json").read_text())
        label = text.split(":")[0]
        result = {"Fail": "FAIL", "Unexpected Pass": "UNEXPECTEDPASS", "Timeout": "TIMEOUT"}.get(label)
        return result is not None and any(r["result"] == result for r in report)
    if "% tests passed" in text:
        return bool(truth(case)["failing_tests"])
    if text.startswith("-- Configuring incomplete"):
        return True
    return text.startswith("[  FAILED  ]") or "FAILED TEST" in text  # GoogleTest, cmocka


@pytest.mark.parametrize("case", CASES)
def test_totals_are_read(case):
    for want in truth(case)["totals"]:
        line = next(ln for ln in lines(case) if ln.strip() == want)
        hit = packs.totals(line)
        assert hit is not None and hit.pack == "cc", line
        assert hit.text == want
        assert hit.failed is _expected_failed(case, want), (line, hit)


def test_other_totals_lines():
    for line, failed in [
        ("[  PASSED  ] 1929 tests.", False),
        ("[==========] 1934 tests from 11 test suites ran. (26 ms total)", False),
        (" 4 FAILED TESTS", True),
        ("12:  1 FAILED TEST", True),
        ("[  FAILED  ] 3 test(s), listed below:", True),
        ("[==========] 75 test(s) run.", False),
        ("100% tests passed, 0 tests failed out of 19", False),
        ("ninja: build stopped: subcommand failed.", True),
        ("ninja: build stopped: cannot make progress due to previous errors.", True),
    ]:
        hit = packs.totals(line)
        assert hit is not None and hit.pack == "cc" and hit.failed is failed, line
    for line in ("ninja: build stopped: subcommand failed.", "ninja: build stopped: cannot make progress due to previous errors."):
        assert any(ln == line for case in ("ninja", "meson-werror") for ln in lines(case))


# --- levels ---------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_failures_are_critical_and_diagnostics_high(case, profile):
    t = truth(case)
    for ln, lv, (test, total) in zip(lines(case), levels(case, profile), hits(case), strict=False):
        if test:
            assert lv == C, (ln, lv)
        if total is not None and total.failed:
            assert lv == C, (ln, lv)
        if total is not None and total.failed is False:
            assert lv >= L, (ln, lv)
    ev = events(case, profile)
    for loc in t["error_locations"]:
        # the diagnostic, failure message or call-stack entry at that location (not a
        # note) is, or belongs to, an event of high level at least
        rx = re.compile(re.escape(loc) + r"(:\d+)?([: ]|$)")
        found = [(ln, ev[i]) for i, ln in enumerate(lines(case)) if rx.search(ln) and ": note: " not in ln]
        assert found, loc
        if all(CMAKE_FRAME.match(ln) for ln, _ in found):
            continue  # after "Call Stack (most recent call first):", an event of its own (see the pack)
        assert min(lv for _, lv in found) <= H, (loc, found)


@pytest.mark.parametrize("profile", PROFILES)
def test_compiler_and_linker_levels(profile):
    assert_levels("make", profile, r"^\S+:\d+:\d+: error: ", {H})
    assert_levels("make", profile, r"^\S+:\d+:\d+: warning: ", {M})
    assert_levels("make", profile, r"^\S+:\d+:\d+: note: |: In function |^In file included from |^ +\d+ \| |^ +\| ", {L})
    assert_levels("make", profile, r"^cc1: some warnings being treated as errors$", {H})
    assert_levels("make", profile, r"^make: \*\*\* \[Makefile:\d+: build/\w+\.o\] Error 1$", {C})
    assert_levels("make", profile, r"^make: Target 'all' not remade because of errors\.$", {H})
    # a compile command is progress, even for src/error.c
    assert_levels("make", profile, r"^gcc -std=c11 .* -c src/(error|handlers/error_log)\.c ", {V})
    assert_levels("clang", profile, r"^/tmp/ci/kvstore/\S+: (fatal )?error: ", {H})
    assert_levels("clang", profile, r"^\d+ errors? generated\.$", {H})
    assert_levels("clang", profile, r"^1 warning generated\.$", {M})
    assert_levels("clang", profile, r"undefined reference to `kv_(compact|snapshot)'", {H})
    assert_levels("clang", profile, r"^/usr/bin/ld: \S+: in function `main':$", {L})
    assert_levels("clang", profile, r"^clang: error: linker command failed with exit code 1", {C})
    assert_levels("clang", profile, r"^gmake\[\d\]: \*\*\* ", {H})
    assert_levels("clang", profile, r"^gmake: \*\*\* \[Makefile:\d+: all\] Error 2$", {C})
    assert_levels("clang", profile, r"^\[ *\d+%\] (Building C object|Linking C|Built target) ", {V})
    assert_levels("ninja", profile, r"^FAILED: ", {C})
    assert_levels("ninja", profile, r"^/tmp/ci/imgconv/ops/resize\.cc:\d+:\d+: error: ", {H})
    assert_levels("ninja", profile, r"^/tmp/ci/imgconv/tools/imginfo\.cc:8: undefined reference to ", {H})
    assert_levels("ninja", profile, r"^collect2: error: ld returned 1 exit status$", {C})
    assert_levels("ninja", profile, r"^ninja: build stopped: ", {C})
    assert_levels("ninja", profile, r"^\[\d+/\d+\] (Building CXX object|Linking CXX) ", {V})
    assert_levels("ninja", profile, r"^(: && )?/usr/bin/c\+\+ ", {V})
    assert_levels("ninja", profile, r"note:   (template argument deduction|deduced conflicting types)", {L})
    assert_levels("meson-werror", profile, r"^\.\./src/eval\.c:41:9: error: unused variable 'depth' \[-Werror=unused-variable\]$", {H})
    assert_levels("meson-werror", profile, r"^cc1: all warnings being treated as errors$", {H})


@pytest.mark.parametrize("profile", PROFILES)
def test_cmake_levels(profile):
    assert_levels("configure", profile, r"^CMake Error at cmake/deps\.cmake:3 \(find_package\):$", {H})
    assert_levels("configure", profile, r"^CMake Warning at ", {M})
    assert_levels("configure", profile, r"^-- Configuring incomplete, errors occurred!$", {C})
    assert_levels("configure", profile, r"^-- (Looking for |Performing Test |Detecting |Found )", {V})
    assert_levels("configure", profile, r"^See also \".*\.log\"\.$", {L})
    assert_levels("ctest", profile, r"^-- (Configuring|Generating) done$", {V})


@pytest.mark.parametrize("profile", PROFILES)
def test_test_runner_levels(profile):
    # ctest
    assert_levels("ctest", profile, r"^\s*\d+/\d+ Test\s+#\d+: .*\*\*\*", {C})
    assert_levels("ctest", profile, r"Passed\s+[\d.]+ sec$", {V})
    assert_levels("ctest", profile, r"csv_error_on_unterminated_quote \.+ +Passed", {V})
    assert_levels("ctest", profile, r"^\s+Start\s+\d+: ", {V})
    assert_levels("ctest", profile, r"^\d+% tests passed, [1-9]\d* tests failed out of \d+$", {C})
    assert_levels("ctest", profile, r"^\s+\d+ - \S+ \(", {C})
    # cmocka
    assert_levels("ctest", profile, r"^\[  FAILED  \] ", {C})
    assert_levels("ctest", profile, r"^\[  ERROR   \] --- |^\[   LINE   \] --- ", {H})
    assert_levels("ctest", profile, r"^\[ +(RUN|OK) +\] ", {V})
    assert_levels("ctest", profile, r"^\[       OK \] parse_int_reports_error_on_overflow$", {V})
    assert_levels("ctest", profile, r"^\[  PASSED  \] \d+ test\(s\)\.$", {L})
    # sanitizers and assertions
    assert_levels("ctest", profile, r"^==\d+==ERROR: AddressSanitizer: heap-buffer-overflow", {C})
    assert_levels("ctest", profile, r"^(WRITE of size|SUMMARY: AddressSanitizer:)", {H})
    assert_levels("ctest", profile, r": runtime error: signed integer overflow", {H})
    assert_levels("ctest", profile, r"^test_csv: .*: Assertion `n == 3' failed\.$", {H})
    # GoogleTest, run directly and under ctest -V
    assert_levels("gtest", profile, r"^\[  FAILED  \] ", {C})
    assert_levels("gtest", profile, r"^ \d+ FAILED TESTS$", {C})
    assert_levels("gtest", profile, r": Failure$|^Expected equality of these values:$|^C\+\+ exception with description ", {H})
    assert_levels("gtest", profile, r"^\[       OK \] ", {V})
    assert_levels("gtest", profile, r"^\[       OK \] (ParserTest\.ReportsErrorOnGarbage|PolygonTest\.AreaFailsGracefullyOnEmpty|Relative/ErrorBoundTest\.)", {V})
    assert_levels("gtest", profile, r"^\[  (PASSED|SKIPPED) \] |^\[==========\] \d+ tests from ", {L})
    assert_levels("gtest", profile, r"tests/test_tokenizer\.cc:6: Skipped$", {L})
    assert_levels("ctest-verbose", profile, r"^\d+: \[  FAILED  \] |^\d+:  1 FAILED TEST$", {C})
    assert_levels("ctest-verbose", profile, r"^\d+: \S+:\d+: Failure$|^\d+: Expected equality", {H})
    assert_levels("ctest-verbose", profile, r"^\d+: \[       OK \] (TrimTest\.EmptyIsNoError|CommasTest\.FailsNotOnZero)", {V})
    # meson
    assert_levels("meson", profile, r"^\s*\d+/\d+ calc:\S+\s+(FAIL|TIMEOUT|UNEXPECTEDPASS) ", {C})
    assert_levels("meson", profile, r"^\s*\d+/\d+ calc:\S+\s+(OK|EXPECTEDFAIL) ", {V})
    assert_levels("meson", profile, r"^\s*\d+/\d+ calc:error_paths\s+OK ", {V})
    assert_levels("meson", profile, r"^\s*\d+/\d+ calc:\S+\s+SKIP ", {L})
    assert_levels("meson", profile, r"^(Fail|Unexpected Pass|Timeout): +[1-9]", {C})
    assert_levels("meson", profile, r"^(Ok|Expected Fail|Skipped): +\d", {L})
    assert_levels("meson", profile, r"^\.\./tests/main\.c:15: FAIL ", {H})
    assert_levels("meson", profile, r"^>>> ", {L})


@pytest.mark.parametrize("profile", PROFILES)
def test_passing_run_has_nothing_to_report(profile):
    got = list(zip(lines("pass"), levels("pass", profile), strict=False))
    assert [ln for ln, lv in got if lv <= H] == []
    assert not any(test for test, _ in hits("pass"))
    # names holding "error" and "fail" stay quiet
    assert_levels("pass", profile, r"(FailsWhenFull|ReportsError|NoErrorAfterPush|push_fails_when_full|pop_error_when_empty)", {V, L})


def test_same_message_at_two_locations_stays_two_lines():
    rx = re.compile(r"^(\S+:\d+):\d+: error: 'route_count' undeclared")
    locs = [m.group(1) for m in map(rx.match, lines("make")) if m]
    assert locs == ["src/router.c:11", "src/router.c:15"]
    assert set(locs) <= set(truth("make")["error_locations"])
    rx = re.compile(r"^(\S+:\d+:\d+): error: use of undeclared identifier 'iterations'")
    assert len({m.group(1) for m in map(rx.match, lines("clang")) if m}) == 3


def test_each_ctest_and_meson_result_is_its_own_event():
    for case, pattern in [("ctest", r"^\s*\d+/\d+ Test\s+#\d+: "), ("meson", r"^\s*\d+/\d+ calc:")]:
        ls = lines(case)
        ids = EventGrouper().assign(pl.Series(ls, dtype=pl.Utf8))["event_id"].to_list()
        rx = re.compile(pattern)
        starts = [i for i, ln in enumerate(ls) if rx.search(ln)]
        assert len(starts) > 10
        for i in starts:
            assert ids[i] != ids[i - 1], ls[i]


def test_other_ecosystems_are_not_read_as_cc_tests():
    """On other tools' logs the pack's test and totals patterns find nothing but what
    those logs' own truth lists (in a passing log: nothing at all)."""
    tests = [re.compile(t.pattern) for t in cc.PACK.tests]
    totals = [re.compile(t.pattern) for t in cc.PACK.totals]
    for folder in sorted(DATA.iterdir()):
        if folder.name.startswith("cc-") or not (folder / "job.log").is_file():
            continue
        theirs = json.loads((folder / "truth.json").read_text()) if (folder / "truth.json").is_file() else {}
        for ln in (folder / "job.log").read_text(encoding="utf-8", errors="replace").splitlines():
            for rx in tests:
                m = rx.search(ln)
                assert m is None or m.group("id").strip() in theirs.get("failing_tests", []), (folder.name, ln)
            for rx in totals:
                assert rx.search(ln) is None or ln.strip() in theirs.get("totals", []), (folder.name, ln)
