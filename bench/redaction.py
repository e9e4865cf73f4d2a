"""Redaction on ordinary logs and on planted secrets: false positives, coverage, speed.

False positives: the share of the lines of ordinary logs that redaction changes (the
loghub samples, the numpy pytest log, the ecosystem fixtures; these logs hold no
credentials, so every change is a false positive unless the line shows one). Each
corpus must stay under 1%; the changed lines are listed so each can be judged.

Coverage: the planted corpus (``tokopt_pipeline_tests/secrets_corpus.py``, every kind
in each of its contexts) through the redactor; every planted secret must be gone.

Speed: lines per second of :class:`Redactor` over the ordinary logs (the prefilter runs
on every line; the exact rules only on the lines it lets through).

    python bench/redaction.py              # figures per file and per corpus, changed lines
    python bench/redaction.py --quiet      # figures only
    python bench/redaction.py --compare    # also the rule sets compared in docs/redaction.md

``--compare`` runs the planted corpus and the loghub samples through other rule sets
when they are installed (``pip install kingfisher-secret-scanner`` in a scratch
environment, the ``gitleaks`` binary on PATH); tokopt depends on neither.

Exit status 1 when a corpus is at or over 1% or a planted secret survives.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tokopt_pipeline.lib.engine.redact import Redactor, _candidates, rules  # noqa: E402
from tokopt_pipeline_tests.secrets_corpus import KINDS, leaks, planted_log  # noqa: E402

LIMIT = 1.0  # percent of lines changed, per corpus


SHARED = Path(os.environ.get("TOKOPT_SHARED", ROOT.parent / "shared"))


def corpora() -> dict[str, list[Path]]:
    data = ROOT / "tokopt_pipeline_tests" / "data"
    found = {
        "loghub": sorted((data / "corpus" / "loghub").glob("*_2k.log.gz")),
        "numpy": [ROOT / "examples" / "numpy_pytest.log"],
        "ecosystems": sorted((data / "ecosystems").glob("*/job.log")),
    }
    logdx = sorted((SHARED / "corpus" / "logdx-dev").glob("*/*.log"))
    if logdx:  # real GitHub Actions logs, when the shared material is beside the checkout
        found["logdx-dev"] = logdx
    return found


def read_lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace").split("\n")


def false_positives(quiet: bool) -> bool:
    ok = True
    rules()  # built once, outside the timings
    total_lines = total_bytes = 0
    total_time = 0.0
    print("false positives (lines changed by redaction; none of these logs holds a credential)")
    for corpus, paths in corpora().items():
        c_lines = c_changed = c_cand = 0
        shown: list[str] = []
        for path in paths:
            lines = read_lines(path)
            t = time.perf_counter()
            out = Redactor().redact_lines(lines)
            total_time += time.perf_counter() - t
            cand = len(_candidates(lines))
            changed = [(i, a, b) for i, (a, b) in enumerate(zip(lines, out, strict=True)) if a != b]
            c_lines += len(lines)
            c_changed += len(changed)
            c_cand += cand
            total_lines += len(lines)
            total_bytes += sum(len(x) + 1 for x in lines)
            name = path.parent.name + "/" + path.name if corpus in ("ecosystems", "logdx-dev") else path.name
            if not quiet or changed:
                print(f"  {name:<42} {len(lines):>7,} lines  {cand:>5,} candidates  "
                      f"{len(changed):>4} changed ({100 * len(changed) / max(1, len(lines)):.3f}%)")
            for i, a, b in changed:
                at = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), 0)
                lo = max(0, at - 80)
                pad = " " * (len(name) + len(str(i + 1)) + 2)
                shown.append(f"    {name}:{i + 1}: …{a[lo:at + 80]}\n    {pad}-> …{b[lo:at + 80]}")
        share = 100 * c_changed / max(1, c_lines)
        flag = "ok" if share < LIMIT else "OVER THE LIMIT"
        ok &= share < LIMIT
        print(f"  = {corpus}: {c_lines:,} lines, {c_cand:,} candidates ({100 * c_cand / max(1, c_lines):.2f}%), "
              f"{c_changed} changed ({share:.3f}%, limit {LIMIT}%): {flag}")
        if shown and not quiet:
            print("  changed lines:")
            print("\n".join(shown))
    print(f"redactor speed on these logs: {total_lines / total_time:,.0f} lines/s, "
          f"{total_bytes / total_time / 1e6:.1f} MB/s (one thread, prefilter included)")
    return ok


def coverage(seeds: int = 5) -> bool:
    kinds = set()
    planted = survived = 0
    leaked_kinds: collections.Counter[str] = collections.Counter()
    for seed in range(seeds):
        log = planted_log(seed)
        out = "\n".join(Redactor().redact_lines(log.text.split("\n")))
        lk = leaks(out, log.secrets, log.kinds)
        planted += len(log.secrets)
        survived += len(lk)
        kinds |= set(log.kinds)
        leaked_kinds.update(x.split(":")[0] for x in lk)
    print(f"planted corpus: {len(KINDS)} kinds, {planted:,} secrets over {seeds} seeds: {survived} survive"
          + (f" ({dict(leaked_kinds)})" if survived else ""))
    return survived == 0


# --- other rule sets (optional, for docs/redaction.md) --------------------------------


def _score(name: str, redact_text, seconds_per_mb=None) -> None:
    log = planted_log(0)
    out = redact_text(log.text)
    lk = leaks(out, log.secrets, log.kinds)
    tot = collections.Counter(log.kinds)
    by = collections.Counter(x.split(":")[0] for x in lk)
    loghub = "\n".join("\n".join(read_lines(p)) for p in corpora()["loghub"])
    t = time.perf_counter()
    redone = redact_text(loghub)
    dt = time.perf_counter() - t
    changed = sum(a != b for a, b in zip(loghub.split("\n"), redone.split("\n"), strict=False))
    print(f"  {name:<34} kinds leaking {len(by):>3}/{len(tot)}  secrets leaking {len(lk):>4}/{len(log.secrets)}  "
          f"loghub: {changed} lines changed, {len(loghub) / dt / 1e6:6.1f} MB/s")


def compare() -> None:
    print("rule sets on the planted corpus (seed 0) and the 16 loghub samples:")
    _score("tokopt (this redactor)", lambda text: "\n".join(Redactor().redact_lines(text.split("\n"))))
    try:
        import kingfisher_sdk  # type: ignore[import-not-found]
    except ImportError:
        print("  kingfisher-secret-scanner: not installed, skipped")
    else:
        t = time.perf_counter()
        scanner = kingfisher_sdk.Scanner(kingfisher_sdk.Rules(confidence="low"), base64=False)
        print(f"  kingfisher {kingfisher_sdk.__version__}: {len(scanner.rules)} rules, loaded in {time.perf_counter() - t:.2f} s")

        def kf(text: str) -> str:
            data = text.encode()
            out, pos = bytearray(), 0
            for s, e in sorted((f.location["start_offset"], f.location["end_offset"]) for f in scanner.scan(data)):
                s = max(s, pos)
                if e > pos:
                    out += data[pos:s] + b"[R]"
                    pos = e
            return (out + data[pos:]).decode(errors="replace")

        _score("kingfisher (all confidences)", kf)
    gitleaks = shutil.which("gitleaks")
    if gitleaks is None:
        print("  gitleaks: not on PATH, skipped")
    else:
        def gl(text: str) -> str:
            with tempfile.TemporaryDirectory() as d:
                report = Path(d) / "r.json"
                subprocess.run([gitleaks, "stdin", "--no-banner", "-r", str(report), "--report-format", "json"],
                               input=text.encode(), capture_output=True, check=False)
                found = json.loads(report.read_text() or "[]")
            lines = text.split("\n")
            for f in found:
                for j in range(f["StartLine"] - 1, f["EndLine"]):
                    for part in f["Secret"].split("\n"):
                        if part:
                            lines[j] = lines[j].replace(part, "[R]")
            return "\n".join(lines)

        _score("gitleaks (default rules)", gl)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quiet", action="store_true", help="figures only, not the changed lines")
    ap.add_argument("--compare", action="store_true", help="also run the other rule sets when installed")
    args = ap.parse_args()
    ok = false_positives(args.quiet)
    ok &= coverage()
    if args.compare:
        compare()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
