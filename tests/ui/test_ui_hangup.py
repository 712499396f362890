"""The terminal UI when the terminal goes away (end to end: tests/e2e/test_faults.py)."""

from __future__ import annotations

import errno
import signal

import pytest

from altool.loop.session import Session
from altool.ui import app as ui
from altool.ui.app import TeachApp


class GoneTerminal:
    """A prompt_toolkit app whose terminal vanished: its last redraw fails with ``error``."""

    is_running = False

    def __init__(self, error: int) -> None:
        self.error = error

    def run(self) -> None:
        raise OSError(self.error, "the terminal is gone")


def test_eio_before_the_sighup_arrives_is_a_hang_up(store, monkeypatch):
    monkeypatch.setattr(TeachApp, "_build", lambda self: None)
    app = TeachApp(Session(store, "ds", [{"text": "x", "label": "A"}], view="binary"))
    detached: list[bool] = []
    monkeypatch.setattr(ui, "_detach_output", lambda: detached.append(True))
    previous = signal.getsignal(signal.SIGHUP)
    try:
        app.app = GoneTerminal(errno.EIO)
        app.run()  # returns: the caller's on_exit then saves, as after a SIGHUP
        assert detached == [True]
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN  # later hang-ups can't kill it
        app.app = GoneTerminal(errno.ENOSPC)  # any other error is still an error
        with pytest.raises(OSError, match="gone"):
            app.run()
    finally:
        signal.signal(signal.SIGHUP, previous)
