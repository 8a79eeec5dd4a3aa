"""How often the network is right at each level of its own certainty: the figures behind the Draw
tab's wording (views/draw.py: SURE, LOOKS_LIKE_NOTHING).

    python -m bench.confidence [--model model/digitpad.keras]

For every pen-drawn digit in data/pendigits-dev.json.gz (drawn as the pad draws them) and the
10,000 MNIST test digits: the top probability the model gives, and whether that digit is right.
Prints, by band of top probability, the share of digits in the band and how many of them are read
right; then the accuracy above and below each threshold the page uses. Last, the top probability
of shapes that are no digit at all (bars, crosses, boxes, spirals, random scribbles), as the pad
draws them.
"""

from __future__ import annotations

import argparse

import numpy as np

from digitpad.data import SHIPPED_DRAWINGS, load_mnist
from digitpad.model import SHIPPED_MODEL, load_model, make_predictor
from digitpad.preprocess import NoInk
from digitpad.reading import drawing_digit
from digitpad.scoring import predict_all, stroke_digits
from digitpad.strokes import load_strokes
from digitpad.views.draw import LOOKS_LIKE_NOTHING, SURE
from tests.harness.timing import machine

BANDS = [0.0, 0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 0.97, 1.01]


def top_and_right(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each digit's top probability, and whether its likeliest digit is the label."""
    return probabilities.max(axis=1), probabilities.argmax(axis=1) == labels


def report(name: str, top: np.ndarray, right: np.ndarray) -> None:
    print(f"\n{name}: {len(top):,} digits, {right.mean():.1%} read right")
    print("top probability   share of digits   read right")
    for low, high in zip(BANDS, BANDS[1:], strict=False):
        inside = (top >= low) & (top < high)
        if inside.any():
            print(f"  {low:4.2f} to {min(high, 1):4.2f}     {inside.mean():7.2%}          "
                  f"{right[inside].mean():6.1%}  ({inside.sum():,})")
    for threshold in (SURE, LOOKS_LIKE_NOTHING):
        above, below = top >= threshold, top < threshold
        print(f"  at or above {threshold:.0%}: {right[above].mean():.1%} right "
              f"({above.mean():.1%} of digits); below: "
              f"{right[below].mean() if below.any() else float('nan'):.1%} right "
              f"({below.mean():.1%})")


def no_digits(count: int = 40) -> list[list[np.ndarray]]:
    """Shapes that are no digit, in canvas pixels: bars, crosses, boxes, spirals, then random
    scribbles (a fixed seed)."""
    t = np.linspace(0, 6 * np.pi, 60)
    shapes = [[np.array([[120.0, y], [280.0, y]])] for y in (120, 200, 280)]
    shapes += [[np.array([[120.0, 120.0], [280.0, 280.0]]), np.array([[280.0, 120.0],
                                                                       [120.0, 280.0]])]]
    shapes += [[np.array([[120.0, 120], [280, 120], [280, 280], [120, 280], [120, 120]])]]
    shapes += [[np.column_stack([200 + 3 * t * np.cos(t), 200 + 3 * t * np.sin(t)])]]
    shapes += [[np.array([[100.0 + 25 * i, 150 + 100 * (i % 2)] for i in range(9)])]]
    rng = np.random.default_rng(0)
    while len(shapes) < count:
        walk = np.cumsum(rng.normal(0, 25, size=(30, 2)), axis=0) + 200
        shapes.append([np.clip(walk, 40, 360)])
    return shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    args = parser.parse_args()
    print(machine())
    predict = make_predictor(load_model(args.model))
    records = load_strokes(SHIPPED_DRAWINGS)
    labels = np.array([r["label"] for r in records])
    report("pen-drawn digits (pendigits dev set)",
           *top_and_right(predict_all(predict, stroke_digits(records)), labels))
    data = load_mnist()
    report("MNIST test", *top_and_right(predict_all(predict, data.x_test), data.y_test))
    tops = []
    for shape in no_digits():
        try:
            tops.append(float(predict(drawing_digit([s.tolist() for s in shape])[None])[0].max()))
        except NoInk:
            continue
    tops = np.array(tops)
    print(f"\nshapes that are no digit: {len(tops)}; top probability median {np.median(tops):.0%}; "
          f"below {SURE:.0%}: {(tops < SURE).mean():.0%}, below {LOOKS_LIKE_NOTHING:.0%}: "
          f"{(tops < LOOKS_LIKE_NOTHING).mean():.0%}")
    print("  " + " ".join(f"{top:.0%}" for top in sorted(tops)))


if __name__ == "__main__":
    main()
