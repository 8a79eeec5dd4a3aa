"""The Train tab: live curves, the progress bar, a run's scores, the runs table and the model
the Draw tab reads with."""

from __future__ import annotations

import html

import numpy as np

from digitpad.sessions import run_name
from digitpad.training import Progress

RUN_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
               "#ff9da7", "#9c755f", "#bab0ac"]  # Tableau 10: runs told apart on a projector
CHART_WIDTH, CHART_HEIGHT, MARGIN = 480, 260, 48


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
    """A progress bar with iterations done and time so far; note: where the run stands, with
    the one estimate of the time left (the scheduler's, which counts runs ahead in the queue)."""
    share = done / total if total else 0.0
    text = f"iteration {done:,} of {total:,} · {seconds:.1f} s" + (f" · {note}" if note else "")
    return (f'<div class="dp-progress" data-done="{done}" data-total="{total}">'
            f'<div class="dp-progress-fill" style="width:{100 * share:.1f}%"></div>'
            f'<div class="dp-progress-text">{html.escape(text)}</div></div>')


def run_report_html(summary: dict) -> str:
    """The scores of one finished run, large enough to read from the back of a room."""
    cells = [("test accuracy", f"{summary['test_accuracy']:.2%}", "10,000 MNIST test digits"),
             ("validation", f"{summary['validation_accuracy']:.2%}", "5,000 held-out digits")]
    if "drawings_accuracy" in summary:
        cells.append(("real drawings", f"{summary['drawings_accuracy']:.2%}",
                      "pen-drawn by 15 people no run here learns from"))
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
    return f'<div class="dp-scores" data-run="{summary["run"]}">{body}</div>'


FOR_PROGRAMS = "For programs"
PROGRAMS_NOTE = ("To read digits with {run} from a program of your own, send them to this "
                 "server's HTTP API with this id: POST /api/predict?model={id}. It lasts as long "
                 "as your session on this server.")


def model_id_html(summary: dict) -> str:
    """A run's model id, for the HTTP API's ?model=, and a sentence on what it is for."""
    note = PROGRAMS_NOTE.format(run=run_name(summary["run"]), id=summary["id"])
    return (f'<div class="dp-run-id" data-run="{summary["run"]}">'
            f'<p>{html.escape(note)}</p>'
            f'<code style="word-break: break-all">{html.escape(summary["id"])}</code></div>')


RUN_COLUMNS = ["run", "network", "learning rate", "dropout", "iterations", "batch", "augment",
               "pen-drawn digits", "class drawings", "test accuracy", "real drawings",
               "class's held out", "seconds"]
YOUR_RUNS = "Your runs"
NO_RUNS = "Your runs will be listed here, with their settings and scores."


def run_cells(s: dict) -> list[str]:
    """One run's settings and scores, as the runs table shows them, in RUN_COLUMNS' order."""
    def share(key: str) -> str:
        return f"{s[key]:.2%}" if s.get(key) is not None else ""

    return [run_name(s["run"]), s["network"], f"{s['learning_rate']:g}", f"{s['dropout']:g}",
            f"{s['iterations_done']:,}", str(s["batch_size"]), "yes" if s["augment"] else "no",
            "no" if s.get("pen_writers", "none") == "none" else "yes",
            "yes" if s["with_class_drawings"] else "no", share("test_accuracy"),
            share("drawings_accuracy"), share("class_accuracy"), f"{s['train_seconds']:.1f}"]


def runs_table(summaries: list[dict]) -> str:
    """One row per run of this session, for comparing settings with results. Wider than its
    panel, it scrolls inside it (the region takes the keyboard's focus to scroll), the run's
    name pinned on the left (app.css)."""
    if not summaries:
        return f'<div class="dp-runs-empty">{html.escape(NO_RUNS)}</div>'
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name in RUN_COLUMNS)
    rows = []
    for summary in summaries:
        name, *rest = (html.escape(cell) for cell in run_cells(summary))
        rows.append(f'<tr><th scope="row">{name}</th>'
                    + "".join(f"<td>{cell}</td>" for cell in rest) + "</tr>")
    return (f'<div class="dp-runs" role="region" tabindex="0" '
            f'aria-label="{html.escape(YOUR_RUNS)}"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def active_model_html(name: str | None, summary: dict | None = None,
                      model_id: str = "shipped") -> str:
    """Which model the Draw tab reads with: the shipped one, or one trained in this session;
    the pad asks for its answers with that model's id."""
    if name is None:
        return '<div class="dp-active" data-model="shipped">Reading with the shipped model.</div>'
    return (f'<div class="dp-active dp-own" data-model="{html.escape(model_id)}">Reading with '
            f'your {html.escape(name)} ({summary["network"]}, '
            f'{summary["test_accuracy"]:.1%} on MNIST test).</div>')
