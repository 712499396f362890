"""The recipe registry: ``@recipe("name")`` registers a function as ``altool name``; files
loaded with ``-F`` register theirs the same way."""

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


def recipe(name: str) -> Callable[[RecipeFunction], RecipeFunction]:
    """Register ``func`` as the recipe ``name`` (run it as ``altool name ...``)."""

    def register(func: RecipeFunction) -> RecipeFunction:
        builtin = func.__module__.startswith("altool.recipes.")  # a built-in recipe's module
        RECIPES[name] = Recipe(name, func, builtin=builtin)
        return func

    return register


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
