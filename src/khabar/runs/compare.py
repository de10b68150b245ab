"""Gather run directories into one table, plot it, and test whether differences are real.

Two runs evaluated on the same test set (same ids, same gold labels) are compared with McNemar's
exact test on accuracy and a paired bootstrap on macro-F1: a 0.3-point gain on 400 articles is
often noise, and the table should say so. Two multi-label runs: McNemar on exact-set correctness
and the bootstrap on micro-F1 (every label decision pooled, the figure a small test set can carry).
A multi-label run and a single-label one are listed side by side, never tested against each other:
their figures measure different things (one line says so).
"""

from __future__ import annotations

import csv
import json
import os
from itertools import combinations

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import f1_score

from ..errors import KhabarError
from ..models.thresholds import multi_hot
from .run_dir import read_mapping

COLUMNS = ("name", "run", "task", "kind", "data", "test.accuracy", "test.macro_f1", "dev.macro_f1", "train.seconds", "date")
#: the columns added when a multi-label run is among those compared (its accuracy is subset accuracy)
MULTI_LABEL_COLUMNS = ("test.micro_f1", "dev.micro_f1")


def find_runs(paths: list[str]) -> list[str]:
    """Run directories among `paths`: each is a run, or a folder searched for finished runs."""
    found = []
    for path in paths or ["experiments"]:
        if not os.path.isdir(path):
            raise KhabarError(f"{path}: no such directory; pass run directories or a folder of runs such as experiments/")
        if _is_run(path):
            found.append(path)
            continue
        for root, dirs, _ in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "model")
            if _is_run(root):
                found.append(root)
                dirs[:] = []
    if not found:
        raise KhabarError(f"no finished runs under {', '.join(paths or ['experiments'])}; train one with khabar train CONFIG")
    return found


def _is_run(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "metrics.json")) and os.path.isfile(os.path.join(path, "config.yaml"))


def load_run(path: str) -> dict:
    metrics = read_mapping(os.path.join(path, "metrics.json"))
    config = read_mapping(os.path.join(path, "config.yaml"))
    data_path = config.get("data", {}).get("path", [])
    multi_label = bool(config.get("multi_label"))
    return {
        "name": config.get("name", "?"), "run": path, "multi_label": multi_label,
        "task": f"{config.get('task', '?')}{' multi-label' if multi_label else ''}",
        "kind": config.get("model", {}).get("kind", "?"),
        "data": _short_paths(data_path if isinstance(data_path, list) else [str(data_path)]),
        "date": os.path.basename(os.path.normpath(path)), **metrics,
    }


def _short_paths(paths: list[str]) -> str:
    """`../shared/data/ans_stance/{train,dev,test}.csv` rather than three full paths."""
    if len(paths) <= 1:
        return "".join(paths)
    folder = os.path.dirname(os.path.commonprefix(paths))
    return f"{folder}/{{{','.join(os.path.relpath(p, folder) for p in paths)}}}" if folder else ",".join(paths)


def _predictions(path: str) -> dict[str, tuple] | None:
    """id -> (gold, predicted) of a run's test predictions; label sets as sorted tuples."""
    file = os.path.join(path, "predictions.jsonl")
    if not os.path.isfile(file):
        return None
    try:
        with open(file, encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise KhabarError(f"{file}: unreadable predictions ({exc}); remove the run or re-train") from None
    return {r["id"]: (_as_set(r["gold"]), _as_set(r["predicted"])) for r in records if r.get("known", True)}


def _as_set(value):
    return tuple(sorted(value)) if isinstance(value, list) else value


def paired_test(a: dict, b: dict, resamples: int = 1000, seed: int = 0) -> dict:
    """McNemar exact test on correctness, paired bootstrap on macro-F1 (a minus b)."""
    ids = sorted(a)
    gold = np.array([a[i][0] for i in ids])
    pred_a = np.array([a[i][1] for i in ids])
    pred_b = np.array([b[i][1] for i in ids])
    labels = sorted(set(gold))

    def macro_f1_gain(idx):
        return f1_score(gold[idx], pred_a[idx], labels=labels, average="macro", zero_division=0) - \
            f1_score(gold[idx], pred_b[idx], labels=labels, average="macro", zero_division=0)

    return _paired_result(pred_a == gold, pred_b == gold, "macro_f1", macro_f1_gain(np.arange(len(ids))),
                          _bootstrap(len(ids), resamples, seed, macro_f1_gain))


def paired_test_multi_label(a: dict, b: dict, resamples: int = 1000, seed: int = 0) -> dict:
    """Two multi-label runs (id -> (gold set, predicted set)): McNemar exact test on exact-set
    correctness, paired bootstrap on micro-F1 (a minus b)."""
    ids = sorted(a)
    labels = sorted({lab for run in (a, b) for i in ids for part in run[i] for lab in part})
    gold = multi_hot([a[i][0] for i in ids], labels).astype(bool)
    pred_a = multi_hot([a[i][1] for i in ids], labels).astype(bool)
    pred_b = multi_hot([b[i][1] for i in ids], labels).astype(bool)
    # micro-F1 = 2 TP / (2 TP + FP + FN) over the pooled decisions: resample the per-article counts
    counts = [np.stack([(p & gold).sum(1), (p & ~gold).sum(1), (~p & gold).sum(1)], axis=1) for p in (pred_a, pred_b)]

    def micro_f1_gain(idx):
        return _micro_f1(counts[0][idx].sum(0)) - _micro_f1(counts[1][idx].sum(0))

    return _paired_result(np.all(pred_a == gold, axis=1), np.all(pred_b == gold, axis=1), "micro_f1",
                          micro_f1_gain(np.arange(len(ids))), _bootstrap(len(ids), resamples, seed, micro_f1_gain))


def _bootstrap(n: int, resamples: int, seed: int, gain) -> np.ndarray:
    """`gain(indices)` on `resamples` resamples (with replacement) of the n paired articles."""
    rng = np.random.default_rng(seed)
    return np.array([gain(rng.integers(0, n, n)) for _ in range(resamples)])


def _paired_result(right_a, right_b, figure: str, observed: float, deltas: np.ndarray) -> dict:
    """McNemar's exact test on who is right where, and the bootstrap's interval and p of `figure`."""
    only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
    p_mcnemar = binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    p_boot = bootstrap_p(deltas)
    low, high = np.percentile(deltas, [2.5, 97.5])
    return {
        "n": len(right_a), "a_only_right": only_a, "b_only_right": only_b, "mcnemar_p": float(p_mcnemar),
        f"{figure}_delta": float(observed), f"{figure}_ci95": [float(low), float(high)], "bootstrap_p": float(p_boot),
        "significant": bool(p_mcnemar < 0.05 and p_boot < 0.05),
    }


def bootstrap_p(deltas: np.ndarray) -> float:
    """Two-sided: how often the resampled difference falls on the other side of zero, counted as
    (k + 1) / (B + 1) so that B resamples never claim p = 0 (they can only say p < 1/B)."""
    other_side = min(int(np.sum(deltas <= 0)), int(np.sum(deltas >= 0)))
    return min(1.0, 2 * (other_side + 1) / (len(deltas) + 1))


def _micro_f1(counts: np.ndarray) -> float:
    tp, fp, fn = counts
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def compare_runs(paths: list[str], metric: str = "test.macro_f1", resamples: int = 1000) -> dict:
    runs = [load_run(p) for p in find_runs(paths)]
    if not any(metric in r for r in runs):
        known = sorted({k for r in runs for k in r if isinstance(r.get(k), (int, float))})
        raise KhabarError(f"--metric {metric}: no run has it; try one of {', '.join(known[:12])}")
    runs.sort(key=lambda r: (r.get(metric) is None, -(r.get(metric) or 0)))
    tests, refused = [], []
    predictions = {r["run"]: _predictions(r["run"]) for r in runs}
    for a, b in combinations(runs, 2):
        pa, pb = predictions[a["run"]], predictions[b["run"]]
        if not (pa and pb and set(pa) == set(pb)):
            continue
        if a["multi_label"] != b["multi_label"]:
            refused.append(f"{_label(a)} vs {_label(b)}: not tested, a multi-label run against a single-label one "
                           "(label sets and single labels are measured differently); compare each with its own kind")
        elif all(pa[i][0] == pb[i][0] for i in pa):
            test = paired_test_multi_label if a["multi_label"] else paired_test
            tests.append({"a": _label(a), "b": _label(b), **test(pa, pb, resamples)})
    return {"metric": metric, "runs": runs, "significance": tests, "refused": refused,
            "columns": columns(runs)}


def columns(runs: list[dict]) -> tuple[str, ...]:
    """The table's columns: COLUMNS, and the micro-F1 columns when a multi-label run is among them."""
    if not any(r.get("multi_label") for r in runs):
        return COLUMNS
    at = COLUMNS.index("test.macro_f1") + 1
    return COLUMNS[:at] + MULTI_LABEL_COLUMNS[:1] + COLUMNS[at:at + 1] + MULTI_LABEL_COLUMNS[1:] + COLUMNS[at + 1:]


def _bootstrap_figure(test: dict) -> tuple[str, float, list[float]]:
    """(name, delta, 95% interval) of a test's bootstrap: micro-F1 for multi-label runs, else macro-F1."""
    if "micro_f1_delta" in test:
        return "micro-F1", test["micro_f1_delta"], test["micro_f1_ci95"]
    return "macro-F1", test["macro_f1_delta"], test["macro_f1_ci95"]


def _label(run: dict) -> str:
    return f"{run['name']}/{run['date']}"


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def format_table(result: dict) -> str:
    cols = result.get("columns", COLUMNS)
    rows = [[_cell(r.get(c)) for c in cols if c != "run"] for r in result["runs"]]
    header = [c for c in cols if c != "run"]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in rows]
    for t in result["significance"]:
        verdict = "significant" if t["significant"] else "not significant"
        name, delta, ci = _bootstrap_figure(t)
        lines.append(f"{t['a']} vs {t['b']}: {name} delta {delta:+.4f} "
                     f"(95% CI {ci[0]:+.4f}..{ci[1]:+.4f}), "
                     f"McNemar p={t['mcnemar_p']:.3g}, bootstrap p={t['bootstrap_p']:.3g}: {verdict} at 0.05 (n={t['n']})")
    lines += result.get("refused", [])
    if cols != COLUMNS:
        lines.append(MULTI_LABEL_NOTE)
    return "\n".join(lines)


MULTI_LABEL_NOTE = ("For multi-label runs test.accuracy is subset accuracy (the exact label set), and McNemar's test "
                    "counts exact sets.")


def write_comparison(result: dict, out_dir: str) -> list[str]:
    """comparison.md, comparison.csv and comparison.png; returns the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    md, csv_path, png = (os.path.join(out_dir, f"comparison.{ext}") for ext in ("md", "csv", "png"))
    cols = result.get("columns", COLUMNS)
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(cols)
        writer.writerows([[_cell(r.get(c)) for c in cols] for r in result["runs"]])
    lines = [f"# Comparison, sorted by {result['metric']}", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in cols) + " |" for r in result["runs"]]
    if cols != COLUMNS:
        lines += ["", MULTI_LABEL_NOTE]
    if result["significance"]:
        multi = any("micro_f1_delta" in t for t in result["significance"])
        delta_name = "F1 delta (macro-F1; micro-F1 for multi-label runs)" if multi else "macro-F1 delta"
        lines += ["", "## Paired significance (same test set)", "",
                  f"| a | b | n | {delta_name} | 95% CI | McNemar p | bootstrap p | significant |", "|---|---|---|---|---|---|---|---|"]
        for t in result["significance"]:
            _, delta, ci = _bootstrap_figure(t)
            lines.append(f"| {t['a']} | {t['b']} | {t['n']} | {delta:+.4f} | "
                         f"{ci[0]:+.4f}..{ci[1]:+.4f} | {t['mcnemar_p']:.3g} | "
                         f"{t['bootstrap_p']:.3g} | {'yes' if t['significant'] else 'no'} |")
    if result.get("refused"):
        lines += ["", *(f"- {line}" for line in result["refused"])]
    with open(md, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    _plot(result, png)
    return [md, csv_path, png]


def _plot(result: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [r for r in result["runs"] if isinstance(r.get(result["metric"]), (int, float))]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(runs) + 1.5))
    ax.barh([_label(r) for r in runs][::-1], [r[result["metric"]] for r in runs][::-1], color="#3b7dd8")
    ax.set_xlabel(result["metric"])
    ax.set_xlim(0, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
