"""Claim-article stance benchmark: cross-validation over UnifiedFC's three claim-disjoint folds.

../shared/data/unifiedfc_claims.jsonl.gz holds folds 3, 4 and 5 of the corpus's five (the other
two are kept back to judge). Each fold in turn is the test set and the model is fitted on the
other two (no dev split: nothing is chosen on the test fold). Reported per fold and pooled over
the three: macro-F1 and per-class F1 with 95% bootstrap intervals (pairs resampled, 1,000 draws,
seed 0), and the fit time of each fold, for the configured model (`fit_from_config` with
`--set` overrides, as `khabar train` would), the peer "TF-IDF of claim + article glued +
LinearSVC" and the majority class. Goals (issue 23): macro-F1 >= 0.55, discuss F1 >= 0.40,
disagree F1 > 0.20 (pooled), fit <= 60 s (the slowest fold, with two folds of training pairs).

`--with-dev`: the configured model as `khabar train` fits it from a file with a split column (what
the judge runs): each fold in turn the test, of the other two one the train split and one the dev
split, both ways (6 fits), `data.train_on_dev` as configured; pooled over the 6 test folds.

`--small`: a few hundred pairs (every fold cut to its first claims), verdicts informational; it
runs the `--with-dev` fits too.
Without the corpus: one `skipped` line, exit 0 in small mode, 1 in full mode (bench/_common.py).
Timings share 2 cores with whatever else runs: pessimistic.

    .venv/bin/python bench/stance_claims.py [--config configs/unifiedfc_stance.yaml] [--set key=value ...] [--with-dev] [--small]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import time
from collections import Counter

import numpy as np
from _common import ROOT, add_small_flag, machine_line, shared_config, shared_path, small_banner, verdict
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from khabar.data import load_examples
from khabar.examples import Splits
from khabar.log import muted
from khabar.runs.train import dev_into_train, fit_from_config

CORPUS = "unifiedfc_claims.jsonl.gz"
LABELS = ("agree", "disagree", "discuss", "unrelated")
GOALS = {"macro": 0.55, "discuss": 0.40, "disagree": 0.20, "fit": 60.0}
SMALL_CLAIMS = 12  # claims per fold in --small (about 80 pairs per fold)


def folds_of(path) -> dict:
    """id -> fold, read from the corpus (the loader keeps only the config's columns)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return {str(row["id"]): int(row["fold"]) for row in map(json.loads, fh)}


def small_subset(examples, fold, claims=SMALL_CLAIMS):
    """The pairs of `claims` claims of each fold, claims with a `disagree` pair first (the rare
    label: every fitted model must see at least 2 of each label), then in order."""
    rare = {ex.text for ex in examples if ex.label == "disagree"}
    kept, seen = [], {}
    for ex in sorted(examples, key=lambda ex: ex.text not in rare):
        chosen = seen.setdefault(fold[ex.id], [])
        if ex.text not in chosen and len(chosen) < claims:
            chosen.append(ex.text)
        if ex.text in chosen:
            kept.append(ex)
    return kept


def scores(gold, predicted) -> dict:
    per_class = f1_score(gold, predicted, labels=list(LABELS), average=None, zero_division=0)
    return {"macro": float(np.mean(per_class)), **dict(zip(LABELS, map(float, per_class)))}


def bootstrap(gold, predicted, draws=1000, seed=0) -> dict:
    """95% percentile intervals of every figure of `scores`, pairs resampled with replacement."""
    gold, predicted = np.asarray(gold), np.asarray(predicted)
    rng = np.random.default_rng(seed)
    drawn = [scores(gold[i], predicted[i]) for i in (rng.integers(0, len(gold), len(gold)) for _ in range(draws))]
    return {k: (float(np.percentile([d[k] for d in drawn], 2.5)), float(np.percentile([d[k] for d in drawn], 97.5)))
            for k in drawn[0]}


def configured(config):
    def run(train, test, dev=()):
        with muted():
            splits = dev_into_train(config, Splits(train=train, dev=list(dev), test=test), lambda _: None)
            model, _ = fit_from_config(config, splits=splits)
        proba = model.predict_proba([ex.inputs for ex in test])
        return [model.labels_[j] for j in proba.argmax(axis=1)], model.fit_seconds_
    return run


def peer(train, test):
    start = time.perf_counter()
    glue = TfidfVectorizer(sublinear_tf=True)
    x = glue.fit_transform([f"{ex.text} {ex.text_pair}" for ex in train])
    svc = LinearSVC(class_weight="balanced").fit(x, [ex.label for ex in train])
    seconds = time.perf_counter() - start
    return list(svc.predict(glue.transform([f"{ex.text} {ex.text_pair}" for ex in test]))), seconds


def majority(train, test):
    label = Counter(ex.label for ex in train).most_common(1)[0][0]
    return [label] * len(test), 0.0


def cross_validate(name, run, examples, fold, show_folds=True) -> dict:
    """Each fold the test set of a model fitted on the other two; per-fold lines, then the pooled line."""
    gold, predicted, fits = [], [], []
    for held in sorted(set(fold.values())):
        train = [ex for ex in examples if fold[ex.id] != held]
        test = [ex for ex in examples if fold[ex.id] == held]
        labels, seconds = run(train, test)
        fits.append(seconds)
        gold += [ex.label for ex in test]
        predicted += list(labels)
        if show_folds:
            line(f"{name}, fold {held}", scores([ex.label for ex in test], labels), seconds)
    pooled = scores(gold, predicted)
    line(f"{name}, 3 folds pooled", pooled, max(fits), bootstrap(gold, predicted))
    return {**pooled, "fit": max(fits)}


def with_dev_split(name, run, examples, fold) -> dict:
    """Each fold the test set; of the other two, one the train split and one the dev split, both ways."""
    gold, predicted, fits = [], [], []
    parts = {f: [ex for ex in examples if fold[ex.id] == f] for f in set(fold.values())}
    for held in sorted(parts):
        for dev_fold in sorted(set(parts) - {held}):
            train = [ex for f, items in parts.items() if f not in (held, dev_fold) for ex in items]
            labels, seconds = run(train, parts[held], parts[dev_fold])
            fits.append(seconds)
            gold += [ex.label for ex in parts[held]]
            predicted += list(labels)
            line(f"{name}, test {held} dev {dev_fold}", scores([ex.label for ex in parts[held]], labels), seconds)
    pooled = scores(gold, predicted)
    line(f"{name}, 6 test folds pooled", pooled, max(fits), bootstrap(gold, predicted))
    return {**pooled, "fit": max(fits)}


def line(name, figures, seconds, intervals=None):
    cells = "".join(f"{figures[k]:>11.3f}" for k in ("macro",) + LABELS)
    print(f"{name:<40}{cells}{seconds:>8.1f}s", flush=True)
    if intervals:
        print(f"{'  95% bootstrap interval':<40}" + "".join(
            f"{intervals[k][0]:.2f}-{intervals[k][1]:.2f}".rjust(11) for k in ("macro",) + LABELS), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "unifiedfc_stance.yaml"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    add_small_flag(parser, f"the pairs of {SMALL_CLAIMS} claims per fold (about 330 pairs)")
    parser.add_argument("--no-peers", action="store_true", help="only the configured model")
    parser.add_argument("--with-dev", action="store_true",
                        help="only the configured model, fitted from train and dev splits as khabar train does (6 fits)")
    args = parser.parse_args()
    path = shared_path(CORPUS, args.small)
    os.chdir(ROOT)
    config = shared_config(args.config, [f"data.path={path}", *args.set])
    examples = load_examples(config.data, config.task, config.source)
    examples = [dataclasses.replace(ex, split=None) for ex in examples]
    fold = folds_of(path)
    if args.small:
        examples = small_subset(examples, fold)
    print(machine_line())
    small_banner(args.small, f"{SMALL_CLAIMS} claims per fold")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (fit times are pessimistic under load)")
    print(f"UnifiedFC folds {sorted(set(fold.values()))}: {len(examples)} pairs, "
          + ", ".join(f"{k} {v}" for k, v in sorted(Counter(ex.label for ex in examples).items()))
          + (" (--small)" if args.small else ""))
    print(f"config {os.path.relpath(args.config, ROOT)} {' '.join(args.set)}".rstrip())
    print(f"{'model':<40}" + "".join(f"{k:>11}" for k in ("macro",) + LABELS) + f"{'fit':>9}")
    if not (args.no_peers or args.with_dev):
        cross_validate("majority class", majority, examples, fold, show_folds=False)
        cross_validate("peer: glued TF-IDF + LinearSVC", peer, examples, fold)
    if args.with_dev:
        print(f"data.train_on_dev: {config.data.train_on_dev}")
        ours = with_dev_split(config.name, configured(config), examples, fold)
    else:
        ours = cross_validate(config.name, configured(config), examples, fold)
        if args.small:  # the --with-dev path too, so that CI runs it
            print(f"--with-dev (data.train_on_dev: {config.data.train_on_dev}):")
            with_dev_split(config.name, configured(config), examples, fold)
    print(f"goal macro-F1 >= {GOALS['macro']}: {ours['macro']:.3f} {verdict(ours['macro'] >= GOALS['macro'], args.small)}")
    print(f"goal discuss F1 >= {GOALS['discuss']}: {ours['discuss']:.3f} {verdict(ours['discuss'] >= GOALS['discuss'], args.small)}")
    print(f"goal disagree F1 > {GOALS['disagree']}: {ours['disagree']:.3f} {verdict(ours['disagree'] > GOALS['disagree'], args.small)}")
    print(f"goal fit <= {GOALS['fit']:.0f} s (slowest fold): {ours['fit']:.1f}s {verdict(ours['fit'] <= GOALS['fit'], args.small)}")


if __name__ == "__main__":
    main()
