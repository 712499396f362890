"""The peers (modAL, small-text) with a two-part model (``blend``, ``stack``): its n-gram rows and
sentence vectors side by side in one sparse matrix they can index, split back for the model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")


def test_a_two_part_model_sees_the_same_features_through_one_matrix(monkeypatch):
    import altool.models.blend as blend_module
    from benchmarks import peers

    monkeypatch.setattr(blend_module, "require_embed", lambda *a: None)
    monkeypatch.setattr("altool.models.encoder.require_embed", lambda *a: None)
    rng = np.random.default_rng(0)
    texts = [f"{'good' if i % 2 else 'bad'} w{rng.integers(9)} w{rng.integers(9)}"
             for i in range(60)]
    y = np.arange(60) % 2
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    model = blend_module.StackModel(["0", "1"])
    features = blend_module.BlendFeatures(model.ngram.featurize(texts), vectors)

    X, split = peers.one_matrix(features)
    assert split == features.ngrams.shape[1] and X.shape == (60, split + 8)
    assert peers.one_matrix(vectors) == (vectors, None)  # one-part features pass as they are

    clf = peers.AltoolModel(2, "stack", split).fit(X[:40], y[:40])
    direct = blend_module.StackModel(["0", "1"])
    direct.fit(features[np.arange(40)], np.eye(2)[y[:40]])
    assert np.allclose(clf.predict_proba(X[40:]), direct.predict_proba(features[np.arange(40, 60)]))
