"""khabar.models.tfidf.prior: a trained model of another taxonomy as extra columns (`model.prior`),
saved inside the new model, and the outlet's unlabeled articles in the features (`data.unlabeled`)."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from outlet_corpus import OUTLET, examples, prior_model, tfidf

from khabar.config import config_from_dict
from khabar.errors import KhabarError
from khabar.models.base import load_model


@pytest.fixture(scope="module")
def prior(tmp_path_factory):
    return prior_model(tmp_path_factory.mktemp("prior") / "model")


def outlet_train():
    # two labelled articles per topic, words from the first half of each list only
    return examples(["Sports", "Finance"], 2, "first", seed=2, names=OUTLET, prefix="t")


def outlet_test():
    return examples(["Sports", "Finance"], 15, "second", seed=3, names=OUTLET, prefix="x")


def accuracy(model, test):
    return np.mean([p == ex.label for p, ex in zip(model.predict([ex.text for ex in test]), test)])


def test_the_prior_tells_what_the_few_labels_cannot(prior):
    test = outlet_test()
    plain = tfidf().fit(outlet_train())
    helped = tfidf(prior=prior).fit(outlet_train())
    assert accuracy(helped, test) == 1.0
    assert accuracy(plain, test) < 0.9  # the test words are unseen without the prior
    assert helped.labels_ == sorted(OUTLET[t] for t in ("Sports", "Finance"))  # the outlet's labels, not the prior's


def test_saved_model_carries_its_prior_and_predicts_alone(prior, tmp_path):
    source = tmp_path / "prior_copy"
    shutil.copytree(prior, source)
    model = tfidf(prior=str(source)).fit(outlet_train())
    model.save(str(tmp_path / "outlet"))
    shutil.rmtree(source)  # the original prior is gone: the model needs nothing outside itself
    loaded = load_model(str(tmp_path / "outlet"))
    texts = [ex.text for ex in outlet_test()]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert os.path.isfile(tmp_path / "outlet" / "prior" / "khabar.json")
    manifest = json.loads((tmp_path / "outlet" / "khabar.json").read_text(encoding="utf-8"))
    assert any(name.startswith("prior/") for name in manifest["files"])  # hashed like every file


@pytest.mark.parametrize("change, message", [
    (lambda note: note.update(mean=[0.0]), "prior.mean"),
    (lambda note: note.update(scale=[1.0, -1.0]), "prior.scale"),
    (lambda note: note.update(weight="heavy"), "prior.weight"),
])
def test_a_damaged_prior_note_is_refused_with_one_line(prior, tmp_path, change, message):
    tfidf(prior=prior).fit(outlet_train()).save(str(tmp_path / "m"))
    path = tmp_path / "m" / "khabar.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest["prior"])
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(KhabarError, match=message):
        load_model(str(tmp_path / "m"))


def test_explanations_name_the_prior_and_add_up(prior):
    model = tfidf(prior=prior).fit(outlet_train())
    [out] = model.explain([outlet_test()[0].text], top=1000)  # every word listed
    explained = out["explained"][0]
    names = [s["signal"] for s in explained["signals"]]
    assert sorted(names) == sorted(f"prior: {label}" for label in ("Finance", "Sports"))
    words = sum(w["weight"] for w in explained["toward"] + explained["against"])
    signals = sum(s["weight"] for s in explained["signals"])
    assert explained["score"] - explained["base"] == pytest.approx(words + signals + explained["unassigned"], abs=1e-6)


def test_a_prior_of_another_task_or_missing_is_refused(tmp_path):
    with pytest.raises(KhabarError, match="model.prior"):
        tfidf(prior=str(tmp_path / "nowhere")).fit(outlet_train())


def test_unlabeled_articles_shape_the_vocabulary():
    model = tfidf()
    model.unlabeled = ["كوكب " + ex.text for ex in outlet_test()]
    model.fit(outlet_train())
    words = model.pipeline_.steps[0][1].word_index_
    assert "كوكب" in words
    assert "كوكب" not in tfidf().fit(outlet_train()).pipeline_.steps[0][1].word_index_


def test_linear_svc_trains_on_a_label_with_one_example():
    train = outlet_train() + examples(["Weather"], 1, "all", seed=4, names=OUTLET, prefix="w")
    model = tfidf(classifier="linear_svc", C=1.0).fit(train)
    proba = model.predict_proba([ex.text for ex in outlet_test()])
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)
    assert "cross-validation" in model.manifest()["probabilities"]


def test_config_keys_are_checked_with_one_line():
    base = {"name": "x", "task": "topic", "data": {"path": ["a.jsonl"], "unlabeled": "pool.jsonl"}}
    with pytest.raises(KhabarError, match="data.unlabeled"):
        config_from_dict({**base, "model": {"kind": "transformer"}})
    config = config_from_dict({**base, "model": {"kind": "tfidf", "prior": "runs/x", "prior_weight": 2}})
    assert config.data.unlabeled == "pool.jsonl" and config.model.prior == "runs/x"
    with pytest.raises(KhabarError, match="model.prior_weight"):
        config_from_dict({**base, "model": {"kind": "tfidf", "prior_weight": 0}})


def themes():
    """Unlabeled articles that use both halves of each topic's words: only they tell that the
    labelled articles' words (first half) and the test's (second half) belong together."""
    return [ex.text for ex in examples(["Sports", "Finance"], 30, "all", seed=21, prefix="u")]


def test_latent_themes_of_the_unlabeled_articles_carry_labels_to_unseen_words():
    test = outlet_test()
    plain = tfidf(latent=0)
    plain.unlabeled = themes()
    latent = tfidf(latent=2, latent_weight=3.0)
    latent.unlabeled = themes()
    assert latent.fit(outlet_train()).latent_ is not None and plain.fit(outlet_train()).latent_ is None
    assert accuracy(latent, test) >= 0.9 > accuracy(plain, test) + 0.2


def test_latent_block_is_on_by_default_only_with_unlabeled_articles_and_survives_saving(tmp_path):
    assert tfidf().fit(outlet_train()).latent_ is None
    model = tfidf()
    model.unlabeled = themes()
    model.fit(outlet_train())
    assert model.latent_ is not None and "latent" in model.pipeline_.named_steps
    model.save(str(tmp_path / "m"))
    again = load_model(str(tmp_path / "m"))
    texts = [ex.text for ex in outlet_test()]
    assert np.allclose(again.predict_proba(texts), model.predict_proba(texts))
    [out] = again.explain([texts[0]], top=1000)
    explained = out["explained"][0]
    assert "latent themes of the outlet's articles" in [s["signal"] for s in explained["signals"]]
    words = sum(w["weight"] for w in explained["toward"] + explained["against"])
    signals = sum(s["weight"] for s in explained["signals"])
    assert explained["score"] - explained["base"] == pytest.approx(words + signals + explained["unassigned"], abs=1e-6)
