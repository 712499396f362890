"""The SQLite store: sources of unlabeled examples, datasets of answers.

One file holds everything. WAL mode and a busy timeout let a background worker read while the
UI writes, and let two sessions share a database. Every write that matters is one transaction:
an import either lands whole or not at all; an answer is committed before ``add_answer``
returns. No SQL is built from user input: names are always bound parameters.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AltoolError
from ..io.hashing import hash_text, set_hashes
from ..io.loaders import Record
from ..safe import is_unsafe, visible
from .schema import SCHEMA_VERSION, upgrade

if TYPE_CHECKING:
    import numpy as np

BUSY_TIMEOUT_S = 30.0
CLAIM_TTL_S = 1800.0  # a claim older than this is stale even if its session lives

ANSWERS = ("accept", "reject", "ignore")
# the ``meta`` keys the loop writes on a question: its score, and why it was asked
QUESTION_META = ("score", "pick", "pick_strategy", "pick_model", "pick_model_version",
                 "pick_encoder_share", "pick_guess", "pick_stop")
# Accepted labels per dataset (``stats``): a binary question's ``label``, a choice question's
# ``accept`` list, else the ``label`` of each span (NER)
_ACCEPTED_LABELS = (
    "SELECT json_extract(content, '$.label'), COUNT(*) FROM answers "
    "WHERE dataset_id = ? AND answer = 'accept' AND json_type(content, '$.accept') IS NULL "
    "AND json_extract(content, '$.label') IS NOT NULL GROUP BY 1",
    "SELECT j.value, COUNT(*) FROM answers, json_each(answers.content, '$.accept') j "
    "WHERE dataset_id = ? AND answer = 'accept' "
    "AND json_type(answers.content, '$.accept') = 'array' GROUP BY 1",
    "SELECT json_extract(j.value, '$.label'), COUNT(*) FROM answers, "
    "json_each(answers.content, '$.spans') j WHERE dataset_id = ? AND answer = 'accept' "
    "AND json_type(answers.content, '$.spans') = 'array' "
    "AND json_extract(answers.content, '$.label') IS NULL "
    "AND json_type(answers.content, '$.accept') IS NULL "
    "AND json_extract(j.value, '$.label') IS NOT NULL GROUP BY 1",
)


LOAD_CACHE_KB = 128 * 1024  # SQLite's page cache while a source is loaded (see add_source)
CHECKPOINT_WAIT_S = 1.0  # how long a compacted file waits for readers before it is left as is
LOCK_POLL_S = 0.1  # how often a write that may give up retries a locked database
# A vector (1.5 kB) is too big for a 4 kB page's rows in a WITHOUT ROWID table: SQLite moved
# each one's tail to an overflow page of its own, 4.7 kB on disk per vector. On 8 kB pages it
# stays in the row: 1.9 kB (benchmarks/RESULTS.md, scale).
VECTORS_PAGE_SIZE = 8192
VECTORS_TABLE = ("CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, input_hash "
                 "INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, input_hash)) "
                 "WITHOUT ROWID")


class DatabaseLocked(AltoolError):
    """Another process held the database's write lock for as long as the caller would wait."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} stayed locked by another process (a long load or import?); "
                         "this answer was not stored")


class DatasetGone(AltoolError):
    """The dataset a session was storing answers in was dropped (by another command) while the
    session ran: the answer was not stored, and no later answer will be."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        super().__init__(f"dataset {dataset!r} was dropped while this session was running; "
                         "this answer was not stored, and the session stops")


def dumps(data: Any) -> str:
    """JSON for the database: never NaN or Infinity (not JSON; SQLite's JSON functions reject
    them, and every command reading the row would fail)."""
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise AltoolError("a value is NaN or infinite, which JSON can't hold; replace it with "
                          "null or a number") from None


# Every label a dataset's answers carry (accepted or not): a task's label, its options, spans
_ANSWER_LABELS = (
    "SELECT DISTINCT json_extract(content, '$.label') FROM answers WHERE dataset_id = ?",
    "SELECT DISTINCT json_extract(j.value, '$.id') FROM answers, "
    "json_each(answers.content, '$.options') j WHERE dataset_id = ? "
    "AND json_type(answers.content, '$.options') = 'array'",
    "SELECT DISTINCT json_extract(j.value, '$.label') FROM answers, "
    "json_each(answers.content, '$.spans') j WHERE dataset_id = ? "
    "AND json_type(answers.content, '$.spans') = 'array'",
)


@dataclass
class ImportResult:
    """What an import did: rows added, duplicates skipped, invalid lines skipped; for
    ``db-in``, answers whose ``_input_hash`` was not altool's for their text (``foreign``), and
    answers whose hashes ``--rehash`` changed (``rehashed``)."""

    added: int = 0
    duplicates: int = 0
    skipped: int = 0
    foreign: int = 0
    rehashed: int = 0


@dataclass(frozen=True)
class SourceDrop:
    """What dropping a source deleted: its examples, and the cached vectors of its texts."""

    examples: int
    vectors: int


class SourceInUse(AltoolError):
    """A source still holds the texts of a dataset's answers (``drop --source`` without
    ``--force``)."""

    def __init__(self, name: str, users: dict[str, int]) -> None:
        self.users = users
        kind = "dataset" if len(users) == 1 else "datasets"
        listed = ", ".join(f"{dataset} ({n:,} answers)" for dataset, n in users.items())
        super().__init__(
            f"source {name!r} holds the texts answered in {kind} {listed}: their sessions go "
            "on through this source, and could not after it is dropped. Drop the source "
            "anyway with --force (the answers stay, each with its own text), or drop the "
            f"{kind} first")


@dataclass(frozen=True)
class SourceRow:
    """A stored unlabeled example: its row id, input hash and text."""

    id: int
    input_hash: int
    text: str


class Store:
    """Python API over one altool SQLite database."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise AltoolError(f"{self.path}: no such database (a command that only reads "
                              "creates none); check --db, or load examples first with "
                              "altool load")
        if self.path.is_dir():
            raise AltoolError(f"{self.path}: is a folder, not a database file")
        self.conn: sqlite3.Connection | None = None
        self._vector_conn: sqlite3.Connection | None = None
        self._vectors_off = False  # the vector cache could not be used: work without it
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new folder: private
            self.conn = sqlite3.connect(
                str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                check_same_thread=False,
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            self._migrate()
        except BaseException as err:
            if self.conn is not None:
                self.conn.close()
            if isinstance(err, sqlite3.DatabaseError):
                raise AltoolError(explain_db_error(self.path, err)) from None
            if isinstance(err, OSError):
                raise AltoolError(f"{self.path}: can't open the database ({err})") from None
            raise
        self._db = None
        self._dataset_ids: dict[str, int] = {}

    @property
    def db(self):
        """The same connection as a ``sqlite_utils.Database``, for ad-hoc queries in Python
        (``store.db["answers"].rows_where(...)``). Imported on first use: it costs start-up."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    # -- lifecycle -------------------------------------------------------------------------
    def _migrate(self) -> None:
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        version = 0
        if "meta" in tables:
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise AltoolError(
                    f"{self.path} was written by a newer altool (schema {version}, this one "
                    f"reads {SCHEMA_VERSION}); upgrade altool with: pip install -U altool"
                )
            if version == SCHEMA_VERSION:
                return
        elif tables - {"sqlite_sequence"}:
            raise AltoolError(
                f"{self.path} is an SQLite database but not an altool one; "
                "pass another path with --db"
            )
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            upgrade(self.conn, version)
            self.conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not already (it does on a full disk
        or an I/O error)."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._vector_conn is not None:
            self._vector_conn.close()
            self._vector_conn = None
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, fn, *args, wait: Callable[[], bool] | None = None, **kwargs):
        """Run ``fn`` inside one IMMEDIATE transaction; roll back on any error. With ``wait``,
        a database locked by another process is retried every 0.1 s for as long as ``wait()``
        says so (the caller can give up at any moment), instead of one 30 s block."""
        self._begin(wait)
        try:
            result = fn(*args, **kwargs)
            self.conn.execute("COMMIT")
            return result
        except sqlite3.DatabaseError as err:
            self._rollback()
            raise AltoolError(explain_db_error(self.path, err)) from None
        except BaseException:
            self._rollback()
            raise

    def _begin(self, wait: Callable[[], bool] | None) -> None:
        if wait is None:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                raise AltoolError(explain_db_error(self.path, err)) from None
            return
        self.conn.execute(f"PRAGMA busy_timeout={int(LOCK_POLL_S * 1000)}")
        try:
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as err:
                    if "locked" not in str(err) and "busy" not in str(err):
                        raise AltoolError(explain_db_error(self.path, err)) from None
                    if not wait():
                        raise DatabaseLocked(self.path) from None
        finally:
            self.conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")

    # -- sources -----------------------------------------------------------------------------
    def source_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM sources ORDER BY name")]

    def has_source(self, name: str) -> bool:
        return self._source_id(name) is not None

    def _source_id(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def require_source(self, name: str) -> int:
        source_id = self._source_id(name)
        if source_id is None:
            known = ", ".join(self.source_names()) or "none yet"
            raise AltoolError(
                f"no source named {name!r} (sources: {known}); load one with: "
                f"altool load {name} FILE.jsonl"
            )
        return source_id

    def add_source(
        self, name: str, records: Iterable[Record], batch_size: int = 10_000
    ) -> ImportResult:
        """Store ``records`` under source ``name`` in one transaction, deduplicated by input hash.

        If reading ``records`` raises (a bad line), nothing is written."""
        check_name(name, "source")

        def run() -> ImportResult:
            result = ImportResult()
            self.conn.execute(
                "INSERT OR IGNORE INTO sources (name, created) VALUES (?, ?)", (name, time.time())
            )
            source_id = self._source_id(name)
            last_id = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM examples").fetchone()[0]
            sql = (
                "INSERT OR IGNORE INTO examples (source_id, input_hash, text, content) "
                "VALUES (?, ?, ?, ?)"
            )
            before = self.conn.total_changes
            batch: list[tuple[int, int, str, str]] = []
            seen = 0
            for record in records:
                eg = record.example
                text = eg["text"]
                if "_input_hash" in eg and isinstance(eg["_input_hash"], int):
                    h = eg["_input_hash"]
                elif "image" not in eg and "html" not in eg and "input" not in eg:
                    h = hash_text(text)  # the common case, without building a dict to hash
                else:
                    h = set_hashes(eg)["_input_hash"]
                content = record.raw if record.raw is not None else dumps(eg)
                batch.append((source_id, h, text, content))
                seen += 1
                if len(batch) >= batch_size:
                    self.conn.executemany(sql, batch)
                    batch.clear()
            if batch:
                self.conn.executemany(sql, batch)
            result.added = self.conn.total_changes - before
            result.duplicates = seen - result.added
            if result.added:  # new rows are exactly the ids above last_id
                self.conn.execute(
                    "UPDATE sources SET n_examples = n_examples + ?, "
                    "min_id = COALESCE(min_id, (SELECT MIN(id) FROM examples WHERE id > ?)), "
                    "max_id = (SELECT MAX(id) FROM examples) WHERE id = ?",
                    (result.added, last_id, source_id),
                )
            return result

        with self._big_cache():
            return self._write(run)

    @contextmanager
    def _big_cache(self) -> Iterator[None]:
        """A bigger page cache for a transaction that touches a whole source: the unique
        index takes (or gives up) each row's hash at a random place, and with SQLite's
        default 2 MB cache nearly every row spilled a page to the write-ahead log and read
        another back, so a load or a drop slowed as the index grew (benchmarks/RESULTS.md,
        scale). The pages are allocated only as used."""
        before = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size={-LOAD_CACHE_KB}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size={before}")

    def count_source(self, name: str) -> int:
        source_id = self.require_source(name)
        return self.conn.execute(
            "SELECT n_examples FROM sources WHERE id = ?", (source_id,)
        ).fetchone()[0]

    def source_id_range(self, name: str) -> tuple[int, int]:
        """Lowest and highest row id of the source (kept in ``sources``: no table scan)."""
        source_id = self.require_source(name)
        lo, hi = self.conn.execute(
            "SELECT min_id, max_id FROM sources WHERE id = ?", (source_id,)
        ).fetchone()
        return (lo or 0, hi or 0)

    def iter_source(
        self, name: str, chunk_size: int = 5_000, after_id: int = 0
    ) -> Iterator[list[SourceRow]]:
        """Yield the source's rows in chunks, in id order, starting after ``after_id``.

        Each chunk walks the row ids from where the last one stopped (``+source_id``: not
        through the ``(source_id, input_hash)`` index, which made every chunk read and sort
        the whole source, so a pass over 10M rows read it 2,000 times)."""
        source_id = self.require_source(name)
        lo, hi = self.source_id_range(name)
        last = max(after_id, lo - 1)
        while True:
            rows = self.conn.execute(
                "SELECT id, input_hash, text FROM examples WHERE id > ? AND id <= ? "
                "AND +source_id = ? ORDER BY id LIMIT ?",
                (last, hi, source_id, chunk_size),
            ).fetchall()
            if not rows:
                return
            yield [SourceRow(*r) for r in rows]
            last = rows[-1][0]

    def sample_source(self, name: str, n: int, seed: int | None = None) -> list[SourceRow]:
        """About ``n`` random rows of a source, without reading the whole source."""
        source_id = self.require_source(name)
        lo, hi = self.source_id_range(name)
        total = self.count_source(name)
        if hi == 0 or total == 0:
            return []
        if total <= n * 2:
            rows = self.conn.execute(
                "SELECT id, input_hash, text FROM examples WHERE source_id = ?", (source_id,)
            ).fetchall()
            random.Random(seed).shuffle(rows)
            return [SourceRow(*r) for r in rows[:n]]
        rng = random.Random(seed)
        wanted = sorted({rng.randint(lo, hi) for _ in range(int(n * 1.3) + 10)})
        rows = []
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            rows += self.conn.execute(
                "SELECT id, input_hash, text FROM examples "
                f"WHERE +source_id = ? AND id IN ({marks})",  # + : look up by rowid
                (source_id, *part),
            ).fetchall()
        rng.shuffle(rows)
        return [SourceRow(*r) for r in rows[:n]]

    def get_examples(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Full example dicts (with ``_input_hash``) for the given row ids."""
        out: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            marks = ",".join("?" * len(part))
            for row_id, h, content in self.conn.execute(
                f"SELECT id, input_hash, content FROM examples WHERE id IN ({marks})", part
            ):
                eg = json.loads(content)
                eg["_input_hash"] = h
                out[row_id] = eg
        return out

    def source_users(self, name: str) -> dict[str, int]:
        """Per dataset, how many of its answers are to texts of source ``name`` (the datasets
        whose sessions go on through the source)."""
        return self._source_users(self.require_source(name))

    def _source_users(self, source_id: int) -> dict[str, int]:
        return dict(self.conn.execute(
            "SELECT d.name, COUNT(*) FROM answers a JOIN datasets d ON d.id = a.dataset_id "
            "WHERE a.input_hash IN (SELECT input_hash FROM examples WHERE source_id = ?) "
            "GROUP BY d.name ORDER BY d.name", (source_id,)).fetchall())

    def drop_source(self, name: str, *, force: bool = False) -> SourceDrop:
        """Delete a source and its examples in one transaction, and the cached vectors of its
        texts that no other source holds and no answer is to. Refused
        (:class:`SourceInUse`, nothing deleted) while a dataset has answers to its texts,
        unless ``force``; the check runs inside the deleting transaction, so an answer stored
        meanwhile can't slip past it. The vector cache is a file of its own: its vectors go
        in a second transaction (if that fails, they stay: a cache, never wrong)."""
        source_id = self.require_source(name)

        def run() -> tuple[int, int, set[int]]:
            users = self._source_users(source_id)
            if users and not force:
                raise SourceInUse(name, users)
            # vectors are cached under the text's hash, which is the input hash unless the
            # example came with an ``_input_hash`` of its own: both go
            # Only hashes that have a vector are kept (memory and time follow the cache,
            # not the source: 10M examples held 20M hashes), and nothing is scanned when
            # nothing is cached.
            unused: set[int] = set()
            caches = self._caches()
            rows = self.conn.execute(
                "SELECT input_hash, text FROM examples WHERE source_id = ? AND input_hash NOT "
                "IN (SELECT input_hash FROM examples WHERE source_id != ?) AND input_hash NOT "
                "IN (SELECT input_hash FROM answers)", (source_id, source_id)) if caches else None
            while rows is not None and (part := rows.fetchmany(10_000)):
                candidates = list({h for row in part for h in (row[0], hash_text(row[1]))})
                for conn, models in caches:
                    unused.update(_cached_of(conn, models, candidates))
            legacy = _delete_vectors(self.conn, unused)  # cached by an older altool, here
            # in row id order (through the index, a 10M-row source's rows were deleted at
            # random places of a 4 GB table: 355 s); its rows all lie in [min_id, max_id]
            lo, hi = self.conn.execute("SELECT min_id, max_id FROM sources WHERE id = ?",
                                       (source_id,)).fetchone()
            n = self.conn.execute("DELETE FROM examples WHERE id BETWEEN ? AND ? AND "
                                  "+source_id = ?", (lo or 0, hi or 0, source_id)).rowcount
            self.conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            return n, legacy, unused

        with self._big_cache():
            n, legacy, unused = self._write(run)
        return SourceDrop(examples=n, vectors=legacy + self._drop_cached_vectors(unused))

    def _caches(self) -> list[tuple[sqlite3.Connection, list[str]]]:
        """The connections that hold cached vectors (the vector cache's file, and the
        database for vectors an older altool cached there), each with its models."""
        out = []
        for conn in (self._vectors(create=False), self.conn):
            if conn is None:
                continue
            try:
                models = _cache_models(conn)
            except sqlite3.DatabaseError:
                if conn is self.conn:
                    raise
                continue  # a damaged cache: its vectors are left (never read by mistake)
            if models:
                out.append((conn, models))
        return out

    def _drop_cached_vectors(self, hashes: set[int]) -> int:
        """Delete the vector cache's vectors of ``hashes`` (all models) in one transaction;
        how many went (0 when there is no cache, or it can't be written)."""
        conn = self._vectors(create=False) if hashes else None
        if conn is None:
            return 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                n = _delete_vectors(conn, hashes)
                conn.execute("COMMIT")
                return n
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError:
            return 0  # left in the cache: vectors of texts no source holds are never read

    def reclaim_space(self) -> list[Path]:
        """Give the space of deleted rows back to the file system: ``VACUUM`` the database and
        the vector cache, then empty their write-ahead logs. Needs free disk space up to the
        database's size while it runs. Returns the files another process kept from shrinking
        now (it is reading them: they shrink when the last process closes them)."""
        busy = []
        for conn, path in ((self.conn, self.path), (self._vectors(create=False),
                                                    self.vectors_path)):
            if conn is None:
                continue
            try:
                conn.execute("VACUUM")
                conn.execute(f"PRAGMA busy_timeout={int(CHECKPOINT_WAIT_S * 1000)}")
                try:
                    if conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
                        busy.append(path)
                finally:
                    conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            except sqlite3.DatabaseError as err:
                raise AltoolError(explain_db_error(path, err)) from None
        return busy

    # -- datasets ----------------------------------------------------------------------------
    def dataset_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM datasets ORDER BY name")]

    def has_dataset(self, name: str) -> bool:
        return self._dataset_id(name) is not None

    def _dataset_id(self, name: str, fresh: bool = False) -> int | None:
        """The dataset's id (cached per name; ``fresh`` reads it again: another process may
        have dropped or created it)."""
        if name in self._dataset_ids and not fresh:
            return self._dataset_ids[name]
        row = self.conn.execute("SELECT id FROM datasets WHERE name = ?", (name,)).fetchone()
        if row:
            self._dataset_ids[name] = row[0]
            return row[0]
        self._dataset_ids.pop(name, None)
        return None

    def dataset_id(self, name: str) -> int | None:
        """The id of the dataset named ``name`` now, or None (read from the database)."""
        return self._dataset_id(name, fresh=True)

    def require_dataset(self, name: str) -> int:
        dataset_id = self._dataset_id(name)
        if dataset_id is None:
            known = ", ".join(self.dataset_names()) or "none yet"
            raise AltoolError(f"no dataset named {name!r} (datasets: {known})")
        return dataset_id

    def ensure_dataset(self, name: str, meta: dict[str, Any] | None = None) -> int:
        """The dataset's id, creating it (with ``meta``) if it does not exist."""
        check_name(name, "dataset")
        existing = self._dataset_id(name, fresh=True)
        if existing is not None:
            return existing
        return self._write(lambda: self._dataset_id(name, fresh=True)
                           or self._create_dataset(name, meta))

    def _create_dataset(self, name: str, meta: dict[str, Any] | None) -> int:
        """Insert the dataset (inside the caller's transaction); return its new id."""
        cur = self.conn.execute("INSERT INTO datasets (name, created, meta) VALUES (?, ?, ?)",
                                (name, time.time(), dumps(meta or {})))
        self._dataset_ids[name] = int(cur.lastrowid)
        return int(cur.lastrowid)

    def dataset_meta(self, name: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT meta FROM datasets WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else {}

    def set_dataset_meta(self, name: str, meta: dict[str, Any]) -> None:
        """Replace the dataset's meta (its label set, view, recipe)."""
        dataset_id = self.require_dataset(name)
        self._write(lambda: self.conn.execute("UPDATE datasets SET meta = ? WHERE id = ?",
                                              (dumps(meta), dataset_id)))

    def dataset_labels(self, name: str) -> list[str]:
        """The dataset's label set: the labels its sessions were started with (``meta``),
        else every label its answers carry (a binary label, choice options, span labels)."""
        labels = self.dataset_meta(name).get("labels")
        if isinstance(labels, list) and labels:
            return [str(x) for x in labels]
        dataset_id = self._dataset_id(name, fresh=True)
        if dataset_id is None:
            return []
        found: dict[str, None] = {}
        for query in _ANSWER_LABELS:
            for (label,) in self.conn.execute(query, (dataset_id,)):
                if label is not None:
                    found[str(label)] = None
        return list(found)

    def check_label_set(self, dataset: str, labels: Sequence[str], *,
                        add_labels: bool = False) -> list[str]:
        """Refuse a session whose ``labels`` bring labels the dataset has never had (a typo
        such as ``spma`` would otherwise start a new class silently), unless ``add_labels``:
        then they are added to the dataset's label set. A subset is fine (a session may ask
        about some labels only). Returns the dataset's labels after the check."""
        existing = self.dataset_labels(dataset) if self.has_dataset(dataset) else []
        new = [label for label in labels if label not in existing]
        if not existing or not new:
            return existing or list(labels)
        if not add_labels:
            raise AltoolError(
                f"dataset {dataset!r} has the labels {', '.join(existing)}; --label adds "
                f"{', '.join(new)}. Check the spelling, or pass --add-labels to add "
                f"{'it' if len(new) == 1 else 'them'} to the dataset")
        merged = [*existing, *new]
        self.set_dataset_meta(dataset, {**self.dataset_meta(dataset), "labels": merged})
        return merged

    @property
    def db_id(self) -> str:
        """This database's own id (made when it was created; kept by a move or a copy)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'db_id'").fetchone()
        return row[0]

    def model_state_path(self, dataset: str) -> Path:
        """Where the in-the-loop model of ``dataset`` in this database is saved between
        sessions: under this database's id and path, and the dataset's id (never reused), so a
        model belongs to one dataset of one database, and dropping the dataset drops it."""
        from ..paths import model_dir, safe_filename

        dataset_id = self.dataset_id(dataset)
        key = hashlib.blake2b(f"{self.db_id}|{self.path.resolve()}".encode(),
                              digest_size=6).hexdigest()
        name = f"{safe_filename(dataset)}-{dataset_id if dataset_id is not None else 'new'}"
        return model_dir() / key / f"{name}.joblib"

    def drop_dataset(self, name: str) -> int:
        """Delete a dataset, its answers (and rechecks) and its saved model; return how many
        answers went."""
        dataset_id = self.require_dataset(name)
        model = self.model_state_path(name)

        def run() -> int:
            sql = "DELETE FROM answers WHERE dataset_id = ?"
            n = self.conn.execute(sql, (dataset_id,)).rowcount
            self.conn.execute("DELETE FROM claims WHERE dataset = ?", (name,))
            self._drop_checks(dataset_id)
            self.conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))
            return n

        n = self._write(run)
        self._dataset_ids.pop(name, None)
        model.unlink(missing_ok=True)
        return n

    def has_checks(self) -> bool:
        """Whether the ``checks`` table exists (made by the first recheck: store.checks)."""
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'checks'").fetchone() is not None

    def _drop_checks(self, dataset_id: int, session_id: str | None = None) -> None:
        """Inside the caller's transaction: delete the dataset's rechecks (when a session is
        dropped: those made in it, and those of answers no longer stored)."""
        if not self.has_checks():
            return
        if session_id is None:
            self.conn.execute("DELETE FROM checks WHERE dataset_id = ?", (dataset_id,))
            return
        self.conn.execute(
            "DELETE FROM checks WHERE dataset_id = ? AND (session_id = ? OR answer_id NOT IN "
            "(SELECT id FROM answers WHERE dataset_id = ?))",
            (dataset_id, session_id, dataset_id))

    def session_rows(self, dataset: str) -> list[tuple]:
        """Per session of ``dataset`` (None: answers stored without one), oldest first:
        (session_id, answers, accepts, rejects, ignores, first and last timestamp, the
        answers' distinct ``_annotator_id`` values as a JSON array)."""
        dataset_id = self.require_dataset(dataset)
        annotator = "json_extract(content, '$._annotator_id')"
        return self.conn.execute(
            "SELECT session_id, COUNT(*), SUM(answer = 'accept'), SUM(answer = 'reject'), "
            f"SUM(answer = 'ignore'), MIN(timestamp), MAX(timestamp), json_group_array("
            f"DISTINCT {annotator}) FILTER (WHERE {annotator} IS NOT NULL) "
            "FROM answers WHERE dataset_id = ? GROUP BY session_id ORDER BY MIN(id)",
            (dataset_id,),
        ).fetchall()

    def drop_session(self, dataset: str, session_id: str) -> int:
        """Delete one session's answers from ``dataset`` and the dataset's saved model (the
        next session trains on what remains); return how many answers went. The session's
        rechecks go too, and rechecks of its answers."""
        dataset_id = self.require_dataset(dataset)
        model = self.model_state_path(dataset)

        def run() -> int:
            n = self.conn.execute("DELETE FROM answers WHERE dataset_id = ? AND session_id = ?",
                                  (dataset_id, session_id)).rowcount
            self.conn.execute("DELETE FROM claims WHERE dataset = ? AND session_id = ?",
                              (dataset, session_id))
            self._drop_checks(dataset_id, session_id)
            return n

        n = self._write(run)
        model.unlink(missing_ok=True)
        return n

    # -- answers -----------------------------------------------------------------------------
    @staticmethod
    def _answer_row(dataset_id: int, eg: dict[str, Any], session_id: str | None) -> tuple:
        set_hashes(eg)
        answer = eg.get("answer")
        if answer not in ANSWERS:
            raise AltoolError(f"answer must be one of {', '.join(ANSWERS)}, got {answer!r}")
        eg.setdefault("_timestamp", int(time.time()))
        if session_id is not None:
            eg.setdefault("_session_id", session_id)
        return (
            dataset_id, eg["_input_hash"], eg["_task_hash"], answer, eg.get("_session_id"),
            time.time(), dumps(eg),
        )

    def add_answer(self, dataset: str, eg: dict[str, Any], session_id: str | None = None) -> int:
        """Store one answered task and commit before returning; return its answer id (the
        dataset is created if it is new)."""
        return self.answer_into(dataset, eg, session_id)[0]

    def answer_into(self, dataset: str, eg: dict[str, Any], session_id: str | None = None, *,
                    dataset_id: int | None = None, meta: dict[str, Any] | None = None,
                    wait: Callable[[], bool] | None = None) -> tuple[int, int]:
        """Store one answered task and commit before returning; return ``(answer id, dataset
        id)``. With ``dataset_id`` (the id a session holds on to) the answer goes to that very
        dataset or nowhere: if it was dropped meanwhile, :class:`DatasetGone` is raised and
        nothing is written (a dataset made later under the same name has another id). Without
        it, the dataset named is used, created with ``meta`` in the same transaction if new."""
        check_name(dataset, "dataset")

        def run() -> tuple[int, int]:
            if dataset_id is None:
                target = self._dataset_id(dataset, fresh=True)
                if target is None:
                    target = self._create_dataset(dataset, meta)
            else:
                row = self.conn.execute("SELECT name FROM datasets WHERE id = ?",
                                        (dataset_id,)).fetchone()
                if row is None or row[0] != dataset:
                    raise DatasetGone(dataset)
                target = dataset_id
            row = self._answer_row(target, eg, session_id)
            cur = self.conn.execute(
                "INSERT INTO answers (dataset_id, input_hash, task_hash, answer, session_id, "
                "timestamp, content) VALUES (?, ?, ?, ?, ?, ?, ?)", row,
            )
            return int(cur.lastrowid), target

        return self._write(run, wait=wait)

    def add_answers(
        self, dataset: str, examples: Iterable[dict[str, Any]], session_id: str | None = None
    ) -> int:
        """Store many answered tasks in one transaction (all or nothing)."""
        check_name(dataset, "dataset")

        def run() -> int:
            dataset_id = self._dataset_id(dataset, fresh=True) or \
                self._create_dataset(dataset, None)
            n = 0
            sql = (
                "INSERT INTO answers (dataset_id, input_hash, task_hash, answer, session_id, "
                "timestamp, content) VALUES (?, ?, ?, ?, ?, ?, ?)"
            )
            batch = []
            for eg in examples:
                batch.append(self._answer_row(dataset_id, eg, session_id))
                if len(batch) >= 5000:
                    self.conn.executemany(sql, batch)
                    n += len(batch)
                    batch.clear()
            if batch:
                self.conn.executemany(sql, batch)
                n += len(batch)
            return n

        try:
            return self._write(run)
        except BaseException:
            self._dataset_ids.pop(dataset, None)
            raise

    def import_answers(self, dataset: str, examples: Iterable[dict[str, Any]]) -> ImportResult:
        """Store answers read lazily (``db-in``) in one transaction, all or nothing, skipping
        each one already in the dataset (or earlier in ``examples``) with the same task hash,
        answer and content: ``added`` and ``duplicates`` say how many of each. Fields the
        store adds (``_timestamp`` when the answer had none) don't count as content."""
        check_name(dataset, "dataset")

        def run() -> ImportResult:
            existing = self._dataset_id(dataset, fresh=True)
            dataset_id = existing or self._create_dataset(dataset, None)
            result = ImportResult()
            seen: set[int] = set()
            sql = ("INSERT INTO answers (dataset_id, input_hash, task_hash, answer, session_id, "
                   "timestamp, content) VALUES (?, ?, ?, ?, ?, ?, ?)")
            batch: list[tuple] = []
            for eg in examples:
                set_hashes(eg)
                mark = _fingerprint(eg, keep_timestamp="_timestamp" in eg)
                if mark in seen or (existing is not None and self._has_answer(dataset_id, eg)):
                    result.duplicates += 1
                    continue
                seen.add(mark)
                batch.append(self._answer_row(dataset_id, eg, None))
                if len(batch) >= 5000:
                    self.conn.executemany(sql, batch)
                    batch.clear()
                result.added += 1
            if batch:
                self.conn.executemany(sql, batch)
            return result

        try:
            return self._write(run)
        except BaseException:
            self._dataset_ids.pop(dataset, None)
            raise

    def _has_answer(self, dataset_id: int, eg: dict[str, Any]) -> bool:
        """Whether the dataset holds this answer already (same task hash, answer, content)."""
        keep = "_timestamp" in eg
        mark = _fingerprint(eg, keep)
        for (content,) in self.conn.execute(
            "SELECT content FROM answers WHERE dataset_id = ? AND task_hash = ? AND answer = ?",
            (dataset_id, eg["_task_hash"], eg.get("answer")),
        ):
            try:
                if _fingerprint(json.loads(content), keep) == mark:
                    return True
            except ValueError:
                continue
        return False

    # -- claims: the question each live session is showing ---------------------------------
    def claim_task(self, dataset: str, question_hash: int, session_id: str,
                   by_input: bool = False) -> bool:
        """Reserve a question of ``dataset`` for ``session_id`` (dropping the session's other
        claims): False if it is answered already or shown by another live session.
        ``question_hash`` is the task hash, or with ``by_input`` the input hash (then any
        answer to the same input counts as answered). Claims are keyed by the dataset's name:
        a new dataset is created by its first answer, after the first claim."""
        column = "input_hash" if by_input else "task_hash"

        def run() -> bool:
            self.conn.execute(
                "DELETE FROM claims WHERE dataset = ? AND session_id = ? "
                "AND question_hash != ?", (dataset, session_id, question_hash),
            )
            if self.conn.execute(
                f"SELECT 1 FROM answers a JOIN datasets d ON d.id = a.dataset_id "
                f"WHERE d.name = ? AND a.{column} = ? LIMIT 1", (dataset, question_hash),
            ).fetchone():
                return False
            now = time.time()
            held = self.conn.execute(
                "SELECT session_id, host, pid, claimed_at FROM claims "
                "WHERE dataset = ? AND question_hash = ?", (dataset, question_hash),
            ).fetchone()
            if held and held[0] != session_id and claim_is_live(*held[1:], now):
                return False
            self.conn.execute(
                "INSERT OR REPLACE INTO claims (dataset, question_hash, session_id, host, "
                "pid, claimed_at) VALUES (?, ?, ?, ?, ?, ?)",
                (dataset, question_hash, session_id, socket.gethostname(), os.getpid(), now),
            )
            return True

        return self._write(run)

    def live_claim(self, dataset: str, session_id: str) -> tuple[str, int] | None:
        """(host, pid) of the running session ``session_id`` if it holds a live claim on
        ``dataset`` (a question on its screen), else None."""
        now = time.time()
        for host, pid, claimed_at in self.conn.execute(
            "SELECT host, pid, claimed_at FROM claims WHERE dataset = ? AND session_id = ?",
            (dataset, session_id),
        ):
            if claim_is_live(host, pid, claimed_at, now):
                return host, pid
        return None

    def release_claims(self, dataset: str, session_id: str) -> None:
        """Drop every claim of ``session_id`` on ``dataset`` (the session ends)."""
        self._write(lambda: self.conn.execute(
            "DELETE FROM claims WHERE dataset = ? AND session_id = ?", (dataset, session_id),
        ))

    def remove_answer(self, answer_id: int) -> None:
        """Take an answer back (undo), with any rechecks of it."""
        def run() -> None:
            self.conn.execute("DELETE FROM answers WHERE id = ?", (answer_id,))
            if self.has_checks():
                self.conn.execute("DELETE FROM checks WHERE answer_id = ?", (answer_id,))

        self._write(run)

    def iter_answers(
        self, dataset: str, answer: str | None = None, after_id: int = 0,
        session_id: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The dataset's answered tasks as stored, oldest first (only ``answer``, only
        ``session_id``'s when given)."""
        dataset_id = self.require_dataset(dataset)
        sql = "SELECT id, content FROM answers WHERE dataset_id = ? AND id > ?"
        params: list[Any] = [dataset_id, after_id]
        if answer is not None:
            sql += " AND answer = ?"
            params.append(answer)
        if session_id is not None:
            sql += " AND session_id = ?"
            params.append(session_id)
        for _row_id, content in self.conn.execute(sql + " ORDER BY id", params):
            yield json.loads(content)

    def latest_meta(self, dataset: str, key: str) -> Any:
        """``meta[key]`` of the newest answer of ``dataset`` that has it (None if none does):
        read from the newest answer back, so usually one row."""
        dataset_id = self.require_dataset(dataset)
        row = self.conn.execute(
            "SELECT json_extract(content, ?) FROM answers WHERE dataset_id = ? AND "
            "json_extract(content, ?) IS NOT NULL ORDER BY id DESC LIMIT 1",
            (f'$.meta."{key}"', dataset_id, f'$.meta."{key}"')).fetchone()
        return None if row is None else row[0]

    def count_answers(self, dataset: str) -> int:
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return 0
        return self.conn.execute(
            "SELECT COUNT(*) FROM answers WHERE dataset_id = ?", (dataset_id,)
        ).fetchone()[0]

    def task_hashes(self, datasets: Sequence[str], excluded: Sequence[str] = ()) -> set[int]:
        """Task hashes answered in any of ``datasets`` (unknown names are ignored) or in any of
        the ``excluded`` ones (``--exclude``): a dataset's name, or else a session id
        (``DATASET-NAME``: what one annotator answered, as Prodigy's session datasets)."""
        return self._answered_hashes("task_hash", datasets, excluded)

    def input_hashes(self, datasets: Sequence[str], excluded: Sequence[str] = ()) -> set[int]:
        """Input hashes answered in any of ``datasets`` or ``excluded`` (as
        :meth:`task_hashes`)."""
        return self._answered_hashes("input_hash", datasets, excluded)

    def _answered_hashes(self, column: str, datasets: Sequence[str],
                         excluded: Sequence[str]) -> set[int]:
        assert column in ("task_hash", "input_hash")  # a column name, never user input
        out: set[int] = set()
        for name, sessions_too in [*((d, False) for d in datasets),
                                   *((e, True) for e in excluded)]:
            dataset_id = self._dataset_id(name)
            if dataset_id is not None:
                rows = self.conn.execute(
                    f"SELECT {column} FROM answers WHERE dataset_id = ?", (dataset_id,))
            elif sessions_too:  # never for a session's own dataset: it is a dataset or new
                rows = self.conn.execute(
                    f"SELECT {column} FROM answers WHERE session_id = ?", (name,))
            else:
                continue
            out.update(r[0] for r in rows)
        return out

    def unknown_names(self, names: Sequence[str]) -> list[str]:
        """The ``names`` that are neither a dataset nor a session id with answers."""
        return [n for n in names if self._dataset_id(n) is None and self.conn.execute(
            "SELECT 1 FROM answers WHERE session_id = ? LIMIT 1", (n,)).fetchone() is None]

    def last_answered_row(self, source: str, dataset: str, pick: str) -> int:
        """The highest row id of ``source`` among its inputs answered in ``dataset`` through
        questions picked by ``pick`` (``meta.pick``); 0 if there are none."""
        source_id = self.require_source(source)
        dataset_id = self._dataset_id(dataset)
        if dataset_id is None:
            return 0
        row = self.conn.execute(
            "SELECT MAX(e.id) FROM answers a JOIN examples e "
            "ON e.source_id = ? AND e.input_hash = a.input_hash "
            "WHERE a.dataset_id = ? AND json_extract(a.content, '$.meta.pick') = ?",
            (source_id, dataset_id, pick),
        ).fetchone()
        return int(row[0] or 0)

    # -- health ----------------------------------------------------------------------------
    def check(self, quick: bool = False) -> list[str]:
        """Problems with this database, or ``[]``: SQLite's integrity check (``quick``: its
        faster form, which skips index contents), JSON that SQLite's functions can't read,
        answers and examples whose dataset or source is gone."""
        try:
            rows = self.conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check"
                                     ).fetchall()
            problems = [r[0] for r in rows if r[0] != "ok"]
            if problems:
                return problems
            for table in ("answers", "examples"):
                bad = self.conn.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE json_valid(content) = 0").fetchone()[0]
                if bad:
                    problems.append(f"{bad:,} rows of {table} hold content that is not JSON")
            for table, column, parent in (("answers", "dataset_id", "datasets"),
                                          ("examples", "source_id", "sources")):
                orphans = self.conn.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE {column} NOT IN "
                    f"(SELECT id FROM {parent})").fetchone()[0]
                if orphans:
                    problems.append(f"{orphans:,} rows of {table} belong to no {parent[:-1]}")
            return problems
        except sqlite3.DatabaseError as err:
            return [str(err)]

    def require_intact(self) -> None:
        """Refuse to write into a damaged database (SQLite's quick check: ~0.3 s for a
        million examples): the damage is reported before anything is stored."""
        problems = self.check(quick=True)
        if problems:
            lines = [line for p in problems for line in p.splitlines()
                     if line.strip() and not line.startswith("***")]
            detail = "; ".join(lines[:2]) + (f"; and {len(lines) - 2:,} more" if len(lines) > 2
                                             else "")
            raise AltoolError(damaged(self.path, f"{detail}. Nothing was written"))

    # -- embedding cache ---------------------------------------------------------------------
    @property
    def vectors_path(self) -> Path:
        """The vector cache's own file, beside the database (``altool.db`` ->
        ``altool.db-vectors``, as SQLite names its ``-wal``): the background encoder's writes
        there never touch the file whose transactions an answer waits for (in the same file
        they put the keypress p99 at 55 ms while a pool was encoded, 18 ms in a file of its
        own: benchmarks/RESULTS.md). A cache: deleting it only costs encoding again."""
        return self.path.with_name(self.path.name + "-vectors")

    def _vectors(self, create: bool) -> sqlite3.Connection | None:
        """The vector cache's connection (opened on first use); None while the file does not
        exist and ``create`` is false, or when it can't be used (damaged, not writable): the
        cache is then off for this store, and the work goes on without it."""
        if self._vectors_off:
            if self._vector_conn is not None:
                self._vector_conn.close()
                self._vector_conn = None
            return None
        if self._vector_conn is None:
            if not create and not self.vectors_path.exists():
                return None
            self._vector_conn = self._open_vectors()
        return self._vector_conn

    def _open_vectors(self) -> sqlite3.Connection | None:
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            conn = None
            try:
                conn = sqlite3.connect(str(self.vectors_path), timeout=BUSY_TIMEOUT_S,
                                       isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA page_size={VECTORS_PAGE_SIZE}")  # a new file only
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(VECTORS_TABLE)
                return conn
            except sqlite3.OperationalError as err:
                if conn is not None:
                    conn.close()
                # another connection is creating the file right now: WAL's switch doesn't
                # wait on the busy timeout, so wait here
                if "locked" in str(err) and time.monotonic() < deadline:
                    time.sleep(0.01)
                    continue
                self._vectors_off = True
                return None
            except sqlite3.DatabaseError:
                if conn is not None:
                    conn.close()
                self._vectors_off = True
                return None

    def get_embeddings(self, model: str, hashes: Sequence[int]) -> dict[int, np.ndarray]:
        """Cached vectors of ``model`` for the given text hashes (missing ones are left out).
        Vectors cached in the database itself by an older altool are found too."""
        import numpy as np

        return {h: np.frombuffer(blob, dtype=np.float32)
                for h, blob in self._cached_rows(model, hashes, with_vectors=True)}

    def cached_hashes(self, model: str, hashes: Sequence[int]) -> set[int]:
        """Which of ``hashes`` have a cached vector of ``model``, without reading the vectors
        (a key lookup each: ``altool encode`` skips a finished chunk for this)."""
        return {h for h, _ in self._cached_rows(model, hashes, with_vectors=False)}

    def _cached_rows(self, model: str, hashes: Sequence[int], with_vectors: bool
                     ) -> Iterator[tuple[int, Any]]:
        """``(hash, vector blob or None)`` of each of ``hashes`` cached for ``model``: from the
        vector cache file, then (what it lacks) from the database itself (an older altool
        cached there). A damaged cache file turns the cache off instead of failing."""
        column = "vector" if with_vectors else "NULL"  # a fixed choice, never user input
        found: set[int] = set()
        unique = list(dict.fromkeys(hashes))
        for conn in (self._vectors(create=False), self.conn):
            if conn is None:
                continue
            todo = [h for h in unique if h not in found]
            try:
                for start in range(0, len(todo), 500):
                    part = todo[start : start + 500]
                    marks = ",".join("?" * len(part))
                    for h, blob in conn.execute(
                        f"SELECT input_hash, {column} FROM embeddings WHERE model = ? "
                        f"AND input_hash IN ({marks})", (model, *part)):
                        if h not in found:
                            found.add(h)
                            yield h, blob
            except sqlite3.DatabaseError as err:
                if conn is self.conn:
                    raise AltoolError(explain_db_error(self.path, err)) from None
                self._vectors_off = True  # a damaged cache: go on without it

    def add_embeddings(self, model: str, hashes: Sequence[int], vectors: Any) -> int:
        """Cache ``vectors`` (one float32 row per hash) in one transaction; return rows written."""
        import numpy as np

        vectors = np.asarray(vectors, dtype=np.float32)
        if len(hashes) != len(vectors):
            raise ValueError(f"{len(hashes)} hashes but {len(vectors)} vectors")
        rows = [(model, int(h), v.tobytes()) for h, v in zip(hashes, vectors, strict=True)]

        if not rows:
            return 0
        conn = self._vectors(create=True)
        if conn is None:  # the cache is off: the vectors are simply not kept
            return 0
        try:
            conn.execute("BEGIN IMMEDIATE")  # one transaction (the connection autocommits)
            try:
                conn.executemany("INSERT OR REPLACE INTO embeddings (model, input_hash, "
                                 "vector) VALUES (?, ?, ?)", rows)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back itself (disk full)
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as err:
            if "locked" in str(err):  # busy for 30 s: the database is in use elsewhere
                raise AltoolError(explain_db_error(self.vectors_path, err)) from None
            self._vectors_off = True  # full disk, damaged, read-only: go on without a cache
            return 0
        except sqlite3.DatabaseError:
            self._vectors_off = True
            return 0
        return len(rows)

    def stats(self, dataset: str | None = None) -> dict[str, Any]:
        """Counts per dataset (answers, accepted labels, sessions, last activity) and source."""
        if dataset is not None:
            self.require_dataset(dataset)
        datasets: dict[str, Any] = {}
        for dataset_id, name, created in self.conn.execute(
            "SELECT id, name, created FROM datasets ORDER BY name"
        ).fetchall():
            if dataset is not None and name != dataset:
                continue
            answers = {a: 0 for a in ANSWERS}
            for ans, n in self.conn.execute(
                "SELECT answer, COUNT(*) FROM answers WHERE dataset_id = ? GROUP BY answer",
                (dataset_id,),
            ):
                answers[ans] = n
            labels: dict[str, int] = {}
            for query in _ACCEPTED_LABELS:
                for label, n in self.conn.execute(query, (dataset_id,)):
                    labels[str(label)] = labels.get(str(label), 0) + n
            sessions, last = self.conn.execute(
                "SELECT COUNT(DISTINCT session_id), MAX(timestamp) FROM answers "
                "WHERE dataset_id = ?",
                (dataset_id,),
            ).fetchone()
            datasets[name] = {
                "total": sum(answers.values()),
                "answers": answers,
                "labels": dict(sorted(labels.items())),
                "sessions": sessions,
                "created": created,
                "last_activity": last,
            }
        sources: dict[str, Any] = {}
        if dataset is None:
            for name, total, created in self.conn.execute(
                "SELECT name, n_examples, created FROM sources ORDER BY name"
            ):
                sources[name] = {"total": total, "created": created}
        return {"datasets": datasets, "sources": sources}


def _cache_models(conn: sqlite3.Connection) -> list[str]:
    """The models that have vectors in an ``embeddings`` table: one primary-key seek per
    model, never a scan (the table holds 1.5 kB per vector)."""
    models: list[str] = []
    row = conn.execute("SELECT MIN(model) FROM embeddings").fetchone()
    while row and row[0] is not None:
        models.append(row[0])
        row = conn.execute("SELECT MIN(model) FROM embeddings WHERE model > ?",
                           (row[0],)).fetchone()
    return models


def _cached_of(conn: sqlite3.Connection, models: list[str], hashes: list[int]) -> set[int]:
    """Which of ``hashes`` have a vector of one of ``models`` (primary-key lookups)."""
    out: set[int] = set()
    for model in models:
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            out.update(h for (h,) in conn.execute(
                "SELECT input_hash FROM embeddings WHERE model = ? AND input_hash IN "
                f"({','.join('?' * len(part))})", (model, *part)))
    return out


def _delete_vectors(conn: sqlite3.Connection, hashes: set[int]) -> int:
    """Delete the ``embeddings`` rows of ``hashes`` (every model) inside the caller's
    transaction, by primary key (a pass over the table would read every vector); how many
    went."""
    if not hashes:
        return 0
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS drop_hashes (h INTEGER PRIMARY KEY)")
    try:
        conn.executemany("INSERT OR IGNORE INTO drop_hashes (h) VALUES (?)",
                         ((h,) for h in hashes))
        return sum(conn.execute("DELETE FROM embeddings WHERE model = ? AND input_hash IN "
                                "(SELECT h FROM drop_hashes)", (model,)).rowcount
                   for model in _cache_models(conn))
    finally:
        conn.execute("DELETE FROM drop_hashes")


def claim_is_live(host: str, pid: int, claimed_at: float, now: float) -> bool:
    """A claim holds while it is younger than ``CLAIM_TTL_S`` and, when it was made on this
    machine, its process still runs (a session killed with ``kill -9`` frees its claim)."""
    if now - claimed_at > CLAIM_TTL_S:
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _fingerprint(eg: dict[str, Any], keep_timestamp: bool) -> int:
    """An answer's content as a number: equal for the same content (key order aside)."""
    content = eg if keep_timestamp else {k: v for k, v in eg.items() if k != "_timestamp"}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def check_name(name: str, kind: str) -> str:
    """Dataset, source and label names: any printable text, 1-200 characters, no leading dash.
    Control characters (C0, DEL, C1), bidi controls and line separators are refused: they
    would reach a terminal or reorder what it shows."""
    if not isinstance(name, str) or not name.strip():
        raise AltoolError(f"{kind} name can't be empty")
    if len(name) > 200:
        raise AltoolError(f"{kind} name is longer than 200 characters")
    if name.startswith("-"):
        raise AltoolError(f"{kind} name {name!r} can't start with '-' (it reads like an option)")
    bad = sorted({visible(c, one_line=True) for c in name
                  if is_unsafe(c) or c in "\t\n" or "\ud800" <= c <= "\udfff"})
    if bad:
        raise AltoolError(f"{kind} name '{visible(name, one_line=True)}' contains control "
                          f"characters ({', '.join(bad)}); use printable text")
    return name


def damaged(path: Path, detail: str) -> str:
    """What to say about a damaged database, and what to do."""
    return (f"{path} is damaged (SQLite: {detail}). See what is wrong with: altool --db "
            f"{path} check. Then restore it from a backup, or copy out what is still "
            f"readable: sqlite3 {path} .recover | sqlite3 recovered.db (and use --db "
            "recovered.db)")


def explain_db_error(path: Path, err: sqlite3.DatabaseError) -> str:
    text = str(err)
    if "malformed" in text or "corrupt" in text:
        return damaged(path, text)
    if "file is not a database" in text:
        return (f"{path} is not an altool database (SQLite: {text}); pass another path with "
                "--db. If it was one, its first page is damaged: restore it from a backup")
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only; make it writable or pass another path with --db"
    if "locked" in text or "busy" in text:
        return f"{path} stayed locked by another process for {BUSY_TIMEOUT_S:.0f}s; try again"
    if "disk is full" in text or "full" in text:
        return f"{path}: the disk is full; nothing was written. Free some space and try again"
    if "disk I/O error" in text:
        return (f"{path}: writing failed (SQLite says: {text}): the disk may be full or over a "
                "file size limit; nothing was written. Free some space and try again")
    if "unable to open" in text:
        return f"{path}: can't open the database ({text}); check the folder exists and is writable"
    return f"{path}: database error: {text}"
