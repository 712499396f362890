"""``--exclude``, ``--text-field`` and ``--html-to-text`` on the recipes that read a SOURCE
without a model in the loop (textcat.manual, mark, textcat.correct, ner.manual, ner.correct):
the recipe functions are called as the CLI calls them and their sessions driven directly."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from altool.errors import AltoolError
from altool.recipes import RECIPES, load_builtin_recipes
from altool.recipes.runner import session_from_components
from altool.store.context import open_store

load_builtin_recipes()
TEXTS = [f"Text number {i} about Acme in Berlin." for i in range(5)]


@pytest.fixture(scope="module")
def ner_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A blank English pipeline with an (untrained) ner component, on disk."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("ner").add_label("ORG")
    nlp.initialize()
    path = tmp_path_factory.mktemp("pipeline") / "ner"
    nlp.to_disk(path)
    return path


@pytest.fixture(scope="module")
def textcat_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from altool.models import SklearnModel, save_model

    model = SklearnModel(["A", "B"], exclusive=True)
    model.fit(model.featurize(TEXTS * 4), np.array([[1, 0], [0, 1]] * 10, dtype=float))
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    save_model(model, path)
    return path


def recipe_kwargs(name: str, ner_pipeline: Path, textcat_model: Path) -> dict:
    return {
        "textcat.manual": {"label": "A,B"},
        "mark": {},
        "textcat.correct": {"model": str(textcat_model)},
        "ner.manual": {"label": "ORG"},
        "ner.correct": {"label": "ORG", "model": str(ner_pipeline)},
    }[name]


def asked(name: str, n: int, **kwargs) -> list[str]:
    """The texts of the first ``n`` questions of recipe ``name``'s session (each answered)."""
    components = RECIPES[name].func(**kwargs)
    out = []
    with open_store() as store:
        session = session_from_components(components, store)
        for _ in range(n):
            if session.advance() is None:
                break
            out.append(session.current.task["text"])
            session.answer("ignore")
        session.close()
    return out


MANUAL = ["textcat.manual", "mark", "textcat.correct", "ner.manual", "ner.correct"]


@pytest.mark.parametrize("name", MANUAL)
def test_exclude_skips_texts_answered_in_other_datasets(name, home, tmp_path, ner_pipeline,
                                                        textcat_model):
    source = tmp_path / "texts.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    with open_store() as store:  # answered elsewhere, in another view: the text counts
        store.add_answer("old", {"text": TEXTS[0], "label": "X", "answer": "accept"})
        store.add_answer("older", {"text": TEXTS[2], "answer": "reject"})
    kwargs = recipe_kwargs(name, ner_pipeline, textcat_model)
    got = asked(name, 5, dataset="ds", source=str(source), exclude="old, older", **kwargs)
    # mark asks about the task as it is, so it skips the same question (task hash): the
    # text answered with a label in "old" is another question; the others skip the text
    skipped = [2] if name == "mark" else [0, 2]
    assert got == [t for i, t in enumerate(TEXTS) if i not in skipped]
    # without --exclude every text is asked (a new dataset)
    assert asked(name, 5, dataset="ds2", source=str(source), **kwargs) == TEXTS


@pytest.mark.parametrize("name", [*MANUAL, "textcat.teach", "ner.teach"])
def test_exclude_of_an_unknown_dataset_is_refused(name, home, tmp_path, ner_pipeline,
                                                  textcat_model):
    source = tmp_path / "texts.jsonl"
    source.write_text(json.dumps({"text": TEXTS[0]}) + "\n")
    kwargs = {"label": "A"} if name == "textcat.teach" else {"label": "ORG"} \
        if name == "ner.teach" else recipe_kwargs(name, ner_pipeline, textcat_model)
    with open_store() as store:
        store.add_answer("old", {"text": "x", "answer": "accept"}, session_id="old-alex")
    with pytest.raises(AltoolError, match=r"--exclude names no dataset or session 'olf' "
                       r"\(datasets: old;"):
        RECIPES[name].func(dataset="ds", source=str(source), exclude="old-alex,old,olf",
                           **kwargs)
    with open_store() as store:  # refused before anything was stored
        assert store.source_names() == []


@pytest.mark.parametrize("name", MANUAL)
def test_a_source_file_with_text_field_html_and_gzip(name, home, tmp_path, ner_pipeline,
                                                     textcat_model):
    source = tmp_path / "reviews.jsonl.gz"
    source.write_bytes(gzip.compress(b'{"review": "Fine.<br />Really &amp; truly."}\n'))
    kwargs = recipe_kwargs(name, ner_pipeline, textcat_model)
    got = asked(name, 1, dataset="ds", source=str(source), text_field="review",
                html_to_text=True, **kwargs)
    assert got == ["Fine.\nReally & truly."]


def test_the_options_are_on_every_recipe_that_reads_a_source(cli):
    for name in [*MANUAL, "textcat.teach", "ner.teach"]:
        out = cli(name, "--help")
        assert out.returncode == 0
        for option in ("--exclude", "--text-field", "--html-to-text"):
            assert option in out.stdout, (name, option)
