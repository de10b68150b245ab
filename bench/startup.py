"""Start-up cost of a one-shot command, against the bare imports it cannot avoid.

    python bench/startup.py [--repeats N] [--small]

A newsroom script that calls `khabar predict` once per article pays the start-up every time. Two
ratios, each measured in the same run with the rounds interleaved (every command once per round),
so load from other processes hits both sides alike; each figure is the median wall time of the
rounds:

- a one-text `khabar predict` with a TF-IDF model (trained here on the embedded sample) against a
  bare `python -c "import sklearn.svm, sklearn.feature_extraction.text"`: the target is at most
  1.6x (a TF-IDF model cannot load without scikit-learn, but must not pay for torch, pandas
  readers or the rest of khabar);
- `khabar normalize` of one line against a bare `python -c "import re"`: at most 2x (normalizing
  needs no model library at all).

Needs no shared corpus (the sample ships with the repository); --small runs fewer rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from _common import add_small_flag, verdict  # noqa: E402

ROOT = _common.ROOT
TEXT = "فاز المنتخب الوطني بالمباراة النهائية"
PREDICT_TARGET = 1.6
NORMALIZE_TARGET = 2.0


def environment(pycache: Path) -> dict:
    """This checkout's khabar first on the path, one thread (as a one-shot script runs), and
    bytecode cached (in `pycache`, outside the repository) as for an installed package: pip
    compiles a package's .pyc files at install, so a user never pays for compiling khabar's
    source; with PYTHONDONTWRITEBYTECODE set, every run here would."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def train_sample_run(out: Path) -> str:
    """A TF-IDF topic run on the embedded sample (quiet), its directory."""
    sys.path.insert(0, str(ROOT / "src"))
    from khabar import train

    cwd = os.getcwd()
    os.chdir(ROOT)  # the config's data paths are relative to the repository
    try:
        return str(train(str(ROOT / "configs" / "sample_topic_tfidf.yaml"), overrides=[f"output_dir={out}"]).directory)
    finally:
        os.chdir(cwd)


def seconds(argv: list[str], env: dict, stdin: str | None = None) -> float:
    """Wall time of one process, checked to succeed."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} ...: exit {done.returncode}: {done.stderr.strip()[-400:]}")
    return elapsed


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=None, help="interleaved rounds (default: 9; --small: 3)")
    add_small_flag(parser, "3 rounds instead of 9")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.small else 9)
    _common.small_banner(args.small, f"{repeats} rounds")
    py = sys.executable
    print(_common.machine_line())
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(Path(tmp) / "pycache")
        run = train_sample_run(Path(tmp))
        commands = {
            "bare sklearn": ([py, "-c", "import sklearn.svm, sklearn.feature_extraction.text"], None),
            "khabar predict": ([py, "-m", "khabar", "predict", run, "--text", TEXT], None),
            "bare re": ([py, "-c", "import re"], None),
            "khabar normalize": ([py, "-m", "khabar", "normalize"], TEXT + "\n"),
        }
        for argv, stdin in commands.values():  # warm the file cache and write the .pyc files first
            seconds(argv, env, stdin)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeats):
            for name, (argv, stdin) in commands.items():
                times[name].append(seconds(argv, env, stdin))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"load average after: {load_average()}; {repeats} interleaved rounds, median wall time")
    for name, value in median.items():
        print(f"  {name:<18} {value:7.3f} s  (min {min(times[name]):.3f}, max {max(times[name]):.3f})")
    predict_ratio = median["khabar predict"] / median["bare sklearn"]
    normalize_ratio = median["khabar normalize"] / median["bare re"]
    print(f"predict one text (TF-IDF) / bare sklearn import: {predict_ratio:.2f}x "
          f"(target <= {PREDICT_TARGET}x): {verdict(predict_ratio <= PREDICT_TARGET, args.small)}")
    print(f"normalize one line / bare python: {normalize_ratio:.2f}x "
          f"(target <= {NORMALIZE_TARGET}x): {verdict(normalize_ratio <= NORMALIZE_TARGET, args.small)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
