"""The ``altool`` command line: one module per command group, each only parsing, calling the
library and printing (:mod:`.data`, :mod:`.simulate`, :mod:`.train`, :mod:`.recipes`).

Exit codes: 0 ok, 1 a problem with the input or the data (with a message saying what to do),
2 a usage error. Messages and progress go to stderr; data (``db-out``) to stdout.
"""

from __future__ import annotations

import io
import sqlite3
import sys
import time
import traceback
from typing import Annotated

import typer

from ..configfile import load_config
from ..errors import AltoolError
from ..paths import log_dir
from ..recipes import RECIPES, load_builtin_recipes, load_recipe_file
from ..safe import safe, visible
from ..store import explain_db_error
from ..store.context import db_path
from ..version import __version__
from .common import AltoolGroup, DbOption, RecipeFileOption, err_console, use_db
from .config import default_map
from .data import agreement, check, db_in, db_out, drop, load, progress, stats
from .encode import encode
from .recipes import check_positional_model, list_recipes, recipe_command
from .simulate import simulate_command
from .train import data_to_spacy_command, suspects_command, train_command, train_curve_command


def _version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:  # recipe_files() parses before the real run
        print(f"altool {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="altool",
        cls=AltoolGroup,
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
        recipe_files: RecipeFileOption = None,  # read before parsing, by recipe_files()
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
    app.command("progress")(progress)
    app.command("agreement")(agreement)
    app.command("drop")(drop)
    app.command("check")(check)
    app.command("encode")(encode)
    app.command("recipes")(list_recipes)
    app.command("simulate")(simulate_command)
    app.command("train")(train_command)
    app.command("train-curve")(train_curve_command)
    app.command("suspects")(suspects_command)
    app.command("data-to-spacy")(data_to_spacy_command)
    for recipe in RECIPES.values():
        app.command(recipe.name, help=recipe.func.__doc__)(recipe_command(recipe))
    return app


def recipe_files(args: list[str]) -> list[str]:
    """The ``-F FILE`` values of a command line, parsed by Click as every other option is:
    before the command name (altool's own option), or among a known command's options. A
    value of another option (``--label -Fx.py``), an argument after ``--`` or a file argument
    named ``-Fx.py`` is never taken for one. A command that only a recipe file defines is not
    known yet, so its file must come before its name (``altool -F FILE NAME ...``)."""
    load_builtin_recipes()
    group = typer.main.get_command(build_app())
    ctx = group.make_context("altool", list(args), resilient_parsing=True)
    files = list(ctx.params.get("recipe_files") or [])
    rest = list(ctx.args)
    if len(rest) >= len(args):  # no command name (only options, or nothing)
        return files
    name = args[len(args) - len(rest) - 1]
    command = group.get_command(ctx, name)
    if command is not None:
        sub = command.make_context(name, rest, parent=ctx, resilient_parsing=True)
        return files + list(sub.params.get("recipe_files") or [])
    if not files and any(arg == "-F" or arg.startswith("-F") for arg in rest):
        raise AltoolError(f"no command {name!r} yet; a recipe that a file defines needs the "
                          f"file before its name: altool -F FILE {name} ...")
    return files


def main(argv: list[str] | None = None) -> None:
    """Run the command line; exit with 0 (ok), 1 (a problem with the input or the data, with a
    message saying what to do) or 2 (a usage error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        load_builtin_recipes()
        for path in recipe_files(args):
            load_recipe_file(path)
        command = typer.main.get_command(build_app())
        check_positional_model(command, args)
        defaults = default_map(command, load_config())  # altool.json: defaults; flags win
        # Not standalone: usage errors come back here, to be printed safely (Click would echo
        # the user's arguments raw); --help and Exit return their exit code.
        code = command.main(args=args, prog_name="altool", standalone_mode=False,
                            default_map=defaults) or 0
        if code == INTERRUPTED:
            interrupted()
    except BaseException as exc:  # noqa: BLE001 - each kind is handled in _failed
        code = _failed(exc, args)
    sys.exit(code)


def _failed(exc: BaseException, args: list[str]) -> int:
    """Say what went wrong (safely) and return the exit code."""
    for kind, handle in _HANDLERS:
        if isinstance(exc, kind):
            return handle(exc, args)
    raise exc  # SystemExit and the like


def _usage(exc, args) -> int:  # Click's usage errors: printed through the escaping
    shown = io.StringIO()
    exc.show(file=shown)
    sys.stderr.write(visible(shown.getvalue()))
    return getattr(exc, "exit_code", 2)


def _error(exc, args) -> int:
    err_console.print(f"[bold red]Error:[/] {safe(str(exc))}", soft_wrap=True)
    return exc.exit_code


def _database(exc, args) -> int:  # a read outside a write met, e.g., a damaged page
    err_console.print(f"[bold red]Error:[/] {safe(explain_db_error(db_path(), exc))}",
                      soft_wrap=True)
    return 1


def _interrupt(exc, args) -> int:
    interrupted()
    return INTERRUPTED


def _broken_pipe(exc, args) -> int:
    sys.stderr.close()  # the reader went away (| head): not an error
    return 0


def _bug(exc, args) -> int:  # one line for the user, the traceback in a log file
    where = _log_crash(args)
    err_console.print(f"[bold red]Unexpected error:[/] {type(exc).__name__}: "
                      f"{safe(str(exc))}{safe(where)}. Please report it.", soft_wrap=True)
    return 1


_HANDLERS = (
    (typer.TyperException, _usage), (typer.Abort, lambda exc, args: 1),
    (AltoolError, _error), (sqlite3.DatabaseError, _database),
    (KeyboardInterrupt, _interrupt), (BrokenPipeError, _broken_pipe), (Exception, _bug),
)


INTERRUPTED = 130


def interrupted() -> None:
    err_console.print("Interrupted: a command stores all or nothing, so this one stored "
                      "nothing (answers of a session are saved as they are given).")


def _log_crash(args: list[str]) -> str:
    """Append the traceback to the crash log; return where it is, for the message."""
    log = log_dir() / "crash.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} altool {' '.join(args)}\n")
            fh.write(traceback.format_exc())
        return f"; the details are in {log}"
    except OSError:
        return ""
