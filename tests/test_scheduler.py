"""The class's trainings: real worker processes, real MNIST, real TensorFlow. A run's result does
not depend on who else trains; Stop and a diverging run touch only their own run; an idle worker
takes over a waiting run; the limits refuse plainly; a run nobody watches stops; the pace a
waiting line is told comes from the runs' own steps; a worker loads no Gradio; a run waiting
for the class's drawings, in a worker's first seconds, leaves the turn to the others (its
worker's run thread driven in this process)."""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import replace

import numpy as np
import pytest

from digitpad import scheduler as scheduling
from digitpad.classset import ClassSet
from digitpad.costs import expected_seconds
from digitpad.scheduler import Refused, Scheduler, Ticket, time_left
from digitpad.training import FIRST_STEPS, TrainConfig, mix_in
from digitpad.worker import FIRST_TURN, Baton, Stop, train_one
from tests.harness.server import REPO

SMALL = TrainConfig(learning_rate=1e-3, dropout=0.2, iterations=300, batch_size=64,
                    hidden=(64,), seed=5)
LONG = replace(SMALL, iterations=20_000)
RUN_TIMEOUT = 240  # seconds, on a busy 2-core machine


@pytest.fixture(scope="module")
def trainer(mnist_dir):
    scheduler = Scheduler(str(mnist_dir), None, workers=2)
    yield scheduler
    scheduler.close()


def watched(*tickets: Ticket, timeout: float = RUN_TIMEOUT) -> Ticket:
    """Wait for runs to end while looking at each, as their pages do; the first of them."""
    deadline = time.monotonic() + timeout
    while not all(t.finished.wait(0.05) for t in tickets):
        for ticket in tickets:
            ticket.watch()
        assert time.monotonic() < deadline, f"runs did not end in {timeout} s"
    return tickets[0]


def accuracy_of(ticket: Ticket, labels: np.ndarray) -> float:
    return float(np.mean(ticket.outcome.test_probabilities.argmax(axis=1) == labels))


def test_a_run_learns_the_same_alone_and_among_others(trainer, mnist):
    alone = watched(trainer.submit("me", SMALL))
    others = [trainer.submit(f"other {i}", config) for i, config in enumerate([
        replace(SMALL, learning_rate=1e-2, seed=1), replace(SMALL, dropout=0.5, seed=2),
        replace(SMALL, hidden=(), seed=3), replace(SMALL, hidden=(128, 64), seed=4),
        replace(SMALL, batch_size=32, iterations=500)])]
    among = trainer.submit("me", SMALL)
    watched(among, *others)
    assert alone.outcome.iterations_done == among.outcome.iterations_done == SMALL.iterations
    first, second = accuracy_of(alone, mnist.y_test), accuracy_of(among, mnist.y_test)
    assert first > 0.9
    assert abs(first - second) <= 0.003, (first, second)
    assert all(t.outcome is not None for t in others), [t.problem for t in others]


def test_stop_ends_only_its_own_run(trainer):
    first, second, third = (trainer.submit(f"person {i}", replace(LONG, seed=i))
                            for i in range(3))
    deadline = time.monotonic() + RUN_TIMEOUT
    while not second.progress:  # the newcomer's first report comes early
        assert time.monotonic() < deadline
        for ticket in (first, second, third):
            ticket.watch()
        time.sleep(0.2)
    second.stop()
    deadline = time.monotonic() + RUN_TIMEOUT
    while not second.finished.wait(0.2):
        assert time.monotonic() < deadline
        first.watch()
        third.watch()
    assert second.outcome.stopped_early and second.outcome.iterations_done < LONG.iterations
    assert not first.finished.is_set() and not third.finished.is_set()
    first.stop()
    third.stop()
    watched(first, third)
    assert first.outcome.stopped_early and third.outcome.stopped_early


def test_a_cheap_run_overtakes_dear_ones_waiting(trainer):
    """Pressed after three runs of the tutorial's network have begun, a run costing under a
    tenth of the tutorial's finishes while they all still train (how soon: bench.class_train)."""
    dear = [trainer.submit(f"dear {i}", replace(LONG, hidden=(512, 256, 128), batch_size=128,
                                                iterations=5000, seed=i)) for i in range(3)]
    cheap_config = replace(SMALL, hidden=(), batch_size=16, iterations=1000)
    assert expected_seconds(cheap_config) < expected_seconds(TrainConfig()) / 10
    deadline = time.monotonic() + RUN_TIMEOUT
    while not all(t.progress for t in dear):  # each has had its first turn
        assert time.monotonic() < deadline
        for ticket in dear:
            ticket.watch()
        time.sleep(0.2)
    cheap = trainer.submit("cheap", cheap_config)
    deadline = time.monotonic() + RUN_TIMEOUT
    while not cheap.finished.wait(0.2):
        assert time.monotonic() < deadline
        for ticket in dear:
            ticket.watch()
    assert cheap.outcome is not None and cheap.outcome.iterations_done == 1000, cheap.problem
    assert not any(t.finished.is_set() for t in dear)
    for ticket in dear:
        ticket.stop()
    watched(*dear)


def test_a_worker_left_idle_takes_over_a_run_waiting_on_the_other(trainer):
    """Two dear runs share one worker; when the other worker's run stops, the one still waiting
    moves there, starts over without repeating its first curve point, and finishes."""
    tutorial = replace(SMALL, hidden=(512, 256, 128), batch_size=128)
    first = trainer.submit("first", replace(tutorial, iterations=1500, seed=1))
    other = trainer.submit("other", replace(tutorial, iterations=2500, seed=2))
    waiting = trainer.submit("waiting", replace(tutorial, iterations=1800, seed=3))
    assert (first.worker, other.worker, waiting.worker) == (0, 1, 0)
    deadline = time.monotonic() + RUN_TIMEOUT
    while not all(t.progress for t in (first, other, waiting)):
        assert time.monotonic() < deadline
        for ticket in (first, other, waiting):
            ticket.watch()
        time.sleep(0.2)
    assert waiting.worker == 0, "moved while both workers had work"
    other.stop(keep=False)
    watched(first, other, waiting)
    assert waiting.worker == 1
    assert waiting.outcome is not None, waiting.problem
    assert waiting.outcome.iterations_done == 1800
    done = [p.iteration for p in waiting.progress]
    assert done[0] == FIRST_STEPS and done == sorted(set(done)), done
    assert first.outcome.iterations_done == 1500


def test_a_diverging_run_fails_alone(trainer):
    wild = trainer.submit("wild", replace(SMALL, learning_rate=10.0, dropout=0.0,
                                          hidden=(512, 256, 128)))
    calm = trainer.submit("calm", SMALL)
    watched(wild, calm)
    assert "learning rate too high" in wild.problem and wild.problem_kind == "problem"
    assert calm.outcome.iterations_done == SMALL.iterations


def test_limits_refuse_with_a_plain_sentence(trainer, monkeypatch):
    with pytest.raises(Refused, match="minutes here"):
        trainer.submit("big", replace(SMALL, iterations=20_000, batch_size=1024,
                                      hidden=(1500,)))
    first = trainer.submit("busy", LONG)
    try:
        with pytest.raises(Refused, match="already have a run"):
            trainer.submit("busy", SMALL)
        monkeypatch.setattr(scheduling, "QUEUE_LIMIT", 1)
        with pytest.raises(Refused, match="its limit"):
            trainer.submit("newcomer", SMALL)
    finally:
        first.stop()
        watched(first)


def test_the_class_drawings_teach_what_mnist_lacks(trainer, mnist):
    """Digits turned on their side, a style MNIST lacks, stand in for a class's drawings: a run
    that trains with them reads the held-out ones far better, and MNIST as well as before."""
    sideways = np.rot90(mnist.x_test[:700], axes=(1, 2)).copy()
    labels = mnist.y_test[:700]
    drawings = ClassSet(sideways[:600], labels[:600], sideways[600:], labels[600:])
    config = replace(SMALL, iterations=800, batch_size=128, hidden=(128,))
    without = trainer.submit("a", config, replace(drawings, x_train=sideways[:0],
                                                  y_train=labels[:0]))
    with_them = trainer.submit("b", config, drawings)
    watched(without, with_them)
    held = [float(np.mean(t.outcome.class_probabilities.argmax(axis=1) == labels[600:]))
            for t in (without, with_them)]
    assert held[1] > held[0] + 0.2, held
    assert accuracy_of(with_them, mnist.y_test) > 0.9


def test_mixing_in_gives_the_share_asked_for(mnist):
    extra = mnist.x_test[:300]
    mixed = mix_in(mnist, extra, mnist.y_test[:300], 1 / 8)
    added = len(mixed.x_train) - len(mnist.x_train)
    assert added % 300 == 0 and abs(added / len(mixed.x_train) - 1 / 8) < 0.01
    assert np.array_equal(mixed.x_train[-300:], extra)
    assert mix_in(mnist, extra[:0], mnist.y_test[:0], 1 / 8) is mnist


def test_a_run_nobody_watches_stops_within_seconds(trainer):
    left = trainer.submit("gone", LONG)
    assert left.finished.wait(scheduling.WATCH_SECONDS + 5), "still training, unwatched"
    assert left.outcome is None or left.outcome.stopped_early


def test_the_pace_comes_from_the_runs_own_steps_not_their_waits(trainer):
    """Four equal runs on two workers: on each, one trains while the other waits for all of it.
    The pace that estimates every waiting time follows the steps' own time, not the wait."""
    trainer.pace = 1.0
    config = replace(SMALL, iterations=1000)
    runs = [trainer.submit(f"pace {i}", replace(config, seed=i)) for i in range(4)]
    watched(*runs)
    expected = expected_seconds(config)
    finals = [run.progress[-1].step_seconds / expected for run in runs]  # each run's own pace
    waited = max(run.progress[-1].seconds / run.progress[-1].step_seconds for run in runs)
    assert waited > 1.5  # a run's clock holds its wait behind the other
    assert trainer.pace <= 1.25 * max(finals), (trainer.pace, finals)


def test_a_workers_first_run_loads_no_gradio(tmp_path):
    """A run's start message carries the class's drawings; unpickling them once imported Gradio
    in the worker, two seconds before each worker's first run of a class could begin."""
    digits, labels = np.zeros((2, 28, 28), np.uint8), np.arange(2, dtype=np.uint8)
    mixed = ClassSet(digits, labels, digits, labels)
    start = tmp_path / "start.pickle"
    start.write_bytes(pickle.dumps(("start", 1, (SMALL, mixed, False))))
    loads = ("import pickle, sys; import digitpad.worker; "
             "import digitpad.data, digitpad.scoring, digitpad.training, digitpad.pen_digits; "
             f"pickle.loads(open({str(start)!r}, 'rb').read()); print(sorted(sys.modules))")
    modules = subprocess.run([sys.executable, "-c", loads], capture_output=True, text=True,
                             cwd=REPO, timeout=300, check=True)
    assert "digitpad.classset" in modules.stdout  # what the message needed came in
    assert "'gradio'" not in modules.stdout


class Drawing(Future):
    """The class's drawings a worker is still drawing: it says when a run first asks for them."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()

    def result(self, timeout: float | None = None):
        self.asked.set()
        return super().result(timeout)


def test_a_run_waiting_for_the_drawings_lets_the_others_compute(mnist):
    """A run trained before its worker has drawn the class's drawings (its first seconds) waits
    for them to be scored on without holding the turn: a run pressed meanwhile computes."""
    drawings, baton, sent = Drawing(), Baton(), []
    task = (replace(SMALL, iterations=20), None, False)
    run = threading.Thread(target=train_one, args=(
        1, task, mnist, drawings, baton, {1: Stop()}, sent.append), daemon=True)
    run.start()
    assert drawings.asked.wait(RUN_TIMEOUT), sent
    other = threading.Thread(target=baton.take, args=(2, (FIRST_TURN, 2)), daemon=True)
    other.start()
    other.join(RUN_TIMEOUT)
    assert not other.is_alive(), "the waiting run kept the turn"
    baton.give_back(2)
    drawings.set_result(None)
    run.join(RUN_TIMEOUT)
    assert [kind for kind, _, _ in sent][-1] == "done", sent[-1]
    assert sent[-1][2].test_probabilities.shape == (10_000, 10)


def test_time_left_is_said_to_the_next_five_seconds():
    assert time_left(3.2) == "a few seconds left"
    assert time_left(41.0) == "about 45 s left"
    assert time_left(45.0) == "about 45 s left"
    assert time_left(130.4) == "about 135 s left"
