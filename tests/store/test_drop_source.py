"""``altool drop --source NAME``: refused while a dataset has answers to the source's texts
(unless ``--force``), all or nothing, the cached vectors of its texts deleted, and the space
given back to the disk."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.io.hashing import hash_text
from altool.io.loaders import Record
from altool.store import SourceInUse, Store
from altool.store.sources import drop_source, human_bytes, on_disk

KEY = "test-encoder"


def records(*texts: str, **fields) -> list[Record]:
    return [Record(i + 1, {"text": t, **fields}) for i, t in enumerate(texts)]


def vectors_of(store: Store) -> set[int]:
    return {h for (h,) in sqlite3.connect(store.vectors_path).execute(
        "SELECT input_hash FROM embeddings")}


def cache(store: Store, texts: list[str]) -> None:
    hashes = [hash_text(t) for t in texts]
    store.add_embeddings(KEY, hashes, np.ones((len(texts), 4), dtype=np.float32))


@pytest.fixture
def filled(store: Store) -> Store:
    """Source ``a`` (a1-a3), source ``b`` (b1, and a2 which ``a`` holds too), every text's
    vector cached, and dataset ``ds`` with an answer to a3."""
    store.add_source("a", records("a1", "a2", "a3"))
    store.add_source("b", records("b1", "a2"))
    cache(store, ["a1", "a2", "a3", "b1"])
    store.add_answer("ds", {"text": "a3", "label": "X", "answer": "accept"})
    return store


def test_refused_while_a_dataset_has_answers_to_its_texts(filled):
    assert filled.source_users("a") == {"ds": 1}
    assert filled.source_users("b") == {}
    with pytest.raises(SourceInUse, match=r"dataset ds \(1 answers\).*--force") as info:
        filled.drop_source("a")
    assert info.value.users == {"ds": 1}
    assert filled.count_source("a") == 3 and len(vectors_of(filled)) == 4  # nothing went


def test_force_drops_the_source_and_the_vectors_nothing_else_needs(filled):
    dropped = filled.drop_source("a", force=True)
    assert (dropped.examples, dropped.vectors) == (3, 1)  # a1; a2 is in b, a3 is answered
    assert not filled.has_source("a") and filled.count_source("b") == 2
    assert vectors_of(filled) == {hash_text(t) for t in ("a2", "a3", "b1")}
    [answer] = filled.iter_answers("ds")  # the answer keeps its own text
    assert answer["text"] == "a3"
    assert filled.check() == []
    assert filled.conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0] == 2


def test_a_source_no_dataset_needs_goes_without_force(filled):
    assert filled.drop_source("b").examples == 2
    assert vectors_of(filled) == {hash_text(t) for t in ("a1", "a2", "a3")}


def test_the_drop_is_one_transaction(filled):
    """A failure at the last statement (the source's row) leaves every example and vector."""
    filled.conn.execute("CREATE TRIGGER fail BEFORE DELETE ON sources "
                        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    rows_before = filled.conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0]
    with pytest.raises(AltoolError, match="injected failure"):
        filled.drop_source("a", force=True)
    assert filled.count_source("a") == 3
    assert filled.conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0] == rows_before
    assert len(vectors_of(filled)) == 4 and filled.check() == []


def test_a_source_loaded_in_turns_with_another_goes_whole(store):
    """Its rows are deleted by row id range: the other source's rows in between stay."""
    store.add_source("a", records("a1", "a2"))
    store.add_source("b", records("b1", "b2"))
    store.add_source("a", records("a3"))
    store.add_source("c", records("c1"))
    assert store.drop_source("a").examples == 3
    texts = [r[0] for r in store.conn.execute("SELECT text FROM examples ORDER BY id")]
    assert texts == ["b1", "b2", "c1"] and store.check() == []


def test_vectors_an_older_altool_cached_in_the_database_go_too(store):
    store.add_source("a", records("x", "y"))
    store.conn.execute("INSERT INTO embeddings (model, input_hash, vector) VALUES (?, ?, ?), "
                       "(?, ?, ?)", (KEY, hash_text("x"), b"1", KEY, 42, b"2"))
    assert store.drop_source("a").vectors == 1
    assert store.conn.execute("SELECT input_hash FROM embeddings").fetchall() == [(42,)]


def test_vectors_of_examples_with_their_own_input_hash_go(store):
    """Vectors are cached under the text's hash, whatever ``_input_hash`` the example had."""
    store.add_source("a", [Record(1, {"text": "x", "_input_hash": 7})])
    cache(store, ["x"])
    assert store.drop_source("a").vectors == 1 and vectors_of(store) == set()


def test_the_vectors_of_every_model_go_and_only_those_looked_up(store, monkeypatch):
    """Two models' vectors of a dropped text both go; the source's texts are looked up in the
    cache chunk by chunk, and only the cached ones are kept in memory."""
    import altool.store.database as database

    store.add_source("a", records(*(f"t{i}" for i in range(25_000))))
    cache(store, ["t1", "t2"])
    store.add_embeddings("other-model", [hash_text("t2"), hash_text("elsewhere")],
                         np.ones((2, 4), dtype=np.float32))
    looked_up: list[int] = []
    real = database._cached_of
    monkeypatch.setattr(database, "_cached_of", lambda conn, models, hashes: (
        looked_up.append(len(hashes)), real(conn, models, hashes))[1])
    assert store.drop_source("a").vectors == 3  # t1, and t2 of both models
    assert vectors_of(store) == {hash_text("elsewhere")}
    assert max(looked_up) <= 10_000 and sum(looked_up) == 25_000  # input hash = text hash


def test_nothing_is_looked_up_when_nothing_is_cached(store, monkeypatch):
    import altool.store.database as database

    store.add_source("a", records("x", "y"))
    monkeypatch.setattr(database, "hash_text", lambda text: pytest.fail("a scan"))
    assert store.drop_source("a").examples == 2


def test_drop_gives_the_space_back_to_the_disk(tmp_path):
    store = Store(tmp_path / "big.db")
    texts = [f"text {i} " + "lorem ipsum " * 80 for i in range(2000)]  # ~2 MB of text
    store.add_source("big", records(*texts))
    cache(store, texts)
    store.add_source("small", records("keep me"))
    report = drop_source(store, "big")
    assert (report.examples, report.vectors, report.reclaim_error) == (2000, 2000, None)
    sizes = {size.path.name: size for size in report.sizes}
    assert set(sizes) == {"big.db", "big.db-vectors"}
    for size in sizes.values():
        assert size.after < size.before / 4, size
        assert size.after == on_disk(size.path)
    assert store.source_names() == ["small"] and store.check() == []
    store.close()


def test_human_bytes():
    assert [human_bytes(n) for n in (0, 999, 1000, 591_234_567, 12 * 10**12)] == [
        "0 bytes", "999 bytes", "1.0 kB", "591.2 MB", "12.0 TB"]


# -- the command line --------------------------------------------------------------------------
def test_drop_source_through_the_cli(cli, home, tmp_path: Path):
    path = tmp_path / "texts.jsonl"
    path.write_text("".join(json.dumps({"text": f"text {i}"}) + "\n" for i in range(50)))
    assert cli("load", "news", path).returncode == 0
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"text": "text 3", "label": "A", "answer": "accept"}) + "\n")
    assert cli("db-in", "gold", answers).returncode == 0

    out = cli("drop", "--source", "news", "--yes")
    assert out.returncode == 1 and "dataset gold (1 answers)" in out.stderr
    assert "--force" in out.stderr and "Traceback" not in out.stderr
    out = cli("drop", "--source", "news", "--force")  # no terminal, no --yes: asks nobody
    assert out.returncode == 1 and "would delete 50 examples; add --yes" in out.stderr
    out = cli("drop", "--source", "news", "--force", "--yes")
    assert out.returncode == 0, out.stderr
    assert "dropped source news (50 examples)" in out.stderr
    assert "altool.db: " in out.stderr and " → " in out.stderr
    with Store(home / "altool.db") as store:
        assert store.source_names() == [] and store.count_answers("gold") == 1


@pytest.mark.parametrize("args, message", [
    ([], "give the DATASET to drop (or --source NAME"),
    (["ds", "--force"], "--force only applies to drop --source"),
    (["ds", "--source", "news"], "takes no DATASET or --session"),
    (["--source", "nope", "-y"], "no source named 'nope'"),
])
def test_drop_usage_errors(cli, home, args, message):
    with Store(home / "altool.db") as store:
        store.add_answer("ds", {"text": "a", "answer": "accept"})
    out = cli("drop", *args)
    assert out.returncode == 1 and message in out.stderr.replace("\n", " "), out.stderr
    with Store(home / "altool.db") as store:
        assert store.count_answers("ds") == 1


def test_a_file_another_process_reads_shrinks_when_it_is_closed(tmp_path):
    path = tmp_path / "shared.db"
    store = Store(path)
    store.add_source("big", records(*[f"text {i} " + "lorem ipsum " * 80 for i in range(1000)]))
    store.add_source("small", records("keep me"))
    reader = sqlite3.connect(path, isolation_level=None)  # a session reading, mid-transaction
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM examples").fetchone()
    before = on_disk(path)
    report = drop_source(store, "big")
    assert report.in_use == [path] and report.reclaim_error is None
    assert reader.execute("SELECT COUNT(*) FROM examples").fetchone() == (1001,)  # its snapshot
    reader.execute("COMMIT")
    reader.close()
    store.close()  # the last connection to close checkpoints the compacted copy
    assert on_disk(path) < before / 4
    with Store(path) as again:
        assert again.source_names() == ["small"] and again.check() == []
