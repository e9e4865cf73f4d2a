#!/usr/bin/env bash
# Fixtures of the Node.js package managers: npm (11, 9 and 6), pnpm (10 and 12) and yarn
# (classic 1 and 4), failing the way CI jobs see them: a workspace's test script that
# fails, a package that does not exist in the registry (the real npm registry answers
# 404), a version that does not exist, a lockfile out of sync, a peer dependency
# conflict, a missing script.
#
#   node_pm-npm-workspaces  npm 11: ci, build and `npm test --workspaces` over four
#                           packages (mocha and node:test; big log), two fail
#   node_pm-npm-install     npm 11: `npm ci` out of sync, E404, ETARGET, ERESOLVE,
#                           a missing script
#   node_pm-npm9            npm 9: `npm test --workspaces` ("npm ERR! Lifecycle script"), E404
#   node_pm-npm6            npm 6: ELIFECYCLE of a lint script, "Test failed", E404
#   node_pm-pnpm            pnpm 10: `pnpm -r test` (prefixed output,
#                           ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL, ELIFECYCLE), ERR_PNPM_FETCH_404,
#                           ERR_PNPM_OUTDATED_LOCKFILE
#   node_pm-pnpm12          pnpm 12: the same recursive run in pnpm 12's error format
#   node_pm-yarn            yarn 1: `yarn test` ("error Command failed with exit code 1."),
#                           a package not found, a frozen lockfile out of date
#   node_pm-yarn4           yarn 4: YN0035 package not found, YN0028 frozen lockfile,
#                           `yarn workspaces foreach run test`
#
# Error codes in truth.json come from the managers' own machine-readable output of a
# second run (npm --json, pnpm --reporter ndjson, yarn 4 --json); failing tests from
# the test runners' JUnit/xunit reports.
#
# usage: bench/ecosystems/node_pm.sh [OUT]   (OUT: default tokopt_pipeline_tests/data/ecosystems)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../../tokopt_pipeline_tests/data/ecosystems}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TOOLS=${JS_TOOLS:-/tmp/js-work}
CI_ROOT=/tmp/ci
export CI=true NO_UPDATE_NOTIFIER=1 npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export COREPACK_ENABLE_STRICT=0
unset GITHUB_ACTIONS || true

# --- tools, each version in its own folder ---------------------------------------
tool() {  # tool DIR PACKAGE: install PACKAGE into $TOOLS/DIR once
  if [ ! -d "$TOOLS/$1/node_modules" ]; then
    mkdir -p "$TOOLS/$1"
    (cd "$TOOLS/$1" && npm init -y >/dev/null && npm install --no-audit --no-fund "$2" >/dev/null)
  fi
}
tool npm9 npm@9.9.4
tool npm6 npm@6.14.18
tool pnpm10 pnpm@10.34.9
tool pnpm12 pnpm@12.23.0
tool yarn1 yarn@1.22.22
tool yarn4 @yarnpkg/cli-dist@4.18.1
BIN=$(mktemp -d)
ln -s "$TOOLS/npm9/node_modules/npm/bin/npm-cli.js" "$BIN/npm9"
ln -s "$TOOLS/npm6/node_modules/npm/bin/npm-cli.js" "$BIN/npm6"
cat >"$BIN/yarn4" <<EOF
#!/bin/sh
exec node "$TOOLS/yarn4/node_modules/@yarnpkg/cli-dist/bin/yarn.js" "\$@"
EOF
chmod +x "$BIN/yarn4"
PNPM10="$TOOLS/pnpm10/node_modules/.bin"
PNPM12="$TOOLS/pnpm12/node_modules/.bin"
YARN1="$TOOLS/yarn1/node_modules/.bin"
BASE_PATH=$PATH

# --- helpers --------------------------------------------------------------------
LOG=
step() {  # print the command as a CI shell does, run it, keep going on failure
  printf '$ %s\n' "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || true
}
fresh() { rm -rf "$CI_ROOT/$1"; mkdir -p "$CI_ROOT/$1"; cd "$CI_ROOT/$1"; }
case_dir() { rm -rf "$OUT/$1"; mkdir -p "$OUT/$1"; echo "$OUT/$1"; }
with_path() { PATH="$1:$BASE_PATH"; export PATH; }
add_dep() {  # add_dep PACKAGE_JSON NAME RANGE: a dependency added on a branch, lockfile not updated
  node -e 'const fs = require("fs"); const [f, n, v] = process.argv.slice(1); const j = JSON.parse(fs.readFileSync(f, "utf8"));
           j.dependencies = { ...(j.dependencies || {}), [n]: v }; fs.writeFileSync(f, JSON.stringify(j, null, 2) + "\n");' "$@"
}

TRUTH=$(mktemp -d)/truth.py
cat >"$TRUTH" <<'PY'
"""truth.json of one case: error codes from the manager's JSON output, failing tests
from the runners' XML reports, totals lines checked against those reports; every
string must occur verbatim in job.log."""
import argparse, json, re
import xml.etree.ElementTree as ET
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("case")
ap.add_argument("--tool", required=True)
ap.add_argument("--command", required=True)
ap.add_argument("--junit", action="append", default=[])
ap.add_argument("--json", action="append", default=[], help="npm --json / yarn 4 --json / pnpm ndjson output")
a = ap.parse_args()
case = Path(a.case)
log = (case / "job.log").read_text(encoding="utf-8")

failing, messages = [], []
for rep in a.junit:
    tree = ET.parse(rep)
    for parent in list(tree.getroot().iter()):
        for tc in [c for c in parent if c.tag == "testcase"]:
            bad = [c for c in tc if c.tag in ("failure", "error")]
            if bad or tc.get("failure") is not None:
                failing.append(tc.get("name"))
                messages.append((bad[0].text if bad else "") or "")
            else:
                parent.remove(tc)  # keep the report small: failing cases and counts
    ET.indent(tree)
    tree.write(rep, encoding="unicode", xml_declaration=True)

locations = []
for text in messages:
    for m in re.finditer(r"(?<![\w./-])(?:/tmp/ci/[\w-]+/)?((?:packages/[\w-]+/)?(?:src|test|lib)/[\w./-]+\.[cm]?js):(\d+)", text):
        loc = f"{m.group(1)}:{m.group(2)}"
        if loc in log:
            locations.append(loc)
            break

codes = []
def add(code):
    if code and code not in codes:
        codes.append(code)
for path in a.json:
    text = Path(path).read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("type") == "error" and obj.get("displayName") not in (None, "YN0000"):
            add(obj["displayName"])  # yarn 4
        if obj.get("level") == "error" and isinstance(obj.get("code"), str):
            add(obj["code"])  # pnpm ndjson
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict) and isinstance(whole.get("error"), dict):
        code = whole["error"].get("code")  # npm --json (a missing script has none)
        if isinstance(code, str):
            add(code)
for c in codes:
    assert c in log, f"{case.name}: code {c} not in job.log"

totals = []
for l in log.splitlines():
    s = re.sub(r"^[\w@./-]+ test: |^\[[\w@/.-]+\]: ", "", l).strip()  # pnpm / yarn 4 prefixes
    if re.match(r"^\d+ (passing|failing)( \(\d+m?s\))?$|^(# |ℹ )fail \d+$", s):
        totals.append(l.strip())
fails = 0
for t in totals:
    m = re.search(r"(\d+) failing$|(?:# |ℹ )fail (\d+)$", t)
    if m:
        fails += int(m.group(1) or m.group(2))
assert fails == len(failing), (case.name, fails, failing)

truth = {"tool": a.tool, "command": a.command, "failing_tests": list(dict.fromkeys(failing)),
         "error_locations": list(dict.fromkeys(locations)), "error_codes": codes, "totals": totals}
for key in ("failing_tests", "error_locations", "error_codes", "totals"):
    for s in truth[key]:
        assert s in log, f"{case.name}: {key} {s!r} not in job.log"
(case / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{case.name}: {len(truth['failing_tests'])} failing tests, {len(codes)} codes, "
      f"{len(totals)} totals, {len(log)} bytes")
PY

# --- one monorepo, written for each manager -------------------------------------
# packages/utils: mocha, passes; packages/api: node:test (TAP), two failures;
# packages/web: mocha, one failure; packages/cli: node:test (spec), passes.
# N sets the number of generated tests per file (the log's size).
monorepo() {
  local name=$1 n=$2
  mkdir -p packages/{utils,api,web,cli}/{src,test}
  cat >package.json <<EOF
{
  "name": "$name",
  "version": "1.0.0",
  "private": true,
  "workspaces": ["packages/*"],
  "devDependencies": {
    "mocha": "10.8.2"
  }
}
EOF
  printf 'packages:\n  - "packages/*"\n' >pnpm-workspace.yaml
  cat >packages/utils/package.json <<EOF
{"name": "@$name/utils", "version": "1.0.0", "main": "src/index.js",
 "scripts": {"build": "node build.js", "test": "mocha test"},
 "devDependencies": {"mocha": "10.8.2"}}
EOF
  cat >packages/utils/build.js <<'EOF'
const fs = require('node:fs');
fs.mkdirSync('dist', { recursive: true });
const src = fs.readFileSync('src/index.js', 'utf8');
fs.writeFileSync('dist/index.js', src);
console.log(`built dist/index.js (${(src.length / 1024).toFixed(1)} kB)`);
EOF
  cat >packages/utils/src/index.js <<'EOF'
function slug(s) { return String(s).trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''); }
function chunk(xs, n) { const out = []; for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n)); return out; }
function parsePort(s) { const n = Number(s); if (!Number.isInteger(n) || n < 1 || n > 65535) throw new RangeError(`bad port: ${s}`); return n; }
module.exports = { slug, chunk, parsePort };
EOF
  cat >packages/utils/test/utils.test.js <<EOF
const assert = require('node:assert');
const { slug, chunk, parsePort } = require('../src');
describe('utils', function () {
  for (let i = 0; i < $n; i++) {
    it(\`slugs title \${i}\`, function () { assert.strictEqual(slug(\` Title \${i} \`), \`title-\${i}\`); });
    it(\`chunks \${i} items\`, function () { assert.strictEqual(chunk(Array(i).fill(0), 3).length, Math.ceil(i / 3)); });
  }
  it('throws a RangeError for port 0', function () { assert.throws(() => parsePort('0'), RangeError); });
});
EOF
  cat >packages/api/package.json <<EOF
{"name": "@$name/api", "version": "1.0.0",
 "scripts": {"test": "node --test --test-reporter=tap --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=junit.xml test/"}}
EOF
  cat >packages/api/src/routes.js <<'EOF'
const routes = new Map([['GET /health', () => ({ status: 200, body: 'ok' })], ['GET /users', () => ({ status: 200, body: [] })]]);
function handle(method, path) {
  const h = routes.get(`${method} ${path}`);
  if (!h) return { status: 404, body: 'not found' };
  return h();
}
function parseQuery(qs) {
  return Object.fromEntries(qs.replace(/^\?/, '').split('&').filter(Boolean).map((kv) => kv.split('=')));
}
module.exports = { handle, parseQuery };
EOF
  cat >packages/api/test/routes.test.js <<EOF
const { describe, it } = require('node:test');
const assert = require('node:assert');
const { handle, parseQuery } = require('../src/routes');
describe('routes', () => {
  it('answers the health check', () => assert.deepStrictEqual(handle('GET', '/health'), { status: 200, body: 'ok' }));
  it('returns 404 for unknown routes', () => assert.strictEqual(handle('GET', '/nope').status, 404));
  it('returns 405 for a wrong method', () => assert.strictEqual(handle('POST', '/health').status, 405));
  it('decodes query values', () => assert.deepStrictEqual(parseQuery('?q=a%20b&page=2'), { q: 'a b', page: '2' }));
  for (let i = 0; i < $n; i++) {
    it(\`parses query \${i}\`, () => assert.deepStrictEqual(parseQuery(\`?page=\${i}\`), { page: String(i) }));
  }
  it('returns error bodies as text', () => assert.strictEqual(typeof handle('GET', '/x').body, 'string'));
});
EOF
  cat >packages/web/package.json <<EOF
{"name": "@$name/web", "version": "1.0.0",
 "scripts": {"test": "mocha test"},
 "devDependencies": {"mocha": "10.8.2"}}
EOF
  cat >packages/web/src/render.js <<'EOF'
function escape(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); }
function list(items) { return `<ul>${items.map((i) => `<li>${escape(i)}</li>`).join('')}</ul>`; }
module.exports = { escape, list };
EOF
  cat >packages/web/test/render.test.js <<EOF
const assert = require('node:assert');
const { escape, list } = require('../src/render');
describe('render', function () {
  describe('escape', function () {
    it('escapes angle brackets', function () { assert.strictEqual(escape('<b>'), '&lt;b&gt;'); });
    it('escapes quotes in attributes', function () { assert.strictEqual(escape('"x"'), '&quot;x&quot;'); });
    it('renders error messages safely', function () { assert.strictEqual(escape('error <1>'), 'error &lt;1&gt;'); });
  });
  describe('list', function () {
    for (let i = 0; i < $((n / 2)); i++) {
      it(\`renders \${i} items\`, function () { assert.strictEqual(list(Array(i).fill('x')).split('<li>').length, i + 1); });
    }
  });
});
EOF
  cat >packages/cli/package.json <<EOF
{"name": "@$name/cli", "version": "1.0.0",
 "scripts": {"test": "node --test --test-reporter=spec test/"}}
EOF
  cat >packages/cli/src/args.js <<'EOF'
function parse(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) { const [k, v] = a.slice(2).split('='); out[k] = v ?? true; } else out._.push(a);
  }
  return out;
}
module.exports = { parse };
EOF
  cat >packages/cli/test/args.test.js <<EOF
const { describe, it } = require('node:test');
const assert = require('node:assert');
const { parse } = require('../src/args');
describe('args', () => {
  for (let i = 0; i < $((n / 2)); i++) {
    it(\`parses --level=\${i}\`, () => assert.strictEqual(parse([\`--level=\${i}\`]).level, String(i)));
  }
  it('keeps positional args when a flag fails to parse', () => assert.deepStrictEqual(parse(['a', '--x']), { _: ['a'], x: true }));
});
EOF
}

mocha_xunit() {  # mocha_xunit PKGDIR OUTFILE: the xunit report of a package's mocha tests
  (cd "$1" && "$CI_ROOT/$2/node_modules/.bin/mocha" --reporter xunit --reporter-option output="$3" test >/dev/null 2>&1 || true)
}

# ================================================================================
npm_workspaces_case() {
  with_path "$BASE_PATH"
  fresh acme
  monorepo acme 720
  npm install --no-audit --no-fund --prefer-offline >/dev/null 2>&1
  rm -rf node_modules packages/*/node_modules
  local dir
  dir=$(case_dir node_pm-npm-workspaces)
  LOG=$dir/job.log
  : >"$LOG"
  step node --version
  step npm --version
  step npm ci --prefer-offline --loglevel=http
  step npm run build --workspaces --if-present
  step npm test --workspaces
  cp packages/api/junit.xml "$dir/junit-api.xml"
  mocha_xunit packages/web acme "$dir/xunit-web.xml"
  python3 "$TRUTH" "$dir" --tool npm --command "npm test --workspaces" --junit "$dir/junit-api.xml" --junit "$dir/xunit-web.xml"
}

# ================================================================================
npm_install_case() {
  with_path "$BASE_PATH"
  fresh portal
  cat >package.json <<'EOF'
{
  "name": "portal",
  "version": "3.1.0",
  "private": true,
  "scripts": {"start": "node server.js", "test": "node --test"},
  "dependencies": {"left-pad": "1.3.0", "ms": "2.1.3"},
  "devDependencies": {"mocha": "10.8.2"}
}
EOF
  npm install --no-audit --no-fund --prefer-offline >/dev/null 2>&1
  rm -rf node_modules
  # The branch added a dependency without updating the lockfile.
  add_dep package.json kleur 4.1.5
  local dir j
  dir=$(case_dir node_pm-npm-install)
  j=$(mktemp -d)
  LOG=$dir/job.log
  : >"$LOG"
  step node --version
  step npm --version
  step npm ci
  npm ci --json >"$j/ci.json" 2>/dev/null || true
  step npm install --loglevel=http
  step npm install this-package-does-not-exist-xyz
  npm install --json this-package-does-not-exist-xyz >"$j/404.json" 2>/dev/null || true
  step npm install left-pad@99.0.0
  npm install --json left-pad@99.0.0 >"$j/etarget.json" 2>/dev/null || true
  step npm install react@17.0.2 react-dom@18.3.1
  npm install --json react@17.0.2 react-dom@18.3.1 >"$j/eresolve.json" 2>/dev/null || true
  step npm run build
  npm run build --json >"$j/missing.json" 2>/dev/null || true
  python3 "$TRUTH" "$dir" --tool npm --command "npm install" --json "$j/ci.json" --json "$j/404.json" \
    --json "$j/etarget.json" --json "$j/eresolve.json" --json "$j/missing.json"
}

# ================================================================================
npm9_case() {
  with_path "$BIN:$BASE_PATH"
  fresh acme9
  monorepo acme9 110
  npm9 install --no-audit --no-fund --prefer-offline >/dev/null 2>&1
  rm -rf node_modules packages/*/node_modules
  local dir j
  dir=$(case_dir node_pm-npm9)
  j=$(mktemp -d)
  LOG=$dir/job.log
  : >"$LOG"
  # The job's npm is npm 9: shown as "npm".
  ln -sf "$BIN/npm9" "$BIN/npm"
  step node --version
  step npm --version
  step npm ci --prefer-offline
  step npm test --workspaces
  step npm install --workspace @acme9/web this-package-does-not-exist-xyz
  npm install --json --workspace @acme9/web this-package-does-not-exist-xyz >"$j/404.json" 2>/dev/null || true
  rm -f "$BIN/npm"
  cp packages/api/junit.xml "$dir/junit-api.xml"
  mocha_xunit packages/web acme9 "$dir/xunit-web.xml"
  python3 "$TRUTH" "$dir" --tool npm --command "npm test --workspaces" --junit "$dir/junit-api.xml" \
    --junit "$dir/xunit-web.xml" --json "$j/404.json"
}

# ================================================================================
npm6_case() {
  with_path "$BIN:$BASE_PATH"
  fresh site
  mkdir -p test scripts
  cat >package.json <<'EOF'
{
  "name": "site",
  "version": "0.8.0",
  "private": true,
  "scripts": {
    "lint": "node scripts/lint.js",
    "test": "mocha test"
  },
  "devDependencies": {"mocha": "8.4.0"}
}
EOF
  cat >scripts/lint.js <<'EOF'
const fs = require('node:fs');
let problems = 0;
for (const f of fs.readdirSync('test')) {
  const lines = fs.readFileSync(`test/${f}`, 'utf8').split('\n');
  lines.forEach((l, i) => {
    if (/\bvar\b/.test(l)) { console.log(`test/${f}:${i + 1}: unexpected var, use let or const`); problems++; }
  });
}
if (problems) { console.log(`${problems} problem(s)`); process.exit(1); }
EOF
  cat >test/pages.test.js <<'EOF'
const assert = require('assert');
var pages = ['index', 'about', 'contact', 'blog', 'error'];
describe('pages', function () {
  pages.forEach(function (p) {
    for (let i = 0; i < 100; i++) {
      it(`renders ${p} variant ${i}`, function () { assert.ok(p.length > 0); });
    }
  });
  it('links every page from the menu', function () {
    assert.deepStrictEqual(pages.slice().sort(), ['about', 'blog', 'contact', 'index']);
  });
});
EOF
  npm6 install --no-audit --prefer-offline >/dev/null 2>&1
  rm -rf node_modules
  local dir
  dir=$(case_dir node_pm-npm6)
  LOG=$dir/job.log
  : >"$LOG"
  ln -sf "$BIN/npm6" "$BIN/npm"
  local start
  start=$(mktemp)
  step node --version
  step npm --version
  step npm ci --loglevel=http
  step npm run lint
  step npm test
  step npm install --no-audit this-package-does-not-exist-xyz
  rm -f "$BIN/npm"
  (cd "$CI_ROOT/site" && node_modules/.bin/mocha --reporter xunit --reporter-option output="$dir/xunit.xml" test >/dev/null 2>&1 || true)
  sed -i -E 's/ timestamp="[^"]*"//' "$dir/xunit.xml"
  # npm 6 has no JSON error output: its codes are read from the debug logs of this job.
  local codes
  codes=$(mktemp)
  python3 - "$start" >"$codes" <<'PY'
import json, re, sys
from pathlib import Path
since = Path(sys.argv[1]).stat().st_mtime
logs = sorted((p for p in Path.home().joinpath(".npm/_logs").glob("*-debug.log") if p.stat().st_mtime >= since),
              key=lambda p: p.stat().st_mtime)
codes = []
for p in logs:
    for m in re.finditer(r"^\d+ error code (\w+)$", p.read_text(errors="replace"), re.M):
        if m.group(1) not in codes:
            codes.append(m.group(1))
for c in codes:
    print(json.dumps({"type": "error", "displayName": c}))
PY
  python3 "$TRUTH" "$dir" --tool npm --command "npm run lint; npm test" --junit "$dir/xunit.xml" --json "$codes"
}

# ================================================================================
pnpm_case() {
  with_path "$PNPM10:$BASE_PATH"
  fresh mono
  monorepo mono 60
  pnpm install --prefer-offline >/dev/null 2>&1
  rm -rf node_modules packages/*/node_modules
  local dir j
  dir=$(case_dir node_pm-pnpm)
  j=$(mktemp -d)
  LOG=$dir/job.log
  : >"$LOG"
  step node --version
  step pnpm --version
  step pnpm install --frozen-lockfile --prefer-offline
  step pnpm -r test
  cp packages/api/junit.xml "$dir/junit-api.xml"
  pnpm -r --reporter ndjson test >"$j/run.ndjson" 2>&1 || true
  step pnpm --filter @mono/web test
  step pnpm --filter @mono/web add this-package-does-not-exist-xyz
  pnpm --filter @mono/web add --reporter ndjson this-package-does-not-exist-xyz >"$j/404.ndjson" 2>&1 || true
  # A branch that changed a dependency without updating pnpm-lock.yaml.
  add_dep packages/web/package.json kleur 4.1.5
  step pnpm install --frozen-lockfile
  pnpm install --frozen-lockfile --reporter ndjson >"$j/lock.ndjson" 2>&1 || true
  mocha_xunit packages/web mono "$dir/xunit-web.xml"
  python3 "$TRUTH" "$dir" --tool pnpm --command "pnpm -r test" --junit "$dir/junit-api.xml" --junit "$dir/xunit-web.xml" \
    --json "$j/run.ndjson" --json "$j/404.ndjson" --json "$j/lock.ndjson"
}

# ================================================================================
pnpm12_case() {
  with_path "$PNPM12:$BASE_PATH"
  fresh mono12
  monorepo mono12 50
  pnpm install >/dev/null 2>&1
  local dir j
  dir=$(case_dir node_pm-pnpm12)
  j=$(mktemp -d)
  LOG=$dir/job.log
  : >"$LOG"
  step node --version
  step pnpm --version
  step pnpm install --frozen-lockfile
  step pnpm -r --workspace-concurrency=1 --no-bail test
  cp packages/api/junit.xml "$dir/junit-api.xml"
  pnpm -r --workspace-concurrency=1 --no-bail --reporter ndjson test >"$j/run.ndjson" 2>&1 || true
  step pnpm --filter @mono12/web add this-package-does-not-exist-xyz
  pnpm --filter @mono12/web add --reporter ndjson this-package-does-not-exist-xyz >"$j/add.ndjson" 2>&1 || true
  mocha_xunit packages/web mono12 "$dir/xunit-web.xml"
  python3 "$TRUTH" "$dir" --tool pnpm --command "pnpm -r --no-bail test" --junit "$dir/junit-api.xml" \
    --junit "$dir/xunit-web.xml" --json "$j/run.ndjson" --json "$j/add.ndjson"
}

# ================================================================================
yarn_case() {
  with_path "$YARN1:$BASE_PATH"
  fresh store
  monorepo store 1400
  # yarn 1 runs one package's tests here: the web package, as a project of its own.
  rm package.json pnpm-workspace.yaml
  cd packages/web
  printf 'registry "https://registry.npmjs.org"\n' >.yarnrc
  yarn install --non-interactive >/dev/null 2>&1
  rm -rf node_modules
  local dir
  dir=$(case_dir node_pm-yarn)
  LOG=$dir/job.log
  : >"$LOG"
  step node --version
  step yarn --version
  step yarn install --frozen-lockfile --non-interactive
  step yarn test
  step yarn add this-package-does-not-exist-xyz --non-interactive
  add_dep package.json kleur 4.1.5
  step yarn install --frozen-lockfile --non-interactive
  (node_modules/.bin/mocha --reporter xunit --reporter-option output="$dir/xunit-web.xml" test >/dev/null 2>&1 || true)
  python3 "$TRUTH" "$dir" --tool yarn --command "yarn test" --junit "$dir/xunit-web.xml"
}

# ================================================================================
yarn4_case() {
  with_path "$BIN:$BASE_PATH"
  fresh shelf
  monorepo shelf 30
  sed -i 's/"private": true,/"private": true,\n  "packageManager": "yarn@4.18.1",/' package.json
  printf 'nodeLinker: node-modules\nenableTelemetry: false\nenableGlobalCache: false\n' >.yarnrc.yml
  CI= yarn4 install >/dev/null 2>&1
  local dir j
  dir=$(case_dir node_pm-yarn4)
  j=$(mktemp -d)
  LOG=$dir/job.log
  : >"$LOG"
  ln -sf "$BIN/yarn4" "$BIN/yarn"
  step node --version
  step yarn --version
  step yarn install --immutable
  step yarn workspaces foreach --all --verbose run test
  # A branch that added a dependency that is not published, lockfile not updated.
  add_dep packages/web/package.json this-package-does-not-exist-xyz ^1.0.0
  step yarn install --immutable
  yarn install --immutable --json >"$j/immutable.json" 2>&1 || true
  step yarn install --no-immutable
  yarn install --no-immutable --json >"$j/404.json" 2>&1 || true
  rm -f "$BIN/yarn"
  cp packages/api/junit.xml "$dir/junit-api.xml"  # foreach stops at the first failing workspace
  python3 "$TRUTH" "$dir" --tool yarn --command "yarn workspaces foreach --all --verbose run test" \
    --junit "$dir/junit-api.xml" --json "$j/immutable.json" --json "$j/404.json"
}

for c in ${PM_CASES:-npm_workspaces npm_install npm9 npm6 pnpm pnpm12 yarn yarn4}; do
  "${c}_case"
done
