"""CI job structure: the failing step of a GitHub Actions, GitLab CI or image-build log,
what the summary opens with, and what it demotes (a step's echoed script, post-job
cleanup)."""

from __future__ import annotations

from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.priority import Level
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline_tests.conftest import TESTS

DATA = TESTS / "data"
GHA = DATA / "ci" / "github-actions-prettier.log"


def test_the_failing_github_actions_step_is_found_with_its_command_exit_code_and_last_lines():
    a = analyze(str(GHA))
    assert len(a.failed_steps) == 1
    step = a.failed_steps[0]
    assert step.name == "yarn prettier-check" and step.exit_code == 1 and step.job == "Run prettier"
    assert [t for _, t in step.annotations] == ["##[error]Process completed with exit code 1."]
    tail = [t for _, t in step.tail]
    assert "packages/react-dom/src/__tests__/ReactDOMFragmentRefs-test.js" in tail
    assert tail[-1] == "info Visit https://yarnpkg.com/en/docs/cli/run for documentation about this command."
    assert not any(t.startswith(("shell:", "env:", "##[")) for t in tail)  # the step's settings are not output


def test_the_summary_opens_with_what_failed_even_at_a_small_budget():
    s = summarize(str(GHA), SummaryOptions(token_budget=600))
    assert s.tokens_out <= 600
    head = s.text.split("## ")[1]
    assert head.startswith("What failed")
    assert "`yarn prettier-check`" in head and "exit code 1" in head
    assert "##[error]Process completed with exit code 1." in head


def test_a_steps_echoed_script_and_post_job_cleanup_are_not_errors(tmp_path):
    log = tmp_path / "job.log"
    log.write_text(
        "\n".join([
            "##[group]Run if ! command -v cargo; then",
            "if ! command -v cargo; then",
            "  printf '::error::cargo is missing\\n'",
            "  exit 1",
            "fi",
            "shell: /usr/bin/bash -e {0}",
            "##[endgroup]",
            "cargo 1.95.0",
            "error: could not compile `app` (lib) due to 2 previous errors",
            "##[error]Process completed with exit code 101.",
            "Post job cleanup.",
            "error: failed to remove the temporary credentials",
        ]) + "\n",
        encoding="utf-8",
    )
    s = summarize(str(log), SummaryOptions(token_budget=2000))
    step = s.analysis.failed_steps[0]
    assert step.exit_code == 101
    assert [t for _, t in step.first_errors] == ["error: could not compile `app` (lib) due to 2 previous errors"]
    sections = {part.split("\n", 1)[0]: part for part in s.text.split("\n## ")[1:]}
    shown_as_errors = sections.get("Critical lines", "") + sections.get("Error lines", "")
    assert "printf '::error::" not in shown_as_errors and "exit 1" not in shown_as_errors
    assert "printf '::error::" in sections.get("Debug", "")  # the script is still there, as what it is
    levels = {t.example: t.level for t in s.analysis.templates.values()}
    assert levels["  exit 1"] == Level.VERBOSE
    assert levels["error: failed to remove the temporary credentials"] == Level.VERBOSE


def test_gitlab_sections_and_the_job_failure_name_the_failing_section(tmp_path):
    log = tmp_path / "gitlab.log"
    log.write_text(
        "\n".join([
            "section_start:1700000000:prepare_script\rPreparing environment",
            "Running on runner-abc via host...",
            "section_end:1700000001:prepare_script\r",
            "section_start:1700000002:step_script\rExecuting \"step_script\" stage of the job script",
            "$ make test",
            "cc -c src/a.c",
            "src/a.c:12:5: error: 'x' undeclared (first use in this function)",
            "make: *** [Makefile:12: a.o] Error 1",
            "section_end:1700000003:step_script\r",
            "ERROR: Job failed: exit code 2",
        ]) + "\n",
        encoding="utf-8",
    )
    a = analyze(str(log))
    assert [s.name for s in a.failed_steps] == ["step_script"]
    step = a.failed_steps[0]
    assert step.exit_code == 2
    assert "make: *** [Makefile:12: a.o] Error 1" in [t for _, t in step.tail]


def test_a_gitlab_job_failure_after_its_post_job_sections_names_the_script(tmp_path):
    """GitLab prints artifacts, caches and ``cleanup_file_variables`` after the script,
    then ``ERROR: Job failed``: the failing step is the script, not the cleanup, and the
    post-job lines are demoted (the job failure itself is not)."""
    esc = "\x1b[0K"
    log = tmp_path / "gitlab.log"
    log.write_bytes("\n".join([
        f"section_start:1700000000:prepare_script\r{esc}{esc}\x1b[36;1mPreparing environment\x1b[0;m",
        "Running on runner-abc via host...",
        f"section_end:1700000001:prepare_script\r{esc}",
        f"section_start:1700000002:step_script\r{esc}{esc}\x1b[36;1mExecuting \"step_script\" stage of the job script\x1b[0;m",
        "\x1b[32;1m$ npm test\x1b[0;m",
        "FAIL src/cart.test.js",
        "Tests:       1 failed, 9 passed, 10 total",
        f"section_end:1700000010:step_script\r{esc}",
        f"section_start:1700000011:after_script\r{esc}{esc}\x1b[36;1mRunning after_script\x1b[0;m",
        "\x1b[32;1m$ echo done\x1b[0;m",
        "done",
        f"section_end:1700000012:after_script\r{esc}",
        f"section_start:1700000013:upload_artifacts_on_failure\r{esc}{esc}\x1b[36;1mUploading artifacts for failed job\x1b[0;m",
        "ERROR: No files to upload",
        f"section_end:1700000014:upload_artifacts_on_failure\r{esc}",
        f"section_start:1700000015:cleanup_file_variables\r{esc}{esc}\x1b[36;1mCleaning up project directory and file based variables\x1b[0;m",
        f"section_end:1700000016:cleanup_file_variables\r{esc}",
        "\x1b[31;1mERROR: Job failed: exit code 1",
        "\x1b[0;m",
    ]).encode() + b"\n")
    a = analyze(str(log))
    assert [s.name for s in a.failed_steps] == ["step_script"]
    step = a.failed_steps[0]
    assert step.exit_code == 1 and step.annotations == [(18, "ERROR: Job failed: exit code 1")]
    assert "FAIL src/cart.test.js" in [t for _, t in step.tail]
    assert max(ln for ln, _ in step.tail) <= 7  # the script's own last lines, not the cleanup's
    levels = {t.example: t.level for t in a.templates.values()}
    # the marker stays, parted from the header the terminal showed in its place
    assert "section_start:1700000015:cleanup_file_variables Cleaning up project directory and file based variables" in levels
    assert levels["ERROR: No files to upload"] == Level.VERBOSE  # the artifacts step's, after the script
    assert min(t.level for t in a.templates.values() if "Job failed" in t.example) <= Level.HIGH


def test_image_build_steps_that_fail_are_failing_steps_with_their_own_output():
    a = analyze(str(DATA / "ecosystems" / "docker-build" / "job.log"))
    names = [s.name for s in a.failed_steps]
    assert any(n.startswith("#7 [4/5] RUN wget") for n in names)
    wget = next(s for s in a.failed_steps if s.name.startswith("#7 [4/5] RUN wget"))
    assert wget.exit_code == 1
    assert any("502 Bad Gateway" in t for _, t in wget.tail)
    assert any(n.startswith("Step 5/6 : RUN") for n in names)  # the classic builder's step


def test_a_log_without_ci_markup_has_no_failing_steps(tmp_path):
    log = tmp_path / "plain.log"
    log.write_text("starting\nerror: something broke\ndone\n", encoding="utf-8")
    assert analyze(str(log)).failed_steps == []
