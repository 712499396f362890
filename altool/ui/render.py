"""Rich renderables for stored annotations: answers, labels and spans coloured per label.

Used by ``print-dataset`` and by the review view of the terminal UI. A label always gets the
same colour (picked from its hash), in every command and every run.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..io.hashing import hash_text
from ..safe import printable

PALETTE = ("cyan", "magenta", "green", "yellow", "blue", "red", "bright_cyan",
           "bright_magenta", "bright_green", "bright_yellow", "bright_blue", "bright_red")
ANSWER_STYLES = {"accept": "bold green", "reject": "bold red", "ignore": "bold yellow"}


def label_style(label: str) -> str:
    """The colour of ``label`` (stable: derived from its hash)."""
    return PALETTE[hash_text(label) % len(PALETTE)]


def labels_of(eg: dict[str, Any]) -> list[str]:
    """What an answer labels: the accepted options (choice), else the task's label."""
    if "accept" in eg:
        return list(eg["accept"])
    return [eg["label"]] if eg.get("label") else []


def labels_text(eg: dict[str, Any], text: str | None = None) -> Text:
    """The answer and its labels, e.g. ``accept  spam`` (choice rejects show no labels);
    spans as a count, or given the ``text`` they are in, as ``Apple ORG, Paris LOC``."""
    answer = eg.get("answer", "")
    out = Text(printable(str(answer)).ljust(6), style=ANSWER_STYLES.get(answer, ""))
    for label in labels_of(eg):
        out.append("  ")
        out.append(f" {printable(str(label))} ", style=f"bold reverse {label_style(label)}")
    spans = eg.get("spans") or []
    if spans and text is None:
        out.append(f"  {len(spans)} span{'' if len(spans) == 1 else 's'}", style="dim")
    elif text is not None:
        for i, span in enumerate(spans):
            label = str(span.get("label", ""))
            out.append("  " if i == 0 else ", ")
            out.append(printable(text[span.get("start", 0):span.get("end", 0)]),
                       style=f"bold underline {label_style(label)}")
            out.append(f" {printable(label)}", style=label_style(label))
    return out


def highlighted_text(eg: dict[str, Any]) -> Text:
    """The example's text with its spans coloured by label (control characters replaced)."""
    text = eg.get("text", "")
    out = Text()
    pos = 0
    for span in sorted(eg.get("spans") or [], key=lambda s: (s.get("start", 0), s.get("end", 0))):
        start, end = span.get("start"), span.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and pos <= start < end):
            continue
        label = str(span.get("label", ""))
        out.append(printable(text[pos:start]))
        out.append(printable(text[start:end]), style=f"bold underline {label_style(label)}")
        if label:
            out.append(f" {printable(label)}", style=f"dim {label_style(label)}")
        pos = end
    out.append(printable(text[pos:]))
    return out


def versions_table(versions: list[dict[str, Any]], text: str = "") -> Table:
    """Conflicting versions side by side: number, answer and labels (spans as their words in
    ``text``), who gave it."""
    table = Table(box=None, show_header=True, header_style="dim", pad_edge=False, expand=True)
    table.add_column("#", style="bold cyan", no_wrap=True)
    table.add_column("answer", no_wrap=True)
    table.add_column("who (dataset · session)", overflow="fold", ratio=1)
    for number, version in enumerate(versions, start=1):
        who = Group(*(Text(printable(f"{s['dataset']} · {s.get('session') or '-'}"))
                      for s in version["sources"]))
        table.add_row(str(number), labels_text(version, text), who)
    return table


def review_prompt(task: dict[str, Any]) -> Group:
    """The review view's prompt: how to resolve, then the versions side by side."""
    versions = task["versions"]
    keys = f"1-{len(versions)} picks a version · x rejects"
    if task.get("label"):
        keys += f" · a accepts {printable(str(task['label']))}"
    head = Text.assemble(("Answers conflict. ", "bold"), (keys, "dim"))
    return Group(head, versions_table(versions, task.get("text", "")))
