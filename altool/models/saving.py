"""Saving and loading models: the in-the-loop model between sessions, and ``altool train``'s
output (``OUTPUT_DIR/model.joblib``).

Model files are pickles (joblib): loading one runs code stored in it. So altool writes them
readable and writable by their owner only (0600), and refuses to load a model file that
someone else could have written: one writable by group or others, or owned by another user.
Share a trained model only with people you trust, and load only model files you trust.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import AltoolError

MODEL_FILE = "model.joblib"  # the model inside a folder written by ``altool train``
MODE = 0o600


def save_model(model: Any, path: Path, dump: Callable[[Any, Any], Any] | None = None) -> None:
    """Write a model atomically with joblib (or ``dump(model, file)``): to a temporary file of
    its own beside ``path`` (two processes saving at once never share one), renamed into place
    when complete (a crash mid-save leaves the old file). The file is private to its owner
    (0600)."""
    if dump is None:
        import joblib

        dump = joblib.dump
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            dump(model, fh)
        os.chmod(tmp, MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_trusted(path: Path) -> None:
    """Refuse a model file that someone other than this user could have written (it would run
    their code): writable by group or others, or owned by another user."""
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid not in (os.getuid(), 0):
        raise AltoolError(f"{path}: the model file belongs to another user; a model file runs "
                          "code when loaded, so altool loads only your own (copy it if you "
                          "trust it)")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise AltoolError(f"{path}: the model file is writable by others, who could have "
                          "changed the code it runs when loaded; if you trust it, make it "
                          f"private first: chmod go-w {path}")


def load_model(path: Path) -> Any:
    """Load a model saved by altool (a file, or a folder written by ``altool train``) as the
    loop uses it (``altool train``'s scikit-learn-style wrapper is unwrapped). Only load files
    you trust: joblib runs pickled code (see :func:`check_trusted`)."""
    import joblib

    path = Path(path)
    if path.is_dir() and (path / MODEL_FILE).is_file():
        path = path / MODEL_FILE
    try:
        check_trusted(path)
    except FileNotFoundError:
        raise AltoolError(f"{path}: no such model file") from None
    try:
        model = joblib.load(path)
    except Exception as err:  # joblib/pickle raise many types for a damaged file
        raise AltoolError(f"{path}: can't load the saved model ({err})") from None
    if getattr(model, "is_altool_classifier", False):  # altool.models.classifier
        model = model.model
    if not hasattr(model, "predict_proba") or not hasattr(model, "labels"):
        raise AltoolError(f"{path}: not an altool model")
    return model
