"""The memory as MCP memory-server JSONL: export, and a validated import."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from tokopt_pipeline.lib.errors import BadInput
from tokopt_pipeline.lib.memory.graph import add_entity, observe, read_graph, relate
from tokopt_pipeline.lib.memory.runs import ERROR_TYPE
from tokopt_pipeline.lib.outputs import atomic_write_text
from tokopt_pipeline.lib.store.db import Connection, Payload, Store, operation


# -- JSONL export / import ----------------------------------------------------------
def export_jsonl(conn: Connection, path: str | os.PathLike[str]) -> tuple[int, int]:
    """Write the graph in the memory server's JSONL format; returns (entities, relations)."""
    g = read_graph(conn)
    lines = [json.dumps({"type": "entity", "name": e["name"], "entityType": e["entityType"], "observations": e["observations"]}, ensure_ascii=False) for e in g["entities"]]
    lines += [json.dumps({"type": "relation", "from": r["from"], "to": r["to"], "relationType": r["relationType"]}, ensure_ascii=False) for r in g["relations"]]
    atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))
    return len(g["entities"]), len(g["relations"])


_ENTITY_KEYS = {"type", "name", "entityType", "observations"}
_RELATION_KEYS = {"type", "from", "to", "relationType"}


def validate_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read and check a memory-server JSONL file; every line must be an entity or a
    relation record. Raises BadInput naming the file and line of the first problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        from tokopt_pipeline.lib.errors import InputNotFound

        raise InputNotFound(f"{p}: no such file") from None
    except OSError as exc:
        from tokopt_pipeline.lib.errors import InputNotFound

        raise InputNotFound(f"{p}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_no = raw[: exc.start].count(b"\n") + 1
        raise BadInput(f"{p}:{line_no}: not UTF-8 text; nothing was imported") from None
    records: list[dict[str, Any]] = []

    def bad(n: int, why: str) -> BadInput:
        return BadInput(f"{p}:{n}: {why}; nothing was imported (expected the memory server's JSONL: one entity or relation record a line)")

    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc).split(":")[0]
            raise bad(n, f"not valid JSON ({why})") from None
        if not isinstance(rec, dict):
            raise bad(n, f"a JSON {type(rec).__name__}, not a record")
        kind = rec.get("type")
        if kind == "entity":
            if not isinstance(rec.get("name"), str) or not rec["name"].strip():
                raise bad(n, "entity without a name")
            if not isinstance(rec.get("entityType"), str) or not rec["entityType"].strip():
                raise bad(n, "entity without an entityType")
            obs = rec.get("observations")
            if not isinstance(obs, list) or not all(isinstance(o, str) for o in obs):
                raise bad(n, "entity observations must be a list of strings")
            extra = set(rec) - _ENTITY_KEYS
        elif kind == "relation":
            for k in ("from", "to", "relationType"):
                if not isinstance(rec.get(k), str) or not rec[k].strip():
                    raise bad(n, f"relation without {k!r}")
            extra = set(rec) - _RELATION_KEYS
        else:
            raise bad(n, f"record type {kind!r} is neither 'entity' nor 'relation'")
        if extra:
            raise bad(n, f"unexpected field{'s' if len(extra) > 1 else ''} {', '.join(sorted(extra))}")
        records.append(rec)
    return records


_FP_IN_NAME = re.compile(r"\[([0-9a-f]{8})\]$")


@operation("memory_import")
def _import_records(conn: Connection, payload: Payload) -> None:
    for rec in payload["records"]:
        if rec["type"] == "entity":
            fp = None
            if rec["entityType"] == ERROR_TYPE:
                m = _FP_IN_NAME.search(rec["name"])
                existing = conn.execute("SELECT fingerprint FROM mem_entities WHERE name = ?", [rec["name"]]).fetchone()
                fp = existing[0] if existing else (m.group(1) if m else None)
            add_entity(conn, rec["name"], rec["entityType"], fp)
            observe(conn, rec["name"], rec["observations"])
        else:
            relate(conn, rec["from"], rec["to"], rec["relationType"])


def import_jsonl(store: Store, path: str | os.PathLike[str], timeout: float | None = None) -> tuple[int, int, str]:
    """Validate ``path`` whole, then merge it into the graph in one transaction (entities
    by name, observations and relations without duplicates). Returns (entities,
    relations, "applied" or the pending file when the store was busy)."""
    records = validate_jsonl(path)
    status = store.write("memory_import", {"records": records}, timeout=timeout)
    ents = sum(1 for r in records if r["type"] == "entity")
    return ents, len(records) - ents, status
