"""SANAD AlKhaleej topic benchmark: the configured TF-IDF baseline against two hand-written peers.

Trains on the train split as given, reports test accuracy and macro-F1, fit time and prediction
throughput (articles/s, raw text in, normalization included), and in the same run:
  peer 1: TfidfVectorizer() + LinearSVC() on raw text;
  peer 2: TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)) + LinearSVC() (slow: --no-char-peer).
Targets: accuracy >= 0.983 and ahead of both peers; fit time <= 3x peer 1's.
--small: 400 train / 100 dev / 200 test articles (balanced), a few seconds; verdicts informational.

    .venv/bin/python bench/topic_sanad.py [--config configs/sanad_topic_tfidf.yaml] [--no-char-peer] [--small]
"""

from __future__ import annotations

import argparse
import os
import time

from _common import ROOT, add_small_flag, machine_line, shared_config, shared_path, small_banner, small_splits, verdict
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

from khabar.data import load_splits
from khabar.log import Progress
from khabar.runs.train import fit_from_config


def peer(name, vectorizer, train, test):
    start = time.perf_counter()
    matrix = vectorizer.fit_transform([ex.text for ex in train])
    classifier = LinearSVC().fit(matrix, [ex.label for ex in train])
    fit = time.perf_counter() - start
    predicted = classifier.predict(vectorizer.transform([ex.text for ex in test]))
    gold = [ex.label for ex in test]
    row = (name, accuracy_score(gold, predicted), f1_score(gold, predicted, average="macro"), fit)
    print(f"{row[0]:<44}{row[1]:>9.4f}{row[2]:>10.4f}{row[3]:>9.1f}s", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sanad_topic_tfidf.yaml"))
    parser.add_argument("--no-char-peer", action="store_true", help="skip peer 2 (about five minutes)")
    add_small_flag(parser, "400 train / 100 dev / 200 test articles")
    args = parser.parse_args()
    shared_path("sanad_khaleej.jsonl.gz", args.small)
    os.chdir(ROOT)
    config = shared_config(args.config)
    splits = load_splits(config.data, config.task, config.train.seed, config.source)
    if args.small:
        splits = small_splits(splits, seed=config.train.seed)
    print(machine_line())
    small_banner(args.small, "a balanced sample of each split")
    print(f"SANAD AlKhaleej: train {len(splits.train)}, dev {len(splits.dev)}, test {len(splits.test)}")
    print(f"{'model':<44}{'accuracy':>9}{'macro-F1':>10}{'fit':>10}")
    peer1 = peer("peer 1: TfidfVectorizer() + LinearSVC()", TfidfVectorizer(), splits.train, splits.test)
    peers = [peer1]
    if not args.no_char_peer:
        peers.append(peer("peer 2: char_wb(2,5) TF-IDF + LinearSVC()",
                          TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)), splits.train, splits.test))

    model, _ = fit_from_config(config, Progress(), splits=splits)
    fit = model.fit_seconds_
    start = time.perf_counter()
    predicted = model.predict([ex.text for ex in splits.test])
    per_second = len(splits.test) / (time.perf_counter() - start)
    gold = [ex.label for ex in splits.test]
    accuracy, macro = accuracy_score(gold, predicted), f1_score(gold, predicted, average="macro")
    print(f"{'khabar ' + config.name:<44}{accuracy:>9.4f}{macro:>10.4f}{fit:>9.1f}s")
    print(f"khabar prediction throughput: {per_second:,.0f} articles/s (raw text, normalization included)")
    best_peer = max(p[1] for p in peers)
    print(f"target accuracy >= 0.983: {accuracy:.4f} {verdict(accuracy >= 0.983, args.small)}")
    print(f"target ahead of every peer run here (best {best_peer:.4f}): {verdict(accuracy > best_peer, args.small)}")
    print(f"target fit time <= 3x peer 1: {fit / peer1[3]:.2f}x {verdict(fit <= 3 * peer1[3], args.small)}")


if __name__ == "__main__":
    main()
