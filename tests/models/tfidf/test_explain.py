"""Explanations of the TF-IDF kind (models/tfidf/explain.py) and the words of the original text
(models/base.py: aligned_words): exact contributions, offsets into the un-normalized input,
stance parts and signals, one-line refusals, and faithfulness on the embedded sample."""

from __future__ import annotations

import json

import numpy as np
import pytest
from repo import SAMPLE

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.models.evidence import WORD, aligned_words
from khabar.models.tfidf.explain import SIGNAL_NAMES, pair_layout
from khabar.models.tfidf.model import TfidfModel
from khabar.models.tfidf.pair_features import DENSE_COLUMNS
from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
from khabar.normalize import NormalizeConfig
from khabar.serving.explain import deletion_check, explain_examples, explanation_text

ALL = 10**6  # "top" that lists every word, to check that the weights add up


def _sample(task: str, split: str = "test") -> list:
    rows = [json.loads(line) for line in (SAMPLE / f"{task}.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [(r["claim"], r["text"]) if task == "stance" else r["text"] for r in rows if r["split"] == split]


@pytest.fixture(scope="module")
def topic_model(topic_run):
    return load_model(topic_run.run_dir)


@pytest.fixture(scope="module")
def stance_model(stance_run):
    return load_model(stance_run.run_dir)


def _decision(model, inputs) -> np.ndarray:
    """The classifier's decision scores, columns in `labels_` order (for two labels: -s, s)."""
    features, classifier = model.pipeline_.steps[0][1], model.pipeline_.steps[-1][1]
    linear = getattr(classifier, "classifier", classifier)
    scores = linear.decision_function(features.transform(model.normalize_inputs(inputs)))
    scores = np.column_stack([-scores, scores]) if scores.ndim == 1 else scores
    classes = [str(c) for c in linear.classes_]
    return scores[:, [classes.index(label) for label in model.labels_]]


def _check_adds_up(model, inputs, found, runner_up: bool):
    scores = _decision(model, inputs)
    proba = model.predict_proba(inputs)
    for i, explanation in enumerate(found):
        assert explanation["label"] == model.labels_[int(np.argmax(proba[i]))]
        assert explanation["probability"] == pytest.approx(proba[i].max())
        assert len(explanation["explained"]) == (2 if runner_up else 1)
        for entry in explanation["explained"]:
            k = model.labels_.index(entry["label"])
            assert entry["score"] == pytest.approx(scores[i, k], abs=1e-6)
            total = sum(w["weight"] for w in entry["toward"] + entry["against"])
            total += sum(s["weight"] for s in entry["signals"]) + entry["unassigned"]
            assert entry["base"] + total == pytest.approx(entry["score"], abs=1e-6)
        if runner_up:
            order = np.argsort(-proba[i], kind="stable")
            assert [e["label"] for e in explanation["explained"]] == [model.labels_[j] for j in order[:2]]


def _check_spans(model, parts: dict, entry, lower=False):
    """Every span is the word as written: the original slice normalizes to the word."""
    norm = model.normalize.build()
    for word in entry["toward"] + entry["against"]:
        source = parts[word["part"]]
        assert word["spans"], word
        for span in word["spans"]:
            written = source[span["start"]:span["end"]]
            found = WORD.findall(norm(written))
            assert word["word"] in ([w.lower() for w in found] if lower else found), (word, written)


# -- topic ---------------------------------------------------------------------------------------
def test_topic_contributions_are_exact_and_add_up_to_the_decision_score(topic_model):
    inputs = _sample("topic")[:12]
    found = topic_model.explain(inputs, top=ALL, runner_up=True)
    _check_adds_up(topic_model, inputs, found, runner_up=True)
    for text, explanation in zip(inputs, found):
        assert explanation["explained"][0]["unassigned"] == pytest.approx(0.0, abs=1e-9)  # every feature is some word's
        _check_spans(topic_model, {"text": text}, explanation["explained"][0])


def test_topic_top_words_are_the_strongest_and_sorted(topic_model):
    text = _sample("topic")[0]
    everything = topic_model.explain([text], top=ALL)[0]["explained"][0]
    five = topic_model.explain([text], top=5)[0]["explained"][0]
    assert five["toward"] == everything["toward"][:5] and five["against"] == everything["against"][:5]
    weights = [w["weight"] for w in everything["toward"]]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
    assert all(w["weight"] < 0 for w in everything["against"])
    assert all(w["part"] == "text" for w in everything["toward"])


def test_offsets_point_into_the_original_text_through_normalization(topic_model):
    """Diacritics, tatweel, a lam-alef ligature, Eastern digits and a URL: the normalized words
    are found where they are written in the input as sent."""
    text = "أعلنَ الـــمـــدرب عن تشكيلة الفريق ﻻعبين للمباراة ٢٠٢٤ https://example.com/x?y=1 في الدوري"
    entry = topic_model.explain([text], top=ALL)[0]["explained"][0]
    _check_spans(topic_model, {"text": text}, entry)
    written = {w["word"]: [text[s["start"]:s["end"]] for s in w["spans"]] for w in entry["toward"] + entry["against"]}
    assert written.get("المدرب") == ["الـــمـــدرب"]
    assert written.get("اعلن") == ["أعلنَ"]
    if "رابط" in written:  # the URL placeholder word points at the whole URL
        assert written["رابط"] == ["https://example.com/x?y=1"]


def test_aligned_words_trace_every_word_back():
    norm = NormalizeConfig(preset="standard").build()
    text = "قالَ الرئيسُ (الأمريكي): إنّ الـــعـــرب ١٢٣ https://x.com/a?b=1 ﻻ بأس، Apple"
    found = aligned_words(text, norm)
    assert [w for w, *_ in found] == WORD.findall(norm(text))
    shown = {w: text[span[0]:span[1]] for w, _, _, span in found}
    assert shown == {"قال": "قالَ", "الرئيس": "الرئيسُ", "الامريكي": "الأمريكي", "ان": "إنّ", "العرب": "الـــعـــرب",
                     "123": "١٢٣", "رابط": "https://x.com/a?b=1", "لا": "ﻻ", "باس": "بأس", "Apple": "Apple"}
    assert [w for w, *_ in aligned_words(text, norm, lower=True)][-1] == "apple"


def test_aligned_words_survive_normalization_across_words():
    """An HTML tag with a space inside is removed by the whole-text normalization but not piece by
    piece: the words still line up (difflib), the tag's pieces are simply not words of the text."""
    norm = NormalizeConfig(preset="standard", steps={"html": True}).build()
    text = 'فاز <a href="x">الفريق</a> بالكأس'
    found = aligned_words(text, norm)
    assert [w for w, *_ in found] == WORD.findall(norm(text))
    shown = {w: text[span[0]:span[1]] for w, _, _, span in found if span}
    assert shown["فاز"] == "فاز" and shown["بالكاس"] == "بالكأس"


def test_two_labels_linear_svc_explains_both_sides():
    rows = [("فاز الفريق بالمباراة", "Sports"), ("سجل اللاعب هدفا في الدوري", "Sports"), ("تألق الحارس في الكأس", "Sports"),
            ("ارتفعت الأسهم في البورصة", "Finance"), ("البنك يرفع الفائدة", "Finance"), ("تراجع التضخم والأسعار", "Finance")]
    train = [Example(id=str(i), text=t, label=lab) for i, (t, lab) in enumerate(rows)]
    model = TfidfModel("topic", TfidfParams(min_df=1, classifier="linear_svc", char_ngrams=(2, 4), word_ngrams=(1, 2)),
                       SeedOnlyTrain(), NormalizeConfig()).fit(train, dev=train)
    inputs = ["سجل اللاعب هدفا في المباراة", "ارتفعت أسعار الأسهم"]
    found = model.explain(inputs, top=ALL, runner_up=True)
    _check_adds_up(model, inputs, found, runner_up=True)
    first, second = found[0]["explained"]
    assert first["score"] == pytest.approx(-second["score"])  # one score, +s and -s


def test_refusals_are_one_line(topic_model):
    with pytest.raises(KhabarError, match="nothing to read"):
        topic_model.explain(["\u200b\u064e"])
    with pytest.raises(KhabarError, match="top 0: list at least 1 word"):
        topic_model.explain(["فاز الفريق"], top=0)
    with pytest.raises(KhabarError, match="not labels of this model"):
        topic_model.explain(["فاز الفريق"], targets=[["Nope"]])
    with pytest.raises(KhabarError, match="a topic model: it reads one text"):  # the one input rule
        topic_model.explain([("فاز", "الفريق")])
    assert topic_model.explain([]) == []


def test_targets_choose_the_labels_explained(topic_model):
    found = topic_model.explain(["فاز الفريق بالمباراة"], targets=[["Finance", "Sports"]])[0]
    assert [e["label"] for e in found["explained"]] == ["Finance", "Sports"]


# -- stance --------------------------------------------------------------------------------------
def test_stance_contributions_add_up_over_claim_words_text_words_and_signals(stance_model):
    inputs = _sample("stance")[:10]
    found = stance_model.explain(inputs, top=ALL, runner_up=True)
    _check_adds_up(stance_model, inputs, found, runner_up=True)
    parts_seen = set()
    for (claim, text), explanation in zip(inputs, found):
        entry = explanation["explained"][0]
        _check_spans(stance_model, {"claim": claim, "text": text}, entry, lower=True)
        parts_seen |= {w["part"] for w in entry["toward"] + entry["against"]}
        names = {s["signal"] for s in entry["signals"]}
        assert names <= set(DENSE_COLUMNS) | {"encoder"} and names
        assert all(s["name"] == SIGNAL_NAMES[s["signal"]] for s in entry["signals"] if s["signal"] in SIGNAL_NAMES)
    assert parts_seen == {"claim", "text"}


def test_stance_layout_covers_every_column(stance_model):
    features = stance_model.pipeline_.steps[0][1]
    layout = pair_layout(features)
    width = features.transform([("الحكومة ترفع الضرائب", "نفت الحكومة رفع الضرائب")]).shape[1]
    assert layout[-1][0] == "dense" and layout[-1][2] == width
    assert all(SIGNAL_NAMES.get(name) for name in DENSE_COLUMNS)


def test_stance_signals_point_at_the_cue_and_the_changed_number(stance_model):
    claim = "الحكومة تخفض الضريبة إلى 10 في المئة"
    text = "نفت وزارة المالية الخبر وقالت إن الضريبة ستبقى 14 في المئة ولن تتغير"
    entry = stance_model.explain([(claim, text)], top=ALL)[0]["explained"][0]
    signals = {s["signal"]: s for s in entry["signals"]}
    refutation = [s for name, s in signals.items() if name.startswith("refutation") and s["spans"]]
    assert refutation and all(text[p["start"]:p["end"]] == "نفت" for s in refutation for p in s["spans"] if p["part"] == "text")
    dropped = signals["claim_number_dropped"]
    assert dropped["value"] == 1.0 and [claim[p["start"]:p["end"]] for p in dropped["spans"]] == ["10"]
    added = signals["text_number_added"]
    assert [text[p["start"]:p["end"]] for p in added["spans"]] == ["14"]


# -- the records and the text view ---------------------------------------------------------------
def test_explain_examples_gives_rounded_records_with_ids(topic_model):
    examples = [Example(id="a", text=_sample("topic")[0]), Example(id="b", text=_sample("topic")[1])]
    records = explain_examples(topic_model, examples, top=3, runner_up=True)
    assert [r["id"] for r in records] == ["a", "b"]
    entry = records[0]["explained"][0]
    assert len(entry["toward"]) <= 3 and len(records[0]["explained"]) == 2
    assert all(len(repr(w["weight"]).split(".")[-1]) <= 6 for w in entry["toward"])
    json.dumps(records, ensure_ascii=False)
    lines = explanation_text(records[0], examples[0].text).splitlines()
    assert lines[0].startswith("a\t" + records[0]["label"]) and lines[2].startswith("    for:")
    with pytest.raises(KhabarError, match="--top 0"):
        explain_examples(topic_model, examples, top=0)


# -- faithfulness: deleting the evidence matters more than deleting random words -----------------
@pytest.mark.parametrize("task", ["topic", "stance"])
def test_deleting_the_evidence_lowers_the_label_more_than_random_words(task, topic_model, stance_model):
    model = topic_model if task == "topic" else stance_model
    figures = deletion_check(model, _sample(task), k=5, draws=5, seed=0)
    assert figures["inputs"] >= 20
    assert figures["evidence_drop"] > 2 * figures["random_drop"] if task == "topic" else \
        figures["evidence_drop"] > figures["random_drop"], figures
