"""``ner.manual`` and ``ner.correct``: mark entity spans by hand in the terminal.

Both show one text at a time, tokenized, with spans pre-highlighted (pattern matches, or a
spaCy pipeline's predictions) for the annotator to fix with the ``ner_manual`` keys; answers
are stored with ``tokens`` and ``spans`` in Prodigy's format. A text answered once (in any
way) is not asked again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import AltoolError
from ..io.hashing import set_hashes
from ..io.spans import SpanError, blank_nlp, check_tokens, doc_tokens, make_tokens, span_dict
from ..models.patterns import PatternMatcher, non_overlapping
from ..store.ingest import stored_examples
from .manual import open_source
from .options import (
    AddLabelsOption,
    ExcludeOption,
    HtmlOption,
    LoaderOption,
    SourceArgument,
    TextFieldOption,
    split_labels,
    split_names,
)
from .registry import recipe

if TYPE_CHECKING:
    from spacy.language import Language

MAX_LABELS = 9  # one digit key each
EntityLabelOption = Annotated[
    str, typer.Option("--label", "-l", help=f"Entity labels, comma-separated (at most "
                      f"{MAX_LABELS}; keys 1-{MAX_LABELS}): PER,ORG,LOC.")
]
DatasetArgument = Annotated[str, typer.Argument(help="Dataset to save the annotations to.")]


def entity_labels(value: str) -> list[str]:
    labels = split_labels(value)
    if len(labels) > MAX_LABELS:
        raise AltoolError(f"--label has {len(labels)} labels; the span editor has keys for "
                          f"{MAX_LABELS} (1-9): annotate in two passes with fewer labels")
    return labels


def task_of(eg: dict[str, Any], tokens: list[dict[str, Any]],
            spans: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A span task from a source example: its tokens, and ``spans`` where it had none (spans
    already in the example are kept as they are); hashes computed afresh."""
    task = {k: v for k, v in eg.items() if k != "_task_hash"}
    task["tokens"] = tokens
    if spans and not task.get("spans"):
        task["spans"] = spans
    return set_hashes(task)


def _tokens(nlp: Language, eg: dict[str, Any]) -> list[dict[str, Any]]:
    """The example's own tokens if they fit its text, else spaCy's."""
    if "tokens" in eg:
        try:
            check_tokens(eg["text"], eg["tokens"])
            return eg["tokens"]
        except SpanError:
            pass  # made afresh below; the editor checks the example's spans against them
    return make_tokens(nlp, eg["text"])


def manual_tasks(examples: Iterable[dict[str, Any]], nlp: Language, labels: list[str],
                 matcher: PatternMatcher | None = None) -> Iterator[dict[str, Any]]:
    """Tokenized tasks, pattern matches (with one of ``labels``) pre-highlighted."""
    for eg in examples:
        tokens = _tokens(nlp, eg)
        spans = None
        if matcher is not None:
            tokenized = {"text": eg["text"], "tokens": tokens}
            spans = non_overlapping([m for m in matcher.matches(tokenized)
                                     if m.span["label"] in labels])
        yield task_of(eg, tokens, spans)


def predicted_tasks(examples: Iterable[dict[str, Any]], nlp: Language, labels: list[str],
                    batch_size: int = 32) -> Iterator[dict[str, Any]]:
    """Tasks tokenized by the pipeline, its entities (with one of ``labels``) pre-highlighted;
    texts are processed lazily, ``batch_size`` at a time."""
    pairs = ((eg["text"], eg) for eg in examples)
    for doc, eg in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
        tokens = doc_tokens(doc)
        spans = [span_dict(tokens, e.start, e.end - 1, e.label_) for e in doc.ents
                 if e.label_ in labels]
        yield task_of(eg, tokens, spans)


def load_pipeline(name: str) -> Language:
    """``spacy.load`` an installed pipeline package or a pipeline folder (never downloads);
    it must predict entities."""
    import spacy

    try:
        nlp = spacy.load(name)
    except OSError as err:
        raise AltoolError(f"--model {name!r}: not an installed spaCy pipeline or a pipeline "
                          f"folder ({str(err).splitlines()[0]})") from None
    except (ValueError, KeyError, ImportError) as err:
        raise AltoolError(f"--model {name!r}: spaCy can't load it ({type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else ''})") from None
    if not {"ner", "entity_ruler"} & set(nlp.pipe_names):
        raise AltoolError(f"--model {name!r} has no ner or entity_ruler component (its "
                          f"components: {', '.join(nlp.pipe_names) or 'none'}); it can't "
                          "predict entities")
    return nlp


def _components(dataset: str, stream: Iterator[dict[str, Any]], labels: list[str],
                title: str, exclude: list[str]) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "stream": stream,
        "view": "ner_manual",
        "exclude": exclude,
        "config": {"labels": labels, "exclude_by": "input", "title": title},
    }


@recipe("ner.manual")
def ner_manual(
    dataset: DatasetArgument,
    source: SourceArgument,
    label: EntityLabelOption,
    patterns: Annotated[
        str | None, typer.Option(help="JSONL file of spaCy match patterns whose matches are "
                                 "pre-highlighted, e.g. {\"label\": \"ORG\", \"pattern\": "
                                 "[{\"lower\": \"acme\"}]} or a phrase string.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the spaCy tokenizer "
                                      "(spacy.blank).")] = "en",
    loader: LoaderOption = None,
    add_labels: AddLabelsOption = False,
    exclude: ExcludeOption = "",
    text_field: TextFieldOption = None,
    html_to_text: HtmlOption = False,
) -> dict[str, Any]:
    """Mark entity spans by hand, token by token (--patterns pre-highlights matches)."""
    labels = entity_labels(label)
    nlp = blank_nlp(lang)
    matcher = PatternMatcher.from_file(nlp, patterns) if patterns else None
    excluded = split_names(exclude)
    name = open_source(dataset, source, loader, labels, add_labels, text_field=text_field,
                       html=html_to_text, exclude=excluded)
    stream = manual_tasks(stored_examples(name), nlp, labels, matcher)
    return _components(dataset, stream, labels, f"ner.manual · {dataset} · {name}", excluded)


@recipe("ner.correct")
def ner_correct(
    dataset: DatasetArgument,
    source: SourceArgument,
    label: EntityLabelOption,
    model: Annotated[
        str, typer.Option(help="An installed spaCy pipeline (package name) or the folder of "
                          "one (nlp.to_disk) with an ner component; never downloaded.")
    ],
    loader: LoaderOption = None,
    add_labels: AddLabelsOption = False,
    exclude: ExcludeOption = "",
    text_field: TextFieldOption = None,
    html_to_text: HtmlOption = False,
) -> dict[str, Any]:
    """Correct a spaCy pipeline's entity predictions by hand (same keys as ner.manual)."""
    labels = entity_labels(label)
    nlp = load_pipeline(model)
    excluded = split_names(exclude)
    name = open_source(dataset, source, loader, labels, add_labels, text_field=text_field,
                       html=html_to_text, exclude=excluded)
    stream = predicted_tasks(stored_examples(name), nlp, labels)
    return _components(dataset, stream, labels, f"ner.correct · {dataset} · {name}",
                       excluded)
