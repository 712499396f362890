"""spaCy pipelines for the in-the-loop models: loading by name or path, and pickling.

A model holding a ``Language`` pickles it as its config and bytes (:func:`pipeline_state`,
:func:`pipeline_from_state`), so :func:`altool.models.save_model` can save it like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AltoolError

if TYPE_CHECKING:
    from spacy.language import Language


def load_pipeline(name: str) -> Language:
    """An installed pipeline package, a pipeline folder, or ``blank:LANG``."""
    import spacy

    check_pipeline(name)
    try:
        return spacy.load(name)
    except (OSError, ImportError, ValueError) as err:
        raise AltoolError(
            f"spacy:{name}: can't load this spaCy pipeline ({str(err).splitlines()[0]}); give "
            "the name of an installed pipeline package or the path of a pipeline folder"
        ) from None


def check_pipeline(name: str) -> None:
    """Fail early (without loading it) on a pipeline name that can't be loaded."""
    import spacy.util

    if name.startswith("blank:"):
        lang = name.partition(":")[2]
        try:
            spacy.util.get_lang_class(lang)
        except ImportError:
            raise AltoolError(f"--lang {lang}: spaCy has no such language; use a code such "
                              "as en, de, fr") from None
    elif not Path(name).is_dir() and not spacy.util.is_package(name):
        raise AltoolError(f"spacy:{name}: no installed spaCy pipeline or pipeline folder of "
                          "that name")


def pipeline_state(nlp: Language) -> dict[str, Any]:
    return {"nlp_config": nlp.config.to_str(), "nlp_bytes": nlp.to_bytes()}


def pipeline_from_state(state: dict[str, Any]) -> Language:
    """Rebuild a pipeline from :func:`pipeline_state` (removing its keys from ``state``)."""
    from spacy.util import load_model_from_config
    from thinc.api import Config

    config, data = state.pop("nlp_config"), state.pop("nlp_bytes")
    nlp = load_model_from_config(Config().from_str(config), auto_fill=False, validate=False)
    return nlp.from_bytes(data)
