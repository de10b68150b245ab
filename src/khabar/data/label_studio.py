"""Label Studio JSON exports as labelled data (the input format `label-studio`).

A Label Studio export is a list of tasks: `data` (the article: `text`, and `id` when khabar made
the task, see adapt/label_studio.py) and `annotations` (each a `result` list of `choices`). Each
task becomes a row `{id, text, label}`, the latest annotation that was not cancelled winning;
several chosen labels are joined by "|", the default multi-label delimiter.
"""

from __future__ import annotations

import json

from ..errors import KhabarError
from .files import open_file

#: the names of the labelling config's Choices and Text tags (adapt/label_studio.labeling_config)
FROM_NAME, TO_NAME = "label", "text"
#: the columns a Label Studio export gives
COLUMNS = ["id", "text", "label"]


def looks_like_export(columns: list[str]) -> bool:
    """Whether a JSON file's record keys are those of Label Studio tasks."""
    return {"data", "annotations"} <= set(columns)


def read_export(path: str) -> list[dict]:
    with open_file(path, "rt") as fh:
        try:
            tasks = json.load(fh)
        except json.JSONDecodeError as exc:
            raise KhabarError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}); export the project as JSON "
                              "again") from None
    return rows_of_export(tasks, path)


def rows_of_export(tasks_: object, path: str) -> list[dict]:
    """`{id, text, label}` rows from a Label Studio JSON export (several chosen labels: joined by
    "|", the multi-label delimiter). Tasks with no kept annotation are left out; a task whose
    annotation chose nothing is refused (one line naming it)."""
    if not isinstance(tasks_, list):
        raise KhabarError(f"{path}: not a Label Studio JSON export (expected a list of tasks, got "
                          f"{type(tasks_).__name__}); export the project as JSON")
    rows = []
    for n, task in enumerate(tasks_, 1):
        where = f"{path}: task {n}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise KhabarError(f"{where}: not a Label Studio task (no 'data' mapping); export the project as JSON")
        text = task["data"].get(TO_NAME)
        if not isinstance(text, str):
            raise KhabarError(f"{where}: data.{TO_NAME} is missing or not text; the labelling config must name the "
                              f"text field {TO_NAME!r}")
        kept = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not kept:
            continue
        choices = [c for r in kept[-1].get("result") or [] if isinstance(r, dict) and r.get("type") == "choices"
                   for c in (r.get("value") or {}).get("choices") or []]
        if not choices or not all(isinstance(c, str) and c for c in choices):
            raise KhabarError(f"{where}: its annotation chose no label; label it or skip it in Label Studio")
        ident = task["data"].get("id", task.get("id", n))
        rows.append({"id": str(ident), "text": text, "label": "|".join(choices)})
    return rows
