"""A damaged database is reported, with what to do, by every command; nothing is written into
it; `altool check` says what is wrong."""

from __future__ import annotations

import os
import random

import pytest

from altool.store import Store


@pytest.fixture
def damaged_db(home):
    path = home / "altool.db"
    with Store(path) as store:
        store.add_source("src", [])
        from altool.io.loaders import Record

        store.add_source("src", [Record(i, {"text": f"text number {i} " * 5})
                                 for i in range(3000)])
        store.add_answers("ds", [{"text": f"t{i}", "label": "A", "answer": "accept"}
                                 for i in range(500)])
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    rng = random.Random(3)
    with path.open("r+b") as fh:  # random bytes over a few pages, as a failing disk might
        for _ in range(4):
            fh.seek(rng.randrange(2, size // 4096) * 4096 + 100)
            fh.write(os.urandom(600))
    return path


def test_check_reports_the_damage(cli, damaged_db):
    out = cli("check")
    assert out.returncode == 1 and "is damaged" in out.stderr and ".recover" in out.stderr
    assert out.stdout.strip()  # the problems, listed


def test_writes_are_refused_before_anything_is_stored(cli, damaged_db, tmp_path):
    texts = tmp_path / "new.txt"
    texts.write_text("brand new\n")
    answers = tmp_path / "a.jsonl"
    answers.write_text('{"text": "x", "answer": "accept"}\n')
    for command in (["load", "fresh", texts], ["db-in", "fresh", answers]):
        out = cli(*command)
        assert out.returncode == 1, out.stderr
        assert "is damaged" in out.stderr and "Nothing was written" in out.stderr
        assert "Unexpected" not in out.stderr


def test_reads_say_it_is_damaged_not_unexpected(cli, damaged_db):
    for command in (["stats"], ["db-out", "ds"]):
        out = cli(*command)
        if out.returncode:  # the damage may miss what this command reads
            assert "is damaged" in out.stderr and "Unexpected" not in out.stderr


def test_a_sound_database_checks_ok(cli, home):
    with Store(home / "altool.db") as store:
        store.add_answers("ds", [{"text": "t", "answer": "accept"}])
    out = cli("check", "--quick")
    assert out.returncode == 0 and "no problems found" in out.stderr
