"""The Train tab: sliders, live curves, the runs of this session, and where the last run fails."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import gradio as gr

from digitpad.classdata import Unreachable
from digitpad.gradio_locale import label
from digitpad.i18n import ENGLISH, localize, number, translate
from digitpad.knobs import KNOBS, ConfigError, TrainConfig
from digitpad.model import SEED_HIDDEN
from digitpad.reading import said
from digitpad.scheduler import QUEUE_LIMIT, Refused, Ticket
from digitpad.sessions import DEFAULT_NETWORK, NETWORKS, PAGE_PEN_WRITERS, Lab, Run, app_config
from digitpad.training import Progress
from digitpad.ui.context import Shared
from digitpad.ui.follow import RunFailed, train_and_follow
from digitpad.ui.language import speaking
from digitpad.views.common import message_html
from digitpad.views.inside import confusion_html, worst_mistakes
from digitpad.views.train import chart, model_id_html, progress_html, run_report_html, runs_table

DEFAULTS = TrainConfig()
RATE_EXPONENTS = tuple(math.log10(rate) for rate in KNOBS["learning_rate"].page)
DEFAULT_RATE = math.log10(DEFAULTS.learning_rate)
DONE, STOPPED = "train.done", "train.stopped"  # the progress bar's last word on the last run
NEXT_RUN = "train.next_run"
Curves = list[tuple[int, list[Progress]]]  # (run number, its reports) per line on a chart


class TrainTab:
    """Sliders and buttons on the left; progress, curves, runs and their failures on the right."""

    def __init__(self, shared: Shared, state: gr.State) -> None:
        self.shared, self.state = shared, state
        with gr.Tab(label("tab.train"), elem_id="train-tab") as self.tab:
            gr.Markdown(label("train.intro"))
            self.no_data = (gr.HTML(message_html(shared.data_problem, "problem"), elem_id="no-data")
                            if shared.data_problem else None)
            with gr.Row():
                with gr.Column(scale=1, min_width=300):
                    self.build_controls(can_train=shared.data is not None)
                with gr.Column(scale=2):
                    self.build_results()
        self.wire()

    def build_controls(self, can_train: bool) -> None:
        self.rate = gr.Slider(*RATE_EXPONENTS, value=DEFAULT_RATE, step=0.1, elem_id="rate",
                              label=label("train.rate"), info=label("train.rate_info"))
        self.dropout = knob_slider("dropout", step=0.05, elem_id="dropout")
        self.iterations = knob_slider("iterations", step=100, elem_id="iterations")
        self.batch_size = knob_slider("batch_size", step=16, elem_id="batch")
        self.network = gr.Radio(list(NETWORKS), value=DEFAULT_NETWORK, label=label("train.network"),
                                elem_id="network")
        self.augment = gr.Checkbox(DEFAULTS.augment, elem_id="augment",
                                   label=label("train.augment"))
        self.seed = gr.Number(DEFAULTS.seed, precision=0, minimum=KNOBS["seed"].page[0],
                              label=label("train.seed"), info=label("help.seed"), elem_id="seed")
        self.with_class = gr.Checkbox(False, label=self.class_label(ENGLISH), elem_id="with-class",
                                      visible=self.shared.classdata is not None)
        self.pen_digits = gr.Checkbox(False, label=label("train.pen_digits"), elem_id="pen-digits")
        with gr.Row():
            self.start = gr.Button(label("train.start"), variant="primary", elem_id="train",
                                   interactive=can_train)
            self.stop = gr.Button(label("train.stop"), variant="stop", elem_id="stop",
                                  interactive=False)
            self.reset = gr.Button(label("train.reset"), elem_id="reset")
        gr.Markdown(label("train.classics"))
        with gr.Row():
            self.dropout_pair = gr.Button(label("train.dropout_pair"), size="sm",
                                          elem_id="homework-dropout", interactive=can_train)
            self.network_pair = gr.Button(label("train.network_pair"), size="sm",
                                          elem_id="homework-network", interactive=can_train)
            self.pen_pair = gr.Button(label("train.pen_pair"), size="sm", elem_id="homework-pen",
                                      interactive=can_train)

    def build_results(self) -> None:
        self.progress = gr.HTML(waiting(ENGLISH), elem_id="progress")
        self.status = gr.HTML(elem_id="status")
        with gr.Row():
            self.loss_plot = gr.HTML(chart([], "loss"), elem_id="loss-plot")
            self.accuracy_plot = gr.HTML(chart([], "val_accuracy"), elem_id="accuracy-plot")
        with gr.Row():
            self.chosen = gr.Dropdown([], label=label("train.run"), scale=1, elem_id="chosen")
            self.use = gr.Button(label("train.use"), interactive=False, scale=0, elem_id="use")
            self.download = gr.DownloadButton(label("train.download"), interactive=False, scale=0,
                                              elem_id="download")
        self.compare = gr.CheckboxGroup([], label=label("train.compare"), elem_id="compare")
        # wide: it scrolls inside its panel, the run's name pinned on the left
        gr.Markdown(f"**{label('train.runs')}**")
        self.runs = gr.HTML(runs_table([]), elem_id="runs")
        with gr.Accordion(label("train.for_programs"), open=False, elem_id="programs"):
            self.model_id = gr.HTML(elem_id="model-id")
        with gr.Accordion(label("train.fails"), open=False):
            gr.Markdown(label("caption.confusion"))
            self.run_confusion = gr.HTML(elem_id="run-confusion")
            gr.Markdown(label("caption.mistakes"))
            self.run_mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                           elem_id="run-mistakes")

    @property
    def spoken(self) -> list[gr.components.Component]:
        """What the tab renders itself before any run, in the session's language (speak)."""
        return [self.progress, self.loss_plot, self.accuracy_plot, self.runs, self.network,
                self.with_class, *([self.no_data] if self.no_data else [])]

    def speak(self, lab: Lab) -> dict:
        lang = lab.lang
        spoken = {self.progress: waiting(lang), **self.plots([], lang),
                  self.runs: runs_table([], lang), self.with_class: self.class_box(lab, None),
                  self.network: gr.Radio(choices=[(localize(n, lang), n) for n in NETWORKS])}
        if self.no_data:
            spoken[self.no_data] = message_html(said(self.shared.data_problem, lang), "problem")
        return spoken

    def plots(self, curves: Curves, lang: str) -> dict:
        return {self.loss_plot: chart(curves, "loss", lang),
                self.accuracy_plot: chart(curves, "val_accuracy", lang)}

    def running(self, ticket: Ticket, number: int, others: Curves, status: str,
                lang: str) -> dict:
        progress = list(ticket.progress)
        done = progress[-1] if progress else None
        return {self.progress: progress_html(done.iteration if done else 0,
                                             ticket.config.iterations,
                                             done.seconds if done else 0.0, said(status, lang),
                                             lang),
                self.stop: gr.Button(interactive=True),
                **self.plots([*others, (number, progress)], lang)}

    def finished(self, run: Run, lab: Lab, shown: list[int], last: bool) -> dict:
        """The run joins the session: its scores and curves; last_run shows the rest. "done"
        only after the click's last run; Stop stays on while another is to come."""
        result = lab.add(run).result
        note = (STOPPED if result.stopped_early else DONE) if last else NEXT_RUN
        return {**self.plots(shown_curves(lab, shown), lab.lang),
                self.progress: progress_html(result.iterations_done, result.config.iterations,
                                             result.train_seconds, translate(note, lab.lang),
                                             lab.lang),
                self.stop: gr.Button(interactive=not last),
                self.status: run_report_html(run.summary(), lab.lang),
                self.compare: gr.CheckboxGroup(choices=run_choices(lab), value=shown),
                self.state: lab}

    def last_run(self, lab: Lab, request: gr.Request) -> dict:
        """The session's runs and its latest one, once a click's runs are over: table, choice,
        download, where it fails."""
        speaking(lab, request)
        if not lab.runs:
            return {}
        run, data, lang = lab.runs[-1], self.shared.data, lab.lang
        return {self.runs: runs_table([r.summary() for r in lab.runs], lang),
                self.chosen: gr.Dropdown(choices=run_choices(lab), value=run.number),
                self.use: gr.Button(interactive=True),
                self.download: gr.DownloadButton(value=lab.download(run), interactive=True),
                self.model_id: model_id_html(run.summary(), lang),
                self.run_confusion: confusion_html(run.test.confusion, lang),
                self.run_mistakes: worst_mistakes(data.x_test, data.y_test,
                                                  run.test.probabilities, 12, lang)}

    def class_label(self, lang: str) -> str:
        """The box's label, with how many drawings the class has corrected so far."""
        try:
            count = number(len(self.shared.classdata.drawings()) if self.shared.classdata else 0,
                           lang)
        except Unreachable:
            count = translate("train.unreachable", lang)
        return translate("train.with_class", lang, count=count)

    async def watch(self, configs: list[TrainConfig], lab: Lab, shown: list[int],
                    owner: str, with_class: bool) -> AsyncIterator[dict]:
        """Run configs one after another for this session, streaming progress and curves."""
        mixed = await asyncio.to_thread(self.shared.class_set, with_class)
        for i, config in enumerate(configs):
            number, others, sent = lab.next_number(), shown_curves(lab, shown), None
            try:
                async for step in train_and_follow(self.shared, owner, config, mixed, number):
                    if isinstance(step, Run):
                        lab.ticket, shown = None, [*shown, number]
                        yield await asyncio.to_thread(self.finished, step, lab, shown,
                                                      i == len(configs) - 1)
                        continue
                    lab.ticket = step.ticket  # for Stop
                    # a new curve point or status line is sent, not the same panel again:
                    # thirty people's tabs would otherwise cost the server a core in charts
                    now = (len(step.ticket.progress), step.status)
                    if now != sent:
                        sent = now
                        yield self.running(step.ticket, number, others, step.status, lab.lang)
            except Refused as e:  # Stop stays on if this session's earlier run still trains
                yield {self.status: message_html(said(e, lab.lang), "problem"),
                       self.stop: gr.Button(interactive=lab.ticket is not None)}
                return
            except RunFailed as e:
                lab.ticket = None
                yield {self.status: message_html(said(e, lab.lang), e.kind),
                       self.stop: gr.Button(interactive=False)}
                return

    def trains(self, plan: Callable[[TrainConfig], list[TrainConfig]]) -> Callable:
        """An event handler training plan(the sliders' settings), one run after another."""
        async def on_click(lab: Lab, shown: list[int], rate_exponent: float, dropout: float,
                           iterations: int, batch_size: int, network: str, augment: bool,
                           seed: int, with_class: bool, pen_digits: bool,
                           request: gr.Request) -> AsyncIterator[dict]:
            self.shared.open_lab(request.session_hash, lab)  # the Lab that will own these runs
            speaking(lab, request)
            try:
                config = app_config(10.0 ** rate_exponent, dropout, iterations, batch_size,
                                    network, augment, seed, pen_digits is True)
            except ConfigError as e:
                yield {self.status: message_html(said(e, lab.lang), "problem")}
                return
            async for update in self.watch(plan(config), lab, shown, request.session_hash,
                                           with_class is True):
                yield update
        return on_click

    def reset_controls(self) -> dict:
        return {self.rate: DEFAULT_RATE, self.dropout: DEFAULTS.dropout,
                self.iterations: DEFAULTS.iterations, self.batch_size: DEFAULTS.batch_size,
                self.network: DEFAULT_NETWORK, self.augment: DEFAULTS.augment,
                self.seed: DEFAULTS.seed, self.pen_digits: False}

    def choose(self, lab: Lab, number: int | None) -> gr.DownloadButton:
        run = lab.find(number)
        return gr.DownloadButton(value=lab.download(run) if run else None,
                                 interactive=run is not None)

    def wire(self) -> None:
        controls = [self.rate, self.dropout, self.iterations, self.batch_size, self.network,
                    self.augment, self.seed]
        # Streamed while training: only what changes then. Gradio rebuilds every output a
        # yield leaves out (1 to 3 ms each for a table or gallery), thirty people several times a
        # second; the rest follows once, when the click's runs are over.
        live = [self.progress, self.status, self.loss_plot, self.accuracy_plot, self.compare,
                self.stop, self.state]
        after = [self.runs, self.chosen, self.use, self.download, self.model_id,
                 self.run_confusion, self.run_mistakes]
        training = dict(concurrency_limit=QUEUE_LIMIT, concurrency_id="train",
                        show_progress_on=self.progress, api_visibility="private")
        inputs = [self.state, self.compare, *controls, self.with_class, self.pen_digits]
        plans = {self.start: lambda c: [c],
                 self.dropout_pair: lambda c: [replace(c, dropout=0.5), replace(c, dropout=0.0)],
                 self.network_pair: lambda c: [replace(c, hidden=()),
                                               replace(c, hidden=SEED_HIDDEN)],
                 self.pen_pair: lambda c: [replace(c, pen_writers="none"),
                                           replace(c, pen_writers=PAGE_PEN_WRITERS)]}
        for button, plan in plans.items():
            button.click(self.trains(plan), inputs, live, **training).then(
                self.last_run, self.state, after, show_progress="hidden",
                api_visibility="private")
        self.stop.click(stop_run, self.state, None, queue=False, api_visibility="private")
        self.reset.click(self.reset_controls, None, [*controls, self.pen_digits], queue=False,
                         api_visibility="private")
        self.compare.input(self.compared, [self.state, self.compare],
                           [self.loss_plot, self.accuracy_plot], api_visibility="private")
        self.chosen.input(self.choose, [self.state, self.chosen], self.download,
                          api_visibility="private")
        self.tab.select(self.class_box, self.state, self.with_class, queue=False,
                        api_visibility="private")

    def compared(self, lab: Lab, shown: list[int], request: gr.Request) -> dict:
        return self.plots(shown_curves(lab, shown), speaking(lab, request))

    def class_box(self, lab: Lab, request: gr.Request | None) -> gr.Checkbox:
        lang = speaking(lab, request) if request else lab.lang
        return gr.Checkbox(label=self.class_label(lang))


def waiting(lang: str) -> str:
    return progress_html(0, DEFAULTS.iterations, 0.0, translate("train.press_train", lang), lang)


def knob_slider(name: str, step: float, elem_id: str) -> gr.Slider:
    """A slider over the range the page offers of a knob, at its default."""
    knob = KNOBS[name]
    return gr.Slider(*knob.page, value=knob.default, step=step, label=label(f"train.{name}"),
                     info=label(f"help.{name}"), elem_id=elem_id)


def run_choices(lab: Lab) -> list[tuple[str, int]]:
    """The session's runs as (name, number) choices."""
    return [(localize(r.name, lab.lang), r.number) for r in lab.runs]


def shown_curves(lab: Lab, shown: list[int]) -> Curves:
    """The finished runs a person ticked to lay side by side."""
    return [(r.number, r.result.history) for r in lab.runs if r.number in shown]


def stop_run(lab: Lab) -> None:
    if lab.ticket is not None:
        lab.ticket.stop()
