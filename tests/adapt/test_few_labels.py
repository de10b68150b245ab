"""A newsroom's first 50 labels, in a file with no split column, train without ceremony: all of
them train and the model's choices are cross-validated (a 10% dev split would hold 5 articles)."""

from __future__ import annotations

import json

import yaml
from outlet_corpus import OUTLET, examples

from khabar.data.spec import SplitRatios
from khabar.data.splits import SMALL_DATA, splits_of


def test_a_small_file_without_splits_trains_whole(tmp_path, cli, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rows = examples(["Sports", "Finance", "Weather"], 17, "all", seed=21, names=OUTLET)[:50]
    rows[-1] = examples(["Weather"], 1, "all", seed=22, names=OUTLET, prefix="one")[0]  # a label may be rare
    with open("labels.jsonl", "w", encoding="utf-8") as fh:
        for ex in rows:
            fh.write(json.dumps({"id": ex.id, "text": ex.text, "label": ex.label}, ensure_ascii=False) + "\n")
    config = {"name": "first50", "task": "topic", "data": {"path": ["labels.jsonl"]},
              "model": {"kind": "tfidf", "word_ngrams": [1, 1], "char_ngrams": None, "min_df": 1},
              "output_dir": "runs"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert cli("train", "c.yaml") == 0
    err = capsys.readouterr().err
    assert "50 labelled examples and no split column: all of them train" in err
    [run] = list((tmp_path / "runs" / "first50").iterdir())
    manifest = json.loads((run / "model" / "khabar.json").read_text(encoding="utf-8"))
    assert "cross-validation" in manifest["probabilities"]
    assert set(manifest["labels"]) == set(OUTLET.values())


def test_larger_files_and_explicit_ratios_still_split():
    many = examples(["Sports", "Finance"], SMALL_DATA // 2, "all", seed=23)
    splits, named = splits_of(many, SplitRatios(), seed=1)
    assert not named and splits.dev and splits.test
    few = many[:40]
    assert len(splits_of(few, SplitRatios(), seed=1)[0].train) == 40
    asked = splits_of(few, SplitRatios(train=0.5, dev=0.25, test=0.25), seed=1)[0]
    assert asked.dev and asked.test
