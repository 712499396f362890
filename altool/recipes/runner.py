"""Run a recipe's components as an interactive session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import AltoolError
from ..loop.session import Session
from ..store.context import open_store
from .components import check_components


@dataclass
class Summary:
    dataset: str
    answered: int
    dataset_total: int
    session_id: str
    notes: list[str] = field(default_factory=list)
    checks: int = 0  # rechecks answered (stored as checks, not answers)


def session_from_components(components: dict[str, Any], store, recipe: str | None = None,
                            annotator: str | None = None) -> Session:
    """Build a :class:`Session` from what a recipe returned (validating it first). A new
    dataset is created by its first answer, with its labels, view and recipe as its meta.
    With an ``annotator``, the session is theirs (``_annotator_id``, session id
    ``DATASET-NAME``)."""
    check_components(components)
    config = components.get("config") or {}
    meta = {"recipe": recipe, "labels": config.get("labels"), "view": components["view"],
            "multilabel": bool(config.get("multilabel"))}
    return Session(
        store,
        components["dataset"],
        components["stream"],
        view=components["view"],
        labels=config.get("labels"),
        multilabel=bool(config.get("multilabel")),
        batch_size=int(config.get("batch_size", 10)),
        exclude=components.get("exclude"),
        update=components.get("update"),
        validate_answer=components.get("validate_answer"),
        status=components.get("status"),
        progress=components.get("progress"),
        before_db=components.get("before_db"),
        exclude_by=config.get("exclude_by", "task"),
        dataset_meta={k: v for k, v in meta.items() if v is not None},
        budget=config.get("budget"),
        annotator=annotator,
        recheck=config.get("recheck") or 0.0,
        seed=config.get("seed"),
    )


def run_components(components: dict[str, Any], recipe: str | None = None,
                   annotator: str | None = None) -> Summary:
    """Open the terminal UI on a recipe's components; always runs ``on_exit``. If the dataset
    was dropped while the session ran, says so (after ``on_exit``) with an error."""
    from ..ui.screens import app_for

    store = open_store()
    session = None
    try:
        session = session_from_components(components, store, recipe, annotator)
        title = (components.get("config") or {}).get("title") or f"altool · {session.dataset}"
        app_for(session, title).run()
    finally:
        if session is not None:
            session.close()
        on_exit = components.get("on_exit") if isinstance(components, dict) else None
        if on_exit is not None:
            on_exit(session)
        store.close()
    if session.gone:
        raise AltoolError(
            f"dataset {session.dataset!r} was dropped (by another command) while this session "
            f"was running: the {session.count:,} answers stored before that went with it, the "
            "last answer was not stored, and nothing was stored anywhere else")
    return Summary(session.dataset, session.count, session.dataset_total, session.session_id,
                   [*session.notes, *budget_note(session), *(components.get("notes") or ())],
                   session.checks)


def budget_note(session: Session) -> list[str]:
    """What to say after a session that used up its budget."""
    if not session.budget_reached:
        return []
    return [f"the budget of {session.budget:,} answers is used up ({session.dataset_total:,} "
            "in the dataset); to go on, run again with a larger --budget"]
