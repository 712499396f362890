"""Rechecks (``--recheck SHARE``): earlier answers asked again, blind, to measure how
consistent the annotator is. A recheck's answer is stored as a *check* of the answer it
repeats, in a table of its own, never as a second vote: exports, ``train``, ``stats``, the
budget and the in-loop model see only ``answers``; ``progress`` compares each check with the
answer it repeats (self-agreement), and ``review --checks`` resolves the ones that differ.

The ``checks`` table is created by the first check (an additive table: a database without it
still opens in older altool versions, and reads here treat its absence as no checks).
"""

from __future__ import annotations

import bisect
import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import AltoolError
from ..io.prodigy import VIEW_IDS
from .database import DatasetGone, Store, dumps

RECHECK_MIN_AGE = 20  # answers after an answer before it may be rechecked (memory fades)
RECHECK_VIEWS = ("binary", "choice", "ner")  # answers whose decision is one key press

_TABLE = ("CREATE TABLE IF NOT EXISTS checks (id INTEGER PRIMARY KEY AUTOINCREMENT, "
          "dataset_id INTEGER NOT NULL, answer_id INTEGER NOT NULL, task_hash INTEGER NOT NULL, "
          "session_id TEXT, timestamp REAL NOT NULL, content TEXT NOT NULL)")
_INDEX = "CREATE INDEX IF NOT EXISTS checks_by_dataset ON checks (dataset_id, answer_id)"
# what the recheck question must not carry over from the answer it repeats
_ANSWER_FIELDS = ("answer", "accept", "_session_id", "_annotator_id", "_timestamp",
                  "_seconds")


def check_recheck(share: Any, view: str) -> float:
    """``--recheck SHARE``: a share in [0, 0.5], for views whose answers a recheck can repeat."""
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 0.5:
        raise AltoolError(f"--recheck must be a share between 0 and 0.5 (e.g. 0.03), got "
                          f"{share!r}")
    if share and view not in RECHECK_VIEWS:
        raise AltoolError(f"--recheck works with the {', '.join(RECHECK_VIEWS)} views (one "
                          f"key press decides an answer), not {view}")
    return float(share)


def pick_recheck(store: Store, dataset_id: int | None, view: str, rng: random.Random,
                 annotator_id: str | None = None) -> tuple[int, dict[str, Any]] | None:
    """An earlier answer of the dataset to ask again, at random, as ``(answer id, question
    task)``: accepted or rejected (not ignored), of ``view``'s kind, given by
    ``annotator_id`` when the session has one (self-consistency is one person's), at least
    ``RECHECK_MIN_AGE`` such answers old, and never rechecked before. None if there is none."""
    if dataset_id is None or view not in RECHECK_VIEWS:
        return None
    shape = "IS NOT NULL" if view == "choice" else "IS NULL"
    view_id = VIEW_IDS[view]  # answers stored before _view_id existed go by their shape
    where = ("dataset_id = ? AND answer IN ('accept', 'reject') AND "
             f"json_type(content, '$.accept') {shape} AND "
             "coalesce(json_extract(content, '$._view_id'), ?) = ?")
    params: list[Any] = [dataset_id, view_id, view_id]
    if annotator_id is not None:
        where += " AND json_extract(content, '$._annotator_id') = ?"
        params.append(annotator_id)
    answer_id = _draw(store, dataset_id, where, params, rng)
    if answer_id is None:
        return None
    (content,) = store.conn.execute("SELECT content FROM answers WHERE id = ?",
                                    (answer_id,)).fetchone()
    task = {k: v for k, v in json.loads(content).items() if k not in _ANSWER_FIELDS}
    return answer_id, task


RECHECK_DRAWS = 64  # random candidates tried before listing every eligible answer
RECHECK_AGE_SLICE = 500  # answers' ids read per query while counting an answer's age


def _draw(store: Store, dataset_id: int, where: str, params: list[Any],
          rng: random.Random) -> int | None:
    """A uniformly random id among the answers that meet ``where``, are at least
    ``RECHECK_MIN_AGE`` such answers old and were never rechecked.

    Filtering every answer's JSON in SQL took about 300 ms at 50,000 answers, on the UI
    thread between two questions. So the ids come from the index (cheap), the age is counted
    from the newest back a slice of ids at a time, and the pick is drawn among the older ids,
    each draw tested on its own: the first that passes is as random as a draw from the full
    list. Only when :data:`RECHECK_DRAWS` draws all fail (few eligible answers, e.g. mostly
    another annotator's) is the full list read."""
    def eligible(answer_id: int) -> bool:
        return store.conn.execute(f"SELECT 1 FROM answers WHERE id = ? AND {where}",
                                  (answer_id, *params)).fetchone() is not None

    ids = [row[0] for row in store.conn.execute(
        "SELECT id FROM answers WHERE dataset_id = ? ORDER BY id", (dataset_id,))]
    # the age counts the answers that could be rechecked, not everyone's: from the newest
    # back, a slice of ids per query (another annotator's answers can be most of them)
    seen, newest = 0, None
    for end in range(len(ids), 0, -RECHECK_AGE_SLICE):
        lo, hi = ids[max(0, end - RECHECK_AGE_SLICE)], ids[end - 1]
        found = [row[0] for row in store.conn.execute(
            # NOT INDEXED: the rowid range, not the dataset's index over all its answers
            f"SELECT id FROM answers NOT INDEXED WHERE id BETWEEN ? AND ? AND {where} "
            "ORDER BY id DESC", (lo, hi, *params))]
        if seen + len(found) >= RECHECK_MIN_AGE:
            newest = found[RECHECK_MIN_AGE - seen - 1]
            break
        seen += len(found)
    if newest is None:
        return None
    older = ids[:bisect.bisect_left(ids, newest)]
    if not older:
        return None
    if store.has_checks():
        checked = {row[0] for row in store.conn.execute(
            "SELECT answer_id FROM checks WHERE dataset_id = ?", (dataset_id,))}
        older = [i for i in older if i not in checked]
    for _ in range(min(RECHECK_DRAWS, len(older))):
        candidate = rng.choice(older)
        if eligible(candidate):
            return candidate
    unchecked = set(older)
    pool = [row[0] for row in store.conn.execute(
        f"SELECT id FROM answers WHERE {where} AND id < ? ORDER BY id", (*params, newest))
        if row[0] in unchecked]
    return rng.choice(pool) if pool else None


def add_check(store: Store, dataset: str, dataset_id: int, answer_id: int,
              eg: dict[str, Any], session_id: str | None,
              wait: Callable[[], bool] | None = None) -> int | None:
    """Store ``eg`` as a check of answer ``answer_id`` (committed on return); return its id.
    Nothing is written if the dataset was dropped meanwhile (:class:`DatasetGone`); nor
    (None) if the answer was taken back meanwhile or another session checked it first."""
    def run() -> int | None:
        row = store.conn.execute("SELECT name FROM datasets WHERE id = ?",
                                 (dataset_id,)).fetchone()
        if row is None or row[0] != dataset:
            raise DatasetGone(dataset)
        stored = store.conn.execute(
            "SELECT task_hash FROM answers WHERE id = ? AND dataset_id = ?",
            (answer_id, dataset_id)).fetchone()
        if stored is None or stored[0] != eg.get("_task_hash"):
            return None  # undone (its id may even hold another answer now)
        store.conn.execute(_TABLE)
        store.conn.execute(_INDEX)
        if store.conn.execute("SELECT 1 FROM checks WHERE answer_id = ?",
                              (answer_id,)).fetchone():
            return None
        cur = store.conn.execute(
            "INSERT INTO checks (dataset_id, answer_id, task_hash, session_id, timestamp, "
            "content) VALUES (?, ?, ?, ?, ?, ?)",
            (dataset_id, answer_id, stored[0], session_id, time.time(), dumps(eg)))
        return int(cur.lastrowid)

    return store._write(run, wait=wait)


def remove_check(store: Store, check_id: int | None) -> None:
    """Take a check back (undo; None: it was not stored)."""
    if check_id is None:
        return
    store._write(lambda: store.conn.execute("DELETE FROM checks WHERE id = ?", (check_id,)))


def iter_checks(store: Store, dataset: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """``(answer, check)`` pairs of ``dataset``, oldest check first (checks whose answer was
    taken back or dropped since are left out)."""
    dataset_id = store.require_dataset(dataset)
    if not store.has_checks():
        return
    rows = store.conn.execute(
        "SELECT a.content, c.content FROM checks c JOIN answers a ON a.id = c.answer_id "
        "AND a.task_hash = c.task_hash "
        "WHERE c.dataset_id = ? AND a.dataset_id = ? ORDER BY c.id", (dataset_id, dataset_id))
    for answer, check in rows:
        yield json.loads(answer), json.loads(check)
