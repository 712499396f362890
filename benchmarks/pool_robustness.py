"""No regret across pools: the default strategy against random order on many pools per dataset.

    nice python -m benchmarks.pool_robustness                     # all six
    nice python -m benchmarks.pool_robustness --datasets trec,sst2  # some
    nice python -m benchmarks.pool_robustness --report            # from JSON
    nice python -m benchmarks.pool_robustness --smoke             # seconds

label_efficiency.py judges "no regret" on one pool per dataset (and heldout_strategies.py on a
second): active learning is known to be fragile, so one pool can be lucky. Here each dataset
gets ``pools`` different 2,000-row GOLD pools and 1,000-row TEST sets (pool p: seeds 1000 + p
and 2000 + p, run seed p; none of them was used to choose a setting), and
:func:`altool.simulate.simulate` runs the default strategy and random order on each (choice
view, default model, batch 10, budget 500, 3 repeats). Each dataset's pools are saved as JSON
under ``benchmarks/.work/robustness/`` (so datasets can run in separate processes); the
section ``<!-- pool-robustness:start/end -->`` of benchmarks/RESULTS.md is then written from
every dataset's JSON found there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

from altool.models.registry import model_capabilities
from altool.simulate import BASELINE, simulate
from altool.strategies.registry import default_strategy
from benchmarks.common import (
    DATA,
    DATASETS,
    WORK,
    busy_note,
    load,
    machine,
    markers,
    write_section,
)

# the n-gram model's default strategy: what this benchmark measures
DEFAULT_STRATEGY = default_strategy(model_capabilities("sklearn"))

FULL = dict(pools=8, max_gold=2000, max_test=1000, budget=500, repeats=3)
SMOKE = dict(pools=2, max_gold=300, max_test=100, budget=60, repeats=1)
POOL_SEED, TEST_SEED = 1000, 2000
SAVED = WORK / "robustness"
SECTION = "pool-robustness"
CLEAR = 0.01  # a difference in AULC worth naming


def run(name: str, cfg: dict[str, Any]) -> dict[str, Any] | None:
    """The default and random order on each of ``cfg["pools"]`` pools of ``name``."""
    t0 = time.perf_counter()
    pools = []
    for p in range(cfg["pools"]):
        data = load(name, cfg["max_gold"], cfg["max_test"], gold_seed=POOL_SEED + p,
                    test_seed=TEST_SEED + p)
        if data is None:
            print(f"{name}: not found under {DATA}, skipped", file=sys.stderr)
            return None
        gold, test = data
        result = simulate(gold, test, ("default", BASELINE), budget=cfg["budget"],
                          repeats=cfg["repeats"], seed=p, extend=())
        default, random = result.strategies[DEFAULT_STRATEGY], result.strategies[BASELINE]
        pools.append(dict(pool=p, full=result.full_score, default=default.aulc,
                          default_std=default.aulc_std, random=random.aulc,
                          random_std=random.aulc_std))
        print(f"{name} pool {p}: default {default.aulc:.3f}, random {random.aulc:.3f}",
              file=sys.stderr, flush=True)
    return dict(dataset=name, labels=len(result.labels), pools=pools,
                minutes=(time.perf_counter() - t0) / 60, cfg=cfg)


def section(rows: list[dict[str, Any]]) -> str:
    """The RESULTS.md section from each dataset's pools."""
    cfg = rows[0]["cfg"]
    minutes = sum(r["minutes"] for r in rows)
    d = DEFAULT_STRATEGY
    start, end = markers(SECTION)
    lines = [start,
             "## No regret across pools: the default vs random order on "
             f"{cfg['pools']} pools per dataset (`benchmarks/pool_robustness.py`)", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; "
             f"the runs took {minutes:.0f} min in all.{busy_note(os.getloadavg()[0])}", "",
             f"`altool.simulate` (the teach loop; choice view, default model, batch 10, budget "
             f"{cfg['budget']}, {cfg['repeats']} repeats per pool). Pool p = {cfg['max_gold']:,} "
             f"training rows (one copy per text) drawn with seed {POOL_SEED} + p, TEST = "
             f"{cfg['max_test']:,} test rows drawn with seed {TEST_SEED} + p, run seed p: no "
             "setting of altool's was chosen on them. AULC = mean accuracy over "
             f"20..{cfg['budget']} labels, the mean of the repeats on one pool. `{d}` is the "
             "default strategy.", "",
             f"| dataset | labels | pools | {d} AULC (mean over pools) | random AULC | {d} - "
             f"random: mean | lowest | highest | pools with {d} below random | below by more "
             f"than {CLEAR} |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    below = clearly = total = 0
    details = []
    for r in rows:
        diffs = [p["default"] - p["random"] for p in r["pools"]]
        n_below = sum(x < 0 for x in diffs)
        n_clear = sum(x < -CLEAR for x in diffs)
        below, clearly, total = below + n_below, clearly + n_clear, total + len(diffs)
        lines.append(
            f"| {r['dataset']} | {r['labels']} | {len(diffs)} | "
            f"{statistics.mean(p['default'] for p in r['pools']):.3f} | "
            f"{statistics.mean(p['random'] for p in r['pools']):.3f} | "
            f"{statistics.mean(diffs):+.3f} | {min(diffs):+.3f} | {max(diffs):+.3f} | "
            f"{n_below} | {n_clear} |")
        details.append(f"- {r['dataset']}: " + ", ".join(
            f"{p['default']:.3f} vs {p['random']:.3f}" for p in r["pools"]))
    lines += ["", f"`{d}` AULC >= random's on {total - below} of {total} pools; below by more "
              f"than {CLEAR} on {clearly}.", "",
              f"Per pool (`{d}` vs random AULC, pools 0, 1, ...):", "", *details, end]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run (TREC), no files")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help="comma-separated datasets to run (default: all six)")
    parser.add_argument("--report", action="store_true",
                        help="run nothing: write the section from the saved JSON")
    args = parser.parse_args()
    from altool.loop.threads import one_thread

    if args.smoke:
        with one_thread():
            row = run("trec", SMOKE)
        print(section([row]) if row else "TREC not found")
        return
    SAVED.mkdir(parents=True, exist_ok=True)
    if not args.report:
        with one_thread():
            for name in args.datasets.split(","):
                row = run(name, FULL)
                if row is not None:
                    (SAVED / f"{name}.json").write_text(json.dumps(row), encoding="utf-8")
    rows = [json.loads((SAVED / f"{name}.json").read_text(encoding="utf-8"))
            for name in DATASETS if (SAVED / f"{name}.json").exists()]
    if not rows:
        sys.exit(f"no results under {SAVED}: run without --report first")
    text = section(rows)
    write_section(*markers(SECTION), text)
    print(text)


if __name__ == "__main__":
    main()
