"""MCP round trips with real peers: the npm memory server loads tokopt's JSONL export,
and ``tokopt mcp`` answers the SDK's own stdio client with the same shapes."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.engine import tokens
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.lib.memory.test_memory import LATE, make_suite_logs, summarize_and_remember

pytestmark = pytest.mark.e2e  # starts MCP servers (tokopt's over stdio, the npm memory server) in subprocesses

REPO = Path(__file__).resolve().parents[1]
MEMORY_SERVER = REPO / "node_modules" / "@modelcontextprotocol" / "server-memory" / "dist" / "index.js"


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory) -> Store:
    root = tmp_path_factory.mktemp("mcp")
    store = Store(root / "store.duckdb", root / "pending", lock_timeout=5)
    for log in make_suite_logs(root / "logs"):
        summarize_and_remember(store, log)
    return store


def _key(graph: dict):
    ents = sorted((e["name"], e["entityType"], tuple(e["observations"])) for e in graph["entities"])
    rels = sorted((r["from"], r["to"], r["relationType"]) for r in graph["relations"])
    return ents, rels


async def _calls(params: StdioServerParameters, calls: list[tuple[str, dict]]) -> list:
    async with Client(params, read_timeout_seconds=60) as client:
        out = []
        for name, args in calls:
            res = await client.call_tool(name, args)
            out.append(res)
        tools = await client.list_tools()
        return out, sorted(t.name for t in tools.tools)


def test_export_loads_into_the_npm_memory_server(tmp_path, filled_store):
    node = shutil.which("node")
    if node is None or not MEMORY_SERVER.is_file():
        pytest.skip("node or @modelcontextprotocol/server-memory missing: run `make test-setup`")
    export = tmp_path / "memory.jsonl"
    with filled_store.connect() as conn:
        memory.export_jsonl(conn, export)
        ours = memory.read_graph(conn)
        ours_search = memory.search_nodes(conn, "late_key")
        ours_open = memory.open_nodes(conn, [LATE])
    params = StdioServerParameters(command=node, args=[str(MEMORY_SERVER)], env={"MEMORY_FILE_PATH": str(export)}, cwd=str(tmp_path))
    (graph, found, opened), tool_names = anyio.run(_calls, params, [("read_graph", {}), ("search_nodes", {"query": "late_key"}), ("open_nodes", {"names": [LATE]})])
    assert {"read_graph", "search_nodes", "open_nodes"} <= set(tool_names)
    assert not graph.is_error
    assert _key(graph.structured_content) == _key(ours)
    assert len([e for e in ours["entities"] if e["entityType"] == "ErrorType"]) == 4
    assert _key(found.structured_content) == _key(ours_search)
    assert _key(opened.structured_content) == _key(ours_open)


def test_tokopt_mcp_over_stdio(tmp_path, filled_store):
    with filled_store.connect() as conn:
        ours = memory.read_graph(conn)
        ours_search = memory.search_nodes(conn, "DATABASE connection")
        ours_open = memory.open_nodes(conn, [LATE])
        runs = memory.run_summary_rows(conn)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "tokopt_pipeline", "mcp"], cwd=str(tmp_path),
        env={"TOKOPT_DUCKDB_PATH": str(filled_store.path), "TOKOPT_PENDING_DIR": str(filled_store.pending_dir)},
    )
    calls = [
        ("read_graph", {}),
        ("search_nodes", {"query": "DATABASE connection"}),
        ("open_nodes", {"names": [LATE, "no such entity"]}),
        ("list_runs", {"limit": 2}),
        ("get_summary", {"run": runs[0]["run_id"], "token_budget": 400}),
        ("get_summary", {"run": "no-such-run"}),
    ]
    (graph, found, opened, listed, summary, missing), tool_names = anyio.run(_calls, params, calls)
    assert {"get_summary", "list_runs", "open_nodes", "read_graph", "search_nodes"} <= set(tool_names)
    assert graph.structured_content["nextCursor"] is None  # the whole graph fits one page here
    assert _key(graph.structured_content) == _key(ours)
    assert _key(found.structured_content) == _key(ours_search) and found.structured_content["entities"]
    assert [e["name"] for e in opened.structured_content["entities"]] == [LATE]
    assert _key(opened.structured_content) == _key(ours_open)
    assert [r["run_id"] for r in listed.structured_content["runs"]] == [r["run_id"] for r in runs[:2]]
    text = summary.content[0].text
    assert not summary.is_error
    assert tokens.count(text) <= 400
    assert "test_late" in text and "**new**" in text and "late_key" in text
    assert missing.is_error and "no stored run 'no-such-run'" in missing.content[0].text
