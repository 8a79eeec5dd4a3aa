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
UNSURE = 0.5  # below this top probability the app says it is not sure


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


def verdict(reading: Reading) -> str:
    """One line in plain words: the answer, or that it is unsure and what else it might be."""
    p = reading.probabilities
    if p[reading.best] < UNSURE:
        return (f"Not sure: maybe {reading.best} ({p[reading.best]:.0%}) "
                f"or {reading.runner_up} ({p[reading.runner_up]:.0%})")
    article = "an" if reading.best == 8 else "a"
    return f"It's {article} {reading.best} ({p[reading.best]:.0%} sure)"


def result_html(reading: Reading | None, message: str = NOTHING_DRAWN) -> str:
    """The big answer and ten bars, 0 to 9 in order, winner highlighted; calm when empty."""
    if reading is None:
        return (f'<div class="dp-result dp-empty"><div class="dp-digit">?</div>'
                f'<div class="dp-verdict">{html.escape(message)}</div>'
                f'<div class="dp-bars">{bars(np.zeros(10), None)}</div></div>')
    unsure = reading.probabilities[reading.best] < UNSURE
    return (f'<div class="dp-result{" dp-unsure" if unsure else ""}">'
            f'<div class="dp-digit">{reading.best}</div>'
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


def correction_html(read: int | None, note: str = "", quiet: bool = False) -> str:
    """Ten digit buttons under the answer, the one read marked as right; quiet (greyed) once
    saved; nothing at all when there is no answer to correct."""
    if read is None:
        return f'<div class="dp-correct">{html.escape(note)}</div>' if note else ""
    buttons = "".join(
        f'<button type="button" class="dp-fix{" dp-right" if d == read else ""}" '
        f'data-digit="{d}" aria-label="it was {d}{" (right)" if d == read else ""}"'
        f'{" disabled" if quiet else ""}>{d}</button>' for d in range(10))
    ask = "Saved" if quiet else f"What did you draw? Tap it ({read} if that is right):"
    return (f'<div class="dp-correct{" dp-quiet" if quiet else ""}" data-read="{read}">'
            f'<div class="dp-ask">{html.escape(note or ask)}</div>'
            f'<div class="dp-fixes">{buttons}</div></div>')
