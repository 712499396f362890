"""The ``altool`` command line, run for real in a subprocess (exit codes, stdout, stderr).

Each subprocess costs about half a second, so set-up and checks that are not about the CLI
itself go through the Store API in-process.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from altool import __version__
from altool.io.hashing import set_hashes
from altool.io.loaders import Record
from altool.store import SCHEMA_VERSION, Store
from altool.strategies.registry import DEFAULT_STRATEGY

COMMANDS = ["load", "db-in", "db-out", "stats", "progress", "drop", "recipes", "textcat.teach",
            "suspects", "agreement"]


def default_db() -> Path:
    return Path(os.environ["ALTOOL_HOME"]) / "altool.db"


def db_stats(path: Path | None = None) -> dict:
    with Store(path or default_db()) as store:
        return store.stats()


def seed(path: Path | None = None, *, sources=None, datasets=None) -> None:
    """Create sources ({name: [texts]}) and datasets ({name: [answers]}) in-process."""
    with Store(path or default_db()) as store:
        for name, texts in (sources or {}).items():
            store.add_source(name, [Record(i + 1, {"text": t}) for i, t in enumerate(texts)])
        for name, rows in (datasets or {}).items():
            store.add_answers(name, [{**r, "answer": r.get("answer", "accept")} for r in rows])


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def load_text(cli, path: Path, text: str, *args):
    """Write ``text`` to ``path`` and ``altool load src`` it."""
    path.write_text(text)
    return cli("load", "src", path, *args)


def ok(res) -> None:
    assert res.returncode == 0, f"exit {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    assert "Traceback" not in res.stderr


def fails(res, code: int = 1) -> None:
    assert res.returncode == code, f"exit {res.returncode}\nstderr: {res.stderr}"
    assert "Traceback" not in res.stderr
    assert "Unexpected error" not in res.stderr


def jsonl_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- help, version, usage errors -------------------------------------------------------------
@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command(cli, command):
    res = cli(command, "--help")
    ok(res)
    assert f"Usage: altool {command}" in res.stdout
    if command != "recipes":
        assert "--db" in res.stdout


def test_version(cli):
    res = cli("--version")
    ok(res)
    assert res.stdout.strip() == f"altool {__version__}"


def test_bare_python_m_altool_shows_usage_and_commands(cli):
    res = cli()
    assert res.returncode in (0, 2)
    assert "Traceback" not in res.stderr
    out = res.stdout + res.stderr
    assert "Usage: altool" in out
    for command in COMMANDS:
        assert command in out


def test_unknown_command_is_a_usage_error(cli):
    res = cli("frobnicate")
    fails(res, 2)
    assert "No such command 'frobnicate'" in res.stderr
    assert res.stdout == ""


def test_recipes_lists_textcat_teach(cli):
    res = cli("recipes")
    ok(res)
    assert "textcat.teach" in res.stdout and "built-in" in res.stdout


# -- load ------------------------------------------------------------------------------------
def test_load_success(cli, tmp_path, home):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a"}, {"text": "b"}, {"text": "a"},
                                              {"text": "c"}])
    res = cli("load", "src", path)
    ok(res)
    assert "src: added 3 examples, 1 duplicates skipped" in res.stderr
    assert res.stdout == ""  # messages go to stderr
    assert (home / "altool.db").exists()
    assert db_stats()["sources"]["src"]["total"] == 3


def test_load_bad_line_fails_cleanly_and_writes_nothing(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    res = load_text(cli, path, '{"text": "a"}\n{"text": "b"}\n{"text": 3}\n{"text": "d"}\n')
    fails(res)
    assert f"{path}:3:" in res.stderr
    assert '"text" must be a string, got int' in res.stderr
    res = cli("stats", "--json")
    ok(res)
    assert "src" not in json.loads(res.stdout)["sources"]


def test_load_skip_invalid(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    res = load_text(cli, path, '{"text": "a"}\nnot json\n{"text": "b"}\n{"nope": 1}\n',
                    "--skip-invalid")
    ok(res)
    assert "added 2 examples" in res.stderr
    assert "2 invalid lines skipped" in res.stderr
    assert f"{path}:2:" in res.stderr and f"{path}:4:" in res.stderr
    assert db_stats()["sources"]["src"]["total"] == 2


def test_load_from_stdin(cli):
    res = cli("load", "piped", "-", input='{"text": "one"}\n[1]\n')
    fails(res)
    assert "<stdin>:2:" in res.stderr
    res = cli("load", "piped", "-", input='{"text": "one"}\n{"text": "two"}\n')
    ok(res)
    assert "added 2 examples" in res.stderr
    assert db_stats()["sources"]["piped"]["total"] == 2


def test_load_empty_input_fails_and_stores_nothing(cli, tmp_path):
    res = load_text(cli, tmp_path / "empty.jsonl", "")
    fails(res)
    assert "no examples" in res.stderr
    assert db_stats()["sources"] == {}


def test_load_unknown_extension_asks_for_loader(cli, tmp_path):
    path = tmp_path / "a.dat"
    res = load_text(cli, path, "one\ntwo\n")
    fails(res)
    assert "--loader" in res.stderr
    ok(cli("load", "src", path, "--loader", "txt"))
    assert db_stats()["sources"]["src"]["total"] == 2


# -- db-in / db-out --------------------------------------------------------------------------
PRODIGY = [
    {"text": "Apple buys a startup", "label": "ORG", "answer": "accept",
     "_input_hash": -1298364911, "_task_hash": 1764237712,
     "spans": [{"start": 0, "end": 5, "label": "ORG", "token_start": 0, "token_end": 0}],
     "meta": {"source": "news", "score": 0.61}, "_session_id": "ds-2024-01-01",
     "_view_id": "classification", "_timestamp": 1700000000},
    {"text": "Lunch at noon?", "label": "SPAM", "answer": "reject",
     "meta": {"source": "sms"}},
    {"text": "Ünïcode ✓ text", "options": [{"id": "A", "text": "A"}, {"id": "B", "text": "B"}],
     "accept": ["B"], "answer": "accept", "_input_hash": 42},
    {"text": "no answer given", "label": "SPAM"},
    {"text": "ignored one", "label": "SPAM", "answer": "ignore"},
]


def test_db_in_then_db_out_round_trips(cli, tmp_path):
    path = write_jsonl(tmp_path / "export.jsonl", PRODIGY)
    res = cli("db-in", "ds", path)
    ok(res)
    assert "imported 5 examples" in res.stderr
    out = cli("db-out", "ds")
    ok(out)
    rows = jsonl_lines(out.stdout)
    assert len(rows) == len(PRODIGY)
    for original, row in zip(PRODIGY, rows, strict=True):
        expected = {**original, "answer": original.get("answer", "accept")}
        assert {k: row[k] for k in expected} == expected  # nothing changed
        assert set(row) - set(expected) <= {"_input_hash", "_task_hash", "_timestamp"}
        hashed = set_hashes(dict(original))  # given hashes kept, missing ones computed
        assert (row["_input_hash"], row["_task_hash"]) == (
            hashed["_input_hash"], hashed["_task_hash"])
    assert rows[0]["_input_hash"] == -1298364911 and rows[2]["_input_hash"] == 42
    # exporting, importing and exporting again gives the same lines
    again = write_jsonl(tmp_path / "again.jsonl", rows)
    ok(cli("db-in", "copy", again))
    assert cli("db-out", "copy").stdout == out.stdout


def test_db_in_answer_option_and_stdin(cli):
    line = '{"text": "a", "label": "X"}\n'
    ok(cli("db-in", "ds", "-", "--answer", "reject", input=line))
    with Store(default_db()) as store:
        assert [eg["answer"] for eg in store.iter_answers("ds")] == ["reject"]
    res = cli("db-in", "ds", "-", "--answer", "maybe", input=line)
    fails(res)
    assert "accept, reject, ignore" in res.stderr


@pytest.mark.parametrize("span", [
    {"start": 0, "end": 99, "label": "X"},
    {"start": 3, "end": 3, "label": "X"},
])
def test_db_in_span_out_of_range_writes_nothing(cli, tmp_path, span):
    rows = [{"text": "good row", "answer": "accept"},
            {"text": "short", "spans": [{"start": 0, "end": 2, "label": "OK"}, span]}]
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    res = cli("db-in", "ds", path)
    fails(res)
    assert f"{path}:2:" in res.stderr
    assert "span 1" in res.stderr and "<= 5" in res.stderr
    assert db_stats()["datasets"] == {}


def test_db_in_bad_answer_value(cli, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a"}, {"text": "b", "answer": "yes"}])
    res = cli("db-in", "ds", path)
    fails(res)
    assert f"{path}:2:" in res.stderr and "answer" in res.stderr
    assert db_stats()["datasets"] == {}


def test_db_out_answer_filter_and_file(cli, tmp_path):
    seed(datasets={"ds": PRODIGY})
    res = cli("db-out", "ds", "--answer", "reject")
    ok(res)
    assert [r["text"] for r in jsonl_lines(res.stdout)] == ["Lunch at noon?"]
    out_file = tmp_path / "out" / "export.jsonl"
    out_file.parent.mkdir()
    res = cli("db-out", "ds", out_file, "--answer", "accept")
    ok(res)
    assert res.stdout == ""
    assert "wrote 3 examples" in res.stderr
    texts = [r["text"] for r in jsonl_lines(out_file.read_text(encoding="utf-8"))]
    assert texts == ["Apple buys a startup", "Ünïcode ✓ text", "no answer given"]
    assert list(out_file.parent.iterdir()) == [out_file]  # no temporary file left behind


def test_db_out_unknown_dataset(cli, tmp_path):
    seed(datasets={"ds": PRODIGY[:1]})  # a database, without the dataset asked for
    out_file = tmp_path / "x.jsonl"
    res = cli("db-out", "missing", out_file)
    fails(res)
    assert "no dataset named 'missing'" in res.stderr
    assert not out_file.exists()


# -- stats -----------------------------------------------------------------------------------
def test_stats_json_shape_and_table(cli):
    seed(sources={"src": ["a", "b"]}, datasets={"ds": PRODIGY})
    res = cli("stats", "--json")
    ok(res)
    data = json.loads(res.stdout)
    assert set(data) == {"datasets", "sources"}
    ds = data["datasets"]["ds"]
    assert {"total", "answers", "labels"} <= set(ds)
    assert ds["total"] == 5
    assert ds["answers"] == {"accept": 3, "reject": 1, "ignore": 1}
    assert ds["labels"] == {"B": 1, "ORG": 1, "SPAM": 1}
    assert data["sources"] == {"src": {"total": 2, "created": data["sources"]["src"]["created"]}}
    res = cli("stats")
    ok(res)
    assert "ds" in res.stdout and "src" in res.stdout


def test_stats_of_one_dataset(cli):
    seed(datasets={"one": PRODIGY[:1], "two": PRODIGY[1:2]})
    res = cli("stats", "one", "--json")
    ok(res)
    assert list(json.loads(res.stdout)["datasets"]) == ["one"]
    res = cli("stats", "three", "--json")
    fails(res)
    assert "no dataset named 'three'" in res.stderr


# -- drop ------------------------------------------------------------------------------------
def test_drop_needs_yes_when_not_a_terminal(cli):
    seed(datasets={"ds": PRODIGY})
    res = cli("drop", "ds")
    fails(res)
    assert "--yes" in res.stderr
    assert db_stats()["datasets"]["ds"]["total"] == 5
    res = cli("drop", "ds", "--yes")
    ok(res)
    assert "dropped dataset ds (5 answers)" in res.stderr
    assert "ds" not in db_stats()["datasets"]


def test_drop_removes_saved_model_state(cli, home):
    seed(datasets={"ds": PRODIGY[:1], "other": PRODIGY[:1]})
    with Store(home / "altool.db") as store:
        state, other = store.model_state_path("ds"), store.model_state_path("other")
    assert str(state).startswith(str(home))
    state.parent.mkdir(parents=True)
    state.write_bytes(b"model")
    other.write_bytes(b"model")
    ok(cli("drop", "ds", "-y"))
    assert not state.exists()
    assert other.exists()


def test_sessions_listed_exported_and_dropped_one_at_a_time(cli, monkeypatch):
    """stats DATASET lists the sessions (ids whole, names escaped), db-out --session exports
    one, drop --session takes one back after a count (--yes when not in a terminal)."""
    odd = "[/x]\x1b[2J"  # markup and a control character in a session id
    seed(datasets={"ds": [{"text": f"t{i}", "label": "X", "_session_id": sid}
                          for i, sid in enumerate(["ds-2026-12-07_10-00-00-abc123"] * 3
                                                  + [odd] * 2)]})
    monkeypatch.setenv("COLUMNS", "80")
    res = cli("stats", "ds")
    ok(res)
    assert "ds-2026-12-07_10-00-00-abc123 │       3 │ 3/0/0" in res.stdout
    assert "[/x]\\x1b[2J" in res.stdout and "\x1b" not in res.stdout
    listed = json.loads(cli("stats", "ds", "--json").stdout)["datasets"]["ds"]["session_list"]
    assert [(s["session_id"], s["answers"]) for s in listed] == [
        ("ds-2026-12-07_10-00-00-abc123", 3), (odd, 2)]
    res = cli("db-out", "ds", "--session", odd)
    ok(res)
    assert [r["text"] for r in jsonl_lines(res.stdout)] == ["t3", "t4"]
    res = cli("drop", "ds", "--session", odd)
    fails(res)
    assert "would delete 2 answers" in res.stderr and db_stats()["datasets"]["ds"]["total"] == 5
    res = cli("drop", "ds", "--session", odd, "--yes")
    ok(res)
    assert "(2 answers; 3 left)" in res.stderr and "[/x]" in res.stderr
    assert db_stats()["datasets"]["ds"]["total"] == 3
    res = cli("drop", "ds", "--session", odd, "--yes")
    fails(res)
    assert "has no session" in res.stderr and "altool stats ds" in res.stderr


def test_drop_unknown_dataset(cli):
    seed(datasets={"ds": PRODIGY[:1]})
    res = cli("drop", "missing", "--yes")
    fails(res)
    assert "no dataset named 'missing'" in res.stderr


# -- --db ------------------------------------------------------------------------------------
def test_global_db_option_before_the_command(cli, tmp_path):
    db = tmp_path / "elsewhere" / "mine.db"
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a"}])
    ok(cli("--db", db, "load", "src", path))
    assert db_stats(db)["sources"]["src"]["total"] == 1
    assert not default_db().exists()  # the default database was not touched


def test_per_command_db_option(cli, tmp_path):
    db = tmp_path / "cmd.db"
    ok(cli("db-in", "ds", "-", "--db", db, input='{"text": "a", "label": "X"}\n'))
    res = cli("db-out", "ds", "--db", db)
    ok(res)
    assert jsonl_lines(res.stdout)[0]["text"] == "a"
    assert not default_db().exists()


def test_db_that_is_not_a_database(cli, tmp_path):
    db = tmp_path / "notes.txt"
    db.write_text("hello, I am not SQLite\n" * 50)
    res = cli("--db", db, "stats")
    fails(res)
    assert "not an altool database" in res.stderr
    assert "--db" in res.stderr


def test_db_from_a_newer_altool(cli, tmp_path):
    db = tmp_path / "new.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                 (str(SCHEMA_VERSION + 5),))
    conn.commit()
    conn.close()
    res = cli("--db", db, "stats")
    fails(res)
    assert "upgrade" in res.stderr


# -- textcat.teach argument checks (they fail before the UI starts) -------------------------
def test_teach_unknown_source(cli):
    res = cli("textcat.teach", "ds", "nowhere", "--label", "X")
    fails(res)
    assert "neither a stored source" in res.stderr


def test_teach_unknown_strategy(cli):
    seed(sources={"src": ["a"]})
    res = cli("textcat.teach", "ds", "src", "--label", "X", "--strategy", "psychic")
    fails(res)
    assert "psychic" in res.stderr and "margin" in res.stderr


# -- real data -------------------------------------------------------------------------------
def test_load_real_sms_spam(cli, datasets_dir):
    path = datasets_dir / "jsonl" / "sms_spam.train.jsonl"
    texts = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                texts.add(json.loads(line)["text"])
    res = cli("load", "sms", path)
    ok(res)
    assert f"added {len(texts):,} examples" in res.stderr
    assert db_stats()["sources"]["sms"]["total"] == len(texts)


def test_command_start_up_does_not_import_numpy():
    """numpy and the models load on first use: ``altool --help``, ``db-out`` or any command's
    ``--help`` (which registers every built-in recipe first) don't pay for it."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from altool.cli import main\n"
            "for argv in (['--help'], ['db-out', '--help'], ['textcat.correct', '--help']):\n"
            "    try:\n"
            "        main(argv)\n"
            "    except SystemExit:\n"
            "        pass\n"
            "print(sorted(m for m in ('numpy', 'sklearn', 'spacy') if m in sys.modules),"
            " file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "textcat.correct" in out.stdout  # the built-in recipes were registered
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_strategy_help_comes_from_the_registry_without_numpy():
    """textcat.teach's --strategy help lists the registry's names (no second copy of them),
    and building it imports no NumPy; every listed name resolves to a strategy function. A
    fresh interpreter, so that strategies registered by other tests don't count."""
    import subprocess
    import sys

    code = ("import sys, typer\n"
            "from altool.cli import build_app\n"
            "from altool.recipes import load_builtin_recipes\n"
            "from altool.strategies import QBC_MEASURES, strategy_names\n"
            "load_builtin_recipes()\n"
            "command = typer.main.get_command(build_app()).commands['textcat.teach']\n"
            "helps = {p.name: p.help for p in command.params}\n"
            "print(helps['strategy']); print(helps['qbc_measure'])\n"
            "print(','.join(strategy_names())); print(','.join(QBC_MEASURES))\n"
            "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    strategy_help, qbc_help, names, measures, numpy_loaded = out.stdout.splitlines()
    listed = names.replace(",", ", ")
    assert f"Query strategy: {listed} (default: {DEFAULT_STRATEGY}" in strategy_help
    assert " or ".join(measures.split(",")) in qbc_help
    assert numpy_loaded == "False"
    from altool.strategies import get_strategy

    assert all(callable(get_strategy(name)) for name in names.split(","))


# -- Prodigy's positional spaCy model --------------------------------------------------------
@pytest.mark.parametrize(("args", "equivalent"), [
    (["textcat.teach", "ds", "blank:en", "file.jsonl", "--label", "A,B"],
     "altool textcat.teach ds file.jsonl --label A,B --model spacy --lang en"),
    (["--db", "x.db", "textcat.teach", "ds", "en_core_web_sm", "f.jsonl", "-l", "A"],
     "altool --db x.db textcat.teach ds f.jsonl -l A --model spacy:en_core_web_sm"),
    (["ner.manual", "ds", "blank:de", "news.jsonl", "--label", "PER"],
     "altool ner.manual ds news.jsonl --label PER --lang de"),
    (["ner.correct", "ds", "en_core_web_sm", "news.jsonl", "--label", "PER"],
     "altool ner.correct ds news.jsonl --label PER --model en_core_web_sm"),
])
def test_prodigys_positional_model_gets_the_equivalent_command(cli, args, equivalent):
    res = cli(*args)
    fails(res, 2)
    assert "unexpected extra argument" not in res.stderr
    assert "not as Prodigy's positional SPACY_MODEL" in res.stderr
    assert f"\n  {equivalent}\n" in res.stderr


def test_an_extra_argument_without_a_model_option_stays_clicks_error(cli):
    res = cli("textcat.manual", "ds", "blank:en", "f.jsonl", "--label", "A")
    fails(res, 2)
    assert "unexpected extra argument" in res.stderr and "Prodigy" not in res.stderr


def test_help_at_80_columns_keeps_every_command_summary_whole(cli, monkeypatch):
    """Click cut each summary to one line with "..."; now the first sentence is wrapped."""
    monkeypatch.setenv("COLUMNS", "80")
    res = cli("--help")
    ok(res)
    lines = res.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    commands = " ".join(" ".join(lines[lines.index("Commands:"):]).split())
    assert "..." not in commands
    assert ("agreement How far annotators agree: Cohen's kappa per pair and Krippendorff's "
            "alpha, over all labels and per label, on the texts more than one of them "
            "labelled.") in commands
    assert "load Store unlabeled examples under a source name (deduplicated, " \
        "all-or-nothing)." in commands
