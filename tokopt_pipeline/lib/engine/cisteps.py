"""The steps of a CI job log, and which of them failed.

GitHub Actions prints each step as ``##[group]Run <command>``, the step's script and
settings (``shell:``, ``env:``) up to ``##[endgroup]``, then the step's output. A step
fails with ``##[error]<message>`` (``Process completed with exit code N.`` for a
script); post-job steps start at ``Post job cleanup.``. GitLab CI marks sections with
``section_start:<time>:<name>`` / ``section_end:<time>:<name>``, echoes each command as
``$ <command>`` and ends a failed job with ``ERROR: Job failed: exit code N``, after its
post-job sections (artifacts, caches, ``cleanup_file_variables``): that failure is the
script's (``step_script``, or ``build_script`` on older runners).

:class:`StepTracker` follows these markers batch by batch (only the marker lines, found
by one vectorized test, are looked at in Python) and records, for each step that
failed: its name and command, its lines, its exit code, its annotations, its first
error lines and its last lines of output. It also says which lines are a step's echoed
script or post-job cleanup, so that the tagging can demote them: a script line such as
``printf '::error::...'`` or ``exit 1`` is not an error, it is the step's source.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import polars as pl

from tokopt_pipeline.lib.engine.priority import Level

#: Marker lines of steps, annotations and job ends (one vectorized test per line).
MARKER = (
    r"^(?:##\[(?:group|endgroup|error)\]|::error(?: |::)|Post job cleanup\.$|section_(?:start|end):\d+:"
    r"|ERROR: Job failed|Cleaning up project directory and file based variables|Complete job name: "
    r"|#\d+ (?:\[|ERROR: )|Step \d+/\d+ : |The command '.*' returned a non-zero code: \d+)"
)
_GROUP_RUN = "##[group]Run "
_EXIT = re.compile(r"(?:Process completed with exit code|Job failed: exit code|exit code:?) (\d+)")
#: GitLab's sections after the job's script: never the failing step, their lines demoted.
_GITLAB_POST = re.compile(r"^(?:cleanup_file_variables|upload_artifacts_on_(?:success|failure)|archive_cache(?:_on_failure)?)$")
#: GitLab's sections that run the job's script (older runners: build_script).
_GITLAB_SCRIPT = ("step_script", "build_script")
_SECTION = re.compile(r"^section_(start|end):\d+:([\w.\-]+)(?:\[[^\]]*\])?\r?\s*(.*)$")
_ANNOTATION = re.compile(r"^(?:##\[error\]|::error(?: [^:]*)?::)(.*)$")
#: Settings GitHub prints after a step's script, inside its group.
_BUILDKIT = re.compile(r"^#(\d+) (\[.*|ERROR: .*)$")
_NONZERO = re.compile(r"returned a non-zero code: (\d+)")
#: Output lines kept of a failing image build step.
BUILD_TAIL_LINES = 12
_SETTINGS = re.compile(r"^(?:shell|env|with): ?|^  \S")

#: Lines of a failing step's output kept, at most (the summary shows what fits).
TAIL_LINES = 40
#: First error lines kept per failing step.
FIRST_ERRORS = 6
#: Lines of script kept as a step's command.
COMMAND_LINES = 8
#: Failing steps recorded, at most (a job rarely has more than one or two).
MAX_FAILED_STEPS = 5
_LOOKBACK = 400


@dataclass
class Step:
    """One step of a job and what the summary says of it when it failed."""

    name: str
    first_line: int
    last_line: int = 0
    command: list[str] = field(default_factory=list)
    #: Annotations (``##[error]`` text) with their line numbers.
    annotations: list[tuple[int, str]] = field(default_factory=list)
    exit_code: int | None = None
    #: The first error lines of the step's output (line number, text).
    first_errors: list[tuple[int, str]] = field(default_factory=list)
    #: The last lines of the step's output before it failed (line number, text).
    tail: list[tuple[int, str]] = field(default_factory=list)
    #: The job the step belongs to, when the log names it.
    job: str = ""
    #: The line that ends the step's echoed script (its ``##[endgroup]``); 0 while open.
    script_end: int = 0


class StepTracker:
    """Follows a job's steps across batches; see the module docstring.

    ``feed`` is called once per batch, in order, with the batch's lines, levels and the
    positions of its marker lines; it returns the positions to demote (echoed scripts
    and post-job cleanup) so that the caller lowers their level.
    """

    def __init__(self) -> None:
        self.line_no = 1
        #: The last step started (only it and the failing ones are kept: a job may have
        #: thousands of steps).
        self.last_step: Step | None = None
        self.failed: list[Step] = []
        self.in_script = False
        self.post = False
        self.current: Step | None = None
        self.kind = ""  # "github" | "gitlab" once seen
        #: GitLab: the section that ran the job's script, which a job failure names.
        self.script_step: Step | None = None
        self.job_name = ""
        #: BuildKit step headers by number, and the classic builder's current step.
        self._build_headers: dict[str, tuple[int, str]] = {}
        self._classic: tuple[int, str] | None = None
        #: The output lines of the last batch (line number, text), for looking back.
        self._carry: list[tuple[int, str]] = []
        self._err_idx: list[int] | None = None

    # -- per batch ------------------------------------------------------------
    def feed(self, lines: list[str], levels: pl.Series, marks: list[int]) -> list[int]:
        base = self.line_no
        n = len(lines)
        self._err_idx = None
        self.line_no += n
        demote: list[tuple[int, int]] = []  # [start, end) ranges in the batch
        if not marks and not self.in_script and not self.post:
            self._track_errors(lines, levels, base, 0, n)
            self._remember(lines, levels, base, demote)
            return []
        pos = 0
        script_from = 0 if self.in_script else -1
        post_from = 0 if self.post else -1
        for i in marks:
            line = lines[i]
            if self.current is not None and not self.post:
                self._track_errors(lines, levels, base, pos, i)
            pos = i + 1
            if line.startswith(_GROUP_RUN) and not self.post:
                self.kind = self.kind or "github"
                self._start(Step(line[len(_GROUP_RUN):].strip(), base + i))
                self.in_script, script_from = True, i + 1
            elif line.startswith("##[endgroup]"):
                if self.in_script:
                    demote.append((script_from, i + 1))
                    if self.current is not None:
                        self.current.script_end = base + i
                        if not self.current.command:
                            self.current.command = command_lines(lines[script_from:i]) or [self.current.name]
                    self.in_script, script_from = False, -1
            elif line.startswith("##[group]"):
                if self.in_script:  # a group inside a script's group: the script ended
                    demote.append((script_from, i))
                    self.in_script, script_from = False, -1
            elif line.startswith("Post job cleanup.") or line.startswith("Cleaning up project directory"):
                if self.in_script:
                    demote.append((script_from, i))
                    self.in_script, script_from = False, -1
                self._end(base + i - 1)
                if not self.post:
                    self.post, post_from = True, i + 1
            elif line.startswith("section_"):
                if self._section(line, base + i) and not self.post:
                    self.post, post_from = True, i + 1
            elif line.startswith("Complete job name: "):
                self.job_name = line[len("Complete job name: "):].strip()
            elif _BUILDKIT.match(line) or line.startswith("Step ") or line.startswith("The command '"):
                self._build_step(line, base, i, lines)
            else:
                m = _ANNOTATION.match(line)
                if m:
                    self._annotate(base + i, line.strip(), lines, levels, base, i)
                elif line.startswith("ERROR: Job failed"):
                    self._annotate(base + i, line.strip(), lines, levels, base, i)
        if self.current is not None and not self.post:
            self._track_errors(lines, levels, base, pos, n)
        if self.in_script and script_from >= 0:
            demote.append((script_from, n))
        if self.post and post_from >= 0:
            demote.append((post_from, n))
        self._remember(lines, levels, base, demote)
        return [j for a, b in demote for j in range(a, b)
                if not lines[j].startswith("##[error]") and not lines[j].startswith("ERROR: Job failed")]

    # -- image builds: BuildKit's numbered steps and the classic builder's ---------
    def _build_step(self, line: str, base: int, i: int, lines: list[str]) -> None:
        """A build step header is remembered; a step's error makes it a failing step
        (its header, its error, its last lines of output), inside whatever CI step runs
        the build."""
        m = _BUILDKIT.match(line)
        if m:
            num, rest = m.group(1), m.group(2)
            if rest.startswith("["):
                if len(self._build_headers) > 5000:
                    self._build_headers.clear()
                self._build_headers[num] = (base + i, line.strip())
                return
            first, name = self._build_headers.get(num, (base + i, f"#{num}"))
            prefix = f"#{num} "
            tail = self._same_prefix(lines, base, i, prefix, first)
        elif line.startswith("Step "):
            self._classic = (base + i, line.strip())
            return
        else:
            first, name = self._classic or (base + i, "docker build")
            tail = self._output_since(lines, base, i, first)
        step = Step(name, first, last_line=base + i, job=self.job_name)
        step.annotations.append((base + i, line.strip()))
        code = _EXIT.search(line) or _NONZERO.search(line)
        step.exit_code = int(code.group(1)) if code else None
        step.tail = tail
        step.command = [name]
        if len(self.failed) < MAX_FAILED_STEPS and not any(f.name == name and f.first_line == first for f in self.failed):
            self.failed.append(step)

    def _same_prefix(self, lines: list[str], base: int, i: int, prefix: str, first: int) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for j in range(i - 1, max(-1, i - _LOOKBACK), -1):
            if base + j <= first or len(out) >= BUILD_TAIL_LINES:
                break
            if lines[j].startswith(prefix) and lines[j].strip() != prefix.strip():
                out.append((base + j, lines[j]))
        return out[::-1]

    def _output_since(self, lines: list[str], base: int, i: int, first: int) -> list[tuple[int, str]]:
        lo = max(0, first - base + 1, i - BUILD_TAIL_LINES)
        return [(base + j, lines[j]) for j in range(lo, i) if lines[j].strip()]

    def _start(self, step: Step) -> None:
        if self.current is not None:
            self._end(step.first_line - 1)
        self.current = step
        self.last_step = step

    def _end(self, last_line: int) -> None:
        if self.current is not None:
            self.current.last_line = max(self.current.first_line, last_line)
            self.current = None

    def _section(self, line: str, line_no: int) -> bool:
        """Follow a GitLab section marker; True when a post-job section starts."""
        m = _SECTION.match(line)
        if not m:
            return False
        self.kind = self.kind or "gitlab"
        kind, name = m.group(1), m.group(2)
        if kind == "start":
            if _GITLAB_POST.match(name):
                self._end(line_no - 1)
                return True
            if self.post:
                return False
            self._start(Step(name, line_no, script_end=line_no))
            if name in _GITLAB_SCRIPT:
                self.script_step = self.current
        elif self.current is not None and self.current.name == name:
            self._end(line_no)
        return False

    def _annotate(self, line_no: int, text: str, lines: list[str], levels: pl.Series, base: int, i: int) -> None:
        step = self.current
        if step is None:  # an error after the steps (GitLab's job end): the script failed
            step = self.script_step or self.last_step
            if step is None:
                step = self.last_step = Step("job", 1)
        m = _EXIT.search(text)
        if m:
            step.exit_code = int(m.group(1))
        step.annotations.append((line_no, text))
        if step not in self.failed:
            if len(self.failed) >= MAX_FAILED_STEPS:
                return
            self.failed.append(step)
        if not step.tail:
            step.tail = self._look_back(lines, levels, base, i, step)

    # -- what a failing step said -------------------------------------------------
    def _track_errors(self, lines: list[str], levels: pl.Series, base: int, start: int, end: int) -> None:
        """Keep the current step's first error lines (in ``lines[start:end]``)."""
        step = self.current
        if step is None or len(step.first_errors) >= FIRST_ERRORS or start >= end or not step.script_end:
            return
        if self._err_idx is None:
            self._err_idx = (levels <= int(Level.HIGH)).arg_true().to_list()
        idx = self._err_idx
        for k in range(bisect_left(idx, start), bisect_right(idx, end - 1)):
            j = idx[k]
            text = lines[j]
            if not text.strip() or _ANNOTATION.match(text) or text.startswith("##["):
                continue
            step.first_errors.append((base + j, text))
            if len(step.first_errors) >= FIRST_ERRORS:
                break

    def _look_back(self, lines: list[str], levels: pl.Series, base: int, i: int, step: Step) -> list[tuple[int, str]]:
        """The step's last lines of output before line ``i`` of the batch (before its end,
        when it ended before ``i``: GitLab's job failure comes after the post-job
        sections): blank lines, runner markup and noise (verbose) left out."""
        out: list[tuple[int, str]] = []
        lo = max(0, i - _LOOKBACK)
        lv = levels.slice(lo, i - lo).to_list()
        ended = step.last_line if step is not self.current and step.last_line else None
        for j in range(i - 1, lo - 1, -1):
            if base + j <= (step.script_end or step.first_line) or len(out) >= TAIL_LINES:
                break
            if ended is not None and base + j > ended:
                continue
            if self._keep_in_tail(lines[j], lv[j - lo]):
                out.append((base + j, lines[j]))
        if len(out) < TAIL_LINES and lo == 0:
            for ln, text in reversed(self._carry):
                if ln <= (step.script_end or step.first_line) or len(out) >= TAIL_LINES:
                    break
                if ended is None or ln <= ended:
                    out.append((ln, text))
        return out[::-1]

    @staticmethod
    def _keep_in_tail(text: str, level: int) -> bool:
        return bool(text.strip()) and level < int(Level.VERBOSE) and not text.startswith(("##[", "section_"))

    def _remember(self, lines: list[str], levels: pl.Series, base: int, demote: list[tuple[int, int]]) -> None:
        """Keep the batch's last output lines for a step that fails early in the next."""
        n = len(lines)
        lo = max(0, n - _LOOKBACK)
        lv = levels.slice(lo, n - lo).to_list()
        hidden: set[int] = set()
        for a, b in demote:
            hidden.update(range(max(a, lo), b))
        kept = [(base + j, lines[j]) for j in range(lo, n) if j not in hidden and self._keep_in_tail(lines[j], lv[j - lo])]
        self._carry = (self._carry + kept)[-TAIL_LINES:]

    def finish(self) -> list[Step]:
        """The failing steps, in the order they failed."""
        if self.current is not None:
            self._end(self.line_no - 1)
        for s in self.failed:
            if not s.last_line:
                s.last_line = self.line_no - 1
            s.job = self.job_name
        return self.failed


def command_lines(lines: list[str]) -> list[str]:
    """The script lines of a ``##[group]Run`` block (settings such as ``shell:`` left out)."""
    out = []
    for ln in lines:
        if _SETTINGS.match(ln):
            break
        if ln.strip():
            out.append(ln)
    return out[:COMMAND_LINES]


__all__ = ["MARKER", "Step", "StepTracker", "command_lines"]
