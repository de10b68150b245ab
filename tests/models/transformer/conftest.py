"""Fixtures of the transformer tests: the tiny BERT's tokenizer and models fine-tuned on it once.

The tiny checkpoint itself (tiny_bert_dir) and its data are session fixtures of tests/conftest.py;
the helpers that build models on it are in tests/tiny_bert.py.
"""

from __future__ import annotations

import pytest
from tiny_bert import make


EPOCHS = 6


@pytest.fixture(scope="session")
def topic_model(tiny_bert_dir, topic_data):
    train, dev = topic_data
    return make("topic", tiny_bert_dir, train={"epochs": EPOCHS}).fit(train, dev)


@pytest.fixture(scope="session")
def stance_model(tiny_bert_dir, stance_data):
    train, dev = stance_data
    return make("stance", tiny_bert_dir, max_length=48, long_strategy="head_tail", head_tokens=16,
                train={"epochs": 1}).fit(train, dev)


@pytest.fixture(scope="session")
def tokenizer(tiny_bert_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_bert_dir, local_files_only=True)
