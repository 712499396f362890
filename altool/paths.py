"""Where altool keeps its data: ``ALTOOL_HOME`` (default ``~/.altool``)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

DB_FILENAME = "altool.db"


def altool_home() -> Path:
    """The folder holding the default database, saved models and logs."""
    home = os.environ.get("ALTOOL_HOME")
    path = Path(home).expanduser() if home else Path.home() / ".altool"
    return path


def default_db_path() -> Path:
    return altool_home() / DB_FILENAME


def model_dir() -> Path:
    return altool_home() / "models"


def log_dir() -> Path:
    return altool_home() / "logs"


def safe_filename(name: str) -> str:
    """A file name for any dataset name: readable part plus a short hash (names may hold any
    character, so two different names never map to the same file)."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:60] or "dataset"
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=4).hexdigest()
    return f"{readable}-{digest}"
