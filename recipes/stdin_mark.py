"""Annotate the output of a shell command, read lazily from stdin.

    grep -i 'free' sms.jsonl | altool -F recipes/stdin_mark.py stdin.mark sms_free -
    jq -c 'select(.meta.source == "web")' data.jsonl | \
        altool -F recipes/stdin_mark.py stdin.mark web - --label spam

Each JSONL line is shown as soon as it arrives: the command may still be running, and the
lines are read in the background (``altool.BackgroundStream``), so a slow command never
freezes the screen and ``q`` always works. Nothing is stored as a source; keys are read from
the terminal. With ``--label`` the question is "does LABEL apply?", otherwise accept / reject
the text as shown.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

import altool


@altool.recipe("stdin.mark")
def stdin_mark(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: Annotated[str, typer.Argument(help="JSONL file, or - for stdin.")] = "-",
    label: Annotated[str | None, typer.Option("--label", "-l", help="Label to ask about.")] = None,
) -> dict[str, Any]:
    """Accept or reject JSONL tasks as they arrive on stdin."""
    tasks = altool.get_stream(source, loader="jsonl")
    if label:
        tasks = ({**eg, "label": label} for eg in tasks)
    return {
        "dataset": dataset,
        "stream": altool.BackgroundStream(tasks),
        "view": "binary" if label else "text",
    }
