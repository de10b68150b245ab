"""What Hugging Face's `Trainer` needs from khabar to fine-tune a transformer.

Why apart: token rows as a dataset, dev metrics per article (window logits mean-pooled, then
macro-F1 and accuracy), a loss that is right under gradient accumulation and with class weights,
and progress lines. torch and transformers are imported only when `trainer_classes` is called.
"""

from __future__ import annotations

import time

import numpy as np

from ...log import say
from .encode import pool_by_owner


class RowDataset:
    """A list of feature dicts as a map-style dataset for `Trainer`."""

    def __init__(self, rows: list[dict]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return self.rows[i]


def macro_f1_accuracy(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    f1 = f1_score(gold, pred, labels=list(range(n_labels)), average="macro", zero_division=0)
    return float(f1), float(accuracy_score(gold, pred))


def article_metrics(owner: np.ndarray, gold: np.ndarray, n_labels: int):
    """`compute_metrics` for Trainer: window logits mean-pooled per article, then macro-F1 and accuracy."""

    def compute_metrics(prediction) -> dict:
        logits = prediction.predictions
        logits = logits[0] if isinstance(logits, (tuple, list)) else logits
        pooled = pool_by_owner(np.asarray(logits, dtype=np.float64), owner, len(gold))
        f1, acc = macro_f1_accuracy(gold, pooled.argmax(axis=1), n_labels)
        return {"macro_f1": f1, "accuracy": acc}

    return compute_metrics


def trainer_classes():
    """The Trainer subclass khabar trains with, and the progress callback (imported lazily)."""
    import torch
    from transformers import Trainer, TrainerCallback

    class KhabarTrainer(Trainer):
        """Cross-entropy computed here, optionally weighted per class (`class_weights`).

        The loss is a per-batch mean, so the Trainer divides it by the accumulation steps. Stock
        `Trainer` in transformers 5 assumes a model whose forward takes **kwargs (BERT's does)
        normalizes its loss by `num_items_in_batch` itself; BERT's classification loss does not,
        so with gradient_accumulation_steps > 1 the loss and gradients came out that many times
        too large (huggingface/transformers#47688). Computing the loss here and saying it is
        unscaled avoids that.
        """

        loss_is_scaled_for_ga = False

        def __init__(self, *args, class_weights=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.class_weights = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs["labels"]
            outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
            logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
            weight = None if self.class_weights is None else self.class_weights.to(logits.device)
            loss = torch.nn.functional.cross_entropy(
                logits.float().view(-1, logits.shape[-1]), labels.view(-1), weight=weight,
            )
            return (loss, outputs) if return_outputs else loss

    class Progress(TrainerCallback):
        """Progress lines, and the model's `epoch_callback` after each dev evaluation."""

        def __init__(self, on_dev=None):
            self.start = time.time()
            self.on_dev = on_dev

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
                say(
                    f"transformer: epoch {state.epoch or 0:.2f} dev macro-F1 {logs['eval_macro_f1']:.4f} "
                    f"accuracy {logs.get('eval_accuracy', 0):.4f} ({took:.0f}s)"
                )
                if self.on_dev is not None:
                    self.on_dev(state.epoch or 0.0, {"macro_f1": logs["eval_macro_f1"],
                                                     "accuracy": logs.get("eval_accuracy")})

    return KhabarTrainer, Progress
