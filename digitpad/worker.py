"""A training worker: a process of its own that trains the runs the Scheduler sends it.

Its first act, on import, is to tie its life to the server's. Its top level imports only the
standard library, so that this happens before anything slow: TensorFlow and MNIST load in
worker_main, and a server stopped meanwhile must not leave a worker of hundreds of MB behind.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from digitpad.classset import ClassSet
    from digitpad.training import Progress, TrainConfig, TrainResult

log = logging.getLogger(__name__)

SERVER_PID = "DIGITPAD_SERVER_PID"  # set by the Scheduler: the pid of the server a worker serves
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_CHECK_SECONDS = 1.0  # where the kernel cannot end a worker, it checks this often itself
CLASS_SHARE = 1 / 8  # of each minibatch from the class's drawings, when a run includes them
HURRY, FIRST_TURN, SCORING, TRAINING = range(4)  # who computes next in a worker: lowest first
SCORE_SLICE = 2500  # a finished run scores this many digits per turn


def end_with_server() -> bool:
    """In a worker, ask Linux to SIGKILL this process when its server ends, however it ends;
    exit at once if the server has already gone. True if the kernel will see to it.

    multiprocessing's spawn starts a worker as `python -c ... --multiprocessing-fork`, which
    imports this module while unpickling worker_main: before worker_main's arguments arrive,
    hence the server's pid in an environment variable (which the server's other children, not
    started that way, ignore). A server that ended before the prctl call has left this process
    to a new parent, which the pid check catches. Linux sends the signal when the thread that
    started the worker ends: the Scheduler's threads that do last as long as the server."""
    server = os.environ.get(SERVER_PID)
    if server is None or "--multiprocessing-fork" not in sys.orig_argv:
        return False  # imported by the server itself, or by anything else: not a worker
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        done = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        done = False
    if os.getppid() != int(server):
        os._exit(0)
    return done


KERNEL_ENDS_WORKER = end_with_server()


def exit_with_server(server: int) -> None:
    """Where the kernel cannot (not Linux): end this worker once its server (pid) is gone."""
    while os.getppid() == server:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


@dataclass
class Outcome:
    """What a worker sends back for a finished run: weights, curves and test probabilities."""

    weights: list[np.ndarray]
    iterations_done: int
    train_seconds: float
    val_accuracy: float
    stopped_early: bool
    history: list[Progress]
    test_probabilities: np.ndarray
    drawing_probabilities: np.ndarray | None
    class_probabilities: np.ndarray | None  # on the class's held-out drawings, if any

    @classmethod
    def of(cls, result: TrainResult, test: np.ndarray, drawings: np.ndarray | None,
           held: np.ndarray | None) -> Outcome:
        """A finished run as it travels: a Keras model does not cross processes, its weights do."""
        import numpy as np

        return cls([np.asarray(w) for w in result.model.get_weights()], result.iterations_done,
                   result.train_seconds, result.val_accuracy, result.stopped_early,
                   result.history, test, drawings, held)

    def result(self, config: TrainConfig) -> TrainResult:
        """The run's TrainResult again, its model rebuilt from the weights."""
        from digitpad.model import build_mlp
        from digitpad.training import TrainResult

        model = build_mlp(config.hidden, config.dropout)
        model.set_weights(self.weights)
        return TrainResult(model, config, self.iterations_done, self.train_seconds,
                           self.val_accuracy, self.stopped_early, self.history)


class Moved(Exception):
    """A waiting run was handed to another worker: its thread here ends without a word."""


class Baton:
    """Lets one run of this worker compute at a time, and chooses which goes next."""

    def __init__(self) -> None:
        self.turns = threading.Condition()
        self.holder: int | None = None
        self.waiting: dict[int, tuple] = {}  # run number -> its place: lowest goes first
        self.fresh: set[int] = set()  # runs that have not trained beyond their first report
        self.moved: set[int] = set()  # handed to another worker: their threads here end on waking

    def take(self, number: int, place: tuple) -> None:
        with self.turns:
            self.waiting[number] = place
            while self.holder is not None or min(self.waiting, key=self.waiting.get) != number:
                self.turns.wait()
                if number in self.moved:
                    self.moved.discard(number)
                    raise Moved
            del self.waiting[number]
            self.holder = number

    def give_back(self, number: int) -> None:
        with self.turns:
            if self.holder == number:
                self.holder = None
                self.turns.notify_all()

    def pass_on(self, number: int, place: tuple) -> None:
        """Give the turn back, and wait for the next one from this place."""
        self.give_back(number)
        self.take(number, place)

    def hand_over(self, number: int) -> bool:
        """Let another worker train a run that waits here having done no more than its first
        steps (it starts over there, a fraction of a second lost); False if it has gone further."""
        with self.turns:
            if number not in self.waiting or number not in self.fresh:
                return False
            del self.waiting[number]
            self.fresh.discard(number)
            self.moved.add(number)
            self.turns.notify_all()
            return True

    def hurry(self, number: int) -> None:
        """A stopped run goes next: it only has to wrap up."""
        with self.turns:
            if number in self.waiting:
                self.waiting[number] = (HURRY, number)
                self.turns.notify_all()


@dataclass
class Stop:
    """A run's Stop, on the worker's side: pressed by its person, or for want of anyone."""

    pressed: threading.Event = field(default_factory=threading.Event)
    keep: bool = True  # score and send what it learned


def worker_main(inbox: Any, outbox: Any, data_dir: str | None, drawings: str | None,
                threads: int, server: int) -> None:
    """A training process: MNIST loaded once, a thread per run, one run computing at a time."""
    os.nice(5)  # the server's own requests come first, three to one when both want a core
    if not KERNEL_ENDS_WORKER:
        threading.Thread(target=exit_with_server, args=(server,), daemon=True).start()
    from digitpad.quiet import import_tensorflow_quietly

    import_tensorflow_quietly(threads)
    from digitpad.data import load_mnist
    from digitpad.scoring import load_drawings
    from digitpad.training import TrainConfig, train

    data = load_mnist(data_dir)
    warm_up = TrainConfig(iterations=10)  # the tutorial's run, briefly
    train(warm_up, data)  # the first person's run then finds its step traced, its memory grown
    outbox.put(("ready", 0, None))
    # drawn after "ready", on a thread: a run needs them only once it is trained, to be scored
    drawn = ThreadPoolExecutor(1).submit(load_drawings, drawings)
    baton, stops = Baton(), {}
    for kind, number, detail in iter(inbox.get, None):
        if kind == "start":
            stops[number] = Stop()
            threading.Thread(target=train_one, daemon=True,
                             args=(number, detail, data, drawn, baton, stops,
                                   outbox.put)).start()
        elif kind == "give":
            outbox.put(("given" if baton.hand_over(number) else "kept", number, None))
        elif number in stops:
            stops[number].keep = detail
            stops[number].pressed.set()
            baton.hurry(number)


def training_set(data: Any, config: TrainConfig, mixed: ClassSet | None) -> Any:
    """MNIST with what a run asked to learn from too: the class's drawings, as CLASS_SHARE of
    each minibatch, and pen-drawn digits."""
    from digitpad.pen_digits import with_pen_digits
    from digitpad.training import mix_in

    if mixed is not None:
        data = mix_in(data, mixed.x_train, mixed.y_train, CLASS_SHARE)
    return with_pen_digits(data, config)


def train_one(number: int, task: tuple[TrainConfig, ClassSet | None, bool], data: Any,
              drawings: Future, baton: Baton, stops: dict[int, Stop],
              send: Callable[[tuple], None]) -> None:
    """Train one run in turns with the others; send its progress and its outcome. A run moved
    here from another worker has shown its first curve point there: it takes no first turn."""
    import numpy as np

    from digitpad.costs import expected_seconds
    from digitpad.training import FIRST_STEPS, ConfigError, Diverged, train

    config, mixed, moved = task

    def report(progress: Progress) -> None:  # then a run with less work left goes first
        send(("progress", number, progress))
        if progress.iteration > FIRST_STEPS:
            baton.fresh.discard(number)
        baton.pass_on(number, (TRAINING, expected_seconds(config, progress.iteration), number))

    def score(images: np.ndarray) -> np.ndarray:
        """The finished run's readings, a slice at a time: a run pressed meanwhile takes its
        first turn between slices instead of waiting for the whole test set."""
        parts = []
        for start in range(0, len(images), SCORE_SLICE):
            baton.pass_on(number, (SCORING, number))
            parts.append(result.predict(images[start:start + SCORE_SLICE]))
        return np.concatenate(parts)

    stop = stops[number]
    baton.fresh.add(number)
    try:
        baton.take(number, (TRAINING, expected_seconds(config), number) if moved
                   else (FIRST_TURN, number))
        if stop.pressed.is_set():
            send(("failed", number, ("Stopped before it started.", "problem")))
            return
        result = train(config, training_set(data, config, mixed), report, stop.pressed.is_set)
        if not stop.keep:
            send(("failed", number, ("Stopped: nobody was watching it.", "problem")))
            return
        baton.give_back(number)  # the others compute while the drawings, if not yet drawn, come
        drawn = drawings.result()
        send(("done", number, Outcome.of(
            result, score(data.x_test.astype(np.float32) / 255.0),
            None if drawn is None else score(drawn.images),
            None if mixed is None or not len(mixed.x_held)
            else score(mixed.x_held.astype(np.float32) / 255.0))))
    except Moved:
        return
    except (ConfigError, Diverged) as e:
        send(("failed", number, (str(e), "problem")))
    except Exception:  # logged for the server's operator; the person gets a plain sentence
        log.exception("training run %d failed", number)
        send(("failed", number, ("The training failed on the server. Try again, or try other "
                                 "settings.", "error")))
    finally:
        if stops.get(number) is stop:
            stops.pop(number)
        baton.give_back(number)
