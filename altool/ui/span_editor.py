"""The pure span editing behind ``ner.manual``: no terminal, no I/O.

:class:`Editor` is the state of the manual span editor: a cursor over the tokens, an optional
selection, and the spans. Every operation returns a new editor (nothing is changed in place),
so undo is keeping the old ones. The overlap rule: **labelling a selection removes every
existing span that shares at least one token with it** (partly overlapped spans are removed
whole, not trimmed), so spans never overlap.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from typing import Any

from ..io.spans import normalize_spans, span_dict


@dataclass(frozen=True)
class Span:
    """An entity over tokens ``token_start``..``token_end`` (both inclusive)."""

    token_start: int
    token_end: int
    label: str

    def overlaps(self, first: int, last: int) -> bool:
        return self.token_start <= last and first <= self.token_end


@dataclass(frozen=True)
class Editor:
    """Cursor, selection and spans of one text. ``stops`` are the tokens the cursor can be on
    (all but whitespace tokens); the selection runs from ``anchor`` to ``cursor`` (both
    included), or is just the cursor's token when ``anchor`` is None. In ``visual`` mode
    (``v``) plain movement extends the selection, as shift+movement does."""

    stops: tuple[int, ...]
    spans: tuple[Span, ...] = ()
    cursor: int = 0
    anchor: int | None = None
    visual: bool = False

    @classmethod
    def from_task(cls, task: dict[str, Any]) -> Editor:
        """An editor on a tokenized task, its spans checked (:func:`normalize_spans`)."""
        tokens = task["tokens"]
        stops = tuple(t["id"] for t in tokens if not t["text"].isspace())
        spans = tuple(Span(s["token_start"], s["token_end"], s["label"])
                      for s in normalize_spans(task))
        return cls(stops, spans, cursor=stops[0] if stops else 0)

    # -- reading ---------------------------------------------------------------------------------
    @property
    def selection(self) -> tuple[int, int] | None:
        """First and last token of the selection (the cursor's token if nothing is selected);
        None for a text with no tokens to select."""
        if not self.stops:
            return None
        if self.anchor is None:
            return self.cursor, self.cursor
        return min(self.anchor, self.cursor), max(self.anchor, self.cursor)

    @property
    def selecting(self) -> bool:
        """Whether more than the cursor's token can be selected (shift or visual mode)."""
        return self.anchor is not None

    def span_at(self, token: int) -> Span | None:
        return next((s for s in self.spans if s.token_start <= token <= s.token_end), None)

    def to_spans(self, tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The spans as Prodigy span dicts with character offsets from ``tokens``."""
        return [span_dict(tokens, s.token_start, s.token_end, s.label) for s in self.spans]

    # -- moving ----------------------------------------------------------------------------------
    def move(self, steps: int, extend: bool = False) -> Editor:
        """Move the cursor ``steps`` tokens (negative: left), skipping whitespace tokens and
        stopping at the ends. ``extend`` (or visual mode) grows the selection; otherwise any
        selection is dropped."""
        if not self.stops:
            return self
        pos = bisect_left(self.stops, self.cursor) + steps
        return self.move_to(self.stops[max(0, min(len(self.stops) - 1, pos))], extend)

    def move_to(self, token: int, extend: bool = False) -> Editor:
        """Put the cursor on ``token`` (or the nearest selectable token after it)."""
        if not self.stops:
            return self
        pos = min(bisect_left(self.stops, token), len(self.stops) - 1)
        keep = extend or self.visual
        anchor = (self.cursor if self.anchor is None else self.anchor) if keep else None
        return replace(self, cursor=self.stops[pos], anchor=anchor)

    def toggle_visual(self) -> Editor:
        """``v``: start a selection at the cursor that movement extends, or leave that mode
        (dropping the selection)."""
        if self.visual:
            return replace(self, visual=False, anchor=None)
        return replace(self, visual=True, anchor=self.cursor)

    # -- editing ---------------------------------------------------------------------------------
    def assign(self, label: str) -> Editor:
        """Label the selection: spans sharing a token with it are removed, the new span added;
        the selection (and visual mode) ends, the cursor stays."""
        sel = self.selection
        if sel is None:
            return self
        kept = [s for s in self.spans if not s.overlaps(*sel)]
        spans = tuple(sorted([*kept, Span(sel[0], sel[1], label)], key=lambda s: s.token_start))
        return replace(self, spans=spans, anchor=None, visual=False)

    def delete(self) -> Editor:
        """Remove the spans sharing a token with the selection (without a selection: the span
        under the cursor). Returns ``self`` unchanged when there is none."""
        sel = self.selection
        if sel is None:
            return self
        kept = tuple(s for s in self.spans if not s.overlaps(*sel))
        if len(kept) == len(self.spans):
            return self
        return replace(self, spans=kept, anchor=None, visual=False)
