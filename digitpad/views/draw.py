"""The Draw tab: the answer and its ten bars, what the network sees, the digit buttons to
correct it."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image

from digitpad.reading import Reading
from digitpad.views.common import enlarge

NOTHING_DRAWN = "Draw a digit"  # what the answer panel says before there is anything to read
# Thresholds on the top probability, chosen with bench/confidence.py (figures in docs/model.md):
# at or above SURE the digit is named; below it the answer is worded as a guess; below
# LOOKS_LIKE_NOTHING the drawing is said to look like no digit much.
SURE = 0.6
LOOKS_LIKE_NOTHING = 0.45
# what the page says, one sentence each
NAMED = "It's {article} {digit} ({percent} sure)"
GUESS = "Not sure: maybe {digit}, maybe {runner_up}"
NOTHING_MUCH = "This barely looks like any digit. Maybe {digit}, maybe {runner_up}?"
SAID = "Read as {digit}, {percent} percent sure."  # for a screen reader
SAID_GUESS = "Not sure: maybe {digit}, maybe {runner_up}."
SAID_NOTHING = "This barely looks like any digit."
ASK = "What did you draw? Tap it ({digit} if that is right):"
SAVED_AS = "Saved as {digit} —"
UNDO = "undo"


def seen_html(digit: np.ndarray | None) -> str:
    """What the network sees: the 28x28 digit as an inline PNG of a few hundred bytes, enlarged
    by the page with square pixels; inline, it costs no file written and fetched per stroke."""
    if digit is None:
        return '<div class="dp-seen dp-seen-empty">What the network sees (28x28)</div>'
    png = io.BytesIO()
    Image.fromarray(enlarge(digit, 1)).save(png, "PNG")
    source = base64.b64encode(png.getvalue()).decode("ascii")
    return (f'<figure class="dp-seen"><img src="data:image/png;base64,{source}" width="28" '
            f'height="28" alt="the 28x28 digit the network reads">'
            f'<figcaption>What the network sees (28x28)</figcaption></figure>')


def certainty(reading: Reading) -> str:
    """"sure", "guess" or "nothing": how the page words this reading (SURE, LOOKS_LIKE_NOTHING)."""
    top = reading.probabilities[reading.best]
    return "sure" if top >= SURE else "guess" if top >= LOOKS_LIKE_NOTHING else "nothing"


def verdict(reading: Reading) -> str:
    """One line in plain words: the answer; or, unsure, two guesses; or that it looks like no
    digit much."""
    words = {"sure": NAMED, "guess": GUESS, "nothing": NOTHING_MUCH}[certainty(reading)]
    return words.format(article="an" if reading.best == 8 else "a", digit=reading.best,
                        runner_up=reading.runner_up,
                        percent=f"{reading.probabilities[reading.best]:.0%}")


def spoken(reading: Reading) -> str:
    """What a screen reader announces once per new answer: the answer, not the bars."""
    words = {"sure": SAID, "guess": SAID_GUESS, "nothing": SAID_NOTHING}[certainty(reading)]
    return words.format(digit=reading.best, runner_up=reading.runner_up,
                        percent=round(100 * float(reading.probabilities[reading.best])))


def result_html(reading: Reading | None, message: str = NOTHING_DRAWN) -> str:
    """The big answer and ten bars, 0 to 9 in order, winner highlighted; calm when empty. The
    big digit only when the network is sure of it. data-say: what a screen reader announces
    (the page's live region, pad.js)."""
    if reading is None:
        return (f'<div class="dp-result dp-empty" tabindex="-1" data-say="{html.escape(message)}">'
                f'<div class="dp-digit" aria-hidden="true">?</div>'
                f'<div class="dp-verdict">{html.escape(message)}</div>'
                f'<div class="dp-bars" aria-hidden="true">{bars(np.zeros(10), None)}</div></div>')
    kind = certainty(reading)
    digit = (f'<div class="dp-digit" aria-hidden="true">{reading.best}</div>' if kind == "sure"
             else "")
    return (f'<div class="dp-result dp-{kind}" tabindex="-1" data-best="{reading.best}" '
            f'data-say="{html.escape(spoken(reading))}">{digit}'
            f'<div class="dp-verdict">{html.escape(verdict(reading))}</div>'
            f'<div class="dp-bars">{bars(reading.probabilities, reading.best)}</div></div>')


def answer_panels(reading: Reading | str, correctable: bool) -> dict[str, str]:
    """The Draw tab's answer as HTML by panel ("result", "seen", "correct"): for a reading, or a
    plain sentence when there is none; digit buttons only under a correctable reading."""
    if isinstance(reading, str):
        return {"result": result_html(None, reading), "seen": seen_html(None),
                "correct": correction_html(None)}
    return {"result": result_html(reading), "seen": seen_html(reading.digit),
            "correct": correction_html(reading.best if correctable else None)}


def bars(probabilities: np.ndarray, best: int | None) -> str:
    """Ten vertical bars with their percentage above and the digit below."""
    cells = []
    for digit, p in enumerate(probabilities):
        winner = " dp-winner" if digit == best else ""
        label = f"{p:.0%}" if best is not None else ""
        cells.append(f'<div class="dp-bar{winner}" data-digit="{digit}" data-p="{p:.4f}">'
                     f'<span class="dp-pct">{label}</span>'
                     f'<span class="dp-fill" style="height:{100 * p:.1f}%"></span>'
                     f'<span class="dp-label">{digit}</span></div>')
    return "".join(cells)


def correction_html(read: int | None, note: str = "", quiet: bool = False,
                    saved: int | None = None) -> str:
    """Ten digit buttons under the answer, the one read marked as right; quiet (greyed) once
    saved, with what was saved and an undo button that goes after UNDO_SECONDS (app.css; the
    store refuses a later undo); nothing at all when there is no answer to correct."""
    if read is None:
        return f'<div class="dp-correct">{html.escape(note)}</div>' if note else ""
    buttons = "".join(
        f'<button type="button" class="dp-fix{" dp-right" if d == read else ""}" '
        f'data-digit="{d}" aria-label="it was {d}{" (right)" if d == read else ""}"'
        f'{" disabled" if quiet else ""}>{d}</button>' for d in range(10))
    ask = note or ASK.format(digit=read)
    if saved is not None:
        ask = (f'{html.escape(SAVED_AS.format(digit=saved))} <button type="button" '
               f'class="dp-undo-save" data-undo="1">{html.escape(UNDO)}</button>')
    else:
        ask = html.escape(ask)
    return (f'<div class="dp-correct{" dp-quiet" if quiet else ""}" data-read="{read}">'
            f'<div class="dp-ask" role="status">{ask}</div>'
            f'<div class="dp-fixes">{buttons}</div></div>')
