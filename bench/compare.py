"""`khabar compare` on 10, 50 and 200 runs, against the old approach (scikit-learn per resample).

    python bench/compare.py [--small] [--resamples 1000]

The runs are synthetic run folders built here (config.yaml, metrics.json, provenance.json,
predictions.jsonl, as `khabar train` writes them) in a temporary folder: three configs, two topic
ones scored on the same test set (7 labels) and one stance (4 labels, another test set), each run
with its own accuracy. No corpus is needed. Timed: `compare_runs` + `write_comparison` (grouping,
the vectorized paired bootstrap of every pair in each group, McNemar, Holm, the files and one plot
per group), in this process.

Peer: the old compare, one pair at a time, `sklearn.metrics.f1_score` twice per resample, on the
same groups' pairs. It would take minutes to hours, so it is measured on a few resamples of one
pair and scaled to every pair and resample (the per-call cost is constant); the line says so.

Then `khabar compare` as a user runs it (a fresh process, import time included) over 21 runs of 3
configs (7 each): in full mode 21 real runs trained here on the embedded sample (sample_topic_tfidf
twice with different C, sample_stance_tfidf; under a minute of training), in small mode synthetic ones.
Targets: 50 runs in seconds (< 10 s), the 21 runs < 20 s, and no topic run tested against a stance run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, add_small_flag, machine_line, small_banner, verdict  # noqa: E402

TARGET_50 = 10.0
TARGET_21 = 20.0
CONFIGS = (("topic_a", "topic", 7), ("topic_b", "topic", 7), ("stance_c", "stance", 4))


def build_runs(folder: Path, count: int, n_topic: int, n_stance: int, seed: int = 0) -> None:
    """`count` synthetic finished runs under folder/<config>/<run>, configs taken in turn."""
    from khabar.runs.evaluate import compute_metrics

    rng = np.random.default_rng(seed)
    gold = {"topic": rng.integers(0, 7, n_topic), "stance": rng.integers(0, 4, n_stance)}
    for k in range(count):
        name, task, labels = CONFIGS[k % len(CONFIGS)]
        truth = gold[task]
        right = rng.random(len(truth)) < rng.uniform(0.55, 0.9)
        predicted = np.where(right, truth, rng.integers(0, labels, len(truth)))
        names = [f"L{j}" for j in range(labels)]
        run = folder / name / f"20261207-{k:06d}-beef"
        run.mkdir(parents=True)
        g, p = [names[j] for j in truth], [names[j] for j in predicted]
        figures = compute_metrics(g, p, names)
        (run / "config.yaml").write_text(yaml.safe_dump({"name": name, "task": task, "model": {"kind": "tfidf"},
                                                         "data": {"path": f"data/{task}.jsonl"}}), encoding="utf-8")
        (run / "metrics.json").write_text(json.dumps({f"test.{key}": figures[key] for key in ("accuracy", "macro_f1")}))
        (run / "provenance.json").write_text(json.dumps({"labels": names, "data_fingerprint": {"test": f"{task}-test"}}))
        with open(run / "predictions.jsonl", "w", encoding="utf-8") as fh:
            for i, (a, b) in enumerate(zip(g, p)):
                fh.write(json.dumps({"id": f"{task}-{i}", "gold": a, "predicted": b}) + "\n")


def time_compare(folder: Path, resamples: int) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of this process, the result): on a shared machine the CPU time
    says what the code costs, the wall time what a user waited."""
    from khabar.runs.compare import compare_runs
    from khabar.runs.compare_report import write_comparison

    start, cpu = time.perf_counter(), time.process_time()
    result = compare_runs([str(folder / "runs")], resamples=resamples)
    write_comparison(result, str(folder / "out"))
    return time.perf_counter() - start, time.process_time() - cpu, result


def peer_seconds_per_resample(folder: Path, probe: int) -> float:
    """The old compare's cost of one resample of one pair: two f1_score calls on resampled arrays."""
    from sklearn.metrics import f1_score

    from khabar.runs.compare import read_predictions

    runs = sorted((folder / "runs" / "topic_a").iterdir())[:2]
    a, b = (read_predictions(str(r)) for r in runs)
    ids = sorted(a)
    gold = np.array([a[i][0] for i in ids])
    pa, pb = np.array([a[i][1] for i in ids]), np.array([b[i][1] for i in ids])
    labels = sorted(set(gold))
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(probe):
        idx = rng.integers(0, len(ids), len(ids))
        f1_score(gold[idx], pa[idx], labels=labels, average="macro", zero_division=0)
        f1_score(gold[idx], pb[idx], labels=labels, average="macro", zero_division=0)
    return (time.perf_counter() - start) / probe


def cross_task_tests(result: dict) -> int:
    tasks = {f"{r['name']}/{r['date']}": r["task"] for r in result["runs"]}
    return sum(tasks[t["a"]] != tasks[t["b"]] for t in result["significance"])


def train_sample_runs(out: Path) -> None:
    """21 real runs on the embedded sample: 7 seeds of each of 3 configs (two topic, one stance),
    trained in this process (one import of khabar, not 21)."""
    from khabar.log import muted
    from khabar.runs.train import train_from_config

    cwd = os.getcwd()
    os.chdir(ROOT)  # the configs' data paths are relative to the repository
    try:
        with muted():
            for seed in range(7):
                for config, extra in (("sample_topic_tfidf.yaml", []),
                                      ("sample_topic_tfidf.yaml", ["model.C=0.1", "name=sample_topic_tfidf_c01"]),
                                      ("sample_stance_tfidf.yaml", [])):
                    train_from_config(f"configs/{config}", [f"output_dir={out}", f"train.seed={seed}", *extra])
    finally:
        os.chdir(cwd)


def time_cli(runs: Path, out: Path, resamples: int) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child process, its output) of `khabar compare`."""
    import resource

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    start, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run([sys.executable, "-m", "khabar", "compare", str(runs), "--out", str(out),
                           "--resamples", str(resamples)], cwd=ROOT, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
    if proc.returncode:
        raise SystemExit(f"khabar compare failed: {proc.stderr.strip()}")
    return seconds, cpu, proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_small_flag(parser, "10 and 50 runs on 300 test articles, 21 synthetic runs for the CLI")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default: 1000)")
    parser.add_argument("--probe", type=int, default=30, help="resamples the peer is measured on (default: 30)")
    args = parser.parse_args(argv)
    sizes = (10, 50) if args.small else (10, 50, 200)
    n_topic, n_stance = (300, 200) if args.small else (5000, 1500)
    print(machine_line())
    small_banner(args.small, f"10 and 50 runs, test sets of {n_topic} and {n_stance} articles")
    print(f"load average {os.getloadavg()[0]:.2f}; {args.resamples} resamples; test sets: topic {n_topic}, "
          f"stance {n_stance} articles; runs split over 3 configs (two topic on one test set, one stance)")
    print(f"{'runs':>5} {'groups':>6} {'pairs':>6} {'khabar s':>9} {'CPU s':>6} {'old s (scaled)':>15} {'speed-up':>9}")
    seconds_at = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in sizes:
            folder = Path(tmp) / f"n{count}"
            build_runs(folder / "runs", count, n_topic, n_stance)
            seconds, cpu, result = time_compare(folder, args.resamples)
            seconds_at[count] = (seconds, cpu)
            per = peer_seconds_per_resample(folder, args.probe)
            old_pairs = sum(len(list(combinations(g["tested"], 2))) for g in result["groups"])
            old = per * old_pairs * args.resamples
            print(f"{count:>5} {len(result['groups']):>6} {len(result['significance']):>6} {seconds:>9.2f} {cpu:>6.2f} "
                  f"{old:>15.1f} {old / seconds:>8.0f}x")
            assert cross_task_tests(result) == 0
        print(f"peer: sklearn f1_score x2 per resample and pair, measured on {args.probe} resamples of one pair "
              f"({per * 1000:.2f} ms per resample) and scaled to every pair and resample")
        wall, cpu = seconds_at[50]
        print(f"50 runs in seconds (< {TARGET_50:g} s): wall {wall:.2f} s: {verdict(wall < TARGET_50, args.small)}; "
              f"CPU {cpu:.2f} s: {verdict(cpu < TARGET_50, args.small)} (on a shared machine the CPU time is the code's)")

        runs21 = Path(tmp) / "r21"
        if args.small:
            build_runs(runs21, 21, n_topic, n_stance, seed=1)
            what = "21 synthetic runs"
        else:
            train_sample_runs(runs21)
            what = "21 runs trained on the embedded sample"
        seconds, cpu, printed = time_cli(runs21, Path(tmp) / "out21", args.resamples)
        from khabar.runs.compare import compare_runs

        result = compare_runs([str(runs21)], resamples=50)
        mixed = cross_task_tests(result)
        print(f"khabar compare over {what} of 3 configs ({len(result['groups'])} groups, "
              f"{len(result['significance'])} pairs tested, fresh process): wall {seconds:.2f} s, CPU {cpu:.2f} s")
        print(f"21 runs < {TARGET_21:g} s: wall {verdict(seconds < TARGET_21, args.small)}; CPU {verdict(cpu < TARGET_21, args.small)}")
        print(f"topic runs tested against stance runs: {mixed}: {verdict(mixed == 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
