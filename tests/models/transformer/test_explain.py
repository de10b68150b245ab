"""Explanations of the transformer kind (models/transformer/explain.py): integrated gradients on
the word embeddings summed per word, offsets into the original text, stance parts, the head
window of long articles, no interference with predictions running meanwhile, faithfulness."""

from __future__ import annotations

import json
import sys
import threading

import numpy as np
import pytest
from repo import CONFIGS, ROOT, SAMPLE
from tiny_bert import long_text, topic_examples, with_params
from waiting import HANG

from khabar.errors import KhabarError
from khabar.serving.explain import deletion_check

pytest.importorskip("captum", reason="transformer explanations need Captum: pip install captum")

ALL = 10**6


def _short_articles(n: int = 3, seed: int = 21) -> list[str]:
    """Articles that fit one 64-token row, so the explained row is the whole prediction."""
    return [ex.text for ex in topic_examples(n, seed=seed, split="x", min_words=8, max_words=20)]


def test_attributions_add_up_to_the_log_probability_change(topic_model):
    texts = _short_articles()
    found = topic_model.explain(texts, top=ALL, runner_up=True)
    proba = topic_model.predict_proba(texts)
    for i, (text, explanation) in enumerate(zip(texts, found)):
        assert explanation["label"] == topic_model.labels_[int(np.argmax(proba[i]))]
        assert explanation["tokens"]["text"]["explained"] == explanation["tokens"]["text"]["total"]
        assert [e["label"] for e in explanation["explained"]] == \
            [topic_model.labels_[j] for j in np.argsort(-proba[i], kind="stable")[:2]]
        for entry in explanation["explained"]:
            k = topic_model.labels_.index(entry["label"])
            assert entry["score"] == pytest.approx(np.log(proba[i, k]), abs=1e-4)  # one row: the model's own
            words = sum(w["weight"] for w in entry["toward"] + entry["against"])
            assert words + entry["unassigned"] == pytest.approx(entry["score"] - entry["base"], abs=1e-6)
            # integrated gradients' completeness: no punctuation here, so what is left is the integration error
            assert abs(entry["unassigned"]) <= 0.05 * abs(entry["score"] - entry["base"]) + 1e-3, entry
            for word in entry["toward"] + entry["against"]:
                assert word["part"] == "text"
                assert all(text[s["start"]:s["end"]] == word["word"] for s in word["spans"])


def test_offsets_point_into_the_original_text(topic_model):
    from khabar.normalize import NormalizeConfig

    model = with_params(topic_model)
    model.normalize = NormalizeConfig(preset="standard")
    model.__dict__.pop("normalizer_", None)
    text = "أعلنَ الـــمـــدرب تشكيلة الفريق للمباراة، وقال الحارس: الجمهور ينتظر"
    entry = model.explain([text], top=ALL)[0]["explained"][0]
    norm = model.normalize.build()
    words = entry["toward"] + entry["against"]
    assert words
    for word in words:
        for span in word["spans"]:
            assert norm(text[span["start"]:span["end"]]) == word["word"]
    written = {w["word"]: text[w["spans"][0]["start"]:w["spans"][0]["end"]] for w in words}
    assert written.get("المدرب", "الـــمـــدرب") == "الـــمـــدرب"


def test_stance_names_claim_and_text_words(stance_model, stance_data):
    _, dev = stance_data
    pairs = [ex.inputs for ex in dev[:3]]
    found = stance_model.explain(pairs, top=ALL)
    for (claim, text), explanation in zip(pairs, found):
        assert set(explanation["tokens"]) == {"claim", "text"}
        entry = explanation["explained"][0]
        parts = {w["part"] for w in entry["toward"] + entry["against"]}
        assert parts == {"claim", "text"}
        for word in entry["toward"] + entry["against"]:
            source = claim if word["part"] == "claim" else text
            assert all(source[s["start"]:s["end"]] == word["word"] for s in word["spans"])


def test_a_long_article_is_explained_on_its_head_window(topic_model):
    model = with_params(topic_model, long_strategy="head_tail", head_tokens=32)
    text = long_text(200)
    explanation = model.explain([text], top=ALL)[0]
    tokens = explanation["tokens"]["text"]
    assert tokens["explained"] == model.params.max_length - model.template_.n_special < tokens["total"]
    assert explanation["probability"] == pytest.approx(model.predict_proba([text]).max())  # the label is the model's own


def test_explaining_does_not_disturb_predictions_running_meanwhile(topic_model):
    """No forward hook on the shared network: predictions made in another thread while an
    explanation runs are the same as before (the server predicts and explains at once)."""
    texts = _short_articles(8, seed=5)
    expected = topic_model.predict_proba(texts)
    started, done = threading.Event(), threading.Event()
    seen, errors = [], []

    def predict_until_done():
        try:
            started.set()
            while not done.is_set():
                seen.append(topic_model.predict_proba(texts))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    worker = threading.Thread(target=predict_until_done, daemon=True)
    worker.start()
    assert started.wait(HANG)
    try:
        for _ in range(3):
            topic_model.explain(texts[:2], top=3, runner_up=True)
    finally:
        done.set()
        worker.join(HANG)
    assert not errors and seen
    for proba in seen:
        assert np.allclose(proba, expected, atol=1e-5)


def test_without_captum_the_refusal_is_one_line(topic_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "captum", None)
    with pytest.raises(KhabarError, match="needs Captum: pip install captum"):
        topic_model.explain(["المباراة"])


def test_deleting_the_evidence_lowers_the_label_more_than_random_words(topic_model):
    texts = [ex.text for ex in topic_examples(4, seed=9, split="x", min_words=12, max_words=30)]
    figures = deletion_check(topic_model, texts, k=3, draws=5, seed=0)
    assert figures["inputs"] == len(texts)
    assert figures["evidence_drop"] > figures["random_drop"], figures


@pytest.mark.slow
def test_on_the_sample_deleting_the_evidence_matters_more_than_random_words(monkeypatch):
    """The sample's own BERT (configs/sample_topic_bert.yaml, trained from scratch: about a
    minute on 2 cores) on the sample's test split."""
    from khabar.config import load_config
    from khabar.runs.train import fit_from_config

    monkeypatch.chdir(ROOT)
    model, _ = fit_from_config(load_config(str(CONFIGS / "sample_topic_bert.yaml")))
    rows = [json.loads(line) for line in (SAMPLE / "topic.jsonl").read_text(encoding="utf-8").splitlines() if line]
    texts = [r["text"] for r in rows if r["split"] == "test"]
    figures = deletion_check(model, texts, k=5, draws=5, seed=0)
    assert figures["inputs"] == len(texts)
    assert figures["evidence_drop"] > figures["random_drop"], figures
