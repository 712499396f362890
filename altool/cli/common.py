"""What every command shares: the consoles, the ``--db`` and ``-F`` options, and
``--skip-invalid``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from ..store.context import set_db_path

err_console = Console(stderr=True, highlight=False)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Database file (default: $ALTOOL_HOME/altool.db).",
                 show_default=False),
]
SkipInvalidOption = Annotated[
    bool, typer.Option("--skip-invalid", help="Skip bad lines (and count them) instead of "
                       "stopping with an error.")
]
AnnotatorOption = Annotated[
    str | None,
    typer.Option("--annotator", help="Who is labelling: every answer gets _annotator_id and "
                 "the session id DATASET-NAME, as Prodigy's named sessions (stats, drop "
                 "--session and agreement use them). One session per name at a time.",
                 show_default=False),
]
RecipeFileOption = Annotated[
    list[str] | None,
    typer.Option("-F", help="Python file with custom @recipe functions to load.",
                 show_default=False),
]


def use_db(db: Path | None) -> None:
    """``--db`` given after the command name wins over the one before it."""
    if db is not None:
        set_db_path(db)


def out_console() -> Console:
    """A console on stdout, for a command's result (tables people read or pipe)."""
    return Console(highlight=False)


class AltoolGroup(TyperGroup):
    """``altool --help`` lists each command with its whole first sentence, wrapped at the
    terminal's width (Click cuts it to one line with "...")."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
