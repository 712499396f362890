"""altool: terminal-native text annotation with a model in the loop.

The public helpers for writing recipes are importable from here: ``recipe``, ``get_stream``,
``set_hashes``, ``dedup``, ``exclude``, ``BackgroundStream``, ``open_store``, the
``strategies`` module and the model classes. NumPy and scikit-learn are imported only when a
model or strategy name is first used, so ``import altool`` (and every CLI command) stays quick.
"""

__version__ = "0.1.0"

from importlib import import_module  # noqa: E402
from typing import Any  # noqa: E402

from .errors import AltoolError, InputError  # noqa: E402
from .io.hashing import input_hash, set_hashes, task_hash  # noqa: E402
from .io.loaders import get_stream  # noqa: E402
from .loop.filters import dedup, exclude  # noqa: E402
from .loop.streams import BackgroundStream  # noqa: E402
from .recipes import recipe  # noqa: E402
from .store.context import open_store  # noqa: E402

_LAZY = {
    "strategies": ("altool.strategies", None),
    "get_strategy": ("altool.strategies", "get_strategy"),
    "register_strategy": ("altool.strategies", "register_strategy"),
    "TextModel": ("altool.models", "TextModel"),
    "HashedFeatures": ("altool.models", "HashedFeatures"),
    "PerLabelLogistic": ("altool.models", "PerLabelLogistic"),
    "SklearnModel": ("altool.models", "SklearnModel"),
    "make_model": ("altool.models", "make_model"),
    "load_model": ("altool.models", "load_model"),
    "register_model": ("altool.models", "register_model"),
    "EmbedModel": ("altool.models.encoder", "EmbedModel"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'altool' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = import_module(module_name)
    return module if attr is None else getattr(module, attr)


__all__ = [
    "AltoolError", "BackgroundStream", "InputError", "__version__", "dedup", "exclude",
    "get_stream", "input_hash", "open_store", "recipe", "set_hashes", "task_hash", *_LAZY,
]
