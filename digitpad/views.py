"""What the Draw tab shows: pure functions from a model's reading to HTML and images."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from digitpad.preprocess import CANVAS_MIN_EXTENT, preprocess
from digitpad.strokes import pad_strokes, render_to_read
from digitpad.training import Progress

UNSURE = 0.5  # below this top probability the app says it is not sure
ENLARGE = 10  # "what the network sees" is shown at 280x280, square pixels


@dataclass(frozen=True)
class Reading:
    """A model's answer for one image, and the 28x28 digit it looked at."""

    probabilities: np.ndarray  # (10,) summing to 1
    digit: np.ndarray  # (28, 28) float32, ink 1.0

    @property
    def best(self) -> int:
        return int(self.probabilities.argmax())

    @property
    def runner_up(self) -> int:
        return int(np.argsort(self.probabilities)[-2])


def read_digit(image: Any, predict: Callable[[np.ndarray], np.ndarray],
               min_extent: float | None = None) -> Reading:
    """Preprocess any input and run the model on it; NoInk or BadImage when there is no digit."""
    digit = preprocess(image, min_extent)
    return Reading(predict(digit[None])[0], digit)


def read_drawing(strokes: Any, predict: Callable[[np.ndarray], np.ndarray]) -> Reading:
    """Read the drawing pad's strokes as the offline evaluator does; one tap is no digit.
    BadStrokes when the value is not strokes."""
    return read_digit(render_to_read(pad_strokes(strokes)), predict, CANVAS_MIN_EXTENT)


def enlarge(digit: np.ndarray, factor: int = ENLARGE) -> np.ndarray:
    """The 28x28 digit as a large uint8 image with square pixels, dark ink on white."""
    pixels = (255 * (1.0 - digit)).astype(np.uint8)
    return pixels.repeat(factor, axis=0).repeat(factor, axis=1)


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
    return f"It's a {reading.best} ({p[reading.best]:.0%} sure)"


def result_html(reading: Reading | None, message: str = "Draw a digit") -> str:
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


# -- the Train tab ---------------------------------------------------------------------------

RUN_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
               "#ff9da7", "#9c755f", "#bab0ac"]  # Tableau 10: runs told apart on a projector
CHART_WIDTH, CHART_HEIGHT, MARGIN = 480, 260, 48


def run_colour(name: str) -> str:
    """A fixed colour per run ("run 3" is always the same colour on every chart)."""
    return RUN_COLOURS[(int(name.split()[-1]) - 1) % len(RUN_COLOURS)]


def line_chart(runs: list[tuple[str, list[Progress]]], metric: str, title: str) -> str:
    """An SVG chart of one Progress field against iterations, a line and legend entry per run.

    Drawn by hand: gr.LinePlot keeps the colour legend of its first value, so runs added
    while it streams are drawn without a colour.
    """
    series = [(name, [(p.iteration, getattr(p, metric)) for p in history])
              for name, history in runs if history]
    points = [point for _, line in series for point in line]
    x_high = max((x for x, _ in points), default=100)
    finite = [y for _, y in points if np.isfinite(y)]
    y_low, y_high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if y_high - y_low < 1e-9:
        y_low, y_high = y_low - 0.5, y_high + 0.5
    width, height = CHART_WIDTH - 2 * MARGIN, CHART_HEIGHT - 2 * MARGIN

    def at(x: float, y: float) -> str:
        y = min(max(y, y_low), y_high) if np.isfinite(y) else y_high
        return (f"{MARGIN + width * x / x_high:.1f},"
                f"{MARGIN + height * (1 - (y - y_low) / (y_high - y_low)):.1f}")

    parts = [f'<text x="{CHART_WIDTH / 2}" y="22" class="dp-chart-title">{title}</text>',
             f'<rect x="{MARGIN}" y="{MARGIN}" width="{width}" height="{height}" '
             'class="dp-chart-frame"/>']
    for share in (0.0, 0.5, 1.0):
        y = y_low + share * (y_high - y_low)
        parts.append(f'<text x="{MARGIN - 6}" y="{at(0, y).split(",")[1]}" '
                     f'class="dp-chart-tick" text-anchor="end">{y:.3g}</text>')
    parts.append(f'<text x="{MARGIN + width}" y="{MARGIN + height + 18}" class="dp-chart-tick" '
                 f'text-anchor="end">{x_high:,} iterations</text>')
    for i, (name, line) in enumerate(series):
        colour = run_colour(name)
        parts.append(f'<polyline class="dp-line" data-run="{name}" fill="none" '
                     f'stroke="{colour}" stroke-width="3" '
                     f'points="{" ".join(at(x, y) for x, y in line)}"/>')
        parts.append(f'<text x="{MARGIN + 8 + 90 * i}" y="{CHART_HEIGHT - 10}" fill="{colour}" '
                     f'class="dp-chart-legend">■ {html.escape(name)}</text>')
    return (f'<svg class="dp-chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" '
            f'role="img" aria-label="{title}">{"".join(parts)}</svg>')


def progress_html(done: int, total: int, seconds: float, note: str = "") -> str:
    """A progress bar with iterations done, time so far and an estimate of the time left."""
    share = done / total if total else 0.0
    left = seconds / done * (total - done) if done else None
    timing = f"{seconds:.1f} s" + (f", about {left:.0f} s left" if left and done < total else "")
    text = f"iteration {done:,} of {total:,} · {timing}" + (f" · {note}" if note else "")
    return (f'<div class="dp-progress" data-done="{done}" data-total="{total}">'
            f'<div class="dp-progress-fill" style="width:{100 * share:.1f}%"></div>'
            f'<div class="dp-progress-text">{html.escape(text)}</div></div>')


def message_html(text: str, kind: str = "info") -> str:
    """A plain-language status line: info, or a problem the person can act on."""
    return f'<div class="dp-message dp-{kind}">{html.escape(text)}</div>'


def run_report_html(summary: dict) -> str:
    """The scores of one finished run, large enough to read from the back of a room."""
    cells = [("test accuracy", f"{summary['test_accuracy']:.2%}", "10,000 MNIST test digits"),
             ("validation", f"{summary['validation_accuracy']:.2%}", "5,000 held-out digits")]
    if "drawings_accuracy" in summary:
        cells.append(("real drawings", f"{summary['drawings_accuracy']:.2%}",
                      "pen-drawn digits by real people"))
    cells.append(("training time", f"{summary['train_seconds']:.1f} s",
                  f"{summary['iterations_done']:,} iterations"
                  + (" (stopped early)" if summary["stopped_early"] else "")))
    body = "".join(f'<div class="dp-score"><div class="dp-score-name">{name}</div>'
                   f'<div class="dp-score-value">{value}</div>'
                   f'<div class="dp-score-note">{note}</div></div>' for name, value, note in cells)
    return f'<div class="dp-scores" data-run="{summary["run"]}">{body}</div>'


RUN_COLUMNS = ["run", "network", "learning rate", "dropout", "iterations", "batch", "augment",
               "test accuracy", "real drawings", "seconds"]


def runs_table(summaries: list[dict]) -> pd.DataFrame:
    """One row per run of this session, for comparing settings with results."""
    rows = [[s["run"], s["network"], s["learning_rate"], s["dropout"], s["iterations_done"],
             s["batch_size"], "yes" if s["augment"] else "no", s["test_accuracy"],
             s.get("drawings_accuracy"), s["train_seconds"]] for s in summaries]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def active_model_html(name: str | None, summary: dict | None = None) -> str:
    """Which model the Draw tab reads with: the shipped one, or one trained in this session."""
    if name is None:
        return '<div class="dp-active">Reading with the shipped model.</div>'
    return (f'<div class="dp-active dp-own">Reading with your {html.escape(name)} '
            f'({summary["network"]}, {summary["test_accuracy"]:.1%} on MNIST test).</div>')
