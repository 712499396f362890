"""The recipe component contract: which keys a recipe may return, and checking them.

A recipe returns a dict of components (see :mod:`altool.recipes` for what each one does).
:func:`check_components` rejects anything the runner would otherwise silently ignore: a missing
required key, an unknown key (a typo such as ``validate`` for ``validate_answer``), an unknown
view, a component that should be callable but is not, or an unknown ``config`` key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import AltoolError
from ..store.checks import check_recheck

REQUIRED = ("dataset", "stream", "view")
CALLABLES = ("update", "on_exit", "progress", "before_db", "validate_answer", "status")
OPTIONAL = (*CALLABLES, "exclude", "config", "notes")
CONFIG_KEYS = ("labels", "batch_size", "multilabel", "exclude_by", "title", "budget",
               "recheck", "seed")
VIEWS = ("binary", "choice", "text", "ner", "ner_manual", "review")
EXCLUDE_BY = ("task", "input")


def _allowed(keys: Iterable[str]) -> str:
    return ", ".join(keys)


def check_components(components: Any) -> dict[str, Any]:
    """Return ``components`` if it follows the contract, else raise a clear AltoolError."""
    if not isinstance(components, dict):
        raise AltoolError(
            f"a recipe must return a dict of components ({_allowed(REQUIRED)}), "
            f"got {type(components).__name__}"
        )
    missing = [key for key in REQUIRED if key not in components]
    if missing:
        raise AltoolError(f"the recipe's components lack: {', '.join(missing)}")
    for key in components:
        if key not in REQUIRED and key not in OPTIONAL:
            raise AltoolError(
                f"unknown recipe component {key!r}; allowed: {_allowed((*REQUIRED, *OPTIONAL))}"
            )
    if components["view"] not in VIEWS:
        raise AltoolError(f"unknown view {components['view']!r}; use one of: {_allowed(VIEWS)}")
    for key in CALLABLES:
        value = components.get(key)
        if value is not None and not callable(value):
            raise AltoolError(f"recipe component {key!r} must be a function, got "
                              f"{type(value).__name__}")
    exclude = components.get("exclude")
    if exclude is not None and (isinstance(exclude, str) or not isinstance(exclude, list | tuple)):
        raise AltoolError("recipe component 'exclude' must be a list of dataset names")
    notes = components.get("notes")
    if notes is not None and (isinstance(notes, str) or not isinstance(notes, list | tuple)
                              or not all(isinstance(n, str) for n in notes)):
        raise AltoolError("recipe component 'notes' must be a list of strings")
    config = check_config(components.get("config") or {})
    check_recheck(config.get("recheck") or 0.0, components["view"])
    return components


def check_config(config: Any) -> dict[str, Any]:
    """Check a recipe's ``config`` component (keys and value types)."""
    if not isinstance(config, dict):
        raise AltoolError(f"recipe component 'config' must be a dict, got {type(config).__name__}")
    for key in config:
        if key not in CONFIG_KEYS:
            raise AltoolError(f"unknown recipe config key {key!r}; allowed: "
                              f"{_allowed(CONFIG_KEYS)}")
    batch_size = config.get("batch_size", 10)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise AltoolError(f"recipe config 'batch_size' must be a positive integer, got "
                          f"{batch_size!r}")
    budget = config.get("budget")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool)
                               or budget < 1):
        raise AltoolError(f"recipe config 'budget' must be a positive integer or None, got "
                          f"{budget!r}")
    if config.get("exclude_by", "task") not in EXCLUDE_BY:
        raise AltoolError(f"recipe config 'exclude_by' must be one of {_allowed(EXCLUDE_BY)}, "
                          f"got {config['exclude_by']!r}")
    seed = config.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise AltoolError(f"recipe config 'seed' must be an integer or None, got {seed!r}")
    labels = config.get("labels")
    if labels is not None and (
        not isinstance(labels, list | tuple) or not all(isinstance(x, str) for x in labels)
    ):
        raise AltoolError("recipe config 'labels' must be a list of strings")
    return config
