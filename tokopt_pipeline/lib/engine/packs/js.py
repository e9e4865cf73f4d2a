"""Runner pack: JavaScript and TypeScript (test runners below; type checkers and linters
in their own section further down).

Test runners read (one example line each, after colours are stripped):

* jest (29, 30): the file's result ``FAIL src/money.test.js`` / ``FAIL test/get.ts (17.8 s)``
  (critical; read as a failing test of kind error too: it is the only line that names a
  suite that failed to run) and ``PASS src/a.test.js`` (verbose); a failure's header
  ``  ● money › toCents › rounds half up`` (critical, the failing test), ``  ● Test suite
  failed to run`` (critical), ``  ● Console`` (low); the verbose list ``      ✓ pads the cents
  (3 ms)`` (verbose), ``      ✕ rounds half up (14 ms)`` (critical), ``○ skipped``, ``✎ todo``;
  the assertion ``    expect(received).toBe(expected) // Object.is equality``,
  ``    Expected: 101``, ``    Received: 100``, ``    thrown: "Exceeded timeout of 250 ms
  for a test.`` (high); frames ``      at Object.toBe (src/money.test.js:9:30)`` (high;
  node_modules and node: frames verbose, a console call's frame low); `` › 1 snapshot
  failed.`` (high); the totals ``Test Suites: 9 failed, 28 passed, 37 total``,
  ``Tests:       7 failed, 28 skipped, 1116 passed, 1179 total``, ``Snapshots:   1 failed,
  1 passed, 2 total`` (critical when failed), ``No tests found, exiting with code 1``
  (critical), the coverage table (verbose);
* vitest (3): `` FAIL  src/cart.test.ts > cart > totals > sums line items`` (critical, the
  failing test), a suite that failed to load `` FAIL  src/legacy/import.test.ts [
  src/legacy/import.test.ts ]``, the banners ``⎯⎯⎯ Failed Tests 5 ⎯⎯⎯``, ``⎯⎯⎯ Failed Suites
  1 ⎯⎯⎯``, ``⎯⎯⎯ Unhandled Errors ⎯⎯⎯`` (critical), the verbose list `` ✓ src/a.test.ts > a >
  b 0ms`` (verbose) and `` × src/pricing.test.ts > pricing > caps 5ms`` (critical), ``   →
  expected 400 to be 500`` (high), a file's result `` ❯ src/a.test.ts (5 tests | 4 failed)
  148ms`` (critical), frames `` ❯ src/a.test.ts:4:46`` (high; node_modules verbose), the
  totals `` Test Files  5 failed | 20 passed (25)``, ``      Tests  5 failed | 446 passed
  (471)``, ``     Errors  1 error`` (critical when failed);
* mocha (spec reporter): the inline failure ``    1) returns the highest priority first``
  (critical, the failing test), the summary ``  4) store`` and, for a test at the root,
  ``  1) exports a version string:`` (critical; a nested test's title is on the lines after
  ``  4) store``), ``    ✔ keeps job 3 in order`` (verbose), ``  256 passing (405ms)``,
  ``  6 failing`` (totals; critical when failing);
* node:test, TAP (node 20's default without a terminal): ``    not ok 2 - returns undefined
  after the ttl`` (critical, the failing test; a failing suite's own line too; at the first
  column the shell pack reads it, any TAP producer's, with the same id),
  ``ok 1 - returns the value``, ``# Subtest: get``, ``  duration_ms: 0.7`` (verbose), the YAML
  ``  location: '/tmp/ci/kv/test/unit/store.test.js:12:5'`` (high), ``# fail 2`` (totals);
* node:test, spec reporter: ``  ✖ copies every key to the follower (67.8ms)`` (critical, the
  failing test), ``✖ failing tests:``, ``  ✔ keeps the write order (0.3ms)``, ``▶ replication``
  (verbose), ``ℹ fail 3`` (totals).

jest's ``Tests:`` line is a run's totals, its ``Test Suites:`` line one only when a suite
failed (a suite that failed to run leaves ``Tests:`` all passed). Each test's result line
(``✓ ✔ ✕ ○``) opens an event of its own, so that a failed file's event is its header and not
its list of passing tests.

Every pattern allows the prefix a workspace runner puts in front of a package's output:
pnpm's ``packages/web test: ``, turbo's ``web:test: ``, yarn 4's ``[@shelf/api]: ``. It is
written once in front of a rule's alternatives: repeated in each, it made the rule set's
automaton too large for the regex engine's cache and all tagging several times slower.
"""

from tokopt_pipeline.lib.engine.packs.base import C, H, L, M, Pack, Rule, TestLine, TotalsLine, V

#: The prefix a workspace runner writes in front of each line of a package's script.
_PFX_ONE = r"(?:[A-Za-z0-9_@][A-Za-z0-9_@./-]* [A-Za-z0-9_:-]+: |[A-Za-z0-9_@][A-Za-z0-9_@./-]*:[A-Za-z0-9_-]+: |\[[A-Za-z0-9_@][A-Za-z0-9_@./-]*\]: )"
_PFX = _PFX_ONE + "?"
#: A test file's path.
_FILE = r"\S+\.[cm]?[jt]sx?"
#: A stack frame's location in a JS/TS file: ``(src/x.test.js:12:34)`` or `` src/x.ts:4:46``.
_LOC = r"[A-Za-z0-9_.-]\.[cm]?[jt]sx?:\d+:\d+\)?$"

# --- test runners ---
def _lines(*alts: str) -> str:
    """Alternatives, each anchored at the line's start after a workspace runner's prefix."""
    return "^" + _PFX + "(?:" + "|".join(alts) + ")"


RUNNER_RULES: tuple[Rule, ...] = (
    # --- low first: jest's console blocks and the code frames (their source may say "error")
    Rule(_lines(r"  ● Console$", r"\s+at (?:[A-Za-z0-9_$]+\.)?(?:log|info|debug|warn|error|trace|dir) \(",
                r" {4,}(?:> +)?\d+ ?\| ", r" {4,}\| +\^"), L, "jest console block, code frame"),
    # --- critical: a failed test's header or result, a failed file, a failing totals line
    Rule(_lines(r" ?FAIL +(?:\|[^|]+\| +)?" + _FILE + r"(?: |$)", r"  ● \S", r"\s+✕ \S", r"\s*× .+ \d+(?:\.\d+)?m?s$",
                r" ?❯ " + _FILE + r" \(\d+ tests? \| \d+ failed",
                r"⎯+ (?:Failed (?:Tests|Suites) \d+|Unhandled (?:Errors?|Rejection)) ⎯+$",
                r"(?:Tests|Test Suites|Snapshots): +[1-9]\d* failed", r"\s*(?:Test Files|Tests) +[1-9]\d* failed",
                r"\s*Errors +[1-9]\d* errors?", r"No tests found, exiting with code [1-9]",
                r"Jest: \S.* coverage threshold for [a-z]+ \([\d.]+%\) not met"), C, "jest/vitest failure"),
    Rule(_lines(r" {2,}\d+\) \S", r" +[1-9]\d* failing$", r"\s*not ok \d+ ",
                r"\s*✖ (?:failing tests:$|.+ \([\d.]+m?s\)(?: # .*)?$)", r"(?:# |ℹ )fail [1-9]\d*$"), C, "mocha / node:test / TAP failure"),
    # --- verbose: third-party and runtime frames (before the project's frames below)
    Rule(_lines(r"\s+at (?:.* \()?(?:\S*/)?node_modules/", r"\s+at (?:.* \()?node:",
                r"\s+(?:async )?[A-Za-z_$][A-Za-z0-9_$.<>]* \((?:node:|\S*/node_modules/)",
                r"\s*❯ (?:\S+ )?(?:\S*/)?node_modules/", r"\s*❯ (?:\S+ )?node:") + r"|\(<anonymous>\)$",
         V, "third-party or runtime stack frame"),
    # --- high: the assertion, where it failed, the runner's message
    Rule(_lines(r"\s+expect\(.*\)\.\S", r"\s+(?:Expected|Received)[A-Za-z ]{0,30}: ", r"\s+thrown: ", r" › \d+ snapshots? failed",
                r"\s+at (?:.* \()?\S*" + _LOC, r"\s+(?:async )?[A-Za-z_$][A-Za-z0-9_$.<>]* \(\S*" + _LOC,
                r"\s*❯ (?:\S+ )?\S*" + _LOC, r"\s+→ \S", r"\s+location: '\S+:\d+:\d+'$", r"test at \S+:\d+:\d+$"),
         H, "assertion, stack frame in the project's code, runner message"),
    # --- verbose: passing and skipped tests, progress, separators, coverage tables
    Rule(_lines(r"\s*[✓✔] ", r"PASS +(?:\|[^|]+\| +)?" + _FILE + r"(?: |$)", r"\s+(?:○|✎|↓|﹣) ", r"\s*ok \d+ ",
                r"\s*# Subtest: ", r"\s+(?:duration_ms: [\d.]+|type: 'suite'|\.\.\.|---)$", r"\s*\d+\.\.\d+$", r"\s*▶ ",
                r"⎯+(?:\[\d+/\d+\]⎯+)?$", r"[ A-Za-z0-9_./@-]*\|\s*[\d.]+ \|\s*[\d.]+ \|", r"-+\|[-|]+$",
                r"File +\| % Stmts", r"(?:Statements|Branches|Functions|Lines) +: [\d.]+%"), V, "passing or skipped test, progress"),
    # --- low: totals of runs that pass (their counts may say "0 failed")
    Rule(_lines(r"(?:Tests|Test Suites|Snapshots): ", r"\s*(?:Test Files|Tests) +\d+ ", r" +\d+ (?:passing|pending)",
                r"(?:# |ℹ )(?:tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) [\d.]+$"), L, "runner totals"),
)

RUNNER_TESTS: tuple[TestLine, ...] = (
    # jest: a failure's header (not the console's, not a suite that failed to run)
    TestLine(r"^" + _PFX + r"  ● (?:Console$|Test suite failed to run$|(?P<id>(?:.+ › )?(?P<name>.+?))\s*$)"),
    # jest: a failed file; the only line that names a suite that failed to run
    TestLine(r"^" + _PFX + r"FAIL +(?P<id>(?P<file>" + _FILE + r"))(?: \([\d.]+ m?s\))?\s*$", kind="error"),
    # vitest: a failed test, in the failures section or the verbose list; a suite that failed to load
    TestLine(r"^" + _PFX + r" ?(?:FAIL +|\s*× )(?:\|[^|]+\| +)?(?P<id>(?P<file>" + _FILE + r") > (?:.+ > )?(?P<name>.+?))(?: \d+(?:\.\d+)?m?s)?\s*$"),
    TestLine(r"^" + _PFX + r" ?FAIL +(?:\|[^|]+\| +)?(?P<id>(?P<file>" + _FILE + r")) \[ \S+ \]\s*$", kind="error"),
    # mocha: the inline failure of a test in a suite; the summary's line of a test at the root
    TestLine(r"^" + _PFX + r" {4,}\d+\) (?P<id>.+?)\s*$"),
    TestLine(r"^" + _PFX + r"  \d+\) (?P<id>.+):$"),
    # node:test, spec reporter and TAP (a TODO or SKIP directive is no failure)
    TestLine(r"^" + _PFX + r"\s*✖ (?:failing tests:$|(?P<id>.+?) \([\d.]+m?s\)(?: # .*)?$)"),
    # (a TAP line at the first column is the shell pack's: any TAP producer's, bats' too)
    TestLine(r"^(?:" + _PFX_ONE + r"\s*|\s+)not ok \d+ - (?:.* # (?:TODO|SKIP|todo|skip)\b.*|(?P<id>.+?))\s*$"),
)

RUNNER_TOTALS: tuple[TotalsLine, ...] = (
    # (the text keeps a workspace runner's prefix: it names the package)
    # jest: the tests' line; the suites' line only when a suite failed (it may be the
    # only sign of a suite that failed to run)
    TotalsLine(r"^(?P<text>" + _PFX + r"Tests: +.*\d+ total)\s*$"),
    TotalsLine(r"^(?P<text>" + _PFX + r"Test Suites: +[1-9]\d* failed.*\d+ total)\s*$"),
    # vitest
    TotalsLine(r"^(?P<text>" + _PFX + r"\s*Tests +\d+ [a-z]+.*\(\d+\))\s*$"),
    TotalsLine(r"^(?P<text>" + _PFX + r"\s*Test Files +[1-9]\d* failed.*\(\d+\))\s*$"),
    TotalsLine(r"^(?P<text>" + _PFX + r"\s*Errors +\d+ errors?)\s*$"),
    # mocha
    TotalsLine(r"^(?P<text>" + _PFX + r" +\d+ (?:passing|failing)(?: \(\d+m?s\))?)\s*$"),
    # node:test (TAP and spec): the count of failures, on its own line
    TotalsLine(r"^(?P<text>" + _PFX + r"(?:# |ℹ )fail \d+)\s*$", failed=r"fail [1-9]"),
)

#: Lines that open an event of their own even when indented: a failure's header, and each
#: test's result line (a failed file's event is then its header, not its list of passing tests).
RUNNER_BLOCKS: tuple[str, ...] = (
    r"^" + _PFX + r"  ● \S",
    r"^" + _PFX + r" ?FAIL +\S",
    r"^" + _PFX + r" {2,}\d+\) \S",
    r"^" + _PFX + r"\s*[✓✔✕○✎↓﹣] \S|^" + _PFX + r" ?× " + _FILE + r" > ",
    r"^" + _PFX + r"\s*not ok \d+ ",
    r"^" + _PFX + r"\s*✖ \S",
    r"^" + _PFX + r"\s+console\.(?:log|info|debug|warn|error|trace)$",
    r"^" + _PFX + r"⎯+ [A-Z]",
)

RUNNER_DETECT = _lines(
    r"(?:PASS|FAIL) +\S+\.[cm]?[jt]sx?", r"Test Suites: ", r" ?Test Files  ", r" +\d+ passing \(", r"# Subtest: ", r"ℹ tests \d+$"
)
RUNNER_TOOLS = ("jest", "vitest", "mocha", "node:test")

# --- type checkers and linters ---
# tsc (TypeScript 5 and 7), ESLint (stylish, unix, compact), Biome (1.x and 2.x; default,
# colours on or off, and concise reporters) and Prettier (2 and 3). Formats read, one
# example line each:
#
# * tsc --pretty false: ``src/config.ts(8,3): error TS2741: Property 'delayMs' is missing ...``
#   (its message chain indented below it: ``  Types of parameters 'id' and 'id' are incompatible.``);
# * tsc pretty: ``src/pages/checkout.ts:5:3 - error TS2322: Type 'number' is not assignable ...``
#   then the code frame; a global one: ``error TS5023: Unknown compiler option 'foo'.``;
# * tsc totals (pretty, -b, --watch): ``Found 5 errors in 2 files.``, ``Found 1 error in
#   src/main.ts:12``, ``Found 2 errors in the same file, starting at: src/x.ts:3``,
#   ``[10:00:00 AM] Found 0 errors. Watching for file changes.``; the table below them
#   (``Errors  Files``, ``     4  src/pages/checkout.ts:5``);
# * tsc --listEmittedFiles: ``TSFILE: /tmp/ci/ledgerly/packages/core/dist/account/errors.js``;
# * ESLint stylish: the file's path alone (``/tmp/ci/marketdesk/src/checkout/cart.ts``), then
#   ``  14:7   error    'discount' is never reassigned. Use 'const' instead  prefer-const``,
#   ``   9:5  warning  Unexpected console statement  no-console``; the totals
#   ``✖ 180 problems (9 errors, 171 warnings)``, ``  1 error and 0 warnings potentially fixable
#   with the `--fix` option.``, ``ESLint found too many warnings (maximum: 10).``; a crash:
#   ``Oops! Something went wrong! :(``;
# * ESLint -f unix: ``/tmp/ci/marketdesk/src/checkout/cart.ts:14:7: 'discount' is never
#   reassigned. Use 'const' instead. [Error/prefer-const]``, totals ``9 problems``;
# * ESLint -f compact: ``/tmp/ci/marketdesk/src/legacy/audit/repository.js: line 8, col 5,
#   Warning - Unexpected console statement. (no-console)``;
# * Biome diagnostic header, then its severity on the third line (× or ✖ error, ! or ⚠
#   warning, i or ℹ information): ``packages/charts/src/widgets/chart.ts:9:15
#   lint/suspicious/noDoubleEquals  FIXABLE  ━━━━━━``, ``packages/charts/src/widgets/axis.ts
#   format ━━━━━━``, ``  ✖ Using == may be unsafe if you are relying on type coercion.``;
#   its code frame ``  > 9 │     if (value == threshold) {``; the verdict ``ci ━━━━━━`` and
#   ``  × Some errors were emitted while running checks.``;
# * Biome concise: ``× packages/charts/src/widgets/chart.ts:10:7: lint/suspicious/noDebugger:
#   This is an unexpected use of the debugger statement.``;
# * Biome totals: ``Checked 151 files in 519ms. No fixes applied.``, ``Found 6 errors.``,
#   ``Found 17 warnings.``, ``Diagnostics not shown: 38.``;
# * Prettier --check: ``Checking formatting...``, ``[warn] src/errors/not-found.ts``,
#   ``[error] src/pages/search.ts: SyntaxError: ',' expected. (4:1)``, the verdicts
#   ``[warn] Code style issues found in 3 files. Run Prettier with --write to fix.`` (3),
#   ``[warn] Code style issues found in the above file. Forgot to run Prettier?`` (2),
#   ``Error occurred when checking code style in the above file.`` (3),
#   ``All matched files use Prettier code style!``;
# * Prettier --write: ``generated/clients/account/errors.ts 10ms (unchanged)``.

_B = r"(?-u:\b)"
#: A JS/TS source path as ESLint's stylish formatter prints it above the file's problems.
_JS_PATH = r"(?:/|[A-Za-z]:\\)\S*\.(?:[cm]?[jt]sx?|vue|svelte|astro|json|md)"
#: tsc's diagnostic, plain (``file(12,5): error TS2322: ``) or pretty (``file:12:5 - error TS2322: ``).
_TSC_DIAG = r"\(\d+,\d+\): error TS\d+: |:\d+:\d+ - error TS\d+: "
#: A Biome diagnostic's header: path[:line:col], category, tags, a rule of ━.
_BIOME_HEAD = r"^\S+ [a-zA-Z][\w/]*(?:  [A-Z]+)*  ?━━"
#: The watch mode's time stamp in front of tsc's totals.
_TSC_WATCH = r"(?:\[?\d{1,2}:\d\d:\d\d(?: [AP]M)?\]?(?: -)? )?"

LINT_RULES: tuple[Rule, ...] = (
    # --- critical: the verdicts that fail a run
    Rule(r"^" + _TSC_WATCH + r"Found [1-9]\d* errors?(?: in (?:\d+ files\.|\S+:\d+|the same file)|\.)", C, "tsc or biome: errors found"),
    Rule(r"^✖ \d+ problems? \([1-9]\d* errors?, |^ESLint found too many warnings \(maximum: \d+\)\.$|^Oops! Something went wrong! :\($", C, "eslint verdict"),
    Rule(r"^  [×✖] Some errors were emitted while ", C, "biome verdict"),
    Rule(r"^\[warn\] Code style issues (?:were )?found in |^Error occurred when checking code style in ", C, "prettier verdict"),
    # --- high: each diagnostic
    Rule(_B + r"error TS\d+: ", H, "tsc diagnostic"),
    Rule(r"^ +\d+:\d+ +error +\S|^\S+:\d+:\d+: .*\[Error(?:/[^\]]+)?\]$|^\S+: line \d+, col \d+, Error - ", H, "eslint error"),
    Rule(_BIOME_HEAD + r"|^  [×✖] \S|^[×✖] \S+: ", H, "biome diagnostic"),
    Rule(r"^\[error\] |^\[warn\] [^\s\[{]\S*$", H, "prettier: a file it cannot parse or would reformat"),
    # --- medium: warnings
    Rule(r"^ +\d+:\d+ +warning +\S|^\S+:\d+:\d+: .*\[Warning(?:/[^\]]+)?\]$|^\S+: line \d+, col \d+, Warning - |^✖ \d+ problems? \(0 errors, |^\d+ problems?$", M, "eslint warning"),
    Rule(r"^  [!⚠] \S|^[!⚠] \S+: |^Found \d+ warnings?\.$|^The number of diagnostics exceeds the limit|^Diagnostics not shown: \d+", M, "biome warning"),
    Rule(r"^\[warn\] ", M, "prettier warning"),
    # --- low: results, file headers, code frames, counts (their names may hold "error")
    Rule(r"^" + _JS_PATH + r"$|^  \d+ errors? and \d+ warnings? potentially fixable with the ", L, "eslint file header, fixable count"),
    Rule(r"^Errors  Files$|^ +\d+  \S+:\d+$|^" + _TSC_WATCH + r"Found 0 errors\.", L, "tsc totals"),
    Rule(r"^  [iℹ] \S|^ {2,}(?:> +)?(?:\d+ +)*│ |^(?:Checked|Formatted|Fixed) \d+ files? in |^Found \d+ infos?\.$|^Skipped \d+ suggested fixes", L, "biome information, code frame, totals"),
    Rule(r"^All matched files use Prettier code style!$", L, "prettier: all formatted"),
    # --- verbose: listings of files written or checked
    Rule(r"^TSFILE: |^\[\d{1,2}:\d\d:\d\d(?: [AP]M)?\] (?:Projects in this build:|Project '.*' is up to date|Building project |Updating output timestamps)", V, "tsc emitted files, build progress"),
    Rule(r"^Checking formatting\.\.\.$|^[^\s\[]\S*\.[A-Za-z]+ \d+ms(?: \((?:unchanged|cached)\))?$", V, "prettier progress, files written"),
)

LINT_TESTS: tuple[TestLine, ...] = ()

LINT_TOTALS: tuple[TotalsLine, ...] = (
    TotalsLine(r"^Found \d+ errors? in (?:\d+ files\.|\S+:\d+|the same file, starting at: \S+:\d+)$"),
    TotalsLine(r"^" + _TSC_WATCH + r"Found \d+ (?:errors?|warnings?)\.(?: Watching for file changes\.)?$"),
    TotalsLine(r"^(?:Checked|Formatted|Fixed) \d+ files? in [\d.]+[mµn]?s\."),
    TotalsLine(r"^✖ \d+ problems? \(\d+ errors?, \d+ warnings?\)$"),
    TotalsLine(r"^\d+ problems?$"),
    TotalsLine(r"^ESLint found too many warnings \(maximum: \d+\)\.$", failed=r"^"),
    TotalsLine(r"^\[warn\] Code style issues (?:were )?found in ", failed=r"^"),
    TotalsLine(r"^Error occurred when checking code style in ", failed=r"^"),
    TotalsLine(r"^All matched files use Prettier code style!$"),
)

#: tsc's diagnostics open an event of their own wherever they are (a monorepo runner may
#: indent its tasks' output).
LINT_BLOCKS: tuple[str, ...] = (_TSC_DIAG,)

#: For the pack's ``detect`` and ``tools`` (lines that show these tools ran).
LINT_DETECT = (
    r"error TS\d+: |^Found \d+ errors? in |^TSFILE: |^✖ \d+ problems? \(|^Checked \d+ files? in "
    r"|^Checking formatting\.\.\.$|^All matched files use Prettier code style!$"
)
LINT_TOOLS = ("tsc", "eslint", "biome", "prettier")

PACK = Pack(
    "js",
    "JavaScript/TypeScript test runners, type checker and linters",
    detect=RUNNER_DETECT + "|" + LINT_DETECT,
    tools=RUNNER_TOOLS + LINT_TOOLS,
    rules=RUNNER_RULES + LINT_RULES,
    tests=RUNNER_TESTS + LINT_TESTS,
    totals=RUNNER_TOTALS + LINT_TOTALS,
    block_starts=RUNNER_BLOCKS + LINT_BLOCKS,
    # jest: "● suite › test" reports, with their code frame and stack after blank lines
    # vitest: " FAIL  file > suite > test" reports in the failed-tests list, each closed
    # by its "⎯⎯⎯[1/5]⎯" rule
    sections=(r"^" + _PFX + r"  ● \S", r"^" + _PFX + r" ?FAIL +" + _FILE + r" > "),
    section_ends=(r"^" + _PFX + r" ?(?:PASS|FAIL) +\S", r"^" + _PFX + r"(?:Test Suites|Tests|Snapshots|Time): ",
                  r"^" + _PFX + r"Summary of all failing tests$", r"^" + _PFX + r"⎯+(?:\[\d+/\d+\]⎯*)?$",
                  r"^" + _PFX + r" ?Test Files "),
)
