"""ANS stance benchmark: the configured TF-IDF stance model against the glued-text peer.

Train/dev/test as given in ../shared/data/ans_stance. Reports test macro-F1 and accuracy of the
configured model, of the peer "TF-IDF of s1 + s2 glued together + LinearSVC", and of the
majority class. Target: macro-F1 >= 0.60.

    .venv/bin/python bench/stance_ans.py [--config configs/ans_stance_tfidf.yaml]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter

from _common import ROOT, machine_line, shared_path, verdict
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

from khabar.config import load_config
from khabar.data import load_splits
from khabar.log import Progress
from khabar.runs.train import fit_from_config


def show(name, gold, predicted, seconds=None):
    macro, accuracy = f1_score(gold, predicted, average="macro"), accuracy_score(gold, predicted)
    timing = "" if seconds is None else f"{seconds:>9.1f}s"
    print(f"{name:<48}{macro:>10.4f}{accuracy:>10.4f}{timing}", flush=True)
    return macro


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "ans_stance_tfidf.yaml"))
    args = parser.parse_args()
    shared_path("ans_stance/train.csv")
    os.chdir(ROOT)
    config = load_config(args.config)
    splits = load_splits(config.data, config.task, config.train.seed, config.source)
    gold = [ex.label for ex in splits.test]
    print(machine_line())
    print(f"ANS: train {len(splits.train)}, dev {len(splits.dev)}, test {len(splits.test)}")
    print(f"{'model':<48}{'macro-F1':>10}{'accuracy':>10}{'fit':>10}")
    majority = Counter(ex.label for ex in splits.train).most_common(1)[0][0]
    show(f"majority class ({majority})", gold, [majority] * len(gold))
    start = time.perf_counter()
    glue = TfidfVectorizer()
    matrix = glue.fit_transform([f"{ex.text} {ex.text_pair}" for ex in splits.train])
    peer = LinearSVC().fit(matrix, [ex.label for ex in splits.train])
    seconds = time.perf_counter() - start
    show("peer: TF-IDF(s1 + s2 glued) + LinearSVC()", gold,
         peer.predict(glue.transform([f"{ex.text} {ex.text_pair}" for ex in splits.test])), seconds)
    model, _ = fit_from_config(config, Progress(), splits=splits)
    seconds = model.fit_seconds_
    macro = show(f"khabar {config.name}", gold, model.predict([ex.inputs for ex in splits.test]), seconds)
    print(f"target macro-F1 >= 0.60: {macro:.4f} {verdict(macro >= 0.60)}")


if __name__ == "__main__":
    main()
