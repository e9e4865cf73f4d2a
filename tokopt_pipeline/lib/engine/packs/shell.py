"""Runner pack: shell (bash, dash, coreutils timeout, bats, ShellCheck, the CI shell step).

Formats read (one example line each; lines arrive without ANSI colours and CI timestamps):

* bash error with its location: ``./ci.sh: line 18: cd: /tmp/ci/home/.cache/pkgtool: No such file or directory``,
  ``bash: line 3: foo: command not found``, ``./ci.sh: line 49: ./scripts/deploy.sh: Permission denied``
* bash reporting a command killed by a signal (critical):
  ``./ci.sh: line 40: 29958 Segmentation fault      (core dumped) ./build/bin/parse-fixture x.idx``,
  ``./ci.sh: line 42: 29961 Killed                  ./build/bin/expand-fixture large.idx`` (the OOM killer)
* the bare signal line of other shells and runners: ``Killed``, ``Segmentation fault (core dumped)``
* dash (``sh``): ``sh: 1: checkbashisms: not found``, ``./ci.sh: 5: cd: can't cd to /nope``
* coreutils timeout: ``timeout: the monitored command dumped core``
* xtrace (``set -x``) command lines, kept low so that the words in a command do not lift it:
  ``+ grep -c error build/docs/page-001.html``, ``++ git rev-parse HEAD``
* the CI runner's end of a failed shell step: ``ERROR: Job failed: exit code 2`` (GitLab),
  ``ERROR: script returned exit code 1`` (Jenkins); GitHub's ``Error: Process completed with exit code 1.``
  and the ``::error::`` / ``##[error]`` workflow commands are left to the generic and GitHub Actions rules
* bats, TAP output (the CI default): ``not ok 9 manifest lists files in sorted order # in 117 ms``,
  ``ok 12 slugify reports error on empty input # in 30 ms``, ``# (in test file test/unit/manifest.bats, line 11)``,
  ``#   `@test "x" { [ "$output" = "a-b" ]; }' failed``; any TAP producer's ``not ok 3 - name`` reads the same
* bats, pretty output (``bats -p``; the cursor moves leave the name twice):
  ``   install uses PREFIX 7/12 ✗ install uses PREFIX``, ``12 tests, 1 failure, 1 skipped``
* ShellCheck, default output: ``In scripts/deploy.sh line 6:`` then, under the code,
  ``         ^------------^ SC2045 (error): Iterating over ls output is fragile. Use globs.``;
  gcc output: ``scripts/deploy.sh:6:10: error: Iterating over ls output is fragile. Use globs. [SC2045]``
"""

from tokopt_pipeline.lib.engine.packs.base import C, H, L, M, Pack, Rule, TestLine, TotalsLine, V

_SIGNALS = (r"(?:Segmentation fault|Killed|Aborted|Bus error|Illegal instruction|Floating point exception"
            r"|Terminated|Trace/breakpoint trap|CPU time limit exceeded|File size limit exceeded)")
# bash's "NAME: line N: " and dash's "NAME: N: " (NAME: the script, or the shell itself).
_BASH_AT = r"^\S+: line \d+: "
_DASH_AT = r"^(?:\S*/)?(?:sh|dash|ash|bash|[\w.-]+\.sh): \d+: "
_TAP_FAIL = r"^not ok \d+ (?:- )?(?P<id>[^#\s][^#]*?)(?: # in \d+ ?ms)?\s*$"
_BATS_PRETTY_FAIL = r"(?:^|\d/\d+) ✗ (?P<id>\S.*?)\s*$"
_BATS_TOTALS = r"^(?P<text>\d+ tests?, \d+ failures?(?:, \d+ skipped)?(?:, \d+ not run)?(?: in \d+ seconds)?)\s*$"

RULES = (
    # --- critical: a command killed by a signal, a timed-out command's core dump, the step's end
    Rule(_BASH_AT + r" *\d+ " + _SIGNALS + r"|^" + _SIGNALS + r"(?: \(core dumped\))?$"
         r"|^timeout: the monitored command dumped core$", C, "killed by a signal"),
    Rule(r"^ERROR: (?:Job failed: |script returned exit code [1-9])", C, "CI shell step failed"),
    # --- critical: bats / TAP failed tests and a failing bats total
    Rule(r"^not ok \d+ (?:- )?[^#]*$|^not ok \d+ .* # in \d+ ?ms$|(?:^|\d/\d+) ✗ \S", C, "bats/TAP failed test"),
    Rule(r"^\d+ tests?, [1-9]\d* failures?", C, "bats totals"),
    # --- high: shell errors with their location, bats failure details, ShellCheck errors
    Rule(_BASH_AT + r"|" + _DASH_AT + r"|^\S+: \S+: command not found$"
         r"|^timeout: sending signal \w+ to command ", H, "shell error"),
    Rule(r"^(?:#|\s+) ?\(in test file \S+, line \d+\)$|^(?:#|\s+)\s+`.*' failed(?: with status \d+)?$", H,
         "bats failure detail"),
    # (the header of each finding is its location, whatever its severity: any finding
    # fails a ShellCheck step)
    Rule(r"^\s*\^-*\^? SC\d{4} \(error\): |^\S+:\d+:\d+: error: .* \[SC\d{4}\]$|^In \S+ line \d+:$", H,
         "shellcheck error, a finding's location"),
    # --- medium: ShellCheck warnings
    Rule(r"^\s*\^-*\^? SC\d{4} \(warning\): |^\S+:\d+:\d+: warning: .* \[SC\d{4}\]$", M,
         "shellcheck warning"),
    # --- low: ShellCheck info/style, passing bats totals, xtrace command lines
    Rule(r"^\s*\^-*\^? SC\d{4} \((?:info|style)\): |^\S+:\d+:\d+: (?:note|style): .* \[SC\d{4}\]$"
         r"|^\d+ tests?, 0 failures|^\++ \S", L, "shellcheck info, passing totals, xtrace"),
    # --- verbose: passing tests (even those named *error*), the TAP plan, ShellCheck's links
    Rule(r"^ok \d+ |^1\.\.\d+$|(?:^|\d/\d+) ✓ |^  https://www\.shellcheck\.net/wiki/SC\d{4} -- |^For more information:$",
         V, "passing tests, links"),
)

TESTS = (
    TestLine(_TAP_FAIL),
    TestLine(_BATS_PRETTY_FAIL),
)

TOTALS = (
    TotalsLine(_BATS_TOTALS, r"\b[1-9]\d* failures?\b"),
)

BLOCK_STARTS = (
    _BASH_AT,
    r"^not ok \d+ ",
    r"^In \S+ line \d+:$",
    r"^\+{1,3} \S",
)

PACK = Pack(
    "shell",
    "Shell steps: bash/dash errors and signals, timeout, xtrace, bats (TAP and pretty), ShellCheck",
    detect=r"^\+{1,3} \S|^\S+: line \d+: |^not ok \d+ |^In \S+ line \d+:$|^\d+ tests?, \d+ failures?",
    rules=RULES,
    tests=TESTS,
    totals=TOTALS,
    block_starts=BLOCK_STARTS,
    tools=("bash", "dash", "timeout", "bats", "shellcheck"),
)
