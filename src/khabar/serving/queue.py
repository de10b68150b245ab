"""The queue view of `khabar serve --feedback STORE --queue POOL`: the page asks for the next
article to label, an editor picks its label (or skips it), the label goes to the same SQLite store
as the page's corrections, with the article's id, and the next article comes.

Which article comes next is what `khabar suggest` would say (`adapt.suggest.suggest`, the one
ranking: same strategies, same exclusions): the articles of POOL not yet labelled or skipped in the
store (labelled by id, or by text from the page's corrections), the labels already given telling
the strategies which labels are rare.

Ranked in batches, lazily: nothing is ranked at server start (ranking predicts every article of the
pool, which for a transformer on a large pool takes minutes); the first GET /queue/next ranks a
batch of `batch` articles, in a worker thread so the server keeps answering, and the next batch is
ranked when this one is used up, on the pool less everything labelled, skipped or handed out by
then. So the ranking follows the labels as they come (a cold start turns into uncertainty sampling
once the model's labels appear, rare labels move up), at the cost of one pass over the pool per
batch; `batch` trades freshness for that cost.

Two editors at once: an article handed out is leased to its editor for `lease_seconds`, and not
handed to anyone else meanwhile; labelling or skipping it ends the lease, and a lease that runs out
(an editor who walked away) puts the article back. The queue is empty when every article is
labelled or skipped (GET /queue/next then answers `"article": null`, with `"leased"` counting the
articles others still hold).

Routes: GET /queue/next; POST /queue/label `{"id": ..., "label": ...}`; POST /queue/skip
`{"id": ...}`. Each answer carries the progress (`labelled`, `skipped`, `left` of `pool`). A bad
request is a 4xx with a JSON message (400 not JSON, 413 too large, 415 not JSON content, 422 an
unknown id or label), and nothing is stored then.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Callable, Optional, Sequence

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from ..adapt.strategies import STRATEGIES
from ..adapt.suggest import guess_records, suggest
from ..errors import KhabarError
from ..examples import Example
from ..models.base import Model
from .feedback_store import FeedbackStore
from .http_body import Reject, check_content_type, parse_json
from .settings import DEFAULT_QUEUE_BATCH, DEFAULT_QUEUE_LEASE



def stored_key(ex: Example) -> tuple:
    """How the store keeps an article: (claim, text) for stance, (None, text) for topic, as POST
    /feedback stores it, so that a correction and a queue label of one article match."""
    return (None, ex.text) if ex.text_pair is None else (ex.text, ex.text_pair)


def check_queue_settings(pool: Sequence[Example], labels: Sequence[str], strategy: str, batch: int,
                         lease_seconds: float) -> None:
    """A one-line KhabarError naming the setting the queue cannot work with."""
    if strategy not in STRATEGIES:
        raise KhabarError(f"--queue-strategy {strategy}: unknown; choose one of {', '.join(STRATEGIES)}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise KhabarError(f"--queue-batch {batch!r}: rank at least 1 article at a time")
    if isinstance(lease_seconds, bool) or not isinstance(lease_seconds, (int, float)) or not 0 <= lease_seconds < 1e9:
        raise KhabarError(f"--queue-lease {lease_seconds!r}: give the seconds an article stays reserved (0 or more)")
    if len(set(labels)) < 2:
        raise KhabarError("--queue-labels: give at least two different labels to choose from")
    if not pool:
        raise KhabarError("--queue: the pool holds no article; pass the file of articles to label")


def read_queue_pool(pool: Optional[str], model: Model, feedback: Optional[str], labels: Optional[list[str]],
                     strategy: str, batch: Optional[int], lease: Optional[float]):
    """The queue view's articles, read and checked with its settings at start (None without `pool`)."""
    if pool is None:
        if labels is not None or batch is not None or lease is not None or strategy != "auto":
            raise KhabarError("--queue-labels, --queue-strategy, --queue-batch and --queue-lease set up the queue "
                              "view; give --queue POOL too")
        return None
    if feedback is None:
        raise KhabarError(f"--queue {pool}: the queue stores its labels in the feedback store; "
                          "give --feedback STORE.sqlite too")
    if model.multi_label:
        raise KhabarError(f"--queue {pool}: the queue asks one label per article, and this model is multi-label; "
                          "serve a single-label model")
    from ..data import read_unlabeled

    try:
        articles = read_unlabeled(os.fspath(pool), model.task)
    except KhabarError as exc:
        raise KhabarError(f"--queue {pool}: {exc}") from None
    check_queue_settings(articles, labels if labels is not None else list(model.labels_), strategy,
                         DEFAULT_QUEUE_BATCH if batch is None else batch, DEFAULT_QUEUE_LEASE if lease is None else lease)
    return articles


class LabelQueue:
    """The articles of `pool` to label, one at a time, in `suggest`'s order (see the module docstring).

    `labels`: the labels an editor may choose (the model's, or a newsroom's own taxonomy when the
    model is a prior of another one); `version`: the model version stored with each label;
    `clock`: seconds, for the leases (monotonic)."""

    def __init__(self, model: Model, pool: Sequence[Example], store: FeedbackStore, labels: Sequence[str],
                 version: str, strategy: str = "auto", batch: int = DEFAULT_QUEUE_BATCH,
                 lease_seconds: float = DEFAULT_QUEUE_LEASE, seed: int = 13,
                 clock: Callable[[], float] = time.monotonic):
        check_queue_settings(pool, labels, strategy, batch, lease_seconds)
        self.model, self.store, self.labels, self.version = model, store, list(labels), version
        self.strategy, self.batch, self.lease_seconds, self.seed, self.clock = strategy, batch, lease_seconds, seed, clock
        self.pool = {ex.id: ex for ex in pool}
        self.by_key = {stored_key(ex): ex.id for ex in pool}
        self.ranked: list[dict] = []  # the current batch of suggestions, best first
        self.guesses: dict[str, Optional[str]] = {}  # the model's label of each article handed out
        self.leases: dict[str, float] = {}  # article id -> when its lease ends
        self.lock = asyncio.Lock()  # one ranking at a time; next() calls wait for it

    # -- what is done ---------------------------------------------------------------------------
    def _state(self) -> tuple[list[dict], set[str], set[str]]:
        """The store's corrections, the pool ids labelled (by id or by text) and those skipped."""
        rows = self.store.rows()
        labelled = {row["article_id"] for row in rows if row["article_id"] in self.pool}
        labelled |= {self.by_key[key] for key in ((row["claim"], row["text"]) for row in rows) if key in self.by_key}
        return rows, labelled, self.store.skipped() & self.pool.keys() - labelled

    def _progress(self, labelled: set[str], skipped: set[str]) -> dict:
        return {"labelled": len(labelled), "skipped": len(skipped),
                "left": len(self.pool) - len(labelled) - len(skipped), "pool": len(self.pool)}

    def progress(self) -> dict:
        _, labelled, skipped = self._state()
        return self._progress(labelled, skipped)

    # -- handing out ---------------------------------------------------------------------------
    async def next(self) -> dict:
        """The next article (leased to the caller) and the progress; `"article": None` when none is free."""
        async with self.lock:
            rows, labelled, skipped = self._state()
            now = self.clock()
            self.leases = {i: end for i, end in self.leases.items() if end > now and i not in labelled | skipped}
            item = self._first_free(labelled | skipped)
            if item is None:
                self.ranked = await asyncio.get_running_loop().run_in_executor(
                    None, self._rank, rows, labelled, skipped | self.leases.keys())
                item = self._first_free(labelled | skipped)
            if item is not None:
                self.leases[item["id"]] = now + self.lease_seconds
                self.guesses[item["id"]] = item["guess"]["label"]
            return {"article": item, "progress": self._progress(labelled, skipped), "leased": len(self.leases)}

    def _first_free(self, done: set[str]) -> Optional[dict]:
        return next((s for s in self.ranked if s["id"] not in done and s["id"] not in self.leases), None)

    def _rank(self, rows: list[dict], labelled: set[str], unavailable: set[str]) -> list[dict]:
        """The next batch by `suggest`: every stored label counts as labelled (its text and label),
        the skipped and leased articles are left out."""
        done = [self._as_example(row) for row in rows]
        done += [self.pool[i] for i in unavailable if i not in labelled]
        return suggest(self.model, list(self.pool.values()), self.batch, done, self.strategy, self.seed)

    def _as_example(self, row: dict) -> Example:
        """A stored label as the labelled example `suggest` excludes and counts."""
        key = row["article_id"] if row["article_id"] in self.pool else self.by_key.get((row["claim"], row["text"]))
        if key is not None:
            ex = self.pool[key]
            return Example(id=ex.id, text=ex.text, text_pair=ex.text_pair, label=row["label"])
        if row["claim"] is not None:
            return Example(id=f"feedback-{row['id']}", text=row["claim"], text_pair=row["text"], label=row["label"])
        return Example(id=f"feedback-{row['id']}", text=row["text"], label=row["label"])

    # -- answers -------------------------------------------------------------------------------
    async def label(self, article_id, label) -> dict:
        """Store an editor's label of a pool article, with the model's guess and version."""
        ex = self._article(article_id)
        if not isinstance(label, str) or label not in self.labels:
            raise Reject(422, f"label: {label!r} is not one of the labels to choose from ({', '.join(self.labels)})")
        if article_id not in self.guesses:  # labelled without being handed out here (e.g. after a restart)
            [record] = await asyncio.get_running_loop().run_in_executor(
                None, lambda: guess_records(self.model, [ex.id], self.model.predict_proba([ex.inputs])))
            self.guesses[article_id] = record["label"]
        claim, text = stored_key(ex)
        stored = self.store.add(text, self.guesses[article_id], label, self.version, article_id=ex.id, claim=claim)
        self.leases.pop(article_id, None)
        return {"stored": stored, "progress": self.progress()}

    def skip(self, article_id) -> dict:
        """Leave an article out of the queue for good (it is not exported)."""
        ex = self._article(article_id)
        self.store.skip(ex.id, self.version)
        self.leases.pop(article_id, None)
        return {"skipped": ex.id, "progress": self.progress()}

    def _article(self, article_id) -> Example:
        if not isinstance(article_id, str) or article_id not in self.pool:
            shown = repr(article_id) if len(repr(article_id)) <= 80 else repr(article_id)[:80] + "..."
            raise Reject(422, f"id: {shown} is not an article of the queue's pool; send the id GET /queue/next gave")
        return self.pool[article_id]


async def json_object(request: Request, read: Callable) -> dict:
    """The request's body as a JSON object (415, 413, 408 or 400 otherwise; see http_body)."""
    check_content_type(request.headers.get("content-type", ""))
    body = parse_json(await read(request))
    if not isinstance(body, dict):
        raise Reject(422, "expected a JSON object such as {\"id\": ..., \"label\": ...}")
    return body


def add_queue_routes(app, queue: LabelQueue, read: Callable, error: Callable) -> None:
    """Register GET /queue/next, POST /queue/label and POST /queue/skip on `app`. `read(request)`
    returns the body's bytes within the server's limits (raising `Reject`); `error(status,
    message, close)` shapes a JSON error."""

    async def answer(work):
        try:
            return JSONResponse(await work())
        except Reject as exc:
            return error(exc.status, exc.message, exc.close)
        except ClientDisconnect:  # nobody to answer
            return Response(status_code=400)

    @app.get("/queue/next")
    async def queue_next():
        """The next article to label (the most useful one not labelled, skipped or held by another
        editor), with the model's guess and the progress; `"article": null` when none is left."""
        return await answer(queue.next)

    @app.post("/queue/label")
    async def queue_label(request: Request):
        """Store an editor's label of a queue article: `{"id": ..., "label": ...}`."""
        async def work():
            body = await json_object(request, read)
            return await queue.label(body.get("id"), body.get("label"))
        return await answer(work)

    @app.post("/queue/skip")
    async def queue_skip(request: Request):
        """Leave a queue article out: `{"id": ...}`; it is not served again."""
        async def work():
            return queue.skip((await json_object(request, read)).get("id"))
        return await answer(work)
