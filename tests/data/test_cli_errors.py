"""Bad input of every kind, through `khabar data stats`: one line `khabar: error: ...`, exit 2."""

from __future__ import annotations

import gzip
import re

import pytest
from table_files import csv_text, write


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
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, cli, make, pattern):
    path = make(tmp_path)
    assert cli("data", "stats", path) == 2
    err = capsys.readouterr().err
    assert err.startswith("khabar: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(pattern, err), err


def test_label_outside_configured_set_through_cli(tmp_path, capsys, cli):
    data = write(tmp_path / "d.csv", csv_text())
    conf = write(tmp_path / "c.yaml", f"name: t\ntask: topic\ndata:\n  path: {data}\n  labels: [sports, finance]\n"
                                      "model:\n  kind: tfidf\n")
    assert cli("data", "stats", conf) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "d.csv: row 3: label 'politics' is not one of data.labels" in err
