"""khabar.models.tfidf.model: the TF-IDF + linear kind, topic and stance, probabilities and skops files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.models.tfidf.model import WEIGHTS, TfidfModel
from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
from khabar.normalize import NormalizeConfig

TOPIC = [
    ("فاز الفريق بالمباراة وسجل المهاجم هدفين في الدوري", "Sports"),
    ("خسر المنتخب أمام منافسه في البطولة القارية وأقيل المدرب", "Sports"),
    ("تألق الحارس في مباراة الكأس وتأهل النادي إلى النهائي", "Sports"),
    ("ارتفعت أسعار الأسهم في البورصة بعد قرار البنك المركزي", "Finance"),
    ("سجل التضخم تراجعا وانخفضت أسعار الفائدة على القروض", "Finance"),
    ("أعلنت الشركة عن أرباح قياسية ووزعت حصصا على المساهمين", "Finance"),
    ("افتتح المستشفى قسما جديدا لعلاج أمراض القلب", "Medical"),
    ("حذر الأطباء من انتشار الفيروس ودعوا إلى التلقيح", "Medical"),
    ("نجح الجراحون في عملية زرع كلية لمريض مسن", "Medical"),
]


def _examples(rows):
    return [Example(id=f"e{i}", text=t, label=lab) for i, (t, lab) in enumerate(rows)]


def _model(task="topic", preset="standard", **params):
    defaults = dict(min_df=1, classifier="logreg", C=10.0)
    defaults.update(params)
    return TfidfModel(task, TfidfParams(**defaults), SeedOnlyTrain(), NormalizeConfig(preset=preset))


def test_probabilities_cover_every_label_and_sum_to_one():
    model = _model().fit(_examples(TOPIC))
    proba = model.predict_proba(["سجل اللاعب هدفا في المباراة", "ارتفعت الأسهم في البورصة"])
    assert proba.shape == (2, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert model.predict(["سجل اللاعب هدفا في المباراة"]) == ["Sports"]


def test_linear_svc_gets_calibrated_probabilities_from_dev():
    train = _examples(TOPIC)
    model = _model(classifier="linear_svc", C=1.0).fit(train, dev=train)
    assert "dev split" in model.manifest().probabilities
    proba = model.predict_proba(["نجح الأطباء في علاج المريض"])
    assert np.allclose(proba.sum(axis=1), 1.0) and (proba > 0).all()


def test_prediction_repeats_training_normalization():
    model = _model(preset="standard").fit(_examples(TOPIC))
    plain = model.predict_proba(["ارتفعت الأسهم في البورصة"])
    marked = model.predict_proba(["ارْتَفَعَتِ الأسـهم في البورصة"])  # diacritics and tatweel
    assert np.allclose(plain, marked)


def test_save_load_round_trip_gives_identical_probabilities(tmp_path):
    model = _model(char_ngrams=[2, 4]).fit(_examples(TOPIC))
    texts = ["تأهل النادي إلى النهائي", "حذر الأطباء من الفيروس", "أرباح الشركة"]
    model.save(str(tmp_path))
    manifest = json.loads((tmp_path / "khabar.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "tfidf" and manifest["labels"] == ["Finance", "Medical", "Sports"]
    assert manifest["normalize"]["preset"] == "standard" and manifest["data_fingerprint"]
    loaded = load_model(str(tmp_path))
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


def test_load_refuses_untrusted_types(tmp_path):
    """Weights swapped for a file of other types (and the manifest's file hash updated to match,
    so only skops' type check stands in the way) are refused before anything is built from them."""
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    from khabar.models.manifest import MANIFEST, record_files

    model = _model().fit(_examples(TOPIC))
    model.save(str(tmp_path))
    sio.dump(FunctionTransformer(func=os.getcwd), str(tmp_path / WEIGHTS))
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] = record_files(str(tmp_path))
    (tmp_path / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(KhabarError, match="pipeline.skops: refuses to load types outside khabar's trusted list"):
        load_model(str(tmp_path))


def test_single_label_training_is_an_error():
    with pytest.raises(KhabarError, match="at least 2"):
        _model().fit(_examples([(t, "Sports") for t, _ in TOPIC[:3]]))


def test_configured_label_without_examples_is_an_error():
    model = TfidfModel("topic", TfidfParams(min_df=1, classifier="logreg"), SeedOnlyTrain(), NormalizeConfig(),
                       labels=["Finance", "Medical", "Sports", "Religion"])
    with pytest.raises(KhabarError, match="Religion"):
        model.fit(_examples(TOPIC))


def test_topic_model_rejects_pairs():
    model = _model().fit(_examples(TOPIC))
    with pytest.raises(KhabarError, match="topic model"):
        model.predict_proba([("claim", "text")])


def test_stance_model_learns_agree_vs_disagree():
    rows = [
        ("الوزارة تعلن تأجيل الامتحانات", "الوزارة تؤكد تأجيل الامتحانات رسميا", "agree"),
        ("الوزارة تعلن تأجيل الامتحانات", "الوزارة تنفي تأجيل الامتحانات وتصفه بالشائعة", "disagree"),
        ("الحكومة ترفع أسعار الوقود", "الحكومة تؤكد رفع أسعار الوقود رسميا", "agree"),
        ("الحكومة ترفع أسعار الوقود", "الحكومة تنفي رفع أسعار الوقود وتصفه بالشائعة", "disagree"),
        ("المنتخب يتأهل إلى كأس العالم", "المنتخب يتأهل رسميا إلى كأس العالم", "agree"),
        ("المنتخب يتأهل إلى كأس العالم", "الاتحاد ينفي تأهل المنتخب ويصفه بالشائعة", "disagree"),
        ("البنك يخفض سعر الفائدة", "البنك يؤكد خفض سعر الفائدة رسميا", "agree"),
        ("البنك يخفض سعر الفائدة", "البنك ينفي خفض سعر الفائدة ويصفه بالشائعة", "disagree"),
    ]
    train = [Example(id=str(i), text=c, text_pair=t, label=lab) for i, (c, t, lab) in enumerate(rows)]
    model = _model(task="stance").fit(train)
    claim = "الشركة تطلق هاتفا جديدا"
    assert model.predict([(claim, "الشركة تنفي إطلاق هاتف جديد وتصفه بالشائعة")]) == ["disagree"]
    assert model.predict([(claim, "الشركة تؤكد إطلاق هاتف جديد رسميا")]) == ["agree"]
    with pytest.raises(KhabarError, match="stance model"):
        model.predict_proba(["نص واحد"])


def test_linear_svc_probabilities_keep_its_labels():
    texts = ["سجل اللاعب هدفا", "البنك المركزي والأسهم", "الطبيب والمستشفى", "الفريق والبورصة والفيروس"]
    model = _model(classifier="linear_svc", C=1.0).fit(_examples(TOPIC), dev=_examples(TOPIC))
    features, scaled = model.pipeline_.named_steps["features"], model.pipeline_.named_steps["classifier"]
    raw = scaled.classifier.predict(features.transform(model.normalize_inputs(texts)))
    assert list(raw) == model.predict(texts)
    assert scaled.temperature_ > 0


def test_linear_svc_without_dev_calibrates_by_cross_validation():
    model = _model(classifier="linear_svc", C=1.0).fit(_examples(TOPIC))
    assert "cross-validation" in model.manifest().probabilities
    assert np.allclose(model.predict_proba(["مباراة"]).sum(axis=1), 1.0)


def test_load_of_a_saved_model_keeps_the_class(tmp_path):
    model = _model().fit(_examples(TOPIC))
    model.save(str(tmp_path))
    again = TfidfModel.load(str(tmp_path))
    assert isinstance(again, TfidfModel) and again.labels_ == model.labels_


def test_missing_weights_file(tmp_path):
    model = _model().fit(_examples(TOPIC))
    model.save(str(tmp_path))
    os.remove(tmp_path / WEIGHTS)
    with pytest.raises(KhabarError, match=f"{WEIGHTS}: missing"):
        load_model(str(tmp_path))


def test_word_only_and_char_only_models_train(tmp_path):
    texts = ["تألق الحارس في مباراة الكأس", "ارتفعت أسعار الأسهم في البورصة"]
    for params in ({"char_ngrams": None}, {"word_ngrams": None}, {"word_ngrams": [1, 1], "char_ngrams": [3, 4]}):
        model = _model(**params).fit(_examples(TOPIC))
        assert model.predict(texts) == ["Sports", "Finance"], params


def test_classifier_learns_from_the_features_matrix_itself(monkeypatch):
    """Issue 22: the training matrix is the fit's largest structure; a copy of it on the way to the
    classifier (a row slice of the whole matrix did that on every fit) doubled it at the peak."""
    from sklearn.linear_model import SGDClassifier

    from khabar.models.tfidf.word_char import WordCharTfidf

    built, learned = [], []
    fit_transform, fit = WordCharTfidf.fit_transform, SGDClassifier.fit

    def recording_fit_transform(self, docs, y=None):
        built.append(fit_transform(self, docs, y))
        return built[-1]

    def recording_fit(self, x, y, *args, **kwargs):
        learned.append(x)
        return fit(self, x, y, *args, **kwargs)

    monkeypatch.setattr(WordCharTfidf, "fit_transform", recording_fit_transform)
    monkeypatch.setattr(SGDClassifier, "fit", recording_fit)
    _model(classifier="sgd", loss="hinge", C=1.0).fit(_examples(TOPIC))
    assert len(built) == 1
    assert learned[0] is built[0]  # the final model's fit (cross-validated calibration's folds follow)
