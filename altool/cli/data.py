"""The data commands: ``load``, ``db-in``, ``db-out``, ``stats``, ``progress``,
``agreement`` and ``drop``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ..errors import AltoolError
from ..io.loaders import LOADERS, progress_total
from ..recipes.options import HtmlOption, TextFieldOption
from ..safe import json_safe, safe, safe_text, visible
from ..store import ANSWERS, damaged
from ..store.agreement import agreement as measure_agreement
from ..store.context import open_store
from ..store.export import export
from ..store.hf import TABLE_FORMATS, export_table
from ..store.ingest import foreign_hash_warning, import_answers, load_file
from ..store.merge import split_list
from ..store.progress import dataset_progress
from ..store.report import agreement_tables, progress_tables, stats_tables
from ..store.sessions import drop_session, list_sessions, require_session, require_stopped
from ..store.sources import check_source_drop, drop_source, human_bytes
from ..ui.progress import bytes_bar, stage_bar
from .common import DbOption, SkipInvalidOption, err_console, out_console, use_db

SessionOption = Annotated[
    str | None, typer.Option(help="Only this session's answers (`altool stats DATASET` lists "
                             "the sessions).")
]


def load(
    source: Annotated[str, typer.Argument(help="Name to store the examples under.")],
    file: Annotated[str, typer.Argument(help="JSONL, CSV or TXT file; - reads stdin.")],
    loader: Annotated[
        str | None, typer.Option(help=f"File format: {', '.join(LOADERS)} (default: from the "
                                 "extension; jsonl for stdin).")
    ] = None,
    skip_invalid: SkipInvalidOption = False,
    text_field: TextFieldOption = None,
    html_to_text: HtmlOption = False,
    db: DbOption = None,
) -> None:
    """Store unlabeled examples under a source name (deduplicated, all-or-nothing)."""
    use_db(db)
    with open_store() as store, bytes_bar(err_console, file, progress_total(file)) as progress:
        result, report = load_file(store, source, file, loader, skip_invalid=skip_invalid,
                                   progress=progress, text_field=text_field,
                                   html=html_to_text)
    err_console.print(
        f"[green]✔[/] {safe(source)}: added {result.added:,} examples"
        + (f", {result.duplicates:,} duplicates skipped" if result.duplicates else "")
        + (f", {result.skipped:,} invalid lines skipped" if result.skipped else "")
    )
    for line in report.errors:
        err_console.print(f"  [yellow]skipped[/] {safe(line)}")


def db_in(
    dataset: Annotated[str, typer.Argument(help="Dataset to import into (created if new).")],
    file: Annotated[str, typer.Argument(help="Annotated JSONL (e.g. a Prodigy export); - for "
                                        "stdin.")],
    answer: Annotated[
        str, typer.Option(help="Answer for examples that have none: accept, reject or ignore.")
    ] = "accept",
    rehash: Annotated[
        bool, typer.Option("--rehash", help="Replace the file's _input_hash and _task_hash with "
                           "altool's (a Prodigy export's never match altool's own answers on "
                           "the same text).")
    ] = False,
    skip_invalid: SkipInvalidOption = False,
    db: DbOption = None,
) -> None:
    """Import annotated examples into a dataset (hashes computed where missing; all-or-nothing)."""
    use_db(db)
    with open_store() as store:
        result, report = import_answers(store, dataset, file, answer,
                                        skip_invalid=skip_invalid, rehash=rehash)
    err_console.print(
        f"[green]✔[/] imported {result.added:,} examples into dataset {safe(dataset)}"
        + (f", {result.duplicates:,} already there skipped" if result.duplicates else "")
        + (f", {report.skipped:,} invalid lines skipped" if report.skipped else "")
        + (f", {result.rehashed:,} given altool's hashes" if result.rehashed else ""))
    for line in report.errors:
        err_console.print(f"  [yellow]skipped[/] {safe(line)}")
    warning = foreign_hash_warning(result, dataset, file)
    if warning:
        err_console.print(f"[yellow]Warning:[/] {safe(warning)}")


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
                          "(flat columns, lists and meta as JSON), merged (JSONL, one row per "
                          "input with its final label(s)), hf (a Hugging Face dataset folder) "
                          "or parquet (one file); hf and parquet need: pip install "
                          "'altool[hf]'.")
    ] = "jsonl",
    session: SessionOption = None,
    db: DbOption = None,
) -> None:
    """Export a dataset as JSONL (Prodigy's format), CSV, merged per input, a Hugging Face
    dataset or Parquet."""
    use_db(db)
    if answer is not None and answer not in ANSWERS:
        raise AltoolError(f"--answer must be one of {', '.join(ANSWERS)}")
    if fmt in TABLE_FORMATS:
        db_out_table(dataset, file, fmt, filtered=answer is not None or session is not None)
        return
    with open_store(create=False) as store:
        n = export(store, dataset, file, fmt, answer, session)
    if file != "-":
        what = "inputs" if fmt == "merged" else "examples"
        err_console.print(f"[green]✔[/] wrote {n:,} {what} to {safe(file)}")


def db_out_table(dataset: str, path: str, fmt: str, filtered: bool) -> None:
    """``db-out --format hf|parquet``: write, then say what went where."""
    with open_store(create=False) as store:
        table = export_table(store, dataset, path, fmt, filtered=filtered)
    n = len(table.rows)
    split = (f"train {n - table.n_test:,}, test {table.n_test:,} (random picks)"
             if table.n_test else "all train: no random picks for a test split")
    err_console.print(f"[green]✔[/] wrote {n:,} inputs ({split}) to {safe(path)}"
                      + (f"; {table.left_out:,} inputs known only from ner.teach answers left "
                         "out (their other tokens are unknown)" if table.left_out else ""))


def stats(
    dataset: Annotated[str | None, typer.Argument(help="Only this dataset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """Datasets and sources: answers, labels, sessions, last activity; with DATASET, also
    its sessions."""
    use_db(db)
    with open_store(create=False) as store:
        data = store.stats(dataset)
        if dataset is not None:
            data["datasets"][dataset]["session_list"] = [
                s.to_json() for s in list_sessions(store, dataset)]
    if as_json:
        print(json_safe(json.dumps(data, indent=2, ensure_ascii=False)))
        return
    console = out_console()
    for table in stats_tables(data, console.width):
        console.print(table)


def check(
    quick: Annotated[bool, typer.Option("--quick", help="SQLite's quick check (skips index "
                                        "contents; seconds instead of tens on a big database).")
                     ] = False,
    db: DbOption = None,
) -> None:
    """Check the database for damage: SQLite's integrity check, and altool's own rows."""
    use_db(db)
    with open_store(create=False) as store:
        problems = store.check(quick=quick)
        path = store.path
    if not problems:
        err_console.print(f"[green]✔[/] {safe(path)}: no problems found")
        return
    for problem in problems[:20]:
        out_console().print(safe_text(problem))
    raise AltoolError(damaged(path, "the problems listed above"))


def drop(
    dataset: Annotated[str | None, typer.Argument(help="Dataset to delete (or to delete a "
                                                  "session from).")] = None,
    session: Annotated[
        str | None, typer.Option(help="Delete only this session's answers (`altool stats "
                                 "DATASET` lists them); the next session's model trains on "
                                 "what remains.")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Delete this source (its examples and cached vectors) "
                                 "instead of a dataset, and give the space back to the disk.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With --source: drop it even though datasets have "
                           "answers to its texts (they keep them; their sessions can't go on "
                           "through the source).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a dataset, its answers and its saved model state (or one session's answers, or
    with --source a source)."""
    use_db(db)
    if source is not None:
        if dataset is not None or session is not None:
            raise AltoolError("drop --source NAME takes no DATASET or --session; drop the "
                              "dataset with a command of its own")
        drop_one_source(source, force, yes)
        return
    if dataset is None:
        raise AltoolError("give the DATASET to drop (or --source NAME to drop a source)")
    if force:
        raise AltoolError("--force only applies to drop --source")
    if session is not None:
        drop_one_session(dataset, session, yes)
        return
    drop_one_dataset(dataset, yes)


def confirm(question: str, refusal: str, yes: bool) -> None:
    """Ask ``question`` unless ``yes``; outside a terminal, refuse with ``refusal``."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise AltoolError(f"{refusal}; add --yes to confirm when not in a terminal")
    if not typer.confirm(question):
        raise AltoolError("nothing deleted")


def drop_one_dataset(dataset: str, yes: bool) -> None:
    """``drop DATASET``: count, confirm, delete, say what went."""
    with open_store(create=False) as store:
        n = store.count_answers(dataset)
        store.require_dataset(dataset)
        confirm(f"Delete dataset {visible(repr(dataset))} and its {n:,} answers?",
                f"drop {dataset!r} would delete {n:,} answers", yes)
        store.drop_dataset(dataset)
    err_console.print(f"[green]✔[/] dropped dataset {safe(dataset)} ({n:,} answers)")


def drop_one_source(source: str, force: bool, yes: bool) -> None:
    """``drop --source NAME``: check no dataset needs it (unless --force), confirm, delete,
    compact the files, say what went and the sizes before and after."""
    with open_store(create=False) as store:
        n = check_source_drop(store, source, force)
        confirm(f"Delete source {visible(repr(source))} and its {n:,} examples?",
                f"drop --source {source!r} would delete {n:,} examples", yes)
        report = drop_source(store, source, force=force)
    vectors = f", {report.vectors:,} cached vectors" if report.vectors else ""
    err_console.print(f"[green]✔[/] dropped source {safe(source)} ({report.examples:,} "
                      f"examples{vectors})")
    for size in report.sizes:
        err_console.print(f"  {safe(size.path.name)}: {human_bytes(size.before)} → "
                          f"{human_bytes(size.after)}")
    if report.in_use:
        names = " and ".join(safe(path.name) for path in report.in_use)
        err_console.print(f"[dim]Note:[/] another process (a running session?) has {names} "
                          "open: the space is given back when it closes it")
    if report.reclaim_error:
        err_console.print(f"[yellow]Warning:[/] the space was not given back to the disk "
                          f"({safe(report.reclaim_error)}); the next drop --source does it")


def drop_one_session(dataset: str, session: str, yes: bool) -> None:
    """``drop DATASET --session ID``: count, confirm, delete, say what went."""
    with open_store(create=False) as store:
        n = require_session(store, dataset, session).answers
        require_stopped(store, dataset, session)
        confirm(f"Delete the {n:,} answers of session {visible(repr(session))} from dataset "
                f"{visible(repr(dataset))}?", f"drop --session {session!r} would delete "
                f"{n:,} answers of dataset {dataset!r}", yes)
        n = drop_session(store, dataset, session)
        left = store.count_answers(dataset)
    err_console.print(f"[green]✔[/] dropped session {safe(session, one_line=True)} from "
                      f"dataset {safe(dataset)} ({n:,} answers; {left:,} left)")


def progress(
    dataset: Annotated[str, typer.Argument(help="Dataset to report on.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    eval_dataset: Annotated[str | None, typer.Option(
        "--eval", help="A labelled dataset to score the labels-saved estimate on (its texts "
        "are left out of training); default: the audit picks, a part at a time.")] = None,
    model: Annotated[str | None, typer.Option(
        help="Model the estimate fits (default: the one the loop used).")] = None,
    estimate: Annotated[bool, typer.Option(
        help="Estimate the labels saved against random order (fits small models).")] = True,
    plot: Annotated[str | None, typer.Option(help="Also draw the charts as a PNG here.")] = None,
    db: DbOption = None,
) -> None:
    """What labelling a dataset has cost and bought: answers, time, pace, the model's accuracy
    on random audit picks, the labels saved against random order, labels per label, the stop
    signal, per session."""
    # here, not at the top: they load numpy, which every other command would pay for
    from ..train.report import savings_chart, savings_table, write_progress_plot
    from ..train.savings import estimate_savings

    use_db(db)
    with open_store(create=False) as store:
        report = dataset_progress(store, dataset)
        savings = None
        if estimate:
            with stage_bar(err_console) as bar:
                savings = estimate_savings(
                    store, dataset, model_name=model, eval_dataset=eval_dataset,
                    progress=lambda done, total: bar("estimating labels saved", done, total))
    if plot is not None:
        write_progress_plot(report, savings, plot)
        err_console.print(f"[green]✔[/] charts written to {safe(plot)}")
    if as_json:
        out = {**report.to_json(), "savings": None if savings is None else savings.to_json()}
        print(json_safe(json.dumps(out, indent=2, ensure_ascii=False)))
        return
    console = out_console()
    tables = progress_tables(report, console.width)
    if savings is not None:
        tables[1:1] = [savings_table(savings, report.total.per_hour),
                       *savings_chart(savings, console.width)]
    for table in tables:
        console.print(table)


def agreement(
    datasets: Annotated[str, typer.Argument(help="Dataset(s), comma-separated: one per "
                                            "annotator, or any with _annotator_id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    db: DbOption = None,
) -> None:
    """How far annotators agree: Cohen's kappa per pair and Krippendorff's alpha, over all
    labels and per label, on the texts more than one of them labelled."""
    use_db(db)
    with open_store(create=False) as store:
        figures, annotators = measure_agreement(store, split_list(datasets, "DATASETS"))
    if as_json:
        print(json_safe(json.dumps({"annotators": annotators,
                                    "figures": [f.to_json() for f in figures]},
                                   indent=2, ensure_ascii=False)))
        return
    console = out_console()
    for table in agreement_tables(figures, annotators):
        console.print(table)
