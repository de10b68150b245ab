"""khabar.data.rows: columns of any source -> checked Examples, one line per bad row."""

from __future__ import annotations

import pytest
from table_files import cfg, csv_text, write

from khabar.data import load_examples
from khabar.data.label_sets import check_label
from khabar.data.rows import SPLIT_NAMES, cell, rows_to_examples, split_name, unique_ids
from khabar.errors import KhabarError
from khabar.examples import Example


def rows(cfg_, data, task="topic", labeled=True, stem="d", split=None, keys=None):
    located = rows_to_examples("d.csv", list(data), data, cfg_, task, labeled, stem, split, keys or {})
    return [ex for ex, _ in located], [loc for _, loc in located]


def test_columns_become_examples_with_their_locations():
    data = {"text": ["أ", "ب"], "label": ["x", "y"], "id": ["7", ""], "split": ["train", "Validation"],
            "source": ["s1", None]}
    exs, locs = rows(cfg("d.csv", source_column="source"), data)
    assert exs == [Example("7", "أ", "x", None, "s1", "train"), Example("d-2", "ب", "y", None, None, "dev")]
    assert locs == ["d.csv: row 1", "d.csv: row 2"]


def test_default_split_when_the_data_names_none():
    exs, _ = rows(cfg("d.csv", split_column=None), {"text": ["أ"], "label": ["x"]}, split="test")
    assert exs[0].split == "test"


def test_unlabeled_rows_need_no_label_column():
    exs, _ = rows(cfg("d.csv"), {"text": ["أ"]}, labeled=False)
    assert exs[0].label is None


def test_missing_column_names_the_key_to_set():
    with pytest.raises(KhabarError, match=r"d\.csv: no column 'label' \(columns present: text\); set data\.label_column"):
        rows(cfg("d.csv"), {"text": ["أ"]})
    with pytest.raises(KhabarError, match="set --pair-column"):
        rows(cfg("d.csv", pair_column="body"), {"text": ["أ"]}, task="stance", labeled=False, keys={"pair": "--pair-column"})


def test_empty_text_is_an_error_unless_skipped(capsys):
    data = {"text": ["أ", "  ", None], "label": ["x", "y", "z"]}
    with pytest.raises(KhabarError, match=r"d\.csv: row 2: empty text in column 'text'.*data\.skip_empty: true"):
        rows(cfg("d.csv"), data)
    exs, _ = rows(cfg("d.csv", skip_empty=True), data)
    assert [e.text for e in exs] == ["أ"]
    assert "skipped 2 empty texts (empty, or nothing to read: no letter) in d.csv" in capsys.readouterr().err


def test_stance_rows_need_both_parts():
    data = {"claim": ["c", "c"], "body": ["t", ""], "label": ["agree", "agree"]}
    with pytest.raises(KhabarError, match=r"row 2: empty text in column 'body'"):
        rows(cfg("d.csv", text_column="claim", pair_column="body"), data, task="stance")


def test_a_cell_that_is_not_text_names_row_and_column():
    assert cell(7, "loc", "id") == "7" and cell(None, "loc", "id") == "" and cell("  x ", "loc", "t") == "x"
    with pytest.raises(KhabarError, match=r"d\.csv: row 1: column 'text' holds list, expected text"):
        rows(cfg("d.csv"), {"text": [["a", "b"]], "label": ["x"]})


def test_label_map_and_allowed_labels(tmp_path):
    path = write(tmp_path / "d.csv", csv_text())
    exs = load_examples(cfg(path, label_map={"sports": "Sports"}, labels=["Sports", "finance", "politics"]), "topic")
    assert [e.label for e in exs] == ["Sports", "finance", "politics"]
    with pytest.raises(KhabarError, match=r"d\.csv: row 2: label 'finance' is not one of data\.labels"):
        load_examples(cfg(path, labels=["sports", "politics"]), "topic")


def test_check_label():
    assert check_label("sport", "loc", cfg("x", label_map={"sport": "Sports"})) == "Sports"
    with pytest.raises(KhabarError, match="loc: missing label in column 'label'"):
        check_label("", "loc", cfg("x"))


def test_split_names_and_aliases():
    assert {split_name(name, "loc") for name in SPLIT_NAMES} == {"train", "dev", "test"}
    assert split_name("VALIDATION", "loc") == "dev" and split_name("Testing", "loc") == "test"
    with pytest.raises(KhabarError, match="loc: split 'holdout' is not train, dev or test"):
        split_name("holdout", "loc")


def test_unique_ids_names_both_rows():
    located = [(Example("1", "a"), "d.csv: row 1"), (Example("2", "b"), "d.csv: row 2"), (Example("1", "c"), "e.csv: row 5")]
    with pytest.raises(KhabarError, match=r"e\.csv: row 5: duplicate id '1' \(also at d\.csv: row 1\)"):
        unique_ids(located)
    assert [e.id for e in unique_ids(located[:2])] == ["1", "2"]
