"""POST /feedback: an editor's correction from the page, stored in the SQLite store that
`khabar serve --feedback STORE` names (`feedback_store`).

The body is JSON: `text` (stance: `claim` too), `model_label` (what the
model said, may be null) and `label` (the editor's choice, one of the model's labels). A bad body
is a 4xx with a JSON message, never a 5xx; nothing is stored then.
"""

from __future__ import annotations

import json
from typing import Callable

from fastapi import Request
from fastapi.responses import JSONResponse

from .feedback_store import FeedbackStore
from ..examples import needs_pair
from .http_body import Reject


def add_feedback_route(app, store: FeedbackStore, task: str, labels: list[str], model_version: str,
                       max_text_chars: int, read: Callable, error: Callable) -> None:
    """Register POST /feedback on `app`. `read(request)` returns the body's bytes within the
    server's limits (raising `Reject`); `error(status, message)` shapes a JSON error."""

    @app.post("/feedback", include_in_schema=True)
    async def feedback(request: Request):
        """Store a correction: the article, the model's label and the label an editor chose."""
        if not request.headers.get("content-type", "").lower().startswith("application/json"):
            return error(415, "send the correction as JSON (Content-Type: application/json)")
        try:
            body = json.loads(await read(request))
        except Reject as exc:
            return error(exc.status, exc.message)
        except ValueError:
            return error(400, "the body is not valid JSON; send {\"text\": ..., \"model_label\": ..., \"label\": ...}")
        if not isinstance(body, dict):
            return error(422, "expected a JSON object with text, model_label and label")
        text, label, model_label = body.get("text"), body.get("label"), body.get("model_label")
        parts = [body.get("claim"), text] if needs_pair(task) else [text]
        if not all(isinstance(p, str) and p.strip() for p in parts):
            what = "claim and text" if needs_pair(task) else "text"
            return error(422, f"{what}: give the article the correction is about (non-empty text)")
        if any(len(p) > max_text_chars for p in parts):
            return error(413, f"text: longer than {max_text_chars} characters, the server's limit")
        if label not in labels:
            return error(422, f"label: {label!r} is not one of the model's labels ({', '.join(labels)})")
        if model_label is not None and model_label not in labels:
            return error(422, f"model_label: {model_label!r} is not one of the model's labels; send null if it abstained")
        stored = store.add(text, model_label, label, model_version, claim=body.get("claim") if needs_pair(task) else None)
        return JSONResponse({"stored": stored})
