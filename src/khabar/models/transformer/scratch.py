"""A small BERT built from nothing, for machines without any pretrained checkpoint.

`build_scratch_bert(texts, directory, ...)` trains a WordPiece vocabulary on `texts` with the
`tokenizers` library, builds a randomly initialised `BertForSequenceClassification` of the
requested size and writes both with `save_pretrained` (safetensors). The directory then works as
`model.name_or_path` like any downloaded checkpoint. `model.name_or_path: scratch` does this
inside `fit`, on the normalized training texts only, with the sizes from `model.scratch`.

Random weights know no Arabic: the fine-tuning is the whole training. Good enough for the embedded
sample, smoke tests and throughput measurements; use a pretrained checkpoint for real accuracy.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional, Sequence

from ...errors import KhabarError
from ...log import quiet_libraries

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_wordpiece(texts: Iterable[str], vocab_size: int = 4000, min_frequency: int = 2):
    """A WordPiece vocabulary trained on `texts`: a `transformers.BertTokenizer` (fast backend).

    Trained with the `tokenizers` library (`WordPieceTrainer`, BERT's normalizer and
    pre-tokenizer). No lower-casing and no accent stripping: accent stripping decomposes Arabic
    letters (أ -> ا + hamza mark) and would undo the normalization chosen in the config.

    Deterministic: `WordPieceTrainer` numbers the continuation pieces ("##x") in hash-map order,
    and ties between equally frequent merges are broken by those numbers, so the same texts gave
    a different vocabulary on every run (huggingface/tokenizers#1794). Declaring every "##x" up
    front, in sorted order, fixes their numbers and with them the whole training.
    """
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordPiece
    from tokenizers.trainers import WordPieceTrainer
    from transformers import BertTokenizer

    texts = [t for t in texts if t]
    chars: set[str] = set()
    for text in texts:
        chars.update(text)
    pieces = ["##" + c for c in sorted(chars) if c.isprintable() and not c.isspace()]
    backend = Tokenizer(WordPiece(unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False
    )
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = WordPieceTrainer(
        vocab_size=max(vocab_size, len(SPECIAL_TOKENS) + len(pieces) + 1), min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS + pieces, show_progress=False,
    )
    backend.train_from_iterator(texts, trainer)
    vocab = backend.get_vocab(with_added_tokens=False)
    # Wrap the vocabulary in transformers' BertTokenizer, where only [PAD] [UNK] [CLS] [SEP] [MASK]
    # are special (not PreTrainedTokenizerFast(tokenizer_object=...): in transformers 5 that drops
    # the [CLS]/[SEP] template and token_type_ids).
    return BertTokenizer(vocab=vocab, do_lower_case=False, strip_accents=False, tokenize_chinese_chars=False)


def build_scratch_bert(
    texts: Sequence[str],
    directory: str,
    *,
    layers: int = 2,
    hidden: int = 64,
    heads: int = 2,
    intermediate: int = 128,
    vocab_size: int = 4000,
    max_position_embeddings: int = 512,
    min_frequency: int = 2,
    dropout: float = 0.1,
    labels: Optional[Sequence[str]] = None,
    seed: int = 13,
) -> str:
    """Train a vocabulary on `texts`, save it and a random BERT classifier in `directory`.

    Returns `directory`. `labels` (optional) sets num_labels, label2id and id2label.
    """
    if hidden % heads:
        raise KhabarError(f"model.scratch: hidden ({hidden}) must be a multiple of heads ({heads})")
    texts = [t for t in texts if t and t.strip()]
    if not texts:
        raise KhabarError("model.name_or_path: scratch needs training texts to learn a vocabulary; the training set is empty")
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    tokenizer = train_wordpiece(texts, vocab_size=vocab_size, min_frequency=min_frequency)
    tokenizer.model_max_length = max_position_embeddings
    labels = list(labels) if labels else ["LABEL_0", "LABEL_1"]
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=max_position_embeddings,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
        pad_token_id=tokenizer.pad_token_id,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)},
    )
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        model = BertForSequenceClassification(config)
    os.makedirs(directory, exist_ok=True)
    with quiet_libraries():
        model.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
    return directory
