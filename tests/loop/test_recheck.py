"""--recheck: earlier answers asked again, blind, stored as checks (never as votes)."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from altool.errors import AltoolError
from altool.loop.session import Session
from altool.loop.streams import IterableStream
from altool.recipes.components import check_components
from altool.store import Store
from altool.store.checks import RECHECK_MIN_AGE, check_recheck, iter_checks, pick_recheck
from altool.store.progress import dataset_progress, kappa_interval
from altool.store.review import find_conflicts

OPTIONS = [{"id": "A", "text": "A"}, {"id": "B", "text": "B"}]


def tasks(n: int, start: int = 0) -> list[dict]:
    return [{"text": f"text {i}", "options": OPTIONS} for i in range(start, start + n)]


def session(store: Store, items, **kwargs) -> Session:
    s = Session(store, "ds", IterableStream(items), view="choice", labels=["A", "B"],
                **kwargs)
    s.advance()
    return s


def label_all(s: Session, answer_of=lambda text: "A") -> list[str]:
    """Answer until the stream ends; return the texts asked, in order."""
    asked = []
    while s.current is not None:
        text = s.current.task["text"]
        asked.append(text)
        s.answer("accept", [answer_of(text)])
    return asked


def test_rechecks_are_asked_blind_and_stored_as_checks(store):
    updates = []
    first = session(store, tasks(40), batch_size=1, update=updates.extend)
    label_all(first)
    second = session(store, tasks(200, start=40), recheck=0.5, seed=3, batch_size=1,
                     update=updates.extend)
    asked = label_all(second, answer_of=lambda text: "B")
    seen = {f"text {i}" for i in range(40)}
    repeats = []
    for text in asked:
        if text in seen:
            repeats.append(text)
        seen.add(text)
    assert 60 <= len(repeats) <= 140 and second.checks == len(repeats)
    assert len(set(repeats)) == len(repeats)  # no answer is rechecked twice
    assert store.count_answers("ds") == 240  # checks are not answers
    assert len(updates) == 240  # nor does the model see them
    assert second.count == 200  # answers; the rechecks are counted apart
    assert second.status()["session"] == 200 + len(repeats)  # the screen: questions
    pairs = list(iter_checks(store, "ds"))
    assert len(pairs) == len(repeats)
    for answer, check in pairs:
        assert answer["text"] == check["text"] and check["accept"] == ["B"]
        assert answer["accept"] == ["A" if int(answer["text"][5:]) < 40 else "B"]
        assert check["_session_id"] == second.session_id
        assert check["meta"]["pick"] == "recheck"
        assert (answer.get("meta") or {}).get("pick") != "recheck"
        assert "_seconds" in check


def test_only_answers_old_enough_and_of_the_same_view_and_annotator(store):
    import random

    Session(store, "ds", IterableStream([]))  # nothing answered: nothing to recheck
    assert pick_recheck(store, store.dataset_id("ds"), "choice", random.Random(0)) is None
    s = session(store, tasks(RECHECK_MIN_AGE), annotator="alex")
    label_all(s)
    ds = store.dataset_id("ds")
    assert pick_recheck(store, ds, "choice", random.Random(0)) is None  # all too recent
    s = session(store, tasks(1, start=100))
    label_all(s)
    answer_id, task = pick_recheck(store, ds, "choice", random.Random(0))
    assert task["text"] == "text 0" and "accept" not in task and "answer" not in task
    assert pick_recheck(store, ds, "binary", random.Random(0)) is None  # choice answers only
    assert pick_recheck(store, ds, "choice", random.Random(0), "ds-sam") is None
    # the age counts alex's own answers: another's answer makes none of alex's old enough
    assert pick_recheck(store, ds, "choice", random.Random(0), "ds-alex") is None
    label_all(session(store, tasks(1, start=200), annotator="alex"))
    _, task = pick_recheck(store, ds, "choice", random.Random(0), "ds-alex")
    assert task["text"] == "text 0"
    assert pick_recheck(store, ds, "ner", random.Random(0)) is None


@pytest.mark.parametrize("age_slice", [3, 500])
def test_a_recheck_is_drawn_evenly_and_found_among_many_others(store, monkeypatch, age_slice):
    import random
    from collections import Counter

    from altool.store import checks

    monkeypatch.setattr(checks, "RECHECK_AGE_SLICE", age_slice)  # 3: the age spans slices

    label_all(session(store, tasks(RECHECK_MIN_AGE + 10), annotator="alex"))
    ds = store.dataset_id("ds")
    rng = random.Random(0)
    drawn = Counter(pick_recheck(store, ds, "choice", rng, "ds-alex")[1]["text"]
                    for _ in range(2000))
    # the 10 answers old enough, each about a tenth of the time
    assert set(drawn) == {f"text {i}" for i in range(10)}
    assert min(drawn.values()) > 150 and max(drawn.values()) < 250


@pytest.mark.parametrize("draws,age_slice", [(0, 500), (64, 500), (64, 7)])
def test_a_recheck_is_found_among_many_answers_of_someone_else(store, monkeypatch, draws,
                                                                age_slice):
    import random

    from altool.store import checks

    monkeypatch.setattr(checks, "RECHECK_DRAWS", draws)  # 0: straight to the full list
    monkeypatch.setattr(checks, "RECHECK_AGE_SLICE", age_slice)
    label_all(session(store, tasks(500, start=1000), annotator="sam"))
    label_all(session(store, tasks(RECHECK_MIN_AGE + 1), annotator="alex"))
    ds = store.dataset_id("ds")
    for seed in range(5):
        _, task = pick_recheck(store, ds, "choice", random.Random(seed), "ds-alex")
        assert task["text"] == "text 0"  # alex's only answer old enough, among 500 of sam's


def test_undo_takes_a_check_back_and_asks_it_again(store):
    label_all(session(store, tasks(30)))
    s = session(store, tasks(50, start=30), recheck=0.5, seed=1)
    while True:
        text = s.current.task["text"]
        s.answer("accept", ["B"])
        if int(text.split()[1]) < 30:
            break  # a recheck was just answered
    assert len(list(iter_checks(store, "ds"))) == 1
    assert s.undo() and s.current.task["text"] == text
    assert list(iter_checks(store, "ds")) == [] and s.checks == 0
    s.answer("accept", ["A"])
    [(_, check)] = iter_checks(store, "ds")
    assert check["accept"] == ["A"]


def test_self_agreement_kappa_matches_scikit_learn_and_differences_are_listed(store):
    label_all(session(store, tasks(60)), answer_of=lambda t: "A" if int(t[5:]) % 3 else "B")
    s = session(store, tasks(300, start=60), recheck=0.5, seed=7)
    # the repeat differs on every 4th text it rechecks
    label_all(s, answer_of=lambda t: ("A" if int(t[5:]) % 3 else "B")
                      if int(t[5:]) % 4 or int(t[5:]) >= 60 else "B")
    p = dataset_progress(store, "ds").self_agreement
    first = [a for a, _ in p.pairs]
    again = [b for _, b in p.pairs]
    assert len(p.pairs) == s.checks > 10
    assert p.kappa == pytest.approx(cohen_kappa_score(first, again))
    lo, hi = p.interval
    assert lo <= p.kappa <= hi < 1.0
    rechecked = [int(check["text"][5:]) for _, check in iter_checks(store, "ds")]
    expected = {f"text {i}" for i in rechecked if i < 60 and i % 4 == 0 and i % 3}
    assert expected and {d["text"] for d in p.differ} == expected
    assert all(d["first"] == "accept: A" and d["again"] == "accept: B" for d in p.differ)
    tasks_ = find_conflicts(store, ["ds"], checks=True)
    assert {t["text"] for t in tasks_} == {d["text"] for d in p.differ}
    assert find_conflicts(store, ["ds"]) == []  # without --checks they are not votes


def test_kappa_interval_needs_enough_checks():
    assert kappa_interval([("a", "a")] * 9) is None
    assert kappa_interval([("a", "a")] * 20) == (1.0, 1.0)


def test_dropping_a_session_or_the_dataset_drops_its_checks(store):
    label_all(session(store, tasks(30)))
    s = session(store, tasks(40, start=30), recheck=0.5, seed=2)
    label_all(s)
    assert list(iter_checks(store, "ds"))
    store.drop_session("ds", s.session_id)
    assert list(iter_checks(store, "ds")) == []
    n = store.conn.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    assert n == 0
    s = session(store, tasks(40, start=30), recheck=0.5, seed=2)
    label_all(s)
    store.drop_dataset("ds")
    assert store.conn.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 0


@pytest.mark.parametrize("share, view, message", [
    (0.6, "choice", "between 0 and 0.5"), (-0.1, "choice", "between 0 and 0.5"),
    ("0.1", "choice", "between 0 and 0.5"), (0.1, "ner_manual", "binary, choice, ner views"),
])
def test_bad_recheck_settings_are_refused(share, view, message):
    with pytest.raises(AltoolError, match=message):
        check_recheck(share, view)
    with pytest.raises(AltoolError, match=message):
        check_components({"dataset": "d", "stream": [], "view": view,
                          "config": {"recheck": share}})
    assert check_recheck(0.0, "ner_manual") == 0.0


def test_binary_ner_answers_are_rechecked_as_their_suggestion(store):
    def ner_tasks(n: int, start: int = 0) -> list[dict]:
        return [{"text": f"Acme {i} sells", "spans": [{"start": 0, "end": 4, "label": "ORG"}]}
                for i in range(start, start + n)]

    first = Session(store, "ner", IterableStream(ner_tasks(30)), view="ner", labels=["ORG"])
    first.advance()
    while first.current is not None:
        first.answer("accept")
    s = Session(store, "ner", IterableStream(ner_tasks(40, start=30)), view="ner",
                labels=["ORG"], recheck=0.5, seed=4)
    s.advance()
    while s.current is not None:
        s.answer("reject" if int(s.current.task["text"].split()[1]) < 30 else "accept")
    p = dataset_progress(store, "ner").self_agreement
    assert s.checks > 5 and len(p.differ) == sum(
        int(d["text"].split()[1]) < 30 for d in p.differ) > 0
    assert {(d["first"], d["again"]) for d in p.differ} == {("accept ORG", "reject ORG")}
    # a manual NER dataset's answers are not one key press: never rechecked
    import random
    assert pick_recheck(store, store.dataset_id("ner"), "ner_manual", random.Random(0)) is None


def test_a_recheck_of_an_answer_taken_back_meanwhile_is_not_stored(store):
    """The answer a recheck repeats may be undone by its session (its id then reused): the
    check is dropped, never paired with another answer; nor does a second check count."""
    label_all(session(store, tasks(30)))
    s = session(store, tasks(50, start=30), recheck=0.5, seed=1)
    while s._check_of is None:
        s.answer("accept", ["A"])
    store.remove_answer(s._check_of)  # another session's undo
    store.add_answer("ds", {"text": "new", "options": OPTIONS, "accept": ["B"],
                            "answer": "accept"})
    s.answer("accept", ["B"])
    assert list(iter_checks(store, "ds")) == []
    assert s.undo()  # the unstored check comes back, nothing to delete
    assert s._check_of is not None


def test_ignored_rechecks_are_neither_agreement_nor_a_difference(store):
    label_all(session(store, tasks(30)))
    s = session(store, tasks(60, start=30), recheck=0.5, seed=5)
    while s.current is not None:
        if s._check_of is not None:
            s.answer("ignore")
        else:
            s.answer("accept", ["A"])
    p = dataset_progress(store, "ds").self_agreement
    assert p.ignored == s.checks > 0 and p.pairs == [] and p.differ == []


def test_binary_self_agreement_is_on_the_answer_not_the_label():
    from altool.store.progress import SelfAgreement

    p = SelfAgreement()
    for i in range(40):  # several labels, the repeat a coin flip: no agreement beyond chance
        label = f"L{i % 5}"
        p.add({"label": label, "answer": "accept"},
              {"label": label, "answer": "accept" if i % 2 else "reject"})
    assert p.kappa == pytest.approx(0.0)
    assert p.differ[0]["first"] == "accept L0" and p.differ[0]["again"] == "reject L0"


def test_textcat_manual_takes_recheck(home, tmp_path):
    import json

    from altool.recipes.manual import textcat_manual
    from altool.recipes.runner import session_from_components
    from altool.store.context import open_store

    source = tmp_path / "s.jsonl"
    source.write_text("".join(json.dumps({"text": f"t{i}"}) + "\n" for i in range(60)))
    components = textcat_manual("ds", str(source), "A,B", recheck=0.5)
    assert components["config"]["recheck"] == 0.5
    with open_store() as store:
        s = session_from_components(components, store, "textcat.manual")
        s.advance()
        while s.current is not None:
            s.answer("accept", ["A"])
        assert s.checks > 0 and s.count == 60
