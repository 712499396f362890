"""``altool stats`` as Rich tables: datasets (answers, accepted labels, sessions, last
activity), one dataset's sessions, and sources. The numbers come from
:meth:`altool.store.Store.stats` and :func:`altool.store.sessions.list_sessions`."""

from __future__ import annotations

import time
from typing import Any

from rich.table import Table
from rich.text import Text

from ..safe import safe_text

NUMBER_COLUMNS = ("total", "accept", "reject", "ignore", "sessions")


def stats_tables(data: dict[str, Any]) -> list[Table]:
    """The datasets table, and the sources table when there are sources."""
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
            tables.append(sessions_table(name, d["session_list"]))
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


def sessions_table(dataset: str, sessions: list[dict[str, Any]]) -> Table:
    """One dataset's sessions, oldest first, each id whole on one line (``drop --session`` and
    ``db-out --session`` take it); an annotator column when any answer names one."""
    table = Table(title=Text.assemble("Sessions of ", safe_text(dataset, one_line=True)),
                  title_justify="left")
    table.add_column("session", no_wrap=True)
    table.add_column("answers", justify="right", no_wrap=True, min_width=7)
    table.add_column("a/r/i", justify="right", no_wrap=True)  # accept/reject/ignore
    annotators = any(s["annotators"] for s in sessions)
    if annotators:
        table.add_column("annotator", overflow="ellipsis", no_wrap=True)
    table.add_column("started", no_wrap=True)
    for s in sessions:
        sid = safe_text(s["session_id"], one_line=True) if s["session_id"] is not None else \
            safe_text("(none: imported)", "dim")
        cells = [sid, f"{s['answers']:,}", f"{s['accept']}/{s['reject']}/{s['ignore']}"]
        if annotators:
            cells.append(safe_text(", ".join(s["annotators"]) or "-", one_line=True))
        table.add_row(*cells, _when(s["first"])[:10])  # the day: an id made by altool says when
    return table
