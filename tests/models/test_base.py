"""khabar.models.base: the interface every kind follows, the manifest, and finding and loading a
model directory. Learned state is set only by fit or load."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import data_fingerprint, load_model, rebuild_config
from khabar.runs.choose import resolve_model_dir
from khabar.models.manifest import MANIFEST, MANIFEST_KEYS, read_manifest
from khabar.models.tfidf.model import TfidfModel
from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams
from khabar.normalize import NormalizeConfig

TRAIN = [Example(f"{label}{i}", text, label) for label, texts in {
    "sports": ["فاز الفريق بالمباراة", "سجل اللاعب هدفا", "المدرب والمنتخب في الملعب"],
    "finance": ["ارتفعت الأسهم في البورصة", "البنك المركزي يرفع الفائدة", "أسعار النفط تتراجع"],
}.items() for i, text in enumerate(texts)]


def tfidf(classifier="logreg", **params) -> TfidfModel:
    return TfidfModel("topic", TfidfParams(classifier=classifier, min_df=1, **params), SeedOnlyTrain(), NormalizeConfig())


def test_a_fresh_model_has_no_learned_state_and_refuses_to_predict():
    model = tfidf()
    assert not hasattr(model, "labels_") and not hasattr(model, "pipeline_")
    with pytest.raises(KhabarError, match="this tfidf model is not trained; call fit or load a model directory"):
        model.predict_proba(["نص"])
    with pytest.raises(KhabarError, match="not trained"):
        model.save("never-written")
    assert not os.path.exists("never-written")


def test_fit_sets_the_learned_state_and_a_refit_resets_it():
    model = tfidf().fit(TRAIN)
    assert model.labels_ == ["finance", "sports"] and model.data_fingerprint_ == data_fingerprint(TRAIN)
    fewer = [ex for ex in TRAIN if ex.id != "sports2"]
    model.fit(fewer)
    assert model.data_fingerprint_ == data_fingerprint(fewer)


def test_configured_labels_fix_the_order_and_refuse_strangers():
    model = TfidfModel("topic", TfidfParams(classifier="logreg", min_df=1), SeedOnlyTrain(), NormalizeConfig(),
                       labels=["sports", "finance"]).fit(TRAIN)
    assert model.labels_ == ["sports", "finance"]
    proba = model.predict_proba(["فاز الفريق بالمباراة"])
    assert proba[0].argmax() == 0  # columns in labels_ order
    with pytest.raises(KhabarError, match=r"training labels \['sports'\] are not in the configured label set"):
        TfidfModel("topic", TfidfParams(min_df=1), SeedOnlyTrain(), NormalizeConfig(), labels=["finance", "x"]).fit(TRAIN)


def test_data_fingerprint_depends_on_texts_and_labels_only():
    same = [Example("other-id", ex.text, ex.label, source="elsewhere") for ex in TRAIN]
    assert data_fingerprint(same) == data_fingerprint(TRAIN)
    relabeled = [Example(ex.id, ex.text, "x") for ex in TRAIN]
    assert data_fingerprint(relabeled) != data_fingerprint(TRAIN)
    assert len(data_fingerprint(TRAIN)) == 16
    assert data_fingerprint([Example("1", "a", "b")]) != data_fingerprint([Example("1", "a\x00b", None)])


def test_the_manifest_makes_the_directory_self_describing(tmp_path):
    model = tfidf().fit(TRAIN)
    model.save(str(tmp_path))
    manifest = read_manifest(str(tmp_path))
    assert MANIFEST_KEYS <= set(manifest.to_dict())
    assert (manifest.kind, manifest.task, manifest.labels) == ("tfidf", "topic", ["finance", "sports"])
    assert manifest.params["classifier"] == "logreg" and manifest.train == {"seed": 13}
    params, train, normalize = rebuild_config(manifest, str(tmp_path))
    assert (params, train, normalize) == (model.params, model.train_params, model.normalize)


def test_saved_linear_svc_keeps_its_probabilities_note_after_loading(tmp_path):
    """The manifest's notes survive load_model: how probabilities were made, the run's figures, and
    a key this khabar does not know (a newer one's)."""
    model = tfidf("linear_svc").fit(TRAIN, dev=TRAIN)
    note = model.manifest().probabilities
    assert "temperature" in note and "dev split" in note
    model.metrics_ = {"test": {"accuracy": 1.0}}
    model.notes_ = {"future_key": [1, 2]}
    model.save(str(tmp_path))
    again = load_model(str(tmp_path))
    assert again.probabilities_ == note and again.manifest().probabilities == note
    assert again.manifest().metrics == {"test": {"accuracy": 1.0}}
    assert again.notes_ == {"future_key": [1, 2]}
    again.save(str(tmp_path / "copy"))  # and survives a second save
    copy = read_manifest(str(tmp_path / "copy"))
    assert copy.probabilities == note and copy.notes == {"future_key": [1, 2]}


@pytest.fixture(scope="module")
def transformer_dir(tiny_bert_dir, tmp_path_factory) -> str:
    """A saved (untrained) transformer model directory on the tiny BERT."""
    pytest.importorskip("transformers")
    from tiny_bert import make

    model = make("topic", tiny_bert_dir)
    model.start_fit(TRAIN)
    model._load_pretrained(tiny_bert_dir, True)
    directory = str(tmp_path_factory.mktemp("transformer") / "model")
    model.save(directory)
    return directory


def test_load_through_a_class_checks_the_kind(tmp_path, transformer_dir):
    from khabar.models.base import Model
    from khabar.models.transformer.model import TransformerModel

    tfidf().fit(TRAIN).save(str(tmp_path))
    assert isinstance(TfidfModel.load(str(tmp_path)), TfidfModel)
    assert isinstance(Model.load(str(tmp_path)), TfidfModel)  # the base class loads any kind
    with pytest.raises(KhabarError, match=f"{transformer_dir}: holds a transformer model, not a tfidf one"):
        TfidfModel.load(transformer_dir)
    with pytest.raises(KhabarError, match="holds a tfidf model, not a transformer one"):
        TransformerModel.load(str(tmp_path))
    assert isinstance(TransformerModel.load(transformer_dir), TransformerModel)


def test_resolve_model_dir_from_model_run_or_experiment_folder(tmp_path, capsys):
    model = tfidf().fit(TRAIN)
    for run, dev in (("20260101-000000-aaaa", 0.9), ("20260102-000000-bbbb", 0.7)):
        model.save(str(tmp_path / "exp" / run / "model"))
        (tmp_path / "exp" / run / "metrics.json").write_text(f'{{"dev.macro_f1": {dev}}}', encoding="utf-8")
    (tmp_path / "exp" / ".20260103-000000-cccc.incomplete").mkdir()  # a run being written: ignored
    best = str(tmp_path / "exp" / "20260101-000000-aaaa" / "model")
    newest = str(tmp_path / "exp" / "20260102-000000-bbbb" / "model")
    assert resolve_model_dir(newest) == newest
    assert resolve_model_dir(os.path.dirname(newest)) == newest
    assert resolve_model_dir(str(tmp_path / "exp")) == best  # the folder means its best run on dev
    assert "best dev.macro_f1 0.9000 of 2 runs" in capsys.readouterr().err
    assert resolve_model_dir(str(tmp_path / "exp") + "@best") == best
    assert resolve_model_dir(str(tmp_path / "exp") + "@latest") == newest
    assert "@latest: the newest of 2 runs" in capsys.readouterr().err
    with pytest.raises(KhabarError, match="unknown alias @newest"):
        resolve_model_dir(str(tmp_path / "exp") + "@newest")
    with pytest.raises(KhabarError, match="not a khabar model or run directory"):
        resolve_model_dir(str(tmp_path))
    with pytest.raises(KhabarError, match="no such directory"):
        resolve_model_dir(str(tmp_path / "absent"))


def test_an_experiment_without_dev_figures_means_its_newest_run_but_best_refuses(tmp_path, capsys):
    model = tfidf().fit(TRAIN)
    for run in ("20260101-000000-aaaa", "20260102-000000-bbbb"):
        model.save(str(tmp_path / "exp" / run / "model"))
    newest = str(tmp_path / "exp" / "20260102-000000-bbbb" / "model")
    assert resolve_model_dir(str(tmp_path / "exp")) == newest
    assert "none has a dev figure" in capsys.readouterr().err
    with pytest.raises(KhabarError, match="@best: no run has a dev figure"):
        resolve_model_dir(str(tmp_path / "exp") + "@best")


@pytest.mark.parametrize("change, message", [
    (lambda m: {**m, "kind": "forest"}, "unknown model kind 'forest'.*this khabar cannot load it"),
    (lambda m: {**m, "labels": ["only"]}, r"khabar\.json: labels: .*re-train or restore the file"),
    (lambda m: {**m, "params": {**m["params"], "C": "big"}}, r"params\.C: expected a number"),
])
def test_a_damaged_manifest_is_one_line(tmp_path, change, message):
    tfidf().fit(TRAIN).save(str(tmp_path))
    path = tmp_path / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(manifest)), encoding="utf-8")
    with pytest.raises(KhabarError, match=message):
        load_model(str(tmp_path))


def test_a_broken_manifest_file(tmp_path):
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(KhabarError, match="broken manifest"):
        load_model(str(tmp_path))


def test_normalize_inputs_checks_each_input(tmp_path):
    model = tfidf().fit(TRAIN)
    assert model.normalize_inputs(["أحمد"]) == ["احمد"]  # the model's own preset (standard)
    with pytest.raises(KhabarError, match="input 1: expected a text or a \\(claim, text\\) pair, got 3 parts"):
        model.normalize_inputs([("a", "b", "c")])


def test_cpu_kinds_refuse_a_gpu():
    model = tfidf().fit(TRAIN)
    model.set_device("cpu")
    model.set_device("auto")
    with pytest.raises(KhabarError, match="--device cuda: a tfidf model runs on the CPU only"):
        model.set_device("cuda")
    assert np.allclose(model.predict_proba(["نص"]).sum(), 1.0)
