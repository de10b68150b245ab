"""`khabar suggest MODEL POOL`: the articles to label next, as JSON lines or Label Studio tasks.

A thin wrapper over `adapt.suggest.suggest` (which returns data) and `adapt.label_studio.tasks`.
The output is written all or nothing (`output.opened_output`); its location is checked before any
work. Suggestions are no prediction records, so their two formats are written here rather than
through the `serving.writers` registry.
"""

from __future__ import annotations

import argparse
import json

from ..errors import KhabarError
from .output import check_output, opened_output
from .parser import add_device_argument, whole

EPILOG = """\
examples:
  khabar suggest experiments/sanad_topic_tfidf our_articles.jsonl -k 50 -o to_label.jsonl
  khabar suggest experiments/outlet our_articles.jsonl -k 50 --exclude labelled.jsonl -o to_label.jsonl
  khabar suggest experiments/outlet our_articles.jsonl --format label-studio -o tasks.json
"""


def add_parser(sub) -> None:
    from ..adapt.strategies import STRATEGIES

    p = sub.add_parser("suggest", help="the articles of a pool to label next, most useful first",
                       description="Rank the unlabeled articles of POOL by how much labelling them would teach "
                                   "MODEL (any kind; a model of another taxonomy is a valid start) and write the "
                                   "best K with id, text and the model's current guess.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="RUN_OR_MODEL", help="a run directory, its model/ folder, or an experiment folder")
    p.add_argument("pool", metavar="POOL", help="unlabeled articles: a csv/tsv/jsonl/json/parquet file, a .txt file or a folder of .txt files")
    p.add_argument("-k", type=whole(1), default=50, help="how many articles to suggest (default: 50)")
    p.add_argument("--exclude", action="append", default=[], metavar="LABELED",
                   help="a labelled file (any input format) whose articles are not suggested again, by id or text; "
                        "its labels tell which labels are still rare (repeatable)")
    p.add_argument("--strategy", default="auto", choices=list(STRATEGIES),
                   help="auto (default): while the model knows none of the labelled articles' labels (a public "
                        "prior), typical articles spread over the labels it guesses; then the most uncertain "
                        "article of each cluster of uncertain ones")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "label-studio"],
                   help="jsonl (default), or label-studio: a JSON list of tasks with the guesses as pre-annotations")
    p.add_argument("--seed", type=whole(0), default=13, help="seed of the clustering and of random picks (default: 13)")
    p.add_argument("--text-column", default=None, help="POOL's column with the text (default: guessed)")
    p.add_argument("--output", "-o", default=None, help="write here instead of standard output (all or nothing)")
    add_device_argument(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..adapt.label_studio import tasks
    from ..adapt.suggest import suggest
    from ..data import guess_data_config, load_examples, read_unlabeled
    from ..models.base import model_version
    from ..runs.choose import resolve_model_dir
    from ..serving.predict import load_for_prediction

    check_output(args.output)

    directory = resolve_model_dir(args.model)
    model = load_for_prediction(directory, args.device)
    pool = read_unlabeled(args.pool, model.task, args.text_column)
    labelled = []
    for path in args.exclude:
        cfg, _ = guess_data_config(path, model.task, model.multi_label, model.labels_)
        cfg.split_column = None
        try:
            labelled += load_examples(cfg, model.task, f"--exclude {path}", model.multi_label)
        except KhabarError as exc:
            raise KhabarError(f"--exclude {path}: {exc}") from None
    suggestions = suggest(model, pool, args.k, labelled, args.strategy, args.seed)
    if args.format == "label-studio":
        found = tasks(suggestions, model_version=model_version(directory))
        text = json.dumps(found, ensure_ascii=False, indent=1) + "\n"
    else:
        text = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in suggestions)
    with opened_output(args.output) as stream:
        stream.write(text)
    return 0
