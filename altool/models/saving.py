"""Saving and loading models: the in-the-loop model between sessions, and ``altool train``'s
output (``OUTPUT_DIR/model.joblib``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import AltoolError

MODEL_FILE = "model.joblib"  # the model inside a folder written by ``altool train``


def save_model(model: Any, path: Path) -> None:
    """Write a model atomically with joblib (a crash mid-save leaves the old file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    import joblib

    tmp = path.with_suffix(path.suffix + ".tmp")
    joblib.dump(model, tmp)
    tmp.replace(path)


def load_model(path: Path) -> Any:
    """Load a model saved by altool (a file, or a folder written by ``altool train``). Only
    load files you trust: joblib runs pickled code."""
    import joblib

    path = Path(path)
    if path.is_dir() and (path / MODEL_FILE).is_file():
        path = path / MODEL_FILE
    try:
        model = joblib.load(path)
    except Exception as err:  # joblib/pickle raise many types for a damaged file
        raise AltoolError(f"{path}: can't load the saved model ({err})") from None
    if not hasattr(model, "predict_proba") or not hasattr(model, "labels"):
        raise AltoolError(f"{path}: not an altool model")
    return model
