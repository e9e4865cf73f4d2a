"""Log template mining: mask the variable parts of lines, then cluster what is left.

Two stages, split by where the cost is:

1. **Masking** (`mask_series`, per line, vectorized). One `str.replace_all` pass of a
   combined regex (polars runs it in Rust over the whole Series, one slice per core)
   replaces every "word" that carries a digit with ``<*>``: timestamps, numbers, hex,
   IPs, ports, pids, uuids, block and task ids, hosts such as ``node-12``, versions,
   ``key=value`` values. Paths, URLs, sizes and durations with their unit, bracketed
   context fields (``[thread-3]``, ``[req-... - -]``), month and weekday names, upper-
   case severity levels and the name after ``user`` go whole. A second, cheap pass
   folds runs such as ``<*>.<*>:<*>`` or ``<*> (<*>)`` into one ``<*>`` so that an IP,
   an IP with a port and a plain number all read the same. Headers need no parsing:
   their variable parts fall to the same rules and their constant parts (component)
   are constant per event anyway. Severity is not part of a template; it is read per
   line elsewhere.

2. **Clustering** (`TemplateMiner`, per *distinct* masked string). After masking, a
   large log has few distinct strings, so this part is plain Python. It is a Drain-like
   pass: strings are split on whitespace, only strings with the same number of tokens
   can share a template, and a string joins the most similar template when enough of
   its tokens agree; positions that differ become ``<*>``. That catches the variables
   with no digit in them (host, file and class names). Two different plain words at
   one place (``opened``/``closed``) always keep strings apart. A string one
   variable longer or shorter than a template may still join it when nearly all else
   agrees (an optional field such as a ``*64`` after a program name).

Ids are stable: an id, once handed out, keeps naming the same cluster, whose text may
only get more general. Memory is bounded: past ``max_templates`` a string that matches
no template lands in an overflow template for its token count (counts above 64 share
one), and at most ``8 * max_templates`` distinct strings are remembered verbatim.

Example:
    >>> ids, miner = mine(["job 12 done", "job 345 done", "disk full"])
    >>> ids.to_list(), miner.template(0)
    ([0, 0, 1], 'job <*> done')
"""

from __future__ import annotations

import re

import polars as pl

__all__ = ["WILDCARD", "TemplateMiner", "mask_series", "mask_expr", "mask_steps", "mine"]

WILDCARD = "<*>"

# Characters that end a "word" for masking purposes.
_SEP = r"""\s,;:=()\[\]{}<>"'|"""
_WORD = rf"[^{_SEP}]"

# One alternation, tried left to right at each position (leftmost-first semantics).
_MASK = "|".join(
    [
        # URLs and absolute paths (unix, windows).
        r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>]*",
        rf"(?:[A-Za-z]:)?[\\/](?:[^{_SEP}]*[\\/])+[^{_SEP}]*",
        # "user" and the name after it: "session opened for user alice".
        r"(?-u:\b)[Uu]ser:?[ \t][A-Za-z_][A-Za-z0-9_.\-]*",
        # Bracketed context fields: thread names, request ids, "[-]" placeholders.
        r"\[[^\[\]\n]*\]",
        # Sizes and durations with their unit: "1.1 KB", "<1 sec", "250 ms".
        r"[<>~]?[0-9][0-9.,]*\s?(?:[KMGTP]i?B|[kKMG]b|bytes?|ms|us|µs|ns|s|secs?|seconds?"
        r"|mins?|minutes?|h|hours?|days?)(?-u:\b)",
        # Month and weekday names, severity levels: header parts that vary per line.
        r"(?-u:\b)(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
        r"|Mon|Tue|Wed|Thu|Fri|Sat|Sun"
        r"|INFO|WARN|WARNING|ERROR|DEBUG|TRACE|FATAL|CRITICAL|NOTICE|SEVERE)(?-u:\b)",
        # Any word holding a digit: numbers, hex, IPs, ids, versions, sizes, durations,
        # with the words holding a digit glued to it by ":" or "," ("12:30:45,123",
        # "R60-M6-N3-C:J12-U62": one match, not four). An alternate rendering in
        # parentheses goes with it: "10.0.0.1 (host.org)".
        rf"{_WORD}*[0-9]{_WORD}*(?:[:,]+{_WORD}*[0-9]{_WORD}*)*(?:\s?\([^()\s]*\))?",
    ]
)
# Runs of masked parts glued by punctuation read as one variable.
_FOLD = r"<\*>(?:[.:\-/_@#+,]*<\*>|\s?\(<\*>\))+"


def mask_series(lines: pl.Series) -> pl.Series:
    """Vectorized: replace variable parts with '<*>' (returns Utf8 series, same length).

    Large inputs are cut into one slice per polars thread and masked in parallel.
    """
    s = lines.cast(pl.Utf8).rename("line")
    parts = max(1, min(pl.thread_pool_size(), len(s) // _MIN_SLICE))
    step = -(-len(s) // parts)
    frames = [s.slice(i * step, step).to_frame().lazy().select(_masked()) for i in range(parts)]
    out = pl.concat([df.to_series() for df in pl.collect_all(frames)]) if frames else s
    return out.alias(lines.name)


_MIN_SLICE = 50_000


def mask_expr(column: str = "line") -> pl.Expr:
    """The masking of :func:`mask_series` as an expression, for a caller's frame."""
    return _masked(column)


def mask_steps(column: str = "line") -> list[pl.Expr]:
    """The masking as two expressions to apply one after the other, each to the column
    the one before produced. Each alone runs on the calling thread; polars hands the
    chain of both to its shared thread pool."""
    return [
        pl.col(column).str.replace_all(_MASK, WILDCARD, literal=False),
        pl.col(column).str.replace_all(_FOLD, WILDCARD, literal=False),
    ]


def _masked(column: str = "line") -> pl.Expr:
    return (
        pl.col(column)
        .str.replace_all(_MASK, WILDCARD, literal=False)
        .str.replace_all(_FOLD, WILDCARD, literal=False)
    )


class TemplateMiner:
    """Incremental, stable ids across batches. Works on masked strings."""

    #: Share of constant tokens that must agree for a string to join a template.
    similarity = 0.8
    #: The same, for a string whose token count is one off (see `_match_gapped`).
    gap_similarity = 0.85

    def __init__(self, max_templates: int = 50_000) -> None:
        self.max_templates = max_templates
        self._templates: list[list[str]] = []
        self._by_length: dict[int, list[int]] = {}
        self._overflow: dict[int, int] = {}
        self._known: dict[str, int] = {}
        self._max_known = 8 * max_templates
        # Per token count: constant token -> {template id: positions holding it}; the
        # number of constant tokens of each template; templates with none.
        self._index: dict[int, dict[str, dict[int, int]]] = {}
        self._const: list[int] = []
        self._all_wild: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._templates)

    def template(self, template_id: int) -> str:
        """The current template text of that id (with <*> wildcards)."""
        return " ".join(self._templates[template_id])

    def add_batch(self, masked: pl.Series) -> pl.Series:
        """Return a UInt32 series of template ids, one per input element (same order).

        Only the distinct strings not seen before are clustered; the result is mapped
        back onto the batch with one vectorized `replace_strict`.
        """
        masked = masked.cast(pl.Utf8).fill_null("")
        distinct = masked.unique(maintain_order=True).to_list()
        ids = [self._assign(s) for s in distinct]
        return masked.replace_strict(distinct, ids, return_dtype=pl.UInt32).alias("template_id")

    # -- clustering ------------------------------------------------------------------

    def _assign(self, text: str) -> int:
        known = self._known.get(text)
        if known is not None:
            return known
        tokens = text.split()
        tid = self._match(tokens)
        if tid is None:
            if len(self._templates) < self.max_templates:
                tid = self._new(tokens)
            else:
                tid = self._overflow_id(len(tokens))
        if len(self._known) < self._max_known:
            self._known[text] = tid
        return tid

    def _match(self, tokens: list[str]) -> int | None:
        tid, sim = self._best(tokens, len(tokens), self.similarity)
        if tid is not None and sim >= self.similarity:
            tpl = self._templates[tid]
            postings = self._index[len(tpl)]
            for i, (a, b) in enumerate(zip(tpl, tokens, strict=False)):
                if a != b and a != WILDCARD:
                    tpl[i] = WILDCARD
                    self._unindex(postings, a, tid)
            return tid
        return self._match_gapped(tokens)

    def _match_gapped(self, tokens: list[str]) -> int | None:
        """Second chance: the string or a template holds one extra variable.

        ``chrome.exe <*> - ...`` then joins ``chrome.exe - ...``. The template text is
        left as it is.
        """
        floor = self.gap_similarity
        best, best_sim = None, -1.0
        for i, tok in enumerate(tokens):
            if tok == WILDCARD:
                shorter = tokens[:i] + tokens[i + 1 :]
                tid, sim = self._best(shorter, len(shorter), floor)
                if sim > best_sim:
                    best, best_sim = tid, sim
        for tid in self._candidates(tokens, len(tokens) + 1, floor):
            tpl = self._templates[tid]
            for i, tok in enumerate(tpl):
                if tok == WILDCARD:
                    sim = _similarity(tpl[:i] + tpl[i + 1 :], tokens)
                    if sim > best_sim:
                        best, best_sim = tid, sim
        return best if best_sim >= floor else None

    def _candidates(self, tokens: list[str], length: int, floor: float) -> list[int]:
        """Templates of ``length`` tokens that could reach similarity ``floor``, in id order.

        However a string is aligned with a template, the template positions it
        repeats hold tokens that occur in the string, so the postings of the string's
        distinct tokens bound the similarity from above. Every template that could
        reach ``floor`` is returned, in the order a full scan would meet them.
        """
        postings = self._index.get(length)
        if not postings:
            return list(self._all_wild.get(length, ()))
        bound: dict[int, int] = {}
        for tok in set(tokens):
            hits = postings.get(tok)
            if hits:
                for tid, n in hits.items():
                    bound[tid] = bound.get(tid, 0) + n
        const = self._const
        out = [tid for tid, same in bound.items() if same >= floor * const[tid]]
        out.extend(self._all_wild.get(length, ()))
        out.sort()
        return out

    def _best(self, tokens: list[str], length: int, floor: float) -> tuple[int | None, float]:
        """The first template (by id) most similar to ``tokens``, among those that could
        reach ``floor``; ``(None, -1.0)`` when none could."""
        best, best_sim = None, -1.0
        for tid in self._candidates(tokens, length, floor):
            sim = _similarity(self._templates[tid], tokens)
            if sim > best_sim:
                best, best_sim = tid, sim
        return best, best_sim

    def _new(self, tokens: list[str]) -> int:
        tid = len(self._templates)
        self._templates.append(list(tokens))
        self._by_length.setdefault(len(tokens), []).append(tid)
        postings = self._index.setdefault(len(tokens), {})
        const = 0
        for tok in tokens:
            if tok != WILDCARD:
                const += 1
                hits = postings.setdefault(tok, {})
                hits[tid] = hits.get(tid, 0) + 1
        self._const.append(const)
        if const == 0:
            self._all_wild.setdefault(len(tokens), []).append(tid)
        return tid

    def _unindex(self, postings: dict[str, dict[int, int]], tok: str, tid: int) -> None:
        hits = postings[tok]
        if hits[tid] == 1:
            del hits[tid]
            if not hits:
                del postings[tok]
        else:
            hits[tid] -= 1
        self._const[tid] -= 1
        if self._const[tid] == 0:
            length = len(self._templates[tid])
            self._all_wild.setdefault(length, []).append(tid)
            self._all_wild[length].sort()

    def _overflow_id(self, length: int) -> int:
        length = min(length, 64)
        tid = self._overflow.get(length)
        if tid is None:
            tid = len(self._templates)
            self._templates.append([WILDCARD] * length)
            self._const.append(0)
            self._overflow[length] = tid
        return tid


def _similarity(template: list[str], tokens: list[str]) -> float:
    """Share of the template's constant tokens that the string repeats.

    Two different plain words at the same place (``opened``/``closed``,
    ``GET``/``POST``) name different events, never a variable: similarity 0.
    """
    same = const = 0
    for a, b in zip(template, tokens, strict=False):
        if a == WILDCARD:
            continue
        const += 1
        if a == b:
            same += 1
        elif _is_word(a) and _is_word(b):
            return 0.0
    return same / const if const else 1.0


_WORD_RE = re.compile(r"[\"'(\[]?[A-Za-z]+[\"'.,:;)\]]?")
_WORDS: dict[str, bool] = {}


def _is_word(token: str) -> bool:
    """Whether ``token`` is a plain word (memoized: the miner asks about the same few
    thousand tokens millions of times)."""
    hit = _WORDS.get(token)
    if hit is None:
        hit = _WORD_RE.fullmatch(token) is not None
        if len(_WORDS) < 200_000:
            _WORDS[token] = hit
    return hit


def mine(lines: list[str] | pl.Series) -> tuple[pl.Series, TemplateMiner]:
    """Convenience: mask + add_batch in one go; returns (ids, miner)."""
    series = lines if isinstance(lines, pl.Series) else pl.Series("line", lines, dtype=pl.Utf8)
    miner = TemplateMiner()
    return miner.add_batch(mask_series(series)), miner
