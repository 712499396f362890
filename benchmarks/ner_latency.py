"""Keypress latency of ``altool ner.manual`` on 200-token texts (target: p99 <= 30 ms).

Usage::

    python -m benchmarks.ner_latency [--keys 600]

Starts the real ``altool ner.manual`` in a private tmux server (resized to 80x24) on texts of
exactly 200 spaCy tokens built from AG News, with a patterns file so spans are pre-highlighted,
and sends keys 50-100 ms apart: mostly cursor moves, shift-selections and labels, some
deletes, and ``a`` (store the spans, next text) every 50 keys. Latency per key comes from
``ALTOOL_LATENCY_LOG`` (key handler start to finished redraw, in-process), as in
``core.py``'s latency benchmark, with the same tmux helpers (``benchmarks/terminal.py``). Also
times the pure screen rendering of the same text in this process. Rewrites the ``ner-latency``
section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time

from benchmarks.common import RESULTS, SOURCE_DATA, WORK, busy_note, fresh, write_section
from benchmarks.terminal import ALTOOL, Tmux, latencies_ms, latency_rows, measured_on, pct

TARGET_P99_MS = 30.0
TOKENS = 200
TEXTS = 15
IDLE_S = 5.0
KEYS_PER_TEXT = 50
LABELS = "PER,ORG,LOC,MISC"
PATTERNS = [
    {"label": "ORG", "pattern": [{"lower": "reuters"}]},
    {"label": "ORG", "pattern": [{"lower": "ap"}]},
    {"label": "LOC", "pattern": [{"lower": {"IN": ["iraq", "us", "u.s.", "china", "london"]}}]},
    {"label": "MISC", "pattern": [{"lower": {"IN": ["monday", "tuesday", "wednesday",
                                                    "thursday", "friday"]}}]},
]
NER_WORK = WORK / "ner-latency"
START, END = "<!-- ner-latency:start -->", "<!-- ner-latency:end -->"


def texts_of_200_tokens(n: int) -> list[str]:
    """``n`` texts of exactly ``TOKENS`` tokens (spaCy's English tokenizer), AG News joined."""
    import spacy

    nlp = spacy.blank("en")
    path = SOURCE_DATA / "ag_news.train.jsonl"
    out: list[str] = []
    buffer = ""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            buffer = f"{buffer} {json.loads(line)['text'].strip()}".strip()
            doc = nlp.make_doc(buffer)
            if len(doc) >= TOKENS:
                out.append(doc[:TOKENS].text)
                buffer = ""
                if len(out) == n:
                    return out
    raise SystemExit(f"{path}: not enough text for {n} texts of {TOKENS} tokens")


def key_script(n_keys: int, rng: random.Random) -> list[str]:
    """What an annotator does on a long text: move, select, label, delete, accept."""
    keys = []
    for i in range(1, n_keys + 1):
        if i % KEYS_PER_TEXT == 0:
            keys.append("a")
            continue
        r = rng.random()
        keys.append("Right" if r < 0.5 else "Left" if r < 0.6 else "S-Right" if r < 0.75
                    else rng.choice("1234") if r < 0.9 else "Down" if r < 0.95 else "d")
    return keys


def render_times(text: str, reps: int = 200) -> list[float]:
    """Milliseconds to render the ner.manual screen of ``text`` at 80x24, in this process."""
    from altool.io.spans import blank_nlp, tokenize
    from altool.loop.session import Session
    from altool.store import Store
    from altool.ui.ner import NerViewState, render_ner_screen
    from altool.ui.span_editor import Editor

    store = Store(fresh(NER_WORK / "render.db"))
    task = tokenize(blank_nlp("en"), {"text": text})
    session = Session(store, "render", [task], view="ner_manual", labels=LABELS.split(","))
    session.advance()
    state = NerViewState(editor=Editor.from_task(task))
    out = []
    for i in range(reps):
        state.editor = state.editor.move(1, extend=i % 3 == 0)
        t0 = time.perf_counter()
        render_ner_screen(session, state, 80, 24, "ner.manual")
        out.append((time.perf_counter() - t0) * 1000)
    store.close()
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (from /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench(n_keys: int) -> dict:
    shutil.rmtree(NER_WORK, ignore_errors=True)
    NER_WORK.mkdir(parents=True)
    texts = texts_of_200_tokens(TEXTS)
    source = NER_WORK / "texts.jsonl"
    source.write_text("".join(json.dumps({"text": t, "meta": {"id": i}}) + "\n"
                              for i, t in enumerate(texts)), encoding="utf-8")
    patterns = NER_WORK / "patterns.jsonl"
    patterns.write_text("".join(json.dumps(p) + "\n" for p in PATTERNS), encoding="utf-8")
    home = NER_WORK / "home"
    home.mkdir()
    log = home / "latency.log"
    cmd = [ALTOOL, "ner.manual", "bench", str(source), "--label", LABELS, "--patterns",
           str(patterns)]
    load_before = os.getloadavg()[0]
    tm = Tmux(cmd, {"ALTOOL_HOME": str(home), "ALTOOL_LATENCY_LOG": str(log)})
    rng = random.Random(7)
    try:
        tm.tmux("resize-window", "-t", "s", "-x", "80", "-y", "24")
        tm.wait_for(r"token 1/\d+", timeout=120)
        pid = int(tm.tmux("list-panes", "-t", "s", "-F", "#{pane_pid}").strip())
        time.sleep(0.5)
        idle_cpu, t_idle = cpu_seconds(pid), time.perf_counter()
        time.sleep(IDLE_S)  # the UI redraws 4 times a second even without keys
        idle_rate = (cpu_seconds(pid) - idle_cpu) / (time.perf_counter() - t_idle)
        keys = key_script(n_keys, rng)
        print(f"sending {len(keys)} keys 50-100 ms apart...", flush=True)
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        for key in keys:
            tm.keys(key)
            time.sleep(rng.uniform(0.05, 0.10))
        duration = time.perf_counter() - t0
        cpu = cpu_seconds(pid) - cpu0
        time.sleep(1.0)
        size = tm.tmux("display", "-p", "-t", "s", "#{pane_width}x#{pane_height}").strip()
    finally:
        tm.quit()
    load_after = os.getloadavg()[0]
    con = sqlite3.connect(home / "altool.db")
    stored = con.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    con.close()
    lat = latencies_ms(log)
    rendered = render_times(texts[0])
    return {
        "keys_sent": len(keys), "n": len(lat), "stored": stored, "duration_s": duration,
        "p50_ms": pct(lat, 50), "p90_ms": pct(lat, 90), "p99_ms": pct(lat, 99),
        "max_ms": max(lat), "mean_ms": statistics.fmean(lat),
        "over_30ms": sum(x > TARGET_P99_MS for x in lat), "pane": size,
        "render_p50_ms": pct(rendered, 50), "render_p99_ms": pct(rendered, 99),
        "cpu_per_key_ms": (cpu - idle_rate * duration) / len(keys) * 1000,
        "idle_cpu_share": idle_rate,
        "load_before": load_before, "load_after": load_after,
    }


def fmt(r: dict) -> str:
    return f"""{START}
## `ner.manual` keypress latency (`benchmarks/ner_latency.py`)

Measured {measured_on()}; at the start of the run {r['load_before']:.1f}.\
{busy_note(max(r['load_before'], r['load_after']))}

{r['keys_sent']} keys into the real `altool ner.manual` (tmux pane {r['pane']}) on texts of
exactly {TOKENS} spaCy tokens (AG News) with pattern matches pre-highlighted, 50-100 ms apart:
cursor moves (right, left, down), shift+right selections, labels 1-4, deletes, and `a`
every {KEYS_PER_TEXT} keys (the spans are stored and the next text is shown). In-process figures
from `ALTOOL_LATENCY_LOG`: key handler start to finished redraw ({r['n']} redraws timed; keys
arriving during a redraw share the next one).

| figure | value |
|---|---|
{latency_rows(r, TARGET_P99_MS)}
| redraws over {TARGET_P99_MS:.0f} ms | {r['over_30ms']} of {r['n']} |
| answers stored | {r['stored']} |
| rendering the {TOKENS}-token screen alone (80x24, in the benchmark process) | \
p50 {r['render_p50_ms']:.1f} ms, p99 {r['render_p99_ms']:.1f} ms |
| CPU time per key of the `altool` process (mean; /proc, minus its idle redraws) | \
{r['cpu_per_key_ms']:.1f} ms (idle: {r['idle_cpu_share']:.1%} of a core) |
| wall time for the keys | {r['duration_s']:.1f} s |

The latency figures are wall-clock times, so on a shared machine they include the time the
process waits for a core; the CPU time per key is what a key costs the program itself.
{END}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=600, help="Keys to send.")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed for this benchmark")
    result = bench(args.keys)
    print(json.dumps(result, indent=2))
    write_section(START, END, fmt(result))
    print(f"updated {RESULTS}")


if __name__ == "__main__":
    main()
