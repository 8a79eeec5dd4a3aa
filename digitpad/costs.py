"""What a run costs, from its settings alone: the server refuses runs that cost too much, and
each worker trains the run with the least left first, so a cheap run is not kept waiting behind
dear ones (shortest remaining first also finishes runs one after another, not all at the end)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitpad.knobs import TrainConfig

# measured here on one thread (docs/measurements.md): a step of the tutorial's run about 4.4 ms,
# of a softmax regression 0.74 ms with 128 digits and 0.32 ms with 16
SECONDS_PER_UNIT = 6e-11  # a step's arithmetic: seconds per (digit x multiply-add)
DIGIT_SECONDS = 4e-6  # a digit's cost beyond the arithmetic: drawn, converted, scored
STEP_SECONDS = 3e-4  # a step's cost beyond its digits
AUGMENT_COST = 1.6  # augmented steps cost this much more


def multiply_adds(hidden: tuple[int, ...]) -> int:
    """Multiply-adds of the network's forward pass for one digit: 784 pixels in, 10 scores out."""
    sizes = [784, *hidden, 10]
    return sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))


def step_seconds(config: TrainConfig) -> float:
    """A rough time for one training step of the run here."""
    digit = multiply_adds(config.hidden) * SECONDS_PER_UNIT + DIGIT_SECONDS
    step = config.batch_size * digit + STEP_SECONDS
    return step * (AUGMENT_COST if config.augment else 1.0)


def expected_seconds(config: TrainConfig, done: int = 0) -> float:
    """A rough time for the run's iterations after the first `done`, here."""
    return max(0, config.iterations - done) * step_seconds(config)
