"""CI validation reports: the spec's structure, exact counts, skipped files with reasons."""

from __future__ import annotations

import json
import os
import subprocess

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline_tests.conftest import run_main as _run

SPEC_KEYS = [
    "validation_time", "token_budget", "total_files_checked", "files_over_budget", "files_under_budget",
    "skipped_files", "total_token_count", "percentage_of_budget_used", "files",
]
FILE_KEYS = ["file_path", "file_size_bytes", "token_count", "under_budget", "percentage_of_budget"]


def _folder(tmp_path):
    d = tmp_path / "repo"
    (d / "sub").mkdir(parents=True)
    small = "def f(x):\n    return x + 1\n" * 20
    big = " ".join(f"word{i}" for i in range(2500))
    (d / "small.py").write_text(small)
    (d / "sub" / "big.txt").write_text(big)
    (d / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    os.symlink(d / "gone.txt", d / "dangling.log")
    (d / ".git").mkdir()
    (d / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return d, tok.count(small), tok.count(big)


def test_report_of_a_folder_is_exactly_right(tmp_path, capsys):
    d, n_small, n_big = _folder(tmp_path)
    budget = 4000
    assert n_small < budget < n_big
    report_path = tmp_path / "token_report.json"
    rc, out, err = _run(capsys, "--validate-ci", d, "--token-budget", budget, "--report-json", report_path)
    assert rc == 1, "a file over the budget fails without --fail-on-threshold"
    assert "1 file(s) over the budget" in err
    r = json.loads(report_path.read_text())
    assert list(r)[: len(SPEC_KEYS)] == SPEC_KEYS
    assert r["token_budget"] == budget
    assert r["total_files_checked"] == 2
    assert r["files_over_budget"] == 1
    assert r["files_under_budget"] == 1
    assert r["skipped_files"] == 2
    assert r["total_token_count"] == n_small + n_big
    assert r["percentage_of_budget_used"] == round(100 * (n_small + n_big) / budget, 1)
    files = {f["file_path"]: f for f in r["files"]}
    assert set(files) == {str(d / "small.py"), str(d / "sub" / "big.txt")}
    big = files[str(d / "sub" / "big.txt")]
    assert list(big) == FILE_KEYS
    assert big == {
        "file_path": str(d / "sub" / "big.txt"),
        "file_size_bytes": (d / "sub" / "big.txt").stat().st_size,
        "token_count": n_big,
        "under_budget": False,
        "percentage_of_budget": round(100 * n_big / budget, 1),
    }
    assert files[str(d / "small.py")]["under_budget"] is True
    reasons = {s["file_path"]: s["reason"] for s in r["skipped"]}
    assert reasons == {str(d / "logo.png"): "binary", str(d / "dangling.log"): "unreadable: broken symbolic link"}
    assert ".git" not in out


def test_unreadable_file_is_skipped_with_its_reason(tmp_path, capsys):
    if os.geteuid() == 0:
        # root reads any file despite its mode; this one fails on read for everyone
        target = "/proc/self/mem"
        expected = "unreadable: Input/output error"
    else:
        target = tmp_path / "secret.log"
        target.write_text("x")
        target.chmod(0)
        expected = "unreadable: Permission denied"
    report = tmp_path / "r.json"
    rc, _, _ = _run(capsys, "--validate-ci", target, "--report-json", report)
    assert rc == 0
    r = json.loads(report.read_text())
    assert r["skipped"] == [{"file_path": str(target), "reason": expected}]
    assert r["total_files_checked"] == 0


def test_exit_code_follows_fail_on_threshold(tmp_path, capsys):
    d, n_small, n_big = _folder(tmp_path)
    budget = 4000
    pct = round(100 * (n_small + n_big) / budget, 1)
    rc, _, _ = _run(capsys, "--validate-ci", d, "--token-budget", budget, "--fail-on-threshold", pct)
    assert rc == 0, "equal to the threshold is not above it"
    rc, _, err = _run(capsys, "--validate-ci", d, "--token-budget", budget, "--fail-on-threshold", pct - 0.1)
    assert rc == 1
    assert f"above --fail-on-threshold {pct - 0.1:g}%" in err
    rc, _, _ = _run(capsys, "--validate-ci", d / "small.py", "--token-budget", budget)
    assert rc == 0


def test_globs_and_missing_paths(tmp_path, capsys):
    d, n_small, _ = _folder(tmp_path)
    report = tmp_path / "r.json"
    rc, _, _ = _run(capsys, "--validate-ci", f"{d}/**/*.py", d / "nope.txt", f"{d}/*.none", "--report-json", report)
    r = json.loads(report.read_text())
    assert [f["file_path"] for f in r["files"]] == [str(d / "small.py")]
    assert {s["reason"] for s in r["skipped"]} == {"not found", "no files match this pattern"}


def test_changed_since_takes_the_files_git_reports(tmp_path, capsys, monkeypatch):
    repo = tmp_path / "g"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*a):
        subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True, env=env)

    git("init", "-q", "-b", "main")
    (repo / "old.txt").write_text("unchanged\n")
    (repo / "gone.txt").write_text("to be deleted\n")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    (repo / "new.md").write_text("# new\n" * 5)
    (repo / "gone.txt").unlink()
    git("add", "-A")
    git("commit", "-q", "-m", "two")
    monkeypatch.chdir(repo)
    report = tmp_path / "r.json"
    rc, _, _ = _run(capsys, "--validate-ci", "--changed-since", "HEAD~1", "--report-json", report)
    assert rc == 0
    r = json.loads(report.read_text())
    assert [f["file_path"] for f in r["files"]] == ["new.md"]
    assert r["skipped_files"] == 0
    rc, _, err = _run(capsys, "--validate-ci", "--changed-since", "no-such-rev")
    assert rc == 2
    assert "--changed-since no-such-rev" in err


def test_report_markdown_and_from_report(tmp_path, capsys):
    d, _, _ = _folder(tmp_path)
    report = tmp_path / "r.json"
    _run(capsys, "--validate-ci", d, "--token-budget", 4000, "--report-json", report)
    md = tmp_path / "summary.md"
    rc, _, _ = _run(capsys, "--from-report", report, "--report-markdown", md)
    assert rc == 1  # the saved report has a file over budget
    text = md.read_text()
    assert "| file | bytes | tokens | % of budget | status |" in text
    assert "skipped: binary" in text
