"""The plain HTTP API on the app's own port: POST /api/predict reads an image file or the pad's
strokes in one request, without Gradio's upload, queue and event stream; POST /api/correct
keeps a corrected drawing for the class; POST /api/pad answers the Draw tab's pad.

Every route is admitted by one dependency, limits.admitted (a bound on requests at once, the
body read within the upload limit); a JSON body is checked by the pydantic model that
/openapi.json shows for it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, ClassVar, TypeVar

import anyio
import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from digitpad.classdata import NOT_A_DIGIT, TOO_FAST, UNREACHABLE, ClassData, NotSaved, Unreachable
from digitpad.gradio_locale import request_language
from digitpad.i18n import ENGLISH, translate
from digitpad.limits import (
    BUSY,
    MAX_PENDING,
    READERS,
    TOO_LARGE,
    Admission,
    RequestRefused,
    refusing_as,
)
from digitpad.preprocess import BadImage, NoInk
from digitpad.reading import Reader, Reading, read_digit, read_drawing, reading_or_why, said
from digitpad.strokes import BadStrokes, pad_strokes
from digitpad.views.draw import answer_panels
from digitpad.views.network import network_json, unit_html

UNKNOWN_MODEL = "No model with that id on this server."
GONE_MODEL = translate("problem.model_gone")
WRONG_TYPE = ("Send an image file (Content-Type: image/png, image/jpeg, image/webp, ...) or "
              'JSON strokes (Content-Type: application/json) as {"strokes": [[[x, y], ...]]}.')
NOT_JSON = "The body is not valid JSON."
NOT_DRAWING = 'Send JSON of the form {"strokes": [[[x, y], ...], ...]} in canvas pixels.'
NO_CLASS = "This server does not collect drawings."


def checked_strokes(value: Any) -> Any:
    """The pad's own checks before the schema's, so a bad drawing gets their plain sentence."""
    pad_strokes(value)
    return value


Point = Annotated[list[float], Field(min_length=2, max_length=2)]
PadStrokes = Annotated[list[list[Point]] | None, BeforeValidator(checked_strokes)]


class StrokesBody(BaseModel):
    """The pad's strokes, each a list of [x, y] points on its 400x400 canvas."""

    strokes: PadStrokes
    shape: ClassVar[str] = NOT_DRAWING
    problems: ClassVar[dict[str, str]] = {}


class Correction(BaseModel):
    """The pad's strokes and the digit they really are; session: any name for the program, only
    to count its drawings (and limit how fast it saves)."""

    strokes: PadStrokes
    label: Annotated[int, Field(strict=True, ge=0, le=9)]
    session: Annotated[str, Field(strict=True, min_length=1, max_length=100)] = "api"
    shape: ClassVar[str] = 'Send JSON of the form {"strokes": [[[x, y], ...], ...], "label": 7}.'
    problems: ClassVar[dict[str, str]] = {
        "label": NOT_A_DIGIT, "session": "session is a name of 1 to 100 characters."}


class UnitBody(BaseModel):
    """A unit of the network in use: its layer (1 is the first after the input) and index."""

    layer: Annotated[int, Field(strict=True, ge=1, le=64)]
    unit: Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
    shape: ClassVar[str] = 'Send JSON of the form {"layer": 1, "unit": 37}.'
    problems: ClassVar[dict[str, str]] = {}


class Answer(BaseModel):
    """What the model read: the likeliest digit, its probability, and all ten."""

    digit: int
    confidence: float
    probabilities: list[float]


class Problem(BaseModel):
    """Why the request was refused, in a plain sentence."""

    error: str


class Saved(BaseModel):
    """The saved drawing's id, as `python -m digitpad.classdata list` shows it."""

    id: int


Body = TypeVar("Body", StrokesBody, Correction, UnitBody)


def parsed(model: type[Body], body: bytes) -> Body:
    """The JSON body validated by model; a bad drawing raises the pad's BadStrokes, anything
    else RequestRefused (400) with the model's sentence for it."""
    try:
        return model.model_validate_json(body)
    except ValidationError as e:
        error = e.errors()[0]
        if isinstance(error.get("ctx", {}).get("error"), BadStrokes):
            raise error["ctx"]["error"] from None
        if error["type"] == "json_invalid":  # bad JSON, bad UTF-8, or nested too deep
            raise RequestRefused(400, NOT_JSON) from e
        field = error["loc"][0] if error["loc"] and error["type"] != "missing" else None
        raise RequestRefused(400, model.problems.get(field, model.shape)) from e


def lifespan(models: dict[str, Reader], classdata: ClassData | None) -> Callable:
    """The app's lifespan: every request's state holds the models (by id, "shipped" among them),
    the class's drawings (None: not collected) and the API's bounds, made in the server's loop."""

    @asynccontextmanager
    async def serving(app: Any) -> AsyncIterator[dict[str, Any]]:
        yield {"models": models, "classdata": classdata,
               "admitted": anyio.Semaphore(MAX_PENDING), "readers": anyio.CapacityLimiter(READERS)}
    return serving


def body_kind(request: Request) -> str:
    """ "image" or "json" from the Content-Type header; RequestRefused (415) for anything else."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json":
        return "json"
    if media.startswith("image/"):
        return "image"
    raise RequestRefused(415, WRONG_TYPE)


def json_kind(kind: Annotated[str, Depends(body_kind)]) -> None:
    """Only JSON: RequestRefused (415) for an image."""
    if kind != "json":
        raise RequestRefused(415, WRONG_TYPE)


ModelId = Annotated[str, Query(description="the shipped model, or the id of a model trained in "
                                         "a session on this server")]


def model_reader(request: Request, model: ModelId = "shipped") -> Reader:
    """The model to read with; RequestRefused (404) for an id this server does not hold."""
    reader = request.state.models.get(model)
    if reader is None:
        raise RequestRefused(404, UNKNOWN_MODEL)
    return reader


def class_drawings(request: Request) -> ClassData:
    """The class's drawings; RequestRefused (404) when this server collects none."""
    if request.state.classdata is None:
        raise RequestRefused(404, NO_CLASS)
    return request.state.classdata


Kind = Annotated[str, Depends(body_kind)]
ModelReader = Annotated[Reader, Depends(model_reader)]


def problem(refused: RequestRefused, request: Request) -> dict[str, str]:
    """A refusal as the API's JSON, in English."""
    return {"error": refused.message}


def pad_refusal(refused: RequestRefused, request: Request) -> dict[str, str]:
    """A refusal as the pad shows it: its sentence in the answer panels in the page's language
    (its "error" stays English); a model gone from the server says how to go back."""
    message = GONE_MODEL if refused.status == 404 else refused.message
    lang = request_language(request)
    return {**answer_panels(said(message, lang), correctable=False, lang=lang), "error": message}


def read_strokes(body: bytes, predict: Callable[[np.ndarray], np.ndarray]) -> Reading:
    return read_drawing(parsed(StrokesBody, body).strokes, predict)


def read_pad_strokes(body: bytes, reader: Reader) -> Reading:
    """The digit in a JSON body of the pad's strokes, read layer by layer."""
    return reader.read_layers(parsed(StrokesBody, body).strokes)


def read(kind: str, body: bytes, predict: Callable[[np.ndarray], np.ndarray]) -> dict:
    """The answer for an image file's bytes or the pad's strokes; RequestRefused (400) if none,
    its probabilities rounded as /predict rounds them."""
    try:
        reading = (read_strokes(body, predict) if kind == "json"
                   else read_digit(io.BytesIO(body), predict))
    except (NoInk, BadImage, BadStrokes) as e:
        raise RequestRefused(400, str(e)) from e
    probabilities = [round(float(p), 6) for p in reading.probabilities]
    return {"digit": reading.best, "confidence": probabilities[reading.best],
            "probabilities": probabilities}


def pad_answer(kind: str, body: bytes, reader: Reader, correctable: bool,
               lang: str = ENGLISH) -> dict:
    """The Draw tab's panels for the pad's JSON strokes, in lang, and the network's view from
    the same pass; a drawing with no digit gets its plain sentence in them."""
    if kind != "json":
        raise RequestRefused(415, NOT_DRAWING)
    reading = reading_or_why(read_pad_strokes, body, reader, lang)
    panels = answer_panels(reading, correctable, lang)
    if isinstance(reading, Reading):
        panels["network"] = network_json(reading, reader.weights, lang)
    return panels


def unit_answer(body: bytes, reader: Reader, lang: str = ENGLISH) -> dict[str, str]:
    """What a tapped unit looks for, as HTML in lang; RequestRefused (400) for a unit the
    network in use does not have."""
    unit = parsed(UnitBody, body)
    if unit.layer > len(reader.weights) or unit.unit >= len(reader.weights[unit.layer - 1][1]):
        raise RequestRefused(400, translate("problem.no_unit"))
    return {"html": unit_html(reader, unit.layer, unit.unit, lang)}


def correct(classdata: ClassData, reader: Reader, body: bytes) -> dict[str, int | None]:
    """Save a corrected drawing as the Draw tab's buttons do; its id. RequestRefused (400/429)."""
    try:
        correction = parsed(Correction, body)
        session = "api:" + correction.session
        strokes = pad_strokes(correction.strokes)
        reading = read_drawing(correction.strokes, reader.predict)
        classdata.save(session, strokes, correction.label, reading, reader.name)
    except (NoInk, BadStrokes) as e:
        raise RequestRefused(400, str(e)) from e
    except NotSaved as e:
        status = {TOO_FAST: 429, UNREACHABLE: 503}.get(str(e), 400)
        raise RequestRefused(status, str(e)) from e
    try:
        return {"id": classdata.id_of(session, strokes)}
    except Unreachable as e:  # saved, but its id cannot be read back now
        raise RequestRefused(503, UNREACHABLE) from e


BINARY = {"schema": {"type": "string", "format": "binary"}}
IMAGE_OR_STROKES = {"requestBody": {"required": True, "content": {
    **{f"image/{kind}": BINARY for kind in ("png", "jpeg", "webp", "gif", "bmp", "tiff")},
    "application/json": {"schema": StrokesBody.model_json_schema()}}}}
CORRECTION = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": Correction.model_json_schema()}}}}
REFUSALS = {status: {"model": Problem, "description": why} for status, why in (
    (400, "no digit, not an image, bad JSON or bad strokes"), (404, UNKNOWN_MODEL),
    (413, TOO_LARGE), (415, "neither an image nor JSON"), (503, BUSY))}
# Gradio's own routes live under /gradio_api/, so none shadows these
router = APIRouter(route_class=refusing_as(problem))
pad_router = APIRouter(route_class=refusing_as(pad_refusal))


@router.post("/api/predict", response_model=Answer, responses=REFUSALS,
             openapi_extra=IMAGE_OR_STROKES, summary="Read one handwritten digit")
async def predict(kind: Kind, reader: ModelReader, admission: Admission) -> dict:
    """The body: an image file (PNG, JPEG, WebP, GIF, ...) of one digit, or JSON
    {"strokes": [[[x, y], ...], ...]} in the 400x400 pad's canvas pixels."""
    return await admission.run(read, kind, admission.body, reader.predict)


@pad_router.post("/api/pad", include_in_schema=False)
async def pad(request: Request, kind: Kind, reader: ModelReader,
              admission: Admission) -> dict:
    """The Draw tab's pad: its strokes in, the answer's panels out as HTML in the page's
    language, without Gradio's event path (where a stroke cost 1.6 times the CPU)."""
    correctable = request.state.classdata is not None
    return await admission.run(pad_answer, kind, admission.body, reader, correctable,
                               request_language(request))


@router.post("/api/unit", include_in_schema=False, dependencies=[Depends(json_kind)])
async def unit(request: Request, reader: ModelReader, admission: Admission) -> dict:
    """The Draw tab's view of the network: a tapped unit's weights and favourite digits."""
    return await admission.run(unit_answer, admission.body, reader, request_language(request))


@router.post("/api/correct", response_model=Saved, summary="Save a corrected drawing",
             responses={**REFUSALS, 429: {"model": Problem, "description": TOO_FAST}},
             openapi_extra=CORRECTION,
             dependencies=[Depends(class_drawings), Depends(json_kind)])
async def save(request: Request, classdata: Annotated[ClassData, Depends(class_drawings)],
               admission: Admission) -> dict:
    """The body: JSON {"strokes": [[[x, y], ...], ...], "label": 7}, the pad's strokes and
    the digit they really are; kept for the class as the Draw tab's buttons keep them."""
    shipped = request.state.models["shipped"]
    return await admission.run(correct, classdata, shipped, admission.body)


routes = router.routes + pad_router.routes
