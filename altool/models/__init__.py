"""Text models that learn in the loop, and the registry ``--model`` names them in.

- :mod:`.base`: the :class:`TextModel` protocol, capabilities, answers as targets
- :mod:`.linear`: one logistic regression per label
- :mod:`.ngram`: hashed n-grams + logistic regressions + Naive Bayes (the default, ``sklearn``)
- :mod:`.encoder`: sentence embeddings + logistic regressions (``embed``)
- :mod:`.spacy_textcat`, :mod:`.spacy_pipeline`: a spaCy text classifier (``spacy``)
- :mod:`.ner`, :mod:`.patterns`, :mod:`.calibration`: the NER model of ``ner.teach``
- :mod:`.cache`: features cached by text hash; :mod:`.saving`: model files;
  :mod:`.classifier`: ``altool train``'s model with scikit-learn's API, and its skops file
- :mod:`.registry`: names, capabilities, building and resuming

Names are imported on first use (this package imports nothing heavy by itself).
"""

from __future__ import annotations

from .._lazy import lazy_exports

_WHERE = {
    **dict.fromkeys(("TextModel", "targets_from_answers", "stack_rows", "capabilities_of",
                     "CAPABILITIES", "VECTORS", "REFIT", "CACHEABLE"), "models.base"),
    **dict.fromkeys(("PerLabelLogistic", "fit_per_label", "predict_per_label"), "models.linear"),
    **dict.fromkeys(("HashedFeatures", "SklearnModel", "NB_WEIGHT", "NB_ALPHA",
                     "logistic_only"), "models.ngram"),
    **dict.fromkeys(("MODEL_FILE", "save_model", "load_model"), "models.saving"),
    **dict.fromkeys(("MODELS", "ModelSpec", "ModelFactory", "register_model", "make_model",
                     "resume_model", "split_model_name", "model_capabilities", "models_with"),
                    "models.registry"),
    "EmbedModel": "models.encoder",
    **dict.fromkeys(("TextClassifier", "load_classifier", "save_safe", "SAFE_FILE"),
                    "models.classifier"),
    **dict.fromkeys(("featurizer_for", "feature_cache", "CachedFeaturizer"), "models.cache"),
}
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
__all__ = sorted(_WHERE)
