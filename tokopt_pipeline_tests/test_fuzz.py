"""Fuzzing: random logs of planted secrets, injection payloads, binary noise and huge lines.

Each example is a log mixed from those parts around a failing test run, summarized by
the real command (in this process: the same code as ``tokopt``, without a subprocess per
example) with a random budget and format, the memory and usage on, the chunks and the
template export written. Then every output is searched:

- no planted secret in the console, the summary, the chunks, the template CSV, any table
  of the store or the pending folder;
- Markdown rendered by a CommonMark renderer holds no HTML, image or link from the log;
  JSON parses; text holds no control characters; no CSV cell starts like a formula;
- the summary is within its budget;
- the exit code is a documented one (0; 2 for a budget below the header, with a message;
  4 for input that is not text), and no traceback.

``TOKOPT_FUZZ_EXAMPLES`` sets how many logs are tried (default 20; 500 for a deep run).
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from tokopt_pipeline.lib.engine.tokens import count
from tokopt_pipeline_tests.conftest import run_main, store_text
from tokopt_pipeline_tests.secrets_corpus import GENERIC_CONTEXTS, KINDS, PYTEST_TAIL, leaks, ordinary_lines

EXAMPLES = int(os.environ.get("TOKOPT_FUZZ_EXAMPLES", "20"))

pytestmark = pytest.mark.slow

#: Text that means something to a Markdown or HTML renderer, a spreadsheet or a terminal.
PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(document.cookie)</script>",
    "<a href='javascript:alert(1)'>docs</a>",
    "[click here](javascript:alert(1))",
    "![pixel](http://evil.example/p.png)",
    "<http://evil.example/autolink>",
    "[ref]: http://evil.example/ref",
    "</details><details open><summary>x</summary>",
    "<!-- hidden -->",
    "<iframe src=//evil.example></iframe>",
    "`", "``", "```", "````js", "`` ` ``",
    "# not a heading", "---", "| a | b |", "> quote", "* [ ] task",
    "*bold* _it_ ~~strike~~ \\* \\_",
    "&lt;script&gt; &amp; &#x3C;b&#x3E;",
    "\u200b\u200d\u202e\u2066 bidi \u2069",
    "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
    '"},{"injected": true, "x": "',
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\tleading tab", "\r=carriage",
)

#: Lines of several runners that carry a payload where a test id or a message goes.
SHAPES = (
    "tests/test_x.py::test_case[{p}] FAILED",
    "FAILED tests/test_x.py::test_case[{p}] - AssertionError: {p}",
    "E   AssertionError: {p}",
    "ERROR: {p}",
    "--- FAIL: TestCase/{p} (0.00s)",
    "error[E0308]: mismatched types {p}",
    "src/{p}.c:10:5: error: {p}",
    "2024-05-01T10:00:00.0000000Z ##[error]{p}",
    "2024-05-01 10:00:00,123 ERROR app.worker {p}",
    "  ● suite › {p}",
    "[ERROR] Failed to execute goal {p}",
    "{p}",
)


@st.composite
def logs(draw) -> tuple[bytes, list[str], bool]:
    """``(log bytes, planted secrets, whether binary noise is in it)``."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    lines: list[bytes] = []
    secrets: list[str] = []
    noisy = False
    parts = draw(st.lists(st.sampled_from(["secret", "secret", "payload", "payload", "ordinary", "noise", "huge"]),
                          min_size=1, max_size=40))
    for part in parts:
        if part == "secret":
            kind = KINDS[rng.randrange(len(KINDS))]
            contexts = kind.contexts + (GENERIC_CONTEXTS if kind.generic else ())
            template = contexts[rng.randrange(len(contexts))]
            value = kind.make(rng)
            values = value if isinstance(value, list) else [value]
            text = template.replace("{s}", "\n".join(values)).replace("{{", "{").replace("}}", "}")
            lines.extend(t.encode() for t in text.split("\n"))
            secrets.extend(values)
        elif part == "payload":
            shape = SHAPES[rng.randrange(len(SHAPES))]
            payload = PAYLOADS[rng.randrange(len(PAYLOADS))]
            lines.append(shape.replace("{p}", payload).encode())
        elif part == "ordinary":
            lines.extend(t.encode() for t in ordinary_lines(rng, rng.randrange(1, 30)))
        elif part == "noise":
            noisy = True
            lines.append(rng.randbytes(rng.randrange(1, 300)))
        else:  # a huge line: a payload or a secret's context repeated, or one long word
            n = rng.choice([5_000, 70_000, 300_000])
            payload = PAYLOADS[rng.randrange(len(PAYLOADS))]
            lines.append(("ERROR " + (payload + " ") * (n // (len(payload) + 1))).encode()
                         if rng.random() < 0.7 else b"x" * n)
    if draw(st.booleans()):
        lines.extend(t.encode() for t in PYTEST_TAIL)
    return b"\n".join(lines) + b"\n", secrets, noisy


@contextmanager
def _environ(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _files_text(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {str(p): p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file()}


_MD = MarkdownIt("commonmark")


def _active_markdown(summary: str) -> list[str]:
    """What a CommonMark renderer would make active in the summary: raw HTML, images, links."""
    found = []

    def walk(tokens) -> None:
        for tok in tokens:
            if tok.type in ("html_block", "html_inline", "image", "link_open"):
                found.append(f"{tok.type}: {tok.content or tok.attrs}")
            if tok.children:
                walk(tok.children)

    walk(_MD.parse(summary))
    return found


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=logs(), fmt=st.sampled_from(["markdown", "json", "text"]), budget=st.integers(60, 6000))
def test_random_hostile_logs_leak_nothing_and_stay_text(capsys, case, fmt, budget):
    data, secrets, noisy = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = root / "ci.log"
        log.write_bytes(data)
        out = root / "out"
        db, pending = root / "store" / "tokopt.duckdb", root / "store" / "pending"
        with _environ(TOKOPT_DUCKDB_PATH=str(db), TOKOPT_PENDING_DIR=str(pending)):
            rc, stdout, stderr = run_main(capsys, log, "--format", fmt, "--token-budget", budget, "--output-dir", out,
                                          "--store-memory", "--track-usage", "--preprocess",
                                          "--export-templates", out / "templates.csv")
        assert "Traceback" not in stderr
        if rc == 2:
            assert "budget" in stderr, stderr  # the only usage error this command line can make
        elif rc == 4:
            assert noisy, stderr  # input that is not text is refused only when it is not
        else:
            assert rc == 0, stderr

        searched = {"stdout": stdout, "stderr": stderr, **_files_text(out), **_files_text(pending),
                    "the store": store_text(db)}
        for where, text in searched.items():
            leaked = leaks(text, secrets)
            assert not leaked, f"{where} leaks {leaked[:5]}"
        if rc != 0:
            return

        ext = {"markdown": "md", "json": "json", "text": "txt"}[fmt]
        summary = (out / f"ci.summary.{ext}").read_text(encoding="utf-8")
        assert count(summary) <= budget
        if fmt == "markdown":
            active = _active_markdown(summary)
            assert not active, active[:5]
        elif fmt == "json":
            json.loads(summary)
        else:
            assert not any(c in summary for c in "\x1b\x00\x07"), "control characters in the text summary"
        with open(out / "templates.csv", newline="", encoding="utf-8") as f:
            for row in csv.reader(io.StringIO(f.read())):
                for cell in row:
                    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or cell.lstrip("-").isdigit(), cell
