"""JSON profiles: validation errors name the key and its line; saving and loading work."""

from __future__ import annotations

import json

from tokopt_pipeline.lib.settings.profile_files import load_profiles, save_profile
from tokopt_pipeline_tests.conftest import EXAMPLE_LOG
from tokopt_pipeline_tests.conftest import run_main as _run

BAD = """{
  "version": 1,
  "profiles": {
    "nightly": {
      "settings": {
        "prority_filter": "high",
        "token_budget": -5
      }
    }
  }
}
"""


def test_a_misspelt_setting_is_reported_with_its_line(tmp_path, capsys):
    p = tmp_path / "profiles.json"
    p.write_text(BAD)
    rc, _, err = _run(capsys, EXAMPLE_LOG, "--custom-profile-path", p, "--output", tmp_path / "s.md")
    assert rc == 6
    assert "line 6: profiles.nightly.settings.prority_filter: unknown setting 'prority_filter'" in err
    assert "line 7: profiles.nightly.settings.token_budget: -5 is less than the minimum of 1" in err
    assert not (tmp_path / "s.md").exists()


def test_broken_json_names_line_and_column(tmp_path, capsys):
    p = tmp_path / "profiles.json"
    p.write_text('{\n  "profiles": {\n    "a": {"settings": {}}\n    "b": {}\n  }\n}\n')
    rc, _, err = _run(capsys, EXAMPLE_LOG, "--custom-profile-path", p)
    assert rc == 6
    assert "line 4 column 5: not valid JSON" in err


def test_unknown_profile_name_lists_the_ones_there(tmp_path, capsys):
    p = tmp_path / "profiles.json"
    p.write_text(json.dumps({"profiles": {"a": {"settings": {}}, "b": {"settings": {}}}}))
    rc, _, err = _run(capsys, EXAMPLE_LOG, "--optimization-profile", "high-compression", "--custom-profile-path", p)
    assert rc == 6
    assert "no profile 'high-compression'" in err and "a, b" in err


def test_profile_extends_a_preset_and_overrides_it(tmp_path, capsys):
    p = tmp_path / "compression.json"
    p.write_text(json.dumps({"profiles": {"high-compression": {"extends": "max-compression", "settings": {"token_budget": 2500}}}}))
    out = tmp_path / "s.txt"
    rc, _, _ = _run(capsys, EXAMPLE_LOG, "--optimization-profile=high-compression", f"--custom-profile-path={p}", "--output", out)
    assert rc == 0
    text = out.read_text()
    assert "out" in text and "/2,500" in text or "of 2,500 budget" in text
    assert not text.startswith("#")  # text format from max-compression


def test_save_profile_validates_and_round_trips(tmp_path):
    p = tmp_path / "p.json"
    save_profile(p, "one", {"token_budget": 9000, "priority_filter": "high", "not_a_setting": 1})
    save_profile(p, "two", {"format": "json"}, extends="monitoring")
    pf = load_profiles(p)
    assert pf.profiles["one"]["settings"] == {"token_budget": 9000, "priority_filter": "high"}
    assert pf.profiles["two"]["extends"] == "monitoring"


def test_save_profile_from_the_command_line_without_a_log(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = _run(capsys, "--preset", "ci-integration", "--token-budget", "12000", "--save-profile", "team")
    assert rc == 0
    saved = json.loads((tmp_path / ".tokopt" / "profiles.json").read_text())["profiles"]["team"]["settings"]
    assert saved["token_budget"] == 12000 and saved["priority_filter"] == "high"


def test_validate_config_says_what_is_wrong(tmp_path, capsys):
    rc, out, err = _run(
        capsys, tmp_path / "missing.log", "--validate-config", "--add-priority-pattern", "([=high",
        "--component-budgets", '{"api": 90000}', "--token-budget", "1000",
    )
    assert rc == 1
    assert "FAIL" in out
    assert "missing.log: not found" in out
    assert "invalid priority pattern" in out
    assert "component budgets add up to 90,000, more than --token-budget 1,000" in out


def test_validate_config_passes_on_a_good_setup(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"profiles": {"x": {"settings": {"token_budget": 5000}}}}))
    rc, out, _ = _run(capsys, EXAMPLE_LOG, "--validate-config", "--custom-profile-path", p)
    assert rc == 0, out
    assert "configuration ok" in out


def test_validate_config_reports_a_bad_profile_file_instead_of_stopping(tmp_path, capsys):
    p = tmp_path / "profiles.json"
    p.write_text(BAD)
    rc, out, _ = _run(capsys, "--validate-config", "--custom-profile-path", p)
    assert rc == 1
    assert "line 6" in out and "prority_filter" in out
