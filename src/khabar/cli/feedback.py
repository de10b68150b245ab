"""`khabar feedback export STORE -o labels.jsonl`: the page's corrections as training data
(`serving.feedback_store.export`), JSON lines written all or nothing."""

from __future__ import annotations

import json

from .output import check_output, opened_output


def add_parser(sub) -> None:
    p = sub.add_parser("feedback", help="the corrections made on the page (khabar serve --feedback)",
                       description="Work with the SQLite store of corrections that khabar serve --feedback keeps.")
    actions = p.add_subparsers(dest="feedback_command", metavar="ACTION")
    e = actions.add_parser("export", help="the corrections as labelled JSON lines (id, text, label, ...) to train on",
                           epilog="example: khabar feedback export store.sqlite -o labels.jsonl")
    e.add_argument("store", metavar="STORE", help="the .sqlite file given to khabar serve --feedback")
    e.add_argument("--output", "-o", default=None, help="write here instead of standard output (all or nothing)")
    e.set_defaults(handler=run)


def run(args) -> int:
    from ..serving.feedback_store import FeedbackStore, export

    check_output(args.output)
    rows = export(FeedbackStore(args.store, create=False))
    with opened_output(args.output) as stream:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0
