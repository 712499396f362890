"""Keyword-seeded text classification: texts containing a seed keyword are asked first.

    altool -F recipes/keywords.py textcat.keywords news_sport news.jsonl --label Sports \
        --keywords match,league,coach

Binary questions ("does Sports apply?"): every text that contains one of the keywords (whole
words, any case) comes first, in file order, with the matched keywords shown under the text;
then the remaining texts in file order. Texts already answered in the dataset are skipped, so
running it again resumes where you stopped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import typer

import altool


def keyword_pattern(keywords: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(map(re.escape, keywords)) + r")\b", re.IGNORECASE)


def seeded(tasks: Iterable[dict[str, Any]], keywords: list[str]) -> Iterator[dict[str, Any]]:
    """Tasks with a keyword first (matches listed in ``meta.keywords``), then the rest."""
    pattern = keyword_pattern(keywords)
    rest = []
    for task in tasks:
        found = sorted({m.lower() for m in pattern.findall(task["text"])})
        if found:
            task["meta"] = {**task.get("meta", {}), "keywords": ", ".join(found)}
            yield task
        else:
            rest.append(task)
    yield from rest


@altool.recipe("textcat.keywords")
def textcat_keywords(
    dataset: Annotated[str, typer.Argument(help="Dataset to save the answers to.")],
    source: Annotated[str, typer.Argument(help="JSONL/CSV/TXT file, or - for stdin.")],
    label: Annotated[str, typer.Option("--label", "-l", help="The label to ask about.")],
    keywords: Annotated[str, typer.Option(help="Seed keywords, comma-separated.")],
) -> dict[str, Any]:
    """Ask about texts with seed keywords first, then the rest in file order."""
    words = [w.strip() for w in keywords.split(",") if w.strip()]
    if not words:
        raise altool.AltoolError("--keywords needs at least one keyword: --keywords a,b")
    tasks = ({**eg, "label": label} for eg in altool.get_stream(source))
    return {
        "dataset": dataset,
        "stream": seeded(altool.dedup(tasks, by="input"), words),
        "view": "binary",
        "config": {"labels": [label], "exclude_by": "input"},
    }
