"""Stream filters for recipes: lazy generators over task dicts.

``by="input"`` compares ``_input_hash`` (the text), ``by="task"`` compares ``_task_hash`` (the
text plus its label, options or spans). Hashes are added to tasks that lack them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import AltoolError
from ..io.hashing import set_hashes
from ..store import Store

BY = {"input": "_input_hash", "task": "_task_hash"}


def _hash_key(by: str) -> str:
    if by not in BY:
        raise AltoolError(f"by must be one of {', '.join(BY)}, got {by!r}")
    return BY[by]


def dedup(stream: Iterable[dict[str, Any]], by: str = "input") -> Iterator[dict[str, Any]]:
    """Yield each task once: the first of those with the same input (or task) hash."""
    key = _hash_key(by)
    seen: set[int] = set()
    for task in stream:
        h = set_hashes(task)[key]
        if h not in seen:
            seen.add(h)
            yield task


def exclude(stream: Iterable[dict[str, Any]], datasets: Sequence[str], by: str = "task",
            store: Store | None = None) -> Iterator[dict[str, Any]]:
    """Drop tasks already answered in any of ``datasets`` (read once from the store, the
    default database unless ``store`` is given; unknown dataset names are ignored)."""
    key = _hash_key(by)
    if store is None:
        from ..store.context import open_store

        with open_store() as db:
            answered = _answered(db, datasets, by)
    else:
        answered = _answered(store, datasets, by)
    for task in stream:
        if set_hashes(task)[key] not in answered:
            yield task


def _answered(store: Store, datasets: Sequence[str], by: str) -> set[int]:
    return store.input_hashes(datasets) if by == "input" else store.task_hashes(datasets)
