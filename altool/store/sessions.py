"""The sessions of a dataset: list them, and take one back (``stats DATASET``, ``db-out
--session``, ``drop --session``).

Every answer stores the session it was given in (``_session_id``, also a column of
``answers``); answers imported without one (``db-in`` of a file without ``_session_id``)
belong to no session: they are listed as such, and can't be dropped by session.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import AltoolError
from .database import Store


@dataclass(frozen=True)
class SessionInfo:
    """One session of a dataset: its answers and when it was active."""

    session_id: str | None  # None: answers stored without a session (imported)
    answers: int
    accept: int
    reject: int
    ignore: int
    first: int | None  # unix time of its first and last answer
    last: int | None
    annotators: tuple[str, ...]  # the answers' ``_annotator_id`` values, if any

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "annotators": list(self.annotators)}


def list_sessions(store: Store, dataset: str) -> list[SessionInfo]:
    """The dataset's sessions, oldest first (by their first answer)."""
    return [SessionInfo(session_id=sid, answers=n, accept=acc or 0, reject=rej or 0,
                        ignore=ign or 0, first=first, last=last,
                        annotators=tuple(sorted({str(a) for a in json.loads(who or "[]")})))
            for sid, n, acc, rej, ign, first, last, who in store.session_rows(dataset)]


def require_session(store: Store, dataset: str, session_id: str) -> SessionInfo:
    """The session ``session_id`` of ``dataset``, or an error that says how to find one."""
    for info in list_sessions(store, dataset):
        if info.session_id == session_id:
            return info
    raise AltoolError(f"dataset {dataset!r} has no session {session_id!r}; "
                      f"`altool stats {dataset}` lists its sessions")


def require_stopped(store: Store, dataset: str, session_id: str) -> None:
    """An error if the session still runs: it would go on storing answers under its id, and
    its worker would save its model again, trained on the answers taken back."""
    live = store.live_claim(dataset, session_id)
    if live is not None:
        host, pid = live
        raise AltoolError(f"session {session_id!r} is still running (process {pid} on {host}); "
                          "quit it first (q), then drop it")


def drop_session(store: Store, dataset: str, session_id: str) -> int:
    """Delete the answers of one session of ``dataset`` and its saved in-the-loop model (the
    next session trains on what remains); return how many answers went. Refused while the
    session runs."""
    require_session(store, dataset, session_id)
    require_stopped(store, dataset, session_id)
    return store.drop_session(dataset, session_id)
