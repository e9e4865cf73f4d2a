"""The secret rules: what a credential looks like, and where logs carry one.

One concept (over 400 lines): the table of secret rules, one entry per kind.

:mod:`.redact` runs them; this module only says what they are. Three groups:

1. **Provider tokens**, which identify themselves (``ghp_``, ``xoxb-``, ``AKIA``,
   ``sk_live_``, ``glpat-``, ``npm_``, ``pypi-``, ``AIza``, ``eyJ`` JWTs...). Where the
   detect-secrets project has a plugin for a kind, its ``denylist`` regex is used as
   is (:data:`DS_PLUGINS`); :data:`_PROVIDER_TOKENS` adds the formats it lacks, and one
   generic rule catches an unknown provider's ``prefix_<random>`` token.
2. **Context rules**, for secrets that only their surroundings make secret: credentials
   in command-line flags (``--password X``, ``--token X``, ``-u user:pass``,
   ``mysql -pX``, ``docker login -p X``), ``Authorization:`` headers of any scheme,
   cookies, URL userinfo (``redis://:pw@host``), secret-looking query parameters
   (``?token=``, ``&sig=``, ``X-Amz-Signature=``), webhook URLs with a secret path, and
   ``.netrc`` lines.
3. **Name = value pairs** (:data:`PAIR`, :func:`pair_kind`): ``KEY=value``,
   ``export KEY=value`` and ``set -x`` echoes, Python dict and repr dumps (pytest's
   locals and assertion diffs), YAML, JSON and HCL, for names that say secret
   (``password``, ``*_secret``, ``*_token``, ``api_key``, ``private_key_id``...).

Every rule has a trigger in :data:`TRIGGER_TOKENS` or :data:`TRIGGER_CONTEXT` (Rust
regex, no lookarounds, run over every line by polars) that matches wherever the rule
could: the trigger decides which lines the rules see at all.

One concept (over 400 lines): the secret rules and the tests on a value they rely on.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

PREFIX = "[REDACTED:"

__all__ = ["PREFIX", "DS_PLUGINS", "Rule", "build_rules", "PAIR", "pair_kind", "name_start", "secret_name", "trivial",
           "TRIGGER_TOKENS", "TRIGGER_CONTEXT", "TRIGGER_PAIRS"]

# --- value heuristics --------------------------------------------------------------


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_TOKEN_VALUE = re.compile(r"[A-Za-z0-9+/=_\-.~:]+")


def looks_secret(value: str) -> bool:
    """True for values that look machine-generated: long enough, varied, not a path.

    ``abc123XYZ789`` and hex digests pass; ``3``, ``76659``, ``true``, ``/etc/app.key``,
    ``linux-node-modules`` and ``https://...`` do not.
    """
    if len(value) < 8 or value.isdigit() or value[0] in "~.$<{%" or "://" in value or pathlike(value):
        return False
    if not _TOKEN_VALUE.fullmatch(value):
        return False  # "6|com.tencent.mm|1957|null", "a b c": data, not a credential
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    ent = entropy(value)
    return (has_digit and has_alpha and ent >= 2.8) or (len(value) >= 16 and ent >= 3.7)


def pathlike(value: str) -> bool:
    """A file path (``/etc/app.key``, ``./certs/ca.pem``, ``~/.ssh/id_rsa``), not base64
    that happens to start with a slash (``/8cWsYsAamX4hdX/S67Q9...``)."""
    if value[:1] in "~." or value.startswith("file:"):
        return True
    if not value.startswith("/"):
        return False
    parts = [p for p in value.split("/") if p]
    plain = sum(1 for p in parts if re.fullmatch(r"[a-z0-9_.@+\-]+", p) or "." in p)
    return not parts or plain * 2 >= len(parts)


def looks_token(value: str) -> bool:
    """A bearer credential rather than an English word (``Bearer authentication``)."""
    if len(value) < 8 or value[0] in "$<{%":
        return False
    return not value.isalpha() or (len(value) >= 16 and not value.islower() and not value.istitle())


def mixed_alnum(value: str) -> bool:
    """Random base62 keys carry digits, lower and upper case; prose and slugs do not."""
    return (
        any(c.isdigit() for c in value)
        and any(c.islower() for c in value)
        and any(c.isupper() for c in value)
    )


_TRIVIAL = frozenset({"null", "none", "nil", "undefined", "true", "false", "empty", "redacted", "masked",
                      "hidden", "secret", "password", "changeme", "required", "optional", "string", "str",
                      "yes", "no", "on", "off", "0", "1"})


def trivial(value: str) -> bool:
    """A value that is no credential: empty, masked (``***``, ``xxxx``), a variable or
    template (``$TOKEN``, ``${{ secrets.X }}``, ``<token>``, ``%PASS%``, ``{password}``),
    Terraform's ``(sensitive value)``, a placeholder word, or already redacted."""
    v = value.strip("\"'`")
    if not v or PREFIX in v or set(v) <= set("*xX.#-_ ") or v.lower() in _TRIVIAL:
        return True
    if _PLACEHOLDER.match(v):
        return True
    return False


# $VAR ${VAR} $(cmd) %VAR% <token> {password} {{ x }} [MASKED] (sensitive value)
_PLACEHOLDER = re.compile(r"\$[A-Za-z_{(]|%\w+%$|<[^<>]*>$|\{.*\}$|\[[^\]]*\]$|\(sensitive")


_BOOTSTRAP_TOKEN = re.compile(r"[a-z0-9]{6}\.[a-z0-9]{16}")  # kubeadm's --token


def strong_random(value: str) -> bool:
    """A value that can only be machine-made: 16 characters or more of a token's
    alphabet with digits and letters, mixed case or hex (not a dotted name, a path)."""
    if len(value) < 16 or not _TOKEN_VALUE.fullmatch(value) or "/" in value:
        return False
    if _BOOTSTRAP_TOKEN.fullmatch(value):
        return True
    if re.fullmatch(r"[A-Za-z]+(?:[.:][A-Za-z0-9]+)+:?", value):
        return False  # com.apple.xpc.activity
    return mixed_alnum(value) or (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
                                  and entropy(value) >= 3.3)


def random_segment(value: str, min_len: int = 16) -> bool:
    """Some ``/``-separated segment of `value` looks machine-generated."""
    return any(len(s) >= min_len and looks_secret(s) for s in re.split(r"[/?#]", value))


def _pem_base64(value: str) -> bool:
    """Base64 of a PEM private key (kubeconfig ``client-key-data``)."""
    head = value[: (min(len(value), 96) // 4) * 4]
    try:
        return b"PRIVATE KEY" in base64.b64decode(head)
    except (binascii.Error, ValueError):
        return False


def _prefixed_token(value: str) -> bool:
    """An unknown provider's ``prefix_<random>`` token: a long, random, mixed-case body."""
    body = value.rsplit("_", 1)[-1]
    return len(body) >= 24 and mixed_alnum(body) and entropy(body) >= 4.0


# --- rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One kind of secret.

    Attributes:
        kind: the name in the placeholder.
        pattern: the exact Python regex.
        group: the group holding the secret; the rest of the match is kept.
        keep: literal context at the start of the match that stays readable.
        check: extra test on the secret text; False leaves the match alone.
        hints: lowercase strings, one of which the lowercased line must contain for
            the rule to be tried (a cheap skip: most candidate lines hold one kind).
        spans: instead of `group`, a function of the match returning the
            ``(start, end, kind)`` spans to replace (rules whose secret depends on
            what the match holds: a header's scheme, a flag's name, a cookie list).
    """

    kind: str
    pattern: re.Pattern[str]
    group: int | str = 0
    keep: str = ""
    check: Callable[[str], bool] | None = None
    hints: tuple[str, ...] = ()
    spans: Callable[[re.Match[str]], list[tuple[int, int, str]]] | None = None


_TOKEN_CHARS = r"[A-Za-z0-9_\-]*"  # swallow the rest of a longer or newer-format token
_LEFT = r"(?<![A-Za-z0-9])"
_RIGHT = r"(?![A-Za-z0-9])"


def _ds(pattern: re.Pattern[str]) -> str:
    """A detect-secrets denylist regex as a group, its case flag kept inline."""
    return f"(?i:{pattern.pattern})" if pattern.flags & re.IGNORECASE else f"(?:{pattern.pattern})"


def _token(kind: str, body: str, hints: str, *, tail: bool = True, check: Callable[[str], bool] | None = None, left: str = _LEFT) -> Rule:
    """A self-identifying token (``ghp_...``): redacted whole, wherever it stands."""
    end = _TOKEN_CHARS if tail else _RIGHT
    return Rule(kind, re.compile(left + body + end), check=check, hints=tuple(hints.split()))


# The detect-secrets plugins whose denylist patterns the rules use.
DS_PLUGINS = {
    "AWSKeyDetector": "aws",
    "AzureStorageKeyDetector": "azure_storage_key",
    "BasicAuthDetector": "basic_auth",
    "DiscordBotTokenDetector": "discord",
    "GitHubTokenDetector": "github_token",
    "GitLabTokenDetector": "gitlab_token",
    "JwtTokenDetector": "jwt",
    "MailchimpDetector": "mailchimp",
    "NpmDetector": "npm",
    "OpenAIDetector": "openai",
    "PypiTokenDetector": "pypi_token",
    "SendGridDetector": "sendgrid",
    "SlackDetector": "slack",
    "SquareOAuthDetector": "square_oauth",
    "StripeDetector": "stripe",
    "TelegramBotTokenDetector": "telegram_token",
    "TwilioKeyDetector": "twilio",
}

# Provider formats detect-secrets has no plugin for: (kind, regex, hints). Their
# literal prefixes are in TRIGGER_TOKENS.
_PROVIDER_TOKENS: tuple[tuple[str, str, str], ...] = (
    ("github-token", r"github_pat_[A-Za-z0-9_]{22,}", "github_pat_"),
    ("google-api-key", r"AIza[0-9A-Za-z_\-]{35}", "aiza"),
    ("google-oauth-secret", r"GOCSPX-[A-Za-z0-9_\-]{28}", "gocspx-"),
    ("google-oauth-token", r"ya29\.[A-Za-z0-9_\-]{30,}", "ya29."),
    ("npm-token", r"npm_[A-Za-z0-9]{36}", "npm_"),
    ("pypi-token", r"pypi-[A-Za-z0-9_\-]{50,}", "pypi-"),
    ("stripe-key", r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}|whsec_[A-Za-z0-9]{24,}", "k_live_ k_test_ whsec_"),
    ("digitalocean-token", r"do[opr]_v1_[a-f0-9]{64}", "_v1_"),
    ("vault-token", r"hv[sbr]\.[A-Za-z0-9_\-]{24,}", "hvs. hvb. hvr."),
    ("terraform-token", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,}", "atlasv1"),
    ("huggingface-token", r"hf_[A-Za-z0-9]{30,}", "hf_"),
    ("shopify-token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", "shpat_ shpca_ shppa_ shpss_"),
    ("databricks-token", r"dapi[a-f0-9]{32}(?:-\d)?", "dapi"),
    ("doppler-token", r"dp\.(?:st|ct|sa|scim|audit|pt)\.[A-Za-z0-9_.\-]{40,}", "dp."),
    ("grafana-token", r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}", "glsa_ glc_"),
    ("newrelic-key", r"NR(?:AK|II|JS|AA)-[A-Za-z0-9]{20,}", "nrak- nrii- nrjs- nraa-"),
    ("linear-key", r"lin_(?:api|oauth)_[A-Za-z0-9]{40}", "lin_"),
    ("postman-key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", "pmak-"),
    ("atlassian-token", r"ATATT3[A-Za-z0-9_\-=]{100,}", "atatt3"),
    ("mailgun-key", r"key-[a-f0-9]{32}", "key-"),
    ("age-secret-key", r"AGE-SECRET-KEY-1[A-Z0-9]{58}", "age-secret-key-"),
    ("azure-client-secret", r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}", "q~"),
    ("sentry-token", r"sntr[yu]s_[A-Za-z0-9+/=_\-]{40,}", "sntrys_ sntryu_"),
    ("pulumi-token", r"pul-[a-f0-9]{40}", "pul-"),
    ("dockerhub-token", r"dckr_pat_[A-Za-z0-9_\-]{27,}", "dckr_pat_"),
    ("rubygems-key", r"rubygems_[a-f0-9]{48}", "rubygems_"),
    ("notion-token", r"ntn_[0-9]{11}[A-Za-z0-9]{35}", "ntn_"),
    ("groq-key", r"gsk_[A-Za-z0-9]{48,}", "gsk_"),
    ("xai-key", r"xai-[A-Za-z0-9]{60,}", "xai-"),
    ("replicate-token", r"r8_[A-Za-z0-9]{37}", "r8_"),
    ("nvidia-key", r"nvapi-[A-Za-z0-9_\-]{60,}", "nvapi-"),
    ("perplexity-key", r"pplx-[A-Za-z0-9]{40,}", "pplx-"),
    ("figma-token", r"figd_[A-Za-z0-9_\-]{40,}", "figd_"),
    ("slack-token", r"xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]+", "xapp-"),
    ("flutterwave-key", r"FLW(?:SECK|PUBK)(?:_TEST)?-[a-hA-H0-9]{32}-X", "flwseck flwpubk"),
    ("artifactory-key", r"AKCp[A-Za-z0-9]{60,}", "akcp"),
    ("docker-config", r"eyJhdXRocyI6[A-Za-z0-9+/]{20,}={0,2}", "eyjhdxrocyi6"),  # base64 of {"auths":
    ("sonarqube-token", r"sq[upa]_[a-f0-9]{40}", "squ_ sqp_ sqa_"),
    ("buildkite-token", r"bkua_[a-f0-9]{40}", "bkua_"),
    ("supabase-token", r"sbp_[a-f0-9]{40}", "sbp_"),
    ("heroku-key", r"HRKU-AA[A-Za-z0-9_\-]{58}", "hrku-"),
    ("bitbucket-app-password", r"ATBB[A-Za-z0-9_=.\-]{32}", "atbb"),
    ("dynatrace-token", r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}", "dt0c01."),
    ("alibaba-access-key-id", r"LTAI[A-Za-z0-9]{20}", "ltai"),
)

# --- context rules -----------------------------------------------------------------

_QUOTED_OR_WORD = r"""(?:'[^'\n]*'|"[^"\n]*"|[^\s'"]+)"""


def _inner(m: re.Match[str], group: str) -> tuple[int, int]:
    """The span of `group` without the quotes around it."""
    s, e = m.span(group)
    v = m.group(group)
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return s + 1, e - 1
    return s, e


def _strip_end(line: str, s: int, e: int) -> int:
    """Where an unquoted value ends once trailing punctuation is dropped."""
    while e > s + 1 and line[e - 1] in ",;)]}>":
        e -= 1
    return e


_FLAG_WORDS = re.compile(r"[-_.]")
_FLAG_STRONG = frozenset({"password", "passwd", "passphrase", "pwd", "secret", "credentials", "credential", "creds",
                          "passin", "passout"})  # openssl -passin pass:X
_FLAG_WEAK = frozenset({"token", "key", "apikey", "auth", "pat"})


def _flag_spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
    """``--password X``, ``--api-key=X``, ``--token X``, ``-pass X``: by the flag's last word."""
    words = [w for w in _FLAG_WORDS.split(m.group("name").lower()) if w]
    if not words:
        return []
    last = words[-1]
    s, e = _inner(m, "v")
    value = m.string[s:e]
    if trivial(value) or value.startswith("-"):
        return []
    if m.group("v")[0] not in "'\"":
        e = _strip_end(m.string, s, e)
        value = m.string[s:e]
    if last in _FLAG_STRONG or (last.endswith(("pass", "password", "passwd")) and not value.isdigit()):
        if pathlike(value) or value in ("stdin", "-"):
            return []  # --password-file-like values: a path, not the password
        return [(s, e, "password" if last.startswith("pass") or last == "pwd" else "secret")]
    if last in _FLAG_WEAK or (len(words) > 1 and words[-2:] in (["api", "key"], ["access", "token"])):
        if looks_secret(value):
            return [(s, e, "token" if last == "token" else "api-key" if "key" in last else "credential")]
    return []


def _userpass_spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
    """``-u user:pass``, ``--user 'api:key-...'``: the part after the colon."""
    s, e = m.span("v")
    value = m.group("v")
    if trivial(value) or value.isdigit() or value == m.group("user"):
        return []  # -u 1000:1000 (uid:gid)
    return [(s, e, "password")]


_SHORT_FLAGS = (
    # (the command words, the flag, whether the value is glued to it: mysql -pSECRET)
    (r"mysql\w*|mariadb\w*", "p", True),
    (r"login|twine|sshpass|mongo\w*|mongosh", "p", False),
    (r"ldap\w+", "w", False),
    (r"redis-cli", "a", False),
    (r"codecov\w*|doctl", "t", False),
    (r"zip|unzip|sqlcmd|bcp|osql", "P", False),
    (r"7z|7za|7zr", "p", True),
)


def _short_flag_rule(commands: str, flag: str, glued: bool) -> Rule:
    gap = "" if glued else r"[ \t]+"
    pattern = re.compile(rf"\b(?:{commands})\b[^|;&\n]*?(?<!\S)-{flag}{gap}(?P<v>{_QUOTED_OR_WORD})")

    def spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
        s, e = _inner(m, "v")
        value = m.string[s:e]
        if trivial(value) or value.startswith("-"):
            return []
        return [(s, e, "password")]

    hints = tuple(w.rstrip("\\w+*") for w in re.split(r"\|", commands))
    return Rule("password", pattern, spans=spans, hints=hints)


def _value(kind: str) -> Callable[[re.Match[str]], list[tuple[int, int, str]]]:
    """Spans: the ``v`` group (inside its quotes, if quoted) as ``kind``, unless it is
    trivial (``none``, ``$TOKEN``, ``***``)."""

    def spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
        s, e = _inner(m, "v")
        return [] if trivial(m.string[s:e]) else [(s, e, kind)]

    return spans


def _htpasswd_spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
    """``htpasswd -b FILE USER PW``, ``htpasswd -nb USER PW``: with -b the password is
    the last argument (the third, or with -n, which has no file, the second)."""
    flags = m.group(1)
    if "b" not in flags:
        return []
    group = 3 if "n" in flags else 4
    if m.group(group) is None or trivial(m.group(group)):
        return []
    return [(m.start(group), m.end(group), "password")]


_PARAM_SCHEME = re.compile(r"[\w-]+=")


def _auth_spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
    """``Authorization: <scheme> <credentials>`` for any scheme; a credential alone too."""
    line = m.string
    scheme = m.group("scheme")
    q = m.group("q")
    start = m.end("scheme")
    stop = line.find(q, start) if q else -1
    end = stop if stop >= 0 else len(line)
    rest = line[start:end]
    if not rest.strip():  # "Authorization: <token>" with no scheme word
        if trivial(scheme) or not looks_token(scheme):
            return []
        return [(m.start("scheme"), m.end("scheme"), "authorization")]
    lead = len(rest) - len(rest.lstrip())
    s = start + lead
    body = rest[lead:]
    low = scheme.lower()
    if trivial(body):
        return []
    if _PARAM_SCHEME.match(body) and len(body) >= 16:
        # Digest, AWS4-HMAC-SHA256 Credential=..., OAuth ...: every parameter goes.
        return [(s, s + len(body.rstrip()), "authorization")]
    token = re.match(r"[^\s,;\"'`]+", body)
    if token is None:
        return []
    value = token.group(0)
    if low != "basic" and not looks_token(value) and len(value) < 8:
        return []
    if low in ("bearer",) and not looks_token(value):
        return []
    if not (low in ("basic", "bearer", "token", "negotiate", "ntlm") or looks_token(value) or looks_secret(value)):
        return []
    kind = {"bearer": "bearer-token", "basic": "basic-auth"}.get(low, "authorization")
    return [(s, s + len(value), kind)]


def _cookie_spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
    """Every value of a ``Cookie:`` header, the value of a ``Set-Cookie:``."""
    line = m.string
    start = m.end(0)
    q = m.group("q")
    stop = line.find(q, start) if q else -1
    end = stop if stop >= 0 else len(line)
    out: list[tuple[int, int, str]] = []
    for pm in re.finditer(r"(?:^|;)\s*(?P<n>[^=;\s]+)=(?P<v>[^;\s\"']*)", line[start:end]):
        v = pm.group("v")
        if len(v) >= 6 and not trivial(v):
            out.append((start + pm.start("v"), start + pm.end("v"), "cookie"))
        if m.group("set"):
            break  # then Path=, Expires=, Domain=: attributes, not values
    return out


_QUERY_STRONG = ("password", "passwd", "pwd", "pass", "secret", "signature", "sig", "credential")
_QUERY_WEAK = ("token", "key", "apikey", "api-key", "api_key", "auth", "code", "session", "sessionid", "jwt")


def _query_spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
    """``?token=``, ``&sig=``, ``&X-Amz-Signature=``, ``?api_key=``: by the parameter's name."""
    name = m.group("name").lower()
    value = m.group("v")
    if trivial(value):
        return []
    if name.endswith(_QUERY_STRONG) and not name.endswith(("_len", "-len")):
        if name.endswith("pass") and value.isdigit():
            return []
        if name.endswith(("signature", "sig")) and len(value) < 8:
            return []
        return [(m.start("v"), m.end("v"), "url-secret")]
    if name.endswith(_QUERY_WEAK) and looks_secret(value.replace("%2F", "/").replace("%3D", "=")):
        return [(m.start("v"), m.end("v"), "url-secret")]
    return []


def _xml_spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
    """``<password>X</password>``, ``<apiToken>X</apiToken>``: by the element's name."""
    name = m.group("name").rsplit(":", 1)[-1]
    value = m.group("v").strip()
    if trivial(value) or not secret_name(name):
        return []
    words = [w.lower() for w in _WORD_SPLIT.split(name) if w]
    if not any(w in _STRONG_WORDS or w.startswith("pass") for w in words) and not looks_secret(value):
        return []
    s = m.start("v") + (len(m.group("v")) - len(m.group("v").lstrip()))
    return [(s, s + len(value), "password" if any(w.startswith("pass") for w in words) else "secret")]


def _webhook_spans(m: re.Match[str]) -> list[tuple[int, int, str]]:
    """The secret path of a webhook URL (``/services/T.../B.../...``, ``/api/webhooks/ID/TOKEN``)."""
    value = m.group("s")
    if PREFIX in value or not random_segment(value):
        return []
    return [(m.start("s"), m.end("s"), "webhook")]


def _url_password_check(value: str) -> bool:
    return not trivial(value)


def _context_rules(ds: dict[str, list[re.Pattern[str]]]) -> tuple[Rule, ...]:
    basic_auth = ds["BasicAuthDetector"][0]
    return (
        # URL userinfo: detect-secrets' BasicAuthDetector, then ours for passwords it
        # does not read (symbols, an empty user: redis://:pw@host) and a token as the user.
        Rule("url-password",
             re.compile(r"://(?P<user>[^\s:@/'\"]*):(?P<s>[^\s/'\"]+)@(?=[A-Za-z0-9\[])"),
             group="s", hints=("://",), check=_url_password_check),
        Rule("url-password", basic_auth, group=1, hints=("://",), check=_url_password_check),
        Rule("url-token", re.compile(r"://(?P<s>[^\s:@/'\"]{20,})@"), group="s", hints=("://",), check=strong_random),
        # Webhooks whose path is the secret.
        Rule("webhook", re.compile(r"(?i)https?://[^\s/'\"]*hook[^\s/'\"]*/[^\s/'\"?#]+/(?P<s>[^\s'\"?#<>]+)"),
             spans=_webhook_spans, hints=("hook",)),
        Rule("webhook", re.compile(r"(?i)/(?:api/)?webhooks?/(?P<s>[^\s'\"?#<>]+)"), spans=_webhook_spans,
             hints=("webhook",)),
        # Query parameters.
        Rule("url-secret", re.compile(r"[?&;](?P<name>[A-Za-z][\w.\-]*)=(?P<v>[^&\s#'\"<>;]+)"), spans=_query_spans,
             hints=("?", "&")),
        # HTTP headers.
        Rule("authorization",
             re.compile(r"(?i)\b(?:proxy-)?authorization\\?[\"']?\s*[:=]\s*(?P<q>\\?[\"']?)(?P<scheme>[^\s\"',;`]+)"),
             spans=_auth_spans, hints=("authorization",)),
        Rule("cookie", re.compile(r"(?i)\b(?P<set>set-)?cookie[\"']?\s*[:=]\s*(?P<q>[\"']?)"), spans=_cookie_spans,
             hints=("cookie",)),
        # A bearer token outside a header (curl -H, SDK debug output).
        Rule("bearer-token", re.compile(r"\b(?:Bearer|bearer|BEARER)\s+(?P<s>[A-Za-z0-9._~+/=\-]+)"), group="s",
             check=lambda v: looks_token(v) and not trivial(v), hints=("bearer",)),
        # Command lines.
        Rule("password",
             re.compile(r"(?<![\w-])(?:-u|--user|--creds|--proxy-user)(?:=|[ \t]+)['\"]?(?P<user>[A-Za-z0-9_.@\-]+):(?P<v>[^\s'\"]+)"),
             spans=_userpass_spans, hints=("-u ", "-u=", "--user", "--creds", "--proxy-user")),
        *(_short_flag_rule(c, f, g) for c, f, g in _SHORT_FLAGS),
        Rule("password", re.compile(rf"(?<![\w-])--?(?P<name>[A-Za-z][\w.-]*)(?:=|[ \t]+)(?P<v>(?!-){_QUOTED_OR_WORD})"),
             spans=_flag_spans, hints=("pass", "pwd", "secret", "token", "key", "auth", "cred", "pat")),
        # "aws configure set aws_secret_access_key X", "npm config set _auth X": by the name.
        Rule("password", re.compile(r"\bconfig(?:ure)?\s+set\s+(?P<name>[^\s=]+)[ \t]+(?P<v>[^\s'\"]+)"),
             spans=_flag_spans, hints=("config",)),
        # XML elements (Maven's settings.xml, NuGet.config echoed): <password>X</password>.
        Rule("password", re.compile(r"<(?P<name>[A-Za-z][\w:.\-]*)>(?P<v>[^<>\s][^<>]*)</(?P=name)>"),
             spans=_xml_spans, hints=("</",)),
        # .NET config: <add key="ClearTextPassword" value="X" />.
        Rule("password", re.compile(r"""\b(?:key|name)=(?P<q>["'])(?P<name>[^"'<>]+)(?P=q)\s+value=(?P<q2>["'])(?P<v>[^"'<>]*)(?P=q2)"""),
             spans=_xml_spans, hints=("value=",)),
        # SonarQube's analysis token under its old name, and CLIs that take a token as
        # their argument: "vault login s.XXXX", "snyk auth UUID".
        Rule("token", re.compile(r"sonar\.login=(?P<v>[^\s'\"]+)"), spans=_value("token"), hints=("sonar.login=",)),
        Rule("token", re.compile(r"\b(?:vault[ \t]+login|snyk[ \t]+auth)[ \t]+(?P<v>(?!-)[^\s'\"]+)"), spans=_value("token"),
             hints=("vault", "snyk")),
        # The password of other clients' own syntax: "lftp -u user,pw", "smbclient -U
        # user%pw", "net use \\\\srv\\share /user:u pw", "SSHPASS=pw sshpass -e",
        # "htpasswd -b file user pw" (-n: no file), a token piped into "--password-stdin".
        Rule("password", re.compile(r"\blftp\b[^|;&\n]*?(?<!\S)-u[ \t]+['\"]?[^\s,'\"]+,(?P<v>[^\s'\"]+)"),
             spans=_value("password"), hints=("lftp",)),
        Rule("password", re.compile(r"\b(?:smb\w*|rpcclient|net)\b[^|;&\n]*?(?<!\S)-U[ \t]+['\"]?[^\s%'\"]+%(?P<v>[^\s'\"]+)"),
             spans=_value("password"), hints=("smb", "rpcclient", "net ")),
        Rule("password", re.compile(r"(?i)\bnet\s+use\b[^|;&\n]*?/user:\S+[ \t]+(?P<v>[^\s/'\"]+)"),
             spans=_value("password"), hints=("/user:",)),
        Rule("password", re.compile(rf"\bSSHPASS=(?P<v>{_QUOTED_OR_WORD})"), spans=_value("password"), hints=("sshpass=",)),
        Rule("password", re.compile(r"\bhtpasswd((?:[ \t]+-[A-Za-z]+)+)[ \t]+(\S+)[ \t]+(\S+)(?:[ \t]+(\S+))?"),
             spans=_htpasswd_spans, hints=("htpasswd",)),
        Rule("password", re.compile(rf"\b(?:echo|printf(?:[ \t]+['\"]?%s['\"]?)?)(?:[ \t]+-n)?[ \t]+(?P<v>{_QUOTED_OR_WORD})"
                                    r"[ \t]*\|[^|;&\n]*--password-stdin"), spans=_value("password"), hints=("--password-stdin",)),
        # "gh secret set NAME --body X": the value of a secret being set.
        Rule("secret", re.compile(r"\bgh[ \t]+secret[ \t]+set\b[^|;&\n]*?(?<!\S)(?:--body(?:=|[ \t]+)|-b[ \t]*)"
                                  rf"(?P<v>{_QUOTED_OR_WORD})"), spans=_value("secret"), hints=("secret set",)),
        # A secret-named key assigned by subscript or define(): os.environ['API_KEY'] = 'X',
        # ENV["SECRET"] = "X", define('DB_PASSWORD', 'X').
        Rule("password", re.compile(r"""\[\s*(?P<q>["'])(?P<name>[A-Za-z_][\w.\-]*)(?P=q)\s*\]\s*=\s*(?P<q2>["'])(?P<v>[^"'\n]*)(?P=q2)"""),
             spans=_xml_spans, hints=("]",)),
        Rule("password", re.compile(r"""\bdefine\(\s*(?P<q>["'])(?P<name>[A-Za-z_][\w.\-]*)(?P=q)\s*,\s*(?P<q2>["'])(?P<v>[^"'\n]*)(?P=q2)"""),
             spans=_xml_spans, hints=("define(",)),
        # SQL: CREATE USER u IDENTIFIED BY 'pw', ALTER USER u WITH PASSWORD 'pw'.
        Rule("password", re.compile(r"(?i)\b(?:identified\s+by|password)\s+'(?P<s>[^']+)'"), group="s",
             check=lambda v: not trivial(v), hints=("identified", "password")),
        # GitHub Actions' ::add-mask::VALUE: the value is a secret by declaration.
        Rule("masked-value", re.compile(r"::add-mask::(?P<s>\S.*?)\s*$"), group="s",
             check=lambda v: not trivial(v), hints=("::add-mask::",)),
        # .netrc: "machine h login u password p", or "password p" on a line of its own.
        Rule("password", re.compile(r"\blogin\s+\S+\s+password\s+(?P<s>\S+)"), group="s",
             check=lambda v: not trivial(v), hints=("password",)),
        Rule("password", re.compile(r"^\s*password\s+(?P<s>\S+)\s*$"), group="s",
             check=lambda v: not trivial(v), hints=("password",)),
    )


def build_rules(ds: dict[str, list[re.Pattern[str]]]) -> tuple[Rule, ...]:
    """The exact rules, in the order they run: provider tokens, then context rules.
    `ds`: detect-secrets' denylists by plugin name."""
    aws_id, aws_secret = ds["AWSKeyDetector"]
    slack_token, slack_webhook = ds["SlackDetector"]
    provider = (
        # detect-secrets: AWSKeyDetector (access key id; exactly 20 characters).
        _token("aws-access-key", _ds(aws_id), "akia asia abia acca a3t", tail=False),
        # detect-secrets: AWSKeyDetector (secret key quoted near "aws ... key").
        Rule("aws-secret-key", aws_secret, group=1, hints=("aws",)),
        # detect-secrets: GitHubTokenDetector, GitLabTokenDetector (all its families).
        _token("github-token", _ds(ds["GitHubTokenDetector"][0]), "ghp_ gho_ ghu_ ghs_ ghr_"),
        _token("gitlab-token", "(?:" + "|".join(_ds(p) for p in ds["GitLabTokenDetector"]) + ")",
               "glpat- gldt- glft- glsoat- glrt- gr1348941 glcbt- glimt- glptt- glagent- gloas-"),
        # detect-secrets: SlackDetector.
        _token("slack-token", _ds(slack_token), "xox"),
        Rule("slack-webhook", slack_webhook, keep="https://hooks.slack.com/services/", hints=("hooks.slack.com",)),
        # detect-secrets: StripeDetector, SendGridDetector, TwilioKeyDetector, OpenAIDetector,
        # PypiTokenDetector, DiscordBotTokenDetector, MailchimpDetector, SquareOAuthDetector.
        _token("stripe-key", _ds(ds["StripeDetector"][0]), "k_live_"),
        _token("sendgrid-key", _ds(ds["SendGridDetector"][0]), "sg."),
        _token("twilio-key", "(?:" + "|".join(_ds(p) for p in ds["TwilioKeyDetector"]) + ")", "ac sk", tail=False),
        _token("openai-key", _ds(ds["OpenAIDetector"][0]), "sk-"),
        _token("pypi-token", "(?:" + "|".join(_ds(p) for p in ds["PypiTokenDetector"]) + ")", "pypi-"),
        _token("discord-token", _ds(ds["DiscordBotTokenDetector"][0]), "discord bot"),
        _token("mailchimp-key", _ds(ds["MailchimpDetector"][0]), "-us", tail=False),
        _token("square-token", _ds(ds["SquareOAuthDetector"][0]), "sq0csp-"),
        # detect-secrets: TelegramBotTokenDetector (unanchored; after "bot" in API URLs).
        _token("telegram-token", _ds(ds["TelegramBotTokenDetector"][0]), ":aa", tail=False, left=r"(?<!\d)"),
        # Ours: current OpenAI-style keys (sk-proj-..., sk-ant-...) without the legacy marker.
        _token("openai-key", r"sk-[A-Za-z0-9_\-]{20,}", "sk-", tail=False, check=mixed_alnum),
        *(_token(kind, body, hints) for kind, body, hints in _PROVIDER_TOKENS),
        # detect-secrets: NpmDetector (.npmrc _authToken).
        Rule("npm-token", ds["NpmDetector"][0], group=1, hints=("_authtoken",)),
        # detect-secrets: JwtTokenDetector, extended over the signature (its lazy tail
        # would match an empty signature under substitution).
        _token("jwt", _ds(ds["JwtTokenDetector"][0]) + r"[A-Za-z0-9_.+/=\-]*", "eyj", tail=False),
        # detect-secrets: AzureStorageKeyDetector.
        Rule("azure-storage-key", ds["AzureStorageKeyDetector"][0], keep="AccountKey=", hints=("accountkey=",)),
        # A private key as base64 (kubeconfig client-key-data).
        _token("private-key", r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,}={0,2}", "ls0tls1crudjti", tail=False,
               check=_pem_base64),
        # An unknown provider's prefix_<random> token (hf_..., lin_api_..., glsa_...).
        _token("token", r"[a-z][a-z0-9]{1,9}_(?:[a-z0-9]{1,9}_)?[A-Za-z0-9]{24,}", "_", tail=False,
               check=_prefixed_token, left=r"(?<![A-Za-z0-9_\-.])"),
    )
    return provider + _context_rules(ds)


# --- name = value pairs ------------------------------------------------------------


def spellings(*words: str) -> str:
    """``key`` -> ``key|Key|KEY``: how keywords are written in practice."""
    out: list[str] = []
    for w in words:
        for v in (w, w[:1].upper() + w[1:], w.upper()):
            if v not in out:
                out.append(v)
    return "|".join(out)


# The name must END with the keyword: password_reset_count=3 and token_budget=76659
# are not secrets.
KEYWORDS = ("password", "passwd", "passphrase", "pass", "pwd", "secret_id", "secretId", "secret", "token", "key_id",
            "key", "auth", "pat",
            "credentials", "credential", "creds", "dockerconfigjson", "dockercfg")
# The pattern starts at the keyword (a literal, which Python's re finds fast); the
# rest of the name is read backwards from there. Values: quoted (also with JSON's
# escaped quotes, a JSON log line carrying JSON) or up to the next blank.
PAIR = re.compile(
    r"(?P<kw>" + spellings(*KEYWORDS) + r")"
    r"(?P<nq>\\?[\"']?)[ \t]*(?::=|=>|[:=])[ \t]*"
    r"(?:\\\"(?P<ev>[^\"\\]+)\\\"|(?P<wrap>[A-Za-z_][\w.]*\()?(?P<q>[\"'`])(?P<qv>(?:(?!(?P=q))[^\n])+)(?P=q)"
    r"|(?P<v>[^\s\"'`]+))"
)
# <name>_key / <name>_token pairs that are ids, not credentials.
_NOT_SECRET_NAMES = frozenset(
    "cache primary foreign sort partition routing object s3 idempotency lookup dedup group "
    "hash range public next page continuation pagination cursor sync resume map dict "
    "registry row column index license ssh_public csrf xsrf".split()
)
_KEY_PREFIXES = ("api", "access", "secret", "private", "auth", "client", "master", "session", "refresh", "app",
                 "account", "signing", "encryption", "identity", "oauth", "bearer", "id")
_STRONG_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "secret", "secrets", "credential",
                           "credentials", "creds", "dockerconfigjson", "dockercfg"})
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_WORD_SPLIT = re.compile(r"[_.\-]+|(?<=[a-z0-9])(?=[A-Z])")


def name_start(line: str, end: int) -> int:
    """Where the ``[A-Za-z0-9_.-]`` run ending at `end` starts."""
    start = end
    while start and line[start - 1] in _NAME_CHARS:
        start -= 1
    return start


def pair_kind(name: str, kw: str, value: str, quoted_name: bool, sep: str = "=") -> str | None:
    """The kind for ``name=value`` when it should be redacted, else None."""
    if trivial(value):
        return None
    low = kw.lower()
    prefix = name[: len(name) - len(kw)]
    if prefix and len(low) <= 5:  # key, token, auth, pass, pwd glued to a word
        camel = prefix[-1].isalnum() and not prefix[-1].isupper() and kw[0].isupper()
        sep_char = prefix[-1] in "_.-"
        if not (camel or sep_char or prefix.lower().endswith(_KEY_PREFIXES)):
            return None  # monkey=..., bypass=..., hotkey=...
    words = [w.lower() for w in _WORD_SPLIT.split(name.strip("_.-")) if w]
    if low == "key_id":
        return "private-key-id" if len(words) >= 3 and words[-3] == "private" and len(value) >= 16 else None
    if "aws" in words and (low in ("key", "secret") or "secret" in words):
        return "aws-secret-key"
    if low.startswith("pass") or low == "pwd":
        if low == "pass" and not prefix and not quoted_name:
            return None  # "pass: 120" in a test summary
        if low == "pwd" and value[0] in "/~":
            return None  # the shell's PWD=/home/runner/work
        if low == "pass" and value.isdigit():
            return None
        return "password" if _not_prose(value, sep) else None
    if low == "secret" or any(w in _STRONG_WORDS for w in words[:-1]) or low in _STRONG_WORDS:
        return ("secret" if "secret" in words else "credential") if _not_prose(value, sep) else None
    # key, token, auth: only when the value looks machine-generated; a bare "key" only
    # as a quoted name, and never one of the id-like names.
    if not prefix:
        if low == "key":
            return None
        if not quoted_name and not strong_random(value):
            return None  # "stream/token: com.apple.xpc.activity/4505"
    else:
        last = words[-2] if len(words) >= 2 else ""
        if last in _NOT_SECRET_NAMES:
            return None
    if not looks_secret(value):
        return None
    return {"key": "api-key", "token": "token", "pat": "token"}.get(low, "credential")


def secret_name(name: str) -> bool:
    """A variable name that says its value is a credential (``API_TOKEN``,
    ``db_password``, ``clientSecret``), not an id (``CACHE_KEY``, ``next_page_token``)."""
    words = [w.lower() for w in _WORD_SPLIT.split(name.strip("_.-")) if w]
    if not words:
        return False
    if any(w in _STRONG_WORDS or w.startswith("pass") for w in words):
        return True
    return words[-1] in ("token", "key", "pat", "apikey", "auth") and (len(words) == 1 or words[-2] not in _NOT_SECRET_NAMES)


def _not_prose(value: str, sep: str) -> bool:
    """``password: required``, ``secret: not set``: a word of a sentence, not a value."""
    return not (sep == ":" and value.isalpha() and value.islower() and len(value) < 12 and value in _PROSE)


_PROSE = frozenset({"required", "missing", "invalid", "incorrect", "expired", "wrong", "changed", "reset", "set",
                    "unset", "not", "none", "is", "was", "for", "authentication", "mismatch", "ok", "accepted",
                    "failed", "denied", "too", "must", "should", "has", "provided", "given", "updated", "rotated"})


# --- prefilter ---------------------------------------------------------------------

# Literal prefixes of the provider tokens and the words of the context rules. Rust
# regex, no lookarounds; keyword triggers list the lower, Title and UPPER spelling of
# each word instead of using (?i), which would cost the engine its literal prefilter.
TRIGGER_TOKENS = "|".join(
    (
        r"AKIA|ASIA|ABIA|ACCA|A3T",  # aws access key
        spellings("aws"),  # aws secret key near "aws" (that rule is case-insensitive)
        r"gh[pousr]_|github_pat_",
        r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas|sa|c)[-_]|GR1348941",
        r"(?:xox|XOX|Xox)[A-Za-z]-|xapp-",  # slack (the rule is case-insensitive)
        r"hooks\.slack\.com",
        r"[rs]k_(?:live|test)_|whsec_|SG\.|sk-|AIza|GOCSPX-|ya29\.|npm_|pypi-|_authToken|eyJ|AccountKey=",
        r"(?:AC|SK)[a-z0-9]{32}",  # twilio
        r"-us[0-9]",  # mailchimp
        r":AA[0-9A-Za-z_\-]{33}",  # telegram
        r"sq0csp-|do[opr]_v1_|hv[sbr]\.|\.atlasv1\.|hf_|shp(?:at|ca|pa|ss)_|dapi[a-f0-9]|dp\.(?:st|ct|sa|scim|audit|pt)\.",
        r"NR(?:AK|II|JS|AA)-|lin_(?:api|oauth)_|PMAK-|ATATT3|key-[a-f0-9]{32}|AGE-SECRET-KEY-|Q~",
        r"sntr[yu]s_|pul-[a-f0-9]|dckr_pat_|rubygems_|ntn_|gsk_|xai-|r8_|nvapi-|pplx-|figd_|FLW(?:SECK|PUBK)|AKCp",
        r"sq[upa]_[a-f0-9]|bkua_|sbp_|HRKU-|ATBB|dt0c01\.|LTAI",
        r"LS0tLS1CRUdJTi",
        r"[a-z0-9]_[A-Za-z0-9]{24}",  # an unknown provider's prefix_<random> token
        r"PRIVATE KEY|PuTTY-User-Key-File-",
    )
)
# The context rules: URL userinfo and secret paths, headers, cookies, command flags, .netrc.
TRIGGER_CONTEXT = "|".join(
    (
        r"://[^\s@/]*:[^\s@/]*@|://[^\s:@/]{20,}@",
        r"[Ww]ebhook|WEBHOOK|hook[^\s/]*/",
        r"(?:Signature|signature|SIGNATURE)=|[?&;](?:sig|code|session|sessionid|jwt)=",
        r"::add-mask::|config(?:ure)?\s+set\s",
        spellings("bearer", "authorization", "cookie"),
        r"(?:-u|--user|--creds|--proxy-user)[ \t=]+['\"]?[^\s:'\"]+:",
        r"(?:mysql|mariadb|mongo|login|twine|sshpass|ldap[a-z]+|redis-cli)[^|;&]* -[pwa]",
        r"(?:codecov|doctl)[^|;&]* -t|(?:zip|sqlcmd|bcp|osql)[^|;&]* -P|7z[ar]?[^|;&]* -p|-pass(?:in|out)[ \t]",
        r"lftp|smbclient|rpcclient|-U[ \t]+\S+%|/user:|SSHPASS=|htpasswd|--password-stdin|secret set|define\(",
        r"\[[ \t]*[\"'][A-Za-z0-9_.\-]*(?:TOKEN|[Tt]oken|SECRET|[Ss]ecret|PASSWORD|[Pp]assword|PASS|[Pp]ass|KEY|[Kk]ey|PWD|AUTH|[Aa]uth)[\"'][ \t]*\][ \t]*=",
        r"sonar\.login=|(?:vault login|snyk auth)[ \t]+[^\s-]",
        r"-[A-Za-z0-9_.\-]*(?:password|passwd|passphrase|pass|pwd|secret|token|key|auth|credentials|credential|creds|pat)[= \t]",
        r"(?:IDENTIFIED|identified|Identified) (?:BY|by|By)|(?:PASSWORD|password|Password) '",
        r"name:[ \t]*[\"']?[A-Za-z0-9_.\-]*(?:TOKEN|[Tt]oken|SECRET|[Ss]ecret|PASSWORD|[Pp]assword|PASS|KEY|[Kk]ey|PAT|CREDENTIALS)[\"']?[ \t]*$",
        r"login\s+\S+\s+password\s|password[ \t]+\S+\s*$",  # .netrc (no ^: it costs the literal scan)
    )
)
# name = value pairs, by their keyword.
# "pass" only after a separator, a quote or a lower-case letter (DB_PASS=, 'pass':,
# dbPass=), never alone: go test's "--- PASS:" lines are not candidates.
TRIGGER_PAIRS = (r"(?:" + spellings(*(k for k in KEYWORDS if k != "pass"))
                 + r"|_pass|_Pass|_PASS|-pass|\.pass|'pass|\"pass|Pass|pass=|PASS=|<pass)(?:\\?[\"']?[ \t]*[:=]|>)")
