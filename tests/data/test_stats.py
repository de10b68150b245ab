"""khabar.data.stats: counts, lengths, cross-split duplicates and normalization effect."""

from __future__ import annotations

import json
from collections import Counter

from repo import shared_file

from khabar.config import load_config
from khabar.data import stats as data_stats
from khabar.data.stats import compute_stats, format_stats, stats_of_path

ROWS = [
    ("train", "sports", "فازَ الفريقُ بالمباراة النهائية"),
    ("train", "sports", "اللاعب سجل هدفين"),
    ("train", "finance", "ارتفعت أسعار النفط اليوم"),
    ("dev", "finance", "هبط سعر الذهب"),
    ("test", "sports", "اللاعب   سجل هدفين"),  # same text as a training row, up to spaces
    ("test", "finance", "البورصة تغلق على ارتفاع"),
]


def write_jsonl(path, rows=ROWS):
    path.write_text("".join(json.dumps({"text": t, "label": lab, "split": s}, ensure_ascii=False) + "\n"
                            for s, lab, t in rows), encoding="utf-8")
    return str(path)


def test_counts_lengths_and_duplicates(tmp_path):
    stats = stats_of_path(write_jsonl(tmp_path / "d.jsonl"))
    assert stats["task"] == "topic" and stats["n_examples"] == 6 and stats["split_source"] == "data"
    assert stats["split_sizes"] == {"train": 3, "dev": 1, "test": 2}
    assert stats["counts"]["sports"] == {"train": 2, "dev": 0, "test": 1, "total": 3}
    chars = stats["lengths"]["text"]["chars"]
    assert chars["max"] == max(len(t) for _, _, t in ROWS) and chars["p5"] <= chars["p50"] <= chars["p95"] <= chars["max"]
    assert stats["lengths"]["text"]["words"]["max"] == 4
    assert stats["duplicates"]["train-test"] == 1 and stats["duplicates"]["train-dev"] == 0
    assert json.loads(json.dumps(stats)) == stats  # plain data


def test_normalization_effect_on_a_bounded_sample(tmp_path, monkeypatch):
    from khabar.normalize import PRESETS

    monkeypatch.setattr(data_stats, "SAMPLE", 4)
    norm = stats_of_path(write_jsonl(tmp_path / "d.jsonl"))["normalization"]
    assert list(norm) == list(PRESETS)
    for row in norm.values():
        assert row["sample"] == 4 and 0.0 <= row["share_changed"] <= 1.0
    assert norm["none"]["share_changed"] == 0.0
    assert max(row["share_changed"] for row in norm.values()) > 0  # some preset changes something


def test_changed_characters():
    def changed(a, b):
        return data_stats._changed(Counter(a), b)

    assert changed("أحمد", "احمد") == 1 and changed("فازَ", "فاز") == 1 and changed("نص", "نص") == 0
    assert changed("نص،آخر", "نص ، آخر") == 2


def test_format_and_cli(tmp_path, capsys, cli):
    path = write_jsonl(tmp_path / "d.jsonl")
    text = format_stats(stats_of_path(path))
    for needle in ("sports", "finance", "p95", "text chars", "train-test 1", "normalization"):
        assert needle in text
    assert cli("data", "stats", path) == 0
    out = capsys.readouterr().out
    assert "sports" in out and "duplicates" in out


def test_config_target_uses_its_split_and_seed(tmp_path, capsys, cli):
    rows = [(None, lab, f"{lab} نص رقم {i}") for lab in ("a", "b") for i in range(10)]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for _, lab, t in rows),
                    encoding="utf-8")
    conf = tmp_path / "c.yml"
    conf.write_text(f"name: t\ntask: topic\ndata:\n  path: {data}\n  split: {{train: 0.6, dev: 0.2, test: 0.2}}\n"
                    "model:\n  kind: tfidf\ntrain:\n  seed: 5\n", encoding="utf-8")
    config = load_config(str(conf))
    stats = compute_stats(config.data, config.task, config.train.seed, str(conf))
    assert stats["split_sizes"] == {"train": 12, "dev": 4, "test": 4}
    assert "seed 5" in stats["split_source"] and stats["counts"]["a"]["test"] == 2
    assert cli("data", "stats", str(conf)) == 0
    assert "seed 5" in capsys.readouterr().out


def test_stance_stats_measure_both_texts(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("s1,s2,stance\nادعاء أول,خبر يؤكد الادعاء,agree\nادعاء ثان,خبر ينفي,disagree\n"
                    "ادعاء ثالث,خبر آخر,agree\n", encoding="utf-8")
    stats = stats_of_path(str(path))
    assert stats["task"] == "stance" and set(stats["lengths"]) == {"text", "text_pair"}
    assert "text_pair words" in format_stats(stats)


def test_stats_on_shared_ans_dev(capsys, cli):
    dev = shared_file("ans_stance", "dev.csv")
    assert cli("data", "stats", str(dev)) == 0
    out = capsys.readouterr().out
    assert "755 examples" in out and "disagree" in out and "task stance" in out


def test_multi_label_stats_count_an_article_under_each_of_its_labels(tmp_path):
    import json

    from khabar.data import DataConfig
    from khabar.data.stats import compute_stats, format_stats

    rows = [("a", ["Sports"], "train"), ("b", ["Sports", "Finance"], "train"), ("c", ["Finance"], "dev"),
            ("d", ["Finance", "Sports"], "test")]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": f"نص {i}", "labels": ls, "split": s}, ensure_ascii=False) + "\n"
                            for i, ls, s in rows), "utf-8")
    stats = compute_stats(DataConfig(path=[str(path)], label_column="labels"), "topic", 0, str(path), multi_label=True)
    assert stats["counts"]["Sports"] == {"train": 2, "dev": 0, "test": 1, "total": 3}
    assert stats["counts"]["Finance"]["total"] == 3
    assert stats["label_sets"]["labels_per_article"]["train"] == {1: 1, 2: 1}
    assert stats["label_sets"]["common_sets"] == {"Finance + Sports": 2}
    assert "labels per article" in format_stats(stats)
