"""The streaming kind (`kind: stream`) on the embedded sample: it trains from a list or from a
streamed split alike, gives probabilities that keep its decisions, survives saving, and refuses
what it cannot do or a damaged weights file with one line."""

from __future__ import annotations

import os

import numpy as np
import pytest
from repo import SAMPLE

from khabar.data import DataConfig
from khabar.data.chunks import stream_splits
from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.models.manifest import read_manifest
from khabar.models.stream.model import WEIGHTS, StreamModel
from khabar.models.stream.params import StreamParams, StreamTrain, check_params
from khabar.normalize import NormalizeConfig


def make(**params) -> StreamModel:
    return StreamModel("topic", StreamParams(**{"n_features": 2 ** 14, "chunk_rows": 16, "shuffle_chunks": 3,
                                                **params}), StreamTrain(), NormalizeConfig("standard"))


@pytest.fixture(scope="module")
def splits():
    return stream_splits(DataConfig(path=[str(SAMPLE / "topic.jsonl")]), "topic", "c.yaml")


@pytest.fixture(scope="module")
def fitted(splits):
    return make().fit(splits.train, splits.dev)


def test_a_streamed_split_and_a_list_train_the_same_model(splits, fitted):
    again = make().fit(list(splits.train), splits.dev)
    assert np.array_equal(again.coef_, fitted.coef_) and again.temperature_ == fitted.temperature_


def test_it_learns_the_sample_and_its_probabilities_keep_its_decisions(splits, fitted):
    texts = [ex.text for ex in splits.train]
    gold = [ex.label for ex in splits.train]
    assert np.mean(np.array(fitted.predict(texts)) == np.array(gold)) > 0.9  # training articles
    proba = fitted.predict_proba([ex.text for ex in splits.test])
    assert np.allclose(proba.sum(axis=1), 1)
    scores = fitted._scores(fitted.normalize_inputs([ex.text for ex in splits.test]))
    assert np.array_equal(proba.argmax(axis=1), scores.argmax(axis=1))


def test_saved_and_loaded_it_gives_the_same_probabilities(tmp_path, splits, fitted):
    fitted.save(str(tmp_path))
    loaded = load_model(str(tmp_path))
    texts = [ex.text for ex in splits.test]
    assert isinstance(loaded, StreamModel) and loaded.labels_ == fitted.labels_
    assert np.allclose(loaded.predict_proba(texts), fitted.predict_proba(texts))


def test_a_weights_file_that_does_not_fit_the_manifest_is_refused(tmp_path, fitted):
    fitted.save(str(tmp_path))
    manifest = read_manifest(str(tmp_path))
    with open(tmp_path / WEIGHTS, "wb") as fh:
        np.savez(fh, idf=np.ones(8, dtype=np.float32), coef=np.ones((2, 8), dtype=np.float32),
                 intercept=np.zeros(2, dtype=np.float32), temperature=np.float64(1.0))
    with pytest.raises(KhabarError, match=r"hashed_linear.npz: arrays of shapes .* do not match"):
        StreamModel.load_weights(str(tmp_path), manifest)
    (tmp_path / WEIGHTS).write_bytes(b"not a zip")
    with pytest.raises(KhabarError, match=r"hashed_linear.npz: not a readable weights file"):
        StreamModel.load_weights(str(tmp_path), manifest)
    os.remove(tmp_path / WEIGHTS)
    with pytest.raises(KhabarError, match=r"hashed_linear.npz: missing"):
        StreamModel.load_weights(str(tmp_path), manifest)


def test_what_it_cannot_learn_is_refused_with_the_way_out(splits):
    stance = StreamModel("stance", StreamParams(), StreamTrain(), NormalizeConfig("standard"))
    with pytest.raises(KhabarError, match="learns one topic per article; use kind tfidf"):
        stance.fit([Example("a", "x", "agree", "y")], None)
    with pytest.raises(KhabarError, match="needs a dev split with at least 2 labels"):
        make().fit(splits.train, [])
    with pytest.raises(KhabarError, match=r"c.yaml: model.word_ngrams: expected \[min, max\]"):
        check_params(StreamParams(word_ngrams=[2, 1]), "c.yaml: model")


def test_a_ray_spill_folder_that_does_not_exist_is_refused_before_ray_starts(splits, tmp_path):
    model = StreamModel("topic", StreamParams(n_features=2 ** 10), StreamTrain(ray=True, ray_spill=str(tmp_path / "no")),
                        NormalizeConfig("standard"))
    with pytest.raises(KhabarError, match=r"^train\.ray_spill: .*/no: no such folder; create it"):
        model.fit(splits.train, splits.dev)
