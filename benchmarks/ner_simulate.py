"""NER in the loop on WNUT-17: entity F1 against answers, calibration, scoring throughput.

    nice python -m benchmarks.ner_simulate           # writes RESULTS.md section
    nice python -m benchmarks.ner_simulate --smoke   # seconds, no files

:func:`altool.simulate.ner.simulate_ner` replays ``ner.teach`` with WNUT-17's gold spans as the
annotator (train split = the pool, a random part of the test split = TEST): the default order
(most uncertain suggestion first), the same suggestions in random order, and random sentences
annotated completely (``manual``); all start from the same 20 completely annotated sentences.
Then, for ``default`` and ``random``: calibration of p(entity), raw and Platt-scaled (ECE,
Brier, reliability bins), on the questions the run asked (each batch calibrated by the fit on
the answers before it) and on every beam candidate of the final model on TEST; with the
``manual`` model, scoring throughput (beam search,
used to pick questions; greedy, the trained model's output). Writes its section of
``benchmarks/RESULTS.md`` (``<!-- ner-simulate:start/end -->``).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np

from altool.io.ner import NerAnnotation
from altool.loop.ner import calibration_answers
from altool.models.calibration import PlattScaling, brier, expected_calibration_error
from altool.models.ner import NerModel
from altool.simulate.ner import entity_f1, read_ner_gold, simulate_ner
from benchmarks.common import DATA, machine, smoke_or_full, write_section

START, END = "<!-- ner-simulate:start -->", "<!-- ner-simulate:end -->"
DEFAULTS = dict(budget=300, batch=10, repeats=1, max_test=500, reference=1000, epochs=5,
                big_seed=100)
SMOKE = dict(budget=30, batch=10, repeats=1, max_test=50, reference=50, epochs=1, big_seed=20)
STRATEGIES = ("default", "random", "manual")
BINS = np.array([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001])


def candidates(model: NerModel, test: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """The raw p(entity) of every beam candidate on TEST, and whether it is a gold entity."""
    ps, hits = [], []
    for eg, scored in zip(test, model.score(model.make_docs(test)), strict=True):
        gold = {(s["token_start"], s["token_end"] + 1, s["label"]) for s in eg["spans"]}
        for s in scored:
            ps.append(s.score)
            hits.append((s.start, s.end, s.label) in gold)
    return np.array(ps), np.array(hits, dtype=float)


def reliability(p: np.ndarray, hit: np.ndarray) -> list[tuple[str, int, float, float]]:
    """Per probability bin: (bin, candidates, mean p, share that are gold entities)."""
    rows = []
    for lo, hi in zip(BINS, BINS[1:], strict=False):
        inside = (p >= lo) & (p < hi)
        if inside.any():
            rows.append((f"{lo:.1f}-{min(hi, 1.0):.1f}", int(inside.sum()),
                         float(p[inside].mean()), float(hit[inside].mean())))
    return rows


def measures(p: np.ndarray, hit: np.ndarray) -> dict[str, Any]:
    return {"ece": expected_calibration_error(p, hit), "brier": brier(p, hit),
            "mean_p": float(p.mean()) if len(p) else 0.0, "bins": reliability(p, hit)}


def on_test(model: NerModel, test: list[dict[str, Any]]) -> dict[str, Any]:
    """Raw and calibrated scores of every beam candidate of the final model on TEST
    (sentences never asked about; the calibration is the one the run fitted)."""
    raw, hit = candidates(model, test)
    return {"n": len(raw), "right": int(hit.sum()), "raw": measures(raw, hit),
            "calibrated": measures(model.calibration(raw), hit)}


def on_questions(answers: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    """The questions the run asked, prequentially: each batch's raw scores calibrated by the
    calibration fitted on the answers before that batch (as ner.teach does), never on its own
    answers."""
    raw, cal, hit = [], [], []
    for start in range(0, len(answers), batch):
        fitted = PlattScaling.fit(*calibration_answers(answers[:start]))
        p, y = calibration_answers(answers[start:start + batch], window=batch)
        raw += p
        cal += list(fitted(p)) if p else []
        hit += y
    raw_a, hit_a = np.array(raw), np.array(hit)
    return {"n": len(raw), "right": int(hit_a.sum()), "raw": measures(raw_a, hit_a),
            "calibrated": measures(np.array(cal), hit_a)}


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


def report(result: Any, extra: dict[str, Any], ref: float, cfg: dict[str, Any],
           calib: dict[str, list], speed: dict[str, float], seconds: float) -> str:
    lines = [START, "## NER in the loop (WNUT-17)", "",
             f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end (a "
             f"shared box: absolute speeds vary). Produced by `benchmarks/ner_simulate.py` "
             f"({seconds / 60:.0f} min).", "",
             *f1_table(result, extra, cfg),
             "", f"Reference: the same network trained offline on {cfg['reference']:,} "
             f"completely annotated random train sentences ({cfg['epochs']} passes): F1 "
             f"{ref:.3f}.", "",
             *calibration_tables(calib),
             "", f"Scoring throughput of the final `manual` model on TEST (one core): beam search "
             f"(width 8, picks questions) {speed['beam']:.0f} sentences/s; greedy parse "
             f"{speed['greedy']:.0f} sentences/s.", "", END]
    return "\n".join(lines) + "\n"


def f1_table(result: Any, extra: dict[str, Any], cfg: dict[str, Any]) -> list[str]:
    """The protocol, entity F1 after N answers per strategy, and the update time."""
    cps = [p[0] for p in next(iter(result.curves.values())).points]
    lines = [f"`altool simulate --task ner` protocol: pool = WNUT-17 train ({result.n_gold:,} "
             f"sentences), TEST = {result.n_test:,} random sentences of WNUT-17 test, labels "
             f"{', '.join(result.labels)}; batch {cfg['batch']}, {cfg['repeats']} repeat(s). "
             "Every strategy starts from the same 20 completely annotated random sentences; "
             "then `default` = ner.teach's order (binary answers on the most uncertain "
             "suggestion, one per sentence first), `random` = the same model's suggestions in "
             "random order, `manual` = random sentences annotated completely (ner.manual with a "
             f"perfect annotator); `default, {cfg['big_seed']} seed` = ner.teach's order "
             f"after {cfg['big_seed']} completely annotated sentences instead of 20. Micro "
             "entity F1 (exact tokens and label) of the greedy parse on TEST after N answers "
             "(the seed sentences included); each answer is one sentence looked at; accepted "
             "= share of all answers accepted, the seed sentences included.", "",
             "| strategy | " + " | ".join(f"F1 @{c}" for c in cps) +
             " | mean F1 | distinct sentences @budget | accepted |",
             "|---|" + "---|" * (len(cps) + 3)]
    for name, c in {**result.curves, **extra}.items():
        lines.append(f"| {name} | " + " | ".join(f"{p[1]:.3f}" for p in c.points) +
                     f" | {c.aulc:.3f} | {c.sentences[-1]:.0f} | {c.accepted:.0%} |")
    fits = ", ".join(f"`{name}` {c.last_fit_s:.1f} s" for name, c in result.curves.items())
    return lines + ["", f"One model update at the budget ({result.budget} answers, in the "
                    f"background worker): {fits}."]


def calibration_tables(calib: dict[str, Any]) -> list[str]:
    """Calibration of p(entity), raw and Platt-scaled, and its reliability bins."""
    lines = ["### Calibration of p(entity)", "",
             "ner.teach orders suggestions by p(entity) and shows it. The beam's raw "
             "probability is Platt-scaled on the annotator's own answers to earlier model "
             "suggestions (`altool/models/calibration.py`, refitted at every update). "
             "Measured twice, "
             "never on the answers a calibration was fitted on: (1) *questions asked*: each "
             "batch of the run's suggestions, raw vs calibrated by the fit on the answers "
             "before that batch (exactly what ner.teach showed); (2) *TEST candidates*: every "
             "beam candidate of the final model on TEST, with the run's final calibration. "
             "ECE = expected calibration error over 10 equal-width bins (lower is better); "
             "right = accepted (questions) or gold entity (TEST).", "",
             "| model | evaluated on | n (right) | final fit | mean p raw → calibrated | "
             "ECE raw → calibrated | Brier raw → calibrated |", "|---|---|---|---|---|---|---|"]
    for name, evals in calib.items():
        fit = evals["fit"]
        for where in ("questions asked", "TEST candidates"):
            c = evals[where]
            raw, cal = c["raw"], c["calibrated"]
            lines.append(f"| {name} | {where} | {c['n']:,} ({c['right']:,}) | {fit.n} answers: "
                         f"slope {fit.slope:.2f}, bias {fit.bias:+.2f} | {raw['mean_p']:.3f} → "
                         f"{cal['mean_p']:.3f} | {raw['ece']:.3f} → {cal['ece']:.3f} | "
                         f"{raw['brier']:.3f} → {cal['brier']:.3f} |")
    lines += ["", "Reliability on the questions asked: share accepted per probability bin.", "",
              "| model | p(entity) | bin | questions | mean p | accepted |",
              "|---|---|---|---|---|---|"]
    for name, evals in calib.items():
        for kind in ("raw", "calibrated"):
            for b, n, mean_p, share in evals["questions asked"][kind]["bins"]:
                lines.append(f"| {name} | {kind} | {b} | {n:,} | {mean_p:.3f} | {share:.3f} |")
    return lines


def main() -> None:
    cfg, smoke = smoke_or_full(__doc__, DEFAULTS, SMOKE)
    from altool.loop.threads import one_thread

    t0 = time.perf_counter()
    gold = read_ner_gold(str(DATA / "wnut17.train.jsonl"))
    test = read_ner_gold(str(DATA / "wnut17.test.jsonl"))
    test = [test[int(i)] for i in np.random.default_rng(1).choice(
        len(test), min(cfg["max_test"], len(test)), replace=False)]
    if smoke:
        gold = gold[:200]
    with one_thread():
        result = simulate_ner(
            gold, test, STRATEGIES, budget=cfg["budget"], batch_size=cfg["batch"],
            repeats=cfg["repeats"],
            progress=lambda what, n: print(f"{what} +{n}", file=sys.stderr, flush=True))
        big = simulate_ner(
            gold, test, ("default",), budget=cfg["budget"], batch_size=cfg["batch"],
            repeats=cfg["repeats"], seed_size=cfg["big_seed"],
            progress=lambda what, n: print(f"{what} (big seed) +{n}", file=sys.stderr,
                                           flush=True))
        extra = {f"default, {cfg['big_seed']} seed": big.curves["default"]}
        calib = {name: {"fit": result.models[name].calibration,
                        "questions asked": on_questions(result.answers[name], cfg["batch"]),
                        "TEST candidates": on_test(result.models[name], test)}
                 for name in ("default", "random")}
        speed = throughput(result.models["manual"], test)
        ref = reference_f1(gold, test, result.labels, cfg["reference"], cfg["epochs"])
    text = report(result, extra, ref, cfg, calib, speed, time.perf_counter() - t0)
    if not smoke:
        write_section(START, END, text)
    print(text)


if __name__ == "__main__":
    main()
