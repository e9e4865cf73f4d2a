"""``tokopt mcp``: logs and the memory as an MCP server over stdio, for coding agents.

Every tool takes ``max_tokens`` (default :data:`DEFAULT_MAX_TOKENS`, at least
:data:`MIN_MAX_TOKENS`) and its result never holds more tokens than that, counted
exactly with cl100k_base over everything the client receives: each text block, plus the
structured content as JSON. One rule fits every result
(:func:`tokopt_pipeline.lib.engine.fit.fit`): what does not fit is left out and the
result says what and how to get it (a cursor, an offset, a line to start from).

Logs on disk (paths are relative to the server's working folder):

``summarize_log(path, max_tokens, format, ...)``
    the budgeted summary of a log (the engine's, with the settings the command takes:
    presets, saved profiles, priority filter), then where the full log is and how to
    page into it;
``log_lines(path, start, end, max_tokens)``, ``log_grep(path, pattern, context, start, max_tokens)``
    the log's lines by the numbers a summary cites, or those matching a pattern with
    context, secrets redacted as in the summary (:mod:`tokopt_pipeline.lib.engine.logview`).

The memory (the store of ``tokopt --store-memory`` runs):

``read_graph(cursor)``, ``search_nodes(query, cursor)``, ``open_nodes(names, cursor)``
    the knowledge graph, with the inputs and result shapes of the reference MCP memory
    server (``{"entities": [{"name", "entityType", "observations"}], "relations":
    [{"from", "to", "relationType"}]}``), read-only, one page at a time
    (:mod:`tokopt_pipeline.lib.memory.pages`: ``nextCursor``, ``remaining``, ``note``);
``failures(run)``
    the failing tests and distinct errors of a stored run (an id, or ``latest``);
``get_summary(run, token_budget, format)``
    a stored run's summary at another budget, with the memory's **new** and ``[flaky]`` marks;
``list_runs(limit, suite, offset)``
    the most recent runs in the memory.

The server opens the store for each call and closes it again, so ``tokopt`` runs can
write between calls; a call that cannot get the lock within ``TOKOPT_LOCK_TIMEOUT``
seconds returns an error saying the store is busy. Bad arguments, a missing log or a
bad pattern are tool errors (``isError``) with a message, never a crash.

A line that is not a JSON-RPC message (not UTF-8, not JSON, a batch array, a bare
number) is answered with a JSON-RPC error (-32700 parse error, -32600 invalid request)
and the server goes on (:mod:`tokopt_pipeline.mcp_stdio`).

Client configuration (Claude Desktop, Cursor, and other MCP clients)::

    {"mcpServers": {"tokopt": {"command": "tokopt", "args": ["mcp"],
                               "env": {"TOKOPT_DUCKDB_PATH": "/path/to/.tokopt/tokopt.duckdb"}}}}

One concept (over 400 lines): the MCP tools, each fitted to its ``max_tokens``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from tokopt_pipeline.lib.engine.fit import Fitted, Result, TooSmall, fit, fit_lines, structured_json
from tokopt_pipeline.lib.engine.header import plural
from tokopt_pipeline.lib.store.db import Store

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from tokopt_pipeline.lib.engine.model import Analysis

__all__ = ["DEFAULT_MAX_TOKENS", "MAX_MAX_TOKENS", "MIN_MAX_TOKENS", "build_server", "summary_of"]

#: ``max_tokens`` when a call gives none: well below the ~25,000 agent clients take.
DEFAULT_MAX_TOKENS = 8000
#: The smallest and largest ``max_tokens`` taken.
MIN_MAX_TOKENS = 500
MAX_MAX_TOKENS = 100_000
#: Lines ``log_lines`` reads when no ``end`` is given (the result still fits ``max_tokens``).
DEFAULT_PAGE_LINES = 200

T = TypeVar("T")

MaxTokens = Annotated[int, Field(ge=MIN_MAX_TOKENS, le=MAX_MAX_TOKENS,
                                 description="the most tokens (cl100k_base) the whole result may have")]
Cursor = Annotated[str | None, Field(description="nextCursor of the page before (none: the first page)")]


# -- result shapes ------------------------------------------------------------------
class Entity(BaseModel):
    name: str
    entityType: str
    observations: list[str]


class Relation(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    relationType: str


class KnowledgeGraph(BaseModel):
    entities: list[Entity]
    relations: list[Relation]


class Remaining(BaseModel):
    entities: int
    relations: int


class GraphPage(KnowledgeGraph):
    """One page of the graph; ``nextCursor`` is None on the last page."""

    nextCursor: str | None = None
    remaining: Remaining
    note: str | None = None


class RunInfo(BaseModel):
    run_id: str
    suite: str | None = None
    commit: str | None = None
    log_path: str | None = None
    summary_path: str | None = None
    recorded_at: str | None = None
    lines: int | None = None
    failing_tests: int | None = None
    error_types: int | None = None
    new_errors: int | None = None


class RunList(BaseModel):
    runs: list[RunInfo]
    nextOffset: int | None = None
    note: str | None = None


# -- results ------------------------------------------------------------------------
def _call_result(fitted: Fitted) -> CallToolResult:
    """The fitted result as the SDK sends it: its text blocks, and its structured content."""
    from mcp.types import TextContent

    result = fitted.result
    return CallToolResult(content=[TextContent(type="text", text=b) for b in result.blocks],
                          structured_content=result.structured)


@contextmanager
def _tool_errors() -> Iterator[None]:
    """Our errors as tool errors (``isError`` results with the message)."""
    from mcp.server.mcpserver.exceptions import ToolError

    from tokopt_pipeline.lib.engine.logview import BadPattern
    from tokopt_pipeline.lib.errors import TokoptError
    from tokopt_pipeline.lib.memory.pages import CursorError

    try:
        yield
    except TokoptError as exc:  # a missing or unusable log, a bad setting, the store busy
        raise ToolError(exc.message) from None
    except TooSmall as exc:
        raise ToolError(f"{exc}: call again with max_tokens={max(exc.needed, MIN_MAX_TOKENS):,} or more") from None
    except (BadPattern, CursorError, LookupError) as exc:
        raise ToolError(str(exc.args[0]) if exc.args else str(exc)) from None


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# -- summaries ----------------------------------------------------------------------
def _pointer(path: str, text: str, fmt: str, lines: int) -> str:
    """Where the full log is and the calls that page into it, at the lines the summary cites."""
    from tokopt_pipeline.cli.run import cited_lines, page_range

    cited = cited_lines(text, fmt)
    a, b = page_range(cited, lines)
    where = "the first lines the summary cites" if cited else "its last lines"
    return (f"Full log: {path} ({plural(lines, 'line')}). Page into it with log_lines(path={_quote(path)}, "
            f"start={a}, end={b}) ({where}; every line number above works the same way), "
            f"or search it with log_grep(path={_quote(path)}, pattern=...).")


def _summary_result(path: str, limit: int, options: Any, annotate: Callable[[Analysis], None] | None = None,
                    budget: int | None = None) -> Fitted:
    """The summary of ``path`` and the pointer into the full log, within ``limit``: the
    summary's budget is what the pointer leaves (at most ``budget``)."""
    from tokopt_pipeline.lib.engine import tokens
    from tokopt_pipeline.lib.engine.summarize import summarize

    probe = _pointer(path, "", options.fmt, 10**9)  # the longest a pointer gets: its figures at their widest
    options.token_budget = max(1, min(budget or limit, limit - tokens.count(probe) - 8))
    summary = summarize(path, options, annotate=annotate)
    pointer = _pointer(path, summary.text, options.fmt, summary.analysis.lines)
    lines = summary.text.split("\n")

    def note(k: int) -> str | None:  # only if the engine ever overran its budget
        return None if k >= len(lines) else f"… {plural(len(lines) - k, 'more line')} of the summary left out to stay within max_tokens"

    return fit_lines([], lines, note, limit, after=(pointer,))


def _options(settings: dict[str, Any]) -> Any:
    """The engine's options from the settings a tool was given, layered as the command
    layers them (defaults < preset < saved profile < given); secrets always redacted."""
    from tokopt_pipeline.lib.settings.layers import layered, summary_options

    values, _ = layered({k: v for k, v in settings.items() if v is not None})
    values["redact"] = True
    return summary_options(values)


def summary_of(store: Store, ref: str, token_budget: int, fmt: str = "markdown") -> str:
    """Render a stored run's summary at ``token_budget`` (re-reading its log)."""
    return _stored_summary(store, ref, token_budget, fmt, None).result.blocks[0]


def _stored_summary(store: Store, ref: str, token_budget: int, fmt: str, limit: int | None) -> Fitted:
    from tokopt_pipeline.lib import memory

    if token_budget <= 0:
        raise LookupError("token_budget must be above 0")
    if fmt not in ("markdown", "json", "text"):
        raise LookupError("format must be markdown, json or text")
    with store.connect() as conn:
        run = memory.find_run(conn, ref)
        if run is None:
            raise LookupError(f"no stored run {ref!r}: call list_runs for the run ids")
        new_fps, flaky = memory.marks_for_run(conn, run["run_id"])
    path = run["log_path"]
    if not path or not os.path.exists(path):
        raise LookupError(f"the log of run {run['run_id']} ({path}) is no longer there")

    def mark(a: Analysis) -> None:
        a.mark(new_fps, flaky_tests=flaky)

    options = _options({"format": fmt})
    if limit is None:  # the summary alone, at the budget asked for
        from tokopt_pipeline.lib.engine.summarize import summarize

        options.token_budget = token_budget
        text = summarize(path, options, annotate=mark).text
        return Fitted(Result((text,)), 1, 0)
    return _summary_result(path, limit, options, annotate=mark, budget=token_budget)


# -- the server ---------------------------------------------------------------------
def _server_class() -> type[MCPServer]:
    """The SDK's ``MCPServer``, served over :func:`~tokopt_pipeline.mcp_stdio.checked_stdio_server`
    (malformed lines answered with JSON-RPC errors) by ``run("stdio")``."""
    from mcp.server.mcpserver import MCPServer

    class TokoptMCPServer(MCPServer):
        async def run_stdio_async(self) -> None:
            from tokopt_pipeline.mcp_stdio import checked_stdio_server

            async with checked_stdio_server() as (read_stream, write_stream):
                await self._lowlevel_server.run(read_stream, write_stream, self._lowlevel_server.create_initialization_options())

    return TokoptMCPServer


def build_server(store: Store | None = None) -> MCPServer:
    """The MCP server over ``store`` (default: :meth:`Store.from_env`)."""
    from mcp.types import ToolAnnotations

    from tokopt_pipeline.lib import memory
    from tokopt_pipeline.lib.engine.logview import grep_lines, numbered_lines
    from tokopt_pipeline.lib.memory.failures import failure_lines, run_failures
    from tokopt_pipeline.lib.memory.pages import graph_page

    the_store = store or Store.from_env()
    ro = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
    server = _server_class()(
        name="tokopt",
        instructions=(
            "Summaries of CI/test logs within a token budget, and the memory of the runs tokopt summarized. "
            "For a log on disk: summarize_log first (every failure, within max_tokens), then log_lines or log_grep "
            "to read the lines it cites. For stored runs: list_runs, failures (failed tests and distinct errors "
            "only), get_summary; the knowledge graph (error types, failing and flaky tests, runs) through "
            "search_nodes, open_nodes and read_graph, a page at a time (pass nextCursor back as cursor). Every "
            f"tool keeps its whole result within max_tokens (default {DEFAULT_MAX_TOKENS:,}) and says what it left out."
        ),
    )

    def _read(fn: Callable[[Any], T]) -> T:
        with the_store.connect() as conn:
            return fn(conn)

    def _graph(tool: str, args: Any, fetch: Callable[[Any], dict[str, Any]], cursor: str | None, max_tokens: int) -> CallToolResult:
        with _tool_errors():
            graph = _read(fetch)
            return _call_result(graph_page(graph, tool=tool, args=args, cursor=cursor, limit=max_tokens))

    page_doc = (" One page within max_tokens: pass the result's nextCursor back as cursor for the next one; "
                "remaining and note say what is left.")

    @server.tool(title="Read Graph", description="Read the entire knowledge graph." + page_doc, annotations=ro)
    def read_graph(cursor: Cursor = None, max_tokens: MaxTokens = DEFAULT_MAX_TOKENS) -> Annotated[CallToolResult, GraphPage]:
        return _graph("read_graph", None, memory.read_graph, cursor, max_tokens)

    @server.tool(title="Search Nodes", description="Search for nodes in the knowledge graph based on a query (case-insensitive "
                 "match against entity names, types and observation content)." + page_doc, annotations=ro)
    def search_nodes(query: str, cursor: Cursor = None, max_tokens: MaxTokens = DEFAULT_MAX_TOKENS) -> Annotated[CallToolResult, GraphPage]:
        return _graph("search_nodes", {"query": query}, lambda c: memory.search_nodes(c, query), cursor, max_tokens)

    @server.tool(title="Open Nodes", description="Open specific nodes in the knowledge graph by their names." + page_doc, annotations=ro)
    def open_nodes(names: list[str], cursor: Cursor = None, max_tokens: MaxTokens = DEFAULT_MAX_TOKENS) -> Annotated[CallToolResult, GraphPage]:
        return _graph("open_nodes", {"names": names}, lambda c: memory.open_nodes(c, names), cursor, max_tokens)

    @server.tool(title="List Runs", description="The most recent runs in the memory, newest first (optionally of one suite), "
                 "from offset; as many of limit as fit max_tokens.", annotations=ro)
    def list_runs(limit: Annotated[int, Field(ge=1, le=1000)] = 20, suite: str | None = None,
                  offset: Annotated[int, Field(ge=0)] = 0,
                  max_tokens: MaxTokens = DEFAULT_MAX_TOKENS) -> Annotated[CallToolResult, RunList]:
        with _tool_errors():
            rows = _read(lambda c: memory.run_summary_rows(c, limit=offset + limit, suite=suite))[offset:]

            def render(k: int) -> Result:
                doc: dict[str, Any] = {"runs": rows[:k], "nextOffset": None, "note": None}
                if k < len(rows):
                    doc["nextOffset"] = offset + k
                    doc["note"] = (f"{plural(len(rows) - k, 'more run')} of the {limit:,} asked for left out to stay "
                                   f"within max_tokens={max_tokens:,}: call list_runs with offset={offset + k}"
                                   + (f" and suite={_quote(suite)}" if suite else ""))
                return Result((structured_json(doc),), doc)

            return _call_result(fit(len(rows), render, max_tokens))

    @server.tool(title="Get Summary", description="The summary of a stored run (run id from list_runs, or the log's path) within "
                 "token_budget tokens (and max_tokens), marking new errors and flaky tests.", annotations=ro)
    def get_summary(run: str, token_budget: Annotated[int, Field(ge=1)] = 4000,
                    format: Literal["markdown", "json", "text"] = "markdown",
                    max_tokens: MaxTokens = DEFAULT_MAX_TOKENS) -> CallToolResult:
        with _tool_errors():
            return _call_result(_stored_summary(the_store, run, token_budget, format, max_tokens))

    @server.tool(title="Summarize Log", description="The summary of a log file on disk (CI, test or application output; plain, "
                 ".gz, .bz2 or .xz) within max_tokens: every failing test, every distinct error with its location and one "
                 "traceback, every run's totals; the rest counted. Ends with the full log's path and the log_lines call "
                 "that pages into it. Settings as the tokopt command takes them: preset, optimization_profile (a saved "
                 "profile), priority_filter, profile (the log's kind), max_traceback_lines.", annotations=ro)
    def summarize_log(path: str, max_tokens: MaxTokens = DEFAULT_MAX_TOKENS,
                      format: Literal["markdown", "json", "text"] = "markdown",
                      priority_filter: Literal["critical", "high", "medium", "low", "verbose"] | None = None,
                      profile: str | None = None, preset: str | None = None, optimization_profile: str | None = None,
                      max_traceback_lines: Annotated[int, Field(ge=0, le=200)] | None = None) -> CallToolResult:
        with _tool_errors():
            full = _log_path(path)
            options = _options({"format": format, "priority_filter": priority_filter, "profile": profile, "preset": preset,
                                "optimization_profile": optimization_profile, "max_traceback_lines": max_traceback_lines})
            return _call_result(_summary_result(full, max_tokens, options))

    @server.tool(title="Log Lines", description="Lines start to end of a log on disk, numbered as its summary cites them "
                 f"(line 1 is the first), secrets redacted; as many as fit max_tokens (end: start+{DEFAULT_PAGE_LINES - 1} "
                 "when not given). Says where to go on when it stops early.", annotations=ro)
    def log_lines(path: str, start: Annotated[int, Field(ge=1)] = 1, end: Annotated[int, Field(ge=1)] | None = None,
                  max_tokens: MaxTokens = DEFAULT_MAX_TOKENS) -> CallToolResult:
        with _tool_errors():
            full = _log_path(path)
            last = end if end is not None else start + DEFAULT_PAGE_LINES - 1
            if last < start:
                raise LookupError(f"end ({last}) is before start ({start})")
            items, more = _take(_numbered(numbered_lines(full, start), last), max_tokens)
            if not items:
                raise LookupError(f"the log {full} has fewer than {start:,} lines")
            numbers = [n for _, n in items]
            reached_end = not more and numbers[-1] < last

            def note(k: int) -> str | None:
                if k >= len(items):
                    return f"(the log ends at line {numbers[-1]:,})" if reached_end else None
                nxt = numbers[k]
                return (f"… lines {nxt:,}–{last:,} left out to stay within max_tokens={max_tokens:,}: "
                        f"call log_lines with start={nxt} and end={last}")

            return _call_result(fit_lines([], [t for t, _ in items], note, max_tokens))

    @server.tool(title="Log Grep", description="The lines of a log on disk that match pattern (a regular expression, Rust "
                 "regex syntax as ripgrep: linear time, no look-around or backreferences; (?i) for any case), from line "
                 "start on, with context lines before and after (grep -C); `N:` marks a match, `N-` a context line. Secrets "
                 "are redacted before the search. As many as fit max_tokens, with the count of the matches left out.",
                 annotations=ro)
    def log_grep(path: str, pattern: str, context: Annotated[int, Field(ge=0, le=50)] = 2,
                 start: Annotated[int, Field(ge=1)] = 1, max_tokens: MaxTokens = DEFAULT_MAX_TOKENS) -> CallToolResult:
        with _tool_errors():
            full = _log_path(path)
            hits = grep_lines(full, pattern, context=context, start=start)
            items: list[tuple[str, int, bool]] = []
            prev = start - 1
            budget = _Budget(max_tokens)
            rest_matches = 0
            for hit in hits:
                if budget.full:
                    rest_matches += hit.match
                    continue
                sep = "--\n" if items and hit.line_no > prev + 1 else ""
                text = f"{sep}{hit.line_no}{':' if hit.match else '-'} {hit.text}"
                items.append((text, hit.line_no, hit.match))
                budget.add(text)
                prev = hit.line_no
            total = sum(m for _, _, m in items) + rest_matches
            head = [f"{plural(total, 'matching line')} in {full} from line {start:,}" + (":" if total else ".")]
            after = items[-1][1] + 1 if items else start  # where the search went on counting

            def note(k: int) -> str | None:
                left = sum(m for _, _, m in items[k:]) + rest_matches
                if not left:
                    return None
                nxt = items[k][1] if k < len(items) else after
                return (f"… {plural(left, 'more matching line')} from line {nxt:,} on left out to stay within "
                        f"max_tokens={max_tokens:,}: call log_grep with the same pattern and start={nxt}")

            fitted = fit_lines(head, [t for t, _, _ in items], note, max_tokens)
            return _call_result(fitted)

    @server.tool(title="Failures", description="Failed-only output of a stored run: its distinct errors (new ones marked, "
                 "with their log lines) and failing tests (flaky ones marked), nothing else. run: a run id from "
                 "list_runs, a log's path, or latest. Entries from offset on, as many as fit max_tokens.", annotations=ro)
    def failures(run: str = "latest", offset: Annotated[int, Field(ge=0)] = 0,
                 max_tokens: MaxTokens = DEFAULT_MAX_TOKENS) -> CallToolResult:
        with _tool_errors():
            found = _read(lambda c: run_failures(c, run))
            if found is None:
                raise LookupError("the memory holds no runs yet (record some with tokopt --store-memory)" if run == "latest"
                                  else f"no stored run {run!r}: call list_runs for the run ids")
            head, entries = failure_lines(found)
            entries = entries[offset:]
            log = found.run.get("log_path")
            if log and os.path.exists(log) and found.errors:
                first = found.errors[0]
                head.append(f"- page into the log: log_lines(path={_quote(log)}, start={max(1, first.first_line - 5)}, "
                            f"end={first.first_line + 34})")
            if offset:
                head.append(f"- entries from {offset + 1:,} on:")
            head.append("")

            def note(k: int) -> str | None:
                if k >= len(entries):
                    return None
                left = len(entries) - k
                return (f"… {left:,} more entr{'y' if left == 1 else 'ies'} left out to stay within max_tokens={max_tokens:,}: call failures with "
                        f"run={_quote(found.run['run_id'])} and offset={offset + k}")

            return _call_result(fit_lines(head, entries, note, max_tokens))

    return server


class _Budget:
    """A running count of the tokens collected, to stop reading once more than a page is at hand."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0

    @property
    def full(self) -> bool:
        return self.used > self.limit + 64

    def add(self, text: str) -> None:
        from tokopt_pipeline.lib.engine import tokens

        self.used += tokens.count(text) + 1


def _take(items: Iterator[tuple[str, int]], limit: int) -> tuple[list[tuple[str, int]], bool]:
    """The items until more than a page of them is at hand; whether there were more."""
    budget = _Budget(limit)
    out: list[tuple[str, int]] = []
    for item in items:
        if budget.full:
            return out, True
        out.append(item)
        budget.add(item[0])
    return out, False


def _numbered(lines: Iterator[tuple[int, str]], last: int) -> Iterator[tuple[str, int]]:
    """``"N: line"`` for each line through ``last`` (reading stops there)."""
    for n, line in lines:
        if n > last:
            return
        yield f"{n}: {line}", n


def _log_path(path: str) -> str:
    """``path`` made absolute (relative to the server's working folder)."""
    from tokopt_pipeline.lib.errors import InputNotFound

    if not path or path == "-":
        raise InputNotFound("give the path of a log file on disk")
    return os.path.abspath(os.path.expanduser(path))
