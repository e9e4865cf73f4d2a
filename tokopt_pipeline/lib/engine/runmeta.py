"""What the cross-run memory needs from a log beyond the engine's aggregates: the
passing tests (pytest ``-v`` progress lines, ``path::test PASSED``) and the commit
the run built (CI metadata such as ``GITHUB_SHA=...`` or ``HEAD is now at ...``).

:data:`CANDIDATE` is a cheap vectorized test; only the lines it marks go through
:meth:`RunMeta.feed`. The engine collects it in its one pass when asked
(``SummaryOptions.collect_run_meta``); :func:`scan` reads a log for it alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["CANDIDATE", "RunMeta", "scan"]

_PASSED = re.compile(r"^(\S+\.py::\S.*?) PASSED(?:\s+\[\s*\d+%\])?\s*$")
_COMMIT_PATTERNS = [
    re.compile(r"\b(?:GITHUB_SHA|CI_COMMIT_SHA|GIT_COMMIT|COMMIT_SHA|CIRCLE_SHA1|BUILD_SOURCEVERSION|BUILDKITE_COMMIT|TRAVIS_COMMIT|DRONE_COMMIT_SHA)\s*[=:]\s*['\"]?([0-9a-f]{7,40})\b"),
    re.compile(r"\bHEAD is now at ([0-9a-f]{7,40})\b"),
    re.compile(r"^\s*(?:commit|Commit SHA|sha)\s*[:=]\s*([0-9a-f]{40})\b", re.IGNORECASE),
]
#: A superset of the lines :meth:`RunMeta.feed` uses (polars' regex syntax).
CANDIDATE = r"\S\.py::\S.* PASSED|GITHUB_SHA|CI_COMMIT_SHA|GIT_COMMIT|COMMIT_SHA|CIRCLE_SHA1|BUILD_SOURCEVERSION|BUILDKITE_COMMIT|TRAVIS_COMMIT|DRONE_COMMIT_SHA|HEAD is now at|(?i:^\s*(commit|commit sha|sha)\s*[:=])"


@dataclass
class RunMeta:
    """Passing tests in order of first appearance, and the first commit found."""

    passed: list[str] = field(default_factory=list)
    commit: str | None = None

    def feed(self, lines: Iterable[str]) -> None:
        """Take what the candidate ``lines`` say (other lines are ignored)."""
        seen = set(self.passed)
        for line in lines:
            m = _PASSED.match(line)
            if m:
                if m.group(1) not in seen:
                    seen.add(m.group(1))
                    self.passed.append(m.group(1))
                continue
            if self.commit is None:
                for rx in _COMMIT_PATTERNS:
                    cm = rx.search(line)
                    if cm:
                        self.commit = cm.group(1)
                        break


def scan(path: str) -> RunMeta:
    """Read ``path`` for its :class:`RunMeta` alone (stdin cannot be read again: empty)."""
    import polars as pl

    from tokopt_pipeline.lib.engine.reader import open_log

    out = RunMeta()
    if path == "-":
        return out
    from tokopt_pipeline.lib.engine.redact import Redactor

    for batch in open_log(path).batches(batch_lines=50_000):
        s = pl.Series("l", batch.lines, dtype=pl.Utf8)
        # Redacted like every line the engine keeps: a passing test's id or the
        # commit line may carry a credential (test_login[ghp_...] PASSED).
        out.feed(Redactor().redact_lines(s.filter(s.str.contains(CANDIDATE)).to_list()))
    return out
