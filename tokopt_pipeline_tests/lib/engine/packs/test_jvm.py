"""The jvm runner pack on real Maven/Surefire, javac and JUnit console launcher output
(bench/ecosystems/jvm.sh) and on lines of the documented Gradle, Surefire 3 and kotlinc formats."""

from __future__ import annotations

import re

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import jvm
from tokopt_pipeline.lib.engine.priority import Level, validate_regex
from tokopt_pipeline_tests.conftest import TESTS
from tokopt_pipeline_tests.lib.engine.packs.fixture import level_of as _level
from tokopt_pipeline_tests.lib.engine.packs.fixture import levels_of as _levels
from tokopt_pipeline_tests.lib.engine.packs.fixture import raw_case as _case

DATA = TESTS / "data" / "ecosystems"
CASES = ["jvm-maven-surefire", "jvm-maven-compile", "jvm-junit-console"]
PROFILES = ["generic", "github-actions"]


def _level_map(lines: list[str], profile: str) -> dict[str, Level]:
    """Levels of many lines in one pass (one tagging per line is slow)."""
    return dict(zip(lines, _levels(lines, profile), strict=False))


def test_patterns_compile_in_python_and_polars():
    p = jvm.PACK
    for pattern in [r.pattern for r in p.rules] + [t.pattern for t in p.tests] + [t.pattern for t in p.totals] + list(p.block_starts) + [p.detect]:
        re.compile(pattern)
        validate_regex(pattern)
    for t in p.totals:
        if t.failed:
            re.compile(t.failed)
    for t in p.tests:
        assert "(?-u" not in t.pattern and "(?P<id>" in t.pattern
    assert 5 <= len(p.rules) <= 15


@pytest.mark.parametrize("case", CASES)
def test_truth_occurs_verbatim(case):
    lines, truth = _case(case)
    text = "\n".join(lines)
    assert truth["failing_tests"] and truth["totals"]
    for key in ("failing_tests", "error_locations", "error_codes", "totals"):
        for s in truth[key]:
            assert s in text, (key, s)


@pytest.mark.parametrize("case", CASES)
def test_failing_tests_found(case):
    lines, truth = _case(case)
    found: dict[str, str] = {}
    for line in lines:
        hit = packs.failing_test(line)
        if hit is not None and hit.pack == "jvm":
            found.setdefault(hit.test_id, line)
    assert [t for t in truth["failing_tests"] if t not in found] == []
    # and nothing else: a failing-test line of a passing test would be a false alarm
    assert set(found) <= set(truth["failing_tests"]), set(found) - set(truth["failing_tests"])


def test_failing_test_ids():
    hit = packs.failing_test("[ERROR]   OrderTotalsTest.appliesDiscountCodeCaseInsensitively:25 expected: <90.00> but was: <100.00>")
    assert (hit.pack, hit.test_id, hit.file, hit.name) == ("jvm", "OrderTotalsTest.appliesDiscountCodeCaseInsensitively", "OrderTotalsTest", "appliesDiscountCodeCaseInsensitively")
    hit = packs.failing_test("[ERROR]   CatalogCacheTest.loadCatalog:13 » IllegalState catalog fixture missing: catalo...")
    assert hit.test_id == "CatalogCacheTest.loadCatalog"
    hit = packs.failing_test("[ERROR]   TaxTableTest.testLookupUsesRegionFallback:17 ")
    assert hit.test_id == "TaxTableTest.testLookupUsesRegionFallback"
    hit = packs.failing_test("[ERROR]   CalcTest.addsLarge:12->assertSum:40 expected: <13> but was: <14>")
    assert hit.test_id == "CalcTest.addsLarge"
    # Surefire 3 names the class in full; read to the id of its results list
    hit = packs.failing_test("[ERROR] com.acme.CalcTest.addsLarge -- Time elapsed: 0.007 s <<< FAILURE!")
    assert (hit.pack, hit.test_id, hit.kind) == ("jvm", "CalcTest.addsLarge", "failed")
    hit = packs.failing_test("[ERROR] com.acme.CalcTest.throwsError -- Time elapsed: 0.01 s <<< ERROR!")
    assert (hit.test_id, hit.kind) == ("CalcTest.throwsError", "error")
    # the console launcher's failure list: the path of display names after the engine
    hit = packs.failing_test("  JUnit Jupiter:Ledger:transfers:charges a fee rounded half up")
    assert (hit.test_id, hit.file, hit.name) == ("Ledger:transfers:charges a fee rounded half up", "Ledger", "charges a fee rounded half up")
    hit = packs.failing_test("  JUnit Jupiter:ClosingTest")
    assert (hit.test_id, hit.name) == ("ClosingTest", "ClosingTest")
    hit = packs.failing_test("  JUnit Vintage:ReconcileTest:matchesBankStatement")
    assert hit.test_id == "ReconcileTest:matchesBankStatement"


def test_lines_that_are_not_failing_tests():
    for line in [
        "[ERROR]   mvn <args> -rf :shop-model",
        "[ERROR]   symbol:   method rateFor(java.lang.String)",
        "[ERROR]   location: class com.acme.billing.core.TaxRules",
        "[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.335 s <<< FAILURE! - in com.acme.shop.model.OrderTotalsTest",
        "[INFO] Tests run: 8, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.05 s - in com.acme.shop.model.ErrorMappingTest",
        "│  │  ├─ balanceNeverGoesNegative() ✘ balance must not go negative",
        "│  ├─ withdrawErrorIsReported() ✔",
        "com.acme.CalcTest > readErrorIsReported() PASSED",
        "    MethodSource [className = 'com.acme.ledger.AccountTest', methodName = 'balanceNeverGoesNegative', methodParameterTypes = '']",
    ]:
        hit = packs.failing_test(line)
        assert hit is None or hit.pack != "jvm", line
    # Surefire 2.22's header names JUnit 5 tests by method only and JUnit 4 tests as
    # method(Class): read from the results list (the engine reads the JUnit 4 form itself)
    for line in [
        "[ERROR] appliesDiscountCodeCaseInsensitively  Time elapsed: 0.172 s  <<< FAILURE!",
        "[ERROR] testRoundsHalfUp(com.acme.shop.legacy.LegacyInvoiceTest)  Time elapsed: 0 s  <<< FAILURE!",
        "[ERROR] com.acme.shop.model.CatalogCacheTest  Time elapsed: 0 s  <<< ERROR!",
    ]:
        hit = packs.failing_test(line)
        assert hit is None or hit.pack != "jvm", line


def _expected_failed(text: str) -> bool:
    m = re.match(r"Tests run: \d+, Failures: (\d+), Errors: (\d+), Skipped: \d+$", text)
    if m:
        return int(m.group(1)) + int(m.group(2)) > 0
    m = re.match(r"(\d+) errors?$", text)
    if m:
        return int(m.group(1)) > 0
    m = re.match(r"\[\s+(\d+) (tests|containers) (successful|failed)\s+\]$", text)
    assert m, text
    return m.group(3) == "failed" and int(m.group(1)) > 0


@pytest.mark.parametrize("case", CASES)
def test_totals_lines(case):
    lines, truth = _case(case)
    read = {}
    for line in lines:
        t = packs.totals(line)
        if t is not None and t.pack == "jvm":
            read[t.text] = t.failed
    for text in truth["totals"]:
        assert text in read, text
        assert read[text] is _expected_failed(text), text


def test_totals_examples():
    for line, text, failed in [
        ("[ERROR] Tests run: 20, Failures: 1, Errors: 1, Skipped: 0", "Tests run: 20, Failures: 1, Errors: 1, Skipped: 0", True),
        ("[INFO] Tests run: 480, Failures: 0, Errors: 0, Skipped: 0", "Tests run: 480, Failures: 0, Errors: 0, Skipped: 0", False),
        ("[WARNING] Tests run: 5, Failures: 0, Errors: 0, Skipped: 2", "Tests run: 5, Failures: 0, Errors: 0, Skipped: 2", False),
        ("[INFO] 4 errors ", "4 errors", True),
        ("1 error", "1 error", True),
        ("[         7 tests failed          ]", "[         7 tests failed          ]", True),
        ("[         0 tests failed          ]", "[         0 tests failed          ]", False),
        ("[       108 tests successful      ]", "[       108 tests successful      ]", False),
        ("5 tests completed, 2 failed", "5 tests completed, 2 failed", True),
        ("12 tests completed, 1 failed, 2 skipped", "12 tests completed, 1 failed, 2 skipped", True),
    ]:
        t = packs.totals(line)
        assert (t.pack, t.text, t.failed) == ("jvm", text, failed), line
    # a class's own line is not the run's totals
    assert packs.totals("[INFO] Tests run: 8, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.05 s - in com.acme.AlpsTest") is None
    assert packs.totals("[         0 containers failed     ]") is None


def _key_lines(lines: list[str], truth: dict) -> dict[str, list[int]]:
    """Indexes of the fixture's failure headers, failing totals, diagnostics and passing lines."""
    failed_totals = {t for t in truth["totals"] if _expected_failed(t)}
    out: dict[str, list[int]] = {"failure": [], "diagnostic": [], "passing": []}
    for i, line in enumerate(lines):
        hit = packs.failing_test(line)
        t = packs.totals(line)
        if (hit is not None and hit.pack == "jvm") or "<<< FAILURE!" in line or "<<< ERROR!" in line or " ✘" in line:
            out["failure"].append(i)
        elif t is not None and t.text in failed_totals:
            out["failure"].append(i)
        elif re.search(r"\.java:\d+: error: |^\[ERROR\] /\S+\.java:\[\d+,\d+\] |^    => |^Caused by: ", line):
            out["diagnostic"].append(i)
        elif re.search(r" ✔$|^\[INFO\] Tests run: .*, Failures: 0, Errors: 0, .* - in |^\[INFO\] Running ", line):
            out["passing"].append(i)
    return out


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_levels_of_key_lines(case, profile):
    lines, truth = _case(case)
    levels = _levels(lines, profile)
    key = _key_lines(lines, truth)
    assert key["failure"] and key["diagnostic"]
    for i in key["failure"]:
        if profile == "github-actions" and lines[i].startswith("[INFO] "):
            continue  # the java profile (part of github-actions) reads every other [INFO] line as low first
        # and it reads Maven's [ERROR] lines as high first
        want = {Level.CRITICAL} if profile == "generic" else {Level.CRITICAL, Level.HIGH}
        assert levels[i] in want, (lines[i], levels[i])
    for i in key["diagnostic"]:
        assert levels[i] == Level.HIGH, (lines[i], levels[i])
    for i in key["passing"]:
        assert levels[i] in (Level.LOW, Level.VERBOSE), (lines[i], levels[i])
    if case == "jvm-maven-surefire":
        assert len(key["passing"]) > 100


@pytest.mark.parametrize("profile", PROFILES)
def test_passing_lines_named_error_stay_quiet(profile):
    lines = [
        "[INFO] Running com.acme.shop.api.ErrorMappingTest",
        "[INFO] Tests run: 12, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.1 s - in com.acme.shop.api.ErrorMappingTest",
        "│  ├─ withdrawErrorIsReported() ✔",
        "│  │  ├─ importErrorKeepsBalance() ✔",
        "│  │  │  ├─ error accounts are other ✔",
        "com.acme.CalcTest > readErrorIsReported() PASSED",
        "CalcTest > failsOverToReplica() PASSED",
        "[INFO]  T E S T S",
    ]
    for line, level in _level_map(lines, profile).items():
        assert level in (Level.VERBOSE, Level.LOW), line
    # (the java profile of github-actions reads every [WARNING] line as a warning first)
    line = "[WARNING] Tests run: 4, Failures: 0, Errors: 0, Skipped: 1, Time elapsed: 0.2 s - in com.acme.FailoverTest"
    assert _level(line) == Level.VERBOSE


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_of_maven_javac_and_console_lines(profile):
    expected = {
        # the java profile (part of github-actions) reads Maven's [ERROR] lines as high first
        Level.CRITICAL: [
            "[ERROR] appliesDiscountCodeCaseInsensitively  Time elapsed: 0.172 s  <<< FAILURE!",
            "[ERROR] Tests run: 133, Failures: 3, Errors: 4, Skipped: 1",
            "[ERROR]   OrderTotalsTest.appliesDiscountCodeCaseInsensitively:25 expected: <90.00> but was: <100.00>",
            "[ERROR] COMPILATION ERROR : ",
            "[INFO] BUILD FAILURE",
            "│  │  ├─ balanceNeverGoesNegative() ✘ balance must not go negative ==> expected: <true> but was: <false>",
            "  JUnit Jupiter:Ledger:transfers:charges a fee rounded half up",
            "[         7 tests failed          ]",
            "1 error",
        ],
        Level.HIGH: [
            "[ERROR] /tmp/jvm-ci/billing/billing-core/src/main/java/com/acme/billing/core/Invoice.java:[24,58] cannot find symbol",
            "tools/src/com/acme/ledger/tools/Migrate.java:17: error: cannot find symbol",
            "    => org.opentest4j.AssertionFailedError: expected: <1> but was: <0>",
            "org.junit.ComparisonFailure: expected:<10.0[5]> but was:<10.0[4]>",
            "Caused by: java.io.IOException: Stream closed",
            "\tat com.acme.shop.model.Inventory.reserve(Inventory.java:19)",
            "       com.acme.ledger.Ledger.get(Ledger.java:19)",
            "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:2.22.3:test (default-test) on project shop-model: There are test failures.",
        ],
        Level.MEDIUM: [
            "src/main/java/com/acme/ledger/Account.java:22: warning: [removal] Long(long) in Long has been deprecated and marked for removal",
            "[WARNING] /tmp/jvm-ci/billing/billing-core/src/main/java/com/acme/billing/core/DueDates.java:[9,16] Date(int,int,int) in java.util.Date has been deprecated",
        ],
        Level.VERBOSE: [
            "\tat org.junit.jupiter.engine.execution.MethodInvocation.proceed(MethodInvocation.java:60)",
            "\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
            "       org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)",
            "       [...]",
            "╷",
        ],
        Level.LOW: ["\t... 71 more", "  symbol:   method size()", "    E extends Object declared in interface List", "  where E is a type-variable:"],
    }
    got = _level_map([l for ls in expected.values() for l in ls] + ["[INFO] billing-core ....... FAILURE [  2.935 s]"], profile)
    for level, lines in expected.items():
        for line in lines:
            want = {Level.CRITICAL, Level.HIGH} if level == Level.CRITICAL and profile != "generic" else {level}
            assert got[line] in want, (line, got[line])
    if profile == "generic":  # (github-actions: the java profile reads [INFO] lines as low first)
        assert got["[INFO] billing-core ....... FAILURE [  2.935 s]"] == Level.CRITICAL


@pytest.mark.parametrize("profile", PROFILES)
def test_gradle_and_kotlin_lines(profile):
    """Gradle's and kotlinc's documented console formats (no fixture: not installable here)."""
    log = """> Task :compileJava UP-TO-DATE
> Task :test FAILED

com.acme.CalcTest > addsLarge() FAILED
    org.opentest4j.AssertionFailedError at CalcTest.java:12

com.acme.CalcTest > readErrorIsReported() PASSED

com.acme.ParserTest > parses(String) > [2] 1,5 FAILED
    java.lang.NumberFormatException at ParserTest.java:20
        Caused by: java.lang.IllegalStateException at Parser.java:8

5 tests completed, 2 failed

FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':test'.
> There were failing tests. See the report at: file:///home/runner/work/calc/build/reports/tests/test/index.html

BUILD FAILED in 3s
4 actionable tasks: 2 executed, 2 up-to-date
e: file:///home/runner/work/calc/src/main/kotlin/Cart.kt:12:5 Unresolved reference: total
w: /home/runner/work/calc/src/main/kotlin/Cart.kt:3:9 Variable 'x' is never used""".splitlines()
    ids = [h.test_id for h in map(packs.failing_test, log) if h is not None and h.pack == "jvm"]
    assert ids == ["com.acme.CalcTest > addsLarge()", "com.acme.ParserTest > parses(String) > [2] 1,5"]
    hit = packs.failing_test("com.acme.CalcTest > addsLarge() FAILED")
    assert (hit.file, hit.name) == ("com.acme.CalcTest", "addsLarge()")
    t = packs.totals("5 tests completed, 2 failed")
    assert (t.pack, t.failed) == ("jvm", True)
    levels = dict(zip(log, _levels(log, profile), strict=False))
    for line in ["> Task :test FAILED", "com.acme.CalcTest > addsLarge() FAILED", "5 tests completed, 2 failed",
                 "FAILURE: Build failed with an exception.", "BUILD FAILED in 3s"]:
        assert levels[line] == Level.CRITICAL, line
    for line in ["    org.opentest4j.AssertionFailedError at CalcTest.java:12", "* What went wrong:",
                 "e: file:///home/runner/work/calc/src/main/kotlin/Cart.kt:12:5 Unresolved reference: total"]:
        assert levels[line] == Level.HIGH, line
    assert levels["w: /home/runner/work/calc/src/main/kotlin/Cart.kt:3:9 Variable 'x' is never used"] == Level.MEDIUM
    for line in ["> Task :compileJava UP-TO-DATE", "com.acme.CalcTest > readErrorIsReported() PASSED"]:
        assert levels[line] == Level.VERBOSE, line


def test_block_starts_split_failures():
    starts = re.compile(packs.block_start())
    for line in [
        "  JUnit Jupiter:Ledger:transfers:charges a fee rounded half up",
        "  JUnit Vintage:ReconcileTest:matchesBankStatement",
        "[ERROR] appliesDiscountCodeCaseInsensitively  Time elapsed: 0.172 s  <<< FAILURE!",
        "[ERROR]   CatalogCacheTest.loadCatalog:13 » IllegalState catalog fixture missing: catalo...",
        "[ERROR] /tmp/jvm-ci/billing/billing-core/src/main/java/com/acme/billing/core/Invoice.java:[24,58] cannot find symbol",
        "src/main/java/com/acme/ledger/Account.java:22: warning: [removal] Long(long) in Long has been deprecated",
        "com.acme.CalcTest > addsLarge() FAILED",
    ]:
        assert starts.search(line), line
    assert not starts.search("    => org.opentest4j.AssertionFailedError: expected: <1> but was: <0>")


def test_events_keep_a_failure_together_and_failures_apart():
    from tokopt_pipeline.lib.engine.events import EventGrouper

    lines = [
        "[INFO] Running com.acme.shop.model.OrderLineTest",
        "[ERROR] Tests run: 2, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.004 s <<< FAILURE! - in com.acme.shop.model.OrderLineTest",
        "[ERROR] changesQuantityWithoutNote  Time elapsed: 0.002 s  <<< ERROR!",
        'java.lang.NullPointerException: Cannot invoke "String.trim()" because "this.note" is null',
        "\tat com.acme.shop.model.OrderLine.withQty(OrderLine.java:29)",
        "Caused by: java.io.IOException: Stream closed",
        "\t... 73 more",
        "[ERROR]   TaxTableTest.testLookupUsesRegionFallback:17 ",
        'Expected: is "EU-DEFAULT"',
        '     but: was "DE"',
        "[ERROR]   LegacyInvoiceTest.testRoundsHalfUp:15 expected:<10.0[5]> but was:<10.0[4]>",
        "Failures (2):",
        "  JUnit Jupiter:AccountTest:balanceNeverGoesNegative()",
        "    => org.opentest4j.AssertionFailedError: balance must not go negative ==> expected: <true> but was: <false>",
        "  JUnit Vintage:ReconcileTest:matchesBankStatement",
        "    => java.lang.AssertionError: expected:<100> but was:<99>",
    ]
    ids = EventGrouper().assign(pl.Series(lines, dtype=pl.Utf8))["event_id"].to_list()
    assert len(set(ids[2:7])) == 1  # a failing test's header, its exception, frames and causes
    assert ids[1] != ids[2]
    assert ids[7] == ids[8] == ids[9] != ids[10]  # one results entry with its mismatch text
    assert ids[12] == ids[13] != ids[14] == ids[15]  # one console failure entry each


def _other_logs():
    for d in sorted(DATA.iterdir()):
        if d.is_dir() and not d.name.startswith("jvm-") and (d / "job.log").exists():
            yield d.name, (d / "job.log").read_text(encoding="utf-8", errors="replace").splitlines()


def test_other_ecosystems_not_misread():
    """No line of another ecosystem's fixture is read as a JVM failing test or totals line."""
    detect = re.compile(jvm.PACK.detect)
    union = "|".join(f"(?:{re.sub(r'[(][?]P<[a-z]+>', '(?:', t.pattern)})" for t in jvm.PACK.tests + jvm.PACK.totals)
    for name, lines in _other_logs():
        if any(detect.search(l) for l in lines):
            continue  # a job that runs JVM tools too
        series = pl.Series(lines, dtype=pl.Utf8)
        matched = series.filter(series.str.contains(union)).to_list()
        assert not matched, (name, matched[:5])
