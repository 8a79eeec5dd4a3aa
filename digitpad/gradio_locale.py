"""Gradio's own words in the session's language: its component labels (gr.I18n) and built-in
text ("Drop image here", its settings). Gradio's page picks their language from the browser's
(navigator.language) once, as it starts, before launch's head or any script of the app runs, and
offers no other way in; so GradioLocale starts the page's <head> with a script that makes
navigator.language the language the server speaks for this request (?lang=, else the browser's).
"""

from __future__ import annotations

import gradio as gr
from starlette.requests import Request

from digitpad.i18n import CATALOGUES, ENGLISH, pick
from digitpad.limits import ASGIApp, Message, Receive, Scope, Send
from digitpad.ui import ASSETS

SCRIPT = (ASSETS / "gradio_locale.js").read_text()
HEAD = b"<head>"


def first_script(lang: str) -> bytes:
    """The script that tells Gradio the page's language (a code of LANGUAGES), for the top of
    <head>."""
    return f'<script data-lang="{lang}">{SCRIPT}</script>'.encode()


class GradioLocale:
    """ASGI middleware on the page itself (GET /): its HTML with first_script at the top of
    <head>, in the language pick() chooses from ?lang= and Accept-Language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        script = first_script(pick(request.query_params.get("lang"),
                                   request.headers.get("accept-language")))
        start: Message = {}
        body = bytearray()

        async def with_script(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            page = bytes(body).replace(HEAD, HEAD + script, 1)
            headers = [(name, value) for name, value in start["headers"]
                       if name.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length",
                                                       str(len(page)).encode())]})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, with_script)


def request_language(request: gr.Request | None) -> str:
    """The language of a Gradio request: ?lang= on the page's address, else Accept-Language."""
    if request is None:
        return ENGLISH
    return pick(request.query_params.get("lang"), request.headers.get("accept-language"))


def gradio_i18n() -> gr.I18n:
    """The catalogues for Gradio's own translation of component labels (gr.I18n)."""
    return gr.I18n(**CATALOGUES)


def label(key: str) -> gr.i18n.I18nData:
    """A component label Gradio translates in the browser."""
    return gr.i18n.I18nData(key)
