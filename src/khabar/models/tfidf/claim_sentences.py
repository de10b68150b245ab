"""Where an article's sentences are, and which one carried a stance decision.

A claim-article explanation that lists forty words scattered over a 4,000-character page does
not tell a reader where to look; the sentence whose words pushed the score most does. The
sentences are the stance features' own (`text_signals.sentences`: cut at sentence ends and at
"، " / "؛ ", long pieces cut at spaces), here as character offsets into the text as given, so an
explanation can point into the original article.
"""

from __future__ import annotations

from bisect import bisect_right

from .text_signals import MAX_SENTENCE_CHARS, SENTENCE_SPLIT


def sentence_spans(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, in order: `text[start:end]` is exactly the
    sentence `text_signals.sentences` gives (empty pieces dropped, a piece longer than
    `max_chars` cut again at spaces, no word cut)."""
    pieces, at = [], 0
    for match in SENTENCE_SPLIT.finditer(text):
        pieces.append((at, match.start()))
        at = match.end()
    pieces.append((at, len(text)))
    out = []
    for start, end in pieces:
        if not text[start:end].strip():
            continue
        while end - start > max_chars:
            cut = text.rfind(" ", start, start + max_chars)
            if cut <= start:
                cut = text.find(" ", start + max_chars, end)
                if cut < 0:
                    break
            if text[start:cut].strip():
                out.append((start, cut))
            start = cut + 1
        if text[start:end].strip():
            out.append((start, end))
    return out


def deciding_sentence(text: str, word_weights: dict, spans: dict) -> dict | None:
    """The sentence of `text` whose words add most to a label's score, as {"start", "end",
    "weight"} (offsets into `text`), or None when no word of the text has a positive share.

    `word_weights`: ("text" | "claim", word) -> the word's share of the score; `spans`: the same
    keys -> the (start, end) offsets of the word's occurrences in its part. A word's share is
    split evenly among its occurrences, each counted in the sentence it starts in."""
    bounds = sentence_spans(text)
    if not bounds:
        return None
    starts = [start for start, _ in bounds]
    totals = [0.0] * len(bounds)
    for (part, word), weight in word_weights.items():
        where = spans.get((part, word), ()) if part == "text" else ()
        for start, _ in where:
            i = bisect_right(starts, start) - 1
            if i >= 0 and start < bounds[i][1]:
                totals[i] += weight / len(where)
    best = max(range(len(totals)), key=lambda i: (totals[i], -i))
    if totals[best] <= 0:
        return None
    return {"start": bounds[best][0], "end": bounds[best][1], "weight": float(totals[best])}
