"""What the view inside the network costs the server, in one process: a stroke's answer with
the view's layers against the same answer without them, and a tap on a unit, against that same
plain answer as the reference.

    python -m bench.view_cost [--model model/digitpad.keras] [--repeats 200] [--runs 5]

Times, for the pad's 4 and 1 in turn: the plain answer (read the strokes, the answer panels'
HTML), the answer with the view (api.pad_answer: the same pass keeping every layer, and the
layers as bytes with the strongest paths), and a tap (api.unit_answer on a random unit: its
weights and nine top digits as inline PNGs). Prints each one's median over --runs runs of
--repeats calls, in ms and as a ratio to the plain answer, with the CPU model and the JSON
sizes of the answers. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from digitpad.api import pad_answer, unit_answer
from digitpad.data import load_mnist
from digitpad.model import load_model
from digitpad.network_view import unit_sample
from digitpad.reading import Reader, read_drawing
from digitpad.views.draw import answer_panels
from tests.harness.classroom import pad_drawings
from tests.harness.server import MODEL, REPO
from tests.harness.timing import machine


def per_call_ms(work: Callable[[int], object], repeats: int) -> float:
    """Mean ms a call over repeats calls (call i gets i)."""
    began = time.perf_counter()
    for i in range(repeats):
        work(i)
    return 1000 * (time.perf_counter() - began) / repeats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(machine())
    reader = Reader("the shipped model", load_model(REPO / args.model),
                    unit_sample(load_mnist())).traced(("predict", "unit_digits"))
    drawings = pad_drawings()
    bodies = [json.dumps({"strokes": d}).encode() for d in drawings]
    units = [len(bias) for _, bias in reader.weights]
    rng = np.random.default_rng(0)
    taps = [json.dumps({"layer": int(layer) + 1, "unit": int(rng.integers(units[layer]))})
            .encode() for layer in rng.integers(len(units), size=args.repeats)]
    cases = {
        "plain answer (reference)": lambda i: answer_panels(
            read_drawing(drawings[i % 2], reader.predict), True),
        "answer with the view": lambda i: pad_answer("json", bodies[i % 2], reader, True),
        "tap on a unit": lambda i: unit_answer(taps[i], reader),
    }
    timed = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, work in cases.items():
            timed[name].append(per_call_ms(work, args.repeats))
    reference = statistics.median(timed["plain answer (reference)"])
    for name, runs in timed.items():
        ms = statistics.median(runs)
        print(f"{name:26s} {ms:7.2f} ms median of {args.runs} runs  {ms / reference:5.2f} x")
    plain = len(json.dumps(answer_panels(read_drawing(drawings[0], reader.predict), True)))
    full = pad_answer("json", bodies[0], reader, True)
    print(f"answer size: {plain} bytes plain, {len(json.dumps(full))} with the view "
          f"({len(json.dumps(full['network']))} for the view's {sum(units) + 784} units)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
