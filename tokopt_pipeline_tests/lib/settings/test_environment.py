"""A ``TOKOPT_*`` variable with a value of the wrong kind is a usage error naming the
variable (exit 2) for every command, never a traceback."""

from __future__ import annotations

import pytest

from tokopt_pipeline.lib.errors import BadEnvironment
from tokopt_pipeline.lib.settings.environment import check_environment, seconds
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import run_main

BAD = [
    ("TOKOPT_LOCK_TIMEOUT", "abc", "a number of seconds"),
    ("TOKOPT_LOCK_TIMEOUT", "-1", "0 or more"),
    ("TOKOPT_LOCK_TIMEOUT", "nan", "0 or more"),
    ("TOKOPT_LOCK_TIMEOUT", "inf", "0 or more"),
    ("TOKOPT_SENSOR_INTERVAL", "30s", "a whole number"),
    ("TOKOPT_SMTP_PORT", "smtp", "a whole number from 1 to 65535"),
    ("TOKOPT_SMTP_PORT", "70000", "a whole number from 1 to 65535"),
    ("TOKOPT_SMTP_STARTTLS", "maybe", "one of 1, 0, true"),
    ("TOKOPT_DUCKDB_PATH", "   ", "a path"),
    ("TOKOPT_PENDING_DIR", " ", "a path"),
    ("TOKOPT_LOG_DIR", "\t", "a path"),
    ("TOKOPT_OUTPUT_DIR", "  ", "a path"),
    ("TOKOPT_EXECUTOR", "threads", "one of in_process, multiprocess, k8s"),
    ("TOKOPT_MAX_CONCURRENT", "0", "a whole number 1 or more"),
]


@pytest.mark.parametrize(("name", "value", "want"), BAD)
@pytest.mark.parametrize("command", [["ci.log"], ["usage", "check"], ["memory", "check"], ["--check-usage"]])
def test_a_bad_value_is_a_usage_error_naming_the_variable(tmp_path, capsys, monkeypatch, name, value, want, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci.log").write_text("E   ValueError: boom\n")
    monkeypatch.setenv(name, value)
    rc, out, err = run_main(capsys, *command)
    assert rc == 2
    assert err.startswith(f"tokopt: error: {name}=") and want in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "logs").exists()  # nothing was done


@pytest.mark.parametrize("value, expected", [("", 10.0), ("0", 0.0), ("2.5", 2.5), (" 30 ", 30.0)])
def test_good_values_are_read(monkeypatch, value, expected):
    monkeypatch.setenv("TOKOPT_LOCK_TIMEOUT", value)
    assert seconds("TOKOPT_LOCK_TIMEOUT", 10.0) == expected
    assert Store.from_env().lock_timeout == expected
    check_environment()


def test_the_python_api_gets_the_same_error(monkeypatch):
    monkeypatch.setenv("TOKOPT_LOCK_TIMEOUT", "ten")
    with pytest.raises(BadEnvironment, match="TOKOPT_LOCK_TIMEOUT='ten' is not a number of seconds") as info:
        Store.from_env()
    assert info.value.exit_code == 2


def test_every_variable_the_code_reads_is_checked():
    """A new TOKOPT_* variable with a typed value joins check_environment."""
    import re
    from pathlib import Path

    import tokopt_pipeline
    from tokopt_pipeline.lib.settings import environment

    root = Path(tokopt_pipeline.__file__).parent
    read = set()
    for path in root.rglob("*.py"):
        read |= set(re.findall(r"\b(TOKOPT_[A-Z_]+[A-Z])\b", path.read_text(encoding="utf-8")))
    text_only = {"TOKOPT_ALERT_EMAIL", "TOKOPT_SMTP_HOST", "TOKOPT_SMTP_FROM", "TOKOPT_SMTP_USER", "TOKOPT_SMTP_PASSWORD",
                 "TOKOPT_SMTP_CONFIG", "TOKOPT_SMTP_CA_FILE"}
    documented = set(re.findall(r"``(TOKOPT_[A-Z_]+)``", environment.__doc__ or ""))
    assert read - text_only - documented == set()
