"""Features of the relation between a claim and a text, for the stance baseline.

Gluing claim and text into one string hides who said what: the classifier sees the same bag of
words for "X happened" + "X happened" and "X happened" + "X never happened". The feature-based
Fake News Challenge systems (UCL's, Athene's) instead fed the classifier the *relation*: how
similar the two are, which words the text adds or drops, and whether the text carries refutation
or negation cues near the passage that matches the claim. This transformer builds those blocks,
sparse, for a linear classifier.

The text is read at two scales. The *whole* text gives its TF-IDF and how much of the claim it
covers anywhere. Its *focus* is what a reader compares with the claim: the whole text when it has
at most `best_sentences` sentences (a headline, a short item), else the `best_sentences`
sentences most similar to the claim, in their order. Everything about change and stance is read
on the focus, so a 16,000-character article costs about what a 4,000-character one does beyond
its TF-IDF:

- TF-IDF of the text (word n-grams, one vocabulary fitted on claims and texts);
- TF-IDF of the words the focus adds to the claim and of the claim words it drops, as words and
  as character n-grams, and of dropped->added word pairs (how headlines get contradicted);
- dense scores (`DENSE_COLUMNS`): cosine of claim and text, of the claim and its best-matching
  sentences and the text's lead; word overlap and claim coverage (focus, whole text, and
  IDF-weighted so that rare, name-like words count most); length ratio; negation and refutation
  cues in the claim and in the focus; `content_change` (dropped and added stems with no similar
  counterpart, plain and IDF-weighted: contradictions swap content words for strangers,
  paraphrases reword them); numbers and dates of the claim found or contradicted.

Everything is computed in chunks of `chunk_size` pairs, each chunk in a few batched operations:
the sentences of all its texts go through one `transform`, each sentence's similarity to its own
claim is one sparse row-wise product, the best sentences per text a segment-wise sort, and the
"similar stem" test (Dice overlap of character bigrams >= 0.5) one sparse product of bigram
vectors keyed by pair, so that stems are only compared within their own pair. Time is linear in
the text's length and memory bounded by the chunk (see `transform_chunks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from math import fsum

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ...log import progress_bar
from .compact import CompactState
from .stance_cues import CUE_COLUMNS, cue_columns
from .text_signals import (
    NEGATION_CUES, REFUTATION_CUES, cue_counts, date_word, is_number, light_stem, sentences, tokens,
)

__all__ = ["PairFeatures", "DENSE_COLUMNS", "NEGATION_CUES", "REFUTATION_CUES", "content_change_columns"]

#: names of the dense block's columns, in order (before standardization)
DENSE_COLUMNS = (
    "cosine", "best_max", "best_mean", "overlap", "claim_cover", "length_ratio",
    "negation_claim", "negation_text", "negation_diff", "refutation_claim", "refutation_text",
    "refutation_diff", "more_negation", "more_refutation",
    # content_change: stems of the claim dropped / added by the text with no similar counterpart
    "lone_dropped", "lone_added", "lone_dropped_share", "lone_added_share", "stem_jaccard",
    "claim_number_dropped", "text_number_added", "number_shared",
    # claim-article signals
    "lead_max", "claim_cover_whole", "idf_cover", "idf_cover_whole", "idf_lone_dropped_share",
    "idf_lone_dropped_max", "idf_lone_added_share", "claim_numbers_found", "claim_has_number",
    "claim_has_date", "date_match", "date_conflict", "best_position", "log_sentences",
    "negation_best", "refutation_best",
)
_TOKEN_PATTERN = r"(?u)\b\w+\b"
#: the embedding products' weight against the encoder cosine (1/sqrt of their 1,024 columns)
ENCODER_VECTOR_WEIGHT = 1 / 32


def encode_pairs(encoder: str, claims, focus_texts) -> np.ndarray:
    """Sentence-encoder columns of each pair: cosine of claim and focus, then their element-wise
    product and absolute difference (the classic sentence-pair features)."""
    from .sentence_encoder import encode

    unique = list(dict.fromkeys(list(claims) + list(focus_texts)))
    vectors = encode(encoder, unique)
    row = {text: i for i, text in enumerate(unique)}
    u = vectors[[row[c] for c in claims]] if len(claims) else np.zeros((0, vectors.shape[1]))
    v = vectors[[row[t] for t in focus_texts]] if len(claims) else np.zeros((0, vectors.shape[1]))
    return np.hstack([(u * v).sum(axis=1, keepdims=True), u * v, np.abs(u - v)])


def _bigrams(word: str) -> set:
    padded = f" {word} "
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


_BIGRAM_IDS: dict = {}
_STEM_BIGRAMS: dict = {}


def _bigram_ids(stem: str) -> list[int]:
    ids = _STEM_BIGRAMS.get(stem)
    if ids is None:
        if len(_STEM_BIGRAMS) >= 500_000:
            _STEM_BIGRAMS.clear()
        ids = _STEM_BIGRAMS[stem] = sorted(_BIGRAM_IDS.setdefault(b, len(_BIGRAM_IDS)) for b in _bigrams(stem))
    return ids


def lone_flags(dropped: list[list[str]], added: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """For every pair's dropped and added stems (distinct within a pair): whether each has no
    similar stem on the other side (Dice overlap of padded character bigrams < 0.5: "تراجع" ~
    "تراجعت", "الدولار" !~ "اليورو"). Returns two boolean arrays over the flattened lists.

    One sparse product for all pairs: each stem is a binary bigram vector whose columns are
    offset by its pair's index times the number of bigrams, so a dropped stem meets only the
    added stems of its own pair; the product counts shared bigrams."""
    d_sizes = np.fromiter((len(s) for s in dropped), dtype=np.int64, count=len(dropped))
    a_sizes = np.fromiter((len(s) for s in added), dtype=np.int64, count=len(added))
    d_rows = [_bigram_ids(s) for stems in dropped for s in stems]
    a_rows = [_bigram_ids(s) for stems in added for s in stems]
    if not d_rows or not a_rows:
        return np.ones(len(d_rows), dtype=bool), np.ones(len(a_rows), dtype=bool)
    width = len(_BIGRAM_IDS)
    d_pair = np.repeat(np.arange(len(dropped)), d_sizes)
    a_pair = np.repeat(np.arange(len(added)), a_sizes)

    def matrix(rows, pair):
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        indices = np.fromiter((i for row in rows for i in row), dtype=np.int64, count=int(lengths.sum()))
        indices += np.repeat(pair * width, lengths)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        shape = (len(rows), max(len(dropped), len(added)) * width)
        return sp.csr_matrix((np.ones(len(indices), dtype=np.int32), indices, indptr), shape=shape), lengths

    d_matrix, d_len = matrix(d_rows, d_pair)
    a_matrix, a_len = matrix(a_rows, a_pair)
    shared = (d_matrix @ a_matrix.T).tocoo()
    similar = 4 * shared.data >= d_len[shared.row] + a_len[shared.col]
    d_lone = np.ones(len(d_rows), dtype=bool)
    a_lone = np.ones(len(a_rows), dtype=bool)
    d_lone[shared.row[similar]] = False
    a_lone[shared.col[similar]] = False
    return d_lone, a_lone


def content_change_columns(claim_words, focus_words, claim_stems, focus_stems, lone_dropped, lone_added) -> list[float]:
    """The 8 `content_change` columns from a pair's words, distinct stems and lone-stem counts."""
    claim_numbers = {w for w in claim_words if is_number(w)}
    focus_numbers = {w for w in focus_words if is_number(w)}
    return [
        lone_dropped, lone_added, lone_dropped / max(1, len(claim_stems)), lone_added / max(1, len(focus_stems)),
        len(claim_stems & focus_stems) / max(1, len(claim_stems | focus_stems)),
        float(bool(claim_numbers - focus_numbers)), float(bool(focus_numbers - claim_numbers)),
        float(bool(claim_numbers & focus_numbers)),
    ]


@dataclass
class _Chunk:
    """What one chunk of pairs gives before the fitted change vectorizers: the text TF-IDF, the
    added / dropped word strings, the lone added / dropped stems, the raw dense columns and the
    sentence-encoder columns (None without an encoder)."""

    text_vec: sp.csr_matrix
    added: list
    dropped: list
    lone_added: list
    lone_dropped: list
    dense: np.ndarray
    encoded: np.ndarray | None = None


class PairFeatures(CompactState, TransformerMixin, BaseEstimator):
    """(claim, text) pairs -> a sparse matrix of relation features.

    `ngram_range` and `min_df` configure the shared word TF-IDF; `best_sentences` is how many
    sentences of a longer text form its focus (the best match to the claim); `lead_sentences`
    how many first sentences count as its lead; `chunk_size` how many pairs are featurized at a
    time (memory is bounded by one chunk's texts); `encoder`: None, or "use" to add the claim's
    and the focus's sentence embeddings (`sentence_encoder`; optional package, nothing of it is
    saved with the model); `stance_cues`: add the `stance_cues.CUE_COLUMNS` (reporting, hedging,
    denial cues near the claim) after `DENSE_COLUMNS`, for claim-article stance.
    """

    def __init__(self, ngram_range=(1, 2), min_df=1, sublinear_tf=True, best_sentences=3,
                 lead_sentences=2, chunk_size=1000, encoder=None, stance_cues=False):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.best_sentences = best_sentences
        self.lead_sentences = lead_sentences
        self.chunk_size = chunk_size
        self.encoder = encoder
        self.stance_cues = stance_cues

    @property
    def dense_columns(self) -> tuple:
        """The names of the dense block's columns, in order."""
        return DENSE_COLUMNS + CUE_COLUMNS if getattr(self, "stance_cues", False) else DENSE_COLUMNS

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, pairs, y=None):
        self._fit(pairs)
        return self

    def fit_transform(self, pairs, y=None, **fit_params):
        return self._stack([self._assemble(chunk) for chunk in self._fit(pairs)])

    def _fit(self, pairs) -> list[_Chunk]:
        claims, texts = self._split(pairs)
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=tuple(self.ngram_range), min_df=self.min_df, sublinear_tf=self.sublinear_tf,
            token_pattern=_TOKEN_PATTERN,
        ).fit(claims + texts)
        self._forget_lookups()
        starts = range(0, len(claims), self._step)
        chunks = [self._analyse(claims[i:i + self._step], texts[i:i + self._step])
                  for i in progress_bar(starts, len(starts), "featurizing pairs", "chunk")]
        added = [a for c in chunks for a in c.added]
        dropped = [d for c in chunks for d in c.dropped]
        words = dict(min_df=1, sublinear_tf=True, token_pattern=_TOKEN_PATTERN)
        self.added_vectorizer_ = TfidfVectorizer(**words).fit(added + ["_"])
        self.dropped_vectorizer_ = TfidfVectorizer(**words).fit(dropped + ["_"])
        # character n-grams of the changed words: "انخفاض" and "انخفاضا" are one signal
        self.changed_chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit(added + dropped + ["_"])
        pieces = dict(min_df=1, sublinear_tf=True, token_pattern=r"\S+")
        self.swaps_ = TfidfVectorizer(**pieces).fit(self._swaps(added, dropped) + ["_"])
        # the lone stems (changed content, not rewording) and their dropped->added pairs
        lone_added = [a for c in chunks for a in c.lone_added]
        lone_dropped = [d for c in chunks for d in c.lone_dropped]
        self.lone_added_ = TfidfVectorizer(**pieces).fit(lone_added + ["_"])
        self.lone_dropped_ = TfidfVectorizer(**pieces).fit(lone_dropped + ["_"])
        self.lone_swaps_ = TfidfVectorizer(**pieces).fit(self._swaps(lone_added, lone_dropped) + ["_"])
        # direction-free views: a headline pair contradicts the same way read either way round
        self.changed_ = TfidfVectorizer(**pieces).fit(self._changed(added, dropped) + ["_"])
        self.pair_swaps_ = TfidfVectorizer(**pieces).fit(self._pair_swaps(added, dropped) + ["_"])
        dense = np.vstack([c.dense for c in chunks]) if chunks else np.zeros((1, len(self.dense_columns)))
        self.dense_mean_ = dense.mean(axis=0)
        self.dense_scale_ = dense.std(axis=0) + 1e-6
        if self.encoder:
            encoded = np.vstack([c.encoded for c in chunks])
            self.encoded_mean_ = encoded.mean(axis=0)
            self.encoded_scale_ = encoded.std(axis=0) + 1e-6
        return chunks

    # -- transforming ------------------------------------------------------------------------------
    def transform(self, pairs):
        return self._stack(list(self.transform_chunks(pairs)))

    def transform_chunks(self, pairs):
        """The feature rows of `pairs`, `chunk_size` pairs at a time: a million pairs stream in
        bounded memory (`pairs` may be any iterable of (claim, text))."""
        batch = []
        for pair in pairs:
            batch.append(pair)
            if len(batch) == self._step:
                yield self._assemble(self._analyse(*self._split(batch)))
                batch = []
        if batch:
            yield self._assemble(self._analyse(*self._split(batch)))

    @property
    def _step(self) -> int:
        return max(1, int(self.chunk_size))

    def _stack(self, blocks):
        if not blocks:
            width = sum(len(v.vocabulary_) for v in self._blocks()) + len(self.dense_columns)
            return sp.csr_matrix((0, width + (len(self.encoded_mean_) if self.encoder else 0)))
        return sp.vstack(blocks).tocsr() if len(blocks) > 1 else blocks[0]

    def _blocks(self):
        return (self.vectorizer_, self.added_vectorizer_, self.dropped_vectorizer_, self.changed_chars_,
                self.changed_chars_, self.swaps_, self.lone_added_, self.lone_dropped_, self.lone_swaps_,
                self.changed_, self.pair_swaps_)

    def _assemble(self, chunk: _Chunk) -> sp.csr_matrix:
        """The feature rows of one chunk; the standardized dense block is always the last columns."""
        blocks = [
            chunk.text_vec,
            self.added_vectorizer_.transform(chunk.added),
            self.dropped_vectorizer_.transform(chunk.dropped),
            self.changed_chars_.transform(chunk.added),
            self.changed_chars_.transform(chunk.dropped),
            self.swaps_.transform(self._swaps(chunk.added, chunk.dropped)),
            self.lone_added_.transform(chunk.lone_added),
            self.lone_dropped_.transform(chunk.lone_dropped),
            self.lone_swaps_.transform(self._swaps(chunk.lone_added, chunk.lone_dropped)),
            self.changed_.transform(self._changed(chunk.added, chunk.dropped)),
            self.pair_swaps_.transform(self._pair_swaps(chunk.added, chunk.dropped)),
        ]
        if self.encoder:
            encoded = (chunk.encoded - self.encoded_mean_) / self.encoded_scale_
            encoded[:, 1:] *= ENCODER_VECTOR_WEIGHT
            blocks.append(sp.csr_matrix(encoded))
        blocks.append(sp.csr_matrix((chunk.dense - self.dense_mean_) / self.dense_scale_))
        return sp.hstack(blocks).tocsr()

    @staticmethod
    def _swaps(added, dropped, most=6):
        """Dropped-word -> added-word pairs: "ارتفاع -> انخفاض" is how a headline gets contradicted."""
        return [" ".join(f"{d}>{a}" for d in drop.split()[:most] for a in add.split()[:most])
                for add, drop in zip(added, dropped)]

    @staticmethod
    def _pair_swaps(added, dropped, most=6):
        """The same pairs without their direction: "انخفاض|ارتفاع" either way round."""
        return [" ".join("|".join(sorted((d, a))) for d in drop.split()[:most] for a in add.split()[:most])
                for add, drop in zip(added, dropped)]

    @staticmethod
    def _changed(added, dropped):
        """Every changed word, added or dropped."""
        return [f"{add} {drop}" for add, drop in zip(added, dropped)]

    # -- the analysis of one chunk -------------------------------------------------------------------
    @staticmethod
    def _split(pairs):
        claims, texts = [], []
        for claim, text in pairs:
            claims.append(claim)
            texts.append(text)
        return claims, texts

    def _forget_lookups(self):
        self.__dict__.pop("_idf_lookup", None)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_idf_lookup", None)  # a cache, rebuilt from vectorizer_ when needed
        return state

    def _idf(self):
        """(word -> idf of the unigram, idf of an unseen word): rare, name-like words weigh most."""
        lookup = self.__dict__.get("_idf_lookup")
        if lookup is None:
            vec = self.vectorizer_
            idf = vec.idf_
            table = {term: float(idf[i]) for term, i in vec.vocabulary_.items() if " " not in term}
            lookup = self._idf_lookup = (table, float(idf.max()) if len(idf) else 1.0)
        return lookup

    def _ngram_ids(self, words: list[str], vocabulary: dict) -> list[int]:
        """Vocabulary ids of the word n-grams of `words` (as the fitted TfidfVectorizer counts them)."""
        lo, hi = self.vectorizer_.ngram_range
        ids = [i for i in map(vocabulary.get, words) if i is not None] if lo == 1 else []
        for n in range(max(2, lo), hi + 1):
            grams = map(" ".join, zip(*(words[j:] for j in range(n))))
            ids.extend(i for i in map(vocabulary.get, grams) if i is not None)
        return ids

    def _crossing_ids(self, words: list[str], bounds: list[int], vocabulary: dict) -> list[int]:
        """Ids of the n-grams (n >= 2) of the whole token list that cross a sentence boundary."""
        lo, hi = self.vectorizer_.ngram_range
        ids = []
        for n in range(max(2, lo), hi + 1):
            starts = sorted({i for b in bounds for i in range(max(0, b - n + 1), min(b, len(words) - n + 1))})
            for i in starts:
                found = vocabulary.get(" ".join(words[i:i + n]))
                if found is not None:
                    ids.append(found)
        return ids

    def _counts(self, rows: list[list[int]]) -> sp.csr_matrix:
        """Rows of vocabulary ids -> a count matrix (sorted indices, no duplicates)."""
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        indices = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), len(self.vectorizer_.idf_)))
        counts.sum_duplicates()
        return counts

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Counts -> the fitted vectorizer's TF-IDF rows: the same arithmetic as its `transform`
        (sublinear tf, idf, l2 norm)."""
        vec = self.vectorizer_
        if vec.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        counts.data *= vec.idf_[counts.indices]
        return normalize(counts, norm="l2", copy=False)

    def _sentence_scores(self, claim_vec, texts):
        """Each text's sentences and their tokens, the text's TF-IDF row, every sentence's cosine
        with its own claim, and per text: the best cosine, the mean of the `best_sentences` best,
        the best of the lead, the best sentence's relative position, and which sentences form
        the focus. Each sentence is tokenized once; its n-gram ids give its own TF-IDF row and,
        with the n-grams that cross sentence boundaries, the text's."""
        n = len(texts)
        vocabulary = self.vectorizer_.vocabulary_
        split, words, sentence_ids, crossing_ids = [], [], [], []
        for text in texts:
            parts = sentences(text)
            part_words = [tokens(p) for p in parts]
            sentence_ids.extend(self._ngram_ids(w, vocabulary) for w in part_words)
            if len(parts) > 1:
                bounds = np.cumsum([len(w) for w in part_words[:-1]]).tolist()
                crossing_ids.append(self._crossing_ids(list(chain.from_iterable(part_words)), bounds, vocabulary))
            else:
                crossing_ids.append([])
            split.append(parts)
            words.append(part_words)
        counts = np.fromiter(map(len, split), dtype=np.int64, count=n)
        owner = np.repeat(np.arange(n), counts)
        start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        sentence_counts = self._counts(sentence_ids)
        # a text's counts: its sentences' counts summed, plus the n-grams across their boundaries
        gather = sp.csr_matrix((np.ones(len(owner)), owner, np.arange(len(owner) + 1)), shape=(len(owner), n)).T.tocsr()
        text_counts = (gather @ sentence_counts + self._counts(crossing_ids)).tocsr()
        text_counts.sum_duplicates()
        text_counts.sort_indices()
        text_vec = self._weigh(text_counts)
        if len(owner):
            sims = np.asarray(self._weigh(sentence_counts).multiply(claim_vec[owner]).sum(axis=1)).ravel()
        else:
            sims = np.zeros(0)
        k = max(1, int(self.best_sentences))
        order = np.lexsort((-sims, owner))  # by text, best first, ties in text order
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - start[owner[order]]
        top = rank < k
        has = counts > 0
        best_max, best_pos = np.zeros(n), np.zeros(n)
        first = order[start[has]]
        best_max[has] = sims[first]
        best_pos[has] = (first - start[has]) / np.maximum(1, counts[has] - 1)
        best_mean = np.bincount(owner[top], weights=sims[top], minlength=n) / np.maximum(1, np.minimum(counts, k))
        lead = np.zeros(n)
        for j in range(max(1, int(self.lead_sentences))):
            there = counts > j
            lead[there] = np.maximum(lead[there], sims[start[there] + j])
        return text_vec, split, words, counts, top, owner, first, has, best_max, best_mean, lead, best_pos, sims

    def _analyse(self, claims, texts) -> _Chunk:
        n = len(claims)
        claim_vec = self.vectorizer_.transform(claims) if n else sp.csr_matrix((0, len(self.vectorizer_.idf_)))
        (text_vec, split, words, counts, top, owner, first, has, best_max, best_mean, lead,
         best_pos, sims) = self._sentence_scores(claim_vec, texts)
        cues = getattr(self, "stance_cues", False)
        cosine = np.asarray(claim_vec.multiply(text_vec).sum(axis=1)).ravel()
        k = max(1, int(self.best_sentences))
        top_index = np.flatnonzero(top)
        top_owner = owner[top_index]
        best_of = np.full(n, -1)
        best_of[has] = first - np.concatenate([[0], np.cumsum(counts)[:-1]])[has]
        idf, unseen = self._idf()

        rows, added_strings, dropped_strings = [], [], []
        claim_words_all, focus_words_all, dropped_stems, added_stems, weights, focus_texts = [], [], [], [], [], []
        cursor = 0
        for i in range(n):
            claim_words = tokens(claims[i])
            whole_words = [w for ws in words[i] for w in ws]
            if counts[i] <= k:
                focus_words = whole_words
            else:
                # the focus: its best sentences, in text order (top_index is sorted)
                lo = np.searchsorted(top_owner, i, side="left")
                hi = np.searchsorted(top_owner, i, side="right")
                focus_index = top_index[lo:hi] - cursor
                focus_words = [w for j in focus_index for w in words[i][j]]
            if cues:
                cue_row = cue_columns(claim_words, words[i], sims[cursor:cursor + int(counts[i])], k)
            cursor += int(counts[i])
            best_words = words[i][best_of[i]] if best_of[i] >= 0 and counts[i] > 1 else focus_words
            claim_set, focus_set, whole_set = set(claim_words), set(focus_words), set(whole_words)
            added_strings.append(" ".join(w for w in focus_words if w not in claim_set))
            dropped_strings.append(" ".join(w for w in claim_words if w not in focus_set))

            claim_weight_of = self._stem_weights(claim_words, idf, unseen)
            focus_weight_of = self._stem_weights(focus_words, idf, unseen)
            dropped_stems.append([s for s in claim_weight_of if s not in focus_weight_of])
            added_stems.append([s for s in focus_weight_of if s not in claim_weight_of])
            claim_words_all.append(claim_words)
            focus_words_all.append(focus_words)
            weights.append((claim_weight_of, focus_weight_of))
            if self.encoder:
                focus_texts.append(texts[i] if counts[i] <= k else " ".join(split[i][j] for j in focus_index))

            shared, shared_whole = claim_set & focus_set, claim_set & whole_set
            # fsum: exact, so the result does not depend on the (hash-seeded) order of a set
            claim_weight = fsum(idf.get(w, unseen) for w in claim_set)
            neg_c, ref_c = cue_counts(claim_words)
            neg_f, ref_f = cue_counts(focus_words)
            neg_b, ref_b = cue_counts(best_words)
            claim_numbers = {w for w in claim_set if is_number(w)}
            claim_dates = {d for d in map(date_word, claim_set) if d}
            focus_dates = {d for d in map(date_word, focus_set) if d}
            rows.append([
                cosine[i], best_max[i], best_mean[i],
                len(shared) / max(1, len(claim_set | focus_set)), len(shared) / max(1, len(claim_set)),
                np.log1p(len(whole_words)) - np.log1p(len(claim_words)),
                neg_c, neg_f, neg_f - neg_c, ref_c, ref_f, ref_f - ref_c, float(neg_f > neg_c), float(ref_f > ref_c),
                0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,  # content_change, filled in below
                lead[i], len(shared_whole) / max(1, len(claim_set)),
                fsum(idf.get(w, unseen) for w in shared) / max(claim_weight, 1e-9),
                fsum(idf.get(w, unseen) for w in shared_whole) / max(claim_weight, 1e-9),
                0.0, 0.0, 0.0,  # IDF-weighted lone stems, filled in below
                len(claim_numbers & whole_set) / max(1, len(claim_numbers)), float(bool(claim_numbers)),
                float(bool(claim_dates)), float(bool(claim_dates & focus_dates)),
                float(bool(claim_dates) and bool(focus_dates) and not claim_dates & focus_dates),
                best_pos[i], np.log1p(counts[i]), neg_b, ref_b,
            ] + (cue_row if cues else []))
        dense = np.asarray(rows, dtype=float).reshape(n, len(self.dense_columns))
        lone_added, lone_dropped = self._fill_content_change(
            dense, claim_words_all, focus_words_all, dropped_stems, added_stems, weights, unseen)
        encoded = encode_pairs(self.encoder, claims, focus_texts) if self.encoder else None
        return _Chunk(text_vec, added_strings, dropped_strings, lone_added, lone_dropped, dense, encoded)

    @staticmethod
    def _stem_weights(words, idf, unseen) -> dict:
        """stem -> the highest idf among `words` with that stem, in the order first seen."""
        out: dict = {}
        for w in dict.fromkeys(words):
            s = light_stem(w)
            weight = idf.get(w, unseen)
            if weight > out.get(s, 0.0):
                out[s] = weight
        return out

    @staticmethod
    def _fill_content_change(dense, claim_words, focus_words, dropped, added, weights, unseen):
        n = len(dropped)
        d_lone, a_lone = lone_flags(dropped, added)
        d_pair = np.repeat(np.arange(n), [len(s) for s in dropped]).astype(np.int64)
        a_pair = np.repeat(np.arange(n), [len(s) for s in added]).astype(np.int64)
        lone_dropped = np.bincount(d_pair[d_lone], minlength=n)
        lone_added = np.bincount(a_pair[a_lone], minlength=n)
        d_weight = np.fromiter((weights[i][0][s] for i, stems in enumerate(dropped) for s in stems), dtype=float,
                               count=len(d_pair))
        a_weight = np.fromiter((weights[i][1][s] for i, stems in enumerate(added) for s in stems), dtype=float,
                               count=len(a_pair))
        lone_d_weight = np.bincount(d_pair[d_lone], weights=d_weight[d_lone], minlength=n)
        lone_a_weight = np.bincount(a_pair[a_lone], weights=a_weight[a_lone], minlength=n)
        lone_max = np.zeros(n)
        if d_lone.any():
            np.maximum.at(lone_max, d_pair[d_lone], d_weight[d_lone])
        col = DENSE_COLUMNS.index
        first, last = col("lone_dropped"), col("number_shared") + 1
        for i in range(n):
            claim_weight_of, focus_weight_of = weights[i]
            dense[i, first:last] = content_change_columns(
                claim_words[i], focus_words[i], claim_weight_of.keys(), focus_weight_of.keys(),
                int(lone_dropped[i]), int(lone_added[i]))
            dense[i, col("idf_lone_dropped_share")] = lone_d_weight[i] / max(sum(claim_weight_of.values()), 1e-9)
            dense[i, col("idf_lone_added_share")] = lone_a_weight[i] / max(sum(focus_weight_of.values()), 1e-9)
        dense[:, col("idf_lone_dropped_max")] = lone_max / max(unseen, 1e-9)
        lone_added_strings, lone_dropped_strings = [], []
        d_at = a_at = 0
        for stems_d, stems_a in zip(dropped, added):
            lone_dropped_strings.append(" ".join(s for s, lone in zip(stems_d, d_lone[d_at:d_at + len(stems_d)]) if lone))
            lone_added_strings.append(" ".join(s for s, lone in zip(stems_a, a_lone[a_at:a_at + len(stems_a)]) if lone))
            d_at += len(stems_d)
            a_at += len(stems_a)
        return lone_added_strings, lone_dropped_strings

    # -- what the tests and older callers use ---------------------------------------------------------
    def _differences(self, claims, texts):
        """(added, dropped) word strings of each pair: the focus's words not in the claim, and
        the claim's words not in the focus."""
        chunk = self._analyse(claims, texts)
        return chunk.added, chunk.dropped

    def _dense(self, claims, texts):
        """The raw (unstandardized) dense columns of the pairs, in `DENSE_COLUMNS` order."""
        return self._analyse(claims, texts).dense
