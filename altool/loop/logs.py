"""The worker's log: ``ALTOOL_HOME/logs/worker.log`` (a model failure's traceback, the
worker process's own output). The screen shows one line and the log's path."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from ..paths import log_dir


def log_path() -> Path:
    return log_dir() / "worker.log"


def log_note(text: str, detail: str = "") -> Path:
    """Append one dated line (and ``detail``) to the worker log; return the log's path."""
    log = log_path()
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n{detail}")
    except OSError:
        pass  # nowhere to log: the warning on screen still tells the user
    return log


def log_error(what: str) -> Path:
    """Append the current exception's traceback to the worker log; return the log's path."""
    return log_note(what, traceback.format_exc())
