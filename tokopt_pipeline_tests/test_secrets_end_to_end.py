"""A log with planted secrets of every kind, through the real command with every output:
no secret value survives in the summary (any format), the preprocessed chunks or the
exported templates, and the failure in the log is still reported."""

from __future__ import annotations

import gzip
from functools import partial

import pytest

from tokopt_pipeline_tests.conftest import tokopt
from tokopt_pipeline_tests.fixtures_secrets import planted_secrets_log

_tokopt = partial(tokopt, check=True)

pytestmark = pytest.mark.slow  # the command run in subprocesses on every output format


def _assert_clean(text: str, secrets: list[str], where: str) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{where} leaks {leaked}"


@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
def test_no_secret_survives_in_any_output(tmp_path, fmt):
    text, secrets = planted_secrets_log()
    # Surround the secrets with enough ordinary output that templates repeat.
    noise = "".join(f"2024-05-01T10:00:{i % 60:02d}Z step {i} finished in {i * 7 % 300} ms\n" for i in range(400))
    (tmp_path / "ci.log").write_text(noise + text + noise)
    out = tmp_path / "out"
    _tokopt("ci.log", "--format", fmt, "--output-dir", str(out), "--preprocess", "--export-templates", str(out / "templates.csv"), cwd=tmp_path)
    files = sorted(out.iterdir())
    assert {p.name for p in files} == {f"ci.summary.{ {'markdown': 'md', 'json': 'json', 'text': 'txt'}[fmt] }", "ci.chunks.jsonl", "templates.csv"}
    for p in files:
        _assert_clean(p.read_text(encoding="utf-8"), secrets, p.name)
    summary = next(p for p in files if ".summary." in p.name).read_text()
    assert "test_login" in summary
    assert "REDACTED" in summary or "redacted" in summary


def test_no_secret_survives_compressed_input_on_stdin(tmp_path):
    text, secrets = planted_secrets_log()
    done = _tokopt("-", "--output", "-", "--token-budget", "2000", cwd=tmp_path, stdin=gzip.compress(text.encode()))
    _assert_clean(done.stdout.decode(), secrets, "stdout")
    _assert_clean(done.stderr.decode(), secrets, "stderr")
    assert "test_login" in done.stdout.decode()


def test_no_secret_survives_with_a_tiny_budget_or_the_token_debug_report(tmp_path):
    text, secrets = planted_secrets_log()
    (tmp_path / "ci.log").write_text(text)
    for budget in ("60", "300"):
        done = _tokopt("ci.log", "--token-budget", budget, "--output", "-", "--debug-tokens", "--verbose", cwd=tmp_path)
        _assert_clean(done.stdout.decode() + done.stderr.decode(), secrets, f"budget {budget}")
