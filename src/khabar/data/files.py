"""Reading bytes off disk for the loaders: gzip, strict UTF-8, JSON lines, .txt articles.

Why apart from the formats: every format needs the same checks first (a .gz that is not gzip, the
first line that is not UTF-8, a JSON line that is not an object), and each must end in one line
naming the file and the line, before `datasets` or pyarrow only say that a build failed.
"""

from __future__ import annotations

import json
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


def check_utf8(path: str) -> tuple[int, int]:
    """Name the first line that is not UTF-8 (datasets would only say the build failed).

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
                blank = not line.strip()
                filled += not blank
                trailing = trailing + 1 if blank else 0
    except (OSError, EOFError) as exc:
        raise KhabarError(f"{path}: cannot read ({reason(exc)}); check the file (a .gz must be gzip-compressed)") from None
    return filled, trailing


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
    return sorted(p for p in base.rglob("*") if p.suffix.lower() == ".txt" and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(base).parts))


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
