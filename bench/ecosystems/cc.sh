#!/usr/bin/env bash
# Fixtures of the C/C++ runner pack: real console output of gcc, g++, clang, GNU ld,
# make, CMake, ninja, ctest, GoogleTest, cmocka and meson on small sample projects.
#
#   bench/ecosystems/cc.sh [OUT]   (default OUT: tokopt_pipeline_tests/data/ecosystems)
#
# Each case becomes OUT/cc-<case>/ with job.log (the console as a CI job prints it), the
# tools' machine-readable output of the same run (kept small) and truth.json, derived
# from that output by truth.py below (never typed by hand).
#
# The projects are written to /tmp/ci/<project> (stable paths in the logs); tools
# come from Debian's packages, meson from PyPI into a venv under $CC_WORK (default
# /tmp/cc-work). ONLY='make clang' makes only the cases named. Timings, sanitizer
# addresses and process ids in the logs change from run to run; nothing else does.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$REPO/tokopt_pipeline_tests/data/ecosystems}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=${CC_WORK:-/tmp/cc-work}
CI=/tmp/ci
export LC_ALL=C LANG=C TZ=UTC
unset CFLAGS CXXFLAGS LDFLAGS MAKEFLAGS GTEST_COLOR CLICOLOR_FORCE || true

# --- tools ---------------------------------------------------------------------------
apt_install() {  # the packages not yet installed; waits for another apt to finish
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  for _ in $(seq 1 60); do
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1; then
      return 0
    fi
    sleep 5
  done
  echo "apt-get install ${missing[*]} failed" >&2
  return 1
}
apt_install gcc g++ make cmake ninja-build clang python3-clang-14 libgtest-dev libcmocka-dev binutils python3-venv
mkdir -p "$WORK"
if [ ! -x "$WORK/venv/bin/meson" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q 'meson==1.12.1'
fi
export PATH="$WORK/venv/bin:$PATH"  # meson
PY=/usr/bin/python3  # Debian's, for the libclang bindings of python3-clang-14

# --- helpers -------------------------------------------------------------------------
want() {  # the cases to make: all, or those named in $ONLY (e.g. ONLY='ctest gtest')
  [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]
}
LOG=
run() {  # run 'COMMAND': print it as `set -x` does, then its output; never stops the script
  printf '+ %s\n' "$1" >>"$LOG"
  local rc=0
  bash -c "$1" >>"$LOG" 2>&1 </dev/null || rc=$?
  return 0
}
begin() {  # begin CASE PROJECT: a fresh project dir and an empty log
  CASE=$1
  PROJ=$CI/$2
  rm -rf "$PROJ" "$OUT/cc-$CASE"
  mkdir -p "$PROJ" "$OUT/cc-$CASE"
  LOG=$WORK/$CASE.log
  : >"$LOG"
  cd "$PROJ"
}
finish() {  # finish TRUTH-ARGS...: job.log and truth.json into the fixture folder
  cp "$LOG" "$OUT/cc-$CASE/job.log"
  "$PY" "$WORK/truth.py" "$OUT/cc-$CASE" "$@"
}

# --- truth.py: truth.json from the machine-readable output ----------------------------
cat >"$WORK/truth.py" <<'PYEOF'
"""truth.json of one fixture, from the tools' machine-readable output.

usage: truth.py CASE_DIR --tool T --command C [--gcc-json F] [--clang-ccdb F]
       [--ctest-junit F] [--gtest-xml F] [--meson-log F] [--cmake-trace F SRC]
       [--link OBJ LIB... --]
"""
import json, os, re, subprocess, sys
import xml.etree.ElementTree as ET

case, args = sys.argv[1], sys.argv[2:]
log = open(os.path.join(case, "job.log"), encoding="utf-8").read()
log_lines = [l.rstrip("\n") for l in log.splitlines()]
truth = {"tool": "", "command": "", "failing_tests": [], "error_locations": [], "error_codes": [], "totals": []}


def add(key, value):
    if value not in truth[key]:
        truth[key].append(value)


def line_matching(rx):
    """The one log line (stripped) a pattern derived from the report matches."""
    hits = [l.strip() for l in log_lines if re.fullmatch(rx, l.strip())]
    if not hits:
        sys.exit(f"{case}: no line matches {rx!r}")
    return hits[0]


def gcc_json(path):
    """gcc -fdiagnostics-format=json, one array per translation unit."""
    for tu in json.load(open(path)):
        for d in tu:
            if d["kind"] != "error":
                continue
            caret = d["locations"][0]["caret"]
            add("error_locations", f"{caret['file']}:{caret['line']}")
            opt = d.get("option", "")
            if opt.startswith("-Werror="):
                add("error_codes", opt)


def clang_ccdb(path, save):
    """A second pass of every compile command through libclang (clang's own diagnostics)."""
    import clang.cindex as ci
    index = ci.Index.create()
    report = []
    for cmd in json.load(open(path)):
        argv = cmd["command"].split()[1:]
        out = [a for i, a in enumerate(argv) if a not in ("-c", "-o") and argv[i - 1] != "-o" and a != cmd["file"]]
        os.chdir(cmd["directory"])
        tu = index.parse(cmd["file"], args=out)
        for d in tu.diagnostics:
            if d.severity < ci.Diagnostic.Warning:
                continue
            loc = d.location
            # clang names the file as the command line did (relative or absolute)
            name = str(loc.file) if loc.file else ""
            entry = {"severity": "error" if d.severity >= ci.Diagnostic.Error else "warning", "file": name,
                     "line": loc.line, "column": loc.column, "option": d.option, "message": d.spelling}
            report.append(entry)
            if entry["severity"] == "error":
                add("error_locations", f"{name}:{loc.line}")
                if d.option.startswith("-W") and "-Werror," + d.option in log:
                    add("error_codes", d.option)
    json.dump(report, open(save, "w"), indent=1)
    os.chdir(case)


def ctest_junit(path):
    root = ET.parse(path).getroot()
    n = int(root.get("tests"))
    failed = []
    for tc in root.iter("testcase"):
        skipped = tc.find("skipped")
        not_run = tc.get("status") == "notrun" and skipped is not None and not (skipped.get("message") or "").startswith(("SKIP_", "Disabled"))
        if tc.get("status") == "fail" or not_run:
            failed.append(tc)
            add("failing_tests", tc.get("name"))
            out = tc.findtext("system-out") or ""
            # what the test program printed: cmocka's and GoogleTest's failing tests,
            # the locations of failed checks and assertions
            for m in re.finditer(r"^\[  FAILED  \] ([A-Za-z_][\w/.]*)", out, re.M):
                add("failing_tests", m.group(1))
            for m in re.finditer(r"^(?:\[   LINE   \] --- |[\w.-]+: |SUMMARY: \w+Sanitizer: [\w-]+ )?(/\S+?\.(?:c|cc|cpp)):(\d+)(?::\d+)?(?:: | in )", out, re.M):
                add("error_locations", f"{m.group(1)}:{m.group(2)}")
            # a sanitizer's report: its first frame in the project's own sources
            m = re.search(r"^    #\d+ 0x[0-9a-f]+ in \S+ (/\S+?\.(?:c|cc|cpp)):(\d+)$", out, re.M)
            if m:
                add("error_locations", f"{m.group(1)}:{m.group(2)}")
    f = len(failed)
    add("totals", line_matching(rf"\d+% tests passed, {f} tests? failed out of {n}"))


def gtest_xml(path):
    root = ET.parse(path).getroot()
    for tc in root.iter("testcase"):
        for fl in tc.findall("failure"):
            add("failing_tests", f"{tc.get('classname')}.{tc.get('name')}")
            first = (fl.get("message") or "").split("\n")[0]
            m = re.fullmatch(r"(.+):(\d+)", first)
            if m:
                add("error_locations", f"{m.group(1)}:{m.group(2)}")
    n, f = int(root.get("tests")), int(root.get("failures")) + int(root.get("errors"))
    skipped = sum(1 for tc in root.iter("testcase") if tc.find("skipped") is not None)
    s = lambda k, w: f"{k} {w}" + ("" if k == 1 else "s")
    add("totals", line_matching(rf"\[==========\] {s(n, 'test')} from \d+ test suites? ran\. \(\d+ ms total\)"))
    add("totals", line_matching(rf"\[  PASSED  \] {s(n - f - skipped, 'test')}\."))
    if f:
        add("totals", line_matching(rf"\[  FAILED  \] {s(f, 'test')}, listed below:"))
        add("totals", line_matching(rf"{f} FAILED {'TEST' if f == 1 else 'TESTS'}"))
    # the report kept: the failures and the counts, no timestamps
    for el in root.iter():
        for a in ("timestamp", "time"):
            el.attrib.pop(a, None)
    for suite in root.findall("testsuite"):
        for tc in list(suite):
            if tc.find("failure") is None:
                suite.remove(tc)
        if not len(suite):
            root.remove(suite)
    ET.ElementTree(root).write(os.path.join(case, "report.xml"), encoding="unicode")


def meson_log(path):
    rows = [json.loads(l) for l in open(path)]
    kept = []
    counts = {}
    for r in rows:
        kept.append({k: r.get(k) for k in ("name", "result", "returncode", "is_fail")})
        counts[r["result"]] = counts.get(r["result"], 0) + 1
        if r["result"] in ("FAIL", "TIMEOUT", "UNEXPECTEDPASS", "ERROR"):
            add("failing_tests", r["name"])
            for m in re.finditer(r"^(\S+\.c):(\d+): ", r.get("stdout") or "", re.M):
                add("error_locations", f"{m.group(1)}:{m.group(2)}")
    json.dump(kept, open(os.path.join(case, "testlog.json"), "w"), indent=1)
    for label, key in (("Ok", "OK"), ("Expected Fail", "EXPECTEDFAIL"), ("Fail", "FAIL"), ("Unexpected Pass", "UNEXPECTEDPASS"),
                       ("Skipped", "SKIP"), ("Timeout", "TIMEOUT")):
        add("totals", line_matching(rf"{label}:\s+{counts.get(key, 0)}"))


def cmake_trace(path, src):
    """cmake --trace-format=json-v1: the command that stopped the configure and its callers."""
    entries = [json.loads(l) for l in open(path) if l.startswith("{")]
    entries = [e for e in entries if "file" in e]
    last = entries[-1]
    stack = [last]
    for e in reversed(entries):
        if e["frame"] < stack[-1]["frame"]:
            stack.append(e)
    for e in stack:
        f = os.path.relpath(e["file"], src) if e["file"].startswith(src + "/") else e["file"]
        add("error_locations", f"{f}:{e['line']}")
    json.dump([{k: v for k, v in e.items() if k != "time"} for e in stack], open(os.path.join(case, "trace-tail.json"), "w"), indent=1)
    add("totals", line_matching(r"-- Configuring incomplete, errors occurred!"))


def link_refs(obj, libs):
    """The call sites in OBJ of the symbols that neither OBJ nor LIBS define: the
    relocations objdump lists, mapped to file:line by addr2line (the object has -g)."""
    defined = set()
    for f in [obj] + libs:
        out = subprocess.run(["nm", "--defined-only", f], capture_output=True, text=True).stdout
        defined |= {l.split()[-1] for l in out.splitlines() if len(l.split()) == 3}
    undef = {l.split()[-1] for l in subprocess.run(["nm", "-u", obj], capture_output=True, text=True).stdout.splitlines()}
    project = {s for s in undef - defined if s.startswith("_ZN3img")}
    section = None
    for l in subprocess.run(["objdump", "-r", obj], capture_output=True, text=True).stdout.splitlines():
        m = re.match(r"RELOCATION RECORDS FOR \[(.*)\]:", l)
        if m:
            section = m.group(1)
            continue
        parts = l.split()
        if len(parts) == 3 and parts[2].split("-")[0] in project and section.startswith(".text"):
            where = subprocess.run(["addr2line", "-e", obj, "-j", section, "0x" + parts[0]], capture_output=True, text=True).stdout.strip()
            file_line = where.split(" ")[0]
            add("error_locations", file_line)


truth["tool"], truth["command"] = "", ""
i = 0
while i < len(args):
    a = args[i]
    if a == "--tool":
        truth["tool"] = args[i + 1]; i += 2
    elif a == "--command":
        truth["command"] = args[i + 1]; i += 2
    elif a == "--gcc-json":
        gcc_json(args[i + 1]); i += 2
    elif a == "--clang-ccdb":
        clang_ccdb(args[i + 1], os.path.join(case, "diagnostics.json")); i += 2
    elif a == "--ctest-junit":
        ctest_junit(args[i + 1]); i += 2
    elif a == "--gtest-xml":
        gtest_xml(args[i + 1]); i += 2
    elif a == "--meson-log":
        meson_log(args[i + 1]); i += 2
    elif a == "--cmake-trace":
        cmake_trace(args[i + 1], args[i + 2]); i += 3
    elif a == "--link":
        end = args.index("--", i)
        link_refs(args[i + 1], args[i + 2:end]); i = end + 1
    else:
        sys.exit(f"unknown argument {a}")

for key in ("failing_tests", "error_locations", "error_codes", "totals"):
    for s in truth[key]:
        assert s in log, f"{case}: {key} {s!r} is not in job.log"
assert truth["command"] in log, truth["command"]
json.dump(truth, open(os.path.join(case, "truth.json"), "w"), indent=2)
open(os.path.join(case, "truth.json"), "a").write("\n")
print(f"{os.path.basename(case)}: {len(log) // 1024} KB, {len(truth['failing_tests'])} failing tests, "
      f"{len(truth['error_locations'])} error locations, {len(truth['totals'])} totals")
PYEOF

# a trimmed ctest JUnit report: no host, no timestamps, no output of passing tests
trim_junit() {
  "$PY" - "$1" "$2" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for el in root.iter():
    for a in ("timestamp", "hostname", "time"):
        el.attrib.pop(a, None)
for tc in root.findall("testcase"):
    if tc.get("status") == "run":
        so = tc.find("system-out")
        if so is not None:
            tc.remove(so)
ET.ElementTree(root).write(sys.argv[2], encoding="unicode")
PYEOF
}

# gcc's second pass: -fdiagnostics-format=json of each compile command, one JSON list
gcc_json_pass() {  # gcc_json_pass OUT.json 'CMD-PREFIX' SRC...
  local out=$1 prefix=$2
  shift 2
  {
    echo "["
    local first=1
    for src in "$@"; do
      [ $first = 1 ] || echo ","
      first=0
      $prefix -fdiagnostics-format=json -c "$src" -o /dev/null 2>&1 >/dev/null | head -c 1000000 || true
    done
    echo "]"
  } | sed 's/^$/[]/' >"$out"
}

# =====================================================================================
# 1. textkit: a C library, CMake + Ninja + gcc, cmocka tests run by ctest
# =====================================================================================
if want ctest; then
begin ctest textkit
mkdir -p include src tests
cat >CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(textkit VERSION 0.4.1 LANGUAGES C)
set(CMAKE_C_STANDARD 11)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
add_compile_options(-Wall -Wextra)

add_library(textkit src/strbuf.c src/parse.c src/utf8.c src/csv.c src/errors.c)
target_include_directories(textkit PUBLIC include)

enable_testing()
foreach(t strbuf parse utf8 error_codes)
  add_executable(test_${t} tests/test_${t}.c)
  target_link_libraries(test_${t} textkit cmocka)
  add_test(NAME test_${t} COMMAND test_${t})
endforeach()

add_executable(test_csv tests/test_csv.c)
target_link_libraries(test_csv textkit)
foreach(i RANGE 1 24)
  add_test(NAME csv_corpus_${i} COMMAND test_csv --corpus ${i})
endforeach()
add_test(NAME csv_quoted_fields COMMAND test_csv --quoted)
add_test(NAME csv_error_on_unterminated_quote COMMAND test_csv --unterminated)

add_executable(test_stream tests/test_stream.c)
target_link_libraries(test_stream textkit)
add_test(NAME stream_reads_chunks COMMAND test_stream --chunks)
add_test(NAME stream_slow_reader COMMAND test_stream --slow)
set_tests_properties(stream_slow_reader PROPERTIES TIMEOUT 2)
add_test(NAME stream_fails_on_closed_fd COMMAND test_stream --closed)
add_test(NAME bench_smoke COMMAND textkit_bench)

add_executable(test_sanitize tests/test_sanitize.c)
target_compile_options(test_sanitize PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
target_link_options(test_sanitize PRIVATE -fsanitize=address,undefined)
target_link_libraries(test_sanitize textkit)
add_test(NAME strbuf_sanitized COMMAND test_sanitize)
EOF
cat >include/textkit.h <<'EOF'
#ifndef TEXTKIT_H
#define TEXTKIT_H
#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap;
} tk_strbuf;

int tk_strbuf_append(tk_strbuf *b, const char *s, size_t n);
void tk_strbuf_free(tk_strbuf *b);
int tk_parse_int(const char *s, long *out);
int tk_parse_bool(const char *s, int *out);
size_t tk_utf8_len(const char *s);
int tk_csv_split(char *line, char sep, char **fields, int max);
const char *tk_error_message(int code);
#endif
EOF
cat >src/strbuf.c <<'EOF'
#include <stdlib.h>
#include <string.h>
#include "textkit.h"

int tk_strbuf_append(tk_strbuf *b, const char *s, size_t n) {
    if (!s) return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

void tk_strbuf_free(tk_strbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
EOF
cat >src/parse.c <<'EOF'
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "textkit.h"

int tk_parse_int(const char *s, long *out) {
    char *end;
    if (!s || !*s || *s == '+') return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno == ERANGE || *end) return -1;
    *out = v;
    return 0;
}

int tk_parse_bool(const char *s, int *out) {
    if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "on")) { *out = 1; return 0; }
    if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "off")) { *out = 0; return 0; }
    return -1;
}
EOF
cat >src/utf8.c <<'EOF'
#include "textkit.h"

size_t tk_utf8_len(const char *s) {
    size_t n = 0;
    int continuation;
    for (; *s; s++)
        if ((*s & 0xC0) != 0x80) n++;
    return n;
}
EOF
cat >src/csv.c <<'EOF'
#include <string.h>
#include "textkit.h"

int tk_csv_split(char *line, char sep, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *q = strchr(p, sep);
        if (!q) break;
        *q = '\0';
        p = q + 1;
    }
    for (int i = 0; i < strlen(line) && i < 0; i++) {}
    return n;
}
EOF
cat >src/errors.c <<'EOF'
#include "textkit.h"

static const char *messages[] = {
    "ok", "invalid argument", "out of range", "unterminated quote", "short read", "closed stream",
};

const char *tk_error_message(int code) {
    if (code < 0 || code >= (int)(sizeof messages / sizeof *messages)) return "unknown error";
    return messages[code];
}
EOF
cmocka_head='#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "textkit.h"'
{
  echo "$cmocka_head"
  for i in $(seq 1 80); do
    printf 'static void strbuf_append_chunk_%03d(void **state) {\n    tk_strbuf b = {0};\n    (void)state;\n    for (int i = 0; i < %d; i++) assert_int_equal(tk_strbuf_append(&b, "abcdefgh", %d), 0);\n    assert_int_equal(b.len, %d);\n    tk_strbuf_free(&b);\n}\n' "$i" "$i" $((i % 8 + 1)) $((i * (i % 8 + 1)))
  done
  echo 'static void strbuf_append_fails_on_null(void **state) { tk_strbuf b = {0}; (void)state; assert_int_equal(tk_strbuf_append(&b, NULL, 3), -1); }'
  echo 'int main(void) {'
  echo '    setvbuf(stdout, NULL, _IOLBF, 0);'
  echo '    const struct CMUnitTest tests[] = {'
  for i in $(seq 1 80); do printf '        cmocka_unit_test(strbuf_append_chunk_%03d),\n' "$i"; done
  echo '        cmocka_unit_test(strbuf_append_fails_on_null),'
  echo '    };'
  echo '    return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);'
  echo '}'
} >tests/test_strbuf.c
{
  echo "$cmocka_head"
  for i in $(seq 1 60); do
    printf 'static void parse_int_accepts_%03d(void **state) {\n    long v = 0;\n    (void)state;\n    assert_int_equal(tk_parse_int("%d", &v), 0);\n    assert_int_equal(v, %d);\n}\n' "$i" $((i * 37 - 500)) $((i * 37 - 500))
  done
  for w in abc 12x x12 1.5 0x10 '--1' '' ' 7' 99999999999999999999999; do
    n=$(printf '%s' "$w" | od -An -tx1 | tr -d ' \n' | head -c 8)
    printf 'static void parse_int_rejects_%s(void **state) { long v = 0; (void)state; assert_int_equal(tk_parse_int("%s", &v), -1); }\n' "${n:-empty}" "$w"
  done
  cat <<'EOF'
static void parse_int_reports_error_on_overflow(void **state) {
    long v = 0;
    (void)state;
    assert_int_equal(tk_parse_int("92233720368547758070", &v), -1);
}
static void parse_int_plus_sign(void **state) {
    long v = 0;
    (void)state;
    assert_int_equal(tk_parse_int("+5", &v), 0);
    assert_int_equal(v, 5);
}
static void parse_bool_accepts_true(void **state) { int v = 0; (void)state; assert_int_equal(tk_parse_bool("true", &v), 0); assert_true(v); }
static void parse_bool_accepts_off(void **state) { int v = 1; (void)state; assert_int_equal(tk_parse_bool("off", &v), 0); assert_false(v); }
static void parse_bool_accepts_yes(void **state) {
    int v = 0;
    (void)state;
    assert_int_equal(tk_parse_bool("yes", &v), 0);
    assert_true(v);
}
static void parse_bool_rejects_empty(void **state) { int v = 0; (void)state; assert_int_equal(tk_parse_bool("", &v), -1); }
int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
EOF
  for i in $(seq 1 60); do printf '        cmocka_unit_test(parse_int_accepts_%03d),\n' "$i"; done
  for w in abc 12x x12 1.5 0x10 '--1' '' ' 7' 99999999999999999999999; do
    n=$(printf '%s' "$w" | od -An -tx1 | tr -d ' \n' | head -c 8)
    printf '        cmocka_unit_test(parse_int_rejects_%s),\n' "${n:-empty}"
  done
  cat <<'EOF'
        cmocka_unit_test(parse_int_reports_error_on_overflow),
        cmocka_unit_test(parse_int_plus_sign),
        cmocka_unit_test(parse_bool_accepts_true),
        cmocka_unit_test(parse_bool_accepts_off),
        cmocka_unit_test(parse_bool_accepts_yes),
        cmocka_unit_test(parse_bool_rejects_empty),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
EOF
} >tests/test_parse.c
{
  echo "$cmocka_head"
  for i in $(seq 1 40); do
    printf 'static void utf8_len_ascii_%03d(void **state) {\n    char s[%d];\n    (void)state;\n    memset(s, %d, sizeof s - 1);\n    s[sizeof s - 1] = 0;\n    assert_int_equal(tk_utf8_len(s), %d);\n}\n' "$i" $((i + 1)) $((97 + i % 26)) "$i"
  done
  cat <<'EOF'
static void utf8_len_two_byte(void **state) { (void)state; assert_int_equal(tk_utf8_len("\xc3\xa9t\xc3\xa9"), 3); }
static void utf8_len_null_is_zero(void **state) { (void)state; assert_int_equal(tk_utf8_len(NULL), 0); }
static void utf8_len_error_free_on_empty(void **state) { (void)state; assert_int_equal(tk_utf8_len(""), 0); }
int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
EOF
  for i in $(seq 1 40); do printf '        cmocka_unit_test(utf8_len_ascii_%03d),\n' "$i"; done
  cat <<'EOF'
        cmocka_unit_test(utf8_len_two_byte),
        cmocka_unit_test(utf8_len_null_is_zero),
        cmocka_unit_test(utf8_len_error_free_on_empty),
    };
    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
EOF
} >tests/test_utf8.c
{
  echo "$cmocka_head"
  for i in $(seq 0 29); do
    printf 'static void error_message_for_code_%02d(void **state) { (void)state; assert_non_null(tk_error_message(%d)); assert_true(strlen(tk_error_message(%d)) > 1); }\n' "$i" $((i - 3)) $((i - 3))
  done
  echo 'int main(void) {'
  echo '    setvbuf(stdout, NULL, _IOLBF, 0);'
  echo '    const struct CMUnitTest tests[] = {'
  for i in $(seq 0 29); do printf '        cmocka_unit_test(error_message_for_code_%02d),\n' "$i"; done
  echo '    };'
  echo '    return cmocka_run_group_tests_name("error_codes", tests, NULL, NULL);'
  echo '}'
} >tests/test_error_codes.c
cat >tests/test_csv.c <<'EOF'
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "textkit.h"

static int corpus(int n) {
    char line[256], *fields[16];
    int want = n % 7 + 2;
    line[0] = '\0';
    for (int i = 0; i < want; i++) {
        char cell[16];
        snprintf(cell, sizeof cell, "%sc%d_%d", i ? "," : "", n, i);
        strcat(line, cell);
    }
    int got = tk_csv_split(line, ',', fields, 16);
    printf("corpus %02d: %d fields: %s ... %s\n", n, got, fields[0], fields[got - 1]);
    return got == want ? 0 : 1;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && !strcmp(argv[1], "--corpus")) return corpus(atoi(argv[2]));
    if (argc > 1 && !strcmp(argv[1], "--unterminated")) {
        char line[] = "\"a,b";
        char *fields[4];
        printf("split of %s: %d fields (error expected and reported)\n", line, tk_csv_split(line, ',', fields, 4));
        return 0;
    }
    char line[] = "name,\"Smith, John\",42";
    char *fields[8];
    int n = tk_csv_split(line, ',', fields, 8);
    printf("fields: %d\n", n);
    assert(n == 3);
    return 0;
}
EOF
cat >tests/test_stream.c <<'EOF'
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "--chunks";
    for (int i = 1; i <= 12; i++) printf("chunk %2d: read 4096 bytes\n", i);
    if (!strcmp(mode, "--slow")) {
        printf("waiting for a reader that never comes\n");
        sleep(30);
    }
    if (!strcmp(mode, "--closed")) {
        fprintf(stderr, "%s:%d: expected EBADF from read on a closed descriptor, got 0\n", __FILE__, __LINE__);
        return 1;
    }
    return 0;
}
EOF
cat >tests/test_sanitize.c <<'EOF'
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "textkit.h"

static int scale(int v, int by) { return v * by; }

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    tk_strbuf b = {0};
    for (int i = 0; i < 20; i++) tk_strbuf_append(&b, "0123456789", 10);
    printf("appended %zu bytes, capacity %zu\n", b.len, b.cap);
    printf("scaled: %d\n", scale(INT_MAX / 2 + argc, 2));
    char *copy = malloc(b.len);
    memcpy(copy, b.data, b.len + 1);
    printf("copy ends with %c\n", copy[b.len - 1]);
    free(copy);
    tk_strbuf_free(&b);
    (void)argv;
    return 0;
}
EOF
run "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Debug"
run "cmake --build build"
run "ctest --test-dir build --output-on-failure --output-junit junit.xml"
trim_junit build/junit.xml "$OUT/cc-$CASE/junit.xml"
finish --tool "ctest, cmocka" --command "ctest --test-dir build --output-on-failure --output-junit junit.xml" \
  --ctest-junit build/junit.xml
fi

# =====================================================================================
# 2. geomkit: a C++ library, CMake + Ninja + g++, a GoogleTest binary run directly
# =====================================================================================
if want gtest; then
begin gtest geomkit
mkdir -p include/geom src tests
cat >CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(geomkit VERSION 2.3.0 LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
add_compile_options(-Wall -Wextra)
find_package(GTest REQUIRED)

file(GLOB GEOM_SOURCES CONFIGURE_DEPENDS src/*.cc)
add_library(geom ${GEOM_SOURCES})
target_include_directories(geom PUBLIC include)

file(GLOB TEST_SOURCES CONFIGURE_DEPENDS tests/*.cc)
add_executable(geom_tests ${TEST_SOURCES})
target_link_libraries(geom_tests geom GTest::gtest_main)
EOF
cat >include/geom/geom.h <<'EOF'
#pragma once
#include <string>
#include <vector>

namespace geom {
struct Vec2 { double x = 0, y = 0; };
struct Rect { double x0, y0, x1, y1; };
double length(Vec2 v);
Vec2 normalize(Vec2 v);
int clamp(int v, int lo, int hi);
double area(const Rect &r);
double polygon_area(const std::vector<Vec2> &pts);
std::vector<double> parse_list(const std::string &text);
std::vector<std::string> tokenize(const std::string &text);
double to_mm(double value, const std::string &unit);
double relative_error(double got, double want);
}  // namespace geom
EOF
cat >src/vec2.cc <<'EOF'
#include <cmath>
#include "geom/geom.h"
namespace geom {
double length(Vec2 v) { return std::sqrt(v.x * v.x + v.y * v.y); }
Vec2 normalize(Vec2 v) {
    double n = length(v);
    return n == 0 ? v : Vec2{v.x / n, v.y / n};
}
}  // namespace geom
EOF
cat >src/clamp.cc <<'EOF'
#include "geom/geom.h"
namespace geom {
int clamp(int v, int lo, int hi) {
    if (v < lo) return lo;
    if (v > hi + 1) return hi;
    return v;
}
}  // namespace geom
EOF
cat >src/rect.cc <<'EOF'
#include "geom/geom.h"
namespace geom {
double area(const Rect &r) {
    unsigned flags = 0;
    int error_count;
    return (r.x1 - r.x0) * (r.y1 - r.y0);
}
}  // namespace geom
EOF
cat >src/polygon.cc <<'EOF'
#include <cmath>
#include "geom/geom.h"
namespace geom {
double polygon_area(const std::vector<Vec2> &pts) {
    double a = 0;
    for (size_t i = 0; i + 1 < pts.size(); i++) a += pts[i].x * pts[i + 1].y - pts[i + 1].x * pts[i].y;
    if (pts.size() == 2) a += 1e-3;  // keep degenerate shapes visible
    return std::fabs(a) / 2;
}
}  // namespace geom
EOF
cat >src/parse.cc <<'EOF'
#include <sstream>
#include "geom/geom.h"
namespace geom {
std::vector<double> parse_list(const std::string &text) {
    std::vector<double> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(item.empty() ? 0.0 : std::stod(item));
    return out;
}
}  // namespace geom
EOF
cat >src/tokenizer.cc <<'EOF'
#include <stdexcept>
#include "geom/geom.h"
namespace geom {
std::vector<std::string> tokenize(const std::string &text) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < text.size(); i++) {
        unsigned char c = text[i];
        if (c >= 0x80) throw std::invalid_argument("unexpected byte " + std::to_string(c) + " at offset " + std::to_string(i));
        if (c == ' ') { if (!cur.empty()) out.push_back(cur); cur.clear(); } else cur += char(c);
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}
}  // namespace geom
EOF
cat >src/units.cc <<'EOF'
#include <cmath>
#include "geom/geom.h"
namespace geom {
double to_mm(double value, const std::string &unit) {
    if (unit == "cm") return value * 10;
    if (unit == "in") return value * 25.4;
    if (unit == "pt") return value * 25.4 / 72;
    return value;
}
double relative_error(double got, double want) { return want == 0 ? std::fabs(got) : std::fabs(got - want) / std::fabs(want); }
}  // namespace geom
EOF
for m in bbox transform hull intersect path svg_writer spatial_index simplify offset triangulate raster; do
  cat >"src/$m.cc" <<EOF
#include <vector>
#include "geom/geom.h"
namespace geom {
double ${m}_score(const std::vector<Vec2> &pts) {
    double s = 0;
    for (const Vec2 &p : pts) s += length(p);
    return s;
}
}  // namespace geom
EOF
done
cat >tests/test_vec.cc <<'EOF'
#include <gtest/gtest.h>
#include "geom/geom.h"

class VecNormTest : public ::testing::TestWithParam<int> {};
TEST_P(VecNormTest, UnitLength) {
    int i = GetParam();
    geom::Vec2 v{double(i % 17) - 8, double(i % 11) + 1};
    EXPECT_NEAR(geom::length(geom::normalize(v)), 1.0, 1e-9);
}
INSTANTIATE_TEST_SUITE_P(Grid, VecNormTest, ::testing::Range(0, 320));

TEST(VecTest, ZeroStaysZero) { EXPECT_EQ(geom::length(geom::normalize({0, 0})), 0.0); }
TEST(VecTest, LengthOfThreeFour) { EXPECT_DOUBLE_EQ(geom::length({3, 4}), 5.0); }
EOF
cat >tests/test_clamp.cc <<'EOF'
#include <gtest/gtest.h>
#include "geom/geom.h"

class ClampTest : public ::testing::TestWithParam<int> {};
TEST_P(ClampTest, StaysInBounds) {
    int v = GetParam() - 10;
    int c = geom::clamp(v, 0, 287);
    ASSERT_GE(c, 0);
    ASSERT_LE(c, 287) << "clamp(" << v << ", 0, 287) escaped the range";
}
INSTANTIATE_TEST_SUITE_P(Range, ClampTest, ::testing::Range(0, 320));
EOF
cat >tests/test_rect.cc <<'EOF'
#include <gtest/gtest.h>
#include "geom/geom.h"

class RectAreaTest : public ::testing::TestWithParam<int> {};
TEST_P(RectAreaTest, MatchesWidthTimesHeight) {
    int i = GetParam();
    geom::Rect r{0, 0, double(i % 23 + 1), double(i % 19 + 1)};
    EXPECT_DOUBLE_EQ(geom::area(r), double((i % 23 + 1) * (i % 19 + 1)));
}
INSTANTIATE_TEST_SUITE_P(Sizes, RectAreaTest, ::testing::Range(0, 320));
EOF
cat >tests/test_parse.cc <<'EOF'
#include <gtest/gtest.h>
#include <stdexcept>
#include "geom/geom.h"

TEST(ParserTest, ParsesThreeNumbers) { EXPECT_EQ(geom::parse_list("1,2,3").size(), 3u); }
TEST(ParserTest, ParsesNegative) { EXPECT_DOUBLE_EQ(geom::parse_list("-2.5")[0], -2.5); }
TEST(ParserTest, ReportsErrorOnGarbage) { EXPECT_THROW(geom::parse_list("x,1"), std::invalid_argument); }
TEST(ParserTest, RejectsTrailingComma) {
    std::vector<double> got = geom::parse_list("1,2,,");
    EXPECT_EQ(got.size(), 2u) << "an empty field must not add a value";
}
TEST(ParserTest, EmptyInputIsEmpty) { EXPECT_TRUE(geom::parse_list("").empty()); }

class NumberParseTest : public ::testing::TestWithParam<int> {};
TEST_P(NumberParseTest, RoundTrips) {
    int i = GetParam();
    EXPECT_DOUBLE_EQ(geom::parse_list(std::to_string(i * 3))[0], i * 3.0);
}
INSTANTIATE_TEST_SUITE_P(Ints, NumberParseTest, ::testing::Range(0, 320));
EOF
cat >tests/test_polygon.cc <<'EOF'
#include <gtest/gtest.h>
#include "geom/geom.h"

TEST(PolygonTest, UnitSquare) { EXPECT_DOUBLE_EQ(geom::polygon_area({{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}), 1.0); }
TEST(PolygonTest, AreaOfDegenerate) {
    double a = geom::polygon_area({{0, 0}, {4, 0}});
    EXPECT_NEAR(a, 0.0, 1e-6);
}
TEST(PolygonTest, AreaFailsGracefullyOnEmpty) { EXPECT_EQ(geom::polygon_area({}), 0.0); }

class TriangleAreaTest : public ::testing::TestWithParam<int> {};
TEST_P(TriangleAreaTest, HalfBaseTimesHeight) {
    double b = GetParam() % 13 + 1, h = GetParam() % 7 + 1;
    EXPECT_NEAR(geom::polygon_area({{0, 0}, {b, 0}, {0, h}, {0, 0}}), b * h / 2, 1e-9);
}
INSTANTIATE_TEST_SUITE_P(Shapes, TriangleAreaTest, ::testing::Range(0, 320));
EOF
cat >tests/test_tokenizer.cc <<'EOF'
#include <gtest/gtest.h>
#include "geom/geom.h"

TEST(TokenizerTest, SplitsOnSpaces) { EXPECT_EQ(geom::tokenize("M 0 0 L 1 1").size(), 6u); }
TEST(TokenizerTest, HandlesUnicode) { EXPECT_EQ(geom::tokenize("M 0 0 \xc2\xb5m").size(), 4u); }
TEST(TokenizerTest, SkipsComments) { GTEST_SKIP() << "comments are not supported yet"; }
TEST(TokenizerTest, NoErrorOnTrailingSpace) { EXPECT_EQ(geom::tokenize("a b ").size(), 2u); }
EOF
cat >tests/test_units.cc <<'EOF'
#include <gtest/gtest.h>
#include "geom/geom.h"

class UnitsTest : public ::testing::TestWithParam<int> {};
TEST_P(UnitsTest, InchesToMillimetres) { EXPECT_NEAR(geom::to_mm(GetParam(), "in"), GetParam() * 25.4, 1e-9); }
INSTANTIATE_TEST_SUITE_P(Lengths, UnitsTest, ::testing::Range(0, 260));

class ErrorBoundTest : public ::testing::TestWithParam<int> {};
TEST_P(ErrorBoundTest, WithinTolerance) {
    double want = GetParam() + 1;
    EXPECT_LT(geom::relative_error(want * (1 + 1e-12), want), 1e-9);
}
INSTANTIATE_TEST_SUITE_P(Relative, ErrorBoundTest, ::testing::Range(0, 60));
EOF
run "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo"
run "cmake --build build --parallel 2"
run "./build/geom_tests --gtest_output=xml:build/gtest.xml"
finish --tool "googletest" --command "./build/geom_tests --gtest_output=xml:build/gtest.xml" --gtest-xml build/gtest.xml
fi

# =====================================================================================
# 3. tinyhttp: a C program, a plain Makefile + gcc, compile errors (make -k)
# =====================================================================================
if want make; then
begin make tinyhttp
mkdir -p include src/handlers
cat >Makefile <<'EOF'
CC ?= gcc
CFLAGS = -std=c11 -Wall -Wextra -Werror=unused-variable -Werror=implicit-function-declaration -Iinclude -g -O1
SRCS = $(wildcard src/*.c) $(wildcard src/handlers/*.c)
OBJS = $(SRCS:src/%.c=build/%.o)

all: build/tinyhttp

build/tinyhttp: $(OBJS)
	$(CC) $(OBJS) -o $@

build/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

clean:
	rm -rf build

.PHONY: all clean
EOF
cat >include/http.h <<'EOF'
#ifndef HTTP_H
#define HTTP_H

struct request {
    const char *method;
    const char *path;
    int keep_alive;
};

struct route {
    const char *prefix;
    int (*handler)(const struct request *req);
};

int route_request(const struct request *req);
int route_add(const char *prefix, int (*handler)(const struct request *req));
int server_listen(int port, int max_clients);
const char *header_find(const char *headers, const char *name);
void log_error(const char *fmt, ...);
#endif
EOF
cat >include/headers.h <<'EOF'
#ifndef HEADERS_H
#define HEADERS_H

struct header {
    const char *name;
    const char *value;
    size_t value_len;
};

size_t header_count(const char *raw);
int header_parse(const char *raw, struct header *out, size_t max);
#endif
EOF
cat >src/router.c <<'EOF'
#include <string.h>
#include "http.h"

static struct route routes[32];
static int route_counts;

int route_add(const char *prefix, int (*handler)(const struct request *req)) {
    if (route_counts == 32) return -1;
    routes[route_counts].prefix = prefix;
    routes[route_counts].handler = handler;
    return route_count++;
}

int route_request(const struct request *req) {
    for (int i = 0; i < route_count; i++) {
        if (strncmp(req->path, routes[i].prefix, strlen(routes[i].prefix)) == 0)
            return routes[i].handler(req);
    }
    log_error("no route for %s %s", req->method, req->path);
    return 404;
}
EOF
cat >src/headers.c <<'EOF'
#include "headers.h"
#include <string.h>

size_t header_count(const char *raw) {
    size_t n = 0;
    for (const char *p = raw; (p = strstr(p, "\r\n")) != NULL; p += 2) n++;
    return n;
}

int header_parse(const char *raw, struct header *out, size_t max) {
    size_t n = 0;
    while (n < max && *raw) {
        const char *colon = strchr(raw, ':');
        if (!colon) return -1;
        out[n].name = raw;
        out[n].value = colon + 2;
        n++;
        raw = strstr(raw, "\r\n");
        if (!raw) break;
        raw += 2;
    }
    return (int)n;
}
EOF
cat >src/server.c <<'EOF'
#include <stdio.h>
#include <unistd.h>
#include "http.h"

int server_listen(int port, int max_clients) {
    int backlog = 128;
    int fd = 3;
    printf("listening on :%d\n", port);
    if (port == 0) {
        close_socket(fd);
        return -1;
    }
    return fd;
}
EOF
cat >src/util.c <<'EOF'
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "http.h"

void log_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

int path_depth(const char *path) {
    int depth = 0;
    size_t n = strlen(*path);
    for (size_t i = 0; i < n; i++) depth += path[i] == '/';
    return depth;
}
EOF
cat >src/error.c <<'EOF'
#include "http.h"

const char *status_text(int code) {
    switch (code) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    default: return "Unknown";
    }
}
EOF
cat >src/main.c <<'EOF'
#include <stdio.h>
#include "http.h"

int main(void) {
    if (server_listen(8080, 64) < 0) {
        log_error("cannot listen\n");
        return 1;
    }
    return 0;
}
EOF
for h in static files json health metrics upload auth cors gzip etag range redirect proxy websocket sse cache \
  cookies session csrf ratelimit basic_auth bearer jwt oauth_callback form multipart chunked keepalive expect100 \
  options head trace webdav propfind mkcol lock unlock dirlist index autoindex mime charset lang negotiate vary \
  hsts csp referrer nosniff frame_options permissions cors_preflight accept_ranges if_match if_none_match \
  if_modified_since last_modified content_md5 digest brotli deflate identity transfer_encoding trailer upgrade \
  http2_push alpn sni ocsp tls_ticket client_cert proxy_protocol forwarded x_real_ip access_log error_log \
  status_page pprof healthz readyz livez version build_info robots favicon sitemap; do
  cat >"src/handlers/$h.c" <<EOF
#include <string.h>
#include "http.h"

int handle_$h(const struct request *req) {
    return strcmp(req->method, "GET") == 0 ? 200 : 405;
}
EOF
done
run "make -k CC=gcc"
gcc_json_pass "$WORK/gcc.json" "gcc -std=c11 -Wall -Wextra -Werror=unused-variable -Werror=implicit-function-declaration -Iinclude -g -O1" src/*.c src/handlers/*.c
cp "$WORK/gcc.json" "$OUT/cc-$CASE/diagnostics.json"
finish --tool "gcc, make" --command "make -k CC=gcc" --gcc-json "$WORK/gcc.json"
fi

# =====================================================================================
# 4. kvstore: C, CMake (Unix Makefiles) + clang: compile errors and a link error
# =====================================================================================
if want clang; then
begin clang kvstore
mkdir -p include src bench tools
cat >CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(kvstore VERSION 1.8.0 LANGUAGES C)
set(CMAKE_C_STANDARD 11)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
add_compile_options(-Wall -Wextra -Werror=incompatible-pointer-types)

file(GLOB KV_SOURCES CONFIGURE_DEPENDS src/*.c)
add_library(kv STATIC ${KV_SOURCES})
target_include_directories(kv PUBLIC include)

add_executable(kvtool tools/kvtool.c)
target_link_libraries(kvtool kv)

add_executable(kvbench bench/bench.c)
target_link_libraries(kvbench kv)

add_executable(kvdump tools/kvdump.c)
target_link_libraries(kvdump kv)
EOF
cat >include/kv.h <<'EOF'
#ifndef KV_H
#define KV_H
#include <stddef.h>

typedef struct kv_db kv_db;

kv_db *kv_open(const char *path);
int kv_put(kv_db *db, const char *key, const char *value);
const char *kv_get(kv_db *db, const char *key);
int kv_compact(kv_db *db);
int kv_snapshot(kv_db *db, const char *dest);
void kv_close(kv_db *db);
unsigned long kv_hash(const char *key, size_t len);
#endif
EOF
cat >src/kv.c <<'EOF'
#include <stdlib.h>
#include <string.h>
#include "kv.h"

struct kv_db {
    char *keys[1024];
    char *values[1024];
};

kv_db *kv_open(const char *path) {
    (void)path;
    return calloc(1, sizeof(kv_db));
}

int kv_put(kv_db *db, const char *key, const char *value) {
    unsigned long h = kv_hash(key, strlen(key)) % 1024;
    free(db->keys[h]);
    free(db->values[h]);
    db->keys[h] = strdup(key);
    db->values[h] = strdup(value);
    return 0;
}

const char *kv_get(kv_db *db, const char *key) {
    unsigned long h = kv_hash(key, strlen(key)) % 1024;
    return db->keys[h] && strcmp(db->keys[h], key) == 0 ? db->values[h] : NULL;
}

void kv_close(kv_db *db) {
    for (int i = 0; i < 1024; i++) {
        free(db->keys[i]);
        free(db->values[i]);
    }
    free(db);
}
EOF
cat >src/hash.c <<'EOF'
#include "kv.h"

unsigned long kv_hash(const char *key, size_t len) {
    unsigned long h = 1469598103934665603UL;
    unsigned long mask = 0xff;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211UL;
    }
    return h;
}
EOF
for m in arena wal segment bloom manifest iterator cursor batch error_log checksum varint compaction \
  memtable sstable block_cache filter_policy comparator env_posix lockfile recovery version_set write_batch \
  snapshot_list table_builder table_reader two_level_iterator merger dbformat log_reader log_writer \
  options status coding crc32c histogram logging random arena_pool skiplist rate_limiter sequence \
  txn_lock txn_log ttl_index lru_cache prefix_extractor range_del stats_dump; do
  cat >"src/$m.c" <<EOF
#include "kv.h"

int kv_${m}_init(kv_db *db) {
    return db ? 0 : -1;
}
EOF
done
cat >tools/kvtool.c <<'EOF'
#include <stdio.h>
#include <string.h>
#include "kv.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: kvtool DB (get|put|compact|snapshot) ...\n");
        return 2;
    }
    kv_db *db = kv_open(argv[1]);
    int rc = 0;
    if (strcmp(argv[2], "compact") == 0)
        rc = kv_compact(db);
    else if (strcmp(argv[2], "snapshot") == 0 && argc > 3)
        rc = kv_snapshot(db, argv[3]);
    else if (strcmp(argv[2], "get") == 0 && argc > 3)
        puts(kv_get(db, argv[3]) ? kv_get(db, argv[3]) : "(nil)");
    kv_close(db);
    return rc;
}
EOF
cat >tools/kvdump.c <<'EOF'
#include <stdio.h>
#include "kv.h"
#include "kv_internal.h"

int main(int argc, char **argv) {
    kv_db *db = kv_open(argc > 1 ? argv[1] : "db");
    kv_dump_segments(db, stdout);
    kv_close(db);
    return 0;
}
EOF
cat >bench/bench.c <<'EOF'
#include <stdio.h>
#include <time.h>
#include "kv.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    kv_db *db = kv_open(":memory:");
    int key = 0;
    double t0 = now();
    for (int i = 0; i < iterations; i++) {
        key = i;
        kv_put(db, &key, "v");
    }
    double dt = now() - t0;
    printf("%d puts in %.3fs (%.0f/s)\n", iterations, dt, iterations / dt);
    kv_close(db);
    return 0;
}
EOF
run "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang"
run "cmake --build build -- -k"
finish --tool "clang, cmake, make" --command "cmake --build build -- -k" --clang-ccdb build/compile_commands.json
fi

# =====================================================================================
# 5. imgconv: C++, CMake + Ninja + g++ (Debug): a compile error and a link error
# =====================================================================================
if want ninja; then
begin ninja imgconv
mkdir -p include/img src ops tools
cat >CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(imgconv VERSION 0.9.0 LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
add_compile_options(-Wall -Wextra)

file(GLOB IMG_SOURCES CONFIGURE_DEPENDS src/*.cc)
add_library(img STATIC ${IMG_SOURCES})
target_include_directories(img PUBLIC include)

add_library(imgops STATIC ops/resize.cc ops/blur.cc ops/crop.cc)
target_link_libraries(imgops img)

add_executable(imgconv tools/imgconv.cc)
target_link_libraries(imgconv imgops)

add_executable(imginfo tools/imginfo.cc)
target_link_libraries(imginfo img)
EOF
cat >include/img/image.h <<'EOF'
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace img {
struct Image {
    int width = 0, height = 0, channels = 3;
    std::vector<std::uint8_t> pixel;
};
struct Exif {
    std::string camera;
    int iso = 0;
};
Image load(const std::string &path);
bool save(const Image &im, const std::string &path);
Exif read_exif(const Image &im);
std::string describe(const Image &im);
}  // namespace img
EOF
cat >src/image.cc <<'EOF'
#include <fstream>
#include "img/image.h"

namespace img {
Image load(const std::string &path) {
    Image im;
    std::ifstream in(path, std::ios::binary);
    in >> im.width >> im.height;
    im.pixel.resize(std::size_t(im.width) * im.height * im.channels);
    return im;
}
bool save(const Image &im, const std::string &path) {
    std::ofstream out(path, std::ios::binary);
    out << im.width << ' ' << im.height << '\n';
    return bool(out);
}
std::string describe(const Image &im) {
    return std::to_string(im.width) + "x" + std::to_string(im.height) + "x" + std::to_string(im.channels);
}
}  // namespace img
EOF
for m in png_reader jpeg_reader bmp_writer color_space gamma histogram palette dither error_diffusion \
  alpha_blend icc_profile metadata thumbnail orientation tiles; do
  cat >"src/$m.cc" <<EOF
#include "img/image.h"

namespace img {
int ${m}_version() { return 1; }
}  // namespace img
EOF
done
cat >ops/resize.cc <<'EOF'
#include <algorithm>
#include <cmath>
#include "img/image.h"

namespace img {
class Resizer {
public:
    Resizer(const Image &src, double scale) : src_(src), scale_(scale) {}
    Image run() const;

private:
    const Image &src_;
    double scale_;
};

Image Resizer::run() const {
    Image out;
    out.width = int(src_.width * scale_);
    out.height = int(src_.height * scale_);
    out.pixels.resize(std::size_t(out.width) * out.height * out.channels);
    for (int y = 0; y < out.height; y++) {
        int sy = std::clamp(int(y / scale_), 0.0, src_.height - 1);
        for (int x = 0; x < out.width; x++) {
            int sx = std::clamp(int(x / scale_), 0, src_.width - 1);
            for (int c = 0; c < out.channels; c++)
                out.pixel[(y * out.width + x) * out.channels + c] = src_.pixel[(sy * src_.width + sx) * src_.channels + c];
        }
    }
    return out;
}
}  // namespace img
EOF
cat >ops/blur.cc <<'EOF'
#include "img/image.h"

namespace img {
Image box_blur(const Image &src, int radius) {
    Image out = src;
    for (std::size_t i = 0; i < out.pixel.size(); i++) out.pixel[i] = src.pixel[i];
    (void)radius;
    return out;
}
}  // namespace img
EOF
cat >ops/crop.cc <<'EOF'
#include "img/image.h"

namespace img {
Image crop(const Image &src, int x, int y, int w, int h) {
    Image out;
    out.width = w;
    out.height = h;
    out.channels = src.channels;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w * src.channels; j++)
            out.pixel.push_back(src.pixel[((y + i) * src.width + x) * src.channels + j]);
    return out;
}
}  // namespace img
EOF
cat >tools/imgconv.cc <<'EOF'
#include <iostream>
#include "img/image.h"

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    img::Image im = img::load(argv[1]);
    return img::save(im, argv[2]) ? 0 : 1;
}
EOF
cat >tools/imginfo.cc <<'EOF'
#include <iostream>
#include "img/image.h"

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        img::Image im = img::load(argv[i]);
        std::cout << argv[i] << ": " << img::describe(im) << "\n";
        img::Exif exif = img::read_exif(im);
        std::cout << "  camera: " << exif.camera << ", iso " << exif.iso << "\n";
    }
    return 0;
}
EOF
run "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Debug"
run "cmake --build build -- -k 0"
ccprefix=$("$PY" -c 'import json,sys; c=[e for e in json.load(open("build/compile_commands.json")) if e["file"].endswith("ops/resize.cc")][0]; print(c["command"].split(" -o ")[0])')
(cd build && gcc_json_pass "$WORK/gxx.json" "$ccprefix" /tmp/ci/imgconv/ops/resize.cc)
cp "$WORK/gxx.json" "$OUT/cc-$CASE/diagnostics.json"
finish --tool "g++, cmake, ninja" --command "cmake --build build -- -k 0" --gcc-json "$WORK/gxx.json" \
  --link build/CMakeFiles/imginfo.dir/tools/imginfo.cc.o build/libimg.a --
fi

# =====================================================================================
# 6. netprobe: a CMake configure that stops on a missing package
# =====================================================================================
if want configure; then
begin configure netprobe
mkdir -p cmake src
cat >CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(netprobe VERSION 3.1.0 LANGUAGES C)
option(NETPROBE_WITH_PCAP "packet capture support" ON)
set(CMAKE_C_STANDARD 11)
include(cmake/checks.cmake)
find_package(Threads REQUIRED)
include(cmake/deps.cmake)
add_executable(netprobe src/main.c src/capture.c src/probe.c)
target_link_libraries(netprobe Threads::Threads)
EOF
{
  echo 'include(CheckIncludeFile)'
  echo 'include(CheckSymbolExists)'
  echo 'include(CheckFunctionExists)'
  for h in sys/epoll.h sys/event.h sys/socket.h netinet/in.h netinet/tcp.h arpa/inet.h netdb.h poll.h \
    sys/ioctl.h net/if.h linux/if_packet.h ifaddrs.h sys/uio.h sys/un.h sys/time.h sys/random.h \
    sys/eventfd.h sys/timerfd.h sys/signalfd.h sys/capability.h stdatomic.h threads.h; do
    v=HAVE_$(echo "$h" | tr 'a-z/.' 'A-Z__')
    echo "check_include_file($h $v)"
  done
  for f in accept4 pipe2 getrandom clock_gettime recvmmsg sendmmsg strlcpy reallocarray explicit_bzero \
    memmem timingsafe_bcmp arc4random posix_fadvise; do
    echo "check_function_exists($f HAVE_$(echo "$f" | tr 'a-z' 'A-Z'))"
  done
  echo 'check_symbol_exists(SO_REUSEPORT "sys/socket.h" HAVE_SO_REUSEPORT)'
  echo 'check_symbol_exists(TCP_FASTOPEN "netinet/tcp.h" HAVE_TCP_FASTOPEN)'
  echo 'if(NOT HAVE_STRLCPY)'
  echo '  message(WARNING "strlcpy not found: using the bundled copy in src/compat")'
  echo 'endif()'
} >cmake/checks.cmake
cat >cmake/deps.cmake <<'EOF'
find_package(PkgConfig QUIET)
if(NETPROBE_WITH_PCAP)
  find_package(PCAP REQUIRED)
endif()
EOF
echo 'int main(void) { return 0; }' >src/main.c
run "cmake -S . -B build -G Ninja"
# the second pass, for the truth: the same configure traced
rm -rf build
cmake -S . -B build -G Ninja --trace-format=json-v1 --trace-redirect=/tmp/ci/netprobe-trace.json >/dev/null 2>&1 || true
finish --tool "cmake" --command "cmake -S . -B build -G Ninja" --cmake-trace /tmp/ci/netprobe-trace.json "$PROJ"
rm -f /tmp/ci/netprobe-trace.json
fi

# =====================================================================================
# 7. calc: C, meson + ninja, tests run by meson test
# =====================================================================================
write_calc() {
mkdir -p include src tests
cat >include/calc.h <<'EOF'
#ifndef CALC_H
#define CALC_H
typedef enum { TOK_NUM, TOK_OP, TOK_LPAREN, TOK_RPAREN, TOK_END, TOK_ERR } tok_kind;
typedef struct { tok_kind kind; double value; char op; } token;
int calc_lex(const char *src, token *out, int max);
int calc_eval(const char *src, double *result);
const char *calc_strerror(int code);
#endif
EOF
cat >src/lexer.c <<'EOF'
#include <ctype.h>
#include <stdlib.h>
#include "calc.h"

int calc_lex(const char *src, token *out, int max) {
    int n = 0;
    while (*src && n < max - 1) {
        if (isspace((unsigned char)*src)) { src++; continue; }
        if (isdigit((unsigned char)*src) || *src == '.') {
            char *end;
            out[n].kind = TOK_NUM;
            out[n++].value = strtod(src, &end);
            src = end;
        } else if (*src == '(') { out[n++].kind = TOK_LPAREN; src++; }
        else if (*src == ')') { out[n++].kind = TOK_RPAREN; src++; }
        else { out[n].kind = TOK_OP; out[n++].op = *src++; }
    }
    out[n].kind = TOK_END;
    return n;
}
EOF
cat >src/eval.c <<'EOF'
#include <stddef.h>
#include "calc.h"

static const token *pos;
static double expr(void);

static double primary(void) {
    if (pos->kind == TOK_NUM) return (pos++)->value;
    if (pos->kind == TOK_LPAREN) {
        pos++;
        double v = expr();
        pos++;
        return v;
    }
    if (pos->kind == TOK_OP && pos->op == '-') { pos++; return -primary(); }
    return 0;
}

static double term(void) {
    double v = primary();
    while (pos->kind == TOK_OP && (pos->op == '*' || pos->op == '/')) {
        char op = (pos++)->op;
        double r = primary();
        v = op == '*' ? v * r : v / r;
    }
    return v;
}

static double expr(void) {
    double v = term();
    while (pos->kind == TOK_OP && (pos->op == '+' || pos->op == '-')) {
        char op = (pos++)->op;
        double r = term();
        v = op == '+' ? v + r : v - r;
    }
    return v;
}

int calc_eval(const char *src, double *result) {
    token toks[128];
    int depth = 0;
    calc_lex(src, toks, 128);
    pos = toks;
    *result = expr();
    return pos->kind == TOK_END ? 0 : 1;
}
EOF
cat >src/error.c <<'EOF'
#include "calc.h"

const char *calc_strerror(int code) {
    static const char *msgs[] = {"ok", "trailing input", "unbalanced parentheses", "division by zero"};
    return code >= 0 && code < 4 ? msgs[code] : "unknown error";
}
EOF
cat >tests/main.c <<'EOF'
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "calc.h"

static int failures;

static void check(const char *expr, double want) {
    double got;
    int rc = calc_eval(expr, &got);
    if (rc != 0 || fabs(got - want) > 1e-9) {
        printf("%s:%d: FAIL %-24s = %g (rc %d), want %g\n", __FILE__, __LINE__, expr, got, rc, want);
        failures++;
    } else {
        printf("ok   %-24s = %g\n", expr, got);
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "eval";
    int n = argc > 2 ? atoi(argv[2]) : 1;
    if (!strcmp(what, "eval")) {
        char buf[64];
        for (int i = 0; i < 60; i++) {
            snprintf(buf, sizeof buf, "%d + %d * %d", n, i, n % 7);
            check(buf, n + i * (n % 7));
        }
    } else if (!strcmp(what, "nested")) {
        check("(1 + 2) * 3", 9);
        check("((2))", 2);
        check("2 * (3 + (4 - 1))", 12);
        check("(1 + 2", 3);
    } else if (!strcmp(what, "errors")) {
        for (int i = -1; i < 6; i++) printf("error %d: %s\n", i, calc_strerror(i));
    } else if (!strcmp(what, "crash")) {
        check("1 / 0", INFINITY);
        raise(SIGSEGV);
    } else if (!strcmp(what, "slow")) {
        printf("fuzzing with seed %d\n", n);
        sleep(30);
    } else if (!strcmp(what, "skip")) {
        printf("readline not available, skipping\n");
        return 77;
    } else if (!strcmp(what, "unicode")) {
        check("\xe2\x88\x92" "1 + 2", 1);
    }
    return failures ? 1 : 0;
}
EOF
}
if want meson; then
begin meson calc
write_calc
cat >meson.build <<'EOF'
project('calc', 'c', version : '0.3.0', default_options : ['warning_level=2', 'c_std=c11'])
inc = include_directories('include')
m = meson.get_compiler('c').find_library('m', required : false)
lib = static_library('calc', 'src/lexer.c', 'src/eval.c', 'src/error.c', include_directories : inc)
t = executable('calc_tests', 'tests/main.c', link_with : lib, include_directories : inc, dependencies : m)
i = 0
foreach n : ['add', 'sub', 'mul', 'div', 'neg', 'prec', 'assoc', 'float', 'large', 'small', 'zero', 'one',
             'ws', 'tabs', 'long', 'chain', 'mixed', 'sci', 'dot', 'ints', 'pow2', 'primes', 'fib', 'sq',
             'cube', 'half', 'third', 'tenth', 'hundred', 'kilo', 'mega', 'giga', 'negzero', 'max', 'min']
  i += 1
  test('eval_' + n, t, args : ['eval', i.to_string()])
endforeach
test('parse_nested_parens', t, args : ['nested'])
test('error_paths', t, args : ['errors'])
test('eval_division_by_zero', t, args : ['crash'])
test('fuzz_short', t, args : ['slow', '7'], timeout : 2)
test('readline_history', t, args : ['skip'])
test('unicode_minus', t, args : ['unicode'], should_fail : true)
test('rejects_trailing_garbage', t, args : ['eval', '3'], should_fail : true)
EOF
run "meson setup build"
run "meson compile -C build"
run "meson test -C build --print-errorlogs"
finish --tool "meson" --command "meson test -C build --print-errorlogs" --meson-log build/meson-logs/testlog.json
fi

# =====================================================================================
# 8. calc with werror: meson compile stops on a warning made an error
# =====================================================================================
if want meson-werror; then
begin meson-werror calc
write_calc
cat >meson.build <<'EOF'
project('calc', 'c', version : '0.3.0', default_options : ['warning_level=2', 'werror=true', 'c_std=c11'])
inc = include_directories('include')
lib = static_library('calc', 'src/lexer.c', 'src/eval.c', 'src/error.c', include_directories : inc)
t = executable('calc_tests', 'tests/main.c', link_with : lib, include_directories : inc)
test('eval_add', t, args : ['eval', '3'])
EOF
run "meson setup build"
run "meson compile -C build"
ccprefix=$("$PY" -c 'import json; c=[e for e in json.load(open("build/compile_commands.json")) if e["file"].endswith("src/eval.c")][0]; print(c["command"].split(" -o ")[0])')
(cd build && gcc_json_pass "$WORK/meson-gcc.json" "$ccprefix" ../src/eval.c)
cp "$WORK/meson-gcc.json" "$OUT/cc-$CASE/diagnostics.json"
finish --tool "meson, gcc" --command "meson compile -C build" --gcc-json "$WORK/meson-gcc.json"
fi

# =====================================================================================
# 9. ringbuf: everything passes (ctest -V over cmocka and GoogleTest); test names
#    that hold "error" and "fail"
# =====================================================================================
if want pass; then
begin pass ringbuf
mkdir -p include src tests
cat >CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(ringbuf VERSION 1.2.0 LANGUAGES C CXX)
set(CMAKE_C_STANDARD 11)
set(CMAKE_CXX_STANDARD 17)
add_compile_options(-Wall -Wextra)
find_package(GTest REQUIRED)
include(GoogleTest)

add_library(ringbuf src/ringbuf.c)
target_include_directories(ringbuf PUBLIC include)

enable_testing()
add_executable(test_ringbuf_c tests/test_ringbuf.c)
target_link_libraries(test_ringbuf_c ringbuf cmocka)
add_test(NAME ringbuf_c COMMAND test_ringbuf_c)

add_executable(test_ringbuf_cc tests/test_ringbuf.cc)
target_link_libraries(test_ringbuf_cc ringbuf GTest::gtest_main)
gtest_discover_tests(test_ringbuf_cc)
EOF
cat >include/ringbuf.h <<'EOF'
#ifndef RINGBUF_H
#define RINGBUF_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef struct { unsigned char *buf; size_t cap, head, tail, len; int last_error; } ringbuf;
int rb_init(ringbuf *rb, size_t cap);
int rb_push(ringbuf *rb, unsigned char c);
int rb_pop(ringbuf *rb, unsigned char *c);
void rb_free(ringbuf *rb);
#ifdef __cplusplus
}
#endif
#endif
EOF
cat >src/ringbuf.c <<'EOF'
#include <stdlib.h>
#include "ringbuf.h"

int rb_init(ringbuf *rb, size_t cap) {
    rb->buf = malloc(cap);
    rb->cap = cap;
    rb->head = rb->tail = rb->len = 0;
    rb->last_error = 0;
    return rb->buf ? 0 : -1;
}
int rb_push(ringbuf *rb, unsigned char c) {
    if (rb->len == rb->cap) { rb->last_error = 1; return -1; }
    rb->buf[rb->tail] = c;
    rb->tail = (rb->tail + 1) % rb->cap;
    rb->len++;
    return 0;
}
int rb_pop(ringbuf *rb, unsigned char *c) {
    if (rb->len == 0) { rb->last_error = 2; return -1; }
    *c = rb->buf[rb->head];
    rb->head = (rb->head + 1) % rb->cap;
    rb->len--;
    return 0;
}
void rb_free(ringbuf *rb) { free(rb->buf); rb->buf = NULL; }
EOF
{
  echo '#include <stdarg.h>'
  echo '#include <stddef.h>'
  echo '#include <stdint.h>'
  echo '#include <setjmp.h>'
  echo '#include <stdio.h>'
  echo '#include <cmocka.h>'
  echo '#include "ringbuf.h"'
  for i in $(seq 1 40); do
    printf 'static void push_pop_%02d(void **state) {\n    ringbuf rb;\n    unsigned char c;\n    (void)state;\n    assert_int_equal(rb_init(&rb, %d), 0);\n    for (int i = 0; i < %d; i++) assert_int_equal(rb_push(&rb, (unsigned char)i), 0);\n    for (int i = 0; i < %d; i++) { assert_int_equal(rb_pop(&rb, &c), 0); assert_int_equal(c, (unsigned char)i); }\n    rb_free(&rb);\n}\n' "$i" "$i" "$i" "$i"
  done
  cat <<'EOF'
static void push_fails_when_full(void **state) { ringbuf rb; (void)state; rb_init(&rb, 1); rb_push(&rb, 1); assert_int_equal(rb_push(&rb, 2), -1); rb_free(&rb); }
static void pop_error_when_empty(void **state) { ringbuf rb; unsigned char c; (void)state; rb_init(&rb, 1); assert_int_equal(rb_pop(&rb, &c), -1); assert_int_equal(rb.last_error, 2); rb_free(&rb); }
int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
EOF
  for i in $(seq 1 40); do printf '        cmocka_unit_test(push_pop_%02d),\n' "$i"; done
  cat <<'EOF'
        cmocka_unit_test(push_fails_when_full),
        cmocka_unit_test(pop_error_when_empty),
    };
    return cmocka_run_group_tests_name("ringbuf", tests, NULL, NULL);
}
EOF
} >tests/test_ringbuf.c
cat >tests/test_ringbuf.cc <<'EOF'
#include <gtest/gtest.h>
#include "ringbuf.h"

class RingTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(rb_init(&rb, 4), 0); }
    void TearDown() override { rb_free(&rb); }
    ringbuf rb;
};
TEST_F(RingTest, StartsEmpty) { EXPECT_EQ(rb.len, 0u); }
TEST_F(RingTest, PushThenPop) { unsigned char c; rb_push(&rb, 7); ASSERT_EQ(rb_pop(&rb, &c), 0); EXPECT_EQ(c, 7); }
TEST_F(RingTest, WrapsAround) {
    unsigned char c;
    for (int i = 0; i < 10; i++) { ASSERT_EQ(rb_push(&rb, i), 0); ASSERT_EQ(rb_pop(&rb, &c), 0); EXPECT_EQ(c, i); }
}
TEST_F(RingTest, FailsWhenFull) { for (int i = 0; i < 4; i++) rb_push(&rb, i); EXPECT_EQ(rb_push(&rb, 9), -1); }
TEST_F(RingTest, ReportsError) { unsigned char c; EXPECT_EQ(rb_pop(&rb, &c), -1); EXPECT_EQ(rb.last_error, 2); }
TEST_F(RingTest, NoErrorAfterPush) { rb_push(&rb, 1); EXPECT_EQ(rb.last_error, 0); }
class CapacityTest : public ::testing::TestWithParam<int> {};
TEST_P(CapacityTest, FillsExactly) {
    ringbuf rb;
    ASSERT_EQ(rb_init(&rb, GetParam()), 0);
    for (int i = 0; i < GetParam(); i++) ASSERT_EQ(rb_push(&rb, i), 0);
    EXPECT_EQ(rb_push(&rb, 0), -1);
    rb_free(&rb);
}
INSTANTIATE_TEST_SUITE_P(Sizes, CapacityTest, ::testing::Range(1, 13));
EOF
run "cmake -S . -B build -G Ninja"
run "cmake --build build"
run "ctest --test-dir build -V --output-junit junit.xml"
trim_junit build/junit.xml "$OUT/cc-$CASE/junit.xml"
finish --tool "ctest, cmocka, googletest" --command "ctest --test-dir build -V --output-junit junit.xml" \
  --ctest-junit build/junit.xml
fi

# =====================================================================================
# 10. strfmt: GoogleTest cases discovered by CMake, run by ctest -V ("12: " prefixes)
# =====================================================================================
if want ctest-verbose; then
begin ctest-verbose strfmt
mkdir -p include src tests
cat >CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(strfmt VERSION 0.2.0 LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(GTest REQUIRED)
include(GoogleTest)
add_library(strfmt src/strfmt.cc)
target_include_directories(strfmt PUBLIC include)
enable_testing()
add_executable(strfmt_tests tests/test_strfmt.cc)
target_link_libraries(strfmt_tests strfmt GTest::gtest_main)
gtest_discover_tests(strfmt_tests)
EOF
cat >include/strfmt.h <<'EOF'
#pragma once
#include <string>
namespace strfmt {
std::string pad_left(const std::string &s, std::size_t width, char fill = ' ');
std::string pad_right(const std::string &s, std::size_t width, char fill = ' ');
std::string trim(const std::string &s);
std::string with_commas(long long v);
}  // namespace strfmt
EOF
cat >src/strfmt.cc <<'EOF'
#include "strfmt.h"
namespace strfmt {
std::string pad_left(const std::string &s, std::size_t width, char fill) {
    return s.size() >= width ? s : std::string(width - s.size(), fill) + s;
}
std::string pad_right(const std::string &s, std::size_t width, char fill) {
    return s.size() > width ? s : s + std::string(width - s.size() + 1, fill);
}
std::string trim(const std::string &s) {
    std::size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}
std::string with_commas(long long v) {
    std::string d = std::to_string(v < 0 ? -v : v), out;
    for (std::size_t i = 0; i < d.size(); i++) {
        if (i && (d.size() - i) % 3 == 0) out += ',';
        out += d[i];
    }
    return out;
}
}  // namespace strfmt
EOF
cat >tests/test_strfmt.cc <<'EOF'
#include <gtest/gtest.h>
#include "strfmt.h"

TEST(PadTest, LeftPadsToWidth) { EXPECT_EQ(strfmt::pad_left("7", 3), "  7"); }
TEST(PadTest, LeftKeepsLongInput) { EXPECT_EQ(strfmt::pad_left("1234", 3), "1234"); }
TEST(PadTest, LeftWithZeros) { EXPECT_EQ(strfmt::pad_left("42", 5, '0'), "00042"); }
TEST(PadTest, RightPadsToWidth) { EXPECT_EQ(strfmt::pad_right("ab", 4), "ab  "); }
TEST(PadTest, RightKeepsLongInput) { EXPECT_EQ(strfmt::pad_right("abcdef", 4), "abcdef"); }
TEST(TrimTest, Spaces) { EXPECT_EQ(strfmt::trim("  x  "), "x"); }
TEST(TrimTest, Tabs) { EXPECT_EQ(strfmt::trim("\tx\t"), "x"); }
TEST(TrimTest, EmptyIsNoError) { EXPECT_EQ(strfmt::trim(""), ""); }
TEST(TrimTest, OnlyBlanks) { EXPECT_EQ(strfmt::trim(" \t "), ""); }
TEST(CommasTest, Thousands) { EXPECT_EQ(strfmt::with_commas(1234567), "1,234,567"); }
TEST(CommasTest, Small) { EXPECT_EQ(strfmt::with_commas(999), "999"); }
TEST(CommasTest, Negative) { EXPECT_EQ(strfmt::with_commas(-1234), "-1,234"); }
TEST(CommasTest, FailsNotOnZero) { EXPECT_EQ(strfmt::with_commas(0), "0"); }
EOF
run "cmake -S . -B build -G Ninja"
run "cmake --build build"
run "ctest --test-dir build -V --output-junit junit.xml"
trim_junit build/junit.xml "$OUT/cc-$CASE/junit.xml"
finish --tool "ctest, googletest" --command "ctest --test-dir build -V --output-junit junit.xml" \
  --ctest-junit build/junit.xml
fi

echo done
