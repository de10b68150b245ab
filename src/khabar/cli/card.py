"""`khabar card RUN`: write the model card model/README.md again (`runs.card.regenerate`)."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("card", help="write (again) the model card, model/README.md, of a run",
                       description="Regenerate the Hugging Face model card (model/README.md) of a run or model "
                                   "directory from its manifest, metrics.json, config.yaml and provenance.json, and "
                                   "record it in khabar.json's file list. The model's other files are checked first.",
                       epilog="example: khabar card experiments/sample_topic_tfidf/20261125-101500")
    p.add_argument("model", metavar="RUN_OR_MODEL", help="a run directory, its model/ folder, or an experiment folder")
    p.add_argument("--print", dest="show", action="store_true", help="also print the card")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..runs.card import regenerate

    path = regenerate(args.model)
    if args.show:
        with open(path, encoding="utf-8") as fh:
            sys.stdout.write(fh.read())
    print(f"written: {path}")
    return 0
