"""What `khabar predict`, `explain` and `evaluate` share before the model runs: the model loaded
and the request checked against it (every check before any input is read, so a wrong flag costs
no waiting), and the articles read from --text, standard input, or a file or folder."""

from __future__ import annotations

import sys
from typing import Sequence

from ..errors import KhabarError
from ..examples import Example
from ..models.base import Model
from ..models.predict import check_request, resolve_min_confidence
from .predict import examples_from_stream, examples_from_strings, load_for_prediction, parse_labels


def load_checked(path: str, device: str, min_confidence: float | None,
                 labels: str | None) -> tuple[Model, float | None, list[str] | None]:
    """The model at `path`, the abstain threshold to use (given, else the stored one) and the
    label subset parsed from `labels` ("a,b"), each checked against the model."""
    subset = parse_labels(labels)
    model = load_for_prediction(path, device)
    check_request(model, min_confidence, subset)
    return model, resolve_min_confidence(model, min_confidence), subset


def check_input_choice(text: str | None, path: str | None, verb: str) -> None:
    """Exactly one of --text or an input path, checked before a model is loaded."""
    if text is None and path is None:
        raise KhabarError(f"nothing to {verb}: give --text \"...\", a file or folder, or - for standard input")
    if text is not None and path is not None:
        raise KhabarError("give either --text or an input file, not both")


def read_examples(task: str, text: str | None, pair: str | None, path: str | None,
                  text_column: str | None = None, pair_column: str | None = None) -> Sequence[Example]:
    """The articles to label: `text` (with `pair` for stance), standard input for path "-", or a
    file or folder (`data.read_unlabeled`)."""
    if text is not None:
        return examples_from_strings(task, text, pair)
    if path == "-":
        return examples_from_stream(task, sys.stdin)
    from ..data import read_unlabeled

    return read_unlabeled(path, task, text_column, pair_column)
