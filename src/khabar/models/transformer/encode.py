"""Articles -> token rows for a BERT: tokenization, long-article windows and special tokens.

Why apart: training and prediction must cut and assemble inputs exactly the same way. Inputs are
tokenized once without special tokens by the fast (Rust) tokenizer, cut by the long-article
strategy (head, head_tail, chunks) and assembled with the tokenizer's own special tokens (read
off its post-processor). For stance the claim is the first sequence and is never cut. The rows
of one article are pooled back with `pool_by_owner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ...log import say
from .params import TransformerParams


@dataclass
class Encoded:
    """Token rows ready for the model; `owner[r]` is the input (article) row r came from."""

    input_ids: list[list[int]]
    token_type_ids: Optional[list[list[int]]]
    owner: np.ndarray

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> np.ndarray:
        return np.fromiter((len(ids) for ids in self.input_ids), dtype=np.int64, count=len(self.input_ids))

    def rows(self, labels: Optional[np.ndarray] = None, order: Optional[Sequence[int]] = None) -> list[dict]:
        """Feature dicts for `DataCollatorWithPadding`, with the article's label on every row:
        `labels` is one label index per article, or (multi-label) one row of 0/1 floats per article."""
        order = range(len(self)) if order is None else order
        out = []
        for r in order:
            row = {"input_ids": self.input_ids[r], "attention_mask": [1] * len(self.input_ids[r])}
            if self.token_type_ids is not None:
                row["token_type_ids"] = self.token_type_ids[r]
            if labels is not None:
                gold = labels[self.owner[r]]
                row["labels"] = gold.tolist() if np.ndim(gold) else int(gold)
            out.append(row)
        return out


def pool_by_owner(values: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Mean of the rows of `values` that belong to each of the n owners."""
    sums = np.zeros((n, values.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, values)
    counts = np.bincount(owner, minlength=n).astype(np.float64)
    return sums / np.maximum(counts, 1.0)[:, None]


@dataclass
class Template:
    """Special tokens around one or two sequences: prefix A middle B suffix, with type ids."""

    prefix: list[int]
    prefix_types: list[int]
    middle: list[int]
    middle_types: list[int]
    suffix: list[int]
    suffix_types: list[int]
    type_a: int
    type_b: int

    @property
    def n_special(self) -> int:
        return len(self.prefix) + len(self.middle) + len(self.suffix)

    @classmethod
    def of(cls, tokenizer, pair: bool) -> "Template":
        backend = tokenizer.backend_tokenizer
        post = backend.post_processor
        if post is None:
            return cls([], [], [], [], [], [], 0, 0)

        def one_token(text):
            enc = backend.encode(text, add_special_tokens=False)
            if len(enc.ids) == 0:
                enc = backend.encode(tokenizer.unk_token or "[UNK]", add_special_tokens=False)
            enc.truncate(1)
            return enc

        # one content token per sequence: the content positions are where special_tokens_mask is 0
        enc = post.process(one_token("a"), one_token("b") if pair else None)
        ids, types = enc.ids, enc.type_ids
        content = [k for k, special in enumerate(enc.special_tokens_mask) if not special]
        a = content[0]
        b = content[1] if pair else a
        return cls(
            ids[:a], types[:a],
            ids[a + 1:b], types[a + 1:b],
            ids[b + 1:], types[b + 1:],
            types[a], types[b],
        )

    def build(self, first: list[int], second: Optional[list[int]] = None) -> tuple[list[int], list[int]]:
        if second is None:
            ids = self.prefix + first + self.suffix
            types = self.prefix_types + [self.type_a] * len(first) + self.suffix_types
        else:
            ids = self.prefix + first + self.middle + second + self.suffix
            types = (self.prefix_types + [self.type_a] * len(first) + self.middle_types
                     + [self.type_b] * len(second) + self.suffix_types)
        return ids, types


def encode_inputs(tok, inputs: Sequence, pair: bool, params: TransformerParams, template: Template) -> Encoded:
    """Token rows for already-normalized inputs, cut by `long_strategy` (claim never cut).

    One batched Rust call tokenizes everything without special tokens; cutting and adding the
    special tokens then works on plain id lists (per-article `tokenizers.Encoding` operations
    drag every overflow piece of a long article along and were the slowest part).
    `template` is `Template.of(tok, pair)`, read once when the model gets its tokenizer.
    """
    backend = tok.backend_tokenizer
    backend.no_truncation()
    backend.no_padding()
    max_length = params.max_length
    room = max_length - template.n_special
    if pair:
        claims = [e.ids for e in backend.encode_batch([c for c, _ in inputs], add_special_tokens=False)]
        articles = [e.ids for e in backend.encode_batch([t for _, t in inputs], add_special_tokens=False)]
    else:
        claims = None
        articles = [e.ids for e in backend.encode_batch(list(inputs), add_special_tokens=False)]
    use_types = "token_type_ids" in tok.model_input_names
    ids, types, owner = [], [] if use_types else None, []
    warned = False
    for i, article in enumerate(articles):
        claim = claims[i] if claims is not None else None
        if claim is not None and len(claim) > room - 8:
            # a claim that leaves no room for the article cannot be kept whole: keep half the input
            claim = claim[: room // 2]
            if not warned:
                say(f"transformer: a claim too long for max_length {max_length} was cut to {room // 2} tokens")
                warned = True
        budget = room - (len(claim) if claim is not None else 0)
        for window in _windows(article, budget, params):
            row_ids, row_types = template.build(claim, window) if claim is not None else template.build(window)
            ids.append(row_ids)
            if use_types:
                types.append(row_types)
            owner.append(i)
    return Encoded(ids, types, np.asarray(owner, dtype=np.int64))


def _windows(article: list[int], budget: int, params: TransformerParams) -> list[list[int]]:
    if len(article) <= budget:
        return [article]
    strategy = params.long_strategy
    if strategy == "head":
        return [article[:budget]]
    if strategy == "head_tail":
        n_head = min(params.head_tokens, budget)
        n_tail = budget - n_head
        return [article[:n_head] + (article[-n_tail:] if n_tail > 0 else [])]
    # chunks: windows of `budget` tokens, neighbours sharing `chunk_stride` tokens; the same
    # windows as the tokenizer's return_overflowing_tokens with stride=chunk_stride
    overlap = min(params.chunk_stride, budget // 2)
    step = budget - overlap
    windows = []
    for start in range(0, len(article), step):
        windows.append(article[start:start + budget])
        if start + budget >= len(article):
            break
    if len(windows) > params.max_chunks:
        # keep max_chunks windows spread over the whole article, first and last included
        keep = np.unique(np.linspace(0, len(windows) - 1, params.max_chunks).round().astype(int))
        windows = [windows[k] for k in keep]
    return windows
