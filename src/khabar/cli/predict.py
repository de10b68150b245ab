"""`khabar predict RUN [FILE|-] [--text ...]`: label new articles (`khabar.load(RUN).predict_examples`,
or with --engine ray `serving.ray.predict_with_ray`), written in a format of `serving.writers`."""

from __future__ import annotations

from ..errors import KhabarError
from ..serving.writers import writer_names, writers_help
from .inputs import add_input_arguments, check_inputs, examples_of
from .output import check_output, write_output
from .parser import add_device_argument, number, whole

#: the flags a request check names
FLAGS = ("--min-confidence", "--labels")


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="label new articles",
                       description="Label new articles: --text, a .txt file, a folder of .txt files, a CSV/JSON-lines "
                                   "file, or - for standard input (one article per line; stance: claim<TAB>text).",
                       epilog='example: khabar predict experiments/sample_topic_tfidf/20261125-101500 --text "..."')
    add_input_arguments(p)
    p.add_argument("--format", default=None, choices=writer_names("prediction"),
                   help=f"output format, else the one of --output's extension: {writers_help('prediction')}")
    p.add_argument("--output", "-o", default=None, help="write here instead of standard output")
    p.add_argument("--top-k", type=whole(1), default=3, help="how many labels to list per article (default: 3)")
    p.add_argument("--min-confidence", type=number(0, 1), default=None, metavar="P",
                   help="abstain (label null, abstained true) when the top probability is below P, from 0 to 1 "
                        "(default: the threshold stored in the model, if any; 0 never abstains; not for a "
                        "multi-label model, which gives every label above its own threshold under \"labels\")")
    p.add_argument("--labels", default=None, metavar="A,B,...",
                   help="restrict the prediction to these of the model's labels, probabilities renormalized over them "
                        "(not for a multi-label model)")
    p.add_argument("--batch-size", type=whole(1), default=64, help="articles per model call (default: 64)")
    add_device_argument(p)
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="ray: label Parquet/JSON-lines shards with Ray Data, writing Parquet shards to --output "
                        "(pip install 'khabar[ray]')")
    p.add_argument("--address", default=None, help="--engine ray: a running cluster (auto, ray://head:10001)")
    p.add_argument("--workers", type=whole(1), default=2, help="--engine ray: model replicas (default: 2)")
    p.add_argument("--id-column", default="id", help="--engine ray: the id column (default: id)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..api import load

    if args.engine == "ray":
        return run_with_ray(args)
    check_inputs(args, "label")
    check_output(args.output)
    model = load(args.model, args.device)
    model.check_request(args.min_confidence, args.labels, FLAGS)  # before any input is read
    examples = examples_of(args, model.task)
    records = model.predict_examples(examples, top_k=args.top_k, labels=args.labels,
                                     min_confidence=args.min_confidence, batch_size=args.batch_size)
    write_output("prediction", records, args)
    return 0


def run_with_ray(args) -> int:
    from ..runs.choose import resolve_model_dir
    from ..serving.predict import parse_labels
    from ..serving.ray import predict_with_ray

    if args.input in (None, "-") or not args.output:
        raise KhabarError("--engine ray reads Parquet/JSON-lines shards (a file, folder or glob) and writes Parquet "
                          "shards: give the input path and --output DIR")
    result = predict_with_ray(resolve_model_dir(args.model), args.input, args.output, text_column=args.text_column or "text",
                              pair_column=args.pair_column, id_column=args.id_column, batch_size=args.batch_size,
                              num_workers=args.workers, top_k=args.top_k, address=args.address,
                              device="cpu" if args.device == "auto" else args.device,
                              min_confidence=args.min_confidence, labels=parse_labels(args.labels))
    print(f"labeled {result['rows']:,} rows in {result['seconds']:.1f}s -> {result['output_dir']} ({len(result['files'])} files)")
    return 0
