"""altool: terminal-native text annotation with a model in the loop.

The public helpers for writing recipes are importable from here: ``recipe``, ``get_stream``,
``set_hashes``, ``dedup``, ``exclude``, ``BackgroundStream``, ``open_store``, the
``strategies`` module and the model classes. NumPy and scikit-learn are imported only when a
model or strategy name is first used, so ``import altool`` (and every CLI command) stays quick.

The package has one subpackage per stage of the data flow (see README, Architecture): ``io``
(files and formats), ``store`` (SQLite), ``models``, ``strategies``, ``loop`` (learner, worker,
queue, session), ``ui`` (the terminal), ``recipes``, ``simulate``, ``train`` and ``cli``.
"""

from ._lazy import lazy_exports
from .errors import AltoolError, InputError
from .io.hashing import input_hash, set_hashes, task_hash
from .io.loaders import get_stream
from .loop.streams import BackgroundStream, dedup, exclude
from .recipes import recipe
from .store.context import open_store
from .version import __version__

_WHERE = {
    "strategies": "strategies",
    "get_strategy": "strategies.registry",
    "register_strategy": "strategies.registry",
    "TextModel": "models.base",
    "HashedFeatures": "models.ngram",
    "PerLabelLogistic": "models.linear",
    "SklearnModel": "models.ngram",
    "make_model": "models.registry",
    "load_model": "models.saving",
    "load_classifier": "models.classifier",
    "TextClassifier": "models.classifier",
    "register_model": "models.registry",
    "EmbedModel": "models.encoder",
}
__getattr__, _dir = lazy_exports(__name__, _WHERE)

__all__ = [
    "AltoolError", "BackgroundStream", "InputError", "__version__", "dedup", "exclude",
    "get_stream", "input_hash", "open_store", "recipe", "set_hashes", "task_hash", *_WHERE,
]


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
