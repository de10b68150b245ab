"""Gather run directories, group them by what they were scored on, and test differences within a group.

Why groups: a difference between two runs means something only when both were scored on the same
articles with the same labels. Runs are grouped by task (and single- or multi-label), label set and
the fingerprint of their test data (provenance.json; for runs without one, the ids and gold labels
of predictions.jsonl); runs of different groups are listed, never tested against each other.

Within a group every run gets its figure with a 95% bootstrap interval (a leaderboard), and pairs
are tested: a paired bootstrap of the figure's difference (all runs share the same resamples; see
`bootstrap`) and McNemar's exact test on who is right where. With many runs many pairs are tested,
so the bootstrap p-values are Holm-adjusted within the group (`pairs="all"`), or only the group's
best is tested against each other run (`pairs="best"`, fewer tests, more power). A pair is
significant when its Holm-adjusted bootstrap p is below 0.05.
"""

from __future__ import annotations

import hashlib
import json
import os
from itertools import combinations

import numpy as np

from ..errors import KhabarError
from ..log import progress_bar
from ..models.metrics import LABEL_SET, ONE_LABEL
from .bootstrap import (bootstrap, bootstrap_p, figures_for, holm, lower_is_better, mcnemar_p, multi_label_counts,
                        scheme_of, single_label_counts)
from .run_dir import read_mapping

COLUMNS = ("name", "run", "task", "kind", "data", "test.accuracy", "test.macro_f1", "dev.macro_f1", "train.seconds", "date")
#: the figures a scheme's runs add after each split's macro-F1 column (a label set's accuracy is subset accuracy)
SCHEME_FIGURES = {ONE_LABEL: (), LABEL_SET: ("micro_f1",)}
#: the most bootstrap resamples compare accepts: beyond it the p-value's floor (2/(B+1)) gains nothing
#: a test set can carry, and the time grows linearly
MAX_RESAMPLES = 100_000
PAIRS = ("all", "best")
ALPHA = 0.05


def find_runs(paths: list[str]) -> list[str]:
    """Run directories among `paths`: each is a run, or a folder searched for finished runs."""
    found = []
    for path in paths or ["experiments"]:
        if not os.path.isdir(path):
            raise KhabarError(f"{path}: no such directory; pass run directories or a folder of runs such as experiments/")
        if is_run(path):
            found.append(path)
            continue
        for root, dirs, _ in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "model")
            if is_run(root):
                found.append(root)
                dirs[:] = []
    if not found:
        raise KhabarError(f"no finished runs under {', '.join(paths or ['experiments'])}; train one with khabar train CONFIG")
    return found


def is_run(path: str) -> bool:
    """A finished run: its metrics and config are written (a run folder is renamed into place whole)."""
    return os.path.isfile(os.path.join(path, "metrics.json")) and os.path.isfile(os.path.join(path, "config.yaml"))


def load_run(path: str) -> dict:
    """A run's table row: name, task, kind, data, date and every figure of its metrics.json."""
    metrics = read_mapping(os.path.join(path, "metrics.json"))
    config = read_mapping(os.path.join(path, "config.yaml"))
    data_path = (config.get("data") or {}).get("path", [])
    multi_label = bool(config.get("multi_label"))
    return {
        "name": config.get("name", "?"), "run": path, "multi_label": multi_label,
        "task": f"{config.get('task', '?')}{' multi-label' if multi_label else ''}",
        "kind": (config.get("model") or {}).get("kind", "?"),
        "data": _short_paths(data_path if isinstance(data_path, list) else [str(data_path)]),
        "date": os.path.basename(os.path.normpath(path)), **metrics,
    }


def _short_paths(paths: list[str]) -> str:
    """`../shared/data/ans_stance/{train,dev,test}.csv` rather than three full paths."""
    if len(paths) <= 1:
        return "".join(paths)
    folder = os.path.dirname(os.path.commonprefix(paths))
    return f"{folder}/{{{','.join(os.path.relpath(p, folder) for p in paths)}}}" if folder else ",".join(paths)


def read_predictions(path: str) -> dict[str, tuple] | None:
    """id -> (gold, predicted) of a run's test predictions (known labels only); label sets as
    sorted tuples. None when the run has no predictions.jsonl."""
    file = os.path.join(path, "predictions.jsonl")
    if not os.path.isfile(file):
        return None
    try:
        with open(file, encoding="utf-8") as fh:
            # one parse of the whole file as a JSON array: a json.loads per line costs twice as much
            records = json.loads("[" + ",".join(line for line in fh.read().splitlines() if line.strip()) + "]")
        if records and isinstance(records[0].get("gold"), list):
            return {r["id"]: (_as_set(r["gold"]), _as_set(r["predicted"])) for r in records if r.get("known", True)}
        return {r["id"]: (r["gold"], r["predicted"]) for r in records if r.get("known", True)}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KhabarError(f"{file}: unreadable predictions ({exc}); remove the run or re-train") from None


def _as_set(value):
    return tuple(sorted(value)) if isinstance(value, list) else value


def group_key(run: dict, predictions: dict | None) -> tuple:
    """What a run was scored on: (task, label set, test-data fingerprint). The fingerprint is the
    provenance's (texts, pairs and labels of the split the predictions hold), else a hash of the
    predictions' ids and gold labels."""
    provenance = read_mapping(os.path.join(run["run"], "provenance.json"))
    split_prints = provenance.get("data_fingerprint") or {}
    fingerprint = split_prints.get("test") or split_prints.get("dev")
    if not fingerprint and predictions:
        digest = hashlib.sha256(json.dumps(sorted((k, v[0]) for k, v in predictions.items()), ensure_ascii=False,
                                           default=list).encode("utf-8"))
        fingerprint = "ids:" + digest.hexdigest()
    labels = provenance.get("labels") or sorted({lab for gold, _ in (predictions or {}).values()
                                                 for lab in (gold if isinstance(gold, tuple) else (gold,))})
    return run["task"], tuple(labels), fingerprint or f"unscored:{run['run']}"


def bootstrap_figure(metric: str, multi_label: bool) -> tuple[str, str | None]:
    """(the figure the bootstrap tests, a note when it is not `metric` itself)."""
    split, _, name = metric.partition(".")
    figures = figures_for(multi_label)
    default = figures[0]
    if split == "test" and name in figures:
        return name, None
    return default, (f"--metric {metric} is not a test figure the bootstrap resamples; intervals and tests are on "
                     f"test.{default} ({', '.join('test.' + f for f in figures)} are)")


def check_resamples(resamples: int) -> int:
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise KhabarError(f"--resamples {resamples}: give a whole number from 1 to {MAX_RESAMPLES}")
    return resamples


def compare_runs(paths: list[str], metric: str = "test.macro_f1", resamples: int = 1000, pairs: str = "all",
                 seed: int = 0) -> dict:
    """Runs grouped by what they were scored on, each group with its leaderboard (figure and 95%
    interval per run) and its paired tests; see the module docstring."""
    check_resamples(resamples)
    if pairs not in PAIRS:
        raise KhabarError(f"--pairs {pairs}: choose one of {', '.join(PAIRS)}")
    runs = [load_run(p) for p in find_runs(paths)]
    if not any(metric in r for r in runs):
        known = sorted({k for r in runs for k in r if isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool)})
        raise KhabarError(f"--metric {metric}: no run has it; try one of {', '.join(known[:12])}")
    lower = metric.partition(".")[2] == "hamming_loss"  # the one figure where less is better that runs sort by
    runs.sort(key=lambda r: (not isinstance(r.get(metric), (int, float)), (r.get(metric) or 0) * (1 if lower else -1)))
    predictions = {r["run"]: read_predictions(r["run"]) for r in runs}
    grouped: dict[tuple, list[dict]] = {}
    for r in runs:
        grouped.setdefault(group_key(r, predictions[r["run"]]), []).append(r)
    groups = [_group(key, members, predictions, metric, pairs) for key, members in grouped.items()]
    total = sum(resamples for g in groups if len(g["tested"]) >= 1)
    with progress_bar(None, total, "bootstrap resamples", "resample") as bar:
        for g in groups:
            _test_group(g, predictions, resamples, seed, pairs, bar.update)
    return {"metric": metric, "pairs": pairs, "resamples": resamples, "runs": runs, "groups": groups,
            "significance": [t for g in groups for t in g["tests"]], "refused": _refused(groups),
            "columns": columns(runs)}


def _group(key: tuple, members: list[dict], predictions: dict, metric: str, pairs: str) -> dict:
    task, labels, fingerprint = key
    multi = members[0]["multi_label"]
    figure, note = bootstrap_figure(metric, multi)
    reference = next((predictions[r["run"]] for r in members if predictions[r["run"]]), None)
    gold = {i: g for i, (g, _) in (reference or {}).items()}
    tested, notes = [], [note] if note else []
    for r in members:
        mine = predictions[r["run"]]
        if mine is None:
            notes.append(f"{label(r)}: no predictions.jsonl, listed without interval or test")
        elif {i: g for i, (g, _) in mine.items()} != gold:
            notes.append(f"{label(r)}: its predictions hold other articles or gold labels than the group's "
                         "(same data fingerprint); listed without interval or test; re-train it")
        else:
            tested.append(r)
    n = len(reference) if reference else 0
    title = f"{task} on {members[0]['data'] or '?'}: {len(labels)} labels, {n} articles [{fingerprint.split(':')[-1][:8]}]"
    return {"title": title, "task": task, "labels": list(labels), "fingerprint": fingerprint, "multi_label": multi,
            "figure": figure, "n": n, "runs": members, "tested": tested, "tests": [], "notes": notes}


def _test_group(group: dict, predictions: dict, resamples: int, seed: int, pairs: str, step) -> None:
    """Intervals for every tested run of the group and its paired tests (Holm-adjusted)."""
    tested = group["tested"]
    if not tested:
        return
    ids = sorted(predictions[tested[0]["run"]])
    gold = [predictions[tested[0]["run"]][i][0] for i in ids]
    predicted = [[predictions[r["run"]][i][1] for i in ids] for r in tested]
    counts, correct = (multi_label_counts if group["multi_label"] else single_label_counts)(gold, predicted)
    figure = group["figure"]
    observed, values = bootstrap(counts, figure, resamples, seed, step)
    low, high = np.percentile(values, [2.5, 97.5], axis=0)
    for k, r in enumerate(tested):
        r["figure"] = {"name": figure, "value": float(observed[k]), "ci95": [float(low[k]), float(high[k])]}
    lower = lower_is_better(figure, group["multi_label"])
    best = int(np.argmin(observed) if lower else np.argmax(observed))
    group["best"] = label(tested[best])
    chosen = list(combinations(range(len(tested)), 2)) if pairs == "all" else \
        [(best, k) for k in range(len(tested)) if k != best]
    chosen = [(a, b) if (observed[a] <= observed[b] if lower else observed[a] >= observed[b]) else (b, a) for a, b in chosen]
    if not chosen:
        return
    deltas = values[:, [a for a, _ in chosen]] - values[:, [b for _, b in chosen]]
    p_boot = bootstrap_p(deltas)
    p_holm = holm(p_boot)
    p_mcnemar, a_only, b_only = mcnemar_p(correct, chosen)
    d_low, d_high = np.percentile(deltas, [2.5, 97.5], axis=0)
    for k, (a, b) in enumerate(chosen):
        group["tests"].append({
            "a": label(tested[a]), "b": label(tested[b]), "n": len(ids), "figure": figure, "multi_label": group["multi_label"],
            "delta": float(observed[a] - observed[b]), "ci95": [float(d_low[k]), float(d_high[k])],
            "bootstrap_p": float(p_boot[k]), "holm_p": float(p_holm[k]), "mcnemar_p": float(p_mcnemar[k]),
            "a_only_right": int(a_only[k]), "b_only_right": int(b_only[k]),
            "significant": bool(p_holm[k] < ALPHA),
        })
    floor = 2 / (resamples + 1)
    if floor * len(chosen) >= ALPHA and len(chosen) > 1:
        group["notes"].append(f"with {resamples} resamples the smallest bootstrap p is {floor:.2g}, and Holm over "
                              f"{len(chosen)} tests multiplies it by up to {len(chosen)}: raise --resamples "
                              f"(at least {int(np.ceil(2 * len(chosen) / ALPHA))}) or use --pairs best")


def _refused(groups: list[dict]) -> list[str]:
    if len(groups) < 2:
        return []
    kinds = {g["task"] for g in groups}
    why = "task, label set or test data"
    if len({scheme_of(g["multi_label"]) for g in groups}) > 1:  # runs of one label and of label sets
        why = "a multi-label run is never tested against a single-label one; task, label set or test data"
    return [f"{len(groups)} groups ({', '.join(sorted(kinds))}): runs of different groups are not tested against "
            f"each other ({why} differ)"]


def paired_test(a: dict, b: dict, resamples: int = 1000, seed: int = 0) -> dict:
    """Two single-label runs (id -> (gold, predicted)): McNemar exact test on correctness and the
    paired bootstrap of macro-F1 (a minus b)."""
    return _pair(a, b, resamples, seed, single_label_counts, "macro_f1")


def paired_test_multi_label(a: dict, b: dict, resamples: int = 1000, seed: int = 0) -> dict:
    """Two multi-label runs (id -> (gold set, predicted set)): McNemar on exact-set correctness and
    the paired bootstrap of micro-F1 (a minus b)."""
    return _pair(a, b, resamples, seed, multi_label_counts, "micro_f1")


def _pair(a: dict, b: dict, resamples: int, seed: int, encode, figure: str) -> dict:
    ids = sorted(a)
    counts, correct = encode([a[i][0] for i in ids], [[a[i][1] for i in ids], [b[i][1] for i in ids]])
    observed, values = bootstrap(counts, figure, resamples, seed)
    deltas = values[:, 0] - values[:, 1]
    p_mcnemar, only_a, only_b = mcnemar_p(correct, [(0, 1)])
    p_boot = bootstrap_p(deltas)
    low, high = np.percentile(deltas, [2.5, 97.5])
    return {"n": len(ids), "figure": figure, "delta": float(observed[0] - observed[1]), "ci95": [float(low), float(high)],
            "bootstrap_p": p_boot, "holm_p": p_boot, "mcnemar_p": float(p_mcnemar[0]),
            "a_only_right": int(only_a[0]), "b_only_right": int(only_b[0]), "significant": bool(p_boot < ALPHA)}


def columns(runs: list[dict]) -> tuple[str, ...]:
    """The table's columns: COLUMNS, and after each split's macro-F1 the figures the runs' schemes
    add (`SCHEME_FIGURES`: micro-F1 when a multi-label run is among them)."""
    extra = sorted({f for r in runs for f in SCHEME_FIGURES[scheme_of(bool(r.get("multi_label")))]})
    return tuple(col for base in COLUMNS
                 for col in (base, *(f"{base.partition('.')[0]}.{f}" for f in extra if base.endswith(".macro_f1"))))


def label(run: dict) -> str:
    """A run as tables name it: `<experiment>/<run folder>`."""
    return f"{run['name']}/{run['date']}"
