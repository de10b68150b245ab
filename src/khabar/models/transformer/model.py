"""`kind: transformer`: a fine-tuned BERT (AraBERT, CAMeLBERT, MARBERT, ARBERT, or a scratch BERT).

Training is Hugging Face's `Trainer` on `AutoModelForSequenceClassification`: dynamic padding,
warmup, weight decay, gradient accumulation, early stopping on dev macro-F1 with the best epoch
kept, mixed precision on a GPU, optional class weights. Checkpoints live in a temporary directory
that is removed after `fit`; the model directory gets `save_pretrained` (safetensors) files.
Under `torchrun` the Trainer trains data-parallel; rank 0 makes that directory and the starting
checkpoint once and every rank uses them (see `khabar.torchrun` for why).

Multi-label topics (`multi_label`): the network is built with `problem_type:
multi_label_classification` (recorded in its config.json), trains on 0/1 label rows with binary
cross-entropy (class weights: BCE `pos_weight`, negatives / positives of each label), and
`predict_proba` gives each label's sigmoid. The epoch kept is still the one of best dev macro-F1,
here of the labels at or above 0.5 (micro- and samples-F1 and subset accuracy are reported too,
see `trainer`); then the per-label thresholds are chosen on the dev split with the kept weights
(`Model.fit_thresholds`). Without a dev split every threshold stays 0.5, and the manifest says so.

Inputs are tokenized once without special tokens by the fast (Rust) tokenizer, then cut by the
long-article strategy (head, head_tail, chunks) and assembled with the tokenizer's own special
tokens (its post-processor), the same way in training and prediction. For stance the claim is the
first sequence and is never cut; only the article is. Prediction sorts inputs by length, pads per
batch, and runs under `torch.inference_mode()` on the GPU when there is one.

CPU threads: torch's default (one per core). On a machine whose cores are busy with other work,
`OMP_NUM_THREADS=1` is often several times faster, because a parallel region waits for its
slowest thread.

Beside it: `encode` (token rows and windows), `trainer` (the Trainer pieces), `checkpoint`
(where a checkpoint comes from), `scratch` (a BERT from nothing) and `params`.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import Optional, Sequence

import numpy as np


from ... import torchrun
from ...errors import KhabarError
from ...examples import Example, needs_pair
from ...log import quiet_libraries, say
from ..base import Inputs, Model, rebuild_config, resolve_model_dir
from ..manifest import MANIFEST, RESTORE, Manifest, read_manifest
from . import KIND
from .checkpoint import resolve_checkpoint
from .encode import Encoded, Template, encode_inputs, pool_by_owner
from .params import SCRATCH, check_params
from .trainer import MULTI_LABEL_PROBLEM, RowDataset, article_metrics, trainer_classes

#: prediction reports progress (every tenth) only for at least this many token rows
PREDICT_PROGRESS_ROWS = 2000
#: what a saved model directory must hold: without tokenizer.json, transformers silently builds
#: another tokenizer from what is left and the model answers wrongly with no error
REQUIRED_FILES = ("config.json", "tokenizer.json")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")  # one file, or the index of shards


def prior_checkpoint(path: str, task: str) -> str:
    """The folder of a trained khabar transformer model (`model.prior`) to start from: its files are
    save_pretrained ones, so its encoder loads like any checkpoint and the head is made anew for
    this model's labels (`ignore_mismatched_sizes`)."""
    try:
        directory = resolve_model_dir(path)
        manifest = read_manifest(directory)
    except KhabarError as exc:
        raise KhabarError(f"model.prior: {exc}") from None
    if manifest.kind != KIND.name:
        raise KhabarError(f"model.prior: {path} is a {manifest.kind} model; a transformer starts from a "
                          "transformer model (for a TF-IDF prior, use kind: tfidf with model.prior)")
    if manifest.task != task:
        raise KhabarError(f"model.prior: {path} is a {manifest.task} model; a {task} model needs a {task} prior")
    return directory


class TransformerModel(Model):
    """A sequence classifier fine-tuned with `Trainer`; topic (one text) or stance (claim, article)."""

    kind = KIND.name

    def __init__(self, task, params, train, normalize, labels=None, multi_label=False, allow_no_label=False):
        super().__init__(task, params, train, normalize, labels, multi_label, allow_no_label)
        self.device = "auto"  # where inference runs: a setting, not learned (see set_device)

    # -- loading ---------------------------------------------------------------------------
    def _load_pretrained(self, source: str, local_only: bool) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        label2id = {lab: i for i, lab in enumerate(self.labels_)}
        id2label = {i: lab for i, lab in enumerate(self.labels_)}
        try:
            with quiet_libraries():
                tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
                model = AutoModelForSequenceClassification.from_pretrained(
                    source, local_files_only=local_only, id2label=id2label, label2id=label2id,
                    problem_type=self.problem_type, ignore_mismatched_sizes=True,
                )
        except (OSError, ValueError) as exc:
            raise KhabarError(
                f"model.name_or_path: cannot load {source} ({' '.join(str(exc).split())[:160]}); "
                "point it at a directory with config.json, model weights and tokenizer files"
            ) from None
        self._set_model(model, tokenizer)

    @property
    def problem_type(self) -> str:
        """Hugging Face's name for what the network's head does: softmax over labels, or a sigmoid each."""
        return self.scheme.problem_type

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
        self.template_ = Template.of(tokenizer, needs_pair(self.task))  # where its special tokens go
        self.torch_device_ = None

    # -- tokenization and long articles ------------------------------------------------------
    def encode(self, inputs: Sequence) -> Encoded:
        """Token rows for already-normalized inputs, cut by `long_strategy` (claim never cut)."""
        return encode_inputs(self.tokenizer_, inputs, needs_pair(self.task), self.params, self.template_)

    # -- training ------------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], dev: Sequence[Example] | None = None) -> "TransformerModel":
        import torch
        from transformers import set_seed

        check_params(self.params)
        train, dev = list(train), list(dev or [])
        if not train:
            raise KhabarError("no training examples; check the data path and the split column")
        started = time.time()
        self.start_fit(train)
        self.history_: list[dict] = []
        self.best_dev_macro_f1_: Optional[float] = None
        self._check_fit_labels(dev)
        train_inputs = self.normalize_inputs([ex.inputs for ex in train], training=True)
        dev_inputs = self.normalize_inputs([ex.inputs for ex in dev], training=True) if dev else []
        # label indices, or for a label set one 0/1 row per article (floats for binary cross-entropy)
        train_y, dev_y = self.scheme.targets(train, self.labels_), self.scheme.targets(dev, self.labels_)
        cuda = torch.cuda.is_available()
        # under torchrun: one folder shared by all ranks, the starting checkpoint made once (rank 0)
        workdir = torchrun.shared_tempdir("khabar-transformer-")
        try:
            set_seed(self.train_params.seed)
            self._load_start(train_inputs, workdir)
            enc_train = self.encode(train_inputs)
            train_rows = RowDataset(enc_train.rows(train_y))
            say(
                f"transformer: {len(train)} training articles -> {len(enc_train)} inputs of at most "
                f"{self.params.max_length} tokens ({self.params.long_strategy}), labels {', '.join(self.labels_)}"
            )
            eval_rows, compute_metrics = None, None
            if dev:
                enc_dev = self.encode(dev_inputs)
                order = np.argsort(-enc_dev.lengths(), kind="stable")  # long first: less padding, same metric
                eval_rows = RowDataset(enc_dev.rows(dev_y, order))
                compute_metrics = article_metrics(enc_dev.owner[order], dev_y, self.scheme)
            else:
                say("transformer: no dev examples: no early stopping, the last epoch is kept")
            self._train(self._training_arguments(workdir, bool(dev), cuda), train_rows, eval_rows, compute_metrics)
            torchrun.barrier()  # every rank has loaded the best checkpoint before it goes
        finally:
            if torchrun.is_main():
                shutil.rmtree(workdir, ignore_errors=True)
        self.torch_device_ = None
        # a label set's thresholds, on the dev rows already encoded; without dev, the default for every label
        self.fit_thresholds(lambda: self.proba_of(enc_dev, len(dev)) if dev else None, dev or (),
                            "dev split" if dev else "no dev split")
        best = f", best dev macro-F1 {self.best_dev_macro_f1_:.4f}" if dev and self.best_dev_macro_f1_ is not None else ""
        say(f"transformer: trained in {time.time() - started:.0f}s{best}")
        return self

    def _check_fit_labels(self, dev: Sequence[Example]) -> None:
        if len(self.labels_) < 2:
            raise KhabarError(f"the training data has a single label ({', '.join(self.labels_)}); a classifier needs at least two")
        unknown = sorted({lab for ex in dev for lab in ex.gold} - set(self.labels_))
        if unknown:
            raise KhabarError(f"dev labels {unknown} never occur in training; add training examples or map them with data.label_map")

    def _load_start(self, train_inputs: list, workdir: str) -> None:
        """The starting network and tokenizer: made (a scratch vocabulary) or fetched (the Hub) by
        rank 0 alone, then loaded by every rank."""

        def first_load():
            if self.params.prior:
                found = prior_checkpoint(self.params.prior, self.task), True
            elif self.params.name_or_path == SCRATCH:
                found = self._build_scratch(train_inputs, os.path.join(workdir, "scratch")), True
            else:
                found = resolve_checkpoint(self.params.name_or_path)
            say(f"transformer: loading {found[0]}")
            self._load_pretrained(*found)
            return found

        source, local_only = torchrun.on_main(first_load, "preparing the starting checkpoint")
        if not torchrun.is_main():
            self._load_pretrained(source, local_only)

    def _training_arguments(self, workdir: str, dev: bool, cuda: bool):
        """Hugging Face's TrainingArguments from the train section: with a dev split, an evaluation
        and a checkpoint per epoch and the best macro-F1 epoch kept."""
        from transformers import TrainingArguments

        tp = self.train_params
        bf16, fp16 = self._precision(cuda)
        return TrainingArguments(
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
            load_best_model_at_end=dev,
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
            report_to=self.report_to,  # "mlflow" when the run is tracked: the per-epoch curve
            disable_tqdm=True,
            log_level="error",
            log_level_replica="error",
        )

    def _train(self, args, train_rows: RowDataset, eval_rows: Optional[RowDataset], compute_metrics) -> None:
        """Run Trainer (early stopping with a dev split, class weights when asked) and keep its
        history, the best dev macro-F1 and the network it ends with."""
        from transformers import DataCollatorWithPadding, EarlyStoppingCallback, PrinterCallback

        trainer_cls, progress_cls = trainer_classes()
        callbacks = [progress_cls(self.epoch_callback, self.scheme)]
        if eval_rows is not None and self.train_params.early_stopping_patience:
            callbacks.append(EarlyStoppingCallback(early_stopping_patience=self.train_params.early_stopping_patience))
        weights = None
        if self.params.class_weights:
            weights = self.class_weights(np.array([row["labels"] for row in train_rows.rows]))
            say(f"transformer: {self.scheme.class_weights_name()} "
                + ", ".join(f"{lab} {w:.2f}" for lab, w in zip(self.labels_, weights)))
        trainer = trainer_cls(
            model=self.model_, args=args, train_dataset=train_rows, eval_dataset=eval_rows,
            processing_class=self.tokenizer_, data_collator=DataCollatorWithPadding(self.tokenizer_),
            compute_metrics=compute_metrics, callbacks=callbacks, class_weights=weights, loss=self.scheme.loss,
        )
        trainer.remove_callback(PrinterCallback)  # it prints raw log dicts to stdout; Progress prints to stderr
        with quiet_libraries():
            trainer.train()
        self.history_ = [dict(entry) for entry in trainer.state.log_history]
        self.best_dev_macro_f1_ = trainer.state.best_metric
        self.model_ = trainer.model.eval()

    def class_weights(self, labels: np.ndarray) -> np.ndarray:
        """scikit-learn's "balanced" weights, n / (k * count) over the k labels present: every
        present label carries the same total weight and the weights average to 1 over the training
        rows. Labels absent from training get 1.

        Multi-label (`labels`: rows x labels, 0/1): BCE's `pos_weight` per label, its negatives over
        its positives among the training rows, so that a label's positives weigh as much as its
        negatives; 1 for a label that has no positive or no negative row."""
        from sklearn.utils.class_weight import compute_class_weight

        if labels.ndim == 2:
            positives = labels.sum(axis=0).astype(np.float64)
            negatives = len(labels) - positives
            both = (positives > 0) & (negatives > 0)
            return np.where(both, negatives / np.maximum(positives, 1.0), 1.0)
        weights = np.ones(len(self.labels_))
        present = np.unique(labels)
        weights[present] = compute_class_weight("balanced", classes=present, y=labels)
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
        say(
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
        self.torch_device_ = None
        self._place()

    def _place(self):
        import torch

        if getattr(self, "torch_device_", None) is None:
            use_cuda = self.device == "cuda" or (self.device == "auto" and torch.cuda.is_available())
            self.torch_device_ = torch.device("cuda" if use_cuda else "cpu")
            if getattr(self, "model_", None) is not None:
                self.model_.to(self.torch_device_)
        return self.torch_device_

    def predict_proba(self, inputs: Inputs) -> np.ndarray:
        self.check_fitted()
        inputs = list(inputs)
        if not inputs:
            return np.zeros((0, len(self.labels_)))
        enc = self.encode(self.normalize_inputs(inputs))
        return self.scheme.shift(self.proba_of(enc, len(inputs)), self.labels_)

    def proba_of(self, enc: Encoded, n: int) -> np.ndarray:
        """Probabilities of n inputs from their token rows: the logits of each input's rows
        mean-pooled, then the scheme's activation: softmax, or for a label set each label's sigmoid."""
        pooled = pool_by_owner(self.row_logits(enc), enc.owner, n)
        return self.scheme.activation(pooled)

    def explain(self, inputs: Inputs, top: Optional[int] = None, runner_up: bool = False, targets=None) -> list[dict]:
        """Integrated gradients on the word embeddings, summed per word of the original text
        (see `explain.py`; needs the `captum` package)."""
        try:
            import captum  # noqa: F401
        except ImportError:
            raise KhabarError("explaining a transformer needs Captum: pip install captum") from None
        from .explain import explain

        return explain(self, inputs, top, runner_up, targets)

    def torch_device(self):
        """The torch device inference runs on (see `set_device`), the network placed there."""
        return self._place()

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
                if len(order) >= PREDICT_PROGRESS_ROWS and done - shown >= len(order) // 10:
                    shown = done
                    say(f"transformer: predicted {done}/{len(order)} inputs ({time.time() - started:.0f}s)")
        return out

    # -- persistence ------------------------------------------------------------------------------
    def save_weights(self, directory: str) -> None:
        with quiet_libraries():
            self.model_.save_pretrained(directory)
            self.tokenizer_.save_pretrained(directory)

    @classmethod
    def load_weights(cls, directory: str, manifest: Manifest) -> "TransformerModel":
        """`from_pretrained` on safetensors only (never pickle), after `load_model` verified the files."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        for name in REQUIRED_FILES:
            if not os.path.isfile(os.path.join(directory, name)):
                raise KhabarError(f"{os.path.join(directory, name)}: missing; the model directory is incomplete, {RESTORE}")
        if not any(os.path.isfile(os.path.join(directory, name)) for name in WEIGHT_FILES):
            raise KhabarError(f"{os.path.join(directory, WEIGHT_FILES[0])}: missing (khabar saves and loads safetensors "
                              f"weights only); {RESTORE}")
        params, train, normalize = rebuild_config(manifest, directory)
        labels = list(manifest.labels)
        model = cls(manifest.task, params, train, normalize, labels=labels, multi_label=manifest.multi_label is not None)
        try:
            with quiet_libraries():
                tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        except Exception as exc:  # damaged JSON, a tokenizer class that needs remote code...: one line naming the file
            raise KhabarError(_load_error(directory, TOKENIZER_FILES, "cannot load the tokenizer", exc)) from None
        try:
            with quiet_libraries():
                net = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True, use_safetensors=True)
        except Exception as exc:  # a damaged safetensors header, shapes that disagree with config.json...
            raise KhabarError(_load_error(directory, NETWORK_FILES, "config.json and model.safetensors do not fit together",
                                          exc)) from None
        saved = [net.config.id2label.get(i) for i in range(net.config.num_labels)]
        if saved != labels:
            raise KhabarError(f"{directory}: config.json labels {saved} differ from {MANIFEST} labels {labels}; {RESTORE}")
        trained = net.config.problem_type == MULTI_LABEL_PROBLEM
        if trained != model.multi_label:  # a sigmoid head read as softmax (or back) answers wrongly, silently
            heads = {True: "multi-label (one sigmoid per label)", False: "single-label (softmax)"}
            raise KhabarError(f"{directory}: config.json describes a {heads[trained]} network but {MANIFEST} a "
                              f"{heads[model.multi_label]} model; {RESTORE}")
        if len(tokenizer) > net.config.vocab_size:
            raise KhabarError(f"{directory}: tokenizer.json has {len(tokenizer)} tokens but the network embeds "
                              f"{net.config.vocab_size} (config.json): the files do not belong together; {RESTORE}")
        model.labels_ = labels
        model._set_model(net.eval(), tokenizer)
        return model


#: what AutoTokenizer reads (config.json too: it names the model type)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "config.json")
NETWORK_FILES = ("config.json", "model.safetensors", "model.safetensors.index.json")


def _damaged_file(directory: str, names: Sequence[str]) -> Optional[str]:
    """After a failed `from_pretrained`: the first of `names` that is unreadable on its own (JSON that
    does not parse to an object, a tokenizer.json the tokenizers library rejects, a safetensors file
    whose header does not cover it), so the error can name it. Costs nothing on a good load."""
    import json

    for name in names:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        try:
            if name == "tokenizer.json":
                from tokenizers import Tokenizer

                Tokenizer.from_file(path)
            elif name.endswith(".safetensors"):
                from safetensors import safe_open

                with safe_open(path, framework="pt") as fh:
                    list(fh.keys())
            else:
                with open(path, encoding="utf-8") as fh:
                    if not isinstance(json.load(fh), dict):
                        return name
        except Exception:
            return name
    return None


def _load_error(directory: str, names: Sequence[str], otherwise: str, exc: Exception) -> str:
    """One line for a failed `from_pretrained`: the file that is damaged on its own, else `otherwise`."""
    culprit = _damaged_file(directory, names)
    if culprit is not None:
        return f"{os.path.join(directory, culprit)}: damaged ({_reason(exc)}); {RESTORE}"
    return f"{directory}: {otherwise} ({_reason(exc)}); {RESTORE}"


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__
