"""``altool db-out`` formats: the stored answers as JSONL or flat CSV, or merged per input."""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ..errors import AltoolError
from ..safe import json_safe, visible
from .database import Store

FORMATS = ("jsonl", "csv", "merged")
CSV_COLUMNS = ("text", "label", "accept", "spans", "answer", "_input_hash", "_task_hash",
               "_session_id", "_timestamp", "_seconds", "meta")


def export_rows(
    store: Store, dataset: str, fmt: str = "jsonl", answer: str | None = None,
    session_id: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The dataset's rows for ``fmt``: stored answers (jsonl, csv) or one per input (merged);
    only one session's with ``session_id``."""
    if fmt not in FORMATS:
        raise AltoolError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    store.require_dataset(dataset)
    if session_id is not None:
        from .sessions import require_session

        require_session(store, dataset, session_id)
    if fmt != "merged":
        return store.iter_answers(dataset, answer, session_id=session_id)
    if answer is not None:
        raise AltoolError("--answer filters stored answers; it can't be combined with "
                          "--format merged (which merges all of them)")
    from .merge import merge_answers  # NumPy: only for this format

    result = merge_answers((dataset, eg)
                           for eg in store.iter_answers(dataset, session_id=session_id))
    if result.n_unusable and not result.examples:
        raise AltoolError(f"{dataset} has no text classification answers (a label, or an "
                          "accept list): --format merged is for those; use jsonl or csv")
    return (result.to_row(eg) for eg in result.examples)


def csv_row(eg: dict[str, Any]) -> list[str]:
    """One answer as flat CSV cells: lists and dicts as JSON, missing fields empty."""
    cells = []
    for column in CSV_COLUMNS:
        value = eg.get(column)
        if value is None:
            cells.append("")
        elif isinstance(value, list | dict):
            cells.append(json.dumps(value, ensure_ascii=False))
        else:
            cells.append(str(value))
    return cells


def json_line(eg: dict[str, Any]) -> str:
    """One row as one line of JSON. NaN and infinities (stored by an older altool) are written
    as null: JSON has no such values, and a reader would reject the line. Characters a
    terminal would act on are ``\\u`` escapes (:func:`altool.safe.json_safe`)."""
    try:
        text = json.dumps(eg, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(finite(eg), ensure_ascii=False, allow_nan=False)
    # the same JSON value with DEL, C1 and bidi controls and U+2028/9 escaped: nothing a
    # terminal acts on, and no line reader splits the line at U+2028
    return json_safe(text)


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def write_rows(rows: Iterable[dict[str, Any]], fh: TextIO, fmt: str = "jsonl") -> int:
    """Write ``rows`` as JSONL (``jsonl``, ``merged``) or CSV; return how many were written.

    A reader that stops early (``| head``) is not an error: the rest goes to /dev/null."""
    n = 0
    try:
        if fmt == "csv":
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            # CSV can't escape: on a terminal, controls are shown as escapes; a file or a pipe
            # gets the data as it is
            shown = _is_terminal(fh)
            for eg in rows:
                cells = csv_row(eg)
                writer.writerow([visible(c) for c in cells] if shown else cells)
                n += 1
        else:
            for eg in rows:
                fh.write(json_line(eg) + "\n")
                n += 1
        fh.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), fh.fileno())
    return n


def _is_terminal(fh: TextIO) -> bool:
    try:
        return fh.isatty()
    except (AttributeError, ValueError):
        return False


def export(store: Store, dataset: str, path: str, fmt: str = "jsonl",
           answer: str | None = None, session_id: str | None = None) -> int:
    """Write the dataset to ``path`` (``-``: stdout) as ``fmt``; return the rows written. A
    file is written to a temporary file beside the target and renamed into place only when
    complete: a failure (a folder, a missing folder, a full disk, Ctrl-C) leaves nothing
    behind, and says what went wrong."""
    return write_file(export_rows(store, dataset, fmt, answer, session_id), path, fmt)


def check_output(path: str) -> Path:
    """The folder a file ``path`` goes in, or a clear error (a folder given, or a folder
    that does not exist): call it before a long computation whose result goes there."""
    out = Path(path)
    if out.is_dir():
        raise AltoolError(f"{path}: is a folder; give a file name, e.g. "
                          f"{out / 'answers.jsonl'}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise AltoolError(f"{path}: the folder {folder} does not exist; create it first "
                          f"(mkdir -p {folder})")
    return folder


def write_file(rows: Iterable[dict[str, Any]], path: str, fmt: str = "jsonl") -> int:
    """Write ``rows`` to ``path`` (``-``: stdout) as ``fmt``, all or nothing (see
    :func:`export`); return how many were written."""
    if path == "-":
        n = write_rows(rows, sys.stdout, fmt)
        sys.stdout.flush()
        return n
    out = Path(path)
    folder = check_output(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=folder)
    except OSError as err:
        raise AltoolError(f"{path}: can't write in {folder} ({err.strerror or err})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            n = write_rows(rows, fh, fmt)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it private; a file as open() would
        os.replace(tmp, out)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise AltoolError(f"{path}: writing failed ({err.strerror or err}); nothing was "
                          "written") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
