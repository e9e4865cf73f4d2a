"""Runner pack: JVM (Maven with Surefire, javac, the JUnit Platform console launcher, Gradle,
kotlinc; JUnit/Java stack traces).

Formats read, one example each (the fixtures hold Maven 3.8 + Surefire 2.22, javac 17 and the
console launcher 1.9; the formats marked "documented" were not produced here):

* Surefire, a failing class: ``[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.335 s <<< FAILURE! - in com.acme.OrderTotalsTest``
* Surefire 2.22, a failing test (JUnit 5 names the method only): ``[ERROR] appliesDiscount  Time elapsed: 0.172 s  <<< FAILURE!``
* Surefire 2.22, a failing JUnit 4 test: ``[ERROR] testRoundsHalfUp(com.acme.LegacyInvoiceTest)  Time elapsed: 0 s  <<< FAILURE!``
* Surefire 3, a failing test (documented): ``[ERROR] com.acme.CalcTest.addsLarge -- Time elapsed: 0.007 s <<< FAILURE!``
* Surefire, a passing class: ``[INFO] Tests run: 8, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.05 s - in com.acme.AlpsOrderTest``
* Surefire's results list, one entry per failing test: ``[ERROR]   OrderTotalsTest.appliesDiscount:25 expected: <90.00> but was: <100.00>``
* Surefire's totals: ``[ERROR] Tests run: 133, Failures: 3, Errors: 4, Skipped: 1``
* the Maven compiler plugin: ``[ERROR] /tmp/jvm-ci/billing/core/src/main/java/com/acme/Invoice.java:[24,58] cannot find symbol``
* its header and count: ``[ERROR] COMPILATION ERROR :``, ``[INFO] 4 errors``
* the build's end: ``[INFO] billing-core ..................... FAILURE [  4.793 s]``, ``[INFO] BUILD FAILURE``
* javac: ``tools/src/com/acme/tools/Migrate.java:17: error: cannot find symbol`` (``: warning: [removal] ...``), ``1 error``
* console launcher tree: ``│  │  ├─ balanceNeverGoesNegative() ✘ balance must not go negative`` (passing: ``✔``)
* console launcher failure list: ``  JUnit Jupiter:Ledger:transfers:charges a fee rounded half up``
* its exception and frames: ``    => org.opentest4j.AssertionFailedError: expected: <1> but was: <0>``, ``       com.acme.Ledger.get(Ledger.java:19)``
* its totals box: ``[         7 tests failed          ]``, ``[       108 tests successful      ]``
* Java stack traces: ``\tat com.acme.Inventory.reserve(Inventory.java:19)``, ``Caused by: java.io.IOException: Stream closed``, ``\t... 71 more``
  (frames of JUnit, Maven, Gradle and the JDK's reflection are noise)
* Gradle, a failing test (documented): ``com.acme.CalcTest > addsLarge() FAILED``
* Gradle, its exception (documented): ``    org.opentest4j.AssertionFailedError at CalcTest.java:12``
* Gradle, totals and the build's end (documented): ``5 tests completed, 2 failed``, ``> Task :test FAILED``, ``BUILD FAILED in 3s``
* Gradle, the error report (documented): ``FAILURE: Build failed with an exception.``, ``* What went wrong:``
* kotlinc (documented): ``e: file:///src/main/kotlin/Cart.kt:12:5 Unresolved reference: total`` (``w:`` a warning)

A failing test's id is the one its runner's summary prints: ``Class.method`` for Surefire
(its results list; Surefire 3's ``pkg.Class.method`` header is read to the same id), the path
of display names after the engine for the console launcher
(``CsvImporterTest:parsesAmounts(String, long):[3] 2024-01-07;Rent;-1.200,00``),
``pkg.Class > method()`` for Gradle.
"""

from __future__ import annotations

from tokopt_pipeline.lib.engine.packs.base import C, H, L, M, Pack, Rule, TestLine, TotalsLine, V

#: A source file of the JVM languages.
_SRC = r"\.(?:java|kt|kts|scala|groovy)"
#: Frames of the test frameworks, build tools and the JDK's reflection: noise in a trace.
_FRAMEWORK = (
    r"(?:java\.base/)?(?:org\.junit\.|junit\.framework\.|org\.apache\.maven\.|org\.gradle\.|org\.codehaus\.plexus\."
    r"|org\.eclipse\.aether\.|jdk\.internal\.|sun\.reflect\.|java\.lang\.reflect\.)"
)

RULES = (
    # --- failures that decide the run ---
    Rule(
        r"^\[ERROR\] .*Time elapsed: .*<<< (?:FAILURE|ERROR)!"
        r"|^\[ERROR\] Tests run: \d+, Failures: \d+, Errors: \d+, Skipped: \d+\s*$"
        r"|^\[ERROR\]   [A-Za-z_$][\w$]*(?:>[\w$]+)?\.[\w$]+(?::\d+)?(?:->| |$)"
        r"|^\[(?:INFO|ERROR)\] (?:BUILD FAILURE\s*$|COMPILATION ERROR :?\s*$|\S.* \.{2,} FAILURE(?: \[|\s*$))",
        C,
        "maven/surefire failure",
    ),
    Rule(r"^[│ ]*[├└]─ .* ✘(?: |$)|^  JUnit (?:Jupiter|Vintage|Platform Suite):\S", C, "junit console failure"),
    Rule(r"^\[\s+[1-9]\d* (?:tests|containers) (?:failed|aborted)\s+\]$|^(?:\[(?:INFO|ERROR)\] )?[1-9]\d* errors?\s*$", C, "failing totals"),
    Rule(
        r"^[\w.$]+ > .+ FAILED$|^> Task :[\w:.\-]+ FAILED$|^FAILURE: Build (?:failed|completed) with "
        r"|^BUILD FAILED in |^\d+ tests? completed, [1-9]\d* failed",
        C,
        "gradle failure",
    ),
    # --- diagnostics ---
    Rule(
        r"^\S+" + _SRC + r":\d+: error: |^e: \S+" + _SRC + r"(?::\d+:\d+|: \(\d+, \d+\)) |^\[ERROR\] \S+" + _SRC + r":\[\d+"
        r"|^    => \S|^\* What went wrong:|^    [\w.$]+ at [\w$]+" + _SRC + r":\d+$|^Failures \(\d+\):$",
        H,
        "jvm diagnostic",
    ),
    # an exception's headline, also when its type says neither Error nor Exception
    Rule(r"^(?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Error|Exception|Failure|Throwable)\w*(?::|$)", H, "exception"),
    Rule(r"^\S+" + _SRC + r":\d+: warning: |^w: \S+" + _SRC + r"(?::\d+:\d+|: \(\d+, \d+\)) ", M, "jvm warning"),
    # --- stack traces: framework frames and elided frames are noise ---
    Rule(r"^\s+at " + _FRAMEWORK + r"|^ {7}" + _FRAMEWORK + r"|^ {7}\[\.\.\.\]$", V, "framework frame"),
    Rule(r"^\s+\.\.\. \d+ more$", L, "elided frames"),
    Rule(r"^ {7}(?:[\w.$]+/)?[\w.$<>]+\((?:[\w$]+" + _SRC + r":\d+|Native Method|Unknown Source)\)$", H, "console frame"),
    # --- passing tests and progress: never read as errors, even when a name says "error" ---
    Rule(
        r"^\[(?:INFO|WARNING)\] (?:Tests run: \d+, Failures: 0, Errors: 0, Skipped: \d+, Time elapsed: |Running [\w.$]+\s*$| T E S T S$"
        r"|Download(?:ing|ed) from \S+: |Compiling \d+ source files? to |Building jar: )"
        r"|^[│ ]*[├└]─ .* ✔$|^╷$|^[\w.$]+ > .+ PASSED$|^> Task :[\w:.\-]+(?: (?:UP-TO-DATE|NO-SOURCE|FROM-CACHE|SKIPPED))?$"
        r"|^<[=\-]+> \d+% (?:EXECUTING|CONFIGURING|INITIALIZING|WAITING)",
        V,
        "passing test, progress",
    ),
    Rule(
        r"^\[(?:INFO|WARNING)\] Tests run: \d+, Failures: 0, Errors: 0, Skipped: \d+\s*$|^\[\s+\d+ (?:tests|containers) \w+\s+\]$"
        r"|^[│ ]*[├└]─ .* ↷|^    (?:Method|Class)Source \[|^[\w.$]+ > .+ SKIPPED$|^BUILD SUCCESSFUL in "
        r"|^ {2,4}(?:symbol|location|required|found|reason): |^  (?:where \S.* type-variables?:|missing type arguments )"
        r"|^    [A-Z][\w$]* extends \S+ declared in ",
        L,
        "passing totals, skipped tests, javac's notes under a diagnostic",
    ),
)

TESTS = (
    # Surefire's results list (every Surefire version and provider): "[ERROR]   Class.method:12 msg"
    TestLine(r"^\[ERROR\]   (?P<id>(?P<file>[A-Za-z_$][\w$]*(?:>[\w$]+)?)\.(?P<name>[\w$]+))(?::\d+)?(?:->| |$)"),
    # Surefire 3's header, read to the same id as its results list (packages are lower case)
    TestLine(r"^\[ERROR\] (?:[a-z_][\w]*\.)*(?P<id>(?P<file>[A-Z][\w$]*)\.(?P<name>[\w$]+))(?:\[\d+\])? -- Time elapsed: .*<<< FAILURE!"),
    TestLine(r"^\[ERROR\] (?:[a-z_][\w]*\.)*(?P<id>(?P<file>[A-Z][\w$]*)\.(?P<name>[\w$]+))(?:\[\d+\])? -- Time elapsed: .*<<< ERROR!", "error"),
    # the console launcher's failure list: "  JUnit Jupiter:Class:nested:display name"
    TestLine(r"^  JUnit (?:Jupiter|Vintage|Platform Suite):(?P<id>(?P<file>[^:\s][^:]*)(?::(?:.*:)?(?P<name>[^:]+))?)$"),
    # Gradle: "com.acme.CalcTest > addsLarge() FAILED"
    TestLine(r"^(?P<id>(?P<file>[\w.$]+) > (?P<name>.+)) FAILED$"),
)

TOTALS = (
    TotalsLine(r"^\[(?:INFO|ERROR|WARNING)\] (?P<text>Tests run: \d+, Failures: \d+, Errors: \d+, Skipped: \d+)\s*$", r"Failures: [1-9]|Errors: [1-9]"),
    TotalsLine(r"^(?:\[(?:INFO|ERROR)\] )?(?P<text>[1-9]\d* errors?)\s*$", r"^[1-9]"),
    TotalsLine(r"^(?P<text>\[\s+\d+ tests (?:successful|failed)\s+\]|\[\s+[1-9]\d* containers failed\s+\])$", r"[1-9]\d* (?:tests|containers) failed"),
    TotalsLine(r"^(?P<text>\d+ tests? completed, \d+ failed(?:, \d+ skipped)?)\s*$", r"[1-9]\d* failed"),
)

BLOCK_STARTS = (
    r"^\[ERROR\] .*<<< (?:FAILURE|ERROR)!",
    r"^\[ERROR\]   [A-Za-z_$][\w$]*\.[\w$]+(?::\d+)?(?:->| |$)",
    r"^\[(?:ERROR|WARNING)\] \S+\.(?:java|kt|scala|groovy):\[\d+",
    r"^  JUnit (?:Jupiter|Vintage|Platform Suite):",
    r"^\S+\.(?:java|kt|scala|groovy):\d+: (?:error|warning): ",
    r"^[\w.$]+ > .+ FAILED$",
)

#: Lines at the first column that still belong to the event before them.
CONTINUES = (
    # an exception's headline under a failing test's header (or under a log line)
    r"^(?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Error|Exception|Failure|Throwable)\w*(?::|$)",
    # javac's notes under a diagnostic as Maven repeats them; hamcrest's mismatch
    r"^\[ERROR\]   (?:symbol|location|required|found|reason): |^Expected: ",
)

PACK = Pack(
    "jvm",
    "JVM builds and tests: Maven/Surefire, javac, JUnit console launcher, Gradle, kotlinc",
    detect=(
        r"^\[INFO\] (?:Scanning for projects|Building |BUILD (?:SUCCESS|FAILURE))|^\[INFO\]  T E S T S$"
        r"|^Test run finished after \d+ ms$|^\S+\.java:\d+: (?:error|warning): |^> Task :|^BUILD (?:FAILED|SUCCESSFUL) in "
    ),
    rules=RULES,
    tests=TESTS,
    totals=TOTALS,
    block_starts=BLOCK_STARTS,
    continues=CONTINUES,
    tools=("maven", "surefire", "javac", "junit-console", "gradle", "kotlinc"),
)
