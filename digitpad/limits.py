"""A bound on every request body, checked before the server reads it whole.

Gradio and Starlette read a whole body into memory before any of the app's code sees it: a
42 MB list of strokes sent to the pad's event took 20 s and 680 MB. This middleware refuses a body
over its route's limit from its Content-Length, or, for a body sent in chunks, as soon as the
bytes received pass it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MB = 1024 * 1024
UPLOAD_LIMIT = 10 * MB  # one image file: the app's upload limit
EVENT_LIMIT = 1 * MB  # anything else: the largest drawing the pad allows is about 60 KB
MULTIPART_SLACK = 64 * 1024  # an upload's form headers around its file


class BodyTooLarge(Exception):
    """Raised inside the app's receive once a chunked body passes its limit."""


def body_limit(path: str) -> int:
    """The largest body a route takes: files for uploads, small JSON for everything else."""
    if path.endswith(("/upload", "/api/predict")):
        return UPLOAD_LIMIT + MULTIPART_SLACK
    return EVENT_LIMIT


async def refuse(send: Send, limit: int) -> None:
    body = json.dumps({"error": f"The request is larger than {limit // MB} MB."}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: 413 with a JSON sentence for a body over its route's limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await refuse(send, limit)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await refuse(send, limit)
