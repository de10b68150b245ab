"""The two-stage stance decision (`model.two_stage`): one distribution from two stages, the first
stage's P(separated label) kept, explanations that add up, persistence, and the configurations
where it means nothing refused with one line."""

from __future__ import annotations

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.models.base import load_model
from khabar.models.tfidf.model import TfidfModel
from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams, check_params
from khabar.models.tfidf.two_stage import OTHERS, TwoStage
from khabar.normalize import NormalizeConfig
from tiny_bert import stance_examples, topic_examples


def _fit(with_dev=False, **params):
    train = stance_examples(8, seed=3, split="train")
    dev = stance_examples(4, seed=4, split="dev") if with_dev else None
    settings = dict(dict(min_df=1, word_ngrams=[1, 1], two_stage="unrelated"), **params)
    return TfidfModel("stance", TfidfParams(**settings), SeedOnlyTrain(), NormalizeConfig()).fit(train, dev)


def _inputs():
    return [ex.inputs for ex in stance_examples(3, seed=9, split="test")]


@pytest.mark.parametrize("with_dev,classifier,second", [
    (False, "linear_svc", None), (True, "linear_svc", None), (False, "logreg", None), (False, "linear_svc", "logreg"),
])
def test_two_stage_probabilities_are_the_product_of_the_stages(with_dev, classifier, second):
    model = _fit(with_dev, classifier=classifier, second_stage_classifier=second)
    step = model.pipeline_.steps[-1][1]
    assert isinstance(step, TwoStage)
    inputs = _inputs()
    proba = model.predict_proba(inputs)
    assert proba.shape == (len(inputs), 4) and np.allclose(proba.sum(axis=1), 1.0) and (proba >= 0).all()
    x = model.design_matrix(model.pipeline_.steps[0][1], inputs)
    others, given = step.stage_proba(x)
    unrelated = model.labels_.index("unrelated")
    assert np.allclose(proba[:, unrelated], 1.0 - others)
    for j, label in enumerate(step.second.classes_):
        assert np.allclose(proba[:, model.labels_.index(label)], others * given[:, j])
    # what the first stage calls unrelated (P(unrelated) above one half) is unrelated
    called = others < 0.5
    predicted = model.predict(inputs)
    assert all(p == "unrelated" for p, c in zip(predicted, called) if c)
    assert set(step.second.classes_) == {"agree", "disagree", "discuss"}  # the second stage never saw unrelated
    assert model.manifest().probabilities.startswith("two stages")


def test_a_first_stage_unrelated_pair_is_unrelated_whatever_the_second_stage_says():
    model = _fit()
    step = model.pipeline_.steps[-1][1]
    x = model.design_matrix(model.pipeline_.steps[0][1], _inputs())
    proba = step.predict_proba(x)
    # the second stage is sure of one label; the first stage puts the pair at P(not unrelated) 0.3
    step.first.predict_proba = lambda X: np.tile([0.3, 0.7] if step.first.classes_[0] == OTHERS else [0.7, 0.3], (X.shape[0], 1))
    step.second.predict_proba = lambda X: np.tile([0.98, 0.01, 0.01], (X.shape[0], 1))
    proba = step.predict_proba(x)
    assert (step.classes_[proba.argmax(axis=1)] == "unrelated").all()
    assert np.allclose(proba.max(axis=1), 0.7)


def test_two_stage_label_offsets_saved_and_loaded(tmp_path):
    model = _fit(label_offsets=True)
    note = model.manifest().label_offsets
    assert sorted(note["offsets"]) == sorted(model.labels_) and "cross-validation" in note["chosen_on"]
    inputs = _inputs()
    model.save(str(tmp_path / "m"))
    loaded = load_model(str(tmp_path / "m"))
    assert isinstance(loaded.pipeline_.steps[-1][1], TwoStage)
    assert np.allclose(loaded.predict_proba(inputs), model.predict_proba(inputs))
    assert loaded.predict(inputs) == model.predict(inputs)


def test_two_stage_explanations_decompose_the_log_probability_ratios():
    model = _fit()
    inputs = _inputs()[:2]
    proba = model.predict_proba(inputs)
    found = model.explain(inputs, top=5, targets=[["agree", "discuss"]] * len(inputs))
    for i, row in enumerate(found):
        agree, discuss = row["explained"]
        # both related labels share the first stage and the second stage's normalizer: their scores'
        # difference is the log-ratio of their probabilities
        assert agree["score"] - discuss["score"] == pytest.approx(
            np.log(proba[i, model.labels_.index("agree")] / proba[i, model.labels_.index("discuss")]), abs=1e-6)


def test_two_stage_is_refused_where_it_means_nothing():
    train = topic_examples(6, seed=1, split="train")
    topic = TfidfModel("topic", TfidfParams(min_df=1, two_stage="unrelated"), SeedOnlyTrain(), NormalizeConfig())
    with pytest.raises(KhabarError, match="model.two_stage: .*for task stance"):
        topic.fit(train)
    with pytest.raises(KhabarError, match="model.two_stage: label 'neutral' is not among the labels"):
        _fit(two_stage="neutral")
    with pytest.raises(KhabarError, match="second_stage_classifier / second_stage_C: only with two_stage"):
        check_params(TfidfParams(second_stage_C=1.0))


def test_a_topic_config_with_two_stage_exits_2_with_one_line(tmp_path, root, monkeypatch, cli, capsys):
    monkeypatch.chdir(root)
    code = cli("train", "configs/sample_topic_tfidf.yaml", "--set", "model.two_stage=unrelated",
               "--set", f"output_dir={tmp_path / 'runs'}")
    err = capsys.readouterr().err
    assert code == 2
    assert "model.two_stage" in err.strip().splitlines()[-1] and "Traceback" not in err
    assert "features:" not in err  # refused before any work
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("khabar.json"))
