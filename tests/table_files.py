"""Small data files for the tests of khabar.data: three rows written as csv, jsonl, ... on demand."""

from __future__ import annotations

import gzip
import json

from khabar.data import DataConfig

ROWS = [("a1", "الفريق فاز بالمباراة", "sports"), ("a2", "ارتفع سعر النفط", "finance"),
        ("a3", "الحكومة تعلن خطة", "politics")]


def write(path, text, encoding="utf-8"):
    """Write `text` to `path` (gzipped for a .gz name), making folders; the path as a string."""
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding=encoding) as fh:
        fh.write(text)
    return str(path)


def csv_text(rows=ROWS, header="id,text,label"):
    return header + "\n" + "".join(",".join(r) + "\n" for r in rows)


def jsonl_text(rows=ROWS, **extra):
    return "".join(json.dumps({"id": i, "text": t, "label": lab, **extra}, ensure_ascii=False) + "\n"
                   for i, t, lab in rows)


def cfg(*paths, **kw) -> DataConfig:
    return DataConfig(path=[str(p) for p in paths], **kw)


def triples(examples):
    return [(ex.id, ex.text, ex.label) for ex in examples]
