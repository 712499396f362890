"""``textcat.correct``: a trained model's prediction comes preselected; confirm or change it.

The stream yields :class:`~altool.loop.queue.Question` objects whose ``predicted`` labels are
the model's: the choice view marks them (◆) and ``a`` accepts them, as in ``textcat.teach``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import AltoolError
from ..io.hashing import set_hashes
from ..loop.queue import Question
from ..store.ingest import stored_examples
from .manual import open_source
from .options import (
    ExcludeOption,
    HtmlOption,
    LoaderOption,
    SourceArgument,
    TextFieldOption,
    split_labels,
    split_names,
)
from .registry import recipe

if TYPE_CHECKING:  # the model code (and numpy) loads when the recipe runs, not with every command
    from ..models.base import TextModel

BATCH = 64  # texts scored per model call


def predicted_tasks(
    model: TextModel, examples: Iterable[dict[str, Any]], labels: Sequence[str],
    batch: int = BATCH,
) -> Iterator[Question]:
    """Choice questions whose ``predicted`` labels (the model's) the UI preselects, with the
    top probability in ``meta.score`` (and ``meta.pick = "in-order"``: no model chose them);
    scored lazily, ``batch`` texts at a time."""
    chunk: list[dict[str, Any]] = []
    for eg in examples:
        chunk.append(eg)
        if len(chunk) >= batch:
            yield from _score(model, chunk, labels)
            chunk = []
    if chunk:
        yield from _score(model, chunk, labels)


def _score(model: TextModel, chunk: list[dict[str, Any]],
           labels: Sequence[str]) -> Iterator[Question]:
    from ..loop.learner import options_for
    from ..store.merge import IN_ORDER_PICK
    from ..train.textcat import predictions

    P = model.predict_proba(model.featurize([eg["text"] for eg in chunk]))
    chosen = predictions(P, model.exclusive)
    for eg, probs, picked in zip(chunk, P, chosen, strict=True):
        task = {k: v for k, v in eg.items()
                if k not in ("_task_hash", "label", "answer", "accept")}
        task["options"] = options_for(labels)
        task["meta"] = {**(eg.get("meta") or {}), "score": round(float(probs.max()), 4),
                        "pick": IN_ORDER_PICK}  # asked in source order: no model chose it
        guess = [label for label in labels if picked[model.labels.index(label)]]
        yield Question(set_hashes(task), predicted=guess)


@recipe("textcat.correct")
def textcat_correct(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: SourceArgument,
    model: Annotated[
        str, typer.Option("--model", help="A model saved by altool train (its folder or "
                          "model.joblib) or by textcat.teach.")
    ],
    label: Annotated[
        str | None, typer.Option("--label", "-l", help="Labels in the order to show them, "
                                 "comma-separated (default: the model's labels).")
    ] = None,
    loader: LoaderOption = None,
    exclude: ExcludeOption = "",
    text_field: TextFieldOption = None,
    html_to_text: HtmlOption = False,
) -> dict[str, Any]:
    """Check a trained model's labels, in source order: a confirms, digits change them."""
    path = Path(model)
    if not path.exists():
        raise AltoolError(f"{model}: no such model; give the folder written by altool train "
                          "or a saved model file")
    from ..models.saving import load_model

    trained = load_model(path)
    labels = split_labels(label) if label else list(trained.labels)
    if set(labels) != set(trained.labels):
        raise AltoolError(f"--label {','.join(labels)} differs from the model's labels "
                          f"({','.join(trained.labels)}); leave --label out to use those")
    multilabel = not trained.exclusive
    excluded = split_names(exclude)
    name = open_source(dataset, source, loader, labels, text_field=text_field,
                       html=html_to_text, exclude=excluded)
    return {
        "dataset": dataset,
        "stream": predicted_tasks(trained, stored_examples(name), labels),
        "view": "choice",
        "exclude": excluded,
        "config": {"labels": labels, "multilabel": multilabel, "exclude_by": "input",
                   "title": f"textcat.correct · {dataset} · {name}"},
    }
