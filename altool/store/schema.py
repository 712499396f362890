"""The store's schema: the tables of one altool database, its version, and the migrations
from every older version (each one runs inside the caller's transaction)."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL,
    n_examples INTEGER NOT NULL DEFAULT 0, min_id INTEGER, max_id INTEGER);
CREATE TABLE IF NOT EXISTS examples (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    input_hash INTEGER NOT NULL,
    text TEXT NOT NULL,
    content TEXT NOT NULL,
    UNIQUE (source_id, input_hash));
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    input_hash INTEGER NOT NULL,
    task_hash INTEGER NOT NULL,
    answer TEXT NOT NULL,
    session_id TEXT,
    timestamp REAL NOT NULL,
    content TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS answers_by_task ON answers (dataset_id, task_hash);
CREATE INDEX IF NOT EXISTS answers_by_input ON answers (dataset_id, input_hash);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL, input_hash INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, input_hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims (
    dataset_id INTEGER NOT NULL, question_hash INTEGER NOT NULL, session_id TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER NOT NULL, claimed_at REAL NOT NULL,
    PRIMARY KEY (dataset_id, question_hash)) WITHOUT ROWID;
"""


def upgrade(conn: sqlite3.Connection, version: int) -> None:
    """Bring a database at schema ``version`` (0: empty) to :data:`SCHEMA_VERSION`: migrate
    its tables, create what is missing, record the version. The caller holds the transaction."""
    if version == 1:
        _migrate_1_to_2(conn)
    if version in (1, 2):
        _migrate_2_to_3(conn)
    if version in (1, 2, 3):
        _migrate_3_to_4(conn)
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                 (str(SCHEMA_VERSION),))


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Schema 2 keeps each source's example count and id range in ``sources``."""
    for column in ("n_examples INTEGER NOT NULL DEFAULT 0", "min_id INTEGER", "max_id INTEGER"):
        conn.execute(f"ALTER TABLE sources ADD COLUMN {column}")
    conn.execute(
        "UPDATE sources SET n_examples = (SELECT COUNT(*) FROM examples e "
        "WHERE e.source_id = sources.id), min_id = (SELECT MIN(id) FROM examples e "
        "WHERE e.source_id = sources.id), max_id = (SELECT MAX(id) FROM examples e "
        "WHERE e.source_id = sources.id)"
    )


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    """Schema 3 caches text embeddings (``embeddings``), keyed by model and text hash."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, input_hash INTEGER NOT NULL, "
        "vector BLOB NOT NULL, PRIMARY KEY (model, input_hash)) WITHOUT ROWID"
    )


def _migrate_3_to_4(conn: sqlite3.Connection) -> None:
    """Schema 4 lets sessions claim the question they show (``claims``), so two sessions on
    one dataset never ask the same question at once."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS claims (dataset_id INTEGER NOT NULL, question_hash "
        "INTEGER NOT NULL, session_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, "
        "claimed_at REAL NOT NULL, PRIMARY KEY (dataset_id, question_hash)) WITHOUT ROWID"
    )
