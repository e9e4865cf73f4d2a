#!/usr/bin/env bash
# Makes the shell fixtures: a CI script run under `bash -x`, with the failures a shell
# job really shows (bash's own "./ci.sh: line N: ..." messages, a segfault with a core
# dump, a command killed by the kernel's OOM killer inside a memory cgroup, `timeout`
# reporting a core dump, dash's "sh: 1: x: not found", permission denied, a `set -e`
# exit), a bats test suite (TAP and pretty output) and a ShellCheck lint.
#
# Usage: bench/ecosystems/shell.sh [FIXTURES_DIR]
#   FIXTURES_DIR defaults to the repo's tokopt_pipeline_tests/data/ecosystems.
# Needs root (apt-get for bats, shellcheck, gcc, make, dash; a memory cgroup for the
# OOM kill). The truth is derived from what the tools themselves report: bash's $? and
# $LINENO (an ERR trap in the script writes them to a report), bats' JUnit report and
# ShellCheck's JSON output.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${1:-$REPO/tokopt_pipeline_tests/data/ecosystems}")

need() {  # need COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null 2>&1 && return
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}
need bats bats
need shellcheck shellcheck
need gcc gcc
need make make
need dash dash
need timeout coreutils
need python3 python3

CI=/tmp/ci
P=$CI/pkgtool
rm -rf "$P" "$CI/home"
mkdir -p "$P" "$CI/home"
cd "$P"

# --------------------------------------------------------------------------- project
mkdir -p bin lib src scripts test/unit test/cli tests/data docs

cat > ci.sh <<'EOF'
#!/usr/bin/env bash
# CI entry point for pkgtool: setup, build, test, lint, package.
set -uo pipefail
mkdir -p reports/unit reports/cli
: > reports/failures.tsv
# Every failing command (line, status, command) goes to the job summary; quiet under xtrace.
trap '{ __st=$?; set +x; } 2>/dev/null; printf "%s\t%s\t%s\n" "$LINENO" "$__st" "$BASH_COMMAND" >> reports/failures.tsv; set -x' ERR
ulimit -c unlimited
failed=0

echo "--- setup"
bash --version | head -n 1
make --version | head -n 1
bats --version
shellcheck --version | sed -n 2p
tar -xvf vendor.tar.gz
# warm the cache when the runner has one
cd "$HOME/.cache/pkgtool"
cd "$CI_PROJECT_DIR"
PKG_VERSION=$(sed -n 's/^version: //p' pkgtool.yml)
NEXT_VERSION=$(semver bump patch "$PKG_VERSION")
echo "version $PKG_VERSION (next ${NEXT_VERSION:-unknown})"
sh -c 'checkbashisms --posix bin/pkgtool'

echo "--- build"
make -j2 all
for page in docs/*.md; do
  bin/pkgtool render "$page" build/docs
done
grep -c error build/docs/*.html | grep -v ':0$' || echo "no error markers in rendered pages"

echo "--- unit tests"
bats --formatter tap --report-formatter junit --output reports/unit test/unit || failed=$((failed + 1))

echo "--- cli tests"
bats --pretty --report-formatter junit --output reports/cli test/cli || failed=$((failed + 1))

echo "--- fixture tests"
./build/bin/parse-fixture tests/data/good.idx
./build/bin/parse-fixture tests/data/truncated.idx
timeout 20 ./build/bin/parse-fixture tests/data/empty.idx
./build/bin/expand-fixture tests/data/large.idx
echo "::error file=src/parse_fixture.c,line=31::parse-fixture crashed on truncated.idx"

echo "--- lint"
shellcheck bin/pkgtool lib/*.sh scripts/*.sh || failed=$((failed + 1))

echo "--- package"
./scripts/deploy.sh --dry-run
bash -ex scripts/release.sh "$PKG_VERSION"

echo "##[error]$failed test stages failed"
exit 2
EOF
chmod +x ci.sh

cat > pkgtool.yml <<'EOF'
name: pkgtool
version: 0.9.3
EOF

cat > bin/pkgtool <<'EOF'
#!/usr/bin/env bash
# pkgtool: a small packaging helper.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/slug.sh"
. "$here/lib/version.sh"
. "$here/lib/manifest.sh"

render() {
  local src=$1 dest=$2 name out
  name=$(slugify "$(basename "$src" .md)")
  mkdir -p "$dest"
  out="$dest/$name.html"
  {
    echo "<html><body>"
    sed -e 's/^# \(.*\)/<h1>\1<\/h1>/' -e 's/^[^<].*/<p>&<\/p>/' "$src"
    echo "</body></html>"
  } > "$out"
  echo "rendered $out ($(wc -c < "$out") bytes)"
}

case "${1:-}" in
  render) shift; render "$@" ;;
  slug) shift; slugify "$*" ;;
  version) shift; parse_version "$1" ;;
  manifest) shift; write_manifest "$@" ;;
  install)
    shift
    [ -n "${PREFIX:-}" ] || { echo "pkgtool: PREFIX is not set" >&2; exit 3; }
    echo "installing into $PREFIX"
    ;;
  ""|help) echo "usage: pkgtool render|slug|version|manifest|install" ;;
  *) echo "pkgtool: unknown command: $1" >&2; exit 64 ;;
esac
EOF
chmod +x bin/pkgtool

cat > lib/slug.sh <<'EOF'
# slugify TEXT: lower case, words joined by single dashes.
slugify() {
  local s
  s=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9]/-/g' -e 's/^-*//' -e 's/-*$//')
  printf '%s\n' "$s"
}
EOF

cat > lib/version.sh <<'EOF'
# parse_version X.Y.Z: prints "X Y Z"; fails on anything else.
parse_version() {
  local v=$1
  case $v in
    *[!0-9.x]*|"") echo "invalid version: $v" >&2; return 1 ;;
  esac
  IFS=. read -r major minor patch <<< "$v"
  echo "${major} ${minor:-0} ${patch:-0}"
}
EOF

cat > lib/manifest.sh <<'EOF'
# write_manifest DIR OUT: one "sha256  path" line per file under DIR.
write_manifest() {
  local dir=$1 out=$2
  (cd "$dir" && find . -type f -print0 | xargs -0 sha256sum) > "$out"
}
EOF

cat > scripts/deploy.sh <<'EOF'
#!/usr/bin/env bash
# Uploads the release tarball (not executable: run through ci.sh).
TARGET=$1
DIR=dist
cd $DIR
for f in $(ls *.tar.gz); do
  scp $f deploy@releases:/srv/pkgtool/
done
EOF
chmod 644 scripts/deploy.sh

cat > scripts/release.sh <<'EOF'
#!/usr/bin/env bash
# Packs the build into dist/ and copies it to the release area.
version=$1
mkdir -p dist release
tar -czf "dist/pkgtool-$version.tar" bin lib
cp dist/pkgtool-*.tar.gz release/
echo "released $version"
EOF
chmod +x scripts/release.sh

cat > scripts/check-env.sh <<'EOF'
#!/bin/sh
# Checks the tools a release needs.
for tool in tar gzip sha256sum; do
  if [[ -z "$(command -v $tool)" ]; then
    echo "missing $tool"
  fi
done
unused_flag=1
EOF

cat > Makefile <<'EOF'
CC ?= cc
CFLAGS ?= -O1 -g -Wall
OBJS := $(patsubst src/%.c,build/obj/%.o,$(wildcard src/mod_*.c))

all: build/bin/parse-fixture build/bin/expand-fixture build/lib/libpkg.a

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

build/lib/libpkg.a: $(OBJS)
	@mkdir -p $(@D)
	ar rcs $@ $^

build/bin/%: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@

build/bin/parse-fixture: src/parse_fixture.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@

build/bin/expand-fixture: src/expand_fixture.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@
EOF

cat > src/parse_fixture.c <<'EOF'
/* parse-fixture: reads an index file of "name size" lines and prints the header's size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry { char name[32]; long size; };

static struct entry *lookup(struct entry *t, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

int main(int argc, char **argv) {
    struct entry table[64];
    int n = 0;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    while (n < 64 && fscanf(f, "%31s %ld", table[n].name, &table[n].size) == 2)
        n++;
    fclose(f);
    printf("%s: %d entries\n", argv[1], n);
    fflush(stdout);
    struct entry *header = lookup(table, n, "header");
    /* the header entry is always first in a well-formed index */
    printf("header size %ld\n", header->size);
    return 0;
}
EOF

cat > src/expand_fixture.c <<'EOF'
/* expand-fixture: expands an index into memory (16 MiB per block, at most 1 GiB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    size_t block = 16u << 20;
    printf("expanding %s\n", argv[1]);
    fflush(stdout);
    for (int i = 1; i <= 64; i++) {
        char *p = malloc(block);
        if (!p) {
            fprintf(stderr, "expand-fixture: out of memory after %d MiB\n", (i - 1) * 16);
            return 1;
        }
        memset(p, i, block);
        if (i % 4 == 0) {
            printf("expanded %d MiB\n", i * 16);
            fflush(stdout);
        }
    }
    return 0;
}
EOF

for i in $(seq -w 1 36); do
  cat > "src/mod_$i.c" <<EOF
/* module $i of libpkg */
int pkg_mod_${i}_weight(int x) { return x * $((10#$i)) + $((10#$i % 7)); }
int pkg_mod_${i}_check(const char *s) { int n = 0; while (s && s[n]) n++; return n > $((10#$i % 5)); }
EOF
done

cat > tests/data/good.idx <<'EOF'
header 512
body 40960
trailer 64
EOF
cat > tests/data/truncated.idx <<'EOF'
body 40960
trailer 64
EOF
: > tests/data/empty.idx
printf 'header 512\nbody 1073741824\n' > tests/data/large.idx

for i in $(seq 1 620); do
  {
    echo "# Page $i"
    echo "Reference page $i of the pkgtool manual."
    echo "It lists the options of step $((i % 17)) and their defaults."
  } > "docs/page-$(printf %03d "$i").md"
done

# Unit tests: data-driven cases (most pass) and a few that show real bugs.
{
  echo 'setup() { . "$BATS_TEST_DIRNAME/../../lib/slug.sh"; . "$BATS_TEST_DIRNAME/../../lib/version.sh"; }'
  for w in alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega; do
    echo "@test \"slugify keeps lower-case word $w\" { run slugify \"$w\"; [ \"\$output\" = \"$w\" ]; }"
    upper=$(printf '%s' "$w" | tr '[:lower:]' '[:upper:]')
    echo "@test \"slugify lowers $upper\" { run slugify \"$upper\"; [ \"\$output\" = \"$w\" ]; }"
  done
  echo '@test "slugify reports error on empty input" { run slugify ""; [ "$status" -eq 0 ]; [ -z "$output" ]; }'
  echo '@test "slugify strips leading and trailing dashes" { run slugify "--x--"; [ "$output" = "x" ]; }'
  echo '@test "slugify collapses repeated dashes" { run slugify "a  b"; [ "$output" = "a-b" ]; }'
  for maj in 0 1 2 3 10; do
    for min in 0 1 9 12; do
      echo "@test \"parse_version reads $maj.$min.7\" { run parse_version $maj.$min.7; [ \"\$output\" = \"$maj $min 7\" ]; }"
    done
  done
  echo '@test "parse_version handles fail-fast flag values" { run parse_version 1.2.3; [ "$status" -eq 0 ]; }'
  echo '@test "parse_version rejects letters" { run parse_version 1.a.3; [ "$status" -eq 1 ]; }'
  echo '@test "parse_version rejects 1.x" { run parse_version 1.x; [ "$status" -eq 1 ]; }'
  echo '@test "parse_version pads a missing patch" { run parse_version 4.2; [ "$output" = "4 2 0" ]; }'
} > test/unit/slug_version.bats

{
  echo 'setup() { . "$BATS_TEST_DIRNAME/../../lib/manifest.sh"; tmp=$(mktemp -d); }'
  echo 'teardown() { rm -rf "$tmp"; }'
  for n in 1 2 3 5 8 13 21; do
    echo "@test \"manifest of $n files has $n lines\" { mkdir -p \"\$tmp/d\"; for i in \$(seq $n); do echo \$i > \"\$tmp/d/f\$i\"; done; write_manifest \"\$tmp/d\" \"\$tmp/m\"; [ \"\$(wc -l < \"\$tmp/m\")\" -eq $n ]; }"
  done
  echo '@test "manifest error path leaves no file" { run write_manifest /nonexistent "$tmp/m"; [ "$status" -ne 0 ]; }'
  echo '@test "manifest lists files in sorted order" { mkdir -p "$tmp/d"; for f in b a c; do echo $f > "$tmp/d/$f"; done; write_manifest "$tmp/d" "$tmp/m"; run cut -c67- "$tmp/m"; [ "$output" = "$(printf "./a\n./b\n./c")" ]; }'
} > test/unit/manifest.bats

cat > test/cli/cli.bats <<'EOF'
pkgtool() { "$BATS_TEST_DIRNAME/../../bin/pkgtool" "$@"; }
@test "help lists the commands" { run pkgtool help; [[ $output == usage:* ]]; }
@test "unknown command fails fast with status 64" { run pkgtool frobnicate; [ "$status" -eq 64 ]; }
@test "slug command joins words" { run pkgtool slug Hello World; [ "$output" = "hello-world" ]; }
@test "version command splits fields" { run pkgtool version 2.4.6; [ "$output" = "2 4 6" ]; }
@test "render writes html" { run pkgtool render "$BATS_TEST_DIRNAME/../../docs/page-001.md" "$BATS_TMPDIR/r"; [ "$status" -eq 0 ]; }
@test "install reports a missing prefix" { PREFIX= run pkgtool install; [ "$status" -eq 3 ]; }
@test "install uses PREFIX" { PREFIX=/opt/pkg run pkgtool install; [ "$output" = "installing into /opt/pkg/" ]; }
@test "manifest command writes a file" { mkdir -p "$BATS_TMPDIR/m"; echo x > "$BATS_TMPDIR/m/x"; run pkgtool manifest "$BATS_TMPDIR/m" "$BATS_TMPDIR/out"; [ -s "$BATS_TMPDIR/out" ]; }
@test "error output goes to stderr" { run pkgtool frobnicate; [[ $output == *"unknown command"* ]]; }
@test "render of a missing page fails" { run pkgtool render /nonexistent.md "$BATS_TMPDIR/r"; [ "$status" -ne 0 ]; }
@test "slug of empty text is empty" { run pkgtool slug ""; [ -z "$output" ]; }
@test "install on read-only prefix" { skip "needs a read-only mount"; }
EOF

# Vendored shell libraries, unpacked by the CI setup (noise of `tar -xv`).
mkdir -p /tmp/ci/vendor-src && (
  cd /tmp/ci/vendor-src && rm -rf vendor
  for lib in shunit2 bats-support bats-assert bats-file semver-tool; do
    for d in lib src doc test; do
      mkdir -p "vendor/$lib/$d"
      for i in $(seq -w 1 60); do echo "# $lib $d $i" > "vendor/$lib/$d/${lib}_${d}_part_$i.sh"; done
    done
  done
  tar -czf "$P/vendor.tar.gz" vendor
)

# --------------------------------------------------------------------------- run
# The job runs in a memory cgroup of 256 MiB, as a runner container with a memory limit.
CG=""
if [ -d /sys/fs/cgroup/memory ] && mkdir -p /sys/fs/cgroup/memory/ci-shell-fixture 2>/dev/null; then
  CG=/sys/fs/cgroup/memory/ci-shell-fixture
  echo $((256 << 20)) > "$CG/memory.limit_in_bytes"
  echo 0 > "$CG/memory.swappiness" 2>/dev/null || true
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir -p /sys/fs/cgroup/ci-shell-fixture 2>/dev/null; then
  CG=/sys/fs/cgroup/ci-shell-fixture
  echo $((256 << 20)) > "$CG/memory.max"
  echo 0 > "$CG/memory.swap.max" 2>/dev/null || true
else
  echo "shell.sh: a memory cgroup is needed for the OOM kill" >&2
  exit 1
fi

case=$OUT/shell-script
mkdir -p "$case"
log=$case/job.log
{
  echo "Running with bash on runner ci-linux-2 (docker executor)"
  echo "\$ bash -x ./ci.sh"
} > "$log"
set +e
env -i HOME=$CI/home PATH=/usr/bin:/bin TERM=dumb LANG=C.UTF-8 \
  CI=true CI_PROJECT_DIR=$P \
  bash -c 'echo $$ > "$1/cgroup.procs"; cd "$2"; exec bash -x ./ci.sh' _ "$CG" "$P" >> "$log" 2>&1
rc=$?
set -e
echo "ERROR: Job failed: exit code $rc" >> "$log"
rmdir "$CG" 2>/dev/null || true

# The machine-readable side of the same run.
shellcheck -f json bin/pkgtool lib/*.sh scripts/*.sh > "$case/shellcheck.json" || true
cp reports/unit/report.xml "$case/junit-unit.xml"
cp reports/cli/report.xml "$case/junit-cli.xml"
cp reports/failures.tsv "$case/failures.tsv"

python3 - "$case" "$rc" <<'EOF'
import json, re, sys, xml.etree.ElementTree as ET
from pathlib import Path

case, rc = Path(sys.argv[1]), int(sys.argv[2])
log = (case / "job.log").read_text()

failing, locations, totals = [], [], []
for name in ("junit-unit.xml", "junit-cli.xml"):
    root = ET.parse(case / name).getroot()
    for suite in root.iter("testsuite"):
        pass
    tests = sum(int(s.get("tests")) for s in root.iter("testsuite"))
    fails = sum(int(s.get("failures")) for s in root.iter("testsuite"))
    skips = sum(int(s.get("skipped")) for s in root.iter("testsuite"))
    for tc in root.iter("testcase"):
        f = tc.find("failure")
        if f is not None:
            failing.append(tc.get("name"))
            m = re.search(r"\(in test file (\S+), line (\d+)\)", f.text or "")
            if m:
                locations.append(f"{m.group(1)}, line {m.group(2)}")
    # bats' pretty formatter closes with this line (the TAP one prints none).
    line = f"{tests} test{'s' if tests != 1 else ''}, {fails} failure{'s' if fails != 1 else ''}"
    if skips:
        line += f", {skips} skipped"
    if line in log:
        totals.append(line)

codes = []
for d in json.loads((case / "shellcheck.json").read_text()):
    codes.append(f"SC{d['code']}")
    locations.append(f"{d['file']} line {d['line']}")

exit_codes, error_messages = [], []
for row in (case / "failures.tsv").read_text().splitlines():
    lineno, status, command = row.split("\t", 2)
    entry = {"line": int(lineno), "status": int(status), "command": command}
    where = f"./ci.sh: line {lineno}"
    said = [l for l in log.splitlines() if l.startswith(where + ":")]
    if said:
        locations.append(where)
        error_messages.extend(said)
        entry["message"] = said[-1]
    exit_codes.append(entry)
for l in log.splitlines():
    if l.startswith(("sh: ", "timeout: ", "cp: ")):
        error_messages.append(l)

def uniq(xs):
    return list(dict.fromkeys(xs))

truth = {
    "tool": "bash",
    "command": "bash -x ./ci.sh",
    "failing_tests": uniq(failing),
    "error_locations": uniq(locations),
    "error_codes": uniq(codes),
    "totals": uniq(totals),
    "error_messages": uniq(error_messages),
    "exit_codes": exit_codes,
    "job_exit_code": rc,
}
for key in ("failing_tests", "error_locations", "error_codes", "totals", "error_messages"):
    for s in truth[key]:
        assert s in log, (key, s)
assert truth["failing_tests"] and truth["error_codes"] and truth["totals"], truth
for kind in ("Segmentation fault", "Killed", "command not found", "Permission denied",
             "No such file or directory", "timeout: the monitored command dumped core", "sh: 1: "):
    assert kind in log, kind
(case / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
print(f"{case.name}: {len(log)} bytes, {len(truth['failing_tests'])} failing tests, "
      f"{len(exit_codes)} failed commands, job exit {rc}")
EOF

cat > "$case/SOURCE.md" <<'MD'
Made by `bench/ecosystems/shell.sh`: bash 5.2, dash, coreutils timeout, bats 1.8 and
ShellCheck 0.9 (Debian 12) on the sample project that script writes, run as
`bash -x ./ci.sh` inside a 256 MiB memory cgroup (so the kernel's OOM killer really
kills a command). The machine-readable side of the same run: `failures.tsv` (each failing
command's line, $? and text, written by the script's ERR trap), the bats JUnit reports and
ShellCheck's JSON; `truth.json` is derived from those.
MD
