"""Property-based tests (hypothesis) for every loader and for ``db-in``: a file mixing good lines
with bad ones (invalid JSON, not an object, missing / non-string / empty text, NUL bytes,
invalid UTF-8, bad spans; plus a BOM and CRLF endings, which are fine) either fails on the first
bad line with ``FILE:LINE: what is wrong``, or with ``skip_invalid`` yields exactly the good
lines and counts the bad ones. Nothing else is ever raised."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altool.errors import AltoolError, InputError
from altool.io.loaders import LoadReport, iter_records
from altool.store.ingest import read_annotated
from tests.helpers import run_cli

# ALTOOL_FUZZ_EXAMPLES: more cases per test (benchmarks/reliability.py runs 400)
SETTINGS = settings(max_examples=int(os.environ.get("ALTOOL_FUZZ_EXAMPLES", 40)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                min_size=1, max_size=12)
good_text = st.lists(words, min_size=1, max_size=4).map(" ".join)

# each generator gives (line bytes, is_valid)
JSON_BAD = st.one_of(
    st.just(b'{"text": "unterminated'),
    st.just(b"{text: 'single quotes'}"),
    st.sampled_from([b"[1, 2]", b"42", b'"just a string"', b"null", b"true"]),
    st.just(b'{"label": "A"}'),
    st.sampled_from([b'{"text": 5}', b'{"text": null}', b'{"text": ["a"]}']),
    st.sampled_from([b'{"text": ""}', b'{"text": "   "}']),
    st.just(b'{"text": "nul \\u0000 inside"}'),
    st.just(b'{"text": "bad \xff\xfe bytes"}'),
    st.just(b'{"text": "lone \\ud800 surrogate"}'),
    st.just(b'{"text": "ok", "meta": "not an object"}'),
)


def _json_good(text: str) -> bytes:
    return json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")


def lines_of(good: st.SearchStrategy[bytes], bad: st.SearchStrategy[bytes]):
    return st.lists(st.one_of(good.map(lambda b: (b, True)), bad.map(lambda b: (b, False))),
                    min_size=1, max_size=12)


def _write(lines: list[tuple[bytes, bool]], bom: bool, crlf: bool, header: bytes = b"") -> str:
    end = b"\r\n" if crlf else b"\n"
    body = (b"\xef\xbb\xbf" if bom else b"") + header + b"".join(line + end for line, _ in lines)
    fd, path = tempfile.mkstemp(suffix=".data")
    with os.fdopen(fd, "wb") as fh:
        fh.write(body)
    return path


def check_file(path: str, lines: list[tuple[bytes, bool]], first_line: int,
               read: Callable[[str, bool], tuple[int, int]]) -> None:
    """Strict mode fails at the first bad line; skip mode keeps exactly the good ones."""
    good = sum(ok for _, ok in lines)
    bad_at = [first_line + i for i, (_, ok) in enumerate(lines) if not ok]
    try:
        if bad_at:
            with pytest.raises(InputError) as info:
                read(path, False)
            assert str(info.value).startswith(f"{path}:{bad_at[0]}: "), str(info.value)
            assert "\n" not in str(info.value)
        else:
            assert read(path, False) == (good, 0)
        if good:
            assert read(path, True) == (good, len(bad_at))
    finally:
        os.unlink(path)


def read_loader(kind: str) -> Callable[[str, bool], tuple[int, int]]:
    def read(path: str, skip: bool) -> tuple[int, int]:
        report = LoadReport()
        n = sum(1 for _ in iter_records(path, kind, report=report, skip_invalid=skip))
        return n, report.skipped

    return read


def read_db_in(path: str, skip: bool) -> tuple[int, int]:
    report = LoadReport()
    examples = list(read_annotated(path, skip_invalid=skip, report=report))
    return len(examples), report.skipped


@SETTINGS
@given(lines_of(good_text.map(_json_good), JSON_BAD), st.booleans(), st.booleans())
def test_jsonl_loader(lines, bom, crlf):
    check_file(_write(lines, bom, crlf), lines, 1, read_loader("jsonl"))


TXT_BAD = st.sampled_from([b"nul \x00 here", b"bad \xc3\x28 utf8", b"\xff"])


@SETTINGS
@given(lines_of(good_text.map(lambda t: t.encode("utf-8")), TXT_BAD), st.booleans(),
       st.booleans())
def test_txt_loader(lines, bom, crlf):
    check_file(_write(lines, bom, crlf), lines, 1, read_loader("txt"))


cell = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=8)
CSV_BAD = st.sampled_from([b"only,two,too many", b'"",A', b"nul \x00,A", b"\xff\xfe,A"])


@SETTINGS
@given(lines_of(st.tuples(cell, cell).map(lambda c: f"{c[0]},{c[1]}".encode()), CSV_BAD),
       st.booleans(), st.booleans())
def test_csv_loader(lines, bom, crlf):
    path = _write(lines, bom, crlf, header=b"text,label" + (b"\r\n" if crlf else b"\n"))
    check_file(path, lines, 2, read_loader("csv"))


def _annotated(text: str, spans: list[tuple[int, int]] | None = None, **extra) -> bytes:
    eg = {"text": text, "label": "A", **extra}
    if spans is not None:
        eg["spans"] = [{"start": s, "end": e, "label": "X"} for s, e in spans]
    return json.dumps(eg, ensure_ascii=False).encode("utf-8")


DB_IN_GOOD = st.one_of(
    good_text.map(_annotated),
    st.just(_annotated("hello world", [(0, 5), (6, 11)], answer="reject")),
)
DB_IN_BAD = st.one_of(
    JSON_BAD,
    st.just(_annotated("hello", [(0, 6)])),  # past the end
    st.just(_annotated("hello", [(3, 2)])),  # end before start
    st.just(_annotated("hello", [(-1, 2)])),
    st.just(_annotated("hello world", [(0, 5), (3, 8)])),  # overlapping
    st.just(b'{"text": "hello", "spans": "0-5"}'),
    st.just(_annotated("hello", None, answer="maybe")),
)


@SETTINGS
@given(lines_of(DB_IN_GOOD, DB_IN_BAD), st.booleans(), st.booleans())
def test_db_in_reader(lines, bom, crlf):
    check_file(_write(lines, bom, crlf), lines, 1, read_db_in)


@SETTINGS
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=8))
def test_arbitrary_bytes_never_raise_anything_but_a_located_error(chunks):
    path = _write([(c.replace(b"\n", b" ").replace(b"\r", b" "), False) for c in chunks],
                  False, False)
    try:
        for kind in ("jsonl", "txt", "csv"):
            try:
                list(iter_records(path, kind))
            except AltoolError as err:  # FILE:LINE, or FILE: for a damaged gzip stream
                assert str(err).startswith(f"{path}:")
        try:
            list(read_annotated(path))
        except AltoolError as err:  # FILE:LINE, damaged gzip, or every line blank
            assert str(err).startswith(f"{path}:")
    finally:
        os.unlink(path)


# -- through the command line: exit code 1, FILE:LINE, nothing written -----------------------
def test_a_10_mb_line_loads_and_a_bad_one_is_located(home, tmp_path: Path) -> None:
    big = "word " * 2_000_000
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"text": big}) + "\n" + '{"text": 1}\n', encoding="utf-8")
    result = run_cli("load", "big", path)
    assert result.returncode == 1 and f"{path}:2: " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("load", "big", path, "--skip-invalid")
    assert result.returncode == 0, result.stderr
    assert "added 1 examples, 1 invalid lines skipped" in result.stderr
    assert f"skipped {path}:2: " in result.stderr.replace("\n", "")


@pytest.mark.parametrize("command", ["load", "db-in"])
def test_bad_input_through_the_cli(home, tmp_path: Path, command: str) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"text": "fine", "label": "A"}\r\n[1]\r\n{"text": "\xff"}\r\n'
                     b'{"text": "also fine", "label": "A"}\r\n')
    result = run_cli(command, "name", path)
    assert result.returncode == 1, result.stderr
    assert f"{path}:2: expected a JSON object" in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr + result.stdout
    stats = json.loads(run_cli("stats", "--json").stdout)
    assert stats == {"datasets": {}, "sources": {}}  # nothing written
    result = run_cli(command, "name", path, "--skip-invalid")
    assert result.returncode == 0, result.stderr
    assert "2 invalid lines skipped" in result.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = run_cli(command, "other", empty)
    assert result.returncode == 1 and "no examples found" in result.stderr
