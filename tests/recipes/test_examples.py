"""The example recipes in recipes/: each loads with -F, runs, and stores what it should."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import altool
from altool.recipes import RECIPES, load_builtin_recipes, load_recipe_file
from altool.recipes.runner import session_from_components
from altool.store.context import open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "recipes"
SMS_GOLD = ROOT / "sample_data" / "sms_spam_gold.jsonl"


def example(file: str, name: str):
    load_builtin_recipes()
    load_recipe_file(str(EXAMPLES / file))
    recipe = RECIPES[name]
    assert not recipe.builtin
    return recipe.func


def start(components):
    store = open_store()
    session = session_from_components(components, store)
    session.advance()
    return session, store


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_every_example_is_listed_with_F(cli):
    args = [arg for f in sorted(EXAMPLES.glob("*.py")) for arg in ("-F", f)]
    result = cli("recipes", *args)
    assert result.returncode == 0, result.stderr
    for name in ("textcat.keywords", "stdin.mark", "textcat.checked", "textcat.sklearn"):
        assert name in result.stdout
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for f in EXAMPLES.glob("*.py"):
        assert f.name in readme


def test_keywords_first_then_file_order_and_resume(home, tmp_path):
    rows = [{"text": "quiet day"}, {"text": "The LEAGUE match"}, {"text": "rain"},
            {"text": "new coach"}, {"text": "rain"}]
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    recipe = example("keywords.py", "textcat.keywords")
    session, store = start(recipe(dataset="sport", source=str(source), label="Sports",
                                  keywords="league, match,coach"))
    shown = []
    while session.current is not None:
        shown.append(session.current.task["text"])
        session.answer("accept" if len(shown) == 1 else "reject")
        if len(shown) == 2:
            break
    assert shown == ["The LEAGUE match", "new coach"]
    [first, _] = store.iter_answers("sport")
    assert first["meta"]["keywords"] == "league, match" and first["label"] == "Sports"
    session.close()
    store.close()
    again, store = start(recipe(dataset="sport", source=str(source), label="Sports",
                                keywords="coach"))
    rest = []
    while again.current is not None:
        rest.append(again.current.task["text"])
        again.answer("ignore")
    assert rest == ["quiet day", "rain"]  # answered texts skipped, the duplicate once
    store.close()


def test_stdin_mark_reads_in_the_background(home, tmp_path):
    source = write_jsonl(tmp_path / "t.jsonl", [{"text": "a"}, {"text": "b"}])
    recipe = example("stdin_mark.py", "stdin.mark")
    components = recipe(dataset="m", source=str(source), label=None)
    assert components["view"] == "text"
    assert isinstance(components["stream"], altool.BackgroundStream)
    session, store = start(components)
    for answer in ("accept", "reject"):
        wait_for_question(session)
        session.answer(answer)
    assert [e["answer"] for e in store.iter_answers("m")] == ["accept", "reject"]
    store.close()
    labelled = recipe(dataset="m2", source=str(source), label="spam")
    assert labelled["view"] == "binary"
    session, store = start(labelled)
    assert wait_for_question(session).task["label"] == "spam"
    store.close()


def wait_for_question(session, timeout: float = 10.0):
    """The session's next question, once the background reader has it."""
    deadline = time.monotonic() + timeout
    while session.advance() is None:
        assert time.monotonic() < deadline, "no question arrived"
        time.sleep(0.01)
    return session.current


def test_validated_blocks_bad_answers_and_records_the_annotator(home, tmp_path):
    rows = [{"text": f"ticket {i}"} for i in range(4)]
    source = write_jsonl(tmp_path / "tickets.jsonl", rows)
    recipe = example("validated.py", "textcat.checked")
    components = recipe(dataset="t", source=str(source), label="billing,bug,feature,other",
                        max_labels=2, annotator="alice")
    session, store = start(components)
    with pytest.raises(ValueError, match="at most 2 labels"):
        session.answer("accept", ["billing", "bug", "feature"])
    with pytest.raises(ValueError, match="'other' can't be combined"):
        session.answer("accept", ["bug", "other"])
    assert store.count_answers("t") == 0
    session.answer("accept", ["billing", "bug"])
    assert session.status()["done"] == 0.25
    [eg] = store.iter_answers("t")
    assert eg["accept"] == ["billing", "bug"] and eg["meta"]["annotator"] == "alice"
    session.close()
    store.close()
    again, store = start(recipe(dataset="t", source=str(source), label="billing,bug,other",
                                max_labels=2, annotator="bob"))
    assert again.status()["done"] == 0.25 and again.current.task["text"] == "ticket 1"
    store.close()


def test_sklearn_pipeline_learns_from_updates(home, tmp_path):
    rows = [json.loads(line) for line in SMS_GOLD.read_text(encoding="utf-8").splitlines()]
    gold = {eg["text"]: eg["label"] for eg in rows}
    source = write_jsonl(tmp_path / "sms.jsonl", [{"text": eg["text"]} for eg in rows[:300]])
    recipe = example("sklearn_loop.py", "textcat.sklearn")
    components = recipe(dataset="spam", source=str(source), label="spam", batch_size=5)
    session, store = start(components)
    loop = components["update"].__self__
    for _ in range(40):
        text = session.current.task["text"]
        session.answer("accept" if gold.get(text) == "spam" else "reject")
    assert loop.fits >= 1, "no accept and reject among the first 40 in file order"
    # the next question is the one the latest model is least sure about
    score = session.current.task["meta"]["score"]
    others = loop.model.predict_proba([t["text"] for t in loop.pool])[:, 1]
    assert abs(score - 0.5) <= min(abs(others - 0.5)) + 1e-3
    session.close()
    store.close()
    # a new session learns from the stored answers before the first question
    resumed = recipe(dataset="spam", source=str(source), label="spam", batch_size=5)
    assert resumed["update"].__self__.fits == 1


def test_readme_recipe_example_runs(cli, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Writing your own"):]
    begin = section.index("```python\n") + len("```python\n")
    code = section[begin:section.index("\n```", begin)]
    file = tmp_path / "my_recipes.py"
    file.write_text(code, encoding="utf-8")
    helped = cli("-F", file, "news.triage", "--help")
    assert helped.returncode == 0 and "Is this news item urgent?" in helped.stdout
    assert "news.triage" in cli("recipes", "-F", file).stdout
    load_recipe_file(str(file))
    source = write_jsonl(tmp_path / "news.jsonl", [{"text": "a"}, {"text": "a"}, {"text": "b"}])
    session, store = start(RECIPES["news.triage"].func(dataset="n", source=str(source),
                                                         label="urgent"))
    assert session.current.task["label"] == "urgent"
    session.answer("accept")
    assert session.current.task["text"] == "b"  # the duplicate "a" is dropped
    store.close()
