#!/usr/bin/env bash
# Fixtures of the "jslint" ecosystem: TypeScript type checking (tsc 5.9 and 7.0),
# ESLint 9 (stylish, unix, compact, json), Biome 2.6 and 1.9, Prettier 3 and 2.
#
# Writes small sample projects under /tmp/ci/<project>, runs each job as a CI shell
# would (each command echoed as "$ cmd", its output after it), and writes one fixture
# folder per job into $1 (default: tokopt_pipeline_tests/data/ecosystems):
#   job.log     the console output, ANSI colours stripped
#   report.*    the tools' machine-readable output of the same run
#   truth.json  failing tests, error locations, error codes and totals lines, derived
#               from the machine-readable output and checked to occur in job.log
#
# Needs node 20+, npm (with the registry reachable), python3 and perl; the tools are
# npm-installed into each sample project at pinned versions.
# Usage: bench/ecosystems/jslint.sh [OUT_DIR]; JSLINT_CASES="tsc eslint" runs some cases
# only (tsc eslint biome legacy prettier ci); JSLINT_WORK sets the scratch directory.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(realpath -m "${1:-$HERE/../../tokopt_pipeline_tests/data/ecosystems}")
WORK=${JSLINT_WORK:-/tmp/jslint-work}
CI=/tmp/ci
mkdir -p "$OUT" "$WORK"

# /tmp/ci may be shared with (and cleaned by) other jobs on the machine: when the
# system allows it, run in a private mount namespace where /tmp/ci is a directory of
# our own, so the paths in the logs stay /tmp/ci/<project>.
if [ -z "${JSLINT_PRIVATE_CI:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
  mkdir -p "$WORK/ci" "$CI"
  exec unshare --mount --propagation private env JSLINT_PRIVATE_CI=1 \
    bash -c 'mount --bind "$1" /tmp/ci && exec bash "$2" "$3"' _ "$WORK/ci" "${BASH_SOURCE[0]}" "$OUT"
fi
mkdir -p "$CI"

export npm_config_update_notifier=false npm_config_audit=false npm_config_loglevel=notice
export TZ=UTC LC_ALL=C.UTF-8

strip_ansi() { perl -pe 's/\e\[[0-?]*[ -\/]*[@-~]//g; s/\e\][^\a\e\n]*(?:\a|\e\\)//g; s/\e//g'; }

# put FILE: write stdin to FILE (directories created)
put() { mkdir -p "$(dirname "$1")"; cat >"$1"; }

# step LOG CMD: echo the command as a CI shell does, run it, append its output.
step() {
  local log=$1; shift
  printf '$ %s\n' "$*" >>"$log"
  ( eval "$*" ) 2>&1 | strip_ansi >>"$log" || true
}

# project NAME: a fresh, empty project directory; prints its path. A directory of that
# name not made by this script (no marker file) is left alone: the run stops.
project() {
  local d=$CI/$1
  if [ -e "$d" ] && [ ! -e "$d/.jslint-fixture" ]; then
    echo "$d exists and was not made by this script; remove it or rename the project" >&2
    exit 1
  fi
  rm -rf "$d"; mkdir -p "$d"; touch "$d/.jslint-fixture"; echo "$d"
}

# setup_deps DIR: install the project's devDependencies once (lockfile), outside the log
setup_deps() { (cd "$1" && npm install --no-audit --no-fund --silent >/dev/null 2>&1); }

# fixture CASE: a fresh fixture folder; prints its path
fixture() { rm -rf "${OUT:?}/$1"; mkdir -p "$OUT/$1"; echo "$OUT/$1"; }

# --- helpers written to $WORK: the source generator and the truth builder ---
write_helpers() {
put "$WORK/gensrc.mjs" <<'JSEOF'
// Writes the generated part of a sample project: a set of small, well-typed domain
// modules. Usage: node gensrc.mjs <dir> <domains> [--noisy] [--js]
// --noisy adds the kind of code old projects carry (console calls, `any`, unused
// arguments) that linters report as warnings.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [dir, count, ...flags] = process.argv.slice(2);
const noisy = flags.includes("--noisy");
const js = flags.includes("--js");
const ALL = [
  "account", "invoice", "order", "payment", "shipment", "customer", "product", "catalog",
  "inventory", "pricing", "refund", "ledger", "report", "session", "audit", "billing",
  "coupon", "review", "warehouse", "supplier", "carrier", "return", "tax", "discount",
  "subscription", "webhook", "notification", "export", "import", "settlement",
];
const domains = ALL.slice(0, Number(count));
const cap = (s) => s[0].toUpperCase() + s.slice(1);
const ext = js ? "js" : "ts";
const t = (typed, plain = "") => (js ? plain : typed);

function write(path, text) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

write(join(dir, "shared", `result.${ext}`), js
  ? `export function ok(value) {\n  return { ok: true, value };\n}\n\nexport function err(error) {\n  return { ok: false, error };\n}\n`
  : `export type Result<T> = { ok: true; value: T } | { ok: false; error: string };\n\nexport function ok<T>(value: T): Result<T> {\n  return { ok: true, value };\n}\n\nexport function err<T = never>(error: string): Result<T> {\n  return { ok: false, error };\n}\n`);

const index = [];
domains.forEach((d, i) => {
  const D = cap(d);
  const base = join(dir, d);
  index.push(`export * from "./${d}/model${js ? ".js" : ""}";`, `export * from "./${d}/repository${js ? ".js" : ""}";`,
    `export * from "./${d}/service${js ? ".js" : ""}";`, `export * from "./${d}/format${js ? ".js" : ""}";`,
    `export * from "./${d}/errors${js ? ".js" : ""}";`, `export * from "./${d}/handlers${js ? ".js" : ""}";`);
  const log = noisy && i % 2 === 0 ? `    console.log("${d}: saved", item.id);\n` : "";
  const anyArg = noisy && i % 3 === 0;
  write(join(base, `model.${ext}`), js
    ? `export const ${D.toUpperCase()}_STATES = ["draft", "open", "closed"];\n\nexport function new${D}(id, amountCents = 0) {\n  return { id, createdAt: new Date(0), amountCents, tags: [], state: "draft" };\n}\n`
    : `export type ${D}State = "draft" | "open" | "closed";\n\nexport interface ${D} {\n  id: string;\n  createdAt: Date;\n  amountCents: number;\n  tags: string[];\n  state: ${D}State;\n}\n\nexport function new${D}(id: string, amountCents = 0): ${D} {\n  return { id, createdAt: new Date(0), amountCents, tags: [], state: "draft" };\n}\n`);
  write(join(base, `errors.${ext}`), js
    ? `export class ${D}Error extends Error {\n  constructor(message, code = "${d.toUpperCase()}_FAILED") {\n    super(message);\n    this.name = "${D}Error";\n    this.code = code;\n  }\n}\n\nexport class ${D}NotFoundError extends ${D}Error {\n  constructor(id) {\n    super(\`${d} \${id} not found\`, "${d.toUpperCase()}_NOT_FOUND");\n  }\n}\n`
    : `export class ${D}Error extends Error {\n  constructor(\n    message: string,\n    readonly code: string = "${d.toUpperCase()}_FAILED",\n  ) {\n    super(message);\n    this.name = "${D}Error";\n  }\n}\n\nexport class ${D}NotFoundError extends ${D}Error {\n  constructor(id: string) {\n    super(\`${d} \${id} not found\`, "${d.toUpperCase()}_NOT_FOUND");\n  }\n}\n`);
  write(join(base, `repository.${ext}`),
    `${t(`import type { ${D} } from "./model";\n`)}import { ${D}NotFoundError } from "./errors${js ? ".js" : ""}";\n\nexport class ${D}Repository {\n  ${t(`private readonly items = new Map<string, ${D}>();`, "items = new Map();")}\n\n  save(item${t(`: ${D}`)})${t(": void")} {\n    this.items.set(item.id, item);\n${log}  }\n\n  get(id${t(": string")})${t(`: ${D}`)} {\n    const item = this.items.get(id);\n    if (!item) {\n      throw new ${D}NotFoundError(id);\n    }\n    return item;\n  }\n\n  list()${t(`: ${D}[]`)} {\n    return [...this.items.values()].sort((a, b) => a.id.localeCompare(b.id));\n  }\n\n  totalCents()${t(": number")} {\n    return this.list().reduce((sum, item) => sum + item.amountCents, 0);\n  }\n}\n`);
  write(join(base, `service.${ext}`),
    `${t(`import type { Result } from "../shared/result";\n`)}import { err, ok } from "../shared/result${js ? ".js" : ""}";\n${t(`import type { ${D} } from "./model";\n`)}import { ${D}Repository } from "./repository${js ? ".js" : ""}";\n\nexport class ${D}Service {\n  constructor(${t(`private readonly repo: ${D}Repository`, "repo")}) {${js ? "\n    this.repo = repo;\n  " : ""}}\n\n  open(id${t(": string")})${t(`: Result<${D}>`)} {\n    const item = this.repo.get(id);\n    if (item.state !== "draft") {\n      return err(\`${d} \${id} is \${item.state}\`);\n    }\n    const next${t(`: ${D}`)} = { ...item, state: "open" };\n    this.repo.save(next);\n    return ok(next);\n  }\n\n  close(id${t(": string")}, reason${anyArg ? t(": any") : t(": string")})${t(`: Result<${D}>`)} {\n    const item = this.repo.get(id);\n    if (item.state === "closed") {\n      return err(\`${d} \${id} is already closed\`);\n    }\n    const next${t(`: ${D}`)} = { ...item, state: "closed", tags: [...item.tags, String(reason)] };\n    this.repo.save(next);\n    return ok(next);\n  }\n}\n`);
  write(join(base, `format.${ext}`),
    `${t(`import type { ${D} } from "./model";\n\n`)}const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });\n\nexport function format${D}(item${t(`: ${D}`)})${t(": string")} {\n  const tags = item.tags.length > 0 ? \` [\${item.tags.join(", ")}]\` : "";\n  return \`\${item.id} \${money.format(item.amountCents / 100)} \${item.state}\${tags}\`;\n}\n\nexport function summarize${D}s(items${t(`: ${D}[]`)})${t(": string")} {\n  const open = items.filter((item) => item.state === "open").length;\n  return \`\${items.length} ${d}s, \${open} open\`;\n}\n`);
  const unusedArg = noisy && i % 4 === 1;
  write(join(base, `handlers.${ext}`),
    `import { ${D}Error } from "./errors${js ? ".js" : ""}";\n${t(`import type { ${D}Service } from "./service";\n`)}\nexport function handleOpen${D}(service${t(`: ${D}Service`)}, id${t(": string")}${unusedArg ? `, context${t(": Record<string, string>")}` : ""})${t(": { status: number; body: string }")} {\n  try {\n    const result = service.open(id);\n    return result.ok ? { status: 200, body: result.value.id } : { status: 409, body: result.error };\n  } catch (error) {\n    if (error instanceof ${D}Error) {\n${noisy && i % 2 === 1 ? `      console.error("${d}: open failed", error.code);\n` : ""}      return { status: 404, body: error.message };\n    }\n    throw error;\n  }\n}\n`);
});
write(join(dir, `index.${ext}`), index.join("\n") + "\n");
JSEOF
put "$WORK/truth.py" <<'PYEOF'
"""Builds truth.json from the machine-readable output of one job's tools.

Reads a JSON spec on stdin: {"log", "out", "tool", "command", "sources": [...]}, each
source one tool run: {"kind": "tsc", "file", "pretty"} (tsc --pretty false lines),
{"kind": "eslint", "file", "root", "format", "under", "quiet", "max_warnings"} (eslint -f json), {"kind": "biome",
"file", "github"} (biome --reporter=json, or --reporter=github lines when "github"),
{"kind": "prettier", "file", "stderr", "major"} (prettier --list-different output).
The totals lines each tool prints are computed from the same data; every string
written must occur verbatim in the log.
"""

import json
import re
import sys
from pathlib import Path

spec = json.load(sys.stdin)
log = Path(spec["log"]).read_text(encoding="utf-8")
log_lines = [l.strip() for l in log.splitlines()]
locations, codes, totals = [], [], []


def add(bucket, value):
    if value not in bucket:
        bucket.append(value)


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


TSC = re.compile(r"^(?P<file>[^\s(]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): ")
for src in spec["sources"]:
    kind = src["kind"]
    if kind == "tsc":
        diags = [m for m in map(TSC.match, Path(src["file"]).read_text().splitlines()) if m]
        for m in diags:
            add(locations, f"{m['file']}:{m['line']}" if src["pretty"] else f"{m['file']}({m['line']},{m['col']})")
            add(codes, m["code"])
        if src["pretty"] and diags:
            files = list(dict.fromkeys(m["file"] for m in diags))
            first = diags[0]
            if len(diags) == 1:
                add(totals, f"Found 1 error in {first['file']}:{first['line']}")
            elif len(files) == 1:
                add(totals, f"Found {len(diags)} errors in the same file, starting at: {first['file']}:{first['line']}")
            else:
                add(totals, f"Found {len(diags)} errors in {len(files)} files.")
    elif kind == "eslint":
        # "under": only the files below that directory (a run on part of the tree);
        # "quiet": warnings not reported (eslint --quiet).
        report = json.loads(Path(src["file"]).read_text())
        root = src["root"].rstrip("/") + "/" if src.get("root") else ""
        errors = warnings = 0
        for f in report:
            rel = f["filePath"][len(root):] if root and f["filePath"].startswith(root) else f["filePath"]
            if not rel.startswith(src.get("under", "")):
                continue
            errors += f["errorCount"]
            warnings += 0 if src.get("quiet") else f["warningCount"]
            for msg in f["messages"]:
                if msg["severity"] == 2:
                    if src["format"] == "unix":
                        add(locations, f"{rel}:{msg['line']}")
                    if msg.get("ruleId"):
                        add(codes, msg["ruleId"])
        problems = errors + warnings
        if problems and src["format"] == "stylish":
            add(totals, f"✖ {plural(problems, 'problem')} ({plural(errors, 'error')}, {plural(warnings, 'warning')})")
        elif problems:
            add(totals, plural(problems, "problem"))
        for limit in src.get("max_warnings", []):
            if warnings > limit and not errors:  # eslint says so only when no error failed the run
                add(totals, f"ESLint found too many warnings (maximum: {limit}).")
    elif kind == "biome":
        if src.get("github"):
            n_err = n_warn = 0
            for line in Path(src["file"]).read_text().splitlines():
                m = re.match(r"^::(error|warning) title=([^,]+),file=([^,]+),line=(\d+)", line)
                if not m:
                    continue
                path = m[3].replace(src["root"].rstrip("/") + "/", "")
                if m[1] == "error":
                    n_err += 1
                    if m[2] != "format":  # a format diagnostic names the file only
                        add(locations, f"{path}:{m[4]}")
                    if m[2] not in ("format", "parse"):
                        add(codes, m[2])
                else:
                    n_warn += 1
        else:
            report = json.loads(Path(src["file"]).read_text())
            n_err, n_warn = report["summary"]["errors"], report["summary"]["warnings"]
            for d in report["diagnostics"]:
                if d["severity"] != "error":
                    continue
                if d["category"] not in ("format", "parse"):
                    add(codes, d["category"])
                loc = d.get("location") or {}
                if loc.get("start") and d["category"] != "format":
                    add(locations, f"{loc['path']}:{loc['start']['line']}")
        checked = [l for l in log_lines if re.match(r"^Checked \d+ files? in ", l)]
        assert checked, "no biome Checked line"
        for l in checked:
            add(totals, l)
        if n_err:
            add(totals, f"Found {plural(n_err, 'error')}.")
        if n_warn:
            add(totals, f"Found {plural(n_warn, 'warning')}.")
    elif kind == "prettier":
        # prettier --list-different: the files that differ on stdout, a file it could
        # not parse as "[error] path: SyntaxError: ..." on stderr.
        files = [l for l in Path(src["file"]).read_text().splitlines() if l.strip()]
        broken = [l for l in Path(src["stderr"]).read_text().splitlines() if re.match(r"^\[error\] \S+: \w*Error: ", l)]
        n, n_err = len(files), len(broken)
        where = lambda k: "the above file" if k == 1 else f"{k} files"  # noqa: E731
        if n_err and src["major"] >= 3:
            add(totals, f"Error occurred when checking code style in {where(n_err)}.")
        elif n:
            tail = "Run Prettier with --write to fix." if src["major"] >= 3 else "Forgot to run Prettier?"
            add(totals, f"[warn] Code style issues found in {where(n)}. {tail}")
        elif not n_err:
            add(totals, "All matched files use Prettier code style!")
    else:
        raise SystemExit(f"unknown source kind {kind}")

for value in locations + codes:
    assert value in log, f"{value!r} not in {spec['log']}"
for value in totals:
    assert value in log_lines, f"totals line {value!r} not in {spec['log']}"
# Totals in the order the log prints them.
totals.sort(key=log_lines.index)
truth = {"tool": spec["tool"], "command": spec["command"], "failing_tests": [], "error_locations": locations,
         "error_codes": codes, "totals": totals}
Path(spec["out"]).write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{spec['out']}: {len(locations)} locations, {len(codes)} codes, {len(totals)} totals")
PYEOF
}

# --- jslint-tsc: tsc 5.9 in an npm workspace (emit listing, --pretty false, pretty), and
# tsc 7 (the native compiler) in one workspace ---
case_tsc() {
  local P; P=$(project ledgerly)
  put "$P/package.json" <<'EOF'
{
  "name": "ledgerly",
  "private": true,
  "workspaces": ["packages/core", "packages/api", "packages/web", "packages/cli"],
  "scripts": {
    "build": "npm run build -w @ledger/core",
    "typecheck": "npm run typecheck --workspaces --if-present"
  },
  "devDependencies": { "typescript": "5.9.3" }
}
EOF
  # the workspaces: core is built, the others type-checked; cli tries tsc 7
  local pkg script
  for pkg in core api web cli; do
    case $pkg in
      core) script='"build": "tsc -p . --listEmittedFiles",
    "typecheck": "tsc -p . --noEmit"' ;;
      api) script='"typecheck": "tsc -p . --noEmit --pretty false"' ;;
      web) script='"typecheck": "tsc -p . --noEmit --pretty"' ;;
      cli) script='"typecheck": "tsc --version && tsc -p . --noEmit --pretty"' ;;
    esac
    put "$P/packages/$pkg/package.json" <<EOF
{
  "name": "@ledger/$pkg",
  "version": "1.4.0",
  "private": true,
  "type": "module",
  "main": "dist/index.js",
  "types": "dist/index.d.ts",
  "scripts": {
    $script
  }$( [ $pkg = cli ] && printf ',\n  "devDependencies": { "typescript": "7.0.2" }' )
}
EOF
  done
  put "$P/packages/core/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "declaration": true,
    "sourceMap": true,
    "rootDir": "src",
    "outDir": "dist",
    "skipLibCheck": true
  },
  "include": ["src"]
}
EOF
  node "$WORK/gensrc.mjs" "$P/packages/core/src" 30
  # api: strict with unchecked index access, checked as CI does (--pretty false)
  put "$P/packages/api/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "noEmit": true,
    "skipLibCheck": true
  },
  "include": ["src"]
}
EOF
  put "$P/packages/api/src/routes/invoices.ts" <<'EOF'
import { InvoiceRepository, InvoiceService, newInvoice, type Invoice } from "@ledger/core";
import { stringify } from "csv-stringify/sync";

export interface CreateInvoiceBody {
  id: string;
  amount: string;
}

export function createInvoice(repo: InvoiceRepository, body: CreateInvoiceBody): Invoice {
  const invoice = newInvoice(body.id, body.amount);
  repo.save(invoice);
  return invoice;
}

export function exportInvoices(repo: InvoiceRepository): string {
  return stringify(repo.list());
}

export function closeInvoice(service: InvoiceService, id: string): Invoice {
  const result = service.close(id, "paid");
  return result.value;
}
EOF
  put "$P/packages/api/src/routes/payments.ts" <<'EOF'
import { PaymentRepository, type Payment } from "@ledger/core";

type Handler = (id: number) => Payment;

export function makeHandler(repo: PaymentRepository): Handler {
  return (id: string) => repo.get(id);
}

export function refundAll(repo: PaymentRepository, reason) {
  for (const payment of repo.list()) {
    payment.state = "refunded";
  }
  return reason;
}
EOF
  put "$P/packages/api/src/config.ts" <<'EOF'
export interface ApiConfig {
  port: number;
  retries: { count: number; delayMs: number };
}

export const config: ApiConfig = {
  port: Number(process.env.PORT ?? 8080),
  retries: { count: 3 },
};

export function timeoutFor(path: string, table: Record<string, number>): string {
  const value = table[path];
  return value.toFixed(0);
}
EOF
  put "$P/packages/api/src/errors/http-error.ts" <<'EOF'
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function toHttpError(error: unknown): HttpError {
  return error instanceof HttpError ? error : new HttpError(500, String(error));
}
EOF
  # web: DOM code, pretty output, and a misspelt compiler option
  put "$P/packages/web/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "strictNullCheck": true,
    "noEmit": true,
    "skipLibCheck": true
  },
  "include": ["src"]
}
EOF
  put "$P/packages/web/src/pages/checkout.ts" <<'EOF'
import { OrderService, formatOrder, type Order } from "@ledger/core";

export function renderTotal(el: HTMLElement, orders: Order[]): void {
  const total = orders.reduce((sum, o) => sum + o.amountCents, 0);
  el.textContent = total;
}

export async function submit(service: OrderService, form: HTMLFormElement): Promise<void> {
  const id = form.elements.namedItem("order-id").value;
  const result = service.open(id);
  if (result.ok) {
    document.title = formatOrder(result.value, { currency: "EUR" });
  }
}
EOF
  put "$P/packages/web/src/pages/errors.ts" <<'EOF'
export function showError(message: string): void {
  const box = document.querySelector<HTMLDivElement>("#error-box");
  if (box) {
    box.hidden = false;
    box.textContent = message;
  }
}
EOF
  # cli: one error
  put "$P/packages/cli/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM"],
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true
  },
  "include": ["src"]
}
EOF
  put "$P/packages/cli/src/main.ts" <<'EOF'
import { LedgerRepository, formatLedger, newLedger } from "@ledger/core";

const USAGE = "usage: ledger <command> [args]";

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const repo = new LedgerRepository();
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  repo.save(newLedger(rest[0] ?? "default", rest[1] ?? "0"));
  for (const ledger of repo.list()) {
    console.log(formatLedger(ledger));
  }
  return 0;
}
EOF
  setup_deps "$P"
  rm -rf "$P/node_modules"

  local F; F=$(fixture jslint-tsc)
  local LOG=$F/job.log
  : >"$LOG"
  cd "$P"
  step "$LOG" npm ci
  step "$LOG" npx tsc --version
  step "$LOG" npm run build
  step "$LOG" npm run typecheck -w @ledger/api
  step "$LOG" npm run typecheck -w @ledger/web
  step "$LOG" npm run typecheck -w @ledger/cli
  # the same checks as plain diagnostics, for the truth (each workspace's own tsc)
  for pkg in api web cli; do
    (cd "packages/$pkg" && PATH="$PWD/node_modules/.bin:$P/node_modules/.bin:$PATH" \
      tsc -p . --noEmit --pretty false >"$F/tsc-$pkg.txt" 2>&1 || true)
  done
  cd - >/dev/null
  python3 "$WORK/truth.py" <<EOF
{"log": "$LOG", "out": "$F/truth.json", "tool": "tsc",
 "command": "npm run typecheck -w @ledger/api; npm run typecheck -w @ledger/web; npm run typecheck -w @ledger/cli",
 "sources": [{"kind": "tsc", "file": "$F/tsc-api.txt", "pretty": false},
             {"kind": "tsc", "file": "$F/tsc-web.txt", "pretty": true},
             {"kind": "tsc", "file": "$F/tsc-cli.txt", "pretty": true}]}
EOF
}

# eslint_report RAW OUT ROOT: eslint -f json output cut to what the truth needs
eslint_report() {
  python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
raw, out, root = sys.argv[1], sys.argv[2], sys.argv[3].rstrip("/") + "/"
# Files with problems, their counts, and their errors (warnings counted, not listed).
files = [
    {"filePath": f["filePath"].removeprefix(root), "errorCount": f["errorCount"], "warningCount": f["warningCount"],
     "fatalErrorCount": f.get("fatalErrorCount", 0),
     "messages": [{k: m.get(k) for k in ("ruleId", "severity", "line", "column", "message")}
                  for m in f["messages"] if m["severity"] == 2]}
    for f in json.load(open(raw)) if f["messages"]
]
with open(out, "w") as fh:
    fh.write("[\n" + ",\n".join(json.dumps(f, ensure_ascii=False) for f in files) + "\n]\n")
EOF
}

# --- jslint-eslint: ESLint 9 + typescript-eslint, stylish with many warnings, unix, compact ---
case_eslint() {
  local P; P=$(project marketdesk)
  put "$P/package.json" <<'EOF'
{
  "name": "marketdesk",
  "version": "3.2.0",
  "private": true,
  "type": "module",
  "scripts": {
    "lint": "eslint . --max-warnings 25"
  },
  "devDependencies": {
    "@eslint/js": "9.39.5",
    "eslint": "9.39.5",
    "eslint-formatter-compact": "9.0.1",
    "eslint-formatter-unix": "9.0.1",
    "globals": "17.14.0",
    "typescript": "5.9.3",
    "typescript-eslint": "8.74.0"
  }
}
EOF
  put "$P/eslint.config.mjs" <<'EOF'
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-console": "warn",
      eqeqeq: ["error", "smart"],
      "@typescript-eslint/no-explicit-any": "warn",
      "@typescript-eslint/no-unused-vars": ["warn", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/legacy/**/*.js", "src/reports/**/*.js", "scripts/**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
);
EOF
  node "$WORK/gensrc.mjs" "$P/src" 30 --noisy
  node "$WORK/gensrc.mjs" "$P/src/admin" 30 --noisy
  node "$WORK/gensrc.mjs" "$P/src/legacy" 30 --noisy --js
  put "$P/src/checkout/cart.ts" <<'EOF'
import type { Order } from "../order/model";

export interface CartLine {
  sku: string;
  quantity: number;
  unitCents: number;
}

export function cartTotal(lines: CartLine[], coupon?: string): number {
  let total = 0;
  for (const line of lines) {
    total += line.quantity * line.unitCents;
  }
  let discount = coupon == "WELCOME10" ? 0.1 : 0;
  return Math.round(total * (1 - discount));
}

export function toOrder(id: string, lines: CartLine[]): Order {
  // @ts-ignore
  return { id, amountCents: cartTotal(lines), tags: [] };
}

export function parseQuantity(raw: string): number {
  try {
    return Number.parseInt(raw, 10);
  } catch (e) {}
  return 0;
}
EOF
  put "$P/src/checkout/sku.ts" <<'EOF'
export function parseSku(raw: string): string {
  const [prefix, code] = raw.split("-");
  return `${prefix.toUpperCase()}-${code.padStart(6, "0")`;
}
EOF
  put "$P/src/errors/http-error.ts" <<'EOF'
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: any,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function logHttpError(error: HttpError, requestId: string): void {
  console.error(`http error ${error.status}: ${error.message}`);
}
EOF
  put "$P/src/reports/build.js" <<'EOF'
export function buildReport(rows, format) {
  const started = moment();
  let out = "";
  switch (format) {
    case "csv":
      out = rows.map((r) => r.join(",")).join("\n");
    case "tsv":
      out = rows.map((r) => r.join("\t")).join("\n");
      break;
    default:
      out = JSON.stringify(rows);
  }
  if (rows.hasOwnProperty("total")) {
    out += "\n";
  }
  console.log("report built in", Date.now() - started);
  return out;
}
EOF
  put "$P/scripts/release.mjs" <<'EOF'
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const tag = `v${pkg.version}`;
if (!/^v\d+\.\d+\.\d+$/.test(tag)) {
  console.error("bad tag", tag);
  process.exit(1);
}
const notes = "Release \#" + tag;
console.log(notes);
EOF
  setup_deps "$P"
  (cd "$P" && npx eslint -f json -o "$WORK/eslint-raw.json" . >/dev/null 2>&1 || true)
  rm -rf "$P/node_modules"

  local F; F=$(fixture jslint-eslint)
  local LOG=$F/job.log
  : >"$LOG"
  cd "$P"
  step "$LOG" npm ci
  step "$LOG" npx eslint --version
  step "$LOG" npm run lint
  step "$LOG" npx eslint --quiet --format unix .
  step "$LOG" npx eslint --max-warnings 10 --format compact src/legacy
  cd - >/dev/null
  eslint_report "$WORK/eslint-raw.json" "$F/report.json" "$P"
  python3 "$WORK/truth.py" <<EOF
{"log": "$LOG", "out": "$F/truth.json", "tool": "eslint",
 "command": "npm run lint; npx eslint --quiet --format unix .; npx eslint --max-warnings 10 --format compact src/legacy",
 "sources": [{"kind": "eslint", "file": "$F/report.json", "format": "stylish", "max_warnings": [25]},
             {"kind": "eslint", "file": "$F/report.json", "format": "unix", "quiet": true},
             {"kind": "eslint", "file": "$F/report.json", "format": "compact", "under": "src/legacy/", "max_warnings": [10]}]}
EOF
}

# --- jslint-biome: Biome 2 `biome ci` on three workspaces (clean, warnings only, errors) ---
case_biome() {
  local P; P=$(project widgetry)
  put "$P/package.json" <<'EOF'
{
  "name": "widgetry",
  "version": "0.9.0",
  "private": true,
  "workspaces": ["packages/ui", "packages/forms", "packages/charts"],
  "devDependencies": { "@biomejs/biome": "2.6.8", "typescript": "5.9.3" }
}
EOF
  put "$P/biome.json" <<'EOF'
{
  "$schema": "./node_modules/@biomejs/biome/configuration_schema.json",
  "files": { "includes": ["packages/*/src/**"] },
  "formatter": { "indentStyle": "space", "lineWidth": 100 },
  "linter": { "enabled": true },
  "assist": { "actions": { "source": { "organizeImports": "on" } } }
}
EOF
  local pkg
  for pkg in ui forms charts; do
    put "$P/packages/$pkg/package.json" <<EOF
{ "name": "@widgetry/$pkg", "version": "0.9.0", "private": true, "type": "module" }
EOF
  done
  node "$WORK/gensrc.mjs" "$P/packages/ui/src" 30
  node "$WORK/gensrc.mjs" "$P/packages/forms/src" 14 --noisy
  node "$WORK/gensrc.mjs" "$P/packages/charts/src" 24 --noisy
  setup_deps "$P"
  # the generated code in the house style (imports sorted, import type, formatted)
  (cd "$P" && npx biome check --write packages >/dev/null 2>&1 || true)
  put "$P/packages/charts/src/widgets/chart.ts" <<'EOF'
export interface Series {
  name: string;
  points: number[];
}

export function peak(series: Series, threshold: number): number | undefined {
  let best = -Infinity;
  for (const value of series.points) {
    if (value == threshold) {
      debugger;
    }
    best = Math.max(best, value);
  }
  let label = series.name;
  return Number.isFinite(best) ? best : undefined;
}
EOF
  put "$P/packages/charts/src/widgets/axis.ts" <<'EOF'
export interface Axis { min: number; max: number; ticks: number }

export function ticks(axis: Axis): number[] {
    const step = (axis.max - axis.min) / axis.ticks;
    return Array.from({ length: axis.ticks + 1 }, (_, i) => axis.min + i * step)
}
EOF
  put "$P/packages/charts/src/widgets/index.ts" <<'EOF'
import { ticks, type Axis } from "./axis";
import { peak, type Series } from "./chart";
import { formatAccount } from "../account/format";

export function describe(series: Series, axis: Axis): string {
  return `${series.name}: peak ${peak(series, axis.max)}, ${ticks(axis).length} ticks ${formatAccount}`;
}
EOF
  put "$P/packages/charts/src/errors/render-error.ts" <<'EOF'
export class RenderError extends Error {
  constructor(
    message: string,
    readonly widget: string,
  ) {
    super(message);
    this.name = "RenderError";
  }
}

export function render(widget: string, draw: () => void): void {
  try {
    draw();
  } catch (error) {
    throw error;
  }
}

export function assertWidget(widget: unknown): asserts widget is string {
  if (typeof widget !== "string") {
    throw new RenderError("not a widget", String(widget));
  }
}
EOF
  put "$P/packages/charts/src/widgets/legend.ts" <<'EOF'
export function legend(names: string[]): string {
  return names.map((name, i) => `${i + 1}. ${name}`).join("\n";
}
EOF
  rm -rf "$P/node_modules"

  local F; F=$(fixture jslint-biome)
  local LOG=$F/job.log
  : >"$LOG"
  cd "$P"
  mkdir -p reports
  step "$LOG" npm ci
  step "$LOG" npx biome --version
  for pkg in ui forms charts; do
    step "$LOG" npx biome ci --reporter=default --reporter=json --reporter-file=reports/$pkg.json packages/$pkg
  done
  step "$LOG" npx biome lint --colors=off --diagnostic-level=error --reporter=concise --reporter=json --reporter-file=reports/lint.json packages/charts
  cd - >/dev/null
  for pkg in ui forms charts lint; do
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(d, open(sys.argv[2], "w"), separators=(",", ":")); open(sys.argv[2], "a").write("\n")' \
      "$P/reports/$pkg.json" "$F/report-$pkg.json"
  done
  python3 "$WORK/truth.py" <<EOF
{"log": "$LOG", "out": "$F/truth.json", "tool": "biome",
 "command": "npx biome ci packages/ui; npx biome ci packages/forms; npx biome ci packages/charts; npx biome lint --reporter=concise packages/charts",
 "sources": [{"kind": "biome", "file": "$F/report-ui.json"},
             {"kind": "biome", "file": "$F/report-forms.json"},
             {"kind": "biome", "file": "$F/report-charts.json"},
             {"kind": "biome", "file": "$F/report-lint.json"}]}
EOF
}

# --- jslint-legacy: Biome 1.9 (lint only, colours off) and Prettier 2.8 in a plain-JS project ---
case_legacy() {
  local P; P=$(project backoffice)
  put "$P/package.json" <<'EOF'
{
  "name": "backoffice",
  "version": "5.12.3",
  "private": true,
  "type": "module",
  "scripts": {
    "codegen": "node scripts/gen-api.mjs && prettier --write generated",
    "lint": "biome lint --colors=off .",
    "format:check": "prettier --check ."
  },
  "devDependencies": { "@biomejs/biome": "1.9.4", "prettier": "2.8.8" }
}
EOF
  put "$P/biome.json" <<'EOF'
{
  "$schema": "./node_modules/@biomejs/biome/configuration_schema.json",
  "files": { "include": ["src/**", "scripts/**"] },
  "formatter": { "enabled": false },
  "organizeImports": { "enabled": false },
  "linter": { "enabled": true, "rules": { "recommended": true } }
}
EOF
  put "$P/.prettierrc.json" <<'EOF'
{ "singleQuote": true, "printWidth": 100 }
EOF
  put "$P/.prettierignore" <<'EOF'
node_modules
package-lock.json
EOF
  put "$P/scripts/gen-api.mjs" <<'EOF'
// Writes the API client modules from the list of resources (one-line output; the
// formatter lays it out).
import { mkdirSync, writeFileSync } from "node:fs";

const resources = ["account", "invoice", "order", "payment", "shipment", "customer", "product", "catalog",
  "inventory", "pricing", "refund", "ledger", "report", "session", "audit", "billing", "coupon", "review",
  "warehouse", "supplier", "carrier", "return", "tax", "discount", "subscription", "webhook",
  "notification", "export", "import", "settlement"];
for (const name of resources) {
  const dir = `generated/api/${name}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/client.js`, `import { request } from "../../runtime.js"; export const get${name} = (id) => request("GET", "/${name}s/" + id); export const list${name}s = (query = {}) => request("GET", "/${name}s", { query }); export const delete${name} = (id) => request("DELETE", "/${name}s/" + id);\n`);
  writeFileSync(`${dir}/errors.js`, `export class ${name}ApiError extends Error { constructor(status, body) { super("${name} API error " + status); this.status = status; this.body = body; } }\n`);
  writeFileSync(`${dir}/hooks.js`, `import { get${name}, list${name}s } from "./client.js"; export function use${name}(id, cache = new Map()) { if (!cache.has(id)) cache.set(id, get${name}(id)); return cache.get(id); } export function use${name}List(query) { return list${name}s(query); }\n`);
  writeFileSync(`${dir}/schema.js`, `export const ${name}Schema = { type: "object", required: ["id", "state"], properties: { id: { type: "string" }, createdAt: { type: "string", format: "date-time" }, state: { enum: ["draft", "open", "closed"] } } };\n`);
  writeFileSync(`${dir}/mocks.js`, `export const ${name}Mock = { id: "${name}-1", createdAt: "2020-01-01T00:00:00.000Z", state: "draft" }; export const ${name}ListMock = [${name}Mock, { ...${name}Mock, id: "${name}-2", state: "open" }];\n`);
  writeFileSync(`${dir}/types.js`, `/** @typedef {{ id: string, createdAt: string, state: "draft" | "open" | "closed" }} ${name} */\nexport const ${name}Fields = ["id", "createdAt", "state"];\n`);
}
writeFileSync("generated/runtime.js", `export async function request(method, path, options = {}) { const url = new URL(path, "https://api.example.test"); for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v)); const res = await fetch(url, { method }); if (!res.ok) throw new Error(method + " " + path + ": " + res.status); return res.json(); }\n`);
EOF
  node "$WORK/gensrc.mjs" "$P/src" 30 --noisy --js
  setup_deps "$P"
  (cd "$P" && npx prettier --write src scripts >/dev/null 2>&1)
  put "$P/src/reports/export.js" <<'EOF'
export function exportRows(rows, format) {
  var out = [];
  for (var i = 0; i < rows.length; i++) {
    if (rows[i].status == 'void') continue;
    out.push(format === 'csv' ? rows[i].values.join(',') : JSON.stringify(rows[i]));
  }
  debugger;
  return out.join('\n');
}

export function totals(rows) {
  let sum = 0;
  rows.forEach(function (row) {
    sum += row.amount;
  });
  return { count: rows.length, sum: sum };
}
EOF
  put "$P/src/admin/users.js" <<'EOF'
export function displayName(user) {
  return user.firstName + " " + user.lastName
}

export const ROLES = [ 'admin', 'editor',
  'viewer' ];
EOF
  put "$P/src/admin/permissions.js" <<'EOF'
export function can(user, action) {
    return user.roles.some((role) => role.actions.includes(action));
}
EOF
  put "$P/src/admin/audit-log.js" <<'EOF'
export function record(entry) {
  return { ...entry, at: new Date(0).toISOString() ;
}
EOF
  put "$P/docs/errors/README.md" <<'EOF'
# Error codes

| code | meaning |
|---|---|
| E_AUTH | the session expired |
| E_QUOTA | the account is over its quota |
EOF
  rm -rf "$P/node_modules"

  local F; F=$(fixture jslint-legacy)
  local LOG=$F/job.log
  : >"$LOG"
  cd "$P"
  step "$LOG" npm ci
  step "$LOG" npm run codegen
  step "$LOG" npx biome --version
  step "$LOG" npm run lint
  step "$LOG" npx prettier --version
  step "$LOG" npm run format:check
  step "$LOG" npx prettier --check docs
  (npx biome lint --colors=off --reporter=github . >"$F/biome-github.txt" 2>/dev/null || true)
  (npx prettier --list-different . >"$F/prettier-list.txt" 2>"$F/prettier-list.err" || true)
  (npx prettier --list-different docs >"$WORK/prettier-docs.txt" 2>"$WORK/prettier-docs.err" || true)
  cd - >/dev/null
  python3 "$WORK/truth.py" <<EOF
{"log": "$LOG", "out": "$F/truth.json", "tool": "biome+prettier",
 "command": "npm run lint; npm run format:check; npx prettier --check docs",
 "sources": [{"kind": "biome", "file": "$F/biome-github.txt", "github": true, "root": "$P"},
             {"kind": "prettier", "file": "$F/prettier-list.txt", "stderr": "$F/prettier-list.err", "major": 2},
             {"kind": "prettier", "file": "$WORK/prettier-docs.txt", "stderr": "$WORK/prettier-docs.err", "major": 2}]}
EOF
}

# gen_clients DIR COUNT: a codegen script writing COUNT resources' TypeScript API clients
# on one line each (the formatter lays them out; the types file is already laid out).
gen_clients() {
  put "$1/scripts/gen-clients.mjs" <<EOF
import { mkdirSync, writeFileSync } from "node:fs";

const all = ["account", "invoice", "order", "payment", "shipment", "customer", "product", "catalog",
  "inventory", "pricing", "refund", "ledger", "report", "session", "audit", "billing", "coupon", "review",
  "warehouse", "supplier", "carrier", "return", "tax", "discount", "subscription", "webhook",
  "notification", "export", "import", "settlement"];
const resources = all.slice(0, $2);
for (const name of resources) {
  const T = name[0].toUpperCase() + name.slice(1);
  const dir = \`generated/clients/\${name}\`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(\`\${dir}/types.ts\`, \`export interface \${T}Dto {\\n  id: string;\\n  state: "draft" | "open" | "closed";\\n}\\n\`);
  writeFileSync(\`\${dir}/client.ts\`, \`import { request } from "../../runtime"; import type { \${T}Dto } from "./types"; export const get\${T} = (id: string) => request<\${T}Dto>("GET", "/\${name}s/" + id); export const list\${T}s = (query: Record<string, string> = {}) => request<\${T}Dto[]>("GET", "/\${name}s", query);\\n\`);
  writeFileSync(\`\${dir}/errors.ts\`, \`export class \${T}ApiError extends Error { constructor(readonly status: number, readonly body: unknown) { super("\${name} API error " + status); } }\\n\`);
  writeFileSync(\`\${dir}/schema.ts\`, \`export const \${name}Schema = { type: "object", required: ["id", "state"], properties: { id: { type: "string" }, state: { enum: ["draft", "open", "closed"] } } } as const;\\n\`);
  writeFileSync(\`\${dir}/mocks.ts\`, \`import type { \${T}Dto } from "./types"; export const \${name}Mock: \${T}Dto = { id: "\${name}-1", state: "draft" }; export const \${name}ListMock: \${T}Dto[] = [\${name}Mock, { ...\${name}Mock, id: "\${name}-2", state: "open" }];\\n\`);
  writeFileSync(\`\${dir}/index.ts\`, \`export * from "./client";\\nexport * from "./errors";\\nexport * from "./mocks";\\nexport * from "./schema";\\nexport * from "./types";\\n\`);
}
writeFileSync("generated/runtime.ts", \`export async function request<T>(method: string, path: string, query: Record<string, string> = {}): Promise<T> { const url = new URL(path, "https://api.example.test"); for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v); const res = await fetch(url, { method }); if (!res.ok) throw new Error(method + " " + path + ": " + res.status); return (await res.json()) as T; }\\n\`);
EOF
}

# --- jslint-prettier: Prettier 3 --write listing, then --check failing three ways ---
case_prettier() {
  local P; P=$(project handbook)
  put "$P/package.json" <<'EOF'
{
  "name": "handbook",
  "version": "2.0.1",
  "private": true,
  "type": "module",
  "scripts": {
    "codegen": "node scripts/gen-clients.mjs && prettier --write generated",
    "format:check": "prettier --check ."
  },
  "devDependencies": { "prettier": "3.10.1" }
}
EOF
  put "$P/.prettierignore" <<'EOF'
node_modules
package-lock.json
EOF
  gen_clients "$P" 30
  node "$WORK/gensrc.mjs" "$P/src" 30
  mkdir -p "$P/docs/guide"
  local d
  for d in install configure deploy upgrade troubleshoot; do
    printf '# %s\n\nThis page explains how to %s the handbook service.\n\n## Steps\n\n1. Read the checklist.\n2. Run the command for your platform.\n3. Check the result.\n' "$d" "$d" >"$P/docs/guide/$d.md"
  done
  setup_deps "$P"
  (cd "$P" && npx prettier --write src docs scripts >/dev/null 2>&1)
  put "$P/src/errors/not-found.ts" <<'EOF'
export class NotFoundError extends Error {
  constructor(readonly resource: string, readonly id: string) { super(`${resource} ${id} not found`) }
}
EOF
  put "$P/src/pages/summary.ts" <<'EOF'
import { formatInvoice } from '../invoice/format'
import type { Invoice } from '../invoice/model'

export function summary(items: Invoice[]): string[] {
  return items.map(item => formatInvoice(item))
}
EOF
  put "$P/src/pages/search.ts" <<'EOF'
export function search(items: string[], query: string): string[] {
  const needle = query.toLowerCase();
  return items.filter((item) => item.toLowerCase().includes(needle)
}
EOF
  put "$P/docs/guide/errors.md" <<'EOF'
# Errors

| code | meaning |
|---|---|
| E_AUTH | the session expired |
| E_QUOTA | the account is over its quota |

* retry after a minute
* or ask an administrator
EOF
  printf '\nRollback:\n* stop the new version\n+ start the previous one\n' >>"$P/docs/guide/deploy.md"
  rm -rf "$P/node_modules"

  local F; F=$(fixture jslint-prettier)
  local LOG=$F/job.log
  : >"$LOG"
  cd "$P"
  step "$LOG" npm ci
  step "$LOG" npm run codegen
  step "$LOG" npx prettier --version
  step "$LOG" npm run format:check
  step "$LOG" npx prettier --check src/errors
  step "$LOG" npx prettier --check docs
  local what
  for what in all:. errors:src/errors docs:docs; do
    (npx prettier --list-different "${what#*:}" >"$F/prettier-${what%%:*}.txt" 2>"$F/prettier-${what%%:*}.err" || true)
  done
  cd - >/dev/null
  python3 "$WORK/truth.py" <<EOF
{"log": "$LOG", "out": "$F/truth.json", "tool": "prettier",
 "command": "npm run format:check; npx prettier --check src/errors; npx prettier --check docs",
 "sources": [{"kind": "prettier", "file": "$F/prettier-all.txt", "stderr": "$F/prettier-all.err", "major": 3},
             {"kind": "prettier", "file": "$F/prettier-errors.txt", "stderr": "$F/prettier-errors.err", "major": 3},
             {"kind": "prettier", "file": "$F/prettier-docs.txt", "stderr": "$F/prettier-docs.err", "major": 3}]}
EOF
}

# --- jslint-ci: one long CI job (codegen + prettier --write, tsc build listing, tsc
# type check, ESLint with hundreds of warnings, prettier --check) ---
case_ci() {
  local P; P=$(project atlasweb)
  put "$P/package.json" <<'EOF'
{
  "name": "atlasweb",
  "version": "7.3.0",
  "private": true,
  "type": "module",
  "scripts": {
    "codegen": "node scripts/gen-clients.mjs && prettier --write generated",
    "build": "tsc -p tsconfig.build.json --listEmittedFiles",
    "typecheck": "tsc --noEmit --pretty",
    "lint": "eslint . --max-warnings 500",
    "format:check": "prettier --check ."
  },
  "devDependencies": {
    "@eslint/js": "9.39.5",
    "eslint": "9.39.5",
    "globals": "17.14.0",
    "prettier": "3.10.1",
    "typescript": "5.9.3",
    "typescript-eslint": "8.74.0"
  }
}
EOF
  put "$P/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM"],
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "skipLibCheck": true
  },
  "include": ["src", "generated", "tests"]
}
EOF
  put "$P/tsconfig.build.json" <<'EOF'
{
  "extends": "./tsconfig.json",
  "compilerOptions": { "rootDir": ".", "outDir": "dist", "declaration": true, "sourceMap": true },
  "include": ["src", "generated"]
}
EOF
  put "$P/eslint.config.mjs" <<'EOF'
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "generated/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-console": "warn",
      "@typescript-eslint/no-explicit-any": "warn",
      "@typescript-eslint/no-unused-vars": "warn",
    },
  },
  {
    files: ["src/legacy/**/*.js", "scripts/**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
);
EOF
  put "$P/.prettierignore" <<'EOF'
node_modules
dist
package-lock.json
src/legacy
EOF
  gen_clients "$P" 30
  node "$WORK/gensrc.mjs" "$P/src/core" 30 --noisy
  node "$WORK/gensrc.mjs" "$P/src/admin" 30 --noisy
  node "$WORK/gensrc.mjs" "$P/src/ops" 30 --noisy
  node "$WORK/gensrc.mjs" "$P/src/legacy" 30 --noisy --js
  put "$P/src/core/search/query.ts" <<'EOF'
export interface Query {
  text: string;
  page: number;
}

export interface QueryOptions {}

export function parseQuery(raw: string, notify?: (q: Query) => void): Query {
  const [text = "", page = "1"] = raw.split("#");
  const query = { text: text.trim(), page: Number(page) };
  notify && notify(query);
  if (false) {
    return { text: "", page: 0 };
  }
  return query;
}

export function runQuery(query: Query): Promise<string[]> {
  return new Promise(async (resolve) => {
    resolve(await Promise.resolve([query.text]));
  });
}

export function pageLabel(query: Query): string {
  switch (query.page) {
    case 1:
      const first = "first page";
      return first;
    default:
      return `page ${query.page}`;
  }
}

export function safeCount(items: string[]): number {
  try {
    return items.length;
  } finally {
    return 0;
  }
}
EOF
  put "$P/src/core/errors/error-reporter.ts" <<'EOF'
export interface ErrorReport {
  message: string;
  context: any;
}

export function reportError(error: unknown, context: any): ErrorReport {
  const message = error instanceof Error ? error.message : String(error);
  console.error("reported error:", message);
  return { message, context };
}
EOF
  put "$P/tests/support/factories.ts" <<'EOF'
import { newAccount, type Account } from "../../src/core/account/model";

export function accountWith(overrides: Partial<Account>): Account {
  return { ...newAccount("acc-1"), ...overrides, state: "archived" };
}

export const SEED: Account[] = [accountWith({ amountCents: "100" })];
EOF
  setup_deps "$P"
  (cd "$P" && npx prettier --write src/core src/admin src/ops tests scripts >/dev/null 2>&1)
  put "$P/tests/support/clock.ts" <<'EOF'
export class FakeClock {
  private now = 0;

  tick(ms: number): void { this.now += ms }

  get current(): Date {
    return new Date(this.now);
  }

  reset(): void {
    this.nwo = 0;
  }
}
EOF
  printf '\nexport const  FORMAT_VERSION = "2";\n' >>"$P/src/admin/invoice/format.ts"
  rm -rf "$P/node_modules"

  local F; F=$(fixture jslint-ci)
  local LOG=$F/job.log
  : >"$LOG"
  cd "$P"
  step "$LOG" npm ci
  step "$LOG" npm run codegen
  step "$LOG" npm run build
  step "$LOG" npm run typecheck
  step "$LOG" npm run lint
  step "$LOG" npm run format:check
  (npx tsc --noEmit --pretty false >"$F/tsc.txt" 2>&1 || true)
  (npx eslint -f json -o "$WORK/eslint-ci.json" . >/dev/null 2>&1 || true)
  (npx prettier --list-different . >"$F/prettier.txt" 2>"$F/prettier.err" || true)
  cd - >/dev/null
  eslint_report "$WORK/eslint-ci.json" "$F/report.json" "$P"
  python3 "$WORK/truth.py" <<EOF
{"log": "$LOG", "out": "$F/truth.json", "tool": "tsc+eslint+prettier",
 "command": "npm run typecheck; npm run lint; npm run format:check",
 "sources": [{"kind": "tsc", "file": "$F/tsc.txt", "pretty": true},
             {"kind": "eslint", "file": "$F/report.json", "format": "stylish", "max_warnings": [500]},
             {"kind": "prettier", "file": "$F/prettier.txt", "stderr": "$F/prettier.err", "major": 3}]}
EOF
}

node --version >/dev/null
write_helpers
for c in ${JSLINT_CASES:-tsc eslint biome legacy prettier ci}; do
  echo "== jslint-$c" >&2
  "case_$c"
done
