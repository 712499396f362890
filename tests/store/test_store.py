"""The SQLite store: sources, answers, stats, schema checks and awkward names."""

from __future__ import annotations

import sqlite3

import pytest

from altool.errors import AltoolError, InputError
from altool.io.hashing import hash_text, set_hashes
from altool.io.loaders import Record, iter_records
from altool.store import Store
from altool.store.ingest import load_file


def records(*texts: str) -> list[Record]:
    return [Record(i + 1, {"text": t}) for i, t in enumerate(texts)]


def answer(text: str, ans: str = "accept", **extra) -> dict:
    return {"text": text, "answer": ans, **extra}


# -- sources -----------------------------------------------------------------------------------
def test_add_source_counts_and_dedups_by_input_hash(store):
    result = store.add_source("src", records("a", "b", "a", "c", "b"))
    assert (result.added, result.duplicates) == (3, 2)
    assert store.count_source("src") == 3
    again = store.add_source("src", records("a", "d"))
    assert (again.added, again.duplicates) == (1, 1)
    assert store.count_source("src") == 4
    assert store.source_names() == ["src"]


def test_sources_are_independent(store):
    store.add_source("one", records("a", "b"))
    store.add_source("two", records("a"))
    assert store.count_source("one") == 2
    assert store.count_source("two") == 1


def test_source_rows_have_text_hashes_and_full_content(store):
    store.add_source("src", [Record(1, {"text": "hi", "meta": {"k": 1}}, None)])
    [chunk] = list(store.iter_source("src"))
    row = chunk[0]
    assert row.text == "hi"
    assert row.input_hash == hash_text("hi")
    eg = store.get_examples([row.id])[row.id]
    assert eg == {"text": "hi", "meta": {"k": 1}, "_input_hash": hash_text("hi")}


def test_a_load_has_a_bigger_page_cache_and_gives_it_back(store):
    """The unique index's pages stay in memory while a source loads (with the default 2 MB a
    10M-row load spilled a page per row: 843 s instead of 274 s); afterwards, the default."""
    from altool.store.database import LOAD_CACHE_KB

    before = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    during = []

    def rows():
        for i in range(3):
            during.append(store.conn.execute("PRAGMA cache_size").fetchone()[0])
            yield Record(i + 1, {"text": f"t{i}"})

    store.add_source("src", rows())
    assert set(during) == {-LOAD_CACHE_KB} and LOAD_CACHE_KB >= 64 * 1024
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == before


def test_dropping_a_source_has_the_bigger_page_cache_too(store, monkeypatch):
    from altool.store.database import LOAD_CACHE_KB

    store.add_source("src", records("a", "b"))
    before = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    seen = []
    real = Store._source_users
    monkeypatch.setattr(Store, "_source_users", lambda self, source_id: (
        seen.append(self.conn.execute("PRAGMA cache_size").fetchone()[0]),
        real(self, source_id))[1])
    assert store.drop_source("src").examples == 2
    assert seen == [-LOAD_CACHE_KB]  # inside the deleting transaction
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == before


def test_iter_source_walks_sources_loaded_in_turns(store):
    store.add_source("a", records("a1", "a2"))
    store.add_source("b", records("b1", "b2", "b3"))
    store.add_source("a", records("a3", "a4", "a5"))
    texts = [r.text for chunk in store.iter_source("a", chunk_size=2) for r in chunk]
    assert texts == ["a1", "a2", "a3", "a4", "a5"]
    assert [r.text for chunk in store.iter_source("b", 2) for r in chunk] == ["b1", "b2", "b3"]
    a2 = next(store.iter_source("a", 2))[1].id
    assert [r.text for chunk in store.iter_source("a", 2, after_id=a2) for r in chunk] == [
        "a3", "a4", "a5"]


def test_a_chunk_of_a_source_costs_the_same_whatever_the_source_size(store):
    """Each chunk starts where the last stopped: it never reads (and sorts) the whole source
    (counted in SQLite's virtual-machine steps, not time)."""
    store.add_source("small", records(*(f"s{i}" for i in range(1_000))))
    store.add_source("big", records(*(f"b{i}" for i in range(50_000))))

    def steps(name: str) -> int:
        count = [0]

        def tick() -> int:
            count[0] += 1
            return 0

        store.conn.set_progress_handler(tick, 100)
        try:
            next(store.iter_source(name, chunk_size=100))
        finally:
            store.conn.set_progress_handler(None, 0)
        return count[0]

    assert steps("big") < 3 * steps("small")


def test_iter_source_chunks_in_order(store):
    store.add_source("src", records(*[f"t{i}" for i in range(25)]))
    chunks = list(store.iter_source("src", chunk_size=10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    ids = [r.id for c in chunks for r in c]
    assert ids == sorted(ids)
    assert [r.text for r in chunks[0][:2]] == ["t0", "t1"]


def test_sample_source_returns_distinct_rows(store):
    store.add_source("src", records(*[f"t{i}" for i in range(300)]))
    for n in (5, 100, 1000):
        rows = store.sample_source("src", n, seed=1)
        assert len({r.id for r in rows}) == len(rows) <= n
    assert len(store.sample_source("src", 1000)) == 300


def test_bad_line_mid_file_writes_nothing(store, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n{"oops": 1}\n{"text": "c"}\n')
    with pytest.raises(InputError):
        store.add_source("src", iter_records(str(path)))
    assert not store.has_source("src")
    assert store.source_names() == []
    assert store.stats()["sources"] == {}
    total = store.conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0]
    assert total == 0


def test_bad_line_does_not_touch_an_existing_source(store, tmp_path):
    store.add_source("src", records("old"))
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "new"}\nbroken\n')
    with pytest.raises(InputError):
        store.add_source("src", iter_records(str(path)))
    assert store.count_source("src") == 1


def test_load_file_with_empty_input_writes_no_source(store, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    with pytest.raises(AltoolError, match="no examples"):
        load_file(store, "src", str(path))
    assert not store.has_source("src")


def test_load_file_reports_skipped(store, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "a"}\nbad\n{"text": "a"}\n{"text": "b"}\n')
    result, report = load_file(store, "src", str(path), skip_invalid=True)
    assert (result.added, result.duplicates, result.skipped) == (2, 1, 1)
    assert report.skipped == 1


def test_unknown_source_error_lists_known(store):
    store.add_source("known", records("a"))
    with pytest.raises(AltoolError, match="known") as info:
        store.count_source("missing")
    assert "altool load" in str(info.value)


def test_drop_source(store):
    store.add_source("src", records("a", "b"))
    assert store.drop_source("src").examples == 2
    assert not store.has_source("src")


# -- answers -----------------------------------------------------------------------------------
def test_add_answer_sets_hashes_and_is_readable(store):
    answer_id = store.add_answer("ds", answer("hello", label="X"), session_id="s1")
    assert isinstance(answer_id, int)
    [eg] = list(store.iter_answers("ds"))
    assert eg["text"] == "hello" and eg["answer"] == "accept" and eg["label"] == "X"
    assert eg["_input_hash"] == hash_text("hello")
    assert eg["_task_hash"] == set_hashes({"text": "hello", "label": "X"})["_task_hash"]
    assert eg["_session_id"] == "s1"
    assert isinstance(eg["_timestamp"], int)


def test_answers_add_remove_iter_count(store):
    ids = [store.add_answer("ds", answer(t, a)) for t, a in
           [("a", "accept"), ("b", "reject"), ("c", "ignore"), ("d", "accept")]]
    assert store.count_answers("ds") == 4
    assert [eg["text"] for eg in store.iter_answers("ds")] == ["a", "b", "c", "d"]
    assert [eg["text"] for eg in store.iter_answers("ds", "accept")] == ["a", "d"]
    assert [eg["text"] for eg in store.iter_answers("ds", after_id=ids[1])] == ["c", "d"]
    store.remove_answer(ids[1])
    assert store.count_answers("ds") == 3
    assert [eg["text"] for eg in store.iter_answers("ds")] == ["a", "c", "d"]


def test_count_answers_of_unknown_dataset_is_zero(store):
    assert store.count_answers("nothing") == 0


def test_iter_answers_unknown_dataset_raises(store):
    with pytest.raises(AltoolError, match="no dataset named"):
        list(store.iter_answers("nothing"))


def test_invalid_answer_value_is_rejected(store):
    with pytest.raises(AltoolError, match="accept, reject, ignore"):
        store.add_answer("ds", answer("a", "maybe"))


def test_task_hashes(store):
    store.add_answer("one", answer("a", label="X"))
    store.add_answer("two", answer("b", label="X"))
    h_a = set_hashes({"text": "a", "label": "X"})["_task_hash"]
    h_b = set_hashes({"text": "b", "label": "X"})["_task_hash"]
    assert store.task_hashes(["one"]) == {h_a}
    assert store.task_hashes(["one", "two", "unknown"]) == {h_a, h_b}
    assert store.task_hashes([]) == set()


def test_add_answers_is_all_or_nothing(store):
    good = [answer("a"), answer("b")]
    bad = [answer("c"), {"text": "d", "answer": "wrong"}]
    assert store.add_answers("ds", good) == 2
    with pytest.raises(AltoolError):
        store.add_answers("ds", bad)
    assert store.count_answers("ds") == 2
    with pytest.raises(AltoolError):
        store.add_answers("fresh", bad)
    assert not store.has_dataset("fresh")
    assert store.add_answers("fresh", [answer("e")]) == 1  # the name is usable afterwards


def test_answers_commit_immediately(store):
    store.add_answer("ds", answer("a"))
    other = Store(store.path)
    try:
        assert other.count_answers("ds") == 1
    finally:
        other.close()


# -- stats -------------------------------------------------------------------------------------
def test_stats_shape_and_counts(store):
    store.add_source("src", records("x", "y", "z"))
    store.add_answers("bin", [
        answer("a", "accept", label="SPAM"),
        answer("b", "accept", label="SPAM"),
        answer("c", "accept", label="HAM"),
        answer("d", "reject", label="SPAM"),
        answer("e", "ignore", label="HAM"),
    ])
    opts = [{"id": "A", "text": "A"}, {"id": "B", "text": "B"}, {"id": "C", "text": "C"}]
    store.add_answers("choice", [
        answer("f", "accept", options=opts, accept=["A", "B"]),
        answer("g", "accept", options=opts, accept=["A"]),
        answer("h", "reject", options=opts, accept=[]),
        answer("i", "accept", options=opts, accept=[]),
    ])
    span = {"start": 0, "end": 1, "token_start": 0, "token_end": 0}
    store.add_answers("ner", [
        answer("j", "accept", spans=[{**span, "label": "ORG"}, {**span, "label": "PER"}]),
        answer("k", "accept", spans=[{**span, "label": "ORG"}]),
        answer("l", "reject", spans=[{**span, "label": "PER"}]),
    ])
    stats = store.stats()
    assert set(stats) == {"datasets", "sources"}
    assert stats["datasets"]["ner"]["labels"] == {"ORG": 2, "PER": 1}  # spans of accepts
    del stats["datasets"]["ner"]
    assert set(stats["datasets"]) == {"bin", "choice"}
    bin_stats = stats["datasets"]["bin"]
    assert {"total", "answers", "labels"} <= set(bin_stats)
    assert bin_stats["total"] == 5
    assert bin_stats["answers"] == {"accept": 3, "reject": 1, "ignore": 1}
    assert bin_stats["labels"] == {"HAM": 1, "SPAM": 2}
    choice_stats = stats["datasets"]["choice"]
    assert choice_stats["total"] == 4
    assert choice_stats["answers"] == {"accept": 3, "reject": 1, "ignore": 0}
    assert choice_stats["labels"] == {"A": 2, "B": 1}
    assert stats["sources"]["src"]["total"] == 3
    assert set(stats["sources"]) == {"src"}


def test_stats_of_one_dataset(store):
    store.add_source("src", records("x"))
    store.add_answer("one", answer("a", label="L"))
    store.add_answer("two", answer("b", label="L"))
    stats = store.stats("one")
    assert list(stats["datasets"]) == ["one"]
    assert stats["datasets"]["one"]["labels"] == {"L": 1}
    with pytest.raises(AltoolError, match="no dataset named"):
        store.stats("missing")


def test_stats_of_empty_dataset(store):
    store.ensure_dataset("empty")
    d = store.stats()["datasets"]["empty"]
    assert d["total"] == 0
    assert d["answers"] == {"accept": 0, "reject": 0, "ignore": 0}
    assert d["labels"] == {}


def test_drop_dataset(store):
    store.add_answers("ds", [answer("a"), answer("b")])
    store.add_answer("keep", answer("c"))
    assert store.drop_dataset("ds") == 2
    assert not store.has_dataset("ds")
    assert store.dataset_names() == ["keep"]
    assert store.count_answers("ds") == 0
    assert "ds" not in store.stats()["datasets"]
    rows = store.conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert rows == 1
    store.add_answer("ds", answer("d"))  # a dropped name can be used again
    assert store.count_answers("ds") == 1


def test_drop_unknown_dataset(store):
    with pytest.raises(AltoolError, match="no dataset named"):
        store.drop_dataset("missing")


# -- opening databases -------------------------------------------------------------------------
def test_reopen_keeps_data(tmp_path):
    path = tmp_path / "db.sqlite"
    with Store(path) as s:
        s.add_source("src", records("a"))
        s.add_answer("ds", answer("a"))
    with Store(path) as s:
        assert s.count_source("src") == 1
        assert s.count_answers("ds") == 1


def test_creates_parent_folders(tmp_path):
    path = tmp_path / "deep" / "er" / "db.sqlite"
    with Store(path):
        pass
    assert path.exists()


def test_non_sqlite_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not a database, just some text\n" * 100)
    with pytest.raises(AltoolError, match="not an altool database"):
        Store(path)
    assert path.read_text().startswith("this is not a database")  # left alone


def test_foreign_sqlite_database(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(AltoolError, match="not an altool one"):
        Store(path)
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert tables == {"users"}  # nothing added to someone else's database


def test_folder_as_database(tmp_path):
    with pytest.raises(AltoolError, match="folder"):
        Store(tmp_path)


def test_create_false_on_missing_file(tmp_path):
    with pytest.raises(AltoolError, match="no such database"):
        Store(tmp_path / "missing.db", create=False)


# -- names -------------------------------------------------------------------------------------
ODD_NAMES = [
    "it's",
    'say "hi"',
    "with spaces  ",
    "ünïcødé 名前 ✓",
    "x'; DROP TABLE answers; --",
    "a%b_c*?[]",
    "\\back\\slash",
    "Robert'); DELETE FROM sources; /*",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_round_trip(store, name):
    store.add_source(name, records("a", "b"))
    store.add_answer(name, answer("a", label=name))
    assert store.has_source(name)
    assert store.count_source(name) == 2
    assert store.source_names() == [name]
    assert store.dataset_names() == [name]
    assert [eg["label"] for eg in store.iter_answers(name)] == [name]
    stats = store.stats()
    assert stats["datasets"][name]["labels"] == {name: 1}
    assert stats["sources"][name]["total"] == 2
    assert store.drop_dataset(name) == 1
    assert store.drop_source(name).examples == 2
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    assert {"answers", "sources", "examples", "datasets", "meta"} <= tables


def test_similar_names_stay_apart(store):
    store.add_answer("a%", answer("x"))
    store.add_answer("a_", answer("y"))
    store.add_answer("ab", answer("z"))
    assert store.count_answers("a%") == 1
    assert store.task_hashes(["a%"]) == {set_hashes({"text": "x"})["_task_hash"]}


@pytest.mark.parametrize("name", ["", "   ", "-dash", "tab\there", "x" * 201])
def test_invalid_names_are_rejected(store, name):
    with pytest.raises(AltoolError):
        store.add_source(name, records("a"))
    with pytest.raises(AltoolError):
        store.ensure_dataset(name)
    assert store.source_names() == [] and store.dataset_names() == []


def test_the_vector_cache_has_a_file_of_its_own(tmp_path):
    """The background encoder's writes go to altool.db-vectors, never to the database an
    answer's commit waits on; vectors an older altool cached in the database are still
    found; reading creates no file."""
    import sqlite3

    import numpy as np

    path = tmp_path / "altool.db"
    with Store(path) as store:
        assert store.get_embeddings("m", [1, 2]) == {}
        assert not store.vectors_path.exists()  # a read creates nothing
        store.add_embeddings("m", [1], np.ones((1, 3), dtype=np.float32))
        assert store.vectors_path == tmp_path / "altool.db-vectors"
        assert store.vectors_path.exists()
        old = np.full(3, 2.0, dtype=np.float32).tobytes()  # as an older altool stored it
        store.conn.execute("INSERT INTO embeddings VALUES ('m', 2, ?)", (old,))
        got = store.get_embeddings("m", [1, 2, 3])
    assert sorted(got) == [1, 2] and got[2].tolist() == [2.0, 2.0, 2.0]
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 1  # only the old one
    con.close()


def test_a_sentence_vector_takes_under_2_kb_in_the_cache(tmp_path):
    """384 float32s (1.5 kB) stay in their row: on 4 kB pages each spilled to an overflow
    page of its own (4.7 kB per vector)."""
    import numpy as np

    with Store(tmp_path / "a.db") as store:
        rng = np.random.default_rng(0)
        for start in range(0, 5_000, 1_000):
            store.add_embeddings("all-MiniLM-L6-v2/int8", list(range(start, start + 1_000)),
                                 rng.standard_normal((1_000, 384)).astype(np.float32))
        store.reclaim_space()  # the write-ahead log into the file
        assert store.get_embeddings("all-MiniLM-L6-v2/int8", [4_999])[4_999].shape == (384,)
    assert store.vectors_path.stat().st_size / 5_000 < 2_000


def test_a_vector_cache_that_cannot_be_used_is_left_aside(tmp_path):
    """Damaged, or the disk full: the vectors are not kept and the work goes on (it is a
    cache); vectors in the database itself are still read."""
    import numpy as np

    path = tmp_path / "a.db"
    (tmp_path / "a.db-vectors").write_bytes(b"not a database at all" * 100)
    with Store(path) as store:
        store.conn.execute("INSERT INTO embeddings VALUES ('m', 7, ?)",
                           (np.ones(2, dtype=np.float32).tobytes(),))
        assert sorted(store.get_embeddings("m", [7, 8])) == [7]
        assert store.add_embeddings("m", [8], np.ones((1, 2), dtype=np.float32)) == 0
    full = tmp_path / "b.db"
    with Store(full) as store:
        store.add_embeddings("m", [1], np.ones((1, 384), dtype=np.float32))
        conn = store._vectors(create=True)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages}")  # the disk is full
        many = np.ones((2000, 384), dtype=np.float32)
        assert store.add_embeddings("m", list(range(2, 2002)), many) == 0
        assert sorted(store.get_embeddings("m", [1, 2])) == []  # the cache is off now


def test_stores_opening_a_new_vector_cache_at_once_all_get_it(tmp_path):
    """The worker and its background encoder create the cache file at the same moment (a
    new database): none of them fails or turns its cache off."""
    import threading

    import numpy as np

    for round_ in range(60):
        path = tmp_path / f"r{round_}.db"
        Store(path).close()
        stores = [Store(path) for _ in range(3)]
        written: list[int] = []

        def write(store, k, out):
            out.append(store.add_embeddings("m", [k], np.ones((1, 4), dtype=np.float32)))

        threads = [threading.Thread(target=write, args=(s, k, written))
                   for k, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert written == [1, 1, 1], round_
        assert sorted(stores[0].get_embeddings("m", [0, 1, 2])) == [0, 1, 2]
        for s in stores:
            s.close()
