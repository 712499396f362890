"""Text from data or from the user, made safe to print: the one place that decides.

Nothing read from a file, a database or the command line reaches the terminal raw. Two
dangers: terminal control sequences (ESC, C1 controls such as CSI ``\\x9b``, BEL, DEL) that can
retitle the terminal, clear the screen or hide text, plus the bidi controls that reorder what
is shown (U+202E shows ``txt.exe`` as ``exe.txt``); and Rich markup (``[/x]`` in a name made
Rich raise after a command had committed).

- :func:`safe` for a value inside a Rich markup string (messages, errors): controls shown as
  visible escapes (``\\x1b``), markup escaped.
- :func:`safe_text` for a value in a table cell or a title: a Rich ``Text`` (never parsed as
  markup) with controls shown as visible escapes.
- :func:`printable` for the text being annotated: line breaks normalised, controls drawn as
  U+FFFD (one cell each, so layouts that count cells stay right).
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text

BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
LINE_SEPARATORS = (0x2028, 0x2029)
# every C0 control but tab and newline, DEL, every C1 control, bidi controls, and the Unicode
# line/paragraph separators (some terminals break the line there, so a table row splits)
UNSAFE = (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS,
          *LINE_SEPARATORS)
# surrogate escapes: bytes of a command-line argument or file name that are not UTF-8
SURROGATES = range(0xDC80, 0xDD00)
_ESCAPES = {
    **{c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in UNSAFE},
    **{c: f"\\x{c - 0xDC00:02x}" for c in SURROGATES},  # shown as the byte it stands for
}
_ESCAPES_ONE_LINE = {**_ESCAPES, 0x0A: "\\n", 0x09: "\\t"}
_REPLACE = dict.fromkeys((*UNSAFE, *SURROGATES), "\ufffd")


def is_unsafe(char: str) -> bool:
    """Whether ``char`` is one the terminal must not receive raw."""
    return ord(char) in _ESCAPES


def visible(text: str, *, one_line: bool = False) -> str:
    """``text`` with every unsafe character written as a visible escape (``\\x1b``,
    ``\\u202e``); with ``one_line`` newlines and tabs too."""
    return text.translate(_ESCAPES_ONE_LINE if one_line else _ESCAPES)


def safe(value: Any, *, one_line: bool = False) -> str:
    """``value`` as text to put inside a Rich markup string: controls escaped visibly (with
    ``one_line`` newlines and tabs too), markup escaped (so ``[/x]`` prints as ``[/x]``)."""
    return escape(visible(str(value), one_line=one_line))


def safe_text(value: Any, style: str = "", *, one_line: bool = False) -> Text:
    """``value`` as a Rich ``Text`` (for table cells, titles): never parsed as markup, controls
    escaped visibly."""
    return Text(visible(str(value), one_line=one_line), style=style)


_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in UNSAFE if c >= 0x7F}


def json_safe(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with DEL, C1 controls, bidi
    controls and line separators written as ``\\uXXXX`` escapes: the same JSON value, but
    nothing a terminal acts on (JSON escapes the C0 controls itself)."""
    return text.translate(_JSON_ESCAPES)


def printable(text: str) -> str:
    """Text to annotate, safe to draw: line breaks normalised, each unsafe character drawn as
    U+FFFD (one cell, as Rich counts it)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_REPLACE)
