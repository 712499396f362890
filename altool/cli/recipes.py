"""Recipes as commands: each registered recipe becomes ``altool NAME`` with its parameters as
arguments (plus ``--db`` and ``-F``), and ``altool recipes`` lists them."""

from __future__ import annotations

import inspect
from typing import Any

from rich.table import Table

from ..errors import AltoolError
from ..recipes import RECIPES, Recipe
from ..recipes.prodigy import positional_model_hint
from ..recipes.runner import run_components
from ..safe import safe, safe_text
from .common import (
    AnnotatorOption,
    DbOption,
    RecipeFileOption,
    err_console,
    out_console,
    use_db,
)


def recipe_command(recipe: Recipe) -> Any:
    """A Typer command whose options are the recipe's parameters, plus --db and -F."""
    signature = inspect.signature(recipe.func, eval_str=True)
    extra = [
        inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=DbOption),
        inspect.Parameter("recipe_files", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=RecipeFileOption),
    ]
    # every recipe that runs a session can say who is labelling (unless it has its own)
    own_annotator = "annotator" in signature.parameters
    if not own_annotator:
        extra.append(inspect.Parameter("annotator", inspect.Parameter.KEYWORD_ONLY,
                                       default=None, annotation=AnnotatorOption))

    def command(**kwargs: Any) -> None:
        use_db(kwargs.pop("db"))
        kwargs.pop("recipe_files")
        annotator = None if own_annotator else kwargs.pop("annotator")
        components = recipe.func(**kwargs)
        if components is None:  # a recipe that did its work itself (print-dataset)
            return
        summary = run_components(components, recipe.name, annotator=annotator)
        err_console.print(
            f"[green]✔[/] saved {summary.answered:,} answer{'' if summary.answered == 1 else 's'} "
            f"this session to {safe(summary.dataset)} ({summary.dataset_total:,} in total)"
            + (f", and {summary.checks:,} recheck{'' if summary.checks == 1 else 's'} (stored "
               "as checks: altool progress compares them)" if summary.checks else "")
        )
        for note in summary.notes:
            err_console.print(f"[yellow]![/] {safe(note)}")

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in
              signature.parameters.values()]
    command.__signature__ = signature.replace(parameters=params + extra)  # type: ignore[attr-defined]
    command.__doc__ = recipe.func.__doc__
    command.__name__ = recipe.func.__name__
    return command


def list_recipes(recipe_files: RecipeFileOption = None) -> None:
    """List the built-in recipes and those loaded with -F."""
    # the -F files were imported by main() before parsing, so their recipes are registered
    table = Table(show_header=True)
    table.add_column("recipe")
    table.add_column("from")
    table.add_column("what it does")
    for recipe in sorted(RECIPES.values(), key=lambda r: r.name):
        table.add_row(safe_text(recipe.name), "built-in" if recipe.builtin else "-F",
                      safe_text(recipe.summary))
    out_console().print(table)


class UsageHint(AltoolError):
    """A usage error altool can explain better than Click (exit code 2, as Click's)."""

    exit_code = 2


def check_positional_model(group: Any, args: list[str]) -> None:
    """Prodigy's ``RECIPE DATASET SPACY_MODEL SOURCE``: say that altool takes the model as an
    option, with the equivalent command (before Click's "unexpected extra argument")."""
    if "--help" in args or "-h" in args:
        return
    ctx = group.make_context("altool", list(args), resilient_parsing=True)
    rest = list(ctx.args)  # after the command's name (Click keeps the name apart)
    if len(rest) >= len(args):
        return
    name = args[len(args) - len(rest) - 1]
    command = group.get_command(ctx, name) if name in RECIPES else None
    if command is None:
        return
    sub = command.make_context(name, rest, parent=ctx, resilient_parsing=True)
    positional = [sub.params.get(p.name) for p in command.params
                  if p.param_type_name == "argument"]
    options = {p.name for p in command.params if p.param_type_name == "option" and p.name}
    hint = positional_model_hint(name, options, args, positional, sub.args)
    if hint is not None:
        raise UsageHint(hint)
