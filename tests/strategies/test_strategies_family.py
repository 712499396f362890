"""The classic strategies (qbc, egl, bald, coreset, badge, stream), ``--like`` and ``--mix``:
as plain functions with a query context, through the Learner (as teach and simulate use them),
through the teach worker, and through ``altool simulate``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.io.loaders import Record
from altool.loop.audit import RandomAudit
from altool.loop.config import check_support as check_model_support
from altool.loop.learner import Learner, Pick, candidate_hash, make_task
from altool.loop.queue import Question, TaskQueue
from altool.loop.worker import Worker, random_questions
from altool.models import PerLabelLogistic, SklearnModel
from altool.store import Store
from altool.strategies import (
    STRATEGIES,
    QueryContext,
    StrategyOptions,
    badge,
    call_strategy,
    compose,
    coreset,
    expected_gradient_lengths,
    mean_kl,
    mutual_information,
    parse_mix,
    read_like,
    stream,
    vote_entropy,
)
from tests.helpers import teach_config
from tests.loop.test_worker import wait_for

NEW = ("qbc", "egl", "bald", "coreset", "badge", "stream")


class VectorModel(PerLabelLogistic):
    """The per-label logistic regressions on given vectors (texts are not used)."""

    kind = "vectors"


def normalised(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def toy_context(X_pool: np.ndarray, seed: int = 0, k: int = 3,
                options: StrategyOptions | None = None) -> tuple[np.ndarray, QueryContext]:
    """A fitted :class:`VectorModel` on 30 random labelled rows, and the query context of
    ``X_pool`` as the learner builds it for the choice view."""
    rng = np.random.default_rng(seed)
    train_X = normalised(rng.normal(size=(30, X_pool.shape[1])))
    y = np.arange(30) % k
    Y = np.eye(k)[y]
    model = VectorModel([f"L{j}" for j in range(k)])
    model.fit(train_X, Y)
    P = model.predict_proba(X_pool)
    rows = np.arange(len(X_pool))
    context = QueryContext(
        model=model, pool_features=X_pool, cand_rows=rows, to_candidates=lambda Q: Q,
        pool_probs=P, train_X=train_X, train_Y=Y, keys=list(range(len(X_pool))),
        options=options or StrategyOptions(),
    )
    return P, context


def run(name: str, X: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    probs, context = toy_context(X)
    return call_strategy(STRATEGIES[name], probs, n, rng=np.random.default_rng(seed),
                         features=X, context=context)


def random_features(n: int, d: int = 16, seed: int = 1) -> np.ndarray:
    return normalised(np.random.default_rng(seed).normal(size=(n, d)))


# -- every strategy, with a context --------------------------------------------------------
@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("n", [1, 5, 40])
def test_distinct_indices_within_range(name, n):
    out = run(name, random_features(40), n)
    assert len(out) == n
    assert len(set(out.tolist())) == n
    assert all(0 <= i < 40 for i in out)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_batch_larger_than_the_pool_takes_the_whole_pool(name):
    assert sorted(run(name, random_features(7), 50).tolist()) == list(range(7))


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_deterministic_under_a_seed(name):
    X = random_features(100)
    assert run(name, X, 10, seed=42).tolist() == run(name, X, 10, seed=42).tolist()


@pytest.mark.parametrize("name", NEW)
def test_empty_pool_and_zero_n(name):
    X = random_features(5)
    assert len(run(name, X, 0)) == 0
    probs, context = toy_context(X)
    empty = call_strategy(STRATEGIES[name], np.empty((0, 3)), 5, rng=np.random.default_rng(0),
                          features=np.empty((0, 16)), context=context)
    assert len(empty) == 0


def test_committee_strategies_say_what_they_need_without_a_context():
    probs = np.full((4, 2), 0.5)
    for name in ("qbc", "bald"):
        with pytest.raises(AltoolError, match="labelled data"):
            STRATEGIES[name](probs, 2, rng=np.random.default_rng(0))


def test_committee_is_refitted_only_for_a_new_model_version():
    X = random_features(20)
    probs, context = toy_context(X)
    call_strategy(STRATEGIES["qbc"], probs, 3, rng=np.random.default_rng(0), features=X,
                  context=context)
    members = context.state["committee"][1]
    assert len(members) == 5  # --committee-size default
    call_strategy(STRATEGIES["qbc"], probs, 3, rng=np.random.default_rng(1), features=X,
                  context=context)
    assert context.state["committee"][1] is members
    context.model.version += 1
    call_strategy(STRATEGIES["bald"], probs, 3, rng=np.random.default_rng(0), features=X,
                  context=context)
    assert context.state["committee"][1] is not members


# -- committee scores on a committee we control ------------------------------------------------
def split_committee() -> np.ndarray:
    """4 members x 3 candidates: 0 all sure of A; 1 split 2-2 (each member sure);
    2 every member unsure (0.55 / 0.45)."""
    sure_a, sure_b, unsure = [0.9, 0.1], [0.1, 0.9], [0.55, 0.45]
    return np.array([[sure_a, sure_a, unsure], [sure_a, sure_a, unsure],
                     [sure_a, sure_b, unsure], [sure_a, sure_b, unsure]])


def test_vote_entropy_and_kl_rank_the_split_candidate_first():
    members = split_committee()
    assert np.argmax(vote_entropy(members)) == 1
    assert np.argmax(mean_kl(members)) == 1
    assert vote_entropy(members)[0] == pytest.approx(0.0, abs=1e-9)
    assert vote_entropy(members)[1] == pytest.approx(np.log(2))


def test_bald_separates_model_uncertainty_from_agreed_noise():
    mi = mutual_information(split_committee())
    # candidate 2 is the most uncertain for every member, but they all agree: no information
    assert mi[2] == pytest.approx(0.0, abs=1e-12)
    assert mi[1] > 0.3 and np.argmax(mi) == 1


def two_blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Class A around (-1, 0.5), class B around (1, 0.5): 2-D points plus a constant."""
    rng = np.random.default_rng(seed)
    a = rng.normal([-1, 0], 0.3, size=(6, 2))
    b = rng.normal([1, 0], 0.3, size=(6, 2))
    pts = np.vstack([a, b])
    return np.column_stack([pts, np.full(len(pts), 0.5)]), np.array([0] * 6 + [1] * 6)


@pytest.mark.parametrize("name", ["qbc", "bald"])
def test_committee_picks_the_point_between_the_classes(name):
    train_X, y = two_blobs()
    model = VectorModel(["A", "B"])
    Y = np.eye(2)[y]
    model.fit(train_X, Y)
    # pool: far inside A, far inside B, and the one point on the boundary
    pool = np.array([[-3.0, 0.0, 0.5], [3.0, 0.0, 0.5], [0.0, 0.0, 0.5], [-2.5, 0.1, 0.5]])
    P = model.predict_proba(pool)
    context = QueryContext(model=model, pool_features=pool, cand_rows=np.arange(4),
                           to_candidates=lambda Q: Q, pool_probs=P, train_X=train_X, train_Y=Y,
                           options=StrategyOptions(committee_size=7))
    out = call_strategy(STRATEGIES[name], P, 1, rng=np.random.default_rng(0), features=pool,
                        context=context)
    assert out.tolist() == [2]


def test_qbc_kl_measure_option():
    X = random_features(30)
    probs, context = toy_context(X, options=StrategyOptions(qbc_measure="kl"))
    out = call_strategy(STRATEGIES["qbc"], probs, 30, rng=np.random.default_rng(0), features=X,
                        context=context)
    members = context.state["committee"][1]
    kl = mean_kl(np.stack([m.predict_proba(X) for m in members]))
    assert out[0] == int(np.argmax(kl))


@pytest.mark.parametrize("kwargs", [{"committee_size": 1}, {"qbc_measure": "votes"}])
def test_strategy_options_are_checked(kwargs):
    with pytest.raises(AltoolError):
        StrategyOptions(**kwargs)


# -- expected gradient length ------------------------------------------------------------------
def test_egl_matches_the_brute_force_expectation_choice_view():
    rng = np.random.default_rng(3)
    X = random_features(6, d=4) * 2.0  # not normalised: the norm must count
    P = rng.random((6, 3))
    q = P / P.sum(axis=1, keepdims=True)
    context = QueryContext(model=VectorModel(["a", "b", "c"]), pool_features=X,
                           cand_rows=np.arange(6), to_candidates=lambda Q: Q, pool_probs=P)
    got = expected_gradient_lengths(q, X, context)
    for i in range(6):
        xnorm = np.sqrt(X[i] @ X[i] + 1.0)
        want = sum(q[i, y] * np.linalg.norm(P[i] - np.eye(3)[y]) for y in range(3)) * xnorm
        assert got[i] == pytest.approx(want)


@pytest.mark.parametrize("exclusive", [True, False])
def test_egl_binary_view_expectation(exclusive):
    X = random_features(4, d=4)
    P = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.05, 0.9, 0.05], [0.3, 0.3, 0.4]])
    labels = np.array([0, 0, 1, 2])
    model = VectorModel(["a", "b", "c"], exclusive=exclusive)
    pj = P[np.arange(4), labels]
    context = QueryContext(model=model, pool_features=X, cand_rows=np.arange(4),
                           to_candidates=lambda Q: Q, pool_probs=P, cand_labels=labels)
    got = expected_gradient_lengths(np.column_stack([pj, 1 - pj]), X, context)
    for i in range(4):
        t = np.eye(3)[labels[i]]
        accept = np.linalg.norm(P[i] - t) if exclusive else 1 - pj[i]
        want = (pj[i] * accept + (1 - pj[i]) * pj[i]) * np.sqrt(X[i] @ X[i] + 1)
        assert got[i] == pytest.approx(want)


def test_egl_prefers_an_uncertain_row_to_a_confident_one():
    probs = np.array([[0.98, 0.01, 0.01], [0.4, 0.35, 0.25]])
    out = STRATEGIES["egl"](probs, 2, rng=np.random.default_rng(0), features=random_features(2))
    assert out.tolist() == [1, 0]


# -- core-set and BADGE ------------------------------------------------------------------------
def clusters(centres: Sequence[Sequence[float]], per: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return normalised(np.vstack([rng.normal(c, 0.05, size=(per, len(c))) for c in centres]))


def test_coreset_picks_the_cluster_far_from_everything_labelled_first():
    labelled = clusters([[1, 0, 0], [0, 1, 0]], 5)
    outliers = np.tile(normalised(np.array([[0.1, 0.1, 1.0]])), (4, 1))  # four copies
    pool = np.vstack([clusters([[1, 0, 0], [0, 1, 0]], 4, seed=1), outliers])  # rows 8..11
    model = VectorModel(["a", "b"])
    context = QueryContext(model=model, pool_features=pool, cand_rows=np.arange(12),
                           to_candidates=lambda Q: Q, train_X=labelled)
    out = coreset(np.full((12, 2), 0.5), 3, rng=np.random.default_rng(0), features=pool,
                  context=context)
    assert 8 <= out[0] <= 11
    # then it covers the rest: a copy of a pick is at distance 0 from the batch
    assert not (8 <= out[1] <= 11 or 8 <= out[2] <= 11)


def test_coreset_works_on_sparse_hashed_features():
    model = SklearnModel(["a"], n_features=2**16)
    pool = model.featurize(["the cat sat on the mat"] * 3 + ["quarterly revenue grew by 4%"])
    labelled = model.featurize(["a cat on a mat", "the cat sat"])
    context = QueryContext(model=model, pool_features=pool, cand_rows=np.arange(4),
                           to_candidates=lambda Q: Q, train_X=labelled)
    out = coreset(np.full((4, 2), 0.5), 2, rng=np.random.default_rng(0), features=pool,
                  context=context)
    assert out[0] == 3


def test_badge_starts_with_the_longest_gradient_and_never_repeats_a_copy():
    # rows 0-2: three copies of an uncertain row; 3: uncertain elsewhere; 4: confident
    X = normalised(np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1.0]]))
    probs = np.array([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.45, 0.55], [0.99, 0.01]])
    for seed in range(10):
        out = badge(probs, 3, rng=np.random.default_rng(seed), features=X).tolist()
        assert out[0] in (0, 1, 2)  # the longest gradients
        assert len({0, 1, 2} & set(out)) == 1  # a copy of a picked row has distance 0


# -- stream ------------------------------------------------------------------------------------
def test_stream_asks_above_its_adaptive_threshold_and_counts_what_it_skips():
    rng = np.random.default_rng(0)
    p = rng.random(400)
    probs = np.column_stack([p, 1 - p])
    context = QueryContext(model=None, pool_features=None, cand_rows=np.arange(400),
                           to_candidates=lambda Q: Q, keys=list(range(400)))
    out = stream(probs, 10, rng=np.random.default_rng(0), features=None, context=context)
    seen, skipped = context.state["seen"], context.state["skipped"]
    assert len(out) == 10 and seen == skipped + 10
    assert skipped >= 20  # the warm-up, then about 4 of 5
    scores = 1 - np.abs(2 * p - 1)
    assert scores[out].min() > np.median(scores[:seen])  # only uncertain ones are asked
    # a later call moves on: what was skipped is not looked at again
    again = stream(probs, 5, rng=np.random.default_rng(0), features=None, context=context)
    assert context.state["seen"] > seen
    passed = context.state["stream_passed"]
    assert not set(again.tolist()) & passed


def test_stream_fills_from_the_skipped_rows_when_the_stream_runs_out():
    probs = np.column_stack([np.linspace(0.01, 0.99, 30), 1 - np.linspace(0.01, 0.99, 30)])
    out = stream(probs, 30, rng=np.random.default_rng(0))
    assert sorted(out.tolist()) == list(range(30))


# -- --mix and --like --------------------------------------------------------------------------
def test_compose_puts_like_first_and_spreads_random_picks():
    base = np.arange(10, 20)
    out, kinds = compose(base, 10, 40, rng=np.random.default_rng(0), random_share=0.2,
                         like=[3, 4])
    assert out[:2].tolist() == [3, 4]
    assert [kinds.get(int(i)) for i in out].count("random") == 2
    assert [kinds.get(int(i)) for i in out].count("like") == 2
    assert len(set(out.tolist())) == 10
    assert set(out.tolist()) - {3, 4} - set(kinds) <= set(base.tolist())


@pytest.mark.parametrize("value, share", [(None, 0.0), ("", 0.0), ("random=0.1", 0.1),
                                          ("random=0", 0.0)])
def test_parse_mix(value, share):
    assert parse_mix(value) == share


@pytest.mark.parametrize("value", ["random=1", "random=-0.1", "random=x", "diverse=0.1",
                                   "random"])
def test_parse_mix_rejects_bad_values(value):
    with pytest.raises(AltoolError, match="--mix"):
        parse_mix(value)


def test_read_like_text_or_file(tmp_path):
    assert read_like("refund for a broken phone") == ["refund for a broken phone"]
    path = tmp_path / "like.jsonl"
    path.write_text('{"text": "one"}\n{"text": "two"}\n')
    assert read_like(str(path)) == ["one", "two"]
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(AltoolError):
        read_like(str(empty))


def test_spacy_model_refuses_matrix_strategies_up_front():
    with pytest.raises(AltoolError, match="--strategy coreset needs --model sklearn, "
                       "sklearn-lr, embed, blend or stack"):
        check_model_support("coreset", "spacy", like=False)
    with pytest.raises(AltoolError, match="--like"):
        check_model_support("margin", "spacy:blank:en", like=True)
    check_model_support("qbc", "embed", like=True)


# -- through the Learner (what teach and simulate use) -----------------------------------------
SPAM = [f"WIN a FREE cash prize {i}, call now to claim your reward" for i in range(12)]
HAM = [f"see you at lunch tomorrow {i}, I will bring the report" for i in range(12)]
ODD = ["my phone screen is broken, can I get a refund", "refund please, the phone broke"]
TEXTS = SPAM + HAM + ODD


def answered(learner: Learner, rows: Sequence[int], hashes: Sequence[int]) -> list[dict]:
    out = []
    for r in rows:
        gold = "spam" if TEXTS[r] in SPAM else "ham"
        task = make_task({"text": TEXTS[r], "_input_hash": hashes[r]}, learner.labels, "choice",
                         Pick(r, None, None, None))
        task.update(accept=[gold], answer="accept")
        out.append(task)
    return out


@pytest.fixture
def pool():
    from altool.io.hashing import hash_text

    model = SklearnModel(["spam", "ham"], n_features=2**16)
    return model.featurize(TEXTS), [hash_text(t) for t in TEXTS]


@pytest.mark.parametrize("name", NEW)
def test_learner_never_asks_an_answered_question_and_marks_its_picks(name, pool):
    X, hashes = pool
    learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16), name, view="choice",
                      seed=0)
    answers = answered(learner, [0, 1, 12, 13], hashes)
    learner.fit(answers)
    skip = {a["_task_hash"] for a in answers}
    picks = learner.choose(X, hashes, 100, skip)
    assert sorted(p.row for p in picks) == sorted(set(range(len(TEXTS))) - {0, 1, 12, 13})
    assert {p.kind for p in picks} == {name}
    task = make_task({"text": TEXTS[picks[0].row], "_input_hash": hashes[picks[0].row]},
                     learner.labels, "choice", picks[0])
    assert task["meta"]["pick"] == name


@pytest.mark.parametrize("name", NEW)
def test_learner_binary_view(name, pool):
    X, hashes = pool
    learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16), name, view="binary",
                      seed=0)
    answers = [make_task({"text": TEXTS[r], "_input_hash": hashes[r]}, learner.labels, "binary",
                         Pick(r, 0, None, None)) | {"answer": "accept" if r < 12 else "reject"}
               for r in (0, 1, 12, 13)]
    learner.fit(answers)
    skip = {a["_task_hash"] for a in answers}
    picks = learner.choose(X, hashes, 10, skip)
    keys = [candidate_hash(hashes[p.row], learner.labels, "binary", p.label) for p in picks]
    assert len(picks) == 10 and len(set(keys)) == 10 and not set(keys) & skip


def test_random_picks_are_marked_random(pool):
    X, hashes = pool
    learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16), "margin", view="choice",
                      seed=0, random_share=0.3)
    cold = learner.choose(X, hashes, 10)  # before a model: the cold start gets its share too
    assert [p.kind for p in cold].count("random") == 3
    assert set(p.kind for p in cold) == {"random", "cold-start"}
    learner.fit(answered(learner, [0, 1, 12, 13], hashes))
    warm = learner.choose(X, hashes, 10)
    assert [p.kind for p in warm].count("random") == 3
    plain = Learner(SklearnModel(["spam", "ham"], n_features=2**16), "random", view="choice",
                    seed=0)
    assert {p.kind for p in plain.choose(X, hashes, 5)} == {"random"}


def test_like_puts_the_most_similar_examples_first(pool):
    X, hashes = pool
    learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16), "diverse",
                      view="choice", seed=0, like=["the phone is broken, I want a refund"])
    cold = learner.choose(X, hashes, 4)
    assert {p.row for p in cold[:2]} == {24, 25} and cold[0].kind == "like"
    learner.fit(answered(learner, [0, 1, 12, 13], hashes))
    warm = learner.choose(X, hashes, 4)
    assert {p.row for p in warm[:2]} == {24, 25}
    assert [p.kind for p in warm] == ["like", "like", "diverse", "diverse"]


def test_stream_learner_reports_what_it_skipped(pool):
    X, hashes = pool
    learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16), "stream", view="choice",
                      seed=0)
    assert learner.skipped is None
    learner.fit(answered(learner, [0, 12], hashes))
    learner.choose(X, hashes, 2)
    skipped, seen = learner.skipped
    assert seen >= skipped >= 1


# -- the random-pick audit -----------------------------------------------------------------------
def test_audit_scores_random_picks_before_the_model_learns_them(pool):
    X, hashes = pool
    learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16), "margin", view="choice",
                      seed=0)
    first = answered(learner, [0, 1, 12, 13], hashes)
    learner.fit(first)
    assert learner.audit.result == (None, 0)
    later = answered(learner, [2, 14, 24], hashes)
    for task in later[:2]:
        task["meta"]["pick"] = "random"
    wrong = dict(later[1], accept=["spam"])  # a random pick the model will get "wrong"
    learner.fit(first + [later[0], wrong, later[2]])
    assert learner.audit.result == (0.5, 2)
    learner.fit(first + [later[0], wrong, later[2]])  # the same answers are not counted twice
    assert learner.audit.result == (0.5, 2)


def test_audit_ignores_what_a_resumed_model_may_have_learned(pool):
    X, hashes = pool
    learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16), "margin", view="choice",
                      seed=0)
    old = answered(learner, [0, 1, 12, 13], hashes)
    learner.fit(old)
    resumed = Learner(learner.model, "margin", view="choice", seed=0)  # a saved model
    for task in old:
        task["meta"]["pick"] = "random"
    resumed.fit(old)
    assert resumed.audit.result == (None, 0)


def test_audit_binary_view_and_no_model():
    audit = RandomAudit()
    model = SklearnModel(["spam"], n_features=2**16)
    eg = {"text": "x", "_input_hash": 1, "_task_hash": 2, "label": "spam", "answer": "accept",
          "meta": {"pick": "random"}}
    audit.update(model, ["spam"], [eg], lambda h, t: model.featurize(t))
    assert audit.result == (None, 0)  # no model yet: nothing to check, and not counted later


# -- the teach worker ----------------------------------------------------------------------------
@pytest.fixture
def worker_on(store: Store, home):
    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(TEXTS)])
    workers: list[Worker] = []

    def start(**learner_kwargs) -> Worker:
        learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16),
                          learner_kwargs.pop("strategy", "margin"), view="choice", seed=0,
                          **learner_kwargs)
        worker = Worker(teach_config(store.path, labels=("spam", "ham"), view="choice",
                                     batch_size=4, queue_size=6), learner, TaskQueue())
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def drain(queue: TaskQueue) -> list[dict]:
    out = []
    while isinstance(q := queue.poll(), Question):
        out.append(q.task)
    return out


def test_worker_mix_and_like_reach_the_questions(worker_on, store):
    worker = worker_on(random_share=0.2, like=["refund for my broken phone"])
    wait_for(lambda: len(worker.queue) > 0, what="the first questions")
    tasks = drain(worker.queue)
    assert {t["text"] for t in tasks[:2]} == set(ODD)
    picks = [t["meta"]["pick"] for t in tasks]
    assert picks[:2] == ["like", "like"]
    assert "random" in picks and set(picks) <= {"like", "random", "cold-start"}
    # answer a batch: the model is fitted and the next questions carry the markers too
    answers = []
    for t in tasks[:4]:
        gold = "spam" if t["text"] in SPAM else "ham"
        answers.append(dict(t, accept=[gold], answer="accept"))
    store.add_answers("ds", answers)
    worker.notify(4)
    wait_for(lambda: worker.status.model_version > 0, what="a fit")
    wait_for(lambda: len(worker.queue) > 0, what="questions from the model")
    later = drain(worker.queue)
    assert {t["meta"]["pick"] for t in later} <= {"like", "random", "margin", "cold-start"}


def test_worker_stream_reports_skipped_in_its_status(worker_on, store):
    worker = worker_on(strategy="stream")
    wait_for(lambda: len(worker.queue) > 0, what="the first questions")
    tasks = drain(worker.queue)
    answers = [dict(t, accept=["spam" if t["text"] in SPAM else "ham"], answer="accept")
               for t in tasks[:4]]
    store.add_answers("ds", answers)
    worker.notify(4)
    wait_for(lambda: worker.status.seen, what="the stream's counts")
    assert worker.status.seen >= worker.status.skipped >= 0


STREAM_TEXTS = [f"{'WIN a FREE cash prize now' if i % 2 else 'lunch at noon, bring the report'}"
                f" number {i}" for i in range(600)]


def stream_session(store: Store, rounds: int) -> list[tuple[int, str]]:
    """Run a stream worker (pool 40 rows) over STREAM_TEXTS for ``rounds`` refreshes, answering
    every question; the (source position, pick) of each question, in the order asked."""
    learner = Learner(SklearnModel(["spam", "ham"], n_features=2**16), "stream",
                      view="choice", seed=0)
    worker = Worker(teach_config(store.path, labels=("spam", "ham"), view="choice",
                                 source="big", batch_size=4, queue_size=4, pool_size=40),
                    learner, TaskQueue())
    asked: list[tuple[int, str]] = []
    worker.start()
    try:
        for _ in range(rounds):
            wait_for(lambda: len(worker.queue) >= 4, what="a batch of questions")
            version = worker.status.model_version
            tasks = drain(worker.queue)
            asked += [(STREAM_TEXTS.index(t["text"]), t["meta"]["pick"]) for t in tasks]
            store.add_answers("ds", [dict(t, accept=["spam" if "WIN" in t["text"] else "ham"],
                                          answer="accept") for t in tasks])
            worker.notify(len(tasks))
            wait_for(lambda v=version: worker.status.model_version > v, what="a fit")
    finally:
        worker.stop()
    return asked


def test_stream_walks_a_large_source_in_order_window_by_window(store):
    store.add_source("big", [Record(i + 1, {"text": t}) for i, t in enumerate(STREAM_TEXTS)])
    asked = stream_session(store, rounds=7)
    positions = [pos for pos, pick in asked if pick == "stream"]
    assert len(positions) >= 20 and max(positions) < 500
    # each window of 40 rows is walked before the next: positions never go back a window
    assert all(b // 40 >= a // 40 for a, b in zip(positions, positions[1:], strict=False))
    assert positions[-1] >= 80  # it moved on past the first windows
    # a new session resumes after the last row the stream asked about, not at the top (its
    # cold start asks anywhere)
    again = stream_session(store, rounds=2)
    later = [pos for pos, pick in again if pick == "stream"]
    assert later and min(later) > max(positions)
    assert not {pos for pos, _ in again} & {pos for pos, _ in asked}  # never asked twice


def test_filler_questions_are_not_audit_picks(store):
    """Questions served while the model starts (or after it failed) are marked "filler": they
    used to be "random", so the status line showed "random picks 100% right" without --mix
    and train took them as an unbiased evaluation set."""
    from altool.loop.audit import is_random_pick
    from altool.store.merge import merge_answers

    store.add_source("src", [Record(i + 1, {"text": t}) for i, t in enumerate(TEXTS)])
    questions = random_questions(store, "src", ["spam"], "binary", set(), 5)
    assert questions and {q.task["meta"]["pick"] for q in questions} == {"filler"}
    answers = [{**q.task, "answer": "accept"} for q in questions]
    assert not any(is_random_pick(eg) for eg in answers)
    merged = merge_answers(("ds", eg) for eg in answers)
    assert not any(item.random_pick for item in merged.examples)


def test_teach_config_carries_the_strategy_options(tmp_path):
    from altool.loop.worker import make_worker
    from altool.strategies import StrategySettings

    config = teach_config(tmp_path / "db", labels=["a", "b"], view="choice", strategy="qbc",
                          settings=StrategySettings(StrategyOptions(3, "kl"), 0.1, ("x",)))
    learner = make_worker(config, TaskQueue()).learner
    assert learner.strategy_name == "qbc"
    assert learner.options == StrategyOptions(3, "kl")
    assert learner.random_share == 0.1 and learner.like == ["x"]


# -- simulate and the CLI ----------------------------------------------------------------------
def gold_files(tmp_path) -> tuple[str, str]:
    rows = [{"text": t, "label": "spam" if t in SPAM else "ham"} for t in SPAM + HAM]
    gold, test = tmp_path / "gold.jsonl", tmp_path / "test.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    test.write_text("".join(json.dumps(r) + "\n" for r in rows[::3]))
    return str(gold), str(test)


def test_simulate_runs_every_new_strategy_with_mix_and_like(tmp_path):
    from altool.simulate import read_labelled, simulate

    gold, test = gold_files(tmp_path)
    result = simulate(read_labelled(gold), read_labelled(test), list(NEW), seed_size=4,
                      batch_size=4, budget=12, repeats=1, random_share=0.25,
                      like=["cash prize"], options=StrategyOptions(committee_size=3))
    assert list(result.strategies) == list(NEW)
    for r in result.strategies.values():
        assert r.points[-1][0] == 12
    assert result.strategies["stream"].skipped is not None
    assert result.strategies["qbc"].skipped is None
    assert "skipped" in result.to_json()["strategies"]["stream"]


def test_cli_simulate_with_the_new_options(cli, tmp_path):
    gold, test = gold_files(tmp_path)
    res = cli("simulate", gold, "--test", test, "--strategy", "stream,qbc", "--budget", "12",
              "--seed-size", "4", "--batch-size", "4", "--repeats", "1", "--mix", "random=0.25",
              "--like", "cash prize", "--committee-size", "3", "--qbc-measure", "kl")
    assert res.returncode == 0, res.stderr
    assert "stream" in res.stdout and "qbc" in res.stdout
    assert "stream: skipped" in res.stderr


@pytest.mark.parametrize("args, message", [
    (["--mix", "random=2"], "--mix"),
    (["--committee-size", "1"], "--committee-size"),
    (["--qbc-measure", "x"], "--qbc-measure"),
])
def test_cli_bad_strategy_options_exit_1_with_a_message(cli, tmp_path, args, message):
    gold, test = gold_files(tmp_path)
    res = cli("simulate", gold, "--test", test, "--budget", "8", *args)
    assert res.returncode == 1
    assert message in res.stderr and "Traceback" not in res.stderr


def test_teach_rejects_a_bad_mix_before_starting(cli, tmp_path):
    gold, _ = gold_files(tmp_path)
    res = cli("textcat.teach", "ds", gold, "--label", "spam", "--mix", "often")
    assert res.returncode == 1 and "--mix takes random=SHARE" in res.stderr


def test_teach_help_lists_the_strategies_and_options(cli):
    res = cli("textcat.teach", "--help")
    assert res.returncode == 0
    for word in ("qbc", "badge", "coreset", "--committee-size", "--like", "--mix"):
        assert word in res.stdout


def test_default_stands_for_a_strategy_the_model_can_serve():
    from altool.loop.config import TeachConfig
    from altool.strategies.registry import DEFAULT_OTHERWISE, DEFAULT_STRATEGY

    def config(model):
        return TeachConfig(db_path=Path("x.db"), dataset="d", source="s", labels=("a", "b"),
                           view="choice", model=model)

    assert DEFAULT_STRATEGY != DEFAULT_OTHERWISE
    assert config("embed").strategy == config("blend").strategy == DEFAULT_STRATEGY
    assert config("sklearn").strategy == DEFAULT_OTHERWISE  # vectors that mean shared words
    assert config("spacy").strategy == DEFAULT_OTHERWISE  # no feature vectors
    assert config("saved/model.joblib").strategy == "default"  # known once it is loaded
