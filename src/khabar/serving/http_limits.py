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


def headers_deadline(base: type, timeout: float, max_bytes: int) -> type:
    """uvicorn's HTTP protocol class `base`, with the deadline for headers that uvicorn lacks.

    uvicorn (0.54) times out only idle kept-alive connections between requests: a client that
    connects and sends nothing, or sends half a header line and stops, holds its connection (and a
    slot of `limit_concurrency`) forever. Here each request's line and headers must arrive within
    `timeout` seconds, counted from the connection or from the first byte of a later request on the
    same connection, and hold at most `max_bytes` bytes (httptools has no bound of its own). Past
    either, the connection is closed: after a 408 or 431 in the usual JSON shape if part of a
    request had arrived, silently if nothing had. The request body has its own deadline, in the app.
    """

    class _HeadersDeadline(base):
        def connection_made(self, transport) -> None:
            self._headers_timer, self._headers_cycle, self._headers_bytes = None, None, 0
            super().connection_made(transport)
            self._arm_headers_deadline()

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
                if self._headers_bytes > max_bytes:
                    self._refuse(431, f"request line and headers over {max_bytes} bytes; send shorter headers")

        def _arm_headers_deadline(self) -> None:
            if self._headers_timer is None and not self.transport.is_closing():
                self._headers_cycle = self.cycle
                self._headers_timer = self.loop.call_later(timeout, self._headers_deadline_passed)

        def _cancel_headers_deadline(self) -> None:
            if self._headers_timer is not None:
                self._headers_timer.cancel()
            self._headers_timer, self._headers_bytes = None, 0

        def _headers_deadline_passed(self) -> None:
            self._headers_timer = None
            if self.cycle is not self._headers_cycle or self.transport.is_closing():
                return
            if self._headers_bytes:
                self._refuse(408, f"request headers not received within {timeout:g} s; send them at once")
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

    _HeadersDeadline.__name__ = _HeadersDeadline.__qualname__ = f"HeadersDeadline{base.__name__}"
    return _HeadersDeadline
