"""Pick DEFAULT_STRATEGY: simulated teach runs on six datasets (``altool simulate``'s library).

    python -m benchmarks.strategy_choice run ag_news trec ...   # one JSON per dataset
    python -m benchmarks.strategy_choice run --small banking77  # 2,000 / 1,000 rows
    python -m benchmarks.strategy_choice report                 # print the section
    python -m benchmarks.strategy_choice write "conclusion..."  # put it in RESULTS.md

Budget 300 labels, batch 10, seed 20 (cold start), 3 repeats, choice view, accuracy. GOLD pools
are subsampled to <= 5,000 rows and TEST to <= 2,000 rows (seed 0) for speed.
"""

from __future__ import annotations

import json
import sys
import time

from altool.simulate import read_labelled, simulate, subsample
from altool.strategies import declare, margin, random_start, register_strategy
from benchmarks.common import DATA, DATASETS, WORK, shared_ranks, write_section

STRATEGIES = ("margin", "entropy", "diverse", "random")
OUT = WORK / "strategy"
START, END = "<!-- strategy-choice:start -->", "<!-- strategy-choice:end -->"
SETTINGS = dict(budget=300, batch_size=10, seed_size=20, repeats=3, view="choice",
                metric="accuracy", seed=0)


def margin_random_start(probs, n, *, rng, features=None):
    return margin(probs, n, rng=rng, features=features)


declare(margin_random_start, cold_start=random_start)  # margin after a random (not k-means++) start


def run(names: list[str], max_gold: int = 5000, max_test: int = 2000) -> None:
    register_strategy("margin-randstart", margin_random_start)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        gold = subsample(read_labelled(str(DATA / f"{name}.train.jsonl")), max_gold)
        test = subsample(read_labelled(str(DATA / f"{name}.test.jsonl")), max_test)
        strategies = list(STRATEGIES) + (["margin-randstart"] if name == "trec" else [])
        t0 = time.time()
        result = simulate(gold, test, strategies, **SETTINGS)
        data = result.to_json()
        data.update(dataset=name, seconds=round(time.time() - t0, 1), n_gold=result.n_gold,
                    n_test=result.n_test, n_labels=len(result.labels),
                    aulc_std={k: v.aulc_std for k, v in result.strategies.items()},
                    saving={k: result.saving(k) for k in result.strategies})
        (OUT / f"{name}.json").write_text(json.dumps(data, indent=1))
        print(f"{name}: {data['seconds']}s", flush=True)


def report() -> str:
    rows = {p.stem: json.loads(p.read_text()) for p in sorted(OUT.glob("*.json"))}
    names = [d for d in DATASETS if d in rows]
    lines = [START, *aulc_table(rows, names), "", "Mean AULC rank over the datasets (1 = best): "
             + ", ".join(f"{k} {v:.2f}" for k, v in _ranks(rows, names).items()) + ".", "",
             *labels_to_95_table(rows, names), "", *accuracy_table(rows, names)]
    if "trec" in rows and "margin-randstart" in rows["trec"]["strategies"]:
        lines += ["", cold_start_note(rows["trec"]["strategies"])]
    lines += ["", "_Filled in by benchmarks/strategy_choice.py; conclusion below is written "
              "by hand._", "", "CONCLUSION", END]
    return "\n".join(lines) + "\n"


def aulc_table(rows: dict, names: list[str]) -> list[str]:
    """The heading, the protocol and each strategy's AULC per dataset (best in bold)."""
    lines = [
        "## Query strategy: which default (`altool simulate`)",
        "",
        "Simulated `textcat.teach` sessions (`altool.simulate`, the teach worker's Learner, "
        "model and cold start) with the gold labels answering: choice view, budget 300 labels, "
        "batch 10, the first 20 labels from the cold start, 3 repeats (mean), accuracy on "
        "TEST. GOLD pools subsampled to <= 5,000 rows and TEST to <= 2,000 rows (seed 0). "
        "Reproduce: `python -m benchmarks.strategy_choice run <datasets>; "
        "python -m benchmarks.strategy_choice report`.",
        "",
        "AULC = mean accuracy over 20..300 labels (area under the curve / label range). "
        "Higher is better; best per dataset in bold.",
        "",
        "| dataset | labels | GOLD / TEST rows | full-data acc | "
        + " | ".join(STRATEGIES) + " |",
        "|---|---:|---:|---:|" + "---:|" * len(STRATEGIES),
    ]
    for name in names:
        d = rows[name]
        s = d["strategies"]
        best = max(s[k]["aulc"] for k in STRATEGIES)
        cells = [(f"**{s[k]['aulc']:.3f}**" if s[k]["aulc"] == best else f"{s[k]['aulc']:.3f}")
                 + f" ±{d['aulc_std'][k]:.3f}" for k in STRATEGIES]
        lines.append(f"| {name} | {d['n_labels']} | {d['n_gold']:,} / {d['n_test']:,} | "
                     f"{d['full_score']:.3f} | "
                     + " | ".join(cells) + " |")
    return lines


def labels_to_95_table(rows: dict, names: list[str]) -> list[str]:
    """Labels to 95% of the full-data accuracy per strategy, and the saving vs random."""
    lines = ["Labels to reach 95% of the full-data accuracy (mean curve; `-` = not within "
             "300; random continues past the budget, up to 3,000, so a saving can be "
             "computed), and the saving vs random:", "",
             "| dataset | 95% target | " + " | ".join(STRATEGIES) + " |",
             "|---|---:|" + "---:|" * len(STRATEGIES)]
    for name in names:
        d = rows[name]
        cells = []
        for k in STRATEGIES:
            n = d["strategies"][k]["labels_to"]["0.95"]
            sv = d["saving"].get(k)
            cells.append("-" if n is None else f"{n}" + (
                f" ({sv:+.0%})" if sv is not None and k != "random" else ""))
        lines.append(f"| {name} | {0.95 * d['full_score']:.3f} | " + " | ".join(cells) + " |")
    return lines


def accuracy_table(rows: dict, names: list[str]) -> list[str]:
    """Accuracy at 20 / 50 / 100 / 300 labels per strategy."""
    lines = ["Accuracy at 20 / 50 / 100 / 300 labels (mean of 3):", "",
             "| dataset | " + " | ".join(STRATEGIES) + " |", "|---|" + "---|" * len(STRATEGIES)]
    for name in names:
        d = rows[name]
        cells = []
        for k in STRATEGIES:
            pts = {p[0]: p[1] for p in d["strategies"][k]["points"]}
            cells.append(" / ".join(f"{pts[c]:.2f}" for c in (20, 50, 100, 300) if c in pts))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def cold_start_note(s: dict) -> str:
    """TREC: margin after the k-means++ cold start vs after a random start (and random)."""
    pts = {k: {p[0]: p[1] for p in s[k]["points"]} for k in ("margin", "margin-randstart",
                                                               "random")}
    return ("TREC cold start: margin after the k-means++ cold start vs margin after a "
            "random start (AULC; accuracy at 20 / 50 / 100 labels): "
            + "; ".join(f"{k} {s[k]['aulc']:.3f} ({pts[k][20]:.2f} / {pts[k][50]:.2f} / "
                        f"{pts[k][100]:.2f})" for k in pts) + ".")


def _ranks(rows: dict, names: list[str]) -> dict[str, float]:
    """Mean rank per strategy over the datasets (ties share their ranks: ``shared_ranks``)."""
    total = dict.fromkeys(STRATEGIES, 0.0)
    for name in names:
        ranks = shared_ranks({k: rows[name]["strategies"][k]["aulc"] for k in STRATEGIES})
        for k, r in ranks.items():
            total[k] += r / len(names)
    return total


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):  # no argparse: the usage above
        print(__doc__)
    elif sys.argv[1] == "run":  # run [--small] DATASET...
        small = "--small" in sys.argv  # 2,000 / 1,000 rows, for a loaded machine
        names = [a for a in sys.argv[2:] if a != "--small"] or list(DATASETS)
        run(names, *((2000, 1000) if small else (5000, 2000)))
    elif sys.argv[1] == "write":  # write [CONCLUSION TEXT]: update RESULTS.md's section
        conclusion = " ".join(sys.argv[2:]) or "(no conclusion written yet)"
        write_section(START, END, report().replace("CONCLUSION", conclusion))
    else:
        print(report())
