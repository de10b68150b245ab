"""khabar.models.tfidf: multi-label topics (one-vs-rest, probabilities, thresholds, skops round trip)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.multiclass import OneVsRestClassifier

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.models.manifest import MANIFEST
from khabar.models.tfidf.model import TfidfModel
from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
from khabar.normalize import NormalizeConfig

SPORTS = ["فاز الفريق بالمباراة وسجل المهاجم هدفين", "خسر المنتخب أمام منافسه في البطولة",
          "تألق الحارس في مباراة الكأس", "المدرب يعلن تشكيلة الفريق للمباراة", "اللاعب يسجل هدف الفوز في الدوري"]
FINANCE = ["ارتفعت أسعار الأسهم في البورصة", "البنك المركزي يرفع سعر الفائدة",
           "أعلنت الشركة عن أرباح قياسية للمساهمين", "تراجع التضخم وانخفضت أسعار القروض", "الميزانية تسجل عجزا ماليا"]
HEALTH = ["افتتح المستشفى قسما لعلاج القلب", "حذر الأطباء من انتشار الفيروس", "نجح الجراحون في عملية زرع كلية",
          "وزارة الصحة تطلق حملة تلقيح", "المرضى ينتظرون الدواء في المستشفى"]


def corpus(offset=0):
    """Single-topic articles plus articles about two topics at once (a club's finances)."""
    out = []
    for topic, texts in (("Sports", SPORTS), ("Finance", FINANCE), ("Health", HEALTH)):
        out += [Example(f"{topic}{offset}-{i}", t, labels=(topic,)) for i, t in enumerate(texts)]
    for i in range(4):
        out.append(Example(f"sf{offset}-{i}", f"{SPORTS[(i + offset) % 5]} و{FINANCE[(i + offset) % 5]}",
                           labels=("Sports", "Finance")))
        out.append(Example(f"hf{offset}-{i}", f"{HEALTH[(i + offset) % 5]} و{FINANCE[(i + 2 + offset) % 5]}",
                           labels=("Health", "Finance")))
    return out


def model(**params):
    settings = dict(min_df=1, C=1.0)
    settings.update(params)
    return TfidfModel("topic", TfidfParams(**settings), SeedOnlyTrain(), NormalizeConfig(preset="standard"),
                      multi_label=True)


@pytest.fixture(scope="module")
def fitted():
    return model().fit(corpus(), corpus(offset=1))


def test_one_model_per_label_and_independent_probabilities(fitted):
    assert isinstance(fitted.pipeline_.steps[-1][1].classifier, OneVsRestClassifier)
    proba = fitted.predict_proba([SPORTS[0], FINANCE[0] + " و" + SPORTS[1]])
    assert proba.shape == (2, 3) and np.all((proba >= 0) & (proba <= 1))
    assert not np.allclose(proba.sum(axis=1), 1.0)


def test_decisions_follow_the_thresholds_with_the_top_label_as_floor(fitted):
    texts = [SPORTS[2], HEALTH[1] + " و" + FINANCE[1], "كلام عام لا موضوع له"]
    proba = fitted.predict_proba(texts)
    expected = []
    for row in proba:
        above = [j for j in np.argsort(-row, kind="stable") if row[j] >= fitted.thresholds_[j]]
        expected.append([fitted.labels_[j] for j in (above or [int(np.argmax(row))])])
    assert fitted.predict(texts) == expected
    assert all(len(labels) >= 1 for labels in expected)


def test_a_two_topic_article_gets_both_topics(fitted):
    assert set(fitted.predict([f"{SPORTS[4]} و{FINANCE[4]}"])[0]) == {"Sports", "Finance"}


def test_thresholds_are_chosen_on_dev_and_recorded(fitted, tmp_path):
    fitted.save(str(tmp_path))
    note = json.loads((tmp_path / MANIFEST).read_text("utf-8"))["multi_label"]
    assert set(note["thresholds"]) == set(fitted.labels_) and note["chosen_on"] == "dev split"
    assert note["allow_no_label"] is False
    loaded = load_model(str(tmp_path))
    texts = [SPORTS[0], FINANCE[2] + " و" + HEALTH[3]]
    assert loaded.multi_label and np.allclose(loaded.thresholds_, fitted.thresholds_, atol=1e-6)
    assert np.allclose(loaded.predict_proba(texts), fitted.predict_proba(texts))
    assert loaded.predict(texts) == fitted.predict(texts)


def test_without_dev_the_thresholds_come_from_cross_validation(tmp_path):
    alone = model().fit(corpus())
    assert "cross-validation" in alone.scheme.note["chosen_on"]
    assert "cross-validation" in alone.probabilities_


def test_logreg_keeps_its_own_probabilities():
    fitted = model(classifier="logreg", C=10.0).fit(corpus(), corpus(offset=1))
    assert "native" in fitted.probabilities_
    ovr = fitted.pipeline_.steps[-1][1].classifier
    matrix = fitted.pipeline_.steps[0][1].transform(fitted.normalize_inputs([SPORTS[0]]))
    assert np.allclose(fitted.predict_proba([SPORTS[0]]), ovr.predict_proba(matrix))


def test_allow_no_label_lets_an_article_get_none():
    strict = model().fit(corpus(), corpus(offset=1))
    strict.scheme.allow_no_label = True
    strict.scheme.thresholds = np.ones(len(strict.labels_))  # nothing can pass
    assert strict.predict([SPORTS[0]]) == [[]]


def test_explanations_explain_each_given_label(fitted):
    text = f"{SPORTS[3]} و{FINANCE[3]}"
    given = fitted.predict([text])[0]
    explained = fitted.explain([text], top=3)[0]["explained"]
    assert [e["label"] for e in explained] == given
    ovr = fitted.pipeline_.steps[-1][1].classifier
    matrix = fitted.pipeline_.named_steps["features"].transform(fitted.normalize_inputs([text]))
    for entry in explained:  # the score decomposed is that label's own one-vs-rest decision score
        j = fitted.labels_.index(entry["label"])
        assert entry["score"] == pytest.approx(float(ovr.estimators_[j].decision_function(matrix)[0]), abs=1e-6)


def test_a_label_without_a_training_article_is_an_error():
    m = TfidfModel("topic", TfidfParams(min_df=1), SeedOnlyTrain(), NormalizeConfig(), labels=["Sports", "Finance", "Health", "Tech"],
                   multi_label=True)
    with pytest.raises(KhabarError, match=r"labels \['Tech'\] have no training example"):
        m.fit(corpus(), corpus(offset=1))


def test_tampered_thresholds_are_refused_in_one_line(fitted, tmp_path):
    fitted.save(str(tmp_path))
    path = tmp_path / MANIFEST
    manifest = json.loads(path.read_text("utf-8"))
    manifest["multi_label"]["thresholds"]["Sports"] = 7
    path.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    with pytest.raises(KhabarError, match=r"multi_label\.thresholds: expected numbers in \[0, 1\]"):
        load_model(str(tmp_path))
    del manifest["multi_label"]["thresholds"]["Sports"]
    path.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    with pytest.raises(KhabarError, match=r"multi_label\.thresholds: labels .* differ from labels"):
        load_model(str(tmp_path))


def test_perfectly_separated_dev_scores_still_give_probabilities_below_one():
    from khabar.models.tfidf.multi_label import LabelSetProbabilities

    scores = np.array([[2.0, -1.5], [-1.2, 1.8], [-2.0, -1.0], [1.5, -2.2]])
    gold = (scores > 0).astype(int)
    curve = LabelSetProbabilities(None, ["a", "b"]).fit_scores(scores, gold)
    proba = 1 / (1 + np.exp(-(curve.slope_ * scores + curve.intercept_)))
    assert curve.slope_ > 0 and np.all(proba < 0.99) and np.all(proba > 0.01)
    assert np.all(proba[gold == 1] > 0.5) and np.all(proba[gold == 0] < 0.5)


def test_a_manifest_that_drops_the_multi_label_note_is_refused(fitted, tmp_path):
    """Independent per-label probabilities read as one softmax would be a silent wrong answer."""
    fitted.save(str(tmp_path))
    path = tmp_path / MANIFEST
    manifest = json.loads(path.read_text("utf-8"))
    del manifest["multi_label"]
    path.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    with pytest.raises(KhabarError, match="says one label per article but pipeline.skops holds a multi-label classifier"):
        load_model(str(tmp_path))


def test_a_label_on_every_training_article_is_refused_before_fitting():
    """One-vs-rest cannot learn a label that is never absent (scikit-learn would save a constant
    predictor no loader trusts): one line, not a run whose model cannot be loaded."""
    train = [Example(ex.id, ex.text, labels=ex.labels + ("News",)) for ex in corpus()]
    m = TfidfModel("topic", TfidfParams(min_df=1), SeedOnlyTrain(), NormalizeConfig(), multi_label=True)
    with pytest.raises(KhabarError, match="label 'News' is on every training article"):
        m.fit(train, corpus(offset=1))


def test_a_null_multi_label_note_is_refused_not_read_as_single_label(fitted, tmp_path):
    fitted.save(str(tmp_path))
    path = tmp_path / MANIFEST
    manifest = json.loads(path.read_text("utf-8"))
    manifest["multi_label"] = None
    path.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    with pytest.raises(KhabarError, match=r"multi_label: expected"):
        load_model(str(tmp_path))
