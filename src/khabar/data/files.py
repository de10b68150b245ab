"""Reading bytes off disk for the loaders: gzip, strict UTF-8, JSON lines, .txt articles.

Why apart from the formats: every format needs the same checks first (a .gz that is not gzip, the
first line that is not UTF-8, a JSON line that is not an object), and each must end in one line
naming the file and the line, before `datasets` or pyarrow only say that a build failed.
"""

from __future__ import annotations

import json
import os
import re
TYPE_CHECKING = False  # typing and pathlib are not imported at start-up (bench/startup.py)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Optional

from ..errors import KhabarError

UTF8_FIX = "re-encode it as UTF-8 (e.g. iconv -f cp1256 -t utf-8)"


def open_file(path: str, mode: str = "rb"):
    """`open`, or `gzip.open` for a .gz name; text mode reads UTF-8 (a BOM is dropped)."""
    if path.lower().endswith(".gz"):
        import gzip

        opener = gzip.open
    else:
        opener = open
    return opener(path, mode, encoding="utf-8-sig", newline="") if "t" in mode else opener(path, mode)


def check_utf8(path: str, json_lines: bool = False) -> tuple[int, int]:
    """Name the first line that is not UTF-8 (datasets would only say the build failed), and with
    `json_lines` the first record nested too deep (`nesting_error`), in the same pass.

    Returns the number of non-blank lines and of blank lines at the end of the file.
    """
    filled = trailing = 0
    try:
        with open_file(path) as fh:
            for number, line in enumerate(fh, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    raise KhabarError(f"{path}: line {number}: not valid UTF-8; {UTF8_FIX}") from None
                error = nesting_error(line, path, number) if json_lines else None
                if error:
                    raise error
                blank = not line.strip()
                filled += not blank
                trailing = trailing + 1 if blank else 0
    except (OSError, EOFError) as exc:
        raise KhabarError(f"{path}: cannot read ({reason(exc)}); check the file (a .gz must be gzip-compressed)") from None
    return filled, trailing


MAX_JSON_DEPTH = 100  # a record nests 2-3 levels (a label list); pyarrow crashes near 10,000, Python stops at 1,000
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def check_json_nesting(path: str, lines: bool = True) -> None:
    """Refuse a JSON or JSON-lines file whose arrays/objects nest deeper than `MAX_JSON_DEPTH`,
    naming the line, before any parser sees it: pyarrow (under `datasets` and Ray Data) dies with a
    segmentation fault on ~10,000 levels, and Python's json gives up at 1,000 with a traceback.

    Every JSON reader of the data formats goes through here or through `check_utf8`'s pass with
    `json_lines=True`. In JSON lines (`lines=True`) each line is a whole record (`nesting_error`);
    a .json document (`lines=False`) carries the depth across lines, so a pretty-printed file is
    measured too.
    """
    depth = 0
    try:
        with open_file(path) as fh:
            for number, line in enumerate(fh, 1):
                if lines:
                    error = nesting_error(line, path, number)
                    if error:
                        raise error
                    continue
                if b"[" not in line and b"{" not in line and not depth:
                    continue
                depth = _deepest(line, depth)[1]
                if depth > MAX_JSON_DEPTH:
                    raise _too_deep(path, number)
    except (OSError, EOFError) as exc:
        raise KhabarError(f"{path}: cannot read ({reason(exc)}); check the file (a .gz must be gzip-compressed)") from None


def nesting_error(line: bytes, path: str, number: int) -> Optional[KhabarError]:
    """The error for a JSON-lines record nested deeper than `MAX_JSON_DEPTH`, else None. A line with
    no more brackets than the limit (in text or not) is passed by two C-level counts."""
    if line.count(b"[") + line.count(b"{") <= MAX_JSON_DEPTH:
        return None
    return _too_deep(path, number) if _deepest(line, 0)[0] > MAX_JSON_DEPTH else None


def _deepest(line: bytes, depth: int) -> tuple[int, int]:
    """(the deepest level reached on `line`, the level at its end), starting at `depth`; brackets
    inside JSON strings do not count."""
    structure = _JSON_STRING.sub(b"", line) if b'"' in line else line
    if depth + structure.count(b"[") + structure.count(b"{") <= MAX_JSON_DEPTH:  # cannot pass the limit here
        return depth, max(0, depth + structure.count(b"[") + structure.count(b"{")
                          - structure.count(b"]") - structure.count(b"}"))
    deepest = depth
    for ch in _NOT_BRACKET.sub(b"", structure):
        depth = depth + 1 if ch in b"[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
    return deepest, depth


def _too_deep(path: str, number: int) -> KhabarError:
    return KhabarError(f"{path}: line {number}: JSON nested more than {MAX_JSON_DEPTH} levels deep (arrays or "
                       "objects inside each other); a record's fields are text, numbers or a list of labels: "
                       "flatten or remove the row")


def json_line(line: str, path: str, number: int) -> dict:
    """One JSON-lines record, or one line naming the file and line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise KhabarError(f"{path}: line {number}: not valid JSON ({exc.msg}); each line must be one JSON object") from None
    if not isinstance(record, dict):
        raise KhabarError(f"{path}: line {number}: expected a JSON object with named fields, got {type(record).__name__}")
    return record


def json_field(path: str) -> Optional[str]:
    """None for a JSON list of records; the key holding that list for {"data": [...]}."""
    check_json_nesting(path, lines=False)
    try:
        with open_file(path, "rt") as fh:
            top = json.load(fh)
    except json.JSONDecodeError as exc:
        raise KhabarError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}); fix the file") from None
    if isinstance(top, list):
        return None
    if isinstance(top, dict):
        for key, value in top.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                return key
    raise KhabarError(f"{path}: expected a JSON list of records, or an object holding one (like {{\"data\": [...]}})")


def txt_files(root: str) -> list[Path]:
    """.txt files below root, hidden files and folders (.git, ._x.txt) left out."""
    from pathlib import Path

    base = Path(root)
    found = sorted(p for p in base.rglob("*") if p.suffix.lower() == ".txt" and p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(base).parts))
    for p in found:
        check_utf8_name(str(p))
    return found


def check_utf8_name(path: str) -> None:
    """A file name becomes an id in JSON output: bytes that are not UTF-8 would make it invalid
    JSON (or a traceback when written), so such a name is refused, shown with U+FFFD for the bytes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "replace")
        raise KhabarError(f"{shown}: the file name is not UTF-8; rename it (e.g. convmv -f cp1256 -t utf-8)") from None


def read_txt(path: Path) -> str:
    """A .txt article, stripped; strict UTF-8 with the line of the first bad byte."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KhabarError(f"{path}: cannot read ({exc.strerror}); check the file's permissions") from None
    try:
        return raw.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KhabarError(f"{path}: line {line}: not valid UTF-8; {UTF8_FIX}") from None


def reason(exc: BaseException) -> str:
    """The innermost cause's first line: datasets and pyarrow wrap the useful message."""
    for _ in range(20):
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def decode_lines(raw: bytes, name: str) -> list[str]:
    """Bytes (a file, standard input) as text lines, strictly UTF-8 whatever the locale.

    Python decodes standard input with `surrogateescape` under a C locale, which lets garbage
    through as text; here a bad byte ends in one line naming its line number. A BOM is dropped;
    lines end at \\n (a \\r before it is dropped); no other character splits a line.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KhabarError(f"{name}: line {line}: not valid UTF-8; {UTF8_FIX}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line starts no new one
    return [line[:-1] if line.endswith("\r") else line for line in lines]
