"""What `khabar predict` and `explain` share before the model runs: the articles read from --text,
standard input, or a file or folder. (The model is loaded and the request checked against it by
`khabar.load(...).check_request`, before any input is read.)"""

from __future__ import annotations

import sys
from typing import Sequence

from ..errors import KhabarError
from ..examples import Example
from .predict import examples_from_stream, examples_from_strings


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
