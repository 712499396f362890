"""The binary view (``--view binary``: one accept/reject question about one label) against
random questions, in the real teach loop.

    nice python -m benchmarks.binary_view           # about 15 min on 2 cores
    nice python -m benchmarks.binary_view --smoke   # seconds, writes nothing

Prodigy-style binary questions are cheap to answer but carry less than a choice: a reject of
one label says little when there are several. For each dataset, :func:`altool.simulate.simulate`
runs the default strategy, margin and random questions with ``view="binary"`` (the gold label
plays the annotator: accept when the asked label is the gold one) on label_efficiency.py's
pools (GOLD <= 2,000 rows, TEST <= 1,000, seed 0; batch 10, budget 500, 3 repeats) and this
script writes the section ``<!-- binary-view:start/end -->`` of benchmarks/RESULTS.md, with
the choice view's default for reference (same pools and budget).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from altool.models.registry import model_capabilities
from altool.simulate import BASELINE, simulate
from altool.strategies.registry import default_strategy
from benchmarks.common import busy_note, load, machine, markers, run_datasets, score_at

# the n-gram model's default strategy: what this benchmark measures
DEFAULT_STRATEGY = default_strategy(model_capabilities("sklearn"))

STRATEGIES = (DEFAULT_STRATEGY, "margin", BASELINE)
AT = (100, 300, 500)
FULL = dict(datasets=("ag_news", "trec", "sst2", "sms_spam"), max_gold=2000, max_test=1000,
            budget=500, repeats=3)
SMOKE = dict(datasets=("trec",), max_gold=300, max_test=100, budget=60, repeats=1)
SECTION = "binary-view"


def run(name: str, cfg: dict[str, Any]) -> dict[str, Any] | None:
    """The binary view's strategies and the choice view's default on one dataset."""
    data = load(name, cfg["max_gold"], cfg["max_test"])
    if data is None:
        print(f"{name}: not found, skipped", file=sys.stderr)
        return None
    gold, test = data
    t0 = time.perf_counter()
    common = dict(budget=cfg["budget"], repeats=cfg["repeats"], seed=0, extend=())
    binary = simulate(gold, test, STRATEGIES, view="binary", **common)
    choice = simulate(gold, test, (DEFAULT_STRATEGY,), view="choice", **common)
    print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return {"dataset": name, "labels": len({g["label"] for g in gold}),
            "binary": binary.strategies, "choice": choice.strategies[DEFAULT_STRATEGY]}


def section(rows: list[dict[str, Any]], cfg: dict[str, Any], minutes: float) -> str:
    d, b = DEFAULT_STRATEGY, BASELINE
    at = [n for n in AT if n <= cfg["budget"]] or [cfg["budget"]]
    start, end = markers(SECTION)
    lines = [start,
             "## The binary view: accept/reject questions vs random questions "
             "(`benchmarks/binary_view.py`)", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; "
             f"took {minutes:.0f} min.{busy_note(os.getloadavg()[0])}", "",
             "`altool.simulate` with `view=\"binary\"` (the teach loop; the oracle accepts when "
             "the asked label is the gold one), label_efficiency.py's pools (GOLD <= "
             f"{cfg['max_gold']:,}, TEST <= {cfg['max_test']:,}, seed 0), default model, batch "
             f"10, budget {cfg['budget']} answers, {cfg['repeats']} repeat(s). AULC = mean test "
             f"accuracy over 20..{cfg['budget']} answers. `random` asks about a random (text, "
             "label) pair. The last column is the choice view's default on the same pools, for "
             "reference: one choice answer carries what up to k-1 binary answers do.", "",
             "| dataset | labels | " + " | ".join(f"{s} AULC" for s in STRATEGIES)
             + f" | {d} - random | {d} acc at {' / '.join(map(str, at))} | random acc at same "
             f"| choice view {d} AULC |",
             "|---|---:|" + "---:|" * len(STRATEGIES) + "---:|---|---|---:|"]
    ahead = 0
    for r in rows:
        s = r["binary"]
        diff = s[d].aulc - s[b].aulc
        ahead += diff >= 0
        lines.append(
            f"| {r['dataset']} | {r['labels']} | "
            + " | ".join(f"{s[k].aulc:.3f} ± {s[k].aulc_std:.3f}" for k in STRATEGIES)
            + f" | {diff:+.3f} | " + " / ".join(score_at(s[d].points, n) for n in at) + " | "
            + " / ".join(score_at(s[b].points, n) for n in at) + f" | {r['choice'].aulc:.3f} |")
    lines += ["", f"`{d}` AULC >= random's on {ahead} of {len(rows)} datasets in the binary "
              "view.", end]
    return "\n".join(lines) + "\n"


def main() -> None:
    run_datasets(__doc__, FULL, SMOKE, run, section, *markers(SECTION))


if __name__ == "__main__":
    main()
