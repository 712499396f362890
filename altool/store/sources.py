"""Dropping a source (``altool drop --source NAME``): its examples and the cached vectors of
its texts go in one transaction, then the files are compacted so the space goes back to the
disk (a deleted row only frees a page inside the file, which SQLite reuses but never returns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AltoolError
from .database import SourceInUse, Store


@dataclass
class FileSize:
    """One file's bytes on disk (with its write-ahead log) before and after the drop."""

    path: Path
    before: int
    after: int


@dataclass
class SourceDropReport:
    """What ``drop --source`` did: examples and cached vectors deleted, the files' sizes, why
    the space could not be reclaimed (None when it was), and the files that shrink only once
    another process (a running session) closes them."""

    source: str
    examples: int
    vectors: int
    sizes: list[FileSize] = field(default_factory=list)
    reclaim_error: str | None = None
    in_use: list[Path] = field(default_factory=list)


def on_disk(path: Path) -> int:
    """Bytes of an SQLite file and its ``-wal`` (0 for what does not exist)."""
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        try:
            total += part.stat().st_size
        except OSError:
            pass
    return total


def check_source_drop(store: Store, name: str, force: bool) -> int:
    """Before asking: the source's example count; :class:`SourceInUse` when a dataset has
    answers to its texts and ``force`` is not given."""
    n = store.count_source(name)
    users = store.source_users(name)
    if users and not force:
        raise SourceInUse(name, users)
    return n


def drop_source(store: Store, name: str, *, force: bool = False) -> SourceDropReport:
    """Drop source ``name`` (see :meth:`Store.drop_source`: all or nothing, refused while a
    dataset needs it unless ``force``), then ``VACUUM`` the database and the vector cache.
    The drop stands even if compacting fails (another process writing for 30 s, no disk
    space for the copy): the report says why, and the next drop compacts. A file another
    process is reading is compacted, but shrinks only once that process closes it."""
    files = [store.path, store.vectors_path]
    before = [on_disk(path) for path in files]
    dropped = store.drop_source(name, force=force)
    error, in_use = None, []
    try:
        in_use = store.reclaim_space()
    except AltoolError as err:
        error = str(err)
    sizes = [FileSize(path, b, on_disk(path)) for path, b in zip(files, before, strict=True)
             if b or path.exists()]
    return SourceDropReport(name, dropped.examples, dropped.vectors, sizes, error, in_use)


def human_bytes(n: int) -> str:
    """``591.2 MB``-style sizes (decimal units, as ``ls --si`` and file managers)."""
    if n < 1000:
        return f"{n:,} bytes"
    size, unit = n / 1000, "kB"
    for bigger in ("MB", "GB", "TB"):
        if size < 1000:
            break
        size, unit = size / 1000, bigger
    return f"{size:,.1f} {unit}"
