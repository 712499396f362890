"""The "better model" lever: altool's n-gram logistic regressions alone (``sklearn-lr``) against
the same averaged with a Complement Naive Bayes model (``sklearn``, the default since this
benchmark), both in the real teach loop.

    nice python -m benchmarks.model_levers             # about 30 min on 2 cores
    nice python -m benchmarks.model_levers --heldout   # other pools and seeds
    nice python -m benchmarks.model_levers --smoke     # seconds, writes nothing

Naive Bayes is known to learn faster than logistic regression from few examples (Ng & Jordan,
2002); logistic regression catches up and passes it with more. ``sklearn`` keeps the logistic
regressions of ``sklearn-lr`` (hashed n-grams, one per label) and averages their probabilities with
those of a ``ComplementNB`` fitted on the same features of the answers whose class is known
(:class:`altool.models.SklearnModel`). For each dataset and model, :func:`altool.simulate.simulate`
runs the default strategy and random order on label_efficiency.py's pools (GOLD <= 2,000 rows, TEST
<= 1,000, seed 0; choice view, batch 10, budget 500, 3 repeats), tracking the stop signal as teach
does, and this script writes the section ``<!-- model-levers:start/end -->`` of
benchmarks/RESULTS.md. ``--heldout`` draws the pools and runs with stop_signal.py's held-out seeds
instead (section ``model-levers-heldout``), so the lever is judged on pools it was not looked at
on.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np

from altool.models.registry import model_capabilities
from altool.simulate import BASELINE, simulate
from altool.strategies.registry import default_strategy
from benchmarks.common import (
    RUN_SEED,
    busy_note,
    fmt_l95,
    heldout_pools,
    load,
    machine,
    markers,
    score_at,
    write_section,
)

# the n-gram model's default strategy: what this benchmark measures
DEFAULT_STRATEGY = default_strategy(model_capabilities("sklearn"))

MODELS = ("sklearn-lr", "sklearn")  # without and with the Naive Bayes half
AT = (50, 100, 200, 500)
FULL = dict(datasets=("ag_news", "trec", "sst2", "sms_spam", "banking77", "clinc150"),
            max_gold=2000, max_test=1000, budget=500, repeats=3)
SMOKE = dict(datasets=("trec",), max_gold=300, max_test=100, budget=60, repeats=1)
SECTION = "model-levers"


def run(name: str, cfg: dict[str, Any], heldout: bool) -> dict[str, Any] | None:
    """Both models on one dataset: per model, the simulate result's JSON and the seconds."""
    data = (heldout_pools if heldout else load)(name, cfg["max_gold"], cfg["max_test"])
    if data is None:
        print(f"{name}: not found, skipped", file=sys.stderr)
        return None
    gold, test = data
    out: dict[str, Any] = {"dataset": name, "n_gold": len(gold), "n_test": len(test)}
    for model in MODELS:
        t0 = time.perf_counter()
        res = simulate(gold, test, (DEFAULT_STRATEGY, BASELINE), model=model, budget=cfg["budget"],
                       repeats=cfg["repeats"], seed=RUN_SEED if heldout else 0)
        out[model] = dict(res.to_json(), seconds=time.perf_counter() - t0,
                          aulc_std={k: r.aulc_std for k, r in res.strategies.items()})
        print(f"{name} [{model}]: {out[model]['seconds']:.0f} s", file=sys.stderr, flush=True)
    return out


def stop_cell(js: dict, strategy: str, repeats: int) -> str:
    """Where the stop signal fired in the runs of ``strategy``: runs, mean labels, mean gap."""
    stop = js["strategies"][strategy].get("stop") or {}
    if not stop.get("fired"):
        return f"0/{repeats}"
    return f"{stop['fired']}/{repeats} at {stop['labels']:.0f}, gap {stop['gap']:.1f}"


def section(rows: list[dict[str, Any]], cfg: dict[str, Any], minutes: float,
            heldout: bool) -> str:
    d, b = DEFAULT_STRATEGY, BASELINE
    name = SECTION + ("-heldout" if heldout else "")
    pools = ("stop_signal.py's held-out pools (GOLD <= {max_gold:,}, TEST <= {max_test:,}; pool "
             "seed 101, TEST seed 102, run seed 10: no setting of altool's was chosen on them)"
             if heldout else "label_efficiency.py's pools (GOLD <= {max_gold:,}, TEST <= "
             "{max_test:,}, seed 0)").format(**cfg)
    start, end = markers(name)
    lines = [start, "## The model lever: n-grams + logistic regression vs a "
             f"Naive Bayes blend{', held-out pools' if heldout else ''} "
             "(`benchmarks/model_levers.py" + (" --heldout" if heldout else "") + "`)", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; "
             f"took {minutes:.0f} min.{busy_note(os.getloadavg()[0])}", "",
             "`sklearn-lr` is the n-gram logistic regressions alone; `sklearn` (altool's default) "
             "averages their probabilities with a ComplementNB (alpha 0.1) on the same hashed "
             "features, fitted on the answers whose class is known. `altool.simulate` (the "
             "teach loop; choice view, batch 10, budget "
             f"{cfg['budget']}, {cfg['repeats']} repeat(s)), {pools}. AULC = mean accuracy "
             f"over 20..{cfg['budget']} labels; `{d}` is the default strategy. Labels to 95% of "
             "that model's own full-data accuracy (random keeps going past the budget). Stop = "
             f"runs of `{d}` in which \"you can probably stop\" fired within the budget, mean "
             "labels then and mean gap to the best accuracy within the budget (points).", "",
             f"| dataset | model | full-data acc | {d} AULC | random AULC | {d} - random | "
             f"{d} acc at {' / '.join(map(str, AT))} | random acc at same | labels to 95% "
             f"{d} / random | stop ({d}) |",
             "|---|---|---:|---:|---:|---:|---|---|---:|---|"]
    wins = {s: 0 for s in (d, b)}
    for r in rows:
        for model in MODELS:
            js, std = r[model], r[model]["aulc_std"]
            s = js["strategies"]
            lines.append(
                f"| {r['dataset']} | {model} | {js['full_score']:.3f} | {s[d]['aulc']:.3f} ± "
                f"{std[d]:.3f} | {s[b]['aulc']:.3f} ± {std[b]:.3f} | "
                f"{s[d]['aulc'] - s[b]['aulc']:+.3f} | "
                + " / ".join(score_at(s[d]["points"], n) for n in AT) + " | "
                + " / ".join(score_at(s[b]["points"], n) for n in AT)
                + f" | {fmt_l95(s[d])} / {fmt_l95(s[b])} | {stop_cell(js, d, cfg['repeats'])} |")
        for k in wins:
            wins[k] += r["sklearn"]["strategies"][k]["aulc"] >= r["sklearn-lr"]["strategies"][k][
                "aulc"]
    n = len(rows)
    mean_gain = {k: np.mean([r["sklearn"]["strategies"][k]["aulc"]
                             - r["sklearn-lr"]["strategies"][k]["aulc"] for r in rows]) if rows
                 else 0.0 for k in wins}
    lines += ["", f"`sklearn` AULC >= `sklearn-lr` on {wins[d]} of {n} datasets with `{d}` "
              f"(mean difference {mean_gain[d]:+.3f}) and on {wins[b]} of {n} in random order "
              f"(mean {mean_gain[b]:+.3f}).", end]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", action="store_true", help="stop_signal.py's held-out pools "
                        "and seeds (writes the model-levers-heldout section)")
    parser.add_argument("--smoke", action="store_true", help="tiny run, no files written")
    args = parser.parse_args()
    cfg = SMOKE if args.smoke else FULL
    from altool.loop.threads import one_thread

    t0 = time.perf_counter()
    rows = []
    with one_thread():
        for name in cfg["datasets"]:
            row = run(name, cfg, args.heldout)
            if row is not None:
                rows.append(row)
    text = section(rows, cfg, (time.perf_counter() - t0) / 60, args.heldout)
    print(text)
    if not args.smoke:
        write_section(*markers(SECTION + ("-heldout" if args.heldout else "")), text)


if __name__ == "__main__":
    main()
