"""Shared fixtures for the unit and CLI tests.

``home`` points ALTOOL_HOME at a temporary folder (so no test touches ``~/.altool``), ``store``
is a Store on a temporary database, and :func:`run_cli` runs the real ``python -m altool`` in a
subprocess (``cli.main`` calls ``sys.exit``; a subprocess shows the real exit code and streams).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from altool.store import Store, context
from tests.helpers import run_cli
from tests.tmux_driver import Tmux, require_tmux

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session", autouse=True)
def _session_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test touches ``~/.altool``: ALTOOL_HOME is a temporary folder for the whole session
    (tests that need a fresh one take ``home``)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("ALTOOL_HOME", str(tmp_path_factory.mktemp("session-home")))
    yield
    patch.undo()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ALTOOL_HOME for this test (also seen by :func:`run_cli` subprocesses)."""
    path = tmp_path / "altool-home"
    monkeypatch.setenv("ALTOOL_HOME", str(path))
    context.set_db_path(None)
    yield path
    context.set_db_path(None)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "store.db")
    yield s
    s.close()


@pytest.fixture
def datasets_dir() -> Path:
    """The shared real datasets; the test is skipped when they are not there."""
    if not (DATASETS / "jsonl").is_dir():
        pytest.skip(f"real datasets not found at {DATASETS}")
    return DATASETS


@pytest.fixture
def cli(home: Path):
    """:func:`run_cli` with ALTOOL_HOME already set up."""
    return run_cli


@pytest.fixture
def tm(tmp_path: Path):
    """A private tmux server for driving the real program (skips without tmux)."""
    require_tmux()
    driver = Tmux(tmp_path)
    yield driver
    driver.close()


@pytest.fixture(autouse=True)
def no_terminal_for_the_ui(monkeypatch):
    """Tests run as in CI even from a terminal: an annotation UI started in-process finds no
    terminal (it would open /dev/tty and wait for keys, and ``pytest`` would hang)."""
    import altool.ui.app as app
    from altool.errors import AltoolError

    def no_terminal():
        raise AltoolError(app.NO_TERMINAL)

    monkeypatch.setattr(app, "_terminal_input", no_terminal)
