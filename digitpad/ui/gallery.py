"""The Class drawings tab: what the class drew and corrected, by digit, and how the model in use
reads it."""

from __future__ import annotations

import gradio as gr
import numpy as np

from digitpad.classdata import STORE_DOWN, Unreachable
from digitpad.gradio_locale import label
from digitpad.reading import said
from digitpad.scoring import predict_labels
from digitpad.sessions import Lab
from digitpad.ui.context import Shared
from digitpad.ui.language import speaking
from digitpad.views.common import message_html
from digitpad.views.gallery import class_drawings_html


class GalleryTab:
    """Read from the database each time the tab is opened or Refresh is pressed."""

    def __init__(self, shared: Shared, state: gr.State) -> None:
        self.shared = shared
        with gr.Tab(label("tab.class"), elem_id="class-tab") as tab:
            with gr.Row(equal_height=True):
                gr.Markdown(label("class.intro"))
                refresh = gr.Button(label("class.refresh"), size="sm", scale=0,
                                    elem_id="class-refresh")
            self.gallery = gr.HTML(elem_id="class-gallery")
        for event in (tab.select, refresh.click):
            event(self.show, state, self.gallery, api_visibility="private")

    def show(self, lab: Lab, request: gr.Request) -> str:
        """Counts and accuracy per digit over all the drawings; the newest of each shown."""
        reader = self.shared.reader(lab)
        speaking(lab, request)
        try:
            labels, images = self.shared.classdata.digits()
        except Unreachable:
            return message_html(said(STORE_DOWN, lab.lang), "problem")
        read = (predict_labels(reader.predict, images.astype(np.float32) / 255.0) if len(labels)
                else labels)
        return class_drawings_html(labels, images, read, reader.name, lang=lab.lang)
