"""Database problems (not SQLite, written by a newer altool, read-only, full disk) and awkward
names: a clear message, exit code 1, no traceback and no partially written data."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from altool.errors import AltoolError
from altool.io.loaders import Record
from altool.store import Store

ROOT = Path(__file__).resolve().parents[2]
SMS = ROOT / "sample_data" / "sms_spam.jsonl"


def altool(home: Path, *args: str, limit_file_size: int | None = None):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run(
        [sys.executable, "-m", "altool", "--db", str(home / "altool.db"), *args],
        env={**os.environ, "ALTOOL_HOME": str(home)}, capture_output=True, text=True,
        timeout=120, stdin=subprocess.DEVNULL,
        preexec_fn=limit if limit_file_size is not None else None,
    )


def failed_clearly(result, expect: str) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert expect in result.stderr, out
    assert "Traceback" not in out and "Unexpected error" not in out, out


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def test_a_file_that_is_not_sqlite_is_refused_and_kept(home: Path) -> None:
    db = home / "altool.db"
    db.write_bytes(b"my notes, not a database\n" * 100)
    before = db.read_bytes()
    for args in (["stats"], ["load", "s", str(SMS)]):
        failed_clearly(altool(home, *args), "is not an altool database")
    assert db.read_bytes() == before


def test_a_database_of_a_newer_altool_is_refused(home: Path) -> None:
    assert altool(home, "load", "s", str(SMS)).returncode == 0
    con = sqlite3.connect(home / "altool.db")
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    failed_clearly(altool(home, "stats"), "written by a newer altool (schema 99")
    failed_clearly(altool(home, "load", "t", str(SMS)), "upgrade altool")


@pytest.fixture
def read_only_db(home: Path):
    """The database file made read-only (as root, chmod is not enough: ``chattr +i``)."""
    assert altool(home, "load", "s", str(SMS)).returncode == 0
    db = home / "altool.db"
    Store(db).close()  # checkpointed: the WAL is empty, all data in the main file
    if os.geteuid() != 0:
        db.chmod(0o444)
        yield db
        db.chmod(0o644)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(db)]).returncode != 0:
        pytest.skip("running as root without chattr +i: can't make a file read-only")
    try:
        yield db
    finally:
        subprocess.run([chattr, "-i", str(db)], check=True)


def test_a_read_only_database_can_be_read_but_not_written(home: Path, read_only_db: Path):
    before = read_only_db.read_bytes()
    assert altool(home, "stats", "--json").returncode == 0
    failed_clearly(altool(home, "load", "t", str(SMS)), "is read-only")
    failed_clearly(altool(home, "db-in", "d", str(SMS)), "is read-only")
    assert read_only_db.read_bytes() == before


def test_a_full_disk_during_load_writes_nothing(home: Path, tmp_path: Path) -> None:
    assert altool(home, "load", "small", str(SMS)).returncode == 0
    big = tmp_path / "big.jsonl"
    big.write_text("".join(f'{{"text": "example number {i} with some more words"}}\n'
                           for i in range(60_000)), encoding="utf-8")
    size = (home / "altool.db").stat().st_size
    result = altool(home, "load", "big", str(big), limit_file_size=size + 200_000)
    failed_clearly(result, "nothing was written")
    assert "disk" in result.stderr
    with Store(home / "altool.db") as store:
        assert store.source_names() == ["small"]


def test_a_full_database_rolls_back_the_whole_import(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.add_source("small", [Record(1, {"text": "one"})])
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 5}")
    records = (Record(i, {"text": f"text {i} " + "x" * 200}) for i in range(5_000))
    with pytest.raises(AltoolError, match="disk is full; nothing was written"):
        store.add_source("big", records)
    assert store.source_names() == ["small"] and store.count_source("small") == 1
    with pytest.raises(AltoolError, match="disk is full"):
        store.add_answers("ds", [{"text": f"t{i} " + "y" * 300, "answer": "accept"}
                                 for i in range(2_000)])
    assert store.count_answers("ds") == 0
    store.close()


NAMES = ["it's", 'say "hi"', "two words", "naïve ☃ 名前", "x'; DROP TABLE answers; --",
         "100%_like", "back\\slash", "a" * 200]


def test_awkward_names_round_trip_in_the_store(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        for name in NAMES:
            store.add_source(name, [Record(1, {"text": f"text of {name}"})])
            store.add_answers(name, [{"text": "hello", "label": "A", "answer": "accept"}])
        assert sorted(store.source_names()) == sorted(NAMES)
        assert sorted(store.dataset_names()) == sorted(NAMES)
        assert all(store.count_source(n) == 1 and store.count_answers(n) == 1 for n in NAMES)


@pytest.mark.parametrize("name", ["x'; DROP TABLE answers; --", "naïve ☃ 名前 \"q\""])
def test_awkward_names_work_on_the_command_line(home: Path, tmp_path: Path, name: str):
    annotated = tmp_path / "a.jsonl"
    annotated.write_text('{"text": "hello", "label": "A", "answer": "accept"}\n')
    assert altool(home, "load", name, str(annotated)).returncode == 0
    assert altool(home, "db-in", name, str(annotated)).returncode == 0
    out = altool(home, "db-out", name)
    assert out.returncode == 0 and '"hello"' in out.stdout
    with Store(home / "altool.db") as store:
        assert store.source_names() == [name] and store.dataset_names() == [name]


@pytest.mark.parametrize(("name", "expect"), [
    ("", "can't be empty"), ("   ", "can't be empty"), ("a" * 201, "longer than 200"),
    ("tab\there", "control characters"), ("-dash", "can't start with '-'"),
])
def test_bad_names_are_refused_with_the_rule(home: Path, name: str, expect: str) -> None:
    failed_clearly(altool(home, "load", "--", name, str(SMS)), expect)
    with Store(home / "altool.db") as store:
        assert store.source_names() == []
