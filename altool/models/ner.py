"""The NER model in the loop of ``ner.teach``: a blank spaCy ``ner`` pipeline, updated online.

**Learning from answers.** Answers are merged per input (:mod:`altool.io.ner`) into
reference docs: accepted spans are entities, a manual answer's other tokens are "O", a binary
answer's other tokens stay missing, and rejected spans are negative examples in
``doc.spans["incorrect_spans"]`` (the component is built with that ``incorrect_spans_key``:
spaCy's oracle then avoids exactly that entity, without assuming anything about the tokens).
Each :meth:`NerModel.fit` continues from the current weights: ``epochs`` passes over the
inputs whose annotation is new or changed since the last fit plus up to ``replay`` earlier
ones, so an update costs about the same however many answers there are.

**Scores.** :meth:`NerModel.score` runs beam search (width ``beam_width``) and gives each
entity the total probability of the beam's parses that contain it (spaCy's ``scored_ents``,
what Prodigy's ``ner.teach`` uses): a per-entity probability, measured for calibration in
``benchmarks/ner_simulate.py``. The beam is not pruned (``beam_density`` 0): after many
rejections the model is sure of "no entity" everywhere, and a pruned beam then kept a single
parse without entities, so ``ner.teach`` ran out of questions (measured on WNUT-17: 6
candidates in 500 sentences). :meth:`NerModel.predict` is the greedy parse (the entities
``spacy train`` would output).

The network is spaCy's transition-based NER on a hashed-embedding CNN (norm, prefix, suffix
and shape features; width 96, depth 4, 5,000 rows: spaCy's default sizes), seeded
(:func:`seeded`: the same answers and seed give the same model). Trained offline on WNUT-17
it did a little better than a width 64/depth 2 network (mean entity F1 over 3 seeds after 5
passes: 0.044 vs 0.030 from 300 sentences, 0.099 vs 0.098 from 1,000) at about 1.5x the
update time. In-loop numbers: ``benchmarks/ner_simulate.py``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AltoolError
from ..io.ner import INCORRECT_KEY, NerAnnotation, reference_doc, token_doc
from .calibration import PlattScaling
from .spacy_pipeline import pipeline_from_state, pipeline_state

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

BATCH = 16
TOK2VEC = {"@architectures": "spacy.HashEmbedCNN.v2", "pretrained_vectors": None, "width": 96,
           "depth": 4, "embed_size": 5000, "window_size": 1, "maxout_pieces": 3,
           "subword_features": True}
PARSER = {"@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner",
          "extra_state_tokens": False, "hidden_width": 64, "maxout_pieces": 2,
          "use_upper": True, "nO": None, "tok2vec": TOK2VEC}


@dataclass(frozen=True)
class ScoredSpan:
    """A candidate entity: tokens ``start``..``end - 1``, its label and p(entity)."""

    start: int
    end: int
    label: str
    score: float


class NerModel:
    """A spaCy NER component trained from merged answers (see the module docstring)."""

    kind = "spacy-ner"

    def __init__(
        self,
        labels: Sequence[str],
        lang: str = "en",
        *,
        epochs: int = 2,
        replay: int = 200,
        beam_width: int = 8,
        beam_density: float = 0.0,
        dropout: float = 0.1,
        seed: int = 0,
    ) -> None:
        if not labels:
            raise AltoolError("the NER model needs at least one label")
        self.labels = list(labels)
        self.lang = lang
        self.epochs = epochs
        self.replay = replay
        self.beam_width = beam_width
        self.beam_density = beam_density
        self.dropout = dropout
        self.seed = seed
        self.calibration = PlattScaling()  # raw beam p -> calibrated p (see NerLearner.fit)
        self.version = 0
        self.n_examples = 0
        self._rng = np.random.default_rng(seed)
        self._trained: dict[int, tuple] = {}  # input hash -> annotation it was trained on
        self._has_entity = False
        self.nlp = self._build()
        self._optimizer = self.nlp.resume_training()

    def _build(self) -> Language:
        from ..io.spans import blank_nlp

        nlp = blank_nlp(self.lang)
        ner = nlp.add_pipe("ner", config={"incorrect_spans_key": INCORRECT_KEY,
                                          "model": PARSER})
        for label in self.labels:
            ner.add_label(label)
        with seeded(self.seed):
            nlp.initialize()
        return nlp

    @property
    def ready(self) -> bool:
        """Trained on at least one entity (before that every score is noise)."""
        return self._has_entity

    @property
    def ner(self) -> Any:
        return self.nlp.get_pipe("ner")

    def make_docs(self, examples: Sequence[dict[str, Any]]) -> list[Doc]:
        """Docs of examples (``text``, and ``tokens`` if tokenized: then token indices in
        scores and predictions are the example's)."""
        return [token_doc(self.nlp, eg["text"], eg.get("tokens")) for eg in examples]

    # -- learning ----------------------------------------------------------------------------
    def fit(self, annotations: Mapping[int, NerAnnotation]) -> int:
        """Update on the inputs whose annotation is new or changed, plus up to ``replay``
        others; return how many inputs were trained on."""
        from spacy.training import Example

        changed = [h for h, a in annotations.items() if self._trained.get(h) != _key(a)]
        if not changed:
            return 0
        old = [h for h in annotations if h not in set(changed)]
        if len(old) > self.replay:
            old = [old[i] for i in self._rng.choice(len(old), self.replay, replace=False)]
        hashes = changed + old
        examples = []
        for h in hashes:
            ann = annotations[h]
            ref = reference_doc(self.nlp, ann).doc
            examples.append(Example(token_doc(self.nlp, ann.text, ann.tokens), ref))
        with seeded(self.seed + 7919 * (self.version + 1)):
            for _ in range(self.epochs):
                order = self._rng.permutation(len(examples))
                for start in range(0, len(order), BATCH):
                    batch = [examples[i] for i in order[start : start + BATCH]]
                    self.nlp.update(batch, sgd=self._optimizer, drop=self.dropout)
        for h in changed:
            self._trained[h] = _key(annotations[h])
        self._has_entity = self._has_entity or any(annotations[h].entities for h in changed)
        self.n_examples = len(annotations)
        self.version += 1
        return len(examples)

    # -- predicting --------------------------------------------------------------------------
    def score(self, docs: Sequence[Doc]) -> list[list[ScoredSpan]]:
        """Every entity in each doc's beam with its probability, most probable first."""
        if not docs:
            return []
        beams = self.ner.beam_parse(list(docs), beam_width=self.beam_width,
                                    beam_density=self.beam_density)
        out = []
        for scores in self.ner.scored_ents(beams):
            spans = [ScoredSpan(s, e, label, min(float(p), 1.0))
                     for (s, e, label), p in scores.items()]
            out.append(sorted(spans, key=lambda sp: -sp.score))
        return out

    def predict(self, docs: Sequence[Doc]) -> list[list[tuple[int, int, str]]]:
        """The greedy parse's entities per doc: (first token, end token, label)."""
        return [[(e.start, e.end, e.label_) for e in doc.ents]
                for doc in self.ner.pipe(list(docs), batch_size=64)]

    # -- saving ------------------------------------------------------------------------------
    def save(self, path: Any) -> None:
        from .saving import save_model

        save_model(self, path)

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("nlp", "_optimizer")}
        return {**state, **pipeline_state(self.nlp)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.nlp = pipeline_from_state(state)
        self.__dict__.update({"seed": 0, "calibration": PlattScaling(), **state})
        self._optimizer = self.nlp.resume_training()


def load_ner_model(path: Path) -> NerModel:
    """A NER model saved by altool. Only load files you trust: joblib runs pickled code (a
    file others could have written is refused: :func:`~.saving.check_trusted`)."""
    import joblib

    from .saving import check_trusted

    check_trusted(Path(path))
    try:
        model = joblib.load(path)
    except Exception as err:  # joblib/pickle raise many types for a damaged file
        raise AltoolError(f"{path}: can't load the saved model ({err})") from None
    if not isinstance(model, NerModel):
        raise AltoolError(f"{path}: not an altool NER model")
    return model


def resume_ner_model(state: Path | None, labels: Sequence[str], lang: str = "en",
                     **kwargs: Any) -> NerModel:
    """The dataset's saved NER model if it has these labels and language, else a new one."""
    if state is not None and state.exists():
        try:
            saved = load_ner_model(state)
        except AltoolError:
            saved = None
        if saved is not None and saved.labels == list(labels) and saved.lang == lang:
            return saved
    return NerModel(labels, lang, **kwargs)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed the global ``random`` and ``numpy.random`` state that thinc draws initial weights
    and dropout masks from (it has no generator of its own), and restore it afterwards."""
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def _key(ann: NerAnnotation) -> tuple:
    """What an annotation says, comparable between fits."""
    return (tuple(sorted(ann.entities.items())), tuple(sorted(ann.incorrect)), ann.complete)
