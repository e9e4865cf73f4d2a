"""The cross-run memory on the Dagster side: summaries marked and recorded like the
command's, and ``error_entities`` carrying the memory's figures.

The logs are real pytest ``-v`` runs of a generated module whose failures change from
run to run (see ``lib/test_memory.py``): run 1 fails recurring, flip and fixed; run 2
recurring; run 3 recurring and flip (flaky now); run 4 recurring and late (a new error).
"""

from pathlib import Path

import dagster as dg
import pytest

from tokopt_pipeline.cli import main
from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline_tests.conftest import labelled
from tokopt_pipeline_tests.lib.memory.test_memory import FLIP, make_suite_logs

from .helpers import definitions, materialize_cross_log, materialize_log, metadata

pytestmark = pytest.mark.slow  # Dagster materializations and command runs (12 s in all)


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> list[Path]:
    return make_suite_logs(tmp_path_factory.mktemp("suite"))


def command(pipeline, log: Path) -> str:
    """``tokopt LOG --store-memory`` into the pipeline's store; returns the summary written."""
    out = pipeline.root / "cli-out"
    rc = main([str(log), "--store-memory", "--store-path", str(pipeline.db), "--token-budget", "3000", "--output-dir", str(out)])
    assert rc == 0
    return (out / f"{log.stem}.summary.md").read_text(encoding="utf-8")


def test_the_ui_and_the_command_share_one_memory(pipeline, logs):
    first, second, third, fourth = logs
    assert "**new**" not in command(pipeline, first) + command(pipeline, second)

    # The third run goes through Dagster: the flip test failed, passed, failed.
    path = pipeline.drop(third.name, third)
    key, result = materialize_log(pipeline, path, budget=3000)
    md = metadata(result, "budget_trimmed_summaries")
    text = Path(md["path"]).read_text(encoding="utf-8")
    assert labelled(text, "test_flip", "flaky") and "**new**" not in text
    assert (md["flaky_tests"], md["new_errors"]) == (1, 0)
    assert tok.count(text) == md["tokens_out"] <= 3000
    assert pipeline.query("SELECT text FROM summaries WHERE budget = 3000 AND run_id LIKE '%' || ?", [key]) == [(text,)]
    assert pipeline.query("SELECT count(*), count(*) FILTER (WHERE suite = 'nightly') FROM mem_runs") == [(3, 3)]

    # Rendered again at another budget: the same marks, nothing recorded twice.
    again = dg.materialize(
        [definitions().get_assets_def("budget_trimmed_summaries")], partition_key=key, instance=pipeline.instance,
        resources=pipeline.resources, run_config={"ops": {"budget_trimmed_summaries": {"config": {"token_budget": 2500}}}},
    )
    assert metadata(again, "budget_trimmed_summaries")["flaky_tests"] == 1
    assert labelled(Path(metadata(again, "budget_trimmed_summaries")["path"]).read_text(encoding="utf-8"), "test_flip", "flaky")
    assert pipeline.query("SELECT count(*) FROM mem_runs") == [(3,)]

    # The fourth run, from the command, knows what the Dagster run saw.
    text = command(pipeline, fourth)
    assert "**new** `KeyError: 'late_key'`" in text and "**new** `ValueError" not in text

    ents = metadata(materialize_cross_log(pipeline), "error_entities")
    assert {k: ents[k] for k in ("entities_total", "error_types", "tests", "runs", "flaky_tests", "recurring_errors",
                                 "new_errors_last_run", "top_error_runs", "top_error_occurrences")} == {
        "entities_total": 12, "error_types": 4, "tests": 4, "runs": 4, "flaky_tests": 1, "recurring_errors": 2,
        "new_errors_last_run": 1, "top_error_runs": 4, "top_error_occurrences": 4,
    }
    assert ents["top_error"].startswith("ValueError: database connection refused on port N [")
    assert "| `ValueError: database connection refused on port N [" in ents["memory"] and f"| `{FLIP}` | nightly | 4 | 1.00 | no | passed |" in ents["memory"]
    for name in ("entities_total", "error_types", "tests", "runs", "flaky_tests", "new_errors_last_run", "top_error_runs", "distinct_errors"):
        assert isinstance(ents[name], int), f"{name} is not numeric, so the UI cannot plot it"


def test_an_empty_memory_gives_zeros_not_a_failure(pipeline):
    result = materialize_cross_log(pipeline)
    ents = metadata(result, "error_entities")
    assert ents["entities_total"] == ents["runs"] == ents["flaky_tests"] == ents["top_error_runs"] == 0
    assert ents["top_error"] == "" and "none yet" in ents["memory"]
    usage = metadata(result, "token_usage_metrics")
    assert usage["runs_today"] == usage["tokens_out_7d"] == usage["files"] == 0
    assert usage["budget_pct_max_today"] == 0.0
