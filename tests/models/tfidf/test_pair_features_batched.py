"""The batched stance pair features equal a straightforward per-pair computation.

`reference_rows` below is the slow, obvious way: one pair at a time, the article's sentences
through their own `transform`, the best sentences by sorting, and the "similar stem" test as the
Python double loop of Dice overlaps over character bigrams. It lives here, not in src: the batched
code in `khabar.models.tfidf.pair_features` must give the same matrix on the embedded sample.
"""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from khabar.normalize import build_normalizer
from khabar.models.tfidf.pair_features import DENSE_COLUMNS, PairFeatures, lone_flags
from khabar.models.tfidf.text_signals import (
    cue_counts, date_word, is_number, light_stem, sentences, tokens,
)

ROOT = Path(__file__).resolve().parents[3]
COL = {name: i for i, name in enumerate(DENSE_COLUMNS)}


# -- the slow reference ----------------------------------------------------------------------------
def _bigrams(word):
    padded = f" {word} "
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


def _similar(a, b, threshold=0.5):
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) >= threshold * (len(x) + len(y))


def _stem_weights(words, idf, unseen):
    out = {}
    for w in dict.fromkeys(words):  # stems in the order their words first appear
        out[light_stem(w)] = max(out.get(light_stem(w), 0.0), idf.get(w, unseen))
    return out


def reference_rows(features: PairFeatures, claim: str, text: str):
    """(dense row, added, dropped, lone added, lone dropped) of one pair, computed the plain way."""
    vec = features.vectorizer_
    idf = {t: vec.idf_[i] for t, i in vec.vocabulary_.items() if " " not in t}
    unseen = vec.idf_.max()
    c, t = vec.transform([claim]), vec.transform([text])
    cosine = c.multiply(t).sum()
    parts = sentences(text)
    sims = np.asarray(vec.transform(parts).multiply(c).sum(axis=1)).ravel() if parts else np.zeros(0)
    k = features.best_sentences
    order = sorted(range(len(parts)), key=lambda j: (-sims[j], j))
    best_max = sims[order[0]] if parts else 0.0
    best_mean = float(np.mean([sims[j] for j in order[:k]])) if parts else 0.0
    best_pos = order[0] / max(1, len(parts) - 1) if parts else 0.0
    lead = max([0.0] + [sims[j] for j in range(min(len(parts), features.lead_sentences))])
    claim_words, whole_words = tokens(claim), tokens(text)
    focus_words = whole_words if len(parts) <= k else tokens(" ".join(parts[j] for j in sorted(order[:k])))
    best_words = tokens(parts[order[0]]) if len(parts) > 1 else focus_words
    cs, fs, ws = set(claim_words), set(focus_words), set(whole_words)
    added = " ".join(w for w in focus_words if w not in cs)
    dropped = " ".join(w for w in claim_words if w not in fs)

    claim_w, focus_w = _stem_weights(claim_words, idf, unseen), _stem_weights(focus_words, idf, unseen)
    drop_stems = [s for s in claim_w if s not in focus_w]
    add_stems = [s for s in focus_w if s not in claim_w]
    lone_d = [d for d in drop_stems if not any(_similar(d, a) for a in add_stems)]
    lone_a = [a for a in add_stems if not any(_similar(d, a) for d in drop_stems)]
    claim_numbers = {w for w in claim_words if is_number(w)}
    focus_numbers = {w for w in focus_words if is_number(w)}
    neg_c, ref_c = cue_counts(claim_words)
    neg_f, ref_f = cue_counts(focus_words)
    neg_b, ref_b = cue_counts(best_words)
    claim_dates = {date_word(w) for w in cs} - {None}
    focus_dates = {date_word(w) for w in fs} - {None}
    weight = sum(idf.get(w, unseen) for w in cs)
    row = dict(
        cosine=cosine, best_max=best_max, best_mean=best_mean,
        overlap=len(cs & fs) / max(1, len(cs | fs)), claim_cover=len(cs & fs) / max(1, len(cs)),
        length_ratio=np.log1p(len(whole_words)) - np.log1p(len(claim_words)),
        negation_claim=neg_c, negation_text=neg_f, negation_diff=neg_f - neg_c,
        refutation_claim=ref_c, refutation_text=ref_f, refutation_diff=ref_f - ref_c,
        more_negation=float(neg_f > neg_c), more_refutation=float(ref_f > ref_c),
        lone_dropped=len(lone_d), lone_added=len(lone_a),
        lone_dropped_share=len(lone_d) / max(1, len(claim_w)), lone_added_share=len(lone_a) / max(1, len(focus_w)),
        stem_jaccard=len(set(claim_w) & set(focus_w)) / max(1, len(set(claim_w) | set(focus_w))),
        claim_number_dropped=float(bool(claim_numbers - focus_numbers)),
        text_number_added=float(bool(focus_numbers - claim_numbers)),
        number_shared=float(bool(claim_numbers & focus_numbers)),
        lead_max=lead, claim_cover_whole=len(cs & ws) / max(1, len(cs)),
        idf_cover=sum(idf.get(w, unseen) for w in cs & fs) / max(weight, 1e-9),
        idf_cover_whole=sum(idf.get(w, unseen) for w in cs & ws) / max(weight, 1e-9),
        idf_lone_dropped_share=sum(claim_w[s] for s in lone_d) / max(sum(claim_w.values()), 1e-9),
        idf_lone_dropped_max=max([0.0] + [claim_w[s] for s in lone_d]) / unseen,
        idf_lone_added_share=sum(focus_w[s] for s in lone_a) / max(sum(focus_w.values()), 1e-9),
        claim_numbers_found=len(claim_numbers & ws) / max(1, len(claim_numbers)),
        claim_has_number=float(bool(claim_numbers)), claim_has_date=float(bool(claim_dates)),
        date_match=float(bool(claim_dates & focus_dates)),
        date_conflict=float(bool(claim_dates) and bool(focus_dates) and not claim_dates & focus_dates),
        best_position=best_pos, log_sentences=np.log1p(len(parts)), negation_best=neg_b, refutation_best=ref_b,
    )
    assert set(row) == set(DENSE_COLUMNS)
    return np.array([row[name] for name in DENSE_COLUMNS], dtype=float), added, dropped, " ".join(lone_a), " ".join(lone_d)


def reference_matrix(features: PairFeatures, pairs) -> sp.csr_matrix:
    rows = [reference_rows(features, c, t) for c, t in pairs]
    dense = (np.vstack([r[0] for r in rows]) - features.dense_mean_) / features.dense_scale_
    texts = [text for _, text in pairs]
    add, drop, lone_add, lone_drop = ([r[i] for r in rows] for i in range(1, 5))

    def swaps(drops, adds):
        return [" ".join(f"{d}>{a}" for d in dr.split()[:6] for a in ad.split()[:6]) for dr, ad in zip(drops, adds)]

    # each block is one vectorizer's transform of every pair's string: a TF-IDF transform makes and
    # normalizes each row from its own document alone, so this equals stacking one call per pair
    # (which took most of this test's time)
    blocks = [
        features.vectorizer_.transform(texts),
        features.added_vectorizer_.transform(add),
        features.dropped_vectorizer_.transform(drop),
        features.changed_chars_.transform(add),
        features.changed_chars_.transform(drop),
        features.swaps_.transform(swaps(drop, add)),
        features.lone_added_.transform(lone_add),
        features.lone_dropped_.transform(lone_drop),
        features.lone_swaps_.transform(swaps(lone_drop, lone_add)),
        features.changed_.transform([f"{a} {d}" for a, d in zip(add, drop)]),
        features.pair_swaps_.transform([" ".join("|".join(sorted((d, a))) for d in dr.split()[:6] for a in ad.split()[:6])
                                        for dr, ad in zip(drop, add)]),
    ]
    return sp.hstack([*blocks, sp.csr_matrix(dense)]).tocsr()


# -- the sample ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_pairs():
    norm = build_normalizer("standard")
    rows = [json.loads(line) for line in (ROOT / "data" / "sample" / "stance.jsonl").read_text("utf-8").splitlines()]
    return [(norm(r["claim"]), norm(r["text"])) for r in rows]


UNPUNCTUATED = " ".join(["قال المتحدث باسم الوزارة إن الاجتماع سيعقد الأسبوع المقبل في العاصمة"] * 25)  # ~1,700 chars


@pytest.mark.parametrize("best_sentences, ngram_range", [(1, (1, 2)), (3, (1, 2)), (2, (1, 3))])
def test_batched_features_equal_the_per_pair_computation(sample_pairs, best_sentences, ngram_range):
    train = sample_pairs[:120] + [("الاجتماع الأسبوع المقبل", UNPUNCTUATED)]
    rest = sample_pairs[120:] + [("الوزارة تنفي عقد الاجتماع", UNPUNCTUATED + ". لا اجتماع")]
    assert len(sentences(UNPUNCTUATED)) > 3  # cut at spaces: crossing n-grams on every cut
    features = PairFeatures(ngram_range=ngram_range, best_sentences=best_sentences, chunk_size=16)
    fitted = features.fit_transform(train)
    assert any(len(sentences(t)) > best_sentences for _, t in rest)  # the focus path is exercised
    for pairs, batched in ((train, fitted), (rest, features.transform(rest))):
        expected = reference_matrix(features, pairs)
        assert batched.shape == expected.shape
        np.testing.assert_allclose(batched.toarray(), expected.toarray(), rtol=1e-9, atol=1e-9)


def test_chunk_size_changes_nothing(sample_pairs):
    small = PairFeatures(chunk_size=7).fit(sample_pairs)
    large = PairFeatures(chunk_size=10_000).fit(sample_pairs)
    a, b = small.transform(sample_pairs), large.transform(sample_pairs)
    np.testing.assert_allclose(a.toarray(), b.toarray(), rtol=1e-12, atol=1e-12)
    blocks = list(small.transform_chunks(iter(sample_pairs)))
    assert [blk.shape[0] for blk in blocks[:-1]] == [7] * (len(blocks) - 1)
    np.testing.assert_allclose(sp.vstack(blocks).toarray(), a.toarray(), rtol=1e-12, atol=1e-12)


def test_lone_flags_equal_the_double_loop():
    rng = random.Random(3)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    stems = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 6))) for _ in range(60)]
    stems += ["ارتفاع", "يرتفع", "الدولار", "اليورو", "45", "50"]
    dropped, added = [], []
    for _ in range(40):
        d = list(dict.fromkeys(rng.sample(stems, rng.randint(0, 6))))
        a = [s for s in dict.fromkeys(rng.sample(stems, rng.randint(0, 12))) if s not in d]
        dropped.append(d)
        added.append(a)
    d_lone, a_lone = lone_flags(dropped, added)
    expect_d = [not any(_similar(x, y) for y in a) for d, a in zip(dropped, added) for x in d]
    expect_a = [not any(_similar(x, y) for x in d) for d, a in zip(dropped, added) for y in a]
    assert d_lone.tolist() == expect_d and a_lone.tolist() == expect_a
    assert lone_flags([["تراجع"]], [["تراجعت"]])[0].tolist() == [False]
    assert lone_flags([["الدولار"]], [["اليورو"]])[0].tolist() == [True]
    assert [x.tolist() for x in lone_flags([[], ["ا"]], [[], []])] == [[True], []]


def test_cues_count_near_the_best_sentences_not_anywhere():
    claim = "الحكومة ترفع أسعار الوقود"
    filler = ". ".join(f"افتتح المهرجان الدولي للفيلم دورته رقم {i} بحضور الفنانين" for i in range(20))
    near = f"{filler}. الحكومة تنفي رفع أسعار الوقود وتصفه بالشائعة. {filler}"
    far = f"أثارت شائعة كاذبة جدلا واسعا. {filler}. الحكومة تعلن رفع أسعار الوقود اليوم. {filler}"
    features = PairFeatures(best_sentences=1).fit([(claim, near), (claim, far)])
    dense = features._dense([claim, claim], [near, far])
    assert dense[0, COL["refutation_text"]] > 0 and dense[1, COL["refutation_text"]] == 0
    added, dropped = features._differences([claim], [far])
    assert added[0].split() == ["تعلن", "رفع", "اليوم"]
    assert dropped[0].split() == ["ترفع"]


def test_long_text_focus_stays_small():
    claim = "ارتفاع أسعار النفط بعد قرار أوبك"
    sentence = "قالت الوكالة إن الطلب على الخام سيتراجع في الربع المقبل بسبب ضعف النمو"
    long_text = ". ".join(f"{sentence} {i}" for i in range(400))  # ~30,000 characters
    features = PairFeatures().fit([(claim, long_text), (claim, "ارتفاع أسعار النفط")])
    added, _ = features._differences([claim], [long_text])
    assert len(added[0].split()) < 60  # the focus (3 sentences), not the 5,000 words of the text
    dense = features._dense([claim], [long_text])
    assert dense[0, COL["log_sentences"]] == pytest.approx(np.log1p(400))


def test_numbers_and_dates_agree_or_conflict():
    claim = "الانتخابات البلدية في 6 مايو 2018"
    pairs = [(claim, "الانتخابات البلدية يوم 6 مايو 2018"), (claim, "الانتخابات البلدية في 12 يونيو 2019")]
    features = PairFeatures().fit(pairs)
    dense = features._dense(*features._split(pairs))
    assert dense[0, COL["date_match"]] == 1 and dense[0, COL["date_conflict"]] == 0
    assert dense[1, COL["date_match"]] == 0 and dense[1, COL["date_conflict"]] == 1
    assert dense[0, COL["claim_numbers_found"]] == 1 and dense[1, COL["claim_numbers_found"]] == 0
    assert dense[1, COL["claim_number_dropped"]] == 1


def test_state_round_trip_gives_the_same_features(sample_pairs):
    features = PairFeatures().fit(sample_pairs)
    before = features.transform(sample_pairs[:20])
    restored = pickle.loads(pickle.dumps(features))
    assert "_idf_lookup" not in restored.__dict__
    np.testing.assert_allclose(restored.transform(sample_pairs[:20]).toarray(), before.toarray())


def test_empty_inputs_and_texts():
    features = PairFeatures().fit([("خبر عاجل", "خبر عاجل اليوم"), ("خبر", "")])
    assert features.transform([]).shape[0] == 0
    out = features.transform([("خبر", ""), ("", "نص")])
    assert out.shape[0] == 2 and np.all(np.isfinite(out.toarray()))


def test_the_stance_params_reach_the_pair_features():
    from khabar.config import NormalizeConfig
    from khabar.models.tfidf.model import TfidfModel
    from khabar.models.tfidf.params import SeedOnlyTrain, TfidfParams

    params = TfidfParams(best_sentences=2, lead_sentences=1, encoder="use")
    features = TfidfModel("stance", params, SeedOnlyTrain(), NormalizeConfig())._features()
    assert (features.best_sentences, features.lead_sentences, features.encoder) == (2, 1, "use")
