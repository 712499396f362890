"""``altool data-to-spacy``: stored answers as spaCy training data (``train.spacy``,
``dev.spacy``) plus a ``config.cfg`` that ``python -m spacy train`` runs as it is.

All answers on the same input become one ``Doc``:

- NER datasets (:mod:`altool.io.ner`): a manual answer is the complete annotation (other
  tokens "O"); binary answers are partial: accepted spans are entities, rejected spans go into
  ``doc.spans["incorrect_spans"]``, every other token stays *missing*, never "O". The config
  sets the ``ner`` component's ``incorrect_spans_key`` so spaCy learns from the rejections.
- text classification datasets (:mod:`altool.store.merge`): ``doc.cats`` holds the labels whose
  status the answers settled (1 or 0); labels nobody answered for are left out.

Inputs are split into train and dev at random (``eval_split``, seeded).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AltoolError
from ..io.ner import INCORRECT_KEY, merge_ner_answers, reference_doc
from ..io.spans import blank_nlp

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from ..store import Store


@dataclass
class SpacyData:
    """The docs of an export and what went into them."""

    docs: list[Doc] = field(default_factory=list)
    ner_labels: list[str] = field(default_factory=list)
    textcat_labels: list[str] = field(default_factory=list)
    exclusive: bool = True
    n_partial: int = 0  # NER docs with binary answers only (other tokens missing)
    n_complete: int = 0  # NER docs with a manual answer
    n_rejected_spans: int = 0
    n_misaligned: int = 0  # spans not on token boundaries of the tokenizer (left out)


def collect_docs(store: Store, ner: Sequence[str] = (), textcat: Sequence[str] = (),
                 lang: str = "en") -> SpacyData:
    """One reference ``Doc`` per input answered in any of the datasets."""
    if not ner and not textcat:
        raise AltoolError("name at least one dataset: --ner DS1,DS2 and/or --textcat DS3")
    nlp = blank_nlp(lang)
    out = SpacyData()
    by_input: dict[int, Doc] = {}
    ner_labels: set[str] = set()
    for name in ner:
        store.require_dataset(name)
    merged = merge_ner_answers(eg for name in ner for eg in store.iter_answers(name))
    for h, ann in merged.items():
        result = reference_doc(nlp, ann)
        by_input[h] = result.doc
        out.n_misaligned += result.misaligned
        out.n_rejected_spans += len(result.doc.spans[INCORRECT_KEY])
        ner_labels |= ann.labels
        if ann.complete:
            out.n_complete += 1
        else:
            out.n_partial += 1
    if textcat:
        from ..store.merge import merge_datasets

        result = merge_datasets(store, list(textcat))
        out.textcat_labels, out.exclusive = list(result.labels), result.exclusive
        for eg in result.examples:
            doc = by_input.get(eg.input_hash)
            if doc is None:
                doc = by_input[eg.input_hash] = nlp.make_doc(eg.text)
            doc.cats = {label: float(value) for label, value in eg.status.items()}
    out.ner_labels = sorted(ner_labels)
    out.docs = list(by_input.values())
    if not out.docs:
        raise AltoolError("the datasets have no accepted or rejected answers to export")
    return out


def split_docs(docs: Sequence[Doc], eval_split: float, seed: int = 0
               ) -> tuple[list[Doc], list[Doc]]:
    """Random train/dev split; dev gets ``eval_split`` of the docs (at least one if > 0)."""
    if not 0.0 <= eval_split < 1.0:
        raise AltoolError(f"--eval-split must be in [0, 1), got {eval_split}")
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    n_dev = max(1, round(len(docs) * eval_split)) if eval_split > 0 and len(docs) > 1 else 0
    dev = [docs[i] for i in order[:n_dev]]
    train = [docs[i] for i in order[n_dev:]]
    return train, dev


def training_config(data: SpacyData, lang: str, train: Path, dev: Path) -> str:
    """A ``spacy train`` config for the exported components (CPU, efficiency), pointing at
    the files and reading rejected spans as negative examples."""
    from spacy.cli.init_config import init_config

    pipeline = []
    if data.ner_labels:
        pipeline.append("ner")
    if data.textcat_labels:
        pipeline.append("textcat" if data.exclusive else "textcat_multilabel")
    config = init_config(lang=lang, pipeline=pipeline, optimize="efficiency", gpu=False,
                         pretraining=False, silent=True)
    if "ner" in pipeline:
        config["components"]["ner"]["incorrect_spans_key"] = INCORRECT_KEY
    config["paths"]["train"] = str(train.resolve())
    config["paths"]["dev"] = str(dev.resolve())
    return config.to_str()


@dataclass
class ExportResult:
    data: SpacyData
    n_train: int
    n_dev: int
    paths: dict[str, Path]


def data_to_spacy(store: Store, output_dir: Path, ner: Sequence[str] = (),
                  textcat: Sequence[str] = (), eval_split: float = 0.2, lang: str = "en",
                  seed: int = 0) -> ExportResult:
    """Write ``train.spacy``, ``dev.spacy`` and ``config.cfg`` to ``output_dir``."""
    from spacy.tokens import DocBin

    data = collect_docs(store, ner, textcat, lang)
    train, dev = split_docs(data.docs, eval_split, seed)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {"train": output_dir / "train.spacy", "dev": output_dir / "dev.spacy",
             "config": output_dir / "config.cfg"}
    DocBin(docs=train).to_disk(paths["train"])
    DocBin(docs=dev).to_disk(paths["dev"])
    paths["config"].write_text(training_config(data, lang, paths["train"], paths["dev"]),
                               encoding="utf-8")
    return ExportResult(data, len(train), len(dev), paths)
