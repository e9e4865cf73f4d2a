"""detect-secrets' patterns come from the package, cached on disk under its version."""

from __future__ import annotations

import importlib

from tokopt_pipeline.lib.engine import redact


def _from_package() -> dict[str, list[tuple[str, int]]]:
    out = {}
    for name, module in redact._DS_PLUGINS.items():
        cls = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        out[name] = [(p.pattern, p.flags) for p in cls.denylist]
    return out


def _as_pairs(d):
    return {k: [(p.pattern, p.flags) for p in v] for k, v in d.items()}


def test_the_cache_holds_exactly_the_packages_patterns(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = redact.detect_secrets_denylists()  # no cache yet: read from the package
    cached = list((tmp_path / "tokopt").glob("detect-secrets-*-denylists.json"))
    assert len(cached) == 1
    second = redact.detect_secrets_denylists()  # from the cache
    assert _as_pairs(first) == _as_pairs(second) == _from_package()


def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    redact.detect_secrets_denylists()
    path = next((tmp_path / "tokopt").glob("detect-secrets-*-denylists.json"))
    path.write_text('{"AWSKeyDetector": [["(unclosed", 0]]', encoding="utf-8")
    assert _as_pairs(redact.detect_secrets_denylists()) == _from_package()
    path.write_text("not json", encoding="utf-8")
    assert _as_pairs(redact.detect_secrets_denylists()) == _from_package()


def test_an_unwritable_cache_folder_still_redacts(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the folder should be
    assert _as_pairs(redact.detect_secrets_denylists()) == _from_package()
    assert redact.redact_text("key AKIAIOSFODNN7EXAMPLE here") == "key [REDACTED:aws-access-key] here"


def test_the_cache_is_named_after_the_installed_version(tmp_path, monkeypatch):
    from importlib.metadata import version

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    redact.detect_secrets_denylists()
    assert (tmp_path / "tokopt" / f"detect-secrets-{version('detect-secrets')}-{redact._plugins_digest()}-denylists.json").is_file()
