"""``--model blend``: the n-gram model and the sentence-encoder model side by side, their
probabilities averaged; ``--model stack``: the same, weighted by what the answers show.

Each half learns from the same answers on its own features (hashed n-grams; sentence
embeddings) exactly as ``sklearn`` and ``embed`` do; ``predict_proba`` is their weighted mean.
N-grams catch the exact words a label hangs on (spam's "FREE", a question's "Who"), the
encoder the meaning around them. The query strategies see the sentence embeddings (dense
vectors, so distances and clusters mean something); the encoder's vectors are cached as
``embed``'s are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import CACHEABLE, REFIT, SEMANTIC, VECTORS
from .encoder import EmbedModel, encode, encoder_named, require_embed
from .ngram import SklearnModel
from .saving import save_model

EMBED_WEIGHT = 0.5  # share of the encoder half in the blend


class BlendFeatures:
    """N-gram rows and embedding rows of the same texts. To the query strategies it is the
    embedding matrix (indexing, ``shape``, ``@``, NumPy conversion); the models take their own
    half."""

    def __init__(self, ngrams: Any, vectors: np.ndarray) -> None:
        self.ngrams = ngrams
        self.vectors = vectors

    @property
    def shape(self) -> tuple[int, int]:
        return self.vectors.shape

    def __len__(self) -> int:
        return self.vectors.shape[0]

    def __getitem__(self, rows: Any) -> BlendFeatures:
        if isinstance(rows, (int, np.integer)):
            rows = [int(rows)]
        return BlendFeatures(self.ngrams[rows], self.vectors[rows])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.vectors if dtype is None else self.vectors.astype(dtype)

    def astype(self, dtype: Any, copy: bool = True) -> np.ndarray:
        return self.vectors.astype(dtype, copy=copy)

    @property
    def T(self) -> np.ndarray:  # noqa: N802 (the matrix name)
        return self.vectors.T

    def __matmul__(self, other: Any) -> Any:
        return self.vectors @ (other.vectors if isinstance(other, BlendFeatures) else other)

    @classmethod
    def stack_rows(cls, parts: Sequence[BlendFeatures]) -> BlendFeatures:
        import scipy.sparse as sp

        return cls(sp.vstack([p.ngrams for p in parts], format="csr"),
                   np.vstack([p.vectors for p in parts]))


class BlendModel:
    """The ``sklearn`` and ``embed`` models on the same answers, probabilities averaged."""

    kind = "blend"
    capabilities = frozenset({VECTORS, REFIT, CACHEABLE, SEMANTIC})

    def __init__(self, labels: Sequence[str], exclusive: bool = True, *,
                 base: str | None = None, embed_weight: float = EMBED_WEIGHT,
                 threads: int | None = None) -> None:
        self.base = encoder_named(base).name  # which encoder (--model blend:BASE)
        require_embed(self.base)
        self.ngram = SklearnModel(labels, exclusive)
        self.embed = EmbedModel(labels, exclusive, base=self.base, threads=threads)
        self.labels = list(self.ngram.labels)
        self.exclusive = self.ngram.exclusive
        self.embed_weight = embed_weight
        self.threads = threads
        self.version = 0

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("base", "fp32")  # saved before encoders had names: see EmbedModel
        self.__dict__.update(state)

    @property
    def cache_key(self) -> str:
        """The encoder's vectors: shared with ``embed`` on the same encoder."""
        return encoder_named(self.base).cache_key

    @property
    def ready(self) -> bool:
        return self.ngram.ready and self.embed.ready

    @property
    def n_examples(self) -> int:
        return self.embed.n_examples

    # -- the cacheable-model contract (altool.models.cache) ------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The slow, cacheable part: the sentence embeddings."""
        return encode(texts, self.base, self.threads)

    def from_encoded(self, texts: Sequence[str], vectors: np.ndarray) -> BlendFeatures:
        return BlendFeatures(self.ngram.featurize(texts), vectors)

    def featurize(self, texts: Sequence[str]) -> BlendFeatures:
        texts = list(texts)
        return self.from_encoded(texts, self.encode(texts))

    # -- learning ----------------------------------------------------------------------------
    def fit(self, features: BlendFeatures, targets: np.ndarray) -> None:
        self.ngram.fit(features.ngrams, targets)
        self.embed.fit(features.vectors, targets)
        self.version += 1

    def predict_proba(self, features: BlendFeatures) -> np.ndarray:
        if not self.ngram.ready or not self.embed.ready:
            return (self.embed if self.embed.ready else self.ngram).predict_proba(
                features.vectors if self.embed.ready else features.ngrams)
        w = self.embed_weight
        if w in (0.0, 1.0):  # one half alone (a stack model's share can be either)
            return (self.embed.predict_proba(features.vectors) if w else
                    self.ngram.predict_proba(features.ngrams))
        return (1.0 - w) * self.ngram.predict_proba(features.ngrams) + \
            w * self.embed.predict_proba(features.vectors)

    def __copy__(self) -> BlendModel:
        """A shallow copy that refits on its own (the ``refit`` capability: committees)."""
        import copy

        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.ngram, twin.embed = copy.copy(self.ngram), copy.copy(self.embed)
        return twin

    def save(self, path: Any) -> None:
        save_model(self, path)


ENCODER_SHARES = (1.0, 0.75, 0.5, 0.25, 0.0)  # tried by StackModel, in order of preference
STACK_PRIOR = 1.0  # the encoder's share before there are answers enough to weigh
MIN_WEIGH_EXAMPLES = 30
WEIGH_FOLDS = 5
WEIGH_GROWTH = 1.25  # weigh again when the answers grew by a quarter...
WEIGH_SLOWER_FROM = 1000  # ... and from this many answers on, when they doubled


class StackModel(BlendModel):
    """``--model stack``: the blend, with the encoder's share chosen on the answers.

    Which representation suits a dataset is the dataset's own: sentence embeddings learn
    faster from a few labels on most text, but on long reviews or where a label hangs on
    exact words (offensive language, emotions) n-grams reach a higher score. Rather than a
    fixed half/half, each half's out-of-fold probabilities on the answers so far
    (:data:`WEIGH_FOLDS`-fold cross-validation) decide the share: the one of
    :data:`ENCODER_SHARES` whose mixture gets the most answers right, if it beats the encoder
    alone by more than one standard error of the paired difference (a few dozen answers are
    noisy: a share that wins by chance would cost what the encoder gains early); else the
    encoder alone. (Accuracy, not a probability score such as Brier's or log loss: the encoder's
    logistic regressions give softer probabilities than the n-grams', so a probability score
    preferred the n-grams even where they were less often right; TREC, 250 random labels:
    Brier chose n-grams alone, 0.69 on the test set, where accuracy chose 0.75, 0.82.)

    Until :data:`MIN_WEIGH_EXAMPLES` answers the share is :data:`STACK_PRIOR` (the encoder
    alone: ahead of the blend on 5 of the 6 datasets of the suite's tuning half). It weighs
    again whenever the answers grew by a quarter (13 times over 500 answers), and from
    :data:`WEIGH_SLOWER_FROM` answers on when they doubled: a weighing is ten fits, whose cost
    grows with the answers (banking77, 77 labels, a busy machine: 11 s at 500 answers, 65 s
    at 1,000, against 2 s and 12 s for a fit of the two halves) while the share has settled."""

    kind = "stack"

    def __init__(self, labels: Sequence[str], exclusive: bool = True, *,
                 base: str | None = None, threads: int | None = None) -> None:
        super().__init__(labels, exclusive, base=base, embed_weight=STACK_PRIOR,
                         threads=threads)
        self.share_scores: dict[float, float] = {}  # out-of-fold accuracy of each share
        self.weighed_at = 0  # answers at the last weighing

    @property
    def encoder_share(self) -> float:
        """The encoder half's weight now (1.0: the encoder alone; 0.0: the n-grams alone)."""
        return self.embed_weight

    def fit(self, features: BlendFeatures, targets: np.ndarray) -> None:
        super().fit(features, targets)
        n = int((~np.isnan(targets)).any(axis=1).sum())
        if n < MIN_WEIGH_EXAMPLES:
            self.embed_weight, self.share_scores, self.weighed_at = STACK_PRIOR, {}, 0
        elif n >= self.weighed_at * (WEIGH_GROWTH if n < WEIGH_SLOWER_FROM else 2.0):
            hits = weigh_halves(self, features, targets, seed=n)
            self.share_scores = {w: float(h.mean()) for w, h in hits.items()}
            self.embed_weight = pick_share(hits)
            self.weighed_at = n


def pick_share(hits: dict[float, np.ndarray]) -> float:
    """The share whose mixture is right most often, if it beats :data:`STACK_PRIOR`'s by more
    than one standard error of the paired per-answer difference; else the prior."""
    best = max(hits, key=lambda w: (round(float(hits[w].mean()), 9), w))
    gain = hits[best] - hits[STACK_PRIOR]
    if len(gain) < 2 or gain.mean() <= gain.std(ddof=1) / np.sqrt(len(gain)):
        return STACK_PRIOR
    return best


def weigh_halves(model: BlendModel, features: BlendFeatures, targets: np.ndarray, *,
                 seed: int) -> dict[float, np.ndarray]:
    """Per answer entry, whether each of :data:`ENCODER_SHARES` gets it right (:func:`hits`)
    from ``model``'s two halves' out-of-fold probabilities (:func:`out_of_fold`)."""
    P_ngram, P_embed, Y = out_of_fold(model, features, targets, seed=seed)
    return {w: hits(w * P_embed + (1.0 - w) * P_ngram, Y, model.exclusive)
            for w in ENCODER_SHARES}


def out_of_fold(model: BlendModel, features: BlendFeatures, targets: np.ndarray, *,
                seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two halves' out-of-fold probabilities on the answered rows of ``targets`` (each
    fold's halves are copies fitted on the other folds), and those rows' targets."""
    import copy

    keep = np.flatnonzero((~np.isnan(targets)).any(axis=1))
    X, Y = features[keep], targets[keep]
    order = np.random.default_rng(seed).permutation(len(keep))
    folds = np.array_split(order, min(WEIGH_FOLDS, len(keep)))
    P_ngram, P_embed = np.zeros(Y.shape), np.zeros(Y.shape)
    for held in folds:
        train = np.setdiff1d(order, held)
        ngram, embed = copy.copy(model.ngram), copy.copy(model.embed)
        ngram.fit(X.ngrams[train], Y[train])
        embed.fit(X.vectors[train], Y[train])
        P_ngram[held] = ngram.predict_proba(X.ngrams[held])
        P_embed[held] = embed.predict_proba(X.vectors[held])
    return P_ngram, P_embed, Y


def hits(P: np.ndarray, Y: np.ndarray, exclusive: bool) -> np.ndarray:
    """1.0 for each of the answers' known entries the probabilities get right, else 0.0: with
    exclusive labels a row whose class is known counts once, right when that class has the
    highest probability; any other known entry (a rejected label; multi-label answers) is
    right when p >= 0.5 says the same as the answer."""
    known = ~np.isnan(Y)
    y = np.nan_to_num(Y)
    one_class = (known & (y == 1)).any(axis=1) if exclusive else np.zeros(len(Y), bool)
    rows = np.flatnonzero(one_class)
    by_class = (P[rows].argmax(axis=1) == y[rows].argmax(axis=1)).astype(float)
    rest = known & ~one_class[:, None]
    return np.concatenate([by_class, ((P[rest] >= 0.5) == (y[rest] == 1)).astype(float)])
