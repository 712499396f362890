"""Loading what people have: ``--text-field`` (the text under another JSONL key or CSV
column), ``--html-to-text`` (movie reviews with ``<br />`` and entities), and gzip-compressed
files for every loader and every command that reads a file."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from altool.errors import AltoolError, InputError
from altool.io.loaders import LoadReport, html_to_text, iter_records
from altool.store import Store

REVIEW = ("A slow start.<br /><br />But the last hour &amp; the score are &quot;superb&quot;"
          " &mdash; it&#39;s a <i>must</i>.<br>8/10")
REVIEW_TEXT = ("A slow start.\n\nBut the last hour & the score are \"superb\" \u2014 it's a "
               "must.\n8/10")


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def texts(path: str, **kwargs) -> list[str]:
    return [r.example["text"] for r in iter_records(path, **kwargs)]


# -- --text-field ------------------------------------------------------------------------------
def test_jsonl_text_field_becomes_text_and_is_not_kept_twice(tmp_path):
    path = write(tmp_path / "hf.jsonl", '{"sentence": "a good one", "idx": 3}\n'
                 '{"sentence": "a bad one", "idx": 4}\n')
    records = list(iter_records(path, text_field="sentence"))
    assert [r.example for r in records] == [{"text": "a good one", "idx": 3},
                                            {"text": "a bad one", "idx": 4}]
    assert all(r.raw is None for r in records)  # stored as the example, not the line


def test_jsonl_text_field_keeps_an_existing_text_in_meta(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"text": "Title", "body": "The body", "meta": {"id": 1}}\n')
    [record] = iter_records(path, text_field="body")
    assert record.example == {"text": "The body", "meta": {"id": 1, "text": "Title"}}
    clash = write(tmp_path / "b.jsonl", '{"text": "T", "body": "B", "meta": {"text": "x"}}\n')
    with pytest.raises(InputError, match='both "text" and "body"'):
        list(iter_records(clash, text_field="body"))


def test_jsonl_text_field_missing_or_not_text_is_located(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"review": "fine"}\n{"other": "x"}\n{"review": 5}\n')
    with pytest.raises(InputError) as info:
        list(iter_records(path, text_field="review"))
    assert str(info.value).startswith(f"{path}:2: ")
    assert 'missing "review" field, which --text-field names (keys found: other)' in str(
        info.value)
    report = LoadReport()
    good = list(iter_records(path, text_field="review", skip_invalid=True, report=report))
    assert [r.example["text"] for r in good] == ["fine"] and report.skipped == 2
    assert report.errors[1] == f'{path}:3: "review" must be a string, got int'


def test_without_text_field_the_error_says_how(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"review": "fine"}\n')
    with pytest.raises(InputError, match="--text-field KEY"):
        list(iter_records(path))


def test_csv_text_field_names_the_column(tmp_path):
    path = write(tmp_path / "a.csv", "id,review,label,text\n1,Loved it,pos,t1\n2,Hated it,neg,t2\n")
    records = [r.example for r in iter_records(path, text_field="review")]
    assert records == [{"text": "Loved it", "label": "pos", "meta": {"id": "1", "text": "t1"}},
                       {"text": "Hated it", "label": "neg", "meta": {"id": "2", "text": "t2"}}]
    with pytest.raises(InputError, match="no 'body' column .*pass --text-field"):
        list(iter_records(path, text_field="body"))
    plain = write(tmp_path / "b.csv", "review\nx\n")
    with pytest.raises(InputError, match="or pass --text-field COLUMN"):
        list(iter_records(plain))


def test_text_field_with_txt_or_empty_is_refused(tmp_path):
    path = write(tmp_path / "a.txt", "one\n")
    with pytest.raises(AltoolError, match="a TXT file has one text per line"):
        list(iter_records(path, text_field="review"))
    assert texts(path, text_field="text") == ["one"]
    with pytest.raises(AltoolError, match="can't be empty"):
        list(iter_records(path, text_field=" "))


# -- --html-to-text ----------------------------------------------------------------------------
def test_html_to_text_on_a_movie_review():
    assert html_to_text(REVIEW) == REVIEW_TEXT


@pytest.mark.parametrize("text, expected", [
    ("<p>One.</p><p>Two.</p>", "One.\n\nTwo."),
    ("a <br/> b<BR />c", "a \n b\nc"),
    ("x &lt;br&gt; y", "x <br> y"),  # an escaped tag is text, not a break
    ("1 < 3 and <3 and a<b", "1 < 3 and <3 and a<b"),  # not tags: kept
    ('<a href="x">link</a> <div>d</div>', '<a href="x">link</a> <div>d</div>'),  # kept
    ("plain text", "plain text"),
])
def test_html_to_text_converts_breaks_and_entities_only(text, expected):
    assert html_to_text(text) == expected


def test_html_to_text_in_every_loader(tmp_path):
    jsonl = write(tmp_path / "r.jsonl", json.dumps({"review": REVIEW, "stars": 8}) + "\n")
    [record] = iter_records(jsonl, text_field="review", html=True)
    assert record.example == {"text": REVIEW_TEXT, "stars": 8} and record.raw is None
    assert texts(jsonl, text_field="review") == [REVIEW]  # off by default: unchanged
    csv_path = tmp_path / "r.csv"
    csv_path.write_text('text\n"' + REVIEW.replace('"', '""') + '"\n', encoding="utf-8")
    assert texts(str(csv_path), html=True) == [REVIEW_TEXT]
    txt = write(tmp_path / "r.txt", REVIEW + "\n")
    assert texts(txt, html=True) == [REVIEW_TEXT]


def test_a_text_that_is_only_markup_is_an_empty_text(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"text": "ok"}\n{"text": "<br /><br />"}\n')
    with pytest.raises(InputError, match=f"{path}:2: .*is empty"):
        list(iter_records(path, html=True))


def test_load_with_text_field_and_html_through_the_cli(cli, home, tmp_path):
    path = write(tmp_path / "imdb.jsonl", json.dumps({"review": REVIEW, "label": "pos"}) + "\n")
    out = cli("load", "imdb", path)
    assert out.returncode == 1 and "--text-field KEY" in out.stderr
    out = cli("load", "imdb", path, "--text-field", "review", "--html-to-text")
    assert out.returncode == 0, out.stderr
    with Store(home / "altool.db") as store:
        [chunk] = store.iter_source("imdb")
        [eg] = store.get_examples([chunk[0].id]).values()
    assert eg["text"] == REVIEW_TEXT and eg["label"] == "pos" and "review" not in eg
    # the hash is the converted text's: loading the same file again adds nothing
    out = cli("load", "imdb", path, "--text-field", "review", "--html-to-text")
    assert "added 0 examples, 1 duplicates skipped" in out.stderr


# -- gzip: every loader, stdin, db-in and a recipe's SOURCE ------------------------------------
@pytest.mark.parametrize("name, body, expected", [
    ("t.jsonl.gz", '{"text": "one"}\n{"text": "two"}\n', ["one", "two"]),
    ("t.csv.gz", "text,label\none,a\ntwo,b\n", ["one", "two"]),
    ("t.txt.gz", "one\ntwo\n", ["one", "two"]),
    ("t.data", '{"text": "one"}\n{"text": "two"}\n', ["one", "two"]),  # by content, any name
])
def test_gzip_files_are_read_by_every_loader(tmp_path, name, body, expected):
    path = tmp_path / name
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(body)
    loader = "jsonl" if name.endswith(".data") else None
    assert texts(str(path), loader=loader) == expected


def test_gzip_through_load_stdin_db_in_and_a_recipe(cli, home, tmp_path):
    lines = '{"review": "one <br /> more", "label": "A", "answer": "accept"}\n'
    data = gzip.compress(lines.encode())
    path = tmp_path / "answers.jsonl.gz"
    path.write_bytes(data)
    out = cli("load", "src", path, "--text-field", "review", "--html-to-text")
    assert out.returncode == 0 and "added 1 examples" in out.stderr, out.stderr
    piped = subprocess.run([sys.executable, "-m", "altool", "load", "piped", "-",
                            "--text-field", "review"], input=data, capture_output=True,
                           timeout=120)
    assert piped.returncode == 0 and b"added 1 examples" in piped.stderr, piped.stderr
    plain = tmp_path / "prodigy.jsonl.gz"
    plain.write_bytes(gzip.compress(b'{"text": "one", "label": "A", "answer": "accept"}\n'))
    out = cli("db-in", "ds", plain)
    assert out.returncode == 0 and "imported 1 examples" in out.stderr, out.stderr
    with Store(home / "altool.db") as store:
        assert [eg["text"] for eg in store.iter_answers("ds")] == ["one"]
        assert store.count_source("src") == store.count_source("piped") == 1
        [row] = next(store.iter_source("src"))
        assert row.text == "one \n more"
