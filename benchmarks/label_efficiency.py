"""Label efficiency: altool's query strategies against random and against peer libraries.

    python -m benchmarks.label_efficiency              # default configuration
    python -m benchmarks.label_efficiency --full       # the issue's protocol
    python -m benchmarks.label_efficiency --smoke      # CI: seconds, no files
    python -m benchmarks.label_efficiency --report     # rewrite from saved JSON

For each dataset x model x strategy, :func:`altool.simulate.simulate` replays the teach loop
with the gold labels answering (choice view, seed 20 from altool's cold start, batch 10,
accuracy on TEST): AULC, labels to reach 95% of the full-data accuracy, saving vs random. The
peers (modAL, small-text; ``pip install -e '.[bench]'``) run their own loops and strategies on
the same features and classifier from the same seed set: the 20 rows altool's default
strategy answered first in that repeat (benchmarks/peers.py). Also
times one update + rescoring of a 100,000-example pool per model.

Writes ``benchmarks/.work/label_efficiency/*.json``, PNG curves under ``benchmarks/curves/``
and its own section of ``benchmarks/RESULTS.md`` (``<!-- label-efficiency:start/end -->``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from altool.errors import AltoolError
from altool.models import make_model
from altool.models.registry import model_capabilities
from altool.simulate import (
    BASELINE,
    EXTEND_FACTOR,
    SAVING_THRESHOLD,
    THRESHOLDS,
    aulc,
    checkpoint_grid,
    format_saving,
    labels_to_reach,
    simulate,
)
from altool.strategies import STRATEGIES, parse_mix
from altool.strategies.registry import default_strategy
from benchmarks import peers
from benchmarks.common import (
    DATA,
    DATASETS,
    HERE,
    RESULTS,
    crossing,
    fmt_l95,
    l95,
    last_labels,
    load,
    log,
    machine,
    markers,
    shared_ranks,
    write_section,
)
from benchmarks.timing import TIMING_POOL, model_names, time_queries, time_updates, timing_cells

# the n-gram model's default strategy: what this benchmark measures
DEFAULT_STRATEGY = default_strategy(model_capabilities("sklearn"))

WORK = Path(os.environ.get("LABEL_EFFICIENCY_WORK", HERE / ".work" / "label_efficiency"))
CURVES = HERE / "curves"
SECTION = "label-efficiency"  # RESULTS.md markers; --section writes a second section
SEED_SIZE, BATCH = 20, 10
DEFAULTS = dict(budget=500, repeats=3, max_gold=3000, max_test=1000)
FULL = dict(budget=1000, repeats=5, max_gold=None, max_test=None)
SMOKE = dict(budget=60, repeats=1, max_gold=400, max_test=200)
STOP_GAP = 0.03


def strategy_names(arg: str | None) -> list[str]:
    """``default`` first, then every registered strategy (read now: others may add some)."""
    names = ["default"] + [s for s in STRATEGIES if s != DEFAULT_STRATEGY]
    if arg:
        names = [s.strip() for s in arg.split(",") if s.strip()]
    out = []
    for s in names:
        s = DEFAULT_STRATEGY if s == "default" else s
        if s not in STRATEGIES:
            raise SystemExit(f"unknown strategy {s!r}; registered: {', '.join(STRATEGIES)}")
        if s not in out:
            out.append(s)
    if BASELINE not in out:
        out.append(BASELINE)
    return out


# -- one dataset -----------------------------------------------------------------------------
def run_dataset(name: str, cfg: dict, strategies: list[str], models: list[str],
                peer_filter: set[str] | None) -> dict | None:
    data = load(name, cfg["max_gold"], cfg["max_test"])
    if data is None:
        log(f"{name}: not found under {DATA}, skipped")
        return None
    gold, test = data
    out: dict[str, Any] = {"dataset": name, "config": cfg, "n_gold": len(gold),
                           "n_test": len(test), "models": {}}
    for model in models:
        t0 = time.time()
        log(f"{name} [{model}]: simulate {', '.join(strategies)} "
            f"({len(gold):,} GOLD / {len(test):,} TEST)")
        res = simulate(gold, test, strategies, model=model, view="choice", seed_size=SEED_SIZE,
                       batch_size=BATCH, budget=cfg["budget"], repeats=cfg["repeats"],
                       metric="accuracy", seed=0, extend=cfg.get("extend", [BASELINE]),
                       random_share=cfg.get("random_share", 0.0))
        js = res.to_json()
        for k, r in res.strategies.items():
            js["strategies"][k]["aulc_std"] = r.aulc_std
            js["strategies"][k]["saving"] = res.saving(k)
        js.update(n_labels=len(res.labels), budget=res.budget,
                  seconds=round(time.time() - t0, 1))
        out["models"][model] = js
        log(f"  {model}: {js['seconds']}s; full-data acc {res.full_score:.3f}; AULC "
            + ", ".join(f"{k} {r.aulc:.3f}" for k, r in res.strategies.items()))
        if model == "sklearn" and peer_filter != set():
            out["peers"], out["peer_failures"] = run_peer_set(
                gold, test, res.labels, res.budget, cfg["repeats"], js["full_score"],
                peer_filter, res.strategies[DEFAULT_STRATEGY].seed_sets)
    return out


def run_peer_set(gold: list, test: list, labels: list[str], budget: int, repeats: int,
                 full_score: float, only: set[str] | None,
                 inits: list[list[int]] | None = None) -> tuple[dict, dict]:
    """Peer curves; ``inits[r]``: the seed set of repeat ``r`` (the default strategy's own
    cold-start rows, so peers and altool start from the same labels)."""
    from altool.loop.threads import one_thread

    index = {label: j for j, label in enumerate(labels)}
    with one_thread():
        featurizer = make_model("sklearn", labels)
        X = featurizer.featurize([eg["text"] for eg in gold])
        X_test = featurizer.featurize([eg["text"] for eg in test])
    y = np.array([index[str(eg["label"])] for eg in gold])
    y_test = np.array([index.get(str(eg["label"]), -1) for eg in test])
    grid = checkpoint_grid(budget, BATCH, min(SEED_SIZE, budget))
    t0 = time.time()
    log("  peers (altool's seed rows, batch 10, same features and classifier):")
    raw, failed = peers.run_peers(X, y, X_test, y_test, len(labels), grid, repeats, only=only,
                                  log=log, inits=inits)
    out = {}
    for key, r in raw.items():
        curves = np.array(r["curves"])
        mean, std = curves.mean(axis=0), curves.std(axis=0)
        points = [[int(n), float(m), float(s)] for n, m, s in zip(grid, mean, std, strict=True)]
        per_run = [aulc(list(zip(grid, c, strict=True))) for c in curves]
        out[key] = {"points": points, "aulc": float(np.mean(per_run)),
                    "aulc_std": float(np.std(per_run)), "seconds": r["seconds"],
                    "labels_to": {"0.95": labels_to_reach([(p[0], p[1]) for p in points],
                                                          0.95 * full_score)}}
    log(f"  peers: {time.time() - t0:.0f}s")
    return out, failed


def merge_results(results: list[dict], other: list[dict]) -> None:
    """Add to ``results`` the datasets, models and strategies of ``other`` it lacks (a run of
    more strategies on the same configuration)."""
    by_name = {d["dataset"]: d for d in results}
    for d in other:
        mine = by_name.get(d["dataset"])
        if mine is None:
            results.append(d)
            continue
        if mine["config"] != d["config"]:
            raise SystemExit(f"{d['dataset']}: can't merge runs of different configurations "
                             f"({mine['config']} vs {d['config']})")
        for model, m in d["models"].items():
            if model not in mine["models"]:
                mine["models"][model] = m
                continue
            for k, s in m["strategies"].items():
                mine["models"][model]["strategies"].setdefault(k, s)


def merge_timing(saved: dict, other: dict) -> None:
    """Add to the run ``saved`` the models ``other`` timed: update + rescore, and query time
    per batch (only on the same pool and number of answers). A model timed in both keeps
    ``other``'s (later) numbers, so one timing run can time every model side by side."""
    saved["timing"] = {**(saved.get("timing") or {}), **(other.get("timing") or {})}
    theirs, mine = other["meta"].get("query_timing"), saved["meta"].get("query_timing")
    if not theirs or not mine:
        saved["meta"]["query_timing"] = mine or theirs
        return
    if (mine["pool"], mine["answers"]) != (theirs["pool"], theirs["answers"]):
        raise SystemExit(f"can't merge query timings of different pools or answers "
                         f"({mine['pool']}/{mine['answers']} vs "
                         f"{theirs['pool']}/{theirs['answers']})")
    mine["ms"] = {**mine["ms"], **theirs["ms"]}


# -- analysis --------------------------------------------------------------------------------
def best_peer(d: dict, lib: str) -> tuple[str, dict] | None:
    cands = [(k, v) for k, v in d.get("peers", {}).items() if k.startswith(lib + ":")]
    return max(cands, key=lambda kv: kv[1]["aulc"]) if cands else None


Target = tuple[str, bool | None, str]  # (name, met? (None: not evaluated), detail)


def targets(results: list[dict]) -> list[Target]:
    """(name, met?, detail) for the issue's targets, on the sklearn model."""
    rows = [d for d in results if "sklearn" in d["models"]]
    if not rows:
        return []
    savings = savings_target(rows)
    return [no_regret_target(rows), *([savings] if savings else []), peers_target(rows),
            stop_target(rows)]


def no_regret_target(rows: list[dict]) -> Target:
    """(1) no regret: the default's AULC >= random's on every dataset."""
    dflt = DEFAULT_STRATEGY
    detail, ok = [], True
    for d in rows:
        s = d["models"]["sklearn"]["strategies"]
        if dflt in s and BASELINE in s:
            a, b = s[dflt]["aulc"], s[BASELINE]["aulc"]
            ok &= a >= b
            detail.append(f"{d['dataset']} {a:.3f} vs {b:.3f}")
    return ("no regret: default AULC >= random on every dataset", ok, "; ".join(detail))


def savings_target(rows: list[dict]) -> Target | None:
    """(2) savings: labels to 95% for default <= half of random's, median over datasets; None
    when no dataset ran both."""
    dflt = DEFAULT_STRATEGY
    ratios, detail, between = [], [], []
    for d in rows:
        m = d["models"]["sklearn"]
        s = m["strategies"]
        if dflt not in s or BASELINE not in s:
            continue
        a, b = l95(s[dflt]), l95(s[BASELINE])
        ca, cb = (crossing(s[k]["points"], 0.95 * m["full_score"]) for k in (dflt, BASELINE))
        if ca is not None and cb is not None:
            between.append(ca / cb)
        reached = last_labels(s[BASELINE])
        if a is None:
            ratios.append(float("inf"))
            detail.append(f"{d['dataset']} default not within {last_labels(s[dflt])}")
        elif b is None:  # random never got there: the ratio is at most a / what it tried
            ratios.append(a / reached)
            detail.append(f"{d['dataset']} {a} vs >{reached} (< {a / reached:.2f})")
        else:
            ratios.append(a / b)
            detail.append(f"{d['dataset']} {a} vs {b} ({a / b:.2f})")
    if not ratios:
        return None
    med = statistics.median(ratios)
    if len(between) == len(ratios):  # the same, with crossings between checkpoints
        detail.append(f"interpolated between checkpoints: median "
                      f"{statistics.median(between):.2f} ("
                      + ", ".join(f"{r:.2f}" for r in between) + ")")
    return (f"savings: median labels-to-95% ratio default/random <= 0.5 "
            f"(median {med:.2f})", med <= 0.5, "; ".join(detail))


def peers_target(rows: list[dict]) -> Target:
    """(3) ahead of peers: the default >= the best modAL and small-text on >= 5 of 6."""
    dflt = DEFAULT_STRATEGY
    wins, detail, have = 0, [], 0
    for d in rows:
        s = d["models"]["sklearn"]["strategies"]
        bm, bs = best_peer(d, "modAL"), best_peer(d, "small-text")
        if dflt not in s or (bm is None and bs is None):
            continue
        have += 1
        a = s[dflt]["aulc"]
        peers_best = [p for p in (bm, bs) if p is not None]
        win = all(a >= p[1]["aulc"] for p in peers_best)
        wins += win
        detail.append(f"{d['dataset']} {a:.3f} vs " + ", ".join(
            f"{p[0]} {p[1]['aulc']:.3f}" for p in peers_best) + (" (ahead)" if win else ""))
    if not have:
        return ("ahead of peers", None, "no peer results in this run (--peers none, or the "
                "bench extra is not installed)")
    need = min(5, have) if have < 6 else 5
    return (f"ahead of peers: default >= best modAL and best small-text on >= 5 of 6 "
            f"({wins} of {have})", wins >= need, "; ".join(detail))


def stop_target(rows: list[dict]) -> Target:
    """(4) the stop signal's gap, if simulate reports one: <= 3 points on >= 5 of 6."""
    dflt = DEFAULT_STRATEGY
    gaps, detail = [], []
    for d in rows:
        m = d["models"]["sklearn"]
        stop = m["strategies"].get(dflt, {}).get("stop")
        gap = stop_gap(stop, m["full_score"])
        if gap is not None:
            gaps.append(gap)
            detail.append(f"{d['dataset']} " + ("never fired" if gap == float("inf") else
                          f"{gap * 100:.1f} pts at {stop['labels']:.0f} labels "
                          f"({stop.get('fired')} of {d['config']['repeats']} runs fired)"))
    if not gaps:
        return ("stop signal gap", None, "not evaluated: simulate's JSON has no `stop` key")
    n_ok = sum(abs(g) <= STOP_GAP for g in gaps)
    return (f"stop signal: gap (best score within the budget - score at the stop) "
            f"<= 3 points on >= 5 of 6 "
            f"({n_ok} of {len(gaps)})", n_ok >= min(5, len(gaps)), "; ".join(detail))


def stop_gap(stop: Any, full_score: float) -> float | None:
    """simulate's ``stop`` gap as a fraction: best score within the budget minus the score
    when the stop signal fired, in points (mean over the runs where it fired); +inf if it
    never fired within the budget; None if simulate reports no stop."""
    if not isinstance(stop, dict) or "gap" not in stop:
        return None
    if stop.get("gap") is None:
        return float("inf")
    return float(stop["gap"]) / 100.0


# -- presentation ----------------------------------------------------------------------------
def extended(cfg: dict) -> str:
    """Who ran on past the budget and how far, in words (simulate's ``extend``)."""
    names = cfg.get("extend", [BASELINE])
    top = f"{max(THRESHOLDS):.0%}"
    if names in ([], ["none"]):
        return "no strategy keeps going past the budget"
    if names == [BASELINE]:
        return (f"random keeps going past the budget, up to {EXTEND_FACTOR}x, until its mean "
                f"curve reaches {top}")
    who = "every strategy keeps" if "all" in names else ", ".join(names) + " keep"
    return (f"{who} going past the budget, up to {EXTEND_FACTOR}x, in its own batches, until "
            f"its mean curve reaches {SAVING_THRESHOLD:.0%} (random, in one step per "
            f"checkpoint: {top})")


def table(results: list[dict], timing: dict | None, meta: dict) -> str:
    dflt = DEFAULT_STRATEGY
    cfg = meta["config"]
    start, end = markers(meta.get("section", SECTION))
    title = f": {meta['title']}" if meta.get("title") else ""
    lines = [start, f"## Label efficiency{title} (`benchmarks/label_efficiency.py`)", "",
             f"Measured {meta['date']}; {meta['machine']}; took {meta['minutes']:.0f} min; "
             f"1-min load average at the end {meta['load']:.1f}.", "",
             f"**Configuration run: {meta['name']}**: budget {cfg['budget']} labels, "
             f"{cfg['repeats']} repeat(s), GOLD <= {cfg['max_gold'] or 'all'} rows, "
             f"TEST <= {cfg['max_test'] or 'all'} rows (random subsets, seed 0), choice view, "
             "batch 10, accuracy. The issue's full protocol (budget 1000, 5 repeats, all rows) "
             "is `--full`."
             + (f" Every strategy's batches have a {cfg['random_share']:.0%} share of random "
                f"picks (`--mix random={cfg['random_share']}`)."
                if cfg.get("random_share") else "")
             + (f" {meta['reduced']}" if meta.get("reduced") else ""), "",
             "altool strategies run through `altool.simulate.simulate` (the teach worker's "
             "Learner; the first 20 labels from the strategy's own cold start). Peers (modAL, "
             "small-text) run their own loops and query strategies on altool's features and "
             "classifier (HashedFeatures; altool's `SklearnModel`: one liblinear "
             "LogisticRegression per label, C=10, balanced, averaged with a ComplementNB), "
             "starting from the same seed set as altool's default: in each "
             "repeat, the 20 rows its cold start picked (the same rows for every peer "
             "strategy), as the issue's protocol asks. AULC = mean accuracy over the label range "
             f"{SEED_SIZE}..budget (`altool.simulate.aulc`, same checkpoints for all). "
             "Labels to 95% = first checkpoint where the mean curve reaches 95% of the "
             f"full-data accuracy ({extended(cfg)}; `>n` = not reached by n). "
             "Saving = 1 - labels(strategy) / labels(random).", "",
             f"`{dflt}` is altool's default strategy.", ""]
    if meta.get("strategies_only"):
        lines += ["The summary and the issue's targets are judged in the main label-efficiency "
                  "section (more repeats, peers from the same seed set); this section compares "
                  "every strategy."]
    else:
        lines += summary_and_targets(results)
    lines += strategy_matrix(results, meta.get("query_timing"))
    return lines_with_details(lines, results, timing, meta, end)


def summary_and_targets(results: list[dict]) -> list[str]:
    """The per-dataset summary (default vs random vs the best peers) and the issue's targets."""
    dflt = DEFAULT_STRATEGY
    lines: list[str] = []
    lines += ["### Summary (sklearn model)", "",
              "| dataset | labels | GOLD / TEST | full-data acc | default AULC | random AULC | "
              "best modAL | best small-text | default / random labels to 95% |",
              "|---|---:|---:|---:|---:|---:|---|---|---:|"]
    for d in results:
        m = d["models"].get("sklearn")
        if m is None or dflt not in m["strategies"] or BASELINE not in m["strategies"]:
            continue  # a run of other strategies only (merged into a full run by --report)
        s = m["strategies"]
        bm, bs = best_peer(d, "modAL"), best_peer(d, "small-text")

        def peer_cell(p: tuple[str, dict] | None) -> str:
            return "-" if p is None else f"{p[1]['aulc']:.3f} ({p[0].split(':', 1)[1]})"

        lines.append(
            f"| {d['dataset']} | {m['n_labels']} | {d['n_gold']:,} / {d['n_test']:,} | "
            f"{m['full_score']:.3f} | {s[dflt]['aulc']:.3f} | {s[BASELINE]['aulc']:.3f} | "
            f"{peer_cell(bm)} | {peer_cell(bs)} | {fmt_l95(s[dflt])} / "
            f"{fmt_l95(s[BASELINE])} |")
    lines += ["", "### Targets", ""]
    for name, ok, detail in targets(results):
        verdict = "not evaluated" if ok is None else ("**met**" if ok else "**MISSED**")
        lines.append(f"- {name}: {verdict}. {detail}")
    return lines


def lines_with_details(lines: list[str], results: list[dict], timing: dict | None, meta: dict,
                       end: str) -> str:
    """``lines`` followed by the table of every strategy, timing, notes and curve links."""
    dflt = DEFAULT_STRATEGY
    # full table
    lines += ["", "### All strategies", "",
              "| dataset | model | strategy | AULC ± std | labels to 95% | saving vs random |",
              "|---|---|---|---:|---:|---:|"]
    for d in results:
        for model, m in d["models"].items():
            for k, s in m["strategies"].items():
                label = f"{k} (default)" if k == dflt else k
                if s.get("skipped") is not None:
                    label += f" (skipped {s['skipped']:.0%} of the stream)"
                lines.append(f"| {d['dataset']} | {model} | {label} | {s['aulc']:.3f} ± "
                             f"{s.get('aulc_std', 0):.3f} | {fmt_l95(s)} | "
                             f"{format_saving(s.get('saving'))} |")
        base = d["models"].get("sklearn", {}).get("strategies", {}).get(BASELINE)
        for k, s in sorted(d.get("peers", {}).items()):
            sv = None
            if base is not None and l95(s) is not None and l95(base) is not None:
                sv = 1 - l95(s) / l95(base)
            lines.append(f"| {d['dataset']} | sklearn | {k} (peer) | {s['aulc']:.3f} ± "
                         f"{s['aulc_std']:.3f} | {fmt_l95(s)} | "
                         f"{format_saving(sv)} |")
    if timing:
        lines += ["", "### Update + rescore time per batch", "",
                  "One `learner.fit(answers)` (all answers so far, features of new answers "
                  "computed and cached as in teach) plus `model.predict_proba` over the whole "
                  "pool (features computed once, not timed), for answer sets growing by 10 from "
                  f"{min(next(iter(timing.values()))['steps'])} to "
                  f"{max(next(iter(timing.values()))['steps'])}; one thread.", "",
                  "| model | pool | labels | fit p50 / p99 | rescore p50 / p99 | "
                  "update + rescore p50 / p99 | featurize pool once |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for model, t in timing.items():
            lines.append(
                f"| {model} | {t['pool']:,} | {t['labels']} | {timing_cells(t)} | "
                f"{t['featurize_s']:.0f} s{' (cache read)' if t.get('cached') else ''} |")
    notes = list(meta.get("notes", []))
    for d in results:
        for k, e in d.get("peer_failures", {}).items():
            notes.append(f"{d['dataset']}: peer {k} failed: {e}")
    if notes:
        lines += ["", "### Notes", ""] + [f"- {n}" for n in dict.fromkeys(notes)]
    section = meta.get("section", SECTION)
    lines += ["", "Curves: " + ", ".join(f"[{d['dataset']}](curves/{curve_file(d, section)})"
                                         for d in results) + ".", end]
    return "\n".join(lines) + "\n"


def strategy_matrix(results: list[dict], query_timing: dict | None) -> list[str]:
    """Per model: AULC of every strategy on every dataset, the mean rank over the datasets
    that ran every strategy, and the query time per batch on the timing pool."""
    lines: list[str] = []
    qt = (query_timing or {}).get("ms", {})
    models = list(dict.fromkeys(m for d in results for m in d["models"]))
    for model in models:
        rows = [d for d in results if model in d["models"]]
        names = list(dict.fromkeys(k for d in rows for k in d["models"][model]["strategies"]))
        full = [d for d in rows if set(names) <= set(d["models"][model]["strategies"])]
        ranks: dict[str, list[float]] = {k: [] for k in names}
        for d in full:
            s = d["models"][model]["strategies"]
            for k, r in shared_ranks({k: s[k]["aulc"] for k in names}).items():
                ranks[k].append(r)
        timed = model in qt
        lines += ["", f"### Strategies side by side ({model} model): AULC", "",
                  "| strategy | " + " | ".join(d["dataset"] for d in rows) +
                  f" | mean rank ({len(full)} datasets) |" +
                  (f" query time per batch, {query_timing['pool']:,} pool |" if timed else ""),
                  "|---|" + "---:|" * (len(rows) + 1 + timed)]
        for k in names:
            cells = []
            for d in rows:
                s = d["models"][model]["strategies"]
                best = f"{max(v['aulc'] for v in s.values()):.3f}"
                cell = f"{s[k]['aulc']:.3f}" if k in s else "-"
                cells.append(f"**{cell}**" if cell == best else cell)  # ties as shown
            rank = f"{np.mean(ranks[k]):.1f}" if ranks[k] else "-"
            q = f" {qt[model][k]:,.0f} ms |" if timed and k in qt[model] else (" - |" if timed
                                                                             else "")
            label = f"{k} (default)" if k == DEFAULT_STRATEGY else k
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {rank} |" + q)
    if query_timing:
        lines += ["", f"Query time per batch: `learner.choose(pool, 10)` on a "
                  f"{query_timing['pool']:,}-example pool ({query_timing['labels']} labels) after "
                  f"fitting on {query_timing['answers']} answers: scoring the pool, the strategy "
                  "(committee fits included) and building the picks; median of 3; one thread."]
    return lines


def curve_file(d: dict, section: str = SECTION) -> str:
    """The PNG of a dataset's curves for a RESULTS.md section (sections don't share files)."""
    return f"{d['dataset']}.png" if section == SECTION else f"{section}-{d['dataset']}.png"


def plot(d: dict, section: str = SECTION) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    CURVES.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=80)
    full = None
    ran_on = 0  # the budget the curves go on past, or 0
    # past the budget only in runs where more than random ran on (random alone would squeeze
    # the within-budget comparison into a corner of the chart)
    show_past = d["config"].get("extend", [BASELINE]) != [BASELINE]
    for model, m in d["models"].items():
        full = full or m["full_score"]
        for k, s in m["strategies"].items():
            pts = [p for p in s["points"] if p[0] <= m["budget"]]
            past = [p for p in s["points"] if p[0] >= m["budget"]] if show_past else []
            style = "-" if k in (DEFAULT_STRATEGY, BASELINE) else ":"
            width = 2 if k == DEFAULT_STRATEGY else 1
            line, = ax.plot([p[0] for p in pts], [p[1] for p in pts], style, linewidth=width,
                            label=f"{k}{' (default)' if k == DEFAULT_STRATEGY else ''} "
                                  f"[{model}] {s['aulc']:.3f}")
            if len(past) > 1:
                ran_on = m["budget"]
                ax.plot([p[0] for p in past], [p[1] for p in past], ":", linewidth=width,
                        color=line.get_color())
    for lib in ("modAL", "small-text"):
        bp = best_peer(d, lib)
        if bp:
            pts = bp[1]["points"]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "--", linewidth=1.2,
                    label=f"{bp[0]} {bp[1]['aulc']:.3f}")
    if full:
        ax.axhline(full, color="grey", linestyle="--", linewidth=0.8,
                   label=f"all {d['n_gold']:,} labels {full:.3f}")
    if full and ran_on:
        ax.axhline(0.95 * full, color="grey", linestyle=":", linewidth=0.8,
                   label=f"95% of it {0.95 * full:.3f}")
        ax.axvline(ran_on, color="grey", linewidth=0.6)
        ax.text(ran_on, ax.get_ylim()[0], f" budget {ran_on:,}; dotted: past it", fontsize=7,
                color="grey", va="bottom")
    ax.set_xlabel("labels")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{d['dataset']}: learning curves (mean of {d['config']['repeats']}; "
                 "legend: AULC)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = CURVES / curve_file(d, section)
    fig.savefig(path)
    plt.close(fig)
    return path


# -- main ------------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int)
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--max-gold", type=int, help="GOLD rows per dataset (0 = all)")
    ap.add_argument("--max-test", type=int, help="TEST rows per dataset (0 = all)")
    ap.add_argument("--datasets", help=f"comma-separated (default: {','.join(DATASETS)})")
    ap.add_argument("--strategies", help="comma-separated (default: default + every registered "
                    "strategy; random is always added)")
    ap.add_argument("--models", default="sklearn", help="comma-separated: sklearn,embed")
    ap.add_argument("--peers", default="all", help="all, none, or a comma-separated list "
                    "(modAL, small-text, modAL:margin, small-text:BreakingTies, ...)")
    ap.add_argument("--timing-pool", type=int, default=TIMING_POOL,
                    help="pool size for the update + rescore timing (0 = skip)")
    ap.add_argument("--query-timing-pool", type=int, default=TIMING_POOL,
                    help="pool size for the query time per batch of each strategy (0 = skip)")
    ap.add_argument("--extend", help="comma-separated strategies that keep going past the "
                    "budget (up to 10x) until they reach the thresholds (simulate's --extend; "
                    "default: random only; all = every strategy)")
    ap.add_argument("--mix", help="random=SHARE: that share of every batch picked at random, "
                    "for every strategy (simulate's and textcat.teach's --mix)")
    ap.add_argument("--full", action="store_true", help="the issue's protocol: budget 1000, "
                    "5 repeats, all rows")
    ap.add_argument("--smoke", action="store_true", help="tiny CI configuration: trec slice, "
                    "budget 60, 1 repeat; writes nothing unless --write")
    ap.add_argument("--write", action="store_true", help="write RESULTS.md and curves (the "
                    "default unless --smoke)")
    ap.add_argument("--no-results", action="store_true", help="save the JSON only; leave "
                    "RESULTS.md and the curves alone (e.g. for a second process on other "
                    "datasets; --report --merge then writes both)")
    ap.add_argument("--merge", action="append", default=[], help="with --report: also take the "
                    "datasets, models and strategies of this run.json that the last run lacks")
    ap.add_argument("--report", action="store_true", help="only rebuild RESULTS.md from the "
                    "saved JSON of the last run")
    ap.add_argument("--resume", action="store_true", help="keep the datasets of the last run "
                    "(same budget, repeats and subsets) and its timing; run only the rest")
    ap.add_argument("--note", action="append", default=[], help="extra note for RESULTS.md")
    ap.add_argument("--section", default=SECTION, help="with --report: the RESULTS.md section "
                    "(marker name) to write, e.g. a second run of other strategies")
    ap.add_argument("--title", default="", help="with --report: words added to the heading")
    ap.add_argument("--strategies-only", action="store_true", help="with --report: leave out "
                    "the summary and targets (judged in the main section)")
    return ap


def rebuild_report(args: argparse.Namespace) -> int:
    """``--report``: the section (and curves) from the saved JSON of the last run, with the
    runs of ``--merge`` added."""
    saved = json.loads((WORK / "run.json").read_text())
    saved["meta"]["notes"] = saved["meta"].get("notes", []) + args.note
    saved["meta"].update(section=args.section, title=args.title,
                         strategies_only=args.strategies_only)
    for extra in args.merge:
        other = json.loads(Path(extra).read_text())
        merge_results(saved["results"], other["results"])
        merge_timing(saved, other)
        saved["meta"]["minutes"] = max(saved["meta"]["minutes"], other["meta"]["minutes"])
    for d in saved["results"]:
        plot(d, args.section)
    order = {n: i for i, n in enumerate(DATASETS)}
    saved["results"].sort(key=lambda d: order.get(d["dataset"], len(order)))
    write_section(*markers(args.section),
                  table(saved["results"], saved.get("timing"), saved["meta"]))
    log(f"wrote {RESULTS}")
    return 0


@dataclass
class Run:
    """One run: what the command line asked for, and what it has measured so far."""

    name: str  # the configuration's name in RESULTS.md
    cfg: dict
    datasets: list[str]
    strategies: list[str]
    models: list[str]
    peer_filter: set[str] | None  # None: every peer strategy; empty: none
    notes: list[str]
    write: bool  # run.json (and, unless draw is off, RESULTS.md and the curves)
    draw: bool  # RESULTS.md and the curves
    timing_pool: int
    query_pool: int
    smoke: bool
    results: list[dict] = field(default_factory=list)
    timing: dict | None = None
    query_timing: dict | None = None
    t_start: float = 0.0

    def save(self, final: bool) -> str:
        """The section's text; with ``write``, run.json too (after every dataset, so --report
        works on a run cut short)."""
        meta = {"name": self.name, "config": self.cfg,
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "machine": machine(), "minutes": (time.time() - self.t_start) / 60,
                "load": os.getloadavg()[0], "notes": self.notes, "complete": final,
                "query_timing": self.query_timing}
        if self.write:
            (WORK / "run.json").write_text(json.dumps(
                {"results": self.results, "timing": self.timing, "meta": meta}, indent=1))
        return table(self.results, self.timing, meta)


def configuration(args: argparse.Namespace, ap: argparse.ArgumentParser) -> tuple[str, dict]:
    """The configuration's name and settings: --smoke, --full or the default, changed by the
    options given."""
    name = "smoke" if args.smoke else ("full protocol" if args.full else "default (subsets)")
    cfg = dict(SMOKE if args.smoke else FULL if args.full else DEFAULTS)
    for key in ("budget", "repeats", "max_gold", "max_test"):
        v = getattr(args, key)
        if v is not None:
            cfg[key] = v or None
            name = "custom" if not args.smoke else name
    if args.mix:
        try:
            cfg["random_share"] = parse_mix(args.mix)
        except AltoolError as err:
            ap.error(str(err))
        name = "custom" if not args.smoke else name
    if args.extend:
        cfg["extend"] = [e.strip() for e in args.extend.split(",") if e.strip()]
    return name, cfg


def peer_filter(args: argparse.Namespace) -> set[str] | None:
    """The peer strategies ``--peers`` asks for (None: all; a smoke run: one per peer)."""
    if args.peers == "none":
        return set()
    if args.peers != "all":
        return {p.strip() for p in args.peers.split(",") if p.strip()}
    if args.smoke:
        return {"modAL:margin", "small-text:BreakingTies"}
    return None


def peer_notes(only: set[str] | None) -> list[str]:
    """Notes on the peers: which did not import, modAL's compatibility shim, what was not run."""
    notes = []
    status = peers.available()
    for lib, err in status.items():
        if err is not None:
            notes.append(f"peer {lib} not run: {err} (install with `pip install -e '.[bench]'`)")
    if status["modAL"] is None and only != set():
        note = peers.modal_compat()
        if note:
            notes.append(note)
    notes.append("small-text's EmbeddingKMeans / ContrastiveActiveLearning not run: they need "
                 "`clf.embed()`, which small-text's SklearnClassifier does not have (dense "
                 "embeddings of 2M hashed features would not be cheap either)")
    return notes


def plan(args: argparse.Namespace, ap: argparse.ArgumentParser) -> Run:
    """The run the command line asks for (no dataset run yet)."""
    name, cfg = configuration(args, ap)
    datasets = ([s.strip() for s in args.datasets.split(",") if s.strip()] if args.datasets
                else (["trec"] if args.smoke else list(DATASETS)))
    strategies = strategy_names(args.strategies or ("default,random" if args.smoke else None))
    models, notes = model_names(args.models)
    only = peer_filter(args)
    notes += peer_notes(only) + args.note
    write = args.write or not args.smoke
    return Run(name=name, cfg=cfg, datasets=datasets, strategies=strategies, models=models,
               peer_filter=only, notes=notes, write=write, draw=write and not args.no_results,
               timing_pool=args.timing_pool if not args.smoke else min(args.timing_pool, 2000),
               query_pool=(args.query_timing_pool if not args.smoke
                           else min(args.query_timing_pool, 2000)),
               smoke=args.smoke)


def announce(run: Run, full: bool) -> None:
    cfg = run.cfg
    log(f"label efficiency, {run.name}: budget {cfg['budget']}, repeats {cfg['repeats']}, "
        f"GOLD <= {cfg['max_gold'] or 'all'}, TEST <= {cfg['max_test'] or 'all'}; datasets "
        f"{', '.join(run.datasets)}; strategies {', '.join(run.strategies)} (default = "
        f"{DEFAULT_STRATEGY}); models {', '.join(run.models)}")
    if not full and not run.smoke:
        log("(subsets for speed; the issue's full protocol is --full: budget 1000, 5 repeats)")


def start(run: Run, resume: bool) -> None:
    """Start the clock; with ``resume``, keep the last run's datasets of the same
    configuration and its timings."""
    run.t_start = time.time()
    WORK.mkdir(parents=True, exist_ok=True)
    # embed's vector cache (altool.models.encoder.feature_cache) for every run, not ~/.altool
    os.environ.setdefault("ALTOOL_HOME", str(HERE / ".work" / "altool-home"))
    if resume and (WORK / "run.json").exists():
        saved = json.loads((WORK / "run.json").read_text())
        run.results = [d for d in saved["results"]
                       if d["config"] == run.cfg and d["dataset"] in run.datasets]
        run.timing = saved.get("timing")
        run.query_timing = saved["meta"].get("query_timing")
        run.t_start -= saved["meta"]["minutes"] * 60
        log(f"resuming: {', '.join(d['dataset'] for d in run.results) or 'nothing'} kept")


def time_models(run: Run) -> None:
    """The update + rescore and query timings the run lacks (first: a run cut short has them)."""
    if run.timing_pool and run.timing is None:
        steps = list(range(50, 501, 10)) if not run.smoke else [50, 60, 70]
        run.timing = time_updates(run.models, run.timing_pool, steps)
    if run.query_pool and run.query_timing is None:
        run.query_timing = time_queries(run.models, run.query_pool, run.strategies)


def run_all(run: Run) -> None:
    """Every dataset the run lacks, saved after each."""
    done = {d["dataset"] for d in run.results}
    for ds in run.datasets:
        if ds in done:
            continue
        d = run_dataset(ds, run.cfg, run.strategies, run.models, run.peer_filter)
        if d is None:
            continue
        run.results.append(d)
        if run.draw:
            plot(d)
        run.save(final=False)


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if args.report:
        return rebuild_report(args)
    run = plan(args, ap)
    announce(run, args.full)
    start(run, args.resume)
    time_models(run)
    run_all(run)
    text = run.save(final=True)
    print(text)
    if run.draw:
        write_section(*markers(SECTION), text)
        log(f"wrote {RESULTS} and {CURVES}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
