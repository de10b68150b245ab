"""khabar.data.label_sets: multi-label gold from a list field, a delimited column or 0/1 columns."""

from __future__ import annotations

import json

import pytest
from table_files import cfg, write

from khabar.data import load_examples, load_splits
from khabar.errors import KhabarError

TEXTS = ["الفريق فاز بالمباراة", "ارتفع سعر النفط", "النادي يعلن أرباحه", "الحكومة تعلن خطة"]


def jsonl(tmp_path, label_cells, name="d.jsonl", key="labels"):
    rows = [{"id": f"a{i}", "text": TEXTS[i % len(TEXTS)], key: cell} for i, cell in enumerate(label_cells)]
    return write(tmp_path / name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def test_a_list_field_gives_each_article_its_label_set(tmp_path):
    path = jsonl(tmp_path, [["sports"], ["finance"], ["sports", "finance"]])
    exs = load_examples(cfg(path, label_column="labels"), "topic", multi_label=True)
    assert [ex.labels for ex in exs] == [("sports",), ("finance",), ("sports", "finance")]
    assert all(ex.label is None for ex in exs)
    assert exs[2].gold == ("sports", "finance")


def test_a_delimited_column_is_split_on_the_configured_delimiter(tmp_path):
    path = write(tmp_path / "d.csv", "id,text,topics\n1,نص أول,Sports|Finance\n2,نص ثان, Politics \n")
    exs = load_examples(cfg(path, label_column="topics"), "topic", multi_label=True)
    assert [ex.labels for ex in exs] == [("Sports", "Finance"), ("Politics",)]
    path = write(tmp_path / "e.csv", "id,text,topics\n1,نص أول,Sports;Finance\n")
    exs = load_examples(cfg(path, label_column="topics", label_delimiter=";"), "topic", multi_label=True)
    assert exs[0].labels == ("Sports", "Finance")


def test_zero_one_columns_name_the_labels(tmp_path):
    path = write(tmp_path / "d.csv", "id,text,Sports,Finance,Politics\n1,نص أول,1,1,0\n2,نص ثان,0,0,true\n")
    exs = load_examples(cfg(path, label_columns=["Sports", "Finance", "Politics"]), "topic", multi_label=True)
    assert [ex.labels for ex in exs] == [("Sports", "Finance"), ("Politics",)]


def test_label_map_and_the_single_label_view_of_the_same_file(tmp_path):
    rows = [{"id": "a", "text": TEXTS[0], "label": "sport", "labels": ["sport", "economy"]}]
    path = write(tmp_path / "d.jsonl", json.dumps(rows[0], ensure_ascii=False) + "\n")
    multi = load_examples(cfg(path, label_column="labels", label_map={"sport": "Sports"}), "topic", multi_label=True)
    assert multi[0].labels == ("Sports", "economy")
    single = load_examples(cfg(path), "topic")
    assert (single[0].label, single[0].labels) == ("sport", None)


@pytest.mark.parametrize("cells, message", [
    ([["sports"], []], r"d\.jsonl: row 2: empty label set in column 'labels'"),
    ([["sports"], ["sports", "sports"]], r"row 2: label 'sports' appears twice"),
    ([["sports"], ["sports", ""]], r"row 2: column 'labels' holds a list with ''"),
    ([["sports"], ["sports", 3.5]], r"row 2: column 'labels' holds a list with 3\.5"),
    ([["sports"], ["sports", True]], r"row 2: column 'labels' holds a list with True"),
    ([["sports"], ["weather"]], r"row 2: label 'weather' is not one of data\.labels"),
])
def test_bad_label_cells_are_one_line_naming_file_and_row(tmp_path, cells, message):
    path = jsonl(tmp_path, cells)
    with pytest.raises(KhabarError, match=message):
        load_examples(cfg(path, label_column="labels", labels=["sports", "finance"]), "topic", multi_label=True)


def test_a_malformed_delimited_cell_or_flag_names_the_row_and_column(tmp_path):
    path = write(tmp_path / "d.csv", "id,text,topics\n1,نص,Sports\n2,نص آخر,Sports||Finance\n")
    with pytest.raises(KhabarError, match=r"d\.csv: row 2: column 'topics' holds 'Sports\|\|Finance', with an empty label"):
        load_examples(cfg(path, label_column="topics"), "topic", multi_label=True)
    path = write(tmp_path / "e.csv", "id,text,Sports,Finance\n1,نص,1,0\n2,نص آخر,1,maybe\n")
    with pytest.raises(KhabarError, match=r"e\.csv: row 2: label column 'Finance' holds 'maybe'"):
        load_examples(cfg(path, label_columns=["Sports", "Finance"]), "topic", multi_label=True)
    path = write(tmp_path / "f.csv", "id,text,Sports,Finance\n1,نص,0,0\n")
    with pytest.raises(KhabarError, match=r"f\.csv: row 1: empty label set in columns Sports, Finance"):
        load_examples(cfg(path, label_columns=["Sports", "Finance"]), "topic", multi_label=True)


def test_a_missing_label_column_names_the_key(tmp_path):
    path = write(tmp_path / "d.csv", "id,text,Sports\n1,نص,1\n")
    with pytest.raises(KhabarError, match=r"no column 'Finance'.*set data\.label_columns"):
        load_examples(cfg(path, label_columns=["Sports", "Finance"]), "topic", multi_label=True)


def test_a_label_folder_cannot_hold_label_sets(tmp_path):
    write(tmp_path / "corpus" / "Sports" / "a.txt", "الفريق فاز")
    with pytest.raises(KhabarError, match="a folder per label gives each article one label"):
        load_examples(cfg(tmp_path / "corpus"), "topic", multi_label=True)


def test_a_seeded_split_keeps_label_sets_and_repeats(tmp_path):
    sets = [["sports"], ["finance"], ["politics"], ["sports", "finance"]] * 10
    path = jsonl(tmp_path, sets)
    data = cfg(path, label_column="labels", split_column=None)
    first = load_splits(data, "topic", 3, multi_label=True)
    again = load_splits(data, "topic", 3, multi_label=True)
    assert [ex.id for ex in first.test] == [ex.id for ex in again.test]
    assert sum(len(part) for _, part in first.items()) == len(sets)
    assert {ex.labels for ex in first.train} == {tuple(s) for s in sets}


def test_a_list_written_into_a_csv_cell_is_read_as_that_list(tmp_path):
    """pandas writes a list column as ['a', 'b']; JSON tools as ["a", "b"]: neither is a label named '[...]'."""
    path = write(tmp_path / "d.csv", 'id,text,labels\n1,نص أول,"[""Sports"", ""Finance""]"\n2,نص ثان,"[\'Politics\']"\n')
    exs = load_examples(cfg(path, label_column="labels"), "topic", multi_label=True)
    assert [ex.labels for ex in exs] == [("Sports", "Finance"), ("Politics",)]
    bad = write(tmp_path / "e.csv", 'id,text,labels\n1,نص,"[Sports, Finance"]\n')
    with pytest.raises(KhabarError, match=r"e\.csv: row 1: .*looks like a list but is not one"):
        load_examples(cfg(bad, label_column="labels"), "topic", multi_label=True)
    nested = write(tmp_path / "f.csv", 'id,text,labels\n1,نص,"[[""Sports""]]"\n')
    with pytest.raises(KhabarError, match=r"f\.csv: row 1: column 'labels' holds a list with \['Sports'\]"):
        load_examples(cfg(nested, label_column="labels"), "topic", multi_label=True)


def test_numbered_categories_and_a_label_map_that_merges_two_labels(tmp_path):
    path = jsonl(tmp_path, [[1, 3], ["sports", "finance"]])
    exs = load_examples(cfg(path, label_column="labels"), "topic", multi_label=True)
    assert exs[0].labels == ("1", "3")
    merged = load_examples(cfg(path, label_column="labels", label_map={"finance": "sports", "1": "one"}), "topic",
                           multi_label=True)
    assert [ex.labels for ex in merged] == [("one", "3"), ("sports",)]


def test_a_very_long_label_list_is_checked_in_linear_time(tmp_path):
    path = jsonl(tmp_path, [[f"label{i}" for i in range(50_000)] + ["label7"]])
    with pytest.raises(KhabarError, match="label 'label7' appears twice"):
        load_examples(cfg(path, label_column="labels"), "topic", multi_label=True)
