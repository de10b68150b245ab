"""khabar.serving.batching.MicroBatcher: concurrent submits grouped into model calls, a failing
request isolated, at most `workers` calls at once. Ordering is observed, never timed: the model
function blocks on events the test controls, and the test yields to the event loop (no clock)."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from waiting import HANG

from khabar.serving.batching import MicroBatcher


async def spin(times: int = 200) -> None:
    """Let the event loop run other tasks `times` rounds: enough for any ready task to act."""
    for _ in range(times):
        await asyncio.sleep(0)


def test_batcher_respects_max_batch_and_isolates_a_failing_request():
    calls = []

    def fn(items):
        calls.append(list(items))
        if "bad" in items:
            raise ValueError("bad item")
        return np.array([[len(x)] for x in items])

    async def main():
        batcher = MicroBatcher(fn, max_batch=4, max_wait_ms=50)
        results = await asyncio.gather(*(batcher.submit(["a" * i, "b"]) for i in range(1, 5)),
                                       batcher.submit(["bad"]), return_exceptions=True)
        await batcher.aclose()
        return results

    results = asyncio.run(main())
    assert [r.tolist() for r in results[:4]] == [[[i], [1]] for i in range(1, 5)]
    assert isinstance(results[4], ValueError)
    assert all(len(items) <= 4 for items in calls)
    assert ["bad"] in calls  # retried alone after its group failed


def test_queued_requests_go_in_one_call_once_the_worker_is_free():
    gate, entered, calls = threading.Event(), threading.Event(), []

    def fn(items):
        calls.append(list(items))
        if len(calls) == 1:
            entered.set()
            assert gate.wait(HANG)
        return np.array([[len(x)] for x in items])

    async def main():
        batcher = MicroBatcher(fn, max_batch=16, max_wait_ms=0, workers=1)
        first = asyncio.ensure_future(batcher.submit(["first"]))
        assert await asyncio.to_thread(entered.wait, HANG)
        rest = [asyncio.ensure_future(batcher.submit([f"r{i}", "x"])) for i in range(5)]
        await spin()
        assert batcher.pending == 5 and len(calls) == 1  # all five wait for the one worker
        gate.set()
        results = await asyncio.gather(first, *rest)
        await batcher.aclose()
        return results

    results = asyncio.run(main())
    assert calls == [["first"], [w for i in range(5) for w in (f"r{i}", "x")]]
    assert [r.tolist() for r in results[1:]] == [[[2], [1]]] * 5


def test_a_request_larger_than_max_batch_runs_alone_and_is_never_split():
    calls = []

    def fn(items):
        calls.append(len(items))
        return np.zeros((len(items), 1))

    async def main():
        batcher = MicroBatcher(fn, max_batch=3, max_wait_ms=0)
        out = await asyncio.gather(batcher.submit(list("abcdefg")), batcher.submit(["x"]))
        await batcher.aclose()
        return out

    big, small = asyncio.run(main())
    assert big.shape == (7, 1) and small.shape == (1, 1)
    assert 7 in calls and sum(calls) == 8


@pytest.mark.parametrize("workers", [1, 2])
def test_a_second_batch_runs_while_the_first_is_busy_only_with_two_workers(workers):
    """workers=2: the second batch is answered while the first call is still held.
    workers=1: the second waits in the queue until the first call returns."""
    gate, entered, events = threading.Event(), threading.Event(), []

    def fn(items):
        events.append(("start", list(items)))
        if items == ["slow"]:
            entered.set()
            assert gate.wait(HANG)
        events.append(("end", list(items)))
        return np.array([[len(x)] for x in items])

    async def main():
        batcher = MicroBatcher(fn, max_batch=8, max_wait_ms=0, workers=workers)
        first = asyncio.ensure_future(batcher.submit(["slow"]))
        assert await asyncio.to_thread(entered.wait, HANG)
        second = asyncio.ensure_future(batcher.submit(["quick", "one"]))
        if workers == 2:
            await asyncio.wait_for(asyncio.shield(second), HANG)  # answered while the first is held
            assert not first.done()
        else:
            await spin()
            assert batcher.pending == 1 and not second.done()  # held back: no free worker
        gate.set()
        results = [(await first).tolist(), (await second).tolist()]
        await batcher.aclose()
        return results

    assert asyncio.run(main()) == [[[4]], [[5], [3]]]
    second_start = events.index(("start", ["quick", "one"]))
    first_end = events.index(("end", ["slow"]))
    assert (second_start < first_end) == (workers == 2)


def test_a_client_that_went_away_is_not_computed():
    gate, entered, calls = threading.Event(), threading.Event(), []

    def fn(items):
        calls.append(list(items))
        if items == ["slow"]:
            entered.set()
            assert gate.wait(HANG)
        return np.zeros((len(items), 1))

    async def main():
        batcher = MicroBatcher(fn, max_batch=8, max_wait_ms=0, workers=1)
        first = asyncio.ensure_future(batcher.submit(["slow"]))
        assert await asyncio.to_thread(entered.wait, HANG)
        gone = asyncio.ensure_future(batcher.submit(["gone"]))
        kept = asyncio.ensure_future(batcher.submit(["kept"]))
        await spin()
        gone.cancel()
        await spin()
        gate.set()
        await asyncio.gather(first, kept)
        await batcher.aclose()

    asyncio.run(main())
    assert calls == [["slow"], ["kept"]]


def test_the_batcher_restarts_in_a_new_event_loop():
    def fn(items):
        return np.ones((len(items), 1))

    batcher = MicroBatcher(fn, max_batch=4)

    async def once():
        out = await batcher.submit(["a"])
        await batcher.aclose()
        return out.tolist()

    assert asyncio.run(once()) == [[1.0]]
    assert asyncio.run(once()) == [[1.0]]  # a second loop, as after a server restart


def test_bad_settings():
    with pytest.raises(ValueError):
        MicroBatcher(lambda items: items, max_batch=0)
    with pytest.raises(ValueError):
        MicroBatcher(lambda items: items, workers=0)
