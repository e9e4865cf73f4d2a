"""Log text quoted for the summary's formats: verbatim, and never read as markup.

What came from a log is shown as it was (people and models search a summary for the
exact text), so it is quoted rather than rewritten:

* Markdown: inside a code span (:func:`inline_code`) or a fenced code block
  (:func:`code_fence`) that the text cannot close; short names that cannot form any
  Markdown (``test_read_magic``, ``tests/test_api.py``) stay bare (:func:`md_text`).
* Every format: characters a reader cannot see or that move the cursor or reorder the
  text (C0 and C1 controls other than tab, ``\\r`` included; bidi controls, zero-width
  characters and the other format characters; line and paragraph separators) are
  written as ``\\uXXXX`` (:func:`visible`), so a log cannot overwrite, hide or reorder
  what a summary shows in a terminal or a browser, nor end a Markdown line inside a
  code span. JSON writes them as JSON escapes (:func:`json_text`), so its strings
  decode to the exact text.
"""

from __future__ import annotations

import json
import re
import unicodedata

__all__ = ["inline_code", "code_fence", "md_text", "visible", "json_text"]

_TICKS = re.compile(r"`+")


def inline_code(text: str) -> str:
    """``text`` as Markdown inline code, verbatim: the fence is longer than any run of
    backticks inside (CommonMark), padded with a space that Markdown removes when the
    text has backticks or starts and ends with a space (CommonMark strips one space from
    each end of a code span that has both)."""
    longest = max((len(m) for m in _TICKS.findall(text)), default=0)
    if not longest:
        if len(text) > 1 and text[0] == " " and text[-1] == " " and text.strip(" "):
            return f"` {text} `"
        return f"`{text}`"
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def code_fence(body: str) -> str:
    """A fence for a Markdown code block that ``body`` cannot close."""
    longest = max((len(m) for m in _TICKS.findall(body)), default=0)
    return "`" * max(3, longest + 1)


#: Characters that cannot start or end any Markdown or HTML construct in the middle of a
#: line (no ``< > & \\ ` * _ ~ ! ( ) # @ $ | ^ { }`` and no ``www.`` or ``://``); ``_``
#: is checked apart (inert between two letters or digits).
_BARE = re.compile(r"[A-Za-z0-9 .,:;/=+%'\"\[\]-]+")
_UNDERSCORES = re.compile(r"_+")


def md_text(text: str) -> str:
    """``text`` as Markdown: bare when it cannot form any Markdown (a test name, a
    file name), else as inline code (:func:`inline_code`)."""
    if _bare(text):
        return text
    return inline_code(text)


def _bare(text: str) -> bool:
    if not text or text != text.strip() or "www." in text.lower() or "://" in text:
        return False
    rest = text
    if "_" in text:
        for m in _UNDERSCORES.finditer(text):
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if not (before.isalnum() and after.isalnum()):
                return False
        rest = text.replace("_", "a")
    if _BARE.fullmatch(rest):
        return True
    return all(_BARE.fullmatch(c) or (ord(c) > 127 and unicodedata.category(c)[0] in "LNM") for c in rest)


#: What :func:`visible` writes out: the Unicode categories Cc (controls; tab and
#: newline excepted), Cf (format: bidi controls, zero-width characters, soft hyphen ...),
#: Zl and Zp (line and paragraph separators). A test checks it against the running
#: Python's Unicode database.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def _escape(m: re.Match[str]) -> str:
    cp = ord(m.group())
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def visible(text: str) -> str:
    """``text`` with the characters a reader cannot see (and ``\\r``, which moves the
    cursor and ends a Markdown line) written as ``\\uXXXX``; tab and newline stay."""
    return _HIDDEN.sub(_escape, text) if _HIDDEN.search(text) else text


def json_text(doc: object) -> str:
    """``doc`` as one line of JSON (UTF-8 text kept), the invisible characters of
    :func:`visible` written as JSON escapes: the strings decode to the exact text."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if _HIDDEN.search(text):
        text = _HIDDEN.sub(lambda m: json.dumps(m.group())[1:-1], text)
    return text + "\n"
