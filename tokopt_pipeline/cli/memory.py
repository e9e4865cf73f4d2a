"""``tokopt memory``: what the cross-run memory holds (errors, tests and runs, in the
DuckDB store), its MCP memory-server JSONL form, and the store's health; ``tokopt
report``: a static HTML report of usage and recurring errors.

A summary joins the memory with ``tokopt LOG --store-memory``. Writes that find the
store locked wait ``TOKOPT_LOCK_TIMEOUT`` seconds, then land in the pending folder
(``.mcp_local_storage/``), replayed by the next command that gets the lock or by
``tokopt memory reconnect``.
"""

from __future__ import annotations

import click

from tokopt_pipeline.cli.command import Command, Group
from tokopt_pipeline.cli.output import error
from tokopt_pipeline.cli.params import args_of, use
from tokopt_pipeline.lib.errors import EXIT_OK, EXIT_STORE
from tokopt_pipeline.lib.store import RETENTION_DAYS as DEFAULT_DAYS
from tokopt_pipeline.lib.store import RETENTION_MAX_MB as DEFAULT_MAX_MB

__all__ = ["memory", "report"]


def _store(ctx: click.Context):
    from tokopt_pipeline.lib.store.db import Store

    return Store.from_env(args_of(ctx).store_path)


@click.group(cls=Group)
def memory() -> None:
    """The memory of errors, tests and runs across runs."""


@memory.command("analyze")
@click.option("--query", metavar="Q", help="also the entities whose name, type or observations contain Q")
@click.option("--flaky", "flaky", is_flag=True, default=False,
              help="list instead the tests that changed outcome: runs, flips, flip rate, same-commit outcomes, last outcome")
@click.option("--runs", "window", type=click.IntRange(2, 10000), default=None, metavar="N",
              help="with --flaky: the last N runs of each suite, 2 to 10000 (default: 20, the window the [flaky] marks use)")
@use("store_path")
@click.pass_context
def analyze(ctx: click.Context, query: str | None, flaky: bool, window: int | None, **_: object) -> int:
    """Counts by type, the top recurring errors and the flaky tests (with --flaky, the
    flip rate of every test that changed outcome)."""
    from tokopt_pipeline.lib import memory as mem
    from tokopt_pipeline.lib.memory.flakiness import FLIP_WINDOW, flaky_listing

    with _store(ctx).connect() as conn:
        info = None if flaky else mem.analyze_memory(conn)
        listing = flaky_listing(conn, window or FLIP_WINDOW) if flaky else None
        graph = mem.search_nodes(conn, query) if query else None
    print(listing if info is None else mem.format_analysis(info))
    if graph is not None:
        print(f"query {query!r}: " + mem.format_graph(graph))
    return EXIT_OK


@memory.command("query")
@click.argument("query", metavar="Q")
@use("store_path")
@click.pass_context
def query_(ctx: click.Context, query: str, **_: object) -> int:
    """The entities whose name, type or observations contain Q (case-insensitive),
    with their relations."""
    from tokopt_pipeline.lib import memory as mem

    with _store(ctx).connect() as conn:
        graph = mem.search_nodes(conn, query)
    print(f"query {query!r}: " + mem.format_graph(graph))
    return EXIT_OK


@memory.command("check")
@use("store_path")
@click.pass_context
def check(ctx: click.Context, **_: object) -> int:
    """Check that the store opens; print its path, schema, contents and pending writes
    (replaying them when it can)."""
    from tokopt_pipeline.lib.store.db import StoreBusy
    from tokopt_pipeline.lib.store.schema import latest_version

    store = _store(ctx)
    pending = store.pending()
    try:
        with store.connect() as conn:
            version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
            ents = conn.execute("SELECT count(*) FROM mem_entities").fetchone()[0]
            rels = conn.execute("SELECT count(*) FROM mem_relations").fetchone()[0]
            runs = conn.execute("SELECT count(*) FROM mem_runs").fetchone()[0]
        left = len(store.pending())
    except StoreBusy as exc:
        error(f"{exc.message}; {len(pending)} writes wait in {store.pending_dir} (replayed by the next command that gets the lock, or tokopt memory reconnect)")
        return EXIT_STORE
    replayed = len(pending) - left
    print(f"memory store OK: {store.where} (schema {version} of {latest_version()}): {ents} entities, {rels} relations, {runs} runs")
    if store.postgres and not left:
        print("pending writes: none (a store on a server commits each write or fails it)")
    else:
        print(f"pending writes: {left} in {store.pending_dir}" + (f" ({replayed} replayed just now)" if replayed else ""))
    quarantined = store.quarantined()
    if quarantined:
        print(f"quarantined: {len(quarantined)} pending write{'s' if len(quarantined) != 1 else ''} that could not be replayed, "
              f"in {store.pending_dir / 'quarantine'} (look at them, then delete them)")
    return EXIT_OK


@memory.command("reconnect")
@use("store_path")
@click.pass_context
def reconnect(ctx: click.Context, **_: object) -> int:
    """Replay the writes waiting in the pending folder (.mcp_local_storage/)."""
    from tokopt_pipeline.lib.store.db import StoreBusy

    store = _store(ctx)
    before = len(store.pending())
    try:
        n = store.replay()
    except StoreBusy as exc:
        error(f"{exc.message}; {before} writes still wait in {store.pending_dir}")
        return EXIT_STORE
    left = len(store.pending())
    print(f"replayed {n} pending write{'s' if n != 1 else ''} from {store.pending_dir} into {store.where}" + (f"; {left} could not be applied" if left else ""))
    return EXIT_OK


@memory.command("export")
@click.argument("path", metavar="FILE.jsonl")
@use("store_path")
@click.pass_context
def export(ctx: click.Context, path: str, **_: object) -> int:
    """Write the memory as MCP memory-server JSONL (one entity or relation a line)."""
    from tokopt_pipeline.lib import memory as mem

    with _store(ctx).connect() as conn:
        ents, rels = mem.export_jsonl(conn, path)
    print(f"exported {ents} entities and {rels} relations to {path}")
    return EXIT_OK


@memory.command("import")
@click.argument("path", metavar="FILE.jsonl")
@use("store_path")
@click.pass_context
def import_(ctx: click.Context, path: str, **_: object) -> int:
    """Merge an MCP memory-server JSONL file into the memory; a bad file is refused
    whole, naming the line."""
    from tokopt_pipeline.lib import memory as mem

    ents, rels, status = mem.import_jsonl(_store(ctx), path)
    where = "" if status == "applied" else f" (store busy: queued in {status})"
    print(f"imported {path}: {ents} entities, {rels} relations{where}")
    return EXIT_OK


@memory.command("prune")
@click.option("--days", type=click.IntRange(min=0), default=DEFAULT_DAYS, metavar="N",
              help=f"delete the runs older than N days, with their rows, memory and usage (default: {DEFAULT_DAYS})")
@click.option("--max-mb", type=click.FloatRange(min=1), default=DEFAULT_MAX_MB, metavar="MB",
              help=f"then the oldest runs while the store is bigger than MB (default: {DEFAULT_MAX_MB:g})")
@use("store_path")
@click.pass_context
def prune(ctx: click.Context, days: int, max_mb: float, **_: object) -> int:
    """Retention: prune every table of the store by age, then by size (what nightly
    retention does in Dagster)."""
    from tokopt_pipeline.lib.store.retention import prune_store

    store = _store(ctx)
    with store.connect() as conn:
        got = prune_store(conn, days=days, max_mb=max_mb)
    print(f"pruned {got['runs']} runs, {got['memory_runs']} memory runs and {got['usage_rows']} usage rows from {store.where}; "
          f"store {got['bytes_before'] / 1e6:.1f} MB -> {got['bytes_after'] / 1e6:.1f} MB")
    return EXIT_OK


@click.command("report", cls=Command)
@click.option("--html", required=True, metavar="FILE", help="where to write the report")
@click.option("--top", type=click.IntRange(1, 1000), default=10, metavar="N", help="recurring errors to chart, 1 to 1000 (default: 10)")
@click.option("--days", type=click.IntRange(1, 36500), default=30, metavar="N", help="days of usage to chart, 1 to 36500 (default: 30)")
@use("store_path")
@click.pass_context
def report(ctx: click.Context, html: str, top: int, days: int, **_: object) -> int:
    """Write a static HTML report (readable offline): token usage over time and the
    top recurring errors, from the store."""
    from tokopt_pipeline.lib.usage import report_html

    with _store(ctx).connect() as conn:
        info = report_html.write_report(conn, html, top=top, days=days)
    print(f"report: {html} ({info['runs']} usage records, {info['errors']} recurring errors)")
    return EXIT_OK
