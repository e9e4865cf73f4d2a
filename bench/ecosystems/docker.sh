#!/usr/bin/env bash
# Makes the Docker fixtures.
#
#   docker-build: real output of Debian's docker.io (Docker 20.10 with its built-in
#     BuildKit, `--progress=plain`, and the classic builder) on a sample multi-stage
#     project: a long build that succeeds, a test stage that fails, a download answered
#     "502 Bad Gateway", a COPY of a missing file, a Dockerfile parse error, a classic
#     build whose RUN fails, a `docker run` of a missing executable and a container
#     killed by its memory limit. The script starts its own dockerd (own socket and data
#     root, no iptables) and a small HTTP server as the artifact host, and stops both.
#   docker-buildx-bake: an excerpt (<= 200 lines) of a real `docker buildx bake` failure
#     in GitHub Actions from the LogDx-CI benchmark (CC-BY-4.0), cut from the corpus copy
#     in shared/corpus when it is there (LOGDX_DIR to point elsewhere); its truth comes
#     from the benchmark's ground_truth.json.
#
# Usage: bench/ecosystems/docker.sh [FIXTURES_DIR]   (needs root: apt-get, dockerd)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${1:-$REPO/tokopt_pipeline_tests/data/ecosystems}")
LOGDX_DIR=${LOGDX_DIR:-$REPO/../shared/corpus/logdx-dev}
[ -d "$LOGDX_DIR" ] || LOGDX_DIR=/work/shared/corpus/logdx-dev

# ================================================================== docker-buildx-bake
BAKE=$LOGDX_DIR/moby-buildx-bake-v2-001
if [ -f "$BAKE/raw.log" ]; then
  case=$OUT/docker-buildx-bake
  mkdir -p "$case"
  # The bake command and its first steps, then the BuildKit progress before the
  # failure, the failure, its error block and the action's annotation.
  { sed -n '1310,1315p' "$BAKE/raw.log"; sed -n '1718,1905p' "$BAKE/raw.log"; } > "$case/job.log"
  python3 - "$case" "$BAKE" <<'EOF'
import json, re, sys
from pathlib import Path

case, src = Path(sys.argv[1]), Path(sys.argv[2])
log = (case / "job.log").read_text()
gt = json.loads((src / "ground_truth.json").read_text())
steps, locations, messages, codes = [], [], [], []
for s in gt["required_signals"]:
    v = s["value"]
    if s["type"] == "command":
        steps.append(v)
    elif s["type"] == "stack_location":
        locations.append(v)
    elif s["type"] in ("exception", "annotation"):
        messages.append(v)
    elif s["type"] == "exit_code":
        messages.append(v)
truth = {
    "tool": "docker buildx bake",
    "command": "docker buildx bake integration-tests",
    "failing_tests": [],
    "error_locations": locations,
    "error_codes": [],
    "totals": [],
    "error_messages": messages,
    "failing_steps": steps,
}
for key in ("error_locations", "error_messages", "failing_steps"):
    for v in truth[key]:
        assert v in log, (key, v)
(case / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
print(f"{case.name}: {len(log)} bytes, {log.count(chr(10))} lines")
EOF
  cat > "$case/SOURCE.md" <<'EOF'
Excerpt of a real GitHub Actions job log: moby/buildkit, workflow "frontend", job
"test / run (containerd-2.1, ./frontend/dockerfile, integration)", a `docker buildx bake`
that failed at step `#72 [nydus 1/2] RUN wget ...` on an HTTP 502 from github.com.
Source: the LogDx-CI benchmark (https://github.com/eyuansu62/LogDx, case
`moby-buildx-bake-v2-001`, dev split), by the LogDx-CI authors, licensed CC-BY-4.0
(https://creativecommons.org/licenses/by/4.0/). Changes: lines 1310-1315 and 1718-1905
of the case's raw.log kept, the rest cut; nothing else altered (timestamps kept).
`truth.json` is derived from the case's ground_truth.json (its required signals).
EOF
else
  echo "docker.sh: $BAKE not found; docker-buildx-bake left as it is" >&2
fi

# ================================================================== docker-build
need() {
  command -v "$1" >/dev/null 2>&1 && return
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}
need dockerd docker.io
need busybox busybox-static
need python3 python3
DOCKER=/usr/bin/docker

W=/tmp/docker-fixture
CI=/tmp/ci
P=$CI/webapp
rm -rf "$W" "$P" && mkdir -p "$W" "$P"
export DOCKER_HOST=unix://$W/docker.sock

DOCKERD_PID="" SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  fi
}
trap cleanup EXIT

dockerd --data-root "$W/root" --exec-root "$W/exec" -H "$DOCKER_HOST" --pidfile "$W/docker.pid" \
  --iptables=false --ip6tables=false > "$W/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
"$DOCKER" info >/dev/null

# The base image: a busybox root file system (no registry is reachable).
mkdir -p "$W/rootfs/bin" "$W/rootfs/etc" "$W/rootfs/tmp" "$W/rootfs/root"
cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
for a in $(busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$W/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$W/rootfs/etc/passwd"
printf 'root:x:0:\n' > "$W/rootfs/etc/group"
tar -C "$W/rootfs" -c . | "$DOCKER" import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'CMD ["sh"]' - busybox:1.35 >/dev/null

# The artifact host: packages answer 200, the nydus-like release answers 502.
BRIDGE=$("$DOCKER" network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}')
cat > "$W/artifacts.py" <<'EOF'
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path.startswith("/pkgs/"):
            body = (self.path * 400).encode()[:16384]
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(502, "Bad Gateway")
            self.send_header("Content-Length", "0")
            self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], 8089), Handler).serve_forever()
EOF
python3 "$W/artifacts.py" "$BRIDGE" &
SERVER_PID=$!
sleep 1

# --------------------------------------------------------------------------- project
cd "$P"
mkdir -p src tests config docker

cat > Dockerfile <<'EOF'
FROM busybox:1.35 AS base
ENV APP_HOME=/app
RUN mkdir -p /app /out /etc/webapp && echo "webapp:x:1000:1000::/app:/bin/sh" >> /etc/passwd
WORKDIR /app

FROM base AS deps
ARG ARTIFACTS=http://artifacts.ci.local:8089
COPY deps.txt /app/deps.txt
RUN while read -r name version; do \
      wget -O "/tmp/$name-$version.tgz" "$ARTIFACTS/pkgs/$name-$version.tgz" && \
      mkdir -p "vendor/$name" && echo "$name $version" > "vendor/$name/VERSION"; \
    done < deps.txt && ls vendor | wc -l

FROM base AS build
COPY --from=deps /app/vendor /app/vendor
COPY src/ /app/src/
RUN sh src/build.sh
RUN sh src/gen-assets.sh

FROM build AS test
COPY tests/ /app/tests/
RUN sh tests/run.sh

FROM base AS release
COPY --from=build /app/dist /app/dist
COPY config/webapp.conf /etc/webapp/webapp.conf
USER webapp
CMD ["/app/dist/bin/webapp"]
EOF

for n in http-parser json-c libuv zlib brotli pcre2 sqlite3 lua5.4 luajit yaml-cpp libevent \
         nghttp2 c-ares libxml2 expat jansson msgpack lz4 zstd snappy libsodium argon2 \
         hiredis libpq openssl-shim libcurl-min mustache markdown-lite iconv-lite utf8proc \
         tz-data geoip-lite uri-parser base64-simd xxhash murmur3 cmark inih tomlc99 libbsd; do
  echo "$n 1.$(( ${#n} % 7 )).$(( ${#n} * 3 % 11 ))"
done > deps.txt

cat > src/build.sh <<'EOF'
#!/bin/sh
# Compiles the webapp modules (a shell stand-in for the real toolchain).
set -e
mkdir -p dist/bin dist/lib obj
i=0
for area in core http router auth session cache store queue mail search admin api metrics; do
  for m in $(seq 1 64); do
    i=$((i + 1))
    echo "  CC      src/$area/${area}_$m.c"
    echo "$area $m" > "obj/${area}_$m.o"
  done
  echo "  AR      dist/lib/lib$area.a"
  cat obj/${area}_*.o > "dist/lib/lib$area.a"
done
echo "  LD      dist/bin/webapp"
printf '#!/bin/sh\necho webapp 2.7.1\n' > dist/bin/webapp
chmod +x dist/bin/webapp
echo "built $i objects"
EOF

cat > src/gen-assets.sh <<'EOF'
#!/bin/sh
# Renders the static assets and fingerprints them.
set -e
mkdir -p dist/assets
for kind in css js img fonts; do
  for n in $(seq 1 180); do
    f="dist/assets/$kind-$n.$kind"
    echo "$kind asset $n" > "$f"
    sum=$(md5sum "$f" | cut -c1-12)
    echo "asset $f -> $kind-$n.$sum.$kind ($(wc -c < "$f") bytes)"
  done
done
echo "wrote manifest dist/assets/manifest.json (720 entries)"
EOF

cat > tests/run.sh <<'EOF'
#!/bin/sh
# Runs the integration checks (automake test-driver style output).
pass=0 fail=0
check() {
  name=$1; shift
  if "$@" >/dev/null 2>&1; then echo "PASS: $name"; pass=$((pass + 1)); else echo "FAIL: $name"; fail=$((fail + 1)); fi
}
for area in core http router auth session cache store queue mail search admin api metrics; do
  for m in $(seq 1 18); do
    check "tests/$area/test_${area}_$m" test -f "obj/${area}_$m.o"
  done
done
check "tests/http/test_error_pages" test -f dist/bin/webapp
check "tests/store/test_failover_read" test -d vendor/sqlite3
check "tests/api/test_version_header" sh -c 'dist/bin/webapp | grep -q "webapp 2.8"'
check "tests/auth/test_argon2_vendored" test -f vendor/argon2/LICENSE
echo "============================================================================"
echo "# TOTAL: $((pass + fail))"
echo "# PASS:  $pass"
echo "# FAIL:  $fail"
echo "============================================================================"
[ "$fail" -eq 0 ]
EOF

echo "listen = 0.0.0.0:8080" > config/webapp.conf

cat > docker/assets.Dockerfile <<'EOF'
FROM busybox:1.35 AS nydus
ARG NYDUS_VERSION=v2.4.0
ARG ARTIFACTS=http://artifacts.ci.local:8089
WORKDIR /src
RUN wget -O /tmp/webapp-fonts.tgz "$ARTIFACTS/pkgs/webapp-fonts-3.1.tgz"
RUN wget "$ARTIFACTS/dragonflyoss/nydus/releases/download/$NYDUS_VERSION/nydus-static-$NYDUS_VERSION-linux-amd64.tgz"
RUN mkdir -p /out/nydus-static && tar xzvf "nydus-static-$NYDUS_VERSION-linux-amd64.tgz" -C /out
EOF

cat > docker/release.Dockerfile <<'EOF'
FROM busybox:1.35
WORKDIR /srv
COPY config/webapp.conf /etc/webapp/webapp.conf
COPY dist/webapp-2.7.1.tar.gz /srv/
RUN tar -xzf webapp-2.7.1.tar.gz
EOF

cat > docker/ci.Dockerfile <<'EOF'
FROM busybox:1.35
WORKDIR /ci
COPY tests/ /ci/tests/
ENV CI=true
RUNN sh tests/run.sh
EOF

cat > docker/legacy.Dockerfile <<'EOF'
FROM busybox:1.35
WORKDIR /build
COPY src/ /build/src/
RUN sh src/build.sh
RUN echo "checking for cc... no" && echo "configure: error: no acceptable C compiler found in \$PATH" && exit 2
RUN echo done
EOF

cat > ci.sh <<'EOF'
#!/usr/bin/env bash
# CI job: build the images, run the test stage, smoke-test the release image.
set -uo pipefail
mkdir -p reports
: > reports/failures.tsv
# Every failing command (line, status, command) goes to the job summary; quiet under xtrace.
trap '{ __st=$?; set +x; } 2>/dev/null; printf "%s\t%s\t%s\n" "$LINENO" "$__st" "$BASH_COMMAND" >> reports/failures.tsv; set -x' ERR
export DOCKER_BUILDKIT=1
status=0
docker build --progress=plain --add-host "artifacts.ci.local:$ARTIFACTS_IP" --target release -t webapp:ci .
docker build --progress=plain --add-host "artifacts.ci.local:$ARTIFACTS_IP" --target test -t webapp:test .
docker build --progress=plain --add-host "artifacts.ci.local:$ARTIFACTS_IP" -f docker/assets.Dockerfile -t webapp-assets:ci .
docker build --progress=plain -f docker/release.Dockerfile -t webapp-release:ci .
docker build --progress=plain -f docker/ci.Dockerfile .
DOCKER_BUILDKIT=0 docker build -f docker/legacy.Dockerfile -t webapp-legacy:ci .
docker run --rm webapp:ci /app/dist/bin/webapp
docker run --rm webapp:ci webapp-migrate --check
docker run --name webapp-soak --memory=32m webapp:ci sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo ${#x}'
docker inspect webapp-soak --format 'oom_killed={{.State.OOMKilled}} exit_code={{.State.ExitCode}}'
docker inspect webapp-soak --format '{{json .State}}' > reports/soak-state.json
docker rm webapp-soak
status=$(wc -l < reports/failures.tsv)
exit "$status"
EOF

case=$OUT/docker-build
mkdir -p "$case"
set +e
{
  echo "Run ./ci.sh"
  env -i PATH=/usr/bin:/bin HOME=$W LANG=C.UTF-8 DOCKER_HOST="$DOCKER_HOST" ARTIFACTS_IP="$BRIDGE" \
    bash -x ./ci.sh 2>&1
  rc=$?
  echo "Error: Process completed with exit code $rc."
} > "$case/job.log"
set -e
cp reports/failures.tsv "$case/failures.tsv"
cp reports/soak-state.json "$W/soak-state.json"

python3 - "$case" "$W/soak-state.json" "$rc" "$BRIDGE" <<'EOF'
import json, re, sys
from pathlib import Path

case, soak, rc, ip = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
log = (case / "job.log").read_text()
lines = log.splitlines()
failures = []
for row in (case / "failures.tsv").read_text().splitlines():
    lineno, status, command = row.split("\t", 2)
    failures.append({"line": int(lineno), "status": int(status), "command": command})

# Each command's output runs from its xtrace line to the next one; the docker CLI's own
# error message is the last line it printed.
segments, current = [], None
for l in lines:
    if l.startswith("+ "):
        current = [l[2:], []]
        segments.append(current)
    elif current is not None:
        current[1].append(l)

def key(command):
    command = re.sub(r"^(\w+=\S* )+", "", command)  # xtrace shows "VAR=x cmd" as two lines
    return command.replace("$ARTIFACTS_IP", ip).replace('"', "").replace("'", "")

def segment_of(command):
    for cmd, out in segments:
        if key(cmd) == key(command):
            return out
    return None

messages, steps = [], []
for f in failures:
    out = segment_of(f["command"])
    assert out is not None, f
    said = [l for l in out if l.strip()]
    if not (key(f["command"]).startswith("docker") and said):
        continue
    # The CLI's own error line: its last line ("docker: ..." when the CLI names itself).
    named = [l for l in said if l.startswith("docker: ")]
    f["message"] = (named or said)[-1]
    messages.append(f["message"])
    # The failed step: BuildKit names its vertex in the error block (" > NAME:"), whose
    # progress header is "#N NAME"; the classic builder's is the last "Step i/n : ...".
    for l in said:
        m = re.match(r"^ > (.*):$", l)
        if m:
            steps += [h for h in said if re.match(r"#\d+ ", h) and h.split(" ", 1)[1] == m.group(1)][:1]
    classic = [l for l in said if re.match(r"Step \d+/\d+ : ", l)]
    if classic and f["message"].startswith("The command "):
        steps.append(classic[-1])

state = json.loads(soak.read_text())
report = {"failed_commands": failures, "soak_container_state": {k: state[k] for k in ("Status", "OOMKilled", "ExitCode", "Error")},
          "job_exit_code": rc}
(case / "report.json").write_text(json.dumps(report, indent=2) + "\n")
(case / "failures.tsv").unlink()
truth = {
    "tool": "docker build",
    "command": "bash -x ./ci.sh",
    "failing_tests": [],
    "error_locations": [],
    "error_codes": [],
    "totals": [],
    "error_messages": list(dict.fromkeys(messages)),
    "failing_steps": list(dict.fromkeys(steps)),
    "exit_codes": [{"command": f["command"], "status": f["status"]} for f in failures],
}
for key in ("error_messages", "failing_steps"):
    for v in truth[key]:
        assert v in log, (key, v)
assert len(truth["failing_steps"]) >= 4 and len(messages) >= 6 and state["OOMKilled"], truth
(case / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
print(f"{case.name}: {len(log)} bytes, {len(failures)} failed commands")
EOF

cat > "$case/SOURCE.md" <<'EOF'
Made by `bench/ecosystems/docker.sh`: Debian 12's docker.io (Docker 20.10, its built-in
BuildKit with `--progress=plain`, and the classic builder with DOCKER_BUILDKIT=0) run on
the sample project that script writes, with a local HTTP server as the artifact host.
Docker 20.10 writes no machine-readable build result, so `report.json` holds what the
job recorded itself: each failing command's exit status (bash's $? through an ERR
trap), the CLI's final error line, and `docker inspect` of the container killed by its
memory limit. `truth.json` is derived from those.
EOF
