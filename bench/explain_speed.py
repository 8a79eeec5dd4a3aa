"""Server-side cost of the saliency maps for one drawing (all ten digits at once).

    python -m bench.explain_speed [--model model/digitpad.keras] [--runs 200]

Prints medians, with three references measured in the same run: the compiled forward pass
alone, one eager GradientTape over the ten-copy batch, and ten eager tapes (one per digit, as
the Bern tutorial's ten tf.gradients). Target: saliency <= 50 ms median.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from digitpad.explain import saliency
from digitpad.model import load_model, make_predictor
from digitpad.preprocess import preprocess
from digitpad.strokes import fit_to_canvas, render
from digitpad.views.inside import saliency_image
from tests.harness.classroom import FOUR
from tests.harness.timing import machine, median_ms, speed_args

TARGET_MS = 50.0


def main() -> None:
    args = speed_args(__doc__)
    print(machine())
    model = load_model(args.model)
    explain = saliency(model)
    predict = make_predictor(model)
    digit = preprocess(render(fit_to_canvas(FOUR)))
    x = tf.constant(digit[None])
    copies = tf.tile(x, [10, 1, 1])

    def eager_batched() -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(copies)
            own_class = tf.linalg.diag_part(model(copies, training=False))
        return tape.gradient(own_class, copies)

    def eager_per_class() -> list[tf.Tensor]:
        grads = []
        for k in range(10):
            with tf.GradientTape() as tape:
                tape.watch(x)
                probability = model(x, training=False)[0, k]
            grads.append(tape.gradient(probability, x))
        return grads

    grads = explain(digit)
    compiled = median_ms(lambda: explain(digit), args.runs)
    forward = median_ms(lambda: predict(digit[None]), args.runs)
    batched = median_ms(eager_batched, args.runs)
    per_class = median_ms(eager_per_class, max(10, args.runs // 10))
    pictures = median_ms(lambda: [saliency_image(digit, g) for g in grads], args.runs)
    print(f"saliency, 10 digits, compiled  {compiled:7.2f} ms median  (target <= "
          f"{TARGET_MS:.0f} ms: {'PASS' if compiled <= TARGET_MS else 'FAIL'})")
    print(f"ten saliency pictures          {pictures:7.2f} ms median")
    print(f"reference: forward pass alone  {forward:7.2f} ms median  "
          f"(saliency costs {compiled / forward:.1f}x a prediction)")
    print(f"reference: eager batched tape  {batched:7.2f} ms median  "
          f"({batched / compiled:.1f}x the compiled saliency)")
    print(f"reference: ten eager tapes     {per_class:7.2f} ms median  "
          f"({per_class / compiled:.1f}x the compiled saliency)")
    print(f"largest difference from the eager tapes: "
          f"{np.abs(np.concatenate(eager_per_class()) - grads).max():.2e} "
          f"(largest gradient {np.abs(grads).max():.2e})")


if __name__ == "__main__":
    main()
