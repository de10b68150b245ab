"""Micro-batching: group concurrent requests into one model call.

A transformer spends most of a one-article call on fixed costs (Python dispatch, thread start-up,
small matrix products that use the CPU badly); 32 articles in one call cost far less than 32 calls.
A server that answers each request on its own therefore wastes most of the machine under load.
`MicroBatcher` puts each request's items on an asyncio queue; one collector task, whenever a model
worker is free, takes what is waiting, waits at most `max_wait_ms` for more (or until `max_batch`
items), and runs the model once in that worker thread so the event loop keeps accepting requests
meanwhile. A lone request pays at most `max_wait_ms` extra; under load a batch is already waiting
when a call returns.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

import numpy as np


class MicroBatcher:
    """Collect `submit` calls into batches for `fn(items) -> array with one row per item`.

    At most `workers` model calls run at once, each in its own thread. With two, one batch computes
    while the next is being gathered and the last one's answers go out, so the model never waits
    for the HTTP side; each call should then use only its share of the cores (`khabar serve` sets
    torch's threads so). A request is never split: one of more than `max_batch` items runs alone,
    so `max_batch=1` means one request per call (how `khabar serve` runs without micro-batching).
    If a grouped call fails, each request in it is retried on its own, so one bad request fails
    alone instead of taking its neighbours down. (`khabar serve` checks every item before it
    submits it, so under the server a failing call is a model bug, answered 500, not bad input.)
    """

    def __init__(self, fn: Callable[[list], Any], *, max_batch: int = 64, max_wait_ms: float = 5.0,
                 workers: int = 1):
        if max_batch < 1 or workers < 1:
            raise ValueError("max_batch and workers must be at least 1")
        self.workers = workers
        self.fn = fn
        self.max_batch = max_batch
        self.max_wait = max(0.0, max_wait_ms) / 1000.0
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self._slots: asyncio.Semaphore | None = None  # one per free worker, made with the loop
        self._carry = None  # a request that did not fit in the previous batch

    @property
    def pending(self) -> int:
        """Requests waiting for a model call (not counting the one running)."""
        return (self._queue.qsize() if self._queue is not None else 0) + (self._carry is not None)

    def _ensure_started(self) -> None:
        # Started lazily in whichever loop serves requests: lifespan-less test clients and
        # servers alike work, and a loop that closed leaves no dangling task behind.
        loop = asyncio.get_running_loop()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="khabar-model")
        if self._loop is not loop or self._task is None or self._task.done():
            self._loop, self._queue, self._carry = loop, asyncio.Queue(), None
            self._slots = asyncio.Semaphore(self.workers)
            self._task = loop.create_task(self._run(), name="khabar-micro-batcher")

    async def submit(self, items: Sequence) -> np.ndarray:
        """Rows of `fn` for `items`, computed together with whatever else arrived meanwhile."""
        self._ensure_started()
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((list(items), future))
        return await future

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._task = None
        if self._executor is not None:  # a later submit (the app started again) makes a new one
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _collect(self) -> list:
        """One batch of requests: the first waiting, then more until full or max_wait passes."""
        first = self._carry if self._carry is not None else await self._queue.get()
        self._carry = None
        batch, size = [first], len(first[0])
        deadline = time.monotonic() + self.max_wait
        while size < self.max_batch:
            try:
                if self._queue.empty():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    request = await asyncio.wait_for(self._queue.get(), remaining)
                else:
                    request = self._queue.get_nowait()
            except asyncio.TimeoutError:
                break
            if size + len(request[0]) > self.max_batch:
                self._carry = request
                break
            batch.append(request)
            size += len(request[0])
        return batch

    async def _run(self) -> None:
        running = set()
        while True:
            await self._slots.acquire()  # a model worker is free: gather the next batch for it
            batch = await self._collect()
            batch = [(items, fut) for items, fut in batch if not fut.done()]  # clients gone
            if not batch:
                self._slots.release()
                continue
            task = asyncio.get_running_loop().create_task(self._call(batch))
            running.add(task)  # keep a reference until it finishes
            task.add_done_callback(running.discard)

    async def _call(self, batch: list) -> None:
        loop = asyncio.get_running_loop()
        try:
            items = [item for request_items, _ in batch for item in request_items]
            try:
                rows = await loop.run_in_executor(self._executor, self.fn, items)
            except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
                if len(batch) == 1:
                    _settle(batch[0][1], exc=exc)
                    return
                for request_items, fut in batch:  # isolate the failing request
                    try:
                        _settle(fut, await loop.run_in_executor(self._executor, self.fn, request_items))
                    except Exception as single_exc:  # noqa: BLE001
                        _settle(fut, exc=single_exc)
                return
            start = 0
            for request_items, fut in batch:
                _settle(fut, rows[start:start + len(request_items)])
                start += len(request_items)
        finally:
            self._slots.release()


def _settle(future: asyncio.Future, result=None, exc: BaseException | None = None) -> None:
    if future.done():  # the client went away while its batch ran
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
