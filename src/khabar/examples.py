"""The record every loader produces and every model consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Example:
    """One labeled (or unlabeled) article.

    `text_pair` is set for stance: `text` is the claim, `text_pair` the article or headline.
    `source` names the outlet when known, so metrics can be split by news source.
    `split` is the split named in the data ("train"/"dev"/"test"), or None.
    """

    id: str
    text: str
    label: Optional[str] = None
    text_pair: Optional[str] = None
    source: Optional[str] = None
    split: Optional[str] = None

    @property
    def inputs(self):
        """What a model reads: the text, or (claim, text) for stance."""
        return self.text if self.text_pair is None else (self.text, self.text_pair)


@dataclass
class Splits:
    train: list[Example] = field(default_factory=list)
    dev: list[Example] = field(default_factory=list)
    test: list[Example] = field(default_factory=list)

    def items(self):
        return (("train", self.train), ("dev", self.dev), ("test", self.test))
