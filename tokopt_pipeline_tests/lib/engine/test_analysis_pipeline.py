"""The streaming pass cuts large batches into slices computed on several threads and
reads batches ahead; none of that may change what it finds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from polars.testing import assert_frame_equal, assert_series_equal

from tokopt_pipeline.lib.engine import analysis, features
from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.features import line_features
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline_tests.conftest import NUMPY_LOG

pytestmark = pytest.mark.slow  # the streaming pass on 130,000 corpus lines, several times (10 s in all)


def _corpus_lines(shared_copy, at_least: int) -> list[str]:
    lines: list[str] = []
    for path in sorted((shared_copy / "corpus" / "loghub").glob("*_2k.log")):
        lines += path.read_text(encoding="utf-8", errors="replace").split("\n")
    lines += NUMPY_LOG.read_text(encoding="utf-8", errors="replace").split("\n")
    while len(lines) < at_least:
        lines += lines
    return lines[:at_least]


def test_sliced_tests_equal_the_whole_batch(shared_copy):
    lines = _corpus_lines(shared_copy, 3 * features.SLICE_LINES + 17)
    rules = get_profile("pytest").all_rules()
    whole = line_features(lines, rules, secrets=True)
    with ThreadPoolExecutor(max_workers=2) as helpers:
        sliced = line_features(lines, rules, secrets=True, helpers=helpers, slices=3)
    assert_series_equal(sliced[0], whole[0])
    assert_frame_equal(sliced[1], whole[1])
    assert_series_equal(sliced[2], whole[2])
    assert int(whole[2].n_unique()) > 2  # the lines really get different levels


def _figures(a):
    return (
        a.lines, a.raw_bytes, a.level_counts, a.events, sorted((t.template, t.count, t.level) for t in a.templates.values()),
        sorted((g.key, g.count) for g in a.groups.values()), sorted(a.tests), [(r.line_no, r.text) for r in a.runs],
        [(c.first_line, c.last_line, c.levels) for c in a.chunks], a.redactions,
    )


def test_reading_ahead_and_slicing_change_nothing(shared_copy, tmp_path, monkeypatch):
    log = tmp_path / "big.log"
    log.write_text("\n".join(_corpus_lines(shared_copy, 130_000)) + "\n", encoding="utf-8")
    options = SummaryOptions(chunk_size=5000, max_batch_lines=60_000)  # batches cut in slices
    pipelined = analyze(str(log), options)
    monkeypatch.setattr(analysis, "READ_AHEAD", 0)  # each batch processed as soon as read
    monkeypatch.setattr(features, "SLICE_LINES", 10**9)  # and never cut
    serial = analyze(str(log), options)
    assert _figures(pipelined) == _figures(serial)
    assert pipelined.lines == 130_000 and len(pipelined.chunks) == 26
    assert len(pipelined.tests) > 0 and pipelined.level_counts[0] > 0


def test_the_pass_collects_what_a_separate_scan_finds(tmp_path):
    from tokopt_pipeline.lib.engine import runmeta

    sha = "0123456789abcdef0123456789abcdef01234567"
    log = tmp_path / "ci.log"
    numpy = NUMPY_LOG.read_text(encoding="utf-8")
    log.write_text(f"  GITHUB_SHA: {sha}\n" + numpy, encoding="utf-8")
    scanned = runmeta.scan(str(log))
    collected = analyze(str(log), SummaryOptions(collect_run_meta=True, chunk_size=500, max_batch_lines=1000)).run_meta
    assert collected == scanned
    assert collected.commit == sha and len(collected.passed) > 1000
    assert analyze(str(log), SummaryOptions()).run_meta is None  # not asked: not collected


def test_where_batches_end_changes_nothing(shared_copy, tmp_path):
    """An event cut by a batch boundary (a pytest failure section whose header ends one
    batch and whose E lines start the next) is one event, whatever the batch size."""
    log = tmp_path / "big.log"
    log.write_text("\n".join(_corpus_lines(shared_copy, 130_000)) + "\n", encoding="utf-8")
    def without_chunks(a):  # chunk statistics follow the chunk size, which varies here
        f = _figures(a)
        return f[:8] + f[9:]

    whole = without_chunks(analyze(str(log), SummaryOptions()))
    for batch in (5000, 1000):
        assert without_chunks(analyze(str(log), SummaryOptions(chunk_size=batch, max_batch_lines=batch))) == whole, batch
