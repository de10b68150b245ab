"""Mowjaz multi-label topics: khabar's multi-label TF-IDF against the one-vs-rest peer a user would write.

Mowjaz (../shared/data/mowjaz_multilabel.jsonl.gz): 956 Arabic news articles, 10 topics, 66 with
two; splits as given (786 / 86 / 84). Both systems fit on the train split, in the same process:
  khabar: configs/mowjaz_topic_tfidf.yaml through `runs.train.fit_from_config` (its per-label
          thresholds chosen on the dev split);
  peer:   OneVsRestClassifier(LinearSVC()) on TfidfVectorizer() (defaults, raw text), multi-hot
          targets from MultiLabelBinarizer, a label predicted where its decision score is > 0.
Reports dev and test micro-, macro- and samples-F1; on test each with a 95% paired bootstrap
interval (test articles resampled, the same resamples for both systems) and the difference
khabar - peer with its interval: 84 test articles make single figures move by a few points.
Targets: khabar ahead of the peer on micro-F1 and on macro-F1 in the same run; at least half of
the two-topic test articles get both their topics.
--small: 300 train articles (dev and test whole: 86 and 84), 200 resamples; verdicts informational.

    .venv/bin/python bench/multilabel_mowjaz.py [--config configs/mowjaz_topic_tfidf.yaml] [--resamples 2000] [--small]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _common import ROOT, add_small_flag, machine_line, shared_config, shared_path, small_banner, small_splits, verdict
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from khabar.data import load_splits
from khabar.log import Progress
from khabar.runs.train import fit_from_config

CORPUS = "mowjaz_multilabel.jsonl.gz"
AVERAGES = ("micro", "macro", "samples")
SEED = 13


def scores(gold: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """micro-, macro- and samples-F1 of 0/1 matrices (rows x labels), scikit-learn's, zero_division=0."""
    return {avg: float(f1_score(gold, predicted, average=avg, zero_division=0)) for avg in AVERAGES}


def bootstrap(gold, ours, theirs, resamples: int) -> dict[str, np.ndarray]:
    """Per average: resampled (ours, theirs, ours - theirs), rows resampled with replacement, paired."""
    rng = np.random.default_rng(SEED)
    out = {avg: np.zeros((resamples, 3)) for avg in AVERAGES}
    for r in range(resamples):
        rows = rng.integers(0, len(gold), len(gold))
        a, b = scores(gold[rows], ours[rows]), scores(gold[rows], theirs[rows])
        for avg in AVERAGES:
            out[avg][r] = (a[avg], b[avg], a[avg] - b[avg])
    return out


def interval(values: np.ndarray, signed: bool = False) -> str:
    """The 95% percentile interval of bootstrap `values`."""
    low, high = np.percentile(values, [2.5, 97.5])
    return f"[{low:+.4f}, {high:+.4f}]" if signed else f"[{low:.4f}, {high:.4f}]"


def both_topics(gold: np.ndarray, predicted: np.ndarray) -> tuple[int, int, float]:
    """Two-topic articles: how many, how many got both their topics, and the recall of their topics."""
    two = gold.sum(axis=1) == 2
    hits = (gold[two] & predicted[two]).sum(axis=1)
    return int(two.sum()), int((hits == 2).sum()), float(hits.sum() / max(1, 2 * two.sum()))


def fit_peer(train, binarizer: MultiLabelBinarizer):
    start = time.perf_counter()
    vectorizer = TfidfVectorizer()
    classifier = OneVsRestClassifier(LinearSVC()).fit(vectorizer.fit_transform([ex.text for ex in train]),
                                                      binarizer.transform([ex.gold for ex in train]))
    seconds = time.perf_counter() - start
    return (lambda examples: (classifier.decision_function(vectorizer.transform([ex.text for ex in examples])) > 0)
            .astype(int)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "mowjaz_topic_tfidf.yaml"))
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples of the test split")
    add_small_flag(parser, "300 train articles, 200 resamples")
    args = parser.parse_args()
    if args.small:
        args.resamples = min(args.resamples, 200)
    shared_path(CORPUS, args.small)
    os.chdir(ROOT)
    config = shared_config(args.config)
    splits = load_splits(config.data, config.task, config.train.seed, config.source, config.multi_label)
    if args.small:
        splits = small_splits(splits, train=300, dev=len(splits.dev), test=len(splits.test), seed=SEED)
    print(machine_line())
    small_banner(args.small, "300 train articles; dev and test whole")
    two = {name: sum(len(ex.gold) == 2 for ex in items) for name, items in splits.items()}
    print("Mowjaz: " + ", ".join(f"{name} {len(items)} ({two[name]} with two topics)" for name, items in splits.items()))

    model, _ = fit_from_config(config, Progress(), splits=splits)
    binarizer = MultiLabelBinarizer(classes=list(model.labels_)).fit([model.labels_])
    peer, peer_seconds = fit_peer(splits.train, binarizer)
    systems = {f"khabar {config.name}": lambda examples: binarizer.transform(model.predict([ex.text for ex in examples])),
               "peer: OvR(LinearSVC) on TfidfVectorizer(), > 0": peer}
    print(f"fit: khabar {model.fit_seconds_:.1f}s, peer {peer_seconds:.1f}s")

    results = {}
    for split in ("dev", "test"):
        examples = getattr(splits, split)
        gold = binarizer.transform([ex.gold for ex in examples])
        print(f"\n{split} split ({len(examples)} articles, {int(gold.sum())} gold labels)")
        print(f"{'system':<48}{'micro-F1':>10}{'macro-F1':>10}{'samples-F1':>12}{'labels/art':>12}{'none':>6}")
        for name, predict in systems.items():
            predicted = predict(examples)
            results[split, name] = (gold, predicted)
            s = scores(gold, predicted)
            print(f"{name:<48}{s['micro']:>10.4f}{s['macro']:>10.4f}{s['samples']:>12.4f}"
                  f"{predicted.sum(axis=1).mean():>12.2f}{int((predicted.sum(axis=1) == 0).sum()):>6}")
        print(f"{'gold':<48}{'':>32}{gold.sum(axis=1).mean():>12.2f}")

    ours_name, peer_name = systems
    gold, ours = results["test", ours_name]
    theirs = results["test", peer_name][1]
    point = {name: scores(gold, predicted) for name, predicted in ((ours_name, ours), (peer_name, theirs))}
    start = time.perf_counter()
    boot = bootstrap(gold, ours, theirs, args.resamples)
    print(f"\ntest split, 95% paired bootstrap intervals ({args.resamples} resamples of the {len(gold)} test "
          f"articles, seed {SEED}, {time.perf_counter() - start:.0f}s)")
    print(f"{'':<12}{'khabar':>30}{'peer':>30}{'khabar - peer':>32}")
    for avg in AVERAGES:
        a, b = point[ours_name][avg], point[peer_name][avg]
        print(f"{avg + '-F1':<12}{a:>8.4f} {interval(boot[avg][:, 0]):>21}{b:>8.4f} {interval(boot[avg][:, 1]):>21}"
              f"{a - b:>+9.4f} {interval(boot[avg][:, 2], signed=True):>22}")

    print("\ntwo-topic test articles: how many got both their topics (and the recall of their topics)")
    for name, predicted in ((ours_name, ours), (peer_name, theirs)):
        count, got, recall = both_topics(gold, predicted)
        print(f"{name:<48} {got}/{count} got both; topic recall {recall:.3f}")

    ours_s, peer_s = point[ours_name], point[peer_name]
    print()
    print(f"target ahead of the peer on micro-F1: {ours_s['micro']:.4f} vs {peer_s['micro']:.4f} "
          f"{verdict(ours_s['micro'] > peer_s['micro'], args.small)}")
    print(f"target ahead of the peer on macro-F1: {ours_s['macro']:.4f} vs {peer_s['macro']:.4f} "
          f"{verdict(ours_s['macro'] > peer_s['macro'], args.small)}")
    count, got, _ = both_topics(gold, ours)
    print(f"target at least half of the two-topic test articles get both topics: {got}/{count} "
          f"{verdict(count > 0 and got >= count / 2, args.small)}")


if __name__ == "__main__":
    main()
