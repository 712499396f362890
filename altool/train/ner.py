"""``altool train --ner``: a spaCy NER model trained on merged NER answers, scored per label.

Answers of the datasets are merged per input by :func:`altool.io.ner.merge_ner_answers`
(applied in ``_timestamp`` order, so the latest answer wins on the same span), split with the
same rules as text classification (:func:`altool.train.textcat.split_eval`: random picks first),
and a fresh :class:`~altool.models.ner.NerModel` is trained for ``epochs`` passes.

Scoring counts exact entity matches (same start, end and label). On an input with a complete
(manual) annotation every predicted entity is checked; on an input known only from binary
answers, a prediction counts as right if it was accepted, wrong if it was rejected, and is
not counted otherwise (nobody said whether it is an entity).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AltoolError
from ..models.saving import MODEL_FILE, save_model
from ..store import Store
from ..store.merge import RANDOM_PICK, model_picked
from ..version import __version__
from .textcat import (
    EvalSet,
    Scores,
    label_score,
    prepare_output,
    scores_markdown,
    split_eval,
    warnings_markdown,
)

if TYPE_CHECKING:
    from ..io.ner import NerAnnotation
    from ..models.ner import NerModel

NER_EPOCHS = 10


@dataclass
class NerItem:
    """One input's merged NER annotation."""

    input_hash: int
    annotation: NerAnnotation
    random_pick: bool
    model_pick: bool = False  # an answer's task was chosen by a model (ner.teach)


@dataclass
class NerTrainResult:
    model: NerModel
    datasets: list[str]
    labels: list[str]
    n_answers: int
    items: list[NerItem]
    evalset: EvalSet
    scores: Scores
    seed: int
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S %Z"))


def merge_ner_datasets(store: Store, datasets: Sequence[str]) -> tuple[list[NerItem], int]:
    """The datasets' NER answers merged per input (latest answer last), and the answer count."""
    from ..io.ner import merge_ner_answers

    answers = []
    for rank, name in enumerate(datasets):
        store.require_dataset(name)
        for position, eg in enumerate(store.iter_answers(name)):
            stamp = eg.get("_timestamp")
            answers.append(((stamp if isinstance(stamp, int) else 0, rank, position), eg))
    answers.sort(key=lambda pair: pair[0])
    random_inputs = {eg["_input_hash"] for _, eg in answers
                     if (eg.get("meta") or {}).get("pick") == RANDOM_PICK}
    chosen_inputs = {eg["_input_hash"] for _, eg in answers if model_picked(eg)}
    merged = merge_ner_answers(eg for _, eg in answers)
    items = [NerItem(h, ann, h in random_inputs, h in chosen_inputs)
             for h, ann in merged.items()]
    return items, len(answers)


def entity_labels(items: Sequence[NerItem]) -> list[str]:
    """Every label an answer used (accepted or rejected), sorted."""
    return sorted({label for item in items for label in item.annotation.labels})


def predict_entities(model: NerModel, items: Sequence[NerItem]) -> list[set[tuple[int, int, str]]]:
    """The model's entities (character start, end, label) on each input's own tokens."""
    from ..io.ner import token_doc

    docs = [token_doc(model.nlp, it.annotation.text, it.annotation.tokens) for it in items]
    return [{(e.start_char, e.end_char, e.label_) for e in doc.ents}
            for doc in model.ner.pipe(docs, batch_size=64)]


def score_entities(predicted: Sequence[set[tuple[int, int, str]]],
                   items: Sequence[NerItem], labels: Sequence[str]) -> Scores:
    """Exact-match precision/recall/F1 per label (see the module docstring for partial
    annotations)."""
    counts = {label: [0, 0, 0] for label in labels}  # tp, fp, fn
    for guess, item in zip(predicted, items, strict=True):
        ann = item.annotation
        gold = {(s, e, label) for (s, e), label in ann.entities.items()}
        for span in guess:
            if span[2] not in counts:
                continue
            if span in gold:
                counts[span[2]][0] += 1
            elif ann.complete or span in ann.incorrect:
                counts[span[2]][1] += 1
        for span in gold - guess:
            if span[2] in counts:
                counts[span[2]][2] += 1
    out = [label_score(label, tp, fp, fn) for label, (tp, fp, fn) in counts.items()]
    return Scores(out, len(items), None)


def train_ner(
    store: Store, datasets: Sequence[str], *, eval_dataset: str | None = None,
    eval_split: float = 0.2, seed: int = 0, epochs: int = NER_EPOCHS, lang: str = "en",
) -> NerTrainResult:
    """Merge the NER ``datasets``, split off the evaluation set, train and score a model."""
    from ..models.ner import NerModel

    items, n_answers = merge_ner_datasets(store, datasets)
    labels = entity_labels(items)
    if not labels:
        raise AltoolError(f"no entity spans in {', '.join(datasets)}: nothing to train a NER "
                          "model on")
    if eval_dataset is None:
        evalset = split_eval(items, eval_split, seed)
    else:
        held, _ = merge_ner_datasets(store, [eval_dataset])
        evalset = split_eval(items, eval_split, seed, held, eval_dataset)
    model = NerModel(labels, lang, epochs=epochs, seed=seed)
    model.fit({it.input_hash: it.annotation for it in evalset.train})
    scores = score_entities(predict_entities(model, evalset.eval), evalset.eval, labels)
    return NerTrainResult(model, list(datasets), labels, n_answers, items, evalset, scores, seed)


def save_ner(result: NerTrainResult, output_dir: Path) -> None:
    """``model.joblib``, the spaCy pipeline (``spacy.load(output_dir)``), ``scores.json`` and
    ``README.md`` in ``output_dir``."""
    prepare_output(output_dir)
    save_model(result.model, output_dir / MODEL_FILE)
    result.model.nlp.to_disk(output_dir)
    evalset, scores = result.evalset, result.scores
    summary = {
        "altool_version": __version__, "created": result.created, "model": "spacy-ner",
        "seed": result.seed, "datasets": result.datasets, "labels": result.labels,
        "answers": result.n_answers, "inputs": len(result.items), "train": len(evalset.train),
        "eval": {"n": len(evalset.eval), "how": evalset.description, "biased": evalset.biased,
                 "warnings": evalset.warnings},
        "macro_precision": scores.macro("precision"), "macro_recall": scores.macro("recall"),
        "macro_f1": scores.macro_f1, "per_label": [asdict(s) for s in scores.labels],
    }
    (output_dir / "scores.json").write_text(json.dumps(summary, indent=2) + "\n",
                                            encoding="utf-8")
    warnings = warnings_markdown(evalset)
    (output_dir / "README.md").write_text(f"""# NER model trained with altool {__version__}

Made on {result.created} by `altool train --ner` from dataset(s) {', '.join(result.datasets)}
(seed {result.seed}): a blank spaCy `ner` pipeline trained for {result.model.epochs} passes.

- Labels: {', '.join(result.labels)}
- Answers: {result.n_answers:,}, merged into {len(result.items):,} inputs
- Trained on {len(evalset.train):,} inputs; evaluated on {evalset.description}
{warnings}
## Scores on the evaluation set (exact entity matches)

{scores_markdown(scores)}

## Use it

- spaCy: `spacy.load("{output_dir}")`, entities in `doc.ents`
- Python: `joblib.load("{output_dir / MODEL_FILE}")` gives the altool NER model
""", encoding="utf-8")
