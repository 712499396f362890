"""``altool simulate``: replay ``textcat.teach`` (or ``ner.teach``) with gold labels as the
annotator, and compare strategies. Parses, calls :mod:`altool.simulate`, prints."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import AltoolError
from ..recipes.options import (
    MODEL_HELP,
    CommitteeSizeOption,
    LikeOption,
    MixOption,
    QbcMeasureOption,
)
from ..safe import safe
from .common import err_console, out_console


def simulate_command(
    gold: Annotated[str, typer.Argument(help="Labelled JSONL/CSV: the pool the learner asks "
                                        "about (its labels answer).")],
    test: Annotated[str, typer.Option("--test", help="Labelled JSONL/CSV to score on.")],
    label_field: Annotated[str, typer.Option("--label-field", help="Field with the gold "
                                             "label.")] = "label",
    model: Annotated[str, typer.Option(help=MODEL_HELP)] = "auto",
    strategy: Annotated[str, typer.Option(help="Comma-separated strategies to compare "
                                          "(default = the teach default).")] = "default,random",
    view: Annotated[str, typer.Option(help="choice (answer with the label) or binary "
                                      "(accept/reject one label).")] = "choice",
    seed_size: Annotated[int, typer.Option("--seed-size", min=1, help="Questions asked (cold "
                                           "start) before the first model update.")] = 20,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Answers per model "
                                            "update.")] = 10,
    budget: Annotated[int, typer.Option(min=1, help="Labels per run.")] = 1000,
    repeats: Annotated[int, typer.Option(min=1, help="Runs per strategy (seeds).")] = 5,
    metric: Annotated[str, typer.Option(help="accuracy or macro-f1.")] = "accuracy",
    seed: Annotated[int, typer.Option(help="First random seed.")] = 0,
    extend: Annotated[str, typer.Option(help="Comma-separated strategies that keep going past "
                                        "--budget (up to 10x) until they reach 95% of the "
                                        "full-data score (random: 98%), so labels-to and "
                                        "saving are measured, not '-': all, none, or names.")
                      ] = "random",
    output: Annotated[str | None, typer.Option(help="Write the curves as JSON here (- for "
                                               "stdout).")] = None,
    plot: Annotated[str | None, typer.Option(help="Write a PNG learning curve here "
                                             "(needs matplotlib); the terminal gets a chart "
                                             "either way.")] = None,
    chart: Annotated[bool, typer.Option(help="Draw the learning curves in the terminal, "
                                        "after the tables.")] = True,
    committee_size: CommitteeSizeOption = 5,
    qbc_measure: QbcMeasureOption = "vote",
    like: LikeOption = None,
    mix: MixOption = None,
    noise: Annotated[float, typer.Option(help="Share of the pool the simulated annotator "
                                         "answers wrongly (0-1; drawn per repeat, the same "
                                         "rows for every strategy). TEST keeps the true "
                                         "labels.")] = 0.0,
    noise_towards: Annotated[str, typer.Option(
        "--noise-towards", help="Where a wrong answer goes: uniform (any other label) or "
        "confusable (the label the full-data model finds likeliest after the true one).")
    ] = "uniform",
    task: Annotated[str, typer.Option(help="textcat, or ner: GOLD and TEST have tokens and "
                                      "spans, ner.teach is replayed (strategies default, "
                                      "random, manual).")] = "textcat",
) -> None:
    """Replay textcat.teach (or ner.teach) with gold labels as the annotator; compare
    strategies."""
    from .. import simulate as sim

    sim.check_noise(noise, noise_towards, task)  # before reading the files
    if task == "ner":
        simulate_ner(gold, test, strategy, budget=budget, batch_size=batch_size,
                     seed_size=seed_size, repeats=repeats, seed=seed, output=output)
        return
    if task != "textcat":
        raise AltoolError(f"--task must be textcat or ner, got {task!r}")
    from ..strategies.options import strategy_settings
    from ..ui.progress import simulation_bars

    if plot:
        sim.require_matplotlib()  # fail before a long run, not after it
    names = strategy.split(",")
    with simulation_bars(err_console, len(sim.resolve_strategies(names)), repeats) as bars:
        result = sim.simulate_files(
            gold, test, names, label_field=label_field, model=model,
            settings=strategy_settings(committee_size, qbc_measure, like, mix),
            warn=lambda text: err_console.print(f"[yellow]Warning:[/] {safe(text)}."),
            note=lambda text: err_console.print(f"[dim]Note:[/] {safe(text)}"),
            view=view, seed_size=seed_size, batch_size=batch_size, budget=budget,
            repeats=repeats, metric=metric, seed=seed, extend=extend.split(","),
            noise=noise, noise_towards=noise_towards,
            progress=bars.progress, on_featurize=bars.on_featurize,
        )
    # with --output - the JSON is the data on stdout, so the tables go to stderr
    console = err_console if output == "-" else out_console()
    for part in sim.report_parts(result, metric, test, repeats, console.width, chart):
        console.print(part)
    for note in sim.skipped_notes(result):
        err_console.print(note)
    if output:
        sim.write_json(result.to_json(), output)
        if output != "-":
            err_console.print(f"[green]✔[/] wrote the curves to {safe(output)}")
    if plot:
        sim.plot(result, plot)
        err_console.print(f"[green]✔[/] wrote the learning curve to {safe(plot)}")


def simulate_ner(gold: str, test: str, strategy: str, *, budget: int, batch_size: int,
                 seed_size: int, repeats: int, seed: int, output: str | None) -> None:
    """``altool simulate --task ner``: run :func:`altool.simulate.ner.simulate_ner`, print
    the F1 table (stdout), optionally write the curves as JSON."""
    from ..simulate.ner import read_ner_gold
    from ..simulate.ner import simulate_ner as run
    from ..simulate.report import ner_json, ner_table, write_json

    gold_rows, test_rows = read_ner_gold(gold), read_ner_gold(test)
    names = [s.strip() for s in strategy.split(",") if s.strip()]
    done = {"n": 0}

    def progress(what: str, n: int) -> None:
        done["n"] += n
        if err_console.is_terminal:
            err_console.print(f"{safe(what)}: {done['n']:,} answers", end="\r")

    result = run(gold_rows, test_rows, names, budget=budget, batch_size=batch_size,
                 seed_size=seed_size, repeats=repeats, seed=seed, progress=progress)
    out_console().print(ner_table(result, test, repeats))
    if output:
        write_json(ner_json(result), output)
