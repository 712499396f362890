"""The models ``--model`` can name: a registry of factories with what each model can do, and
building, resuming and checking models by name.

Entries name their factory as ``"module:function"`` inside :mod:`altool.models`, imported on
first use: the encoder needs torch, spaCy is slow to import, and a command that never builds
a model should not pay for either. Nothing here imports a model module at import time, so no
model module ever needs to import the registry back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from ..errors import AltoolError
from .base import CACHEABLE, REFIT, SEMANTIC, VECTORS, TextModel, capabilities_of
from .saving import load_model

ModelFactory = Callable[..., TextModel]


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: how to build it and what it can do before it is built
    (``capabilities``: names from :data:`~altool.models.base.CAPABILITIES`; None when only a
    built model can tell)."""

    factory: ModelFactory | str  # a callable, or "module:function" inside altool.models
    capabilities: frozenset[str] | None = None
    summary: str = ""
    extra: str | None = None  # the altool extra it needs installed (pip install 'altool[X]')

    def build(self, labels: Sequence[str], exclusive: bool = True, **kwargs: Any) -> TextModel:
        factory = self.factory
        if isinstance(factory, str):
            module, _, name = factory.partition(":")
            factory = getattr(import_module(f"altool.models.{module}"), name)
        return factory(labels, exclusive=exclusive, **kwargs)


MODELS: dict[str, ModelSpec] = {
    "sklearn": ModelSpec("ngram:SklearnModel", frozenset({VECTORS, REFIT}),
                         "hashed n-grams, logistic regressions + Naive Bayes (the default)"),
    "sklearn-lr": ModelSpec("ngram:logistic_only", frozenset({VECTORS, REFIT}),
                            "hashed n-grams, logistic regressions only"),
    "embed": ModelSpec("encoder:EmbedModel", frozenset({VECTORS, REFIT, CACHEABLE, SEMANTIC}),
                       "sentence embeddings (all-MiniLM-L6-v2), logistic regressions",
                       extra="embed"),
    "blend": ModelSpec("blend:BlendModel", frozenset({VECTORS, REFIT, CACHEABLE, SEMANTIC}),
                       "n-gram and sentence-embedding models, probabilities averaged",
                       extra="embed"),
    "stack": ModelSpec("blend:StackModel", frozenset({VECTORS, REFIT, CACHEABLE, SEMANTIC}),
                       "n-gram and sentence-embedding models, weighted by cross-validation "
                       "on the answers", extra="embed"),
    "spacy": ModelSpec("spacy_textcat:make_spacy_model", frozenset(),
                       "a spaCy text classifier (blank, or spacy:NAME_OR_PATH)"),
}


AUTO = "auto"  # --model auto (the default): the best model that is installed
ENCODER_MODEL = "stack"  # what auto picks when the sentence encoder is installed
NGRAM_MODEL = "sklearn"  # ... and when it is not


def resolve_model(name: str) -> tuple[str, str | None]:
    """``(model, note)``: ``auto`` becomes the encoder model if the ``embed`` extra is
    installed, else the n-gram model with a note saying what the extra would add; any other
    name is itself."""
    if name != AUTO:
        return name, None
    from .encoder import INSTALL_HINT, missing_packages

    if not missing_packages():
        return ENCODER_MODEL, None
    return NGRAM_MODEL, (f"using the n-gram model; {INSTALL_HINT} adds a sentence encoder "
                         "(the default model becomes stack: n-grams and sentence embeddings) "
                         "that learned faster from the same labels on 11 of the 12 benchmark "
                         "datasets (README: Which model?)")


def register_model(name: str, factory: ModelFactory,
                   capabilities: Sequence[str] | None = None) -> ModelFactory:
    """Make ``factory(labels, exclusive=True)`` available as ``--model name``. Say what the
    model can do with ``capabilities`` (else it is read from the built model)."""
    MODELS[name] = ModelSpec(factory, None if capabilities is None else frozenset(capabilities))
    return factory


def split_model_name(name: str) -> tuple[str, str | None]:
    """``"spacy:PATH"`` -> ``("spacy", "PATH")``: a registered model started from a base
    (only for names before the colon that are registered; anything else is a path)."""
    kind, sep, base = name.partition(":")
    if sep and base and kind in MODELS:
        return kind, base
    return name, None


def model_capabilities(name: str) -> frozenset[str] | None:
    """What the model ``name`` can do, known without building it; None for a saved model's
    path or a registered model that did not say."""
    kind, _ = split_model_name(name)
    spec = MODELS.get(kind)
    return None if spec is None else spec.capabilities


def make_model(name: str, labels: Sequence[str], exclusive: bool = True) -> TextModel:
    """Build a fresh model by name (``sklearn``, ``embed``, ``spacy``, ``spacy:BASE``) or
    load a saved one from a path."""
    kind, base = split_model_name(name)
    if base is not None:
        return MODELS[kind].build(labels, exclusive=exclusive, base=base)
    if name in MODELS:
        return MODELS[name].build(labels, exclusive=exclusive)
    path = Path(name)
    if path.exists():
        model = load_model(path)
        if list(model.labels) != list(labels):
            raise AltoolError(
                f"{path}: model was trained for labels {', '.join(model.labels)}, "
                f"not {', '.join(labels)}"
            )
        return model
    raise AltoolError(
        f"unknown model {name!r}; choose one of: {', '.join(MODELS)} or give a saved model's path"
    )


def resume_model(
    state: Path | None, name: str, labels: Sequence[str], exclusive: bool
) -> TextModel:
    """The saved in-the-loop model of a dataset if it fits these labels, else a new one."""
    fresh = make_model(name, labels, exclusive=exclusive)
    if split_model_name(name)[0] not in MODELS or state is None or not state.exists():
        return fresh
    try:
        saved = load_model(state)
    except AltoolError:
        return fresh
    same_kind = all(getattr(saved, key, None) == getattr(fresh, key, None)
                    for key in ("kind", "base", "nb_weight"))  # sklearn-lr: no NB half
    if same_kind and list(saved.labels) == list(labels) and saved.exclusive == fresh.exclusive:
        return saved
    return fresh


def models_with(needs: frozenset[str]) -> list[str]:
    """The registered model names that have every capability in ``needs``."""
    return [name for name, spec in MODELS.items()
            if spec.capabilities is not None and needs <= spec.capabilities]



CAPABILITY_WORDS = {VECTORS: "feature vectors", REFIT: "refitting on resamples",
                    CACHEABLE: "cached features"}


def require_capabilities(what: str, needs: frozenset[str], model: str,
                         capabilities: frozenset[str] | None) -> None:
    """Fail with a clear error when a model with ``capabilities`` lacks some of ``needs``
    (``what`` names who needs them, e.g. ``--strategy coreset``). ``None`` capabilities are
    not known before the model is built: nothing to check yet."""
    missing = needs - capabilities if capabilities is not None else frozenset()
    if not missing:
        return
    names = models_with(needs)
    which = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    words = ", ".join(CAPABILITY_WORDS.get(m, m) for m in sorted(missing))
    raise AltoolError(f"{what} needs --model {which or 'with ' + words} ({words}), not {model}")


__all__ = [
    "AUTO", "CAPABILITY_WORDS", "ENCODER_MODEL", "MODELS", "NGRAM_MODEL", "ModelFactory",
    "ModelSpec", "capabilities_of", "make_model", "model_capabilities", "models_with",
    "register_model", "require_capabilities", "resolve_model", "resume_model",
    "split_model_name",
]
