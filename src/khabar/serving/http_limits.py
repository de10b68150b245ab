"""A deadline for request headers, which uvicorn lacks: a uvicorn HTTP protocol class wrapped so
that a slow or silent client cannot hold a connection forever. Apart from `http` because it
reaches into uvicorn's protocol internals (`cycle`, `loop`, `transport`): when uvicorn changes, the
real-server tests in tests/serving/test_http_hostile.py say so here.
"""

from __future__ import annotations

import json
import logging

#: uvicorn's logger: its lines follow --log-level and look like the server's own.
log = logging.getLogger("uvicorn.error")


def headers_deadline(base: type, timeout: float, max_bytes: int, max_per_client: int | None = None) -> type:
    """uvicorn's HTTP protocol class `base`, with the deadline for headers that uvicorn lacks, and
    room kept for every client.

    uvicorn (0.54) times out only idle kept-alive connections between requests: a client that
    connects and sends nothing, or sends half a header line and stops, holds its connection (and a
    slot of `limit_concurrency`) forever. Here each request's line and headers must arrive within
    `timeout` seconds, counted from the connection or from the first byte of a later request on the
    same connection, and hold at most `max_bytes` bytes (httptools has no bound of its own). Past
    either, the connection is closed: after a 408 or 431 in the usual JSON shape if part of a
    request had arrived, silently if nothing had. The request body has its own deadline, in the app.

    Room for everyone (`_make_room`): one address may hold at most `max_per_client` connections,
    and the server keeps one slot of uvicorn's `limit_concurrency` free for a newcomer. Past either,
    the oldest *idle* connection (waiting for a request's headers: a slow client's, or a kept-alive
    one between requests) is closed first, of that address, else of the address holding most; a
    connection whose request is being served is never cut. Without this one slow client opening
    140 silent connections made uvicorn answer 503 to everyone until the headers deadline passed.
    When an address is at its limit with every connection busy, its new connection is closed.
    """
    settings = {"headers_timeout": timeout, "headers_max_bytes": max_bytes, "max_per_client": max_per_client}
    name = f"HeadersDeadline{base.__name__}"
    return type(name, (HeadersDeadline, base), {**settings, "__qualname__": name})


class HeadersDeadline:
    """The behaviour `headers_deadline` adds to a uvicorn HTTP protocol class, as a mixin placed
    before it; the settings are class attributes that `headers_deadline` fills in.
    """

    headers_timeout: float
    headers_max_bytes: int
    max_per_client: int | None = None

    def connection_made(self, transport) -> None:
        self._headers_timer, self._headers_cycle, self._headers_bytes = None, None, 0
        super().connection_made(transport)
        self._opened_at = self.loop.time()
        self._arm_headers_deadline()
        self._make_room()

    def _idle(self) -> bool:
        return (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing()

    def _make_room(self) -> None:
        address = self.client[0] if self.client else None
        others = [c for c in list(self.connections) if c is not self and isinstance(c, type(self))]
        mine = [c for c in others if (c.client[0] if c.client else None) == address]
        if self.max_per_client is not None and len(mine) + 1 > self.max_per_client:
            if not self._shed(mine):
                log.warning("client %s: over %d connections, all busy; new connection closed", address,
                            self.max_per_client)
                self.transport.close()
                return
        limit = self.limit_concurrency
        if limit is not None and len(self.connections) >= limit:  # keep a slot free for the next one
            per_address: dict = {}
            for c in others:
                per_address.setdefault(c.client[0] if c.client else None, []).append(c)
            for group in sorted(per_address.values(), key=len, reverse=True):
                if self._shed(group):
                    break

    def _shed(self, group: list) -> bool:
        """Close the oldest idle connection of `group`; whether there was one."""
        idle = [c for c in group if c._idle()]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c._opened_at)
        log.warning("client %s: idle connection closed to make room", oldest.client[0] if oldest.client else "?")
        oldest._cancel_headers_deadline()
        oldest.transport.close()
        return True

    def connection_lost(self, exc) -> None:
        self._cancel_headers_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting:
            self._arm_headers_deadline()
        before = self.cycle
        super().data_received(data)
        if self.cycle is not before:  # a request's headers are complete
            self._cancel_headers_deadline()
        elif waiting and self._headers_timer is not None:
            self._headers_bytes += len(data)
            if self._headers_bytes > self.headers_max_bytes:
                self._refuse(431, f"request line and headers over {self.headers_max_bytes} bytes; send shorter headers")

    def _arm_headers_deadline(self) -> None:
        if self._headers_timer is None and not self.transport.is_closing():
            self._headers_cycle = self.cycle
            self._headers_timer = self.loop.call_later(self.headers_timeout, self._headers_deadline_passed)

    def _cancel_headers_deadline(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
        self._headers_timer, self._headers_bytes = None, 0

    def _headers_deadline_passed(self) -> None:
        self._headers_timer = None
        if self.cycle is not self._headers_cycle or self.transport.is_closing():
            return
        if self._headers_bytes:
            self._refuse(408, f"request headers not received within {self.headers_timeout:g} s; send them at once")
        else:
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        self._cancel_headers_deadline()
        client = "%s:%d" % self.client if self.client else "(unknown)"
        log.warning("client %s: %s; connection closed", client, message)
        body = json.dumps({"error": message}).encode()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                             b"connection: close\r\n\r\n%s" % (status, reason, len(body), body))
        self.transport.close()
