"""khabar's Python API: what `import khabar` offers (`khabar.load`, `train`, `evaluate`, `compare`;
`khabar.normalize` is the callable module `khabar.normalize`), and what every `khabar` command calls.

Why one layer: a notebook, a newsroom script and the command line must give the same answer for
the same article. The CLI modules (`khabar.cli`) only parse arguments, call these functions and
print; HTTP serving uses the same prediction core. So a model's stored abstain threshold, a label
restriction or a top-k applies identically everywhere, and these functions never print: they
return plain data (dicts in the one record shape of `serving.predict`, a `Run` for training).
Messages go through the `khabar` logger (`khabar.log`), silent below warnings unless the caller
(or the CLI's -v) asks for them.

Every heavy import (scikit-learn, torch, datasets) happens inside the function that needs it, so
`import khabar` costs milliseconds (`bench/startup.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence, Union

Texts = Union[str, Sequence[str]]
#: a label subset: names, or one string of names joined by commas (as --labels takes them)
LabelSubset = Union[None, str, Sequence[str]]


@dataclass
class Run:
    """A training run: its directory (experiments/<name>/<run>/, with model/ inside), its flat
    metrics (metrics.json) and the headline figures per split."""

    directory: str
    metrics: dict = field(repr=False)
    headline: dict
    scheme: str = "one_label"  # the model's label scheme (`models.scheme`): which figures the headline has

    @property
    def model_dir(self) -> str:
        import os

        return os.path.join(self.directory, "model")

    def load(self, device: str = "auto") -> "Classifier":
        """The run's model, as `khabar.load(run.directory)` gives it."""
        return load(self.directory, device)


class Classifier:
    """A trained model as every front end uses it: `predict` and `explain` give the records
    `khabar predict` / `khabar explain` write and `POST /predict` answers, the model's stored
    abstain threshold included. The kind's own object is `.model` (`khabar.models.base.Model`)."""

    def __init__(self, model, directory: str):
        self.model = model
        self.directory = directory

    def __repr__(self) -> str:
        return (f"Classifier({self.directory!r}, kind={self.kind!r}, task={self.task!r}, "
                f"labels={self.labels!r}{', multi_label=True' if self.multi_label else ''})")

    # -- what the model is -------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        return list(self.model.labels_)

    @property
    def task(self) -> str:
        """"topic" (one text) or "stance" (a claim and a text: give `pairs`)."""
        return self.model.task

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def multi_label(self) -> bool:
        return bool(self.model.multi_label)

    @property
    def min_confidence(self) -> Optional[float]:
        """The abstain threshold stored at training time (None: it never abstains by default)."""
        return self.model.scheme.min_confidence

    # -- requests ------------------------------------------------------------------------------
    def check_request(self, min_confidence: Optional[float] = None, labels: LabelSubset = None,
                      names: tuple[str, str] = ("min_confidence", "labels")) -> tuple[Optional[float], Optional[list[str]]]:
        """The abstain threshold a prediction uses (`min_confidence` when given, 0 for none, else
        the stored one) and the label subset, each checked against the model in one line
        (`KhabarError`) before any work."""
        from .models.predict import check_request, resolve_min_confidence
        from .serving.predict import parse_labels

        subset = parse_labels(labels, names[1]) if isinstance(labels, str) else (None if labels is None else list(labels))
        check_request(self.model, min_confidence, subset, names)
        return resolve_min_confidence(self.model, min_confidence), subset

    def examples(self, texts: Texts, pairs: Optional[Texts] = None, ids: Optional[Sequence[str]] = None) -> list:
        """`khabar.examples.Example`s of `texts` (stance: the claims, with the articles in
        `pairs`), checked like every input; ids `text-1`, `text-2`, ... unless given."""
        from .errors import KhabarError
        from .examples import Example, model_input, needs_pair

        texts = [texts] if isinstance(texts, str) else list(texts)
        if pairs is not None:
            pairs = [pairs] if isinstance(pairs, str) else list(pairs)
            if len(pairs) != len(texts):
                raise KhabarError(f"pairs: {len(pairs)} for {len(texts)} texts; give one article per claim")
        elif needs_pair(self.task):
            raise KhabarError("pairs: a stance model reads a claim and an article; give the articles as pairs=[...]")
        ids = [f"text-{i}" for i in range(1, len(texts) + 1)] if ids is None else [str(i) for i in ids]
        if len(ids) != len(texts):
            raise KhabarError(f"ids: {len(ids)} for {len(texts)} texts; give one id per text")
        out = []
        for i, (identifier, text) in enumerate(zip(ids, texts)):
            pair = None if pairs is None else pairs[i]
            model_input(self.task, text, pair, f"texts[{i}]")
            out.append(Example(id=identifier, text=text, text_pair=pair))
        return out

    # -- answers -------------------------------------------------------------------------------
    def predict(self, texts: Texts, pairs: Optional[Texts] = None, *, top_k: int = 3, labels: LabelSubset = None,
                min_confidence: Optional[float] = None, ids: Optional[Sequence[str]] = None,
                batch_size: int = 64) -> list[dict]:
        """One record per text: {id, label, probability, abstained, top_k: [{label, probability}]}
        (a multi-label model: also `labels`, every label it gives). `label` is None when the top
        probability is below `min_confidence` (default: the model's stored threshold; 0: never
        abstain). `labels` restricts the answer to those of the model's labels, renormalized.
        A single string is one text; the answer is always a list."""
        return self.predict_examples(self.examples(texts, pairs, ids), top_k=top_k, labels=labels,
                                     min_confidence=min_confidence, batch_size=batch_size)

    def predict_examples(self, examples: Sequence, *, top_k: int = 3, labels: LabelSubset = None,
                         min_confidence: Optional[float] = None, batch_size: int = 64) -> list[dict]:
        """`predict` of already built `Example`s (what the CLI reads from files and standard input)."""
        from .models.predict import predict_examples

        threshold, subset = self.check_request(min_confidence, labels)
        return predict_examples(self.model, examples, top_k, batch_size, min_confidence=threshold, labels=subset)

    def explain(self, texts: Texts, pairs: Optional[Texts] = None, *, top: int = 10, runner_up: bool = False,
                min_confidence: Optional[float] = None, ids: Optional[Sequence[str]] = None) -> list[dict]:
        """Why each text gets its label: the words toward and against it, with weights and
        character spans into the text as given (see `serving.explain`). A one-label record also
        says `abstained` as `predict` does (label None below the threshold; the explanation
        still shows what the model saw)."""
        return self.explain_examples(self.examples(texts, pairs, ids), top=top, runner_up=runner_up,
                                     min_confidence=min_confidence)

    def explain_examples(self, examples: Sequence, *, top: int = 10, runner_up: bool = False,
                         min_confidence: Optional[float] = None) -> list[dict]:
        """`explain` of already built `Example`s."""
        from .serving.explain import explain_examples

        threshold, _ = self.check_request(min_confidence, None)
        records = explain_examples(self.model, examples, top=top, runner_up=runner_up)
        if not self.multi_label:
            for record in records:
                abstained = record.get("probability") is not None and record["probability"] < (threshold or 0.0)
                record["abstained"] = bool(abstained)
                if abstained:
                    record["label"] = None
        return records


def load(path: str, device: str = "auto") -> Classifier:
    """The model of a run directory, its model/ folder, or an experiment folder (its best run by
    the dev metric, or `<folder>@best` / `<folder>@latest`), as every `khabar` command resolves it
    (`runs.choose.resolve_model_dir`); `device` "auto", "cpu" or "cuda" (a transformer)."""
    from .models.base import load_model
    from .runs.choose import resolve_model_dir

    directory = resolve_model_dir(str(path))
    model = load_model(directory)
    model.set_device(device)
    return Classifier(model, directory)


def train(config: Any, overrides: Optional[Sequence[str]] = None) -> Run:
    """Train and evaluate from an experiment config (a YAML path, a mapping, or a
    `khabar.config.Config`), writing a run directory; `overrides` are `key=value` items as
    `--set` takes them. Returns the `Run`. Under torchrun every rank returns rank 0's run."""
    from .config import Config, config_from_dict, load_config, apply_override
    from .runs.train import train as train_config

    if isinstance(config, Config):
        if overrides:
            from .errors import KhabarError

            raise KhabarError("overrides: apply them to a config path or mapping, not to a built Config")
        built = config
    elif isinstance(config, Mapping):
        import copy

        raw = copy.deepcopy(dict(config))
        for item in overrides or []:
            apply_override(raw, item, "<config>")
        built = config_from_dict(raw)
    else:
        built = load_config(str(config), list(overrides or []))
    result = train_config(built)
    return Run(directory=result.run_dir, metrics=result.metrics, headline=result.headline, scheme=result.scheme)


def evaluate(model: Union[str, Classifier], data: str, *, label_map: Union[None, str, Mapping[str, str]] = None,
             labels: LabelSubset = None, min_confidence: Optional[float] = None, split: Optional[str] = None,
             text_column: Optional[str] = None, pair_column: Optional[str] = None, label_column: Optional[str] = None,
             label_delimiter: Optional[str] = None, out: Optional[str] = None, device: str = "auto",
             tracking_uri: Optional[str] = None) -> dict:
    """The figures of a model (a path or a loaded `Classifier`) on labeled `data` (a file or a
    folder per label): accuracy, macro-F1, per label, by source, selective figures. `label_map`
    renames the data's labels to the model's ("a=B,c=D" or a mapping); `out` also writes
    metrics.json, report.md and plots there (all or nothing). The evaluation is logged to MLflow
    at `tracking_uri`, else at the tracking.uri of the run that made the model, if it had one."""
    from .data.gold import GoldColumns, load_gold
    from .runs import tracking
    from .runs.evaluate import evaluate_model, flat_metrics, parse_label_map

    if out:
        from .runs.run_dir import check_writable

        check_writable(out, "--out")
    classifier = model if isinstance(model, Classifier) else load(model, device)
    uri = tracking.evaluation_uri(tracking_uri, classifier.directory)
    tracking.check(uri, "--tracking-uri")  # before the work
    threshold, subset = classifier.check_request(min_confidence, labels, ("--min-confidence", "--labels"))
    columns = GoldColumns(text_column, pair_column, label_column, label_delimiter)
    m = classifier.model
    examples = load_gold(data, m.task, m.scheme.multi_label, m.labels_, columns, split)
    mapping = parse_label_map(label_map) if label_map is None or isinstance(label_map, str) else dict(label_map)
    result = evaluate_model(m, examples, mapping, labels=subset, min_confidence=threshold)
    if out:
        from .runs.run_dir import write_evaluation

        write_evaluation(result, out, f"{classifier.directory} on {data}", examples)
    if uri:
        inputs = {"data": data, "label_map": label_map if isinstance(label_map, (str, type(None))) else dict(label_map),
                  "split": split, "labels": labels}
        tracking.log_evaluation(uri, classifier.directory, inputs, flat_metrics(result, "eval"), out)
    return result


def compare(runs: Optional[Sequence[str]] = None, *, metric: str = "test.macro_f1", resamples: int = 1000,
            pairs: str = "all", out: Optional[str] = None) -> dict:
    """Runs (run directories or folders of runs; default: experiments) grouped by what they were
    scored on (task, label set, test data), each group with a leaderboard and paired tests (`pairs`:
    "all", Holm-adjusted, or "best" against the rest), as `khabar.runs.compare.compare_runs` gives it.
    `out` also writes comparison.md/.csv and one plot per group there; their paths are under "written"."""
    from .runs.compare import compare_runs
    from .runs.compare_report import write_comparison

    if out:
        from .runs.run_dir import check_writable

        check_writable(out, "--out")
    result = compare_runs(list(runs or []), metric, resamples, pairs)
    if out:
        result["written"] = write_comparison(result, out)
    return result
