"""The rust runner pack on real cargo, rustc, libtest, clippy, rustfmt, nextest and trybuild output.

Fixtures: tokopt_pipeline_tests/data/ecosystems/rust-* (made by bench/ecosystems/rust.sh; the
nextest excerpt comes from a real GitHub Actions log, see its SOURCE.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import rust
from tokopt_pipeline.lib.engine.priority import Level, tag_levels, validate_regex
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline.lib.engine.reader import open_log
from tokopt_pipeline_tests.lib.engine.packs.fixture import DATA, assert_levels, levels, lines, truth

CASES = ["rust-workspace-tests", "rust-compile-errors", "rust-clippy-fmt", "rust-nextest-excerpt"]
PROFILES = ["generic", "github-actions"]
C, H, M, L, V = Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW, Level.VERBOSE


# --- the patterns themselves ----------------------------------------------------------

def test_patterns_compile_in_python_and_polars():
    for rule in rust.PACK.rules:
        validate_regex(rule.pattern)
    for p in [t.pattern for t in rust.PACK.tests] + [t.pattern for t in rust.PACK.totals] + list(rust.PACK.block_starts):
        re.compile(p)
        validate_regex(p)
    for t in rust.PACK.tests:
        assert "(?P<id>" in t.pattern and t.kind in ("failed", "error")
    for t in rust.PACK.totals:
        re.compile(t.failed)
    validate_regex(rust.PACK.detect)
    assert 5 <= len(rust.PACK.rules) <= 25


def test_fixture_truth_occurs_verbatim():
    for case in CASES:
        text = (DATA / case / "job.log").read_text()
        t = truth(case)
        for key in ("failing_tests", "error_locations", "error_codes", "totals"):
            for s in t[key]:
                assert s in text, f"{case}: {key} {s!r}"
    big = max((DATA / c / "job.log").stat().st_size for c in CASES)
    assert big > 150_000


# --- failing tests ----------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_every_failing_test_is_found(case):
    hits = [h for h in map(packs.failing_test, lines(case)) if h is not None]
    assert all(h.pack == "rust" for h in hits)
    found = {h.test_id for h in hits}
    missing = [t for t in truth(case)["failing_tests"] if t not in found]
    assert not missing, f"{case}: not found {missing}"
    # and nothing else is reported as failing
    extra = found - set(truth(case)["failing_tests"])
    assert not extra, f"{case}: reported but not failing {extra}"


def test_test_ids_and_kinds():
    def hit(line):
        h = packs.failing_test(line)
        assert h is not None and h.pack == "rust", line
        return h

    assert hit("test table::tests::empty_title_panics - should panic ... FAILED").test_id == "table::tests::empty_title_panics"
    h = hit("test crates/ledger-parse/src/lib.rs - parse_journal (line 85) ... FAILED")
    assert h.test_id == "crates/ledger-parse/src/lib.rs - parse_journal (line 85)"
    assert hit("---- money::tests::scale_rounds_half_to_even stdout ----").test_id == "money::tests::scale_rounds_half_to_even"
    h = hit("thread 'merge::tests::deep_merge_of_nested_journal' (22424) has overflowed its stack")
    assert (h.test_id, h.kind) == ("merge::tests::deep_merge_of_nested_journal", "error")
    h = hit("        FAIL [   9.875s] (396/396) tests-build::macros compile_fail_full")
    assert (h.test_id, h.file, h.name, h.kind) == ("tests-build::macros compile_fail_full", "tests-build::macros",
                                                   "compile_fail_full", "failed")
    h = hit("     SIGSEGV [   1.000s] ( 13/100) my-binary-id test_name")
    assert (h.test_id, h.kind) == ("my-binary-id test_name", "error")
    assert hit("     TIMEOUT [  60.000s] my-binary-id test_name").kind == "error"
    assert hit("   LEAK-FAIL [   1.000s] ( 11/100) my-binary-id test_name").test_id == "my-binary-id test_name"
    assert hit("test tests/ui/missing.rs ... error").test_id == "tests/ui/missing.rs"
    for passing in (
        "test money::tests::parse_error_on_empty_input ... ok",
        "test tests::failing_input_is_rejected - should panic ... ok",
        "        PASS [   0.006s] (  10/1717) tokio fs::file::tests::busy_file_seek_error",
        "  TRY 2 PASS [   1.000s] (  7/100) my-binary-id test_name",
        "TIMEOUT-PASS [ 240.000s] (  3/100) my-binary-id test_name",
        "    test tests/fail/macros_join.rs [should fail to compile] ... ok",
        "thread 'main' (2241) has overflowed its stack",
        "    tests::accepts_leap_day",
    ):
        assert packs.failing_test(passing) is None, passing


# --- totals ------------------------------------------------------------------------------

def expected_failed(text: str) -> bool:
    if text.startswith("test result: "):
        return text.startswith("test result: FAILED.")
    if text.startswith("Summary ["):
        return re.search(r"\b[1-9]\d* failed", text) is not None
    return True  # "1 of 10 tests failed", "error: could not compile ..."


@pytest.mark.parametrize("case", CASES)
def test_totals_lines_are_read(case):
    hits = [h for h in map(packs.totals, lines(case)) if h is not None]
    assert all(h.pack == "rust" for h in hits)
    by_text = {h.text: h for h in hits}
    for text in truth(case)["totals"]:
        assert text in by_text, f"{case}: totals line not read: {text!r}"
        assert by_text[text].failed is expected_failed(text), text
    if case in ("rust-workspace-tests", "rust-nextest-excerpt"):  # every totals line of these is in truth
        assert len(hits) == len(truth(case)["totals"])


def test_totals_examples():
    h = packs.totals("test result: ok. 820 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.16s")
    assert h.pack == "rust" and h.failed is False
    h = packs.totals("    test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 9.87s")
    assert h.failed is True and h.text.startswith("test result: FAILED.")
    assert packs.totals("     Summary [  24.251s] 1717 tests run: 1717 passed, 22 skipped").failed is False
    h = packs.totals("     Summary [  15.750s] 8/10 tests run: 5 passed (1 slow, 1 flaky, 1 leaky), 2 failed, "
                     "1 exec failed, 1 timed out, 2 skipped")
    assert h.failed is True
    assert packs.totals("     Summary [  45.250s] 15 stress run iterations: 12 passed, 3 failed; cancelled due to interrupt").failed
    assert packs.totals("    1 of 10 tests failed").text == "1 of 10 tests failed"
    assert packs.totals("error: could not compile `inv-ffi` (bin \"inv-ffi\") due to 1 previous error").failed


# --- levels ------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
def test_levels_libtest_and_cargo(profile):
    case = "rust-workspace-tests"
    assert_levels(case, profile, r"^test \S.* \.\.\. FAILED$", {C})
    assert_levels(case, profile, r"^---- .* stdout ----$", {C})
    assert_levels(case, profile, r"^thread '.*'( \(\d+\))? panicked at ", {C})
    assert_levels(case, profile, r"has overflowed its stack$", {C})
    assert_levels(case, profile, r"^test result: FAILED\.", {C})
    assert_levels(case, profile, r"^error: (test|doctest) failed, to rerun pass ", {C})
    assert_levels(case, profile, r"^error: \d+ targets failed:$", {C})
    assert_levels(case, profile, r"^error\[E0425\]: ", {H})
    assert_levels(case, profile, r"^note: test did not panic as expected", {H})
    assert_levels(case, profile, r"^Caused by:$", {H})
    assert_levels(case, profile, r"^Couldn't compile the test\.$", {H})
    assert_levels(case, profile, r"^warning: unused ", {M})
    assert_levels(case, profile, r"^warning: unused import: `std::error::Error`$", {M})
    assert_levels(case, profile, r"^test result: ok\.", {L})
    # passing tests are noise, even when their names say "error" or "fail"
    assert_levels(case, profile, r"^test .* \.\.\. ok$", {V})
    assert_levels(case, profile, r"^test \S*(error|fail)\S* \.\.\. ok$", {V})
    assert_levels(case, profile, r"^ +(Compiling|Finished|Running|Doc-tests) ", {V})
    assert_levels(case, profile, r"^running \d+ tests?$", {V})
    assert_levels(case, profile, r"^ *--> \S+:\d+:\d+$", {L})
    assert_levels(case, profile, r"^ {8,}at \S+:\d+:\d+$", {L})


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_compiler_and_linter(profile):
    case = "rust-compile-errors"
    assert_levels(case, profile, r"^error\[E\d{4}\]: ", {H})
    assert_levels(case, profile, r"^error: could not compile ", {C})
    assert_levels(case, profile, r"^error: linking with `cc` failed", {C})
    assert_levels(case, profile, r"^warning: (unused|field|function|struct)", {M})
    assert_levels(case, profile, r"^For more information about an error, try `rustc --explain", {L})
    case = "rust-clippy-fmt"
    assert_levels(case, profile, r"^Diff in \S+:\d+:$", {H})
    assert_levels(case, profile, r"^error: (items after|you should|manual|approximate|unused|equality|unneeded|this|used)", {H})
    assert_levels(case, profile, r"^error: could not compile ", {C})
    assert_levels(case, profile, r"^warning: unresolved link to ", {M})
    assert_levels(case, profile, r"^test \S*error\S* \.\.\. ok$", {V})
    assert_levels(case, profile, r"^ +(Checking|Documenting) ", {V})


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_nextest_and_trybuild(profile):
    case = "rust-nextest-excerpt"
    assert_levels(case, profile, r"^ +FAIL \[", {C})
    assert_levels(case, profile, r"^ +PASS \[", {V})
    assert_levels(case, profile, r"^ +PASS \[.*error", {V})
    assert_levels(case, profile, r"^ +Summary \[.* 1 failed", {C})
    assert_levels(case, profile, r"^ +Summary \[.* 1717 passed, 22 skipped$", {L})
    assert_levels(case, profile, r"^ +test tests/fail/\S+ \[should fail to compile\] \.\.\. mismatch$", {C})
    assert_levels(case, profile, r"^ +test tests/\S+ \[should (pass|fail to compile)\] \.\.\. ok$", {V})
    assert_levels(case, profile, r"^ +1 of 10 tests failed$", {C})
    assert_levels(case, profile, r"^ +error\[E0308\]: ", {H})
    assert_levels(case, profile, r"^error: test run failed$", {C})


@pytest.mark.parametrize("case", ["rust-compile-errors", "rust-clippy-fmt"])
def test_each_located_diagnostic_is_high(case):
    """A diagnostic names its location on the next line (`  --> file:line:col`): the
    header line above every error location of the truth is high or critical."""
    ls, lv = lines(case), levels(case, "generic")
    for loc in truth(case)["error_locations"]:
        at = [i for i, line in enumerate(ls) if re.match(r"^ *--> " + re.escape(loc) + r":\d+$", line)]
        assert at, loc
        for i in at:
            j = i - 1
            while j >= 0 and not ls[j].startswith(("error", "warning")):
                j -= 1
            if ls[j].startswith("error"):
                assert lv[j] in (C, H), (loc, ls[j])


def test_block_starts_split_nested_output():
    rx = re.compile(packs.block_start())
    starts = [
        "    error[E0308]: mismatched types",
        "    test compile_fail_full ... FAILED",
        "    test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 9.87s",
        "        FAIL [   9.875s] (396/396) tests-build::macros compile_fail_full",
        "        PASS [   0.006s] (  10/1717) tokio fs::file::tests::busy_file_seek_error",
        "     Summary [  24.251s] 1717 tests run: 1717 passed, 22 skipped",
        "   Compiling ledger-core v0.4.2 (/tmp/ci/rs-ledger/crates/ledger-core)",
        "     Running unittests src/lib.rs (target/debug/deps/ledger_core-2bcd121b08fdc1e4)",
        "    thread 'compile_fail_full' (25975) panicked at src/run.rs:102:13:",
    ]
    for line in starts:
        assert rx.search(line), line
    for line in ("  left: 3", "   |", "  --> crates/ledger-sync/src/merge.rs:26:9", "   4: ledger::main",
                 "             at ./crates/ledger-cli/src/main.rs:10:49", "    money::tests::scale_rounds_half_to_even"):
        assert not rx.search(line), line


# --- other tools are left alone -------------------------------------------------------------

OTHER_TOOLS = [
    "test_parse (tests.test_x.ParseTest.test_parse) ... FAIL",
    "test_parse (tests.test_x.ParseTest.test_parse) ... ok",
    "FAILED tests/test_api.py::test_login - AssertionError: assert 401 == 200",
    "--- FAIL: TestParse/empty (0.00s)",
    "FAIL\tgithub.com/acme/parse\t0.012s",
    "ok  \tgithub.com/acme/parse\t0.012s",
    " FAIL  src/cart.test.ts > cart > applies discount",
    "  ✕ applies discount (5 ms)",
    "Tests:       1 failed, 41 passed, 42 total",
    "[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.5 s <<< FAILURE!",
    "src/main.c:12:5: error: implicit declaration of function 'foo'",
    "collect2: error: ld returned 1 exit status",
    "  Installing build dependencies: finished with status 'error'",
    "error: subprocess-exited-with-error",
    "npm error code ELIFECYCLE",
    "Error: Invalid value for variable",
    "  | error: something went wrong",
    "  - error: cannot pull image",
    "Summary of failures: 3 failed",
    " 336 | >>> RUN wget https://example.org/nydus-static.tgz",
    "    at /app/node_modules/express/lib/router/errors.js:12:5",
]


def test_other_tools_lines_are_not_read_as_rust():
    rules = get_profile("generic").all_rules()
    own = {id(r) for r in rust.PACK.rules}
    without = [r for r in rules if id(r) not in own]
    series = pl.Series(OTHER_TOOLS, dtype=pl.Utf8)
    with_rust, without_rust = tag_levels(series, rules).to_list(), tag_levels(series, without).to_list()
    for line, a, b in zip(OTHER_TOOLS, with_rust, without_rust, strict=False):
        for hit in (packs.failing_test(line), packs.totals(line)):
            assert hit is None or hit.pack != "rust", line
        assert a == b, f"the rust rules change the level of {line!r}"


def other_fixtures() -> list[Path]:
    return sorted(p for p in DATA.glob("*/job.log") if not p.parent.name.startswith("rust-"))


def test_other_ecosystems_fixtures_hold_no_rust_failures():
    """No line of another ecosystem's fixture is read as a rust failing test or totals line
    (rust is the first pack, so any match of its patterns would be its hit)."""
    # A line scoped to libtest's "failures:" list names a test only there (its scope is
    # entered by rust's own markers, once rust's tools show).
    anywhere = [t for t in rust.PACK.tests if not t.scopes] + list(rust.PACK.totals)
    union = "|".join(f"(?:{re.sub(r'[(][?]P<[a-z]+>', '(?:', t.pattern)})" for t in anywhere)
    for path in other_fixtures():
        series = pl.Series([l for b in open_log(path).batches() for l in b.lines], dtype=pl.Utf8)
        matched = series.filter(series.str.contains(union)).to_list()
        assert not matched, f"{path.parent.name}: {matched[:3]}"
        for line in series.filter(series.str.contains(packs.test_candidate())).to_list():
            hit = packs.failing_test(line)
            assert hit is None or hit.pack != "rust", (path.parent.name, line)
