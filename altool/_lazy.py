"""Public names of a package that live in submodules imported on first use (PEP 562), so
importing the package stays cheap: ``import altool`` must not pay for NumPy, spaCy or torch."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(package: str, where: dict[str, str]) -> tuple[Callable[[str], Any],
                                                              Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``where`` maps each public name to the
    submodule holding it (``"models.ngram"`` for ``altool.models.ngram``; a name that is the
    module itself maps to its own path). A submodule must not share a name with a name it
    exports through here: importing the submodule would set the package attribute to it."""

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's name)
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = import_module(f"altool.{where[name]}")
        if hasattr(module, name):
            return getattr(module, name)
        return module  # the name is the module itself

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(where)

    return __getattr__, __dir__
