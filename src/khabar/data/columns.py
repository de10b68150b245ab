"""Which columns hold the text, the claim, the label, the id: guessed from common names.

Why: `khabar evaluate --data FILE`, `khabar predict FILE` and `khabar data stats FILE` take a bare
file, with no config to name its columns. The guess follows the names corpora use (text, article,
s1/s2, claim, stance, category, ...) and says what it found; a flag or a config key overrides it.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..errors import KhabarError

TEXT_NAMES = ("text", "article", "content", "body", "claim", "s1", "headline")
CLAIM_NAMES = ("claim", "s1", "headline", "text")
PAIR_NAMES = ("text_pair", "s2", "article", "body")
LABEL_NAMES = ("label", "labels", "stance", "topic", "topics", "category", "categories", "class")
#: a multi-label model's gold: the plural names first (a file may carry `label` and `labels`, as
#: the embedded sample does: the single-label view and the label sets)
LABEL_SET_NAMES = ("labels", "topics", "categories", "label", "topic", "category", "class")


def guess_columns(columns: list[str], task: Optional[str],
                  label_names: Sequence[str] = LABEL_NAMES) -> tuple[dict, str]:
    """({"text", "pair", "label", "id", "split", "source"} -> column or None, task) for these columns.

    With `task` None the task is guessed too: a claim column beside a text column means stance.
    `label_names`: the label column's names, best first (a label set's: the plural names first, `LABEL_SET_NAMES`).
    """
    lower = {c.lower(): c for c in columns}

    def pick(names, exclude=None):
        return next((lower[n] for n in names if n in lower and lower[n] != exclude), None)

    label = pick(label_names)
    claim = pick(CLAIM_NAMES) if task != "topic" else None
    pair = pick(PAIR_NAMES, exclude=claim) if claim else None
    if pair is None and claim is not None and claim == lower.get("claim"):
        pair = lower.get("text")  # claim + text: the text is the article; headline + text stays topic
    if task is None and label and label.lower() in ("topic", "category"):
        pair = None  # a topic label wins over a headline + body that looks like a pair
    task = task or ("stance" if pair else "topic")
    text = claim if pair else pick(TEXT_NAMES)
    return {"text": text, "pair": pair, "label": label, "id": pick(("id",)), "split": pick(("split",)),
            "source": pick(("source",))}, task


def no_pair_error(path: str, columns: list[str]) -> KhabarError:
    return KhabarError(f"{path}: task stance needs a claim column and a text column; columns present: "
                       f"{', '.join(columns)}; name them claim and text_pair (or s1 and s2), or set "
                       "data.text_column and data.pair_column (--text-column/--pair-column where offered)")
