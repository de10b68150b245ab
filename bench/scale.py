"""Training that scales with the corpus: fit time and peak memory against corpus size, and
prediction throughput, for the default SANAD config, the streaming config and the peer
`TfidfVectorizer() + LinearSVC()`, in the same run.

The corpora are SANAD AlKhaleej's train split replicated 1x, 4x and 16x (36k / 145k / 582k
articles, each copy with its own ids, written as JSON-lines shards to a temporary folder), with
SANAD's dev and test splits as they are. Every fit runs in a fresh child process that reads the
shards itself, so each peak RSS (the child's VmHWM, read at its end) is that fit's alone: data
loading, featurizing, the classifier and calibration included. The growth exponent is the slope
of log(figure) against log(articles) over the sizes run (1: linear), of wall time and of CPU time
(user + system seconds of the child and of any process it waited for, over the same interval as
the wall time). The machine is shared: wall time measures the neighbours' load as much as the
code, CPU time does not, so the linearity verdict is judged on CPU time and the load average is
printed on every row.

Each child sets its own /proc/self/oom_score_adj to 1000: if memory runs out, the kernel's OOM
killer picks the benchmark's child, not somebody else's work. A child killed that way is a
`failed` row (with the highest RSS the parent saw it reach), never a missing one.

Goals (issue 22): (a) the default config's peak RSS at 4x at most 2.5x the peer's, test accuracy
>= 0.9811 at 1x; (b) the streaming config under 2 GB at every size, fit time linear (exponent
<= 1.15), test accuracy >= 0.975 at 1x; (c) the default model's prediction throughput on SANAD
test (raw text in, normalization included, all cores; the best of 3 warm passes) at least the peer's.

    .venv/bin/python bench/scale.py [--small] [--sizes 1,4,16] [--max-gb 12]

--small: 1,000 training articles replicated 1x/2x/4x with 300 dev and 300 test articles (the
benchmark's conventions: bench/_common.py). --max-gb: a default-config fit projected (from the
smaller sizes' growth) above this many GB is skipped and printed as skipped, not run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from _common import ROOT, add_small_flag, machine_line, shared_path, small_banner, verdict

CORPUS = "sanad_khaleej.jsonl.gz"
DEFAULT = ROOT / "configs" / "sanad_topic_tfidf.yaml"
STREAM = ROOT / "configs" / "sanad_topic_stream.yaml"
SYSTEMS = ("peer", "default", "stream")
SHARD_ROWS = 40000
#: warm prediction passes over SANAD test at the first size; the fastest gives the throughput
THROUGHPUT_PASSES = 3
#: how often the parent samples a running child's peak RSS (seconds)
WATCH_EVERY = 0.5


# ---------------------------------------------------------------- the child: one fit, its own peak

def peak_rss_gb(pid: str = "self") -> float:
    """A process's peak resident memory (VmHWM) in GB; NaN once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1e6
    except OSError:
        pass
    return float("nan")


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, of the processes it has waited for, and of its
    live descendants (joblib's worker processes stay alive between calls, so RUSAGE_CHILDREN
    alone would miss the default config featurizing its dev split in them)."""
    own, waited = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime + live_descendants_cpu(os.getpid())


def live_descendants_cpu(pid: int) -> float:
    """CPU seconds (user + system, their own and their waited-for children's) of the running
    descendants of `pid`, from /proc/*/stat."""
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    tick, total, frontier = os.sysconf("SC_CLK_TCK"), 0, {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        total += sum(cpu[child] for child in frontier)
    return total / tick


def volunteer_for_oom_killer() -> str | None:
    """oom_score_adj 1000 for this process: the first one the kernel kills when memory runs out.
    Returns why not, when the system refuses (then the row says so)."""
    try:
        with open("/proc/self/oom_score_adj", "w", encoding="utf-8") as fh:
            fh.write("1000")
        return None
    except OSError as exc:
        return f"oom_score_adj not set ({exc.strerror})"


def child(system: str, folder: str, throughput: bool) -> dict:
    from sklearn.metrics import accuracy_score

    from khabar.config import load_config
    from khabar.runs.train import fit_from_config, read_splits

    # the in-memory loaders read files (a folder means SANAD's .txt layout); the streaming one reads the folder
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    path = folder if system == "stream" else "[" + ", ".join(files) + "]"
    overrides = [f"data.path={path}", "eval.extra=[]"]
    config = load_config(str(STREAM if system == "stream" else DEFAULT), overrides)
    start, cpu_start = time.perf_counter(), cpu_seconds()
    if system == "peer":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        splits = read_splits(config)
        vectorizer = TfidfVectorizer()
        classifier = LinearSVC().fit(vectorizer.fit_transform([ex.text for ex in splits.train]),
                                     [ex.label for ex in splits.train])

        def predict(texts):
            return classifier.predict(vectorizer.transform(texts))
    else:
        model, splits = fit_from_config(config, progress=lambda *_: None)
        predict = model.predict
    fit, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    n_train = len(splits.train)
    texts, gold = [ex.text for ex in splits.test], [ex.label for ex in splits.test]
    peak = peak_rss_gb()  # before prediction: the fit's peak
    pred_start = time.perf_counter()
    predicted = predict(texts)
    per_second = len(texts) / (time.perf_counter() - pred_start)
    pred_cpu = None
    if throughput:  # warm passes: the best of THROUGHPUT_PASSES counts (a shared machine's load comes in bursts)
        walls, cpus = [], []
        for _ in range(THROUGHPUT_PASSES):
            pred_start, cpu_start = time.perf_counter(), cpu_seconds()
            predict(texts)
            walls.append(time.perf_counter() - pred_start)
            cpus.append(cpu_seconds() - cpu_start)
        per_second, pred_cpu = len(texts) / min(walls), min(cpus) / len(texts) * 1000
    return {"system": system, "n": n_train, "fit": fit, "cpu": cpu, "peak_gb": peak,
            "accuracy": accuracy_score(gold, list(predicted)), "per_second": per_second, "pred_cpu": pred_cpu}


# ---------------------------------------------------------------- the parent: corpora, children, verdicts

def read_corpus(source: str, train_rows: int | None, test_rows: int | None) -> tuple[list, list]:
    """(train records, dev and test records) of SANAD; with row limits, an even sample of each
    split (the file is sorted by label, so its first rows are all one topic)."""
    import gzip

    split: dict[str, list] = {"train": [], "dev": [], "test": []}
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            split[record["split"]].append(record)

    def sample(rows, limit):
        return rows[:: max(1, len(rows) // limit)][:limit] if limit else rows

    return sample(split["train"], train_rows), sample(split["dev"], test_rows) + sample(split["test"], test_rows)


def write_corpus(train: list, held_out: list, folder: str, copies: int) -> int:
    """The train records `copies` times (new ids) plus dev and test, as JSON-lines shards."""
    os.makedirs(folder, exist_ok=True)
    shard, rows, out = 0, 0, None
    for copy in range(copies):
        for record in train:
            if out is None or rows == SHARD_ROWS:
                if out is not None:
                    out.close()
                out, rows, shard = open(os.path.join(folder, f"part-{shard:04d}.jsonl"), "w", encoding="utf-8"), 0, shard + 1
            out.write(json.dumps({**record, "id": f"{record['id']}~{copy}"}, ensure_ascii=False) + "\n")
            rows += 1
    out.close()
    with open(os.path.join(folder, "held-out.jsonl"), "w", encoding="utf-8") as fh:
        for record in held_out:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(train) * copies


def run_child(system: str, folder: str, throughput: bool) -> dict:
    """One fit in a fresh process; its output row, or a `failed` row saying how it ended."""
    command = [sys.executable, __file__, "--child", system, "--folder", folder] + ["--throughput"] * throughput
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return watch(command, env, system)


def watch(command: list[str], env: dict, system: str) -> dict:
    """Run `command`, sampling its peak RSS while it runs (a killed child cannot report its own)."""
    start, seen = time.perf_counter(), float("nan")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env, cwd=ROOT)
        while proc.poll() is None:
            peak = peak_rss_gb(str(proc.pid))
            seen = peak if math.isnan(seen) else max(seen, peak if not math.isnan(peak) else seen)
            time.sleep(WATCH_EVERY)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode == 0:
        return json.loads(stdout.strip().splitlines()[-1])
    return {"system": system, "error": failure(proc.returncode, stderr or stdout, seen, time.perf_counter() - start)}


def failure(returncode: int, output: str, seen_gb: float, seconds: float) -> str:
    """One line for a child that did not finish: killed by a signal (SIGKILL: most likely the OOM
    killer, which this benchmark's children volunteer for), or its own error's last lines."""
    seen = f"; peak RSS seen {seen_gb:.2f} GB" if not math.isnan(seen_gb) else ""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        why = " (out of memory: the kernel's OOM killer; this child had oom_score_adj 1000)" if name == "SIGKILL" else ""
        return f"killed by {name}{why} after {seconds:.0f} s{seen}"
    tail = output.strip().splitlines()[-3:]
    return (" | ".join(tail) or f"exit {returncode}") + f" (exit {returncode} after {seconds:.0f} s{seen})"


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(y) against log(x)."""
    if len(points) < 2:
        return None
    xs, ys = [math.log(x) for x, _ in points], [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def projected_gb(rows: list[dict], n: int) -> float | None:
    """A system's peak at `n` articles, extrapolated from its measured sizes (log-log line)."""
    points = [(r["n"], r["peak_gb"]) for r in rows if "peak_gb" in r]
    if not points:
        return None
    if len(points) == 1:
        return points[0][1] * n / points[0][0]
    b = slope(points)
    x0, y0 = points[-1]
    return y0 * (n / x0) ** b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_small_flag(parser, "1,000 training articles x 1/2/4, 300 dev and 300 test articles")
    parser.add_argument("--sizes", default=None, help="copies of the train split, comma-separated (default 1,4,16)")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--max-gb", type=float, default=12.0, help="skip a default fit projected above this peak")
    parser.add_argument("--child", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--throughput", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.chdir(ROOT)
        refused = volunteer_for_oom_killer()
        row = child(args.child, args.folder, args.throughput)
        print(json.dumps({**row, **({"note": refused} if refused else {})}))
        return
    source = shared_path(CORPUS, args.small)
    sizes = [int(s) for s in (args.sizes or ("1,2,4" if args.small else "1,4,16")).split(",")]
    systems = [s for s in args.systems.split(",") if s]
    small_banner(args.small, "1,000 training articles x 1/2/4")
    print(machine_line())
    print(f"load average {load()} at start ({os.cpu_count()} cores; the machine may be shared: wall time "
          "depends on the neighbours, CPU time hardly, so linearity is judged on CPU time)")
    results: dict[str, list[dict]] = {s: [] for s in systems}
    print(f"{'system':<9}{'articles':>10}{'fit s':>9}{'CPU s':>9}{'peak GB':>9}{'test acc':>10}{'pred/s':>9}"
          f"  load (1/5/15 min) at row end", flush=True)
    train, held_out = read_corpus(str(source), 1000 if args.small else None, 300 if args.small else None)
    with tempfile.TemporaryDirectory(prefix="khabar-scale-") as tmp:
        for copies in sizes:
            folder = os.path.join(tmp, f"x{copies}")
            n = write_corpus(train, held_out, folder, copies)
            for system in systems:
                guess = projected_gb(results[system], n)
                if system == "default" and guess is not None and guess > args.max_gb:
                    row = {"system": system, "n": n, "skipped": f"projected {guess:.1f} GB > --max-gb {args.max_gb:g}"}
                else:
                    row = run_child(system, folder, throughput=copies == sizes[0])
                    row.setdefault("n", n)
                row["load"] = load()
                results[system].append(row)
                print(_row_line(row), flush=True)
            shutil.rmtree(folder)
    print(f"load average {load()} at end")
    _verdicts(results, sizes, args.small)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _row_line(row: dict) -> str:
    head = f"{row['system']:<9}{row['n']:>10,}"
    at = f"  load {row['load']}" if "load" in row else ""
    if "error" in row:
        return f"{head}  failed: {row['error']}{at}"
    if "skipped" in row:
        return f"{head}  skipped: {row['skipped']}"
    note = f"  ({row['note']})" if row.get("note") else ""
    return (f"{head}{row['fit']:>9.1f}{row['cpu']:>9.1f}{row['peak_gb']:>9.2f}{row['accuracy']:>10.4f}"
            f"{row['per_second']:>9,.0f}{at}{note}")


def _measured(rows: list[dict]) -> list[dict]:
    return [r for r in rows if "peak_gb" in r]


def _verdicts(results: dict, sizes: list[int], small: bool) -> None:
    for system, rows in results.items():
        done = _measured(rows)
        time_b = slope([(r["n"], r["fit"]) for r in done])
        cpu_b = slope([(r["n"], r["cpu"]) for r in done])
        mem_b = slope([(r["n"], r["peak_gb"]) for r in done])
        if time_b is not None:
            sizes_run = "/".join(f"{r['n']:,}" for r in done)
            print(f"growth exponent {system} ({sizes_run}): fit CPU time {cpu_b:.2f}, fit wall time {time_b:.2f}, "
                  f"peak RSS {mem_b:.2f}")
    by = {s: {r["n"]: r for r in _measured(rows)} for s, rows in results.items()}
    second = sorted({r["n"] for rows in results.values() for r in rows})[1:2]
    if "default" in by and "peer" in by and second:
        n = second[0]
        d, p = by["default"].get(n), by["peer"].get(n)
        if d and p:
            print(f"goal (a) default peak RSS at {n:,} <= 2.5x peer's: {d['peak_gb']:.2f} / {p['peak_gb']:.2f} GB = "
                  f"{d['peak_gb'] / p['peak_gb']:.2f}x {verdict(d['peak_gb'] <= 2.5 * p['peak_gb'], small)}")
    first = {s: next(iter(_measured(rows)), None) for s, rows in results.items()}
    if first.get("default"):
        acc = first["default"]["accuracy"]
        print(f"goal (a) default test accuracy >= 0.9811 at {first['default']['n']:,}: {acc:.4f} {verdict(acc >= 0.9811, small)}")
    if "stream" in by and by["stream"]:
        rows = list(by["stream"].values())
        worst = max(r["peak_gb"] for r in rows)
        failed = [r for r in results["stream"] if "error" in r]
        also = f" ({len(failed)} size(s) failed)" if failed else ""
        print(f"goal (b) stream peak RSS < 2 GB at every size: max {worst:.2f} GB{also} "
              f"{verdict(worst < 2.0 and not failed, small)}")
        b = slope([(r["n"], r["cpu"]) for r in rows])
        if b is not None:
            wall = slope([(r["n"], r["fit"]) for r in rows])
            print(f"goal (b) stream fit time linear (CPU time exponent <= 1.15; wall {wall:.2f} on the shared "
                  f"machine): {b:.2f} {verdict(b <= 1.15, small)}")
        acc = first["stream"]["accuracy"]
        print(f"goal (b) stream test accuracy >= 0.975 at {first['stream']['n']:,}: {acc:.4f} {verdict(acc >= 0.975, small)}")
    if first.get("default") and first.get("peer"):
        d, p = first["default"]["per_second"], first["peer"]["per_second"]
        print(f"goal (c) default prediction throughput >= peer's (raw text, {len(os.sched_getaffinity(0))} cores, best of "
              f"{THROUGHPUT_PASSES} warm passes): {d:,.0f} vs {p:,.0f} articles/s = {d / p:.2f}x {verdict(d >= p, small)}")
        dc, pc = first["default"].get("pred_cpu"), first["peer"].get("pred_cpu")
        if dc and pc:
            print(f"prediction CPU time per 1,000 articles (all processes, load-independent; not a goal): "
                  f"default {dc:.2f} s, peer {pc:.2f} s")


if __name__ == "__main__":
    main()
