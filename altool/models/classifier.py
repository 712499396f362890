"""``altool train``'s text classifier with scikit-learn's API on texts, and a file format that is
safe to share.

``joblib.load(OUTPUT_DIR/model.joblib)`` gives a :class:`TextClassifier`: ``predict(texts)``,
``predict_proba(texts)`` (one column per label, in ``classes_`` order), ``classes_`` and
``score(texts, y)``, as a scikit-learn classifier. The altool model inside (``.model``) is what
the loop uses; ``featurize`` and ``predict_proba(features)`` still work, as before.

``model.joblib`` is a pickle: loading it runs code stored in the file. ``model.skops`` (written
when the ``share`` extra, skops, is installed) holds the same classifier in skops' format,
which loads no code: :func:`load_classifier` builds only numpy, scikit-learn and altool's own
model types from it, and refuses a file that asks for any other type.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ..errors import AltoolError
from .saving import MODEL_FILE, load_model, save_model

SAFE_FILE = "model.skops"  # the classifier in skops' format, beside model.joblib
SAFE_INSTALL = "pip install 'altool[share]'"
TRUSTED_MODULES = ("altool.models.",)
PASSED_THROUGH = frozenset({"kind", "version", "capabilities", "cache_key", "nlp", "base",
                            "n_examples"})  # types of ours that skops may build, besides its own


def as_texts(X: Any) -> list[str] | None:
    """``X`` as a list of texts if it is one (a list, tuple, 1-d array or pandas Series of
    strings), else None (a feature matrix). One string alone is refused: it is one text, and
    scikit-learn takes a list of them."""
    if isinstance(X, str):
        raise AltoolError("give a list of texts, not one text: model.predict([text])")
    if isinstance(X, np.ndarray):
        if X.ndim != 1 or X.dtype.kind not in "UO":
            return None
        X = X.tolist()
    elif hasattr(X, "to_numpy") and getattr(X, "ndim", 0) == 1:  # a pandas Series
        X = X.to_numpy().tolist()
    if not isinstance(X, list | tuple):
        return None
    if not all(isinstance(t, str) for t in X):
        bad = next(t for t in X if not isinstance(t, str))
        raise AltoolError(f"every text must be a string, got {type(bad).__name__}")
    return list(X)


class TextClassifier(ClassifierMixin, BaseEstimator):
    """A trained altool text model as a scikit-learn classifier on texts.

    Exclusive labels: ``predict`` gives one label per text (the most probable). Multi-label:
    a 0/1 indicator matrix, one column per label in ``classes_`` order (a label applies when
    its probability is at least 0.5), as scikit-learn's multi-label classifiers do."""

    is_altool_classifier = True  # what :func:`altool.models.saving.load_model` unwraps

    def __init__(self, model: Any) -> None:
        self.model = model

    # -- scikit-learn's API --------------------------------------------------------------------
    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.model.labels, dtype=object)

    @property
    def labels(self) -> list[str]:
        return list(self.model.labels)

    @property
    def exclusive(self) -> bool:
        return bool(self.model.exclusive)

    def predict_proba(self, X: Any) -> np.ndarray:
        """One probability per label (columns in ``classes_`` order) for each text; a feature
        matrix from :meth:`featurize` is taken as before."""
        texts = as_texts(X)
        if texts is None:
            return self.model.predict_proba(X)
        if not texts:
            return np.zeros((0, len(self.model.labels)))
        return np.asarray(self.model.predict_proba(self.model.featurize(texts)))

    def predict(self, X: Any) -> np.ndarray:
        """The predicted label of each text (exclusive labels), or a 0/1 indicator matrix
        (multi-label)."""
        P = self.predict_proba(X)
        if self.exclusive:
            return self.classes_[P.argmax(axis=1)] if len(P) else self.classes_[:0]
        return (P >= 0.5).astype(int)

    def fit(self, X: Any, y: Any) -> TextClassifier:
        """Train the model afresh on texts ``X`` and labels ``y`` (exclusive: one label per
        text; multi-label: an indicator matrix in ``classes_`` order), so scikit-learn's
        ``clone`` and ``cross_val_score`` work."""
        texts = as_texts(X)
        if texts is None:
            raise AltoolError("fit takes a list of texts")
        labels = list(self.model.labels)
        if self.exclusive:
            index = {label: j for j, label in enumerate(labels)}
            unknown = sorted({str(v) for v in y if v not in index})
            if unknown:
                raise AltoolError(f"unknown labels {', '.join(unknown)}; the model's labels "
                                  f"are {', '.join(labels)}")
            Y = np.zeros((len(texts), len(labels)))
            Y[np.arange(len(texts)), [index[v] for v in y]] = 1.0
        else:
            Y = np.asarray(y, dtype=float)
        self.model.fit(self.model.featurize(texts), Y)
        return self

    # -- what the loop's model offers, passed through ------------------------------------------
    def featurize(self, texts: Sequence[str]) -> Any:
        return self.model.featurize(texts)

    @property
    def ready(self) -> bool:
        return bool(self.model.ready)

    def __getattr__(self, name: str) -> Any:
        """The altool model's own description (``kind``, ``version``, ``nlp``, ...), read
        through, as code written for the bare model read it."""
        if name in PASSED_THROUGH and "model" in self.__dict__:
            return getattr(self.__dict__["model"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


def classifier_of(model: Any) -> TextClassifier:
    """``model`` as a :class:`TextClassifier` (as it is, if it is one already)."""
    return model if isinstance(model, TextClassifier) else TextClassifier(model)


def skops_missing() -> bool:
    try:
        import skops.io  # noqa: F401
    except ImportError:
        return True
    return False


def save_safe(model: Any, path: Path) -> None:
    """Write ``model`` as a :class:`TextClassifier` in skops' format (private to its owner,
    like the pickle). AltoolError without skops or for a model skops can't hold (spaCy's)."""
    if skops_missing():
        raise AltoolError(f"the safe model format needs skops: {SAFE_INSTALL}")
    import skops.io as sio

    clf = classifier_of(model)
    if getattr(clf.model, "nlp", None) is not None:
        raise AltoolError("a spaCy model is shared as its pipeline folder (spacy.load), not "
                          "as a skops file")
    save_model(clf, Path(path), dump=sio.dump)


def altool_model_type(name: str) -> bool:
    """Whether ``name`` (``module.Class``) is a class defined in altool's models package."""
    from importlib import import_module

    module, _, attr = name.rpartition(".")
    if not module.startswith(TRUSTED_MODULES):
        return False
    try:
        obj = getattr(import_module(module), attr)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, type) and obj.__module__ == module


def load_classifier(path: str | Path) -> TextClassifier:
    """A trained model as a :class:`TextClassifier`: a ``.skops`` file (loads no code; only
    numpy, scikit-learn and altool's model types are built), a ``.joblib`` file (a pickle: only
    files you trust, see :func:`altool.models.saving.load_model`), or ``altool train``'s
    OUTPUT_DIR (its ``model.skops`` when there is one, else ``model.joblib``)."""
    path = Path(path)
    if path.is_dir():
        path = path / SAFE_FILE if (path / SAFE_FILE).is_file() else path / MODEL_FILE
    if path.suffix != ".skops":
        return classifier_of(load_model(path))
    if skops_missing():
        raise AltoolError(f"{path}: loading a .skops model needs skops: {SAFE_INSTALL}")
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except FileNotFoundError:
        raise AltoolError(f"{path}: no such model file") from None
    except Exception as err:  # skops raises many types for a damaged file
        raise AltoolError(f"{path}: can't read the skops file ({err})") from None
    foreign = [t for t in untrusted if not altool_model_type(t)]
    if foreign:
        raise AltoolError(f"{path}: the file asks for types that are not altool's models "
                          f"({', '.join(foreign[:5])}); not loaded")
    try:
        clf = sio.load(path, trusted=untrusted)
    except Exception as err:
        raise AltoolError(f"{path}: can't load the skops file ({err})") from None
    if not isinstance(clf, TextClassifier):
        raise AltoolError(f"{path}: not an altool model")
    return clf
