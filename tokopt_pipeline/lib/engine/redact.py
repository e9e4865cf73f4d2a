"""Secret redaction: credentials are replaced before anything is counted, stored or rendered.

One concept (over 400 lines): running the secret rules over every line, in two
stages.

A secret becomes ``[REDACTED:<kind>]`` and the text around it stays readable: the key
name in ``DB_PASSWORD=[REDACTED:password]``, the scheme, user and host in
``postgres://app:[REDACTED:url-password]@db:5432``.

Two stages, split by where the cost is:

1. **Prefilter** (vectorized). One polars ``str.contains`` of the combined trigger
   regexes of :mod:`.redact_rules` (Rust regex, run over the whole batch) marks the
   lines that could hold a secret. Triggers are literal prefixes (``AKIA``, ``ghp_``,
   ``eyJ``, ``-----BEGIN``...), context words (``Authorization``, ``Cookie``, ``://u:p@``,
   ``--password``, ``mysql ... -p``) or ``<keyword>...=`` shapes written without
   lookarounds, and are deliberately loose: in real logs about 1% of lines pass or
   fewer. Keyword triggers list the lower, Title and UPPER spelling of each word
   instead of using ``(?i)``, which would cost the Rust engine its literal prefilter
   (3-4x slower).
2. **Rules** (per candidate line, Python ``re``): the provider tokens, the context
   rules and the name = value pairs of :mod:`.redact_rules`, run only on candidates.
   Where the detect-secrets project has a rule for a kind, its ``denylist`` regex is
   imported from the installed package and used as is (wrapped in token boundaries).

Every rule's trigger must match whatever the rule matches; the planted-secrets tests
check this for every kind.

Private key blocks span lines, and the engine feeds lines batch by batch, so
`Redactor` keeps the open block across `Redactor.redact_lines` calls: every line from
the BEGIN marker to the END marker is replaced. A block whose END never comes (a
truncated log) closes after `_KEY_BLOCK_SLACK` consecutive lines that do not look like
key material, so one truncated key cannot swallow the rest of a log.

Example:
    >>> redact_text("export GITHUB_TOKEN=ghp_" + "a1B2" * 9)
    'export GITHUB_TOKEN=[REDACTED:github-token]'

The secret rules themselves are in :mod:`.redact_rules`; this module runs them.

One concept (over 400 lines): the redaction pass over batches of lines.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl

from tokopt_pipeline.lib.engine.cache import cache_dir, write_bytes
from tokopt_pipeline.lib.engine.redact_rules import (
    DS_PLUGINS,
    PAIR,
    PREFIX,
    TRIGGER_CONTEXT,
    TRIGGER_PAIRS,
    TRIGGER_TOKENS,
    Rule,
    build_rules,
    name_start,
    pair_kind,
    secret_name,
    trivial,
)

__all__ = ["RedactionStats", "Redactor", "redact_text", "placeholder"]

_PREFIX = PREFIX
# A Kubernetes or compose env entry split over two lines: "- name: API_TOKEN", then
# "  value: ..." (the value line has no secret word of its own).
_ENV_NAME = re.compile(r"name:[ \t]*[\"']?(?P<n>[A-Za-z0-9_.\-]+)[\"']?[ \t]*$")
_ENV_VALUE = re.compile(r"^(?P<head>\s*(?:-\s*)?value:[ \t]*)(?P<v>\S.*?)\s*$")
# Names whose unquoted value runs to the next blank (passwords hold & and ;).
_STRONG_NAME = re.compile(r"(?i)pass|pwd|secret|cred")


def placeholder(kind: str) -> str:
    """The text that replaces a secret of `kind`, e.g. ``[REDACTED:jwt]``."""
    return f"{_PREFIX}{kind}]"


@dataclass
class RedactionStats:
    """How many secrets were replaced, in total and per kind (a key block counts once)."""

    total: int
    by_kind: dict[str, int] = field(default_factory=dict)


# --- rules -------------------------------------------------------------------------

# Key blocks. Ours rather than detect-secrets' PrivateKeyDetector markers, because a
# block needs its END too; the BEGIN patterns cover every marker in that plugin's list
# (a test checks) plus PKCS#8 "ENCRYPTED PRIVATE KEY".
_PEM_BEGIN = re.compile(r"-{2,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{2,5}")
_PEM_END = re.compile(r"-{2,5} ?END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{2,5}")
# PuTTY key files have no END marker; their last line is the MAC.
_PUTTY_BEGIN = re.compile(r"PuTTY-User-Key-File-\d+")
_PUTTY_END = re.compile(r"Private-MAC: *[0-9a-fA-F]*")
_KEY_BLOCKS = ((_PEM_BEGIN, _PEM_END), (_PUTTY_BEGIN, _PUTTY_END))
_KEY_HEADER = re.compile(
    r"\b(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset|Encryption|Public-Lines"
    r"|Private-Lines|Key-Derivation|Argon2-[A-Za-z]+):"
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_KEY_BLOCK_SLACK = 20


def _is_key_material(line: str) -> bool:
    """A line of a key block: base64 (after any prefix a log adds), a header or blank."""
    words = line.split()
    if not words or _KEY_HEADER.search(line):
        return True
    last = words[-1]
    if not _BASE64.fullmatch(last):
        return False
    return len(last) >= 16 or not last.isalpha() or not (last.islower() or last.istitle())


# The detect-secrets plugins whose denylist patterns the rules use.
_DS_PLUGINS = DS_PLUGINS


def _detect_secrets_version() -> str:
    """The installed detect-secrets version, read from its ``__version__.py`` without
    importing the package (importlib.metadata would scan every installed package)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("detect_secrets")
        locations = spec.submodule_search_locations if spec is not None else None
        if locations:  # a package (not a plain module, nor missing)
            folder = Path(next(iter(locations)))
            m = re.search(r"""VERSION\s*=\s*['"]([^'"]+)['"]""", (folder / "__version__.py").read_text(encoding="utf-8"))
            if m:
                return m.group(1)
    except (AttributeError, TypeError, StopIteration, OSError, ValueError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("detect-secrets")
    except PackageNotFoundError:
        return "unknown"


def _plugins_digest() -> str:
    """A short digest of the plugin list: tokopt versions that use different plugins
    keep their own cache instead of rewriting one another's."""
    import hashlib

    return hashlib.sha256(" ".join(sorted(_DS_PLUGINS)).encode()).hexdigest()[:8]


def detect_secrets_denylists() -> dict[str, list[re.Pattern[str]]]:
    """detect-secrets' denylist patterns, by plugin class name.

    Importing detect-secrets pulls in its whole plugin machinery (and requests) and
    costs about a quarter of a second per command, so the patterns are cached on disk
    (``~/.cache/tokopt``, or ``$XDG_CACHE_HOME/tokopt``) under the installed
    detect-secrets version and the plugin list: a new version is read afresh, and a missing, unreadable or
    damaged cache only means the package is imported again.
    """
    cache = cache_dir() / f"detect-secrets-{_detect_secrets_version()}-{_plugins_digest()}-denylists.json"
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if set(data) == set(_DS_PLUGINS):
            return {name: [re.compile(p, f) for p, f in pats] for name, pats in data.items()}
    except (OSError, ValueError, TypeError, re.error):
        pass
    import importlib

    out = {}
    for name, module in _DS_PLUGINS.items():
        cls = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        out[name] = list(cls.denylist)
    write_bytes(cache, json.dumps({n: [[p.pattern, p.flags] for p in pats] for n, pats in out.items()}).encode())
    return out


def _build_rules() -> tuple[Rule, ...]:
    """The exact rules (:func:`.redact_rules.build_rules`), detect-secrets' patterns among
    them (see :func:`detect_secrets_denylists`); built on first use or in :func:`preload`'s thread."""
    return build_rules(detect_secrets_denylists())


_RULES_LOCK = threading.Lock()
_RULES_CACHE: list[tuple[Rule, ...]] = []


def rules() -> tuple[Rule, ...]:
    """The exact rules, built once per process."""
    if not _RULES_CACHE:
        with _RULES_LOCK:
            if not _RULES_CACHE:
                _RULES_CACHE.append(_build_rules())
    return _RULES_CACHE[0]


@lru_cache(maxsize=1)
def _hints() -> tuple[tuple[str, ...], dict[str, tuple[int, ...]]]:
    """Every rule's hints (lower-case words one of which a line must hold for the rule
    to run), and for each hint the positions of the rules it lets run."""
    by_hint: dict[str, list[int]] = {}
    for i, rule in enumerate(rules()):
        for h in rule.hints:
            by_hint.setdefault(h, []).append(i)
    return tuple(by_hint), {h: tuple(v) for h, v in by_hint.items()}


def preload() -> None:
    """Build the rules in a background thread, so a caller that will redact later
    overlaps the import of detect-secrets with its own work."""
    if not _RULES_CACHE:
        # Not a daemon: an early exit waits for the import rather than cutting it short.
        threading.Thread(target=rules, name="tokopt-load-redaction-rules").start()


# --- prefilter ---------------------------------------------------------------------

# One regex: with the context triggers, their union scans faster than separate passes
# (measured: 0.10 s against 0.21 s per 40 MB on one thread).
_TRIGGER = "|".join((TRIGGER_TOKENS, TRIGGER_CONTEXT, TRIGGER_PAIRS))
_TRIGGER_RE = re.compile(_TRIGGER)
_SMALL_BATCH = 64  # below this, polars' per-call overhead outweighs its speed


def trigger_expr(column: str = "line") -> pl.Expr:
    """Boolean: the line may hold a secret (the vectorized prefilter, for a caller's frame)."""
    return pl.col(column).str.contains(_TRIGGER)


def _candidates(lines: list[str]) -> list[int]:
    """Indices of the lines that may hold a secret (a superset of those that do)."""
    if len(lines) < _SMALL_BATCH:
        search = _TRIGGER_RE.search
        return [i for i, line in enumerate(lines) if search(line)]
    return pl.Series(values=lines, dtype=pl.String).str.contains(_TRIGGER).arg_true().to_list()


# --- the redactor ------------------------------------------------------------------


class Redactor:
    """Replaces secrets in batches of lines, remembering an open private-key block.

    Args:
        enabled: False passes lines through untouched (``--no-redact``).

    Example:
        >>> r = Redactor()
        >>> r.redact_lines(["-----BEGIN RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA3"])
        ['[REDACTED:private-key]', '[REDACTED:private-key]']
        >>> r.redact_lines(["-----END RSA PRIVATE KEY-----", "done"])
        ['[REDACTED:private-key]', 'done']
        >>> r.stats
        RedactionStats(total=1, by_kind={'private-key': 1})
    """

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._counts: Counter[str] = Counter()
        self._block_end: re.Pattern[str] | None = None  # END marker of the open key block
        self._slack = 0  # consecutive non-key lines seen inside the open block
        self._env_value_next = False  # the batch before ended on a secret-named env entry
        #: Indices of the lines the last `redact_lines` call changed, in order.
        self.changed: list[int] = []

    @property
    def stats(self) -> RedactionStats:
        return RedactionStats(total=sum(self._counts.values()), by_kind=dict(self._counts))

    def redact_lines(self, lines: list[str], candidates: list[int] | None = None) -> list[str]:
        """Return `lines` with secrets replaced: same length, same order.

        `candidates`, when given, are the indices :func:`trigger_expr` selected (a
        caller that runs it together with other vectorized work saves a pass).
        """
        out = list(lines)
        self.changed = []
        if not self.enabled or not out:
            return out
        touched: list[int] = []
        resume = 0
        if self._env_value_next:
            self._env_value_next = False
            out[0] = self._env_value(out[0])
            touched.append(0)
        if self._block_end is not None:
            resume = self._continue_block(out, 0)
            touched.extend(range(0, resume))
        for i in (_candidates(out) if candidates is None else candidates):
            if i < resume:
                continue  # already handled inside a key block
            out[i] = self._redact_line(out[i])
            touched.append(i)
            if self._block_end is not None:
                resume = self._continue_block(out, i + 1)
                touched.extend(range(i + 1, resume))
            else:
                env = _ENV_NAME.search(out[i])
                if env is not None and secret_name(env.group("n")):
                    if i + 1 < len(out):
                        out[i + 1] = self._env_value(out[i + 1])
                        touched.append(i + 1)
                    else:
                        self._env_value_next = True  # the value line opens the next batch
        self.changed = [i for i in touched if out[i] != lines[i]]
        return out

    def _env_value(self, line: str) -> str:
        """The ``value:`` line after a secret-named env entry, its value redacted."""
        m = _ENV_VALUE.match(line)
        if m is None or trivial(m.group("v")):
            return line
        v, s = m.group("v"), m.start("v")
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v, s = v[1:-1], s + 1
        return _replace(line, [(s, s + len(v), "credential")], self._counts)

    def _continue_block(self, out: list[str], start: int) -> int:
        """Redact the open key block from `start`; return the index after it."""
        ph = placeholder("private-key")
        for i in range(start, len(out)):
            line = out[i]
            assert self._block_end is not None
            m = self._block_end.search(line)
            if m:
                self._block_end = None
                out[i] = ph + self._redact_line(line[m.end():])  # may open the next block
                if self._block_end is None:
                    return i + 1
                continue
            if line == ph or _is_key_material(line) or _PEM_BEGIN.search(line) or _PUTTY_BEGIN.search(line):
                out[i] = ph
                self._slack = 0
                continue
            # Not key material: interleaved output from another process, or the key
            # was truncated and its END never comes.
            self._slack += 1
            if self._slack > _KEY_BLOCK_SLACK:
                self._block_end = None
                return i  # from here on, lines get the ordinary pass
            out[i] = self._apply_rules(line)
        return len(out)

    def _redact_line(self, line: str) -> str:
        for begin_re, end_re in _KEY_BLOCKS:
            m = begin_re.search(line)
            if m is None:
                continue
            self._counts["private-key"] += 1
            head = self._apply_rules(line[: m.start()]) + placeholder("private-key")
            e = end_re.search(line, m.end())
            if e:  # a whole key on one line (JSON with escaped newlines)
                return head + self._redact_line(line[e.end():])
            self._block_end, self._slack = end_re, 0
            return head
        return self._apply_rules(line)

    def _apply_rules(self, line: str) -> str:
        if not line:
            return line
        counts = self._counts
        low = line.lower()
        # The rules that may match: those sharing a hint with the line, in their order.
        hints, by_hint = _hints()
        todo = sorted({i for h in hints if h in low for i in by_hint[h]})
        all_rules = rules()
        for i in todo:
            rule = all_rules[i]
            spans: list[tuple[int, int, str]] = []
            for m in rule.pattern.finditer(line):
                if rule.spans is not None:
                    spans.extend(rule.spans(m))
                    continue
                secret = m.group(rule.group)
                if secret.startswith(_PREFIX) or (rule.check and not rule.check(secret)):
                    continue
                s, e = m.span(rule.group)
                if rule.keep:  # the match starts with this context, the rest is the secret
                    s = m.start() + len(rule.keep)
                spans.append((s, e, rule.kind))
            if spans:
                line = _replace(line, spans, counts)
                low = line.lower()
        return PAIR.sub(self._sub_pair, line)

    def _sub_pair(self, m: re.Match[str]) -> str:
        line = m.string
        value = m.group("ev") or m.group("qv") or m.group("v")
        group = "ev" if m.group("ev") is not None else "qv" if m.group("qv") is not None else "v"
        start = name_start(line, m.start())
        name = line[start : m.end("kw")]
        if group == "v":  # unquoted: where does the value end?
            if _STRONG_NAME.search(name):
                if line[start - 1 : start] in ("?", "&"):  # a URL query parameter
                    value = value.split("&", 1)[0]
                value = value.rstrip(",;)]}>") or value  # passwords may hold & and ;
            else:
                value = re.split(r"[,;&)\]}>]", value, maxsplit=1)[0] or value
        nq = m.group("nq").lstrip("\\")
        quoted_name = bool(nq) and line[start - 1 : start] == nq
        sep = line[m.end("nq") : m.start(group)].strip()[:1]
        kind = pair_kind(name, m.group("kw"), value, quoted_name, sep)
        if kind is None:
            return m.group(0)
        s = m.start(group) - m.start()
        return _replace(m.group(0), [(s, s + len(value), kind)], self._counts)


def _replace(text: str, spans: list[tuple[int, int, str]], counts: Counter[str]) -> str:
    """`text` with each ``(start, end, kind)`` span replaced by its placeholder, counted;
    spans that overlap an earlier one or hold a placeholder already are left alone."""
    out: list[str] = []
    pos = 0
    for s, e, kind in sorted(spans):
        if s < pos or e <= s or _PREFIX in text[s:e]:
            continue
        counts[kind] += 1
        out.append(text[pos:s])
        out.append(placeholder(kind))
        pos = e
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def redact_text(text: str) -> str:
    """Redact one string (multi-line is fine); line breaks are kept exactly."""
    return "\n".join(Redactor().redact_lines(text.split("\n")))
