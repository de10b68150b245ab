"""`kind: transformer` on a tiny BERT the tests build themselves (2 layers, hidden 64, WordPiece
vocabulary trained on sample-like Arabic): real Trainer fits, save/load, the long-article
strategies checked against the Hugging Face tokenizer, stance pairs, class weights, offline errors."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_bert import TOPIC_WORDS, topic_examples  # noqa: E402

from transformers import AutoTokenizer  # noqa: E402

from khabar.config import NormalizeConfig  # noqa: E402
from khabar.errors import KhabarError  # noqa: E402
from khabar.models import model_class  # noqa: E402
from khabar.models.base import load_model  # noqa: E402
from khabar.models.transformer import TransformerModel, _trainer_classes, softmax  # noqa: E402
from khabar.models.transformer_params import (  # noqa: E402
    ScratchParams, TransformerParams, TransformerTrain, check_params,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make(task: str, path: str, *, train: dict | None = None, **params) -> TransformerModel:
    params.setdefault("max_length", 64)
    settings = dict(epochs=6, learning_rate=3e-3, batch_size=16, eval_batch_size=8, logging_steps=1,
                    early_stopping_patience=None, seed=11)
    settings.update(train or {})
    cls = model_class("transformer")
    return cls(task, TransformerParams(name_or_path=path, **params), TransformerTrain(**settings), NormalizeConfig(preset="none"))


def loaded(task: str, path: str, **params) -> TransformerModel:
    """An untrained model with the tiny checkpoint loaded, for tokenization-only checks."""
    model = make(task, path, **params)
    model.labels_ = ["a", "b"]
    model._load_pretrained(path, True)
    return model


def with_params(model: TransformerModel, **changes) -> TransformerModel:
    """The same trained network with other long-article settings (no retraining)."""
    other = copy.copy(model)
    other.params = dataclasses.replace(model.params, **changes)
    return other


def long_text(words: int = 120) -> str:
    vocab = TOPIC_WORDS["Finance"] + TOPIC_WORDS["Sports"]
    return " ".join(vocab[i % len(vocab)] for i in range(words))


@pytest.fixture(scope="session")
def topic_model(tiny_bert_dir, topic_data):
    train, dev = topic_data
    return make("topic", tiny_bert_dir).fit(train, dev)


@pytest.fixture(scope="session")
def stance_model(tiny_bert_dir, stance_data):
    train, dev = stance_data
    return make("stance", tiny_bert_dir, max_length=48, long_strategy="head_tail", head_tokens=16,
                train={"epochs": 3}).fit(train, dev)


@pytest.fixture(scope="session")
def tokenizer(tiny_bert_dir):
    return AutoTokenizer.from_pretrained(tiny_bert_dir, local_files_only=True)


# -- the scratch checkpoint ------------------------------------------------------------------------
def test_scratch_checkpoint_is_a_loadable_bert_with_a_vocabulary_of_the_training_words(tiny_bert_dir, tokenizer):
    from transformers import AutoConfig

    files = set(os.listdir(tiny_bert_dir))
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= files
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in files)
    config = AutoConfig.from_pretrained(tiny_bert_dir, local_files_only=True)
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads, config.intermediate_size) == (2, 64, 2, 128)
    assert config.vocab_size == len(tokenizer)
    # words seen in training are whole tokens of the vocabulary, not [UNK]
    for word in ("المباراة", "البورصة", "الحكومة"):
        assert tokenizer.tokenize(word) == [word]
    # special tokens are in place for single texts and pairs
    ids = tokenizer("الحكومة", "المباراة")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids.count(tokenizer.sep_token_id) == 2


def test_scratch_vocabulary_is_trained_on_the_given_texts_only(tmp_path):
    from khabar.models.scratch import build_scratch_bert

    texts = ["قطار سريع يصل المدينة"] * 5
    build_scratch_bert(texts, str(tmp_path), vocab_size=200, max_position_embeddings=32)
    tok = AutoTokenizer.from_pretrained(str(tmp_path), local_files_only=True)
    assert tok.tokenize("قطار") == ["قطار"]
    assert "البورصة" not in tok.get_vocab()  # a word never seen is not a vocabulary entry


def test_wordpiece_vocabulary_is_the_same_on_every_run(tmp_path):
    """Separate processes (fresh hash seeds) train the same vocabulary on the same texts."""
    import subprocess
    import sys

    corpus = tmp_path / "texts.json"
    texts = [ex.text for ex in topic_examples(8, seed=12, split="train")] + ["كتب الكاتب كتابا مكتوبا", "مكتبة ومكتب"]
    corpus.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    script = (
        "import json, sys; from khabar.models.scratch import train_wordpiece; "
        "texts = json.load(open(sys.argv[1], encoding='utf-8')); "
        "print(json.dumps(sorted(train_wordpiece(texts, vocab_size=150, min_frequency=1).get_vocab().items())))"
    )
    runs = [subprocess.run([sys.executable, "-c", script, str(corpus)], capture_output=True, text=True, check=True).stdout
            for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert len(json.loads(runs[0])) == 150


def test_fit_is_reproducible(tiny_bert_dir, topic_data):
    train, dev = topic_data
    texts = [ex.text for ex in dev]
    runs = [make("topic", "scratch", scratch=ScratchParams(vocab_size=300, max_position_embeddings=64),
                 train={"epochs": 2}).fit(train[:40], dev).predict_proba(texts) for _ in range(2)]
    assert np.array_equal(runs[0], runs[1])


# -- training ----------------------------------------------------------------------------------------
def test_trainer_loss_goes_down_and_dev_macro_f1_is_tracked(topic_model, topic_data):
    losses = [entry["loss"] for entry in topic_model.history_ if "loss" in entry]
    assert len(losses) >= 20
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    dev_f1 = [entry["eval_macro_f1"] for entry in topic_model.history_ if "eval_macro_f1" in entry]
    assert len(dev_f1) == 6  # one dev evaluation per epoch
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
    with pytest.raises(KhabarError):
        topic_model.predict_proba([("claim", "text")])


# -- long articles --------------------------------------------------------------------------------------
def test_head_matches_the_tokenizers_own_truncation(tiny_bert_dir, tokenizer):
    model = loaded("topic", tiny_bert_dir, max_length=24, long_strategy="head")
    texts = [long_text(80), "الحكومة والبرلمان"]
    enc = model.encode(texts)
    assert list(enc.owner) == [0, 1]
    assert enc.input_ids == tokenizer(texts, truncation=True, max_length=24)["input_ids"]


def test_head_tail_keeps_the_first_and_the_last_tokens(tiny_bert_dir, tokenizer):
    max_length, head = 24, 6
    model = loaded("topic", tiny_bert_dir, max_length=max_length, long_strategy="head_tail", head_tokens=head)
    text = long_text(80) + " الجمهور التعادل الحارس"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    tail = max_length - 2 - head
    (row,) = model.encode([text]).input_ids
    assert len(row) == max_length
    assert row == [tokenizer.cls_token_id, *ids[:head], *ids[-tail:], tokenizer.sep_token_id]
    assert tokenizer.decode(row[-4:-1]) == "الجمهور التعادل الحارس"
    # a short article is left whole
    assert model.encode(["الحكومة"]).input_ids == [tokenizer("الحكومة")["input_ids"]]


def test_chunks_are_the_tokenizers_overlapping_windows(tiny_bert_dir, tokenizer):
    model = loaded("topic", tiny_bert_dir, max_length=16, long_strategy="chunks", chunk_stride=4, max_chunks=50)
    text = long_text(60)
    reference = tokenizer(text, truncation=True, max_length=16, stride=4, return_overflowing_tokens=True)["input_ids"]
    enc = model.encode([text, "الحكومة"])
    assert len(reference) > 3
    assert enc.input_ids[:-1] == reference and list(enc.owner) == [0] * len(reference) + [1]
    # neighbouring windows share chunk_stride tokens
    assert reference[0][1:-1][-4:] == reference[1][1:-1][:4]


def test_max_chunks_spreads_windows_over_the_article(tiny_bert_dir, tokenizer):
    model = loaded("topic", tiny_bert_dir, max_length=16, long_strategy="chunks", chunk_stride=4, max_chunks=3)
    text = long_text(60)
    reference = tokenizer(text, truncation=True, max_length=16, stride=4, return_overflowing_tokens=True)["input_ids"]
    rows = model.encode([text]).input_ids
    assert len(rows) == 3
    assert rows[0] == reference[0] and rows[-1] == reference[-1] and rows[1] in reference[1:-1]


def test_chunks_prediction_mean_pools_window_logits(topic_model, tokenizer):
    chunked = with_params(topic_model, max_length=16, long_strategy="chunks", chunk_stride=4, max_chunks=50)
    texts = [long_text(70), "المباراة الفريق الهدف", long_text(30)]
    proba = chunked.predict_proba(texts)
    assert proba.shape == (3, len(topic_model.labels_))
    net = topic_model.model_
    with torch.inference_mode():
        for text, row in zip(texts, proba):
            windows = tokenizer(text, truncation=True, max_length=16, stride=4, return_overflowing_tokens=True,
                                padding=True, return_tensors="pt")
            logits = net(input_ids=windows["input_ids"], attention_mask=windows["attention_mask"],
                         token_type_ids=windows["token_type_ids"]).logits.numpy()
            np.testing.assert_allclose(row, softmax(logits.mean(axis=0, keepdims=True))[0], atol=1e-5)
    assert len(chunked.encode(texts[:1])) > 1  # the first article really had several windows


def test_special_token_layout_is_read_from_the_tokenizer():
    """A RoBERTa-like layout (<s> A </s></s> B </s>) is reproduced exactly, not assumed BERT-like."""
    from types import SimpleNamespace

    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit
    from tokenizers.processors import TemplateProcessing

    from khabar.models.transformer import _Template

    words = ["<unk>", "<s>", "</s>", "الحكومة", "المباراة", "البنك", "الهدف"]
    backend = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = WhitespaceSplit()
    backend.post_processor = TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B:1 </s>:1", special_tokens=[("<s>", 1), ("</s>", 2)]
    )
    tokenizer = SimpleNamespace(backend_tokenizer=backend, unk_token="<unk>")
    first, second = "الحكومة البنك", "المباراة الهدف البنك"
    expected = backend.encode(first, second)
    ids, types = _Template.of(tokenizer, pair=True).build(
        backend.encode(first, add_special_tokens=False).ids, backend.encode(second, add_special_tokens=False).ids
    )
    assert (ids, types) == (expected.ids, expected.type_ids)
    single = _Template.of(tokenizer, pair=False)
    assert single.build(backend.encode(second, add_special_tokens=False).ids)[0] == backend.encode(second).ids
    assert single.n_special == 2 and _Template.of(tokenizer, pair=True).n_special == 4


@pytest.mark.parametrize("strategy", ["head_tail", "chunks"])
def test_every_window_is_a_training_example(strategy, tiny_bert_dir):
    """The Trainer runs ceil(rows / batch) steps per epoch: chunks train on every window."""
    train = topic_examples(6, seed=9, split="train", min_words=40, max_words=80)
    model = make("topic", tiny_bert_dir, max_length=24, long_strategy=strategy, head_tokens=8, chunk_stride=4,
                 max_chunks=4, train={"epochs": 1, "batch_size": 4})
    model.fit(train)
    rows = len(model.encode(model.normalize_inputs([ex.text for ex in train])))
    steps = max(entry["step"] for entry in model.history_)
    assert steps == -(-rows // 4)
    assert (rows > len(train)) == (strategy == "chunks")
    proba = model.predict_proba([ex.text for ex in train[:5]])
    assert proba.shape == (5, 4)


# -- stance ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["head", "head_tail", "chunks"])
def test_stance_claim_is_never_truncated(strategy, tiny_bert_dir, tokenizer):
    max_length = 24
    model = loaded("stance", tiny_bert_dir, max_length=max_length, long_strategy=strategy, head_tokens=4,
                   chunk_stride=3, max_chunks=4)
    claim = "الحكومة تعلن خفض الضرائب على الشركات"
    article = long_text(90)
    claim_ids = tokenizer(claim, add_special_tokens=False)["input_ids"]
    enc = model.encode([(claim, article)])
    assert len(enc) == (1 if strategy != "chunks" else 4)
    for ids, types in zip(enc.input_ids, enc.token_type_ids):
        assert len(ids) <= max_length
        assert ids[0] == tokenizer.cls_token_id
        assert ids[1:1 + len(claim_ids)] == claim_ids
        assert ids[1 + len(claim_ids)] == tokenizer.sep_token_id
        assert types == [0] * (len(claim_ids) + 2) + [1] * (len(ids) - len(claim_ids) - 2)
    if strategy == "head":
        assert enc.input_ids == [tokenizer(claim, article, truncation="only_second", max_length=max_length)["input_ids"]]


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
    with pytest.raises(KhabarError):
        again.predict_proba(["a single text"])


# -- class weights ------------------------------------------------------------------------------------------
def test_class_weights_balance_a_skewed_label_set(tiny_bert_dir):
    model = make("topic", tiny_bert_dir)
    model.labels_ = ["common", "rare", "absent"]
    labels = np.array([0] * 30 + [1] * 6)
    weights = model.class_weights(labels)
    assert weights[1] > weights[0]
    assert weights[labels].sum() == pytest.approx(len(labels))  # every class carries the same total weight
    assert weights[0] * 30 == pytest.approx(weights[1] * 6)


def test_trainer_loss_is_cross_entropy_weighted_only_when_asked(tiny_bert_dir, tokenizer, tmp_path):
    from transformers import AutoModelForSequenceClassification, TrainingArguments

    trainer_cls, _ = _trainer_classes()
    net = AutoModelForSequenceClassification.from_pretrained(tiny_bert_dir, local_files_only=True).eval()
    with torch.no_grad():  # random weights give near-uniform logits, where weighting changes nothing
        net.classifier.bias.copy_(torch.tensor([2.0, -2.0]))
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    batch = dict(tokenizer(["الحكومة والبرلمان", "المباراة", "البنك الدولار"], padding=True, return_tensors="pt"))
    batch["labels"] = torch.tensor([0, 1, 1])
    weights = [1.0, 5.0]
    with torch.no_grad():
        weighted = trainer_cls(model=net, args=args, class_weights=weights).compute_loss(net, batch)
        unweighted = trainer_cls(model=net, args=args).compute_loss(net, batch)
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
    from khabar.models.scratch import build_scratch_bert

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


def test_fit_with_class_weights(tiny_bert_dir, capsys):
    train = topic_examples(10, seed=5, split="train")
    train = [ex for ex in train if ex.label != "Sports"] + [ex for ex in train if ex.label == "Sports"][:2]
    model = make("topic", tiny_bert_dir, class_weights=True, train={"epochs": 1})
    model.fit(train)
    assert any("loss" in entry for entry in model.history_)
    assert "class weights" in capsys.readouterr().err


# -- where the checkpoint comes from -------------------------------------------------------------------------------
def test_hub_name_not_cached_fails_at_once_without_network(topic_data, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    train, dev = topic_data
    model = make("topic", "khabar-tests/no-such-model-7f3a9c")
    start = time.monotonic()
    with pytest.raises(KhabarError) as err:
        model.fit(train, dev)
    assert time.monotonic() - start < 20
    message = str(err.value)
    assert "model.name_or_path" in message and "khabar-tests/no-such-model-7f3a9c" in message
    assert "directory" in message and "\n" not in message


def test_hub_offline_mode_names_the_fix(topic_data, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    train, dev = topic_data
    start = time.monotonic()
    with pytest.raises(KhabarError, match="HF_HUB_OFFLINE.*model.name_or_path to that directory"):
        make("topic", "aubmindlab/no-such-model-in-cache").fit(train, dev)
    assert time.monotonic() - start < 10


def test_missing_local_directory(topic_data):
    train, dev = topic_data
    with pytest.raises(KhabarError, match="no such directory"):
        make("topic", "./models/not-here").fit(train, dev)


# -- devices and settings ---------------------------------------------------------------------------------------
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_cuda_requested_without_a_gpu(topic_model):
    other = copy.copy(topic_model)
    with pytest.raises(KhabarError, match="--device cuda"):
        other.set_device("cuda")
    other.set_device("auto")
    assert next(other.model_.parameters()).device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_fp16_requested_without_a_gpu(tiny_bert_dir, topic_data):
    train, dev = topic_data
    with pytest.raises(KhabarError, match="mixed_precision"):
        make("topic", tiny_bert_dir, train={"mixed_precision": "fp16"}).fit(train, dev)


def test_param_checks():
    with pytest.raises(KhabarError, match="head_tokens"):
        check_params(TransformerParams(max_length=64, long_strategy="head_tail", head_tokens=64))
    with pytest.raises(KhabarError, match="chunk_stride"):
        check_params(TransformerParams(max_length=64, long_strategy="chunks", chunk_stride=40))
    with pytest.raises(KhabarError, match="heads"):
        check_params(TransformerParams(name_or_path="scratch", scratch=ScratchParams(hidden=64, heads=3)))
    with pytest.raises(KhabarError, match="max_position_embeddings"):
        check_params(TransformerParams(name_or_path="scratch", max_length=512, scratch=ScratchParams(max_position_embeddings=128)))
    check_params(TransformerParams())


@pytest.mark.parametrize("name", ["sample_topic_bert.yaml", "sanad_topic_arabert.yaml", "ans_stance_arabert.yaml"])
def test_transformer_configs_load(name):
    from khabar.config import load_config

    config = load_config(os.path.join(ROOT, "configs", name))
    assert config.model_kind == "transformer"
    check_params(config.model)
    if name.startswith("sample"):
        assert config.model.name_or_path == "scratch"
    else:
        assert config.model.name_or_path == "aubmindlab/bert-base-arabertv02"
        assert config.normalize.preset == "arabert"
        assert (config.train.learning_rate, config.train.epochs, config.train.batch_size) == (2e-5, 3, 16)


@pytest.mark.slow
def test_sample_topic_bert_config_trains_from_scratch(tmp_path):
    """The embedded sample, end to end through train.py (about a minute on 2 cores)."""
    from khabar.train import train_from_config

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = train_from_config("configs/sample_topic_bert.yaml", [f"output_dir={tmp_path}"])
    finally:
        os.chdir(cwd)
    # seven topics, 36 test articles: chance is about 0.14; a random-init BERT on ~160 articles
    # lands around 0.3-0.6 depending on seed and settings
    assert result.headline["test"]["accuracy"] > 0.25
    again = load_model(result.run_dir)
    assert isinstance(again, TransformerModel)
