"""Built-in ``review`` recipe: resolve answers that conflict across datasets or sessions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from ..errors import AltoolError
from ..safe import safe
from ..store import check_name
from ..store.context import open_store
from ..store.review import find_conflicts
from .registry import recipe


@recipe("review")
def review(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the resolved answers to.")],
    from_: Annotated[
        str, typer.Option("--from", help="Datasets to compare, comma-separated: DS1,DS2 (one "
                          "dataset compares its sessions).")
    ],
    checks: Annotated[
        bool, typer.Option("--checks", help="Also compare each recheck (--recheck) with the "
                           "answer it repeated.")
    ] = False,
    suspects: Annotated[
        bool, typer.Option("--suspects", help="Review the likely label errors instead (as "
                           "altool suspects ranks them): keep the label or take the model's.")
    ] = False,
    model: Annotated[str, typer.Option(help="With --suspects: the model to cross-validate "
                                       "(as altool suspects).")] = "sklearn",
) -> dict[str, Any]:
    """Resolve inputs answered differently across datasets or sessions, side by side."""
    datasets = [d.strip() for d in from_.split(",") if d.strip()]
    if not datasets:
        raise AltoolError("--from needs at least one dataset, e.g. --from news_ann1,news_ann2")
    if dataset in datasets:
        raise AltoolError(f"store the resolved answers in a new dataset, not in {dataset!r} "
                          "which is being reviewed")
    with open_store(create=False) as store:
        tasks = (_suspect_tasks(store, datasets, model) if suspects
                 else find_conflicts(store, datasets, checks=checks))
        resolved = store.input_hashes([dataset])
    check_name(dataset, "dataset")
    todo = sum(task["_input_hash"] not in resolved for task in tasks)
    Console(stderr=True, highlight=False).print(
        f"{len(tasks):,} {'likely label errors' if suspects else 'conflicting inputs'} in "
        f"{safe(', '.join(datasets))}; {todo:,} to resolve"
    )
    return {
        "dataset": dataset,
        "stream": tasks,
        "view": "review",
        "config": {"exclude_by": "input", "title": f"review · {dataset} · {from_}"},
    }


def _suspect_tasks(store, datasets: list[str], model: str) -> list[dict[str, Any]]:
    """Review tasks for the suspects of ``datasets`` (cross-validated, as ``altool suspects``)."""
    from ..models.registry import resolve_model
    from ..train.suspects import find_suspects, suspect_tasks

    suspects, merged, _checked = find_suspects(store, datasets, model=resolve_model(model)[0])
    return suspect_tasks(suspects, merged.labels)
