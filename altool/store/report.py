"""``altool stats`` as Rich tables: datasets (answers, accepted labels, sessions, last
activity) and sources. The numbers come from :meth:`altool.store.Store.stats`."""

from __future__ import annotations

import time
from typing import Any

from rich.table import Table

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
    if data["sources"]:
        sources = Table(title="Sources", title_justify="left")
        sources.add_column("source")
        sources.add_column("examples", justify="right")
        for name, s in data["sources"].items():
            sources.add_row(safe_text(name), f"{s['total']:,}")
        tables.append(sources)
    return tables
