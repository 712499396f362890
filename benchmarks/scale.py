"""How the one-machine figures grow with the source: 100k, 1M and 10M examples.

For each size, a source of real sentences recombined (``scale_file``: two or three sentences
of the shared training sets per line, seeded) is loaded into a fresh database, then:
``altool load`` rows/s and peak RSS, the database's size, the time from starting
``textcat.teach`` in a private tmux server to the first question on screen, the worker's pool
refresh (cold, then scoring a 20,000-row pool with a fitted model, then the same pool again),
storing 100,000 answers to the source's texts, ``db-out`` of them, ``stats``, ``drop`` of the
dataset and ``drop --source`` (with its compaction). Every command is the real program,
``python -m altool`` from this checkout, as a fresh process (wall time includes start-up).

    nice python -m benchmarks.scale --sizes 100000,1000000          # about 4 min
    nice python -m benchmarks.scale --sizes 10000000 --keep-going   # about 15-20 min

Generated files go to ``benchmarks/.work/`` (gitignored); each database is deleted after its
size is measured (``--keep`` keeps it). Writes the ``scale`` section of RESULTS.md, merging
the sizes measured now with those of earlier runs (``.work/scale.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path

from benchmarks.common import HERE, WORK, base_texts, fresh, markers, write_section
from benchmarks.terminal import Tmux, measured_on

ROOT = HERE.parent
ALTOOL = [sys.executable, "-m", "altool"]  # this checkout (cwd ROOT), not an installed one
ENV = {"PYTHONPATH": str(ROOT)}
TIME_V = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
SEED = 2027
ANSWERS = 100_000
STATE = WORK / "scale.json"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# -- the sources ---------------------------------------------------------------------------------
def sentences() -> list[str]:
    """The sentences of the shared training sets (3 words or more), each once, in a fixed
    order."""
    seen: dict[str, None] = {}
    for text, _ in base_texts():
        for part in SENTENCE_END.split(" ".join(text.split())):
            if len(part.split()) >= 3:
                seen.setdefault(part, None)
    return list(seen)


def scale_file(n: int) -> Path:
    """A JSONL file of ``n`` lines, each two or three real sentences recombined (seeded, so
    the same file every time); built once."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"scale-{n}.jsonl"
    stamp = path.with_suffix(".ok")
    if path.exists() and stamp.exists() and stamp.read_text() == str(n):
        return path
    pool = sentences()
    print(f"building {path.name}: {n:,} lines from {len(pool):,} sentences...", flush=True)
    rng = random.Random(SEED)
    choice = rng.choice
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        lines = []
        for _ in range(n):
            k = 2 if rng.random() < 0.6 else 3
            lines.append(json.dumps({"text": " ".join(choice(pool) for _ in range(k))},
                                    ensure_ascii=False))
            if len(lines) >= 100_000:
                fh.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            fh.write("\n".join(lines) + "\n")
    tmp.replace(path)
    stamp.write_text(str(n))
    return path


# -- running the program ---------------------------------------------------------------------------
CPU: dict[str, float] = {}  # CPU seconds (user + system) of each command run, by its name


def run(args: list[str], *, stdout: int | None = subprocess.DEVNULL
        ) -> tuple[float, float | None]:
    """Run ``altool ARGS`` from this checkout; (wall seconds, peak RSS in MB or None). Its CPU
    seconds go to ``CPU`` (on a shared machine they say more than the wall time)."""
    prefix = [TIME_V, "-v"] if TIME_V else []
    t0 = time.perf_counter()
    res = subprocess.run(prefix + ALTOOL + args, stdout=stdout, stderr=subprocess.PIPE,
                         text=True, cwd=ROOT, env={**os.environ, **ENV})
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"altool {' '.join(args)} failed:\n{res.stderr[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    cpu = [float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)",
                                        res.stderr)]
    if cpu:
        CPU[" ".join(a for a in args if not a.startswith(("/", "--db")))] = sum(cpu)
    return wall, (int(m.group(1)) / 1024 if m else None)


def size_mb(db: Path) -> float:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 1e6


def first_question(db: Path, home: Path, runs: int = 3) -> list[float]:
    """Seconds from starting ``textcat.teach`` (sklearn model, new dataset each run) in a
    private tmux server to the question on screen."""
    times = []
    for i in range(runs):
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        cmd = ALTOOL + ["--db", str(db), "textcat.teach", f"fq-{i}", "big", "--label",
                        "interesting", "--seed", str(i), "--model", "sklearn"]
        tm = Tmux(cmd, {"ALTOOL_HOME": str(home), **ENV})
        try:
            tm.wait_for(r"apply\?", timeout=300, poll=0.005)
            times.append(time.perf_counter() - tm.started)
        finally:
            tm.quit()
    return times


def refresh_times(db: Path) -> dict[str, float]:
    """The worker's refreshes, headless (``altool.loop.worker``, the sklearn model, the
    default 20,000-row pool): with no model yet, then with a model fitted on 50 answers (a
    new pool sampled and featurised), then on the same pool again."""
    from altool.loop.config import TeachConfig
    from altool.loop.queue import TaskQueue
    from altool.loop.worker import make_worker
    from altool.store import Store

    config = TeachConfig(db_path=db, dataset="refresh", source="big", labels=("interesting",),
                         view="binary", model="sklearn", seed=0)
    worker = make_worker(config, TaskQueue())
    out: dict[str, float] = {}
    with Store(db) as store:
        t0 = time.perf_counter()
        worker._refresh(store)
        out["cold_s"] = time.perf_counter() - t0
        rows = store.sample_source("big", 50, seed=1)
        store.add_answers("refresh", [
            {"text": r.text, "_input_hash": r.input_hash, "_task_hash": r.input_hash + i,
             "label": "interesting", "answer": "accept" if i % 3 == 0 else "reject"}
            for i, r in enumerate(rows)])
        worker._fit(store)
        for name in ("pool_s", "again_s"):
            t0 = time.perf_counter()
            worker._refresh(store)
            out[name] = time.perf_counter() - t0
        store.drop_dataset("refresh")
    return out


def add_answers(db: Path, n: int) -> float:
    """Store ``n`` answers to the first ``n`` texts of the source (seconds)."""
    from altool.store import Store

    with Store(db) as store:
        t0 = time.perf_counter()
        rows = (r for chunk in store.iter_source("big", 10_000) for r in chunk)
        answers = ({"text": r.text, "_input_hash": r.input_hash, "_task_hash": r.input_hash,
                    "label": "interesting", "answer": ("accept", "reject", "ignore")[i % 3]}
                   for i, r in enumerate(islice(rows, n)))
        store.add_answers("answers", answers)
        return time.perf_counter() - t0


def bench(n: int, keep: bool) -> dict:
    src = scale_file(n)
    db = fresh(WORK / f"scale-{n}.db")
    Path(str(db) + "-vectors").unlink(missing_ok=True)
    r: dict = {"n": n, "file_mb": src.stat().st_size / 1e6}
    wall, rss = run(["--db", str(db), "load", "big", str(src)])
    r.update(load_s=wall, load_rows_s=n / wall, load_rss_mb=rss)
    print(f"{n:,}: load {wall:.1f} s ({n / wall:,.0f} rows/s), peak RSS {rss} MB", flush=True)
    import sqlite3

    con = sqlite3.connect(db)
    r["stored"] = con.execute("SELECT n_examples FROM sources WHERE name='big'").fetchone()[0]
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    r["db_mb"] = size_mb(db)
    r["first_question_s"] = first_question(db, WORK / "scale-home")
    print(f"{n:,}: db {r['db_mb']:.0f} MB, first question {r['first_question_s']}", flush=True)
    r["refresh"] = refresh_times(db)
    print(f"{n:,}: refresh {r['refresh']}", flush=True)
    r["answers_s"] = add_answers(db, min(ANSWERS, n))
    r["answers"] = min(ANSWERS, n)
    wall, rss = run(["--db", str(db), "db-out", "answers", "-"])
    r.update(db_out_s=wall, db_out_rss_mb=rss)
    r["stats_s"] = run(["--db", str(db), "stats"])[0]
    r["stats_dataset_s"] = run(["--db", str(db), "stats", "answers"])[0]
    r["drop_dataset_s"] = run(["--db", str(db), "drop", "answers", "--yes"])[0]
    r["db_mb_before_drop"] = size_mb(db)
    wall, rss = run(["--db", str(db), "drop", "--source", "big", "--yes"])
    r.update(drop_source_s=wall, drop_source_rss_mb=rss, db_mb_after_drop=size_mb(db))
    r["cpu_s"] = dict(CPU)
    CPU.clear()
    r["load_avg"] = os.getloadavg()[0]
    print(f"{n:,}: {json.dumps(r)}", flush=True)
    if not keep:
        fresh(db)
    r["when"] = measured_on()
    return r


# -- encoding: here, on a local Dask cluster, and the writer alone --------------------------
def bench_encode(n: int, writes: int) -> dict:
    """``altool encode`` of ``n`` texts here (a fresh process), the same on a ``LocalCluster``
    of two worker processes (one thread each) on this machine, whether the vectors are the
    same, and the vector cache's write rate alone (``writes`` random vectors, 1,000 per
    transaction, random hashes)."""
    import numpy as np

    from altool.loop.cluster import chunk_encoder
    from altool.loop.encoding import encode_source, encoder_model
    from altool.store import Store

    home = WORK / "scale-encode-home"  # the encoder's graph is built once, before timing
    home.mkdir(parents=True, exist_ok=True)
    os.environ["ALTOOL_HOME"] = str(home)
    src = WORK / f"scale-encode-{n}.jsonl"
    with scale_file(100_000).open(encoding="utf-8") as fh:
        src.write_text("".join(line for _, line in zip(range(n), fh, strict=False)))
    dbs = {name: fresh(WORK / f"scale-encode-{name}.db") for name in ("here", "cluster")}
    for db in dbs.values():
        Path(str(db) + "-vectors").unlink(missing_ok=True)
        run(["--db", str(db), "load", "big", str(src)])
    model = encoder_model("embed")
    model.encode(["warm up: build the graph once"])
    r: dict = {"n": n, "when": measured_on()}
    wall, rss = run(["--db", str(dbs["here"]), "encode", "big"])
    r.update(here_s=wall, here_texts_s=n / wall, here_rss_mb=rss,
             here_cpu_s=CPU.pop("encode big", None))
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as cluster, \
            Store(dbs["cluster"]) as store:
        t0 = time.perf_counter()
        with chunk_encoder(cluster.scheduler_address, model) as chunks:
            encode_source(store, "big", model, run=chunks)
        r["cluster_s"] = time.perf_counter() - t0
    r["cluster_texts_s"] = n / r["cluster_s"]
    with Store(dbs["here"]) as a, Store(dbs["cluster"]) as b:
        hashes = [row.input_hash for chunk in a.iter_source("big") for row in chunk]
        va, vb = a.get_embeddings(model.cache_key, hashes), b.get_embeddings(model.cache_key,
                                                                                hashes)
        r["identical"] = len(va) == len(vb) == n and all(np.array_equal(va[h], vb[h])
                                                         for h in va)
    r["vector_file_bytes_per_vector"] = Path(str(dbs["here"]) + "-vectors").stat().st_size / n
    wdb = fresh(WORK / "scale-writes.db")
    Path(str(wdb) + "-vectors").unlink(missing_ok=True)
    rng = np.random.default_rng(0)
    with Store(wdb) as store:
        t0 = time.perf_counter()
        for _ in range(0, writes, 1_000):
            store.add_embeddings(model.cache_key, [int(h) for h in rng.integers(0, 2**53, 1_000)],
                                 rng.standard_normal((1_000, 384)).astype(np.float32))
        r["writes"], r["writes_s"] = writes, time.perf_counter() - t0
    r["vectors_written_s"] = writes / r["writes_s"]
    for db in (*dbs.values(), wdb):
        remove_database(db)
    print(json.dumps(r, indent=1), flush=True)
    return r


def remove_database(db: Path) -> None:
    """Delete ``db`` with its write-ahead files and its vector file (and that file's)."""
    fresh(db)
    for suffix in ("-vectors", "-vectors-wal", "-vectors-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def encode_text(r: dict) -> str:
    return (f"### Encoding ({r['n']:,} texts of the 100k source, `--model embed`, int8)\n\n"
            f"Measured {r['when']}.\n\n"
            "| | texts/s | seconds |\n|---|---|---|\n"
            f"| `altool encode` here (2 encoder threads; a fresh process, graph already built) "
            f"| {r['here_texts_s']:,.0f} | {r['here_s']:.1f} |\n"
            f"| `encode_source` on a `LocalCluster` of 2 worker processes on the same 2 cores "
            f"| {r['cluster_texts_s']:,.0f} | {r['cluster_s']:.1f} |\n\n"
            f"- the same vectors both ways: **{'yes' if r['identical'] else 'NO'}** "
            f"(byte for byte)\n"
            f"- vector cache on disk: {r['vector_file_bytes_per_vector']:,.0f} bytes per "
            f"vector (384 float32 = 1,536 bytes)\n"
            f"- the writer alone (the one process that owns the store): "
            f"{r['vectors_written_s']:,.0f} vectors/s ({r['writes']:,} random vectors, 1,000 "
            f"per transaction)\n")


def bench_pool(n: int, keep: int = 20_000, chunk: int = 20_000) -> dict:
    """Scoring a pool of ``n`` texts (the first ``n`` lines of the 1M source) with a fitted
    n-gram model, here and on a ``LocalCluster`` of 2 worker processes (one thread each) on
    the same cores: featurising it once (here: in the worker's 5,000-row chunks; there: the
    texts sent in ``chunk``-row chunks and featurised on the workers, which keep the
    features), then one refresh (here: ``predict_proba`` of the kept features and the margin
    strategy's 30 picks; there: the model sent, each chunk scored where it lives, the
    ``keep`` best rows' features fetched and the same strategy run on them), and whether
    the picks are the same. Also how fast cached sentence vectors are read back (what a
    session with ``embed`` sends its workers instead of encoding)."""
    import numpy as np

    from altool.io.hashing import hash_text
    from altool.loop.cluster import connect
    from altool.loop.cluster_pool import ClusterPool
    from altool.loop.learner import Learner
    from altool.models import SklearnModel
    from altool.models.base import stack_rows
    from altool.store import SourceRow, Store

    with scale_file(1_000_000).open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in islice(fh, n)]
    rows = [SourceRow(i + 1, hash_text(t), t) for i, t in enumerate(texts)]
    hashes = [r.input_hash for r in rows]
    model = SklearnModel(["pos", "neg"])
    rng = random.Random(SEED)
    answers = [{"text": t, "_input_hash": hash_text(t), "label": "pos",
                "answer": "accept" if (" good " in f" {t} " or rng.random() < 0.3)
                else "reject"} for t in rng.sample(texts, 300)]
    here, there = (Learner(model, "margin", view="choice", seed=0) for _ in range(2))
    here.fit(answers)
    there._train = here._train
    r: dict = {"n": n, "keep": keep, "chunk": chunk, "when": measured_on()}
    t0 = time.perf_counter()
    X = stack_rows([model.featurize(texts[i : i + 5_000]) for i in range(0, n, 5_000)])
    r["here_featurise_s"] = time.perf_counter() - t0
    times: list[float] = []
    want: list = []
    for _ in range(3):  # the first also hashes every candidate (memoised after)
        t0 = time.perf_counter()
        picks = here.choose(X, hashes, 30)
        times.append(time.perf_counter() - t0)
        want = want if times[1:] else picks  # the seeded learner's first picks
    r["here_first_refresh_s"], r["here_refresh_s"] = times[0], sorted(times)[1]
    del X
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as cluster:
        client = connect(cluster.scheduler_address)
        try:
            t0 = time.perf_counter()
            pool = ClusterPool(client, model)
            for i in range(0, n, chunk):
                pool.add(rows[i : i + chunk])
            pool.wait()
            r["cluster_featurise_s"] = time.perf_counter() - t0
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                narrowed, X_small = pool.narrow(model, there.pool_score(), binary=False,
                                                keep=keep)
                got = Learner(model, "margin", view="choice", seed=0).choose(
                    X_small, [r.input_hash for r in narrowed], 30)
                times.append(time.perf_counter() - t0)
            r["cluster_refresh_s"] = sorted(times)[1]
        finally:
            client.close()
    r["identical"] = [(narrowed[p.row].id, p.score) for p in got] == \
        [(rows[p.row].id, p.score) for p in want]
    wdb = fresh(WORK / "scale-vectors-read.db")
    Path(str(wdb) + "-vectors").unlink(missing_ok=True)
    vrng = np.random.default_rng(0)
    keys = [int(h) for h in vrng.integers(0, 2**53, 20_000)]
    with Store(wdb) as store:
        for i in range(0, len(keys), 1_000):
            store.add_embeddings("bench", keys[i : i + 1_000],
                                 vrng.standard_normal((1_000, 384)).astype(np.float32))
    with Store(wdb) as store:
        t0 = time.perf_counter()
        got_vectors = sum(len(store.get_embeddings("bench", keys[i : i + 5_000]))
                          for i in range(0, len(keys), 5_000))
        r["vectors_read_s"] = got_vectors / (time.perf_counter() - t0)
    remove_database(wdb)
    print(json.dumps(r, indent=1), flush=True)
    return r


def pool_text(r: dict) -> str:
    return (f"### Scoring a {r['n']:,}-row pool (`--cluster`, n-gram model, margin)\n\n"
            f"Measured {r['when']}.\n\n"
            "| | featurise once, s | one refresh, s |\n|---|---|---|\n"
            f"| here (the worker's 5,000-row chunks; refresh = score all, pick 30; median "
            f"of 3) | {r['here_featurise_s']:.1f} | {r['here_refresh_s']:.1f} |\n"
            f"| `LocalCluster` of 2 worker processes on the same 2 cores ({r['chunk']:,}-row "
            f"chunks kept on the workers; refresh = send the model, score each chunk there, "
            f"fetch the {r['keep']:,} best rows, pick 30 here; median of 3) "
            f"| {r['cluster_featurise_s']:.1f} | {r['cluster_refresh_s']:.1f} |\n\n"
            f"- here, the first refresh also hashes every candidate once: "
            f"{r['here_first_refresh_s']:.1f} s\n"
            f"- the same 30 picks both ways: **{'yes' if r['identical'] else 'NO'}**\n"
            f"- cached sentence vectors read back from the vector cache: "
            f"{r['vectors_read_s']:,.0f}/s (what `embed` sends its workers)\n")


# -- RESULTS.md ------------------------------------------------------------------------------------
def growth(rows: list[dict], get) -> str:
    """Each size's figure and its factor over the previous size's."""
    cells = []
    prev = None
    for r in rows:
        value = get(r)
        if value is None:
            cells.append("not measured")
            prev = None
            continue
        cell = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
        if prev:
            cell += f" (×{value / prev:.1f})"
        cells.append(cell)
        prev = value
    return " | ".join(cells)


def cpu(command: str):
    return lambda r: r.get("cpu_s", {}).get(command)


FIGURES = [
    ("`load`, rows/s", lambda r: r["load_rows_s"]),
    ("`load`, seconds", lambda r: r["load_s"]),
    ("`load`, CPU seconds (user + system)", cpu("load big")),
    ("`load`, peak RSS (MB)", lambda r: r["load_rss_mb"] or 0),
    ("database on disk (MB)", lambda r: r["db_mb"]),
    ("start to first question, s (median of 3, tmux)", lambda r: sorted(
        r["first_question_s"])[len(r["first_question_s"]) // 2]),
    ("refresh with no model yet, s", lambda r: r["refresh"]["cold_s"]),
    ("refresh: sample + featurise + score the 20k pool, s", lambda r: r["refresh"]["pool_s"]),
    ("refresh on the same pool, s", lambda r: r["refresh"]["again_s"]),
    ("storing 100k answers (one transaction), s", lambda r: r["answers_s"]),
    ("`db-out` of 100k answers, s", lambda r: r["db_out_s"]),
    ("`db-out`, CPU seconds", cpu("db-out answers -")),
    ("`db-out`, peak RSS (MB)", lambda r: r["db_out_rss_mb"] or 0),
    ("`stats`, s", lambda r: r["stats_s"]),
    ("`stats answers`, s", lambda r: r["stats_dataset_s"]),
    ("`drop answers` (dataset), s", lambda r: r["drop_dataset_s"]),
    ("`drop --source` (with VACUUM), s", lambda r: r["drop_source_s"]),
    ("`drop --source`, CPU seconds", cpu("drop --source big --yes")),
    ("`drop --source`, peak RSS (MB)", lambda r: r["drop_source_rss_mb"] or 0),
]


def table(results: dict[str, dict]) -> str:
    rows = [results[k] for k in sorted((k for k in results if k.isdigit()), key=int)]
    head = "| figure | " + " | ".join(f"{r['n']:,}" for r in rows) + " |"
    lines = [head, "|" + "---|" * (len(rows) + 1)]
    for name, get in FIGURES:
        lines.append(f"| {name} | {growth(rows, get)} |")
    when = "\n".join(f"- {r['n']:,}: measured {r['when']}; file {r['file_mb']:,.0f} MB, "
                     f"{r['stored']:,} examples stored" for r in rows)
    return "\n".join(lines) + f"\n\n{when}\n"


def write(results: dict[str, dict]) -> None:
    start, end = markers("scale")
    text = (f"{start}\n## Scale: 100k to 10M examples (`benchmarks/scale.py`)\n\n"
            "Sources of real sentences recombined (two or three per line, seeded) from the "
            "shared training sets. Each command is a fresh `python -m altool` process; "
            "(×k) is the growth over the previous size (10x more examples). A figure that "
            "should not depend on the source's size should stay near ×1, one that must read "
            "it all near ×10.\n\n" + table(results)
            + ("\n" + encode_text(results["encode"]) if "encode" in results else "")
            + ("\n" + pool_text(results["pool"]) if "pool" in results else "")
            + f"\n{end}\n")
    write_section(start, end, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated source sizes (default: 100000,1000000)")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--encode", type=int, default=0, metavar="N",
                        help="also time encoding N texts here and on a local Dask cluster "
                        "(needs the embed and cluster extras)")
    parser.add_argument("--pool", type=int, default=0, metavar="N",
                        help="also time scoring an N-row pool here and on a local Dask "
                        "cluster (needs the cluster extra; 1000000: about 5 min)")
    parser.add_argument("--no-write", action="store_true", help="don't write RESULTS.md")
    args = parser.parse_args()
    results = json.loads(STATE.read_text()) if STATE.exists() else {}
    if args.encode:
        results["encode"] = bench_encode(args.encode, writes=100_000)
        STATE.write_text(json.dumps(results, indent=1))
    if args.pool:
        results["pool"] = bench_pool(args.pool)
        STATE.write_text(json.dumps(results, indent=1))
    for n in (int(s) for s in args.sizes.split(",") if s):
        results[str(n)] = bench(n, args.keep)
        STATE.write_text(json.dumps(results, indent=1))
    if not args.no_write:
        write(results)


if __name__ == "__main__":
    main()
