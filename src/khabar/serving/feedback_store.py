"""Corrections from the newsroom (the page of `khabar serve --feedback`), kept in SQLite (the
embedded default: one file, no server).

One row per correction: the article's text (and, for stance, its claim), the label the model gave,
the label the editor chose, the model's version (experiment/run) and the time (UTC, ISO 8601); a label given in the queue view
(`serving/queue.py`) also keeps the article's id in its pool (`article_id`), and the articles an
editor skipped there are kept apart (`skipped`: never exported, never served again). `export` turns
the store into labelled rows (`id`, `text`, `label`; stance: `claim` too) that `khabar train` reads, the latest
correction of a text winning, so the page's corrections feed the next training round.

A store written before the queue existed gains the `article_id` and `claim` columns (and the
`skipped` table) when it is opened; its rows keep working (its stance rows, written as
"claim<TAB>text" in `text`, export as they were).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import datetime, timezone

from ..errors import KhabarError

SCHEMA = """CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL,
    model_label TEXT,
    label TEXT NOT NULL,
    model_version TEXT NOT NULL,
    created_at TEXT NOT NULL
)"""
SKIPPED_SCHEMA = """CREATE TABLE IF NOT EXISTS skipped (
    article_id TEXT PRIMARY KEY,
    model_version TEXT NOT NULL,
    created_at TEXT NOT NULL
)"""
COLUMNS = ("text", "model_label", "label", "model_version", "created_at")
#: columns added since the first stores were written: (name, SQL type)
ADDED_COLUMNS = (("article_id", "TEXT"), ("claim", "TEXT"))


class FeedbackStore:
    """The SQLite file at `path`, created with its table when absent; one connection per call, so
    the store may be shared by the server's threads."""

    def __init__(self, path: str, create: bool = True):
        self.path = path
        if not create and not os.path.isfile(path):
            raise KhabarError(f"{path}: no such feedback store; pass the file given to khabar serve --feedback")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise KhabarError(f"{path}: folder {folder} does not exist; create it or choose another path")
        try:
            with closing(self._connect()) as db, db:
                db.execute(SCHEMA)
                found = [row[1] for row in db.execute("PRAGMA table_info(corrections)")]
                if set(COLUMNS) <= set(found):
                    for name, kind in ADDED_COLUMNS:
                        if name not in found:
                            db.execute(f"ALTER TABLE corrections ADD COLUMN {name} {kind}")
                    db.execute(SKIPPED_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise KhabarError(f"{path}: not a usable SQLite file ({exc}); pass a new file name or the store "
                              "khabar serve --feedback wrote") from None
        if not set(COLUMNS) <= set(found):
            raise KhabarError(f"{path}: its corrections table lacks {sorted(set(COLUMNS) - set(found))}; it was not "
                              "written by khabar; pass a new file name")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def add(self, text: str, model_label: str | None, label: str, model_version: str,
            article_id: str | None = None, claim: str | None = None) -> dict:
        """Store one correction (`article_id`: the article's id in the queue's pool, if it came from
        there; `claim`: a stance model's claim about `text`); returns it as stored."""
        row = {"text": text, "model_label": model_label, "label": label, "model_version": model_version,
               "created_at": now(), "article_id": article_id, "claim": claim}
        names = (*COLUMNS, *(name for name, _ in ADDED_COLUMNS))
        with closing(self._connect()) as db, db:
            db.execute(f"INSERT INTO corrections ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                       [row[c] for c in names])
        return row

    def rows(self) -> list[dict]:
        """Every correction, oldest first."""
        names = ("id", *COLUMNS, *(name for name, _ in ADDED_COLUMNS))
        with closing(self._connect()) as db:
            cursor = db.execute(f"SELECT {', '.join(names)} FROM corrections ORDER BY id")
            return [dict(zip(names, values)) for values in cursor]

    def skip(self, article_id: str, model_version: str) -> None:
        """Remember that an editor skipped this article of the queue's pool (once is enough)."""
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR IGNORE INTO skipped (article_id, model_version, created_at) VALUES (?, ?, ?)",
                       (article_id, model_version, now()))

    def skipped(self) -> set[str]:
        """The ids of the articles skipped in the queue."""
        with closing(self._connect()) as db:
            return {row[0] for row in db.execute("SELECT article_id FROM skipped")}


def now() -> str:
    """The time a row is stored: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def export(store: FeedbackStore) -> list[dict]:
    """Labelled rows for training: one per corrected text (claim and text for stance; its latest
    correction), with the correction's label, the model's label and version kept for the record.
    The id is the article's own (its id in the queue's pool) when it has one, else `feedback-N`."""
    latest: dict[tuple, dict] = {}
    for row in store.rows():
        key = (row["claim"], row["text"])
        latest.pop(key, None)  # a text corrected again moves to its latest place
        latest[key] = row
    return [{"id": row["article_id"] or f"feedback-{row['id']}",
             **({"claim": row["claim"]} if row["claim"] is not None else {}), "text": row["text"], "label": row["label"],
             "model_label": row["model_label"], "model_version": row["model_version"],
             "corrected_at": row["created_at"]} for row in latest.values()]
