"""``benchmarks/scale.py``'s helpers: the recombined sources are the same every time, and the
table says how each figure grew (the runs themselves take minutes: by hand, not in CI)."""

from __future__ import annotations

import json

import pytest

from benchmarks import scale
from benchmarks.common import DATA

needs_data = pytest.mark.skipif(not (DATA / "trec.train.jsonl").exists(),
                                reason=f"benchmark datasets not found under {DATA}")


@needs_data
def test_scale_file_recombines_real_sentences_the_same_way_each_time(tmp_path, monkeypatch):
    monkeypatch.setattr(scale, "WORK", tmp_path)
    first = scale.scale_file(200).read_text(encoding="utf-8")
    (tmp_path / "scale-200.ok").unlink()  # built again, from scratch
    assert scale.scale_file(200).read_text(encoding="utf-8") == first
    texts = [json.loads(line)["text"] for line in first.splitlines()]
    assert len(texts) == 200 and len(set(texts)) == 200
    sentences = set(scale.sentences())
    # every line is 2 or 3 of the real sentences joined by a space
    assert all(any(text.startswith(s + " ") for s in sentences) for text in texts[:20])


def test_the_table_shows_the_growth_over_the_previous_size():
    rows = [{"a": 2.0}, {"a": 20.0}, {"a": None}, {"a": 1000.0}]
    assert scale.growth(rows, lambda r: r["a"]) == (
        "2.00 | 20.00 (×10.0) | not measured | 1,000")
