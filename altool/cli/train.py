"""``altool train`` and ``altool train-curve``: thin commands over :mod:`altool.train.textcat`.

Scores and the curve are printed on stdout (these commands produce no data stream);
progress, conflicts and warnings on stderr.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from ..store.context import open_store, set_db_path

DEFAULT_EVAL_SPLIT = 0.2

if TYPE_CHECKING:  # numpy and the models load on first use: they cost every command start-up
    from ..store.merge import MergeResult
    from ..train.textcat import CurvePoint, EvalSet, Scores, StageProgress

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

TextcatOption = Annotated[
    str, typer.Option("--textcat", help="Text classification dataset(s), comma-separated: "
                      "DS1,DS2. Answers are merged per input.")
]
ModelOption = Annotated[
    str, typer.Option("--model", help="Model to train: sklearn (hashed n-grams, logistic "
                      "regressions averaged with Complement Naive Bayes, as in textcat.teach), "
                      "sklearn-lr (the logistic regressions alone) or spacy (a blank spaCy "
                      "pipeline with textcat).")
]
EvalOption = Annotated[
    str | None, typer.Option("--eval", help="Dataset to evaluate on (its inputs are left out of "
                             "training). Default: split off --eval-split of the answers.",
                             show_default=False)
]
EvalSplitOption = Annotated[
    float | None, typer.Option("--eval-split", help="Share of the inputs held out for "
                               "evaluation (default 0.2), drawn from those annotated in random "
                               "order when there are any.", show_default=False)
]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed (evaluation split, "
                                         "shuffling).")]
MultilabelOption = Annotated[
    bool, typer.Option("--multilabel", help="Labels are not exclusive (default: exclusive "
                       "unless the datasets or answers say otherwise).")
]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="Database file (default: $ALTOOL_HOME/altool.db).",
                              show_default=False)
]


@contextmanager
def stage_bar() -> Iterator[StageProgress]:
    """A Rich progress bar on stderr (when it is a terminal) driven by ``progress(stage, done,
    total)``: one bar per stage, in place; a stage without a total (fitting) pulses."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                  transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("reading the answers", total=None)

        def update(stage: str, done: int, total: int) -> None:
            nonlocal task
            if bar.tasks and bar.tasks[0].description != stage:
                bar.remove_task(task)
                task = bar.add_task(stage, total=total or None)
            bar.update(task, completed=done, refresh=True)  # fitting may hold the GIL

        yield update


def _exclusive(multilabel: bool) -> bool | None:
    return False if multilabel else None


def _split(eval_dataset: str | None, eval_split: float | None) -> float:
    if eval_dataset is not None and eval_split is not None:
        raise typer.BadParameter("give --eval DATASET or --eval-split SHARE, not both",
                                 param_hint="--eval-split")
    return DEFAULT_EVAL_SPLIT if eval_split is None else eval_split


def _warn_about(evalset: EvalSet) -> None:
    for warning in evalset.warnings:
        err_console.print(f"[yellow]Warning:[/] {escape(warning)}.")


def _report_data(merged: MergeResult, evalset: EvalSet) -> None:
    from ..store.merge import describe_conflicts

    err_console.print(
        f"{merged.n_answers:,} answers ({merged.n_ignored:,} ignored"
        + (f", {merged.n_unusable:,} without a label" if merged.n_unusable else "")
        + f") → {len(merged.examples):,} inputs; labels "
        f"({'exclusive' if merged.exclusive else 'multi-label'}): "
        f"{escape(', '.join(merged.labels))}"
    )
    for line in describe_conflicts(merged):
        err_console.print(f"[yellow]{escape(line)}[/]" if not line.startswith("  ")
                          else escape(line))
    err_console.print(f"training on {len(evalset.train):,} inputs; evaluating on "
                      f"{escape(evalset.description)}")
    _warn_about(evalset)


def scores_table(scores: Scores, title: str) -> Table:
    """Per-label precision/recall/F1 and the macro average (over labels with support)."""
    from ..train.textcat import score_cells

    table = Table(title=title, title_justify="left")
    table.add_column("label")
    for col in ("precision", "recall", "F1", "support"):
        table.add_column(col, justify="right")
    for s in scores.labels:
        table.add_row(*score_cells(s))
    table.add_section()
    table.add_row("macro average", f"{scores.macro('precision'):.3f}",
                  f"{scores.macro('recall'):.3f}", f"{scores.macro_f1:.3f}",
                  str(sum(s.support for s in scores.labels)), style="bold")
    notes = [f"accuracy {scores.accuracy:.3f}"] if scores.accuracy is not None else []
    missing = [s.label for s in scores.labels if not s.support]
    if missing:
        notes.append(f"not in the evaluation set (left out of the macro average): "
                     f"{', '.join(missing)}")
    table.caption = "; ".join(notes) or None
    return table


def train_command(
    output_dir: Annotated[Path, typer.Argument(help="Folder to save the model, scores.json "
                                               "and a README in (created if needed).")],
    textcat: Annotated[
        str | None, typer.Option("--textcat", help="Text classification dataset(s) to train "
                                 "on, comma-separated: DS1,DS2. Answers are merged per input.",
                                 show_default=False)
    ] = None,
    ner: Annotated[
        str | None, typer.Option("--ner", help="NER dataset(s) to train a spaCy NER model on, "
                                 "comma-separated (saved in OUTPUT_DIR, or OUTPUT_DIR/ner with "
                                 "--textcat).", show_default=False)
    ] = None,
    model: ModelOption = "sklearn",
    eval_dataset: EvalOption = None,
    eval_split: EvalSplitOption = None,
    seed: SeedOption = 0,
    multilabel: MultilabelOption = False,
    db: DbOption = None,
) -> None:
    """Train a text classifier and/or NER model on merged answers, print the scores, save to
    OUTPUT_DIR."""
    from ..store.merge import split_list
    from ..train.textcat import n_inputs, prepare_output, save_trained, train

    if db is not None:
        set_db_path(db)
    if textcat is None and ner is None:
        raise typer.BadParameter("name the datasets to train on with --textcat and/or --ner",
                                 param_hint="--textcat")
    if textcat is not None and ner is not None and eval_dataset is not None:
        raise typer.BadParameter("--eval can't serve both --textcat and --ner; use "
                                 "--eval-split, or train them one at a time",
                                 param_hint="--eval")
    share = _split(eval_dataset, eval_split)
    prepare_output(output_dir)
    console = Console(highlight=False)
    if textcat is not None:
        with open_store() as store, stage_bar() as progress:
            result = train(store, split_list(textcat, "--textcat"), model_name=model,
                           eval_dataset=eval_dataset, eval_split=share, seed=seed,
                           exclusive=_exclusive(multilabel), on_data=_report_data,
                           progress=progress)
        console.print(scores_table(result.scores, f"{escape(model)} model on "
                                   f"{n_inputs(len(result.evalset.eval), 'evaluation input')}"))
        save_trained(result, output_dir)
        err_console.print(f"[green]✔[/] saved the text classifier to "
                          f"{escape(str(output_dir))} (see its README.md)")
    if ner is not None:
        folder = output_dir / "ner" if textcat is not None else output_dir
        _train_ner(split_list(ner, "--ner"), folder, eval_dataset, share, seed, console)


def _train_ner(datasets: list[str], folder: Path, eval_dataset: str | None, share: float,
               seed: int, console: Console) -> None:
    from ..train.ner import save_ner, train_ner
    from ..train.textcat import n_inputs

    with open_store() as store, err_console.status("training the NER model"):
        result = train_ner(store, datasets, eval_dataset=eval_dataset, eval_split=share,
                           seed=seed)
    err_console.print(f"NER: {result.n_answers:,} answers → {len(result.items):,} inputs; "
                      f"labels: {escape(', '.join(result.labels))}")
    err_console.print(f"NER: training on {len(result.evalset.train):,} inputs; evaluating on "
                      f"{escape(result.evalset.description)}")
    _warn_about(result.evalset)
    console.print(scores_table(result.scores, f"NER model on "
                               f"{n_inputs(len(result.evalset.eval), 'evaluation input')} "
                               "(exact entity matches)"))
    save_ner(result, folder)
    err_console.print(f"[green]✔[/] saved the NER model to {escape(str(folder))} "
                      "(see its README.md)")


def curve_plot(points: list[CurvePoint], width: int = 40) -> Table:
    """One row per training size with a bar for its macro-F1 (a terminal plot). The bars
    start at the lowest score rounded down to a tenth, so small gains stay visible."""
    low = math.floor(min(p.macro_f1 for p in points) * 10) / 10
    span = max(1.0 - low, 1e-9)
    table = Table(title=f"macro-F1 by training size (bars from {low:.1f} to 1.0)",
                  title_justify="left")
    for col in ("share", "inputs", "macro-F1", ""):
        table.add_column(col, justify="right" if col != "" else "left")
    for p in points:
        if p.scores is None:
            table.add_row(f"{p.share:.0%}", f"{p.n_train:,}", "-",
                          Text("too few: no label has both classes", style="dim"))
            continue
        bar = "█" * max(1, round((p.macro_f1 - low) / span * width))
        table.add_row(f"{p.share:.0%}", f"{p.n_train:,}", f"{p.macro_f1:.3f}",
                      Text(bar, style="green"))
    return table


def train_curve_command(
    textcat: TextcatOption,
    model: ModelOption = "sklearn",
    eval_dataset: EvalOption = None,
    eval_split: EvalSplitOption = None,
    seed: SeedOption = 0,
    n_samples: Annotated[int, typer.Option("--n-samples", min=2, help="Training sizes: 4 means "
                                           "25%, 50%, 75% and 100%.")] = 4,
    multilabel: MultilabelOption = False,
    db: DbOption = None,
) -> None:
    """Train on growing shares of the answers to see whether more annotation still helps."""
    from ..store.merge import split_list
    from ..train.textcat import curve_verdict, train_curve

    if db is not None:
        set_db_path(db)
    datasets = split_list(textcat, "--textcat")
    with open_store() as store, stage_bar() as progress:
        points = train_curve(
            store, datasets, model_name=model, eval_dataset=eval_dataset,
            eval_split=_split(eval_dataset, eval_split), seed=seed, n_samples=n_samples,
            exclusive=_exclusive(multilabel), on_data=_report_data, progress=progress,
        )
    console = Console(highlight=False)
    console.print(curve_plot(points))
    console.print(curve_verdict(points))
