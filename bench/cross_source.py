"""Cross-source benchmark: train on SANAD AlKhaleej, test on ANT JawharaFM (Tunisia).

In-domain figures on SANAD's test split mean little if the model learned one newspaper's habits.
This trains the configured baseline on SANAD's train split and evaluates on every ANT article of
the four topics both corpora share (sport->Sports, economy->Finance, culture->Culture,
technology->Tech), next to the in-domain figure on the same four topics. ANT's other labels are
reported apart (what the model called them), never silently dropped.

    .venv/bin/python bench/cross_source.py [--config configs/sanad_topic_tfidf.yaml]
"""

from __future__ import annotations

import argparse
import os

from _common import ROOT, machine_line, shared_path

from khabar.config import load_config
from khabar.data import DataConfig, load_examples
from khabar.runs.evaluate import evaluate_model
from khabar.runs.train import fit_from_config

LABEL_MAP = {"sport": "Sports", "economy": "Finance", "culture": "Culture", "technology": "Tech"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sanad_topic_tfidf.yaml"))
    args = parser.parse_args()
    ant_path = shared_path("ant_jawharafm.jsonl.gz")
    shared_path("sanad_khaleej.jsonl.gz")
    os.chdir(ROOT)
    config = load_config(args.config)
    model, splits = fit_from_config(config)
    print(machine_line())
    shared = set(LABEL_MAP.values())
    in_domain = evaluate_model(model, [ex for ex in splits.test if ex.label in shared])
    ant = load_examples(DataConfig(path=[str(ant_path)]), "topic", str(ant_path))
    cross = evaluate_model(model, ant, LABEL_MAP)
    print(f"{'evaluation (4 shared topics)':<44}{'n':>6}{'accuracy':>10}{'macro-F1':>10}")
    print(f"{'in-domain: SANAD AlKhaleej test':<44}{in_domain['n']:>6}{in_domain['accuracy']:>10.4f}{in_domain['macro_f1']:>10.4f}")
    print(f"{'cross-source: ANT JawharaFM (all splits)':<44}{cross['n']:>6}{cross['accuracy']:>10.4f}{cross['macro_f1']:>10.4f}")
    for label in sorted(shared):
        f = cross["per_class"][label]
        print(f"  ANT {label:<10} recall {f['recall']:.3f}  precision {f['precision']:.3f}  support {f['support']}")
    print("ANT labels SANAD does not have (not in the figures above), as the model labeled them:")
    for label, info in cross.get("unknown_labels", {}).items():
        top = ", ".join(f"{k} {v}" for k, v in list(info["predicted_as"].items())[:3])
        print(f"  {label:<18} {info['n']:>5}: {top}")


if __name__ == "__main__":
    main()
