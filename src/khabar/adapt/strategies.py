"""How `suggest` orders the articles to label next: one function per strategy, in `STRATEGIES`.

Each strategy gets a `Candidates` (the model's probabilities of every unlabeled article, how
unsure it is of each, its guess, how many labelled articles each of its labels already has, and
the articles' TF-IDF rows, built on first need) and returns candidate indices, most useful first.

Why several: which one is best depends on where the loop stands, and bench/outlet_adapt.py
measures them. Pure uncertainty sampling picks outliers first (on JawharaFM it does worse than
random picks with 50–100 labels); clustering the uncertain candidates and taking one per cluster
keeps a batch from being near-duplicates; a model that knows none of the outlet's labels yet (a
public prior of another taxonomy, or nothing labelled so far) is best served by representatives
of the pool's clusters spread over its guessed labels. `auto` chooses between these by that rule, with no corpus-specific setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

#: how many uncertain candidates per wanted article the diversity step clusters
CANDIDATES_PER_PICK = 5


@dataclass
class Candidates:
    """What a strategy sees of the unlabeled pool (rows: candidate articles)."""

    proba: np.ndarray
    uncertainty: np.ndarray  # higher: the model is less sure
    guess: np.ndarray  # index of the model's top label
    labelled: np.ndarray  # per model label: labelled articles it already has (all 0: a cold start)
    texts: list[str]
    seed: int = 13
    _vectors: Optional[object] = field(default=None, repr=False)

    def vectors(self):
        """L2-normalized TF-IDF rows of the candidates (for clustering), fitted on them once."""
        if self._vectors is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            min_df = 2 if len(self.texts) >= 20 else 1
            try:
                self._vectors = TfidfVectorizer(sublinear_tf=True, min_df=min_df, dtype=np.float32).fit_transform(self.texts)
            except ValueError:  # no word at all in the pool (e.g. digits only): every article alike
                import scipy.sparse as sp

                self._vectors = sp.csr_matrix(np.ones((len(self.texts), 1), dtype=np.float32))
        return self._vectors

    @property
    def cold(self) -> bool:
        """Whether the model knows none of the labels being taught (nothing labelled in its labels)."""
        return not self.labelled.any()


def random_order(c: Candidates, k: int) -> np.ndarray:
    """Random picks: the baseline every other strategy must beat."""
    return np.random.default_rng(c.seed).permutation(len(c.uncertainty))[:k]


def uncertain(c: Candidates, k: int) -> np.ndarray:
    """The articles the model is least sure of (smallest margin between its two best labels)."""
    return np.argsort(-c.uncertainty, kind="stable")[:k]


def _clusters(c: Candidates, rows: np.ndarray, k: int):
    """k-means of the candidates `rows` into k clusters: (labels, distances to each centre)."""
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(n_clusters=k, random_state=c.seed, n_init=1, batch_size=1024)
    x = c.vectors()[rows]
    labels = km.fit_predict(x)
    return labels, km.transform(x)


def representative(c: Candidates, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """One article per k-means cluster, the one nearest its centre; largest clusters first."""
    rows = np.arange(len(c.uncertainty)) if rows is None else rows
    if len(rows) <= k:
        return rows[np.argsort(-c.uncertainty[rows], kind="stable")]
    labels, distance = _clusters(c, rows, k)
    picks, sizes = [], []
    for cluster in range(k):
        members = np.flatnonzero(labels == cluster)
        if len(members):
            picks.append(rows[members[np.argmin(distance[members, cluster])]])
            sizes.append(len(members))
    order = [picks[i] for i in np.argsort(-np.asarray(sizes), kind="stable")]
    return _fill(np.asarray(order, dtype=int), rows, k)


def spread(c: Candidates, k: int) -> np.ndarray:
    """Representatives of the pool within each of the model's guessed labels, so that a first
    batch covers every label the model sees (a prior of another taxonomy: its labels), not only
    the pool's majority: each guessed label gets a share of k in proportion to the square root of
    its size (at least one), spent on one article per k-means cluster of its articles."""
    labels, sizes = np.unique(c.guess, return_counts=True)
    if len(labels) > k:  # more labels than picks: the largest ones
        keep = np.argsort(-sizes, kind="stable")[:k]
        labels, sizes = labels[keep], sizes[keep]
    share = np.sqrt(sizes) / np.sqrt(sizes).sum()
    counts = np.maximum(1, np.floor(share * k)).astype(int)
    for j in np.argsort(-(share * k - counts), kind="stable"):  # the remainder: largest fractions first
        if counts.sum() >= k:
            break
        counts[j] += 1
    counts = np.minimum(counts, sizes)
    turns = [list(representative(c, int(n), np.flatnonzero(c.guess == label))) for label, n in zip(labels, counts)]
    out: list[int] = []  # round robin over the labels, so that the first picks cover them all
    while any(turns):
        for picks in turns:
            if picks:
                out.append(int(picks.pop(0)))
    return _fill(np.asarray(out[:k], dtype=int), np.argsort(-c.uncertainty, kind="stable"), k)


def diverse(c: Candidates, k: int) -> np.ndarray:
    """The most uncertain article of each of k clusters of the most uncertain candidates, so
    that a batch covers k different kinds of doubt instead of k near-duplicates."""
    rows = uncertain(c, min(len(c.uncertainty), CANDIDATES_PER_PICK * k))
    if len(rows) <= k:
        return rows
    labels, _ = _clusters(c, rows, k)
    picks = [rows[np.flatnonzero(labels == cluster)].tolist() for cluster in range(k)]
    first = [members[0] for members in picks if members]  # rows are in uncertainty order
    order = sorted(first, key=lambda i: -c.uncertainty[i])
    return _fill(np.asarray(order, dtype=int), rows, k)


def balanced(c: Candidates, k: int) -> np.ndarray:
    """Coverage of rare labels: round robin over the model's guesses, the labels with the fewest
    labelled articles first, the most uncertain article of each turn."""
    by_label = {j: list(np.flatnonzero(c.guess == j)[np.argsort(-c.uncertainty[c.guess == j], kind="stable")])
                for j in np.unique(c.guess)}
    turn = sorted(by_label, key=lambda j: (c.labelled[j], j))
    out: list[int] = []
    while len(out) < k and any(by_label.values()):
        for j in turn:
            if by_label[j] and len(out) < k:
                out.append(by_label[j].pop(0))
    return np.asarray(out, dtype=int)


def auto(c: Candidates, k: int) -> np.ndarray:
    """Representatives spread over the model's guessed labels on a cold start, then diverse
    uncertainty (the best measured on a dev part of JawharaFM's labelled half: with a SANAD prior,
    macro-F1 0.48 with the first 50 labels where plain representatives gave 0.38; see
    bench/outlet_adapt.py and README)."""
    return spread(c, k) if c.cold else diverse(c, k)


def _fill(order: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """`order`, then the other `rows` in their order, up to k (clusters may come out empty)."""
    if len(order) >= k:
        return order[:k]
    rest = rows[~np.isin(rows, order)]
    return np.concatenate([order, rest[: k - len(order)]]).astype(int)


STRATEGIES: dict[str, Callable[[Candidates, int], np.ndarray]] = {
    "auto": auto,
    "diverse": diverse,
    "uncertain": uncertain,
    "representative": representative,
    "spread": spread,
    "balanced": balanced,
    "random": random_order,
}
