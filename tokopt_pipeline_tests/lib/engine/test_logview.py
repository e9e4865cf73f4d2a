"""Reading a log back as its summary cites it: the same numbers, redacted, searched in linear time."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokopt_pipeline.lib.engine.logview import BadPattern, check_pattern, grep_lines, numbered_lines
from tokopt_pipeline.lib.engine.reader import open_log
from tokopt_pipeline.lib.errors import BadInput, InputNotFound
from tokopt_pipeline_tests.fixtures_secrets import KEY_LINES, planted_secrets_log


def test_lines_are_numbered_and_cleaned_as_the_reader_gives_them(tmp_path):
    log = tmp_path / "ci.log"
    log.write_bytes(b"\x1b[31mFAILED\x1b[0m test_a\r\nsecond\r\n" + b"x" * 70_000 + b"\nlast")
    with open_log(str(log)) as source:
        expected = [line for batch in source.batches() for line in batch.lines]
    got = list(numbered_lines(str(log)))
    assert got == list(enumerate(expected, 1))
    assert got[0] == (1, "FAILED test_a") and got[1] == (2, "second") and "line cut" in got[2][1]
    assert list(numbered_lines(str(log), start=4)) == [(4, "last")]


def test_a_key_block_that_began_before_the_range_is_redacted_inside_it(tmp_path):
    text, secrets = planted_secrets_log()
    log = tmp_path / "secrets.log"
    log.write_text(text)
    lines = text.split("\n")
    inner = next(i for i, line in enumerate(lines, 1) if line == KEY_LINES[1])
    (n, shown), *_ = numbered_lines(str(log), start=inner)
    assert n == inner and shown == "[REDACTED:private-key]"
    everything = "\n".join(line for _, line in numbered_lines(str(log)))
    assert not [s for s in secrets if s in everything]
    # the search runs on the redacted text: a secret cannot be found by guessing it
    assert not list(grep_lines(str(log), "hunter22"))


def _naive(lines: list[str], needle: str, context: int, start: int) -> list[tuple[int, bool]]:
    keep: dict[int, bool] = {}
    for n, line in enumerate(lines, 1):
        if n >= start and needle in line:
            for m in range(max(start, n - context), min(len(lines), n + context) + 1):
                keep[m] = keep.get(m, False) or m == n
    return sorted(keep.items())


@settings(max_examples=40)
@given(lines=st.lists(st.sampled_from(["foo", "bar", "a foo b", "", "baz"]), min_size=1, max_size=1300),
       context=st.integers(0, 4), start=st.integers(1, 1400))
def test_grep_gives_each_line_once_with_its_context_as_grep_does(tmp_path_factory, lines, context, start):
    log = tmp_path_factory.mktemp("grep") / "l.log"
    log.write_text("\n".join(lines) + "\n")  # over 500 lines: several batches
    got = [(h.line_no, h.match) for h in grep_lines(str(log), "foo", context=context, start=start)]
    assert got == _naive(lines, "foo", context, start)


def test_bad_patterns_are_refused_with_the_reason():
    with pytest.raises(BadPattern, match="unclosed group"):
        check_pattern("a(")
    with pytest.raises(BadPattern, match="look-around"):
        check_pattern("(?=x)")
    with pytest.raises(BadPattern, match="size limit"):
        check_pattern("a{1000}{1000}")
    with pytest.raises(BadPattern, match="the most taken is 1,000"):
        check_pattern("a" * 1001)
    with pytest.raises(BadPattern, match="empty"):
        check_pattern("")


def test_a_pattern_that_backtracks_for_ever_elsewhere_runs_in_linear_time(tmp_path):
    log = tmp_path / "l.log"
    log.write_text(("a" * 5000 + "!\n") * 200)
    t0 = time.monotonic()
    assert list(grep_lines(str(log), "(a+)+$")) == []
    assert list(grep_lines(str(log), "^(a|aa)+$")) == []
    assert time.monotonic() - t0 < 5


def test_no_log_no_lines(tmp_path):
    with pytest.raises(InputNotFound):
        list(numbered_lines(str(tmp_path / "missing.log")))
    with pytest.raises(InputNotFound):
        list(numbered_lines("-"))
    (tmp_path / "empty.log").write_bytes(b"")
    with pytest.raises(BadInput):
        list(grep_lines(str(tmp_path / "empty.log"), "x"))
