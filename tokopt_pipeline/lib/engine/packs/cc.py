"""Runner pack: C and C++ (compilers, linker, build tools, test runners).

The tools and output formats read (one example line each):

* gcc / g++ / clang diagnostics: ``src/router.c:11:12: error: 'route_count' undeclared
  (first use in this function)``, ``src/util.c:15:23: warning: passing argument 1 of
  'strlen' makes pointer from integer without a cast [-Wint-conversion]``, their
  context ``src/router.c: In function 'route_add':``, ``In file included from
  src/headers.c:1:``, ``src/router.c:11:12: note: ...``, the source excerpt
  ``   11 |     return route_count++;``, ``cc1: some warnings being treated as errors``,
  ``4 errors generated.``, and the compile command a build tool echoes
  (``gcc -std=c11 -Wall -c src/error.c -o build/error.o``);
* GNU ld / lld through the compiler driver: ``/usr/bin/ld: kvtool.c:(.text+0x6b):
  undefined reference to `kv_compact'``, ``collect2: error: ld returned 1 exit
  status``, ``clang: error: linker command failed with exit code 1 (use -v to see
  invocation)``;
* sanitizers: ``==16505==ERROR: AddressSanitizer: heap-buffer-overflow on address ...``,
  ``src/a.c:7:44: runtime error: signed integer overflow: ...``;
* make: ``make: *** [Makefile:13: build/router.o] Error 1`` (top level),
  ``gmake[2]: *** [CMakeFiles/kvtool.dir/build.make:98: kvtool] Error 1``,
  ``make: Target 'all' not remade because of errors.``, ``[ 44%] Building C object ...``;
* ninja: ``FAILED: CMakeFiles/imgops.dir/ops/resize.cc.o``, ``ninja: build stopped:
  subcommand failed.``, ``[3/27] Building CXX object ...``;
* CMake: ``CMake Error at cmake/deps.cmake:3 (find_package):``, ``CMake Warning at
  cmake/checks.cmake:42 (message):``, ``-- Configuring incomplete, errors occurred!``,
  ``-- Looking for sys/epoll.h - found``;
* ctest: ``29/35 Test #29: csv_quoted_fields ....Subprocess aborted***Exception:   0.00
  sec``, ``80% tests passed, 7 tests failed out of 35``, the list after ``The following
  tests FAILED:`` (``	  2 - test_parse (Failed)``), and with ``-V`` the ``12: `` prefix
  on each line a test printed;
* GoogleTest: ``[  FAILED  ] Range/ClampTest.StaysInBounds/298, where GetParam() = 298
  (0 ms)``, ``/tmp/ci/geomkit/tests/test_parse.cc:10: Failure``, ``[  PASSED  ] 1929
  tests.``, `` 4 FAILED TESTS``;
* cmocka (GoogleTest's console format): ``[  FAILED  ] parse_int_plus_sign``,
  ``[  ERROR   ] --- 0xffffffffffffffff != 0``, ``[   LINE   ] ---
  /tmp/ci/textkit/tests/test_parse.c:386: error: Failure!``, `` 3 FAILED TEST(S)``;
* meson: ``36/42 calc:parse_nested_parens      FAIL            0.05s   exit status 1``,
  the summary lines ``Fail:              2`` (one count a line), ``meson.build:9:41:
  ERROR: ...``.
"""

from tokopt_pipeline.lib.engine.packs.base import C, H, L, M, Pack, Rule, TestLine, TotalsLine, V

# A compiler's source location: "src/a.c:12:5: ", "../src/eval.c:41:9: ", "a.h:3: ".
LOC = r"^[^\s:]+:\d+(?::\d+)?: "
# The optional "12: " prefix ctest -V puts on each line a test printed.
CT = r"^(?:\d+: )?"
DRIVER = r"(?:cc|c\+\+|gcc|g\+\+|clang|clang\+\+)(?:-\d+)?"
CTEST_FAIL = r"Failed|Exception|Timeout|Not Run"
CTEST_LIST = r"Failed|Timeout|SEGFAULT|ILLEGAL|INTERRUPT|NUMERICAL|OTHER_FAULT|BAD_COMMAND|Subprocess aborted|Child aborted|Not Run|Exception"
MESON_FAIL = r"FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR"


def any_of(*patterns: str) -> str:
    return "|".join(patterns)


RULES = (
    # --- what decides the run: a failed test, a failing totals line, a crash, the
    # linker's or the build tool's own failure
    Rule(
        any_of(
            r"^\s*\d+/\d+ Test\s+#\d+: \S+ .*\*\*\*(" + CTEST_FAIL + r")",
            r"^\s+\d+ - \S+ \((" + CTEST_LIST + r")\)$",
            r"^\d+% tests passed, [1-9]\d* tests? failed out of \d+",
            CT + r"(\[  FAILED  \] |\s*\d+ FAILED TESTS?(\(S\))?$)",
            r"^\s*\d+/\d+ \S.*\s(" + MESON_FAIL + r")\s+\d+\.\d+s",
            r"^(Fail|Unexpected Pass|Timeout): {3,}[1-9]\d*\s*$",
        ),
        C, "c/c++ test failure",
    ),
    Rule(
        any_of(
            r"^collect2: error: ld returned \d+ exit status",
            r"^" + DRIVER + r": error: linker command failed",
            r"^g?make: \*\*\* ",
            r"^FAILED: \S",
            r"^ninja: build stopped: ",
            r"^-- Configuring incomplete, errors occurred!",
            r"^CMake Generate step failed",
            r"^==\d+==ERROR: \w+Sanitizer: ",
        ),
        C, "c/c++ build failure or crash",
    ),
    # --- passing tests and progress, before any word in a test's name is read
    Rule(
        any_of(
            r"^\s*\d+/\d+ Test\s+#\d+: \S+ \.+\s+Passed\s",
            r"^\s+Start\s+\d+: ",
            r"^test \d+$",
            r"^\d+: (Test command|Working Directory|Test timeout computed to be): ",
            r"^UpdateCTestConfiguration  from :",
            CT + r"\[ +(RUN|OK) +\] ",
            CT + r"\[-{10}\] ",
            CT + r"\[={10}\] Running \d+ test",
            CT + r"Note: Google Test filter = ",
            r"^\s*\d+/\d+ \S.*\s(OK|EXPECTEDFAIL)\s+\d+\.\d+s",
            r"^\[\d+/\d+\] (Building|Linking|Compiling|Generating|Re-checking|Re-running|Performing|Creating|Copying|Installing|Scanning)",
            r"^\[ *\d+%\] (Building|Linking|Built target|Generating|Scanning|Performing|Creating|Completed)",
            r"^Consolidate compiler generated dependencies of target ",
            r"^g?make(\[\d+\])?: (Entering|Leaving) directory ",
            r"^(: && )?(\S*/)?" + DRIVER + r" +-",
            r"^-- (Looking for |Performing Test |Check(ing)? |Detecting |The (C|CXX) compiler identification |Found "
            r"|Configuring done|Generating done|Build files have been written)",
        ),
        V, "c/c++ passing test or progress",
    ),
    Rule(
        any_of(
            r"^\s*\d+/\d+ Test\s+#\d+: \S+ .*\*\*\*(Skipped|Not Run \(Disabled\))",
            r"^\d+% tests passed, 0 tests failed out of \d+",
            CT + r"\[==========\] \d+ tests? from ",
            CT + r"\[==========\] \d+ test\(s\) run\.",
            CT + r"\[  (PASSED|SKIPPED) \] ",
            r"^\s*\d+/\d+ \S.*\sSKIP\s+\d+\.\d+s",
            r"^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout): {3,}\d+\s*$",
        ),
        L, "c/c++ passing totals or skipped test",
    ),
    # --- diagnostics
    Rule(
        any_of(
            LOC + r"(fatal error|error|runtime error): ",
            r"^(cc1|cc1plus|" + DRIVER + r"): (fatal )?error: ",
            r"^(cc1|cc1plus): (some|all) warnings being treated as errors",
            r"^compilation terminated\.$",
            r"^\d+ (warnings? and \d+ )?errors? generated\.$",
            r": (undefined reference to|multiple definition of) ",
            r"^(\S*/)?(ld|ld\.bfd|ld\.gold|ld\.lld|lld): (error: |cannot find )",
            r"^g?make\[\d+\]: \*\*\* ",
            r"^g?make(\[\d+\])?: Target .* not remade because of errors\.$",
            r"^CMake Error",
            r"^Errors while running CTest$",
            CT + r"\[  ERROR   \] --- ",
            CT + r"\[   LINE   \] --- ",
            CT + r"([^\s:]+:\d+|unknown file): Failure$",
            CT + r"(Expected equality of these values:|Expected: \(.*\), actual: |Value of: |The difference between |C\+\+ exception with description )",
            r"^SUMMARY: \w+Sanitizer: ",
            r"^(READ|WRITE) of size \d+ at 0x",
        ),
        H, "c/c++ diagnostic",
    ),
    Rule(
        any_of(
            LOC + r"warning: ",
            r"^(cc1|cc1plus|" + DRIVER + r"): warning: ",
            r"^\d+ warnings? generated\.$",
            r"^CMake (Deprecation )?Warning",
            r"^-- Could NOT find ",
        ),
        M, "c/c++ warning",
    ),
    # --- the context of a diagnostic: ordinary lines, whatever words they quote
    Rule(
        any_of(
            LOC + r"note: ",
            r"^[^\s:]+: (In (function|member function|static member function|constructor|destructor|copy constructor"
            r"|lambda function|instantiation of|substitution of)|At (global|top level) scope)",
            r"^In file included from \S+:\d+[:,]$",
            r"^ +from \S+:\d+[:,]$",
            # gcc's source excerpt: the line number right-aligned in five columns
            r"^( {4}\d| {3}\d\d| {2}\d{3}| \d{4}|\d{5,}) \| ",
            r"^ {6}\| ",
            r"^  \+\+\+ \|",
            r"^(\S*/)?ld: \S+: in function `.*':$",
            CT + r"\S+:\d+: Skipped$",
            r"^Call Stack \(most recent call first\):$",
            r'^See also ".*\.log"\.$',
            r"^>>> ",
        ),
        L, "c/c++ diagnostic context",
    ),
    # --- any other message at a source location (an assertion, a test harness's check)
    Rule(r"^[^\s:]+\.(c|cc|cpp|cxx|h|hpp):\d+:(\d+:)? \S", H, "c/c++ located message"),
)

TESTS = (
    # ctest's result line and its closing list of failed tests
    TestLine(r"^\s*\d+/\d+ Test\s+#\d+: (?P<id>\S+) \.*(?:Subprocess aborted|Child aborted)?\*\*\*(?:" + CTEST_FAIL + r")"),
    TestLine(r"^\s+\d+ - (?P<id>\S+) \((?:" + CTEST_LIST + r")\)$"),
    # GoogleTest and cmocka; a count ("4 tests, listed below:") starts with a digit
    TestLine(r"^(?:\d+: )?\[  FAILED  \] (?P<id>[A-Za-z_][\w/.]*)(?:,| \(\d+ ms\)|$)"),
    # meson test: "36/42 calc:parse_nested_parens   FAIL   0.05s   exit status 1"
    TestLine(r"^\s*\d+/\d+ (?P<id>(?:(?P<file>[^\s:]+):)?(?P<name>\S.*?))\s+(?:" + MESON_FAIL + r")\s+\d+\.\d+s"),
)

TOTALS = (
    TotalsLine(r"^\d+% tests passed, \d+ tests? failed out of \d+", failed=r", [1-9]\d* tests? failed"),
    TotalsLine(
        r"^(?:\d+: )?\s*(?P<text>\[==========\] \d+ tests? from \d+ test suites? ran\..*|\[==========\] \d+ test\(s\) run\."
        r"|\[  PASSED  \] \d+ tests?(?:\(s\))?\.|\[  FAILED  \] \d+ tests?(?:\(s\))?, listed below:|\d+ FAILED TESTS?(?:\(S\))?)$",
        failed=r"FAILED",
    ),
    TotalsLine(r"^(?P<text>(?:Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout): {3,}\d+)\s*$",
               failed=r"^(?:Fail|Unexpected Pass|Timeout):\s+[1-9]"),
    TotalsLine(r"^-- Configuring incomplete, errors occurred!|^ninja: build stopped: ", failed=r"errors occurred|stopped"),
)

BLOCK_STARTS = (
    # ctest and meson indent their result lines; each test is its own event
    r"^\s*\d+/\d+ Test\s+#\d+: ",
    r"^\s+Start\s+\d+: ",
    r"^\s+\d+ - \S+ \([A-Za-z_ ]+\)$",
    r"^\s*\d+/\d+ \S.*\s(?:OK|FAIL|SKIP|TIMEOUT|EXPECTEDFAIL|UNEXPECTEDPASS|ERROR)\s+\d+\.\d+s",
)

PACK = Pack(
    "cc",
    "C/C++: gcc, clang, ld, make, ninja, CMake, ctest, GoogleTest, cmocka, meson",
    detect=(
        r"^-- The (C|CXX) compiler identification is |^Test project /|^\[==========\] Running \d+ tests?"
        r"|^The Meson build system$|^ninja: Entering directory |^\[\d+/\d+\] (Building|Linking) (C|CXX) "
        r"|^[^\s:]+\.(c|cc|cpp|cxx|h|hpp):\d+:\d+: (error|warning): "
    ),
    rules=RULES,
    tests=TESTS,
    totals=TOTALS,
    block_starts=BLOCK_STARTS,
    # CMake's error report runs over blank lines to its call stack (the project's
    # own CMakeLists.txt:N), which is where the error is.
    sections=(r"^CMake Error",),
    section_ends=(
        r"^-- ", r"^CMake (Deprecation )?Warning", r'^See also "', r"^g?make(\[\d+\])?: ", r"^ninja: ",
        r"^##\[(?:group|endgroup|error)\]", r"^\+ ", r"^\$ ", r"^ERROR: Job failed",
    ),
    tools=("gcc", "clang", "ld", "make", "ninja", "cmake", "ctest", "googletest", "cmocka", "meson"),
)
