"""Your own scikit-learn pipeline in the loop: TF-IDF + logistic regression, refitted from
the answers, asking next about the text it is least sure of.

    altool -F recipes/sklearn_loop.py textcat.sklearn spam_ds sms.jsonl --label spam

``update`` receives every batch of answers (``--batch-size``, default 5) and refits the
pipeline on all answers so far once there is an accept and a reject. The stream is a generator,
so each next question is picked with the latest model: the highest uncertainty
(``altool.strategies.margin_scores``) among the texts not asked yet; before the first fit, file
order. The model's probability is shown as "model score".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import numpy as np
import typer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

import altool


class Loop:
    """The pipeline, the answers it learns from, and the texts still to ask about."""

    def __init__(self, tasks: list[dict[str, Any]], label: str) -> None:
        self.pool = tasks
        self.label = label
        self.texts: list[str] = []
        self.targets: list[int] = []
        self.model: Pipeline | None = None
        self.fits = 0

    def update(self, answers: list[dict[str, Any]]) -> None:
        for eg in answers:
            if eg["answer"] != "ignore":
                self.texts.append(eg["text"])
                self.targets.append(int(eg["answer"] == "accept"))
        if len(set(self.targets)) == 2:
            self.model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                                       LogisticRegression(class_weight="balanced"))
            self.model.fit(self.texts, self.targets)
            self.fits += 1

    def stream(self) -> Iterator[dict[str, Any]]:
        while self.pool:
            index = 0
            if self.model is not None:
                probs = self.model.predict_proba([t["text"] for t in self.pool])[:, 1:]
                index = int(np.argmax(altool.strategies.margin_scores(probs)))
                self.pool[index]["meta"] = {**self.pool[index].get("meta", {}),
                                            "score": round(float(probs[index, 0]), 3)}
            yield self.pool.pop(index)


@altool.recipe("textcat.sklearn")
def textcat_sklearn(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: Annotated[str, typer.Argument(help="JSONL/CSV/TXT file, or - for stdin.")],
    label: Annotated[str, typer.Option("--label", "-l", help="The label to ask about.")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1,
                                            help="Answers per refit.")] = 5,
) -> dict[str, Any]:
    """Binary questions picked by a TF-IDF + logistic regression pipeline you can edit."""
    tasks = [{**eg, "label": label} for eg in altool.get_stream(source)]
    tasks = list(altool.exclude(altool.dedup(tasks), [dataset], by="input"))
    loop = Loop(tasks, label)
    with altool.open_store() as store:  # learn from earlier sessions' answers first
        if store.has_dataset(dataset):
            loop.update(list(store.iter_answers(dataset)))
    return {
        "dataset": dataset,
        "stream": loop.stream(),
        "view": "binary",
        "update": loop.update,
        "config": {"labels": [label], "batch_size": batch_size},
    }
