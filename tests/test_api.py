"""khabar's Python API (`khabar.load`, `train`, `evaluate`, `compare`, `normalize`): the same
answers as the command line, the stored abstain threshold included, and no printing."""

from __future__ import annotations

import json
import logging

import pytest
from repo import SAMPLE

import khabar
from khabar.errors import KhabarError


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def short_headlines(n: int = 40) -> list[str]:
    """The first three words of sample articles: short, so the model is often unsure."""
    rows = read_jsonl(SAMPLE / "topic.jsonl")[:n]
    return [" ".join(row["text"].split()[:3]) for row in rows]


def test_load_predict_gives_the_cli_records_on_sample_new(topic_run, cli, tmp_path):
    out = tmp_path / "cli.jsonl"
    assert cli("predict", topic_run.run_dir, str(SAMPLE / "new"), "-o", str(out)) == 0
    by_cli = read_jsonl(out)
    files = sorted((SAMPLE / "new").glob("*.txt"))
    model = khabar.load(topic_run.run_dir)
    by_api = model.predict([f.read_text(encoding="utf-8") for f in files], ids=[f.name for f in files])
    assert [r["id"] for r in by_cli] == [f.name for f in files]
    assert by_api == by_cli


def test_the_stored_threshold_applies_as_in_the_cli(topic_run, cli, tmp_path):
    texts = short_headlines()
    source = tmp_path / "short.jsonl"
    source.write_text("".join(json.dumps({"id": f"text-{i}", "text": t}, ensure_ascii=False) + "\n"
                              for i, t in enumerate(texts, 1)), encoding="utf-8")
    out = tmp_path / "cli.jsonl"
    assert cli("predict", topic_run.run_dir, str(source), "-o", str(out)) == 0
    model = khabar.load(topic_run.run_dir)
    assert model.min_confidence is not None  # the sample config chooses one on dev
    by_api = model.predict(texts)
    assert by_api == read_jsonl(out)
    abstained = [r["abstained"] for r in by_api]
    assert any(abstained) and not all(abstained), "the sample should have sure and unsure headlines"
    assert all((r["label"] is None) == r["abstained"] for r in by_api)
    assert all(r["abstained"] == (r["probability"] < model.min_confidence) for r in by_api)
    # the model's own decision ignores the threshold; the API does not
    raw = model.model.predict(texts)
    assert [r["label"] for r in by_api] != raw
    assert not any(r["abstained"] for r in model.predict(texts, min_confidence=0))


def test_explain_abstains_where_predict_abstains(topic_run, cli, tmp_path):
    texts = short_headlines(20)
    model = khabar.load(topic_run.run_dir)
    predicted = model.predict(texts)
    explained = model.explain(texts, top=2)
    assert [r["abstained"] for r in explained] == [r["abstained"] for r in predicted]
    assert [r["label"] for r in explained] == [r["label"] for r in predicted]
    assert all(r["explained"] for r in explained)  # what the model saw is still explained
    unsure = next(t for t, r in zip(texts, predicted) if r["abstained"])
    out = tmp_path / "explain.jsonl"
    assert cli("explain", topic_run.run_dir, "--text", unsure, "-o", str(out)) == 0
    (record,) = read_jsonl(out)
    assert record["abstained"] is True and record["label"] is None


def test_labels_and_top_k_as_the_cli_takes_them(topic_run):
    model = khabar.load(topic_run.run_dir)
    text = short_headlines(1)[0]
    (one,) = model.predict(text, labels="Sports,Tech", top_k=1, min_confidence=0)
    (two,) = model.predict([text], labels=["Sports", "Tech"], top_k=1, min_confidence=0)
    assert one == two and one["label"] in ("Sports", "Tech") and len(one["top_k"]) == 1
    with pytest.raises(KhabarError, match="not among the model's labels"):
        model.predict(text, labels=["Sports", "Weather"])
    with pytest.raises(KhabarError, match="probability from 0 to 1"):
        model.predict(text, min_confidence=2)


def test_a_stance_model_needs_pairs(stance_run, cli, tmp_path):
    model = khabar.load(stance_run.run_dir)
    with pytest.raises(KhabarError, match="pairs"):
        model.predict(["ادعاء"])
    claim, article = "ارتفع سعر النفط", "أعلنت الشركة ارتفاع سعر النفط اليوم"
    out = tmp_path / "cli.jsonl"
    assert cli("predict", stance_run.run_dir, "--text", claim, "--pair", article, "-o", str(out)) == 0
    assert model.predict(claim, pairs=article) == read_jsonl(out)


def test_evaluate_and_compare_return_data_and_print_nothing(topic_run, capsys):
    from khabar.log import set_verbosity

    set_verbosity(logging.WARNING)  # a library call, as in a notebook
    result = khabar.evaluate(topic_run.run_dir, str(SAMPLE / "topic.jsonl"), split="test")
    table = khabar.compare([topic_run.run_dir], resamples=10)
    model = khabar.load(topic_run.run_dir)
    model.predict(["فاز الفريق"])
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert result["n"] == topic_run.headline["test"]["n"]
    assert result["accuracy"] == pytest.approx(topic_run.headline["test"]["accuracy"])
    assert [run["run"] for run in table["runs"]] == [topic_run.run_dir]


def test_normalize_is_the_module_and_the_function():
    import khabar.normalize as module

    assert khabar.normalize is module
    assert khabar.normalize("أَهْلاً") == "اهلا"
    assert khabar.normalize(["إلى", "ـــمرحبا"], preset="standard") == ["الي", "مرحبا"]
    assert khabar.normalize("إلى", preset="none") == "إلى"
    with pytest.raises(KhabarError, match="preset"):
        khabar.normalize("x", preset="nope")


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError):
        khabar.nothing_here  # noqa: B018
    assert {"load", "train", "evaluate", "compare", "normalize"} <= set(dir(khabar))
