"""Recipes: functions that return the components of an annotation session.

``@recipe("name")`` registers a function; its parameters (with type hints and defaults, plain
or ``typing.Annotated`` with ``typer.Argument``/``typer.Option``) become the command's
arguments and options. Built-in recipes use the same decorator as recipes loaded with ``-F``.

Components a recipe returns: ``dataset`` (str), ``stream`` (iterable of task dicts, or a
:class:`~altool.taskqueue.TaskQueue`), ``view`` (``binary`` | ``choice``), and optionally
``update(answers)``, ``on_exit(ctx)``, ``exclude`` (dataset names), ``validate_answer(eg)``,
``status()`` (extra status-line fields) and ``config`` (``labels``, ``batch_size``,
``multilabel``).
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


@dataclass
class Recipe:
    name: str
    func: Callable[..., dict[str, Any]]
    builtin: bool

    @property
    def summary(self) -> str:
        doc = (self.func.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


RECIPES: dict[str, Recipe] = {}
_loading_builtins = True


def recipe(name: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register ``func`` as the recipe ``name`` (run it as ``altool name ...``)."""

    def register(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        RECIPES[name] = Recipe(name, func, builtin=_loading_builtins)
        return func

    return register


def load_builtin_recipes() -> None:
    global _loading_builtins
    from . import textcat  # noqa: F401

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
