"""Grouping lines into multi-line events, vectorized.

An event is a run of lines that belong together: a Python traceback, a pytest failure
or error section (``____ test_x ____`` up to the next section), a Java stack trace
(``\\tat ...``, ``Caused by: ...``, ``... 12 more``). Every other line is an event of
its own. Each line gets an ``event_id``; ids increase through the file and carry across
batches (:class:`EventGrouper` keeps the state a batch boundary needs).

An event takes the priority of its worst line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

# A pytest section banner: "=== FAILURES ===", "=== short test summary info ===".
SECTION = r"^=+ ?[A-Za-z][^=]* ?=+$|^=+$"
FAIL_SECTION = r"^=+ (FAILURES|ERRORS) =+$"
TEST_HEADER = r"^_+ [^_ ].* _+$"
INDENTED = r"^[ \t]"
TB_START = r"^Traceback \(most recent call last\):"
TB_CHAIN = r"^(During handling of the above exception|The above exception was the direct cause)"
JAVA_CONT = r"^\s+at \S|^\s*\.\.\. \d+ (more|common frames omitted)|^Caused by: |^\s*Suppressed: "
EXC_LINE = r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning|Fault|Failure)(: |$)"
GO_PANIC_CONT = r"^goroutine \d+ \[|^\S+\.go:\d+|^\S+\(.*\)$"


#: The line-start tests of event grouping, by the column each one fills.
ANCHORED = {
    "section": SECTION,
    "fail_section": FAIL_SECTION,
    "test_header": TEST_HEADER,
    "indented": INDENTED,
    "java": JAVA_CONT,
    "chain": TB_CHAIN,
    "exc": EXC_LINE,
}
_ANCHORED_ANY = "|".join(f"(?:{p})" for p in ANCHORED.values())


def anchored_features(frame: pl.DataFrame, column: str = "line") -> list[pl.Series]:
    """The columns of :data:`ANCHORED` for ``frame`` (and ``blank``), as
    :func:`feature_exprs` computes them: one scan for the union of the tests, then each
    test on the few lines the union matched (every one of them is anchored at the line's
    start, so most lines fail them all at their first characters)."""
    line = pl.col(column)
    hit = frame.select(line.str.contains(_ANCHORED_ANY)).to_series()
    none = frame[column].is_null()  # all False: the lines are never null
    idx = hit.arg_true()
    sub = frame[column].gather(idx).to_frame() if len(idx) else None
    out = []
    for name, pattern in ANCHORED.items():
        col = none
        if sub is not None:
            found = sub.select(line.str.contains(pattern)).to_series()
            if found.any():
                col = none.clone().scatter(idx.filter(found), True)  # (scatter works in place)
        out.append(col.alias(name))
    out.append(frame.select((line.str.len_bytes() == 0).alias("blank")).to_series())
    return out


def feature_exprs(column: str = "line", with_packs: bool = True) -> list[pl.Expr]:
    """The per-line booleans event grouping needs (vectorized regex tests). Without
    ``with_packs``, the runner packs' ``block_start`` and ``pack_cont`` are left to the
    caller (the analysis tests them with its other pattern sets)."""
    from tokopt_pipeline.lib.engine import packs

    line = pl.col(column)
    own = [
        line.str.contains(packs.block_start()).alias("block_start"),
        line.str.contains(packs.continuation()).alias("pack_cont"),
        line.str.contains(packs.section_start()).alias("sec_start"),
        line.str.contains(packs.section_end()).alias("sec_end"),
        line.str.contains(packs.join_next()).alias("join_next"),
    ] if with_packs else []
    return own + [line.str.contains(p).alias(name) for name, p in ANCHORED.items()] + [
        (line.str.len_bytes() == 0).alias("blank"),
    ]


@dataclass
class EventGrouper:
    """Assigns event ids batch by batch; state crosses batch boundaries."""

    next_id: int = 0
    in_fail_section: bool = False
    in_pack_section: bool = False
    prev_indented: bool = False
    prev_in_event: bool = False
    prev_joins: bool = False

    def assign(self, lines: pl.Series) -> pl.DataFrame:
        """Return columns ``event_id`` (UInt64) and ``in_section`` (bool) for ``lines``."""
        if len(lines) == 0:
            return pl.DataFrame({"event_id": pl.Series([], dtype=pl.UInt64), "in_section": pl.Series([], dtype=pl.Boolean)})
        return self.assign_features(pl.DataFrame({"line": lines}).select(feature_exprs()))

    def assign_features(self, df: pl.DataFrame) -> pl.DataFrame:
        """Like :meth:`assign`, from the columns of :func:`feature_exprs` (computed by the
        caller, possibly together with other per-line work)."""
        if df.height == 0:
            return pl.DataFrame({"event_id": pl.Series([], dtype=pl.UInt64), "in_section": pl.Series([], dtype=pl.Boolean)})
        # Inside FAILURES/ERRORS: the last section banner decides, carried across batches.
        sect_state = (
            pl.when(pl.col("section")).then(pl.col("fail_section")).otherwise(None).forward_fill().fill_null(self.in_fail_section)
        )
        prev_indented = pl.col("indented").shift(1).fill_null(self.prev_indented)
        df = df.with_columns(sect_state.alias("in_section"))
        cont = (
            # Inside a failure section every line but a banner or a test header continues.
            (pl.col("in_section") & ~pl.col("section") & ~pl.col("test_header"))
            | (~pl.col("in_section") & ~pl.col("section") & (
                pl.col("java")
                | pl.col("chain")
                | pl.col("pack_cont")
                | (pl.col("indented") & ~pl.col("blank"))
                # "ValueError: boom" right after the indented frames of a traceback
                | (pl.col("exc") & prev_indented)
            ))
        )
        # A runner's block start (a diagnostic, a panic, a failure header) opens a new
        # event even inside indented output.
        cont = cont & ~pl.col("block_start")
        # The line after a pack's "joins next" line (a panic's header: its message) is its.
        if "join_next" in df.columns:
            cont = cont | pl.col("join_next").shift(1).fill_null(self.prev_joins)
        # A pack's failure report (jest's "● suite › test") runs over blank lines to the
        # next report or its end line.
        pack_sect = (
            pl.when(pl.col("sec_start")).then(True).when(pl.col("sec_end")).then(False).otherwise(None)
            .forward_fill().fill_null(self.in_pack_section)
        )
        df = df.with_columns(pack_sect.alias("in_pack_section"))
        cont = cont | (pl.col("in_pack_section") & ~pl.col("sec_start") & ~pl.col("section"))
        if self.next_id == 0:
            cont = cont & (pl.int_range(pl.len()) > 0)
        # A start line opens a new event; a continuation shares the id before it. The
        # first line of a batch may continue the last event of the previous batch.
        starts = (~cont).cast(pl.Int64)
        df = df.with_columns((pl.lit(self.next_id - 1, dtype=pl.Int64) + starts.cum_sum()).cast(pl.UInt64).alias("event_id"))
        last_id = int(df["event_id"][-1])
        self.next_id = last_id + 1
        self.in_fail_section = bool(df["in_section"][-1])
        self.in_pack_section = bool(df["in_pack_section"][-1])
        self.prev_indented = bool(df["indented"][-1])
        self.prev_joins = bool(df["join_next"][-1]) if "join_next" in df.columns else False
        return df.select("event_id", "in_section")


_CAPTURED = re.compile(r"^-{3,} Captured (stdout|stderr|log) \w+ -{3,}$")
_PY_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+)')
_PYTEST_LOC = re.compile(r"^(\S+\.py):(\d+): ")
_JAVA_FRAME = re.compile(r"^\s+at (\S+)\(([^)]*)\)")
_EXC = re.compile(r"^(?:E\s+)?([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault|Failure|Error\w*))(?::\s?(.*))?$")


def exception_of(lines: list[str]) -> tuple[str | None, str]:
    """The final exception type and message first line of an event's lines.

    pytest sections hold the raised exception on ``E`` lines; the last block of ``E``
    lines is the one pytest reports. Plain tracebacks end with ``Type: message``.
    """
    e_blocks: list[list[str]] = []
    prev_e = False
    for ln in lines:
        if ln.startswith("E ") or ln == "E":
            if not prev_e:
                e_blocks.append([])
            e_blocks[-1].append(ln[1:].strip())
            prev_e = True
        else:
            prev_e = False
    if e_blocks:
        for block in reversed(e_blocks):
            for cand in block:
                m = _EXC.match(cand)
                if m:
                    msg = (m.group(2) or "").strip()
                    if not msg:
                        rest = [c for c in block[block.index(cand) + 1 :] if c]
                        msg = rest[0] if rest else ""
                    return m.group(1), msg
        first = next((c for c in e_blocks[-1] if c), "")
        loc = next((ln for ln in reversed(lines) if _PYTEST_LOC.match(ln)), None)
        if loc:
            typ = loc.rsplit(": ", 1)[-1].strip()
            return (typ if re.fullmatch(r"[\w.]+", typ) else None), first
        return None, first
    for ln in reversed(lines):
        s = ln.strip()
        m = _EXC.match(s)
        if m and not s.startswith("File "):
            return m.group(1), (m.group(2) or "").strip()
    for ln in lines:
        m = re.search(r"([A-Z][\w.]*(?:Error|Exception))(?::\s?(.*))?", ln)
        if m:
            return m.group(1), (m.group(2) or "").strip()
    return None, ""


_PY_TB = re.compile(r"^\s*Traceback \(most recent call last\)")
#: A stack frame of any runtime (Java/JS ``at``, Rust/Go numbered or path frames).
_FRAME = re.compile(r"^\s+(?:at |\d+: |File \"|\S+\.\w+:\d+|\.\.\. \d+ (?:more|common))|^\s+\S+\(.*\)$|^\s*❯ ")
#: Frames of a library, runtime or test framework rather than of the project.
LIBRARY_FRAME = re.compile(
    r"node_modules/|site-packages/|dist-packages/|/usr/(?:lib|share)/|java\.base/|node:|<frozen |\(internal/"
    r"|\b(?:org\.junit|junit\.framework|org\.apache\.maven|org\.gradle|jdk\.internal|sun\.reflect|java\.lang\.reflect"
    r"|java\.util\.|org\.testng|kotlin\.coroutines|org\.opentest4j)\.|/rustc/[0-9a-f]+/|\.cargo/registry/|/go/src/"
    r"|/src/(?:runtime|testing|reflect)/|^\s+\d+: (?:std|core|alloc|__rustc|test)::|^\s+\.\.\. \d+ (?:more|common)"
)
_KEY_LINE = re.compile(r"^\s*(?:Caused by: |Suppressed: )|(?:Error|Exception|Failure|panic|FAIL)\b|\b(?:error|expected|Expected|Received|but was)\b")


_LOCATION = re.compile(
    r"(?:[\w.$@~+-]*/)*[\w.$@~+-]*\w\.(?:java|kt|kts|scala|groovy|py|go|rs|c|cc|cpp|cxx|h|hpp|m|mm|swift|js|mjs|cjs|ts|tsx|jsx"
    r"|rb|php|cs|ex|exs|erl|dart|lua|pl|sh|tf|cmake|txt)(?::\d+)+"
)


def project_locations(lines: list[str], most: int) -> list[str]:
    """The first ``most`` distinct ``path:line`` locations in ``lines`` that are not in
    a library, runtime or test framework frame."""
    out: list[str] = []
    for ln in lines:
        if LIBRARY_FRAME.search(ln):
            continue
        for loc in _LOCATION.findall(ln):
            if loc not in out:
                out.append(loc)
                if len(out) >= most:
                    return out
    return out


def _elide(body: list[str], keep: list[int]) -> list[str]:
    """The lines of ``body`` at the sorted indexes ``keep``, each gap replaced by a count."""
    out, prev = [], -1
    for i in keep:
        if i != prev + 1:
            out.append(f"  … {i - prev - 1} lines …")
        out.append(body[i])
        prev = i
    if prev < len(body) - 1:
        out.append(f"  … {len(body) - 1 - prev} lines …")
    return out


def _cut_trace(body: list[str], max_lines: int) -> list[str]:
    """A stack trace of a runtime other than Python's cut to what explains it: its
    first line, its message and "Caused by" lines, and the project's own frames
    (the first two after each message first), not the framework's."""
    score = []
    after_key = 0
    for i, ln in enumerate(body):
        frame = bool(_FRAME.match(ln))
        if i == 0:
            s = 5
        elif not frame and _KEY_LINE.search(ln):
            s, after_key = 4, 2
        elif not frame:
            s = 3 if i < 8 else 1
        elif LIBRARY_FRAME.search(ln):
            s = 0
        elif after_key:
            s, after_key = 3, after_key - 1
        else:
            s = 2
        score.append(s)
    keep = sorted(i for i in sorted(range(len(body)), key=lambda i: (-score[i], i))[:max_lines] if score[i] > 0)
    return _elide(body, keep)


def innermost(lines: list[str], max_lines: int = 12) -> list[str]:
    """Cut a traceback/section to what explains it: the innermost frames and the error.

    Keeps the last ``max_lines`` meaningful lines, preferring the final location line,
    the source line marked ``>`` and the ``E`` lines; elides the rest with a count.
    """
    body: list[str] = []
    captured: list[str] = []
    for i, ln in enumerate(lines):
        if _CAPTURED.match(ln) and body:
            # Captured output after the failure: the failure itself comes first, then
            # what the output says of it (the command a test ran, the error it printed).
            captured = _captured_highlights(lines[i:])
            break
        if ln.strip() and not re.fullmatch(r"(_ )+_?\s*", ln.strip()):
            body.append(ln)
    return _cut_body(body, max_lines) + captured


_CAPTURED_KEY = re.compile(r"^(?:ERROR|Error|error|fatal|FATAL|CRITICAL)\b|\b\w*(?:Error|Exception): |^Traceback ")


def _captured_highlights(lines: list[str], most: int = 4) -> list[str]:
    """The header of a captured-output section, its first line and its error lines."""
    out = [lines[0]]
    body = [ln for ln in lines[1:] if ln.strip() and not _CAPTURED.match(ln)]
    keys = list(dict.fromkeys(ln for ln in body[1:] if _CAPTURED_KEY.search(ln) and ln != body[0]))
    picked = body[:1] + keys[: most - 1]
    if not any(_CAPTURED_KEY.search(ln) for ln in picked):
        return []
    return out + picked


def _cut_body(body: list[str], max_lines: int) -> list[str]:
    if len(body) <= max_lines:
        return body
    if not any(ln.startswith("E ") for ln in body) and not any(_PY_TB.match(ln) for ln in body):
        return _cut_trace(body, max_lines)
    keep_idx: list[int] = []
    # The last block of E lines (pytest) or the final exception line.
    e_idx = [i for i, ln in enumerate(body) if ln.startswith("E ")]
    if e_idx:
        last = e_idx[-1]
        start = last
        while start - 1 >= 0 and body[start - 1].startswith("E "):
            start -= 1
        block = list(range(start, last + 1))
        if len(block) > max_lines // 2:
            block = block[: max_lines // 2]
        keep_idx.extend(block)
        marker = [i for i in range(start) if body[i].lstrip().startswith(">")]
        if marker:
            keep_idx.append(marker[-1])
        loc = [i for i in range(last + 1, len(body)) if _PYTEST_LOC.match(body[i])]
        if loc:
            keep_idx.append(loc[0])
    else:
        keep_idx.extend(range(len(body) - max_lines + 1, len(body)))
    if body[0] not in ("",):
        keep_idx.append(0)
    keep = sorted(set(keep_idx))[: max_lines + 2]
    return _elide(body, keep)
