"""Fingerprints of the summaries tokopt writes, to show a change leaves them byte-identical.

For each log (the bundled numpy pytest log, the loghub samples the tests carry, the
ecosystem fixtures, and the LogDx dev logs when ``shared/`` is beside the checkout),
the summary is rendered at 1,000 and 4,000 tokens in Markdown and JSON, plus JSON under
``--priority-filter high``; the script prints one sha256 per log over those five texts,
and one over all of them.

    python bench/identical.py > before.txt       # on the old commit
    python bench/identical.py --check before.txt # on the new one: exit 1 on a difference

The logs are summarized in-process, through ``lib.summarize.summarize``; paths are
relative to the repository, so the header reads the same from any checkout.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TOKOPT_SHARED", ROOT.parent / "shared"))


def logs() -> list[Path]:
    found = [ROOT / "examples" / "numpy_pytest.log"]
    found += sorted((ROOT / "tokopt_pipeline_tests" / "data" / "corpus" / "loghub").glob("*_2k.log.gz"))
    found += sorted((ROOT / "tokopt_pipeline_tests" / "data" / "ecosystems").glob("*/job.log"))
    found += sorted((SHARED / "corpus" / "logdx-dev").glob("*/*.log"))
    return found


def fingerprint(path: Path, tmp: Path) -> str:
    from tokopt_pipeline.lib.engine.priority import Level
    from tokopt_pipeline.lib.engine.summarize import summarize
    from tokopt_pipeline.lib.settings.options import SummaryOptions

    if path.suffix == ".gz":  # the loghub samples are kept compressed: summarize the text
        plain = tmp / path.name.removesuffix(".gz")
        plain.write_bytes(gzip.decompress(path.read_bytes()))
        path = plain
    rel = os.path.relpath(path, ROOT) if path.is_relative_to(ROOT) else str(path)
    h = hashlib.sha256()
    for budget, fmt, level in ((1000, "markdown", Level.VERBOSE), (4000, "markdown", Level.VERBOSE),
                               (1000, "json", Level.VERBOSE), (4000, "json", Level.VERBOSE), (4000, "json", Level.HIGH)):
        cwd = os.getcwd()
        os.chdir(ROOT if not rel.startswith("/") else path.parent)
        try:
            text = summarize(rel if not rel.startswith("/") else path.name, SummaryOptions(token_budget=budget, fmt=fmt, priority_filter=level)).text
        finally:
            os.chdir(cwd)
        h.update(text.encode("utf-8"))
    return h.hexdigest()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", metavar="FILE", help="compare with the output of an earlier run; exit 1 on a difference")
    args = p.parse_args()
    lines = []
    total = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="tokopt-identical-") as tmp:
        for path in logs():
            name = path.parent.name + "/" + path.name if path.name == "job.log" or path.parent.parent.name == "logdx-dev" else path.name
            fp = fingerprint(path, Path(tmp))
            total.update(fp.encode())
            lines.append(f"{fp}  {name}")
    lines.append(f"{total.hexdigest()}  (all {len(lines)})")
    print("\n".join(lines))
    if args.check:
        before = dict(reversed(line.split("  ", 1)) for line in Path(args.check).read_text().splitlines() if line.strip())
        now = dict(reversed(line.split("  ", 1)) for line in lines)
        changed = sorted(k for k in before.keys() & now.keys() if before[k] != now[k])
        missing = sorted(before.keys() - now.keys())
        print(f"\n{len(before.keys() & now.keys())} compared, {len(changed)} differ" + (f", {len(missing)} missing" if missing else ""), file=sys.stderr)
        for k in changed:
            print(f"  differs: {k}", file=sys.stderr)
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
