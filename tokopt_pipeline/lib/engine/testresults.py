"""Failing tests and run totals, read from the result lines of common test runners.

Runners understood here: pytest (progress lines, ``FAILED``/``ERROR`` short summary,
failure-section headers, totals banner) and unittest; the runner packs
(:mod:`.packs`) read the others. The patterns are also exported as one polars regex
(:func:`test_candidate`, :func:`totals_candidate`) so the engine only hands candidate
lines to Python.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tokopt_pipeline.lib.engine import packs

# --- run totals --------------------------------------------------------------
TOTALS_PATTERNS = [
    ("pytest", re.compile(r"^=+ (.*\d+ (?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?|rerun).*) in [\d.]+s.*=+\s*$")),
    ("pytest", re.compile(r"^(\d+ (?:passed|failed|errors?)(?:, \d+ \w+)*) in [\d.]+s(?: \([\d:]+\))?\s*$")),
    ("unittest", re.compile(r"^(Ran \d+ tests? in [\d.]+s)$")),
    ("unittest", re.compile(r"^(FAILED \((?:failures|errors|skipped|expected failures|unexpected successes)=\d+.*\))$")),
]
_OWN_TOTALS = (
    r"^=+ .*\d+ (passed|failed|errors?|skipped).* in [\d.]+s|^\d+ (passed|failed|errors?)(, \d+ \w+)* in [\d.]+s"
    r"|^Ran \d+ tests? in |^FAILED \((failures|errors)="
)


def totals_candidate(active: frozenset[str] | None = None) -> str:
    """Lines that may sum up a run: the runners read here and the ``active`` packs'
    (every pack's when None)."""
    return _OWN_TOTALS + "|" + packs.totals_candidate(active)


def test_candidate(active: frozenset[str] | None = None) -> str:
    """Lines that may name a failing test: the runners read here and the ``active``
    packs' (every pack's when None)."""
    return _OWN_TESTS + "|" + packs.test_candidate(active)


@dataclass
class RunTotals:
    line_no: int
    runner: str
    text: str
    #: Whether the run failed, when the runner's pack says; else read from the text.
    failed_flag: bool | None = None

    @property
    def failed(self) -> bool:
        if self.failed_flag is not None:
            return self.failed_flag
        return bool(re.search(r"\b[1-9]\d* (failed|errors?|failing)\b|Failures: [1-9]|Errors: [1-9]|^FAIL|FAILED", self.text))


def parse_totals(line: str, line_no: int) -> RunTotals | None:
    for runner, rx in TOTALS_PATTERNS:
        m = rx.match(line)
        if m:
            text = line.strip().strip("=").strip() if runner == "pytest" else m.group(1).strip()
            return RunTotals(line_no, runner, text)
    hit = packs.totals(line)
    if hit is not None:
        return RunTotals(line_no, hit.pack, hit.text, hit.failed)
    return None


# --- failing tests -----------------------------------------------------------
@dataclass
class FailedTest:
    """One failing (or erroring) test, however many lines mention it."""

    test_id: str  # nodeid-like: path::Class::name, or Class.name, or package/TestName
    name: str  # the test's own name, as JUnit reports it (parametrization kept)
    file: str  # file or suite it belongs to ('' when unknown)
    kind: str = "failed"  # failed | error
    first_line: int = 0
    last_line: int = 0
    mentions: int = 0
    exc_type: str | None = None
    message: str = ""
    group_key: str | None = None
    flaky: bool = False
    new: bool = False
    #: The runs of the log it failed in, when the log holds the same run more than once
    #: (else 0).
    runs: int = 0


_PYTEST_SHORT = re.compile(r"^(FAILED|ERROR) (\S+?(?:\[[^\]]*\])?)(?: - (.*))?$")
_PYTEST_PROGRESS = re.compile(r"^(\S+\.py::\S.*?) (FAILED|ERROR)(?:\s+\[\s*\d+%\])?\s*$")
_PYTEST_HEADER = re.compile(r"^_+ (?:(ERROR) (?:at (?:setup|teardown|call) of |(?=collecting )))?([^_ ].*?) _+$")
_UNITTEST = re.compile(r"^(FAIL|ERROR): (\w+) \(([\w.]+)\)")

_OWN_TESTS = (
    r"^(FAILED|ERROR) \S|^\S+\.py::\S.* (FAILED|ERROR)|^_+ [^_ ].* _+$|^(FAIL|ERROR): \w+ \("
)


def _split_nodeid(nodeid: str) -> tuple[str, str]:
    """(file, name) of a pytest node id; a bare path (a module that failed to
    collect) is its own file."""
    parts = nodeid.split("::")
    if len(parts) == 1 and parts[0].endswith(".py"):
        return parts[0], parts[0]
    return (parts[0] if len(parts) > 1 else ""), parts[-1]


@dataclass
class TestIndex:
    """Accumulates failing tests from candidate lines, deduplicated."""

    tests: dict[str, FailedTest] = field(default_factory=dict)
    _by_header: dict[str, str] = field(default_factory=dict)
    #: The line numbers that mention each test, until :meth:`finalize` counts its runs.
    _lines: dict[str, list[int]] = field(default_factory=dict)

    def _add(self, test_id: str, name: str, file: str, kind: str, line_no: int) -> FailedTest:
        t = self.tests.get(test_id)
        if t is None:
            t = FailedTest(test_id=test_id, name=name, file=file, kind=kind, first_line=line_no, last_line=line_no)
            self.tests[test_id] = t
            if "::" in test_id:
                self._by_header[".".join(test_id.split("::")[1:])] = test_id
        if kind == "error":
            t.kind = "error" if t.kind == "error" or t.mentions == 0 else t.kind
        t.mentions += 1
        t.last_line = max(t.last_line, line_no)
        t.first_line = min(t.first_line, line_no)
        self._lines.setdefault(test_id, []).append(line_no)
        return t

    def feed(self, line: str, line_no: int, in_section: bool = False, scope: int = 0) -> FailedTest | None:
        """Register a test result line; returns the test it names, if any. ``scope``:
        the runner packs' scope the line is in (:data:`.packs.SCOPES`)."""
        m = _PYTEST_SHORT.match(line)
        if m and ("::" in m.group(2) or m.group(2).endswith(".py")):
            file, name = _split_nodeid(m.group(2))
            t = self._add(m.group(2), name, file, "error" if m.group(1) == "ERROR" else "failed", line_no)
            if m.group(3) and not t.message:
                typ, _, msg = m.group(3).partition(": ")
                if re.fullmatch(r"[\w.]+", typ) and msg:
                    t.exc_type, t.message = typ, msg
                else:
                    t.message = m.group(3)
            return t
        m = _PYTEST_PROGRESS.match(line)
        if m:
            file, name = _split_nodeid(m.group(1))
            return self._add(m.group(1), name, file, "error" if m.group(2) == "ERROR" else "failed", line_no)
        m = _PYTEST_HEADER.match(line)
        if m and in_section:
            header = m.group(2).strip()
            if header.startswith("collecting "):  # a module that failed to import
                path = header[len("collecting "):].strip()
                return self._add(path, path, path, "error", line_no)
            test_id = self._by_header.get(header) or header
            name = header.split(".")[-1] if "[" not in header else header.split("[")[0].split(".")[-1] + "[" + header.split("[", 1)[1]
            file = ""
            if test_id in self.tests:
                t = self.tests[test_id]
                t.mentions += 1
                self._lines.setdefault(test_id, []).append(line_no)
                return t
            return self._add(test_id, name, file, "error" if m.group(1) else "failed", line_no)
        m = _UNITTEST.match(line)
        if m:
            name, where = m.group(2), m.group(3)
            if where.endswith("." + name):  # Python 3.11+: "test_x (pkg.mod.Class.test_x)"
                where = where[: -len(name) - 1]
            return self._add(f"{where}.{name}", name, where, "error" if m.group(1) == "ERROR" else "failed", line_no)
        hit = packs.failing_test(line, scope)
        if hit is not None:
            return self._add(hit.test_id, hit.name, hit.file, hit.kind, line_no)
        return None

    def header_test(self, header_line: str) -> FailedTest | None:
        """The test a pytest failure-section header names (already fed)."""
        m = _PYTEST_HEADER.match(header_line)
        if not m:
            return None
        header = m.group(2).strip()
        return self.tests.get(self._by_header.get(header, header))

    def finalize(self, runs: Sequence[RunTotals] = ()) -> None:
        """Merge header-only entries into the nodeid entries found later in the log, and
        count the ``runs`` each test failed in among the runs the log holds more than
        once (:func:`run_blocks`)."""
        for key in list(self.tests):
            if "::" in key:
                continue
            nodeid = self._by_header.get(key)
            if nodeid and nodeid in self.tests and nodeid != key:
                src, dst = self.tests.pop(key), self.tests[nodeid]
                self._lines.setdefault(nodeid, []).extend(self._lines.pop(key, []))
                dst.mentions += src.mentions
                dst.first_line = min(dst.first_line, src.first_line)
                dst.exc_type = dst.exc_type or src.exc_type
                dst.message = dst.message or src.message
                dst.group_key = dst.group_key or src.group_key
        blocks = run_blocks(runs)
        alike = Counter(sig for _, sig in blocks)
        if any(n > 1 for n in alike.values()):
            ends = [end for end, _ in blocks]
            same = {i for i, (_, sig) in enumerate(blocks) if alike[sig] > 1}
            for test_id, t in self.tests.items():
                t.runs = len({i for ln in self._lines.get(test_id, ()) if (i := bisect_left(ends, ln)) in same})
        self._lines.clear()


#: Totals lines at most this many lines apart sum up one run (gtest prints four: tests
#: run, passed, failed and listed below, the list, then the count of failures), unless
#: the line reads like one the run already has (the next run has begun).
RUN_GAP = 12
_DIGITS = re.compile(r"\d+")


def run_blocks(runs: Sequence[RunTotals]) -> list[tuple[int, tuple[tuple[str, str], ...]]]:
    """Each run of a log as its last totals line and what its totals lines say, in
    order. A run whose totals read like another's is the same run again (a log holding
    the same session many times); a run wrapping others (ctest around gtest) reads
    like none of them."""
    blocks: list[tuple[int, list[tuple[str, str]]]] = []
    for r in sorted(runs, key=lambda r: r.line_no):
        shape = (r.runner, _DIGITS.sub("0", r.text))
        if blocks and r.line_no - blocks[-1][0] <= RUN_GAP and shape not in {
                (runner, _DIGITS.sub("0", text)) for runner, text in blocks[-1][1]}:
            blocks[-1] = (r.line_no, blocks[-1][1] + [(r.runner, r.text)])
        else:
            blocks.append((r.line_no, [(r.runner, r.text)]))
    return [(end, tuple(sig)) for end, sig in blocks]
