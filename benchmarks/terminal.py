"""Shared by the benchmarks that drive the real ``altool`` program in a terminal (core.py,
soak.py, ner_latency.py): the executable, a private tmux server, loading a source into a
database, reading the screen, percentiles of the latencies and the machine line they write.
"""

from __future__ import annotations

import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import WORK, data_file, fresh, machine

VENV_BIN = Path(sys.executable).parent
ALTOOL = str(VENV_BIN / "altool") if (VENV_BIN / "altool").exists() else "altool"
QUESTION = re.compile(r"apply\?")
TARGET_P99_MS = 50.0  # keypress to next question in textcat.teach


class Tmux:
    """One private tmux server running one program in a 100x30 window."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.socket = f"altool-bench-{os.getpid()}"
        argv = ["env", *(f"{k}={v}" for k, v in env.items()), *command]
        self.started = time.perf_counter()
        self.tmux("new-session", "-d", "-s", "s", "-x", "100", "-y", "30",
                  " ".join(_quote(a) for a in argv))

    def tmux(self, *args: str, check: bool = True) -> str:
        res = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        if check and res.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {res.stderr.strip()}")
        return res.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "s", check=False)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "s", *keys)

    def alive(self) -> bool:
        res = subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", "s"],
                             capture_output=True)
        return res.returncode == 0

    def wait_for(self, pattern: str, timeout: float = 60.0, poll: float = 0.01) -> float:
        """Seconds until the screen matches ``pattern`` (regex); raise on timeout."""
        rx = re.compile(pattern)
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if rx.search(self.screen()):
                return time.perf_counter() - start
            time.sleep(poll)
        raise TimeoutError(f"screen never showed {pattern!r}; last screen:\n{self.screen()}")

    def quit(self, timeout: float = 20.0) -> None:
        if self.alive():
            self.keys("q")
        end = time.perf_counter() + timeout
        while self.alive() and time.perf_counter() < end:
            time.sleep(0.05)
        self.tmux("kill-server", check=False)


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def session_count(screen: str) -> int | None:
    """The "N this session" answer count of the status line, or None."""
    m = re.search(r"(\d+) this session", screen)
    return int(m.group(1)) if m else None


def status_line(screen: str) -> str:
    """The status line (where the model is), or ""."""
    return next((line.strip() for line in screen.splitlines() if "this session" in line), "")


def load_source(db: Path, name: str, n: int) -> None:
    """Store ``n`` examples under source ``name`` in ``db`` (setup, not timed)."""
    if db.exists():
        con = sqlite3.connect(db)
        try:
            row = con.execute(
                "SELECT COUNT(*) FROM examples e JOIN sources s ON s.id = e.source_id "
                "WHERE s.name = ?", (name,)).fetchone()
        except sqlite3.DatabaseError:
            row = (0,)
        con.close()
        if row[0] == n:
            return
    fresh(db)
    print(f"setup: altool load {name} ({n:,} lines) into {db.name}...", flush=True)
    subprocess.run([ALTOOL, "--db", str(db), "load", name, str(data_file(n))], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def latencies_ms(log: Path) -> list[float]:
    """The keypress latencies the program wrote to ``ALTOOL_LATENCY_LOG``, in ms."""
    return [float(x) * 1000 for x in log.read_text().split()]


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def met(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def measured_on() -> str:
    """When and where: the date, the machine, SQLite, the OS and the load average now."""
    load = os.getloadavg()[0]
    return (f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}; "
            f"SQLite {sqlite3.sqlite_version}; {platform.system()} {platform.release()}; "
            f"1-min load average when written {load:.1f}")


def fresh_home(name: str, source_db: Path) -> tuple[Path, Path, Path]:
    """A fresh ``ALTOOL_HOME`` (``WORK/NAME``) with a pristine copy of ``source_db`` (no
    answers from an earlier run): (the home, its database, the keypress latency log's path)."""
    home = WORK / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    db = fresh(home / "altool.db")
    shutil.copy(source_db, db)
    return home, db, home / "latency.log"


def teach_session(name: str, source_db: Path, source: str, dataset: str, model: str = "auto"
                  ) -> tuple[Tmux, Path, Path]:
    """``altool textcat.teach --batch-size 10 --model MODEL`` on ``source`` in a private tmux
    server, with a fresh ``ALTOOL_HOME`` (``WORK/NAME-home``), a pristine copy of ``source_db``
    (no answers from an earlier run) and the keypress latencies logged: (tmux, its database,
    the log)."""
    home, run_db, log = fresh_home(f"{name}-home", source_db)
    cmd = [ALTOOL, "--db", str(run_db), "textcat.teach", dataset, source,
           "--label", "interesting", "--batch-size", "10", "--seed", "0", "--model", model]
    return Tmux(cmd, {"ALTOOL_HOME": str(home), "ALTOOL_LATENCY_LOG": str(log)}), run_db, log


def next_answer(tm: Tmux, rng: random.Random, stalls: list[float]) -> str:
    """The next answer key (``x`` mostly, ``a`` about one in four), once a question is up: if
    the queue ran dry, first wait for one as a person would (the wait goes into ``stalls``)."""
    key = "a" if rng.random() < 0.25 else "x"
    if not QUESTION.search(tm.screen()):
        stalls.append(tm.wait_for(QUESTION.pattern, timeout=120, poll=0.02))
    return key


def latency_rows(r: dict, target_ms: float) -> str:
    """The p50, p90, p99 (against the target), max and mean rows of a keypress latency table."""
    return f"""| p50 | {r['p50_ms']:.1f} ms |
| p90 | {r['p90_ms']:.1f} ms |
| p99 (target <= {target_ms:.0f} ms) | {r['p99_ms']:.1f} ms: {met(r['p99_ms'] <= target_ms)} |
| max | {r['max_ms']:.1f} ms |
| mean | {r['mean_ms']:.1f} ms |"""
