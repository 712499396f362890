"""altool progress: pace, the model's accuracy on audit picks and coverage, from stored data."""

from __future__ import annotations

import json

import pytest
from scipy.stats import binomtest

from altool.store import Store
from altool.store.progress import dataset_progress, guessed_right, wilson
from tests.helpers import run_cli

OPTIONS = [{"id": "spam", "text": "spam"}, {"id": "ham", "text": "ham"}]


@pytest.mark.parametrize("k, n", [(0, 1), (1, 1), (7, 10), (24, 30), (500, 1000), (3, 250)])
def test_wilson_interval_matches_scipy(k, n):
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((ref.low, ref.high), abs=1e-9)
    assert wilson(0, 0) is None


def choice(text, label, *, session="s1", seconds=None, pick="tcm", guess=None, stamp=1000):
    eg = {"text": text, "options": OPTIONS, "accept": [label], "answer": "accept",
          "_session_id": session, "_timestamp": stamp, "meta": {"pick": pick}}
    if seconds is not None:
        eg["_seconds"] = seconds
    if guess is not None:
        eg["meta"]["pick_guess"] = guess
    return eg


def test_guessed_right_for_choice_and_binary_answers():
    assert guessed_right(choice("a", "spam", guess=["spam"])) is True
    assert guessed_right(choice("a", "spam", guess=["ham"])) is False
    binary = {"label": "spam", "answer": "reject", "meta": {"pick_guess": []}}
    assert guessed_right(binary) is True  # the model said "not spam", the answer agrees
    assert guessed_right({**binary, "answer": "ignore"}) is None
    assert guessed_right(choice("a", "spam")) is None  # no guess stored


def test_progress_from_stored_answers(tmp_path):
    rows = [choice("t1", "spam", seconds=2.0, pick="random", guess=["spam"], stamp=10),
            choice("t2", "ham", seconds=4.0, pick="random", guess=["spam"], stamp=20),
            choice("t3", "ham", seconds=120.0, pick="random", guess=["ham"], stamp=30),
            choice("t4", "ham", seconds=6.0, guess=["spam"], stamp=40),  # not an audit pick
            choice("t5", "spam", session="s2", stamp=50),  # stored before timing existed
            {**choice("t6", "spam", session="s2", pick="random", guess=["spam"]),
             "answer": "ignore", "accept": []},
            {"text": "t7", "label": "spam", "answer": "accept"}]  # imported: no session
    with Store(tmp_path / "a.db") as store:
        store.add_answers("ds", rows)
        p = dataset_progress(store, "ds")
    assert p.answers == {"accept": 6, "reject": 0, "ignore": 1}
    assert p.total.answers == 7 and p.total.timed == 4 and p.total.seconds == 132.0
    assert p.total.median_seconds == 5.0
    assert p.total.per_hour == pytest.approx(4 / 132 * 3600)
    assert list(p.sessions) == ["s1", "s2", None]
    assert p.sessions["s1"].first == 10 and p.sessions["s1"].last == 40
    assert (p.audit.picks, p.audit.guessed, p.audit.right) == (3, 3, 2)
    assert p.audit.interval == wilson(2, 3)
    assert p.coverage == {"ham": 3, "spam": 3}
    data = json.loads(json.dumps(p.to_json()))
    assert data["audit"]["accuracy"] == pytest.approx(2 / 3)
    assert [s["session_id"] for s in data["sessions"]] == ["s1", "s2", None]


def test_command_tables_json_and_a_dataset_with_nothing_to_measure(home, monkeypatch):
    with Store(home / "altool.db") as store:
        store.add_answers("[b]ds", [choice(f"t{i}", "spam", seconds=3.0, pick="random",
                                            guess=["spam"] if i % 4 else ["ham"])
                                     for i in range(40)])
        store.add_answers("bare", [{"text": "x", "label": "spam", "answer": "accept"}])
    monkeypatch.setenv("COLUMNS", "80")
    res = run_cli("progress", "[b]ds")
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    assert "Progress of [b]ds" in text and "75% right on 40 random audit picks" in text
    assert "1,200 answers/hour" in text and "median 3.0 s per answer" in text
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    data = json.loads(run_cli("progress", "[b]ds", "--json").stdout)
    assert data["audit"]["right"] == 30 and data["pace"]["timed"] == 40
    bare = " ".join(run_cli("progress", "bare").stdout.split())
    assert "not known: no answer was timed" in bare and "--mix" in bare
    missing = run_cli("progress", "nope")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_audit_curve_and_plateau():
    from altool.store.progress import audit_curve, plateau

    # 100 audit picks over 1,000 answers: wrong early, right later
    events = [(10 * (i + 1), i >= 40) for i in range(100)]
    curve = audit_curve(events, points=5)
    assert [c.picks for c in curve] == [20] * 5 and curve[-1].answers == 1000
    assert [c.accuracy for c in curve] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert audit_curve([]) == []
    state, detail = plateau(events, 1000, window=300)  # 30 picks each: 1.0 and 1.0
    assert state == "plateau" and "100% right" in detail
    assert plateau(events, 1000, window=400)[0] == "improving"  # 0.5 -> 1.0
    state, detail = plateau(events[:50], 500, window=200)
    assert state == "unknown" and "there are 20 and 20" in detail


def test_odd_stored_numbers_never_crash_it(tmp_path):
    rows = [choice("a", "spam", seconds=10**400, stamp=10**30),
            choice("b", "spam", seconds=1e308, stamp="yesterday"),
            choice("c", "spam", seconds="3")]
    with Store(tmp_path / "odd.db") as store:
        store.add_answers("ds", rows)
        p = dataset_progress(store, "ds")
    assert p.total.timed == 1 and p.total.seconds == 120.0  # 1e308: cut off like any break
    assert p.total.first == p.total.last == 1000  # only c's timestamp is a date
    json.dumps(p.to_json(), allow_nan=False)  # valid JSON


def test_audit_accuracy_comes_with_the_majority_baseline(tmp_path):
    rows = [choice(f"t{i}", "ham", pick="random", guess=["ham"]) for i in range(9)]
    rows.append(choice("s", "spam", pick="random", guess=["ham"]))
    with Store(tmp_path / "base.db") as store:
        store.add_answers("ds", rows)
        audit = dataset_progress(store, "ds").audit
    assert audit.accuracy == 0.9 and audit.baseline == 0.9  # no better than "always ham"


def test_stop_signal_state_from_the_questions_meta(tmp_path, monkeypatch):
    rows = [choice(f"t{i}", "spam") for i in range(5)]
    rows[1]["meta"]["pick_stop"] = {"fired": False, "agreement": 0.91}
    rows[3]["meta"]["pick_stop"] = {"fired": True, "agreement": 0.995}
    rows[4]["meta"]["pick_stop"] = {"fired": True, "agreement": 0.999}
    with Store(tmp_path / "s.db") as store:
        store.add_answers("ds", rows)
        assert dataset_progress(store, "ds").stop == {"fired": True, "agreement": 0.999,
                                                      "answers": 5, "fired_at": 4}
        store.add_answers("none", rows[:1])
        assert dataset_progress(store, "none").stop is None
    from rich.console import Console

    from altool.store.report import progress_tables

    console = Console(width=250, record=True)
    with Store(tmp_path / "s.db") as store:
        for table in progress_tables(dataset_progress(store, "ds")):
            console.print(table)
    text = " ".join(console.export_text().split())
    assert "fired (first seen by answer 4); successive models agree at kappa 0.999" in text
