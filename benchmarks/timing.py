"""Update + rescore timing of the text models on a pool of unique texts, and each query
strategy's time per batch; shared by label_efficiency.py and update_timing.py.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from altool.models import make_model
from altool.simulate import read_labelled
from benchmarks.common import DATA, data_file, log

TIMING_POOL = 100_000  # the file of unique texts core.py loads; smaller pools: TREC's texts
BATCH = 10


def model_names(arg: str) -> tuple[list[str], list[str]]:
    """Models to run, and notes for those skipped (``embed``, ``embed:ENCODER`` and ``blend``
    need the encoder's packages; checked without importing them)."""
    from altool.models.encoder import missing_packages
    from altool.models.registry import MODELS, split_model_name

    out, notes = [], []
    for m in (s.strip() for s in arg.split(",") if s.strip()):
        kind, base = split_model_name(m)
        spec = MODELS.get(kind)
        if spec is not None and spec.extra == "embed" and (missing := missing_packages(base)):
            notes.append(f"model `{m}` skipped: {', '.join(missing)} not installed")
            continue
        out.append(m)
    return out, notes


def time_updates(models: list[str], n_pool: int, steps: list[int], *,
                 both_ways: bool = False) -> dict:
    """Per-batch ``learner.fit(answers)`` + ``model.predict_proba(pool)`` on an ``n_pool``
    pool (features computed once per model), for growing answer sets; labels = the text's
    corpus. ``both_ways``: a second round with the models in reverse order (a fresh model
    each, the pool's features reused), its times pooled with the first's, so that a change
    in machine load between models evens out."""
    from altool.loop.learner import Learner
    from altool.loop.threads import one_thread
    from altool.strategies import get_strategy

    texts, corpus, labels = timing_rows(n_pool)
    answers = timing_answers(texts, corpus, labels, max(steps))
    pool_X: dict[str, Any] = {}
    out: dict[str, dict] = {}
    for model_name in models + (models[::-1] if both_ways else []):
        with one_thread():
            model = make_model(model_name, labels)
            if model_name not in pool_X:
                pool_X[model_name], featurize_s, cached = pool_features(model, texts)
                out[model_name] = {"pool": len(texts), "labels": len(labels), "steps": steps,
                                   "featurize_s": round(featurize_s, 1), "cached": cached,
                                   "fit_ms": [], "score_ms": [], "total_ms": []}
            X, t = pool_X[model_name], out[model_name]
            learner = Learner(model, get_strategy("default"), view="choice", seed=0)
            for n in steps:
                t0 = time.perf_counter()
                learner.fit(answers[:n])
                t1 = time.perf_counter()
                model.predict_proba(X)
                t2 = time.perf_counter()
                t["fit_ms"].append((t1 - t0) * 1e3)
                t["score_ms"].append((t2 - t1) * 1e3)
                t["total_ms"].append((t2 - t0) * 1e3)
        log(f"timing [{model_name}]: pool {len(texts):,}, featurize {t['featurize_s']:.1f}s"
            f"{' (cache read)' if t['cached'] else ''}; update+rescore p50 "
            f"{pct(t['total_ms'], 50):.0f} ms, p99 {pct(t['total_ms'], 99):.0f} ms")
    return out


def timing_cells(t: dict) -> str:
    """One model's timing as table cells: fit, rescore, update + rescore (p50 / p99 each)."""
    return " | ".join(f"{pct(t[key], 50):.0f} / {pct(t[key], 99):.0f} ms"
                      for key in ("fit_ms", "score_ms", "total_ms"))


def pool_features(model: Any, texts: list[str]) -> tuple[Any, float, bool]:
    """Features of the timing pool, the seconds they took, and whether they all came from the
    embedding cache: a cacheable model (embed) goes through altool's cache under
    ``ALTOOL_HOME/cache``, so the 100,000 texts are encoded once, not on every run."""
    from altool.models.cache import feature_cache

    t0 = time.time()
    with feature_cache(model) as featurize:
        X = featurize(texts)
    encoded = getattr(featurize, "encoded", None)  # texts the cache lacked (None: no cache)
    return X, time.time() - t0, encoded == 0


def timing_rows(n_pool: int) -> tuple[list[str], list[str], list[str]]:
    """Texts of the timing pool, the corpus each came from (its label), and the labels."""
    if n_pool == TIMING_POOL:
        path = data_file(n_pool)  # the 100k unique-text file core.py loads too
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    else:  # small pools (smoke): texts of one dataset, made unique
        rows = [{"text": f"{eg['text']} #{i}", "label": eg["label"]}
                for i, eg in enumerate(read_labelled(str(DATA / "trec.train.jsonl")))][:n_pool]
    texts = [r["text"] for r in rows]
    corpus = [r["label"].split(":", 1)[0] for r in rows]
    return texts, corpus, sorted(set(corpus))


def timing_answers(texts: list[str], corpus: list[str], labels: list[str], n: int) -> list:
    """``n`` choice answers on random rows of the timing pool (seed 0)."""
    from altool.io.hashing import hash_text
    from altool.loop.learner import Pick, make_task

    answers = []
    for r in np.random.default_rng(0).choice(len(texts), n, replace=False):
        task = make_task({"text": texts[r], "_input_hash": hash_text(texts[r])}, labels,
                         "choice", Pick(int(r), None, None, None))
        task.update(accept=[corpus[r]], answer="accept")
        answers.append(task)
    return answers


def time_queries(models: list[str], n_pool: int, strategies: list[str], n_answers: int = 200,
                 rounds: int = 3) -> dict:
    """Query time per batch: ``learner.choose(pool, n=10)`` on an ``n_pool`` pool (scoring
    the pool, the strategy, building the picks) after fitting on ``n_answers`` answers; the
    median of ``rounds`` calls per strategy (features computed once, not timed)."""
    from altool.io.hashing import hash_text
    from altool.loop.learner import Learner
    from altool.loop.threads import one_thread

    texts, corpus, labels = timing_rows(n_pool)
    answers = timing_answers(texts, corpus, labels, n_answers)
    hashes = [hash_text(t) for t in texts]
    out: dict[str, dict[str, float]] = {}
    for model_name in models:
        with one_thread():
            X = pool_features(make_model(model_name, labels), texts)[0]
            out[model_name] = {}
            for name in strategies:
                learner = Learner(make_model(model_name, labels), name, view="choice", seed=0)
                learner.fit(answers)
                times = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    learner.choose(X, hashes, BATCH)
                    times.append((time.perf_counter() - t0) * 1e3)
                out[model_name][name] = float(np.median(times))
                log(f"query time [{model_name}] {name}: {out[model_name][name]:.0f} ms")
    return {"pool": len(texts), "labels": len(labels), "answers": n_answers, "ms": out}


def pct(values: list[float], q: float) -> float:
    """numpy's (interpolated) percentile, NaN for no values."""
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")
