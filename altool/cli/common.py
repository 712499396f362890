"""What every command shares: the consoles, the ``--db`` and ``-F`` options, and
``--skip-invalid``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

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
