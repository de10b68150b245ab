"""Train/dev/test splits: the ones the data names, else a seeded stratified split.

Why apart: splitting works on loaded `Example`s whatever their source, and its rules (the same
seed gives the same split, every label keeps a training example) are a concern of their own.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

from .spec import SplitRatios
from ..errors import KhabarError
from ..log import say
from ..examples import Example, Splits


#: a labelled set without a split column and smaller than this trains whole (the newsroom's first
#: 50 labels: a 10% dev split would hold 5 articles), unless data.split asks for other ratios
SMALL_DATA = 100


def splits_of(examples: list[Example], ratios: SplitRatios, seed: int, source: str = "<config>") -> tuple[Splits, bool]:
    """(splits, True) when the examples name their split, else (seeded stratified split, False)."""
    named = [ex for ex in examples if ex.split]
    if not named and len(examples) < SMALL_DATA and ratios == SplitRatios():
        say(f"{source}: {len(examples)} labelled examples and no split column: all of them train (a dev or test "
            f"split of under {SMALL_DATA // 10} would decide and measure nothing); choices are cross-validated. "
            "Measure with khabar evaluate on held-out data, or set data.split to hold some out")
        return Splits([dataclasses.replace(ex, split="train") for ex in examples], [], []), False
    if not named:
        return split_examples(examples, ratios, seed), False
    if len(named) < len(examples):
        first = next(ex for ex in examples if not ex.split)
        raise KhabarError(f"{source}: {len(named)} examples name a split and {len(examples) - len(named)} do not "
                          f"(first: id {first.id!r}); give every file a split column, or none of them")
    return Splits(*([ex for ex in examples if ex.split == name] for name in ("train", "dev", "test"))), True


def split_examples(examples: list[Example], ratios: SplitRatios, seed: int) -> Splits:
    """Stratified train/dev/test split; the same seed gives the same split.

    Strata are labels (label sets for multi-label data, `Example.stratum`). Strata with fewer
    than 3 examples go to train whole (they cannot be in all three splits),
    and every stratum keeps at least one training example, so a model can learn each class.
    """
    total = ratios.train + ratios.dev + ratios.test
    held = (ratios.dev + ratios.test) / total if total > 0 else 0.0
    counts = Counter(ex.stratum for ex in examples)
    train = [i for i, ex in enumerate(examples) if counts[ex.stratum] < 3]
    pool = [i for i, ex in enumerate(examples) if counts[ex.stratum] >= 3]
    dev: list[int] = []
    test: list[int] = []
    if held > 0 and pool:
        keep, rest = _split_indices(pool, [examples[i].stratum for i in pool], held, seed)
        train += keep
        test_share = ratios.test / (ratios.dev + ratios.test)
        if test_share >= 1:
            test = rest
        elif test_share <= 0:
            dev = rest
        else:
            dev, test = _split_indices(rest, [examples[i].stratum for i in rest], test_share, seed)
    else:
        train += pool
    in_train = {examples[i].stratum for i in train}
    for part in (dev, test):
        for i in list(part):
            if examples[i].stratum not in in_train:
                part.remove(i)
                train.append(i)
                in_train.add(examples[i].stratum)

    def tag(indices, name):
        return [dataclasses.replace(examples[i], split=name) for i in sorted(indices)]

    return Splits(tag(train, "train"), tag(dev, "dev"), tag(test, "test"))


def _split_indices(items: list[int], labels: list, share: float, seed: int) -> tuple[list[int], list[int]]:
    """(keep, held) with about `share` held out; stratified when every class allows it."""
    from sklearn.model_selection import train_test_split

    if len(items) < 2:
        return list(items), []
    counts = Counter(labels)  # classes with one member share a stratum, so the rest stay stratified
    strata = [lab if counts[lab] > 1 else "\0rare" for lab in labels]
    if strata.count("\0rare") == 1:
        strata = [counts.most_common(1)[0][0] if s == "\0rare" else s for s in strata]
    for stratify in (strata, None):
        try:
            keep, held = train_test_split(items, test_size=share, random_state=seed, stratify=stratify)
            return list(keep), list(held)
        except ValueError:  # a class too small to stratify, or too few rows for the share
            continue
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    cut = len(shuffled) - round(share * len(shuffled))
    return shuffled[:cut], shuffled[cut:]
