"""``altool simulate --task ner``: gold spans answer ner.teach's questions."""

from __future__ import annotations

import json

import pytest

from altool.errors import InputError
from altool.simulate.ner import checkpoints, entity_f1, read_ner_gold, simulate_ner

NAMES = ["Anna", "Boris", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jana"]
CITIES = ["Paris", "Oslo", "Lima", "Quito", "Rome", "Cairo", "Delhi", "Tokyo", "Bern", "Riga"]


def _write_gold(path, n: int = 20) -> None:
    lines = []
    for i in range(n):
        name, city = NAMES[i % len(NAMES)], CITIES[(i * 3) % len(CITIES)]
        text = f"{name} flew to {city} today"
        words = text.split()
        starts = [text.index(w) for w in words]
        tokens = [{"text": w, "start": s, "end": s + len(w), "id": k}
                  for k, (w, s) in enumerate(zip(words, starts, strict=True))]
        spans = [{"start": 0, "end": len(name), "token_start": 0, "token_end": 0,
                  "label": "PER"},
                 {"start": starts[3], "end": starts[3] + len(city), "token_start": 3,
                  "token_end": 3, "label": "LOC"}]
        lines.append(json.dumps({"text": text, "tokens": tokens, "spans": spans}))
    path.write_text("\n".join(lines) + "\n")


def test_read_gold_checks_spans_with_line_numbers(tmp_path):
    path = tmp_path / "g.jsonl"
    _write_gold(path, 3)
    assert len(read_ner_gold(str(path))) == 3
    bad = tmp_path / "bad.jsonl"
    bad.write_text(path.read_text().splitlines()[0] + "\n"
                   + json.dumps({"text": "Anna here", "spans": [{"start": 1, "end": 4,
                                                               "label": "PER"}]}) + "\n")
    with pytest.raises(InputError, match=r"bad.jsonl:2: .*line up"):
        read_ner_gold(str(bad))


def test_checkpoints():
    assert checkpoints(60, 10) == [10, 20, 30, 40, 50, 60]
    assert checkpoints(35, 10)[-1] == 35


def test_simulation_curves_and_perfect_annotator(tmp_path):
    path = tmp_path / "g.jsonl"
    _write_gold(path, 20)
    gold = read_ner_gold(str(path))
    result = simulate_ner(gold, gold[:5], ["default", "random", "manual"], budget=20,
                          batch_size=10, seed_size=10, pool=20)
    assert result.labels == ["LOC", "PER"]
    for curve in result.curves.values():
        assert [p[0] for p in curve.points] == [10, 20]
        assert all(0.0 <= p[1] <= 1.0 for p in curve.points)
    assert result.curves["manual"].accepted == 1.0
    assert all(c.last_fit_s > 0 for c in result.curves.values())
    # the default run's calibration was fitted on its binary answers, the manual run has none
    assert result.models["default"].calibration.n == 10
    assert result.models["manual"].calibration.n == 0
    # the gold answers themselves score F1 1 with the gold model's spans
    model = result.models["manual"]
    assert 0.0 <= entity_f1(model, gold[:5], result.labels) <= 1.0


def test_cli_task_ner(cli, tmp_path):
    path = tmp_path / "g.jsonl"
    _write_gold(path, 12)
    r = cli("simulate", path, "--test", path, "--task", "ner", "--budget", "10",
            "--batch-size", "10", "--seed-size", "5", "--repeats", "1",
            "--strategy", "default,manual", "--output", "-")
    assert r.returncode == 0, r.stderr
    assert "entity F1" in r.stdout and "manual" in r.stdout
    data = json.loads(r.stdout[r.stdout.index("{"):])
    assert set(data["curves"]) == {"default", "manual"}
    r = cli("simulate", path, "--test", path, "--task", "ner", "--strategy", "margin")
    assert r.returncode == 1 and "unknown NER strategy" in r.stderr
