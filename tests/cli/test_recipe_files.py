"""-F FILE is an option like any other: never taken from another option's value, after --, or
from a file argument (the file's code used to run in each of those places)."""

from __future__ import annotations

import pytest

from altool.cli import recipe_files


@pytest.fixture
def payload(tmp_path):
    marker = tmp_path / "RAN"
    path = tmp_path / "payload.py"
    path.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    return path, marker


@pytest.mark.parametrize("args", [
    ["textcat.teach", "ds", "src", "--label", "-F{payload}"],
    ["textcat.manual", "ds", "src", "--label", "-F", "{payload}"],
    ["stats", "--", "-F{payload}"],
    ["db-in", "-F{payload}", "answers.jsonl"],
    ["load", "src", "-F{payload}"],
    ["no.such.command", "-F{payload}"],
])
def test_a_payload_anywhere_but_an_f_option_never_runs(cli, tmp_path, payload, args):
    path, marker = payload
    cli(*[arg.format(payload=path) for arg in args], cwd=tmp_path)
    assert not marker.exists(), args


def test_f_before_the_command_or_among_its_options_is_read():
    assert recipe_files(["-F", "a.py", "-Fb.py", "mine.recipe", "ds"]) == ["a.py", "b.py"]
    assert recipe_files(["recipes", "-F", "a.py", "-F", "b.py"]) == ["a.py", "b.py"]
    assert recipe_files(["textcat.teach", "ds", "src", "--label", "-Fx.py", "-F", "r.py"]) \
        == ["r.py"]
    assert recipe_files(["stats", "--", "-F", "x.py"]) == []
    assert recipe_files([]) == [] and recipe_files(["--db", "x.db"]) == []


def test_a_file_recipe_with_f_after_its_name_gets_the_fix(cli, tmp_path):
    recipe = tmp_path / "mine.py"
    recipe.write_text("import altool\n\n@altool.recipe('mine.hello')\n"
                      "def hello(dataset: str):\n    '''Say hello.'''\n")
    out = cli("mine.hello", "ds", "-F", recipe)
    assert out.returncode == 1
    assert "needs the file before its name: altool -F FILE mine.hello" in out.stderr
    helped = cli("-F", recipe, "mine.hello", "--help")
    assert helped.returncode == 0 and "Say hello." in helped.stdout
