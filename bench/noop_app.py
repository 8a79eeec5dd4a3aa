"""A Gradio app whose /predict takes an image file like app.py's and does nothing with it.

    python bench/noop_app.py --port PORT

What Gradio's upload, queue and streaming cost on their own: `python -m bench.load --noop`
measures a class against it, the ceiling any work inside /predict can only lower.
"""

from __future__ import annotations

import argparse
import os

import gradio as gr
from gradio import FileData


def predict(image: FileData) -> dict[str, float]:
    """Ten equal probabilities, whatever the image."""
    return {str(d): 0.1 for d in range(10)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--model", help="accepted so it starts like app.py; unused")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")  # as app.py does
    with gr.Blocks() as demo:
        gr.api(predict, api_name="predict")
    demo.queue(default_concurrency_limit=4)  # as app.py does
    demo._queue.sleep_when_free = 0.01  # as app.py does (QUEUE_LOOK_SECONDS)
    demo.launch(server_name="127.0.0.1", server_port=args.port)


if __name__ == "__main__":
    main()
