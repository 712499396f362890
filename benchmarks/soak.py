"""Soak run: 10,000 scripted answers in one ``textcat.teach`` session on a 1M-example source.

Usage::

    nice python -m benchmarks.soak [--answers 10000] [--source-size 1000000]

Drives the real program in tmux with ``benchmarks/terminal.py``'s helpers, as core.py does (keys
50-100 ms apart, ``x`` mostly, ``a`` about one in four; before each key the screen must show a
question, else the script waits like a person would). Records keypress-to-redraw latency from
``ALTOOL_LATENCY_LOG`` per window of 1,000 answers, the resident memory of the UI process and of
the worker child every 500 answers, and counts the stored answers at the end. Writes its section
of ``benchmarks/RESULTS.md`` (``<!-- soak:start -->`` .. ``<!-- soak:end -->``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import time
from pathlib import Path

from benchmarks.common import RESULTS, WORK, busy_note, write_section
from benchmarks.terminal import (
    QUESTION,
    TARGET_P99_MS,
    Tmux,
    latencies_ms,
    load_source,
    measured_on,
    next_answer,
    pct,
    session_count,
    status_line,
    teach_session,
)
from tests.e2e.faultlib import cmdline, descendants

START, END = "<!-- soak:start -->", "<!-- soak:end -->"
WINDOW = 1_000
MEMORY_EVERY = 500


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def find_processes(tm: Tmux) -> tuple[int, int | None]:
    """Pids of the UI process (``textcat.teach`` on its command line) and its worker child."""
    pane = int(tm.tmux("list-panes", "-t", "s", "-F", "#{pane_pid}").strip())
    ui = next(p for p in [pane, *descendants(pane)] if b"textcat.teach" in cmdline(p))
    worker = next((p for p in descendants(ui) if b"spawn_main" in cmdline(p)
                   and b"resource_tracker" not in cmdline(p)), None)
    return ui, worker


def soak(answers: int, source_size: int) -> dict:
    source_db = WORK / f"soak-source-{source_size}.db"
    load_source(source_db, "src", source_size)
    tm, run_db, log = teach_session("soak", source_db, "src", "soak")
    rng = random.Random(11)
    try:
        tm.wait_for(QUESTION.pattern, timeout=120)
        time.sleep(1.0)
        ui, worker = find_processes(tm)
        print(f"soak: {answers:,} answers on a {source_size:,}-example source "
              f"(UI pid {ui}, worker pid {worker})...", flush=True)
        memory, stalls, duration = answer_and_watch(tm, rng, answers, ui, worker)
        final = tm.screen()
    finally:
        tm.quit(timeout=60)
    res = soak_figures(run_db, log, answers, source_size, memory, stalls, duration, final)
    print(json.dumps(res, indent=2))
    return res


def answer_and_watch(tm: Tmux, rng: random.Random, answers: int, ui: int, worker: int | None
                     ) -> tuple[list[tuple[int, float, float]], list[float], float]:
    """Answer until the screen counts ``answers``, noting the memory of both processes every
    MEMORY_EVERY answers: ((answers, UI MB, worker MB) rows, stalls, wall seconds)."""
    memory = [(0, rss_mb(ui), rss_mb(worker) if worker else 0.0)]
    stalls: list[float] = []
    t_start = time.perf_counter()
    answered = 0
    while answered < answers:
        for _ in range(min(answers - answered, MEMORY_EVERY)):
            tm.keys(next_answer(tm, rng, stalls))
            time.sleep(rng.uniform(0.05, 0.10))
        time.sleep(1.0)
        answered = session_count(tm.screen()) or answered
        worker_mb = rss_mb(worker) if worker and Path(f"/proc/{worker}").exists() else 0.0
        memory.append((answered, rss_mb(ui), worker_mb))
        print(f"  {answered:,} answers, UI {memory[-1][1]:.0f} MB, worker {worker_mb:.0f} MB",
              flush=True)
    return memory, stalls, time.perf_counter() - t_start


def soak_figures(run_db: Path, log: Path, answers: int, source_size: int,
                 memory: list[tuple[int, float, float]], stalls: list[float], duration: float,
                 final: str) -> dict:
    """The soak run's figures, from the store, the latency log and the last screen."""
    con = sqlite3.connect(run_db)
    stored = con.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    distinct = con.execute("SELECT COUNT(DISTINCT task_hash) FROM answers").fetchone()[0]
    con.close()
    lat = latencies_ms(log)
    windows = [lat[i : i + WINDOW] for i in range(0, len(lat), WINDOW)]
    return {
        "answers": answers,
        "source_size": source_size,
        "stored": stored,
        "distinct_tasks": distinct,
        "n": len(lat),
        "p50_ms": pct(lat, 50),
        "p99_ms": pct(lat, 99),
        "max_ms": max(lat),
        "window_p99_ms": [round(pct(w, 99), 1) for w in windows if w],
        "memory": memory,
        "stalls": len(stalls),
        "stall_total_s": sum(stalls),
        "duration_s": duration,
        "load": os.getloadavg()[1],
        "final_status": status_line(final),
    }


def fmt(r: dict) -> str:
    mem = r["memory"]
    early = next((m for m in mem if m[0] >= 1000), mem[0])
    ui_max = max(m[1] for m in mem)
    worker_max = max(m[2] for m in mem)
    ok_p99 = max(r["window_p99_ms"]) <= TARGET_P99_MS
    windows = ", ".join(f"{v:.0f}" for v in r["window_p99_ms"])
    rows = "\n".join(f"| {a:,} | {u:.0f} | {w:.0f} |" for a, u, w in mem)
    return f"""{START}
## Soak (`benchmarks/soak.py`)

Measured {measured_on()}.{busy_note(r['load'])}

{r['answers']:,} scripted answers in one `textcat.teach --batch-size 10` session on a
{r['source_size']:,}-example source, keys 50-100 ms apart, in a 100x30 tmux pane.

| figure | value |
|---|---|
| answers stored at the end | {r['stored']:,} ({r['distinct_tasks']:,} distinct questions) |
| key presses timed | {r['n']:,} |
| latency p50 / p99 / max, whole run | {r['p50_ms']:.1f} / {r['p99_ms']:.1f} / \
{r['max_ms']:.1f} ms |
| p99 per 1,000 answers (target <= {TARGET_P99_MS:.0f} ms in every window) | {windows} ms: \
{"**met**" if ok_p99 else "**MISSED**"} |
| UI process memory (RSS): at start / after 1,000 / max / at the end | {mem[0][1]:.0f} / \
{early[1]:.0f} / {ui_max:.0f} / {mem[-1][1]:.0f} MB |
| worker process memory (RSS): at start / after 1,000 / max / at the end | {mem[0][2]:.0f} / \
{early[2]:.0f} / {worker_max:.0f} / {mem[-1][2]:.0f} MB |
| stalls (queue ran dry, annotator waited) | {r['stalls']} (total {r['stall_total_s']:.1f} s) |
| wall time | {r['duration_s'] / 60:.1f} min |
| final status line | `{r['final_status']}` |

<details><summary>memory every {MEMORY_EVERY} answers (answers, UI MB, worker MB)</summary>

| answers | UI MB | worker MB |
|---|---|---|
{rows}

</details>
{END}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--source-size", type=int, default=1_000_000)
    args = parser.parse_args()
    result = soak(args.answers, args.source_size)
    write_section(START, END, fmt(result))
    print(f"updated {RESULTS}")


if __name__ == "__main__":
    main()
