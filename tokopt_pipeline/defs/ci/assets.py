"""``ci_logs``: logs a CI step reports through Dagster's REST API.

    curl -X POST http://127.0.0.1:3000/report_asset_materialization/ci_logs \\
         -H 'Content-Type: application/json' \\
         -d '{"metadata": {"path": "/ci/work/build-1234.log", "commit": "'$GIT_SHA'"}}'

Dagster does not produce this asset; ``ci_log_sensor`` turns each report into a run.
"""

import dagster as dg

ci_logs = dg.AssetSpec(
    "ci_logs",
    group_name="ci",
    description=(
        "A log a CI step reported (POST /report_asset_materialization/ci_logs with the log's "
        "`path` in metadata; optional `commit` and `suite`). Each report becomes a summary run."
    ),
)
