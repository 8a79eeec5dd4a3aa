"""The language menu, top right: the page in the student's language, chosen from the browser's
languages or from the menu (?lang= on the page's address, for the session). Choosing reloads the
page with ?lang=: the app's words follow it, and so do Gradio's own (its gr.I18n labels and
built-in text), which digitpad.gradio_locale tells Gradio before the page starts."""

from __future__ import annotations

import html
import json

import gradio as gr

from digitpad.gradio_locale import request_language
from digitpad.i18n import LANGUAGES, RIGHT_TO_LEFT, translate
from digitpad.sessions import Lab
from digitpad.ui import ASSETS

LANGUAGE_JS = (ASSETS / "language.js").read_text()


def speaking(lab: Lab, request: gr.Request | None) -> str:
    """The language of this request (the menu's ?lang=, else the browser's), kept as the
    session's, for whatever the event's answer says."""
    lab.lang = request_language(request)
    return lab.lang


def language_menu() -> gr.HTML:
    """A menu of the languages, each named in itself; its value is the session's language, set
    when the page loads (language.js applies it to the whole page)."""
    options = "".join(f'<option value="{code}" lang="{code}">{html.escape(name)}</option>'
                      for code, name in LANGUAGES.items())
    names = json.dumps({code: translate("page.language", code) for code in LANGUAGES})
    template = (f'<label class="dp-language"><span class="dp-sr-only" '
                f'data-names="{html.escape(names, quote=True)}">{translate("page.language")}'
                f'</span><select data-rtl="{" ".join(sorted(RIGHT_TO_LEFT))}">{options}</select>'
                '</label>')
    return gr.HTML("", html_template=template, js_on_load=LANGUAGE_JS, apply_default_css=False,
                   elem_id="language")
