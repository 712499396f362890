"""Prodigy-style input and task hashes."""

from __future__ import annotations

from altool.io.hashing import hash_all, hash_text, input_hash, set_hashes, task_hash

LIMIT = 2**53


def test_hashes_are_stable_across_calls():
    eg = {"text": "hello world", "label": "GREETING"}
    a = set_hashes(dict(eg))
    b = set_hashes(dict(eg))
    assert a["_input_hash"] == b["_input_hash"]
    assert a["_task_hash"] == b["_task_hash"]
    assert input_hash(eg) == input_hash(dict(eg))
    assert task_hash(eg) == task_hash(dict(eg))


def test_known_value_does_not_drift():
    # Pinned so that a change of hash function (which would orphan stored answers) is noticed.
    assert hash_text("hello") == 4668390503306145
    assert task_hash({"text": "hello", "label": "X"}) == 8849566271176165
    assert input_hash({"text": "hello"}) == hash_text("hello")
    assert hash_text("hello") != hash_text("hello ")


def test_same_text_different_labels_share_input_hash_but_not_task_hash():
    a = set_hashes({"text": "buy now", "label": "SPAM"})
    b = set_hashes({"text": "buy now", "label": "HAM"})
    assert a["_input_hash"] == b["_input_hash"]
    assert a["_task_hash"] != b["_task_hash"]
    assert a["_input_hash"] != a["_task_hash"]


def test_different_texts_have_different_input_hashes():
    assert input_hash({"text": "a"}) != input_hash({"text": "b"})


def test_options_and_spans_change_the_task_hash():
    base = {"text": "Berlin is big"}
    h0 = task_hash(base)
    h_opts = task_hash({**base, "options": [{"id": "A", "text": "A"}]})
    h_opts2 = task_hash({**base, "options": [{"id": "B", "text": "B"}]})
    h_span = task_hash({**base, "spans": [{"start": 0, "end": 6, "label": "LOC"}]})
    assert len({h0, h_opts, h_opts2, h_span}) == 4


def test_existing_hashes_are_kept():
    eg = {"text": "hello", "label": "X", "_input_hash": 123, "_task_hash": -456}
    set_hashes(eg)
    assert eg["_input_hash"] == 123
    assert eg["_task_hash"] == -456


def test_only_missing_hash_is_filled():
    eg = {"text": "hello", "label": "X", "_input_hash": 123}
    set_hashes(eg)
    assert eg["_input_hash"] == 123
    assert eg["_task_hash"] == task_hash({"text": "hello", "label": "X"}, 123)


def test_overwrite_recomputes():
    eg = {"text": "hello", "label": "X", "_input_hash": 123, "_task_hash": 456}
    set_hashes(eg, overwrite=True)
    fresh = set_hashes({"text": "hello", "label": "X"})
    assert eg["_input_hash"] == fresh["_input_hash"] != 123
    assert eg["_task_hash"] == fresh["_task_hash"] != 456


def test_set_hashes_works_in_place_and_returns_the_example():
    eg = {"text": "x"}
    assert set_hashes(eg) is eg
    assert isinstance(eg["_input_hash"], int)


def test_hashes_are_non_negative_and_below_2_53():
    texts = ["", "a", "ünïcödé ✓", "x" * 10_000, "\U0001f600 emoji", "tab\tnew\nline"]
    for i, text in enumerate(texts):
        eg = set_hashes({"text": text, "label": f"L{i}", "meta": {"i": i}})
        for key in ("_input_hash", "_task_hash"):
            assert 0 <= eg[key] < LIMIT
            assert float(eg[key]) == eg[key]  # survives a round trip through a double


def test_hash_all_hashes_every_example():
    out = list(hash_all([{"text": "a"}, {"text": "b"}]))
    assert [eg["_input_hash"] for eg in out] == [hash_text("a"), hash_text("b")]
    assert all("_task_hash" in eg for eg in out)


def test_non_text_inputs_are_hashed_by_content():
    a = input_hash({"text": "a", "image": "x.png"})
    b = input_hash({"text": "a", "image": "y.png"})
    assert a != b
    assert 0 <= a < LIMIT
