"""``db-out --format hf`` / ``--format parquet``: tables people load directly, with the label
names in the features and a test split of random picks only."""

from __future__ import annotations

import json
import sys

import pytest

from altool.errors import AltoolError
from altool.io.hashing import set_hashes
from altool.store.hf import bio_tags, dataset_table, export_table

datasets = pytest.importorskip("datasets")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

OPTIONS = [{"id": x, "text": x} for x in ("World", "Sports", "Tech")]


def choice(i: int, label: str | list[str], pick: str = "margin") -> dict:
    accept = label if isinstance(label, list) else [label]
    return set_hashes({"text": f"news story {i}", "options": OPTIONS, "accept": accept,
                       "answer": "accept", "meta": {"source": f"feed{i % 2}", "pick": pick},
                       "_timestamp": 1700000000 + i})


def toks(text: str) -> list[dict]:
    out, at = [], 0
    for k, word in enumerate(text.split(" ")):
        out.append({"text": word, "start": at, "end": at + len(word), "id": k})
        at += len(word) + 1
    return out


@pytest.fixture
def news(store):
    rows = [choice(i, ["World", "Sports", "Tech"][i % 3], "random" if i % 4 == 0 else "margin")
            for i in range(40)]
    store.add_answers("news", rows)
    return store


def test_hf_folder_has_class_labels_and_a_test_split_of_random_picks_only(news, tmp_path):
    table = export_table(news, "news", str(tmp_path / "hf"), "hf")
    assert table.n_test == 8  # 20% of 40, all from the 10 random picks
    d = datasets.load_from_disk(str(tmp_path / "hf"))
    assert set(d) == {"train", "test"} and (d["train"].num_rows, d["test"].num_rows) == (32, 8)
    feature = d["train"].features["label"]
    assert feature.names == ["World", "Sports", "Tech"]
    assert all(d["test"]["_random_pick"]) and not all(d["train"]["_random_pick"])
    row = next(r for r in d["train"] if r["text"] == "news story 1")
    assert feature.int2str(row["label"]) == "Sports"
    assert json.loads(row["meta"]) == {"source": "feed1"}  # the question's pick is not kept
    assert row["_datasets"] == ["news"] and row["_n_answers"] == 1


def test_without_random_picks_there_is_no_test_split(store, tmp_path):
    store.add_answers("news", [choice(i, "World" if i % 2 else "Tech") for i in range(10)])
    export_table(store, "news", str(tmp_path / "hf"), "hf")
    assert set(datasets.load_from_disk(str(tmp_path / "hf"))) == {"train"}


def test_parquet_loads_in_pandas_with_label_names_and_splits(news, tmp_path):
    path = tmp_path / "news.parquet"
    export_table(news, "news", str(path), "parquet")
    df = pd.read_parquet(path)
    assert len(df) == 40 and df["split"].value_counts().to_dict() == {"train": 32, "test": 8}
    assert df.set_index("text").loc["news story 2", "label"] == "Tech"
    import pyarrow.parquet as pq

    info = json.loads(pq.read_schema(path).metadata[b"altool"])
    assert info == {"kind": "textcat", "names": ["World", "Sports", "Tech"],
                    "multilabel": False}


def test_multi_label_is_a_sequence_of_class_labels(store, tmp_path):
    store.add_answers("tags", [choice(0, ["World", "Tech"]), choice(1, ["Sports"]),
                               choice(2, [])])
    export_table(store, "tags", str(tmp_path / "hf"), "hf")
    train = datasets.load_from_disk(str(tmp_path / "hf"))["train"]
    names = train.features["label"].feature.names
    assert [[names[i] for i in labels] for labels in train["label"]] == \
        [["World", "Tech"], ["Sports"], []]


def test_ner_is_tokens_and_bio_tags_with_the_tag_names(store, tmp_path):
    text = "Ada Lovelace met Charles Babbage in London"
    tokens = toks(text)
    manual = {"text": text, "tokens": tokens, "answer": "accept", "_view_id": "ner_manual",
              "spans": [{"start": 0, "end": 12, "label": "PER"},
                        {"start": 36, "end": 42, "label": "LOC"}]}
    teach_only = {"text": "Grace Hopper", "tokens": toks("Grace Hopper"), "answer": "accept",
                  "_view_id": "ner", "spans": [{"start": 0, "end": 12, "label": "PER"}]}
    store.add_answers("ents", [set_hashes(manual), set_hashes(teach_only)])
    table = dataset_table(store, "ents")
    assert table.left_out == 1  # only a binary answer: its other tokens are unknown
    export_table(store, "ents", str(tmp_path / "hf"), "hf")
    [row] = datasets.load_from_disk(str(tmp_path / "hf"))["train"]
    names = datasets.load_from_disk(str(tmp_path / "hf"))["train"].features["ner_tags"] \
        .feature.names
    assert names[0] == "O" and {"B-PER", "I-PER", "B-LOC", "I-LOC"} <= set(names)
    assert row["tokens"] == text.split(" ")
    assert [names[i] for i in row["ner_tags"]] == \
        ["B-PER", "I-PER", "O", "O", "O", "O", "B-LOC"]


def test_bio_tags_refuse_spans_off_token_boundaries():
    tokens = toks("Ada Lovelace")
    assert bio_tags(tokens, {(0, 12): "PER"}) == ["B-PER", "I-PER"]
    assert bio_tags(tokens, {(0, 5): "PER"}) is None


def test_clear_errors(news, tmp_path, monkeypatch):
    with pytest.raises(AltoolError, match="not stdout"):
        export_table(news, "news", "-", "hf")
    with pytest.raises(AltoolError, match="--answer and --session"):
        export_table(news, "news", str(tmp_path / "x"), "hf", filtered=True)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(AltoolError, match="exists"):
        export_table(news, "news", str(tmp_path / "full"), "hf")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    monkeypatch.setitem(sys.modules, "datasets", None)  # as if not installed
    with pytest.raises(AltoolError, match=r"altool\[hf\]"):
        export_table(news, "news", str(tmp_path / "y"), "hf")
    assert not (tmp_path / "y").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_db_out_parquet(cli, tmp_path):
    rows = [choice(i, "World" if i % 2 else "Tech", "random") for i in range(10)]
    src = tmp_path / "a.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert cli("db-in", "news", src).returncode == 0
    res = cli("db-out", "news", tmp_path / "n.parquet", "--format", "parquet")
    assert res.returncode == 0, res.stderr
    assert "wrote 10 inputs (train 8, test 2 (random picks))" in res.stderr
    assert len(pd.read_parquet(tmp_path / "n.parquet")) == 10
    res = cli("db-out", "news", "-", "--format", "hf")
    assert res.returncode == 1 and "Traceback" not in res.stderr
