"""Multi-label topics with the transformer kind (models/transformer): a sigmoid per label trained
with binary cross-entropy through the same Trainer, class weights as BCE pos_weight, dev figures
at 0.5, per-label thresholds chosen on dev and kept in the manifest, save/load, explanations of
the labels the model gives; a single-label model unchanged."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from scipy.special import expit, logit
from sklearn.metrics import accuracy_score, f1_score
from tiny_bert import TOPIC_WORDS, article, make

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.models.manifest import MULTI_LABEL
from khabar.models.thresholds import choose_thresholds, labels_above, multi_hot
from khabar.models.scheme import LabelSet
from khabar.models.transformer.trainer import MULTI_LABEL_PROBLEM, article_metrics, trainer_classes

#: the topic pairs some articles carry together (each topic in two pairs: no two topics always go together)
PAIRS = (("Finance", "Sports"), ("Medical", "Politics"), ("Finance", "Politics"), ("Medical", "Sports"))
LABELS = sorted(TOPIC_WORDS)


def label_set_examples(n_single: int, n_double: int, seed: int, split: str) -> list[Example]:
    """Articles of one topic, and articles that are half one topic, half another (two labels)."""
    rng = random.Random(seed)
    out = []
    for label in TOPIC_WORDS:
        for i in range(n_single):
            out.append(Example(id=f"{split}-{label}-{i}", text=article(rng, label, rng.randint(15, 40)),
                               labels=(label,), split=split))
    for a, b in PAIRS:
        for i in range(n_double):
            text = f"{article(rng, a, rng.randint(10, 25))} {article(rng, b, rng.randint(10, 25))}"
            out.append(Example(id=f"{split}-{a}-{b}-{i}", text=text, labels=(a, b), split=split))
    rng.shuffle(out)
    return out


def multi_label_model(path: str, **params):
    model = make("topic", path, **params)
    model.scheme = LabelSet()  # what fit_from_config builds from `multi_label: true`
    return model


@pytest.fixture(scope="module")
def label_sets():
    return label_set_examples(16, 6, seed=31, split="train"), label_set_examples(5, 2, seed=32, split="dev")


@pytest.fixture(scope="module")
def figures():
    return []


@pytest.fixture(scope="module")
def ml_model(tiny_bert_dir, label_sets, figures):
    train, dev = label_sets
    model = multi_label_model(tiny_bert_dir, class_weights=True, train={"learning_rate": 5e-3})
    model.epoch_callback = lambda epoch, found: figures.append((epoch, dict(found)))
    return model.fit(train, dev)


def _texts(examples):
    return [ex.text for ex in examples]


# -- training and probabilities -------------------------------------------------------------------------
def test_the_network_has_a_sigmoid_head_and_probabilities_are_its_sigmoids(ml_model, label_sets):
    _, dev = label_sets
    assert ml_model.model_.config.problem_type == MULTI_LABEL_PROBLEM
    texts = _texts(dev)
    proba = ml_model.predict_proba(texts)
    assert proba.shape == (len(texts), len(LABELS)) and ml_model.labels_ == LABELS
    assert ((proba >= 0) & (proba <= 1)).all()
    assert np.abs(proba.sum(axis=1) - 1).max() > 0.1  # independent labels, not a softmax
    # one token row per article here: the probabilities are the sigmoids of the network's logits
    batch = ml_model.tokenizer_(texts[:3], padding=True, truncation=True, max_length=64, return_tensors="pt")
    with torch.no_grad():
        logits = ml_model.model_(**batch.to(ml_model.torch_device())).logits.double().cpu().numpy()
    np.testing.assert_allclose(proba[:3], expit(logits), atol=1e-5)


def test_it_learns_label_sets_and_gives_two_topic_articles_more_labels(ml_model):
    test = label_set_examples(5, 3, seed=33, split="test")
    predicted = ml_model.predict(_texts(test))
    assert all(isinstance(row, list) and row for row in predicted)
    gold = multi_hot([ex.gold for ex in test], LABELS)
    assert f1_score(gold, multi_hot(predicted, LABELS), average="micro") > 0.8  # chance: about 0.45
    doubles = [(set(ex.gold), set(row)) for ex, row in zip(test, predicted) if len(ex.gold) == 2]
    assert sum(want <= got for want, got in doubles) >= len(doubles) / 3
    given = {n: np.mean([len(row) for ex, row in zip(test, predicted) if len(ex.gold) == n]) for n in (1, 2)}
    assert given[2] > given[1]


def test_dev_figures_are_micro_and_macro_f1_and_subset_accuracy_at_half(ml_model, label_sets, figures):
    """The epoch callback gets the keys tune's pruner reads; the kept epoch is the one of best
    dev macro-F1, which the kept weights reproduce at the 0.5 thresholds."""
    _, dev = label_sets
    assert len(figures) == ml_model.train_params.epochs
    assert all({"macro_f1", "micro_f1", "samples_f1", "accuracy"} <= set(found) for _, found in figures)
    assert ml_model.best_dev_macro_f1_ == max(found["macro_f1"] for _, found in figures)
    gold = multi_hot([ex.gold for ex in dev], LABELS)
    decided = labels_above(ml_model.predict_proba(_texts(dev)), np.full(len(LABELS), 0.5))
    at_half = multi_hot(decided, range(len(LABELS)))
    best = max(figures, key=lambda item: item[1]["macro_f1"])[1]
    assert f1_score(gold, at_half, average="macro", zero_division=0) == pytest.approx(best["macro_f1"], abs=1e-9)
    assert f1_score(gold, at_half, average="micro", zero_division=0) == pytest.approx(best["micro_f1"], abs=1e-9)
    assert f1_score(gold, at_half, average="samples", zero_division=0) == pytest.approx(best["samples_f1"], abs=1e-9)
    assert accuracy_score(gold, at_half) == pytest.approx(best["accuracy"], abs=1e-9)


def test_thresholds_are_chosen_on_dev_and_land_in_the_manifest(ml_model, label_sets, tmp_path):
    _, dev = label_sets
    expected, _ = choose_thresholds(ml_model.predict_proba(_texts(dev)), multi_hot([ex.gold for ex in dev], LABELS))
    np.testing.assert_allclose(ml_model.thresholds_, expected)
    ml_model.save(str(tmp_path))
    manifest = json.loads((tmp_path / "khabar.json").read_text(encoding="utf-8"))
    note = manifest[MULTI_LABEL]
    assert note["chosen_on"] == "dev split" and note["allow_no_label"] is False
    assert set(note["thresholds"]) == set(LABELS)
    assert [note["thresholds"][lab] for lab in LABELS] == pytest.approx(list(expected), abs=1e-6)
    assert json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))["problem_type"] == MULTI_LABEL_PROBLEM


def test_save_load_gives_the_same_probabilities_thresholds_and_decisions(ml_model, label_sets, tmp_path):
    _, dev = label_sets
    texts = _texts(dev)
    ml_model.save(str(tmp_path))
    again = load_model(str(tmp_path))
    again.set_device("cpu")
    assert again.multi_label and again.labels_ == ml_model.labels_
    np.testing.assert_array_equal(again.predict_proba(texts), ml_model.predict_proba(texts))
    np.testing.assert_allclose(again.thresholds_, ml_model.thresholds_, atol=1e-6)
    assert again.predict(texts) == ml_model.predict(texts)


def test_a_manifest_that_disagrees_with_the_network_head_is_refused(ml_model, topic_model, tmp_path):
    """A sigmoid head read with softmax (or back) would answer wrongly without any error."""
    for model, name in ((ml_model, "multi"), (topic_model, "single")):
        directory = tmp_path / name
        model.save(str(directory))
        manifest = json.loads((directory / "khabar.json").read_text(encoding="utf-8"))
        if MULTI_LABEL in manifest:
            del manifest[MULTI_LABEL]
        else:
            manifest[MULTI_LABEL] = {"thresholds": {lab: 0.5 for lab in manifest["labels"]}, "allow_no_label": False}
        (directory / "khabar.json").write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(KhabarError, match="config.json describes a .* network but khabar.json a"):
            load_model(str(directory))


def test_without_dev_the_thresholds_are_one_half_and_the_manifest_says_so(tiny_bert_dir, label_sets, tmp_path):
    train, _ = label_sets
    model = multi_label_model(tiny_bert_dir, train={"max_steps": 2}).fit(train[:24])
    assert model.thresholds_.tolist() == [0.5] * len(model.labels_)
    model.save(str(tmp_path))
    note = json.loads((tmp_path / "khabar.json").read_text(encoding="utf-8"))[MULTI_LABEL]
    assert note["thresholds"] == {lab: 0.5 for lab in model.labels_}
    assert "no dev split" in note["chosen_on"]
    assert load_model(str(tmp_path)).thresholds_.tolist() == [0.5] * len(model.labels_)


# -- the loss ---------------------------------------------------------------------------------------------
def test_fit_gives_the_loss_bce_pos_weight_from_the_training_counts(tiny_bert_dir, label_sets, monkeypatch):
    train, _ = label_sets
    seen = []
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def spy(logits, target, *args, **kwargs):
        seen.append((target.detach().clone(), kwargs.get("pos_weight")))
        return bce(logits, target, *args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "binary_cross_entropy_with_logits", spy)
    multi_label_model(tiny_bert_dir, class_weights=True, train={"max_steps": 1}).fit(train)
    assert seen
    positives = np.array([sum(lab in ex.gold for ex in train) for lab in LABELS], dtype=np.float64)
    target, pos_weight = seen[0]
    np.testing.assert_allclose(pos_weight.cpu().numpy(), (len(train) - positives) / positives, rtol=1e-6)
    assert target.dtype == torch.float32 and target.shape[1] == len(LABELS)
    assert set(target.unique().tolist()) == {0.0, 1.0} and (target.sum(dim=1) >= 1).all()

    seen.clear()
    multi_label_model(tiny_bert_dir, train={"max_steps": 1}).fit(train)
    assert seen and seen[0][1] is None  # no class weights asked: plain BCE


def test_trainer_loss_is_bce_with_pos_weight_for_a_sigmoid_head(tiny_bert_dir, tokenizer, tmp_path):
    from transformers import AutoModelForSequenceClassification, TrainingArguments

    trainer_cls, _ = trainer_classes()
    net = AutoModelForSequenceClassification.from_pretrained(
        tiny_bert_dir, local_files_only=True, problem_type=MULTI_LABEL_PROBLEM).eval()
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    batch = dict(tokenizer(["الحكومة والبرلمان", "المباراة", "البنك الدولار"], padding=True, return_tensors="pt"))
    batch["labels"] = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    weights = [3.0, 0.5]
    with torch.no_grad():
        weighted = trainer_cls(model=net, args=args, class_weights=weights, loss=LabelSet().loss).compute_loss(net, batch)
        plain = trainer_cls(model=net, args=args, loss=LabelSet().loss).compute_loss(net, batch)
        logits = net(**{k: v for k, v in batch.items() if k != "labels"}).logits.double()
    target = batch["labels"].double()
    per_item = -(torch.tensor(weights, dtype=torch.float64) * target * torch.log(torch.sigmoid(logits))
                 + (1 - target) * torch.log(1 - torch.sigmoid(logits)))
    unweighted = -(target * torch.log(torch.sigmoid(logits)) + (1 - target) * torch.log(1 - torch.sigmoid(logits)))
    assert weighted.item() == pytest.approx(per_item.mean().item(), rel=1e-5)
    assert plain.item() == pytest.approx(unweighted.mean().item(), rel=1e-5)


def test_pos_weight_is_negatives_over_positives_and_one_where_a_label_is_all_or_nothing(tiny_bert_dir):
    model = multi_label_model(tiny_bert_dir)
    model.labels_ = ["a", "b", "c", "d"]
    gold = np.array([[1, 0, 0, 1], [1, 1, 0, 1], [0, 0, 0, 1], [1, 0, 0, 1]], dtype=np.float32)
    assert model.class_weights(gold).tolist() == pytest.approx([1 / 3, 3 / 1, 1.0, 1.0])


def test_multi_label_dev_metrics_pool_windows_then_decide_at_one_half():
    from types import SimpleNamespace

    owner = np.array([0, 0, 1, 2])
    gold = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    # article 0: windows pooled give (+1, +1, -2): labels 0 and 1; article 1: only label 0 above
    # 0.5, wrong; article 2: nothing above 0.5, the floor gives its top label 2
    logits = np.array([[2.0, 0.0, -2.0], [0.0, 2.0, -2.0], [1.0, -1.0, -3.0], [-3.0, -2.0, -1.0]])
    found = article_metrics(owner, gold, LabelSet(thresholds=np.full(3, 0.5)))(SimpleNamespace(predictions=(logits,)))
    # label 0: tp 1 fp 1 fn 0 (F1 2/3); label 1: tp 1 fn 1 (2/3); label 2: tp 1 (1); micro: tp 3 fp 1 fn 1
    assert found["micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert found["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert found["samples_f1"] == pytest.approx((2 * 2 / (2 + 2) + 0 + 1) / 3)  # per article: 1, 0, 1
    assert found["accuracy"] == pytest.approx(2 / 3)
    none_allowed = article_metrics(owner, gold, LabelSet(True, np.full(3, 0.5)))(SimpleNamespace(predictions=logits))
    assert none_allowed["accuracy"] == pytest.approx(1 / 3)


# -- explanations ---------------------------------------------------------------------------------------
def test_explanations_cover_the_labels_given_and_decompose_their_logits(ml_model, label_sets):
    pytest.importorskip("captum", reason="transformer explanations need Captum: pip install captum")
    _, dev = label_sets
    doubles = [ex.text for ex in dev if len(ex.gold) == 2][:2]
    texts = doubles + [ex.text for ex in dev if len(ex.gold) == 1][:1]
    found = ml_model.explain(texts, top=10**6, runner_up=True)
    proba = ml_model.predict_proba(texts)
    for i, (given, explanation) in enumerate(zip(ml_model.predict(texts), found)):
        ranked = [ml_model.labels_[j] for j in np.argsort(-proba[i], kind="stable")]
        left_out = [lab for lab in ranked if lab not in given][:1]
        assert [e["label"] for e in explanation["explained"]] == given + left_out
        assert "logit" in explanation["method"]
        for entry in explanation["explained"]:
            k = ml_model.labels_.index(entry["label"])
            assert entry["probability"] == pytest.approx(proba[i, k])
            assert entry["score"] == pytest.approx(logit(proba[i, k]), abs=1e-4)  # one token row: the logit
            words = sum(w["weight"] for w in entry["toward"] + entry["against"])
            assert words + entry["unassigned"] == pytest.approx(entry["score"] - entry["base"], abs=1e-6)
    assert [e["label"] for e in ml_model.explain(texts[:1], targets=[["Medical"]])[0]["explained"]] == ["Medical"]


# -- single-label stays as it was -------------------------------------------------------------------------
def test_a_single_label_model_keeps_its_softmax_head(topic_model, topic_data, tmp_path):
    _, dev = topic_data
    assert not topic_model.multi_label
    assert topic_model.model_.config.problem_type == "single_label_classification"
    proba = topic_model.predict_proba(_texts(dev))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert all(isinstance(label, str) for label in topic_model.predict(_texts(dev)))
    assert not any("eval_micro_f1" in entry for entry in topic_model.history_)
    topic_model.save(str(tmp_path))
    assert MULTI_LABEL not in json.loads((tmp_path / "khabar.json").read_text(encoding="utf-8"))
    assert not load_model(str(tmp_path)).multi_label
