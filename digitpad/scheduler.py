"""Trainings for a whole class at once.

Worker processes at low priority, so the pad stays quick, train the runs. In each worker a run
that has not reported yet goes first, for its first curve point within seconds; then a finished
run's scoring, a slice at a time; then the oldest run, so runs finish one after another instead
of all at the end. Every run has its own Stop,
and a run whose page or client stopped watching is stopped: trainings belong to someone who is
there.
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import numpy as np

from digitpad.classdata import ClassSet
from digitpad.training import ConfigError, Diverged, Progress, TrainConfig

log = logging.getLogger(__name__)

WATCH_SECONDS = 3.5  # a run nobody has looked at for this long is stopped (within 5 s in all)
QUEUE_LIMIT = 60  # unfinished runs on the whole server
MAX_RUN_SECONDS = 180.0  # a run expected to take longer here is refused
SECONDS_PER_UNIT = 6e-11  # a step's arithmetic: seconds per (batch x weight), measured here
STEP_SECONDS = 0.002  # a step's cost beyond its arithmetic
AUGMENT_COST = 1.6  # augmented steps cost this much more
CLASS_SHARE = 1 / 8  # of each minibatch from the class's drawings, when a run includes them
WORKER_START_SECONDS = 120.0
WARM_UP = TrainConfig(iterations=10)  # a worker's first run: the tutorial's, briefly
PARENT_CHECK_SECONDS = 1.0  # how often a worker checks that its server is still there
HURRY, FIRST_TURN, SCORING, TRAINING = range(4)  # who computes next in a worker: lowest first
SCORE_SLICE = 2500  # a finished run scores this many digits per turn


class Refused(ValueError):
    """A run the server will not take: the message says why and what to do."""


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


@dataclass
class Ticket:
    """One run as the server sees it: its progress, its Stop, its outcome or its problem."""

    number: int
    owner: str
    config: TrainConfig
    worker: int
    mixed: ClassSet | None = None  # the class's drawings: trained on, and the held-out fifth
    progress: list[Progress] = field(default_factory=list)
    outcome: Outcome | None = None
    problem: str | None = None  # a plain sentence for the person, when the run failed
    problem_kind: str = "error"  # "problem": the person's settings; "error": the server's
    submitted: float = field(default_factory=time.monotonic)
    watched: float = field(default_factory=time.monotonic)
    finished: threading.Event = field(default_factory=threading.Event)
    on_stop: Callable[[Ticket, bool], None] | None = None  # set by the scheduler that runs it

    @property
    def done(self) -> int:
        return self.progress[-1].iteration if self.progress else 0

    def stop(self, keep: bool = True) -> None:
        """Stop the run: it keeps what it learned so far, or ends at once if it had not begun;
        without keep (nobody is there to see it) it ends without scoring."""
        if self.on_stop is not None and not self.finished.is_set():
            self.on_stop(self, keep)

    def watch(self) -> None:
        """Someone is still looking at this run; called on every poll of its page or client."""
        self.watched = time.monotonic()


def expected_seconds(config: TrainConfig) -> float:
    """A rough time for a whole run here, from its arithmetic."""
    sizes = [784, *config.hidden, 10]
    weights = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    step = config.batch_size * weights * SECONDS_PER_UNIT + STEP_SECONDS
    return config.iterations * step * (AUGMENT_COST if config.augment else 1.0)


def time_left(seconds: float) -> str:
    """An estimate as plainly as it is known, to the next 5 s: a steadier line is also fewer
    panels for the page to send."""
    if seconds < 10:
        return "a few seconds left"
    return f"about {5 * math.ceil(seconds / 5):.0f} s left"


class Scheduler:
    """The server's side: who trains where, their progress, their limits."""

    def __init__(self, data_dir: str | None, drawings: str | None, workers: int) -> None:
        context = mp.get_context("spawn")
        self.outbox = context.Queue()
        self.inboxes = [context.Queue() for _ in range(workers)]
        threads = max(1, (os.cpu_count() or 1) // workers)
        self.worker_args = [(inbox, self.outbox, data_dir, drawings, threads, os.getpid())
                            for inbox in self.inboxes]
        self.processes = [self.start_worker(args) for args in self.worker_args]
        self.tickets: dict[int, Ticket] = {}
        self.numbers = count(1)
        self.lock = threading.Lock()
        self.pace = 1.0  # measured time over expected_seconds, learned from the runs' reports
        self.ready = threading.Event()  # set once a worker has loaded TensorFlow and MNIST
        threading.Thread(target=self.listen, daemon=True).start()
        threading.Thread(target=self.stop_unwatched, daemon=True).start()

    def submit(self, owner: str, config: TrainConfig, mixed: ClassSet | None = None) -> Ticket:
        """Queue a run for owner (a session), or Refused with a sentence saying why. With
        mixed, the class's drawings are CLASS_SHARE of its minibatches (if mixed.x_train has
        any) and it is scored on their held-out fifth."""
        seconds = expected_seconds(config)
        if seconds > MAX_RUN_SECONDS:
            raise Refused(f"This run would take about {seconds / 60:.0f} minutes here; the limit "
                          f"is {MAX_RUN_SECONDS / 60:.0f}. Use fewer iterations, a smaller batch "
                          "or a smaller network.")
        with self.lock:
            unfinished = [t for t in self.tickets.values() if not t.finished.is_set()]
            if any(t.owner == owner for t in unfinished):
                raise Refused("You already have a run training. Wait for it, or press Stop.")
            if len(unfinished) >= QUEUE_LIMIT:
                raise Refused(f"The server is training {len(unfinished)} runs, its limit. "
                              "Try again in a minute.")
            worker = min(range(len(self.inboxes)), key=lambda w: self.work_left(w, unfinished))
            ticket = Ticket(next(self.numbers), owner, config, worker, mixed, on_stop=self.stop)
            self.tickets[ticket.number] = ticket
        self.inboxes[worker].put(("start", ticket.number, (config, mixed)))
        return ticket

    def stop(self, ticket: Ticket, keep: bool) -> None:
        """Tell the run's worker to stop it (once)."""
        if ticket.on_stop is not None:
            ticket.on_stop = None
            self.inboxes[ticket.worker].put(("stop", ticket.number, keep))

    def seconds_left(self, ticket: Ticket) -> float:
        """Expected seconds of training a run still needs, at the pace measured so far."""
        share_left = 1 - ticket.done / ticket.config.iterations
        return expected_seconds(ticket.config) * share_left * self.pace

    def work_left(self, worker: int, unfinished: list[Ticket]) -> float:
        """Expected seconds of training still queued or running on one worker."""
        return sum(self.seconds_left(t) for t in unfinished if t.worker == worker)

    def status(self, ticket: Ticket) -> str:
        """Where a run stands, honestly: waiting behind older runs, or training; time left."""
        with self.lock:
            others = [t for t in self.tickets.values() if t is not ticket]
        ahead = [t for t in others if t.worker == ticket.worker and t.submitted < ticket.submitted]
        left = self.seconds_left(ticket)
        if not self.ready.is_set():
            return "the trainer is starting: TensorFlow and MNIST load once, in a few seconds"
        if ahead:
            runs = "run" if len(ahead) == 1 else "runs"
            return (f"waiting: {len(ahead)} {runs} ahead of yours · "
                    f"{time_left(left + sum(self.seconds_left(t) for t in ahead))}")
        runs = "run" if len(others) == 1 else "runs"
        others_note = f" · {len(others)} other {runs} on the server" if others else ""
        return f"training{others_note} · {time_left(left)}"

    def learn_pace(self, ticket: Ticket, progress: Progress) -> None:
        """Follow how long runs really take here, from each report past the first hundred."""
        expected = expected_seconds(ticket.config) * progress.iteration / ticket.config.iterations
        if progress.iteration >= 100 and expected > 0:
            self.pace = 0.8 * self.pace + 0.2 * progress.seconds / expected

    def listen(self) -> None:
        """Take the workers' messages: progress, outcomes, problems; and notice a dead worker."""
        while True:
            try:
                kind, number, payload = self.outbox.get(timeout=1.0)
            except queue.Empty:
                self.replace_dead_workers()
                continue
            if kind == "ready":
                self.ready.set()
                continue
            ticket = self.tickets.get(number)
            if ticket is None:
                continue
            if kind == "progress":
                ticket.progress.append(payload)
                self.learn_pace(ticket, payload)
                continue
            if kind == "done":
                ticket.outcome = payload
            else:
                ticket.problem, ticket.problem_kind = payload
            self.finish(ticket)

    def finish(self, ticket: Ticket) -> None:
        with self.lock:
            self.tickets.pop(ticket.number, None)
        ticket.finished.set()

    def replace_dead_workers(self) -> None:
        """A worker that died (out of memory, killed) fails its runs plainly and is restarted."""
        for worker, process in enumerate(self.processes):
            if process.is_alive():
                continue
            log.error("training worker %d exited with code %s; restarting it", worker,
                      process.exitcode)
            for ticket in [t for t in list(self.tickets.values()) if t.worker == worker]:
                ticket.problem = "The training server restarted. Press Train again."
                self.finish(ticket)
            self.processes[worker] = self.start_worker(self.worker_args[worker])

    @staticmethod
    def start_worker(args: tuple) -> mp.Process:
        # spawn: a fresh interpreter, with none of the server's threads or TensorFlow state
        process = mp.get_context("spawn").Process(target=worker_main, args=args, daemon=True)
        process.start()
        return process

    def stop_unwatched(self) -> None:
        """Stop runs whose page or client went away: nobody polls them any more."""
        while True:
            time.sleep(WATCH_SECONDS / 4)
            now = time.monotonic()
            with self.lock:
                unwatched = [t for t in self.tickets.values()
                             if now - t.watched > WATCH_SECONDS]
            for ticket in unwatched:
                ticket.stop(keep=False)

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)


# -- the worker's side -----------------------------------------------------------------------


class Baton:
    """Lets one run of this worker compute at a time, and chooses which goes next."""

    def __init__(self) -> None:
        self.turns = threading.Condition()
        self.holder: int | None = None
        self.waiting: dict[int, tuple] = {}  # run number -> its place: lowest goes first

    def take(self, number: int, place: tuple) -> None:
        with self.turns:
            self.waiting[number] = place
            while self.holder is not None or min(self.waiting, key=self.waiting.get) != number:
                self.turns.wait()
            del self.waiting[number]
            self.holder = number

    def give_back(self) -> None:
        with self.turns:
            self.holder = None
            self.turns.notify_all()

    def hurry(self, number: int) -> None:
        """A stopped run goes next: it only has to wrap up."""
        with self.turns:
            if number in self.waiting:
                self.waiting[number] = (HURRY, number)
                self.turns.notify_all()


def exit_with_server(server: int) -> None:
    """End this worker once the server (pid) that started it is gone, however it ended, even
    before this worker got going (a SIGKILL runs none of the server's clean-up): a worker is
    hundreds of MB and may be training."""
    while os.getppid() == server:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def worker_main(inbox: Any, outbox: Any, data_dir: str | None, drawings: str | None,
                threads: int, server: int) -> None:
    """A training process: MNIST loaded once, a thread per run, one run computing at a time."""
    os.nice(5)  # the server's own requests come first, three to one when both want a core
    threading.Thread(target=exit_with_server, args=(server,), daemon=True).start()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from digitpad.data import load_mnist
    from digitpad.scoring import load_drawings
    from digitpad.training import train

    data = load_mnist(data_dir)
    drawn = load_drawings(drawings)
    train(WARM_UP, data)  # the first person's run then finds its step traced, its memory grown
    outbox.put(("ready", 0, None))
    baton, stops = Baton(), {}
    for kind, number, detail in iter(inbox.get, None):
        if kind == "start":
            stops[number] = Stop()
            threading.Thread(target=train_one, daemon=True,
                             args=(number, detail, data, drawn, baton, stops,
                                   outbox.put)).start()
        elif number in stops:
            stops[number].keep = detail
            stops[number].pressed.set()
            baton.hurry(number)


@dataclass
class Stop:
    """A run's Stop, on the worker's side: pressed by its person, or for want of anyone."""

    pressed: threading.Event = field(default_factory=threading.Event)
    keep: bool = True  # score and send what it learned


def train_one(number: int, task: tuple[TrainConfig, ClassSet | None], data: Any, drawings: Any,
              baton: Baton, stops: dict[int, Stop], send: Callable[[tuple], None]) -> None:
    """Train one run in turns with the others; send its progress and its outcome."""
    from digitpad.training import mix_in, train

    config, mixed = task
    if mixed is not None:
        data = mix_in(data, mixed.x_train, mixed.y_train, CLASS_SHARE)

    def report(progress: Progress) -> None:
        send(("progress", number, progress))
        baton.give_back()
        baton.take(number, (TRAINING, number))

    def score(images: np.ndarray) -> np.ndarray:
        """The finished run's readings, a slice at a time: a run pressed meanwhile takes its
        first turn between slices instead of waiting for the whole test set."""
        parts = []
        for start in range(0, len(images), SCORE_SLICE):
            baton.give_back()
            baton.take(number, (SCORING, number))
            parts.append(result.predict(images[start:start + SCORE_SLICE]))
        return np.concatenate(parts)

    stop = stops[number]
    baton.take(number, (FIRST_TURN, number))
    try:
        if stop.pressed.is_set():
            send(("failed", number, ("Stopped before it started.", "problem")))
            return
        result = train(config, data, report, stop.pressed.is_set)
        if not stop.keep:
            send(("failed", number, ("Stopped: nobody was watching it.", "problem")))
            return
        send(("done", number, Outcome(
            [np.asarray(w) for w in result.model.get_weights()], result.iterations_done,
            result.train_seconds, result.val_accuracy, result.stopped_early, result.history,
            score(data.x_test.astype(np.float32) / 255.0),
            None if drawings is None else score(drawings.images),
            None if mixed is None or not len(mixed.x_held)
            else score(mixed.x_held.astype(np.float32) / 255.0))))
    except (ConfigError, Diverged) as e:
        send(("failed", number, (str(e), "problem")))
    except Exception:  # logged for the server's operator; the person gets a plain sentence
        log.exception("training run %d failed", number)
        send(("failed", number, ("The training failed on the server. Try again, or try other "
                                 "settings.", "error")))
    finally:
        stops.pop(number, None)
        baton.give_back()
