"""Pure logic of tokopt, by concept; nothing here imports Dagster.

* :mod:`.engine`: a log in, a budgeted summary out (read, redact, tag, group,
  template, analyze, runner packs, budget, render);
* :mod:`.store`: the DuckDB store (schema and migrations, records, queries, ids);
* :mod:`.memory`: errors, tests and runs across runs (marks, the graph, JSONL);
* :mod:`.usage`: token usage, thresholds, alerts, the HTML report;
* :mod:`.ci`: token validation of files and the badge;
* :mod:`.settings`: options, presets, saved profiles and how they layer;
* :mod:`.diagnostics`: the diagnostic report, token distribution, simulation;
* :mod:`.errors`, :mod:`.outputs`, :mod:`.logfiles`: exit codes and messages, atomic
  writes and rotation, log folders and partition keys.

The CLI, the Python API and the Dagster assets are thin layers over it.
"""
