"""What every benchmark prints and needs: the machine, the shared corpora, small mode, honest verdicts.

The conventions every script in bench/ follows (tests/test_bench_scripts.py and `make bench-small`
hold them; a new benchmark copies them):

- A script is `bench/NAME.py` with a `main()` that parses its arguments first (argparse) and
  calls `add_small_flag(parser, ...)`; files starting with `_` are helpers, not benchmarks.
- `--small` is the CI mode: a few hundred examples (`small_splits`, or a smaller `--n`), a tiny
  BERT where a transformer is needed, seconds to about a minute on 2 cores. It runs the same code
  path, prints the same figures and the same MET / NOT MET lines (`verdict(ok, small)` marks them
  informational: small sizes decide nothing). `make bench-small` (bench/_run_small.py) runs every
  benchmark this way and fails when one fails.
- The corpora live in $KHABAR_SHARED_DATA (default ../shared/data beside the repository) and are
  found with `shared_path`; a config's `../shared/data/...` paths are redirected there by
  `shared_config`. When a corpus is absent, the script prints one `skipped: ...` line and exits 0
  in small mode (CI without the corpora passes), 1 in full mode (a benchmark asked for did not run).
- Anything written goes to a temporary folder or bench/out/ (git-ignored), never the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the benchmark corpora: $KHABAR_SHARED_DATA, by default ../shared/data beside the repository
SHARED = Path(os.environ.get("KHABAR_SHARED_DATA") or ROOT.parent / "shared" / "data").resolve()
#: where configs name the corpora (relative to the repository, as `khabar train` reads them)
CONFIG_SHARED_PREFIX = "../shared/data/"
#: bench outputs that are kept: git-ignored
OUT = ROOT / "bench" / "out"


def add_small_flag(parser: argparse.ArgumentParser, what: str) -> None:
    """The `--small` option every benchmark has; `what` says what small mode runs, e.g. '400 train articles'."""
    parser.add_argument("--small", action="store_true",
                        help=f"small mode (CI): {what}; seconds, and the verdicts are informational")


def shared_path(relative: str, small: bool = False) -> Path:
    """A corpus under the shared data folder. When it is absent: one 'skipped' line, then exit 0 in
    small mode (CI without the corpora passes) or 1 in full mode (the benchmark did not run)."""
    path = SHARED / relative
    if not path.exists():
        print(f"skipped: {path} not found (the benchmark corpora live in $KHABAR_SHARED_DATA, "
              "by default ../shared/data beside the repository)")
        sys.exit(0 if small else 1)
    return path


def shared_data_overrides(config_path: str) -> list[str]:
    """`--set` overrides pointing a config's `../shared/data/...` paths at $KHABAR_SHARED_DATA."""
    from khabar.config import read_yaml_with_base

    raw = read_yaml_with_base(str(config_path))
    paths = (raw.get("data") or {}).get("path")
    if paths is None:
        return []
    paths = [paths] if isinstance(paths, str) else list(paths)
    moved = [str(SHARED / p[len(CONFIG_SHARED_PREFIX):]) if p.startswith(CONFIG_SHARED_PREFIX) else p for p in paths]
    return [] if moved == paths else ["data.path=" + json.dumps(moved, ensure_ascii=False)]


def shared_config(config_path: str, overrides: list[str] | None = None):
    """`khabar.config.load_config`, with the corpora read from $KHABAR_SHARED_DATA."""
    from khabar.config import load_config

    return load_config(str(config_path), shared_data_overrides(config_path) + list(overrides or []))


def balanced_sample(examples: list, n: int, seed: int) -> list:
    """About n examples, the same number per gold label (set) as far as possible, in a seeded order."""
    rng = random.Random(seed)
    by_label = defaultdict(list)
    for ex in examples:
        by_label[ex.gold].append(ex)
    groups = [by_label[key] for key in sorted(by_label)]
    for items in groups:
        rng.shuffle(items)
    out, per = [], max(1, n // max(1, len(groups)))
    for items in groups:
        out += items[:per]
    leftovers = [ex for items in groups for ex in items[per:]]
    out += rng.sample(leftovers, max(0, min(n - len(out), len(leftovers))))
    rng.shuffle(out)
    return out


def small_splits(splits, train: int = 400, dev: int = 100, test: int = 200, seed: int = 13):
    """The splits cut to a few hundred examples (balanced per label, seeded): what --small fits on."""
    from khabar.examples import Splits

    return Splits(train=balanced_sample(splits.train, train, seed), dev=balanced_sample(splits.dev, dev, seed),
                  test=balanced_sample(splits.test, test, seed))


def write_splits_jsonl(splits, path: Path) -> list[str]:
    """`splits` written as one JSON-lines file with a split column, for code that reads a config's
    data itself (`khabar tune`); returns the `--set` overrides that make a config read it."""
    pair = any(ex.text_pair is not None for _, items in splits.items() for ex in items)
    multi = any(ex.labels is not None for _, items in splits.items() for ex in items)
    with open(path, "w", encoding="utf-8") as fh:
        for split, items in splits.items():
            for ex in items:
                record = {"id": ex.id, "text": ex.text, "label": list(ex.labels) if multi else ex.label, "split": split}
                if pair:
                    record["text_pair"] = ex.text_pair
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return [f"data.path={json.dumps([str(path)])}", "data.format=jsonl", "data.text_column=text",
            f"data.pair_column={'text_pair' if pair else 'null'}", "data.label_column=label",
            "data.label_columns=null", "data.id_column=id", "data.split_column=split"]


def small_banner(small: bool, sizes: str) -> None:
    """The line that says a run is small, so nobody quotes its figures as the benchmark's."""
    if small:
        print(f"small mode ({sizes}): a smoke run of the benchmark; its figures and verdicts are informational")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    cpu = cpu_model()
    from importlib.metadata import version

    versions = []
    for name in ("scikit-learn", "numpy", "torch", "transformers"):
        try:
            versions.append(f"{name} {version(name)}")
        except Exception:
            pass
    return (f"date {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; {cpu}, {os.cpu_count()} cores; "
            f"Python {platform.python_version()}; " + ", ".join(versions))


def verdict(ok: bool, small: bool = False) -> str:
    """MET / NOT MET; in small mode marked informational (a few hundred examples decide nothing)."""
    return ("MET" if ok else "NOT MET") + (" (small mode: informational)" if small else "")
