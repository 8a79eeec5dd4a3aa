"""The plain HTTP API on the app's own port: POST /api/predict reads an image file or the pad's
strokes in one request, without Gradio's upload, queue and event stream."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import anyio
import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute

from digitpad.preprocess import BadImage, NoInk
from digitpad.reading import Reader, Reading, read_digit, read_drawing
from digitpad.strokes import BadStrokes

MAX_BODY = 10 * 1024 * 1024  # bytes: the app's upload limit, for the page's uploads too
READERS = 2  # readings at once, one per core: each is ~3 ms of CPU
MAX_PENDING = 32  # requests admitted at once (reading their body, waiting or reading the digit)
UNKNOWN_MODEL = "No model with that id on this server."
TOO_LARGE = f"The body is larger than {MAX_BODY // 2**20} MB: send a smaller image."
EMPTY = "The body is empty: send an image file or JSON strokes."
WRONG_TYPE = ("Send an image file (Content-Type: image/png, image/jpeg, image/webp, ...) or "
              'JSON strokes (Content-Type: application/json) as {"strokes": [[[x, y], ...]]}.')
NOT_JSON = "The body is not valid JSON."
NOT_DRAWING = 'Send JSON of the form {"strokes": [[[x, y], ...], ...]} in canvas pixels.'
BUSY = "The server is busy: try again in a moment."
FAILED = "The server could not read this. Try again, or send another image."
log = logging.getLogger(__name__)


class Answer(BaseModel):
    """What the model read: the likeliest digit, its probability, and all ten."""

    digit: int
    confidence: float
    probabilities: list[float]


class Problem(BaseModel):
    """Why the request was refused, in a plain sentence."""

    error: str


class Drawing(BaseModel):
    """The pad's strokes, each a list of [x, y] points on its 400x400 canvas."""

    strokes: list[list[tuple[float, float]]]


class Refused(Exception):
    """A request answered with an HTTP error status and a plain sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


BINARY = {"schema": {"type": "string", "format": "binary"}}
REQUEST_BODY = {"requestBody": {"required": True, "content": {
    **{f"image/{kind}": BINARY for kind in ("png", "jpeg", "webp", "gif", "bmp", "tiff")},
    "application/json": {"schema": Drawing.model_json_schema()}}}}
REFUSALS = {status: {"model": Problem, "description": why} for status, why in (
    (400, "no digit, not an image, bad JSON or bad strokes"), (404, UNKNOWN_MODEL),
    (413, TOO_LARGE), (415, "neither an image nor JSON"), (503, BUSY))}


def body_kind(content_type: str) -> str:
    """ "image" or "json" from the Content-Type header; Refused (415) for anything else."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        return "json"
    if media.startswith("image/"):
        return "image"
    raise Refused(415, WRONG_TYPE)


async def read_body(request: Request) -> bytes:
    """The whole body, refused (413) as soon as it is known to pass MAX_BODY: from its declared
    length before a byte is read, or while a chunked body streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, TOO_LARGE)
    if not body:
        raise Refused(400, EMPTY)
    return bytes(body)


def strokes_of(body: bytes) -> object:
    """The "strokes" of a JSON body, unchecked (read_drawing checks them)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as e:  # bad JSON, bad UTF-8, or nested too deep
        raise Refused(400, NOT_JSON) from e
    if not isinstance(value, dict) or "strokes" not in value:
        raise Refused(400, NOT_DRAWING)
    return value["strokes"]


def read(kind: str, body: bytes, predict: Callable[[np.ndarray], np.ndarray]) -> Reading:
    """The digit in an image file's bytes or in the pad's strokes; Refused (400) if none."""
    try:
        if kind == "json":
            return read_drawing(strokes_of(body), predict)
        return read_digit(io.BytesIO(body), predict)
    except (NoInk, BadImage, BadStrokes) as e:
        raise Refused(400, str(e)) from e


def answer(reading: Reading) -> dict:
    """The JSON answer, its probabilities rounded as /predict rounds them."""
    probabilities = [round(float(p), 6) for p in reading.probabilities]
    return {"digit": reading.best, "confidence": probabilities[reading.best],
            "probabilities": probabilities}


def routes(models: dict[str, Reader]) -> list[BaseRoute]:
    """The API's routes, reading with models (by id, "shipped" among them), for the app's
    FastAPI app: Gradio's own routes live under /gradio_api/, so none shadows these."""
    router = APIRouter()
    admitted = anyio.Semaphore(MAX_PENDING)
    readers = anyio.CapacityLimiter(READERS)

    @router.post("/api/predict", response_model=Answer, responses=REFUSALS,
                 openapi_extra=REQUEST_BODY, summary="Read one handwritten digit")
    async def predict(request: Request, model: str = "shipped") -> JSONResponse:
        """The body: an image file (PNG, JPEG, WebP, GIF, ...) of one digit, or JSON
        {"strokes": [[[x, y], ...], ...]} in the 400x400 pad's canvas pixels. model: the
        shipped model, or the id of a model trained in a session on this server."""
        try:
            kind = body_kind(request.headers.get("content-type", ""))
            reader = models.get(model)
            if reader is None:
                raise Refused(404, UNKNOWN_MODEL)
            if admitted.value == 0:  # a flood is refused, not queued without end
                raise Refused(503, BUSY)
            async with admitted:
                body = await read_body(request)
                reading = await anyio.to_thread.run_sync(read, kind, body, reader.predict,
                                                         limiter=readers)
        except Refused as e:
            headers = {"Retry-After": "1"} if e.status == 503 else None
            return JSONResponse({"error": e.message}, e.status, headers)
        except ClientDisconnect:  # gone before its body arrived: nobody to answer
            return JSONResponse({"error": "The body did not arrive whole."}, 400)
        except Exception:  # logged for the server's owner; the caller gets a plain sentence
            log.exception("reading a digit failed")
            return JSONResponse({"error": FAILED}, 500)
        return JSONResponse(answer(reading))

    return router.routes
