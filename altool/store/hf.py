"""``altool db-out --format hf DIR`` / ``--format parquet FILE``: a dataset as the table people
load directly, one row per input (answers merged as ``train`` merges them).

- Text classification: ``text`` and ``label``: one label (exclusive labels; none when every
  label was rejected) or the list of labels that apply (multi-label, or a single label).
- NER: ``tokens`` and ``ner_tags`` (BIO: ``O``, ``B-PER``, ``I-PER``, ...), for the inputs
  with a complete annotation (``ner.manual``, ``ner.correct``); binary ``ner.teach`` answers
  say nothing about the other tokens, so inputs known only from them are left out (counted).
- Kept: ``meta`` (as JSON text: its keys differ from row to row), ``_input_hash``,
  ``_datasets``, ``_n_answers``, ``_conflict`` and ``_random_pick``.
- A ``test`` split drawn only from the inputs annotated in random order (``meta.pick`` =
  ``random``: audit picks, ``--strategy random``), ``TEST_SHARE`` of all inputs at most; none
  when the dataset has no such inputs (a split of actively picked ones would be biased).

``hf`` is a Hugging Face ``DatasetDict`` folder (``datasets.load_from_disk``) whose features
hold the label names (``ClassLabel``); ``parquet`` is one file with the labels as text and a
``split`` column (``pandas.read_parquet``), the label names also in its schema's metadata.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AltoolError
from ..io.ner import merge_ner_answers
from .database import Store
from .merge import RANDOM_PICK, merge_answers

TABLE_FORMATS = ("hf", "parquet")
TEST_SHARE = 0.2
INSTALL = "pip install 'altool[hf]'"
PROVENANCE = ("_input_hash", "_datasets", "_n_answers", "_conflict", "_random_pick")


@dataclass
class Table:
    """A dataset as rows with string labels, ready to write as ``hf`` or ``parquet``."""

    kind: str  # "textcat" or "ner"
    names: list[str]  # class names: the labels, or the BIO tags
    multilabel: bool
    rows: list[dict[str, Any]] = field(default_factory=list)  # each with "split"
    left_out: int = 0  # NER inputs without a complete annotation

    @property
    def n_test(self) -> int:
        return sum(row["split"] == "test" for row in self.rows)

    def column(self) -> str:
        return "ner_tags" if self.kind == "ner" else "label"


def dataset_table(store: Store, dataset: str, seed: int = 0,
                  test_share: float = TEST_SHARE) -> Table:
    """The dataset's inputs as a :class:`Table` (NER if its answers have spans or tokens)."""
    store.require_dataset(dataset)
    answers = list(store.iter_answers(dataset))
    if any("tokens" in eg or eg.get("spans") for eg in answers):
        table = ner_table(answers, store.dataset_labels(dataset), dataset)
    else:
        table = textcat_table(answers, dataset)
    if not table.rows:
        raise AltoolError(f"{dataset} has no answers that give a label (accepted or rejected)"
                          " to export as a table")
    choose_test(table, seed, test_share)
    return table


def textcat_table(answers: list[dict[str, Any]], dataset: str) -> Table:
    merged = merge_answers((dataset, eg) for eg in answers)
    table = Table("textcat", list(merged.labels), not merged.exclusive)
    for eg in merged.examples:
        accept = eg.accepted(merged.labels)
        label: Any = accept if table.multilabel else (accept[0] if accept else None)
        table.rows.append({
            "text": eg.text, "label": label, "meta": json.dumps(eg.meta, ensure_ascii=False),
            "_input_hash": eg.input_hash, "_datasets": sorted({v.dataset for v in eg.votes}),
            "_n_answers": len(eg.votes), "_conflict": eg.conflict,
            "_random_pick": eg.random_pick})
    return table


def ner_table(answers: list[dict[str, Any]], labels: list[str], dataset: str) -> Table:
    merged = merge_ner_answers(answers)
    first: dict[int, dict[str, Any]] = {}
    count: dict[int, int] = {}
    random: set[int] = set()
    for eg in answers:
        h = eg.get("_input_hash")
        first.setdefault(h, eg)
        count[h] = count.get(h, 0) + 1
        if (eg.get("meta") or {}).get("pick") == RANDOM_PICK:
            random.add(h)
    found = sorted({label for ann in merged.values() for label in ann.entities.values()})
    entity_labels = [*labels, *(x for x in found if x not in labels)]
    table = Table("ner", ["O", *(f"{p}-{x}" for x in entity_labels for p in "BI")], False)
    for h, ann in merged.items():
        tags = bio_tags(ann.tokens, ann.entities) if ann.complete and ann.tokens else None
        if tags is None:
            table.left_out += 1
            continue
        meta = {k: v for k, v in (first[h].get("meta") or {}).items() if k != "pick"}
        table.rows.append({
            "text": ann.text, "tokens": [t["text"] for t in ann.tokens], "ner_tags": tags,
            "meta": json.dumps(meta, ensure_ascii=False), "_input_hash": h,
            "_datasets": [dataset], "_n_answers": count[h], "_conflict": False,
            "_random_pick": h in random})
    return table


def bio_tags(tokens: list[dict[str, Any]], entities: dict[tuple[int, int], str]
             ) -> list[str] | None:
    """BIO tags of ``tokens`` for character-offset ``entities``; None if a span does not
    start and end on token boundaries."""
    tags = ["O"] * len(tokens)
    first = {t["start"]: i for i, t in enumerate(tokens)}
    last = {t["end"]: i for i, t in enumerate(tokens)}
    for (start, end), label in sorted(entities.items()):
        i, j = first.get(start), last.get(end)
        if i is None or j is None or j < i:
            return None
        tags[i] = f"B-{label}"
        tags[i + 1:j + 1] = [f"I-{label}"] * (j - i)
    return tags


def choose_test(table: Table, seed: int, share: float) -> None:
    """Mark ``share`` of the rows (at most) as ``test``, drawn only from random picks."""
    import numpy as np

    randoms = [i for i, row in enumerate(table.rows) if row["_random_pick"]]
    n_test = min(round(len(table.rows) * share), len(randoms))
    chosen = set(np.random.default_rng(seed).choice(randoms, size=n_test, replace=False)
                 .tolist()) if n_test else set()
    for i, row in enumerate(table.rows):
        row["split"] = "test" if i in chosen else "train"


def require(module: str, fmt: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise AltoolError(f"--format {fmt} needs {module}: {INSTALL}") from None


def write_table(table: Table, path: str, fmt: str) -> None:
    """Write ``table`` as ``fmt`` (``hf``: a folder; ``parquet``: a file), all or nothing:
    into a temporary path beside ``path``, moved into place when complete."""
    if path == "-":
        raise AltoolError(f"--format {fmt} writes a {'folder' if fmt == 'hf' else 'file'}, "
                          "not stdout: give its name, e.g. altool db-out DATASET out "
                          f"--format {fmt}")
    require("datasets" if fmt == "hf" else "pyarrow", fmt)
    out = Path(path)
    if fmt == "parquet" and out.is_dir():
        raise AltoolError(f"{path}: is a folder; give a file name, e.g. {out / 'data.parquet'}")
    if fmt == "hf" and out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise AltoolError(f"{path}: exists; give a new folder (or remove it first)")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise AltoolError(f"{path}: the folder {folder} does not exist; create it first "
                          f"(mkdir -p {folder})")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=folder))
    try:
        if fmt == "hf":
            import datasets

            datasets.disable_progress_bars()  # db-out prints its own one-line summary
            hf_dataset(table).save_to_disk(str(tmp / "d"))
            if out.is_dir():
                out.rmdir()
            os.replace(tmp / "d", out)
        else:
            parquet_file(table, tmp / "d.parquet")
            os.replace(tmp / "d.parquet", out)
    except OSError as err:
        raise AltoolError(f"{path}: writing failed ({err.strerror or err}); nothing was "
                          "written") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def hf_dataset(table: Table) -> Any:
    """A ``datasets.DatasetDict`` (``train``, and ``test`` when there are random picks) whose
    label feature is a ``ClassLabel`` (a sequence of them for multi-label and NER)."""
    import datasets as hf

    label = hf.ClassLabel(names=table.names)
    columns: dict[str, Any] = {"text": hf.Value("string")}
    if table.kind == "ner":
        columns |= {"tokens": hf.Sequence(hf.Value("string")), "ner_tags": hf.Sequence(label)}
    else:
        columns["label"] = hf.Sequence(label) if table.multilabel else label
    columns |= {"meta": hf.Value("string"), "_input_hash": hf.Value("int64"),
                "_datasets": hf.Sequence(hf.Value("string")), "_n_answers": hf.Value("int32"),
                "_conflict": hf.Value("bool"), "_random_pick": hf.Value("bool")}
    features = hf.Features(columns)
    index = {name: i for i, name in enumerate(table.names)}
    key = table.column()

    def encoded(row: dict[str, Any]) -> dict[str, Any]:
        value = row[key]
        if isinstance(value, list):
            value = [index[v] for v in value]
        else:
            value = -1 if value is None else index[value]  # -1: no label (datasets' rule)
        return {**{k: v for k, v in row.items() if k in columns}, key: value}

    splits = {}
    for split in ("train", "test"):
        rows = [encoded(r) for r in table.rows if r["split"] == split]
        if rows or split == "train":
            splits[split] = hf.Dataset.from_list(rows, features=features)
    return hf.DatasetDict(splits)


def parquet_file(table: Table, path: Path) -> None:
    """One Parquet file: labels as text, a ``split`` column, the class names in the schema's
    metadata (``altool`` key: kind, names, multilabel)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pylist(table.rows)
    info = {"kind": table.kind, "names": table.names, "multilabel": table.multilabel}
    arrow = arrow.replace_schema_metadata({"altool": json.dumps(info, ensure_ascii=False)})
    pq.write_table(arrow, path)


def export_table(store: Store, dataset: str, path: str, fmt: str, *, filtered: bool = False
                 ) -> Table:
    """``db-out --format hf|parquet``: write the dataset's table; return it (for the counts).
    ``filtered``: ``--answer`` or ``--session`` was given, which a merged table can't honour."""
    if fmt not in TABLE_FORMATS:
        raise AltoolError(f"--format must be one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    if filtered:
        raise AltoolError(f"--format {fmt} merges all the answers per input; --answer and "
                          "--session can't be combined with it")
    table = dataset_table(store, dataset)
    write_table(table, path, fmt)
    return table
