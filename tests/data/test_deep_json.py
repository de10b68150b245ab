"""Deeply nested JSON in a data file is one line, never a crash (issue 24, class 1).

pyarrow (under `datasets` and Ray Data) dies with a segmentation fault on ~10,000 levels and
Python's json stops at 1,000 with a RecursionError. Depths, the nested field, the container and
the file layout are generated; every reader of labeled and unlabeled data is tried. A crash
would kill the test process, so the CLI case runs in a subprocess and checks the exit status.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from repo import ROOT

from khabar.data import DataConfig, load_examples, read_unlabeled
from khabar.data.files import MAX_JSON_DEPTH, check_json_nesting
from khabar.data.stats import stats_of_path
from khabar.errors import KhabarError

GOOD = [{"id": "a", "text": "فاز المنتخب بالمباراة", "label": "sport"},
        {"id": "b", "text": "ارتفع مؤشر البورصة", "label": "economy"}]


def nested(depth: int, opener: str) -> str:
    return (opener * depth).replace("{", '{"k":') + "1" + ("]" if opener == "[" else "}") * depth \
        if opener == "[" else '{"k":' * depth + "1" + "}" * depth


def write(tmp_path, depth: int, opener: str, field: str, layout: str):
    """A data file whose second record holds `field` nested `depth` deep; the row number it is on."""
    record = json.dumps({**GOOD[1], field: None}, ensure_ascii=False).replace("null", nested(depth, opener))
    lines = [json.dumps(GOOD[0], ensure_ascii=False), record]
    if layout == "jsonl":
        path = tmp_path / "d.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:  # a .json list, the deep record on its own line
        path = tmp_path / "d.json"
        path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    return str(path)


READERS = {
    "train/evaluate": lambda p: load_examples(DataConfig(path=[p]), "topic", p),
    "predict": lambda p: read_unlabeled(p, "topic"),
    "data stats": lambda p: stats_of_path(p, "topic"),
}


@settings(max_examples=25)
@given(depth=st.integers(MAX_JSON_DEPTH + 1, 12_000), opener=st.sampled_from(["[", "{"]),
       field=st.sampled_from(["extra", "text", "label"]), layout=st.sampled_from(["jsonl", "json"]),
       reader=st.sampled_from(sorted(READERS)))
def test_deep_nesting_is_one_line_in_every_reader(tmp_path_factory, depth, opener, field, layout, reader):
    path = write(tmp_path_factory.mktemp("deep"), depth, opener, field, layout)
    with pytest.raises(KhabarError, match=r"line \d+: JSON nested more than"):
        READERS[reader](path)


@settings(max_examples=25)
@given(depth=st.integers(1, MAX_JSON_DEPTH - 3), brackets=st.text("[]{}", max_size=3000))
def test_shallow_nesting_and_brackets_inside_text_pass(tmp_path_factory, depth, brackets):
    path = tmp_path_factory.mktemp("ok") / "d.jsonl"
    records = [{**GOOD[0], "text": GOOD[0]["text"] + brackets}, {**GOOD[1], "extra": None}]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).replace("null", nested(depth, "["))
    path.write_text(text + "\n", encoding="utf-8")
    check_json_nesting(str(path))


@pytest.mark.parametrize("command", [["data", "stats"], ["train"]])
def test_the_cli_survives_ten_thousand_levels(tmp_path, command):
    path = write(tmp_path, 10_000, "[", "extra", "jsonl")
    if command == ["train"]:
        config = tmp_path / "c.yaml"
        config.write_text(f"name: deep\ntask: topic\ndata: {{path: {path}}}\nmodel: {{kind: tfidf}}\n"
                          f"output_dir: {tmp_path}\n", encoding="utf-8")
        path = str(config)
    done = subprocess.run([sys.executable, "-m", "khabar", *command, path], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 2, done.stderr[-500:]
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("khabar: error: ") and "JSON nested more than" in done.stderr
