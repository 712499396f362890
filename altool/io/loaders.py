"""Read examples from JSONL, CSV or plain-text files (or stdin), streaming, with line numbers.

Each loader yields :class:`Record` objects. Bad input raises :class:`~altool.errors.InputError`
(``FILE:LINE: what is wrong and how to fix it``) unless ``skip_invalid`` is set, in which case
the bad line is counted in :class:`LoadReport` and skipped.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import IO, Any

from ..errors import AltoolError, InputError

LOADERS = ("jsonl", "csv", "txt")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".txt": "txt",
    ".text": "txt",
}


@dataclass
class Record:
    """One example read from a file: where it was, the example, and its JSON text if unchanged."""

    line: int
    example: dict[str, Any]
    raw: str | None = None


@dataclass
class LoadReport:
    """What a loader saw: lines read, skipped (with the first few reasons)."""

    read: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def skip(self, err: InputError) -> None:
        self.skipped += 1
        if len(self.errors) < 5:
            self.errors.append(str(err))


def guess_loader(path: str) -> str:
    if path == "-":
        return "jsonl"
    name = Path(path)
    if name.suffix.lower() == ".gz":  # data.jsonl.gz: the format is the suffix before .gz
        name = name.with_suffix("")
    suffix = name.suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    raise AltoolError(
        f"{path}: can't tell the file format from the extension {suffix!r}; "
        f"pass --loader with one of: {', '.join(LOADERS)}"
    )


GZIP_MAGIC = b"\x1f\x8b"


def open_binary(path: str) -> IO[bytes]:
    """Open ``path`` for reading bytes; ``-`` is stdin. A gzip-compressed file (or stdin) is
    decompressed on the fly, whatever its name."""
    if path == "-":
        raw: IO[bytes] = sys.stdin.buffer
    else:
        p = Path(path)
        if not p.exists():
            raise AltoolError(f"{path}: no such file. Check the path, or use - to read stdin.")
        if p.is_dir():
            raise AltoolError(f"{path}: is a folder; give a JSONL, CSV or TXT file.")
        try:
            raw = p.open("rb")
        except OSError as err:
            raise AltoolError(f"{path}: can't read it ({err.strerror or err})") from None
    peek = getattr(raw, "peek", None)
    if peek is not None and peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def is_gzip(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False


def decoded_lines(
    fh: IO[bytes], path: str, progress: Callable[[int], None] | None, *,
    split_cr: bool = False,
) -> Iterator[tuple[int, str | InputError]]:
    """Yield ``(line_number, text)`` with BOM and line endings removed; a line that is not UTF-8
    yields an :class:`InputError` in place of its text. With ``split_cr`` a bare carriage
    return also ends a line (files saved with old Mac line endings)."""
    number = 0
    for raw in _raw_lines(fh, path):
        number += 1
        if progress is not None:
            progress(len(raw))
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            yield number, InputError(
                path,
                number,
                f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at column {err.start + 1}); "
                "re-save the file as UTF-8",
            )
            continue
        line = line.rstrip("\r\n")
        if split_cr and "\r" in line:
            *lines, line = line.split("\r")
            for part in lines:
                yield number, part
                number += 1
        yield number, line


def _raw_lines(fh: IO[bytes], path: str) -> Iterator[bytes]:
    """The file's lines as bytes; a damaged compressed file is an error that says so."""
    try:
        yield from fh
    except (OSError, EOFError, zlib.error) as err:  # gzip: BadGzipFile, truncated, zlib
        if not isinstance(fh, gzip.GzipFile):
            raise
        raise AltoolError(f"{path}: the file is gzip-compressed but its data is damaged or cut "
                          f"short ({err}); decompress it with gunzip to see where") from None


def check_text(text: Any, path: str, line: int, what: str = '"text"') -> str:
    """Return ``text`` if it is a usable example text, else raise a clear InputError."""
    if not isinstance(text, str):
        kind = "null" if text is None else type(text).__name__
        raise InputError(path, line, f"{what} must be a string, got {kind}")
    if not text.strip():
        raise InputError(path, line, f"{what} is empty; remove the line or give it some text")
    if "\x00" in text:
        raise InputError(path, line, f"{what} contains a NUL byte (\\x00); remove it")
    return text


INT64 = (-(2**63), 2**63 - 1)  # what SQLite can store as an integer
HASH_FIELDS = ("_input_hash", "_task_hash")
ID_FIELDS = ("_session_id", "_annotator_id", "_view_id")


class _NotJSON(ValueError):
    """NaN, Infinity or a number too large for a float: Python reads them, JSON has none."""


def _no_constant(name: str) -> float:
    raise _NotJSON(f"{name} is not a JSON value; write null or a number instead")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotJSON(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is too large "
                       "for a float; write it as a string")
    return value


# json.loads without its per-call argument checks, refusing what JSON does not allow
_decode_json = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite).decode


def parse_json_object(line: str, path: str, number: int) -> dict[str, Any]:
    try:
        value = _decode_json(line)
    except json.JSONDecodeError as err:
        raise InputError(
            path, number, f"invalid JSON ({err.msg} at column {err.colno}); "
            'each line must be one JSON object like {"text": "..."}'
        ) from None
    except RecursionError:
        raise InputError(path, number, "JSON nested too deeply; flatten the line") from None
    except _NotJSON as err:
        raise InputError(path, number, str(err)) from None
    except ValueError as err:  # an integer of more than 4,300 digits, which Python refuses
        what = "a number has more than 4,300 digits" if "digits" in str(err) else \
            f"a value can't be read ({err})"
        raise InputError(path, number, f"{what}; write very long numbers as strings") from None
    if "\\u" in line and _SURROGATE_ESCAPE.search(line):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                path, number, "contains an unpaired surrogate escape (like \\ud800), which is "
                "not valid text; fix or remove it"
            ) from None
    if not isinstance(value, dict):
        raise InputError(
            path, number,
            f'expected a JSON object like {{"text": "..."}}, got {type(value).__name__}',
        )
    return value


def _check_example(eg: dict[str, Any], path: str, number: int, key: str = "text") -> None:
    if "text" not in eg:
        keys = ", ".join(sorted(eg)[:8]) or "none"
        raise InputError(
            path, number, f'missing "text" field (keys found: {keys}); every example needs '
            '"text" (to read it from another key, give load or the recipe --text-field KEY)'
        )
    check_text(eg["text"], path, number, what=f'"{key}"')
    if "meta" in eg and not isinstance(eg["meta"], dict):
        raise InputError(path, number, '"meta" must be a JSON object like {"source": "x"}')
    check_fields(eg, path, number)


def check_fields(eg: dict[str, Any], path: str, number: int) -> None:
    """Prodigy's bookkeeping fields, where present: hashes are integers SQLite can store (a
    hash of more than 64 bits could never be looked up), ids are strings."""
    for key in HASH_FIELDS:
        value = eg.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or \
                not INT64[0] <= value <= INT64[1]:
            raise InputError(path, number, f'"{key}" must be a 64-bit integer, got '
                             f"{str(value)[:30]}{'…' if len(str(value)) > 30 else ''}; remove "
                             "it and altool computes it")
    for key in ID_FIELDS:
        if key in eg and eg[key] is not None and not isinstance(eg[key], str):
            raise InputError(path, number, f'"{key}" must be a string, got '
                             f"{type(eg[key]).__name__}")


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p\s*>|<p(?:\s[^<>]*)?>", re.IGNORECASE)
_FORMATTING = re.compile(r"</?(?:b|i|u|em|strong)\s*>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(text: str) -> str:
    """Text with HTML line breaks and entities as a person reads it (``--html-to-text``):
    ``<br />`` is a new line, ``<p>``/``</p>`` a paragraph break, ``<b>``, ``<i>``, ``<u>``,
    ``<em>``, ``<strong>`` go, entities (``&amp;``, ``&#39;``, ``&eacute;``) become their
    characters. Anything else that looks like a tag is kept (``a <b`` and ``<3`` are text).
    Entities are decoded last, so ``&lt;br&gt;`` stays the text ``<br>``."""
    if "<" in text:
        text = _BREAK.sub("\n", text)
        text = _PARAGRAPH.sub("\n\n", text)
        text = _FORMATTING.sub("", text)
        text = _BLANK_LINES.sub("\n\n", text).strip("\n")
    if "&" in text:
        text = unescape(text)
    return text


def use_text_field(eg: dict[str, Any], key: str, path: str, number: int) -> dict[str, Any]:
    """``--text-field KEY``: the example with ``KEY``'s value as its ``text`` (``KEY`` itself
    is not kept twice). A ``text`` the example had too moves to ``meta.text``."""
    if key not in eg:
        keys = ", ".join(sorted(eg)[:8]) or "none"
        raise InputError(path, number, f'missing "{key}" field, which --text-field names '
                         f"(keys found: {keys})")
    value = eg.pop(key)
    if "text" in eg:
        old = eg.pop("text")
        meta = eg.setdefault("meta", {})
        if not isinstance(meta, dict) or "text" in meta:
            raise InputError(path, number, f'has both "text" and "{key}", and "meta" has no '
                             'room for "text"; rename one of the keys')
        meta["text"] = old
    return {"text": value, **eg}


def _read_lines(
    fh: IO[bytes], path: str, report: LoadReport, skip_invalid: bool,
    progress: Callable[[int], None] | None, parse: Callable[[str, int], Record],
) -> Iterator[Record]:
    """One record per non-blank line, made by ``parse(line, number)``; bad lines raise or,
    with ``skip_invalid``, are counted and skipped."""
    first = True
    for number, line in decoded_lines(fh, path, progress, split_cr=True):
        if isinstance(line, str) and not line.strip():
            continue
        report.read += 1
        hint_at, first = first, False
        try:
            if isinstance(line, InputError):
                raise line
            record = parse(line, number)
        except InputError as err:
            if hint_at and isinstance(line, str):
                err = _with_format_hint(err, line)
            if not skip_invalid:
                raise err from None
            report.skip(err)
            continue
        yield record


def _with_format_hint(err: InputError, line: str) -> InputError:
    """A first line that is not JSON at all says which loader it looks like."""
    if not err.message.startswith("invalid JSON") or line.lstrip().startswith(("{", "[")):
        return err
    looks = "CSV (a header row)" if "," in line or "\t" in line else "plain text"
    loader = "csv" if "," in line or "\t" in line else "txt"
    return InputError(err.path, err.line, f"{err.message}. The file looks like {looks}: "
                      f"pass --loader {loader}")


def read_jsonl(
    fh: IO[bytes], path: str, report: LoadReport, skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None, *, text_field: str | None = None,
    html: bool = False,
) -> Iterator[Record]:
    key = text_field or "text"

    def parse(line: str, number: int) -> Record:
        eg = parse_json_object(line, path, number)
        raw: str | None = line
        if key != "text":
            eg, raw = use_text_field(eg, key, path, number), None
        _check_example(eg, path, number, key)
        if html:
            text = html_to_text(eg["text"])
            if text != eg["text"]:
                eg["text"], raw = check_text(text, path, number, f'"{key}" (as text)'), None
        return Record(number, eg, raw)

    return _read_lines(fh, path, report, skip_invalid, progress, parse)


def read_txt(
    fh: IO[bytes], path: str, report: LoadReport, skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None, *, text_field: str | None = None,
    html: bool = False,
) -> Iterator[Record]:
    if text_field not in (None, "text"):
        raise AltoolError(f"{path}: --text-field names a JSONL key or a CSV column; a TXT "
                          "file has one text per line")

    def parse(line: str, number: int) -> Record:
        text = check_text(line, path, number, what="line")
        if html:
            text = check_text(html_to_text(text), path, number, what="line (as text)")
        return Record(number, {"text": text})

    return _read_lines(fh, path, report, skip_invalid, progress, parse)


def read_csv(
    fh: IO[bytes], path: str, report: LoadReport, skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None, *, text_field: str | None = None,
    html: bool = False,
) -> Iterator[Record]:
    """CSV with a header row and a ``text`` column (or the column ``text_field`` names);
    other columns go into ``meta`` (a ``label`` column is kept as the example's ``label``)."""
    key = text_field or "text"
    numbers: list[int] = []

    def lines() -> Iterator[str]:
        for number, line in decoded_lines(fh, path, progress):
            if isinstance(line, InputError):
                if skip_invalid and number > 1:
                    report.read += 1
                    report.skip(line)
                    continue
                raise line
            numbers.append(number)
            yield line + "\n"

    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as err:
        raise InputError(path, 1, f"malformed CSV header ({err})") from None
    header = [h.strip() for h in header]
    if key not in header:
        fix = ("pass --text-field with the column that holds the text" if key != "text" else
               "name the column that holds the text 'text', or pass --text-field COLUMN")
        raise InputError(
            path, 1, f"no '{key}' column (columns: {', '.join(header) or 'none'}); {fix}"
        )
    text_idx = header.index(key)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            err_in = InputError(path, numbers[-1] if numbers else None, f"malformed CSV ({err})")
            if not skip_invalid:
                raise err_in from None
            report.skip(err_in)
            continue
        number = numbers[-1]  # physical line (reader.line_num miscounts after a skipped line)
        if not any(cell.strip() for cell in row):
            continue
        report.read += 1
        try:
            if len(row) != len(header):
                raise InputError(
                    path, number,
                    f"expected {len(header)} columns like the header, got {len(row)}; "
                    "quote cells that contain commas",
                )
            text = check_text(row[text_idx], path, number, what=f"'{key}' column")
            if html:
                text = check_text(html_to_text(text), path, number,
                                  what=f"'{key}' column (as text)")
        except InputError as err:
            if not skip_invalid:
                raise
            report.skip(err)
            continue
        eg: dict[str, Any] = {"text": text}
        meta = {}
        for k, (name, cell) in enumerate(zip(header, row, strict=True)):
            if k == text_idx:
                continue
            if name == "label":
                eg["label"] = cell
            else:
                meta[name] = cell
        if meta:
            eg["meta"] = meta
        yield Record(number, eg)


_READERS = {"jsonl": read_jsonl, "csv": read_csv, "txt": read_txt}


def iter_records(
    path: str,
    loader: str | None = None,
    *,
    report: LoadReport | None = None,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    text_field: str | None = None,
    html: bool = False,
) -> Iterator[Record]:
    """Stream :class:`Record` objects from ``path`` (``-`` for stdin). ``text_field``: the
    JSONL key or CSV column that holds the text (default ``text``); ``html``: turn HTML line
    breaks and entities in the texts into text (:func:`html_to_text`)."""
    kind = loader or guess_loader(path)
    if kind not in _READERS:
        raise AltoolError(f"unknown loader {kind!r}; use one of: {', '.join(LOADERS)}")
    if text_field is not None and not text_field.strip():
        raise AltoolError("--text-field can't be empty; give the JSONL key or CSV column that "
                          "holds the text")
    report = report if report is not None else LoadReport()
    fh = open_binary(path)
    name = "<stdin>" if path == "-" else path
    try:
        yield from _READERS[kind](fh, name, report, skip_invalid, progress,
                                  text_field=text_field, html=html)
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def get_stream(path: str, loader: str | None = None, skip_invalid: bool = False) -> Iterator[dict]:
    """Public helper for recipes: the examples of a file as dicts."""
    for record in iter_records(path, loader, skip_invalid=skip_invalid):
        yield record.example


def file_size(path: str) -> int | None:
    if path == "-":
        return None
    try:
        return Path(path).stat().st_size
    except OSError:
        return None


def progress_total(path: str) -> int | None:
    """Bytes a progress bar over ``path`` counts to: its size, or None (unknown) for stdin and
    for a compressed file (the bar counts the bytes read after decompressing)."""
    return None if path == "-" or is_gzip(path) else file_size(path)
