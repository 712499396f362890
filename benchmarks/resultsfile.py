"""Shared by the benchmark scripts: the machine line and writing one's own RESULTS.md section."""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = ("# Benchmark results\n\nEach benchmark script owns one section, between its markers; "
          "rerun it to refresh that section.\n")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    return f"nproc {os.cpu_count()}; {cpu_name()}; Python {platform.python_version()}"


def busy_note(load: float) -> str:
    """A sentence for a results file when other work shared the machine (``load`` is a load
    average above the core count), else nothing."""
    cores = os.cpu_count() or 1
    return (f" The machine was busy (load average {load:.1f} on {cores} cores): other jobs "
            "shared the cores." if load > cores else "")


def write_section(start: str, end: str, text: str) -> None:
    """Replace (or append) the section between ``start`` and ``end``; the file is re-read right
    before writing, because other scripts own the rest of it. ``text`` includes the markers."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    if start in current and end in current:
        head, rest = current.split(start, 1)
        new = head + text.rstrip("\n") + rest.split(end, 1)[1]
    else:
        new = current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    RESULTS.write_text(new, encoding="utf-8")


def shared_ranks(scores: dict[str, float], decimals: int = 3) -> dict[str, float]:
    """Rank of each score, 1 = highest. Scores equal at ``decimals`` (as the tables show them)
    share the mean of their ranks, so a tie favours none of them, whichever is listed first."""
    shown = {k: round(v, decimals) for k, v in scores.items()}
    return {k: sum(w > v for w in shown.values()) + (sum(w == v for w in shown.values()) + 1) / 2
            for k, v in shown.items()}


def score_at(points: Any, n: int) -> str:
    """The mean score at ``n`` labels of a curve's ``(labels, mean, std)`` points, or "-"."""
    hit = [p[1] for p in points if p[0] == n]
    return f"{hit[0]:.3f}" if hit else "-"


def smoke_or_full(doc: str, full: dict[str, Any], smoke: dict[str, Any]
                  ) -> tuple[dict[str, Any], bool]:
    """Parse a benchmark's command line (``--smoke``: a tiny run that writes no files); the
    configuration to run and whether it is the smoke run. ``doc``'s first line is the help."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, no files written")
    is_smoke = parser.parse_args().smoke
    return (smoke if is_smoke else full), is_smoke


def run_datasets(doc: str, full: dict[str, Any], smoke: dict[str, Any],
                 run: Callable[[str, dict[str, Any]], dict[str, Any] | None],
                 report: Callable[[list[dict[str, Any]], dict[str, Any], float], str],
                 start: str, end: str) -> None:
    """A benchmark's main: the configuration (``--smoke`` or full), ``run(name, cfg)`` per
    dataset in ``cfg["datasets"]`` (None: skipped) with BLAS at one thread, then
    ``report(rows, cfg, minutes)`` printed and, unless smoke, written between the markers."""
    cfg, is_smoke = smoke_or_full(doc, full, smoke)
    from altool.loop.threads import one_thread

    t0 = time.perf_counter()
    with one_thread():
        rows = [row for name in cfg["datasets"] if (row := run(name, cfg)) is not None]
    text = report(rows, cfg, (time.perf_counter() - t0) / 60)
    if not is_smoke:
        write_section(start, end, text)
    print(text)
