"""Server-side cost of one drawing as the pad sends it: check the strokes, draw them, preprocess,
model. For a real pen-drawn digit, the same digit at the pad's densest, the dearest drawings the
checks allow, and the largest uploads allowed.

    python -m bench.predict_speed [--model model/digitpad.keras] [--runs 200]

Prints medians, with TensorFlow's compiled forward pass and `model.predict` on the same input
as the in-run references.
Targets: a real digit, strokes to answer, <= 5 ms median; the dearest drawing allowed <= 50 ms.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from digitpad.data import SHIPPED_DRAWINGS as DRAWINGS
from digitpad.model import (
    load_model,
    make_frozen_predictor,
    make_predictor,
)
from digitpad.preprocess import (
    MAX_JPEG_PIXELS,
    MAX_PIXELS,
    NoInk,
    preprocess,
)
from digitpad.reading import drawing_digit
from digitpad.strokes import (
    fit_to_canvas,
    line_length,
    load_strokes,
    pad_strokes,
)
from tests.harness.drawings import as_sent, densest, most_points_and_line, scattered
from tests.harness.server import REPO
from tests.harness.timing import machine, median_ms, speed_args

SEVEN = REPO / "assets" / "example-7-paper.png"


def dearest_drawing_ms(answer: Callable[[list], None], runs: int) -> float:
    """Print what the dearest drawings the checks allow cost to answer; the largest median."""
    worst = []
    for name, strokes in [("random points all over the canvas", scattered()),
                          ("most points and most line at once", most_points_and_line())]:
        worst.append(median_ms(lambda strokes=strokes: answer(strokes), runs))
        print(f"dearest allowed: {name}, {len(strokes)} strokes, "
              f"{sum(map(len, strokes))} points, {line_length(pad_strokes(strokes)):,.0f} px "
              f"of line: {worst[-1]:6.2f} ms median")
    return max(worst)


def largest_uploads_ms(runs: int = 5) -> dict[str, float]:
    """Median preprocess time of the 7 on paper as the largest PNG (RGBA, the dearest PNG) and
    the largest JPEG allowed, written to a temporary folder."""
    times = {}
    with tempfile.TemporaryDirectory() as folder, Image.open(SEVEN) as seven:
        side = int(MAX_PIXELS ** 0.5)
        png = Path(folder) / "largest.png"
        seven.convert("RGBA").resize((side, side)).save(png, compress_level=1)
        times[f"PNG {side}x{side}"] = median_ms(lambda: preprocess(png), runs)
        width, height = int((MAX_JPEG_PIXELS * 4 / 3) ** 0.5), int((MAX_JPEG_PIXELS * 3 / 4) ** 0.5)
        jpeg = Path(folder) / "largest.jpg"
        seven.convert("RGB").resize((width, height)).save(jpeg, quality=90)
        times[f"JPEG {width}x{height}"] = median_ms(lambda: preprocess(jpeg), runs)
    return times


def main() -> None:
    args = speed_args(__doc__)
    print(machine())
    model = load_model(args.model)
    predict = make_frozen_predictor(model)
    compiled = make_predictor(model)

    def answer(strokes: list, predict: Callable[[np.ndarray], np.ndarray] = predict) -> None:
        """What the app does with the pad's value: check, draw, preprocess, model."""
        try:
            digit = drawing_digit(strokes)
        except NoInk:
            return
        predict(digit[None])

    record = load_strokes(DRAWINGS)[0]
    real = as_sent(fit_to_canvas(record["strokes"]))
    dense = as_sent([densest(s) for s in fit_to_canvas(record["strokes"])])
    digit = drawing_digit(real)[None]
    whole = median_ms(lambda: answer(real), args.runs)
    whole_compiled = median_ms(lambda: answer(real, compiled), args.runs)
    forward = median_ms(lambda: predict(digit), args.runs)
    forward_compiled = median_ms(lambda: compiled(digit), args.runs)
    keras_predict = median_ms(lambda: model.predict(digit, verbose=0), max(10, args.runs // 10))
    direct = median_ms(lambda: model(digit, training=False), args.runs)
    points = sum(map(len, real))
    print(f"a pen-drawn {record['label']}, {len(real)} strokes, {points} points: strokes to "
          f"answer {whole:6.2f} ms median  (target <= 5 ms: {'PASS' if whole <= 5 else 'FAIL'})")
    print(f"  the same at the pad's densest, {sum(map(len, dense))} points     "
          f"{median_ms(lambda: answer(dense), args.runs):6.2f} ms median")
    print(f"  forward pass alone          {forward:6.2f} ms median")
    dearest = dearest_drawing_ms(answer, max(10, args.runs // 10))
    print(f"  dearest allowed drawing     {dearest:6.2f} ms median  (target <= 50 ms: "
          f"{'PASS' if dearest <= 50 else 'FAIL'})")
    for name, upload in largest_uploads_ms().items():
        print(f"largest upload allowed, {name}: preprocess {upload:7.1f} ms median")
    print(f"reference: TensorFlow's compiled forward pass {forward_compiled:7.2f} ms median "
          f"({forward_compiled / forward:.1f}x); strokes to answer with it {whole_compiled:7.2f} "
          f"ms ({whole_compiled / whole:.1f}x)")
    print(f"reference: model.predict    {keras_predict:7.2f} ms median  "
          f"({keras_predict / forward:.0f}x)")
    print(f"reference: model(x) eager   {direct:7.2f} ms median  ({direct / forward:.1f}x)")


if __name__ == "__main__":
    main()
