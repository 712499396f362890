"""spaCy match patterns (``--patterns FILE``) and their matches as spans on tokenized tasks.

The file is JSONL, one pattern per line, as in Prodigy and spaCy's EntityRuler::

    {"label": "ORG", "pattern": [{"lower": "acme"}, {"lower": "corp", "OP": "?"}]}
    {"label": "GPE", "pattern": "New York"}

A list is a token pattern for spaCy's ``Matcher`` (checked with spaCy's own validation); a
string is a phrase matched exactly, token by token (``PhraseMatcher`` on ``ORTH``). An
optional ``"id"`` names the pattern; otherwise it is known by its line (``FILE:LINE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import AltoolError, InputError
from ..io.loaders import decoded_lines, open_binary, parse_json_object
from ..io.spans import span_dict

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


@dataclass(frozen=True)
class Pattern:
    """One line of a patterns file."""

    label: str
    pattern: list[dict[str, Any]] | str
    id: str  # the line's "id", else "FILE:LINE"
    line: int


@dataclass(frozen=True)
class PatternMatch:
    """A match on a tokenized task: the Prodigy span and the pattern that produced it."""

    span: dict[str, Any]
    pattern: Pattern


def read_patterns(path: str) -> list[Pattern]:
    """Parse a patterns file; raise ``InputError`` (``FILE:LINE: ...``) on a bad line.

    Only the JSON structure is checked here; :class:`PatternMatcher` checks the token
    patterns themselves with spaCy."""
    patterns: list[Pattern] = []
    try:
        fh = open_binary(path)
    except OSError as err:
        raise AltoolError(f"{path}: can't read the patterns file ({err.strerror or err})") \
            from None
    with fh:
        for number, line in decoded_lines(fh, path, None):
            if isinstance(line, InputError):
                raise line
            if line.strip():
                patterns.append(_parse_line(parse_json_object(line, path, number), path, number))
    if not patterns:
        raise AltoolError(f"{path}: no patterns found (the file is empty)")
    return patterns


def _parse_line(obj: dict[str, Any], path: str, number: int) -> Pattern:
    example = '{"label": "ORG", "pattern": [{"lower": "acme"}]}'
    label = obj.get("label")
    if not isinstance(label, str) or not label.strip():
        raise InputError(path, number, f'missing "label" (a non-empty string); e.g. {example}')
    pattern = obj.get("pattern")
    if isinstance(pattern, str):
        if not pattern.strip():
            raise InputError(path, number, '"pattern" is an empty string; give the phrase to '
                             "match")
    elif not isinstance(pattern, list) or not pattern:
        got = "missing" if pattern is None else f"got {type(pattern).__name__}"
        raise InputError(path, number, '"pattern" must be a non-empty list of token patterns '
                         f'or a phrase string ({got}); e.g. {example}')
    pid = obj.get("id")
    return Pattern(label.strip(), pattern, str(pid) if pid is not None else f"{path}:{number}",
                   number)


class PatternMatcher:
    """spaCy ``Matcher``/``PhraseMatcher`` over the patterns; :meth:`matches` returns spans.

    Raises ``InputError`` with the pattern's line when spaCy rejects a token pattern."""

    def __init__(self, nlp: Language, patterns: list[Pattern], path: str = "patterns") -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.nlp = nlp
        self.patterns = patterns
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.phrases = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._by_key: dict[int, Pattern] = {}
        for index, p in enumerate(patterns):
            name = f"altool-pattern-{index}"
            self._by_key[nlp.vocab.strings.add(name)] = p
            if isinstance(p.pattern, str):
                self.phrases.add(name, [nlp.make_doc(p.pattern)])
                continue
            try:
                self.matcher.add(name, [p.pattern])
            except (ValueError, re.error) as err:  # spaCy's MatchPatternError is a ValueError
                raise InputError(path, p.line, f"invalid token pattern: {_spacy_reason(err)}; "
                                 "see https://spacy.io/usage/rule-based-matching") from None

    @classmethod
    def from_file(cls, nlp: Language, path: str) -> PatternMatcher:
        return cls(nlp, read_patterns(path), path)

    @property
    def labels(self) -> list[str]:
        return sorted({p.label for p in self.patterns})

    def matches(self, task: dict[str, Any]) -> list[PatternMatch]:
        """Every match on the tokenized ``task`` (overlaps included), sorted by position."""
        doc = self._doc(task)
        tokens = task["tokens"]
        found = {(start, end, key) for matcher in (self.matcher, self.phrases) if len(matcher)
                 for key, start, end in matcher(doc)}
        out = []
        for start, end, key in sorted(found):
            p = self._by_key[key]
            out.append(PatternMatch(span_dict(tokens, start, end - 1, p.label), p))
        return out

    def _doc(self, task: dict[str, Any]) -> Doc:
        from spacy.tokens import Doc

        tokens = task["tokens"]
        words = [t["text"] for t in tokens]
        spaces = [nxt["start"] > t["end"] for t, nxt in zip(tokens, tokens[1:], strict=False)]
        return Doc(self.nlp.vocab, words=words, spaces=[*spaces, False][: len(words)])


def non_overlapping(matches: list[PatternMatch]) -> list[dict[str, Any]]:
    """The spans of ``matches`` without overlaps: longer matches first, then earlier ones
    (spaCy's ``filter_spans`` rule); sorted by position."""
    ranked = sorted(matches, key=lambda m: (m.span["start"] - m.span["end"], m.span["start"]))
    taken: list[dict[str, Any]] = []
    for m in ranked:
        s = m.span
        if all(s["end"] <= t["start"] or t["end"] <= s["start"] for t in taken):
            taken.append(s)
    return sorted(taken, key=lambda s: s["start"])


def _spacy_reason(err: Exception) -> str:
    """spaCy's validation message on one line (without its "rule 'altool-pattern-3'" header)."""
    lines = [line.strip(" -") for line in str(err).splitlines() if line.strip()]
    details = [line for line in lines if not line.startswith(("Invalid token patterns",
                                                              "Pattern 0", "Key:"))]
    return "; ".join(details or lines)
