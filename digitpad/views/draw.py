"""The Draw tab: the answer and its ten bars, what the network sees, the digit buttons to
correct it."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image

from digitpad.i18n import ENGLISH, percent, translate
from digitpad.reading import Reading
from digitpad.views.common import enlarge

NOTHING_DRAWN = "answer.nothing_drawn"  # what the answer panel says before there is anything
# Thresholds on the top probability, chosen with bench/confidence.py (figures in docs/model.md):
# at or above SURE the digit is named; below it the answer is worded as a guess; below
# LOOKS_LIKE_NOTHING the drawing is said to look like no digit much.
SURE = 0.6
LOOKS_LIKE_NOTHING = 0.45
SAVED_AS = translate("answer.saved_as")  # in English, for the tests that find it


def seen_html(digit: np.ndarray | None, lang: str = ENGLISH) -> str:
    """What the network sees: the 28x28 digit as an inline PNG of a few hundred bytes, enlarged
    by the page with square pixels; inline, it costs no file written and fetched per stroke."""
    caption = html.escape(translate("answer.seen", lang))
    if digit is None:
        return f'<div class="dp-seen dp-seen-empty">{caption}</div>'
    png = io.BytesIO()
    Image.fromarray(enlarge(digit, 1)).save(png, "PNG")
    source = base64.b64encode(png.getvalue()).decode("ascii")
    return (f'<figure class="dp-seen"><img src="data:image/png;base64,{source}" width="28" '
            f'height="28" alt="{html.escape(translate("answer.seen_alt", lang))}">'
            f'<figcaption>{caption}</figcaption></figure>')


def certainty(reading: Reading) -> str:
    """"sure", "guess" or "nothing": how the page words this reading (SURE, LOOKS_LIKE_NOTHING)."""
    top = reading.probabilities[reading.best]
    return "sure" if top >= SURE else "guess" if top >= LOOKS_LIKE_NOTHING else "nothing"


def verdict(reading: Reading, lang: str = ENGLISH) -> str:
    """One line in plain words: the answer; or, unsure, two guesses; or that it looks like no
    digit much."""
    named = "answer.named_an" if reading.best == 8 else "answer.named"
    key = {"sure": named, "guess": "answer.guess",
           "nothing": "answer.nothing_much"}[certainty(reading)]
    return translate(key, lang, digit=reading.best, runner_up=reading.runner_up,
                     percent=percent(float(reading.probabilities[reading.best]), lang))


def spoken(reading: Reading, lang: str = ENGLISH) -> str:
    """What a screen reader announces once per new answer: the answer, not the bars."""
    key = {"sure": "answer.said", "guess": "answer.said_guess",
           "nothing": "answer.said_nothing"}[certainty(reading)]
    return translate(key, lang, digit=reading.best, runner_up=reading.runner_up,
                     percent=round(100 * float(reading.probabilities[reading.best])))


def result_html(reading: Reading | None, message: str | None = None,
                lang: str = ENGLISH) -> str:
    """The big answer and ten bars, 0 to 9 in order, winner highlighted; calm when empty. The
    big digit only when the network is sure of it. data-say: what a screen reader announces
    (the page's live region, pad.js). message: a sentence already in lang."""
    if reading is None:
        message = message or translate(NOTHING_DRAWN, lang)
        return (f'<div class="dp-result dp-empty" tabindex="-1" data-say="{html.escape(message)}">'
                f'<div class="dp-digit" aria-hidden="true">?</div>'
                f'<div class="dp-verdict">{html.escape(message)}</div>'
                f'<div class="dp-bars" aria-hidden="true">{bars(np.zeros(10), None, lang)}</div>'
                '</div>')
    kind = certainty(reading)
    digit = (f'<div class="dp-digit" aria-hidden="true">{reading.best}</div>' if kind == "sure"
             else "")
    return (f'<div class="dp-result dp-{kind}" tabindex="-1" data-best="{reading.best}" '
            f'data-say="{html.escape(spoken(reading, lang))}">{digit}'
            f'<div class="dp-verdict">{html.escape(verdict(reading, lang))}</div>'
            f'<div class="dp-bars">{bars(reading.probabilities, reading.best, lang)}</div></div>')


def answer_panels(reading: Reading | str, correctable: bool,
                  lang: str = ENGLISH) -> dict[str, str]:
    """The Draw tab's answer as HTML by panel ("result", "seen", "correct"): for a reading, or a
    plain sentence (already in lang) when there is none; digit buttons only under a correctable
    reading."""
    if isinstance(reading, str):
        return {"result": result_html(None, reading, lang), "seen": seen_html(None, lang),
                "correct": correction_html(None)}
    return {"result": result_html(reading, lang=lang), "seen": seen_html(reading.digit, lang),
            "correct": correction_html(reading.best if correctable else None, lang=lang)}


def bars(probabilities: np.ndarray, best: int | None, lang: str = ENGLISH) -> str:
    """Ten vertical bars with their percentage above and the digit below, 0 to 9 left to right
    in every language (app.css)."""
    cells = []
    for digit, p in enumerate(probabilities):
        winner = " dp-winner" if digit == best else ""
        label = percent(float(p), lang) if best is not None else ""
        cells.append(f'<div class="dp-bar{winner}" data-digit="{digit}" data-p="{p:.4f}">'
                     f'<span class="dp-pct">{label}</span>'
                     f'<span class="dp-fill" style="height:{100 * p:.1f}%"></span>'
                     f'<span class="dp-label">{digit}</span></div>')
    return "".join(cells)


def correction_html(read: int | None, note: str = "", quiet: bool = False,
                    saved: int | None = None, lang: str = ENGLISH) -> str:
    """Ten digit buttons under the answer, the one read marked as right; quiet (greyed) once
    saved, with what was saved and an undo button that goes after UNDO_SECONDS (app.css; the
    store refuses a later undo); nothing at all when there is no answer to correct. note: a
    sentence already in lang."""
    if read is None:
        return f'<div class="dp-correct">{html.escape(note)}</div>' if note else ""
    names = {d: translate("answer.it_was_right" if d == read else "answer.it_was", lang, digit=d)
             for d in range(10)}
    buttons = "".join(
        f'<button type="button" class="dp-fix{" dp-right" if d == read else ""}" '
        f'data-digit="{d}" aria-label="{html.escape(names[d])}"'
        f'{" disabled" if quiet else ""}>{d}</button>' for d in range(10))
    ask = note or translate("answer.ask", lang, digit=read)
    if saved is not None:
        ask = (f'{html.escape(translate("answer.saved_as", lang, digit=saved))} <button '
               f'type="button" class="dp-undo-save" data-undo="1">'
               f'{html.escape(translate("answer.undo", lang))}</button>')
    else:
        ask = html.escape(ask)
    return (f'<div class="dp-correct{" dp-quiet" if quiet else ""}" data-read="{read}">'
            f'<div class="dp-ask" role="status">{ask}</div>'
            f'<div class="dp-fixes">{buttons}</div></div>')
