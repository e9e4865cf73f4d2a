"""Malformed input to ``tokopt mcp`` gets a JSON-RPC error at once and the server stays
up: tried on the real server process over stdio, as a client's bytes reach it."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys

import anyio
import pytest

from tokopt_pipeline import mcp_stdio

INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}}


class Server:
    def __init__(self, cwd):
        self.proc = subprocess.Popen([sys.executable, "-m", "tokopt_pipeline", "mcp"], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())

    def send(self, raw: bytes) -> None:
        self.proc.stdin.write(raw)
        self.proc.stdin.flush()

    def answer(self, timeout: float = 20) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, f"no answer within {timeout} s"
        return json.loads(self.proc.stdout.readline())

    def close(self) -> tuple[int, str]:
        self.proc.stdin.close()
        try:
            rc = self.proc.wait(20)
        finally:
            self.proc.kill()
        err = self.proc.stderr.read().decode()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc, err


@pytest.mark.e2e  # starts the MCP server in a subprocess
def test_malformed_lines_get_json_rpc_errors_and_the_server_goes_on(tmp_path):
    server = Server(tmp_path)
    try:
        server.send((json.dumps(INIT) + "\n").encode())
        assert server.answer()["result"]["serverInfo"]["name"] == "tokopt"
        server.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        cases = [
            (b'{"jsonrpc": "2.0", "id": 1, "method": \n', -32700, None),  # malformed JSON
            (b'\xff\xfe{"jsonrpc": "2.0"}\n', -32700, None),  # invalid UTF-8
            (b"42\n", -32600, None),  # a JSON number
            (b'[{"jsonrpc": "2.0", "id": 2, "method": "ping"}]\n', -32600, None),  # a batch
            (b"[]\n", -32600, None),
            (b'"tools/list"\n', -32600, None),
            (b"null\n", -32600, None),
            (b'{"jsonrpc": "1.0", "id": 3, "method": "ping"}\n', -32600, 3),  # no JSON-RPC 2.0 message: its id kept
            (b'{"id": "x", "params": {}}\n', -32600, "x"),
        ]
        for raw, code, rid in cases:
            server.send(raw)
            answer = server.answer(timeout=10)
            assert answer["jsonrpc"] == "2.0" and answer["error"]["code"] == code, (raw, answer)
            assert answer["id"] == rid, (raw, answer)
        server.send(b"\n")  # an empty line: no answer, nothing wrong
        server.send(b'{"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": "list_runs", "arguments": {}}}\n')
        answer = server.answer()
        assert answer["id"] == 10 and "result" in answer and not answer["result"].get("isError")
    finally:
        rc, err = server.close()
    assert rc == 0 and "Traceback" not in err


def test_check_line_sorts_every_kind_of_line():
    ok, err = mcp_stdio.check_line(b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}')
    assert err is None and ok.endswith("\n") and json.loads(ok)["method"] == "ping"
    assert mcp_stdio.check_line(b"   \r\n") == (None, None)
    for raw, code in [(b"{", -32700), (b"\xc3\x28", -32700), (b"[" * 100_000, -32700), (b"1.5", -32600), (b"true", -32600),
                      (b'{"jsonrpc": "2.0", "id": true, "method": "ping"}', -32600)]:
        line, err = mcp_stdio.check_line(raw)
        assert line is None and err.error.code == code, raw
        assert err.id is None


def test_a_line_over_the_limit_is_answered_and_skipped(monkeypatch):
    monkeypatch.setattr(mcp_stdio, "MAX_LINE", 100)
    good = b'{"jsonrpc": "2.0", "id": 1, "method": "ping"}\n'
    raw = io.BytesIO(b'{"x": "' + b"a" * 500 + b'"}\n' + good)

    async def run():
        send, recv = anyio.create_memory_object_stream(10)
        async with send, recv:
            lines = [line async for line in mcp_stdio._CheckedLines(raw, send)]
            return lines, recv.receive_nowait()

    lines, error = anyio.run(run)
    assert [json.loads(line)["id"] for line in lines] == [1]
    assert error.error.code == -32700 and "longer than 100 bytes" in error.error.message
