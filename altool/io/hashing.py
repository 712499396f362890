"""Prodigy-style input and task hashes.

``_input_hash`` identifies the input (the text); ``_task_hash`` identifies the question asked
about it (input plus label, options or spans). Both are non-negative integers below 2**53, so
they survive JSON tools that read numbers as doubles (``jq``) and SQLite integers alike.
Hashes already present on an example are kept unless ``overwrite=True``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

INPUT_KEYS: tuple[str, ...] = ("text", "image", "html", "input")
TASK_KEYS: tuple[str, ...] = ("spans", "label", "options")

_MASK_53 = (1 << 53) - 1


def _digest(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big") & _MASK_53


def hash_text(text: str) -> int:
    """The input hash of a plain ``{"text": ...}`` example (the common, fast path)."""
    return _digest(b"text\x00" + text.encode("utf-8", "surrogatepass"))


def input_hash(eg: dict[str, Any], input_keys: Sequence[str] = INPUT_KEYS) -> int:
    present = [k for k in input_keys if k in eg]
    if present == ["text"] and isinstance(eg["text"], str):
        return hash_text(eg["text"])
    payload = json.dumps({k: eg[k] for k in present}, sort_keys=True, ensure_ascii=False)
    return _digest(payload.encode("utf-8", "surrogatepass"))


def _task_part(key: str, value: Any) -> Any:
    if key == "spans" and isinstance(value, list):
        return [
            [s.get("start"), s.get("end"), s.get("label")] for s in value if isinstance(s, dict)
        ]
    if key == "options" and isinstance(value, list):
        return [o.get("id") if isinstance(o, dict) else o for o in value]
    return value


def task_hash(
    eg: dict[str, Any], in_hash: int | None = None, task_keys: Sequence[str] = TASK_KEYS
) -> int:
    base = input_hash(eg) if in_hash is None else in_hash
    parts = {k: _task_part(k, eg[k]) for k in task_keys if k in eg}
    payload = json.dumps([base, parts], sort_keys=True, ensure_ascii=False)
    return _digest(payload.encode("utf-8", "surrogatepass"))


def set_hashes(eg: dict[str, Any], overwrite: bool = False) -> dict[str, Any]:
    """Add ``_input_hash`` and ``_task_hash`` to ``eg`` (in place) and return it."""
    if overwrite or not isinstance(eg.get("_input_hash"), int):
        eg["_input_hash"] = input_hash(eg)
    if overwrite or not isinstance(eg.get("_task_hash"), int):
        eg["_task_hash"] = task_hash(eg, eg["_input_hash"])
    return eg


def hash_all(examples: Iterable[dict[str, Any]], overwrite: bool = False):
    """Yield each example with hashes set."""
    for eg in examples:
        yield set_hashes(eg, overwrite=overwrite)
