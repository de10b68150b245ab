"""The record every loader produces and every model consumes, and the rule for what a model reads."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Optional

from .errors import KhabarError


@dataclass(frozen=True)
class Example:
    """One labeled (or unlabeled) article.

    `text_pair` is set for stance: `text` is the claim, `text_pair` the article or headline.
    `source` names the outlet when known, so metrics can be split by news source.
    `split` is the split named in the data ("train"/"dev"/"test"), or None.
    `labels` is the gold label set of a multi-label example (every topic the article carries);
    `label` is then None. A single-label example has `label` and no `labels`.
    """

    id: str
    text: str
    label: Optional[str] = None
    text_pair: Optional[str] = None
    source: Optional[str] = None
    split: Optional[str] = None
    labels: Optional[tuple[str, ...]] = None

    @property
    def inputs(self):
        """What a model reads: the text, or (claim, text) for stance."""
        return self.text if self.text_pair is None else (self.text, self.text_pair)

    @property
    def gold(self) -> tuple[str, ...]:
        """The gold labels as a set-like tuple, whatever the task: (label,) or the label set."""
        if self.labels is not None:
            return self.labels
        return (self.label,) if self.label is not None else ()

    @property
    def stratum(self) -> Optional[str]:
        """What a stratified split keeps in proportion: the label, or the label set joined by '|'."""
        return self.label if self.labels is None else "|".join(sorted(self.labels))


@dataclass
class Splits:
    train: list[Example] = field(default_factory=list)
    dev: list[Example] = field(default_factory=list)
    test: list[Example] = field(default_factory=list)

    def items(self):
        return (("train", self.train), ("dev", self.dev), ("test", self.test))


TASKS = ("topic", "stance")


def needs_pair(task: str) -> bool:
    """Whether a task's model reads (claim, text) pairs rather than single texts."""
    return task == "stance"


#: Letters of any script (Arabic, Latin, CJK...). Not Lm: modifier letters such as the Arabic
#: tatweel (U+0640) only stretch or mark other letters and are removed by normalization.
READABLE = frozenset(("Lu", "Ll", "Lt", "Lo"))


def has_something_to_read(text: str) -> bool:
    """Whether a text holds at least one letter of any script: the part of the input rule that
    says a model has something to read. Digits, punctuation, symbols and emoji, spaces, control
    and format characters and diacritics alone are not an article: a model would answer with its
    prior, a confident-looking guess about nothing. Checked on the text as given, so it does not
    depend on the model's normalization."""
    return any(unicodedata.category(ch) in READABLE for ch in text)


NOTHING_TO_READ = "nothing to read (no letter; only digits, punctuation, symbols, emoji, spaces or marks)"


def model_input(task: str, text, pair=None, where: str = "input", part_where: Optional[tuple[str, ...]] = None):
    """The one rule for what a model reads, used by the CLI, HTTP, Ray, data loading and the
    models themselves.

    A topic model reads one text; a stance model reads (claim, text), the claim first. Both parts
    must be strings with something to read (`has_something_to_read`: at least one letter).
    Returns the text or the (claim, text) tuple; otherwise one `KhabarError` line that starts
    with `where` (a flag, a JSON field, a file and line), or for a problem of one part with its
    own name in `part_where` (HTTP's `claim` and `text` fields).
    """
    if needs_pair(task) and pair is None:
        raise KhabarError(f"{where}: this is a stance model: it reads a claim and the article or headline "
                          "paired with it, not a single text")
    if not needs_pair(task) and pair is not None:
        raise KhabarError(f"{where}: this is a topic model: it reads one text, not a (claim, text) pair")
    parts = ((text, "claim"), (pair, "text")) if pair is not None else ((text, "text"),)
    for i, (part, name) in enumerate(parts):
        at = part_where[i] if part_where else where
        if not isinstance(part, str):
            raise KhabarError(f"{at}: the {name} is {type(part).__name__}, expected text")
        if not part.strip():
            raise KhabarError(f"{at}: empty {name}; give the text to label")
        if not has_something_to_read(part):
            raise KhabarError(f"{at}: {NOTHING_TO_READ} in the {name}; give the text to label")
    return text if pair is None else (text, pair)
