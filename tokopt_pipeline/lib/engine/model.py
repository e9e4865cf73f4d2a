"""What one pass over a log keeps (:class:`Analysis`): per-template statistics, error
groups, failing tests, run totals, chunks, CI steps; everything a summary is rendered
from, and what the store keeps of a run (as JSON, never the log's lines)."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from tokopt_pipeline.lib.engine.cisteps import Step
from tokopt_pipeline.lib.engine.priority import Level
from tokopt_pipeline.lib.engine.runmeta import RunMeta
from tokopt_pipeline.lib.engine.testresults import FailedTest, RunTotals
from tokopt_pipeline.lib.store.ids import fingerprint

_NUM = re.compile(r"0x[0-9a-fA-F]+|\d+")


def normalize_message(msg: str) -> str:
    """Digits masked, whitespace folded: two messages that differ only in numbers match."""
    return re.sub(r"\s+", " ", _NUM.sub("N", msg)).strip()


#: Distinct real lines kept per critical or high template (only those levels keep more
#: than one, so memory stays a handful of lines per important template).
MAX_EXAMPLES = 5
# Timestamps do not make two lines distinct: they are left out of the comparison.
TIMESTAMP = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?|\d\d:\d\d:\d\d(?:[.,]\d+)?"
TIMESTAMP_RE = re.compile(TIMESTAMP)


def example_key(line: str) -> str:
    """What makes two example lines distinct: the line without its timestamps."""
    return TIMESTAMP_RE.sub("", line)


@dataclass
class TemplateStat:
    template_id: int
    level: int
    count: int
    first_line: int
    last_line: int
    example: str
    template: str = ""
    #: Critical and high templates: up to MAX_EXAMPLES distinct real lines of the
    #: template's level, in order of appearance (``example`` is the first).
    examples: list[str] = field(default_factory=list)
    #: The last green run had this template too (:mod:`.baseline`): listed after what is new.
    in_baseline: bool = False

    def add_examples(self, level: int, lines: list[str]) -> None:
        """Merge a batch's distinct lines of ``level`` (only the template's level is kept)."""
        if level != self.level or len(self.examples) >= MAX_EXAMPLES:
            return
        seen = {example_key(x) for x in self.examples}
        for line in lines:
            k = example_key(line)
            if k not in seen:
                seen.add(k)
                self.examples.append(line)
                if len(self.examples) >= MAX_EXAMPLES:
                    break


@dataclass
class ErrorGroup:
    key: str
    exc_type: str | None
    message: str
    level: int
    count: int
    first_line: int
    last_line: int
    example: list[str]
    example_first_line: int
    example_lines_total: int
    tests: list[str] = field(default_factory=list)
    new: bool = False
    #: Distinct source locations (``path:line``) of the project's own code in the
    #: group's occurrences, the first few of each: where each occurrence happened.
    locations: list[str] = field(default_factory=list)
    #: The last green run had this error too, and no failing test raised it here
    #: (:mod:`.baseline`): listed after what is new.
    in_baseline: bool = False


@dataclass
class ChunkStat:
    index: int
    first_line: int
    last_line: int
    lines: int
    raw_bytes: int
    levels: list[int]
    templates: int

    @property
    def critical(self) -> int:
        return self.levels[0]


@dataclass
class Analysis:
    source: str
    profile: str
    lines: int = 0
    raw_bytes: int = 0
    file_bytes: int = 0
    compression: str | None = None
    tokens_in: int = 0
    tokens_in_exact: bool = False
    tokens_in_method: str = ""
    level_counts: list[int] = field(default_factory=lambda: [0] * 5)
    templates: dict[int, TemplateStat] = field(default_factory=dict)
    groups: dict[str, ErrorGroup] = field(default_factory=dict)
    tests: dict[str, FailedTest] = field(default_factory=dict)
    runs: list[RunTotals] = field(default_factory=list)
    chunks: list[ChunkStat] = field(default_factory=list)
    chunk_size: int = 0
    first_timestamp: str | None = None
    last_timestamp: str | None = None
    redactions: dict[str, int] = field(default_factory=dict)
    events: int = 0
    lines_cut: int = 0
    nul_bytes_removed: int = 0
    #: Passing tests and the commit, when ``SummaryOptions.collect_run_meta`` asked.
    run_meta: RunMeta | None = None
    #: The lines around the first occurrence of each critical or high template
    #: (template id -> [(line number, text)]), for the first ``MAX_CONTEXTS`` of them.
    contexts: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    #: The CI steps that failed (GitHub Actions, GitLab CI), in the order they failed.
    failed_steps: list[Step] = field(default_factory=list)
    #: What a baseline (the last green run) demoted, when one was applied
    #: (:func:`.baseline.apply`): label, lines, tokens, templates, errors, occurrences.
    baseline: dict[str, object] = field(default_factory=dict)

    @property
    def critical_templates(self) -> list[TemplateStat]:
        return [t for t in self.templates.values() if t.level == Level.CRITICAL]

    @property
    def critical_units(self) -> int:
        """Critical events the summary must show or count: failing tests, critical error
        groups not tied to a test (each occurrence), critical template lines."""
        groups = sum(g.count for g in self.groups.values() if g.level == Level.CRITICAL and not g.tests)
        return len(self.tests) + groups + sum(t.count for t in self.critical_templates)

    def mark(self, new_errors: AbstractSet[str], new_tests: AbstractSet[str] = frozenset(),
             flaky_tests: AbstractSet[str] = frozenset()) -> list[str]:
        """Mark what the memory says (the one place marks are set): errors whose
        fingerprint is in ``new_errors`` **new**, tests in ``new_tests`` new and in
        ``flaky_tests`` flaky; every other error and test unmarked. Returns the keys of
        the errors marked new."""
        marked = []
        for g in self.groups.values():
            g.new = fingerprint(g.key) in new_errors
            if g.new:
                marked.append(g.key)
        for test_id, t in self.tests.items():
            t.new = test_id in new_tests
            t.flaky = test_id in flaky_tests
        return marked

    def marks(self) -> tuple[set[str], set[str], set[str]]:
        """The marks :meth:`mark` set: (new errors' fingerprints, new tests, flaky tests)."""
        return (
            {fingerprint(g.key) for g in self.groups.values() if g.new},
            {k for k, t in self.tests.items() if t.new},
            {k for k, t in self.tests.items() if t.flaky},
        )
