"""A table cell as text: the one conversion every reader uses, refusing what is not text."""

from __future__ import annotations

from typing import Any, Optional

from ..errors import KhabarError


def cell(value: Any, loc: str, column: Optional[str], numbers: bool = True) -> str:
    """A cell as text: strings as they are; whole numbers (an id, a numbered class) as their digits
    when `numbers`; anything else (true/false, a fraction, a number in a text column, a list) is
    refused naming the row and column rather than silently turned into text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (bool, int, float)):
        shown = "true/false" if isinstance(value, bool) else "a number"
        expected = "text or a whole number" if numbers else "text"
        raise KhabarError(f"{loc}: column {column!r} holds {shown} ({value!r}), expected {expected}; quote it in the "
                          "file if it is meant as text")
    hint = (" (a list of labels is multi-label data: set multi_label: true in a config)"
            if isinstance(value, (list, tuple)) else "")
    raise KhabarError(f"{loc}: column {column!r} holds {type(value).__name__}, expected text{hint}; fix the row")
