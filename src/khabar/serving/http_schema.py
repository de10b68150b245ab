"""The JSON of `POST /predict`: the request and response schemas, and reading a request with one
422 line naming the field and the fix.

Why apart from `http`: the schemas are the API's contract (FastAPI publishes them at /docs), and
reading a request strictly (no unknown field, no null input, a batch over the limit refused before
validating its items, pydantic's first error rewritten as one line) is a concern of its own.
"""

from __future__ import annotations

import json
import re
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .http_body import Reject, parse_json

class PredictRequest(BaseModel):
    """One article or a batch. Topic: `text` or `texts`. Stance: `claim` + `text`, or `pairs`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "فاز المنتخب الوطني بالمباراة النهائية"},
        {"texts": ["ارتفع مؤشر البورصة اليوم", "افتتح معرض الكتاب"], "top_k": 2},
        {"claim": "البنك المركزي يرفع الفائدة", "text": "قرر البنك المركزي إبقاء الفائدة دون تغيير"},
    ]})
    text: Optional[str] = Field(None, description="one article (topic), or the article for `claim` (stance)")
    texts: Optional[list[str]] = Field(None, description="a batch of articles (topic model)")
    claim: Optional[str] = Field(None, description="the claim the `text` is read against (stance model)")
    pairs: Optional[list[tuple[str, str]]] = Field(None, description="a batch of [claim, text] pairs (stance model)")
    top_k: int = Field(3, ge=1, strict=True, description="how many labels to list per item, best first: a JSON "
                                                          "integer of at least 1; more than there are labels lists them all")
    # at least two, checked with the model in hand (`_subset`): a multi-label model refuses labels first
    labels: Optional[list[str]] = Field(None, description="restrict the prediction to these labels of "
                                        "the model (at least two), probabilities renormalized over them")
    min_confidence: Optional[float] = Field(None, ge=0, le=1, strict=True, description="abstain (label null) when the "
                                            "top probability is below this; 0 never abstains; default: the server's")
    explain: bool = Field(False, strict=True, description="add each prediction's `explanation`: the words that pushed "
                                                          "toward and away from its first label, with character "
                                                          "offsets into the text as sent")


INPUT_FIELDS = ("text", "texts", "claim", "pairs")
#: The fix named in a 422 about each field.
FIELD_FIX = {
    "text": "send a string", "claim": "send a string", "texts": "send an array of strings",
    "pairs": "send an array of [claim, text] pairs of strings", "top_k": "send a whole number of at least 1, such as 3",
    "labels": "send an array of at least two of the model's labels (see /model)",
    "min_confidence": "send a number from 0 to 1, such as 0.8", "explain": "send true or false",
}


class LabelScore(BaseModel):
    label: str
    probability: float


class Span(BaseModel):
    start: int = Field(description="offset of the word's first character in the part as sent (code points)")
    end: int = Field(description="offset after its last character")


class Evidence(BaseModel):
    word: str = Field(description="the word as the model reads it (normalized)")
    part: str = Field(description="text, or claim for a stance model")
    weight: float
    spans: list[Span]


class SentenceEvidence(BaseModel):
    start: int = Field(description="offset of the sentence's first character in the original text")
    end: int = Field(description="offset after its last character")
    weight: float = Field(description="the sum of its words' shares of the score")


class ExplainedLabel(BaseModel):
    label: str
    probability: float
    score: float = Field(description="what is decomposed: a decision score or a log-probability")
    base: float = Field(description="the score without any word (the intercept, or a blank input's)")
    toward: list[Evidence]
    against: list[Evidence]
    signals: list[dict]
    unassigned: float
    sentence: Optional[SentenceEvidence] = Field(
        default=None, description="stance, TF-IDF kind: the article sentence whose words add most to the label's score")


class Explanation(BaseModel):
    label: str
    probability: float
    method: str
    explained: list[ExplainedLabel]


class Prediction(BaseModel):
    id: str = Field(description="text-1, text-2, ... in the order of the request's items (as `khabar predict --text` "
                                "and `khabar.load(...).predict` name them)")
    label: Optional[str] = Field(description="the label, or null when the prediction abstained (or, multi-label, "
                                             "when the model allows no label and none passes its threshold)")
    probability: Optional[float] = Field(description="the label's probability (null only with a null label of a "
                                                     "multi-label model)")
    abstained: Optional[bool] = Field(None, description="single-label models: whether it abstained")
    labels: Optional[list[LabelScore]] = Field(None, description="multi-label models: every label at or above its "
                                                                 "threshold, most probable first; `label` is the first")
    top_k: list[LabelScore]
    explanation: Optional[Explanation] = Field(None, description="with \"explain\": true")


class PredictResponse(BaseModel):
    predictions: list[Prediction] = Field(description="one per input item, in order")


class ErrorResponse(BaseModel):
    error: str


def show_name(name: str, width: int = 40) -> str:
    """A client-chosen field name, safe to quote in a one-line message."""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,%d}" % width, name):
        return name
    shown = json.dumps(name)
    return shown if len(shown) <= width else shown[:width] + '..."'


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number with a fraction or an exponent"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, (list, tuple)) else "an object"


def _field_path(loc) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def parse_request(body: bytes, max_batch: int) -> PredictRequest:
    """The request in `body`, or a 400 (not JSON) or 422 (not a request) naming the field."""
    data = parse_json(body)
    if not isinstance(data, dict):
        raise Reject(422, f"body: expected a JSON object such as {{\"text\": \"...\"}}, got {_json_type(data)}")
    for key in data:
        if key not in PredictRequest.model_fields:
            raise Reject(422, f"{show_name(key)}: Extra inputs are not permitted; remove it "
                               f"(the fields are {', '.join(PredictRequest.model_fields)})")
    for key in INPUT_FIELDS:
        if key in data and data[key] is None:
            raise Reject(422, f"{key}: null; {FIELD_FIX[key]}, or leave the field out")
    for key in ("texts", "pairs"):  # before validating a million items one by one
        if isinstance(data.get(key), list) and len(data[key]) > max_batch:
            raise Reject(422, f"{key}: {len(data[key])} items, over the limit of {max_batch}; split the batch")
    try:
        return PredictRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        got = f" (got {_json_type(first['input'])})" if first["type"].endswith("_type") and "input" in first else ""
        fix = FIELD_FIX.get(str(loc[0]) if loc else "", "see /docs")
        raise Reject(422, f"{_field_path(loc)}: {first['msg']}{got}; {fix}") from None
