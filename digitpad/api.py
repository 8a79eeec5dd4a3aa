"""The plain HTTP API on the app's own port: POST /api/predict reads an image file or the pad's
strokes in one request, without Gradio's upload, queue and event stream; POST /api/correct
keeps a corrected drawing for the class; POST /api/pad answers the Draw tab's pad."""

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

from digitpad.classdata import TOO_FAST, ClassData, NotSaved
from digitpad.preprocess import BadImage, NoInk
from digitpad.reading import Reader, Reading, read_digit, read_drawing, reading_or_why
from digitpad.strokes import BadStrokes, pad_strokes
from digitpad.views.draw import answer_panels

MAX_BODY = 10 * 1024 * 1024  # bytes: the app's upload limit, for the page's uploads too
READERS = 2  # readings at once, one per core: each is ~3 ms of CPU
MAX_PENDING = 32  # requests admitted at once (reading their body, waiting or reading the digit)
UNKNOWN_MODEL = "No model with that id on this server."
GONE_MODEL = ("Your run's model is no longer on the server (the server restarted, or the session "
              "ended): press Back to the shipped model.")
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


def pad_answer(kind: str, body: bytes, predict: Callable[[np.ndarray], np.ndarray],
               correctable: bool) -> dict[str, str]:
    """The Draw tab's panels for the pad's JSON strokes; a drawing with no digit gets its plain
    sentence in them, as on the page."""
    if kind != "json":
        raise Refused(415, NOT_DRAWING)
    return answer_panels(reading_or_why(read_drawing, strokes_of(body), predict), correctable)


def problem(refused: Refused) -> dict[str, str]:
    """A refusal as the API's JSON."""
    return {"error": refused.message}


def pad_refusal(refused: Refused) -> dict[str, str]:
    """A refusal as the pad shows it: its sentence in the answer panels; a session's model
    gone from the server says how to go back to the shipped one."""
    message = GONE_MODEL if refused.status == 404 else refused.message
    return {**answer_panels(message, correctable=False), "error": message}


def answer(reading: Reading) -> dict:
    """The JSON answer, its probabilities rounded as /predict rounds them."""
    probabilities = [round(float(p), 6) for p in reading.probabilities]
    return {"digit": reading.best, "confidence": probabilities[reading.best],
            "probabilities": probabilities}


class Correction(BaseModel):
    """The pad's strokes and the digit they really are; session: any name for the program, only
    to count its drawings (and limit how fast it saves)."""

    strokes: list[list[tuple[float, float]]]
    label: int
    session: str = "api"


class Saved(BaseModel):
    """The saved drawing's id, as `python -m digitpad.classdata list` shows it."""

    id: int


def correct(classdata: ClassData, reader: Reader, body: bytes) -> int:
    """Save a corrected drawing as the Draw tab's buttons do; its id. Refused (400/429)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise Refused(400, NOT_JSON) from e
    if not isinstance(value, dict) or not {"strokes", "label"} <= value.keys():
        raise Refused(400, 'Send JSON of the form {"strokes": [[[x, y], ...], ...], "label": 7}.')
    session = value.get("session", "api")
    if not isinstance(session, str) or not 0 < len(session) <= 100:
        raise Refused(400, "session is a name of 1 to 100 characters.")
    try:
        strokes = pad_strokes(value["strokes"])
        reading = read_drawing(value["strokes"], reader.predict)
        classdata.save("api:" + session, strokes, value["label"], reading, reader.name)
    except (NoInk, BadStrokes) as e:
        raise Refused(400, str(e)) from e
    except NotSaved as e:
        raise Refused(429 if str(e) == TOO_FAST else 400, str(e)) from e
    return classdata.id_of("api:" + session, strokes)


def routes(models: dict[str, Reader], classdata: ClassData | None) -> list[BaseRoute]:
    """The API's routes, reading with models (by id, "shipped" among them), for the app's
    FastAPI app: Gradio's own routes live under /gradio_api/, so none shadows these."""
    router = APIRouter()
    admitted = anyio.Semaphore(MAX_PENDING)
    readers = anyio.CapacityLimiter(READERS)

    async def admitted_answer(request: Request, model: str,
                              respond: Callable[[str, bytes, Reader], dict],
                              refusal: Callable[[Refused], dict] = problem) -> JSONResponse:
        """respond(body kind, body, reader) run on a reading thread, within the API's bounds;
        a refusal as JSON refusal(it) with its status."""
        try:
            kind = body_kind(request.headers.get("content-type", ""))
            reader = models.get(model)
            if reader is None:
                raise Refused(404, UNKNOWN_MODEL)
            if admitted.value == 0:  # a flood is refused, not queued without end
                raise Refused(503, BUSY)
            async with admitted:
                body = await read_body(request)
                answered = await anyio.to_thread.run_sync(respond, kind, body, reader,
                                                          limiter=readers)
        except Refused as e:
            headers = {"Retry-After": "1"} if e.status == 503 else None
            return JSONResponse(refusal(e), e.status, headers)
        except ClientDisconnect:  # gone before its body arrived: nobody to answer
            return JSONResponse(refusal(Refused(400, "The body did not arrive whole.")), 400)
        except Exception:  # logged for the server's owner; the caller gets a plain sentence
            log.exception("reading a digit failed")
            return JSONResponse(refusal(Refused(500, FAILED)), 500)
        return JSONResponse(answered)

    @router.post("/api/predict", response_model=Answer, responses=REFUSALS,
                 openapi_extra=REQUEST_BODY, summary="Read one handwritten digit")
    async def predict(request: Request, model: str = "shipped") -> JSONResponse:
        """The body: an image file (PNG, JPEG, WebP, GIF, ...) of one digit, or JSON
        {"strokes": [[[x, y], ...], ...]} in the 400x400 pad's canvas pixels. model: the
        shipped model, or the id of a model trained in a session on this server."""
        return await admitted_answer(
            request, model, lambda kind, body, reader: answer(read(kind, body, reader.predict)))

    @router.post("/api/pad", include_in_schema=False)
    async def pad(request: Request, model: str = "shipped") -> JSONResponse:
        """The Draw tab's pad: its strokes in, the answer's panels out as HTML, rendered as an
        upload's are, without Gradio's event path (where a stroke cost 1.6 times the CPU)."""
        return await admitted_answer(request, model, lambda kind, body, reader: pad_answer(
            kind, body, reader.predict, correctable=classdata is not None), pad_refusal)

    @router.post("/api/correct", response_model=Saved, summary="Save a corrected drawing",
                 responses={**REFUSALS, 429: {"model": Problem, "description": TOO_FAST}},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": Correction.model_json_schema()}}}})
    async def save(request: Request) -> JSONResponse:
        """The body: JSON {"strokes": [[[x, y], ...], ...], "label": 7}, the pad's strokes and
        the digit they really are; kept for the class as the Draw tab's buttons keep them."""
        try:
            if classdata is None:
                raise Refused(404, "This server does not collect drawings.")
            if body_kind(request.headers.get("content-type", "")) != "json":
                raise Refused(415, WRONG_TYPE)
            async with admitted:
                body = await read_body(request)
                saved = await anyio.to_thread.run_sync(correct, classdata, models["shipped"],
                                                       body, limiter=readers)
        except Refused as e:
            return JSONResponse({"error": e.message}, e.status)
        except ClientDisconnect:
            return JSONResponse({"error": "The body did not arrive whole."}, 400)
        return JSONResponse({"id": saved})

    return router.routes
