"""Sample-like Arabic news and a tiny BERT built from it, for the transformer tests.

The session fixtures (topic_data, stance_data, tiny_bert_dir) are registered once by
tests/conftest.py; the helpers (make, loaded, with_params, long_text) are imported by the tests
under tests/models/transformer/. Everything is generated with a fixed seed: articles mix topic
words with common function words, so a 2-layer BERT with a WordPiece vocabulary trained on them
can learn the topics in a few seconds on a CPU.
"""

from __future__ import annotations

import copy
import dataclasses
import random

import pytest

from khabar.examples import Example

TOPIC_WORDS = {
    "Sports": "المباراة الفريق الهدف اللاعب الملعب البطولة المدرب الدوري الكأس الحارس الجمهور التعادل".split(),
    "Finance": "الاقتصاد البورصة الأسهم البنك الدولار الأسعار التضخم الاستثمار الميزانية الضرائب الشركات النفط".split(),
    "Politics": "الحكومة البرلمان الانتخابات الوزير الرئيس الحزب المعارضة القانون الدستور السفير المفاوضات الأمم".split(),
    "Medical": "المستشفى الطبيب المرضى العلاج الدواء اللقاح الفيروس الجراحة الصحة العيادة الأطباء السرطان".split(),
}
COMMON = "في من على إلى أن هذا التي الذي قال اليوم عام بعد قبل خلال وقد كما حيث بين مع عن".split()
STANCE_CUES = {
    "agree": "وأكد المصدر صحة الخبر رسميا".split(),
    "disagree": "ونفى المصدر الخبر جملة وتفصيلا".split(),
    "discuss": "ولم يتضح بعد إن كان الخبر صحيحا".split(),
}


def article(rng: random.Random, topic: str, n_words: int, topic_share: float = 0.5) -> str:
    words = [rng.choice(TOPIC_WORDS[topic]) if rng.random() < topic_share else rng.choice(COMMON) for _ in range(n_words)]
    return " ".join(words)


def topic_examples(n_per_label: int, seed: int, split: str, min_words: int = 15, max_words: int = 60) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for label in TOPIC_WORDS:
        for i in range(n_per_label):
            text = article(rng, label, rng.randint(min_words, max_words))
            out.append(Example(id=f"{split}-{label}-{i}", text=text, label=label, split=split))
    rng.shuffle(out)
    return out


def stance_examples(n_per_label: int, seed: int, split: str) -> list[Example]:
    """Claim = a short headline; article agrees, disagrees, discusses, or is about another topic."""
    rng = random.Random(seed)
    topics = list(TOPIC_WORDS)
    out = []
    for label in ("agree", "disagree", "discuss", "unrelated"):
        for i in range(n_per_label):
            topic = rng.choice(topics)
            claim = article(rng, topic, rng.randint(5, 9), topic_share=0.8)
            if label == "unrelated":
                other = rng.choice([t for t in topics if t != topic])
                body = article(rng, other, rng.randint(20, 50))
            else:
                body = " ".join([claim, *STANCE_CUES[label], article(rng, topic, rng.randint(15, 45))])
            out.append(Example(id=f"{split}-{label}-{i}", text=claim, text_pair=body, label=label, split=split))
    rng.shuffle(out)
    return out


@pytest.fixture(scope="session")
def topic_data():
    return topic_examples(24, seed=1, split="train"), topic_examples(6, seed=2, split="dev")


@pytest.fixture(scope="session")
def stance_data():
    return stance_examples(16, seed=3, split="train"), stance_examples(4, seed=4, split="dev")


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory, topic_data, stance_data):
    """2 layers, hidden 64, WordPiece vocabulary trained on the sample-like training texts."""
    from khabar.models.transformer.scratch import build_scratch_bert

    texts = [ex.text for ex in topic_data[0]]
    texts += [t for ex in stance_data[0] for t in (ex.text, ex.text_pair)]
    directory = str(tmp_path_factory.mktemp("tiny_bert"))
    return build_scratch_bert(
        texts, directory, layers=2, hidden=64, heads=2, intermediate=128, vocab_size=600,
        max_position_embeddings=256, seed=7,
    )


# -- building models on the tiny checkpoint ---------------------------------------------------------
def make(task: str, path: str, *, train: dict | None = None, **params):
    """A TransformerModel (through the registry, as a config would build it) with fast settings."""
    from khabar.models.registry import get_kind
    from khabar.models.transformer.params import TransformerParams, TransformerTrain
    from khabar.normalize import NormalizeConfig

    params.setdefault("max_length", 64)
    settings = dict(epochs=6, learning_rate=3e-3, batch_size=16, eval_batch_size=8, logging_steps=1,
                    early_stopping_patience=None, seed=11)
    settings.update(train or {})
    cls = get_kind("transformer").model_class()
    return cls(task, TransformerParams(name_or_path=path, **params), TransformerTrain(**settings), NormalizeConfig(preset="none"))


def loaded(task: str, path: str, **params):
    """An untrained model with the tiny checkpoint loaded, for tokenization-only checks."""
    model = make(task, path, **params)
    model.labels_ = ["a", "b"]
    model._load_pretrained(path, True)
    return model


def with_params(model, **changes):
    """The same trained network with other long-article settings (no retraining)."""
    other = copy.copy(model)
    other.params = dataclasses.replace(model.params, **changes)
    return other


def long_text(words: int = 120) -> str:
    vocab = TOPIC_WORDS["Finance"] + TOPIC_WORDS["Sports"]
    return " ".join(vocab[i % len(vocab)] for i in range(words))
