"""``textcat.teach``: label texts with a model in the loop that asks about what it is least
sure of. The recipe parses its options into one :class:`~altool.loop.config.TeachConfig`,
starts the worker process with it, and returns the session's components."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import AltoolError
from ..store.context import db_path
from .manual import open_source
from .options import (
    MODEL_HELP,
    AddLabelsOption,
    BatchSizeOption,
    BudgetOption,
    CommitteeSizeOption,
    ExcludeOption,
    HtmlOption,
    LabelOption,
    LikeOption,
    LoaderOption,
    MixOption,
    QbcMeasureOption,
    RecheckOption,
    SourceArgument,
    StrategyOption,
    TextFieldOption,
    split_labels,
    split_names,
)
from .registry import recipe


def check_model(model: str) -> None:
    """Fail before the session starts on an unknown model, a missing ``embed`` install or a
    spaCy pipeline that isn't there."""
    from ..models.registry import MODELS, split_model_name

    kind, base = split_model_name(model)
    if kind not in MODELS and not Path(model).exists():
        raise AltoolError(f"unknown model {model!r}; use {', '.join(MODELS)}, "
                          "spacy:PIPELINE_NAME_OR_PATH or the path of a saved model")
    if kind == "spacy" and base is not None:
        from ..models.spacy_pipeline import check_pipeline

        check_pipeline(base)
    if MODELS.get(kind) is not None and MODELS[kind].extra == "embed":
        from ..models.encoder import require_embed

        require_embed(base)


@recipe("textcat.teach")
def textcat_teach(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: SourceArgument,
    label: LabelOption,
    model: Annotated[str, typer.Option(help=MODEL_HELP)] = "auto",
    lang: Annotated[
        str | None, typer.Option(help="Language of the blank pipeline of --model spacy "
                                 "(default en).")
    ] = None,
    strategy: StrategyOption = "default",
    committee_size: CommitteeSizeOption = 5,
    qbc_measure: QbcMeasureOption = "vote",
    like: LikeOption = None,
    mix: MixOption = None,
    batch_size: BatchSizeOption = 10,
    budget: BudgetOption = None,
    recheck: RecheckOption = 0.0,
    exclude: ExcludeOption = "",
    multilabel: Annotated[
        bool, typer.Option("--multilabel", help="Labels are not exclusive (toggle with digits).")
    ] = False,
    view: Annotated[
        str | None,
        typer.Option(help="binary (one label at a time) or choice. Default: binary for one "
                     "label, choice for several."),
    ] = None,
    loader: LoaderOption = None,
    pool_size: Annotated[
        int, typer.Option("--pool-size", min=100, help="Examples scored per queue refresh. "
                          "With --cluster, the cluster's pool (e.g. 1000000); this process "
                          "then scores at most 20,000.")
    ] = 20_000,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Featurise and score the pool (--pool-size "
                                 "rows) on the Dask cluster whose scheduler is at this address "
                                 "(tcp://HOST:8786); needs the cluster extra. Questions come "
                                 "from a local pool until it is ready, and again if the "
                                 "cluster goes away.", show_default=False)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (cold start, ties).")] = None,
    add_labels: AddLabelsOption = False,
    text_field: TextFieldOption = None,
    html_to_text: HtmlOption = False,
) -> dict[str, Any]:
    """Label texts with a model in the loop that asks about what it is least sure of."""
    # here, not at the top: they load numpy, which every other command would pay for
    from ..loop.config import DEFAULT_POOL_SIZE, TeachConfig
    from ..loop.process import WorkerProcess
    from ..loop.queue import TaskQueue
    from ..models.registry import resolve_model
    from ..strategies.options import strategy_settings

    labels = split_labels(label)
    if lang is not None:
        if model != "spacy":
            raise AltoolError("--lang only applies to --model spacy")
        model = f"spacy:blank:{lang}"
    model, model_note = resolve_model(model)
    check_model(model)
    notes = [model_note] if model_note else []
    if cluster and pool_size <= DEFAULT_POOL_SIZE:  # e.g. "cluster" in altool.json for encode
        notes.append(f"--cluster scores pools larger than {DEFAULT_POOL_SIZE:,} rows; with "
                     f"--pool-size {pool_size:,} this session scored its pool here (give "
                     "--pool-size 1000000, say, to use the cluster)")
        cluster = None
    if cluster:
        from ..loop.cluster import check_cluster

        check_cluster(cluster)
    config = TeachConfig(
        db_path=db_path(), dataset=dataset, source=source, labels=tuple(labels),
        view=view or ("binary" if len(labels) == 1 else "choice"), multilabel=multilabel,
        model=model, strategy=strategy,
        settings=strategy_settings(committee_size, qbc_measure, like, mix),
        batch_size=batch_size, exclude=tuple(split_names(exclude)), pool_size=pool_size,
        seed=seed, save_model=True, budget=budget, recheck=recheck, cluster=cluster,
    )
    source_name = open_source(dataset, source, loader, labels, add_labels,
                              text_field=text_field, html=html_to_text,
                              exclude=config.exclude)
    config = replace(config, source=source_name)

    queue = TaskQueue()
    worker = WorkerProcess(config, queue)
    worker.start()

    return {
        "dataset": dataset,
        "stream": queue,
        "view": config.view,
        "update": lambda answers: worker.notify(len(answers)),
        "on_exit": lambda ctx: worker.stop(),
        "status": worker.status_fields,
        "exclude": list(config.exclude),
        "config": config.components_config(f"textcat.teach · {dataset} · {source_name}"),
        "notes": notes,
    }
