"""``altool db-out --format jsonl|csv|merged``: clean stdout, CSV parses back, merged per input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

ANSWERS = [
    {"text": "cheap pills, buy now", "label": "SPAM", "answer": "accept", "_timestamp": 1,
     "meta": {"source": "sms, \"quoted\""}},
    {"text": "see you at 5\nbring cake", "label": "SPAM", "answer": "reject", "_timestamp": 2},
    {"text": "cheap pills, buy now", "label": "SPAM", "answer": "reject", "_timestamp": 3},
    {"text": "whatever", "label": "SPAM", "answer": "ignore", "_timestamp": 4},
]


def _import(cli, tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in ANSWERS), encoding="utf-8")
    assert cli("db-in", "spam", path).returncode == 0


def test_jsonl_is_the_default_and_unchanged(cli, tmp_path: Path) -> None:
    _import(cli, tmp_path)
    default = cli("db-out", "spam")
    explicit = cli("db-out", "spam", "-", "--format", "jsonl")
    assert default.returncode == explicit.returncode == 0
    assert default.stdout == explicit.stdout
    rows = [json.loads(line) for line in default.stdout.splitlines()]
    assert [r["answer"] for r in rows] == ["accept", "reject", "reject", "ignore"]


def test_csv_parses_back_with_the_same_values(cli, tmp_path: Path) -> None:
    _import(cli, tmp_path)
    result = cli("db-out", "spam", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4
    assert list(rows[0]) == ["text", "label", "accept", "spans", "answer", "_input_hash",
                             "_task_hash", "_session_id", "_timestamp", "_seconds", "meta"]
    assert rows[1]["text"] == "see you at 5\nbring cake"  # newlines survive quoting
    assert json.loads(rows[0]["meta"]) == {"source": "sms, \"quoted\""}
    stored = [json.loads(line) for line in cli("db-out", "spam").stdout.splitlines()]
    for row, eg in zip(rows, stored, strict=True):
        assert int(row["_input_hash"]) == eg["_input_hash"]
        assert (row["label"], row["answer"]) == (eg["label"], eg["answer"])


def test_csv_to_a_file_and_choice_answers(cli, tmp_path: Path) -> None:
    path = tmp_path / "choice.jsonl"
    path.write_text(json.dumps({"text": "goal", "accept": ["Sports"], "answer": "accept",
                                "options": [{"id": "Sports"}, {"id": "World"}]}) + "\n")
    assert cli("db-in", "topics", path).returncode == 0
    out = tmp_path / "out.csv"
    result = cli("db-out", "topics", out, "--format", "csv")
    assert result.returncode == 0 and result.stdout == ""
    assert "wrote 1 examples" in result.stderr
    with out.open(newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert json.loads(row["accept"]) == ["Sports"] and row["label"] == ""


def test_merged_is_one_row_per_input_with_the_final_label(cli, tmp_path: Path) -> None:
    _import(cli, tmp_path)
    result = cli("db-out", "spam", "--format", "merged")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["cheap pills, buy now", "see you at 5\nbring cake"]
    pills = rows[0]
    assert pills["accept"] == [] and pills["reject"] == ["SPAM"]  # the later reject won
    assert pills["_conflict"] is True and pills["_n_answers"] == 2
    assert len({r["_input_hash"] for r in rows}) == len(rows)


def test_merged_output_goes_back_in_through_db_in(cli, tmp_path: Path) -> None:
    _import(cli, tmp_path)
    merged = cli("db-out", "spam", "--format", "merged").stdout
    result = cli("db-in", "final", "-", input=merged)
    assert result.returncode == 0, result.stderr
    assert "imported 2 examples" in result.stderr


def test_bad_format_and_answer_with_merged_are_errors(cli, tmp_path: Path) -> None:
    _import(cli, tmp_path)
    bad = cli("db-out", "spam", "--format", "xml")
    assert bad.returncode == 1 and "--format must be one of jsonl, csv, merged" in bad.stderr
    mixed = cli("db-out", "spam", "--format", "merged", "--answer", "accept")
    assert mixed.returncode == 1 and "--format merged" in mixed.stderr
    assert cli("db-out", "nope", "--format", "csv").returncode == 1


def test_merged_refuses_a_dataset_without_labels(cli, tmp_path: Path) -> None:
    path = tmp_path / "ner.jsonl"
    path.write_text(json.dumps({"text": "Bob in Oslo", "spans": [
        {"start": 7, "end": 11, "label": "CITY"}]}) + "\n", encoding="utf-8")
    assert cli("db-in", "places", path).returncode == 0
    result = cli("db-out", "places", "--format", "merged")
    assert result.returncode == 1 and "no text classification answers" in result.stderr
    assert result.stdout == ""
