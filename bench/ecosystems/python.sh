#!/usr/bin/env bash
# Python ecosystem fixtures for the runner packs (tokopt_pipeline/lib/packs/python.py).
#
# Writes small sample projects, runs the real tools on them as a CI job would and keeps
# the console output (job.log), the tools' machine-readable output and a truth.json
# derived from it, one folder per case:
#   python-mypy       pip install, unittest -v (3 failing), mypy, mypy --strict --pretty
#   python-lint       pip install, pytest -v (passing), ruff check --output-format concise,
#                     ruff format --check, flake8
#   python-precommit  pre-commit run --all-files with local hooks (ruff, mypy, pygrep, unittest)
#   python-pip        pip: no matching version, resolution conflict, sdist build failure, OSError
#   python-sphinx     sphinx-build -W --keep-going, the doctest builder, Sphinx 7 -W
#   pytest-matrix     one suite with injected faults run by pytest on three interpreters
#
# Usage: bench/ecosystems/python.sh [OUT_DIR]   (default: tokopt_pipeline_tests/data/ecosystems)
# Needs: python3 (3.11; 3.12 and 3.13 through pyenv for the matrix when present), git,
# and PyPI through pip for the tool venvs (made once in $PY_WORK, default /tmp/py-work).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${1:-$HERE/../../tokopt_pipeline_tests/data/ecosystems}")
WORK=${PY_WORK:-/tmp/py-work}
CI_ROOT=/tmp/ci                      # projects live here: short, stable paths in the logs
WHEELS=$CI_ROOT/py-wheelhouse        # the jobs install from this folder only
OWN="invkit acme-app shopcore py-wheelhouse py-home py-src"   # what this script makes in $CI_ROOT
MYPY_V=2.4.1 RUFF_V=0.17.6 FLAKE8_V=7.5.0 PYTEST_V=9.2.0 TIMEOUT_V=2.4.0 SPHINX_V=9.0.4 PRECOMMIT_V=4.7.0

pyver() {  # the interpreter of a Python version: pyenv's, else python3
  local root; root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  local p; p=$(ls -d "$root"/versions/"$1".*/bin/python"$1" 2>/dev/null | sort -V | tail -1 || true)
  echo "${p:-python3}"
}
PY311=$(pyver 3.11); [ -x "$PY311" ] || PY311=python3

# --- tools: a venv with the checkers (for the report runs) and a wheelhouse for the jobs ----
setup_tools() {
  mkdir -p "$WORK"
  if [ ! -x "$WORK/venv/bin/mypy" ]; then
    "$PY311" -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q "mypy==$MYPY_V" "ruff==$RUFF_V" "flake8==$FLAKE8_V" "sphinx==$SPHINX_V" \
      "pre-commit==$PRECOMMIT_V" "pytest==$PYTEST_V" "pytest-timeout==$TIMEOUT_V"
  fi
  if [ ! -f "$WORK/wheelhouse/.done" ]; then
    "$WORK/venv/bin/pip" download -q -d "$WORK/wheelhouse" pip setuptools wheel "mypy==$MYPY_V" "ruff==$RUFF_V" \
      "flake8==$FLAKE8_V" "pytest==$PYTEST_V" "pytest-timeout==$TIMEOUT_V" "pre-commit==$PRECOMMIT_V" "sphinx==$SPHINX_V"
    "$WORK/venv/bin/pip" download -q -d "$WORK/wheelhouse" "sphinx==7.2.6"
    touch "$WORK/wheelhouse/.done"
  fi
  clean_ci; mkdir -p "$CI_ROOT/py-home"
  cp -r "$WORK/wheelhouse" "$WHEELS"; rm -f "$WHEELS/.done"
}

clean_ci() {  # remove this script's folders only ($CI_ROOT is shared with other generators)
  local x; for x in $OWN; do rm -rf "${CI_ROOT:?}/$x"; done
  rm -f "$CI_ROOT"/steps-python-*.tsv "$CI_ROOT"/steps-pytest-*.tsv
}

# --- running a job: "+ cmd" lines as a CI shell prints them, output appended to job.log -------
# Job commands run with a CI-like environment: no user pip config, the wheelhouse as the only
# package source, unbuffered output so stdout and stderr interleave as on a runner.
job_env() {
  env -i HOME="$CI_ROOT/py-home" PATH="$1/bin:/usr/bin:/bin" LANG=C.UTF-8 CI=true TERM=dumb \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 \
    PIP_FIND_LINKS="$WHEELS" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_COLOR=1 PIP_PROGRESS_BAR=off \
    PRE_COMMIT_HOME="$CI_ROOT/py-home/.cache/pre-commit" MYPY_FORCE_TERMINAL_WIDTH=100 COLUMNS=100 \
    VIRTUAL_ENV="$1" "${@:2}"
}
JOB_LOG= JOB_STEPS= JOB_VENV= JOB_DIR=
start_job() {  # start_job CASE DIR VENV
  CASE_DIR="$OUT/$1"; rm -rf "$CASE_DIR"; mkdir -p "$CASE_DIR"
  JOB_LOG="$CASE_DIR/job.log" JOB_DIR=$2 JOB_VENV=$3 JOB_STEPS="$CI_ROOT/steps-$1.tsv"
  : >"$JOB_LOG"; : >"$JOB_STEPS"
}
step() {  # step 'command line': printed, run in the job dir and venv; a failure does not stop the job
  printf '+ %s\n' "$1" >>"$JOB_LOG"
  local rc=0
  (cd "$JOB_DIR" && job_env "$JOB_VENV" bash -c "$1") >>"$JOB_LOG" 2>&1 </dev/null || rc=$?
  printf '%s\t%s\n' "$rc" "$1" >>"$JOB_STEPS"
}
quiet() {  # run a command of the job's setup or a report run, output not in the log
  (cd "$JOB_DIR" && job_env "$JOB_VENV" bash -c "$1") </dev/null
}
new_venv() {  # new_venv DIR [PYTHON]: a fresh job venv (the job's first step upgrades its pip)
  "${2:-$PY311}" -m venv "$1"
}
# --- sample project: invkit (an inventory toolkit) ----------------------------------
make_invkit() {
  local d=$1
  rm -rf "$d"; mkdir -p "$d/src/invkit" "$d/tests" "$d/tools"
  cat >"$d/pyproject.toml" <<'EOF'
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "invkit"
version = "0.4.0"
description = "Stock, orders and pricing for small warehouses"
requires-python = ">=3.10"

[project.optional-dependencies]
dev = ["pytest", "mypy", "ruff", "flake8"]

[tool.setuptools.packages.find]
where = ["src"]

[tool.mypy]
files = ["src"]
python_version = "3.11"
warn_unused_ignores = true

[tool.ruff]
line-length = 100
target-version = "py310"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM"]

[tool.ruff.lint.per-file-ignores]
"tests/*" = ["E501"]
EOF
  cat >"$d/.flake8" <<'EOF'
[flake8]
max-line-length = 100
exclude = .git,.venv,build
per-file-ignores = tests/*:E501
EOF
  cat >"$d/src/invkit/__init__.py" <<'EOF'
"""invkit: stock, orders and pricing for small warehouses."""

__version__ = "0.4.0"
EOF
  cat >"$d/src/invkit/sku.py" <<'EOF'
"""Stock keeping units: ``AB-0017`` = a two-letter family and a number."""

from __future__ import annotations

import re, os

_SKU = re.compile(r"^([A-Z]{2})-(\d{4})$")


class SkuError(ValueError):
    """A string that is not a SKU."""


def parse_sku(text: str) -> tuple[str, int]:
    m = _SKU.match(text.strip())
    if not m:
        raise SkuError(f"not a SKU: {text!r}")
    return m.group(1), int(m.group(2))


def format_sku(family: str, number: int) -> str:
    if len(family) != 2 or not family.isalpha():
        raise SkuError(f"bad family: {family!r}")
    return f"{family.upper()}-{number:04d}"


def next_sku(text: str) -> str:
    family, number = parse_sku(text)
    return format_sku(family, number + 1)
EOF
  cat >"$d/src/invkit/money.py" <<'EOF'
"""Amounts of money as integer cents."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def to_cents(amount: str) -> int:
    """'12.34' -> 1234."""
    whole, _, frac = amount.strip().partition(".")
    if len(frac) > 2:
        raise ValueError(f"too many decimals: {amount!r}")
    return whole + frac.ljust(2, "0")


def parse_cents(amount: str) -> int:
    return int(Decimal(amount.strip()) * 100)


def from_cents(cents: int) -> Decimal:
    return Decimal(cents) / 100


def round_cents(value: float) -> int:
    """Round a float amount to whole cents, half to even."""
    return int(Decimal(value * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def format_money(cents: int, currency: str = "EUR") -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{cents // 100}.{cents % 100:02d}"


def split(cents: int, parts: int) -> list[int]:
    """Split an amount into ``parts`` shares that differ by at most one cent."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, rest = divmod(cents, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]
EOF
  cat >"$d/src/invkit/units.py" <<'EOF'
"""Unit conversion for weights and lengths."""

from __future__ import annotations

FACTORS = {
    "g": ("mass", 1.0),
    "kg": ("mass", 1000.0),
    "lb": ("mass", 453.59237),
    "oz": ("mass", 28.349523125),
    "mm": ("length", 1.0),
    "cm": ("length", 10.0),
    "m": ("length", 1000.0),
    "in": ("length", 25.4),
}


class UnitError(ValueError):
    pass


def convert(value: float, unit: str, to: str) -> float:
    if unit == None or to == None:
        raise UnitError("unit required")
    try:
        kind_a, fa = FACTORS[unit]
        kind_b, fb = FACTORS[to]
    except KeyError as exc:
        raise UnitError(f"unknown unit {exc.args[0]!r}") from None
    if kind_a != kind_b:
        raise UnitError(f"cannot convert {kind_a} to {kind_b}")
    return value * fa / fb
EOF
  cat >"$d/src/invkit/stock.py" <<'EOF'
"""Stock levels per SKU and location."""

from __future__ import annotations

from dataclasses import dataclass, field


class StockError(Exception):
    """Not enough stock, or an unknown SKU."""


@dataclass
class Item:
    sku: str
    quantity: int
    location: str = "main"
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


@dataclass
class Stock:
    _items: dict[str, Item] = field(default_factory=dict)

    def add(self, sku: str, quantity: int, location: str = "main") -> Item:
        if quantity <= 0:
            raise StockError(f"quantity must be positive, got {quantity}")
        item = self._items.setdefault(sku, Item(sku, 0, location))
        item.quantity += quantity
        return item

    def remove(self, sku: str, quantity: int) -> Item:
        item = self._items.get(sku)
        if item is None or item.available < quantity:
            raise StockError(f"insufficient stock for {sku}")
        item.quantity -= quantity
        return item

    def reserve(self, sku: str, quantity: int) -> None:
        item = self._items.get(sku)
        if item is None or item.available < quantity:
            raise StockError(f"cannot reserve {quantity} of {sku}")
        item.reserved += quantity

    def quantity_of(self, sku: str) -> int:
        return self._items.get(sku).quantity

    def skus(self) -> list[str]:
        return sorted(self._items)
EOF
  cat >"$d/src/invkit/orders.py" <<'EOF'
"""Orders: lines of SKUs and quantities, checked against stock."""

from __future__ import annotations

from dataclasses import dataclass, field

from .money import format_money
from .stock import Stock, StockError


@dataclass
class OrderLine:
    sku: str
    quantity: int
    unit_cents: int

    @property
    def cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass
class Order:
    number: str
    lines: list[OrderLine] = field(default_factory=list)

    def total_cents(self) -> int:
        return sum(line.cents for line in self.lines)

    def describe(self) -> str:
        return f"order {self.number}: {len(self.lines)} lines, {format_money(self.total_cents())}"


def validate(order: Order) -> list[str]:
    problems = []
    for i, line in enumerate(order.lines, 1):
        if line.quantity <= 0:
            problems.append(f"line {i}: quantity must be positive")
        if line.unit_cents < 0:
            problems.append(f"line {i}: negative price")
    return problems


def allocate(order: Order, stock: Stock) -> list[str]:
    """Reserve every line; returns the SKUs that could not be reserved."""
    short = []
    for line in order.lines:
        try:
            stock.reserve(line.sku, qty=line.quantity)
        except StockError:
            short.append(line.sku)
    if order.priority > 1:
        short.sort()
    return short
EOF
  cat >"$d/src/invkit/pricing.py" <<'EOF'
"""Price rules applied in order to a unit price."""

from __future__ import annotations

from decimal import Decimal

from .money import format_money


class Rule:
    def apply(self, cents: int) -> int:
        return cents


class PercentOff(Rule):
    def __init__(self, percent: int) -> None:
        self.percent = percent

    def apply(self, cents: int) -> int:
        return cents - cents * self.percent // 100


class BulkDiscount(Rule):
    def __init__(self, threshold: int, percent: int) -> None:
        self.threshold = threshold
        self.percent = percent

    def apply(self, cents: int, quantity: int) -> int:
        if quantity >= self.threshold:
            return cents - cents * self.percent // 100
        return cents


def apply_rules(cents: int, rules: list[Rule]) -> int:
    for rule in rules:
        cents = rule.apply(cents)
    return max(cents, 0)


def label(cents: int, vat: Decimal) -> str:
    gross = cents * (1 + vat)
    return format_money(gross, "EUR")
EOF
  cat >"$d/src/invkit/dates.py" <<'EOF'
"""Business days and ISO weeks."""

from __future__ import annotations

from datetime import *

HOLIDAYS = {(1, 1), (5, 1), (12, 25), (12, 26)}


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS


def add_business_days(day: date, n: int) -> date:
    step = 1 if n >= 0 else -1
    left = abs(n)
    while left:
        day += timedelta(days=step)
        if is_business_day(day):
            left -= 1
    return day


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
EOF
  cat >"$d/src/invkit/csvio.py" <<'EOF'
"""Reading and writing stock lists as CSV."""

from __future__ import annotations

import csv
import io

from .stock import Item


def read_items(text: str) -> list[Item]:
    rows = csv.DictReader(io.StringIO(text))
    return [Item(row["sku"], int(row["qty"]), row["location"]) for row in rows]


def write_items(items: list[Item]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["sku", "qty", "location"])
    for it in items:
        w.writerow([it.sku, it.quantity, it.location])
    return out.getvalue()


def shelf_label(row: dict[str, str]) -> str:
    return int(row["qty"]) + " x " + row["sku"]
EOF
  cat >"$d/src/invkit/report.py" <<'EOF'
"""Stock reports as YAML for the warehouse dashboard."""

from __future__ import annotations

import yaml
from .stock import Stock
import json


def as_rows(stock: Stock) -> list[dict[str, object]]:
    return [{"sku": s, "quantity": stock.quantity_of(s)} for s in stock.skus()]


def render_yaml(stock: Stock) -> str:
    return yaml.safe_dump(as_rows(stock), sort_keys=False)


def render_json(stock: Stock) -> str:
    return json.dumps(as_rows(stock), indent=2)
EOF
  cat >"$d/src/invkit/config.py" <<'EOF'
"""Settings from environment variables."""

from __future__ import annotations

import os

_cache = {}


def setting(name: str, default: str = "") -> str:
    if name not in _cache:
        _cache[name] = os.environ.get(f"INVKIT_{name.upper()}", default)
    return _cache[name]


def low_stock_threshold() -> int:
    return int(setting("low_stock", "5"))
EOF
  cat >"$d/src/invkit/search.py" <<'EOF'
"""Finding SKUs by prefix and by similarity."""

from __future__ import annotations

import difflib


def by_prefix(skus: list[str], prefix: str) -> list[str]:
    return [s for s in skus if s.startswith(prefix.upper())]


def closest(skus: list[str], query: str, n: int = 3) -> list[str]:
    return difflib.get_close_matches(query.upper(), skus, n=n, cutoff=0.5)


def families(skus: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for l in skus:
        counts[l[:2]] = counts.get(l[:2], 0) + 1
    return counts
EOF
  cat >"$d/src/invkit/events.py" <<'EOF'
"""An append-only log of stock movements."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Movement:
    sku: str
    delta: int
    reason: str


def encode(m: Movement) -> str:
    return json.dumps(asdict(m), sort_keys=True)


def decode(line: str) -> Movement | None:
    try:
        return Movement(**json.loads(line))
    except:
        return None


def replay(lines: list[str]) -> dict[str, int]:
    levels: dict[str, int] = {}
    for line in lines:
        m = decode(line)
        if m is None:
            continue
        levels[m.sku] = levels.get(m.sku, 0) + m.delta
    return levels
EOF
  cat >"$d/src/invkit/cli.py" <<'EOF'
"""Command line: ``invkit check FILE.csv``."""

from __future__ import annotations

import argparse
import sys

from .config import low_stock_threshold
from .csvio import read_items


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invkit")
    p.add_argument("command", choices=["check"])
    p.add_argument("file")
    args = p.parse_args(argv)
    verbose = False
    with open(args.file, encoding="utf-8") as fh:
        items = read_items(fh.read())
    low = [it for it in items if it.quantity < low_stock_threshold()]
    for it in low:
        print(f"low stock: {it.sku} ({it.quantity} left at {it.location}, reorder now before the next delivery)")
    print(f"checked")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
EOF
  sed -i 's/^    left = abs(n)$/    left = abs(n) /' "$d/src/invkit/dates.py"  # a trailing blank
  gen_invkit_tests "$d"
  # the suite as committed: imports sorted and formatted
  "$WORK/venv/bin/ruff" check -q --select I --fix "$d/tests" || true
  "$WORK/venv/bin/ruff" format -q "$d/tests"
}
# The unittest suite of invkit: table-driven methods, written out by a small generator
# (one method per case, as a hand-written suite would have them).
gen_invkit_tests() {
  local d=$1
  : >"$d/tests/__init__.py"
  python3 - "$d/tests" <<'EOF'
import sys
from datetime import date, timedelta
from pathlib import Path

out = Path(sys.argv[1])
HOL = {(1, 1), (5, 1), (12, 25), (12, 26)}


def write(name, imports, classes):
    text = [f'"""Tests for {name[5:-3]}."""', "", "import unittest", *imports, ""]
    for cls, methods in classes:
        text += ["", f"class {cls}(unittest.TestCase):"]
        for m in methods:
            text += [""] + ["    " + ln for ln in m]
    text += ["", "", 'if __name__ == "__main__":', "    unittest.main()", ""]
    (out / name).write_text("\n".join(text))


# --- sku
fams = ["AB", "CD", "EF", "GH", "KL", "MN", "PQ", "RS", "TV", "XY"]
parse = [[f"def test_parse_sku_{f.lower()}_{n:04d}(self):", f'    self.assertEqual(parse_sku("{f}-{n:04d}"), ("{f}", {n}))']
         for f in fams for n in (1, 2, 7, 10, 17, 42, 64, 99, 100, 101, 128, 256, 333, 500, 512, 999, 1000, 1001, 1024, 2048, 3000, 4096, 5000, 6502, 7777, 8086, 9000, 9998, 9999)]
fmt = [[f"def test_format_sku_{f.lower()}_{n}(self):", f'    self.assertEqual(format_sku("{f.lower()}", {n}), "{f}-{n:04d}")']
       for f in fams for n in (3, 42, 99, 808, 2048, 9999)]
nxt = [[f"def test_next_sku_{f.lower()}_{n:04d}(self):", f'    self.assertEqual(next_sku("{f}-{n:04d}"), "{f}-{n + 1:04d}")']
       for f in fams for n in (0, 9, 99, 998, 1999, 9998)]
bad = ["", "AB", "AB-", "ab-0001", "A-0001", "ABC-0001", "AB-001", "AB-00001", "AB_0001", "AB 0001", "12-0001", "AB-00x1"]
errs = [[f"def test_parse_error_rejects_case_{i:02d}(self):", f"    with self.assertRaises(SkuError):", f"        parse_sku({b!r})"]
        for i, b in enumerate(bad)]
errs += [[f"def test_format_error_for_family_{i}(self):", f"    with self.assertRaises(SkuError):", f"        format_sku({b!r}, 1)"]
         for i, b in enumerate(["A", "ABC", "1A", "", "A1"])]
write("test_sku.py", ["", "from invkit.sku import SkuError, format_sku, next_sku, parse_sku"],
      [("SkuParseTest", parse), ("SkuFormatTest", fmt + nxt), ("SkuErrorTest", errs)])

# --- money
amounts = ["0", "0.01", "0.10", "1", "1.5", "2.99", "10.00", "12.34", "99.99", "100", "250.5", "1000.01", "-3.20", "7.07"]
pc = [[f"def test_parse_cents_{i:02d}(self):", f'    self.assertEqual(parse_cents("{a}"), {round(float(a) * 100)})'] for i, a in enumerate(amounts)]
fm = []
for cur, sym in [("EUR", "€"), ("USD", "$"), ("GBP", "£"), ("CHF", "CHF ")]:
    for c in (0, 5, 99, 100, 1234, 99999, -250, 1000000):
        s = ("-" if c < 0 else "") + f"{sym}{abs(c) // 100}.{abs(c) % 100:02d}"
        fm.append([f"def test_format_money_{cur.lower()}_{str(c).replace('-', 'minus_')}(self):", f'    self.assertEqual(format_money({c}, "{cur}"), {s!r})'])
sp = []
for c in (0, 1, 10, 99, 100, 101, 999, 1000, 1001, 4999, 12345, 100000):
    for p in (1, 2, 3, 4, 5, 7, 12):
        b, r = divmod(c, p)
        sp.append([f"def test_split_{c}_in_{p}(self):", f"    self.assertEqual(split({c}, {p}), {[b + (1 if i < r else 0) for i in range(p)]!r})"])
sp.append(["def test_split_fails_for_zero_parts(self):", "    with self.assertRaises(ValueError):", "        split(100, 0)"])
rnd = [[f"def test_round_cents_{i}(self):", f"    self.assertEqual(round_cents({v}), {e})"]
       for i, (v, e) in enumerate([(0.0, 0), (1.0, 100), (0.135, 14), (19.99, 1999), (3.5, 350), (2.675, 268), (0.994, 99)])]
rnd.append(["def test_round_half_up_0125(self):",
            '    """Half-cent amounts round up, as on the printed receipt."""',
            "    self.assertEqual(round_cents(0.125), 13)"])
loc = [["@unittest.skipIf(sys.platform.startswith(\"linux\"), \"locale formatting runs on the macOS runner only\")",
        f"def test_format_money_locale_{n}(self):", f'    self.assertEqual(format_money(100, "{n.upper()}"), "")'] for n in ("sek", "nok")]
write("test_money.py", ["import sys", "", "from invkit.money import format_money, parse_cents, round_cents, split"],
      [("ParseCentsTest", pc), ("FormatMoneyTest", fm + loc), ("SplitTest", sp), ("RoundingTest", rnd)])

# --- units
F = {"g": ("mass", 1.0), "kg": ("mass", 1000.0), "lb": ("mass", 453.59237), "oz": ("mass", 28.349523125),
     "mm": ("length", 1.0), "cm": ("length", 10.0), "m": ("length", 1000.0), "in": ("length", 25.4)}
cv, ue = [], []
for a in F:
    for b in F:
        for v in (1, 2.5, 12, 1000):
            vn = str(v).replace(".", "_")
            if F[a][0] == F[b][0]:
                cv.append([f"def test_convert_{vn}_{a}_to_{b}(self):", f"    self.assertAlmostEqual(convert({v}, {a!r}, {b!r}), {v * F[a][1] / F[b][1]!r})"])
            elif v == 1:
                ue.append([f"def test_conversion_fails_for_{a}_to_{b}(self):", "    with self.assertRaises(UnitError):", f"        convert(1, {a!r}, {b!r})"])
cv.append(["def test_convert_lb_to_kg_label_precision(self):", '    self.assertAlmostEqual(convert(1, "lb", "kg"), 0.4536, places=5)'])
ue.append(["def test_unknown_unit_error_names_it(self):", "    with self.assertRaisesRegex(UnitError, \"'st'\"):", '        convert(1, "st", "kg")'])
write("test_units.py", ["", "from invkit.units import UnitError, convert"], [("ConvertTest", cv), ("UnitErrorTest", ue)])

# --- stock
st = []
for sku in ["AB-0001", "CD-0420", "XY-9999"]:
    for q in (1, 2, 5, 10, 50, 100):
        for r in sorted({0, 1, q}):
            st.append([f"def test_add_reserve_{sku.replace('-', '_').lower()}_{q}_{r}(self):",
                       "    s = Stock()", f'    s.add("{sku}", {q})', f'    s.reserve("{sku}", {r})',
                       f'    self.assertEqual(s._items["{sku}"].available, {q - r})'])
        st.append([f"def test_reserve_fails_when_short_{sku.replace('-', '_').lower()}_{q}(self):",
                   "    s = Stock()", f'    s.add("{sku}", {q})', "    with self.assertRaises(StockError):",
                   f'        s.reserve("{sku}", {q + 1})'])
        st.append([f"def test_remove_error_on_unknown_{sku.replace('-', '_').lower()}_{q}(self):",
                   "    with self.assertRaises(StockError):", f'        Stock().remove("{sku}", {q})'])
st.append(["def test_add_fails_for_zero(self):", "    with self.assertRaises(StockError):", '        Stock().add("AB-0001", 0)'])
write("test_stock.py", ["", "from invkit.stock import Stock, StockError"], [("StockTest", st)])

# --- orders
od = []
for n in range(1, 81):
    lines = [(f"AB-{k:04d}", k % 5 + 1, 100 * k + n) for k in range(1, n % 6 + 2)]
    total = sum(q * c for _, q, c in lines)
    ls = ", ".join(f'OrderLine("{s}", {q}, {c})' for s, q, c in lines)
    od.append([f"def test_total_cents_order_{n:03d}(self):", f'    o = Order("SO-{n:03d}", [{ls}])', f"    self.assertEqual(o.total_cents(), {total})"])
    od.append([f"def test_validate_no_error_order_{n:03d}(self):", f'    o = Order("SO-{n:03d}", [{ls}])', "    self.assertEqual(validate(o), [])"])
for n in range(1, 11):
    od.append([f"def test_validate_reports_failure_line_{n}(self):", f'    o = Order("SO-9{n:02d}", [OrderLine("AB-0001", 1, 5)] * {n} + [OrderLine("AB-0002", 0, 5)])',
               f'    self.assertEqual(validate(o), ["line {n + 1}: quantity must be positive"])'])
write("test_orders.py", ["", "from invkit.orders import Order, OrderLine, validate"], [("OrderTest", od)])

# --- dates
dt = []
start = date(2024, 12, 16)
for i in range(0, 84, 3):
    d0 = start + timedelta(days=i)
    for n in (1, 2, 5, 10, -1, -3):
        d, left, step = d0, abs(n), 1 if n >= 0 else -1
        while left:
            d += timedelta(days=step)
            if d.weekday() < 5 and (d.month, d.day) not in HOL:
                left -= 1
        dt.append([f"def test_add_business_days_{d0:%Y%m%d}_{str(n).replace('-', 'minus_')}(self):",
                   f"    self.assertEqual(add_business_days(date({d0.year}, {d0.month}, {d0.day}), {n}), date({d.year}, {d.month}, {d.day}))"])
wk = []
for i in range(0, 370, 11):
    d0 = date(2024, 1, 1) + timedelta(days=i)
    y, w, _ = d0.isocalendar()
    wk.append([f"def test_iso_week_{d0:%Y%m%d}(self):", f'    self.assertEqual(iso_week(date({d0.year}, {d0.month}, {d0.day})), "{y}-W{w:02d}")'])
write("test_dates.py", ["from datetime import date", "", "from invkit.dates import add_business_days, iso_week"],
      [("BusinessDayTest", dt), ("IsoWeekTest", wk)])

# --- csvio
cs = []
for n in range(1, 61):
    rows = "".join(f"XY-{k:04d},{k * n % 97},bin-{k % 4}\\n" for k in range(1, n % 7 + 2))
    cs.append([f"def test_round_trip_{n:02d}(self):", f'    text = "sku,qty,location\\n{rows}"', "    self.assertEqual(write_items(read_items(text)), text)"])
cs.append(["def test_read_items_without_location_column(self):", '    items = read_items("sku,qty\\nAB-0001,4\\n")', '    self.assertEqual(items[0].location, "main")'])
cs.append(["def test_read_error_on_bad_quantity(self):", "    with self.assertRaises(ValueError):", '        read_items("sku,qty,location\\nAB-0001,four,main\\n")'])
write("test_csvio.py", ["", "from invkit.csvio import read_items, write_items"], [("CsvTest", cs)])

# --- events
ev = []
for n in range(1, 81):
    mv = [(f"KL-{k % 3:04d}", (k * 7 % 11) - 5, "count") for k in range(n % 9 + 1)]
    lv = {}
    for s, dlt, _ in mv:
        lv[s] = lv.get(s, 0) + dlt
    ml = ", ".join(f'encode(Movement("{s}", {dl}, "{r}"))' for s, dl, r in mv)
    ev.append([f"def test_replay_{n:02d}(self):", f"    self.assertEqual(replay([{ml}]), {lv!r})"])
for i, junk in enumerate(["", "{", "[]", '{"sku": 1}', "null", "not json", '{"sku": "A", "delta": 1}']):
    ev.append([f"def test_decode_error_returns_none_{i}(self):", f"    self.assertIsNone(decode({junk!r}))"])
write("test_events.py", ["", "from invkit.events import Movement, decode, encode, replay"], [("EventLogTest", ev)])

# --- pricing
po = []
for c in (0, 1, 99, 100, 199, 250, 999, 1000, 1234, 4999, 10000, 12345, 99999, 250000):
    for p in range(0, 100, 5):
        po.append([f"def test_percent_off_{p}_of_{c}(self):", f"    self.assertEqual(PercentOff({p}).apply({c}), {c - c * p // 100})"])
ch = []
for c in (100, 999, 5000, 12345):
    for a in (5, 10, 25, 50):
        for b in (0, 10, 20, 90):
            v = c - c * a // 100
            v = v - v * b // 100
            ch.append([f"def test_apply_rules_{c}_{a}_then_{b}(self):", f"    self.assertEqual(apply_rules({c}, [PercentOff({a}), PercentOff({b})]), {v})"])
ch.append(["def test_apply_rules_never_negative(self):", "    self.assertEqual(apply_rules(100, [PercentOff(150)]), 0)"])
write("test_pricing.py", ["", "from invkit.pricing import PercentOff, apply_rules"], [("PercentOffTest", po), ("RuleChainTest", ch)])

# --- search
skus = [f"{f}-{n:04d}" for f in fams for n in (1, 12, 123, 1234)]
se = []
for f in fams:
    se.append([f"def test_by_prefix_{f.lower()}(self):", f"    self.assertEqual(by_prefix(SKUS, {f.lower()!r}), {[s for s in skus if s.startswith(f)]!r})"])
    se.append([f"def test_families_count_{f.lower()}(self):", f"    self.assertEqual(families(SKUS)[{f!r}], 4)"])
    for n in (1, 12, 123, 1234):
        se.append([f"def test_closest_{f.lower()}_{n}(self):", f'    self.assertIn("{f}-{n:04d}", closest(SKUS, "{f.lower()}-{n:04d}"))'])
write("test_search.py", ["", "from invkit.search import by_prefix, closest, families", "", f"SKUS = {skus!r}"], [("SearchTest", se)])
EOF
}

# --- python-mypy: install, the unittest suite (verbose), mypy ---------------------------------
strict_tools() {  # tools/ of invkit: release helpers checked with mypy --strict --pretty
  cat >"$1/tools/__init__.py" <<'EOF'
EOF
  cat >"$1/tools/release.py" <<'EOF'
"""Release helpers: version bumps and the changelog heading."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

VERSION = re.compile(r'^__version__ = "(\d+)\.(\d+)\.(\d+)"$', re.M)


def current_version(init_file: Path) -> tuple[int, int, int]:
    m = VERSION.search(init_file.read_text(encoding="utf-8"))
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def bump(version: tuple[int, int, int], part: str) -> tuple[int, int, int]:
    major, minor, patch = version
    if part == "major":
        return major + 1, 0, 0
    if part == "minor":
        return major, minor + 1, 0
    return major, minor, patch + 1


def changelog_heading(version, date):
    return f"## {'.'.join(map(str, version))} ({date})"


def last_tag() -> str:
    out = subprocess.run(["git", "describe", "--tags", "--abbrev=0"], capture_output=True, text=True)
    return out.stdout.strip() or None
EOF
  cat >"$1/tools/stats.py" <<'EOF'
"""Stock statistics for the weekly report."""

from __future__ import annotations

from statistics import mean

from invkit.stock import Stock


def average_quantity(stock: Stock) -> float:
    return mean(stock.quantity_of(s) for s in stock.skus())


def top(stock: Stock, n: int = 5) -> list[str]:
    return sorted(stock.skus(), key=stock.quantity_of, reverse=True)[:n]


def summary(stock: Stock) -> dict[str, float]:
    return {"skus": len(stock.skus()), "average": average_quantity(stock), "top": top(stock)}
EOF
}

job_mypy() {
  local d=$CI_ROOT/invkit
  make_invkit "$d"; strict_tools "$d"
  new_venv "$d/.venv"
  start_job python-mypy "$d" "$d/.venv"
  step 'python --version'
  step 'python -m pip install --upgrade pip'
  step "pip install -e '.[dev]'"
  step 'python -m unittest discover -v -s tests -t .'
  step 'mypy'
  step 'mypy --strict --pretty tools/'
  # machine-readable output of the same runs
  quiet 'mypy -O json' >"$CASE_DIR/mypy.json" || true
  quiet 'mypy --strict -O json tools/' >"$CASE_DIR/mypy-strict.json" || true
  quiet "python -m pytest -q -p no:cacheprovider --junit-xml=$CASE_DIR/junit.xml tests" >/dev/null || true
  truth mypy "$CASE_DIR" "$JOB_STEPS"
}

# --- python-lint: ruff (concise), ruff format --check, flake8 ---------------------------------
job_lint() {
  local d=$CI_ROOT/invkit
  make_invkit "$d"
  new_venv "$d/.venv"
  start_job python-lint "$d" "$d/.venv"
  step 'python -m pip install --upgrade pip'
  step "pip install -e '.[dev]'"
  step 'python -m pytest -v -p no:cacheprovider tests/test_sku.py tests/test_pricing.py'
  step 'ruff --version'
  step 'ruff check --output-format concise .'
  step 'ruff format --check .'
  step 'flake8 --version'
  step 'flake8 src tests'
  quiet 'ruff check --output-format json .' >"$CASE_DIR/ruff.json" || true
  quiet "flake8 --format='%(path)s:%(row)d:%(col)d:%(code)s:%(text)s' src tests" >"$CASE_DIR/flake8.txt" || true
  quiet 'ruff format --check --output-format json . 2>/dev/null' >"$CASE_DIR/ruff-format.json" || true
  truth lint "$CASE_DIR" "$JOB_STEPS"
}

# --- python-precommit: pre-commit with local hooks only ---------------------------------------
job_precommit() {
  local d=$CI_ROOT/invkit
  make_invkit "$d"; strict_tools "$d"
  cat >"$d/.pre-commit-config.yaml" <<'EOF'
# Local hooks only: the tools come from the project's dev dependencies.
repos:
  - repo: local
    hooks:
      - id: check-ast
        name: check python ast
        entry: python -m py_compile
        language: system
        types: [python]
      - id: check-toml
        name: check toml
        entry: python -c "import sys, tomllib; [tomllib.load(open(f, 'rb')) for f in sys.argv[1:]]"
        language: system
        types: [toml]
      - id: trailing-whitespace
        name: no trailing whitespace
        entry: '[ \t]+$'
        language: pygrep
        types: [python]
      - id: no-print
        name: no print statements
        entry: '^\s*print\('
        language: pygrep
        types: [python]
        exclude: ^tools/
      - id: ruff
        name: ruff check
        entry: ruff check --force-exclude
        language: system
        types_or: [python, pyi]
      - id: ruff-format
        name: ruff format
        entry: ruff format --check --force-exclude
        language: system
        types_or: [python, pyi]
      - id: mypy
        name: mypy
        entry: mypy
        language: system
        pass_filenames: false
        args: [src]
      - id: rst-docs
        name: check rst docs
        entry: python -m docutils --halt=warning
        language: system
        files: \.rst$
      - id: unittest
        name: unit tests
        entry: python -m unittest discover -v -s tests -t .
        language: system
        pass_filenames: false
        verbose: true
EOF
  new_venv "$d/.venv"
  start_job python-precommit "$d" "$d/.venv"
  printf '.venv/\n__pycache__/\n*.egg-info/\n.mypy_cache/\n.ruff_cache/\n' >"$d/.gitignore"
  quiet 'git init -q -b main . && git add -A'
  step 'python -m pip install --upgrade pip'
  step "pip install -e '.[dev]' pre-commit"
  step 'pre-commit --version'
  step 'pre-commit run --all-files --show-diff-on-failure --color=never'
  # each hook alone: its exit status says whether it failed
  : >"$CASE_DIR/hooks.tsv"
  local h name rc
  while IFS=$'\t' read -r h name; do
    rc=0; quiet "pre-commit run $h --all-files --color=never" >/dev/null 2>&1 || rc=$?
    printf '%s\t%s\t%s\n' "$h" "$name" "$rc" >>"$CASE_DIR/hooks.tsv"
  done < <(quiet "python -c \"import yaml; [print(h['id'], h['name'], sep='\t') for h in yaml.safe_load(open('.pre-commit-config.yaml'))['repos'][0]['hooks']]\"")
  quiet "python -m pytest -q -p no:cacheprovider --junit-xml=$CASE_DIR/junit.xml tests" >/dev/null || true
  quiet 'git ls-files -z "*.py" | xargs -0 ruff check --force-exclude --output-format json' >"$CASE_DIR/ruff.json" || true
  quiet 'mypy -O json src' >"$CASE_DIR/mypy.json" || true
  truth precommit "$CASE_DIR" "$JOB_STEPS"
}

# --- python-pip: dependency installs that fail ------------------------------------------------
job_pip() {
  local d=$CI_ROOT/acme-app
  rm -rf "$d"; mkdir -p "$d/vendor" "$d/dist" "$CI_ROOT/py-src"
  # local packages in the wheelhouse: acme-utils 1.0.0 and 1.1.0, acme-plugins 1.0 (wants acme-utils<1.1)
  local v
  for v in 1.0.0 1.1.0; do
    mkdir -p "$CI_ROOT/py-src/acme-utils-$v/acme_utils"
    printf '"""Shared helpers of the acme services."""\n__version__ = "%s"\n' "$v" >"$CI_ROOT/py-src/acme-utils-$v/acme_utils/__init__.py"
    printf '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "acme-utils"\nversion = "%s"\n' "$v" \
      >"$CI_ROOT/py-src/acme-utils-$v/pyproject.toml"
  done
  mkdir -p "$CI_ROOT/py-src/acme-plugins/acme_plugins"
  printf '"""Plugin registry of the acme services."""\n' >"$CI_ROOT/py-src/acme-plugins/acme_plugins/__init__.py"
  printf '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "acme-plugins"\nversion = "1.0"\ndependencies = ["acme-utils<1.1"]\n' \
    >"$CI_ROOT/py-src/acme-plugins/pyproject.toml"
  for p in "$CI_ROOT"/py-src/*; do
    PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELS" "$WORK/venv/bin/pip" wheel -q --no-deps -w "$WHEELS" "$p" >/dev/null 2>&1
  done
  # an old sdist whose setup.py needs Cython at build time without declaring it
  mkdir -p "$CI_ROOT/py-src/legacy-parser-0.3/legacy_parser"
  cat >"$CI_ROOT/py-src/legacy-parser-0.3/setup.py" <<'EOF'
from setuptools import setup
from Cython.Build import cythonize

setup(
    name="legacy-parser",
    version="0.3",
    packages=["legacy_parser"],
    ext_modules=cythonize("legacy_parser/_scan.pyx", language_level=3),
)
EOF
  printf '"""Fast tokenizer for the legacy order format."""\n' >"$CI_ROOT/py-src/legacy-parser-0.3/legacy_parser/__init__.py"
  printf 'def scan(bytes data):\n    return data.split(b";")\n' >"$CI_ROOT/py-src/legacy-parser-0.3/legacy_parser/_scan.pyx"
  tar -C "$CI_ROOT/py-src" --owner=0 --group=0 --mtime=2024-01-01 -czf "$d/vendor/legacy-parser-0.3.tar.gz" legacy-parser-0.3
  cat >"$d/requirements.txt" <<'EOF'
# runtime
packaging>=24
pygments>=2.17
acme-utils==2.0
# tests
pytest>=8
pytest-timeout
EOF
  cat >"$d/requirements-plugins.txt" <<'EOF'
acme-utils==1.1.0
acme-plugins==1.0
EOF
  # the app itself: a package with a few dozen modules, installed editable (verbose build output)
  mkdir -p "$d/src/acme_app/handlers"
  printf '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "acme-app"\nversion = "0.9.0"\nrequires-python = ">=3.10"\n\n[tool.setuptools.packages.find]\nwhere = ["src"]\n' >"$d/pyproject.toml"
  printf '"""The acme order service."""\n' >"$d/src/acme_app/__init__.py"
  printf '"""Request handlers."""\n' >"$d/src/acme_app/handlers/__init__.py"
  local m
  for m in orders customers invoices shipments returns stock prices coupons users sessions audit search exports imports webhooks; do
    printf '"""Handlers for %s."""\n\n\ndef list_%s(page: int = 1) -> list[dict]:\n    return []\n' "$m" "$m" >"$d/src/acme_app/handlers/$m.py"
    printf '"""Storage of %s."""\n\nTABLE = "%s"\n' "$m" "$m" >"$d/src/acme_app/${m}_store.py"
  done
  printf 'sphinx==%s\npre-commit==%s\nmypy==%s\nruff==%s\nflake8==%s\npytest==%s\npytest-timeout==%s\n' \
    "$SPHINX_V" "$PRECOMMIT_V" "$MYPY_V" "$RUFF_V" "$FLAKE8_V" "$PYTEST_V" "$TIMEOUT_V" >"$d/requirements-dev.txt"
  new_venv "$d/.venv"
  start_job python-pip "$d" "$d/.venv"
  step 'python -m pip install --upgrade pip setuptools wheel'
  step 'pip install -r requirements-dev.txt'
  step 'pip install -v .'
  step 'pip install -r requirements.txt'
  step 'pip install -r requirements-plugins.txt'
  step 'pip install ./vendor/legacy-parser-0.3.tar.gz'
  step 'pip install ./dist/acme_app-0.9.0-py3-none-any.whl'
  step 'pip list'
  cp "$d/requirements.txt" "$d/requirements-plugins.txt" "$CASE_DIR/"
  truth pip "$CASE_DIR" "$JOB_STEPS"
}

# --- python-sphinx: the docs of invkit, Sphinx 9 -W --keep-going, doctest builder, Sphinx 7 -W ----
make_docs() {
  local d=$1
  mkdir -p "$d/docs/guide" "$d/docs/api" "$d/docs/howto"
  cat >"$d/docs/conf.py" <<'EOF'
import os
import sys

sys.path.insert(0, os.path.abspath("../src"))

project = "invkit"
author = "invkit contributors"
release = "0.4.0"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest", "sphinx.ext.todo", "sphinx.ext.viewcode"]
nitpicky = True
exclude_patterns = ["_build"]
EOF
  local mods="sku money units stock orders pricing dates csvio report config search events cli"
  {
    printf 'invkit\n======\n\nStock, orders and pricing for small warehouses.\n\n.. toctree::\n   :maxdepth: 2\n\n'
    printf '   guide/index\n   howto/index\n   api/index\n   changelog\n   glossary\n\n'
    printf 'Start with :doc:`guide/quickstart`, or see :ref:`pricing-rules` for discounts.\n'
  } >"$d/docs/index.rst"
  { printf 'API reference\n=============\n\n.. toctree::\n\n'; for m in $mods; do printf '   %s\n' "$m"; done; } >"$d/docs/api/index.rst"
  for m in $mods; do
    printf 'invkit.%s\n%s\n\n.. automodule:: invkit.%s\n   :members:\n   :undoc-members:\n' "$m" "$(printf '=%.0s' $(seq 1 $((7 + ${#m}))))" "$m" >"$d/docs/api/$m.rst"
  done
  local topics="quickstart installation concepts stock-levels reservations orders pricing units dates csv-import reports configuration cli events search troubleshooting error-codes faq"
  { printf 'User guide\n==========\n\n.. toctree::\n\n'; for t in $topics; do printf '   %s\n' "$t"; done; printf '   migration\n'; } >"$d/docs/guide/index.rst"
  for t in $topics; do
    {
      printf '%s\n%s\n\n' "$t" "$(printf -- '-%.0s' $(seq 1 ${#t}))"
      printf 'This page covers %s in invkit. See :doc:`../api/index` for the functions.\n\n' "$t"
      printf '.. todo:: add screenshots for %s\n' "$t"
    } >"$d/docs/guide/$t.rst"
  done
  cat >"$d/docs/guide/pricing.rst" <<'EOF'
Pricing
-------

.. _pricing-rules:

Price rules apply in order. A :class:`invkit.pricing.PercentOff` takes a percentage off
the unit price:

.. doctest::

   >>> from invkit.pricing import PercentOff, apply_rules
   >>> apply_rules(1000, [PercentOff(15)])
   850
   >>> apply_rules(999, [PercentOff(50)])
   500

Amounts are integer cents; :func:`invkit.money.parse_cents` reads them:

.. doctest::

   >>> from invkit.money import parse_cents, split
   >>> parse_cents("12.34")
   1234
   >>> split(100, 3)
   [34, 33, 33]
   >>> parse_cents("1,50")
   150

See :class:`invkit.pricing.Discount` for the discounts of the 0.5 release.
EOF
  cat >"$d/docs/guide/units.rst" <<'EOF'
Units
-----

.. doctest::

   >>> from invkit.units import convert
   >>> convert(2, "kg", "g")
   2000.0
   >>> round(convert(1, "lb", "kg"), 4)
   0.4536

Weights are *always stored in grams.
EOF
  cat >"$d/docs/changelog.rst" <<'EOF'
Changelog
=========

0.4.0
-----

* Reservations (:meth:`invkit.stock.Stock.reserve`).
* CSV import keeps the location column, see :ref:`csv-locations`.

0.3.0
-----

* Business days in :mod:`invkit.dates`.
EOF
  printf 'Glossary\n========\n\n.. glossary::\n\n   SKU\n      A stock keeping unit, ``AB-0017``.\n\n   reservation\n      Stock held for an order.\n' >"$d/docs/glossary.rst"
  printf 'Migrating from 0.3\n------------------\n\nSee :doc:`upgrading`.\n' >"$d/docs/guide/migration.rst"
  { printf 'How-to guides\n=============\n\n.. toctree::\n   :glob:\n\n   *\n'; } >"$d/docs/howto/index.rst"
  for t in restock count-cycle returns transfer-between-locations export-to-erp; do
    printf '%s\n%s\n\n1. Open the stock list.\n2. Run ``invkit check stock.csv``.\n' "$t" "$(printf '=%.0s' $(seq 1 ${#t}))" >"$d/docs/howto/$t.rst"
  done
  printf 'Old import format\n=================\n\nThe 0.2 import format, kept for reference.\n' >"$d/docs/howto/old-import.rst"
  printf '.. orphan-less draft\n\nDraft\n=====\n\nNot linked anywhere.\n' >"$d/docs/draft.rst"
  printf 'sphinx==%s\n' "$SPHINX_V" >"$d/docs/requirements.txt"
}

job_sphinx() {
  local d=$CI_ROOT/invkit
  make_invkit "$d"; make_docs "$d"
  # a docstring with broken markup, as autodoc reads it
  sed -i 's|^def convert(value: float, unit: str, to: str) -> float:$|&\n    """Convert *value from ``unit`` to ``to``."""|' "$d/src/invkit/units.py"
  new_venv "$d/.venv"
  start_job python-sphinx "$d" "$d/.venv"
  step 'python -m pip install --upgrade pip'
  step 'pip install -r docs/requirements.txt'
  step 'sphinx-build --version'
  step 'sphinx-build -W --keep-going -n -b html -w docs/_build/warnings.txt docs docs/_build/html'
  step 'sphinx-build -b doctest docs docs/_build/doctest'
  cp "$d/docs/_build/warnings.txt" "$CASE_DIR/warnings.txt"
  cp "$d/docs/_build/doctest/output.txt" "$CASE_DIR/doctest-output.txt" 2>/dev/null || true
  # the same docs on the Sphinx 7 leg of the docs matrix: -W stops at the first warning
  new_venv "$d/.venv-sphinx7"
  step '.venv-sphinx7/bin/pip install sphinx==7.2.6 pyyaml'
  step '.venv-sphinx7/bin/sphinx-build -W -n -b html -w docs/_build/warnings-7.txt docs docs/_build/html-7'
  cp "$d/docs/_build/warnings-7.txt" "$CASE_DIR/warnings-7.txt"
  truth sphinx "$CASE_DIR" "$JOB_STEPS"
}

# --- pytest-matrix: shopcore, a small shop library with a fault-injection switch -------------
make_shopcore() {
  local d=$1
  rm -rf "$d"; mkdir -p "$d/shopcore" "$d/tests"
  cat >"$d/pyproject.toml" <<'EOF'
[project]
name = "shopcore"
version = "1.8.0"
requires-python = ">=3.11"

[tool.pytest.ini_options]
testpaths = ["tests"]
timeout = 2
EOF
  cat >"$d/shopcore/__init__.py" <<'EOF'
"""shopcore: carts, prices, stock and payments of a small web shop."""
EOF
  cat >"$d/shopcore/faults.py" <<'EOF'
"""Fault injection for resilience drills.

SHOPCORE_FAULTS="SEED:RATE" makes about RATE percent of the calls at each fault site
take their broken path: half of them the same for every seed, half chosen by the seed.
"""

from __future__ import annotations

import os
import zlib


def active(site: str, key: object) -> bool:
    spec = os.environ.get("SHOPCORE_FAULTS", "")
    if not spec:
        return False
    seed, _, rate_text = spec.partition(":")
    rate = int(rate_text or 16)
    common = zlib.crc32(f"{site}|{key}".encode()) % 100 < rate // 2
    seeded = zlib.crc32(f"{seed}|{site}|{key}".encode()) % 100 < rate - rate // 2
    return common or seeded
EOF
  cat >"$d/shopcore/errors.py" <<'EOF'
class ShopError(Exception):
    """Base of the shop's own errors."""


class OutOfStockError(ShopError):
    """A reservation larger than the free stock."""


class PaymentDeclined(ShopError):
    """The payment provider said no."""
EOF
  cat >"$d/shopcore/cart.py" <<'EOF'
from __future__ import annotations

from dataclasses import dataclass, field

from . import faults


@dataclass
class Cart:
    lines: dict[str, int] = field(default_factory=dict)
    prices: dict[str, int] = field(default_factory=dict)

    def add(self, sku: str, quantity: int, unit_cents: int) -> None:
        if faults.active("cart.add", (sku, quantity)):
            quantity = str(quantity)  # a form value that skipped parsing
        self.lines[sku] = self.lines.get(sku, 0) + quantity
        self.prices[sku] = unit_cents

    def count(self) -> int:
        return sum(self.lines.values())

    def total_cents(self) -> int:
        total = 0
        for sku, qty in self.lines.items():
            total += qty * self.prices[sku]
        if faults.active("cart.total", total):
            total -= total // 100
        return total
EOF
  cat >"$d/shopcore/pricing.py" <<'EOF'
from __future__ import annotations

from . import faults

LIST_PRICES = {f"SKU-{i:03d}": 199 + 37 * i for i in range(60)}


def unit_price(sku: str, quantity: int = 1) -> int:
    price = LIST_PRICES[sku]
    if quantity >= 10:
        price = price * 95 // 100
    if faults.active("pricing.unit", (sku, quantity)):
        price = round(price * 1.1)
    return price


def line_price(sku: str, quantity: int) -> int:
    return unit_price(sku, quantity) * quantity
EOF
  cat >"$d/shopcore/tax.py" <<'EOF'
from __future__ import annotations

from . import faults

RATES = {
    "DE": {"standard": 19, "reduced": 7},
    "FR": {"standard": 20, "reduced": 5},
    "NL": {"standard": 21, "reduced": 9},
    "AT": {"standard": 20, "reduced": 10},
    "IT": {"standard": 22, "reduced": 10},
    "ES": {"standard": 21, "reduced": 10},
}


def rate(country: str, kind: str = "standard", amount: int | None = None) -> int:
    table = dict(RATES[country])
    if faults.active("tax.rate", (country, kind, amount)):
        table.pop("standard")  # a partial table from a stale cache
    return table[kind]


def gross(net_cents: int, country: str, kind: str = "standard") -> int:
    return net_cents + net_cents * rate(country, kind, net_cents) // 100
EOF
  cat >"$d/shopcore/inventory.py" <<'EOF'
from __future__ import annotations

from . import faults
from .errors import OutOfStockError


class Inventory:
    def __init__(self, levels: dict[str, int]) -> None:
        self.levels = dict(levels)
        self.held: dict[str, int] = {}

    def free(self, sku: str) -> int:
        return self.levels.get(sku, 0) - self.held.get(sku, 0)

    def reserve(self, sku: str, quantity: int) -> int:
        free = self.free(sku)
        if faults.active("inventory.reserve", (sku, quantity)):
            free = 0  # a replica that lags behind
        if quantity > free:
            raise OutOfStockError("reservation exceeds available stock")
        self.held[sku] = self.held.get(sku, 0) + quantity
        return self.free(sku)
EOF
  cat >"$d/shopcore/shipping.py" <<'EOF'
from __future__ import annotations

from dataclasses import dataclass

from . import faults

ZONES = {"DE": 1, "AT": 2, "FR": 2, "NL": 2, "IT": 3, "ES": 3, "US": 4}


@dataclass
class Quote:
    carrier: str
    parcels: int
    cents: int


def quote(country: str, weight_g: int) -> Quote:
    zone = ZONES[country]
    max_parcel = 31_500 if not faults.active("shipping.parcel", (country, weight_g)) else 0
    parcels = -(-weight_g // max_parcel)
    carrier = "DHL" if zone < 4 else "UPS"
    if faults.active("shipping.carrier", (country, weight_g)):
        carrier = "UPS"
    return Quote(carrier, parcels, 490 * zone * parcels)
EOF
  cat >"$d/shopcore/payments.py" <<'EOF'
from __future__ import annotations

import time

from . import faults
from .errors import PaymentDeclined


def charge(order_id: str, cents: int) -> str:
    if cents <= 0:
        raise PaymentDeclined("amount must be positive")
    if faults.active("payments.charge", order_id):
        raise TimeoutError("payment gateway did not answer within 2.0s")
    return f"ch_{order_id}_{cents}"


def refund(charge_id: str) -> str:
    if faults.active("payments.refund", charge_id):
        time.sleep(5)  # the provider hangs; the test's timeout ends it
    return "re_" + charge_id[3:]
EOF
  cat >"$d/shopcore/coupons.py" <<'EOF'
from __future__ import annotations

from datetime import date, datetime

from . import faults

COUPONS = {"SPRING10": ("2024-03-01", 10), "SUMMER15": ("2024-06-01", 15), "WINTER20": ("2024-12-01", 20)}


def valid_from(code: str, on: date | None = None) -> date:
    start, _ = COUPONS[code]
    if faults.active("coupons.date", (code, on)):
        start = start[:5] + "02-30"  # a date typed by hand
    return datetime.strptime(start, "%Y-%m-%d").date()


def apply(code: str, cents: int, today: date) -> int:
    if today < valid_from(code, today):
        return cents
    _, percent = COUPONS[code]
    return cents - cents * percent // 100
EOF
  cat >"$d/shopcore/customers.py" <<'EOF'
from __future__ import annotations

import re

from . import faults

EMAIL = re.compile(r"^([\w.+-]+)@([\w-]+\.[\w.-]+)$")


def email_domain(address: str) -> str:
    if faults.active("customers.email", address):
        address = address.replace("@", " at ")
    return EMAIL.match(address).group(2).lower()


def display_name(first: str, last: str) -> str:
    return f"{first.strip().title()} {last.strip().title()}"
EOF
  cat >"$d/shopcore/catalog.py" <<'EOF'
from __future__ import annotations

from . import faults

CATEGORIES = {"tools": ["hammer", "saw", "drill"], "garden": ["hose", "rake"], "paint": ["brush", "roller", "tray", "tape"]}


def nth_product(category: str, n: int) -> str:
    items = list(CATEGORIES[category])
    if faults.active("catalog.nth", (category, n)):
        items = items[:0]  # an empty page from the search index
    return items[n % len(CATEGORIES[category])]


def slug(name: str) -> str:
    return name.strip().lower().replace(" ", "-")
EOF
  cat >"$d/shopcore/currency.py" <<'EOF'
from __future__ import annotations

from decimal import Decimal

from . import faults

RATES = {"EUR": "1", "USD": "1.08", "GBP": "0.85", "CHF": "0.95", "SEK": "11.20"}


def convert(cents: int, to: str) -> int:
    rate = RATES[to]
    if faults.active("currency.rate", (cents, to)):
        rate = "n/a"  # the rates feed was down
    return int((Decimal(cents) * Decimal(rate)).to_integral_value())
EOF
  cat >"$d/shopcore/returns.py" <<'EOF'
from __future__ import annotations

from datetime import date, timedelta

from . import faults


def return_window(delivered: date, country: str) -> int:
    days = 30
    if faults.active("returns.window", (delivered, country)):
        days = 14
    return days


def last_return_day(delivered: date, country: str) -> date:
    return delivered + timedelta(days=return_window(delivered, country))
EOF
  cat >"$d/shopcore/loyalty.py" <<'EOF'
from __future__ import annotations

from . import faults

TIERS = [(0, "bronze"), (500, "silver"), (2000, "gold")]


def points(cents: int) -> int:
    text = str(cents // 100)
    if faults.active("loyalty.points", cents):
        text = ""  # an empty form field
    return int(text)


def tier(total_points: int) -> str:
    name = "bronze"
    for threshold, label in TIERS:
        if total_points >= threshold:
            name = label
    if faults.active("loyalty.tier", total_points):
        name = "bronze"
    return name
EOF
  cat >"$d/shopcore/invoices.py" <<'EOF'
from __future__ import annotations

from . import faults


def render(number: str, lines: list[tuple[str, int]]) -> bytes:
    body = "\n".join(f"{name:<20}{cents / 100:>10.2f} EUR" for name, cents in lines)
    text = f"Invoice {number}\n{body}\n"
    if faults.active("invoices.encoding", number):
        return ("€ " + text).encode("ascii")  # the euro sign on a legacy printer
    return text.encode("utf-8")
EOF
  cat >"$d/shopcore/search.py" <<'EOF'
from __future__ import annotations

from . import faults


def rank(names: list[str], query: str) -> list[str]:
    keys = [(name.find(query) if query in name else 99, name) for name in names]
    if faults.active("search.rank", (tuple(names), query)):
        keys.append((None, query))  # a hit without a score
    return [name for _, name in sorted(keys) if name != query]
EOF
  gen_shopcore_tests "$d"
}
gen_shopcore_tests() {
  local t=$1/tests
  : >"$t/__init__.py"
  cat >"$t/conftest.py" <<'EOF'
import pytest

from shopcore import faults


@pytest.fixture
def inventory_db(request):
    """Stock levels as the inventory database reports them."""
    if faults.active("db.connect", request.node.name):
        raise ConnectionError("inventory database unavailable")
    return {f"SKU-{i:03d}": 5 + i % 20 for i in range(40)}
EOF
  cat >"$t/test_cart.py" <<'EOF'
import pytest

from shopcore.cart import Cart
from shopcore.pricing import unit_price

SKUS = [f"SKU-{i:03d}" for i in range(0, 60, 2)]


class TestCartAdd:
    @pytest.mark.parametrize("sku", SKUS)
    def test_add_counts_items(self, sku):
        cart = Cart()
        cart.add(sku, 2, unit_price(sku))
        cart.add("SKU-001", 1, unit_price("SKU-001"))
        assert cart.count() == 3


class TestCartTotals:
    @pytest.mark.parametrize("n", range(1, 21))
    def test_total_of_n_lines(self, n):
        cart = Cart()
        expected = 0
        for i in range(n):
            sku = f"SKU-{(i * 7) % 60:03d}"
            cart.lines[sku] = cart.lines.get(sku, 0) + 1
            cart.prices[sku] = unit_price(sku)
        expected = sum(q * cart.prices[s] for s, q in cart.lines.items())
        assert cart.total_cents() == expected, "cart total mismatch"
EOF
  cat >"$t/test_pricing.py" <<'EOF'
import pytest

from shopcore.pricing import LIST_PRICES, line_price, unit_price


class TestUnitPrice:
    @pytest.mark.parametrize("sku", ["SKU-000", "SKU-005", "SKU-010", "SKU-019", "SKU-031", "SKU-047"])
    @pytest.mark.parametrize("quantity", [1, 2, 9, 10, 25])
    def test_unit_price(self, sku, quantity):
        expected = LIST_PRICES[sku] if quantity < 10 else LIST_PRICES[sku] * 95 // 100
        assert unit_price(sku, quantity) == expected, "unit price drifted"


class TestLinePrice:
    @pytest.mark.parametrize("quantity", range(1, 11))
    def test_line_price_is_quantity_times_unit(self, quantity):
        assert line_price("SKU-012", quantity) == unit_price("SKU-012", quantity) * quantity

    def test_unknown_sku_raises_key_error(self):
        with pytest.raises(KeyError):
            unit_price("SKU-999")
EOF
  cat >"$t/test_tax.py" <<'EOF'
import pytest

from shopcore.tax import RATES, gross, rate

COUNTRIES = sorted(RATES)


class TestRates:
    @pytest.mark.parametrize("country", COUNTRIES)
    @pytest.mark.parametrize("kind", ["standard", "reduced"])
    def test_rate_matches_table(self, country, kind):
        assert rate(country, kind) == RATES[country][kind]


class TestGross:
    @pytest.mark.parametrize("country", COUNTRIES)
    @pytest.mark.parametrize("net", [100, 999, 12345])
    def test_gross_adds_standard_rate(self, country, net):
        assert gross(net, country) == net + net * RATES[country]["standard"] // 100
EOF
  cat >"$t/test_inventory.py" <<'EOF'
import pytest

from shopcore.errors import OutOfStockError
from shopcore.inventory import Inventory


class TestReserve:
    @pytest.mark.parametrize("sku", [f"SKU-{i:03d}" for i in range(0, 40, 2)])
    def test_reserve_reduces_free_stock(self, inventory_db, sku):
        inv = Inventory(inventory_db)
        before = inv.free(sku)
        assert inv.reserve(sku, 2) == before - 2

    @pytest.mark.parametrize("sku", [f"SKU-{i:03d}" for i in range(1, 40, 4)])
    def test_reserve_more_than_free_fails(self, inventory_db, sku):
        inv = Inventory(inventory_db)
        with pytest.raises(OutOfStockError):
            inv.reserve(sku, inv.free(sku) + 1)
EOF
  cat >"$t/test_shipping.py" <<'EOF'
import pytest

from shopcore.shipping import ZONES, quote

WEIGHTS = [250, 1200, 31500, 40000]


class TestQuote:
    @pytest.mark.parametrize("country", sorted(ZONES))
    @pytest.mark.parametrize("weight", WEIGHTS)
    def test_parcels_and_price(self, country, weight):
        q = quote(country, weight)
        parcels = -(-weight // 31500)
        assert (q.parcels, q.cents) == (parcels, 490 * ZONES[country] * parcels)


class TestCarrier:
    @pytest.mark.parametrize("country", ["DE", "AT", "FR", "NL", "IT", "ES"])
    @pytest.mark.parametrize("weight", [500, 5000])
    def test_europe_ships_with_dhl(self, country, weight):
        q = quote(country, weight)
        assert q.carrier == "DHL"

    def test_us_ships_with_ups(self):
        assert quote("US", 1000).carrier == "UPS"
EOF
  cat >"$t/test_payments.py" <<'EOF'
import pytest

from shopcore.errors import PaymentDeclined
from shopcore.payments import charge


class TestCharge:
    @pytest.mark.parametrize("order", [f"SO-{n:05d}" for n in range(10400, 10420)])
    def test_charge_returns_charge_id(self, order):
        assert charge(order, 4990) == f"ch_{order}_4990"


class TestDeclined:
    @pytest.mark.parametrize("cents", [0, -1, -100, -99999])
    def test_non_positive_amount_is_declined(self, cents):
        with pytest.raises(PaymentDeclined):
            charge("SO-00001", cents)
EOF
  cat >"$t/test_refunds.py" <<'EOF'
import pytest

from shopcore.payments import refund


class TestRefund:
    @pytest.mark.timeout(0.5)
    @pytest.mark.parametrize("charge_id", [f"ch_SO-{n:05d}_4990" for n in range(10400, 10408)])
    def test_refund_id(self, charge_id):
        assert refund(charge_id) == "re_" + charge_id[3:]
EOF
  cat >"$t/test_coupons.py" <<'EOF'
from datetime import date

import pytest

from shopcore.coupons import COUPONS, apply, valid_from

DAYS = [date(2024, m, 15) for m in (1, 3, 5, 7, 9, 12)]


class TestCouponDates:
    @pytest.mark.parametrize("code", sorted(COUPONS))
    @pytest.mark.parametrize("today", DAYS, ids=lambda d: d.isoformat())
    def test_coupon_applies_after_start(self, code, today):
        start = date.fromisoformat(COUPONS[code][0])
        expected = 10000 - 100 * COUPONS[code][1] if today >= start else 10000
        assert apply(code, 10000, today) == expected


class TestCouponStart:
    @pytest.mark.parametrize("code", sorted(COUPONS))
    def test_valid_from_is_first_of_month(self, code):
        assert valid_from(code).day == 1
EOF
  cat >"$t/test_customers.py" <<'EOF'
import pytest

from shopcore.customers import display_name, email_domain

ADDRESSES = [f"{user}@{domain}" for user in ("ana", "bo.li", "c+shop") for domain in
             ("example.com", "Example.ORG", "mail.example.net", "shop.example.co.uk", "x.io", "web.de", "post.at", "kpn.nl")]


class TestEmailDomain:
    @pytest.mark.parametrize("address", ADDRESSES)
    def test_domain_is_lowercased(self, address):
        assert email_domain(address) == address.split("@")[1].lower()


class TestDisplayName:
    @pytest.mark.parametrize("first,last,expected", [
        ("ana", "lopez", "Ana Lopez"),
        (" bo ", "li", "Bo Li"),
        ("CHRIS", "o'neil", "Chris O'Neil"),
        ("dora", "de la cruz", "Dora De La Cruz"),
        ("eva", "smith-jones", "Eva Smith-Jones"),
    ])
    def test_display_name(self, first, last, expected):
        assert display_name(first, last) == expected

    def test_display_name_keeps_particles(self):
        assert display_name("ludwig", "van beethoven") == "Ludwig van Beethoven"
EOF
  cat >"$t/test_catalog.py" <<'EOF'
import pytest

from shopcore.catalog import CATEGORIES, nth_product, slug


class TestNthProduct:
    @pytest.mark.parametrize("category", sorted(CATEGORIES))
    @pytest.mark.parametrize("n", range(9))
    def test_nth_product_wraps_around(self, category, n):
        items = CATEGORIES[category]
        assert nth_product(category, n) == items[n % len(items)]


class TestSlug:
    @pytest.mark.parametrize("name,expected", [("Hammer", "hammer"), ("Paint Roller", "paint-roller"),
                                               (" Garden Hose ", "garden-hose"), ("Saw", "saw"), ("Tape 50 m", "tape-50-m")])
    def test_slug(self, name, expected):
        assert slug(name) == expected
EOF
  cat >"$t/test_currency.py" <<'EOF'
from decimal import Decimal

import pytest

from shopcore.currency import RATES, convert


class TestConvert:
    @pytest.mark.parametrize("to", sorted(RATES))
    @pytest.mark.parametrize("cents", [1, 99, 1000, 123456, 5000000, 7])
    def test_convert(self, cents, to):
        assert convert(cents, to) == int((Decimal(cents) * Decimal(RATES[to])).to_integral_value())
EOF
  cat >"$t/test_returns.py" <<'EOF'
from datetime import date, timedelta

import pytest

from shopcore.returns import last_return_day, return_window

DELIVERED = [date(2024, m, d) for m in (1, 4, 8, 11) for d in (1, 15, 28)]


class TestReturnWindow:
    @pytest.mark.parametrize("delivered", DELIVERED, ids=lambda d: d.isoformat())
    @pytest.mark.parametrize("country", ["DE", "FR"])
    def test_window_is_thirty_days(self, delivered, country):
        assert return_window(delivered, country) == 30, "return window must be 30 days"

    def test_last_return_day(self):
        assert last_return_day(date(2024, 2, 1), "AT") == date(2024, 2, 1) + timedelta(days=30)
EOF
  cat >"$t/test_loyalty.py" <<'EOF'
import pytest

from shopcore.loyalty import points, tier


class TestPoints:
    @pytest.mark.parametrize("cents", [0, 99, 100, 1250, 4999, 10000, 12345, 99900, 250000, 7, 530, 61000,
                                       88800, 100001, 3333, 4200, 15000, 777, 9999, 20000])
    def test_one_point_per_euro(self, cents):
        assert points(cents) == cents // 100


class TestTier:
    @pytest.mark.parametrize("total,expected", [(0, "bronze"), (499, "bronze"), (500, "silver"), (1999, "silver"),
                                                (2000, "gold"), (2500, "gold"), (750, "silver"), (12000, "gold"),
                                                (100, "bronze"), (1000, "silver")])
    def test_tier(self, total, expected):
        assert tier(total) == expected, "loyalty tier changed unexpectedly"
EOF
  cat >"$t/test_invoices.py" <<'EOF'
import pytest

from shopcore.invoices import render


class TestRender:
    @pytest.mark.parametrize("number", [f"INV-2024-{n:04d}" for n in range(1, 25)])
    def test_render_lists_every_line(self, number):
        out = render(number, [("Hammer", 1299), ("Paint roller", 649)])
        assert out.decode().count("EUR") == 2
EOF
  cat >"$t/test_search.py" <<'EOF'
import pytest

from shopcore.search import rank

NAMES = ["hammer", "claw hammer", "saw", "hand saw", "drill", "drill bits", "paint", "paint roller"]


class TestRank:
    @pytest.mark.parametrize("query", ["ham", "saw", "dri", "pai", "roll", "bit", "claw", "hand",
                                       "er", "ll", "a", "i", "nt", "w", "r", "bits"])
    def test_prefix_hits_first(self, query):
        ranked = rank(NAMES, query)
        assert set(ranked) == set(NAMES)

    @pytest.mark.parametrize("n", range(2, 10))
    def test_rank_of_first_n(self, n):
        assert rank(NAMES[:n], "zzz") == sorted(NAMES[:n])
EOF
}

job_matrix() {
  local d=$CI_ROOT/shopcore
  make_shopcore "$d"
  start_job pytest-matrix "$d" "$d/.venv"
  local leg py seed i=0
  for leg in "3.11 a" "3.12 b" "3.13 c"; do
    i=$((i + 1)); set -- $leg; py=$(pyver "$1"); seed=$2
    rm -rf "$d/.venv"; "$py" -m venv "$d/.venv"
    quiet "pip install -q pytest==$PYTEST_V pytest-timeout==$TIMEOUT_V"
    # the matrix leg's own label, then the command as the job runs it
    printf '+ python -m pytest -rfE tests/ (matrix: py%s-%s)\n' "$1" "$seed" >>"$JOB_LOG"
    local rc=0
    (cd "$d" && job_env "$d/.venv" SHOPCORE_FAULTS="$seed:19" bash -c \
      "python -m pytest -rfE -p no:cacheprovider --junit-xml=junit-$i.xml tests/") >>"$JOB_LOG" 2>&1 </dev/null || rc=$?
    cp "$d/junit-$i.xml" "$CASE_DIR/"
    printf '%s\tpytest leg %s\n' "$rc" "$i" >>"$JOB_STEPS"
  done
  truth matrix "$CASE_DIR" "$JOB_STEPS"
}

# --- truth.json: read from the tools' machine-readable output, checked against job.log ---------
truth() {  # truth KIND CASE_DIR STEPS
  python3 - "$@" <<'EOF'
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

kind, case, steps_file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
log = (case / "job.log").read_text(encoding="utf-8")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
lines = [ANSI.sub("", ln) for ln in log.split("\n")]  # as the reader sees them: colours removed
steps = [ln.split("\t", 1) for ln in steps_file.read_text().splitlines()]


def uniq(xs):
    return list(dict.fromkeys(xs))


def rel(path):
    return re.sub(r"^/tmp/ci/[^/]+/", "", path)


def totals_line(pattern, check=None):
    """The log lines matching pattern (stripped); check(match) must hold for each."""
    found = []
    for ln in lines:
        m = re.match(pattern, ln.strip())
        if m:
            if check is not None:
                assert check(m), (pattern, ln)
            found.append(m.groupdict().get("t") or m.group(0))
    assert found, f"no totals line {pattern!r} in {case}"
    return found


def mypy_records(name):
    p = case / name
    return [json.loads(ln) for ln in p.read_text().splitlines() if ln.startswith("{")] if p.exists() else []


def mypy_truth(recs):
    errs = [r for r in recs if r["severity"] == "error"]
    return uniq(f"{r['file']}:{r['line']}" for r in errs), uniq(r["code"] for r in errs if r["code"]), len(errs), len({r["file"] for r in errs})


def unittest_truth(junit):
    """Failing ids as unittest prints them (module.Class.method) and its FAILED (...) line."""
    root = ET.parse(junit).getroot()
    fails, errors, skips, ids = 0, 0, 0, []
    for tc in root.iter("testcase"):
        tid = f"{tc.get('classname')}.{tc.get('name')}"
        bad = tc.find("failure") if tc.find("failure") is not None else tc.find("error")
        if bad is not None:
            # unittest counts an AssertionError as a failure and any other exception as an error
            if (bad.get("message") or "").startswith("AssertionError"):
                fails += 1
            else:
                errors += 1
            ids.append(tid)
        elif tc.find("skipped") is not None:
            skips += 1
    parts = [f"{k}={v}" for k, v in (("failures", fails), ("errors", errors), ("skipped", skips)) if v]
    return ids, f"FAILED ({', '.join(parts)})"


def ruff_truth(path):
    recs = json.loads((case / path).read_text() or "[]")
    locs = uniq(f"{rel(r['filename'])}:{r['location']['row']}" for r in recs)
    codes = uniq(r["code"] for r in recs if r["code"])
    return locs, codes, len(recs)


def shrink_junit(path):
    """Keep a JUnit report small: the suite counts and the failing, erroring and skipped test
    cases with their messages stay; passing cases and the traceback text go."""
    tree = ET.parse(path)
    for suite in tree.getroot().iter("testsuite"):
        for tc in list(suite.findall("testcase")):
            if not len(tc):
                suite.remove(tc)
    for el in tree.getroot().iter():
        if el.tag in ("failure", "error", "skipped"):
            el.text = None
        if el.tag in ("system-out", "system-err"):
            el.text = None
    for props in list(tree.getroot().iter("properties")):
        props.clear()
    tree.write(path, encoding="utf-8", xml_declaration=True)


truth = {"tool": "", "command": "", "failing_tests": [], "error_locations": [], "error_codes": [], "totals": []}
failed_steps = [cmd for rc, cmd in steps if rc != "0"]

if kind == "mypy":
    locs, codes, n, nfiles = mypy_truth(mypy_records("mypy.json"))
    slocs, scodes, sn, snfiles = mypy_truth(mypy_records("mypy-strict.json"))
    ids, failed = unittest_truth(case / "junit.xml")
    totals = [failed]
    totals += totals_line(r"^Found (\d+) errors? in (\d+) files? \(checked \d+ source files?\)$",
                          lambda m: (int(m.group(1)), int(m.group(2))) in ((n, nfiles), (sn, snfiles)))
    truth.update(tool="unittest, mypy", command="; ".join(c for _, c in steps[-3:]),
                 failing_tests=ids, error_locations=uniq(locs + slocs), error_codes=uniq(codes + scodes), totals=totals)
    shrink_junit(case / "junit.xml")
elif kind == "lint":
    rlocs, rcodes, rn = ruff_truth("ruff.json")
    flocs, fcodes = [], []
    for ln in (case / "flake8.txt").read_text().splitlines():
        path, row, _col, code, _text = ln.split(":", 4)
        flocs.append(f"{path}:{row}"); fcodes.append(code)
    fmt = json.loads((case / "ruff-format.json").read_text() or "[]")
    nfmt = len({r["filename"] for r in fmt})
    totals = totals_line(r"^=+ (?P<t>\d+ passed in [\d.]+s) =+$")
    totals += totals_line(r"^Found (\d+) errors?\.$", lambda m: int(m.group(1)) == rn)
    totals += totals_line(r"^(\d+) files? would be reformatted, \d+ files? already formatted$", lambda m: int(m.group(1)) == nfmt)
    truth.update(tool="ruff, flake8", command="; ".join(c for _, c in steps[4:]),
                 error_locations=uniq(rlocs + flocs), error_codes=uniq(rcodes + fcodes), totals=totals)
elif kind == "precommit":
    hooks = [ln.split("\t") for ln in (case / "hooks.tsv").read_text().splitlines()]
    failing = [name for _hid, name, rc in hooks if rc != "0"]
    for name in failing:
        assert re.search(rf"^{re.escape(name)}\.+Failed$", log, re.M), name
    rlocs, rcodes, rn = ruff_truth("ruff.json")
    mlocs, mcodes, n, nfiles = mypy_truth(mypy_records("mypy.json"))
    ids, failed = unittest_truth(case / "junit.xml")
    # pre-commit may split the files over several runs of a hook: their counts add up
    totals = totals_line(r"^Found (\d+) errors?\.$")
    assert sum(int(re.match(r"Found (\d+)", t).group(1)) for t in totals) == rn, (totals, rn)
    totals += totals_line(r"^Found (\d+) errors? in (\d+) files? \(checked \d+ source files?\)$",
                          lambda m: (int(m.group(1)), int(m.group(2))) == (n, nfiles))
    totals += totals_line(r"^\d+ files? would be reformatted, \d+ files? already formatted$")
    totals.append(failed)
    truth.update(tool="pre-commit (ruff, mypy, pygrep, unittest)", command=steps[-1][1],
                 failing_tests=failing + ids, error_locations=uniq(rlocs + mlocs), error_codes=uniq(rcodes + mcodes),
                 totals=totals, hooks={name: ("failed" if rc != "0" else "passed") for _hid, name, rc in hooks})
    shrink_junit(case / "junit.xml")
elif kind == "pip":
    wheels = {p.name.split("-")[0].lower().replace("_", "-") + "==" + p.name.split("-")[1] for p in Path("/tmp/ci/py-wheelhouse").glob("*.whl")}
    unsatisfiable = [ln.strip() for ln in (case / "requirements.txt").read_text().splitlines()
                     if "==" in ln and not ln.startswith("#") and ln.strip() not in wheels]
    # the pins asked for, and what the wheels they pull in require (from their METADATA)
    import zipfile
    conflicting = [ln.strip() for ln in (case / "requirements-plugins.txt").read_text().splitlines() if ln.strip()]
    for req in list(conflicting):
        name, _, version = req.partition("==")
        for whl in Path("/tmp/ci/py-wheelhouse").glob(f"{name.replace('-', '_')}-{version}-*.whl"):
            with zipfile.ZipFile(whl) as z:
                meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
                conflicting += [ln.split(": ", 1)[1] for ln in z.read(meta).decode().splitlines() if ln.startswith("Requires-Dist: ")]
    conflicting = [c for c in conflicting if c in log]
    truth.update(tool="pip", command="; ".join(failed_steps), failed_commands=failed_steps,
                 unsatisfiable_requirements=unsatisfiable, conflicting_requirements=conflicting)
elif kind == "sphinx":
    locs, codes, nwarn = [], [], 0
    for name in ("warnings.txt", "warnings-7.txt"):
        for ln in (case / name).read_text().splitlines():
            nwarn += name == "warnings.txt" and bool(re.search(r"(^|: )WARNING: ", ln))
            m = re.match(r"^(/\S+\.(?:rst|md|txt)):(\d+):", ln)
            if m:
                locs.append(f"{m.group(1)}:{m.group(2)}")
            codes += re.findall(r" \[([a-z_]+(?:\.[a-z_]+)?)\]$", ln)
    totals = totals_line(r"^build finished with problems, (\d+) warnings? \(with warnings treated as errors\)\.$",
                         lambda m: int(m.group(1)) == nwarn)
    out = (case / "doctest-output.txt").read_text()
    totals += re.findall(r"^\d+ passed and \d+ failed\.$", out, re.M)
    totals += re.findall(r"^\s+(\d+ failures? in tests)$", out, re.M)
    totals += [t for t in totals_line(r"^build finished with problems, \d+ warnings?\.$") if t not in totals]
    truth.update(tool="sphinx-build", command="; ".join(failed_steps), error_locations=uniq(locs),
                 error_codes=uniq(codes), totals=totals)
elif kind == "matrix":
    ids, pairs, runs = [], [], []
    heads = [ln for ln in lines if re.match(r"^\+ python -m pytest .*\(matrix: ", ln)]
    totals = []
    for i in (1, 2, 3):
        root = ET.parse(case / f"junit-{i}.xml").getroot()
        run_ids, nfail, nerr = [], 0, 0
        for tc in root.iter("testcase"):
            bad = tc.find("failure") if tc.find("failure") is not None else tc.find("error")
            if bad is None:
                continue
            mod = tc.get("classname").split(".")
            nodeid = "/".join(mod[:-1]) + ".py::" + mod[-1] + "::" + tc.get("name")
            if (mod[-1][0].islower()):  # a module-level test
                nodeid = "/".join(mod) + ".py::" + tc.get("name")
            run_ids.append(nodeid)
            if bad.tag == "failure":
                nfail += 1
            else:
                nerr += 1
            first = (bad.get("message") or "").splitlines()[0]
            typ, _, msg = first.partition(": ")
            if bad.tag == "error" and first.startswith("failed on setup with "):
                first = first[len("failed on setup with "):].strip('"')
                typ, _, msg = first.partition(": ")
            pairs.append((typ, msg))
        runs.append({"matrix": re.search(r"\(matrix: (\S+)\)", heads[i - 1]).group(1), "failing_tests": run_ids})
        ids += run_ids
        shrink_junit(case / f"junit-{i}.xml")
    pat = r"^=+ (\d+ failed(?:, \d+ passed)?(?:, \d+ errors?)? in [\d.]+s(?: \([\d:]+\))?) =+$"
    for ln in lines:
        m = re.match(pat, ln)
        if m:
            totals.append(m.group(1))
    assert len(totals) == 3, totals
    for run, tot in zip(runs, totals):
        nf = int(re.match(r"(\d+) failed", tot).group(1))
        ne = int((re.search(r"(\d+) errors?", tot) or re.match("()0", "0")).group(1) or 0)
        assert nf + ne == len(run["failing_tests"]), (tot, len(run["failing_tests"]))
    for r in runs:
        for t in r["failing_tests"]:
            assert re.search(rf"^(FAILED|ERROR) {re.escape(t)}( - |$)", log, re.M), t
    truth.update(tool="pytest", command="python -m pytest -rfE tests/", failing_tests=uniq(ids), totals=totals,
                 exceptions=[list(p) for p in uniq(pairs)], runs=runs)

# every string must be in the log, verbatim
def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)

for key, val in truth.items():
    if key in ("tool", "command", "hooks", "runs", "failed_commands"):
        continue
    if key == "exceptions":
        for typ, msg in val:
            assert f"{typ}: {msg}" in log or (typ in log and msg in log), (typ, msg)
        continue
    for s in strings(val):
        assert s in log, f"{case.name}: {key}: {s!r} not in job.log"
for cmd in truth.get("failed_commands", []):
    assert f"+ {cmd}\n" in log, cmd
(case / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{case.name}: {len(truth['failing_tests'])} failing tests, {len(truth['error_locations'])} locations, "
      f"{len(truth['error_codes'])} codes, {len(truth['totals'])} totals, {len(log) // 1024} KB")
EOF
}

# --- main ----------------------------------------------------------------------------------
setup_tools
for job in ${PY_JOBS:-mypy lint precommit pip sphinx matrix}; do
  "job_$job"
done
clean_ci
