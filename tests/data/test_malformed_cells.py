"""Malformed data is refused naming the file, row and column, never silently accepted (issue 24,
class 7): a CSV quote left open (rows merged), multi-label cells that are broken lists or objects
or hold null/true, JSON true/false or numbers in a text column, true or fractions in a label
column, and .txt file names that are not UTF-8. The cases are generated.

Decided: a label column may hold whole numbers (some datasets number their classes: 0, 1, 2),
read as their digits; text and claim columns hold strings only.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from table_files import cfg, write

from khabar.data import load_examples, read_unlabeled
from khabar.errors import KhabarError

WORDS = ["فاز", "الفريق", "بالمباراة", "ارتفع", "سعر", "النفط", "الحكومة", "تعلن", "خطة"]
sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)


@settings(max_examples=40)
@given(texts=st.lists(sentence, min_size=2, max_size=8), where=st.integers(0, 7), extra_columns=st.integers(0, 2))
def test_a_quote_left_open_never_merges_rows_silently(tmp_path_factory, texts, where, extra_columns):
    where = where % len(texts)
    header = ["text", "label"] + [f"x{i}" for i in range(extra_columns)]
    rows = [[t, "sport" if i % 2 else "economy"] + ["v"] * extra_columns for i, t in enumerate(texts)]
    rows[where][0] = '"' + rows[where][0]  # the stray quote
    path = write(tmp_path_factory.mktemp("csv") / "d.csv",
                 ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows))
    try:
        examples = load_examples(cfg(path), "topic")
    except KhabarError as exc:
        assert "\n" not in str(exc) and "d.csv" in str(exc)
        return
    assert len(examples) == len(texts)  # accepted only when no row was swallowed


def broken_lists():
    whole = st.lists(st.sampled_from(["Sports", "Finance", "سياسة"]), min_size=1, max_size=3).map(json.dumps)
    cut = whole.flatmap(lambda text: st.integers(1, len(text) - 1).map(lambda n: text[:n]))
    objects = st.dictionaries(st.sampled_from(["Sports", "Finance"]), st.integers(0, 1), min_size=1).map(json.dumps)
    return st.one_of(cut.filter(lambda t: t.strip() and not t.strip().isalpha()), objects,
                     st.sampled_from(["[", "]", "{", "}", '["a",', '"Sports', 'Sports"', "[[]", "{}"]))


@settings(max_examples=40)
@given(broken_lists(), st.sampled_from(["csv", "jsonl"]))
def test_broken_label_list_cells_are_refused(tmp_path_factory, cell, layout):
    folder = tmp_path_factory.mktemp("ml")
    if layout == "csv":
        quoted = '"' + cell.replace('"', '""') + '"'
        path = write(folder / "d.csv", f"id,text,labels\n1,فاز الفريق,Sports\n2,ارتفع النفط,{quoted}\n")
    else:
        path = write(folder / "d.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (
            {"id": "1", "text": "فاز الفريق", "labels": "Sports"}, {"id": "2", "text": "ارتفع النفط", "labels": cell})))
    with pytest.raises(KhabarError, match=r"row 2"):
        load_examples(cfg(path, label_column="labels"), "topic", multi_label=True)


@given(st.lists(st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), st.just({"a": 1}), st.just([])),
                min_size=1, max_size=3), st.integers(0, 2))
def test_label_lists_with_null_true_or_objects_are_refused(tmp_path_factory, bad, at):
    items = ["Sports", "Finance"]
    labels = items[:at] + bad + items[at:]
    path = write(tmp_path_factory.mktemp("ml") / "d.jsonl", json.dumps(
        {"id": "1", "text": "فاز الفريق", "labels": labels}, ensure_ascii=False) + "\n")
    with pytest.raises(KhabarError, match=r"row 1: column 'labels'"):
        load_examples(cfg(path, label_column="labels"), "topic", multi_label=True)


non_text = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=40)
@given(non_text, st.sampled_from(["labeled", "unlabeled"]))
def test_json_true_or_numbers_in_a_text_column_are_refused(tmp_path_factory, value, use):
    path = write(tmp_path_factory.mktemp("t") / "d.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (
        {"text": "فاز الفريق", "label": "sport"}, {"text": value, "label": "sport"})))
    with pytest.raises(KhabarError, match=r"d.jsonl: row 2: column 'text' holds"):
        if use == "labeled":
            load_examples(cfg(path), "topic")
        else:
            read_unlabeled(path, "topic")


@settings(max_examples=30)
@given(st.one_of(st.booleans(), st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f))))
def test_true_or_fractions_in_a_label_column_are_refused(tmp_path_factory, value):
    path = write(tmp_path_factory.mktemp("l") / "d.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (
        {"text": "فاز الفريق", "label": "sport"}, {"text": "ارتفع النفط", "label": value})))
    with pytest.raises(KhabarError, match=r"row 2: column 'label' holds"):
        load_examples(cfg(path), "topic")


@given(st.integers(0, 10**9))
def test_whole_numbers_in_a_label_column_are_class_names(tmp_path_factory, value):
    path = write(tmp_path_factory.mktemp("l") / "d.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (
        {"text": "فاز الفريق", "label": 0}, {"text": "ارتفع النفط", "label": value})))
    assert [ex.label for ex in load_examples(cfg(path), "topic")] == ["0", str(value)]


@given(st.binary(min_size=1, max_size=6).filter(lambda b: b"/" not in b and b"\0" not in b and not b.startswith(b".")))
def test_file_names_that_are_not_utf8_are_refused(tmp_path_factory, raw):
    try:
        raw.decode("utf-8")
        return  # a UTF-8 name is fine
    except UnicodeDecodeError:
        pass
    folder = tmp_path_factory.mktemp("names")
    with open(os.path.join(os.fsencode(str(folder)), raw + b".txt"), "w", encoding="utf-8") as fh:
        fh.write("فاز الفريق")
    with pytest.raises(KhabarError, match="the file name is not UTF-8"):
        read_unlabeled(str(folder), "topic")


def test_a_single_txt_file_whose_name_is_not_utf8_is_refused(tmp_path):
    name = os.path.join(os.fsencode(str(tmp_path)), b"\xff\xfe.txt")
    with open(name, "w", encoding="utf-8") as fh:
        fh.write("فاز الفريق")
    with pytest.raises(KhabarError, match="the file name is not UTF-8"):
        read_unlabeled(os.fsdecode(name), "topic")
