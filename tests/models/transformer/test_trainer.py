"""khabar.models.transformer.trainer: the loss khabar computes for the Trainer (right under class
weights and gradient accumulation) and dev metrics per article."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_bert import make, topic_examples

from khabar.models.metrics import macro_f1
from khabar.models.scheme import OneLabel
from khabar.models.transformer.trainer import RowDataset, article_metrics, trainer_classes


def test_trainer_loss_is_cross_entropy_weighted_only_when_asked(tiny_bert_dir, tokenizer, tmp_path):
    from transformers import AutoModelForSequenceClassification, TrainingArguments

    trainer_cls, _ = trainer_classes()
    net = AutoModelForSequenceClassification.from_pretrained(tiny_bert_dir, local_files_only=True).eval()
    with torch.no_grad():  # random weights give near-uniform logits, where weighting changes nothing
        net.classifier.bias.copy_(torch.tensor([2.0, -2.0]))
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    batch = dict(tokenizer(["الحكومة والبرلمان", "المباراة", "البنك الدولار"], padding=True, return_tensors="pt"))
    batch["labels"] = torch.tensor([0, 1, 1])
    weights = [1.0, 5.0]
    with torch.no_grad():
        weighted = trainer_cls(model=net, args=args, class_weights=weights, loss=OneLabel().loss).compute_loss(net, batch)
        unweighted = trainer_cls(model=net, args=args, loss=OneLabel().loss).compute_loss(net, batch)
        logits = net(**{k: v for k, v in batch.items() if k != "labels"}).logits
    expected = torch.nn.functional.cross_entropy(logits, batch["labels"], weight=torch.tensor(weights))
    plain = torch.nn.functional.cross_entropy(logits, batch["labels"])
    assert weighted.item() == pytest.approx(expected.item(), rel=1e-5)
    assert unweighted.item() == pytest.approx(plain.item(), rel=1e-5)
    assert weighted.item() != pytest.approx(plain.item(), rel=1e-3)
    assert "labels" in batch  # the caller's batch is not modified


@pytest.mark.parametrize("class_weights", [False, True])
def test_gradient_accumulation_gives_the_loss_of_the_whole_batch(class_weights, tmp_path):
    """batch 4 x 2 accumulation steps = batch 8: same first loss (transformers 5's stock Trainer
    doubled it for BERT; khabar computes the loss itself)."""
    from khabar.models.transformer.scratch import build_scratch_bert

    train = topic_examples(2, seed=6, split="train")
    no_dropout = build_scratch_bert([ex.text for ex in train], str(tmp_path), vocab_size=300,
                                    max_position_embeddings=64, dropout=0.0)
    first_losses = []
    for batch_size, accumulation in ((8, 1), (4, 2)):
        model = make("topic", no_dropout, max_length=32, class_weights=class_weights,
                     train={"max_steps": 1, "batch_size": batch_size, "gradient_accumulation_steps": accumulation,
                            "warmup_ratio": 0.0})
        model.fit(train)
        first_losses.append(next(entry["loss"] for entry in model.history_ if "loss" in entry))
    assert first_losses[1] == pytest.approx(first_losses[0], rel=1e-4)
    assert first_losses[0] == pytest.approx(np.log(4), rel=0.05)  # 4 labels, a classifier head near uniform


def test_dev_metrics_are_per_article_after_pooling_windows():
    from types import SimpleNamespace

    owner = np.array([0, 0, 1, 2, 2, 2])
    gold = np.array([0, 1, 1])
    # article 0: windows disagree, their mean says label 0; article 1: label 1; article 2: mean says 0
    logits = np.array([[3.0, 0.0], [0.0, 1.0], [0.0, 2.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.5]])
    metrics = article_metrics(owner, gold, OneLabel())(SimpleNamespace(predictions=(logits,)))
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["macro_f1"] == pytest.approx(macro_f1(gold, np.array([0, 1, 0]), [0, 1]))
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 2)  # label 0: tp 1 fp 1; label 1: tp 1 fn 1


def test_row_dataset():
    rows = RowDataset([{"input_ids": [1]}, {"input_ids": [2]}])
    assert len(rows) == 2 and rows[1] == {"input_ids": [2]}
