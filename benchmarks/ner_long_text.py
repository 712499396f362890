"""Per-key work of ``ner.manual`` on one very long text (about 15,300 spaCy tokens).

Usage::

    python -m benchmarks.ner_long_text [--keys 300] [--before REF]

Builds one text of AG News paragraphs separated by blank lines, about 15,300 tokens (the
longest newsgroup post of the issue's trial), and times in this process what one key costs the
``ner.manual`` app: the key handler (``NerApp.act``) and drawing the 80x24 screen as
prompt_toolkit fragments (what the terminal app does on every key), for cursor moves (right,
down, page down, end/home), shift-selections and a label now and then. ``--before REF`` also
times the code of git ``REF`` (exported under ``benchmarks/.work/``), alternating with this
checkout's, each in a subprocess of its own. Writes the ``ner-long-text`` section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import HERE, SOURCE_DATA, markers, publish
from benchmarks.fast_annotator import code_of
from benchmarks.terminal import measured_on, pct

START, END = markers("ner-long-text")
TOKENS = 15_300
LABELS = ["PER", "ORG", "LOC", "MISC"]
KEYS = ["right"] * 6 + ["down"] * 4 + ["s-right"] * 2 + ["pagedown", "up", "left", "1"]


def long_text() -> str:
    rows = (json.loads(line) for line in (SOURCE_DATA / "ag_news.train.jsonl").open())
    parts, words = [], 0
    for row in rows:
        parts.append(row["text"])
        words += len(row["text"].split()) * 1.2  # spaCy splits punctuation off
        if words > TOKENS:
            break
    return "\n\n".join(parts)


def measure(keys: int) -> dict:
    """Run in a subprocess with the code to time on ``sys.path``: ms per key, by key."""
    import altool

    assert Path(altool.__file__).parents[1] == Path(os.environ["BENCH_CODE"]), altool.__file__
    from altool.io.spans import blank_nlp, tokenize
    from altool.loop.session import Session
    from altool.store import Store
    from altool.ui.app import TeachApp
    from altool.ui.screens import app_for

    task = tokenize(blank_nlp("en"), {"text": long_text()})
    tokens = len(task["tokens"])
    TeachApp._build = lambda self: None  # no terminal: the app's key handler and drawing only
    store = Store(Path(os.environ["BENCH_DB"]))
    session = Session(store, "long", [task], view="ner_manual", labels=LABELS)
    app = app_for(session, "ner.manual · long")
    session.advance()
    app._new_question()
    app.formatted(80, 24)
    rng = random.Random(3)
    out: dict[str, list[float]] = {}
    for i in range(keys):
        key = "end" if i == keys // 2 else "home" if i == keys // 2 + 1 else rng.choice(KEYS)
        t0 = time.perf_counter()
        app.act(key)
        session.advance()
        app._new_question()
        app.formatted(80, 24)
        out.setdefault(key, []).append((time.perf_counter() - t0) * 1000)
    store.close()
    return {"tokens": tokens, "ms": out}


def run(code: Path, keys: int) -> dict:
    db = HERE / ".work" / "ner-long-text.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": f"{code}{os.pathsep}{HERE.parent}", "BENCH_DB": str(db),
           "BENCH_CODE": str(code)}
    res = subprocess.run([sys.executable, "-P", "-m", "benchmarks.ner_long_text", "--measure",
                          str(keys)], env=env, capture_output=True, text=True, check=True,
                         cwd=HERE.parent)
    return json.loads(res.stdout.splitlines()[-1])


def summary(r: dict) -> dict:
    every = [v for vs in r["ms"].values() for v in vs]
    moves = [v for k, vs in r["ms"].items() if k != "1" for v in vs]
    labels = r["ms"].get("1", [0.0])
    return {"n": len(every), "p50": pct(every, 50), "p99": pct(every, 99),
            "moves_p50": pct(moves, 50), "moves_p99": pct(moves, 99),
            "label_p50": pct(labels, 50)}


def fmt(rows: list[tuple[str, dict]], tokens: int, keys: int, before: str | None) -> str:
    table = "\n".join(
        f"| {tag} | {s['p50']:.1f} / {s['p99']:.1f} ms | {s['moves_p50']:.1f} / "
        f"{s['moves_p99']:.1f} ms | {s['label_p50']:.1f} ms |" for tag, s in rows)
    code = f"`{before}` (before) and this checkout (after)" if before else "this checkout"
    return f"""{START}
## `ner.manual` on a {tokens:,}-token text (`benchmarks/ner_long_text.py`)

Measured {measured_on()}.

One text of AG News paragraphs separated by blank lines, {tokens:,} spaCy tokens; {keys} keys
(cursor right/left/up/down, page down, shift-right, end and home once, label 1 now and then),
each timed in-process from the key handler (`NerApp.act`) to the 80x24 screen drawn as
prompt_toolkit fragments. Code: {code}, each in its own process.

| code | every key p50 / p99 | cursor moves and selections p50 / p99 | a label (new span) p50 |
|---|---|---|---|
{table}
{END}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--before", default=None, help="git ref of the code to compare with")
    parser.add_argument("--measure", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print, don't update RESULTS")
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure)))
        return
    versions = ([("before", code_of(args.before))] if args.before else []) + \
        [("after" if args.before else "this", code_of(None))]
    rows, tokens = [], 0
    for tag, code in versions:
        r = run(code, args.keys)
        tokens = r["tokens"]
        rows.append((tag, summary(r)))
        print(tag, json.dumps(rows[-1][1]), flush=True)
    text = fmt(rows, tokens, args.keys, args.before)
    publish(START, END, text, write=not args.no_write)


if __name__ == "__main__":
    main()
