"""``altool stats`` as Rich tables: datasets (answers, accepted labels, sessions, last
activity), one dataset's sessions, and sources. The numbers come from
:meth:`altool.store.Store.stats` and :func:`altool.store.sessions.list_sessions`."""

from __future__ import annotations

import time
from typing import Any

from rich.cells import cell_len
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..safe import safe_text

NUMBER_COLUMNS = ("total", "accept", "reject", "ignore", "sessions")


def stats_tables(data: dict[str, Any], width: int = 80) -> list[Any]:
    """The datasets (a table when it fits in ``width``, else one block per dataset, so no
    name, label or date is cut), a named dataset's sessions (fitted to ``width``), and the
    sources when there are any."""
    rows = [_dataset_row(name, d) for name, d in data["datasets"].items()]
    wide = _stats_width(rows) <= width
    out: list[Any] = [datasets_table(rows) if wide else datasets_blocks(rows)]
    for name, d in data["datasets"].items():
        if d.get("session_list"):
            out.append(sessions_table(name, d["session_list"], width))
    if data["sources"]:
        sources = Table(title="Sources", title_justify="left")
        sources.add_column("source", overflow="fold")
        sources.add_column("examples", justify="right", no_wrap=True)
        for name, s in data["sources"].items():
            sources.add_row(safe_text(name), f"{s['total']:,}")
        out.append(sources)
    return out


STATS_COLUMNS = ("dataset", "total", "accept", "reject", "ignore", "labels (accepted)",
                 "sessions", "last activity")
MIN_LABELS_WIDTH = 24  # the labels column wraps; narrower than this it is hard to read


def _dataset_row(name: str, d: dict[str, Any]) -> list[str]:
    labels = ", ".join(f"{k} {v:,}" for k, v in d["labels"].items()) or "-"
    a = d["answers"]
    return [name, f"{d['total']:,}", f"{a['accept']:,}", f"{a['reject']:,}",
            f"{a['ignore']:,}", labels, f"{d['sessions']:,}", _when(d["last_activity"])]


def _stats_width(rows: list[list[str]]) -> int:
    """The width the datasets table needs with every cell but the labels whole on one line."""
    widths = [max([len(header), *(cell_len(r[k]) for r in rows)])
              for k, header in enumerate(STATS_COLUMNS)]
    widths[5] = min(widths[5], MIN_LABELS_WIDTH)
    return 1 + sum(w + 3 for w in widths)


def datasets_table(rows: list[list[str]]) -> Table:
    table = Table(title="Datasets", title_justify="left")
    for col in STATS_COLUMNS:
        table.add_column(col, justify="right" if col in NUMBER_COLUMNS else "left",
                         no_wrap=col != "labels (accepted)")
    for row in rows:
        table.add_row(safe_text(row[0]), *row[1:5], safe_text(row[5]), *row[6:])
    return table


def datasets_blocks(rows: list[list[str]]) -> Group:
    """The datasets for a narrow terminal: each name on a line of its own (wrapped, never
    cut), then its answers, labels and sessions, the labels wrapped under each other."""
    parts: list[Any] = [Text("Datasets", style="italic")]
    for name, total, accept, reject, ignore, labels, sessions, last in rows:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row("answers", f"{total} (accept {accept} · reject {reject} · ignore "
                                f"{ignore})")
        grid.add_row("labels", safe_text(labels))
        grid.add_row("sessions", f"{sessions} · last activity {last}")
        parts += [Text.assemble(safe_text(name, style="bold"), overflow="fold"),
                  Padding(grid, (0, 0, 0, 2), expand=False)]
    return Group(*parts)


def _when(timestamp: float | None) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "-"
    except (OverflowError, OSError, ValueError):  # stored by someone else: not a date
        return "-"


def sessions_table(dataset: str, sessions: list[dict[str, Any]], width: int = 80) -> Table:
    """One dataset's sessions, oldest first, each id whole on one line (``drop --session`` and
    ``db-out --session`` take it). Columns after the id and the answers go in while they fit
    in ``width``: accept/reject/ignore, the day it started, the annotators (when any answer
    names one)."""
    ids = [safe_text(s["session_id"], one_line=True) if s["session_id"] is not None else
           safe_text("(none: imported)", "dim") for s in sessions]
    optional: list[Column] = [
        ("a/r/i", {"justify": "right", "no_wrap": True},  # accept/reject/ignore
         [f"{s['accept']}/{s['reject']}/{s['ignore']}" for s in sessions]),
        ("started", {"no_wrap": True}, [_when(s["first"])[:10] for s in sessions]),
    ]
    if any(s["annotators"] for s in sessions):
        optional.append(("annotator", {"no_wrap": True}, [
            safe_text(", ".join(s["annotators"]) or "-", one_line=True) for s in sessions]))
    columns = fitted_columns([
        ("session", {"no_wrap": True}, ids),
        ("answers", {"justify": "right", "no_wrap": True},
         [f"{s['answers']:,}" for s in sessions])], optional, width)
    return table_of(Text.assemble("Sessions of ", safe_text(dataset, one_line=True)), columns)


def duration(seconds: float, short: bool = False) -> str:
    """``1h 05m`` / ``4.9 min``, or with ``short`` ``1h05`` / ``4.9m`` (table cells)."""
    minutes = int(round(seconds / 60))
    if minutes >= 60:
        return f"{minutes // 60}h{'' if short else ' '}{minutes % 60:02d}{'' if short else 'm'}"
    return f"{seconds / 60:.1f}{'m' if short else ' min'}"


def progress_tables(p: Any, width: int = 80) -> list[Table]:
    """``altool progress``: the KPIs of one dataset (a :class:`~.progress.DatasetProgress`),
    then its sessions."""
    table = Table(title=Text.assemble("Progress of ", safe_text(p.dataset, one_line=True)),
                  title_justify="left", show_header=False)
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value")
    a = p.answers
    table.add_row("answers", f"{p.total.answers:,} (accept {a['accept']:,} · reject "
                  f"{a['reject']:,} · ignore {a['ignore']:,})")
    table.add_row("sessions", f"{len(p.sessions):,}")
    pace = p.total
    if pace.timed:
        table.add_row("time spent", f"{duration(pace.seconds)} over {pace.timed:,} timed "
                      "answers (breaks over 2 min cut off)")
        table.add_row("pace", f"{pace.per_hour:,.0f} answers/hour · median "
                      f"{pace.median_seconds:.1f} s per answer")
    else:
        table.add_row("time spent", "not known: no answer was timed (answers from before "
                      "altool stored _seconds, or imported)")
    audit = p.audit
    if audit.guessed:
        lo, hi = audit.interval
        table.add_row("model vs labels", f"{audit.accuracy:.0%} right on {audit.guessed:,} "
                      f"random audit picks (95% interval {lo:.0%}-{hi:.0%}), each guessed "
                      "before the model learned from it; always giving the most common "
                      f"answer would score {audit.baseline:.0%}")
    else:
        table.add_row("model vs labels", "no random audit picks with the model's guess yet: "
                      "run textcat.teach with --mix random=0.1 for an unbiased check")
    state, detail = p.plateau
    table.add_row("still learning?", Text(detail, style="yellow" if state == "plateau" else ""))
    if p.model_versions:
        table.add_row("model updates", f"{p.model_versions:,} so far (one per "
                      f"{p.total.answers / p.model_versions:,.0f} answers)")
    table.add_row("stop signal", _stop_signal(p.stop))
    table.add_row("self-agreement", _self_agreement(p.self_agreement, p.dataset))
    table.add_row("labels per label", safe_text(", ".join(
        f"{k} {v:,}" for k, v in p.coverage.items()) or "no accepted answers yet",
        one_line=True))
    paces = list(p.sessions.values())
    ids = [safe_text(sid, one_line=True) if sid is not None else
           safe_text("(none: imported)", "dim") for sid in p.sessions]
    columns = fitted_columns([
        ("session", {"no_wrap": True}, ids),
        ("n", {"justify": "right", "no_wrap": True}, [f"{s.answers:,}" for s in paces])],
        [("time", {"justify": "right", "no_wrap": True},
          [duration(s.seconds, short=True) if s.timed else "-" for s in paces]),
         ("/hour", {"justify": "right", "no_wrap": True},
          [f"{s.per_hour:,.0f}" if s.per_hour else "-" for s in paces]),
         ("s", {"justify": "right", "no_wrap": True},
          [f"{s.median_seconds:.1f}" if s.median_seconds is not None else "-"
           for s in paces]),
         ("started", {"no_wrap": True}, [_when(s.first)[:10] for s in paces])], width)
    sessions = table_of(Text("Sessions (n answers, time spent, answers per hour, median "
                             "seconds per answer)"), columns)
    return [table, *audit_curve_table(p.curve), *differ_table(p.self_agreement, width),
            sessions]


def _self_agreement(s: Any, dataset: str) -> Text:
    """Rechecks against the answers they repeated (a :class:`~.progress.SelfAgreement`)."""
    n = len(s.pairs)
    if not n:
        return Text("no rechecks yet: textcat.teach --recheck 0.03 asks a few earlier answers "
                    "again, blind", style="dim")
    interval = s.interval
    sure = f" (95% interval {interval[0]:.2f}-{interval[1]:.2f})" if interval else \
        " (too few rechecks for an interval)"
    line = Text(f"kappa {s.kappa:.2f}{sure} on {n:,} rechecks: {n - len(s.differ):,} answered "
                f"the same, {len(s.differ):,} differently")
    if s.differ:
        line.append(" (resolve them: altool review NEW_DATASET --from ")
        line.append_text(safe_text(dataset, one_line=True))
        line.append(" --checks)")
    return line


def differ_table(s: Any, width: int = 80, limit: int = 10) -> list[Table]:
    """The rechecks answered differently from the first time (up to ``limit``)."""
    if not s.differ:
        return []
    table = Table(title=f"Rechecks answered differently ({len(s.differ):,})",
                  title_justify="left")
    rows = s.differ[:limit]
    said = [safe_text(r[k], one_line=True) for r in rows for k in ("first", "again")]
    side = min(max(cell_len(t.plain) for t in said), max(width // 4, 12))
    table.add_column("text", overflow="ellipsis", no_wrap=True,
                     max_width=max(width - 2 * side - 10, 10))
    for header in ("first", "again"):
        table.add_column(header, min_width=min(side, 12), max_width=side)
    for r in rows:
        table.add_row(safe_text(str(r["text"]), one_line=True),
                      safe_text(r["first"], one_line=True), safe_text(r["again"], one_line=True))
    if len(s.differ) > limit:
        table.caption = f"and {len(s.differ) - limit:,} more (--json lists them all)"
    return [table]


def _stop_signal(stop: dict[str, Any] | None) -> Text:
    """The stop signal as of the last question the loop picked (``meta.pick_stop``)."""
    if stop is None:
        return Text("not known: no answer records it (it needs a model in the loop, "
                    "textcat.teach)", style="dim")
    agreement = stop.get("agreement")
    kappa = f"; successive models agree at kappa {agreement:.3f}" if agreement is not None \
        else ""
    if stop["fired"]:
        return Text(f"fired (first seen by answer {stop['fired_at']:,}){kappa}: more labels "
                    "of this kind change the model little", style="green")
    return Text(f"not yet (at answer {stop['answers']:,}{kappa})")


Column = tuple[str, dict[str, Any], list[Any]]  # header, add_column options, cells


def fitted_columns(required: list[Column], optional: list[Column], width: int
                   ) -> list[Column]:
    """``required`` and then each ``optional`` column that still fits in ``width`` (cells
    and borders counted), so no cell has to be cut."""
    def span(column: Column) -> int:
        return max([len(column[0]), *(cell_len(str(c)) for c in column[2])]) + 3

    used = 1 + sum(span(c) for c in required)
    out = list(required)
    for column in optional:
        if used + span(column) <= width:
            out.append(column)
            used += span(column)
    return out


def table_of(title: Text, columns: list[Column]) -> Table:
    table = Table(title=title, title_justify="left")
    for header, options, _cells in columns:
        table.add_column(header, **options)
    for row in zip(*(cells for _h, _o, cells in columns), strict=True):
        table.add_row(*row)
    return table


def audit_curve_table(curve: list[Any], width: int = 30) -> list[Table]:
    """The model's accuracy on the audit picks as the answers grew: a bar per stretch of
    picks, from 0 to 100% (a terminal chart; none without audit picks)."""
    if not curve:
        return []
    table = Table(title="The model on the audit picks, as the answers grew (bars 0-100%)",
                  title_justify="left")
    for col in ("answers", "picks", "right", ""):
        table.add_column(col, justify="left" if col == "" else "right", no_wrap=True)
    for c in curve:
        bar = "█" * round(c.accuracy * width)
        table.add_row(f"{c.answers:,}", f"{c.picks:,}", f"{c.accuracy:.0%}",
                      Text(bar or "▏", style="green"))
    return [table]


def agreement_tables(figures: list[Any], annotators: list[str]) -> list[Table]:
    """``altool agreement``: the figures over all labels, then per label (an
    :class:`~.agreement.Figure` list)."""
    tables = []
    for label in dict.fromkeys(f.label for f in figures):
        title = Text.assemble("Agreement, all labels" if label is None else
                              Text.assemble("Agreement on ", safe_text(label, one_line=True),
                                            " (applies or not)"))
        table = Table(title=title, title_justify="left")
        table.add_column("figure")
        table.add_column("value", justify="right", no_wrap=True)
        table.add_column("texts", justify="right", no_wrap=True)
        for f in (f for f in figures if f.label == label):
            what = Text("Krippendorff's alpha") if f.what == "alpha" else \
                Text.assemble("Cohen's kappa ", safe_text(f.what.removeprefix("kappa "),
                                                          one_line=True))
            value = "-" if f.value is None else f"{f.value:.3f}"
            table.add_row(what, value, f"{f.texts:,}")
        tables.append(table)
    return tables
