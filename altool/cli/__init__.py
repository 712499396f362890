"""The ``altool`` command line: one module per command group, each only parsing, calling the
library and printing (:mod:`.data`, :mod:`.simulate`, :mod:`.train`, :mod:`.recipes`).

Exit codes: 0 ok, 1 a problem with the input or the data (with a message saying what to do),
2 a usage error. Messages and progress go to stderr; data (``db-out``) to stdout.
"""

from __future__ import annotations

import sys
import time
import traceback
from typing import Annotated

import typer

from ..configfile import load_config
from ..errors import AltoolError
from ..paths import log_dir
from ..recipes import RECIPES, load_builtin_recipes, load_recipe_file
from ..safe import safe
from ..version import __version__
from .common import DbOption, err_console, use_db
from .config import default_map
from .data import db_in, db_out, drop, load, stats
from .recipes import list_recipes, recipe_command
from .simulate import simulate_command
from .train import data_to_spacy_command, train_command, train_curve_command


def _version(value: bool) -> None:
    if value:
        print(f"altool {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="altool",
        help="Annotate text in the terminal with a model in the loop (active learning).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _global(
        db: DbOption = None,
        version: Annotated[
            bool, typer.Option("--version", callback=_version, is_eager=True,
                               help="Print the version and exit.")
        ] = False,
    ) -> None:
        use_db(db)

    app.command("load")(load)
    app.command("db-in")(db_in)
    app.command("db-out")(db_out)
    app.command("stats")(stats)
    app.command("drop")(drop)
    app.command("recipes")(list_recipes)
    app.command("simulate")(simulate_command)
    app.command("train")(train_command)
    app.command("train-curve")(train_curve_command)
    app.command("data-to-spacy")(data_to_spacy_command)
    for recipe in RECIPES.values():
        app.command(recipe.name, help=recipe.func.__doc__)(recipe_command(recipe))
    return app


def _recipe_files(argv: list[str]) -> list[str]:
    files = []
    for i, arg in enumerate(argv):
        if arg == "-F" and i + 1 < len(argv):
            files.append(argv[i + 1])
        elif arg.startswith("-F") and len(arg) > 2:
            files.append(arg[2:])
    return files


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    code = 0
    try:
        load_builtin_recipes()
        for path in _recipe_files(args):
            load_recipe_file(path)
        command = typer.main.get_command(build_app())
        defaults = default_map(command, load_config())  # altool.json: defaults; flags win
        # Standalone mode: Typer prints usage errors itself and exits 2, --help exits 0.
        command.main(args=args, prog_name="altool", standalone_mode=True,
                     default_map=defaults)
    except AltoolError as exc:
        err_console.print(f"[bold red]Error:[/] {safe(str(exc))}", soft_wrap=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        err_console.print("Interrupted: a command stores all or nothing, so this one stored "
                          "nothing (answers of a session are saved as they are given).")
        code = 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head): not an error
        code = 0
    except Exception as exc:  # a bug: one line for the user, the traceback in a log file
        code = 1
        log = log_dir() / "crash.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as fh:
                fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} altool {' '.join(args)}\n")
                fh.write(traceback.format_exc())
            where = f"; the details are in {log}"
        except OSError:
            where = ""
        err_console.print(f"[bold red]Unexpected error:[/] {type(exc).__name__}: "
                          f"{safe(str(exc))}{safe(where)}. "
                          "Please report it.", soft_wrap=True)
    sys.exit(code)
