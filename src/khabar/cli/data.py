"""`khabar data stats PATH_OR_CONFIG`: counts per label and split, lengths, duplicates and the
normalization effect (`data.stats`)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="inspect labeled data", description="Inspect labeled data.")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    s = data_sub.add_parser("stats", help="counts per label and split, lengths, duplicates, normalization effect",
                            epilog="example: khabar data stats data/sample/topic.jsonl")
    s.add_argument("target", metavar="PATH_OR_CONFIG", help="a data file or folder, or an experiment config (.yaml)")
    s.add_argument("--task", choices=["topic", "stance"], default=None,
                   help="with a data path: stance expects a claim/text pair (default: guessed from columns)")
    s.set_defaults(handler=run_stats)


def run_stats(args) -> int:
    from ..data.stats import compute_stats, format_stats, stats_of_path

    if args.target.lower().endswith((".yaml", ".yml")):
        from ..config import load_config

        config = load_config(args.target)
        stats = compute_stats(config.data, config.task, config.train.seed, args.target,
                              multi_label=config.multi_label)
    else:
        stats = stats_of_path(args.target, args.task)
    print(format_stats(stats))
    return 0
