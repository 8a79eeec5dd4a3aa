"""The page's HTML, from a real Gradio server, starts with the script that tells Gradio the
language the server speaks for the request: the menu's ?lang=, else the browser's."""

from __future__ import annotations

import re
from collections.abc import Iterator

import gradio as gr
import httpx
import pytest
from starlette.middleware import Middleware

from deploy.processes import free_port
from digitpad.gradio_locale import GradioLocale

GERMAN_BROWSER = {"accept-language": "de-DE,de;q=0.9,en;q=0.8"}


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    """A one-label Gradio page behind GradioLocale."""
    with gr.Blocks() as demo:
        gr.Textbox(label="Name")
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                quiet=True, app_kwargs={"middleware": [Middleware(GradioLocale)]})
    try:
        yield demo.local_url
    finally:
        demo.close()


def first_script_language(answer: httpx.Response) -> str | None:
    """The data-lang of the script that opens the page's <head>, if one does."""
    found = re.search(r'<head>\s*<script data-lang="([^"]+)">', answer.text)
    return found.group(1) if found else None


@pytest.mark.parametrize(("address", "lang"), [("", "de"), ("?lang=es", "es"),
                                               ("?lang=ar", "ar"), ("?lang=xx", "de")])
def test_the_page_tells_gradio_the_requests_language(page_url, address, lang):
    answer = httpx.get(page_url + address, headers=GERMAN_BROWSER)
    assert answer.status_code == 200
    assert first_script_language(answer) == lang
    assert int(answer.headers["content-length"]) == len(answer.content)


def test_only_the_page_is_changed(page_url):
    config = httpx.get(page_url + "config", headers=GERMAN_BROWSER)
    assert config.status_code == 200 and "data-lang" not in config.text
    assert httpx.head(page_url).status_code == 200
