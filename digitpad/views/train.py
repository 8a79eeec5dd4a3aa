"""The Train tab: live curves, the progress bar, a run's scores, the runs table and the model
the Draw tab reads with."""

from __future__ import annotations

import html

import numpy as np

from digitpad.i18n import ENGLISH, localize, localized_value, number, percent, translate
from digitpad.sessions import run_name
from digitpad.training import Progress

RUN_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
               "#ff9da7", "#9c755f", "#bab0ac"]  # Tableau 10: runs told apart on a projector
CHART_WIDTH, CHART_HEIGHT, MARGIN = 480, 260, 48
CHARTS = {"loss": "train.loss", "val_accuracy": "train.accuracy"}  # a chart's title, by metric


def run_colour(number: int) -> str:
    """A fixed colour per run (run 3 is always the same colour on every chart)."""
    return RUN_COLOURS[(number - 1) % len(RUN_COLOURS)]


def line_chart(runs: list[tuple[int, list[Progress]]], metric: str, title: str,
               lang: str = ENGLISH) -> str:
    """An SVG chart of one Progress field against iterations, a line and legend entry per run;
    title already in lang.

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

    title = html.escape(title)
    parts = [f'<text x="{CHART_WIDTH / 2}" y="22" class="dp-chart-title">{title}</text>',
             f'<rect x="{MARGIN}" y="{MARGIN}" width="{width}" height="{height}" '
             'class="dp-chart-frame"/>']
    for share in (0.0, 0.5, 1.0):
        y = y_low + share * (y_high - y_low)
        parts.append(f'<text x="{MARGIN - 6}" y="{at(0, y).split(",")[1]}" '
                     f'class="dp-chart-tick" text-anchor="end">{y:.3g}</text>')
    parts.append(f'<text x="{MARGIN + width}" y="{MARGIN + height + 18}" class="dp-chart-tick" '
                 f'text-anchor="end">'
                 f'{translate("train.iterations_axis", lang, count=number(x_high, lang))}</text>')
    for i, (run, line) in enumerate(series):
        colour, name = run_colour(run), translate("name.run", lang, number=run)
        parts.append(f'<polyline class="dp-line" data-run="{run_name(run)}" fill="none" '
                     f'stroke="{colour}" stroke-width="3" '
                     f'points="{" ".join(at(x, y) for x, y in line)}"/>')
        parts.append(f'<text x="{MARGIN + 8 + 90 * i}" y="{CHART_HEIGHT - 10}" fill="{colour}" '
                     f'class="dp-chart-legend">■ {html.escape(name)}</text>')
    return (f'<svg class="dp-chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" '
            f'role="img" aria-label="{title}">{"".join(parts)}</svg>')


def chart(runs: list[tuple[int, list[Progress]]], metric: str, lang: str = ENGLISH) -> str:
    """The loss or validation accuracy chart, its title in lang."""
    return line_chart(runs, metric, translate(CHARTS[metric], lang), lang)


def progress_html(done: int, total: int, seconds: float, note: str = "",
                  lang: str = ENGLISH) -> str:
    """A progress bar with iterations done and time so far; note (in lang): where the run
    stands, with the one estimate of the time left (the scheduler's, which counts runs ahead)."""
    share = done / total if total else 0.0
    text = translate("train.progress", lang, done=number(done, lang), total=number(total, lang),
                     seconds=number(seconds, lang, 1)) + (f" · {note}" if note else "")
    return (f'<div class="dp-progress" data-done="{done}" data-total="{total}">'
            f'<div class="dp-progress-fill" style="width:{100 * share:.1f}%"></div>'
            f'<div class="dp-progress-text">{html.escape(text)}</div></div>')


def run_report_html(summary: dict, lang: str = ENGLISH) -> str:
    """The scores of one finished run, large enough to read from the back of a room."""
    def said(key: str, **values: object) -> str:
        return translate(f"report.{key}", lang, **values)

    def share(key: str) -> str:
        return percent(summary[key], lang, 2)

    cells = [(said("test"), share("test_accuracy"), said("test_note")),
             (said("validation"), share("validation_accuracy"), said("validation_note"))]
    if "drawings_accuracy" in summary:
        cells.append((said("drawings"), share("drawings_accuracy"), said("drawings_note")))
    if "class_accuracy" in summary:
        trained = "class_trained" if summary["with_class_drawings"] else "class_untrained"
        cells.append((said("class"), share("class_accuracy"),
                      said(trained, count=number(summary["class_held_out"], lang))))
    stopped = "time_note_stopped" if summary["stopped_early"] else "time_note"
    cells.append((said("time"), f"{number(summary['train_seconds'], lang, 1)} s",
                  said(stopped, count=number(summary["iterations_done"], lang))))
    body = "".join(f'<div class="dp-score"><div class="dp-score-name">{html.escape(name)}</div>'
                   f'<div class="dp-score-value">{value}</div>'
                   f'<div class="dp-score-note">{html.escape(note)}</div></div>'
                   for name, value, note in cells)
    return f'<div class="dp-scores" data-run="{summary["run"]}">{body}</div>'


def model_id_html(summary: dict, lang: str = ENGLISH) -> str:
    """A run's model id, for the HTTP API's ?model=, and a sentence on what it is for."""
    note = translate("train.programs_note", lang, id=summary["id"],
                     run=translate("name.run", lang, number=summary["run"]))
    return (f'<div class="dp-run-id" data-run="{summary["run"]}">'
            f'<p>{html.escape(note)}</p>'
            f'<code style="word-break: break-all">{html.escape(summary["id"])}</code></div>')


RUN_COLUMNS = ["run", "network", "learning_rate", "dropout", "iterations", "batch", "augment",
               "pen_digits", "class_drawings", "test_accuracy", "real_drawings", "class_held_out",
               "seconds"]  # column.* in the catalogues


def run_cells(s: dict, lang: str = ENGLISH) -> list[str]:
    """One run's settings and scores, as the runs table shows them, in RUN_COLUMNS' order."""
    def share(key: str) -> str:
        return percent(s[key], lang, 2) if s.get(key) is not None else ""

    def yes(value: bool) -> str:
        return translate("column.yes" if value else "column.no", lang)

    return [translate("name.run", lang, number=s["run"]), localize(s["network"], lang),
            localized_value(f"{s['learning_rate']:g}", lang),
            localized_value(f"{s['dropout']:g}", lang),
            number(s["iterations_done"], lang), str(s["batch_size"]), yes(s["augment"]),
            yes(s.get("pen_writers", "none") != "none"),
            yes(s["with_class_drawings"]), share("test_accuracy"), share("drawings_accuracy"),
            share("class_accuracy"), number(s["train_seconds"], lang, 1)]


def runs_table(summaries: list[dict], lang: str = ENGLISH) -> str:
    """One row per run of this session, for comparing settings with results. Wider than its
    panel, it scrolls inside it (the region takes the keyboard's focus to scroll), the run's
    name pinned on the left (app.css)."""
    if not summaries:
        return f'<div class="dp-runs-empty">{html.escape(translate("train.no_runs", lang))}</div>'
    head = "".join(f'<th scope="col">{html.escape(translate(f"column.{name}", lang))}</th>'
                   for name in RUN_COLUMNS)
    rows = []
    for summary in summaries:
        name, *rest = (html.escape(cell) for cell in run_cells(summary, lang))
        rows.append(f'<tr><th scope="row">{name}</th>'
                    + "".join(f"<td>{cell}</td>" for cell in rest) + "</tr>")
    return (f'<div class="dp-runs" role="region" tabindex="0" '
            f'aria-label="{html.escape(translate("train.runs", lang))}"><table><thead><tr>{head}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def active_model_html(name: str | None, summary: dict | None = None,
                      model_id: str = "shipped", lang: str = ENGLISH) -> str:
    """Which model the Draw tab reads with: the shipped one, or one trained in this session;
    the pad asks for its answers with that model's id."""
    if name is None:
        return (f'<div class="dp-active" data-model="shipped">'
                f'{html.escape(translate("report.active_shipped", lang))}</div>')
    said = translate("report.active_run", lang, name=localize(name, lang),
                     network=localize(summary["network"], lang),
                     percent=percent(summary["test_accuracy"], lang, 1))
    return (f'<div class="dp-active dp-own" data-model="{html.escape(model_id)}">'
            f'{html.escape(said)}</div>')
