"""Multi-label classification with answer checks, a progress figure and annotator metadata.

    altool -F recipes/validated.py textcat.checked tickets tickets.jsonl \
        --label billing,bug,feature,other --max-labels 2 --annotator alice

- ``validate_answer`` refuses an accept with more than ``--max-labels`` labels, or with
  ``other`` combined with another label: the message shows on the footer line and nothing is
  stored until the answer is fixed (toggle the labels again with the digits).
- ``progress`` shows how much of the file is done in the status line.
- ``before_db`` records who answered in ``meta.annotator`` just before each answer is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

import altool

CATCH_ALL = "other"


def check_labels(eg: dict[str, Any], max_labels: int) -> None:
    """Raise ValueError for an answer that breaks the labelling rules."""
    accepted = eg.get("accept", [])
    if len(accepted) > max_labels:
        raise ValueError(f"at most {max_labels} labels per text ({len(accepted)} selected)")
    if CATCH_ALL in accepted and len(accepted) > 1:
        raise ValueError(f"'{CATCH_ALL}' can't be combined with another label")


@altool.recipe("textcat.checked")
def textcat_checked(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: Annotated[str, typer.Argument(help="JSONL/CSV/TXT file, or - for stdin.")],
    label: Annotated[str, typer.Option("--label", "-l", help="Labels, comma-separated.")],
    max_labels: Annotated[int, typer.Option(min=1, help="Most labels per text.")] = 2,
    annotator: Annotated[str, typer.Option(help="Your name, stored in meta.annotator.")] = "",
) -> dict[str, Any]:
    """Multi-label choice with rules checked before an answer is stored."""
    labels = [x.strip() for x in label.split(",") if x.strip()]
    options = [{"id": x, "text": x} for x in labels]
    tasks = list(altool.dedup({**eg, "options": options} for eg in altool.get_stream(source)))
    with altool.open_store() as store:
        done_before = len(store.input_hashes([dataset]) & {t["_input_hash"] for t in tasks})

    def progress(session) -> float | None:
        return (done_before + session.count) / len(tasks) if tasks else None

    def before_db(examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for eg in examples:
            eg["meta"] = {**eg.get("meta", {}), "annotator": annotator or "unknown"}
        return examples

    return {
        "dataset": dataset,
        "stream": tasks,
        "view": "choice",
        "validate_answer": lambda eg: check_labels(eg, max_labels),
        "progress": progress,
        "before_db": before_db,
        "config": {"labels": labels, "multilabel": True, "exclude_by": "input"},
    }
