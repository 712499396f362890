"""NER answers merged per input, and the spaCy training ``Doc`` they stand for.

Two kinds of answers (Prodigy's span format: ``tokens`` + ``spans`` with character offsets):

- **binary** (``ner.teach``, ``"_view_id": "ner"``): one suggested span, accepted or rejected.
  An accept says "this span is an entity with this label" and nothing about the other tokens;
  a reject says "not this label on exactly these tokens". Neither says anything else.
- **manual** (``ner.manual``, ``ner.correct``: any other accepted answer with ``spans``): the
  complete annotation; tokens outside the spans are not entities.

Merged answers become reference docs for spaCy: accepted spans are entities, a complete
annotation marks every other token "O", and otherwise the other tokens stay *missing* (never
silently "O"). Rejected spans go into ``doc.spans["incorrect_spans"]``, which spaCy's ``ner``
component reads as negative examples when its ``incorrect_spans_key`` is set to that key.
Answers apply in stored order: the later one wins on the same span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

INCORRECT_KEY = "incorrect_spans"
BINARY_VIEW = "ner"

CharSpan = tuple[int, int]  # character offsets (start, end)


@dataclass
class NerAnnotation:
    """What the answers on one input say about its entities."""

    text: str
    tokens: list[dict[str, Any]] | None = None  # the answers' tokens (Prodigy format)
    entities: dict[CharSpan, str] = field(default_factory=dict)  # accepted spans
    incorrect: set[tuple[int, int, str]] = field(default_factory=set)  # rejected spans
    complete: bool = False  # a manual answer: the other tokens are not entities
    answers: int = 0

    @property
    def labels(self) -> set[str]:
        """Every label an answer used (accepted or rejected)."""
        return {*self.entities.values(), *(label for *_, label in self.incorrect)}

    def accept(self, start: int, end: int, label: str) -> None:
        for s, e in [k for k in self.entities if k[0] < end and start < k[1]]:
            del self.entities[(s, e)]  # an overlapping older span can't also be right
        self.entities[(start, end)] = label
        self.incorrect.discard((start, end, label))

    def reject(self, start: int, end: int, label: str) -> None:
        if self.entities.get((start, end)) == label:
            del self.entities[(start, end)]
        self.incorrect.add((start, end, label))

    def set_complete(self, spans: Iterable[dict[str, Any]]) -> None:
        self.entities = {(s["start"], s["end"]): s["label"] for s in spans}
        self.incorrect = {t for t in self.incorrect if self.entities.get(t[:2]) != t[2]}
        self.complete = True


def is_binary(eg: dict[str, Any]) -> bool:
    return eg.get("_view_id") == BINARY_VIEW


def merge_ner_answers(answers: Iterable[dict[str, Any]]) -> dict[int, NerAnnotation]:
    """Merge NER answers per ``_input_hash`` (in order; ignored answers and rejected manual
    answers carry no span evidence)."""
    merged: dict[int, NerAnnotation] = {}
    for eg in answers:
        answer = eg.get("answer")
        text = eg.get("text")
        if answer not in ("accept", "reject") or not isinstance(text, str):
            continue
        spans = [s for s in eg.get("spans") or [] if isinstance(s, dict) and s.get("label")]
        binary = is_binary(eg)
        if not binary and answer == "reject":
            continue
        ann = merged.setdefault(eg["_input_hash"], NerAnnotation(text))
        if ann.tokens is None and isinstance(eg.get("tokens"), list):
            ann.tokens = eg["tokens"]
        ann.answers += 1
        if not binary:
            ann.set_complete(spans)
            continue
        for s in spans[:1]:
            if answer == "accept":
                ann.accept(s["start"], s["end"], s["label"])
            else:
                ann.reject(s["start"], s["end"], s["label"])
    return merged


def token_doc(nlp: Language, text: str, tokens: list[dict[str, Any]] | None = None) -> Doc:
    """``text`` as a ``Doc``: with the given Prodigy ``tokens`` (so token indices match the
    task's), else tokenized by ``nlp``."""
    if tokens is None:
        return nlp.make_doc(text)
    from spacy.tokens import Doc

    words = [t["text"] for t in tokens]
    spaces = [nxt["start"] > t["end"] for t, nxt in zip(tokens, tokens[1:], strict=False)]
    return Doc(nlp.vocab, words=words, spaces=[*spaces, False][: len(words)])


@dataclass
class DocResult:
    doc: Doc
    misaligned: int  # spans that don't line up with the tokens (left out)


def reference_doc(nlp: Language, ann: NerAnnotation) -> DocResult:
    """The gold ``Doc`` for ``ann`` (on its tokens): entities set, other tokens "O"
    (complete) or missing (partial), rejected spans in ``doc.spans[INCORRECT_KEY]``."""
    from spacy.tokens import Span

    doc = token_doc(nlp, ann.text, ann.tokens)
    if ann.tokens is None:
        offsets = [(t.idx, t.idx + len(t.text)) for t in doc]
    else:
        offsets = [(t["start"], t["end"]) for t in ann.tokens]
    first = {start: i for i, (start, _) in enumerate(offsets)}
    last = {end: i for i, (_, end) in enumerate(offsets)}
    misaligned = 0

    def spans(items: Iterable[tuple[int, int, str]]) -> list[Span]:
        nonlocal misaligned
        out = []
        for start, end, label in sorted(items):
            i, j = first.get(start), last.get(end)
            if i is None or j is None or j < i:
                misaligned += 1
            else:
                out.append(Span(doc, i, j + 1, label=label))
        return out

    ents = spans((s, e, label) for (s, e), label in ann.entities.items())
    doc.set_ents(ents, default="outside" if ann.complete else "missing")
    doc.spans[INCORRECT_KEY] = spans(ann.incorrect)
    return DocResult(doc, misaligned)
