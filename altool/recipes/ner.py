"""``ner.teach``: accept or reject one suggested entity at a time, a spaCy NER model in the
loop (:mod:`altool.loop.ner`), trained in a background process on every batch of answers."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import typer

from ..io.spans import blank_nlp
from ..models.patterns import read_patterns
from ..store.context import db_path
from .manual import open_source
from .ner_manual import DatasetArgument, EntityLabelOption, entity_labels
from .options import (
    AddLabelsOption,
    BatchSizeOption,
    BudgetOption,
    ExcludeOption,
    HtmlOption,
    LoaderOption,
    RecheckOption,
    SourceArgument,
    TextFieldOption,
    split_names,
)
from .registry import recipe


@recipe("ner.teach")
def ner_teach(
    dataset: DatasetArgument,
    source: SourceArgument,
    label: EntityLabelOption,
    patterns: Annotated[
        str | None, typer.Option(help="JSONL file of spaCy match patterns whose matches are "
                                 "suggested too (the cold start); a pattern mostly rejected "
                                 "stops being shown.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the blank spaCy pipeline.")] = "en",
    batch_size: BatchSizeOption = 10,
    budget: BudgetOption = None,
    recheck: RecheckOption = 0.0,
    exclude: ExcludeOption = "",
    loader: LoaderOption = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    add_labels: AddLabelsOption = False,
    text_field: TextFieldOption = None,
    html_to_text: HtmlOption = False,
) -> dict[str, Any]:
    """Accept or reject entities suggested by a spaCy NER model that learns as you answer."""
    from ..loop.config import TeachConfig
    from ..loop.process import WorkerProcess
    from ..loop.queue import TaskQueue

    labels = entity_labels(label)
    blank_nlp(lang)  # fail early on an unknown language
    if patterns:
        read_patterns(patterns)  # fail early, with the bad line, before the UI starts
    config = TeachConfig(
        db_path=db_path(), dataset=dataset, source=source, labels=tuple(labels), view="ner",
        task="ner", model="spacy-ner", multilabel=True, batch_size=batch_size,
        exclude=tuple(split_names(exclude)), seed=seed, save_model=True,
        lang=lang, patterns=patterns, budget=budget, recheck=recheck,
    )
    name = open_source(dataset, source, loader, labels, add_labels, text_field=text_field,
                       html=html_to_text, exclude=config.exclude)
    config = replace(config, source=name)
    queue = TaskQueue()
    worker = WorkerProcess(config, queue)
    worker.start()

    return {
        "dataset": dataset,
        "stream": queue,
        "view": "ner",
        "update": lambda answers: worker.notify(len(answers)),
        "on_exit": lambda ctx: worker.stop(),
        "status": worker.status_fields,
        "exclude": list(config.exclude),
        "config": config.components_config(f"ner.teach · {dataset} · {name}"),
    }
