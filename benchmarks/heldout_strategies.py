"""Held-out check of query strategies: pools and seeds other than label_efficiency.py's.

    nice python -m benchmarks.heldout_strategies           # about 30 min
    nice python -m benchmarks.heldout_strategies --smoke   # seconds

label_efficiency.py compares strategies on GOLD subsets drawn with seed 0; a strategy picked
because it won there may have won on those pools only. This script runs
:func:`altool.simulate.simulate` (choice view, batch 10, budget 500, 3 repeats) on 2,000-row
pools drawn with stop_signal.py's held-out seeds (pool 101, TEST 102: 1,000 rows; run 10)
for ``spread``, ``diverse`` (the default), ``margin``, ``least-confidence`` and ``random``,
and prints the AULC (mean ± std over the repeats) per dataset. It writes nothing: the
figures are quoted in the notes of benchmarks/RESULTS.md ("default vs random vs peers") and
the README.
"""

from __future__ import annotations

import sys
import time

from altool.simulate import simulate
from benchmarks.common import RUN_SEED, heldout_pools, smoke_or_full

STRATEGIES = ("spread", "diverse", "margin", "least-confidence", "random")
FULL = dict(datasets=("ag_news", "trec", "sst2", "sms_spam", "banking77", "clinc150"),
            max_gold=2000, max_test=1000, budget=500, repeats=3)
SMOKE = dict(datasets=("trec",), max_gold=300, max_test=100, budget=60, repeats=1)


def main() -> None:
    cfg, _smoke = smoke_or_full(__doc__, FULL, SMOKE)
    from altool.loop.threads import one_thread

    print("| dataset | " + " | ".join(STRATEGIES) + " |")
    print("|---|" + "---:|" * len(STRATEGIES))
    with one_thread():
        for name in cfg["datasets"]:
            pools = heldout_pools(name, cfg["max_gold"], cfg["max_test"])
            if pools is None:
                continue
            gold, rows = pools
            t0 = time.perf_counter()
            result = simulate(gold, rows, STRATEGIES, budget=cfg["budget"],
                              repeats=cfg["repeats"], seed=RUN_SEED, extend=())
            cells = [f"{result.strategies[s].aulc:.3f} ± {result.strategies[s].aulc_std:.3f}"
                     for s in STRATEGIES]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
            print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
