"""Tokens and entity spans in Prodigy's format: tokenizing, checking and normalising them.

A tokenized task has ``tokens``: ``[{"text", "start", "end", "id"}]`` and ``spans``:
``[{"start", "end", "token_start", "token_end", "label"}]``. ``start``/``end`` are character
offsets into ``text`` (Python string indices, i.e. code points, as spaCy's ``Token.idx``);
``end`` is exclusive, ``token_end`` is the index of the span's last token (inclusive), as in
Prodigy. A span must start at a token's start and end at a token's end.

The span editor of ``ner.manual`` works on these: :mod:`altool.ui.span_editor`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import AltoolError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class SpanError(AltoolError):
    """Tokens or spans that do not fit their text (the message says which and why)."""


def blank_nlp(lang: str) -> Language:
    """``spacy.blank(lang)``, with a clear error for an unknown language code."""
    import spacy

    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as err:
        raise AltoolError(
            f"--lang {lang!r} is not a language spaCy knows ({type(err).__name__}); use a code "
            "like en, de, fr, es, nl or xx (multi-language)"
        ) from None


def make_tokens(nlp: Language, text: str) -> list[dict[str, Any]]:
    """Tokenize ``text`` with ``nlp``'s tokenizer into Prodigy-style token dicts."""
    if len(text) > nlp.max_length:
        raise SpanError(f"a text of {len(text):,} characters is longer than spaCy tokenizes "
                        f"({nlp.max_length:,}); split long texts into paragraphs or pages "
                        "before annotating entities")
    return doc_tokens(nlp.make_doc(text))


def doc_tokens(doc: Doc) -> list[dict[str, Any]]:
    """A spaCy ``Doc``'s tokens as Prodigy-style token dicts."""
    return [{"text": t.text, "start": t.idx, "end": t.idx + len(t.text), "id": t.i} for t in doc]


def tokenize(nlp: Language, task: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``task`` with ``tokens`` (kept if present and valid, else made by ``nlp``)
    and its ``spans``, if any, checked against them and given ``token_start``/``token_end``.

    Raises :class:`SpanError` for tokens that do not match the text or spans that do not
    line up with token boundaries or overlap."""
    out = dict(task)
    text = out.get("text", "")
    if "tokens" in out:
        check_tokens(text, out["tokens"])
    else:
        out["tokens"] = make_tokens(nlp, text)
    if out.get("spans"):
        out["spans"] = normalize_spans(out)
    return out


def check_tokens(text: str, tokens: Any) -> None:
    """Raise :class:`SpanError` unless ``tokens`` is a list of ``{"text", "start", "end",
    "id"}`` with ``id`` = position, in order, not overlapping, each ``text[start:end]``."""
    if not isinstance(tokens, list):
        raise SpanError('"tokens" must be a list of {"text", "start", "end", "id"}')
    previous_end = 0
    for i, tok in enumerate(tokens):
        if not isinstance(tok, dict):
            raise SpanError(f"token {i} must be an object like "
                            '{"text": "Acme", "start": 0, "end": 4, "id": 0}')
        start, end, tid = tok.get("start"), tok.get("end"), tok.get("id")
        if not (_is_int(start) and _is_int(end) and previous_end <= start < end <= len(text)):
            raise SpanError(
                f"token {i} has start={start!r}, end={end!r}; need integers with "
                f"{previous_end} <= start < end <= {len(text)} (after the previous token, "
                "inside the text)"
            )
        if tid != i:
            raise SpanError(f"token {i} has id={tid!r}; token ids must be 0, 1, 2, ... in order")
        if tok.get("text") != text[start:end]:
            raise SpanError(f"token {i} has text {tok.get('text')!r} but the text at "
                            f"{start}-{end} is {text[start:end]!r}")
        previous_end = end


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def normalize_spans(task: dict[str, Any], allow_overlap: bool = False) -> list[dict[str, Any]]:
    """The task's spans sorted by position, each with ``token_start``/``token_end`` matching
    its character offsets (other keys are kept). ``task`` must have valid ``tokens``.

    Raises :class:`SpanError` for a span without a label, offsets that do not line up with
    token boundaries, token indices that contradict the offsets, or (unless
    ``allow_overlap``) spans that share a token."""
    tokens = task["tokens"]
    text = task.get("text", "")
    by_start = {tok["start"]: tok["id"] for tok in tokens}
    by_end = {tok["end"]: tok["id"] for tok in tokens}
    spans = task.get("spans") or []
    if not isinstance(spans, list):
        raise SpanError('"spans" must be a list of {"start", "end", "label"}')
    out = []
    for k, span in enumerate(spans):
        if not isinstance(span, dict):
            raise SpanError(f'span {k} must be an object like {{"start": 0, "end": 4, '
                            '"label": "ORG"}')
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if not isinstance(label, str) or not label:
            raise SpanError(f"span {k} has no label; give it one, e.g. \"label\": \"ORG\"")
        if not (_is_int(start) and _is_int(end) and 0 <= start < end <= len(text)):
            raise SpanError(f"span {k} has start={start!r}, end={end!r}; need integers with "
                            f"0 <= start < end <= {len(text)} (the text's length)")
        first, last = by_start.get(start), by_end.get(end)
        if first is None or last is None:
            edge = "start" if first is None else "end"
            raise SpanError(
                f"span {k} ({start}-{end} {text[start:end]!r}, {label}) does not line up with "
                f"the tokens: its {edge} is inside a token; spans must start at a token's "
                "start and end at a token's end"
            )
        for key, expected in (("token_start", first), ("token_end", last)):
            if key in span and span[key] != expected:
                raise SpanError(f"span {k} has {key}={span[key]!r} but its character offsets "
                                f"{start}-{end} give {expected} ({key} is inclusive)")
        out.append({**span, "token_start": first, "token_end": last})
    out.sort(key=lambda s: (s["start"], s["end"]))
    if not allow_overlap:
        for a, b in zip(out, out[1:], strict=False):
            if b["start"] < a["end"]:
                raise SpanError(f"spans {a['start']}-{a['end']} ({a['label']}) and "
                                f"{b['start']}-{b['end']} ({b['label']}) overlap; entity spans "
                                "must not share a token")
    return out


def span_dict(tokens: list[dict[str, Any]], token_start: int, token_end: int,
              label: str) -> dict[str, Any]:
    """The Prodigy span covering tokens ``token_start``..``token_end`` (inclusive)."""
    return {"start": tokens[token_start]["start"], "end": tokens[token_end]["end"],
            "token_start": token_start, "token_end": token_end, "label": label}
