"""The altool.json config file: validation, precedence (flags > working dir > ALTOOL_HOME)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from altool.cli.config import default_map
from altool.configfile import load_config, read_config_file
from altool.errors import AltoolError

ROOT = Path(__file__).resolve().parents[2]
SMS = ROOT / "sample_data" / "sms_spam.jsonl"


def write(path: Path, text: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "altool.json").write_text(text, encoding="utf-8")
    return path / "altool.json"


def test_values_are_checked_and_converted(tmp_path):
    file = write(tmp_path, json.dumps({"batch_size": 4, "labels": ["A", "B"], "db": "my.db"}))
    assert read_config_file(file) == {"batch_size": 4, "labels": "A,B",
                                      "db": str(tmp_path / "my.db")}


@pytest.mark.parametrize("text, message", [
    ('{"batch_size": 4,\n "labels": ["A"]\n "db": "x"}', ":3: invalid JSON: Expecting ',' "
     "delimiter (column 2)"),
    ('{"batch_size": 4,\n "batchsize": 5}', ":2: unknown key 'batchsize'; allowed: db, "
     "batch_size, budget, labels, annotator, cluster"),
    ('{"budget": 0}', ":1: 'budget' must be a positive integer"),
    ('{\n"batch_size": "4"}', ":2: 'batch_size' must be a positive integer"),
    ('{"labels": []}', ":1: 'labels' must be a list of labels"),
    ('["batch_size", 4]', ":1: the config must be a JSON object"),
])
def test_bad_config_names_file_and_line(tmp_path, text, message):
    file = write(tmp_path, text)
    with pytest.raises(AltoolError) as err:
        read_config_file(file)
    assert str(err.value).startswith(f"{file}{message}")


def test_working_dir_wins_over_home(home, tmp_path, monkeypatch):
    write(home, '{"batch_size": 3, "labels": "A,B"}')
    work = tmp_path / "work"
    write(work, '{"batch_size": 7}')
    monkeypatch.chdir(work)
    assert load_config() == {"batch_size": 7, "labels": "A,B"}
    monkeypatch.chdir(tmp_path)
    assert load_config() == {"batch_size": 3, "labels": "A,B"}


def test_default_map_reaches_every_command_with_the_option():
    @click.group()
    @click.option("--db")
    def group(db):
        pass

    @group.command("teach")
    @click.option("--label")
    @click.option("--batch-size", type=int)
    def teach(label, batch_size):
        pass

    @group.command("stats")
    def stats():
        pass

    config = {"labels": "A,B", "batch_size": 5, "db": "/x.db"}
    assert default_map(group, config) == {
        "db": "/x.db", "teach": {"label": "A,B", "batch_size": 5}}
    assert default_map(group, {"db": "/x.db"}) == {"db": "/x.db"}


def test_cli_precedence_for_db(cli, home, tmp_path):
    """db from the home config, overridden by the working dir's, overridden by --db."""
    write(home, '{"db": "home.db"}')
    work = tmp_path / "work"
    assert cli("load", "src", SMS, cwd=tmp_path).returncode == 0
    assert (home / "home.db").exists()
    write(work, '{"db": "work.db"}')
    assert cli("load", "src", SMS, cwd=work).returncode == 0
    assert (work / "work.db").exists()
    flagged = cli("load", "src", SMS, "--db", tmp_path / "flag.db", cwd=work)
    assert flagged.returncode == 0 and (tmp_path / "flag.db").exists()
    assert cli("--db", tmp_path / "flag2.db", "load", "src", SMS, cwd=work).returncode == 0
    assert (tmp_path / "flag2.db").exists()
    assert cli("--db", tmp_path / "flag2.db", "stats", cwd=work).returncode == 0


def test_cli_uses_config_defaults_in_recipes(cli, home):
    write(home, '{"labels": ["spam", "ham"], "batch_size": 25}')
    helped = cli("textcat.teach", "--help")
    assert "[default: spam,ham; required]" in helped.stdout
    assert "[default: 25; x>=1]" in helped.stdout


def test_cli_bad_config_is_a_user_error(cli, home):
    write(home, '{"batch_size": 0}')
    result = cli("stats")
    assert result.returncode == 1
    assert f"{home / 'altool.json'}:1: 'batch_size' must be a positive integer" in result.stderr


def test_budget_sets_the_teach_recipes_not_simulate(cli, home):
    """``budget`` means answers a dataset may hold; simulate's --budget is labels per run."""
    write(home, '{"budget": 7}')
    teach = cli("textcat.teach", "--help")
    assert teach.returncode == 0 and "default: 7" in " ".join(teach.stdout.split())
    sim = cli("simulate", "--help")
    assert sim.returncode == 0 and "default: 7" not in " ".join(sim.stdout.split())


def test_annotator_from_the_config_reaches_every_recipe():
    from altool.cli import build_app
    from altool.recipes import load_builtin_recipes

    load_builtin_recipes()
    import typer

    command = typer.main.get_command(build_app())
    defaults = default_map(command, {"annotator": "sam", "budget": 50})
    assert defaults["textcat.teach"] == {"annotator": "sam", "budget": 50}
    assert defaults["ner.manual"] == {"annotator": "sam"}
    assert "stats" not in defaults and "simulate" not in defaults
