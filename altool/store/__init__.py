"""The SQLite store: sources of unlabeled examples, datasets of answers, cached vectors.

- :mod:`.database`: :class:`Store`, the Python API over one database
- :mod:`.schema`: the tables and their migrations
- :mod:`.context`: which database the command line uses (``--db``)
- :mod:`.ingest`: files into the store (``load``, ``db-in``); :mod:`.export`: out (``db-out``)
- :mod:`.merge`: answers merged per input; :mod:`.review`: conflicting answers
- :mod:`.report`: ``stats`` as tables; :mod:`.sessions`: a dataset's sessions, one taken back
- :mod:`.sources`: a source dropped and its space reclaimed (``drop --source``)
"""

from __future__ import annotations

from .database import (
    ANSWERS,
    BUSY_TIMEOUT_S,
    CLAIM_TTL_S,
    QUESTION_META,
    DatabaseLocked,
    DatasetGone,
    ImportResult,
    SourceDrop,
    SourceInUse,
    SourceRow,
    Store,
    check_name,
    damaged,
    dumps,
    explain_db_error,
)
from .schema import SCHEMA_VERSION

__all__ = [
    "ANSWERS", "BUSY_TIMEOUT_S", "CLAIM_TTL_S", "DatabaseLocked", "DatasetGone", "ImportResult",
    "QUESTION_META", "SCHEMA_VERSION", "SourceDrop", "SourceInUse", "SourceRow", "Store",
    "check_name", "damaged", "dumps", "explain_db_error",
]
