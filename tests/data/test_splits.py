"""khabar.data.splits: the splits the data names, else a seeded stratified split."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from table_files import ROWS, cfg, csv_text, jsonl_text, write

from khabar.data import SplitRatios, load_splits
from khabar.data.splits import split_examples, splits_of
from khabar.errors import KhabarError
from khabar.examples import Example


def labeled(n_per_label, labels=("a", "b", "c")):
    return [Example(f"{lab}{i}", f"text {lab} {i}", lab) for lab in labels for i in range(n_per_label)]


def test_split_column_with_validation_alias(tmp_path):
    rows = [{"text": f"t{i}", "label": "ab"[i % 2], "split": s}
            for i, s in enumerate(["train", "train", "validation", "valid", "test", "TEST"])]
    path = write(tmp_path / "d.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    splits = load_splits(cfg(path), "topic", seed=0)
    assert [len(p) for _, p in splits.items()] == [2, 2, 2]
    assert {e.split for e in splits.dev} == {"dev"}


def test_file_names_give_splits(tmp_path):
    tr = write(tmp_path / "train.csv", csv_text(header="id,text,label"))
    te = write(tmp_path / "test.csv", csv_text([("b1", "نص", "sports")]))
    splits = load_splits(cfg(tr, te), "topic", seed=0)
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (3, 0, 1)


def test_one_file_named_like_a_split_is_not_a_split(tmp_path):
    """Only several files that all name a split give splits; a lone train.csv is split by ratio
    (120 rows: a smaller file without splits trains whole, see test_few_labels)."""
    tr = write(tmp_path / "train.csv", csv_text([(f"i{i}", f"نص {i}", "ab"[i % 2]) for i in range(120)]))
    splits = load_splits(cfg(tr), "topic", seed=0)
    assert len(splits.test) > 0 and len(splits.dev) > 0


def test_stratified_split_is_seeded_and_keeps_every_label_in_train():
    exs = labeled(20) + labeled(1, ["rare"]) + labeled(3, ["small"])
    one, two = split_examples(exs, SplitRatios(), 7), split_examples(exs, SplitRatios(), 7)
    assert one == two
    assert split_examples(exs, SplitRatios(), 8) != one
    assert {e.label for e in one.train} == {"a", "b", "c", "rare", "small"}
    assert sorted(e.id for _, p in one.items() for e in p) == sorted(e.id for e in exs)
    for label in "abc":  # stratified: 2 of 20 in dev and in test
        assert Counter(e.label for e in one.test)[label] == 2 and Counter(e.label for e in one.dev)[label] == 2
    assert {e.split for e in one.test} == {"test"}


def test_dev_ratio_zero_and_tiny_data():
    splits = split_examples(labeled(10), SplitRatios(0.7, 0.0, 0.3), 0)
    assert splits.dev == [] and len(splits.test) == 9
    tiny = split_examples(labeled(1) + labeled(2, ["d"]), SplitRatios(), 0)
    assert len(tiny.train) == 5 and tiny.test == []


def test_splits_of_says_where_the_splits_came_from():
    named = [Example("1", "a", "x", split="train"), Example("2", "b", "y", split="test")]
    splits, from_data = splits_of(named, SplitRatios(), 0)
    assert from_data and [e.id for e in splits.test] == ["2"]
    splits, from_data = splits_of(labeled(40), SplitRatios(), 0)
    assert not from_data and len(splits.train) == 96


def test_partial_split_column_is_an_error(tmp_path):
    a = write(tmp_path / "a.jsonl", jsonl_text(ROWS[:1], split="train"))
    b = write(tmp_path / "b.jsonl", jsonl_text(ROWS[1:]))
    with pytest.raises(KhabarError, match="1 examples name a split and 2 do not"):
        load_splits(cfg(a, b), "topic", 0)
