"""Per-batch update + re-scoring time of every text model on a 100,000-text source.

    nice python -m benchmarks.update_timing            # writes its RESULTS.md section
    nice python -m benchmarks.update_timing --smoke    # seconds, no files

What the teach worker does after each batch of answers: refit the model on all answers so far
(``Learner.fit``: features of new answers computed and cached, as in teach), then score the
whole source (``model.predict_proba``; the source's features are computed once, not timed).
Answer sets grow by 10 from 50 to 500 (random rows of the timing pool, seed 0; the pool is
``benchmarks/core.py``'s 100,000 unique texts from four of the public datasets, labelled by
the dataset each came from). Models run side by side in one process, one thread each, in two
rounds (A B C D, then D C B A) so that a change in machine load between models evens out;
the table pools both rounds and gives each model's p50 as a ratio to the default model's.

``embed`` needs the ``altool[embed]`` extra; its vectors go through altool's embedding cache,
so the 100,000 texts are encoded once (minutes), not on every run. ``spacy`` is the blank
English pipeline's TextCatBOW (``--model spacy``).
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks.common import busy_note, machine, write_section
from benchmarks.timing import TIMING_POOL, model_names, pct, time_updates, timing_cells

START, END = "<!-- update-timing:start -->", "<!-- update-timing:end -->"
MODELS = ("sklearn", "sklearn-lr", "embed", "spacy")
STEPS = list(range(50, 501, 10))


def report(timing: dict, steps: list[int], notes: list[str], took_s: float, load: float) -> str:
    """The RESULTS.md section (markers included)."""
    base = timing.get("sklearn")
    base_p50 = pct(base["total_ms"], 50) if base else None
    first = next(iter(timing.values()), None)
    lines = [
        START,
        "## Update + re-scoring time per batch, every model (`benchmarks/update_timing.py`)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; took "
        f"{took_s / 60:.0f} min.{busy_note(load)}",
        "",
        "What the background worker does after each batch: refit on all answers so far "
        "(`Learner.fit`), then score the whole source (`predict_proba`; its features computed "
        "once, not timed; their cost in the first round is the last column). Answer sets "
        f"of {min(steps)} to {max(steps)}, growing by "
        f"{steps[1] - steps[0] if len(steps) > 1 else 0}; "
        + (f"pool {first['pool']:,} texts, {first['labels']} labels; " if first else "")
        + "one thread; two rounds (models in order, then in reverse), pooled: "
        f"{2 * len(steps)} updates per model. Ratio = the model's update + rescore p50 over "
        "`sklearn`'s (the default model), measured in this run.",
        "",
        "| model | fit p50 / p99 | rescore p50 / p99 | update + rescore p50 / p99 | ratio to "
        "sklearn (p50) | featurize the pool once |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, t in timing.items():
        ratio = f"{pct(t['total_ms'], 50) / base_p50:.2f}x" if base_p50 else "-"
        feat = f"{t['featurize_s']:.1f} s" + (" (cache read)" if t["cached"] else "")
        lines.append(f"| {name} | {timing_cells(t)} | {ratio} | {feat} |")
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    ap.add_argument("--pool", type=int, default=TIMING_POOL, help="texts in the source")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny CI configuration: 2,000-text pool, 5 updates, no files")
    ap.add_argument("--write", action="store_true",
                    help="write the RESULTS.md section (the default unless --smoke)")
    args = ap.parse_args(argv)
    pool, steps = (min(args.pool, 2000), [20, 30, 40, 50, 60]) if args.smoke else (args.pool,
                                                                                   STEPS)
    models, notes = model_names(args.models)
    t0 = time.time()
    timing = time_updates(models, pool, steps, both_ways=True)
    text = report(timing, steps, notes, time.time() - t0, os.getloadavg()[0])
    print(text)
    if args.write or not args.smoke:
        write_section(START, END, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
