"""The streaming pass over a log: read, redact, tag, group, template and count.

One concept (over 400 lines): the single streaming pass and the aggregates it keeps.

:func:`analyze` reads the log once, batch by batch (memory does not grow with the
file), and keeps only compact aggregates:

* per-template statistics (count, first/last line, worst level, one real example;
  critical and high templates keep up to ``MAX_EXAMPLES`` distinct real lines, so lines
  that differ only in a name are not reduced to one);
* error groups: multi-line events of high or critical priority (tracebacks, pytest
  failure sections, Java stack traces) deduplicated by exception type and message,
  with one representative example and the tests they belong to;
* failing tests and every test run's totals line;
* per-chunk statistics and line counts per priority.

Everything the summary shows is rendered from this :class:`~.model.Analysis`.

One concept, in one module: the :class:`Analyzer`'s state across batches (the event
that may go on in the next batch, the open CI step, the active runner packs) and the
pipeline that feeds it (batches read ahead and their features computed on worker
threads while an earlier batch is processed). The data it fills is :mod:`.model`, the
per-line tests :mod:`.features`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from tokopt_pipeline.lib.engine import packs
from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.cisteps import StepTracker
from tokopt_pipeline.lib.engine.events import EventGrouper, exception_of, innermost, project_locations
from tokopt_pipeline.lib.engine.features import DETECT, DETECT_LINES, detectors, line_features, line_matchers
from tokopt_pipeline.lib.engine.model import MAX_EXAMPLES, TIMESTAMP, Analysis, ChunkStat, ErrorGroup, TemplateStat, normalize_message
from tokopt_pipeline.lib.engine.priority import Level, Rule
from tokopt_pipeline.lib.engine.profiles import detect_profile, get_profile
from tokopt_pipeline.lib.engine.reader import Batch, ReadStats, adaptive_batch_lines, open_log
from tokopt_pipeline.lib.engine.redact import Redactor
from tokopt_pipeline.lib.engine.redact import preload as preload_redaction
from tokopt_pipeline.lib.engine.runmeta import RunMeta
from tokopt_pipeline.lib.engine.templates import TemplateMiner
from tokopt_pipeline.lib.engine.testresults import FailedTest, TestIndex, parse_totals
from tokopt_pipeline.lib.settings.options import SummaryOptions

#: Lines kept before and after the first occurrence of a critical or high line.
CONTEXT_BEFORE = 3
CONTEXT_AFTER = 6
MAX_CONTEXTS = 200
#: Locations kept per error group, and taken from each of its occurrences.
MAX_GROUP_LOCATIONS = 24
LOCATIONS_PER_EVENT = 3
EVENT_HEAD_LINES = 40
EVENT_TAIL_LINES = 200
MIN_BATCH_LINES = 200_000
#: Batches read ahead of the one being processed (their per-line tests run meanwhile).
READ_AHEAD = 2
#: The first batch is smaller (whole chunks, at least one): the work on the second
#: core starts once it is read.
FIRST_BATCH_LINES = 25_000

@dataclass
class _OpenEvent:
    event_id: int
    first_line: int
    last_line: int
    level: int
    in_section: bool
    head: list[str]
    tail: list[str]
    total: int
    masked_head: str
    #: Its lines (columns of ``_TEMPLATE_ROW``) while it may still turn out to be no
    #: error group, in which case they are templated like any other line.
    rows: list[pl.DataFrame] = field(default_factory=list)

    def is_group(self) -> bool:
        return self.level <= Level.HIGH and (self.total > 1 or self.in_section)

    def hold(self, rows: pl.DataFrame) -> None:
        if not self.is_group():  # a group's lines are never templated: nothing to keep
            self.rows.append(rows)

    def spill(self) -> list[pl.DataFrame]:
        """The held lines to template now. An error group's lines are never templated:
        once the event is one they are dropped. Past ``HELD_ROWS`` lines they are handed
        back, so memory stays bounded (should the event become a group later, those
        lines stay templated)."""
        if self.is_group():
            self.rows = []
            return []
        if sum(r.height for r in self.rows) > HELD_ROWS:
            return self.take()
        return []

    def take(self) -> list[pl.DataFrame]:
        rows, self.rows = self.rows, []
        return rows


_TEMPLATE_ROW = ["tid", "line_no", "level", "line"]
#: Most lines an open event that is not (yet) an error group holds back from templating.
HELD_ROWS = 50_000


#: A batch's lines (redacted), as a Series, with their per-line tests and levels (:meth:`Analyzer.features`).
_Features = tuple[list[str], pl.Series, pl.DataFrame, pl.Series]


class Analyzer:
    """Holds the state of one streaming pass; :func:`analyze` drives it."""

    def __init__(self, source: str, options: SummaryOptions, miner: TemplateMiner | None = None):
        self.options = options
        self.a = Analysis(source=source, profile=options.profile if options.profile != "auto" else "",
                          run_meta=RunMeta() if options.collect_run_meta else None)
        self.redactor = Redactor(enabled=options.redact)
        self.grouper = EventGrouper()
        self.miner = miner or TemplateMiner()
        self.tests = TestIndex()
        self.steps = StepTracker()
        self.scopes = packs.scope_tracker()
        #: Error groups whose event names a test not (yet) known to fail: (test, group key).
        self.named: list[tuple[str, str]] = []
        self.rules: list[Rule] | None = None  # chosen by prepare()
        self.open_event: _OpenEvent | None = None
        self.count_exact = options.strict_estimation
        self.exact_tokens = 0
        self.examples_done: set[int] = set()  # templates that hold MAX_EXAMPLES examples
        #: Threads that compute slices of a batch's per-line tests (:func:`.features.line_features`).
        self.helpers: ThreadPoolExecutor | None = None
        self.slices = 1

    # -- per batch ------------------------------------------------------------
    def prepare(self, lines: list[str]) -> None:
        """Choose the profile and its rules from the first batch (once)."""
        if self.rules is not None:
            return
        a = self.a
        if not a.profile:
            sample = lines[:2000]
            if self.redactor is not None and self.redactor.enabled:
                sample = Redactor().redact_lines(sample)
            a.profile = detect_profile(sample)
        self.sample = lines[:2000]
        self._activate(frozenset())

    def _activate(self, active: frozenset[str]) -> None:
        """Tag with the rules of the ``active`` runner packs from now on."""
        self.active = active
        self.rules = get_profile(self.a.profile).all_rules(self.options.extra_rules, active)
        self.matchers = line_matchers(self.rules, active)
        self.matchers.calibrate(self.sample)

    def _detected(self, lines: list[str], feats: pl.DataFrame) -> frozenset[str]:
        """The runner packs not yet active whose tools show in the batch."""
        if DETECT not in feats.columns or not feats[DETECT].any():
            return frozenset()
        rows = feats[DETECT].arg_true().head(DETECT_LINES).to_list()
        found = set()
        for name, rx in detectors().items():
            if name not in self.active and any(rx.search(lines[i]) for i in rows):
                found.add(name)
        return frozenset(found)

    def features(self, lines: list[str]) -> _Features:
        """The batch redacted, as a list and a Series, with its per-line tests
        (:func:`.features.line_features`) and levels.

        Depends only on the lines, the rules (:meth:`prepare` first) and the redactor's
        open key block from the batch before, so :func:`analyze` runs it for the batches
        read ahead, in order, on one worker thread while an earlier one is processed.
        """
        assert self.rules is not None, "prepare() chooses the rules first"
        redacting = self.redactor is not None and self.redactor.enabled
        # All per-line tests run at once, the secret trigger among them; the few lines
        # redaction changes are then tested again and patched in, so every later stage
        # sees only redacted text.
        s, feats, level = line_features(lines, self.rules, secrets=redacting, helpers=self.helpers, slices=self.slices,
                                         run_meta=self.a.run_meta is not None, matchers=self.matchers)
        # A runner pack whose tools show in this batch applies from this batch on (its
        # rules, its event boundaries): per region of the log, and a log of other tools
        # pays nothing for the packs. The batch is then tested again with them.
        found = self._detected(lines, feats)
        if found:
            self._activate(self.active | found)
            s, feats, level = line_features(lines, self.rules, secrets=redacting, helpers=self.helpers,
                                             slices=self.slices, run_meta=self.a.run_meta is not None,
                                             matchers=self.matchers)
        if DETECT in feats.columns:
            feats = feats.drop(DETECT)
        if redacting:
            hits = feats["secret"].arg_true().to_list()
            redacted = self.redactor.redact_lines(lines, candidates=hits)
            changed = self.redactor.changed
            if changed:
                lines = redacted
                idx = pl.Series("i", changed, dtype=pl.UInt32)
                sub, fixed, sub_level = line_features([lines[i] for i in changed], self.rules,
                                                       run_meta=self.a.run_meta is not None, matchers=self.matchers)
                s = s.scatter(idx, sub)
                feats = feats.with_columns(*[feats[c].scatter(idx, fixed[c]) for c in fixed.columns if c in feats.columns])
                level = level.scatter(idx, sub_level)
        # CI steps: runs in batch order (this method is called once per batch, in order).
        demote = self.steps.feed(lines, level, feats["ci"].arg_true().to_list())
        if demote:
            level = level.scatter(pl.Series("i", demote, dtype=pl.UInt32), int(Level.VERBOSE))
        # The runner packs' scopes (libtest's "successes:" and "failures:"), in batch order
        # too: the scope of each line, and passing tests' output lowered.
        scope = self.scopes.feed(lines, feats["scope"].arg_true().to_list(), self.active)
        feats = feats.drop("scope")
        if scope is not None:
            feats = feats.with_columns(scope.alias("scope"))
            level = self.scopes.quiet(scope, level)
        return lines, s, feats, level

    def process(self, lines: list[str], first_line_no: int, raw_bytes: int,
                features: _Features | None = None) -> pl.DataFrame:
        """Process one batch; returns its per-line frame (line_no, level, tid, chunk).

        ``features``: the batch's :meth:`features`, when the caller computed them already.
        """
        a = self.a
        self.prepare(lines)
        lines, s, feats, level = features if features is not None else self.features(lines)
        n = len(lines)
        if self.count_exact:
            self.exact_tokens += tok.count("\n".join(lines) + "\n")
        ev = self.grouper.assign_features(feats)
        masked = feats["masked"].alias("line")
        tid = self.miner.add_batch(masked)
        df = pl.DataFrame(
            {
                "line_no": pl.int_range(first_line_no, first_line_no + n, eager=True, dtype=pl.Int64),
                "line": s,
                "level": level,
                "event_id": ev["event_id"],
                "in_section": ev["in_section"],
                "tid": tid,
                "masked": masked,
            }
        )
        a.lines += n
        a.raw_bytes += raw_bytes
        for lv, c in df.group_by("level").len().iter_rows():
            a.level_counts[int(lv)] += int(c)

        # Runs' totals lines and failing tests: shown in their own sections.
        test_lines: set[int] = set()
        for line_no, line in df.filter(feats["totals"]).select("line_no", "line").iter_rows():
            rt = parse_totals(line, line_no)
            if rt:
                a.runs.append(rt)
                test_lines.add(line_no)
        if a.run_meta is not None:
            a.run_meta.feed(df.filter(feats["run_meta"])["line"].to_list())
        # Failing tests.
        scoped = "scope" in feats.columns
        cands = df.filter(feats["test"]).select("line_no", "line", "in_section")
        if scoped:
            cands = cands.with_columns(feats["scope"].filter(feats["test"]).alias("scope"))
        for row in cands.iter_rows():
            if self.tests.feed(row[1], row[0], row[2], row[3] if scoped else 0):
                test_lines.add(row[0])

        # Multi-line events of high or critical priority -> error groups. The event the
        # batch ends in may go on in the next batch and only there turn out to matter (a
        # pytest section whose header lies in this batch and its E lines in the next),
        # so it is held open whatever its level: its lines are templated only once it
        # is known to be no error group. So is the rest of an event carried from the
        # batch before.
        open_before = self.open_event
        carried = open_before.event_id if open_before else -1
        ending = int(df["event_id"][-1])
        ev_level = pl.col("level").min().over("event_id")
        if open_before is not None:
            ev_level = (
                pl.when(pl.col("event_id") == carried)
                .then(pl.min_horizontal(ev_level, pl.lit(open_before.level, dtype=pl.UInt8)))
                .otherwise(ev_level)
            )
        df = df.with_columns(ev_level.alias("ev_level"), pl.len().over("event_id").alias("ev_size"))
        important = (pl.col("ev_level") <= int(Level.HIGH)) & ((pl.col("ev_size") > 1) | pl.col("in_section"))
        held = important | pl.col("event_id").is_in([carried, ending])
        df = df.with_columns(held.alias("held"))
        imp = (
            df.filter("held")
            .group_by("event_id", maintain_order=True)
            .agg(
                pl.col("line"),
                pl.col("line_no").min().alias("first"),
                pl.col("line_no").max().alias("last"),
                pl.col("level").min().alias("level"),
                pl.col("in_section").first(),
                pl.col("masked").first().alias("masked_head"),
            )
        )
        open_rows = df.filter(pl.col("event_id").is_in([carried, ending]))
        test_line_nos = list(test_lines)
        if test_lines:
            open_rows = open_rows.filter(~pl.col("line_no").is_in(test_line_nos))
        open_rows = open_rows.select(_TEMPLATE_ROW)
        deferred: list[pl.DataFrame] = []
        if open_before is not None and (imp.height == 0 or int(imp["event_id"][0]) != carried):
            deferred += self._resolve(open_before)
            self.open_event = None
        continued = False
        for event_id, ev_lines, first, last, lvl, in_section, masked_head in imp.iter_rows():
            rows = open_rows.filter(pl.col("line_no").is_between(first, last)) if event_id in (carried, ending) else None
            oe = self.open_event
            if oe is not None and event_id == oe.event_id:
                continued = True
                oe.last_line = last
                oe.level = min(oe.level, lvl)
                room = EVENT_HEAD_LINES - len(oe.head)
                if room > 0:
                    oe.head.extend(ev_lines[:room])
                    ev_lines = ev_lines[room:]
                oe.tail = (oe.tail + ev_lines)[-EVENT_TAIL_LINES:]
                oe.total += last - first + 1
                if rows is not None:
                    oe.hold(rows)
                    deferred += oe.spill()
                continue
            if oe is not None:
                deferred += self._resolve(oe)
            self.open_event = _OpenEvent(
                event_id, first, last, lvl, in_section, ev_lines[:EVENT_HEAD_LINES], ev_lines[EVENT_HEAD_LINES:][-EVENT_TAIL_LINES:], len(ev_lines), masked_head
            )
            if rows is not None:
                self.open_event.hold(rows)
                deferred += self.open_event.spill()
        # Only the event the batch ends in stays open.
        if self.open_event is not None and self.open_event.event_id != ending:
            deferred += self._resolve(self.open_event)
            self.open_event = None

        # Templates of everything else.
        excluded = pl.col("held")
        if test_lines:
            excluded = excluded | pl.col("line_no").is_in(test_line_nos)
        rows = df.filter(~excluded).select(_TEMPLATE_ROW)
        self._add_templates(pl.concat([*deferred, rows]) if deferred else rows)
        self._add_contexts(rows, lines, first_line_no)

        a.events += int(df["event_id"].n_unique()) - (1 if continued else 0)
        return df

    def _add_contexts(self, rows: pl.DataFrame, lines: list[str], first_line_no: int) -> None:
        """Keep the lines around the first occurrence of each critical or high template
        (the context a reader needs when the line alone does not explain the error)."""
        contexts = self.a.contexts
        if len(contexts) >= MAX_CONTEXTS or rows.height == 0:
            return
        wanted = rows.filter(pl.col("level") <= int(Level.HIGH))
        if wanted.height == 0:
            return
        if contexts:
            wanted = wanted.filter(~pl.col("tid").is_in(list(contexts)))
        firsts = wanted.group_by("tid").agg(pl.col("line_no").min()).sort("line_no")
        n = len(lines)
        for tid, line_no in firsts.iter_rows():
            if len(contexts) >= MAX_CONTEXTS:
                break
            i = line_no - first_line_no
            lo, hi = max(0, i - CONTEXT_BEFORE), min(n, i + CONTEXT_AFTER + 1)
            contexts[tid] = [(first_line_no + j, lines[j]) for j in range(lo, hi)]

    def _add_templates(self, rows: pl.DataFrame) -> None:
        """Count ``rows`` (columns of :data:`_TEMPLATE_ROW`) into the templates."""
        a = self.a
        if rows.height == 0:
            return
        agg = rows.group_by("tid").agg(
            pl.len().alias("count"),
            pl.col("line_no").min().alias("first"),
            pl.col("line_no").max().alias("last"),
            pl.col("level").min().alias("level"),
            pl.col("line").first().alias("example"),  # rows come in line order
        )
        for t, cnt, first, last, lvl, example in agg.iter_rows():
            st = a.templates.get(t)
            if st is None:
                a.templates[t] = TemplateStat(t, lvl, cnt, first, last, example)
            else:
                st.count += cnt
                st.last_line = max(st.last_line, last)
                st.first_line = min(st.first_line, first)
                if lvl < st.level:
                    st.level, st.example = lvl, example
                    st.examples = []
                    self.examples_done.discard(t)
        # Critical and high templates keep a few distinct real lines of their level.
        wanted = pl.col("level") <= int(Level.HIGH)
        if self.examples_done:
            wanted = wanted & ~pl.col("tid").is_in(pl.Series(list(self.examples_done), dtype=pl.UInt32))
        important_lines = rows.filter(wanted)
        if important_lines.height:
            ex = (
                important_lines.with_columns(pl.col("line").str.replace_all(TIMESTAMP, "").alias("key"))
                .unique(subset=["tid", "level", "key"], keep="first", maintain_order=True)
                .group_by("tid", "level", maintain_order=True)
                .agg(pl.col("line").head(MAX_EXAMPLES))
            )
            for t, lvl, ex_lines in ex.iter_rows():
                st = a.templates[t]
                st.add_examples(lvl, ex_lines)
                if len(st.examples) >= MAX_EXAMPLES:
                    self.examples_done.add(t)

    def _resolve(self, ev: _OpenEvent) -> list[pl.DataFrame]:
        """Close ``ev``: an error group when it is one, else the lines it held, to be
        templated."""
        if ev.is_group():
            self._finish_event(ev)
            return []
        return ev.take()

    def chunk_stats(self, df: pl.DataFrame, chunk_size: int) -> list[ChunkStat]:
        out = []
        stats = (
            df.with_columns(((pl.col("line_no") - 1) // chunk_size).alias("chunk"))
            .group_by("chunk", maintain_order=True)
            .agg(
                pl.col("line_no").min().alias("first"),
                pl.col("line_no").max().alias("last"),
                pl.len().alias("lines"),
                (pl.col("line").str.len_bytes() + 1).sum().alias("bytes"),
                *[(pl.col("level") == i).sum().alias(f"l{i}") for i in range(5)],
                pl.col("tid").n_unique().alias("templates"),
            )
        )
        for row in stats.iter_rows():
            out.append(ChunkStat(int(row[0]), row[1], row[2], row[3], int(row[4]), [int(x) for x in row[5:10]], int(row[10])))
        return out

    def _finish_event(self, ev: _OpenEvent) -> None:
        a = self.a
        lines = ev.head + ([f"… {ev.total - len(ev.head) - len(ev.tail)} lines …"] if ev.total > len(ev.head) + len(ev.tail) else []) + ev.tail
        test = self.tests.header_test(ev.head[0]) if ev.in_section and ev.head else None
        named = packs.event_test(ev.head[0]) if test is None and ev.head else None
        if named is not None:
            test = self.tests.tests.get(named)
        # A runner's own statement of the error (a rust panic): the same in two tests is
        # one error, shown with the test of its first occurrence.
        stated = packs.event_error(ev.head)
        if stated is not None:
            msg, ident = stated
            who = test.test_id if test is not None else named
            if who and who not in msg:
                msg = f"{who}: {msg}"
            exc_type = None
        else:
            exc_type, msg = exception_of(ev.head + ev.tail)
            ident = msg
        level = Level.CRITICAL if test is not None else Level(ev.level)
        if exc_type or msg:
            key = f"{exc_type or ''}|{normalize_message(ident)[:100]}"
        else:
            key = "T|" + ev.masked_head[:160]
        g = a.groups.get(key)
        if g is None:
            g = ErrorGroup(key, exc_type, msg, int(level), 0, ev.first_line, ev.last_line, innermost(lines, self.options.max_traceback_lines), ev.first_line, ev.total)
            a.groups[key] = g
        g.count += 1
        g.level = min(g.level, int(level))
        g.last_line = max(g.last_line, ev.last_line)
        if len(g.locations) < MAX_GROUP_LOCATIONS:
            for loc in project_locations(ev.head + ev.tail, LOCATIONS_PER_EVENT):
                if loc not in g.locations and len(g.locations) < MAX_GROUP_LOCATIONS:
                    g.locations.append(loc)
        if test is not None:
            g.tests.append(test.test_id)
            test.exc_type = test.exc_type or exc_type
            test.message = test.message or msg
            test.group_key = key
        elif named is not None:
            self.named.append((named, key))

    # -- end ------------------------------------------------------------------
    def finish(self, stats: ReadStats) -> Analysis:
        a = self.a
        if self.open_event is not None:
            rest = self._resolve(self.open_event)
            self.open_event = None
            if rest:
                self._add_templates(pl.concat(rest))
        self.tests.finalize(a.runs)
        a.tests = self.tests.tests
        for name, key in self.named:  # events that came before their test's result line
            if name in a.tests and key in a.groups and not a.tests[name].group_key:
                _link(a.groups[key], a.tests[name])
        a.failed_steps = self.steps.finish()
        # Tests merged by finalize() may be referenced by their header name in groups.
        alias = {}
        for t in a.tests.values():
            if "::" in t.test_id:
                alias[".".join(t.test_id.split("::")[1:])] = t.test_id
        for g in a.groups.values():
            g.tests = list(dict.fromkeys(alias.get(x, x) for x in g.tests))
        for st in a.templates.values():
            st.template = self.miner.template(st.template_id)
            if st.examples:
                st.example = st.examples[0]
        a.file_bytes = stats.file_bytes
        a.compression = stats.compression
        a.first_timestamp = stats.first_timestamp
        a.last_timestamp = stats.last_timestamp
        a.lines_cut = stats.lines_cut
        a.nul_bytes_removed = stats.nul_bytes_removed
        a.redactions = dict(self.redactor.stats.by_kind) if self.redactor is not None else {}
        if self.count_exact:
            a.tokens_in, a.tokens_in_exact, a.tokens_in_method = self.exact_tokens, True, "exact"
        else:
            a.tokens_in = tok.load_model().estimate(a.profile, a.raw_bytes, a.lines)
            a.tokens_in_exact, a.tokens_in_method = False, f"estimated ({a.profile} model)"
        return a


def _link(g: ErrorGroup, test: FailedTest) -> None:
    """Record that error group ``g`` is ``test``'s failure."""
    if test.test_id not in g.tests:
        g.tests.append(test.test_id)
    test.exc_type = test.exc_type or g.exc_type
    test.message = test.message or g.message
    test.group_key = test.group_key or g.key


def _merge_chunks(chunks: list[ChunkStat], new: list[ChunkStat]) -> None:
    """Append a batch's chunk statistics. A batch cut early (long lines reach the
    reader's byte limit first) can end inside a chunk: its rest then continues in the
    next batch and is merged into the same chunk."""
    for c in new:
        last = chunks[-1] if chunks else None
        if last is not None and last.index == c.index:
            last.last_line = c.last_line
            last.lines += c.lines
            last.raw_bytes += c.raw_bytes
            last.levels = [x + y for x, y in zip(last.levels, c.levels, strict=False)]
            last.templates = max(last.templates, c.templates)  # distinct per chunk: a lower bound
        else:
            chunks.append(c)


def _process(an: Analyzer, batch: Batch, features: _Features, chunk: int,
             on_batch: Callable[[pl.DataFrame, Analyzer], None] | None,
             progress: Callable[[int, int], None] | None, file_bytes: int) -> None:
    df = an.process(batch.lines, batch.first_line_no, batch.raw_bytes, features)
    _merge_chunks(an.a.chunks, an.chunk_stats(df, chunk))
    if on_batch is not None:
        on_batch(df, an)
    if progress is not None:
        progress(an.a.raw_bytes, file_bytes)


def analyze(
    path: str,
    options: SummaryOptions | None = None,
    on_batch: Callable[[pl.DataFrame, Analyzer], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """Stream ``path`` once and return its :class:`Analysis`.

    Args:
        path: a log file (plain, .gz, .bz2 or .xz, detected by content) or ``-`` for stdin.
        options: summary settings; defaults when None.
        on_batch: called with each batch's per-line frame (columns line_no, line, level,
            tid, ...) — used for template export and preprocessed chunks.
        progress: called with (decompressed bytes read so far, file size on disk).

    Raises:
        InputNotFound, BadInput: the input cannot be read or is not a log.
    """
    options = options or SummaryOptions()
    src = open_log(path)
    file_bytes = src.stats.file_bytes or 0
    chunk = options.chunk_size or adaptive_batch_lines(file_bytes)
    min_batch = options.max_batch_lines or MIN_BATCH_LINES
    batch_lines = chunk * max(1, -(-min_batch // chunk)) if chunk <= min_batch else chunk
    first_batch = min(batch_lines, chunk * max(1, FIRST_BATCH_LINES // chunk))
    an = Analyzer(str(path), options)
    if not options.strict_estimation and 0 < file_bytes <= tok.EXACT_INPUT_BYTES and src.compression is None:
        an.count_exact = True
    an.a.chunk_size = chunk
    if options.redact:
        preload_redaction()
    # Pipelined: the main thread reads batches and processes them in order (much of it
    # single-threaded Python); the per-line tests of the batches read ahead run
    # meanwhile, in order, on a worker thread and its helpers (polars releases the GIL).
    threads = max(1, pl.thread_pool_size())
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokopt-features")
    if threads > 1:
        an.helpers, an.slices = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="tokopt-slices"), threads
    pending: deque[tuple[Batch, Future[_Features]]] = deque()
    tokenizer_wanted = not an.count_exact
    try:
        for batch in src.batches(batch_lines=batch_lines, first_batch_lines=first_batch):
            an.prepare(batch.lines)
            pending.append((batch, pool.submit(an.features, batch.lines)))
            if len(pending) > READ_AHEAD:
                done, future = pending.popleft()
                features = future.result()
                if tokenizer_wanted:
                    # Needed once the pass is over; loaded now (~0.1 s, holding the GIL)
                    # that the pipeline is full, so it does not delay the first batches.
                    tok.preload()
                    tokenizer_wanted = False
                _process(an, done, features, chunk, on_batch, progress, file_bytes)
        if tokenizer_wanted:
            tok.preload()
        while pending:
            done, future = pending.popleft()
            _process(an, done, future.result(), chunk, on_batch, progress, file_bytes)
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        if an.helpers is not None:
            an.helpers.shutdown(wait=True)
    a = an.finish(src.stats)
    if an.count_exact and not options.strict_estimation:
        a.tokens_in_method = "exact"
    return a
