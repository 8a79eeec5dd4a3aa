"""The Class drawings tab: what the class drew and corrected, by digit, and how the model in use
reads it."""

from __future__ import annotations

import gradio as gr
import numpy as np

from digitpad.classdata import STORE_DOWN, Unreachable
from digitpad.scoring import predict_labels
from digitpad.sessions import Lab
from digitpad.ui.context import Shared
from digitpad.views.common import message_html
from digitpad.views.gallery import class_drawings_html


class GalleryTab:
    """Read from the database each time the tab is opened or Refresh is pressed."""

    def __init__(self, shared: Shared, state: gr.State) -> None:
        self.shared = shared
        with gr.Tab("Class drawings", elem_id="class-tab") as tab:
            with gr.Row(equal_height=True):
                gr.Markdown("The drawings the class corrected on the Draw tab, as the network "
                            "sees them. Misread ones, by the model you draw with, are framed "
                            "in red.")
                refresh = gr.Button("Refresh", size="sm", scale=0, elem_id="class-refresh")
            self.gallery = gr.HTML(elem_id="class-gallery")
        for event in (tab.select, refresh.click):
            event(self.show, state, self.gallery, api_visibility="private")

    def show(self, lab: Lab) -> str:
        """Counts and accuracy per digit over all the drawings; the newest of each shown."""
        reader = self.shared.reader(lab)
        try:
            labels, images = self.shared.classdata.digits()
        except Unreachable:
            return message_html(STORE_DOWN, "problem")
        read = (predict_labels(reader.predict, images.astype(np.float32) / 255.0) if len(labels)
                else labels)
        return class_drawings_html(labels, images, read, reader.name)
