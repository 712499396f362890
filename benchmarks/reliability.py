"""Reliability suites: inject each fault many times into the real program and count answers.

Usage::

    nice python -m benchmarks.reliability [--kill-trials 50] [--ner-kill-trials 50] \
        [--quit-trials 5] [--session-trials 5] [--worker-trials 5]

Runs the trials of ``tests/e2e/faultlib.py`` (the same code as the CI subset in
``tests/e2e/test_faults.py``), then the deterministic fault tests (database problems, fuzzed
input, concurrent writers) with pytest, and writes ``benchmarks/RELIABILITY.md`` from what it
measured.
Needs tmux.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import HERE, busy_note, machine
from tests.e2e.faultlib import (
    QUIT_METHODS,
    FaultReport,
    kill9_trials,
    quit_trials,
    two_session_trials,
    worker_kill_trials,
)

ROOT = HERE.parent
REPORT = HERE / "RELIABILITY.md"
PYTEST_SUITES = {
    "database problems and awkward names": "tests/store/test_db_faults.py",
    "fuzzed input (hypothesis)": "tests/io/test_fuzz_loaders.py",
    "hostile input through the commands (hypothesis)": "tests/io/test_fuzz_cli.py",
    "values JSON or SQLite can't hold, odd files": "tests/io/test_hostile_input.py",
    "terminal escapes in every view": "tests/ui/test_screens_are_terminal_safe.py",
    "datasets: drop during a session, ids, labels, model per database":
        "tests/store/test_dataset_lifecycle.py",
    "db-out failures, re-import": "tests/store/test_export_faults.py",
    "a damaged database": "tests/store/test_damaged_database.py",
    "a locked database under the UI": "tests/ui/test_locked_database.py",
    "-F parsing": "tests/cli/test_recipe_files.py",
    "model files": "tests/models/test_model_files.py",
    "claims and concurrent writers (library level)": "tests/loop/test_claims.py",
    "schema migrations": "tests/store/test_store_migrations.py",
}
FUZZ_EXAMPLES = 400  # hypothesis cases per property test in the fuzz suites

INJECTED = {
    "kill": "`kill -9` of the process after 0-6 acknowledged answers; in 60% of trials one "
            "more key is pressed and the kill follows 0-50 ms later (mid-commit)",
    "q": "the `q` key", "C-c": "Ctrl-C (`tmux send-keys C-c`)",
    "SIGTERM": "`kill -TERM` of the process", "SIGHUP": "the terminal closes (`tmux kill-server`)",
    "same": "two tmux sessions, same dataset and `--seed 0` (identical question order), "
            "answering in a random interleaving",
    "two": "two tmux sessions on two datasets of one database, random interleaving",
    "worker": "`kill -9` of the model worker child process after 2 answers",
}


def run_pytest(path: str) -> tuple[int, int, str, int]:
    """Run one test file; return (passed, failed, summary line, hypothesis cases run)."""
    env = {**os.environ, "ALTOOL_FUZZ_EXAMPLES": str(FUZZ_EXAMPLES)}
    result = subprocess.run([sys.executable, "-m", "pytest", path, "-q", "-p", "no:cacheprovider",
                             "--hypothesis-show-statistics"],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    lines = result.stdout.strip().splitlines()
    summary = next((line for line in reversed(lines) if " in " in line and
                    ("passed" in line or "failed" in line)), result.stderr)
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", summary))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", summary))
    cases = sum(int(n) for n in re.findall(r"- (\d+) passing(?: examples)?,", result.stdout))
    return passed, failed, summary, cases


def row(report: FaultReport, injected: str) -> str:
    ok = "yes" if not (report.failures or report.lost or report.duplicated or report.reasked) \
        else "**NO**"
    return (f"| {report.fault} | {injected} | {report.trials} | {report.acknowledged} | "
            f"{report.found} | {report.lost} | {report.duplicated} | {report.reasked} | {ok} |")


def write_report(reports: list[tuple[FaultReport, str]],
                 suites: dict[str, tuple[int, int, str, int]],
                 args: argparse.Namespace, minutes: float) -> None:
    REPORT.write_text(report_text(reports, suites, args, minutes), encoding="utf-8")
    print(f"wrote {REPORT}")


def report_text(reports: list[tuple[FaultReport, str]],
                suites: dict[str, tuple[int, int, str, int]],
                args: argparse.Namespace, minutes: float) -> str:
    """RELIABILITY.md, from what the trials and the suites measured."""
    load = os.getloadavg()
    options = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items())
    failures = "\n".join(f"- {r.fault}: {f}" for r, _ in reports for f in r.failures[:5])
    suite_rows = "\n".join(f"| {name} | `{PYTEST_SUITES[name]}` | {p} | {f} | "
                           f"{cases:,} |" if cases else
                           f"| {name} | `{PYTEST_SUITES[name]}` | {p} | {f} | - |"
                           for name, (p, f, _, cases) in suites.items())
    fuzz_cases = sum(s[3] for s in suites.values())
    return f"""# Reliability

Written by `benchmarks/reliability.py` from what it measured
({time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}; load average {load[0]:.1f} /
{load[1]:.1f} / {load[2]:.1f} when written; the suites took {minutes:.1f} min).
{busy_note(load[1]).strip()}

## Faults injected into the running program

Each trial drives the real program (`altool textcat.teach --label spam --batch-size 5`, or
`altool ner.manual --label PER,ORG`, on 2,000 SMS texts) in a private tmux server. An answer
counts as **acknowledged** when the on-screen counter ("N this session") showed it; the
question's `meta.id` is read from the screen before each key.
After each trial the store is checked: **found** = acknowledged answers stored exactly once,
**lost** = acknowledged answers missing, **duplicated** = extra rows for one question,
**re-asked** = questions shown that an earlier trial had already answered. All trials of one
fault share one database, so every restart must resume without re-asking.

| fault | how injected | trials | acknowledged | found | lost | duplicated | re-asked | ok |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(row(r, how) for r, how in reports)}

Quitting checks also: exit status 0 and no traceback (for a closed terminal: the process is
gone, no `crash.log`), and the model state file under `ALTOOL_HOME/models` was rewritten at exit.
The worker trials check the one-line warning on screen and the line in `logs/worker.log`.

{"Failures:" + chr(10) + failures if failures else "No trial failed."}

## Deterministic fault tests

| suite | file | passed | failed | hypothesis cases |
|---|---|---|---|---|
{suite_rows}

{fuzz_cases:,} generated cases ran in the property tests ({FUZZ_EXAMPLES} per test, or fewer when
hypothesis ran out of distinct inputs).

These cover: a file that is not SQLite, a database written by a newer altool (schema version in
the database; older ones are migrated), a read-only database file (`chattr +i` when run as
root), a full disk (`RLIMIT_FSIZE` on `altool load`, and `PRAGMA max_page_count` on the store):
each gives a clear message, exit code 1 and leaves no partial source or dataset. Names with
quotes, spaces, Unicode and SQL metacharacters round-trip; bad names are refused with the rule.
Every loader and `db-in` are fuzzed with hypothesis (invalid JSON, non-objects, missing or
non-string or empty text, NUL bytes, invalid UTF-8, BOM, CRLF, bad and overlapping spans,
arbitrary bytes, a 10 MB line, an empty file). The commands themselves (`load`, `db-in`, then
`db-out`, `stats`, `stats --json`, `print-dataset`, `review`, `textcat.manual`) run on hostile
names, labels, texts and meta (ESC sequences, BEL, C1 controls, DEL, NUL, CR, bidi overrides,
line separators, Rich markup, bytes that are not UTF-8): each either stores everything, and
`db-out` gives it back field for field, or exits 1 with a located message and nothing stored;
no output byte a terminal would act on comes from the data. The escape surfaces checked: every
command's messages and tables, Click's usage errors, progress bars, and the binary, choice,
text, review, ner and ner_manual screens (text, labels, meta, spans, title, versions).
NaN, Infinity, 1e999, integers of more than 4,300 digits and hashes beyond 64 bits are refused
with FILE:LINE; CR-only files, gzip files, a CSV named .jsonl, a damaged database (`altool
check`), a database locked by another process under the UI, `drop` during a session, a
re-import of the same file and concurrent model saves each have their own tests.

## Reproduce

    nice python -m benchmarks.reliability  # all suites, ~{minutes:.0f} min; rewrites this file
    python -m pytest tests/e2e/test_faults.py tests/store tests/io tests/ui \\
        tests/loop/test_claims.py -q           # the same suites, fewer cases (as in CI)

Options used for this run: `{options}`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kill-trials", type=int, default=50)
    parser.add_argument("--ner-kill-trials", type=int, default=50)
    parser.add_argument("--quit-trials", type=int, default=5)
    parser.add_argument("--session-trials", type=int, default=5)
    parser.add_argument("--worker-trials", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed")
    os.environ.setdefault("ALTOOL_HOME", tempfile.mkdtemp(prefix="altool-reliability-"))
    t0 = time.perf_counter()
    reports: list[tuple[FaultReport, str]] = []
    with tempfile.TemporaryDirectory(prefix="altool-faults-") as tmp:
        work = Path(tmp)

        def run(name: str, how: str, fn, *fn_args, **kwargs) -> None:
            print(f"{name}...", flush=True)
            report = fn(work / name, *fn_args, **kwargs)
            print(f"  {report}", flush=True)
            reports.append((report, INJECTED[how]))

        run("kill", "kill", kill9_trials, args.kill_trials, seed=0)
        if args.ner_kill_trials:
            run("kill-ner", "kill", kill9_trials, args.ner_kill_trials, seed=1,
                recipe="ner.manual")
        for how in QUIT_METHODS:
            run(f"quit-{how}", how, quit_trials, how, args.quit_trials)
        run("same", "same", two_session_trials, args.session_trials, True)
        run("two", "two", two_session_trials, args.session_trials, False)
        run("worker", "worker", worker_kill_trials, args.worker_trials)
    suites = {}
    for name, path in PYTEST_SUITES.items():
        print(f"pytest {path}...", flush=True)
        suites[name] = run_pytest(path)
        print(f"  {suites[name][2]}", flush=True)
    write_report(reports, suites, args, (time.perf_counter() - t0) / 60)


if __name__ == "__main__":
    main()
