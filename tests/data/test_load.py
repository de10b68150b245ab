"""khabar.data.load: every input form gives the same Examples (the front door: load_examples,
guess_data_config, read_unlabeled)."""

from __future__ import annotations

import json

import pytest
from table_files import ROWS, cfg, csv_text, jsonl_text, triples, write

from khabar.data import guess_data_config, load_examples, load_splits, read_unlabeled
from khabar.errors import KhabarError
from khabar.examples import Example


@pytest.mark.parametrize("name,content", [
    ("d.csv", csv_text()),
    ("d.tsv", csv_text([(i, t, lab) for i, t, lab in ROWS]).replace(",", "\t")),
    ("d.jsonl", jsonl_text()),
    ("d.jsonl.gz", jsonl_text()),
    ("d.csv.gz", csv_text()),
    ("d.json", json.dumps([{"id": i, "text": t, "label": lab} for i, t, lab in ROWS], ensure_ascii=False)),
    ("w.json", json.dumps({"data": [{"id": i, "text": t, "label": lab} for i, t, lab in ROWS]}, ensure_ascii=False)),
])
def test_every_table_format_gives_the_same_examples(tmp_path, name, content):
    path = write(tmp_path / name, content)
    assert triples(load_examples(cfg(path), "topic")) == ROWS


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": [r[0] for r in ROWS], "text": [r[1] for r in ROWS], "label": [r[2] for r in ROWS]}), path)
    assert triples(load_examples(cfg(path), "topic")) == ROWS


def test_csv_keeps_text_as_text(tmp_path):
    """Leading zeros, NA and a quoted comma/newline survive; a BOM does not hide the header."""
    path = write(tmp_path / "d.csv", '\ufeffid,text,label\n007,NA,x\n008,"سطر، أول\nسطر ثان",y\n')
    exs = load_examples(cfg(path), "topic")
    assert [(e.id, e.text) for e in exs] == [("007", "NA"), ("008", "سطر، أول\nسطر ثان")]


def test_blank_lines_at_the_end_are_not_rows(tmp_path):
    path = write(tmp_path / "d.csv", "text,label\nx,a\ny,b\n\n\n")
    assert [e.text for e in load_examples(cfg(path), "topic")] == ["x", "y"]


def test_tsv_quote_inside_a_field_is_text(tmp_path):
    path = write(tmp_path / "d.tsv", 'text\tlabel\n"غدوة حي" فيلم\tculture\nخبر\tsports\n')
    assert [e.text for e in load_examples(cfg(path), "topic")] == ['"غدوة حي" فيلم', "خبر"]


def test_several_files_are_concatenated_with_ids_from_stem_and_row(tmp_path):
    a = write(tmp_path / "one.csv", csv_text(ROWS[:2], "x,text,label"))
    b = write(tmp_path / "two.jsonl", jsonl_text(ROWS[2:]).replace('"id"', '"key"'))
    exs = load_examples(cfg(a, b, id_column="id"), "topic")
    assert [e.id for e in exs] == ["one-1", "one-2", "two-1"]
    assert [e.label for e in exs] == ["sports", "finance", "politics"]


def test_same_stem_in_two_folders_gives_distinct_ids(tmp_path):
    a = write(tmp_path / "x" / "d.csv", csv_text(ROWS[:1], "k,text,label"))
    b = write(tmp_path / "y" / "d.csv", csv_text(ROWS[1:2], "k,text,label"))
    ids = [e.id for e in load_examples(cfg(a, b), "topic")]
    assert len(set(ids)) == 2


def test_folder_per_label(tmp_path):
    write(tmp_path / "sanad" / "Sports" / "1.txt", "  الفريق فاز\n")
    write(tmp_path / "sanad" / "Finance" / "deep" / "2.txt", "النفط")
    write(tmp_path / "sanad" / "Finance" / ".hidden.txt", "not an article")
    exs = load_examples(cfg(tmp_path / "sanad", format="folder"), "topic")
    assert triples(exs) == [("Finance/deep/2.txt", "النفط", "Finance"), ("Sports/1.txt", "الفريق فاز", "Sports")]
    assert guess_data_config(str(tmp_path / "sanad")) == (cfg(tmp_path / "sanad", format="folder"), "topic")


def test_folder_with_split_level(tmp_path):
    for split in ("Train", "Test"):
        for label in ("a", "b"):
            write(tmp_path / "c" / split / label / "1.txt", f"{split} {label}")
    splits = load_splits(cfg(tmp_path / "c"), "topic", seed=1)
    assert [e.id for e in splits.test] == ["Test/a/1.txt", "Test/b/1.txt"] and splits.dev == []
    assert {e.label for e in splits.train} == {"a", "b"}


def test_folder_for_stance_is_refused(tmp_path):
    write(tmp_path / "f" / "agree" / "1.txt", "نص")
    with pytest.raises(KhabarError, match="holds single articles but task stance"):
        load_examples(cfg(tmp_path / "f", format="folder", pair_column="x"), "stance")


def test_stance_columns(tmp_path):
    path = write(tmp_path / "s.csv", "s1,s2,stance\nادعاء,خبر يؤكد,agree\nادعاء,خبر ينفي,disagree\n")
    config, task = guess_data_config(path)
    assert task == "stance" and (config.text_column, config.pair_column, config.label_column) == ("s1", "s2", "stance")
    ex = load_examples(config, task)[1]
    assert (ex.text, ex.text_pair, ex.label, ex.inputs) == ("ادعاء", "خبر ينفي", "disagree", ("ادعاء", "خبر ينفي"))


def test_stance_without_pair_column_is_refused_before_reading(tmp_path):
    with pytest.raises(KhabarError, match=r"c\.yaml: data\.pair_column: required for task stance"):
        load_examples(cfg(tmp_path / "never-read.csv"), "stance", "c.yaml")
    with pytest.raises(KhabarError, match="task must be one of topic, stance"):
        load_examples(cfg(tmp_path / "never-read.csv"), "sentiment")


def test_guess_data_config_names_what_it_found(tmp_path):
    topic = write(tmp_path / "t.jsonl", json.dumps({"ID": 1, "Article": "x", "category": "c", "split": "train", "source": "s"}) + "\n")
    config, task = guess_data_config(topic)
    assert task == "topic" and (config.text_column, config.label_column, config.id_column,
                                config.split_column, config.source_column) == ("Article", "category", "ID", "split", "source")
    claim_text = write(tmp_path / "ct.jsonl", json.dumps({"claim": "c", "text": "t", "label": "agree"}) + "\n")
    assert guess_data_config(claim_text)[0].pair_column == "text"
    titled = write(tmp_path / "ht.jsonl", json.dumps({"headline": "h", "text": "t", "label": "x"}) + "\n")
    assert guess_data_config(titled) == (cfg(titled, format="jsonl", split_column=None, id_column=None), "topic")
    pair = write(tmp_path / "p.csv", "claim,article,label\nc,a,agree\n")
    assert guess_data_config(pair)[0].pair_column == "article"
    assert guess_data_config(pair, "topic")[0].pair_column is None
    ex = load_examples(guess_data_config(topic)[0], "topic")[0]
    assert (ex.id, ex.source, ex.split) == ("1", "s", "train")


def test_guess_data_config_of_a_folder_of_tables(tmp_path):
    write(tmp_path / "d" / "a.csv", csv_text(ROWS[:1]))
    write(tmp_path / "d" / "b.jsonl", jsonl_text(ROWS[1:]))
    config, task = guess_data_config(str(tmp_path / "d"))
    assert task == "topic" and config.format == "auto"  # two formats: each file by its extension
    assert [e.id for e in load_examples(config, task)] == ["a1", "a2", "a3"]
    assert guess_data_config("hf:someone/news")[0].format == "hub"


def test_guess_unknown_columns_lists_them(tmp_path):
    path = write(tmp_path / "u.csv", "foo,bar\n1,2\n")
    with pytest.raises(KhabarError, match=r"u\.csv: no text column.*foo, bar.*data\.text_column"):
        guess_data_config(path)
    with pytest.raises(KhabarError, match=r"task stance needs a claim.*data\.pair_column"):
        guess_data_config(write(tmp_path / "t.csv", "text,label\nx,y\n"), "stance")
    with pytest.raises(KhabarError, match="no such file or folder"):
        guess_data_config(str(tmp_path / "absent.csv"))


def test_skip_empty_reports_count(tmp_path, capsys):
    path = write(tmp_path / "d.csv", "text,label\nنص,a\n,b\n   ,c\nآخر,d\n")
    assert [e.text for e in load_examples(cfg(path, skip_empty=True), "topic")] == ["نص", "آخر"]
    assert f"skipped 2 empty texts (empty, or nothing to read: no letter) in {path}" in capsys.readouterr().err


def test_skip_empty_in_a_folder(tmp_path, capsys):
    write(tmp_path / "f" / "a" / "1.txt", "نص")
    write(tmp_path / "f" / "b" / "2.txt", "  \n")
    exs = load_examples(cfg(tmp_path / "f", skip_empty=True), "topic")
    assert [e.id for e in exs] == ["a/1.txt"]
    assert "skipped 1 empty texts" in capsys.readouterr().err
    with pytest.raises(KhabarError, match=r"2\.txt: empty text.*data\.skip_empty: true"):
        load_examples(cfg(tmp_path / "f"), "topic")


# ---------------------------------------------------------------- unlabeled input

def test_read_unlabeled(tmp_path):
    one = write(tmp_path / "one.txt", "مقال واحد\n")
    assert read_unlabeled(one, "topic") == [Example("one.txt", "مقال واحد")]
    write(tmp_path / "dir" / "a.txt", "أ")
    write(tmp_path / "dir" / "sub" / "b.txt", "ب")
    assert [(e.id, e.text) for e in read_unlabeled(str(tmp_path / "dir"), "topic")] == [("a.txt", "أ"), ("sub/b.txt", "ب")]
    table = write(tmp_path / "new.csv", "body,other\nنص,x\n")
    assert [(e.id, e.text, e.label) for e in read_unlabeled(table, "topic")] == [("new-1", "نص", None)]
    assert read_unlabeled(table, "topic", text_column="other")[0].text == "x"
    pairs = write(tmp_path / "p.jsonl", json.dumps({"claim": "c", "body": "b"}) + "\n")
    assert read_unlabeled(pairs, "stance")[0].inputs == ("c", "b")


@pytest.mark.parametrize("make,args,pattern", [
    (lambda p: write(p / "a.txt", "x"), ("stance",), r"a\.txt: stance needs a claim and a text"),
    (lambda p: write(p / "n.csv", "text\nx\n"), ("stance",), r"n\.csv: task stance needs a claim column"),
    (lambda p: write(p / "m.csv", "text,k\nx,y\n"), ("stance", "text", "nope"), r"m\.csv: no column 'nope'.*--pair-column"),
    (lambda p: write(p / "e.csv", "text\nx\n\ny\n"), ("topic",), r"e\.csv: row 2: empty text"),
    (lambda p: str((p / "empty_dir").mkdir() or p / "empty_dir"), ("topic",), r"empty_dir: no \.txt files"),
    (lambda p: write(p / "z.txt", "   "), ("topic",), r"z\.txt: empty text"),
    (lambda p: write(p / "b.txt", "x") + ".missing", ("topic",), r"b\.txt\.missing: no such file"),
])
def test_read_unlabeled_errors(tmp_path, make, args, pattern):
    path = make(tmp_path)
    with pytest.raises(KhabarError, match=pattern):
        read_unlabeled(path, *args)
