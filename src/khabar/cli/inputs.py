"""The arguments `predict` and `explain` share: the model and the articles to read (read by
`serving.request.read_examples`)."""

from __future__ import annotations

import argparse


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="RUN_OR_MODEL", help="a run directory or its model/ folder")
    p.add_argument("input", nargs="?", default=None, metavar="FILE|-", help="input file or folder, or - for stdin")
    p.add_argument("--text", default=None, help="one article (stance: the claim)")
    p.add_argument("--pair", default=None, help="stance: the article or headline paired with --text")
    p.add_argument("--text-column", default=None, help="CSV/JSON-lines column with the text (stance: the claim)")
    p.add_argument("--pair-column", default=None, help="CSV/JSON-lines column with the article (stance)")


def check_inputs(args, verb: str) -> None:
    """Exactly one of --text or an input path, before a model is loaded."""
    from ..serving.request import check_input_choice

    check_input_choice(args.text, args.input, verb)


def examples_of(args, task: str):
    """The articles the input arguments name, for a model of `task`."""
    from ..serving.request import read_examples

    return read_examples(task, args.text, args.pair, args.input, args.text_column, args.pair_column)
