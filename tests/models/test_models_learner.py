"""Targets from answers, the sklearn model, and the learner's choice of questions."""

from __future__ import annotations

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.io.hashing import hash_text, set_hashes
from altool.loop.learner import Learner, Pick, candidate_hash, make_task, options_for
from altool.models import SklearnModel, load_model, make_model, targets_from_answers
from altool.strategies import STRATEGIES

LABELS = ["A", "B", "C"]
NAN = np.nan


def ans(text: str, answer: str, **extra) -> dict:
    return {"text": text, "answer": answer, "_input_hash": hash_text(text), **extra}


def row_of(answers, text, labels=LABELS, exclusive=False):
    hashes, texts, Y = targets_from_answers(answers, labels, exclusive)
    return Y[hashes.index(hash_text(text))]


# -- targets_from_answers ----------------------------------------------------------------------
def test_binary_accept_and_reject():
    answers = [ans("t1", "accept", label="A"), ans("t2", "reject", label="B")]
    hashes, texts, Y = targets_from_answers(answers, LABELS, exclusive=False)
    assert hashes == [hash_text("t1"), hash_text("t2")]
    assert texts == ["t1", "t2"]
    np.testing.assert_array_equal(Y, [[1, NAN, NAN], [NAN, 0, NAN]])


def test_exclusive_accept_is_evidence_against_the_other_labels():
    row = row_of([ans("t", "accept", label="B")], "t", exclusive=True)
    np.testing.assert_array_equal(row, [0, 1, 0])


def test_exclusive_reject_says_nothing_about_other_labels():
    row = row_of([ans("t", "reject", label="B")], "t", exclusive=True)
    np.testing.assert_array_equal(row, [NAN, 0, NAN])


def test_non_exclusive_accept_leaves_other_labels_unknown():
    row = row_of([ans("t", "accept", label="B")], "t", exclusive=False)
    np.testing.assert_array_equal(row, [NAN, 1, NAN])


def test_choice_accept_list():
    eg = ans("t", "accept", options=options_for(LABELS), accept=["A", "C"])
    np.testing.assert_array_equal(row_of([eg], "t"), [1, 0, 1])


def test_choice_reject_is_negative_for_every_option():
    eg = ans("t", "reject", options=options_for(LABELS), accept=[])
    np.testing.assert_array_equal(row_of([eg], "t"), [0, 0, 0])


def test_choice_only_the_offered_options_get_evidence():
    eg = ans("t", "accept", options=options_for(["A", "B"]), accept=["A"])
    np.testing.assert_array_equal(row_of([eg], "t"), [1, 0, NAN])


def test_ignore_carries_nothing():
    hashes, texts, Y = targets_from_answers(
        [ans("t", "ignore", label="A"),
         ans("u", "ignore", options=options_for(LABELS), accept=["A"])],
        LABELS, exclusive=True,
    )
    assert hashes == [] and texts == []
    assert Y.shape == (0, 3)


def test_unknown_labels_and_missing_text_carry_nothing():
    answers = [ans("t", "accept", label="Z"), {"answer": "accept", "label": "A",
                                               "_input_hash": 1}]
    hashes, _, Y = targets_from_answers(answers, LABELS, exclusive=False)
    assert len(hashes) <= 1
    assert np.isnan(Y).all()


def test_later_answer_wins():
    answers = [ans("t", "accept", label="A"), ans("t", "reject", label="A")]
    np.testing.assert_array_equal(row_of(answers, "t"), [0, NAN, NAN])
    answers = [ans("t", "reject", label="A"), ans("t", "accept", label="A")]
    np.testing.assert_array_equal(row_of(answers, "t"), [1, NAN, NAN])
    answers = [ans("t", "accept", label="A"), ans("t", "accept", label="B")]
    np.testing.assert_array_equal(row_of(answers, "t", exclusive=True), [0, 1, 0])


def test_answers_on_the_same_input_merge_into_one_row():
    answers = [ans("t", "accept", label="A"), ans("t", "reject", label="C"),
               ans("u", "reject", label="A")]
    hashes, _, Y = targets_from_answers(answers, LABELS, exclusive=False)
    assert len(hashes) == 2
    np.testing.assert_array_equal(Y[0], [1, NAN, 0])


# -- SklearnModel ------------------------------------------------------------------------------
SPAM = [
    "WIN a FREE prize now, call 0800 to claim your cash reward",
    "Congratulations you won a free holiday, text CLAIM to 80088",
    "URGENT: your mobile has won 2000 pounds cash, call now",
    "Free entry to win a brand new phone, reply WIN now",
    "You have been selected for a cash prize, claim your free reward",
    "Claim your free ringtone now, text WIN to 80808",
]
HAM = [
    "are we still meeting for lunch tomorrow at noon",
    "I will be home late tonight, can you feed the cat",
    "thanks for dinner yesterday, it was lovely to see you",
    "can you pick up some milk on your way home",
    "see you at the station around six then",
    "did you finish the report for the meeting",
]


def spam_answers(exclusive: bool = True) -> list[dict]:
    out = []
    for text in SPAM:
        out.append(ans(text, "accept", label="spam"))
    for text in HAM:
        out.append(ans(text, "accept" if exclusive else "reject",
                       label="ham" if exclusive else "spam"))
    return out


def fit_model(labels, answers, exclusive=True) -> SklearnModel:
    model = SklearnModel(labels, exclusive=exclusive, n_features=2**16)
    hashes, texts, Y = targets_from_answers(answers, labels, model.exclusive)
    model.fit(model.featurize(texts), Y)
    return model


def test_model_is_not_ready_before_fit_and_uses_priors():
    model = SklearnModel(["spam", "ham"], n_features=2**12)
    assert not model.ready and model.version == 0
    P = model.predict_proba(model.featurize(["anything"]))
    np.testing.assert_allclose(P, [[0.5, 0.5]])


def test_model_learns_a_separable_problem():
    model = fit_model(["spam", "ham"], spam_answers())
    assert model.ready and model.version == 1
    tests = ["call now to claim your free cash prize", "shall we meet for dinner tonight"]
    P = model.predict_proba(model.featurize(tests))
    assert P.shape == (2, 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert P[0, 0] > 0.5 > P[1, 0]
    assert P[1, 1] > 0.5


def test_binary_single_label_model():
    model = fit_model(["spam"], spam_answers(exclusive=False), exclusive=True)
    assert not model.exclusive  # one label: nothing to normalise against
    P = model.predict_proba(model.featurize(["WIN free cash now", "lunch tomorrow?"]))
    assert P.shape == (2, 1)
    assert P[0, 0] > 0.5 > P[1, 0]


def test_label_without_both_classes_uses_prior():
    labels = ["spam", "ham", "other"]
    model = fit_model(labels, spam_answers())
    P = model.predict_proba(model.featurize(["hello"]))
    assert P.shape == (1, 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert model._binary[2] is None


def test_fit_with_no_evidence_is_a_no_op():
    model = SklearnModel(["a", "b"], n_features=2**12)
    model.fit(model.featurize(["x"]), np.array([[NAN, NAN]]))
    assert not model.ready and model.version == 0


def test_model_needs_labels():
    with pytest.raises(AltoolError):
        SklearnModel([])


def test_save_and_load(tmp_path):
    model = fit_model(["spam", "ham"], spam_answers())
    path = tmp_path / "models" / "m.joblib"
    model.save(path)
    loaded = load_model(path)
    X = model.featurize(["free prize"])
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert make_model(str(path), ["spam", "ham"]).labels == ["spam", "ham"]
    with pytest.raises(AltoolError, match="labels"):
        make_model(str(path), ["x", "y"])


def test_exclusive_model_averages_logistic_regression_and_naive_bayes():
    from altool.models import NB_WEIGHT, predict_per_label

    texts = SPAM + HAM
    blend = fit_model(["spam", "ham"], spam_answers())
    alone = SklearnModel(["spam", "ham"], n_features=2**16, nb_weight=0.0)
    hashes, _, Y = targets_from_answers(spam_answers(), ["spam", "ham"], True)
    alone.fit(alone.featurize(texts), Y)
    X = blend.featurize(["free prize, call now", "lunch at noon?"])
    P_lr = alone.predict_proba(X)
    np.testing.assert_allclose(  # the logistic half is exactly sklearn-lr's model
        predict_per_label(blend._predict_space(X), blend._binary, blend._priors, True), P_lr)
    P_nb = blend._nb.predict_proba(blend._predict_space(X))
    np.testing.assert_allclose(blend.predict_proba(X),
                               (1 - NB_WEIGHT) * P_lr + NB_WEIGHT * P_nb)
    np.testing.assert_allclose(blend.predict_proba(X).sum(axis=1), 1.0)
    assert blend.predict_proba(X).argmax(axis=1).tolist() == [0, 1]


def test_naive_bayes_needs_two_known_classes_and_exclusive_labels():
    one_class = fit_model(["spam", "ham"], [ans(t, "accept", label="spam") for t in SPAM]
                          + [ans(t, "reject", label="spam") for t in HAM])
    assert one_class.ready and one_class._nb is None  # rejects say no class: LR alone
    multi = fit_model(["spam", "ham"], spam_answers(exclusive=False), exclusive=False)
    assert multi.ready and multi._nb is None
    assert make_model("sklearn-lr", ["a", "b"]).nb_weight == 0.0
    assert make_model("sklearn", ["a", "b"]).nb_weight > 0


def test_model_saved_before_the_blend_still_predicts(tmp_path):
    model = fit_model(["spam", "ham"], spam_answers())
    del model._nb, model.nb_weight  # as pickled by an altool without the blend
    path = tmp_path / "old.joblib"
    model.save(path)
    loaded = load_model(path)
    X = loaded.featurize(["free prize", "lunch at noon"])
    from altool.models import predict_per_label

    lr_alone = predict_per_label(model._predict_space(X), model._binary, model._priors, True)
    np.testing.assert_allclose(loaded.predict_proba(X), lr_alone)
    loaded.fit(X, np.array([[1.0, 0.0], [0.0, 1.0]]))  # refitted in a new session: blends
    assert loaded._nb is not None and loaded.predict_proba(X).argmax(axis=1).tolist() == [0, 1]


def test_load_model_of_garbage(tmp_path):
    path = tmp_path / "bad.joblib"
    path.write_text("not a model")
    with pytest.raises(AltoolError, match="can't load"):
        load_model(path)


def test_make_model_unknown_name():
    with pytest.raises(AltoolError, match="sklearn"):
        make_model("no-such-model", ["a"])


# -- Learner -----------------------------------------------------------------------------------
POOL = SPAM + HAM + [
    "free cash for lunch", "call me when you are home", "win a meeting", "reply now please",
]


def pool_features(model):
    return model.featurize(POOL), [hash_text(t) for t in POOL]


@pytest.mark.parametrize("view", ["binary", "choice"])
def test_make_task_hash_equals_candidate_hash(view):
    labels = ["spam", "ham"]
    eg = {"text": "hello", "_input_hash": hash_text("hello"), "label": "gold",
          "meta": {"source": "x"}}
    for label in (0, 1):
        pick = Pick(0, label if view == "binary" else None, np.array([0.3, 0.7]), 0.3)
        task = make_task(eg, labels, view, pick)
        assert task["_task_hash"] == candidate_hash(eg["_input_hash"], labels, view, pick.label)
        # ... and equals the hash anyone would compute for that task from scratch
        fresh = set_hashes({k: v for k, v in task.items() if not k.startswith("_")},
                           overwrite=True)
        assert fresh["_task_hash"] == task["_task_hash"]
        assert task["meta"] == {"source": "x", "score": 0.3}
        if view == "binary":
            assert task["label"] == labels[label]
        else:
            assert "label" not in task and task["options"] == options_for(labels)
    assert eg == {"text": "hello", "_input_hash": hash_text("hello"), "label": "gold",
                  "meta": {"source": "x"}}  # not modified


def test_binary_candidate_hashes_differ_per_label():
    h = hash_text("x")
    assert candidate_hash(h, ["a", "b"], "binary", 0) != candidate_hash(h, ["a", "b"], "binary", 1)


def test_learner_rejects_unknown_view():
    with pytest.raises(ValueError):
        Learner(SklearnModel(["a"]), STRATEGIES["margin"], view="grid")


@pytest.mark.parametrize("view", ["binary", "choice"])
def test_cold_start_before_the_model_is_ready(view):
    model = SklearnModel(["spam", "ham"], n_features=2**14)
    learner = Learner(model, STRATEGIES["margin"], view=view, seed=0)
    X, hashes = pool_features(model)
    picks = learner.choose(X, hashes, 5)
    assert len(picks) == 5
    assert all(p.probs is None and p.score is None for p in picks)
    assert len({p.row for p in picks}) == 5
    if view == "binary":
        assert {p.label for p in picks} == {0, 1}  # cold start cycles through the labels
    else:
        assert all(p.label is None for p in picks)


@pytest.mark.parametrize("view", ["binary", "choice"])
@pytest.mark.parametrize("ready", [False, True])
def test_choose_never_returns_a_skipped_candidate(view, ready):
    labels = ["spam", "ham"]
    model = fit_model(labels, spam_answers()) if ready else SklearnModel(labels, n_features=2**16)
    learner = Learner(model, STRATEGIES["diverse"], view=view, seed=1)
    X, hashes = pool_features(model)
    all_candidates = [
        candidate_hash(h, labels, view, j)
        for h in hashes for j in ((0, 1) if view == "binary" else (None,))
    ]
    skip = set(all_candidates[::2]) | set(all_candidates[:7])
    for _ in range(3):
        picks = learner.choose(X, hashes, len(all_candidates), skip)
        chosen = {candidate_hash(hashes[p.row], labels, view, p.label) for p in picks}
        assert chosen and not (chosen & skip)
        assert len(chosen) == len(picks)  # no candidate twice


def test_choose_with_everything_skipped_returns_nothing():
    labels = ["spam"]
    model = SklearnModel(labels, n_features=2**12)
    learner = Learner(model, STRATEGIES["margin"], view="binary", seed=0)
    X, hashes = pool_features(model)
    skip = {candidate_hash(h, labels, "binary", 0) for h in hashes}
    assert learner.choose(X, hashes, 5, skip) == []
    assert learner.choose(X, hashes, 0) == []


def test_learner_fit_then_choose_uses_the_model():
    labels = ["spam", "ham"]
    model = SklearnModel(labels, n_features=2**16)
    learner = Learner(model, STRATEGIES["margin"], view="choice", seed=0)
    assert learner.fit(spam_answers()) == len(SPAM) + len(HAM)
    assert model.ready and model.version == 1
    X, hashes = pool_features(model)
    picks = learner.choose(X, hashes, 4)
    assert len(picks) == 4
    for p in picks:
        assert p.probs is not None and p.probs.shape == (2,)
        assert p.score == pytest.approx(p.probs.max())
        assert p.guess in (0, 1)
    assert learner.fit([]) == 0


def test_learner_binary_scores_are_label_probabilities():
    labels = ["spam", "ham"]
    model = fit_model(labels, spam_answers())
    learner = Learner(model, STRATEGIES["margin"], view="binary", seed=0)
    X, hashes = pool_features(model)
    P = model.predict_proba(X)
    for p in learner.choose(X, hashes, 6):
        assert p.score == pytest.approx(P[p.row, p.label])


FOUR = ["spam", "ham", "news", "chat"]


def spam_only_learner(strategy: str = "margin", exclusive: bool = True) -> Learner:
    """Four labels, but only "spam" has answers: "ham", "news" and "chat" are flat priors."""
    answers = [ans(t, "accept", label="spam") for t in SPAM]
    answers += [ans(t, "reject", label="spam") for t in HAM]
    model = SklearnModel(FOUR, exclusive=exclusive, n_features=2**16)
    learner = Learner(model, STRATEGIES[strategy], view="binary", seed=0)
    learner.fit(answers)
    return learner


@pytest.mark.parametrize("strategy", ["margin", "diverse", "entropy"])
def test_binary_exclusive_labels_each_get_a_share_of_the_batch(strategy):
    # one ranking over all (row, label) questions asked only about "spam" (the one label whose
    # p is near 0.5) and stalled; each label's questions are now ranked on their own
    learner = spam_only_learner(strategy)
    X, hashes = pool_features(learner.model)
    picks = learner.choose(X, hashes, 8)
    assert sorted(p.label for p in picks) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert len({p.row for p in picks}) == 8  # one question per row: an accept answers them all
    assert [p.label for p in picks[:4]] == [0, 1, 2, 3]  # interleaved, not label by label
    # "spam" has a classifier: the strategy ranks its questions; the other three have only
    # negatives (other labels' accepts), so their shares are a cold start
    assert {p.kind for p in picks if p.label == 0} == {strategy}
    assert {p.kind for p in picks if p.label != 0} == {"cold-start"}
    if strategy == "margin":
        P = learner.model.predict_proba(X)
        distances = [abs(P[p.row, 0] - 0.5) for p in picks if p.label == 0]
        assert distances == sorted(distances)
        assert distances[-1] <= np.sort(np.abs(P[:, 0] - 0.5))[1]  # the two most uncertain


def test_binary_label_with_accepts_and_rejects_is_ranked_by_the_strategy():
    learner = spam_only_learner()
    answers = [ans(t, "accept", label="spam") for t in SPAM]
    answers += [ans(t, "accept", label="ham") for t in HAM[:3]]
    answers += [ans(t, "reject", label="ham") for t in HAM[3:]]
    learner.fit(answers)
    X, hashes = pool_features(learner.model)
    kinds = {p.label: p.kind for p in learner.choose(X, hashes, 4)}
    assert kinds == {0: "margin", 1: "margin", 2: "cold-start", 3: "cold-start"}


def test_binary_label_shares_rank_every_label_of_a_model_that_came_trained():
    fitted = spam_only_learner().model  # e.g. a saved model given to --model
    learner = Learner(fitted, STRATEGIES["margin"], view="binary", seed=0)
    X, hashes = pool_features(fitted)
    assert {p.kind for p in learner.choose(X, hashes, 8)} == {"margin"}


def test_binary_label_shares_rotate_between_batches():
    learner = spam_only_learner()
    X, hashes = pool_features(learner.model)
    firsts = [[p.label for p in learner.choose(X, hashes, 2)] for _ in range(3)]
    assert firsts == [[0, 1], [2, 3], [0, 1]]


def test_binary_label_shares_fill_up_when_rows_run_out():
    learner = spam_only_learner()
    X, hashes = pool_features(learner.model)
    picks = learner.choose(X, hashes, 4 * len(POOL))  # every question: rows must repeat
    assert len({(p.row, p.label) for p in picks}) == 4 * len(POOL)
    first = picks[: len(POOL)]
    assert len({p.row for p in first}) == len(POOL)  # new rows before a second label of a row


@pytest.mark.parametrize("strategy", ["random", "ema"])
def test_binary_random_and_stream_strategies_keep_their_one_order(strategy):
    learner = spam_only_learner(strategy)
    X, hashes = pool_features(learner.model)
    picks = learner.choose(X, hashes, 20)
    # one order over all (row, label) questions: rows come up again in a batch, which the
    # label shares never do while the pool (28 rows) has new rows
    assert len({p.row for p in picks}) < 20


def test_binary_non_exclusive_labels_keep_one_ranking():
    # independent labels are independent questions: one margin ranking over all of them
    learner = spam_only_learner("margin", exclusive=False)
    X, hashes = pool_features(learner.model)
    P = learner.model.predict_proba(X)
    picks = learner.choose(X, hashes, 20)
    distances = [abs(P[p.row, p.label] - 0.5) for p in picks]
    assert distances == sorted(distances)
    assert len({p.row for p in picks}) < 20


def test_keeps_order_marks_random_and_stream_strategies():
    from altool.strategies import spec_of, with_random_share

    marked = {name for name, fn in STRATEGIES.items() if spec_of(fn).keeps_order}
    assert marked == {"random", "ema", "stream"}
    assert spec_of(with_random_share(STRATEGIES["random"], 0.2)).keeps_order
    assert not spec_of(with_random_share(STRATEGIES["margin"], 0.2)).keeps_order


def test_binary_label_shares_keep_the_kinds_a_strategy_records():
    from altool.strategies import with_random_share

    learner = spam_only_learner()
    learner.strategy = with_random_share(STRATEGIES["margin"], 0.5)
    texts = SPAM + HAM  # every label gets an accept and a reject: all four are ranked
    learner.fit([ans(t, "accept" if i % 2 else "reject", label=FOUR[i // 3])
                 for i, t in enumerate(texts)])
    X, hashes = pool_features(learner.model)
    picks = learner.choose(X, hashes, 8)
    kinds = [p.kind for p in picks]
    assert kinds.count("random") == 4 and kinds.count("margin") == 4


@pytest.mark.parametrize("kind", ["float32", "float64", "sparse"])
def test_per_label_probabilities_in_one_product_match_each_classifier(kind):
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    from altool.models import fit_per_label, predict_per_label

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 20)).astype(np.float64 if kind == "float64" else np.float32)
    if kind == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0).astype(np.float32))
    Y = np.eye(3)[rng.integers(0, 3, 300)]
    Y[:, 2] = np.nan  # a label without answers: its prior
    binary, priors = fit_per_label(X, Y, lambda: LogisticRegression(solver="liblinear"))
    binary[1] = DecisionTreeClassifier(max_depth=2).fit(X, Y[:, 1].astype(int))  # not linear
    P = predict_per_label(X, binary, priors, exclusive=False)
    assert np.allclose(P[:, 0], binary[0].predict_proba(X)[:, 1], atol=1e-5)
    assert np.allclose(P[:, 1], binary[1].predict_proba(X)[:, 1])
    assert np.allclose(P[:, 2], priors[2])


def test_a_task_says_why_it_was_asked():
    """meta: what picked it, the session's strategy, and the model (kind, version) that
    scored it; a cold-start pick has no model; the user's meta stays, shown under the text
    while the loop's bookkeeping is not."""
    from altool.loop.session import Session
    from altool.ui.app import ViewState, render_screen

    model = SklearnModel(["spam", "ham"])
    model.fit(model.featurize(["win cash now", "lunch at noon"]),
              np.array([[1.0, 0.0], [0.0, 1.0]]))
    eg = {"text": "hello", "_input_hash": hash_text("hello"), "meta": {"source": "x"}}
    scored = make_task(eg, model.labels, "choice", Pick(0, None, np.array([0.4, 0.6]), 0.2,
                                                        "tcm"), strategy="tcm", model=model)
    assert scored["meta"] == {"source": "x", "score": 0.2, "pick": "tcm",
                              "pick_strategy": "tcm", "pick_model": "sklearn",
                              "pick_model_version": 1}
    cold = make_task(eg, model.labels, "choice", Pick(0, None, None, None, "cold-start"),
                     strategy="tcm", model=model)
    assert cold["meta"] == {"source": "x", "pick": "cold-start", "pick_strategy": "tcm"}

    class DrawOnlyStore:  # just enough store for a session that is only drawn
        def dataset_id(self, name): return None
        def task_hashes(self, names, excluded=()): return set()
        def count_answers(self, name): return 0
        def claim_task(self, *args, **kwargs): return True

    session = Session(DrawOnlyStore(), "ds", [scored], view="choice", labels=model.labels)
    session.advance()
    screen = render_screen(session, ViewState(), 100, 24)
    assert "source: x · pick: tcm" in screen and "pick_model" not in screen


def test_a_sources_old_question_meta_is_not_carried_over():
    """A db-out export loaded as a source holds another session's pick fields: a question
    made from it says only how it was asked now; the user's own meta stays."""
    eg = {"text": "x", "_input_hash": hash_text("x"),
          "meta": {"id": 7, "pick": "tcm", "pick_guess": ["spam"], "pick_model": "embed",
                   "pick_model_version": 99, "score": 0.9}}
    task = make_task(eg, ["spam", "ham"], "choice", Pick(0, None, None, None, "random"),
                     strategy="random")
    assert task["meta"] == {"id": 7, "pick": "random", "pick_strategy": "random"}
