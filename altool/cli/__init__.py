"""The ``altool`` command line: a thin layer over the library.

Exit codes: 0 ok, 1 a problem with the input or the data (with a message saying what to do),
2 a usage error. Messages and progress go to stderr; data (``db-out``) to stdout.
"""

from __future__ import annotations

import inspect
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import __version__
from ..errors import AltoolError
from ..io.loaders import LOADERS, file_size
from ..paths import log_dir
from ..recipes import RECIPES, Recipe, load_builtin_recipes, load_recipe_file
from ..recipes.options import (
    CommitteeSizeOption,
    LikeOption,
    MixOption,
    QbcMeasureOption,
    check_model_support,
    strategy_settings,
)
from ..store import ANSWERS
from ..store.context import open_store, set_db_path
from ..store.ingest import load_file, read_annotated
from .config import default_map, load_config
from .spacy import data_to_spacy_command
from .train import train_command, train_curve_command

err_console = Console(stderr=True, highlight=False)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Database file (default: $ALTOOL_HOME/altool.db).",
                 show_default=False),
]
SkipInvalidOption = Annotated[
    bool, typer.Option("--skip-invalid", help="Skip bad lines (and count them) instead of "
                       "stopping with an error.")
]
RecipeFileOption = Annotated[
    list[str] | None,
    typer.Option("-F", help="Python file with custom @recipe functions to load.",
                 show_default=False),
]


def _use_db(db: Path | None) -> None:
    if db is not None:
        set_db_path(db)


def _version(value: bool) -> None:
    if value:
        print(f"altool {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="altool",
        help="Annotate text in the terminal with a model in the loop (active learning).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _global(
        db: DbOption = None,
        version: Annotated[
            bool, typer.Option("--version", callback=_version, is_eager=True,
                               help="Print the version and exit.")
        ] = False,
    ) -> None:
        _use_db(db)

    app.command("load")(load)
    app.command("db-in")(db_in)
    app.command("db-out")(db_out)
    app.command("stats")(stats)
    app.command("drop")(drop)
    app.command("recipes")(list_recipes)
    app.command("simulate")(simulate_command)
    app.command("train")(train_command)
    app.command("train-curve")(train_curve_command)
    app.command("data-to-spacy")(data_to_spacy_command)
    for recipe in RECIPES.values():
        app.command(recipe.name, help=recipe.func.__doc__)(_recipe_command(recipe))
    return app


# -- data commands -------------------------------------------------------------------------------
def load(
    source: Annotated[str, typer.Argument(help="Name to store the examples under.")],
    file: Annotated[str, typer.Argument(help="JSONL, CSV or TXT file; - reads stdin.")],
    loader: Annotated[
        str | None, typer.Option(help=f"File format: {', '.join(LOADERS)} (default: from the "
                                 "extension; jsonl for stdin).")
    ] = None,
    skip_invalid: SkipInvalidOption = False,
    db: DbOption = None,
) -> None:
    """Store unlabeled examples under a source name (deduplicated, all-or-nothing)."""
    _use_db(db)
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    total = file_size(file)
    with open_store() as store, Progress(
        TextColumn("[bold]loading[/] {task.description}"), BarColumn(), DownloadColumn(),
        TimeRemainingColumn(), console=err_console, transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task(file, total=total)
        ticker = _Ticker(lambda n: progress.advance(task, n))
        result, report = load_file(
            store, source, file, loader, skip_invalid=skip_invalid, progress=ticker
        )
    err_console.print(
        f"[green]✔[/] {source}: added {result.added:,} examples"
        + (f", {result.duplicates:,} duplicates skipped" if result.duplicates else "")
        + (f", {result.skipped:,} invalid lines skipped" if result.skipped else "")
    )
    for line in report.errors:
        err_console.print(f"  [yellow]skipped[/] {line}")


class _Ticker:
    """Progress callback that batches updates (cheap per line, redraws every ~1 MB)."""

    def __init__(self, advance) -> None:
        self.advance = advance
        self.pending = 0

    def __call__(self, n: int) -> None:
        self.pending += n
        if self.pending >= 1 << 20:
            self.advance(self.pending)
            self.pending = 0


def db_in(
    dataset: Annotated[str, typer.Argument(help="Dataset to import into (created if new).")],
    file: Annotated[str, typer.Argument(help="Annotated JSONL (e.g. a Prodigy export); - for "
                                        "stdin.")],
    answer: Annotated[
        str, typer.Option(help="Answer for examples that have none: accept, reject or ignore.")
    ] = "accept",
    skip_invalid: SkipInvalidOption = False,
    db: DbOption = None,
) -> None:
    """Import annotated examples into a dataset (hashes computed where missing; all-or-nothing)."""
    _use_db(db)
    if answer not in ANSWERS:
        raise AltoolError(f"--answer must be one of {', '.join(ANSWERS)}")
    examples, report = read_annotated(file, answer, skip_invalid=skip_invalid)
    with open_store() as store:
        n = store.add_answers(dataset, examples)
    err_console.print(f"[green]✔[/] imported {n:,} examples into dataset {dataset}"
                      + (f", {report.skipped:,} invalid lines skipped" if report.skipped else ""))
    for line in report.errors:
        err_console.print(f"  [yellow]skipped[/] {escape(line)}")


def db_out(
    dataset: Annotated[str, typer.Argument(help="Dataset to export.")],
    file: Annotated[
        str, typer.Argument(help="Output file; - or nothing for stdout.")
    ] = "-",
    answer: Annotated[
        str | None, typer.Option(help="Only this answer: accept, reject or ignore.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl (the stored answers, Prodigy's format), csv "
                          "(flat columns, lists and meta as JSON) or merged (JSONL, one row per "
                          "input with its final label(s)).")
    ] = "jsonl",
    db: DbOption = None,
) -> None:
    """Export a dataset as JSONL (Prodigy's format), CSV, or merged per input."""
    from ..store.export import export_rows, write_rows

    _use_db(db)
    if answer is not None and answer not in ANSWERS:
        raise AltoolError(f"--answer must be one of {', '.join(ANSWERS)}")
    with open_store() as store:
        rows = export_rows(store, dataset, fmt, answer)
        if file == "-":
            n = write_rows(rows, sys.stdout, fmt)
            sys.stdout.flush()
        else:
            out = Path(file)
            tmp = out.with_name(out.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                n = write_rows(rows, fh, fmt)
            tmp.replace(out)
            what = "inputs" if fmt == "merged" else "examples"
            err_console.print(f"[green]✔[/] wrote {n:,} {what} to {file}")


def stats(
    dataset: Annotated[str | None, typer.Argument(help="Only this dataset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """Datasets and sources: answers, labels, sessions, last activity."""
    _use_db(db)
    with open_store() as store:
        data = store.stats(dataset)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False)
    table = Table(title="Datasets", title_justify="left")
    for col in ("dataset", "total", "accept", "reject", "ignore", "labels (accepted)",
                "sessions", "last activity"):
        table.add_column(col, justify="right" if col in ("total", "accept", "reject",
                                                          "ignore", "sessions") else "left")
    for name, d in data["datasets"].items():
        labels = ", ".join(f"{k} {v}" for k, v in d["labels"].items()) or "-"
        last = time.strftime("%Y-%m-%d %H:%M", time.localtime(d["last_activity"])) \
            if d["last_activity"] else "-"
        a = d["answers"]
        table.add_row(name, str(d["total"]), str(a["accept"]), str(a["reject"]),
                      str(a["ignore"]), labels, str(d["sessions"]), last)
    console.print(table)
    if data["sources"]:
        sources = Table(title="Sources", title_justify="left")
        sources.add_column("source")
        sources.add_column("examples", justify="right")
        for name, s in data["sources"].items():
            sources.add_row(name, f"{s['total']:,}")
        console.print(sources)


def drop(
    dataset: Annotated[str, typer.Argument(help="Dataset to delete.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a dataset, its answers and its saved model state."""
    _use_db(db)
    from ..paths import model_state_path

    with open_store() as store:
        n = store.count_answers(dataset)
        store.require_dataset(dataset)
        if not yes:
            if not sys.stdin.isatty():
                raise AltoolError(f"drop {dataset!r} would delete {n:,} answers; "
                                  "add --yes to confirm when not in a terminal")
            if not typer.confirm(f"Delete dataset {dataset!r} and its {n:,} answers?"):
                raise AltoolError("nothing deleted")
        store.drop_dataset(dataset)
    model_state_path(dataset).unlink(missing_ok=True)
    err_console.print(f"[green]✔[/] dropped dataset {dataset} ({n:,} answers)")


def list_recipes(recipe_files: RecipeFileOption = None) -> None:
    """List the built-in recipes and those loaded with -F."""
    # the -F files were imported by main() before parsing, so their recipes are registered
    table = Table(show_header=True)
    table.add_column("recipe")
    table.add_column("from")
    table.add_column("what it does")
    for recipe in sorted(RECIPES.values(), key=lambda r: r.name):
        table.add_row(recipe.name, "built-in" if recipe.builtin else "-F", recipe.summary)
    Console().print(table)


def simulate_command(
    gold: Annotated[str, typer.Argument(help="Labelled JSONL/CSV: the pool the learner asks "
                                        "about (its labels answer).")],
    test: Annotated[str, typer.Option("--test", help="Labelled JSONL/CSV to score on.")],
    label_field: Annotated[str, typer.Option("--label-field", help="Field with the gold "
                                             "label.")] = "label",
    model: Annotated[str, typer.Option(help="Model in the loop: sklearn, sklearn-lr (without "
                                       "the Naive Bayes blend), embed (sentence "
                                       "embeddings; needs altool[embed]), spacy (blank spaCy "
                                       "text classifier) or spacy:NAME_OR_PATH.")] = "sklearn",
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
                                             "(needs matplotlib).")] = None,
    committee_size: CommitteeSizeOption = 5,
    qbc_measure: QbcMeasureOption = "vote",
    like: LikeOption = None,
    mix: MixOption = None,
    task: Annotated[str, typer.Option(help="textcat, or ner: GOLD and TEST have tokens and "
                                      "spans, ner.teach is replayed (strategies default, "
                                      "random, manual).")] = "textcat",
) -> None:
    """Replay textcat.teach (or ner.teach) with gold labels as the annotator; compare
    strategies."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .. import simulate as sim

    if task == "ner":
        from .spacy import simulate_ner_cli

        simulate_ner_cli(gold, test, strategy, budget=budget, batch_size=batch_size,
                         seed_size=seed_size, repeats=repeats, seed=seed, output=output)
        return
    if task != "textcat":
        raise AltoolError(f"--task must be textcat or ner, got {task!r}")
    if plot:
        sim.require_matplotlib()  # fail before a long run, not after it
    names = sim.resolve_strategies(strategy.split(","))
    chosen = strategy_settings(committee_size, qbc_measure, like, mix)
    for name in names:
        check_model_support(name, model, bool(chosen.like))
    gold_rows = sim.read_labelled(gold, label_field)
    test_rows = sim.read_labelled(test, label_field)
    unseen = sim.unseen_test_labels(gold_rows, test_rows)
    if unseen:
        err_console.print(f"[yellow]Warning:[/] {escape(unseen)}.")
    with Progress(TextColumn("[bold]{task.fields[verb]}[/] {task.description}"), BarColumn(),
                  MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), console=err_console,
                  transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("", total=None, verb="simulating", unit="labels")
        embedding: dict[str, Any] = {}
        running_on: dict[str, Any] = {}  # a bar of unknown length per strategy past the budget

        def on_featurize(what: str, done: int, total: int) -> None:
            if what not in embedding:
                embedding[what] = bar.add_task(what, total=total, verb="embedding",
                                               unit="texts")
            bar.update(embedding[what], completed=done)

        def progress(what: str, n: int, run_total: int | None) -> None:
            for other in bar.tasks:
                if (other.total is None and other.description in running_on
                        and other.description != what):
                    bar.update(other.id, total=other.completed)  # it stopped: length known
            if run_total is None:  # running on past the budget: how far is not known
                if what not in running_on:
                    running_on[what] = bar.add_task(what, total=None, verb="simulating",
                                                    unit="labels")
                bar.update(running_on[what], advance=n)
            else:  # every run within the budget adds the same number of labels
                bar.update(task, advance=n, description=what,
                           total=len(names) * repeats * run_total)

        result = sim.simulate(
            gold_rows, test_rows, names, model=model, view=view, seed_size=seed_size,
            batch_size=batch_size, budget=budget, repeats=repeats, metric=metric, seed=seed,
            extend=extend.split(","), progress=progress, on_featurize=on_featurize,
            options=chosen.options, random_share=chosen.random_share, like=chosen.like,
        )
    # with --output - the JSON is the data on stdout, so the tables go to stderr
    console = err_console if output == "-" else Console(highlight=False)
    for part in sim.report_tables(result, metric, test, repeats):
        console.print(part)
    for name, r in result.strategies.items():
        if r.skipped is not None:
            err_console.print(f"{name}: skipped {r.skipped:.0%} of the stream it looked at")
    if output == "-":
        print(json.dumps(result.to_json(), indent=2))
    elif output:
        try:
            Path(output).write_text(json.dumps(result.to_json(), indent=2) + "\n",
                                    encoding="utf-8")
        except OSError as err:
            raise AltoolError(f"{output}: can't write ({err.strerror or err})") from None
        err_console.print(f"[green]✔[/] wrote the curves to {output}")
    if plot:
        sim.plot(result, plot)
        err_console.print(f"[green]✔[/] wrote the learning curve to {plot}")


# -- recipes -------------------------------------------------------------------------------------
def _recipe_command(recipe: Recipe):
    """A Typer command whose options are the recipe's parameters, plus --db and -F."""
    signature = inspect.signature(recipe.func, eval_str=True)
    extra = [
        inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=DbOption),
        inspect.Parameter("recipe_files", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=RecipeFileOption),
    ]

    def command(**kwargs: Any) -> None:
        from ..recipes.runner import run_components

        _use_db(kwargs.pop("db"))
        kwargs.pop("recipe_files")
        components = recipe.func(**kwargs)
        if components is None:  # a recipe that did its work itself (print-dataset)
            return
        summary = run_components(components)
        err_console.print(
            f"[green]✔[/] saved {summary.answered:,} answer{'' if summary.answered == 1 else 's'} "
            f"this session to "
            f"{summary.dataset} ({summary.dataset_total:,} in total)"
        )

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in
              signature.parameters.values()]
    command.__signature__ = signature.replace(parameters=params + extra)  # type: ignore[attr-defined]
    command.__doc__ = recipe.func.__doc__
    command.__name__ = recipe.func.__name__
    return command


def _recipe_files(argv: list[str]) -> list[str]:
    files = []
    for i, arg in enumerate(argv):
        if arg == "-F" and i + 1 < len(argv):
            files.append(argv[i + 1])
        elif arg.startswith("-F") and len(arg) > 2:
            files.append(arg[2:])
    return files


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    code = 0
    try:
        load_builtin_recipes()
        for path in _recipe_files(args):
            load_recipe_file(path)
        command = typer.main.get_command(build_app())
        defaults = default_map(command, load_config())  # altool.json: defaults; flags win
        # Standalone mode: Typer prints usage errors itself and exits 2, --help exits 0.
        command.main(args=args, prog_name="altool", standalone_mode=True,
                     default_map=defaults)
    except AltoolError as exc:
        err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", soft_wrap=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head): not an error
        code = 0
    except Exception as exc:  # a bug: one line for the user, the traceback in a log file
        code = 1
        log = log_dir() / "crash.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as fh:
                fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} altool {' '.join(args)}\n")
                fh.write(traceback.format_exc())
            where = f"; the details are in {log}"
        except OSError:
            where = ""
        err_console.print(f"[bold red]Unexpected error:[/] {type(exc).__name__}: "
                          f"{escape(str(exc))}{where}. "
                          "Please report it.", soft_wrap=True)
    sys.exit(code)
