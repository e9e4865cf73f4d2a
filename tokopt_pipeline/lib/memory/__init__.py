"""Cross-run memory: a knowledge graph of runs, error types and tests in the store.

What a run leaves behind (store operation ``memory_record_run``):

* a **TestRun** entity named by its run id, with observations on the log (path, lines,
  suite, commit) and its totals;
* one **ErrorType** entity per error fingerprint (the same one the ``error_groups``
  rows carry: a hash of exception type and normalized message). The same fingerprint
  seen in two runs is one entity with two observations; each observation is one
  sighting: when, which run, how often, the line range in the original log. The
  first sighting also keeps one example line. Summaries, never whole traces.
* one **Test** entity per test that ever failed, with an observation per failure and
  a ``flaky`` observation the first time it is found flaky;
* relations ``run has_error error``, ``test failed_in run``, ``error raised_by test``.

Each run's test results (failed, and passed where known) are kept per suite, so:

* an error is **new** when no earlier run has its fingerprint (a first run ever marks
  nothing: with no history, "new" would say nothing);
* a test is **flaky** when, among its last :data:`FLAKY_WINDOW` results in the same
  suite, a failure follows a pass that follows a failure (fail, pass, fail), or when it
  both failed and passed on the same commit, or when its flip rate over the suite's last
  20 runs is high (:mod:`.flakiness`, which also gives the figures shown). Failed then
  fixed (fail, pass, pass) is not flaky, nor is broken then fixed (pass, fail, pass).

Passes come from the log: pytest ``-v`` progress lines (``path::test PASSED``). A log
without any such line (pytest without ``-v``) that has a totals line counts every
test this suite saw fail before, and absent from this run's failures, as passed.

The graph reads as the MCP memory server's: :func:`read_graph`, :func:`search_nodes`
and :func:`open_nodes` return ``{"entities": [...], "relations": [...]}``, and
:func:`export_jsonl` / :func:`import_jsonl` use its JSONL file format. An import is
validated whole before anything is written; a corrupt or foreign file is refused with
the line number and the store is left as it was.

The command (``--store-memory``), the Dagster summary asset and the Python API all
mark through :class:`Marker`, before the summary is rendered, so what is written, what
the store records and the token count carry the same marks. Marking a run that is
stored already (a summary rendered again) compares it with the runs before it only.

Example:
    store = Store.from_env()
    marker = Marker(store, suite="unit")                # prepare_run + annotate
    summary = summarize("ci.log", options, annotate=marker)
    marker.record(summary_path="logs/ci.summary.md")    # store.write("memory_record_run", ...)
"""

from __future__ import annotations

from tokopt_pipeline.lib.memory.graph import (
    analysis_markdown,
    analyze_memory,
    find_run,
    format_analysis,
    format_graph,
    memory_figures,
    open_nodes,
    read_graph,
    record_run,
    run_summary_rows,
    search_nodes,
)
from tokopt_pipeline.lib.memory.jsonl import export_jsonl, import_jsonl, validate_jsonl
from tokopt_pipeline.lib.memory.marks import (
    Marker,
    Marks,
    annotate,
    compute_marks,
    is_flaky,
    marks_for_run,
)
from tokopt_pipeline.lib.memory.runs import (
    ERROR_TYPE,
    EXAMPLE_CHARS,
    FLAKY_WINDOW,
    RUN_TYPE,
    TEST_TYPE,
    RunRecord,
    derive_suite,
    error_entity_name,
    prepare_run,
    scan_log,
)
from tokopt_pipeline.lib.store.ids import fingerprint, new_run_id

__all__ = [
    "FLAKY_WINDOW", "Marker", "Marks", "RunRecord", "analysis_markdown", "analyze_memory", "annotate", "derive_suite",
    "export_jsonl", "fingerprint", "import_jsonl", "is_flaky", "memory_figures", "open_nodes", "prepare_run",
    "read_graph", "scan_log", "search_nodes", "validate_jsonl", "compute_marks", "marks_for_run", "find_run",
    "run_summary_rows", "record_run", "format_analysis", "format_graph", "error_entity_name", "new_run_id",
    "ERROR_TYPE", "RUN_TYPE", "TEST_TYPE", "EXAMPLE_CHARS",
]
