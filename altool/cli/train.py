"""``altool train``, ``altool train-curve`` and ``altool data-to-spacy``: thin commands over
:mod:`altool.train`.

Scores and the curve are printed on stdout (these commands produce no data stream);
progress, conflicts and warnings on stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ..safe import safe
from ..store.context import open_store
from ..ui.progress import stage_bar
from .common import DbOption, out_console, use_db

DEFAULT_EVAL_SPLIT = 0.2

if TYPE_CHECKING:  # numpy and the models load on first use: they cost every command start-up
    from ..store.merge import MergeResult
    from ..train.textcat import EvalSet

err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # one line per message

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
def _exclusive(multilabel: bool) -> bool | None:
    return False if multilabel else None


def _split(eval_dataset: str | None, eval_split: float | None) -> float:
    if eval_dataset is not None and eval_split is not None:
        raise typer.BadParameter("give --eval DATASET or --eval-split SHARE, not both",
                                 param_hint="--eval-split")
    return DEFAULT_EVAL_SPLIT if eval_split is None else eval_split


def _warn_about(evalset: EvalSet) -> None:
    for warning in evalset.warnings:
        err_console.print(f"[yellow]Warning:[/] {safe(warning)}.")


def _report_data(merged: MergeResult, evalset: EvalSet) -> None:
    from ..store.merge import describe_conflicts

    err_console.print(
        f"{merged.n_answers:,} answers ({merged.n_ignored:,} ignored"
        + (f", {merged.n_unusable:,} without a label" if merged.n_unusable else "")
        + f") → {len(merged.examples):,} inputs; labels "
        f"({'exclusive' if merged.exclusive else 'multi-label'}): "
        f"{safe(', '.join(merged.labels))}"
    )
    for line in describe_conflicts(merged):
        err_console.print(f"[yellow]{safe(line)}[/]" if not line.startswith("  ")
                          else safe(line))
    err_console.print(f"training on {len(evalset.train):,} inputs; evaluating on "
                      f"{safe(evalset.description)}")
    _warn_about(evalset)


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
    from ..train.report import scores_table
    from ..train.textcat import n_inputs, prepare_output, save_trained, train

    use_db(db)
    if textcat is None and ner is None:
        raise typer.BadParameter("name the datasets to train on with --textcat and/or --ner",
                                 param_hint="--textcat")
    if textcat is not None and ner is not None and eval_dataset is not None:
        raise typer.BadParameter("--eval can't serve both --textcat and --ner; use "
                                 "--eval-split, or train them one at a time",
                                 param_hint="--eval")
    share = _split(eval_dataset, eval_split)
    prepare_output(output_dir)
    console = out_console()
    if textcat is not None:
        with open_store(create=False) as store, stage_bar(err_console) as progress:
            result = train(store, split_list(textcat, "--textcat"), model_name=model,
                           eval_dataset=eval_dataset, eval_split=share, seed=seed,
                           exclusive=_exclusive(multilabel), on_data=_report_data,
                           progress=progress)
        console.print(scores_table(result.scores, f"{safe(model)} model on "
                                   f"{n_inputs(len(result.evalset.eval), 'evaluation input')}"))
        save_trained(result, output_dir)
        err_console.print(f"[green]✔[/] saved the text classifier to "
                          f"{safe(str(output_dir))} (see its README.md)")
    if ner is not None:
        folder = output_dir / "ner" if textcat is not None else output_dir
        _train_ner(split_list(ner, "--ner"), folder, eval_dataset, share, seed, console)


def _train_ner(datasets: list[str], folder: Path, eval_dataset: str | None, share: float,
               seed: int, console: Console) -> None:
    from ..train.ner import save_ner, train_ner
    from ..train.report import scores_table
    from ..train.textcat import n_inputs

    with open_store(create=False) as store, err_console.status("training the NER model"):
        result = train_ner(store, datasets, eval_dataset=eval_dataset, eval_split=share,
                           seed=seed)
    err_console.print(f"NER: {result.n_answers:,} answers → {len(result.items):,} inputs; "
                      f"labels: {safe(', '.join(result.labels))}")
    err_console.print(f"NER: training on {len(result.evalset.train):,} inputs; evaluating on "
                      f"{safe(result.evalset.description)}")
    _warn_about(result.evalset)
    console.print(scores_table(result.scores, f"NER model on "
                               f"{n_inputs(len(result.evalset.eval), 'evaluation input')} "
                               "(exact entity matches)"))
    save_ner(result, folder)
    err_console.print(f"[green]✔[/] saved the NER model to {safe(str(folder))} "
                      "(see its README.md)")


def train_curve_command(
    textcat: TextcatOption,
    model: ModelOption = "sklearn",
    eval_dataset: EvalOption = None,
    eval_split: EvalSplitOption = None,
    seed: SeedOption = 0,
    n_samples: Annotated[int, typer.Option("--n-samples", min=2, help="Training sizes: 4 means "
                                           "25%, 50%, 75% and 100%.")] = 4,
    multilabel: MultilabelOption = False,
    plot: Annotated[str | None, typer.Option(help="Also draw the curve as a PNG here.")] = None,
    db: DbOption = None,
) -> None:
    """Train on growing shares of the answers to see whether more annotation still helps."""
    from ..chart import require_matplotlib
    from ..store.merge import split_list
    from ..train.report import curve_plot, write_curve_plot
    from ..train.textcat import curve_verdict, train_curve

    use_db(db)
    datasets = split_list(textcat, "--textcat")
    if plot is not None:
        require_matplotlib()  # fail before the training, not after it
    with open_store(create=False) as store, stage_bar(err_console) as progress:
        points = train_curve(
            store, datasets, model_name=model, eval_dataset=eval_dataset,
            eval_split=_split(eval_dataset, eval_split), seed=seed, n_samples=n_samples,
            exclusive=_exclusive(multilabel), on_data=_report_data, progress=progress,
        )
    if plot is not None:
        write_curve_plot(points, plot)
        err_console.print(f"[green]✔[/] chart written to {safe(plot)}")
    console = out_console()
    console.print(curve_plot(points))
    console.print(curve_verdict(points))


def data_to_spacy_command(
    output_dir: Annotated[Path, typer.Argument(help="Folder for train.spacy, dev.spacy and "
                                               "config.cfg (created if needed).")],
    ner: Annotated[str, typer.Option("--ner", help="NER datasets, comma-separated: DS1,DS2 "
                                     "(ner.manual/ner.correct = complete, ner.teach = "
                                     "partial annotations).")] = "",
    textcat: Annotated[str, typer.Option("--textcat", help="Text classification datasets, "
                                         "comma-separated.")] = "",
    eval_split: Annotated[float, typer.Option("--eval-split", min=0.0, max=0.99,
                                              help="Share of the inputs for dev.spacy.")] = 0.2,
    lang: Annotated[str, typer.Option(help="Language of the spaCy tokenizer.")] = "en",
    seed: Annotated[int, typer.Option(help="Seed of the train/dev split.")] = 0,
    db: DbOption = None,
) -> None:
    """Export answers as spaCy training data that `python -m spacy train` accepts."""
    from ..store.merge import split_list
    from ..train.spacy_export import data_to_spacy

    use_db(db)
    ner_sets = split_list(ner, "--ner") if ner.strip() else []
    textcat_sets = split_list(textcat, "--textcat") if textcat.strip() else []
    with open_store(create=False) as store:
        result = data_to_spacy(store, output_dir, ner_sets, textcat_sets, eval_split, lang,
                               seed)
    d = result.data
    if ner_sets:
        err_console.print(
            f"NER: {d.n_complete:,} complete and {d.n_partial:,} partial annotations "
            f"(unannotated tokens missing), {d.n_rejected_spans:,} rejected spans kept as "
            f"negative examples; labels {safe(', '.join(d.ner_labels) or 'none')}")
    if d.n_misaligned:
        err_console.print(f"[yellow]![/] {d.n_misaligned:,} spans don't line up with the "
                          f"{safe(lang)} tokenizer's tokens and were left out")
    if textcat_sets:
        kind = "exclusive" if d.exclusive else "multi-label"
        err_console.print(f"textcat ({kind}): labels {safe(', '.join(d.textcat_labels))}")
    err_console.print(
        f"[green]✔[/] {result.n_train:,} train / {result.n_dev:,} dev docs in "
        f"{safe(str(output_dir))}; train with: python -m spacy train "
        f"{safe(str(result.paths['config']))} --output MODEL_DIR")


def suspects_command(
    datasets: Annotated[str, typer.Argument(help="Text classification dataset(s), "
                                            "comma-separated: DS1,DS2 (answers merged per "
                                            "input, as in train).")],
    model: Annotated[str, typer.Option(help="Model to cross-validate: sklearn (default), "
                                       "sklearn-lr, embed (needs the embed extra) or auto.")
                     ] = "sklearn",
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds.")] = 5,
    limit: Annotated[int, typer.Option(min=1, help="Rows in the table (the file gets "
                                       "every suspect).")] = 20,
    output: Annotated[str | None, typer.Option(help="Write every suspect as JSONL here (- for "
                                               "stdout, then the table goes to stderr).")
                      ] = None,
    seed: SeedOption = 0,
    db: DbOption = None,
) -> None:
    """Rank stored answers a model trained without them strongly disagrees with (likely label
    errors), most doubtful first."""
    from ..models.registry import resolve_model
    from ..store.export import check_output, write_file
    from ..store.merge import split_list
    from ..train.report import suspects_table
    from ..train.suspects import find_suspects

    use_db(db)
    if output and output != "-":
        check_output(output)  # before the cross-validation, not after
    model, note = resolve_model(model)
    with open_store(create=False) as store, stage_bar(err_console) as progress:
        suspects, _merged, checked = find_suspects(
            store, split_list(datasets, "DATASETS"), model=model, folds=folds, seed=seed,
            progress=progress)
    console = err_console if output == "-" else out_console()
    console.print(suspects_table(suspects[:limit], checked, len(suspects), model,
                                 console.width))
    if output:
        n = write_file((s.to_json() for s in suspects), output)
        if output != "-":
            err_console.print(f"[green]✔[/] wrote {n:,} suspects to {safe(output)}")
    if note:
        err_console.print(f"[dim]Note:[/] {safe(note)}")
