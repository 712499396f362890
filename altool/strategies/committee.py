"""Committee strategies: query-by-committee (``qbc``) and BALD-style disagreement (``bald``).

The committee is ``--committee-size`` copies of the learner's model, each fitted on a bootstrap
resample of the labelled inputs (altool's per-label liblinear regressions fit in milliseconds
to a few hundred milliseconds). It is built once per model version and kept in the learner's
state, so refreshing the queue without new answers does not refit it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..errors import AltoolError
from ..models.base import REFIT, capabilities_of
from ..models.registry import require_capabilities
from .base import QueryContext, declare, top
from .uncertainty import entropy_scores, margin_scores


def committee_probs(context: QueryContext | None, rng: np.random.Generator) -> np.ndarray:
    """Each member's candidate probabilities: an array (members x candidates x outcomes)."""
    if context is None or context.train_X is None or context.train_Y is None:
        raise AltoolError("committee strategies (qbc, bald) need the labelled data: run them "
                          "through altool's learner (textcat.teach or simulate)")
    model, size = context.model, context.options.committee_size
    n_train = context.train_X.shape[0]
    key = (getattr(model, "version", None), n_train, size)
    cached = context.state.get("committee")
    if cached is not None and cached[0] == key:
        members = cached[1]
    else:
        members = [_fit_member(model, context.train_X, context.train_Y,
                               rng.integers(n_train, size=n_train)) for _ in range(size)]
        context.state["committee"] = (key, members)
    return np.stack([context.to_candidates(m.predict_proba(context.pool_features))
                     for m in members])


def _fit_member(model: Any, X: Any, Y: np.ndarray, rows: np.ndarray) -> Any:
    require_capabilities("qbc and bald", frozenset({REFIT}), model.kind,
                         capabilities_of(model))
    # a shallow copy is enough: fit() replaces the fitted state, it does not mutate it
    member = copy.copy(model)
    member.fit(X[rows], Y[rows])
    return member


def vote_entropy(member_probs: np.ndarray) -> np.ndarray:
    """Entropy of the members' votes (each votes for its most likely outcome)."""
    n_members, n_cand, k = member_probs.shape
    votes = member_probs.argmax(axis=2)
    counts = np.zeros((n_cand, k))
    for m in range(n_members):
        counts[np.arange(n_cand), votes[m]] += 1.0
    return entropy_scores(counts / n_members)


def mean_kl(member_probs: np.ndarray) -> np.ndarray:
    """Mean KL divergence of each member's distribution from the consensus (their mean)."""
    p = np.clip(member_probs, 1e-12, 1.0)
    consensus = p.mean(axis=0)
    return (p * (np.log(p) - np.log(consensus))).sum(axis=2).mean(axis=0)


def mutual_information(member_probs: np.ndarray) -> np.ndarray:
    """BALD: entropy of the mean prediction minus the mean entropy of the members' ones,
    the part of the uncertainty that comes from not knowing the model (label noise that every
    member agrees is there adds to both terms and cancels)."""
    mean_entropy = np.mean([entropy_scores(p) for p in member_probs], axis=0)
    return entropy_scores(member_probs.mean(axis=0)) - mean_entropy


@declare(needs={REFIT}, context=True)
def qbc(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
    context: QueryContext | None = None,
) -> np.ndarray:
    """Query by committee: the candidates the committee disagrees on most, by vote entropy
    (``--qbc-measure vote``, the default) or mean KL divergence from the consensus (``kl``).
    Vote entropy has many ties; the learner's margin breaks them."""
    if n <= 0 or len(probs) == 0:
        return np.empty(0, dtype=int)
    member_probs = committee_probs(context, rng)
    if context is not None and context.options.qbc_measure == "kl":
        scores = mean_kl(member_probs)
    else:
        scores = vote_entropy(member_probs) + 1e-3 * margin_scores(probs)
    return top(scores, n, rng)


@declare(needs={REFIT}, context=True)
def bald(
    probs: np.ndarray, n: int, *, rng: np.random.Generator, features: Any = None,
    context: QueryContext | None = None,
) -> np.ndarray:
    """BALD-style disagreement: the candidates with the highest mutual information between
    the answer and the model (:func:`mutual_information`), estimated with the committee."""
    if n <= 0 or len(probs) == 0:
        return np.empty(0, dtype=int)
    return top(mutual_information(committee_probs(context, rng)), n, rng)
