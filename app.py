"""digitpad: draw a digit and watch a neural network read it.

    python app.py [--host 127.0.0.1] [--port 7860] [--model model/digitpad.keras] [--share]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gradio as gr
import numpy as np
from gradio import FileData

from digitpad.model import SHIPPED_MODEL, ModelError, load_model, make_predictor
from digitpad.preprocess import BadImage, NoInk
from digitpad.strokes import BRUSH_WIDTH, CANVAS_SIZE
from digitpad.views import enlarge, read_digit, result_html

ASSETS = Path(__file__).resolve().parent / "assets"
MAX_UPLOAD = "10mb"
CANVAS_BOX = 440  # on-screen size of the sketchpad, CSS pixels
PICK_BRUSH = """() => {
  // the sketchpad opens with no tool selected, and "Clear canvas" drops the brush again:
  // choose the brush on load and after each clear, so the next touch draws
  const brushSelector = '#sketchpad button[aria-label="Brush"]';
  const pick = (tries) => {
    const brush = document.querySelector(brushSelector);
    if (brush && brush.classList.contains('highlight')) return;
    if (brush) brush.click();
    if (tries > 0) setTimeout(() => pick(tries - 1), 50);
  };
  pick(200);
  document.addEventListener('click', (event) => {
    if (event.target.closest('#sketchpad button[aria-label="Clear canvas"]')) {
      setTimeout(() => pick(40), 50);
    }
  }, true);
}"""


def show(image, predict) -> tuple[str, np.ndarray | None]:
    """The result panel and the enlarged 28x28 for a canvas or an upload."""
    try:
        reading = read_digit(image, predict)
    except NoInk as e:
        return result_html(None, str(e)), None
    except BadImage as e:
        return result_html(None, f"{e} Try a PNG or JPEG of one digit."), None
    return result_html(reading), enlarge(reading.digit)


def build(predict) -> gr.Blocks:
    """The page: a Draw tab with a live sketchpad, the answer, and what the network sees."""

    def on_canvas(value: dict | None) -> tuple[str, np.ndarray | None]:
        return show(value, predict)

    def on_upload(path: str | None) -> tuple[str, np.ndarray | None]:
        return show(path, predict) if path else (result_html(None), None)

    def predict_file(image: FileData) -> dict[str, float]:
        """Ten probabilities, "0" to "9", for one image file of a handwritten digit."""
        try:
            reading = read_digit(image["path"], predict)
        except (NoInk, BadImage) as e:
            raise gr.Error(str(e)) from e
        return {str(d): round(float(p), 6) for d, p in enumerate(reading.probabilities)}

    with gr.Blocks(title="digitpad") as demo:
        gr.Markdown("# digitpad\nDraw a digit and watch a neural network read it.")
        with gr.Tab("Draw"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=0, min_width=CANVAS_BOX):
                    sketchpad = gr.Sketchpad(
                        canvas_size=(CANVAS_SIZE, CANVAS_SIZE), fixed_canvas=True,
                        brush=gr.Brush(default_size=BRUSH_WIDTH // 2, colors=["#000000"],
                                       color_mode="fixed"),
                        layers=False, transforms=(), type="numpy", show_label=False,
                        height=CANVAS_BOX, width=CANVAS_BOX, container=False,
                        elem_id="sketchpad")
                with gr.Column(scale=1):
                    result = gr.HTML(result_html(None), elem_id="result")
                    seen = gr.Image(label="What the network sees (28x28)", height=200,
                                    width=200, interactive=False, elem_id="seen",
                                    buttons=[])
            with gr.Accordion("Or upload a photo or scan of a digit", open=False):
                upload = gr.Image(type="filepath", sources=["upload", "clipboard"],
                                  label="Photo or scan", height=240, elem_id="upload")
                gr.Examples(sorted(str(p) for p in ASSETS.glob("example-*.png")), upload,
                            label="Examples")
        sketchpad.change(on_canvas, sketchpad, [result, seen], trigger_mode="always_last",
                         show_progress="hidden", api_visibility="private")
        upload.change(on_upload, upload, [result, seen], show_progress="hidden",
                      api_visibility="private")
        gr.api(predict_file, api_name="predict")
    return demo


CSS = (Path(__file__).resolve().parent / "assets" / "app.css").read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; 0.0.0.0 lets other machines in")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--share", action="store_true", help="also open a public share link")
    args = parser.parse_args(argv)
    try:
        predict = make_predictor(load_model(args.model))
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.host == "0.0.0.0":
        print(f"warning: listening on all interfaces; students open http://<this machine's "
              f"address>:{args.port}", file=sys.stderr)
    demo = build(predict)
    demo.queue(default_concurrency_limit=4)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, css=CSS,
                js=PICK_BRUSH, max_file_size=MAX_UPLOAD, show_error=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
