"""The store's schema: the tables of one altool database, its version, and the migrations
from every older version (each one runs inside the caller's transaction).

Dataset and source ids are never reused (``AUTOINCREMENT``): a session holds on to its
dataset's id, so answers can never land in a dataset created later under the same name. The
database has an id of its own (``meta.db_id``), under which its in-the-loop models are kept.
"""

from __future__ import annotations

import sqlite3
import uuid

SCHEMA_VERSION = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created REAL NOT NULL,
    n_examples INTEGER NOT NULL DEFAULT 0, min_id INTEGER, max_id INTEGER);
CREATE TABLE IF NOT EXISTS examples (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    input_hash INTEGER NOT NULL,
    text TEXT NOT NULL,
    content TEXT NOT NULL,
    UNIQUE (source_id, input_hash));
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created REAL NOT NULL,
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
    dataset TEXT NOT NULL, question_hash INTEGER NOT NULL, session_id TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER NOT NULL, claimed_at REAL NOT NULL,
    PRIMARY KEY (dataset, question_hash)) WITHOUT ROWID;
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
    if version in (1, 2, 3, 4):
        _migrate_4_to_5(conn)
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                 (str(SCHEMA_VERSION),))
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('db_id', ?)",
                 (uuid.uuid4().hex,))


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


def _migrate_4_to_5(conn: sqlite3.Connection) -> None:
    """Schema 5: dataset and source ids are never reused (the tables are rebuilt with
    ``AUTOINCREMENT``, SQLite's documented way to change a table's definition), and claims are
    keyed by dataset name (a session claims questions before its first answer creates its
    dataset; claims are short-lived, so the old ones are dropped)."""
    for table, columns in (
        ("sources", "id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, "
                    "created REAL NOT NULL, n_examples INTEGER NOT NULL DEFAULT 0, "
                    "min_id INTEGER, max_id INTEGER"),
        ("datasets", "id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, "
                     "created REAL NOT NULL, meta TEXT NOT NULL DEFAULT '{}'"),
    ):
        conn.execute(f"CREATE TABLE new_{table} ({columns})")
        conn.execute(f"INSERT INTO new_{table} SELECT * FROM {table}")
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE new_{table} RENAME TO {table}")
    conn.execute("DROP TABLE IF EXISTS claims")
    _repair_json(conn)


def _repair_json(conn: sqlite3.Connection) -> None:
    """Rows whose JSON an older altool stored with NaN or Infinity (not JSON: SQLite's JSON
    functions reject them, and ``stats`` failed for the whole database) get null instead."""
    import json
    import math

    def finite(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [finite(v) for v in value]
        return value

    for table in ("answers", "examples"):
        bad = conn.execute(f"SELECT id, content FROM {table} WHERE json_valid(content) = 0"
                           ).fetchall()
        for row_id, content in bad:
            try:
                fixed = json.dumps(finite(json.loads(content)), ensure_ascii=False)
            except ValueError:
                continue  # not JSON at all: leave it for `altool check` to report
            conn.execute(f"UPDATE {table} SET content = ? WHERE id = ?", (fixed, row_id))
