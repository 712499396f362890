"""Process-wide settings the CLI sets once: which database to use."""

from __future__ import annotations

from pathlib import Path

from ..paths import default_db_path
from .database import Store

_db_path: Path | None = None


def set_db_path(path: str | Path | None) -> None:
    global _db_path
    _db_path = Path(path).expanduser() if path else None


def db_path() -> Path:
    """The database in use: ``--db`` if given, else ``ALTOOL_HOME/altool.db``."""
    return _db_path or default_db_path()


def open_store(*, create: bool = True) -> Store:
    """The database in use. A command that only reads passes ``create=False``: a mistyped
    ``--db`` is then an error, not a new empty database (and its -wal/-shm files)."""
    return Store(db_path(), create=create)
