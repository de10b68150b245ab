"""khabar.models.tfidf.word_char.WordCharTfidf: its within-word character n-grams are exactly
scikit-learn's `analyzer="char_wb"` on the same words, on real sample text.

The claim (see the module docstring): cutting each *distinct* word once and summing per document,
`char_counts(docs) = word_counts(docs) @ char_counts(distinct words)`, gives the counts of analysing
every occurrence; at prediction, words never seen in training are cut on the fly. The reference
here is scikit-learn run on every document, with the document's words (the `\\w+` tokens the
vectorizer reads) joined by spaces, which is what char_wb splits on.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import scipy.sparse as sp
from repo import SAMPLE
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

from khabar.models.tfidf.word_char import WORD, WordCharTfidf


@pytest.fixture(scope="module")
def docs():
    with open(SAMPLE / "topic.jsonl", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    assert len(texts) > 100
    return texts[::2], texts[1::2]  # training documents, and documents the vectorizer never saw


def words_of(texts):
    """What char_wb should see: each document's words, separated by single spaces."""
    return [" ".join(WORD.findall(text)) for text in texts]


def char_only(**kw) -> WordCharTfidf:
    return WordCharTfidf(word_ngrams=None, **kw)


def reference(ngrams, min_df=1, max_df=1.0, sublinear_tf=True) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=ngrams, lowercase=False, min_df=min_df, max_df=max_df,
                           sublinear_tf=sublinear_tf, dtype=np.float64)


def assert_same(ours, theirs):
    assert ours.shape == theirs.shape
    difference = abs(sp.csr_matrix(ours, dtype=np.float64) - sp.csr_matrix(theirs, dtype=np.float64))
    assert difference.max() <= 1e-5 if difference.nnz else True


def test_the_sample_has_words_char_wb_would_split_differently(docs):
    """Punctuation and diacritics sit inside whitespace-separated tokens of the sample: the
    comparison is on the same words, not on the raw text."""
    train, _ = docs
    assert any(" ".join(text.split()) != joined for text, joined in zip(train, words_of(train)))


@pytest.mark.parametrize("ngrams", [(2, 5), (3, 4), (1, 1)])
def test_raw_char_counts_equal_char_wb_counts(docs, ngrams):
    """The char block's counts before TF-IDF, on the training documents and on unseen ones."""
    train, unseen = docs
    model = char_only(char_ngrams=ngrams, min_df=1)
    model.fit(train)
    counter = CountVectorizer(analyzer="char_wb", ngram_range=ngrams, lowercase=False).fit(words_of(train))
    assert model.char_vectorizer_.get_feature_names_out().tolist() == counter.get_feature_names_out().tolist()
    for texts in (train, unseen):
        counts, extra = model._count_words(texts, model.word_index_)
        ours = counts @ model._grams_of(counts, extra)
        assert_same(ours, counter.transform(words_of(texts)))


@pytest.mark.parametrize("settings", [
    dict(char_ngrams=(2, 5), min_df=1),
    dict(char_ngrams=(3, 4), min_df=2),
    dict(char_ngrams=(2, 4), min_df=3, max_df=0.5, sublinear_tf=False),
])
def test_char_tfidf_equals_a_char_wb_tfidf_vectorizer(docs, settings):
    """The whole char block after TF-IDF (min_df / max_df / sublinear tf as scikit-learn applies
    them), for the training documents and for documents with words never seen in training."""
    train, unseen = docs
    model = char_only(**settings)
    ours_train = model.fit_transform(train)
    theirs = reference(settings["char_ngrams"], settings["min_df"], settings.get("max_df", 1.0),
                       settings.get("sublinear_tf", True)).fit(words_of(train))
    assert model.char_vectorizer_.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()
    assert_same(ours_train, theirs.transform(words_of(train)))
    assert_same(model.transform(train), ours_train)
    assert_same(model.transform(unseen), theirs.transform(words_of(unseen)))


def test_unseen_words_share_ngrams_with_known_ones(docs):
    train, _ = docs
    model = char_only(char_ngrams=(3, 4), min_df=1).fit(train)
    known = {w for text in train for w in WORD.findall(text)}
    new_word = "والانتخاباتيون"
    assert new_word not in known
    row = model.transform([new_word])
    assert row.nnz > 0  # cut on the fly into n-grams the vocabulary has


def test_word_block_matches_a_unigram_tfidf_and_blocks_are_normalized_apart(docs):
    train, unseen = docs
    model = WordCharTfidf(word_ngrams=(1, 1), char_ngrams=(3, 4), min_df=2)
    out = model.fit_transform(train)
    n_words = len(model.word_index_)
    words = TfidfVectorizer(token_pattern=WORD.pattern, lowercase=False, min_df=2, sublinear_tf=True).fit(train)
    order = [model.word_index_[w] for w in words.get_feature_names_out()]
    assert sorted(order) == list(range(n_words))
    assert_same(out[:, order], words.transform(train))
    assert_same(model.transform(unseen)[:, order], words.transform(unseen))
    norms = [sp.linalg.norm(block, axis=1) for block in (out[:, :n_words], out[:, n_words:])]
    assert all(np.allclose(n[n > 0], 1.0, atol=1e-5) for n in norms)


def test_word_bigrams_come_from_count_vectorizer(docs):
    train, unseen = docs
    model = WordCharTfidf(word_ngrams=(1, 2), char_ngrams=None, min_df=2)
    out = model.fit_transform(train)
    counts = sp.hstack([model._count_words(train, model.word_index_)[0][:, :len(model.word_index_)],
                        CountVectorizer(token_pattern=WORD.pattern, lowercase=False, ngram_range=(2, 2),
                                        min_df=2).fit_transform(train)]).tocsr()
    assert_same(out, TfidfTransformer(sublinear_tf=True).fit_transform(counts))
    assert model.transform(unseen).shape == (len(unseen), out.shape[1])


def test_max_features_keeps_the_most_frequent_columns(docs):
    """The 50 n-grams of highest total count, as scikit-learn's max_features (which breaks ties
    between equal counts in no documented order: only the tie at the cut may differ)."""
    train, _ = docs
    capped = char_only(char_ngrams=(2, 3), min_df=1, max_features=50).fit(train)
    kept = set(capped.char_vectorizer_.vocabulary_)
    counter = CountVectorizer(analyzer="char_wb", ngram_range=(2, 3), lowercase=False).fit(words_of(train))
    totals = dict(zip(counter.get_feature_names_out(), np.asarray(counter.transform(words_of(train)).sum(axis=0)).ravel()))
    cut = min(totals[g] for g in kept)
    assert len(kept) == 50
    assert {g for g, n in totals.items() if n > cut} <= kept <= {g for g, n in totals.items() if n >= cut}
    theirs = set(CountVectorizer(analyzer="char_wb", ngram_range=(2, 3), lowercase=False, max_features=50)
                 .fit(words_of(train)).vocabulary_)
    assert {g for g in kept ^ theirs if totals[g] != cut} == set()


@pytest.mark.parametrize("kw", [dict(word_ngrams=(1, 1), char_ngrams=(3, 4), min_df=2),
                                dict(word_ngrams=(1, 2), char_ngrams=(2, 3), max_features=300),
                                dict(word_ngrams=None, char_ngrams=(2, 4), min_df=2, max_df=0.5)])
def test_tfidf_built_in_row_blocks_is_the_tfidf_built_at_once(docs, monkeypatch, kw):
    """Memory: the TF-IDF is built ROWS documents at a time and stacked in place; the blocks must
    not change a single value (blocks of 7 rows against one block of everything)."""
    import khabar.models.tfidf.word_char as word_char

    train, unseen = docs
    whole = WordCharTfidf(**kw)
    x_whole, t_whole = whole.fit_transform(train), whole.transform(unseen)
    monkeypatch.setattr(word_char, "ROWS", 7)
    blocks = WordCharTfidf(**kw)
    x_blocks, t_blocks = blocks.fit_transform(train), blocks.transform(unseen)
    for a, b in ((x_whole, x_blocks), (t_whole, t_blocks)):
        assert a.shape == b.shape and a.dtype == b.dtype == np.float32
        assert (a != b).nnz == 0


def test_a_model_saved_without_its_known_grams_cuts_them_once_the_same(docs):
    train, unseen = docs
    model = WordCharTfidf(word_ngrams=(1, 1), char_ngrams=(3, 4), min_df=2).fit(train)
    expected = model.transform(unseen)
    del model.known_grams_
    assert (model.transform(unseen) != expected).nnz == 0 and model.known_grams_.shape[0] == len(model.word_index_)


def test_stack_rows_is_vstack_and_frees_its_blocks():
    from khabar.models.tfidf.word_char import stack_rows

    rng = np.random.default_rng(0)
    parts = [sp.random(n, 9, density=0.3, format="csr", dtype=np.float32, random_state=rng) for n in (3, 0, 5, 1)]
    expected = sp.vstack(parts, format="csr")
    stacked = stack_rows(parts, 9)
    assert parts == []  # every block handed back as it was copied
    assert stacked.shape == expected.shape and (stacked != expected).nnz == 0


@settings(max_examples=60)
@given(st.lists(st.text(alphabet="كتبالمدرسة0123456789_ab", min_size=1, max_size=9), min_size=1, max_size=30))
def test_cutting_new_words_is_the_char_vectorizer_on_each_word(fitted_char_model, words):
    expected = fitted_char_model.char_vectorizer_.transform(words).tocsr()
    cut = fitted_char_model._cut(words)
    assert cut.shape == expected.shape and cut.dtype == expected.dtype and (cut != expected).nnz == 0


@pytest.fixture(scope="module")
def fitted_char_model(docs):
    return WordCharTfidf(word_ngrams=(1, 1), char_ngrams=(3, 4), min_df=1).fit(
        docs[0] + ["كتب كتاب مكتبة المدرسة مدرسة 2024 ab_ab abab"])
