"""The node_pm pack (npm, pnpm, yarn) on real package-manager output
(bench/ecosystems/node_pm.sh), with the js pack reading the test runners they start."""

from __future__ import annotations

import re
from functools import cache

import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import node_pm
from tokopt_pipeline.lib.engine.priority import Level, validate_regex
from tokopt_pipeline.lib.engine.testresults import RunTotals
from tokopt_pipeline_tests.conftest import TESTS
from tokopt_pipeline_tests.lib.engine.packs.fixture import ANSI, raw_case
from tokopt_pipeline_tests.lib.engine.packs.fixture import levels_of as _levels

DATA = TESTS / "data" / "ecosystems"
CASES = ["node_pm-npm-workspaces", "node_pm-npm-install", "node_pm-npm9", "node_pm-npm6", "node_pm-pnpm",
         "node_pm-pnpm12", "node_pm-yarn", "node_pm-yarn4"]
PROFILES = ["generic", "github-actions"]
#: The line that names an error code, per manager.
CODE_LINE = re.compile(r"^npm (?:error|ERR!) code (\w+)$|^\s?(?:\[|Error: )?(ERR_PNPM_\w+)|^➤ (YN\d{4}): ")


@cache
def test_patterns_compile_in_python_and_polars():
    p = node_pm.PACK
    for pattern in [r.pattern for r in p.rules] + list(p.block_starts) + [p.detect]:
        re.compile(pattern)
        validate_regex(pattern)
    assert 5 <= len(p.rules) <= 15
    assert not p.tests and not p.totals  # the test runners' lines are the js pack's


@pytest.mark.parametrize("case", CASES)
def test_failing_tests_of_the_runners_found(case):
    lines, truth = _case(case)
    found = {h.test_id for h in map(packs.failing_test, lines) if h is not None}
    assert [t for t in truth["failing_tests"] if t not in found] == []
    for want in truth["totals"]:
        line = next(l for l in lines if l.strip() == want)
        hit = packs.totals(line)
        assert hit is not None, want
        failed = bool(re.search(r"\b[1-9]\d* failing$|fail [1-9]\d*$", want))
        assert RunTotals(0, hit.pack, hit.text, hit.failed).failed is failed, want


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_error_codes_are_critical(case, profile):
    lines, truth = _case(case)
    levels = _levels(lines, profile)
    codes: dict[str, Level] = {}
    for line, level in zip(lines, levels, strict=False):
        m = CODE_LINE.match(line)
        if m:
            code = next(g for g in m.groups() if g)
            codes[code] = min(level, codes.get(code, Level.VERBOSE))
    for code in truth["error_codes"]:
        assert code in codes, code
        # npm's and pnpm's codes open the failure; yarn 4's name each error line
        assert codes[code] <= (Level.HIGH if code.startswith("YN") else Level.CRITICAL), (code, codes[code])


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_of_key_lines(profile):
    want = {
        # npm 11 / npm 9 / npm 6
        "npm error Lifecycle script `test` failed with error:": Level.CRITICAL,
        "npm ERR! Lifecycle script `test` failed with error: ": Level.CRITICAL,
        "npm error code E404": Level.CRITICAL,
        "npm ERR! code ELIFECYCLE": Level.CRITICAL,
        "npm ERR! Test failed.  See above for more details.": Level.CRITICAL,
        "npm ERR! Failed at the site@0.8.0 lint script.": Level.CRITICAL,
        'npm error Missing script: "build"': Level.CRITICAL,
        "npm error 404 Not Found - GET https://registry.npmjs.org/this-package-does-not-exist-xyz": Level.HIGH,
        "npm error notarget No matching version found for left-pad@99.0.0.": Level.HIGH,
        "npm error ERESOLVE unable to resolve dependency tree": Level.HIGH,
        "npm error code 1": Level.HIGH,
        "npm error command sh -c mocha test": Level.HIGH,
        "npm ERR! errno 1": Level.HIGH,
        "npm error": Level.LOW,
        "npm ERR! ": Level.LOW,
        "npm error   --ignore-scripts": Level.LOW,
        "npm error     If true, npm does not run scripts specified in package.json files.": Level.LOW,
        "npm error A complete log of this run can be found in: /root/.npm/_logs/2026-12-01T15_40_10_722Z-debug-0.log": Level.LOW,
        "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.": Level.MEDIUM,
        "npm WARN site@0.8.0 No repository field.": Level.MEDIUM,
        "npm http fetch GET 200 https://registry.npmjs.org/mocha 52ms (cache hit)": Level.VERBOSE,
        # pnpm 10, 11-12
        " ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL  @mono/web@1.0.0 test: `mocha test`": Level.CRITICAL,
        " ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/this-package-does-not-exist-xyz: Not Found - 404": Level.CRITICAL,
        " ELIFECYCLE  Test failed. See above for more details.": Level.CRITICAL,
        " ELIFECYCLE  Command failed with exit code 1.": Level.CRITICAL,
        "\u2009ERR_PNPM_FETCH_404\u2009 GET https://registry.npmjs.org/x: Not Found - 404": Level.CRITICAL,
        "\u2009ELIFECYCLE\u2009 Test failed. See above for more details.": Level.CRITICAL,
        "[ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL] pnpm@11.0.6 .test: `jest`": Level.CRITICAL,
        "[ELIFECYCLE] Command failed with exit code 1.": Level.CRITICAL,
        "Error: ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL": Level.CRITICAL,
        "Exit status 1": Level.HIGH,
        "packages/web test: Failed": Level.HIGH,
        "Progress: resolved 75, reused 75, downloaded 0, added 75, done": Level.VERBOSE,
        "packages/web test:     ✔ renders error messages safely": Level.VERBOSE,
        # yarn 1
        "error Command failed with exit code 1.": Level.CRITICAL,
        'error An unexpected error occurred: "https://registry.npmjs.org/this-package-does-not-exist-xyz: Not found".': Level.CRITICAL,
        "error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.": Level.CRITICAL,
        "[1/4] Resolving packages...": Level.VERBOSE,
        "info Visit https://yarnpkg.com/en/docs/cli/run for documentation about this command.": Level.LOW,
        # yarn 4
        "➤ YN0000: · Failed with errors in 0s 659ms": Level.CRITICAL,
        "➤ YN0035: │ this-package-does-not-exist-xyz@npm:^1.0.0: Package not found": Level.HIGH,
        "➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden.": Level.HIGH,
        "➤ YN0013: │ 75 packages were added to the project (+ 4.2 MiB).": Level.VERBOSE,
        "➤ YN0000: · Done in 0s 312ms": Level.LOW,
    }
    got = _levels(list(want), profile)
    for (line, level), have in zip(want.items(), got, strict=False):
        assert have == level, (line, have)


def test_not_read_in_other_logs():
    """No line of another ecosystem's fixture is critical by this pack's rules alone."""
    rules = list(node_pm.PACK.rules)
    critical = [r.pattern for r in rules if r.level == Level.CRITICAL]
    rx = re.compile("|".join(f"(?:{p})" for p in critical))
    for d in sorted(DATA.iterdir()):
        if not d.is_dir() or d.name.startswith(("node_pm-", "js-", "jslint-")):
            continue
        for line in ANSI.sub("", (d / "job.log").read_text(encoding="utf-8")).splitlines():
            assert not rx.search(line), (d.name, line)


def _case(name: str) -> tuple[list[str], dict]:
    return raw_case(name, strip_ansi=True)  # the reader strips colours
