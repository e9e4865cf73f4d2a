"""Side outputs of a pass: the per-line template export and the preprocessed chunks.

Both are written while the log streams (bounded memory) and renamed into place only
when the pass succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl

from .outputs import AtomicWriter, OutputError
from .priority import Level


class TemplateExporter:
    """Writes ``line_number,template_id,template`` for every input line.

    Template texts can still generalize while the log streams, so ids are spooled to
    temporary Arrow files and joined with the final texts at the end.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._dir = tempfile.mkdtemp(prefix=".tokopt-export-", dir=self.path.parent)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._parts: list[str] = []

    def add(self, df: pl.DataFrame) -> None:
        part = os.path.join(self._dir, f"{len(self._parts):06d}.arrow")
        df.select(pl.col("line_no").alias("line_number"), pl.col("tid").alias("template_id")).write_ipc(part)
        self._parts.append(part)

    def finish(self, miner) -> Path:
        try:
            ids = pl.concat([pl.read_ipc(p, memory_map=False) for p in self._parts]) if self._parts else pl.DataFrame({"line_number": [], "template_id": []})
            uniq = ids["template_id"].unique().to_list()
            texts = pl.DataFrame({"template_id": pl.Series(uniq, dtype=ids["template_id"].dtype), "template": [miner.template(int(i)) for i in uniq]})
            out = ids.join(texts, on="template_id", how="left", maintain_order="left")
            with AtomicWriter(self.path) as f:
                out.write_csv(f)
        finally:
            self.discard()
        return self.path

    def discard(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


class ChunkWriter:
    """``<stem>.chunks.jsonl``: one JSON object per chunk with its statistics and its
    tagged templates (id, level, count, template text) — the preprocessed form of the log."""

    def __init__(self, path: str | os.PathLike, chunk_size: int):
        self.path = Path(path)
        self.chunk_size = chunk_size
        self._writer = AtomicWriter(self.path)
        self._fh = self._writer.__enter__()
        self._closed = False
        # The last chunk of a batch is held back: a batch cut early (long lines reach
        # the reader's byte limit first) ends inside a chunk, which the next batch ends.
        self._pending: dict | None = None

    def add(self, df: pl.DataFrame) -> None:
        per = (
            df.with_columns(((pl.col("line_no") - 1) // self.chunk_size).alias("chunk"))
            .group_by("chunk", "tid", maintain_order=True)
            .agg(pl.len().alias("count"), pl.col("level").min(), pl.col("masked").first(), pl.col("line_no").min().alias("first"), pl.col("line_no").max().alias("last"))
        )
        stats = (
            df.with_columns(((pl.col("line_no") - 1) // self.chunk_size).alias("chunk"))
            .group_by("chunk", maintain_order=True)
            .agg(pl.col("line_no").min().alias("first"), pl.col("line_no").max().alias("last"), *[(pl.col("level") == i).sum().alias(Level(i).label) for i in range(5)])
        )
        by_chunk: dict[int, list] = {}
        for chunk, tid, count, level, masked, first, last in per.iter_rows():
            by_chunk.setdefault(chunk, []).append({"template_id": tid, "level": Level(level).label, "count": count, "first_line": first, "last_line": last, "template": masked})
        for row in stats.iter_rows(named=True):
            obj = {
                "chunk": int(row["chunk"]),
                "first_line": row["first"],
                "last_line": row["last"],
                "levels": {Level(i).label: int(row[Level(i).label]) for i in range(5)},
                "templates": by_chunk.get(row["chunk"], []),
            }
            if self._pending is not None and self._pending["chunk"] == obj["chunk"]:
                obj = _merge_chunk(self._pending, obj)
            elif self._pending is not None:
                self._write(self._pending)
            self._pending = obj

    def _write(self, obj: dict) -> None:
        obj["templates"] = sorted(obj["templates"], key=lambda t: (t["level"] != "critical", -t["count"]))
        self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def finish(self) -> Path:
        if not self._closed:
            if self._pending is not None:
                self._write(self._pending)
                self._pending = None
            self._closed = True
            self._writer.__exit__(None, None, None)
        return self.path

    def discard(self) -> None:
        if not self._closed:
            self._closed = True
            self._writer.__exit__(RuntimeError, RuntimeError("discard"), None)


def _merge_chunk(a: dict, b: dict) -> dict:
    """One chunk from its two parts (the end of one batch, the start of the next)."""
    templates = {t["template_id"]: dict(t) for t in a["templates"]}
    for t in b["templates"]:
        old = templates.get(t["template_id"])
        if old is None:
            templates[t["template_id"]] = t
        else:
            old["count"] += t["count"]
            old["last_line"] = t["last_line"]
            if Level[t["level"].upper()] < Level[old["level"].upper()]:
                old["level"] = t["level"]
    return {
        "chunk": a["chunk"],
        "first_line": a["first_line"],
        "last_line": b["last_line"],
        "levels": {k: a["levels"][k] + b["levels"][k] for k in a["levels"]},
        "templates": list(templates.values()),
    }


class SideOutputs:
    """The optional side outputs of one pass — the template export and the preprocessed
    chunks — fed batch by batch and committed only when the whole pass succeeds.

    Example:
        side = SideOutputs(export_templates="t.csv", preprocess_to=None)
        try:
            analysis = analyze(path, options, on_batch=side.add)
            side.finish()
        except BaseException:
            side.discard()
            raise
    """

    def __init__(self, export_templates: str | os.PathLike | None = None, preprocess_to: str | os.PathLike | None = None):
        self.exporter = TemplateExporter(export_templates) if export_templates else None
        self.preprocess_to = preprocess_to
        self.chunks: ChunkWriter | None = None
        self.miner = None

    def add(self, df: pl.DataFrame, an) -> None:
        """``on_batch`` callback of :func:`~.analysis.analyze`."""
        self.miner = an.miner
        if self.exporter is not None:
            self.exporter.add(df)
        if self.preprocess_to is not None:
            if self.chunks is None:
                self.chunks = ChunkWriter(self.preprocess_to, an.a.chunk_size)
            self.chunks.add(df)

    def finish(self) -> None:
        if self.exporter is not None:
            self.exporter.finish(self.miner)
        if self.chunks is not None:
            self.chunks.finish()

    def discard(self) -> None:
        if self.exporter is not None:
            self.exporter.discard()
        if self.chunks is not None:
            self.chunks.discard()
