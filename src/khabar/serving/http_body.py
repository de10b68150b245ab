"""Reading a request body within its limits and parsing it as strict JSON, with the HTTP status
and one-line reason of every refusal (`Reject`): what `http` does before it looks at the fields.

Strict: UTF-8 only (no surrogate bytes), no NaN or Infinity, no number beyond a double, no integer
of more than `MAX_INT_DIGITS` digits, and nesting within Python's parser (deeper is a 400, not a
RecursionError).
"""

from __future__ import annotations

import asyncio
import json
import math

#: Digits of the longest JSON integer accepted (a signed 64-bit integer has at most 19).
MAX_INT_DIGITS = 20


class Reject(Exception):
    """A request the server refuses, with its HTTP status and a one-line reason. `close`: the body
    was not read to its end, so the connection cannot carry another request."""

    def __init__(self, status: int, message: str, close: bool = False):
        super().__init__(message)
        self.status, self.message, self.close = status, message, close


def check_content_type(content_type: str) -> None:
    media, *params = [part.strip().lower() for part in content_type.split(";")]
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise Reject(415, f"content type {media or '(none)'!r} is not supported; "
                           "send JSON with Content-Type: application/json", close=True)
    for param in params:
        key, _, value = param.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise Reject(415, f"charset {value.strip()!r} is not supported; send the JSON as UTF-8", close=True)


async def read_body(request, limit: int, timeout: float) -> bytes:
    """The whole body, at most `limit` bytes (413) and within `timeout` seconds (408).
    Raises starlette's ClientDisconnect if the client goes away first."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise Reject(413, f"request body of {declared} bytes is over the limit of {limit} bytes; send smaller batches",
                      close=True)

    async def read() -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():  # also bounds chunked bodies that declare no length
            size += len(chunk)
            if size > limit:
                raise Reject(413, f"request body is over the limit of {limit} bytes; send smaller batches", close=True)
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(read(), timeout)
    except asyncio.TimeoutError:
        raise Reject(408, f"request body not received within {timeout:g} s; send the whole body at once",
                      close=True) from None


class BadNumber(ValueError):
    pass


def parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise BadNumber(f"an integer of {len(digits.lstrip('-'))} digits is too large (at most {MAX_INT_DIGITS})")
    return int(digits)


def parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise BadNumber(f"the number {literal[:30]} is out of range")
    return value


def parse_constant(name: str):
    raise BadNumber(f"{name} is not a JSON number")


def parse_json(body: bytes):
    """The JSON value of a UTF-8 body (a leading byte-order mark is allowed), or a 400."""
    hint = "send a JSON object such as {\"text\": \"...\"}"
    try:
        text = body.decode("utf-8")  # strict: no surrogate bytes, unlike json.loads(bytes)
    except UnicodeDecodeError as exc:
        raise Reject(400, f"body is not valid UTF-8 JSON: byte 0x{body[exc.start]:02x} at offset {exc.start} "
                           f"is not UTF-8; {hint} in UTF-8") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise Reject(400, f"body is empty; {hint}")
    try:
        return json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
    except json.JSONDecodeError as exc:
        raise Reject(400, f"body is not valid UTF-8 JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; {hint}") from None
    except BadNumber as exc:
        raise Reject(400, f"body is not valid UTF-8 JSON: {exc}; {hint}") from None
    except ValueError as exc:  # e.g. Python's own limit on integer digits
        raise Reject(400, f"body is not valid UTF-8 JSON: {exc}; {hint}") from None
    except RecursionError:
        raise Reject(400, "body is nested too deeply (arrays or objects inside each other); "
                           "a request needs at most 3 levels, e.g. {\"pairs\": [[claim, text]]}") from None
