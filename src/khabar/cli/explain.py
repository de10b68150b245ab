"""`khabar explain RUN [FILE|-] [--text ...]`: the words behind each label
(`khabar.load(RUN).explain_examples`;
a one-label record says `abstained` below the model's stored threshold, as predict does), written in a format of `serving.writers`."""

from __future__ import annotations

from ..serving.writers import writer_names, writers_help
from .inputs import add_input_arguments, check_inputs, examples_of
from .output import check_output, write_output
from .parser import add_device_argument, whole


def add_parser(sub) -> None:
    p = sub.add_parser("explain", help="why the model gives each article its label",
                       description="Why the model gives each article its label: the words that pushed toward the "
                                   "predicted label and away from it, with weights and character offsets into the "
                                   "text as given (before normalization). Inputs as for predict.",
                       epilog='example: khabar explain experiments/sample_topic_tfidf --text "فاز الفريق بالمباراة" '
                              "--format text")
    add_input_arguments(p)
    p.add_argument("--top", type=whole(1, 1000), default=10, help="words listed on each side (default: 10)")
    p.add_argument("--runner-up", action="store_true", help="also explain the second most probable label")
    p.add_argument("--format", default=None, choices=writer_names("explanation"),
                   help=f"output format, else the one of --output's extension: {writers_help('explanation')}")
    p.add_argument("--output", "-o", default=None, help="write here instead of standard output (all or nothing)")
    add_device_argument(p, "where the model runs")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..api import load

    check_inputs(args, "explain")
    check_output(args.output)
    model = load(args.model, args.device)
    examples = examples_of(args, model.task)
    records = model.explain_examples(examples, top=args.top, runner_up=args.runner_up)
    write_output("explanation", records, args, inputs=[ex.inputs for ex in examples])
    return 0
