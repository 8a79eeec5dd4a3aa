"""Bounds on every request: its body's size, checked before the server reads it whole, and the
plain HTTP API's requests at once.

Gradio and Starlette read a whole body into memory before any of the app's code sees it: a
42 MB list of strokes sent to the pad's event took 20 s and 680 MB. BodyLimit refuses a body
over its route's limit from its Content-Length, or, for a body sent in chunks, as soon as the
bytes received pass it. The API's routes are admitted by one dependency, `admitted`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MB = 1024 * 1024
UPLOAD_LIMIT = 10 * MB  # one image file: the app's upload limit
EVENT_LIMIT = 1 * MB  # anything else: the largest drawing the pad allows is about 60 KB
MULTIPART_SLACK = 64 * 1024  # an upload's form headers around its file
READERS = 2  # API readings at once, one per core: each is ~3 ms of CPU
MAX_PENDING = 32  # API requests admitted at once (reading their body, waiting or reading)
TOO_LARGE = f"The body is larger than {UPLOAD_LIMIT // MB} MB: send a smaller image."
EMPTY = "The body is empty: send an image file or JSON strokes."
INCOMPLETE = "The body did not arrive whole."
BUSY = "The server is busy: try again in a moment."
FAILED = "The server could not read this. Try again, or send another image."
log = logging.getLogger(__name__)


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


class RequestRefused(Exception):
    """A request answered with an HTTP error status and a plain sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def read_body(request: Request) -> bytes:
    """The whole body, refused (413) as soon as it is known to pass UPLOAD_LIMIT: from its
    declared length before a byte is read, or while a chunked body streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > UPLOAD_LIMIT:
        raise RequestRefused(413, TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > UPLOAD_LIMIT:
            raise RequestRefused(413, TOO_LARGE)
    if not body:
        raise RequestRefused(400, EMPTY)
    return bytes(body)


class Admitted:
    """An admitted request's body, and the reading threads its work runs on."""

    def __init__(self, body: bytes, readers: anyio.CapacityLimiter) -> None:
        self.body, self.readers = body, readers

    async def run(self, work: Callable[..., Any], *args: Any) -> Any:
        """work(*args) on a reading thread, at most READERS at once."""
        return await anyio.to_thread.run_sync(work, *args, limiter=self.readers)


async def admitted(request: Request) -> AsyncIterator[Admitted]:
    """Admission to every route: at most MAX_PENDING requests at once, each body read whole
    within the upload limit. A flood is refused (503), not queued without end."""
    pending = request.state.admitted
    if pending.value == 0:
        raise RequestRefused(503, BUSY)
    async with pending:
        yield Admitted(await read_body(request), request.state.readers)


Admission = Annotated[Admitted, Depends(admitted, scope="function")]


def refusing_as(shown: Callable[[RequestRefused, Request], dict]) -> type[APIRoute]:
    """A route class that answers a refusal, by a dependency or the endpoint, as the JSON
    shown(it, the request) with its status; anything unforeseen is logged and answered with a
    plain 500."""

    class RefusingRoute(APIRoute):
        def get_route_handler(self) -> Callable:
            handle = super().get_route_handler()

            async def refusing(request: Request) -> Response:
                try:
                    return await handle(request)
                except RequestRefused as e:
                    headers = {"Retry-After": "1"} if e.status == 503 else None
                    return JSONResponse(shown(e, request), e.status, headers)
                except ClientDisconnect:  # gone before its body arrived: nobody to answer
                    return JSONResponse(shown(RequestRefused(400, INCOMPLETE), request), 400)
                except Exception:  # logged for the server's owner; the caller gets a sentence
                    log.exception("answering %s failed", request.url.path)
                    return JSONResponse(shown(RequestRefused(500, FAILED), request), 500)
            return refusing
    return RefusingRoute
