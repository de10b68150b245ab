"""khabar.data.chunks: examples read a chunk at a time, with the row checks and row numbers of
the in-memory loaders, from JSON lines (gzipped too), Parquet, CSV and a folder of shards."""

from __future__ import annotations

import gzip
import json

import pytest

from khabar.data import DataConfig, load_examples
from khabar.data.chunks import StreamedSplit, iter_examples, stream_splits
from khabar.errors import KhabarError

LABELS = ("Sports", "Finance", "Culture")


def records(n, split_of=lambda i: ("train", "dev", "test", "train")[i % 4]):
    return [{"id": f"r{i}", "text": f"نص رقم {i} عن {LABELS[i % 3]}", "label": LABELS[i % 3], "split": split_of(i)}
            for i in range(n)]


def write_jsonl(path, rows):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return str(path)


@pytest.mark.parametrize("name", ["d.jsonl", "d.jsonl.gz", "d.parquet", "d.csv"])
def test_chunks_hold_the_same_examples_as_the_in_memory_loader(tmp_path, name):
    rows = records(23)
    path = tmp_path / name
    if name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=5)
    elif name.endswith(".csv"):
        import csv

        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        write_jsonl(path, rows)
    cfg = DataConfig(path=[str(path)])
    chunks = list(iter_examples(cfg, "topic", "c.yaml", chunk_rows=4))
    assert max(len(c) for c in chunks) <= 4 and len(chunks) >= 6
    assert [ex for c in chunks for ex in c] == load_examples(cfg, "topic", "c.yaml")


def test_a_folder_of_shards_is_read_in_file_order_and_splits_filter(tmp_path):
    rows = records(30)
    folder = tmp_path / "shards"
    folder.mkdir()
    write_jsonl(folder / "b.jsonl", rows[15:])
    write_jsonl(folder / "a.jsonl", rows[:15])
    (folder / ".hidden.jsonl").write_text("not json\n", encoding="utf-8")
    cfg = DataConfig(path=[str(folder)])
    train = [ex.id for c in iter_examples(cfg, "topic", "c.yaml", {"train"}, chunk_rows=7) for ex in c]
    assert train == [r["id"] for r in rows if r["split"] == "train"]


def test_a_bad_row_in_a_later_chunk_is_named_by_its_row_in_the_file(tmp_path):
    rows = records(12)
    rows[9]["label"] = ""
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(KhabarError) as err:
        for _ in iter_examples(DataConfig(path=[path]), "topic", "c.yaml", chunk_rows=4):
            pass
    assert str(err.value).startswith(f"{path}: row 10:")


def test_rows_without_a_split_are_refused_with_the_fix(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "split"} for r in records(5)]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(KhabarError, match=r"d.jsonl: row 1: no split; streaming needs each row's split"):
        stream_splits(DataConfig(path=[path]), "topic", "c.yaml")


def test_a_streamed_split_reads_the_file_again_on_every_pass(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", records(40))
    splits = stream_splits(DataConfig(path=[path]), "topic", "c.yaml")
    assert isinstance(splits.train, StreamedSplit)
    assert len(splits.dev) == 10 and len(splits.test) == 10
    first = [ex.id for ex in splits.train]
    assert first == [ex.id for ex in splits.train] and len(splits.train) == 20
    assert [len(c) for c in splits.train.chunks(8)] == [8, 8, 4]


def test_a_missing_path_names_the_key(tmp_path):
    with pytest.raises(KhabarError, match=r"c.yaml: data.path: .*nope.jsonl: no such file or folder"):
        list(iter_examples(DataConfig(path=[str(tmp_path / "nope.jsonl")]), "topic", "c.yaml"))
