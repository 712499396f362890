"""db-out into places it can't write: a clear message, exit 1, nothing left behind."""

from __future__ import annotations

import os

import pytest

from altool.errors import AltoolError
from altool.store import Store
from altool.store.export import export


@pytest.fixture
def filled(tmp_path) -> Store:
    store = Store(tmp_path / "db.sqlite")
    store.add_answers("ds", [{"text": f"t{i}", "answer": "accept"} for i in range(3)])
    yield store
    store.close()


def test_into_a_folder(filled, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(AltoolError, match="is a folder; give a file name"):
        export(filled, "ds", str(folder))
    assert list(folder.iterdir()) == []


def test_into_a_missing_folder(filled, tmp_path):
    with pytest.raises(AltoolError, match="does not exist; create it first"):
        export(filled, "ds", str(tmp_path / "nope" / "x.jsonl"))
    assert not (tmp_path / "nope").exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_leaves_no_part_file(filled, tmp_path, monkeypatch):
    import altool.store.export as export_module

    real_fdopen = os.fdopen

    def full_disk(fd, *args, **kwargs):  # every write fails as on a full disk
        fh = real_fdopen(fd, *args, **kwargs)
        os.dup2(os.open("/dev/full", os.O_WRONLY), fd)
        return fh

    monkeypatch.setattr(export_module.os, "fdopen", full_disk)
    with pytest.raises(AltoolError, match="writing failed .*nothing was written"):
        export(filled, "ds", str(tmp_path / "x.jsonl"))
    assert not any(p.name.endswith(".part") or p.name == "x.jsonl" for p in tmp_path.iterdir())


def test_the_cli_says_so_and_exits_1(cli, home, tmp_path):
    with Store(home / "altool.db") as store:
        store.add_answers("ds", [{"text": "t", "answer": "accept"}])
    out = cli("db-out", "ds", tmp_path)
    assert out.returncode == 1 and "is a folder" in out.stderr
    assert "Unexpected" not in out.stderr and list(tmp_path.glob("*.part")) == []


def test_a_written_file_has_the_usual_permissions(filled, tmp_path):
    path = tmp_path / "x.jsonl"
    assert export(filled, "ds", str(path)) == 3
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_importing_the_same_file_twice_adds_nothing_the_second_time(cli, home, tmp_path):
    import json

    rows = [{"text": f"t{i}", "label": "A", "answer": "accept"} for i in range(45)]
    rows.append(rows[0])  # the same answer twice in one file counts once
    rows.append({"text": "t0", "label": "A", "answer": "reject"})  # another answer: kept
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    first = cli("db-in", "ds", path)
    assert first.returncode == 0
    assert "imported 46 examples" in first.stderr and "1 already there skipped" in first.stderr
    second = cli("db-in", "ds", path)
    assert second.returncode == 0
    assert "imported 0 examples" in second.stderr
    assert "47 already there skipped" in second.stderr
    with Store(home / "altool.db") as store:
        assert store.count_answers("ds") == 46


def test_db_in_streams_its_file(tmp_path):
    """db-in reads line by line inside its transaction (it used to hold the whole file)."""
    from altool.store.ingest import read_annotated

    path = tmp_path / "big.jsonl"
    path.write_text('{"text": "a"}\n' * 5 + "not json\n")
    examples = read_annotated(str(path))
    assert next(examples)["text"] == "a"  # the first answer comes before the bad line is read
    with pytest.raises(Exception, match="big.jsonl:6:"):
        list(examples)
