"""Label cells, checked and renamed: one label (`check_label`), or a multi-label example's gold
label set from any of the three layouts multi-label corpora use (`label_set`).

Why apart: single-label rows have one label cell; multi-label sets ship as a list field
(`"labels": ["Sports", "Finance"]` in JSON lines, Mowjaz's layout), a delimited string column
(`Sports|Finance`, the delimiter configurable; a list written into a CSV cell as JSON or as
pandas prints it is read as that list) or one 0/1 column per label (how many Arabic sets
ship). All three end in the same checked tuple, and a malformed cell is one `KhabarError` line
naming the file, the row and the column.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..errors import KhabarError
from .spec import DataConfig

#: what a 0/1 label column may hold (case-insensitive for strings)
TRUE_CELLS = {"1", "1.0", "true", "yes"}
FALSE_CELLS = {"0", "0.0", "false", "no", ""}


def check_label(raw: str, loc: str, cfg: DataConfig) -> str:
    if not raw:
        raise KhabarError(f"{loc}: missing label in column {cfg.label_column!r}; fill it or remove the row")
    if raw[0] in "[{\"" or raw[-1] in "]}\"" or not raw.isprintable():
        # a list or object that did not parse (`[`, `["a",`, `{"Sports": 1}`), or a line break: never a name
        raise KhabarError(f"{loc}: label {raw[:60]!r} in column {cfg.label_column!r} looks like a broken list or object, "
                          "or holds a control character; write a name such as Sports, a JSON list [\"Sports\", "
                          "\"Finance\"] or Sports|Finance")
    label = cfg.label_map.get(raw, raw)
    if cfg.labels is not None and label not in cfg.labels:
        raise KhabarError(f"{loc}: label {label!r} is not one of data.labels ({', '.join(cfg.labels)}); fix the row, "
                          "add the label to data.labels, or rename it with data.label_map")
    return label


def label_set(row: dict[str, list], i: int, loc: str, cfg: DataConfig) -> tuple[str, ...]:
    """The gold labels of data row `i` (0-based) of `row` (column -> values), checked and mapped."""
    if cfg.label_columns:
        raw = [name for name in cfg.label_columns if _flag(row[name][i], loc, name)]
        where = f"columns {', '.join(cfg.label_columns)}"
    else:
        raw = _parts(row[cfg.label_column][i], loc, cfg)
        where = f"column {cfg.label_column!r}"
    if not raw:
        raise KhabarError(f"{loc}: empty label set in {where}; give the article at least one label or remove the row")
    twice = next((lab for lab, n in Counter(raw).items() if n > 1), None)
    if twice is not None:
        raise KhabarError(f"{loc}: label {twice!r} appears twice in {where}; list each label once")
    # renamed and checked like a single label; label_map may merge two labels into one
    return tuple(dict.fromkeys(check_label(lab, loc, cfg) for lab in raw))


def _parts(value: Any, loc: str, cfg: DataConfig) -> list[str]:
    """A list cell's items, or a string cell split on `cfg.label_delimiter`; each a non-empty name."""
    column = cfg.label_column
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        # label names, or whole numbers as some sets number their categories (as in a "1|3" string)
        items = [str(item) if isinstance(item, int) and not isinstance(item, bool) else item for item in value]
        # a null, true or an object in the list: named below, not turned into a label "None" or "True"
        bad = [item for item in items if not isinstance(item, str) or not item.strip()]
        if bad:  # (a list, not next(..., None): a null item is what must be found)
            bad = bad[0]
            raise KhabarError(f"{loc}: column {column!r} holds a list with {bad!r}; every label must be a non-empty "
                              "string, e.g. [\"Sports\", \"Finance\"]")
        return [item.strip() for item in items]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise KhabarError(f"{loc}: column {column!r} holds {type(value).__name__}; expected a list of labels or "
                          f"labels joined by {cfg.label_delimiter!r}")
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("[") and text.endswith("]") and cfg.label_delimiter not in ("[", "]"):
        return _parts(_written_list(text, loc, column), loc, cfg)
    items = [item.strip() for item in text.split(cfg.label_delimiter)]
    if not all(items):
        raise KhabarError(f"{loc}: column {column!r} holds {text!r}, with an empty label between delimiters "
                          f"{cfg.label_delimiter!r}; write e.g. Sports{cfg.label_delimiter}Finance")
    return items


def _written_list(text: str, loc: str, column: str) -> list:
    """A list written into a text cell, as JSON (`["Sports", "Finance"]`) or as Python prints it
    (`['Sports', 'Finance']`, what pandas writes for a list column): read as the list it means,
    never as one label named after the brackets."""
    import ast
    import json

    for parse in (json.loads, ast.literal_eval):
        try:
            found = parse(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(found, list):
            return found
    raise KhabarError(f"{loc}: column {column!r} holds {text[:60]!r}, which looks like a list but is not one; write "
                      "[\"Sports\", \"Finance\"] or Sports|Finance")


def _flag(value: Any, loc: str, column: str) -> bool:
    """A 0/1 label column's cell: 1/true/yes or 0/false/no (or empty); anything else is a malformed cell."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if isinstance(value, (int, float)) and value in (0, 1):
        return value == 1
    if text in TRUE_CELLS:
        return True
    if text in FALSE_CELLS:
        return False
    raise KhabarError(f"{loc}: label column {column!r} holds {str(value)[:40]!r}; a label column holds 1 (the article "
                      "carries the label) or 0")
