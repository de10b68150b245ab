"""`model.prior` for the transformer kind: a trained khabar transformer of another label set is the
starting point (its encoder and tokenizer; a new head for the new labels)."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_bert import make

from khabar.errors import KhabarError


def _encoder(model) -> np.ndarray:
    return model.model_.get_input_embeddings().weight.detach().cpu().numpy().copy()


@pytest.mark.slow
def test_a_transformer_starts_from_its_prior_with_a_new_head(tmp_path, tiny_bert_dir, topic_data):
    train, dev = topic_data
    two = lambda data, labels: [ex for ex in data if ex.label in labels]
    prior = make("topic", tiny_bert_dir, train={"epochs": 2}).fit(two(train, {"Sports", "Finance"}),
                                                                   two(dev, {"Sports", "Finance"}))
    prior.save(str(tmp_path / "prior"))
    # learning rate 0: whatever the new model holds after fitting is what it started from
    outlet = make("topic", "nowhere/unused", prior=str(tmp_path / "prior"), train={"epochs": 1, "learning_rate": 0.0})
    outlet.fit(two(train, {"Politics", "Medical"}), two(dev, {"Politics", "Medical"}))
    assert outlet.labels_ == ["Medical", "Politics"]
    assert np.allclose(_encoder(outlet), _encoder(prior))
    scratch = make("topic", tiny_bert_dir, train={"epochs": 1, "learning_rate": 0.0})
    scratch.fit(two(train, {"Politics", "Medical"}), two(dev, {"Politics", "Medical"}))
    assert not np.allclose(_encoder(scratch), _encoder(prior))  # the prior's training shows


def test_a_prior_of_another_kind_is_refused_with_one_line(tmp_path, tiny_bert_dir, topic_data):
    from outlet_corpus import prior_model

    tfidf_dir = prior_model(tmp_path / "tfidf")
    with pytest.raises(KhabarError, match="model.prior: .* is a tfidf model"):
        make("topic", tiny_bert_dir, prior=tfidf_dir).fit(topic_data[0], topic_data[1])
