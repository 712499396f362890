"""Loading files into stored sources (the library behind ``altool load``)."""

from __future__ import annotations

from collections.abc import Callable

from .errors import AltoolError
from .loaders import LoadReport, file_size, iter_records
from .store import ImportResult, Store


def load_file(
    store: Store,
    source: str,
    path: str,
    loader: str | None = None,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[ImportResult, LoadReport]:
    """Import ``path`` into ``source`` in one transaction (nothing is written on a bad line)."""
    report = LoadReport()
    records = iter_records(
        path, loader, report=report, skip_invalid=skip_invalid, progress=progress
    )

    def checked():
        yield from records
        if report.read == 0:  # raised inside the transaction: nothing (no source) is written
            where = "stdin" if path == "-" else path
            raise AltoolError(f"{where}: no examples found (the input is empty)")

    result = store.add_source(source, checked())
    result.skipped = report.skipped
    return result, report


def ensure_source(store: Store, source: str, loader: str | None = None) -> str:
    """``source`` is a stored source name, or a file / ``-`` to load on the fly.

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
    load_file(store, name, source, loader)
    return name
