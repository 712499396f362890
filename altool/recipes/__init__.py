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

from .registry import RECIPES, Recipe, RecipeFunction, load_recipe_file, recipe


def load_builtin_recipes() -> None:
    """Register the built-in recipes (importing their modules runs their ``@recipe``)."""
    from . import correct, manual, ner, ner_manual, print_dataset, review, textcat  # noqa: F401


__all__ = ["RECIPES", "Recipe", "RecipeFunction", "load_builtin_recipes", "load_recipe_file",
           "recipe"]
