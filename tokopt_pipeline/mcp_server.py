"""``tokopt mcp``: the memory as an MCP server over stdio, for coding agents.

Tools (built with the official ``mcp`` SDK):

``read_graph``, ``search_nodes(query)``, ``open_nodes(names)``
    the knowledge graph, with the same inputs and result shapes as the reference MCP
    memory server (``{"entities": [{"name", "entityType", "observations"}],
    "relations": [{"from", "to", "relationType"}]}``), read-only;
``get_summary(run, token_budget, format)``
    the summary of a stored run (its id, or its log's path) at another budget, with the
    memory's **new** and ``[flaky]`` marks;
``list_runs(limit, suite)``
    the most recent runs in the memory.

The server opens the store for each call and closes it again, so ``tokopt`` runs can
write between calls; a call that cannot get the lock within ``TOKOPT_LOCK_TIMEOUT``
seconds returns an error saying the store is busy.

A line that is not a JSON-RPC message (not UTF-8, not JSON, a batch array, a bare
number) is answered with a JSON-RPC error (-32700 parse error, -32600 invalid request)
and the server goes on (:mod:`tokopt_pipeline.mcp_stdio`).

Client configuration (Claude Desktop, Cursor, and other MCP clients)::

    {"mcpServers": {"tokopt": {"command": "tokopt", "args": ["mcp"],
                               "env": {"TOKOPT_DUCKDB_PATH": "/path/to/.tokopt/tokopt.duckdb"}}}}
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from tokopt_pipeline.lib.store.db import Store

__all__ = ["build_server"]


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


def _server_class():
    """The SDK's ``MCPServer``, served over :func:`~tokopt_pipeline.mcp_stdio.checked_stdio_server`
    (malformed lines answered with JSON-RPC errors) by ``run("stdio")``."""
    from mcp.server.mcpserver import MCPServer

    class TokoptMCPServer(MCPServer):
        async def run_stdio_async(self) -> None:
            from tokopt_pipeline.mcp_stdio import checked_stdio_server

            async with checked_stdio_server() as (read_stream, write_stream):
                await self._lowlevel_server.run(read_stream, write_stream, self._lowlevel_server.create_initialization_options())

    return TokoptMCPServer


def build_server(store: Store | None = None):
    """The MCP server over ``store`` (default: :meth:`Store.from_env`)."""
    from mcp.types import ToolAnnotations

    from tokopt_pipeline.lib import memory

    store = store or Store.from_env()
    ro = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)
    server = _server_class()(
        name="tokopt",
        instructions=(
            "Memory of CI/test runs summarized by tokopt: error types (one per fingerprint, with an observation "
            "per run they appeared in), failing and flaky tests, runs. Use search_nodes to find an error or test, "
            "list_runs for recent runs, get_summary for a run's failures within a token budget."
        ),
    )

    def _read(fn):
        from mcp.server.mcpserver.exceptions import ToolError

        from tokopt_pipeline.lib.errors import TokoptError

        try:
            with store.connect() as conn:
                return fn(conn)
        except TokoptError as exc:  # busy, or not a store
            raise ToolError(exc.message) from None

    @server.tool(title="Read Graph", description="Read the entire knowledge graph", annotations=ro)
    def read_graph() -> KnowledgeGraph:
        return _read(memory.read_graph)

    @server.tool(title="Search Nodes", description="Search for nodes in the knowledge graph based on a query (case-insensitive match against entity names, types and observation content)", annotations=ro)
    def search_nodes(query: str) -> KnowledgeGraph:
        return _read(lambda c: memory.search_nodes(c, query))

    @server.tool(title="Open Nodes", description="Open specific nodes in the knowledge graph by their names", annotations=ro)
    def open_nodes(names: list[str]) -> KnowledgeGraph:
        return _read(lambda c: memory.open_nodes(c, names))

    @server.tool(title="List Runs", description="The most recent runs in the memory, newest first (optionally of one suite)", annotations=ro)
    def list_runs(limit: int = 20, suite: str | None = None) -> RunList:
        return {"runs": _read(lambda c: memory.run_summary_rows(c, limit=max(1, min(limit, 1000)), suite=suite))}

    @server.tool(title="Get Summary", description="The summary of a stored run (run id from list_runs, or the log's path) within token_budget tokens, marking new errors and flaky tests", annotations=ro)
    def get_summary(run: str, token_budget: int = 4000, format: str = "markdown") -> str:
        from mcp.server.mcpserver.exceptions import ToolError

        from tokopt_pipeline.lib.errors import TokoptError

        try:
            return summary_of(store, run, token_budget, format)
        except (ValueError, TokoptError) as exc:
            raise ToolError(getattr(exc, "message", None) or str(exc)) from None

    return server


def summary_of(store: Store, ref: str, token_budget: int, fmt: str = "markdown") -> str:
    """Render a stored run's summary at ``token_budget`` (re-reading its log)."""
    from tokopt_pipeline.lib import memory
    from tokopt_pipeline.lib.engine.summarize import summarize
    from tokopt_pipeline.lib.errors import TokoptError
    from tokopt_pipeline.lib.settings.layers import summary_options

    if token_budget <= 0:
        raise ValueError("token_budget must be above 0")
    if fmt not in ("markdown", "json", "text"):
        raise ValueError("format must be markdown, json or text")
    with store.connect() as conn:
        run = memory.find_run(conn, ref)
        if run is None:
            raise ValueError(f"no stored run {ref!r}: call list_runs for the run ids")
        new_fps, flaky = memory.marks_for_run(conn, run["run_id"])
    path = run["log_path"]
    if not path or not os.path.exists(path):
        raise ValueError(f"the log of run {run['run_id']} ({path}) is no longer there")

    def mark(a):
        a.mark(new_fps, flaky_tests=flaky)

    try:
        return summarize(path, summary_options({"token_budget": token_budget, "format": fmt}), annotate=mark).text
    except TokoptError as exc:
        raise ValueError(exc.message) from None
