"""Runner pack: Rust (cargo, rustc, libtest, cargo-nextest, trybuild, clippy, rustfmt, rustdoc).

Formats read (one example line each; lines arrive without ANSI colours and CI timestamps):

* rustc / clippy diagnostic (the location is on the next line, ``  --> src/lib.rs:5:5``):
  ``error[E0308]: mismatched types``; ``error: unneeded `return` statement``;
  ``warning: unused import: `std::error::Error```
* cargo build result: ``error: could not compile `inv-store` (lib) due to 4 previous errors; 1 warning emitted``
* linker failure: ``error: linking with `cc` failed: exit status: 1``
* cargo status lines (noise): ``   Compiling ledger-core v0.4.2 (/tmp/ci/rs-ledger/crates/ledger-core)``,
  ``     Running unittests src/lib.rs (target/debug/deps/ledger_core-2bcd121b08fdc1e4)``
* libtest results: ``test money::tests::scale_rounds_half_to_even ... FAILED``,
  ``money::tests::scale_rounds_half_to_even --- FAILED`` (``--quiet --nocapture``),
  ``test table::tests::empty_title_panics - should panic ... FAILED``, ``test tests::parse ... ok``
* libtest failure section: ``---- money::tests::scale_rounds_half_to_even stdout ----``
  (under ``failures:``; under ``successes:`` it is a passing test's output, printed by
  ``--show-output``), then the failing tests listed again under a second ``failures:``,
  indented by four: ``    money::tests::scale_rounds_half_to_even`` (the only place that
  names them with ``--quiet``, and with ``--nocapture --test-threads=1``, where a test's
  ``FAILED`` ends its output, on a line of its own)
* ``--nocapture``: no sections; a test's panic is printed as it happens, its message on
  the line under it
* panic: ``thread 'tests::bad' (13480) panicked at src/lib.rs:14:24:`` (message on the next lines)
* stack overflow: ``thread 'merge::tests::deep_merge' (22424) has overflowed its stack``
* should_panic: ``note: test did not panic as expected at crates/ledger-report/src/table.rs:58:8``
* libtest totals: ``test result: FAILED. 1589 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.19s``
* cargo test end: ``error: test failed, to rerun pass `-p ledger-core --lib```, ``error: 6 targets failed:``
* doctests: ``test crates/ledger-parse/src/lib.rs - parse_journal (line 85) ... FAILED``,
  ``Couldn't compile the test.``
* cargo-nextest: ``        FAIL [   9.875s] (396/396) tests-build::macros compile_fail_full``,
  ``        PASS [   0.006s] (  10/1717) tokio fs::file::tests::busy_file_seek_error``,
  ``     Summary [   9.876s] 396 tests run: 395 passed, 1 failed, 1 skipped``
* trybuild: ``test tests/fail/macros_type_mismatch.rs [should fail to compile] ... mismatch``,
  ``1 of 10 tests failed``
* rustfmt --check: ``Diff in /tmp/ci/rs-pricing/crates/pricing-tax/src/lib.rs:27:``
"""

from tokopt_pipeline.lib.engine.packs.base import C, H, L, M, Pack, Rule, Scope, TestLine, TotalsLine, V

B = r"(?-u:\b)"

# cargo's right-aligned status lines ("   Compiling x v1.0 (...)", "     Running unittests ..."),
# each verb with the shape of what follows it, so that other tools' "  Installing ..." stay out.
_CARGO_STATUS = (
    r"^ {1,11}(?:(?:Compiling|Checking|Documenting|Fresh|Downloaded|Adding|Removing|Installing|Replacing|Packaging"
    r"|Verifying|Uploading|Archiving|Unpacking|Dirty|Scraping) \S+ v\d|Finished `|Running (?:unittests |tests/|benches/"
    r"|examples/|`)|Doc-tests \S+$|Downloading crates|Updating (?:crates\.io|git|`)|Locking \d+ packages?|Blocking waiting for"
    r"|Generated \S|Executable |Removed \d+ files?|Installed package|Starting \d+ tests? across|Nextest run ID )"
)
# A nextest status column: "PASS", "FAIL + LEAK", "TRY 2 FAIL", "FLAKY 2/3", then "[ 0.006s]".
_NEXTEST_STATUS = r"^ *(?:[A-Z][A-Z+ -]*[A-Z]|TRY \d+ [A-Z+]+|FLAKY \d+/\d+) \[ *>?[\d.]+s\] "
_NEXTEST_FAIL = r"(?:FAIL|FAIL \+ LEAK|XFAIL|LEAK-FAIL)"
_NEXTEST_CRASH = r"(?:TIMEOUT|ABORT|SIG[A-Z0-9]+)"
# " (  10/1717) " and/or a stress index " [2/3] " before the test.
_NEXTEST_TAIL = r" \[ *>?[\d.]+s\] +(?:\( *\d+/\d+\) +)?(?:\[[\d/]+\] +)?"

RULES = (
    # --- critical: the results that decide the run
    Rule(r"^\s*test \S.* \.\.\. FAILED$|^\s*---- \S.* stdout ----$|^\s*test result: FAILED\. ", C, "libtest failure"),
    Rule(r"^\s*thread '[^']*'(?: \(\d+\))? (?:panicked at|has overflowed its stack)|^fatal runtime error: ", C,
         "rust panic"),
    Rule(r"^\s*error: (?:could not compile `|test failed, to rerun pass |doctest failed, to rerun pass "
         r"|\d+ targets? failed:|linking with `[^`]+` failed|linker `[^`]+` not found|aborting due to "
         r"|test run failed|failed to run custom build command|failed to compile `|process didn't exit successfully: )",
         C, "cargo failure"),
    Rule(r"^\s*(?:" + _NEXTEST_FAIL + "|" + _NEXTEST_CRASH + r") \[ *>?[\d.]+s\] "
         r"|^\s*Summary \[ *[\d.]+s\] .*" + B + r"[1-9]\d* (?:failed|exec failed|timed out)" + B, C, "nextest failure"),
    Rule(r"^\s*test \S+\.rs(?: \[[^\]]+\])? \.\.\. (?:mismatch|error)$|^\s*\d+ of \d+ tests? failed$", C,
         "trybuild failure"),
    # --- high: each diagnostic (plain "error: ..." lints are left to the generic rules)
    Rule(r"^\s*error\[E\d{4}\]: |^\s*note: (?:test did not panic as expected|panic did not contain expected string)"
         r"|^Diff in \S+(?::\d+:| at line \d+:)$", H, "rustc error, should_panic, rustfmt --check"),
    Rule(r"^Caused by:$|^warning: build failed, waiting for other jobs|^\s*Cancelling due to |^Couldn't compile the test\.$"
         r"|^Test executable failed \(|^Test compiled successfully, but it's marked `compile_fail`"
         r"|^\s*Expected test case to fail to compile, but it succeeded\.$"
         r"|^\s*(?:TRY \d+ (?:FAIL|FL\+LK|LKFAIL|TMT|ABORT|SIG[A-Z0-9]+) \[|--- (?:STDOUT|STDERR): )", H,
         "cargo, rustdoc, trybuild and nextest failure details"),
    # --- medium: warnings (a warning naming `std::error::Error` stays a warning)
    Rule(r"^warning(?:\[\w+\])?: |^\s*(?:FLAKY \d+/\d+|SLOW|SLOW \+ LEAK|SLOW\+TMPASS|LEAK) \["
         r"|^\s*test \S+\.rs(?: \[[^\]]+\])? \.\.\. wip$", M, "rust warning"),
    Rule(r"^note: (?:run with `RUST_BACKTRACE=|Some details are omitted, run with `RUST_BACKTRACE=)", V, "backtrace hint"),
    # --- low: passing totals, and the body of diagnostics and backtraces (kept from the generic error words)
    Rule(r"^\s*test result: ok\. |^\s*Summary \[ *[\d.]+s\] ", L, "passing totals"),
    Rule(r"^ *--> \S+\.rs:\d+:\d+$|^ *\d+ +(?:\|(?:$| [^>])|[+~-] )|^ +\|(?: *$| +[-^_|/\\~+])|^ *= (?:note|help): |^\.\.\.$"
         r"|^help: |^note: .*`|^For more information about (?:this|an) error, try `rustc --explain"
         r"|^Some errors have detailed explanations: |^stack backtrace:$|^ +\d+: +(?:0x[0-9a-f]+ - )?(?:<|\w+::)"
         r"|^ {9,}at \S+:\d+:\d+$", L, "rustc diagnostic body, backtrace"),
    # --- verbose: noise (passing tests, even those named *_error; cargo's status lines)
    Rule(r"^\s*test \S.* \.\.\. (?:ok|ignored(?:, .*)?|bench: .*)$|^running \d+ tests?$"
         r"|^\s*(?:PASS|TIMEOUT-PASS|TRY \d+ PASS|SKIP) \[", V, "passing tests"),
    Rule(_CARGO_STATUS, V, "cargo status"),
)

_SECTION = r"^\s*---- (?P<id>\S.*?) stdout ----$"
# A test's name: a path ("parse::tests::parses_negative", "r#try"), or a doctest's
# "src/lib.rs - shares (line 22)".
_TEST_PATH = r"[\w#]+(?:::[\w#]+)*|\S+\.rs - .*\(line \d+\)"

TESTS = (
    # libtest and rustdoc: the id without the " - should panic" / " - compile fail" suffix
    TestLine(r"^\s*test (?P<id>\S.*?)(?: - should panic(?: with .*)?| - compile fail| - compile)? \.\.\. FAILED$"),
    # a test's captured output: a failure's report, unless --show-output printed it under "successes:"
    TestLine(_SECTION, not_in=("successes",)),
    # --quiet with --nocapture: a failing test's result on a line of its own
    TestLine(r"^(?P<id>" + _TEST_PATH + r")(?: - should panic| - compile fail| - compile)? --- FAILED$"),
    # the list under the second "failures:": a test path, or a doctest's "file - item (line N)"
    TestLine(r"^ {4}(?P<id>" + _TEST_PATH + r")(?: - compile fail| - compile)?$", scopes=("failures-list",)),
    # a test thread that overflowed its stack (the whole test binary aborts; no FAILED line follows)
    TestLine(r"^\s*thread '(?P<id>[^']*[_:][^']*)'(?: \(\d+\))? has overflowed its stack$", "error"),
    # cargo-nextest: "<binary-id> <test name>"
    TestLine(r"^\s*" + _NEXTEST_FAIL + _NEXTEST_TAIL + r"(?P<id>(?P<file>\S+) (?P<name>\S+))\s*$"),
    TestLine(r"^\s*" + _NEXTEST_CRASH + _NEXTEST_TAIL + r"(?P<id>(?P<file>\S+) (?P<name>\S+))\s*$", "error"),
    # trybuild: one compile-test case
    TestLine(r"^\s*test (?P<id>\S+\.rs)(?: \[[^\]]+\])? \.\.\. (?:mismatch|error)$"),
)

TOTALS = (
    TotalsLine(r"^\s*(?P<text>test result: (?:ok|FAILED)\. \d+ passed; \d+ failed;.*?)\s*$", r"FAILED"),
    TotalsLine(r"^\s*(?P<text>Summary \[ *[\d.]+s\] \S.*?\d+ (?:passed|failed).*?)\s*$",
               r"\b[1-9]\d* (?:failed|exec failed|timed out)\b|cancelled"),
    TotalsLine(r"^\s*(?P<text>\d+ of \d+ tests? failed)\s*$", r"failed"),
    TotalsLine(r"^(?P<text>error: could not compile `[^`]+` .*due to \d+ previous errors?.*?)\s*$", r"could not compile"),
)

BLOCK_STARTS = (
    _CARGO_STATUS,
    _NEXTEST_STATUS,
    r"^ +(?:Summary \[|Starting \d+ tests? across|Cancelling due to )",
    r"^\s+(?:error(?:\[E\d{4}\])?|warning): ",
    r"^\s+thread '[^']*'(?: \(\d+\))? (?:panicked at|has overflowed its stack)",
    r"^\s+test \S.* \.\.\. (?:FAILED|mismatch|error)$",
    r"^\s+---- \S.* stdout ----$",
    r"^\s+test result: ",
)

# Lines of a diagnostic that start at the first column: its numbered source lines, its
# "help:" and "note:" sub-diagnostics, an elision; a panic's backtrace.
CONTINUES = (
    r"^\d+ +(?:\||[+~-] )|^ *\|(?: |$)|^(?:help|note): |^\.\.\.$|^stack backtrace:$",
)

# Where in libtest's output a line is: a run ("running N tests" to its "test result:"), the
# captured output of passing tests ("successes:", with --show-output), the failures'
# reports (the first "failures:") and their list (the second).
SCOPES = (
    Scope(r"^\s*running \d+ tests?$", "run"),
    Scope(r"^\s*successes:$", "successes"),
    Scope(r"^\s*failures:$", "failures-list", after=("failures",)),
    Scope(r"^\s*failures:$", "failures"),
    Scope(r"^\s*test result: |^ {1,11}(?:Running |Doc-tests )|^\s*error: (?:test|doctest) failed, to rerun pass ", ""),
)

PACK = Pack(
    "rust",
    "Rust: cargo build/test/clippy/fmt/doc, rustc diagnostics, libtest, cargo-nextest, trybuild",
    detect=(r"^ {1,11}(?:Compiling|Checking) \S+ v\d|^ {1,11}Running (?:unittests |tests/|benches/|`)"
            r"|^\s*test result: (?:ok|FAILED)\. |^error\[E\d{4}\]: |^\s*Nextest run ID |^\s*Summary \[ *[\d.]+s\] "),
    rules=RULES,
    tests=TESTS,
    totals=TOTALS,
    block_starts=BLOCK_STARTS,
    continues=CONTINUES,
    # libtest: a failing test's captured output, over blank lines, to the next one
    sections=(r"^\s*---- \S.* stdout ----$",),
    section_ends=(r"^\s*failures:$", r"^\s*test result: ", r"^\s*(?:running \d+ tests?|error: test failed)",
                  r"^\s*successes:$"),
    # a panic (since Rust 1.73): "thread 'x' panicked at src/lib.rs:10:5:", its message on the next line
    joins_next=(r"^\s*thread '[^']*'(?: \(\d+\))? panicked at \S.*:$",),
    # the test a failure's report or a panic in its thread belongs to
    event_tests=(_SECTION, r"^\s*thread '(?P<id>[^']+)'(?: \(\d+\))? (?:panicked at|has overflowed its stack)"),
    # what a test's failure says: its panic, verbatim (thread, location, then the message
    # under it; the same in two tests is one error), a should_panic test that did not panic
    event_errors=(r"^\s*(?P<who>thread '[^']*'(?: \(\d+\))?) (?P<msg>panicked at \S.*)$",
                  r"^\s*note: (?P<msg>test did not panic as expected at \S+)$"),
    scopes=SCOPES,
    quiet_scopes=("successes",),
    tools=("cargo", "rustc", "libtest", "cargo-nextest", "trybuild", "clippy", "rustfmt", "rustdoc"),
)
