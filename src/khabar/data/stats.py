"""`khabar data stats`: what is in a labeled corpus, before spending a training run on it.

Why: class balance, text lengths (to choose max_length), duplicates that leak from train into
test (and inflate scores), and how much each normalization preset rewrites the text are the first
questions about a new corpus. All of it takes seconds; normalization is measured on a sample.
"""

from __future__ import annotations

import random
from collections import Counter

from ..examples import needs_pair
from ..normalize import PRESETS, build_normalizer
from .load import guess_data_config, load_examples
from .spec import DataConfig
from .splits import splits_of

SAMPLE = 2000  # texts normalized per preset: enough for a stable share, fast on any corpus
SPLITS = ("train", "dev", "test")


def stats_of_path(path: str, task: str | None = None) -> dict:
    """Stats of a bare data path, its columns and task guessed (see `data.columns`)."""
    data, task = guess_data_config(path, task)
    return compute_stats(data, task, 0, path)


def compute_stats(data: DataConfig, task: str, seed: int, target: str, multi_label: bool = False) -> dict:
    """Stats of the examples `data` names, as plain data; `target` names them in messages.

    Label counts count articles per label (an article with two topics counts for both); with
    `multi_label` the stats also give how many labels articles carry (`label_sets`).
    """
    examples = load_examples(data, task, target, multi_label)
    splits, named = splits_of(examples, data.split, seed, target)
    parts = dict(splits.items())
    labels = sorted({label for ex in examples for label in ex.gold})
    counts = {label: {name: sum(label in ex.gold for ex in part) for name, part in parts.items()} for label in labels}
    for row in counts.values():
        row["total"] = sum(row.values())
    extra = {"label_sets": _label_sets(parts)} if multi_label else {}
    lengths = {"text": _lengths([ex.text for ex in examples])}
    if needs_pair(task):
        lengths["text_pair"] = _lengths([ex.text_pair for ex in examples])
    return {
        "target": target, "task": task, "paths": list(data.path), "n_examples": len(examples),
        "split_source": "data" if named else f"seeded stratified split (seed {seed}, train/dev/test "
                        f"{data.split.train:g}/{data.split.dev:g}/{data.split.test:g})",
        "split_sizes": {name: len(part) for name, part in parts.items()},
        "counts": counts, "lengths": lengths,
        "duplicates": _duplicates(parts),
        "normalization": _normalization(examples),
        **extra,
    }


def _label_sets(parts: dict) -> dict:
    """Per split: articles by number of labels, and the most common label pairs overall."""
    sizes = {name: dict(sorted(Counter(len(ex.gold) for ex in part).items())) for name, part in parts.items()}
    pairs = Counter(" + ".join(sorted(ex.gold)) for part in parts.values() for ex in part if len(ex.gold) > 1)
    return {"labels_per_article": sizes, "common_sets": dict(pairs.most_common(10))}


def _lengths(texts: list[str]) -> dict:
    import numpy as np

    out = {}
    for unit, values in (("chars", [len(t) for t in texts]), ("words", [len(t.split()) for t in texts])):
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        out[unit] = {"p5": int(round(p5)), "p50": int(round(p50)), "p95": int(round(p95)), "max": int(max(values))}
    return out


def _duplicates(parts: dict) -> dict:
    """Same normalized text (claim and text for stance) within a split and across splits."""
    norm = build_normalizer("standard" if "standard" in PRESETS else list(PRESETS)[-1])

    def key(ex):
        return " ".join(norm(ex.text).split()), " ".join(norm(ex.text_pair or "").split())

    keys = {name: [key(ex) for ex in part] for name, part in parts.items()}
    out = {f"within_{name}": len(k) - len(set(k)) for name, k in keys.items()}
    for i, first in enumerate(SPLITS):
        for second in SPLITS[i + 1:]:
            seen = set(keys[first])
            out[f"{first}-{second}"] = sum(k in seen for k in keys[second])
    return out


def _normalization(examples: list) -> dict:
    """Share of characters each preset changes, on at most SAMPLE texts (seeded sample)."""
    texts = [t for ex in examples for t in (ex.text, ex.text_pair) if t]
    if len(texts) > SAMPLE:
        texts = random.Random(0).sample(texts, SAMPLE)
    total = sum(len(t) for t in texts) or 1
    counts = [Counter(t) for t in texts]
    out = {}
    for name in PRESETS:
        norm = build_normalizer(name)
        changed = [_changed(c, norm(t)) for t, c in zip(texts, counts)]
        out[name] = {"share_changed": sum(changed) / total, "texts_changed": sum(c > 0 for c in changed),
                     "sample": len(texts)}
    return out


def _changed(before: Counter, after: str) -> int:
    """Characters removed, replaced or added (a lower bound of the edit distance, in O(n))."""
    b = Counter(after)
    return max(sum((before - b).values()), sum((b - before).values()))


def format_stats(stats: dict) -> str:
    """The stats as a short plain-text report."""
    split = "splits as named in the data" if stats["split_source"] == "data" else stats["split_source"]
    lines = [f"data: {', '.join(stats['paths'])}  ({stats['n_examples']} examples, task {stats['task']}; {split})", ""]
    names = list(SPLITS) + ["total"]
    width = max([len("label")] + [len(label) for label in stats["counts"]]) + 2
    lines.append("label".ljust(width) + "".join(f"{n:>8}" for n in names))
    for label, row in stats["counts"].items():
        lines.append(label.ljust(width) + "".join(f"{row[n]:>8}" for n in names))
    sizes = {**stats["split_sizes"], "total": stats["n_examples"]}
    lines.append("total".ljust(width) + "".join(f"{sizes[n]:>8}" for n in names))
    lines += ["", "length".ljust(18) + "".join(f"{p:>8}" for p in ("p5", "p50", "p95", "max"))]
    for field, units in stats["lengths"].items():
        for unit, pct in units.items():
            lines.append(f"{field} {unit}".ljust(18) + "".join(f"{pct[p]:>8}" for p in ("p5", "p50", "p95", "max")))
    sets = stats.get("label_sets")
    if sets:
        lines += ["", "labels per article: " + "; ".join(
            f"{name} " + ", ".join(f"{k} label{'s' * (int(k) != 1)}: {v}" for k, v in row.items())
            for name, row in sets["labels_per_article"].items() if row)]
        if sets["common_sets"]:
            lines.append("most common label sets: " + ", ".join(f"{k} ({v})" for k, v in sets["common_sets"].items()))
    dup = stats["duplicates"]
    lines += ["", "duplicates (same normalized text): "
              + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in dup.items())]
    if any(v for k, v in dup.items() if "-" in k):
        lines.append("  texts in more than one split inflate scores; remove them from dev/test")
    norm = stats["normalization"]
    sample = next(iter(norm.values()), {}).get("sample", 0)
    lines += ["", f"normalization (sample of {sample} texts): preset, characters changed, texts changed"]
    for name, row in norm.items():
        lines.append(f"  {name:10} {100 * row['share_changed']:6.2f}%  {row['texts_changed']:>6}")
    return "\n".join(lines)
