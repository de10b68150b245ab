"""Long-article stance benchmark: claim-article pairs built from ANT JawharaFM, at three lengths.

Each ANT article's `title` is a claim. For every claim three pairs: its own article (related),
another article of the same topic (a hard unrelated) and an article of another topic (an easy
unrelated). Articles are brought to about 1k, 4k and 16k characters: an article longer than that
is cut at a space; a shorter one is followed by other articles of its own topic (the "read also"
blocks of a scraped news page) until it is that long, so the matching passage is the article's
lead and the rest is same-topic news. Claims and pairs are the same at every length; train, dev
and test claims come from ANT's own splits.

The model is the configured stance recipe (default: the ANS config, labels related / unrelated),
fitted with `fit_from_config`. Reported per length: featurization pairs/s (normalization and
features, no classifier), fit pairs/s (end to end), prediction pairs/s (raw pairs in, labels out,
normalization included) and related/unrelated macro-F1 on the test pairs, also on the hard half
(related vs same-topic unrelated). Timings share 2 cores with whatever else runs: pessimistic.
Targets: prediction >= 100 pairs/s at 4k characters; time per pair at 16k <= 4.5x the time at 4k.
--small: 40 training claims (120 pairs; test 60), the same three lengths; verdicts informational.

    .venv/bin/python bench/stance_long.py [--config configs/ans_stance_tfidf.yaml] [--claims 600] [--small]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import time
from collections import defaultdict

from _common import ROOT, add_small_flag, machine_line, shared_config, shared_path, small_banner, verdict
from sklearn.metrics import f1_score

from khabar.examples import Example, Splits
from khabar.log import Progress, muted
from khabar.runs.train import fit_from_config

LENGTHS = (1000, 4000, 16000)


def load_ant(path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r for r in rows if r.get("title", "").strip() and r["text"].strip()]


def sized(base: dict, length: int, same_topic: list, rng: random.Random, claim: dict) -> str:
    """`base`'s text brought to about `length` characters (cut at a space, or followed by other
    articles of its topic, never the claim's own: an unrelated pair stays unrelated)."""
    text = base["text"]
    while len(text) < length:
        other = rng.choice(same_topic)
        if other is not base and other is not claim:
            text += "\n" + other["text"]
    if len(text) > length:
        cut = text.rfind(" ", 0, length)
        text = text[: cut if cut > length // 2 else length]
    return text


def plan(rows, split, claims, rng):
    """(claim row, article row, label) triples of one split: 3 per claim."""
    pool = [r for r in rows if r["split"] == split]
    by_topic = defaultdict(list)
    for r in pool:
        by_topic[r["label"]].append(r)
    chosen = rng.sample(pool, min(claims, len(pool)))
    out = []
    for r in chosen:
        same = [x for x in rng.sample(by_topic[r["label"]], min(20, len(by_topic[r["label"]]))) if x is not r]
        other_topics = [t for t in by_topic if t != r["label"]]
        out.append((r, r, "related"))
        if same:
            out.append((r, same[0], "unrelated:hard"))
        out.append((r, rng.choice(by_topic[rng.choice(other_topics)]), "unrelated:easy"))
    return out, by_topic


def examples(triples, by_topic, length, seed, split):
    rng = random.Random(seed)
    out = []
    for i, (claim, article, kind) in enumerate(triples):
        text = sized(article, length, by_topic[article["label"]], rng, claim)
        out.append(Example(id=f"{split}-{i}", text=claim["title"], text_pair=text, label=kind.split(":")[0],
                           split=split))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "ans_stance_tfidf.yaml"))
    parser.add_argument("--claims", type=int, default=600, help="training claims (3 pairs each); test gets half")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS), help=argparse.SUPPRESS)
    add_small_flag(parser, "40 training claims")
    args = parser.parse_args()
    if args.small:
        args.claims = min(args.claims, 40)
    rows = load_ant(shared_path("ant_jawharafm.jsonl.gz", args.small))
    os.chdir(ROOT)
    config = shared_config(args.config)
    config.data.labels = None
    rng = random.Random(args.seed)
    plans = {split: plan(rows, split, n, rng) for split, n in
             (("train", args.claims), ("dev", args.claims // 4), ("test", args.claims // 2))}
    print(machine_line())
    small_banner(args.small, f"{args.claims} training claims")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at start (timings are pessimistic when "
          "other work shares the machine)")
    print(f"ANT JawharaFM claim-article pairs ({config.name} recipe): "
          + ", ".join(f"{s} {len(p[0])}" for s, p in plans.items()))
    print(f"{'length':>7}{'chars':>8}{'features/s':>12}{'fit/s':>9}{'predict/s':>11}{'macro-F1':>10}{'hard F1':>9}"
          f"{'fit s':>8}")
    per_pair = {}
    for length in args.lengths:
        splits = Splits(**{s: examples(p[0], p[1], length, args.seed + length, s) for s, p in plans.items()})
        chars = sum(len(ex.text_pair) for ex in splits.test) / len(splits.test)
        with muted():
            model, _ = fit_from_config(config, Progress(), splits=splits)
        test_pairs = [ex.inputs for ex in splits.test]
        start = time.perf_counter()
        predicted = model.predict(test_pairs)
        predict_seconds = time.perf_counter() - start
        features = model.pipeline_.named_steps["features"]
        start = time.perf_counter()
        features.transform(model.normalize_inputs(test_pairs))
        feature_seconds = time.perf_counter() - start
        gold = [ex.label for ex in splits.test]
        kinds = [t[2] for t in plans["test"][0]]
        macro = f1_score(gold, predicted, average="macro")
        hard = [i for i, k in enumerate(kinds) if k != "unrelated:easy"]
        hard_macro = f1_score([gold[i] for i in hard], [predicted[i] for i in hard], average="macro")
        n = len(test_pairs)
        per_pair[length] = predict_seconds / n
        print(f"{length:>7}{chars:>8.0f}{n / feature_seconds:>12.1f}{len(splits.train) / model.fit_seconds_:>9.1f}"
              f"{n / predict_seconds:>11.1f}{macro:>10.4f}{hard_macro:>9.4f}{model.fit_seconds_:>8.1f}", flush=True)
    majority = f1_score(gold, ["unrelated"] * len(gold), average="macro")
    print(f"majority class (unrelated) macro-F1: {majority:.4f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if 4000 in per_pair:
        rate = 1 / per_pair[4000]
        print(f"target >= 100 pairs/s at 4k characters, end to end: {rate:.1f} pairs/s {verdict(rate >= 100, args.small)}")
    if 4000 in per_pair and 16000 in per_pair:
        ratio = per_pair[16000] / per_pair[4000]
        print(f"target time per pair at 16k <= 4.5x at 4k: {ratio:.2f}x {verdict(ratio <= 4.5, args.small)}")


if __name__ == "__main__":
    main()
