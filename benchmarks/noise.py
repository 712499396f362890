"""A noisy annotator: how each strategy degrades when some answers are wrong (issue "The
control layer", item 7: "random sampling wins when the oracle is noisy" is a claim in the
literature; measure it).

    nice python -m benchmarks.noise                      # four suite datasets, both halves
    python -m benchmarks.noise --datasets trec --repeats 1
    python -m benchmarks.noise --smoke                   # seconds, writes nothing

For each dataset (the suite's pools: ``benchmarks/suite.py``, 3,000 GOLD / up to 2,000 TEST
rows, embeddings cached in its ``ALTOOL_HOME``) and each noise level, ``altool simulate`` runs
the default strategy of the model and random order with a simulated annotator that answers
that share of the pool wrongly (``--noise``; ``uniform``: any other label, ``confusable``: the
label the full-data model finds likeliest after the true one). The same rows are wrong for
both strategies in a repeat. Reported: AULC of each, their difference (default - random) and
its std (sqrt of the sum of the squared stds), at each level. Writes the ``noise`` section of
RESULTS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import time

from altool.models.registry import resolve_model
from altool.simulate import BASELINE, resolve_strategies, simulate
from benchmarks import suite
from benchmarks.common import busy_note, log, machine, markers, write_section

SECTION = "noise"
DATASETS = ("trec", "sst2", "tweeteval_emotion", "davidson_hate")  # two from each half
LEVELS = (("uniform", 0.0), ("uniform", 0.1), ("uniform", 0.2), ("uniform", 0.3),
          ("confusable", 0.2))
FULL = dict(budget=500, repeats=3, pool=3000, test=2000)
SMOKE = dict(budget=40, repeats=1, pool=200, test=100)


def run(datasets: list[str], model: str, params: dict) -> list[dict]:
    """One row per dataset x level: AULC of the model's default strategy and random order."""
    cfg = suite.Config(datasets=datasets, models=[model], strategies=[], peers=set(),
                       judged=(model, "default"), **params)
    default = resolve_strategies(["default"], model)[0]
    rows = []
    for name in datasets:
        data = suite.pools(name, cfg)
        if data is None:
            continue
        gold, test, _info = data
        for towards, rate in LEVELS:
            t0 = time.time()
            res = simulate(gold, test, [default, BASELINE], model=model, view="choice",
                           seed_size=suite.SEED_SIZE, batch_size=suite.BATCH,
                           budget=params["budget"], repeats=params["repeats"],
                           metric="accuracy", seed=suite.RUN_SEED, extend=[],
                           noise=rate, noise_towards=towards)
            a, b = res.strategies[default], res.strategies[BASELINE]
            rows.append(dict(dataset=name, half=suite.half_of(name), towards=towards,
                             rate=rate, default=default, a=a.aulc, a_std=a.aulc_std,
                             b=b.aulc, b_std=b.aulc_std, seconds=time.time() - t0))
            log(f"{name} noise {rate:.0%} {towards}: {default} {a.aulc:.3f}, random "
                f"{b.aulc:.3f} ({rows[-1]['seconds']:.0f}s)")
    return rows


def report(rows: list[dict], model: str, params: dict, minutes: float, smoke: bool) -> str:
    start, end = markers(SECTION)
    load = os.getloadavg()[0]
    lines = [start, "## A noisy annotator (`benchmarks/noise.py`)", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; "
             f"{minutes:.0f} min; 1-min load average {load:.1f}.{busy_note(load)}"
             + (" **Smoke run**: tiny pools, numbers not meaningful." if smoke else ""), "",
             f"`altool simulate --model {model} --noise RATE` on the suite's pools "
             f"(`benchmarks/suite.py`: {params['pool']:,} GOLD / up to {params['test']:,} "
             f"TEST rows), choice view, seed {suite.SEED_SIZE}, batch {suite.BATCH}, budget "
             f"{params['budget']}, {params['repeats']} run(s); AULC on TEST's true labels. "
             "The wrong answers fall on the same rows for both strategies in a run. "
             "Difference = default - random; std of it = sqrt(std_a^2 + std_b^2).", "",
             "| dataset | half | noise | default | random | difference | std of it |",
             "|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        diff = r["a"] - r["b"]
        lines.append(f"| {r['dataset']} | {r['half']} | {r['rate']:.0%} {r['towards']} | "
                     f"{r['default']} {r['a']:.3f} ± {r['a_std']:.3f} | {r['b']:.3f} ± "
                     f"{r['b_std']:.3f} | {diff:+.3f} | "
                     f"{math.hypot(r['a_std'], r['b_std']):.3f} |")
    lines += ["", *verdict(rows), end]
    return "\n".join(lines) + "\n"


def verdict(rows: list[dict]) -> list[str]:
    """Where the default's lead over random order goes as the noise grows."""
    out = []
    for towards, rate in LEVELS:
        diffs = [r["a"] - r["b"] for r in rows if r["rate"] == rate and r["towards"] == towards]
        if diffs:
            ahead = sum(d >= 0 for d in diffs)
            out.append(f"- noise {rate:.0%} {towards}: the default at or above random order on "
                       f"{ahead} of {len(diffs)} datasets, mean difference "
                       f"{sum(diffs) / len(diffs):+.3f}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", help=f"comma-separated (default {','.join(DATASETS)})")
    ap.add_argument("--model", default="auto", help="default: what textcat.teach uses here")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--budget", type=int)
    ap.add_argument("--smoke", action="store_true", help="trec only, tiny pools, budget 40; "
                    "writes nothing")
    args = ap.parse_args(argv)
    params = dict(SMOKE if args.smoke else FULL)
    for key in ("repeats", "budget"):
        if getattr(args, key) is not None:
            params[key] = getattr(args, key)
    model = resolve_model(args.model)[0]
    datasets = (args.datasets.split(",") if args.datasets else
                ["trec"] if args.smoke else list(DATASETS))
    t0 = time.time()
    with suite.altool_home(args.smoke):
        rows = run(datasets, model, params)
    text = report(rows, model, params, (time.time() - t0) / 60, args.smoke)
    print(text)
    if not args.smoke and rows:
        write_section(*markers(SECTION), text)
        log(f"wrote the {SECTION} section of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
