"""Loaders: JSONL, CSV and TXT, good files and every kind of bad line."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altool.errors import AltoolError, InputError
from altool.io.loaders import (
    LoadReport,
    get_stream,
    guess_loader,
    iter_records,
    read_csv,
    read_jsonl,
    read_txt,
)


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


def load(path: str, **kwargs) -> list:
    return list(iter_records(path, **kwargs))


def load_error(path: str, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        load(path, **kwargs)
    return info.value


def assert_at(err: InputError, path: str, line: int) -> None:
    assert str(err).startswith(f"{path}:{line}: "), str(err)
    assert err.path == path
    assert err.line == line


# -- good files --------------------------------------------------------------------------------
def test_jsonl_good_file(tmp_path):
    path = write(
        tmp_path, "a.jsonl",
        '{"text": "first", "label": "x"}\n{"text": "second", "meta": {"source": "s"}}\n',
    )
    records = load(path)
    assert [r.line for r in records] == [1, 2]
    assert records[0].example == {"text": "first", "label": "x"}
    assert records[1].example["meta"] == {"source": "s"}
    assert records[0].raw == '{"text": "first", "label": "x"}'


def test_jsonl_without_trailing_newline(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "a"}\n{"text": "b"}')
    assert [r.example["text"] for r in load(path)] == ["a", "b"]


def test_csv_good_file(tmp_path):
    path = write(
        tmp_path, "a.csv",
        'text,label,source\nhello,greet,web\n"a, quoted, text",other,mail\n',
    )
    records = load(path)
    assert [r.line for r in records] == [2, 3]
    assert records[0].example == {"text": "hello", "label": "greet", "meta": {"source": "web"}}
    assert records[1].example["text"] == "a, quoted, text"


def test_csv_text_column_only_has_no_meta(tmp_path):
    path = write(tmp_path, "a.csv", "text\nhello\n")
    assert load(path)[0].example == {"text": "hello"}


def test_txt_good_file(tmp_path):
    path = write(tmp_path, "a.txt", "one line\nanother line\n")
    records = load(path)
    assert [r.example for r in records] == [{"text": "one line"}, {"text": "another line"}]
    assert [r.line for r in records] == [1, 2]


def test_get_stream_yields_dicts(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "a"}\n')
    assert list(get_stream(path)) == [{"text": "a"}]


def test_loader_option_overrides_extension(tmp_path):
    path = write(tmp_path, "data.dat", "plain text line\n")
    assert load(path, loader="txt")[0].example == {"text": "plain text line"}


@pytest.mark.parametrize(
    "name, kind",
    [("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("a.JSON", "jsonl"), ("a.csv", "csv"),
     ("a.txt", "txt"), ("-", "jsonl")],
)
def test_guess_loader(name, kind):
    assert guess_loader(name) == kind


# -- line handling -----------------------------------------------------------------------------
def test_bom_on_first_line_is_removed(tmp_path):
    path = write(tmp_path, "a.jsonl", b'\xef\xbb\xbf{"text": "a"}\n{"text": "b"}\n')
    assert [r.example["text"] for r in load(path)] == ["a", "b"]


def test_bom_in_csv_header_is_removed(tmp_path):
    path = write(tmp_path, "a.csv", b"\xef\xbb\xbftext,label\nhi,x\n")
    assert load(path)[0].example == {"text": "hi", "label": "x"}


def test_bom_in_txt_is_not_part_of_the_text(tmp_path):
    path = write(tmp_path, "a.txt", b"\xef\xbb\xbfhello\n")
    assert load(path)[0].example == {"text": "hello"}


def test_crlf_line_endings(tmp_path):
    txt = write(tmp_path, "a.txt", b"one\r\ntwo\r\n")
    assert [r.example["text"] for r in load(txt)] == ["one", "two"]
    jsonl = write(tmp_path, "a.jsonl", b'{"text": "one"}\r\n{"text": "two"}\r\n')
    records = load(jsonl)
    assert [r.example["text"] for r in records] == ["one", "two"]
    assert not records[0].raw.endswith("\r")
    csv_path = write(tmp_path, "a.csv", b"text,label\r\none,x\r\ntwo,y\r\n")
    assert [r.example for r in load(csv_path)] == [
        {"text": "one", "label": "x"}, {"text": "two", "label": "y"}
    ]


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    path = write(tmp_path, "a.jsonl", '\n{"text": "a"}\n   \n\n{"text": "b"}\n\n')
    records = load(path)
    assert [(r.line, r.example["text"]) for r in records] == [(2, "a"), (5, "b")]
    txt = write(tmp_path, "a.txt", "a\n\n  \nb\n")
    assert [(r.line, r.example["text"]) for r in load(txt)] == [(1, "a"), (4, "b")]
    csv_path = write(tmp_path, "a.csv", "text\na\n\nb\n")
    assert [(r.line, r.example["text"]) for r in load(csv_path)] == [(2, "a"), (4, "b")]


def test_blank_lines_are_not_counted_as_read(tmp_path):
    path = write(tmp_path, "a.jsonl", '\n{"text": "a"}\n\n')
    report = LoadReport()
    load(path, report=report)
    assert report.read == 1
    assert report.skipped == 0


# -- bad JSONL ---------------------------------------------------------------------------------
def test_invalid_json(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "ok"}\n{"text": "broken"\n')
    err = load_error(path)
    assert_at(err, path, 2)
    assert "invalid JSON" in err.message
    assert '{"text": "..."}' in err.message  # says what a line should look like


@pytest.mark.parametrize("line, kind", [('["a", "b"]', "list"), ('"just text"', "str"),
                                        ("42", "int"), ("null", "NoneType")])
def test_json_that_is_not_an_object(tmp_path, line, kind):
    path = write(tmp_path, "a.jsonl", line + "\n")
    err = load_error(path)
    assert_at(err, path, 1)
    assert "expected a JSON object" in err.message
    assert kind in err.message


def test_missing_text_field_lists_the_keys_found(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "a"}\n{"body": "b", "label": "x"}\n')
    err = load_error(path)
    assert_at(err, path, 2)
    assert 'missing "text"' in err.message
    assert "body" in err.message and "label" in err.message


@pytest.mark.parametrize("value, kind", [("5", "int"), ("null", "null"), ('["a"]', "list"),
                                         ('{"a": 1}', "dict"), ("true", "bool")])
def test_non_string_text(tmp_path, value, kind):
    path = write(tmp_path, "a.jsonl", f'{{"text": {value}}}\n')
    err = load_error(path)
    assert_at(err, path, 1)
    assert "must be a string" in err.message
    assert kind in err.message


@pytest.mark.parametrize("text", ["", "   ", "\\n\\t"])
def test_empty_text(tmp_path, text):
    path = write(tmp_path, "a.jsonl", f'{{"text": "{text}"}}\n')
    err = load_error(path)
    assert_at(err, path, 1)
    assert "empty" in err.message and "remove the line" in err.message


def test_nul_byte_in_json_text(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "a\\u0000b"}\n')
    err = load_error(path)
    assert_at(err, path, 1)
    assert "NUL" in err.message


def test_raw_nul_byte_in_txt(tmp_path):
    path = write(tmp_path, "a.txt", b"fine\nbad\x00line\n")
    err = load_error(path)
    assert_at(err, path, 2)
    assert "NUL" in err.message


def test_meta_must_be_an_object(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "a", "meta": "web"}\n')
    err = load_error(path)
    assert_at(err, path, 1)
    assert '"meta"' in err.message


@pytest.mark.parametrize("name", ["a.jsonl", "a.txt", "a.csv"])
def test_invalid_utf8_gives_the_line_number(tmp_path, name):
    header = b"text\n" if name.endswith(".csv") else b""
    good = b'{"text": "ok"}\n' if name.endswith(".jsonl") else b"ok\n"
    bad = b'{"text": "caf\xe9"}\n' if name.endswith(".jsonl") else b"caf\xe9\n"
    path = write(tmp_path, name, header + good + good + bad)
    line = 3 + (1 if header else 0)
    err = load_error(path)
    assert_at(err, path, line)
    assert "UTF-8" in err.message
    assert "0xe9" in err.message
    assert "re-save" in err.message


def test_deeply_nested_json_is_an_input_error(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "ok"}\n' + "[" * 100_000 + "\n")
    err = load_error(path)
    assert_at(err, path, 2)


def test_unpaired_surrogate_escape_is_an_input_error(tmp_path):
    # json.loads accepts "\ud800" but such a string can't be stored as UTF-8 text.
    path = write(tmp_path, "a.jsonl", '{"text": "ok \\ud83d\\ude00"}\n{"text": "bad \\ud800"}\n')
    err = load_error(path)
    assert_at(err, path, 2)
    assert "surrogate" in err.message


def test_paired_surrogate_escape_is_fine(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "smile \\ud83d\\ude00"}\n')
    assert load(path)[0].example["text"] == "smile \U0001f600"


# -- bad CSV -----------------------------------------------------------------------------------
def test_csv_without_text_column(tmp_path):
    path = write(tmp_path, "a.csv", "body,label\nhello,x\n")
    err = load_error(path)
    assert_at(err, path, 1)
    assert "no 'text' column" in err.message
    assert "body, label" in err.message


def test_csv_row_with_wrong_column_count(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nhello,x\nhello, world,x\n")
    err = load_error(path)
    assert_at(err, path, 3)
    assert "expected 2 columns" in err.message and "got 3" in err.message
    assert "quote" in err.message


def test_csv_empty_text_cell(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\n  ,x\n")
    err = load_error(path)
    assert_at(err, path, 2)
    assert "empty" in err.message


def test_csv_header_only_gives_no_records(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\n")
    assert load(path) == []


# -- files and formats -------------------------------------------------------------------------
def test_unknown_extension_without_loader(tmp_path):
    path = write(tmp_path, "data.xlsx", "x\n")
    with pytest.raises(AltoolError) as info:
        load(path)
    assert not isinstance(info.value, InputError) or info.value.line is None
    assert "--loader" in str(info.value)
    assert "jsonl" in str(info.value)


def test_unknown_loader_name(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "a"}\n')
    with pytest.raises(AltoolError, match="unknown loader 'xml'"):
        load(path, loader="xml")


def test_missing_file(tmp_path):
    with pytest.raises(AltoolError, match="no such file"):
        load(str(tmp_path / "nope.jsonl"))


def test_folder_instead_of_file(tmp_path):
    folder = tmp_path / "dir.jsonl"
    folder.mkdir()
    with pytest.raises(AltoolError, match="folder"):
        load(str(folder))


# -- skip_invalid ------------------------------------------------------------------------------
def test_skip_invalid_counts_and_keeps_good_lines(tmp_path):
    lines = [
        '{"text": "good 1"}',
        "not json",
        '{"no_text": 1}',
        '{"text": ""}',
        '{"text": "good 2"}',
        "[1]",
    ]
    path = write(tmp_path, "a.jsonl", "\n".join(lines) + "\n")
    report = LoadReport()
    records = load(path, report=report, skip_invalid=True)
    assert [r.example["text"] for r in records] == ["good 1", "good 2"]
    assert [r.line for r in records] == [1, 5]
    assert report.skipped == 4
    assert report.read == 6
    assert report.errors[0].startswith(f"{path}:2: ")
    assert report.errors[1].startswith(f"{path}:3: ")


def test_skip_invalid_keeps_only_five_messages(tmp_path):
    path = write(tmp_path, "a.jsonl", "bad\n" * 12 + '{"text": "ok"}\n')
    report = LoadReport()
    records = load(path, report=report, skip_invalid=True)
    assert len(records) == 1
    assert report.skipped == 12
    assert len(report.errors) == 5


def test_skip_invalid_utf8_line(tmp_path):
    path = write(tmp_path, "a.txt", b"ok\n\xff\xfe\nalso ok\n")
    report = LoadReport()
    records = load(path, report=report, skip_invalid=True)
    assert [r.example["text"] for r in records] == ["ok", "also ok"]
    assert report.skipped == 1


def test_csv_skip_invalid_skips_bad_rows_with_right_line_numbers(tmp_path):
    path = write(tmp_path, "a.csv", b"text,label\nok,a\n\xff,b\ntoo,many,cells\nlast,c\n")
    report = LoadReport()
    records = load(path, report=report, skip_invalid=True)
    assert [(r.line, r.example["text"]) for r in records] == [(2, "ok"), (5, "last")]
    assert report.skipped == 2
    assert report.errors[0].startswith(f"{path}:3: ")
    assert report.errors[1].startswith(f"{path}:4: ")


# -- property: any input either loads or raises InputError -------------------------------------
line_strategy = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.dictionaries(
        st.sampled_from(["text", "label", "meta", "x"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(),
                  max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
        max_size=3,
    ).map(lambda d: json.dumps(d).encode("utf-8")),
    st.sampled_from([b"", b"\r", b"\xef\xbb\xbf", b'{"text": "\\ud800"}', b"[[[[", b"\x00",
                     b'"a,b",c', b'text,label']),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line_strategy, max_size=8), skip=st.booleans())
def test_any_lines_load_or_raise_input_error(lines, skip):
    data = b"\n".join(lines)
    for reader in (read_jsonl, read_txt, read_csv):
        report = LoadReport()
        try:
            records = list(reader(io.BytesIO(data), "f", report, skip_invalid=skip))
        except InputError as err:
            assert re.match(r"f:\d+: ", str(err)), str(err)
            # with skip_invalid only a CSV header can still stop the load
            assert not skip or (reader is read_csv and err.line == 1), str(err)
            continue
        for record in records:
            text = record.example["text"]
            assert isinstance(text, str) and text.strip() and "\x00" not in text
            text.encode("utf-8")  # storable
        assert len(records) <= report.read
