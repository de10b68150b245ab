"""Label Studio interchange, the way out: suggestions as tasks with pre-annotations.

`tasks` turns suggestions into Label Studio's JSON import format, one task per article:
`data` (`text`, `id`), and the model's guess as a `predictions` entry (`model_version`, `score`,
a `choices` result), so annotators start from the guess. The labelling config it fits is
`labeling_config(labels)` (a `Text` named `text`, `Choices` named `label`). The way back in, a
Label Studio JSON export read as training data, is the input format `label-studio`
(data/label_studio.py).
"""

from __future__ import annotations

from typing import Iterable, Sequence
from xml.sax.saxutils import quoteattr

from ..data.label_studio import FROM_NAME, TO_NAME


def labeling_config(labels: Sequence[str], multi_label: bool = False) -> str:
    """The Label Studio labelling config that the tasks of `tasks` and the exports `rows_of_export` reads fit."""
    choice = "multiple" if multi_label else "single"
    options = "".join(f"\n    <Choice value={quoteattr(label)}/>" for label in labels)
    return (f'<View>\n  <Text name="{TO_NAME}" value="$text"/>\n  <Choices name="{FROM_NAME}" toName="{TO_NAME}" '
            f'choice="{choice}">{options}\n  </Choices>\n</View>\n')


def tasks(suggestions: Iterable[dict], model_version: str = "khabar") -> list[dict]:
    """Label Studio import tasks, each with the model's guess as a prediction (pre-annotation)."""
    out = []
    for s in suggestions:
        guess = s["guess"]
        chosen = [item["label"] for item in guess["labels"]] if "labels" in guess else \
            ([guess["label"]] if guess.get("label") is not None else [])
        data = {"id": s["id"], "text": s["text"], **({"text_pair": s["text_pair"]} if "text_pair" in s else {})}
        result = [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices", "value": {"choices": chosen}}]
        out.append({"data": data, "predictions": [{"model_version": model_version,
                                                    "score": float(guess.get("probability") or 0.0),
                                                    "result": result if chosen else []}]})
    return out
