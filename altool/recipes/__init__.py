"""Recipes: functions that return the components of an annotation session.

``@recipe("name")`` registers a function; its parameters (with type hints and defaults, plain
or ``typing.Annotated`` with ``typer.Argument``/``typer.Option``) become the command's
arguments and options, and its docstring the command's help. Built-in recipes use the same
decorator as recipes loaded with ``altool NAME ... -F file.py``.

The function returns a dict of components (checked by :mod:`altool.recipes.components`; an unknown
key is an error naming the allowed ones), or ``None`` for a recipe that does its work itself
and needs no annotation UI (``print-dataset``):

``dataset``          (required) name of the dataset the answers are stored in
``stream``           (required) iterable of task dicts (``text``, optional ``label``,
                     ``options``, ``spans``, ``meta``); hashes are added where missing. Read
                     lazily: a generator can look at the latest model to pick the next task
                     (wrap a slow one, e.g. a pipe, in ``altool.BackgroundStream``)
``view``             (required) ``binary`` (does ``label`` apply?), ``choice`` (pick from
                     ``options`` / ``config.labels``), ``text`` (accept / reject the task as
                     shown), ``ner`` / ``ner_manual`` (spans), ``review`` (conflicting versions)
``update(answers)``  called with each batch of ``config.batch_size`` new answers (and the
                     last partial batch at exit); answers are already stored
``on_exit(ctx)``     called once when the session ends, with the ``Session``
``progress(ctx)``    0.0-1.0 (shown as "N% done" in the status line), or None
``before_db(egs)``   transform examples right before they are stored; returns the examples
``validate_answer(eg)`` raise to refuse an answer: the message is shown, nothing is stored
``status()``         extra status-line fields (textcat.teach reports its worker's state)
``exclude``          dataset names whose answered tasks are not asked again
``config``           ``labels``, ``batch_size`` (default 10), ``multilabel``, ``exclude_by``
                     (``task``: skip task hashes already answered, the default; ``input``: skip
                     any text already answered), ``title``
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AltoolError

RecipeFunction = Callable[..., dict[str, Any] | None]


@dataclass
class Recipe:
    name: str
    func: RecipeFunction
    builtin: bool

    @property
    def summary(self) -> str:
        doc = (self.func.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


RECIPES: dict[str, Recipe] = {}
_loading_builtins = True


def recipe(name: str) -> Callable[[RecipeFunction], RecipeFunction]:
    """Register ``func`` as the recipe ``name`` (run it as ``altool name ...``)."""

    def register(func: RecipeFunction) -> RecipeFunction:
        RECIPES[name] = Recipe(name, func, builtin=_loading_builtins)
        return func

    return register


def load_builtin_recipes() -> None:
    global _loading_builtins
    from . import correct, manual, ner, ner_manual, print_dataset, review, textcat  # noqa: F401

    _loading_builtins = False


def load_recipe_file(path: str) -> None:
    """Import a Python file so its ``@recipe`` functions register. It runs the file's code."""
    file = Path(path)
    if not file.is_file():
        raise AltoolError(f"{path}: no such recipe file (-F takes a path to a .py file)")
    module_name = f"altool_user_recipes_{abs(hash(str(file.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise AltoolError(f"{path}: can't import this file as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        raise AltoolError(f"{path}:{err.lineno}: syntax error in recipe file: {err.msg}") from None
    except Exception as err:  # any error inside user code: point at its line
        line = _line_in(file, err)
        where = f"{path}:{line}" if line else path
        raise AltoolError(
            f"{where}: loading the recipe file failed: {type(err).__name__}: {err}"
        ) from None


def _line_in(file: Path, err: BaseException) -> int | None:
    target = str(file.resolve())
    line = None
    for frame in traceback.extract_tb(err.__traceback__):
        if str(Path(frame.filename).resolve()) == target:
            line = frame.lineno
    return line
