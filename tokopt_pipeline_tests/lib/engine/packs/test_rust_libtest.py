"""libtest's output modes: the same failing tests, whatever flags `cargo test` ran with.

Fixtures: tokopt_pipeline_tests/data/ecosystems/rust-libtest-* (made by bench/ecosystems/rust.sh,
`job_tally`: one crate under `--show-output`, `--nocapture`, `--test-threads=1`, `--quiet`
and `RUST_BACKTRACE=full`; truth from libtest's JSON output of the same tests).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine.analysis import analyze
from tokopt_pipeline.lib.engine.events import EventGrouper
from tokopt_pipeline.lib.engine.model import Analysis
from tokopt_pipeline.lib.engine.priority import Level
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions
from tokopt_pipeline_tests.lib.engine.packs.fixture import DATA, lines, truth

CASES = ["rust-libtest-show-output", "rust-libtest-nocapture", "rust-libtest-serial", "rust-libtest-backtrace",
         "rust-libtest-quiet"]
#: The two logs wrapped as GitHub Actions shows a step.
WRAPPED = ["rust-libtest-show-output", "rust-libtest-nocapture"]
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ?")


def plain(case: str, tmp_path: Path) -> Path:
    """A wrapped case's step output as a terminal shows it: no timestamps, no runner lines."""
    text = [_STAMP.sub("", line) for line in (DATA / case / "job.log").read_text().splitlines()]
    start = max(i for i, line in enumerate(text) if line == "##[endgroup]") + 1
    end = next(i for i, line in enumerate(text) if line.startswith("##[error]"))
    out = tmp_path / f"{case}.log"
    out.write_text("\n".join(text[start:end]) + "\n")
    return out


def failing(a: Analysis) -> list[str]:
    return sorted(a.tests)


def panic_of(a: Analysis, test_id: str) -> str:
    """The error message of the group a failing test is linked to."""
    t = a.tests[test_id]
    assert t.group_key in a.groups, f"{test_id}: no error linked"
    return a.groups[t.group_key].message


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis]:
    return {case: analyze(str(DATA / case / "job.log")) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_every_failing_test_is_named_once_and_nothing_else(case, analyses):
    a = analyses[case]
    assert failing(a) == sorted(truth(case)["failing_tests"])


@pytest.mark.parametrize("case", WRAPPED)
def test_the_same_log_outside_github_actions(case, tmp_path):
    a = analyze(str(plain(case, tmp_path)))
    assert failing(a) == sorted(truth(case)["failing_tests"])


def test_passing_tests_output_under_show_output_is_no_failure(analyses):
    """`--show-output` prints every passing test's captured output under "successes:" in
    the same `---- name stdout ----` sections as the failures: 28 passing tests, none
    failing, none an error, none of their lines above low."""
    case = "rust-libtest-show-output"
    a = analyses[case]
    passing = [m.group(1) for m in map(re.compile(r"^test (\S+)(?: - should panic)? \.\.\. ok$").match, lines(case)) if m]
    assert len(passing) == 28  # 26 unit tests and 2 integration tests (doctests print nothing)
    assert not set(passing) & set(a.tests)
    heads = [g.example[0] for g in a.groups.values() if g.example]
    assert not [h for h in heads if any(f"---- {p} stdout ----" == h.strip() for p in passing)]
    # each passing test's section is in the summary's lower levels only
    text = summarize(str(DATA / case / "job.log"), SummaryOptions(token_budget=8000)).text
    errors = text.split("## Errors", 1)[1].split("\n## ", 1)[0]
    assert "error: expected in this test" not in errors and "---- parse::tests::parses_simple" not in errors


def test_successes_scope_is_low_at_most():
    case = "rust-libtest-show-output"
    ls = lines(case)
    tracker = packs.scope_tracker()
    active = frozenset({"rust"})
    rx = re.compile(packs.scope_marker(active))
    scope = tracker.feed(list(ls), [i for i, line in enumerate(ls) if rx.search(line)], active)
    assert scope is not None
    names = [packs.SCOPES[c] for c in scope.to_list()]
    i = ls.index("---- parse::tests::parses_simple stdout ----")
    assert names[i] == ("rust", "successes")
    j = ls.index("---- parse::tests::parses_negative stdout ----")
    assert names[j] == ("rust", "failures")
    k = ls.index("    parse::tests::parses_negative")
    assert names[k] == ("rust", "failures-list")
    level = tracker.quiet(scope, pl.Series("level", [int(Level.CRITICAL)] * len(ls), dtype=pl.UInt8))
    assert level[i] == int(Level.LOW) and level[j] == int(Level.CRITICAL)


def test_scopes_carry_across_batches():
    case = "rust-libtest-show-output"
    ls = list(lines(case))
    active = frozenset({"rust"})
    rx = re.compile(packs.scope_marker(active))
    whole = packs.scope_tracker().feed(ls, [i for i, line in enumerate(ls) if rx.search(line)], active)
    assert whole is not None
    for cut in (50, 120, 160, 200):
        t = packs.scope_tracker()
        parts = []
        for part in (ls[:cut], ls[cut:]):
            s = t.feed(part, [i for i, line in enumerate(part) if rx.search(line)], active)
            parts.append(s if s is not None else pl.repeat(0, len(part), dtype=pl.UInt16, eager=True))
        assert pl.concat(parts).to_list() == whole.to_list(), cut


@pytest.mark.parametrize("case", CASES)
def test_each_failing_test_has_its_panic_message_and_location(case, analyses):
    """Every failing unit and integration test is linked to one error whose message is
    its panic's thread, location and message (or its should_panic note), as libtest
    printed them."""
    a = analyses[case]
    t = truth(case)
    messages = {msg for _, msg in t["exceptions"]}
    for test_id in t["failing_tests"]:
        if test_id.endswith(")") and " - " in test_id:  # a doctest: its thread is 'main'
            continue
        msg = panic_of(a, test_id)
        assert re.match(r"(thread '[^']+' \(\d+\) panicked at |\S+: test did not panic as expected at )", msg), (test_id, msg)
        assert any(m in msg for m in messages), (test_id, msg)
        assert any(loc + ":" in msg for loc in t["error_locations"]), (test_id, msg)


def test_one_error_per_failing_test_even_when_printed_twice(analyses):
    """The serial log runs the suite twice (captured, then --nocapture): the same panic
    printed in a section and inline is one error."""
    a = analyses["rust-libtest-serial"]
    keys = {a.tests[t].group_key for t in a.tests}
    assert len(keys) == len(a.tests)
    for t in a.tests.values():
        if " - " in t.test_id:
            continue
        assert a.groups[t.group_key].count == 2, t.test_id


def test_a_panic_keeps_its_message_when_output_is_not_captured():
    """--nocapture prints a panic where it happens, its message on the next line at the
    first column: one event, in one batch or across two."""
    text = [
        "test parse::tests::parses_large ... ok",
        "",
        "thread 'parse::tests::parses_negative' (13564) panicked at src/parse.rs:84:9:",
        "assertion `left == right` failed",
        "  left: (\"returns\", 2)",
        " right: (\"returns\", -2)",
        "parsing \"figs=+4\"",
        "test parse::tests::parses_negative ... FAILED",
    ]
    whole = EventGrouper().assign(pl.Series(text))["event_id"].to_list()
    assert whole[2] == whole[3] == whole[4] == whole[5]
    assert whole[6] != whole[5] and whole[1] != whole[2]
    g = EventGrouper()
    split = g.assign(pl.Series(text[:3]))["event_id"].to_list() + g.assign(pl.Series(text[3:]))["event_id"].to_list()
    assert split == whole


def test_failures_list_names_tests_only_in_its_scope():
    code = {n: i for i, n in enumerate(packs.SCOPES)}
    for line in ("    parse::tests::parses_negative", "    src/lib.rs - shares (line 22)", "    total_of_returns_is_negative"):
        hit = packs.failing_test(line, code[("rust", "failures-list")])
        assert hit is not None and hit.pack == "rust"
        assert packs.failing_test(line) is None
        assert packs.failing_test(line, code[("rust", "failures")]) is None
    section = "---- parse::tests::parses_simple stdout ----"
    assert packs.failing_test(section, code[("rust", "successes")]) is None
    assert packs.failing_test(section, code[("rust", "failures")]).test_id == "parse::tests::parses_simple"
    assert packs.failing_test("    `--lib`", code[("rust", "failures-list")]) is None


def test_event_errors_read_the_panic_and_the_note():
    ident = "panicked at src/stats.rs:63:41: called `Result::unwrap()` on an `Err` value: BadCount(\"x2\")"
    assert packs.event_error([
        "---- stats::tests::merge_reads_signed_counts stdout ----",
        "",
        "thread 'stats::tests::merge_reads_signed_counts' (13368) panicked at src/stats.rs:63:41:",
        "called `Result::unwrap()` on an `Err` value: BadCount(\"x2\")",
    ]) == ("thread 'stats::tests::merge_reads_signed_counts' (13368) " + ident, ident)
    note = "test did not panic as expected at src/parse.rs:108:8"
    assert packs.event_error(["---- a stdout ----", "note: " + note]) == (note, note)
    # before Rust 1.73: the message inline
    assert packs.event_error(["thread 'tests::bad' panicked at 'boom', src/lib.rs:14:24"]) \
        == ("thread 'tests::bad' panicked at 'boom', src/lib.rs:14:24", "panicked at 'boom', src/lib.rs:14:24")
    assert packs.event_error(["Traceback (most recent call last):", "ValueError: x"]) is None


def test_the_same_panic_in_two_tests_is_one_error():
    """Two tests that fail at the same place with the same message are one error of two
    tests, shown by the first; each test names it."""
    a = analyze(str(DATA / "rust-workspace-tests" / "job.log"))
    g = a.tests["tests::parses_quoted_memo"].group_key
    doc = "crates/ledger-parse/src/lib.rs - parse_journal (line 85)"
    assert a.tests[doc].group_key == g
    assert sorted(a.groups[g].tests) == sorted(["tests::parses_quoted_memo", doc])
    assert re.match(r"thread 'tests::parses_quoted_memo' \(\d+\) panicked at crates/ledger-parse/src/lib.rs:149:9: ",
                    a.groups[g].message)


@pytest.mark.parametrize("case", CASES)
def test_summary_names_each_test_with_its_panic_at_4000(case):
    t = truth(case)
    text = summarize(str(DATA / case / "job.log"), SummaryOptions(token_budget=4000)).text
    for test_id in t["failing_tests"]:
        assert test_id in text, test_id
    for loc in t["error_locations"]:
        assert loc in text, loc
    for _, msg in t["exceptions"]:
        assert msg in text, msg


def test_a_failures_header_is_no_test_name():
    """Inside another runner's output (nextest's captured stdout, indented by four) the
    headers of libtest's lists are no test names."""
    code = {n: i for i, n in enumerate(packs.SCOPES)}
    for line in ("    failures:", "    successes:"):
        assert packs.failing_test(line, code[("rust", "failures-list")]) is None
