"""`khabar suggest`: the articles of an unlabeled pool to label next, most useful first.

A library function that returns data (the CLI writes it): each suggestion has the article's `id`,
`text` (and `text_pair` for stance), its rank, how unsure the model is (`uncertainty`, 1 minus the
margin between its two best labels; for a multi-label model, 1 minus the distance of the closest
label to its threshold) and the model's current guess (the prediction record every output shares).
Already labelled articles (`exclude`: their ids and texts) are never suggested again, and their
labels tell the strategies which of the model's labels are still rare (none of them when the model
is a prior of another taxonomy: a cold start).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from ..errors import KhabarError
from ..examples import Example
from ..models.base import Model
from ..models.predict import DIGITS, predict_proba_in_batches, rows
from .strategies import STRATEGIES, Candidates

#: labels listed in each suggestion's guess
GUESS_TOP_K = 3


def suggest(model: Model, pool: Sequence[Example], k: int, exclude: Iterable[Example] = (),
            strategy: str = "auto", seed: int = 13) -> list[dict]:
    """The `k` articles of `pool` (less `exclude`, matched by id or text) to label next, best first."""
    if strategy not in STRATEGIES:
        raise KhabarError(f"--strategy {strategy}: unknown; choose one of {', '.join(STRATEGIES)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise KhabarError(f"-k {k!r}: ask for at least 1 article")
    exclude = list(exclude)
    done_ids, done_texts = {ex.id for ex in exclude}, {ex.inputs for ex in exclude}
    candidates = [ex for ex in pool if ex.id not in done_ids and ex.inputs not in done_texts]
    if not candidates:
        return []
    proba = np.asarray(predict_proba_in_batches(model, [ex.inputs for ex in candidates]), dtype=np.float64)
    counts = Counter(label for ex in exclude for label in ex.gold)
    view = Candidates(proba=proba, uncertainty=uncertainty(model, proba), guess=proba.argmax(axis=1),
                      labelled=np.array([counts[label] for label in model.labels_]),
                      texts=[" ".join(ex.inputs) if isinstance(ex.inputs, tuple) else ex.inputs for ex in candidates],
                      seed=seed)
    order = [int(i) for i in STRATEGIES[strategy](view, min(k, len(candidates)))]
    guesses = guess_records(model, [candidates[i].id for i in order], proba[order])
    out = []
    for rank, (i, guess) in enumerate(zip(order, guesses), 1):
        ex = candidates[i]
        item = {"id": ex.id, "text": ex.text, **({"text_pair": ex.text_pair} if ex.text_pair is not None else {}),
                "rank": rank, "uncertainty": round(float(view.uncertainty[i]), 6), "guess": guess}
        out.append(item)
    return out


def uncertainty(model: Model, proba: np.ndarray) -> np.ndarray:
    """Per row, how unsure the model is, in [0, 1] (its scheme's `uncertainty`)."""
    return model.scheme.uncertainty(proba)


def guess_records(model: Model, ids: Sequence[str], proba: np.ndarray) -> list[dict]:
    """The model's current guess of each article, as the prediction record every output writes."""
    return [{"id": i, **row} for i, row in zip(ids, rows(model, proba, GUESS_TOP_K, DIGITS))]
