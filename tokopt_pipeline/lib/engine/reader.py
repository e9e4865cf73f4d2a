"""Stream a log file (plain or compressed, or stdin) as clean text lines in bounded batches.

One concept (over 400 lines): turning input bytes into clean lines, in bounded
batches.

This is the first stage of the pipeline and its hot path, so it is written for throughput
and for memory that does not grow with the input.

Design
======

``open_log(path)`` validates the input up front, so a user sees one clear message before
any work starts: a missing path, a directory or an unreadable file raise
:class:`~tokopt_pipeline.lib.errors.InputNotFound` (exit 3); an empty file, a binary file
or an archive that is damaged in its first 8 KiB raise
:class:`~tokopt_pipeline.lib.errors.BadInput` (exit 4). Compression is detected from the
magic bytes (gzip ``1f 8b``, bz2 ``BZh``, xz ``fd 37 7a 58 5a 00``), never from the file
name. The binary check looks at the first 8 KiB of *decompressed* content: more than 10%
control bytes (NUL and the other C0 controls text does not use), or more than 30% of it
not decodable as UTF-8, make it binary; a text log with a few NULs or Latin-1 characters is
not. A regular file is reopened by each ``batches()`` call; stdin (``"-"``) and pipes
are read once.

``LogSource.batches()`` then streams:

1. **Blocks.** Decompressed bytes are read in blocks of ``block_bytes`` (4 MiB). Each block
   is cut after its last ``\\n``; the complete lines before it form a *body*, and the
   partial last line is carried into the next block. Bodies always end at a newline, so a
   multi-byte UTF-8 character, a CRLF pair or an escape sequence is never split between
   two bodies, and the output does not depend on the block size.
2. **Long lines.** The carried partial line is capped at ``max_line_bytes`` (64 KiB): only
   its head is kept and the rest is counted, so a 50 MB line or a 1 GB file without a
   newline costs 64 KiB of memory, not 1 GB. Every line longer than the cap, wherever it
   is found, keeps its first ``max_line_bytes`` bytes (cut at a character boundary) and
   gets a visible marker: ``' …[line cut: 52428800 bytes in total]'``. The size is the
   line's size in the (decompressed) input, without its line ending; lines are measured
   and cut before cleaning, so the same line is cut the same way wherever it falls.
3. **Decode and clean whole bodies.** A body is decoded at once (UTF-8; undecodable bytes
   become U+FFFD) and cleaned with whole-text operations, each guarded by a cheap test so
   a plain log pays only for a few ``in`` scans. In order: a UTF-8 byte order mark at
   the start of the input is dropped; NUL bytes are removed and counted; ANSI escape
   sequences (colours, cursor moves, OSC titles and links) are removed; carriage returns
   right before a line end (CRLF, CR CR LF, and GitLab's ``\\r ESC[0K`` once the escape is
   gone) are removed, other CRs are kept as they are; and, in CI mode, runner timestamp
   prefixes are removed from line starts. None of these crosses a newline, so cleaning
   never changes the number of lines. Only then is the body split, on ``\\n`` only
   (``str.splitlines`` would also split on form feeds, ``\\x1c``-``\\x1e``, NEL and
   U+2028, which are ordinary characters in a log).
4. **Batches.** Lines are grouped into :class:`Batch` objects of at most ``batch_lines``
   lines (fewer when a batch reaches ``batch_bytes`` of input first, which keeps memory
   bounded when lines are long), numbered continuously from 1. A body that straddles a
   batch boundary is shared between two batches, and each batch's ``raw_bytes`` counts
   exactly the decompressed bytes (line endings included) of its lines, so the
   ``raw_bytes`` of all batches add up to ``LogSource.stats.raw_bytes``.

CI timestamp prefixes
---------------------
GitHub Actions writes ``2025-11-20T00:53:20.0052210Z `` before every line of a downloaded
log, GitLab runners write ``2025-11-20T00:53:20.005221Z 00O `` (stream number, ``O``/``E``
for stdout/stderr, ``+`` instead of the space for a continued line). These are removed
only in *CI mode*, which is decided once, from the first 8 KiB: it is on when at least
half of the lines there start with such a prefix (an ISO 8601 date-time with ``T`` and a
``Z`` or numeric offset, followed by a space, at the very start of the line). A log's own
timestamps (``2015-10-18 18:01:47,978 INFO ...``) are never touched. The first and last
removed timestamps are kept in :class:`ReadStats`.

Line convention
---------------
The lines are ``text.split('\\n')``, except that a final ``\\n`` ends the last line
rather than starting an empty one: ``"a\\nb\\n"`` and ``"a\\nb"`` both give
``["a", "b"]``, and ``"a\\n\\n"`` gives ``["a", ""]``.

Errors during iteration
-----------------------
A compressed input that is truncated or corrupt past its first 8 KiB raises
:class:`~tokopt_pipeline.lib.errors.BadInput` out of the ``batches()`` iterator when the
reader reaches the damage. Callers buffer their output and write nothing when it does.

Example::

    source = open_log("build.log.gz")
    for batch in source.batches(adaptive_batch_lines(source.stats.file_bytes)):
        for number, line in enumerate(batch.lines, batch.first_line_no):
            ...
    print(source.stats.lines, source.stats.compression)

One concept (over 400 lines): turning bytes of any encoding, compression and CI
framing into clean lines, batch by batch.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol, cast

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

from tokopt_pipeline.lib.errors import BadInput, InputNotFound

__all__ = [
    "MAX_LINE_BYTES",
    "DEFAULT_BLOCK_BYTES",
    "DEFAULT_BATCH_BYTES",
    "SNIFF_BYTES",
    "Batch",
    "ReadStats",
    "LogSource",
    "open_log",
    "adaptive_batch_lines",
]

MAX_LINE_BYTES = 65536
"""Lines longer than this many bytes are cut, with a marker giving their full size."""

DEFAULT_BLOCK_BYTES = 4 * 1024 * 1024
"""Decompressed bytes read and cleaned at a time."""

DEFAULT_BATCH_BYTES = 32 * 1024 * 1024
"""A batch is yielded early once its lines cover this many input bytes."""

SNIFF_BYTES = 8192
"""Decompressed bytes looked at to decide whether the input is binary, and CI mode."""

STDIN = "-"

_DECOMPRESS_STEP = 256 * 1024

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_UNSUPPORTED_MAGIC = (
    (b"\x28\xb5\x2f\xfd", "is zstd-compressed, which is not supported: decompress it first"
                         " (zstd -d)"),
    (b"PK\x03\x04", "is a zip archive: extract the log from it first"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Bytes that do not occur in text: C0 controls other than tab, LF, VT, FF, CR, backspace
# and ESC (colour codes), plus DEL. NUL is among them.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\x0b\x0c\r\x08\x1b") + b"\x7f"
_BINARY_CONTROL_SHARE = 0.10
_BINARY_UNDECODABLE_SHARE = 0.30

# ANSI escape sequences: CSI (colours, cursor moves, erase: ESC [ ... final), OSC (window
# titles, hyperlinks: ESC ] ... BEL or ESC \\, never past the line end), the short
# escapes (ESC 7, ESC c, ESC ( B, ...), and a stray ESC.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)"
    r"|\x1b[ -/]*[0-~]"
    r"|\x1b"
)

# The same escapes written in caret notation ("^[[31m": ESC shown as "^["), as logs
# fetched through some CLIs and web viewers hold them.
_CARET_ANSI = re.compile(r"\^\[\[[0-?]*[ -/]*[@-~]")

# CRs before a line end. Written "\r\r*" rather than "\r+" so the regex engine can skip
# ahead to the next CR quickly (a literal prefix): eight times faster on CRLF text.
_CR_BEFORE_LF = re.compile("\r\r*\n")
# GitLab's section markers: "section_start:<time>:<name>\r\x1b[0K<header>" (the escape
# already removed). The carriage return and erase hide the marker on a terminal; here it
# stays, parted from the header by a space.
_SECTION_CR = re.compile(r"^(section_(?:start|end):\d+:[^\r\n]*?)\r+", re.MULTILINE)

_ISO_TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)"
# GitLab's stream marker ("00O ", "01E ", "00O+") first, then GitHub's plain space.
_RUNNER_TAIL = r"(?: [0-9a-f]{2}[OE][ +]| )"
# Matches at a line start; the timestamp is group 1.
_CI_PREFIX = re.compile(rf"({_ISO_TIMESTAMP}){_RUNNER_TAIL}", re.ASCII)
# Removes every prefix from a body with one pass. It is applied to "\n" + body: the
# literal "\n" in front lets the regex engine skip quickly from line start to line start.
_CI_PREFIX_AFTER_LF = re.compile(rf"\n{_ISO_TIMESTAMP}{_RUNNER_TAIL}", re.ASCII)
_LAST_TIMESTAMP_LOOKBACK = 64


@dataclass
class Batch:
    """Consecutive lines of the input.

    Attributes:
        lines: the cleaned lines, without line endings.
        first_line_no: 1-based line number of ``lines[0]`` in the input.
        raw_bytes: decompressed input bytes these lines covered, line endings included.
    """

    lines: list[str]
    first_line_no: int
    raw_bytes: int


@dataclass
class ReadStats:
    """What the reader saw; complete once ``batches()`` is exhausted.

    Attributes:
        lines: lines read so far.
        raw_bytes: decompressed bytes read so far.
        file_bytes: size of the input as stored (compressed size for an archive); for
            stdin and pipes, the bytes read from it so far.
        compression: ``None``, ``"gzip"``, ``"bz2"`` or ``"xz"``.
        nul_bytes_removed: NUL bytes removed from lines.
        lines_cut: lines longer than ``max_line_bytes`` that were cut.
        first_timestamp: first CI runner timestamp removed, or ``None``.
        last_timestamp: last CI runner timestamp removed, or ``None``.
    """

    lines: int = 0
    raw_bytes: int = 0
    file_bytes: int = 0
    compression: str | None = None
    nul_bytes_removed: int = 0
    lines_cut: int = 0
    first_timestamp: str | None = None
    last_timestamp: str | None = None


def adaptive_batch_lines(file_bytes: int) -> int:
    """The default lines per batch (``--chunk-size``) for an input of ``file_bytes``.

    Rule: one line per 4 KiB of input, rounded down to a multiple of 500 and clamped to
    500..50,000. With ~130-byte lines that is about 32 batches per file, enough to show
    progress and spread work, while a batch never gets so small that per-batch overhead
    shows: up to 4 MB -> 500, 20 MB -> 5,000, 205 MB and larger -> 50,000.
    Pass the size on disk; a compressed log then gets smaller batches, which is harmless.

    Example:
        >>> [adaptive_batch_lines(size) for size in (1_000, 20 * 2**20, 2**30)]
        [500, 5000, 50000]
    """
    lines = (max(0, file_bytes) // 4096) // 500 * 500
    return max(500, min(50_000, lines))


class _Readable(Protocol):
    """What the reader needs of a byte stream (a file, a pipe, a decompressor)."""

    def read(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


class _CountingReader(io.RawIOBase):
    """A raw stream that first returns ``head``, then reads ``stream``; counts all bytes."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head = head
        self._stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer)
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._stream.read(len(view))
            n = len(data)
            view[:n] = data
        self.count += n
        return n


class _Input:
    """An opened, decompressing byte stream plus what is needed to report its damage."""

    def __init__(self, name: str, raw: BinaryIO, compression: str | None,
                 handle: BinaryIO | None):
        self.name = name
        self.raw = raw
        self.compression = compression
        self.handle = handle  # the file we opened and must close; None for stdin
        if compression == "gzip":
            self.stream: _Readable = gzip.GzipFile(fileobj=raw, mode="rb")
        elif compression == "bz2":
            self.stream = bz2.BZ2File(raw, mode="rb")
        elif compression == "xz":
            self.stream = lzma.LZMAFile(raw, mode="rb")
        else:
            self.stream = raw
        self.decompressed = 0

    def read(self, size: int) -> bytes:
        """Up to ``size`` decompressed bytes; ``b""`` at the end."""
        if self.compression is None:
            data = self.stream.read(size)
            self.decompressed += len(data)
            return data
        # Decompress in steps, so a damaged archive is reported close to the damage.
        parts = []
        while size > 0:
            try:
                data = self.stream.read(min(size, _DECOMPRESS_STEP))
            except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
                raise BadInput(
                    f"{self.name}: truncated or corrupt {self.compression} data after "
                    f"{self.decompressed} bytes (decompressed): {exc}"
                ) from None
            if not data:
                break
            parts.append(data)
            self.decompressed += len(data)
            size -= len(data)
        return b"".join(parts)

    def close(self) -> None:
        if self.stream is not self.raw:
            self.stream.close()
        if self.handle is not None:
            self.handle.close()


def _read_head(stream: _Readable | _Input, size: int) -> bytes:
    """``size`` bytes from ``stream``, fewer only at its end."""
    parts, got = [], 0
    while got < size:
        data = stream.read(size - got)
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def _detect_compression(head: bytes, name: str) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            # "BZh" is followed by the block size digit; "BZhello" is text.
            if kind == "bz2" and not (len(head) > 3 and 0x31 <= head[3] <= 0x39):
                continue
            return kind
    for magic, problem in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            raise BadInput(f"{name} {problem}")
    return None


def _unusable(sample: bytes) -> str | None:
    """What makes ``sample`` (the first decompressed bytes) unusable as a log, or ``None``.

    Binary means more than 10% control bytes (NUL and other C0 controls that text does
    not use), or more than 30% of the characters not decodable as UTF-8. A text log
    with a few NUL bytes or a few Latin-1 characters passes.
    """
    if sample.startswith(_UTF16_BOMS):
        return "is UTF-16 text: convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)"
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > _BINARY_CONTROL_SHARE * len(sample):
        share = controls * 100 // len(sample)
        return (f"looks like a binary file, not a text log "
                f"({share}% control bytes in its first {len(sample)} bytes)")
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(sample, final=False)
    undecodable = text.count("\ufffd")
    if text and undecodable > _BINARY_UNDECODABLE_SHARE * len(text):
        share = undecodable * 100 // len(text)
        return (f"looks like a binary file, not a text log "
                f"({share}% of its first {len(sample)} bytes are not UTF-8 text)")
    return None


def _ci_mode(sample: bytes) -> bool:
    """Whether most of the first lines start with a CI runner timestamp prefix."""
    text = sample.decode("utf-8", "replace").lstrip("\ufeff")
    text = _ANSI.sub("", text) if "\x1b" in text else text
    text = _CARET_ANSI.sub("", text) if "^[[" in text else text
    lines = text.split("\n")
    if len(lines) > 1:
        lines.pop()  # the last one may be cut short by the sample's end
    hits = sum(1 for line in lines if _CI_PREFIX.match(line))
    return hits > 0 and 2 * hits >= len(lines)


def _head_text(raw: bytes, limit: int) -> str:
    """The first ``limit`` bytes of ``raw`` as text, without a character cut in half."""
    return codecs.getincrementaldecoder("utf-8")("replace").decode(raw[:limit], final=False)


def _cut_marker(total: int) -> str:
    return f" …[line cut: {total} bytes in total]"


class LogSource:
    """An input log, validated by :func:`open_log`; read it with :meth:`batches`.

    A regular file is reopened by each :meth:`batches` call, so it can be read more
    than once. Stdin and pipes can be read once; close the source if it is not read.

    Attributes:
        name: the path as given, or ``"<stdin>"``.
        compression: ``None``, ``"gzip"``, ``"bz2"`` or ``"xz"``.
        ci_mode: whether CI runner timestamp prefixes are removed.
        stats: a :class:`ReadStats`, updated while batches are read.
    """

    def __init__(self, name: str, path: str | None, compression: str | None,
                 file_bytes: int, ci_mode: bool, pending: tuple[_Input, bytes] | None):
        self.name = name
        self._path = path
        self.compression = compression
        self.ci_mode = ci_mode
        self._file_bytes = file_bytes
        self._pending = pending
        self._consumed = False
        self.stats = ReadStats(file_bytes=file_bytes, compression=compression)

    def __repr__(self) -> str:
        return f"LogSource({self.name!r}, compression={self.compression!r})"

    def __enter__(self) -> LogSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release a stdin or pipe source that will not be read (a no-op otherwise)."""
        if self._pending is not None:
            self._pending[0].close()
            self._pending = None

    def _open(self) -> tuple[_Input, bytes]:
        if self._pending is not None:
            opened, self._pending = self._pending, None
            self._consumed = True
            return opened
        if self._path is None or self._consumed:
            raise ValueError(f"{self.name} can be read only once")
        try:
            raw = open(self._path, "rb", buffering=0)
        except FileNotFoundError:
            raise InputNotFound(f"{self.name}: no such file or directory") from None
        except PermissionError:
            raise InputNotFound(f"{self.name}: permission denied") from None
        return _Input(self.name, raw, self.compression, handle=raw), b""

    def batches(self, batch_lines: int = 50_000, *, block_bytes: int = DEFAULT_BLOCK_BYTES,
                max_line_bytes: int = MAX_LINE_BYTES,
                batch_bytes: int = DEFAULT_BATCH_BYTES,
                first_batch_lines: int | None = None) -> Iterator[Batch]:
        """Stream the cleaned lines in batches of at most ``batch_lines`` lines.

        Args:
            batch_lines: most lines per batch (see :func:`adaptive_batch_lines`).
            first_batch_lines: most lines of the first batch, when it should differ
                (a small first batch lets a pipelined consumer start sooner).
            block_bytes: decompressed bytes read at a time; the output does not depend
                on it.
            max_line_bytes: lines longer than this are cut, with a marker.
            batch_bytes: a batch is yielded early once its lines cover this many input
                bytes, which bounds memory when lines are long.

        Returns:
            An iterator of :class:`Batch`; ``stats`` is complete once it is exhausted.

        Raises:
            BadInput: the compressed data is truncated or corrupt (raised when the
                iteration reaches the damage).
        """
        if batch_lines < 1 or block_bytes < 1 or max_line_bytes < 1 or (first_batch_lines is not None and first_batch_lines < 1):
            raise ValueError("batch_lines, first_batch_lines, block_bytes and max_line_bytes must be positive")
        opened, prefix = self._open()
        self.stats = ReadStats(file_bytes=self._file_bytes, compression=self.compression)
        reader = _BodyReader(self.stats, self.ci_mode, max_line_bytes)
        try:
            yield from self._batches(opened, prefix, reader, batch_lines, block_bytes,
                                     max_line_bytes, batch_bytes, first_batch_lines or batch_lines)
        finally:
            opened.close()
            if isinstance(opened.raw, _CountingReader):
                self.stats.file_bytes = opened.raw.count

    def _batches(self, opened: _Input, prefix: bytes, reader: _BodyReader, batch_lines: int,
                 block_bytes: int, max_line_bytes: int, batch_bytes: int,
                 first_batch_lines: int) -> Iterator[Batch]:
        stats = self.stats
        limit = first_batch_lines
        pending: list[str] = []
        pending_raw = 0
        next_line_no = 1
        for piece in _pieces(opened, prefix, block_bytes, max_line_bytes):
            if isinstance(piece, _LongLine):
                lines = [reader.long_line(piece.head, piece.total)]
                size = piece.total + piece.newline
            else:
                lines = reader.lines(piece.body)
                size = len(piece.body) - piece.added_newline
            stats.raw_bytes += size
            stats.lines += len(lines)
            done, count, used = 0, len(lines), 0
            while done < count:
                take = min(limit - len(pending), count - done)
                if done + take == count:  # the rest of the piece
                    take_raw = size - used
                else:  # the piece straddles a batch boundary: the bytes of its next lines
                    assert isinstance(piece, _Body)  # a _LongLine is one line: never cut
                    rest = piece.body[used:]
                    take_raw = len(rest) - len(rest.split(b"\n", take)[-1])
                used += take_raw
                if pending:
                    pending.extend(lines[done:done + take])
                else:
                    pending = lines if take == count else lines[done:done + take]
                pending_raw += take_raw
                done += take
                if len(pending) >= limit or pending_raw >= batch_bytes:
                    yield Batch(pending, next_line_no, pending_raw)
                    next_line_no += len(pending)
                    pending, pending_raw, limit = [], 0, batch_lines
        if pending:
            yield Batch(pending, next_line_no, pending_raw)


@dataclass
class _Body:
    """Whole lines of the input, each ending with ``\\n``."""

    body: bytes
    added_newline: bool  # the input's last line had no newline; one was added


@dataclass
class _LongLine:
    """A line too long to carry from block to block: its head and its size."""

    head: bytes
    total: int      # bytes of the line, without its line ending
    newline: bool   # whether a newline ended it


def _pieces(opened: _Input, prefix: bytes, block_bytes: int,
            max_line_bytes: int) -> Iterator[_Body | _LongLine]:
    """Split the decompressed input into bodies of whole lines, in input order.

    The partial line at the end of a block is carried into the next one, but never more
    than ``max_line_bytes`` of it: beyond that it becomes a :class:`_LongLine`, whose
    remaining bytes are only counted.
    """
    carry = b""      # the partial last line, at most max_line_bytes long
    dropped = 0      # bytes of that partial line beyond ``carry``: counted, not kept
    data = prefix
    while True:
        if not data:
            data = opened.read(block_bytes)
            if not data:
                break
        last_lf = data.rfind(b"\n")
        if last_lf < 0:  # no line ends in this block
            if dropped:
                dropped += len(data)
            elif len(carry) + len(data) > max_line_bytes:
                room = max_line_bytes - len(carry)
                carry, dropped = carry + data[:room], len(data) - room
            else:
                carry += data
            data = b""
            continue
        start = 0
        first_lf = data.find(b"\n")
        if dropped or len(carry) + first_lf > max_line_bytes:
            head = carry + data[:max_line_bytes - len(carry)]
            yield _LongLine(head, len(carry) + dropped + first_lf, True)
            carry, dropped, start = b"", 0, first_lf + 1
        if start <= last_lf:
            lines = data[start:last_lf + 1]
            yield _Body(carry + lines if carry else lines, False)
        carry = data[last_lf + 1:]
        if len(carry) > max_line_bytes:
            carry, dropped = carry[:max_line_bytes], len(carry) - max_line_bytes
        data = b""
    if dropped:
        yield _LongLine(carry, len(carry) + dropped, False)
    elif carry:
        yield _Body(carry + b"\n", True)


class _BodyReader:
    """Decodes and cleans bodies (whole lines, each ending with ``\\n``) into lines."""

    def __init__(self, stats: ReadStats, ci_mode: bool, max_line_bytes: int):
        self.stats = stats
        self.ci_mode = ci_mode
        self.max_line_bytes = max_line_bytes
        self.at_start = True  # a UTF-8 byte order mark is dropped from the input's start

    def lines(self, body: bytes) -> list[str]:
        """The cleaned lines of ``body``."""
        try:
            text = body.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            text = body.decode("utf-8", "replace")
            valid = False
        lines = text.split("\n")
        lines.pop()
        # A line longer than the limit has more than limit / 4 characters: one cheap
        # max() rules out long lines in almost every body.
        limit = self.max_line_bytes
        if len(body) > limit + 1 and max(map(len, lines)) * 4 > limit:
            if self._cut_long_lines(lines, body, valid):
                text = "\n".join(lines) + "\n"
        cleaned = self.clean(text)
        if cleaned is text:
            return lines
        lines = cleaned.split("\n")
        lines.pop()
        return lines

    def _cut_long_lines(self, lines: list[str], body: bytes, valid: bool) -> bool:
        """Cut lines longer than the limit, in place; whether any was cut."""
        limit = self.max_line_bytes
        raw_lines = None if valid else body.split(b"\n")
        cut = False
        for i, line in enumerate(lines):
            if len(line) * 4 <= limit:
                continue
            # Valid UTF-8 encodes back to the input's bytes exactly.
            raw = line.encode("utf-8") if raw_lines is None else raw_lines[i]
            if len(raw) > limit:
                lines[i] = _head_text(raw, limit) + _cut_marker(len(raw))
                self.stats.lines_cut += 1
                cut = True
        return cut

    def long_line(self, head: bytes, total: int) -> str:
        """The cleaned, marked line of a :class:`_LongLine`."""
        self.stats.lines_cut += 1
        text = _head_text(head, self.max_line_bytes) + _cut_marker(total) + "\n"
        return self.clean(text)[:-1]

    def clean(self, text: str) -> str:
        """Remove NULs, ANSI escapes, CRs before line ends and CI timestamp prefixes.

        ``text`` holds whole lines, each ending with ``\\n``. Returns ``text`` itself
        when there is nothing to remove.
        """
        if self.at_start:
            self.at_start = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if "\x00" in text:
            self.stats.nul_bytes_removed += text.count("\x00")
            text = text.replace("\x00", "")
        if "\x1b" in text:
            text = _ANSI.sub("", text)
        if "^[[" in text:
            text = _CARET_ANSI.sub("", text)
        if "\r" in text:
            text = _CR_BEFORE_LF.sub("\n", text)
        if self.ci_mode:
            text = self._strip_ci_prefixes(text)
        if "section_" in text and "\r" in text:
            text = _SECTION_CR.sub(r"\1 ", text)
        return text

    def _strip_ci_prefixes(self, text: str) -> str:
        stats = self.stats
        if stats.first_timestamp is None:
            match = _CI_PREFIX.match(text)
            if match is None:
                after_lf = _CI_PREFIX_AFTER_LF.search(text)
                if after_lf is None:
                    return text
                match = _CI_PREFIX.match(text, after_lf.start() + 1)
                assert match is not None  # the same pattern, after the newline
            stats.first_timestamp = match.group(1)
        # The last prefix: try the last few lines, then search the whole text.
        end = len(text) - 1
        for _ in range(_LAST_TIMESTAMP_LOOKBACK):
            start = text.rfind("\n", 0, end) + 1
            match = _CI_PREFIX.match(text, start)
            if match:
                stats.last_timestamp = match.group(1)
                break
            if start == 0:
                break
            end = start - 1
        else:
            for after_lf in _CI_PREFIX_AFTER_LF.finditer("\n" + text):
                last = _CI_PREFIX.match(after_lf.group(), 1)
                assert last is not None  # the same pattern, after the newline
                stats.last_timestamp = last.group(1)
        return _CI_PREFIX_AFTER_LF.sub("\n", "\n" + text)[1:]


def open_log(path: str | os.PathLike[str]) -> LogSource:
    """Open and validate a log; ``"-"`` reads stdin.

    Args:
        path: a plain, gzip, bz2 or xz file (detected by content), or ``"-"``.

    Returns:
        A :class:`LogSource`; read it with :meth:`LogSource.batches`.

    Raises:
        InputNotFound: the path does not exist, is a directory or is not readable.
        BadInput: the input is empty, binary, an unsupported archive, or damaged in
            its first 8 KiB.

    Example:
        >>> source = open_log("-")  # doctest: +SKIP
    """
    path = os.fsdecode(os.fspath(path))
    regular = False
    handle: BinaryIO | None = None
    if path == STDIN:
        name, file_bytes = "<stdin>", 0
        stream: BinaryIO = sys.stdin.buffer
    else:
        name = path
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise InputNotFound(f"{name}: no such file or directory") from None
        except PermissionError:
            raise InputNotFound(f"{name}: permission denied") from None
        if stat.S_ISDIR(info.st_mode):
            raise InputNotFound(f"{name} is a directory, not a log file")
        regular = stat.S_ISREG(info.st_mode)
        if regular and info.st_size == 0:
            raise BadInput(f"{name} is empty: nothing to summarize")
        try:
            handle = stream = open(path, "rb", buffering=0)
        except PermissionError:
            raise InputNotFound(f"{name}: permission denied") from None
        except IsADirectoryError:
            raise InputNotFound(f"{name} is a directory, not a log file") from None
        file_bytes = info.st_size if regular else 0
    try:
        magic = _read_head(stream, 6)
        compression = _detect_compression(magic, name)
        if regular:
            stream.seek(0)
            raw = stream
        else:
            # A pipe cannot seek: put the magic bytes back in front, and count what
            # passes so ``stats.file_bytes`` can report it.
            # The decompressors and _Input only call read(), which never returns None here.
            raw = cast(BinaryIO, _CountingReader(magic, stream))
        opened = _Input(name, raw, compression, handle)
        sample = _read_head(opened, SNIFF_BYTES)
        if not sample:
            detail = f" (the {compression} archive holds no data)" if compression else ""
            raise BadInput(f"{name} is empty: nothing to summarize{detail}")
        problem = _unusable(sample)
        if problem:
            raise BadInput(f"{name} {problem}")
    except BaseException:
        if handle is not None:
            handle.close()
        raise
    ci_mode = _ci_mode(sample)
    if regular:
        opened.close()  # reopened by each batches() call
        pending = None
    else:
        pending = (opened, sample)
    return LogSource(name, path if regular else None, compression, file_bytes, ci_mode, pending)
