"""``--model spacy``: a spaCy text classifier in the loop.

A ``spacy.blank(lang)`` pipeline with a ``textcat`` component (exclusive labels: one softmax
over the labels) or ``textcat_multilabel`` (one sigmoid per label), both the bag-of-words
architecture (``spacy.TextCatBOW.v3``, word 1-2-grams): it learns from a handful of examples
and scores tens of thousands of texts per second. ``spacy:NAME_OR_PATH`` starts from an
installed pipeline or a pipeline folder and adds the text classifier if it has none.

Answers arrive as targets in {1, 0, NaN} per label (:func:`altool.models.targets_from_answers`).
``nlp.update`` can't leave a label out of an exclusive ``textcat``'s loss (it treats a label
missing from ``doc.cats`` as 0), so the update here computes the same squared-error gradient
``textcat`` uses with unknown labels masked out, then lets the component's optimizer step. A
reject of label L thus pushes p(L) down and nothing else.

Each :meth:`SpacyTextcat.fit` continues from the current weights and makes ``epochs`` shuffled
passes over all answers (``benchmarks/spacy_models.py`` compares this with retraining from
scratch). The model pickles as the pipeline's config and bytes, so
:func:`altool.models.save_model` saves it between sessions like the scikit-learn model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AltoolError
from .ngram import HashedFeatures
from .spacy_pipeline import load_pipeline, pipeline_from_state, pipeline_state

if TYPE_CHECKING:
    import scipy.sparse as sp
    from spacy.language import Language

PIPE_NAMES = {True: "textcat", False: "textcat_multilabel"}  # by exclusive
BATCH = 32


class TextFeatures:
    """Tokenised texts (spaCy ``Doc`` objects, what the model reads) plus hashed n-gram
    vectors (what the query strategies compare for diversity and cold start).

    Supports what the learner, worker and strategies do with a feature matrix: row indexing,
    ``shape``, ``a @ b.T`` and row-stacking (:meth:`stack_rows`)."""

    def __init__(self, docs: np.ndarray, vectors: sp.csr_matrix) -> None:
        self.docs = docs
        self.vectors = vectors

    @property
    def shape(self) -> tuple[int, int]:
        return self.vectors.shape

    def __len__(self) -> int:
        return len(self.docs)

    def __getitem__(self, rows: Any) -> TextFeatures:
        if isinstance(rows, (int, np.integer)):
            rows = [int(rows)]
        return TextFeatures(self.docs[rows], self.vectors[rows])

    @property
    def T(self) -> sp.csr_matrix:  # noqa: N802 (the matrix name)
        return self.vectors.T

    def __matmul__(self, other: Any) -> Any:
        return self.vectors @ (other.vectors if isinstance(other, TextFeatures) else other)

    @classmethod
    def stack_rows(cls, parts: Sequence[TextFeatures]) -> TextFeatures:
        import scipy.sparse as sp

        return cls(np.concatenate([p.docs for p in parts]),
                   sp.vstack([p.vectors for p in parts], format="csr"))


def _object_array(items: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


class SpacyTextcat:
    """A spaCy ``textcat``/``textcat_multilabel`` component trained online from answers."""

    kind = "spacy"

    def __init__(
        self,
        labels: Sequence[str],
        exclusive: bool = True,
        *,
        lang: str = "en",
        base: str | None = None,
        epochs: int = 3,
        learn_rate: float = 0.001,
        from_scratch: bool = False,
        seed: int = 0,
    ) -> None:
        if not labels:
            raise AltoolError("a model needs at least one label")
        self.labels = list(labels)
        self.exclusive = exclusive and len(self.labels) > 1
        self.lang = lang
        self.base = base
        self.epochs = epochs
        self.learn_rate = learn_rate
        self.from_scratch = from_scratch
        self.seed = seed
        self.version = 0
        self.n_examples = 0
        self._ready = False
        self._rng = np.random.default_rng(seed)
        self.pipe_name = PIPE_NAMES[self.exclusive]
        self.nlp = self._build()
        self._optimizer = self._new_optimizer()
        self._vectors = HashedFeatures(2**18)

    # -- building ----------------------------------------------------------------------------
    def _build(self) -> Language:
        import spacy

        if self.base is None:
            nlp = spacy.blank(self.lang)
        else:
            nlp = load_pipeline(self.base)
        existing = self._existing_pipe(nlp)
        if existing is None:
            self._add_pipe(nlp)
        else:
            self.pipe_name = existing
        return nlp

    def _existing_pipe(self, nlp: Language) -> str | None:
        """The name of a text classifier of the right kind already in ``nlp`` that knows all
        our labels; an error if one of the right kind is there but can't be used."""
        factory = PIPE_NAMES[self.exclusive]
        for name in nlp.pipe_names:
            if nlp.get_pipe_meta(name).factory != factory:
                continue
            pipe = nlp.get_pipe(name)
            missing = [label for label in self.labels if label not in pipe.labels]
            if missing:
                raise AltoolError(
                    f"{self.base}: its {name} component has no label(s) {', '.join(missing)} "
                    f"(it knows {', '.join(pipe.labels) or 'none'}); use --model spacy for a "
                    "new pipeline"
                )
            if any("listener" in node.name.lower() for node in pipe.model.walk()):
                raise AltoolError(
                    f"{self.base}: its {name} component shares a tok2vec layer, which can't "
                    "be updated in the loop; use --model spacy for a new pipeline"
                )
            return name
        return None

    def _add_pipe(self, nlp: Language) -> None:
        from spacy.training import Example

        config = {"model": {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": self.exclusive,
            "ngram_size": 2,
            "no_output_layer": False,
        }}
        name = PIPE_NAMES[self.exclusive]
        if name in nlp.pipe_names:
            name = f"altool_{name}"
        pipe = nlp.add_pipe(PIPE_NAMES[self.exclusive], name=name, config=config)
        self.pipe_name = name
        for label in self.labels:
            pipe.add_label(label)
        doc = nlp.make_doc("x")
        cats = {label: float(j == 0) for j, label in enumerate(self.labels)}
        pipe.initialize(lambda: [Example.from_dict(doc, {"cats": cats})], nlp=nlp)

    def _new_optimizer(self) -> Any:
        from thinc.api import Adam

        return Adam(self.learn_rate)

    @property
    def pipe(self) -> Any:
        return self.nlp.get_pipe(self.pipe_name)

    # -- the model protocol ------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self._ready

    def featurize(self, texts: Sequence[str]) -> TextFeatures:
        texts = list(texts)
        docs = [self.nlp.make_doc(t) for t in texts]
        return TextFeatures(_object_array(docs), self._vectors(texts))

    def fit(self, features: TextFeatures, targets: np.ndarray) -> None:
        """Train on every row with a known target: ``epochs`` shuffled passes, continuing from
        the current weights (or from fresh ones with ``from_scratch``)."""
        keep = np.flatnonzero((~np.isnan(targets)).any(axis=1))
        self.n_examples = len(keep)
        if self.n_examples == 0:
            return
        if self.from_scratch and self.version:
            self.nlp = self._build_fresh()
            self._optimizer = self._new_optimizer()
        docs, Y = features.docs[keep], targets[keep]
        for _ in range(self.epochs):
            order = self._rng.permutation(len(docs))
            for start in range(0, len(order), BATCH):
                rows = order[start : start + BATCH]
                self._update(list(docs[rows]), Y[rows])
        known = ~np.isnan(Y)
        pos, neg = ((Y == 1) & known).any(axis=0), ((Y == 0) & known).any(axis=0)
        self._ready = bool((pos & neg).any())
        self.version += 1

    def _build_fresh(self) -> Language:
        self.pipe_name = PIPE_NAMES[self.exclusive]
        return self._build()

    def _update(self, docs: list[Any], Y: np.ndarray) -> None:
        """One gradient step on ``docs``: textcat's squared error, unknown labels masked."""
        pipe = self.pipe
        model = pipe.model
        scores, backprop = model.begin_update(docs)
        known = ~np.isnan(Y)
        d_scores = (model.ops.to_numpy(scores) - np.nan_to_num(Y)) * known
        backprop(model.ops.asarray2f(d_scores.astype("float32")))
        model.finish_update(self._optimizer)

    def predict_proba(self, features: TextFeatures) -> np.ndarray:
        """One probability per label (rows sum to 1 when labels are exclusive)."""
        if len(features) == 0:
            return np.empty((0, len(self.labels)))
        model = self.pipe.model
        columns = [list(self.pipe.labels).index(label) for label in self.labels]
        out = []
        for start in range(0, len(features), 1000):
            scores = model.predict(list(features.docs[start : start + 1000]))
            out.append(model.ops.to_numpy(scores)[:, columns])
        P = np.vstack(out).astype(float)
        if self.exclusive:
            P /= np.maximum(P.sum(axis=1, keepdims=True), 1e-12)
        return P

    def save(self, path: Any) -> None:
        from .saving import save_model

        save_model(self, path)

    # -- pickling: the pipeline travels as config + bytes ---------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("nlp", "_optimizer", "_vectors")}
        return {**state, **pipeline_state(self.nlp)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.nlp = pipeline_from_state(state)
        self.__dict__.update(state)
        self._optimizer = self._new_optimizer()
        self._vectors = HashedFeatures(2**18)


def make_spacy_model(
    labels: Sequence[str], exclusive: bool = True, *, base: str | None = None,
    lang: str = "en", **kwargs: Any,
) -> SpacyTextcat:
    """``--model spacy`` (a blank pipeline) or ``--model spacy:NAME_OR_PATH``."""
    return SpacyTextcat(labels, exclusive, lang=lang, base=base, **kwargs)
