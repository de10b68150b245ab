"""Values from data (label names, sources, ids, article texts, paths) made safe to put in the
Markdown that khabar writes: report.md and the model card, which `khabar serve` publishes at /card.

Why: a label is whatever the data says. Written raw, `<img src=x onerror=...>` is HTML in every
viewer that renders the card, `[x](javascript:...)` is a link, and `|` or a line break tears a
table apart. `escaped` maps every string of a structure (keys too) one character at a time, so a
key such as `test.macro_f1` is unchanged and prefixes still match; numbers stay numbers.
"""

from __future__ import annotations

from typing import Any

# HTML's three, Markdown's inline syntax (code, emphasis, links, tables, strike-through) and the
# backslash itself; line breaks and other controls become spaces (one table row, one list item)
_MAP = {"&": "&amp;", "<": "&lt;", ">": "&gt;", **{ch: "\\" + ch for ch in "\\`*[]|~"},
        **{chr(c): " " for c in (*range(32), 127, 0x85, 0x2028, 0x2029)}}
_TABLE = str.maketrans(_MAP)


def text(value: str) -> str:
    """One string, safe as Markdown text (not inside a code span or block)."""
    return value.translate(_TABLE)


def escaped(obj: Any) -> Any:
    """`obj` with every string in it (mapping keys too) passed through `text`."""
    if isinstance(obj, str):
        return text(obj)
    if isinstance(obj, dict):
        return {escaped(k): escaped(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(escaped(v) for v in obj)
    return obj


def code(value: str) -> str:
    """`value` as an inline code span (shown as written: no HTML, no Markdown inside), or as
    escaped text when it holds a backtick or a control character, which would end the span."""
    if "`" in value or not value.isprintable():
        return text(value)
    return f"`{value}`"
