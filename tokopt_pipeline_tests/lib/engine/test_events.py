"""Multi-line events: what belongs together stays together, across batch boundaries."""

from __future__ import annotations

import polars as pl

from tokopt_pipeline.lib.engine.events import EventGrouper, anchored_features, exception_of, feature_exprs, innermost, project_locations

LOG = [
    "2024-05-01 12:00:00 INFO starting worker",
    "Traceback (most recent call last):",
    '  File "app/jobs.py", line 41, in run',
    "    result = handler(job)",
    '  File "app/handlers.py", line 12, in handler',
    "    raise ValueError(f'bad payload {job.id}')",
    "ValueError: bad payload 17",
    "2024-05-01 12:00:01 INFO next job",
    "java.lang.IllegalStateException: pool closed",
    "\tat com.acme.Pool.take(Pool.java:88)",
    "\tat com.acme.Worker.run(Worker.java:17)",
    "Caused by: java.io.IOException: broken pipe",
    "\tat com.acme.Net.write(Net.java:5)",
    "2024-05-01 12:00:02 INFO done",
]


def ids(grouper: EventGrouper, lines: list[str]) -> list[int]:
    return grouper.assign(pl.Series("line", lines))["event_id"].to_list()


def test_a_traceback_and_a_java_trace_are_one_event_each():
    e = ids(EventGrouper(), LOG)
    assert len(set(e[1:7])) == 1 and e[0] != e[1] and e[7] != e[6]  # the Python traceback, its error line included
    # the Java trace with its cause, joined to the log line that reported it
    assert len(set(e[7:13])) == 1 and e[13] != e[12]
    assert len(set(e)) == 4


def test_batch_boundaries_change_nothing():
    whole = ids(EventGrouper(), LOG)
    for cut in range(1, len(LOG)):
        g = EventGrouper()
        assert ids(g, LOG[:cut]) + ids(g, LOG[cut:]) == whole, cut


def test_the_exception_of_an_event_and_its_project_frames():
    assert exception_of(LOG[1:7]) == ("ValueError", "bad payload 17")
    # the project's own frames, not the library's, in the order they appear
    assert project_locations(LOG[8:13], most=2) == ["Pool.java:88", "Worker.java:17"]
    js = ["Error: boom", "    at handler (src/api/routes.ts:12:5)", "    at Layer.handle (node_modules/express/lib/router/layer.js:95:5)"]
    assert project_locations(js, most=5) == ["src/api/routes.ts:12:5"]
    cut = innermost(LOG[1:7], max_lines=4)
    assert cut[-1] == "ValueError: bad payload 17" and len(cut) <= 5


def test_the_gated_line_start_tests_equal_the_plain_ones():
    """One scan for the union of the line-start tests, then each on the lines it let
    through: the same booleans as each test on every line."""
    lines = [
        "=================================== FAILURES ===================================",
        "======= 2 failed, 3 passed in 0.12s =======", "=====", "____ test_add ____",
        "    at com.acme.App.main(App.java:12)", "\tat x.y(Z.java:1)", "  ... 12 more", "Caused by: java.io.IOException: x",
        "During handling of the above exception, another exception occurred:", "ValueError: bad", "KeyError",
        "mypkg.errors.OutOfStock: none left", "", "plain line", "    indented", "  Suppressed: x", "Error", "_ x",
        "The above exception was the direct cause of the following exception:", "warning: not an exception line",
    ] * 3
    frame = pl.DataFrame({"line": lines})
    gated = pl.DataFrame(anchored_features(frame))
    plain = frame.select(feature_exprs(with_packs=False))
    assert gated.equals(plain), (gated, plain)
    assert all(gated[c].any() for c in gated.columns)  # every test has a line it matches
