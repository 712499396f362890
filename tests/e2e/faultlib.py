"""Fault-injection trials against the real ``altool textcat.teach`` (and ``ner.manual`` for
``kill -9``), shared by the CI tests (``test_faults.py``, a few trials) and
``python -m benchmarks.reliability`` (50 trials).

Every trial drives the program in a private tmux server (``tmux_driver.Tmux``), reads the
on-screen answer counter (the UI's acknowledgement: "N this session") and the question shown
before each key (its ``meta.id``), injects the fault, then checks the SQLite store: every
acknowledged answer is stored exactly once, no question is stored twice, and a restarted
session never shows a question that was already answered. A trial that breaks a rule raises
:class:`TrialFailure`; :class:`FaultReport` adds up what was acknowledged, found and lost.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from altool.store import Store
from tests.e2e.test_e2e_teach import SMS, status_counts, status_line
from tests.tmux_driver import ALTOOL, Tmux, child_pids, env_for

KEYS = ("a", "x", "x", "Space")
START_TIMEOUT = 90.0  # ner.manual imports spaCy: slow on a busy 2-core machine
QUIT_METHODS = ("q", "C-c", "SIGTERM", "SIGHUP")
SUBTITLE_RE = re.compile(r"^╰.*\bid: ([\w-]+)")


class TrialFailure(AssertionError):
    """A trial broke a durability rule (the message says which)."""


@dataclass
class FaultReport:
    """What the trials of one fault saw, added up."""

    fault: str
    trials: int = 0
    acknowledged: int = 0
    found: int = 0
    lost: int = 0
    duplicated: int = 0
    reasked: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self) -> None:
        if self.failures or self.lost or self.duplicated or self.reasked:
            raise TrialFailure(f"{self.fault}: {self}")


def prepare_home(home: Path) -> None:
    """An ALTOOL_HOME whose database holds the 2,000 SMS texts as source ``sms``."""
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run([ALTOOL, "load", "sms", str(SMS)], env={**os.environ, **env_for(home)},
                   check=True, capture_output=True, timeout=120)


def teach_cmd(dataset: str = "d") -> list[str]:
    return [ALTOOL, "textcat.teach", dataset, "sms", "--label", "spam", "--batch-size", "5"]


def ner_cmd(dataset: str = "d") -> list[str]:
    return [ALTOOL, "ner.manual", dataset, "sms", "--label", "PER,ORG"]


RECIPE_COMMANDS = {"textcat.teach": teach_cmd, "ner.manual": ner_cmd}


def question_id(screen: str) -> str | None:
    """The ``meta.id`` in the question panel's bottom border, if a question is shown."""
    for line in screen.split("\n"):
        match = SUBTITLE_RE.match(line)
        if match:
            return match.group(1)
    return None


def stored_ids(home: Path, dataset: str = "d") -> Counter[str]:
    """How many stored answers each question (``meta.id``) of ``dataset`` has."""
    with Store(home / "altool.db") as store:
        if not store.has_dataset(dataset):
            return Counter()
        return Counter(r["meta"]["id"] for r in store.iter_answers(dataset))


def _wait(tm: Tmux, ok: Callable[[str], object], what: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = tm.screen()
        if ok(screen):
            return screen
        if not tm.alive():
            raise TrialFailure(f"altool exited (status {tm.exit_status()}) waiting for {what}:\n"
                               f"{tm.screen(history=True)}")
        if time.monotonic() > deadline:
            raise TrialFailure(f"timed out waiting for {what}; screen:\n{screen}")
        time.sleep(0.03)


def wait_question(tm: Tmux, answered: int, timeout: float = 20.0) -> str:
    """The ``meta.id`` of the question on screen once ``answered`` answers are acknowledged."""

    def ready(screen: str) -> bool:
        counts = status_counts(screen)
        return question_id(screen) is not None and counts is not None and counts[0] == answered

    return question_id(_wait(tm, ready, f"a question after {answered} answers", timeout)) or ""


def answer(tm: Tmux, keys: list[str]) -> list[str]:
    """Press ``keys`` one per question, each after the previous one is acknowledged; return the
    ids of the questions they answered."""
    shown = []
    for i, key in enumerate(keys):
        shown.append(wait_question(tm, i, START_TIMEOUT if i == 0 else 20.0))
        tm.keys(key, delay=0)
    wait_question(tm, len(keys))
    return shown


def _account(report: FaultReport, home: Path, acked: list[str], shown: list[str],
             before: Counter[str], dataset: str = "d", new_trial: bool = True) -> None:
    """Check the store against what the UI acknowledged, and add it to ``report``."""
    after = stored_ids(home, dataset)
    report.trials += new_trial
    report.acknowledged += len(acked)
    report.found += sum(1 for i in acked if after[i] == 1)
    report.lost += sum(1 for i in acked if after[i] == 0)
    report.duplicated += sum(n - 1 for n in after.values() if n > 1)
    report.reasked += len(set(shown) & set(before))


# -- kill -9 at random moments ------------------------------------------------------------------
def kill9_trials(workdir: Path, trials: int, seed: int = 0,
                 recipe: str = "textcat.teach") -> FaultReport:
    """Run ``trials`` sessions of ``recipe`` on one database, each killed with SIGKILL at a
    random moment: after 0-6 acknowledged answers, sometimes right after one more key press
    (mid-commit)."""
    home = workdir / "home"
    prepare_home(home)
    rng = random.Random(seed)
    report = FaultReport(f"kill -9 during {recipe}")
    for n in range(trials):
        before = stored_ids(home)
        tm = Tmux(workdir / f"kill-{n}")
        try:
            tm.start(RECIPE_COMMANDS[recipe](), env=env_for(home))
            keys = [rng.choice(KEYS) for _ in range(rng.randint(0, 6))]
            shown = answer(tm, keys) if keys else []
            if rng.random() < 0.6:  # one more key, then kill while it may be in flight
                shown.append(wait_question(tm, len(keys), START_TIMEOUT))
                tm.keys(rng.choice(KEYS), delay=0)
                time.sleep(rng.uniform(0.0, 0.05))
            elif not keys:
                shown.append(wait_question(tm, 0, START_TIMEOUT))
            last = tm.screen()
            tm.kill(signal.SIGKILL)
            status = tm.wait_exit(timeout=20)
            if status != 128 + signal.SIGKILL:
                report.failures.append(f"trial {n}: exit status {status}, not 137")
            counts = status_counts(tm.screen()) or status_counts(last) or (0, 0)
            _account(report, home, shown[: counts[0]], shown, before)
        except TrialFailure as err:
            report.failures.append(f"trial {n}: {err}")
        finally:
            tm.close()
    return report


# -- quitting: q, ctrl-c, SIGTERM, a closed terminal --------------------------------------------
def quit_trials(workdir: Path, how: str, trials: int) -> FaultReport:
    """Answer until the model has trained, answer once more, then quit by ``how``: the exit is
    clean (status 0, no traceback; for a closed terminal the process is gone), all answers are
    stored and the model state file is written at exit."""
    home = workdir / "home"
    prepare_home(home)
    model_dir = home / "models"
    report = FaultReport(f"quit with {how}")
    for n in range(trials):
        before = stored_ids(home)
        tm = Tmux(workdir / f"quit-{how}-{n}")
        try:
            tm.start(teach_cmd(), env=env_for(home))
            shown = answer(tm, ["a", "x", "x", "x", "x"])
            _wait(tm, lambda s: re.search(r"\bv\d+\b", status_line(s)), "a trained model", 60)
            shown += [wait_question(tm, 5)]
            tm.keys("x", delay=0)
            wait_question(tm, 6)
            saved_before = {p: p.stat().st_mtime_ns for p in model_dir.rglob("*.joblib")}
            pid = tm.pid()
            _quit(tm, how)
            _wait_gone(pid)
            if how != "SIGHUP":
                status = tm.wait_exit(timeout=30)
                output = tm.screen(history=True)
                if status != 0 or "Traceback" in output:
                    report.failures.append(f"trial {n}: exit status {status}:\n{output}")
            models = {p: p.stat().st_mtime_ns for p in model_dir.rglob("*.joblib")}
            if len(models) != 1 or models == saved_before:
                report.failures.append(f"trial {n}: model state not saved at exit ({models})")
            if (home / "logs" / "crash.log").exists():
                report.failures.append(f"trial {n}: crash.log written")
            _account(report, home, shown, shown, before)
        except TrialFailure as err:
            report.failures.append(f"trial {n}: {err}")
        finally:
            tm.close()
    return report


def _quit(tm: Tmux, how: str) -> None:
    if how in ("q", "C-c"):
        tm.keys(how, delay=0)
    elif how == "SIGTERM":
        tm.kill(signal.SIGTERM)
    elif how == "SIGHUP":  # the terminal goes away: tmux hangs up the pane's processes
        tm.close()
    else:
        raise ValueError(f"unknown way to quit: {how}")


def _wait_gone(pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return
        if ") Z " in stat:  # exited, not yet reaped by its parent
            return
        if time.monotonic() > deadline:
            raise TrialFailure(f"altool (pid {pid}) still running {timeout:.0f}s after quitting")
        time.sleep(0.05)


# -- two sessions on one database ---------------------------------------------------------------
def two_session_trials(workdir: Path, trials: int, same_dataset: bool, seed: int = 0,
                       steps: int = 10) -> FaultReport:
    """Two sessions at once on one database (one dataset, or two): answer in a random
    interleaving; the two screens never show the same question of one dataset at once, both
    quit cleanly, and every acknowledged answer is stored once."""
    home = workdir / "home"
    prepare_home(home)
    rng = random.Random(seed)
    datasets = ("d", "d") if same_dataset else ("d", "e")
    report = FaultReport(f"two sessions, {'same dataset' if same_dataset else 'two datasets'}")
    for n in range(trials):
        before = {name: stored_ids(home, name) for name in set(datasets)}
        tms = [Tmux(workdir / f"two-{n}-{k}") for k in (0, 1)]
        shown: list[list[str]] = [[], []]
        try:
            for tm, name in zip(tms, datasets, strict=True):
                tm.start(teach_cmd(name) + ["--seed", "0"], env=env_for(home))  # same order
            for tm in tms:
                wait_question(tm, 0, START_TIMEOUT)
            for _ in range(steps):
                k = rng.randrange(2)
                now = [wait_question(tm, len(done)) for tm, done in zip(tms, shown, strict=True)]
                if same_dataset and now[0] == now[1]:
                    report.failures.append(f"trial {n}: both sessions show {now[0]}")
                shown[k].append(now[k])
                tms[k].keys(rng.choice(KEYS), delay=0)
            for tm, done in zip(tms, shown, strict=True):
                wait_question(tm, len(done))
                tm.keys("q", delay=0)
            for tm in tms:
                status = tm.wait_exit(timeout=30)
                if status != 0:
                    report.failures.append(f"trial {n}: exit status {status}")
            for k, name in enumerate(datasets):
                _account(report, home, shown[k], shown[k], before[name], name, new_trial=k == 0)
        except TrialFailure as err:
            report.failures.append(f"trial {n}: {err}")
        finally:
            for tm in tms:
                tm.close()
    return report


# -- the model worker dies ----------------------------------------------------------------------
def worker_kill_trials(workdir: Path, trials: int) -> FaultReport:
    """Kill the model worker process with SIGKILL mid-session: the UI warns on one line, keeps
    asking (random order), and stores every answer; the log records the worker's end."""
    home = workdir / "home"
    prepare_home(home)
    report = FaultReport("model worker killed")
    for n in range(trials):
        before = stored_ids(home)
        tm = Tmux(workdir / f"worker-{n}")
        try:
            tm.start(teach_cmd(), env={**env_for(home), "HOME": str(workdir)})
            shown = answer(tm, ["x", "a"])
            workers = [p for p in descendants(tm.pid()) if b"spawn_main" in cmdline(p)]
            if not workers:
                raise TrialFailure("no worker process found")
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            _wait(tm, lambda s: "model worker stopped" in s, "the warning", 30)
            warning = [line for line in tm.lines() if "model worker stopped" in line]
            if warning != ["model worker stopped; random order now. Log: ~/home/logs/worker.log"]:
                report.failures.append(f"trial {n}: warning {warning}")
            for key in ("x", "x", "a"):
                shown.append(wait_question(tm, len(shown)))
                tm.keys(key, delay=0)
            wait_question(tm, len(shown))
            tm.keys("q", delay=0)
            if tm.wait_exit(timeout=30) != 0:
                report.failures.append(f"trial {n}: exit status {tm.exit_status()}")
            _account(report, home, shown, shown, before)
        except TrialFailure as err:
            report.failures.append(f"trial {n}: {err}")
        finally:
            tm.close()
    log = home / "logs" / "worker.log"
    ended = log.read_text().count("worker process ended (exit code -9)") if log.exists() else 0
    if ended != trials:
        report.failures.append(f"worker.log records {ended} worker deaths, not {trials}")
    return report


def cmdline(pid: int) -> bytes:
    """The process's command line (NUL-separated), empty once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def descendants(pid: int) -> list[int]:
    """Pids of every process below ``pid`` (children, their children, ...)."""
    out, todo = [], [pid]
    while todo:
        kids = child_pids(todo.pop())
        out += kids
        todo += kids
    return out
