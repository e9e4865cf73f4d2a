"""Make the baseline fixtures: four small real projects (a Python package tested with
pytest, a Go module, a Rust crate, a node:test suite) are written to a temporary
folder, their test suites run once as they are (passing), then again after faults are
injected (a changed assertion, a raised exception or panic); both outputs are kept.

    python tokopt_pipeline_tests/data/baseline/make_logs.py [OUT_DIR]

Needs python3 with pytest, go, cargo and node on PATH; no network (no dependencies).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# -- a Python package and its pytest suite ------------------------------------------
PY_LIB = '''\
import logging

log = logging.getLogger("inventory")


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self):
        self.items = {}

    def add(self, name, qty):
        log.info("adding %d x %s", qty, name)
        self.items[name] = self.items.get(name, 0) + qty
        return self.items[name]

    def remove(self, name, qty):
        have = self.items.get(name, 0)
        if have < qty:
            log.warning("cannot remove %d x %s: only %d left", qty, name, have)
            raise OutOfStock(name)
        self.items[name] = have - qty
        log.info("removed %d x %s, %d left", qty, name, self.items[name])
        return self.items[name]

    def total(self):
        return sum(self.items.values())


def price(qty, unit, discount=0.0):
    log.debug("pricing %d at %.2f", qty, unit)
    return round(qty * unit * (1 - discount), 2)
'''

PY_TESTS = '''\
import logging
import pytest
from inventory import Inventory, OutOfStock, price

log = logging.getLogger("tests")


@pytest.mark.parametrize("n", range(60))
def test_add(n):
    inv = Inventory()
    log.info("case %d", n)
    assert inv.add("bolt", n) == n


@pytest.mark.parametrize("n", range(1, 40))
def test_remove(n):
    inv = Inventory()
    inv.add("nut", 40)
    assert inv.remove("nut", n) == 40 - n


def test_out_of_stock():
    inv = Inventory()
    with pytest.raises(OutOfStock):
        inv.remove("washer", 1)


@pytest.mark.parametrize("qty,unit,expected", [(1, 2.5, 2.5), (4, 1.25, 5.0), (3, 0.1, 0.3), (10, 9.99, 99.9)])
def test_price(qty, unit, expected):
    assert price(qty, unit) == expected


def test_discount():
    assert price(10, 10.0, discount=0.25) == 75.0


def test_total():
    inv = Inventory()
    for i, name in enumerate(["a", "b", "c", "d"]):
        inv.add(name, i + 1)
    assert inv.total() == 10
'''

PY_AREAS = ["catalog", "orders", "payments", "shipping", "users", "reviews", "coupons", "search", "reports", "stock"]
PY_AREA = '''\
import logging

log = logging.getLogger("shop.{area}")


def handle_{area}(n):
    log.info("{area}: handling request %d", n)
    if n % 7 == 3:
        log.warning("{area}: slow path for request %d", n)
    return n * 2


def check_{area}(items):
    log.debug("{area}: checking %d items", len(items))
    return sorted(items)
'''
PY_AREA_TEST = '''\
import pytest
from {area} import handle_{area}, check_{area}


@pytest.mark.parametrize("n", range(12))
def test_{area}_handles(n):
    assert handle_{area}(n) == 2 * n


def test_{area}_sorted():
    assert check_{area}([3, 1, 2]) == [1, 2, 3]


def test_{area}_empty():
    assert check_{area}([]) == []
'''
PY_FAULTS = [
    ("tests/test_inventory.py", "assert price(10, 10.0, discount=0.25) == 75.0", "assert price(10, 10.0, discount=0.25) == 70.0"),
    ("shipping.py", "    return sorted(items)", "    return sorted(items, reverse=True)"),
    ("inventory.py", "        self.items[name] = have - qty\n", "        self.items[name] = have - qty\n        if name == \"nut\" and qty == 7:\n            raise RuntimeError(f\"ledger out of sync for {name}\")\n"),
]

# -- a Go module -----------------------------------------------------------------------
GO_MOD = "module example.com/shop\n\ngo 1.19\n"
GO_CART = '''\
package cart

import "fmt"

type Cart struct{ lines map[string]int }

func New() *Cart { return &Cart{lines: map[string]int{}} }

func (c *Cart) Add(sku string, n int) int {
	c.lines[sku] += n
	return c.lines[sku]
}

func (c *Cart) Count() int {
	total := 0
	for _, n := range c.lines {
		total += n
	}
	return total
}

func Label(sku string, n int) string { return fmt.Sprintf("%s x%d", sku, n) }
'''
GO_CART_TEST = '''\
package cart

import (
	"fmt"
	"testing"
)

func TestAdd(t *testing.T) {
	for i := 0; i < 60; i++ {
		t.Run(fmt.Sprintf("n=%d", i), func(t *testing.T) {
			c := New()
			t.Logf("adding %d items", i)
			if got := c.Add("sku-1", i); got != i {
				t.Fatalf("Add = %d, want %d", got, i)
			}
		})
	}
}

func TestCount(t *testing.T) {
	c := New()
	c.Add("a", 2)
	c.Add("b", 3)
	t.Logf("cart has %d lines", len(c.lines))
	if c.Count() != 5 {
		t.Errorf("Count = %d, want 5", c.Count())
	}
}

func TestLabel(t *testing.T) {
	if got := Label("pen", 3); got != "pen x3" {
		t.Errorf("Label = %q", got)
	}
}
'''
GO_TAX = '''\
package tax

func Rate(region string) float64 {
	switch region {
	case "eu":
		return 0.2
	case "us":
		return 0.07
	}
	return 0
}

func Apply(amount float64, region string) float64 { return amount * (1 + Rate(region)) }
'''
GO_TAX_TEST = '''\
package tax

import (
	"fmt"
	"math"
	"testing"
)

func TestRate(t *testing.T) {
	for _, r := range []string{"eu", "us", "uk", "jp", "br", "in", "ca", "mx", "au", "nz", "za", "kr", "cn", "ar", "cl", "pe"} {
		t.Run(r, func(t *testing.T) {
			t.Logf("rate of %s is %v", r, Rate(r))
			if Rate(r) < 0 {
				t.Fatal("negative rate")
			}
		})
	}
}

func TestApply(t *testing.T) {
	for i := 1; i <= 30; i++ {
		t.Run(fmt.Sprintf("amount=%d", i*10), func(t *testing.T) {
			got := Apply(float64(i*10), "eu")
			want := float64(i*10) * 1.2
			if math.Abs(got-want) > 1e-9 {
				t.Errorf("Apply = %v, want %v", got, want)
			}
		})
	}
}
'''
GO_PKGS = ["billing", "catalog", "courier", "audit", "session", "search"]
GO_PKG = '''\
package {pkg}

import "strings"

func Normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func Score(n int) int { return n*n + 1 }
'''
GO_PKG_TEST = '''\
package {pkg}

import (
	"fmt"
	"testing"
)

func TestNormalize{Pkg}(t *testing.T) {
	for _, s := range []string{" A", "b ", " C d ", "EE"} {
		t.Run(s, func(t *testing.T) {
			t.Logf("{pkg}: normalizing %q", s)
			if Normalize(s) != Normalize(Normalize(s)) {
				t.Fatal("not idempotent")
			}
		})
	}
}

func TestScore{Pkg}(t *testing.T) {
	for i := 0; i < 8; i++ {
		t.Run(fmt.Sprintf("i=%d", i), func(t *testing.T) {
			t.Logf("{pkg}: score(%d) = %d", i, Score(i))
			if Score(i) <= 0 {
				t.Errorf("score %d", Score(i))
			}
		})
	}
}
'''
GO_FAULTS = [
    ("cart/cart_test.go", "if c.Count() != 5 {", "if c.Count() != 6 {"),
    ("tax/tax.go", 'func Apply(amount float64, region string) float64 { return amount * (1 + Rate(region)) }',
     'func Apply(amount float64, region string) float64 {\n\tif amount > 60 {\n\t\tpanic("tax table not loaded")\n\t}\n\treturn amount * (1 + Rate(region))\n}'),
]

# -- a Rust crate ----------------------------------------------------------------------
RS_TOML = '[package]\nname = "ledger"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
RS_LIB = '''\
pub struct Ledger {
    entries: Vec<i64>,
}

impl Ledger {
    pub fn new() -> Self {
        Ledger { entries: Vec::new() }
    }

    pub fn post(&mut self, amount: i64) -> i64 {
        let unused_note = "posting";
        self.entries.push(amount);
        self.balance()
    }

    pub fn balance(&self) -> i64 {
        self.entries.iter().sum()
    }

    pub fn split(&self, parts: i64) -> i64 {
        self.balance() / parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! post_case {
        ($($name:ident: $value:expr,)*) => {
        $(
            #[test]
            fn $name() {
                let mut l = Ledger::new();
                println!("posting {} to a new ledger", $value);
                assert_eq!(l.post($value), $value);
            }
        )*
        }
    }

    post_case! {
        post_1: 1, post_2: 2, post_3: 3, post_4: 4, post_5: 5, post_6: 6, post_7: 7, post_8: 8, post_9: 9, post_10: 10,
        post_11: 11, post_12: 12, post_13: 13, post_14: 14, post_15: 15, post_16: 16, post_17: 17, post_18: 18, post_19: 19, post_20: 20,
        post_21: 21, post_22: 22, post_23: 23, post_24: 24, post_25: 25, post_26: 26, post_27: 27, post_28: 28, post_29: 29, post_30: 30,
        post_31: 31, post_32: 32, post_33: 33, post_34: 34, post_35: 35, post_36: 36, post_37: 37, post_38: 38, post_39: 39, post_40: 40,
        post_41: 41, post_42: 42, post_43: 43, post_44: 44, post_45: 45, post_46: 46, post_47: 47, post_48: 48, post_49: 49, post_50: 50,
        post_51: 51, post_52: 52, post_53: 53, post_54: 54, post_55: 55, post_56: 56, post_57: 57, post_58: 58, post_59: 59, post_60: 60,
        post_61: 61, post_62: 62, post_63: 63, post_64: 64, post_65: 65, post_66: 66, post_67: 67, post_68: 68, post_69: 69, post_70: 70,
        post_71: 71, post_72: 72, post_73: 73, post_74: 74, post_75: 75, post_76: 76, post_77: 77, post_78: 78, post_79: 79, post_80: 80,
    }

    #[test]
    fn balance_sums() {
        let mut l = Ledger::new();
        l.post(10);
        l.post(-4);
        assert_eq!(l.balance(), 6);
    }

    #[test]
    fn split_even() {
        let mut l = Ledger::new();
        l.post(100);
        assert_eq!(l.split(4), 25);
    }

    #[test]
    fn split_uneven() {
        let mut l = Ledger::new();
        l.post(10);
        assert_eq!(l.split(3), 3);
    }
}
'''
RS_FAULTS = [
    ("src/lib.rs", "assert_eq!(l.balance(), 6);", "assert_eq!(l.balance(), 7);"),
    ("src/lib.rs", "        self.balance() / parts\n", "        if parts == 3 {\n            panic!(\"cannot split a ledger into {} parts\", parts);\n        }\n        self.balance() / parts\n"),
]

# -- a node:test suite -----------------------------------------------------------------
JS_LIB = '''\
export function slug(text) {
  return text.toLowerCase().trim().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

export function wordCount(text) {
  return text.split(/\\s+/).filter(Boolean).length;
}

export function parseDate(text) {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`bad date: ${text}`);
  return d.toISOString().slice(0, 10);
}
'''
JS_TEST_SLUG = '''\
import { test } from "node:test";
import assert from "node:assert/strict";
import { slug, wordCount } from "../lib.mjs";

const cases = [["Hello World", "hello-world"], ["  Tabs\\tand spaces ", "tabs-and-spaces"], ["A/B testing", "a-b-testing"],
  ["Ünïcode", "n-code"], ["many---dashes", "many-dashes"], ["x", "x"], ["2024 plan", "2024-plan"], ["end.", "end"]];
for (let i = 0; i < 40; i++) cases.push([`Item ${i} of List`, `item-${i}-of-list`]);
for (const [input, want] of cases) {
  test(`slug of ${JSON.stringify(input)}`, () => {
    console.log(`slugging ${input}`);
    assert.equal(slug(input), want);
  });
}

test("word count", () => {
  assert.equal(wordCount("one two  three"), 3);
});
'''
JS_TEST_DATE = '''\
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDate } from "../lib.mjs";

const days = ["2024-01-05", "2024-02-29", "2023-12-31", "2025-06-15", "2022-07-04", "2021-11-11"];
for (let m = 1; m <= 12; m++) days.push(`2023-${String(m).padStart(2, "0")}-15`);
for (const day of days) {
  test(`parse ${day}`, () => {
    assert.equal(parseDate(day + "T10:00:00Z"), day);
  });
}

test("rejects garbage", () => {
  assert.throws(() => parseDate("not a date"), /bad date/);
});
'''
JS_AREAS = ["cart", "menu", "auth", "feed", "chat", "maps"]
JS_AREA_TEST = '''\
import { test } from "node:test";
import assert from "node:assert/strict";
import { slug, wordCount } from "../lib.mjs";

for (let i = 0; i < 10; i++) {
  test(`{area} title ${i}`, () => {
    console.log(`{area}: rendering title ${i}`);
    assert.equal(slug(`{area} Title ${i}`), `{area}-title-${i}`);
  });
}

test("{area} summary words", () => {
  assert.equal(wordCount("{area} has three"), 3);
});
'''
JS_FAULTS = [
    ("test/slug.test.mjs", 'assert.equal(wordCount("one two  three"), 3);', 'assert.equal(wordCount("one two  three"), 4);'),
    ("lib.mjs", "  const d = new Date(text);\n", "  const d = new Date(text);\n  if (text.startsWith(\"2024-02\")) throw new RangeError(`leap day table missing for ${text}`);\n"),
]

SUITES = {
    "pytest": ({"inventory.py": PY_LIB, "tests/test_inventory.py": PY_TESTS, "tests/conftest.py": "import sys, os\nsys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))\n",
                **{f"{a}.py": PY_AREA.replace("{area}", a) for a in PY_AREAS},
                **{f"tests/test_{a}.py": PY_AREA_TEST.replace("{area}", a) for a in PY_AREAS}},
               [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--log-cli-level=INFO", "tests"], PY_FAULTS),
    "go": ({"go.mod": GO_MOD, "cart/cart.go": GO_CART, "cart/cart_test.go": GO_CART_TEST, "tax/tax.go": GO_TAX, "tax/tax_test.go": GO_TAX_TEST,
            **{f"{p}/{p}.go": GO_PKG.replace("{pkg}", p) for p in GO_PKGS},
            **{f"{p}/{p}_test.go": GO_PKG_TEST.replace("{pkg}", p).replace("{Pkg}", p.title()) for p in GO_PKGS}},
           ["go", "test", "-v", "-count=1", "./..."], GO_FAULTS),
    "cargo": ({"Cargo.toml": RS_TOML, "src/lib.rs": RS_LIB}, ["cargo", "test", "--offline"], RS_FAULTS),
    "node": ({"package.json": '{"name": "textkit", "type": "module", "private": true}\n', "lib.mjs": JS_LIB,
              "test/slug.test.mjs": JS_TEST_SLUG, "test/date.test.mjs": JS_TEST_DATE,
             **{f"test/{a}.test.mjs": JS_AREA_TEST.replace("{area}", a) for a in JS_AREAS}},
             ["node", "--test", "test/"], JS_FAULTS),
}


def run(cmd: list[str], cwd: Path) -> str:
    env = {**os.environ, "NO_COLOR": "1", "CARGO_TERM_COLOR": "never", "GOFLAGS": "-mod=mod", "GOPROXY": "off"}
    env.pop("FORCE_COLOR", None)
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return f"$ {' '.join(cmd[1:] if cmd[0] == sys.executable else cmd).replace('-m pytest', 'pytest')}\n{p.stdout}exit status {p.returncode}\n"


def make(name: str, out: Path) -> None:
    files, cmd, faults = SUITES[name]
    with tempfile.TemporaryDirectory(prefix=f"tokopt-{name}-") as tmp:
        root = Path(tmp) / name
        for rel, text in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        if name == "cargo":
            run(["cargo", "build", "--tests", "--offline", "-q"], root)  # warm: both runs show the same build lines
        passing = run(cmd, root)
        for rel, old, new in faults:
            p = root / rel
            text = p.read_text()
            assert old in text, (rel, old)
            p.write_text(text.replace(old, new, 1))
        failing = run(cmd, root)
    tmp_prefix = str(Path(tmp))
    for kind, text in (("pass", passing), ("fail", failing)):
        (out / f"{name}-{kind}.log").write_text(text.replace(tmp_prefix, "/src").replace(sys.prefix, "/venv"))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    for suite in SUITES:
        make(suite, out)
        print(f"{suite}: {out}/{suite}-pass.log, {out}/{suite}-fail.log")
