"""The js pack's test-runner part on real jest, vitest, mocha and node:test output
(bench/ecosystems/js.sh); the type checkers and linters are tested in test_jslint.py."""

from __future__ import annotations

import re
from functools import cache

import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import js
from tokopt_pipeline.lib.engine.priority import Level, validate_regex
from tokopt_pipeline.lib.engine.testresults import RunTotals
from tokopt_pipeline_tests.conftest import TESTS
from tokopt_pipeline_tests.lib.engine.packs.fixture import ANSI, raw_case
from tokopt_pipeline_tests.lib.engine.packs.fixture import levels_of as _levels

DATA = TESTS / "data" / "ecosystems"
CASES = ["js-jest", "js-vitest", "js-mocha", "js-node-test"]
PROFILES = ["generic", "github-actions"]

# Lines of a passing test (jest/vitest/mocha/node spec ✓ ✔, TAP ok).
PASSING = re.compile(r"^\s*(?:[✓✔] |ok \d+ - )")


@cache
@cache
def _hits(name: str) -> tuple[dict[int, str], dict[int, bool]]:
    """The failing test (its id) and the totals (failed or not) each line of a case holds."""
    lines, _ = _case(name)
    candidate = re.compile(packs.test_candidate().replace("(?-u:\\b)", "\\b"))
    totals_rx = re.compile(packs.totals_candidate().replace("(?-u:\\b)", "\\b"))
    tests, totals = {}, {}
    for i, line in enumerate(lines):
        hit = packs.failing_test(line) if candidate.search(line) else None
        if hit is not None:
            tests[i] = hit.test_id
        t = packs.totals(line) if totals_rx.search(line) else None
        if t is not None:
            totals[i] = RunTotals(0, t.pack, t.text, t.failed).failed
    return tests, totals


def test_patterns_compile_in_python_and_polars():
    patterns = [r.pattern for r in js.RUNNER_RULES] + [t.pattern for t in js.RUNNER_TESTS] + [t.pattern for t in js.RUNNER_TOTALS]
    for pattern in patterns + list(js.RUNNER_BLOCKS) + [js.RUNNER_DETECT, js.PACK.detect]:
        re.compile(pattern)
        validate_regex(pattern)
    for t in js.RUNNER_TOTALS:
        if t.failed:
            re.compile(t.failed)
    assert 5 <= len(js.RUNNER_RULES) <= 15


@pytest.mark.parametrize("case", CASES)
def test_failing_tests_found(case):
    lines, truth = _case(case)
    found: dict[str, str] = {}
    for i, test_id in _hits(case)[0].items():
        # a TAP line at the first column is the shell pack's (any TAP producer's)
        assert packs.failing_test(lines[i]).pack == ("shell" if lines[i].startswith("not ok ") else "js"), lines[i]
        found.setdefault(test_id, lines[i])
    assert [t for t in truth["failing_tests"] if t not in found] == []
    extra = set(found) - set(truth["failing_tests"])
    if case == "js-jest":
        # a failed file is read too (the only line naming a suite that failed to run)
        assert extra and all(re.fullmatch(r"src/\w+\.test\.js", e) for e in extra), extra
    elif case == "js-node-test":
        # a suite whose tests failed is reported as failing too (TAP "not ok", spec "✖")
        assert extra == {"get", "set", "Store", "replication", "failover"}
    else:
        assert extra == set()


def test_failing_test_ids():
    hit = packs.failing_test("  ● money › toCents › rounds half up")
    assert (hit.test_id, hit.name, hit.kind) == ("money › toCents › rounds half up", "rounds half up", "failed")
    assert packs.failing_test("  ● Console") is None
    assert packs.failing_test("  ● Test suite failed to run") is None
    hit = packs.failing_test("FAIL test/config/get.ts (17.807 s)")
    assert (hit.test_id, hit.file, hit.kind) == ("test/config/get.ts", "test/config/get.ts", "error")
    hit = packs.failing_test(" FAIL  src/cart.test.ts > cart > totals > sums line items with quantities")
    assert (hit.test_id, hit.file, hit.name) == ("src/cart.test.ts > cart > totals > sums line items with quantities",
                                                 "src/cart.test.ts", "sums line items with quantities")
    hit = packs.failing_test(" × src/pricing.test.ts > pricing > applyDiscount > caps the discount at 50% 10ms")
    assert hit.test_id == "src/pricing.test.ts > pricing > applyDiscount > caps the discount at 50%"
    hit = packs.failing_test(" FAIL  src/legacy/import.test.ts [ src/legacy/import.test.ts ]")
    assert (hit.test_id, hit.kind) == ("src/legacy/import.test.ts", "error")
    assert packs.failing_test("      4) \"before each\" hook for \"persists jobs across restarts\"").test_id == \
        '"before each" hook for "persists jobs across restarts"'
    assert packs.failing_test("  1) exports a version string:").test_id == "exports a version string"
    assert packs.failing_test("  3) Queue") is None  # a nested test's summary: the suite's name
    assert packs.failing_test("        not ok 2 - returns undefined after the ttl").test_id == "returns undefined after the ttl"
    assert packs.failing_test("not ok 4 - reconnects # TODO flaky on CI") is None
    assert packs.failing_test("  ✖ copies every key to the follower (67.819892ms)").test_id == "copies every key to the follower"
    assert packs.failing_test("✖ failing tests:") is None
    # a workspace runner's prefix (pnpm, turbo, yarn 4)
    assert packs.failing_test("packages/web test:   ● render › escapes quotes").test_id == "render › escapes quotes"
    assert packs.failing_test("[@shop/web]:       1) escapes quotes in attributes").test_id == "escapes quotes in attributes"
    # passing lines, whatever their names say
    for line in ("PASS src/errors.test.js", "      ✓ returns error for invalid code x0-att (10 ms)",
                 " ✓ src/catalog/hats.test.ts > hats > stockStatus > shows no error for large stock 0ms",
                 "    ✔ handles error jobs without failing the batch", "ok 3 - returns error values unchanged"):
        assert packs.failing_test(line) is None, line


@pytest.mark.parametrize("case", CASES)
def test_totals(case):
    lines, truth = _case(case)
    assert truth["totals"]
    for want in truth["totals"]:
        line = next(l for l in lines if l.strip() == want)
        hit = packs.totals(line)
        assert hit is not None and hit.pack == "js" and hit.text == want, (want, hit)
        expected = bool(re.search(r"\b[1-9]\d* (?:failed|failing|errors?)\b|fail [1-9]", want))
        assert RunTotals(0, hit.pack, hit.text, hit.failed).failed is expected, want


def test_totals_lines_alone():
    assert packs.totals("Tests:       1 failed, 9 skipped, 475 passed, 485 total").text.startswith("Tests:")
    assert packs.totals("Test Suites: 1 failed, 3 skipped, 61 passed, 62 of 65 total") is not None
    assert packs.totals("Test Suites: 5 passed, 5 total") is None  # the tests' line counts a passing run
    hit = packs.totals("ℹ fail 0")
    assert (hit.text, hit.failed) == ("ℹ fail 0", False)
    assert packs.totals("# fail 2").failed is True
    assert packs.totals("      Tests  5 failed | 446 passed | 20 skipped (471)").text == "Tests  5 failed | 446 passed | 20 skipped (471)"
    # a workspace runner's prefix names the package: it stays with the totals
    assert packs.totals("packages/web test:   87 passing (58ms)").text == "packages/web test:   87 passing (58ms)"
    assert packs.totals("[@shelf/api]: # fail 2").text == "[@shelf/api]: # fail 2"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_levels_of_the_fixture(case, profile):
    """The lines that matter, tagged in the fixture: failed tests' headers and results,
    totals, passing tests named "error" or "fail" (the first 100), the lines holding the
    error locations (tagging every line of a big log twice would be slow)."""
    lines, truth = _case(case)
    ids = set(truth["failing_tests"])
    tests, totals = _hits(case)
    want: dict[str, object] = {}
    for i, test_id in tests.items():
        if test_id in ids:
            want[lines[i]] = Level.CRITICAL  # a failed test's header or result
    for i, failed in totals.items():
        want[lines[i]] = Level.CRITICAL if failed else Level.LOW
    passing = [l for l in lines if PASSING.match(l) and re.search(r"(?i)error|fail", l)]
    assert passing
    for line in passing[:100]:
        want[line] = (Level.VERBOSE, Level.LOW)  # a passing test, whatever its name says
    located = {loc: [l for l in lines if loc in l] for loc in truth["error_locations"]}
    checked = list(want) + [l for ls in located.values() for l in ls]
    got = dict(zip(checked, _levels(checked, profile), strict=False))
    for line, level in want.items():
        assert got[line] in (level if isinstance(level, tuple) else (level,)), (line, got[line])
    # every error location is on a high (or critical) line somewhere
    for loc, ls in located.items():
        assert min(got[l] for l in ls) <= Level.HIGH, loc


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_of_key_lines(profile):
    want = {
        # jest
        "FAIL src/money.test.js": Level.CRITICAL,
        "  ● Test suite failed to run": Level.CRITICAL,
        "        ✕ rounds half up (12 ms)": Level.CRITICAL,
        "Tests:       7 failed, 28 skipped, 28 todo, 2740 passed, 2803 total": Level.CRITICAL,
        "Snapshots:   1 failed, 1 passed, 2 total": Level.CRITICAL,
        "No tests found, exiting with code 1": Level.CRITICAL,
        "    expect(received).toBe(expected) // Object.is equality": Level.HIGH,
        "    Expected: 101": Level.HIGH,
        "    Received: 100": Level.HIGH,
        "      at Object.toBe (src/money.test.js:9:30)": Level.HIGH,
        "      at Object.<anonymous> (test/config/get.ts:32:38)": Level.HIGH,
        "      at _getError (node_modules/jest-circus/build/jestAdapterInit.js:1985:12)": Level.VERBOSE,
        "      at Object.log (src/features/tags.test.js:26:15)": Level.LOW,
        "  ● Console": Level.LOW,
        "PASS src/errors.test.js": Level.VERBOSE,
        "      ✓ returns error for invalid code x0-att (10 ms)": Level.VERBOSE,
        "     11 |     test('returns error-free results for negative amounts', () => {": Level.LOW,
        "    >  9 |       expect(toCents(1.005)).toBe(101);": Level.LOW,
        "     12|     it('returns error-free zero for free items', () => {": Level.LOW,
        "Test Suites: 12 passed, 12 total": Level.LOW,
        "Tests:       0 failed, 5 passed, 5 total": Level.LOW,
        # vitest
        " FAIL  src/cart.test.ts > cart > totals > sums line items with quantities": Level.CRITICAL,
        "⎯⎯⎯⎯⎯⎯⎯ Failed Tests 5 ⎯⎯⎯⎯⎯⎯⎯": Level.CRITICAL,
        " Test Files  5 failed | 20 passed (25)": Level.CRITICAL,
        "     Errors  1 error": Level.CRITICAL,
        "   → expected 400 to be 500 // Object.is equality": Level.HIGH,
        " ❯ src/pricing.test.ts:10:39": Level.HIGH,
        " ❯ loadAndTransform node_modules/vite/dist/node/chunks/config.js:22907:33": Level.VERBOSE,
        " ✓ src/catalog/hats.test.ts > hats > stockStatus > shows no error for large stock 0ms": Level.VERBOSE,
        "⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/6]⎯": Level.VERBOSE,
        "      Tests  446 passed | 20 skipped (466)": Level.LOW,
        # mocha
        "      2) returns the highest priority first": Level.CRITICAL,
        "  6 failing": Level.CRITICAL,
        "    ✔ handles error jobs without failing the batch": Level.VERBOSE,
        "  256 passing (405ms)": Level.LOW,
        # node:test
        "not ok 13 - Store": Level.CRITICAL,
        "ok 3 - returns error values unchanged": Level.VERBOSE,
        "    # Subtest: returns error values unchanged": Level.VERBOSE,
        "          location: '/tmp/ci/kv/test/unit/store.test.js:12:5'": Level.HIGH,
        "# fail 2": Level.CRITICAL,
        "# fail 0": Level.LOW,
        "ℹ fail 3": Level.CRITICAL,
        "  ✖ copies every key to the follower (67.819892ms)": Level.CRITICAL,
        "  ✔ keeps the write order (0.311451ms)": Level.VERBOSE,
        "            Test.run (node:internal/test_runner/test:796:25)": Level.VERBOSE,
        # behind pnpm's prefix
        "packages/web test:   ● render › escapes quotes": Level.CRITICAL,
        "packages/web test:   1 failing": Level.CRITICAL,
    }
    got = _levels(list(want), profile)
    for (line, level), have in zip(want.items(), got, strict=False):
        assert have == level, (line, have)


def test_other_ecosystems_not_read_as_js_tests():
    """The runner patterns find no failing test in the other tools' fixtures."""
    rx = [re.compile(t.pattern) for t in js.RUNNER_TESTS]
    union = re.compile(re.sub(r"\(\?P<\w+>", "(?:", "|".join(f"(?:{t.pattern})" for t in js.RUNNER_TESTS)))
    others = [d for d in sorted(DATA.iterdir()) if d.is_dir() and not d.name.startswith(("js-", "node_pm-"))]
    assert others
    for d in others:
        text = ANSI.sub("", (d / "job.log").read_text(encoding="utf-8"))
        for line in (l for l in text.splitlines() if union.search(l)):
            for r in rx:
                m = r.search(line)
                assert not (m and (m.groupdict().get("id") or "").strip()), (d.name, line)


def _case(name: str) -> tuple[list[str], dict]:
    return raw_case(name, strip_ansi=True)  # the reader strips colours
