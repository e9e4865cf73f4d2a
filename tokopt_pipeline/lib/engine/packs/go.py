r"""Runner pack: Go (go test, the compiler, go vet, the race detector; Ginkgo and gotestsum).

Formats read (one example line each):

* go test result of a test, nested for subtests: ``--- FAIL: TestParse/empty (0.00s)``,
  ``    --- PASS: TestParse/ok (0.00s)``, ``--- SKIP: TestDB (0.00s)``;
* go test -v progress: ``=== RUN   TestParse/empty``, ``=== PAUSE TestX``, ``=== CONT  TestX``;
* a test's message (t.Errorf, t.Fatalf, and t.Log too: the line does not tell them apart):
  ``    parse_test.go:42: got 3, want 4``;
* a package's result: ``ok  \texample.com/q\t0.02s``, ``FAIL\texample.com/p\t0.01s``,
  ``FAIL\texample.com/p [build failed]``, ``?   \texample.com/cmd\t[no test files]``, and
  the verdicts ``PASS``, ``FAIL`` and ``coverage: 81.2% of statements`` alone;
* a panic and its goroutine dump (the standard library's frames verbose, the project's high):
  ``panic: runtime error: index out of range [3] with length 3 [recovered]``,
  ``panic: test timed out after 3s``, ``fatal error: all goroutines are asleep - deadlock!``,
  ``goroutine 7 [running]:``, ``example.com/p.TestHang(0xc0001b6000)``,
  ``\t/tmp/ci/p/p_test.go:12 +0x25``. Go 1.19 names a test that timed out only there and on
  its last ``=== RUN`` line; Go 1.20+ also lists them (``running tests:``,
  ``\tTestHang/inner (3s)``; read here from that documented form, the fixtures are Go 1.19's);
* the race detector: ``WARNING: DATA RACE``, ``Read at 0x00c000080ae0 by goroutine 82:``,
  ``    testing.go:1319: race detected during execution of test``;
* compiler and go vet diagnostics under a package header: ``# example.com/p [example.com/p.test]``,
  ``./tally.go:34:17: undefined: pendingAdjustments``, ``report/report.go:36:2: fmt.Fprintf
  format %s has arg n of wrong type int``, ``vet: importer/x_test.go:15:5: invalid operation``
  (golangci-lint prints its findings in the same ``path.go:line:col: message`` form);
* Ginkgo v2 and v1 (from Ginkgo's documented output and its default reporter; Ginkgo could not
  be installed here, so no fixture holds them): ``• [FAILED] [0.002 seconds]``,
  ``• Failure [0.001 seconds]``, ``  [FAILED] Expected``, ``  In [It] at: /src/books_test.go:31``,
  ``Summarizing 2 Failures:``, ``  [FAIL] Books Categorizing book length [It] should be a novella``,
  ``  [PANICKED!] Books [It] loads``, ``[Fail] Book Categorizing [It] should be a novella``,
  ``Ran 10 of 12 Specs in 0.100 seconds``, ``FAIL! -- 8 Passed | 2 Failed | 0 Pending | 2 Skipped``,
  ``Test Suite Failed``;
* gotestsum (documented format, not produced here either): ``=== FAIL: internal/cart
  TestTotal (0.00s)``, ``DONE 1350 tests, 2 skipped, 4 failures in 3.214s``.
"""

from __future__ import annotations

from tokopt_pipeline.lib.engine.packs.base import C, H, L, Pack, Rule, TestLine, TotalsLine, V

#: A Go import path (``example.com/p``, ``internal/cart``, ``tally``).
_PKG = r"[\w.\-~]+(?:/[\w.\-~]+)*"
#: The header go build, go vet and go test print above a package's diagnostics; a bare
#: word is left out (``# Summary``), a path with a dot or slash or a test build is kept.
_HEADER = r"^# (?:[\w\-~]+[./][\w.\-~/]*|" + _PKG + r" \[" + _PKG + r"\.test\])$"
#: The Ginkgo node kinds written in brackets in a failing spec's full name.
_NODE = r"(?:It|BeforeEach|AfterEach|JustBeforeEach|JustAfterEach|BeforeAll|AfterAll|BeforeSuite|AfterSuite|SynchronizedBeforeSuite|SynchronizedAfterSuite|DeferCleanup[^\]]*|ReportBeforeSuite|ReportAfterSuite|Measure)"
#: Ginkgo v2's state of a failed spec (``• [FAILED] [0.002 seconds]``, ``  [FAILED] Expected``).
_STATE = r"(?:FAILED|PANICKED|TIMEDOUT|INTERRUPTED|ABORTED)"
#: A failing spec in the "Summarizing N Failures" list: v2 ``[FAIL]``, ``[PANICKED!]``,
#: ``[TIMEDOUT]``, ``[INTERRUPTED]``, ``[ABORTED]``; v1 ``[Fail]``, ``[Panic!]``,
#: ``[Timeout...]``. The last three v2 words also open a failure message, so there the
#: line must hold the bracketed node kind of a spec's name.
_SUMMARY_HEAD = r"\[(?:FAIL|Fail|PANICKED!|Panic!|Timeout\.\.\.)\]"
_GINKGO_SUMMARY = r"^\s*" + _SUMMARY_HEAD + r" \S|^\s*\[(?:TIMEDOUT|INTERRUPTED|ABORTED)\] .*\[" + _NODE + r"\] "
#: Standard-library packages whose frames fill every goroutine dump.
_STD = r"(?:testing|runtime|reflect|sync|time|internal/\w+)"
#: A function line of a goroutine dump: ``example.com/p.(*T).Run(0xc000, {0x5, 0x1})``.
_FUNC = _PKG + r"\.(?:\(\*?[\w\[\]., ]+\)\.)?\w+(?:\.\w+)*\((?:0x[^()]*|\{[^()]*|\.\.\.)?\)$"
#: Fatal errors of the Go runtime (C compilers print "fatal error:" too, with other words).
_FATAL = r"^fatal error: (?:all goroutines are asleep|concurrent map|unexpected signal|stack overflow|out of memory|runtime: |sync: |found bad pointer|checkptr)"

#: Go 1.20+ lists the tests still running when -timeout fires: ``\tTestDrain/after_close (3s)``.
_RUNNING = r"^\t(?:Test|Fuzz)\S* \((?:\d+h)?(?:\d+m)?[\d.]+m?s\)$"

RULES = (
    # --- critical: a failed test, a failed package, a crash, a failed Ginkgo suite
    Rule(r"^\s*--- FAIL: \S|^=== FAIL: \S", C, "go test failure"),
    Rule(r"^FAIL\s+" + _PKG + r"\s+(?:\d+(?:\.\d+)?s|\[(?:build|setup) failed\])", C, "go test package failed"),
    Rule(r"^panic: |" + _FATAL, C, "go panic"),
    Rule(_GINKGO_SUMMARY + r"|^(?:• |\[\w+\] )\[" + _STATE + r"\]|^• (?:Failure|Panic|Timeout)|^(?:FAIL!(?: - .*?)? -- |Test Suite Failed$)", C, "ginkgo failure"),
    Rule(_RUNNING, C, "go test timed out: a test still running"),
    Rule(r"^DONE (?:\d+ runs?, )?\d+ tests?(?:, \d+ \w+)*, [1-9]\d* (?:failures?|errors?)", C, "gotestsum totals"),
    # --- high: each diagnostic
    Rule(r"^ {4,}[\w.\-]+\.go:\d+: ", H, "go test message"),
    Rule(r"^(?:vet: )?(?:\.{1,2}/)?[\w.\-]+(?:/[\w.\-]+)*\.go:\d+:\d+: ", H, "go compiler or vet diagnostic"),
    Rule(_HEADER + r"|^FAIL$|^\tpanic: |^running tests:$|^WARNING: DATA RACE$|^Found \d+ data race", H, "go build header, verdict, race"),
    Rule(r"^\s*\[" + _STATE + r"\] |^\s*In \[\w+\] at: \S+:\d+|^Summarizing \d+ Failures?:$", H, "ginkgo failure detail"),
    # --- verbose: passing tests, progress, the standard library's frames
    Rule(r"^\s*--- PASS: |^=== (?:RUN|PAUSE|CONT|NAME)\s|^PASS$|^coverage: [\d.]+% of statements|^\?\s+" + _PKG + r"\s+\[no test files\]$|^go: (?:downloading|extracting|finding) |^•+$|^• \[[\d.]+ seconds\]$", V, "go test progress"),
    Rule(r"^\s+\S*/src/" + _STD + r"/\S+\.go:\d+(?: \+0x[0-9a-f]+)?$|^\s+_testmain\.go:\d+"
         r"|^(?:  )?(?:" + _STD + r"\.\S.*\(.*\)|created by " + _STD + r"\.\S+(?: in goroutine \d+)?|main\.main\(\))$",
         V, "go standard library frame"),
    # --- high: a frame of the project's own code (after the standard library's, above)
    Rule(r"^\s+/\S+\.go:\d+ \+0x[0-9a-f]+(?: |$)", H, "go stack frame"),
    # --- low: results that pass, the goroutine dump (its names may hold "Error")
    Rule(r"^ok\s+" + _PKG + r"\s+(?:\d+(?:\.\d+)?s|\(cached\))|^\s*--- SKIP: |^(?:SUCCESS!(?: - .*?)? -- \d+ Passed|Ran \d+ of \d+ Specs? in |Ginkgo ran \d+ suites? in |Test Suite Passed$|DONE \d+ )", L, "go test result"),
    Rule(r"^goroutine \d+ \[[^\]]*\]:$|^(?:  )?(?:created by )?" + _FUNC, L, "go goroutine dump"),
)

TESTS = (
    TestLine(r"^\s*--- FAIL: (?P<id>(?:[^\s/]+/)*(?P<name>[^\s/]+)) \("),
    TestLine(r"^=== FAIL: (?P<file>\S+) (?P<id>(?:[^\s/]+/)*(?P<name>[^\s/]+)) \("),
    TestLine(r"^\t(?P<id>(?:Test|Fuzz)[^\s/]*/(?:[^\s/]+/)*(?P<name>[^\s/]+)|(?:Test|Fuzz)[^\s/]*) \((?:\d+h)?(?:\d+m)?[\d.]+m?s\)$"),
    # a test function in a goroutine dump (the only place Go 1.19 names a test that timed out)
    TestLine(r"^(?P<file>" + _PKG + r")\.(?P<id>Test(?:[A-Z0-9_]\w*)?)(?:\.\w+)*\((?:0x|\.\.\.|\))"),
    TestLine(r"^\s*" + _SUMMARY_HEAD + r" (?P<id>(?:.*\[" + _NODE + r"\] )?(?P<name>\S.*?))\s*$"),
    TestLine(r"^\s*\[(?:TIMEDOUT|INTERRUPTED|ABORTED)\] (?P<id>.*\[" + _NODE + r"\] (?P<name>\S.*?))\s*$"),
)

TOTALS = (
    TotalsLine(r"^(?:ok|FAIL)\s+" + _PKG + r"\s+(?:\d+(?:\.\d+)?s|\(cached\)|\[(?:build|setup) failed\])", failed=r"^FAIL"),
    TotalsLine(r"^(?:SUCCESS!|FAIL!)(?: - .*?)? -- \d+ Passed \| \d+ Failed", failed=r"^FAIL!|\b[1-9]\d* Failed"),
    TotalsLine(r"^Ran \d+ of \d+ Specs? in [\d.]+ seconds"),
    TotalsLine(r"^DONE (?:\d+ runs?, )?\d+ tests?(?:, \d+ \w+)* in [\d.]+s", failed=r"\b[1-9]\d* (?:failures?|errors?)\b"),
)

BLOCKS = (
    # every result line: a failed parent's passing subtests are not part of its failure
    r"^\s*--- (?:FAIL|PASS|SKIP): ",
    r"^=== FAIL: ",
    r"^panic: ",
    _FATAL,
    r"^WARNING: DATA RACE$",
    _HEADER,
    r"^ {4,}[\w.\-]+\.go:\d+: ",
    r"^\s*" + _SUMMARY_HEAD + r" ",
    r"^(?:• |\[\w+\] )\[" + _STATE + r"\]|^• (?:Failure|Panic|Timeout)",
)

#: Lines at the first column that still belong to the event before them: the function
#: lines of a goroutine dump and the sections of a race report.
CONTINUES = (
    r"^(?:" + _FUNC + r"|created by [\w.\-/*()]+(?: in goroutine \d+)?$|panic\(.*\)$)",
    r"^(?:Previous )?(?:[Rr]ead|[Ww]rite) at 0x[0-9a-f]+ by (?:goroutine \d+|main goroutine):$|^Goroutine \d+ \([\w ]+\) created at:$|^={18}$",
)

PACK = Pack(
    "go",
    "Go: go test (-v, -race, -timeout), the compiler, go vet; Ginkgo and gotestsum",
    detect=r"^(?:=== RUN\s|\s*--- (?:PASS|FAIL|SKIP): |(?:ok|FAIL)\s+\S+\s+(?:\d+(?:\.\d+)?s|\(cached\)|\[build failed\])|\?\s+\S+\s+\[no test files\]|Ran \d+ of \d+ Specs? in |go version go\d)",
    rules=RULES,
    tests=TESTS,
    totals=TOTALS,
    block_starts=BLOCKS,
    continues=CONTINUES,
    tools=("go test", "go build", "go vet", "ginkgo", "gotestsum"),
)
