"""Small builders shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from altool.loop.config import TeachConfig


def teach_config(db_path: Path, *, labels=("spam",), view: str = "binary", dataset: str = "ds",
                 source: str = "src", **kwargs) -> TeachConfig:
    """A teach session's settings, for tests that build a worker themselves."""
    return TeachConfig(db_path=Path(db_path), dataset=dataset, source=source,
                       labels=tuple(labels), view=view, **kwargs)
