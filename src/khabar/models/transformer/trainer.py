"""What Hugging Face's `Trainer` needs from khabar to fine-tune a transformer.

Why apart: token rows as a dataset, dev metrics per article (window logits mean-pooled, then
the registry's figures of the model's scheme), a loss that is right under gradient accumulation and with class weights,
and progress lines. torch and transformers are imported only when `trainer_classes` is called.

Multi-label (a network whose `config.problem_type` is "multi_label_classification"): the loss is
binary cross-entropy on the sigmoid of each label's logit, the class weights are BCE's `pos_weight`
per label, and the dev metrics are the label-set figures (micro-, macro-, samples-F1, Hamming loss,
subset accuracy) of the labels each article gets at a fixed 0.5 threshold (with the model's floor). Those
epoch figures only pick the epoch to keep; the per-label thresholds the model decides with are
chosen afterwards on the same dev split, with the kept weights.
"""

from __future__ import annotations

import time

import numpy as np

from ...log import say
from ..metrics import metrics_for
from ..scheme import LabelSet
from .encode import pool_by_owner

#: `config.problem_type` of a network with one sigmoid per label (Hugging Face's name)
MULTI_LABEL_PROBLEM = LabelSet.problem_type


class RowDataset:
    """A list of feature dicts as a map-style dataset for `Trainer`."""

    def __init__(self, rows: list[dict]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return self.rows[i]


def article_metrics(owner: np.ndarray, gold: np.ndarray, scheme):
    """`compute_metrics` for Trainer: window logits mean-pooled per article, made probabilities and
    decided by the model's `scheme` (a label set: at its thresholds while training, 0.5 each, with
    its floor), then scored by the scheme's headline metrics of the registry (`models.metrics`):
    the same macro-F1 the evaluation reports, so early stopping keeps the epoch it would rank best.
    `gold`: the scheme's training targets of the dev articles (`scheme.targets`)."""
    gold = np.asarray(gold)

    def compute_metrics(prediction) -> dict:
        logits = prediction.predictions
        logits = logits[0] if isinstance(logits, (tuple, list)) else logits
        pooled = pool_by_owner(np.asarray(logits, dtype=np.float64), owner, len(gold))
        columns = list(range(pooled.shape[1]))
        predicted = scheme.decision_targets(scheme.decide(scheme.activation(pooled)), len(columns))
        return {m.name: m(gold, predicted, columns) for m in metrics_for(scheme.name, headline=True)}

    return compute_metrics


def trainer_classes():
    """The Trainer subclass khabar trains with, and the progress callback (imported lazily)."""
    return _trainer_class(), _progress_class()


def _trainer_class():
    import torch
    from transformers import Trainer

    class KhabarTrainer(Trainer):
        """The loss computed here by the model's scheme (`loss`: cross-entropy, or for a label set
        binary cross-entropy per label), optionally weighted per class (`class_weights`; a label
        set's `pos_weight`).

        The loss is a per-batch mean, so the Trainer divides it by the accumulation steps. Stock
        `Trainer` in transformers 5 assumes a model whose forward takes **kwargs (BERT's does)
        normalizes its loss by `num_items_in_batch` itself; BERT's classification loss does not,
        so with gradient_accumulation_steps > 1 the loss and gradients came out that many times
        too large (huggingface/transformers#47688). Computing the loss here and saying it is
        unscaled avoids that.
        """

        loss_is_scaled_for_ga = False

        def __init__(self, *args, class_weights=None, loss=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.class_weights = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)
            self.loss = loss

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs["labels"]
            outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
            logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
            weight = None if self.class_weights is None else self.class_weights.to(logits.device)
            loss = self.loss(logits, labels, weight)
            return (loss, outputs) if return_outputs else loss

    return KhabarTrainer


def _progress_class():
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        """Progress lines, and the model's `epoch_callback` after each dev evaluation with the
        scheme's headline figures (`models.metrics`)."""

        def __init__(self, on_dev=None, scheme=None):
            self.start = time.time()
            self.on_dev = on_dev
            self.shown = metrics_for(scheme.name, headline=True) if scheme is not None else []

        def on_train_begin(self, args, state, control, **kwargs):
            say(f"transformer: {state.max_steps} optimisation steps, up to {args.num_train_epochs:g} epochs")

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            took = time.time() - self.start
            if "loss" in logs:
                say(
                    f"transformer: step {state.global_step}/{state.max_steps} epoch {state.epoch or 0:.2f} "
                    f"loss {logs['loss']:.4f} lr {logs.get('learning_rate', 0):.2e} ({took:.0f}s)"
                )
            if "eval_macro_f1" in logs:
                figures = {m.name: logs.get(f"eval_{m.name}") for m in self.shown}
                say(f"transformer: epoch {state.epoch or 0:.2f} dev "
                    + " ".join(f"{m.display} {figures[m.name]:.4f}" for m in self.shown if figures[m.name] is not None)
                    + f" ({took:.0f}s)")
                if self.on_dev is not None:
                    self.on_dev(state.epoch or 0.0, figures)

    return Progress
