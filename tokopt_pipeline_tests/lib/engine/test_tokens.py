"""The tokenizer: cl100k_base from the offline package, its ranks cached on disk."""

from __future__ import annotations

import tiktoken

from tokopt_pipeline.lib.engine import tokens

TEXT = "FAILED tests/test_x.py::test_y - ValueError: 12 != 13 ñ 日本 <|endoftext|>\n\tat Foo.bar(Foo.java:1)"


def _fresh():
    tokens.encoding.cache_clear()
    return tokens.encoding()


def test_the_cached_ranks_give_the_same_encoding(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reference = tiktoken.get_encoding(tokens.ENCODING_NAME)
    first = _fresh()  # loads from the package and writes the cache entry
    entries = list((tmp_path / "tokopt").glob("tiktoken-*.ranks"))
    assert len(entries) == 1
    second = _fresh()  # loads from the cache entry
    assert second is not first
    assert second._mergeable_ranks == reference._mergeable_ranks
    assert second._special_tokens == reference._special_tokens
    assert second.encode_ordinary(TEXT) == reference.encode_ordinary(TEXT)
    assert tokens.count(TEXT) == len(reference.encode_ordinary(TEXT))
    tokens.encoding.cache_clear()


def test_a_damaged_cache_entry_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _fresh()
    entry = next((tmp_path / "tokopt").glob("tiktoken-*.ranks"))
    good = entry.read_bytes()
    entry.write_bytes(good[: len(good) // 2])  # cut short
    reference = tiktoken.get_encoding(tokens.ENCODING_NAME)
    assert _fresh().encode_ordinary(TEXT) == reference.encode_ordinary(TEXT)
    assert entry.read_bytes() == good  # written again, whole
    entry.write_bytes(b"not a ranks file")
    assert _fresh().encode_ordinary(TEXT) == reference.encode_ordinary(TEXT)
    tokens.encoding.cache_clear()


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    reference = tiktoken.get_encoding(tokens.ENCODING_NAME)
    assert _fresh().encode_ordinary(TEXT) == reference.encode_ordinary(TEXT)
    assert _fresh().encode_ordinary(TEXT) == reference.encode_ordinary(TEXT)
    tokens.encoding.cache_clear()


def test_settle_finds_a_text_that_states_its_own_count():
    from tokopt_pipeline.lib.engine.tokens import count, settle

    body = "ERROR disk full on /var/lib/postgres\n" * 40
    text, n = settle(lambda claimed: f"# summary: {claimed:,} tokens\n{body}", 5, tries=6)
    assert n == count(text) and f"{n:,} tokens" in text
    # out of tries: the last text and its true count, even if the claim was wrong
    text, n = settle(lambda claimed: "x " * (claimed + 1), 3, tries=2)
    assert n == count(text)
