"""The docker runner pack on real BuildKit, classic builder and docker CLI output.

Fixtures: tokopt_pipeline_tests/data/ecosystems/docker-build (made by bench/ecosystems/docker.sh
with Docker 20.10) and docker-buildx-bake (an excerpt of a real `docker buildx bake` failure in
GitHub Actions from the LogDx-CI benchmark, CC-BY-4.0; see its SOURCE.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import docker
from tokopt_pipeline.lib.engine.priority import Level, tag_levels, validate_regex
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline_tests.conftest import TESTS
from tokopt_pipeline_tests.lib.engine.packs.fixture import assert_examples, assert_levels, fixture_lines, lines, truth

DATA = TESTS / "data" / "ecosystems"
CASES = ["docker-build", "docker-buildx-bake"]
PROFILES = ["generic", "github-actions"]
C, H, M, L, V = Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW, Level.VERBOSE


# --- the patterns themselves ----------------------------------------------------------

def test_patterns_compile_in_python_and_polars():
    for rule in docker.PACK.rules:
        validate_regex(rule.pattern)
    for p in list(docker.PACK.block_starts) + [docker.PACK.detect]:
        re.compile(p)
        validate_regex(p)
    assert 5 <= len(docker.PACK.rules) <= 15


def test_fixture_truth_occurs_verbatim():
    for case in CASES:
        text = (DATA / case / "job.log").read_text()
        t = truth(case)
        for key in ("failing_tests", "error_locations", "error_codes", "totals", "error_messages", "failing_steps"):
            for s in t[key]:
                assert s in text, (case, key, s)
        assert t["error_messages"] and t["failing_steps"]
    assert len((DATA / "docker-buildx-bake" / "job.log").read_text().splitlines()) <= 200


# --- levels ---------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_failures_are_critical_and_their_context_high(case, profile):
    assert_levels(case, profile, r"^#\d+ ERROR: ", {C})
    assert_levels(case, profile, r"^ > \[[^\]]+\] .*:$", {H})
    for message in truth(case)["error_messages"]:
        if not message.startswith("##[error]"):
            assert_levels(case, profile, re.escape(message), {C, H})


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_buildkit_v2_output(profile):
    case = "docker-buildx-bake"
    assert_levels(case, profile, r"^ERROR: failed to solve: ", {C})
    assert_levels(case, profile, r"^Dockerfile:336$", {H})
    assert_levels(case, profile, r"^#72 0\.149 wget: server returned error: HTTP/1\.1 502", {H})
    # step headers and status lines are noise, the failed step's header too (see failing_steps)
    assert_levels(case, profile, r"^#\d+ \[", {V})
    assert_levels(case, profile, r"^#\d+ (DONE [\d.]+s|CACHED|\.\.\.)$", {V})
    assert_levels(case, profile, r"^#\d+ (sha256:|extracting )", {V})
    assert_levels(case, profile, r"^#\d+ CANCELED$", {L})


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_docker_20_output(profile):
    case = "docker-build"
    assert_levels(case, profile, r"^executor failed running \[", {C})
    assert_levels(case, profile, r"^failed to (compute cache key|solve with frontend)", {C})
    assert_levels(case, profile, r"^The command '.*' returned a non-zero code: 2$", {C})
    assert_levels(case, profile, r"^docker: Error response from daemon: ", {C})
    assert_levels(case, profile, r"^Step \d+/\d+ : |^ ---> |^Removing intermediate container |^Sending build context", {V})
    assert_levels(case, profile, r"^#\d+ \[", {V})
    # a step whose command names errors is still a step header
    assert_levels(case, profile, r"^Step 5/6 : RUN echo .*configure: error", {V})


def test_failed_steps_link_to_their_error_by_number():
    """The data the engine needs to keep a failed step's header: its "#N" is on the error line."""
    for case in CASES:
        text = lines(case)
        for step in truth(case)["failing_steps"]:
            m = re.match(r"^(#\d+) (.*)$", step)
            if not m:  # the classic builder's "Step i/n : ..." header
                assert step.startswith("Step ") and step in text
                continue
            number, name = m.groups()
            assert any(l.startswith(number + " ERROR: ") for l in text), (case, step)
            assert " > " + name + ":" in text, (case, step)


def test_level_examples():
    examples = {
        "#12 ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 2": C,
        "ERROR: failed to build: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 2": C,
        "ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory": C,
        " > [build 3/7] RUN make:": H,
        "docker/api.Dockerfile:12": H,
        "Error response from daemon: No such container: web": H,
        " 1 warning found (use docker --debug to expand):": M,
        " - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)": M,
        "Unable to find image 'busybox:latest' locally": L,
        "#7 [build 2/5] RUN ./scripts/check-errors.sh": V,
        "a1b2c3d4e5f6: Pull complete": V,
        "Status: Downloaded newer image for busybox:1.36": V,
        "latest: Pulling from library/busybox": V,
    }
    assert_examples(examples)


def test_dockerfile_excerpt_rule():
    """The pack's own reading of the framed Dockerfile line (a rustc code-frame rule of an earlier
    pack, ``^ *\\d+ +\\|``, may take the line first in the full chain)."""
    from tokopt_pipeline.lib.engine.priority import tag_line

    assert tag_line(" 336 | >>> RUN wget https://x/y.tgz", list(docker.PACK.rules)) == H
    assert tag_line(" 335 |     SHELL [\"/bin/bash\", \"-c\"]", list(docker.PACK.rules)) == L


def test_block_starts():
    rx = re.compile(packs.block_start())
    for line in ("#72 [nydus 1/2] RUN wget https://x/y.tgz", "#72 ERROR: process \"x\" did not complete",
                 " > [nydus 1/2] RUN wget https://x/y.tgz:", "Dockerfile:336", "Step 3/7 : RUN make"):
        assert rx.search(line), line


# --- other ecosystems ------------------------------------------------------------------------

def other_fixtures() -> list[Path]:
    return sorted(p for p in DATA.glob("*/job.log") if not p.parent.name.startswith("docker-"))


def test_docker_rules_raise_no_line_of_other_fixtures():
    rules = get_profile("generic").all_rules()
    own = {id(r) for r in docker.PACK.rules}
    without = [r for r in rules if id(r) not in own]
    any_own = "|".join(f"(?:{r.pattern})" for r in docker.PACK.rules)
    cases, text = [], []
    for path in other_fixtures():
        series = fixture_lines(path)
        found = series.filter(series.str.contains(any_own)).to_list()  # only these can change
        cases += [path.parent.name] * len(found)
        text += found
    series = pl.Series(text, dtype=pl.Utf8)
    for case, line, a, b in zip(cases, text, tag_levels(series, rules).to_list(), tag_levels(series, without).to_list(), strict=False):
        assert a >= b, f"{case}: the docker rules raise {line!r}"
