"""altool simulate: the teach loop replayed with gold labels (library and CLI)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.loop.learner import Learner
from altool.models import SklearnModel
from altool.simulate import (
    aulc,
    checkpoint_grid,
    extension_grid,
    labels_to_reach,
    read_labelled,
    resolve_extend,
    simulate,
    subsample,
)
from altool.strategies import get_strategy

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "jsonl"
SMS = DATASETS / "sms_spam.train.jsonl"
SMS_TEST = DATASETS / "sms_spam.test.jsonl"

VOCAB = {
    "sport": "goal match team score league coach player stadium",
    "tech": "software chip laptop code server cloud robot app",
    "food": "pizza pasta salad bread cheese soup recipe spice",
}
NOISE = "the a today really very some new big old good".split()


def synthetic(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = list(VOCAB)[i % 3]
        words = rng.sample(VOCAB[label].split(), 3) + rng.sample(NOISE, 4)
        rng.shuffle(words)
        out.append({"text": " ".join(words) + f" #{seed}-{i}", "label": label})
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- helpers ---------------------------------------------------------------------------------
def test_aulc_hand_made_curve():
    assert aulc([(0, 0.0), (10, 1.0)]) == pytest.approx(0.5)
    # (30 * 0.65 + 50 * 0.8) / 80
    assert aulc([(20, 0.5), (50, 0.8), (100, 0.8)]) == pytest.approx(0.74375)
    assert aulc([(100, 0.8), (20, 0.5), (50, 0.8)]) == pytest.approx(0.74375)  # any order
    assert aulc([(20, 0.7)]) == pytest.approx(0.7)
    assert aulc([(20, 0.6), (40, 0.6), (60, 0.6)]) == pytest.approx(0.6)


def test_labels_to_reach():
    pts = [(20, 0.5), (30, 0.7), (40, 0.69), (50, 0.9)]
    assert labels_to_reach(pts, 0.7) == 30
    assert labels_to_reach(pts, 0.9) == 50
    assert labels_to_reach(pts, 0.95) is None


def test_checkpoint_grid():
    grid = checkpoint_grid(1000, 10, 20)
    assert grid[:3] == [20, 30, 40]
    assert {20, 50, 100, 200, 500, 1000} <= set(grid)
    assert 110 not in grid and 150 in grid and grid[-1] == 1000
    assert checkpoint_grid(35, 10, 20) == [20, 30, 35]


# -- library ---------------------------------------------------------------------------------
def test_simulate_json_shape_and_learning():
    gold, test = synthetic(150, 1), synthetic(60, 2)
    result = simulate(gold, test, ["margin", "random"], budget=40, repeats=2, seed_size=10,
                      batch_size=10)
    data = json.loads(json.dumps(result.to_json()))
    assert set(data) == {"metric", "model", "noise", "full_score", "strategies"}
    assert data["noise"] == {"rate": 0.0, "towards": "uniform"}
    assert data["metric"] == "accuracy"
    assert 0.9 <= data["full_score"] <= 1.0
    assert set(data["strategies"]) == {"margin", "random"}
    for s in data["strategies"].values():
        assert set(s) == {"points", "aulc", "labels_to", "stop"}
        assert set(s["stop"]) == {"labels", "fired", "gap", "gaps"}
        assert set(s["labels_to"]) == {"0.9", "0.95", "0.98"}
        assert all(len(p) == 3 for p in s["points"])
        xs = [p[0] for p in s["points"]]
        assert xs == sorted(xs) and xs[0] == 10
        assert 0.0 <= s["aulc"] <= 1.0
        assert all(v is None or isinstance(v, int) for v in s["labels_to"].values())
    margin = data["strategies"]["margin"]
    assert [p[0] for p in margin["points"]] == [10, 20, 30, 40]
    assert margin["points"][-1][1] > 0.6  # it learns: 3 easy classes


def test_stop_criterion_is_reported_per_strategy():
    gold, test = synthetic(300, 1), synthetic(60, 2)
    result = simulate(gold, test, ["margin", "ema", "random"], budget=150, repeats=2,
                      seed_size=10, batch_size=10, stop_threshold=0.97, stop_window=2)
    data = json.loads(json.dumps(result.to_json()))
    for s in data["strategies"].values():
        stop = s["stop"]
        assert isinstance(stop["fired"], int) and 0 <= stop["fired"] <= 2
        if stop["fired"]:
            assert 10 < stop["labels"] <= 150
            assert stop["gap"] >= 0.0
        else:
            assert stop["labels"] is None and stop["gap"] is None
    # 3 easy classes: predictions settle well within 150 labels
    assert data["strategies"]["margin"]["stop"]["fired"] == 2
    # an impossible threshold never fires
    never = simulate(gold, test, ["margin"], budget=60, repeats=1, seed_size=10,
                     batch_size=10, stop_threshold=1.01)
    assert never.to_json()["strategies"]["margin"]["stop"] == {
        "labels": None, "fired": 0, "gap": None, "gaps": []}


def test_stop_gap_is_best_minus_score_at_the_stop():
    from altool.simulate import StopResult

    stop = StopResult.from_runs([(100, 0.80, 0.85), (200, 0.90, 0.90)])
    assert stop.labels == pytest.approx(150) and stop.fired == 2
    assert stop.gap == pytest.approx(2.5)  # (5 + 0) / 2 points
    assert stop.gaps == pytest.approx([5.0, 0.0]) and stop.short_of(3) == 1
    assert StopResult.from_runs([]).to_json() == {"labels": None, "fired": 0, "gap": None,
                                                  "gaps": []}


def test_random_continues_past_budget_to_reach_thresholds():
    gold, test = synthetic(300, 3), synthetic(60, 4)
    result = simulate(gold, test, ["random"], budget=12, repeats=1, seed_size=6, batch_size=6)
    xs = [p[0] for p in result.strategies["random"].points]
    assert xs[-1] > 12  # went past the budget, at most 10x
    assert xs[-1] <= 120
    # the AULC is computed within the budget only
    assert result.strategies["random"].aulc == pytest.approx(
        aulc([(p[0], p[1]) for p in result.strategies["random"].points if p[0] <= 12]))


def test_extension_grid_is_fine_and_keeps_whole_batches():
    grid = extension_grid(1000, 10_000, 10)
    assert grid[:3] == [1050, 1100, 1150] and grid[-1] == 10_000
    pairs = list(zip([1000, *grid[:-1]], grid, strict=True))
    assert all((b - a) % 10 == 0 for a, b in pairs)
    # consecutive checkpoints at most 5% apart: labels-to past the budget is read that finely
    assert max(b / a for a, b in pairs) <= 1.05 + 1e-9
    assert extension_grid(1000, 1234, 10)[-2:] == [1200, 1234]  # the pool ends first
    assert extension_grid(300, 3000, 10)[:2] == [320, 340]  # 5% of 300 is 15: whole batches
    assert extension_grid(1000, 1000, 10) == []


def test_extend_chooses_which_strategies_run_past_the_budget():
    gold, test = synthetic(300, 3), synthetic(60, 4)

    def last_x(result, name):
        return result.strategies[name].points[-1][0]

    # a budget of just the seed set: no strategy reaches 98% of the full-data score in it
    common = dict(budget=6, repeats=1, seed_size=6, batch_size=3)
    by_default = simulate(gold, test, ["margin", "random"], **common)
    assert last_x(by_default, "margin") == 6 and last_x(by_default, "random") > 6
    every = simulate(gold, test, ["margin", "random"], extend=["all"], **common)
    assert last_x(every, "margin") > 6 and last_x(every, "random") > 6
    # the margin run past the budget is the same run as within it, continued
    assert every.strategies["margin"].points[:1] == by_default.strategies["margin"].points
    assert every.strategies["margin"].aulc == by_default.strategies["margin"].aulc
    # labels-to is measured on the longer curve: no longer open once the mark is reached
    reached = labels_to_reach([(p[0], p[1]) for p in every.strategies["margin"].points],
                              0.95 * every.full_score)
    assert every.strategies["margin"].labels_to["0.95"] == reached
    assert reached is not None and reached > 6
    none = simulate(gold, test, ["margin", "random"], extend=["none"], **common)
    assert last_x(none, "margin") == 6 and last_x(none, "random") == 6


def test_progress_reports_each_run_and_its_length():
    # duplicate texts: the pool (one copy per text) is smaller than GOLD and than the budget
    gold, test = synthetic(40, 3), synthetic(60, 4)
    gold += gold[:10]
    ticks: list[tuple[str, int, int | None]] = []
    simulate(gold, test, ["margin", "random"], budget=100, repeats=2, seed_size=6,
             batch_size=5, extend=["none"], progress=lambda *tick: ticks.append(tick))
    runs: dict[str, list[int]] = {}
    for what, n, total in ticks:
        assert total == 40  # every run's length: the budget, cut to the deduplicated pool
        runs.setdefault(what, []).append(n)
    assert sorted(runs) == ["margin 1/2", "margin 2/2", "random 1/2", "random 2/2"]
    assert all(sum(ns) == 40 for ns in runs.values())

    ticks.clear()
    simulate(synthetic(300, 3), test, ["random"], budget=6, repeats=1, seed_size=6,
             batch_size=3, progress=lambda *tick: ticks.append(tick))
    past = [t for t in ticks if t[0] == "random past the budget"]
    assert past and all(total is None for _, _, total in past)  # open-ended: length unknown


def test_resolve_extend():
    from altool.strategies import DEFAULT_STRATEGY

    names = [DEFAULT_STRATEGY, "random"]
    assert resolve_extend(["random"], names) == {"random"}
    assert resolve_extend(["default"], names) == {DEFAULT_STRATEGY}
    assert resolve_extend(["all"], names) == {DEFAULT_STRATEGY, "random"}
    assert resolve_extend(["none"], names) == set()
    assert resolve_extend([], names) == set()
    assert resolve_extend(["margin"], names) == set()  # not among the runs: nothing to extend
    with pytest.raises(AltoolError, match="unknown|Unknown"):
        resolve_extend(["bogus"], names)


def test_binary_view_and_macro_f1():
    gold, test = synthetic(90, 5), synthetic(30, 6)
    result = simulate(gold, test, ["default"], view="binary", budget=30, repeats=1,
                      seed_size=10, metric="macro-f1")
    assert result.metric == "macro-f1"
    (name,) = result.strategies
    assert result.strategies[name].points[-1][0] == 30


def test_random_strategy_has_a_random_cold_start():
    texts = [f"text number {i}" for i in range(50)]
    model = SklearnModel(["a", "b"])
    X = model.featurize(texts)
    hashes = list(range(1, 51))
    picks = [
        [p.row for p in Learner(SklearnModel(["a", "b"]), get_strategy("random"), view="choice",
                                seed=s).choose(X, hashes, 10)]
        for s in range(3)
    ]
    assert all(len(set(p)) == 10 for p in picks)
    assert len({tuple(p) for p in picks}) == 3


def test_bad_input_errors(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [{"text": "x", "cat": "a"}])
    with pytest.raises(AltoolError, match='no "label" field'):
        read_labelled(str(path))
    assert read_labelled(str(path), "cat") == [{"text": "x", "label": "a"}]
    with pytest.raises(AltoolError, match="two or more"):
        simulate([{"text": "x", "label": "a"}], [{"text": "y", "label": "a"}], ["margin"])
    with pytest.raises(AltoolError, match="unknown strategy"):
        simulate(synthetic(9, 1), synthetic(3, 2), ["nope"])
    with pytest.raises(AltoolError, match="--metric"):
        simulate(synthetic(9, 1), synthetic(3, 2), ["margin"], metric="f2")


@pytest.mark.skipif(not SMS.exists(), reason="sms_spam dataset not available")
def test_margin_beats_random_on_imbalanced_sms_spam():
    gold = subsample(read_labelled(str(SMS)), 1500, seed=0)
    test = subsample(read_labelled(str(SMS_TEST)), 500, seed=0)
    result = simulate(gold, test, ["margin", "random"], budget=60, repeats=3,
                      extend=())
    margin, rand = result.strategies["margin"], result.strategies["random"]
    assert margin.aulc > rand.aulc
    assert margin.points[-1][1] >= rand.points[-1][1] - 0.01


# -- CLI -------------------------------------------------------------------------------------
def run_cli(args: list[str]) -> int:
    from altool.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    return int(exc.value.code or 0)


def test_cli_writes_table_and_json(tmp_path, capsys):
    gold = write_jsonl(tmp_path / "gold.jsonl", synthetic(90, 7))
    test = write_jsonl(tmp_path / "test.jsonl", synthetic(30, 8))
    out = tmp_path / "curves.json"
    code = run_cli(["simulate", str(gold), "--test", str(test), "--strategy", "margin,random",
                    "--budget", "30", "--repeats", "1", "--seed-size", "10",
                    "--output", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert "margin" in captured.out and "AULC" in captured.out
    data = json.loads(out.read_text())
    assert set(data) == {"metric", "model", "noise", "full_score", "strategies"}
    assert data["noise"] == {"rate": 0.0, "towards": "uniform"}
    assert list(data["strategies"]) == ["margin", "random"]


def test_cli_extend_all_and_a_bad_name(tmp_path, capsys):
    gold = write_jsonl(tmp_path / "gold.jsonl", synthetic(150, 7))
    test = write_jsonl(tmp_path / "test.jsonl", synthetic(30, 8))
    out = tmp_path / "curves.json"
    args = ["simulate", str(gold), "--test", str(test), "--strategy", "margin,random",
            "--budget", "6", "--repeats", "1", "--seed-size", "6", "--batch-size", "3",
            "--model", "sklearn"]  # (the encoder model reaches the mark within the budget)
    assert run_cli([*args, "--extend", "all", "--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert max(p[0] for p in data["strategies"]["margin"]["points"]) > 6
    capsys.readouterr()
    assert run_cli([*args, "--extend", "bogus"]) != 0
    err = capsys.readouterr().err
    assert "bogus" in err and "Traceback" not in err


def test_cli_table_shows_the_stop_columns(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per row: headers not wrapped
    gold = write_jsonl(tmp_path / "gold.jsonl", synthetic(90, 7))
    test = write_jsonl(tmp_path / "test.jsonl", synthetic(30, 8))
    code = run_cli(["simulate", str(gold), "--test", str(test), "--strategy", "ema",
                    "--budget", "30", "--repeats", "1", "--seed-size", "10"])
    assert code == 0
    out = capsys.readouterr().out
    assert "stop at" in out and "gap" in out and "ema" in out
    assert "/1)" in out  # fired repeats out of 1


def test_cli_missing_label_field_is_a_clean_error(tmp_path, capsys):
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"text": "a b", "tag": "x"}])
    code = run_cli(["simulate", str(gold), "--test", str(gold)])
    assert code == 1
    err = capsys.readouterr().err
    assert 'no "label" field' in err and "Traceback" not in err


def test_cli_plot_without_matplotlib_says_how_to_install(tmp_path, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    gold = write_jsonl(tmp_path / "gold.jsonl", synthetic(9, 1))
    code = run_cli(["simulate", str(gold), "--test", str(gold), "--plot", "x.png"])
    assert code == 1
    assert "pip install 'altool[plot]'" in capsys.readouterr().err


def test_cli_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    gold = write_jsonl(tmp_path / "gold.jsonl", synthetic(90, 7))
    test = write_jsonl(tmp_path / "test.jsonl", synthetic(30, 8))
    png = tmp_path / "curves.png"
    code = run_cli(["simulate", str(gold), "--test", str(test), "--strategy", "default,random",
                    "--budget", "30", "--repeats", "1", "--seed-size", "10", "--plot", str(png)])
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_gives_each_strategy_its_own_line_style():
    """Two strategies that picked the same texts (diverse and margin often do) draw the same
    curve: different dash patterns keep both visible."""
    pytest.importorskip("matplotlib")
    from altool.simulate import learning_curve_figure, require_matplotlib

    gold, test = synthetic(90, 7), synthetic(30, 8)
    result = simulate(gold, test, ["default", "margin", "random"], budget=30, repeats=1,
                      seed_size=10)
    plt = require_matplotlib()
    fig = learning_curve_figure(result, plt)
    try:
        styles = {ln.get_label(): ln.get_linestyle() for ln in fig.axes[0].get_lines()
                  if "AULC" in str(ln.get_label())}
    finally:
        plt.close(fig)
    assert len(styles) == 3 and len(set(styles.values())) == 3


def test_subsample_keeps_order():
    rows = [{"text": str(i), "label": "a"} for i in range(100)]
    sub = subsample(rows, 10, seed=1)
    assert len(sub) == 10 and sub == sorted(sub, key=lambda r: int(r["text"]))
    assert subsample(rows, None) == rows
    assert np.all([r in rows for r in sub])


def test_seed_sets_are_the_rows_of_each_first_step():
    """The benchmark hands these rows to the peer libraries as their seed set."""
    gold, test = synthetic(300, 1), synthetic(60, 2)
    result = simulate(gold, test, ["diverse", "random"], budget=40, repeats=2, seed_size=15,
                      batch_size=10, extend=())
    for name in ("diverse", "random"):
        sets = result.strategies[name].seed_sets
        assert len(sets) == 2
        for rows in sets:
            assert len(rows) == len(set(rows)) == 15
            assert all(0 <= r < 300 for r in rows)
        assert sets[0] != sets[1]  # each repeat has its own seed
    # the same seed reproduces the same seed set
    again = simulate(gold, test, ["diverse"], budget=40, repeats=1, seed_size=15,
                     batch_size=10, extend=())
    assert again.strategies["diverse"].seed_sets[0] == result.strategies["diverse"].seed_sets[0]


def test_cli_tables_fit_an_80_column_terminal():
    """The report at the issue's budget (six checkpoints, a long strategy name, a stop that
    fired) prints every number whole in 80 columns: nothing cut to an ellipsis."""
    from rich.console import Console

    from altool.simulate import SimulationResult, StopResult, StrategyResult, report_tables

    grid = [20, 50, 100, 200, 500, 1000]
    result = SimulationResult("accuracy", 0.9, 1000, ["A", "B"], 5381, 500, 5)
    for k, name in enumerate(("least-confidence", "diverse", "random")):
        points = [(n, 0.5 + n / 4000 + k / 100, 0.0215) for n in grid]
        result.strategies[name] = StrategyResult(
            name, points, aulc=0.731 + k / 1000, aulc_std=0.01,
            labels_to={"0.9": 650, "0.95": 950 + k, "0.98": None},
            stop=StopResult(980.0, 1, 0.6, [0.6]) if name != "random" else None)
    console = Console(width=80, record=True)
    for part in report_tables(result, "accuracy", "../data/[v2]/trec.test.jsonl", 5):
        console.print(part)
    text = console.export_text()
    assert "…" not in text, text
    assert max(len(line) for line in text.splitlines()) <= 80
    for value in ("../data/[v2]/trec.test.jsonl", "least-confidence", "0.770", "±0.021",
                  "0.733", "950", "952", "980 (1/5)", "0.6 pts", "- (0/5)", "@1000"):
        assert value in text, (value, text)


@pytest.mark.parametrize("budget, columns", [(300, [20, 50, 100, 200, 300]),
                                             (1000, [20, 50, 100, 200, 500, 1000]),
                                             (1500, [20, 50, 100, 200, 500, 1000, 1500])])
def test_cli_table_ends_at_the_budget(budget, columns):
    from rich.console import Console

    from altool.simulate import (
        SimulationResult,
        StrategyResult,
        checkpoint_grid,
        report_tables,
        table_checkpoints,
    )

    result = SimulationResult("accuracy", 0.9, budget, ["A", "B"], 5381, 500, 5)
    points = [(n, 0.5 + n / 4000, 0.0215) for n in checkpoint_grid(budget, 10, 20)]
    result.strategies["diverse"] = StrategyResult(
        "diverse", points, aulc=0.731, aulc_std=0.01,
        labels_to={"0.9": None, "0.95": None, "0.98": None})
    assert table_checkpoints(result) == columns
    console = Console(width=80, record=True)
    for part in report_tables(result, "accuracy", "trec.test.jsonl", 5):
        console.print(part)
    text = console.export_text()
    assert f"@{budget}" in text and f"{0.5 + budget / 4000:.3f}" in text, text
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80, text


def test_test_labels_missing_from_gold_are_warned_about(tmp_path, capsys):
    from altool.simulate import unseen_test_labels

    gold = [{"text": f"g{i}", "label": "a" if i % 2 else "b"} for i in range(10)]
    test = [{"text": f"t{i}", "label": lab} for i, lab in enumerate("abbccd")]
    warning = unseen_test_labels(gold, test)
    assert warning.startswith("3 of 6 TEST rows have a label GOLD never has (2 of 4 labels, "
                              "e.g. 'c')") and "accuracy at 50%" in warning
    assert unseen_test_labels(gold, test[:3]) is None

    args = ["simulate", str(write_jsonl(tmp_path / "gold.jsonl", gold)),
            "--test", str(write_jsonl(tmp_path / "test.jsonl", test)),
            "--budget", "4", "--repeats", "1", "--seed-size", "2", "--batch-size", "2"]
    assert run_cli(args) == 0
    err = capsys.readouterr().err
    assert "Warning:" in err and "3 of 6 TEST rows" in err and "shuf -n" in err
    args[3] = str(write_jsonl(tmp_path / "covered.jsonl", test[:3]))
    assert run_cli(args) == 0
    assert "Warning" not in capsys.readouterr().err


def test_noisy_labels_flip_the_share_asked_towards_another_label():
    from altool.simulate import noisy_labels

    y = np.arange(10_000) % 4
    rng = np.random.default_rng(0)
    out = noisy_labels(y, 4, 0.2, rng)
    wrong = out != y
    assert 0.18 < wrong.mean() < 0.22  # every flip lands on another label
    assert noisy_labels(y, 4, 0.0, rng) is y
    towards = (y + 2) % 4
    out = noisy_labels(y, 4, 0.3, np.random.default_rng(1), confusable=towards)
    assert np.array_equal(out[out != y], towards[out != y]) and 0.27 < (out != y).mean() < 0.33


def test_a_noisy_oracle_teaches_less_and_is_said_so(tmp_path, capsys):
    """--noise 0.4: the same runs learn from wrong answers (lower AULC than a clean oracle),
    the report says so, and the JSON records it; a bad share is a clean error."""
    gold, test = synthetic(240, 3), synthetic(90, 4)
    clean = simulate(gold, test, ["random"], budget=60, repeats=2, seed_size=10)
    noisy = simulate(gold, test, ["random"], budget=60, repeats=2, seed_size=10, noise=0.4,
                     noise_towards="confusable")
    assert noisy.strategies["random"].aulc < clean.strategies["random"].aulc
    assert noisy.full_score == clean.full_score  # TEST and the full-data model keep the truth
    g = write_jsonl(tmp_path / "gold.jsonl", gold)
    t = write_jsonl(tmp_path / "test.jsonl", test)
    args = ["simulate", str(g), "--test", str(t), "--strategy", "random", "--budget", "30",
            "--repeats", "1", "--seed-size", "10", "--model", "sklearn"]
    assert run_cli([*args, "--noise", "0.25", "--output", str(tmp_path / "c.json")]) == 0
    assert "the oracle wrong on 25% of the pool (uniform)" in " ".join(
        capsys.readouterr().out.split())
    assert json.loads((tmp_path / "c.json").read_text())["noise"]["rate"] == 0.25
    assert run_cli([*args, "--noise", "1.5"]) == 1
    assert "--noise must be a share in [0, 1)" in capsys.readouterr().err


def test_terminal_chart_shows_the_budget_at_full_width_and_the_extension_apart():
    """Over SSH a PNG is no use: the curves are drawn in the terminal too. The budget's range
    fills the chart; random's run past the budget (--extend) has a chart of its own."""
    import io

    from rich.console import Console

    from altool.simulate import curve_charts

    # a noisy oracle keeps random order short of 98% at the budget: it goes on (--extend)
    result = simulate(synthetic(300, 7), synthetic(60, 8), ["default", "random"], budget=40,
                      repeats=1, seed_size=10, noise=0.4)
    assert max(p[0] for p in result.strategies["random"].points) > 40
    console = Console(file=io.StringIO(), width=80, color_system=None, legacy_windows=False)
    charts = curve_charts(result, 80)
    assert len(charts) == 2
    for chart in charts:
        console.print(chart)
    lines = console.file.getvalue().split("\n")
    assert all(len(line) <= 80 for line in lines)
    axes = [i for i, line in enumerate(lines) if "└" in line]
    assert len(axes) == 2
    assert lines[axes[0] + 1].split() == ["0", "20", "40"]  # the budget, whole
    assert lines[axes[1] + 1].split()[0] == "40"  # the extension starts at the budget
    assert "diverse (AULC" in lines[axes[0] + 2] and "random (AULC" in lines[axes[0] + 2]
    assert "diverse (stopped at the budget)" in lines[axes[1] + 2]
    assert not curve_charts(simulate(synthetic(90, 7), synthetic(30, 8), ["random"],
                                     budget=30, repeats=1, seed_size=10, extend=()))[1:]


def test_the_png_puts_the_extension_in_a_second_panel():
    pytest.importorskip("matplotlib")
    from altool.simulate import learning_curve_figure, require_matplotlib

    result = simulate(synthetic(300, 7), synthetic(60, 8), ["default", "random"], budget=40,
                      repeats=1, seed_size=10, noise=0.4)
    plt = require_matplotlib()
    fig = learning_curve_figure(result, plt)
    try:
        top, bottom = fig.axes
        assert top.get_xlim() == (0, 40)  # the budget's range at full width
        assert bottom.get_xlim()[0] == 40 and bottom.get_xlim()[1] > 40
        assert [ln.get_label() for ln in bottom.get_lines() if "labels" not in
                str(ln.get_label())] == ["random"]
    finally:
        plt.close(fig)
