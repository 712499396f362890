"""Prodigy habits on altool's command line: Prodigy's recipes take the spaCy model as a
positional argument (``textcat.teach DATASET SPACY_MODEL SOURCE``); altool's take it as an
option. :func:`positional_model_hint` turns such a command into a message with the equivalent
altool command."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

_BLANK = re.compile(r"^blank:([A-Za-z]{2,3}|xx)$")
_PACKAGE = re.compile(r"^([a-z]{2,3}|xx)_[A-Za-z0-9_]+$")  # en_core_web_sm, xx_ent_wiki_sm


def model_options(recipe: str, options: set[str], spacy_model: str) -> tuple[list[str], str]:
    """The altool options that stand for Prodigy's positional ``spacy_model`` in ``recipe``
    (whose options are ``options``), and a note when altool has no exact equivalent."""
    blank = _BLANK.match(spacy_model)
    package = _PACKAGE.match(spacy_model)
    lang = blank.group(1) if blank else package.group(1) if package else None
    if recipe == "textcat.teach":
        if blank:
            return ["--model", "spacy", "--lang", lang or "en"], \
                "or leave --model out: altool's default model needs no spaCy pipeline"
        return ["--model", f"spacy:{spacy_model}"], ""
    if "model" in options:
        return ["--model", spacy_model], ""
    if "lang" in options:
        note = "" if blank else (
            f"only the language: a blank pipeline is used, {spacy_model} is not loaded")
        if recipe == "ner.teach" and not blank:
            note += f"; to correct its entities, use ner.correct --model {spacy_model}"
        return (["--lang", lang] if lang else []), note
    return [], ""


def positional_model_hint(recipe: str, options: set[str], args: Sequence[str],
                          positional: Sequence[str], extra: Sequence[str]) -> str | None:
    """What to say about ``altool RECIPE DATASET SPACY_MODEL SOURCE ...`` (Prodigy's order),
    or None if the command does not look like one. ``args`` is the command line after
    ``altool``, ``positional`` the recipe's two positional values as parsed (dataset, and
    what landed in source: the model) and ``extra`` the arguments left over (the source)."""
    if len(positional) != 2 or len(extra) != 1 or not ({"model", "lang"} & options):
        return None
    dataset, spacy_model = positional
    source = extra[0]
    added, note = model_options(recipe, options, spacy_model)
    rest = list(args)
    at = rest.index(recipe) + 1 if recipe in rest else 0
    for value in (dataset, spacy_model, source):  # the positional values, in order
        del rest[rest.index(value, at)]
    command = shlex.join(["altool", *rest[:at], dataset, source, *rest[at:], *added])
    option = "--model" if "model" in options else "--lang (a blank pipeline's language)"
    message = (f"{recipe} takes 2 arguments, DATASET and SOURCE: altool takes the spaCy model "
               f"as an option, {option}, not as Prodigy's positional SPACY_MODEL. The same "
               f"command in altool:\n  {command}")
    return f"{message}\n({note})" if note else message
