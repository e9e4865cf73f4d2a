"""The MCP stdio transport with JSON-RPC errors for malformed input.

The SDK's ``mcp.server.stdio.stdio_server`` decodes stdin with ``errors="replace"`` and
hands a line it cannot validate to the session as an exception, which the session
logs and drops: the client gets no answer at all and waits for its timeout. This
wrapper reads stdin itself and checks each line before the SDK sees it:

======================================  ==========================================
line                                    answer (``"id": null`` unless the line
                                        is an object with a usable ``id``)
======================================  ==========================================
not UTF-8, or not JSON                  ``-32700`` parse error
a JSON array (a batch: MCP has none)    ``-32600`` invalid request
a number, a string, ``null``...         ``-32600`` invalid request
an object that is no JSON-RPC message   ``-32600`` invalid request, with its id
an id that is no string or integer      ``-32600`` invalid request
longer than :data:`MAX_LINE` bytes      ``-32700`` parse error (the line skipped)
an empty line                           nothing (skipped)
======================================  ==========================================

and passes every good line on unchanged, so the server stays up for the next request.
The SDK's transport still does the rest (stdout written by one task, fd 1 pointed at
stderr while serving); fd 0 is pointed at the null device here the same way, so a
handler cannot read the client's messages.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import BinaryIO

import anyio
import mcp_types as types
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

__all__ = ["MAX_LINE", "check_line", "checked_stdio_server"]

#: The longest message line taken (bytes); a longer one is answered with a parse error.
MAX_LINE = 64 * 1024 * 1024


def _error(code: int, message: str, request_id: object = None) -> types.JSONRPCError:
    rid = request_id if isinstance(request_id, str) or (isinstance(request_id, int) and not isinstance(request_id, bool)) else None
    return types.JSONRPCError(jsonrpc="2.0", id=rid, error=types.ErrorData(code=code, message=message))


def check_line(raw: bytes) -> tuple[str | None, types.JSONRPCError | None]:
    """``(line, None)`` for a line the SDK can take, ``(None, error)`` for one to answer
    with ``error``, ``(None, None)`` for an empty line."""
    if not raw.strip():
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, _error(types.PARSE_ERROR, f"Parse error: not UTF-8 (byte {exc.start})")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return None, _error(types.PARSE_ERROR, f"Parse error: {getattr(exc, 'msg', None) or 'not JSON'}")
    if isinstance(obj, list):
        return None, _error(types.INVALID_REQUEST, "Invalid Request: batches are not supported; send one message per line")
    if not isinstance(obj, dict):
        kind = {bool: "boolean", int: "number", float: "number", str: "string"}.get(type(obj), "null")
        return None, _error(types.INVALID_REQUEST, f"Invalid Request: expected a JSON-RPC object, got a JSON {kind}")
    rid = obj.get("id")
    if "id" in obj and not (isinstance(rid, str) or (isinstance(rid, int) and not isinstance(rid, bool))):
        # MCP's ids are strings or integers; the SDK would take this for a notification
        return None, _error(types.INVALID_REQUEST, "Invalid Request: an id must be a string or an integer")
    try:
        types.jsonrpc_message_adapter.validate_json(text, by_name=False)
    except Exception:  # pydantic's ValidationError, or anything else it refuses
        return None, _error(types.INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 request, notification or response", obj.get("id"))
    return text if text.endswith("\n") else text + "\n", None


class _CheckedLines:
    """stdin as the SDK's transport reads it (``async for line in stdin``), good lines
    only; the answers to bad lines go to ``errors``."""

    def __init__(self, raw: BinaryIO, errors: anyio.abc.ObjectSendStream):
        self.raw, self.errors = raw, errors

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    def _readline(self) -> bytes | None:
        """One line (b"" at the end), or None for a line over :data:`MAX_LINE` (skipped)."""
        line = self.raw.readline(MAX_LINE + 1)
        if len(line) <= MAX_LINE or line.endswith(b"\n"):
            return line
        while line and not line.endswith(b"\n"):  # drop the rest of the long line
            line = self.raw.readline(1024 * 1024)
        return None

    async def _lines(self) -> AsyncIterator[str]:
        while True:
            raw = await anyio.to_thread.run_sync(self._readline, abandon_on_cancel=True)
            if raw == b"":
                return
            if raw is None:
                line, error = None, _error(types.PARSE_ERROR, f"Parse error: a message longer than {MAX_LINE:,} bytes")
            else:
                line, error = check_line(raw)
            if error is not None:
                await self.errors.send(error)
            elif line is not None:
                yield line


def _claim_stdin() -> tuple[BinaryIO, Callable[[], None]]:
    """A private reader of the client's messages, with fd 0 pointed at the null device
    (restored by the returned function)."""
    try:
        private = os.dup(0)
        devnull = os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return sys.stdin.buffer, lambda: None
    os.dup2(devnull, 0)
    os.close(devnull)

    def restore() -> None:
        with suppress(OSError):
            os.dup2(private, 0)

    return os.fdopen(private, "rb", closefd=False), restore


@asynccontextmanager
async def checked_stdio_server():
    """``stdio_server()`` of the SDK, with the lines checked first (see the module)."""
    errors_send, errors_recv = anyio.create_memory_object_stream[types.JSONRPCError](math.inf)
    raw, restore = _claim_stdin()
    try:
        async with stdio_server(stdin=_CheckedLines(raw, errors_send)) as (read_stream, write_stream):

            async def answer_errors() -> None:
                async with errors_recv:
                    async for error in errors_recv:
                        try:
                            await write_stream.send(SessionMessage(error))
                        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                            return

            async with anyio.create_task_group() as tg:
                tg.start_soon(answer_errors)
                try:
                    yield read_stream, write_stream
                finally:
                    tg.cancel_scope.cancel()
    finally:
        errors_send.close()
        errors_recv.close()
        restore()
