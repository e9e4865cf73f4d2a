"""Runner pack: JavaScript and TypeScript (to be filled)."""

from .base import Pack

# --- test runners ---
RUNNER_RULES: tuple = ()
RUNNER_TESTS: tuple = ()
RUNNER_TOTALS: tuple = ()
RUNNER_BLOCKS: tuple = ()

# --- type checkers and linters ---
LINT_RULES: tuple = ()
LINT_TESTS: tuple = ()
LINT_TOTALS: tuple = ()
LINT_BLOCKS: tuple = ()

PACK = Pack(
    "js",
    "JavaScript/TypeScript test runners, type checker and linters",
    rules=RUNNER_RULES + LINT_RULES,
    tests=RUNNER_TESTS + LINT_TESTS,
    totals=RUNNER_TOTALS + LINT_TOTALS,
    block_starts=RUNNER_BLOCKS + LINT_BLOCKS,
)
