"""Loading --patterns files and matching them on tokenized tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from altool.errors import AltoolError, InputError
from altool.io.spans import blank_nlp, tokenize
from altool.models.patterns import PatternMatcher, non_overlapping, read_patterns


@pytest.fixture(scope="module")
def nlp():
    return blank_nlp("en")


def write(tmp_path: Path, *lines: object) -> str:
    path = tmp_path / "patterns.jsonl"
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
                    encoding="utf-8")
    return str(path)


GOOD = [
    {"label": "ORG", "pattern": [{"lower": "acme"}, {"lower": "corp", "OP": "?"}]},
    {"label": "GPE", "pattern": "New York", "id": "ny"},
    {"label": "PER", "pattern": [{"TEXT": {"REGEX": "^Zo"}}]},
]


def test_token_and_phrase_patterns_match_as_spans_with_their_pattern(nlp, tmp_path):
    path = write(tmp_path, *GOOD[:2], "", GOOD[2])  # blank lines are fine
    matcher = PatternMatcher.from_file(nlp, path)
    assert matcher.labels == ["GPE", "ORG", "PER"]
    task = tokenize(nlp, {"text": "Zoë left ACME Corp for New York, not new york."})
    found = [(task["text"][m.span["start"]:m.span["end"]], m.span["label"], m.pattern.id)
             for m in matcher.matches(task)]
    assert found == [("Zoë", "PER", f"{path}:4"), ("ACME", "ORG", f"{path}:1"),
                     ("ACME Corp", "ORG", f"{path}:1"), ("New York", "GPE", "ny")]
    assert matcher.matches(task)[2].span == {"start": 9, "end": 18, "token_start": 2,
                                             "token_end": 3, "label": "ORG"}
    assert matcher.matches(task)[2].pattern.line == 1


def test_non_overlapping_keeps_the_longest_match(nlp, tmp_path):
    matcher = PatternMatcher.from_file(nlp, write(tmp_path, *GOOD))
    task = tokenize(nlp, {"text": "ACME Corp and acme"})
    assert [(s["start"], s["end"]) for s in non_overlapping(matcher.matches(task))] == \
        [(0, 9), (14, 18)]


def test_matches_use_the_tasks_own_tokens(nlp, tmp_path):
    matcher = PatternMatcher.from_file(nlp, write(tmp_path, {"label": "X", "pattern": "b c"}))
    text = "a  b c\n\nb c"
    task = tokenize(nlp, {"text": text})
    spans = [m.span for m in matcher.matches(task)]
    assert [text[s["start"]:s["end"]] for s in spans] == ["b c", "b c"]
    assert spans[1]["start"] == 8


@pytest.mark.parametrize("line, message", [
    ('{"label": "ORG", "pattern": [', "invalid JSON"),
    ({"pattern": [{"lower": "acme"}]}, 'missing "label"'),
    ({"label": "", "pattern": "x"}, 'missing "label"'),
    ({"label": "ORG"}, '"pattern" must be a non-empty list .* \\(missing\\)'),
    ({"label": "ORG", "pattern": []}, '"pattern" must be a non-empty list'),
    ({"label": "ORG", "pattern": 3}, "got int"),
    ({"label": "ORG", "pattern": " "}, "empty string"),
    ('["ORG", "acme"]', "expected a JSON object"),
])
def test_bad_lines_are_reported_with_file_and_line(tmp_path, line, message):
    path = write(tmp_path, GOOD[0], line)
    with pytest.raises(InputError, match=message) as err:
        read_patterns(path)
    assert str(err.value).startswith(f"{path}:2: ")


@pytest.mark.parametrize("pattern, message", [
    ([{"lowr": "acme"}], "lowr.*Extra inputs are not permitted"),
    ([{"lower": 1}], "valid string"),
    ([{"lower": "a", "OP": "!!"}], "OP"),
    (["acme"], "valid dictionary"),
    ([{"TEXT": {"REGEX": "("}}], "unterminated subpattern"),
])
def test_invalid_token_patterns_get_spacys_reason_and_the_line(nlp, tmp_path, pattern, message):
    path = write(tmp_path, GOOD[0], GOOD[1], {"label": "ORG", "pattern": pattern})
    with pytest.raises(InputError, match=message) as err:
        PatternMatcher.from_file(nlp, path)
    text = str(err.value)
    assert text.startswith(f"{path}:3: invalid token pattern: ")
    assert "\n" not in text and "altool-pattern" not in text


def test_missing_or_empty_file_is_a_clear_error(tmp_path):
    with pytest.raises(AltoolError, match="no such file"):
        read_patterns(str(tmp_path / "nope.jsonl"))
    with pytest.raises(AltoolError, match="no patterns found"):
        read_patterns(write(tmp_path, ""))
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b'{"label": "ORG", "pattern": "caf\xe9"}\n')
    with pytest.raises(InputError, match="latin1.jsonl:1: not valid UTF-8"):
        read_patterns(str(bad))


def test_ner_manual_stream_prehighlights_matches_of_its_labels_only(nlp, tmp_path):
    from altool.recipes.ner_manual import manual_tasks

    matcher = PatternMatcher.from_file(nlp, write(tmp_path, *GOOD))
    examples = [
        {"text": "ACME Corp opened in New York.", "_task_hash": 1, "_input_hash": 7},
        {"text": "Acme again", "spans": [{"start": 6, "end": 10, "label": "X"}]},  # kept
        {"text": "Zoë", "tokens": [{"text": "nope", "start": 0, "end": 3, "id": 0}]},
    ]
    first, second, third = manual_tasks(examples, nlp, ["ORG", "PER"], matcher)
    assert [(first["text"][s["start"]:s["end"]], s["label"]) for s in first["spans"]] == \
        [("ACME Corp", "ORG")]  # GPE is not a --label; the longest ORG match wins
    assert first["_task_hash"] != 1 and first["_input_hash"] == 7
    assert second["spans"] == [{"start": 6, "end": 10, "label": "X"}]
    assert third["tokens"] == [{"text": "Zoë", "start": 0, "end": 3, "id": 0}]  # made afresh
    assert [(s["label"], s["start"]) for s in third["spans"]] == [("PER", 0)]
