"""Built-in text classification recipes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import AltoolError
from ..loop.queue import TaskQueue
from ..paths import model_state_path
from ..store.context import db_path, open_store
from ..store.ingest import ensure_source
from . import recipe
from .options import (
    BUILTIN_STRATEGY_NAMES,
    DEFAULT_STRATEGY_NAME,
    CommitteeSizeOption,
    LikeOption,
    MixOption,
    QbcMeasureOption,
    check_model_support,
    strategy_settings,
)

BatchSizeOption = Annotated[
    int, typer.Option("--batch-size", min=1, help="Answers per model update.")
]
ExcludeOption = Annotated[
    str, typer.Option(help="Comma-separated datasets whose questions are not asked again.")
]


def split_labels(value: str) -> list[str]:
    labels = [part.strip() for part in value.split(",") if part.strip()]
    if not labels:
        raise AltoolError("--label needs at least one label, e.g. --label spam or --label A,B,C")
    if len(set(labels)) != len(labels):
        raise AltoolError(f"--label lists a label twice: {value}")
    return labels


def check_model(model: str) -> None:
    """Fail before the session starts on an unknown model, a missing ``embed`` install or a
    spaCy pipeline that isn't there."""
    from ..models import MODELS, split_model_name

    kind, base = split_model_name(model)
    if kind not in MODELS and not Path(model).exists():
        raise AltoolError(f"unknown model {model!r}; use {', '.join(MODELS)}, "
                          "spacy:PIPELINE_NAME_OR_PATH or the path of a saved model")
    if kind == "spacy" and base is not None:
        from ..models.spacy_pipeline import check_pipeline

        check_pipeline(base)
    if model == "embed":
        from ..models.encoder import require_embed

        require_embed()


@recipe("textcat.teach")
def textcat_teach(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: Annotated[
        str,
        typer.Argument(help="A stored source name, or a JSONL/CSV/TXT file, or - for stdin."),
    ],
    label: Annotated[
        str, typer.Option("--label", "-l", help="Label(s), comma-separated: spam or A,B,C.")
    ],
    model: Annotated[
        str, typer.Option(help="Model in the loop: sklearn, sklearn-lr (without the Naive "
                          "Bayes blend), embed (sentence embeddings; "
                          "needs altool[embed]), spacy (a blank spaCy pipeline with a text "
                          "classifier), spacy:NAME_OR_PATH (start from an installed spaCy "
                          "pipeline), or the path of a saved model.")
    ] = "sklearn",
    lang: Annotated[
        str | None, typer.Option(help="Language of the blank pipeline of --model spacy "
                                 "(default en).")
    ] = None,
    strategy: Annotated[
        str, typer.Option(help=f"Query strategy: {', '.join(BUILTIN_STRATEGY_NAMES)} (default: "
                          f"{DEFAULT_STRATEGY_NAME}; see README, Which strategy?).")
    ] = "default",
    committee_size: CommitteeSizeOption = 5,
    qbc_measure: QbcMeasureOption = "vote",
    like: LikeOption = None,
    mix: MixOption = None,
    batch_size: BatchSizeOption = 10,
    exclude: ExcludeOption = "",
    multilabel: Annotated[
        bool, typer.Option("--multilabel", help="Labels are not exclusive (toggle with digits).")
    ] = False,
    view: Annotated[
        str | None,
        typer.Option(help="binary (one label at a time) or choice. Default: binary for one "
                     "label, choice for several."),
    ] = None,
    loader: Annotated[
        str | None, typer.Option(help="Format of a SOURCE file: jsonl, csv or txt.")
    ] = None,
    pool_size: Annotated[
        int, typer.Option("--pool-size", min=100, help="Examples scored per queue refresh.")
    ] = 20_000,
    seed: Annotated[int | None, typer.Option(help="Random seed (cold start, ties).")] = None,
) -> dict[str, Any]:
    """Label texts with a model in the loop that asks about what it is least sure of."""
    # here, not at the top: they load numpy, which every other command would pay for
    from ..loop.process import WorkerConfig, WorkerProcess
    from ..strategies import get_strategy

    labels = split_labels(label)
    view = view or ("binary" if len(labels) == 1 else "choice")
    if view not in ("binary", "choice"):
        raise AltoolError(f"--view must be binary or choice, got {view!r}")
    exclusive = not multilabel
    get_strategy(strategy)  # fail early on an unknown name
    chosen = strategy_settings(committee_size, qbc_measure, like, mix)
    check_model_support(strategy, model, bool(chosen.like))
    if lang is not None:
        if model != "spacy":
            raise AltoolError("--lang only applies to --model spacy")
        model = f"spacy:blank:{lang}"
    check_model(model)
    excluded = [d.strip() for d in exclude.split(",") if d.strip()]

    with open_store() as store:
        source_name = ensure_source(store, source, loader)
        store.ensure_dataset(dataset, {"recipe": "textcat.teach", "labels": labels, "view": view,
                                       "multilabel": multilabel})

    queue = TaskQueue()
    worker = WorkerProcess(
        WorkerConfig(
            db_path=db_path(), dataset=dataset, source=source_name, labels=labels, view=view,
            exclusive=exclusive, model=model, strategy=strategy, batch_size=batch_size,
            exclude=excluded, pool_size=pool_size, seed=seed,
            model_path=model_state_path(dataset),
            committee_size=committee_size, qbc_measure=qbc_measure,
            random_share=chosen.random_share, like=chosen.like,
        ),
        queue,
    )
    worker.start()

    def status() -> dict[str, Any]:
        s = worker.status
        return {
            "model_state": s.state,
            "model_version": s.model_version,
            "trained_on": s.trained_on,
            "warning": s.warning,
            "progress": s.progress,
            "can_stop": s.can_stop,
            "stop_agreement": s.stop_agreement,
            "skipped": s.skipped,
            "seen": s.seen,
            "audit_accuracy": s.audit_accuracy,
            "audit_n": s.audit_n,
        }

    return {
        "dataset": dataset,
        "stream": queue,
        "view": view,
        "update": lambda answers: worker.notify(len(answers)),
        "on_exit": lambda ctx: worker.stop(),
        "status": status,
        "exclude": excluded,
        "config": {"labels": labels, "batch_size": batch_size, "multilabel": multilabel,
                   "title": f"textcat.teach · {dataset} · {source_name}"},
    }
