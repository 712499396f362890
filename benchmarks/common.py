"""Shared by the benchmark scripts: the machine line, writing one's own RESULTS.md section,
the datasets and their pools, the files of unique texts built from them, and shared formatting.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from altool.simulate import read_labelled, subsample

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"  # generated data and saved runs (gitignored)
RESULTS = HERE / "RESULTS.md"
HEADER = ("# Benchmark results\n\nEach benchmark script owns one section, between its markers; "
          "rerun it to refresh that section.\n")

# the shared labelled datasets (``NAME.train.jsonl`` / ``NAME.test.jsonl``), beside the repo
DATA = HERE.parents[1] / "shared" / "datasets" / "jsonl"
DATASETS = ("ag_news", "trec", "sst2", "sms_spam", "banking77", "clinc150")
# held-out pools: no setting of altool's (stop criterion, default strategy) was chosen on them
POOL_SEED, TEST_SEED, RUN_SEED = 101, 102, 10  # not the calibration's (0, 1, 0)
# the texts of the files of unique lines (``data_file``); ALTOOL_BENCH_DATASETS overrides
SOURCE_DATA = Path(os.environ.get("ALTOOL_BENCH_DATASETS", DATA))
CORPORA = ("ag_news", "sst2", "trec", "sms_spam", "banking77", "clinc150")


def log(msg: str) -> None:
    print(msg, flush=True)


# -- the machine and RESULTS.md --------------------------------------------------------------
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


def markers(section: str) -> tuple[str, str]:
    """The start and end markers of a RESULTS.md section."""
    return f"<!-- {section}:start -->", f"<!-- {section}:end -->"


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


def publish(start: str, end: str, text: str, write: bool = True) -> None:
    """Print a benchmark's section and, with ``write``, put it into RESULTS.md."""
    print(text)
    if write:
        write_section(start, end, text)
        print(f"updated {RESULTS}")


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


# -- datasets and pools ----------------------------------------------------------------------
def load(name: str, max_gold: int | None, max_test: int | None, *, gold_seed: int = 0,
         test_seed: int = 0) -> tuple[list, list] | None:
    """GOLD (one copy per text) and TEST rows of ``name``, random subsets drawn with the given
    seeds; None if the dataset is missing."""
    train, test = DATA / f"{name}.train.jsonl", DATA / f"{name}.test.jsonl"
    if not train.exists() or not test.exists():
        return None
    gold, seen = [], set()
    for eg in read_labelled(str(train)):  # one copy per text, as simulate's pool keeps
        if eg["text"] not in seen:
            seen.add(eg["text"])
            gold.append(eg)
    return (subsample(gold, max_gold, seed=gold_seed),
            subsample(read_labelled(str(test)), max_test, seed=test_seed))


def read_one_label(path: Path, field: str = "label") -> tuple[list[dict[str, str]], int]:
    """``{"text", "label"}`` rows of a JSONL file whose ``field`` holds exactly one label (a
    string, an integer, or a list of one: a multi-label set's single-label rows), and the
    number of rows read."""
    rows, read = [], 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            read += 1
            eg = json.loads(line)
            value = eg.get(field)
            if isinstance(value, list):
                value = value[0] if len(value) == 1 else None
            if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                rows.append({"text": eg["text"], "label": str(value)})
    return rows, read


def unique_texts(rows: list[dict]) -> list[dict]:
    """The first row of each text (simulate's pool keeps one copy per input)."""
    seen: set[str] = set()
    out = []
    for eg in rows:
        if eg["text"] not in seen:
            seen.add(eg["text"])
            out.append(eg)
    return out


def heldout_pools(name: str, max_gold: int, max_test: int) -> tuple[list, list] | None:
    """GOLD and TEST rows of ``name`` drawn with the held-out seeds (None if it is missing):
    pools no setting of the criterion or the default strategy was chosen on."""
    train, test = DATA / f"{name}.train.jsonl", DATA / f"{name}.test.jsonl"
    if not train.exists():
        print(f"{name}: not found under {DATA}, skipped", file=sys.stderr)
        return None
    return (subsample(read_labelled(str(train)), max_gold, seed=POOL_SEED),
            subsample(read_labelled(str(test)), max_test, seed=TEST_SEED))


# -- files of unique texts (the sources of the program benchmarks and the timing pool) -------
def base_texts() -> list[tuple[str, str]]:
    """(text, label) pairs of the real training sets, in a fixed order."""
    out: list[tuple[str, str]] = []
    for name in CORPORA:
        path = SOURCE_DATA / f"{name}.train.jsonl"
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    eg = json.loads(line)
                    out.append((eg["text"].strip(), f"{name}:{eg.get('label')}"))
    return [(t, label) for t, label in out if t]


def data_file(n: int) -> Path:
    """A JSONL file of ``n`` unique examples (built once, deterministically)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"texts-{n}.jsonl"
    stamp = path.with_suffix(".ok")
    if path.exists() and stamp.exists() and stamp.read_text() == str(n):
        return path
    print(f"building {path.relative_to(HERE.parent)} ({n:,} lines)...", flush=True)
    texts = base_texts()
    rng = random.Random(n)
    order = list(range(len(texts)))
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for i in range(n):
            if i % len(texts) == 0:
                rng.shuffle(order)
            text, label = texts[order[i % len(texts)]]
            row = {"text": f"{text} #{i}", "label": label}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)
    stamp.write_text(str(n))
    return path


def fresh(path: Path) -> Path:
    """``path`` with any SQLite database there (and its -wal, -shm files) removed."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return path


# -- shared formatting -----------------------------------------------------------------------
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


def crossing(points: Any, mark: float) -> float | None:
    """Labels where a mean curve of ``(labels, mean, ...)`` points first reaches ``mark``,
    interpolated linearly between the checkpoint that reaches it and the one before (as
    label_efficiency.py reads labels to 95%); None if it never does."""
    from altool.simulate import labels_to_reach

    curve = sorted((p[0], p[1]) for p in points)
    n = labels_to_reach(curve, mark)
    if n is None:
        return None
    i = [x for x, _ in curve].index(n)
    if i == 0:
        return float(n)
    (n0, m0), (_, m1) = curve[i - 1], curve[i]
    return n0 + (n - n0) * (mark - m0) / (m1 - m0)


def l95(s: dict) -> int | None:
    """A strategy's labels to 95% of the full-data score (simulate's JSON), or None."""
    return s["labels_to"].get("0.95")


def last_labels(s: dict) -> int:
    """The label count of a strategy's last point (past the budget if it ran on)."""
    return max(p[0] for p in s["points"])


def fmt_l95(s: dict) -> str:
    """Labels to 95% of the full-data score, or ``>n`` (n = the last label count)."""
    n = l95(s)
    return f"{n:,}" if n is not None else f">{last_labels(s):,}"
