"""Runner pack: Docker image builds and runs (BuildKit / buildx, the classic builder, the docker CLI).

Formats read (one example line each; lines arrive without ANSI colours and CI timestamps):

* BuildKit plain progress, step header (noise: a build prints hundreds, and a rule cannot
  tell the failed one; its error lines below carry the same ``#N`` and the step's name):
  ``#72 [nydus 1/2] RUN wget https://github.com/dragonflyoss/nydus/releases/download/v2.4.0/x.tgz``
* BuildKit step status (noise): ``#72 DONE 0.5s``, ``#4 CACHED``, ``#48 ...``,
  ``#31 sha256:703d6c... 18.87MB / 30.20MB 0.2s``, ``#16 naming to docker.io/library/webapp:ci done``
* BuildKit step output (left to the generic rules): ``#72 0.149 wget: server returned error: HTTP/1.1 502 Bad Gateway``
* BuildKit step failure (critical): ``#72 ERROR: process "/bin/bash -c wget ..." did not complete successfully: exit code: 1``,
  ``#14 ERROR: executor failed running [/bin/sh -c sh tests/run.sh]: exit code: 1`` (Docker 20.10)
* its error block: ``------`` then `` > [nydus 1/2] RUN wget https://...:`` (the failed step's name), the step's
  last output lines, ``------``
* the Dockerfile excerpt: ``Dockerfile:336``, ``--------------------``, `` 336 | >>> RUN wget https://...``
* the build's end (critical): ``ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2``,
  ``executor failed running [/bin/sh -c sh tests/run.sh]: exit code: 1``,
  ``failed to compute cache key: "/dist/webapp-2.7.1.tar.gz" not found: not found``,
  ``failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 5: unknown instruction: RUNN``
* classic builder: ``Step 5/6 : RUN make`` (noise, as `` ---> Running in 6bb447b6f3af``),
  ``The command '/bin/sh -c make' returned a non-zero code: 2`` (critical)
* docker CLI: ``docker: Error response from daemon: failed to create shim task: ...`` (critical),
  ``Error response from daemon: No such container: web`` (high)
* pulls and pushes (noise): ``a1b2c3d4e5f6: Pull complete``, ``Status: Downloaded newer image for busybox:1.36``
* build checks (buildx >= 0.15): ``1 warning found (use docker --debug to expand):``,
  `` - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)``
"""

from tokopt_pipeline.lib.engine.packs.base import C, H, L, M, Pack, Rule, V

RULES = (
    # --- critical: a failed step and the end of a failed build or run
    Rule(r"^#\d+ ERROR: |^(?:ERROR: )?failed to (?:solve|compute cache key): |^failed to solve with frontend "
         r"|^ERROR: failed to build: |^executor failed running \["
         r"|^The command '.*' returned a non-zero code: \d+$|^docker: Error response from daemon: ", C,
         "docker build/run failed"),
    # --- high: the failed step's name in the error block, the Dockerfile line, daemon errors
    Rule(r"^ > \[[^\]]+\] .*:$|^ > (?:exporting|importing|resolve|resolving|pushing|writing|naming|load|loading"
         r"|preparing|merging) .*:$|^\S*(?:Dockerfile|Containerfile)\S*:\d+$|^ *\d+ \| >>> "
         r"|^Error response from daemon: ", H, "docker error context"),
    # --- medium: build check warnings
    Rule(r"^ *\d+ warnings? found \(use docker --debug to expand\):|^ +- [A-Z]\w+: .* \(line \d+\)$", M,
         "build check warning"),
    # --- low: canceled steps, the Dockerfile excerpt around the failing line, a missing local image
    Rule(r"^#\d+ CANCELED$|^ *\d+ \| |^Unable to find image '\S+' locally$|^Successfully (?:built|tagged) ", L,
         "docker context"),
    # --- verbose: BuildKit step headers and status lines, classic builder steps, pulls and pushes
    Rule(r"^#\d+ (?:\[|DONE [\d.]+s$|CACHED$|\.\.\.$|sha256:|extracting |transferring |exporting |writing |naming "
         r"|resolve |building with |load(?:ing)? |merging |preparing |unpacking |importing |pushing |copying "
         r"|computing cache key|\d+\.\d+ \[output clipped)", V, "buildkit progress"),
    Rule(r"^Step \d+/\d+ : |^ ---> |^Removing intermediate container |^Sending build context to Docker daemon"
         r"|^[0-9a-f]{12}: (?:Pulling fs layer|Waiting|Downloading|Verifying Checksum|Download complete|Extracting"
         r"|Pull complete|Already exists|Preparing|Pushing|Pushed|Layer already exists|Mounted from)"
         r"|^Digest: sha256:|^Status: (?:Downloaded newer image|Image is up to date) |^\S+: Pulling from \S+$",
         V, "docker progress"),
)

BLOCK_STARTS = (
    r"^#\d+ \[",
    r"^#\d+ ERROR: ",
    r"^ > \[[^\]]+\] .*:$",
    r"^\S*(?:Dockerfile|Containerfile)\S*:\d+$",
    r"^Step \d+/\d+ : ",
)

PACK = Pack(
    "docker",
    "Docker builds (BuildKit/buildx plain progress, classic builder) and docker CLI errors",
    detect=r"^#\d+ (?:\[|DONE |CACHED$)|^Step \d+/\d+ : |^Sending build context to Docker daemon",
    rules=RULES,
    block_starts=BLOCK_STARTS,
    tools=("docker build", "docker buildx", "docker run"),
)
