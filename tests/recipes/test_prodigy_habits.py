"""Prodigy's positional spaCy model on altool's command line: the message and the command."""

from __future__ import annotations

from altool.recipes.prodigy import positional_model_hint


def test_ner_teach_with_a_trained_pipeline_points_at_ner_correct():
    hint = positional_model_hint(
        "ner.teach", {"label", "lang", "patterns"},
        ["ner.teach", "ds", "en_core_web_sm", "news.jsonl", "-l", "PER"],
        ["ds", "en_core_web_sm"], ["news.jsonl"])
    assert hint is not None
    assert "altool ner.teach ds news.jsonl -l PER --lang en" in hint
    assert "ner.correct --model en_core_web_sm" in hint and "not loaded" in hint


def test_odd_names_are_quoted_and_options_before_the_arguments_are_kept():
    hint = positional_model_hint(
        "textcat.teach", {"label", "model", "lang"},
        ["textcat.teach", "-l", "A", "my ds", "blank:fr", "a b.jsonl"],
        ["my ds", "blank:fr"], ["a b.jsonl"])
    assert hint is not None
    assert "altool textcat.teach 'my ds' 'a b.jsonl' -l A --model spacy --lang fr" in hint


def test_no_hint_when_it_does_not_look_like_prodigys_order():
    options = {"label", "model"}
    args = ["textcat.teach", "ds", "src", "x", "y"]
    assert positional_model_hint("textcat.teach", options, args, ["ds", "src"],
                                 ["x", "y"]) is None  # two extras
    assert positional_model_hint("textcat.teach", options, args[:3], ["ds", "src"],
                                 []) is None  # none
    assert positional_model_hint("mark", {"view"}, args[:4], ["ds", "src"],
                                 ["x"]) is None  # no model option
