"""Input that used to break commands: NaN and infinities, integers too large for SQLite, CR-only
line endings, compressed files, CSV under a .jsonl name."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest

from altool.errors import InputError
from altool.io.loaders import iter_records
from altool.store import Store


@pytest.mark.parametrize("line, message", [
    ('{"text": "a", "meta": {"x": NaN}}', "NaN is not a JSON value"),
    ('{"text": "a", "meta": {"x": -Infinity}}', "-Infinity is not a JSON value"),
    ('{"text": "a", "v": 1e999}', "too large for a float"),
    ('{"text": "a", "_input_hash": 123456789012345678901234567890}', '"_input_hash" must be a '
     "64-bit integer"),
    ('{"text": "a", "_task_hash": 9223372036854775808}', '"_task_hash" must be a 64-bit'),
    ('{"text": "a", "_session_id": 5}', '"_session_id" must be a string'),
    ('{"text": "a", "meta": {"x": ' + "1" * 5000 + "}}", "more than 4,300 digits"),
])
def test_values_json_or_sqlite_cannot_hold_are_refused_at_the_door(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n' + line + "\n")
    with pytest.raises(InputError, match=message) as info:
        list(iter_records(str(path)))
    assert str(info.value).startswith(f"{path}:2:")


def test_the_cli_reports_them_with_file_and_line_and_writes_nothing(cli, home, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n{"text": "a", "meta": {"x": NaN}}\n')
    for command in (["load", "src", path], ["db-in", "ds", path]):
        out = cli(*command)
        assert out.returncode == 1 and f"{path}:2:" in out.stderr
        assert "Unexpected" not in out.stderr
    with Store(home / "altool.db") as store:
        assert store.source_names() == [] and store.dataset_names() == []
    assert cli("stats").returncode == 0


def test_nan_stored_by_an_older_altool_no_longer_breaks_stats_or_db_out(cli, home):
    db = home / "altool.db"
    with Store(db) as store:
        store.add_answer("ds", {"text": "a", "label": "X", "answer": "accept"})
    conn = sqlite3.connect(db)  # what an older altool wrote: NaN inside the stored JSON
    conn.execute("""UPDATE answers SET content = '{"text": "a", "label": "X", "answer": "accept",
                 "meta": {"score": NaN}}'""")
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    assert cli("stats").returncode == 0  # the migration to schema 5 repaired the row
    out = cli("db-out", "ds")
    assert out.returncode == 0 and json.loads(out.stdout)["meta"] == {"score": None}


def test_a_store_write_never_holds_nan(store):
    from altool.errors import AltoolError

    with pytest.raises(AltoolError, match="NaN or infinite"):
        store.add_answer("ds", {"text": "a", "answer": "accept", "meta": {"p": float("nan")}})
    assert store.count_answers("ds") == 0


def test_cr_only_line_endings_are_lines(tmp_path):
    path = tmp_path / "mac.txt"
    path.write_bytes(b"one\rtwo\rthree\r")
    assert [r.example["text"] for r in iter_records(str(path))] == ["one", "two", "three"]
    path = tmp_path / "mac.jsonl"
    path.write_bytes(b'{"text": "a"}\r{"text": "b"}\r')
    assert [(r.line, r.example["text"]) for r in iter_records(str(path))] == [(1, "a"), (2, "b")]


def test_gzip_files_are_read_directly(tmp_path, cli, home):
    path = tmp_path / "texts.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write('{"text": "compressed one"}\n{"text": "compressed two"}\n')
    assert [r.example["text"] for r in iter_records(str(path))] == ["compressed one",
                                                                       "compressed two"]
    out = cli("load", "gz", path)
    assert out.returncode == 0 and "added 2 examples" in out.stderr
    stdin = cli("load", "gz2", "-", input=None)  # stdin can be compressed too
    assert stdin.returncode == 1  # empty stdin: a clear error, not a crash


def test_a_csv_file_named_jsonl_gets_a_hint(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text("text,label\nhello,a\n")
    with pytest.raises(InputError, match="looks like CSV .*: pass --loader csv"):
        list(iter_records(str(path)))
