"""Why a TF-IDF model gave its label: exact linear contributions, aggregated to words.

A linear classifier's decision score for a label is `intercept + sum(coefficient x feature value)`
over the input's features, so every feature's share is exact, with no sampling and no surrogate.
LinearSVC's probabilities are a softmax of these scores at one temperature (monotone), so its
scores are what is decomposed; logistic regression and SGD use the same scores (for two labels,
the one score is +s for the second label and -s for the first).

Topic (`WordCharTfidf`): a word n-gram's share goes to the words of its occurrences in equal
parts, a within-word character n-gram's share to the words that contain it, in proportion to how
often each word gives it (occurrences in the text x occurrences of the n-gram in the word), so the
words' weights add up to the score less the intercept.

Stance (`PairFeatures`): every block of words (the text's TF-IDF, the words the text adds to the
claim and the claim words it drops, their character n-grams, stems and dropped->added pairs) is
given back to the words of the claim or of the text it came from; the dense relation features
(similarities, negation and refutation cues, numbers and dates of the claim found or changed) are
named signals with their raw value, and point at the words they read where there are such words
(the cue words, the numbers, the dates). A sentence encoder's columns, if any, are one signal.

Words are found in the original text through `evidence.aligned_words`, so every span is a pair of
character offsets into the input as given, before normalization.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from typing import Optional, Sequence

import numpy as np

from ..base import Inputs
from ..evidence import aligned_words, in_text_order, label_explanation, word_spans
from .claim_sentences import deciding_sentence
from .multi_label import LabelSetProbabilities
from .temperature import TemperatureScaled
from .text_signals import cue_kind, date_word, is_number, light_stem

METHOD_TOPIC = ("exact linear contributions (coefficient x TF-IDF value) to the label's decision score; "
                "word n-grams shared among their words, within-word character n-grams among the words that hold them")
METHOD_STANCE = ("exact linear contributions (coefficient x feature value) to the label's decision score; "
                 "TF-IDF blocks given back to the words of the claim and of the text, dense relation features as named signals")

#: what each dense stance feature measures, as the explanation names it
SIGNAL_NAMES = {
    "cosine": "similarity of claim and text (TF-IDF cosine)",
    "best_max": "similarity of the claim and its best-matching sentence",
    "best_mean": "similarity of the claim and its best-matching sentences",
    "overlap": "claim and text share words (of the focus)",
    "claim_cover": "share of the claim's words found in the best-matching sentences",
    "length_ratio": "text length against claim length",
    "negation_claim": "negation cue in the claim",
    "negation_text": "negation cue in the best-matching sentences",
    "negation_diff": "more negation in the text than in the claim",
    "refutation_claim": "refutation cue in the claim",
    "refutation_text": "refutation cue in the best-matching sentences",
    "refutation_diff": "more refutation in the text than in the claim",
    "more_negation": "the text negates where the claim does not",
    "more_refutation": "the text refutes where the claim does not",
    "lone_dropped": "claim words the text drops with no similar word",
    "lone_added": "words the text adds with no similar claim word",
    "lone_dropped_share": "share of claim words dropped with no similar word",
    "lone_added_share": "share of text words added with no similar claim word",
    "stem_jaccard": "claim and text share stems",
    "claim_number_dropped": "changed number: a number of the claim is missing from the text",
    "text_number_added": "changed number: the text has a number the claim lacks",
    "number_shared": "claim and text share a number",
    "lead_max": "similarity of the claim and the text's lead",
    "claim_cover_whole": "share of the claim's words found anywhere in the text",
    "idf_cover": "rare claim words found in the best-matching sentences",
    "idf_cover_whole": "rare claim words found anywhere in the text",
    "idf_lone_dropped_share": "rare claim words dropped with no similar word",
    "idf_lone_dropped_max": "the rarest claim word dropped with no similar word",
    "idf_lone_added_share": "rare words added with no similar claim word",
    "claim_numbers_found": "the claim's numbers found in the text",
    "claim_has_number": "the claim has a number",
    "claim_has_date": "the claim has a date",
    "date_match": "claim and text name the same date",
    "date_conflict": "changed date: claim and text name different dates",
    "best_position": "where the best-matching sentence is in the text",
    "log_sentences": "number of sentences in the text",
    "negation_best": "negation cue near the best-matching sentence",
    "refutation_best": "refutation cue near the best-matching sentence",
}
SIGNAL_NAMES.update({
    **{f"{kind}_{scale}": f"{kind} cues per 10 words in {where}" for kind in ("reporting", "hedge", "denial", "negation")
       for scale, where in (("best", "the best-matching sentence"), ("focus", "the best-matching sentences"),
                            ("whole", "the whole text"))},
    "near_sentences": "sentences holding half the claim's stems (log)",
    "near_share": "share of sentences holding half the claim's stems",
    "near_cover_max": "most of the claim's stems held by one sentence",
    "denial_near": "denial or negation in sentences near the claim (log)",
    "reporting_near": "reporting verbs in sentences near the claim (log)",
    "hedge_near": "hedges in sentences near the claim (log)",
    "denial_near_share": "share of sentences near the claim with a denial or negation",
    "reporting_near_share": "share of sentences near the claim with a reporting verb",
    "hedge_near_share": "share of sentences near the claim with a hedge",
})
ENCODER_SIGNAL = "sentence-encoder similarity of claim and text"
#: the latent block (`latent.py`): what the outlet's themes, as a whole, added to the score
LATENT_SIGNAL = "latent themes of the outlet's articles"
_NEGATION, _REFUTATION = 1, 2


def explain(model, inputs: Inputs, top: Optional[int] = None, runner_up: bool = False,
            targets: Optional[Sequence[Sequence[str]]] = None) -> list[dict]:
    """`Model.explain` for a `TfidfModel` (see the module docstring)."""
    inputs = list(inputs)
    normalized, proba, chosen, top = model.explain_plan(inputs, top, runner_up, targets)
    if not normalized:
        return []
    features = model.pipeline_.named_steps["features"] if "features" in model.pipeline_.named_steps \
        else model.pipeline_.steps[0][1]
    matrix = features.transform(normalized).tocsr()
    prior = model.prior_
    prior_columns = None if prior is None else prior.transform(inputs).toarray()
    latent_columns = None if model.latent_ is None else model.latent_columns(matrix).toarray()
    weights, intercepts = _linear(model)
    classes = [str(c) for c in np.asarray(model.pipeline_.classes_).ravel()]
    column = [classes.index(label) for label in model.labels_]  # label index -> row of `weights`
    pair = isinstance(normalized[0], tuple)
    norm = model.normalize.build()
    out = []
    for i, (raw, done) in enumerate(zip(inputs, normalized)):
        row = matrix[i]
        if pair:
            words = {"claim": aligned_words(raw[0], norm, done[0], lower=True),
                     "text": aligned_words(raw[1], norm, done[1], lower=True)}
            shares = _pair_shares(features, row, words)
        else:
            words = {"text": aligned_words(raw, norm, done)}
            shares = _topic_shares(features, row, words["text"])
        spans = word_spans(words)
        explained = []
        for k in chosen[i]:
            c = column[k]
            contrib = weights[c, row.indices] * row.data
            score = float(intercepts[c] + contrib.sum())
            word_weights, signals, unassigned = shares(contrib)
            if prior_columns is not None:
                signals = sorted(signals + _prior_signals(prior, prior_columns[i], weights[c, matrix.shape[1]:]),
                                 key=lambda s: -abs(s["weight"]))
                score += sum(s["weight"] for s in signals if s["signal"].startswith("prior: "))
            if latent_columns is not None:
                latent = latent_columns[i] @ weights[c, -latent_columns.shape[1]:]
                signals = sorted(signals + [{"signal": LATENT_SIGNAL, "name": LATENT_SIGNAL, "value": 1.0,
                                             "weight": float(latent), "spans": []}], key=lambda s: -abs(s["weight"]))
                score += float(latent)
            entry = label_explanation(model.labels_[k], proba[i, k], score, float(intercepts[c]),
                                      word_weights, spans, top, signals[:top], unassigned)
            if pair:  # the article sentence whose words pushed this label's score most
                entry["sentence"] = deciding_sentence(raw[1], word_weights, spans)
            explained.append(entry)
        best = int(np.argmax(proba[i]))
        out.append({"label": model.labels_[best], "probability": float(proba[i, best]),
                    "method": METHOD_STANCE if pair else METHOD_TOPIC, "explained": explained})
    return out


def _prior_signals(prior, values: np.ndarray, weights: np.ndarray) -> list[dict]:
    """The prior model's columns (see `prior.py`) as named signals: what its opinion added to the score."""
    return [{"signal": name, "name": name, "value": round(float(v), 6), "weight": float(v * w), "spans": []}
            for name, v, w in zip(prior.names(), values, weights)]


def _linear(model) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, intercepts) with one row per class of the classifier, in `classes_` order."""
    classifier = model.pipeline_.steps[-1][1]
    if isinstance(classifier, (TemperatureScaled, LabelSetProbabilities)):
        classifier = classifier.classifier
    if hasattr(classifier, "estimators_"):  # one-vs-rest (multi-label): one binary model per label
        rows = [_linear_of(est) for est in classifier.estimators_]
        return np.vstack([r[0][-1:] for r in rows]), np.concatenate([r[1][-1:] for r in rows])
    return _linear_of(classifier)


def _linear_of(classifier) -> tuple[np.ndarray, np.ndarray]:
    coef = np.asarray(classifier.coef_.toarray() if hasattr(classifier.coef_, "toarray") else classifier.coef_,
                      dtype=np.float64)
    intercept = np.atleast_1d(np.asarray(classifier.intercept_, dtype=np.float64))
    if coef.shape[0] == 1:  # two classes: one score s, +s for classes_[1], -s for classes_[0]
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return coef, intercept


#: fitted vectorizer -> its column names (scikit-learn sorts the vocabulary for each call): built once
_NAMES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _names(owner, build) -> np.ndarray:
    names = _NAMES.get(owner)
    if names is None:
        names = _NAMES[owner] = build()
    return names


def _column_names(vectorizer) -> np.ndarray:
    return _names(vectorizer, vectorizer.get_feature_names_out)


def _known_words(features) -> np.ndarray:
    """Column -> word of a `WordCharTfidf`'s single-word block."""
    def build():
        words = np.empty(len(features.word_index_), dtype=object)
        for word, j in features.word_index_.items():
            words[j] = word
        return words
    return _names(features, build)


# -- topic ----------------------------------------------------------------------------------------
def _topic_shares(features, row, found):
    """A function from the row's contributions to (word weights, signals, unassigned), built once
    per article: which word gets which part of each column's contribution."""
    tokens = [word for word, _, _, _ in found]
    counts = Counter(tokens)
    n_words = len(getattr(features, "word_index_", {}))
    word_block = 0
    long_vocab = {}
    if features.word_ngrams:
        if features.word_ngrams[0] == 1:
            word_block += n_words
        if features.word_ngrams[1] > 1:
            long_vocab = features.long_ngrams_.vocabulary_
            word_block += len(long_vocab)
    known = _known_words(features) if features.word_ngrams and features.word_ngrams[0] == 1 else []
    long_start = n_words if features.word_ngrams and features.word_ngrams[0] == 1 else 0
    long_terms = _column_names(features.long_ngrams_) if long_vocab else []
    char_grams = {}
    if features.char_ngrams:
        analyzer = features.char_vectorizer_.build_analyzer()
        char_terms = _column_names(features.char_vectorizer_)
        grams_of = {word: Counter(analyzer(word)) for word in counts}
        by_gram: dict = defaultdict(list)
        for word, grams in grams_of.items():
            for gram, n in grams.items():
                by_gram[gram].append((word, n * counts[word]))
        char_grams = {"terms": char_terms, "by_gram": by_gram}

    # each column of the row -> [(word, share)] with shares adding up to 1
    ngrams = _Ngrams(tokens)
    plan = []
    for j in row.indices:
        j = int(j)
        if j < long_start:
            word = known[j]
            plan.append([(word, 1.0)] if word in counts else [])
        elif j < word_block:
            plan.append(_ngram_words(str(long_terms[j - long_start]), ngrams))
        elif char_grams:
            holders = char_grams["by_gram"].get(char_grams["terms"][j - word_block], [])
            total = sum(n for _, n in holders)
            plan.append([(word, n / total) for word, n in holders] if total else [])
        else:
            plan.append([])

    def shares(contrib):
        weights: dict = defaultdict(float)
        unassigned = 0.0
        for value, owners in zip(contrib, plan):
            if not owners:
                unassigned += value
            for word, share in owners:
                weights[("text", word)] += value * share
        return in_text_order(weights, {"text": found}), [], float(unassigned)

    return shares


class _Ngrams:
    """Where each word n-gram of `tokens` starts: one pass per n-gram length, on first need."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.starts: dict = {}
        self.done: set = set()

    def find(self, term: str) -> list[int]:
        n = term.count(" ") + 1
        if n not in self.done:
            self.done.add(n)
            for i in range(len(self.tokens) - n + 1):
                self.starts.setdefault(" ".join(self.tokens[i:i + n]), []).append(i)
        return self.starts.get(term, [])


def _ngram_words(term: str, ngrams: _Ngrams) -> list[tuple[str, float]]:
    """The words of a word n-gram's occurrences, each with its equal share."""
    tokens = ngrams.tokens
    n = term.count(" ") + 1
    hits = ngrams.find(term)
    if not hits:
        return []
    share: dict = defaultdict(float)
    for i in hits:
        for word in tokens[i:i + n]:
            share[word] += 1.0 / (n * len(hits))
    return list(share.items())


# -- stance ---------------------------------------------------------------------------------------
#: PairFeatures' word blocks in column order: (fitted attribute, how its terms map to words)
_PAIR_BLOCKS = (
    ("vectorizer_", "text_ngrams"),
    ("added_vectorizer_", "text_words"),
    ("dropped_vectorizer_", "claim_words"),
    ("changed_chars_", "added_chars"),
    ("changed_chars_", "dropped_chars"),
    ("swaps_", "swap"),
    ("lone_added_", "text_stems"),
    ("lone_dropped_", "claim_stems"),
    ("lone_swaps_", "stem_swap"),
    ("changed_", "either_words"),
    ("pair_swaps_", "either_pair"),
)


def pair_layout(features) -> list[tuple[str, int, int]]:
    """(mapping, first column, end column) of every block of a fitted `PairFeatures`, the dense
    block last (as "dense"), the sentence-encoder columns before it (as "encoder") when there are."""
    layout, at = [], 0
    for attribute, how in _PAIR_BLOCKS:
        width = len(getattr(features, attribute).vocabulary_)
        layout.append((how, at, at + width))
        at += width
    if getattr(features, "encoder", None):
        width = len(features.encoded_mean_)
        layout.append(("encoder", at, at + width))
        at += width
    layout.append(("dense", at, at + len(features.dense_mean_)))
    return layout


class _PairOwners:
    """Which words of one (claim, text) pair a column of the pair features reads, each with its
    share of the column: the seam between a column's weight and the words it is shown on. The
    lookups that need a pass over the words (character n-grams, light stems) are built once, on
    first use, and kept for the other columns of the same pair.
    """

    def __init__(self, features, words):
        self.claim = [w for w, _, _, _ in words["claim"]]
        self.text = [w for w, _, _, _ in words["text"]]
        self.claim_set, self.text_set = set(self.claim), set(self.text)
        self.char_analyzer = (features.changed_chars_.build_analyzer() if hasattr(features, "changed_chars_")
                              else None)
        self.added_words = [w for w in dict.fromkeys(self.text) if w not in self.claim_set]
        self.dropped_words = [w for w in dict.fromkeys(self.claim) if w not in self.text_set]
        self.text_counts, self.claim_counts = Counter(self.text), Counter(self.claim)
        self.text_ngrams = _Ngrams(self.text)
        self.holders_of: dict = {}  # (part, n-gram) -> [(word, times the n-gram occurs with it)]
        self.stem_words: dict = {}  # part -> light stem -> the distinct words with that stem

    def of(self, how: str, term: str) -> list:
        """[((part, word), share)] for the column of block `how` named `term`, words of the pair only."""
        owners: list = []
        if how == "text_ngrams":
            owners = [(("text", w), s) for w, s in _ngram_words(term, self.text_ngrams)]
        elif how == "text_words":
            owners = [(("text", term), 1.0)] if term in self.text_set else []
        elif how == "claim_words":
            owners = [(("claim", term), 1.0)] if term in self.claim_set else []
        elif how == "added_chars":
            owners = self.chars(term, self.added_words, self.text_counts, "text")
        elif how == "dropped_chars":
            owners = self.chars(term, self.dropped_words, self.claim_counts, "claim")
        elif how in ("swap", "stem_swap"):
            dropped, _, added = term.partition(">")
            if how == "swap":
                owners = [(("claim", dropped), 0.5), (("text", added), 0.5)]
            else:
                owners = [(k, s / 2) for k, s in self.stems(dropped, self.claim, "claim")
                          + self.stems(added, self.text, "text")]
        elif how == "text_stems":
            owners = self.stems(term, self.text, "text")
        elif how == "claim_stems":
            owners = self.stems(term, self.claim, "claim")
        elif how == "either_words":
            owners = [(self.side(term), 1.0)]
        elif how == "either_pair":
            first, _, second = term.partition("|")
            owners = [(self.side(first), 0.5), (self.side(second), 0.5)]
        return [(key, s) for key, s in owners if key[1] in (self.claim_set if key[0] == "claim" else self.text_set)]

    def chars(self, gram, candidates, counts, part):
        """The words of `candidates` holding the character n-gram `gram`, shared by occurrences."""
        holders_of = self.holders_of
        if part not in {p for p, _ in holders_of}:
            holders_of[(part, None)] = []
            for w in candidates:
                for g, n in Counter(self.char_analyzer(w)).items():
                    holders_of.setdefault((part, g), []).append((w, n * counts[w]))
        holders = holders_of.get((part, gram), [])
        total = sum(n for _, n in holders)
        return [((part, w), n / total) for w, n in holders] if total else []

    def side(self, word):
        """A changed word's place: dropped from the claim, or added by the text."""
        return ("claim", word) if word in self.claim_set and word not in self.text_set else ("text", word)

    def stems(self, stem, found, part):
        """The distinct words of `found` with light stem `stem`, sharing equally."""
        if part not in self.stem_words:
            self.stem_words[part] = defaultdict(list)
            for w in dict.fromkeys(found):
                self.stem_words[part][light_stem(w)].append(w)
        holders = self.stem_words[part].get(stem, [])
        return [((part, w), 1.0 / len(holders)) for w in holders]


def _pair_shares(features, row, words):
    """For one pair's feature `row`: a function from the columns' contributions to one class to
    (word weights in text order, dense signals, the weight of no word); which words own each
    column is worked out once here, for every class."""
    columns = features.dense_columns
    owners_of = _PairOwners(features, words)
    layout = pair_layout(features)
    width = layout[-1][2]
    if width != row.shape[1]:  # features of another shape than this module knows: the dense block only
        layout = [("dense", row.shape[1] - len(columns), row.shape[1])]

    plan, dense = [], {}
    for j in row.indices:
        j = int(j)
        block = next(((how, lo) for how, lo, hi in layout if lo <= j < hi), None)
        if block is None:
            plan.append([])
            continue
        how, lo = block
        if how == "dense":
            dense[j] = j - lo
            plan.append(None)
            continue
        if how == "encoder":
            plan.append("encoder")
            continue
        index = next(i for i, (_, mapping) in enumerate(_PAIR_BLOCKS) if mapping == how)
        term = str(_column_names(getattr(features, _PAIR_BLOCKS[index][0]))[j - lo])
        plan.append(owners_of.of(how, term))

    dense_spans = _signal_spans(words, owners_of.claim_set, owners_of.text_set)

    def shares(contrib):
        weights: dict = defaultdict(float)
        signals, unassigned, encoder = [], 0.0, 0.0
        for j, value, owners in zip(row.indices, contrib, plan):
            if owners is None:
                column = dense[int(j)]
                name = columns[column] if column < len(columns) else f"dense_{column}"
                raw = float(row[0, int(j)] * features.dense_scale_[column] + features.dense_mean_[column])
                signals.append({"signal": name, "name": SIGNAL_NAMES.get(name, name), "value": round(raw, 6),
                                "weight": float(value), "spans": dense_spans(name)})
            elif owners == "encoder":
                encoder += value
            elif not owners:
                unassigned += value
            else:
                for key, share in owners:
                    weights[key] += value * share
        if encoder:
            signals.append({"signal": "encoder", "name": ENCODER_SIGNAL, "value": None, "weight": float(encoder),
                            "spans": []})
        signals.sort(key=lambda s: -abs(s["weight"]))
        return in_text_order(weights, words), signals, float(unassigned)

    return shares


def _signal_spans(words, claim_set, text_set):
    """A function from a dense column's name to the spans of the words it reads (cue words,
    numbers, dates), each as {"part", "start", "end"}."""

    def where(part, test):
        return [{"part": part, "start": span[0], "end": span[1]}
                for word, _, _, span in words[part] if span is not None and test(word)]

    def cues(bit):
        return lambda word: bool(cue_kind(word) & bit)

    claim_numbers = {w for w in claim_set if is_number(w)}
    text_numbers = {w for w in text_set if is_number(w)}

    def spans(name):
        if name.startswith(("negation", "more_negation")):
            part = "claim" if name.endswith("_claim") else "text"
            return where(part, cues(_NEGATION))
        if name.startswith(("refutation", "more_refutation")):
            part = "claim" if name.endswith("_claim") else "text"
            return where(part, cues(_REFUTATION))
        if name == "claim_number_dropped":
            return where("claim", lambda w: w in claim_numbers - text_numbers)
        if name == "text_number_added":
            return where("text", lambda w: w in text_numbers - claim_numbers)
        if name in ("number_shared", "claim_numbers_found"):
            shared = claim_numbers & text_numbers
            return where("claim", shared.__contains__) + where("text", shared.__contains__)
        if name.startswith("date") or name == "claim_has_date":
            return where("claim", lambda w: bool(date_word(w))) + (
                where("text", lambda w: bool(date_word(w))) if name != "claim_has_date" else [])
        if name == "claim_has_number":
            return where("claim", claim_numbers.__contains__)
        return []

    return spans
