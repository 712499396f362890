"""Progress bars on stderr for the commands that take more than a second (Rich). Each one is
driven by the plain callbacks the library takes (``progress(n)``, ``progress(stage, done,
total)``...), so the library never draws anything itself. Bars are off when stderr is not a
terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..safe import safe


class _Batched:
    """A progress callback that batches updates (cheap per line, redraws every ~1 MB)."""

    def __init__(self, advance: Callable[[int], None]) -> None:
        self.advance = advance
        self.pending = 0

    def __call__(self, n: int) -> None:
        self.pending += n
        if self.pending >= 1 << 20:
            self.advance(self.pending)
            self.pending = 0


@contextmanager
def bytes_bar(console: Console, what: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """``progress(n_bytes)`` for reading a file of ``total`` bytes (``altool load``)."""
    with Progress(TextColumn("[bold]loading[/] {task.description}"), BarColumn(),
                  DownloadColumn(), TimeRemainingColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(safe(what), total=total)
        yield _Batched(lambda n: bar.advance(task, n))


@contextmanager
def stage_bar(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """``progress(stage, done, total)``: one bar per stage, in place; a stage without a total
    (fitting) pulses (``altool train``, ``train-curve``)."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("reading the answers", total=None)

        def update(stage: str, done: int, total: int) -> None:
            nonlocal task
            if bar.tasks and bar.tasks[0].description != stage:
                bar.remove_task(task)
                task = bar.add_task(stage, total=total or None)
            bar.update(task, completed=done, refresh=True)  # fitting may hold the GIL

        yield update


class SimulationBars:
    """The bars of ``altool simulate``: one for the runs within the budget, one per strategy
    running on past it (length unknown), one per encoding phase (GOLD, TEST)."""

    def __init__(self, bar: Progress, strategies: int, repeats: int) -> None:
        self.bar = bar
        self.runs = strategies * repeats
        self.task = bar.add_task("", total=None, verb="simulating", unit="labels")
        self.embedding: dict[str, Any] = {}
        self.running_on: dict[str, Any] = {}

    def on_featurize(self, what: str, done: int, total: int) -> None:
        if what not in self.embedding:
            self.embedding[what] = self.bar.add_task(what, total=total, verb="embedding",
                                                     unit="texts")
        self.bar.update(self.embedding[what], completed=done)

    def progress(self, what: str, n: int, run_total: int | None) -> None:
        bar = self.bar
        for other in bar.tasks:
            if (other.total is None and other.description in self.running_on
                    and other.description != what):
                bar.update(other.id, total=other.completed)  # it stopped: length known
        if run_total is None:  # running on past the budget: how far is not known
            if what not in self.running_on:
                self.running_on[what] = bar.add_task(what, total=None, verb="simulating",
                                                     unit="labels")
            bar.update(self.running_on[what], advance=n)
        else:  # every run within the budget adds the same number of labels
            bar.update(self.task, advance=n, description=what, total=self.runs * run_total)


@contextmanager
def simulation_bars(console: Console, strategies: int, repeats: int
                    ) -> Iterator[SimulationBars]:
    with Progress(TextColumn("[bold]{task.fields[verb]}[/] {task.description}"), BarColumn(),
                  MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), console=console,
                  transient=True, disable=not console.is_terminal) as bar:
        yield SimulationBars(bar, strategies, repeats)


@contextmanager
def count_bar(console: Console, verb: str, what: str, total: int
              ) -> Iterator[Callable[[int, str], None]]:
    """``update(done, note)`` for ``total`` items (``altool encode``: source rows), with the
    rate, the time left and a short note (e.g. how many came from the cache)."""
    with Progress(TextColumn(f"[bold]{safe(verb)}[/] {{task.description}}"), BarColumn(),
                  MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(safe(what), total=total or None, note="")

        def update(done: int, note: str) -> None:
            bar.update(task, completed=done, note=safe(note))

        yield update
