"""The ``tokopt`` command as a user runs it: one behaviour per flag, through a subprocess."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import time
from functools import partial
from pathlib import Path

import pytest

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline_tests.conftest import NUMPY_LOG
from tokopt_pipeline_tests.conftest import tokopt as run_tokopt

tokopt = partial(run_tokopt, check=True)

pytestmark = pytest.mark.slow  # each test runs the command in a subprocess (about 1 s each, 30 s in all)

APP_LOG = """\
2025-03-01 10:00:00,001 INFO api: server started on port 8080
2025-03-01 10:00:01,002 INFO api: GET /health 200 in 3 ms
2025-03-01 10:00:02,003 WARNING cache: eviction rate high (512 keys/s)
2025-03-01 10:00:03,004 INFO billing: PaymentDeclined for order 7731 (card expired)
2025-03-01 10:00:04,005 ERROR db: connection refused by 10.0.0.7:5432
2025-03-01 10:00:05,006 WARNING cache: eviction rate high (734 keys/s)
2025-03-01 10:00:06,007 INFO api: GET /orders 200 in 41 ms
2025-03-01 10:00:07,008 DEBUG api: request headers parsed
"""


@pytest.fixture
def app_log(tmp_path) -> Path:
    p = tmp_path / "app.log"
    p.write_text(APP_LOG)
    return p


@pytest.fixture
def numpy_log(tmp_path) -> Path:
    p = tmp_path / "numpy_pytest.log"
    p.write_bytes(NUMPY_LOG.read_bytes())
    return p


def test_python_dash_m_runs_the_command(tmp_path):
    done = tokopt("--help", cwd=tmp_path)
    out = done.stdout.decode()
    assert out.startswith("Usage: tokopt [summarize] LOG")
    for command in ("summarize", "memory", "usage", "ci", "config", "diagnose", "mcp", "report"):
        assert f"\n  {command} " in out, command
    out = tokopt("summarize", "--help-all", cwd=tmp_path).stdout.decode()
    for flag in ("--token-budget", "--priority-filter", "--add-priority-pattern", "--export-templates", "--preprocess",
                 "--strict-estimation", "--max-log-size", "--max-logs", "--chunk-size", "--output"):
        assert flag in out


def test_version_names_the_installed_release(tmp_path):
    from importlib.metadata import version

    done = tokopt("--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == f"tokopt {version('tokopt')}"


def test_default_output_goes_to_logs_folder_with_a_header(numpy_log, tmp_path):
    done = tokopt(numpy_log.name, "--token-budget", "4000", cwd=tmp_path)
    out = tmp_path / "logs" / "numpy_pytest.summary.md"
    text = out.read_text()
    head = text.split("\n## ")[0]
    assert f"`{numpy_log.name}` · 8,372 lines · 984,043 bytes · profile pytest" in head
    assert "- **tokens**: in 291,002 (exact) · out " in head and "of 4,000 budget · reduction 9" in head
    assert "- **priorities** (lines): critical " in head and " verbose " in head
    assert "48 failing tests" in head
    # Every run's totals line, and the report on stdout names the file.
    assert "## Runs" in text and "passed" in text.split("## Runs")[1].split("##")[0]
    assert "summary: logs/numpy_pytest.summary.md" in done.stdout.decode()
    # The summary, and the manifest of what tokopt wrote there (for rotation).
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == [".tokopt-outputs.json", "numpy_pytest.summary.md"]


def test_output_dash_prints_only_the_summary_on_stdout(numpy_log, tmp_path):
    done = tokopt(numpy_log.name, "--token-budget", "1500", "--output", "-", cwd=tmp_path)
    text = done.stdout.decode()
    assert text.startswith("# tokopt summary: numpy_pytest.log")
    assert tok.count(text) <= 1500
    assert "summary: stdout" in done.stderr.decode()
    assert not (tmp_path / "logs").exists()


def test_stdin_dash_reads_the_log_from_a_pipe(numpy_log, tmp_path):
    done = tokopt("-", "--token-budget", "4000", "--output", "-", cwd=tmp_path, stdin=numpy_log.read_bytes())
    text = done.stdout.decode()
    assert "# tokopt summary: `(stdin)`" in text
    assert "48 failing tests" in text


@pytest.mark.parametrize("compress,label", [(gzip.compress, "gzip"), (bz2.compress, "bz2"), (lzma.compress, "xz")])
def test_compressed_input_is_detected_by_content(numpy_log, tmp_path, compress, label):
    (tmp_path / "build-output").write_bytes(compress(numpy_log.read_bytes()))
    tokopt("build-output", "--token-budget", "4000", "--output", "s.md", cwd=tmp_path)
    text = (tmp_path / "s.md").read_text()
    assert f"8,372 lines · 984,043 bytes ({label})" in text
    assert "48 failing tests" in text


def test_format_json_is_one_document_with_the_header_fields(numpy_log, tmp_path):
    tokopt(numpy_log.name, "--format", "json", "--token-budget", "4000", "--output", "s.json", cwd=tmp_path)
    doc = json.loads((tmp_path / "s.json").read_text())
    h = doc["header"]
    assert (h["lines"], h["bytes"], h["tokens_in"], h["tokens_in_exact"], h["token_budget"]) == (8372, 984043, 291002, True, 4000)
    assert h["tokens_out"] == tok.count((tmp_path / "s.json").read_text()) <= 4000
    assert set(h["priority_counts"]) == {"critical", "high", "medium", "low", "verbose"}
    runs = next(s for s in doc["sections"] if s["name"] == "runs")
    assert "failed" in runs["items"][0]["totals"]
    tests = next(s for s in doc["sections"] if s["name"] == "tests")
    assert tests["total"] == 48


def test_format_text_has_no_markdown(app_log, tmp_path):
    tokopt(app_log.name, "--format", "text", "--output", "s.txt", cwd=tmp_path)
    text = (tmp_path / "s.txt").read_text()
    assert text.startswith("tokopt summary: app.log")
    assert "**" not in text and "`" not in text and "\n#" not in text
    assert "connection refused by 10.0.0.7:5432" in text


def test_add_priority_pattern_lifts_a_line_to_critical(app_log, tmp_path):
    tokopt(app_log.name, "--output", "plain.md", cwd=tmp_path)
    plain = (tmp_path / "plain.md").read_text()
    assert "critical 0 ·" in plain
    tokopt(app_log.name, "--add-priority-pattern", "PaymentDeclined=critical", "--output", "lifted.md", cwd=tmp_path)
    lifted = (tmp_path / "lifted.md").read_text()
    assert "critical 1 ·" in lifted
    critical = lifted.split("## Critical lines")[1].split("\n## ")[0]
    assert "PaymentDeclined for order 7731" in critical


def test_add_priority_pattern_rejects_a_bad_level_or_regex(app_log, tmp_path):
    done = tokopt(app_log.name, "--add-priority-pattern", "Payment=urgent", cwd=tmp_path, check=False)
    assert done.returncode == 2 and "unknown priority level 'urgent'" in done.stderr.decode()
    done = tokopt(app_log.name, "--add-priority-pattern", "Payment(=high", cwd=tmp_path, check=False)
    assert done.returncode == 2 and "invalid priority pattern" in done.stderr.decode()
    assert not (tmp_path / "logs").exists()


def test_priority_filter_high_drops_warnings_and_below(app_log, tmp_path):
    tokopt(app_log.name, "--output", "all.md", cwd=tmp_path)
    everything = (tmp_path / "all.md").read_text()
    assert "eviction rate high" in everything and "server started" in everything
    tokopt(app_log.name, "--priority-filter", "high", "--output", "high.md", cwd=tmp_path)
    high = (tmp_path / "high.md").read_text()
    assert "connection refused by 10.0.0.7:5432" in high
    assert "eviction rate high" not in high and "server started" not in high and "headers parsed" not in high
    assert "only high and above" in high


def test_export_templates_writes_one_row_per_line(numpy_log, tmp_path):
    tokopt(numpy_log.name, "--export-templates", "t/templates.csv", "--output", "s.md", cwd=tmp_path)
    rows = (tmp_path / "t" / "templates.csv").read_text().splitlines()
    assert rows[0] == "line_number,template_id,template"
    assert len(rows) == 8372 + 1
    assert rows[1].startswith("1,")


def test_preprocess_and_chunk_size(numpy_log, tmp_path):
    tokopt(numpy_log.name, "--preprocess", "--chunk-size", "1000", "--output-dir", "out", cwd=tmp_path)
    chunks = [json.loads(l) for l in (tmp_path / "out" / "numpy_pytest.chunks.jsonl").read_text().splitlines()]
    assert [c["first_line"] for c in chunks] == [1 + 1000 * k for k in range(9)]
    assert chunks[-1]["last_line"] == 8372
    assert sum(sum(c["levels"].values()) for c in chunks) == 8372
    assert any(t["level"] == "critical" for c in chunks for t in c["templates"])
    # Adaptive by default: 500 lines per chunk for a file of this size.
    tokopt(numpy_log.name, "--preprocess", "--output-dir", "adaptive", cwd=tmp_path)
    chunks = (tmp_path / "adaptive" / "numpy_pytest.chunks.jsonl").read_text().splitlines()
    assert len(chunks) == -(-8372 // 500)


@pytest.fixture
def five_mb_log(numpy_log, tmp_path) -> Path:
    p = tmp_path / "big.log"
    p.write_bytes(numpy_log.read_bytes() * 5)  # above the 4 MiB exact-count threshold
    return p


def _tokens_in(summary: str) -> tuple[int, str]:
    part = summary.split("- **tokens**: in ")[1]
    number, rest = part.split(" (", 1)
    return int(number.replace(",", "")), rest.split(")", 1)[0]


def test_strict_estimation_counts_the_input_exactly(five_mb_log, tmp_path):
    exact = tok.count(five_mb_log.read_text())
    tokopt(five_mb_log.name, "--output", "est.md", cwd=tmp_path)
    n, label = _tokens_in((tmp_path / "est.md").read_text())
    assert label == "estimated"
    assert abs(n - exact) / exact < 0.15
    done = tokopt(five_mb_log.name, "--strict-estimation", "--output", "exact.md", cwd=tmp_path)
    n, label = _tokens_in((tmp_path / "exact.md").read_text())
    assert label == "exact"
    assert abs(n - exact) / exact < 0.001
    assert "≈" not in done.stdout.decode()


def test_calibrate_token_model_saves_a_model_that_estimates_closely(five_mb_log, app_log, tmp_path):
    done = tokopt("--calibrate-token-model", five_mb_log.name, cwd=tmp_path)
    out = done.stdout.decode()
    assert "pytest: tokens = " in out and "saved .tokopt/token_model.json" in out
    model = json.loads((tmp_path / ".tokopt" / "token_model.json").read_text())
    assert "pytest" in json.dumps(model)
    exact = tok.count(five_mb_log.read_text())
    tokopt(five_mb_log.name, "--output", "est.md", cwd=tmp_path)
    n, label = _tokens_in((tmp_path / "est.md").read_text())
    assert label == "estimated" and abs(n - exact) / exact < 0.03


def test_rotation_keeps_the_newest_summaries(app_log, tmp_path):
    for name in ("a", "b", "c", "d"):
        (tmp_path / f"{name}.log").write_text(APP_LOG)
        tokopt(f"{name}.log", "--output-dir", "out", "--max-logs", "2", cwd=tmp_path)
        time.sleep(0.02)
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["c.summary.md", "d.summary.md"]


def test_rotation_removes_summaries_over_the_size_limit(app_log, tmp_path):
    out = tmp_path / "out"
    (tmp_path / "old.log").write_text(APP_LOG)
    tokopt("old.log", "--output-dir", "out", cwd=tmp_path, check=True)
    size = (out / "old.summary.md").stat().st_size
    (out / "notes.txt").write_text("x" * 2 * size)  # not a summary: never touched
    (out / "mine.summary.md").write_text("x" * 2 * size)  # the user's own: never touched
    limit_mb = str(size / 2 / 1024 / 1024)
    tokopt(app_log.name, "--output-dir", "out", "--max-log-size", limit_mb, cwd=tmp_path, check=True)
    # tokopt's summary over the limit is gone; the one just written stays, though as large
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["app.summary.md", "mine.summary.md", "notes.txt"]


def test_writes_are_atomic_and_a_directory_as_output_is_refused(app_log, tmp_path):
    (tmp_path / "taken").mkdir()
    done = tokopt(app_log.name, "--output", "taken", cwd=tmp_path, check=False)
    assert done.returncode == 5 and "is a directory" in done.stderr.decode()
    tokopt(app_log.name, "--output", "nested/dir/s.md", cwd=tmp_path)
    assert [p.name for p in (tmp_path / "nested" / "dir").iterdir()] == ["s.md"]  # no temp file left


def test_outputs_get_the_permissions_a_plain_write_gives(app_log, tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    tokopt(app_log.name, "--output", "s.md", "--export-templates", "t.csv", cwd=tmp_path)
    for name in ("s.md", "t.csv"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_several_logs_in_one_command(app_log, numpy_log, tmp_path):
    tokopt(app_log.name, numpy_log.name, "--output-dir", "out", cwd=tmp_path)
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["app.summary.md", "numpy_pytest.summary.md"]


def test_process_logs_with_the_spec_args_example(numpy_log, tmp_path, monkeypatch):
    from tokopt_pipeline import process_logs

    monkeypatch.chdir(tmp_path)
    args = {
        "log_file": str(numpy_log),
        "output_dir": "./logs",
        "max_log_size": 5,  # MB
        "max_logs": 10,
        "token_budget": 76659,
        "store_memory": True,
        "track_usage": True,
    }

    class Args:
        def __init__(self, **kwargs):
            for key, value in kwargs.items():
                setattr(self, key, value)

    summary, log_path = process_logs(Args(**args))
    assert Path(log_path) == Path("logs") / "numpy_pytest.summary.md"
    text = Path(log_path).read_text()
    assert text == summary.text
    assert summary.tokens_out == tok.count(text) <= 76659
    assert len(summary.analysis.tests) == 48
    # The same call with a plain dict.
    summary2, _ = process_logs(dict(args, token_budget=4000))
    assert summary2.tokens_out <= 4000


def test_verbose_and_debug_tokens_report_on_stderr(numpy_log, tmp_path):
    done = tokopt(numpy_log.name, "--token-budget", "4000", "--verbose", "--debug-tokens", "--output", "s.md", cwd=tmp_path)
    err = done.stderr.decode()
    assert "MB/s" in err and "templates" in err
    total = next(line for line in err.splitlines() if line.startswith("total"))
    assert int(total.split()[1]) == tok.count((tmp_path / "s.md").read_text())


def test_token_buffer_is_taken_off_the_budget(numpy_log, tmp_path):
    tokopt(numpy_log.name, "--token-budget", "4000", "--token-buffer", "1000", "--output", "s.md", cwd=tmp_path)
    assert tok.count((tmp_path / "s.md").read_text()) <= 3000
