"""Errors that carry a message a user can act on.

Every error a user can cause (bad input, unknown names, a locked or broken database)
is an :class:`AltoolError`. The CLI prints its message on stderr and exits with
``exit_code``; it never shows a traceback for one.
"""

from __future__ import annotations


class AltoolError(Exception):
    """A problem the user can fix; ``str(err)`` says what happened and what to do."""

    exit_code = 1


class InputError(AltoolError):
    """Bad input at a known place: ``FILE:LINE: message``."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
