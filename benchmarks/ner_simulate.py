"""NER in the loop on WNUT-17: entity F1 against answers, calibration, scoring throughput.

    nice /work/venv/bin/python benchmarks/ner_simulate.py           # writes RESULTS.md section
    nice /work/venv/bin/python benchmarks/ner_simulate.py --smoke   # seconds, no files

:func:`altool.simulate_ner.simulate_ner` replays ``ner.teach`` with WNUT-17's gold spans as the
annotator (train split = the pool, a random part of the test split = TEST): the default order
(most uncertain suggestion first), the same suggestions in random order, and random sentences
annotated completely (``manual``); all start from the same 20 completely annotated sentences.
Then, with the default run's final model: calibration of the beam-search entity probabilities
on TEST (bins of p against the share of candidates that are gold entities), and scoring
throughput (beam search, used to pick questions; greedy, the trained model's output). Writes
its section of ``benchmarks/RESULTS.md`` (``<!-- ner-simulate:start/end -->``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from resultsfile import machine, write_section  # noqa: E402

from altool.ner_data import NerAnnotation  # noqa: E402
from altool.ner_model import NerModel  # noqa: E402
from altool.simulate_ner import entity_f1, read_ner_gold, simulate_ner  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "jsonl"
START, END = "<!-- ner-simulate:start -->", "<!-- ner-simulate:end -->"
DEFAULTS = dict(budget=300, batch=10, repeats=1, max_test=500, reference=1000, epochs=5)
SMOKE = dict(budget=30, batch=10, repeats=1, max_test=50, reference=50, epochs=1)
STRATEGIES = ("default", "random", "manual")
BINS = np.array([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001])


def calibration(model: NerModel, test: list[dict[str, Any]]) -> list[tuple[str, int, float,
                                                                            float]]:
    """Per probability bin: (bin, candidates, mean p, share that are gold entities)."""
    ps, hits = [], []
    docs = model.make_docs(test)
    for eg, scored in zip(test, model.score(docs), strict=True):
        gold = {(s["token_start"], s["token_end"] + 1, s["label"]) for s in eg["spans"]}
        for s in scored:
            ps.append(s.score)
            hits.append((s.start, s.end, s.label) in gold)
    p, hit = np.array(ps), np.array(hits, dtype=float)
    rows = []
    for lo, hi in zip(BINS, BINS[1:], strict=False):
        inside = (p >= lo) & (p < hi)
        if inside.any():
            rows.append((f"{lo:.1f}-{min(hi, 1.0):.1f}", int(inside.sum()),
                         float(p[inside].mean()), float(hit[inside].mean())))
    return rows


def throughput(model: NerModel, test: list[dict[str, Any]]) -> dict[str, float]:
    docs = model.make_docs(test)
    t0 = time.perf_counter()
    model.score(docs)
    beam = len(docs) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    model.predict(model.make_docs(test))
    greedy = len(docs) / (time.perf_counter() - t0)
    return {"beam": beam, "greedy": greedy}


def reference_f1(gold: list[dict[str, Any]], test: list[dict[str, Any]], labels: list[str],
                 n: int, epochs: int) -> float:
    """A model trained offline on ``n`` completely annotated sentences (``epochs`` passes)."""
    model = NerModel(labels, epochs=epochs, replay=n)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(gold), min(n, len(gold)), replace=False)
    annotations = {}
    for i in rows:
        eg = gold[int(i)]
        annotations[int(i)] = NerAnnotation(
            eg["text"], eg["tokens"], {(s["start"], s["end"]): s["label"] for s in eg["spans"]},
            complete=True)
    model.fit(annotations)
    return entity_f1(model, test, labels)


def report(result: Any, ref: float, cfg: dict[str, Any], calib: dict[str, list],
           speed: dict[str, float],
           seconds: float) -> str:
    cps = [p[0] for p in next(iter(result.curves.values())).points]
    lines = [START, "## NER in the loop (WNUT-17)", "",
             f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end (a "
             f"shared box: absolute speeds vary). Produced by `benchmarks/ner_simulate.py` "
             f"({seconds / 60:.0f} min).", "",
             f"`altool simulate --task ner` protocol: pool = WNUT-17 train ({result.n_gold:,} "
             f"sentences), TEST = {result.n_test:,} random sentences of WNUT-17 test, labels "
             f"{', '.join(result.labels)}; batch {cfg['batch']}, {cfg['repeats']} repeat(s). "
             "Every strategy starts from the same 20 completely annotated random sentences; "
             "then `default` = ner.teach's order (binary answers on the most uncertain "
             "suggestion, one per sentence first), `random` = the same model's suggestions in "
             "random order, `manual` = random sentences annotated completely (ner.manual with a "
             "perfect annotator). Micro entity F1 (exact tokens and label) of the greedy parse "
             "on TEST after N answers; each answer is one sentence looked at.", "",
             "| strategy | " + " | ".join(f"F1 @{c}" for c in cps) +
             " | mean F1 | distinct sentences @budget | accepted |",
             "|---|" + "---|" * (len(cps) + 3)]
    for name, c in result.curves.items():
        lines.append(f"| {name} | " + " | ".join(f"{p[1]:.3f}" for p in c.points) +
                     f" | {c.aulc:.3f} | {c.sentences[-1]:.0f} | {c.accepted:.0%} |")
    lines += ["", f"Reference: the same network trained offline on {cfg['reference']:,} "
              f"completely annotated random train sentences ({cfg['epochs']} passes): F1 "
              f"{ref:.3f}.", "",
              "Calibration of the beam-search entity probabilities (the final models of "
              "`default` and `manual`, every beam candidate on TEST): share of candidates "
              "that are gold entities per probability bin.", "",
              "| model | p(entity) | candidates | mean p | gold share |",
              "|---|---|---|---|---|"]
    for name, rows in calib.items():
        for b, n, mean_p, share in rows:
            lines.append(f"| {name} | {b} | {n:,} | {mean_p:.3f} | {share:.3f} |")
    lines += ["", f"Scoring throughput of the final `manual` model on TEST (one core): beam search "
              f"(width 8, picks questions) {speed['beam']:.0f} sentences/s; greedy parse "
              f"{speed['greedy']:.0f} sentences/s.", "", END]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, no files written")
    args = parser.parse_args()
    cfg = SMOKE if args.smoke else DEFAULTS
    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    gold = read_ner_gold(str(DATA / "wnut17.train.jsonl"))
    test = read_ner_gold(str(DATA / "wnut17.test.jsonl"))
    test = [test[int(i)] for i in np.random.default_rng(1).choice(
        len(test), min(cfg["max_test"], len(test)), replace=False)]
    if args.smoke:
        gold = gold[:200]
    with threadpool_limits(1):
        result = simulate_ner(
            gold, test, STRATEGIES, budget=cfg["budget"], batch_size=cfg["batch"],
            repeats=cfg["repeats"],
            progress=lambda what, n: print(f"{what} +{n}", file=sys.stderr, flush=True))
        calib = {name: calibration(result.models[name], test) for name in ("default", "manual")}
        speed = throughput(result.models["manual"], test)
        ref = reference_f1(gold, test, result.labels, cfg["reference"], cfg["epochs"])
    text = report(result, ref, cfg, calib, speed, time.perf_counter() - t0)
    if not args.smoke:
        write_section(START, END, text)
    print(text)


if __name__ == "__main__":
    main()
