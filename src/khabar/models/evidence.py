"""Explanations' common ground: the words of the original text, aligned with the normalized text
the model read, and the shape of one explained label.

Why apart: every kind's `explain` reports words with their spans in the text the user sent (not
the normalized text), so a page can highlight them; the alignment and the evidence lists are the
same whatever decomposes the score (linear weights, integrated gradients).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from typing import Callable, Optional, Sequence

#: a word, as the TF-IDF features and the explanations count words
WORD = re.compile(r"\w+")
#: characters that belong to the word they are in although `\w` does not match them: diacritics
#: and other combining marks, zero-width joiners and other format characters
_JOINED = frozenset(("Mn", "Mc", "Me", "Cf"))
#: a word found in the text, with its place in the normalized text and its span in the original
AlignedWord = tuple[str, int, int, Optional[tuple[int, int]]]


def aligned_words(original: str, normalize: Callable[[str], str], normalized: Optional[str] = None,
                  lower: bool = False) -> list[AlignedWord]:
    """The words (`\\w+`) of the normalized text, each as (word, start, end, span): where it is in the
    normalized text, and `span`, the (start, end) character offsets of the original text it came
    from, or None where normalization left no trace of it. `lower`: words lower-cased (as the
    stance features read them).

    The original is cut at whitespace and each piece normalized alone (the presets work within
    words, so the pieces give the text's words), then cut again between words (at punctuation) so
    that each word's span covers its own letters and marks; the normalized text's words are then
    matched to the pieces' words in order (difflib where they differ, e.g. an HTML tag with a
    space inside). Pieces repeat in news text, so each distinct one is normalized once.
    """
    if normalized is None:
        normalized = normalize(original)
    key = str.lower if lower else (lambda word: word)
    target = [(key(m.group()), m.start(), m.end()) for m in WORD.finditer(normalized)]
    source: list[tuple[str, tuple[int, int]]] = []
    seen: dict = {}
    for chunk in re.finditer(r"\S+", original):
        text = chunk.group()
        found = seen.get(text)
        if found is None:
            found = seen[text] = _chunk_words(text, normalize)
        at = chunk.start()
        source.extend((key(word), (at + start, at + end)) for word, start, end in found)
    mine, theirs = [w for w, _, _ in target], [w for w, _ in source]
    if mine == theirs:
        spans: list = [span for _, span in source]
    else:
        spans = [None] * len(target)
        for i, j, n in SequenceMatcher(None, mine, theirs, autojunk=False).get_matching_blocks():
            for k in range(n):
                spans[i + k] = source[j + k][1]
    return [(word, start, end, span) for (word, start, end), span in zip(target, spans)]


def _chunk_words(chunk: str, normalize: Callable[[str], str]) -> list[tuple[str, int, int]]:
    """(word, start, end) of the words a whitespace-free piece of the original normalizes to, each
    with the narrowest part of the piece it can be traced to."""
    words = WORD.findall(normalize(chunk))
    runs, start = [], None
    for i, char in enumerate(chunk):
        inside = char.isalnum() or char == "_" or unicodedata.category(char) in _JOINED
        if inside and start is None:
            start = i
        elif not inside and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(chunk)))
    if len(runs) == 1 and len(words) == 1:
        return [(words[0], *runs[0])]
    per_run = [WORD.findall(normalize(chunk[a:b])) for a, b in runs]
    if [w for found in per_run for w in found] == words:
        return [(w, a, b) for (a, b), found in zip(runs, per_run) for w in found]
    return [(w, 0, len(chunk)) for w in words]  # e.g. a URL that became one placeholder word


def evidence(weights: dict, spans: dict, top: int) -> tuple[list[dict], list[dict]]:
    """(toward, against): the `top` words of positive and of negative weight, strongest first.

    `weights` maps (part, word) to the word's weight; `spans` maps (part, word) to the (start,
    end) offsets of its occurrences in the original part. Ties keep the order of `weights`
    (first occurrence first)."""
    ranked = sorted(weights.items(), key=lambda item: -abs(item[1]))

    def entry(key, weight):
        part, word = key
        return {"word": word, "part": part, "weight": float(weight),
                "spans": [{"start": int(a), "end": int(b)} for a, b in spans.get(key, ())]}

    toward = [entry(k, w) for k, w in ranked if w > 0][:top]
    against = [entry(k, w) for k, w in ranked if w < 0][:top]
    return toward, against


def word_spans(words: dict) -> dict:
    """(part, word) -> the original (start, end) spans of its occurrences, in text order, from
    {part: `aligned_words(...)`}."""
    spans: dict = {}
    for part, found in words.items():
        for word, _, _, span in found:
            if span is not None:
                spans.setdefault((part, word), [])
                if not spans[(part, word)] or spans[(part, word)][-1] != span:
                    spans[(part, word)].append(span)
    return spans


def in_text_order(weights: dict, words: dict) -> dict:
    """`weights` keyed by (part, word) in order of first occurrence in {part: aligned words} (so
    that ties in a ranking keep text order); keys found in no part come last."""
    order = [(part, w) for part, found in words.items() for w, _, _, _ in found]
    out = {key: weights[key] for key in dict.fromkeys(order) if key in weights}
    out.update((key, value) for key, value in weights.items() if key not in out)
    return out


def label_explanation(label: str, probability: float, score: float, base: float, weights: dict, spans: dict,
                      top: int, signals: Sequence[dict] = (), unassigned: float = 0.0) -> dict:
    """One entry of an explanation's `explained` list (see `Model.explain`)."""
    toward, against = evidence(weights, spans, top)
    return {"label": label, "probability": float(probability), "score": float(score), "base": float(base),
            "toward": toward, "against": against, "signals": list(signals), "unassigned": float(unassigned)}


# -- the model's files ----------------------------------------------------------------------------
