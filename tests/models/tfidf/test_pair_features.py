"""khabar.models.tfidf.pair_features: what relates a claim to a text, as features.

The dense block is the last columns of `transform`, standardized with the fitted `dense_mean_`
and `dense_scale_`; `dense()` below undoes that. Its first columns, in order: cosine, best_max,
best_mean, overlap, claim_cover, length_ratio, negation (claim, text, diff), refutation (claim,
text, diff), more_negation, more_refutation, then content change: lone_dropped, lone_added, ...
"""

from __future__ import annotations

import numpy as np

from khabar.models.tfidf.pair_features import PairFeatures, light_stem

COSINE, REFUTATION_TEXT, LONE_DROPPED = 0, 10, 14
PAIRS = [("الحكومة ترفع أسعار الوقود", "الحكومة ترفع أسعار الوقود اليوم"),
         ("الحكومة ترفع أسعار الوقود", "الحكومة تنفي رفع أسعار الوقود وتصفه بالشائعة")]


def dense(features: PairFeatures, pairs) -> np.ndarray:
    """The raw dense columns of `pairs` (before standardization)."""
    width = len(features.dense_mean_)
    block = features.transform(pairs)[:, -width:].toarray()
    return block * features.dense_scale_ + features.dense_mean_


def test_pair_features_see_similarity_and_refutation():
    features = PairFeatures().fit(PAIRS)
    scores = dense(features, PAIRS)
    assert scores[0, COSINE] > scores[1, COSINE]
    assert scores[1, REFUTATION_TEXT] > scores[0, REFUTATION_TEXT] == 0
    same = dense(features, [("الحكومة ترفع أسعار الوقود", "الحكومة ترفع أسعار الوقود")])
    assert same[0, COSINE] > 0.99


def test_a_changed_content_word_counts_and_a_paraphrase_does_not():
    pairs = [("الاسعار ترتفع في السوق", "ارتفاع الاسعار في السوق"),     # a relative of the verb: reworded
             ("الاتفاق مع الدولار في السوق", "الخلاف مع اليورو في السوق")]  # strangers: changed content
    features = PairFeatures().fit(pairs)
    scores = dense(features, pairs)
    assert scores[1, LONE_DROPPED] > scores[0, LONE_DROPPED]


def test_transform_gives_one_sparse_row_per_pair_and_is_deterministic():
    features = PairFeatures(ngram_range=(1, 2)).fit(PAIRS)
    one, two = features.transform(PAIRS), features.transform(PAIRS)
    assert one.shape[0] == 2 and one.format == "csr"
    assert (one != two).nnz == 0
    unseen = features.transform([("خبر جديد تماما", "نص لم يره النموذج قط")])
    assert unseen.shape == (1, one.shape[1]) and np.isfinite(unseen.toarray()).all()
    assert np.allclose(features.fit_transform(PAIRS).toarray(), one.toarray())


def test_light_stem_strips_one_clitic_and_one_suffix():
    assert light_stem("والاسعار") == "اسعار"
    assert light_stem("بالشائعات") == "شائع"
    assert light_stem("ولد") == "ولد"  # never below three letters
