"""Word and within-word character n-gram TF-IDF from one tokenization pass.

Why by hand: scikit-learn's `TfidfVectorizer(analyzer="char_wb")` cuts every word of every
document into n-grams in Python; on SANAD (36k articles, 55M characters) that takes over four
minutes, while the word vectorizer takes ten seconds. But within-word n-grams depend on the word
only, so they can be computed once per *distinct* word (a few hundred thousand) and summed per
document with one sparse product:

    char_counts(docs) = word_counts(docs) @ char_counts(distinct words)

which gives the same counts as analysing every occurrence. Words first seen at prediction time
are cut on the fly, so unseen inflections still share n-grams with known ones (that is what the
character features are for). Both blocks then go through scikit-learn's `TfidfTransformer`.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from .compact import CompactState

WORD = re.compile(r"(?u)\w+")


class WordCharTfidf(CompactState, TransformerMixin, BaseEstimator):
    """Texts -> [word n-gram TF-IDF | within-word char n-gram TF-IDF], sparse, float32.

    word_ngrams / char_ngrams: (min, max) or None to switch a block off. Word n-grams longer than
    one word are counted by scikit-learn's CountVectorizer (slower, but exact).
    """

    def __init__(self, word_ngrams=(1, 1), char_ngrams=(2, 5), min_df=2, max_df=1.0, sublinear_tf=True,
                 max_features=None):
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.max_features = max_features

    # -- counting ----------------------------------------------------------------------------------
    @staticmethod
    def _count_words(docs, index: dict):
        """Word counts per document; words outside `index` get columns after it, listed in `extra`."""
        local, extra = dict(index), []
        indptr, indices, values = [0], [], []
        for doc in docs:
            for word, count in Counter(WORD.findall(doc)).items():
                j = local.get(word)
                if j is None:
                    j = local[word] = len(local)
                    extra.append(word)
                indices.append(j)
                values.append(count)
            indptr.append(len(indices))
        matrix = sp.csr_matrix((np.asarray(values, dtype=np.float32), indices, indptr), shape=(len(docs), len(local)))
        return matrix, extra

    def _keep(self, counts, n_docs):
        """Columns that pass min_df / max_df / max_features, like scikit-learn's vectorizers."""
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        columns = np.flatnonzero((df >= self.min_df) & (df <= self.max_df * n_docs))
        if self.max_features is not None and len(columns) > self.max_features:
            totals = np.asarray(counts[:, columns].sum(axis=0)).ravel()
            columns = np.sort(columns[np.argsort(-totals, kind="stable")[: self.max_features]])
        return columns

    def _char_counts(self, counts, word_of, vectorizer):
        """Within-word n-gram counts: only the words these documents use are cut into n-grams."""
        used = np.unique(counts.indices)
        grams = vectorizer.transform([word_of(j) for j in used])
        return (counts[:, used] @ grams).tocsr()

    def _long_ngrams(self):
        low = max(2, self.word_ngrams[0])
        return CountVectorizer(token_pattern=WORD.pattern, lowercase=False, ngram_range=(low, self.word_ngrams[1]),
                               min_df=self.min_df, max_df=self.max_df, max_features=self.max_features, dtype=np.float32)

    # -- fit / transform ------------------------------------------------------------------------------
    def fit(self, docs, y=None):
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs, y=None):
        docs = list(docs)
        counts, words = self._count_words(docs, {})
        blocks = []
        kept_words = self._keep(counts, len(docs))
        # only words that pass min_df keep a column; the others still give character n-grams
        self.word_index_ = {words[j]: i for i, j in enumerate(kept_words)}
        self._words = [words[j] for j in kept_words]
        if self.word_ngrams:
            block = counts[:, kept_words] if self.word_ngrams[0] == 1 else None
            if self.word_ngrams[1] > 1:
                self.long_ngrams_ = self._long_ngrams()
                long_block = self.long_ngrams_.fit_transform(docs)
                block = long_block if block is None else sp.hstack([block, long_block]).tocsr()
            self.word_tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf)
            blocks.append(self.word_tfidf_.fit_transform(block))
        if self.char_ngrams:
            full = CountVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_ngrams), lowercase=False,
                                   dtype=np.float32)
            chars = (counts @ full.fit_transform(words)).tocsr()  # every word is used at fit time
            kept = self._keep(chars, len(docs))
            names = full.get_feature_names_out()
            self.char_vectorizer_ = CountVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_ngrams),
                                                    lowercase=False, dtype=np.float32, vocabulary=list(names[kept]))
            self.char_vectorizer_.fit(["_"])
            self.char_tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf)
            blocks.append(self.char_tfidf_.fit_transform(chars[:, kept]))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def transform(self, docs):
        docs = list(docs)
        counts, extra = self._count_words(docs, self.word_index_)
        blocks = []
        if self.word_ngrams:
            block = counts[:, : len(self.word_index_)] if self.word_ngrams[0] == 1 else None
            if self.word_ngrams[1] > 1:
                long_block = self.long_ngrams_.transform(docs)
                block = long_block if block is None else sp.hstack([block, long_block]).tocsr()
            blocks.append(self.word_tfidf_.transform(block))
        if self.char_ngrams:
            words = self._known_words()
            known = len(words)
            chars = self._char_counts(counts, lambda j: words[j] if j < known else extra[j - known], self.char_vectorizer_)
            blocks.append(self.char_tfidf_.transform(chars))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def __getstate__(self):
        state = dict(super().__getstate__())  # object.__getstate__ may return __dict__ itself
        state.pop("_words", None)
        if "word_index_" in state:  # one string, not a dict node per word (see compact.py)
            state["word_index_"] = "\n".join(self._known_words())
        return state

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("word_index_"), str):
            words = state["word_index_"].split("\n") if state["word_index_"] else []
            state["word_index_"] = {w: i for i, w in enumerate(words)}
        super().__setstate__(state)

    def _known_words(self):
        """Column -> word, rebuilt once after loading (not saved: the index already holds it)."""
        words = getattr(self, "_words", None)
        if words is None or len(words) != len(self.word_index_):
            words = [None] * len(self.word_index_)
            for word, j in self.word_index_.items():
                words[j] = word
            self._words = words
        return words
