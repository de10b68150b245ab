"""khabar.models.transformer.scratch: a small random BERT with a WordPiece vocabulary learned on
the training texts, the same on every run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
from tiny_bert import make, topic_examples
from transformers import AutoConfig, AutoTokenizer

from khabar.models.transformer.params import ScratchParams
from khabar.models.transformer.scratch import build_scratch_bert


def test_scratch_checkpoint_is_a_loadable_bert_with_a_vocabulary_of_the_training_words(tiny_bert_dir, tokenizer):
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
    texts = ["قطار سريع يصل المدينة"] * 5
    build_scratch_bert(texts, str(tmp_path), vocab_size=200, max_position_embeddings=32)
    tok = AutoTokenizer.from_pretrained(str(tmp_path), local_files_only=True)
    assert tok.tokenize("قطار") == ["قطار"]
    assert "البورصة" not in tok.get_vocab()  # a word never seen is not a vocabulary entry


def test_wordpiece_vocabulary_is_the_same_on_every_run(tmp_path):
    """Separate processes with different hash seeds (set and iteration orders differ) train the
    same vocabulary on the same texts."""
    corpus = tmp_path / "texts.json"
    texts = [ex.text for ex in topic_examples(8, seed=12, split="train")] + ["كتب الكاتب كتابا مكتوبا", "مكتبة ومكتب"]
    corpus.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    script = (
        "import json, sys; from khabar.models.transformer.scratch import train_wordpiece; "
        "texts = json.load(open(sys.argv[1], encoding='utf-8')); "
        "print(json.dumps(sorted(train_wordpiece(texts, vocab_size=150, min_frequency=1).get_vocab().items())))"
    )
    runs = [subprocess.run([sys.executable, "-c", script, str(corpus)], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1]
    assert len(json.loads(runs[0])) == 150


def test_fit_from_scratch_is_reproducible(topic_data):
    train, dev = topic_data
    texts = [ex.text for ex in dev]
    small = ScratchParams(layers=1, hidden=32, heads=2, intermediate=64, vocab_size=200, max_position_embeddings=32)
    runs = [make("topic", "scratch", max_length=32, scratch=small, train={"epochs": 2})
            .fit(train[:32], dev).predict_proba(texts) for _ in range(2)]
    assert np.array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[0][:1])  # the predictions differ between articles: it learned something
