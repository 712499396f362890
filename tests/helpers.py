"""Small builders shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from altool.loop.config import TeachConfig

ROOT = Path(__file__).resolve().parents[1]  # the project
CLI_TIMEOUT_S = 120  # a hang fails the test instead of blocking the suite (not a timing check)


def teach_config(db_path: Path, *, labels=("spam",), view: str = "binary", dataset: str = "ds",
                 source: str = "src", **kwargs) -> TeachConfig:
    """A teach session's settings, for tests that build a worker themselves."""
    return TeachConfig(db_path=Path(db_path), dataset=dataset, source=source,
                       labels=tuple(labels), view=view, **kwargs)


def run_cli(
    *args: str | os.PathLike, input: str | None = None, cwd: str | os.PathLike | None = None
) -> subprocess.CompletedProcess:
    """Run ``python -m altool ARGS`` with the current ALTOOL_HOME (set by the ``home`` fixture).

    Returns the CompletedProcess with text stdout/stderr. Refuses to run without ALTOOL_HOME so
    a test can never write to the user's real ``~/.altool``."""
    if not os.environ.get("ALTOOL_HOME"):
        raise RuntimeError("run_cli needs ALTOOL_HOME: use the `home` fixture")
    env = dict(os.environ)
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "altool", *map(str, args)],
        input=input if input is not None else "",
        capture_output=True,
        start_new_session=True,  # no controlling terminal, as in CI: a UI can't open /dev/tty
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=CLI_TIMEOUT_S,
    )
