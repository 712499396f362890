"""Label efficiency on a broad suite, split before any tuning into a tuning half and a reporting
half (issue "Every label counts").

    nice python -m benchmarks.suite                          # the whole suite (hours)
    nice python -m benchmarks.suite --datasets trec          # some datasets only
    nice python -m benchmarks.suite --half reporting         # one half
    python -m benchmarks.suite --report-only                 # the section from the saved JSON
    python -m benchmarks.suite --smoke                       # seconds, writes nothing

For each dataset, :func:`altool.simulate.simulate` replays the teach loop (choice view, seed
20, batch 10, budget 500, 3 repeats, accuracy on TEST) for every model (``sklearn``: hashed
n-grams, the default; ``embed``: sentence embeddings; any other passed with ``--models``) x
strategy (``default``, ``random``, ``typiclust``, ``tcm``, ...), with the same seeds for every
strategy. Random order keeps going past the budget (simulate's ``extend``, up to 10x or the
whole pool), and so does the configuration the targets judge (``--default``), so that labels
to the mark can be measured. The peers (modAL, small-text; ``benchmarks/peers.py``) run their
own loops and strategies with the same model, features and seed set, for every model; on the
dense embeddings also small-text's embedding-based strategies.

Each dataset's raw results are saved as JSON under ``benchmarks/.work/suite/<protocol>/``
after every configuration (a rerun skips what is there unless ``--force``); the embeddings are
cached by altool under ``benchmarks/.work/suite/altool-home`` (``ALTOOL_HOME``). Writes the
``suite`` section of ``benchmarks/RESULTS.md`` (``<!-- suite:start/end -->``) from every
dataset saved for the protocol.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from altool.models.registry import resolve_model
from altool.simulate import (
    BASELINE,
    EXTEND_FACTOR,
    checkpoint_grid,
    simulate,
    subsample,
    unseen_test_labels,
)
from altool.strategies import DEFAULT_STRATEGY
from altool.strategies.registry import DEFAULT_OTHERWISE
from benchmarks import peers
from benchmarks.common import (
    DATA,
    HERE,
    busy_note,
    crossing,
    last_labels,
    log,
    machine,
    markers,
    read_one_label,
    unique_texts,
    write_section,
)
from benchmarks.timing import model_names

DEFAULT_MODEL = resolve_model("auto")[0]  # the model `textcat.teach` uses on this machine

# The suite, fixed here BEFORE any tuning (issue "Every label counts"). The tuning half holds
# the six sets altool's defaults were chosen on so far; the reporting half is held out: no
# setting of altool's may be chosen on it, it only reports.
SUITE: dict[str, tuple[str, ...]] = {
    "tuning": ("ag_news", "trec", "sst2", "sms_spam", "banking77", "clinc150"),
    "reporting": ("hwu64", "tweeteval_emotion", "tweeteval_offensive", "davidson_hate",
                  "amazon_multidomain", "goemotions"),
}
LABEL_FIELD = {"goemotions": "labels"}  # multi-label: only its rows with exactly one label
WORK = HERE / ".work" / "suite"
HOME = WORK / "altool-home"  # ALTOOL_HOME: altool's embedding cache survives between runs
SECTION = "suite"
GOLD_SEED, TEST_SEED, RUN_SEED = 301, 302, 30  # pools and runs of this suite only
SEED_SIZE, BATCH, MARK = 20, 10, 0.95
LONG_RANDOM_BATCH = 50  # random order's run on to the mark: picks don't depend on the model
MODELS = ("sklearn", "embed")
STRATEGIES = ("default", "random", "diverse", "typiclust", "tcm")
FULL = dict(budget=500, repeats=3, pool=3000, test=2000)
SMOKE = dict(budget=60, repeats=1, pool=300, test=200)
SMOKE_DATASETS = ("trec", "goemotions")  # one from each half
SMOKE_PEERS = {"modAL:margin", "small-text:BreakingTies"}
# the issue's targets: (1) savings, (2) no regret, (3) peers, (5) the stop signal
MEDIAN_SAVING, MIN_SAVING, PEER_SHARE = 3.0, 1.5, 0.8
STOP_POINTS, STOP_SHARE, STOP_EARLY = 3.0, 0.75, 1


@dataclass
class Config:
    """What the command line asked for."""

    datasets: list[str]
    models: list[str]
    strategies: list[str]  # resolved names (``default``: each model's default)
    peers: set[str] | None  # None: every peer strategy; empty: none
    budget: int
    repeats: int
    pool: int
    test: int
    judged: tuple[str, str]  # (model, strategy) the targets judge
    smoke: bool = False
    force: bool = False
    peer_models: list[str] | None = None  # the models the peers run with (None: every one)
    long: bool = True  # run_long: target 1's curves on past simulate's extension
    long_limit: int | None = None  # run_long's last label (None: 10x the budget or the pool)
    notes: list[str] = field(default_factory=list)

    def protocol(self) -> dict[str, Any]:
        """What a saved result must share with this run to be reused."""
        return dict(budget=self.budget, repeats=self.repeats, pool=self.pool, test=self.test,
                    gold_seed=GOLD_SEED, test_seed=TEST_SEED, run_seed=RUN_SEED,
                    seed_size=SEED_SIZE, batch=BATCH, view="choice", metric="accuracy")

    def folder(self) -> Path:
        return WORK / f"pool{self.pool}-test{self.test}-budget{self.budget}-x{self.repeats}"


# -- the command line ------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--half", choices=("tuning", "reporting", "all"), default="all")
    ap.add_argument("--datasets", help="comma-separated datasets of the suite (default: the "
                    "half's)")
    ap.add_argument("--models", help=f"comma-separated (default: {','.join(MODELS)}; sklearn "
                    "and the --default model are always run)")
    ap.add_argument("--strategies", help=f"comma-separated (default: {','.join(STRATEGIES)}; "
                    "default, random and the --default strategy are always run)")
    ap.add_argument("--peers", default="modAL,small-text", help="modAL,small-text (default), "
                    "none, or peer strategies such as modAL:margin,small-text:EmbeddingKMeans")
    ap.add_argument("--peer-models", help="comma-separated models the peers run with "
                    "(default: every model run)")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--budget", type=int)
    ap.add_argument("--pool", type=int, help="GOLD rows per dataset (default 3000)")
    ap.add_argument("--test", type=int, help="TEST rows per dataset, at most (default 2000)")
    ap.add_argument("--default", help="MODEL:STRATEGY, the configuration the targets judge "
                    "(default: what `textcat.teach` uses here, "
                    f"{DEFAULT_MODEL}:default; sklearn:default with --smoke)")
    ap.add_argument("--no-long", action="store_true", help="skip target 1's runs on past "
                    "simulate's extension (slow with many labels); savings are then bounds")
    ap.add_argument("--long-limit", type=int, help="those runs go on to at most this many "
                    "labels (default: 10x the budget or the whole pool); a curve that stops "
                    "short of the mark there stays a bound")
    ap.add_argument("--report-only", action="store_true", help="run nothing: the section from "
                    "the saved results")
    ap.add_argument("--force", action="store_true", help="rerun the asked configurations even "
                    "if saved")
    ap.add_argument("--smoke", action="store_true", help="trec and goemotions, 300/200 rows, "
                    "budget 60, 1 repeat, sklearn only; writes nothing")
    return ap


def names(arg: str | None, default: tuple[str, ...]) -> list[str]:
    return [s.strip() for s in (arg or ",".join(default)).split(",") if s.strip()]


def pick_datasets(args: argparse.Namespace, ap: argparse.ArgumentParser) -> list[str]:
    known = [n for half in SUITE.values() for n in half]
    if args.datasets:
        out = names(args.datasets, ())
        bad = [n for n in out if n not in known]
        if bad:
            ap.error(f"not in the suite: {', '.join(bad)} (the suite: {', '.join(known)})")
        return out
    if args.smoke:
        return list(SMOKE_DATASETS)
    return known if args.half == "all" else list(SUITE[args.half])


def pick_models(args: argparse.Namespace, ap: argparse.ArgumentParser, judged: str
                ) -> tuple[list[str], list[str]]:
    """Models to run (sklearn and the judged model always) and notes on those skipped."""
    from altool.models.registry import MODELS as REGISTERED

    wanted = names(args.models, ("sklearn",) if args.smoke else MODELS)
    wanted = list(dict.fromkeys(["sklearn", *wanted, judged]))
    bad = [m for m in wanted if m.partition(":")[0] not in REGISTERED]
    if bad:
        ap.error(f"unknown model(s) {', '.join(bad)}; registered: {', '.join(REGISTERED)}")
    models, notes = model_names(",".join(wanted))
    if judged not in models:
        ap.error(f"--default needs model {judged}: {'; '.join(notes)}")
    return models, notes


def pick_strategies(args: argparse.Namespace, ap: argparse.ArgumentParser, judged: str,
                    models: list[str]) -> list[str]:
    from altool.errors import AltoolError
    from altool.simulate import resolve_strategies

    try:  # ``default`` stands for each model's default (tcm with embeddings, else diverse)
        return list(dict.fromkeys(
            name for model in models for name in resolve_strategies(
                ["default", *names(args.strategies, STRATEGIES), BASELINE, judged], model)))
    except AltoolError as err:
        ap.error(str(err))
        raise  # unreachable: ap.error exits


def pick_peers(args: argparse.Namespace) -> set[str] | None:
    if args.peers.strip() == "none":
        return set()
    if args.smoke and args.peers == "modAL,small-text":
        return set(SMOKE_PEERS)
    wanted = set(names(args.peers, ()))
    return None if wanted == {"modAL", "small-text"} else wanted


def configure(args: argparse.Namespace, ap: argparse.ArgumentParser) -> Config:
    """The run the command line asks for."""
    from altool.simulate import resolve_strategies

    judged = args.default or ("sklearn:default" if args.smoke else f"{DEFAULT_MODEL}:default")
    model, sep, strategy = judged.rpartition(":")
    if not sep or not model:
        ap.error(f"--default needs MODEL:STRATEGY, got {judged!r}")
    strategy = resolve_strategies([strategy], model)[0]
    base = dict(SMOKE if args.smoke else FULL)
    for key in base:
        if getattr(args, key) is not None:
            base[key] = getattr(args, key)
    models, notes = pick_models(args, ap, model)
    return Config(datasets=pick_datasets(args, ap), models=models,
                  strategies=pick_strategies(args, ap, strategy, models),
                  peers=pick_peers(args),
                  peer_models=names(args.peer_models, ()) or None, long=not args.no_long,
                  long_limit=args.long_limit, judged=(model, strategy), smoke=args.smoke,
                  force=args.force, notes=notes,
                  **base)


# -- the data --------------------------------------------------------------------------------
def half_of(name: str) -> str:
    return next(h for h, members in SUITE.items() if name in members)


def pools(name: str, cfg: Config) -> tuple[list, list, dict] | None:
    """GOLD (one copy per text, ``cfg.pool`` random rows) and TEST (at most ``cfg.test``
    random rows), and what was read; None if the dataset is missing."""
    paths = [DATA / f"{name}.{part}.jsonl" for part in ("train", "test")]
    if not all(p.exists() for p in paths):
        log(f"{name}: not found under {DATA}, skipped")
        return None
    label_field = LABEL_FIELD.get(name, "label")
    (train, n_train), (test, n_test) = (read_one_label(p, label_field) for p in paths)
    uniq = unique_texts(train)
    gold = subsample(uniq, cfg.pool, seed=GOLD_SEED)
    test_rows = subsample(test, cfg.test, seed=TEST_SEED)
    info = dict(label_field=label_field, train_read=n_train, train_one_label=len(train),
                train_unique=len(uniq), test_read=n_test, test_one_label=len(test),
                n_gold=len(gold), n_test=len(test_rows),
                labels=len({eg["label"] for eg in gold}),
                unseen=unseen_test_labels(gold, test_rows))
    if info["unseen"]:
        log(f"{name}: {info['unseen']}")
    return gold, test_rows, info


# -- saved results ---------------------------------------------------------------------------
def result_path(cfg: Config, name: str) -> Path:
    return cfg.folder() / f"{name}.json"


def load_saved(cfg: Config, name: str) -> dict | None:
    """The saved results of ``name`` for this protocol, or None."""
    path = result_path(cfg, name)
    if cfg.smoke or not path.exists():
        return None
    d = json.loads(path.read_text())
    return d if d.get("protocol") == cfg.protocol() else None


def save(cfg: Config, d: dict) -> None:
    """Write a dataset's results (after every configuration: a run cut short keeps them)."""
    if cfg.smoke:
        return
    path = result_path(cfg, d["dataset"])
    path.parent.mkdir(parents=True, exist_ok=True)
    d["saved"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    d["commit"] = commit()
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(d, indent=1))
    tmp.replace(path)


def commit() -> str | None:
    """The checked-out commit (the working tree may differ from it)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=HERE.parent, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


# -- running ---------------------------------------------------------------------------------
def run_dataset(name: str, cfg: Config) -> dict | None:
    """Every asked model x strategy and the peers of ``name`` that are not saved yet."""
    data = pools(name, cfg)
    if data is None:
        return None
    gold, test, info = data
    d = load_saved(cfg, name) or {"dataset": name, "half": half_of(name),
                                  "protocol": cfg.protocol(), "models": {}, "peers": {}}
    d["data"] = info
    log(f"{name} ({half_of(name)} half): {info['n_gold']:,} GOLD / {info['n_test']:,} TEST "
        f"rows, {info['labels']} labels")
    t0 = time.time()
    for model in cfg.models:
        run_model(d, model, gold, test, cfg)
    if cfg.long:
        run_long(d, gold, test, cfg)
    for model in cfg.models:
        if cfg.peer_models is None or model in cfg.peer_models:
            run_model_peers(d, model, gold, test, cfg)
    log(f"{name}: {(time.time() - t0) / 60:.1f} min this run")
    return d


def extended(cfg: Config, model: str, strategy: str) -> bool:
    """Random order (every model: cheap) and the judged configuration run on past the
    budget, so their labels to the mark can be measured."""
    return strategy == BASELINE or (model, strategy) == cfg.judged


def run_model(d: dict, model: str, gold: list, test: list, cfg: Config) -> None:
    from altool.errors import AltoolError
    from altool.loop.config import check_support

    m = d["models"].setdefault(model, {"strategies": {}, "skipped": {}})
    for name in cfg.strategies:
        ext = extended(cfg, model, name)
        have = m["strategies"].get(name)
        if have is not None and not cfg.force and (have["extended"] or not ext):
            continue
        try:
            check_support(name, model, False)
        except AltoolError as err:
            m["skipped"][name] = str(err)
            log(f"  [{model}] {name}: skipped ({err})")
            continue
        m["strategies"][name] = run_strategy(m, d["dataset"], model, name, gold, test, cfg,
                                             ext)
        save(cfg, d)


def run_strategy(m: dict, dataset: str, model: str, name: str, gold: list, test: list,
                 cfg: Config, ext: bool) -> dict:
    """One simulate run of one strategy; also sets the model's full-data score in ``m``."""
    log(f"  [{model}] {name}: {cfg.repeats} run(s), budget {cfg.budget}"
        + (", on past the budget to the mark" if ext else ""))
    t0 = time.time()
    res = simulate(gold, test, [name], model=model, view="choice", seed_size=SEED_SIZE,
                   batch_size=BATCH, budget=cfg.budget, repeats=cfg.repeats,
                   metric="accuracy", seed=RUN_SEED, extend=[name] if ext else [],
                   progress=Progress(), on_featurize=encoding_progress)
    r = res.strategies[name]
    m.update(full_score=res.full_score, budget=res.budget, labels=len(res.labels))
    out = {"points": [[int(n), mean, std] for n, mean, std in r.points], "aulc": r.aulc,
           "aulc_std": r.aulc_std, "labels_to": dict(r.labels_to),
           "stop": r.stop.to_json() if r.stop is not None else None,
           "seed_sets": r.seed_sets, "extended": ext, "seconds": round(time.time() - t0, 1)}
    log(f"  [{model}] {name}: AULC {r.aulc:.3f} ± {r.aulc_std:.3f}, full-data "
        f"{res.full_score:.3f}, ran to {last_labels(out):,} labels; {out['seconds']:.0f}s "
        f"({dataset})")
    return out


def run_long(d: dict, gold: list, test: list, cfg: Config) -> None:
    """Target 1's curves on past where simulate's extension stopped (at the model's OWN
    marks, while the mark is 95% of the best model's score): random order with the n-gram
    model (batches of 50) and the judged configuration (batches of 10), each to 10x the budget
    or the whole pool, when it stopped short of the mark and its model's full-data score
    reaches the mark (else the whole pool can't reach it either: see :func:`reach`)."""
    best = best_full(d)
    if best is None:
        return
    mark = MARK * best[0]
    limit = min(EXTEND_FACTOR * cfg.budget, d["data"]["n_gold"], cfg.long_limit or 10**9)
    for model, name, batch in (("sklearn", BASELINE, LONG_RANDOM_BATCH), (*cfg.judged, BATCH)):
        s = strat(d, model, name)
        if (s is None or s.get("long") or crossing(s["points"], mark) is not None
                or last_labels(s) >= limit or d["models"][model]["full_score"] < mark):
            continue
        log(f"  [{model}] {name}: on to {limit:,} labels in batches of {batch} (the mark "
            f"{mark:.3f} is above where simulate's extension stopped)")
        t0 = time.time()
        res = simulate(gold, test, [name], model=model, view="choice", seed_size=SEED_SIZE,
                       batch_size=batch, budget=limit, repeats=cfg.repeats, metric="accuracy",
                       seed=RUN_SEED, extend=[], progress=Progress())
        points = [[int(n), mean, std] for n, mean, std in res.strategies[name].points]
        s["long"] = {"points": points, "batch": batch, "seconds": round(time.time() - t0, 1)}
        reached = crossing(points, mark)
        log(f"  [{model}] {name}: " + (f"reaches the mark at {reached:,.0f} labels" if reached
                                       else f"not at the mark by {limit:,} labels")
            + f"; {s['long']['seconds']:.0f}s")
        save(cfg, d)


class Progress:
    """simulate's progress: one line when a run (or the run past the budget) starts."""

    def __init__(self) -> None:
        self.what = ""
        self.t0 = time.time()

    def __call__(self, what: str, n: int, total: int | None) -> None:
        if what != self.what:
            self.what = what
            log(f"    {what} ({time.time() - self.t0:.0f}s)")


def encoding_progress(what: str, done: int, total: int) -> None:
    if done == 0 or done == total:
        log(f"    encoding {what}: {done:,} of {total:,} new texts")


def seed_source(cfg: Config, model: str, m: dict) -> str | None:
    """The strategy whose seed sets the peers start from: the judged one, else the default."""
    from altool.simulate import resolve_strategies

    for name in (cfg.judged[1], *resolve_strategies(["default"], model)):
        if name in m.get("strategies", {}):
            return name
    return None


def peer_keys(dense: bool) -> list[str]:
    """Every peer strategy that can run (``dense``: with small-text's embedding-based ones)."""
    status = peers.available()
    keys = []
    if status["modAL"] is None:
        keys += [f"modAL:{k}" for k in peers.modal_strategies()]
    if status["small-text"] is None:
        keys += [f"small-text:{k}" for k in peers.small_text_strategies()]
        if dense:
            keys += [f"small-text:{k}" for k in peers.small_text_embedding_strategies()]
    return keys


def wanted_peers(cfg: Config, dense: bool) -> list[str]:
    only = cfg.peers
    return [k for k in peer_keys(dense) if only is None or k in only or k.split(":")[0] in only]


def run_model_peers(d: dict, model: str, gold: list, test: list, cfg: Config) -> None:
    """modAL and small-text with ``model`` (features, classifier) from its seed sets."""
    m = d["models"].get(model, {})
    source = seed_source(cfg, model, m)
    if cfg.peers == set() or source is None:
        return
    have = d["peers"].get(model)
    if have is None or have.get("seed_from") != source or cfg.force:
        have = {"seed_from": source, "results": {}, "failures": {}, "seconds": 0.0}
    labels = sorted({str(eg["label"]) for eg in gold})
    t0 = time.time()
    try:
        X, X_test = features(model, labels, gold, test)
    except Exception as err:  # e.g. a model whose features peers can't index: say so
        have["failures"][f"{model} features"] = (f"not run, the features failed: "
                                                  f"{type(err).__name__}: {err}")
        d["peers"][model] = have
        return
    (X, split), (X_test, _) = peers.one_matrix(X), peers.one_matrix(X_test)  # blend, stack
    if not (isinstance(X, np.ndarray) or sp.issparse(X)):
        have["failures"][f"{model} features"] = (
            f"not run: {type(X).__name__} is neither a NumPy array nor a sparse matrix, "
            "which modAL and small-text need")
        d["peers"][model] = have
        return
    dense = isinstance(X, np.ndarray) or split is not None  # sentence vectors to embed()
    todo = [k for k in wanted_peers(cfg, dense)
            if k not in have["results"] and k not in have["failures"]]
    if not todo:
        return
    log(f"  [{model}] peers from {source}'s seed sets: {', '.join(todo)}")
    index = {label: j for j, label in enumerate(labels)}
    y = np.array([index[str(eg["label"])] for eg in gold])
    y_test = np.array([index.get(str(eg["label"]), -1) for eg in test])
    grid = checkpoint_grid(m["budget"], BATCH, min(SEED_SIZE, m["budget"]))
    raw, failed = peers.run_peers(X, y, X_test, y_test, len(labels), grid, cfg.repeats,
                                  seed=RUN_SEED, only=set(todo), log=log,
                                  inits=m["strategies"][source]["seed_sets"], model=model,
                                  embeddings=dense, split=split, reseed=True)
    have["results"].update(peers.summarize(raw, grid))
    have["failures"].update(failed)
    have["seconds"] = round(have["seconds"] + time.time() - t0, 1)
    d["peers"][model] = have
    save(cfg, d)


def features(model: str, labels: list[str], gold: list, test: list) -> tuple[Any, Any]:
    """GOLD's and TEST's features as simulate computes them (embeddings from altool's cache)."""
    from altool.loop.threads import one_thread
    from altool.models import make_model
    from altool.models.cache import feature_cache

    with one_thread():
        featurizer = make_model(model, labels, exclusive=True)
        with feature_cache(featurizer) as featurize:
            return (featurize([eg["text"] for eg in gold]),
                    featurize([eg["text"] for eg in test]))


# -- reading the results ---------------------------------------------------------------------
def strat(d: dict, model: str, name: str) -> dict | None:
    return d["models"].get(model, {}).get("strategies", {}).get(name)


def best_full(d: dict) -> tuple[float, str] | None:
    """The best full-data score over the altool models run on ``d``, and its model."""
    fulls = [(m["full_score"], k) for k, m in d["models"].items() if "full_score" in m]
    return max(fulls) if fulls else None


def best_peer(d: dict, model: str, lib: str) -> tuple[str, dict] | None:
    res = d.get("peers", {}).get(model, {}).get("results", {})
    cands = [(k, v) for k, v in res.items() if k.startswith(lib + ":")]
    return max(cands, key=lambda kv: kv[1]["aulc"]) if cands else None


def reach(d: dict, model: str, s: dict, mark: float) -> tuple[float | None, int, str]:
    """Labels where the curve ``s`` of ``model`` reaches ``mark`` (None if it does not), the
    labels it was measured to, and how: "" (simulate's run), "long" (:func:`run_long`), or
    "full" (not run on: with every GOLD row labelled a curve IS the full-data model, whose
    score is below the mark, so the whole pool does not reach it)."""
    n = crossing(s["points"], mark)
    if n is not None:
        return n, last_labels(s), ""
    if s.get("long"):
        return crossing(s["long"]["points"], mark), last_labels(s["long"]), "long"
    if d["models"][model]["full_score"] < mark:
        return None, d["data"]["n_gold"], "full"
    return None, last_labels(s), ""


def saving(d: dict, cfg: Config) -> dict | None:
    """Target 1 on one dataset: labels to MARK x the best full-data score, the judged
    configuration against random order with the n-gram model, and the saving as a range
    ``lo..hi`` (equal when both curves reached the mark; a bound when one did not)."""
    best = best_full(d)
    a, b = strat(d, *cfg.judged), strat(d, "sklearn", BASELINE)
    if best is None or a is None or b is None:
        return None
    mark = MARK * best[0]
    na, la, how_a = reach(d, cfg.judged[0], a, mark)
    nb, lb, how_b = reach(d, "sklearn", b, mark)
    if na is not None and nb is not None:
        lo = hi = nb / na
    elif na is not None:  # random needs more than it ran: a lower bound
        lo, hi = lb / na, math.inf
    elif nb is not None:  # the default needs more than it ran: an upper bound
        lo, hi = 0.0, nb / la
    else:
        lo, hi = 0.0, math.inf
    return dict(mark=mark, best=best, default=na, default_last=la, default_how=how_a,
                random=nb, random_last=lb, random_how=how_b, lo=lo, hi=hi)


def regret(d: dict, cfg: Config) -> dict | None:
    """Target 2 on one dataset: the judged configuration's AULC against random order with the
    same model; the std of the difference is sqrt(std_a^2 + std_b^2)."""
    model, name = cfg.judged
    a, b = strat(d, model, name), strat(d, model, BASELINE)
    if a is None or b is None:
        return None
    diff = a["aulc"] - b["aulc"]
    std = math.hypot(a["aulc_std"], b["aulc_std"])
    return dict(a=a, b=b, diff=diff, std=std, ok=diff >= 0, noise=diff < 0 and -diff <= std)


def ahead(d: dict, model: str, name: str) -> dict | None:
    """Target 3 on one dataset: ``model:name`` against the best modAL and small-text strategy
    with the same model (None without an altool or a peer result)."""
    a = strat(d, model, name)
    best = {lib: best_peer(d, model, lib) for lib in ("modAL", "small-text")}
    found = [p for p in best.values() if p is not None]
    if a is None or not found:
        return None
    return dict(a=a, best=best, ok=all(a["aulc"] >= p[1]["aulc"] for p in found))


def stop_row(d: dict, cfg: Config) -> dict | None:
    """Target 5 on one dataset: where the judged configuration's stop signal fired."""
    a = strat(d, *cfg.judged)
    stop = a.get("stop") if a else None
    if not stop:
        return None
    repeats, gap = d["protocol"]["repeats"], stop.get("gap")
    return dict(fired=stop["fired"], repeats=repeats, labels=stop.get("labels"), gap=gap,
                worst=max(stop["gaps"]) if stop.get("gaps") else None,
                ok=stop["fired"] == repeats and gap is not None and gap <= STOP_POINTS,
                early=gap is not None and gap > STOP_POINTS)


# -- formatting ------------------------------------------------------------------------------
def pm(s: dict | None) -> str:
    return "-" if s is None else f"{s['aulc']:.3f} ± {s['aulc_std']:.3f}"


def fmt_x(lo: float, hi: float) -> str:
    """A saving known exactly, as a lower or an upper bound, or not at all."""
    if lo == hi:
        return f"{lo:.1f}x"
    if hi == math.inf:
        return f">={lo:.1f}x" if lo > 0 else "?"
    return f"<={hi:.1f}x"


def fmt_labels(n: float | None, last: int, how: str = "") -> str:
    """Labels to the mark, or ``>last``; marked when read from a long run or the pool's end."""
    mark = {"long": " †", "full": " *"}.get(how, "")
    return (f"{n:,.0f}" if n is not None else f">{last:,}") + mark


def label_of(name: str) -> str:
    """A strategy's name, saying which models it is the default of."""
    if name == DEFAULT_STRATEGY:
        return f"{name} (default: stack, embed)"
    if name == DEFAULT_OTHERWISE:
        return f"{name} (default: sklearn)"
    return name


def shown(results: list[dict], cfg: Config, key: str) -> list[str]:
    """Models (``key="models"``) or strategies run on any dataset, the asked ones first."""
    seen = list(cfg.models if key == "models" else cfg.strategies)
    for d in results:
        for model, m in d["models"].items():
            for k in ([model] if key == "models" else m.get("strategies", {})):
                if k not in seen:
                    seen.append(k)
    return [k for k in seen if any(
        (k in d["models"]) if key == "models" else
        any(k in m.get("strategies", {}) for m in d["models"].values()) for d in results)]


# -- the report ------------------------------------------------------------------------------
def table_scores(rows: list[dict], cfg: Config, models: list[str], strategies: list[str]
                 ) -> list[str]:
    """Full-data scores and every configuration's AULC, one row per dataset x model."""
    head = "| dataset | model | full-data | " + " | ".join(label_of(s) for s in strategies)
    lines = [head + " |", "|---|---|---:|" + "---:|" * len(strategies)]
    for d in rows:
        best = best_full(d)
        for model in models:
            m = d["models"].get(model)
            if m is None or "full_score" not in m:
                continue
            star = "**" if best and best[1] == model else ""
            cells = [pm(strat(d, model, s)) for s in strategies]
            lines.append(f"| {d['dataset']} | {model} | {star}{m['full_score']:.3f}{star} | "
                         + " | ".join(cells) + " |")
    return lines


def table_peers(rows: list[dict], cfg: Config, models: list[str]) -> list[str]:
    """Target 3 per model: altool's judged strategy against the best peer of each library."""
    name = cfg.judged[1]
    lines = [f"| dataset | model | {label_of(name)} | best modAL | best small-text | ahead |",
             "|---|---|---:|---|---|---|"]
    for d in rows:
        for model in models:
            t = ahead(d, model, name)
            if t is None:
                continue

            def cell(p: tuple[str, dict] | None) -> str:
                return "-" if p is None else f"{p[0].split(':', 1)[1]} {pm(p[1])}"

            judged = " (judged)" if model == cfg.judged[0] else ""
            lines.append(f"| {d['dataset']} | {model}{judged} | {pm(t['a'])} | "
                         f"{cell(t['best']['modAL'])} | {cell(t['best']['small-text'])} | "
                         f"{'yes' if t['ok'] else 'no'} |")
    return lines if len(lines) > 2 else ["No peer results (`--peers none`, or modAL and "
                                         "small-text are not installed)."]


def table_saving(rows: list[dict], cfg: Config) -> list[str]:
    model, name = cfg.judged
    lines = [f"| dataset | mark (0.95 x best, model) | {model}:{name} labels | random n-gram "
             "labels | saving |", "|---|---|---:|---:|---:|"]
    for d in rows:
        s = saving(d, cfg)
        if s is None:
            continue
        lines.append(f"| {d['dataset']} | {s['mark']:.3f} ({s['best'][1]}) | "
                     f"{fmt_labels(s['default'], s['default_last'], s['default_how'])} | "
                     f"{fmt_labels(s['random'], s['random_last'], s['random_how'])} | "
                     f"{fmt_x(s['lo'], s['hi'])} |")
    return lines


def table_regret(rows: list[dict], cfg: Config) -> list[str]:
    model, name = cfg.judged
    lines = [f"| dataset | {model}:{name} AULC | {model}:random AULC | difference | std of it "
             "| verdict |", "|---|---:|---:|---:|---:|---|"]
    for d in rows:
        r = regret(d, cfg)
        if r is None:
            continue
        verdict = "ok" if r["ok"] else ("loss within 1 std" if r["noise"] else "LOSS")
        lines.append(f"| {d['dataset']} | {pm(r['a'])} | {pm(r['b'])} | {r['diff']:+.3f} | "
                     f"{r['std']:.3f} | {verdict} |")
    return lines


def table_stop(rows: list[dict], cfg: Config) -> list[str]:
    lines = ["| dataset | fired | mean labels then | mean gap (points) | worst run | verdict |",
             "|---|---:|---:|---:|---:|---|"]
    for d in rows:
        s = stop_row(d, cfg)
        if s is None:
            continue
        verdict = "within 3" if s["ok"] else ("EARLY" if s["early"] else "not in every run")
        lines.append(f"| {d['dataset']} | {s['fired']}/{s['repeats']} | "
                     + (f"{s['labels']:.0f} | {s['gap']:.1f} | {s['worst']:.1f}"
                        if s["gap"] is not None else "- | - | -") + f" | {verdict} |")
    return lines


def table_time(rows: list[dict], models: list[str], strategies: list[str]) -> list[str]:
    """Seconds of each simulate run and of the peers, per dataset x model (summed over the
    runs that produced the saved results)."""
    lines = ["| dataset | model | " + " | ".join(strategies) + " | on to the mark | peers | "
             "total (min) |", "|---|---|" + "---:|" * (len(strategies) + 3)]
    for d in rows:
        for model in models:
            if model not in d["models"]:
                continue
            secs = [(strat(d, model, s) or {}).get("seconds") for s in strategies]
            longs = [(strat(d, model, s) or {}).get("long") for s in strategies]
            long = sum(x["seconds"] for x in longs if x) if any(longs) else None
            peer = d.get("peers", {}).get(model, {}).get("seconds")
            total = sum(s or 0 for s in [*secs, long, peer])
            cells = ["-" if s is None else f"{s:,.0f}s" for s in [*secs, long, peer]]
            lines.append(f"| {d['dataset']} | {model} | " + " | ".join(cells)
                         + f" | {total / 60:.1f} |")
    return lines


# -- the verdicts ----------------------------------------------------------------------------
Verdict = tuple[str, bool | None, str]  # (target, met? (None: undetermined), detail)


def both(*oks: bool | None) -> bool | None:
    return False if False in oks else (None if None in oks else True)


def verdict_saving(rows: list[dict], cfg: Config) -> Verdict | None:
    found = [(d["dataset"], s) for d in rows if (s := saving(d, cfg)) is not None]
    if not found:
        return None
    lo = statistics.median(s["lo"] for _, s in found)
    hi = statistics.median(s["hi"] for _, s in found)
    median_ok = True if lo >= MEDIAN_SAVING else (False if hi < MEDIAN_SAVING else None)
    below = [f"{n} {fmt_x(s['lo'], s['hi'])}" for n, s in found if s["hi"] < MIN_SAVING]
    open_ = [f"{n} {fmt_x(s['lo'], s['hi'])}" for n, s in found
             if s["lo"] < MIN_SAVING <= s["hi"]]
    each_ok = both(*(True if s["lo"] >= MIN_SAVING else (False if s["hi"] < MIN_SAVING
                                                          else None) for _, s in found))
    detail = (f"median {fmt_x(lo, hi)} over {len(found)} datasets (target >= "
              f"{MEDIAN_SAVING:g}x" + (f", short by {MEDIAN_SAVING - hi:.1f}x" if hi < math.inf
                                       and not median_ok else "") + "); "
              + (f"below {MIN_SAVING:g}x on {', '.join(below)}" if below
                 else f"none below {MIN_SAVING:g}x")
              + (f"; not known to reach {MIN_SAVING:g}x: {', '.join(open_)}" if open_ else ""))
    return ("1. savings: labels to 95% of the best full-data score, random n-gram / "
            f"{':'.join(cfg.judged)}, median >= {MEDIAN_SAVING:g}x and >= {MIN_SAVING:g}x on "
            "every dataset", both(median_ok, each_ok), detail)


def verdict_regret(rows: list[dict], cfg: Config) -> Verdict | None:
    found = [(d["dataset"], r) for d in rows if (r := regret(d, cfg)) is not None]
    if not found:
        return None
    losses = [f"{n} {r['diff']:+.3f} (std {r['std']:.3f}"
              + (", within 1 std)" if r["noise"] else ")") for n, r in found if not r["ok"]]
    detail = (f">= random on {len(found) - len(losses)} of {len(found)}; median difference "
              f"{statistics.median(r['diff'] for _, r in found):+.3f}"
              + (f"; behind on {', '.join(losses)}" if losses else ""))
    return (f"2. no regret: {':'.join(cfg.judged)} AULC >= {cfg.judged[0]}:random on every "
            "dataset", not losses, detail)


def verdict_peers(rows: list[dict], cfg: Config) -> Verdict | None:
    model, name = cfg.judged
    found = [(d["dataset"], t) for d in rows if (t := ahead(d, model, name)) is not None]
    if not found:
        return None
    wins = sum(t["ok"] for _, t in found)
    behind = []
    for n, t in found:
        top = max((p for p in t["best"].values() if p), key=lambda p: p[1]["aulc"])
        if not t["ok"]:
            behind.append(f"{n} (best {top[0]} by {top[1]['aulc'] - t['a']['aulc']:.3f})")
    share = wins / len(found)
    return (f"3. ahead of peers: {model}:{name} AULC >= the best modAL and the best small-text "
            f"strategy with {model} on >= {PEER_SHARE:.0%} of the datasets", share >= PEER_SHARE,
            f"ahead on {wins} of {len(found)} ({share:.0%})"
            + (f"; behind on {', '.join(behind)}" if behind else "")
            + (f"; {len(rows) - len(found)} dataset(s) without peer results"
               if len(found) < len(rows) else ""))


def verdict_stop(rows: list[dict], cfg: Config) -> Verdict | None:
    found = [(d["dataset"], s) for d in rows if (s := stop_row(d, cfg)) is not None]
    if not found:
        return None
    n_ok = sum(s["ok"] for _, s in found)
    early = [f"{n} ({s['gap']:.1f} points)" for n, s in found if s["early"]]
    gaps = [s["gap"] for _, s in found if s["gap"] is not None]
    share = n_ok / len(found)
    return (f"5. stop signal: fires within {STOP_POINTS:g} points of the best score within the "
            f"budget on >= {STOP_SHARE:.0%} of the datasets, more than {STOP_POINTS:g} points "
            f"early on at most {STOP_EARLY}", share >= STOP_SHARE and len(early) <= STOP_EARLY,
            f"within {STOP_POINTS:g} points (fired in every run) on {n_ok} of {len(found)} "
            f"({share:.0%}); early on {len(early)}" + (f": {', '.join(early)}" if early else "")
            + (f"; median gap {statistics.median(gaps):.1f} points" if gaps else ""))


def verdict_lines(rows: list[dict], cfg: Config) -> list[str]:
    out = []
    for v in (verdict_saving(rows, cfg), verdict_regret(rows, cfg), verdict_peers(rows, cfg),
              verdict_stop(rows, cfg)):
        if v is None:
            continue
        name, ok, detail = v
        word = "**met**" if ok else ("undetermined" if ok is None else "**MISSED**")
        out.append(f"- {name}: {word}. {detail}.")
    return out or ["- nothing to judge yet."]


# -- the section -----------------------------------------------------------------------------
def protocol(cfg: Config) -> list[str]:
    model, name = cfg.judged
    return [
        f"**Protocol.** The suite was fixed before any tuning (`SUITE` in the script): tuning "
        f"half {', '.join(SUITE['tuning'])} (the six sets altool's defaults were chosen on so "
        f"far); reporting half {', '.join(SUITE['reporting'])} (held out: no setting chosen "
        f"on it). Per dataset GOLD = {cfg.pool:,} random training rows (one copy per text, "
        f"seed {GOLD_SEED}), TEST = up to {cfg.test:,} random test rows (seed {TEST_SEED}). "
        f"`altool.simulate.simulate`: choice view, seed {SEED_SIZE}, batch {BATCH}, budget "
        f"{cfg.budget}, {cfg.repeats} run(s) (run seed {RUN_SEED}; the same seeds for every "
        "strategy), accuracy. AULC = mean accuracy over 20..budget labels (± std over runs). "
        f"`default` is `{DEFAULT_STRATEGY}` for a model with sentence embeddings (`stack`, "
        f"`embed`, `blend`) and `{DEFAULT_OTHERWISE}` for any other (`sklearn`).",
        "",
        f"The targets judge `{model}:{name}` (`--default`). Target 1's mark is "
        f"{MARK:.0%} of the best full-data score any altool model reached on the dataset "
        "(all GOLD rows); labels to it are read from each mean curve, interpolated linearly "
        f"between checkpoints. Random order (every model) and `{model}:{name}` run on past the "
        "budget (simulate's `extend`: up to 10x or the whole pool; it stops random at 98% and "
        "the others at 95% of their own model's full-data score), so a curve that stops short "
        "of the mark gives a bound (`>=`/`<=`) or `?`. Target 2's std of the difference is "
        "sqrt(std_a^2 + std_b^2) of the two AULCs (simulate reports no per-run AULC); a loss "
        "within it is reported as such. Peers run their own loops and strategies with the "
        "same altool model (features and classifier: `peers.AltoolModel`), from the seed sets "
        f"of `{name}` with that model (its cold start's first 20 rows in each run; the notes "
        "say where they started from another's), on the same checkpoints; on dense features "
        "(`embed`) "
        "also small-text's EmbeddingKMeans, ContrastiveActiveLearning, GreedyCoreset, "
        "LightweightCoreset and DiscriminativeActiveLearning (the classifier's `embed()` "
        "returns the features). Target 5: simulate's stop signal of the judged configuration, "
        "gap = best score within the budget - score when it fired (4, encoder speed, is not "
        "this script's).",
    ]


def notes(results: list[dict], cfg: Config) -> list[str]:
    out = list(cfg.notes)
    for d in results:
        info, name = d.get("data", {}), d["dataset"]
        if info.get("label_field", "label") != "label":
            out.append(f"{name} is multi-label: only rows with exactly one label are used "
                       f"(train {info['train_one_label']:,} of {info['train_read']:,} rows, "
                       f"{info['train_unique']:,} distinct texts; test "
                       f"{info['test_one_label']:,} of {info['test_read']:,}); GOLD and TEST "
                       "are drawn from those.")
        if info.get("unseen"):
            out.append(f"{name}: {info['unseen']}")
        for model, m in d["models"].items():
            out += [f"{name} [{model}] {s} not run: {why}" for s, why in m.get("skipped",
                                                                             {}).items()]
        for model, p in d.get("peers", {}).items():
            out += [f"{name} [{model}] peers: {why}" if k.endswith(" features") else
                    f"{name} [{model}] peer {k} failed: {why}"
                    for k, why in p.get("failures", {}).items()]
            if p.get("seed_from") not in (None, cfg.judged[1]):
                out.append(f"{name} [{model}]: the peers started from {p['seed_from']}'s seed "
                           f"sets, not {cfg.judged[1]}'s (rerun with --force to change)")
    done = {d["dataset"] for d in results}
    missing = [n for half in SUITE.values() for n in half if n not in done]
    if missing and not cfg.smoke:
        out.append(f"Not run yet for this protocol: {', '.join(missing)}.")
    return ["### Notes", "", *(f"- {n}" for n in out)] if out else []


def half_section(half: str, rows: list[dict], cfg: Config, models: list[str],
                 strategies: list[str]) -> list[str]:
    model, name = cfg.judged
    return [
        f"### {half.capitalize()} half ({len(rows)} of {len(SUITE[half])} datasets)", "",
        "AULC ± std over runs; full-data = all GOLD rows (**bold**: the best model).", "",
        *table_scores(rows, cfg, models, strategies), "",
        f"Target 3: `{name}` against the best peer strategy with the same model and seed set.",
        "", *table_peers(rows, cfg, models), "",
        f"Target 1: labels to the mark, `{model}:{name}` against random order with the n-gram "
        "model (`>n`: not reached by n labels; †: read from a run on past simulate's "
        "extension, to 10x the budget or the whole pool, random in batches of 50; *: not run "
        "on, as the model trained on every GOLD row scores below the mark, so labelling the "
        "whole pool does not reach it).", "", *table_saving(rows, cfg), "",
        f"Target 2: `{model}:{name}` against random order with `{model}`.", "",
        *table_regret(rows, cfg), "",
        f"Target 5: the stop signal of `{model}:{name}`.", "", *table_stop(rows, cfg), "",
        f"**Verdicts, {half} half:**", "", *verdict_lines(rows, cfg), "",
        "Time (seconds per simulate run of each strategy, and of the peers):", "",
        *table_time(rows, models, strategies), ""]


PRECISION_AULC = 0.005  # issue "Every label counts": the fast encoder's AULC within this


def table_precision(results: list[dict]) -> list[str]:
    """The default int8 encoder (``embed``) against float32 (``embed:fp32``): AULC of every
    strategy both ran, on every dataset where both ran (build item 1: within 0.005)."""
    rows, diffs = [], []
    for d in results:
        a = d["models"].get("embed", {}).get("strategies", {})
        b = d["models"].get("embed:fp32", {}).get("strategies", {})
        for name in sorted(set(a) & set(b)):
            diff = a[name]["aulc"] - b[name]["aulc"]
            std = math.hypot(a[name]["aulc_std"], b[name]["aulc_std"])
            diffs.append(diff)
            rows.append(f"| {d['dataset']} | {label_of(name)} | {pm(a[name])} | {pm(b[name])} "
                        f"| {diff:+.3f} | {std:.3f} |")
    if not rows:
        return []
    worst = max(abs(x) for x in diffs)
    verdict = "**met**" if worst <= PRECISION_AULC else "**MISSED**"
    return ["### The int8 encoder against float32", "",
            "`embed` (int8, the default) and `embed:fp32` (float32, sentence-transformers' "
            "vectors to 3e-7), same pools, seeds and strategy. Random order asks the same "
            "questions with both, so its difference is the models' alone; a strategy that "
            "follows the vectors (k-means, typicality) can take another path from the first "
            "pick on, so its difference includes its own run-to-run spread (std of the "
            "difference = sqrt(std_a^2 + std_b^2)).", "",
            "| dataset | strategy | embed (int8) | embed:fp32 | difference | std of it |",
            "|---|---|---:|---:|---:|---:|", *rows, "",
            f"AULC within {PRECISION_AULC} of float32's: {verdict}; largest difference "
            f"{worst:.3f} over {len(diffs)} runs of 3 (mean {statistics.mean(diffs):+.4f}).", ""]


def report(results: list[dict], cfg: Config, minutes: float) -> str:
    start, end = markers(SECTION)
    models, strategies = shown(results, cfg, "models"), shown(results, cfg, "strategies")
    saved = sorted(d["saved"] for d in results if d.get("saved"))
    commits = sorted({d["commit"] for d in results if d.get("commit")})
    load = os.getloadavg()[0]
    lines = [start, "## Label efficiency on the suite (`benchmarks/suite.py`)", "",
             f"Report {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; "
             f"this run {minutes:.0f} min; 1-min load average {load:.1f}.{busy_note(load)}"
             + (f" Results saved {saved[0]} to {saved[-1]} (commit "
                f"{', '.join(commits) or '?'}; the working tree may differ)." if saved else "")
             + (" **Smoke run**: tiny pools, numbers not meaningful." if cfg.smoke else ""),
             "", *protocol(cfg), ""]
    for half in SUITE:
        rows = [d for d in results if d["half"] == half]
        if rows:
            lines += half_section(half, rows, cfg, models, strategies)
    if len({d["half"] for d in results}) > 1:
        lines += ["### Both halves", "", *verdict_lines(results, cfg), ""]
    lines += table_precision(results)
    lines += notes(results, cfg)
    return "\n".join([*lines, end]) + "\n"


# -- main ------------------------------------------------------------------------------------
@contextmanager
def altool_home(smoke: bool) -> Iterator[None]:
    """ALTOOL_HOME for the run: the suite's persistent folder (the embedding cache), or a
    temporary one for a smoke run (which writes nothing)."""
    old = os.environ.get("ALTOOL_HOME")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) if smoke else HOME
        home.mkdir(parents=True, exist_ok=True)
        os.environ["ALTOOL_HOME"] = str(home)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("ALTOOL_HOME", None)
            else:
                os.environ["ALTOOL_HOME"] = old


def collect(cfg: Config, ran: dict[str, dict]) -> list[dict]:
    """This run's datasets and, unless smoke, every other one saved for the protocol."""
    out = []
    for name in (n for half in SUITE.values() for n in half):
        d = ran.get(name) or load_saved(cfg, name)
        if d is not None:
            out.append(d)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    cfg = configure(args, ap)
    t0 = time.time()
    ran: dict[str, dict] = {}
    if not args.report_only:
        log(f"suite: {', '.join(cfg.datasets)}; models {', '.join(cfg.models)}; strategies "
            f"{', '.join(cfg.strategies)}; budget {cfg.budget}, {cfg.repeats} run(s), GOLD "
            f"{cfg.pool:,} / TEST <= {cfg.test:,}; judged {':'.join(cfg.judged)}"
            + ("" if cfg.smoke else f"; saving to {cfg.folder()}"))
        with altool_home(cfg.smoke):
            for name in cfg.datasets:
                d = run_dataset(name, cfg)
                if d is not None:
                    ran[name] = d
    text = report(collect(cfg, ran), cfg, (time.time() - t0) / 60)
    print(text)
    if not cfg.smoke:
        write_section(*markers(SECTION), text)
        log(f"wrote the {SECTION} section of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
