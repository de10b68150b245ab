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
from array import array
from collections import Counter
from itertools import repeat

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from .compact import CompactState

WORD = re.compile(r"(?u)\w+")
#: documents turned into TF-IDF at a time (bounds the intermediate char n-gram counts)
ROWS = 8192


def stack_rows(parts: list, width: int):
    """One float32 CSR matrix from row blocks, copied into place block by block; each block is
    freed once copied (`parts` is emptied), so the peak is the result plus one block, not two
    copies of everything as with `scipy.sparse.vstack`."""
    nnz = sum(p.nnz for p in parts)
    index = np.int32 if nnz < np.iinfo(np.int32).max else np.int64
    data, indices = np.empty(nnz, dtype=np.float32), np.empty(nnz, dtype=index)
    indptr = [np.zeros(1, dtype=index)]
    at = rows = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        data[at:at + part.nnz] = part.data
        indices[at:at + part.nnz] = part.indices
        indptr.append(part.indptr[1:].astype(index) + at)
        at += part.nnz
        rows += part.shape[0]
        del part
    return sp.csr_matrix((data, indices, np.concatenate(indptr)), shape=(rows, width))


def _fitted_tfidf(df, n_docs: int, sublinear_tf: bool) -> TfidfTransformer:
    """A TfidfTransformer fitted from document frequencies (not from a count matrix), with the
    idf computed exactly as its own `fit` does on float32 counts."""
    tfidf = TfidfTransformer(sublinear_tf=sublinear_tf)
    df = df.astype(np.float32) + 1.0
    idf = np.full_like(df, fill_value=n_docs + 1, dtype=np.float32)
    idf /= df
    np.log(idf, out=idf)
    tfidf.idf_ = idf + 1.0
    tfidf.n_features_in_ = len(idf)
    return tfidf


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
        """Word counts per document; words outside `index` get columns after it, listed in `extra`.
        The columns and counts go to compact arrays (4 bytes each), not Python lists of ints."""
        new: dict = {}
        base = len(index)
        indptr, indices, values = array("q", [0]), array("i"), array("i")
        get = index.get
        for doc in docs:
            counted = Counter(WORD.findall(doc))
            columns = list(map(get, counted, repeat(-1))) if base else [-1] * len(counted)
            if -1 in columns:
                for k, word in enumerate(counted):
                    if columns[k] < 0:
                        columns[k] = new.setdefault(word, base + len(new))
            indices.extend(columns)
            values.extend(counted.values())
            indptr.append(len(indices))
        matrix = sp.csr_matrix((np.frombuffer(values, dtype=np.int32).astype(np.float32),
                                np.frombuffer(indices, dtype=np.int32), np.frombuffer(indptr, dtype=np.int64)),
                               shape=(len(docs), base + len(new)))
        return matrix, list(new)

    def _keep(self, counts, n_docs):
        """Columns of `counts` that pass min_df / max_df / max_features, like scikit-learn's vectorizers."""
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        totals = np.asarray(counts.sum(axis=0)).ravel() if self.max_features is not None else None
        return self._keep_columns(df, totals, n_docs)

    def _keep_columns(self, df, totals, n_docs):
        columns = np.flatnonzero((df >= self.min_df) & (df <= self.max_df * n_docs))
        if self.max_features is not None and len(columns) > self.max_features:
            columns = np.sort(columns[np.argsort(-totals[columns], kind="stable")[: self.max_features]])
        return columns

    def _long_ngrams(self):
        low = max(2, self.word_ngrams[0])
        return CountVectorizer(token_pattern=WORD.pattern, lowercase=False, ngram_range=(low, self.word_ngrams[1]),
                               min_df=self.min_df, max_df=self.max_df, max_features=self.max_features, dtype=np.float32)

    # -- fit / transform ------------------------------------------------------------------------------
    def fit(self, docs, y=None):
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs, y=None):
        docs = docs if isinstance(docs, list) else list(docs)
        counts, words = self._count_words(docs, {})
        kept_words = self._keep(counts, len(docs))
        # only words that pass min_df keep a column; the others still give character n-grams
        self.word_index_ = {words[j]: i for i, j in enumerate(kept_words)}
        self._words = [words[j] for j in kept_words]
        word_block = grams = None
        if self.word_ngrams:
            word_block = self._word_block(counts[:, kept_words] if self.word_ngrams[0] == 1 else None, docs, fit=True)
            self.word_tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(word_block)
        if self.char_ngrams:
            full = CountVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_ngrams), lowercase=False,
                                   dtype=np.float32)
            grams = full.fit_transform(words).tocsr()  # every word is used at fit time
            df, totals = self._char_frequencies(counts, grams)
            kept = self._keep_columns(df, totals, len(docs))
            names = full.get_feature_names_out()
            del full
            self.char_vectorizer_ = CountVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_ngrams),
                                                    lowercase=False, dtype=np.float32, vocabulary=list(names[kept]))
            self.char_vectorizer_.fit(["_"])
            self.char_tfidf_ = _fitted_tfidf(df[kept], len(docs), self.sublinear_tf)
            grams = grams[:, kept].tocsr()
            # what prediction would cut again on every call: each known word's n-grams
            self.known_grams_ = grams[kept_words]
        return self._tfidf_rows(counts, word_block, grams)

    def transform(self, docs):
        docs = docs if isinstance(docs, list) else list(docs)
        counts, extra = self._count_words(docs, self.word_index_)
        word_block = grams = None
        if self.word_ngrams:
            word_block = self._word_block(counts[:, : len(self.word_index_)] if self.word_ngrams[0] == 1 else None, docs)
        if self.char_ngrams:
            grams = self._grams_of(counts, extra)
        return self._tfidf_rows(counts, word_block, grams)

    def _word_block(self, unigrams, docs, fit=False):
        """Word n-gram counts: the unigram columns, then the longer n-grams (scikit-learn's)."""
        if self.word_ngrams[1] == 1:
            return unigrams
        if fit:
            self.long_ngrams_ = self._long_ngrams()
            longer = self.long_ngrams_.fit_transform(docs)
            self.long_ngrams_.stop_words_ = None  # every pruned n-gram, kept only for inspection: can be huge
        else:
            longer = self.long_ngrams_.transform(docs)
        return longer if unigrams is None else sp.hstack([unigrams, longer], format="csr")

    def _grams_of(self, counts, extra):
        """(columns of `counts`) x (char n-grams): the rows of the words these documents use, known
        words' from `known_grams_` (cut once at fit), new words (`extra`) cut now."""
        used = np.flatnonzero(np.bincount(counts.indices, minlength=counts.shape[1]))  # sorted, no sort
        known = len(self.word_index_)
        cut = self._known_grams()[used[used < known]]
        new = used[used >= known]
        if len(new):  # sorted: the known words' rows come first, as in `used`
            cut = sp.vstack([cut, self._cut([extra[j - known] for j in new])], format="csr")
        lengths = np.zeros(counts.shape[1], dtype=np.int64)
        lengths[used] = np.diff(cut.indptr)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        return sp.csr_matrix((cut.data, cut.indices, indptr), shape=(counts.shape[1], cut.shape[1]))

    def _cut(self, words):
        """Char n-gram counts of `words` (rows) over the kept n-grams: what `char_vectorizer_.transform`
        gives for single words (char_wb: each word padded with one space each side; for each n, its
        n-grams, and a padded word no longer than n counted once as it is, for the first such n).
        Every word's n-grams of one length are cut by one comprehension and looked up by one `map`:
        0.18-0.21 s where a loop per word took 0.25 s, for SANAD test's 33,418 new words (2026-12-07)."""
        vectorizer = self.char_vectorizer_
        low, high = vectorizer.ngram_range
        get = vectorizer.vocabulary_.get
        padded = [f" {word} " for word in words]
        sizes = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        rows, columns = [], []
        for n in range(low, high + 1):  # a word of exactly n characters gives itself, once
            grams = [word[i:i + n] for word in padded for i in range(len(word) - n + 1)]
            rows.append(np.repeat(np.arange(len(padded)), np.maximum(sizes - n + 1, 0)))
            columns.append(np.fromiter(map(get, grams, repeat(-1)), dtype=np.int64, count=len(grams)))
        short = np.flatnonzero(sizes < low)  # shorter than every n: itself, once
        rows.append(short)
        columns.append(np.fromiter((get(padded[k], -1) for k in short), dtype=np.int64, count=len(short)))
        rows, columns = np.concatenate(rows), np.concatenate(columns)
        kept = columns >= 0
        cut = sp.csr_matrix((np.ones(int(kept.sum()), dtype=np.float32), (rows[kept], columns[kept])),
                            shape=(len(words), len(vectorizer.vocabulary_)))
        cut.sum_duplicates()  # a word with an n-gram twice: one entry, counted 2
        return cut

    def _known_grams(self):
        """Known word x char n-gram counts; a model saved before they were kept cuts them once."""
        grams = getattr(self, "known_grams_", None)
        if grams is None:
            grams = self.known_grams_ = self.char_vectorizer_.transform(self._known_words()).tocsr()
        return grams

    def _char_frequencies(self, counts, grams):
        """Document frequency (and total count, for max_features) of each char n-gram, by row blocks."""
        df = np.zeros(grams.shape[1], dtype=np.int64)
        totals = np.zeros(grams.shape[1], dtype=np.float64) if self.max_features is not None else None
        for start in range(0, counts.shape[0], ROWS):
            block = counts[start:start + ROWS] @ grams
            df += np.bincount(block.indices, minlength=grams.shape[1])
            if totals is not None:
                totals += np.asarray(block.sum(axis=0)).ravel()
        return df, totals

    def _tfidf_rows(self, counts, word_block, grams):
        """[word TF-IDF | char TF-IDF] computed ROWS documents at a time and stacked in place, so
        the char counts of the whole corpus never exist at once beside their TF-IDF copy."""
        parts = []
        for start in range(0, counts.shape[0], ROWS):
            rows = slice(start, start + ROWS)
            blocks = []
            if word_block is not None:
                blocks.append(self.word_tfidf_.transform(word_block[rows], copy=False))
            if grams is not None:
                blocks.append(self.char_tfidf_.transform((counts[rows] @ grams).tocsr(), copy=False))
            parts.append(sp.hstack(blocks, format="csr", dtype=np.float32))
        return stack_rows(parts, sum(b.shape[1] for b in parts[:1]) if parts else self._width())

    def _width(self):
        width = len(self.word_index_) if self.word_ngrams and self.word_ngrams[0] == 1 else 0
        if self.word_ngrams and self.word_ngrams[1] > 1:
            width += len(self.long_ngrams_.vocabulary_)
        return width + (len(self.char_vectorizer_.vocabulary_) if self.char_ngrams else 0)

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
