"""`khabar` command line: thin wrappers over library functions that return data.

Every user mistake surfaces as one line `khabar: error: ...` with exit status 2: a `KhabarError`
from the library, or a flag argparse refuses (`Parser.error`). Every numeric flag is checked where
it is declared, by `whole(...)` or `number(...)`; every output location is checked before any
work starts. SIGTERM ends a command like Ctrl-C does, so temporary files are removed either way.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys

from . import __version__
from .data.formats import extensions_text
from .errors import KhabarError
from .log import say
from .normalize import PRESETS
from .serving import settings as serve_settings

EXAMPLES = """\
commands, each with an example:
  train       khabar train configs/sample_topic_tfidf.yaml --set model.C=0.5
  evaluate    khabar evaluate experiments/sample_topic_tfidf/20261125-101500 --data other.jsonl --label-map sport=Sports
  predict     khabar predict experiments/sample_topic_tfidf/20261125-101500 --text "فاز المنتخب بالمباراة"
  explain     khabar explain experiments/sample_topic_tfidf --text "فاز المنتخب بالمباراة" --format text
  card        khabar card experiments/sample_topic_tfidf/20261125-101500
  compare     khabar compare experiments/
  tune        khabar tune configs/sanad_topic_tfidf_tune.yaml --trials 30 --final
  serve       khabar serve experiments/sample_topic_tfidf --port 8000
  normalize   khabar normalize --preset arabert article.txt
  data stats  khabar data stats configs/sample_topic_tfidf.yaml
"""


class Parser(argparse.ArgumentParser):
    """argparse, whose refusals are one line with exit status 2 like every other khabar error."""

    def error(self, message: str):
        self.exit(2, f"khabar: error: {self.prog}: {message} (see {self.prog} --help)\n")


def bounded(cast, noun: str, low, high=None):
    """An argparse type: a finite `cast` value (int or float) in [low, high]."""

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            bound = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    parse.__name__ = noun
    return parse


def whole(low: int, high: int | None = None):
    """An argparse type: a whole number in [low, high]."""
    return bounded(int, "a whole number", low, high)


def number(low: float, high: float | None = None):
    """An argparse type: a finite number in [low, high]."""
    return bounded(float, "a number", low, high)


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    """The model and the articles to read, as `predict` and `explain` take them (see `_read_examples`)."""
    p.add_argument("model", metavar="RUN_OR_MODEL", help="a run directory or its model/ folder")
    p.add_argument("input", nargs="?", default=None, metavar="FILE|-", help="input file or folder, or - for stdin")
    p.add_argument("--text", default=None, help="one article (stance: the claim)")
    p.add_argument("--pair", default=None, help="stance: the article or headline paired with --text")
    p.add_argument("--text-column", default=None, help="CSV/JSON-lines column with the text (stance: the claim)")
    p.add_argument("--pair-column", default=None, help="CSV/JSON-lines column with the article (stance)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="khabar",
        description="Classify Arabic news by topic and stance: normalize, train, evaluate, predict, compare.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"khabar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("train", help="train from a YAML config, evaluate, write a run directory",
                       description="Load and validate a config, normalize, fit, evaluate on dev and test, and write "
                                   "experiments/<name>/<timestamp>/.",
                       epilog="example: khabar train configs/sample_topic_tfidf.yaml --set train.seed=7")
    p.add_argument("config", help="an experiment config, e.g. configs/sample_topic_tfidf.yaml")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value by its dotted key (repeatable), e.g. --set model.C=0.5")
    p.set_defaults(handler=_cmd_train)

    p = sub.add_parser("tune", help="search hyperparameters on the dev split (Optuna), resumable",
                       description="Run or continue an Optuna study over the config's tune.space: each trial fits "
                                   "on train and is scored on dev (the test split is never seen). Writes "
                                   "<output_dir>/<name>/tune/: the study, best.yaml, trials.csv/.md, history.png, "
                                   "importance.png. Run it again to continue; several processes may share a study.",
                       epilog="example: khabar tune configs/sample_topic_tfidf_tune.yaml --trials 10 --final")
    p.add_argument("config", help="a config with a tune: block (or one whose base: has it)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value by its dotted key (repeatable)")
    p.add_argument("--trials", type=whole(1), default=None, help="trials in the whole study (default: tune.trials)")
    p.add_argument("--timeout", type=number(0.001), default=None, help="stop starting trials after this many seconds")
    p.add_argument("--storage", default=None,
                   help="an Optuna storage: a journal file path, or a URL such as sqlite:///study.db or "
                        "postgresql://host/db for several machines (default: a journal file in the tune folder)")
    p.add_argument("--study", default=None, help="the study's name (default: the config's name)")
    p.add_argument("--jobs", type=whole(1), default=1, help="trials at once in this process (default: 1)")
    p.add_argument("--final", action="store_true", help="then train the best config once: a normal run, test evaluated")
    p.set_defaults(handler=_cmd_tune)

    p = sub.add_parser("evaluate", help="evaluate a trained model on any labeled data",
                       description="Evaluate a run or model directory on labeled data, also from another news source.",
                       epilog="example: khabar evaluate experiments/sanad_topic_tfidf/20261125-101500 "
                              "--data ant.jsonl.gz --label-map sport=Sports,economy=Finance")
    p.add_argument("model", metavar="RUN_OR_MODEL", help="a run directory or its model/ folder")
    p.add_argument("--data", required=True, help=f"labeled data: a file ({extensions_text()}) or a folder per label")
    p.add_argument("--label-map", default=None, metavar="A=B,...", help="rename the data's labels to the model's")
    p.add_argument("--text-column", default=None, help="column with the text (default: guessed)")
    p.add_argument("--pair-column", default=None, help="column with the article (stance; default: guessed)")
    p.add_argument("--label-column", default=None,
                   help="column with the label (default: guessed); for a multi-label model, a list of labels or "
                        "labels joined by --label-delimiter")
    p.add_argument("--label-delimiter", default=None, metavar="CHAR",
                   help="multi-label model: the character between labels in a text label column (default: |)")
    p.add_argument("--split", default=None, choices=["train", "dev", "test"], help="only the rows of this split")
    p.add_argument("--labels", default=None, metavar="A,B,...",
                   help="restrict the prediction to these of the model's labels (probabilities renormalized over "
                        "them); the data's other labels are reported apart")
    p.add_argument("--min-confidence", type=number(0, 1), default=None, metavar="P",
                   help="also report coverage and accuracy when abstaining below P (default: the model's stored "
                        "threshold, if any; 0: none; not for a multi-label model, whose labels have thresholds "
                        "of their own)")
    p.add_argument("--out", default=None,
                   help="also write metrics.json, report.md, confusion_matrix.png, reliability_eval.png here")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where a transformer runs")
    p.set_defaults(handler=_cmd_evaluate)

    p = sub.add_parser("predict", help="label new articles",
                       description="Label new articles: --text, a .txt file, a folder of .txt files, a CSV/JSON-lines "
                                   "file, or - for standard input (one article per line; stance: claim<TAB>text).",
                       epilog='example: khabar predict experiments/sample_topic_tfidf/20261125-101500 --text "..."')
    add_input_arguments(p)
    p.add_argument("--format", default="jsonl", choices=["jsonl", "csv"], help="output format (default: jsonl)")
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
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where a transformer runs")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="ray: label Parquet/JSON-lines shards with Ray Data, writing Parquet shards to --output "
                        "(pip install 'khabar[ray]')")
    p.add_argument("--address", default=None, help="--engine ray: a running cluster (auto, ray://head:10001)")
    p.add_argument("--workers", type=whole(1), default=2, help="--engine ray: model replicas (default: 2)")
    p.add_argument("--id-column", default="id", help="--engine ray: the id column (default: id)")
    p.set_defaults(handler=_cmd_predict)

    p = sub.add_parser("explain", help="why the model gives each article its label",
                       description="Why the model gives each article its label: the words that pushed toward the "
                                   "predicted label and away from it, with weights and character offsets into the "
                                   "text as given (before normalization). Inputs as for predict.",
                       epilog='example: khabar explain experiments/sample_topic_tfidf --text "فاز الفريق بالمباراة" '
                              "--format text")
    add_input_arguments(p)
    p.add_argument("--top", type=whole(1, 1000), default=10, help="words listed on each side (default: 10)")
    p.add_argument("--runner-up", action="store_true", help="also explain the second most probable label")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "text"],
                   help="jsonl (default, with offsets) or text (the words as written)")
    p.add_argument("--output", "-o", default=None, help="write here instead of standard output (all or nothing)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where the model runs")
    p.set_defaults(handler=_cmd_explain)

    p = sub.add_parser("serve", help="serve a model over HTTP (FastAPI)",
                       description="Serve one model directory over HTTP: POST /predict, GET /health, GET /model, "
                                   "docs at /docs. Concurrent requests are grouped into one model call.",
                       epilog="example: khabar serve experiments/sample_topic_tfidf --port 8000")
    p.add_argument("model", metavar="RUN_OR_MODEL", help="a run directory, its model/ folder, or an experiment folder")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=whole(1, 65535), default=8000, help="port (default: 8000)")
    p.add_argument("--max-batch", type=whole(1), default=serve_settings.DEFAULT_MAX_BATCH,
                   help="most items in one request (default: %(default)s)")
    p.add_argument("--model-batch", type=whole(1), default=serve_settings.DEFAULT_MODEL_BATCH,
                   help="most items grouped into one model call (default: %(default)s; a larger request runs whole)")
    p.add_argument("--max-wait-ms", type=number(0, 60_000), default=serve_settings.DEFAULT_MAX_WAIT_MS,
                   help="how long a request waits for company (default: %(default)s)")
    p.add_argument("--no-micro-batching", action="store_true", help="one model call per request")
    p.add_argument("--min-confidence", type=number(0, 1), default=None, metavar="P",
                   help="abstain (label null, abstained true) when the top probability is below P, from 0 to 1 "
                        "(default: the threshold stored in the model, if any; 0 never abstains)")
    p.add_argument("--labels", default=None, metavar="A,B,...",
                   help="restrict every prediction to these of the model's labels, probabilities renormalized over them")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where a transformer runs")
    p.add_argument("--workers", type=whole(1), default=serve_settings.DEFAULT_MODEL_WORKERS,
                   help="grouped model calls that may run at once (default: %(default)s: one computes while the next gathers)")
    p.add_argument("--threads", type=whole(1), default=None,
                   help="torch threads per model call for a transformer (default: cores - 1, shared by the workers)")
    p.add_argument("--max-text-chars", type=whole(1), default=serve_settings.DEFAULT_MAX_TEXT_CHARS,
                   help="longest text (or claim) accepted, in characters; longer gets 422 (default: %(default)s)")
    p.add_argument("--max-body-bytes", type=whole(1), default=serve_settings.DEFAULT_MAX_BODY_BYTES,
                   help="largest request body; larger gets 413 (default: %(default)s, 16 MiB)")
    p.add_argument("--timeout-body", type=number(0.001), default=serve_settings.DEFAULT_TIMEOUT_BODY,
                   help="seconds a client has to send a whole body; slower gets 408 (default: %(default)s)")
    p.add_argument("--timeout-headers", type=number(0.001), default=serve_settings.DEFAULT_TIMEOUT_HEADERS,
                   help="seconds a client has to send its headers; slower gets 408 (default: %(default)s)")
    p.add_argument("--timeout-keep-alive", type=number(0.001), default=serve_settings.DEFAULT_TIMEOUT_KEEP_ALIVE,
                   help="seconds an idle connection stays open (default: %(default)s)")
    p.add_argument("--limit-concurrency", type=whole(1), default=serve_settings.DEFAULT_LIMIT_CONCURRENCY,
                   help="most connections at once; more get 503 (default: %(default)s)")
    p.add_argument("--max-header-bytes", type=whole(1024), default=serve_settings.DEFAULT_MAX_HEADER_BYTES,
                   help="largest request head; larger gets 431 (default: %(default)s)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorn's log level (default: info; warning hides the per-request access lines)")
    p.set_defaults(handler=_cmd_serve)

    p = sub.add_parser("card", help="write (again) the model card, model/README.md, of a run",
                       description="Regenerate the Hugging Face model card (model/README.md) of a run or model "
                                   "directory from its manifest, metrics.json, config.yaml and provenance.json, and "
                                   "record it in khabar.json's file list. The model's other files are checked first.",
                       epilog="example: khabar card experiments/sample_topic_tfidf/20261125-101500")
    p.add_argument("model", metavar="RUN_OR_MODEL", help="a run directory, its model/ folder, or an experiment folder")
    p.add_argument("--print", dest="show", action="store_true", help="also print the card")
    p.set_defaults(handler=_cmd_card)

    p = sub.add_parser("compare", help="compare experiment runs in one table, with significance",
                       description="Gather run directories into one table (terminal, Markdown, CSV, bar chart) and "
                                   "test paired differences on a shared test set.",
                       epilog="example: khabar compare experiments/ --metric test.accuracy")
    p.add_argument("runs", nargs="*", metavar="RUN|DIR", help="run directories or folders of runs (default: experiments)")
    p.add_argument("--metric", default="test.macro_f1", help="sort by this metric (default: test.macro_f1)")
    p.add_argument("--out", default=None, help="where comparison.md/.csv/.png go (default: experiments/_compare)")
    p.add_argument("--resamples", type=whole(1), default=1000, help="bootstrap resamples (default: 1000)")
    p.set_defaults(handler=_cmd_compare)

    p = sub.add_parser("normalize", help="stream text through a normalization preset, line by line",
                       description="Normalize Arabic text line by line, to see what a preset does.",
                       epilog="example: echo 'أَهْلاً بِكُمْ' | khabar normalize --preset standard")
    p.add_argument("file", nargs="?", default="-", help="a UTF-8 text file, or - for standard input (default)")
    p.add_argument("--preset", default="standard", help=f"{', '.join(PRESETS)} (default: standard)")
    p.add_argument("--output", "-o", default=None, help="write here instead of standard output (all or nothing)")
    p.add_argument("--step", action="append", default=[], metavar="NAME=on|off",
                   help="switch one step on or off on top of the preset (repeatable)")
    p.add_argument("--list", action="store_true", help="list presets and steps, then exit")
    p.set_defaults(handler=_cmd_normalize)

    p = sub.add_parser("data", help="inspect labeled data", description="Inspect labeled data.")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    s = data_sub.add_parser("stats", help="counts per label and split, lengths, duplicates, normalization effect",
                            epilog="example: khabar data stats data/sample/topic.jsonl")
    s.add_argument("target", metavar="PATH_OR_CONFIG", help="a data file or folder, or an experiment config (.yaml)")
    s.add_argument("--task", choices=["topic", "stance"], default=None,
                   help="with a data path: stance expects a claim/text pair (default: guessed from columns)")
    s.set_defaults(handler=_cmd_data_stats)
    return parser


def _parse_steps(items: list[str]) -> dict[str, bool]:
    steps = {}
    for item in items:
        name, _, value = item.partition("=")
        if value not in ("on", "off"):
            raise KhabarError(f"--step {item!r}: expected NAME=on or NAME=off, for example --step hamza=on")
        steps[name] = value == "on"
    return steps


def _cmd_normalize(args) -> int:
    from .data.files import decode_lines
    from .normalize import STEPS, build_normalizer
    from .runs.run_dir import check_writable

    if args.list:
        for name, steps in PRESETS.items():
            print(f"{name:9} {', '.join(steps) or '(no change)'}")
        print("steps:   " + ", ".join(STEPS))
        return 0
    norm = build_normalizer(args.preset, _parse_steps(args.step))
    if args.output:
        check_writable(args.output, "--output", folder=False)
    name = "<stdin>" if args.file == "-" else args.file
    # read and decode everything first: a bad byte anywhere ends before a line is written
    lines = decode_lines(_read_input(args.file), name)
    _write_text((norm(line) + "\n" for line in lines), args.output)
    return 0


def _read_input(path: str) -> bytes:
    """The bytes of a file, or of standard input for '-' (decoded later, strictly)."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise KhabarError(f"{path}: cannot open ({exc.strerror}); pass a readable UTF-8 text file or -") from None


def _write_text(chunks, output: str | None) -> None:
    """Standard output, or a file written all or nothing."""
    if not output:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    from .runs.run_dir import staged_file

    with staged_file(output) as fh:
        for chunk in chunks:
            fh.write(chunk)


def _cmd_train(args) -> int:
    from .runs.train import train_from_config

    result = train_from_config(args.config, args.overrides)
    if result.rank != 0:  # under torchrun: rank 0 wrote the run and prints it
        return 0
    # a multi-label run's headline has micro-F1 and samples-F1 too (and its accuracy is subset accuracy)
    multi = any("micro_f1" in figures for figures in result.headline.values())
    columns = [("accuracy", "subset acc." if multi else "accuracy"), ("macro_f1", "macro-F1")]
    if multi:
        columns += [("micro_f1", "micro-F1"), ("samples_f1", "samples-F1")]
    width = 12 if multi else 10
    print(f"{'split':<12}" + "".join(f"{title:>{width}}" for _, title in columns) + f"{'n':>8}")
    for name, figures in result.headline.items():
        cells = "".join(f"{'' if figures.get(key) is None else format(figures[key], '.4f'):>{width}}"
                        for key, _ in columns)
        print(f"{name:<12}{cells}{figures['n']:>8}")
    print(f"run: {result.run_dir}")
    return 0


def _cmd_tune(args) -> int:
    from .runs.tune import format_trials, tune

    result = tune(args.config, args.overrides, trials=args.trials, timeout=args.timeout, storage=args.storage,
                  study_name=args.study, jobs=args.jobs, final=args.final)
    print(format_trials(result.trials, result.metric))
    print(f"best dev {result.metric} {result.best_value:.4f}: " + ", ".join(f"{k}={v}" for k, v in result.best_params.items()))
    print(f"best config: {result.best_config}")
    if result.final is not None:
        print(f"final run: {result.final.run_dir}")
    return 0


def _cmd_evaluate(args) -> int:
    from .data import DataConfig, guess_data_config, load_examples
    from .runs.evaluate import evaluate_model, parse_label_map
    from .runs.run_dir import check_writable, write_evaluation
    from .serving.predict import (
        check_labels, check_multi_label_request, load_for_prediction, parse_labels, resolve_min_confidence,
    )

    if args.out:
        check_writable(args.out, "--out")
    subset = parse_labels(args.labels)
    model = load_for_prediction(args.model, args.device)
    check_multi_label_request(model.multi_label, args.min_confidence, subset)  # before reading data
    if args.label_delimiter is not None and not model.multi_label:
        raise KhabarError("--label-delimiter: only for a multi-label model (this one gives one label per article); "
                          "drop it")
    check_labels(model.labels_, subset)  # a wrong label: before reading data
    threshold = resolve_min_confidence(model, args.min_confidence)
    try:
        cfg, _ = guess_data_config(args.data, model.task, model.multi_label, model.labels_)
    except KhabarError:
        if not args.text_column:
            raise
        cfg = DataConfig(path=[args.data])  # the user named the columns: no guessing needed
    for column in ("text_column", "pair_column", "label_column", "label_delimiter"):
        if getattr(args, column):
            setattr(cfg, column, getattr(args, column))
    if args.label_column:  # named by the user: not the 0/1 columns guessed from the model's labels
        cfg.label_columns = None
    if model.multi_label:  # a file may hold one label and a label set: say which one is the gold
        where = (f"the 0/1 columns {', '.join(cfg.label_columns)}" if cfg.label_columns
                 else f"column {cfg.label_column!r} (--label-column to choose another)")
        say(f"{args.data}: gold label sets from {where}")
    examples = load_examples(cfg, model.task, args.data, multi_label=model.multi_label)
    if args.split:
        examples = [ex for ex in examples if ex.split == args.split]
    result = evaluate_model(model, examples, parse_label_map(args.label_map), labels=subset, min_confidence=threshold)
    _print_evaluation(result)
    if args.out:
        write_evaluation(result, args.out, f"{args.model} on {args.data}", examples)
        print(f"written: {args.out}")
    return 0


def _print_evaluation(result: dict) -> None:
    if result.get("multi_label"):
        _print_multi_label_evaluation(result)
        return
    if result["n"]:
        print(f"n {result['n']}  accuracy {result['accuracy']:.4f}  macro-F1 {result['macro_f1']:.4f}  "
              f"weighted-F1 {result['weighted_f1']:.4f}")
        _print_per_class(result["per_class"])
    else:
        print("no example has a label the model knows; pass --label-map to map the data's labels to the model's")
    for source, f in result.get("by_source", {}).items():
        print(f"source {source}: n {f['n']}  accuracy {f['accuracy']:.4f}  macro-F1 {f['macro_f1']:.4f}")
    outside = "outside --labels" if result.get("restricted_to") else "unknown to the model"
    for label, info in result.get("unknown_labels", {}).items():
        print(f"label {label!r} {outside}: {info['n']} examples, predicted as {info['predicted_as']}")
    figures = result.get("selective") or {}
    risk = figures.get("risk_coverage")
    if risk:
        cells = "  ".join(f"{int(k.split('_')[1])}% {v['accuracy']:.4f}" for k, v in risk.items() if isinstance(v, dict))
        print(f"accuracy at coverage: {cells}  AURC {risk['aurc']:.4f}  ECE {figures['calibration']['ece']:.4f}")
    abstain = figures.get("abstain")
    if abstain:
        acc = "none kept" if abstain["accuracy"] is None else f"accuracy {abstain['accuracy']:.4f}"
        print(f"abstaining below {abstain['min_confidence']:.4f}: coverage {abstain['coverage']:.4f} ({abstain['n']} kept), {acc}")


def _print_per_class(per_class: dict) -> None:
    print(f"{'label':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}")
    for label, f in per_class.items():
        print(f"{label:<16}{f['precision']:>10.3f}{f['recall']:>10.3f}{f['f1']:>10.3f}{f['support']:>9}")


def _print_multi_label_evaluation(result: dict) -> None:
    """A multi-label result (`runs.multi_label`): the set figures, per label, and the sources."""
    if not result["n"]:
        print("no example has only labels the model knows; pass --label-map to map the data's labels to the model's")
    else:
        print(f"n {result['n']}  micro-F1 {result['micro_f1']:.4f}  macro-F1 {result['macro_f1']:.4f}  "
              f"samples-F1 {result['samples_f1']:.4f}  Hamming loss {result['hamming_loss']:.4f}  "
              f"subset accuracy {result['accuracy']:.4f}")
        cardinality = result.get("cardinality")
        if cardinality:
            print(f"labels per article: gold {cardinality['gold']:.2f}, predicted {cardinality['predicted']:.2f}")
        two = result.get("two_plus") or {}
        if two.get("n"):
            print(f"articles with 2+ labels: {two['n']}, all their labels found {two['all_labels']:.4f}, "
                  f"label recall {two['label_recall']:.4f}")
        _print_per_class(result["per_class"])
    for source, f in result.get("by_source", {}).items():
        print(f"source {source}: n {f['n']}  micro-F1 {f['micro_f1']:.4f}  macro-F1 {f['macro_f1']:.4f}  "
              f"subset accuracy {f['accuracy']:.4f}")
    for label, info in result.get("unknown_labels", {}).items():
        print(f"label {label!r} unknown to the model: {info['n']} examples, predicted as {info['predicted_as']}")


def _cmd_predict(args) -> int:
    from .serving import predict as P

    if args.engine == "ray":
        return _predict_with_ray(args)
    _check_input_args(args, "label")
    if args.output:
        from .runs.run_dir import check_writable

        check_writable(args.output, "--output", folder=False)
    subset = P.parse_labels(args.labels)
    model = P.load_for_prediction(args.model, args.device)
    P.check_multi_label_request(model.multi_label, args.min_confidence, subset)  # before reading input
    P.check_labels(model.labels_, subset)  # a wrong label: before reading input
    threshold = P.resolve_min_confidence(model, args.min_confidence)
    examples = _read_examples(args, model.task)
    records = P.predict_examples(model, examples, args.top_k, args.batch_size, min_confidence=threshold, labels=subset)
    if args.output:
        from .runs.run_dir import staged_file

        with staged_file(args.output) as fh:
            P.write_records(records, args.format, fh)
    else:
        P.write_records(records, args.format)
    return 0


def _check_input_args(args, verb: str) -> None:
    """Exactly one of --text or an input path, checked before a model is loaded."""
    if args.text is None and args.input is None:
        raise KhabarError(f"nothing to {verb}: give --text \"...\", a file or folder, or - for standard input")
    if args.text is not None and args.input is not None:
        raise KhabarError("give either --text or an input file, not both")


def _read_examples(args, task: str):
    """The articles `predict` and `explain` read: --text/--pair, standard input, or a file or folder."""
    from .serving import predict as P

    if args.text is not None:
        return P.examples_from_strings(task, args.text, args.pair)
    if args.input == "-":
        return P.examples_from_stream(task, sys.stdin)
    from .data import read_unlabeled

    return read_unlabeled(args.input, task, args.text_column, args.pair_column)


def _cmd_explain(args) -> int:
    from .runs.run_dir import check_writable
    from .serving.explain import explain_examples, explanation_text
    from .serving.predict import load_for_prediction

    _check_input_args(args, "explain")
    if args.output:
        check_writable(args.output, "--output", folder=False)
    model = load_for_prediction(args.model, args.device)
    examples = _read_examples(args, model.task)
    records = explain_examples(model, examples, top=args.top, runner_up=args.runner_up)
    if args.format == "text":
        chunks = (explanation_text(record, ex.inputs) + "\n" for record, ex in zip(records, examples))
    else:
        chunks = (json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    _write_text(chunks, args.output)
    return 0


def _predict_with_ray(args) -> int:
    from .models.base import resolve_model_dir
    from .serving.predict import parse_labels
    from .serving.ray import predict_with_ray

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


def _cmd_serve(args) -> int:
    from .serving.http import serve
    from .serving.predict import parse_labels

    # passed only when given, so a server without these keywords still starts without them
    trust = {key: value for key, value in (("labels", parse_labels(args.labels)),
                                           ("min_confidence", args.min_confidence)) if value is not None}
    serve(args.model, **trust, host=args.host, port=args.port, max_batch=args.max_batch,
          max_wait_ms=args.max_wait_ms, micro_batching=not args.no_micro_batching, device=args.device,
          threads=args.threads, max_text_chars=args.max_text_chars, max_body_bytes=args.max_body_bytes,
          log_level=args.log_level, model_workers=args.workers, model_batch=args.model_batch,
          timeout_body=args.timeout_body, timeout_headers=args.timeout_headers,
          timeout_keep_alive=args.timeout_keep_alive, limit_concurrency=args.limit_concurrency,
          max_header_bytes=args.max_header_bytes)
    return 0


def _cmd_card(args) -> int:
    from .runs.card import regenerate

    path = regenerate(args.model)
    if args.show:
        with open(path, encoding="utf-8") as fh:
            sys.stdout.write(fh.read())
    print(f"written: {path}")
    return 0


def _cmd_compare(args) -> int:
    from .runs.compare import compare_runs, format_table, write_comparison
    from .runs.run_dir import check_writable

    out = args.out or os.path.join(args.runs[0] if len(args.runs) == 1 and not os.path.isfile(
        os.path.join(args.runs[0], "metrics.json")) else "experiments", "_compare")
    check_writable(out, "--out")
    result = compare_runs(args.runs, args.metric, args.resamples)
    print(format_table(result))
    for path in write_comparison(result, out):
        print(f"written: {path}")
    return 0


def _cmd_data_stats(args) -> int:
    from .data.stats import compute_stats, format_stats, stats_of_path

    if args.target.lower().endswith((".yaml", ".yml")):
        from .config import load_config

        config = load_config(args.target)
        stats = compute_stats(config.data, config.task, config.train.seed, args.target,
                              multi_label=config.multi_label)
    else:
        stats = stats_of_path(args.target, args.task)
    print(format_stats(stats))
    return 0


class Terminated(BaseException):
    """SIGTERM (a scheduler, `docker stop`, torchrun stopping its workers) as an exception, so that
    every `finally` runs: temporary run folders and Trainer checkpoints are removed as on Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    import threading

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.handler(args) or 0
    except KhabarError as exc:
        print(f"khabar: error: {exc}", file=sys.stderr)
        return KhabarError.exit_status
    except KeyboardInterrupt:
        print("khabar: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("khabar: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
