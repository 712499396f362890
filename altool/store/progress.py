"""``altool progress DATASET``: what the labelling has cost and bought so far, computed from
the stored answers alone (never from a session's memory).

- **Pace**: answers, time spent (the sum of the answers' ``_seconds``: question shown to key
  pressed, breaks cut off), answers per hour of that time, the median seconds per answer;
  per session and in total. Answers stored before altool timed them count as answers, not as
  time.
- **The model against the labels**: on the audit picks (``meta.pick == "random"``:
  ``--mix random=SHARE`` or the ``random`` strategy), the share the model guessed right
  before it learned from them (``meta.pick_guess``, the guess of a model that had not seen
  the text), with a 95% Wilson interval. Only random picks count: the strategy's picks are
  its hardest cases.
- **Coverage**: accepted answers per label.
- **Self-agreement**: each recheck (``--recheck``) against the answer it repeated: Cohen's
  kappa with a 95% bootstrap interval, and the texts answered differently.
- **Curve and plateau**: that accuracy over the answers, in stretches of audit picks, and
  whether it rose from the ``PLATEAU_WINDOW`` answers before the last ones to the last ones
  (said only when each stretch holds ``PLATEAU_MIN_PICKS`` audit picks).
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field
from typing import Any

from .agreement import cohen_kappa
from .checks import iter_checks
from .database import Store
from .review import decision

Z95 = 1.959963984540054


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a share ``correct / n`` (None without data)."""
    if n <= 0:
        return None
    p = correct / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(center - half, 0.0), min(center + half, 1.0)


def guessed_right(eg: dict[str, Any]) -> bool | None:
    """Whether the model's stored guess (``meta.pick_guess``) matched the answer; None when
    there is no guess or the answer was ``ignore``."""
    return guess_was_right(eg, (eg.get("meta") or {}).get("pick_guess"))


def guess_was_right(eg: dict[str, Any], guess: Any) -> bool | None:
    """Whether the model's ``guess`` (the labels it predicted) matches the answer ``eg``:
    a choice answer's accept list, or a binary answer about its label; None without a guess
    or for ``ignore`` (the session's hit rate and ``progress`` use this one rule)."""
    if not isinstance(guess, list) or eg.get("answer") not in ("accept", "reject"):
        return None
    if isinstance(eg.get("accept"), list):  # a choice answer
        return sorted(map(str, eg["accept"])) == sorted(map(str, guess))
    return (eg.get("label") in guess) == (eg["answer"] == "accept")


# an answer's time (question shown to key pressed) is cut off here: longer is a break taken,
# not time spent on the question (the session stores _seconds so; an import may hold more)
IDLE_CUTOFF_S = 120.0
MAX_TIMESTAMP = 253402300800  # 10000-01-01: beyond it a _timestamp is not a date


def _number(value: Any) -> float | None:
    """A finite number stored by anyone (an import can hold strings, huge ints, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


@dataclass
class Pace:
    """Answers and the time they took, for one session or all of them."""

    answers: int = 0
    timed: int = 0  # answers with ``_seconds``
    seconds: float = 0.0
    durations: list[float] = field(default_factory=list)
    first: float | None = None  # unix time of the first and last answer
    last: float | None = None

    def add(self, eg: dict[str, Any]) -> None:
        self.answers += 1
        took = _number(eg.get("_seconds"))
        if took is not None and took >= 0:
            took = min(took, IDLE_CUTOFF_S)
            self.timed += 1
            self.seconds += took
            self.durations.append(took)
        stamp = _number(eg.get("_timestamp"))
        if stamp is not None and 0 <= stamp < MAX_TIMESTAMP:
            self.first = stamp if self.first is None else min(self.first, stamp)
            self.last = stamp if self.last is None else max(self.last, stamp)

    @property
    def per_hour(self) -> float | None:
        """Timed answers per hour of the time they took."""
        return self.timed / self.seconds * 3600 if self.seconds > 0 else None

    @property
    def median_seconds(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None

    def to_json(self) -> dict[str, Any]:
        return {"answers": self.answers, "timed": self.timed, "seconds": round(self.seconds, 1),
                "per_hour": None if self.per_hour is None else round(self.per_hour, 1),
                "median_seconds": self.median_seconds, "first": self.first,
                "last": self.last}


@dataclass
class Audit:
    """The model's guesses on the audit picks, against the answers."""

    picks: int = 0  # audit picks answered (accept or reject)
    guessed: int = 0  # ... that carry the model's guess
    right: int = 0
    answers: dict[tuple, int] = field(default_factory=dict)  # the guessed picks' answers

    @property
    def baseline(self) -> float | None:
        """What always giving the most common answer would score on the same picks (in the
        binary view with several labels most picks are a no: a model that says no to
        everything would look good)."""
        return max(self.answers.values()) / self.guessed if self.guessed else None

    @property
    def accuracy(self) -> float | None:
        return self.right / self.guessed if self.guessed else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.right, self.guessed)

    def to_json(self) -> dict[str, Any]:
        return {"picks": self.picks, "guessed": self.guessed, "right": self.right,
                "accuracy": self.accuracy, "baseline": self.baseline,
                "interval95": None if self.interval is None else list(self.interval)}


PLATEAU_WINDOW = 200  # answers: the last ones against the ones before them
PLATEAU_MIN_PICKS = 30  # audit picks each window needs before anything is said
CURVE_POINTS = 8


@dataclass(frozen=True)
class CurvePoint:
    """The model's accuracy on the audit picks among a stretch of answers."""

    answers: int  # answers in the dataset at the end of the stretch
    picks: int
    right: int

    @property
    def accuracy(self) -> float:
        return self.right / self.picks


def audit_curve(events: list[tuple[int, bool]], points: int = CURVE_POINTS
                ) -> list[CurvePoint]:
    """``events`` are (answers so far, guessed right) per audit pick, in order: split into up
    to ``points`` stretches of equally many picks (at least 10 each)."""
    if not events:
        return []
    size = max(10, math.ceil(len(events) / points))
    out = []
    for start in range(0, len(events), size):
        part = events[start:start + size]
        out.append(CurvePoint(part[-1][0], len(part), sum(r for _, r in part)))
    return out


def plateau(events: list[tuple[int, bool]], total: int, window: int = PLATEAU_WINDOW
            ) -> tuple[str, str]:
    """Whether the model still improves: its accuracy on the audit picks among the last
    ``window`` answers against the ``window`` before. ``(state, sentence)``: state is
    ``improving``, ``plateau`` or ``unknown`` (too few picks to tell)."""
    last = [r for n, r in events if n > total - window]
    before = [r for n, r in events if total - 2 * window < n <= total - window]
    if len(last) < PLATEAU_MIN_PICKS or len(before) < PLATEAU_MIN_PICKS:
        return "unknown", (f"too few audit picks to tell whether the model still improves (it "
                           f"takes {PLATEAU_MIN_PICKS} in each of the last two stretches of "
                           f"{window} answers; there are {len(before)} and {len(last)})")
    a, b = sum(before) / len(before), sum(last) / len(last)
    if b > a:
        return "improving", (f"still improving: {b:.0%} right on the audit picks of the last "
                             f"{window} answers, {a:.0%} on the {window} before")
    return "plateau", (f"plateau: {b:.0%} right on the audit picks of the last {window} "
                       f"answers, {a:.0%} on the {window} before; more labels of the same kind "
                       "may not help (check the stop signal, or altool train-curve)")


BOOTSTRAP = 1000  # resamples for the interval of the self-agreement kappa
MIN_CHECKS_FOR_INTERVAL = 10


def said(eg: dict[str, Any]) -> str:
    """What an answer says, in words: ``accept: A, B``, ``reject``, ``accept spam``."""
    if isinstance(eg.get("accept"), list):
        accepted = ", ".join(map(str, eg["accept"]))
        return f"accept: {accepted}" if eg.get("answer") == "accept" and accepted else \
            str(eg.get("answer"))
    label = eg.get("label")
    spans = eg.get("spans")
    if label is None and isinstance(spans, list) and len(spans) == 1 and \
            isinstance(spans[0], dict):  # a binary NER answer: its one suggested span
        label = spans[0].get("label")
    return f"{eg.get('answer')} {label}"


def kappa_interval(pairs: list[tuple[str, str]], seed: int = 0
                   ) -> tuple[float, float] | None:
    """A 95% percentile bootstrap interval of Cohen's kappa over ``pairs`` (None with fewer
    than ``MIN_CHECKS_FOR_INTERVAL``); resamples that leave nothing to disagree on count as
    the kappa they get (1.0 when they agree)."""
    if len(pairs) < MIN_CHECKS_FOR_INTERVAL:
        return None
    rng = random.Random(seed)
    values = []
    for _ in range(BOOTSTRAP):
        sample = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        values.append(cohen_kappa([a for a, _ in sample], [b for _, b in sample]))
    values.sort()
    return values[int(0.025 * BOOTSTRAP)], values[int(0.975 * BOOTSTRAP) - 1]


def decided(eg: dict[str, Any]) -> str:
    """What a recheck is compared on: a choice answer's accepted labels; for a binary answer
    (one label, one span) accept or reject, as the question is the same both times (its label
    in the category would make chance agreement look rarer than it is)."""
    if isinstance(eg.get("accept"), list):
        return said(eg)
    return str(eg.get("answer"))


@dataclass
class SelfAgreement:
    """Rechecks against the answers they repeated (pairs where either was ``ignore`` left
    out: there is nothing to agree on)."""

    pairs: list[tuple[str, str]] = field(default_factory=list)  # (first, again): decided()
    differ: list[dict[str, Any]] = field(default_factory=list)  # text, first, again (said)
    ignored: int = 0

    @property
    def kappa(self) -> float | None:
        return cohen_kappa([a for a, _ in self.pairs], [b for _, b in self.pairs])

    @property
    def interval(self) -> tuple[float, float] | None:
        return kappa_interval(self.pairs)

    def add(self, first: dict[str, Any], again: dict[str, Any]) -> None:
        if "ignore" in (first.get("answer"), again.get("answer")):
            self.ignored += 1
            return
        pair = (decided(first), decided(again))
        self.pairs.append(pair)
        if pair[0] != pair[1]:
            self.differ.append({"text": first.get("text"), "first": said(first),
                                "again": said(again), "_input_hash": first.get("_input_hash")})

    def to_json(self) -> dict[str, Any]:
        interval = self.interval
        return {"checks": len(self.pairs), "ignored": self.ignored,
                "same": len(self.pairs) - len(self.differ),
                "kappa": self.kappa, "interval95": None if interval is None else list(interval),
                "differ": self.differ}


@dataclass
class DatasetProgress:
    dataset: str
    total: Pace = field(default_factory=Pace)
    sessions: dict[str | None, Pace] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=lambda: {"accept": 0, "reject": 0,
                                                             "ignore": 0})
    coverage: dict[str, int] = field(default_factory=dict)  # accepted answers per label
    audit: Audit = field(default_factory=Audit)
    model_versions: int | None = None  # the highest pick_model_version seen
    stop: dict[str, Any] | None = None  # the stop signal when the last question was picked
    self_agreement: SelfAgreement = field(default_factory=SelfAgreement)
    audit_events: list[tuple[int, bool]] = field(default_factory=list)

    @property
    def curve(self) -> list[CurvePoint]:
        return audit_curve(self.audit_events)

    @property
    def plateau(self) -> tuple[str, str]:
        return plateau(self.audit_events, self.total.answers)

    def to_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "answers": self.answers, "pace": self.total.to_json(),
                "sessions": [{"session_id": sid, **p.to_json()}
                             for sid, p in self.sessions.items()],
                "coverage": self.coverage, "audit": self.audit.to_json(),
                "audit_curve": [{"answers": c.answers, "picks": c.picks, "right": c.right}
                                for c in self.curve],
                "plateau": dict(zip(("state", "detail"), self.plateau, strict=True)),
                "model_versions": self.model_versions, "stop_signal": self.stop,
                "self_agreement": self.self_agreement.to_json()}


def dataset_progress(store: Store, dataset: str) -> DatasetProgress:
    """The KPIs of ``dataset`` from its stored answers (sessions in the order they started)."""
    out = DatasetProgress(dataset)
    for eg in store.iter_answers(dataset):
        out.total.add(eg)
        out.sessions.setdefault(eg.get("_session_id"), Pace()).add(eg)
        answer = eg.get("answer")
        if answer in out.answers:
            out.answers[answer] += 1
        for label in accepted_labels(eg):
            out.coverage[label] = out.coverage.get(label, 0) + 1
        meta = eg.get("meta") or {}
        version = meta.get("pick_model_version")
        if isinstance(version, int) and not isinstance(version, bool):
            out.model_versions = max(out.model_versions or 0, version)
        stop = meta.get("pick_stop")
        if isinstance(stop, dict) and isinstance(stop.get("fired"), bool):
            fired_at = (out.stop or {}).get("fired_at")
            if stop["fired"] and fired_at is None:
                fired_at = out.total.answers
            out.stop = {"fired": stop["fired"], "agreement": _number(stop.get("agreement")),
                        "answers": out.total.answers, "fired_at": fired_at}
        if meta.get("pick") == "random" and answer in ("accept", "reject"):
            out.audit.picks += 1
            right = guessed_right(eg)
            if right is not None:
                out.audit.guessed += 1
                out.audit.right += right
                key = decision(eg)
                out.audit.answers[key] = out.audit.answers.get(key, 0) + 1
                out.audit_events.append((out.total.answers, right))
    out.coverage = dict(sorted(out.coverage.items()))
    for first, again in iter_checks(store, dataset):
        out.self_agreement.add(first, again)
    return out


def accepted_labels(eg: dict[str, Any]) -> list[str]:
    """The labels an answer accepts: a binary accept's label, or a choice's accept list."""
    if eg.get("answer") != "accept":
        return []
    if isinstance(eg.get("accept"), list):
        return [str(x) for x in eg["accept"]]
    return [str(eg["label"])] if eg.get("label") is not None else []
