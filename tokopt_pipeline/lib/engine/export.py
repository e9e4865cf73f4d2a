"""Side outputs of a pass: the per-line template export and the preprocessed chunks.

Both are written while the log streams (bounded memory) and renamed into place only
when the pass succeeds.

The template export is CSV a spreadsheet may open: a template cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or with spaces before one of
the first four) is prefixed with a single quote, the OWASP rule against CSV
injection, so that no cell runs as a formula (``=HYPERLINK(...)``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from tokopt_pipeline.lib.engine.priority import Level
from tokopt_pipeline.lib.errors import OutputError
from tokopt_pipeline.lib.outputs import AtomicWriter, temp_path

if TYPE_CHECKING:
    from tokopt_pipeline.lib.engine.analysis import Analyzer
    from tokopt_pipeline.lib.engine.model import ChunkStat
    from tokopt_pipeline.lib.engine.templates import TemplateMiner

__all__ = ["TemplateExporter", "ChunkWriter", "SideOutputs", "csv_safe"]

#: What a spreadsheet reads as the start of a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(cell: str) -> str:
    """``cell`` as a spreadsheet shows it, never runs it: prefixed with ``'`` when it
    starts like a formula (also after leading spaces)."""
    if cell.startswith(FORMULA_START) or cell.lstrip(" \t\r\n").startswith(FORMULA_START[:4]):
        return "'" + cell
    return cell


class TemplateExporter:
    """Writes ``line_number,template_id,template`` for every input line.

    Template texts can still generalize while the log streams, so ids are spooled to
    temporary Arrow files (one per batch, in a spill folder named like every tokopt
    temporary, :func:`~tokopt_pipeline.lib.outputs.temp_path`) and written out at the
    end one batch at a time against the final texts: memory stays bounded by a batch
    and the templates, whatever the log's length.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._dir = temp_path(self.path)
            os.mkdir(self._dir, 0o700)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._parts: list[str] = []
        self._tids: set[int] = set()

    def add(self, df: pl.DataFrame) -> None:
        part = os.path.join(self._dir, f"{len(self._parts):06d}.arrow")
        ids = df.select(pl.col("line_no").alias("line_number"), pl.col("tid").alias("template_id"))
        try:
            ids.write_ipc(part)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path} (spilling to {self._dir}): {exc.strerror or exc}") from exc
        self._parts.append(part)
        self._tids.update(ids["template_id"].unique().to_list())

    def finish(self, miner: TemplateMiner | None) -> Path:
        try:
            dtype = pl.read_ipc_schema(self._parts[0])["template_id"] if self._parts else pl.UInt32
            uniq = sorted(self._tids)
            texts = pl.DataFrame({
                "template_id": pl.Series(uniq, dtype=dtype),
                # no miner: no batch came, so there is no template id either
                "template": [csv_safe(miner.template(int(i))) for i in uniq] if miner is not None else [],
            }, schema={"template_id": dtype, "template": pl.Utf8})
            with AtomicWriter(self.path) as f:
                if not self._parts:
                    f.write("line_number,template_id,template\n")
                for n, part in enumerate(self._parts):
                    ids = pl.read_ipc(part, memory_map=False)
                    out = ids.join(texts, on="template_id", how="left", maintain_order="left")
                    f.write(out.write_csv(include_header=n == 0))
                    os.unlink(part)  # the spill shrinks as the export grows
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        finally:
            self.discard()
        return self.path

    def discard(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


class ChunkWriter:
    """``<stem>.chunks.jsonl``: one JSON object per chunk with its statistics and its
    tagged templates (id, level, count, template text) — the preprocessed form of the log.

    The statistics are the pass's own (``Analysis.chunks``); only the templates per
    chunk are counted here. A chunk is written once a later one has begun: a batch can
    end inside a chunk, which the next batch then ends."""

    def __init__(self, path: str | os.PathLike[str], chunk_size: int):
        self.path = Path(path)
        self.chunk_size = chunk_size
        self._writer = AtomicWriter(self.path)
        self._fh = self._writer.__enter__()
        self._closed = False
        # chunk -> template id -> entry (template_id, level, count, first_line, last_line, template)
        self._pending: dict[int, dict[int, dict[str, Any]]] = {}

    def add(self, df: pl.DataFrame, chunks: list[ChunkStat]) -> None:
        """Count a batch's templates per chunk; write the chunks it completed.
        ``chunks``: the pass's chunk statistics so far (index = chunk number)."""
        per = (
            df.with_columns(((pl.col("line_no") - 1) // self.chunk_size).alias("chunk"))
            .group_by("chunk", "tid", maintain_order=True)
            .agg(pl.len().alias("count"), pl.col("level").min(), pl.col("masked").first(), pl.col("line_no").min().alias("first"), pl.col("line_no").max().alias("last"))
        )
        for chunk, tid, count, level, masked, first, last in per.iter_rows():
            entries = self._pending.setdefault(int(chunk), {})
            old = entries.get(tid)
            if old is None:
                entries[tid] = {"template_id": tid, "level": level, "count": count, "first_line": first, "last_line": last, "template": masked}
            else:
                old["count"] += count
                old["last_line"] = last
                old["level"] = min(old["level"], level)
        last_chunk = max(self._pending, default=-1)
        for index in sorted(i for i in self._pending if i < last_chunk):
            self._write(chunks[index], self._pending.pop(index))

    def _write(self, stat: ChunkStat, entries: dict[int, dict[str, Any]]) -> None:
        templates = sorted(entries.values(), key=lambda t: (t["level"] != Level.CRITICAL, -t["count"]))
        for t in templates:
            t["level"] = Level(t["level"]).label
        obj = {
            "chunk": stat.index,
            "first_line": stat.first_line,
            "last_line": stat.last_line,
            "levels": {Level(i).label: int(n) for i, n in enumerate(stat.levels)},
            "templates": templates,
        }
        self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def finish(self, chunks: list[ChunkStat]) -> Path:
        if not self._closed:
            for index in sorted(self._pending):
                self._write(chunks[index], self._pending.pop(index))
            self._closed = True
            self._writer.__exit__(None, None, None)
        return self.path

    def discard(self) -> None:
        if not self._closed:
            self._closed = True
            self._writer.__exit__(RuntimeError, RuntimeError("discard"), None)


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

    def __init__(self, export_templates: str | os.PathLike[str] | None = None,
                 preprocess_to: str | os.PathLike[str] | None = None):
        self.exporter = TemplateExporter(export_templates) if export_templates else None
        self.preprocess_to = preprocess_to
        self.chunks: ChunkWriter | None = None
        self.miner: TemplateMiner | None = None
        self.chunk_stats: list[ChunkStat] = []

    def add(self, df: pl.DataFrame, an: Analyzer) -> None:
        """``on_batch`` callback of :func:`~.analysis.analyze`."""
        self.miner = an.miner
        self.chunk_stats = an.a.chunks  # complete once the pass is over
        if self.exporter is not None:
            self.exporter.add(df)
        if self.preprocess_to is not None:
            if self.chunks is None:
                self.chunks = ChunkWriter(self.preprocess_to, an.a.chunk_size)
            self.chunks.add(df, self.chunk_stats)

    def finish(self) -> None:
        if self.exporter is not None:
            self.exporter.finish(self.miner)
        if self.chunks is not None:
            self.chunks.finish(self.chunk_stats)

    def discard(self) -> None:
        if self.exporter is not None:
            self.exporter.discard()
        if self.chunks is not None:
            self.chunks.discard()
