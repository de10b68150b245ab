"""Cues of how an article holds a claim: reporting it, hedging it, refuting it.

In claim-article stance (fact-checking: a claim and a whole article retrieved for it) the words
that say *whether* the article takes the claim as true are few and generic: an article that
agrees asserts the claim's content; one that discusses it attributes it (قال، أفاد، ذكر، وفقا ل،
نقلا عن، بحسب، مصادر، أنباء، تقارير) or hedges (ربما، يعتقد، يرجح، قيل); one that disagrees
puts a refutation or a negation beside the claim's content words (نفى، ينفي، تكذيب، غير صحيح، لا
أساس، شائعات، مفبرك، عار عن الصحة). These cues do not depend on the claim's topic, so they carry
over to claims never seen in training, which topic words do not.

`cue_columns` reads them at three scales: the sentence most similar to the claim, the best
`best_sentences`, the whole article; and in the sentences that hold at least half the claim's
stems ("near the claim's content words"). `CUE_COLUMNS` names the columns, in order.
"""

from __future__ import annotations

import numpy as np

from .text_signals import NEGATION_CUES, PREFIXES, REFUTATION_CUES, spellings, light_stem

__all__ = ["REPORTING_CUES", "HEDGE_CUES", "DENIAL_CUES", "CUE_COLUMNS", "cue_columns", "cue_flags"]

REPORTING_CUES = spellings(
    "قال قالت يقول تقول أفاد أفادت يفيد ذكر ذكرت يذكر أضاف أضافت يضيف أعلن أعلنت يعلن أشار أشارت "
    "وفقا وفق نقلا نقل نقلت بحسب حسب زعم زعمت يزعم يزعمون يُزعم مصادر مصدر أنباء تقارير تقرير روايات "
    "رواية وكالة مراسل صرح صرحت تصريح تصريحات أوضح أوضحت اعتبر اعتبرت"
)
HEDGE_CUES = spellings(
    "ربما قد يبدو محتمل محتملة يحتمل احتمال يعتقد يُعتقد يرجح مرجح مزعوم مزعومة يشتبه مشتبه قيل "
    "ترددت تردد تداول تداولت متداولة إمكانية"
)
#: refutation proper, beyond `REFUTATION_CUES`: what fact-checks and denials say
DENIAL_CUES = REFUTATION_CUES | spellings(
    "نفت تنفي نفى ينفي نافيا نافية تكذيب كذبت مفبرك مفبركة مفبركا عار عارية ملفق ملفقة فبركة إشاعة "
    "شائعات دحض يدحض مغلوط مغلوطة أكاذيب كاذبة كاذب"
)
REPORTING, HEDGE, DENIAL, NEGATION = 1, 2, 4, 8
_KINDS = ((REPORTING, REPORTING_CUES), (HEDGE, HEDGE_CUES), (DENIAL, DENIAL_CUES), (NEGATION, NEGATION_CUES))
_flags: dict = {}

_SCALES = ("best", "focus", "whole")
_RATES = ("reporting", "hedge", "denial", "negation")
CUE_COLUMNS = tuple(
    [f"{kind}_{scale}" for scale in _SCALES for kind in _RATES]
    + ["near_sentences", "near_share", "near_cover_max", "denial_near", "reporting_near", "hedge_near",
       "denial_near_share", "reporting_near_share", "hedge_near_share"]
)


def cue_flags(word: str) -> int:
    """REPORTING | HEDGE | DENIAL | NEGATION bits of a (lower-cased, normalized) word, with any
    one clitic prefix allowed ("وبحسب", "بالشائعات")."""
    flags = _flags.get(word)
    if flags is None:
        if len(_flags) >= 500_000:
            _flags.clear()
        flags = 0
        for bit, words in _KINDS:
            if word in words or any(word.startswith(p) and word[len(p):] in words for p in PREFIXES):
                flags |= bit
        _flags[word] = flags
    return flags


def _rates(sentence_words, which) -> list[float]:
    """Cues of each kind per 10 words over the sentences `which`."""
    counts = [0, 0, 0, 0]
    total = 0
    for j in which:
        total += len(sentence_words[j])
        for word in sentence_words[j]:
            flags = cue_flags(word)
            if flags:
                for k, (bit, _) in enumerate(_KINDS):
                    counts[k] += bool(flags & bit)
    return [10.0 * c / max(1, total) for c in counts]


def cue_columns(claim_words: list[str], sentence_words: list[list[str]], similarity: np.ndarray,
                best_sentences: int) -> list[float]:
    """The `CUE_COLUMNS` of one pair: the claim's words, the article's sentences as word lists
    and each sentence's similarity to the claim."""
    n = len(sentence_words)
    if n == 0:
        return [0.0] * len(CUE_COLUMNS)
    order = np.argsort(-np.asarray(similarity, dtype=float), kind="stable")
    row = _rates(sentence_words, order[:1]) + _rates(sentence_words, order[:best_sentences]) \
        + _rates(sentence_words, range(n))
    claim_stems = {light_stem(w) for w in claim_words if len(w) > 2}
    cover = np.array([len(claim_stems & {light_stem(w) for w in words}) / max(1, len(claim_stems))
                      for words in sentence_words])
    near = np.flatnonzero(cover >= 0.5)

    def holding(bits):
        return sum(any(cue_flags(w) & bits for w in sentence_words[j]) for j in near)

    denial, reporting, hedge = holding(DENIAL | NEGATION), holding(REPORTING), holding(HEDGE)
    share = max(1, len(near))
    return row + [np.log1p(len(near)), len(near) / n, float(cover.max()), np.log1p(denial), np.log1p(reporting),
                  np.log1p(hedge), denial / share, reporting / share, hedge / share]
