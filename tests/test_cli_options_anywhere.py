"""Options are accepted anywhere on a `khabar` command line: before, between and after the
positional arguments. First at the parser (every arrangement of a command line gives the same
arguments), then end to end for predict, explain, evaluate and train, `-` (standard input) still
a positional."""

from __future__ import annotations

import io
import itertools
import json
import sys

import pytest
import yaml

from khabar.cli import build_parser

# per command: its positionals in order, and option groups that may go anywhere among them
LINES = {
    "predict": (["RUN", "FILE"], [["--top-k", "2"], ["--format", "csv"], ["-o", "out.csv"]]),
    "predict-stdin": (["RUN", "-"], [["--top-k", "2"], ["--labels", "a,b"]]),
    "explain": (["RUN", "-"], [["--format", "text"], ["--top", "3"], ["--runner-up"]]),
    "evaluate": (["RUN"], [["--data", "d.jsonl"], ["--split", "test"], ["--labels", "a,b"]]),
    "train": (["CONFIG"], [["--set", "model.C=0.5"], ["--set", "train.seed=7"]]),
    "tune": (["CONFIG"], [["--set", "model.C=0.5"], ["--trials", "3"], ["--final"]]),
    "serve": (["RUN"], [["--port", "8001"], ["--no-micro-batching"]]),
    "card": (["RUN"], [["--print"]]),
    "compare": (["R1", "R2"], [["--metric", "test.accuracy"], ["--resamples", "10"]]),
    "normalize": (["FILE"], [["--preset", "arabert"], ["--step", "hamza=on"]]),
    "data stats": (["PATH"], [["--task", "stance"]]),
}


def arrangements(positionals: list[str], options: list[list[str]]):
    """Every command line with the positionals in order and the option groups in any order at
    any place among them, each with the same line its options all after the positionals (a
    repeatable option keeps its values in the order given)."""
    n = len(positionals) + len(options)
    for slots in itertools.combinations(range(n), len(positionals)):
        for order in itertools.permutations(options):
            rest, given = iter(order), iter(positionals)
            line = [token for i in range(n) for token in ([next(given)] if i in slots else next(rest))]
            yield line, positionals + [token for group in order for token in group]


@pytest.mark.parametrize("name", LINES)
def test_every_arrangement_of_a_command_line_gives_the_same_arguments(name):
    positionals, options = LINES[name]
    command = name.split()[0].split("-")[0].split() + name.split()[1:]
    parser = build_parser()
    lines = list(arrangements(positionals, options))
    assert len(lines) > 1
    for line, options_last in lines:
        assert vars(parser.parse_args(command + line)) == vars(parser.parse_args(command + options_last)), line
    canonical = vars(parser.parse_args(command + lines[0][1]))
    # and the values arrived where they belong: every positional and every option value is kept
    values = {str(v) for v in canonical.values()} | {str(x) for v in canonical.values() if isinstance(v, list) for x in v}
    for token in positionals + [g[1] for g in options if len(g) == 2]:
        assert token in values or token.replace("-", "") in values, (name, token)


def test_an_unknown_option_anywhere_is_still_one_error_line(capsys, cli):
    assert cli("predict", "RUN", "--nope", "FILE") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("khabar: error:") and "--nope" in err and len(err.splitlines()) == 1


def test_predict_with_options_between_and_after_the_input_file(topic_run, root, tmp_path, capsys, cli):
    source = str(root / "data" / "sample" / "topic.jsonl")
    runs = []
    for line in (["--top-k", "2", source], [source, "--top-k", "2"], ["--top-k", "2", "--format", "jsonl", source]):
        assert cli("predict", topic_run.run_dir, *line) == 0
        runs.append([json.loads(x) for x in capsys.readouterr().out.splitlines()])
    assert runs[0] == runs[1] == runs[2] and len(runs[0]) > 10
    assert all(len(record["top_k"]) == 2 for record in runs[0])  # --top-k before the file took effect


def test_predict_and_explain_read_standard_input_given_as_dash_among_options(topic_run, monkeypatch, capsys, cli):
    articles = "فاز المنتخب الوطني بالمباراة النهائية\nارتفعت أسعار الأسهم في البورصة\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(articles))
    assert cli("predict", topic_run.run_dir, "--top-k", "1", "-", "--format", "csv") == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("id,label") and len(rows) == 3 and all(row.count(":") == 1 for row in rows[1:])
    monkeypatch.setattr(sys, "stdin", io.StringIO(articles))
    assert cli("explain", topic_run.run_dir, "--format", "text", "-", "--top", "2") == 0
    text = capsys.readouterr().out
    assert text.count("for:") == 2 and not text.lstrip().startswith("{")  # text, both articles


def test_evaluate_with_the_run_after_its_options(topic_run, root, capsys, cli):
    source = str(root / "data" / "sample" / "topic.jsonl")
    assert cli("evaluate", "--split", "test", "--data", source, topic_run.run_dir) == 0
    first = capsys.readouterr().out
    assert cli("evaluate", topic_run.run_dir, "--data", source, "--split", "test") == 0
    assert first == capsys.readouterr().out and first.startswith("n ")


def test_train_with_set_before_the_config(tmp_path, root, monkeypatch, capsys, cli):
    monkeypatch.chdir(root)
    assert cli("train", "--set", f"output_dir={tmp_path}", "--set", "model.C=0.5",
               "configs/sample_stance_tfidf.yaml", "--set", "train.seed=7") == 0
    run_dir = capsys.readouterr().out.splitlines()[-1].removeprefix("run: ")
    config = yaml.safe_load(open(f"{run_dir}/config.yaml", encoding="utf-8"))
    assert config["model"]["C"] == 0.5 and config["train"]["seed"] == 7
