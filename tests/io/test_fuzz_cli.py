"""Property-based tests of the commands themselves on hostile input: any file, any name, any
label. Each command either stores everything (and db-out gives it back) or fails cleanly with
exit 1, a located message and nothing stored; and no byte a terminal would act on (ESC, BEL,
C1 controls, DEL, bidi controls) ever reaches the output from the data.

The commands run in-process (``altool.cli.main``) so that hundreds of cases fit in seconds."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altool.cli import main
from altool.safe import BIDI_CONTROLS
from altool.store import Store

# ALTOOL_FUZZ_EXAMPLES: more cases per test (benchmarks/reliability.py runs 400)
SETTINGS = settings(max_examples=int(os.environ.get("ALTOOL_FUZZ_EXAMPLES", 60)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
FORBIDDEN = {chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0),
                              *BIDI_CONTROLS)}
# escape sequences and controls a terminal acts on, and markup Rich would act on
HOSTILE = st.sampled_from(["\x1b]0;pwned\x07", "\x1b[2J", "\x9b31m", "\u202etxt.exe",
                           "[/x]", "[bold]", "\x07", "\x7f", "\r", "\x00", "\u2028",
                           "\udc9b"])
anything = st.text(min_size=0, max_size=12)
hostile_text = st.lists(st.one_of(anything, HOSTILE), min_size=1, max_size=4).map("".join)


def run(args: list, stdin: bytes = b"") -> tuple[int, str]:
    """``altool ARGS`` in-process: exit code and everything printed (stdout + stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([str(a) for a in args])
                code = 0
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue() + err.getvalue()


def assert_terminal_safe(output: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in output if c in FORBIDDEN or
                  "\ud800" <= c <= "\udfff"})
    assert not bad, f"raw control characters in the output: {bad}\n{output!r}"


def fresh_db(tmp_path: Path) -> Path:
    for n in range(10_000):
        path = tmp_path / f"db{n}.sqlite"
        if not path.exists():
            return path
    raise AssertionError("too many databases")


@SETTINGS
@given(name=hostile_text, texts=st.lists(hostile_text, min_size=1, max_size=6))
def test_load_stores_all_or_nothing_and_prints_nothing_raw(tmp_path_factory, name, texts):
    tmp = tmp_path_factory.mktemp("load")
    db, path = fresh_db(tmp), tmp / "in.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8",
                    errors="surrogatepass")
    code, output = run(["--db", db, "load", name, path])
    assert_terminal_safe(output)
    assert code in (0, 1, 2), output
    assert "Unexpected" not in output and "Traceback" not in output
    if code == 2:
        assert name.startswith("-")  # read as an option: a usage error
    if code != 0:
        if db.exists():
            with Store(db) as store:
                assert store.source_names() == []  # nothing stored
        return
    with Store(db) as store:
        stored = [row.text for chunk in store.iter_source(name) for row in chunk]
    assert sorted(set(stored)) == sorted({t for t in texts})


@SETTINGS
@given(dataset=hostile_text,
       answers=st.lists(st.fixed_dictionaries({
           "text": hostile_text, "label": hostile_text,
           "answer": st.sampled_from(["accept", "reject", "ignore"]),
           "meta": st.dictionaries(hostile_text, st.one_of(hostile_text, st.integers(),
                                                           st.floats(allow_nan=False,
                                                                     allow_infinity=False)),
                                   max_size=3)}), min_size=1, max_size=6))
def test_db_in_round_trips_through_db_out_or_fails_cleanly(tmp_path_factory, dataset, answers):
    tmp = tmp_path_factory.mktemp("dbin")
    db, path = fresh_db(tmp), tmp / "answers.jsonl"
    lines = [json.dumps(a, ensure_ascii=False) for a in answers]
    path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass"))
    code, output = run(["--db", db, "db-in", dataset, path])
    assert_terminal_safe(output)
    assert "Unexpected" not in output and "Traceback" not in output
    if code != 0:
        assert code == 1 or dataset.startswith("-"), output
        if code == 1 and db.exists():
            with Store(db) as store:
                assert store.dataset_names() == []
        return
    code, exported = run(["--db", db, "db-out", "--", dataset])
    assert code == 0, exported
    # JSONL lines end at \n only (str.splitlines would also split at U+2028 inside a string)
    rows = [json.loads(line) for line in exported.split("\n") if line.startswith("{")]
    kept = {json.dumps(a, sort_keys=True) for a in answers}
    assert len(rows) == len(kept)
    for row in rows:  # every field given comes back as it was; the store added only these
        given = {k: v for k, v in row.items()
                 if k not in ("_input_hash", "_task_hash", "_timestamp")}
        assert json.dumps(given, sort_keys=True) in kept
    for command in (["stats"], ["stats", "--json"], ["print-dataset", "--", dataset],
                    ["review", "resolved", "--from", dataset]):
        code, output = run(["--db", db, *command])
        assert_terminal_safe(output)
        assert "Unexpected" not in output, output


@SETTINGS
@given(label=hostile_text)
def test_labels_are_checked_or_shown_escaped(tmp_path_factory, label):
    tmp = tmp_path_factory.mktemp("label")
    db, path = fresh_db(tmp), tmp / "texts.txt"
    path.write_text("one text\n")
    code, output = run(["--db", db, "textcat.manual", "ds", path, "--label", label])
    assert_terminal_safe(output)
    assert "Unexpected" not in output and code in (1, 2)  # no terminal here: never a session
    if db.exists():
        with Store(db) as store:
            assert store.dataset_names() == []
