"""Loading files into the store: sources (``altool load``) and annotated datasets
(``altool db-in``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from shlex import quote
from typing import Any

from ..errors import AltoolError, InputError
from ..io.hashing import set_hashes
from ..io.loaders import LoadReport, file_size, iter_records
from ..io.prodigy import hashes_differ, set_altool_hashes
from ..io.spans import SpanError, check_tokens, normalize_spans
from .context import open_store
from .database import ANSWERS, ImportResult, Store


def load_file(
    store: Store,
    source: str,
    path: str,
    loader: str | None = None,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    text_field: str | None = None,
    html: bool = False,
) -> tuple[ImportResult, LoadReport]:
    """Import ``path`` into ``source`` in one transaction (nothing is written on a bad line).
    ``text_field`` and ``html`` are :func:`~altool.io.loaders.iter_records`'s."""
    store.require_intact()
    report = LoadReport()
    records = iter_records(
        path, loader, report=report, skip_invalid=skip_invalid, progress=progress,
        text_field=text_field, html=html,
    )

    def checked():
        yield from records
        if report.read == 0:  # raised inside the transaction: nothing (no source) is written
            where = "stdin" if path == "-" else path
            raise AltoolError(f"{where}: no examples found (the input is empty)")

    result = store.add_source(source, checked())
    result.skipped = report.skipped
    return result, report


def ensure_source(store: Store, source: str, loader: str | None = None, *,
                  text_field: str | None = None, html: bool = False) -> str:
    """``source`` is a stored source name, or a file / ``-`` to load on the fly (read with
    ``loader``, ``text_field`` and ``html``; a stored source is used as it was stored).

    A file is stored under its path as the source name (loading again only adds new lines)."""
    if store.has_source(source) and source != "-":
        return source
    if source == "-":
        name = "stdin"
    else:
        name = source
        if file_size(source) is None:
            known = ", ".join(store.source_names()) or "none yet"
            raise AltoolError(
                f"{source!r} is neither a stored source (sources: {known}) nor a file; "
                "load one with: altool load NAME FILE"
            )
    load_file(store, name, source, loader, text_field=text_field, html=html)
    return name


def read_annotated(
    path: str, default_answer: str = "accept", *, skip_invalid: bool = False,
    report: LoadReport | None = None, rehash_all: bool = False,
    hashes: ImportResult | None = None,
) -> Iterator[dict[str, Any]]:
    """The answers of an annotated JSONL file (e.g. a Prodigy export) for ``db-in``, read
    lazily and checked line by line: examples without an ``answer`` get ``default_answer``,
    spans must lie inside the text and not overlap, missing hashes are computed. A bad line
    raises :class:`InputError` (inside the import's transaction: nothing is stored), or with
    ``skip_invalid`` is counted in ``report`` and left out.

    Hashes given in the file are kept, and those that are not altool's for the text are
    counted in ``hashes.foreign``; with ``rehash_all`` every answer gets altool's hashes
    instead (:func:`altool.io.prodigy.set_altool_hashes`), counted in ``hashes.rehashed``
    where they changed."""
    name = "<stdin>" if path == "-" else path
    report = report if report is not None else LoadReport()
    hashes = hashes if hashes is not None else ImportResult()
    for record in iter_records(path, "jsonl", report=report, skip_invalid=skip_invalid):
        eg, line = record.example, record.line
        try:
            answer = eg.get("answer", default_answer)
            if answer not in ANSWERS:
                raise InputError(name, line, f'"answer" must be one of {", ".join(ANSWERS)}, '
                                 f"got {answer!r}")
            check_spans(eg, name, line)
            check_tokens_of(eg, name, line)
        except InputError as err:
            if not skip_invalid:
                raise
            report.skip(err)
            continue
        eg["answer"] = answer
        if rehash_all:
            before = (eg.get("_input_hash"), eg.get("_task_hash"))
            set_altool_hashes(eg)
            hashes.rehashed += before != (eg["_input_hash"], eg["_task_hash"])
        elif hashes_differ(eg):
            hashes.foreign += 1
        yield set_hashes(eg)
    if report.read == 0:
        raise AltoolError(f"{name}: no examples found (the input is empty)")


def import_answers(store: Store, dataset: str, path: str, default_answer: str = "accept", *,
                   skip_invalid: bool = False, rehash: bool = False,
                   ) -> tuple[ImportResult, LoadReport]:
    """``altool db-in``: stream ``path`` into ``dataset`` in one transaction (a bad line
    stores nothing). An answer already in the dataset with the same task hash, answer and
    content is skipped and counted (``ImportResult.duplicates``), so importing a file again
    changes nothing. ``rehash``: altool's hashes replace the file's (see
    :func:`read_annotated`, which also counts the answers whose hashes are not altool's)."""
    if default_answer not in ANSWERS:
        raise AltoolError(f"--answer must be one of {', '.join(ANSWERS)}")
    store.require_intact()
    report = LoadReport()
    hashes = ImportResult()
    examples = read_annotated(path, default_answer, skip_invalid=skip_invalid, report=report,
                              rehash_all=rehash, hashes=hashes)
    result = store.import_answers(dataset, examples)
    result.skipped = report.skipped
    result.foreign, result.rehashed = hashes.foreign, hashes.rehashed
    return result, report


def foreign_hash_warning(result: ImportResult, dataset: str, path: str) -> str | None:
    """What to tell after ``db-in`` stored answers whose input hashes are not altool's (a
    Prodigy export's): altool would take their texts for other texts. None if all matched."""
    if not result.foreign:
        return None
    return (f"{result.foreign:,} imported answers carry an _input_hash that is not altool's "
            "for their text (e.g. a Prodigy export): --exclude, review, merging and train "
            "take them for other texts than altool's own answers on the same text. To store "
            f"altool's hashes, import with --rehash: altool drop {quote(dataset)} && altool "
            f"db-in {quote(dataset)} {quote(path)} --rehash (drop only if the dataset holds "
            "nothing else)")


def check_spans(eg: dict[str, Any], path: str, line: int) -> None:
    """Spans, if any, must be ``{"start", "end", ...}`` with 0 <= start < end <= len(text)."""
    spans = eg.get("spans")
    if spans is None:
        return
    if not isinstance(spans, list):
        raise InputError(path, line, '"spans" must be a list of {"start", "end", "label"}')
    n = len(eg.get("text", ""))
    bounds = []
    for k, span in enumerate(spans):
        start = span.get("start") if isinstance(span, dict) else None
        end = span.get("end") if isinstance(span, dict) else None
        if not (_is_int(start) and _is_int(end) and 0 <= start < end <= n):
            raise InputError(
                path, line, f"span {k} has start={start!r}, end={end!r}; need integers with "
                f"0 <= start < end <= {n} (the text's length)"
            )
        bounds.append((start, end, k))
    bounds.sort()
    for (_, end, k), (start, _, j) in zip(bounds, bounds[1:], strict=False):
        if start < end:
            raise InputError(path, line, f"spans {k} and {j} overlap; the spans of one "
                             "example must not overlap")


def check_tokens_of(eg: dict[str, Any], path: str, line: int) -> None:
    """``tokens``, if any, must fit the text (Prodigy's format: ``text``, ``start``, ``end``,
    ``id``) and the spans must start and end on token boundaries."""
    if "tokens" not in eg:
        return
    try:
        check_tokens(eg.get("text", ""), eg["tokens"])
        if eg.get("spans"):
            normalize_spans(eg, allow_overlap=True)
    except SpanError as err:
        raise InputError(path, line, str(err)) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def stored_examples(source: str) -> Iterator[dict[str, Any]]:
    """The full examples of a stored source in the order they were loaded (read lazily, in
    chunks, on a connection of its own)."""
    with open_store() as store:
        for chunk in store.iter_source(source):
            ids = [row.id for row in chunk]
            examples = store.get_examples(ids)
            yield from (examples[i] for i in ids)
