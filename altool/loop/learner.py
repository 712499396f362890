"""The active-learning step shared by ``textcat.teach`` and ``simulate``: turn answers into a
model, and a pool of examples into the next questions.

No I/O here: the worker feeds it rows from the store, ``simulate`` feeds it gold data, and both
get the same model updates, cold start, candidate building and strategy calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..io.hashing import task_hash
from ..models.base import TextModel, stack_rows, targets_from_answers
from ..store import QUESTION_META
from ..strategies.base import PoolScore, QueryContext, Strategy, call_strategy, spec_of
from ..strategies.diversity import cold_start
from ..strategies.mixing import compose, like_first
from ..strategies.options import StrategyOptions, check_share
from ..strategies.registry import get_strategy, strategy_name
from .audit import RandomAudit

VIEWS = ("binary", "choice")
COLD_START_PICK = "cold-start"  # meta.pick of the diversity-first cold start's questions
FILLER_PICK = "filler"  # meta.pick of questions served without a model (start-up, failure)


@dataclass
class Pick:
    """One chosen question: pool row, label index (binary view) and the model's view of it."""

    row: int
    label: int | None
    probs: np.ndarray | None  # per-label probabilities, None during cold start
    score: float | None  # meta.score: p(label) (binary) or p(guess) (choice)
    # meta.pick: "random" for random picks, "cold-start" for the diversity-first cold start,
    # "like" for --like picks, else the strategy's name
    kind: str | None = None

    @property
    def guess(self) -> int | None:
        if self.probs is None:
            return None
        return int(np.argmax(self.probs))


def options_for(labels: Sequence[str]) -> list[dict[str, str]]:
    return [{"id": label, "text": label} for label in labels]


def make_task(
    eg: dict[str, Any], labels: Sequence[str], view: str, pick: Pick, *,
    strategy: str | None = None, model: TextModel | None = None,
) -> dict[str, Any]:
    """The task dict shown and stored for ``pick`` (Prodigy's shape). Its ``meta`` says why it
    was asked: ``pick`` (what chose it: the strategy, ``cold-start``, ``like``, ``random``,
    ``filler``), ``pick_strategy`` (the session's strategy), and when a model scored it,
    ``pick_model`` (its kind) and ``pick_model_version`` (its fits so far), and a stack model's
    ``pick_encoder_share``."""
    task = dict(eg)
    task.pop("answer", None)
    task.pop("accept", None)
    if view == "binary":
        task["label"] = labels[pick.label or 0]
    else:
        task.pop("label", None)
        task["options"] = options_for(labels)
    # the loop's own keys describe this question only: never carried over from the source
    # (a db-out export loaded as a source has them from another session)
    meta = {k: v for k, v in (task.get("meta") or {}).items() if k not in QUESTION_META}
    if pick.score is not None:
        meta["score"] = round(float(pick.score), 4)
    if pick.kind is not None:
        meta["pick"] = pick.kind
    if strategy is not None:
        meta["pick_strategy"] = strategy
    if model is not None and pick.probs is not None:
        meta["pick_model"] = model.kind
        meta["pick_model_version"] = model.version
        share = getattr(model, "encoder_share", None)  # --model stack: its halves' weights
        if share is not None:
            meta["pick_encoder_share"] = share
    task["meta"] = meta
    task["_task_hash"] = candidate_hash(task["_input_hash"], labels, view, pick.label)
    return task


def candidate_hash(in_hash: int, labels: Sequence[str], view: str, label: int | None) -> int:
    """Task hash of a candidate question, without building the task."""
    if view == "binary":
        return task_hash({"label": labels[label or 0]}, in_hash)
    return task_hash({"options": options_for(labels)}, in_hash)


def candidate_probs(P: np.ndarray, cand_rows: np.ndarray, cand_labels: np.ndarray | None,
                    exclusive: bool) -> np.ndarray:
    """The candidates' ``probs`` (what strategies rank) from the pool rows' per-label
    probabilities ``P``: binary questions ``[p, 1 - p]`` about their label; choice questions
    the row's distribution (exclusive labels), or its most uncertain label's (multi-label)."""
    if cand_labels is not None:  # binary question about one label: [p, 1 - p]
        p = P[cand_rows, cand_labels]
        return np.column_stack([p, 1.0 - p])
    rows = P[cand_rows]
    if exclusive:
        total = rows.sum(axis=1, keepdims=True)
        return rows / np.where(total > 0, total, 1.0)
    if rows.shape[1] == 1:
        return np.column_stack([rows[:, 0], 1.0 - rows[:, 0]])
    # multi-label choice: the row's most uncertain label decides
    j = np.abs(rows - 0.5).argmin(axis=1)
    p = rows[np.arange(len(rows)), j]
    return np.column_stack([p, 1.0 - p])


class Learner:
    """A model, a strategy and the rules that connect them to answers and pools.

    ``strategy`` is a strategy function or a registered name. Each batch may also take a share
    of uniformly random picks (``random_share``, ``--mix random=SHARE``) and start with the
    candidates most like the texts ``like`` (``--like``); every pick records what chose it
    (:attr:`Pick.kind`)."""

    def __init__(
        self,
        model: TextModel,
        strategy: Strategy | str,
        *,
        view: str = "binary",
        seed: int | None = None,
        options: StrategyOptions | None = None,
        random_share: float = 0.0,
        like: Sequence[str] = (),
    ) -> None:
        if view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}")
        self.model = model
        self.labels = list(model.labels)
        if isinstance(strategy, str):
            strategy = get_strategy(strategy)
        self.strategy = strategy
        self.strategy_name = strategy_name(strategy)
        self.spec = spec_of(strategy)
        self.options = options or StrategyOptions()
        self.random_share = check_share(random_share)
        self.like = list(like)
        self.like_features: Any = None  # features of ``like``; computed on first use if unset
        self.state: dict[str, Any] = {}  # kept between calls by stateful strategies (stream)
        self._train: tuple[Any, np.ndarray] | None = None  # features and targets last fitted
        self.audit = RandomAudit()  # the model's accuracy on random picks, before fitting
        self.view = view
        self.rng = np.random.default_rng(seed)
        self._feature_cache: dict[int, Any] = {}
        # featurize(texts) for labelled inputs; the worker sets one that goes through the
        # store's embedding cache, simulate one that reads the pool's features
        self.featurizer: Callable[[Sequence[str]], Any] = model.featurize
        self._cold_label = 0
        self._label_turn = 0  # the label whose share comes first in the next binary batch
        self._choice_hashes: dict[int, int] = {}  # input hash -> choice-view task hash

    # -- learning ----------------------------------------------------------------------------
    def fit(self, answers: Iterable[dict[str, Any]]) -> int:
        """Refit the model on all ``answers``; return how many inputs carried evidence.
        New random picks among them are first scored for the audit (:mod:`altool.loop.audit`)."""
        answers = list(answers)
        self.audit.update(self.model, self.labels, answers, self.features_for)
        hashes, texts, Y = targets_from_answers(answers, self.labels, self.model.exclusive)
        if not hashes:
            return 0
        X = self.features_for(hashes, texts)
        self.model.fit(X, Y)
        self._train = (X, Y)
        return len(hashes)

    @property
    def skipped(self) -> tuple[int, int] | None:
        """``(skipped, seen)`` of a stream strategy so far; None for a pool strategy."""
        if "seen" not in self.state:
            return None
        return int(self.state.get("skipped", 0)), int(self.state["seen"])

    def _like_targets(self) -> Any:
        """Features of the ``like`` texts (computed once, with the learner's featurizer)."""
        if self.like and self.like_features is None:
            self.like_features = self.featurizer(self.like)
        return self.like_features

    def features_for(self, hashes: Sequence[int], texts: Sequence[str]) -> Any:
        """Features of labelled inputs, cached by input hash (answers are refitted often)."""
        missing = [i for i, h in enumerate(hashes) if h not in self._feature_cache]
        if missing:
            new = self.featurizer([texts[i] for i in missing])
            for k, i in enumerate(missing):
                self._feature_cache[hashes[i]] = new[k]
        rows = [self._feature_cache[h] for h in hashes]
        return stack_rows(rows)

    # -- choosing ----------------------------------------------------------------------------
    def choose(
        self,
        features: Any,
        input_hashes: Sequence[int],
        n: int,
        skip: set[int] | frozenset[int] = frozenset(),
    ) -> list[Pick]:
        """Pick up to ``n`` questions from a pool (``features`` has one row per pool example).

        Candidates whose task hash is in ``skip`` are never picked. With a ready model the
        strategy ranks candidates; before that, a diversity-first cold start does."""
        n_labels = len(self.labels)
        per_row = n_labels if self.view == "binary" else 1
        rows = np.repeat(np.arange(len(input_hashes)), per_row)
        label_idx = (
            np.tile(np.arange(n_labels), len(input_hashes)) if self.view == "binary" else None
        )
        hashes = [
            self._candidate_hash(input_hashes[r], None if label_idx is None else int(label_idx[k]))
            for k, r in enumerate(rows)
        ]
        keep = np.fromiter((h not in skip for h in hashes), dtype=bool, count=len(rows))
        if not keep.any() or n <= 0:
            return []
        cand_rows = rows[keep]
        cand_labels = label_idx[keep] if label_idx is not None else None
        if not self.model.ready:
            return self._cold_picks(features, cand_rows, cand_labels, n)
        return self._warm_picks(features, cand_rows, cand_labels,
                                [h for h, k in zip(hashes, keep, strict=True) if k], n)

    def _warm_picks(
        self, features: Any, cand_rows: np.ndarray, cand_labels: np.ndarray | None,
        keys: list[int], n: int,
    ) -> list[Pick]:
        """The strategy's picks (plus ``--like`` and ``--mix`` picks) with a ready model."""
        P = self.model.predict_proba(features)
        context = self._context(P, features, cand_rows, cand_labels, keys)
        cand_features = features[cand_rows]
        if self._per_label(cand_labels):
            def base(k: int) -> np.ndarray:
                return self._label_shares(context, k)
        else:
            def base(k: int) -> np.ndarray:
                return self._rank(context, k, cand_features)
        order, kinds = self._batch(base, cand_features, n)
        kinds = {**context.kinds, **kinds}
        picks = []
        for k in order:
            r = int(cand_rows[k])
            j = None if cand_labels is None else int(cand_labels[k])
            score = P[r, j] if j is not None else P[r].max()
            picks.append(Pick(r, j, P[r], float(score), kinds.get(int(k), self.strategy_name)))
        return picks

    def _context(self, P: np.ndarray, features: Any, cand_rows: np.ndarray,
                 cand_labels: np.ndarray | None, keys: Sequence[int] | None) -> QueryContext:
        return QueryContext(
            model=self.model, pool_features=features, cand_rows=cand_rows,
            to_candidates=lambda Q: self._candidate_probs(Q, cand_rows, cand_labels),
            pool_probs=P, cand_labels=cand_labels,
            train_X=None if self._train is None else self._train[0],
            train_Y=None if self._train is None else self._train[1],
            keys=keys, state=self.state, options=self.options,
        )

    def _rank(self, context: QueryContext, n: int, cand_features: Any = None) -> np.ndarray:
        """The strategy's first ``n`` of ``context``'s candidates."""
        if cand_features is None:
            cand_features = context.pool_features[context.cand_rows]
        probs = context.to_candidates(context.pool_probs)
        return call_strategy(self.strategy, probs, n, rng=self.rng, features=cand_features,
                             context=context)

    def _per_label(self, cand_labels: np.ndarray | None) -> bool:
        """Rank each label's questions on their own? Yes for binary questions about exclusive
        labels, unless the strategy's one order is the point (random, stream).

        One ranking over all (row, label) questions stalls there: after the cold start the
        labels that have no accept yet are flat priors, so the only questions near p = 0.5
        are about the one label that has accepts; asked again and again, they are mostly
        rejected, and the model predicted that label everywhere (AG News: 0.26 accuracy at
        300 answers against 0.57 for random questions)."""
        return (cand_labels is not None and self.model.exclusive and len(self.labels) > 1
                and not self.spec.keeps_order)

    def _label_shares(self, context: QueryContext, n: int) -> np.ndarray:
        """``n`` candidates: every label gets a share, filled by the strategy's ranking of
        that label's questions alone (shares rotate between calls so every label gets its
        turn). One question per row: with exclusive labels one accept answers them all.

        A label without both an accept and a reject yet has no classifier to rank by (its
        p is a prior over the other labels' guesses, and its "most uncertain" rows are the
        ones no other label fits, seldom its own): its share is a cold start on its own."""
        cand_rows, cand_labels = context.cand_rows, context.cand_labels
        assert cand_labels is not None
        learned = self._learned_labels()
        n_labels = len(self.labels)
        turn = self._label_turn
        self._label_turn = (turn + n) % n_labels
        free = np.ones(len(cand_rows), dtype=bool)  # neither chosen nor about a chosen row
        rankings = []
        for step in range(n_labels):
            j = (turn + step) % n_labels
            share = n // n_labels + (step < n % n_labels)
            sel = np.flatnonzero(free & (cand_labels == j))
            if share == 0 or len(sel) == 0:
                continue
            if learned[j]:
                chosen = self._rank_subset(context, sel, share)
            else:
                chosen = self._cold_subset(context, sel, share)
            free &= ~np.isin(cand_rows, cand_rows[chosen])
            rankings.append(chosen)
        order = [int(r[i]) for i in range(max(map(len, rankings), default=0))
                 for r in rankings if i < len(r)]
        # some label ran out of questions: the rest from any label, new rows first
        taken = np.zeros(len(cand_rows), dtype=bool)
        taken[order] = True
        for allowed in (free, ~taken):
            sel = np.flatnonzero(allowed & ~taken)
            if len(order) >= n or len(sel) == 0:
                continue
            more = self._rank_subset(context, sel, n - len(order))
            taken[more] = True
            order += [int(k) for k in more]
        return np.asarray(order, dtype=int)

    def _learned_labels(self) -> np.ndarray:
        """Per label: do the answers the model was fitted on hold both a yes and a no? (A
        model that came ready, saved or pretrained, before any fit here: every label.)"""
        if self._train is None:
            return np.full(len(self.labels), self.model.ready)
        Y = self._train[1]
        return (Y == 1).any(axis=0) & (Y == 0).any(axis=0)

    def _cold_subset(self, context: QueryContext, sel: np.ndarray, n: int) -> np.ndarray:
        """A cold start over the candidates ``sel`` (positions in ``context``, marked as
        cold-start picks in ``context.kinds``)."""
        start = self.spec.cold_start or cold_start
        chosen = sel[start(context.pool_features[context.cand_rows[sel]], n, rng=self.rng)]
        context.kinds.update({int(k): COLD_START_PICK for k in chosen})
        return chosen

    def _rank_subset(self, context: QueryContext, sel: np.ndarray, n: int) -> np.ndarray:
        """The strategy's first ``n`` of the candidates ``sel`` of ``context`` (as positions in
        ``context``); the pick kinds it records are copied back to ``context``."""
        keys = None if context.keys is None else [context.keys[k] for k in sel]
        assert context.pool_probs is not None and context.cand_labels is not None
        sub = self._context(context.pool_probs, context.pool_features, context.cand_rows[sel],
                            context.cand_labels[sel], keys)
        chosen = sel[self._rank(sub, n)]
        context.kinds.update({int(sel[k]): kind for k, kind in sub.kinds.items()})
        return chosen

    def _batch(self, base: Callable[[int], np.ndarray], features: Any, n: int
               ) -> tuple[np.ndarray, dict[int, str]]:
        """A batch of up to ``n`` of the candidates with these ``features``: the ``--like``
        picks first, then ``base(k)`` (the strategy's or cold start's first ``k``), with the
        ``--mix`` random share spread through it; and the kind of each special pick."""
        m = features.shape[0]
        n_keep = min(n, m) - int(round(min(n, m) * self.random_share))
        like = like_first(features, self._like_targets(), n_keep, self.rng)
        return compose(base(n_keep + len(like)), n, m, rng=self.rng,
                       random_share=self.random_share, like=like)

    def _candidate_hash(self, in_hash: int, label: int | None) -> int:
        """:func:`candidate_hash`, memoised for the choice view (hashing every option of
        every pool row was 2 s per refresh with 150 labels and 5,000 rows)."""
        if self.view == "binary":
            return candidate_hash(in_hash, self.labels, self.view, label)
        h = self._choice_hashes.get(in_hash)
        if h is None:
            h = self._choice_hashes[in_hash] = candidate_hash(in_hash, self.labels, "choice", None)
        return h

    def _candidate_probs(
        self, P: np.ndarray, cand_rows: np.ndarray, cand_labels: np.ndarray | None
    ) -> np.ndarray:
        return candidate_probs(P, cand_rows, cand_labels, self.model.exclusive)

    # -- narrowing a large pool ------------------------------------------------------------
    def pool_score(self) -> PoolScore | None:
        """The per-candidate score whose highest candidates hold every pick :meth:`choose`
        would make now, so that a large pool narrowed to them first (on a cluster) gives the
        same picks; None when no narrowing gives the same picks: before the model is ready
        (the cold start spreads over the whole pool), with ``--mix random`` or ``--like``
        (drawn from the whole pool), in the binary view while a label's share is still a
        cold start of its own, and for a strategy that declares no ``pool_score`` or whose
        rule says none now (typicality, coverage, committees, random, stream)."""
        rule = self.spec.pool_score
        if rule is None or not self.model.ready or self.random_share or self.like:
            return None
        if self.view == "binary" and self._per_label(np.zeros(0, dtype=int)) and \
                not self._learned_labels().all():
            return None
        return rule(self._context(np.zeros((0, len(self.labels))), None,
                                  np.zeros(0, dtype=int), None, None))

    def _cold_picks(
        self, features: Any, cand_rows: np.ndarray, cand_labels: np.ndarray | None, n: int
    ) -> list[Pick]:
        unique_rows = np.unique(cand_rows)
        start = self.spec.cold_start or cold_start  # random: a random start
        kind = COLD_START_PICK if start is cold_start else self.strategy_name
        row_features = features[unique_rows]
        order, kinds = self._batch(lambda k: start(row_features, k, rng=self.rng),
                                   row_features, n)
        picks = []
        for k in order:
            r = int(unique_rows[k])
            label = None
            if cand_labels is not None:
                allowed = cand_labels[cand_rows == r]
                label = int(allowed[self._cold_label % len(allowed)])
                self._cold_label += 1
            picks.append(Pick(r, label, None, None, kinds.get(int(k), kind)))
        return picks
