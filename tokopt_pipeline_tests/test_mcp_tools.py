"""The MCP tools within their token limits, through the official SDK client over stdio
against the real ``tokopt mcp`` process: the log tools on real logs, the memory tools on
a store of real runs plus a graph far over any client's limit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tokopt_pipeline.lib import memory
from tokopt_pipeline.lib.engine import tokens
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import NUMPY_LOG, postgres_store_url
from tokopt_pipeline_tests.fixtures_secrets import planted_secrets_log
from tokopt_pipeline_tests.lib.memory.test_memory import FLIP, LATE, RECURRING, make_suite_logs, summarize_and_remember

pytestmark = pytest.mark.e2e  # starts `tokopt mcp` in a subprocess

BIG_ENTITIES = 400


def result_tokens(res) -> int:
    """What a client receives, counted as the server promises: every text block, plus
    the structured content as compact JSON."""
    n = sum(tokens.count(block.text) for block in res.content)
    if res.structured_content is not None:
        n += tokens.count(json.dumps(res.structured_content, ensure_ascii=False, separators=(",", ":")))
    return n


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path_factory) -> Store:
    """Four real pytest runs remembered, and a graph of 400 more entities (one with a
    long history) and their relations: over 80,000 tokens in all. On each backend: the
    DuckDB file, and a store on a PostgreSQL server the server process reaches by URL."""
    root = tmp_path_factory.mktemp("mcp_tools")
    url = postgres_store_url(request.getfixturevalue("pg_cluster")) if request.param == "postgres" else None
    store = Store(root / "store.duckdb", root / "pending", lock_timeout=5, url=url)
    for log in make_suite_logs(root / "logs"):
        summarize_and_remember(store, log)
    detail = "canary rollout held: p99 latency {} ms over the 250 ms objective in region eu-{}; rolled back by the deploy bot"
    records = [{"type": "entity", "name": f"service-{i:04d}", "entityType": "Service",
                "observations": [f"build {i}.{j}: " + detail.format(300 + j, j % 3) for j in range(i % 7)]}
               for i in range(BIG_ENTITIES)]
    records.append({"type": "entity", "name": "noisy", "entityType": "Service",
                    "observations": [f"restart {j}: exit status 137 (OOM killed) after {j * 13} s; " + detail.format(j, 1) for j in range(400)]})
    records += [{"type": "relation", "from": f"service-{i:04d}", "to": f"service-{(i * 7) % BIG_ENTITIES:04d}", "relationType": "calls"}
                for i in range(BIG_ENTITIES)]
    assert store.write("memory_import", {"records": records}) == "applied"
    return store


def _params(store: Store, cwd: Path) -> StdioServerParameters:
    env = {"TOKOPT_DUCKDB_PATH": str(store.path), "TOKOPT_PENDING_DIR": str(store.pending_dir)}
    if store.url:
        env["TOKOPT_STORE_URL"] = store.url
    return StdioServerParameters(command=sys.executable, args=["-m", "tokopt_pipeline", "mcp"], cwd=str(cwd), env=env)


async def _session(params: StdioServerParameters, body):
    async with Client(params, read_timeout_seconds=120) as client:
        return await body(client)


def run(params: StdioServerParameters, body):
    return anyio.run(_session, params, body)


def test_read_graph_over_the_limit_pages_to_the_end_with_every_item_once(tmp_path, store):
    with store.connect() as conn:
        whole = memory.read_graph(conn)
    whole_tokens = tokens.count(json.dumps(whole))
    assert whole_tokens > 60_000  # far over what an agent client takes (about 25,000)

    async def body(client):
        first = await client.call_tool("read_graph", {})
        pages, cursor = [], None
        while True:
            res = await client.call_tool("read_graph", {"max_tokens": 6000, **({"cursor": cursor} if cursor else {})})
            assert not res.is_error, res.content[0].text
            pages.append(res)
            cursor = res.structured_content["nextCursor"]
            if cursor is None:
                return first, pages

    first, pages = run(_params(store, tmp_path), body)
    # the default limit, and a note on what is left and how to get it
    assert not first.is_error and result_tokens(first) <= 8000
    page = first.structured_content
    assert page["nextCursor"] and page["remaining"]["entities"] > 300 and page["remaining"]["relations"] == len(whole["relations"])
    assert page["note"].endswith("call read_graph with cursor set to nextCursor")
    assert json.loads(first.content[0].text) == page  # the text block: the same page

    assert all(result_tokens(p) <= 6000 for p in pages)
    observations: dict[str, list[str]] = {}
    seen_on: dict[str, list[int]] = {}
    relations = []
    for i, p in enumerate(pages):
        for e in p.structured_content["entities"]:
            observations.setdefault(e["name"], []).extend(e["observations"])
            seen_on.setdefault(e["name"], []).append(i)
        relations += [(r["from"], r["to"], r["relationType"]) for r in p.structured_content["relations"]]
    # every entity, in order, each observation once; only the one too big for a page spans pages
    assert list(observations) == [e["name"] for e in whole["entities"]]
    assert observations == {e["name"]: e["observations"] for e in whole["entities"]}
    assert {n for n, on in seen_on.items() if len(on) > 1} == {"noisy"}
    on = seen_on["noisy"]
    assert on == list(range(on[0], on[0] + len(on)))  # consecutive pages
    assert sorted(relations) == sorted((r["from"], r["to"], r["relationType"]) for r in whole["relations"])
    assert len(set(relations)) == len(relations)
    assert pages[-1].structured_content["note"] is None


def test_search_nodes_pages_and_a_cursor_is_bound_to_its_query(tmp_path, store):
    async def body(client):
        first = await client.call_tool("search_nodes", {"query": "region eu-2", "max_tokens": 1000})
        cursor = first.structured_content["nextCursor"]
        again = await client.call_tool("search_nodes", {"query": "region eu-2", "max_tokens": 1000})
        other = await client.call_tool("search_nodes", {"query": "region eu-0", "cursor": cursor, "max_tokens": 1000})
        garbage = await client.call_tool("search_nodes", {"query": "region eu-2", "cursor": "not-a-cursor"})
        nxt = await client.call_tool("search_nodes", {"query": "region eu-2", "cursor": cursor, "max_tokens": 1000})
        return first, again, other, garbage, nxt

    first, again, other, garbage, nxt = run(_params(store, tmp_path), body)
    assert result_tokens(first) <= 1000 and result_tokens(nxt) <= 1000
    assert first.structured_content["nextCursor"] == again.structured_content["nextCursor"]  # stable
    names1 = [e["name"] for e in first.structured_content["entities"]]
    names2 = [e["name"] for e in nxt.structured_content["entities"]]
    assert names1 and names2 and not set(names1) & set(names2)
    assert all(any("region eu-2" in o for o in e["observations"]) for e in first.structured_content["entities"])
    assert "and the same arguments" in first.structured_content["note"]
    assert other.is_error and "another call" in other.content[0].text
    assert garbage.is_error and "without a cursor to start again" in garbage.content[0].text


def test_summarize_log_then_page_and_search_into_it(tmp_path, store):
    log = tmp_path / "numpy.log"
    log.write_bytes(NUMPY_LOG.read_bytes())
    file_lines = log.read_text().split("\n")

    async def body(client):
        summary = await client.call_tool("summarize_log", {"path": "numpy.log", "max_tokens": 2000})
        lines = await client.call_tool("log_lines", {"path": str(log), "start": 6942, "end": 6960})
        many = await client.call_tool("log_lines", {"path": str(log), "start": 1, "end": 8372, "max_tokens": 1000})
        grep = await client.call_tool("log_grep", {"path": str(log), "pattern": r"TimeoutError: operation timed out", "context": 1})
        tight = await client.call_tool("log_grep", {"path": str(log), "pattern": "(?i)assertionerror", "max_tokens": 600})
        return summary, lines, many, grep, tight

    summary, lines, many, grep, tight = run(_params(store, tmp_path), body)
    assert not summary.is_error and result_tokens(summary) <= 2000
    text, pointer = (b.text for b in summary.content)
    assert "48 failing tests" in text and "TimeoutError" in text
    assert f'log_lines(path="{log}", start=' in pointer and "8,372 lines" in pointer

    assert lines.content[0].text.split("\n") == [f"{n}: {file_lines[n - 1]}" for n in range(6942, 6961)]

    assert result_tokens(many) <= 1000
    shown = many.content[0].text.split("\n")
    last = int(shown[-2].split(":", 1)[0])
    assert shown[-1] == f"… lines {last + 1:,}–8,372 left out to stay within max_tokens=1,000: call log_lines with start={last + 1} and end=8372"

    hits = grep.content[0].text.split("\n")
    matches = [n for n, line in enumerate(file_lines, 1) if "TimeoutError: operation timed out" in line]
    assert hits[0].startswith(f"{len(matches)} matching lines in {log}")
    assert [int(h.split(":", 1)[0]) for h in hits[1:] if h.split(":", 1)[0].isdigit()] == matches
    assert f"{matches[0] - 1}- {file_lines[matches[0] - 2]}" in hits  # context before

    assert result_tokens(tight) <= 600
    note = tight.content[0].text.split("\n")[-1]
    assert note.startswith("… ") and "more matching lines from line" in note and "call log_grep with the same pattern and start=" in note


def test_log_tools_redact_secrets_and_refuse_bad_input(tmp_path, store):
    text, secrets = planted_secrets_log()
    log = tmp_path / "secrets.log"
    log.write_text(text)
    n_lines = len(text.rstrip("\n").split("\n"))

    async def body(client):
        return [await client.call_tool(name, args) for name, args in [
            ("log_lines", {"path": str(log), "start": 1, "end": n_lines, "max_tokens": 20000}),
            ("log_grep", {"path": str(log), "pattern": ".", "max_tokens": 20000}),
            ("summarize_log", {"path": str(log), "max_tokens": 4000}),
            ("log_grep", {"path": str(log), "pattern": "a("}),
            ("log_grep", {"path": str(log), "pattern": "x" * 1001}),
            ("log_lines", {"path": str(tmp_path / "missing.log")}),
            ("summarize_log", {"path": str(tmp_path)}),
            ("log_lines", {"path": str(log), "start": n_lines + 10}),
            ("summarize_log", {"path": str(log), "max_tokens": 10}),
        ]]

    paged, grepped, summary, bad_regex, long_regex, missing, folder, past_end, too_small = run(_params(store, tmp_path), body)
    for res in (paged, grepped, summary):
        assert not res.is_error
        shown = "\n".join(b.text for b in res.content)
        assert "[REDACTED:" in shown
        for secret in secrets:
            assert secret not in shown
    assert len(paged.content[0].text.split("\n")) == n_lines  # one line for one line
    assert bad_regex.is_error and "not a valid regular expression" in bad_regex.content[0].text and "unclosed group" in bad_regex.content[0].text
    assert long_regex.is_error and "the most taken is 1,000" in long_regex.content[0].text
    assert missing.is_error and "missing.log: no such file or directory" in missing.content[0].text
    assert folder.is_error and "is a directory" in folder.content[0].text
    assert past_end.is_error and f"fewer than {n_lines + 10:,} lines" in past_end.content[0].text
    assert too_small.is_error and "max_tokens" in too_small.content[0].text


def test_failures_and_runs_of_the_memory_within_the_limit(tmp_path, store):
    with store.connect() as conn:
        runs = memory.run_summary_rows(conn)

    async def body(client):
        out = [await client.call_tool(name, args) for name, args in [
            ("failures", {}),
            ("failures", {"run": runs[-1]["run_id"]}),
            ("failures", {"run": runs[1]["run_id"]}),
            ("failures", {"run": "no-such-run"}),
            ("list_runs", {"limit": 4, "max_tokens": 500}),
            ("get_summary", {"run": runs[0]["run_id"], "token_budget": 5000, "max_tokens": 900}),
        ]]
        names = sorted(t.name for t in (await client.list_tools()).tools)
        return out, names

    (latest, oldest, third, missing, listed, summary), names = run(_params(store, tmp_path), body)
    assert names == ["failures", "get_summary", "list_runs", "log_grep", "log_lines", "open_nodes", "read_graph",
                     "search_nodes", "summarize_log"]
    text = latest.content[0].text
    assert f"# Failures of run `{runs[0]['run_id']}`" in text
    assert f"`{RECURRING}`" in text and f"`{LATE}`" in text and "KeyError" in text
    assert "**new**" in text and "late_key" in text  # run 4's new error
    assert "test_ok_one" not in text  # failed-only
    assert f"`{FLIP}` [flaky]" in oldest.content[0].text or f"`{FLIP}`" in oldest.content[0].text
    # Each failing test's flip rate over its suite's runs up to that run: flip failed, passed, failed.
    assert f"- failed `{FLIP}` [flaky] (flip rate 1.00 over 3 runs) — " in third.content[0].text
    assert missing.is_error and "no stored run 'no-such-run'" in missing.content[0].text
    assert result_tokens(listed) <= 500
    doc = listed.structured_content
    assert doc["runs"] and len(doc["runs"]) < 4 and doc["nextOffset"] == len(doc["runs"])
    assert f"call list_runs with offset={len(doc['runs'])}" in doc["note"]
    assert not summary.is_error and result_tokens(summary) <= 900
    assert "test_late" in summary.content[0].text
