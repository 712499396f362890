"""``altool stats`` at 80 columns: names, labels and dates are never cut (a table when it
fits, else one block per dataset)."""

from __future__ import annotations

import io
import time

from rich.console import Console

from altool.store.report import stats_tables

DAY = time.mktime((2026, 12, 7, 16, 21, 0, 0, 0, -1))


def rendered(data: dict, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    for part in stats_tables(data, width):
        console.print(part)
    return console.file.getvalue()


def dataset(labels: dict[str, int]) -> dict:
    return {"total": 197, "answers": {"accept": 190, "reject": 5, "ignore": 2},
            "labels": labels, "sessions": 2, "last_activity": DAY}


LABELS = {"corporation": 12, "creative-work": 10, "group": 8, "location": 33, "person": 44,
          "product": 5}
DATA = {"datasets": {"conll_english_2003_train": dataset(LABELS),
                     "conll_german_2003_train": dataset(LABELS),
                     "a" * 100: dataset({"x": 1})},
        "sources": {"ag_news_source_with_a_very_long_name_indeed_" + "b" * 40: {"total": 7594}}}


def test_at_80_columns_every_name_label_and_date_is_whole():
    out = rendered(DATA, 80)
    flat = out.replace("\n", "").replace(" ", "").replace("│", "")
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "…" not in out
    for name in DATA["datasets"]:
        assert name in flat  # a 100-character name is folded over two lines, not cut
    for label in LABELS:
        assert label in out
    assert out.count("2026-12-07 16:21") == 3
    assert "conll_english_2003_train\n" in out and "conll_german_2003_train\n" in out
    source_cells = "".join(line.split("│")[1].strip() for line in out.splitlines()
                           if line.startswith("│"))
    assert source_cells == "ag_news_source_with_a_very_long_name_indeed_" + "b" * 40


def test_a_wide_terminal_gets_one_table():
    out = rendered({"datasets": {"news": dataset({"World": 3})}, "sources": {}}, 140)
    header = next(line for line in out.splitlines() if "dataset" in line)
    assert "labels (accepted)" in header and "last activity" in header
    assert any("news" in line and "World 3" in line and "2026-12-07 16:21" in line
               for line in out.splitlines())
