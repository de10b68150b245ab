"""khabar.data: every input format gives the same Examples; every bad input is one clear line."""

from __future__ import annotations

import gzip
import json
import time
from collections import Counter

import pytest

from khabar import data_hub
from khabar.cli import main
from khabar.config import DataConfig, SplitRatios
from khabar.data import guess_data_config, load_examples, load_splits, read_unlabeled, split_examples
from khabar.errors import KhabarError
from khabar.examples import Example

ROWS = [("a1", "الفريق فاز بالمباراة", "sports"), ("a2", "ارتفع سعر النفط", "finance"),
        ("a3", "الحكومة تعلن خطة", "politics")]


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding=encoding) as fh:
        fh.write(text)
    return str(path)


def csv_text(rows=ROWS, header="id,text,label"):
    return header + "\n" + "".join(",".join(r) + "\n" for r in rows)


def jsonl_text(rows=ROWS, **extra):
    return "".join(json.dumps({"id": i, "text": t, "label": lab, **extra}, ensure_ascii=False) + "\n"
                   for i, t, lab in rows)


def cfg(*paths, **kw):
    return DataConfig(path=[str(p) for p in paths], **kw)


def triples(examples):
    return [(ex.id, ex.text, ex.label) for ex in examples]


# ---------------------------------------------------------------- formats

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


def test_stance_columns(tmp_path):
    path = write(tmp_path / "s.csv", "s1,s2,stance\nادعاء,خبر يؤكد,agree\nادعاء,خبر ينفي,disagree\n")
    config, task = guess_data_config(path)
    assert task == "stance" and (config.text_column, config.pair_column, config.label_column) == ("s1", "s2", "stance")
    ex = load_examples(config, task)[1]
    assert (ex.text, ex.text_pair, ex.label, ex.inputs) == ("ادعاء", "خبر ينفي", "disagree", ("ادعاء", "خبر ينفي"))


def test_guess_columns(tmp_path):
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


def test_guess_unknown_columns_lists_them(tmp_path):
    path = write(tmp_path / "u.csv", "foo,bar\n1,2\n")
    with pytest.raises(KhabarError, match=r"u\.csv: no text column.*foo, bar.*data\.text_column"):
        guess_data_config(path)
    with pytest.raises(KhabarError, match=r"task stance needs a claim.*data\.pair_column"):
        guess_data_config(write(tmp_path / "t.csv", "text,label\nx,y\n"), "stance")


def test_label_map_and_allowed_labels(tmp_path):
    path = write(tmp_path / "d.csv", csv_text())
    exs = load_examples(cfg(path, label_map={"sports": "Sports"}, labels=["Sports", "finance", "politics"]), "topic")
    assert [e.label for e in exs] == ["Sports", "finance", "politics"]
    with pytest.raises(KhabarError, match=r"d\.csv: row 2: label 'finance' is not one of data\.labels"):
        load_examples(cfg(path, labels=["sports", "politics"]), "topic")


def test_skip_empty_reports_count(tmp_path, capsys):
    path = write(tmp_path / "d.csv", "text,label\nنص,a\n,b\n   ,c\nآخر,d\n")
    assert [e.text for e in load_examples(cfg(path, skip_empty=True), "topic")] == ["نص", "آخر"]
    assert f"skipped 2 empty texts in {path}" in capsys.readouterr().err


# ---------------------------------------------------------------- splits

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


def test_partial_split_column_is_an_error(tmp_path):
    a = write(tmp_path / "a.jsonl", jsonl_text(ROWS[:1], split="train"))
    b = write(tmp_path / "b.jsonl", jsonl_text(ROWS[1:]))
    with pytest.raises(KhabarError, match="1 examples name a split and 2 do not"):
        load_splits(cfg(a, b), "topic", 0)


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
    (lambda p: write(p / "b.txt", "x"), ("topic",), None),
])
def test_read_unlabeled_errors(tmp_path, make, args, pattern):
    path = make(tmp_path)
    if pattern is None:
        with pytest.raises(KhabarError, match="no such file"):
            read_unlabeled(path + ".missing", *args)
    else:
        with pytest.raises(KhabarError, match=pattern):
            read_unlabeled(path, *args)


# ---------------------------------------------------------------- Hugging Face Hub

def test_hub_offline_fails_fast_with_one_line(monkeypatch, capsys):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(data_hub, "_hub_reachable", lambda *a: pytest.fail("offline mode must not probe the network"))
    start = time.monotonic()
    assert main(["data", "stats", "hf:nobody/no-such-news"]) == 2
    err = capsys.readouterr().err
    assert time.monotonic() - start < 10
    assert err.count("\n") == 1 and "hf:nobody/no-such-news: the dataset could not be reached" in err
    assert "point data.path at local files" in err


def test_hub_unreachable_switches_to_offline_mode(monkeypatch):
    import datasets
    import huggingface_hub.constants as hub

    seen = {}
    before = (datasets.config.HF_HUB_OFFLINE, hub.HF_HUB_OFFLINE)

    def fake_load(name, config=None, **kw):
        seen["offline"] = (datasets.config.HF_HUB_OFFLINE, hub.HF_HUB_OFFLINE)
        raise ConnectionError("Couldn't reach the Hub")

    monkeypatch.setattr(data_hub, "_hub_reachable", lambda *a: False)
    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    with pytest.raises(KhabarError, match="could not be reached"):
        load_examples(cfg("hf:x/y"), "topic")
    assert seen["offline"] == (True, True)
    assert (datasets.config.HF_HUB_OFFLINE, hub.HF_HUB_OFFLINE) == before  # only for that call


def test_hub_probe_is_bounded(monkeypatch):
    import huggingface_hub.constants as hub

    monkeypatch.setattr(hub, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    for key in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    start = time.monotonic()
    assert data_hub._hub_reachable(timeout=1.0) is False
    assert time.monotonic() - start < 2


def test_hub_dataset_splits_and_class_labels(monkeypatch):
    import datasets

    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])})
    dd = datasets.DatasetDict({
        name: datasets.Dataset.from_dict({"text": [f"{name} a", f"{name} b"], "label": [0, 1]}, features=features)
        for name in ("train", "validation", "unsupervised")})
    monkeypatch.setattr(data_hub, "_hub_reachable", lambda *a: True)
    monkeypatch.setattr(datasets, "load_dataset", lambda name, config=None, **kw: dd)
    splits = load_splits(cfg("hf:x/y", format="hub"), "topic", 0)
    assert [(e.text, e.label) for e in splits.dev] == [("validation a", "neg"), ("validation b", "pos")]
    assert len(splits.train) == 2 and splits.test == []


# ---------------------------------------------------------------- bad input, through the CLI

def _parquet_garbage(p):
    (p / "bad.parquet").write_bytes(b"PAR1 this is not parquet")
    return str(p / "bad.parquet")


def _bad_bytes(p, name, prefix=b"text,label\n", bad=b"\xff\xfe x,y\n"):
    data = prefix + "نص,a\n".encode() + bad
    path = p / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return str(path)


BAD = [
    ("missing file", lambda p: str(p / "nope.csv"), r"nope\.csv: no such file or folder"),
    ("missing column", lambda p: write(p / "d.csv", "id,text\n1,x\n"),
     r"d\.csv: no column 'label' \(columns present: id, text\); set data\.label_column"),
    ("empty text", lambda p: write(p / "d.csv", "text,label\nx,a\n,b\n"), r"d\.csv: row 2: empty text.*data\.skip_empty: true"),
    ("missing label", lambda p: write(p / "d.jsonl", '{"text":"x","label":"a"}\n{"text":"y","label":null}\n'),
     r"d\.jsonl: row 2: missing label in column 'label'"),
    ("bad utf-8 csv", lambda p: _bad_bytes(p, "d.csv"), r"d\.csv: line 3: not valid UTF-8; re-encode"),
    ("bad utf-8 jsonl.gz", lambda p: _bad_bytes(p, "d.jsonl.gz", b'{"text":"a","label":"b"}\n', b'{"text":"\xc3","label":"b"}\n'),
     r"d\.jsonl\.gz: line 3: not valid UTF-8"),
    ("bad utf-8 in folder", lambda p: (write(p / "f" / "b" / "2.txt", "x"), (p / "f" / "b" / "2.txt").write_bytes(b"ok\n\xe9t\xe9"),
                                       str(p / "f"))[-1], r"f/b/2\.txt: line 2: not valid UTF-8"),
    ("not gzip", lambda p: (p / "d.jsonl.gz").write_bytes(b"plain") and str(p / "d.jsonl.gz"), r"d\.jsonl\.gz: cannot read"),
    ("folder without txt", lambda p: (write(p / "f" / "a" / "1.md", "x"), str(p / "f"))[-1], r"f: no \.txt files"),
    ("txt outside label folder", lambda p: (write(p / "f" / "a" / "1.txt", "x"), write(p / "f" / "loose.txt", "y"), str(p / "f"))[-1],
     r"loose\.txt: not inside a label sub-folder"),
    ("unreadable parquet", _parquet_garbage, r"bad\.parquet: cannot read as parquet"),
    ("broken json line", lambda p: write(p / "d.jsonl", '{"text":"x","label":"a"}\n{"text": oops}\n'), r"d\.jsonl: line 2: not valid JSON"),
    ("empty pair", lambda p: write(p / "s.csv", "s1,s2,stance\nc,t,agree\nc,,agree\n"), r"s\.csv: row 2: empty text in column 's2'"),
    ("duplicate ids", lambda p: write(p / "d.csv", "id,text,label\n1,x,a\n2,y,b\n1,z,c\n"),
     r"d\.csv: row 3: duplicate id '1' \(also at .*d\.csv: row 1\)"),
    ("bad split value", lambda p: write(p / "d.csv", "text,label,split\nx,a,train\ny,b,holdout\n"), r"d\.csv: row 2: split 'holdout'"),
    ("duplicate header", lambda p: write(p / "d.csv", "text,text,label\nx,y,a\n"), r"d\.csv: line 1: column 'text' appears twice"),
    ("ragged csv", lambda p: write(p / "d.csv", "text,label\nx,a\ny,b,extra\n"), r"d\.csv: cannot read as csv"),
    ("header only", lambda p: write(p / "d.csv", "text,label\n"), r"d\.csv: no data rows"),
    ("empty file", lambda p: write(p / "d.csv", ""), r"d\.csv: empty file"),
    ("unknown type", lambda p: write(p / "d.xlsx", "x"), r"d\.xlsx: unknown file type"),
]


@pytest.mark.parametrize("make,pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, make, pattern):
    path = make(tmp_path)
    assert main(["data", "stats", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith("khabar: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    import re
    assert re.search(pattern, err), err


def test_label_outside_configured_set_through_cli(tmp_path, capsys):
    data = write(tmp_path / "d.csv", csv_text())
    conf = write(tmp_path / "c.yaml", f"name: t\ntask: topic\ndata:\n  path: {data}\n  labels: [sports, finance]\n"
                                      "model:\n  kind: tfidf\n")
    assert main(["data", "stats", conf]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "d.csv: row 3: label 'politics' is not one of data.labels" in err
