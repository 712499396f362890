"""Tokens and span validation (Prodigy's format)."""

from __future__ import annotations

import json

import pytest

from altool.errors import AltoolError
from altool.io.spans import (
    SpanError,
    blank_nlp,
    check_tokens,
    make_tokens,
    normalize_spans,
    tokenize,
)


@pytest.fixture(scope="module")
def nlp():
    return blank_nlp("en")


# -- tokens ------------------------------------------------------------------------------------
def test_tokens_are_character_offsets_into_the_text(nlp):
    text = "Zoë met 👍🏽 at café e\u0301cole in 東京."
    tokens = make_tokens(nlp, text)
    assert [t["id"] for t in tokens] == list(range(len(tokens)))
    for t in tokens:
        assert text[t["start"]:t["end"]] == t["text"]
    assert {"Zoë", "café", "e\u0301cole", "東京"} <= {t["text"] for t in tokens}
    check_tokens(text, tokens)


def test_tokenize_keeps_valid_tokens_and_adds_token_indices_to_spans(nlp):
    task = {"text": "Acme Corp hired Zoë", "spans": [{"start": 16, "end": 19, "label": "PER"},
                                                      {"start": 0, "end": 9, "label": "ORG"}]}
    out = tokenize(nlp, task)
    assert "tokens" not in task  # the input is not changed
    assert out["spans"] == [
        {"start": 0, "end": 9, "token_start": 0, "token_end": 1, "label": "ORG"},
        {"start": 16, "end": 19, "token_start": 3, "token_end": 3, "label": "PER"},
    ]
    custom = {"text": "ab cd", "tokens": [{"text": "ab cd", "start": 0, "end": 5, "id": 0}]}
    assert tokenize(nlp, custom)["tokens"] == custom["tokens"]


@pytest.mark.parametrize("tokens, message", [
    ("nope", "must be a list"),
    ([{"text": "ab", "start": 0, "end": 2, "id": 1}], "token ids must be 0, 1, 2"),
    ([{"text": "ab", "start": 0, "end": 9, "id": 0}], "end <= 5"),
    ([{"text": "xx", "start": 0, "end": 2, "id": 0}], "the text at 0-2 is 'ab'"),
    ([{"text": "ab", "start": 0, "end": 2, "id": 0}, {"text": "b", "start": 1, "end": 2,
                                                      "id": 1}], "after the previous token"),
    ([["ab", 0, 2]], "must be an object"),
])
def test_bad_tokens_say_what_is_wrong(tokens, message):
    with pytest.raises(SpanError, match=message):
        check_tokens("ab cd", tokens)


@pytest.mark.parametrize("span, message", [
    ({"start": 1, "end": 4, "label": "ORG"}, "its start is inside a token"),
    ({"start": 0, "end": 3, "label": "ORG"}, "its end is inside a token"),
    ({"start": 0, "end": 4}, "has no label"),
    ({"start": 0, "end": 99, "label": "ORG"}, "0 <= start < end <= 19"),
    ({"start": 0, "end": 4, "label": "ORG", "token_end": 1}, "token_end=1 .* give 0"),
    ("0-4", "must be an object"),
])
def test_bad_spans_say_what_is_wrong(nlp, span, message):
    task = {"text": "Acme Corp hired Zoë", "spans": [span]}
    with pytest.raises(SpanError, match=message):
        tokenize(nlp, task)


def test_overlapping_spans_are_refused_unless_allowed(nlp):
    task = tokenize(nlp, {"text": "Acme Corp hired Zoë"})
    task["spans"] = [{"start": 0, "end": 9, "label": "ORG"}, {"start": 5, "end": 9, "label": "X"}]
    with pytest.raises(SpanError, match="overlap"):
        normalize_spans(task)
    assert len(normalize_spans(task, allow_overlap=True)) == 2


def test_unknown_language_is_a_clear_error():
    with pytest.raises(AltoolError, match="--lang 'klingon'"):
        blank_nlp("klingon")


def test_db_in_checks_tokens_and_that_spans_sit_on_them(nlp, tmp_path):
    from altool.errors import InputError
    from altool.store.ingest import read_annotated

    good = tokenize(nlp, {"text": "Acme Corp hired Zoë",
                          "spans": [{"start": 16, "end": 19, "label": "PER"}]})
    off = {**good, "spans": [{"start": 17, "end": 19, "label": "PER"}]}
    bad_tokens = {**good, "tokens": good["tokens"][1:]}
    for bad, message in ((off, "its start is inside a token"), (bad_tokens, "token ids")):
        path = tmp_path / "in.jsonl"
        path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
        with pytest.raises(InputError, match=message) as err:
            list(read_annotated(str(path)))
        assert str(err.value).startswith(f"{path}:2: ")
