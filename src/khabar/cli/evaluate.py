"""`khabar evaluate RUN --data FILE`: a trained model on any labeled data (`khabar.evaluate`); prints the figures, optionally writes them to --out."""

from __future__ import annotations

from ..data.formats import extensions_text
from .parser import add_device_argument, add_tracking_argument, number


def add_parser(sub) -> None:
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
    add_device_argument(p)
    add_tracking_argument(p, "default: the tracking.uri of the run that made the model")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..api import evaluate

    result = evaluate(args.model, args.data, label_map=args.label_map, labels=args.labels,
                      min_confidence=args.min_confidence, split=args.split, text_column=args.text_column,
                      pair_column=args.pair_column, label_column=args.label_column,
                      label_delimiter=args.label_delimiter, out=args.out, device=args.device,
                      tracking_uri=args.tracking_uri)
    print_evaluation(result)
    if args.out:
        print(f"written: {args.out}")
    return 0


def print_evaluation(result: dict) -> None:
    """The headline figures of the result's scheme (`models.metrics`), what a label set adds
    (labels per article, the articles with 2+ labels), per label, per source and unknown labels."""
    from ..models.metrics import metrics_for
    from ..models.scheme import scheme_of_result

    scheme = scheme_of_result(result).name
    if result["n"]:
        print("  ".join([f"n {result['n']}"] + [f"{m.display} {result[m.name]:.4f}"
                                                for m in metrics_for(scheme, headline=True)]))
        print_label_set_figures(result)
        print_per_class(result["per_class"])
    else:
        print("no example has only labels the model knows; pass --label-map to map the data's labels to the model's")
    shown = [m for m in metrics_for(scheme, headline=True) if m.per_source]
    for source, f in result.get("by_source", {}).items():
        print(f"source {source}: n {f['n']}  " + "  ".join(f"{m.display} {f[m.name]:.4f}" for m in shown))
    outside = "outside --labels" if result.get("restricted_to") else "unknown to the model"
    for label, info in result.get("unknown_labels", {}).items():
        print(f"label {label!r} {outside}: {info['n']} examples, predicted as {info['predicted_as']}")
    print_selective(result.get("selective") or {})


def print_label_set_figures(result: dict) -> None:
    """Labels per article, gold against predicted, and the articles with 2+ gold labels (a label set's)."""
    cardinality = result.get("cardinality")
    if cardinality:
        print(f"labels per article: gold {cardinality['gold']:.2f}, predicted {cardinality['predicted']:.2f}")
    two = result.get("two_plus") or {}
    if two.get("n"):
        print(f"articles with 2+ labels: {two['n']}, all their labels found {two['all_labels']:.4f}, "
              f"label recall {two['label_recall']:.4f}")


def print_selective(figures: dict) -> None:
    """Accuracy at coverage, AURC and ECE; and the figures when abstaining below a threshold."""
    risk = figures.get("risk_coverage")
    if risk:
        cells = "  ".join(f"{int(k.split('_')[1])}% {v['accuracy']:.4f}" for k, v in risk.items() if isinstance(v, dict))
        print(f"accuracy at coverage: {cells}  AURC {risk['aurc']:.4f}  ECE {figures['calibration']['ece']:.4f}")
    abstain = figures.get("abstain")
    if abstain:
        acc = "none kept" if abstain["accuracy"] is None else f"accuracy {abstain['accuracy']:.4f}"
        print(f"abstaining below {abstain['min_confidence']:.4f}: coverage {abstain['coverage']:.4f} ({abstain['n']} kept), {acc}")


def print_per_class(per_class: dict) -> None:
    print(f"{'label':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}")
    for label, f in per_class.items():
        print(f"{label:<16}{f['precision']:>10.3f}{f['recall']:>10.3f}{f['f1']:>10.3f}{f['support']:>9}")
