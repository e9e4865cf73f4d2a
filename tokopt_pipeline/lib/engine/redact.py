"""Secret redaction: credentials are replaced before anything is counted, stored or rendered.

A secret becomes ``[REDACTED:<kind>]`` and the text around it stays readable: the key
name in ``DB_PASSWORD=[REDACTED:password]``, the scheme, user and host in
``postgres://app:[REDACTED:url-password]@db:5432``.

Two stages, split by where the cost is:

1. **Prefilter** (vectorized). Two polars ``str.contains`` of combined trigger regexes
   (Rust regex, run over the whole batch) marks the lines that could hold a secret.
   Triggers are literal prefixes (``AKIA``, ``ghp_``, ``eyJ``, ``-----BEGIN``...) or
   ``<keyword>...=`` shapes written without lookarounds, and are deliberately loose: in
   real logs well under 1% of lines pass. Keyword triggers list the lower, Title and
   UPPER spelling of each word instead of using ``(?i)``, which would cost the Rust
   engine its literal prefilter (3-4x slower).
2. **Rules** (per candidate line, Python ``re``). The exact rules below run only on
   candidates. Where the detect-secrets project has a rule for a kind, its ``denylist``
   regex is imported from the installed package and used as is (wrapped in token
   boundaries); we add our own only where it has none.

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

One concept (over 400 lines): the secret rules and their one replacement pass.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from tokopt_pipeline.lib.engine.cache import cache_dir, write_bytes

__all__ = ["RedactionStats", "Redactor", "redact_text", "placeholder"]

_PREFIX = "[REDACTED:"


def placeholder(kind: str) -> str:
    """The text that replaces a secret of `kind`, e.g. ``[REDACTED:jwt]``."""
    return f"{_PREFIX}{kind}]"


@dataclass
class RedactionStats:
    """How many secrets were replaced, in total and per kind (a key block counts once)."""

    total: int
    by_kind: dict[str, int] = field(default_factory=dict)


# --- value heuristics --------------------------------------------------------------


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_TOKEN_VALUE = re.compile(r"[A-Za-z0-9+/=_\-.~:]+")


def _looks_secret(value: str) -> bool:
    """True for values that look machine-generated: long enough, varied, not a path.

    ``abc123XYZ789`` and hex digests pass; ``3``, ``76659``, ``true``, ``/etc/app.key``,
    ``linux-node-modules`` and ``https://...`` do not.
    """
    if len(value) < 8 or value.isdigit() or value[0] in "/~.$<{%" or "://" in value:
        return False
    if not _TOKEN_VALUE.fullmatch(value):
        return False  # "6|com.tencent.mm|1957|null", "a b c": data, not a credential
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    ent = _entropy(value)
    return (has_digit and has_alpha and ent >= 2.8) or (len(value) >= 16 and ent >= 3.7)


def _looks_token(value: str) -> bool:
    """A bearer credential rather than an English word (``Bearer authentication``)."""
    if len(value) < 8:
        return False
    return not value.isalpha() or (len(value) >= 16 and not value.islower() and not value.istitle())


def _mixed_alnum(value: str) -> bool:
    """Random base62 keys carry digits, lower and upper case; prose and slugs do not."""
    return (
        any(c.isdigit() for c in value)
        and any(c.islower() for c in value)
        and any(c.isupper() for c in value)
    )


# --- rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One kind of secret.

    Attributes:
        kind: the name in the placeholder.
        pattern: the exact Python regex.
        group: the group holding the secret; the rest of the match is kept.
        keep: literal context at the start of the match that stays readable.
        check: extra test on the secret text; False leaves the match alone.
        hints: lowercase strings, one of which the lowercased line must contain for
            the rule to be tried (a cheap skip: most candidate lines hold one kind).
    """

    kind: str
    pattern: re.Pattern[str]
    group: int | str = 0
    keep: str = ""
    check: Callable[[str], bool] | None = None
    hints: tuple[str, ...] = ()


_TOKEN_CHARS = r"[A-Za-z0-9_\-]*"  # swallow the rest of a longer or newer-format token
_LEFT = r"(?<![A-Za-z0-9])"
_RIGHT = r"(?![A-Za-z0-9])"


def _ds(pattern: re.Pattern[str]) -> str:
    """A detect-secrets denylist regex as a group, its case flag kept inline."""
    return f"(?i:{pattern.pattern})" if pattern.flags & re.IGNORECASE else f"(?:{pattern.pattern})"


def _token(kind: str, body: str, hints: str, *, tail: bool = True, check=None) -> _Rule:
    """A self-identifying token (``ghp_...``): redacted whole, wherever it stands."""
    end = _TOKEN_CHARS if tail else _RIGHT
    return _Rule(kind, re.compile(_LEFT + body + end), check=check, hints=tuple(hints.split()))


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


# The detect-secrets plugins whose denylist patterns the rules below use.
_DS_PLUGINS = {
    "AWSKeyDetector": "aws",
    "AzureStorageKeyDetector": "azure_storage_key",
    "BasicAuthDetector": "basic_auth",
    "GitHubTokenDetector": "github_token",
    "GitLabTokenDetector": "gitlab_token",
    "JwtTokenDetector": "jwt",
    "NpmDetector": "npm",
    "OpenAIDetector": "openai",
    "SendGridDetector": "sendgrid",
    "SlackDetector": "slack",
    "StripeDetector": "stripe",
    "TwilioKeyDetector": "twilio",
}


def _detect_secrets_version() -> str:
    """The installed detect-secrets version, read from its ``__version__.py`` without
    importing the package (importlib.metadata would scan every installed package)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("detect_secrets")
        folder = Path(next(iter(spec.submodule_search_locations)))
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


def detect_secrets_denylists() -> dict[str, list[re.Pattern[str]]]:
    """detect-secrets' denylist patterns, by plugin class name.

    Importing detect-secrets pulls in its whole plugin machinery (and requests) and
    costs about a quarter of a second per command, so the patterns are cached on disk
    (``~/.cache/tokopt``, or ``$XDG_CACHE_HOME/tokopt``) under the installed
    detect-secrets version: a new version is read afresh, and a missing, unreadable or
    damaged cache only means the package is imported again.
    """
    cache = cache_dir() / f"detect-secrets-{_detect_secrets_version()}-denylists.json"
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


def _build_rules() -> tuple[_Rule, ...]:
    """The exact rules, detect-secrets' patterns among them (see
    :func:`detect_secrets_denylists`); built on first use or in :func:`preload`'s thread."""
    ds = detect_secrets_denylists()
    _AWS_ID, _AWS_SECRET = ds["AWSKeyDetector"]
    _SLACK_TOKEN, _SLACK_WEBHOOK = ds["SlackDetector"]

    return (
        # detect-secrets: AWSKeyDetector (access key id; exactly 20 characters).
        _token("aws-access-key", _ds(_AWS_ID), "akia asia abia acca a3t", tail=False),
        # detect-secrets: AWSKeyDetector (secret key quoted near "aws ... key").
        _Rule("aws-secret-key", _AWS_SECRET, group=1, hints=("aws",)),
        # detect-secrets: GitHubTokenDetector; fine-grained tokens are ours.
        _token(
            "github-token",
            "(?:" + _ds(ds["GitHubTokenDetector"][0]) + r"|github_pat_[A-Za-z0-9_]{22,})",
            "ghp_ gho_ ghu_ ghs_ ghr_ github_pat_",
        ),
        # detect-secrets: GitLabTokenDetector (all its token families).
        _token(
            "gitlab-token",
            "(?:" + "|".join(_ds(p) for p in ds["GitLabTokenDetector"]) + ")",
            "glpat- gldt- glft- glsoat- glrt- gr1348941 glcbt- glimt- glptt- glagent- gloas-",
        ),
        # detect-secrets: SlackDetector.
        _token("slack-token", _ds(_SLACK_TOKEN), "xox"),
        _Rule("slack-webhook", _SLACK_WEBHOOK, keep="https://hooks.slack.com/services/",
              hints=("hooks.slack.com",)),
        # detect-secrets: StripeDetector, SendGridDetector, TwilioKeyDetector, OpenAIDetector.
        _token("stripe-key", _ds(ds["StripeDetector"][0]), "k_live_"),
        _token("sendgrid-key", _ds(ds["SendGridDetector"][0]), "sg."),
        _token("twilio-key", "(?:" + "|".join(_ds(p) for p in ds["TwilioKeyDetector"]) + ")",
               "ac sk", tail=False),
        _token("openai-key", _ds(ds["OpenAIDetector"][0]), "sk-"),
        # Ours: current OpenAI-style keys (sk-proj-..., sk-...) without the legacy marker.
        _token("openai-key", r"sk-[A-Za-z0-9_\-]{20,}", "sk-", tail=False, check=_mixed_alnum),
        # Ours: Google API keys.
        _token("google-api-key", r"AIza[0-9A-Za-z_\-]{35}", "aiza"),
        # detect-secrets: NpmDetector (.npmrc _authToken); bare npm_ tokens are ours.
        _Rule("npm-token", ds["NpmDetector"][0], group=1, hints=("_authtoken",)),
        _token("npm-token", r"npm_[A-Za-z0-9]{36}", "npm_"),
        # detect-secrets: JwtTokenDetector, extended over the signature (its lazy tail
        # would match an empty signature under substitution).
        _token("jwt", _ds(ds["JwtTokenDetector"][0]) + r"[A-Za-z0-9_.+/=\-]*", "eyj", tail=False),
        # detect-secrets: AzureStorageKeyDetector.
        _Rule("azure-storage-key", ds["AzureStorageKeyDetector"][0], keep="AccountKey=",
              hints=("accountkey=",)),
        # detect-secrets: BasicAuthDetector (password in scheme://user:pass@host).
        _Rule("url-password", ds["BasicAuthDetector"][0], group=1, hints=("://",)),
        # Ours: HTTP Authorization headers, whatever the scheme.
        _Rule(
            "bearer-token",
            re.compile(r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|token)\s+(?P<s>[^\s\"',;]+)"),
            group="s",
            hints=("authorization",),
        ),
        _Rule(
            "basic-auth",
            re.compile(r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?basic\s+(?P<s>[^\s\"',;]+)"),
            group="s",
            hints=("authorization",),
        ),
        # Ours: a bearer token outside a header (curl -H, SDK debug output).
        _Rule(
            "bearer-token",
            re.compile(r"\b(?:Bearer|bearer|BEARER)\s+(?P<s>[A-Za-z0-9._~+/=\-]+)"),
            group="s",
            check=_looks_token,
            hints=("bearer",),
        ),
    )


_RULES_LOCK = threading.Lock()
_RULES_CACHE: list[tuple[_Rule, ...]] = []


def rules() -> tuple[_Rule, ...]:
    """The exact rules, built once per process."""
    if not _RULES_CACHE:
        with _RULES_LOCK:
            if not _RULES_CACHE:
                _RULES_CACHE.append(_build_rules())
    return _RULES_CACHE[0]


def preload() -> None:
    """Build the rules in a background thread, so a caller that will redact later
    overlaps the import of detect-secrets with its own work."""
    if not _RULES_CACHE:
        # Not a daemon: an early exit waits for the import rather than cutting it short.
        threading.Thread(target=rules, name="tokopt-load-redaction-rules").start()


def _spellings(*words: str) -> str:
    """``key`` -> ``key|Key|KEY``: how keywords are written in practice."""
    out: list[str] = []
    for w in words:
        for v in (w, w[:1].upper() + w[1:], w.upper()):
            if v not in out:
                out.append(v)
    return "|".join(out)


# Generic "<name><keyword> = value" pairs: env dumps, config echoes, JSON, YAML, URLs.
# The name must END with the keyword: password_reset_count=3 and token_budget=76659
# are not secrets.
_KEYWORDS = ("password", "passwd", "passphrase", "pass", "pwd", "secret", "token", "key",
             "auth", "credentials", "credential")
# The pattern starts at the keyword (a literal, which Python's re finds fast); the
# rest of the name is read backwards from there.
_PAIR = re.compile(
    r"(?P<kw>" + _spellings(*_KEYWORDS) + r")"
    r"(?P<nq>[\"']?)[ \t]*(?::=|=>|[:=])[ \t]*"
    r"(?:(?P<q>[\"'`])(?P<qv>[^\"'`]+)(?P=q)|(?P<v>[^\s\"'`]+))"
)
# <name>_key / <name>_token pairs that are ids, not credentials.
_NOT_SECRET_NAMES = frozenset(
    "cache primary foreign sort partition routing object s3 idempotency lookup dedup group "
    "hash range public next page continuation pagination cursor sync resume map dict "
    "registry row column index license ssh_public".split()
)
_KEY_PREFIXES = ("api", "access", "secret", "private", "auth", "client", "master",
                 "session", "refresh", "app", "account", "signing", "encryption")
_TRIVIAL = frozenset({"null", "none", "nil", "undefined", "true", "false", "empty"})


_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _name_start(line: str, end: int) -> int:
    """Where the ``[A-Za-z0-9_.-]`` run ending at `end` starts."""
    start = end
    while start and line[start - 1] in _NAME_CHARS:
        start -= 1
    return start


def _pair_kind(name: str, kw: str, value: str, quoted_name: bool) -> str | None:
    """The kind for ``name=value`` when it should be redacted, else None."""
    if _PREFIX in value or value.lower() in _TRIVIAL or set(value) <= {"*", "x", "X"}:
        return None
    if value.startswith("${") or (value.startswith("<") and value.endswith(">")):
        return None  # a template placeholder, not a value
    low = kw.lower()
    prefix = name[: len(name) - len(kw)]
    if prefix and len(low) <= 5:  # key, token, auth, pass, pwd glued to a word
        camel = prefix[-1].isalnum() and not prefix[-1].isupper() and kw[0].isupper()
        sep = prefix[-1] in "_.-"
        if not (camel or sep or prefix.lower().endswith(_KEY_PREFIXES)):
            return None  # monkey=..., bypass=..., hotkey=...
    if "aws" in name.lower() and low in ("key", "secret"):
        return "aws-secret-key"
    if low.startswith("pass") or low == "pwd":
        if low == "pass" and not prefix:
            return None  # "pass: 120" in a test summary
        if low == "pwd" and value[0] in "/~":
            return None  # the shell's PWD=/home/runner/work
        return "password"
    if low == "secret":
        return "secret"
    # key, token, auth, credential(s): only "<something>_key"-shaped names, and only
    # when the value looks machine-generated.
    if not prefix:
        if not (low == "auth" and quoted_name):  # docker config.json "auth": "..."
            return None
    else:
        last = re.split(r"[_.\-]|(?<=[a-z0-9])(?=[A-Z])", prefix.rstrip("_.-"))[-1].lower()
        if last in _NOT_SECRET_NAMES:
            return None
    if not _looks_secret(value):
        return None
    return {"key": "api-key", "token": "token"}.get(low, "credential")


# --- prefilter ---------------------------------------------------------------------

# Two regexes, OR-ed: the Rust engine runs each faster than their union.
_TRIGGER_TOKENS = "|".join(
    (
        r"AKIA|ASIA|ABIA|ACCA|A3T",  # aws access key
        _spellings("aws"),  # aws secret key near "aws" (that rule is case-insensitive)
        r"gh[pousr]_|github_pat_",
        r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|GR1348941",
        r"(?:xox|XOX|Xox)[A-Za-z]-",  # slack (the rule is case-insensitive)
        r"hooks\.slack\.com",
        r"[rs]k_live_|SG\.|sk-|AIza|npm_|_authToken|eyJ|AccountKey=",
        r"(?:AC|SK)[a-z0-9]{32}",  # twilio
        r"://[^\s@/]+:[^\s@/]*@",  # url password
        _spellings("bearer", "authorization"),
        r"PRIVATE KEY|PuTTY-User-Key-File-",
    )
)
_TRIGGER_PAIRS = r"(?:" + _spellings(*_KEYWORDS) + r")[\"']?[ \t]*[:=]"
_TRIGGER_RE = re.compile(f"{_TRIGGER_TOKENS}|{_TRIGGER_PAIRS}")
_SMALL_BATCH = 64  # below this, polars' per-call overhead outweighs its speed


def trigger_expr(column: str = "line") -> pl.Expr:
    """Boolean: the line may hold a secret (the vectorized prefilter, for a caller's frame)."""
    line = pl.col(column)
    return line.str.contains(_TRIGGER_TOKENS) | line.str.contains(_TRIGGER_PAIRS)


def _candidates(lines: list[str]) -> list[int]:
    """Indices of the lines that may hold a secret (a superset of those that do)."""
    if len(lines) < _SMALL_BATCH:
        search = _TRIGGER_RE.search
        return [i for i, line in enumerate(lines) if search(line)]
    s = pl.Series(values=lines, dtype=pl.String)
    return (s.str.contains(_TRIGGER_TOKENS) | s.str.contains(_TRIGGER_PAIRS)).arg_true().to_list()


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
        self.changed = [i for i in touched if out[i] is not lines[i]]
        return out

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
        for rule in rules():
            if not any(h in low for h in rule.hints) or rule.pattern.search(line) is None:
                continue

            def sub(m: re.Match[str], rule: _Rule = rule) -> str:
                secret = m.group(rule.group)
                if secret.startswith(_PREFIX) or (rule.check and not rule.check(secret)):
                    return m.group(0)
                counts[rule.kind] += 1
                if rule.keep:
                    return rule.keep + placeholder(rule.kind)
                base = m.start()
                s, e = m.span(rule.group)
                text = m.group(0)
                return text[: s - base] + placeholder(rule.kind) + text[e - base:]

            line = rule.pattern.sub(sub, line)
        return _PAIR.sub(self._sub_pair, line)

    def _sub_pair(self, m: re.Match[str]) -> str:
        line, value = m.string, m.group("qv") or m.group("v")
        start = _name_start(line, m.start())
        if m.group("v") is not None:  # unquoted: where does the value end?
            if m.group("kw").lower().startswith(("pass", "pwd", "secret")):
                if line[start - 1 : start] in ("?", "&"):  # a URL query parameter
                    value = value.split("&", 1)[0]
                value = value.rstrip(",;)]}>") or value  # passwords may hold & and ;
            else:
                value = re.split(r"[,;&)\]}>]", value, maxsplit=1)[0] or value
        name = line[start : m.end("kw")]
        quoted_name = bool(m.group("nq")) and line[start - 1 : start] == m.group("nq")
        kind = _pair_kind(name, m.group("kw"), value, quoted_name)
        if kind is None:
            return m.group(0)
        self._counts[kind] += 1
        s = m.start("qv" if m.group("qv") is not None else "v")
        e = s + len(value)
        text, base = m.group(0), m.start()
        return text[: s - base] + placeholder(kind) + text[e - base:]


def redact_text(text: str) -> str:
    """Redact one string (multi-line is fine); line breaks are kept exactly."""
    return "\n".join(Redactor().redact_lines(text.split("\n")))
