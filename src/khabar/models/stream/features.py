"""Stateless word n-gram features: hashed counts, then TF-IDF with document frequencies counted in
one pass.

Why hashing: a vocabulary grows with the corpus (and its dict costs about 100 bytes a word);
scikit-learn's `HashingVectorizer` maps each n-gram to one of `n_features` columns with no state,
so chunks can be featurized independently and in any order. The IDF needs document frequencies,
an array of `n_features` counts added up chunk by chunk (`add_counts`), or worker by worker
(`frequencies` there, `add_frequencies` here: integer sums, so the order does not matter), then
fixed (`finish`).
TF-IDF is computed as scikit-learn's `TfidfTransformer` does (smooth idf, optional sublinear tf,
rows scaled to unit length), in float32.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize


class HashedTfidf:
    def __init__(self, word_ngrams=(1, 2), n_features=2 ** 21, sublinear_tf=True):
        self.word_ngrams = tuple(word_ngrams)
        self.n_features = int(n_features)
        self.sublinear_tf = sublinear_tf
        self.hasher = HashingVectorizer(token_pattern=r"(?u)\w+", lowercase=False, ngram_range=self.word_ngrams,
                                        n_features=self.n_features, alternate_sign=False, norm=None,
                                        dtype=np.float32)
        self.df_ = np.zeros(self.n_features, dtype=np.int64)
        self.n_docs_ = 0
        self.idf_ = None

    def counts(self, docs):
        """Hashed n-gram counts (rows x n_features, float32 CSR)."""
        return self.hasher.transform(docs)

    def add_counts(self, counts) -> None:
        """Add one chunk's document frequencies (before `finish`)."""
        self.df_ += np.bincount(counts.indices, minlength=self.n_features)
        self.n_docs_ += counts.shape[0]

    def frequencies(self) -> tuple[np.ndarray, np.ndarray]:
        """The document frequencies counted so far, sparse: (columns, counts) where non-zero."""
        columns = np.flatnonzero(self.df_)
        return columns.astype(np.int32), self.df_[columns]

    def add_frequencies(self, columns: np.ndarray, counts: np.ndarray, n_docs: int) -> None:
        """Add document frequencies counted elsewhere (another worker's `frequencies()`)."""
        self.df_[columns] += counts  # columns are unique: a plain indexed add
        self.n_docs_ += int(n_docs)

    def finish(self) -> "HashedTfidf":
        self.idf_ = (np.log((1 + self.n_docs_) / (1 + self.df_)) + 1).astype(np.float32)
        self.df_ = None  # not needed any more, not saved
        return self

    def tfidf(self, counts):
        """TF-IDF rows of unit length from hashed counts (changes `counts` in place)."""
        if self.sublinear_tf:
            np.log(counts.data, out=counts.data)
            counts.data += 1
        counts.data *= self.idf_[counts.indices]
        return normalize(counts, copy=False)

    def transform(self, docs):
        return self.tfidf(self.counts(docs))
