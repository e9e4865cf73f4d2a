"""One settings path: defaults < preset < profile < what the caller gives."""

from __future__ import annotations

import argparse
import json

import pytest

from tokopt_pipeline.lib.engine.priority import Level, UsageError
from tokopt_pipeline.lib.settings.layers import layered, summary_options


def test_defaults_when_nothing_is_given():
    opts = summary_options({})
    assert (opts.token_budget, opts.priority_filter, opts.fmt, opts.max_traceback_lines) == (76659, Level.VERBOSE, "markdown", 14)
    assert opts.component_budgets is None and opts.collect_run_meta is False and opts.max_batch_lines is None


def test_a_preset_fills_in_and_an_explicit_value_wins():
    merged, sources = layered({"preset": "ci-integration", "priority_filter": "medium"})
    assert merged["token_budget"] == 16000 and merged["token_buffer"] == 500
    assert merged["priority_filter"] == "medium"
    assert sources and "ci-integration" in sources[0]


def test_a_profile_file_extends_a_preset_and_its_patterns_apply_unless_given(tmp_path):
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps({"profiles": {"mine": {"extends": "monitoring", "settings": {"add_priority_pattern": ["Boom=critical"]}}}}))
    merged, _ = layered({"optimization_profile": "mine", "custom_profile_path": str(path)})
    assert merged["format"] == "json" and merged["token_budget"] == 8000
    assert merged["add_priority_pattern"] == ["Boom=critical"]
    merged, _ = layered({"optimization_profile": "mine", "custom_profile_path": str(path), "add_priority_pattern": ["Bang=high"]})
    assert merged["add_priority_pattern"] == ["Bang=high"]


def test_namespaces_and_mappings_read_alike():
    ns = argparse.Namespace(token_budget=4000, priority_filter="high", format="json", memory_optimized=True, store_memory=True)
    a = summary_options(ns)
    b = summary_options(vars(ns))
    assert a == b
    assert (a.token_budget, a.priority_filter, a.fmt) == (4000, Level.HIGH, "json")
    assert a.max_batch_lines == 10_000 and a.chunk_size == 2000 and a.collect_run_meta


def test_component_budgets_as_json_text_or_a_mapping():
    assert summary_options({"component_budgets": '{"api": 100}'}).component_budgets == summary_options({"component_budgets": {"api": 100}}).component_budgets


def test_bad_values_are_usage_errors():
    with pytest.raises(UsageError):
        summary_options({"profile": "no-such-profile"})
    with pytest.raises(UsageError):
        summary_options({"priority_filter": "loud"})
    with pytest.raises(UsageError):
        layered({"preset": "no-such-preset"})
