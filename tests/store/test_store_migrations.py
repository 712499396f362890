"""Schema migrations: a database written by an older altool opens and upgrades in place."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.io.loaders import Record
from altool.store import SCHEMA_VERSION, Store

V1_SOURCES = """CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    created REAL NOT NULL)"""


def _schema_version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
    finally:
        conn.close()


def _tables(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def _make_older(path, records: list[Record], dropped_table: str, version: int) -> None:
    """Today's tables with ``records`` and one answer, minus ``dropped_table``, at ``version``."""
    with Store(path) as store:
        store.add_source("src", records)
        store.add_answer("ds", {"text": "one", "label": "A", "answer": "accept"})
    conn = sqlite3.connect(path)
    conn.execute(f"DROP TABLE {dropped_table}")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    conn.commit()
    conn.close()


def _make_v2(path) -> None:
    """A schema-2 database: today's tables without ``embeddings``, version 2."""
    _make_older(path, [Record(1, {"text": "one"}), Record(2, {"text": "two"})], "embeddings", 2)


def _make_v1(path) -> None:
    """A schema-1 database: ``sources`` without the per-source counts, version 1."""
    _make_v2(path)
    conn = sqlite3.connect(path)
    conn.executescript(f"""
        ALTER TABLE sources RENAME TO old_sources;
        {V1_SOURCES};
        INSERT INTO sources (id, name, created) SELECT id, name, created FROM old_sources;
        DROP TABLE old_sources;
        UPDATE meta SET value = '1' WHERE key = 'schema_version';
    """)
    conn.commit()
    conn.close()


def test_current_schema_is_5():
    assert SCHEMA_VERSION == 5


def test_v2_upgrades_to_v3(tmp_path):
    path = tmp_path / "v2.db"
    _make_v2(path)
    assert "embeddings" not in _tables(path) and _schema_version(path) == 2
    with Store(path) as store:
        assert store.count_source("src") == 2
        assert store.count_answers("ds") == 1
        store.add_embeddings("m", [1, 2], np.eye(2, 4, dtype=np.float32))
        got = store.get_embeddings("m", [2, 3])
    assert set(got) == {2} and got[2].tolist() == [0, 1, 0, 0]
    assert _schema_version(path) == SCHEMA_VERSION
    assert "embeddings" in _tables(path)


def test_v1_upgrades_through_v2_to_v3(tmp_path):
    path = tmp_path / "v1.db"
    _make_v1(path)
    assert _schema_version(path) == 1
    with Store(path) as store:
        assert store.count_source("src") == 2  # the 1->2 step filled in the counts
        assert [r.text for chunk in store.iter_source("src") for r in chunk] == ["one", "two"]
        store.add_embeddings("m", [7], np.ones((1, 3), dtype=np.float32))
        assert store.get_embeddings("m", [7])[7].tolist() == [1, 1, 1]
    assert _schema_version(path) == SCHEMA_VERSION


def test_upgrade_is_idempotent(tmp_path):
    path = tmp_path / "v2.db"
    _make_v2(path)
    Store(path).close()
    with Store(path) as store:  # a second open finds the current schema, changes nothing
        assert store.count_answers("ds") == 1
    assert _schema_version(path) == SCHEMA_VERSION


def test_embedding_cache_round_trip(store):
    vectors = np.random.default_rng(0).random((3, 5)).astype(np.float32)
    assert store.add_embeddings("enc", [10, 11, 12], vectors) == 3
    got = store.get_embeddings("enc", [12, 10, 99, 10])
    assert sorted(got) == [10, 12]
    assert np.array_equal(got[12], vectors[2]) and got[10].dtype == np.float32
    assert store.get_embeddings("other-encoder", [10]) == {}  # keyed by model too
    store.add_embeddings("enc", [10], vectors[1:2])  # replacing a vector is allowed
    assert np.array_equal(store.get_embeddings("enc", [10])[10], vectors[1])
    assert store.add_embeddings("enc", [], np.zeros((0, 5))) == 0


def _make_v3(path) -> None:
    """A schema-3 database: today's tables without ``claims``, version 3."""
    _make_older(path, [Record(1, {"text": "one"})], "claims", 3)


def test_v3_upgrades_to_v4_with_claims(tmp_path):
    path = tmp_path / "v3.db"
    _make_v3(path)
    assert "claims" not in _tables(path) and _schema_version(path) == 3
    with Store(path) as store:
        assert store.count_answers("ds") == 1
        assert store.claim_task("ds", 42, "session-a")
        assert not store.claim_task("ds", 42, "session-b")  # held by a live session
    assert _schema_version(path) == SCHEMA_VERSION and "claims" in _tables(path)


def test_newer_schema_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "future.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(AltoolError, match="written by a newer altool .schema 99") as info:
        Store(path)
    assert "upgrade" in str(info.value)
    assert _schema_version(path) == 99


V4_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL,
    n_examples INTEGER NOT NULL DEFAULT 0, min_id INTEGER, max_id INTEGER);
CREATE TABLE examples (id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources(id),
    input_hash INTEGER NOT NULL, text TEXT NOT NULL, content TEXT NOT NULL,
    UNIQUE (source_id, input_hash));
CREATE TABLE datasets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE answers (id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    input_hash INTEGER NOT NULL, task_hash INTEGER NOT NULL, answer TEXT NOT NULL,
    session_id TEXT, timestamp REAL NOT NULL, content TEXT NOT NULL);
CREATE TABLE embeddings (model TEXT NOT NULL, input_hash INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, input_hash)) WITHOUT ROWID;
CREATE TABLE claims (dataset_id INTEGER NOT NULL, question_hash INTEGER NOT NULL,
    session_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, claimed_at REAL NOT NULL,
    PRIMARY KEY (dataset_id, question_hash)) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '4');
INSERT INTO sources VALUES (1, 'src', 0, 1, 1, 1);
INSERT INTO examples VALUES (1, 1, 11, 'one', '{"text": "one"}');
INSERT INTO datasets VALUES (1, 'kept', 0, '{"labels": ["A"]}');
INSERT INTO datasets VALUES (7, 'last', 0, '{}');
INSERT INTO answers VALUES (1, 7, 11, 22, 'accept', 's', 0,
    '{"text": "one", "label": "A", "answer": "accept", "_input_hash": 11, "_task_hash": 22}');
INSERT INTO claims VALUES (7, 22, 's', 'h', 1, 0);
"""


def test_v4_upgrades_to_v5_where_ids_are_never_reused(tmp_path):
    """Schema 5 rebuilds datasets and sources with AUTOINCREMENT (ids, data and references
    kept), keys claims by dataset name and gives the database an id of its own."""
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path)
    conn.executescript(V4_SCHEMA)
    conn.close()
    with Store(path) as store:
        assert store.dataset_id("kept") == 1 and store.dataset_id("last") == 7
        assert store.dataset_meta("kept") == {"labels": ["A"]}
        assert [eg["text"] for eg in store.iter_answers("last")] == ["one"]
        assert [r.text for chunk in store.iter_source("src") for r in chunk] == ["one"]
        assert len(store.db_id) == 32
        assert store.claim_task("last", 22, "session-a") is False  # answered already
        store.drop_dataset("last")
        assert store.ensure_dataset("new") == 8  # 7 is never handed out again
    assert _schema_version(path) == 5
    conn = sqlite3.connect(path)
    sql = {name: text for name, text in conn.execute("SELECT name, sql FROM sqlite_master")}
    conn.close()
    assert "AUTOINCREMENT" in sql["datasets"] and "AUTOINCREMENT" in sql["sources"]
    assert "REFERENCES sources(id)" in sql["examples"]  # the rebuild kept the references
    assert "dataset TEXT" in sql["claims"]
