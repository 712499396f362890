"""Which terminal app shows a session: the span views for ``ner`` / ``ner_manual``, the
text-classification app for every other view."""

from __future__ import annotations

from ..loop.session import Session
from .app import TeachApp
from .ner import NER_VIEWS, NerApp


def app_for(session: Session, title: str) -> TeachApp:
    """The terminal app for the session's view."""
    if session.view in NER_VIEWS:
        return NerApp(session, title)
    return TeachApp(session, title)
