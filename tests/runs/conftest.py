"""Fixtures of the runs tests: two multi-label TF-IDF runs trained once on a label-set corpus made
from the embedded sample (its articles, each with its topic, and in every split a few dozen
articles made of two articles of different topics, carrying both)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from repo import SAMPLE


def write_label_set_corpus(path: Path) -> list[dict]:
    """The sample's topic articles as JSON lines with a `labels` list, plus two-topic articles
    (the first 300 characters of two articles of one split with different topics); the rows."""
    rows = [json.loads(line) for line in (SAMPLE / "topic.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    out = [{"id": r["id"], "text": r["text"], "labels": [r["label"]], "source": r["source"], "split": r["split"]} for r in rows]
    for split in ("train", "dev", "test"):
        items = [r for r in rows if r["split"] == split]
        for k in range(0, len(items) - 7, 3):
            a, b = items[k], items[k + 7]
            if a["label"] != b["label"]:
                out.append({"id": f"{a['id']}+{b['id']}", "text": f"{a['text'][:300]} {b['text'][:300]}",
                            "labels": [a["label"], b["label"]], "source": a["source"], "split": split})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    return out


def multi_label_config(data: Path, out: Path, name: str, **model) -> dict:
    return {"name": name, "task": "topic", "multi_label": True, "output_dir": str(out),
            "data": {"path": str(data), "label_column": "labels", "source_column": "source"},
            "model": {"kind": "tfidf", "min_df": 1, "classifier": "linear_svc", "char_ngrams": None, **model},
            "train": {"seed": 3}, "eval": {"primary_metric": "micro_f1"}}


@dataclass
class MultiLabelRuns:
    rows: list[dict]  # the corpus
    runs: list  # two RunResults (C 1.0, then C 0.05), one experiments folder
    folder: Path  # the folder holding both runs


@pytest.fixture(scope="session")
def multi_label_runs(tmp_path_factory) -> MultiLabelRuns:
    from khabar.config import config_from_dict
    from khabar.runs.train import train

    base = tmp_path_factory.mktemp("multi_label")
    data = base / "topics.jsonl"
    rows = write_label_set_corpus(data)
    runs = [train(config_from_dict(multi_label_config(data, base / "experiments", f"ml_c{c}", C=c)))
            for c in (1.0, 0.05)]
    return MultiLabelRuns(rows, runs, base / "experiments")
