"""The go runner pack on real go test / go build / go vet output (bench/ecosystems/go.sh)
and on lines of the documented Ginkgo, gotestsum and Go 1.20+ timeout formats."""

from __future__ import annotations

import re

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import go
from tokopt_pipeline.lib.engine.priority import Level, validate_regex
from tokopt_pipeline_tests.conftest import TESTS
from tokopt_pipeline_tests.lib.engine.packs.fixture import level_of as _level
from tokopt_pipeline_tests.lib.engine.packs.fixture import levels_of as _levels
from tokopt_pipeline_tests.lib.engine.packs.fixture import raw_case as _case

DATA = TESTS / "data" / "ecosystems"
CASES = ["go-test-verbose", "go-build-vet", "go-race", "go-timeout", "go-pass"]
PROFILES = ["generic", "github-actions"]


def test_patterns_compile_in_python_and_polars():
    p = go.PACK
    for pattern in [r.pattern for r in p.rules] + [t.pattern for t in p.tests] + [t.pattern for t in p.totals] + list(p.block_starts) + list(p.continues) + [p.detect]:
        re.compile(pattern)
        validate_regex(pattern)
    for t in p.totals:
        if t.failed:
            re.compile(t.failed)
    assert 5 <= len(p.rules) <= 15


@pytest.mark.parametrize("case", CASES)
def test_failing_tests_found(case):
    lines, truth = _case(case)
    found = {}
    for line in lines:
        hit = packs.failing_test(line)
        if hit is not None:
            assert hit.pack == "go", line
            found.setdefault(hit.test_id, line)
    missing = [t for t in truth["failing_tests"] if t not in found]
    if case == "go-timeout":
        # Go 1.19 names a hung subtest only on its "=== RUN" line (no "--- FAIL", no
        # "running tests:" list): its parent is found in the goroutine dump, it is not.
        assert missing == ["TestDrain/after_close"]
        assert "TestDrain" in found
    else:
        assert missing == []
    # and nothing else: a failing-test line of a passing test would be a false alarm
    assert set(found) <= set(truth["failing_tests"]), set(found) - set(truth["failing_tests"])


def test_failing_test_names():
    hit = packs.failing_test("    --- FAIL: TestTransition/shipped/cancel (0.00s)")
    assert (hit.test_id, hit.name) == ("TestTransition/shipped/cancel", "cancel")
    hit = packs.failing_test("example.com/dispatch/queue.TestDrain.func3(0xc00015c680?)")
    assert (hit.test_id, hit.file) == ("TestDrain", "example.com/dispatch/queue")
    assert packs.failing_test("--- PASS: TestParseError (0.00s)") is None
    assert packs.failing_test("=== RUN   TestLoadFailsOnDuplicate") is None
    assert packs.failing_test("example.com/dispatch/queue.(*Queue).Drain(0xc000014820)") is None
    assert packs.failing_test("testing.tRunner(0xc00015c340, 0x530ec8)") is None


@pytest.mark.parametrize("case", CASES)
def test_totals_lines(case):
    lines, truth = _case(case)
    read = {}
    for line in lines:
        hit = packs.totals(line)
        if hit is not None and hit.pack == "go":
            read[hit.text] = hit.failed
    assert set(read) == set(truth["totals"])
    for text, failed in read.items():
        assert failed == text.startswith("FAIL"), text


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_levels_of_key_lines(case, profile):
    lines, truth = _case(case)
    levels = _levels(lines, profile)
    by_kind: dict[str, list[tuple[str, Level]]] = {}
    for line, level in zip(lines, levels, strict=False):
        if re.match(r"^\s*--- FAIL: ", line) or re.match(r"^FAIL\s+\S+\s+(\d|\[)", line) or line.startswith("panic: "):
            by_kind.setdefault("critical", []).append((line, level))
        elif re.match(r"^\s*--- PASS: |^=== (RUN|PAUSE|CONT)\s|^PASS$|^coverage: |^\?\s", line):
            by_kind.setdefault("verbose", []).append((line, level))
        elif re.match(r"^ok\s", line):
            by_kind.setdefault("low", []).append((line, level))
        elif line == "WARNING: DATA RACE" or line.startswith("# example.com/"):
            by_kind.setdefault("high", []).append((line, level))
        elif any(re.match(r"^\s*(vet: )?" + re.escape(loc) + r":", line) for loc in truth["error_locations"]):
            by_kind.setdefault("high", []).append((line, level))
    want = {"critical": Level.CRITICAL, "high": Level.HIGH, "low": Level.LOW, "verbose": Level.VERBOSE}
    for kind, got in by_kind.items():
        wrong = [(l, lv.label) for l, lv in got if lv != want[kind]]
        assert not wrong, (kind, wrong[:5])
    if truth["failing_tests"]:
        assert by_kind["critical"]
    # the error locations of the tests and the compiler reach the summary as high lines
    if case in ("go-test-verbose", "go-build-vet"):
        assert len(by_kind["high"]) >= 5


def test_passing_lines_named_error_stay_verbose():
    lines, _ = _case("go-test-verbose")
    named = [l for l in lines if re.match(r"^\s*(--- PASS|=== RUN)", l) and re.search(r"(?i)error|fail", l)]
    assert len(named) >= 10
    for profile in PROFILES:
        for line, level in zip(named, _levels(named, profile), strict=False):
            assert level == Level.VERBOSE, line


GO_LINES = [
    ("--- FAIL: TestParse (0.00s)", Level.CRITICAL),
    ("        --- FAIL: TestParse/a/b (0.01s)", Level.CRITICAL),
    ("FAIL\texample.com/p [setup failed]", Level.CRITICAL),
    ("panic: test timed out after 3s", Level.CRITICAL),
    ("fatal error: all goroutines are asleep - deadlock!", Level.CRITICAL),
    ("fatal error: concurrent map writes", Level.CRITICAL),
    ("\tpanic: runtime error: invalid memory address or nil pointer dereference", Level.HIGH),
    ("    parse_test.go:42: got 3, want 4", Level.HIGH),
    ("./main.go:12:5: undefined: foo", Level.HIGH),
    ("internal/db/conn.go:88:2: Error return value of `rows.Close` is not checked (errcheck)", Level.HIGH),
    ("# example.com/p [example.com/p.test]", Level.HIGH),
    ("FAIL", Level.HIGH),
    ("ok  \tgithub.com/pkg/errors\t0.004s", Level.LOW),
    ("ok  \texample.com/failover\t(cached)", Level.LOW),
    ("--- SKIP: TestFailover (0.00s)", Level.LOW),
    ("goroutine 7 [running]:", Level.LOW),
    ("example.com/p.TestDecodeError(0xc000102340)", Level.LOW),
    ("  example.com/throttle/bucket.(*Bucket).Allow()", Level.LOW),
    ("=== RUN   TestDecodeError/bad_input", Level.VERBOSE),
    ("=== NAME  TestDecodeError", Level.VERBOSE),
    ("    --- PASS: TestRetryOnError/timeout_error (0.00s)", Level.VERBOSE),
    ("?   \texample.com/errgroup/cmd\t[no test files]", Level.VERBOSE),
    ("go: downloading golang.org/x/sync v0.6.0", Level.VERBOSE),
    ("testing.tRunner(0xc0000969c0, 0x52f3a8)", Level.VERBOSE),
    ("\t/usr/local/go/src/testing/testing.go:1446 +0x10b", Level.VERBOSE),
    ("\t/home/runner/work/shop/shop/cart/cart.go:31 +0x1b1", Level.HIGH),
    ("      /tmp/ci/throttle/bucket/bucket.go:44 +0xe4", Level.HIGH),
    ("created by testing.(*T).Run in goroutine 1", Level.VERBOSE),
]


def _check_levels(cases: list[tuple[str, Level]]) -> None:
    lines = [line for line, _ in cases]
    for profile in PROFILES:
        got = _levels(lines, profile)
        wrong = [(line, want.label, g.label) for (line, want), g in zip(cases, got, strict=False) if g != want]
        assert not wrong, (profile, wrong)


def test_go_line_levels():
    _check_levels(GO_LINES)


def test_go_120_running_tests_list():
    # Go 1.20+ names the tests still running when -timeout fires (not produced by Go 1.19)
    hit = packs.failing_test("\tTestDrain/after_close (3s)")
    assert (hit.pack, hit.test_id, hit.name) == ("go", "TestDrain/after_close", "after_close")
    assert packs.failing_test("\tTestDrain (3s)").test_id == "TestDrain"
    assert packs.failing_test("\tTestSlow (2m0s)").test_id == "TestSlow"
    assert _level("\tTestDrain/after_close (3s)") == Level.CRITICAL
    assert _level("running tests:") == Level.HIGH


# Ginkgo v1/v2 lines, shaped after Ginkgo's documentation (Ginkgo cannot be installed here).
GINKGO_V2 = """\
Running Suite: Books Suite - /src/books
=======================================
Random Seed: 1700000000

Will run 10 of 12 specs
••••
------------------------------
• [FAILED] [0.002 seconds]
Books Categorizing book length when a book is shorter than 300 pages [It] should be a novella
/src/books/books_test.go:29

  [FAILED] Expected
      <string>: Novel
  to equal
      <string>: Novella
  In [It] at: /src/books/books_test.go:31 @ 01/23/24 10:00:00.123
------------------------------
••••
------------------------------
• [PANICKED] [0.001 seconds]
Books Loading from JSON [It] decodes the error field
/src/books/books_test.go:52

  [PANICKED] Test Panicked
  In [It] at: /usr/local/go/src/runtime/panic.go:261 @ 01/23/24 10:00:00.125
------------------------------

Summarizing 2 Failures:
  [FAIL] Books Categorizing book length when a book is shorter than 300 pages [It] should be a novella
  /src/books/books_test.go:31
  [PANICKED!] Books Loading from JSON [It] decodes the error field
  /src/books/books_test.go:52

Ran 10 of 12 Specs in 0.100 seconds
FAIL! -- 8 Passed | 2 Failed | 0 Pending | 2 Skipped
--- FAIL: TestBooks (0.10s)
FAIL

Ginkgo ran 1 suite in 2.1s

Test Suite Failed
"""


def test_ginkgo_failures_and_totals():
    lines = GINKGO_V2.splitlines()
    tests = [h.test_id for h in map(packs.failing_test, lines) if h is not None]
    assert "Books Categorizing book length when a book is shorter than 300 pages [It] should be a novella" in tests
    assert "TestBooks" in tests
    hit = packs.failing_test("  [FAIL] Books Categorizing book length when a book is shorter than 300 pages [It] should be a novella")
    assert hit.name == "should be a novella"
    hit = packs.failing_test("[Fail] Book Categorizing book length [It] should be a novella ")  # Ginkgo v1
    assert (hit.test_id, hit.name) == ("Book Categorizing book length [It] should be a novella", "should be a novella")
    hit = packs.failing_test("  [PANICKED!] Books Loading from JSON [It] decodes the error field")
    assert (hit.test_id, hit.name) == ("Books Loading from JSON [It] decodes the error field", "decodes the error field")
    hit = packs.failing_test("  [TIMEDOUT] Books Loading [BeforeEach] reads the catalogue")
    assert hit.name == "reads the catalogue"
    hit = packs.failing_test("[Panic!] Book when loading [It] decodes the error field")  # Ginkgo v1
    assert hit.name == "decodes the error field"
    # a failure message, not a spec: "[TIMEDOUT]" also opens a message
    assert packs.failing_test("  [TIMEDOUT] A suite timeout occurred") is None
    assert packs.failing_test("  [FAILED] Expected") is None
    # a Kubernetes-style spec name holding brackets of its own
    hit = packs.failing_test("  [FAIL] [sig-storage] CSI Volumes [Driver: csi-hostpath] [It] should mount [Slow]")
    assert (hit.test_id, hit.name) == ("[sig-storage] CSI Volumes [Driver: csi-hostpath] [It] should mount [Slow]", "should mount [Slow]")

    t = packs.totals("FAIL! -- 8 Passed | 2 Failed | 0 Pending | 2 Skipped")
    assert (t.pack, t.failed) == ("go", True)
    t = packs.totals("SUCCESS! -- 10 Passed | 0 Failed | 1 Flaked | 0 Pending | 2 Skipped")
    assert (t.pack, t.failed) == ("go", False)
    t = packs.totals("FAIL! - Interrupted by User -- 3 Passed | 0 Failed | 0 Pending | 9 Skipped")
    assert (t.pack, t.failed) == ("go", True)
    t = packs.totals("Ran 10 of 12 Specs in 0.100 seconds")
    assert t.pack == "go" and not t.failed


GINKGO_LINES = [
    ("• [FAILED] [0.002 seconds]", Level.CRITICAL),
    ("• Failure [0.001 seconds]", Level.CRITICAL),
    ("• Failure in Spec Setup (BeforeEach) [0.002 seconds]", Level.CRITICAL),
    ("• [PANICKED] [0.001 seconds]", Level.CRITICAL),
    ("[BeforeSuite] [FAILED] [0.001 seconds]", Level.CRITICAL),
    ("  [PANICKED!] Books Loading from JSON [It] decodes the error field", Level.CRITICAL),
    ("  [TIMEDOUT] Books Loading [It] waits for the server", Level.CRITICAL),
    ("  [TIMEDOUT] A suite timeout occurred", Level.HIGH),
    ("  [PANICKED] Test Panicked", Level.HIGH),
    ("  [FAILED] in [It] - /src/books/books_test.go:31 @ 01/23/24 10:00:00.123", Level.HIGH),
    ("  [FAIL] Books Categorizing book length [It] should be a novella", Level.CRITICAL),
    ("[Fail] Book Categorizing book length [It] should be a novella ", Level.CRITICAL),
    ("FAIL! -- 8 Passed | 2 Failed | 0 Pending | 2 Skipped", Level.CRITICAL),
    ("Test Suite Failed", Level.CRITICAL),
    ("  [FAILED] Expected", Level.HIGH),
    ("  In [It] at: /src/books/books_test.go:31 @ 01/23/24 10:00:00.123", Level.HIGH),
    ("Summarizing 2 Failures:", Level.HIGH),
    ("SUCCESS! -- 10 Passed | 0 Failed | 0 Pending | 2 Skipped", Level.LOW),
    ("Ran 10 of 12 Specs in 0.100 seconds", Level.LOW),
    ("••••••••", Level.VERBOSE),
    ("• [0.001 seconds]", Level.VERBOSE),
]


def test_ginkgo_line_levels():
    _check_levels(GINKGO_LINES)
    # the whole sample: every failing spec line is critical, no passing line is high
    lines = GINKGO_V2.splitlines()
    for line, level in zip(lines, _levels(lines, "generic"), strict=False):
        if line.startswith(("• [FAILED]", "• [PANICKED]", "  [FAIL]", "  [PANICKED!]", "FAIL!", "--- FAIL")):
            assert level == Level.CRITICAL, line
        if line.startswith(("••", "Ran ", "Will run", "Random Seed", "Ginkgo ran")):
            assert level >= Level.LOW, line


def test_gotestsum_lines():
    # gotestsum's summary (documented format; gotestsum is not installed here)
    hit = packs.failing_test("=== FAIL: internal/cart TestApplyDiscount/over_100_percent (0.00s)")
    assert (hit.test_id, hit.name, hit.file) == ("TestApplyDiscount/over_100_percent", "over_100_percent", "internal/cart")
    t = packs.totals("DONE 1350 tests, 2 skipped, 4 failures in 3.214s")
    assert (t.pack, t.failed) == ("go", True)
    t = packs.totals("DONE 2 runs, 1350 tests, 2 skipped in 3.214s")
    assert (t.pack, t.failed) == ("go", False)
    assert _level("=== FAIL: internal/cart TestTotal (0.00s)") == Level.CRITICAL
    assert _level("DONE 1350 tests, 2 skipped, 4 failures in 3.214s") == Level.CRITICAL
    assert _level("DONE 1350 tests, 2 skipped in 3.214s") == Level.LOW


def _other_logs():
    for d in sorted(DATA.iterdir()):
        if d.is_dir() and not d.name.startswith("go-") and (d / "job.log").exists():
            yield d.name, (d / "job.log").read_text(encoding="utf-8", errors="replace").splitlines()


def test_other_ecosystems_not_misread():
    """No line of another ecosystem's log is read as a Go failing test or totals, or glued
    to the event before it as a goroutine dump's line."""
    detect = re.compile(go.PACK.detect)
    patterns = [re.compile(p) for p in [t.pattern for t in go.PACK.tests] + [t.pattern for t in go.PACK.totals] + list(go.PACK.continues)]
    for name, lines in _other_logs():
        if any(detect.search(l) for l in lines):
            continue  # a job that runs Go tools too (e.g. go test inside a container build)
        bad = [l for l in lines if any(rx.search(l) for rx in patterns)]
        assert not bad, (name, bad[:5])


def test_goroutine_dump_is_one_event():
    from tokopt_pipeline.lib.engine.events import EventGrouper

    lines, _ = _case("go-test-verbose")
    start = lines.index(next(l for l in lines if l.startswith("goroutine ")))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("FAIL\t"))
    ids = EventGrouper().assign(pl.Series(lines[start - 4:end + 1], dtype=pl.Utf8))["event_id"].to_list()
    dump = ids[4:-1]
    assert len(set(dump)) == 1  # header, function lines and frames together
    assert ids[0] != ids[1]  # the failing subtest's header and the panic stay two events
    assert ids[-1] != dump[0]  # the package's FAIL line is not part of the dump
