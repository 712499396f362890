"""Built-in recipes without a model: ``textcat.manual`` and ``mark``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any

import typer

from ..errors import AltoolError
from ..io.hashing import set_hashes
from ..store import check_name
from ..store.context import open_store
from ..store.ingest import ensure_source, stored_examples
from .options import (
    AddLabelsOption,
    ExcludeOption,
    HtmlOption,
    LabelOption,
    LoaderOption,
    RecheckOption,
    SourceArgument,
    TextFieldOption,
    split_labels,
    split_names,
)
from .registry import recipe


def with_fields(examples: Iterable[dict[str, Any]], **fields: Any) -> Iterator[dict[str, Any]]:
    """Each example as a task with ``fields`` set and its task hash computed afresh."""
    for eg in examples:
        task = {k: v for k, v in eg.items() if k != "_task_hash"}
        task.update(fields)
        yield set_hashes(task)


def open_source(dataset: str, source: str, loader: str | None,
                labels: list[str] | None = None, add_labels: bool = False, *,
                text_field: str | None = None, html: bool = False,
                exclude: Sequence[str] = ()) -> str:
    """Store SOURCE if it is a file (read with ``loader``, ``text_field`` and ``html``; errors
    surface before the UI starts), check DATASET's name and label set, and that the datasets
    to ``exclude`` exist. The dataset itself is made by the session's first answer, so a
    session that never gets that far leaves nothing behind."""
    check_name(dataset, "dataset")
    with open_store() as store:
        check_exclude(store, exclude)
        if labels:
            store.check_label_set(dataset, labels, add_labels=add_labels)
        return ensure_source(store, source, loader, text_field=text_field, html=html)


def check_exclude(store, names: Sequence[str]) -> None:
    """``--exclude``: every name must be a dataset or a named session (``DATASET-NAME``): a
    typo would exclude nothing, silently."""
    missing = store.unknown_names(names)
    if missing:
        known = store.dataset_names()
        raise AltoolError(f"--exclude names no dataset or session {', '.join(map(repr, missing))}"
                          f" (datasets: {', '.join(known) or 'none yet'}; `altool stats DATASET`"
                          " lists a dataset's sessions); check the spelling")


@recipe("textcat.manual")
def textcat_manual(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: SourceArgument,
    label: LabelOption,
    multilabel: Annotated[
        bool, typer.Option("--multilabel", help="Labels are not exclusive (toggle with digits).")
    ] = False,
    loader: LoaderOption = None,
    add_labels: AddLabelsOption = False,
    exclude: ExcludeOption = "",
    text_field: TextFieldOption = None,
    html_to_text: HtmlOption = False,
    recheck: RecheckOption = 0.0,
) -> dict[str, Any]:
    """Label texts by hand, in source order, without a model (resumes where you stopped)."""
    labels = split_labels(label)
    view = "binary" if len(labels) == 1 else "choice"
    excluded = split_names(exclude)
    name = open_source(dataset, source, loader, labels, add_labels, text_field=text_field,
                       html=html_to_text, exclude=excluded)
    if view == "binary":
        stream = with_fields(stored_examples(name), label=labels[0])
    else:
        from ..loop.learner import options_for  # here, not at the top: the learner loads numpy

        stream = with_fields(stored_examples(name), options=options_for(labels))
    return {
        "dataset": dataset,
        "stream": stream,
        "view": view,
        "exclude": excluded,
        "config": {"labels": labels, "multilabel": multilabel, "exclude_by": "input",
                   "title": f"textcat.manual · {dataset} · {name}", "recheck": recheck},
    }


@recipe("mark")
def mark(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: SourceArgument,
    view: Annotated[
        str, typer.Option(help="text (accept/reject the task) or binary (does its label "
                          "apply?).")
    ] = "text",
    # not named ``label``: altool.json's "labels" (a label set) must not become one label
    set_label: Annotated[
        str | None, typer.Option("--label", "-l", help="Set this label on every task.")
    ] = None,
    loader: LoaderOption = None,
    exclude: ExcludeOption = "",
    text_field: TextFieldOption = None,
    html_to_text: HtmlOption = False,
) -> dict[str, Any]:
    """Show tasks as they are (text, label, meta) and record accept / reject / ignore."""
    if view not in ("text", "binary"):
        raise AltoolError(f"--view must be text or binary, got {view!r}")
    excluded = split_names(exclude)
    name = open_source(dataset, source, loader, text_field=text_field, html=html_to_text,
                       exclude=excluded)
    fields = {"label": set_label} if set_label else {}
    return {
        "dataset": dataset,
        "stream": with_fields(stored_examples(name), **fields),
        "view": view,
        "exclude": excluded,
        "config": {"title": f"mark · {dataset} · {name}"},
    }
