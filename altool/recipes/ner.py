"""``ner.teach``: accept or reject one suggested entity at a time, a spaCy NER model in the
loop (:mod:`altool.loop.ner`), trained in a background process on every batch of answers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..io.spans import blank_nlp
from ..loop.queue import TaskQueue
from ..models.patterns import read_patterns
from ..paths import model_state_path
from ..store.context import db_path
from . import recipe
from .manual import LoaderOption, SourceArgument, open_source
from .ner_manual import DatasetArgument, LabelOption, entity_labels
from .textcat import BatchSizeOption, ExcludeOption


@recipe("ner.teach")
def ner_teach(
    dataset: DatasetArgument,
    source: SourceArgument,
    label: LabelOption,
    patterns: Annotated[
        str | None, typer.Option(help="JSONL file of spaCy match patterns whose matches are "
                                 "suggested too (the cold start); a pattern mostly rejected "
                                 "stops being shown.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the blank spaCy pipeline.")] = "en",
    batch_size: BatchSizeOption = 10,
    exclude: ExcludeOption = "",
    loader: LoaderOption = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
) -> dict[str, Any]:
    """Accept or reject entities suggested by a spaCy NER model that learns as you answer."""
    from ..loop.ner import NerWorkerConfig
    from ..loop.process import WorkerProcess

    labels = entity_labels(label)
    blank_nlp(lang)  # fail early on an unknown language
    if patterns:
        read_patterns(patterns)  # fail early, with the bad line, before the UI starts
    excluded = [d.strip() for d in exclude.split(",") if d.strip()]
    name = open_source(dataset, source, loader, {"recipe": "ner.teach", "labels": labels})
    queue = TaskQueue()
    worker = WorkerProcess(
        NerWorkerConfig(
            db_path=db_path(), dataset=dataset, source=name, labels=labels, view="ner",
            exclusive=False, model="spacy-ner", batch_size=batch_size, exclude=excluded,
            seed=seed, model_path=model_state_path(dataset), lang=lang, patterns=patterns,
        ),
        queue,
    )
    worker.start()

    def status() -> dict[str, Any]:
        s = worker.status
        return {"model_state": s.state, "model_version": s.model_version,
                "trained_on": s.trained_on, "warning": s.warning, "progress": s.progress}

    return {
        "dataset": dataset,
        "stream": queue,
        "view": "ner",
        "update": lambda answers: worker.notify(len(answers)),
        "on_exit": lambda ctx: worker.stop(),
        "status": status,
        "exclude": excluded,
        "config": {"labels": labels, "batch_size": batch_size,
                   "title": f"ner.teach · {dataset} · {name}"},
    }
