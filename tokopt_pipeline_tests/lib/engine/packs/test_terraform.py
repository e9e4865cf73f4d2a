"""The terraform runner pack on real Terraform output.

Fixtures: tokopt_pipeline_tests/data/ecosystems/terraform-* (made by bench/ecosystems/terraform.sh
with Terraform 1.0.3 and the null provider; truth from Terraform's own -json output).
terraform-validate is coloured (the boxed diagnostics of GitHub Actions logs), terraform-apply
plain (-no-color). `terraform test` appeared in 1.6, so its lines are checked on examples in its
documented format.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.packs import terraform
from tokopt_pipeline.lib.engine.priority import Level, tag_levels, validate_regex
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline_tests.conftest import TESTS
from tokopt_pipeline_tests.lib.engine.packs.fixture import assert_examples, assert_levels, fixture_lines, lines, truth

DATA = TESTS / "data" / "ecosystems"
CASES = ["terraform-validate", "terraform-apply"]
PROFILES = ["generic", "github-actions"]
C, H, M, L, V = Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW, Level.VERBOSE


# --- the patterns themselves ----------------------------------------------------------

def test_patterns_compile_in_python_and_polars():
    for rule in terraform.PACK.rules:
        validate_regex(rule.pattern)
    for p in ([t.pattern for t in terraform.PACK.tests] + [t.pattern for t in terraform.PACK.totals]
              + list(terraform.PACK.block_starts) + [terraform.PACK.detect]):
        re.compile(p)
        validate_regex(p)
    for t in terraform.PACK.tests:
        assert "(?P<id>" in t.pattern and t.kind in ("failed", "error")
    for t in terraform.PACK.totals:
        re.compile(t.failed)
        validate_regex(t.failed)
    assert 5 <= len(terraform.PACK.rules) <= 15


def test_fixture_truth_occurs_verbatim():
    for case in CASES:
        text = (DATA / case / "job.log").read_text()
        t = truth(case)
        for key in ("failing_tests", "error_locations", "error_codes", "totals", "error_messages"):
            for s in t[key]:
                assert s in text, (case, key, s)
        assert t["error_locations"] and t["error_messages"]


# --- totals and terraform test ----------------------------------------------------------------

def test_totals_lines_are_read():
    for case in CASES:
        for text in truth(case)["totals"]:
            hits = [packs.totals(line) for line in lines(case) if line.strip() == text]
            assert hits and all(h is not None and h.pack == "terraform" and h.text == text for h in hits), text
            assert not any(h.failed for h in hits), text
    examples = {
        "Failure! 0 passed, 1 failed.": True,
        "Failure! 2 passed, 1 failed, 1 skipped.": True,
        "Success! 3 passed, 0 failed.": False,
        "Plan: 0 to add, 0 to change, 5 to destroy.": False,
        "Destroy complete! Resources: 5 destroyed.": False,
        "Success! The configuration is valid.": False,
        "Planning failed. Terraform encountered an error while generating this plan.": True,
    }
    for text, failed in examples.items():
        hit = packs.totals(text)
        assert hit is not None and hit.pack == "terraform" and hit.failed is failed, text


def test_terraform_test_runs():
    failing = {'  run "check_bucket_name"... fail': "check_bucket_name", 'run "setup"... fail': "setup"}
    for line, test_id in failing.items():
        hit = packs.failing_test(line)
        assert hit is not None and hit.pack == "terraform" and hit.test_id == test_id, line
    passing = ('  run "valid_string_concat"... pass', '  run "error_path_is_rejected"... pass',
               '  run "fail_fast"... skip', "tests/main.tftest.hcl... in progress", "tests/main.tftest.hcl... tearing down")
    for line in passing:
        assert packs.failing_test(line) is None, line
    assert_examples({**{line: C for line in failing}, **{line: V for line in passing},
                     "tests/main.tftest.hcl... fail": H, "Failure! 0 passed, 1 failed.": C})


# --- levels ---------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_diagnostics_are_high_and_located(case, profile):
    text = "\n".join(lines(case))
    for message in truth(case)["error_messages"]:
        if re.search("^(│ )?Error: " + re.escape(message) + "$", text, re.M):  # a diagnostic's summary
            assert_levels(case, profile, "^(│ )?Error: " + re.escape(message) + "$", {H})
        else:  # the first line of its detail, e.g. "Error running command '...': exit status 2."
            assert_levels(case, profile, "^(│ )?" + re.escape(message), {H, L})
    for where in truth(case)["error_locations"]:
        assert_levels(case, profile, r"^(│ )?  on " + re.escape(where) + r"(, in .*)?:$", {H})


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_validate(profile):
    case = "terraform-validate"
    assert_levels(case, profile, r"^│ Error: ", {H})
    assert_levels(case, profile, r"^│ Warning: ", {M})
    assert_levels(case, profile, r"^Error: Process completed with exit code 1\.$", {C})
    assert_levels(case, profile, r"^Initializing (the backend|provider plugins|modules)\.\.\.$", {V})
    assert_levels(case, profile, r"^- Install(ing|ed) hashicorp/null ", {V})


@pytest.mark.parametrize("profile", PROFILES)
def test_levels_apply(profile):
    case = "terraform-apply"
    assert_levels(case, profile, r"^Error: local-exec provisioner error$", {H})
    assert_levels(case, profile, r"^Error running command '.*': exit status \d+\.", {H})
    assert_levels(case, profile, r"^ERROR: Job failed: exit code 1$", {C})
    # summaries of a passing plan and apply
    assert_levels(case, profile, r"^(Plan: \d+ to add|Apply complete! Resources: )", {L})
    # apply progress is noise, for resources named error_pages / error-reports too
    assert_levels(case, profile, r"^\S+: (Creating\.\.\.|Creation complete after |Still creating\.\.\. |Provisioning with )", {V})
    assert_levels(case, profile, r"^null_resource\.(error_pages|bucket\[\"error-).*: (Creating|Creation complete)", {V})
    # the plan's body and a provisioner's output keep their words from lifting them
    assert_levels(case, profile, r"^  # null_resource\.bucket\[\"error-reports-.* will be created$", {L})
    assert_levels(case, profile, r"^ +\+ \"name\" += \"fleet-error-reports-", {L})
    assert_levels(case, profile, r"^\S+ \(local-exec\): ", {L})


def test_level_examples():
    examples = {
        "Planning failed. Terraform encountered an error while generating this plan.": C,
        "Error: Terraform exited with code 1.": C,
        "Error: Process completed with exit code 1.": C,
        "│ Error: Invalid reference": H,
        "│   on main.tf line 12, in resource \"aws_instance\" \"web\":": H,
        "  on modules/net/main.tf line 4:": H,
        "Warning: Argument is deprecated": M,
        "No changes. Your infrastructure matches the configuration.": L,
        "module.net.aws_subnet.private[\"eu-west-1a\"]: Refreshing state... [id=subnet-0a1b2c]": V,
        "data.aws_iam_policy_document.error_reporter: Reading...": V,
        "aws_lambda_function.failure_handler: Still creating... [20s elapsed]": V,
        "- Using previously-installed hashicorp/aws v5.31.0": V,
    }
    assert_examples(examples)


def test_block_starts():
    rx = re.compile(packs.block_start())
    for line in ("╷", '  run "check_bucket_name"... fail'):
        assert rx.search(line), line


# --- other ecosystems ------------------------------------------------------------------------

def other_fixtures() -> list[Path]:
    return sorted(p for p in DATA.glob("*/job.log") if not p.parent.name.startswith("terraform-"))


def test_other_ecosystems_fixtures_hold_no_terraform_results():
    candidate = f"(?:{packs.test_candidate()})|(?:{packs.totals_candidate()})"
    for path in other_fixtures():
        series = fixture_lines(path)
        for line in series.filter(series.str.contains(candidate)).to_list():
            for hit in (packs.failing_test(line), packs.totals(line)):
                assert hit is None or hit.pack != "terraform", f"{path.parent.name}: {line!r}"


def test_terraform_rules_raise_no_line_of_other_fixtures():
    rules = get_profile("generic").all_rules()
    own = {id(r) for r in terraform.PACK.rules}
    without = [r for r in rules if id(r) not in own]
    any_own = "|".join(f"(?:{r.pattern})" for r in terraform.PACK.rules)
    cases, text = [], []
    for path in other_fixtures():
        series = fixture_lines(path)
        found = series.filter(series.str.contains(any_own)).to_list()  # only these can change
        cases += [path.parent.name] * len(found)
        text += found
    series = pl.Series(text, dtype=pl.Utf8)
    for case, line, a, b in zip(cases, text, tag_levels(series, rules).to_list(), tag_levels(series, without).to_list(), strict=False):
        assert a >= b, f"{case}: the terraform rules raise {line!r}"
