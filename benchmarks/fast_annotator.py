"""Fast annotators never wait: a paced soak of the real teach UI at a sustained answer rate.

Usage::

    nice python -m benchmarks.fast_annotator [--answers 2000] [--rate 10] \\
        [--views choice,binary,ner] [--before REF]

For each view (``textcat.teach --view choice`` with 4 labels, ``textcat.teach`` binary, and
``ner.teach``) on a 100,000-example source, drives the real program in a private tmux server
(100x30) and answers at exactly ``--rate`` answers per second: a key is due every 1/rate s.
Before each key the script reads the screen; if no question is up (the queue ran dry: the
screen says "Waiting for the next question…"), that is a *wait*: it polls until a question
appears, notes how long that took, and goes on at the same rate from there, as a person would.
Reports waits (count, total, longest), keypress-to-redraw latency p50/p99/max from
``ALTOOL_LATENCY_LOG``, the answers stored and distinct questions (the loop's integrity).

``--before REF`` runs every view twice, alternating, in the same run: first with the code of
git ``REF`` (exported with ``git archive`` under ``benchmarks/.work/``), then with this
checkout's; both run as ``python -P -m altool`` with ``PYTHONPATH`` set to their code. Writes the
``fast-annotator`` section of ``benchmarks/RESULTS.md``. Not a test: targets are reported
as met or missed (0 waits, p99 <= 50 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import HERE, WORK, busy_note, markers, publish
from benchmarks.terminal import (
    TARGET_P99_MS,
    Tmux,
    fresh_home,
    latencies_ms,
    load_source,
    measured_on,
    met,
    pct,
    status_line,
)

START, END = markers("fast-annotator")
TABLE_HEAD = ("| view | code | waits | waited total / longest | latency p50 / p99 / max | "
              "keys > 50 ms | rate kept | stored (distinct) | load | target |\n"
              "|---|---|---|---|---|---|---|---|---|---|")
SOURCE_SIZE = 100_000
LABELS = ("world", "sports", "business", "science")  # the choice view's four labels
ENTITIES = ("PERSON", "ORG")
# ner.teach's cold start: a blank model suggests nothing, so patterns do (common words, so
# that a 300-sentence pool has matches to ask about)
PATTERNS = {"PERSON": ("president", "minister", "he", "she", "i"),
            "ORG": ("company", "bank", "government", "police", "team", "you")}
# what is on screen when a question is up, per view
QUESTION = {"choice": re.compile(r"Which label\?"), "binary": re.compile(r"apply\?"),
            "ner": re.compile(r"highlighted span")}
WAITING = re.compile(r"Waiting for the next question|Getting the first questions ready")


def code_of(ref: str | None) -> Path:
    """The source tree to run: this checkout (``ref`` None), or ``ref`` exported once."""
    root = HERE.parent
    if ref is None:
        return root
    sha = subprocess.run(["git", "-C", str(root), "rev-parse", ref], check=True,
                         capture_output=True, text=True).stdout.strip()
    dest = WORK / f"code-{sha[:12]}"
    if not (dest / "altool" / "__init__.py").exists():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(root), "archive", sha, "altool"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def command(view: str, db: Path, pool_size: int | None = None) -> list[str]:
    """The teach command of ``view`` (answers go into dataset ``fast``)."""
    common = ["--db", str(db)]
    pool = ["--pool-size", str(pool_size)] if pool_size else []
    if view == "ner":
        patterns = db.parent / "patterns.jsonl"
        patterns.write_text("".join(json.dumps({"label": label, "pattern": [{"lower": w}]}) + "\n"
                                    for label, words in PATTERNS.items() for w in words))
        return [*common, "ner.teach", "fast", "src", "--label", ",".join(ENTITIES),
                "--patterns", str(patterns), "--batch-size", "10", "--seed", "0"]
    labels = ",".join(LABELS) if view == "choice" else "interesting"
    extra = ["--view", "choice"] if view == "choice" else []
    return [*common, "textcat.teach", "fast", "src", "--label", labels, *extra, *pool,
            "--batch-size", "10", "--seed", "0"]


def start(view: str, code: Path, source_db: Path, tag: str, pool_size: int | None = None
          ) -> tuple[Tmux, Path, Path]:
    """The program in tmux with a fresh home and a pristine copy of the source database."""
    home, db, log = fresh_home(f"fast-{tag}-{view}-home", source_db)
    env = {"ALTOOL_HOME": str(home), "ALTOOL_LATENCY_LOG": str(log), "PYTHONPATH": str(code)}
    where = subprocess.run([sys.executable, "-P", "-c", "import altool; print(altool.__file__)"],
                           env={**os.environ, **env}, capture_output=True, text=True).stdout
    assert Path(where.strip()).parents[1] == code, f"altool from {where}, not from {code}"
    # -P: the code comes from PYTHONPATH alone (not from the working directory, this checkout)
    return Tmux([sys.executable, "-P", "-m", "altool", *command(view, db, pool_size)], env), \
        db, log


def next_key(view: str, rng: random.Random) -> str:
    """An answer: choice, a label digit (x now and then); binary and ner, x mostly, a 1 in 4."""
    if view == "choice":
        return "x" if rng.random() < 0.1 else str(rng.randint(1, len(LABELS)))
    return "a" if rng.random() < 0.25 else "x"


def paced(tm: Tmux, view: str, answers: int, rate: float, rng: random.Random
          ) -> tuple[list[tuple[int, float]], float]:
    """Send ``answers`` answer keys, one every 1/rate s; before each, wait for a question
    (a wait, noted as (answers sent so far, seconds)). Returns (waits, wall seconds)."""
    question = QUESTION[view]
    gap = 1.0 / rate
    waits: list[tuple[int, float]] = []
    t0 = due = time.perf_counter()
    for sent in range(answers):
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        if not question.search(tm.screen()):
            waited = tm.wait_for(question.pattern, timeout=300, poll=0.01)
            waits.append((sent, waited))
            due = time.perf_counter()  # on at the same rate from here
        tm.keys(next_key(view, rng))
        due += gap
        if sent and sent % 500 == 0:
            print(f"  {sent:,} answers, {len(waits)} waits", flush=True)
    return waits, time.perf_counter() - t0


def picks(db: Path) -> dict:
    """What the answered questions were, in the order answered: picked by the model's
    ranking, a cold start, random fillers (no model yet) or pattern matches; and how many model
    versions each answered pick was behind the newest one answered so far (a deeper queue
    must not mean older questions; counted per ``meta.pick_model``)."""
    con = sqlite3.connect(db)
    metas = [json.loads(c).get("meta") or {} for (c,) in
             con.execute("SELECT content FROM answers ORDER BY id")]
    con.close()
    kinds: dict[str, int] = {}
    behind: list[int] = []
    newest: dict[str, int] = {}  # per model (the encoder model counts its versions anew)
    for meta in metas:
        kind = meta.get("pick") or ("pattern" if meta.get("pattern") else "other")
        kind = kind if kind in ("filler", "cold-start", "pattern") else "model"
        kinds[kind] = kinds.get(kind, 0) + 1
        version, model = meta.get("pick_model_version"), str(meta.get("pick_model"))
        if isinstance(version, int):
            newest[model] = max(newest.get(model, 0), version)
            behind.append(newest[model] - version)
    return {"kinds": kinds, "behind_mean": sum(behind) / max(len(behind), 1),
            "behind_2": sum(b >= 2 for b in behind) / max(len(behind), 1)}


def one_run(view: str, code: Path, tag: str, source_db: Path, answers: int, rate: float,
            pool_size: int | None = None) -> dict:
    tm, db, log = start(view, code, source_db, tag, pool_size)
    rng = random.Random(7)
    try:
        tm.wait_for(QUESTION[view].pattern, timeout=180)
        waits, wall = paced(tm, view, answers, rate, rng)
        time.sleep(1.5)
        final = tm.screen()
    finally:
        tm.quit(timeout=60)
    con = sqlite3.connect(db)
    stored, distinct = con.execute(
        "SELECT COUNT(*), COUNT(DISTINCT task_hash) FROM answers").fetchone()
    con.close()
    lat = latencies_ms(log) if log.exists() else [0.0]
    return {"view": view, "code": tag, "answers": answers, "rate": rate,
            "achieved_rate": answers / wall, "waits": len(waits),
            "wait_total_s": sum(w for _, w in waits),
            "wait_max_s": max((w for _, w in waits), default=0.0),
            "wait_at": [(n, round(w, 2)) for n, w in waits],
            "n": len(lat), "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat),
            "over_50": sum(v > TARGET_P99_MS for v in lat),
            "stored": stored, "distinct": distinct, "load": os.getloadavg()[0],
            "final_status": status_line(final), "picks": picks(db)}


def fmt(results: list[dict], before: str | None, after: str) -> str:
    rows = []
    for r in results:
        ok = r["waits"] == 0 and r["p99_ms"] <= TARGET_P99_MS
        rows.append(
            f"| {r['view']} | {r['code']} | {r['waits']} | {r['wait_total_s']:.1f} / "
            f"{r['wait_max_s']:.2f} s | {r['p50_ms']:.1f} / {r['p99_ms']:.1f} / "
            f"{r['max_ms']:.0f} ms | {r['over_50']} | {r['achieved_rate']:.1f}/s | "
            f"{r['stored']:,} ({r['distinct']:,}) | {r['load']:.1f} | {met(ok)} |")
    where = "\n".join(f"- {r['view']}, {r['code']}: "
                      + (", ".join(f"{w:.1f} s after {n:,}" for n, w in r["wait_at"][:20])
                         or "none")
                      + (" …" if len(r["wait_at"]) > 20 else "") for r in results)
    finals = "\n".join(f"- {r['view']}, {r['code']}: `{r['final_status']}`" for r in results)
    quality = "\n".join(
        f"| {r['view']} | {r['code']} | "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(r["picks"]["kinds"].items()))
        + f" | {r['picks']['behind_mean']:.2f} | {r['picks']['behind_2']:.1%} |"
        for r in results)
    load = max(r["load"] for r in results)
    code = f"`{before}` (before) and this checkout, `{after}` (after), alternating" if before \
        else f"`{after}`"
    return f"""{START}
## Fast annotators never wait (`benchmarks/fast_annotator.py`)

Measured {measured_on()}.{busy_note(load)}

{results[0]['answers']:,} answers per run at a sustained {results[0]['rate']:g} answers/s into the
real program in a 100x30 tmux pane, on a {SOURCE_SIZE:,}-example source (`--batch-size 10`,
`--model auto`, a fresh database each run): `textcat.teach --view choice` with 4 labels (a
label digit, `x` 1 in 10), `textcat.teach` binary and `ner.teach` (labels {', '.join(ENTITIES)},
a patterns file of common words for the cold start)
(`x` mostly, `a` 1 in 4). A *wait*: when an answer is due the screen shows no question (the
queue ran dry); the script waits for one, then goes on at the same rate. Latency: key handler
start to finished redraw (`ALTOOL_LATENCY_LOG`). Code: {code}. Target: 0 waits, p99 <= 50 ms.

{TABLE_HEAD}
{chr(10).join(rows)}

What was asked (the answers' `meta.pick`: the model's ranking, a cold start, random fillers
before the worker's first ranking, pattern matches), and how far behind the newest model
version answered so far each answered pick's model was (`meta.pick_model_version`):

| view | code | answers by pick | versions behind, mean | 2 or more behind |
|---|---|---|---|---|
{quality}

When the waits came (seconds waited, after how many answers):

{where}

Status line at the end:

{finals}
{END}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=10.0, help="answers per second")
    parser.add_argument("--views", default="choice,binary,ner")
    parser.add_argument("--before", default=None, help="git ref of the code to compare with")
    parser.add_argument("--pool-size", type=int, default=None,
                        help="textcat.teach's --pool-size (a small pool: the encoder model "
                        "takes over early in the run)")
    parser.add_argument("--no-write", action="store_true", help="print, don't update RESULTS")
    args = parser.parse_args()
    source_db = WORK / f"soak-source-{SOURCE_SIZE}.db"
    load_source(source_db, "src", SOURCE_SIZE)
    after = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True).stdout.strip()
    versions = [("before", code_of(args.before))] if args.before else []
    versions.append(("after" if args.before else "this", code_of(None)))
    results = []
    for view in args.views.split(","):
        for tag, code in versions:
            print(f"{view}, {tag} ({code}): {args.answers:,} answers at {args.rate:g}/s...",
                  flush=True)
            res = one_run(view, code, tag, source_db, args.answers, args.rate, args.pool_size)
            print(json.dumps({k: v for k, v in res.items() if k != "wait_at"}), flush=True)
            print(f"  waits at: {res['wait_at'][:30]}", flush=True)
            results.append(res)
    text = fmt(results, args.before, after)
    publish(START, END, text, write=not args.no_write)


if __name__ == "__main__":
    main()
