"""Hostile text stays text: a log full of injection payloads, summarized in every format.

A Markdown summary is rendered by a real CommonMark renderer (markdown-it-py, raw HTML
on, GFM tables and strikethrough on) and the HTML is parsed: no element or attribute may
come from the log, only those the summary's own template writes. The payloads stay
searchable: each appears verbatim in the rendered text. JSON stays valid and decodes to
the exact log text; plain text carries no control character from the log.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from tokopt_pipeline.lib.engine import tokens as tok
from tokopt_pipeline.lib.engine.quote import _HIDDEN, inline_code, md_text, visible
from tokopt_pipeline.lib.engine.render import SECTION_TITLES
from tokopt_pipeline.lib.engine.summarize import summarize
from tokopt_pipeline.lib.settings.options import SummaryOptions

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(document.cookie)</script>",
    "[click](javascript:alert(1))",
    "![x](http://evil.example/p.png)",
    '<a href="http://evil.example">x</a>',
    "`", "``", "```", "````", "`````",
    "` <b>x</b> `",
    "`start", "end`",
    "</details><details open>",
    "# heading",
    "| a | b |",
    "---",
    "[x]: http://evil.example",
    "**bold** _em_ ~~del~~",
    "<http://evil.example>",
    "&lt;b&gt; &#60;i&#62;",
    "zero\u200bwidth\u200d and bidi \u202eevil\u202c \u2066x\u2069",
    "ansi \x1b[31mred\x1b[0m bell\x07 cr\rover",
    "line\u2028sep",
    "\\<b>escaped\\</b>",
    "www.evil.example and http://evil.example/x",
    "<!-- comment --> <?php x ?> <![CDATA[x]]>",
]
#: What the summary template itself writes in Markdown.
OWN_TAGS = {"h1", "h2", "ul", "li", "p", "code", "pre", "strong", "em"}
FILE_NAME = "<img src=x onerror=alert(9)>`x`[a](b).log"


def hostile_log() -> str:
    """A pytest session, application records and a GitHub Actions step, every name and
    message of which is a payload."""
    out = ["============================= test session starts =============================="]
    ids = []
    for i, p in enumerate(PAYLOADS):
        ids.append(f"tests/test_h{i % 3}.py::test_x[{p}]")
        ids.append(f"tests/test_h{i % 3}.py::Test{i}{p.replace(' ', '')}::test_y")
    ids.append("tests/<b>x</b>_`t`.py::test_z")
    out += [f"{t} FAILED" for t in ids]
    out.append("=================================== FAILURES ===================================")
    for i, p in enumerate(PAYLOADS):
        out += [f"____________________ test_x[{p}] ____________________", "", "    def test_x():",
                f">       raise ValueError({p!r})", f"E       ValueError: {p}", "",
                f"tests/test_h{i % 3}.py:{10 + i}: ValueError"]
    out.append("=========================== short test summary info ============================")
    out += [f"FAILED {t} - RuntimeError: {p}" for t, p in zip(ids, PAYLOADS * 2, strict=False)]
    for p in PAYLOADS:
        out += [f"2024-05-01 12:00:0{len(p) % 10} ERROR app.api: request failed: {p}",
                f"2024-05-01 12:00:01 WARNING app.db: slow query {p}",
                f"2024-05-01 12:00:02 INFO app.web: served {p}", p]
    out.append("##[group]Run <img src=x onerror=alert(2)> `make` [x](javascript:alert(3))")
    out += [f"##[error]{p}" for p in PAYLOADS]
    out += ["##[endgroup]", "##[error]Process completed with exit code 1.", f"===== {len(ids)} failed, 3 passed in 1.23s ====="]
    return "\n".join(out) + "\n"


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []
        self.h2: list[str] = []
        self._in_h2 = False
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_h2:
            self.h2.append(data)

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_decl(self, decl):
        self.comments.append(decl)

    def handle_pi(self, data):
        self.comments.append(data)

    def unknown_decl(self, data):
        self.comments.append(data)


def rendered(markdown: str) -> _Elements:
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    p = _Elements()
    p.feed(html)
    p.close()
    return p


def assert_inert(markdown: str, own: set[str] = OWN_TAGS) -> _Elements:
    """No element, attribute, comment or declaration in the rendered HTML came from the log."""
    p = rendered(markdown)
    tags = {t for t, _ in p.tags}
    assert tags <= own, tags - own
    assert not [(t, a) for t, a in p.tags if a], "attributes in the HTML"
    assert not p.comments
    assert sum(1 for t, _ in p.tags if t == "h1") == 1
    titles = {t.split(" (")[0] for t in SECTION_TITLES.values()} | {"Component"}
    assert all(h.split(" (")[0].split(":")[0] in titles for h in p.h2 if h.strip()), p.h2
    return p


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    log = d / FILE_NAME
    log.write_text(hostile_log(), encoding="utf-8")
    return log


@pytest.mark.parametrize("budget", [300, 900, 2500, 8000])
def test_markdown_of_injection_payloads_renders_no_element_from_the_log(hostile, budget, monkeypatch):
    monkeypatch.chdir(hostile.parent)
    s = summarize(hostile.name, SummaryOptions(token_budget=budget))
    assert s.tokens_out == tok.count(s.text) <= budget
    p = assert_inert(s.text)
    text = "".join(p.text)
    assert FILE_NAME in text  # the title names the file as it is
    if budget >= 8000:  # verbatim: the payloads are there to search for
        for payload in PAYLOADS:
            assert visible(payload.replace("\x1b[31m", "").replace("\x1b[0m", "")) in text, payload


def test_component_summaries_render_no_element_from_the_log(hostile, monkeypatch):
    monkeypatch.chdir(hostile.parent)
    for by in ("file", "step"):
        s = summarize(hostile.name, SummaryOptions(token_budget=3000, component_budgets={"<b>api</b>": 900, "misc": 900},
                                                   component_by=by))
        assert s.tokens_out <= 3000
        assert_inert(s.text, OWN_TAGS | {"h3"})  # a part's sections are one level down


@pytest.mark.parametrize("budget", [300, 2500])
def test_plain_text_carries_no_control_character_from_the_log(hostile, budget, monkeypatch):
    monkeypatch.chdir(hostile.parent)
    s = summarize(hostile.name, SummaryOptions(token_budget=budget, fmt="text"))
    assert not _HIDDEN.search(s.text)
    assert "\x1b" not in s.text and "\r" not in s.text
    assert "\\u202e" in s.text or budget < 2500  # written out, not dropped


@pytest.mark.parametrize("budget", [300, 2500, 8000])
def test_json_of_injection_payloads_is_valid_and_exact(hostile, budget, monkeypatch):
    monkeypatch.chdir(hostile.parent)
    s = summarize(hostile.name, SummaryOptions(token_budget=budget, fmt="json"))
    doc = json.loads(s.text)
    assert doc["header"]["file"] == FILE_NAME
    assert not _HIDDEN.search(s.text)  # escaped in the JSON text ...
    if budget >= 8000:
        errors = next(sec for sec in doc["sections"] if sec["name"] == "errors")["items"]
        assert any(e["message"] == PAYLOADS[21] for e in errors)  # ... and exact once decoded


@pytest.mark.parametrize("text", PAYLOADS + ["a", " a ", "  ", "a`", "`a`", "a``b", "x ` y"])
def test_a_code_span_shows_its_text_verbatim(text):
    text = visible(text)
    html = MarkdownIt("commonmark").renderInline(inline_code(text))
    assert html.startswith("<code>") and html.endswith("</code>"), html
    p = _Elements()
    p.feed(html)
    assert "".join(p.text) == text.replace("\n", " ")


@pytest.mark.parametrize("name,bare", [
    ("test_read_magic", True), ("tests/test_api.py", True), ("test_x[1-2]", True), ("numpy_pytest.log", True),
    ("__init__", False), ("_em_", False), ("[a](b)", False), ("<b>", False), ("a*b", False), ("www.x.com", False),
    ("http://x", False), ("a b ", False), ("#1", False), ("a@b", False), ("résumé", True), ("a\u202eb", False),
])
def test_a_name_stays_bare_only_when_it_cannot_form_markdown(name, bare):
    shown = md_text(name)
    assert (shown == name) is bare
    p = _Elements()
    p.feed(MarkdownIt("commonmark").renderInline(shown))
    assert {t for t, _ in p.tags} <= {"code"}
    assert "".join(p.text) == name


@pytest.mark.slow  # a second or more on 2 cores
def test_mcp_get_summary_of_injection_payloads_renders_no_element_from_the_log(hostile, tmp_path):
    """MCP's get_summary re-renders a stored run: the same quoting."""
    from tokopt_pipeline.mcp_server import summary_of
    from tokopt_pipeline_tests.lib.memory.test_memory import store_at, summarize_and_remember

    store = store_at(tmp_path)
    summarize_and_remember(store, hostile)
    text = summary_of(store, str(hostile), 3000)
    assert tok.count(text) <= 3000
    assert FILE_NAME in "".join(assert_inert(text).text)
