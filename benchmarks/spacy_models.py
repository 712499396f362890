"""spaCy text classifier (``--model spacy``) against the scikit-learn model (``--model sklearn``).

    nice python -m benchmarks.spacy_models           # writes RESULTS.md section
    nice python -m benchmarks.spacy_models --smoke   # seconds, no files

For each dataset, :func:`altool.simulate.simulate` replays the teach loop with the gold labels
answering (choice view, seed 20, batch 10, accuracy on TEST) for both models and two strategies
(the default and random), plus, on SST-2, the spaCy model retrained from scratch at every update
(``spacy-scratch``, 10 epochs) instead of continuing from its weights (3 epochs over all
answers). Also times one update (fit on 300 answers) + rescoring of a pool of 15,000 texts per
model, the worker's work per batch. Writes its section of ``benchmarks/RESULTS.md``
(``<!-- spacy-textcat:start/end -->``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

from altool.models import make_model, register_model, targets_from_answers
from altool.models.spacy_textcat import SpacyTextcat
from altool.simulate import read_labelled, simulate, subsample
from benchmarks.common import DATA, machine, smoke_or_full, write_section

DATASETS = ("sst2", "trec", "ag_news")
START, END = "<!-- spacy-textcat:start -->", "<!-- spacy-textcat:end -->"
DEFAULTS = dict(budget=300, repeats=2, max_gold=2000, max_test=1000, timing_pool=15_000)
SMOKE = dict(budget=40, repeats=1, max_gold=200, max_test=100, timing_pool=500)
MODELS = ("sklearn", "spacy")


def _scratch(labels: Any, exclusive: bool = True) -> SpacyTextcat:
    return SpacyTextcat(labels, exclusive, from_scratch=True, epochs=10)


register_model("spacy-scratch", _scratch)


def run_curves(name: str, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    gold = subsample(read_labelled(str(DATA / f"{name}.train.jsonl")), cfg["max_gold"], seed=0)
    test = subsample(read_labelled(str(DATA / f"{name}.test.jsonl")), cfg["max_test"], seed=1)
    models = MODELS + (("spacy-scratch",) if name == "sst2" else ())
    rows = []
    for model in models:
        t0 = time.perf_counter()
        result = simulate(gold, test, ("default", "random"), model=model, budget=cfg["budget"],
                          repeats=cfg["repeats"], extend=())
        seconds = time.perf_counter() - t0
        for strategy, r in result.strategies.items():
            final = r.points[-1]
            rows.append(dict(dataset=name, model=model, strategy=strategy, aulc=r.aulc,
                             aulc_std=r.aulc_std, final=final[1], final_at=final[0],
                             full=result.full_score, seconds=seconds))
            print(f"{name} {model} {strategy}: AULC {r.aulc:.3f} final {final[1]:.3f} "
                  f"(full {result.full_score:.3f}, {seconds:.0f} s)", file=sys.stderr)
    return rows


def time_update(name: str, cfg: dict[str, Any], model_name: str, repeats: int = 3
                ) -> dict[str, float]:
    """Seconds to featurise a pool once, and per batch: refit on 300 answers + rescore the
    pool (what the worker does after each batch)."""
    rows = read_labelled(str(DATA / f"{name}.train.jsonl"))
    pool = [r["text"] for r in subsample(rows, cfg["timing_pool"], seed=2)]
    labels = sorted({r["label"] for r in rows})
    answered = subsample(rows, 300, seed=3)
    answers = [{"text": r["text"], "_input_hash": i, "label": r["label"], "answer": "accept"}
               for i, r in enumerate(answered)]
    model = make_model(model_name, labels)
    t0 = time.perf_counter()
    X_pool = model.featurize(pool)
    featurize_s = time.perf_counter() - t0
    _, texts, Y = targets_from_answers(answers, labels, exclusive=True)
    X = model.featurize(texts)
    fits, scores = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.fit(X, Y)
        fits.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.predict_proba(X_pool)
        scores.append(time.perf_counter() - t0)
    return dict(featurize=featurize_s, fit=statistics.median(fits),
                score=statistics.median(scores), pool=len(pool))


def report(rows: list[dict[str, Any]], timing: dict[str, dict[str, float]],
           cfg: dict[str, Any]) -> str:
    lines = [START, "## spaCy textcat vs sklearn", "",
             f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end (a "
             "shared box: absolute times vary, compare models within one run). Produced by "
             "`benchmarks/spacy_models.py`.", "",
             f"`altool simulate` protocol: pool = {cfg['max_gold']:,} random training rows, "
             f"test = {cfg['max_test']:,} random test rows, choice view, 20 seed labels from "
             f"the cold start, batch 10, budget {cfg['budget']}, {cfg['repeats']} repeats, "
             "accuracy. AULC = mean accuracy over the checkpoints (higher is better). "
             "`spacy` = blank English pipeline, `textcat` TextCatBOW (word 1-2-grams), "
             "continued from its weights with 3 passes over all answers per update; "
             "`spacy-scratch` = retrained from fresh weights (10 passes) at every update.", "",
             "| dataset | model | strategy | AULC ± std | accuracy @budget | all-data accuracy "
             "| run time (s) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['model']} | {r['strategy']} | {r['aulc']:.3f} ± "
                     f"{r['aulc_std']:.3f} | {r['final']:.3f} | {r['full']:.3f} | "
                     f"{r['seconds']:.0f} |")
    lines += ["", "Worker work per batch on AG News (4 labels): featurise the pool once, then "
              "after each batch refit on all answers (here 300) and rescore the pool. Median "
              "of 3.", "",
              "| model | pool | featurise pool once (s) | refit on 300 (s) | rescore pool (s) "
              "| update + rescore (s) |",
              "|---|---|---|---|---|---|"]
    for model, t in timing.items():
        lines.append(f"| {model} | {t['pool']:,} | {t['featurize']:.2f} | {t['fit']:.2f} | "
                     f"{t['score']:.2f} | {t['fit'] + t['score']:.2f} |")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def main() -> None:
    cfg, smoke = smoke_or_full(__doc__, DEFAULTS, SMOKE)
    from altool.loop.threads import one_thread

    with one_thread():
        datasets = DATASETS[:1] if smoke else DATASETS
        rows = [row for name in datasets for row in run_curves(name, cfg)]
        timing = {m: time_update("ag_news", cfg, m) for m in MODELS}
    text = report(rows, timing, cfg)
    if smoke:
        print(text)
    else:
        write_section(START, END, text)
        print(text)


if __name__ == "__main__":
    main()
