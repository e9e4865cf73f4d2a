"""Optimization profiles in JSON: load, validate (with the bad key's line), save, resolve.

A profile file holds named profiles::

    {
      "version": 1,
      "profiles": {
        "high-compression": {
          "description": "nightly logs for the dashboard",
          "extends": "max-compression",
          "settings": {"token_budget": 3000, "priority_filter": "high"}
        }
      }
    }

The file is checked against ``tokopt_pipeline/data/profile.schema.json`` (JSON Schema
2020-12). Every problem is reported with the file, the line and the dotted path of the
key at fault, e.g. ``profiles.json line 6: profiles.high-compression.settings:
unknown setting 'prority_filter'``. Saved profiles go to ``.tokopt/profiles.json``
unless another file is named.

Resolution order for the settings of one run (later wins): built-in defaults, the
preset, the profile's ``extends`` preset, the profile's settings, flags given on the
command line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from tokopt_pipeline.lib.errors import StoreError
from tokopt_pipeline.lib.settings.presets import PRESETS, SETTINGS, get_preset

__all__ = [
    "ConfigError",
    "DEFAULT_PROFILES_PATH",
    "SCHEMA_PATH",
    "ProfileFile",
    "load_profiles",
    "parse_profiles",
    "save_profile",
    "resolve_settings",
    "key_lines",
    "KeyPath",
    "ProfileEntry",
]

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "data" / "profile.schema.json"
DEFAULT_PROFILES_PATH = Path(".tokopt") / "profiles.json"


class ConfigError(StoreError):
    """A profile file or setting is invalid; the message names the key and line."""


class ProfileEntry(TypedDict):
    """One profile of a file: its settings (checked against the schema), optionally a
    description and a preset it extends."""

    description: NotRequired[str]
    extends: NotRequired[str]
    settings: dict[str, object]


#: Where a value is in a JSON document: its keys and list indexes from the top.
KeyPath = tuple[str | int, ...]


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


# -- where each key is -----------------------------------------------------------
_WS = re.compile(r"[ \t\r\n]*")
_SCALAR = re.compile(r'-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null')
#: The JSON string scanner json.loads uses: (string, index after the opening quote) ->
#: (value, index after the closing quote). It is not in json.decoder's __all__, so
#: typeshed leaves it out.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map each value's path (keys and list indexes) to the 1-based line it starts on.

    For an object member the line is that of its key. Only called on text that
    :func:`json.loads` accepted, so the grammar here can be forgiving.
    """
    out: dict[KeyPath, int] = {}
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def line_of(pos: int) -> int:
        import bisect

        return bisect.bisect_right(line_starts, pos)

    def ws(i: int) -> int:
        m = _WS.match(text, i)
        assert m is not None  # it matches the empty string
        return m.end()

    def string_end(i: int) -> int:
        _, end = _scanstring(text, i + 1)
        return end

    def value(i: int, path: KeyPath) -> int:
        i = ws(i)
        out.setdefault(path, line_of(i))
        c = text[i]
        if c == "{":
            i = ws(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = ws(i)
                key, end = _scanstring(text, i + 1)
                out[path + (key,)] = line_of(i)
                i = ws(end)
                i = value(i + 1, path + (key,))  # skip ':'
                i = ws(i)
                if text[i] == "}":
                    return i + 1
                i += 1  # ','
        if c == "[":
            i = ws(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = value(i, path + (n,))
                i = ws(i)
                n += 1
                if text[i] == "]":
                    return i + 1
                i += 1
        if c == '"':
            return string_end(i)
        m = _SCALAR.match(text, i)
        return m.end() if m else i + 1

    try:
        value(0, ())
    except (IndexError, ValueError):
        pass
    return out


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


@dataclass
class ProfileFile:
    """A parsed, valid profile file."""

    path: Path
    profiles: dict[str, ProfileEntry]

    def names(self) -> list[str]:
        return list(self.profiles)


def parse_profiles(text: str, source: str = "<profiles>") -> ProfileFile:
    """Parse and validate profile JSON; raise :class:`ConfigError` listing every problem."""
    import jsonschema

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source} line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}") from None
    lines = key_lines(text)
    validator = jsonschema.Draft202012Validator(schema())
    problems: list[tuple[int, str]] = []
    for err in validator.iter_errors(data):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for key in err.instance:
                if key not in allowed:
                    what = "setting" if path[-1:] == ("settings",) else "key"
                    hint = f" (known: {', '.join(sorted(allowed))})" if allowed else ""
                    problems.append((lines.get(path + (key,), 1), f"{_dotted(path + (key,))}: unknown {what} {key!r}{hint}"))
            continue
        if err.validator == "propertyNames":
            problems.append((lines.get(path, 1), f"{_dotted(path)}: profile name {err.instance!r} must be letters, digits, '.', '_' or '-' (at most 64)"))
            continue
        problems.append((lines.get(path, 1), f"{_dotted(path)}: {err.message}"))
    if not problems:
        for name, prof in data["profiles"].items():
            for i, spec in enumerate(prof["settings"].get("add_priority_pattern", [])):
                from tokopt_pipeline.lib.engine.priority import parse_priority_pattern
                from tokopt_pipeline.lib.errors import TokoptError

                try:
                    parse_priority_pattern(spec)
                except TokoptError as exc:
                    p = ("profiles", name, "settings", "add_priority_pattern", i)
                    problems.append((lines.get(p, 1), f"{_dotted(p)}: {exc.message}"))
    if problems:
        problems.sort()
        body = "\n".join(f"  {source} line {ln}: {msg}" for ln, msg in problems)
        n = len(problems)
        raise ConfigError(f"{source} is not a valid tokopt profile file ({n} problem{'s' if n != 1 else ''}):\n{body}")
    return ProfileFile(Path(source), data["profiles"])


def load_profiles(path: str | Path) -> ProfileFile:
    """Read and validate a profile file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"profile file {p} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"profile file {p} is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read profile file {p}: {getattr(exc, 'strerror', None) or exc}") from None
    pf = parse_profiles(text, str(p))
    pf.path = p
    return pf


def save_profile(path: str | Path, name: str, settings: dict[str, object], description: str = "", extends: str | None = None) -> Path:
    """Add or replace profile ``name`` in the file at ``path`` (created if missing).

    The result is validated before it is written (atomically), so a bad setting never
    reaches the file.
    """
    from tokopt_pipeline.lib.outputs import atomic_write_text

    p = Path(path)
    doc: dict[str, Any] = {"version": 1, "profiles": {}}
    if p.exists():
        existing = load_profiles(p)
        doc["profiles"] = existing.profiles
    clean = {k: v for k, v in settings.items() if k in SETTINGS}
    entry: dict[str, object] = {}
    if description:
        entry["description"] = description
    if extends:
        entry["extends"] = extends
    entry["settings"] = clean
    doc["profiles"][name] = entry
    text = json.dumps(doc, indent=2) + "\n"
    parse_profiles(text, str(p))
    try:
        return atomic_write_text(p, text)
    except OSError as exc:
        raise ConfigError(f"cannot write profile file {p}: {exc.strerror or exc}") from None


def resolve_settings(preset: str | None = None, profile: str | None = None, profile_path: str | Path | None = None) -> tuple[dict[str, object], list[str]]:
    """The settings a preset and/or profile give, and where they came from.

    Returns:
        (settings, sources): settings from the preset, then the profile's ``extends``
        preset, then the profile's own; sources name each layer, e.g.
        ``["preset ci-integration", "profile nightly (.tokopt/profiles.json)"]``.

    Raises:
        UsageError: unknown preset. ConfigError: bad file, or no such profile in it.
    """
    settings: dict[str, object] = {}
    sources: list[str] = []
    if preset:
        settings.update(get_preset(preset).settings)
        sources.append(f"preset {preset}")
    if profile or profile_path:
        path = Path(profile_path) if profile_path else DEFAULT_PROFILES_PATH
        if not profile_path and not path.exists():
            if profile in PRESETS:
                settings.update(PRESETS[profile].settings)
                sources.append(f"preset {profile}")
                return settings, sources
            raise ConfigError(f"no profile {profile!r}: {DEFAULT_PROFILES_PATH} does not exist (save one with --save-profile, or name a file with --custom-profile-path); presets: {', '.join(PRESETS)}")
        pf = load_profiles(path)
        if profile is None:
            if len(pf.profiles) != 1:
                raise ConfigError(f"{path} has {len(pf.profiles)} profiles ({', '.join(pf.names())}): choose one with --optimization-profile")
            profile = pf.names()[0]
        if profile not in pf.profiles:
            if profile in PRESETS:
                settings.update(PRESETS[profile].settings)
                sources.append(f"preset {profile}")
                return settings, sources
            raise ConfigError(f"no profile {profile!r} in {path}: it has {', '.join(pf.names())}")
        entry = pf.profiles[profile]
        if entry.get("extends"):
            settings.update(PRESETS[entry["extends"]].settings)
            sources.append(f"preset {entry['extends']} (extended by {profile})")
        settings.update(entry["settings"])
        sources.append(f"profile {profile} ({path})")
    return settings, sources
