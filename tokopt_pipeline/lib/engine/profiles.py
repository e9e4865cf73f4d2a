"""Log profiles: the tagging rules of each kind of log, and automatic detection.

A profile is an ordered list of :class:`Rule` (first match wins) placed in front of
the generic rules that every profile shares. Patterns use the Rust regex syntax of
polars; ``(?-u:\\b)`` is an ASCII word boundary, which keeps the regex engine on its
fast path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from tokopt_pipeline.lib.engine.priority import Level, Rule, UsageError

B = r"(?-u:\b)"
C, H, M, L, V = Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW, Level.VERBOSE

# Explicit severity fields near the start of a line decide before any keyword does:
# "INFO ... Failed to connect, retrying" is information, not an error.
# They are looked for in the first HEAD characters of a line.
HEAD = 160
EXPLICIT = [
    Rule(B + r"(FATAL|CRITICAL|CRIT|EMERG|EMERGENCY|PANIC|ALERT)" + B, C, "explicit severity", HEAD),
    Rule(r"(\[|<|\s|^)(ERROR|ERR|SEVERE|E)(\]|>|:|\s)", H, "explicit severity", HEAD),
    Rule(B + r"(ERROR|SEVERE)" + B, H, "explicit severity", HEAD),
    Rule(B + r"(WARN|WARNING)" + B, M, "explicit severity", HEAD),
    Rule(B + r"(DEBUG|TRACE|FINE|FINER|FINEST|VERBOSE)" + B, V, "explicit severity", HEAD),
    Rule(B + r"(INFO|NOTICE|I)" + B + r"[\s:\]]", L, "explicit severity", HEAD),
]

GENERIC = [
    Rule(r"(?i)" + B + r"(kernel panic|segmentation fault|segfault|core dumped|SIGSEGV|SIGABRT|SIGKILL|out of memory|oom-?kill(ed|er)?|stack overflow|fatal error|panic:|unhandled exception|uncaught exception)" + B, C, "crash"),
    Rule(B + r"(FATAL|Fatal|CRITICAL)" + B, C, "fatal"),
    Rule(r"^(fatal|error): \S", H, "tool error"),
    Rule(r"(^|\s)(--- FAIL:|FAIL:|FAILED|FAILURE!|BUILD FAILURE|Tests? FAILED)(\s|$|\b)", C, "test failure"),
    Rule(r"Process completed with exit code [1-9]", C, "job failure"),
    Rule(r"Traceback \(most recent call last\)", H, "traceback"),
    Rule(r"^\s*(at [\w$.<>]+\(.*\)|Caused by: |\.\.\. \d+ more)", H, "java stack frame"),
    Rule(B + r"[A-Z]\w*(Error|Exception|Exit|Interrupt|Fault)" + B, H, "exception type"),
    Rule(B + r"(ERROR|Error|error|ERR|SEVERE)" + B, H, "error"),
    Rule(r"(?i)" + B + r"(exception|fail(ed|ure|ing|s)?|crash(ed)?|abort(ed|ing)?|timed? ?out|refused|denied|unreachable|cannot|can't|could not|unable to)" + B, H, "failure word"),
    Rule(r"(?i)exit (code|status) [1-9]", H, "exit code"),
    Rule(r"(?i)" + B + r"(warn(ing)?s?|deprecat\w*|retry(ing)?|retries)" + B, M, "warning"),
    Rule(r"(?i)^\s*(debug|trace)" + B, V, "debug"),
]

PYTEST = [
    Rule(r"^(FAILED|ERROR) \S*(::|\.py(?-u:\b))", C, "pytest short summary"),
    Rule(r"^(platform \S+ -- Python |plugins: |rootdir: |cachedir: |configfile: |hypothesis profile )", L, "pytest header"),
    Rule(r"\S::\S.* (FAILED|ERROR)(\s|$)", C, "pytest result"),
    Rule(r"\S::\S.* (PASSED|SKIPPED|XFAIL|XPASS|XFAILED|XPASSED)(\s|$)", L, "pytest result"),
    Rule(r"^_{3,} coverage: ", L, "coverage report banner"),
    Rule(r"^_{3,} .+ _{3,}$", C, "pytest failure section"),
    Rule(r"^=+ .*" + B + r"(\d+ (failed|errors?))" + B + r".* in [\d.]+s.*=+$", C, "pytest totals"),
    Rule(r"^=+ .* in [\d.]+s.*=+$", L, "pytest totals"),
    Rule(r"^E\s", H, "pytest assertion"),
    Rule(r"^\S+:\d+: [A-Z]\w*(Error|Exception|Exit|Interrupt)$", H, "pytest crash line"),
    Rule(r"^(DEBUG|INFO)\s+\S+:\S+:\d+ ", V, "pytest captured log"),
    Rule(r"^(WARNING)\s+\S+:\S+:\d+ ", M, "pytest captured log"),
    Rule(r"^(ERROR|CRITICAL)\s+\S+:\S+:\d+ ", H, "pytest captured log"),
]

GITHUB_ACTIONS = [
    Rule(r"Process completed with exit code [1-9]", C, "job failure"),
    Rule(r"^##\[error\]", H, "error annotation"),
    Rule(r"^::error", H, "error annotation"),
    Rule(r"^(##\[warning\]|::warning)", M, "warning annotation"),
    Rule(r"^(##\[(group|endgroup|debug|command)\]|::(group|endgroup|debug))", V, "runner markup"),
]

JAVA = [
    Rule(r"<<< (FAILURE|ERROR)!", C, "surefire failure"),
    Rule(r"Tests run: \d+, Failures: (\d*[1-9]\d*), |Tests run: \d+, Failures: \d+, Errors: (\d*[1-9]\d*)", C, "surefire totals"),
    Rule(r"BUILD FAILURE", C, "build failure"),
    Rule(r"^\[ERROR\]", H, "maven error"),
    Rule(r"^\[WARN(ING)?\]", M, "maven warning"),
    Rule(r"^\[INFO\]", L, "maven info"),
]

JSON_LINES = [
    Rule(r'(?i)"(level|severity|lvl|log\.level)"\s*:\s*"(fatal|critical|crit|emerg|alert|panic)"', C, "json level"),
    Rule(r'(?i)"(level|severity|lvl|log\.level)"\s*:\s*"(error|err|severe)"', H, "json level"),
    Rule(r'(?i)"(level|severity|lvl|log\.level)"\s*:\s*"(warn|warning)"', M, "json level"),
    Rule(r'(?i)"(level|severity|lvl|log\.level)"\s*:\s*"(info|notice)"', L, "json level"),
    Rule(r'(?i)"(level|severity|lvl|log\.level)"\s*:\s*"(debug|trace)"', V, "json level"),
    Rule(r'"(level|severity)"\s*:\s*(50|60)\b', C, "pino level"),
    Rule(r'"(level|severity)"\s*:\s*(40)\b', H, "pino level"),
]

SYSLOG: list[Rule] = [
    Rule(r"(?i)" + B + r"(kernel: .*(Oops|BUG:|Call Trace))", C, "kernel oops"),
]

PYTHON_LOGGING: list[Rule] = []


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    rules: list[Rule] = field(default_factory=list)
    explicit_first: bool = True

    def all_rules(self, extra: list[Rule] | None = None, active: frozenset[str] | None = None) -> list[Rule]:
        """User rules, then the profile's own, then the runner packs' (the ``active``
        ones; all when None), then explicit severities, then generic."""
        from tokopt_pipeline.lib.engine import packs

        return (list(extra or []) + list(self.rules) + packs.rules(active)
                + (EXPLICIT if self.explicit_first else []) + GENERIC)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in [
        Profile("pytest", "pytest output: results, failure sections, tracebacks, totals", PYTEST),
        Profile("github-actions", "GitHub Actions job logs (runner markup, annotations)", GITHUB_ACTIONS + PYTEST),
        Profile("python-logging", "Python logging (asctime levelname name: message)", PYTHON_LOGGING),
        Profile("java", "Java / log4j / Maven Surefire", JAVA),
        Profile("syslog", "syslog and journald text", SYSLOG),
        Profile("json-lines", "one JSON object per line with a level field", JSON_LINES),
        Profile("generic", "any text log", []),
    ]
}

# Evidence for each profile, counted per line (``^`` and ``$`` are the line's ends).
_DETECT = [
    ("github-actions", r"^(##\[(group|endgroup|error|warning|command)\]|::(group|error|warning)::)|Current runner version: "),
    ("pytest", r"^=+ test session starts =+$|^collected \d+ items|\S+\.py::\S+ (PASSED|FAILED|ERROR|SKIPPED)"),
    ("java", r"^\s+at [\w$.]+\([\w$]+\.java:\d+\)|^\[INFO\] (Building|BUILD|---)|\blog4j\b|^\d{4}-\d\d-\d\d[ T][\d:,.]+ +(INFO|WARN|ERROR|DEBUG) +\[[^\]]+\] [\w.$]+"),
    ("python-logging", r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [-\w.]* ?(DEBUG|INFO|WARNING|ERROR|CRITICAL) |^(DEBUG|INFO|WARNING|ERROR|CRITICAL):[\w.]+:"),
    ("syslog", r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w\-./()]+(\[\d+\])?: "),
]


def detect_profile(sample_lines: list[str]) -> str:
    """Guess the profile from the first lines of a log (a few hundred suffice)."""
    lines = [l for l in sample_lines[:2000] if l.strip()]
    if not lines:
        return "generic"
    head = lines[:500]
    json_like = sum(1 for l in head if l.lstrip().startswith("{"))
    if json_like >= max(3, len(head) * 0.6):
        ok = 0
        for l in head[:50]:
            try:
                ok += isinstance(json.loads(l), dict)
            except ValueError:
                pass
        if ok >= min(3, len(head)):
            return "json-lines"
    found = pl.DataFrame({"line": lines}).select(
        pl.col("line").str.count_matches(pattern).sum().alias(name) for name, pattern in _DETECT
    )
    scores = {name: int(found[name][0]) for name, _ in _DETECT}
    if scores["github-actions"] >= 1:
        return "github-actions"
    if scores["pytest"] >= 1:
        return "pytest"
    best = max(scores.items(), key=lambda kv: kv[1])
    if best[1] >= max(2, len(lines) * 0.05):
        return best[0]
    return "generic"


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UsageError(f"unknown profile {name!r}: use one of {', '.join(PROFILES)} or auto") from None
