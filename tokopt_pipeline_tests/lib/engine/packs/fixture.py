"""Helpers the runner packs' tests share: a fixture log's lines as the engine reads
them, its truth, the level the rule chain gives each line, and assertions on those."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import polars as pl

from tokopt_pipeline.lib.engine.priority import Level, tag_levels, tag_line
from tokopt_pipeline.lib.engine.profiles import get_profile
from tokopt_pipeline.lib.engine.reader import open_log
from tokopt_pipeline_tests.conftest import TESTS

DATA = TESTS / "data" / "ecosystems"


@cache
def lines(case: str) -> tuple[str, ...]:
    """The job log's lines as the engine reads them (ANSI colours and CI timestamps removed)."""
    return tuple(line for batch in open_log(DATA / case / "job.log").batches() for line in batch.lines)


@cache
def truth(case: str) -> dict:
    return json.loads((DATA / case / "truth.json").read_text())


@cache
def levels(case: str, profile: str) -> tuple[Level, ...]:
    rules = get_profile(profile).all_rules()
    return tuple(Level(v) for v in tag_levels(pl.Series(lines(case), dtype=pl.Utf8), rules).to_list())


def tagged(case: str, profile: str, pattern: str) -> list[tuple[str, Level]]:
    rx = re.compile(pattern)
    found = [(line, lv) for line, lv in zip(lines(case), levels(case, profile), strict=False) if rx.search(line)]
    assert found, f"{case}: no line matches {pattern!r}"
    return found


def assert_levels(case: str, profile: str, pattern: str, allowed: set[Level]) -> None:
    wrong = [(lv.name, line) for line, lv in tagged(case, profile, pattern) if lv not in allowed]
    assert not wrong, f"{case} ({profile}): {pattern!r} -> {wrong[:5]}"


#: The ANSI colour codes the reader strips (the raw fixtures keep them).
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def raw_case(case: str, strip_ansi: bool = False) -> tuple[list[str], dict]:
    """A case's job log as stored (optionally without its colour codes) and its truth."""
    text = (DATA / case / "job.log").read_text(encoding="utf-8")
    return (ANSI.sub("", text) if strip_ansi else text).splitlines(), truth(case)


def level_of(line: str, profile: str = "generic") -> Level:
    """The level of one line, by the single-line rule chain."""
    return tag_line(line, get_profile(profile).all_rules())


def levels_of(text: list[str], profile: str = "generic") -> list[Level]:
    """The levels of a few lines, in one pass of the rule chain."""
    return [Level(v) for v in tag_levels(pl.Series(text, dtype=pl.Utf8), get_profile(profile).all_rules()).to_list()]


def assert_examples(examples: dict[str, Level]) -> None:
    got = dict(zip(examples, levels_of(list(examples)), strict=False))
    wrong = {line: (got[line].name, want.name) for line, want in examples.items() if got[line] != want}
    assert not wrong, wrong


@cache
def fixture_lines(path: Path) -> pl.Series:
    return pl.Series([l for b in open_log(path).batches() for l in b.lines], dtype=pl.Utf8)

