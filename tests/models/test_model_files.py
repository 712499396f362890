"""Model files: private when written, refused when someone else could have written them, and
saved through temporary files of their own (concurrent saves used to share one and fail)."""

from __future__ import annotations

import multiprocessing as mp
import os

import pytest

from altool.errors import AltoolError
from altool.models import SklearnModel, load_model, save_model


def fitted() -> SklearnModel:
    import numpy as np

    model = SklearnModel(["spam"], n_features=2**12)
    texts = ["win cash now", "see you at lunch", "free prize call", "meeting at noon"]
    model.fit(model.featurize(texts), np.array([[1.0], [0.0], [1.0], [0.0]]))
    return model


def test_a_saved_model_is_private_and_loads(tmp_path):
    path = tmp_path / "m.joblib"
    save_model(fitted(), path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_model(path).labels == ["spam"]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_a_model_file_others_can_write_is_refused(tmp_path):
    path = tmp_path / "m.joblib"
    save_model(fitted(), path)
    os.chmod(path, 0o666)
    with pytest.raises(AltoolError, match="writable by others.*chmod go-w"):
        load_model(path)
    os.chmod(path, 0o644)  # readable by others is fine
    assert load_model(path).ready


def _save_many(path: str, n: int) -> int:
    model, failures = fitted(), 0
    for _ in range(n):
        try:
            save_model(model, path)
        except OSError:
            failures += 1
    return failures


def test_concurrent_saves_never_collide(tmp_path):
    path = str(tmp_path / "shared.joblib")
    with mp.get_context("spawn").Pool(3) as pool:
        failures = pool.starmap(_save_many, [(path, 20)] * 3)
    assert failures == [0, 0, 0]
    assert load_model(path).ready
    assert [p.name for p in tmp_path.iterdir()] == ["shared.joblib"]
