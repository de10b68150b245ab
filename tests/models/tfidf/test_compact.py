"""khabar.models.tfidf.compact: fitted vectorizers saved as one string of terms, rebuilt
identically (their transform output is the same) through pickle and through skops."""

from __future__ import annotations

import json
import pickle

import pytest
import scipy.sparse as sp
from repo import SAMPLE
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from khabar.models.tfidf import TRUSTED_TYPES
from khabar.models.tfidf.compact import PACKED, pack_vectorizer, unpack_vectorizer
from khabar.models.tfidf.pair_features import PairFeatures
from khabar.models.tfidf.word_char import WordCharTfidf


@pytest.fixture(scope="module")
def texts():
    with open(SAMPLE / "topic.jsonl", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


@pytest.fixture(scope="module")
def pairs():
    with open(SAMPLE / "stance.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    return [(r["claim"], r["text"]) for r in records]


def same(a, b) -> bool:
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    return a.shape == b.shape and (a != b).nnz == 0


@pytest.mark.parametrize("vectorizer", [
    CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False),
    CountVectorizer(token_pattern=r"(?u)\w+", ngram_range=(1, 2), min_df=2),
    TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), max_features=500),
    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), use_idf=True, norm="l1"),
], ids=["count-char_wb", "count-words", "tfidf-words", "tfidf-char_wb"])
def test_pack_unpack_gives_a_vectorizer_with_identical_output(texts, vectorizer):
    fitted = vectorizer.fit(texts[:150])
    packed = pack_vectorizer(fitted)
    assert isinstance(packed["terms"], str) and "vocabulary" not in packed["params"]
    rebuilt = unpack_vectorizer(packed)
    assert type(rebuilt) is type(fitted)
    assert rebuilt.get_feature_names_out().tolist() == fitted.get_feature_names_out().tolist()
    for part in (texts[:150], texts[150:]):
        assert same(rebuilt.transform(part), fitted.transform(part))


def test_a_term_with_a_newline_is_left_unpacked():
    fitted = CountVectorizer(analyzer=lambda doc: doc.split("|")).fit(["a\nb|c", "d"])
    assert pack_vectorizer(fitted) is None


@pytest.fixture(scope="module")
def fitted_transformers(texts, pairs):
    return {
        "word_char": (WordCharTfidf(word_ngrams=(1, 2), char_ngrams=(2, 4), min_df=2).fit(texts[:150]), texts[150:]),
        "pair_features": (PairFeatures(ngram_range=(1, 2)).fit(pairs[:120]), pairs[120:]),
    }


@pytest.mark.parametrize("name", ["word_char", "pair_features"])
def test_pickle_round_trip_keeps_transform_output(fitted_transformers, name):
    transformer, unseen = fitted_transformers[name]
    state = transformer.__getstate__()
    packed = [key for key, value in state.items() if isinstance(value, dict) and PACKED in value]
    assert packed, "no fitted vectorizer was packed"
    again = pickle.loads(pickle.dumps(transformer))
    assert same(again.transform(unseen), transformer.transform(unseen))


@pytest.mark.parametrize("name", ["word_char", "pair_features"])
def test_skops_round_trip_keeps_transform_output(fitted_transformers, name):
    import skops.io as sio

    transformer, unseen = fitted_transformers[name]
    data = sio.dumps(transformer)
    assert not [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]
    again = sio.loads(data, trusted=list(TRUSTED_TYPES))
    assert same(again.transform(unseen), transformer.transform(unseen))
    twice = sio.loads(sio.dumps(again), trusted=list(TRUSTED_TYPES))  # saved again after loading
    assert same(twice.transform(unseen), transformer.transform(unseen))


def test_the_word_index_is_saved_as_one_string(fitted_transformers):
    transformer, _ = fitted_transformers["word_char"]
    state = transformer.__getstate__()
    assert isinstance(state["word_index_"], str) and "_words" not in state
    assert state["word_index_"].split("\n") == [w for w, _ in sorted(transformer.word_index_.items(), key=lambda kv: kv[1])]
    assert isinstance(transformer.word_index_, dict)  # the live object keeps its dict
    no_word_kept = WordCharTfidf(word_ngrams=None, char_ngrams=(2, 3), min_df=2).fit(["كتب", "كتاب"])
    again = pickle.loads(pickle.dumps(no_word_kept))  # no word passes min_df: an empty index
    assert again.word_index_ == {} and same(again.transform(["مكتب"]), no_word_kept.transform(["مكتب"]))
