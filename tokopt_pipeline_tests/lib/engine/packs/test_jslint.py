"""The js pack's type-checker and linter part on real tsc, ESLint, Biome and Prettier
output (bench/ecosystems/jslint.sh)."""

from __future__ import annotations

import re

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import js
from tokopt_pipeline.lib.engine.priority import Level, tag_levels, validate_regex
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline.lib.engine.testresults import parse_totals
from tokopt_pipeline_tests.conftest import TESTS
from tokopt_pipeline_tests.lib.engine.packs.fixture import raw_case as _case

DATA = TESTS / "data" / "ecosystems"
CASES = ["jslint-tsc", "jslint-eslint", "jslint-biome", "jslint-legacy", "jslint-prettier", "jslint-ci"]
PROFILES = ["generic", "github-actions"]
C, H, M, L, V = Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW, Level.VERBOSE


_LEVELS: dict[str, dict[str, list[Level]]] = {}


def _levels(case: str, profile: str) -> tuple[list[str], list[Level]]:
    """The level of each line of a case; all cases tagged in one pass per profile."""
    if profile not in _LEVELS:
        logs = {c: _case(c)[0] for c in CASES}
        flat = [line for c in CASES for line in logs[c]]
        got = [Level(v) for v in tag_levels(pl.Series(flat, dtype=pl.Utf8), get_profile(profile).all_rules()).to_list()]
        _LEVELS[profile], at = {}, 0
        for c in CASES:
            _LEVELS[profile][c], at = got[at:at + len(logs[c])], at + len(logs[c])
    return _case(case)[0], _LEVELS[profile][case]


def test_patterns_compile_in_python_and_polars():
    for rule in js.LINT_RULES:
        validate_regex(rule.pattern)
    for pattern in [t.pattern for t in js.LINT_TOTALS] + list(js.LINT_BLOCKS) + [js.LINT_DETECT]:
        re.compile(pattern)
        validate_regex(pattern)
    for t in js.LINT_TOTALS:
        if t.failed:
            re.compile(t.failed)
    assert 5 <= len(js.LINT_RULES) <= 20


@pytest.mark.parametrize("case", CASES)
def test_truth_occurs_in_log(case):
    lines, truth = _case(case)
    text = "\n".join(lines)
    stripped = {line.strip() for line in lines}
    assert truth["failing_tests"] == []  # type checkers and linters name no tests
    for value in truth["error_locations"] + truth["error_codes"]:
        assert value in text, value
    for value in truth["totals"]:
        assert value in stripped, value


def _expected_failed(total: str) -> bool:
    """Whether a totals line says its run failed, as the tools print them."""
    if total.startswith(("[warn] Code style issues", "Error occurred when checking", "ESLint found too many warnings")):
        return True
    m = re.match(r"^(?:Found|✖ \d+ problems? \() ?(\d+) errors?", total)
    return bool(m and int(m.group(1)) > 0)


@pytest.mark.parametrize("case", CASES)
def test_totals_read(case):
    lines, truth = _case(case)
    by_text = {}
    for i, line in enumerate(lines):
        rt = parse_totals(line, i)
        if rt is not None and rt.runner == "js":
            by_text.setdefault(rt.text, rt)
    for total in truth["totals"]:
        assert total in by_text, total
        assert by_text[total].failed is _expected_failed(total), total
    # every totals line read is one of the truth's (nothing else in the log reads as one)
    assert set(by_text) <= set(truth["totals"]), set(by_text) - set(truth["totals"])


def test_totals_failed_flags():
    # "N problems" (eslint -f unix/compact) does not say whether the problems were errors;
    # it is read as not failed, the [Error/...] lines above it say the rest.
    for line, failed in [
        ("Found 5 errors in 2 files.", True),
        ("Found 1 error in src/main.ts:12", True),
        ("Found 2 errors in the same file, starting at: src/x.ts:3", True),
        ("[10:00:00 AM] Found 0 errors. Watching for file changes.", False),
        ("Found 6 errors.", True),
        ("Found 17 warnings.", False),
        ("Checked 151 files in 519ms. No fixes applied.", False),
        ("✖ 180 problems (9 errors, 171 warnings)", True),
        ("✖ 12 problems (0 errors, 12 warnings)", False),
        ("9 problems", False),
        ("ESLint found too many warnings (maximum: 10).", True),
        ("[warn] Code style issues found in 3 files. Run Prettier with --write to fix.", True),
        ("[warn] Code style issues found in the above file. Forgot to run Prettier?", True),
        ("Error occurred when checking code style in 2 files.", True),
        ("All matched files use Prettier code style!", False),
    ]:
        hit = packs.totals(line)
        assert hit is not None and hit.pack == "js", line
        rt = parse_totals(line, 0)
        assert rt is not None and rt.failed is failed, line


# Lines of the fixtures and the level each must get (a regex over the line; every line it
# matches must get that level, in both profiles).
KEY_LINES = {
    "jslint-tsc": [
        (r"^\S+\(\d+,\d+\): error TS\d+: ", H),
        (r"^\S+:\d+:\d+ - error TS\d+: ", H),
        (r"^Found [1-9]\d* errors? in ", C),
        (r"^TSFILE: ", V),
        (r"^ +\d+  \S+:\d+$", L),
    ],
    "jslint-eslint": [
        (r"^ +\d+:\d+ +error ", H),
        (r"^ +\d+:\d+ +warning ", M),
        (r"^/tmp/ci/\S+\.[jt]s$", L),
        (r"^✖ \d+ problems \([1-9]", C),
        (r"potentially fixable with the", L),
        (r"\[Error(/\S+)?\]$", H),
        (r", Warning - ", M),
        (r"^\d+ problems$", M),
        (r"^ESLint found too many warnings", C),
    ],
    "jslint-biome": [
        (r"^packages/\S+:\d+:\d+ (lint|assist)/\S+ .*━", H),
        (r"^packages/\S+ format ━", H),
        (r"^  ✖ Some errors were emitted", C),
        (r"^  ✖ (?!Some errors)", H),
        (r"^  ⚠ ", M),
        (r"^  ℹ ", L),
        (r"^ {2,}(> +)?\d+ │ ", L),
        (r"^× packages/", H),
        (r"^Found [1-9]\d* errors\.$", C),
        (r"^Found \d+ warnings\.$", M),
        (r"^Checked \d+ files in ", L),
    ],
    "jslint-legacy": [
        (r"^\./src/\S+:\d+:\d+ (lint/\S+|parse) ", H),
        (r"^  × (?!Some errors)", H),
        (r"^  × Some errors were emitted", C),
        (r"^  i ", L),
        (r"^generated/\S+ \d+ms$", V),
        (r"^\[warn\] [\w./-]+$", H),
        (r"^\[error\] ", H),
        (r"^\[warn\] Code style issues found in ", C),
        (r"^Checking formatting\.\.\.$", V),
    ],
    "jslint-prettier": [
        (r"^generated/\S+ \d+ms( \(unchanged\))?$", V),
        (r"^\[warn\] [\w./-]+$", H),
        (r"^\[error\] ", H),
        (r"^Error occurred when checking code style in ", C),
        (r"^\[warn\] Code style issues found in ", C),
    ],
    "jslint-ci": [
        (r"^TSFILE: ", V),
        (r"^generated/\S+ \d+ms( \(unchanged\))?$", V),
        (r"^\S+:\d+:\d+ - error TS\d+: ", H),
        (r"^Found 3 errors in 2 files\.$", C),
        (r"^ +\d+:\d+ +error ", H),
        (r"^ +\d+:\d+ +warning ", M),
        (r"^✖ \d+ problems \([1-9]", C),
        (r"^\[warn\] [\w./-]+$", H),
        (r"^\[warn\] Code style issues found in ", C),
    ],
}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_levels_of_key_lines(case, profile):
    lines, levels = _levels(case, profile)
    for pattern, want in KEY_LINES[case]:
        rx = re.compile(pattern)
        hits = [(line, lv) for line, lv in zip(lines, levels, strict=False) if rx.search(line)]
        assert hits, pattern
        wrong = [(line, lv.name) for line, lv in hits if lv != want]
        assert not wrong, (pattern, want.name, wrong[:5])


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_error_locations_and_codes_are_high(case, profile):
    lines, levels = _levels(case, profile)
    _, truth = _case(case)
    for value in truth["error_locations"] + truth["error_codes"]:
        at = [i for i, line in enumerate(lines) if value in line]
        # a stylish message of several lines ends with its rule on the last one
        # (@typescript-eslint/no-empty-object-type): its first line is the one to judge
        at = [next(j for j in range(i, -1, -1) if not lines[j].startswith("- ")) for i in at]
        best = min(levels[i] for i in at)
        assert best <= H, (value, best.name)


@pytest.mark.parametrize("case", CASES)
def test_passing_noise_named_error_stays_low(case):
    # Files named errors.ts, http-error.ts ... in listings and headers: not errors.
    lines, levels = _levels(case, "generic")
    noise = re.compile(r"^TSFILE: |^\S+\.\w+ \d+ms( \(\w+\))?$|^/tmp/ci/\S+\.[cm]?[jt]sx?$|^ +\d+  \S+:\d+$|^  [iℹ] ")
    named = [(line, lv) for line, lv in zip(lines, levels, strict=False) if noise.search(line) and re.search(r"(?i)error|fail", line)]
    high = [line for line, lv in named if lv <= M]
    assert not high, high[:5]
    if case in ("jslint-tsc", "jslint-legacy", "jslint-prettier", "jslint-ci"):
        assert named  # the fixture holds such lines


def test_lines_by_hand():
    cases = [
        ("src/x.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.", H),
        ("web:typecheck: src/x.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.", H),
        ("error TS5023: Unknown compiler option 'foo'.", H),
        ("[10:00:00 AM] Found 2 errors. Watching for file changes.", C),
        ("[10:00:00 AM] Found 0 errors. Watching for file changes.", L),
        ("Found 2 errors in the same file, starting at: src/x.ts:3", C),
        ("  3:1  error  'foo' is defined but never used  no-unused-vars", H),
        ("✖ 5 problems (0 errors, 5 warnings)", M),
        ("Oops! Something went wrong! :(", C),
        ("src/x.ts:3:7 lint/style/useConst  FIXABLE  ━━━━━━━━━━━━━━━━━━━━", H),
        ("  ! This let declares a variable that is only assigned once.", M),
        ("! src/b.ts:1:1: lint/style/useConst: This let declares a variable that is only assigned once.", M),
        ("The number of diagnostics exceeds the limit allowed. Use --max-diagnostics to increase it.", M),
        ("Diagnostics not shown: 38.", M),
        ("[warn] Ignored unknown option { tabs: true }.", M),
        ("src/errors/error-boundary.tsx 41ms (unchanged)", V),
        ("/home/runner/work/app/src/errors/ErrorBoundary.tsx", L),
    ]
    lines = [line for line, _ in cases]
    for profile in PROFILES:
        got = tag_levels(pl.Series(lines, dtype=pl.Utf8), get_profile(profile).all_rules()).to_list()
        wrong = [(line, Level(g).name) for (line, want), g in zip(cases, got, strict=False) if Level(g) != want]
        assert not wrong, (profile, wrong)


def test_block_starts():
    rx = re.compile(packs.block_start())
    assert rx.search("  src/x.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.")
    assert rx.search("  src/x.ts:12:5 - error TS2322: Type 'string' is not assignable to type 'number'.")
    assert not rx.search("  Types of parameters 'id' and 'id' are incompatible.")


def _other_fixtures():
    for d in sorted(DATA.iterdir()):
        # Package managers' logs print their errors in the same "  × ..." boxes as Biome.
        if d.is_dir() and not d.name.startswith(("jslint-", "js-", "node_pm-")) and (d / "job.log").exists():
            yield d.name, (d / "job.log").read_text(encoding="utf-8", errors="replace").splitlines()


@pytest.mark.slow
def test_other_ecosystems_not_read_as_lint_output():
    # No line of another ecosystem's log is read by these totals patterns, nor raised to
    # critical or high by these rules (their own packs and the generic rules decide).
    # "Found N errors." is shared with ruff (python) and left out here.
    shared = re.compile(r"^Found \d+ errors?\.$")
    totals = [re.compile(t.pattern) for t in js.LINT_TOTALS]
    strong = "|".join(f"(?:{r.pattern})" for r in js.LINT_RULES if r.level <= H)
    checked = 0
    for name, lines in _other_fixtures():
        checked += 1
        read = [line for line in lines if any(rx.search(line) for rx in totals) and not shared.search(line)]
        assert not read, (name, read[:5])
        series = pl.Series(lines, dtype=pl.Utf8)
        hits = series.str.contains(strong)
        # A line the other rules rate as high as these (pip's and pnpm's own "×" error
        # lines) is not raised by them.
        others = [r for r in get_profile("generic").all_rules() if r not in js.LINT_RULES]
        alone = tag_levels(series, others).to_list()
        raised = [line for line, hit, lv in zip(lines, hits.to_list(), alone, strict=False) if hit and lv > H and not shared.search(line)]
        assert not raised, (name, raised[:5])
    assert checked > 0
