"""khabar.data.formats: the registry every format-dependent behaviour derives from."""

from __future__ import annotations

import dataclasses
import json

import pytest
from table_files import ROWS, cfg, jsonl_text, triples, write

from khabar import schema
from khabar.data import DataConfig, load_examples
from khabar.data.formats import (
    FORMATS, Format, detect_format, extensions_text, format_choices, format_of, peek_columns, read_table, register, stem,
)
from khabar.errors import KhabarError


@pytest.mark.parametrize("name, fmt", [
    ("d.csv", "csv"), ("D.CSV", "csv"), ("d.tsv", "tsv"), ("d.tab", "tsv"), ("d.jsonl", "jsonl"), ("d.ndjson", "jsonl"),
    ("d.json", "json"), ("d.parquet", "parquet"), ("d.pq", "parquet"), ("dir/d.csv.gz", "csv"),
    ("d.jsonl.gz", "jsonl"), ("d.parquet.gz", None), ("d.xlsx", None), ("d", None), ("d.gz", None),
])
def test_format_of_a_file_name(name, fmt):
    assert format_of(name) == fmt


def test_every_extension_is_listed_in_messages():
    text = extensions_text()
    assert all(ext in text for f in FORMATS.values() for ext in f.extensions)
    with pytest.raises(KhabarError, match=r"d\.xlsx: unknown file type; use \.csv, .*set data\.format"):
        detect_format("d.xlsx")


def test_config_accepts_exactly_the_registered_formats():
    assert format_choices() == ("auto", *FORMATS, "folder", "hub")
    for choice in format_choices():
        assert schema.build(DataConfig, {"path": "x", "format": choice}, "data", "c.yaml").format == choice
    with pytest.raises(KhabarError, match=r"c\.yaml: data\.format: must be one of auto, csv, "):
        schema.build(DataConfig, {"path": "x", "format": "xlsx"}, "data", "c.yaml")


@pytest.mark.parametrize("path, expected", [
    ("data/train.csv.gz", "train"), ("train.jsonl", "train"), ("a/b/Test.parquet", "Test"), ("notes.md", "notes.md"),
    ("folder/", "folder"),
])
def test_stem(path, expected):
    assert stem(path) == expected


def test_peek_columns_of_each_format(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert peek_columns(write(tmp_path / "d.csv", "\ufeffid,text\n1,x\n"), "csv") == ["id", "text"]
    assert peek_columns(write(tmp_path / "d.tsv", "a\tb\n"), "tsv") == ["a", "b"]
    assert peek_columns(write(tmp_path / "d.jsonl", '\n{"x": 1, "y": 2}\n'), "jsonl") == ["x", "y"]
    assert peek_columns(write(tmp_path / "d.json", json.dumps({"data": [{"k": 1}]})), "json") == ["k"]
    pq.write_table(pa.table({"p": [1], "q": ["a"]}), tmp_path / "d.parquet")
    assert peek_columns(str(tmp_path / "d.parquet"), "parquet") == ["p", "q"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfeid\n")
    with pytest.raises(KhabarError, match=r"bad\.csv: line 1: not valid UTF-8"):
        peek_columns(str(bad), "csv")


def test_read_table_returns_the_wanted_columns_in_file_order(tmp_path):
    path = write(tmp_path / "d.csv", "id,text,label,extra\n007,x,a,1\n008,y,b,2\n\n")
    columns, data = read_table(path, "csv", ["id", "text", "label", None, "absent"])
    assert columns == ["id", "text", "label", "extra"]
    assert data == {"id": ["007", "008"], "text": ["x", "y"], "label": ["a", "b"]}


def test_a_registered_format_is_read_like_the_others(tmp_path, monkeypatch):
    """Adding a format is one register(Format(...)): detection and loading follow from it."""
    def open_dataset(path, cache):
        from datasets import Dataset

        rows = [line.split("|") for line in open(path, encoding="utf-8").read().splitlines()[1:]]
        return Dataset.from_dict({"id": [r[0] for r in rows], "text": [r[1] for r in rows], "label": [r[2] for r in rows]})

    monkeypatch.setitem(FORMATS, "psv", None)  # removed again after the test
    register(Format("psv", (".psv",), open_dataset, lambda path: ["id", "text", "label"], header=True))
    path = write(tmp_path / "d.psv", "id|text|label\n" + "".join("|".join(r) + "\n" for r in ROWS))
    assert format_of(path) == "psv" and "psv" in format_choices()
    assert triples(load_examples(cfg(path), "topic")) == ROWS
    assert triples(load_examples(cfg(path, format="psv"), "topic")) == ROWS


def test_formats_are_frozen_records():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FORMATS["csv"].header = False
    assert FORMATS["csv"].header and not FORMATS["jsonl"].header and not FORMATS["parquet"].text


def test_a_jsonl_file_with_a_broken_line_is_named_by_its_line(tmp_path):
    path = write(tmp_path / "d.jsonl", jsonl_text()[:-1] + "\n{broken\n")
    with pytest.raises(KhabarError, match=r"d\.jsonl: line 4: not valid JSON"):
        read_table(path, "jsonl", ["text"])
