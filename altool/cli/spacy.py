"""``altool data-to-spacy``: a thin command over :mod:`altool.train.spacy_export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ..store.context import open_store, set_db_path
from .train import DbOption

err_console = Console(stderr=True, highlight=False)


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

    if db is not None:
        set_db_path(db)
    ner_sets = split_list(ner, "--ner") if ner.strip() else []
    textcat_sets = split_list(textcat, "--textcat") if textcat.strip() else []
    with open_store() as store:
        result = data_to_spacy(store, output_dir, ner_sets, textcat_sets, eval_split, lang,
                               seed)
    d = result.data
    if ner_sets:
        err_console.print(
            f"NER: {d.n_complete:,} complete and {d.n_partial:,} partial annotations "
            f"(unannotated tokens missing), {d.n_rejected_spans:,} rejected spans kept as "
            f"negative examples; labels {', '.join(d.ner_labels) or 'none'}")
    if d.n_misaligned:
        err_console.print(f"[yellow]![/] {d.n_misaligned:,} spans don't line up with the "
                          f"{escape(lang)} tokenizer's tokens and were left out")
    if textcat_sets:
        kind = "exclusive" if d.exclusive else "multi-label"
        err_console.print(f"textcat ({kind}): labels {', '.join(d.textcat_labels)}")
    err_console.print(
        f"[green]✔[/] {result.n_train:,} train / {result.n_dev:,} dev docs in "
        f"{escape(str(output_dir))}; train with: python -m spacy train "
        f"{escape(str(result.paths['config']))} --output MODEL_DIR")


def simulate_ner_cli(gold: str, test: str, strategy: str, *, budget: int, batch_size: int,
                     seed_size: int, repeats: int, seed: int, output: str | None) -> None:
    """``altool simulate --task ner``: run :func:`altool.simulate.ner.simulate_ner`, print
    the F1 table (stdout), optionally write the curves as JSON."""
    import json
    import sys

    from rich.table import Table

    from ..simulate.ner import read_ner_gold, simulate_ner

    gold_rows, test_rows = read_ner_gold(gold), read_ner_gold(test)
    names = [s.strip() for s in strategy.split(",") if s.strip()]
    done = {"n": 0}

    def progress(what: str, n: int) -> None:
        done["n"] += n
        if err_console.is_terminal:
            err_console.print(f"{what}: {done['n']:,} answers", end="\r")

    result = simulate_ner(gold_rows, test_rows, names, budget=budget, batch_size=batch_size,
                          seed_size=seed_size, repeats=repeats, seed=seed, progress=progress)
    cps = [p[0] for p in next(iter(result.curves.values())).points]
    table = Table(title=f"entity F1 on {escape(test)} ({result.n_test:,} sentences), "
                  f"{repeats} repeat(s)", title_justify="left")
    table.add_column("strategy")
    for c in cps:
        table.add_column(f"@{c}", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("accepted", justify="right")
    for name, curve in result.curves.items():
        table.add_row(name, *[f"{p[1]:.3f}" for p in curve.points], f"{curve.aulc:.3f}",
                      f"{curve.accepted:.0%}")
    Console(highlight=False).print(table)
    if output:
        data = {name: {"points": c.points, "sentences": c.sentences, "accepted": c.accepted}
                for name, c in result.curves.items()}
        text = json.dumps({"labels": result.labels, "curves": data}, indent=2)
        if output == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(output).write_text(text + "\n", encoding="utf-8")
