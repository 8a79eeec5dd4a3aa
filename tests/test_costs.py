"""A run's cost from its settings: what the scheduler orders runs by and refuses dear ones by."""

from dataclasses import replace

from digitpad.costs import expected_seconds, multiply_adds
from digitpad.knobs import TrainConfig

TUTORIAL = TrainConfig()  # 512-256-128, 1000 iterations of 128


def test_multiply_adds_count_every_layer_from_pixels_to_scores():
    assert multiply_adds(()) == 784 * 10
    assert multiply_adds((512, 256, 128)) == 784 * 512 + 512 * 256 + 256 * 128 + 128 * 10


def test_a_run_costs_more_with_more_iterations_digits_units_or_distortion():
    tutorial = expected_seconds(TUTORIAL)
    for dearer in (replace(TUTORIAL, iterations=2000), replace(TUTORIAL, batch_size=256),
                   replace(TUTORIAL, hidden=(1500,)), replace(TUTORIAL, augment=True)):
        assert expected_seconds(dearer) > tutorial, dearer


def test_what_is_left_shrinks_with_the_iterations_done():
    tutorial = expected_seconds(TUTORIAL)
    assert expected_seconds(TUTORIAL, 500) == tutorial / 2
    assert expected_seconds(TUTORIAL, 1000) == expected_seconds(TUTORIAL, 1200) == 0


def test_small_steps_cost_more_than_their_arithmetic():
    """A softmax regression's arithmetic is 1/72 of the tutorial's; its steps are not."""
    softmax = replace(TUTORIAL, hidden=())
    assert expected_seconds(TUTORIAL) / 10 < expected_seconds(softmax) < expected_seconds(TUTORIAL)
    assert expected_seconds(replace(softmax, batch_size=16)) < expected_seconds(TUTORIAL) / 10
