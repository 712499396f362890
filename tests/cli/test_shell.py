"""Shell scripting: the README's pipelines run as written, stdout carries only data, and the
exit codes are 0 (ok), 1 (a problem with the input or data), 2 (usage)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMS = ROOT / "sample_data" / "sms_spam.jsonl"
BIN = Path(sys.executable).parent


def sh(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a bash pipeline with the venv's ``altool`` first on PATH (pipefail on)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", "-o", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def work(home, tmp_path: Path) -> Path:
    shutil.copy(SMS, tmp_path / "sms.jsonl")
    return tmp_path


def test_load_from_stdin_and_export_through_jq(work):
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    loaded = sh("head -n 50 sms.jsonl | altool load sms -", work)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == "" and "added 50 examples" in loaded.stderr
    # annotate in bulk from the shell: every text with "free" accepted as spam
    imported = sh("""altool stats --json | jq -e '.sources.sms.total == 50' >/dev/null &&
        jq -c 'select(.text | test("free"; "i")) | {text, label: "spam"}' sms.jsonl |
        altool db-in spam_free -""", work)
    assert imported.returncode == 0, imported.stderr
    exported = sh("altool db-out spam_free | jq -r .label | sort | uniq -c", work)
    assert exported.returncode == 0, exported.stderr
    count, label = exported.stdout.split()
    assert label == "spam" and int(count) > 10


def test_db_out_stdout_is_clean_jsonl(work, cli):
    rows = "".join(json.dumps({"text": f"t{i}", "label": "X", "answer": "accept"}) + "\n"
                   for i in range(3))
    assert cli("db-in", "ds", "-", input=rows).returncode == 0
    for args in (["db-out", "ds"], ["db-out", "ds", "-"]):
        result = cli(*args)
        assert result.returncode == 0
        lines = result.stdout.splitlines()
        assert [json.loads(line)["text"] for line in lines] == ["t0", "t1", "t2"]
        assert result.stderr == ""
    head = sh("altool db-out ds | head -n 1", work)
    assert head.returncode == 0 and json.loads(head.stdout)["text"] == "t0"


def test_print_dataset_pipes_plain_text(work, cli):
    rows = json.dumps({"text": "hello", "label": "X", "answer": "reject"}) + "\n"
    assert cli("db-in", "ds", "-", input=rows).returncode == 0
    result = sh("altool print-dataset ds | grep -c hello", work)
    assert result.returncode == 0 and result.stdout.strip() == "1"


@pytest.mark.parametrize("args, stdin, code, message", [
    (["db-out", "nope"], "", 1, "no such database"),  # a read creates no database
    (["load", "s", "-"], '{"text": "ok"}\n{"text": \n', 1, "<stdin>:2:"),
    (["load", "s", "-"], "", 1, "no examples found"),
    (["db-in", "ds", "missing.jsonl"], "", 1, "missing.jsonl"),
    (["textcat.manual", "ds", "missing.jsonl", "--label", "A"], "", 1, "neither a stored "
     "source"),
    (["db-out"], "", 2, "Missing argument"),
    (["load", "s", "-", "--bogus"], "", 2, "No such option"),
    (["textcat.manual", "ds", "-"], "", 2, "Missing option '--label'"),
    (["nope"], "", 2, "No such command"),
])
def test_exit_codes(cli, work, args, stdin, code, message):
    result = subprocess_in(cli, work, args, stdin)
    assert result.returncode == code, result.stderr
    assert message.lower() in result.stderr.lower()
    assert result.stdout == "" and "Traceback" not in result.stderr


def subprocess_in(cli, cwd: Path, args: list[str], stdin: str) -> subprocess.CompletedProcess:
    return cli(*args, input=stdin, cwd=cwd)


def test_help_and_version_exit_0(cli):
    assert cli("--help").returncode == 0
    assert cli("review", "--help").returncode == 0
    assert cli("--version").stdout.startswith("altool ")


def test_simulate_reads_stdin_and_writes_json_to_stdout(work):
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    gold = ROOT / "sample_data" / "sms_spam_gold.jsonl"
    result = sh(f"head -n 60 {gold} | altool simulate - --test {gold} --budget 20 "
                "--repeats 1 --seed-size 10 --strategy random --output - | jq -r .metric", work)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "accuracy\n"  # the table went to stderr
    assert "AULC" in result.stderr
