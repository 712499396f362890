"""``altool stats`` as Rich tables: datasets (answers, accepted labels, sessions, last
activity), one dataset's sessions, and sources. The numbers come from
:meth:`altool.store.Store.stats` and :func:`altool.store.sessions.list_sessions`."""

from __future__ import annotations

import time
from typing import Any

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from ..safe import safe_text

NUMBER_COLUMNS = ("total", "accept", "reject", "ignore", "sessions")


def stats_tables(data: dict[str, Any], width: int = 80) -> list[Table]:
    """The datasets table, a named dataset's sessions (fitted to ``width``), and the sources
    table when there are sources."""
    table = Table(title="Datasets", title_justify="left")
    for col in ("dataset", "total", "accept", "reject", "ignore", "labels (accepted)",
                "sessions", "last activity"):
        table.add_column(col, justify="right" if col in NUMBER_COLUMNS else "left")
    for name, d in data["datasets"].items():
        labels = ", ".join(f"{k} {v}" for k, v in d["labels"].items()) or "-"
        last = time.strftime("%Y-%m-%d %H:%M", time.localtime(d["last_activity"])) \
            if d["last_activity"] else "-"
        a = d["answers"]
        table.add_row(safe_text(name), str(d["total"]), str(a["accept"]), str(a["reject"]),
                      str(a["ignore"]), safe_text(labels), str(d["sessions"]), last)
    tables = [table]
    for name, d in data["datasets"].items():
        if d.get("session_list"):
            tables.append(sessions_table(name, d["session_list"], width))
    if data["sources"]:
        sources = Table(title="Sources", title_justify="left")
        sources.add_column("source")
        sources.add_column("examples", justify="right")
        for name, s in data["sources"].items():
            sources.add_row(safe_text(name), f"{s['total']:,}")
        tables.append(sources)
    return tables


def _when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "-"


def sessions_table(dataset: str, sessions: list[dict[str, Any]], width: int = 80) -> Table:
    """One dataset's sessions, oldest first, each id whole on one line (``drop --session`` and
    ``db-out --session`` take it). Columns after the id and the answers go in while they fit
    in ``width``: accept/reject/ignore, the day it started, the annotators (when any answer
    names one)."""
    def cell_id(s: dict[str, Any]) -> Text:
        if s["session_id"] is None:
            return safe_text("(none: imported)", "dim")
        return safe_text(s["session_id"], one_line=True)

    columns: list[tuple[str, dict[str, Any], list[Any]]] = [
        ("session", {"no_wrap": True}, [cell_id(s) for s in sessions]),
        ("answers", {"justify": "right", "no_wrap": True}, [f"{s['answers']:,}" for s in sessions]),
    ]
    optional = [
        ("a/r/i", {"justify": "right", "no_wrap": True},  # accept/reject/ignore
         [f"{s['accept']}/{s['reject']}/{s['ignore']}" for s in sessions]),
        ("started", {"no_wrap": True}, [_when(s["first"])[:10] for s in sessions]),
    ]
    if any(s["annotators"] for s in sessions):
        optional.append(("annotator", {"no_wrap": True}, [
            safe_text(", ".join(s["annotators"]) or "-", one_line=True) for s in sessions]))

    def span(column: tuple[str, dict[str, Any], list[Any]]) -> int:  # cells and borders
        return max([len(column[0]), *(cell_len(str(c)) for c in column[2])]) + 3

    used = 1 + sum(span(c) for c in columns)
    for column in optional:
        if used + span(column) <= width:
            columns.append(column)
            used += span(column)
    table = Table(title=Text.assemble("Sessions of ", safe_text(dataset, one_line=True)),
                  title_justify="left")
    for header, options, _cells in columns:
        table.add_column(header, **options)
    for row in zip(*(cells for _h, _o, cells in columns), strict=True):
        table.add_row(*row)
    return table
