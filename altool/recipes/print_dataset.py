"""Built-in ``print-dataset`` recipe: stored annotations rendered in the terminal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from contextlib import nullcontext
from itertools import chain, islice
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.pager import Pager
from rich.text import Text

from ..errors import AltoolError
from ..safe import printable, safe
from ..store import ANSWERS
from ..store.context import open_store
from ..ui.render import highlighted_text, labels_text
from .registry import recipe


class TerminalPager(Pager):
    """``$PAGER``, else ``less -R``, with colours: Rich's default (pydoc's) runs a bare
    ``less`` that shows the colour codes as text. Without a pager, print as is."""

    def show(self, content: str) -> None:
        command = os.environ.get("PAGER") or ("less -R" if shutil.which("less") else "")
        if not command:
            sys.stdout.write(content)
            return
        env = {**os.environ, "LESS": os.environ.get("LESS", "-R")}
        try:
            subprocess.run(command, shell=True, input=content, text=True, env=env, check=False)
        except KeyboardInterrupt:  # ctrl-c in the pager: the pager has the terminal, just stop
            pass


def print_examples(examples: Iterable[dict[str, Any]], console: Console) -> None:
    """Print each example: number, answer and labels, meta id; the text with spans coloured."""
    for n, eg in enumerate(examples, start=1):
        head = Text(f"#{n}  ", style="dim")
        head.append_text(labels_text(eg))
        meta_id = (eg.get("meta") or {}).get("id")
        if meta_id is not None:
            head.append(printable(f"  {meta_id}"), style="dim")
        console.print(head)
        console.print(highlighted_text(eg))
        console.print()


@recipe("print-dataset")
def print_dataset(
    dataset: Annotated[str, typer.Argument(help="Dataset to print.")],
    limit: Annotated[
        int | None, typer.Option(min=1, help="Print only the first N answers.")
    ] = None,
    answer: Annotated[
        str | None, typer.Option(help="Only this answer: accept, reject or ignore.")
    ] = None,
) -> None:
    """Print a dataset's annotations (labels and spans coloured), paged in a terminal."""
    if answer is not None and answer not in ANSWERS:
        raise AltoolError(f"--answer must be one of {', '.join(ANSWERS)}")
    paged = sys.stdout.isatty()
    console = Console(highlight=False, soft_wrap=not paged)  # piped: one line per line
    with open_store(create=False) as store:
        store.require_dataset(dataset)
        examples = islice(store.iter_answers(dataset, answer), limit)
        first = next(examples, None)
        if first is None:  # say so on stderr rather than open an empty pager
            Console(stderr=True).print(f"{safe(dataset)} has no answers"
                                       + (f" with answer {answer}" if answer else ""))
        else:
            with console.pager(TerminalPager(), styles=True) if paged else nullcontext():
                print_examples(chain([first], examples), console)
