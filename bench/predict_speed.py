"""Server-side cost of one drawing: preprocessing an 800x800 RGBA canvas plus the model, and
what the app does for each stroke on its drawing pad (draw the strokes, preprocess, model).

    python bench/predict_speed.py [--model model/digitpad.keras] [--runs 200]

Prints medians, with TensorFlow's compiled forward pass and `model.predict` on the same input
as the in-run references.
Targets: preprocessing <= 5 ms median; preprocessing + model <= 5 ms median.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.model import (  # noqa: E402
    SHIPPED_MODEL,
    load_model,
    make_frozen_predictor,
    make_predictor,
)
from digitpad.preprocess import preprocess  # noqa: E402
from digitpad.reading import read_digit, read_drawing  # noqa: E402
from digitpad.strokes import fit_to_canvas, render  # noqa: E402

FOUR = [[[0.6, 0.0], [0.1, 0.65], [0.8, 0.65]], [[0.55, 0.3], [0.55, 1.0]]]


def median_ms(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of fn over runs calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def canvas_800() -> dict:
    """A Gradio sketchpad value: an 800x800 RGBA composite, a '4' in black on white."""
    rgb = render(fit_to_canvas(FOUR, canvas_size=800), canvas_size=800, brush_width=56)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    return {"background": rgba, "layers": [rgba], "composite": rgba}


def speed_args(description: str) -> argparse.Namespace:
    """The speed benches' flags: which model, how many timed calls."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--runs", type=int, default=200)
    return parser.parse_args()


def main() -> None:
    args = speed_args(__doc__)
    model = load_model(args.model)
    predict = make_frozen_predictor(model)
    compiled = make_predictor(model)
    value = canvas_800()
    digit = preprocess(value)[None]
    pre = median_ms(lambda: preprocess(value), args.runs)
    forward = median_ms(lambda: predict(digit), args.runs)
    whole = median_ms(lambda: read_digit(value, predict), args.runs)
    whole_compiled = median_ms(lambda: read_digit(value, compiled), args.runs)
    strokes = [s.round(1).tolist() for s in fit_to_canvas(FOUR)]
    pad = median_ms(lambda: read_drawing(strokes, predict), args.runs)
    forward_compiled = median_ms(lambda: compiled(digit), args.runs)
    keras_predict = median_ms(lambda: model.predict(digit, verbose=0), max(10, args.runs // 10))
    direct = median_ms(lambda: model(digit, training=False), args.runs)
    print(f"preprocess 800x800 RGBA     {pre:7.2f} ms median  (target <= 5 ms: "
          f"{'PASS' if pre <= 5 else 'FAIL'})")
    print(f"forward pass, one drawing   {forward:7.2f} ms median")
    print(f"preprocess + model          {whole:7.2f} ms median  (target <= 5 ms: "
          f"{'PASS' if whole <= 5 else 'FAIL'})")
    print(f"pad strokes + preprocess + model {pad:7.2f} ms median  (target "
          f"<= 5 ms: {'PASS' if pad <= 5 else 'FAIL'})")
    print(f"reference: TensorFlow's compiled forward pass {forward_compiled:7.2f} ms median "
          f"({forward_compiled / forward:.1f}x); with preprocessing {whole_compiled:7.2f} ms "
          f"({whole_compiled / whole:.1f}x)")
    print(f"reference: model.predict    {keras_predict:7.2f} ms median  "
          f"({keras_predict / forward:.0f}x)")
    print(f"reference: model(x) eager   {direct:7.2f} ms median  ({direct / forward:.1f}x)")

if __name__ == "__main__":
    main()
