"""khabar.models.transformer.model: `kind: transformer` on a tiny BERT the tests build themselves
(2 layers, hidden 64, WordPiece vocabulary trained on sample-like Arabic): real Trainer fits,
save/load, stance pairs, class weights, devices."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest
import torch
from tiny_bert import TOPIC_WORDS, make, topic_examples

from khabar.errors import KhabarError
from khabar.models.base import load_model
from khabar.models.transformer.model import TransformerModel


# -- training ----------------------------------------------------------------------------------------
def test_trainer_loss_goes_down_and_dev_macro_f1_is_tracked(topic_model):
    losses = [entry["loss"] for entry in topic_model.history_ if "loss" in entry]
    assert len(losses) >= 20  # 96 articles / batch 16 = 6 steps per epoch, each logged
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    dev_f1 = [entry["eval_macro_f1"] for entry in topic_model.history_ if "eval_macro_f1" in entry]
    assert len(dev_f1) == topic_model.train_params.epochs == 6  # one dev evaluation per epoch
    assert topic_model.best_dev_macro_f1_ == max(dev_f1)


def test_best_dev_checkpoint_is_the_one_kept(topic_model, topic_data):
    """predict_proba on dev reproduces the best epoch's dev macro-F1 (load_best_model_at_end)."""
    from sklearn.metrics import f1_score

    _, dev = topic_data
    predicted = topic_model.predict([ex.text for ex in dev])
    f1 = f1_score([ex.label for ex in dev], predicted, labels=topic_model.labels_, average="macro", zero_division=0)
    assert f1 == pytest.approx(topic_model.best_dev_macro_f1_, abs=1e-9)
    assert f1 > 0.5  # four topics: chance is 0.25


def test_no_checkpoints_left_behind(tmp_path, tiny_bert_dir, topic_data, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    train, dev = topic_data
    make("topic", tiny_bert_dir, train={"epochs": 1, "max_steps": 2}).fit(train[:20], dev[:8])
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("strategy", ["head_tail", "chunks"])
def test_every_window_is_a_training_example(strategy, tiny_bert_dir):
    """The Trainer runs ceil(rows / batch) steps per epoch: chunks train on every window."""
    train = topic_examples(3, seed=9, split="train", min_words=30, max_words=60)
    model = make("topic", tiny_bert_dir, max_length=24, long_strategy=strategy, head_tokens=8, chunk_stride=4,
                 max_chunks=4, train={"epochs": 1, "batch_size": 4})
    model.fit(train)
    rows = len(model.encode(model.normalize_inputs([ex.text for ex in train])))
    steps = max(entry["step"] for entry in model.history_)
    assert steps == -(-rows // 4)
    assert (rows > len(train)) == (strategy == "chunks")
    proba = model.predict_proba([ex.text for ex in train[:5]])
    assert proba.shape == (5, 4)


def test_training_refuses_what_it_cannot_learn(tiny_bert_dir, topic_data):
    train, dev = topic_data
    with pytest.raises(KhabarError, match="no training examples"):
        make("topic", tiny_bert_dir).fit([])
    with pytest.raises(KhabarError, match="a single label"):
        make("topic", tiny_bert_dir).fit([ex for ex in train if ex.label == "Sports"])
    with pytest.raises(KhabarError, match=r"dev labels \['Medical'\] never occur in training"):
        make("topic", tiny_bert_dir).fit([ex for ex in train if ex.label != "Medical"], dev)


# -- prediction, saving, loading -------------------------------------------------------------------------
def test_an_unfitted_model_has_no_labels_and_refuses_to_predict(tiny_bert_dir):
    model = make("topic", tiny_bert_dir)
    assert not hasattr(model, "labels_") and not hasattr(model, "model_")
    with pytest.raises(KhabarError, match="this transformer model is not trained"):
        model.predict_proba(["نص"])


def test_save_load_gives_identical_probabilities_and_label_maps(topic_model, topic_data, tmp_path):
    _, dev = topic_data
    texts = [ex.text for ex in dev]
    before = topic_model.predict_proba(texts)
    assert before.shape == (len(texts), len(topic_model.labels_))
    np.testing.assert_allclose(before.sum(axis=1), 1.0, atol=1e-9)

    topic_model.save(str(tmp_path))
    files = set(os.listdir(tmp_path))
    assert {"khabar.json", "config.json", "model.safetensors", "tokenizer.json"} <= files
    with open(tmp_path / "config.json", encoding="utf-8") as fh:
        config = json.load(fh)
    assert topic_model.labels_ == sorted(TOPIC_WORDS)
    assert config["id2label"] == {str(i): lab for i, lab in enumerate(topic_model.labels_)}
    assert config["label2id"] == {lab: i for i, lab in enumerate(topic_model.labels_)}

    again = load_model(str(tmp_path))
    again.set_device("cpu")
    assert isinstance(again, TransformerModel) and again.labels_ == topic_model.labels_
    assert np.array_equal(again.predict_proba(texts), before)
    assert again.predict(texts) == topic_model.predict(texts)


def test_prediction_order_is_restored_after_length_sorting(topic_model, topic_data):
    _, dev = topic_data
    texts = [ex.text for ex in dev]
    together = topic_model.predict_proba(texts)
    one_by_one = np.vstack([topic_model.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    assert topic_model.predict_proba([]).shape == (0, len(topic_model.labels_))


def test_topic_model_rejects_pairs(topic_model):
    with pytest.raises(KhabarError, match="input 1: this is a topic model"):
        topic_model.predict_proba([("claim", "text")])


def test_stance_fit_save_load_predict(stance_model, stance_data, tmp_path):
    _, dev = stance_data
    pairs = [ex.inputs for ex in dev]
    assert all(isinstance(p, tuple) for p in pairs)
    proba = stance_model.predict_proba(pairs)
    assert proba.shape == (len(pairs), 4)
    assert stance_model.labels_ == ["agree", "disagree", "discuss", "unrelated"]
    stance_model.save(str(tmp_path))
    again = load_model(str(tmp_path))
    assert again.task == "stance" and again.params.long_strategy == "head_tail"
    assert np.array_equal(again.predict_proba(pairs), proba)
    with pytest.raises(KhabarError, match="input 1: this is a stance model"):
        again.predict_proba(["a single text"])


# -- class weights ------------------------------------------------------------------------------------------
def test_class_weights_are_scikit_learns_balanced_weights(tiny_bert_dir):
    from sklearn.utils.class_weight import compute_class_weight

    model = make("topic", tiny_bert_dir)
    model.labels_ = ["common", "rare", "middle", "absent"]
    labels = np.array([0] * 30 + [1] * 6 + [2] * 12)
    weights = model.class_weights(labels)
    balanced = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=labels)
    np.testing.assert_allclose(weights[:3], balanced)
    assert weights[3] == 1.0  # a label absent from training
    assert weights[1] > weights[2] > weights[0]
    assert weights[labels].sum() == pytest.approx(len(labels))  # they average to 1 over the rows
    assert weights[0] * 30 == pytest.approx(weights[1] * 6) == pytest.approx(weights[2] * 12)


def test_fit_with_class_weights(tiny_bert_dir, capsys):
    train = topic_examples(10, seed=5, split="train")
    train = [ex for ex in train if ex.label != "Sports"] + [ex for ex in train if ex.label == "Sports"][:2]
    model = make("topic", tiny_bert_dir, class_weights=True, train={"epochs": 1})
    model.fit(train)
    assert any("loss" in entry for entry in model.history_)
    err = capsys.readouterr().err
    assert "class weights Finance 0.80, Medical 0.80, Politics 0.80, Sports 4.00" in err  # 32 rows / (4 labels x count)


# -- devices and settings ---------------------------------------------------------------------------------------
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_cuda_requested_without_a_gpu(topic_model):
    other = copy.copy(topic_model)
    with pytest.raises(KhabarError, match="--device cuda"):
        other.set_device("cuda")
    with pytest.raises(KhabarError, match="--device tpu: use auto, cpu or cuda"):
        other.set_device("tpu")
    other.set_device("auto")
    assert next(other.model_.parameters()).device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_fp16_requested_without_a_gpu(tiny_bert_dir, topic_data):
    train, dev = topic_data
    with pytest.raises(KhabarError, match="mixed_precision"):
        make("topic", tiny_bert_dir, train={"mixed_precision": "fp16"}).fit(train, dev)


def test_max_length_over_what_the_checkpoint_takes(tiny_bert_dir, topic_data):
    train, dev = topic_data
    with pytest.raises(KhabarError, match="model.max_length: 1024 is more than this checkpoint takes"):
        make("topic", tiny_bert_dir, max_length=1024).fit(train, dev)
