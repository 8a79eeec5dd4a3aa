"""Pure renderers: a model's readings, runs, weights and scores in, HTML and RGB images out."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from digitpad.reading import Reading
from digitpad.training import Progress

NOTHING_DRAWN = "Draw a digit"  # what the answer panel says before there is anything to read
UNSURE = 0.5  # below this top probability the app says it is not sure
ENLARGE = 10  # the network's 28x28 view and saliency maps are shown at 280x280, square pixels
# A diverging colour map (ColorBrewer RdBu: blue, white, red), hand-written because matplotlib
# is not a dependency: anchors at -1, -0.5, 0, 0.5, 1, linearly interpolated.
DIVERGING_STOPS = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
DIVERGING_RGB = np.array([[33, 102, 172], [146, 197, 222], [255, 255, 255],
                          [244, 165, 130], [178, 24, 43]], dtype=np.float64)
INK_SHADE = 0.3  # the drawing darkens the saliency map by up to this share, to stay readable
TILE = 4  # weight images are enlarged 4x in the mosaic
GALLERY_ENLARGE = 4  # gallery digits are 112x112
PAD = 6  # pixels between mosaic tiles
FONT_SIZE = 12
LEGEND_HEIGHT = 14


CAPTIONS = {
    "saliency": "Red: more ink there would make the network surer of this digit; "
                "blue: less sure; white: no effect. The drawing shows faintly in grey.",
    "weights": "What the first layer looks for: each square is one neuron's weights over the "
               "28x28 pixels; red pixels excite it, blue ones inhibit it.",
    "samples": "Random handwritten digits from the MNIST training set, with their labels: "
               "what the network learned from.",
    "confusion": "Rows: the true digit; columns: what the network read. The diagonal is right, "
                 "every other count is a mistake.",
    "mistakes": "The test digits the network got wrong while it was most sure of itself.",
}


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


RUN_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
               "#ff9da7", "#9c755f", "#bab0ac"]  # Tableau 10: runs told apart on a projector
CHART_WIDTH, CHART_HEIGHT, MARGIN = 480, 260, 48


def run_name(number: int) -> str:
    """How the page names a session's run: "run 3"."""
    return f"run {number}"


def run_colour(number: int) -> str:
    """A fixed colour per run (run 3 is always the same colour on every chart)."""
    return RUN_COLOURS[(number - 1) % len(RUN_COLOURS)]


def line_chart(runs: list[tuple[int, list[Progress]]], metric: str, title: str) -> str:
    """An SVG chart of one Progress field against iterations, a line and legend entry per run.

    Drawn by hand: gr.LinePlot keeps the colour legend of its first value, so runs added
    while it streams are drawn without a colour.
    """
    series = [(number, [(p.iteration, getattr(p, metric)) for p in history])
              for number, history in runs if history]
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
    for i, (number, line) in enumerate(series):
        colour, name = run_colour(number), run_name(number)
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
    if "class_accuracy" in summary:
        trained = "trained with the rest" if summary["with_class_drawings"] else "not trained on"
        cells.append(("the class's drawings", f"{summary['class_accuracy']:.2%}",
                      f"{summary['class_held_out']} held out; {trained}"))
    cells.append(("training time", f"{summary['train_seconds']:.1f} s",
                  f"{summary['iterations_done']:,} iterations"
                  + (" (stopped early)" if summary["stopped_early"] else "")))
    body = "".join(f'<div class="dp-score"><div class="dp-score-name">{name}</div>'
                   f'<div class="dp-score-value">{value}</div>'
                   f'<div class="dp-score-note">{note}</div></div>' for name, value, note in cells)
    if "id" in summary:  # this run's model for programs: POST /api/predict?model=<id>
        body += (f'<div class="dp-score dp-run-id"><div class="dp-score-name">model id</div>'
                 f'<code style="word-break: break-all">{html.escape(summary["id"])}</code>'
                 f'<div class="dp-score-note">for the HTTP API\'s ?model=</div></div>')
    return f'<div class="dp-scores" data-run="{summary["run"]}">{body}</div>'


RUN_COLUMNS = ["run", "network", "learning rate", "dropout", "iterations", "batch", "augment",
               "class drawings", "test accuracy", "real drawings", "class's held out",
               "seconds"]


def runs_table(summaries: list[dict]) -> pd.DataFrame:
    """One row per run of this session, for comparing settings with results."""
    rows = [[s["run"], s["network"], s["learning_rate"], s["dropout"], s["iterations_done"],
             s["batch_size"], "yes" if s["augment"] else "no",
             "yes" if s["with_class_drawings"] else "no", s["test_accuracy"],
             s.get("drawings_accuracy"), s.get("class_accuracy"), s["train_seconds"]]
            for s in summaries]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def active_model_html(name: str | None, summary: dict | None = None,
                      model_id: str = "shipped") -> str:
    """Which model the Draw tab reads with: the shipped one, or one trained in this session;
    the pad asks for its answers with that model's id."""
    if name is None:
        return '<div class="dp-active" data-model="shipped">Reading with the shipped model.</div>'
    return (f'<div class="dp-active dp-own" data-model="{html.escape(model_id)}">Reading with '
            f'your {html.escape(name)} ({summary["network"]}, '
            f'{summary["test_accuracy"]:.1%} on MNIST test).</div>')


def diverging(values: np.ndarray, limit: float) -> np.ndarray:
    """values coloured on the symmetric scale [-limit, +limit] as float RGB in [0, 255]."""
    scaled = np.clip(np.asarray(values, np.float64) / max(limit, 1e-12), -1.0, 1.0)
    return np.stack([np.interp(scaled, DIVERGING_STOPS, DIVERGING_RGB[:, c]) for c in range(3)],
                    axis=-1)


def saliency_image(digit: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """One class's saliency as a 280x280 RGB image, zero white, its scale symmetric about zero."""
    colours = diverging(grad, float(np.abs(grad).max()))
    colours *= 1.0 - INK_SHADE * np.clip(digit, 0.0, 1.0)[..., None]
    pixels = colours.round().astype(np.uint8)
    return pixels.repeat(ENLARGE, axis=0).repeat(ENLARGE, axis=1)


def weights_mosaic(images: np.ndarray, captions: Sequence[str], columns: int) -> np.ndarray:
    """A captioned grid of weight images on one symmetric colour scale, with its legend below.

    One scale for all tiles, so a pale tile really has small weights.
    """
    limit = float(np.abs(images).max())
    font = ImageFont.load_default(size=FONT_SIZE)
    side = 28 * TILE
    rows = -(-len(images) // columns)
    cell_w, cell_h = side + PAD, side + FONT_SIZE + 4 + PAD
    width = PAD + columns * cell_w
    legend_top = PAD + rows * cell_h
    canvas = Image.new("RGB", (width, legend_top + LEGEND_HEIGHT + FONT_SIZE + 2 * PAD), "white")
    draw = ImageDraw.Draw(canvas)
    tiles = diverging(images, limit).round().astype(np.uint8)
    for i, (tile, caption) in enumerate(zip(tiles, captions, strict=True)):
        left, top = PAD + (i % columns) * cell_w, PAD + (i // columns) * cell_h
        big = tile.repeat(TILE, axis=0).repeat(TILE, axis=1)
        canvas.paste(Image.fromarray(big), (left, top))
        draw.text((left + side / 2, top + side + 2), caption, fill="black", font=font, anchor="ma")
    bar = np.linspace(-limit, limit, width - 2 * PAD)
    strip = diverging(np.tile(bar, (LEGEND_HEIGHT, 1)), limit).round().astype(np.uint8)
    canvas.paste(Image.fromarray(strip), (PAD, legend_top))
    label_y = legend_top + LEGEND_HEIGHT + 2
    for x, text, anchor in ((PAD, f"-{limit:.3g}", "la"), (width / 2, "0", "ma"),
                            (width - PAD, f"+{limit:.3g}", "ra")):
        draw.text((x, label_y), text, fill="black", font=font, anchor=anchor)
    return np.asarray(canvas)


def as_unit(images: np.ndarray) -> np.ndarray:
    """MNIST images (uint8 0-255 or float 0-1) as float32 ink in [0, 1]."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return np.asarray(images, np.float32)


def sample_grid(images: np.ndarray, labels: np.ndarray, count: int,
                rng: np.random.Generator) -> list[tuple[np.ndarray, str]]:
    """count different random digits, dark on white with square pixels, captioned by label."""
    chosen = rng.choice(len(images), size=count, replace=False)
    return [(enlarge(as_unit(images[i]), GALLERY_ENLARGE), str(labels[i])) for i in chosen]


def confusion_html(matrix: np.ndarray) -> str:
    """A 10x10 table of counts, shaded by share of the row: right answers green, mistakes red.

    HTML so the counts stay sharp on a projector; shading grows as the square root of the
    share, so that a 1% confusion is still visible next to a 99% diagonal.
    """
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    cell = "padding:4px 8px;text-align:right;border:1px solid #ddd"
    head = "".join(f'<th style="{cell}">{d}</th>' for d in range(10))
    rows = []
    for true, (counts, row_shares) in enumerate(zip(matrix, shares, strict=True)):
        cells = []
        for read, (count, share) in enumerate(zip(counts, row_shares, strict=True)):
            rgb, weight = ("34,139,34", 700) if read == true else ("200,40,40", 400)
            ink = "white" if share > 0.25 else "black"
            cells.append(f'<td style="{cell};background:rgba({rgb},{np.sqrt(share):.3f});'
                         f'color:{ink};font-weight:{weight}" '
                         f'title="true {true}, read {read}: {share:.1%} of the {true}s">'
                         f'{count}</td>')
        rows.append(f'<tr><th style="{cell}">{true}</th>{"".join(cells)}</tr>')
    table = "border-collapse:collapse;font-variant-numeric:tabular-nums"
    return (f'<table class="dp-confusion" style="{table}">'
            f'<tr><th style="{cell}">true \\ read</th>{head}</tr>{"".join(rows)}</table>')


def worst_mistakes(images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                   count: int) -> list[tuple[np.ndarray, str]]:
    """The count misreadings made with the highest confidence, surest first, captioned."""
    read = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(read)), read]
    wrong = np.flatnonzero(read != labels)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")[:count]]
    return [(enlarge(as_unit(images[i]), GALLERY_ENLARGE),
             f"true {labels[i]} → read {read[i]} ({confidence[i]:.0%})") for i in worst]


CLASS_SHOWN = 30  # newest drawings shown per digit in "Class drawings"; counts are over all


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


def digit_png(digit: np.ndarray) -> str:
    """A 28x28 uint8 digit (ink 255) as an inline PNG data URL, dark on white."""
    png = io.BytesIO()
    Image.fromarray(255 - digit).save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def class_tile(digit: np.ndarray, label: int, read: int) -> str:
    """One drawing as the network sees it; marked when the model misreads it."""
    misread = ' class="dp-misread"' if read != label else ""
    return (f'<img src="{digit_png(digit)}" width="28" height="28" alt="a {label}, read as '
            f'{read}" title="read as {read}"{misread}>')


def class_drawings_html(labels: np.ndarray, images: np.ndarray, read: np.ndarray,
                        model: str, shown: int = CLASS_SHOWN) -> str:
    """The class's drawings by digit, newest first: counts and how many the model reads right,
    over all of them; the newest few as the 28x28 images the network sees, misread ones marked."""
    right = read == labels
    total = (f"{len(labels):,} drawing{'' if len(labels) == 1 else 's'}; {model} reads "
             f"{right.mean():.0%} of them right." if len(labels) else
             "No drawings yet: draw on the Draw tab and tap the digit you drew.")
    parts = [f'<div class="dp-class-total">{html.escape(total)}</div>']
    for d in range(10):
        mine = np.flatnonzero(labels == d)
        score = f"{right[mine].mean():.0%} read right" if len(mine) else "none yet"
        tiles = "".join(class_tile(images[i], d, int(read[i])) for i in mine[:shown])
        parts.append(f'<section class="dp-class-digit" data-digit="{d}" '
                     f'data-count="{len(mine)}">'
                     f'<h3><span class="dp-class-label">{d}</span> {len(mine):,} '
                     f'drawing{"" if len(mine) == 1 else "s"} · {score}</h3>'
                     f'<div class="dp-class-tiles">{tiles}</div></section>')
    return f'<div class="dp-class">{"".join(parts)}</div>'
