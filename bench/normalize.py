"""Throughput of the normalization presets on real news, against a chain of pyarabic calls.

    python bench/normalize.py [--limit N] [--check-arabert] [--small]

Reads the SANAD AlKhaleej articles from ../shared/data/sanad_khaleej.jsonl.gz (next to the
repository; never copied into it), runs every preset over all article texts, best of 3 runs,
and reports MB/s of UTF-8 input. The pyarabic chain does the letter work of `standard`
(strip_tashkeel, strip_tatweel, normalize_ligature, normalize_alef, normalize_teh, ى -> ي);
`standard` does that and more (NFKC, digits, URL placeholders, repeats, whitespace), and
the target is that it is still at least as fast.

--check-arabert also compares the `arabert` preset with arabert's ArabertPreprocessor on every
article (needs `pip install arabert`). --small: the first 300 articles only; verdict informational.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import platform
import sys
import time

from _common import add_small_flag, cpu_model, shared_path, small_banner, verdict

TARGET = 1.0


def load_texts(path, limit: int | None) -> list[str]:
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            texts.append(json.loads(line)["text"])
            if limit and len(texts) >= limit:
                break
    return texts


def pyarabic_chain():
    import pyarabic.araby as araby

    def chain(text: str) -> str:
        text = araby.strip_tashkeel(text)
        text = araby.strip_tatweel(text)
        text = araby.normalize_ligature(text)
        text = araby.normalize_alef(text)
        text = araby.normalize_teh(text)
        return text.replace("ى", "ي")
    return chain


def best_times(candidates: dict, texts: list[str], runs: int = 3) -> dict[str, float]:
    """Best of `runs` wall-clock times per candidate. The rounds are interleaved (every
    candidate once, then again), so that load from other processes hits all of them alike."""
    best = dict.fromkeys(candidates, float("inf"))
    for _ in range(runs):
        for label, func in candidates.items():
            start = time.perf_counter()
            for text in texts:
                func(text)
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def check_arabert(texts: list[str]) -> int:
    """Compare the arabert preset with the reference on every text; return the number of
    differences not explained by the reference's own non-idempotence."""
    try:
        from arabert.preprocess import ArabertPreprocessor
    except ImportError:
        print("arabert check skipped: arabert is not installed (pip install arabert)")
        return 0
    from khabar.normalize import build_normalizer

    ref = ArabertPreprocessor("bert-base-arabertv02").preprocess
    ours = build_normalizer("arabert")
    same = unstable = other = 0
    start = time.perf_counter()
    expected_all = [ref(text) for text in texts]
    ref_seconds = time.perf_counter() - start
    for text, expected in zip(texts, expected_all):
        got = ours(text)
        if got == expected:
            same += 1
        elif got == ref(expected):
            unstable += 1
        else:
            other += 1
            if other <= 3:
                print(f"  differs: {text[:80]!r}\n    reference: {expected[:80]!r}\n    khabar:    {got[:80]!r}")
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"arabert check on {len(texts):,} articles ({time.perf_counter() - start:.0f} s): "
          f"identical {same:,}; reference not idempotent, khabar = reference run twice {unstable:,}; "
          f"other differences {other:,}")
    print(f"reference ArabertPreprocessor.preprocess, one run: {megabytes / ref_seconds:.1f} MB/s")
    return other


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="use only the first N articles")
    parser.add_argument("--check-arabert", action="store_true",
                        help="also compare the arabert preset with the arabert package")
    add_small_flag(parser, "the first 300 articles")
    args = parser.parse_args(argv)
    if args.small:
        args.limit = min(args.limit or 300, 300)

    data = shared_path("sanad_khaleej.jsonl.gz", args.small)
    from khabar.normalize import PRESETS, build_normalizer

    texts = load_texts(data, args.limit)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"khabar normalize benchmark, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"python {platform.python_version()} ({platform.python_implementation()}), CPU: {cpu_model()}")
    small_banner(args.small, f"{len(texts)} articles")
    print(f"data: {data.name}, {len(texts):,} articles, {megabytes:.1f} MB UTF-8; best of 3 runs")
    print()
    print(f"{'normalizer':<34} {'seconds':>8} {'MB/s':>8}")
    candidates = {f"preset {name}": build_normalizer(name) for name in PRESETS}
    candidates["pyarabic chain (letters only)"] = pyarabic_chain()
    rates = {}
    for label, seconds in best_times(candidates, texts).items():
        rates[label] = megabytes / seconds
        print(f"{label:<34} {seconds:>8.3f} {rates[label]:>8.1f}")
    ratio = rates["preset standard"] / rates["pyarabic chain (letters only)"]
    print()
    print(f"standard / pyarabic chain = {ratio:.2f} (target >= {TARGET:.1f}): "
          f"{verdict(ratio >= TARGET, args.small)}")
    if args.check_arabert:
        print()
        if check_arabert(texts):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
