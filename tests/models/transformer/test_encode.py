"""khabar.models.transformer.encode: inputs cut by the long-article strategy, checked against the
Hugging Face tokenizer's own truncation and overflow windows; the claim of a stance pair is never cut."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_bert import loaded, long_text, with_params

from khabar.models.transformer.encode import Template, pool_by_owner


def test_head_matches_the_tokenizers_own_truncation(tiny_bert_dir, tokenizer):
    model = loaded("topic", tiny_bert_dir, max_length=24, long_strategy="head")
    texts = [long_text(80), "الحكومة والبرلمان"]
    enc = model.encode(texts)
    assert list(enc.owner) == [0, 1]
    assert enc.input_ids == tokenizer(texts, truncation=True, max_length=24)["input_ids"]
    assert enc.token_type_ids == tokenizer(texts, truncation=True, max_length=24)["token_type_ids"]


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
    from scipy.special import softmax

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
            np.testing.assert_allclose(row, softmax(logits.mean(axis=0, keepdims=True), axis=1)[0], atol=1e-5)
    assert len(chunked.encode(texts[:1])) > 1  # the first article really had several windows


def test_pool_by_owner_averages_each_articles_rows():
    values = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]])
    pooled = pool_by_owner(values, np.array([0, 0, 2]), 3)
    assert pooled.tolist() == [[2.0, 1.0], [0.0, 0.0], [5.0, 5.0]]  # an owner without rows stays zero


def test_special_token_layout_is_read_from_the_tokenizer():
    """A RoBERTa-like layout (<s> A </s></s> B </s>) is reproduced exactly, not assumed BERT-like."""
    from types import SimpleNamespace

    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit
    from tokenizers.processors import TemplateProcessing

    words = ["<unk>", "<s>", "</s>", "الحكومة", "المباراة", "البنك", "الهدف"]
    backend = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = WhitespaceSplit()
    backend.post_processor = TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B:1 </s>:1", special_tokens=[("<s>", 1), ("</s>", 2)]
    )
    tokenizer = SimpleNamespace(backend_tokenizer=backend, unk_token="<unk>")
    first, second = "الحكومة البنك", "المباراة الهدف البنك"
    expected = backend.encode(first, second)
    ids, types = Template.of(tokenizer, pair=True).build(
        backend.encode(first, add_special_tokens=False).ids, backend.encode(second, add_special_tokens=False).ids
    )
    assert (ids, types) == (expected.ids, expected.type_ids)
    single = Template.of(tokenizer, pair=False)
    assert single.build(backend.encode(second, add_special_tokens=False).ids)[0] == backend.encode(second).ids
    assert single.n_special == 2 and Template.of(tokenizer, pair=True).n_special == 4


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


def test_a_claim_longer_than_the_input_is_cut_to_half_and_said_so(tiny_bert_dir, tokenizer, capsys):
    model = loaded("stance", tiny_bert_dir, max_length=16)
    (row,) = model.encode([(long_text(40), long_text(40))]).input_ids
    assert len(row) <= 16
    assert "a claim too long for max_length 16 was cut" in capsys.readouterr().err
