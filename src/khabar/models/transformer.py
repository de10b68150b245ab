"""`kind: transformer`: a fine-tuned BERT (AraBERT, CAMeLBERT, MARBERT, ARBERT, or a scratch BERT).

Training is Hugging Face's `Trainer` on `AutoModelForSequenceClassification`: dynamic padding,
warmup, weight decay, gradient accumulation, early stopping on dev macro-F1 with the best epoch
kept, mixed precision on a GPU, optional class weights. Checkpoints live in a temporary directory
that is removed after `fit`; the model directory gets `save_pretrained` (safetensors) files.
Under `torchrun` the Trainer trains data-parallel; rank 0 makes that directory and the starting
checkpoint once and every rank uses them (see `khabar.distributed_training` for why).

Inputs are tokenized once without special tokens by the fast (Rust) tokenizer, then cut by the
long-article strategy (head, head_tail, chunks) and assembled with the tokenizer's own special
tokens (its post-processor), the same way in training and prediction. For stance the claim is the
first sequence and is never cut; only the article is. Prediction sorts inputs by length, pads per
batch, and runs under `torch.inference_mode()` on the GPU when there is one.

CPU threads: torch's default (one per core). On a machine whose cores are busy with other work,
`OMP_NUM_THREADS=1` is often several times faster, because a parallel region waits for its
slowest thread.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .. import distributed_training
from ..errors import KhabarError
from ..examples import Example
from .base import Inputs, Model, data_fingerprint, rebuild_config
from .transformer_params import SCRATCH, check_params

#: Seconds to wait for the Hub before declaring it unreachable (only when a name is not cached).
HUB_TIMEOUT = 5.0
_PREDICT_PROGRESS_ROWS = 2000


def _say(message: str) -> None:
    if not distributed_training.is_main():
        return  # under torchrun only rank 0 reports progress
    print(f"khabar: {message}", file=sys.stderr, flush=True)


@contextmanager
def _quiet_transformers():
    """Silence transformers' load reports and progress bars; khabar prints its own short lines."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


# -- where the checkpoint comes from -------------------------------------------------------------
def _hub_offline_env() -> bool:
    if any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")):
        return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except Exception:  # pragma: no cover - very old huggingface_hub
        return False


def resolve_checkpoint(name_or_path: str) -> tuple[str, bool]:
    """Where to load `name_or_path` from: (path or Hub name, local_files_only).

    A local directory is used as is. A Hub name is used from the local cache when it is there
    (checked with local_files_only=True, no network). Otherwise the Hub is asked once, with a
    short timeout; no network, offline mode or an unknown name end at once with a `KhabarError`.
    """
    fix = (
        "download it where there is internet (e.g. `hf download NAME --local-dir DIR`, or "
        "save_pretrained), copy DIR here and set model.name_or_path to that directory; "
        "or set model.name_or_path: scratch to train a small BERT from nothing"
    ).replace("NAME", name_or_path)
    if os.path.isdir(name_or_path):
        return name_or_path, True
    expanded = os.path.expanduser(name_or_path)
    if expanded != name_or_path and os.path.isdir(expanded):
        return expanded, True
    looks_like_path = (
        name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1
        or "\\" in name_or_path or os.path.exists(name_or_path)
    )
    if looks_like_path:
        raise KhabarError(
            f"model.name_or_path: {name_or_path}: no such directory; point it at a folder with config.json, "
            "the weights and the tokenizer files, or use a Hub name such as aubmindlab/bert-base-arabertv02"
        )
    from transformers import AutoConfig

    try:
        with _quiet_transformers():
            AutoConfig.from_pretrained(name_or_path, local_files_only=True)
        return name_or_path, True
    except Exception:
        pass
    if _hub_offline_env():
        raise KhabarError(
            f"model.name_or_path: {name_or_path} is not in the local Hugging Face cache and HF_HUB_OFFLINE "
            f"is set; {fix}"
        )
    from huggingface_hub import model_info

    try:
        model_info(name_or_path, timeout=HUB_TIMEOUT)
    except Exception as exc:  # no network, DNS failure, timeout, unknown or gated repository
        name = type(exc).__name__
        if "NotFound" in name or "Gated" in name or "Validation" in name:
            raise KhabarError(
                f"model.name_or_path: {name_or_path} is not a model on the Hugging Face Hub (or needs a login) "
                f"and is not a local directory; check the name, or {fix}"
            ) from None
        reason = " ".join(str(exc).split())[:120] or name
        raise KhabarError(
            f"model.name_or_path: {name_or_path} is not in the local Hugging Face cache and the Hub cannot be "
            f"reached ({reason}); {fix}"
        ) from None
    return name_or_path, False


# -- encoded inputs ------------------------------------------------------------------------------
@dataclass
class Encoded:
    """Token rows ready for the model; `owner[r]` is the input (article) row r came from."""

    input_ids: list[list[int]]
    token_type_ids: Optional[list[list[int]]]
    owner: np.ndarray

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> np.ndarray:
        return np.fromiter((len(ids) for ids in self.input_ids), dtype=np.int64, count=len(self.input_ids))

    def rows(self, labels: Optional[Sequence[int]] = None, order: Optional[Sequence[int]] = None) -> list[dict]:
        """Feature dicts for `DataCollatorWithPadding`, with the article's label on every row."""
        order = range(len(self)) if order is None else order
        out = []
        for r in order:
            row = {"input_ids": self.input_ids[r], "attention_mask": [1] * len(self.input_ids[r])}
            if self.token_type_ids is not None:
                row["token_type_ids"] = self.token_type_ids[r]
            if labels is not None:
                row["labels"] = int(labels[self.owner[r]])
            out.append(row)
        return out


class _RowDataset:
    """A list of feature dicts as a map-style dataset for `Trainer`."""

    def __init__(self, rows: list[dict]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return self.rows[i]


def pool_by_owner(values: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Mean of the rows of `values` that belong to each of the n owners."""
    sums = np.zeros((n, values.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, values)
    counts = np.bincount(owner, minlength=n).astype(np.float64)
    return sums / np.maximum(counts, 1.0)[:, None]


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _macro_f1_accuracy(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    f1 = f1_score(gold, pred, labels=list(range(n_labels)), average="macro", zero_division=0)
    return float(f1), float(accuracy_score(gold, pred))


def _article_metrics(owner: np.ndarray, gold: np.ndarray, n_labels: int):
    """`compute_metrics` for Trainer: window logits mean-pooled per article, then macro-F1 and accuracy."""

    def compute_metrics(prediction) -> dict:
        logits = prediction.predictions
        logits = logits[0] if isinstance(logits, (tuple, list)) else logits
        pooled = pool_by_owner(np.asarray(logits, dtype=np.float64), owner, len(gold))
        f1, acc = _macro_f1_accuracy(gold, pooled.argmax(axis=1), n_labels)
        return {"macro_f1": f1, "accuracy": acc}

    return compute_metrics


def _trainer_classes():
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
        def __init__(self):
            self.start = time.time()

        def on_train_begin(self, args, state, control, **kwargs):
            _say(f"transformer: {state.max_steps} optimisation steps, up to {args.num_train_epochs:g} epochs")

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            took = time.time() - self.start
            if "loss" in logs:
                _say(
                    f"transformer: step {state.global_step}/{state.max_steps} epoch {state.epoch or 0:.2f} "
                    f"loss {logs['loss']:.4f} lr {logs.get('learning_rate', 0):.2e} ({took:.0f}s)"
                )
            if "eval_macro_f1" in logs:
                _say(
                    f"transformer: epoch {state.epoch or 0:.2f} dev macro-F1 {logs['eval_macro_f1']:.4f} "
                    f"accuracy {logs.get('eval_accuracy', 0):.4f} ({took:.0f}s)"
                )

    return KhabarTrainer, Progress


@dataclass
class _Template:
    """Special tokens around one or two sequences: prefix A middle B suffix, with type ids."""

    prefix: list[int]
    prefix_types: list[int]
    middle: list[int]
    middle_types: list[int]
    suffix: list[int]
    suffix_types: list[int]
    type_a: int
    type_b: int

    @property
    def n_special(self) -> int:
        return len(self.prefix) + len(self.middle) + len(self.suffix)

    @classmethod
    def of(cls, tokenizer, pair: bool) -> "_Template":
        backend = tokenizer.backend_tokenizer
        post = backend.post_processor
        if post is None:
            return cls([], [], [], [], [], [], 0, 0)

        def one_token(text):
            enc = backend.encode(text, add_special_tokens=False)
            if len(enc.ids) == 0:
                enc = backend.encode(tokenizer.unk_token or "[UNK]", add_special_tokens=False)
            enc.truncate(1)
            return enc

        # one content token per sequence: the content positions are where special_tokens_mask is 0
        enc = post.process(one_token("a"), one_token("b") if pair else None)
        ids, types = enc.ids, enc.type_ids
        content = [k for k, special in enumerate(enc.special_tokens_mask) if not special]
        a = content[0]
        b = content[1] if pair else a
        return cls(
            ids[:a], types[:a],
            ids[a + 1:b], types[a + 1:b],
            ids[b + 1:], types[b + 1:],
            types[a], types[b],
        )

    def build(self, first: list[int], second: Optional[list[int]] = None) -> tuple[list[int], list[int]]:
        if second is None:
            ids = self.prefix + first + self.suffix
            types = self.prefix_types + [self.type_a] * len(first) + self.suffix_types
        else:
            ids = self.prefix + first + self.middle + second + self.suffix
            types = (self.prefix_types + [self.type_a] * len(first) + self.middle_types
                     + [self.type_b] * len(second) + self.suffix_types)
        return ids, types


class TransformerModel(Model):
    """A sequence classifier fine-tuned with `Trainer`; topic (one text) or stance (claim, article)."""

    kind = "transformer"
    data_parallel = True  # `fit` may run under torchrun: every rank trains, see distributed_training

    def __init__(self, task, params, train, normalize, labels=None):
        super().__init__(task, params, train, normalize, labels)
        self.device = "auto"
        self.model_ = None
        self.tokenizer_ = None
        self.history_: list[dict] = []
        self.best_dev_macro_f1_: Optional[float] = None
        self._torch_device = None
        self._template_cache = None

    # -- loading ---------------------------------------------------------------------------
    def _load_pretrained(self, source: str, local_only: bool) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        label2id = {lab: i for i, lab in enumerate(self.labels_)}
        id2label = {i: lab for i, lab in enumerate(self.labels_)}
        try:
            with _quiet_transformers():
                tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
                model = AutoModelForSequenceClassification.from_pretrained(
                    source, local_files_only=local_only, id2label=id2label, label2id=label2id,
                    problem_type="single_label_classification", ignore_mismatched_sizes=True,
                )
        except (OSError, ValueError) as exc:
            raise KhabarError(
                f"model.name_or_path: cannot load {source} ({' '.join(str(exc).split())[:160]}); "
                "point it at a directory with config.json, model weights and tokenizer files"
            ) from None
        self._set_model(model, tokenizer)

    def _set_model(self, model, tokenizer) -> None:
        if not getattr(tokenizer, "is_fast", False) or getattr(tokenizer, "backend_tokenizer", None) is None:
            raise KhabarError(
                f"{type(tokenizer).__name__}: khabar needs a fast (tokenizers-based) tokenizer; "
                "save the checkpoint's tokenizer with a tokenizer.json or use another checkpoint"
            )
        limit = tokenizer.model_max_length if tokenizer.model_max_length < 100_000 else model.config.max_position_embeddings
        if self.params.max_length > limit:
            raise KhabarError(
                f"model.max_length: {self.params.max_length} is more than this checkpoint takes ({limit} tokens); "
                f"set model.max_length: {limit} or less"
            )
        self.model_ = model
        self.tokenizer_ = tokenizer

    # -- tokenization and long articles ------------------------------------------------------
    def encode(self, inputs: Sequence) -> Encoded:
        """Token rows for already-normalized inputs, cut by `long_strategy` (claim never cut).

        One batched Rust call tokenizes everything without special tokens; cutting and adding the
        special tokens then works on plain id lists (per-article `tokenizers.Encoding` operations
        drag every overflow piece of a long article along and were the slowest part).
        """
        tok = self.tokenizer_
        backend = tok.backend_tokenizer
        backend.no_truncation()
        backend.no_padding()
        pair = self.task == "stance"
        template = self._template(pair)
        max_length = self.params.max_length
        room = max_length - template.n_special
        if pair:
            claims = [e.ids for e in backend.encode_batch([c for c, _ in inputs], add_special_tokens=False)]
            articles = [e.ids for e in backend.encode_batch([t for _, t in inputs], add_special_tokens=False)]
        else:
            claims = None
            articles = [e.ids for e in backend.encode_batch(list(inputs), add_special_tokens=False)]
        use_types = "token_type_ids" in tok.model_input_names
        ids, types, owner = [], [] if use_types else None, []
        warned = False
        for i, article in enumerate(articles):
            claim = claims[i] if claims is not None else None
            if claim is not None and len(claim) > room - 8:
                # a claim that leaves no room for the article cannot be kept whole: keep half the input
                claim = claim[: room // 2]
                if not warned:
                    _say(f"transformer: a claim too long for max_length {max_length} was cut to {room // 2} tokens")
                    warned = True
            budget = room - (len(claim) if claim is not None else 0)
            for window in self._windows(article, budget):
                row_ids, row_types = template.build(claim, window) if claim is not None else template.build(window)
                ids.append(row_ids)
                if use_types:
                    types.append(row_types)
                owner.append(i)
        return Encoded(ids, types, np.asarray(owner, dtype=np.int64))

    def _template(self, pair: bool) -> "_Template":
        """Where the tokenizer puts its special tokens, read off its own post-processor once."""
        key = (id(self.tokenizer_), pair)
        cached = self._template_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        template = _Template.of(self.tokenizer_, pair)
        self._template_cache = (key, template)
        return template

    def _windows(self, article: list[int], budget: int) -> list[list[int]]:
        if len(article) <= budget:
            return [article]
        strategy = self.params.long_strategy
        if strategy == "head":
            return [article[:budget]]
        if strategy == "head_tail":
            n_head = min(self.params.head_tokens, budget)
            n_tail = budget - n_head
            return [article[:n_head] + (article[-n_tail:] if n_tail > 0 else [])]
        # chunks: windows of `budget` tokens, neighbours sharing `chunk_stride` tokens; the same
        # windows as the tokenizer's return_overflowing_tokens with stride=chunk_stride
        overlap = min(self.params.chunk_stride, budget // 2)
        step = budget - overlap
        windows = []
        for start in range(0, len(article), step):
            windows.append(article[start:start + budget])
            if start + budget >= len(article):
                break
        if len(windows) > self.params.max_chunks:
            # keep max_chunks windows spread over the whole article, first and last included
            keep = np.unique(np.linspace(0, len(windows) - 1, self.params.max_chunks).round().astype(int))
            windows = [windows[k] for k in keep]
        return windows

    # -- training ------------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], dev: Sequence[Example] | None = None) -> "TransformerModel":
        import torch
        from transformers import (
            DataCollatorWithPadding, EarlyStoppingCallback, PrinterCallback, TrainingArguments, set_seed,
        )

        check_params(self.params)
        train = list(train)
        dev = list(dev or [])
        if not train:
            raise KhabarError("no training examples; check the data path and the split column")
        tp = self.train_params
        started = time.time()
        self.labels_ = self._label_set(train)
        if len(self.labels_) < 2:
            raise KhabarError(f"the training data has a single label ({', '.join(self.labels_)}); a classifier needs at least two")
        label_index = {lab: i for i, lab in enumerate(self.labels_)}
        unknown = sorted({ex.label for ex in dev} - set(label_index))
        if unknown:
            raise KhabarError(f"dev labels {unknown} never occur in training; add training examples or map them with data.label_map")
        self.data_fingerprint_ = data_fingerprint(train)
        train_inputs = self.normalize_inputs([ex.inputs for ex in train])
        dev_inputs = self.normalize_inputs([ex.inputs for ex in dev]) if dev else []
        train_y = np.array([label_index[ex.label] for ex in train])
        dev_y = np.array([label_index[ex.label] for ex in dev])

        cuda = torch.cuda.is_available()
        bf16, fp16 = self._precision(cuda)
        # under torchrun: one folder shared by all ranks, the starting checkpoint made once (rank 0)
        workdir = distributed_training.shared_tempdir("khabar-transformer-")
        try:
            set_seed(tp.seed)

            def first_load():  # rank 0 alone: a scratch vocabulary or a Hub download happens once
                if self.params.name_or_path == SCRATCH:
                    found = self._build_scratch(train_inputs, os.path.join(workdir, "scratch")), True
                else:
                    found = resolve_checkpoint(self.params.name_or_path)
                _say(f"transformer: loading {found[0]}")
                self._load_pretrained(*found)
                return found

            source, local_only = distributed_training.on_main(first_load, "preparing the starting checkpoint")
            if not distributed_training.is_main():
                self._load_pretrained(source, local_only)

            enc_train = self.encode(train_inputs)
            train_rows = _RowDataset(enc_train.rows(train_y))
            _say(
                f"transformer: {len(train)} training articles -> {len(enc_train)} inputs of at most "
                f"{self.params.max_length} tokens ({self.params.long_strategy}), labels {', '.join(self.labels_)}"
            )
            eval_rows, compute_metrics = None, None
            if dev:
                enc_dev = self.encode(dev_inputs)
                order = np.argsort(-enc_dev.lengths(), kind="stable")  # long first: less padding, same metric
                eval_rows = _RowDataset(enc_dev.rows(dev_y, order))
                compute_metrics = _article_metrics(enc_dev.owner[order], dev_y, len(self.labels_))
            else:
                _say("transformer: no dev examples: no early stopping, the last epoch is kept")

            args = TrainingArguments(
                output_dir=os.path.join(workdir, "checkpoints"),
                num_train_epochs=tp.epochs,
                max_steps=tp.max_steps,
                learning_rate=tp.learning_rate,
                lr_scheduler_type="linear",
                # transformers 5: a float below 1 is a fraction of all steps (warmup_ratio is gone)
                warmup_steps=float(tp.warmup_ratio),
                weight_decay=tp.weight_decay,
                per_device_train_batch_size=tp.batch_size,
                per_device_eval_batch_size=tp.eval_batch_size,
                gradient_accumulation_steps=tp.gradient_accumulation_steps,
                eval_strategy="epoch" if dev else "no",
                save_strategy="epoch" if dev else "no",
                save_total_limit=1,
                save_only_model=True,
                load_best_model_at_end=bool(dev),
                metric_for_best_model="macro_f1" if dev else None,
                greater_is_better=True if dev else None,
                logging_strategy="steps",
                logging_steps=tp.logging_steps,
                logging_first_step=True,
                seed=tp.seed,
                data_seed=tp.seed,
                bf16=bf16,
                fp16=fp16,
                use_cpu=not cuda,
                dataloader_pin_memory=cuda,
                dataloader_num_workers=0,
                ddp_find_unused_parameters=False,  # a classifier uses every weight; True costs a graph walk per step
                report_to="none",
                disable_tqdm=True,
                log_level="error",
                log_level_replica="error",
            )
            trainer_cls, progress_cls = _trainer_classes()
            callbacks = [progress_cls()]
            if dev and tp.early_stopping_patience:
                callbacks.append(EarlyStoppingCallback(early_stopping_patience=tp.early_stopping_patience))
            weights = None
            if self.params.class_weights:
                weights = self.class_weights(np.array([row["labels"] for row in train_rows.rows]))
                _say("transformer: class weights " + ", ".join(f"{lab} {w:.2f}" for lab, w in zip(self.labels_, weights)))
            trainer = trainer_cls(
                model=self.model_, args=args, train_dataset=train_rows, eval_dataset=eval_rows,
                processing_class=self.tokenizer_, data_collator=DataCollatorWithPadding(self.tokenizer_),
                compute_metrics=compute_metrics, callbacks=callbacks, class_weights=weights,
            )
            trainer.remove_callback(PrinterCallback)  # it prints raw log dicts to stdout; Progress prints to stderr
            with _quiet_transformers():
                trainer.train()
            self.history_ = [dict(entry) for entry in trainer.state.log_history]
            self.best_dev_macro_f1_ = trainer.state.best_metric
            self.model_ = trainer.model.eval()
            del trainer
            distributed_training.barrier()  # every rank has loaded the best checkpoint before it goes
        finally:
            if distributed_training.is_main():
                shutil.rmtree(workdir, ignore_errors=True)
        self._torch_device = None
        best = f", best dev macro-F1 {self.best_dev_macro_f1_:.4f}" if dev and self.best_dev_macro_f1_ is not None else ""
        _say(f"transformer: trained in {time.time() - started:.0f}s{best}")
        return self

    def class_weights(self, labels: np.ndarray) -> np.ndarray:
        """Inverse class frequency, n / (k * count) over the k labels present (scikit-learn's "balanced"):
        every present label carries the same total weight and the weights average to 1 over the
        training rows. Labels absent from training get 1."""
        counts = np.bincount(labels, minlength=len(self.labels_)).astype(np.float64)
        weights = np.ones(len(self.labels_))
        present = counts > 0
        weights[present] = len(labels) / (present.sum() * counts[present])
        return weights

    def _precision(self, cuda: bool) -> tuple[bool, bool]:
        import torch

        mode = self.train_params.mixed_precision
        if mode == "no":
            return False, False
        if not cuda:
            if mode == "auto":
                return False, False
            raise KhabarError(f"train.mixed_precision: {mode} needs a CUDA GPU and torch sees none; use auto or no")
        bf16_ok = torch.cuda.is_bf16_supported()
        if mode == "bf16" and not bf16_ok:
            raise KhabarError("train.mixed_precision: bf16 is not supported by this GPU; use fp16, auto or no")
        if mode == "auto":
            return bf16_ok, not bf16_ok
        return mode == "bf16", mode == "fp16"

    def _build_scratch(self, train_inputs: list, directory: str) -> str:
        from .scratch import build_scratch_bert

        s = self.params.scratch
        texts = [t for item in train_inputs for t in (item if isinstance(item, tuple) else (item,))]
        _say(
            f"transformer: building a scratch BERT ({s.layers} layers, hidden {s.hidden}); WordPiece vocabulary "
            f"of up to {s.vocab_size} from {len(texts)} training texts"
        )
        return build_scratch_bert(
            texts, directory, layers=s.layers, hidden=s.hidden, heads=s.heads, intermediate=s.intermediate,
            vocab_size=s.vocab_size, max_position_embeddings=s.max_position_embeddings,
            min_frequency=s.min_frequency, dropout=s.dropout, labels=self.labels_, seed=self.train_params.seed,
        )

    # -- prediction ------------------------------------------------------------------------------
    def set_device(self, device: str) -> None:
        import torch

        if device not in ("auto", "cpu", "cuda"):
            raise KhabarError(f"--device {device}: use auto, cpu or cuda")
        if device == "cuda" and not torch.cuda.is_available():
            raise KhabarError(
                f"--device cuda: torch {torch.__version__} sees no CUDA GPU; use --device cpu (or auto)"
            )
        self.device = device
        self._torch_device = None
        self._place()

    def _place(self):
        import torch

        if self._torch_device is None:
            use_cuda = self.device == "cuda" or (self.device == "auto" and torch.cuda.is_available())
            self._torch_device = torch.device("cuda" if use_cuda else "cpu")
            if self.model_ is not None:
                self.model_.to(self._torch_device)
        return self._torch_device

    def predict_proba(self, inputs: Inputs) -> np.ndarray:
        if self.model_ is None:
            raise KhabarError("this transformer model is not trained; call fit or load a model directory")
        inputs = list(inputs)
        if not inputs:
            return np.zeros((0, len(self.labels_)))
        enc = self.encode(self.normalize_inputs(inputs))
        logits = self.row_logits(enc)
        return softmax(pool_by_owner(logits, enc.owner, len(inputs)))

    def row_logits(self, enc: Encoded) -> np.ndarray:
        """Logits of every token row: sorted by length, padded per batch, under inference_mode."""
        import torch

        device = self._place()
        model = self.model_.eval()
        pad_id = self.tokenizer_.pad_token_id or 0
        batch_size = self.train_params.eval_batch_size
        lengths = enc.lengths()
        order = np.argsort(-lengths, kind="stable")
        out = np.zeros((len(enc), model.config.num_labels), dtype=np.float64)
        started, shown = time.time(), 0
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                width = int(lengths[rows].max())
                ids = np.full((len(rows), width), pad_id, dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.int64)
                types = np.zeros((len(rows), width), dtype=np.int64) if enc.token_type_ids is not None else None
                for j, r in enumerate(rows):
                    n = lengths[r]
                    ids[j, :n] = enc.input_ids[r]
                    mask[j, :n] = 1
                    if types is not None:
                        types[j, :n] = enc.token_type_ids[r]
                batch = {"input_ids": torch.from_numpy(ids).to(device), "attention_mask": torch.from_numpy(mask).to(device)}
                if types is not None:
                    batch["token_type_ids"] = torch.from_numpy(types).to(device)
                out[rows] = model(**batch).logits.float().cpu().numpy()
                done = start + len(rows)
                if len(order) >= _PREDICT_PROGRESS_ROWS and done - shown >= len(order) // 10:
                    shown = done
                    _say(f"transformer: predicted {done}/{len(order)} inputs ({time.time() - started:.0f}s)")
        return out

    # -- persistence ------------------------------------------------------------------------------
    def save_weights(self, directory: str) -> None:
        if self.model_ is None:
            raise KhabarError("this transformer model is not trained; nothing to save")
        with _quiet_transformers():
            self.model_.save_pretrained(directory)
            self.tokenizer_.save_pretrained(directory)

    @classmethod
    def load_weights(cls, directory: str, manifest: dict) -> "TransformerModel":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        params, train, normalize = rebuild_config(manifest, directory)
        labels = list(manifest.get("labels") or [])
        model = cls(manifest.get("task", "topic"), params, train, normalize, labels=labels)
        try:
            with _quiet_transformers():
                tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
                net = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise KhabarError(f"{directory}: cannot load the transformer weights ({' '.join(str(exc).split())[:160]}); re-train or restore the folder") from None
        saved = [net.config.id2label[i] for i in range(net.config.num_labels)]
        if saved != labels:
            raise KhabarError(f"{directory}: config.json labels {saved} differ from khabar.json labels {labels}; re-train or restore the folder")
        model.labels_ = labels
        model._set_model(net.eval(), tokenizer)
        return model
